//! [`Queue`]: a message queue id and everything that can be done with it.

use crate::message::{Message, RecvFlags, Select, SendFlags};
use crate::sys::abi::{self, Frame, Msqid64Ds};
use crate::{Errno, Key, sys};
use core::ffi::{c_int, c_ulong};

/// A message queue, by id. Only the id: it is `Copy`, and dropping it does nothing.
///
/// Queues are kernel objects that outlive the processes that use them: removal is always explicit,
/// through [`remove`](Self::remove) (or `ipcrm`).
///
/// ```
/// use svmq::{Message, MsgType, Queue, Select};
/// let q = Queue::private(0o600)?;
/// q.send(&Message::<16>::new(MsgType::new(10).unwrap(), b"ping")?)?;
/// let m: Message<16> = q.recv(Select::Exactly(MsgType::new(10).unwrap()))?;
/// assert_eq!(m.data(), b"ping");
/// q.remove()?;
/// # Ok::<(), svmq::Errno>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Queue {
    id: c_int,
}

/// Rejects mode bits the kernel would silently drop.
fn checked_mode(mode: u32) -> Result<c_int, Errno> {
    if mode & !abi::MODE_MASK != 0 {
        return Err(Errno::INVAL);
    }
    Ok(mode as c_int)
}

impl Queue {
    /// `msgget(key, 0)`: opens the queue that already has this key.
    ///
    /// # Errors
    ///
    /// `ENOENT` if no queue has the key; `EACCES` if its mode grants the caller nothing; `EINVAL` for
    /// [`Key::PRIVATE`] (it cannot be opened, only created).
    #[doc(alias = "msgget")]
    pub fn open(key: Key) -> Result<Self, Errno> {
        if key.is_private() {
            return Err(Errno::INVAL);
        }
        sys::msgget(key.raw(), 0).map(Self::from_id)
    }

    /// `msgget(key, IPC_CREAT | mode)`: opens the key's queue, creating it with `mode` (e.g. `0o644`) if
    /// there is none. The mode of an existing queue is left as it is.
    ///
    /// # Errors
    ///
    /// `EINVAL` for mode bits outside `0o777` (the kernel would drop them silently); `EACCES`; `ENOSPC` when
    /// `msgmni` queues exist.
    #[doc(alias = "msgget")]
    pub fn create(key: Key, mode: u32) -> Result<Self, Errno> {
        sys::msgget(key.raw(), abi::IPC_CREAT | checked_mode(mode)?).map(Self::from_id)
    }

    /// `msgget(key, IPC_CREAT | IPC_EXCL | mode)`: creates a new queue for the key.
    ///
    /// # Errors
    ///
    /// `EEXIST` if the key already has a queue; otherwise as [`create`](Self::create).
    #[doc(alias = "msgget")]
    pub fn create_exclusive(key: Key, mode: u32) -> Result<Self, Errno> {
        sys::msgget(key.raw(), abi::IPC_CREAT | abi::IPC_EXCL | checked_mode(mode)?).map(Self::from_id)
    }

    /// `msgget(IPC_PRIVATE, mode)`: a new queue that no key names, reachable only through its id.
    #[doc(alias = "msgget")]
    pub fn private(mode: u32) -> Result<Self, Errno> {
        sys::msgget(abi::IPC_PRIVATE, checked_mode(mode)?).map(Self::from_id)
    }

    /// The queue with this id, as `ipcs` prints it or another process passed it. No system call: the
    /// first operation tells whether it exists (`EINVAL` if not).
    #[inline]
    pub const fn from_id(id: i32) -> Self {
        Self { id }
    }

    /// The queue id.
    #[inline]
    pub const fn id(self) -> i32 {
        self.id
    }

    /// `msgsnd`: sends a message, blocking while the queue is full.
    ///
    /// # Errors
    ///
    /// `EIDRM` if the queue is removed (also while blocked); `EINVAL` if there is no such queue or the
    /// payload exceeds the system's `msgmax`; `EINTR` if a signal handler ran while blocked;
    /// `EACCES` without write permission.
    #[doc(alias = "msgsnd")]
    pub fn send<const N: usize>(self, msg: &Message<N>) -> Result<(), Errno> {
        self.send_with(msg, SendFlags::BLOCK)
    }

