//! `svmq send`: send one message, its payload from the command line or standard input.

use crate::args::{Cmd, Line};
use crate::kernel::{limits, qsend};
use crate::out::{Out, V};
use crate::report::{Arg, Fail, Res, fail, say};
use crate::rt;
use svmq::Errno;

pub const CMD: Cmd = Cmd {
    name: "send",
    operands: "ID TYPE [TEXT | -]",
    min: 2,
    max: 3,
    help: "send a message of TYPE: TEXT, nothing, or standard input (-), at most 65536 bytes",
    opts: &[
        " |nowait|fail (EAGAIN) instead of waiting while the queue is full",
        " |timeout|fail (ETIMEDOUT) if not sent within SECONDS|SECONDS",
    ],
};

pub fn run(line: &Line, _: &mut Out) -> Res {
    let start = rt::now_ns(rt::MONOTONIC);
    let q = line.id(0)?;
    let mtype = line.mtype(line.operand(1).unwrap_or(b""))?;
    // The deadline counts from the start of the command.
    let deadline = line.seconds(1)?.map(|t| start + t as i64);
    let arg = Arg::Id(q.id());
    let frame = &mut rt::big().frame;
    frame.set_mtype(mtype);
    let too_big = "svmq sends at most 65536 bytes";
    let len = match line.operand(2) {
        None => 0,
        Some(b"-") => {
            let buf = frame.text_mut();
            let mut len = 0;
            while let Some(spare) = buf.get_mut(len..) {
                if spare.is_empty() {
                    // Full: anything more is too much.
                    if rt::read(0, &mut [0u8; 1]).map_err(read_error)? > 0 {
                        return Err(fail("send", arg, Errno::TOOBIG, too_big));
                    }
                    break;
                }
                match rt::read(0, spare).map_err(read_error)? {
                    0 => break,
                    n => len += n,
                }
            }
            len
        }
        Some(text) => {
            let dst =
                frame.text_mut().get_mut(..text.len()).ok_or_else(|| fail("send", arg, Errno::TOOBIG, too_big))?;
            dst.copy_from_slice(text);
            text.len()
        }
    };
    qsend(q, frame, len, line.flag(0), deadline).map_err(|e| match (e, limits()) {
        (Errno::INVAL, Ok(l)) if len > l.msgmax as usize => {
            let v = [V::N(q.id()), V::I(len as i64), V::U(l.msgmax)];
            say("send %d: EINVAL: invalid argument (the message is %d bytes; msgmax is %d)", &v)
        }
        (Errno::AGAIN, _) => fail("send", arg, e, "the queue is full"),
        (Errno::TIMEDOUT, _) => fail("send", arg, e, "the queue stayed full until --timeout"),
        _ => fail("send", arg, e, ""),
    })
}

/// A read error of standard input.
#[cold]
fn read_error(e: i32) -> Fail {
    fail("send: read", Arg::None, Errno::from_raw(e), "")
}
