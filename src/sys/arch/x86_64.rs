//! x86_64: the generic 64-bit layouts; system calls through `sc`.

pub use sc::{syscall0, syscall1, syscall2, syscall3, syscall4, syscall5, syscall6};

/// System call numbers (`arch/x86/entry/syscalls/syscall_64.tbl`).
pub mod nr {
    /// `read`.
    pub const READ: usize = 0;
    /// `write`.
    pub const WRITE: usize = 1;
    /// `close`.
    pub const CLOSE: usize = 3;
    /// `lseek`.
    pub const LSEEK: usize = 8;
    /// `pread64`.
    pub const PREAD64: usize = 17;
    /// `sched_yield`.
    pub const SCHED_YIELD: usize = 24;
    /// `getpid`.
    pub const GETPID: usize = 39;
    /// `msgget`.
    pub const MSGGET: usize = 68;
    /// `msgsnd`.
    pub const MSGSND: usize = 69;
    /// `msgrcv`.
    pub const MSGRCV: usize = 70;
    /// `msgctl`.
    pub const MSGCTL: usize = 71;
    /// `getrusage`.
    pub const GETRUSAGE: usize = 98;
    /// `geteuid`.
    pub const GETEUID: usize = 107;
    /// `gettid`.
    pub const GETTID: usize = 186;
    /// `sched_getaffinity`.
    pub const SCHED_GETAFFINITY: usize = 204;
    /// `clock_gettime`.
    pub const CLOCK_GETTIME: usize = 228;
    /// `exit_group`.
    pub const EXIT_GROUP: usize = 231;
    /// `tgkill`.
    pub const TGKILL: usize = 234;
    /// `openat`.
    pub const OPENAT: usize = 257;
    /// `newfstatat`, which `sys::stat` calls.
    pub const STAT: usize = 262;
    /// `setns`.
    pub const SETNS: usize = 308;
    /// `getcpu`.
    pub const GETCPU: usize = 309;
    /// `getrandom`.
    pub const GETRANDOM: usize = 318;
    /// `rt_sigaction`.
    pub const RT_SIGACTION: usize = 13;
    /// `rt_sigprocmask`.
    pub const RT_SIGPROCMASK: usize = 14;
    /// `rt_sigreturn`.
    pub const RT_SIGRETURN: usize = 15;
    /// `timer_create`.
    pub const TIMER_CREATE: usize = 222;
    /// `timer_settime`.
    pub const TIMER_SETTIME: usize = 223;
    /// `timer_delete`.
    pub const TIMER_DELETE: usize = 226;
    /// No `ipc(2)` multiplexer on x86_64.
    pub const IPC: Option<usize> = None;
    /// `timer_gettime`.
    pub const TIMER_GETTIME: usize = 224;
    /// `rt_sigpending`.
    pub const RT_SIGPENDING: usize = 127;
    /// No separate 64-bit time calls: the calls above take 64-bit times on 64-bit architectures.
    pub const CLOCK_GETTIME64: Option<usize> = None;
    /// `timer_gettime64`.
    pub const TIMER_GETTIME64: Option<usize> = None;
    /// `timer_settime64`.
    pub const TIMER_SETTIME64: Option<usize> = None;
    // Starting and ending processes, for libc-free programs that run others (a PID 1: tests/guest/, examples/pid1/).
    /// `clone`: flags first, then the new stack (s390x has them the other way round).
    pub const CLONE: usize = 56;
    /// `execve`.
    pub const EXECVE: usize = 59;
    /// `wait4`.
    pub const WAIT4: usize = 61;
    /// `kill`.
    pub const KILL: usize = 62;
    /// `setpgid`.
    pub const SETPGID: usize = 109;
    /// `mount`.
    pub const MOUNT: usize = 165;
    /// `mkdirat`.
    pub const MKDIRAT: usize = 258;
    /// `reboot`.
    pub const REBOOT: usize = 169;
    /// `clock_settime`, whose `struct timespec` has 64-bit seconds here (the name says so on every arch).
    pub const CLOCK_SETTIME64: usize = 227;
    /// `clock_nanosleep` (64-bit seconds, as `CLOCK_SETTIME64`).
    pub const CLOCK_NANOSLEEP64: usize = 230;
    // The `svmq` tool's file and process calls.
    /// `ioctl` (the tool: `TCGETS`, whether a descriptor is a terminal).
    pub const IOCTL: usize = 16;
    /// `fcntl` (the tool: `F_GETFL`; 32-bit offsets are all it needs).
    pub const FCNTL: usize = 72;
    /// `ftruncate` (the tool: 32-bit offsets on 32-bit targets, all it needs).
    pub const FTRUNCATE: usize = 77;
    /// `fsync`.
    pub const FSYNC: usize = 74;
    /// `capget`.
    pub const CAPGET: usize = 125;
    /// `unlinkat`.
    pub const UNLINKAT: usize = 263;
    /// `renameat2`.
    pub const RENAMEAT2: usize = 316;
    /// `statx`.
    pub const STATX: usize = 332;
    /// `clock_nanosleep` (on 32-bit targets with 32-bit seconds: the fallback of `CLOCK_NANOSLEEP64` before Linux 5.1).
    pub const CLOCK_NANOSLEEP: usize = 230;
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
pub const MSQID64_DS_LAYOUT: crate::sys::abi::MsqidLayout = crate::sys::abi::GENERIC_64_LAYOUT;

/// `newfstatat` fills `struct stat` (arch/x86/include/uapi/asm/stat.h, 144 bytes): `st_ino` is the
/// second 64-bit word.
pub const STAT_INO_WORD: usize = 1;
/// Size of that `struct stat`.
pub const STAT_SIZE: usize = 144;

/// `_start` for programs without a C runtime: calls `$entry(initial stack pointer)`, which must not
/// return.
///
/// For `#![no_std]` `#![no_main]` binaries linked without a C library (the `svmq` tool): expands to the
/// global `_start` symbol. `$entry` must be an `extern "C" fn(*const usize) -> !` (`unsafe` or not;
/// checked at compile time) taking the initial stack pointer (`argc`, then `argv`, `envp` and the
/// auxiliary vector as the kernel laid them out) and never returning (it ends with `exit_group`).
#[macro_export]
macro_rules! svmq_entry {
    ($entry:path) => {
        const _: unsafe extern "C" fn(*const usize) -> ! = $entry;
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
pub const RESTORER: Option<unsafe extern "C" fn() -> !> = Some(restore_rt);

/// Where a signal handler returns to: `rt_sigreturn` (15), which does not return (no trap after it:
/// the archive must hold no trap instruction, .ci/check-no-panic). Required on x86_64.
///
/// # Safety
///
/// Never to be called: only the kernel jumps here, when a handler installed with it returns, with the
/// signal frame it built at the stack pointer.
#[unsafe(naked)]
pub unsafe extern "C" fn restore_rt() -> ! {
    core::arch::naked_asm!("mov eax, 15", "syscall")
}
