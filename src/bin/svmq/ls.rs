//! `svmq ls`: the queues as `ipcs -q` lists them (`-t`, `-p`, `-c`, `-l`, `-u` too), as `lsipc -q` does
//! with its output options (`-o`, `--noheadings`, `--raw`, `--export`, `--time-format`, `-b`), or as
//! JSON; filtered by id, key or owner.

use crate::args::{Cmd, Line};
use crate::fields::{self, Ctx, DEFAULT, JSON_ALL};
use crate::kernel::{each_queue, limits_or};
use crate::names::{Db, Names};
use crate::out::{Out, V};
use crate::report::{Arg, Bad, Must, Res, bad, fail};
use crate::tz::Zone;
use crate::{rt, stat};
use svmq::{Key, Queue, Status};

pub const CMD: Cmd = Cmd {
    name: "ls",
    operands: "",
    min: 0,
    max: 0,
    help: "list queues, as ipcs -q (as lsipc -q with its output options)",
    opts: &[
        "l|limits|the system's limits (ipcs -q -l)",
        "u|summary|the system's usage (ipcs -q -u)",
        "t|time|send, receive and change times (ipcs -q -t)",
        "p|pid|last sender and receiver (ipcs -q -p)",
        "c|creator|creators and owners (ipcs -q -c)",
        "o|output|lsipc columns, comma-separated (+COLUMNS: added)|COLUMNS",
        " |noheadings|no header line (lsipc format)",
        "r|raw|raw lsipc format",
        "e|export|NAME=\"value\" pairs (lsipc format)",
        " |time-format|short, full or iso (lsipc format)|FORMAT",
        "b|bytes|sizes in bytes (lsipc format)",
        "J|json|as JSON, numbers as numbers (all fields, or -o's)",
        "i|id|only the queue with this id|ID",
        "k|key|only the queue with this key|KEY",
        " |owner|only queues owned by USER (a name or a uid)|USER",
    ],
};

/// Option bits (`Line::given`).
const IPCS: u32 = 0x1f; // -l -u -t -p -c
const LSIPC: u32 = 0x3f << 5; // -o --noheadings -r -e --time-format -b
const NOHEADINGS: u32 = 1 << 6;
const RAW: u32 = 1 << 7;
const EXPORT: u32 = 1 << 8;
const JSON: u32 = 1 << 11;
const FILTERS: u32 = 7 << 12;

/// Most columns one `-o` selects.
const MAX_COLS: usize = 42;

/// Which queues to list: an id (-1: any), a key, an owner.
struct Filter(i32, Option<Key>, Option<u32>);

pub fn run(line: &Line, out: &mut Out) -> Res {
    let g = line.given;
    // One format: at most one ipcs option, and then none of lsipc's; -l and -u describe the system (no
    // filter); JSON goes with -o, -l and -u; raw or export.
    if (g & IPCS).count_ones() > 1
        || (g & IPCS != 0 && g & LSIPC != 0)
        || (g & 3 != 0 && g & FILTERS != 0)
        || (g & JSON != 0 && g & (0x1c | NOHEADINGS | RAW | EXPORT) != 0)
        || g & (RAW | EXPORT) == RAW | EXPORT
    {
        return Err(bad(Some(&CMD), Bad::Text("options that exclude each other (svmq ls --help)")));
    }
    if g & 3 != 0 {
        return system(out, g & 1 != 0, g & JSON != 0);
    }
    let filter = Filter(
        match line.value(12) {
            Some(v) => line.id_of(v)?.id(),
            None => -1,
        },
        line.key_opt(13)?,
        line.value(14).map(|v| crate::set::owner(line, Db::Passwd, "owner", v)).transpose()?,
    );
    let mut cols = [0u8; MAX_COLS];
    let (defaults, list): (&[u8], &[u8]) = match line.value(5) {
        Some([b'+', rest @ ..]) => (DEFAULT, rest),
        Some(list) => (&[], list),
        None if g & JSON != 0 => (JSON_ALL, b""),
        None => (DEFAULT, b""),
    };
    let mut n = defaults.len();
    cols[..n].copy_from_slice(defaults);
    if line.flag(5) {
        for name in list.split(|&c| c == b',') {
            let col = fields::named(name).ok_or_else(|| line.invalid("column", name, Must::Text(fields::NAMES)))?;
            *cols.get_mut(n).ok_or_else(|| line.invalid("column list", list, Must::Text("at most 42 columns")))? = col;
            n += 1;
        }
    }
    let cols = cols.get(..n).unwrap_or(&[]);
    let time = match line.value(9) {
        None => 0,
        Some(v) => crate::args::word(v, &["short", "full", "iso"])
            .ok_or_else(|| line.invalid("time format", v, Must::Text("short, full or iso")))?,
    } as u8;
    let zone = Zone::load(&mut rt::big().zone, &line.args);
    let now = zone.local(rt::now(rt::REALTIME).0);
    let mut ctx = Ctx { names: Names::new(), zone, time, now, bytes: line.flag(10) };
    // The format: ipcs's (0, or -t -p -c: 2, 3, 4), lsipc's table (5), JSON (11).
    let format = if g & LSIPC != 0 && g & JSON == 0 {
        table(out, &mut ctx, cols, &filter, g)?;
        return Ok(());
    } else if g & JSON != 0 {
        11
    } else {
        (g & 0x1c).trailing_zeros() % 32
    };
    ipcs_list(out, &mut ctx, cols, &filter, format)
}

