//! The deadline calls (`recv_timeout`, `recv_frame_timeout`, `send_timeout`, `send_frame_timeout`) on
//! real queues: timeouts never early, nothing lost, the application's own signals still `EINTR`, full
//! queues, removal, independent deadlines per thread, and the application's signal handlers and masks
//! left alone (with refusal when the chosen signal is taken).
//!
//! Tests that change process-wide signal state run in a forked child (single-threaded, raw syscalls and
//! async-signal-safe libc calls only), so they cannot disturb the tests running beside them.

mod common;

use common::{Guard, spawn_blocked, wait};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};
use std::time::{Duration, Instant};
use svmq::{Errno, Frame, Message, MsgType, Queue, RecvFlags, Select, SendFlags};

fn t(v: i64) -> MsgType {
    MsgType::new(v).unwrap()
}

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

fn send(q: &Queue, ty: i64, data: &[u8]) {
    q.send(&Message::<64>::new(t(ty), data).unwrap()).unwrap();
}

fn recv_frame(q: &Queue, select: Select, flags: RecvFlags, timeout: Duration) -> Result<(i64, Vec<u8>), Errno> {
    let mut f = Frame::<64>::new(MsgType::MIN);
    let n = q.recv_frame_timeout(&mut f, select, flags, timeout)?;
    Ok((f.mtype().unwrap().get(), f.text()[..n].to_vec()))
}

/// A queue holding at most `bytes` bytes.
fn small_queue(bytes: u64) -> Guard {
    let q = Guard::private();
    let mut s = q.stat().unwrap().settings();
    s.qbytes = bytes;
    q.set(&s).unwrap();
    q
}

/// Runs `f` in a forked child and returns its exit status (0: every check in it passed).
fn in_child(f: impl FnOnce() -> i32) -> i32 {
    // SAFETY: fork in the test process; the child makes raw syscalls and async-signal-safe libc calls
    // only (no allocation: the test harness's other threads may hold the allocator's lock), then _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork");
    if pid == 0 {
        let code = f();
        // SAFETY: leaving the child without running the parent's destructors.
        unsafe { libc::_exit(code) };
    }
    wait(pid)
}

static HANDLED: AtomicU32 = AtomicU32::new(0);
extern "C" fn count_signal(_: libc::c_int) {
    HANDLED.fetch_add(1, Ordering::SeqCst);
}

/// Installs `count_signal` on `sig` for the whole process (with or without `SA_RESTART`).
fn install_counter(sig: libc::c_int, restart: bool) {
    // SAFETY: a zeroed sigaction is valid; the handler only touches an atomic.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = count_signal as *const () as usize;
        sa.sa_flags = if restart { libc::SA_RESTART } else { 0 };
        assert_eq!(libc::sigaction(sig, &sa, std::ptr::null_mut()), 0);
    }
}

fn disposition(sig: libc::c_int) -> libc::sigaction {
    // SAFETY: querying only.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(sig, std::ptr::null(), &mut old);
        old
    }
}

fn thread_mask() -> libc::sigset_t {
    // SAFETY: querying only.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut set);
        set
    }
}

fn is_member(set: &libc::sigset_t, sig: libc::c_int) -> bool {
    // SAFETY: reading a valid set.
    unsafe { libc::sigismember(set, sig) == 1 }
}

#[test]
fn an_empty_queue_times_out_never_before_the_deadline() {
    let q = Guard::private();
    for timeout in [Duration::from_micros(1), Duration::from_micros(300), ms(5), ms(60)] {
        let start = Instant::now();
        assert_eq!(q.recv_timeout::<16>(Select::Any, timeout), Err(Errno::TIMEDOUT), "{timeout:?}");
        let took = start.elapsed();
        assert!(took >= timeout, "returned after {took:?}, before the deadline of {timeout:?}");
        let start = Instant::now();
        assert_eq!(recv_frame(&q, Select::Any, RecvFlags::TRUNCATE, timeout), Err(Errno::TIMEDOUT));
        assert!(start.elapsed() >= timeout);
    }
    // A queued message of another type does not end the wait, and stays queued.
    send(&q, 5, b"five");
    let start = Instant::now();
    assert_eq!(q.recv_timeout::<16>(Select::Exactly(t(6)), ms(30)), Err(Errno::TIMEDOUT));
    assert!(start.elapsed() >= ms(30));
    assert_eq!(q.stat().unwrap().qnum, 1);
    assert_eq!(q.recv_timeout::<16>(Select::Except(t(6)), ms(30)).unwrap().data(), b"five");
}

