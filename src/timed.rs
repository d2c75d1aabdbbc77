//! Deadline receive and send: `msgrcv`/`msgsnd` that give up with `ETIMEDOUT` after a time.
//!
//! System V queues have no timed calls. svmq makes one from a blocking call and a per-call POSIX timer
//! that interrupts it:
//!
//! 1. one `IPC_NOWAIT` attempt: when a message (or room) is there, the call costs nothing more;
//! 2. a timeout of 0 stops there (`ETIMEDOUT`);
//! 3. otherwise the deadline is `CLOCK_MONOTONIC` now + timeout, and a timer is made for this call only:
//!    `timer_create(CLOCK_MONOTONIC)` with `SIGEV_THREAD_ID` (its signal goes to the calling thread and
//!    no other), armed at the absolute deadline and then every [`TICK_NS`]. The repetition covers the
//!    one race: an expiry that lands after the timer is armed but before the call has gone to sleep
//!    in the kernel runs the handler in user space and interrupts nothing; the next tick does;
//! 4. the blocking call; a handled signal makes the kernel return `EINTR` (msgrcv and msgsnd are never
//!    restarted after a handler), and a message handed over before that is returned, never dropped;
//! 5. the timer is deleted; `EINTR` with the deadline passed is `ETIMEDOUT`, before it the signal was
//!    the application's own and stays `EINTR`.
//!
//! The signal (default [`DEFAULT_TIMEOUT_SIGNAL`], chosen with [`set_timeout_signal`]) gets an empty
//! handler the first time it is needed, and only if its disposition is `SIG_DFL`: a handler that is not
//! ours, `SIG_IGN`, or the signal blocked in the calling thread is `EBUSY`, checked on every call that
//! has to wait. svmq never changes a mask and never touches any other signal.

use crate::message::{Message, MsgType, RecvFlags, Select, SendFlags};
use crate::queue::Queue;
use crate::sys::abi::{self, Frame};
use crate::sys::signal as sig;
use crate::{Errno, sys};
use core::ffi::c_int;
use core::sync::atomic::{AtomicI32, Ordering};
use core::time::Duration;

/// The signal the timers use unless [`set_timeout_signal`] chose another: 62, `SIGRTMAX - 2`.
///
/// Real-time signals have no meaning of their own and the C libraries reserve only the lowest ones
/// (32-34). The top two are taken by tools a program may run under: valgrind keeps 64 (`SIGRTMAX`) for
/// itself, and qemu-user has no host signal for 63 and 64 (`timer_create` answers `EINVAL` there).
pub const DEFAULT_TIMEOUT_SIGNAL: i32 = 62;

/// After the deadline, the timer fires again every 1 ms until the call has returned.
pub const TICK_NS: u64 = 1_000_000;

static TIMEOUT_SIGNAL: AtomicI32 = AtomicI32::new(DEFAULT_TIMEOUT_SIGNAL);

/// The signal the deadline calls use to interrupt a blocked call (see [`set_timeout_signal`]).
pub fn timeout_signal() -> i32 {
    TIMEOUT_SIGNAL.load(Ordering::Relaxed)
}

/// Chooses the signal the deadline calls use (default [`DEFAULT_TIMEOUT_SIGNAL`], 62): any signal the
/// application does not use, preferably a real-time one (`SIGRTMIN`..=`SIGRTMAX`, 34..=64 with glibc).
///
/// svmq installs an empty handler on it now (`SA_RESTART`, so the signal restarts any other call it
/// might land in) and leaves it installed: a timer signal still in flight must never meet `SIG_DFL`,
/// which would end the process. The previous signal keeps svmq's handler too.
///
/// # Errors
///
/// `EBUSY` if the signal has a disposition that is not `SIG_DFL` nor svmq's (a handler of the
/// application, or `SIG_IGN`): svmq never replaces one. `EINVAL` outside `1..=64`, and for `SIGKILL`
/// and `SIGSTOP`.
pub fn set_timeout_signal(signo: i32) -> Result<(), Errno> {
    if !(1..=sig::NSIG).contains(&signo) {
        return Err(Errno::INVAL);
    }
    claim(signo)?;
    TIMEOUT_SIGNAL.store(signo, Ordering::Relaxed);
    Ok(())
}

