//! Local time without a C library, as glibc's `localtime` computes it: the zone named by `TZ` (a file
//! under `$TZDIR` or `/usr/share/zoneinfo`, `:path`, an absolute path, or a POSIX rule such as
//! `CET-1CEST,M3.5.0,M10.5.0/3`), else `/etc/localtime`; UTC when there is none (an initramfs).
//!
//! Zone files are TZif (RFC 8536) versions 1 to 3: the 64-bit table of version 2+, the 32-bit one of
//! version 1, the footer's POSIX rule for times at or past the last transition, leap-second records
//! applied. Times before the first transition take the first standard-time type, as glibc does. Dates
//! are computed in 32-bit days (small code on 32-bit targets).

use crate::rt;

/// A POSIX `TZ` rule: offsets (seconds east of UTC) and, with daylight time, its start and end: a date
/// (`[kind, m, w, d]`: `J` n, `n` (kind 0), `M` m.w.d) and a time of day in seconds.
#[derive(Clone, Copy, Default)]
struct Rule {
    std: i32,
    dst: i32,
    daylight: bool,
    dates: [[i32; 4]; 2],
    times: [i32; 2],
}

/// The local time zone.
pub struct Zone {
    /// The TZif file (whole; empty: none).
    data: &'static [u8],
    /// Bytes of a transition time: 8 (version 2+) or 4.
    width: usize,
    /// timecnt, typecnt, leapcnt.
    counts: [usize; 3],
    /// Where the transitions, type indexes, types and leap records start.
    at: [usize; 4],
    /// The rule: the file's footer, or `TZ` itself.
    rule: Option<Rule>,
}

/// A broken-down local time.
#[derive(Clone, Copy, Default)]
pub struct Tm {
    pub year: i32,
    /// 1..=12
    pub mon: i32,
    pub mday: i32,
    pub hour: i32,
    pub min: i32,
    pub sec: i32,
    /// 0 = Sunday
    pub wday: i32,
    /// 0-based day of the year
    pub yday: i32,
    /// Seconds east of UTC.
    pub gmtoff: i32,
}

impl Zone {
    /// UTC.
    pub fn utc() -> Self {
        Zone { data: &[], width: 4, counts: [0; 3], at: [0; 4], rule: None }
    }

    /// The zone of this process's environment, its file read into `buf`.
    #[inline(never)]
    pub fn load(buf: &'static mut [u8; 65536], args: &rt::Args) -> Self {
        let mut z = Self::utc();
        let name = match args.env(b"TZ") {
            None => &b"/etc/localtime"[..],
            Some(b"") => return z,
            Some(s) => s.strip_prefix(b":").unwrap_or(s),
        };
        let dir = args.env(b"TZDIR").unwrap_or(b"/usr/share/zoneinfo");
        let mut path = [0u8; 4096];
        let parts: [&[u8]; 3] = if name.first() == Some(&b'/') { [name, b"", b""] } else { [dir, b"/", name] };
        if let Some(fd) = rt::cpath(&mut path, &parts).and_then(|p| rt::open_read(p).ok()) {
            let mut len = 0;
            while let Ok(n @ 1..) = rt::read(fd, buf.get_mut(len..).unwrap_or(&mut [])) {
                len += n;
            }
            rt::close(fd);
            z.data = buf.get(..len).unwrap_or(&[]);
            if z.parse() {
                return z;
            }
        }
        z.data = &[];
        z.rule = parse_rule(name);
        z
    }

    /// Finds the table (the 64-bit one of version 2+) and the footer's rule.
    fn parse(&mut self) -> bool {
        let d = self.data;
        let (mut hdr, mut t) = (0, 4);
        loop {
            if d.get(hdr..hdr + 4) != Some(b"TZif") {
                return false;
            }
            // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
            let c: [usize; 6] = core::array::from_fn(|i| be(d, hdr + 20 + 4 * i, 4) as usize);
            let types = hdr + 44 + c[3] * (t + 1);
            let leaps = types + c[4] * 6 + c[5];
            let end = leaps + c[2] * (t + 4) + c[1] + c[0];
            if t == 4 && d.get(4).is_some_and(|&v| v >= b'2') {
                // Version 2+: the 64-bit table follows the 32-bit one.
                (hdr, t) = (end, 8);
                continue;
            }
            if end > d.len() || c[4] == 0 {
                return false;
            }
            (self.width, self.counts) = (t, [c[3], c[4], c[2]]);
            self.at = [hdr + 44, hdr + 44 + c[3] * t, types, leaps];
            // The footer: "\n<rule>\n" after the version 2+ data.
            if let (8, Some([b'\n', footer @ .., b'\n'])) = (t, d.get(end..)) {
                self.rule = parse_rule(footer);
            }
            return true;
        }
    }