#[test]
fn zero_timeout_is_one_nonblocking_attempt_and_nowait_keeps_its_errno() {
    let q = small_queue(4);
    assert_eq!(q.recv_timeout::<8>(Select::Any, Duration::ZERO), Err(Errno::TIMEDOUT));
    assert_eq!(recv_frame(&q, Select::Any, RecvFlags::NOWAIT, ms(500)), Err(Errno::NOMSG));
    let full = Message::<4>::new(t(1), b"full").unwrap();
    assert_eq!(q.send_timeout(&full, SendFlags::BLOCK, Duration::ZERO), Ok(()));
    assert_eq!(q.send_timeout(&full, SendFlags::BLOCK, Duration::ZERO), Err(Errno::TIMEDOUT));
    assert_eq!(q.send_timeout(&full, SendFlags::NOWAIT, ms(500)), Err(Errno::AGAIN));
    let f = Frame::<4>::new(t(1));
    assert_eq!(q.send_frame_timeout(&f, 1, SendFlags::BLOCK, Duration::ZERO), Err(Errno::TIMEDOUT));
    assert_eq!(q.send_frame_timeout(&f, 5, SendFlags::BLOCK, ms(1)), Err(Errno::TOOBIG));
    assert_eq!(q.recv_timeout::<8>(Select::Any, Duration::ZERO).unwrap().data(), b"full");
    assert_eq!(q.stat().unwrap().qnum, 0);
}

#[test]
fn every_selector_truncation_and_too_big_work_as_in_the_blocking_calls() {
    let q = Guard::private();
    for (ty, d) in [(5, "five"), (3, "three"), (9, "nine"), (3, "three-b")] {
        send(&q, ty, d.as_bytes());
    }
    let wait = ms(200);
    assert_eq!(recv_frame(&q, Select::Exactly(t(9)), RecvFlags::BLOCK, wait), Ok((9, b"nine".to_vec())));
    assert_eq!(recv_frame(&q, Select::AtMost(t(4)), RecvFlags::BLOCK, wait), Ok((3, b"three".to_vec())));
    assert_eq!(recv_frame(&q, Select::Except(t(3)), RecvFlags::BLOCK, wait), Ok((5, b"five".to_vec())));
    assert_eq!(recv_frame(&q, Select::Any, RecvFlags::BLOCK, wait), Ok((3, b"three-b".to_vec())));
    send(&q, 2, &[7; 40]);
    let mut small = Frame::<8>::new(MsgType::MIN);
    assert_eq!(q.recv_frame_timeout(&mut small, Select::Any, RecvFlags::BLOCK, wait), Err(Errno::TOOBIG));
    assert_eq!(q.recv_timeout::<8>(Select::Any, wait), Err(Errno::TOOBIG));
    assert_eq!(q.stat().unwrap().qnum, 1, "a message too big for the buffer stays queued");
    assert_eq!(q.recv_frame_timeout(&mut small, Select::Any, RecvFlags::TRUNCATE, wait), Ok(8));
    assert_eq!(q.stat().unwrap().qnum, 0);
    // Bad ids: the blocking calls' EINVAL, at once.
    let gone = Queue::from_id(i32::MAX);
    assert_eq!(gone.recv_timeout::<8>(Select::Any, ms(10)), Err(Errno::INVAL));
    let m = Message::<4>::new(t(1), b"x").unwrap();
    assert_eq!(gone.send_timeout(&m, SendFlags::BLOCK, ms(10)), Err(Errno::INVAL));
}

#[test]
fn a_message_arriving_mid_wait_is_received() {
    let q = Guard::private();
    for delay in [2, 50] {
        let id = q.id();
        let h = std::thread::spawn(move || {
            std::thread::sleep(ms(delay));
            send(&Queue::from_id(id), 7, b"hello");
        });
        assert_eq!(q.recv_timeout::<16>(Select::Exactly(t(7)), ms(20_000)).unwrap().data(), b"hello");
        h.join().unwrap();
        let h = std::thread::spawn(move || {
            std::thread::sleep(ms(delay));
            send(&Queue::from_id(id), 8, b"frame");
        });
        assert_eq!(recv_frame(&q, Select::Any, RecvFlags::BLOCK, ms(20_000)), Ok((8, b"frame".to_vec())));
        h.join().unwrap();
    }
}

