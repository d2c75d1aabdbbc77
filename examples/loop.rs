//! N send+receive pairs on one private queue, in one process, without blocking: the smallest complete
//! use of the API, and what `bench/run` measures instructions and stack with.
//!
//! `loop [--count N] [--size S] [--frame]`: `--frame` uses the zero-copy `Frame` path, otherwise
//! `Message<8192>` (one copy each way).

mod common;

use common::{die, flag, switch};
use std::hint::black_box;
use svmq::{Frame, Message, MsgType, Queue, RecvFlags, Select, SendFlags};

const MAX: usize = 8192;

#[inline(never)]
fn with_messages(q: Queue, count: u64, size: usize) {
    // black_box: the payload is unknown to the optimiser and the received message is used, so neither
    // copy can be folded away (without it LLVM turned the send's copy into a memset of the constant and
    // dropped the receive's copy, whose result nothing read).
    let out = black_box(Message::<MAX>::new(MsgType::MIN, &[7; MAX][..size]).unwrap_or_else(|e| die("message", e)));
    let mut back = Message::<MAX>::empty(MsgType::MIN);
    for _ in 0..count {
        q.try_send(black_box(&out)).unwrap_or_else(|e| die("msgsnd", e));
        q.recv_into(&mut back, Select::Any, RecvFlags::NOWAIT).unwrap_or_else(|e| die("msgrcv", e));
        black_box(&back);
    }
}

#[inline(never)]
fn with_frames(q: Queue, count: u64, size: usize) {
    let mut f = Frame::<MAX>::new(MsgType::MIN);
    for _ in 0..count {
        q.send_frame(black_box(&f), size, SendFlags::NOWAIT).unwrap_or_else(|e| die("msgsnd", e));
        q.recv_frame(&mut f, Select::Any, RecvFlags::NOWAIT).unwrap_or_else(|e| die("msgrcv", e));
        black_box(&f);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let count: u64 = flag(&args, "--count", 1000);
    let size: usize = flag(&args, "--size", 1024);
    if size > MAX {
        eprintln!("usage: loop [--count N] [--size S<={MAX}] [--frame]");
        std::process::exit(2);
    }
    let q = Queue::private(0o600).unwrap_or_else(|e| die("msgget", e));
    if switch(&args, "--frame") {
        with_frames(q, count, size);
    } else {
        with_messages(q, count, size);
    }
    q.remove().unwrap_or_else(|e| die("msgctl", e));
    println!("{count} send+receive pairs of {size} bytes");
}
