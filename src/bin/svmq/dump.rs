//! `svmq dump` and `svmq restore`: the streamed, checksummed snapshot format of `docs/dump-format.md`.
//!
//! No heap: a dump is written as it is read from the kernel (`MSG_COPY`, the queues untouched); a restore
//! reads its input twice, once to check all of it (structure, checksum, this system's limits, keys and ids
//! free) before creating anything, then again to create. Hence a restore's input must be seekable.

use crate::out::Out;
use crate::{Arg, Fail, MAX_PAYLOAD, Res, Rest, Why, call, rt};
use svmq::{Errno, Frame, Key, MsgType, Queue, RecvFlags, SendFlags, Settings};

const MAGIC: &[u8; 8] = b"SVMQDUMP";
const VERSION: u32 = 1;
const QUEUE: &[u8; 4] = b"QUEU";
const MESSAGE: &[u8; 4] = b"MESG";
const QUEUE_END: &[u8; 4] = b"QEND";
const DUMP_END: &[u8; 4] = b"DEND";
/// Most queues one restore creates (and can remove again if it fails): Linux's `IPCMNI`.
const MAX_QUEUES: usize = 32768;

/// CRC-32 (IEEE 802.3, as zlib's `crc32`), one byte at a time: small, and fast enough for a tool.
#[inline(never)]
fn crc32(mut crc: u32, bytes: &[u8]) -> u32 {
    crc = !crc;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// The output side: bytes to `Out`, counted into the checksum.
struct Writer<'o> {
    out: &'o mut Out,
    crc: u32,
}

impl Writer<'_> {
    #[inline(never)]
    fn put(&mut self, b: &[u8]) -> &mut Self {
        self.crc = crc32(self.crc, b);
        self.out.bytes(b);
        self
    }
}

#[inline(never)]
pub fn dump(mut rest: Rest<'_>, stdout: &mut Out) -> Res {
    // Arguments: ids (checked now) or --all, and -o FILE.
    let (mut all, mut file, mut ids) = (false, None, 0);
    let first = rest.next;
    while let Some(a) = rest.next() {
        match crate::word(a, &["--all", "-o"]) {
            0 => all = true,
            1 => file = Some(rest.value("FILE after -o")?),
            _ => {
                rest.int("id", a, 0, i64::from(i32::MAX))
                    .map_err(|e| if a.first() == Some(&b'-') { rest.unknown(a) } else { e })?;
                ids += 1;
            }
        }
    }
    if all == (ids > 0) {
        return Err(crate::bad("dump", crate::Bad::Missing("IDs or --all (one of them)")));
    }
    let mut file_out;
    let out = match file {
        Some(path) => {
            let mut buf = [0u8; 4096];
            let c = crate::cpath(&mut buf, &[path])
                .ok_or_else(|| rest.invalid("file", path, crate::Must::Text("a path")))?;
            let fd = call("dump: open", Arg::Str(path), rt::create(c).map_err(Errno::from_raw))?;
            file_out = Out::new(fd);
            &mut file_out
        }
        None => stdout,
    };
    let mut w = Writer { out, crc: 0 };
    w.put(MAGIC).put(&VERSION.to_le_bytes()).put(&0u32.to_le_bytes());
    let mut frame = Frame::<MAX_PAYLOAD>::new(MsgType::MIN);
    let mut queues = 0u32;
    if all {
        let mut it = call("dump", Arg::None, svmq::queues())?;
        while let Some((q, _)) = crate::next_queue(&mut it) {
            dump_queue(&mut w, q, &mut frame)?;
            queues += 1;
        }
    } else {
        rest.next = first;
        while let Some(a) = rest.next() {
            if crate::word(a, &["-o"]) == 0 {
                rest.next();
                continue;
            }
            dump_queue(&mut w, Queue::from_id(crate::parse_int(a).unwrap_or(0) as i32), &mut frame)?;
            queues += 1;
        }
    }
    w.put(DUMP_END).put(&queues.to_le_bytes());
    let crc = w.crc;
    w.out.bytes(&crc.to_le_bytes());
    let r = w.out.finish();
    if let Some(path) = file {
        rt::close(w.out.fd());
        r.map_err(|e| crate::fail("dump: write", Arg::Str(path), e, Why::Text("the file is incomplete")))?;
    }
    // Standard output: main reports its write errors.
    Ok(())
}

