//! The low-latency receive (`Spin`): same semantics as a blocking receive, and the CPU it may burn.

mod common;

use common::{Guard, note};
use std::time::Duration;
use svmq::{Errno, Frame, Message, MsgType, Queue, RecvFlags, Select, Spin};

fn t(v: i64) -> MsgType {
    MsgType::new(v).unwrap()
}

fn send(q: &Queue, ty: i64, data: &[u8]) {
    q.send(&Message::<64>::new(t(ty), data).unwrap()).unwrap();
}

fn recv(q: &Queue, select: Select, flags: RecvFlags, spin: &mut Spin) -> Result<(i64, Vec<u8>), Errno> {
    let mut f = Frame::<64>::new(MsgType::MIN);
    let n = q.recv_frame_spin(&mut f, select, flags, spin)?;
    Ok((f.mtype().unwrap().get(), f.text()[..n].to_vec()))
}

/// CPU time of the calling thread.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime fills ts.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Restricts the calling thread to CPU 0.
fn pin_to_one_cpu() {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; sched_setaffinity(0) affects this thread only.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(0, &mut set);
        assert_eq!(libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set), 0);
    }
}

fn cpus() -> usize {
    std::thread::available_parallelism().map(usize::from).unwrap_or(1)
}

#[test]
fn every_selector_works_while_spinning() {
    let q = Guard::private();
    let mut spin = Spin::default();
    for (ty, d) in [(5, "five"), (3, "three"), (9, "nine"), (3, "three-b")] {
        send(&q, ty, d.as_bytes());
    }
    assert_eq!(recv(&q, Select::Exactly(t(9)), RecvFlags::BLOCK, &mut spin), Ok((9, b"nine".to_vec())));
    assert_eq!(recv(&q, Select::AtMost(t(4)), RecvFlags::BLOCK, &mut spin), Ok((3, b"three".to_vec())));
    assert_eq!(recv(&q, Select::Except(t(3)), RecvFlags::BLOCK, &mut spin), Ok((5, b"five".to_vec())));
    assert_eq!(recv(&q, Select::Any, RecvFlags::BLOCK, &mut spin), Ok((3, b"three-b".to_vec())));
    assert_eq!(recv(&q, Select::Any, RecvFlags::NOWAIT, &mut spin), Err(Errno::NOMSG));
    // recv_spin, through its blocking path (budget 0), with the message arriving later.
    let id = q.id();
    let h = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        Queue::from_id(id).send(&Message::<8>::new(MsgType::MIN, b"late").unwrap()).unwrap();
    });
    let m = q.recv_spin::<8>(Select::Exactly(MsgType::MIN), &mut Spin::new(0)).unwrap();
    assert_eq!(m.data(), b"late");
    h.join().unwrap();
}

#[test]
fn messages_arriving_during_the_poll_and_after_it_are_received() {
    let q = Guard::private();
    let mut spin = Spin::new(20_000_000); // 20 ms: the first message arrives while polling
    for delay_ms in [2, 100] {
        let id = q.id();
        let h = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(delay_ms));
            Queue::from_id(id).send(&Message::<8>::new(t(7), b"hello").unwrap()).unwrap();
        });
        assert_eq!(recv(&q, Select::Exactly(t(7)), RecvFlags::BLOCK, &mut spin), Ok((7, b"hello".to_vec())));
        h.join().unwrap();
    }
}

#[test]
fn too_big_stays_queued_and_truncation_works_while_spinning() {
    let q = Guard::private();
    let mut spin = Spin::default();
    send(&q, 2, &[1; 40]);
    let mut small = Frame::<8>::new(MsgType::MIN);
    assert_eq!(q.recv_frame_spin(&mut small, Select::Any, RecvFlags::BLOCK, &mut spin), Err(Errno::TOOBIG));
    assert_eq!(q.stat().unwrap().qnum, 1);
    assert_eq!(q.recv_frame_spin(&mut small, Select::Any, RecvFlags::TRUNCATE, &mut spin), Ok(8));
    assert_eq!(q.stat().unwrap().qnum, 0);
}

