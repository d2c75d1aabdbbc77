//! `svmq restore`: recreate the queues of a dump, all or nothing, never reachable half-made.
//!
//! The input (a regular file: it is read several times) is first checked whole, creating nothing:
//! structure and checksum, every message against `msgmax`, the queue count against `msgmni`, each key
//! free and not twice in the dump, each byte limit within what the kernel takes (and the room a queue
//! needs while filled above `msgmnb` only with the privilege), each owner and group mappable, with
//! `--same-id` each id's slot free and not twice in the dump. Then every queue is created under its key
//! (or as a private queue) with mode 0600 and this user as owner, so that no other user can send to it or
//! receive from it, and filled; then all are checked (message counts and bytes, last sender this
//! process, no receiver); only then is each given its owner, group, mode and byte limit: published. Any
//! failure removes what was created, queue by queue: first its access is taken back (mode 0600, this
//! user), then, if it holds exactly what this restore put there, it is removed; a queue someone else sent
//! to or received from meanwhile is left in place, as it was, and named. See docs/dump-format.md.

use crate::args::{Cmd, Line};
use crate::dumpfile::{Parser, Rec};
use crate::kernel::{
    MAX_PAYLOAD, SYSCTLS, can_write, each_queue, limits_or, open_input, qcreate, qsend, qset, qstat, stat_or,
    write_sysctl,
};
use crate::out::{Out, V};
use crate::report::{Arg, Fail, Res, ck, fail, msg, say};
use crate::rt;
use svmq::{Errno, Frame, Key, Queue, Settings};

pub const CMD: Cmd = Cmd {
    name: "restore",
    operands: "",
    min: 0,
    max: 0,
    help: "recreate the queues of a dump, all or none (prints each new queue's key and id)",
    opts: &[
        "i|input|the dump (default: standard input, a regular file)|FILE",
        " |same-id|with the ids they had (msg_next_id, as CRIU; root)",
        " |key|a dump of one queue: restore it under KEY|KEY",
        " |check|check the dump against this namespace; create nothing",
        " |limits|raise msgmax, msgmnb, msgmni as the dump needs (root)",
    ],
};

/// Most queues one restore creates: Linux's `IPCMNI`.
const MAX_QUEUES: usize = 32768;
/// The slot of an id (`ipcid_to_idx`, without `ipcmni_extend`).
const SLOT: u32 = 0x7fff;
const NEXT_ID: &core::ffi::CStr = c"/proc/sys/kernel/msg_next_id";

/// A pass over the dump.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Everything checked, nothing created.
    Check,
    /// Each queue created (0600, this user) and filled.
    Fill,
    /// Each queue given its settings.
    Publish,
}

/// What a restore knows.
struct State {
    fd: i32,
    key: Option<Key>,
    same_id: bool,
    /// Queues so far (in the check: of the dump; then: created).
    n: usize,
    /// In the check: the keys of the dump (`nkeys`), and with --same-id the slots (`ids`); then: each
    /// created queue's key and id, and what this restore put in it (messages, bytes).
    keys: &'static mut [u32; MAX_QUEUES],
    ids: &'static mut [u32; MAX_QUEUES],
    filled: &'static mut [(u32, u32); MAX_QUEUES],
    nkeys: usize,
    /// What the dump needs: msgmax (its largest message), msgmnb (the room of its fullest queue while
    /// filled), msgmni.
    need: [u32; 3],
    /// The room of the queue being filled.
    room: u32,
    /// This process's user and group as the kernel recorded them (the first queue's creator).
    owner: (u32, u32),
}

pub fn run(line: &Line, out: &mut Out) -> Res {
    let key = line.key_opt(2)?;
    // O_NONBLOCK: a FIFO without a writer must not hold the open.
    let fd = open_input(line.value(0), "restore: open", true)?;
    let rt::Big { frame, keys, ids, filled, .. } = rt::big();
    let mut s = State {
        fd,
        key,
        same_id: line.flag(1),
        n: 0,
        keys,
        ids,
        filled,
        nkeys: 0,
        need: [0; 3],
        room: 0,
        owner: (0, 0),
    };
    let r = restore(&mut s, line, frame, out);
    rt::close(fd);
    r
}