/// One queue: its settings, then a copy of every message in order, bounded so that a restore never
/// needs more room than the queue had (a snapshot of a queue in use can repeat a message that moved).
#[inline(never)]
fn dump_queue(w: &mut Writer<'_>, q: Queue, frame: &mut Frame<MAX_PAYLOAD>) -> Res {
    let arg = Arg::Id(q.id());
    let st = call("dump", arg, crate::qstat(q))?;
    w.put(QUEUE).put(&st.key.raw().to_le_bytes()).put(&q.id().to_le_bytes());
    for v in [st.mode & 0o777, st.uid, st.gid, 0] {
        w.put(&v.to_le_bytes());
    }
    w.put(&st.qbytes.to_le_bytes());
    let room = st.qbytes.max(st.cbytes);
    let slots = st.qbytes.max(st.qnum);
    let (mut count, mut bytes) = (0u64, 0u64);
    for index in 0..=u32::MAX {
        let n = match q.peek_frame(frame, index, RecvFlags::BLOCK) {
            Ok(n) => n,
            Err(Errno::NOMSG) => break,
            Err(e) => {
                let why = match e {
                    Errno::TOOBIG => Why::Text("a message longer than 65536 bytes: svmq cannot dump it"),
                    Errno::NOSYS => Why::Text("MSG_COPY needs a kernel with CONFIG_CHECKPOINT_RESTORE"),
                    _ => Why::Guess,
                };
                return Err(crate::fail("dump", arg, e, why));
            }
        };
        if count + 1 > slots || bytes + n as u64 > room {
            break;
        }
        count += 1;
        bytes += n as u64;
        let mtype = frame.mtype().map_or(0, MsgType::get);
        w.put(MESSAGE).put(&mtype.to_le_bytes()).put(&(n as u32).to_le_bytes());
        w.put(frame.text().get(..n).unwrap_or(&[]));
    }
    w.put(QUEUE_END).put(&count.to_le_bytes()).put(&bytes.to_le_bytes());
    Ok(())
}

/// The input side: exact reads through a 4 KiB buffer, counted into the checksum.
struct Reader {
    fd: i32,
    buf: [u8; 4096],
    pos: usize,
    len: usize,
    crc: u32,
}

/// Why a dump is refused.
enum Bad {
    Io(Errno),
    Short,
    Magic,
    Version,
    Record,
    Field(&'static str),
    Checksum,
    Trailing,
}

impl Reader {
    #[inline(never)]
    fn new(fd: i32) -> Self {
        Self { fd, buf: [0; 4096], pos: 0, len: 0, crc: 0 }
    }

    /// Fills `dst` entirely; `Short` at end of file.
    #[inline(never)]
    fn read(&mut self, dst: &mut [u8]) -> Result<(), Bad> {
        let mut done = 0;
        while done < dst.len() {
            if self.pos == self.len {
                self.pos = 0;
                self.len = rt::read(self.fd, &mut self.buf).map_err(|e| Bad::Io(Errno::from_raw(e)))?;
                if self.len == 0 {
                    return Err(Bad::Short);
                }
            }
            let n = (self.len - self.pos).min(dst.len() - done);
            let (Some(d), Some(s)) = (dst.get_mut(done..done + n), self.buf.get(self.pos..self.pos + n)) else {
                return Err(Bad::Short);
            };
            d.copy_from_slice(s);
            self.crc = crc32(self.crc, d);
            self.pos += n;
            done += n;
        }
        Ok(())
    }

    #[inline(never)]
    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], Bad> {
        let mut b = [0u8; N];
        self.read(&mut b)?;
        Ok(b)
    }
    #[inline(never)]
    fn u32(&mut self) -> Result<u32, Bad> {
        self.bytes().map(u32::from_le_bytes)
    }
    #[inline(never)]
    fn u64(&mut self) -> Result<u64, Bad> {
        self.bytes().map(u64::from_le_bytes)
    }

    /// At end of file now?
    #[inline(never)]
    fn at_end(&mut self) -> Result<bool, Bad> {
        if self.pos < self.len {
            return Ok(false);
        }
        let mut probe = [0u8; 1];
        match rt::read(self.fd, &mut probe) {
            Ok(0) => Ok(true),
            Ok(_) => Ok(false),
            Err(e) => Err(Bad::Io(Errno::from_raw(e))),
        }
    }
}

/// A queue record.
struct QueueRec {
    key: Key,
    id: i32,
    settings: Settings,
}

