//! Every architecture fact svmq depends on, one file per architecture (as rustix's
//! `backend/linux_raw/arch/`): system call numbers, the system call instruction, the kernel's struct
//! layouts that differ between architectures, `IPC_64` handling, and the process entry point used by
//! programs without a C runtime. Nothing outside this directory is architecture-specific.
//!
//! Each file provides the same items:
//!
//! - `nr`: system call numbers (`nr::IPC` is `Some` where the `ipc(2)` multiplexer exists);
//! - `syscall0` ..= `syscall6`: the instruction, returning the raw register (`-4095..=-1` is `-errno`);
//! - `MSGCTL_CMD_FLAGS` / `IPC_MSGCTL_CMD_FLAGS`: what must be OR-ed into a `msgctl` command for the
//!   direct system call and for the `ipc(2)` multiplexer to speak the 64-bit (`IPC_64`) layouts;
//! - `Ipc64Perm` and `Time`, the pieces of `struct msqid64_ds` that differ, and `MSQID64_DS_LAYOUT`,
//!   its size and field offsets as the kernel headers give them (asserted in `abi.rs`);
//! - `STAT_INO_WORD`, `STAT_SIZE`: where `st_ino` is in the `struct stat`/`stat64` that `nr::STAT` fills;
//! - `SA_RESTORER`, `RESTORER`: the signal restorer (`restore_rt`) where the architecture honours one
//!   (riscv64 has no `RESTORER`: its `struct sigaction` has no field for one);
//! - `svmq_entry!`: a `_start` for programs without a C runtime (the `svmq` tool).
//!
//! The module is private: what programs built on svmq need of it is re-exported as [`crate::sys::raw`]
//! (numbers, instruction), in [`crate::sys::abi`] (layouts, `IPC_64` rule, `stat` facts) and as the
//! `svmq_entry!` macro. Adding an architecture means adding one file here and one line below.
#![allow(unsafe_code)]

/// Defines `syscall0` ..= `syscall5` over the architecture's `syscall6` (for the architectures whose
/// instruction wrapper is written here rather than taken from `sc`).
#[allow(unused_macros)]
macro_rules! fewer_args_via_syscall6 {
    () => {
        /// The system call instruction, no argument.
        ///
        /// # Safety
        ///
        /// As for the system call `n`.
        #[inline]
        pub unsafe fn syscall0(n: usize) -> usize {
            // SAFETY: forwarded; unused argument registers carry 0.
            unsafe { syscall6(n, 0, 0, 0, 0, 0, 0) }
        }
        /// The system call instruction, one argument.
        ///
        /// # Safety
        ///
        /// As for the system call `n` with this argument.
        #[inline]
        pub unsafe fn syscall1(n: usize, a1: usize) -> usize {
            // SAFETY: forwarded; unused argument registers carry 0.
            unsafe { syscall6(n, a1, 0, 0, 0, 0, 0) }
        }
        /// The system call instruction, two arguments.
        ///
        /// # Safety
        ///
        /// As for the system call `n` with these arguments.
        #[inline]
        pub unsafe fn syscall2(n: usize, a1: usize, a2: usize) -> usize {
            // SAFETY: forwarded; unused argument registers carry 0.
            unsafe { syscall6(n, a1, a2, 0, 0, 0, 0) }
        }
        /// The system call instruction, three arguments.
        ///
        /// # Safety
        ///
        /// As for the system call `n` with these arguments.
        #[inline]
        pub unsafe fn syscall3(n: usize, a1: usize, a2: usize, a3: usize) -> usize {
            // SAFETY: forwarded; unused argument registers carry 0.
            unsafe { syscall6(n, a1, a2, a3, 0, 0, 0) }
        }
        /// The system call instruction, four arguments.
        ///
        /// # Safety
        ///
        /// As for the system call `n` with these arguments.
        #[inline]
        pub unsafe fn syscall4(n: usize, a1: usize, a2: usize, a3: usize, a4: usize) -> usize {
            // SAFETY: forwarded; unused argument registers carry 0.
            unsafe { syscall6(n, a1, a2, a3, a4, 0, 0) }
        }
        /// The system call instruction, five arguments.
        ///
        /// # Safety
        ///
        /// As for the system call `n` with these arguments.
        #[inline]
        pub unsafe fn syscall5(n: usize, a1: usize, a2: usize, a3: usize, a4: usize, a5: usize) -> usize {
            // SAFETY: forwarded; unused argument registers carry 0.
            unsafe { syscall6(n, a1, a2, a3, a4, a5, 0) }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use fewer_args_via_syscall6;

#[cfg(any(target_arch = "aarch64", target_arch = "riscv64"))]
pub mod generic_nr;

#[cfg(target_arch = "x86_64")]
#[path = "x86_64.rs"]
mod imp;

#[cfg(target_arch = "aarch64")]
#[path = "aarch64.rs"]
mod imp;

#[cfg(target_arch = "x86")]
#[path = "x86.rs"]
mod imp;

#[cfg(target_arch = "arm")]
#[path = "arm.rs"]
mod imp;

#[cfg(target_arch = "riscv64")]
#[path = "riscv64.rs"]
mod imp;

#[cfg(target_arch = "powerpc")]
#[path = "powerpc.rs"]
mod imp;

#[cfg(target_arch = "s390x")]
#[path = "s390x.rs"]
mod imp;

pub use imp::*;