fn restore(s: &mut State, line: &Line, frame: &mut Frame<MAX_PAYLOAD>, out: &mut Out) -> Res {
    // A pipe or FIFO cannot be read twice; statx says what it is (without it, Linux before 4.11: lseek).
    if !rt::fstat(s.fd).map_or(rt::rewind(s.fd).is_ok(), |f| f.kind == rt::S_IFREG) {
        return Err(msg(
            "restore",
            "the input must be a regular file, read more than once (not a pipe, FIFO or device): save the dump to a \
             file first",
        ));
    }
    let raise = check(s, line.flag(4), frame)?;
    if line.flag(3) {
        out.f("restorable here: %d queue(s)\n", &[V::I(s.n as i64)]);
        return Ok(());
    }
    for (path, v) in SYSCTLS.into_iter().zip(raise) {
        if v > 0 {
            write_sysctl(path, v)?;
        }
    }
    s.n = 0;
    let r = pass(s, Pass::Fill, frame).and_then(|_| {
        // Check every queue: exactly what was sent, by this process alone; then publish.
        for i in 0..s.n {
            if !untouched(s, i) {
                let why = "another process sent to it or received from it during the restore";
                return Err(fail("restore: check", Arg::Id(s.ids[i] as i32), Errno::BUSY, why));
            }
        }
        pass(s, Pass::Publish, frame)
    });
    if let Err(e) = r {
        undo(s);
        return Err(e);
    }
    for i in 0..s.n {
        out.f("0x%08x %d\n", &[V::U(s.keys[i]), V::U(s.ids[i])]);
    }
    Ok(())
}

const LIMIT_NAMES: &[u8] = b"msgmaxmsgmnbmsgmni";

/// The check; returns the limits to raise (0: none).
fn check(s: &mut State, raise: bool, frame: &mut Frame<MAX_PAYLOAD>) -> Result<[u32; 3], Fail> {
    let have = limits_or("restore")?;
    let dumped = pass(s, Pass::Check, frame)?;
    duplicates(s.keys.get_mut(..s.nkeys).unwrap_or(&mut []), false)?;
    let slots = s.ids.get_mut(..s.n).unwrap_or(&mut []);
    if s.same_id {
        rt::close(open_next_id()?);
        duplicates(slots, true)?;
    }
    // The queues there are: how many, and (--same-id) none in a slot of the dump.
    let mut queues = s.n as u32;
    each_queue("restore", &mut |q, _| {
        if s.same_id && slots.binary_search(&(q.id() as u32 & SLOT)).is_ok() {
            return Err(fail("restore: id", Arg::Id(q.id()), Errno::EXIST, SLOT_TAKEN));
        }
        queues += 1;
        Ok(())
    })?;
    s.need[2] = queues;
    // The limits: what this namespace has; what --limits raises to (never lower): the dump's, or more.
    // Above msgmnb the kernel wants CAP_SYS_RESOURCE (capable(): in the initial user namespace).
    let now = [have.msgmax, have.msgmnb, have.msgmni];
    let privileged = rt::has_capability(24) && id_map(c"/proc/self/uid_map", u32::MAX) != Some(false);
    let mut to = [0u32; 3];
    for i in 0..3 {
        let (now, need) = (now[i], s.need[i]);
        let target = if raise { now.max(need).max(dumped[i]) } else { now };
        if target > now {
            can_write(SYSCTLS[i])?;
            to[i] = target;
        }
        if need > target && (i != 1 || !privileged) {
            let v = [V::S(LIMIT_NAMES.get(6 * i..6 * i + 6).unwrap_or(b"")), V::U(need), V::U(target)];
            return Err(say("restore: the dump needs %s %d (here %d); nothing was created; --limits raises it", &v));
        }
    }
    Ok(to)
}

const SLOT_TAKEN: &str = "this queue holds the slot of an id of the dump (--same-id); nothing was created";

/// One pass over the dump; the check returns the dump's recorded limits.
#[inline(never)]
fn pass(s: &mut State, pass: Pass, frame: &mut Frame<MAX_PAYLOAD>) -> Result<[u32; 3], Fail> {
    let check = pass == Pass::Check;
    let corrupt = |b: crate::dumpfile::Bad| {
        if check { msg_nothing(b.text()) } else { msg("restore", "the dump changed while being restored") }
    };
    rt::rewind(s.fd).map_err(|e| fail("restore: seek", Arg::None, Errno::from_raw(e), ""))?;
    let mut p = Parser::new(s.fd).map_err(corrupt)?;
    let mut q = Queue::from_id(-1);
    let mut i = 0;
    loop {
        match p.next(frame).map_err(corrupt)? {
            Rec::Queue(rec) => {
                let k = s.key.unwrap_or(rec.key);
                match pass {
                    Pass::Check => check_queue(s, k, rec.id, &rec.settings)?,
                    Pass::Fill => q = create(s, k, rec.id, rec.settings.qbytes)?,
                    Pass::Publish => {
                        let id = s.ids.get(i).copied().unwrap_or(0) as i32;
                        ck("restore: set", id, qset(Queue::from_id(id), &rec.settings))?;
                    }
                }
                i += 1;
            }
            Rec::Message(len) if pass == Pass::Fill => fill(s, q, frame, len)?,
            Rec::Message(len) => s.need[0] = s.need[0].max(len as u32),
            // The room a queue needs while filled (the kernel counts messages against qbytes too).
            Rec::QueueEnd(count, bytes) => s.need[1] = s.need[1].max(count).max(bytes),
            Rec::End => return Ok(p.limits.unwrap_or([0; 3])),
        }
    }
}

