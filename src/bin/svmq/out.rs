//! Buffered output without allocation, with a small `printf` ([`Out::f`]): one call per line keeps the
//! program small.

use crate::rt;
use crate::tz::Tm;

/// A 4 KiB buffer in front of a file descriptor. The first write error sticks: later output is dropped
/// and [`finish`](Self::finish) reports it.
pub struct Out {
    fd: i32,
    buf: [u8; 4096],
    len: usize,
    err: i32,
}

/// An argument of [`Out::f`].
#[derive(Clone, Copy)]
pub enum V<'a> {
    I(i64),
    /// A 32-bit number (cheaper to pass than an `I` on 32-bit targets).
    N(i32),
    U(u32),
    S(&'a [u8]),
    /// An errno, as `ENOMSG: no message of desired type` (any conversion).
    E(svmq::Errno),
}

const MONTHS: &[u8; 36] = b"JanFebMarAprMayJunJulAugSepOctNovDec";
const DAYS: &[u8; 21] = b"SunMonTueWedThuFriSat";

/// Whether `s` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF).
fn utf8(s: &[u8]) -> bool {
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        // The length of the sequence, and the range of its second byte.
        let (n, lo, hi) = match c {
            0..=0x7f => (1, 0, 0),
            0xc2..=0xdf => (2, 0x80, 0xbf),
            0xe0 => (3, 0xa0, 0xbf),
            0xed => (3, 0x80, 0x9f),
            0xe1..=0xef => (3, 0x80, 0xbf),
            0xf0 => (4, 0x90, 0xbf),
            0xf1..=0xf3 => (4, 0x80, 0xbf),
            0xf4 => (4, 0x80, 0x8f),
            _ => return false,
        };
        for k in 1..n {
            let (lo, hi) = if k == 1 { (lo, hi) } else { (0x80, 0xbf) };
            if !s.get(i + k).is_some_and(|b| (lo..=hi).contains(b)) {
                return false;
            }
        }
        i += n;
    }
    true
}

/// The errnos the tool can meet, with glibc's descriptions: each entry is `0x80 + errno`, then `NAME
/// Description`. (The library's table of every errno, which the C ABI serves, would add 3 KiB.)
const ERRNOS: &[u8] = b"\x81EPERM Operation not permitted\x82ENOENT No such file or directory\
    \x84EINTR Interrupted system call\x85EIO Input/output error\
    \x87E2BIG Argument list too long\x89EBADF Bad file descriptor\
    \x8bEAGAIN Resource temporarily unavailable\x8cENOMEM Cannot allocate memory\x8dEACCES Permission denied\
    \x90EBUSY Device or resource busy\x91EEXIST File exists\
    \x94ENOTDIR Not a directory\
    \x95EISDIR Is a directory\x96EINVAL Invalid argument\x97ENFILE Too many open files in system\
    \x98EMFILE Too many open files\x99ENOTTY Inappropriate ioctl for device\
    \x9bEFBIG File too large\x9cENOSPC No space left on device\x9dESPIPE Illegal seek\
    \x9eEROFS Read-only file system\xa0EPIPE Broken pipe\
    \xa4ENAMETOOLONG File name too long\xa6ENOSYS Function not implemented\
    \xa8ELOOP Too many levels of symbolic links\xaaENOMSG No message of desired type\
    \xabEIDRM Identifier removed\xcbEOVERFLOW Value too large for defined data type\
    \
    \xeeETIMEDOUT Connection timed out\xfaEDQUOT Disk quota exceeded";

/// `v` in `radix` (lower-case digits) at the end of `buf`, `-` before it if negative, or with `alt` `0`
/// before it if not zero: the text.
#[inline(never)]
fn render(buf: &mut [u8; 24], v: i64, radix: u32, alt: bool) -> &[u8] {
    let (mut u, mut i) = (v.unsigned_abs(), buf.len());
    loop {
        i -= 1;
        let (q, d) = divmod(u, radix);
        let d = d as u8;
        buf[i] = if d < 10 { b'0' + d } else { b'a' + d - 10 };
        u = q;
        if u == 0 {
            break;
        }
    }
    if (alt && v != 0) || v < 0 {
        i -= 1;
        buf[i] = if v < 0 { b'-' } else { b'0' };
    }
    buf.get(i..).unwrap_or(&[])
}

/// `n / d` and `n % d`, `d` below 2^24. On 32-bit targets with 32-bit operations only, a byte at a
/// time: the compiler's 64-bit division routines cost 900 bytes there.
#[inline(never)]
pub fn divmod(n: u64, d: u32) -> (u64, u32) {
    if cfg!(target_pointer_width = "64") {
        return (n / u64::from(d), (n % u64::from(d)) as u32);
    }
    let (mut q, mut r) = (0u64, 0u32);
    for i in (0..8).rev() {
        let cur = (r << 8) | (n >> (8 * i)) as u32 & 0xff;
        q = (q << 8) | u64::from(cur / d);
        r = cur % d;
    }
    (q, r)
}

