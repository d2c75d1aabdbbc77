//! User and group names from `/etc/passwd` and `/etc/group`, read whole and streamed (no size limit, no
//! heap); the last name found is kept.
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

/// The last name looked up (a listing mostly repeats one owner).
pub struct Names {
    key: Option<(Db, u32)>,
    /// Its length; 0 for "no such id".
    len: usize,
    name: [u8; NAME_MAX],
}

impl Names {
    pub fn new() -> Self {
        Self { key: None, len: 0, name: [0; NAME_MAX] }
    }

    /// The name of `id` in `db`, if a complete line has it.
    #[inline(never)]
    pub fn get(&mut self, db: Db, id: u32) -> Option<&[u8]> {
        if self.key != Some((db, id)) {
            self.key = Some((db, id));
            self.len = lookup(db, id, &mut self.name);
        }
        self.name.get(..self.len).filter(|n| !n.is_empty())
    }
}

/// Streams the file; the length of the first name whose line has `id` (0 if none).
fn lookup(db: Db, id: u32, name: &mut [u8; NAME_MAX]) -> usize {
    let mut found = 0;
    scan(db, name, &mut |n, line_id| {
        if line_id == id {
            found = n.len();
        }
        line_id == id
    });
    found
}

/// The id of the first line named `wanted` (`chown`'s reading of a user or group name).
pub fn id_of(db: Db, wanted: &[u8]) -> Option<u32> {
    let mut name = [0u8; NAME_MAX];
    let mut found = None;
    scan(db, &mut name, &mut |n, line_id| {
        let hit = n == wanted;
        if hit {
            found = Some(line_id);
        }
        hit
    });
    found
}

/// Calls `line(name, id)` for every complete line until it returns true (the name is left in `name`).
#[inline(never)]
fn scan(db: Db, name: &mut [u8; NAME_MAX], line: &mut dyn FnMut(&[u8], u32) -> bool) {
    let path = match db {
        Db::Passwd => c"/etc/passwd",
        Db::Group => c"/etc/group",
    };
    let Ok(fd) = rt::open_read(path) else { return };
    let mut p = Parser { field: 0, len: 0, long: false, num: Some(0), digits: 0 };
    let mut buf = [0u8; 4096];
    'file: while let Ok(n @ 1..) = rt::read(fd, &mut buf) {
        for &c in buf.get(..n).unwrap_or(&[]) {
            if let Some(id) = p.feed(c, name)
                && line(name.get(..p.len).unwrap_or(&[]), id)
            {
                break 'file;
            }
        }
    }
    rt::close(fd);
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
