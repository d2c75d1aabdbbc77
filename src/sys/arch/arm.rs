//! armv7 (`target_arch = "arm"`, EABI): 32-bit, little-endian, the generic 32-bit layouts with a
//! 16-bit `mode_t`.
//!
//! `sc` 0.2.7's arm module uses the removed `llvm_asm!`, so the `svc 0` wrapper is here. `r7` carries
//! the number; it may be LLVM's frame pointer, so the block saves and restores it itself.

/// System call numbers (`arch/arm/tools/syscall.tbl`, EABI). The message-queue calls have always been
/// direct on EABI; there is no `ipc` entry.
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
    /// `getrusage`.
    pub const GETRUSAGE: usize = 77;
    /// `sched_yield`.
    pub const SCHED_YIELD: usize = 158;
    /// `rt_sigreturn`.
    pub const RT_SIGRETURN: usize = 173;
    /// `rt_sigaction`.
    pub const RT_SIGACTION: usize = 174;
    /// `rt_sigprocmask`.
    pub const RT_SIGPROCMASK: usize = 175;
    /// `pread64`.
    pub const PREAD64: usize = 180;
    /// `geteuid32`.
    pub const GETEUID: usize = 201;
    /// `gettid`.
    pub const GETTID: usize = 224;
    /// `sched_getaffinity`.
    pub const SCHED_GETAFFINITY: usize = 242;
    /// `exit_group`.
    pub const EXIT_GROUP: usize = 248;
    /// `timer_create`.
    pub const TIMER_CREATE: usize = 257;
    /// `timer_settime`.
    pub const TIMER_SETTIME: usize = 258;
    /// `timer_delete`.
    pub const TIMER_DELETE: usize = 261;
    /// `clock_gettime`.
    pub const CLOCK_GETTIME: usize = 263;
    /// `tgkill`.
    pub const TGKILL: usize = 268;
    /// `msgsnd`.
    pub const MSGSND: usize = 301;
    /// `msgrcv`.
    pub const MSGRCV: usize = 302;
    /// `msgget`.
    pub const MSGGET: usize = 303;
    /// `msgctl`.
    pub const MSGCTL: usize = 304;
    /// `openat`.
    pub const OPENAT: usize = 322;
    /// `fstatat64`, which `sys::stat` calls.
    pub const STAT: usize = 327;
    /// `getcpu`.
    pub const GETCPU: usize = 345;
    /// `setns`.
    pub const SETNS: usize = 375;
    /// `getrandom`.
    pub const GETRANDOM: usize = 384;
    /// EABI has no `ipc(2)`.
    pub const IPC: Option<usize> = None;
    /// `timer_gettime`.
    pub const TIMER_GETTIME: usize = 259;
    /// `rt_sigpending`.
    pub const RT_SIGPENDING: usize = 176;
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
    pub const MKDIRAT: usize = 323;
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
    pub const CAPGET: usize = 184;
    /// `unlinkat`.
    pub const UNLINKAT: usize = 328;
    /// `renameat2`.
    pub const RENAMEAT2: usize = 382;
    /// `statx`.
    pub const STATX: usize = 397;
    /// `clock_nanosleep` (on 32-bit targets with 32-bit seconds: the fallback of `CLOCK_NANOSLEEP64` before Linux 5.1).
    pub const CLOCK_NANOSLEEP: usize = 265;
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
pub const MSQID64_DS_LAYOUT: crate::sys::abi::MsqidLayout = crate::sys::abi::GENERIC_32_LAYOUT;

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
pub const RESTORER: Option<unsafe extern "C" fn() -> !> = Some(restore_rt);

/// Where a signal handler returns to: `rt_sigreturn` (173), in ARM mode.
///
/// # Safety
///
/// Never to be called: only the kernel jumps here, when a handler installed with it returns, with the
/// signal frame it built at the stack pointer.
#[unsafe(naked)]
pub unsafe extern "C" fn restore_rt() -> ! {
    core::arch::naked_asm!("mov r7, #173", "svc 0")
}
