//! The C ABI: `svmq_*` functions for C programs, described by the generated `include/svmq.h`.
//!
//! # Safety
//!
//! This module and [`crate::sys`] are the only ones allowed `unsafe`. Here it is used for one thing:
//! turning C pointers into Rust references or slices. Every pointer is NULL-checked first; beyond that
//! the C caller's contract, stated on each function in the header, is that a non-NULL pointer is valid
//! for the size passed beside it. Conventions:
//!
//! - every function returns `>= 0` on success and `-errno` on failure (there is no libc `errno`);
//! - NULL pointers are `-EFAULT`; oversize lengths `-E2BIG`; non-positive message types, negative ids and
//!   unknown flag bits `-EINVAL`, before any system call, except on the zero-copy `_raw` path, which
//!   leaves to the kernel the checks the kernel makes anyway (same errors, fewer instructions);
//! - outputs are written only on success;
//! - nothing panics or unwinds: no indexing, no `unwrap`, and the static library is built with
//!   `panic = "abort"` (`.ci/check-no-panic` proves the prelinked archive has no panic path at all).
//!
//! Signals: every function is async-signal-safe. None takes a lock, allocates, keeps global state or
//! touches `errno`; each is system calls on the caller's memory and its own stack. A handler may call any
//! of them, as long as it does not hand over memory that the code it interrupted is using in an svmq
//! call (the same buffer, or the same `svmq_spin_t`). Stack: `svmq_send` and `svmq_recv` hold a whole
//! message frame on the stack, about 8.2 KiB (8,240 bytes on x86_64 and on aarch64, plus `memcpy`'s
//! own): more than a classic 8 KiB signal stack (`SIGSTKSZ`, `sigaltstack`). The other functions use
//! under 256 bytes; the `_raw` functions are the ones for a small stack. (Measured from the prelinked
//! archive's code; `examples/stack.rs` measures the running paths.)
#![allow(unsafe_code)]
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::queue::{Queue, Settings, Status};
use crate::spin::Spin;
use crate::sys::abi;
use crate::timed::with_deadline;
use crate::{Errno, sys};
use core::ffi::{CStr, c_char, c_long, c_void};

/// `IPC_PRIVATE`: the key that always creates a new queue.
pub const SVMQ_IPC_PRIVATE: i32 = 0;
/// `IPC_CREAT`: create the queue if the key has none.
pub const SVMQ_IPC_CREAT: i32 = 0o1000;
/// `IPC_EXCL`: with `SVMQ_IPC_CREAT`, fail with `-EEXIST` if the key already has a queue.
pub const SVMQ_IPC_EXCL: i32 = 0o2000;
/// `IPC_NOWAIT`: fail with `-EAGAIN` (send, queue full) or `-ENOMSG` (receive) instead of blocking.
pub const SVMQ_IPC_NOWAIT: i32 = 0o4000;
/// `MSG_NOERROR`: truncate a message longer than the buffer instead of failing with `-E2BIG`.
pub const SVMQ_MSG_NOERROR: i32 = 0o10000;
/// `MSG_EXCEPT`: with `mtype > 0`, receive the first message of any other type.
pub const SVMQ_MSG_EXCEPT: i32 = 0o20000;
/// `MSG_COPY`: with `SVMQ_IPC_NOWAIT`, copy the message at index `mtype` without removing it.
pub const SVMQ_MSG_COPY: i32 = 0o40000;
/// Payload capacity of `svmq_send` and `svmq_recv` (the kernel's default `msgmax`). The `_raw`
/// functions have no limit of their own.
pub const SVMQ_MAX_PAYLOAD: usize = 8192;
/// The default poll budget of `svmq_spin_init`, in nanoseconds (50 us).
pub const SVMQ_SPIN_DEFAULT_NS: u32 = 50_000;
/// The signal the `_timed` functions use unless `svmq_timeout_signal` chose another (62, `SIGRTMAX - 2`:
/// valgrind keeps 64 for itself, and qemu-user cannot deliver 63 and 64).
pub const SVMQ_DEFAULT_TIMEOUT_SIGNAL: i32 = 62;
/// The lowest signal `svmq_timeout_signal` accepts: 35, above the real-time signals the C libraries
/// reserve (32 to 34: glibc's `SIGRTMIN` is 34, musl's 35).
pub const SVMQ_TIMEOUT_SIGNAL_MIN: i32 = 35;
/// The highest signal `svmq_timeout_signal` accepts: 64, `SIGRTMAX`.
pub const SVMQ_TIMEOUT_SIGNAL_MAX: i32 = 64;
/// The most signals one `_timed` call's timer sends, at its deadline and one millisecond apart after it,
/// even if the call never returns (the program left it with `siglongjmp`): the timer then deletes
/// itself at the last one.
pub const SVMQ_TIMER_SIGNALS_MAX: i32 = 5;

