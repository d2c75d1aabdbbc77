//! Ping-pong between two processes over one private queue: the latency benchmark (as in IPC-Bench).
//!
//! With no arguments: a short demo that starts its peer, runs 5000 round trips of 1 KiB, and prints a
//! summary. With `--count N --size S`: N round trips of S-byte messages; the last line is
//! `<round trips per second> msg/s`. `--spin` makes both sides poll adaptively before blocking
//! ([`svmq::Spin`]). For the benchmark harness: `--pin A,B` puts this process on CPU A and the peer on
//! CPU B; `--delay-us D` makes the peer answer each request D microseconds late (a slow peer); before the
//! last line, `loop cpu: X us per round trip (this process)` is the CPU time of the timed loop in the
//! measuring process only, and with `--spin`, `spin: M of N receives polled in vain, H hits` (the
//! receives whose polling ran out of budget before blocking, and the confirmed hits). `--ab` measures the
//! adaptive receive against a blocking one inside one run (see `ab`).
//!
//! Messages go through [`svmq::Frame`]s, the zero-copy path: each side reuses one frame, and the kernel
//! copies straight into and out of it.

mod common;

use common::{cpu_seconds, cpu_seconds_self, die, flag, pin_to, spawn_peer, switch, thread_cpu_ns};
use std::time::{Duration, Instant};
use svmq::{Frame, MsgType, Queue, RecvFlags, Select, SendFlags, Spin};

const REQUEST: MsgType = MsgType::new(1).unwrap();
const REPLY: MsgType = MsgType::new(2).unwrap();
const QUIT: MsgType = MsgType::new(3).unwrap();
const MAX: usize = 8192;

struct Receiver {
    spin: Option<Spin>,
    /// Receives that polled to the end of their budget in vain (then blocked): the back-off's cost.
    missed_polls: u64,
}

impl Receiver {
    fn recv(&mut self, q: Queue, f: &mut Frame<MAX>, select: Select) -> Result<usize, svmq::Errno> {
        match &mut self.spin {
            Some(spin) => {
                let before = spin.misses();
                let r = q.recv_frame_spin(f, select, RecvFlags::BLOCK, spin);
                // A confirmed hit resets the run of misses; a poll that ran out of budget adds one.
                self.missed_polls += u64::from(spin.misses() > before);
                r
            }
            None => q.recv_frame(f, select, RecvFlags::BLOCK),
        }
    }
}

fn peer(q: Queue, spin: bool, delay: Duration) {
    let mut rx = Receiver { spin: spin.then(Spin::default), missed_polls: 0 };
    let mut f = Frame::<MAX>::new(REPLY);
    loop {
        let n = rx.recv(q, &mut f, Select::Except(REPLY)).unwrap_or_else(|e| die("peer msgrcv", e));
        if f.mtype() == Ok(QUIT) {
            return;
        }
        if !delay.is_zero() {
            std::thread::sleep(delay);
        }
        f.set_mtype(REPLY);
        q.send_frame(&f, n, SendFlags::BLOCK).unwrap_or_else(|e| die("peer msgsnd", e));
    }
}

