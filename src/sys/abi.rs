//! The kernel's message-queue ABI, written out by hand and pinned by compile-time assertions.
//!
//! Sources: `include/uapi/linux/ipc.h`, `include/uapi/linux/msg.h`, and each architecture's
//! `asm/ipcbuf.h`, `asm/msgbuf.h` and `asm/stat.h`. The constants and `struct msginfo` are the same
//! everywhere; the layouts that differ (`ipc64_perm`, the time words of `msqid64_ds`, `struct stat`)
//! are defined here once per family and chosen per architecture in `sys/arch/`, which also holds each
//! architecture's expected sizes and offsets, asserted below at compile time.
//! `tests/abi.rs` compares the layouts with the `libc` crate's (glibc's) definitions on every target.

use core::ffi::{c_int, c_long, c_uint, c_ulong, c_ushort};
use core::mem::{offset_of, size_of};

/// `IPC_PRIVATE`: the key that always makes a new queue.
pub const IPC_PRIVATE: c_int = 0;
/// `IPC_CREAT`: create the queue if the key has none.
pub const IPC_CREAT: c_int = 0o1000;
/// `IPC_EXCL`: with `IPC_CREAT`, fail with `EEXIST` if the key already has a queue.
pub const IPC_EXCL: c_int = 0o2000;
/// `IPC_NOWAIT`: return `EAGAIN` (send) or `ENOMSG` (receive) instead of blocking.
pub const IPC_NOWAIT: c_int = 0o4000;

/// `MSG_NOERROR`: truncate a message longer than the receive buffer instead of failing with `E2BIG`.
pub const MSG_NOERROR: c_int = 0o10000;
/// `MSG_EXCEPT`: receive the first message whose type differs from `msgtyp`.
pub const MSG_EXCEPT: c_int = 0o20000;
/// `MSG_COPY`: copy the message at position `msgtyp` without removing it (needs `IPC_NOWAIT`).
pub const MSG_COPY: c_int = 0o40000;

/// `msgctl` command: remove the queue.
pub const IPC_RMID: c_int = 0;
/// `msgctl` command: set owner, mode and byte limit.
pub const IPC_SET: c_int = 1;
/// `msgctl` command: read the status.
pub const IPC_STAT: c_int = 2;
/// `msgctl` command: read the system limits into a [`MsgInfo`].
pub const IPC_INFO: c_int = 3;
/// `msgctl` command: read the status of the queue at an index, checking read permission.
pub const MSG_STAT: c_int = 11;
/// `msgctl` command: read the system usage into a [`MsgInfo`].
pub const MSG_INFO: c_int = 12;
/// `msgctl` command: read the status of the queue at an index without a permission check (Linux 4.17).
pub const MSG_STAT_ANY: c_int = 13;

/// Mode bits the kernel keeps (`S_IRWXUGO`); it silently drops the others.
pub const MODE_MASK: u32 = 0o777;

/// `AT_FDCWD` for `newfstatat`.
pub const AT_FDCWD: c_int = -100;

/// `IPC_64`: the `msgctl` command flag asking for the 64-bit structs (`msqid64_ds`), where the entry
/// point reads a layout version from the command.
pub const IPC_64: c_int = 0x100;
/// What this architecture's direct `msgctl` system call ([`nr::MSGCTL`](super::raw::nr::MSGCTL)) needs
/// OR-ed into its command to speak the layouts of this module: [`IPC_64`] on armv7 (`sys_old_msgctl`), 0
/// elsewhere (x86_64 and the compat layers refuse the flag with `EINVAL`).
pub const MSGCTL_CMD_FLAGS: c_int = super::arch::MSGCTL_CMD_FLAGS;
/// The same through the `ipc(2)` multiplexer ([`nr::IPC`](super::raw::nr::IPC), where it exists):
/// [`IPC_64`].
pub const IPC_MSGCTL_CMD_FLAGS: c_int = super::arch::IPC_MSGCTL_CMD_FLAGS;

/// Size and field offsets of a `struct msqid64_ds` layout, as an architecture's kernel headers define
/// it. [`MSQID64_DS_LAYOUT`] is this architecture's; [`Msqid64Ds`] is asserted against it at compile time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsqidLayout {
    /// `sizeof(struct msqid64_ds)`.
    pub size: usize,
    /// `sizeof(struct ipc64_perm)`.
    pub perm_size: usize,
    /// Offsets of `msg_perm.mode` and `msg_perm.seq`.
    pub mode_seq: (usize, usize),
    /// Offsets of the low (or only) words of `msg_stime`, `msg_rtime`, `msg_ctime`.
    pub times: [usize; 3],
    /// Offsets of the `_high` words (equal to the low word's on 64-bit, where there is none).
    pub times_high: [usize; 3],
    /// Offsets of `msg_cbytes`, `msg_qnum`, `msg_qbytes`, `msg_lspid`, `msg_lrpid`.
    pub counts: [usize; 5],
}

