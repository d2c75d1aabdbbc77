//! [`Errno`]: the kernel's error number, kept as a number.

use core::fmt;

/// An error number from the kernel (or from svmq's own argument checks, which use the errno the kernel
/// would have chosen).
///
/// A `repr(transparent)` newtype, not an enum: any number the kernel returns is representable. Compare
/// with the associated constants, which also work in `match` patterns:
///
/// ```
/// use svmq::{Errno, Queue, Message, Select};
/// let q = Queue::private(0o600)?;
/// match q.try_recv::<16>(Select::Any) {
///     Err(Errno::NOMSG) => {} // empty queue, as expected
///     other => panic!("{other:?}"),
/// }
/// q.remove()?;
/// # Ok::<(), Errno>(())
/// ```
///
/// What each errno means for message queues:
///
/// | constant | from | meaning |
/// |---|---|---|
/// | [`AGAIN`](Self::AGAIN) | send, `IPC_NOWAIT` | queue full |
/// | [`NOMSG`](Self::NOMSG) | receive, `IPC_NOWAIT` | no message of the selected type |
/// | [`IDRM`](Self::IDRM) | send, receive | the queue was removed (also: while the call was blocked) |
/// | [`INVAL`](Self::INVAL) | any | no queue with that id (never was, or removed earlier), or a bad argument |
/// | [`TOOBIG`](Self::TOOBIG) | receive | message longer than the buffer (it stays queued); payload over capacity |
/// | [`INTR`](Self::INTR) | blocking send, receive | a signal handler ran; the kernel never restarts these calls, see [`retry_on_intr`] |
/// | [`NOENT`](Self::NOENT) | open | no queue has that key (and no `IPC_CREAT`) |
/// | [`EXIST`](Self::EXIST) | create exclusive | the key already has a queue |
/// | [`ACCESS`](Self::ACCESS) | any | the mode bits deny this caller |
/// | [`PERM`](Self::PERM) | set, remove | the caller is neither owner, creator nor privileged |
/// | [`NOSPC`](Self::NOSPC) | create | `msgmni` queues already exist |
/// | [`NOSYS`](Self::NOSYS) | peek | the kernel lacks `MSG_COPY` (`CONFIG_CHECKPOINT_RESTORE`) |
/// | [`TIMEDOUT`](Self::TIMEDOUT) | deadline send, receive | the timeout passed with no message (or no room); nothing was taken or queued |
/// | [`BUSY`](Self::BUSY) | deadline send, receive | the timeout signal is used by the application (see [`set_timeout_signal`](crate::set_timeout_signal)) |
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Errno(i32);

impl Errno {
    /// `EPERM`: operation not permitted.
    pub const PERM: Self = Self(1);
    /// `ENOENT`: no such file or directory (no queue for that key).
    pub const NOENT: Self = Self(2);
    /// `ESRCH`: no such process.
    pub const SRCH: Self = Self(3);
    /// `EINTR`: interrupted system call.
    pub const INTR: Self = Self(4);
    /// `EIO`: input/output error.
    pub const IO: Self = Self(5);
    /// `E2BIG`: argument list too long (message too long for the buffer).
    pub const TOOBIG: Self = Self(7);
    /// `EBADF`: bad file descriptor.
    pub const BADF: Self = Self(9);
    /// `EAGAIN`: resource temporarily unavailable (queue full).
    pub const AGAIN: Self = Self(11);
    /// `ENOMEM`: cannot allocate memory.
    pub const NOMEM: Self = Self(12);
    /// `EACCES`: permission denied.
    pub const ACCESS: Self = Self(13);
    /// `EFAULT`: bad address.
    pub const FAULT: Self = Self(14);
    /// `EBUSY`: device or resource busy (the deadline calls' signal is used by the application).
    pub const BUSY: Self = Self(16);
    /// `EEXIST`: file exists (the key already has a queue).
    pub const EXIST: Self = Self(17);
    /// `ENOTDIR`: not a directory.
    pub const NOTDIR: Self = Self(20);
    /// `EINVAL`: invalid argument (or no queue with that id).
    pub const INVAL: Self = Self(22);
    /// `ENOSPC`: no space left on device (too many queues).
    pub const NOSPC: Self = Self(28);
    /// `ERANGE`: numerical result out of range.
    pub const RANGE: Self = Self(34);
    /// `ENAMETOOLONG`: file name too long.
    pub const NAMETOOLONG: Self = Self(36);
    /// `ENOSYS`: function not implemented.
    pub const NOSYS: Self = Self(38);
    /// `ELOOP`: too many levels of symbolic links.
    pub const LOOP: Self = Self(40);
    /// `ENOMSG`: no message of desired type.
    pub const NOMSG: Self = Self(42);
    /// `EIDRM`: identifier removed.
    pub const IDRM: Self = Self(43);
    /// `EOVERFLOW`: value too large for defined data type.
    pub const OVERFLOW: Self = Self(75);
    /// `ETIMEDOUT`: connection timed out (a deadline call's time ran out).
    pub const TIMEDOUT: Self = Self(110);