#[test]
fn removal_while_polling_and_while_blocked_gives_eidrm() {
    // budget 2 s: removed while polling; budget 0: removed while blocked.
    for budget in [2_000_000_000, 0] {
        let q = Queue::private(0o600).unwrap();
        let waiter = std::thread::spawn(move || recv(&q, Select::Any, RecvFlags::BLOCK, &mut Spin::new(budget)));
        std::thread::sleep(Duration::from_millis(100));
        q.remove().unwrap();
        assert_eq!(waiter.join().unwrap(), Err(Errno::IDRM), "budget {budget} ns");
    }
}

#[test]
fn a_signal_while_blocked_gives_eintr_and_retry_resumes() {
    let q = Guard::private();
    let id = q.id();
    // SAFETY: fork; the child uses raw syscalls only, then _exit.
    let child = unsafe { libc::fork() };
    if child == 0 {
        // SA_RESTART: the kernel still does not restart msgrcv.
        common::alarm_with_handler(true, 1);
        let q = Queue::from_id(id);
        let mut spin = Spin::default();
        let mut f = Frame::<8>::new(MsgType::MIN);
        let mut interrupted = 0;
        let r = svmq::retry_on_intr(|| {
            let r = q.recv_frame_spin(&mut f, Select::Any, RecvFlags::BLOCK, &mut spin);
            interrupted += i32::from(r == Err(Errno::INTR));
            r
        });
        let code = match r {
            Ok(5) if &f.text()[..5] == b"after" && interrupted >= 1 => 0,
            _ => 1,
        };
        // SAFETY: leaving the child.
        unsafe { libc::_exit(code) };
    }
    std::thread::sleep(Duration::from_millis(1500));
    send(&q, 1, b"after");
    assert_eq!(common::wait(child), 0);
}

/// CPU time a receiver with a 400 ms budget spends waiting 300 ms for a message; `pinned` restricts it
/// to one CPU first.
fn cpu_while_waiting(pinned: bool) -> Duration {
    let q = Guard::private();
    let id = q.id();
    let waiter = std::thread::spawn(move || {
        if pinned {
            pin_to_one_cpu();
        }
        let before = thread_cpu();
        let r = recv(&Queue::from_id(id), Select::Any, RecvFlags::BLOCK, &mut Spin::new(400_000_000));
        (r, thread_cpu() - before)
    });
    std::thread::sleep(Duration::from_millis(300));
    send(&q, 1, b"x");
    let (r, cpu) = waiter.join().unwrap();
    assert_eq!(r, Ok((1, b"x".to_vec())));
    cpu
}

#[test]
fn one_cpu_never_spins_while_waiting() {
    // Polling would burn ~300 ms of CPU here.
    let cpu = cpu_while_waiting(true);
    assert!(cpu < Duration::from_millis(50), "pinned to one CPU, waiting used {cpu:?} of CPU");
}

#[test]
fn with_two_cpus_the_same_wait_does_poll() {
    // The control for the test above: it proves the measurement can see polling.
    if cpus() < 2 || common::under_emulation() {
        note("fewer than 2 CPUs (or qemu-user): the polling control measurement is not meaningful here");
        return;
    }
    let cpu = cpu_while_waiting(false);
    assert!(cpu > Duration::from_millis(100), "with 2 CPUs the receiver polls: {cpu:?}");
}

#[test]
fn a_slow_peer_makes_polling_back_off() {
    if cpus() < 2 {
        note("one CPU: polling is off anyway");
        return;
    }
    // Messages every 3 ms, budget 1 ms: every poll misses. Without back-off 100 receives would burn
    // ~100 ms of CPU; with it, about a dozen polls happen.
    let q = Guard::private();
    let id = q.id();
    let sender = std::thread::spawn(move || {
        for _ in 0..100 {
            std::thread::sleep(Duration::from_millis(3));
            Queue::from_id(id).send(&Message::<8>::new(MsgType::MIN, b"s").unwrap()).unwrap();
        }
    });
    let mut spin = Spin::new(1_000_000);
    let before = thread_cpu();
    for _ in 0..100 {
        recv(&q, Select::Any, RecvFlags::BLOCK, &mut spin).unwrap();
    }
    let cpu = thread_cpu() - before;
    sender.join().unwrap();
    assert!(spin.misses() >= 3, "polling missed and backed off ({} misses in a row)", spin.misses());
    assert!(cpu < Duration::from_millis(40), "CPU for 100 slow receives: {cpu:?}");
}
