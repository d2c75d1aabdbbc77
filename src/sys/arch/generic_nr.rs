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
// The `svmq` tool's file and process calls (32-bit targets: `fcntl` and `ftruncate` with 32-bit offsets,
// which is all the tool needs).
pub const IOCTL: usize = 29;
pub const FCNTL: usize = 25;
pub const FTRUNCATE: usize = 46;
pub const FSYNC: usize = 82;
pub const CAPGET: usize = 90;
pub const UNLINKAT: usize = 35;
pub const RENAMEAT2: usize = 276;
pub const STATX: usize = 291;
/// 64-bit: `clock_gettime` already has 64-bit seconds.
pub const CLOCK_GETTIME64: usize = CLOCK_GETTIME;
pub const CLOCK_NANOSLEEP: usize = 115;
/// 64-bit: `clock_nanosleep` already has 64-bit seconds.
pub const CLOCK_NANOSLEEP64: usize = CLOCK_NANOSLEEP;
