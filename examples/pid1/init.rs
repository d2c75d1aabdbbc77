//! `svmq-pid1`: a small system's first process, written with svmq alone: no C library, no shell, no
//! allocator. Booted as `/init` (the only file of its initramfs besides `/dev/console`), it does what an
//! embedded init does with a message queue:
//!
//! 1. sets the clock from `SVMQ_TIME=SECONDS` on the kernel command line when there is one (boards and
//!    virtual machines without a battery-backed clock start in 1970), creates a private queue and starts
//!    three worker processes;
//! 2. hands them twelve jobs over the queue (type 1: count the primes below N), and collects the twelve
//!    replies (type 2: the job, the worker, the count), checking each count;
//! 3. prints the kernel's own `msgctl(IPC_STAT)` view of the queue: the last sender and receiver and
//!    the times of the last send, receive and change;
//! 4. stops the workers through the queue, waits for them, removes the queue, and powers the machine off
//!    (`SVMQ_END=reset` on the kernel command line: a reset instead, for boards without a power-off
//!    device, run with qemu's `-no-reboot`).
//!
//! Its last line is `pid1: OK ...` or `pid1: FAILED ...`. Build and boot it (README, "A libc-free
//! userland"): `cargo build --release --features pid1 --bin svmq-pid1`, or `bash .ci/vm T --demo`.
#![no_std]
#![no_main]
#![no_builtins]
#![deny(unsafe_code)]

#[path = "../../src/bin/nolibc/process.rs"]
mod process;
#[path = "../../src/bin/nolibc/rt.rs"]
mod rt;

use process::{End, Forked, Line, Status as Exit};
use svmq::{Errno, Message, MsgType, Queue, Select, Status};

/// What the shared panic handler writes.
const PANIC_MESSAGE: &[u8] = b"pid1: FAILED (internal error)\n";

const WORKERS: usize = 3;
const JOBS: usize = 12;
/// Message types: jobs for the workers, replies for PID 1.
const JOB: MsgType = msg_type(1);
const REPLY: MsgType = msg_type(2);

const fn msg_type(t: i64) -> MsgType {
    match MsgType::new(t) {
        Some(t) => t,
        None => panic!("message types are positive"),
    }
}
/// A job: (job number, N); N 0 asks the worker to stop. A reply: (job number, worker, worker pid, count).
type Frame = Message<16>;

/// Called by the shared entry.
fn start(args: rt::Args) -> i32 {
    let ok = match demo(&args) {
        Ok(()) => true,
        Err(what) => {
            Line::new().put("pid1: FAILED: ").put(what).print();
            false
        }
    };
    if process::getpid() == 1 {
        let how = if args.env(b"SVMQ_END") == Some(b"reset") { End::Reset } else { End::PowerOff };
        Line::new().put(if how == End::Reset { "pid1: resetting" } else { "pid1: powering off" }).print();
        let e = process::end_machine(how);
        Line::new().put("pid1: reboot(2) failed, errno ").int(i64::from(e)).print();
    }
    if ok { 0 } else { 1 }
}

fn demo(args: &rt::Args) -> Result<(), &'static str> {
    let me = process::getpid();
    Line::new()
        .put("pid1: svmq ")
        .put(env!("CARGO_PKG_VERSION"))
        .put(" as process ")
        .int(i64::from(me))
        .put(", no C library")
        .print();
    if me == 1 {
        process::mount(c"proc", c"/proc", c"proc", None).map_err(|_| "mount /proc")?;
        if let Some(t) = args.env(b"SVMQ_TIME").and_then(seconds) {
            process::set_clock(t).map_err(|_| "clock_settime")?;
            Line::new().put("pid1: clock set to ").int(t).put(" (").put_bytes(&utc(t)).put(")").print();
        }
    }
    let q = Queue::private(0o600).map_err(|_| "msgget(IPC_PRIVATE)")?;
    Line::new()
        .put("pid1: queue ")
        .int(i64::from(q.id()))
        .put(" created; starting ")
        .int(WORKERS as i64)
        .put(" workers")
        .print();
    let mut pids = [0i32; WORKERS];
    for (w, pid) in pids.iter_mut().enumerate() {
        *pid = match process::fork().map_err(|_| "fork")? {
            Forked::Child => rt::exit(worker(q, w)),
            Forked::Parent(pid) => pid,
        };
    }

    // Every job at once: the queue holds them (12 messages of 8 bytes) until a worker takes each.
    for job in 0..JOBS {
        send(q, JOB, &[job as u32, job_n(job)])?;
    }
    let mut done = [false; JOBS];
    let mut per_worker = [0u32; WORKERS];
    Line::new().put("pid1:  job         N  primes below N  worker (pid)").print();
    for _ in 0..JOBS {
        let m: Frame = q.recv(Select::Exactly(REPLY)).map_err(|_| "msgrcv")?;
        let [job, w, pid, count] = words::<4>(m.data()).ok_or("a reply of the wrong size")?;
        let (job, w) = (job as usize, w as usize);
        if job >= JOBS || w >= WORKERS || done[job] || pids[w] != pid as i32 {
            return Err("a reply no job asked for");
        }
        if count != primes_below(job_n(job)) {
            return Err("a worker's count is wrong");
        }
        done[job] = true;
        per_worker[w] += 1;
        Line::new()
            .put("pid1: ")
            .int_w(job as i64, 4)
            .int_w(i64::from(job_n(job)), 10)
            .int_w(i64::from(count), 15)
            .int_w(w as i64, 8)
            .put(" (")
            .int(i64::from(pid))
            .put(")")
            .print();
    }

    let st = q.stat().map_err(|_| "msgctl(IPC_STAT)")?;
    print_status(&st);
    if st.qnum != 0 || st.lrpid != me || !pids.contains(&st.lspid) || st.stime == 0 || st.rtime < st.stime {
        return Err("the kernel's view of the queue is not what was done");
    }

    for _ in 0..WORKERS {
        send(q, JOB, &[0, 0])?;
    }
    for pid in pids {
        match process::wait(pid, false) {
            Ok(Some((_, Exit::Exited(0)))) => {}
            _ => return Err("a worker failed"),
        }
    }
    q.remove().map_err(|_| "msgctl(IPC_RMID)")?;
    if q.stat() != Err(Errno::INVAL) {
        return Err("the queue is still there after IPC_RMID");
    }
    let mut line = Line::new();
    line.put("pid1: OK: ").int(JOBS as i64).put(" jobs done by ").int(WORKERS as i64).put(" workers (");
    for (w, n) in per_worker.iter().enumerate() {
        line.put(if w == 0 { "" } else { ", " }).int(i64::from(*n));
    }
    line.put(" each), queue removed").print();
    Ok(())
}

