//! The raw layer: one typed wrapper per system call, for the safe API above it and for programs that
//! have no C library either (the `svmq` tool, programs run as PID 1).
//!
//! # What is public, and why it is sound
//!
//! - [`abi`]: the kernel's structs and constants, plain data (every bit pattern of every struct is a
//!   valid value; nothing in it can be used to reach memory).
//! - [`raw`]: the system call numbers and the `unsafe` instruction (`syscall0` ..= `syscall6`): a
//!   program without libc makes its other system calls there, in its own `unsafe` code.
//! - The typed message-queue calls. Those taking references ([`msgget`], [`msgctl_stat`],
//!   [`msgctl_set`], [`msgctl_rmid`], [`msgctl_info`], [`msgsnd_frame`], [`msgrcv_frame`],
//!   [`msgsnd_copy`], [`msgrcv_copy`]) are safe *for every argument value*: commands are typed
//!   ([`StatCmd`], [`InfoCmd`]) so that the buffer handed to the kernel is always the one that command
//!   fills, a reference proves that memory valid for its size, the kernel writes only plain integers
//!   into it, and the copying calls read only what the kernel reported writing (their closures see the
//!   received bytes; they never report a result). Those taking raw pointers ([`msgsnd`], [`msgrcv`],
//!   [`msgsnd_kernel_ret`], [`msgrcv_kernel_ret`], the C ABI's zero-copy path) are `unsafe fn`.
//! - [`stat`] (a reference in, plain data out) and [`exit_group`] (ends the process: never returns,
//!   touches no memory).
//! - [`SigSet`], [`sigset_add`], [`sigset_has`]: a signal set as the kernel reads it, plain data, for a
//!   program that blocks signals through [`raw`].
//!
//! Everything that can install a signal handler, jump, or trust a caller's word is private: the
//! architecture files (`arch`: the restorer the kernel returns through), the signals and timers of the
//! deadline calls (`signal`, `time`), the copying calls that let a closure make the system call, and the
//! clock and scheduler helpers of the other modules. Inside the crate `rt_sigaction` is an `unsafe fn`
//! and a `struct sigaction`'s handler and restorer cannot be set from safe code.
//!
//! # Safety
//!
//! This module (with `arch/`, `signal.rs` and `time.rs`) and `capi` are the only places in the crate
//! allowed to use `unsafe`. Every system call goes through one function here, which casts its arguments
//! to registers once, and decodes a return value in `-4095..=-1` into an [`Errno`] before anything else
//! sees it. Every `unsafe` block says why it is sound; every `unsafe fn` says what its callers must
//! guarantee.
//!
//! Architecture facts (numbers, layouts, the instruction) live in `sys/arch/`, one file each.
//!
//! # Kernels before 5.1
//!
//! On i686, powerpc and s390x the message-queue calls were reachable only through the `ipc(2)`
//! multiplexer before Linux 5.1. Each call here tries the direct system call and, on `ENOSYS`, makes the
//! same call through `ipc(2)`. With the `ipc-multiplexer` feature the direct call is not tried at all
//! (for old kernels, and to test that path on new ones). Likewise the 32-bit architectures' clock and
//! timer calls try the 64-bit time calls of Linux 5.1 first and fall back to the old ones on `ENOSYS`.
#![allow(unsafe_code)]

pub mod abi;
mod arch;
pub(crate) mod signal;
pub(crate) mod time;

pub use signal::{SigSet, sigset_add, sigset_has};

use crate::Errno;
use abi::{Frame, MsgInfo, Msqid64Ds, StatBuf};
use arch::nr;
use core::ffi::{CStr, c_int, c_long, c_void};
use core::mem::MaybeUninit;

/// The raw system call instruction and numbers of this architecture, for programs built on svmq that
/// have no C library either (the `svmq` tool). Every function is `unsafe`: it does whatever the
/// system call does.
pub mod raw {
    pub use super::arch::nr;
    pub use super::arch::{syscall0, syscall1, syscall2, syscall3, syscall4, syscall5, syscall6};
}

/// `ENOSYS`, as the raw register holds it.
const RAW_ENOSYS: isize = -38;

