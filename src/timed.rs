//! Deadline receive and send: `msgrcv`/`msgsnd` that give up with `ETIMEDOUT` after a time.
//!
//! System V queues have no timed calls. svmq makes one from a blocking call and a per-call POSIX timer
//! that interrupts it:
//!
//! 1. one `IPC_NOWAIT` attempt: when a message (or room) is there, the call costs nothing more;
//! 2. a timeout of 0 stops there (`ETIMEDOUT`);
//! 3. otherwise the deadline is `CLOCK_MONOTONIC` now + timeout; every signal is blocked for the few
//!    system calls of the set-up (so that one of the application's arriving then is not lost, see 5), and
//!    a timer is made for this call only: `timer_create(CLOCK_MONOTONIC)` with `SIGEV_THREAD_ID` (its
//!    signal goes to the calling thread and no other), armed at the absolute deadline;
//! 4. a signal of the application's that arrived meanwhile is `EINTR` now (its handler runs as the mask
//!    is put back), as a blocking call would have reported it; otherwise the mask is put back and
//!    the call blocks. A handled signal makes the kernel return `EINTR` (msgrcv and msgsnd are never
//!    restarted after a handler), and a message handed over before that is returned, never dropped;
//! 5. the timer is deleted; `EINTR` with the deadline passed is `ETIMEDOUT`, before it the signal was
//!    the application's own and stays `EINTR`.
//!
//! The timer's signal has svmq's handler, which re-arms the timer one tick (1 ms) later, at most four
//! times: an expiry that lands after the clock was checked but before the call has gone to sleep in the
//! kernel runs the handler in user space and interrupts nothing, and the next tick does. A call the
//! application leaves with `siglongjmp` (from a handler of its own) never deletes its timer: the handler
//! deletes it at its fifth signal, so nothing keeps firing (see `sys::signal::on_timer_signal`).
//!
//! The signal (default [`DEFAULT_TIMEOUT_SIGNAL`], chosen with [`set_timeout_signal`]) gets svmq's
//! handler the first time it is needed, and only if its disposition is `SIG_DFL`: a handler that is not
//! ours, `SIG_IGN`, or the signal blocked in the calling thread is `EBUSY`, checked on every call that
//! has to wait. svmq leaves every mask as it found it and never touches any other signal.

use crate::message::{Message, MsgType, RecvFlags, Select, SendFlags};
use crate::queue::Queue;
use crate::sys::abi::{self, Frame};
use crate::sys::signal::{self as sig, SignalsHeld};
use crate::sys::time;
use crate::{Errno, sys};
use core::ffi::c_int;
use core::sync::atomic::{AtomicI32, Ordering};
use core::time::Duration;

/// The signal the timers use unless [`set_timeout_signal`] chose another: 62, `SIGRTMAX - 2`.
///
/// Real-time signals have no meaning of their own and the C libraries reserve only the lowest ones
/// (32-34, see [`TIMEOUT_SIGNALS`]). The top two are taken by tools a program may run under: valgrind
/// keeps 64 (`SIGRTMAX`) for itself, and qemu-user has no host signal for 63 and 64 (`timer_create`
/// answers `EINVAL` there).
pub const DEFAULT_TIMEOUT_SIGNAL: i32 = 62;

/// The signals [`set_timeout_signal`] accepts: the real-time signals no C library reserves, 35 to 64.
///
/// The kernel's real-time signals are 32 to 64 (`SIGRTMAX`). glibc keeps 32 and 33 for its threads
/// (cancellation, `setxid`), so its `SIGRTMIN` is 34; musl keeps 32 to 34 (timers, cancellation,
/// `synccall`), so its `SIGRTMIN` is 35. The standard signals (1 to 31) all mean something: `SIGSEGV`
/// must crash, `SIGTERM` must terminate, `SIGALRM` and `SIGUSR1` are the application's.
pub const TIMEOUT_SIGNALS: core::ops::RangeInclusive<i32> = 35..=64;

static TIMEOUT_SIGNAL: AtomicI32 = AtomicI32::new(DEFAULT_TIMEOUT_SIGNAL);

/// The signal the deadline calls use to interrupt a blocked call (see [`set_timeout_signal`]).
pub fn timeout_signal() -> i32 {
    TIMEOUT_SIGNAL.load(Ordering::Relaxed)
}

