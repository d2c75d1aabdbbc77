//! Linux System V message queues with no libc underneath.
//!
//! svmq issues `msgget`, `msgsnd`, `msgrcv`, `msgctl` (and `newfstatat`, for [`ftok`]) as raw system
//! calls through the [`sc`] crate, on x86_64 and aarch64 Linux. It is `#![no_std]` and never allocates:
//! messages live in fixed-capacity [`heapless`] buffers ([`Message`]) or in the kernel's own layout
//! ([`Frame`], zero-copy). Queues it makes are the same kernel objects that glibc's `msgsnd`, Python's
//! `sysv_ipc` and util-linux's `ipcs` see.
//!
//! ```
//! use svmq::{Message, MsgType, Queue, Select};
//!
//! const PING: MsgType = MsgType::new(10).unwrap();
//! let q = Queue::private(0o600)?;                       // msgget(IPC_PRIVATE, 0600)
//! q.send(&Message::<64>::new(PING, b"ping")?)?;         // msgsnd
//! let m: Message<64> = q.recv(Select::Exactly(PING))?;  // msgrcv(..., 10, 0)
//! assert_eq!(m.data(), b"ping");
//! assert_eq!(q.stat()?.qnum, 0);                        // msgctl(IPC_STAT)
//! q.remove()?;                                          // msgctl(IPC_RMID)
//! # Ok::<(), svmq::Errno>(())
//! ```
//!
//! Where things live: [`Queue`] (open, send, receive, status, settings, removal), [`Message`],
//! [`Frame`] and [`Select`] (what is sent and which message is received), [`Key`] and [`ftok`],
//! [`limits`], [`usage`] and [`queues`] (system-wide), [`Spin`] (low-latency receive),
//! [`Queue::recv_timeout`] and [`set_timeout_signal`] (deadline receive and send), [`Errno`].
//! The raw layer, typed system calls for this API and for programs without libc, is [`sys`]; the C ABI
//! is [`capi`] (exported as `svmq_*` symbols, see `include/svmq.h`).
//!
//! # Safe and unsafe
//!
//! Every safe function of this crate is sound for every argument value (the README's "Layers" section
//! lists what is public and why). `unsafe` code is denied at the crate root and allowed in two places
//! only: `src/sys/` (the system calls, the kernel structs, the timeout signal's handler and restorer)
//! and `src/capi.rs` (turning C pointers into references). The `unsafe fn`s of the public API are the
//! ones taking raw pointers ([`sys::msgsnd`], [`sys::msgrcv`] and their `_kernel_ret` forms, the
//! `svmq_*` functions) and the system call instruction ([`sys::raw`]).
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)]
#![deny(missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks)]

#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "aarch64",
    target_arch = "x86",
    target_arch = "arm",
    target_arch = "riscv64",
    target_arch = "powerpc",
    target_arch = "s390x"
)))]
compile_error!("svmq supports Linux on x86_64, aarch64, i686, armv7, riscv64, powerpc and s390x");
#[cfg(not(target_os = "linux"))]
compile_error!("svmq supports Linux only");

pub mod capi;
mod errno;
mod errno_table;
mod key;
mod message;
mod queue;
mod spin;
pub mod sys;
mod system;
mod timed;

pub use errno::{Errno, retry_on_intr};
pub use key::{Key, ftok};
pub use message::{Message, MsgType, RecvFlags, Select, SendFlags};
pub use queue::{Queue, Settings, Status};
pub use spin::Spin;
pub use sys::abi::Frame;
pub use system::{Limits, Queues, StatCommand, Usage, limits, queues, stat_index, usage};
pub use timed::{DEFAULT_TIMEOUT_SIGNAL, TIMEOUT_SIGNALS, set_timeout_signal, timeout_signal};

/// With the `c-staticlib` feature the crate stands alone as a `no_std` static library for C: a panic
/// (none is expected: the C ABI is written not to panic) ends the process with status 134, as `abort`.
#[cfg(all(feature = "c-staticlib", not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    sys::exit_group(134)
}