const _: () = {
    assert!(SVMQ_IPC_PRIVATE == abi::IPC_PRIVATE && SVMQ_IPC_CREAT == abi::IPC_CREAT);
    assert!(SVMQ_IPC_EXCL == abi::IPC_EXCL && SVMQ_IPC_NOWAIT == abi::IPC_NOWAIT);
    assert!(SVMQ_MSG_NOERROR == abi::MSG_NOERROR && SVMQ_MSG_EXCEPT == abi::MSG_EXCEPT);
    assert!(SVMQ_MSG_COPY == abi::MSG_COPY);
    assert!(SVMQ_SPIN_DEFAULT_NS == Spin::DEFAULT_MAX_NS);
    assert!(SVMQ_DEFAULT_TIMEOUT_SIGNAL == crate::DEFAULT_TIMEOUT_SIGNAL);
    assert!(SVMQ_TIMEOUT_SIGNAL_MIN == *crate::TIMEOUT_SIGNALS.start());
    assert!(SVMQ_TIMEOUT_SIGNAL_MAX == *crate::TIMEOUT_SIGNALS.end());
    assert!(SVMQ_TIMER_SIGNALS_MAX as u64 == sys::signal::TIMER_SIGNALS);
};

/// A queue's status, as `msgctl(IPC_STAT)` reports it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SvmqStat {
    /// Key the queue was created with (`SVMQ_IPC_PRIVATE` for private queues).
    pub key: i32,
    /// Owner's user id.
    pub uid: u32,
    /// Owner's group id.
    pub gid: u32,
    /// Creator's user id.
    pub cuid: u32,
    /// Creator's group id.
    pub cgid: u32,
    /// Permission bits (0 to 0777).
    pub mode: u32,
    /// Time of the last send (seconds since the epoch; 0 if none).
    pub stime: i64,
    /// Time of the last receive (0 if none).
    pub rtime: i64,
    /// Time of creation or of the last `svmq_set`.
    pub ctime: i64,
    /// Bytes queued.
    pub cbytes: u64,
    /// Messages queued.
    pub qnum: u64,
    /// Maximum bytes the queue holds.
    pub qbytes: u64,
    /// Pid of the last sender (0 if none).
    pub lspid: i32,
    /// Pid of the last receiver (0 if none).
    pub lrpid: i32,
    /// The slot's sequence number.
    pub seq: u32,
    /// The queue id.
    pub id: i32,
}

/// What `svmq_set` changes: all four fields at once (start from `svmq_stat` to keep some).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SvmqSet {
    /// New owner's user id.
    pub uid: u32,
    /// New owner's group id.
    pub gid: u32,
    /// New permission bits (0 to 0777).
    pub mode: u32,
    /// New maximum bytes in the queue.
    pub qbytes: u64,
}

/// System limits (`IPC_INFO`) and usage (`MSG_INFO`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SvmqLimits {
    /// Maximum bytes in one message (`/proc/sys/kernel/msgmax`).
    pub msgmax: u32,
    /// Default maximum bytes in one queue (`/proc/sys/kernel/msgmnb`).
    pub msgmnb: u32,
    /// Maximum number of queues (`/proc/sys/kernel/msgmni`).
    pub msgmni: u32,
    /// Queues in use.
    pub queues: u32,
    /// Messages queued system-wide.
    pub messages: u32,
    /// Bytes queued system-wide.
    pub bytes: u32,
    /// Highest slot index in use, and 0 when there is no queue (`queues` is then 0; the kernel never
    /// answers -1): `svmq_stat_index` from 0 to this, inclusive, finds every queue.
    pub max_index: i32,
}

/// Receiver state for `svmq_recv_raw_spin`: initialise with `svmq_spin_init`, keep one per receiving
/// thread, do not touch its contents.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SvmqSpin {
    /// Opaque adaptive state.
    pub opaque: [u32; 6],
}

fn err(e: Errno) -> i32 {
    -e.raw()
}

fn ret<T>(r: Result<T, Errno>, ok: impl FnOnce(T) -> i32) -> i32 {
    match r {
        Ok(v) => ok(v),
        Err(e) => err(e),
    }
}

fn check_id(msqid: i32) -> Result<Queue, Errno> {
    if msqid < 0 { Err(Errno::INVAL) } else { Ok(Queue::from_id(msqid)) }
}

fn check_flags(flags: i32, allowed: i32) -> Result<i32, Errno> {
    if flags & !allowed != 0 { Err(Errno::INVAL) } else { Ok(flags) }
}

const RECV_FLAGS: i32 = SVMQ_IPC_NOWAIT | SVMQ_MSG_NOERROR | SVMQ_MSG_EXCEPT | SVMQ_MSG_COPY;