/// One parsed record.
enum Rec {
    Queue(QueueRec),
    /// A message: its length (type and payload are in the frame).
    Message(usize),
    /// End of a queue (its message count and bytes matched).
    QueueEnd,
    /// End of the dump: the queue count and checksum matched, and nothing follows.
    End,
}

/// Parses a dump record by record, checking everything the format promises.
struct Parser {
    r: Reader,
    /// Inside a queue: messages and bytes so far.
    open: Option<(u64, u64)>,
    queues: u32,
}

impl Parser {
    #[inline(never)]
    fn new(fd: i32) -> Result<Self, Bad> {
        let mut r = Reader::new(fd);
        if &r.bytes::<8>()? != MAGIC {
            return Err(Bad::Magic);
        }
        if r.u32()? != VERSION {
            return Err(Bad::Version);
        }
        r.u32()?; // flags: none defined in version 1, ignored
        Ok(Self { r, open: None, queues: 0 })
    }

    #[inline(never)]
    fn next(&mut self, frame: &mut Frame<MAX_PAYLOAD>) -> Result<Rec, Bad> {
        let tag = self.r.bytes::<4>()?;
        match (&tag, self.open) {
            (QUEUE, None) => {
                let key = Key::new(self.r.u32()? as i32);
                let id = self.r.u32()? as i32;
                let (mode, uid, gid, _) = (self.r.u32()?, self.r.u32()?, self.r.u32()?, self.r.u32()?);
                let qbytes = self.r.u64()?;
                if mode > 0o777 {
                    return Err(Bad::Field("corrupt dump (mode above 0777); nothing was created"));
                }
                if id < 0 {
                    return Err(Bad::Field("corrupt dump (negative queue id); nothing was created"));
                }
                if qbytes > u64::from(u32::MAX) {
                    return Err(Bad::Field("corrupt dump (qbytes above 4294967295); nothing was created"));
                }
                self.open = Some((0, 0));
                self.queues += 1;
                Ok(Rec::Queue(QueueRec { key, id, settings: Settings { mode, uid, gid, qbytes } }))
            }
            (MESSAGE, Some((count, bytes))) => {
                let t = i64::from_le_bytes(self.r.bytes()?);
                if t > MsgType::MAX.get() {
                    return Err(Bad::Field(
                        "corrupt dump (message type above this system's maximum); nothing was created",
                    ));
                }
                let mtype = MsgType::new(t)
                    .ok_or(Bad::Field("corrupt dump (message type not positive); nothing was created"))?;
                let len = self.r.u32()? as usize;
                let dst = frame
                    .text_mut()
                    .get_mut(..len)
                    .ok_or(Bad::Field("corrupt dump (message longer than 65536 bytes); nothing was created"))?;
                self.r.read(dst)?;
                frame.set_mtype(mtype);
                self.open = Some((count + 1, bytes + len as u64));
                Ok(Rec::Message(len))
            }
            (QUEUE_END, Some(seen)) => {
                let (count, bytes) = (self.r.u64()?, self.r.u64()?);
                if (count, bytes) != seen {
                    return Err(Bad::Field("corrupt dump (message count or bytes of a queue); nothing was created"));
                }
                self.open = None;
                Ok(Rec::QueueEnd)
            }
            (DUMP_END, None) => {
                let n = self.r.u32()?;
                let crc = self.r.crc;
                if u32::from_le_bytes(self.r.bytes()?) != crc {
                    return Err(Bad::Checksum);
                }
                if n != self.queues {
                    return Err(Bad::Field("corrupt dump (queue count); nothing was created"));
                }
                if !self.r.at_end()? {
                    return Err(Bad::Trailing);
                }
                Ok(Rec::End)
            }
            _ => Err(Bad::Record),
        }
    }
}

#[inline(never)]
fn refused(b: Bad) -> Fail {
    let text = match b {
        Bad::Io(e) => return crate::fail("restore: read", Arg::None, e, Why::Text("nothing was created")),
        Bad::Short => "truncated dump; nothing was created",
        Bad::Magic => "not an svmq dump (no SVMQDUMP header); nothing was created",
        Bad::Version => "dump format version not supported (this svmq reads version 1); nothing was created",
        Bad::Record => "corrupt dump (unexpected record); nothing was created",
        Bad::Field(text) => text,
        Bad::Checksum => "corrupt dump (checksum mismatch); nothing was created",
        Bad::Trailing => "corrupt dump (data after the end); nothing was created",
    };
    crate::msg("restore", text)
}