/// Makes sure `signo` carries svmq's handler: installs it over `SIG_DFL`, refuses anything else.
///
/// `rt_sigaction` swaps the disposition atomically and reports the one it replaced, so two svmq threads
/// installing at once both succeed (same handler), and an application handler that appeared between the
/// check and the install is put back at once, with `EBUSY`.
fn claim(signo: c_int) -> Result<(), Errno> {
    let mut now = sig::KSigaction::default();
    sig::rt_sigaction(signo, None, Some(&mut now))?;
    if sig::is_timer_action(&now) {
        return Ok(());
    }
    if now.handler != sig::SIG_DFL {
        return Err(Errno::BUSY);
    }
    let mut replaced = sig::KSigaction::default();
    sig::rt_sigaction(signo, Some(&sig::timer_action()), Some(&mut replaced))?;
    if replaced.handler == sig::SIG_DFL || sig::is_timer_action(&replaced) {
        return Ok(());
    }
    // Lost a race with the application: give it its handler back.
    let _ = sig::rt_sigaction(signo, Some(&replaced), None);
    Err(Errno::BUSY)
}

/// A duration in nanoseconds, saturating at `u64::MAX` (584 years).
pub(crate) fn duration_ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// A `CLOCK_MONOTONIC` time in nanoseconds as a `timespec` of `long`s (saturating where `long` is 32 bits).
fn timespec(ns: u64) -> sig::KTimespec {
    let sec = ns / 1_000_000_000;
    sig::KTimespec {
        sec: core::ffi::c_long::try_from(sec).unwrap_or(core::ffi::c_long::MAX),
        nsec: (ns % 1_000_000_000) as core::ffi::c_long,
    }
}

/// The outcome of a blocking call that returned `EINTR`: the deadline passed (`ETIMEDOUT`) or it did not,
/// and the signal was the application's (`EINTR`).
pub(crate) const fn interrupted(now_ns: u64, deadline_ns: u64) -> Errno {
    if now_ns >= deadline_ns { Errno::TIMEDOUT } else { Errno::INTR }
}

/// A per-call timer signalling the calling thread at the deadline and every [`TICK_NS`] after it;
/// deleted on drop.
struct Timer(c_int);

impl Timer {
    fn arm(deadline_ns: u64) -> Result<Self, Errno> {
        let signo = timeout_signal();
        // Blocked in this thread, the signal would stay pending and interrupt nothing; and blocking it
        // is what an application using it (sigwait, signalfd) does.
        if sig::sigset_has(&sig::thread_sigmask()?, signo) {
            return Err(Errno::BUSY);
        }
        claim(signo)?;
        // EAGAIN here means the kernel refused the timer (RLIMIT_SIGPENDING): not "queue full".
        let id = sig::timer_create_for_thread(sig::CLOCK_MONOTONIC, signo, sig::gettid())
            .map_err(|e| if e == Errno::AGAIN { Errno::NOMEM } else { e })?;
        let timer = Self(id);
        let spec = sig::ITimerSpec { interval: timespec(TICK_NS), value: timespec(deadline_ns) };
        sig::timer_settime(id, sig::TIMER_ABSTIME, &spec)?;
        Ok(timer)
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        let _ = sig::timer_delete(self.0);
    }
}

