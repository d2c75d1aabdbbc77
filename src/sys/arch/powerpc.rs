//! powerpc (32-bit, big-endian): its own `ipc64_perm` (32-bit `mode` and `seq`, 64-bit reserved words)
//! and `msqid64_ds` with each time's `_high` word *before* its low word.
//!
//! `sc` 0.2.7's powerpc module uses the removed `llvm_asm!` (and knows only `ipc`), so the `sc` wrapper
//! is here. The kernel reports an error by setting CR0.SO and returning the positive errno; the wrapper
//! turns that into the `-errno` convention every other architecture uses.

/// System call numbers (`arch/powerpc/kernel/syscalls/syscall.tbl`, 32-bit). The direct message-queue
/// calls (399-402) exist since Linux 5.1; before that only `ipc` (117).
pub mod nr {
    /// `read`.
    pub const READ: usize = 3;
    /// `write`.
    pub const WRITE: usize = 4;
    /// `close`.
    pub const CLOSE: usize = 6;
    /// `lseek`.
    pub const LSEEK: usize = 19;
    /// `getpid`.
    pub const GETPID: usize = 20;
    /// `geteuid`.
    pub const GETEUID: usize = 49;
    /// `getrusage`.
    pub const GETRUSAGE: usize = 77;
    /// `ipc(2)`, the multiplexer of the System V IPC calls (`None`: this architecture has none).
    pub const IPC: Option<usize> = Some(117);
    /// `sched_yield`.
    pub const SCHED_YIELD: usize = 158;
    /// `rt_sigreturn`.
    pub const RT_SIGRETURN: usize = 172;
    /// `rt_sigaction`.
    pub const RT_SIGACTION: usize = 173;
    /// `rt_sigprocmask`.
    pub const RT_SIGPROCMASK: usize = 174;
    /// `pread64`.
    pub const PREAD64: usize = 179;
    /// `gettid`.
    pub const GETTID: usize = 207;
    /// `sched_getaffinity`.
    pub const SCHED_GETAFFINITY: usize = 223;
    /// `exit_group`.
    pub const EXIT_GROUP: usize = 234;
    /// `timer_create`.
    pub const TIMER_CREATE: usize = 240;
    /// `timer_settime`.
    pub const TIMER_SETTIME: usize = 241;
    /// `timer_delete`.
    pub const TIMER_DELETE: usize = 244;
    /// `clock_gettime`.
    pub const CLOCK_GETTIME: usize = 246;
    /// `tgkill`.
    pub const TGKILL: usize = 250;
    /// `openat`.
    pub const OPENAT: usize = 286;
    /// `fstatat64`, which `sys::stat` calls.
    pub const STAT: usize = 291;
    /// `getcpu`.
    pub const GETCPU: usize = 302;
    /// `setns`.
    pub const SETNS: usize = 350;
    /// `getrandom`.
    pub const GETRANDOM: usize = 359;
    /// `msgget`.
    pub const MSGGET: usize = 399;
    /// `msgsnd`.
    pub const MSGSND: usize = 400;
    /// `msgrcv`.
    pub const MSGRCV: usize = 401;
    /// `msgctl`.
    pub const MSGCTL: usize = 402;
    /// `timer_gettime`.
    pub const TIMER_GETTIME: usize = 242;
    /// `rt_sigpending`.
    pub const RT_SIGPENDING: usize = 175;
    /// The 64-bit time calls (Linux 5.1); the old calls above take 32-bit `long` times and are missing
    /// from kernels built without `COMPAT_32BIT_TIME`. `None` on 64-bit architectures, where the calls
    /// above take 64-bit times.
    pub const CLOCK_GETTIME64: Option<usize> = Some(403);
    /// `timer_gettime64`.
    pub const TIMER_GETTIME64: Option<usize> = Some(408);
    /// `timer_settime64`.
    pub const TIMER_SETTIME64: Option<usize> = Some(409);
    // Starting and ending processes, for libc-free programs that run others (a PID 1: tests/guest/, examples/pid1/).
    /// `clone`: flags first, then the new stack (s390x has them the other way round).
    pub const CLONE: usize = 120;
    /// `execve`.
    pub const EXECVE: usize = 11;
    /// `wait4`.
    pub const WAIT4: usize = 114;
    /// `kill`.
    pub const KILL: usize = 37;
    /// `setpgid`.
    pub const SETPGID: usize = 57;
    /// `mount`.
    pub const MOUNT: usize = 21;
    /// `mkdirat`.
    pub const MKDIRAT: usize = 287;
    /// `reboot`.
    pub const REBOOT: usize = 88;
    /// `clock_settime64`: the clock's `struct __kernel_timespec` has 64-bit seconds (past 2038).
    pub const CLOCK_SETTIME64: usize = 404;
    /// `clock_nanosleep_time64`.
    pub const CLOCK_NANOSLEEP64: usize = 407;
    // The `svmq` tool's file and process calls.
    /// `ioctl` (the tool: `TCGETS`, whether a descriptor is a terminal).
    pub const IOCTL: usize = 54;
    /// `fcntl` (the tool: `F_GETFL`; 32-bit offsets are all it needs).
    pub const FCNTL: usize = 55;
    /// `ftruncate` (the tool: 32-bit offsets on 32-bit targets, all it needs).
    pub const FTRUNCATE: usize = 93;
    /// `fsync`.
    pub const FSYNC: usize = 118;
    /// `capget`.
    pub const CAPGET: usize = 183;
    /// `unlinkat`.
    pub const UNLINKAT: usize = 292;
    /// `renameat2`.
    pub const RENAMEAT2: usize = 357;
    /// `statx`.
    pub const STATX: usize = 383;
    /// `clock_nanosleep` (on 32-bit targets with 32-bit seconds: the fallback of `CLOCK_NANOSLEEP64` before Linux 5.1).
    pub const CLOCK_NANOSLEEP: usize = 248;
}

