//! Signals, for the deadline calls ([`Queue::recv_timeout`](crate::Queue::recv_timeout) and the rest)
//! and the spinning receive: one typed wrapper per system call (`rt_sigaction`, `rt_sigprocmask`,
//! `rt_sigpending`, `gettid`), the timeout signal's handler, and the kernel structs they take.
//!
//! Private to the crate but for the plain-data signal set ([`SigSet`], [`sigset_add`], [`sigset_has`]),
//! which `sys` re-exports for programs without libc.
//!
//! # Safety
//!
//! As in the parent module: each wrapper casts its arguments to registers once and decodes the result;
//! references prove the memory the kernel reads or writes. Installing a handler is the one operation no
//! reference can make sound (the kernel jumps to whatever address it is given), so [`rt_sigaction`] is
//! an `unsafe fn`, and [`KSigaction`]'s handler and restorer can only be set here: to `SIG_DFL`,
//! `SIG_IGN`, svmq's own handler with svmq's own restorer, or an action the kernel itself reported.
//! The handler ([`on_timer_signal`]) runs at any point of the thread it interrupts, so it is
//! async-signal-safe: system calls and atomics only, no lock, nothing that unwinds.
//!
//! Everything that differs between architectures is in the first block below ("ARCHITECTURE FACTS"),
//! with the facts for the targets svmq does not build for yet, so that porting means filling in that
//! block only. The structs after it are written with `c_long`/`c_ulong`/`usize` fields, so they have the
//! kernel's layout on 32-bit targets too; the assertions at the end prove it for every build.

use super::time::{self, TimerSpec};
use super::{arch, decode};
use crate::Errno;
use core::ffi::{c_int, c_ulong, c_void};
use core::mem::{offset_of, size_of};

// ================================= ARCHITECTURE FACTS ===================================================
//
// The kernel's `struct sigaction` for rt_sigaction (include/linux/signal_types.h) is
//     { handler: pointer; flags: unsigned long; [restorer: pointer, if the arch defines SA_RESTORER];
//       mask: sigset_t (_NSIG = 64 bits: 2 x u32 on 32-bit targets, 1 x u64 on 64-bit ones) }
// on every architecture below (MIPS, not listed, differs: flags first, 128-bit mask). `siginfo_t`
// (asm-generic/siginfo.h) is `si_signo, si_errno, si_code` (three ints; MIPS swaps the last two), then
// the union at the next pointer-aligned offset (16 on 64-bit targets, 12 on 32-bit ones); a POSIX
// timer's fields in it are `si_tid` (the timer id, an int) and `si_overrun`, then `si_value`.
// SIG_BLOCK = 0 and SIG_SETMASK = 2 on all of them.
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
// System call numbers: each architecture's `nr` module in sys/arch/ (tests/abi.rs compares them with the
// libc crate's); the 64-bit time calls of the 32-bit targets are in sys/time.rs's notes.
// ==========================================================================================================

/// Highest signal number (`_NSIG`) on every target above.
pub(crate) const NSIG: c_int = 64;

/// A signal set as the kernel reads it (`sigset_t` of `rt_sigprocmask` and `rt_sigaction`): 64 bits as
/// `unsigned long` words, one on 64-bit targets, two on 32-bit ones. Build it with [`sigset_add`], read
/// it with [`sigset_has`]; pass `size_of::<SigSet>()` (8) as the system calls' `sigsetsize`.
pub type SigSet = [c_ulong; (NSIG as usize) / (c_ulong::BITS as usize)];

/// The kernel's `struct sigaction` for `rt_sigaction`, field order as on x86_64 and aarch64 (riscv64: no
/// `restorer` field; MIPS: flags first and a 128-bit mask).
///
/// The fields are private: outside this module an action is only ever read, compared, or handed back to
/// the kernel as it reported it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct KSigaction {
    /// `SIG_DFL`, `SIG_IGN` or the handler's address.
    handler: usize,
    /// `SA_*` flags.
    flags: c_ulong,
    /// Where the handler returns to (read with `SA_RESTORER`; riscv64's struct has no such field).
    #[cfg(not(target_arch = "riscv64"))]
    restorer: usize,
    /// Signals blocked while the handler runs.
    mask: SigSet,
}

// ================================= END OF ARCHITECTURE FACTS ============================================