impl SvmqStat {
    fn from_status(id: i32, s: &Status) -> Self {
        Self {
            key: s.key.raw(),
            uid: s.uid,
            gid: s.gid,
            cuid: s.cuid,
            cgid: s.cgid,
            mode: s.mode,
            stime: s.stime,
            rtime: s.rtime,
            ctime: s.ctime,
            cbytes: s.cbytes,
            qnum: s.qnum,
            qbytes: s.qbytes,
            lspid: s.lspid,
            lrpid: s.lrpid,
            seq: u32::from(s.seq),
            id,
        }
    }
}

/// Writes `value` through `out` (already NULL-checked by `out_ref`).
fn out_ref<'a, T>(out: *mut T) -> Result<&'a mut T, Errno> {
    // SAFETY: the C contract is that a non-NULL `out` points to a writable, aligned T that nothing else
    // accesses during the call; `as_mut` turns NULL into None.
    unsafe { out.as_mut() }.ok_or(Errno::FAULT)
}

/// `ftok(path, proj_id)` without libc: the same key as the C library's `ftok` for the same file.
///
/// Only the low 8 bits of `proj_id` are used, as in the C library. The key is written to `*out_key`
/// (any 32-bit value, -1 included, is a valid key). Returns 0, or `-ENOENT`, `-EACCES`, `-ENOTDIR`, ...
/// from `stat(2)`; `-EFAULT` if `path` or `out_key` is NULL. `path` must be NUL-terminated.
///
/// # Safety
///
/// Every non-NULL pointer must be valid for the size given beside it (or for its type), as in C.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn svmq_ftok(path: *const c_char, proj_id: i32, out_key: *mut i32) -> i32 {
    if path.is_null() {
        return err(Errno::FAULT);
    }
    let out = match out_ref(out_key) {
        Ok(o) => o,
        Err(e) => return err(e),
    };
    // SAFETY: path is non-NULL and, by the C contract, NUL-terminated and readable up to the NUL.
    let path = unsafe { CStr::from_ptr(path) };
    ret(crate::ftok(path, (proj_id & 0xff) as u8), |key| {
        *out = key.raw();
        0
    })
}

/// `msgget(key, flags)`: opens or creates a queue; returns its id (>= 0).
///
/// `flags` is `SVMQ_IPC_CREAT`, `SVMQ_IPC_EXCL` and permission bits (0 to 0777), or 0 to open an existing
/// queue. With `SVMQ_IPC_PRIVATE` a new private queue is always made. Errors: `-ENOENT` (no queue for the
/// key), `-EEXIST` (`SVMQ_IPC_EXCL` and one exists), `-EACCES`, `-ENOSPC` (too many queues), `-EINVAL`
/// (other flag bits).
#[unsafe(no_mangle)]
pub extern "C" fn svmq_get(key: i32, flags: i32) -> i32 {
    let allowed = SVMQ_IPC_CREAT | SVMQ_IPC_EXCL | abi::MODE_MASK as i32;
    ret(check_flags(flags, allowed).and_then(|f| sys::msgget(key, f)), |id| id)
}

/// `msgsnd`: sends `len` bytes from `data` as a message of type `mtype` (> 0).
///
/// The payload is copied once into a frame on the stack; at most `SVMQ_MAX_PAYLOAD` bytes (use
/// `svmq_send_raw` for more, or for no copy). Stack: about 8.2 KiB, the frame: too much for a classic
/// 8 KiB signal stack (`svmq_send_raw` uses almost none). `data` may be NULL only when `len` is 0.
/// `flags`: 0 (block while the queue is full) or `SVMQ_IPC_NOWAIT`. Returns 0, or `-EAGAIN` (full, with
/// `SVMQ_IPC_NOWAIT`), `-EIDRM` (queue removed, also while blocked), `-EINVAL` (no such queue, `mtype <= 0`,
/// `msqid < 0`, other flags), `-E2BIG` (`len > SVMQ_MAX_PAYLOAD`; nothing is queued), `-EINTR`, `-EACCES`,
/// `-EFAULT` (`data` NULL with `len > 0`).
///
/// # Safety
///
/// Every non-NULL pointer must be valid for the size given beside it (or for its type), as in C.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn svmq_send(msqid: i32, mtype: c_long, data: *const c_void, len: usize, flags: i32) -> i32 {
    let run = || -> Result<(), Errno> {
        let q = check_id(msqid)?;
        let flags = check_flags(flags, SVMQ_IPC_NOWAIT)?;
        if mtype <= 0 {
            return Err(Errno::INVAL);
        }
        if len > SVMQ_MAX_PAYLOAD {
            return Err(Errno::TOOBIG);
        }
        let payload: &[u8] = if len == 0 {
            &[]
        } else if data.is_null() {
            return Err(Errno::FAULT);
        } else {
            // SAFETY: data is non-NULL and, by the C contract, points to len readable bytes.
            unsafe { core::slice::from_raw_parts(data.cast::<u8>(), len) }
        };
        sys::msgsnd_copy::<SVMQ_MAX_PAYLOAD>(q.id(), mtype, payload, flags)
    };
    ret(run(), |()| 0)
}

