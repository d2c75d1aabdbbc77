//! `svmq stat`: every field of one queue, as `ipcs -q -i ID` prints it (local times), or as JSON.

use crate::args::{Cmd, Line};
use crate::fields::{self, Ctx, JSON_ALL};
use crate::kernel::stat_or;
use crate::names::Names;
use crate::out::{Out, V};
use crate::report::Res;
use crate::tz::{Tm, Zone};

pub const CMD: Cmd = Cmd {
    name: "stat",
    operands: "ID",
    min: 1,
    max: 1,
    help: "every status field of queue ID (like ipcs -q -i ID)",
    opts: &["J|json|as JSON (the fields of ls --json)"],
};

pub fn run(line: &Line, out: &mut Out) -> Res {
    let q = line.id(0)?;
    // By reference: moving a Status out of its Result copies it word by word on 32-bit targets.
    let r = stat_or("stat", q);
    let st = r.as_ref().map_err(|e| *e)?;
    if line.flag(0) {
        let mut ctx = Ctx { names: Names::new(), zone: Zone::utc(), time: 0, now: Tm::default(), bytes: true };
        out.put("{\"messages\":[\n");
        json_object(out, &mut ctx, q, st, JSON_ALL);
        out.put("\n]}\n");
        return Ok(());
    }
    let v = [
        V::N(q.id()),
        V::U(st.uid),
        V::U(st.gid),
        V::U(st.cuid),
        V::U(st.cgid),
        V::U(st.mode & 0o777),
        V::I(st.cbytes as i64),
        V::I(st.qbytes as i64),
        V::I(st.qnum as i64),
        V::N(st.lspid),
        V::N(st.lrpid),
    ];
    out.f(
        "\nMessage Queue msqid=%d\nuid=%d\tgid=%d\tcuid=%d\tcgid=%d\tmode=%#o\ncbytes=%d\tqbytes=%d\tqnum=%d\tlspid=%d\tlrpid=%d\n",
        &v,
    );
    let zone = Zone::load(&mut crate::rt::big().zone, &line.args);
    for (label, t) in [("send_time=", st.stime), ("rcv_time=", st.rtime), ("change_time=", st.ctime)] {
        // %-26.24s of ctime(t), or of "Not set".
        out.put(label);
        match t {
            0 => out.put("Not set                   "),
            _ => out.ctime(&zone.local(t), false).put("  "),
        };
        out.put("\n");
    }
    out.put("\n");
    Ok(())
}

/// One queue as a JSON object of `cols`.
#[inline(never)]
pub fn json_object(out: &mut Out, ctx: &mut Ctx, q: svmq::Queue, st: &svmq::Status, cols: &[u8]) {
    for (i, &col) in cols.iter().enumerate() {
        out.put(if i == 0 { "{" } else { "," });
        fields::json(out, ctx, col, q, st);
    }
    out.put("}");
}