/// Decodes a raw syscall return: `-4095..=-1` is `-errno`, anything else is the result.
#[inline(always)]
fn decode(ret: usize) -> Result<usize, Errno> {
    let signed = ret as isize;
    if (-4095..=-1).contains(&signed) { Err(Errno::from_raw(-signed as i32)) } else { Ok(ret) }
}

/// Sign-extends a C `int` argument into a register, as the C calling convention would.
#[inline(always)]
const fn int(v: c_int) -> usize {
    v as isize as usize
}

/// The `ipc(2)` multiplexer's call numbers (include/linux/ipc.h / musl's ipc.h).
mod ipc_call {
    pub const MSGSND: usize = 11;
    pub const MSGRCV: usize = 12;
    pub const MSGGET: usize = 13;
    pub const MSGCTL: usize = 14;
}

/// Whether to try the direct call first (`nr::IPC` is `None` where it is the only way).
#[inline(always)]
const fn direct_first() -> bool {
    nr::IPC.is_none() || !cfg!(feature = "ipc-multiplexer")
}

/// `ipc(call, first, second, third, ptr, fifth)`, or `-ENOSYS` where the architecture has none.
///
/// # Safety
///
/// As for the message-queue call it multiplexes.
#[inline(never)]
unsafe fn ipc(call: usize, first: usize, second: usize, third: usize, ptr: usize, fifth: usize) -> isize {
    match nr::IPC {
        // SAFETY: forwarded from this function's contract.
        Some(n) => unsafe { arch::syscall6(n, call, first, second, third, ptr, fifth) as isize },
        None => RAW_ENOSYS,
    }
}

/// `msgctl` with any command and buffer, direct or through `ipc(2)`; the kernel's convention.
///
/// # Safety
///
/// `buf` must be valid for what `cmd` reads or writes.
#[inline]
unsafe fn msgctl_raw(msqid: c_int, cmd: c_int, buf: *mut c_void) -> isize {
    if direct_first() {
        let cmd = cmd | arch::MSGCTL_CMD_FLAGS;
        // SAFETY: forwarded from this function's contract.
        let ret = unsafe { arch::syscall3(nr::MSGCTL, int(msqid), int(cmd), buf as usize) as isize };
        if ret != RAW_ENOSYS {
            return ret;
        }
    }
    let cmd = cmd | arch::IPC_MSGCTL_CMD_FLAGS;
    // SAFETY: forwarded; ipc(MSGCTL, id, cmd, 0, buf) is msgctl(id, cmd, buf).
    unsafe { ipc(ipc_call::MSGCTL, int(msqid), int(cmd), 0, buf as usize, 0) }
}

/// `msgget(key, msgflg)`: returns the queue id.
#[inline]
pub fn msgget(key: c_int, msgflg: c_int) -> Result<c_int, Errno> {
    let mut ret = RAW_ENOSYS;
    if direct_first() {
        // SAFETY: msgget takes two integers and touches no user memory.
        ret = unsafe { arch::syscall2(nr::MSGGET, int(key), int(msgflg)) as isize };
    }
    if ret == RAW_ENOSYS {
        // SAFETY: as above, through the multiplexer.
        ret = unsafe { ipc(ipc_call::MSGGET, int(key), int(msgflg), 0, 0, 0) };
    }
    decode(ret as usize).map(|id| id as c_int)
}

/// `msgsnd` returning the kernel's own convention, `0` or `-errno`, which is also the C ABI's: the
/// zero-copy C path hands it through without decoding (as few instructions as the C library's).
///
/// # Safety
///
/// As [`msgsnd`].
#[inline(always)]
pub unsafe fn msgsnd_kernel_ret(msqid: c_int, msgp: *const c_void, msgsz: usize, msgflg: c_int) -> isize {
    if direct_first() {
        // SAFETY: forwarded from this function's contract.
        let ret = unsafe { arch::syscall4(nr::MSGSND, int(msqid), msgp as usize, msgsz, int(msgflg)) as isize };
        if ret != RAW_ENOSYS {
            return ret;
        }
    }
    // SAFETY: forwarded; ipc(MSGSND, id, size, flags, msgp) is msgsnd(id, msgp, size, flags).
    unsafe { ipc(ipc_call::MSGSND, int(msqid), msgsz, int(msgflg), msgp as usize, 0) }
}

