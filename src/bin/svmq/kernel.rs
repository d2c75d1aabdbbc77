//! The library calls the commands share, each instantiated once in the program (small code), the IPC
//! namespace switch of `--ns`, and the system's limits as `/proc/sys/kernel` holds them.

use crate::report::{Arg, Fail, Res, fail};
use crate::rt;
use svmq::{Errno, Frame, Key, Queue, RecvFlags, SendFlags, Settings, Status};

/// Largest payload the tool handles (the kernel's msgmax can be raised to at most this here).
pub const MAX_PAYLOAD: usize = 65536;

/// `q.stat()`.
#[inline(never)]
pub fn qstat(q: Queue) -> Result<Status, Errno> {
    q.stat()
}

/// `q.set(st)`.
#[inline(never)]
pub fn qset(q: Queue, st: &Settings) -> Result<(), Errno> {
    q.set(st)
}

/// `call` (a receive or a send: its argument says whether to add `IPC_NOWAIT`) until `deadline` (in
/// [`rt::now_ns`]'s nanoseconds): without one, once, blocking (again after `EINTR`); with one, without
/// blocking, again after a sleep (1 ms, doubling to 16 ms) for as long as the queue answers `empty`, then
/// `ETIMEDOUT`. (The library's deadline calls block with a timer signal instead; the tool polls: it has
/// no signal handler, and its code stays small.)
#[inline(never)]
pub fn poll(
    deadline: Option<i64>,
    empty: Errno,
    call: &mut dyn FnMut(bool) -> Result<usize, Errno>,
) -> Result<usize, Errno> {
    let Some(end) = deadline else { return svmq::retry_on_intr(|| call(false)) };
    let mut nap = 1_000_000;
    loop {
        match call(true) {
            Err(e) if e == empty => {}
            r => return r,
        }
        let left = end - rt::now_ns(rt::MONOTONIC);
        if left <= 0 {
            return Err(Errno::TIMEDOUT);
        }
        rt::sleep(left.min(nap));
        nap = (nap * 2).min(16_000_000);
    }
}

/// A send of `len` bytes of `frame`: `EAGAIN` at once when full with `nowait`, else waiting, until the
/// deadline if there is one.
#[inline(never)]
pub fn qsend(
    q: Queue,
    frame: &Frame<MAX_PAYLOAD>,
    len: usize,
    nowait: bool,
    deadline: Option<i64>,
) -> Result<(), Errno> {
    let deadline = if nowait { None } else { deadline };
    let r = poll(deadline, Errno::AGAIN, &mut |nw| {
        let flags = if nw || nowait { SendFlags::NOWAIT } else { SendFlags::BLOCK };
        q.send_frame(frame, len, flags).map(|()| 0)
    });
    r.map(|_| ())
}

/// A copy of message `index` (`MSG_COPY`), its length.
#[inline(never)]
pub fn qpeek(q: Queue, frame: &mut Frame<MAX_PAYLOAD>, index: u32) -> Result<usize, Errno> {
    q.peek_frame(frame, index, RecvFlags::BLOCK)
}

/// `msgget(key, IPC_CREAT | IPC_EXCL | mode)`, or a private queue for `IPC_PRIVATE`.
#[inline(never)]
pub fn qcreate(key: Key, mode: u32) -> Result<Queue, Errno> {
    if key.is_private() { Queue::private(mode) } else { Queue::create_exclusive(key, mode) }
}

/// `svmq::limits()`.
#[inline(never)]
pub fn limits() -> Result<svmq::Limits, Errno> {
    svmq::limits()
}

/// `svmq::limits()`, a failure reported.
#[inline(never)]
pub fn limits_or(what: &'static str) -> Result<svmq::Limits, Fail> {
    svmq::limits().map_err(|e| fail(what, Arg::None, e, ""))
}