/// `v` in decimal, in `buf`.
pub fn decimal(buf: &mut [u8; 24], v: i64) -> &[u8] {
    render(buf, v, 10, false)
}

impl Out {
    pub fn new(fd: i32) -> Self {
        Self { fd, buf: [0; 4096], len: 0, err: 0 }
    }

    #[inline(never)]
    pub fn flush(&mut self) {
        if self.err == 0
            && let Err(e) = rt::write_all(self.fd, self.buf.get(..self.len).unwrap_or(&[]))
        {
            self.err = e;
        }
        self.len = 0;
    }

    pub fn fd(&self) -> i32 {
        self.fd
    }

    /// Flushes; the first write error since the start, if any.
    #[inline(never)]
    pub fn finish(&mut self) -> Result<(), svmq::Errno> {
        self.flush();
        if self.err == 0 { Ok(()) } else { Err(svmq::Errno::from_raw(self.err)) }
    }

    #[inline(never)]
    pub fn bytes(&mut self, mut b: &[u8]) -> &mut Self {
        while !b.is_empty() {
            if self.len == self.buf.len() {
                self.flush();
            }
            let n = (self.buf.len() - self.len).min(b.len());
            if let (Some(dst), Some(src)) = (self.buf.get_mut(self.len..self.len + n), b.get(..n)) {
                dst.copy_from_slice(src);
            }
            self.len += n;
            b = b.get(n..).unwrap_or(&[]);
        }
        self
    }

    pub fn put(&mut self, s: &str) -> &mut Self {
        self.bytes(s.as_bytes())
    }

    /// `printf(fmt, args...)` for what the tool prints: `%d` (and `%u`), `%o`, `%x`, `%s`, with the flags
    /// `-` (left-justify), `0` (zero-fill), `#` (`0` before octal), a width and, for `%s`, a precision.
    #[inline(never)]
    pub fn f(&mut self, fmt: &str, args: &[V<'_>]) -> &mut Self {
        let mut args = args.iter();
        let mut s = fmt.as_bytes();
        while let Some((&c, rest)) = s.split_first() {
            s = rest;
            if c != b'%' {
                self.bytes(&[c]);
                continue;
            }
            let (mut left, mut fill, mut alt) = (false, b' ', false);
            let (mut width, mut prec) = (0, usize::MAX);
            let mut conv = 0;
            while let Some((&c, rest)) = s.split_first() {
                s = rest;
                match c {
                    b'-' => left = true,
                    b'0' if width == 0 && prec == usize::MAX => fill = b'0',
                    b'#' => alt = true,
                    b'.' => prec = 0,
                    b'0'..=b'9' if prec == usize::MAX => width = width * 10 + usize::from(c - b'0'),
                    b'0'..=b'9' => prec = prec * 10 + usize::from(c - b'0'),
                    _ => {
                        conv = c;
                        break;
                    }
                }
            }
            let mut tmp = [0u8; 24];
            let text: &[u8] = match args.next() {
                Some(&V::E(e)) => {
                    self.errno(e);
                    continue;
                }
                Some(V::S(b)) => b.get(..prec.min(b.len())).unwrap_or(b),
                Some(&n) => {
                    let v = match n {
                        V::N(v) => v.into(),
                        V::U(v) => v.into(),
                        V::I(v) => v,
                        _ => 0,
                    };
                    let radix = match conv {
                        b'o' => 8,
                        b'x' => 16,
                        _ => 10,
                    };
                    render(&mut tmp, v, radix, alt)
                }
                None => b"",
            };
            let gap = width.saturating_sub(text.len());
            if !left {
                for _ in 0..gap {
                    self.bytes(&[fill]);
                }
            }
            self.bytes(text);
            if left {
                self.pad(0, gap);
            }
        }
        self
    }

    pub fn int(&mut self, v: i64) -> &mut Self {
        self.f("%d", &[V::I(v)])
    }

    /// Spaces from column `used` to `width`.
    #[inline(never)]
    pub fn pad(&mut self, used: usize, width: usize) -> &mut Self {
        for _ in used..width {
            self.bytes(b" ");
        }
        self
    }

    /// `ENOMSG: no message of desired type`, as `Errno`'s `Display` (`errno N` for one the tool does not
    /// name: see [`ERRNOS`]).
    #[inline(never)]
    pub fn errno(&mut self, e: svmq::Errno) -> &mut Self {
        let raw = e.raw();
        let mark = 0x80 + raw as u8;
        let Some(at) = ERRNOS.iter().position(|&c| c == mark).filter(|_| (1..128).contains(&raw)) else {
            return self.f("errno %d", &[V::N(raw)]);
        };
        // NAME, then ": ", then the description with its first letter in lower case.
        let mut state = 0;
        for &c in ERRNOS.get(at + 1..).unwrap_or(&[]) {
            let c = match (state, c) {
                (_, 0x80..) => break,
                (0, b' ') => {
                    state = 1;
                    self.bytes(b":");
                    c
                }
                (1, _) => {
                    state = 2;
                    c.to_ascii_lowercase()
                }
                _ => c,
            };
            self.bytes(&[c]);
        }
        self
    }

    /// A JSON string: `"`, `\\` and control characters escaped; bytes that are not UTF-8 are taken as
    /// Latin-1 (`\u00XX`), so the document is always valid.
    pub fn json_str(&mut self, s: &[u8]) -> &mut Self {
        let utf8 = utf8(s);
        self.bytes(b"\"");
        for &c in s {
            match c {
                b'"' | b'\\' => self.bytes(&[b'\\', c]),
                0x20..=0x7e => self.bytes(&[c]),
                0x80.. if utf8 => self.bytes(&[c]),
                _ => self.f("\\u%04x", &[V::U(c.into())]),
            };
        }
        self.bytes(b"\"")
    }

    /// `rw-r--r--`, as `lsipc` prints permissions.
    #[inline(never)]
    pub fn perms(&mut self, mode: u32) -> &mut Self {
        for i in (0..9).rev() {
            self.bytes(if mode & (1 << i) == 0 { b"-" } else { &b"xwr"[i % 3..i % 3 + 1] });
        }
        self
    }

    /// Makes room for `n` more bytes in the buffer (a cell is rendered there, then measured or moved).
    #[inline(never)]
    pub fn room(&mut self, n: usize) -> usize {
        if self.buf.len() - self.len < n {
            self.flush();
        }
        self.len
    }

    /// What was written since `mark` (a [`room`](Self::room) result), still in the buffer.
    pub fn since(&self, mark: usize) -> &[u8] {
        self.buf.get(mark..self.len).unwrap_or(&[])
    }

    /// Forgets what was written since `mark`.
    pub fn cut(&mut self, mark: usize) {
        self.len = mark.min(self.len);
    }

    /// Moves what was written since `mark` right by `by` bytes, filling the gap with spaces.
    #[inline(never)]
    pub fn shift(&mut self, mark: usize, by: usize) {
        let end = self.len;
        if end + by > self.buf.len() || mark > end {
            return;
        }
        self.buf.copy_within(mark..end, mark + by);
        if let Some(gap) = self.buf.get_mut(mark..mark + by) {
            gap.fill(b' ');
        }
        self.len += by;
    }

    /// `%b`, the month's three letters.
    pub fn month(tm: &Tm) -> &'static [u8] {
        let m = (tm.mon as usize).wrapping_sub(1).min(11) * 3;
        MONTHS.get(m..m + 3).unwrap_or(b"???")
    }

