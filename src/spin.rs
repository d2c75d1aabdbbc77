//! Low-latency receive: poll without blocking for a bounded, adaptive time, then block.
//!
//! A blocking `msgrcv` puts the receiver to sleep; on a multi-CPU machine the cross-CPU wake-up then
//! dominates a round trip. Polling first keeps the receiver on its CPU when the answer is microseconds
//! away. It must never make things worse, so [`Spin`] adapts, like an adaptive mutex:
//!
//! - it never polls when the calling thread may run on one CPU only (`sched_getaffinity`): the poller
//!   would burn the CPU the sender needs;
//! - each time polling did not pay (the budget ran out and the receive blocked), it backs off
//!   exponentially: after `m` misses in a row it skips polling for the next `2^(m-1) - 1` receives (at
//!   most [`Spin::MAX_SKIP`]), so a slow peer or an overloaded machine costs one budget per ~1000
//!   receives; one hit resets the back-off;
//! - probes use the full budget: a peer that was asleep (because we stopped polling) takes a full
//!   cross-CPU wake-up to answer, and a short probe would never see the answer and never recover;
//! - the budget is time (`CLOCK_MONOTONIC`), not iterations.
//!
//! Semantics are those of a blocking receive: same selectors, same flags, same errors (`EINTR` while
//! blocked; `EIDRM` when the queue is removed while blocked or while polling: a non-blocking `msgrcv` on a
//! removed queue answers `EINVAL`, which the poll loop turns into the `EIDRM` a blocked receiver gets).

use crate::message::{Message, MsgType, RecvFlags, Select};
use crate::queue::Queue;
use crate::sys::abi::{self, Frame};
use crate::{Errno, sys};
use core::ffi::c_int;

/// The state of one receiver's adaptive polling. Keep one per receiving thread, across receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spin {
    max_ns: u32,
    misses: u32,
    skip: u32,
    cpus: u32,
    recheck: u32,
    reserved: u32,
}

impl Default for Spin {
    /// [`Spin::new`] with [`Spin::DEFAULT_MAX_NS`].
    fn default() -> Self {
        Self::new(Self::DEFAULT_MAX_NS)
    }
}

impl Spin {
    /// Default longest poll before blocking: 50 µs, longer than a cross-CPU wake-up.
    pub const DEFAULT_MAX_NS: u32 = 50_000;
    /// The longest run of receives that block without polling, however often polling failed.
    pub const MAX_SKIP: u32 = 1023;
    /// Affinity is re-read every this many receives (it can change under a running process).
    const RECHECK_EVERY: u32 = 1024;

    /// A policy polling at most `max_ns` nanoseconds before each block; 0 never polls.
    pub const fn new(max_ns: u32) -> Self {
        Self { max_ns, misses: 0, skip: 0, cpus: 0, recheck: 0, reserved: 0 }
    }

    /// The state as plain words, for the C ABI's opaque `svmq_spin_t`.
    pub(crate) const fn to_words(self) -> [u32; 6] {
        [self.max_ns, self.misses, self.skip, self.cpus, self.recheck, self.reserved]
    }

    /// The state back from [`to_words`](Self::to_words).
    pub(crate) const fn from_words(w: [u32; 6]) -> Self {
        let [max_ns, misses, skip, cpus, recheck, reserved] = w;
        Self { max_ns, misses, skip, cpus, recheck, reserved }
    }

    /// Consecutive receives whose polling did not pay.
    pub const fn misses(&self) -> u32 {
        self.misses
    }

    /// How long to poll for this receive, in ns; 0 to block at once.
    fn plan(&mut self) -> u32 {
        if self.recheck == 0 {
            // On error, assume one CPU: blocking is always safe.
            self.cpus = sys::cpus_allowed().unwrap_or(1);
            self.recheck = Self::RECHECK_EVERY;
        }
        self.recheck -= 1;
        if self.cpus <= 1 {
            return 0;
        }
        if self.skip > 0 {
            self.skip -= 1;
            return 0;
        }
        self.max_ns
    }

    /// A poll found a message.
    fn hit(&mut self) {
        self.misses = 0;
    }

    /// Polling ran out of budget and the receive had to block.
    fn miss(&mut self) {
        self.misses = self.misses.saturating_add(1);
        let shift = self.misses.saturating_sub(1).min(10);
        self.skip = ((1u32 << shift) - 1).min(Self::MAX_SKIP);
    }
}

