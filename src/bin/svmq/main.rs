//! `svmq`: a static, libc-free `ipcs -q` / `ipcmk -Q` / `ipcrm -q`, with send, receive, peek, dump and
//! restore, for initramfs images and containers. No allocation; the only unsafe code is in `rt.rs`.
//! `svmq help` lists the commands (the table `COMMANDS` below).
#![no_std]
#![no_main]
#![no_builtins]
#![deny(unsafe_code)]

mod dump;
mod names;
mod out;
mod rt;

use core::ffi::CStr;
use core::time::Duration;
use names::{Db, Names};
use out::Out;
use svmq::{Errno, Frame, Key, MsgType, Queue, RecvFlags, Select, SendFlags, Settings, Status};

/// Every command: name, arguments, what it does. `svmq help` prints them; argument errors print one.
const COMMANDS: [(&str, &str, &str); 11] = [
    ("ls", "[-l | -u] [--json]", "list queues (like ipcs -q); -l limits; -u usage"),
    ("mk", "[-p MODE] [-k KEY | -f PATH:PROJ]", "create a queue exclusively; prints key and id"),
    ("rm", "ID... | -k KEY | --all", "remove queues"),
    ("stat", "ID [--json]", "every status field (like ipcs -q -i ID)"),
    ("set", "ID [--mode M] [--uid U] [--gid G] [--qbytes N]", "change owner, mode, byte limit"),
    ("send", "ID TYPE [TEXT | -]", "send a message; '-' reads the payload from standard input"),
    (
        "recv",
        "ID [TYPE] [--nowait] [--except] [--noerror] [--count N] [--timeout SECONDS]",
        "receive to standard output; --count N: N messages, each framed as 'TYPE LENGTH\\n' + payload",
    ),
    ("peek", "ID [INDEX] [--type]", "copy message INDEX (0: oldest) to standard output, leave it queued"),
    ("dump", "ID... | --all [-o FILE]", "snapshot queues and their messages (docs/dump-format.md)"),
    ("restore", "[-i FILE] [--same-id] [--key KEY]", "recreate the queues of a dump (FILE must be seekable)"),
    ("help", "[COMMAND]", "this text; svmq --version: the version"),
];

/// Largest payload `send` and `recv` handle (the kernel's msgmax can be raised to at most this here).
pub const MAX_PAYLOAD: usize = 65536;