/// The deadline loop for any send or receive: `call(msgflg)` is one `msgsnd`/`msgrcv` with those flags;
/// `empty` is the errno its non-blocking form gives when it would block (`ENOMSG` receiving, `EAGAIN`
/// sending).
pub(crate) fn with_deadline(
    msgflg: c_int,
    timeout_ns: u64,
    empty: Errno,
    mut call: impl FnMut(c_int) -> Result<usize, Errno>,
) -> Result<usize, Errno> {
    // IPC_NOWAIT: one attempt, as asked. MSG_COPY: the kernel answers at once (it needs IPC_NOWAIT).
    if msgflg & (abi::IPC_NOWAIT | abi::MSG_COPY) != 0 {
        return call(msgflg);
    }
    match call(msgflg | abi::IPC_NOWAIT) {
        Err(e) if e == empty => {}
        other => return other,
    }
    if timeout_ns == 0 {
        return Err(Errno::TIMEDOUT);
    }
    // Without a clock there is no deadline to honour: the clock's error (e.g. EPERM from a seccomp
    // allow-list), before anything blocks.
    let deadline = sys::monotonic_ns()?.saturating_add(timeout_ns);
    let timer = Timer::arm(deadline)?;
    // A deadline already past (a timeout of microseconds) would only be noticed at the next tick.
    if sys::monotonic_ns()? >= deadline {
        return Err(Errno::TIMEDOUT);
    }
    let res = call(msgflg);
    drop(timer);
    match res {
        // A clock that fails now (it worked a moment ago) cannot show the deadline passed: EINTR.
        Err(Errno::INTR) => Err(interrupted(sys::monotonic_ns().unwrap_or(0), deadline)),
        // The queue answered `empty` a moment ago, so it existed: it was removed in between. A call
        // that was already asleep gets EIDRM; so does this one.
        Err(Errno::INVAL) => Err(Errno::IDRM),
        other => other,
    }
}

impl Queue {
    /// [`recv`](Self::recv) that gives up after `timeout`: `ETIMEDOUT` if no selected message arrived.
    ///
    /// A zero `timeout` is one non-blocking attempt (`ETIMEDOUT` on an empty queue). Otherwise the
    /// errors of [`recv`](Self::recv), plus `EBUSY` if the timeout signal is unavailable (see
    /// [`set_timeout_signal`]); `EINTR` still reports a signal of the application's own.
    ///
    /// ```
    /// use std::time::Duration;
    /// use svmq::{Errno, Queue, Select};
    /// let q = Queue::private(0o600)?;
    /// assert_eq!(q.recv_timeout::<16>(Select::Any, Duration::from_millis(10)), Err(Errno::TIMEDOUT));
    /// q.remove()?;
    /// # Ok::<(), svmq::Errno>(())
    /// ```
    #[doc(alias = "msgrcv")]
    pub fn recv_timeout<const N: usize>(self, select: Select, timeout: Duration) -> Result<Message<N>, Errno> {
        let (msgtyp, extra) = select.to_raw();
        let mut msg = Message::empty(MsgType::MIN);
        sys::msgrcv_copy_by::<N, _>(
            self.id(),
            N,
            msgtyp,
            |attempt| with_deadline(extra, duration_ns(timeout), Errno::NOMSG, attempt),
            |t, data| msg.fill(t, data),
        )??;
        Ok(msg)
    }

    /// [`recv_frame`](Self::recv_frame) that gives up after `timeout` (see
    /// [`recv_timeout`](Self::recv_timeout)). With [`RecvFlags::NOWAIT`] it is exactly one non-blocking
    /// attempt (`ENOMSG`), whatever the timeout.
    #[doc(alias = "msgrcv")]
    pub fn recv_frame_timeout<const N: usize>(
        self,
        frame: &mut Frame<N>,
        select: Select,
        flags: RecvFlags,
        timeout: Duration,
    ) -> Result<usize, Errno> {
        let (msgtyp, extra) = select.to_raw();
        with_deadline(flags.bits() | extra, duration_ns(timeout), Errno::NOMSG, |bits| {
            sys::msgrcv_frame(self.id(), frame, msgtyp, bits)
        })
    }

