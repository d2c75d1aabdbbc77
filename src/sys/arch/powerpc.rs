//! powerpc (32-bit, big-endian): its own `ipc64_perm` (32-bit `mode` and `seq`, 64-bit reserved words)
//! and `msqid64_ds` with each time's `_high` word *before* its low word.
//!
//! `sc` 0.2.7's powerpc module uses the removed `llvm_asm!` (and knows only `ipc`), so the `sc` wrapper
//! is here. The kernel reports an error by setting CR0.SO and returning the positive errno; the wrapper
//! turns that into the `-errno` convention every other architecture uses.

/// System call numbers (`arch/powerpc/kernel/syscalls/syscall.tbl`, 32-bit). The direct message-queue
/// calls (399-402) exist since Linux 5.1; before that only `ipc` (117).
#[allow(missing_docs)]
pub mod nr {
    pub const READ: usize = 3;
    pub const WRITE: usize = 4;
    pub const CLOSE: usize = 6;
    pub const LSEEK: usize = 19;
    pub const GETPID: usize = 20;
    pub const GETEUID: usize = 49;
    pub const GETRUSAGE: usize = 77;
    pub const IPC: Option<usize> = Some(117);
    pub const SCHED_YIELD: usize = 158;
    pub const RT_SIGRETURN: usize = 172;
    pub const RT_SIGACTION: usize = 173;
    pub const RT_SIGPROCMASK: usize = 174;
    pub const PREAD64: usize = 179;
    pub const GETTID: usize = 207;
    pub const SCHED_GETAFFINITY: usize = 223;
    pub const EXIT_GROUP: usize = 234;
    pub const TIMER_CREATE: usize = 240;
    pub const TIMER_SETTIME: usize = 241;
    pub const TIMER_DELETE: usize = 244;
    pub const CLOCK_GETTIME: usize = 246;
    pub const TGKILL: usize = 250;
    pub const OPENAT: usize = 286;
    pub const STAT: usize = 291; // fstatat64
    pub const GETCPU: usize = 302;
    pub const SETNS: usize = 350;
    pub const GETRANDOM: usize = 359;
    pub const MSGGET: usize = 399;
    pub const MSGSND: usize = 400;
    pub const MSGRCV: usize = 401;
    pub const MSGCTL: usize = 402;
    // The `svmq` tool's file and process calls (32-bit targets: `fcntl` and `ftruncate` with 32-bit offsets,
    // which is all the tool needs).
    pub const IOCTL: usize = 54;
    pub const FCNTL: usize = 55;
    pub const FTRUNCATE: usize = 93;
    pub const FSYNC: usize = 118;
    pub const CAPGET: usize = 183;
    pub const UNLINKAT: usize = 292;
    pub const RENAMEAT2: usize = 357;
    pub const STATX: usize = 383;
    /// Linux 5.1+; before it, `CLOCK_GETTIME` (32-bit seconds).
    pub const CLOCK_GETTIME64: usize = 403;
    pub const CLOCK_NANOSLEEP: usize = 248;
    /// Linux 5.1+; before it, `CLOCK_NANOSLEEP` (32-bit seconds).
    pub const CLOCK_NANOSLEEP64: usize = 407;
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
pub const MSQID64_DS_LAYOUT: crate::sys::arch::MsqidLayout = crate::sys::arch::MsqidLayout {
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
#[doc(hidden)]
#[macro_export]
macro_rules! svmq_entry {
    ($entry:path) => {
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
pub const RESTORER: Option<extern "C" fn() -> !> = None;