/// The direct `msgctl` (5.1+) always speaks `IPC_64`; the flag is refused.
pub const MSGCTL_CMD_FLAGS: core::ffi::c_int = 0;
/// Through `ipc(2)`, `IPC_64` asks for `msqid64_ds`.
pub const IPC_MSGCTL_CMD_FLAGS: core::ffi::c_int = 0x100;

/// `struct ipc64_perm` (arch/powerpc/include/uapi/asm/ipcbuf.h).
pub type Ipc64Perm = crate::sys::abi::Ipc64PermPowerpc;
/// Each time is two `unsigned long`s, high word first.
pub type Time = crate::sys::abi::TimeHiLo;
/// arch/powerpc/include/uapi/asm/msgbuf.h, 32-bit branch.
pub const MSQID64_DS_LAYOUT: crate::sys::abi::MsqidLayout = crate::sys::abi::MsqidLayout {
    size: 104,
    perm_size: 48,
    mode_seq: (20, 24),
    times: [52, 60, 68],
    times_high: [48, 56, 64],
    counts: [72, 76, 80, 84, 88],
};

/// `fstatat64` fills powerpc's `struct stat64` (104 bytes): `st_ino` is the second 64-bit word.
pub const STAT_INO_WORD: usize = 1;
/// Size of `struct stat64`.
pub const STAT_SIZE: usize = 104;

/// The system call instruction with up to six arguments.
///
/// # Safety
///
/// As for the system call `n` with these arguments.
#[inline]
pub unsafe fn syscall6(n: usize, a1: usize, a2: usize, a3: usize, a4: usize, a5: usize, a6: usize) -> usize {
    let ret: usize;
    // SAFETY: the caller vouches for the system call; every register the kernel may change (r0, r3-r12,
    // cr0, ctr, xer) is declared.
    unsafe {
        core::arch::asm!(
            "sc",
            "bns+ 1f",
            "neg 3, 3",
            "1:",
            inlateout("r0") n => _,
            inlateout("r3") a1 => ret,
            inlateout("r4") a2 => _,
            inlateout("r5") a3 => _,
            inlateout("r6") a4 => _,
            inlateout("r7") a5 => _,
            inlateout("r8") a6 => _,
            out("r9") _,
            out("r10") _,
            out("r11") _,
            out("r12") _,
            out("cr0") _,
            out("ctr") _,
            out("xer") _,
        );
    }
    ret
}

crate::sys::arch::fewer_args_via_syscall6!();

/// `_start` for programs without a C runtime: calls `$entry(initial stack pointer)` with a 16-byte
/// aligned stack and a terminated back chain.
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
            "mr 3, 1",
            "clrrwi 1, 1, 4",
            "li 0, 0",
            "stwu 1, -16(1)",
            "mtlr 0",
            "stw 0, 0(1)",
            "bl {entry}",
            "trap",
            entry = sym $entry,
        );
    };
}

/// No `SA_RESTORER`: powerpc ignores `sa_restorer`: the kernel returns through the vDSO or a stack trampoline.
pub const SA_RESTORER: core::ffi::c_ulong = 0;
/// No restorer to install.
pub const RESTORER: Option<unsafe extern "C" fn() -> !> = None;
