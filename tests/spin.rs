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

/// Time the calling thread has spent on a CPU or runnable, waiting for one (`/proc/thread-self/schedstat`:
/// ns on CPU, ns waiting on a run queue): what a poller accumulates even on a loaded machine, and a
/// blocked thread does not.
fn thread_runnable() -> Duration {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").expect("schedstat");
    let mut f = s.split_whitespace().map(|v| v.parse::<u64>().unwrap());
    Duration::from_nanos(f.next().unwrap() + f.next().unwrap())
}

/// CPU time and runnable time of a receiver with a 400 ms budget waiting 300 ms for a message.
fn cpu_while_waiting() -> (Duration, Duration) {
    let q = Guard::private();
    let id = q.id();
    let waiter = std::thread::spawn(move || {
        let (cpu0, run0) = (thread_cpu(), thread_runnable());
        let r = recv(&Queue::from_id(id), Select::Any, RecvFlags::BLOCK, &mut Spin::new(400_000_000));
        (r, thread_cpu() - cpu0, thread_runnable() - run0)
    });
    std::thread::sleep(Duration::from_millis(300));
    send(&q, 1, b"x");
    let (r, cpu, runnable) = waiter.join().unwrap();
    assert_eq!(r, Ok((1, b"x".to_vec())));
    (cpu, runnable)
}

#[test]
fn with_two_cpus_a_wait_does_poll() {
    // The control for the CPU measurements of the back-off tests: it proves they can see polling.
    if cpus() < 2 {
        note("fewer than 2 CPUs: the polling control measurement is not meaningful here");
        return;
    }
    if common::under_emulation() {
        note("qemu-user: the polling control measurement is not meaningful under an emulator");
        return;
    }
    // Polling keeps the thread runnable for the whole wait; on a loaded machine it gets only a share
    // of a CPU, so the CPU time itself can be small: the runnable time is what shows polling.
    let (cpu, runnable) = cpu_while_waiting();
    assert!(
        runnable > Duration::from_millis(200),
        "with 2 CPUs the receiver polls: {runnable:?} runnable, {cpu:?} CPU"
    );
}

/// The first two CPUs this process may run on.
fn two_allowed_cpus() -> Option<(usize, usize)> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; sched_getaffinity fills it.
    let set = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        assert_eq!(libc::sched_getaffinity(0, std::mem::size_of_val(&set), &mut set), 0);
        set
    };
    // SAFETY: CPU_ISSET reads the set.
    let mut allowed = (0..libc::CPU_SETSIZE as usize).filter(|&c| unsafe { libc::CPU_ISSET(c, &set) });
    Some((allowed.next()?, allowed.next()?))
}

/// Restricts the calling thread to `cpu`.
fn pin_to(cpu: usize) {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; sched_setaffinity(0) affects this thread only.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        assert_eq!(libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set), 0);
    }
}

/// A spinning ping-pong of `rounds` round trips between two threads pinned to `client_cpu` and
/// `echo_cpu`; returns the client receiver's state.
fn pinned_ping_pong(client_cpu: usize, echo_cpu: usize, rounds: u32) -> Spin {
    let q = Guard::private();
    let id = q.id();
    let echo = std::thread::spawn(move || {
        pin_to(echo_cpu);
        let q = Queue::from_id(id);
        let mut spin = Spin::default();
        let mut f = Frame::<64>::new(MsgType::MIN);
        loop {
            let n = q.recv_frame_spin(&mut f, Select::Except(t(2)), RecvFlags::BLOCK, &mut spin).unwrap();
            if f.mtype() == Ok(t(3)) {
                return;
            }
            f.set_mtype(t(2));
            q.send_frame(&f, n, svmq::SendFlags::BLOCK).unwrap();
        }
    });
    let client = std::thread::spawn(move || {
        pin_to(client_cpu);
        let q = Queue::from_id(id);
        let mut spin = Spin::default();
        let mut f = Frame::<64>::new(t(1));
        for _ in 0..rounds {
            f.set_mtype(t(1));
            q.send_frame(&f, 16, svmq::SendFlags::BLOCK).unwrap();
            assert_eq!(q.recv_frame_spin(&mut f, Select::Exactly(t(2)), RecvFlags::BLOCK, &mut spin), Ok(16));
        }
        spin
    });
    let spin = client.join();
    send(&q, 3, b"");
    echo.join().unwrap();
    spin.unwrap()
}

const ROUNDS: u32 = 4000;

