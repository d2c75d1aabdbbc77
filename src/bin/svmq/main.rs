//! `svmq`: a static, libc-free `ipcs -q` / `ipcmk -Q` / `ipcrm -q`, with send and receive, for initramfs
//! images and containers. No allocation; the only unsafe code is in `rt.rs`.
//!
//! ```text
//! svmq ls [-l | -u]                      queues (like ipcs -q), limits (-l), usage (-u)
//! svmq mk [-p MODE] [-k KEY | -f PATH:PROJ]
//! svmq rm ID... | rm -k KEY | rm --all
//! svmq stat ID
//! svmq set ID [--mode M] [--uid U] [--gid G] [--qbytes N]
//! svmq send ID TYPE [TEXT | -]
//! svmq recv ID [TYPE] [--nowait] [--except] [--noerror]
//! ```
#![no_std]
#![no_main]
#![no_builtins]
#![deny(unsafe_code)]

mod out;
mod rt;

use core::ffi::CStr;
use out::Out;
use svmq::{Errno, Frame, Key, MsgType, Queue, RecvFlags, Select, SendFlags, Settings};

const USAGE: &str = "usage:
  svmq ls [-l | -u]                          list queues (like ipcs -q); -l limits; -u usage
  svmq mk [-p MODE] [-k KEY | -f PATH:PROJ]  create a queue exclusively; prints key and id
  svmq rm ID... | svmq rm -k KEY | svmq rm --all
  svmq stat ID                               every status field (like ipcs -q -i ID)
  svmq set ID [--mode M] [--uid U] [--gid G] [--qbytes N]
  svmq send ID TYPE [TEXT | -]               '-' reads the payload from standard input
  svmq recv ID [TYPE] [--nowait] [--except] [--noerror]
                                             writes the payload to standard output
";

/// Largest payload `send` and `recv` handle (the kernel's msgmax can be raised to at most this here).
const MAX_PAYLOAD: usize = 65536;

/// A failure: `svmq: <what>: <ERRNO>: <description>` on stderr, exit 1; or bad usage, exit 2.
enum Fail {
    Call(&'static str, Option<i64>, Errno),
    /// Already reported on stderr.
    Reported,
    Usage,
}

type Res = Result<(), Fail>;

fn call<T>(what: &'static str, arg: Option<i64>, r: Result<T, Errno>) -> Result<T, Fail> {
    r.map_err(|e| Fail::Call(what, arg, e))
}

pub fn main(args: rt::Args) -> i32 {
    let mut out = Out::new(1);
    let res = run(&args, &mut out);
    out.flush();
    match res {
        Ok(()) => 0,
        Err(Fail::Usage) => {
            let _ = rt::write_all(2, USAGE.as_bytes());
            2
        }
        Err(Fail::Reported) => 1,
        Err(f) => {
            report(&f);
            1
        }
    }
}

fn run(args: &rt::Args, out: &mut Out) -> Res {
    let cmd = args.get(1).map(CStr::to_bytes).ok_or(Fail::Usage)?;
    let rest = Rest { args, next: 2 };
    match cmd {
        b"ls" => ls(rest, out),
        b"mk" => mk(rest, out),
        b"rm" => rm(rest),
        b"stat" => stat(rest, out),
        b"set" => set(rest),
        b"send" => send(rest),
        b"recv" => recv(rest, out),
        b"--version" => {
            out.put("svmq ").put(env!("CARGO_PKG_VERSION")).put("\n");
            Ok(())
        }
        b"-h" | b"--help" | b"help" => {
            out.put(USAGE);
            Ok(())
        }
        _ => Err(Fail::Usage),
    }
}

/// The arguments after the subcommand.
struct Rest<'a> {
    args: &'a rt::Args,
    next: usize,
}

impl Rest<'_> {
    fn next(&mut self) -> Option<&'static [u8]> {
        let a = self.args.get(self.next)?;
        self.next += 1;
        Some(a.to_bytes())
    }
    fn value(&mut self) -> Result<&'static [u8], Fail> {
        self.next().ok_or(Fail::Usage)
    }
}

