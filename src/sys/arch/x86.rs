//! i686 (`target_arch = "x86"`): 32-bit, little-endian, the generic 32-bit layouts with a 16-bit
//! `mode_t`. Runs natively on x86_64 kernels through the compat layer.
//!
//! `sc` 0.2.7's x86 module uses the removed `llvm_asm!`, so the `int 0x80` wrapper is here. `ebx`, `esi`
//! and `ebp` cannot be asm operands (LLVM keeps them), so the arguments are loaded from memory inside
//! the asm block, with those registers saved and restored around the call.

/// System call numbers (`arch/x86/entry/syscalls/syscall_32.tbl`). The direct message-queue calls
/// (399-402) exist since Linux 5.1; before that only `ipc` (117).
pub mod nr {
    /// `exit_group`.
    pub const EXIT_GROUP: usize = 252;
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
    /// `ipc(2)`, the multiplexer of the System V IPC calls (`None`: this architecture has none).
    pub const IPC: Option<usize> = Some(117);
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
    /// `timer_create`.
    pub const TIMER_CREATE: usize = 259;
    /// `timer_settime`.
    pub const TIMER_SETTIME: usize = 260;
    /// `timer_delete`.
    pub const TIMER_DELETE: usize = 263;
    /// `clock_gettime`.
    pub const CLOCK_GETTIME: usize = 265;
    /// `tgkill`.
    pub const TGKILL: usize = 270;
    /// `openat`.
    pub const OPENAT: usize = 295;
    /// `fstatat64`, which `sys::stat` calls.
    pub const STAT: usize = 300;
    /// `getcpu`.
    pub const GETCPU: usize = 318;
    /// `setns`.
    pub const SETNS: usize = 346;
    /// `getrandom`.
    pub const GETRANDOM: usize = 355;
    /// `msgget`.
    pub const MSGGET: usize = 399;
    /// `msgsnd`.
    pub const MSGSND: usize = 400;
    /// `msgrcv`.
    pub const MSGRCV: usize = 401;
    /// `msgctl`.
    pub const MSGCTL: usize = 402;
    /// `timer_gettime`.
    pub const TIMER_GETTIME: usize = 261;
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
    pub const MKDIRAT: usize = 296;
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
    pub const UNLINKAT: usize = 301;
    /// `renameat2`.
    pub const RENAMEAT2: usize = 353;
    /// `statx`.
    pub const STATX: usize = 383;
    /// `clock_nanosleep` (on 32-bit targets with 32-bit seconds: the fallback of `CLOCK_NANOSLEEP64` before Linux 5.1).
    pub const CLOCK_NANOSLEEP: usize = 267;
}

/// The direct `msgctl` (5.1+, `compat_sys_msgctl` on x86_64 kernels) always speaks `IPC_64`; the
/// flag is refused.
pub const MSGCTL_CMD_FLAGS: core::ffi::c_int = 0;
/// Through `ipc(2)` the command carries the version: `IPC_64` asks for `msqid64_ds`.
pub const IPC_MSGCTL_CMD_FLAGS: core::ffi::c_int = 0x100;

/// `struct ipc64_perm` (asm-generic/ipcbuf.h, 32-bit, `__kernel_mode_t` 16 bits).
pub type Ipc64Perm = crate::sys::abi::Ipc64PermGeneric32;
/// Each time is two `unsigned long`s, low word first.
pub type Time = crate::sys::abi::TimeLoHi;
/// asm-generic/msgbuf.h, 32-bit branch.
pub const MSQID64_DS_LAYOUT: crate::sys::abi::MsqidLayout = crate::sys::abi::GENERIC_32_LAYOUT;

/// `fstatat64` fills `struct stat64` (96 bytes): `st_dev` is the first 64-bit word, the 64-bit `st_ino`
/// is at offset 88.
pub const STAT_INO_WORD: usize = 11;
/// Size of `struct stat64`.
pub const STAT_SIZE: usize = 96;

/// The system call instruction with up to six arguments.
///
/// # Safety
///
/// As for the system call `n` with these arguments.
#[inline]
pub unsafe fn syscall6(n: usize, a1: usize, a2: usize, a3: usize, a4: usize, a5: usize, a6: usize) -> usize {
    let args = [a1, a2, a3, a4, a5, a6];
    let ret: usize;
    // SAFETY: the caller vouches for the system call; the block saves and restores every register it
    // touches that is not declared (ebx, esi, ebp) and reads the six argument words through edi, which
    // points to `args`, alive for the whole block.
    unsafe {
        core::arch::asm!(
            "push ebp",
            "push ebx",
            "push esi",
            "mov ebx, [edi]",
            "mov ecx, [edi + 4]",
            "mov edx, [edi + 8]",
            "mov esi, [edi + 12]",
            "mov ebp, [edi + 20]",
            "mov edi, [edi + 16]",
            "int 0x80",
            "pop esi",
            "pop ebx",
            "pop ebp",
            inlateout("eax") n => ret,
            inout("edi") args.as_ptr() => _,
            out("ecx") _,
            out("edx") _,
        );
    }
    ret
}

crate::sys::arch::fewer_args_via_syscall6!();

/// `_start` for programs without a C runtime: calls `$entry(initial stack pointer)` (cdecl: on the
/// stack, which is 16-byte aligned at the call).
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
            "xor ebp, ebp",
            "mov eax, esp",
            "and esp, -16",
            "sub esp, 12",
            "push eax",
            "call {entry}",
            "ud2",
            entry = sym $entry,
        );
    };
}

/// `SA_RESTORER`: the kernel returns from a signal handler through `sa_restorer` (without it, through the
/// vDSO, which a process may lack).
pub const SA_RESTORER: core::ffi::c_ulong = 0x0400_0000;
/// The `sa_restorer` svmq installs with its timeout signal's handler.
pub const RESTORER: Option<unsafe extern "C" fn() -> !> = Some(restore_rt);

/// Where a signal handler returns to: `rt_sigreturn` (173), for the rt frame that `SA_SIGINFO` asks for.
/// (Without `SA_SIGINFO` the kernel builds the old frame, which only `sigreturn` (119) unwinds: this
/// restorer then returned to eip 0.)
///
/// # Safety
///
/// Never to be called: only the kernel jumps here, when a handler installed with it returns, with the
/// signal frame it built at the stack pointer.
#[unsafe(naked)]
pub unsafe extern "C" fn restore_rt() -> ! {
    core::arch::naked_asm!("mov eax, 173", "int 0x80")
}
