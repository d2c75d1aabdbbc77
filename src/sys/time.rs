//! The clock and the POSIX timers of the deadline calls and the spinning receive: `clock_gettime`,
//! `timer_create`, `timer_settime`, `timer_gettime`, `timer_delete`. Private to the crate.
//!
//! # 64-bit time on 32-bit architectures
//!
//! On i686, armv7 and powerpc the original calls take 32-bit `long` times, and a kernel built without
//! `COMPAT_32BIT_TIME` (which y2038-clean systems may choose) answers them `ENOSYS`. Linux 5.1 added
//! 64-bit versions (`clock_gettime64` 403, `timer_gettime64` 408, `timer_settime64` 409 on all three):
//! svmq calls those first and falls back to the old ones on `ENOSYS` (kernels before 5.1), remembering
//! the answer per call. On 64-bit architectures the original calls take 64-bit times and are the only
//! ones (`nr::*64` are `None` there). `tests/fallback.rs` forces each path with a seccomp filter.
//!
//! # Safety
//!
//! As in the parent module: each wrapper casts its arguments to registers once and decodes the result;
//! the structs handed to the kernel are this module's `repr(C)` ones, of the kernel's layout (asserted
//! below). Every function is async-signal-safe (system calls and a relaxed atomic): the timeout signal's
//! handler uses them.

use super::{RAW_ENOSYS, arch, decode};
use crate::Errno;
use core::ffi::{c_int, c_long};
use core::mem::size_of;
use core::sync::atomic::{AtomicU32, Ordering};

/// `CLOCK_MONOTONIC`.
pub(crate) const CLOCK_MONOTONIC: c_int = 1;
/// `TIMER_ABSTIME`: `timer_settime`'s value is an absolute time.
pub(crate) const TIMER_ABSTIME: c_int = 1;
/// `SIGEV_THREAD_ID`: deliver the timer's signal to one thread.
const SIGEV_THREAD_ID: c_int = 4;

/// `struct __kernel_timespec`: what the 64-bit time calls take (64-bit fields everywhere).
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Timespec64 {
    sec: i64,
    nsec: i64,
}

/// `struct timespec` of the original calls: `long` fields (32-bit on 32-bit architectures).
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct TimespecLong {
    sec: c_long,
    nsec: c_long,
}

/// `struct itimerspec` over either timespec.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct ITimerSpec<T> {
    interval: T,
    value: T,
}

/// A timer setting: period and (first or next) expiry, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TimerSpec {
    /// Period after each expiry (0: one-shot).
    pub(crate) interval_ns: u64,
    /// Expiry: absolute with `TIMER_ABSTIME`, else relative (0 disarms).
    pub(crate) value_ns: u64,
}

const NS: u64 = 1_000_000_000;

impl From<u64> for Timespec64 {
    fn from(ns: u64) -> Self {
        Self { sec: (ns / NS) as i64, nsec: (ns % NS) as i64 }
    }
}

impl From<u64> for TimespecLong {
    /// Saturating where `long` is 32 bits (`CLOCK_MONOTONIC` seconds fit for 68 years of uptime).
    fn from(ns: u64) -> Self {
        Self { sec: c_long::try_from(ns / NS).unwrap_or(c_long::MAX), nsec: (ns % NS) as c_long }
    }
}

/// Nanoseconds from a timespec the kernel wrote (negative fields, which it never writes, count as 0).
fn ns(sec: impl Into<i64>, nsec: impl Into<i64>) -> u64 {
    let (sec, nsec): (i64, i64) = (sec.into(), nsec.into());
    (sec.max(0) as u64).saturating_mul(NS).saturating_add(nsec.max(0) as u64)
}

impl<T: From<u64>> From<TimerSpec> for ITimerSpec<T> {
    fn from(s: TimerSpec) -> Self {
        Self { interval: T::from(s.interval_ns), value: T::from(s.value_ns) }
    }
}

/// Which 64-bit time calls answered `ENOSYS` (bits below): from then on only the old one is made.
static OLD_TIME_ONLY: AtomicU32 = AtomicU32::new(0);
const CLOCK_GETTIME64: u32 = 1;
const TIMER_SETTIME64: u32 = 2;
const TIMER_GETTIME64: u32 = 4;

