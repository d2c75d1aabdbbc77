//! What a libc-free PID 1 needs beyond `rt.rs`: mounting, the clock, starting programs and waiting for
//! them, and powering the machine off. Shared by the PID 1 demo (`examples/pid1/`) and the guest test
//! runner (`tests/guest/`), both included as `#[path] mod process;` next to `rt.rs`.
//!
//! # Safety
//!
//! Raw `mount`/`mkdirat`/`clock_settime`/`clock_gettime`/`clock_nanosleep`/`clone`/`execve`/`wait4`/
//! `kill`/`setpgid`/`openat`/`close`/`reboot` system calls, on NUL-terminated strings and buffers the
//! caller lends.
#![allow(unsafe_code)]
// Each program uses what it needs of this file.
#![allow(dead_code)]

use core::ffi::{CStr, c_char};
use svmq::sys::raw::{nr, syscall0, syscall1, syscall2, syscall3, syscall4, syscall5};

fn decode(ret: usize) -> Result<usize, i32> {
    let s = ret as isize;
    if (-4095..=-1).contains(&s) { Err(-s as i32) } else { Ok(ret) }
}

/// `EEXIST`.
pub const EEXIST: i32 = 17;
/// `ESRCH`.
pub const ESRCH: i32 = 3;
/// `ECHILD`.
pub const ECHILD: i32 = 10;
/// `EINTR`.
const EINTR: i32 = 4;

/// `mkdirat(AT_FDCWD, path, mode)`; an existing directory is fine.
pub fn mkdir(path: &CStr, mode: u32) -> Result<(), i32> {
    // SAFETY: path is NUL-terminated; mkdirat only reads it.
    match decode(unsafe { syscall3(nr::MKDIRAT, -100isize as usize, path.as_ptr() as usize, mode as usize) }) {
        Ok(_) | Err(EEXIST) => Ok(()),
        Err(e) => Err(e),
    }
}

/// `mount(source, target, fstype, 0, data)`, the target made first.
pub fn mount(source: &CStr, target: &CStr, fstype: &CStr, data: Option<&CStr>) -> Result<(), i32> {
    mkdir(target, 0o755)?;
    let data = data.map_or(0, |d| d.as_ptr() as usize);
    // SAFETY: every pointer is a NUL-terminated string (or NULL data), only read by the kernel.
    let r = unsafe {
        syscall5(nr::MOUNT, source.as_ptr() as usize, target.as_ptr() as usize, fstype.as_ptr() as usize, 0, data)
    };
    decode(r).map(|_| ())
}

/// The kernel's `struct __kernel_timespec`: 64-bit seconds on every architecture.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Timespec64 {
    sec: i64,
    nsec: i64,
}

/// `CLOCK_REALTIME`.
pub const CLOCK_REALTIME: usize = 0;
/// `CLOCK_MONOTONIC`.
pub const CLOCK_MONOTONIC: usize = 1;

/// Sets the real-time clock to `secs` seconds since the epoch, past 2038 too (`clock_settime64` on
/// 32-bit architectures).
pub fn set_clock(secs: i64) -> Result<(), i32> {
    let ts = Timespec64 { sec: secs, nsec: 0 };
    // SAFETY: ts is a live __kernel_timespec (two `long long`s on every architecture for this call); the
    // kernel only reads it.
    decode(unsafe { syscall2(nr::CLOCK_SETTIME64, CLOCK_REALTIME, &ts as *const Timespec64 as usize) }).map(|_| ())
}

/// Milliseconds on `CLOCK_MONOTONIC` (the old `clock_gettime` with `long` words: the monotonic clock
/// counts from boot, far from 2038 on 32-bit architectures too).
pub fn monotonic_ms() -> u64 {
    let mut ts = [0usize; 2];
    // SAFETY: ts is a live struct timespec as this call fills it: two `long` words.
    unsafe { syscall2(nr::CLOCK_GETTIME, CLOCK_MONOTONIC, ts.as_mut_ptr() as usize) };
    ts[0] as u64 * 1000 + ts[1] as u64 / 1_000_000
}

/// Sleeps `ms` milliseconds (an interrupted sleep ends early).
pub fn sleep_ms(ms: u64) {
    let ts = Timespec64 { sec: (ms / 1000) as i64, nsec: (ms % 1000 * 1_000_000) as i64 };
    // SAFETY: ts is a live __kernel_timespec; no remaining time is asked for.
    unsafe { syscall4(nr::CLOCK_NANOSLEEP64, CLOCK_MONOTONIC, 0, &ts as *const Timespec64 as usize, 0) };
}

/// A child process, as `fork` makes it.
pub enum Forked {
    /// In the parent: the child's pid.
    Parent(i32),
    /// In the child.
    Child,
}

/// `fork()`, as `clone(SIGCHLD)` with no new stack (the only way on aarch64 and riscv64).
pub fn fork() -> Result<Forked, i32> {
    const SIGCHLD: usize = 17;
    // SAFETY: clone without CLONE_VM copies the whole address space, as fork: the child continues on its
    // own copy of this stack, and nothing is shared that either side could corrupt.
    let r = unsafe {
        if cfg!(target_arch = "s390x") {
            syscall5(nr::CLONE, 0, SIGCHLD, 0, 0, 0)
        } else {
            syscall5(nr::CLONE, SIGCHLD, 0, 0, 0, 0)
        }
    };
    decode(r).map(|pid| if pid == 0 { Forked::Child } else { Forked::Parent(pid as i32) })
}

