//! Signals and POSIX timers, for the deadline calls
//! ([`Queue::recv_timeout`](crate::Queue::recv_timeout) and the rest): one typed wrapper per system
//! call (`rt_sigaction`, `rt_sigprocmask`, `gettid`, `timer_create`, `timer_settime`, `timer_delete`),
//! the kernel structs they take, the do-nothing handler and the `rt_sigreturn` restorer.
//!
//! # Safety
//!
//! As in the parent module: each wrapper casts its arguments to registers once and decodes the result;
//! references prove the memory the kernel reads or writes. The restorer is a naked function the kernel
//! jumps to when the handler returns; it is never called from Rust.
//!
//! Everything that differs between architectures is in the first block below ("ARCHITECTURE FACTS"),
//! with the facts for the targets svmq does not build for yet, so that porting means filling in that
//! block only. The structs after it are written with `c_long`/`c_ulong`/`usize` fields, so they have the
//! kernel's layout on 32-bit targets too; the assertions at the end prove it for every build.

use super::decode;
use crate::Errno;
use core::ffi::{c_int, c_long, c_ulong};
use core::mem::{offset_of, size_of};

// ================================= ARCHITECTURE FACTS ===================================================
//
// The kernel's `struct sigaction` for rt_sigaction (include/linux/signal_types.h) is
//     { handler: pointer; flags: unsigned long; [restorer: pointer, if the arch defines SA_RESTORER];
//       mask: sigset_t (_NSIG = 64 bits: 2 x u32 on 32-bit targets, 1 x u64 on 64-bit ones) }
// on every architecture below (MIPS, not listed, differs: flags first, 128-bit mask). `sigevent` is 64
// bytes everywhere: sigval (pointer-sized), signo, notify, then the thread id (offset 16 on 64-bit
// targets, 12 on 32-bit ones). SIG_BLOCK = 0 on all of them (unused here: the mask is only read).
//
// | arch     | sigaction bytes | SA_RESTORER           | restorer used by the kernel?                     | our restorer               |
// |----------|-----------------|-----------------------|--------------------------------------------------|----------------------------|
// | x86_64   | 32 (h,f,r,m)    | 0x04000000            | REQUIRED (no restorer: the handler's return faults)| mov eax,15; syscall       |
// | aarch64  | 32 (h,f,r,m)    | 0x04000000            | yes if set; else the vDSO's __kernel_rt_sigreturn | mov x8,#139; svc #0        |
// | i686     | 20 (h,f,r,m)    | 0x04000000            | yes if set; else the vDSO's __kernel_rt_sigreturn | mov eax,173; int 0x80      |
// | armv7    | 20 (h,f,r,m)    | 0x04000000            | yes if set; else the kernel's sigpage trampoline  | mov r7,#173; svc 0 (ARM mode, not Thumb) |
// | riscv64  | 24 (h,f,m)      | none (no field)       | never: always the vDSO's __vdso_rt_sigreturn      | none                       |
// | powerpc  | 20 (h,f,r,m)    | 0x04000000 (defined)  | IGNORED: vDSO sigtramp_rt32, or a stack trampoline| none (field kept, zero)    |
// | s390x    | 32 (h,f,r,m)    | 0x04000000            | yes if set; else vDSO (older kernels: svc on stack)| svc 173                   |
//
// System call numbers (cross headers /usr/<triple>/include/asm/unistd*.h; armv7 = EABI, base 0):
//
// | arch     | timer_create | timer_settime | timer_settime64 | timer_delete | rt_sigaction | rt_sigprocmask | gettid | rt_sigreturn | clock_gettime | clock_gettime64 |
// |----------|--------------|---------------|-----------------|--------------|--------------|----------------|--------|--------------|---------------|-----------------|
// | x86_64   | 222          | 223           | -               | 226          | 13           | 14             | 186    | 15           | 228           | -               |
// | aarch64  | 107          | 110           | -               | 111          | 134          | 135            | 178    | 139          | 113           | -               |
// | i686     | 259          | 260           | 409             | 263          | 174          | 175            | 224    | 173          | 265           | 403             |
// | armv7    | 257          | 258           | 409             | 261          | 174          | 175            | 224    | 173          | 263           | 403             |
// | riscv64  | 107          | 110           | -               | 111          | 134          | 135            | 178    | 139          | 113           | -               |
// | powerpc  | 240          | 241           | 409             | 244          | 173          | 174            | 207    | 172          | 246           | 403             |
// | s390x    | 254          | 255           | -               | 258          | 174          | 175            | 236    | 173          | 260           | -               |
//
// 32-bit targets: `timer_settime` takes the old itimerspec of two 32-bit `long` timespecs, which is what
// `ITimerSpec` below is there (c_long fields); CLOCK_MONOTONIC seconds fit in 32 bits for 68 years of
// uptime. Kernels built without COMPAT_32BIT_TIME lack it (ENOSYS): use timer_settime64 (409, 64-bit
// fields) first and fall back to timer_settime on ENOSYS. Same for clock_gettime64 (403).
// ==========================================================================================================