    /// `msgsnd(..., IPC_NOWAIT)`: sends a message, or fails with `EAGAIN` when the queue is full.
    #[doc(alias = "msgsnd")]
    pub fn try_send<const N: usize>(self, msg: &Message<N>) -> Result<(), Errno> {
        self.send_with(msg, SendFlags::NOWAIT)
    }

    /// `msgsnd` with explicit flags. The payload is copied once, into a frame on the stack.
    #[doc(alias = "msgsnd")]
    pub fn send_with<const N: usize>(self, msg: &Message<N>, flags: SendFlags) -> Result<(), Errno> {
        sys::msgsnd_copy::<N>(self.id, msg.mtype().as_c_long(), msg.data(), flags.bits())
    }

    /// `msgsnd` straight from a kernel-layout frame: the first `len` bytes of its text. No copy.
    ///
    /// # Errors
    ///
    /// `E2BIG` if `len > N`, before any system call; otherwise as [`send`](Self::send), plus `EAGAIN`
    /// with [`SendFlags::NOWAIT`] on a full queue.
    #[doc(alias = "msgsnd")]
    pub fn send_frame<const N: usize>(self, frame: &Frame<N>, len: usize, flags: SendFlags) -> Result<(), Errno> {
        sys::msgsnd_frame(self.id, frame, len, flags.bits())
    }

    /// `msgrcv`: receives the selected message, blocking until there is one.
    ///
    /// # Errors
    ///
    /// `E2BIG` if the message is longer than `N` (it stays queued; see [`RecvFlags::TRUNCATE`]);
    /// `EIDRM` if the queue is removed (also while blocked); `EINVAL` if there is no such queue;
    /// `EINTR` if a signal handler ran; `EACCES` without read permission.
    #[doc(alias = "msgrcv")]
    pub fn recv<const N: usize>(self, select: Select) -> Result<Message<N>, Errno> {
        let mut msg = Message::empty(crate::MsgType::MIN);
        self.recv_into(&mut msg, select, RecvFlags::BLOCK)?;
        Ok(msg)
    }

    /// `msgrcv(..., IPC_NOWAIT)`: receives the selected message, or fails with `ENOMSG` if none is queued.
    #[doc(alias = "msgrcv")]
    pub fn try_recv<const N: usize>(self, select: Select) -> Result<Message<N>, Errno> {
        let mut msg = Message::empty(crate::MsgType::MIN);
        self.recv_into(&mut msg, select, RecvFlags::NOWAIT)?;
        Ok(msg)
    }

    /// `msgrcv` into an existing message, with explicit flags. Returns the payload length.
    ///
    /// With [`RecvFlags::TRUNCATE`] a longer message is taken and cut to `N` bytes (the kernel does not
    /// say whether it cut). `msg` is changed only on success.
    #[doc(alias = "msgrcv")]
    pub fn recv_into<const N: usize>(
        self,
        msg: &mut Message<N>,
        select: Select,
        flags: RecvFlags,
    ) -> Result<usize, Errno> {
        let (msgtyp, extra) = select.to_raw();
        sys::msgrcv_copy::<N, _>(self.id, N, msgtyp, flags.bits() | extra, |mtype, data| msg.fill(mtype, data))?
    }

    /// `msgrcv` straight into a kernel-layout frame, up to its capacity `N`. Returns the payload length;
    /// the type is [`Frame::mtype`]. No copy.
    #[doc(alias = "msgrcv")]
    pub fn recv_frame<const N: usize>(
        self,
        frame: &mut Frame<N>,
        select: Select,
        flags: RecvFlags,
    ) -> Result<usize, Errno> {
        let (msgtyp, extra) = select.to_raw();
        sys::msgrcv_frame(self.id, frame, msgtyp, flags.bits() | extra)
    }