/// `SIG_DFL` as a handler value.
const SIG_DFL: usize = 0;
/// `SIG_IGN` as a handler value.
const SIG_IGN: usize = 1;
/// `SA_RESTART`: restartable system calls interrupted by this handler are restarted (msgsnd/msgrcv
/// never are).
const SA_RESTART: c_ulong = 0x1000_0000;
/// `SA_SIGINFO` (4 on every supported architecture): the kernel builds the rt signal frame, the one that
/// `rt_sigreturn`, and so every restorer in `arch`, unwinds, and passes the `siginfo_t` the handler
/// reads. Without it, i686, armv7 and s390x build the old frame, which only the old `sigreturn` unwinds.
const SA_SIGINFO: c_ulong = 4;
/// `SIG_BLOCK` for `rt_sigprocmask`.
const SIG_BLOCK: usize = 0;
/// `SIG_SETMASK` for `rt_sigprocmask`.
const SIG_SETMASK: usize = 2;
/// `si_code` of a POSIX timer's signal.
const SI_TIMER: c_int = -2;
/// Offset of the `siginfo_t` union (and so of a timer's `si_tid`): after three ints, pointer-aligned.
const SIGINFO_FIELDS: usize = if size_of::<usize>() == 8 { 16 } else { 12 };
/// Offset of `si_code`.
const SIGINFO_CODE: usize = 8;

/// Signal `sig` (1..=64) as (word, bit) of a [`SigSet`]: bit `(sig-1) % BITS` of word `(sig-1) / BITS`, so
/// that on 32-bit big-endian targets it lands where the kernel reads it.
const fn sigset_place(sig: c_int) -> (usize, u32) {
    let bit = sig.wrapping_sub(1) as u32;
    ((bit / c_ulong::BITS) as usize, bit % c_ulong::BITS)
}

/// Whether signal `sig` (1..=64) is in `set`; `false` for a number outside that range.
pub fn sigset_has(set: &SigSet, sig: c_int) -> bool {
    let (word, bit) = sigset_place(sig);
    set.get(word).is_some_and(|w| w >> bit & 1 == 1)
}

/// Adds signal `sig` (1..=64) to `set`; a number outside the range changes nothing.
pub fn sigset_add(set: &mut SigSet, sig: c_int) {
    let (word, bit) = sigset_place(sig);
    if let Some(w) = set.get_mut(word) {
        *w |= 1 << bit;
    }
}

/// What a signal's disposition is, as far as svmq is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Disposition {
    /// `SIG_DFL`.
    Default,
    /// `SIG_IGN`.
    Ignored,
    /// svmq's timeout handler.
    Svmq,
    /// A handler of the application's.
    Application,
}

impl KSigaction {
    fn disposition(&self) -> Disposition {
        match self.handler {
            SIG_DFL => Disposition::Default,
            SIG_IGN => Disposition::Ignored,
            h if h == on_timer_signal as *const () as usize => Disposition::Svmq,
            _ => Disposition::Application,
        }
    }

    /// The disposition svmq installs on its timeout signal: [`on_timer_signal`], `SA_SIGINFO` (the rt
    /// frame its restorer unwinds, and the `siginfo_t` the handler reads), `SA_RESTART` (so that the
    /// signal, should it land in another restartable call, is invisible there), our restorer.
    fn svmq() -> Self {
        KSigaction {
            handler: on_timer_signal as *const () as usize,
            flags: SA_SIGINFO | SA_RESTART | arch::SA_RESTORER,
            #[cfg(not(target_arch = "riscv64"))]
            restorer: arch::RESTORER.map_or(0, |f| f as usize),
            mask: SigSet::default(),
        }
    }
}

/// What [`rt_sigaction`] hands the kernel: the kernel's struct, then one more mask the kernel never
/// touches. qemu-user (7.2) emulates riscv64's `struct sigaction` with an `sa_restorer` the riscv64
/// kernel lacks (32 bytes, the mask at offset 24, not 16): it writes 8 bytes past a kernel-sized old
/// action and reads the new action's mask from there. The slack keeps that write inside our buffer and
/// holds a copy of the mask for that read. The unit tests below detect the emulator's size and say so.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct SigactionBuf {
    action: KSigaction,
    slack: SigSet,
}