// The restorer (`restore_rt`) and `SA_RESTORER` of each architecture are in its file in sys/arch/.
use super::arch;

/// Highest signal number (`_NSIG`) on every target above.
pub const NSIG: c_int = 64;

/// The kernel's `sigset_t`: 64 bits as `unsigned long` words.
pub type SigSet = [c_ulong; (NSIG as usize) / (c_ulong::BITS as usize)];

/// The kernel's `struct sigaction` for `rt_sigaction`, field order as on x86_64 and aarch64 (riscv64: no
/// `restorer` field; MIPS: flags first and a 128-bit mask).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KSigaction {
    /// `SIG_DFL`, `SIG_IGN` or the handler's address.
    pub handler: usize,
    /// `SA_*` flags.
    pub flags: c_ulong,
    /// Where the handler returns to (read with `SA_RESTORER`; riscv64's struct has no such field).
    #[cfg(not(target_arch = "riscv64"))]
    pub restorer: usize,
    /// Signals blocked while the handler runs.
    pub mask: SigSet,
}

// ================================= END OF ARCHITECTURE FACTS ============================================

/// `SIG_DFL` as a handler value.
pub const SIG_DFL: usize = 0;
/// `SIG_IGN` as a handler value.
pub const SIG_IGN: usize = 1;
/// `SA_RESTART`: restartable system calls interrupted by this handler are restarted (msgsnd/msgrcv
/// never are).
pub const SA_RESTART: c_ulong = 0x1000_0000;
/// `SA_SIGINFO` (4 on every supported architecture): the kernel builds the rt signal frame, the one that
/// `rt_sigreturn`, and so every restorer in `arch`, unwinds. Without it, i686, armv7 and s390x build the
/// old frame, which only the old `sigreturn` unwinds.
pub const SA_SIGINFO: c_ulong = 4;
/// `CLOCK_MONOTONIC`.
pub const CLOCK_MONOTONIC: c_int = 1;
/// `TIMER_ABSTIME`: `timer_settime`'s value is an absolute time.
pub const TIMER_ABSTIME: c_int = 1;
/// `SIGEV_THREAD_ID`: deliver the timer's signal to one thread.
pub const SIGEV_THREAD_ID: c_int = 4;

/// Signal `sig` (1..=64) as (word, bit) of a [`SigSet`]: bit `(sig-1) % BITS` of word `(sig-1) / BITS`, so
/// that on 32-bit big-endian targets it lands where the kernel reads it.
const fn sigset_place(sig: c_int) -> (usize, u32) {
    let bit = (sig - 1) as u32;
    ((bit / c_ulong::BITS) as usize, bit % c_ulong::BITS)
}

/// Whether `sig` (1..=64) is in `set`.
pub fn sigset_has(set: &SigSet, sig: c_int) -> bool {
    let (word, bit) = sigset_place(sig);
    set.get(word).is_some_and(|w| w >> bit & 1 == 1)
}

/// Adds `sig` (1..=64) to `set`; a number outside the range changes nothing.
pub fn sigset_add(set: &mut SigSet, sig: c_int) {
    let (word, bit) = sigset_place(sig);
    if let Some(w) = set.get_mut(word) {
        *w |= 1 << bit;
    }
}