/// Options of a restore.
struct Opts {
    same_id: bool,
    key: Option<Key>,
}

#[inline(never)]
pub fn restore(mut rest: Rest<'_>, out: &mut Out) -> Res {
    let (mut file, mut opts) = (None, Opts { same_id: false, key: None });
    while let Some(a) = rest.next() {
        match crate::word(a, &["-i", "--same-id", "--key"]) {
            0 => file = Some(rest.value("FILE after -i")?),
            1 => opts.same_id = true,
            2 => {
                let v = rest.value("KEY after --key")?;
                opts.key = Some(rest.key(v)?);
            }
            _ => return Err(rest.unknown(a)),
        }
    }
    let fd = match file {
        Some(path) => {
            let mut buf = [0u8; 4096];
            let c = crate::cpath(&mut buf, &[path])
                .ok_or_else(|| rest.invalid("file", path, crate::Must::Text("a path")))?;
            call("restore: open", Arg::Str(path), rt::open_read(c).map_err(Errno::from_raw))?
        }
        None => 0,
    };
    let r = restore_from(fd, &opts, out);
    if fd != 0 {
        rt::close(fd);
    }
    r
}

#[inline(never)]
fn restore_from(fd: i32, opts: &Opts, out: &mut Out) -> Res {
    const NOT_SEEKABLE: &str = "the input must be a file (-i FILE or < FILE), read twice: once to check it all \
                                before creating anything; save a piped dump to a file first";
    if rt::rewind(fd).is_err() {
        return Err(crate::msg("restore", NOT_SEEKABLE));
    }
    let mut frame = Frame::<MAX_PAYLOAD>::new(MsgType::MIN);
    // Pass 1: everything checked, nothing created.
    let limits = call("restore", Arg::None, crate::limits())?;
    if opts.same_id {
        rt::close(open_next_id()?);
    }
    let mut p = Parser::new(fd).map_err(refused)?;
    loop {
        match p.next(&mut frame).map_err(refused)? {
            Rec::Queue(rec) => {
                if opts.key.is_some() && p.queues > 1 {
                    return Err(crate::msg("restore", "--key restores a dump of one queue; this one has more"));
                }
                if p.queues as usize > MAX_QUEUES {
                    return Err(crate::msg("restore", "more than 32768 queues in one dump"));
                }
                let key = opts.key.unwrap_or(rec.key);
                if !key.is_private() && !matches!(Queue::open(key), Err(Errno::NOENT)) {
                    let why = Why::Text("a queue has that key; nothing was created; --key picks another");
                    return Err(crate::fail("restore: key", Arg::Key(key), Errno::EXIST, why));
                }
                if opts.same_id && !matches!(crate::qstat(Queue::from_id(rec.id)), Err(Errno::INVAL | Errno::IDRM)) {
                    return Err(crate::fail(
                        "restore: id",
                        Arg::Id(rec.id),
                        Errno::EXIST,
                        Why::Text("a queue has that id; nothing was created"),
                    ));
                }
            }
            Rec::Message(len) => {
                if len > limits.msgmax as usize {
                    return Err(crate::fail("restore", Arg::None, Errno::INVAL, Why::MsgMax(len, limits.msgmax)));
                }
            }
            Rec::QueueEnd => {}
            Rec::End => break,
        }
    }
    if rt::rewind(fd).is_err() {
        return Err(crate::msg("restore", NOT_SEEKABLE));
    }
    // Pass 2: create; any failure removes every queue made so far.
    let mut made = [0i32; MAX_QUEUES];
    let mut n = 0;
    let r = create_all(fd, opts, &mut frame, &mut made, &mut n, out);
    let r = r.and_then(|()| out.finish().map_err(|e| crate::fail("restore: write", Arg::None, e, Why::None)));
    if r.is_err() {
        for &id in made.get(..n).unwrap_or(&[]) {
            let _ = Queue::from_id(id).remove();
        }
        let mut err = Out::new(2);
        err.put("svmq: restore: removed the ").int(n as i64).put(" queue(s) it had created\n");
        let _ = err.finish();
        return Err(Fail::Runtime);
    }
    Ok(())
}

const NEXT_ID: &core::ffi::CStr = c"/proc/sys/kernel/msg_next_id";

