//! `svmq mk`: create a queue exclusively, as `ipcmk -Q` (random key by default).

use crate::args::{Cmd, Line};
use crate::kernel::qcreate;
use crate::out::{Out, V};
use crate::report::{Arg, Fail, Must, Res, fail};
use crate::rt;
use svmq::{Errno, Key};

pub const CMD: Cmd = Cmd {
    name: "mk",
    operands: "",
    min: 0,
    max: 0,
    help: "create a queue exclusively (like ipcmk -Q); prints its key and id",
    opts: &[
        "p|mode|permissions, octal (default 644)|MODE",
        "k|key|this key (default: a random one)|KEY",
        "f|file|the key ftok(PATH, PROJ)|PATH:PROJ",
    ],
};

pub fn run(line: &Line, out: &mut Out) -> Res {
    let mode = match line.value(0) {
        Some(m) => line.mode(m)?,
        None => 0o644,
    };
    let key = match (line.value(1), line.value(2)) {
        (Some(_), Some(_)) => return Err(line.invalid("option", b"--file", Must::Text("without --key"))),
        (Some(k), None) => Some(line.key(k)?),
        (None, Some(f)) => Some(key_from_file(line, f)?),
        (None, None) => None,
    };
    let (key, q) = match key {
        Some(k) => (k, qcreate(k, mode).map_err(|e| fail("mk", Arg::None, e, ""))?),
        None => {
            let mut attempt = 0;
            loop {
                // A random key, never IPC_PRIVATE; another on collision.
                let k = random_key(&line.args, attempt);
                attempt += 1;
                if k.is_private() {
                    continue;
                }
                match qcreate(k, mode) {
                    Err(Errno::EXIST) => continue,
                    r => break (k, r.map_err(|e| fail("mk", Arg::None, e, ""))?),
                }
            }
        }
    };
    out.f("0x%08x %d\n", &[V::U(key.as_u32()), V::N(q.id())]);
    // Nobody would know the queue: it goes again.
    out.finish().map_err(|e| {
        let removed = q.remove().is_ok();
        let why = if removed { "the new queue was removed" } else { "the new queue could not be removed" };
        fail("mk: write", Arg::None, e, why)
    })
}

/// A random key: attempt `n` takes the kernel's 16 `AT_RANDOM` bytes of this process, four at a time,
/// mixed with `n` (no `getrandom`: it could block in early boot).
fn random_key(args: &rt::Args, n: u32) -> Key {
    let r = args.at_random();
    let i = (n % 4) as usize * 4;
    let w = u32::from_ne_bytes([r[i], r[i + 1], r[i + 2], r[i + 3]]);
    Key::from_u32(w ^ n.wrapping_mul(0x9e37_79b9))
}

/// `PATH:PROJ` → `ftok(PATH, PROJ)`.
fn key_from_file(line: &Line, spec: &'static [u8]) -> Result<Key, Fail> {
    let bad = || line.invalid("key file", spec, Must::Text("PATH:PROJ with PROJ in 0..255"));
    let colon = spec.iter().rposition(|&c| c == b':').ok_or_else(bad)?;
    let (path, proj) = (spec.get(..colon).ok_or_else(bad)?, spec.get(colon + 1..).ok_or_else(bad)?);
    let proj = crate::args::number(proj, false).and_then(|v| u8::try_from(v).ok()).ok_or_else(bad)?;
    let mut buf = [0u8; 4096];
    let cpath = rt::cpath(&mut buf, &[path]).ok_or_else(bad)?;
    svmq::ftok(cpath, proj).map_err(|e| fail("mk: ftok", Arg::None, e, ""))
}
