//! The dump format of `docs/dump-format.md`: little-endian records, CRC-32 at the end. Written as the
//! queues are read and read as a stream: no heap.

use crate::kernel::MAX_PAYLOAD;
use crate::out::Out;
use crate::rt;
use svmq::{Errno, Frame, Key, MsgType, Settings};

pub const MAGIC: &[u8; 8] = b"SVMQDUMP";
/// Version 2 adds the limits record; version 1 files still read.
pub const VERSION: u32 = 2;
pub const LIMITS: &[u8; 4] = b"LIMT";
pub const QUEUE: &[u8; 4] = b"QUEU";
pub const MESSAGE: &[u8; 4] = b"MESG";
pub const QUEUE_END: &[u8; 4] = b"QEND";
pub const DUMP_END: &[u8; 4] = b"DEND";

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
pub struct Writer<'o> {
    pub out: &'o mut Out,
    pub crc: u32,
}

impl Writer<'_> {
    #[inline(never)]
    pub fn put(&mut self, b: &[u8]) -> &mut Self {
        self.crc = crc32(self.crc, b);
        self.out.bytes(b);
        self
    }

    /// `v`, 4 bytes little-endian.
    #[inline(never)]
    pub fn le4(&mut self, v: u32) -> &mut Self {
        self.put(&v.to_le_bytes())
    }

    /// `v`, 8 bytes little-endian.
    #[inline(never)]
    pub fn le8(&mut self, v: u64) -> &mut Self {
        self.put(&v.to_le_bytes())
    }
}

/// Why a dump is refused: a read error, or what is wrong, in words.
pub enum Bad {
    Io(Errno),
    Text(&'static str),
}

impl Bad {
    /// In words.
    pub fn text(&self) -> &'static str {
        match self {
            Bad::Io(_) => "read error",
            Bad::Text(t) => t,
        }
    }
}

const CORRUPT: Bad = Bad::Text("corrupt dump");

/// A queue record.
#[derive(Clone, Copy)]
pub struct QueueRec {
    pub key: Key,
    pub id: i32,
    pub settings: Settings,
}

/// One parsed record.
pub enum Rec {
    Queue(QueueRec),
    /// A message: its length (type and payload are in the frame).
    Message(usize),
    /// End of a queue: its message count and bytes (checked against the messages).
    QueueEnd(u32, u32),
    /// End of the dump: the queue count and checksum matched, and nothing follows.
    End,
}

/// Parses a dump record by record, checking everything the format promises.
pub struct Parser {
    fd: i32,
    buf: [u8; 4096],
    pos: usize,
    len: usize,
    crc: u32,
    /// The format version (1 or 2).
    pub version: u32,
    /// msgmax, msgmnb, msgmni of the dumped namespace (version 2).
    pub limits: Option<[u32; 3]>,
    /// Inside a queue: messages and bytes so far.
    open: Option<(u32, u32)>,
    pub queues: u32,
}

/// The `n`-byte little-endian number at `at`.
#[inline(never)]
fn le(b: &[u8], at: usize, n: usize) -> u64 {
    b.get(at..at + n).unwrap_or(&[]).iter().rev().fold(0, |v, &c| (v << 8) | u64::from(c))
}

impl Parser {
    #[inline(never)]
    pub fn new(fd: i32) -> Result<Self, Bad> {
        let mut p =
            Self { fd, buf: [0; 4096], pos: 0, len: 0, crc: 0, version: 0, limits: None, open: None, queues: 0 };
        let mut b = [0u8; 32];
        p.read(&mut b[..16])?;
        if b.get(..8) != Some(MAGIC) {
            return Err(Bad::Text("not an svmq dump (no SVMQDUMP header)"));
        }
        p.version = le(&b, 8, 4) as u32; // flags (at 12): none defined, ignored
        if !(1..=VERSION).contains(&p.version) {
            return Err(Bad::Text("dump format version not supported (this svmq reads versions 1 and 2)"));
        }
        if p.version >= 2 {
            p.read(&mut b[..16])?;
            if b.get(..4) != Some(LIMITS) {
                return Err(CORRUPT);
            }
            p.limits = Some([le(&b, 4, 4) as u32, le(&b, 8, 4) as u32, le(&b, 12, 4) as u32]);
        }
        Ok(p)
    }