/// This architecture's `struct msqid64_ds` layout (from its kernel headers).
pub const MSQID64_DS_LAYOUT: MsqidLayout = super::arch::MSQID64_DS_LAYOUT;

/// Size of the `struct stat` (64-bit architectures) or `struct stat64` (32-bit ones) that
/// [`stat`](super::stat) has the kernel fill.
pub const STAT_SIZE: usize = super::arch::STAT_SIZE;
/// Index of `st_ino` in that struct, counted in 64-bit words (`st_dev` is word 0 everywhere).
pub const STAT_INO_WORD: usize = super::arch::STAT_INO_WORD;

/// `struct ipc64_perm` of the generic 64-bit layout (asm-generic/ipcbuf.h with a 32-bit
/// `__kernel_mode_t`): x86_64, aarch64, riscv64. Use it as [`Ipc64Perm`], which is this architecture's.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ipc64PermGeneric64 {
    /// Key the queue was created with.
    pub key: c_int,
    /// Owner's user id.
    pub uid: c_uint,
    /// Owner's group id.
    pub gid: c_uint,
    /// Creator's user id.
    pub cuid: c_uint,
    /// Creator's group id.
    pub cgid: c_uint,
    /// Permission bits (low 9 bits).
    pub mode: c_uint,
    /// Slot usage sequence number.
    pub seq: c_ushort,
    /// Padding.
    pub pad2: c_ushort,
    /// The alignment gap before `unused1`, made explicit so that no byte handed to the kernel is
    /// uninitialized (valgrind checks `IPC_SET`'s buffer byte by byte).
    pub pad3: u32,
    /// Reserved by the kernel.
    pub unused1: u64,
    /// Reserved by the kernel.
    pub unused2: u64,
}

/// `struct ipc64_perm` of the generic 32-bit layout with a 16-bit `__kernel_mode_t`: i686, armv7.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ipc64PermGeneric32 {
    /// Key the queue was created with.
    pub key: c_int,
    /// Owner's user id.
    pub uid: c_uint,
    /// Owner's group id.
    pub gid: c_uint,
    /// Creator's user id.
    pub cuid: c_uint,
    /// Creator's group id.
    pub cgid: c_uint,
    /// Permission bits (low 9 bits).
    pub mode: c_ushort,
    /// Padding after the 16-bit mode.
    pub pad1: c_ushort,
    /// Slot usage sequence number.
    pub seq: c_ushort,
    /// Padding.
    pub pad2: c_ushort,
    /// Reserved by the kernel.
    pub unused1: u32,
    /// Reserved by the kernel.
    pub unused2: u32,
}

/// powerpc's `struct ipc64_perm`: 32-bit `mode` and `seq`, 64-bit reserved words.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ipc64PermPowerpc {
    /// Key the queue was created with.
    pub key: c_int,
    /// Owner's user id.
    pub uid: c_uint,
    /// Owner's group id.
    pub gid: c_uint,
    /// Creator's user id.
    pub cuid: c_uint,
    /// Creator's group id.
    pub cgid: c_uint,
    /// Permission bits (low 9 bits).
    pub mode: c_uint,
    /// Slot usage sequence number.
    pub seq: c_uint,
    /// Padding.
    pub pad1: c_uint,
    /// Reserved by the kernel.
    pub unused1: u64,
    /// Reserved by the kernel.
    pub unused2: u64,
}

/// s390x's `struct ipc64_perm`: a 16-bit pad *before* the 16-bit `seq`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ipc64PermS390x {
    /// Key the queue was created with.
    pub key: c_int,
    /// Owner's user id.
    pub uid: c_uint,
    /// Owner's group id.
    pub gid: c_uint,
    /// Creator's user id.
    pub cuid: c_uint,
    /// Creator's group id.
    pub cgid: c_uint,
    /// Permission bits (low 9 bits).
    pub mode: c_uint,
    /// Padding.
    pub pad1: c_ushort,
    /// Slot usage sequence number.
    pub seq: c_ushort,
    /// The alignment gap before `unused1`, explicit (see [`Ipc64PermGeneric64::pad3`]).
    pub pad3: u32,
    /// Reserved by the kernel.
    pub unused1: u64,
    /// Reserved by the kernel.
    pub unused2: u64,
}

