//! The kernel's send, receive and change times, exactly, through every interface that reports them:
//! `Status` (Rust), `svmq_stat_t` (the C ABI) and `svmq stat` (the tool, as text and JSON). Each time is
//! bracketed by the clock read just before and just after the call that sets it, and the three views
//! must agree to the second.
//!
//! Passes on any clock. `.ci/vm` runs it on each target's real kernel three times: at the host's time,
//! with the clock past 2^31 s (March 2038, where a signed 32-bit `time_t` has overflowed) and past 2^32 s
//! (March 2106, where 32-bit architectures' `msqid64_ds` needs its `_high` words).

mod common;

use common::Guard;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};
use svmq::{Message, MsgType, Select, Status};

/// The kernel's real-time clock in whole seconds, from the `clock_gettime` system call itself (64-bit
/// seconds: `clock_gettime64`, 403, on the 32-bit targets), the clock the queue times come from. Not the C
/// library's: glibc 2.36 on 32-bit powerpc reads the 32-bit vDSO call and takes any positive answer, so past
/// 2106 its clock says the seconds modulo 2^32 (measured in .ci/vm's guest; see `the_c_librarys_clock_agrees`).
fn now() -> i64 {
    #[repr(C)]
    struct KernelTimespec {
        sec: i64,
        nsec: i64,
    }
    #[cfg(target_pointer_width = "32")]
    const CLOCK_GETTIME64: libc::c_long = 403;
    #[cfg(target_pointer_width = "64")]
    const CLOCK_GETTIME64: libc::c_long = libc::SYS_clock_gettime;
    let mut ts = KernelTimespec { sec: 0, nsec: 0 };
    // SAFETY: ts is a live struct __kernel_timespec, which this call fills.
    let r = unsafe { libc::syscall(CLOCK_GETTIME64, libc::CLOCK_REALTIME, &mut ts as *mut KernelTimespec) };
    assert_eq!(r, 0, "clock_gettime");
    ts.sec
}

/// Runs `op` between two readings of the real-time clock: (before, after) in whole seconds.
fn bracket(op: impl FnOnce()) -> (i64, i64) {
    let before = now();
    op();
    (before, now())
}

fn assert_within(what: &str, t: i64, (lo, hi): (i64, i64)) {
    assert!(lo <= t && t <= hi, "{what} is {t}: not within [{lo}, {hi}], the clock around the call that set it");
}

/// A queue that has seen one of each: created (ctime), sent to and received from (stime, rtime), then
/// changed (ctime again); with the clock's brackets of each, and the status.
struct Timed {
    q: Guard,
    sent: (i64, i64),
    received: (i64, i64),
    changed: (i64, i64),
}

fn timed_queue() -> Timed {
    let q = Guard::private();
    let t = MsgType::new(3).unwrap();
    let sent = bracket(|| q.send(&Message::<8>::new(t, b"time").unwrap()).unwrap());
    // Two sends: the receive below leaves one queued, and stime stays the second send's.
    let sent2 = bracket(|| q.send(&Message::<8>::new(t, b"again").unwrap()).unwrap());
    let received = bracket(|| assert_eq!(q.recv::<8>(Select::Any).unwrap().data(), b"time"));
    let st = q.stat().unwrap();
    let changed = bracket(|| q.set(&st.settings()).unwrap());
    Timed { q, sent: (sent.0, sent2.1), received, changed }
}

fn check(what: &str, st: (i64, i64, i64), t: &Timed) {
    let (stime, rtime, ctime) = st;
    assert_within(&format!("{what}: the send time"), stime, t.sent);
    assert_within(&format!("{what}: the receive time"), rtime, t.received);
    assert_within(&format!("{what}: the change time"), ctime, t.changed);
}

fn status_times(st: &Status) -> (i64, i64, i64) {
    (st.stime, st.rtime, st.ctime)
}