    /// `msgrcv(..., index, IPC_NOWAIT | MSG_COPY)`: a copy of the message at position `index` (0 is the
    /// oldest), left in the queue.
    ///
    /// # Errors
    ///
    /// `ENOMSG` if fewer than `index + 1` messages are queued; `E2BIG` if that message is longer than `N`;
    /// `EINVAL` with [`RecvFlags::TRUNCATE`] when the message is longer than `N` (the kernel cannot cut a
    /// copy); `ENOSYS` if the kernel was built without `CONFIG_CHECKPOINT_RESTORE`, which `MSG_COPY` needs.
    #[doc(alias = "MSG_COPY")]
    pub fn peek<const N: usize>(self, index: u32, flags: RecvFlags) -> Result<Message<N>, Errno> {
        let mut msg = Message::empty(crate::MsgType::MIN);
        let flags = flags.bits() | abi::IPC_NOWAIT | abi::MSG_COPY;
        sys::msgrcv_copy::<N, _>(self.id, N, copy_index(index)?, flags, |mtype, data| msg.fill(mtype, data))??;
        Ok(msg)
    }

    /// [`peek`](Self::peek) into a kernel-layout frame. Returns the payload length.
    #[doc(alias = "MSG_COPY")]
    pub fn peek_frame<const N: usize>(
        self,
        frame: &mut Frame<N>,
        index: u32,
        flags: RecvFlags,
    ) -> Result<usize, Errno> {
        let flags = flags.bits() | abi::IPC_NOWAIT | abi::MSG_COPY;
        sys::msgrcv_frame(self.id, frame, copy_index(index)?, flags)
    }

    /// `msgctl(IPC_STAT)`: the queue's status.
    ///
    /// # Errors
    ///
    /// `EINVAL` if there is no such queue; `EACCES` without read permission.
    #[doc(alias = "IPC_STAT")]
    pub fn stat(self) -> Result<Status, Errno> {
        let mut ds = Msqid64Ds::default();
        sys::msgctl_stat(self.id, sys::StatCmd::IpcStat, &mut ds)?;
        Ok(Status::from_raw(&ds))
    }

    /// `msgctl(IPC_SET)`: sets owner, group, mode and byte limit, all four in one call.
    ///
    /// Start from [`Status::settings`] to change only some of them.
    ///
    /// # Errors
    ///
    /// `EINVAL` for mode bits outside `0o777` (checked first: the kernel would drop them silently), for a
    /// `qbytes` above `i32::MAX` (checked first too: the kernel takes it as a C `int`, in 64-bit programs
    /// as well, so it would keep the low 32 bits of a larger value silently, 2^32 + 100 becoming 100, and
    /// store values from 2^31 on as negative numbers), or for a uid/gid with no mapping; `EPERM` if the
    /// caller is neither owner, creator nor privileged, or raises `qbytes` above `msgmnb` without
    /// `CAP_SYS_RESOURCE`.
    #[doc(alias = "IPC_SET")]
    pub fn set(self, settings: &Settings) -> Result<(), Errno> {
        let ds = settings.to_raw()?;
        sys::msgctl_set(self.id, &ds)
    }

    /// `msgctl(IPC_RMID)`: removes the queue. Every process blocked on it wakes with `EIDRM`.
    ///
    /// # Errors
    ///
    /// `EINVAL` if there is no such queue (already removed); `EPERM` if the caller is neither owner,
    /// creator nor privileged.
    #[doc(alias = "IPC_RMID")]
    pub fn remove(self) -> Result<(), Errno> {
        sys::msgctl_rmid(self.id)
    }
}

/// A queue's status: every field of `struct msqid64_ds`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Status {
    /// The key it was created with ([`Key::PRIVATE`] for private queues).
    pub key: Key,
    /// Owner's user id.
    pub uid: u32,
    /// Owner's group id.
    pub gid: u32,
    /// Creator's user id.
    pub cuid: u32,
    /// Creator's group id.
    pub cgid: u32,
    /// Permission bits, `0o000..=0o777`.
    pub mode: u32,
    /// The slot's sequence number (part of the id).
    pub seq: u16,
    /// Time of the last send, seconds since the epoch; 0 if none.
    pub stime: i64,
    /// Time of the last receive, seconds since the epoch; 0 if none.
    pub rtime: i64,
    /// Time of creation or of the last [`Queue::set`].
    pub ctime: i64,
    /// Bytes queued.
    pub cbytes: u64,
    /// Messages queued.
    pub qnum: u64,
    /// Maximum bytes the queue holds.
    pub qbytes: u64,
    /// Pid of the last sender; 0 if none.
    pub lspid: i32,
    /// Pid of the last receiver; 0 if none.
    pub lrpid: i32,
}