/// This architecture's `struct ipc64_perm` (one of the layouts above, chosen in `sys/arch/`).
pub type Ipc64Perm = super::arch::Ipc64Perm;

/// A time in a 64-bit `msqid64_ds`: one `long`.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeLong(pub i64);

/// A time in the generic 32-bit `msqid64_ds`: the low word, then the `_high` word (y2038-safe since
/// Linux 5.1; older kernels leave the high word 0).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeLoHi {
    /// Low 32 bits.
    pub lo: u32,
    /// High 32 bits.
    pub hi: u32,
}

/// A time in powerpc's 32-bit `msqid64_ds`: the `_high` word first.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TimeHiLo {
    /// High 32 bits.
    pub hi: u32,
    /// Low 32 bits.
    pub lo: u32,
}

/// The kernel's time words, whatever their layout, as seconds since the epoch.
pub trait KernelTime: Copy {
    /// The full 64-bit time.
    fn get(self) -> i64;
}

impl KernelTime for TimeLong {
    fn get(self) -> i64 {
        self.0
    }
}

impl KernelTime for TimeLoHi {
    fn get(self) -> i64 {
        (i64::from(self.hi) << 32) | i64::from(self.lo)
    }
}

impl KernelTime for TimeHiLo {
    fn get(self) -> i64 {
        (i64::from(self.hi) << 32) | i64::from(self.lo)
    }
}

/// `struct msqid64_ds` (asm-generic/msgbuf.h; powerpc's own), with this architecture's
/// [`Ipc64Perm`] and time words. Read the times with [`Msqid64Ds::stime`] and friends.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Msqid64Ds {
    /// Ownership and permissions.
    pub msg_perm: Ipc64Perm,
    /// Time of the last `msgsnd`.
    pub msg_stime: super::arch::Time,
    /// Time of the last `msgrcv`.
    pub msg_rtime: super::arch::Time,
    /// Time of the last change (creation or `IPC_SET`).
    pub msg_ctime: super::arch::Time,
    /// Bytes currently queued.
    pub msg_cbytes: c_ulong,
    /// Messages currently queued.
    pub msg_qnum: c_ulong,
    /// Maximum bytes allowed in the queue.
    pub msg_qbytes: c_ulong,
    /// Pid of the last `msgsnd`.
    pub msg_lspid: c_int,
    /// Pid of the last `msgrcv`.
    pub msg_lrpid: c_int,
    /// Reserved by the kernel.
    pub unused4: c_ulong,
    /// Reserved by the kernel.
    pub unused5: c_ulong,
}

impl Msqid64Ds {
    /// Time of the last `msgsnd`, 64-bit on every architecture.
    pub fn stime(&self) -> i64 {
        self.msg_stime.get()
    }
    /// Time of the last `msgrcv`, 64-bit on every architecture.
    pub fn rtime(&self) -> i64 {
        self.msg_rtime.get()
    }
    /// Time of the last change, 64-bit on every architecture.
    pub fn ctime(&self) -> i64 {
        self.msg_ctime.get()
    }
}

/// `struct msqid64_ds` of the generic 64-bit layout (x86_64, aarch64, riscv64; s390x but for `seq`).
pub const GENERIC_64_LAYOUT: MsqidLayout = MsqidLayout {
    size: 120,
    perm_size: 48,
    mode_seq: (20, 24),
    times: [48, 56, 64],
    times_high: [48, 56, 64],
    counts: [72, 80, 88, 96, 100],
};

/// `struct msqid64_ds` of the generic 32-bit layout (i686, armv7): each time's `_high` word follows it.
pub const GENERIC_32_LAYOUT: MsqidLayout = MsqidLayout {
    size: 88,
    perm_size: 36,
    mode_seq: (20, 24),
    times: [36, 44, 52],
    times_high: [40, 48, 56],
    counts: [60, 64, 68, 72, 76],
};

/// `struct msginfo` (uapi/linux/msg.h), filled by `IPC_INFO` (limits) and `MSG_INFO` (usage).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MsgInfo {
    /// `IPC_INFO`: size of the message pool in KiB. `MSG_INFO`: queues in use.
    pub msgpool: c_int,
    /// `IPC_INFO`: max messages in the pool. `MSG_INFO`: messages queued system-wide.
    pub msgmap: c_int,
    /// Maximum bytes in one message (`/proc/sys/kernel/msgmax`).
    pub msgmax: c_int,
    /// Default maximum bytes in one queue (`/proc/sys/kernel/msgmnb`).
    pub msgmnb: c_int,
    /// Maximum number of queues (`/proc/sys/kernel/msgmni`).
    pub msgmni: c_int,
    /// Message segment size.
    pub msgssz: c_int,
    /// `IPC_INFO`: max messages system-wide. `MSG_INFO`: bytes queued system-wide.
    pub msgtql: c_int,
    /// Max number of segments.
    pub msgseg: c_ushort,
    /// Tail padding, explicit.
    pub pad: c_ushort,
}