/// The kernel's `struct sigevent`, with `sigev_notify_thread_id`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigEvent {
    /// `sigev_value` (a union of int and pointer: pointer-sized).
    pub value: usize,
    /// `sigev_signo`.
    pub signo: c_int,
    /// `sigev_notify`.
    pub notify: c_int,
    /// `sigev_notify_thread_id` (the start of the kernel's union).
    pub tid: c_int,
    pad: [c_int; (64 - size_of::<usize>() - 12) / 4],
}

/// `struct timespec` as the non-64 timer calls take it: `long` seconds and nanoseconds.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KTimespec {
    /// Seconds.
    pub sec: c_long,
    /// Nanoseconds.
    pub nsec: c_long,
}

/// `struct itimerspec`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ITimerSpec {
    /// Period after the first expiry (zero: one-shot).
    pub interval: KTimespec,
    /// First expiry.
    pub value: KTimespec,
}

const _: () = {
    let ptr = size_of::<usize>();
    let long = size_of::<c_ulong>();
    assert!(size_of::<SigSet>() == 8, "_NSIG / 8");
    assert!(offset_of!(KSigaction, handler) == 0);
    assert!(offset_of!(KSigaction, flags) == ptr);
    #[cfg(not(target_arch = "riscv64"))]
    {
        assert!(offset_of!(KSigaction, restorer) == ptr + long);
        assert!(offset_of!(KSigaction, mask) == 2 * ptr + long);
        assert!(size_of::<KSigaction>() == 2 * ptr + long + 8);
    }
    #[cfg(target_arch = "riscv64")]
    assert!(offset_of!(KSigaction, mask) == ptr + long);
    assert!(size_of::<SigEvent>() == 64, "SIGEV_MAX_SIZE");
    assert!(offset_of!(SigEvent, signo) == ptr);
    assert!(offset_of!(SigEvent, notify) == ptr + 4);
    assert!(offset_of!(SigEvent, tid) == ptr + 8);
    assert!(size_of::<KTimespec>() == 2 * long);
    assert!(size_of::<ITimerSpec>() == 4 * long);
    assert!(offset_of!(ITimerSpec, value) == 2 * long);
    assert!(size_of::<c_int>() == 4, "timer_t is an int");
};

/// Our handler: does nothing. Its only effect is that a blocked `msgrcv`/`msgsnd` returns `EINTR`.
extern "C" fn on_timer_signal(_sig: c_int, _info: *mut core::ffi::c_void, _context: *mut core::ffi::c_void) {}

/// The disposition svmq installs on its timeout signal: the empty handler, `SA_SIGINFO` (the rt frame its
/// restorer unwinds), `SA_RESTART` (so that the signal, should it land in another restartable call, is
/// invisible there), our restorer.
pub fn timer_action() -> KSigaction {
    KSigaction {
        handler: on_timer_signal as *const () as usize,
        flags: SA_SIGINFO | SA_RESTART | arch::SA_RESTORER,
        #[cfg(not(target_arch = "riscv64"))]
        restorer: arch::RESTORER.map_or(0, |f| f as usize),
        mask: SigSet::default(),
    }
}

/// Whether `action` is the one [`timer_action`] installs.
pub fn is_timer_action(action: &KSigaction) -> bool {
    action.handler == on_timer_signal as *const () as usize
}

/// What [`rt_sigaction`] hands the kernel: the kernel's struct, then one more mask the kernel never
/// touches. qemu-user (7.2) emulates riscv64's `struct sigaction` with an `sa_restorer` the riscv64
/// kernel lacks (32 bytes, the mask at offset 24, not 16): it writes 8 bytes past a kernel-sized old
/// action and reads the new action's mask from there. The slack keeps that write inside our buffer and
/// holds a copy of the mask for that read. tests/abi.rs detects the emulator's size and says so.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct SigactionBuf {
    action: KSigaction,
    slack: SigSet,
}