/// `msgrcv`: receives a message into `buf` (capacity `cap` bytes); returns the payload length.
///
/// **ARGUMENT ORDER: `svmq_recv(msqid, MTYPE, buf, CAP, out_mtype, flags)`: THE TYPE COMES BEFORE THE
/// BUFFER.** `svmq_recv_raw(msqid, msgbuf, CAP, MTYPE, flags)` has them the other way round, as `msgrcv`
/// does; `mtype` and `cap` are both integers, so a swap compiles without a warning. (Every copying
/// function follows this order, every zero-copy `_raw` one `msgrcv`'s.)
///
/// `mtype` is msgrcv's msgtyp: 0 the first message; > 0 the first of that type (of any other type with
/// `SVMQ_MSG_EXCEPT`); < 0 the first of the lowest type <= |mtype|; with `SVMQ_MSG_COPY` (needs
/// `SVMQ_IPC_NOWAIT`) a copy of the message at index `mtype`, left queued. The received type is written to
/// `*out_mtype` unless it is NULL. `cap` above `SVMQ_MAX_PAYLOAD` counts as `SVMQ_MAX_PAYLOAD` (use
/// `svmq_recv_raw` for larger messages). `buf` may be NULL only when `cap` is 0. Stack: about 8.2 KiB
/// (a frame), too much for a classic 8 KiB signal stack (`svmq_recv_raw` uses almost none).
/// Errors: `-E2BIG` (message longer than `cap`: it stays queued, unless `SVMQ_MSG_NOERROR` truncates it;
/// with `SVMQ_MSG_COPY`, which cannot truncate a copy, `-E2BIG` without `SVMQ_MSG_NOERROR` and `-EINVAL`
/// with it), `-ENOMSG` (none, with `SVMQ_IPC_NOWAIT`), `-EIDRM`, `-EINVAL`, `-EINTR`, `-EACCES`,
/// `-EFAULT`, `-ENOSYS` (`SVMQ_MSG_COPY` on a kernel without it).
///
/// # Safety
///
/// Every non-NULL pointer must be valid for the size given beside it (or for its type), as in C.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn svmq_recv(
    msqid: i32,
    mtype: c_long,
    buf: *mut c_void,
    cap: usize,
    out_mtype: *mut c_long,
    flags: i32,
) -> i64 {
    let run = || -> Result<usize, Errno> {
        let q = check_id(msqid)?;
        let flags = check_flags(flags, RECV_FLAGS)?;
        let cap = cap.min(SVMQ_MAX_PAYLOAD);
        let dst: &mut [u8] = if cap == 0 {
            &mut []
        } else if buf.is_null() {
            return Err(Errno::FAULT);
        } else {
            // SAFETY: buf is non-NULL and, by the C contract, points to cap writable bytes that nothing
            // else accesses during the call.
            unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), cap) }
        };
        let (got_type, n) = sys::msgrcv_copy::<SVMQ_MAX_PAYLOAD, _>(q.id(), cap, mtype, flags, |t, payload| {
            let n = payload.len().min(dst.len());
            if let (Some(to), Some(from)) = (dst.get_mut(..n), payload.get(..n)) {
                to.copy_from_slice(from);
            }
            (t, n)
        })?;
        // SAFETY: out_mtype, when non-NULL, points to a writable long by the C contract.
        if let Some(out) = unsafe { out_mtype.as_mut() } {
            *out = got_type;
        }
        Ok(n)
    };
    match run() {
        Ok(n) => n as i64,
        Err(e) => i64::from(err(e)),
    }
}

/// `msgsnd` of a caller-built `struct { long mtype; char mtext[len]; }`: zero-copy, any size the kernel
/// accepts (up to `msgmax`).
///
/// `msgbuf` must point to `sizeof(long) + len` readable bytes. `flags`: 0 or `SVMQ_IPC_NOWAIT`. This is
/// the fast path: svmq checks the flags and NULL (`-EFAULT`) and leaves to the kernel the checks it makes
/// itself before queueing anything: `-EINVAL` for `mtype <= 0`, a negative id or `len` above `msgmax`,
/// `-EFAULT` for an unreadable `msgbuf`. Other errors as `svmq_send`.
///
/// # Safety
///
/// A non-NULL `msgbuf` must be valid for `sizeof(long) + len` bytes, as for `msgsnd(2)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn svmq_send_raw(msqid: i32, msgbuf: *const c_void, len: usize, flags: i32) -> i32 {
    if flags & !SVMQ_IPC_NOWAIT != 0 {
        return err(Errno::INVAL);
    }
    // The kernel would answer EFAULT too, but a NULL handed to a system call is what memory checkers
    // (valgrind) rightly report: refuse it here.
    if msgbuf.is_null() {
        return err(Errno::FAULT);
    }
    // SAFETY: by the C contract msgbuf covers sizeof(long) + len readable bytes; a bad pointer is caught
    // by the kernel's copy_from_user (EFAULT) before anything is queued. The kernel returns 0 or -errno:
    // the C ABI's convention already.
    unsafe { sys::msgsnd_kernel_ret(msqid, msgbuf, len, flags) as i32 }
}

