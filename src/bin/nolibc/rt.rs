//! The runtime every libc-free program of svmq shares (the `svmq` tool, the PID 1 demo
//! `examples/pid1/`, the guest test runner `tests/guest/`): the process entry, the command line and
//! environment from the initial stack, `read`/`write`/`exit_group`, the panic handler, and the `mem*`
//! functions compilers call.
//!
//! A program includes this file as a child module of its own runtime module (`#[path] mod nolibc;`),
//! which provides two items: `fn start(args: Args) -> i32`, called by the entry (its result is the exit
//! status), and `const PANIC_MESSAGE: &[u8]`, what the panic handler writes to standard error.
//!
//! # Safety
//!
//! The `unsafe` here: the `_start` assembly that hands the initial stack to Rust, reading that stack (the
//! kernel's layout: argc, argv[], NULL, envp[], NULL, auxiliary vector), raw `read`/`write`/`exit_group`
//! system calls on buffers the caller lends, and the `mem*` functions.
#![allow(unsafe_code)]
// Each program uses what it needs of this file.
#![allow(dead_code)]

use core::ffi::{CStr, c_char};
use svmq::sys::raw::{nr, syscall1, syscall3};

/// The command line and environment, as the kernel left them on the initial stack.
#[derive(Clone, Copy)]
pub struct Args {
    argc: usize,
    argv: *const *const c_char,
    envp: *const *const c_char,
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

    /// The environment as the kernel passed it, NULL-terminated (for `execve`).
    pub fn envp(&self) -> *const *const c_char {
        self.envp
    }

    /// The value of environment variable `name` (the part after `name=`).
    pub fn env(&self, name: &[u8]) -> Option<&'static [u8]> {
        let mut i = 0;
        loop {
            // SAFETY: envp is the kernel's NULL-terminated array of NUL-terminated strings, alive for the
            // whole process; reading stops at its NULL.
            let p = unsafe { *self.envp.add(i) };
            if p.is_null() {
                return None;
            }
            // SAFETY: as above, p is a valid NUL-terminated string.
            let s = unsafe { CStr::from_ptr(p) }.to_bytes();
            if let Some(v) = s.strip_prefix(name).and_then(|rest| rest.strip_prefix(b"=")) {
                return Some(v);
            }
            i += 1;
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
        let envp = sp.add(argc + 2);
        let mut p = envp;
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
        Args { argc, argv: sp.add(1).cast(), envp: envp.cast(), at_random }
    };
    exit(super::start(args))
}

/// A raw system call result: `-4095..=-1` is `Err(errno)`.
pub fn decode(ret: usize) -> Result<usize, i32> {
    let s = ret as isize;
    if (-4095..=-1).contains(&s) { Err(-s as i32) } else { Ok(ret) }
}

/// `EINTR`.
pub const EINTR: i32 = 4;
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
            Err(EINTR) => {}
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
            Err(EINTR) => continue,
            other => return other,
        }
    }
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
    let _ = write_all(2, super::PANIC_MESSAGE);
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
