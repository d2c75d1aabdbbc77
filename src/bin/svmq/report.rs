//! Errors, reported on standard error when made: `svmq: CMD ARG: ERRNO: description (cause)` for a failed
//! call (exit status 1), `svmq: CMD: ...` and the command's synopsis for a bad command line (status 2).

use crate::args::{self, Cmd, field};
use crate::out::{Out, V};
use svmq::{Errno, Key, Queue};

/// A failure, already reported: exit status 1 ([`Fail::Runtime`]), 2 ([`Fail::Usage`]), or 3 for a
/// partial `recv --count` ([`Fail::Partial`]).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Fail {
    Runtime,
    Usage,
    Partial,
}

pub type Res = Result<(), Fail>;

/// What a failure was about: printed after the call's name.
#[derive(Clone, Copy)]
pub enum Arg {
    None,
    Id(i32),
    Num(u32),
    /// A key, printed `0x%08x`.
    Key(Key),
    Str(&'static [u8]),
}

/// What an argument must be.
#[derive(Clone, Copy)]
pub enum Must {
    Text(&'static str),
    Range(i64, i64),
    /// One of the tool's commands.
    Command,
}

/// A bad command line.
#[derive(Clone, Copy)]
pub enum Bad {
    /// `invalid WHAT 'ARG': must be ...`
    Invalid(&'static str, &'static [u8], Must),
    /// `missing WHAT`
    Missing(&'static [u8]),
    /// `missing VALUE after --opt` (an option's string)
    MissingValue(&'static str),
    /// `option '--opt' takes no value` (an option's string)
    NoValue(&'static str),
    /// `unknown option 'ARG'`
    Unknown(&'static [u8]),
    /// `unexpected argument 'ARG'` (an operand too many)
    Surplus(&'static [u8]),
    /// Anything else, said in full.
    Text(&'static str),
}

/// A failed call about queue `id`, reported.
#[inline(never)]
pub fn ck(what: &'static str, id: i32, r: Result<(), Errno>) -> Res {
    r.map_err(|e| fail(what, Arg::Id(id), e, ""))
}

/// Reports a failed call: `svmq: <what> <arg>: <ERRNO>: <description> (<why>)`; exit status 1. Without
/// `why`, for `EINVAL`/`EIDRM` about an id: whether that queue exists.
#[cold]
#[inline(never)]
pub fn fail(what: &'static str, arg: Arg, e: Errno, why: &'static str) -> Fail {
    let mut err = Out::new(2);
    err.f("svmq: %s", &[V::S(what.as_bytes())]);
    match arg {
        Arg::None => &mut err,
        Arg::Id(id) => err.f(" %d", &[V::N(id)]),
        Arg::Num(n) => err.f(" %d", &[V::U(n)]),
        Arg::Key(k) => err.f(" 0x%08x", &[V::U(k.as_u32())]),
        Arg::Str(s) => err.f(" %s", &[V::S(s)]),
    };
    err.put(": ").errno(e);
    if !why.is_empty() {
        err.f(" (%s)", &[V::S(why.as_bytes())]);
    } else if let (Arg::Id(id), Errno::INVAL | Errno::IDRM) = (arg, e)
        && matches!(crate::kernel::qstat(Queue::from_id(id)), Err(Errno::INVAL | Errno::IDRM))
    {
        err.f(" (no queue with id %d)", &[V::N(id)]);
    }
    err.put("\n");
    let _ = err.finish();
    Fail::Runtime
}

/// Prints `svmq: ` and `fmt` (with `args`, as [`Out::f`]) on standard error; exit status 1.
#[cold]
#[inline(never)]
pub fn say(fmt: &str, args: &[V<'_>]) -> Fail {
    let mut err = Out::new(2);
    err.put("svmq: ").f(fmt, args).put("\n");
    let _ = err.finish();
    Fail::Runtime
}

/// Reports a failure in words: `svmq: <what>: <text>`; exit status 1.
#[cold]
#[inline(never)]
pub fn msg(what: &'static str, text: &'static str) -> Fail {
    say("%s: %s", &[V::S(what.as_bytes()), V::S(text.as_bytes())])
}

/// Reports a bad command line: `svmq: <cmd>: ...`, with the command's synopsis when an argument is
/// missing or unexpected; exit status 2.
#[cold]
#[inline(never)]
pub fn bad(cmd: Option<&'static Cmd>, b: Bad) -> Fail {
    let mut err = Out::new(2);
    err.put("svmq: ");
    if let Some(c) = cmd {
        err.put(c.name).put(": ");
    }
    let usage = match b {
        Bad::Invalid(what, arg, must) => {
            err.put("invalid ").put(what).put(" '").bytes(arg).put("': must be ");
            match must {
                Must::Text(t) => err.put(t),
                Must::Range(lo, hi) => err.int(lo).put("..").int(hi),
                Must::Command => {
                    err.put("one of ");
                    for (i, c) in crate::COMMANDS.iter().enumerate() {
                        err.put(if i == 0 { "" } else { ", " }).put(c.0.name);
                    }
                    err.put(" (svmq help)")
                }
            };
            false
        }
        Bad::Missing(what) => {
            err.f("missing %s", &[V::S(what)]);
            true
        }
        Bad::MissingValue(o) => {
            err.f("missing %s after --%s", &[V::S(field(o, 3)), V::S(field(o, 1))]);
            true
        }
        Bad::NoValue(o) => {
            err.f("option '--%s' takes no value", &[V::S(field(o, 1))]);
            true
        }
        Bad::Unknown(arg) => {
            err.put("unknown option '").bytes(arg).put("'");
            true
        }
        Bad::Surplus(arg) => {
            err.put("unexpected argument '").bytes(arg).put("'");
            true
        }
        Bad::Text(t) => {
            err.put(t);
            false
        }
    };
    err.put("\n");
    if let (true, Some(c)) = (usage, cmd) {
        args::synopsis(&mut err, c, " (--help: the options)\n");
    }
    let _ = err.finish();
    Fail::Usage
}
