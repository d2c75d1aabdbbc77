//! armv7 (`target_arch = "arm"`, EABI): 32-bit, little-endian, the generic 32-bit layouts with a
//! 16-bit `mode_t`.
//!
//! `sc` 0.2.7's arm module uses the removed `llvm_asm!`, so the `svc 0` wrapper is here. `r7` carries
//! the number; it may be LLVM's frame pointer, so the block saves and restores it itself.

/// System call numbers (`arch/arm/tools/syscall.tbl`, EABI). The message-queue calls have always been
/// direct on EABI; there is no `ipc` entry.
#[allow(missing_docs)]
pub mod nr {
    pub const READ: usize = 3;
    pub const WRITE: usize = 4;
    pub const CLOSE: usize = 6;
    pub const LSEEK: usize = 19;
    pub const GETPID: usize = 20;
    pub const GETRUSAGE: usize = 77;
    pub const SCHED_YIELD: usize = 158;
    pub const RT_SIGRETURN: usize = 173;
    pub const RT_SIGACTION: usize = 174;
    pub const RT_SIGPROCMASK: usize = 175;
    pub const PREAD64: usize = 180;
    pub const GETEUID: usize = 201; // geteuid32
    pub const GETTID: usize = 224;
    pub const SCHED_GETAFFINITY: usize = 242;
    pub const EXIT_GROUP: usize = 248;
    pub const TIMER_CREATE: usize = 257;
    pub const TIMER_SETTIME: usize = 258;
    pub const TIMER_DELETE: usize = 261;
    pub const CLOCK_GETTIME: usize = 263;
    pub const TGKILL: usize = 268;
    pub const MSGSND: usize = 301;
    pub const MSGRCV: usize = 302;
    pub const MSGGET: usize = 303;
    pub const MSGCTL: usize = 304;
    pub const OPENAT: usize = 322;
    pub const STAT: usize = 327; // fstatat64
    pub const GETCPU: usize = 345;
    pub const SETNS: usize = 375;
    pub const GETRANDOM: usize = 384;
    /// EABI has no `ipc(2)`.
    pub const IPC: Option<usize> = None;
    // The `svmq` tool's file and process calls (32-bit targets: `fcntl` and `ftruncate` with 32-bit offsets,
    // which is all the tool needs).
    pub const IOCTL: usize = 54;
    pub const FCNTL: usize = 55;
    pub const FTRUNCATE: usize = 93;
    pub const FSYNC: usize = 118;
    pub const CAPGET: usize = 184;
    pub const UNLINKAT: usize = 328;
    pub const RENAMEAT2: usize = 382;
    pub const STATX: usize = 397;
    /// Linux 5.1+; before it, `CLOCK_GETTIME` (32-bit seconds).
    pub const CLOCK_GETTIME64: usize = 403;
    pub const CLOCK_NANOSLEEP: usize = 265;
    /// Linux 5.1+; before it, `CLOCK_NANOSLEEP` (32-bit seconds).
    pub const CLOCK_NANOSLEEP64: usize = 407;
}

/// arm's `msgctl` entry is `sys_old_msgctl`, which reads the layout version from the command: `IPC_64`
/// asks for `msqid64_ds` (as glibc passes it on arm).
pub const MSGCTL_CMD_FLAGS: core::ffi::c_int = 0x100;
/// No multiplexer.
pub const IPC_MSGCTL_CMD_FLAGS: core::ffi::c_int = 0x100;

/// `struct ipc64_perm` (asm-generic/ipcbuf.h, 32-bit, `__kernel_mode_t` 16 bits).
pub type Ipc64Perm = crate::sys::abi::Ipc64PermGeneric32;
/// Each time is two `unsigned long`s, low word first.
pub type Time = crate::sys::abi::TimeLoHi;
/// asm-generic/msgbuf.h, 32-bit branch.
pub const MSQID64_DS_LAYOUT: crate::sys::arch::MsqidLayout = crate::sys::abi::GENERIC_32_LAYOUT;

/// `fstatat64` fills arm's `struct stat64` (104 bytes): the 64-bit `st_ino` is at offset 96.
pub const STAT_INO_WORD: usize = 12;
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
    // SAFETY: the caller vouches for the system call; r7 is saved and restored inside the block, the
    // kernel preserves every other register but r0.
    unsafe {
        core::arch::asm!(
            "push {{r7}}",
            "mov r7, {n}",
            "svc 0",
            "pop {{r7}}",
            n = in(reg) n,
            inlateout("r0") a1 => ret,
            in("r1") a2,
            in("r2") a3,
            in("r3") a4,
            in("r4") a5,
            in("r5") a6,
        );
    }
    ret
}

crate::sys::arch::fewer_args_via_syscall6!();

/// `_start` for programs without a C runtime: calls `$entry(initial stack pointer)`.
#[doc(hidden)]
#[macro_export]
macro_rules! svmq_entry {
    ($entry:path) => {
        core::arch::global_asm!(
            ".globl _start",
            "_start:",
            "mov fp, #0",
            "mov lr, #0",
            "mov r0, sp",
            "bic r1, r0, #15",
            "mov sp, r1",
            "bl {entry}",
            "udf #0",
            entry = sym $entry,
        );
    };
}

/// `SA_RESTORER`: the kernel returns from a signal handler through `sa_restorer`.
pub const SA_RESTORER: core::ffi::c_ulong = 0x0400_0000;
/// The `sa_restorer` svmq installs with its timeout signal's handler.
pub const RESTORER: Option<extern "C" fn() -> !> = Some(restore_rt);

/// Where a signal handler returns to: `rt_sigreturn` (173), in ARM mode.
#[unsafe(naked)]
pub extern "C" fn restore_rt() -> ! {
    core::arch::naked_asm!("mov r7, #173", "svc 0")
}