/// `msgrcv` straight into a caller's `struct { long mtype; char mtext[cap]; }`: zero-copy, any size.
///
/// **ARGUMENT ORDER: `svmq_recv_raw(msqid, msgbuf, CAP, MTYPE, flags)`, as `msgrcv`: THE TYPE COMES AFTER
/// THE BUFFER.** `svmq_recv(msqid, MTYPE, buf, CAP, ...)` has them the other way round; `cap` and `mtype`
/// are both integers, so a swap compiles without a warning.
///
/// `msgbuf` must point to `sizeof(long) + cap` writable bytes. `mtype` and `flags` as for `svmq_recv`.
/// Returns the payload length; the type is in `msgbuf->mtype`. Errors as `svmq_recv`; a NULL `msgbuf` is
/// `-EFAULT` before the call (the kernel would take the message off the queue before failing to copy it).
///
/// # Safety
///
/// A non-NULL `msgbuf` must be valid for `sizeof(long) + cap` writable bytes, as for `msgrcv(2)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn svmq_recv_raw(msqid: i32, msgbuf: *mut c_void, cap: usize, mtype: c_long, flags: i32) -> i64 {
    if flags & !RECV_FLAGS != 0 {
        return i64::from(err(Errno::INVAL));
    }
    if msgbuf.is_null() {
        return i64::from(err(Errno::FAULT));
    }
    // SAFETY: by the C contract msgbuf covers sizeof(long) + cap writable bytes. The kernel rejects a
    // negative id and a cap above LONG_MAX with EINVAL, and returns the length or -errno: the C ABI's
    // convention already.
    unsafe { sys::msgrcv_kernel_ret(msqid, msgbuf, cap, mtype, flags) as i64 }
}

/// Initialises `*spin` for `svmq_recv_raw_spin`, polling at most `max_ns` nanoseconds before blocking
/// (`SVMQ_SPIN_DEFAULT_NS` is a good start; 0 never polls). Returns 0, or `-EFAULT` if `spin` is NULL.
///
/// # Safety
///
/// Every non-NULL pointer must be valid for the size given beside it (or for its type), as in C.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn svmq_spin_init(spin: *mut SvmqSpin, max_ns: u32) -> i32 {
    ret(out_ref(spin), |s| {
        s.opaque = Spin::new(max_ns).to_words();
        0
    })
}

/// `svmq_recv_raw` that first polls without blocking, for an adaptive, time-bounded budget, then blocks.
///
/// Lower latency on multi-CPU machines. Adapts from what happens: an answer that arrived only because
/// this thread was preempted (the sender ran on its CPU) counts as polling that did not pay, and polling
/// backs off exponentially when it does not pay; if the clock cannot be read it blocks at once. Same
/// arguments, in the same order, as `svmq_recv_raw` (**`msgbuf, CAP, MTYPE`: NOT `svmq_recv`'s order**),
/// then `spin`; same results and errors; `spin` holds the
/// adaptive state (one per receiving thread), `-EFAULT` if NULL. Signals are held while it polls (at
/// most the budget): one with a handler of the program's that arrives then is delivered when polling
/// ends and the call returns `-EINTR`, as a blocking `svmq_recv_raw` would have (unless a message came
/// meanwhile: it is returned).
///
/// # Safety
///
/// Every non-NULL pointer must be valid for the size given beside it (or for its type), as in C.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn svmq_recv_raw_spin(
    msqid: i32,
    msgbuf: *mut c_void,
    cap: usize,
    mtype: c_long,
    flags: i32,
    spin: *mut SvmqSpin,
) -> i64 {
    let run = || -> Result<usize, Errno> {
        let state = out_ref(spin)?;
        let q = check_id(msqid)?;
        let flags = check_flags(flags, RECV_FLAGS & !SVMQ_MSG_COPY)?;
        if msgbuf.is_null() {
            return Err(Errno::FAULT);
        }
        if cap > isize::MAX as usize {
            return Err(Errno::INVAL);
        }
        let mut spin = Spin::from_words(state.opaque);
        // The C caller already speaks msgrcv's msgtyp and flags: hand them to the shared loop as they are.
        let res = crate::spin::poll_then_block(&mut spin, flags, |bits| {
            // SAFETY: by the C contract msgbuf covers sizeof(long) + cap writable bytes.
            unsafe { sys::msgrcv(q.id(), msgbuf, cap, mtype, bits) }
        });
        state.opaque = spin.to_words();
        res
    };
    match run() {
        Ok(n) => n as i64,
        Err(e) => i64::from(err(e)),
    }
}