#[test]
fn full_queue_timed_send_times_out_then_succeeds_when_space_appears() {
    let q = small_queue(8);
    let m = Message::<8>::new(t(1), b"12345678").unwrap();
    q.send(&m).unwrap();
    let start = Instant::now();
    assert_eq!(q.send_timeout(&m, SendFlags::BLOCK, ms(40)), Err(Errno::TIMEDOUT));
    assert!(start.elapsed() >= ms(40));
    let mut f = Frame::<8>::new(t(2));
    f.text_mut().copy_from_slice(b"abcdefgh");
    assert_eq!(q.send_frame_timeout(&f, 8, SendFlags::BLOCK, ms(40)), Err(Errno::TIMEDOUT));
    let st = q.stat().unwrap();
    assert_eq!((st.qnum, st.cbytes), (1, 8), "a timed-out send queued nothing");
    // Space appears 100 ms into a 20 s wait.
    let id = q.id();
    let drain = std::thread::spawn(move || {
        std::thread::sleep(ms(100));
        Queue::from_id(id).recv::<8>(Select::Any).unwrap()
    });
    assert_eq!(q.send_frame_timeout(&f, 8, SendFlags::BLOCK, ms(20_000)), Ok(()));
    assert_eq!(drain.join().unwrap().data(), b"12345678");
    let drain = std::thread::spawn(move || {
        std::thread::sleep(ms(100));
        Queue::from_id(id).recv::<8>(Select::Any).unwrap()
    });
    assert_eq!(q.send_timeout(&m, SendFlags::BLOCK, ms(20_000)), Ok(()));
    assert_eq!(drain.join().unwrap().data(), b"abcdefgh");
    assert_eq!(q.recv::<8>(Select::Any).unwrap().data(), b"12345678");
}

#[test]
fn removal_while_waiting_gives_eidrm() {
    let q = Queue::private(0o600).unwrap();
    let r = spawn_blocked(move || q.recv_timeout::<8>(Select::Any, ms(20_000)));
    q.remove().unwrap();
    assert_eq!(r.join().unwrap(), Err(Errno::IDRM));

    let q = small_queue(1);
    q.send(&Message::<1>::new(t(1), b"x").unwrap()).unwrap();
    let qq = q.0;
    let s =
        spawn_blocked(move || qq.send_timeout(&Message::<1>::new(t(1), b"y").unwrap(), SendFlags::BLOCK, ms(20_000)));
    q.remove().unwrap();
    assert_eq!(s.join().unwrap(), Err(Errno::IDRM));
}

