//! Low-latency receive: poll without blocking for a bounded, adaptive time, then block.
//!
//! A blocking `msgrcv` puts the receiver to sleep; on a multi-CPU machine the cross-CPU wake-up then
//! dominates a round trip. Polling first keeps the receiver on its CPU when the answer is microseconds
//! away. It must never make things worse, so [`Spin`] adapts, like an adaptive mutex, from what actually
//! happened in each receive (not from the affinity mask: a mask of one CPU says nothing about where the
//! sender runs, and receiver and sender pinned to two different CPUs is where polling pays most):
//!
//! - a message already there at the first attempt is taken at once; that costs what a blocking receive
//!   costs and says nothing about polling, so the state is left as it was;
//! - a message that arrives while polling is a *hit* only if no other task ran on our CPU meanwhile: the
//!   thread's involuntary context switches (`getrusage(RUSAGE_THREAD).ru_nivcsw`) did not grow from the
//!   start of polling to the start of the next receive (read then, not before returning the message,
//!   so that the check never delays an answer). If they grew, the sender (or someone) needed our CPU: on
//!   a shared CPU every such "hit" was paid for by the sender's time slice, so it counts as a *miss*;
//! - a poll that runs out of budget (time, `CLOCK_MONOTONIC`) is a miss, and the receive blocks;
//! - after `m` misses in a row it skips polling for the next `4^(m-1) - 1` receives (0, 3, 15, 63, 255,
//!   then [`Spin::MAX_SKIP`]), so a slow peer, an overloaded machine or a shared CPU costs six budgets
//!   over the first 1000 receives and one per 1024 after that; one hit resets the back-off;
//! - probes use the full budget: a peer that was asleep (because we stopped polling) takes a full
//!   cross-CPU wake-up to answer, and a short probe would never see the answer and never recover;
//! - if the clock or the switch counter cannot be read (a seccomp filter answering `EPERM`), polling stops
//!   at once, counts as a miss, and the receive blocks.
//!
//! Semantics are those of a blocking receive: same selectors, same flags, same errors (`EINTR` while
//! blocked; `EIDRM` when the queue is removed while blocked, while polling, or between the last poll and
//! the block: a `msgrcv` on a removed queue answers `EINVAL`, which the loop turns into the `EIDRM` a
//! blocked receiver gets, once a poll has shown that the queue existed).

use crate::message::{Message, MsgType, RecvFlags, Select};
use crate::queue::Queue;
use crate::sys::abi::{self, Frame};
use crate::sys::signal::SignalsHeld;
use crate::{Errno, sys};
use core::ffi::c_int;

/// The state of one receiver's adaptive polling. Keep one per receiving thread, across receives (it
/// compares readings of the calling thread's context-switch counter from one receive to the next).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spin {
    max_ns: u32,
    misses: u32,
    skip: u32,
    hits: u32,
    /// 1 when the last receive was answered while polling, to be confirmed at the next receive.
    unconfirmed: u32,
    /// The switch counter (low 32 bits) when that polling began.
    switches: u32,
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

    /// A policy polling at most `max_ns` nanoseconds before each block; 0 never polls.
    pub const fn new(max_ns: u32) -> Self {
        Self { max_ns, misses: 0, skip: 0, hits: 0, unconfirmed: 0, switches: 0 }
    }

    /// The state as plain words, for the C ABI's opaque `svmq_spin_t`.
    pub(crate) const fn to_words(self) -> [u32; 6] {
        [self.max_ns, self.misses, self.skip, self.hits, self.unconfirmed, self.switches]
    }

    /// The state back from [`to_words`](Self::to_words).
    pub(crate) const fn from_words(w: [u32; 6]) -> Self {
        let [max_ns, misses, skip, hits, unconfirmed, switches] = w;
        Self { max_ns, misses, skip, hits, unconfirmed, switches }
    }

    /// Consecutive receives whose polling did not pay.
    pub const fn misses(&self) -> u32 {
        self.misses
    }

    /// Receives that polling answered: the message arrived while polling and no other task took this
    /// thread's CPU from the start of that polling to the start of the next receive (wrapping counter; a
    /// receive is counted when the next one starts).
    pub const fn hits(&self) -> u32 {
        self.hits
    }

    /// How long to poll for this receive, in ns; 0 to block at once.
    fn plan(&mut self) -> u32 {
        if self.skip > 0 {
            self.skip -= 1;
            return 0;
        }
        self.max_ns
    }

    /// Polling paid: a message arrived while polling, on a CPU nobody else needed.
    fn hit(&mut self) {
        self.misses = 0;
        self.hits = self.hits.wrapping_add(1);
    }

    /// Polling did not pay: the budget ran out, or the answer came only because our CPU was given away.
    fn miss(&mut self) {
        self.misses = self.misses.saturating_add(1);
        let shift = self.misses.saturating_sub(1).min(5) * 2;
        self.skip = ((1u32 << shift) - 1).min(Self::MAX_SKIP);
    }
}