/// `svmq: restore: TEXT; nothing was created`.
#[cold]
#[inline(never)]
fn msg_nothing(text: &'static str) -> Fail {
    say("restore: %s; nothing was created", &[V::S(text.as_bytes())])
}

/// The checks of one queue of the dump.
fn check_queue(s: &mut State, k: Key, id: i32, st: &Settings) -> Res {
    if s.key.is_some() && s.n > 0 {
        return Err(msg_nothing("--key restores a dump of one queue; this one has more"));
    }
    if s.n == MAX_QUEUES {
        return Err(msg_nothing("a dump of more than 32768 queues"));
    }
    if !k.is_private() {
        if !matches!(Queue::open(k), Err(Errno::NOENT)) {
            return Err(fail(
                "restore: key",
                Arg::Key(k),
                Errno::EXIST,
                "a queue has it; nothing was created; --key picks another",
            ));
        }
        s.keys[s.nkeys % MAX_QUEUES] = k.as_u32();
        s.nkeys += 1;
    }
    s.ids[s.n] = id as u32 & SLOT;
    s.n += 1;
    for (path, v) in [(c"/proc/self/uid_map", st.uid), (c"/proc/self/gid_map", st.gid)] {
        if v == u32::MAX || id_map(path, v) == Some(false) {
            return Err(fail(
                "restore: owner",
                Arg::Num(v),
                Errno::INVAL,
                "no such id in this user namespace; nothing was created",
            ));
        }
    }
    if st.qbytes > i32::MAX as u64 {
        return Err(fail(
            "restore: qbytes",
            Arg::Num(st.qbytes as u32),
            Errno::INVAL,
            "the range is 0..2147483647; nothing was created",
        ));
    }
    s.need[1] = s.need[1].max(st.qbytes as u32);
    Ok(())
}

/// Creates a queue (0600, this user) with room for its messages.
fn create(s: &mut State, k: Key, id: i32, qbytes: u64) -> Result<Queue, Fail> {
    if s.same_id {
        write_next_id(id)?;
    }
    let r = qcreate(k, 0o600);
    if s.same_id && r.is_err() {
        let _ = write_next_id(-1);
    }
    let q = r.map_err(|e| fail("restore: create", Arg::Key(k), e, ""))?;
    let i = s.n % MAX_QUEUES;
    (s.keys[i], s.ids[i], s.filled[i]) = (k.as_u32(), q.id() as u32, (0, 0));
    s.n += 1;
    if s.same_id && q.id() != id {
        return Err(fail("restore: id", Arg::Id(id), Errno::EXIST, "its slot was taken meanwhile"));
    }
    let r = stat_or("restore: stat", q);
    let st = r.as_ref().map_err(|e| *e)?;
    s.owner = (st.cuid, st.cgid);
    s.room = st.qbytes as u32;
    grow(s, q, qbytes as u32)?;
    Ok(q)
}

/// Raises the room of the queue being filled to `room` if it has less.
#[inline(never)]
fn grow(s: &mut State, q: Queue, room: u32) -> Res {
    if room > s.room {
        s.room = room;
        let st = Settings { mode: 0o600, uid: s.owner.0, gid: s.owner.1, qbytes: room.into() };
        ck("restore: set", q.id(), qset(q, &st))?;
    }
    Ok(())
}

/// Sends one message of the dump to the queue being filled.
fn fill(s: &mut State, q: Queue, frame: &Frame<MAX_PAYLOAD>, len: usize) -> Res {
    let i = s.n.saturating_sub(1) % MAX_QUEUES;
    let (count, bytes) = (s.filled[i].0 + 1, s.filled[i].1 + len as u32);
    // More than the queue's own limit (a snapshot of a queue in use): room meanwhile.
    grow(s, q, count.max(bytes))?;
    ck("restore: send", q.id(), qsend(q, frame, len, true, None))?;
    s.filled[i] = (count, bytes);
    Ok(())
}

