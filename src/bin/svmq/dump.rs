//! `svmq dump`: a snapshot of queues and their messages (`docs/dump-format.md`), read with `MSG_COPY`:
//! the queues are left as they were. `-o FILE` writes a new file beside FILE (`FILE.PID.tmp`) and renames
//! it over FILE only once the whole dump is written and synced: a failed dump never damages an existing
//! FILE. A dump is never written to a terminal.

use crate::args::{Cmd, Line};
use crate::dumpfile::{DUMP_END, LIMITS, MAGIC, MESSAGE, QUEUE, QUEUE_END, VERSION, Writer};
use crate::kernel::{MAX_PAYLOAD, each_queue, limits_or, qpeek, qstat};
use crate::out::{Out, V};
use crate::report::{Arg, Bad, Fail, Res, bad, fail, say};
use crate::rt;
use svmq::{Errno, Frame, MsgType, Queue};

pub const CMD: Cmd = Cmd {
    name: "dump",
    operands: "[ID...]",
    min: 0,
    max: u8::MAX,
    help: "snapshot queues IDs, or all (-a), with their messages",
    opts: &[
        "a|all|every queue; unreadable ones are named and skipped (exit 1)",
        "o|output|write FILE (replaced only by a complete dump)|FILE",
    ],
};

pub fn run(line: &Line, stdout: &mut Out) -> Res {
    let all = line.flag(0);
    line.each_operand(&mut |a| line.id_of(a).map(|_| ()))?;
    let no_file = line.value(1).is_none() && rt::is_terminal(stdout.fd());
    if all == (line.operands > 0) || no_file {
        let why = if no_file { "a dump is binary: give -o FILE or redirect the output" } else { "give IDs or --all" };
        return Err(bad(Some(&CMD), Bad::Text(why)));
    }
    let Some(path) = line.value(1) else { return partial(write(line, stdout)) };
    // A new file beside FILE, renamed over it once complete.
    let (mut name, mut temp) = ([0u8; 4096], [0u8; 4096]);
    let mut digits = [0; 24];
    let pid = crate::out::decimal(&mut digits, rt::pid().into());
    let (Some(file), Some(temp)) = (rt::cpath(&mut name, &[path]), rt::cpath(&mut temp, &[path, b".", pid, b".tmp"]))
    else {
        return Err(fail("dump", Arg::Str(path), Errno::NAMETOOLONG, ""));
    };
    let fd = rt::create_new(temp).map_err(|e| fail("dump: create beside", Arg::Str(path), Errno::from_raw(e), ""))?;
    let mut out = Out::new(fd);
    let mut r = write(line, &mut out);
    let done = out.finish().and_then(|()| rt::fsync(fd).map_err(Errno::from_raw));
    rt::close(fd);
    if matches!(r, Ok(()) | Err(Fail::Partial))
        && let Err(e) = done.and_then(|()| rt::rename(temp, file).map_err(Errno::from_raw))
    {
        r = Err(fail("dump: write", Arg::Str(path), e, "the file is left as it was"));
    }
    if matches!(r, Err(Fail::Runtime | Fail::Usage)) {
        rt::unlink(temp);
    }
    partial(r)
}

/// Queues skipped: the dump of the others is written, and the command failed (exit status 1).
fn partial(r: Res) -> Res {
    if r == Err(Fail::Partial) { Err(Fail::Runtime) } else { r }
}