/// `svmq_recv` that gives up after `timeout_ns` nanoseconds: `-ETIMEDOUT` if no selected message arrived
/// by then (measured on `CLOCK_MONOTONIC`; never earlier). Nothing is dequeued by a call that times out.
///
/// Arguments, selectors, flags and errors as `svmq_recv`. `timeout_ns` 0 is one non-blocking attempt
/// (`-ETIMEDOUT` on an empty queue); with `SVMQ_IPC_NOWAIT` the call is exactly `svmq_recv`'s
/// non-blocking one (`-ENOMSG`). `-EINTR` still reports a signal handler of the application's own, as
/// a blocking `msgrcv` would: one that arrives while the call sets its timer up (every signal is held
/// for those few system calls) is `-EINTR` too, its handler run first.
/// While it waits, a per-call timer interrupts the call with a signal (`svmq_timeout_signal`): `-EBUSY`
/// if that signal has a handler that is not svmq's, is ignored, or is blocked in the calling thread.
/// Thread-safe: each call has its own timer, aimed at the calling thread only. A call left with
/// `siglongjmp` (from a handler of the program's, the `alarm` pattern) cannot delete its timer: the timer
/// then sends at most `SVMQ_TIMER_SIGNALS_MAX` (5) signals, from the deadline on, one millisecond apart,
/// and deletes itself (each may interrupt a `poll`, `nanosleep` or blocking call of that thread with
/// `EINTR`, as any handled signal does).
///
/// # Safety
///
/// Every non-NULL pointer must be valid for the size given beside it (or for its type), as in C.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn svmq_recv_timed(
    msqid: i32,
    mtype: c_long,
    buf: *mut c_void,
    cap: usize,
    out_mtype: *mut c_long,
    flags: i32,
    timeout_ns: u64,
) -> i64 {
    let run = || -> Result<usize, Errno> {
        let q = check_id(msqid)?;
        let flags = check_flags(flags, RECV_FLAGS)?;
        let cap = cap.min(SVMQ_MAX_PAYLOAD);
        let dst: &mut [u8] = if cap == 0 {
            &mut []
        } else if buf.is_null() {
            return Err(Errno::FAULT);
        } else {
            // SAFETY: buf is non-NULL and, by the C contract, points to cap writable bytes that nothing
            // else accesses during the call.
            unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), cap) }
        };
        let (got_type, n) = sys::msgrcv_copy_by::<SVMQ_MAX_PAYLOAD, _>(
            q.id(),
            cap,
            mtype,
            |attempt| with_deadline(flags, timeout_ns, Errno::NOMSG, attempt),
            |t, payload| {
                let n = payload.len().min(dst.len());
                if let (Some(to), Some(from)) = (dst.get_mut(..n), payload.get(..n)) {
                    to.copy_from_slice(from);
                }
                (t, n)
            },
        )?;
        // SAFETY: out_mtype, when non-NULL, points to a writable long by the C contract.
        if let Some(out) = unsafe { out_mtype.as_mut() } {
            *out = got_type;
        }
        Ok(n)
    };
    match run() {
        Ok(n) => n as i64,
        Err(e) => i64::from(err(e)),
    }
}

/// `svmq_recv_raw` that gives up after `timeout_ns` nanoseconds (`-ETIMEDOUT`), as `svmq_recv_timed`.
///
/// Arguments, flags and errors as `svmq_recv_raw`, plus `-ETIMEDOUT` and `-EBUSY`; signals as
/// `svmq_recv_timed`.
///
/// # Safety
///
/// A non-NULL `msgbuf` must be valid for `sizeof(long) + cap` writable bytes, as for `msgrcv(2)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn svmq_recv_raw_timed(
    msqid: i32,
    msgbuf: *mut c_void,
    cap: usize,
    mtype: c_long,
    flags: i32,
    timeout_ns: u64,
) -> i64 {
    if flags & !RECV_FLAGS != 0 {
        return i64::from(err(Errno::INVAL));
    }
    if msgbuf.is_null() {
        return i64::from(err(Errno::FAULT));
    }
    let res = with_deadline(flags, timeout_ns, Errno::NOMSG, |bits| {
        // SAFETY: by the C contract msgbuf covers sizeof(long) + cap writable bytes.
        unsafe { sys::msgrcv(msqid, msgbuf, cap, mtype, bits) }
    });
    match res {
        Ok(n) => n as i64,
        Err(e) => i64::from(err(e)),
    }
}

