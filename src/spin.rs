//! Low-latency receive: poll without blocking for a bounded, adaptive time, then block.
//!
//! A blocking `msgrcv` puts the receiver to sleep; on a multi-CPU machine the cross-CPU wake-up then
//! dominates a round trip. Polling first keeps the receiver on its CPU when the answer is microseconds
//! away. It must never make things worse, so [`Spin`] adapts, like an adaptive mutex:
//!
//! - it never polls when the calling thread may run on one CPU only (`sched_getaffinity`): the poller
//!   would burn the CPU the sender needs;
//! - the poll budget follows twice the recent waits that polling satisfied, capped by the policy's
//!   maximum, and halves each time polling did not pay; below a floor it stops polling, and probes
//!   again with a small budget every [`Spin::PROBE_EVERY`] receives;
//! - the budget is time (`CLOCK_MONOTONIC`), not iterations.
//!
//! Semantics are those of a blocking receive: same selectors, same flags, same errors (`EIDRM` while
//! polling or blocked, `EINTR` while blocked).

use crate::message::{Message, MsgType, RecvFlags, Select};
use crate::queue::Queue;
use crate::sys::abi::{self, Frame};
use crate::{Errno, sys};
use core::ffi::c_int;

/// The state of one receiver's adaptive polling. Keep one per receiving thread, across receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spin {
    max_ns: u32,
    limit_ns: u32,
    cpus: u32,
    recheck: u32,
    idle: u32,
    reserved: u32,
}

impl Default for Spin {
    /// [`Spin::new`] with [`Spin::DEFAULT_MAX_NS`].
    fn default() -> Self {
        Self::new(Self::DEFAULT_MAX_NS)
    }
}

impl Spin {
    /// Default longest poll before blocking: 50 µs, about ten local round trips.
    pub const DEFAULT_MAX_NS: u32 = 50_000;
    /// Below this budget polling stops (a poll costs a system call, a few hundred ns).
    pub const FLOOR_NS: u32 = 2_000;
    /// While polling is off, one receive in this many probes with [`FLOOR_NS`](Self::FLOOR_NS) * 2.
    pub const PROBE_EVERY: u32 = 64;
    /// Affinity is re-read every this many receives (it can change under a running process).
    const RECHECK_EVERY: u32 = 1024;

    /// A policy polling at most `max_ns` nanoseconds before each block; 0 never polls.
    pub const fn new(max_ns: u32) -> Self {
        Self { max_ns, limit_ns: max_ns, cpus: 0, recheck: 0, idle: 0, reserved: 0 }
    }

    /// The state as plain words, for the C ABI's opaque `svmq_spin_t`.
    pub(crate) const fn to_words(self) -> [u32; 6] {
        [self.max_ns, self.limit_ns, self.cpus, self.recheck, self.idle, self.reserved]
    }

    /// The state back from [`to_words`](Self::to_words).
    pub(crate) const fn from_words(w: [u32; 6]) -> Self {
        let [max_ns, limit_ns, cpus, recheck, idle, reserved] = w;
        Self { max_ns, limit_ns, cpus, recheck, idle, reserved }
    }

    /// The current poll budget in nanoseconds (0 while polling is off).
    pub const fn budget_ns(&self) -> u32 {
        self.limit_ns
    }

    /// How long to poll for this receive, in ns; 0 to block at once.
    fn plan(&mut self) -> u32 {
        if self.recheck == 0 {
            // On error, assume one CPU: blocking is always safe.
            self.cpus = sys::cpus_allowed().unwrap_or(1);
            self.recheck = Self::RECHECK_EVERY;
        }
        self.recheck -= 1;
        if self.cpus <= 1 || self.max_ns == 0 {
            return 0;
        }
        if self.limit_ns >= Self::FLOOR_NS {
            return self.limit_ns;
        }
        self.idle += 1;
        if self.idle >= Self::PROBE_EVERY {
            self.idle = 0;
            return Self::FLOOR_NS * 2;
        }
        0
    }

    /// A poll found a message after `waited_ns`.
    fn hit(&mut self, waited_ns: u64) {
        let want = waited_ns.saturating_mul(2).saturating_add(u64::from(Self::FLOOR_NS));
        let want = u32::try_from(want).unwrap_or(u32::MAX).min(self.max_ns);
        // Grow quickly, shrink slowly (an eighth of the way) on fast hits.
        self.limit_ns = if want > self.limit_ns { want } else { self.limit_ns - (self.limit_ns - want) / 8 };
    }

    /// Polling ran out of budget and the receive had to block.
    fn miss(&mut self) {
        self.limit_ns /= 2;
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
                    spin.hit(sys::monotonic_ns().saturating_sub(start));
                    return Ok(n);
                }
                // EIDRM, EINVAL, E2BIG, EACCES: exactly what the blocking call would answer.
                Err(e) => return Err(e),
            }
            polls = polls.wrapping_add(1);
            // Reading the clock is a system call too: look every fourth poll.
            if polls % 4 == 0 && sys::monotonic_ns().saturating_sub(start) >= u64::from(budget) {
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
        let mut frame = Frame::<N>::new(MsgType::MIN);
        let len = self.recv_frame_spin(&mut frame, select, RecvFlags::BLOCK, spin)?;
        let mut msg = Message::empty(MsgType::MIN);
        msg.fill(frame.mtype, frame.text.get(..len).ok_or(Errno::TOOBIG)?)?;
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

    #[test]
    fn budget_halves_on_misses_and_stops_below_floor() {
        let mut s = two_cpus();
        let mut misses = 0;
        while s.budget_ns() >= Spin::FLOOR_NS {
            assert!(s.plan() > 0);
            s.miss();
            misses += 1;
        }
        assert_eq!(misses, 5, "50 us halves below 2 us in five misses");
        let plans: Vec<u32> = (0..Spin::PROBE_EVERY).map(|_| s.plan()).collect();
        assert_eq!(plans.iter().filter(|&&p| p > 0).count(), 1, "one probe per PROBE_EVERY receives");
    }

    #[test]
    fn hits_raise_budget_up_to_max() {
        let mut s = two_cpus();
        for _ in 0..10 {
            s.miss();
        }
        s.hit(3_000);
        assert_eq!(s.budget_ns(), 8_000);
        s.hit(1_000_000);
        assert_eq!(s.budget_ns(), 50_000);
    }

    #[test]
    fn one_cpu_never_polls() {
        let mut s = Spin::new(50_000);
        s.cpus = 1;
        s.recheck = u32::MAX;
        assert_eq!(s.plan(), 0);
    }
}