/// Parses a decimal, `0x` hexadecimal or `0o` octal integer, optionally negative.
fn parse_int(s: &[u8]) -> Option<i64> {
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
fn parse_mode(s: &[u8]) -> Option<u32> {
    let mut v: u32 = 0;
    if s.is_empty() {
        return None;
    }
    for &c in s {
        v = v.checked_mul(8)?.checked_add((c as char).to_digit(8)?)?;
    }
    (v <= 0o777).then_some(v)
}

fn parse_id(s: &[u8]) -> Result<Queue, Fail> {
    let id = parse_int(s).and_then(|v| i32::try_from(v).ok()).filter(|&v| v >= 0).ok_or(Fail::Usage)?;
    Ok(Queue::from_id(id))
}

fn parse_key(s: &[u8]) -> Result<Key, Fail> {
    parse_int(s).and_then(|v| Key::try_from(v).ok()).ok_or(Fail::Usage)
}

fn parse_u32(s: &[u8]) -> Result<u32, Fail> {
    parse_int(s).and_then(|v| u32::try_from(v).ok()).ok_or(Fail::Usage)
}

fn ls(mut rest: Rest<'_>, out: &mut Out) -> Res {
    match rest.next() {
        None => {
            out.put("\n------ Message Queues --------\n");
            out.put("key        msqid      owner      perms      used-bytes   messages    \n");
            let passwd = out::Passwd::load();
            for (q, st) in call("ls", None, svmq::queues())? {
                out.put("0x").hex8(st.key.as_u32()).put(" ");
                out.int_w(i64::from(q.id()), 10).put(" ");
                out.owner(&passwd, st.uid, 10).put(" ");
                out.octal_w(st.mode & 0o777, 10).put(" ");
                out.int_w(st.cbytes as i64, 12).put(" ");
                out.int_w(st.qnum as i64, 12).put("\n");
            }
            out.put("\n");
            Ok(())
        }
        Some(b"-l") => {
            let l = call("ls -l", None, svmq::limits())?;
            out.put("\n------ Messages Limits --------\n");
            out.put("max queues system wide = ").int(i64::from(l.msgmni)).put("\n");
            out.put("max size of message (bytes) = ").int(i64::from(l.msgmax)).put("\n");
            out.put("default max size of queue (bytes) = ").int(i64::from(l.msgmnb)).put("\n\n");
            Ok(())
        }
        Some(b"-u") => {
            let u = call("ls -u", None, svmq::usage())?;
            out.put("\n------ Messages Status --------\n");
            out.put("allocated queues = ").int(i64::from(u.queues)).put("\n");
            out.put("used headers = ").int(i64::from(u.messages)).put("\n");
            out.put("used space = ").int(i64::from(u.bytes)).put(" bytes\n\n");
            Ok(())
        }
        Some(_) => Err(Fail::Usage),
    }
}

fn mk(mut rest: Rest<'_>, out: &mut Out) -> Res {
    let mut mode = 0o644;
    let mut key = None;
    while let Some(a) = rest.next() {
        match a {
            b"-p" => mode = parse_mode(rest.value()?).ok_or(Fail::Usage)?,
            b"-k" => key = Some(parse_key(rest.value()?)?),
            b"-f" => key = Some(key_from_file(rest.value()?)?),
            _ => return Err(Fail::Usage),
        }
    }
    let (key, q) = match key {
        Some(k) => (k, call("mk", None, Queue::create_exclusive(k, mode))?),
        None => loop {
            // A random key, never IPC_PRIVATE; another on collision.
            let mut b = [0u8; 4];
            call("mk: getrandom", None, rt::getrandom(&mut b).map_err(Errno::from_raw))?;
            let k = Key::from_u32(u32::from_ne_bytes(b));
            if k.is_private() {
                continue;
            }
            match Queue::create_exclusive(k, mode) {
                Err(Errno::EXIST) => continue,
                r => break (k, call("mk", None, r)?),
            }
        },
    };
    out.put("0x").hex8(key.as_u32()).put(" ").int(i64::from(q.id())).put("\n");
    Ok(())
}

/// `PATH:PROJ` → `ftok(PATH, PROJ)`.
fn key_from_file(spec: &[u8]) -> Result<Key, Fail> {
    let colon = spec.iter().rposition(|&c| c == b':').ok_or(Fail::Usage)?;
    let (path, proj) = (spec.get(..colon).ok_or(Fail::Usage)?, spec.get(colon + 1..).ok_or(Fail::Usage)?);
    let proj = parse_int(proj).and_then(|v| u8::try_from(v).ok()).ok_or(Fail::Usage)?;
    let mut buf = [0u8; 4096];
    let c = buf.get_mut(..path.len()).ok_or(Fail::Usage)?;
    c.copy_from_slice(path);
    let cpath = CStr::from_bytes_until_nul(&buf).map_err(|_| Fail::Usage)?;
    if cpath.to_bytes().len() != path.len() {
        return Err(Fail::Usage);
    }
    call("mk: ftok", None, svmq::ftok(cpath, proj))
}

fn rm(mut rest: Rest<'_>) -> Res {
    let first = rest.value()?;
    match first {
        b"--all" => {
            let mut failed = None;
            for (q, _) in call("rm", None, svmq::queues())? {
                if let Err(e) = q.remove() {
                    failed.get_or_insert(Fail::Call("rm", Some(i64::from(q.id())), e));
                }
            }
            failed.map_or(Ok(()), Err)
        }
        b"-k" => {
            let key = parse_key(rest.value()?)?;
            let q = call("rm -k", Some(i64::from(key.raw())), Queue::open(key))?;
            call("rm", Some(i64::from(q.id())), q.remove())
        }
        _ => {
            // Every id is tried, each failure reported as it happens (as ipcrm does).
            let mut failed = false;
            let mut next = Some(first);
            while let Some(a) = next {
                let q = parse_id(a)?;
                if let Err(e) = q.remove() {
                    report(&Fail::Call("rm", Some(i64::from(q.id())), e));
                    failed = true;
                }
                next = rest.next();
            }
            if failed { Err(Fail::Reported) } else { Ok(()) }
        }
    }
}

fn stat(mut rest: Rest<'_>, out: &mut Out) -> Res {
    let q = parse_id(rest.value()?)?;
    if rest.next().is_some() {
        return Err(Fail::Usage);
    }
    let st = call("stat", Some(i64::from(q.id())), q.stat())?;
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

fn set(mut rest: Rest<'_>) -> Res {
    let q = parse_id(rest.value()?)?;
    // Arguments first, all of them: a usage error must not depend on the queue.
    let (mut mode, mut uid, mut gid, mut qbytes) = (None, None, None, None);
    while let Some(a) = rest.next() {
        let v = rest.value()?;
        match a {
            b"--mode" => mode = Some(parse_mode(v).ok_or(Fail::Usage)?),
            b"--uid" => uid = Some(parse_u32(v)?),
            b"--gid" => gid = Some(parse_u32(v)?),
            b"--qbytes" => qbytes = Some(parse_int(v).and_then(|n| u64::try_from(n).ok()).ok_or(Fail::Usage)?),
            _ => return Err(Fail::Usage),
        }
    }
    if mode.is_none() && uid.is_none() && gid.is_none() && qbytes.is_none() {
        return Err(Fail::Usage);
    }
    let cur: Settings = call("set", Some(i64::from(q.id())), q.stat())?.settings();
    let new = Settings {
        mode: mode.unwrap_or(cur.mode),
        uid: uid.unwrap_or(cur.uid),
        gid: gid.unwrap_or(cur.gid),
        qbytes: qbytes.unwrap_or(cur.qbytes),
    };
    call("set", Some(i64::from(q.id())), q.set(&new))
}

fn send(mut rest: Rest<'_>) -> Res {
    let q = parse_id(rest.value()?)?;
    let mtype = parse_int(rest.value()?).and_then(MsgType::new).ok_or(Fail::Usage)?;
    let mut frame = Frame::<MAX_PAYLOAD>::new(mtype);
    let len = match rest.next() {
        None => 0,
        Some(b"-") => {
            let buf = frame.text_mut();
            let mut len = 0;
            while let Some(spare) = buf.get_mut(len..) {
                if spare.is_empty() {
                    // Full: anything more is too much.
                    let mut probe = [0u8; 1];
                    if call("send: read", None, rt::read(0, &mut probe).map_err(Errno::from_raw))? > 0 {
                        return Err(Fail::Call("send", Some(i64::from(q.id())), Errno::TOOBIG));
                    }
                    break;
                }
                match call("send: read", None, rt::read(0, spare).map_err(Errno::from_raw))? {
                    0 => break,
                    n => len += n,
                }
            }
            len
        }
        Some(text) => {
            let dst = frame.text_mut().get_mut(..text.len()).ok_or(Fail::Call(
                "send",
                Some(i64::from(q.id())),
                Errno::TOOBIG,
            ))?;
            dst.copy_from_slice(text);
            text.len()
        }
    };
    if rest.next().is_some() {
        return Err(Fail::Usage);
    }
    call("send", Some(i64::from(q.id())), svmq::retry_on_intr(|| q.send_frame(&frame, len, SendFlags::BLOCK)))
}

fn recv(mut rest: Rest<'_>, out: &mut Out) -> Res {
    let q = parse_id(rest.value()?)?;
    let (mut msgtyp, mut flags, mut except) = (0i64, RecvFlags::BLOCK, false);
    while let Some(a) = rest.next() {
        match a {
            b"--nowait" => flags = flags | RecvFlags::NOWAIT,
            b"--noerror" => flags = flags | RecvFlags::TRUNCATE,
            b"--except" => except = true,
            t => msgtyp = parse_int(t).ok_or(Fail::Usage)?,
        }
    }
    let select = match (msgtyp, except) {
        (0, true) => return Err(Fail::Usage),
        (t, true) => Select::Except(MsgType::new(t).ok_or(Fail::Usage)?),
        (t, false) => Select::from_raw(core::ffi::c_long::try_from(t).map_err(|_| Fail::Usage)?, 0),
    };
    let mut frame = Frame::<MAX_PAYLOAD>::new(MsgType::MIN);
    let n = call("recv", Some(i64::from(q.id())), svmq::retry_on_intr(|| q.recv_frame(&mut frame, select, flags)))?;
    out.bytes(frame.text().get(..n).unwrap_or(&[]));
    Ok(())
}

fn report(f: &Fail) {
    if let Fail::Call(what, arg, e) = f {
        let mut err = Out::new(2);
        err.put("svmq: ").put(what);
        if let Some(a) = arg {
            err.put(" ").int(*a);
        }
        err.put(": ").errno(*e).put("\n");
        err.flush();
    }
}