/// `rt_sigaction(sig, act, oldact, 8)`: reads and/or sets a signal's disposition.
///
/// # Safety
///
/// A new action `act` makes the kernel jump to its handler (and, where `SA_RESTORER` is honoured, to its
/// restorer) whenever the signal arrives, at any point of any thread: the handler must be `SIG_DFL`,
/// `SIG_IGN`, or an async-signal-safe function of the `sa_sigaction` type for `act`'s flags, and the
/// restorer an `rt_sigreturn`. [`KSigaction::svmq`] and an action the kernel reported for this signal
/// are such actions.
#[inline]
unsafe fn rt_sigaction(sig: c_int, act: Option<&KSigaction>, old: Option<&mut KSigaction>) -> Result<(), Errno> {
    let new = act.map(|a| SigactionBuf { action: *a, slack: a.mask });
    let mut prev = SigactionBuf::default();
    let act_ptr = new.as_ref().map_or(0, |b| b as *const SigactionBuf as usize);
    let old_ptr = if old.is_some() { &mut prev as *mut SigactionBuf as usize } else { 0 };
    // SAFETY: act_ptr (or NULL) is a live SigactionBuf the kernel only reads, whose handler and restorer
    // the caller vouches for; old_ptr (or NULL) an exclusive one it writes plain integers into; both
    // start with the kernel's layout (asserted below) and are larger than it; sigsetsize is 8.
    let ret =
        unsafe { arch::syscall4(arch::nr::RT_SIGACTION, sig as isize as usize, act_ptr, old_ptr, size_of::<SigSet>()) };
    decode(ret)?;
    if let Some(old) = old {
        *old = prev.action;
    }
    Ok(())
}

/// The disposition of `sig` (read only).
pub(crate) fn disposition(sig: c_int) -> Result<Disposition, Errno> {
    let mut now = KSigaction::default();
    // SAFETY: no new action: the disposition is only read.
    unsafe { rt_sigaction(sig, None, Some(&mut now))? };
    Ok(now.disposition())
}

/// Makes sure `sig` carries svmq's handler: installs it over `SIG_DFL`, refuses anything else (`EBUSY`).
///
/// `rt_sigaction` swaps the disposition atomically and reports the one it replaced, so two svmq threads
/// installing at once both succeed (same handler), and an application handler that appeared between the
/// check and the install is put back at once, with `EBUSY`.
pub(crate) fn claim(sig: c_int) -> Result<(), Errno> {
    match disposition(sig)? {
        Disposition::Svmq => return Ok(()),
        Disposition::Default => {}
        Disposition::Ignored | Disposition::Application => return Err(Errno::BUSY),
    }
    let mut replaced = KSigaction::default();
    // SAFETY: svmq's own action: an async-signal-safe SA_SIGINFO handler and this architecture's
    // rt_sigreturn restorer.
    unsafe { rt_sigaction(sig, Some(&KSigaction::svmq()), Some(&mut replaced))? };
    if matches!(replaced.disposition(), Disposition::Default | Disposition::Svmq) {
        return Ok(());
    }
    // Lost a race with the application: give it its action back.
    // SAFETY: the action the kernel just reported for this signal, handed back unchanged.
    let _ = unsafe { rt_sigaction(sig, Some(&replaced), None) };
    Err(Errno::BUSY)
}

/// `rt_sigprocmask(how, set, old, 8)`.
fn sigprocmask(how: usize, set: Option<&SigSet>, old: Option<&mut SigSet>) -> Result<(), Errno> {
    let set_ptr = set.map_or(0, |s| s.as_ptr() as usize);
    let old_ptr = old.map_or(0, |o| o.as_mut_ptr() as usize);
    // SAFETY: set (or NULL) is a live 8-byte sigset the kernel reads; old (or NULL) an exclusive one it
    // writes. Changing the mask is memory-safe.
    let ret = unsafe { arch::syscall4(arch::nr::RT_SIGPROCMASK, how, set_ptr, old_ptr, size_of::<SigSet>()) };
    decode(ret).map(|_| ())
}

/// `rt_sigpending(&set, 8)`: the signals pending for this thread (its own and the process's).
fn sigpending() -> Result<SigSet, Errno> {
    let mut set = SigSet::default();
    // SAFETY: set is an exclusive 8-byte sigset the kernel writes.
    let ret = unsafe { arch::syscall2(arch::nr::RT_SIGPENDING, set.as_mut_ptr() as usize, size_of::<SigSet>()) };
    decode(ret).map(|_| set)
}