/// Chooses the signal the deadline calls use (default [`DEFAULT_TIMEOUT_SIGNAL`], 62): a real-time signal
/// the application does not use, in [`TIMEOUT_SIGNALS`] (35 to 64).
///
/// svmq installs its handler on it now (`SA_RESTART`, so that the signal restarts any other call it
/// might land in) and leaves it installed: a timer signal still in flight must never meet `SIG_DFL`,
/// which would end the process. The previous signal keeps svmq's handler too.
///
/// From then on the signal is svmq's: the application must not change its disposition. If it does
/// while a call waits (from another thread, say), that wait is no longer bounded by its deadline: with
/// `SIG_IGN` the timer's signals are discarded and the call waits until a message (or room) comes, the
/// queue is removed or another signal interrupts it; with `SIG_DFL` the next one ends the process (the
/// default action of a real-time signal); with a handler of its own, that handler runs and the call
/// ends at its deadline as before. Calls made after such a change fail with `EBUSY` (svmq never replaces
/// a disposition that is not `SIG_DFL`), but for `SIG_DFL`, on which svmq installs its handler again.
///
/// # Errors
///
/// `EINVAL` for a signal outside [`TIMEOUT_SIGNALS`]; `EBUSY` if the signal has a disposition that is
/// not `SIG_DFL` nor svmq's (a handler of the application, or `SIG_IGN`): svmq never replaces one.
pub fn set_timeout_signal(signo: i32) -> Result<(), Errno> {
    if !TIMEOUT_SIGNALS.contains(&signo) {
        return Err(Errno::INVAL);
    }
    sig::claim(signo)?;
    TIMEOUT_SIGNAL.store(signo, Ordering::Relaxed);
    Ok(())
}

/// A duration in nanoseconds, saturating at `u64::MAX` (584 years).
pub(crate) fn duration_ns(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The outcome of a blocking call that returned `EINTR`: the deadline passed (`ETIMEDOUT`) or it did not,
/// and the signal was the application's (`EINTR`).
pub(crate) const fn interrupted(now_ns: u64, deadline_ns: u64) -> Errno {
    if now_ns >= deadline_ns { Errno::TIMEDOUT } else { Errno::INTR }
}

/// A per-call timer signalling the calling thread at the deadline, then one tick apart while the call
/// may still be on its way into the kernel, [`sig::TIMER_SIGNALS`] signals at most (see
/// `sys::signal::on_timer_signal`); deleted on drop.
struct Timer(c_int);

impl Timer {
    fn arm(signo: c_int, deadline_ns: u64) -> Result<Self, Errno> {
        // EAGAIN here means the kernel refused the timer (RLIMIT_SIGPENDING): not "queue full".
        let id = time::timer_create_for_thread(time::CLOCK_MONOTONIC, signo, sig::gettid())
            .map_err(|e| if e == Errno::AGAIN { Errno::NOMEM } else { e })?;
        let timer = Self(id);
        sig::arm_deadline(id, deadline_ns)?;
        Ok(timer)
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        let _ = time::timer_delete(self.0);
    }
}

/// The deadline loop for any send or receive: `call(msgflg)` is one `msgsnd`/`msgrcv` with those flags;
/// `empty` is the errno its non-blocking form gives when it would block (`ENOMSG` receiving, `EAGAIN`
/// sending).
pub(crate) fn with_deadline(
    msgflg: c_int,
    timeout_ns: u64,
    empty: Errno,
    call: impl FnMut(c_int) -> Result<usize, Errno>,
) -> Result<usize, Errno> {
    with_deadline_and(msgflg, timeout_ns, empty, call, || {})
}

/// [`with_deadline`], calling `during_setup` while every signal is held (the unit tests raise a signal
/// there).
pub(crate) fn with_deadline_and(
    msgflg: c_int,
    timeout_ns: u64,
    empty: Errno,
    mut call: impl FnMut(c_int) -> Result<usize, Errno>,
    during_setup: impl FnOnce(),
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
    // Every signal stays blocked while the timer is set up (a few system calls): one of the
    // application's arriving now stays pending, and is reported below as the EINTR a blocking call
    // would have returned, instead of being handled here and lost to the wait.
    let held = SignalsHeld::hold()?;
    during_setup();
    let signo = timeout_signal();
    // Blocked in this thread, the signal would stay pending and interrupt nothing; and blocking it is
    // what an application using it (sigwait, signalfd) does.
    if sig::sigset_has(held.old(), signo) {
        return Err(Errno::BUSY);
    }
    sig::claim(signo)?;
    let timer = Timer::arm(signo, deadline)?;
    // A deadline already past (a timeout of microseconds): no need to block.
    let now = sys::monotonic_ns()?;
    if now >= deadline {
        return Err(Errno::TIMEDOUT);
    }
    if held.interrupting_signal_pending(signo) {
        // Its handler runs as `held` puts the mask back (after `timer` is deleted).
        return Err(Errno::INTR);
    }
    drop(held);
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
    /// [`set_timeout_signal`]) and `ENOMEM` if the kernel has no timer left (`RLIMIT_SIGPENDING`).
    /// `EINTR` still reports a signal with a handler of the application's own, as a blocking
    /// [`recv`](Self::recv) would, including one that arrives while the call sets its timer up (every
    /// signal is held for those few system calls; the handler runs before the call returns).
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
    fn durations() {
        assert_eq!(duration_ns(Duration::from_millis(5)), 5_000_000);
        assert_eq!(duration_ns(Duration::MAX), u64::MAX);
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