/// `svmq_send` that gives up after `timeout_ns` nanoseconds while the queue stays full: `-ETIMEDOUT`,
/// and nothing was queued.
///
/// Arguments, flags and errors as `svmq_send` (the payload is copied once, whatever the number of
/// attempts), plus `-ETIMEDOUT` and `-EBUSY` as `svmq_recv_timed`. `timeout_ns` 0 is one non-blocking
/// attempt; with `SVMQ_IPC_NOWAIT` a full queue is `-EAGAIN`.
///
/// # Safety
///
/// Every non-NULL pointer must be valid for the size given beside it (or for its type), as in C.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn svmq_send_timed(
    msqid: i32,
    mtype: c_long,
    data: *const c_void,
    len: usize,
    flags: i32,
    timeout_ns: u64,
) -> i32 {
    let run = || -> Result<(), Errno> {
        let q = check_id(msqid)?;
        let flags = check_flags(flags, SVMQ_IPC_NOWAIT)?;
        if mtype <= 0 {
            return Err(Errno::INVAL);
        }
        if len > SVMQ_MAX_PAYLOAD {
            return Err(Errno::TOOBIG);
        }
        let payload: &[u8] = if len == 0 {
            &[]
        } else if data.is_null() {
            return Err(Errno::FAULT);
        } else {
            // SAFETY: data is non-NULL and, by the C contract, points to len readable bytes.
            unsafe { core::slice::from_raw_parts(data.cast::<u8>(), len) }
        };
        sys::msgsnd_copy_by::<SVMQ_MAX_PAYLOAD>(q.id(), mtype, payload, |attempt| {
            with_deadline(flags, timeout_ns, Errno::AGAIN, attempt)
        })
    };
    ret(run(), |()| 0)
}

/// `svmq_send_raw` that gives up after `timeout_ns` nanoseconds while the queue stays full
/// (`-ETIMEDOUT`, nothing queued), as `svmq_send_timed`.
///
/// Arguments, flags and errors as `svmq_send_raw`, plus `-ETIMEDOUT` and `-EBUSY`.
///
/// # Safety
///
/// A non-NULL `msgbuf` must be valid for `sizeof(long) + len` bytes, as for `msgsnd(2)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn svmq_send_raw_timed(
    msqid: i32,
    msgbuf: *const c_void,
    len: usize,
    flags: i32,
    timeout_ns: u64,
) -> i32 {
    if flags & !SVMQ_IPC_NOWAIT != 0 {
        return err(Errno::INVAL);
    }
    if msgbuf.is_null() {
        return err(Errno::FAULT);
    }
    let res = with_deadline(flags, timeout_ns, Errno::AGAIN, |bits| {
        // SAFETY: by the C contract msgbuf covers sizeof(long) + len readable bytes.
        unsafe { sys::msgsnd(msqid, msgbuf, len, bits) }.map(|()| 0)
    });
    ret(res, |_| 0)
}

/// Chooses the signal the `_timed` functions use to interrupt a blocked call, or reports it.
///
/// `sig` > 0: use `sig` from now on (default `SVMQ_DEFAULT_TIMEOUT_SIGNAL`, 62 = `SIGRTMAX - 2`): a
/// real-time signal the program does not use, from `SVMQ_TIMEOUT_SIGNAL_MIN` (35) to
/// `SVMQ_TIMEOUT_SIGNAL_MAX` (64). 32 to 34 are the C libraries' own (glibc's `SIGRTMIN` is 34, musl's
/// 35) and the standard signals all have a meaning (`SIGSEGV` must crash, `SIGTERM` terminate): they are
/// refused. svmq installs its handler on it at once and leaves it installed (a timer signal still in
/// flight must never meet `SIG_DFL`, which would end the process); it never replaces a disposition
/// that is not `SIG_DFL`. Returns 0, or `-EBUSY` (the signal has a handler that is not svmq's, or is
/// ignored), `-EINVAL` (`sig` outside 35..64).
/// `sig` == 0: returns the signal in use. Negative: `-EINVAL`.
///
/// From then on the signal is svmq's: do not change its disposition. If the program does while a call
/// waits (another thread calling `signal(sig, SIG_IGN)`, say), that wait is no longer bounded: with
/// `SIG_IGN` it lasts until a message (or room) comes, the queue is removed or another signal
/// interrupts it; with `SIG_DFL` the timer's next signal ends the process; with a handler of the
/// program's, that handler runs and the call ends at its deadline. Later calls then fail with `-EBUSY`
/// (but for `SIG_DFL`, over which svmq installs its handler again).
#[unsafe(no_mangle)]
pub extern "C" fn svmq_timeout_signal(sig: i32) -> i32 {
    match sig {
        0 => crate::timeout_signal(),
        s if s < 0 => err(Errno::INVAL),
        s => ret(crate::set_timeout_signal(s), |()| 0),
    }
}

/// `msgctl(IPC_STAT)`: writes the queue's status to `*out`. Returns 0, or `-EINVAL` (no such queue),
/// `-EACCES` (no read permission), `-EFAULT` (`out` NULL).
///
/// # Safety
///
/// Every non-NULL pointer must be valid for the size given beside it (or for its type), as in C.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn svmq_stat(msqid: i32, out: *mut SvmqStat) -> i32 {
    let run = || -> Result<(), Errno> {
        let out = out_ref(out)?;
        let q = check_id(msqid)?;
        let s = q.stat()?;
        *out = SvmqStat::from_status(msqid, &s);
        Ok(())
    };
    ret(run(), |()| 0)
}

