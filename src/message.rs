//! Messages: [`MsgType`], the heapless [`Message`], the zero-copy [`Frame`], and receive [`Select`]ors.

use crate::Errno;
use crate::sys::abi::{self, Frame};
use core::ffi::{c_int, c_long};
use core::fmt;
use core::num::NonZeroI64;
use core::ops::BitOr;

/// C's `long` as 64 bits, on every architecture (a no-op where `long` is 64 bits).
#[allow(clippy::unnecessary_cast)]
const fn widen(v: c_long) -> i64 {
    v as i64
}

/// A message type: a positive C `long`, `1..=MsgType::MAX` (`i64::MAX` on 64-bit architectures,
/// `i32::MAX` on 32-bit ones, where `long` is 32 bits). The kernel rejects other types on send, so a
/// `MsgType` is valid by construction, and a type that does not fit this architecture's `long` is
/// refused, never truncated.
///
/// ```
/// use svmq::MsgType;
/// const PING: MsgType = MsgType::new(10).unwrap();
/// assert_eq!(PING.get(), 10);
/// assert!(MsgType::new(0).is_none() && MsgType::new(-5).is_none());
/// assert!(MsgType::new(MsgType::MAX.get()).is_some());
/// // 2^31 fits a 64-bit long, not a 32-bit one.
/// assert_eq!(MsgType::new(1 << 31).is_some(), size_of::<core::ffi::c_long>() == 8);
/// ```
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MsgType(NonZeroI64);

impl MsgType {
    /// The smallest type, 1.
    pub const MIN: Self = Self(NonZeroI64::new(1).unwrap());
    /// The largest type: C's `LONG_MAX` on this architecture (`i64::MAX` or `i32::MAX`).
    pub const MAX: Self = match NonZeroI64::new(widen(c_long::MAX)) {
        Some(v) => Self(v),
        None => Self::MIN,
    };

    /// `Some` for `1..=MsgType::MAX`, `None` otherwise.
    #[inline]
    pub const fn new(mtype: i64) -> Option<Self> {
        if mtype > 0 && mtype <= widen(c_long::MAX) {
            match NonZeroI64::new(mtype) {
                Some(v) => Some(Self(v)),
                None => None,
            }
        } else {
            None
        }
    }

    /// The type as a 64-bit integer.
    #[inline]
    pub const fn get(self) -> i64 {
        self.0.get()
    }

    /// The type as C's `long` (lossless: a `MsgType` never exceeds `LONG_MAX`).
    #[inline]
    pub const fn as_c_long(self) -> c_long {
        self.0.get() as c_long
    }
}

/// Non-positive values are `EINVAL`, as `msgsnd(2)` would answer; values above this architecture's
/// `LONG_MAX` are `ERANGE` (they cannot be passed to the kernel without truncation).
impl TryFrom<i64> for MsgType {
    type Error = Errno;
    fn try_from(v: i64) -> Result<Self, Errno> {
        match Self::new(v) {
            Some(t) => Ok(t),
            None if v > 0 => Err(Errno::RANGE),
            None => Err(Errno::INVAL),
        }
    }
}

impl fmt::Debug for MsgType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MsgType({})", self.get())
    }
}

impl fmt::Display for MsgType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.get(), f)
    }
}

/// Which message a receive takes: `msgrcv(2)`'s `msgtyp` and `MSG_EXCEPT`, without their sign games.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Select {
    /// The first message in the queue (`msgtyp == 0`).
    Any,
    /// The first message of exactly this type (`msgtyp > 0`).
    Exactly(MsgType),
    /// The first message of the lowest type that is `<=` this one (`msgtyp < 0`).
    AtMost(MsgType),
    /// The first message of any other type (`msgtyp > 0` with `MSG_EXCEPT`).
    Except(MsgType),
}

impl Select {
    /// The `(msgtyp, extra flags)` pair `msgrcv` takes for this selector.
    #[inline]
    pub const fn to_raw(self) -> (c_long, c_int) {
        match self {
            Select::Any => (0, 0),
            Select::Exactly(t) => (t.as_c_long(), 0),
            // -t cannot overflow: t >= 1.
            Select::AtMost(t) => (-t.as_c_long(), 0),
            Select::Except(t) => (t.as_c_long(), abi::MSG_EXCEPT),
        }
    }

    /// The selector for a C-style `msgtyp` and flags (only `MSG_EXCEPT` is looked at).
    /// `MSG_EXCEPT` with `msgtyp <= 0` means what the kernel makes of it: `msgtyp` alone decides.
    pub const fn from_raw(msgtyp: c_long, msgflg: c_int) -> Self {
        if msgtyp == 0 {
            Select::Any
        } else if msgtyp < 0 {
            // The kernel maps LONG_MIN to LONG_MAX; so do we.
            let t = if msgtyp == c_long::MIN { c_long::MAX } else { -msgtyp };
            match MsgType::new(widen(t)) {
                Some(t) => Select::AtMost(t),
                None => Select::Any,
            }
        } else {
            match MsgType::new(widen(msgtyp)) {
                Some(t) if msgflg & abi::MSG_EXCEPT != 0 => Select::Except(t),
                Some(t) => Select::Exactly(t),
                None => Select::Any,
            }
        }
    }
}

/// Flags for sending. Combine with `|`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SendFlags(c_int);

impl SendFlags {
    /// Block while the queue is full.
    pub const BLOCK: Self = Self(0);
    /// `IPC_NOWAIT`: fail with `EAGAIN` instead of blocking on a full queue.
    pub const NOWAIT: Self = Self(abi::IPC_NOWAIT);

