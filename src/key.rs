//! [`Key`]: the 32-bit name of a queue, and [`ftok`].

use crate::{Errno, sys};
use core::ffi::CStr;
use core::fmt;

/// A System V IPC key (`key_t`): 32 bits, exactly.
///
/// Built from an `i32` or a `u32` (the same bits: `ipcs` prints keys as `0x%08x`), or checked from a
/// wider integer: a value that does not fit in 32 bits is rejected with `ERANGE` instead of being cut
/// (cutting `1 << 32` would silently give [`Key::PRIVATE`]).
///
/// ```
/// use svmq::Key;
/// assert_eq!(Key::from_u32(0xdead_beef).raw(), 0xdead_beef_u32 as i32);
/// assert!(Key::try_from(1_i64 << 32).is_err());
/// assert_eq!(Key::try_from(-1_i64).unwrap(), Key::from_u32(u32::MAX));
/// ```
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key(i32);

impl Key {
    /// `IPC_PRIVATE`: opening this key always creates a new queue that no other key names.
    pub const PRIVATE: Self = Self(sys::abi::IPC_PRIVATE);

    /// The key with these 32 bits.
    #[inline]
    pub const fn new(raw: i32) -> Self {
        Self(raw)
    }

    /// The key with these 32 bits, written unsigned as `ipcs` prints it.
    #[inline]
    pub const fn from_u32(raw: u32) -> Self {
        Self(raw as i32)
    }

    /// The key's bits as C's `key_t`.
    #[inline]
    pub const fn raw(self) -> i32 {
        self.0
    }

    /// The key's bits, unsigned.
    #[inline]
    pub const fn as_u32(self) -> u32 {
        self.0 as u32
    }

    /// `true` for [`Key::PRIVATE`].
    #[inline]
    pub const fn is_private(self) -> bool {
        self.0 == sys::abi::IPC_PRIVATE
    }
}

impl From<i32> for Key {
    fn from(raw: i32) -> Self {
        Self(raw)
    }
}

impl From<u32> for Key {
    fn from(raw: u32) -> Self {
        Self::from_u32(raw)
    }
}

/// Accepts `i32::MIN..=u32::MAX` (signed or unsigned spellings of 32 bits); anything else is `ERANGE`.
impl TryFrom<i64> for Key {
    type Error = Errno;
    fn try_from(v: i64) -> Result<Self, Errno> {
        if let Ok(k) = i32::try_from(v) {
            Ok(Self(k))
        } else if let Ok(k) = u32::try_from(v) {
            Ok(Self::from_u32(k))
        } else {
            Err(Errno::RANGE)
        }
    }
}

/// Accepts `0..=u32::MAX`; anything wider is `ERANGE`.
impl TryFrom<u64> for Key {
    type Error = Errno;
    fn try_from(v: u64) -> Result<Self, Errno> {
        u32::try_from(v).map(Self::from_u32).map_err(|_| Errno::RANGE)
    }
}

/// `0x0000002a`, as `ipcs` prints keys.
impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:08x}", self.as_u32())
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Key(0x{:08x})", self.as_u32())
    }
}

/// `ftok(path, proj_id)`: derives a key from a file's identity, bit for bit as the C library does.
///
/// The key is `proj_id << 24 | (st_dev & 0xff) << 16 | (st_ino & 0xffff)`, where `st_dev` is the device
/// number in the C library's encoding (the low 8 bits of the minor number). It is read with the
/// `newfstatat` (64-bit architectures) or `fstatat64` (32-bit ones) system call, following symlinks like
/// `stat(2)`.
/// Any `u8` is a valid `proj_id`, though the C library documents 0 as unspecified; only the low 8 bits of
/// C's `int proj_id` were ever used. Every key is legal, `-1` (`0xffffffff`) included: failure is the
/// `Err` of the `Result`, not a sentinel.
///
/// # Errors
///
/// Those of `stat(2)`: `ENOENT`, `EACCES`, `ENOTDIR`, `ELOOP`, `ENAMETOOLONG`, ...
///
/// ```
/// let key = svmq::ftok(c"/", b'x')?;
/// assert_eq!(key.as_u32() >> 24, u32::from(b'x'));
/// # Ok::<(), svmq::Errno>(())
/// ```
///
/// # References
///
/// `ftok(3)`; glibc `sysvipc/ftok.c`; musl `src/ipc/ftok.c`.
pub fn ftok(path: &CStr, proj_id: u8) -> Result<Key, Errno> {
    let st = sys::stat(path)?;
    Ok(Key::from_u32(key_bits(st.dev(), st.ino(), proj_id)))
}

/// The C library's formula, on the kernel's `st_dev` encoding (whose low byte equals glibc's `dev_t`'s).
#[inline]
const fn key_bits(dev: u64, ino: u64, proj_id: u8) -> u32 {
    ((ino & 0xffff) as u32) | (((dev & 0xff) as u32) << 16) | ((proj_id as u32) << 24)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_matches_ftok_3() {
        assert_eq!(key_bits(0x1234_5678, 0xabcd_ef01, 0x80), 0x8078_ef01);
        assert_eq!(key_bits(0, 0, 0), 0);
        assert_eq!(key_bits(u64::MAX, u64::MAX, 0xff), u32::MAX);
    }

    #[test]
    fn wide_keys_are_rejected_not_cut() {
        assert_eq!(Key::try_from(1_i64 << 32), Err(Errno::RANGE));
        assert_eq!(Key::try_from(1_u64 << 32), Err(Errno::RANGE));
        assert_eq!(Key::try_from(i64::from(i32::MIN) - 1), Err(Errno::RANGE));
        assert_eq!(Key::try_from(u64::from(u32::MAX)), Ok(Key::new(-1)));
        assert_eq!(Key::try_from(0_i64), Ok(Key::PRIVATE));
    }
}