/// Calls `f` for every queue `filter` wants, in the kernel's order.
#[inline(never)]
fn each(filter: &Filter, f: &mut dyn FnMut(Queue, &Status)) -> Res {
    each_queue("ls", &mut |q, st| {
        if (filter.0 < 0 || filter.0 == q.id())
            && filter.1.is_none_or(|k| k == st.key)
            && filter.2.is_none_or(|u| u == st.uid)
        {
            f(q, st);
        }
        Ok(())
    })
}

/// `ipcs -q` and its `-t`, `-p`, `-c`; or JSON.
fn ipcs_list(out: &mut Out, ctx: &mut Ctx, cols: &[u8], filter: &Filter, format: u32) -> Res {
    out.put(match format {
        11 => "{\"messages\":[",
        2 => {
            "\n------ Message Queues Send/Recv/Change Times --------\nmsqid    owner      send                 recv                 change              \n"
        }
        3 => "\n------ Message Queues PIDs --------\nmsqid      owner      lspid      lrpid     \n",
        4 => {
            "\n------ Message Queues Creators/Owners --------\nmsqid      perms      cuid       cgid       uid        gid       \n"
        }
        _ => "\n------ Message Queues --------\nkey        msqid      owner      perms      used-bytes   messages    \n",
    });
    let mut sep = "\n";
    each(filter, &mut |q, st| {
        let id = V::N(q.id());
        match format {
            11 => {
                out.put(sep);
                sep = ",\n";
                stat::json_object(out, ctx, q, st, cols);
            }
            2 | 3 => {
                out.f("%-8d ", &[id]);
                owner(out, &mut ctx.names, st.uid);
                if format == 3 {
                    out.f("  %5d     %5d", &[V::N(st.lspid), V::N(st.lrpid)]);
                } else {
                    for t in [st.stime, st.rtime, st.ctime] {
                        // " %-20.16s" of ctime(t) + 4, or of "Not set"
                        match t {
                            0 => out.put(" Not set             "),
                            _ => out.put(" ").ctime(&ctx.zone.local(t), true).put("    "),
                        };
                    }
                }
                out.put("\n");
            }
            4 => {
                out.f("%-10d %-10o", &[id, V::U(st.mode & 0o777)]);
                for (db, v) in [(Db::Passwd, st.cuid), (Db::Group, st.cgid), (Db::Passwd, st.uid), (Db::Group, st.gid)]
                {
                    // " %-10s" of the name (not cut), or " %-10u"
                    match ctx.names.get(db, v) {
                        Some(name) => out.f(" %-10s", &[V::S(name)]),
                        None => out.f(" %-10d", &[V::U(v)]),
                    };
                }
                out.put("\n");
            }
            _ => {
                out.f("0x%08x %-10d ", &[V::U(st.key.as_u32()), id]);
                owner(out, &mut ctx.names, st.uid);
                let v = [V::U(st.mode & 0o777), V::I(st.cbytes as i64), V::I(st.qnum as i64)];
                out.f(" %-10o %-12d %-12d\n", &v);
            }
        }
    })?;
    out.put(if format == 11 { "\n]}\n" } else { "\n" });
    Ok(())
}

/// `%-10.10s` of the owner's name, else `%-10u` of the uid (as ipcs).
fn owner(out: &mut Out, names: &mut Names, uid: u32) {
    match names.get(Db::Passwd, uid) {
        Some(name) => out.f("%-10.10s", &[V::S(name)]),
        None => out.f("%-10d", &[V::U(uid)]),
    };
}