/// The adaptive loop, for any receive: `recv(msgflg)` is one `msgrcv` with those flags.
pub(crate) fn poll_then_block(
    spin: &mut Spin,
    msgflg: c_int,
    mut recv: impl FnMut(c_int) -> Result<usize, Errno>,
) -> Result<usize, Errno> {
    if msgflg & abi::IPC_NOWAIT != 0 {
        return recv(msgflg);
    }
    let budget = spin.plan();
    if budget > 0 {
        let start = sys::monotonic_ns();
        let mut polls: u32 = 0;
        loop {
            match recv(msgflg | abi::IPC_NOWAIT) {
                Err(Errno::NOMSG) => {}
                Ok(n) => {
                    spin.hit();
                    return Ok(n);
                }
                // The queue answered ENOMSG before, so it existed: it was removed while we polled. A
                // blocked receiver would have been woken with EIDRM; so is this one.
                Err(Errno::INVAL) if polls > 0 => return Err(Errno::IDRM),
                // EINVAL (no such queue), E2BIG, EACCES: exactly what the blocking call would answer.
                Err(e) => return Err(e),
            }
            polls = polls.wrapping_add(1);
            // Reading the clock is a system call too: look every fourth poll.
            if polls.is_multiple_of(4) && sys::monotonic_ns().saturating_sub(start) >= u64::from(budget) {
                break;
            }
        }
        spin.miss();
    }
    recv(msgflg)
}

impl Queue {
    /// `msgrcv` into a frame, polling with `IPC_NOWAIT` for up to the [`Spin`] budget before blocking.
    ///
    /// Same selectors, flags and errors as [`recv_frame`](Self::recv_frame); with
    /// [`RecvFlags::NOWAIT`] it is exactly one non-blocking attempt.
    ///
    /// ```
    /// use svmq::{Frame, MsgType, Queue, RecvFlags, Select, SendFlags, Spin};
    /// let q = Queue::private(0o600)?;
    /// let mut spin = Spin::default();
    /// let mut f = Frame::<8>::new(MsgType::new(3).unwrap());
    /// f.text_mut()[..2].copy_from_slice(b"hi");
    /// q.send_frame(&f, 2, SendFlags::BLOCK)?;
    /// let n = q.recv_frame_spin(&mut f, Select::Any, RecvFlags::BLOCK, &mut spin)?;
    /// assert_eq!(&f.text()[..n], b"hi");
    /// q.remove()?;
    /// # Ok::<(), svmq::Errno>(())
    /// ```
    #[doc(alias = "msgrcv")]
    pub fn recv_frame_spin<const N: usize>(
        self,
        frame: &mut Frame<N>,
        select: Select,
        flags: RecvFlags,
        spin: &mut Spin,
    ) -> Result<usize, Errno> {
        let (msgtyp, extra) = select.to_raw();
        poll_then_block(spin, flags.bits() | extra, |bits| sys::msgrcv_frame(self.id(), frame, msgtyp, bits))
    }

    /// [`recv`](Self::recv) with adaptive polling first; see [`recv_frame_spin`](Self::recv_frame_spin).
    #[doc(alias = "msgrcv")]
    pub fn recv_spin<const N: usize>(self, select: Select, spin: &mut Spin) -> Result<Message<N>, Errno> {
        let (msgtyp, extra) = select.to_raw();
        let mut msg = Message::empty(MsgType::MIN);
        poll_then_block(spin, extra, |bits| {
            sys::msgrcv_copy::<N, _>(self.id(), N, msgtyp, bits, |t, data| msg.fill(t, data)).and_then(|r| r)
        })?;
        Ok(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_cpus() -> Spin {
        let mut s = Spin::new(50_000);
        s.cpus = 2;
        s.recheck = u32::MAX;
        s
    }

    fn polls_in(s: &mut Spin, receives: u32) -> usize {
        (0..receives).filter(|_| s.plan() > 0).count()
    }

    #[test]
    fn misses_back_off_exponentially() {
        let mut s = two_cpus();
        // Every poll misses: polls happen on receives 1, 2, 4, 8, ... then once per MAX_SKIP + 1.
        let mut polled_at = Vec::new();
        for i in 1..=5000u32 {
            if s.plan() > 0 {
                polled_at.push(i);
                s.miss();
            }
        }
        assert_eq!(&polled_at[..6], &[1, 2, 4, 8, 16, 32]);
        assert!(polled_at.len() < 20, "{polled_at:?}");
    }

    #[test]
    fn one_hit_resets_the_back_off() {
        let mut s = two_cpus();
        for _ in 0..5 {
            while s.plan() == 0 {}
            s.miss();
        }
        while s.plan() == 0 {}
        s.hit();
        assert_eq!(polls_in(&mut s, 10), 10);
        assert_eq!(s.plan(), 50_000, "full budget after a hit");
    }

    #[test]
    fn one_cpu_never_polls() {
        let mut s = Spin::new(50_000);
        s.cpus = 1;
        s.recheck = u32::MAX;
        assert_eq!(polls_in(&mut s, 100), 0);
    }

    #[test]
    fn zero_budget_never_polls() {
        let mut s = Spin::new(0);
        s.cpus = 2;
        s.recheck = u32::MAX;
        assert_eq!(s.plan(), 0);
    }

    #[test]
    fn c_words_round_trip() {
        let mut s = two_cpus();
        s.miss();
        assert_eq!(Spin::from_words(s.to_words()), s);
    }
}
