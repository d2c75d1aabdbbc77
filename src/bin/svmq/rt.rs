//! The tool's runtime without libc: entry point, process syscalls, memory primitives, panic handler.
//!
//! # Safety
//!
//! The only `unsafe` of the `svmq` binary lives here: the `_start` assembly that hands the initial stack
//! to Rust, reading `argv` from that stack (the kernel's layout: argc, argv[], NULL, envp[]), raw
//! `read`/`write`/`openat`/`lseek`/`close`/`setns`/`getrandom`/`clock_gettime`/`rt_sigprocmask`/`exit_group`
//! system calls on buffers the caller lends, reading the auxiliary vector, and
//! the `mem*` functions compilers call.
#![allow(unsafe_code)]

use core::ffi::{CStr, c_char};
use svmq::sys::raw::{nr, syscall1, syscall2, syscall3, syscall4};
use svmq::sys::{SigSet, sigset_add};

/// The command line, as the kernel left it on the initial stack.
#[derive(Clone, Copy)]
pub struct Args {
    argc: usize,
    argv: *const *const c_char,
    /// The 16 random bytes the kernel put at `AT_RANDOM` in the auxiliary vector (0 if absent).
    at_random: *const u8,
}

impl Args {
    /// Number of arguments, program name included.
    pub fn len(&self) -> usize {
        self.argc
    }

    /// Argument `i`, if present.
    pub fn get(&self, i: usize) -> Option<&'static CStr> {
        if i >= self.argc {
            return None;
        }
        // SAFETY: the kernel guarantees argv[0..argc] are valid NUL-terminated strings that live as long
        // as the process, and i < argc.
        unsafe {
            let p = *self.argv.add(i);
            if p.is_null() { None } else { Some(CStr::from_ptr(p)) }
        }
    }

    /// The kernel's 16 `AT_RANDOM` bytes (zeros if the auxiliary vector has none).
    pub fn at_random(&self) -> [u8; 16] {
        let mut b = [0u8; 16];
        if !self.at_random.is_null() {
            // SAFETY: AT_RANDOM points to 16 bytes the kernel placed on the initial stack, which lives as
            // long as the process.
            b.copy_from_slice(unsafe { core::slice::from_raw_parts(self.at_random, 16) });
        }
        b
    }
}

// `_start`, per architecture, from the crate's arch layer (src/sys/arch/): it calls `entry` with the
// initial stack pointer.
svmq::svmq_entry!(entry);

