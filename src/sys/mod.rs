//! The raw layer: one typed wrapper per system call, issued through `sc`.
//!
//! # Safety
//!
//! This module and `capi` are the only places in the crate allowed to use `unsafe`. Every system call
//! goes through exactly one function here, which casts its arguments to registers once, and decodes a
//! return value in `-4095..=-1` into an [`Errno`] before anything else sees it. The functions taking
//! references are safe: the reference proves the memory the kernel will read or write is valid for the
//! size passed, and the kernel writes only plain integers into it (any bit pattern is a valid value of
//! the `repr(C)` structs in [`abi`]). The two `unsafe fn`s take raw pointers for the C ABI's zero-copy
//! path and state what their callers must guarantee.
//!
//! Syscall numbers come from `sc::nr` for the target (`msgget` is 68 on x86_64 and 186 on aarch64; the
//! order differs between the two tables).
#![allow(unsafe_code)]

pub mod abi;
pub mod signal;

use crate::Errno;
use abi::{Frame, MsgInfo, Msqid64Ds, StatHead, Timespec};
use core::ffi::{CStr, c_int, c_long, c_void};
use core::mem::MaybeUninit;

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

/// `msgget(key, msgflg)`: returns the queue id.
#[inline]
pub fn msgget(key: c_int, msgflg: c_int) -> Result<c_int, Errno> {
    // SAFETY: msgget takes two integers and touches no user memory.
    let ret = unsafe { sc::syscall2(sc::nr::MSGGET, int(key), int(msgflg)) };
    decode(ret).map(|id| id as c_int)
}

/// `msgsnd` returning the kernel's own convention, `0` or `-errno`, which is also the C ABI's: the
/// zero-copy C path hands it through without decoding (as few instructions as the C library's).
///
/// # Safety
///
/// As [`msgsnd`].
#[inline(always)]
pub unsafe fn msgsnd_kernel_ret(msqid: c_int, msgp: *const c_void, msgsz: usize, msgflg: c_int) -> isize {
    // SAFETY: forwarded from this function's contract.
    unsafe { sc::syscall4(sc::nr::MSGSND, int(msqid), msgp as usize, msgsz, int(msgflg)) as isize }
}

/// `msgrcv` returning the kernel's own convention, the length or `-errno` (see
/// [`msgsnd_kernel_ret`]).
///
/// # Safety
///
/// As [`msgrcv`].
#[inline(always)]
pub unsafe fn msgrcv_kernel_ret(msqid: c_int, msgp: *mut c_void, msgsz: usize, msgtyp: c_long, msgflg: c_int) -> isize {
    // SAFETY: forwarded from this function's contract.
    unsafe { sc::syscall5(sc::nr::MSGRCV, int(msqid), msgp as usize, msgsz, msgtyp as usize, int(msgflg)) as isize }
}

/// `msgsnd(msqid, msgp, msgsz, msgflg)` on a raw `struct msgbuf` pointer.
///
/// # Safety
///
/// `msgp` must point to `8 + msgsz` readable bytes: a `long` message type followed by the payload.
/// (A bad pointer is caught by the kernel as `EFAULT`, but Rust callers must not rely on that.)
#[inline]
pub unsafe fn msgsnd(msqid: c_int, msgp: *const c_void, msgsz: usize, msgflg: c_int) -> Result<(), Errno> {
    // SAFETY: the caller guarantees msgp covers 8 + msgsz readable bytes; the kernel only reads them.
    let ret = unsafe { msgsnd_kernel_ret(msqid, msgp, msgsz, msgflg) };
    decode(ret as usize).map(|_| ())
}

/// `msgrcv(msqid, msgp, msgsz, msgtyp, msgflg)` on a raw `struct msgbuf` pointer: returns the payload
/// length written.
///
/// # Safety
///
/// `msgp` must point to `8 + msgsz` writable bytes, not aliased by any live Rust reference.
#[inline]
pub unsafe fn msgrcv(
    msqid: c_int,
    msgp: *mut c_void,
    msgsz: usize,
    msgtyp: c_long,
    msgflg: c_int,
) -> Result<usize, Errno> {
    // SAFETY: the caller guarantees msgp covers 8 + msgsz writable bytes; the kernel writes at most that.
    let ret = unsafe { msgrcv_kernel_ret(msqid, msgp, msgsz, msgtyp, msgflg) };
    decode(ret as usize)
}