    /// [`send_with`](Self::send_with) that gives up after `timeout` while the queue stays full:
    /// `ETIMEDOUT`, and nothing was queued.
    ///
    /// A zero `timeout` is one non-blocking attempt; with [`SendFlags::NOWAIT`] the answer on a full
    /// queue is `EAGAIN`, whatever the timeout. Otherwise the errors of [`send`](Self::send), plus `EBUSY`
    /// (see [`set_timeout_signal`]).
    #[doc(alias = "msgsnd")]
    pub fn send_timeout<const N: usize>(
        self,
        msg: &Message<N>,
        flags: SendFlags,
        timeout: Duration,
    ) -> Result<(), Errno> {
        sys::msgsnd_copy_by::<N>(self.id(), msg.mtype().as_c_long(), msg.data(), |attempt| {
            with_deadline(flags.bits(), duration_ns(timeout), Errno::AGAIN, attempt)
        })
    }

    /// [`send_frame`](Self::send_frame) that gives up after `timeout` (see
    /// [`send_timeout`](Self::send_timeout)). `E2BIG` if `len > N`, before any system call.
    #[doc(alias = "msgsnd")]
    pub fn send_frame_timeout<const N: usize>(
        self,
        frame: &Frame<N>,
        len: usize,
        flags: SendFlags,
        timeout: Duration,
    ) -> Result<(), Errno> {
        if len > N {
            return Err(Errno::TOOBIG);
        }
        with_deadline(flags.bits(), duration_ns(timeout), Errno::AGAIN, |bits| {
            sys::msgsnd_frame(self.id(), frame, len, bits).map(|()| 0)
        })
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eintr_is_a_timeout_from_the_deadline_on() {
        assert_eq!(interrupted(99, 100), Errno::INTR);
        assert_eq!(interrupted(100, 100), Errno::TIMEDOUT);
        assert_eq!(interrupted(101, 100), Errno::TIMEDOUT);
    }

    #[test]
    fn durations_and_timespecs() {
        assert_eq!(duration_ns(Duration::from_millis(5)), 5_000_000);
        assert_eq!(duration_ns(Duration::MAX), u64::MAX);
        assert_eq!(timespec(3_000_000_007), sig::KTimespec { sec: 3, nsec: 7 });
        let far = timespec(u64::MAX);
        // Saturated at LONG_MAX where long is 32 bits.
        assert_eq!(far.sec as u64, (u64::MAX / 1_000_000_000).min(core::ffi::c_long::MAX as u64));
        assert!(far.nsec < 1_000_000_000);
    }

    #[test]
    fn nowait_and_copy_are_one_attempt_and_zero_is_one_nonblocking_attempt() {
        let mut seen = Vec::new();
        let r = with_deadline(abi::IPC_NOWAIT, 1_000_000_000, Errno::NOMSG, |f| {
            seen.push(f);
            Err(Errno::NOMSG)
        });
        assert_eq!((r, seen.as_slice()), (Err(Errno::NOMSG), &[abi::IPC_NOWAIT][..]));
        let mut seen = Vec::new();
        let r = with_deadline(abi::MSG_COPY, 1_000_000_000, Errno::NOMSG, |f| {
            seen.push(f);
            Err(Errno::INVAL)
        });
        assert_eq!((r, seen.as_slice()), (Err(Errno::INVAL), &[abi::MSG_COPY][..]));
        let mut seen = Vec::new();
        let r = with_deadline(abi::MSG_NOERROR, 0, Errno::AGAIN, |f| {
            seen.push(f);
            Err(Errno::AGAIN)
        });
        assert_eq!((r, seen.as_slice()), (Err(Errno::TIMEDOUT), &[abi::MSG_NOERROR | abi::IPC_NOWAIT][..]));
        // Any other first answer is final.
        assert_eq!(with_deadline(0, 5, Errno::NOMSG, |_| Ok(3)), Ok(3));
        assert_eq!(with_deadline(0, 5, Errno::NOMSG, |_| Err(Errno::TOOBIG)), Err(Errno::TOOBIG));
    }
}
