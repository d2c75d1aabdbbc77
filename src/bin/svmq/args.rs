//! The command line: one parser for every command, the help text made from the same tables, and the
//! number syntaxes.
//!
//! Rules (those of `getopt_long`, without abbreviations): options may come before, between or after the
//! operands; `--` ends the options; a long option's value is `--opt=value` or `--opt value`; a short
//! option's `-xvalue` or `-x value`; short flags cluster (`-tp`); `-` alone and a `-` followed by a digit
//! (a negative number) are operands. A value may itself start with `-` (`--key -2`).

use crate::out::{Out, V};
use crate::report::{Bad, Fail, Must, bad};
use crate::rt;
use svmq::{Key, MsgType, Queue};

/// A command: its name, operands, options and help. Each option is one string, `S|long|help|VALUE`
/// (`S` the short letter or a space; no `VALUE` for a flag): small tables.
pub struct Cmd {
    pub name: &'static str,
    /// The operands as the usage shows them (`ID [TYPE]`); the first `min` words name missing ones.
    pub operands: &'static str,
    /// How many operands: at least `min`, at most `max` (`u8::MAX`: any number).
    pub min: u8,
    pub max: u8,
    pub help: &'static str,
    pub opts: &'static [&'static str],
}

/// The options every command takes, after its own (their indexes follow the command's).
const COMMON: [&str; 2] =
    [" |ns|first join the IPC namespace of process PID or of a file|PID|PATH", "h|help|this help"];

/// Most options a command has, the common ones included.
const MAX_OPTS: usize = 20;
/// Operands kept in order (more are reached with [`Line::each_operand`]).
const KEPT: usize = 4;

