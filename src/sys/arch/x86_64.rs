//! x86_64: the generic 64-bit layouts; system calls through `sc`.

pub use sc::{syscall0, syscall1, syscall2, syscall3, syscall4, syscall5, syscall6};

/// System call numbers (`arch/x86/entry/syscalls/syscall_64.tbl`).
#[allow(missing_docs)]
pub mod nr {
    pub const READ: usize = 0;
    pub const WRITE: usize = 1;
    pub const CLOSE: usize = 3;
    pub const LSEEK: usize = 8;
    pub const PREAD64: usize = 17;
    pub const SCHED_YIELD: usize = 24;
    pub const GETPID: usize = 39;
    pub const MSGGET: usize = 68;
    pub const MSGSND: usize = 69;
    pub const MSGRCV: usize = 70;
    pub const MSGCTL: usize = 71;
    pub const GETRUSAGE: usize = 98;
    pub const GETEUID: usize = 107;
    pub const GETTID: usize = 186;
    pub const SCHED_GETAFFINITY: usize = 204;
    pub const CLOCK_GETTIME: usize = 228;
    pub const EXIT_GROUP: usize = 231;
    pub const TGKILL: usize = 234;
    pub const OPENAT: usize = 257;
    pub const STAT: usize = 262; // newfstatat
    pub const SETNS: usize = 308;
    pub const GETCPU: usize = 309;
    pub const GETRANDOM: usize = 318;
    pub const RT_SIGACTION: usize = 13;
    pub const RT_SIGPROCMASK: usize = 14;
    pub const RT_SIGRETURN: usize = 15;
    pub const TIMER_CREATE: usize = 222;
    pub const TIMER_SETTIME: usize = 223;
    pub const TIMER_DELETE: usize = 226;
    /// No `ipc(2)` multiplexer on x86_64.
    pub const IPC: Option<usize> = None;
    // The `svmq` tool's file and process calls (32-bit targets: `fcntl` and `ftruncate` with 32-bit offsets,
    // which is all the tool needs).
    pub const IOCTL: usize = 16;
    pub const FCNTL: usize = 72;
    pub const FTRUNCATE: usize = 77;
    pub const FSYNC: usize = 74;
    pub const CAPGET: usize = 125;
    pub const UNLINKAT: usize = 263;
    pub const RENAMEAT2: usize = 316;
    pub const STATX: usize = 332;
    /// 64-bit: `clock_gettime` already has 64-bit seconds.
    pub const CLOCK_GETTIME64: usize = CLOCK_GETTIME;
    pub const CLOCK_NANOSLEEP: usize = 230;
    /// 64-bit: `clock_nanosleep` already has 64-bit seconds.
    pub const CLOCK_NANOSLEEP64: usize = CLOCK_NANOSLEEP;
}

/// The direct `msgctl` always speaks `IPC_64`; OR-ing the flag in is `EINVAL` (measured).
pub const MSGCTL_CMD_FLAGS: core::ffi::c_int = 0;
/// No multiplexer.
pub const IPC_MSGCTL_CMD_FLAGS: core::ffi::c_int = 0;

/// `struct ipc64_perm` (asm-generic/ipcbuf.h, 64-bit: `__kernel_mode_t` is 32 bits).
pub type Ipc64Perm = crate::sys::abi::Ipc64PermGeneric64;
/// One `long` per time.
pub type Time = crate::sys::abi::TimeLong;
/// asm-generic/msgbuf.h, 64-bit branch.
pub const MSQID64_DS_LAYOUT: crate::sys::arch::MsqidLayout = crate::sys::abi::GENERIC_64_LAYOUT;

/// `newfstatat` fills `struct stat` (arch/x86/include/uapi/asm/stat.h, 144 bytes): `st_ino` is the
/// second 64-bit word.
pub const STAT_INO_WORD: usize = 1;
/// Size of that `struct stat`.
pub const STAT_SIZE: usize = 144;

/// `_start` for programs without a C runtime: calls `$entry(initial stack pointer)`, which must not
/// return.
#[doc(hidden)]
#[macro_export]
macro_rules! svmq_entry {
    ($entry:path) => {
        core::arch::global_asm!(
            ".globl _start",
            "_start:",
            "xor rbp, rbp",
            "mov rdi, rsp",
            "and rsp, -16",
            "call {entry}",
            "ud2",
            entry = sym $entry,
        );
    };
}

/// `SA_RESTORER`: the kernel returns from a signal handler through `sa_restorer`.
pub const SA_RESTORER: core::ffi::c_ulong = 0x0400_0000;
/// The `sa_restorer` svmq installs with its timeout signal's handler.
pub const RESTORER: Option<extern "C" fn() -> !> = Some(restore_rt);

/// Where a signal handler returns to: `rt_sigreturn` (15), which does not return (no trap after it:
/// the archive must hold no trap instruction, .ci/check-no-panic). Required on x86_64.
#[unsafe(naked)]
pub extern "C" fn restore_rt() -> ! {
    core::arch::naked_asm!("mov eax, 15", "syscall")
}