/// Makes the 64-bit time call `nr` (`None` on 64-bit architectures) with `call`, unless it answered
/// `ENOSYS` before; `None` when the old call must be made instead.
#[inline]
fn try_time64(bit: u32, nr: Option<usize>, call: impl FnOnce(usize) -> usize) -> Option<usize> {
    let n = nr?;
    if OLD_TIME_ONLY.load(Ordering::Relaxed) & bit != 0 {
        return None;
    }
    let ret = call(n);
    if ret as isize == RAW_ENOSYS {
        OLD_TIME_ONLY.fetch_or(bit, Ordering::Relaxed);
        return None;
    }
    Some(ret)
}

/// `clock_gettime(CLOCK_MONOTONIC)` in nanoseconds.
pub(crate) fn monotonic_ns() -> Result<u64, Errno> {
    let mut ts = Timespec64::default();
    let addr = &mut ts as *mut Timespec64 as usize;
    // SAFETY: ts is an exclusive __kernel_timespec, what clock_gettime64 writes.
    if let Some(ret) = try_time64(CLOCK_GETTIME64, arch::nr::CLOCK_GETTIME64, |n| unsafe {
        arch::syscall2(n, CLOCK_MONOTONIC as usize, addr)
    }) {
        return decode(ret).map(|_| ns(ts.sec, ts.nsec));
    }
    let mut ts = TimespecLong::default();
    // SAFETY: ts is an exclusive struct timespec of longs, what clock_gettime writes.
    let ret = unsafe {
        arch::syscall2(arch::nr::CLOCK_GETTIME, CLOCK_MONOTONIC as usize, &mut ts as *mut TimespecLong as usize)
    };
    decode(ret).map(|_| ns(ts.sec, ts.nsec))
}

/// The kernel's `struct sigevent` (64 bytes), with `sigev_notify_thread_id`.
#[repr(C)]
struct SigEvent {
    /// `sigev_value` (a union of int and pointer: pointer-sized).
    value: usize,
    signo: c_int,
    notify: c_int,
    /// `sigev_notify_thread_id` (the start of the kernel's union).
    tid: c_int,
    pad: [c_int; (64 - size_of::<usize>() - 12) / 4],
}

