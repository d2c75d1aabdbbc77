//! aarch64: the generic 64-bit layouts and syscall table; system calls through `sc`.

pub use sc::{syscall0, syscall1, syscall2, syscall3, syscall4, syscall5, syscall6};

/// System call numbers (include/uapi/asm-generic/unistd.h).
pub mod nr {
    pub use crate::sys::arch::generic_nr::*;
}

/// The direct `msgctl` always speaks `IPC_64` (no `ARCH_WANT_IPC_PARSE_VERSION`): the flag is refused.
pub const MSGCTL_CMD_FLAGS: core::ffi::c_int = 0;
/// No multiplexer.
pub const IPC_MSGCTL_CMD_FLAGS: core::ffi::c_int = 0;

/// `struct ipc64_perm` (asm-generic/ipcbuf.h, 64-bit).
pub type Ipc64Perm = crate::sys::abi::Ipc64PermGeneric64;
/// One `long` per time.
pub type Time = crate::sys::abi::TimeLong;
/// asm-generic/msgbuf.h, 64-bit branch.
pub const MSQID64_DS_LAYOUT: crate::sys::abi::MsqidLayout = crate::sys::abi::GENERIC_64_LAYOUT;

/// `newfstatat` fills asm-generic `struct stat` (128 bytes): `st_ino` is the second 64-bit word.
pub const STAT_INO_WORD: usize = 1;
/// Size of that `struct stat`.
pub const STAT_SIZE: usize = 128;

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
            "mov x29, xzr",
            "mov x30, xzr",
            "mov x0, sp",
            "and sp, x0, #-16",
            "bl {entry}",
            "brk #0",
            entry = sym $entry,
        );
    };
}

/// `SA_RESTORER`: the kernel returns from a signal handler through `sa_restorer`.
pub const SA_RESTORER: core::ffi::c_ulong = 0x0400_0000;
/// The `sa_restorer` svmq installs with its timeout signal's handler.
pub const RESTORER: Option<unsafe extern "C" fn() -> !> = Some(restore_rt);

/// Where a signal handler returns to (x30): `rt_sigreturn` (139).
///
/// # Safety
///
/// Never to be called: only the kernel jumps here, when a handler installed with it returns, with the
/// signal frame it built at the stack pointer.
#[unsafe(naked)]
pub unsafe extern "C" fn restore_rt() -> ! {
    core::arch::naked_asm!("mov x8, #139", "svc #0")
}