/// Calls `f` with every queue and its status, in the kernel's order (`svmq::queues()`; its failure
/// reported). The status is lent, not moved: a copy costs a word at a time on 32-bit targets.
#[inline(never)]
pub fn each_queue(what: &'static str, f: &mut dyn FnMut(Queue, &Status) -> Res) -> Res {
    for (q, st) in svmq::queues().map_err(|e| fail(what, Arg::None, e, ""))? {
        f(q, &st)?;
    }
    Ok(())
}

/// `q.stat()`, a failure reported.
#[inline(never)]
pub fn stat_or(what: &'static str, q: Queue) -> Result<Status, Fail> {
    q.stat().map_err(|e| fail(what, Arg::Id(q.id()), e, ""))
}

/// `--ns PID|PATH`: joins the IPC namespace of process PID, or of a namespace file.
pub fn enter_ns(spec: &'static [u8]) -> Res {
    let pid = !spec.is_empty() && spec.iter().all(u8::is_ascii_digit);
    let mut buf = [0u8; 4096];
    let arg = Arg::Str(spec);
    let path = if pid { rt::cpath(&mut buf, &[b"/proc/", spec, b"/ns/ipc"]) } else { rt::cpath(&mut buf, &[spec]) };
    let path = path.ok_or_else(|| fail("--ns", arg, Errno::NAMETOOLONG, ""))?;
    let fd = rt::open_read(path).map_err(Errno::from_raw).map_err(|e| {
        let why = match e {
            Errno::NOENT if pid => "no such process",
            Errno::ACCESS => "another user's namespace: run as root",
            _ => "",
        };
        fail("--ns", arg, e, why)
    })?;
    let r = rt::setns_ipc(fd).map_err(Errno::from_raw);
    rt::close(fd);
    r.map_err(|e| {
        let why = match e {
            Errno::INVAL => "not an IPC namespace file",
            Errno::PERM => "joining an IPC namespace needs CAP_SYS_ADMIN",
            _ => "",
        };
        fail("--ns", arg, e, why)
    })
}

/// The file `path` opened for reading (`O_NONBLOCK` with `nonblock`: never waits for a FIFO's writer),
/// or standard input (no path, or `-`).
#[inline(never)]
pub fn open_input(path: Option<&'static [u8]>, what: &'static str, nonblock: bool) -> Result<i32, Fail> {
    let Some(path) = path.filter(|p| *p != b"-") else { return Ok(0) };
    let mut buf = [0u8; 4096];
    let r = match rt::cpath(&mut buf, &[path]) {
        Some(c) if nonblock => rt::open_read_nonblock(c),
        Some(c) => rt::open_read(c),
        None => Err(36), // ENAMETOOLONG
    };
    r.map_err(|e| fail(what, Arg::Str(path), Errno::from_raw(e), ""))
}

/// The three message-queue sysctls, in the order of a dump's limits record.
pub const SYSCTLS: [&core::ffi::CStr; 3] =
    [c"/proc/sys/kernel/msgmax", c"/proc/sys/kernel/msgmnb", c"/proc/sys/kernel/msgmni"];

/// Writes `value` to sysctl `path`.
pub fn write_sysctl(path: &'static core::ffi::CStr, value: u32) -> Res {
    let arg = Arg::Str(path.to_bytes());
    let fd = rt::open_write(path).map_err(|e| fail("write", arg, Errno::from_raw(e), NEEDS_ROOT))?;
    let r = rt::write_all(fd, crate::out::decimal(&mut [0; 24], value.into())).map_err(Errno::from_raw);
    rt::close(fd);
    r.map_err(|e| fail("write", arg, e, ""))
}

/// Why a sysctl cannot be written.
pub const NEEDS_ROOT: &str = "the IPC sysctls are written by root of the namespace's user namespace";

/// Opens sysctl `path` for writing and closes it again: whether it could be written.
pub fn can_write(path: &'static core::ffi::CStr) -> Result<(), Fail> {
    let fd =
        rt::open_write(path).map_err(|e| fail("open", Arg::Str(path.to_bytes()), Errno::from_raw(e), NEEDS_ROOT))?;
    rt::close(fd);
    Ok(())
}