/// Sorts `v` (keys, or with `ids` slots) and fails on the first value found twice.
#[inline(never)]
fn duplicates(v: &mut [u32], ids: bool) -> Res {
    // Insertion sort: the smallest code; a dump of thousands of queues takes a fraction of a second.
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && v[j - 1] > v[j] {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
    match v.windows(2).find(|w| w[0] == w[1]) {
        Some(w) if ids => Err(fail(
            "restore: id",
            Arg::Id(w[0] as i32),
            Errno::EXIST,
            "two queues of the dump need its slot; nothing was created",
        )),
        Some(w) => Err(fail(
            "restore: key",
            Arg::Key(Key::from_u32(w[0])),
            Errno::EXIST,
            "twice in the dump; nothing was created",
        )),
        None => Ok(()),
    }
}

/// An id map (`/proc/self/uid_map`, lines `inside outside count`): whether it maps `id`, or, for
/// `u32::MAX`, whether it is the initial namespace's (`0 0 4294967295`); `None` without `/proc`.
#[inline(never)]
fn id_map(path: &core::ffi::CStr, id: u32) -> Option<bool> {
    let fd = rt::open_read(path).ok()?;
    let mut buf = [0u8; 16384];
    let mut len = 0;
    while let Ok(n @ 1..) = rt::read(fd, buf.get_mut(len..).unwrap_or(&mut [])) {
        len += n;
    }
    rt::close(fd);
    // Every number of the file fits in 32 bits (ids and counts up to 4294967295).
    let (mut found, mut words, mut w, mut digits) = (false, [0u32; 3], 0, false);
    for &c in buf.get(..len).unwrap_or(&[]) {
        if c.is_ascii_digit() {
            words[w] = words[w].wrapping_mul(10).wrapping_add(u32::from(c - b'0'));
            digits = true;
        } else if digits {
            (w, digits) = ((w + 1).min(2), false);
        }
        if c == b'\n' {
            let [inside, outside, count] = words;
            found |= if id == u32::MAX {
                inside == 0 && outside == 0 && count == u32::MAX
            } else {
                id >= inside && id - inside < count
            };
            (words, w) = ([0; 3], 0);
        }
    }
    Some(found)
}

/// Queue `i` holds what this restore sent it, and nobody received from it.
fn untouched(s: &State, i: usize) -> bool {
    let (count, bytes) = s.filled[i];
    qstat(Queue::from_id(s.ids[i] as i32)).is_ok_and(|st| {
        st.qnum == u64::from(count)
            && st.cbytes == u64::from(bytes)
            && st.lrpid == 0
            && (count == 0 || st.lspid == rt::pid())
    })
}

/// Removes what the restore made, never a queue someone else has used meanwhile (see the module's text).
fn undo(s: &State) {
    let mut kept = 0;
    for i in 0..s.n {
        let q = Queue::from_id(s.ids[i] as i32);
        // Access back to this user alone (the creator may always set), then look.
        let before = qstat(q);
        let room = before.as_ref().map_or(0, |st| st.qbytes);
        let _ = qset(q, &Settings { mode: 0o600, uid: s.owner.0, gid: s.owner.1, qbytes: room });
        if !untouched(s, i) || q.remove().is_err() {
            kept += 1;
            if let Ok(st) = before {
                let _ = qset(q, &st.settings());
            }
            say("restore: queue %d, used by another process meanwhile, is left in place", &[V::N(q.id())]);
        }
    }
    if s.same_id {
        let _ = write_next_id(-1);
    }
    say("restore: removed the %d queue(s) it had created", &[V::I(s.n as i64 - kept)]);
}

/// Opens `msg_next_id` for writing.
#[inline(never)]
fn open_next_id() -> Result<i32, Fail> {
    rt::open_write(NEXT_ID).map_err(|e| {
        let e = Errno::from_raw(e);
        let why = match e {
            Errno::NOENT => "no /proc/sys/kernel/msg_next_id: a kernel without CONFIG_CHECKPOINT_RESTORE",
            _ => "--same-id writes /proc/sys/kernel/msg_next_id, which needs root (CAP_SYS_ADMIN)",
        };
        fail("restore --same-id", Arg::None, e, why)
    })
}

/// Writes `id` (or -1: none) to `msg_next_id`: the id the next queue created in this namespace gets.
#[inline(never)]
fn write_next_id(id: i32) -> Res {
    let fd = open_next_id()?;
    let r = rt::write_all(fd, crate::out::decimal(&mut [0; 24], id.into())).map_err(Errno::from_raw);
    rt::close(fd);
    r.map_err(|e| fail("restore --same-id: write msg_next_id", Arg::None, e, ""))
}
