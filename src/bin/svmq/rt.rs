//! The tool's runtime without libc: entry point, process syscalls, memory primitives, panic handler.
//!
//! # Safety
//!
//! The only `unsafe` of the `svmq` binary lives here: the `_start` assembly that hands the initial stack
//! to Rust, reading `argv` from that stack (the kernel's layout: argc, argv[], NULL, envp[]), raw
//! `read`/`write`/`openat`/`close`/`getrandom`/`exit_group` system calls on buffers the caller lends, and
//! the `mem*` functions compilers call.
#![allow(unsafe_code)]

use core::ffi::{CStr, c_char};
use svmq::sys::raw::{nr, syscall1, syscall3, syscall4};

/// The command line, as the kernel left it on the initial stack.
#[derive(Clone, Copy)]
pub struct Args {
    argc: usize,
    argv: *const *const c_char,
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
}

// `_start`, per architecture, from the crate's arch layer (src/sys/arch/): it calls `entry` with the
// initial stack pointer.
svmq::svmq_entry!(entry);

/// Called by `_start` with the initial stack pointer.
unsafe extern "C" fn entry(sp: *const usize) -> ! {
    // SAFETY: at process entry sp points to argc, followed by argc argv pointers and a NULL.
    let args = unsafe { Args { argc: *sp, argv: sp.add(1).cast() } };
    exit(crate::main(args))
}

fn decode(ret: usize) -> Result<usize, i32> {
    let s = ret as isize;
    if (-4095..=-1).contains(&s) { Err(-s as i32) } else { Ok(ret) }
}

/// `write(fd, buf)`, all of it (retrying short writes and EINTR).
pub fn write_all(fd: i32, mut buf: &[u8]) -> Result<(), i32> {
    while !buf.is_empty() {
        // SAFETY: buf is a live slice; write only reads it.
        let r = unsafe { syscall3(nr::WRITE, fd as usize, buf.as_ptr() as usize, buf.len()) };
        match decode(r) {
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

/// `openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC)`.
pub fn open_read(path: &CStr) -> Result<i32, i32> {
    const O_CLOEXEC: usize = 0o2000000;
    // SAFETY: path is NUL-terminated; openat only reads it.
    let r = unsafe { syscall4(nr::OPENAT, -100isize as usize, path.as_ptr() as usize, O_CLOEXEC, 0) };
    decode(r).map(|fd| fd as i32)
}

/// `close(fd)`.
pub fn close(fd: i32) {
    // SAFETY: closing a descriptor this program opened.
    unsafe { syscall1(nr::CLOSE, fd as usize) };
}

/// `getrandom(buf, 0)`: fills `buf` from the kernel's generator.
pub fn getrandom(buf: &mut [u8]) -> Result<(), i32> {
    // SAFETY: buf is an exclusive live slice of the length passed.
    let r = unsafe { syscall3(nr::GETRANDOM, buf.as_mut_ptr() as usize, buf.len(), 0) };
    decode(r).map(|_| ())
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