impl Status {
    // The kernel fields' widths differ between architectures (see sys/arch/): conversions that are no-ops
    // here widen elsewhere.
    #[allow(clippy::useless_conversion, clippy::unnecessary_cast)]
    pub(crate) fn from_raw(ds: &Msqid64Ds) -> Self {
        Self {
            key: Key::new(ds.msg_perm.key),
            uid: ds.msg_perm.uid,
            gid: ds.msg_perm.gid,
            cuid: ds.msg_perm.cuid,
            cgid: ds.msg_perm.cgid,
            mode: u32::from(ds.msg_perm.mode) & 0o7777,
            // 16 bits in the generic layouts; the kernel's sequence never needs more.
            seq: ds.msg_perm.seq as u16,
            stime: ds.stime(),
            rtime: ds.rtime(),
            ctime: ds.ctime(),
            cbytes: u64::from(ds.msg_cbytes),
            qnum: u64::from(ds.msg_qnum),
            qbytes: u64::from(ds.msg_qbytes),
            lspid: ds.msg_lspid,
            lrpid: ds.msg_lrpid,
        }
    }

    /// The current settings, to modify and pass to [`Queue::set`].
    pub const fn settings(&self) -> Settings {
        Settings { uid: self.uid, gid: self.gid, mode: self.mode & abi::MODE_MASK, qbytes: self.qbytes }
    }
}

/// `MSG_COPY`'s index as the kernel's `long`. Above `LONG_MAX` (32-bit architectures) no queue can
/// hold that many messages: `ENOMSG`, as the kernel answers for any index past the last message.
#[allow(clippy::unnecessary_fallible_conversions)] // infallible where long has 64 bits only
fn copy_index(index: u32) -> Result<core::ffi::c_long, Errno> {
    core::ffi::c_long::try_from(index).map_err(|_| Errno::NOMSG)
}

/// What `msgctl(IPC_SET)` changes: owner, group, permission bits and byte limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Settings {
    /// New owner's user id.
    pub uid: u32,
    /// New owner's group id.
    pub gid: u32,
    /// New permission bits, `0o000..=0o777`.
    pub mode: u32,
    /// New maximum bytes in the queue.
    pub qbytes: u64,
}

impl Settings {
    fn to_raw(self) -> Result<Msqid64Ds, Errno> {
        let mode = checked_mode(self.mode)? as u32;
        // msg_qbytes is an unsigned long in struct msqid64_ds, but the kernel's IPC_SET hands it on as a
        // C int (ipc/msg.c: msgctl_down(..., int msg_qbytes)), for every caller, 64-bit ones included:
        // 2^32 + 100 becomes 100 without an error, and 2^31..2^32-1 a negative int, refused with EPERM
        // as "above msgmnb" or, with CAP_SYS_RESOURCE, stored sign-extended. msgmnb itself is an int
        // sysctl, so no real limit is lost: refuse anything the kernel would not keep as given.
        if self.qbytes > i32::MAX as u64 {
            return Err(Errno::INVAL);
        }
        // Lossless: at most i32::MAX, and unsigned long has at least 32 bits.
        let qbytes = self.qbytes as c_ulong;
        let mut ds = Msqid64Ds::default();
        ds.msg_perm.uid = self.uid;
        ds.msg_perm.gid = self.gid;
        // Fits every layout's mode field: checked_mode allows 0o777 at most.
        ds.msg_perm.mode = mode as _;
        ds.msg_qbytes = qbytes;
        Ok(ds)
    }
}
