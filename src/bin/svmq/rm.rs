//! `svmq rm`: remove queues by id, by key, or all (like `ipcrm -q`, `-Q`, `--all=msg`).

use crate::args::{Cmd, Line};
use crate::kernel::each_queue;
use crate::out::Out;
use crate::report::{Arg, Bad, Fail, Res, bad, fail};
use svmq::Queue;

pub const CMD: Cmd = Cmd {
    name: "rm",
    operands: "[ID...]",
    min: 0,
    max: u8::MAX,
    help: "remove queues: by id, by key (-k, repeatable), or every queue (--all)",
    opts: &["k|key|the queue of KEY|KEY", "a|all|every queue (of this IPC namespace)"],
};

pub fn run(line: &Line, _: &mut Out) -> Res {
    let all = line.flag(1);
    if all == (line.operands > 0 || line.flag(0)) {
        let b = if all {
            Bad::Text("--all removes every queue: give it no id or key")
        } else {
            Bad::Missing(b"ID, -k KEY or --all")
        };
        return Err(bad(Some(&CMD), b));
    }
    // Every argument checked before anything is removed; then each tried, each failure reported as it
    // happens (as ipcrm does).
    line.each_operand(&mut |a| line.id_of(a).map(|_| ()))?;
    line.each_value(0, &mut |k| line.key(k).map(|_| ()))?;
    let mut failed = false;
    let mut remove = |what: &'static str, arg: Arg, q: Result<Queue, svmq::Errno>| {
        if let Err(e) = q.and_then(|q| q.remove()) {
            fail(what, arg, e, "");
            failed = true;
        }
    };
    if all {
        each_queue("rm", &mut |q, _| {
            remove("rm", Arg::Id(q.id()), Ok(q));
            Ok(())
        })?;
    }
    line.each_operand(&mut |a| {
        let q = line.id_of(a)?;
        remove("rm", Arg::Id(q.id()), Ok(q));
        Ok(())
    })?;
    line.each_value(0, &mut |k| {
        let key = line.key(k)?;
        remove("rm -k", Arg::Key(key), Queue::open(key));
        Ok(())
    })?;
    if failed { Err(Fail::Runtime) } else { Ok(()) }
}
