//! `svmq`: a static, libc-free `ipcs -q` / `lsipc -q` / `ipcmk -Q` / `ipcrm -q`, with send, receive, peek,
//! dump, show and restore, for initramfs images and containers. No allocation; the only unsafe code is in
//! `rt.rs`. This file parses the words before the command and dispatches: one file per command, the
//! parser in `args.rs` (`svmq help` prints what their tables hold).
#![no_std]
#![no_main]
#![no_builtins]
#![deny(unsafe_code)]

mod args;
mod dump;
mod dumpfile;
mod fields;
mod kernel;
mod ls;
mod mk;
mod names;
mod out;
mod peek;
mod recv;
mod report;
mod restore;
mod rm;
mod rt;
mod send;
mod set;
mod show;
mod stat;
mod tz;

use args::{Cmd, Line};
use out::Out;
use report::{Bad, Fail, Must, Res, bad};

/// A command's code.
type Run = fn(&Line, &mut Out) -> Res;

/// Every command, in the order `svmq help` lists them.
pub const COMMANDS: [(&Cmd, Run); 12] = [
    (&ls::CMD, ls::run),
    (&mk::CMD, mk::run),
    (&rm::CMD, rm::run),
    (&stat::CMD, stat::run),
    (&set::CMD, set::run),
    (&send::CMD, send::run),
    (&recv::CMD, recv::run),
    (&peek::CMD, peek::run),
    (&dump::CMD, dump::run),
    (&show::CMD, show::run),
    (&restore::CMD, restore::run),
    (&HELP, help),
];

const HELP: Cmd =
    Cmd { name: "help", operands: "[COMMAND]", min: 0, max: 1, help: "every command's usage, or COMMAND's", opts: &[] };

pub fn main(args: rt::Args) -> i32 {
    let mut out = Out::new(1);
    let res = run(args, &mut out);
    // Every write error counts, the last flush's too.
    let res = res.and_then(|()| out.finish().map_err(|e| report::fail("write", report::Arg::None, e, "")));
    match res {
        Ok(()) => 0,
        Err(Fail::Runtime) => 1,
        Err(Fail::Usage) => 2,
        Err(Fail::Partial) => 3,
    }
}

/// `svmq [--ns PID|PATH] [-h | --help | -V | --version] COMMAND ...`.
fn run(args: rt::Args, out: &mut Out) -> Res {
    let mut i = 1;
    let mut ns = None;
    let word = loop {
        let Some(a) = args.get(i).map(|a| a.to_bytes()) else {
            return Err(bad(None, Bad::Missing(b"COMMAND (svmq help lists them)")));
        };
        i += 1;
        match args::word(a, &["--ns", "-h", "--help", "-V", "--version"]) {
            Some(0) => {
                ns = Some(
                    args.get(i).map(|v| v.to_bytes()).ok_or_else(|| bad(None, Bad::Missing(b"PID|PATH after --ns")))?,
                );
                i += 1;
            }
            Some(1 | 2) => return help_all(out),
            Some(_) => {
                out.put("svmq ").put(env!("CARGO_PKG_VERSION")).put("\n");
                return Ok(());
            }
            None => match a.strip_prefix(b"--ns=") {
                Some(v) => ns = Some(v),
                None => break a,
            },
        }
    };
    let &(cmd, run) =
        COMMANDS.get(command(word)).ok_or_else(|| bad(None, Bad::Invalid("command", word, Must::Command)))?;
    let line = Line::parse(cmd, args, i)?;
    if line.help() {
        args::usage(out, cmd);
        return Ok(());
    }
    if let Some(ns) = line.ns().or(ns) {
        kernel::enter_ns(ns)?;
    }
    run(&line, out)
}

/// `svmq help [COMMAND]`.
fn help(line: &Line, out: &mut Out) -> Res {
    let Some(word) = line.operand(0) else { return help_all(out) };
    let cmd = COMMANDS.get(command(word)).ok_or_else(|| line.invalid("command", word, Must::Command))?;
    args::usage(out, cmd.0);
    Ok(())
}

/// The index in `COMMANDS` of the command `word` (past the end: none).
#[inline(never)]
fn command(word: &[u8]) -> usize {
    COMMANDS.iter().position(|c| c.0.name.as_bytes() == word).unwrap_or(COMMANDS.len())
}

/// Every command's usage.
#[inline(never)]
fn help_all(out: &mut Out) -> Res {
    out.put("usage: svmq [--ns PID|PATH] COMMAND [ARGUMENT...]\n");
    out.put("System V message queues: ipcs -q, lsipc -q, ipcmk -Q and ipcrm -q, with send, receive, dump and\n");
    out.put("restore. The details: svmq(1).\n");
    for (cmd, _) in COMMANDS {
        out.put("\n");
        args::usage(out, cmd);
    }
    Ok(())
}