#[test]
fn no_message_is_lost_under_a_live_producer_with_tiny_timeouts() {
    // One producer, two consumers, all with timeouts of 0 to 200 us: a message is either taken or left
    // queued, never dequeued and reported as a timeout. 20,000 numbered messages, counted both sides.
    const COUNT: u64 = 20_000;
    const TIMEOUTS_US: [u64; 6] = [0, 1, 10, 50, 100, 200];
    let q = small_queue(256); // 16 messages of 8 bytes: the producer meets a full queue too
    let id = q.id();
    let producer = std::thread::spawn(move || {
        let q = Queue::from_id(id);
        let (mut sent, mut timeouts) = (0u64, 0u64);
        let mut f = Frame::<8>::new(t(1));
        while sent < COUNT {
            f.text_mut().copy_from_slice(&sent.to_le_bytes());
            let timeout = Duration::from_micros(TIMEOUTS_US[(sent as usize + timeouts as usize) % 6]);
            match q.send_frame_timeout(&f, 8, SendFlags::BLOCK, timeout) {
                Ok(()) => sent += 1,
                Err(Errno::TIMEDOUT) => timeouts += 1,
                Err(e) => panic!("send: {e}"),
            }
        }
        for _ in 0..2 {
            q.send(&Message::<8>::new(t(2), b"end").unwrap()).unwrap();
        }
        (sent, timeouts)
    });
    let consumers: Vec<_> = (0..2)
        .map(|c| {
            std::thread::spawn(move || {
                let q = Queue::from_id(id);
                let mut seqs = Vec::new();
                let mut timeouts = 0u64;
                let mut f = Frame::<8>::new(MsgType::MIN);
                for i in 0usize.. {
                    // Now and then a pause, so that the queue fills and the producer has to wait.
                    if i % 2000 == 1999 {
                        std::thread::sleep(ms(2));
                    }
                    let timeout = Duration::from_micros(TIMEOUTS_US[(i + c) % 6]);
                    match q.recv_frame_timeout(&mut f, Select::Any, RecvFlags::BLOCK, timeout) {
                        Ok(8) if f.mtype().unwrap() == t(1) => {
                            seqs.push(u64::from_le_bytes(f.text()[..8].try_into().unwrap()))
                        }
                        Ok(_) => break, // "end"
                        Err(Errno::TIMEDOUT) => timeouts += 1,
                        Err(e) => panic!("recv: {e}"),
                    }
                }
                (seqs, timeouts)
            })
        })
        .collect();
    let (sent, send_timeouts) = producer.join().unwrap();
    let mut all = Vec::new();
    let mut recv_timeouts = 0;
    for c in consumers {
        let (seqs, timeouts) = c.join().unwrap();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "each consumer sees the queue's order");
        recv_timeouts += timeouts;
        all.extend(seqs);
    }
    all.sort_unstable();
    assert_eq!(sent, COUNT);
    assert_eq!(all.len() as u64, COUNT, "received {} of {COUNT}", all.len());
    assert!(all.iter().copied().eq(0..COUNT), "every message exactly once");
    assert!(recv_timeouts > 0 && send_timeouts > 0, "both sides timed out: {recv_timeouts} / {send_timeouts}");
    assert_eq!(q.stat().unwrap().qnum, 0);
    common::note(&format!("{COUNT} messages, lost 0; {recv_timeouts} receive and {send_timeouts} send timeouts"));
}

/// Sends `sig` to the thread `tid` of this process every 20 ms until `done`.
fn pester(tid: &AtomicI32, done: &AtomicBool, sig: libc::c_int) {
    while tid.load(Ordering::SeqCst) == 0 {
        std::thread::sleep(ms(1));
    }
    std::thread::sleep(ms(30));
    while !done.load(Ordering::SeqCst) {
        // SAFETY: tgkill to a thread of this process; a thread that has ended gives ESRCH (its id is not
        // reused while this test's threads are alive, as it is joined only after `done`).
        unsafe { libc::syscall(libc::SYS_tgkill, libc::getpid(), tid.load(Ordering::SeqCst), sig) };
        std::thread::sleep(ms(20));
    }
}

