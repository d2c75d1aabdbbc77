//! `svmq recv`: receive messages to standard output, without ever losing one to a failed write.
//!
//! A message is taken only once it is written: the tool waits until a matching message is queued (a
//! receive of 0 bytes, which fails with `E2BIG` and leaves a longer message where it is), copies it by
//! position (`MSG_COPY`), writes it, then dequeues it (exact type, `IPC_NOWAIT`) and checks that it took
//! that very message. If the write fails, the message is still queued in its place; a record cut by the
//! failure is cut off a regular file again. Where `MSG_COPY` is missing (a kernel without
//! `CONFIG_CHECKPOINT_RESTORE`), or for an empty message (the 0-byte wait takes it whole), the message is
//! received first and, if the write fails, sent back to the end of the queue.

use crate::args::{Cmd, Line};
use crate::kernel::{MAX_PAYLOAD, poll, qpeek, qsend};
use crate::out::{Out, V};
use crate::report::{Arg, Fail, Must, Res, fail, say};
use crate::rt;
use svmq::{Errno, Frame, MsgType, Queue, RecvFlags, Select};

pub const CMD: Cmd = Cmd {
    name: "recv",
    operands: "ID [TYPE]",
    min: 1,
    max: 2,
    help: "receive to standard output (TYPE as msgrcv: 0 any, >0 exactly, <0 lowest up to |TYPE|)",
    opts: &[
        " |nowait|fail (ENOMSG) instead of waiting for a message",
        " |except|the first message of any type but TYPE",
        " |noerror|cut a message longer than 65536 bytes",
        " |count|N messages, each framed as 'TYPE LENGTH\\n' + payload|N",
        " |timeout|deadline for the whole command (ETIMEDOUT)|SECONDS",
    ],
};

/// How a receive goes.
struct Ask {
    q: Queue,
    select: Select,
    /// `msgrcv`'s type: 0, > 0 (exactly, or every other with `--except`), < 0 (lowest up to).
    msgtyp: i64,
    flags: RecvFlags,
    framed: bool,
    /// Deadline (`rt::now_ns(MONOTONIC)`).
    deadline: Option<i64>,
}

pub fn run(line: &Line, out: &mut Out) -> Res {
    let start = rt::now_ns(rt::MONOTONIC);
    let q = line.id(0)?;
    let max = MsgType::MAX.get();
    let msgtyp = match line.operand(1) {
        Some(t) => line.int("type", t, -max, max)?,
        None => 0,
    };
    let except = line.flag(1);
    if except && msgtyp <= 0 {
        return Err(line.invalid(
            "type",
            line.operand(1).unwrap_or(b"0"),
            Must::Text("1.. (a type to skip) with --except"),
        ));
    }
    let count = match line.value(3) {
        Some(n) => line.int("count", n, 1, i64::MAX)?,
        None => 1,
    };
    let mut flags = if line.flag(0) { RecvFlags::NOWAIT } else { RecvFlags::BLOCK };
    if line.flag(2) {
        flags = flags | RecvFlags::TRUNCATE;
    }
    let select = Select::from_raw(msgtyp as core::ffi::c_long, if except { svmq::sys::abi::MSG_EXCEPT } else { 0 });
    let deadline = line.seconds(4)?.filter(|_| !line.flag(0)).map(|t| start + t as i64);
    let ask = Ask { q, select, msgtyp, flags, framed: line.flag(3), deadline };
    let big = rt::big();
    for got in 0..count {
        one(&ask, got, count, out, &mut big.copy, &mut big.frame)?;
    }
    Ok(())
}