/// Every signal blocked in the calling thread, for a few system calls, and the mask it had put back on
/// drop (`rt_sigprocmask(SIG_SETMASK)`: exactly the mask the thread had).
///
/// It closes a gap of the calls that try, then wait: a signal of the application's that arrives between
/// a non-blocking attempt and the blocking call would be handled there and interrupt nothing, and the
/// call would then sleep as if it had never come, where a plain blocking `msgrcv` would have returned
/// `EINTR`. Blocked, such a signal stays pending; [`interrupting_signal_pending`] finds it before the
/// call blocks, and it is delivered (its handler runs) when the mask is put back.
///
/// [`interrupting_signal_pending`]: Self::interrupting_signal_pending
pub(crate) struct SignalsHeld {
    old: SigSet,
}

impl SignalsHeld {
    /// Blocks every signal (the kernel leaves `SIGKILL` and `SIGSTOP` alone).
    pub(crate) fn hold() -> Result<Self, Errno> {
        let mut old = SigSet::default();
        sigprocmask(SIG_BLOCK, Some(&[c_ulong::MAX; size_of::<SigSet>() / size_of::<c_ulong>()]), Some(&mut old))?;
        Ok(Self { old })
    }

    /// The thread's mask before [`hold`](Self::hold).
    pub(crate) fn old(&self) -> &SigSet {
        &self.old
    }

    /// Whether a signal that was not blocked before, other than `except`, is pending with a handler of
    /// the application's: a signal that would have made a blocking `msgrcv`/`msgsnd` return `EINTR`.
    /// (Ignored ones, and those whose default action ignores, stops or ends the process, would not have.)
    /// An error reading the state counts as no.
    pub(crate) fn interrupting_signal_pending(&self, except: c_int) -> bool {
        let Ok(pending) = sigpending() else { return false };
        (1..=NSIG).any(|s| {
            s != except
                && sigset_has(&pending, s)
                && !sigset_has(&self.old, s)
                && disposition(s) == Ok(Disposition::Application)
        })
    }
}

impl Drop for SignalsHeld {
    fn drop(&mut self) {
        // Pending signals are delivered as this returns. It cannot fail with a valid set.
        let _ = sigprocmask(SIG_SETMASK, Some(&self.old), None);
    }
}

/// `gettid()`: the calling thread's id.
#[inline]
pub(crate) fn gettid() -> c_int {
    // SAFETY: gettid takes no arguments and cannot fail.
    unsafe { arch::syscall0(arch::nr::GETTID) as c_int }
}

/// After the deadline, the timer fires again every 1 ms (a *tick*) while the call may still be on its
/// way into the kernel; see [`on_timer_signal`].
pub(crate) const TICK_NS: u64 = 1_000_000;

/// The most signals one deadline timer sends: at the deadline and at most `TIMER_SIGNALS - 1` ticks
/// after it; the handler deletes the timer at the last. See [`on_timer_signal`].
pub(crate) const TIMER_SIGNALS: u64 = 5;

/// The timer setting that says "`left` more signals": a period of [`TICK_NS`] + `left` ns. The count
/// lives in the kernel's timer, not in memory: the handler needs nothing of the call that armed it,
/// which may be gone (left by `siglongjmp`).
const fn ticking(left: u64, value_ns: u64) -> TimerSpec {
    TimerSpec { interval_ns: TICK_NS + left, value_ns }
}

/// The count [`ticking`] stored in a timer's period, if it is one of ours.
const fn ticks_left(spec: &TimerSpec) -> Option<u64> {
    match spec.interval_ns.checked_sub(TICK_NS) {
        Some(left) if left >= 1 && left <= TIMER_SIGNALS => Some(left),
        _ => None,
    }
}

/// Arms timer `id` to signal at `deadline_ns` (`CLOCK_MONOTONIC`, absolute), then tick by tick, at most
/// [`TIMER_SIGNALS`] times in all.
pub(crate) fn arm_deadline(id: c_int, deadline_ns: u64) -> Result<(), Errno> {
    time::timer_settime(id, time::TIMER_ABSTIME, &ticking(TIMER_SIGNALS, deadline_ns))
}