    /// A big-endian number of the file.
    fn be(&self, at: usize, n: usize) -> i64 {
        be(self.data, at, n)
    }

    /// Type `i`: (offset, daylight).
    fn ttype(&self, i: usize) -> (i32, bool) {
        let at = self.at[2] + 6 * i;
        (self.be(at, 4) as i32, self.be(at + 4, 1) != 0)
    }

    /// `t` (seconds since the epoch) as local time.
    #[inline(never)]
    pub fn local(&self, t: i64) -> Tm {
        let [timecnt, typecnt, leapcnt] = self.counts;
        let w = self.width;
        let time = |i: usize| self.be(self.at[0] + w * i, w);
        let off = match (self.rule, self.data.len()) {
            (Some(rule), 0) => rule.offset(t),
            (_, 0) => 0,
            _ if timecnt == 0 || t < time(0) => {
                // The first standard-time type (or type 0).
                let i = (0..typecnt).find(|&i| !self.ttype(i).1).unwrap_or(0);
                self.ttype(i).0
            }
            (Some(rule), _) if t >= time(timecnt - 1) => rule.offset(t),
            _ => {
                // The last transition at or before t.
                let (mut lo, mut hi) = (0, timecnt);
                while hi - lo > 1 {
                    let mid = (lo + hi) / 2;
                    if time(mid) <= t { lo = mid } else { hi = mid }
                }
                self.ttype(self.be(self.at[1] + lo, 1) as u8 as usize).0
            }
        };
        // Leap seconds (right/ zones): the correction of the last record at or before t; during an
        // inserted second, second 60.
        let (mut corr, mut hit) = (0, 0);
        for i in 0..leapcnt {
            let at = self.at[3] + (w + 4) * i;
            let occur = self.be(at, w);
            if occur > t {
                break;
            }
            let prev = corr;
            corr = self.be(at + w, 4);
            hit = i32::from(t == occur && corr > prev);
        }
        let mut tm = utc(t - corr + i64::from(off));
        tm.sec += hit;
        tm.gmtoff = off;
        tm
    }
}

/// The `n`-byte big-endian two's complement number at `at` (0 past the end).
#[inline(never)]
fn be(d: &[u8], at: usize, n: usize) -> i64 {
    let v = d.get(at..at + n).unwrap_or(&[]).iter().fold(0u64, |v, &c| (v << 8) | u64::from(c));
    let shift = 64 - 8 * n as u32;
    ((v << shift) as i64) >> shift
}

impl Rule {
    /// Seconds east of UTC at `t`, as glibc's `__tz_compute` decides: the rule's dates in `t`'s UTC year.
    fn offset(self, t: i64) -> i32 {
        if !self.daylight {
            return self.std;
        }
        let year = utc(t).year;
        // Each change, in UTC: its day, its time of day, less the offset in force before it.
        let change =
            |i: usize, before: i32| i64::from(day(year, self.dates[i])) * 86_400 + i64::from(self.times[i] - before);
        let (begin, finish) = (change(0, self.std), change(1, self.dst));
        let dst = if begin > finish { t < finish || t >= begin } else { t >= begin && t < finish };
        if dst { self.dst } else { self.std }
    }
}

/// The day (since the epoch) of a rule's date in `year`.
#[inline(never)]
fn day(year: i32, [kind, m, w, d]: [i32; 4]) -> i32 {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let jan1 = days(year, 1, 1);
    match kind {
        // Jn: 1..=365, February 29 never counted.
        1 => jan1 + d - 1 + i32::from(leap && d >= 60),
        // n: 0..=365.
        0 => jan1 + d,
        // Mm.w.d: day d of week w (5: the last) of month m.
        _ => {
            let first = days(year, m, 1);
            let len = days(year + m / 12, m % 12 + 1, 1) - first;
            let mut mday = (d - (first + 4).rem_euclid(7)).rem_euclid(7);
            for _ in 1..w {
                if mday + 7 >= len {
                    break;
                }
                mday += 7;
            }
            first + mday
        }
    }
}

