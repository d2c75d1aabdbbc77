//! The kernel's message-queue ABI, written out by hand and pinned by compile-time assertions.
//!
//! Sources: `include/uapi/linux/ipc.h`, `include/uapi/linux/msg.h`, `include/uapi/asm-generic/ipcbuf.h`
//! and `include/uapi/asm-generic/msgbuf.h` (x86_64 and aarch64 both use the generic 64-bit layouts), and
//! `arch/x86/include/uapi/asm/stat.h` / `include/uapi/asm-generic/stat.h` for the two `struct stat`s.
//!
//! On x86_64 and aarch64 `msgctl` always speaks the 64-bit (`IPC_64`) layouts, and the flag itself must
//! not be passed: the x86_64 kernel rejects `IPC_STAT | IPC_64` with `EINVAL` (measured).
//! `tests/abi.rs` compares these layouts with the `libc` crate's definitions.

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

/// `struct ipc64_perm` (asm-generic/ipcbuf.h; `__kernel_mode_t` is 32 bits on both targets).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ipc64Perm {
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
    pub unused1: c_ulong,
    /// Reserved by the kernel.
    pub unused2: c_ulong,
}

/// `struct msqid64_ds` (asm-generic/msgbuf.h, 64-bit branch).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Msqid64Ds {
    /// Ownership and permissions.
    pub msg_perm: Ipc64Perm,
    /// Time of the last `msgsnd`.
    pub msg_stime: c_long,
    /// Time of the last `msgrcv`.
    pub msg_rtime: c_long,
    /// Time of the last change (creation or `IPC_SET`).
    pub msg_ctime: c_long,
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

/// The head of the kernel's `struct stat` on both targets: `st_dev` then `st_ino`, padded to the larger
/// of the two sizes (x86_64: 144 bytes; aarch64's generic layout: 128).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct StatHead {
    /// `st_dev`, in the kernel's `new_encode_dev` form (minor's low 8 bits in bits 0..8).
    pub dev: u64,
    /// `st_ino`.
    pub ino: u64,
    rest: [u64; 16],
}

/// `struct timespec` for `clock_gettime`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Timespec {
    /// Seconds.
    pub sec: i64,
    /// Nanoseconds.
    pub nsec: i64,
}

// The layouts above are the kernel's contract; prove them on every build, for every target.
const _: () = {
    assert!(size_of::<c_long>() == 8, "svmq supports 64-bit targets only");
    assert!(size_of::<c_ulong>() == size_of::<u64>(), "msg_qbytes is a 64-bit unsigned long");
    assert!(size_of::<Ipc64Perm>() == 48);
    assert!(offset_of!(Ipc64Perm, key) == 0);
    assert!(offset_of!(Ipc64Perm, uid) == 4);
    assert!(offset_of!(Ipc64Perm, gid) == 8);
    assert!(offset_of!(Ipc64Perm, cuid) == 12);
    assert!(offset_of!(Ipc64Perm, cgid) == 16);
    assert!(offset_of!(Ipc64Perm, mode) == 20);
    assert!(offset_of!(Ipc64Perm, seq) == 24);
    assert!(offset_of!(Ipc64Perm, unused1) == 32);
    assert!(offset_of!(Ipc64Perm, unused2) == 40);
    assert!(size_of::<Msqid64Ds>() == 120);
    assert!(offset_of!(Msqid64Ds, msg_stime) == 48);
    assert!(offset_of!(Msqid64Ds, msg_rtime) == 56);
    assert!(offset_of!(Msqid64Ds, msg_ctime) == 64);
    assert!(offset_of!(Msqid64Ds, msg_cbytes) == 72);
    assert!(offset_of!(Msqid64Ds, msg_qnum) == 80);
    assert!(offset_of!(Msqid64Ds, msg_qbytes) == 88);
    assert!(offset_of!(Msqid64Ds, msg_lspid) == 96);
    assert!(offset_of!(Msqid64Ds, msg_lrpid) == 100);
    assert!(offset_of!(Msqid64Ds, unused4) == 104);
    assert!(offset_of!(Msqid64Ds, unused5) == 112);
    assert!(size_of::<MsgInfo>() == 32);
    assert!(offset_of!(MsgInfo, msgmax) == 8);
    assert!(offset_of!(MsgInfo, msgmnb) == 12);
    assert!(offset_of!(MsgInfo, msgmni) == 16);
    assert!(offset_of!(MsgInfo, msgtql) == 24);
    assert!(offset_of!(MsgInfo, msgseg) == 28);
    assert!(offset_of!(Frame<0>, mtype) == 0);
    assert!(offset_of!(Frame<1>, text) == 8);
    assert!(size_of::<StatHead>() == 144);
    assert!(offset_of!(StatHead, dev) == 0);
    assert!(offset_of!(StatHead, ino) == 8);
    assert!(size_of::<Timespec>() == 16);
};