/// What the poll loop reads from the system besides the queue; the kernel's, or a fake in unit tests.
pub(crate) trait Probe {
    /// A monotonic clock, in ns.
    fn now_ns(&self) -> Result<u64, Errno>;
    /// This thread's involuntary context switches so far (compared for equality only).
    fn preemptions(&self) -> Result<u64, Errno>;
    /// Every signal blocked while polling, the mask put back when the guard drops; `None` if the mask
    /// cannot be changed (polling then goes on without it).
    fn hold_signals(&self) -> Option<Self::Held>;
    /// What [`hold_signals`](Self::hold_signals) returns.
    type Held: Held;
}

/// Signals held back while polling.
pub(crate) trait Held {
    /// Whether a signal arrived meanwhile that would have interrupted a blocking receive (`EINTR`).
    fn interrupted(&self) -> bool;
}

impl Held for SignalsHeld {
    fn interrupted(&self) -> bool {
        // svmq's own timeout signal has svmq's handler: never counted.
        self.interrupting_signal_pending(0)
    }
}

/// The real system: `clock_gettime(CLOCK_MONOTONIC)` and `getrusage(RUSAGE_THREAD)`.
pub(crate) struct Kernel;

impl Probe for Kernel {
    #[inline]
    fn now_ns(&self) -> Result<u64, Errno> {
        sys::monotonic_ns()
    }
    #[inline]
    fn preemptions(&self) -> Result<u64, Errno> {
        sys::involuntary_switches()
    }
    type Held = SignalsHeld;
    #[inline]
    fn hold_signals(&self) -> Option<SignalsHeld> {
        SignalsHeld::hold().ok()
    }
}

/// The adaptive loop, for any receive: `recv(msgflg)` is one `msgrcv` with those flags.
#[inline]
pub(crate) fn poll_then_block(
    spin: &mut Spin,
    msgflg: c_int,
    recv: impl FnMut(c_int) -> Result<usize, Errno>,
) -> Result<usize, Errno> {
    poll_then_block_with(&Kernel, spin, msgflg, recv)
}

