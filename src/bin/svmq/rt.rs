//! The tool's runtime without libc: the process calls the tool makes beyond the shared runtime of svmq's
//! libc-free programs (`src/bin/nolibc/rt.rs`: entry, arguments, `read`/`write`/`exit`, `mem*`, panic
//! handler).
//!
//! # Safety
//!
//! The only `unsafe` of the `svmq` binary lives here and in the shared runtime: raw
//! `openat`/`lseek`/`close`/`setns`/`getrandom`/`clock_gettime`/`rt_sigprocmask` system calls on buffers
//! the caller lends.
#![allow(unsafe_code)]

#[path = "../nolibc/rt.rs"]
mod nolibc;

use core::ffi::CStr;
use nolibc::decode;
pub use nolibc::{Args, read, write_all};
use svmq::sys::raw::{nr, syscall1, syscall2, syscall3, syscall4};
use svmq::sys::{SigSet, sigset_add};

/// What the shared panic handler writes.
const PANIC_MESSAGE: &[u8] = b"svmq: internal error\n";

/// Called by the shared entry: the tool's process set-up, then `main`.
fn start(args: Args) -> i32 {
    // A write to a closed pipe must be an error the tool reports (and `recv` recovers from), not a death
    // that loses a received message: SIGPIPE stays blocked, so such writes fail with EPIPE.
    block_sigpipe();
    guard_std_fds();
    crate::main(args)
}

/// A closed standard descriptor (`svmq recv 5 >&-`) must stay an error, and must not be taken by a file
/// the tool opens (`/etc/passwd` written to as standard output, `msg_next_id` given the restore's
/// listing): each of 0, 1, 2 that is closed becomes `/dev/null` opened read-only, so writes to it still
/// fail (`EBADF`) and later opens get descriptors above 2.
fn guard_std_fds() {
    while let Ok(fd) = open_read(c"/dev/null") {
        if fd > 2 {
            close(fd);
            break;
        }
    }
}

/// `rt_sigprocmask(SIG_BLOCK, {SIGPIPE})`. Not inherited by anything: the tool never executes programs.
fn block_sigpipe() {
    const SIG_BLOCK: usize = 0;
    const SIGPIPE: core::ffi::c_int = 13;
    let mut set = SigSet::default();
    sigset_add(&mut set, SIGPIPE);
    // SAFETY: set is a live sigset_t of the kernel's size; no old set is asked for.
    unsafe { syscall4(nr::RT_SIGPROCMASK, SIG_BLOCK, set.as_ptr() as usize, 0, size_of::<SigSet>()) };
}

const O_CLOEXEC: usize = 0o2000000;
const O_WRONLY: usize = 0o1;
const O_CREAT: usize = 0o100;
const O_TRUNC: usize = 0o1000;

/// `openat(AT_FDCWD, path, flags | O_CLOEXEC, mode)`.
fn openat(path: &CStr, flags: usize, mode: usize) -> Result<i32, i32> {
    // SAFETY: path is NUL-terminated; openat only reads it.
    let r = unsafe { syscall4(nr::OPENAT, -100isize as usize, path.as_ptr() as usize, flags | O_CLOEXEC, mode) };
    decode(r).map(|fd| fd as i32)
}

/// `openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC)`.
pub fn open_read(path: &CStr) -> Result<i32, i32> {
    openat(path, 0, 0)
}

/// `openat(AT_FDCWD, path, O_WRONLY | O_CLOEXEC)`: an existing file, not truncated (a sysctl).
pub fn open_write(path: &CStr) -> Result<i32, i32> {
    openat(path, O_WRONLY, 0)
}

/// `openat(AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)`: a new or emptied file only
/// its owner reads (a dump holds the messages).
pub fn create(path: &CStr) -> Result<i32, i32> {
    openat(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
}

/// `lseek(fd, 0, SEEK_SET)`: back to the start; `ESPIPE` for a pipe or terminal.
pub fn rewind(fd: i32) -> Result<(), i32> {
    // SAFETY: no memory is passed.
    let r = unsafe { syscall3(nr::LSEEK, fd as usize, 0, 0) };
    decode(r).map(|_| ())
}

/// `setns(fd, CLONE_NEWIPC)`: joins the IPC namespace `fd` refers to.
pub fn setns_ipc(fd: i32) -> Result<(), i32> {
    const CLONE_NEWIPC: usize = 0x0800_0000;
    // SAFETY: no memory is passed.
    let r = unsafe { syscall2(nr::SETNS, fd as usize, CLONE_NEWIPC) };
    decode(r).map(|_| ())
}

/// `close(fd)`.
pub fn close(fd: i32) {
    // SAFETY: closing a descriptor this program opened.
    unsafe { syscall1(nr::CLOSE, fd as usize) };
}

/// `getrandom(buf, GRND_NONBLOCK)`: fills `buf` from the kernel's generator, or `EAGAIN` while it is
/// not yet initialized (early boot) instead of blocking. A short fill is `EAGAIN` too.
pub fn getrandom(buf: &mut [u8]) -> Result<(), i32> {
    const GRND_NONBLOCK: usize = 1;
    // SAFETY: buf is an exclusive live slice of the length passed.
    let r = unsafe { syscall3(nr::GETRANDOM, buf.as_mut_ptr() as usize, buf.len(), GRND_NONBLOCK) };
    match decode(r) {
        Ok(n) if n == buf.len() => Ok(()),
        Ok(_) => Err(11),
        Err(e) => Err(e),
    }
}

/// `clock_gettime(CLOCK_MONOTONIC)` nanoseconds folded to 64 bits (entropy for a fallback key, not a clock).
pub fn clock_bits() -> u64 {
    const CLOCK_MONOTONIC: usize = 1;
    let mut ts = [0usize; 2];
    // SAFETY: ts is a live struct timespec as this call fills it: two words, `long` seconds and
    // nanoseconds (the 32-bit targets' old clock_gettime uses 32-bit words too).
    unsafe { syscall2(nr::CLOCK_GETTIME, CLOCK_MONOTONIC, ts.as_mut_ptr() as usize) };
    (ts[0] as u64).wrapping_mul(1_000_000_007) ^ ts[1] as u64
}