#[test]
fn a_signal_of_the_application_still_gives_eintr() {
    // The application's own handler on SIGUSR1, with and without SA_RESTART: a timed receive and a timed
    // send, each with 20 s to go, return EINTR long before their deadlines, and nothing is taken or queued.
    for restart in [false, true] {
        install_counter(libc::SIGUSR1, restart);
        let before = HANDLED.load(Ordering::SeqCst);
        let q = small_queue(1);
        let id = q.id();
        let tid = Arc::new(AtomicI32::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let (t2, d2) = (tid.clone(), done.clone());
        let waiter = std::thread::spawn(move || {
            // SAFETY: gettid has no preconditions.
            t2.store(unsafe { libc::gettid() }, Ordering::SeqCst);
            let q = Queue::from_id(id);
            let start = Instant::now();
            let r = q.recv_timeout::<8>(Select::Any, ms(20_000));
            q.send(&Message::<1>::new(t(1), b"x").unwrap()).unwrap();
            let s = q.send_timeout(&Message::<1>::new(t(1), b"y").unwrap(), SendFlags::BLOCK, ms(20_000));
            d2.store(true, Ordering::SeqCst);
            (r, s, start.elapsed())
        });
        pester(&tid, &done, libc::SIGUSR1);
        let (r, s, took) = waiter.join().unwrap();
        assert_eq!(r.map(|m| m.data().to_vec()), Err(Errno::INTR), "receive, SA_RESTART={restart}");
        assert_eq!(s, Err(Errno::INTR), "send, SA_RESTART={restart}");
        assert!(took < ms(20_000));
        assert!(HANDLED.load(Ordering::SeqCst) > before, "the application's handler ran");
        assert_eq!(q.stat().unwrap().qnum, 1, "the interrupted send queued nothing");
        // And the retry helper resumes a timed call.
        assert_eq!(svmq::retry_on_intr(|| q.recv_timeout::<1>(Select::Any, ms(1000))).unwrap().data(), b"x");
    }
}

#[test]
fn threads_have_independent_deadlines() {
    // Four threads wait at once: 40 ms and 3 s on their own queues, 40 ms and 3 s on a shared queue; a
    // fifth receives a message sent 300 ms in. Each times out no earlier than its own deadline, and the
    // short waits are not held up by the long ones.
    let shared = Guard::private();
    let (a, b, c) = (Guard::private(), Guard::private(), Guard::private());
    let start = Instant::now();
    let spawn = |id: i32, timeout: Duration| {
        std::thread::spawn(move || {
            let r = Queue::from_id(id).recv_timeout::<8>(Select::Any, timeout).map(|m| m.data().to_vec());
            (r, start.elapsed())
        })
    };
    let waits = [
        (spawn(a.id(), ms(40)), ms(40)),
        (spawn(b.id(), ms(3000)), ms(3000)),
        (spawn(shared.id(), ms(40)), ms(40)),
        (spawn(shared.id(), ms(3000)), ms(3000)),
    ];
    let lucky = spawn(c.id(), ms(20_000));
    std::thread::sleep(ms(300));
    send(&c, 1, b"mail");
    let results: Vec<_> = waits.into_iter().map(|(h, d)| (h.join().unwrap(), d)).collect();
    for ((r, took), deadline) in &results {
        assert_eq!(r, &Err(Errno::TIMEDOUT));
        assert!(took >= deadline, "{took:?} before its deadline {deadline:?}");
    }
    let (r, _) = lucky.join().unwrap();
    assert_eq!(r, Ok(b"mail".to_vec()));
    assert!(results[0].0.1 < results[1].0.1 && results[2].0.1 < results[3].0.1, "short waits end first");
}

/// Every disposition except SIGKILL, SIGSTOP and `skip`, as (handler, flags, mask members); no
/// allocation (it runs in forked children).
fn all_dispositions(skip: libc::c_int) -> [(usize, libc::c_int, u64); 64] {
    let mut out = [(0, 0, 0); 64];
    for s in (1..=64).filter(|&s| s != libc::SIGKILL && s != libc::SIGSTOP && s != skip) {
        let d = disposition(s);
        let mask = (1..=64).filter(|&m| is_member(&d.sa_mask, m)).fold(0u64, |acc, m| acc | 1 << (m - 1));
        out[(s - 1) as usize] = (d.sa_sigaction, d.sa_flags, mask);
    }
    out
}

fn mask_bits() -> u64 {
    let m = thread_mask();
    (1..=64).filter(|&s| is_member(&m, s)).fold(0u64, |acc, s| acc | 1 << (s - 1))
}

#[test]
fn handlers_and_masks_are_left_unchanged() {
    let q = small_queue(1);
    let id = q.id();
    let status = in_child(move || {
        // The application's state: a handler on SIGALRM (which will interrupt a timed call), SIGUSR2
        // ignored, SIGWINCH blocked.
        install_counter(libc::SIGALRM, false);
        // SAFETY: setting SIG_IGN and blocking a signal in this single-threaded child.
        unsafe {
            libc::signal(libc::SIGUSR2, libc::SIG_IGN);
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGWINCH);
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        }
        let ours = svmq::timeout_signal();
        let (before, mask_before) = (all_dispositions(ours), mask_bits());
        let q = Queue::from_id(id);
        // Timeouts, a success, an EINTR of the application's SIGALRM.
        if q.recv_timeout::<1>(Select::Any, ms(20)) != Err(Errno::TIMEDOUT) {
            return 1;
        }
        if q.send_timeout(&Message::<1>::new(t(1), b"x").unwrap(), SendFlags::BLOCK, ms(20)) != Ok(()) {
            return 2;
        }
        if q.send_timeout(&Message::<1>::new(t(1), b"y").unwrap(), SendFlags::BLOCK, ms(20)) != Err(Errno::TIMEDOUT) {
            return 3;
        }
        let tick = libc::itimerval {
            it_interval: libc::timeval { tv_sec: 0, tv_usec: 50_000 },
            it_value: libc::timeval { tv_sec: 0, tv_usec: 50_000 },
        };
        // SAFETY: a periodic SIGALRM for this child, stopped below.
        unsafe { libc::setitimer(libc::ITIMER_REAL, &tick, std::ptr::null_mut()) };
        let r = q.send_timeout(&Message::<1>::new(t(1), b"y").unwrap(), SendFlags::BLOCK, ms(20_000));
        let off = libc::itimerval { it_interval: tick.it_interval, it_value: libc::timeval { tv_sec: 0, tv_usec: 0 } };
        // SAFETY: stopping the timer.
        unsafe { libc::setitimer(libc::ITIMER_REAL, &off, std::ptr::null_mut()) };
        if r != Err(Errno::INTR) {
            return 4;
        }
        if all_dispositions(ours) != before {
            return 5;
        }
        if mask_bits() != mask_before {
            return 6;
        }
        // The timeout signal itself carries svmq's handler, and is not blocked.
        if disposition(ours).sa_sigaction <= libc::SIG_IGN || is_member(&thread_mask(), ours) {
            return 7;
        }
        0
    });
    assert_eq!(status, 0, "see the numbered checks in the child");
}