/// One message, received and written whole, or left queued; failures reported here (a timeout or an
/// empty queue after `got` > 0 messages: the partial result's status).
fn one(
    ask: &Ask,
    got: i64,
    want: i64,
    out: &mut Out,
    copy: &mut Frame<MAX_PAYLOAD>,
    taken: &mut Frame<MAX_PAYLOAD>,
) -> Res {
    let q = ask.q;
    let arg = Arg::Id(q.id());
    loop {
        // Wait without taking: E2BIG means a matching message of 1 byte or more is queued.
        let mut probe = Frame::<0>::new(MsgType::MIN);
        let nowait = ask.flags.contains(RecvFlags::NOWAIT);
        let r = poll(ask.deadline, Errno::NOMSG, &mut |nw| {
            q.recv_frame(&mut probe, ask.select, if nw || nowait { RecvFlags::NOWAIT } else { RecvFlags::BLOCK })
        });
        let (mtype, n) = match r {
            // An empty message: the 0-byte receive took it.
            Ok(_) => {
                copy.set_mtype(probe.mtype().unwrap_or(MsgType::MIN));
                return write_taken(ask, out, copy, 0);
            }
            Err(Errno::TOOBIG) => match find(ask, copy) {
                Some(found) => found,
                // No MSG_COPY (or a message it cannot copy): receive, then write.
                None => match q.recv_frame(copy, ask.select, ask.flags | RecvFlags::NOWAIT) {
                    Ok(n) => return write_taken(ask, out, copy, n),
                    Err(Errno::NOMSG) => continue,
                    Err(e) => return Err(fail("recv", arg, e, why(e))),
                },
            },
            Err(e @ (Errno::TIMEDOUT | Errno::NOMSG)) if got > 0 => {
                // Fewer than asked: what came is written and whole; its own exit status.
                say("recv %d: %d of %d messages (%e)", &[V::N(q.id()), V::I(got), V::I(want), V::E(e)]);
                return Err(Fail::Partial);
            }
            Err(e) => return Err(fail("recv", arg, e, why(e))),
        };
        // Taken by someone else meanwhile: wait again.
        if n == usize::MAX {
            continue;
        }
        write(ask, out, mtype, copy.text().get(..n).unwrap_or(&[]))
            .map_err(|e| fail("recv: write", arg, e, "nothing was taken: the message is still queued, in its place"))?;
        // Now take it: the first message of its type is the one copied, unless another receiver was faster.
        let r = q.recv_frame(taken, Select::Exactly(mtype), RecvFlags::NOWAIT | RecvFlags::TRUNCATE);
        if matches!(r, Ok(m) if m == n && taken.text().get(..n) == copy.text().get(..n)) {
            return Ok(());
        }
        if let Ok(m) = r {
            // Another message of that type: it goes back (at the end of the queue).
            let _ = qsend(q, taken, m, true, None);
        }
        return Err(fail(
            "recv",
            arg,
            Errno::NOMSG,
            "another process received the message written here: it was delivered twice",
        ));
    }
}

/// The likely cause of a receive error.
fn why(e: Errno) -> &'static str {
    match e {
        Errno::TIMEDOUT => "no matching message before --timeout",
        Errno::TOOBIG => "the message is longer than 65536 bytes; --noerror cuts it",
        _ => "",
    }
}

/// The message `ask` selects, copied into `copy` by position: `Some((type, length))`, length
/// `usize::MAX` if there is none now; `None` where `MSG_COPY` cannot copy (missing, or a message over
/// 65536 bytes).
fn find(ask: &Ask, copy: &mut Frame<MAX_PAYLOAD>) -> Option<(MsgType, usize)> {
    let (w, except) = (ask.msgtyp, matches!(ask.select, Select::Except(_)));
    let mut best = (u32::MAX, i64::MAX);
    let mut index = 0;
    loop {
        match qpeek(ask.q, copy, index) {
            Ok(_) => {}
            Err(Errno::NOMSG) => break,
            Err(_) => return None,
        }
        let t = copy.mtype().map_or(0, MsgType::get);
        // Any; exactly w; any but w; the lowest up to -w (its first message).
        if w == 0 || (w > 0 && (t == w) != except) || (w < 0 && t <= -w && t < best.1) {
            best = (index, t);
            if w >= 0 {
                break;
            }
        }
        index += 1;
    }
    if best.0 == u32::MAX {
        return Some((MsgType::MIN, usize::MAX));
    }
    match qpeek(ask.q, copy, best.0) {
        Ok(n) => Some((copy.mtype().unwrap_or(MsgType::MIN), n)),
        Err(Errno::NOMSG) => Some((MsgType::MIN, usize::MAX)),
        Err(_) => None,
    }
}

/// Writes a message already taken; if the write fails, it goes back to the end of the queue.
fn write_taken(ask: &Ask, out: &mut Out, frame: &Frame<MAX_PAYLOAD>, n: usize) -> Res {
    let mtype = frame.mtype().unwrap_or(MsgType::MIN);
    write(ask, out, mtype, frame.text().get(..n).unwrap_or(&[])).map_err(|e| {
        let why = match qsend(ask.q, frame, n, true, None) {
            Ok(()) => "the message was put back on the queue, at its end",
            Err(_) => "the message could not be put back and is lost",
        };
        fail("recv: write", Arg::Id(ask.q.id()), e, why)
    })
}

/// Writes one record (`TYPE LENGTH\n` + payload when framed) to standard output and flushes it. If that
/// fails on a regular file written at its end, the file is cut back to its length before the record.
#[inline(never)]
fn write(ask: &Ask, out: &mut Out, mtype: MsgType, payload: &[u8]) -> Result<(), Errno> {
    out.finish()?;
    let fd = out.fd();
    let before = rt::fstat(fd).ok().filter(|f| f.kind == rt::S_IFREG).map(|f| {
        let at_end =
            rt::offset(fd).is_ok_and(|o| o == f.size) || rt::status_flags(fd).is_ok_and(|fl| fl & rt::O_APPEND != 0);
        (f.size, at_end)
    });
    if ask.framed {
        out.f("%d %d\n", &[V::I(mtype.get()), V::I(payload.len() as i64)]);
    }
    out.bytes(payload);
    out.finish().inspect_err(|_| {
        if let Some((size, true)) = before
            && rt::fstat(fd).is_ok_and(|f| f.size > size)
        {
            let _ = rt::truncate(fd, size);
        }
    })
}
