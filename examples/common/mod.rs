//! Helpers shared by the examples: a tiny flag parser and the demo's key.
#![allow(dead_code)]

use std::ffi::CString;

/// The classic demo's message types: client to server, server to client.
pub const TO_SERVER: svmq::MsgType = svmq::MsgType::new(10).unwrap();
pub const TO_CLIENT: svmq::MsgType = svmq::MsgType::new(11).unwrap();

/// The value after `--name`, parsed; the default when absent. Exits with usage on a bad value.
pub fn flag<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    match args.iter().position(|a| a == name) {
        None => default,
        Some(i) => match args.get(i + 1).and_then(|v| v.parse().ok()) {
            Some(v) => v,
            None => {
                eprintln!("bad or missing value for {name}");
                std::process::exit(2);
            }
        },
    }
}

/// `true` when `--name` is present.
pub fn switch(args: &[String], name: &str) -> bool {
    args.iter().any(|a| a == name)
}

/// The classic demo's key: `ftok(path, proj)`, creating the file first if it is missing.
pub fn demo_key(path: &str, proj: u8) -> svmq::Key {
    if let Err(e) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        eprintln!("cannot create {path}: {e}");
        std::process::exit(1);
    }
    let c = CString::new(path).expect("path without NUL");
    svmq::ftok(&c, proj).unwrap_or_else(|e| {
        eprintln!("ftok({path}, {proj}): {e}");
        std::process::exit(1)
    })
}

/// Compares a payload with a word, ignoring trailing NULs (C peers may send the terminator).
pub fn is(payload: &[u8], word: &str) -> bool {
    let mut p = payload;
    while let [rest @ .., 0] = p {
        p = rest;
    }
    p == word.as_bytes()
}

/// Exits with a one-line error.
pub fn die(what: &str, e: svmq::Errno) -> ! {
    eprintln!("{what}: {e}");
    std::process::exit(1)
}

/// Starts this same program as the peer of a two-process benchmark (`--peer ID` plus `extra`), and a
/// watchdog that removes the queue if the peer dies, so the parent never blocks forever.
pub fn spawn_peer(q: svmq::Queue, extra: &[String]) -> std::thread::JoinHandle<bool> {
    let exe = std::env::current_exe().expect("current_exe");
    let mut child =
        std::process::Command::new(exe).arg("--peer").arg(q.id().to_string()).args(extra).spawn().unwrap_or_else(|e| {
            let _ = q.remove();
            eprintln!("cannot start the peer process: {e}");
            std::process::exit(1)
        });
    std::thread::spawn(move || {
        let ok = child.wait().map(|s| s.success()).unwrap_or(false);
        if !ok {
            let _ = q.remove();
        }
        ok
    })
}

/// CPU seconds (user + system) used by this process and by its waited-for children.
pub fn cpu_seconds() -> f64 {
    let mut total = 0.0;
    for who in [libc::RUSAGE_SELF, libc::RUSAGE_CHILDREN] {
        // SAFETY: getrusage fills the struct we pass.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        unsafe { libc::getrusage(who, &mut ru) };
        for tv in [ru.ru_utime, ru.ru_stime] {
            total += tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
        }
    }
    total
}

/// CPU seconds (user + system) used by this process so far.
pub fn cpu_seconds_self() -> f64 {
    // SAFETY: getrusage fills the struct we pass.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    [ru.ru_utime, ru.ru_stime].iter().map(|tv| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6).sum()
}

/// CPU time of the calling thread, in ns (`CLOCK_THREAD_CPUTIME_ID`).
pub fn thread_cpu_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime fills the timespec we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Restricts this process (its calling thread, and the threads and processes it starts later) to `cpu`.
pub fn pin_to(cpu: usize) {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; sched_setaffinity(0) affects the calling thread.
    let ok = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set) == 0
    };
    if !ok {
        eprintln!("sched_setaffinity(CPU {cpu}): {}", std::io::Error::last_os_error());
        std::process::exit(1);
    }
}

/// Fills a payload with a pattern that depends on its position.
pub fn pattern(buf: &mut [u8]) {
    for (i, b) in buf.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(31).wrapping_add(7);
    }
}