/// `msgctl(IPC_SET)`: sets owner, group, mode and byte limit from `*attrs`, all at once.
///
/// Returns 0, or `-EPERM` (not owner/creator/privileged, or `qbytes` above `msgmnb` without
/// `CAP_SYS_RESOURCE`), `-EINVAL` (no such queue, mode bits outside 0777, unmapped uid/gid, `qbytes`
/// above `INT32_MAX`), `-EFAULT` (`attrs` NULL). The kernel takes `qbytes` as a C `int` in every program,
/// 64-bit ones included: above `UINT32_MAX` it would keep the low 32 bits silently (2^32 + 100 becomes
/// 100), and from 2^31 on it would store a negative number (for a caller with `CAP_SYS_RESOURCE`), so
/// svmq refuses both before the call.
///
/// # Safety
///
/// Every non-NULL pointer must be valid for the size given beside it (or for its type), as in C.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn svmq_set(msqid: i32, attrs: *const SvmqSet) -> i32 {
    let run = || -> Result<(), Errno> {
        // SAFETY: attrs, when non-NULL, points to a readable svmq_set_t by the C contract.
        let a = unsafe { attrs.as_ref() }.ok_or(Errno::FAULT)?;
        let q = check_id(msqid)?;
        q.set(&Settings { uid: a.uid, gid: a.gid, mode: a.mode, qbytes: a.qbytes })
    };
    ret(run(), |()| 0)
}

/// `msgctl(IPC_RMID)`: removes the queue, waking every blocked sender and receiver with `-EIDRM`.
/// Returns 0, or `-EINVAL` (no such queue), `-EPERM`.
#[unsafe(no_mangle)]
pub extern "C" fn svmq_remove(msqid: i32) -> i32 {
    ret(check_id(msqid).and_then(Queue::remove), |()| 0)
}

/// `msgctl(IPC_INFO)` and `msgctl(MSG_INFO)`: writes the system's limits and usage to `*out`.
/// Returns 0, or `-EFAULT` (`out` NULL).
///
/// # Safety
///
/// Every non-NULL pointer must be valid for the size given beside it (or for its type), as in C.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn svmq_limits(out: *mut SvmqLimits) -> i32 {
    let run = || -> Result<(), Errno> {
        let out = out_ref(out)?;
        let l = crate::limits()?;
        let u = crate::usage()?;
        *out = SvmqLimits {
            msgmax: l.msgmax,
            msgmnb: l.msgmnb,
            msgmni: l.msgmni,
            queues: u.queues,
            messages: u.messages,
            bytes: u.bytes,
            max_index: u.max_index,
        };
        Ok(())
    };
    ret(run(), |()| 0)
}

/// `msgctl(index, MSG_STAT_ANY)` (falling back to `MSG_STAT` where unknown): the status of the queue in
/// slot `index` (0 to `svmq_limits_t.max_index`); returns its id.
///
/// Errors: `-EINVAL` (empty slot, or `index < 0`), `-EACCES` (unreadable, only where `MSG_STAT_ANY` is
/// unknown), `-EFAULT` (`out` NULL).
///
/// # Safety
///
/// Every non-NULL pointer must be valid for the size given beside it (or for its type), as in C.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn svmq_stat_index(index: i32, out: *mut SvmqStat) -> i32 {
    let run = || -> Result<i32, Errno> {
        let out = out_ref(out)?;
        if index < 0 {
            return Err(Errno::INVAL);
        }
        let (q, s) = crate::stat_index(index)?;
        *out = SvmqStat::from_status(q.id(), &s);
        Ok(q.id())
    };
    ret(run(), |id| id)
}

/// A static description of an errno, such as "No message of desired type"; `err` may be negative (as
/// returned by the other functions) or positive. Never NULL; unknown numbers give "Unknown error".
/// The string is static: do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn svmq_strerror(err: i32) -> *const c_char {
    Errno::from_raw(err.checked_abs().unwrap_or(0)).description_with_nul().as_ptr().cast()
}

/// The symbolic name of an errno, such as "ENOMSG"; `err` may be negative or positive. Never NULL;
/// unknown numbers give "E?". The string is static: do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn svmq_errname(err: i32) -> *const c_char {
    Errno::from_raw(err.checked_abs().unwrap_or(0)).name_with_nul().as_ptr().cast()
}

/// The library's version, such as "0.1.0": Cargo.toml's version when the library was built.
///
/// The header's `SVMQ_VERSION` is the version the program was compiled against; compare the two to detect
/// a program built with one header and linked with another release's library. Never NULL; the string is
/// static and NUL-terminated: do not free it.
#[unsafe(no_mangle)]
pub extern "C" fn svmq_version() -> *const c_char {
    VERSION.as_ptr()
}

/// [`svmq_version`]'s string.
const VERSION: &CStr = match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
    Ok(v) => v,
    Err(_) => panic!("the package version has no NUL byte"),
};
