//! The classic demo's server: answers each `ping` (type 10) with `pong` (type 11); on `end` it removes
//! the queue and the key file and exits.
//!
//! `cargo run --example server -- [--path /tmp/example] [--proj 42]`

mod common;

use common::{TO_CLIENT, TO_SERVER, demo_key, die, flag, is};
use svmq::{Message, Queue, Select};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path: String = flag(&args, "--path", "/tmp/example".to_owned());
    let proj: u8 = flag(&args, "--proj", 42);
    let q = Queue::create(demo_key(&path, proj), 0o644).unwrap_or_else(|e| die("msgget", e));
    let pong = Message::<4>::new(TO_CLIENT, b"pong").expect("fits");
    loop {
        let m: Message<64> =
            svmq::retry_on_intr(|| q.recv(Select::Exactly(TO_SERVER))).unwrap_or_else(|e| die("msgrcv", e));
        if is(m.data(), "ping") {
            println!("Server: Received ping");
            q.send(&pong).unwrap_or_else(|e| die("msgsnd", e));
            println!("Server: Sent pong");
        } else if is(m.data(), "end") {
            q.remove().unwrap_or_else(|e| die("msgctl(IPC_RMID)", e));
            let _ = std::fs::remove_file(&path);
            return;
        } else {
            eprintln!("Server: ignoring unexpected message {:?}", String::from_utf8_lossy(m.data()));
        }
    }
}