/// Called by `_start` with the initial stack pointer.
unsafe extern "C" fn entry(sp: *const usize) -> ! {
    const AT_RANDOM: usize = 25;
    // SAFETY: at process entry sp points to argc, followed by argc argv pointers and a NULL, the
    // environment pointers and a NULL, then the auxiliary vector's (type, value) pairs ending with type 0.
    let args = unsafe {
        let argc = *sp;
        let mut p = sp.add(argc + 2);
        while *p != 0 {
            p = p.add(1);
        }
        p = p.add(1);
        let mut at_random = core::ptr::null();
        while *p != 0 {
            if *p == AT_RANDOM {
                at_random = *p.add(1) as *const u8;
            }
            p = p.add(2);
        }
        Args { argc, argv: sp.add(1).cast(), at_random }
    };
    // A write to a closed pipe must be an error the tool reports (and `recv` recovers from), not a death
    // that loses a received message: SIGPIPE stays blocked, so such writes fail with EPIPE.
    block_sigpipe();
    guard_std_fds();
    exit(crate::main(args))
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

fn decode(ret: usize) -> Result<usize, i32> {
    let s = ret as isize;
    if (-4095..=-1).contains(&s) { Err(-s as i32) } else { Ok(ret) }
}

/// `EIO`: what [`write_all`] reports when `write` makes no progress.
pub const EIO: i32 = 5;

/// `write(fd, buf)`, all of it (retrying short writes and EINTR). A `write` that returns 0 for a
/// non-empty buffer makes no progress and never will: `EIO`, rather than a loop forever.
pub fn write_all(fd: i32, mut buf: &[u8]) -> Result<(), i32> {
    while !buf.is_empty() {
        // SAFETY: buf is a live slice; write only reads it.
        let r = unsafe { syscall3(nr::WRITE, fd as usize, buf.as_ptr() as usize, buf.len()) };
        match decode(r) {
            Ok(0) => return Err(EIO),
            Ok(n) => buf = buf.get(n..).unwrap_or(&[]),
            Err(4) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// `read(fd, buf)`: bytes read, 0 at end of file.
pub fn read(fd: i32, buf: &mut [u8]) -> Result<usize, i32> {
    loop {
        // SAFETY: buf is an exclusive live slice; read writes at most buf.len() bytes into it.
        let r = unsafe { syscall3(nr::READ, fd as usize, buf.as_mut_ptr() as usize, buf.len()) };
        match decode(r) {
            Err(4) => continue,
            other => return other,
        }
    }
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

/// `exit_group(code)`.
pub fn exit(code: i32) -> ! {
    loop {
        // SAFETY: exit_group does not return.
        unsafe { syscall1(nr::EXIT_GROUP, code as usize) };
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    let _ = write_all(2, b"svmq: internal error\n");
    exit(134)
}

// The memory primitives the compiler emits calls to. Written as plain byte loops in a `no_builtins`
// crate, so the compiler does not turn them back into calls to themselves.

/// `memcpy`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    let mut i = 0;
    while i < n {
        // SAFETY: the caller guarantees dst and src cover n bytes and do not overlap.
        unsafe { *dst.add(i) = *src.add(i) };
        i += 1;
    }
    dst
}

/// `memmove`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    if (dst as usize) <= (src as usize) {
        let mut i = 0;
        while i < n {
            // SAFETY: dst and src cover n bytes; copying forward is safe when dst is below src.
            unsafe { *dst.add(i) = *src.add(i) };
            i += 1;
        }
    } else {
        let mut i = n;
        while i > 0 {
            i -= 1;
            // SAFETY: as above, copying backward when dst is above src.
            unsafe { *dst.add(i) = *src.add(i) };
        }
    }
    dst
}

/// `memset`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memset(dst: *mut u8, c: i32, n: usize) -> *mut u8 {
    let mut i = 0;
    while i < n {
        // SAFETY: the caller guarantees dst covers n bytes.
        unsafe { *dst.add(i) = c as u8 };
        i += 1;
    }
    dst
}

/// `memcmp`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i < n {
        // SAFETY: the caller guarantees a and b cover n bytes.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
        i += 1;
    }
    0
}

/// `bcmp`: like `memcmp`, only equality matters.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: same contract as memcmp.
    unsafe { memcmp(a, b, n) }
}

/// Precompiled `core` refers to the unwinding personality routine; with `panic = "abort"` nothing
/// unwinds, so it is never called.
#[unsafe(no_mangle)]
pub extern "C" fn rust_eh_personality() {}

/// ARM EHABI's personality routines, which the unwind tables of precompiled `core` refer to. With
/// `panic = "abort"` nothing unwinds, so they are never called.
#[cfg(target_arch = "arm")]
#[unsafe(no_mangle)]
pub extern "C" fn __aeabi_unwind_cpp_pr0() {}

/// See [`__aeabi_unwind_cpp_pr0`].
#[cfg(target_arch = "arm")]
#[unsafe(no_mangle)]
pub extern "C" fn __aeabi_unwind_cpp_pr1() {}

/// `strlen` (`CStr::to_bytes` calls it).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn strlen(s: *const u8) -> usize {
    let mut n = 0;
    // SAFETY: the caller guarantees s is NUL-terminated.
    while unsafe { *s.add(n) } != 0 {
        n += 1;
    }
    n
}