/// Field `n` of an option's string (0: short letter, 1: long name, 2: help, 3: value name; the last
/// takes the rest, `|` included).
#[inline(never)]
pub fn field(opt: &'static str, n: usize) -> &'static [u8] {
    let s = opt.as_bytes();
    let (mut start, mut k) = (0, 0);
    for (i, &c) in s.iter().enumerate() {
        if c == b'|' && k < 3 {
            if k == n {
                return s.get(start..i).unwrap_or(&[]);
            }
            (start, k) = (i + 1, k + 1);
        }
    }
    if k == n { s.get(start..).unwrap_or(&[]) } else { &[] }
}

/// One command line, checked: every option known, every value present, the operand count right.
pub struct Line {
    pub cmd: &'static Cmd,
    /// The command line and environment.
    pub args: rt::Args,
    /// Index of the first argument after the command name.
    first: usize,
    /// The last value of each option (flags: empty), by index.
    vals: [Option<&'static [u8]>; MAX_OPTS],
    /// Bit `i`: option `i` was given.
    pub given: u32,
    ops: [&'static [u8]; KEPT],
    pub operands: usize,
}

/// One parsed element: an operand (`usize::MAX`) or option `i`, and its text or value.
type Item = (usize, &'static [u8]);

impl Line {
    /// Parses the arguments from `first` on for `cmd`. With `--help` anywhere, the operand count is not
    /// checked (the caller prints the help).
    #[inline(never)]
    pub fn parse(cmd: &'static Cmd, args: rt::Args, first: usize) -> Result<Self, Fail> {
        let mut line = Self { cmd, args, first, vals: [None; MAX_OPTS], given: 0, ops: [b""; KEPT], operands: 0 };
        let (mut n, mut ops, mut vals, mut given) = (0, [&b""[..]; KEPT], [None; MAX_OPTS], 0u32);
        let mut surplus = None;
        line.walk(&mut |(i, a)| {
            if i == usize::MAX {
                if let Some(slot) = ops.get_mut(n) {
                    *slot = a;
                }
                if n == usize::from(cmd.max) && surplus.is_none() {
                    surplus = Some(a);
                }
                n += 1;
            } else if let Some(slot) = vals.get_mut(i) {
                *slot = Some(a);
                given |= 1 << i;
            }
            Ok(())
        })?;
        (line.ops, line.vals, line.given, line.operands) = (ops, vals, given, n);
        if line.help() {
            return Ok(line);
        }
        if let Some(a) = surplus {
            return Err(bad(Some(cmd), Bad::Surplus(a)));
        }
        if n < usize::from(cmd.min) {
            return Err(bad(Some(cmd), Bad::Missing(nth_word(cmd.operands.as_bytes(), n))));
        }
        Ok(line)
    }

    /// `--help` was given.
    pub fn help(&self) -> bool {
        self.flag(self.cmd.opts.len() + 1)
    }

    /// `--ns`'s value.
    pub fn ns(&self) -> Option<&'static [u8]> {
        self.value(self.cmd.opts.len())
    }

    /// Operand `i` (0-based), if given (the first four).
    pub fn operand(&self, i: usize) -> Option<&'static [u8]> {
        if i < self.operands { self.ops.get(i).copied() } else { None }
    }

    /// The value of option `i` (an index into the command's `opts`), if given (the last one given).
    pub fn value(&self, i: usize) -> Option<&'static [u8]> {
        self.vals.get(i).copied().flatten()
    }

    /// Whether option `i` was given.
    pub fn flag(&self, i: usize) -> bool {
        self.given & (1 << i) != 0
    }

    /// Calls `f` with every operand, in order.
    #[inline(never)]
    pub fn each_operand(&self, f: &mut dyn FnMut(&'static [u8]) -> Result<(), Fail>) -> Result<(), Fail> {
        self.each_value(usize::MAX, f)
    }

    /// Calls `f` with every value given to option `i` (`usize::MAX`: every operand), in order.
    #[inline(never)]
    pub fn each_value(&self, i: usize, f: &mut dyn FnMut(&'static [u8]) -> Result<(), Fail>) -> Result<(), Fail> {
        self.walk(&mut |(j, v)| if j == i { f(v) } else { Ok(()) })
    }

    /// The index and string of the option named `long`, or with `short` as its letter.
    fn find(&self, long: &[u8], short: u8) -> Option<(usize, &'static str)> {
        for (i, &o) in self.cmd.opts.iter().chain(COMMON.iter()).enumerate() {
            if (short == 0 && field(o, 1) == long)
                || (short != 0 && short != b' ' && o.as_bytes().first() == Some(&short))
            {
                return Some((i, o));
            }
        }
        None
    }

    /// The whole line, element by element, checked.
    #[inline(never)]
    fn walk(&self, f: &mut dyn FnMut(Item) -> Result<(), Fail>) -> Result<(), Fail> {
        let cmd = Some(self.cmd);
        let arg = |i: usize| self.args.get(i).map(|v| v.to_bytes());
        let (mut i, mut options) = (self.first, true);
        while let Some(a) = arg(i) {
            i += 1;
            let rest = a.get(1..).unwrap_or(b"");
            if !options || a.first() != Some(&b'-') || rest.first().is_none_or(u8::is_ascii_digit) {
                f((usize::MAX, a))?;
                continue;
            }
            // A long option, with its name and any `=value`; or a cluster of short ones (`-tp`), one that
            // takes a value ending it (`-p600`).
            let long = rest.strip_prefix(b"-");
            if long == Some(b"") {
                options = false;
                continue;
            }
            let mut j = 0;
            while j < rest.len() {
                let (name, short, inline) = match long {
                    Some(l) => {
                        j = rest.len();
                        match l.iter().position(|&c| c == b'=') {
                            Some(eq) => (l.get(..eq).unwrap_or(b""), 0, l.get(eq + 1..)),
                            None => (l, 0, None),
                        }
                    }
                    None => {
                        j += 1;
                        (&b""[..], rest.get(j - 1).copied().unwrap_or(0), None)
                    }
                };
                let (k, opt) = self.find(name, short).ok_or_else(|| bad(cmd, Bad::Unknown(a)))?;
                let v = match (field(opt, 3).is_empty(), inline) {
                    (true, Some(_)) => return Err(bad(cmd, Bad::NoValue(opt))),
                    (true, None) => b"",
                    (false, Some(v)) => v,
                    (false, None) if j < rest.len() => {
                        let v = rest.get(j..).unwrap_or(b"");
                        j = rest.len();
                        v
                    }
                    (false, None) => {
                        i += 1;
                        arg(i - 1).ok_or_else(|| bad(cmd, Bad::MissingValue(opt)))?
                    }
                };
                f((k, v))?;
            }
        }
        Ok(())
    }

    /// An error about a value or operand of this command.
    pub fn invalid(&self, what: &'static str, arg: &'static [u8], must: Must) -> Fail {
        bad(Some(self.cmd), Bad::Invalid(what, arg, must))
    }

    /// Operand `i` as a queue id.
    pub fn id(&self, i: usize) -> Result<Queue, Fail> {
        self.id_of(self.operand(i).unwrap_or(b""))
    }

    /// `s` as a queue id: `0..=2147483647`, decimal or `0x` hexadecimal (like `ipcrm -q`).
    #[inline(never)]
    pub fn id_of(&self, s: &'static [u8]) -> Result<Queue, Fail> {
        Ok(Queue::from_id(self.int("id", s, 0, i64::from(i32::MAX))? as i32))
    }

    /// `s` as an integer in `lo..=hi`.
    #[inline(never)]
    pub fn int(&self, what: &'static str, s: &'static [u8], lo: i64, hi: i64) -> Result<i64, Fail> {
        number(s, false).filter(|v| (lo..=hi).contains(v)).ok_or_else(|| self.invalid(what, s, Must::Range(lo, hi)))
    }

    /// `s` as a key, as util-linux reads one (`strtoul` base 0: `0x` hexadecimal, a leading `0` octal,
    /// decimal), any 32-bit value.
    #[inline(never)]
    pub fn key(&self, s: &'static [u8]) -> Result<Key, Fail> {
        let v = number(s, true).and_then(|v| Key::try_from(v).ok());
        v.ok_or_else(|| self.invalid("key", s, Must::Text(KEY_RANGE)))
    }

    /// The value of option `i` as a key, if given.
    pub fn key_opt(&self, i: usize) -> Result<Option<Key>, Fail> {
        self.value(i).map(|k| self.key(k)).transpose()
    }

    /// `s` as a message type (`1..=MsgType::MAX`).
    pub fn mtype(&self, s: &'static [u8]) -> Result<MsgType, Fail> {
        Ok(MsgType::new(self.int("type", s, 1, MsgType::MAX.get())?).unwrap_or(MsgType::MIN))
    }

    /// `s` as a mode, in octal as `chmod` and `ipcmk -p` take it (`644`, `0644`).
    #[inline(never)]
    pub fn mode(&self, s: &'static [u8]) -> Result<u32, Fail> {
        let v = digits(s, 8).filter(|&v| v <= 0o777);
        v.map(|v| v as u32).ok_or_else(|| self.invalid("mode", s, Must::Text("octal 0..777")))
    }

    /// The value of option `i` as seconds (`2`, `0.25`: at most 4294967295, at most 9 decimals), in
    /// nanoseconds.
    #[inline(never)]
    pub fn seconds(&self, i: usize) -> Result<Option<u64>, Fail> {
        let Some(s) = self.value(i) else { return Ok(None) };
        // Whole seconds and nanoseconds, each in 32 bits; digits with at most one '.' between digits.
        let (mut v, mut nanos, mut decimals) = (Some(0u32), 0u32, None::<u32>);
        for &c in s {
            let d = u32::from(c.wrapping_sub(b'0'));
            match (c, decimals) {
                (b'.', None) => decimals = Some(0),
                (b'0'..=b'9', None) => v = v.and_then(|v| v.checked_mul(10)?.checked_add(d)),
                (b'0'..=b'9', Some(n)) if n < 9 => {
                    nanos = nanos * 10 + d;
                    decimals = Some(n + 1);
                }
                _ => v = None,
            }
        }
        let d = decimals.unwrap_or(0);
        let ends = s.first().is_some_and(u8::is_ascii_digit) && s.last().is_some_and(u8::is_ascii_digit);
        let v = v.filter(|_| ends).map(|v| u64::from(v) * 1_000_000_000 + u64::from(nanos * 10u32.pow(9 - d)));
        v.map(Some).ok_or_else(|| {
            self.invalid("timeout", s, Must::Text("seconds up to 4294967295, such as 2 or 0.25 (9 decimals at most)"))
        })
    }
}

/// Word `n` of `s` (words separated by single spaces), or nothing.
#[inline(never)]
pub fn nth_word(s: &'static [u8], n: usize) -> &'static [u8] {
    let (mut start, mut k) = (0, 0);
    for (i, &c) in s.iter().enumerate() {
        if c == b' ' {
            if k == n {
                return s.get(start..i).unwrap_or(&[]);
            }
            (start, k) = (i + 1, k + 1);
        }
    }
    if k == n { s.get(start..).unwrap_or(&[]) } else { &[] }
}

/// The index of `a` in `words`.
pub fn word(a: &[u8], words: &[&str]) -> Option<usize> {
    words.iter().position(|w| w.as_bytes() == a)
}

/// What a key must be.
pub const KEY_RANGE: &str = "a 32-bit number, -2147483648..4294967295 (0x hexadecimal, leading 0 octal)";

/// Digits in `radix`, at least one, nothing else; `None` on overflow of 64 bits.
#[inline(never)]
fn digits(s: &[u8], radix: u32) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.iter()
        .try_fold(0u64, |v, &c| v.checked_mul(u64::from(radix))?.checked_add(u64::from((c as char).to_digit(radix)?)))
}

/// An optionally negative integer: `0x` hexadecimal, `0o` octal, else decimal, or with `c_style` a
/// leading `0` octal as C's `strtoul(s, 0)` reads it.
#[inline(never)]
pub fn number(s: &[u8], c_style: bool) -> Option<i64> {
    let (neg, s) = match s {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, s),
    };
    let (radix, body) = match s {
        [b'0', b'x' | b'X', rest @ ..] => (16, rest),
        [b'0', b'o', rest @ ..] if !c_style => (8, rest),
        [b'0', rest @ ..] if c_style && !rest.is_empty() => (8, rest),
        _ => (10, s),
    };
    let v = i64::try_from(digits(body, radix)?).ok()?;
    Some(if neg { -v } else { v })
}

/// Prints the usage of `cmd`: synopsis, what it does, its options (and the common ones).
#[inline(never)]
pub fn usage(out: &mut Out, cmd: &Cmd) {
    synopsis(out, cmd, "\n");
    out.f("  %s\n", &[V::S(cmd.help.as_bytes())]);
    for &o in cmd.opts.iter().chain(COMMON.iter()) {
        let (short, long, arg) = (field(o, 0), field(o, 1), field(o, 3));
        let mark = out.room(256);
        out.put("  ");
        if short != b" " {
            out.f("-%s, ", &[V::S(short)]);
        }
        out.f("--%s", &[V::S(long)]);
        if !arg.is_empty() {
            out.f(" %s", &[V::S(arg)]);
        }
        let used = out.since(mark).len();
        out.pad(used, 26).f(" %s\n", &[V::S(field(o, 2))]);
    }
}

/// `usage: svmq CMD OPERANDS [OPTION...]` and `end`.
pub fn synopsis(out: &mut Out, cmd: &Cmd, end: &str) {
    let sep: &[u8] = if cmd.operands.is_empty() { b"" } else { b" " };
    out.f("usage: svmq %s %s%s[OPTION...]", &[V::S(cmd.name.as_bytes()), V::S(cmd.operands.as_bytes()), V::S(sep)]);
    out.put(end);
}