#[test]
fn a_signal_the_application_uses_is_refused() {
    let q = Guard::private();
    let id = q.id();
    let status = in_child(move || {
        let q = Queue::from_id(id);
        let rt = libc::SIGRTMIN();
        let handled = HANDLED.load(Ordering::SeqCst); // the parent's other tests count too
        // Outside 35..=64 (the real-time signals no C library reserves): EINVAL, the disposition
        // untouched. A signal with the application's handler, or ignored: EBUSY, and the handler stays.
        if svmq::TIMEOUT_SIGNALS != (35..=64) || libc::SIGRTMIN() > 35 {
            return 11;
        }
        for bad in [0, -1, 65, 32, 33, 34, libc::SIGKILL, libc::SIGTERM, libc::SIGSEGV, libc::SIGALRM, i32::MIN] {
            let before = if (1..=64).contains(&bad) { disposition(bad).sa_sigaction } else { 0 };
            if svmq::set_timeout_signal(bad) != Err(Errno::INVAL) {
                return 1;
            }
            if (1..=64).contains(&bad) && disposition(bad).sa_sigaction != before {
                return 12;
            }
        }
        install_counter(rt + 3, false);
        let theirs = disposition(rt + 3).sa_sigaction;
        if svmq::set_timeout_signal(rt + 3) != Err(Errno::BUSY) || disposition(rt + 3).sa_sigaction != theirs {
            return 2;
        }
        // SAFETY: SIG_IGN on a signal of this child.
        unsafe { libc::signal(rt + 4, libc::SIG_IGN) };
        if svmq::set_timeout_signal(rt + 4) != Err(Errno::BUSY) || disposition(rt + 4).sa_sigaction != libc::SIG_IGN {
            return 3;
        }
        // A free signal is taken; the choice shows, and the waits use it.
        let mine = rt + 5;
        if svmq::set_timeout_signal(mine) != Ok(()) || svmq::timeout_signal() != mine {
            return 4;
        }
        if q.recv_timeout::<1>(Select::Any, ms(10)) != Err(Errno::TIMEDOUT) {
            return 5;
        }
        // Blocked in the calling thread: EBUSY for a call that has to wait, the mask untouched; a zero
        // timeout and a call that need not wait do not need the signal.
        // SAFETY: blocking one signal in this single-threaded child.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, mine);
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        }
        let mask = mask_bits();
        if q.recv_timeout::<1>(Select::Any, ms(10)) != Err(Errno::BUSY) || mask_bits() != mask {
            return 6;
        }
        if q.recv_timeout::<1>(Select::Any, Duration::ZERO) != Err(Errno::TIMEDOUT) {
            return 7;
        }
        if q.send(&Message::<1>::new(t(1), b"m").unwrap()).is_err()
            || q.recv_timeout::<1>(Select::Any, ms(10)).map(|m| m.data()[0]) != Ok(b'm')
        {
            return 8;
        }
        // SAFETY: unblocking it again.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, mine);
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        }
        // The application installs its own handler on it later: EBUSY from then on, its handler kept.
        install_counter(mine, false);
        let theirs = disposition(mine).sa_sigaction;
        if q.recv_timeout::<1>(Select::Any, ms(10)) != Err(Errno::BUSY) || disposition(mine).sa_sigaction != theirs {
            return 9;
        }
        if HANDLED.load(Ordering::SeqCst) != handled {
            return 10; // svmq never sent a signal to a handler that is not its own
        }
        0
    });
    assert_eq!(status, 0, "see the numbered checks in the child");
}

