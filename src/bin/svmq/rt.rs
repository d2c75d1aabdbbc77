//! The tool's runtime without libc: the process calls the tool makes beyond the shared runtime of svmq's
//! libc-free programs (`src/bin/nolibc/rt.rs`: entry, arguments and environment, `read`/`write`/`exit`,
//! `mem*`, panic handler), and its large buffers.
//!
//! # Safety
//!
//! The only `unsafe` of the `svmq` binary lives here and in the shared runtime: raw system calls
//! (`openat`, `lseek`, `close`, `fcntl`, `ioctl`, `statx`, `ftruncate`, `fsync`, `renameat2`, `unlinkat`,
//! `setns`, `capget`, `clock_gettime`, `clock_nanosleep`, `rt_sigprocmask`, `getpid`) on buffers the
//! caller lends, and the one reference to the large buffers ([`big`]).
#![allow(unsafe_code)]

#[path = "../nolibc/rt.rs"]
mod nolibc;

use crate::kernel::MAX_PAYLOAD;
use core::ffi::CStr;
use core::mem::MaybeUninit;
use core::sync::atomic::{AtomicBool, Ordering};
use nolibc::decode;
pub use nolibc::{Args, exit, write_all};
use svmq::Frame;
use svmq::sys::raw::{nr, syscall0, syscall1, syscall2, syscall3, syscall4, syscall5};
use svmq::sys::{SigSet, sigset_add};

/// What the shared panic handler writes.
const PANIC_MESSAGE: &[u8] = b"svmq: internal error\n";

/// `read(fd, buf)` (the shared runtime's), kept out of line: the tool reads in half a dozen places.
#[inline(never)]
pub fn read(fd: i32, buf: &mut [u8]) -> Result<usize, i32> {
    nolibc::read(fd, buf)
}

/// Called by the shared entry: the tool's process set-up, then `main`.
fn start(args: Args) -> i32 {
    // A write to a closed pipe must be an error the tool reports (and `recv` recovers from), not a death
    // that loses a received message: SIGPIPE stays blocked, so such writes fail with EPIPE.
    block_sigpipe();
    guard_std_fds();
    crate::main(args)
}

/// The program's large buffers, in `.bss` rather than on the stack: no file size, and small stack frames
/// (on powerpc, a frame beyond 32 KiB costs instructions at every access). Only one command runs per
/// process, and it takes them once ([`big`]).
pub struct Big {
    /// A message.
    pub frame: Frame<MAX_PAYLOAD>,
    /// Another (`recv` compares a copy with what it takes).
    pub copy: Frame<MAX_PAYLOAD>,
    /// A zone file.
    pub zone: [u8; 65536],
    /// `restore`'s tables, one entry per queue.
    pub keys: [u32; 32768],
    pub ids: [u32; 32768],
    pub filled: [(u32, u32); 32768],
}

static mut BIG: MaybeUninit<Big> = MaybeUninit::zeroed();
static BIG_TAKEN: AtomicBool = AtomicBool::new(false);

/// The large buffers, zeroed. A second call is a program error (exit 134).
#[inline(never)]
pub fn big() -> &'static mut Big {
    if BIG_TAKEN.load(Ordering::Relaxed) {
        exit(134);
    }
    BIG_TAKEN.store(true, Ordering::Relaxed);
    // SAFETY: the flag makes this the only reference to BIG ever made; BIG is zeroed, and zero is a valid
    // value of every field (integers and arrays of integers: a Frame is a c_long and bytes).
    unsafe { &mut *(&raw mut BIG).cast::<Big>() }
}