/// `timer_create(clock, {SIGEV_THREAD_ID, signo, tid}, &id)`: a timer whose expiries send `signo` to
/// thread `tid` of this process. Returns the timer id.
pub(crate) fn timer_create_for_thread(clock: c_int, signo: c_int, tid: c_int) -> Result<c_int, Errno> {
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
pub(crate) fn timer_settime(id: c_int, flags: c_int, spec: &TimerSpec) -> Result<(), Errno> {
    let (id, flags) = (id as isize as usize, flags as isize as usize);
    let new64 = ITimerSpec::<Timespec64>::from(*spec);
    // SAFETY: new64 is a live __kernel_itimerspec the kernel only reads; no old value is asked for.
    if let Some(ret) = try_time64(TIMER_SETTIME64, arch::nr::TIMER_SETTIME64, |n| unsafe {
        arch::syscall4(n, id, flags, &new64 as *const ITimerSpec<Timespec64> as usize, 0)
    }) {
        return decode(ret).map(|_| ());
    }
    let new = ITimerSpec::<TimespecLong>::from(*spec);
    // SAFETY: new is a live itimerspec of longs the kernel only reads; no old value is asked for.
    let ret = unsafe {
        arch::syscall4(arch::nr::TIMER_SETTIME, id, flags, &new as *const ITimerSpec<TimespecLong> as usize, 0)
    };
    decode(ret).map(|_| ())
}

/// `timer_gettime(id, &spec)`: the timer's period and the time left to its next expiry (0: disarmed).
pub(crate) fn timer_gettime(id: c_int) -> Result<TimerSpec, Errno> {
    let id = id as isize as usize;
    let mut cur64 = ITimerSpec::<Timespec64>::default();
    let addr = &mut cur64 as *mut ITimerSpec<Timespec64> as usize;
    let gettime64 = |n| {
        // SAFETY: cur64 is an exclusive __kernel_itimerspec the kernel writes.
        unsafe { arch::syscall2(n, id, addr) }
    };
    if let Some(ret) = try_time64(TIMER_GETTIME64, arch::nr::TIMER_GETTIME64, gettime64) {
        return decode(ret).map(|_| TimerSpec {
            interval_ns: ns(cur64.interval.sec, cur64.interval.nsec),
            value_ns: ns(cur64.value.sec, cur64.value.nsec),
        });
    }
    let mut cur = ITimerSpec::<TimespecLong>::default();
    // SAFETY: cur is an exclusive itimerspec of longs the kernel writes.
    let ret =
        unsafe { arch::syscall2(arch::nr::TIMER_GETTIME, id, &mut cur as *mut ITimerSpec<TimespecLong> as usize) };
    decode(ret).map(|_| TimerSpec {
        interval_ns: ns(cur.interval.sec, cur.interval.nsec),
        value_ns: ns(cur.value.sec, cur.value.nsec),
    })
}

/// `timer_delete(id)`.
pub(crate) fn timer_delete(id: c_int) -> Result<(), Errno> {
    // SAFETY: timer_delete takes an integer and touches no user memory.
    let ret = unsafe { arch::syscall1(arch::nr::TIMER_DELETE, id as isize as usize) };
    decode(ret).map(|_| ())
}

const _: () = {
    use core::mem::offset_of;
    let ptr = size_of::<usize>();
    assert!(size_of::<SigEvent>() == 64, "SIGEV_MAX_SIZE");
    assert!(offset_of!(SigEvent, signo) == ptr);
    assert!(offset_of!(SigEvent, notify) == ptr + 4);
    assert!(offset_of!(SigEvent, tid) == ptr + 8);
    assert!(size_of::<Timespec64>() == 16);
    assert!(size_of::<ITimerSpec<Timespec64>>() == 32);
    assert!(size_of::<TimespecLong>() == 2 * size_of::<c_long>());
    assert!(size_of::<ITimerSpec<TimespecLong>>() == 4 * size_of::<c_long>());
    assert!(offset_of!(ITimerSpec<TimespecLong>, value) == 2 * size_of::<c_long>());
    assert!(size_of::<c_int>() == 4, "timer_t is an int");
};

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn kernel_structs_match_libc() {
        assert_eq!(size_of::<SigEvent>(), size_of::<libc::sigevent>());
        assert_eq!(offset_of!(SigEvent, signo), offset_of!(libc::sigevent, sigev_signo));
        assert_eq!(offset_of!(SigEvent, notify), offset_of!(libc::sigevent, sigev_notify));
        assert_eq!(offset_of!(SigEvent, tid), offset_of!(libc::sigevent, sigev_notify_thread_id));
        assert_eq!(size_of::<ITimerSpec<TimespecLong>>(), size_of::<libc::itimerspec>());
        assert_eq!(offset_of!(ITimerSpec<TimespecLong>, value), offset_of!(libc::itimerspec, it_value));
        assert_eq!(
            (SIGEV_THREAD_ID, CLOCK_MONOTONIC, TIMER_ABSTIME),
            (libc::SIGEV_THREAD_ID, libc::CLOCK_MONOTONIC, libc::TIMER_ABSTIME)
        );
    }

    #[test]
    fn conversions() {
        let t = Timespec64::from(3_000_000_007);
        assert_eq!((t.sec, t.nsec), (3, 7));
        let far = TimespecLong::from(u64::MAX);
        // Saturated at LONG_MAX where long is 32 bits.
        assert_eq!(far.sec as u64, (u64::MAX / NS).min(c_long::MAX as u64));
        assert!(far.nsec < 1_000_000_000);
        assert_eq!(ns(2, 5), 2_000_000_005);
        assert_eq!(ns(-1, -1), 0);
    }

    #[test]
    fn a_timer_reads_back_what_was_set() {
        // Armed a day ahead and deleted: it never fires (62: a signal qemu-user can deliver too).
        let id = timer_create_for_thread(CLOCK_MONOTONIC, 62, super::super::signal::gettid()).unwrap();
        let day = 86_400 * NS;
        timer_settime(id, 0, &TimerSpec { interval_ns: 1_000_003, value_ns: day }).unwrap();
        let now = timer_gettime(id).unwrap();
        assert_eq!(now.interval_ns, 1_000_003);
        assert!(now.value_ns <= day && now.value_ns > day - 60 * NS, "{now:?}");
        timer_delete(id).unwrap();
        assert_eq!(timer_gettime(id), Err(Errno::INVAL));
        assert_eq!(timer_delete(id), Err(Errno::INVAL));
        let a = monotonic_ns().unwrap();
        assert!(monotonic_ns().unwrap() >= a);
    }
}