/// Days since 1970-01-01 of a date (proleptic Gregorian; H. Hinnant's algorithm).
#[inline(never)]
fn days(y: i32, m: i32, d: i32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// `t` as UTC.
#[inline(never)]
pub fn utc(t: i64) -> Tm {
    // t.div_euclid(86_400) and t.rem_euclid(86_400), without a 64-bit division routine.
    let (q, r) = crate::out::divmod(t.unsigned_abs(), 86_400);
    let (day, secs) = match (t < 0, r) {
        (false, _) => (q as i64, r),
        (true, 0) => (-(q as i64), 0),
        (true, _) => (-(q as i64) - 1, 86_400 - r),
    };
    let (z, secs) = (day as i32 + 719_468, secs as i32);
    let (era, doe) = (z.div_euclid(146_097), z.rem_euclid(146_097));
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let mon = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i32::from(mon <= 2);
    Tm {
        year,
        mon,
        mday: doy - (153 * mp + 2) / 5 + 1,
        hour: secs / 3600,
        min: secs / 60 % 60,
        sec: secs % 60,
        wday: (z - 719_468 + 4).rem_euclid(7),
        yday: z - 719_468 - days(year, 1, 1),
        gmtoff: 0,
    }
}

/// Parses a POSIX `TZ` value (`std offset [dst [offset] [,start[/time],end[/time]]]`) as glibc does;
/// `None` if it is not one (then: UTC). Without dates, the US rule (glibc's fallback).
#[inline(never)]
fn parse_rule(s: &[u8]) -> Option<Rule> {
    let mut p = s;
    let mut r = Rule { dates: [[2, 3, 2, 0], [2, 11, 1, 0]], times: [7200; 2], ..Rule::default() };
    name(&mut p)?;
    r.std = -hms(&mut p, 24)?;
    r.dst = r.std + 3600;
    if p.is_empty() {
        return Some(r);
    }
    name(&mut p)?;
    r.daylight = true;
    if p.first().is_some_and(|&c| c != b',') {
        r.dst = -hms(&mut p, 24)?;
    }
    if !p.is_empty() {
        for i in 0..2 {
            eat(&mut p, b',')?;
            let kind = match p.first() {
                Some(b'J') => 1,
                Some(b'M') => 2,
                _ => 0,
            };
            p = p.get(usize::from(kind != 0)..)?;
            let mut v = [kind, 0, 0, 0];
            if kind == 2 {
                v[1] = num(&mut p).filter(|m| (1..=12).contains(m))?;
                eat(&mut p, b'.')?;
                v[2] = num(&mut p).filter(|w| (1..=5).contains(w))?;
                eat(&mut p, b'.')?;
            }
            v[3] = num(&mut p).filter(|&d| d <= if kind == 2 { 6 } else { 365 })?;
            r.dates[i] = v;
            if eat(&mut p, b'/').is_some() {
                r.times[i] = hms(&mut p, 167)?;
            }
        }
    }
    p.is_empty().then_some(r)
}

fn eat(p: &mut &[u8], c: u8) -> Option<()> {
    *p = p.strip_prefix(&[c])?;
    Some(())
}

/// A zone name: three or more letters, or `<...>` (three or more characters inside).
fn name(p: &mut &[u8]) -> Option<()> {
    let quoted = eat(p, b'<').is_some();
    let n = p.iter().take_while(|&&c| if quoted { c != b'>' } else { c.is_ascii_alphabetic() }).count();
    *p = p.get(n + usize::from(quoted)..)?;
    (n >= 3).then_some(())
}

/// Up to three digits.
fn num(p: &mut &[u8]) -> Option<i32> {
    let n = p.iter().take(3).take_while(|c| c.is_ascii_digit()).count();
    let v = p.get(..n)?.iter().fold(0, |v, &c| v * 10 + i32::from(c - b'0'));
    *p = p.get(n..)?;
    (n > 0).then_some(v)
}

/// `[+-]hh[:mm[:ss]]` in seconds, hours at most `max_h`.
#[inline(never)]
fn hms(p: &mut &[u8], max_h: i32) -> Option<i32> {
    let neg = eat(p, b'-').is_some();
    if !neg {
        let _ = eat(p, b'+');
    }
    let mut secs = num(p).filter(|&h| h <= max_h)? * 3600;
    for unit in [60, 1] {
        if eat(p, b':').is_none() {
            break;
        }
        secs += num(p).filter(|&v| v < 60)? * unit;
    }
    Some(if neg { -secs } else { secs })
}