/// `execve(path, argv, envp)`: returns only on failure.
///
/// `argv` and `envp` must be NULL-terminated arrays of NUL-terminated strings: the caller's arrays end in
/// `core::ptr::null()`, checked here.
pub fn execve(path: &CStr, argv: &[*const c_char], envp: &[*const c_char]) -> i32 {
    if argv.last().is_none_or(|p| !p.is_null()) || envp.last().is_none_or(|p| !p.is_null()) {
        return 22; // EINVAL
    }
    // SAFETY: path is NUL-terminated; argv and envp end with NULL (checked), and their pointers come from
    // the callers' NUL-terminated strings; the kernel only reads them.
    let r = unsafe { syscall3(nr::EXECVE, path.as_ptr() as usize, argv.as_ptr() as usize, envp.as_ptr() as usize) };
    decode(r).err().unwrap_or(0)
}

/// How a child ended.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// `exit(code)`.
    Exited(i32),
    /// Killed by this signal.
    Signaled(i32),
}

/// `wait4(pid, WNOHANG or blocking)`: `Ok(None)` when nothing ended yet (WNOHANG).
pub fn wait(pid: i32, nohang: bool) -> Result<Option<(i32, Status)>, i32> {
    const WNOHANG: usize = 1;
    let mut status: i32 = 0;
    loop {
        // SAFETY: status is a live int the kernel writes; no rusage is asked for.
        let r = unsafe {
            syscall4(
                nr::WAIT4,
                pid as isize as usize,
                &mut status as *mut i32 as usize,
                if nohang { WNOHANG } else { 0 },
                0,
            )
        };
        match decode(r) {
            Ok(0) => return Ok(None),
            Ok(p) => {
                let st = if status & 0x7f == 0 {
                    Status::Exited((status >> 8) & 0xff)
                } else {
                    Status::Signaled(status & 0x7f)
                };
                return Ok(Some((p as i32, st)));
            }
            Err(EINTR) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// `kill(pid, sig)` (a negative pid is a process group).
pub fn kill(pid: i32, sig: i32) -> Result<(), i32> {
    // SAFETY: no memory is passed.
    decode(unsafe { syscall2(nr::KILL, pid as isize as usize, sig as usize) }).map(|_| ())
}

/// `setpgid(0, 0)`: the calling process leads a new process group (so that all it starts can be
/// killed together).
pub fn new_process_group() {
    // SAFETY: no memory is passed.
    unsafe { syscall2(nr::SETPGID, 0, 0) };
}

/// `getpid()`.
pub fn getpid() -> i32 {
    // SAFETY: no memory is passed; getpid cannot fail.
    unsafe { syscall0(nr::GETPID) as i32 }
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

/// How to end the machine.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// `LINUX_REBOOT_CMD_POWER_OFF`: where the machine has a power-off device.
    PowerOff,
    /// `LINUX_REBOOT_CMD_RESTART`: a reset, which a virtual machine run with `-no-reboot` turns into
    /// its exit (qemu's ppce500 board has no power-off device: powering off only halts it).
    Reset,
}

/// `reboot(2)`: ends the machine. Returns only on failure (not PID 1's privilege, or no such device).
pub fn end_machine(how: End) -> i32 {
    const MAGIC1: usize = 0xfee1_dead;
    const MAGIC2: usize = 0x2812_1969;
    let cmd = match how {
        End::PowerOff => 0x4321_fedc,
        End::Reset => 0x0123_4567,
    };
    // SAFETY: no memory is passed (the command takes no argument).
    let r = unsafe { syscall4(nr::REBOOT, MAGIC1, MAGIC2, cmd, 0) };
    decode(r).err().unwrap_or(0)
}

/// One line of output to standard output, built without allocation or `core::fmt` (longer lines are
/// cut at 512 bytes); `print` writes it with its newline in one `write`.
pub struct Line {
    buf: [u8; 512],
    len: usize,
}

impl Line {
    pub fn new() -> Self {
        Self { buf: [0; 512], len: 0 }
    }

    pub fn put(&mut self, s: &str) -> &mut Self {
        self.put_bytes(s.as_bytes())
    }

    pub fn put_bytes(&mut self, s: &[u8]) -> &mut Self {
        let n = s.len().min(self.buf.len() - 1 - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s[..n]);
        self.len += n;
        self
    }

    /// A decimal integer.
    pub fn int(&mut self, v: i64) -> &mut Self {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        let mut u = v.unsigned_abs();
        loop {
            i -= 1;
            digits[i] = b'0' + (u % 10) as u8;
            u /= 10;
            if u == 0 {
                break;
            }
        }
        if v < 0 {
            self.put("-");
        }
        self.put_bytes(&digits[i..])
    }

    /// A decimal integer right-aligned in `width` columns.
    pub fn int_w(&mut self, v: i64, width: usize) -> &mut Self {
        let mut probe = Line::new();
        probe.int(v);
        for _ in probe.len..width {
            self.put(" ");
        }
        self.put_bytes(&probe.buf[..probe.len])
    }

    /// Writes the line and a newline to standard output (errors are ignored: there is no one to tell).
    pub fn print(&mut self) {
        self.buf[self.len] = b'\n';
        let mut out = &self.buf[..self.len + 1];
        while !out.is_empty() {
            // SAFETY: out is a live slice; write only reads it.
            let r = unsafe { syscall3(nr::WRITE, 1, out.as_ptr() as usize, out.len()) };
            match decode(r) {
                Ok(n) if n > 0 => out = &out[n.min(out.len())..],
                Err(EINTR) => {}
                _ => break,
            }
        }
        self.len = 0;
    }
}
