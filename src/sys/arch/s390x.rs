//! s390x (64-bit, big-endian): 64-bit layouts except `ipc64_perm`, whose 16-bit `seq` follows a 16-bit
//! pad. `sc` has no s390x module, so the `svc 0` wrapper is here.

/// System call numbers (`arch/s390/kernel/syscalls/syscall.tbl`, 64-bit). The direct message-queue
/// calls (399-402) exist since Linux 5.1; before that only `ipc` (117).
#[allow(missing_docs)]
pub mod nr {
    pub const READ: usize = 3;
    pub const WRITE: usize = 4;
    pub const CLOSE: usize = 6;
    pub const LSEEK: usize = 19;
    pub const GETPID: usize = 20;
    pub const GETRUSAGE: usize = 77;
    pub const IPC: Option<usize> = Some(117);
    pub const SCHED_YIELD: usize = 158;
    pub const RT_SIGRETURN: usize = 173;
    pub const RT_SIGACTION: usize = 174;
    pub const RT_SIGPROCMASK: usize = 175;
    pub const PREAD64: usize = 180;
    pub const GETEUID: usize = 201;
    pub const GETTID: usize = 236;
    pub const SCHED_GETAFFINITY: usize = 240;
    pub const TGKILL: usize = 241;
    pub const EXIT_GROUP: usize = 248;
    pub const TIMER_CREATE: usize = 254;
    pub const TIMER_SETTIME: usize = 255;
    pub const TIMER_DELETE: usize = 258;
    pub const CLOCK_GETTIME: usize = 260;
    pub const OPENAT: usize = 288;
    pub const STAT: usize = 293; // newfstatat
    pub const GETCPU: usize = 311;
    pub const SETNS: usize = 339;
    pub const GETRANDOM: usize = 349;
    pub const MSGGET: usize = 399;
    pub const MSGSND: usize = 400;
    pub const MSGRCV: usize = 401;
    pub const MSGCTL: usize = 402;
    // The `svmq` tool's file and process calls (32-bit targets: `fcntl` and `ftruncate` with 32-bit offsets,
    // which is all the tool needs).
    pub const IOCTL: usize = 54;
    pub const FCNTL: usize = 55;
    pub const FTRUNCATE: usize = 93;
    pub const FSYNC: usize = 118;
    pub const CAPGET: usize = 184;
    pub const UNLINKAT: usize = 294;
    pub const RENAMEAT2: usize = 347;
    pub const STATX: usize = 379;
    /// 64-bit: `clock_gettime` already has 64-bit seconds.
    pub const CLOCK_GETTIME64: usize = CLOCK_GETTIME;
    pub const CLOCK_NANOSLEEP: usize = 262;
    /// 64-bit: `clock_nanosleep` already has 64-bit seconds.
    pub const CLOCK_NANOSLEEP64: usize = CLOCK_NANOSLEEP;
}

/// The direct `msgctl` (5.1+) always speaks `IPC_64`; the flag is refused.
pub const MSGCTL_CMD_FLAGS: core::ffi::c_int = 0;
/// Through `ipc(2)` (s390 selects `ARCH_WANT_IPC_PARSE_VERSION`), `IPC_64` asks for `msqid64_ds`.
pub const IPC_MSGCTL_CMD_FLAGS: core::ffi::c_int = 0x100;

/// `struct ipc64_perm` (arch/s390/include/uapi/asm/ipcbuf.h).
pub type Ipc64Perm = crate::sys::abi::Ipc64PermS390x;
/// One `long` per time.
pub type Time = crate::sys::abi::TimeLong;
/// asm-generic/msgbuf.h, 64-bit branch, with s390x's `ipc64_perm` (`seq` at 26).
pub const MSQID64_DS_LAYOUT: crate::sys::arch::MsqidLayout =
    crate::sys::arch::MsqidLayout { mode_seq: (20, 26), ..crate::sys::abi::GENERIC_64_LAYOUT };

/// `newfstatat` fills s390x's `struct stat` (144 bytes): `st_ino` is the second 64-bit word.
pub const STAT_INO_WORD: usize = 1;
/// Size of that `struct stat`.
pub const STAT_SIZE: usize = 144;

/// The system call instruction with up to six arguments.
///
/// # Safety
///
/// As for the system call `n` with these arguments.
#[inline]
pub unsafe fn syscall6(n: usize, a1: usize, a2: usize, a3: usize, a4: usize, a5: usize, a6: usize) -> usize {
    let ret: usize;
    // SAFETY: the caller vouches for the system call; the kernel returns in r2 and preserves the other
    // argument registers.
    unsafe {
        core::arch::asm!(
            "svc 0",
            in("r1") n,
            inlateout("r2") a1 => ret,
            in("r3") a2,
            in("r4") a3,
            in("r5") a4,
            in("r6") a5,
            in("r7") a6,
        );
    }
    ret
}

crate::sys::arch::fewer_args_via_syscall6!();

/// `_start` for programs without a C runtime: calls `$entry(initial stack pointer)` with the ABI's
/// 160-byte register save area below a zero back chain.
#[doc(hidden)]
#[macro_export]
macro_rules! svmq_entry {
    ($entry:path) => {
        core::arch::global_asm!(
            ".globl _start",
            "_start:",
            "lgr %r2, %r15",
            "aghi %r15, -160",
            "lghi %r0, 0",
            "stg %r0, 0(%r15)",
            "brasl %r14, {entry}",
            ".word 0",
            entry = sym $entry,
        );
    };
}

/// `SA_RESTORER`: the kernel returns from a signal handler through `sa_restorer`.
pub const SA_RESTORER: core::ffi::c_ulong = 0x0400_0000;
/// The `sa_restorer` svmq installs with its timeout signal's handler.
pub const RESTORER: Option<extern "C" fn() -> !> = Some(restore_rt);

/// Where a signal handler returns to: `rt_sigreturn` (173).
#[unsafe(naked)]
pub extern "C" fn restore_rt() -> ! {
    core::arch::naked_asm!("svc 173")
}
