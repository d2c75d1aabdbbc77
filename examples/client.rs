//! The classic demo's client: sends `ping` (type 10), waits for `pong` (type 11), `--rounds` times
//! (100 by default), then sends `end`.
//!
//! `cargo run --example client -- [--path /tmp/example] [--proj 42] [--rounds 100]`

mod common;

use common::{TO_CLIENT, TO_SERVER, demo_key, die, flag, is};
use svmq::{Message, Queue, Select};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path: String = flag(&args, "--path", "/tmp/example".to_owned());
    let proj: u8 = flag(&args, "--proj", 42);
    let rounds: u64 = flag(&args, "--rounds", 100);
    let q = Queue::create(demo_key(&path, proj), 0o644).unwrap_or_else(|e| die("msgget", e));
    let ping = Message::<4>::new(TO_SERVER, b"ping").expect("fits");
    for _ in 0..rounds {
        q.send(&ping).unwrap_or_else(|e| die("msgsnd", e));
        println!("Client: Sent ping");
        let m: Message<64> =
            svmq::retry_on_intr(|| q.recv(Select::Exactly(TO_CLIENT))).unwrap_or_else(|e| die("msgrcv", e));
        if !is(m.data(), "pong") {
            eprintln!("Client: unexpected reply {:?}", String::from_utf8_lossy(m.data()));
            std::process::exit(1);
        }
        println!("Client: Received pong");
    }
    q.send(&Message::<3>::new(TO_SERVER, b"end").expect("fits")).unwrap_or_else(|e| die("msgsnd", e));
}