/// A worker: takes jobs until it gets a stop job; its exit status is 0 when all went well.
fn worker(q: Queue, w: usize) -> i32 {
    let pid = process::getpid() as u32;
    loop {
        let Ok(m) = q.recv::<16>(Select::Exactly(JOB)) else { return 2 };
        let Some([job, n]) = words::<2>(m.data()) else { return 3 };
        if n == 0 {
            return 0;
        }
        if send(q, REPLY, &[job, w as u32, pid, primes_below(n)]).is_err() {
            return 4;
        }
    }
}

/// Sends `words` (native byte order: both ends are this machine) as one message of type `mtype`.
fn send(q: Queue, mtype: MsgType, words: &[u32]) -> Result<(), &'static str> {
    let mut bytes = [0u8; 16];
    for (chunk, w) in bytes.chunks_exact_mut(4).zip(words) {
        chunk.copy_from_slice(&w.to_ne_bytes());
    }
    let m = Frame::new(mtype, &bytes[..words.len() * 4]).map_err(|_| "message size")?;
    q.send(&m).map_err(|_| "msgsnd")
}

fn words<const K: usize>(data: &[u8]) -> Option<[u32; K]> {
    if data.len() != K * 4 {
        return None;
    }
    let mut w = [0u32; K];
    for (v, chunk) in w.iter_mut().zip(data.chunks_exact(4)) {
        *v = u32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    Some(w)
}

/// A decimal number of seconds.
fn seconds(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 18 {
        return None;
    }
    s.iter().try_fold(0i64, |v, &c| c.is_ascii_digit().then(|| v * 10 + i64::from(c - b'0')))
}

/// Job `j`'s N: 2,000 to 24,000.
fn job_n(j: usize) -> u32 {
    2000 * (j as u32 + 1)
}

/// The number of primes below `n`, by trial division (work that takes a worker a moment).
fn primes_below(n: u32) -> u32 {
    (2..n).filter(|&k| (2..).take_while(|d| d * d <= k).all(|d| k % d != 0)).count() as u32
}

fn print_status(st: &Status) {
    Line::new()
        .put("pid1: msgctl(IPC_STAT): ")
        .int(st.qnum as i64)
        .put(" messages, ")
        .int(st.cbytes as i64)
        .put(" of ")
        .int(st.qbytes as i64)
        .put(" bytes queued; mode 0")
        .put_bytes(&octal(st.mode))
        .print();
    Line::new()
        .put("pid1:   last sent by pid ")
        .int(i64::from(st.lspid))
        .put(" at ")
        .int(st.stime)
        .put(" (")
        .put_bytes(&utc(st.stime))
        .put(")")
        .print();
    Line::new()
        .put("pid1:   last received by pid ")
        .int(i64::from(st.lrpid))
        .put(" at ")
        .int(st.rtime)
        .put(" (")
        .put_bytes(&utc(st.rtime))
        .put(")")
        .print();
    Line::new().put("pid1:   created at ").int(st.ctime).put(" (").put_bytes(&utc(st.ctime)).put(")").print();
}

fn octal(mode: u32) -> [u8; 3] {
    [b'0' + (mode >> 6 & 7) as u8, b'0' + (mode >> 3 & 7) as u8, b'0' + (mode & 7) as u8]
}

/// `YYYY-MM-DD hh:mm:ss UTC` (proleptic Gregorian, H. Hinnant's days-to-civil; years up to 9999).
fn utc(t: i64) -> [u8; 23] {
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let z = days + 719_468;
    let (era, doe) = (z.div_euclid(146_097), z.rem_euclid(146_097));
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let mut out = *b"0000-00-00 00:00:00 UTC";
    let mut put = |at: usize, width: usize, v: i64| {
        let mut v = v.clamp(0, 9999);
        for i in (at..at + width).rev() {
            out[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, y);
    put(5, 2, m);
    put(8, 2, d);
    put(11, 2, secs / 3600);
    put(14, 2, secs / 60 % 60);
    put(17, 2, secs % 60);
    out
}
