//! Buffered output without allocation, and the few formats `ipcs` uses.

use crate::names::{Db, Names};
use crate::rt;

/// A 4 KiB buffer in front of a file descriptor. The first write error sticks: later output is dropped
/// and [`finish`](Self::finish) reports it.
pub struct Out {
    fd: i32,
    buf: [u8; 4096],
    len: usize,
    err: i32,
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
            let room = self.buf.len() - self.len;
            let n = room.min(b.len());
            if let (Some(dst), Some(src)) = (self.buf.get_mut(self.len..self.len + n), b.get(..n)) {
                dst.copy_from_slice(src);
            }
            self.len += n;
            b = b.get(n..).unwrap_or(&[]);
        }
        self
    }

    #[inline(never)]
    pub fn put(&mut self, s: &str) -> &mut Self {
        self.bytes(s.as_bytes())
    }

    /// `ENOMSG: no message of desired type`, as `Errno`'s `Display`, without `core::fmt` (size).
    #[inline(never)]
    pub fn errno(&mut self, e: svmq::Errno) -> &mut Self {
        let desc = e.description();
        let mut first = [0u8; 1];
        let (head, tail) = desc.as_bytes().split_at(desc.len().min(1));
        if let Some(&c) = head.first() {
            first[0] = c.to_ascii_lowercase();
        }
        self.put(e.name()).put(": ").bytes(first.get(..head.len()).unwrap_or(&[])).bytes(tail)
    }

    /// `%02d`-style: `v` with at least `width` digits.
    #[inline(never)]
    fn int0(&mut self, v: i64, width: usize) -> &mut Self {
        if v < 0 {
            self.put("-");
        }
        self.number(v.unsigned_abs(), 10, width);
        self
    }

    /// Writes `v` in `radix` with at least `min_digits` digits (zero-padded); returns how many it wrote.
    #[inline(never)]
    fn number(&mut self, v: u64, radix: u64, min_digits: usize) -> usize {
        let mut tmp = [0; 24];
        let d = Self::digits(v, radix, &mut tmp);
        for _ in d.len()..min_digits {
            self.put("0");
        }
        self.bytes(d);
        d.len().max(min_digits)
    }

    /// Digits of `v` in `radix` into `tmp`, most significant first; returns the used tail.
    #[inline(never)]
    fn digits(mut v: u64, radix: u64, tmp: &mut [u8; 24]) -> &[u8] {
        let mut i = tmp.len();
        loop {
            i -= 1;
            let d = (v % radix) as u8;
            if let Some(slot) = tmp.get_mut(i) {
                *slot = if d < 10 { b'0' + d } else { b'a' + d - 10 };
            }
            v /= radix;
            if v == 0 || i == 0 {
                break;
            }
        }
        tmp.get(i..).unwrap_or(&[])
    }

    #[inline(never)]
    pub fn int(&mut self, v: i64) -> &mut Self {
        if v < 0 {
            self.put("-");
        }
        self.number(v.unsigned_abs(), 10, 0);
        self
    }

    /// `%08x`.
    #[inline(never)]
    pub fn hex8(&mut self, v: u32) -> &mut Self {
        self.number(u64::from(v), 16, 8);
        self
    }

    /// `%#o`: `0` prefix unless zero.
    #[inline(never)]
    pub fn octal_alt(&mut self, v: u32) -> &mut Self {
        if v != 0 {
            self.put("0");
        }
        self.number(u64::from(v), 8, 0);
        self
    }

    #[inline(never)]
    fn pad(&mut self, used: usize, width: usize) -> &mut Self {
        for _ in used..width {
            self.put(" ");
        }
        self
    }

    /// `%-*d`: left-justified in `width`.
    #[inline(never)]
    pub fn int_w(&mut self, v: i64, width: usize) -> &mut Self {
        if v < 0 {
            self.put("-");
        }
        let used = usize::from(v < 0) + self.number(v.unsigned_abs(), 10, 0);
        self.pad(used, width)
    }

    /// `%-*o`.
    #[inline(never)]
    pub fn octal_w(&mut self, v: u32, width: usize) -> &mut Self {
        let used = self.number(u64::from(v), 8, 0);
        self.pad(used, width)
    }

    /// `%-*.*s` of the user name for `uid`, else `%-*u` of the number (as `ipcs`: names cut to `width`).
    #[inline(never)]
    pub fn owner(&mut self, names: &mut Names, uid: u32, width: usize) -> &mut Self {
        match names.get(Db::Passwd, uid) {
            Some(name) => {
                let name = name.get(..width).unwrap_or(name);
                let used = name.len();
                self.bytes(name).pad(used, width)
            }
            None => self.int_w(i64::from(uid), width),
        }
    }

    /// A JSON string: `"`, `\\` and control characters escaped; bytes that are not UTF-8 are taken as
    /// Latin-1 (`\u00XX`), so the document is always valid.
    #[inline(never)]
    pub fn json_str(&mut self, s: &[u8]) -> &mut Self {
        let utf8 = core::str::from_utf8(s).is_ok();
        self.put("\"");
        for &c in s {
            match c {
                b'"' | b'\\' => {
                    self.bytes(&[b'\\', c]);
                }
                0x20..=0x7e => {
                    self.bytes(&[c]);
                }
                0x80.. if utf8 => {
                    self.bytes(&[c]);
                }
                _ => {
                    self.put("\\u00");
                    self.number(u64::from(c), 16, 2);
                }
            }
        }
        self.put("\"")
    }

    /// `"key":` (a JSON member name the program spells, nothing to escape).
    #[inline(never)]
    pub fn key(&mut self, k: &str) -> &mut Self {
        self.put("\"").put(k).put("\":")
    }

    /// `rw-r--r--`, as `lsipc` prints permissions.
    #[inline(never)]
    pub fn perms(&mut self, mode: u32) -> &mut Self {
        for i in (0..9).rev() {
            let c = if mode & (1 << i) == 0 { "-" } else { ["x", "w", "r"][i % 3] };
            self.put(c);
        }
        self
    }

    /// `%-26.24s` of `ctime(t)` in UTC, or of `Not set` for 0.
    #[inline(never)]
    pub fn time26(&mut self, t: i64) -> &mut Self {
        if t == 0 {
            return self.put("Not set").pad(7, 26);
        }
        let days = t.div_euclid(86_400);
        let secs = t.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        const MO: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let wd = WD.get(days.rem_euclid(7) as usize).copied().unwrap_or("???");
        let mo = MO.get((m as usize).wrapping_sub(1)).copied().unwrap_or("???");
        self.put(wd).put(" ").put(mo).put(if d < 10 { "  " } else { " " }).int(d).put(" ");
        self.int0(secs / 3600, 2).put(":").int0(secs / 60 % 60, 2).put(":").int0(secs % 60, 2).put(" ").int(y);
        self.put("  ")
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}
