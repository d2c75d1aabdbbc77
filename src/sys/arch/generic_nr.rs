//! The asm-generic system call table (include/uapi/asm-generic/unistd.h), shared by aarch64 and
//! riscv64.

/// `getcpu`.
pub const GETCPU: usize = 168;
/// `openat`.
pub const OPENAT: usize = 56;
/// `close`.
pub const CLOSE: usize = 57;
/// `lseek`.
pub const LSEEK: usize = 62;
/// `read`.
pub const READ: usize = 63;
/// `write`.
pub const WRITE: usize = 64;
/// `pread64`.
pub const PREAD64: usize = 67;
/// `newfstatat`, which `sys::stat` calls.
pub const STAT: usize = 79;
/// `exit_group`.
pub const EXIT_GROUP: usize = 94;
/// `timer_create`.
pub const TIMER_CREATE: usize = 107;
/// `timer_settime`.
pub const TIMER_SETTIME: usize = 110;
/// `timer_delete`.
pub const TIMER_DELETE: usize = 111;
/// `clock_gettime`.
pub const CLOCK_GETTIME: usize = 113;
/// `sched_getaffinity`.
pub const SCHED_GETAFFINITY: usize = 123;
/// `sched_yield`.
pub const SCHED_YIELD: usize = 124;
/// `tgkill`.
pub const TGKILL: usize = 131;
/// `rt_sigaction`.
pub const RT_SIGACTION: usize = 134;
/// `rt_sigprocmask`.
pub const RT_SIGPROCMASK: usize = 135;
/// `rt_sigreturn`.
pub const RT_SIGRETURN: usize = 139;
/// `getrusage`.
pub const GETRUSAGE: usize = 165;
/// `getpid`.
pub const GETPID: usize = 172;
/// `geteuid`.
pub const GETEUID: usize = 175;
/// `gettid`.
pub const GETTID: usize = 178;
/// `msgget`.
pub const MSGGET: usize = 186;
/// `msgctl`.
pub const MSGCTL: usize = 187;
/// `msgrcv`.
pub const MSGRCV: usize = 188;
/// `msgsnd`.
pub const MSGSND: usize = 189;
/// `setns`.
pub const SETNS: usize = 268;
/// `getrandom`.
pub const GETRANDOM: usize = 278;
/// No `ipc(2)` multiplexer in the generic table.
pub const IPC: Option<usize> = None;
/// `timer_gettime`.
pub const TIMER_GETTIME: usize = 108;
/// `rt_sigpending`.
pub const RT_SIGPENDING: usize = 136;
/// No separate 64-bit time calls: the calls above take 64-bit times on 64-bit architectures.
pub const CLOCK_GETTIME64: Option<usize> = None;
/// `timer_gettime64`.
pub const TIMER_GETTIME64: Option<usize> = None;
/// `timer_settime64`.
pub const TIMER_SETTIME64: Option<usize> = None;
// Starting and ending processes, for libc-free programs that run others (a PID 1: tests/guest/, examples/pid1/).
/// `clone`: flags first, then the new stack (s390x has them the other way round).
pub const CLONE: usize = 220;
/// `execve`.
pub const EXECVE: usize = 221;
/// `wait4`.
pub const WAIT4: usize = 260;
/// `kill`.
pub const KILL: usize = 129;
/// `setpgid`.
pub const SETPGID: usize = 154;
/// `mount`.
pub const MOUNT: usize = 40;
/// `mkdirat`.
pub const MKDIRAT: usize = 34;
/// `reboot`.
pub const REBOOT: usize = 142;
/// `clock_settime`, whose `struct timespec` has 64-bit seconds here (the name says so on every arch).
pub const CLOCK_SETTIME64: usize = 112;
/// `clock_nanosleep` (64-bit seconds, as `CLOCK_SETTIME64`).
pub const CLOCK_NANOSLEEP64: usize = 115;
// The `svmq` tool's file and process calls.
/// `ioctl` (the tool: `TCGETS`, whether a descriptor is a terminal).
pub const IOCTL: usize = 29;
/// `fcntl` (the tool: `F_GETFL`; 32-bit offsets are all it needs).
pub const FCNTL: usize = 25;
/// `ftruncate` (the tool: 32-bit offsets on 32-bit targets, all it needs).
pub const FTRUNCATE: usize = 46;
/// `fsync`.
pub const FSYNC: usize = 82;
/// `capget`.
pub const CAPGET: usize = 90;
/// `unlinkat`.
pub const UNLINKAT: usize = 35;
/// `renameat2`.
pub const RENAMEAT2: usize = 276;
/// `statx`.
pub const STATX: usize = 291;
/// `clock_nanosleep` (on 32-bit targets with 32-bit seconds: the fallback of `CLOCK_NANOSLEEP64` before Linux 5.1).
pub const CLOCK_NANOSLEEP: usize = 115;