    /// Wraps a raw errno value (positive, as in C's `errno`).
    #[inline]
    pub const fn from_raw(errno: i32) -> Self {
        Self(errno)
    }

    /// The raw, positive errno value.
    #[inline]
    pub const fn raw(self) -> i32 {
        self.0
    }

    /// The symbolic name, such as `"ENOMSG"`; `"E?"` for a number Linux does not define.
    pub fn name(self) -> &'static str {
        strip_nul(self.name_with_nul())
    }

    /// [`name`](Self::name) with its terminating NUL, for the C ABI.
    pub(crate) fn name_with_nul(self) -> &'static str {
        lookup(self.0, 0).unwrap_or("E?\0")
    }

    /// The C library's description, such as `"No message of desired type"`.
    pub fn description(self) -> &'static str {
        strip_nul(self.description_with_nul())
    }

    /// [`description`](Self::description) with its terminating NUL, for the C ABI.
    pub(crate) fn description_with_nul(self) -> &'static str {
        lookup(self.0, 1).unwrap_or("Unknown error\0")
    }

    /// `true` for `EINTR`: a signal handler ran while the call was blocked.
    #[inline]
    pub const fn is_interrupted(self) -> bool {
        self.0 == Self::INTR.0
    }
}

/// String `part` (0: name, 1: description) of `errno`, with its NUL; `None` for a number Linux does not
/// define.
fn lookup(errno: i32, part: usize) -> Option<&'static str> {
    use crate::errno_table::{ERRNOS, STRINGS};
    let i = ERRNOS.iter().position(|&n| i32::from(n) == errno)?;
    // String 2i + part: after that many NULs, up to and including the next.
    let mut nuls = 2 * i + part;
    let start = STRINGS.bytes().position(|c| {
        nuls = nuls.wrapping_sub(usize::from(c == 0));
        nuls == 0
    });
    let start = if 2 * i + part == 0 { 0 } else { start? + 1 };
    let len = STRINGS.get(start..)?.bytes().position(|c| c == 0)?;
    STRINGS.get(start..=start + len)
}

fn strip_nul(s: &'static str) -> &'static str {
    s.strip_suffix('\0').unwrap_or(s)
}

/// `ENOMSG: no message of desired type` (the description starts in lower case, as in error lines).
impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if lookup(self.0, 0).is_none() {
            return write!(f, "errno {}", self.0);
        }
        let desc = self.description();
        let mut chars = desc.chars();
        write!(f, "{}: ", self.name())?;
        if let Some(first) = chars.next() {
            write!(f, "{}", first.to_ascii_lowercase())?;
        }
        f.write_str(chars.as_str())
    }
}

/// `Errno(ENOMSG)`.
impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match lookup(self.0, 0) {
            Some(_) => write!(f, "Errno({})", self.name()),
            None => write!(f, "Errno({})", self.0),
        }
    }
}

impl core::error::Error for Errno {}

/// Calls `f` again for as long as it fails with `EINTR`.
///
/// The kernel never restarts `msgsnd`/`msgrcv` after a signal handler ran, whatever `SA_RESTART` says
/// (see `signal(7)`), so svmq returns [`Errno::INTR`] as itself. Wrap a blocking call in this helper to
/// resume it instead:
///
/// ```
/// use svmq::{retry_on_intr, Message, MsgType, Queue, Select};
/// let q = Queue::private(0o600)?;
/// q.send(&Message::<8>::new(MsgType::new(1).unwrap(), b"hi")?)?;
/// let m = retry_on_intr(|| q.recv::<8>(Select::Any))?;
/// assert_eq!(m.data(), b"hi");
/// q.remove()?;
/// # Ok::<(), svmq::Errno>(())
/// ```
pub fn retry_on_intr<T>(mut f: impl FnMut() -> Result<T, Errno>) -> Result<T, Errno> {
    loop {
        match f() {
            Err(e) if e.is_interrupted() => continue,
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_descriptions_come_from_the_packed_table() {
        assert_eq!((Errno::PERM.name(), Errno::PERM.description()), ("EPERM", "Operation not permitted"));
        assert_eq!((Errno::NOMSG.name(), Errno::NOMSG.description()), ("ENOMSG", "No message of desired type"));
        let last = Errno::from_raw(133);
        assert_eq!((last.name(), last.description()), ("EHWPOISON", "Memory page has hardware error"));
        // 41 and 58 are not errnos of the generic table.
        assert_eq!((Errno::from_raw(41).name(), Errno::from_raw(41).description()), ("E?", "Unknown error"));
        assert_eq!(Errno::from_raw(0).name(), "E?");
        assert_eq!(Errno::NOMSG.name_with_nul(), "ENOMSG\0");
        assert_eq!(Errno::NOMSG.description_with_nul(), "No message of desired type\0");
        for n in 1..=133 {
            let e = Errno::from_raw(n);
            assert!(!e.name().contains('\0') && !e.description().contains('\0'), "{n}");
            assert_eq!(e.name() == "E?", matches!(n, 41 | 58), "{n}");
        }
    }
}