/// The kernel's `struct msgbuf` with a payload of `N` bytes: what `msgsnd(2)`/`msgrcv(2)` read and write.
///
/// This is svmq's zero-copy path: the kernel copies straight from and into it, with no intermediate
/// buffer. `N` is the capacity; how many bytes are meaningful is passed beside it.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Frame<const N: usize> {
    pub(crate) mtype: c_long,
    pub(crate) text: [u8; N],
}

/// The buffer `stat(2)` fills (`struct stat` on 64-bit, `struct stat64` on 32-bit architectures),
/// large enough for every architecture's: `st_dev` is always the first 64-bit word, `st_ino` the
/// 64-bit word at [`StatBuf::ino`]'s architecture-specific index.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct StatBuf {
    words: [u64; 18],
}

impl StatBuf {
    /// `st_dev`, in the kernel's `new_encode_dev` form (minor's low 8 bits in bits 0..8).
    pub fn dev(&self) -> u64 {
        self.words[0]
    }
    /// `st_ino`.
    pub fn ino(&self) -> u64 {
        self.words[STAT_INO_WORD]
    }
}

// The layouts above are the kernel's contract; prove them on every build, for every target, against the
// architecture's header facts in sys/arch/.
const _: () = {
    let l = MSQID64_DS_LAYOUT;
    assert!(size_of::<c_ulong>() == size_of::<c_long>() && size_of::<c_long>() == size_of::<usize>());
    assert!(size_of::<Ipc64Perm>() == l.perm_size);
    assert!(offset_of!(Ipc64Perm, key) == 0);
    assert!(offset_of!(Ipc64Perm, uid) == 4);
    assert!(offset_of!(Ipc64Perm, gid) == 8);
    assert!(offset_of!(Ipc64Perm, cuid) == 12);
    assert!(offset_of!(Ipc64Perm, cgid) == 16);
    assert!(offset_of!(Ipc64Perm, mode) == l.mode_seq.0);
    assert!(offset_of!(Ipc64Perm, seq) == l.mode_seq.1);
    assert!(size_of::<Msqid64Ds>() == l.size);
    assert!(offset_of!(Msqid64Ds, msg_perm) == 0);
    assert!(size_of::<super::arch::Time>() == 8);
    // The low (or only) word of each time, and its high word.
    let t = [offset_of!(Msqid64Ds, msg_stime), offset_of!(Msqid64Ds, msg_rtime), offset_of!(Msqid64Ds, msg_ctime)];
    let mut i = 0;
    while i < 3 {
        let (lo, hi) = if l.times[i] == l.times_high[i] {
            (t[i], t[i])
        } else if l.times_high[i] > l.times[i] {
            (t[i], t[i] + 4)
        } else {
            (t[i] + 4, t[i])
        };
        assert!(lo == l.times[i] && hi == l.times_high[i]);
        i += 1;
    }
    assert!(offset_of!(Msqid64Ds, msg_cbytes) == l.counts[0]);
    assert!(offset_of!(Msqid64Ds, msg_qnum) == l.counts[1]);
    assert!(offset_of!(Msqid64Ds, msg_qbytes) == l.counts[2]);
    assert!(offset_of!(Msqid64Ds, msg_lspid) == l.counts[3]);
    assert!(offset_of!(Msqid64Ds, msg_lrpid) == l.counts[4]);
    assert!(size_of::<MsgInfo>() == 32);
    assert!(offset_of!(MsgInfo, msgmax) == 8);
    assert!(offset_of!(MsgInfo, msgmnb) == 12);
    assert!(offset_of!(MsgInfo, msgmni) == 16);
    assert!(offset_of!(MsgInfo, msgtql) == 24);
    assert!(offset_of!(MsgInfo, msgseg) == 28);
    assert!(offset_of!(Frame<0>, mtype) == 0);
    assert!(offset_of!(Frame<1>, text) == size_of::<c_long>());
    assert!(size_of::<StatBuf>() >= STAT_SIZE);
    assert!((STAT_INO_WORD + 1) * 8 <= STAT_SIZE);
    assert!(MSGCTL_CMD_FLAGS & !IPC_64 == 0 && IPC_MSGCTL_CMD_FLAGS & !IPC_64 == 0);
};