    /// A time as `asctime` (`Sun Dec  6 18:46:27 2026`); with `ipcs`, its part `ipcs -t` prints
    /// (`Dec  6 18:46:27 `).
    #[inline(never)]
    pub fn ctime(&mut self, tm: &Tm, ipcs: bool) -> &mut Self {
        let d = (tm.wday as usize).min(6) * 3;
        let clock = [V::N(tm.mday), V::N(tm.hour), V::N(tm.min), V::N(tm.sec), V::N(tm.year)];
        if !ipcs {
            self.bytes(DAYS.get(d..d + 3).unwrap_or(b"???")).put(" ");
        }
        self.bytes(Self::month(tm)).f(if ipcs { " %2d %02d:%02d:%02d " } else { " %2d %02d:%02d:%02d %d" }, &clock)
    }

    /// ISO 8601 as util-linux writes it: `2026-12-06T18:46:27+01:00` (the sign is that of the hours).
    pub fn iso(&mut self, tm: &Tm) -> &mut Self {
        let min = tm.gmtoff / 60;
        let sign: &[u8] = if min / 60 < 0 { b"-" } else { b"+" };
        let v = [tm.year, tm.mon, tm.mday, tm.hour, tm.min, tm.sec].map(V::N);
        self.f("%04d-%02d-%02dT%02d:%02d:%02d", &v);
        self.f("%s%02d:%02d", &[V::S(sign), V::N((min / 60).abs()), V::N((min % 60).abs())])
    }

    /// A size as util-linux prints one with one-letter suffixes (`0B`, `1023B`, `1.5K`, `1024K`, `1M`).
    /// (A queue's sizes are an int's in the kernel: 32 bits.)
    pub fn human(&mut self, bytes: u32) -> &mut Self {
        let mut exp = 0;
        while exp < 30 && bytes >= 1 << (exp + 10) {
            exp += 10;
        }
        let (mut dec, frac) = (bytes >> exp, bytes & ((1 << exp) - 1));
        // One decimal, rounded from three as util-linux 2.38 does.
        let thousandths = ((u64::from(frac) * 1000) >> exp) as u32;
        let mut tenths = (thousandths + 50) / 100;
        if tenths == 10 {
            dec += 1;
            tenths = 0;
        }
        let unit = &b"BKMG"[exp / 10..exp / 10 + 1];
        if tenths == 0 {
            self.f("%d%s", &[V::U(dec), V::S(unit)])
        } else {
            self.f("%d.%d%s", &[V::U(dec), V::U(tenths), V::S(unit)])
        }
    }
}