/// svmq's handler for its timeout signal: the signal's purpose is its side effect, a blocked
/// `msgrcv`/`msgsnd` returning `EINTR`. Besides, it bounds the timer that sent it.
///
/// The deadline call arms its timer, checks the clock, then blocks; an expiry landing between the check
/// and the moment the thread sleeps in the kernel runs this handler in user space and interrupts nothing.
/// So each signal re-arms the timer one tick later, for the next one to interrupt the call, now asleep.
/// A call that returns deletes its timer. A call the application left with `siglongjmp` (from a handler
/// of its own that interrupted it) cannot: its timer then sends at most [`TIMER_SIGNALS`] signals, one
/// tick apart, and this handler deletes it at the last (the count is kept in the timer's period, see
/// [`ticking`]). Everything here is a system call on this frame's memory: async-signal-safe, no lock.
///
/// Signals of this number that a timer of svmq's did not send (`kill`, another process's `sigqueue`, a
/// timer already deleted) are recognised and left alone: `si_code` is not `SI_TIMER`, or the timer no
/// longer exists, or its period is not one [`ticking`] sets. Timer ids are not reused until 2^31 more
/// timers have been made (Linux 3.10+ counts them up per process), so a late signal never names another
/// timer.
extern "C" fn on_timer_signal(_sig: c_int, info: *mut c_void, _context: *mut c_void) {
    if info.is_null() {
        return;
    }
    // SAFETY: with SA_SIGINFO the kernel passes a valid siginfo_t (128 bytes) for the handler's duration;
    // si_code and, for a timer, si_tid are ints at these offsets on every supported architecture
    // (ARCHITECTURE FACTS above).
    let (code, timer) = unsafe {
        let base = info.cast::<u8>();
        (base.add(SIGINFO_CODE).cast::<c_int>().read(), base.add(SIGINFO_FIELDS).cast::<c_int>().read())
    };
    if code != SI_TIMER {
        return;
    }
    let Ok(now) = time::timer_gettime(timer) else { return };
    match ticks_left(&now) {
        None => {}
        Some(left) if left > 1 => {
            let _ = time::timer_settime(timer, 0, &ticking(left - 1, TICK_NS));
        }
        Some(_) => {
            let _ = time::timer_delete(timer);
        }
    }
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
    assert!(SIGINFO_FIELDS == 3 * size_of::<c_int>() + (ptr - 3 * size_of::<c_int>() % ptr) % ptr);
    assert!(TIMER_SIGNALS >= 2 && TIMER_SIGNALS < TICK_NS);
};

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
        for out in [0, -1, 65, c_int::MIN] {
            sigset_add(&mut set, out);
            assert!(!sigset_has(&set, out));
        }
        assert_eq!(set, before, "out of range: nothing changes");
    }

    #[test]
    fn the_signal_count_lives_in_the_period() {
        let spec = ticking(TIMER_SIGNALS, 42);
        assert_eq!(ticks_left(&spec), Some(TIMER_SIGNALS));
        assert_eq!(ticks_left(&ticking(1, 0)), Some(1));
        for other in [0, 1, TICK_NS, TICK_NS + TIMER_SIGNALS + 1, 5_000_000] {
            assert_eq!(ticks_left(&TimerSpec { interval_ns: other, value_ns: 1 }), None, "{other}");
        }
    }

    #[test]
    fn kernel_structs_match_libc() {
        // glibc's struct sigaction is not the kernel's (its mask is 128 bytes). The kernel's: handler,
        // flags, restorer (none on riscv64), 8-byte mask.
        let kernel = if cfg!(target_arch = "riscv64") {
            24
        } else if cfg!(target_pointer_width = "64") {
            32
        } else {
            20
        };
        assert_eq!(size_of::<KSigaction>(), kernel);
        assert_eq!(SA_RESTART as libc::c_int, libc::SA_RESTART);
        assert_eq!(SA_SIGINFO as libc::c_int, libc::SA_SIGINFO);
        assert_eq!((SIG_DFL, SIG_IGN), (libc::SIG_DFL, libc::SIG_IGN));
        assert_eq!((SIG_BLOCK, SIG_SETMASK), (libc::SIG_BLOCK as usize, libc::SIG_SETMASK as usize));
        assert_eq!(SI_TIMER, libc::SI_TIMER);
        assert_eq!(size_of::<libc::siginfo_t>(), 128);
        // libc's siginfo_t exposes the union only through accessors: si_value sits 8 bytes into the
        // timer fields (after si_tid and si_overrun), and libc's si_value() reads it there.
        // SAFETY: siginfo_t is plain integers: all zeros is a valid value.
        let mut info: libc::siginfo_t = unsafe { core::mem::zeroed() };
        let base = (&mut info as *mut libc::siginfo_t).cast::<u8>();
        // SAFETY: writing a pointer-sized value inside the 128-byte siginfo_t.
        unsafe { base.add(SIGINFO_FIELDS + 8).cast::<usize>().write_unaligned(0x5eed) };
        // SAFETY: reading the union as the libc crate defines it.
        assert_eq!(unsafe { info.si_value() }.sival_ptr as usize, 0x5eed);
        assert_eq!(offset_of!(libc::siginfo_t, si_code), SIGINFO_CODE);
    }

    #[test]
    fn rt_sigaction_writes_no_more_than_the_kernel_struct() {
        // The kernel writes exactly its struct sigaction (KSigaction) as the old action. qemu-user 7.2's
        // riscv64 emulation writes 32 bytes, an sa_restorer the riscv64 kernel does not have included:
        // SigactionBuf has room for that; here it is measured and named.
        const FILL: u8 = 0xa5;
        let size = size_of::<KSigaction>();
        let mut buf = [FILL; 64];
        // SAFETY: reading SIGUSR2's disposition into a 64-byte buffer, larger than any struct sigaction.
        let r = unsafe {
            libc::syscall(libc::SYS_rt_sigaction, libc::SIGUSR2, core::ptr::null::<u8>(), buf.as_mut_ptr(), 8)
        };
        assert_eq!(r, 0);
        let written = buf.iter().rposition(|&b| b != FILL).map_or(0, |i| i + 1);
        // The default disposition is all zeros (SIG_DFL, no flags, empty mask): every written byte shows.
        if written > size && !cfg!(any(target_arch = "x86_64", target_arch = "x86")) {
            eprintln!(
                "NOTE: emulator: rt_sigaction wrote {written} bytes of the old action, the kernel's struct \
                 sigaction is {size} (qemu's has an sa_restorer, the mask 8 bytes later); svmq's buffers have \
                 room for it"
            );
        } else {
            assert_eq!(written, size, "the old action's bytes, all zero for SIG_DFL");
        }
    }

    #[test]
    fn dispositions_read_back() {
        assert_eq!(disposition(libc::SIGKILL), Ok(Disposition::Default));
        assert_eq!(disposition(0), Err(Errno::INVAL));
        assert_eq!(disposition(65), Err(Errno::INVAL));
    }
    static HANDLED: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);
    extern "C" fn count(_: c_int) {
        HANDLED.fetch_add(1, core::sync::atomic::Ordering::SeqCst);
    }

    /// The deadline calls (src/timed.rs) hold signals with [`SignalsHeld`] while they set their timer up.
    #[test]
    fn a_signal_arriving_during_a_deadline_calls_setup_is_eintr_not_a_wait() {
        // SIGUSR2 with a handler arrives after the first attempt and before the blocking call: a blocking
        // msgrcv would have returned EINTR for it. The call returns EINTR at once (not after 20 s), and
        // the handler has run by then. Raised from the test thread itself (tgkill), in a forked child so
        // that the process-wide handler disturbs no other test.
        // SAFETY: fork; the child makes raw system calls only and leaves with _exit.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // SAFETY: installing a handler that only touches an atomic, in the single-threaded child.
            unsafe {
                let mut sa: libc::sigaction = core::mem::zeroed();
                sa.sa_sigaction = count as *const () as usize;
                libc::sigaction(libc::SIGUSR2, &sa, core::ptr::null_mut());
            }
            let mut calls = 0;
            let start = std::time::Instant::now();
            let r = crate::timed::with_deadline_and(
                0,
                20_000_000_000,
                Errno::NOMSG,
                |_| {
                    calls += 1;
                    Err(Errno::NOMSG)
                },
                // SAFETY: a signal to this very thread.
                || unsafe {
                    libc::syscall(libc::SYS_tgkill, libc::getpid(), libc::gettid(), libc::SIGUSR2);
                },
            );
            let ok = r == Err(Errno::INTR)
                && calls == 1
                && HANDLED.load(core::sync::atomic::Ordering::SeqCst) == 1
                && start.elapsed() < std::time::Duration::from_secs(5);
            // SAFETY: leaving the child.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) };
        }
        let mut status = 0;
        // SAFETY: waiting for our child.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "status {status:#x}");
    }
}
