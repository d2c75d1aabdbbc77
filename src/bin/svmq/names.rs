//! User and group names from `/etc/passwd` and `/etc/group`, read whole and streamed (no size limit, no
//! heap), with a small cache so a listing reads each file about once per distinct id.
//!
//! A line matches only when its id field is complete, i.e. followed by `:` (both files have fields after
//! the id): a line cut by the end of the file, or by anything else, never matches.

use crate::rt;

/// Which database.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Passwd,
    Group,
}

/// The longest name kept; a longer one prints as its number.
const NAME_MAX: usize = 64;
/// Cached lookups.
const SLOTS: usize = 16;

/// The cache, one array per field (small code to initialize).
pub struct Names {
    db: [Db; SLOTS],
    id: [u32; SLOTS],
    /// Name length; 0 for "no such id", `u8::MAX` while unused.
    len: [u8; SLOTS],
    name: [[u8; NAME_MAX]; SLOTS],
    next: usize,
}

impl Names {
    #[inline(never)]
    pub fn new() -> Self {
        Self { db: [Db::Passwd; SLOTS], id: [0; SLOTS], len: [u8::MAX; SLOTS], name: [[0; NAME_MAX]; SLOTS], next: 0 }
    }

    /// The name of `id` in `db`, if a complete line has it.
    #[inline(never)]
    pub fn get(&mut self, db: Db, id: u32) -> Option<&[u8]> {
        let mut i = 0;
        while i < SLOTS && !(self.len[i] != u8::MAX && self.db[i] == db && self.id[i] == id) {
            i += 1;
        }
        if i == SLOTS {
            i = self.next % SLOTS;
            self.next = self.next.wrapping_add(1);
            self.db[i] = db;
            self.id[i] = id;
            self.len[i] = lookup(db, id, &mut self.name[i]) as u8;
        }
        let n = usize::from(self.len[i]);
        if n == 0 { None } else { self.name[i].get(..n) }
    }
}

/// Streams the file; the length of the first name whose line has `id` (0 if none).
#[inline(never)]
fn lookup(db: Db, id: u32, name: &mut [u8; NAME_MAX]) -> usize {
    let path = match db {
        Db::Passwd => c"/etc/passwd",
        Db::Group => c"/etc/group",
    };
    let Ok(fd) = rt::open_read(path) else { return 0 };
    let mut p = Parser { field: 0, len: 0, long: false, num: Some(0), digits: 0 };
    let mut buf = [0u8; 4096];
    let mut found = 0;
    'file: while let Ok(n @ 1..) = rt::read(fd, &mut buf) {
        for &c in buf.get(..n).unwrap_or(&[]) {
            if p.feed(c, name) == Some(id) {
                found = p.len;
                break 'file;
            }
        }
    }
    rt::close(fd);
    found
}

/// One line at a time: `name:password:id:...`.
struct Parser {
    field: u32,
    len: usize,
    long: bool,
    num: Option<u32>,
    digits: u32,
}

impl Parser {
    /// Takes one byte; the id when it completes a line's id field (its `:` seen) with a usable name.
    #[inline(never)]
    fn feed(&mut self, c: u8, name: &mut [u8; NAME_MAX]) -> Option<u32> {
        match (c, self.field) {
            (b'\n', _) => {
                *self = Self { field: 0, len: 0, long: false, num: Some(0), digits: 0 };
                None
            }
            (b':', 2) => {
                self.field = 3;
                let ok = self.digits > 0 && self.len > 0 && !self.long;
                if ok { self.num } else { None }
            }
            (b':', f) => {
                self.field = f.saturating_add(1);
                None
            }
            (_, 0) => {
                match name.get_mut(self.len) {
                    Some(slot) => {
                        *slot = c;
                        self.len += 1;
                    }
                    None => self.long = true,
                }
                None
            }
            (_, 2) => {
                self.digits += 1;
                let d = (c as char).to_digit(10);
                self.num = self.num.and_then(|v| v.checked_mul(10)?.checked_add(d?));
                None
            }
            _ => None,
        }
    }
}