/// `msgrcv` returning the kernel's own convention, the length or `-errno` (see
/// [`msgsnd_kernel_ret`]).
///
/// # Safety
///
/// As [`msgrcv`].
#[inline(always)]
pub unsafe fn msgrcv_kernel_ret(msqid: c_int, msgp: *mut c_void, msgsz: usize, msgtyp: c_long, msgflg: c_int) -> isize {
    if direct_first() {
        // SAFETY: forwarded from this function's contract.
        let ret = unsafe {
            arch::syscall5(nr::MSGRCV, int(msqid), msgp as usize, msgsz, msgtyp as usize, int(msgflg)) as isize
        };
        if ret != RAW_ENOSYS {
            return ret;
        }
    }
    // Version 0 of the multiplexed msgrcv (the only one s390x accepts) takes the buffer and the type
    // through this "kludge" struct.
    #[repr(C)]
    struct IpcKludge {
        msgp: *mut c_void,
        msgtyp: c_long,
    }
    let kludge = IpcKludge { msgp, msgtyp };
    // SAFETY: forwarded; the kernel reads the kludge (alive for the call) and then receives into msgp.
    unsafe { ipc(ipc_call::MSGRCV, int(msqid), msgsz, int(msgflg), &kludge as *const IpcKludge as usize, 0) }
}

/// `msgsnd(msqid, msgp, msgsz, msgflg)` on a raw `struct msgbuf` pointer.
///
/// # Safety
///
/// `msgp` must point to `sizeof(long) + msgsz` readable bytes: a `long` message type followed by the
/// payload. (A bad pointer is caught by the kernel as `EFAULT`, but Rust callers must not rely on that.)
#[inline]
pub unsafe fn msgsnd(msqid: c_int, msgp: *const c_void, msgsz: usize, msgflg: c_int) -> Result<(), Errno> {
    // SAFETY: the caller guarantees msgp covers the frame; the kernel only reads it.
    let ret = unsafe { msgsnd_kernel_ret(msqid, msgp, msgsz, msgflg) };
    decode(ret as usize).map(|_| ())
}

/// `msgrcv(msqid, msgp, msgsz, msgtyp, msgflg)` on a raw `struct msgbuf` pointer: returns the payload
/// length written.
///
/// # Safety
///
/// `msgp` must point to `sizeof(long) + msgsz` writable bytes, not aliased by any live Rust reference.
#[inline]
pub unsafe fn msgrcv(
    msqid: c_int,
    msgp: *mut c_void,
    msgsz: usize,
    msgtyp: c_long,
    msgflg: c_int,
) -> Result<usize, Errno> {
    // SAFETY: the caller guarantees msgp covers the frame; the kernel writes at most that.
    let ret = unsafe { msgrcv_kernel_ret(msqid, msgp, msgsz, msgtyp, msgflg) };
    decode(ret as usize)
}

/// `msgsnd` of the first `len` payload bytes of `frame`. `len > N` is `E2BIG`, before any syscall.
#[inline]
pub fn msgsnd_frame<const N: usize>(msqid: c_int, frame: &Frame<N>, len: usize, msgflg: c_int) -> Result<(), Errno> {
    if len > N {
        return Err(Errno::TOOBIG);
    }
    // SAFETY: `frame` is a live reference to a repr(C) { long; [u8; N] }, so sizeof(long) + len bytes
    // starting at it are readable.
    unsafe { msgsnd(msqid, (frame as *const Frame<N>).cast(), len, msgflg) }
}

/// `msgrcv` into `frame`, with its full capacity `N`: returns the payload length.
#[inline]
pub fn msgrcv_frame<const N: usize>(
    msqid: c_int,
    frame: &mut Frame<N>,
    msgtyp: c_long,
    msgflg: c_int,
) -> Result<usize, Errno> {
    // SAFETY: `frame` is an exclusive reference to sizeof(long) + N writable bytes, and every bit
    // pattern is a valid Frame (an integer and bytes).
    unsafe { msgrcv(msqid, (frame as *mut Frame<N>).cast(), N, msgtyp, msgflg) }
}