    /// The `msgflg` bits.
    #[inline]
    pub const fn bits(self) -> c_int {
        self.0
    }
}

impl BitOr for SendFlags {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

/// Flags for receiving. Combine with `|`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RecvFlags(c_int);

impl RecvFlags {
    /// Block until a matching message arrives; fail with `E2BIG` on a message too long (it stays queued).
    pub const BLOCK: Self = Self(0);
    /// `IPC_NOWAIT`: fail with `ENOMSG` instead of blocking.
    pub const NOWAIT: Self = Self(abi::IPC_NOWAIT);
    /// `MSG_NOERROR`: take a message longer than the buffer, cutting it to the buffer's capacity.
    pub const TRUNCATE: Self = Self(abi::MSG_NOERROR);

    /// The `msgflg` bits.
    #[inline]
    pub const fn bits(self) -> c_int {
        self.0
    }

    /// Both sets of flags (a `const` `|`).
    #[inline]
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// `true` if every flag of `other` is set in `self`.
    #[inline]
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for RecvFlags {
    type Output = Self;
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

/// A message: a [`MsgType`] and up to `N` bytes in a
/// [`heapless::Vec`](https://docs.rs/heapless/0.9/heapless/type.Vec.html). Nothing allocates.
///
/// Sending copies the payload once, into a [`Frame`] on the stack; receiving copies once, out of one.
/// For no copy at all, use [`Frame`] with [`Queue::send_frame`](crate::Queue::send_frame) and
/// [`Queue::recv_frame`](crate::Queue::recv_frame).
///
/// ```
/// use svmq::{Message, MsgType};
/// let m = Message::<4>::new(MsgType::new(10).unwrap(), b"ping")?;
/// assert_eq!((m.mtype().get(), m.data()), (10, &b"ping"[..]));
/// assert_eq!(Message::<3>::new(m.mtype(), b"ping").unwrap_err(), svmq::Errno::TOOBIG);
/// # Ok::<(), svmq::Errno>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Message<const N: usize> {
    mtype: MsgType,
    data: heapless::Vec<u8, N>,
}

impl<const N: usize> Message<N> {
    /// A message of type `mtype` carrying a copy of `data`. `E2BIG` if `data` is longer than `N`.
    pub fn new(mtype: MsgType, data: &[u8]) -> Result<Self, Errno> {
        let data = heapless::Vec::from_slice(data).map_err(|_| Errno::TOOBIG)?;
        Ok(Self { mtype, data })
    }

    /// An empty message of type `mtype`, to fill through [`data_mut`](Self::data_mut).
    pub const fn empty(mtype: MsgType) -> Self {
        Self { mtype, data: heapless::Vec::new() }
    }

    /// The message type.
    #[inline]
    pub const fn mtype(&self) -> MsgType {
        self.mtype
    }

    /// Changes the message type.
    #[inline]
    pub fn set_mtype(&mut self, mtype: MsgType) {
        self.mtype = mtype;
    }

    /// The payload.
    #[inline]
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The payload buffer itself, to edit in place.
    #[inline]
    pub fn data_mut(&mut self) -> &mut heapless::Vec<u8, N> {
        &mut self.data
    }

    /// Consumes the message, giving back its type and payload buffer.
    pub fn into_parts(self) -> (MsgType, heapless::Vec<u8, N>) {
        (self.mtype, self.data)
    }

    /// The capacity `N`.
    #[inline]
    pub const fn capacity(&self) -> usize {
        N
    }

    /// Replaces type and payload with a received message's. Returns the payload length.
    pub(crate) fn fill(&mut self, mtype: c_long, data: &[u8]) -> Result<usize, Errno> {
        // The kernel only queues positive types; anything else is not a message it delivered.
        self.mtype = MsgType::new(widen(mtype)).ok_or(Errno::INVAL)?;
        self.data.clear();
        self.data.extend_from_slice(data).map_err(|_| Errno::TOOBIG)?;
        Ok(data.len())
    }
}

impl<const N: usize> fmt::Debug for Message<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message").field("mtype", &self.mtype.get()).field("data", &self.data.as_slice()).finish()
    }
}

impl<const N: usize> Frame<N> {
    /// The capacity, checked at compile time to fit the kernel's `msgsz` (a `long`).
    const CAPACITY: usize = {
        assert!(N <= c_long::MAX as usize, "a frame's capacity must fit in a signed long");
        N
    };

    /// A zeroed frame whose type is `mtype`.
    pub const fn new(mtype: MsgType) -> Self {
        Self { mtype: mtype.as_c_long(), text: [0; N] }
    }

    /// The frame's message type. After a receive this is the received message's type, which the kernel
    /// guarantees positive; a frame never sent or received holds what [`new`](Self::new) put there.
    pub fn mtype(&self) -> Result<MsgType, Errno> {
        // Only a foreign writer could break this; report it rather than trust it.
        MsgType::new(widen(self.mtype)).ok_or(Errno::INVAL)
    }

    /// Sets the message type for the next send.
    #[inline]
    pub fn set_mtype(&mut self, mtype: MsgType) {
        self.mtype = mtype.as_c_long();
    }

    /// The payload buffer, all `N` bytes of it.
    #[inline]
    pub fn text(&self) -> &[u8; N] {
        &self.text
    }

    /// The payload buffer, to fill before a send.
    #[inline]
    pub fn text_mut(&mut self) -> &mut [u8; N] {
        &mut self.text
    }

    /// The capacity `N`.
    #[inline]
    pub const fn capacity(&self) -> usize {
        Self::CAPACITY
    }
}