#[test]
fn a_receiver_pinned_apart_from_its_sender_polls() {
    if common::under_emulation() {
        note("qemu-user: pinned-apart polling cannot be shown under an emulator");
        return;
    }
    let Some((a, b)) = two_allowed_cpus() else {
        note("fewer than 2 CPUs: pinned-apart polling cannot be shown here");
        return;
    };
    let spin = pinned_ping_pong(a, b, ROUNDS);
    note(&format!("pinned apart: {} of {ROUNDS} receives answered by polling", spin.hits()));
    // Most answers arrive while polling (other load on the machine may take some).
    assert!(spin.hits() >= ROUNDS / 2, "pinned apart, polling answered only {} of {ROUNDS}", spin.hits());
}

#[test]
fn a_receiver_sharing_its_senders_cpu_stops_polling() {
    let (a, _) = two_allowed_cpus().unwrap_or((0, 0));
    let spin = pinned_ping_pong(a, a, ROUNDS);
    note(&format!(
        "one CPU: {} of {ROUNDS} receives answered by polling, {} misses in a row at the end",
        spin.hits(),
        spin.misses()
    ));
    // On one CPU an answer can only come after the poller was preempted: no poll ever pays, and the
    // receiver has backed off (at least 5 misses in a row: it polls at most once per 256 receives).
    assert!(spin.hits() <= ROUNDS / 100, "one CPU, yet {} polls paid", spin.hits());
    assert!(spin.misses() >= 5, "one CPU, yet only {} misses in a row", spin.misses());
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

/// Installs a seccomp filter on the calling thread (and its future children) that answers `EPERM` to
/// `clock_gettime` (and `clock_gettime64`), as a syscall allow-list does for a program that reads the
/// clock through the vDSO. Returns false if the kernel refused the filter.
fn deny_clock_gettime() -> bool {
    const LD_W_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
    const JEQ_K: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
    const RET_K: u16 = 0x06; // BPF_RET | BPF_K
    const RET_ERRNO: u32 = 0x0005_0000;
    const RET_ALLOW: u32 = 0x7fff_0000;
    let op = |code, jt, jf, k| libc::sock_filter { code, jt, jf, k };
    // Both clock calls of a 32-bit target: svmq tries clock_gettime64 first (the same number twice on a
    // 64-bit target, which has one call).
    let clock64 = svmq::sys::raw::nr::CLOCK_GETTIME64.unwrap_or(libc::SYS_clock_gettime as usize);
    let filter = [
        op(LD_W_ABS, 0, 0, 0), // seccomp_data.nr
        op(JEQ_K, 1, 0, libc::SYS_clock_gettime as u32),
        op(JEQ_K, 0, 1, clock64 as u32),
        op(RET_K, 0, 0, RET_ERRNO | libc::EPERM as u32),
        op(RET_K, 0, 0, RET_ALLOW),
    ];
    let prog = libc::sock_fprog { len: filter.len() as u16, filter: filter.as_ptr().cast_mut() };
    // SAFETY: prctl with a valid, live filter program; it only restricts this thread.
    unsafe {
        libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
            && libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &prog as *const libc::sock_fprog) == 0
    }
}

#[test]
fn a_failing_clock_stops_polling() {
    if common::under_emulation() {
        note("qemu-user: seccomp filters are not emulated; the failing-clock test is skipped");
        return;
    }
    let q = Guard::private();
    let id = q.id();
    // SAFETY: fork; the child makes raw syscalls only (no allocation), then _exit.
    let child = unsafe { libc::fork() };
    if child == 0 {
        let code = if deny_clock_gettime() {
            // A 2 s budget: a receiver that cannot read the clock must not poll through it.
            let mut f = Frame::<8>::new(MsgType::MIN);
            let r = Queue::from_id(id).recv_frame_spin(
                &mut f,
                Select::Any,
                RecvFlags::BLOCK,
                &mut Spin::new(2_000_000_000),
            );
            if r == Ok(1) { 0 } else { 1 }
        } else {
            2
        };
        // SAFETY: leaving the child.
        unsafe { libc::_exit(code) };
    }
    std::thread::sleep(Duration::from_millis(400));
    send(&q, 1, b"x");
    let mut status = 0;
    // SAFETY: a zeroed rusage is valid; waiting for our own child.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    assert_eq!(unsafe { libc::wait4(child, &mut status, 0, &mut ru) }, child);
    assert!(libc::WIFEXITED(status), "child status {status:#x}");
    assert_ne!(libc::WEXITSTATUS(status), 2, "the kernel refused the seccomp filter");
    assert_eq!(libc::WEXITSTATUS(status), 0, "the receive failed");
    let cpu = Duration::from_micros(
        (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) as u64 * 1_000_000
            + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) as u64,
    );
    // Polling through the 400 ms wait would use ~400 ms of CPU.
    assert!(cpu < Duration::from_millis(100), "with clock_gettime failing, waiting used {cpu:?} of CPU");
}
