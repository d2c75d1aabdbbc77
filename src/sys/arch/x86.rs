//! i686 (`target_arch = "x86"`): 32-bit, little-endian, the generic 32-bit layouts with a 16-bit
//! `mode_t`. Runs natively on x86_64 kernels through the compat layer.
//!
//! `sc` 0.2.7's x86 module uses the removed `llvm_asm!`, so the `int 0x80` wrapper is here. `ebx`, `esi`
//! and `ebp` cannot be asm operands (LLVM keeps them), so the arguments are loaded from memory inside
//! the asm block, with those registers saved and restored around the call.

/// System call numbers (`arch/x86/entry/syscalls/syscall_32.tbl`). The direct message-queue calls
/// (399-402) exist since Linux 5.1; before that only `ipc` (117).
#[allow(missing_docs)]
pub mod nr {
    pub const EXIT_GROUP: usize = 252;
    pub const READ: usize = 3;
    pub const WRITE: usize = 4;
    pub const CLOSE: usize = 6;
    pub const LSEEK: usize = 19;
    pub const GETPID: usize = 20;
    pub const GETRUSAGE: usize = 77;
    pub const IPC: Option<usize> = Some(117);
    pub const SCHED_YIELD: usize = 158;
    pub const RT_SIGRETURN: usize = 173;
    pub const RT_SIGACTION: usize = 174;
    pub const RT_SIGPROCMASK: usize = 175;
    pub const PREAD64: usize = 180;
    pub const GETEUID: usize = 201; // geteuid32
    pub const GETTID: usize = 224;
    pub const SCHED_GETAFFINITY: usize = 242;
    pub const TIMER_CREATE: usize = 259;
    pub const TIMER_SETTIME: usize = 260;
    pub const TIMER_DELETE: usize = 263;
    pub const CLOCK_GETTIME: usize = 265;
    pub const TGKILL: usize = 270;
    pub const OPENAT: usize = 295;
    pub const STAT: usize = 300; // fstatat64
    pub const GETCPU: usize = 318;
    pub const SETNS: usize = 346;
    pub const GETRANDOM: usize = 355;
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
    pub const CAPGET: usize = 184;
    pub const UNLINKAT: usize = 301;
    pub const RENAMEAT2: usize = 353;
    pub const STATX: usize = 383;
    /// Linux 5.1+; before it, `CLOCK_GETTIME` (32-bit seconds).
    pub const CLOCK_GETTIME64: usize = 403;
    pub const CLOCK_NANOSLEEP: usize = 267;
    /// Linux 5.1+; before it, `CLOCK_NANOSLEEP` (32-bit seconds).
    pub const CLOCK_NANOSLEEP64: usize = 407;
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
pub const MSQID64_DS_LAYOUT: crate::sys::arch::MsqidLayout = crate::sys::abi::GENERIC_32_LAYOUT;

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
#[doc(hidden)]
#[macro_export]
macro_rules! svmq_entry {
    ($entry:path) => {
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
pub const RESTORER: Option<extern "C" fn() -> !> = Some(restore_rt);

/// Where a signal handler returns to: `rt_sigreturn` (173), for the rt frame that `SA_SIGINFO` asks for.
/// (Without `SA_SIGINFO` the kernel builds the old frame, which only `sigreturn` (119) unwinds: this
/// restorer then returned to eip 0.)
#[unsafe(naked)]
pub extern "C" fn restore_rt() -> ! {
    core::arch::naked_asm!("mov eax, 173", "int 0x80")
}
