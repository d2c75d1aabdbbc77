//! s390x (64-bit, big-endian): 64-bit layouts except `ipc64_perm`, whose 16-bit `seq` follows a 16-bit
//! pad. `sc` has no s390x module, so the `svc 0` wrapper is here.

/// System call numbers (`arch/s390/kernel/syscalls/syscall.tbl`, 64-bit). The direct message-queue
/// calls (399-402) exist since Linux 5.1; before that only `ipc` (117).
pub mod nr {
    /// `read`.
    pub const READ: usize = 3;
    /// `write`.
    pub const WRITE: usize = 4;
    /// `close`.
    pub const CLOSE: usize = 6;
    /// `lseek`.
    pub const LSEEK: usize = 19;
    /// `getpid`.
    pub const GETPID: usize = 20;
    /// `getrusage`.
    pub const GETRUSAGE: usize = 77;
    /// `ipc(2)`, the multiplexer of the System V IPC calls (`None`: this architecture has none).
    pub const IPC: Option<usize> = Some(117);
    /// `sched_yield`.
    pub const SCHED_YIELD: usize = 158;
    /// `rt_sigreturn`.
    pub const RT_SIGRETURN: usize = 173;
    /// `rt_sigaction`.
    pub const RT_SIGACTION: usize = 174;
    /// `rt_sigprocmask`.
    pub const RT_SIGPROCMASK: usize = 175;
    /// `pread64`.
    pub const PREAD64: usize = 180;
    /// `geteuid`.
    pub const GETEUID: usize = 201;
    /// `gettid`.
    pub const GETTID: usize = 236;
    /// `sched_getaffinity`.
    pub const SCHED_GETAFFINITY: usize = 240;
    /// `tgkill`.
    pub const TGKILL: usize = 241;
    /// `exit_group`.
    pub const EXIT_GROUP: usize = 248;
    /// `timer_create`.
    pub const TIMER_CREATE: usize = 254;
    /// `timer_settime`.
    pub const TIMER_SETTIME: usize = 255;
    /// `timer_delete`.
    pub const TIMER_DELETE: usize = 258;
    /// `clock_gettime`.
    pub const CLOCK_GETTIME: usize = 260;
    /// `openat`.
    pub const OPENAT: usize = 288;
    /// `newfstatat`, which `sys::stat` calls.
    pub const STAT: usize = 293;
    /// `getcpu`.
    pub const GETCPU: usize = 311;
    /// `setns`.
    pub const SETNS: usize = 339;
    /// `getrandom`.
    pub const GETRANDOM: usize = 349;
    /// `msgget`.
    pub const MSGGET: usize = 399;
    /// `msgsnd`.
    pub const MSGSND: usize = 400;
    /// `msgrcv`.
    pub const MSGRCV: usize = 401;
    /// `msgctl`.
    pub const MSGCTL: usize = 402;
    /// `timer_gettime`.
    pub const TIMER_GETTIME: usize = 256;
    /// `rt_sigpending`.
    pub const RT_SIGPENDING: usize = 176;
    /// No separate 64-bit time calls: the calls above take 64-bit times on 64-bit architectures.
    pub const CLOCK_GETTIME64: Option<usize> = None;
    /// `timer_gettime64`.
    pub const TIMER_GETTIME64: Option<usize> = None;
    /// `timer_settime64`.
    pub const TIMER_SETTIME64: Option<usize> = None;
    // Starting and ending processes, for libc-free programs that run others (a PID 1: tests/guest/, examples/pid1/).
    /// `clone`: s390x takes the new stack first and the flags second (`CLONE_BACKWARDS2`).
    pub const CLONE: usize = 120;
    /// `execve`.
    pub const EXECVE: usize = 11;
    /// `wait4`.
    pub const WAIT4: usize = 114;
    /// `kill`.
    pub const KILL: usize = 37;
    /// `setpgid`.
    pub const SETPGID: usize = 57;
    /// `mount`.
    pub const MOUNT: usize = 21;
    /// `mkdirat`.
    pub const MKDIRAT: usize = 289;
    /// `reboot`.
    pub const REBOOT: usize = 88;
    /// `clock_settime`, whose `struct timespec` has 64-bit seconds here (the name says so on every arch).
    pub const CLOCK_SETTIME64: usize = 259;
    /// `clock_nanosleep` (64-bit seconds, as `CLOCK_SETTIME64`).
    pub const CLOCK_NANOSLEEP64: usize = 262;
    // The `svmq` tool's file and process calls.
    /// `ioctl` (the tool: `TCGETS`, whether a descriptor is a terminal).
    pub const IOCTL: usize = 54;
    /// `fcntl` (the tool: `F_GETFL`; 32-bit offsets are all it needs).
    pub const FCNTL: usize = 55;
    /// `ftruncate` (the tool: 32-bit offsets on 32-bit targets, all it needs).
    pub const FTRUNCATE: usize = 93;
    /// `fsync`.
    pub const FSYNC: usize = 118;
    /// `capget`.
    pub const CAPGET: usize = 184;
    /// `unlinkat`.
    pub const UNLINKAT: usize = 294;
    /// `renameat2`.
    pub const RENAMEAT2: usize = 347;
    /// `statx`.
    pub const STATX: usize = 379;
    /// `clock_nanosleep` (on 32-bit targets with 32-bit seconds: the fallback of `CLOCK_NANOSLEEP64` before Linux 5.1).
    pub const CLOCK_NANOSLEEP: usize = 262;
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
pub const MSQID64_DS_LAYOUT: crate::sys::abi::MsqidLayout =
    crate::sys::abi::MsqidLayout { mode_seq: (20, 26), ..crate::sys::abi::GENERIC_64_LAYOUT };

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
///
/// For `#![no_std]` `#![no_main]` binaries linked without a C library (the `svmq` tool): expands to the
/// global `_start` symbol. `$entry` must be an `extern "C" fn(*const usize) -> !` (`unsafe` or not;
/// checked at compile time) taking the initial stack pointer (`argc`, then `argv`, `envp` and the
/// auxiliary vector as the kernel laid them out) and never returning (it ends with `exit_group`).
#[macro_export]
macro_rules! svmq_entry {
    ($entry:path) => {
        const _: unsafe extern "C" fn(*const usize) -> ! = $entry;
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
pub const RESTORER: Option<unsafe extern "C" fn() -> !> = Some(restore_rt);

/// Where a signal handler returns to: `rt_sigreturn` (173).
///
/// # Safety
///
/// Never to be called: only the kernel jumps here, when a handler installed with it returns, with the
/// signal frame it built at the stack pointer.
#[unsafe(naked)]
pub unsafe extern "C" fn restore_rt() -> ! {
    core::arch::naked_asm!("svc 173")
}
