//! A queue's fields, formatted in one place: as `lsipc -q` prints each column (text), and as typed JSON
//! values (numbers as numbers, times as seconds since the epoch or `null`).

use crate::names::{Db, Names};
use crate::out::{Out, V};
use crate::tz::{Tm, Zone};
use svmq::{Queue, Status};

/// The columns, by number: lsipc's, then svmq's two additions (`QBYTES`, `MODE`).
pub const NAMES: &str = "KEY ID OWNER PERMS CUID CUSER CGID CGROUP UID USER GID GROUP CTIME USEDBYTES MSGS SEND RECV LSPID LRPID QBYTES MODE";
pub const KEY: u8 = 0;
const ID: u8 = 1;
const OWNER: u8 = 2;
const PERMS: u8 = 3;
const CUID: u8 = 4;
const CUSER: u8 = 5;
const CGID: u8 = 6;
const CGROUP: u8 = 7;
const UID: u8 = 8;
const USER: u8 = 9;
const GID: u8 = 10;
const GROUP: u8 = 11;
const CTIME: u8 = 12;
const USEDBYTES: u8 = 13;
const MSGS: u8 = 14;
const SEND: u8 = 15;
const RECV: u8 = 16;
const LSPID: u8 = 17;
const LRPID: u8 = 18;
const QBYTES: u8 = 19;
const MODE: u8 = 20;
/// The columns lsipc right-aligns (one bit each): all but KEY, ID, CUSER, CGROUP, USER, GROUP, MSGS.
const RIGHT: u32 = 0x1f_ffff & !(1 << KEY | 1 << ID | 1 << CUSER | 1 << CGROUP | 1 << USER | 1 << GROUP | 1 << MSGS);

/// lsipc -q's default columns.
pub const DEFAULT: &[u8] = &[KEY, ID, PERMS, OWNER, USEDBYTES, MSGS, LSPID, LRPID];

/// `--json`'s fields without `-o`, in their order since svmq 0.1.
pub const JSON_ALL: &[u8] = &[
    KEY, ID, OWNER, PERMS, MODE, CUID, CUSER, CGID, CGROUP, UID, USER, GID, GROUP, USEDBYTES, QBYTES, MSGS, LSPID,
    LRPID, SEND, RECV, CTIME,
];

/// Column `col`'s name.
pub fn name(col: u8) -> &'static [u8] {
    crate::args::nth_word(NAMES.as_bytes(), usize::from(col))
}

/// The column called `word`, in any case.
pub fn named(word: &[u8]) -> Option<u8> {
    (0..=MODE).find(|&c| {
        let n = name(c);
        n.len() == word.len() && n.iter().zip(word).all(|(a, b)| *a == b.to_ascii_uppercase())
    })
}

/// Whether lsipc right-aligns column `col`.
pub fn right(col: u8) -> bool {
    RIGHT & (1 << col) != 0
}

/// `--time-format`: short, full, iso.
pub const SHORT: u8 = 0;
pub const FULL: u8 = 1;

/// What formatting needs besides the queue: names, the time zone, the options.
pub struct Ctx {
    pub names: Names,
    pub zone: Zone,
    /// `SHORT`, `FULL`, or 2 (iso).
    pub time: u8,
    /// Now, local (for `short` times).
    pub now: Tm,
    /// Sizes in bytes (`-b`).
    pub bytes: bool,
}

/// Writes column `col` of queue `q` as lsipc's text (nothing for an empty cell).
pub fn text(out: &mut Out, ctx: &mut Ctx, col: u8, q: Queue, st: &Status) {
    match col {
        KEY => {
            out.f("0x%08x", &[V::I(number(KEY, q, st))]);
        }
        OWNER | CUSER | USER | CGROUP | GROUP => {
            let (db, id) = who(col, st);
            match ctx.names.get(db, id) {
                Some(n) => {
                    out.bytes(n);
                }
                // The owner falls back to the number; the others stay empty.
                None if col == OWNER => {
                    out.int(id.into());
                }
                None => {}
            }
        }
        PERMS => {
            out.perms(st.mode);
        }
        CTIME | SEND | RECV => {
            let t = time_of(col, st);
            if t != 0 {
                let tm = ctx.zone.local(t);
                let (mon, day) = (V::S(Out::month(&tm)), V::N(tm.mday));
                match ctx.time {
                    FULL => out.ctime(&tm, false),
                    SHORT if tm.year != ctx.now.year => out.f("%d-%s%02d", &[V::N(tm.year), mon, day]),
                    // util-linux's "short": the time today, the day this year, else the date.
                    SHORT if tm.yday != ctx.now.yday => out.f("%s%02d", &[mon, day]),
                    SHORT => out.f("%02d:%02d", &[V::N(tm.hour), V::N(tm.min)]),
                    _ => out.iso(&tm),
                };
            }
        }
        USEDBYTES | QBYTES if !ctx.bytes => {
            out.human(number(col, q, st) as u32);
        }
        MODE => {
            out.f("%#o", &[V::U(st.mode)]);
        }
        _ => {
            out.int(number(col, q, st));
        }
    }
}

/// Writes column `col` of queue `q` as a JSON member (`"name":value`).
pub fn json(out: &mut Out, ctx: &mut Ctx, col: u8, q: Queue, st: &Status) {
    out.put("\"");
    for &c in name(col) {
        out.bytes(&[c.to_ascii_lowercase()]);
    }
    out.put("\":");
    match col {
        OWNER | CUSER | USER | CGROUP | GROUP => {
            let (db, id) = who(col, st);
            match ctx.names.get(db, id) {
                Some(n) => out.json_str(n),
                None => out.f("\"%d\"", &[V::U(id)]),
            };
        }
        PERMS => {
            out.put("\"").perms(st.mode).put("\"");
        }
        CTIME | SEND | RECV if time_of(col, st) == 0 => {
            out.put("null");
        }
        _ => {
            out.int(number(col, q, st));
        }
    }
}

/// The database and id of a name column.
fn who(col: u8, st: &Status) -> (Db, u32) {
    match col {
        CUSER => (Db::Passwd, st.cuid),
        CGROUP => (Db::Group, st.cgid),
        GROUP => (Db::Group, st.gid),
        _ => (Db::Passwd, st.uid),
    }
}

/// A numeric column's value.
#[inline(never)]
fn number(col: u8, q: Queue, st: &Status) -> i64 {
    match col {
        KEY => st.key.as_u32().into(),
        ID => q.id().into(),
        MODE => st.mode.into(),
        CUID => st.cuid.into(),
        CGID => st.cgid.into(),
        UID => st.uid.into(),
        GID => st.gid.into(),
        USEDBYTES => st.cbytes as i64,
        QBYTES => st.qbytes as i64,
        MSGS => st.qnum as i64,
        // lsipc prints pids as unsigned.
        LSPID => (st.lspid as u32).into(),
        LRPID => (st.lrpid as u32).into(),
        _ => time_of(col, st),
    }
}

fn time_of(col: u8, st: &Status) -> i64 {
    match col {
        SEND => st.stime,
        RECV => st.rtime,
        _ => st.ctime,
    }
}