/// `msgsnd` of `data` as a message of type `mtype`, through a frame of capacity `N` on the stack.
///
/// One copy (of `data.len()` bytes, never of the whole frame: the rest stays uninitialized and unread).
/// `data.len() > N` is `E2BIG`, before any syscall.
#[inline]
pub fn msgsnd_copy<const N: usize>(msqid: c_int, mtype: c_long, data: &[u8], msgflg: c_int) -> Result<(), Errno> {
    let len = data.len();
    if len > N {
        return Err(Errno::TOOBIG);
    }
    let mut frame = MaybeUninit::<Frame<N>>::uninit();
    let p = frame.as_mut_ptr();
    // SAFETY: p points to a live, writable Frame<N>. We write its mtype and the first len <= N bytes of
    // its text through raw pointers (no reference to uninitialized memory is made); the source slice
    // cannot overlap a fresh stack frame. The kernel then reads exactly those initialized bytes.
    unsafe {
        core::ptr::addr_of_mut!((*p).mtype).write(mtype);
        let text = core::ptr::addr_of_mut!((*p).text).cast::<u8>();
        core::ptr::copy_nonoverlapping(data.as_ptr(), text, len);
        msgsnd(msqid, p.cast(), len, msgflg)
    }
}

/// `msgrcv` of at most `cap <= N` bytes into a frame of capacity `N` on the stack; on success calls
/// `take(mtype, payload)` with the received type and bytes and returns what it returns.
///
/// `cap` is what the kernel compares the message length with (`E2BIG`, or truncation with
/// `MSG_NOERROR`); `cap > N` is `EINVAL`, before any syscall. Nothing is zeroed: only the bytes the kernel
/// wrote are read.
#[inline]
pub fn msgrcv_copy<const N: usize, R>(
    msqid: c_int,
    cap: usize,
    msgtyp: c_long,
    msgflg: c_int,
    take: impl FnOnce(c_long, &[u8]) -> R,
) -> Result<R, Errno> {
    if cap > N {
        return Err(Errno::INVAL);
    }
    let mut frame = MaybeUninit::<Frame<N>>::uninit();
    let p = frame.as_mut_ptr();
    // SAFETY: p covers sizeof(long) + N >= sizeof(long) + cap writable bytes, owned by this function.
    let n = unsafe { msgrcv(msqid, p.cast(), cap, msgtyp, msgflg)? };
    // The kernel never reports more than it was allowed to write; stay sound even if it did.
    let n = n.min(cap);
    // SAFETY: on success the kernel wrote the mtype and the first n <= cap <= N text bytes, so both reads
    // below cover initialized memory only, and the slice lives no longer than the frame.
    let (mtype, payload) = unsafe {
        let mtype = core::ptr::addr_of!((*p).mtype).read();
        let text = core::ptr::addr_of!((*p).text).cast::<u8>();
        (mtype, core::slice::from_raw_parts(text, n))
    };
    Ok(take(mtype, payload))
}

/// [`msgsnd_copy`] whose system calls are made by `drive`: the payload is copied into the frame once,
/// then `drive` gets a function sending that frame with the flags it is given, as often as it needs
/// (the deadline calls try `IPC_NOWAIT` first, then block).
///
/// Crate-private: `drive` is trusted to return only what the function it was given returned.
#[inline]
pub(crate) fn msgsnd_copy_by<const N: usize>(
    msqid: c_int,
    mtype: c_long,
    data: &[u8],
    drive: impl FnOnce(&mut dyn FnMut(c_int) -> Result<usize, Errno>) -> Result<usize, Errno>,
) -> Result<(), Errno> {
    let len = data.len();
    if len > N {
        return Err(Errno::TOOBIG);
    }
    let mut frame = MaybeUninit::<Frame<N>>::uninit();
    let p = frame.as_mut_ptr();
    // SAFETY: as in msgsnd_copy: the mtype and the first len <= N text bytes are written through raw
    // pointers into a fresh, exclusively owned stack frame.
    unsafe {
        core::ptr::addr_of_mut!((*p).mtype).write(mtype);
        let text = core::ptr::addr_of_mut!((*p).text).cast::<u8>();
        core::ptr::copy_nonoverlapping(data.as_ptr(), text, len);
    }
    // SAFETY: the kernel reads the 8 + len bytes initialized above, which live as long as `frame`.
    drive(&mut |flags| unsafe { msgsnd(msqid, p.cast(), len, flags) }.map(|()| 0)).map(|_| ())
}

