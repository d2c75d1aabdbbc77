//! `svmq set`: change a queue's owner, group, mode or byte limit (`msgctl(IPC_SET)`).

use crate::args::{Cmd, Line};
use crate::kernel::{limits, qset, qstat};
use crate::names::{Db, id_of};
use crate::out::Out;
use crate::report::{Arg, Bad, Fail, Must, Res, bad, fail};
use svmq::{Errno, Settings};

pub const CMD: Cmd = Cmd {
    name: "set",
    operands: "ID",
    min: 1,
    max: 1,
    help: "change the mode, owner, group or byte limit of queue ID (msgctl IPC_SET)",
    opts: &[
        " |mode|permissions, octal|MODE",
        " |uid|owner: a user name or a uid|USER",
        " |gid|group: a group name or a gid|GROUP",
        " |qbytes|byte limit, 0..2147483647 (above msgmnb: privileged)|BYTES",
    ],
};

/// What `--uid`/`--gid` accept: the kernel's ids, without -1 (no id).
const ID_RANGE: &str = "a name in /etc/passwd (/etc/group), or a number 0..4294967294";

pub fn run(line: &Line, _: &mut Out) -> Res {
    let q = line.id(0)?;
    // Arguments first, all of them: a usage error must not depend on the queue.
    let mode = line.value(0).map(|m| line.mode(m)).transpose()?;
    let uid = line.value(1).map(|u| owner(line, Db::Passwd, "uid", u)).transpose()?;
    let gid = line.value(2).map(|g| owner(line, Db::Group, "gid", g)).transpose()?;
    // The kernel takes qbytes as an int: 2^31 and above are refused (EINVAL).
    let qbytes = line.value(3).map(|b| line.int("qbytes", b, 0, i64::from(i32::MAX))).transpose()?.map(|v| v as u64);
    if mode.is_none() && uid.is_none() && gid.is_none() && qbytes.is_none() {
        return Err(bad(Some(&CMD), Bad::Missing(b"--mode, --uid, --gid or --qbytes")));
    }
    let arg = Arg::Id(q.id());
    let new = match (mode, uid, gid, qbytes) {
        // IPC_SET needs no read permission: with every field given, nothing is read first.
        (Some(mode), Some(uid), Some(gid), Some(qbytes)) => Settings { mode, uid, gid, qbytes },
        _ => {
            let cur = qstat(q).map_err(|e| {
                let why = match e {
                    Errno::ACCESS => {
                        "reading the fields not given needs read permission; give all of --mode, --uid, --gid \
                         and --qbytes to set without reading"
                    }
                    _ => "",
                };
                fail("set", arg, e, why)
            })?;
            let cur = cur.settings();
            Settings {
                mode: mode.unwrap_or(cur.mode),
                uid: uid.unwrap_or(cur.uid),
                gid: gid.unwrap_or(cur.gid),
                qbytes: qbytes.unwrap_or(cur.qbytes),
            }
        }
    };
    qset(q, &new).map_err(|e| {
        let why = match (e, limits()) {
            (Errno::PERM, Ok(l)) if new.qbytes > u64::from(l.msgmnb) => {
                "a byte limit above msgmnb needs CAP_SYS_RESOURCE (svmq ls -l shows msgmnb)"
            }
            (Errno::INVAL, _) if uid.is_some() || gid.is_some() => {
                "the uid or gid has no mapping in this user namespace"
            }
            _ => "",
        };
        fail("set", arg, e, why)
    })
}

/// A user or group: a name of the database, or a number `0..=4294967294`.
pub fn owner(line: &Line, db: Db, what: &'static str, s: &'static [u8]) -> Result<u32, Fail> {
    if let Some(id) = crate::args::number(s, false) {
        return u32::try_from(id)
            .ok()
            .filter(|&v| v != u32::MAX)
            .ok_or_else(|| line.invalid(what, s, Must::Text(ID_RANGE)));
    }
    id_of(db, s).ok_or_else(|| line.invalid(what, s, Must::Text(ID_RANGE)))
}