/// [`poll_then_block`] reading the clock and the switch counter from `probe`.
pub(crate) fn poll_then_block_with(
    probe: &impl Probe,
    spin: &mut Spin,
    msgflg: c_int,
    mut recv: impl FnMut(c_int) -> Result<usize, Errno>,
) -> Result<usize, Errno> {
    if msgflg & abi::IPC_NOWAIT != 0 {
        return recv(msgflg);
    }
    // Confirm the last receive's hit now that its caller has its answer (a system call there would
    // have delayed it): polling paid only if no other task took our CPU since that polling began. If
    // one did, the sender (or someone) ran on our CPU while we polled: on a shared CPU every answer
    // comes that way and was paid for by the sender's time slice, so it is a miss. The reading is also
    // this receive's starting point.
    let mut fresh = None;
    if spin.unconfirmed != 0 {
        spin.unconfirmed = 0;
        match probe.preemptions() {
            Ok(now) if now as u32 == spin.switches => {
                spin.hit();
                fresh = Some(now);
            }
            // Grown, or unknown: a miss.
            now => {
                spin.miss();
                fresh = now.ok();
            }
        }
    }
    let budget = spin.plan();
    if budget == 0 {
        return recv(msgflg);
    }
    // First attempt: a message already there costs what the blocking call would, and tells nothing about
    // polling. Any error but ENOMSG (EINVAL: no such queue, E2BIG, EACCES) is the blocking call's too.
    match recv(msgflg | abi::IPC_NOWAIT) {
        Err(Errno::NOMSG) => {}
        done => return done,
    }
    // Read only now, so that a message already there costs no extra system call.
    let switches = match fresh {
        Some(now) => Ok(now),
        None => probe.preemptions(),
    };
    // Every signal is held back while polling: a signal of the application's arriving now would
    // otherwise be handled and then interrupt nothing, and the receive would block as if it had never
    // come, where a blocking msgrcv would have returned EINTR. Held, it is seen when polling ends.
    let held = probe.hold_signals();
    if let (Ok(start), Ok(switches)) = (probe.now_ns(), switches) {
        let mut polls: u32 = 0;
        loop {
            match recv(msgflg | abi::IPC_NOWAIT) {
                Err(Errno::NOMSG) => {}
                Ok(n) => {
                    // A hit, if the next receive confirms it.
                    spin.unconfirmed = 1;
                    spin.switches = switches as u32;
                    return Ok(n);
                }
                // The queue answered ENOMSG before, so it existed: it was removed while we polled. A
                // blocked receiver would have been woken with EIDRM; so is this one.
                Err(Errno::INVAL) => return Err(Errno::IDRM),
                Err(e) => return Err(e),
            }
            polls = polls.wrapping_add(1);
            // Reading the clock is a system call too: look every fourth poll. A clock that fails ends
            // polling (it would otherwise never end).
            if polls.is_multiple_of(4) {
                match probe.now_ns() {
                    Ok(now) if now.wrapping_sub(start) < u64::from(budget) => {}
                    _ => break,
                }
            }
        }
    }
    // The budget ran out, or the clock or the counter could not be read: block, unless a signal came.
    spin.miss();
    if held.as_ref().is_some_and(|h| h.interrupted()) {
        // Its handler runs as `held` drops, before this returns, as for a blocking call.
        return Err(Errno::INTR);
    }
    drop(held);
    match recv(msgflg) {
        // The queue existed at the first attempt: it was removed before this call could block on it.
        Err(Errno::INVAL) => Err(Errno::IDRM),
        r => r,
    }
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
    use core::cell::Cell;

    fn fresh() -> Spin {
        Spin::new(50_000)
    }

    fn polls_in(s: &mut Spin, receives: u32) -> usize {
        (0..receives).filter(|_| s.plan() > 0).count()
    }

    /// A fake system: a clock that advances `step` ns per reading, a context-switch counter the fake
    /// queue can bump, and either that can be made to fail.
    struct Fake {
        now: Cell<u64>,
        step: u64,
        clock_fails_after: Cell<Option<u32>>,
        switches: Cell<u64>,
        counter_fails: Cell<bool>,
        /// A signal with a handler arrives while signals are held (the fake queue sets it).
        signal: std::rc::Rc<Cell<bool>>,
        /// Signals held, then released: the guards made and dropped.
        holds: std::rc::Rc<Cell<(u32, u32)>>,
    }

    struct FakeHeld {
        signal: std::rc::Rc<Cell<bool>>,
        holds: std::rc::Rc<Cell<(u32, u32)>>,
    }

    impl Held for FakeHeld {
        fn interrupted(&self) -> bool {
            self.signal.get()
        }
    }

    impl Drop for FakeHeld {
        fn drop(&mut self) {
            let (made, dropped) = self.holds.get();
            self.holds.set((made, dropped + 1));
        }
    }

    impl Fake {
        fn new(step: u64) -> Self {
            Self {
                now: Cell::new(1_000_000),
                step,
                clock_fails_after: Cell::new(None),
                switches: Cell::new(7),
                counter_fails: Cell::new(false),
                signal: Default::default(),
                holds: Default::default(),
            }
        }
    }

    impl Probe for Fake {
        fn now_ns(&self) -> Result<u64, Errno> {
            match self.clock_fails_after.get() {
                Some(0) => return Err(Errno::PERM),
                Some(n) => self.clock_fails_after.set(Some(n - 1)),
                None => {}
            }
            self.now.set(self.now.get() + self.step);
            Ok(self.now.get())
        }
        fn preemptions(&self) -> Result<u64, Errno> {
            if self.counter_fails.get() { Err(Errno::PERM) } else { Ok(self.switches.get()) }
        }
        type Held = FakeHeld;
        fn hold_signals(&self) -> Option<FakeHeld> {
            let (made, dropped) = self.holds.get();
            self.holds.set((made + 1, dropped));
            Some(FakeHeld { signal: self.signal.clone(), holds: self.holds.clone() })
        }
    }

    /// What the fake queue saw: non-blocking attempts and blocking calls.
    #[derive(Default, Debug, PartialEq)]
    struct Calls {
        polls: u32,
        blocks: u32,
    }

    /// One receive through the loop; the message is there at non-blocking attempt `arrives_at` (1-based;
    /// 0: never, the blocking call gets it), and the fake preemption counter grows at attempt `preempt_at`.
    fn receive(fake: &Fake, spin: &mut Spin, arrives_at: u32, preempt_at: u32) -> (Result<usize, Errno>, Calls) {
        let mut calls = Calls::default();
        let r = poll_then_block_with(fake, spin, 0, |bits| {
            if bits & abi::IPC_NOWAIT == 0 {
                calls.blocks += 1;
                return Ok(5);
            }
            calls.polls += 1;
            if calls.polls == preempt_at {
                fake.switches.set(fake.switches.get() + 1);
            }
            if calls.polls == arrives_at { Ok(5) } else { Err(Errno::NOMSG) }
        });
        (r, calls)
    }

    #[test]
    fn misses_back_off_exponentially() {
        let mut s = fresh();
        // Every poll misses: polls happen on receives 1, 2, 6, 22, 86, 342, then once per MAX_SKIP + 1.
        let mut polled_at = Vec::new();
        for i in 1..=5000u32 {
            if s.plan() > 0 {
                polled_at.push(i);
                s.miss();
            }
        }
        assert_eq!(&polled_at[..8], &[1, 2, 6, 22, 86, 342, 1366, 2390]);
        assert_eq!(polled_at.len(), 10, "{polled_at:?}");
    }

    #[test]
    fn one_hit_resets_the_back_off() {
        let mut s = fresh();
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
    fn zero_budget_never_polls() {
        let fake = Fake::new(1);
        let mut s = Spin::new(0);
        assert_eq!(receive(&fake, &mut s, 1, 0), (Ok(5), Calls { polls: 0, blocks: 1 }));
    }

    #[test]
    fn nowait_is_one_attempt() {
        let fake = Fake::new(1);
        let mut s = fresh();
        let mut calls = 0;
        let r = poll_then_block_with(&fake, &mut s, abi::IPC_NOWAIT, |bits| {
            calls += 1;
            assert_eq!(bits, abi::IPC_NOWAIT);
            Err(Errno::NOMSG)
        });
        assert_eq!((r, calls), (Err(Errno::NOMSG), 1));
        assert_eq!(s, fresh());
    }

    #[test]
    fn a_message_already_there_is_neutral_and_costs_no_probe() {
        let fake = Fake::new(1);
        let mut s = fresh();
        s.miss(); // one miss: skip 0, so this receive polls
        let before = s;
        assert_eq!(receive(&fake, &mut s, 1, 0), (Ok(5), Calls { polls: 1, blocks: 0 }));
        assert_eq!(s, before, "neither a hit nor a miss");
        assert_eq!(fake.now.get(), 1_000_000, "no clock reading");
    }

    #[test]
    fn an_answer_while_polling_on_our_own_cpu_is_a_hit() {
        let fake = Fake::new(100);
        let mut s = fresh();
        s.miss();
        assert_eq!(receive(&fake, &mut s, 30, 0), (Ok(5), Calls { polls: 30, blocks: 0 }));
        assert_eq!((s.hits(), s.misses()), (0, 1), "confirmed at the next receive, not before returning");
        assert_eq!(receive(&fake, &mut s, 1, 0), (Ok(5), Calls { polls: 1, blocks: 0 }));
        assert_eq!((s.hits(), s.misses()), (1, 0));
    }

    #[test]
    fn an_answer_after_we_were_preempted_is_a_miss() {
        // On a shared CPU the sender only runs when the poller is preempted: the "hit" cost the sender
        // its time. It counts as a miss, and the next receives back off.
        let fake = Fake::new(100);
        let mut s = fresh();
        assert_eq!(receive(&fake, &mut s, 30, 12), (Ok(5), Calls { polls: 30, blocks: 0 }));
        assert_eq!(receive(&fake, &mut s, 3, 2), (Ok(5), Calls { polls: 3, blocks: 0 }));
        assert_eq!((s.hits(), s.misses()), (0, 1));
        assert_eq!(receive(&fake, &mut s, 1, 0), (Ok(5), Calls { polls: 0, blocks: 1 }), "skipped: blocks at once");
        assert_eq!((s.hits(), s.misses()), (0, 2));
        // Preempted after the answer, before the next receive (the sender ran on our CPU when our next
        // request woke it): a miss too.
        let mut t = fresh();
        assert_eq!(receive(&fake, &mut t, 30, 0), (Ok(5), Calls { polls: 30, blocks: 0 }));
        fake.switches.set(fake.switches.get() + 1);
        assert_eq!(receive(&fake, &mut t, 1, 0).0, Ok(5));
        assert_eq!((t.hits(), t.misses()), (0, 1));
        // A preemption before the first attempt, with nothing to confirm, is not held against polling:
        // the message was there at once.
        let mut t = fresh();
        assert_eq!(receive(&fake, &mut t, 1, 1), (Ok(5), Calls { polls: 1, blocks: 0 }));
        assert_eq!(t, fresh());
    }

    #[test]
    fn a_shared_cpu_stops_polling() {
        // Every answer comes after a preemption, as when both processes share one CPU: over 1000
        // receives polling happens six times (then once per MAX_SKIP + 1).
        let fake = Fake::new(100);
        let mut s = fresh();
        let mut polled = 0;
        for _ in 0..1000 {
            let (r, calls) = receive(&fake, &mut s, 4, 2);
            assert_eq!(r, Ok(5));
            polled += u32::from(calls.polls > 0);
        }
        assert_eq!(s.hits(), 0);
        assert_eq!(polled, 6, "polled in {polled} of 1000 receives");
    }

    #[test]
    fn pinned_apart_polls_every_time() {
        let fake = Fake::new(100);
        let mut s = fresh();
        for _ in 0..1000 {
            assert_eq!(receive(&fake, &mut s, 4, 0), (Ok(5), Calls { polls: 4, blocks: 0 }));
        }
        assert_eq!((s.hits(), s.misses()), (999, 0), "the last one is confirmed by the next receive");
    }

    #[test]
    fn the_budget_is_time() {
        // 50 us budget, the clock advancing 1 us per reading, read every fourth attempt: the loop stops
        // after about 4 * 50 attempts, counts a miss, and blocks.
        let fake = Fake::new(1_000);
        let mut s = fresh();
        let (r, calls) = receive(&fake, &mut s, 0, 0);
        assert_eq!((r, calls.blocks), (Ok(5), 1));
        assert!((190..=210).contains(&calls.polls), "{calls:?}");
        assert_eq!(s.misses(), 1);
    }

    #[test]
    fn a_failing_clock_stops_polling_and_blocks() {
        // At the start (clock_gettime denied by seccomp): one attempt, then the block.
        let fake = Fake::new(1);
        fake.clock_fails_after.set(Some(0));
        let mut s = fresh();
        assert_eq!(receive(&fake, &mut s, 0, 0), (Ok(5), Calls { polls: 1, blocks: 1 }));
        assert_eq!(s.misses(), 1);
        // Failing mid-way (the clock advances 1 ns per reading: the budget would last for ever).
        let fake = Fake::new(1);
        fake.clock_fails_after.set(Some(3));
        let mut s = fresh();
        assert_eq!(receive(&fake, &mut s, 0, 0), (Ok(5), Calls { polls: 1 + 4 * 3, blocks: 1 }));
        assert_eq!(s.misses(), 1);
    }

    #[test]
    fn a_failing_switch_counter_stops_polling_and_blocks() {
        let fake = Fake::new(1);
        fake.counter_fails.set(true);
        let mut s = fresh();
        assert_eq!(receive(&fake, &mut s, 0, 0), (Ok(5), Calls { polls: 1, blocks: 1 }));
        assert_eq!(s.misses(), 1);
        // Failing when a hit is to be confirmed: a miss, not a hit.
        let fake = Fake::new(100);
        let mut s = fresh();
        assert_eq!(receive(&fake, &mut s, 10, 0).0, Ok(5));
        fake.counter_fails.set(true);
        assert_eq!(receive(&fake, &mut s, 0, 0), (Ok(5), Calls { polls: 1, blocks: 1 }));
        assert_eq!((s.hits(), s.misses()), (0, 2));
    }

    #[test]
    fn removal_while_polling_or_before_the_block_is_eidrm_and_before_the_first_attempt_einval() {
        let fake = Fake::new(100);
        for (answers, want) in [
            // No such queue at the first attempt: what a blocking receive answers.
            (&[Err(Errno::INVAL)][..], Err(Errno::INVAL)),
            // Removed while polling.
            (&[Err(Errno::NOMSG), Err(Errno::NOMSG), Err(Errno::INVAL)][..], Err(Errno::IDRM)),
        ] {
            let mut i = 0;
            let r = poll_then_block_with(&fake, &mut fresh(), 0, |bits| {
                assert_ne!(bits & abi::IPC_NOWAIT, 0);
                i += 1;
                answers[i - 1]
            });
            assert_eq!(r, want);
        }
        // Removed after the last poll, before the block (the clock fails, so the block follows the first
        // attempt).
        fake.clock_fails_after.set(Some(0));
        let r = poll_then_block_with(&fake, &mut fresh(), 0, |bits| {
            if bits & abi::IPC_NOWAIT != 0 { Err(Errno::NOMSG) } else { Err(Errno::INVAL) }
        });
        assert_eq!(r, Err(Errno::IDRM));
    }

    #[test]
    fn removal_between_the_last_poll_and_the_block_gives_eidrm() {
        // The real kernel: polls answer ENOMSG, then the queue goes just before the blocking msgrcv,
        // which answers EINVAL (no such queue). A blocked receiver would have got EIDRM; so must this one.
        let q = Queue::private(0o600).unwrap();
        let mut spin = Spin::new(1_000);
        let mut f = Frame::<8>::new(MsgType::MIN);
        let mut polls = 0;
        let r = poll_then_block(&mut spin, 0, |bits| {
            if bits & abi::IPC_NOWAIT == 0 {
                q.remove().unwrap();
            } else {
                polls += 1;
            }
            sys::msgrcv_frame(q.id(), &mut f, 0, bits)
        });
        let _ = q.remove();
        assert!(polls > 0);
        assert_eq!(r, Err(Errno::IDRM));
    }

    #[test]
    fn c_words_round_trip() {
        let mut s = fresh();
        s.miss();
        s.hit();
        s.miss();
        assert_eq!(Spin::from_words(s.to_words()), s);
        assert_eq!(core::mem::size_of::<Spin>(), 24);
    }

    #[test]
    fn a_signal_held_while_polling_is_eintr_instead_of_a_block() {
        // A blocking msgrcv would have returned EINTR for a signal with a handler that arrived while it
        // waited; polling holds signals back and reports it when the budget runs out, without blocking.
        let fake = Fake::new(1_000);
        let mut s = fresh();
        let mut calls = Calls::default();
        let r = poll_then_block_with(&fake, &mut s, 0, |bits| {
            if bits & abi::IPC_NOWAIT == 0 {
                calls.blocks += 1;
                return Ok(5);
            }
            calls.polls += 1;
            if calls.polls == 3 {
                fake.signal.set(true);
            }
            Err(Errno::NOMSG)
        });
        assert_eq!(r, Err(Errno::INTR));
        assert_eq!(calls.blocks, 0, "no blocking call after the signal");
        assert_eq!(fake.holds.get(), (1, 1), "signals held once and released");
        // Without a signal the same receive blocks, with signals released before it does.
        fake.signal.set(false);
        let mut s = fresh();
        let holds = fake.holds.clone();
        let r = poll_then_block_with(&fake, &mut s, 0, |bits| {
            if bits & abi::IPC_NOWAIT == 0 {
                assert_eq!(holds.get(), (2, 2), "released before blocking");
                return Ok(9);
            }
            Err(Errno::NOMSG)
        });
        assert_eq!(r, Ok(9));
    }

    #[test]
    fn a_message_that_came_with_a_held_signal_is_returned() {
        // Both arrived while polling: the message is returned (a blocking msgrcv could have returned
        // either), and the signal is delivered as the receive returns.
        let fake = Fake::new(100);
        let mut s = fresh();
        let mut polls = 0;
        let r = poll_then_block_with(&fake, &mut s, 0, |_| {
            polls += 1;
            if polls == 4 {
                fake.signal.set(true);
            }
            if polls == 6 { Ok(3) } else { Err(Errno::NOMSG) }
        });
        assert_eq!(r, Ok(3));
        assert_eq!(fake.holds.get(), (1, 1));
    }

    #[test]
    fn a_message_there_at_once_holds_no_signal() {
        let fake = Fake::new(1);
        let mut s = fresh();
        assert_eq!(receive(&fake, &mut s, 1, 0).0, Ok(5));
        assert_eq!(fake.holds.get(), (0, 0), "no system call for the mask either");
    }
}