/// [`msgrcv_copy`] whose system calls are made by `drive` (as [`msgsnd_copy_by`]): every call receives
/// into the same frame; after the first success `take` sees the message.
///
/// Crate-private, and not safe to expose: it trusts `drive` to return `Ok(n)` only when one of its calls
/// succeeded with `n` (a `drive` returning `Ok(64)` without calling would have `take` read an
/// uninitialized frame).
#[inline]
pub(crate) fn msgrcv_copy_by<const N: usize, R>(
    msqid: c_int,
    cap: usize,
    msgtyp: c_long,
    drive: impl FnOnce(&mut dyn FnMut(c_int) -> Result<usize, Errno>) -> Result<usize, Errno>,
    take: impl FnOnce(c_long, &[u8]) -> R,
) -> Result<R, Errno> {
    if cap > N {
        return Err(Errno::INVAL);
    }
    let mut frame = MaybeUninit::<Frame<N>>::uninit();
    let p = frame.as_mut_ptr();
    // SAFETY: p covers 8 + N >= 8 + cap writable bytes, owned by this function.
    let n = drive(&mut |flags| unsafe { msgrcv(msqid, p.cast(), cap, msgtyp, flags) })?;
    let n = n.min(cap);
    // SAFETY: drive returned a success of one of the calls, after which the kernel had written the mtype
    // and the first n <= cap <= N text bytes; the slice lives no longer than the frame.
    let (mtype, payload) = unsafe {
        let mtype = core::ptr::addr_of!((*p).mtype).read();
        let text = core::ptr::addr_of!((*p).text).cast::<u8>();
        (mtype, core::slice::from_raw_parts(text, n))
    };
    Ok(take(mtype, payload))
}

/// The `msgctl` commands that fill a `struct msqid64_ds`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatCmd {
    /// `IPC_STAT`: the queue with this id (needs read permission).
    IpcStat,
    /// `MSG_STAT`: the queue in this slot index (needs read permission); returns its id.
    MsgStat,
    /// `MSG_STAT_ANY` (Linux 4.17): the queue in this slot index, no permission check; returns its id.
    MsgStatAny,
}

impl StatCmd {
    /// The command number.
    pub const fn raw(self) -> c_int {
        match self {
            StatCmd::IpcStat => abi::IPC_STAT,
            StatCmd::MsgStat => abi::MSG_STAT,
            StatCmd::MsgStatAny => abi::MSG_STAT_ANY,
        }
    }
}

/// The `msgctl` commands that fill a `struct msginfo`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum InfoCmd {
    /// `IPC_INFO`: the system limits.
    IpcInfo,
    /// `MSG_INFO`: the system usage.
    MsgInfo,
}

impl InfoCmd {
    /// The command number.
    pub const fn raw(self) -> c_int {
        match self {
            InfoCmd::IpcInfo => abi::IPC_INFO,
            InfoCmd::MsgInfo => abi::MSG_INFO,
        }
    }
}

/// `msgctl(msqid, cmd, buf)` for the commands that fill a `msqid64_ds`. Returns the kernel's
/// non-negative result (the id, for the `*_STAT` index commands).
#[inline]
pub fn msgctl_stat(msqid: c_int, cmd: StatCmd, buf: &mut Msqid64Ds) -> Result<c_int, Errno> {
    // SAFETY: buf is an exclusive reference to this architecture's msqid64_ds (layout asserted in
    // abi.rs), which is exactly what these three commands write; the kernel writes only integers.
    let ret = unsafe { msgctl_raw(msqid, cmd.raw(), (buf as *mut Msqid64Ds).cast()) };
    decode(ret as usize).map(|r| r as c_int)
}