/// `msgsnd` of the first `len` payload bytes of `frame`. `len > N` is `E2BIG`, before any syscall.
#[inline]
pub fn msgsnd_frame<const N: usize>(msqid: c_int, frame: &Frame<N>, len: usize, msgflg: c_int) -> Result<(), Errno> {
    if len > N {
        return Err(Errno::TOOBIG);
    }
    // SAFETY: `frame` is a live reference to a repr(C) { long; [u8; N] }, so 8 + len <= 8 + N bytes
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
    // SAFETY: `frame` is an exclusive reference to 8 + N writable bytes, and every bit pattern is a
    // valid Frame (an integer and bytes).
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
    // cannot overlap a fresh stack frame. The kernel then reads exactly those 8 + len initialized bytes.
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
    // SAFETY: p covers 8 + N >= 8 + cap writable bytes, owned by this function.
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
#[inline]
pub fn msgsnd_copy_by<const N: usize>(
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
#[inline]
pub fn msgrcv_copy_by<const N: usize, R>(
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

/// `msgctl(msqid, cmd, buf)` for the commands that fill a `msqid64_ds`: `IPC_STAT`, `MSG_STAT`,
/// `MSG_STAT_ANY`. Returns the kernel's non-negative result (the id, for the `*_STAT` index commands).
#[inline]
pub fn msgctl_stat(msqid: c_int, cmd: c_int, buf: &mut Msqid64Ds) -> Result<c_int, Errno> {
    // SAFETY: buf is an exclusive reference to a 120-byte msqid64_ds (size asserted in abi.rs); the
    // kernel writes only integers into it.
    let ret = unsafe { sc::syscall3(sc::nr::MSGCTL, int(msqid), int(cmd), buf as *mut Msqid64Ds as usize) };
    decode(ret).map(|r| r as c_int)
}

/// `msgctl(msqid, IPC_SET, buf)`.
#[inline]
pub fn msgctl_set(msqid: c_int, buf: &Msqid64Ds) -> Result<(), Errno> {
    // SAFETY: buf is a live 120-byte msqid64_ds; IPC_SET only reads it.
    let ret = unsafe { sc::syscall3(sc::nr::MSGCTL, int(msqid), int(abi::IPC_SET), buf as *const Msqid64Ds as usize) };
    decode(ret).map(|_| ())
}

/// `msgctl(msqid, IPC_RMID, NULL)`.
#[inline]
pub fn msgctl_rmid(msqid: c_int) -> Result<(), Errno> {
    // SAFETY: IPC_RMID ignores the buffer argument; NULL is what the C library passes.
    let ret = unsafe { sc::syscall3(sc::nr::MSGCTL, int(msqid), int(abi::IPC_RMID), 0) };
    decode(ret).map(|_| ())
}

/// `msgctl(0, cmd, buf)` for `IPC_INFO` and `MSG_INFO`: returns the highest index in use.
#[inline]
pub fn msgctl_info(cmd: c_int, buf: &mut MsgInfo) -> Result<c_int, Errno> {
    // SAFETY: buf is an exclusive reference to a 32-byte msginfo (asserted in abi.rs), the struct the
    // kernel fills for these two commands.
    let ret = unsafe { sc::syscall3(sc::nr::MSGCTL, 0, int(cmd), buf as *mut MsgInfo as usize) };
    decode(ret).map(|r| r as c_int)
}

/// `newfstatat(AT_FDCWD, path, buf, 0)`: `stat(2)` (following symlinks) of a path, as `ftok` uses.
#[inline]
pub fn stat(path: &CStr) -> Result<StatHead, Errno> {
    let mut buf = StatHead::default();
    // SAFETY: path is NUL-terminated by construction; buf is 144 bytes, at least the size of the
    // kernel's struct stat on both targets (asserted in abi.rs).
    let ret = unsafe {
        sc::syscall4(
            sc::nr::NEWFSTATAT,
            int(abi::AT_FDCWD),
            path.as_ptr() as usize,
            &mut buf as *mut StatHead as usize,
            0,
        )
    };
    decode(ret).map(|_| buf)
}

/// `sched_getaffinity(0, sizeof mask, mask)`: the number of CPUs the calling thread may run on.
#[inline]
pub fn cpus_allowed() -> Result<u32, Errno> {
    let mut mask = [0u64; 16]; // 1024 CPUs, glibc's CPU_SETSIZE
    // SAFETY: mask is 128 writable bytes and that is the length passed; the kernel writes at most that.
    let ret = unsafe {
        sc::syscall3(sc::nr::SCHED_GETAFFINITY, 0, core::mem::size_of_val(&mask), mask.as_mut_ptr() as usize)
    };
    let written = decode(ret)?;
    Ok(mask.iter().take(written / 8).map(|w| w.count_ones()).sum())
}

/// `clock_gettime(CLOCK_MONOTONIC)` in nanoseconds (a real syscall: there is no vDSO without libc).
#[inline]
pub fn monotonic_ns() -> u64 {
    const CLOCK_MONOTONIC: usize = 1;
    let mut ts = Timespec::default();
    // SAFETY: ts is a 16-byte struct timespec, exclusively borrowed.
    let ret = unsafe { sc::syscall2(sc::nr::CLOCK_GETTIME, CLOCK_MONOTONIC, &mut ts as *mut Timespec as usize) };
    match decode(ret) {
        Ok(_) => (ts.sec as u64).wrapping_mul(1_000_000_000).wrapping_add(ts.nsec as u64),
        // CLOCK_MONOTONIC cannot fail on Linux; a zero makes the spin loop stop at once.
        Err(_) => 0,
    }
}

/// `sched_yield()`.
#[inline]
pub fn sched_yield() {
    // SAFETY: sched_yield takes no arguments and cannot fail.
    unsafe { sc::syscall0(sc::nr::SCHED_YIELD) };
}

/// `exit_group(code)`: ends the process. Used by the optional panic handler.
pub fn exit_group(code: c_int) -> ! {
    loop {
        // SAFETY: exit_group takes an integer and does not return.
        unsafe { sc::syscall1(sc::nr::EXIT_GROUP, int(code)) };
    }
}