    /// Fills `dst` entirely, counting it into the checksum; "truncated" at end of file.
    #[inline(never)]
    fn read(&mut self, dst: &mut [u8]) -> Result<(), Bad> {
        for d in dst.iter_mut() {
            if self.pos == self.len {
                self.pos = 0;
                self.len = rt::read(self.fd, &mut self.buf).map_err(|e| Bad::Io(Errno::from_raw(e)))?;
                if self.len == 0 {
                    return Err(Bad::Text("truncated dump"));
                }
            }
            *d = self.buf.get(self.pos).copied().unwrap_or(0);
            self.pos += 1;
        }
        self.crc = crc32(self.crc, dst);
        Ok(())
    }

    #[inline(never)]
    pub fn next(&mut self, frame: &mut Frame<MAX_PAYLOAD>) -> Result<Rec, Bad> {
        let mut b = [0u8; 36];
        self.read(&mut b[..4])?;
        let crc = self.crc;
        let tag = b.get(..4).unwrap_or(&[]);
        // Each record: its tag, then a body of its own size.
        let size = match (self.open, tag) {
            (None, t) if t == QUEUE => 32,
            (Some(_), t) if t == MESSAGE => 12,
            (Some(_), t) if t == QUEUE_END => 16,
            (None, t) if t == DUMP_END => 8,
            _ => return Err(CORRUPT),
        };
        self.read(&mut b[4..4 + size])?;
        let v = |at, n| le(&b, at, n);
        match size {
            32 => {
                // key, id, mode, uid, gid, reserved, qbytes
                let settings =
                    Settings { mode: v(12, 4) as u32, uid: v(16, 4) as u32, gid: v(20, 4) as u32, qbytes: v(28, 8) };
                if settings.mode > 0o777 || v(8, 4) > i32::MAX as u64 || settings.qbytes > u64::from(u32::MAX) {
                    return Err(CORRUPT);
                }
                self.open = Some((0, 0));
                self.queues += 1;
                Ok(Rec::Queue(QueueRec { key: Key::from_u32(v(4, 4) as u32), id: v(8, 4) as i32, settings }))
            }
            12 => {
                // type, length, payload
                let len = v(12, 4) as usize;
                let (mtype, dst) = (MsgType::new(v(4, 8) as i64), frame.text_mut().get_mut(..len));
                let (Some(mtype), Some(dst), Some((count, bytes))) = (mtype, dst, self.open) else {
                    return Err(Bad::Text("corrupt dump, or a message type or length this system cannot take"));
                };
                self.read(dst)?;
                frame.set_mtype(mtype);
                self.open = Some((count.saturating_add(1), bytes.saturating_add(len as u32)));
                Ok(Rec::Message(len))
            }
            16 => {
                // messages, bytes: as counted
                let seen = (v(4, 8), v(12, 8));
                if self.open.map(|(c, b)| (u64::from(c), u64::from(b))) != Some(seen) {
                    return Err(CORRUPT);
                }
                self.open = None;
                Ok(Rec::QueueEnd(seen.0 as u32, seen.1 as u32))
            }
            _ => {
                // queues, then the CRC of everything before it; nothing after
                let crc = crc32(crc, b.get(4..8).unwrap_or(&[]));
                if v(8, 4) as u32 != crc || v(4, 4) as u32 != self.queues || self.read(&mut [0]).is_ok() {
                    return Err(Bad::Text("corrupt dump (checksum, queue count or data after the end)"));
                }
                Ok(Rec::End)
            }
        }
    }
}