/// `msgctl(msqid, IPC_SET, buf)`.
#[inline]
pub fn msgctl_set(msqid: c_int, buf: &Msqid64Ds) -> Result<(), Errno> {
    // SAFETY: buf is a live msqid64_ds; IPC_SET only reads it.
    let ret = unsafe { msgctl_raw(msqid, abi::IPC_SET, (buf as *const Msqid64Ds).cast_mut().cast()) };
    decode(ret as usize).map(|_| ())
}

/// `msgctl(msqid, IPC_RMID, NULL)`.
#[inline]
pub fn msgctl_rmid(msqid: c_int) -> Result<(), Errno> {
    // SAFETY: IPC_RMID ignores the buffer argument; NULL is what the C library passes.
    let ret = unsafe { msgctl_raw(msqid, abi::IPC_RMID, core::ptr::null_mut()) };
    decode(ret as usize).map(|_| ())
}

/// `msgctl(0, cmd, buf)` for `IPC_INFO` and `MSG_INFO`: returns the highest slot index in use.
///
/// The command is typed: a command that writes a larger struct cannot be passed with this buffer.
///
/// ```compile_fail
/// // A raw command number does not compile (MSG_STAT_ANY would write a 120-byte msqid64_ds here).
/// let mut info = svmq::sys::abi::MsgInfo::default();
/// svmq::sys::msgctl_info(svmq::sys::abi::MSG_STAT_ANY, &mut info);
/// ```
#[inline]
pub fn msgctl_info(cmd: InfoCmd, buf: &mut MsgInfo) -> Result<c_int, Errno> {
    // SAFETY: buf is an exclusive reference to a 32-byte msginfo (asserted in abi.rs), the struct the
    // kernel fills for these two commands, and only for them.
    let ret = unsafe { msgctl_raw(0, cmd.raw(), (buf as *mut MsgInfo).cast()) };
    decode(ret as usize).map(|r| r as c_int)
}

/// `stat(2)` (following symlinks) of a path, as `ftok` uses: `newfstatat` on 64-bit architectures,
/// `fstatat64` on 32-bit ones.
#[inline]
pub fn stat(path: &CStr) -> Result<StatBuf, Errno> {
    let mut buf = StatBuf::default();
    // SAFETY: path is NUL-terminated by construction; buf is at least the size of this architecture's
    // struct stat (asserted in abi.rs).
    let ret = unsafe {
        arch::syscall4(nr::STAT, int(abi::AT_FDCWD), path.as_ptr() as usize, &mut buf as *mut StatBuf as usize, 0)
    };
    decode(ret).map(|_| buf)
}

/// `clock_gettime(CLOCK_MONOTONIC)` in nanoseconds (a real system call: there is no vDSO without libc;
/// 64-bit time first on 32-bit architectures, see [`time`]).
///
/// It can fail: a seccomp allow-list written for a C program (which reads the clock through the vDSO)
/// may answer `EPERM`.
#[inline]
pub(crate) fn monotonic_ns() -> Result<u64, Errno> {
    time::monotonic_ns()
}

/// `getrusage(RUSAGE_THREAD)`: the calling thread's involuntary context switches (`ru_nivcsw`), the
/// times another task took its CPU. Compare two readings for equality only: on 32-bit targets the
/// kernel's counter is a 32-bit `long` and wraps.
#[inline]
pub(crate) fn involuntary_switches() -> Result<u64, Errno> {
    const RUSAGE_THREAD: usize = 1;
    // struct rusage is two (old, `long`-based) timevals and 14 longs on every Linux target: 18 longs,
    // ru_nivcsw last.
    let mut ru = [0 as c_long; 18];
    // SAFETY: ru is 18 writable longs, the size of struct rusage; the kernel writes exactly that.
    let ret = unsafe { arch::syscall2(nr::GETRUSAGE, RUSAGE_THREAD, ru.as_mut_ptr() as usize) };
    decode(ret).map(|_| ru[17] as u64)
}

/// `exit_group(code)`: ends the process (every thread) with status `code & 0xff`. Used by the C
/// library's panic handler and by programs without libc to exit.
pub fn exit_group(code: c_int) -> ! {
    loop {
        // SAFETY: exit_group takes an integer and does not return.
        unsafe { arch::syscall1(nr::EXIT_GROUP, int(code)) };
    }
}
