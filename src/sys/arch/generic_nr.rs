//! The asm-generic system call table (include/uapi/asm-generic/unistd.h), shared by aarch64 and
//! riscv64.
#![allow(missing_docs)]

pub const GETCPU: usize = 168;
pub const OPENAT: usize = 56;
pub const CLOSE: usize = 57;
pub const LSEEK: usize = 62;
pub const READ: usize = 63;
pub const WRITE: usize = 64;
pub const PREAD64: usize = 67;
pub const STAT: usize = 79; // newfstatat
pub const EXIT_GROUP: usize = 94;
pub const TIMER_CREATE: usize = 107;
pub const TIMER_SETTIME: usize = 110;
pub const TIMER_DELETE: usize = 111;
pub const CLOCK_GETTIME: usize = 113;
pub const SCHED_GETAFFINITY: usize = 123;
pub const SCHED_YIELD: usize = 124;
pub const TGKILL: usize = 131;
pub const RT_SIGACTION: usize = 134;
pub const RT_SIGPROCMASK: usize = 135;
pub const RT_SIGRETURN: usize = 139;
pub const GETRUSAGE: usize = 165;
pub const GETPID: usize = 172;
pub const GETEUID: usize = 175;
pub const GETTID: usize = 178;
pub const MSGGET: usize = 186;
pub const MSGCTL: usize = 187;
pub const MSGRCV: usize = 188;
pub const MSGSND: usize = 189;
pub const SETNS: usize = 268;
pub const GETRANDOM: usize = 278;
/// No `ipc(2)` multiplexer in the generic table.
pub const IPC: Option<usize> = None;
// Starting and ending processes, for libc-free programs that run others (a PID 1: tests/guest/, examples/pid1/).
/// `clone`: flags first, then the new stack (s390x has them the other way round).
pub const CLONE: usize = 220;
pub const EXECVE: usize = 221;
pub const WAIT4: usize = 260;
pub const KILL: usize = 129;
pub const SETPGID: usize = 154;
pub const MOUNT: usize = 40;
pub const MKDIRAT: usize = 34;
pub const REBOOT: usize = 142;
/// `clock_settime`, whose `struct timespec` has 64-bit seconds here (the name says so on every arch).
pub const CLOCK_SETTIME64: usize = 112;
/// `clock_nanosleep` (64-bit seconds, as `CLOCK_SETTIME64`).
pub const CLOCK_NANOSLEEP64: usize = 115;