/// `--ab`: the cost of the adaptive receive against a blocking one, measured within one run so that both
/// meet the same machine: the measuring process's receives alternate between a blocking `msgrcv` (even
/// round trips) and the adaptive receive with its own `Spin` (odd ones), and each receive's CPU time is
/// read from `CLOCK_THREAD_CPUTIME_ID` around it. Prints `ab: blocking B us, spin S us of CPU per receive
/// (N each), M polled in vain` before the rate.
fn ab(q: Queue, out: &Frame<MAX>, size: usize, count: u64, peer_done: std::thread::JoinHandle<bool>) {
    let mut back = Frame::<MAX>::new(REPLY);
    let mut blocking = Receiver { spin: None, missed_polls: 0 };
    let mut spinning = Receiver { spin: Some(Spin::default()), missed_polls: 0 };
    let (mut cpu_blocking, mut cpu_spin) = (0u64, 0u64);
    let start = Instant::now();
    for i in 0..count {
        q.send_frame(out, size, SendFlags::BLOCK).unwrap_or_else(|e| die("msgsnd", e));
        let (rx, cpu) = if i % 2 == 0 { (&mut blocking, &mut cpu_blocking) } else { (&mut spinning, &mut cpu_spin) };
        let t0 = thread_cpu_ns();
        let n = rx.recv(q, &mut back, Select::Exactly(REPLY)).unwrap_or_else(|e| die("msgrcv", e));
        *cpu += thread_cpu_ns() - t0;
        if n != size {
            eprintln!("reply of {n} bytes, expected {size}");
            std::process::exit(1);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    q.send_frame(&Frame::<0>::new(QUIT), 0, SendFlags::BLOCK).unwrap_or_else(|e| die("msgsnd", e));
    let peer_ok = peer_done.join().unwrap_or(false);
    let _ = q.remove();
    if !peer_ok {
        eprintln!("the peer process failed");
        std::process::exit(1);
    }
    let (nb, ns) = (count.div_ceil(2), count / 2);
    println!(
        "ab: blocking {:.2} us, spin {:.2} us of CPU per receive ({nb} / {ns}), {} polled in vain",
        cpu_blocking as f64 / 1e3 / nb as f64,
        cpu_spin as f64 / 1e3 / ns.max(1) as f64,
        spinning.missed_polls
    );
    println!("{:.0} msg/s", count as f64 / secs);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let spin = switch(&args, "--spin");
    let pin: String = flag(&args, "--pin", String::new());
    let cpus: Option<(usize, usize)> = pin.split_once(',').and_then(|(a, b)| Some((a.parse().ok()?, b.parse().ok()?)));
    if !pin.is_empty() && cpus.is_none() {
        eprintln!("--pin A,B");
        std::process::exit(2);
    }
    let delay_us: u64 = flag(&args, "--delay-us", 0);
    if switch(&args, "--peer") {
        let id: i32 = flag(&args, "--peer", -1);
        if let Some((_, b)) = cpus {
            pin_to(b);
        }
        return peer(Queue::from_id(id), spin, Duration::from_micros(delay_us));
    }
    let demo = !switch(&args, "--count") && !switch(&args, "--size");
    let count: u64 = flag(&args, "--count", 5000);
    let size: usize = flag(&args, "--size", 1024);
    if size > MAX || count == 0 {
        eprintln!("usage: pingpong [--count N>0] [--size S<={MAX}] [--spin]");
        std::process::exit(2);
    }
    let q = Queue::private(0o600).unwrap_or_else(|e| die("msgget", e));
    let mut peer_args: Vec<String> = if spin { vec!["--spin".to_owned()] } else { Vec::new() };
    peer_args.extend(["--delay-us".to_owned(), delay_us.to_string()]);
    if let Some((a, _)) = cpus {
        pin_to(a);
        peer_args.extend(["--pin".to_owned(), pin.clone()]);
    }
    let peer_done = spawn_peer(q, &peer_args);

    let mut out = Frame::<MAX>::new(REQUEST);
    common::pattern(&mut out.text_mut()[..size]);
    if switch(&args, "--ab") {
        return ab(q, &out, size, count, peer_done);
    }
    let mut back = Frame::<MAX>::new(REPLY);
    let mut rx = Receiver { spin: spin.then(Spin::default), missed_polls: 0 };
    let cpu0 = cpu_seconds();
    let self0 = cpu_seconds_self();
    let start = Instant::now();
    for _ in 0..count {
        q.send_frame(&out, size, SendFlags::BLOCK).unwrap_or_else(|e| die("msgsnd", e));
        let n = rx.recv(q, &mut back, Select::Exactly(REPLY)).unwrap_or_else(|e| die("msgrcv", e));
        if n != size {
            eprintln!("reply of {n} bytes, expected {size}");
            std::process::exit(1);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let loop_cpu = cpu_seconds_self() - self0;
    q.send_frame(&Frame::<0>::new(QUIT), 0, SendFlags::BLOCK).unwrap_or_else(|e| die("msgsnd", e));
    let peer_ok = peer_done.join().unwrap_or(false);
    let cpu = cpu_seconds() - cpu0;
    let _ = q.remove();
    if !peer_ok {
        eprintln!("the peer process failed");
        std::process::exit(1);
    }
    if back.text()[..size] != out.text()[..size] {
        eprintln!("the echoed payload differs");
        std::process::exit(1);
    }
    let rate = count as f64 / secs;
    if demo {
        println!("svmq pingpong: two processes, one private System V queue, no libc in the library");
        println!("  {count} round trips of {size}-byte messages in {secs:.3} s");
        println!(
            "  {:.1} us per round trip, {:.1} us of CPU per round trip (both processes)",
            secs * 1e6 / count as f64,
            cpu * 1e6 / count as f64
        );
        println!("  receive: {}", if spin { "adaptive poll, then block" } else { "blocking msgrcv" });
    } else {
        println!("cpu: {:.2} us per round trip (both processes)", cpu * 1e6 / count as f64);
        println!("loop cpu: {:.2} us per round trip (this process)", loop_cpu * 1e6 / count as f64);
        if let Some(s) = rx.spin {
            println!("spin: {} of {count} receives polled in vain, {} hits", rx.missed_polls, s.hits());
        }
    }
    println!("{rate:.0} msg/s");
}
