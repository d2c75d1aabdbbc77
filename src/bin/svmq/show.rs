//! `svmq show`: what a dump holds, queue by queue and message by message (like `peek`), checked whole.

use crate::args::{Cmd, Line};
use crate::dumpfile::{Parser, Rec};
use crate::out::{Out, V};
use crate::report::{Arg, Res, fail, msg};
use crate::rt;
use svmq::MsgType;

pub const CMD: Cmd = Cmd {
    name: "show",
    operands: "FILE",
    min: 1,
    max: 1,
    help: "list the queues and messages of dump FILE (- : standard input), checking it",
    opts: &[],
};

/// Payload bytes shown per message.
const SHOWN: usize = 64;

pub fn run(line: &Line, out: &mut Out) -> Res {
    let fd = crate::kernel::open_input(line.operand(0), "show: open", false)?;
    let r = list(fd, out);
    rt::close(fd);
    r
}

fn list(fd: i32, out: &mut Out) -> Res {
    let bad = |b: crate::dumpfile::Bad| match b {
        crate::dumpfile::Bad::Io(e) => fail("show: read", Arg::None, e, ""),
        b => msg("show", b.text()),
    };
    let mut p = Parser::new(fd).map_err(bad)?;
    out.f("svmq dump, format version %d", &[V::U(p.version)]);
    if let Some(l) = p.limits {
        out.f("; its namespace's limits: msgmax %d, msgmnb %d, msgmni %d", &l.map(V::U));
    }
    out.put("\n");
    let frame = &mut rt::big().frame;
    let mut index = 0;
    loop {
        match p.next(frame).map_err(bad)? {
            Rec::Queue(q) => {
                index = 0;
                let s = q.settings;
                let v =
                    [q.key.as_u32().into(), q.id.into(), s.mode.into(), s.uid.into(), s.gid.into(), s.qbytes as i64];
                out.f("queue 0x%08x (id %d): mode %#o, uid %d, gid %d, qbytes %d\n", &v.map(V::I));
            }
            Rec::Message(n) => {
                let t = frame.mtype().map_or(0, MsgType::get);
                out.f("  message %d: type %d, %d bytes: \"", &[V::I(index), V::I(t), V::I(n as i64)]);
                let text = frame.text().get(..n.min(SHOWN)).unwrap_or(&[]);
                for &c in text {
                    match c {
                        b'"' | b'\\' => out.bytes(&[b'\\', c]),
                        0x20..0x7f => out.bytes(&[c]),
                        _ => out.f("\\x%02x", &[V::U(c.into())]),
                    };
                }
                out.put(if n > SHOWN { "\"...\n" } else { "\"\n" });
                index += 1;
            }
            Rec::QueueEnd(count, bytes) => {
                out.f("  %d message(s), %d bytes\n", &[V::U(count), V::U(bytes)]);
            }
            Rec::End => {
                out.f("%d queue(s); checksum correct\n", &[V::U(p.queues)]);
                return Ok(());
            }
        }
    }
}