#[test]
fn status_reports_the_exact_times() {
    let created = bracket(|| ());
    let q = Guard::private();
    let fresh = q.stat().unwrap();
    assert_eq!((fresh.stime, fresh.rtime), (0, 0), "a new queue has no send or receive time");
    assert_within("a new queue's change time", fresh.ctime, (created.0, now()));
    drop(q);
    let t = timed_queue();
    let st = t.q.stat().unwrap();
    check("Status", status_times(&st), &t);
    assert_eq!((st.qnum, st.cbytes), (1, 5));
}

#[test]
fn the_c_abi_reports_the_exact_times() {
    let t = timed_queue();
    let mut c = svmq::capi::SvmqStat::default();
    // SAFETY: a valid id and a valid, writable svmq_stat_t.
    assert_eq!(unsafe { svmq::capi::svmq_stat(t.q.id(), &mut c) }, 0);
    check("svmq_stat_t", (c.stime, c.rtime, c.ctime), &t);
    assert_eq!((c.stime, c.rtime, c.ctime), status_times(&t.q.stat().unwrap()));
}

/// The tool: `SVMQ_TOOL` (set in .ci/vm's guests, where the build tree is not), or this build's.
fn svmq(args: &[&str]) -> String {
    let path =
        std::env::var_os("SVMQ_TOOL").map_or_else(|| env!("CARGO_BIN_EXE_svmq").into(), std::path::PathBuf::from);
    let mut cmd: Command = common::target_command(&path);
    let out = cmd.args(args).env("TZ", "UTC").output().expect("the svmq tool runs");
    assert!(out.status.success(), "svmq {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// The number after `"key":` in the tool's JSON.
fn json_number(json: &str, key: &str) -> i64 {
    let at = json.find(&format!("\"{key}\":")).unwrap_or_else(|| panic!("no {key} in {json}")) + key.len() + 3;
    let digits: String = json[at..].chars().take_while(|c| c.is_ascii_digit() || *c == '-').collect();
    digits.parse().unwrap_or_else(|_| panic!("{key} is not a number in {json}"))
}

/// The year of a time, in UTC (days to civil date, H. Hinnant's algorithm).
fn utc_year(t: i64) -> i64 {
    let z = t.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let m = (5 * doy + 2) / 153;
    yoe + era * 400 + i64::from(m >= 10)
}

#[test]
fn the_tool_reports_the_exact_times() {
    let t = timed_queue();
    let id = t.q.id().to_string();
    let json = svmq(&["stat", &id, "--json"]);
    let times = (json_number(&json, "send"), json_number(&json, "recv"), json_number(&json, "ctime"));
    check("svmq stat --json", times, &t);
    assert_eq!(times, status_times(&t.q.stat().unwrap()));
    // The text form (ipcs -q -i's) shows each time as a date: its year is the one of the exact time.
    let text = svmq(&["stat", &id]);
    for (field, secs) in [("send_time=", times.0), ("rcv_time=", times.1), ("change_time=", times.2)] {
        let line = text.lines().find(|l| l.starts_with(field)).unwrap_or_else(|| panic!("no {field} in {text}"));
        let year = utc_year(secs).to_string();
        assert!(line.split_whitespace().any(|w| w.contains(&year)), "{line}: the year of {secs} s is {year}");
    }
}

/// Not svmq's: whether the C library's clock (Rust's `SystemTime`) agrees with the kernel's system call.
/// It does not on 32-bit powerpc past 2106: glibc 2.36 knows only the vDSO's 32-bit `__kernel_clock_gettime`
/// there and falls back to the `clock_gettime64` system call only when that answers a negative time, which
/// past 2106 it no longer does. Named in a note, since programs there see a wrong date.
#[test]
fn the_c_librarys_clock_agrees() {
    let libc = SystemTime::now().duration_since(UNIX_EPOCH).expect("a clock after 1970").as_secs() as i64;
    let kernel = now();
    if (libc - kernel).abs() > 2 {
        common::note(&format!(
            "{}: the C library's clock says {libc} s, the clock_gettime64 system call {kernel} s",
            common::TARGET
        ));
        assert!(cfg!(target_arch = "powerpc") && kernel >= 1 << 32, "the C library's clock differs from the kernel's");
    }
}