/// lsipc's table (aligned, raw or export), two passes over the queues: widths, then rows.
fn table(out: &mut Out, ctx: &mut Ctx, cols: &[u8], filter: &Filter, g: u32) -> Res {
    let (raw, export) = (g & RAW != 0, g & EXPORT != 0);
    let aligned = !raw && !export;
    let mut widths = [0usize; MAX_COLS];
    for (w, &c) in widths.iter_mut().zip(cols) {
        *w = fields::name(c).len();
    }
    if aligned {
        each(filter, &mut |q, st| {
            for (w, &col) in widths.iter_mut().zip(cols) {
                let mark = out.room(512);
                cell(out, ctx, col, q, st, Escape::Table, mark);
                *w = (*w).max(out.since(mark).len());
                out.cut(mark);
            }
        })?;
    }
    if g & NOHEADINGS == 0 && !export {
        for (i, &col) in cols.iter().enumerate() {
            let mark = out.room(512);
            out.bytes(fields::name(col));
            place(out, mark, i, cols, &widths, aligned);
        }
        out.put("\n");
    }
    each(filter, &mut |q, st| {
        for (i, &col) in cols.iter().enumerate() {
            let mark = out.room(1024);
            if export {
                out.bytes(fields::name(col)).put("=\"");
            }
            let at = out.room(0);
            let esc = if export {
                Escape::Export
            } else if raw {
                Escape::Raw
            } else {
                Escape::Table
            };
            cell(out, ctx, col, q, st, esc, at);
            if export {
                out.put("\"");
            }
            place(out, mark, i, cols, &widths, aligned);
        }
        out.put("\n");
    })
}

/// Aligns the cell written since `mark` in its column (as libsmartcols: right-aligned columns padded
/// on the left; the last column not padded, and empty there), then the separator.
fn place(out: &mut Out, mark: usize, i: usize, cols: &[u8], widths: &[usize], aligned: bool) {
    let last = i + 1 == cols.len();
    if aligned {
        let used = out.since(mark).len();
        let width = widths.get(i).copied().unwrap_or(0);
        let right = cols.get(i).is_some_and(|&c| fields::right(c));
        if used > 0 || !last {
            if right {
                out.shift(mark, width.saturating_sub(used));
            } else if !last {
                out.pad(used, width);
            }
        }
    }
    if !last {
        out.put(" ");
    }
}

/// How a cell's bytes are escaped, as libsmartcols does it in each format.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Escape {
    /// Bytes that do not print, and `\` before `x`.
    Table,
    /// That, blanks and `\` too.
    Raw,
    /// That, and `"`, `\`, `` ` ``, `$`.
    Export,
}

/// Writes one cell at `mark`, escaped.
#[inline(never)]
fn cell(out: &mut Out, ctx: &mut Ctx, col: u8, q: Queue, st: &Status, esc: Escape, mark: usize) {
    fields::text(out, ctx, col, q, st);
    let mut tmp = [0u8; 128];
    let text = out.since(mark);
    let n = text.len().min(tmp.len());
    tmp[..n].copy_from_slice(&text[..n]);
    if !tmp[..n].iter().any(|&c| needs_escape(c, esc, true)) {
        return;
    }
    out.cut(mark);
    for (i, &c) in tmp[..n].iter().enumerate() {
        let next_x = tmp.get(i + 1) == Some(&b'x') && i + 1 < n;
        if needs_escape(c, esc, next_x) {
            out.f("\\x%02x", &[V::U(c.into())]);
        } else {
            out.bytes(&[c]);
        }
    }
}

fn needs_escape(c: u8, esc: Escape, before_x: bool) -> bool {
    !(0x20..0x7f).contains(&c)
        || (c == b'\\' && (before_x || esc != Escape::Table))
        || (esc == Escape::Raw && c == b' ')
        || (esc == Escape::Export && matches!(c, b'"' | b'`' | b'$'))
}

/// `-l` and `-u`, as text (ipcs) or JSON.
fn system(out: &mut Out, limits_wanted: bool, json: bool) -> Res {
    if limits_wanted {
        let l = limits_or("ls -l")?;
        let v = [l.msgmni, l.msgmax, l.msgmnb].map(V::U);
        out.f(
            if json {
                "{\"ipclimits\":[{\"resource\":\"MSGMNI\",\"description\":\"Number of message queues\",\"limit\":%d},\
                 {\"resource\":\"MSGMAX\",\"description\":\"Max size of message (bytes)\",\"limit\":%d},\
                 {\"resource\":\"MSGMNB\",\"description\":\"Default max size of queue (bytes)\",\"limit\":%d}]}\n"
            } else {
                "\n------ Messages Limits --------\nmax queues system wide = %d\nmax size of message (bytes) = %d\n\
                 default max size of queue (bytes) = %d\n\n"
            },
            &v,
        );
    } else {
        let u = svmq::usage().map_err(|e| fail("ls -u", Arg::None, e, ""))?;
        let v = [u.queues, u.messages, u.bytes].map(V::U);
        out.f(
            if json {
                "{\"msgstatus\":{\"allocated_queues\":%d,\"used_headers\":%d,\"used_space\":%d}}\n"
            } else {
                "\n------ Messages Status --------\nallocated queues = %d\nused headers = %d\nused space = %d bytes\n\n"
            },
            &v,
        );
    }
    Ok(())
}