/// `rt_sigaction(sig, act, oldact, 8)`: reads and/or sets a signal's disposition.
#[inline]
pub fn rt_sigaction(sig: c_int, act: Option<&KSigaction>, old: Option<&mut KSigaction>) -> Result<(), Errno> {
    let new = act.map(|a| SigactionBuf { action: *a, slack: a.mask });
    let mut prev = SigactionBuf::default();
    let act_ptr = new.as_ref().map_or(0, |b| b as *const SigactionBuf as usize);
    let old_ptr = if old.is_some() { &mut prev as *mut SigactionBuf as usize } else { 0 };
    // SAFETY: act_ptr (or NULL) is a live SigactionBuf the kernel only reads; old_ptr (or NULL) an
    // exclusive one it writes plain integers into; both start with the kernel's layout (asserted above)
    // and are larger than it; sigsetsize is 8.
    let ret =
        unsafe { arch::syscall4(arch::nr::RT_SIGACTION, sig as isize as usize, act_ptr, old_ptr, size_of::<SigSet>()) };
    decode(ret)?;
    if let Some(old) = old {
        *old = prev.action;
    }
    Ok(())
}

/// `rt_sigprocmask(SIG_BLOCK, NULL, &old, 8)`: the calling thread's signal mask, unchanged.
#[inline]
pub fn thread_sigmask() -> Result<SigSet, Errno> {
    let mut old = SigSet::default();
    // SAFETY: with a NULL new set the kernel only writes the current mask into `old`, 8 bytes.
    let ret = unsafe { arch::syscall4(arch::nr::RT_SIGPROCMASK, 0, 0, old.as_mut_ptr() as usize, size_of::<SigSet>()) };
    decode(ret).map(|_| old)
}

/// `gettid()`: the calling thread's id.
#[inline]
pub fn gettid() -> c_int {
    // SAFETY: gettid takes no arguments and cannot fail.
    unsafe { arch::syscall0(arch::nr::GETTID) as c_int }
}

/// `timer_create(clock, {SIGEV_THREAD_ID, signo, tid}, &id)`: a timer whose expiries send `signo` to
/// thread `tid` of this process. Returns the timer id.
#[inline]
pub fn timer_create_for_thread(clock: c_int, signo: c_int, tid: c_int) -> Result<c_int, Errno> {
    let ev = SigEvent { value: 0, signo, notify: SIGEV_THREAD_ID, tid, pad: [0; (64 - size_of::<usize>() - 12) / 4] };
    let mut id: c_int = -1;
    // SAFETY: ev is a live 64-byte sigevent the kernel reads; id an exclusive int it writes.
    let ret = unsafe {
        arch::syscall3(
            arch::nr::TIMER_CREATE,
            clock as isize as usize,
            &ev as *const SigEvent as usize,
            &mut id as *mut c_int as usize,
        )
    };
    decode(ret).map(|_| id)
}

/// `timer_settime(id, flags, spec, NULL)`.
#[inline]
pub fn timer_settime(id: c_int, flags: c_int, spec: &ITimerSpec) -> Result<(), Errno> {
    // SAFETY: spec is a live itimerspec of the kernel's layout (asserted above), only read; no old value.
    let ret = unsafe {
        arch::syscall4(
            arch::nr::TIMER_SETTIME,
            id as isize as usize,
            flags as isize as usize,
            spec as *const ITimerSpec as usize,
            0,
        )
    };
    decode(ret).map(|_| ())
}

/// `timer_delete(id)`.
#[inline]
pub fn timer_delete(id: c_int) -> Result<(), Errno> {
    // SAFETY: timer_delete takes an integer and touches no user memory.
    let ret = unsafe { arch::syscall1(arch::nr::TIMER_DELETE, id as isize as usize) };
    decode(ret).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigset_add_sets_the_bit_sigset_has_reads() {
        let mut set = SigSet::default();
        for sig in [1, 13, 32, 33, 64] {
            assert!(!sigset_has(&set, sig));
            sigset_add(&mut set, sig);
            assert!(sigset_has(&set, sig), "signal {sig}");
        }
        // SIGPIPE (13) is bit 12 of the first word on every target, whatever the word size or byte order.
        assert_eq!(set[0] & 0x1fff, 1 | 1 << 12);
        let before = set;
        sigset_add(&mut set, 65);
        assert_eq!(set, before, "out of range: nothing changes");
        assert!(!sigset_has(&set, 65));
    }
}