#[test]
fn randomized_timed_c_abi_calls_only_ever_answer_an_errno() {
    // The four C functions with random ids, types, lengths, flags, NULL pointers and timeouts of 0 to
    // 200 us, blocking or not: every answer is >= 0 or a negative errno, and the queues stay sound.
    use svmq::capi::*;
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn pick<T: Copy>(&mut self, v: &[T]) -> T {
            v[(self.next() % v.len() as u64) as usize]
        }
    }
    let live = [small_queue(512), small_queue(512)];
    let dead = Queue::private(0o600).unwrap();
    dead.remove().unwrap();
    let ids = [live[0].id(), live[1].id(), dead.id(), -1, i32::MAX];
    let lens = [0usize, 1, 8, 64, 8192, 8193, usize::MAX];
    let types: [libc::c_long; 6] = [0, 1, 2, -1, libc::c_long::MIN, libc::c_long::MAX];
    let timeouts = [0u64, 1_000, 20_000, 200_000];
    let mut rng = Rng(0x7173_d00d_5eed_0001);
    let mut buf = vec![0u8; 8 + 8192];
    let (mut ok, mut errs) = (0u64, 0u64);
    let mut seen = std::collections::BTreeSet::new();
    const ITERS: u64 = 4_000;
    for _ in 0..ITERS {
        let id = rng.pick(&ids);
        let flags = match rng.next() % 4 {
            0 => 0,
            1 => SVMQ_IPC_NOWAIT,
            2 => rng.pick(&[SVMQ_MSG_NOERROR, SVMQ_MSG_EXCEPT, SVMQ_MSG_COPY | SVMQ_IPC_NOWAIT, SVMQ_MSG_COPY]),
            _ => rng.next() as i32,
        };
        let len = rng.pick(&lens);
        let cap = len.min(8192);
        let null = rng.next().is_multiple_of(8);
        let p = if null { std::ptr::null_mut() } else { buf.as_mut_ptr() };
        let t = rng.pick(&types);
        let timeout = rng.pick(&timeouts);
        // SAFETY: every non-NULL pointer covers the length passed with it (buf is 8 + 8192 bytes).
        let r: i64 = unsafe {
            match rng.next() % 4 {
                0 => i64::from(svmq_send_timed(id, t, p.cast(), len, flags, timeout)),
                1 => svmq_recv_timed(id, t, p.cast(), len, std::ptr::null_mut(), flags, timeout),
                2 => {
                    if !null {
                        buf[..size_of::<libc::c_long>()].copy_from_slice(&t.to_ne_bytes());
                    }
                    i64::from(svmq_send_raw_timed(id, p.cast(), cap, flags, timeout))
                }
                _ => svmq_recv_raw_timed(id, p.cast(), cap, t, flags, timeout),
            }
        };
        if r >= 0 {
            ok += 1;
        } else {
            errs += 1;
            assert!((1..=133).contains(&-r), "an errno, not {r}");
            seen.insert(Errno::from_raw(-r as i32).name());
        }
    }
    assert!(seen.contains("ETIMEDOUT") && ok > 0, "the run reached timeouts and successes: {seen:?}");
    for g in &live {
        g.stat().expect("the live queues are still sound");
        while g.try_recv::<8192>(Select::Any).is_ok() {}
        assert_eq!(g.stat().unwrap().cbytes, 0, "drained cleanly");
    }
    common::note(&format!("randomized timed C ABI: {ITERS} calls, {ok} succeeded, {errs} -errno {seen:?}"));
}
