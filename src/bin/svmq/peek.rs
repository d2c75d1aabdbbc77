//! `svmq peek`: copy one message to standard output, leaving it queued (`MSG_COPY`).

use crate::args::{Cmd, Line};
use crate::kernel::qpeek;
use crate::out::{Out, V};
use crate::report::{Arg, Res, fail};
use svmq::{Errno, MsgType};

pub const CMD: Cmd = Cmd {
    name: "peek",
    operands: "ID [INDEX]",
    min: 1,
    max: 2,
    help: "copy message INDEX (0: the oldest) of queue ID to standard output; it stays queued",
    opts: &[" |type|print the type on a line first (else: to standard error)"],
};

pub fn run(line: &Line, out: &mut Out) -> Res {
    let q = line.id(0)?;
    let index = match line.operand(1) {
        Some(i) => line.int("index", i, 0, i64::from(u32::MAX))? as u32,
        None => 0,
    };
    let frame = &mut crate::rt::big().frame;
    let n = qpeek(q, frame, index).map_err(|e| {
        let why = match e {
            Errno::NOMSG => "fewer messages queued than INDEX + 1",
            Errno::NOSYS => "MSG_COPY needs a kernel with CONFIG_CHECKPOINT_RESTORE",
            _ => "",
        };
        fail("peek", Arg::Id(q.id()), e, why)
    })?;
    let mtype = frame.mtype().map_or(0, MsgType::get);
    if line.flag(0) {
        out.int(mtype).put("\n");
    } else {
        let mut err = Out::new(2);
        err.f("type %d\n", &[V::I(mtype)]);
        let _ = err.finish();
    }
    out.bytes(frame.text().get(..n).unwrap_or(&[]));
    Ok(())
}