/// A closed standard descriptor (`svmq recv 5 >&-`, `svmq send 5 1 - <&-`) must stay an error, and must
/// not be taken by a file the tool opens (`/etc/passwd` written to as standard output, `msg_next_id`
/// given the restore's listing): each of 0, 1, 2 that is closed becomes `/dev/null` opened the other way
/// (0 write-only, 1 and 2 read-only), so using it still fails (`EBADF`) and later opens get descriptors
/// above 2.
fn guard_std_fds() {
    while let Ok(fd) = openat(c"/dev/null", O_WRONLY, 0) {
        if fd > 2 {
            close(fd);
            break;
        }
        if fd > 0 {
            // 1 or 2: read-only instead (the lowest free descriptor is this one again).
            close(fd);
            if open_read(c"/dev/null").is_err() {
                break;
            }
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
const O_EXCL: usize = 0o200;
const O_NONBLOCK: usize = 0o4000;
/// `O_APPEND`, as `fcntl(F_GETFL)` reports it.
pub const O_APPEND: usize = 0o2000;
/// Files of 2 GiB and more on 32-bit targets (a no-op flag, 0, where `off_t` is 64-bit).
#[cfg(target_arch = "arm")]
const O_LARGEFILE: usize = 0o400000;
#[cfg(target_arch = "powerpc")]
const O_LARGEFILE: usize = 0o200000;
#[cfg(target_arch = "x86")]
const O_LARGEFILE: usize = 0o100000;
#[cfg(not(any(target_arch = "arm", target_arch = "powerpc", target_arch = "x86")))]
const O_LARGEFILE: usize = 0;

/// `openat(AT_FDCWD, path, flags | O_CLOEXEC | O_LARGEFILE, mode)`.
fn openat(path: &CStr, flags: usize, mode: usize) -> Result<i32, i32> {
    let flags = flags | O_CLOEXEC | O_LARGEFILE;
    // SAFETY: path is NUL-terminated; openat only reads it.
    let r = unsafe { syscall4(nr::OPENAT, -100isize as usize, path.as_ptr() as usize, flags, mode) };
    decode(r).map(|fd| fd as i32)
}

/// `openat(AT_FDCWD, path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)`: never waits for a FIFO's writer (the
/// caller checks what it opened with [`fstat`]).
pub fn open_read_nonblock(path: &CStr) -> Result<i32, i32> {
    openat(path, O_NONBLOCK, 0)
}

/// `openat(AT_FDCWD, path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)`: a file that did not exist.
pub fn create_new(path: &CStr) -> Result<i32, i32> {
    openat(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
}

/// `openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC)`.
#[inline(never)]
pub fn open_read(path: &CStr) -> Result<i32, i32> {
    openat(path, 0, 0)
}

/// `openat(AT_FDCWD, path, O_WRONLY | O_CLOEXEC)`: an existing file, not truncated (a sysctl).
#[inline(never)]
pub fn open_write(path: &CStr) -> Result<i32, i32> {
    openat(path, O_WRONLY, 0)
}

/// `lseek(fd, 0, SEEK_SET)`: back to the start; `ESPIPE` for a pipe or terminal.
#[inline(never)]
pub fn rewind(fd: i32) -> Result<(), i32> {
    // SAFETY: no memory is passed.
    let r = unsafe { syscall3(nr::LSEEK, fd as usize, 0, 0) };
    decode(r).map(|_| ())
}

/// `lseek(fd, 0, SEEK_CUR)`: the file offset (`EOVERFLOW` past 2 GiB on 32-bit targets).
pub fn offset(fd: i32) -> Result<u64, i32> {
    // SAFETY: no memory is passed.
    let r = unsafe { syscall3(nr::LSEEK, fd as usize, 0, 1) };
    decode(r).map(|o| o as u64)
}

/// `ftruncate(fd, len)` (a 32-bit length on 32-bit targets: `EINVAL` for 2 GiB and more).
pub fn truncate(fd: i32, len: u64) -> Result<(), i32> {
    let len = isize::try_from(len).map_err(|_| 22)?;
    // SAFETY: no memory is passed.
    let r = unsafe { syscall2(nr::FTRUNCATE, fd as usize, len as usize) };
    decode(r).map(|_| ())
}

/// `fsync(fd)`.
pub fn fsync(fd: i32) -> Result<(), i32> {
    // SAFETY: no memory is passed.
    decode(unsafe { syscall1(nr::FSYNC, fd as usize) }).map(|_| ())
}

/// `fcntl(fd, F_GETFL)`: the file status flags (`O_APPEND`, ...).
pub fn status_flags(fd: i32) -> Result<usize, i32> {
    const F_GETFL: usize = 3;
    // SAFETY: no memory is passed.
    decode(unsafe { syscall2(nr::FCNTL, fd as usize, F_GETFL) })
}

/// `renameat2(AT_FDCWD, from, AT_FDCWD, to, 0)`: `to` replaced atomically.
pub fn rename(from: &CStr, to: &CStr) -> Result<(), i32> {
    const AT_FDCWD: usize = -100isize as usize;
    // SAFETY: both paths are NUL-terminated; the call only reads them.
    let r = unsafe { syscall5(nr::RENAMEAT2, AT_FDCWD, from.as_ptr() as usize, AT_FDCWD, to.as_ptr() as usize, 0) };
    decode(r).map(|_| ())
}

/// `unlinkat(AT_FDCWD, path, 0)`.
pub fn unlink(path: &CStr) {
    // SAFETY: path is NUL-terminated; the call only reads it.
    unsafe { syscall3(nr::UNLINKAT, -100isize as usize, path.as_ptr() as usize, 0) };
}

/// What [`fstat`] tells: the file type bits of `st_mode` and the size.
#[derive(Clone, Copy)]
pub struct FileInfo {
    /// `st_mode & S_IFMT`.
    pub kind: u32,
    pub size: u64,
}

/// `S_IFREG`.
pub const S_IFREG: u32 = 0o100000;

/// `statx(fd, "", AT_EMPTY_PATH, STATX_TYPE | STATX_SIZE)`: the type and size of an open file. The
/// `statx` buffer has one layout on every architecture.
#[inline(never)]
pub fn fstat(fd: i32) -> Result<FileInfo, i32> {
    const AT_EMPTY_PATH: usize = 0x1000;
    const STATX_TYPE_SIZE: usize = 0x1 | 0x200;
    let mut buf = [0u8; 256];
    // SAFETY: buf is 256 writable bytes, struct statx's size; the path is an empty C string.
    let r = unsafe {
        syscall5(
            nr::STATX,
            fd as usize,
            c"".as_ptr() as usize,
            AT_EMPTY_PATH,
            STATX_TYPE_SIZE,
            buf.as_mut_ptr() as usize,
        )
    };
    decode(r)?;
    let mode = u16::from_ne_bytes([buf[28], buf[29]]);
    let mut size = [0u8; 8];
    size.copy_from_slice(&buf[40..48]);
    Ok(FileInfo { kind: u32::from(mode) & 0o170000, size: u64::from_ne_bytes(size) })
}

/// `ioctl(fd, TCGETS)` succeeds: `fd` is a terminal.
pub fn is_terminal(fd: i32) -> bool {
    #[cfg(target_arch = "powerpc")]
    const TCGETS: usize = 0x402c_7413; // _IOR('t', 19, struct termios): powerpc's own encoding
    #[cfg(not(target_arch = "powerpc"))]
    const TCGETS: usize = 0x5401;
    let mut termios = [0u8; 64];
    // SAFETY: termios is 64 writable bytes, more than any architecture's struct termios (44 to 60).
    let r = unsafe { syscall3(nr::IOCTL, fd as usize, TCGETS, termios.as_mut_ptr() as usize) };
    decode(r).is_ok()
}

/// `capget`: whether capability `cap` (0..=63) is in the effective set.
pub fn has_capability(cap: u32) -> bool {
    const VERSION_3: u32 = 0x2008_0522;
    let header = [VERSION_3, 0];
    let mut data = [0u32; 6]; // two __user_cap_data_struct: effective, permitted, inheritable
    // SAFETY: header is the two-word header; data the two three-word structs version 3 writes.
    let r = unsafe { syscall2(nr::CAPGET, header.as_ptr() as usize, data.as_mut_ptr() as usize) };
    let word = if cap < 32 { data[0] } else { data[3] };
    decode(r).is_ok() && word & (1 << (cap % 32)) != 0
}

/// `getpid()`.
#[inline(never)]
pub fn pid() -> i32 {
    // SAFETY: no memory is passed.
    unsafe { syscall0(nr::GETPID) as i32 }
}

/// `setns(fd, CLONE_NEWIPC)`: joins the IPC namespace `fd` refers to.
pub fn setns_ipc(fd: i32) -> Result<(), i32> {
    const CLONE_NEWIPC: usize = 0x0800_0000;
    // SAFETY: no memory is passed.
    let r = unsafe { syscall2(nr::SETNS, fd as usize, CLONE_NEWIPC) };
    decode(r).map(|_| ())
}

/// `close(fd)`.
#[inline(never)]
pub fn close(fd: i32) {
    // SAFETY: closing a descriptor this program opened.
    unsafe { syscall1(nr::CLOSE, fd as usize) };
}

/// `CLOCK_REALTIME`.
pub const REALTIME: usize = 0;
/// `CLOCK_MONOTONIC`.
pub const MONOTONIC: usize = 1;

/// `clock_gettime(clock)`: seconds and nanoseconds ((0, 0) if the clock cannot be read). 32-bit targets
/// ask `clock_gettime64` first (64-bit seconds: right after 2038), then the old call.
#[inline(never)]
pub fn now(clock: usize) -> (i64, i64) {
    if let Some(call) = nr::CLOCK_GETTIME64 {
        let mut ts = [0i64; 2];
        // SAFETY: ts is a live struct __kernel_timespec (64-bit seconds and nanoseconds), what
        // clock_gettime64 writes.
        if decode(unsafe { syscall2(call, clock, ts.as_mut_ptr() as usize) }).is_ok() {
            return (ts[0], ts[1]);
        }
    }
    let mut old = [0isize; 2];
    // SAFETY: old is a live struct timespec of `long` words, what clock_gettime writes (64-bit seconds on
    // 64-bit targets).
    if decode(unsafe { syscall2(nr::CLOCK_GETTIME, clock, old.as_mut_ptr() as usize) }).is_ok() {
        return (old[0] as i64, old[1] as i64);
    }
    (0, 0)
}

/// [`now`] in nanoseconds.
#[inline(never)]
pub fn now_ns(clock: usize) -> i64 {
    let (s, ns) = now(clock);
    s.wrapping_mul(1_000_000_000).wrapping_add(ns)
}

/// `clock_nanosleep(CLOCK_MONOTONIC, 0, ns)` (under a second); a signal ends it early. 32-bit targets
/// ask `clock_nanosleep_time64` first, then the old call (the same call on 64-bit targets).
pub fn sleep(ns: i64) {
    let ts = [0i64, ns];
    // SAFETY: ts is a live struct __kernel_timespec the call only reads; no remainder is asked for.
    if decode(unsafe { syscall4(nr::CLOCK_NANOSLEEP64, MONOTONIC, 0, ts.as_ptr() as usize, 0) }) != Err(38) {
        return;
    }
    let old = [0isize, ns as isize];
    // SAFETY: old is a live struct timespec of `long` words, what the old call reads.
    unsafe { syscall4(nr::CLOCK_NANOSLEEP, MONOTONIC, 0, old.as_ptr() as usize, 0) };
}

/// `parts` joined into `buf` as a C string; `None` if too long or if a part holds a NUL.
#[inline(never)]
pub fn cpath<'b>(buf: &'b mut [u8; 4096], parts: &[&[u8]]) -> Option<&'b CStr> {
    let mut n = 0;
    for p in parts {
        // Not `contains`: it brings in core's word-at-a-time memchr (256 bytes).
        #[allow(clippy::manual_contains)]
        if p.iter().any(|&c| c == 0) {
            return None;
        }
        buf.get_mut(n..n + p.len())?.copy_from_slice(p);
        n += p.len();
    }
    *buf.get_mut(n)? = 0;
    let bytes = buf.get(..=n)?;
    // SAFETY: `bytes` ends with the NUL just written and holds no other (each part was checked), what
    // `from_bytes_with_nul` would check again (with a search that costs 300 bytes of code).
    Some(unsafe { CStr::from_bytes_with_nul_unchecked(bytes) })
}