/// What a failure was about: printed after the call's name.
#[derive(Clone, Copy)]
pub enum Arg {
    None,
    Id(i32),
    Num(i64),
    /// A key, printed `0x%08x`.
    Key(Key),
    Str(&'static [u8]),
}

/// The likely cause of a kernel error, printed in parentheses after it.
#[derive(Clone, Copy)]
pub enum Why {
    None,
    /// Worked out in `report`: for `EINVAL`/`EIDRM` on an id, whether the queue exists.
    Guess,
    Text(&'static str),
    /// A message of `len` bytes against the kernel's msgmax.
    MsgMax(usize, u32),
}

/// What an argument must be.
#[derive(Clone, Copy)]
pub enum Must {
    Text(&'static str),
    Range(i64, i64),
    /// One of the tool's commands (listed from `COMMANDS`).
    Command,
}

/// A bad command line: `svmq: CMD: ...`, exit status 2.
#[derive(Clone, Copy)]
pub enum Bad {
    /// `invalid WHAT 'ARG': must be ...`
    Invalid(&'static str, &'static [u8], Must),
    /// `missing WHAT` (and the command's usage line)
    Missing(&'static str),
    /// `unknown option or extra argument 'ARG'` (and the usage line)
    Unknown(&'static [u8]),
    /// Anything else, said in full.
    Text(&'static str),
}

/// A failure, already reported on stderr when made (by [`fail`], [`bad`] or [`msg`]: small values to
/// pass around, small code): exit status 1, or 2 for a bad command line.
#[derive(Clone, Copy)]
pub enum Fail {
    Runtime,
    Usage,
}

type Res = Result<(), Fail>;

#[inline(never)]
fn call<T>(what: &'static str, arg: Arg, r: Result<T, Errno>) -> Result<T, Fail> {
    r.map_err(|e| fail(what, arg, e, Why::Guess))
}

pub fn main(args: rt::Args) -> i32 {
    let mut out = Out::new(1);
    let res = run(&args, &mut out);
    // Every write error counts, the last flush's too.
    let res = res.and_then(|()| out.finish().map_err(|e| fail("write", Arg::None, e, Why::None)));
    match res {
        Ok(()) => 0,
        Err(Fail::Runtime) => 1,
        Err(Fail::Usage) => 2,
    }
}

#[inline(never)]
fn run(args: &rt::Args, out: &mut Out) -> Res {
    let mut rest = Rest { args, next: 1, cmd: "" };
    let mut cmd = rest.next();
    if cmd.is_some_and(|c| word(c, &["--ns"]) == 0) {
        let spec = rest.value("PID or PATH after --ns")?;
        enter_ns(spec)?;
        cmd = rest.next();
    }
    let Some(cmd) = cmd else {
        return Err(bad("", Bad::Missing("COMMAND (svmq help lists them)")));
    };
    let n = word(
        cmd,
        &[
            "ls",
            "mk",
            "rm",
            "stat",
            "set",
            "send",
            "recv",
            "peek",
            "dump",
            "restore",
            "help",
            "-h",
            "--help",
            "-V",
            "--version",
        ],
    );
    rest.cmd = COMMANDS.get(n).map_or("", |c| c.0);
    match n {
        0 => ls(rest, out),
        1 => mk(rest, out, args),
        2 => rm(rest),
        3 => stat(rest, out),
        4 => set(rest),
        5 => send(rest),
        6 => recv(rest, out),
        7 => peek(rest, out),
        8 => dump::dump(rest, out),
        9 => dump::restore(rest, out),
        10..=12 => {
            rest.cmd = "help";
            let topic = rest.next();
            let found = topic.and_then(|t| COMMANDS.get(word(t, &COMMANDS.map(|c| c.0))));
            if topic.is_some() && found.is_none() {
                return Err(bad("help", Bad::Invalid("command", topic.unwrap_or(b""), Must::Command)));
            }
            usage(out, found.map(|c| c.0));
            Ok(())
        }
        13 | 14 => {
            out.put("svmq ").put(env!("CARGO_PKG_VERSION")).put("\n");
            Ok(())
        }
        _ => Err(bad("", Bad::Invalid("command", cmd, Must::Command))),
    }
}

/// The index of `a` in `words`, or `words.len()`: one loop for every option match (small code).
#[inline(never)]
pub fn word(a: &[u8], words: &[&str]) -> usize {
    words.iter().position(|w| w.as_bytes() == a).unwrap_or(words.len())
}

/// `qstat(q)`, once in the program.
#[inline(never)]
pub fn qstat(q: Queue) -> Result<Status, Errno> {
    q.stat()
}

/// `q.set(st)`, once in the program.
#[inline(never)]
pub fn qset(q: Queue, st: &Settings) -> Result<(), Errno> {
    q.set(st)
}

/// A blocking or `NOWAIT` send of `len` bytes of `frame`, retried on EINTR; once in the program.
#[inline(never)]
pub fn qsend(q: Queue, frame: &Frame<MAX_PAYLOAD>, len: usize, flags: SendFlags) -> Result<(), Errno> {
    svmq::retry_on_intr(|| q.send_frame(frame, len, flags))
}

/// `msgget(key, IPC_CREAT | IPC_EXCL | mode)`, or a private queue for `IPC_PRIVATE`; once in the program.
#[inline(never)]
pub fn qcreate(key: Key, mode: u32) -> Result<Queue, Errno> {
    if key.is_private() { Queue::private(mode) } else { Queue::create_exclusive(key, mode) }
}

/// The next queue of an enumeration; once in the program.
#[inline(never)]
pub fn next_queue(it: &mut svmq::Queues) -> Option<(Queue, Status)> {
    it.next()
}

/// `limits()`, once in the program.
#[inline(never)]
pub fn limits() -> Result<svmq::Limits, Errno> {
    svmq::limits()
}

/// Usage of every command, or of one.
#[inline(never)]
fn usage(out: &mut Out, only: Option<&str>) {
    if only.is_none() {
        out.put("usage: svmq [--ns PID|PATH] COMMAND ...\n");
    }
    for (name, args, what) in COMMANDS {
        if only.is_none_or(|o| o == name) {
            out.put("  svmq ").put(name).put(" ").put(args).put("\n      ").put(what).put("\n");
        }
    }
}

/// `--ns PID|PATH`: joins the IPC namespace of process PID, or of a namespace file.
#[inline(never)]
fn enter_ns(spec: &'static [u8]) -> Res {
    let pid = spec.iter().all(u8::is_ascii_digit);
    let mut buf = [0u8; 4096];
    let path = if pid { cpath(&mut buf, &[b"/proc/", spec, b"/ns/ipc"]) } else { cpath(&mut buf, &[spec]) };
    let path = path.ok_or_else(|| bad("--ns", Bad::Invalid("namespace", spec, Must::Text("a pid or a path"))))?;
    let arg = Arg::Str(spec);
    let fd = rt::open_read(path).map_err(Errno::from_raw).map_err(|e| {
        let why = match e {
            Errno::NOENT if pid => Why::Text("no such process"),
            Errno::ACCESS => Why::Text("another user's namespace: run as root"),
            _ => Why::None,
        };
        fail("--ns", arg, e, why)
    })?;
    let r = rt::setns_ipc(fd).map_err(Errno::from_raw);
    rt::close(fd);
    r.map_err(|e| {
        let why = match e {
            Errno::INVAL => Why::Text("not an IPC namespace file"),
            Errno::PERM => Why::Text("joining an IPC namespace needs CAP_SYS_ADMIN"),
            _ => Why::None,
        };
        fail("--ns", arg, e, why)
    })
}

/// `parts` joined into `buf` as a C string; `None` if too long or if a part holds a NUL.
#[inline(never)]
pub fn cpath<'b>(buf: &'b mut [u8; 4096], parts: &[&[u8]]) -> Option<&'b CStr> {
    let mut n = 0;
    for p in parts {
        if p.contains(&0) {
            return None;
        }
        buf.get_mut(n..n + p.len())?.copy_from_slice(p);
        n += p.len();
    }
    *buf.get_mut(n)? = 0;
    CStr::from_bytes_with_nul(buf.get(..=n)?).ok()
}

/// The arguments after the subcommand.
pub struct Rest<'a> {
    args: &'a rt::Args,
    next: usize,
    /// The command, for error messages.
    pub cmd: &'static str,
}

impl Rest<'_> {
    #[inline(never)]
    #[allow(clippy::should_implement_trait)] // not an iterator: parsers step back and forth
    pub fn next(&mut self) -> Option<&'static [u8]> {
        let a = self.args.get(self.next)?;
        self.next += 1;
        Some(a.to_bytes())
    }
    /// The next argument, which must be there: `missing WHAT` otherwise.
    #[inline(never)]
    pub fn value(&mut self, what: &'static str) -> Result<&'static [u8], Fail> {
        self.next().ok_or_else(|| bad(self.cmd, Bad::Missing(what)))
    }
    /// An error about argument `arg`.
    #[inline(never)]
    pub fn invalid(&self, what: &'static str, arg: &'static [u8], must: Must) -> Fail {
        bad(self.cmd, Bad::Invalid(what, arg, must))
    }
    #[inline(never)]
    pub fn unknown(&self, arg: &'static [u8]) -> Fail {
        bad(self.cmd, Bad::Unknown(arg))
    }
    /// Nothing may follow.
    #[inline(never)]
    pub fn end(&mut self) -> Res {
        match self.next() {
            Some(a) => Err(self.unknown(a)),
            None => Ok(()),
        }
    }
    /// An integer in `lo..=hi`.
    #[inline(never)]
    pub fn int(&self, what: &'static str, s: &'static [u8], lo: i64, hi: i64) -> Result<i64, Fail> {
        parse_int(s).filter(|v| (lo..=hi).contains(v)).ok_or_else(|| self.invalid(what, s, Must::Range(lo, hi)))
    }
    #[inline(never)]
    pub fn id(&mut self) -> Result<Queue, Fail> {
        let s = self.value("ID")?;
        Ok(Queue::from_id(self.int("id", s, 0, i64::from(i32::MAX))? as i32))
    }
    #[inline(never)]
    pub fn key(&self, s: &'static [u8]) -> Result<Key, Fail> {
        let v = parse_int(s).and_then(|v| Key::try_from(v).ok());
        v.ok_or_else(|| self.invalid("key", s, Must::Text("a 32-bit number (-2147483648..4294967295, 0x hex allowed)")))
    }
    #[inline(never)]
    pub fn u32(&self, what: &'static str, s: &'static [u8]) -> Result<u32, Fail> {
        Ok(self.int(what, s, 0, i64::from(u32::MAX))? as u32)
    }
    #[inline(never)]
    pub fn mtype(&self, s: &'static [u8]) -> Result<MsgType, Fail> {
        Ok(MsgType::new(self.int("type", s, 1, MsgType::MAX.get())?).unwrap_or(MsgType::MIN))
    }
}

/// Parses a decimal, `0x` hexadecimal or `0o` octal integer, optionally negative.
#[inline(never)]
pub fn parse_int(s: &[u8]) -> Option<i64> {
    let (neg, s) = match s {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, s),
    };
    let (radix, digits) = match s {
        [b'0', b'x' | b'X', rest @ ..] => (16, rest),
        [b'0', b'o', rest @ ..] => (8, rest),
        _ => (10, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: i64 = 0;
    for &c in digits {
        let d = (c as char).to_digit(radix)?;
        v = v.checked_mul(i64::from(radix))?.checked_sub(i64::from(d))?;
    }
    if neg { Some(v) } else { v.checked_neg() }
}

/// A mode in octal, as `ipcmk -p` and `chmod` take it (`644` or `0644`).
#[inline(never)]
fn parse_mode(rest: &Rest<'_>, s: &'static [u8]) -> Result<u32, Fail> {
    let mut v: u32 = 0;
    let bad = || rest.invalid("mode", s, Must::Text("octal 0..777"));
    if s.is_empty() {
        return Err(bad());
    }
    for &c in s {
        v = v.checked_mul(8).and_then(|v| v.checked_add((c as char).to_digit(8)?)).ok_or_else(bad)?;
    }
    if v <= 0o777 { Ok(v) } else { Err(bad()) }
}

/// `--json` as the last argument.
#[inline(never)]
fn json_flag(rest: &mut Rest<'_>) -> Result<bool, Fail> {
    match rest.next() {
        None => Ok(false),
        Some(a) if word(a, &["--json"]) == 0 => rest.end().map(|()| true),
        Some(a) => Err(rest.unknown(a)),
    }
}

#[inline(never)]
fn ls(mut rest: Rest<'_>, out: &mut Out) -> Res {
    // -l or -u, and --json, in any order.
    let (mut mode, mut json) = (2, false);
    while let Some(a) = rest.next() {
        match word(a, &["-l", "-u", "--json"]) {
            m @ (0 | 1) if mode == 2 => mode = m,
            2 if !json => json = true,
            _ => return Err(rest.unknown(a)),
        }
    }
    if mode == 2 {
        return if json { ls_json(out) } else { ls_plain(out) };
    }
    if mode == 0 {
        let l = call("ls -l", Arg::None, limits())?;
        if json {
            out.put("{\"ipclimits\":[");
            let rows = [
                ("MSGMNI", "Number of message queues", l.msgmni),
                ("MSGMAX", "Max size of message (bytes)", l.msgmax),
                ("MSGMNB", "Default max size of queue (bytes)", l.msgmnb),
            ];
            for (i, (res, desc, v)) in rows.into_iter().enumerate() {
                out.put(if i == 0 { "{" } else { ",{" }).key("resource").json_str(res.as_bytes());
                out.put(",").key("description").json_str(desc.as_bytes());
                out.put(",").key("limit").int(i64::from(v)).put("}");
            }
            out.put("]}\n");
        } else {
            out.put("\n------ Messages Limits --------\n");
            out.put("max queues system wide = ").int(i64::from(l.msgmni)).put("\n");
            out.put("max size of message (bytes) = ").int(i64::from(l.msgmax)).put("\n");
            out.put("default max size of queue (bytes) = ").int(i64::from(l.msgmnb)).put("\n\n");
        }
    } else {
        let u = call("ls -u", Arg::None, svmq::usage())?;
        if json {
            out.put("{\"msgstatus\":{").key("allocated_queues").int(i64::from(u.queues));
            out.put(",").key("used_headers").int(i64::from(u.messages));
            out.put(",").key("used_space").int(i64::from(u.bytes)).put("}}\n");
        } else {
            out.put("\n------ Messages Status --------\n");
            out.put("allocated queues = ").int(i64::from(u.queues)).put("\n");
            out.put("used headers = ").int(i64::from(u.messages)).put("\n");
            out.put("used space = ").int(i64::from(u.bytes)).put(" bytes\n\n");
        }
    }
    Ok(())
}

#[inline(never)]
fn ls_plain(out: &mut Out) -> Res {
    out.put("\n------ Message Queues --------\n");
    out.put("key        msqid      owner      perms      used-bytes   messages    \n");
    let mut names = Names::new();
    let mut it = call("ls", Arg::None, svmq::queues())?;
    while let Some((q, st)) = next_queue(&mut it) {
        out.put("0x").hex8(st.key.as_u32()).put(" ");
        out.int_w(i64::from(q.id()), 10).put(" ");
        out.owner(&mut names, st.uid, 10).put(" ");
        out.octal_w(st.mode & 0o777, 10).put(" ");
        out.int_w(st.cbytes as i64, 12).put(" ");
        out.int_w(st.qnum as i64, 12).put("\n");
    }
    out.put("\n");
    Ok(())
}

#[inline(never)]
fn ls_json(out: &mut Out) -> Res {
    let mut names = Names::new();
    out.put("{\"messages\":[");
    let mut it = call("ls", Arg::None, svmq::queues())?;
    let mut sep = "\n";
    while let Some((q, st)) = next_queue(&mut it) {
        out.put(sep);
        sep = ",\n";
        json_queue(out, &mut names, q, &st);
    }
    out.put("\n]}\n");
    Ok(())
}

/// One queue as a JSON object: `lsipc -q --json`'s field names, numbers as numbers, times as seconds
/// since the epoch (`null` when never set, as lsipc).
#[inline(never)]
fn json_queue(out: &mut Out, names: &mut Names, q: Queue, st: &Status) {
    #[inline(never)]
    fn name(out: &mut Out, names: &mut Names, key: &str, db: Db, id: u32) {
        out.put(",").key(key);
        match names.get(db, id) {
            Some(n) => out.json_str(n),
            None => out.put("\"").int(i64::from(id)).put("\""),
        };
    }
    #[inline(never)]
    fn time(out: &mut Out, key: &str, t: i64) {
        out.put(",").key(key);
        if t == 0 {
            out.put("null")
        } else {
            out.int(t)
        };
    }
    out.put("{").key("key").int(i64::from(st.key.as_u32()));
    out.put(",").key("id").int(i64::from(q.id()));
    name(out, names, "owner", Db::Passwd, st.uid);
    out.put(",").key("perms").put("\"").perms(st.mode).put("\"");
    out.put(",").key("mode").int(i64::from(st.mode));
    out.put(",").key("cuid").int(i64::from(st.cuid));
    name(out, names, "cuser", Db::Passwd, st.cuid);
    out.put(",").key("cgid").int(i64::from(st.cgid));
    name(out, names, "cgroup", Db::Group, st.cgid);
    out.put(",").key("uid").int(i64::from(st.uid));
    name(out, names, "user", Db::Passwd, st.uid);
    out.put(",").key("gid").int(i64::from(st.gid));
    name(out, names, "group", Db::Group, st.gid);
    out.put(",").key("usedbytes").int(st.cbytes as i64);
    out.put(",").key("qbytes").int(st.qbytes as i64);
    out.put(",").key("msgs").int(st.qnum as i64);
    out.put(",").key("lspid").int(i64::from(st.lspid));
    out.put(",").key("lrpid").int(i64::from(st.lrpid));
    time(out, "send", st.stime);
    time(out, "recv", st.rtime);
    time(out, "ctime", st.ctime);
    out.put("}");
}

/// A queue key never used before: from the kernel's generator, or, while it cannot answer without
/// blocking (early boot), from the process's `AT_RANDOM` bytes, the clock and the attempt.
#[inline(never)]
fn random_key(args: &rt::Args, attempt: u64) -> Key {
    let mut b = [0u8; 4];
    if rt::getrandom(&mut b).is_ok() {
        return Key::from_u32(u32::from_ne_bytes(b));
    }
    let r = args.at_random();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &c in r.iter().chain(&rt::clock_bits().to_ne_bytes()).chain(&attempt.to_ne_bytes()) {
        h = (h ^ u64::from(c)).wrapping_mul(0x0100_0000_01b3);
    }
    Key::from_u32((h ^ (h >> 32)) as u32)
}

#[inline(never)]
fn mk(mut rest: Rest<'_>, out: &mut Out, args: &rt::Args) -> Res {
    let mut mode = 0o644;
    let mut key = None;
    while let Some(a) = rest.next() {
        match word(a, &["-p", "-k", "-f"]) {
            0 => {
                let v = rest.value("MODE after -p")?;
                mode = parse_mode(&rest, v)?;
            }
            1 => {
                let v = rest.value("KEY after -k")?;
                key = Some(rest.key(v)?);
            }
            2 => {
                let v = rest.value("PATH:PROJ after -f")?;
                key = Some(key_from_file(&rest, v)?);
            }
            _ => return Err(rest.unknown(a)),
        }
    }
    let (key, q) = match key {
        Some(k) => (k, call("mk", Arg::None, qcreate(k, mode))?),
        None => {
            let mut attempt = 0u64;
            loop {
                // A random key, never IPC_PRIVATE; another on collision.
                let k = random_key(args, attempt);
                attempt += 1;
                if k.is_private() {
                    continue;
                }
                match qcreate(k, mode) {
                    Err(Errno::EXIST) => continue,
                    r => break (k, call("mk", Arg::None, r)?),
                }
            }
        }
    };
    out.put("0x").hex8(key.as_u32()).put(" ").int(i64::from(q.id())).put("\n");
    // Nobody would know the queue: it goes again.
    out.finish().map_err(|e| {
        let removed = q.remove().is_ok();
        let why = if removed { "the new queue was removed" } else { "the new queue could not be removed" };
        fail("mk: write", Arg::None, e, Why::Text(why))
    })
}

/// `PATH:PROJ` → `ftok(PATH, PROJ)`.
#[inline(never)]
fn key_from_file(rest: &Rest<'_>, spec: &'static [u8]) -> Result<Key, Fail> {
    let bad = || rest.invalid("key file", spec, Must::Text("PATH:PROJ with PROJ in 0..255"));
    let colon = spec.iter().rposition(|&c| c == b':').ok_or_else(bad)?;
    let (path, proj) = (spec.get(..colon).ok_or_else(bad)?, spec.get(colon + 1..).ok_or_else(bad)?);
    let proj = parse_int(proj).and_then(|v| u8::try_from(v).ok()).ok_or_else(bad)?;
    let mut buf = [0u8; 4096];
    let cpath = cpath(&mut buf, &[path]).ok_or_else(bad)?;
    call("mk: ftok", Arg::None, svmq::ftok(cpath, proj))
}

#[inline(never)]
fn rm(mut rest: Rest<'_>) -> Res {
    let first = rest.value("ID, -k KEY or --all")?;
    match word(first, &["--all", "-k"]) {
        0 => {
            rest.end()?;
            let mut failed = None;
            let mut it = call("rm", Arg::None, svmq::queues())?;
            while let Some((q, _)) = next_queue(&mut it) {
                if let Err(e) = q.remove() {
                    failed = Some(fail("rm", Arg::Id(q.id()), e, Why::Guess));
                }
            }
            failed.map_or(Ok(()), Err)
        }
        1 => {
            let v = rest.value("KEY after -k")?;
            let key = rest.key(v)?;
            rest.end()?;
            let q = call("rm -k", Arg::Num(i64::from(key.raw())), Queue::open(key))?;
            call("rm", Arg::Id(q.id()), q.remove())
        }
        _ => {
            // Every id checked first, then each tried, each failure reported as it happens (as ipcrm).
            let start = rest.next - 1;
            let mut next = Some(first);
            while let Some(a) = next {
                rest.int("id", a, 0, i64::from(i32::MAX))?;
                next = rest.next();
            }
            rest.next = start;
            let mut failed = false;
            while rest.next().is_some() {
                rest.next -= 1;
                let q = rest.id()?;
                if let Err(e) = q.remove() {
                    fail("rm", Arg::Id(q.id()), e, Why::Guess);
                    failed = true;
                }
            }
            if failed { Err(Fail::Runtime) } else { Ok(()) }
        }
    }
}

#[inline(never)]
fn stat(mut rest: Rest<'_>, out: &mut Out) -> Res {
    let q = rest.id()?;
    let json = json_flag(&mut rest)?;
    let st = call("stat", Arg::Id(q.id()), qstat(q))?;
    if json {
        out.put("{\"messages\":[\n");
        json_queue(out, &mut Names::new(), q, &st);
        out.put("\n]}\n");
        return Ok(());
    }
    out.put("\nMessage Queue msqid=").int(i64::from(q.id())).put("\n");
    out.put("uid=").int(i64::from(st.uid)).put("\tgid=").int(i64::from(st.gid));
    out.put("\tcuid=").int(i64::from(st.cuid)).put("\tcgid=").int(i64::from(st.cgid));
    out.put("\tmode=").octal_alt(st.mode & 0o777).put("\n");
    out.put("cbytes=").int(st.cbytes as i64).put("\tqbytes=").int(st.qbytes as i64);
    out.put("\tqnum=").int(st.qnum as i64).put("\tlspid=").int(i64::from(st.lspid));
    out.put("\tlrpid=").int(i64::from(st.lrpid)).put("\n");
    out.put("send_time=").time26(st.stime).put("\n");
    out.put("rcv_time=").time26(st.rtime).put("\n");
    out.put("change_time=").time26(st.ctime).put("\n\n");
    Ok(())
}

#[inline(never)]
fn set(mut rest: Rest<'_>) -> Res {
    let q = rest.id()?;
    // Arguments first, all of them: a usage error must not depend on the queue.
    let (mut mode, mut uid, mut gid, mut qbytes) = (None, None, None, None);
    while let Some(a) = rest.next() {
        let v = rest.value("a value after the option")?;
        match word(a, &["--mode", "--uid", "--gid", "--qbytes"]) {
            0 => mode = Some(parse_mode(&rest, v)?),
            1 => uid = Some(rest.u32("uid", v)?),
            2 => gid = Some(rest.u32("gid", v)?),
            3 => qbytes = Some(rest.int("qbytes", v, 0, i64::from(u32::MAX))? as u64),
            _ => return Err(rest.unknown(a)),
        }
    }
    if mode.is_none() && uid.is_none() && gid.is_none() && qbytes.is_none() {
        return Err(bad("set", Bad::Missing("--mode, --uid, --gid or --qbytes")));
    }
    let arg = Arg::Id(q.id());
    let new = match (mode, uid, gid, qbytes) {
        // IPC_SET needs no read permission: with every field given, nothing is read first.
        (Some(mode), Some(uid), Some(gid), Some(qbytes)) => Settings { mode, uid, gid, qbytes },
        _ => {
            let cur = qstat(q).map_err(|e| {
                let why = match e {
                    Errno::ACCESS => Why::Text(
                        "reading the fields not given needs read permission; give all of --mode, --uid, --gid \
                         and --qbytes to set without reading",
                    ),
                    _ => Why::Guess,
                };
                fail("set", arg, e, why)
            })?;
            let cur = cur.settings();
            Settings {
                mode: mode.unwrap_or(cur.mode),
                uid: uid.unwrap_or(cur.uid),
                gid: gid.unwrap_or(cur.gid),
                qbytes: qbytes.unwrap_or(cur.qbytes),
            }
        }
    };
    call("set", arg, qset(q, &new))
}

#[inline(never)]
fn send(mut rest: Rest<'_>) -> Res {
    let q = rest.id()?;
    let t = rest.value("TYPE")?;
    let mtype = rest.mtype(t)?;
    let arg = Arg::Id(q.id());
    let mut frame = Frame::<MAX_PAYLOAD>::new(mtype);
    let too_big = Why::Text("svmq sends at most 65536 bytes");
    let len = match rest.next() {
        None => 0,
        Some(b) if word(b, &["-"]) == 0 => {
            let buf = frame.text_mut();
            let mut len = 0;
            while let Some(spare) = buf.get_mut(len..) {
                if spare.is_empty() {
                    // Full: anything more is too much.
                    let mut probe = [0u8; 1];
                    if call("send: read", Arg::None, rt::read(0, &mut probe).map_err(Errno::from_raw))? > 0 {
                        return Err(fail("send", arg, Errno::TOOBIG, too_big));
                    }
                    break;
                }
                match call("send: read", Arg::None, rt::read(0, spare).map_err(Errno::from_raw))? {
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
    rest.end()?;
    qsend(q, &frame, len, SendFlags::BLOCK).map_err(|e| {
        let why = match (e, limits()) {
            (Errno::INVAL, Ok(l)) if len > l.msgmax as usize => Why::MsgMax(len, l.msgmax),
            _ => Why::Guess,
        };
        fail("send", arg, e, why)
    })
}

/// Parses `SECONDS` (`2`, `0.25`): at most nanosecond precision.
#[inline(never)]
fn parse_seconds(rest: &Rest<'_>, s: &'static [u8]) -> Result<Duration, Fail> {
    let bad = || rest.invalid("timeout", s, Must::Text("seconds, such as 2 or 0.25"));
    let (int, frac) = match s.iter().position(|&c| c == b'.') {
        Some(dot) => (s.get(..dot).unwrap_or(b""), s.get(dot + 1..).unwrap_or(b"")),
        None => (s, &b""[..]),
    };
    let digits = |d: &[u8]| d.iter().all(u8::is_ascii_digit);
    if int.is_empty() || !digits(int) || !digits(frac) || frac.len() > 9 {
        return Err(bad());
    }
    let secs = parse_int(int).ok_or_else(bad)? as u64;
    let mut nanos = 0u32;
    for i in 0..9 {
        nanos = nanos * 10 + frac.get(i).map_or(0, |&c| u32::from(c - b'0'));
    }
    Ok(Duration::new(secs, nanos))
}

/// One receive: blocking (retried on EINTR), or with a deadline.
#[inline(never)]
fn receive(
    q: Queue,
    frame: &mut Frame<MAX_PAYLOAD>,
    select: Select,
    flags: RecvFlags,
    timeout: Option<Duration>,
) -> Result<usize, Errno> {
    match timeout {
        None => svmq::retry_on_intr(|| q.recv_frame(frame, select, flags)),
        // The crate's deadline receive: ETIMEDOUT when nothing came in time; nothing is ever taken and
        // then reported as a timeout.
        Some(t) => q.recv_frame_timeout(frame, select, flags, t),
    }
}

#[inline(never)]
fn recv(mut rest: Rest<'_>, out: &mut Out) -> Res {
    let q = rest.id()?;
    let arg = Arg::Id(q.id());
    let (mut msgtyp, mut flags, mut except, mut count, mut timeout) = (0i64, RecvFlags::BLOCK, false, None, None);
    while let Some(a) = rest.next() {
        match word(a, &["--nowait", "--noerror", "--except", "--count", "--timeout"]) {
            0 => flags = flags | RecvFlags::NOWAIT,
            1 => flags = flags | RecvFlags::TRUNCATE,
            2 => except = true,
            3 => {
                let v = rest.value("N after --count")?;
                count = Some(rest.int("count", v, 1, i64::MAX)?);
            }
            4 => {
                let v = rest.value("SECONDS after --timeout")?;
                timeout = Some(parse_seconds(&rest, v)?);
            }
            _ if a.starts_with(b"--") => return Err(rest.unknown(a)),
            _ => msgtyp = rest.int("type", a, -MsgType::MAX.get(), MsgType::MAX.get())?,
        }
    }
    let select = match (msgtyp, except) {
        (0, true) => {
            return Err(rest.invalid("type", b"0", Must::Text("a type to skip with --except, 1..")));
        }
        (t, true) => Select::Except(
            MsgType::new(t).ok_or_else(|| rest.invalid("type", b"-", Must::Text("positive with --except")))?,
        ),
        (t, false) => Select::from_raw(
            core::ffi::c_long::try_from(t)
                .map_err(|_| rest.invalid("type", b"-", Must::Text("within this machine's long")))?,
            0,
        ),
    };
    let mut frame = Frame::<MAX_PAYLOAD>::new(MsgType::MIN);
    let mut got = 0;
    while got < count.unwrap_or(1) {
        let n = match receive(q, &mut frame, select, flags, timeout) {
            Ok(n) => n,
            // --count with --nowait: as many as there are, at least one.
            Err(Errno::NOMSG) if got > 0 && flags.contains(RecvFlags::NOWAIT) => break,
            Err(e) => {
                let why = match e {
                    Errno::TIMEDOUT => Why::Text("no matching message before --timeout"),
                    Errno::BUSY => Why::Text("the deadline's timer signal is taken by another handler"),
                    Errno::TOOBIG => Why::Text("the message is longer than 65536 bytes; --noerror cuts it"),
                    Errno::IDRM => Why::Text("the queue was removed while waiting"),
                    _ => Why::Guess,
                };
                return Err(fail("recv", arg, e, why));
            }
        };
        let payload = frame.text().get(..n).unwrap_or(&[]);
        if count.is_some() {
            out.int(frame.mtype().map_or(0, MsgType::get)).put(" ").int(n as i64).put("\n");
        }
        out.bytes(payload);
        if let Err(e) = out.finish() {
            // Nothing is lost: the message goes back (at the end of the queue), or the error says so.
            let back = qsend(q, &frame, n, SendFlags::BLOCK);
            let why = if back.is_ok() {
                "the message was put back on the queue, at its end"
            } else {
                "the message could not be put back and is lost"
            };
            return Err(fail("recv: write", arg, e, Why::Text(why)));
        }
        got += 1;
    }
    Ok(())
}

#[inline(never)]
fn peek(mut rest: Rest<'_>, out: &mut Out) -> Res {
    let q = rest.id()?;
    let (mut index, mut show_type) = (0u32, false);
    while let Some(a) = rest.next() {
        match word(a, &["--type"]) {
            0 => show_type = true,
            _ if a.starts_with(b"-") => return Err(rest.unknown(a)),
            _ => index = rest.int("index", a, 0, i64::from(u32::MAX))? as u32,
        }
    }
    let mut frame = Frame::<MAX_PAYLOAD>::new(MsgType::MIN);
    let n = q.peek_frame(&mut frame, index, RecvFlags::BLOCK).map_err(|e| {
        let why = match e {
            Errno::NOMSG => Why::Text("fewer messages queued than INDEX + 1"),
            Errno::NOSYS => Why::Text("MSG_COPY needs a kernel with CONFIG_CHECKPOINT_RESTORE"),
            _ => Why::Guess,
        };
        fail("peek", Arg::Id(q.id()), e, why)
    })?;
    let mtype = frame.mtype().map_or(0, MsgType::get);
    if show_type {
        out.int(mtype).put("\n");
    } else {
        let mut err = Out::new(2);
        err.put("type ").int(mtype).put("\n");
        let _ = err.finish();
    }
    out.bytes(frame.text().get(..n).unwrap_or(&[]));
    Ok(())
}

/// Reports a failed call: `svmq: <what> <arg>: <ERRNO>: <description> (<cause>)`; exit status 1.
#[cold]
#[inline(never)]
pub fn fail(what: &'static str, arg: Arg, e: Errno, why: Why) -> Fail {
    let mut err = Out::new(2);
    err.put("svmq: ").put(what);
    match arg {
        Arg::None => &mut err,
        Arg::Id(id) => err.put(" ").int(i64::from(id)),
        Arg::Num(n) => err.put(" ").int(n),
        Arg::Key(k) => err.put(" 0x").hex8(k.as_u32()),
        Arg::Str(s) => err.put(" ").bytes(s),
    };
    err.put(": ").errno(e);
    match why {
        Why::None => {}
        Why::Guess => {
            if let (Arg::Id(id), Errno::INVAL | Errno::IDRM) = (arg, e)
                && matches!(qstat(Queue::from_id(id)), Err(Errno::INVAL | Errno::IDRM))
            {
                err.put(" (no queue with id ").int(i64::from(id)).put(")");
            }
        }
        Why::Text(t) => {
            err.put(" (").put(t).put(")");
        }
        Why::MsgMax(len, max) => {
            err.put(" (the message is ").int(len as i64).put(" bytes; msgmax is ").int(i64::from(max));
            err.put(")");
        }
    }
    err.put("\n");
    let _ = err.finish();
    Fail::Runtime
}

/// Reports a failure in words: `svmq: <what>: <text>`; exit status 1.
#[cold]
#[inline(never)]
pub fn msg(what: &'static str, text: &'static str) -> Fail {
    let mut err = Out::new(2);
    err.put("svmq: ").put(what).put(": ").put(text).put("\n");
    let _ = err.finish();
    Fail::Runtime
}

/// Reports a bad command line: `svmq: <cmd>: ...`, and the command's usage line when an argument is
/// missing or unexpected; exit status 2.
#[cold]
#[inline(never)]
pub fn bad(cmd: &'static str, b: Bad) -> Fail {
    let mut err = Out::new(2);
    err.put("svmq: ");
    if !cmd.is_empty() {
        err.put(cmd).put(": ");
    }
    let usage = match b {
        Bad::Invalid(what, arg, must) => {
            err.put("invalid ").put(what).put(" '").bytes(arg).put("': must be ");
            match must {
                Must::Text(t) => err.put(t),
                Must::Range(lo, hi) => err.int(lo).put("..").int(hi),
                Must::Command => {
                    err.put("one of ");
                    for (i, c) in COMMANDS.iter().enumerate() {
                        err.put(if i == 0 { "" } else { ", " }).put(c.0);
                    }
                    err.put(" (svmq help)")
                }
            };
            false
        }
        Bad::Missing(what) => {
            err.put("missing ").put(what);
            true
        }
        Bad::Unknown(arg) => {
            err.put("unexpected argument '").bytes(arg).put("'");
            true
        }
        Bad::Text(t) => {
            err.put(t);
            false
        }
    };
    err.put("\n");
    if usage && let Some((name, args, _)) = COMMANDS.iter().find(|c| c.0 == cmd) {
        err.put("usage: svmq ").put(name).put(" ").put(args).put("\n");
    }
    let _ = err.finish();
    Fail::Usage
}