#[inline(never)]
fn open_next_id() -> Result<i32, Fail> {
    rt::open_write(NEXT_ID).map_err(|e| {
        let e = Errno::from_raw(e);
        let why = match e {
            Errno::NOENT => Why::Text("no /proc/sys/kernel/msg_next_id: a kernel without CONFIG_CHECKPOINT_RESTORE"),
            _ => Why::Text("--same-id writes /proc/sys/kernel/msg_next_id, which needs root (CAP_SYS_ADMIN)"),
        };
        crate::fail("restore --same-id", Arg::None, e, why)
    })
}

/// Writes `id` (or -1: none) to `msg_next_id`: the id the next queue created in this namespace gets.
#[inline(never)]
fn set_next_id(id: i32) -> Res {
    let fd = open_next_id()?;
    let mut o = Out::new(fd);
    o.int(i64::from(id)).put("\n");
    let r = o.finish();
    rt::close(fd);
    call("restore --same-id: write msg_next_id", Arg::None, r)
}

#[inline(never)]
fn create_all(
    fd: i32,
    opts: &Opts,
    frame: &mut Frame<MAX_PAYLOAD>,
    made: &mut [i32; MAX_QUEUES],
    n: &mut usize,
    out: &mut Out,
) -> Res {
    let mut p = Parser::new(fd).map_err(refused)?;
    // The queue being filled, its final settings, and how much room it has now.
    let mut cur: Option<(Queue, Settings)> = None;
    let (mut room, mut count, mut bytes) = (0u64, 0u64, 0u64);
    let changed = Why::Text("the dump changed while being restored");
    loop {
        let rec = p.next(frame).map_err(|b| match b {
            Bad::Io(e) => crate::fail("restore: read", Arg::None, e, Why::None),
            _ => crate::fail("restore", Arg::None, Errno::INVAL, changed),
        })?;
        match rec {
            Rec::Queue(rec) => {
                let key = opts.key.unwrap_or(rec.key);
                if opts.same_id {
                    set_next_id(rec.id)?;
                }
                // Only we may use it until it is complete: 0600, our own.
                let q = crate::qcreate(key, 0o600);
                let q = match q {
                    Ok(q) => q,
                    Err(e) => {
                        if opts.same_id {
                            let _ = set_next_id(-1);
                        }
                        return Err(crate::fail("restore: create", Arg::Key(key), e, Why::None));
                    }
                };
                *made.get_mut(*n).ok_or_else(|| crate::fail("restore", Arg::None, Errno::NOSPC, Why::None))? = q.id();
                *n += 1;
                if opts.same_id && q.id() != rec.id {
                    return Err(crate::fail(
                        "restore: id",
                        Arg::Id(rec.id),
                        Errno::EXIST,
                        Why::Text("the kernel gave another id: that slot was taken meanwhile"),
                    ));
                }
                let mine = call("restore: stat", Arg::Id(q.id()), crate::qstat(q))?.settings();
                room = mine.qbytes;
                (count, bytes) = (0, 0);
                // Room for the messages first (a raised limit needs CAP_SYS_RESOURCE, like msgctl).
                if rec.settings.qbytes != room {
                    room = rec.settings.qbytes;
                    call("restore: set", Arg::Id(q.id()), crate::qset(q, &Settings { qbytes: room, ..mine }))?;
                }
                cur = Some((q, rec.settings));
                out.put("0x").hex8(key.as_u32()).put(" ").int(i64::from(q.id())).put("\n");
            }
            Rec::Message(len) => {
                let Some((q, _)) = cur else { return Err(crate::fail("restore", Arg::None, Errno::INVAL, changed)) };
                count += 1;
                bytes += len as u64;
                if count > room || bytes > room {
                    // More than the queue's own limit (a snapshot of a queue in use): room meanwhile.
                    room = count.max(bytes).max(room);
                    let st = call("restore: stat", Arg::Id(q.id()), crate::qstat(q))?;
                    call("restore: set", Arg::Id(q.id()), crate::qset(q, &Settings { qbytes: room, ..st.settings() }))?;
                }
                let r = crate::qsend(q, frame, len, SendFlags::NOWAIT);
                call("restore: send", Arg::Id(q.id()), r)?;
            }
            Rec::QueueEnd => {
                if let Some((q, want)) = cur.take() {
                    call("restore: set", Arg::Id(q.id()), crate::qset(q, &want))?;
                }
            }
            Rec::End => return Ok(()),
        }
    }
}