/// The whole dump to `out`; `Err(Fail::Partial)` when `--all` skipped unreadable queues (the dump of the
/// others is complete).
#[inline(never)]
fn write(line: &Line, out: &mut Out) -> Res {
    let l = limits_or("dump")?;
    let mut w = Writer { out, crc: 0 };
    w.put(MAGIC).le4(VERSION).le4(0).put(LIMITS);
    w.le4(l.msgmax).le4(l.msgmnb).le4(l.msgmni);
    let frame = &mut rt::big().frame;
    let (mut count, mut skipped) = (0u32, 0u32);
    if line.flag(0) {
        each_queue("dump", &mut |q, _| {
            match queue(&mut w, q, frame, true)? {
                1 => count += 1,
                2 => skipped += 1,
                _ => {}
            }
            Ok(())
        })?;
    } else {
        line.each_operand(&mut |a| {
            queue(&mut w, line.id_of(a)?, frame, false)?;
            count += 1;
            Ok(())
        })?;
    }
    w.put(DUMP_END).le4(count);
    let crc = w.crc;
    w.out.bytes(&crc.to_le_bytes());
    if skipped > 0 {
        say("dump: %d queue(s) skipped (named above); the dump holds the %d others", &[V::U(skipped), V::U(count)]);
        return Err(Fail::Partial);
    }
    Ok(())
}

/// One queue: its settings, then a copy of every message in order: 1. With `skip` (for `--all`), every
/// message is first copied once without writing, so that a queue that cannot be read is left out whole
/// and named (2), and a queue removed meanwhile is left out silently (0). A failure once the queue's
/// record is begun fails the dump.
#[inline(never)]
fn queue(w: &mut Writer<'_>, q: Queue, frame: &mut Frame<MAX_PAYLOAD>, skip: bool) -> Result<u8, Fail> {
    let what = if skip { "dump: skipped queue" } else { "dump" };
    let r = qstat(q);
    let st = match &r {
        Ok(st) => st,
        Err(Errno::INVAL | Errno::IDRM) if skip => return Ok(0),
        &Err(e) => {
            fail(what, Arg::Id(q.id()), e, "");
            return if skip { Ok(2) } else { Err(Fail::Runtime) };
        }
    };
    // Bounded so that a restore never needs more room than the queue had (a snapshot of a queue in use
    // can repeat a message that moved).
    // (32 bits: a queue's limit and contents are an int's in the kernel.)
    let bound =
        (st.qbytes.max(st.qnum).min(u32::MAX.into()) as u32, st.qbytes.max(st.cbytes).min(u32::MAX.into()) as u32);
    if skip && let Err((e, why)) = messages(None, q, frame, bound) {
        fail(what, Arg::Id(q.id()), e, why);
        return Ok(2);
    }
    w.put(QUEUE).le4(st.key.as_u32()).le4(q.id() as u32);
    for v in [st.mode & 0o777, st.uid, st.gid, 0] {
        w.le4(v);
    }
    w.le8(st.qbytes);
    let (count, bytes) =
        messages(Some(w), q, frame, bound).map_err(|(e, why)| fail("dump", Arg::Id(q.id()), e, why))?;
    w.put(QUEUE_END).le8(count.into()).le8(bytes.into());
    Ok(1)
}

/// Copies the messages of `q`, oldest first, at most `bound` (messages, bytes), into `w` if given: their
/// count and bytes.
#[inline(never)]
fn messages(
    mut w: Option<&mut Writer<'_>>,
    q: Queue,
    frame: &mut Frame<MAX_PAYLOAD>,
    bound: (u32, u32),
) -> Result<(u32, u32), (Errno, &'static str)> {
    let (mut count, mut bytes) = (0u32, 0u32);
    loop {
        let n = match qpeek(q, frame, count) {
            Ok(n) => n,
            Err(Errno::NOMSG) => break,
            Err(e @ Errno::TOOBIG) => return Err((e, "a message longer than 65536 bytes: svmq cannot dump it")),
            Err(e @ Errno::NOSYS) => return Err((e, "MSG_COPY needs a kernel with CONFIG_CHECKPOINT_RESTORE")),
            Err(e) => return Err((e, "")),
        };
        if count >= bound.0 || n as u32 > bound.1 - bytes {
            break;
        }
        count += 1;
        bytes += n as u32;
        if let Some(w) = w.as_deref_mut() {
            w.put(MESSAGE).le8(frame.mtype().map_or(0, MsgType::get) as u64).le4(n as u32);
            w.put(frame.text().get(..n).unwrap_or(&[]));
        }
    }
    Ok((count, bytes))
}
