//! One-way streaming between two processes: one sends N messages of S bytes, the other receives them all.
//!
//! `stream --count N --size S`; the last line is `<messages per second> msg/s`.

mod common;

use common::{cpu_seconds, die, flag, spawn_peer, switch};
use std::time::Instant;
use svmq::{Frame, MsgType, Queue, RecvFlags, Select, SendFlags};

const DATA: MsgType = MsgType::new(1).unwrap();
const DONE: MsgType = MsgType::new(2).unwrap();
const MAX: usize = 8192;

/// The receiving side: takes `count` data messages, checks their sizes, then answers DONE.
fn peer(q: Queue, count: u64, size: usize) {
    let mut f = Frame::<MAX>::new(DATA);
    for i in 0..count {
        let n = q.recv_frame(&mut f, Select::Exactly(DATA), RecvFlags::BLOCK).unwrap_or_else(|e| die("peer msgrcv", e));
        if n != size {
            eprintln!("message {i}: {n} bytes, expected {size}");
            std::process::exit(1);
        }
    }
    q.send_frame(&Frame::<0>::new(DONE), 0, SendFlags::BLOCK).unwrap_or_else(|e| die("peer msgsnd", e));
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let count: u64 = flag(&args, "--count", 100_000);
    let size: usize = flag(&args, "--size", 1024);
    if size > MAX {
        eprintln!("usage: stream [--count N] [--size S<={MAX}]");
        std::process::exit(2);
    }
    if switch(&args, "--peer") {
        let id: i32 = flag(&args, "--peer", -1);
        return peer(Queue::from_id(id), count, size);
    }
    let q = Queue::private(0o600).unwrap_or_else(|e| die("msgget", e));
    let peer_done = spawn_peer(q, &["--count".into(), count.to_string(), "--size".into(), size.to_string()]);
    let mut f = Frame::<MAX>::new(DATA);
    common::pattern(&mut f.text_mut()[..size]);
    let cpu0 = cpu_seconds();
    let start = Instant::now();
    for _ in 0..count {
        q.send_frame(&f, size, SendFlags::BLOCK).unwrap_or_else(|e| die("msgsnd", e));
    }
    let mut done = Frame::<0>::new(DONE);
    q.recv_frame(&mut done, Select::Exactly(DONE), RecvFlags::BLOCK).unwrap_or_else(|e| die("msgrcv", e));
    let secs = start.elapsed().as_secs_f64();
    let peer_ok = peer_done.join().unwrap_or(false);
    let cpu = cpu_seconds() - cpu0;
    let _ = q.remove();
    if !peer_ok {
        eprintln!("the receiving process failed");
        std::process::exit(1);
    }
    println!("{count} messages of {size} bytes in {secs:.3} s");
    println!("cpu: {:.2} us per message (both processes)", cpu * 1e6 / count as f64);
    println!("{:.0} msg/s", count as f64 / secs);
}
