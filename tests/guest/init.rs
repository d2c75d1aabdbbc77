//! `svmq-guest-init`: the `/init` of the guests `.ci/vm` boots, one per target, on the target's real
//! Linux kernel under qemu-system. A test runner written with svmq alone: no C library, no shell.
//!
//! As PID 1 it mounts `/proc` (the test harnesses re-execute themselves through `/proc/self/exe`) and a
//! `tmpfs` on `/tmp`, sets the clock from `SVMQ_TIME` (the host's time, passed on the kernel command
//! line: an unknown `NAME=value` word reaches PID 1's environment), then carries out the plan in
//! `/svmq/plan` line by line:
//!
//! ```text
//! # a comment
//! env NAME=VALUE                  add to the environment of the programs run after it
//! clock SECONDS | clock host      set the real-time clock (`host`: SVMQ_TIME plus the time since boot)
//! run NAME SECONDS PROGRAM ARGS   run PROGRAM; it passes when it exits 0 within SECONDS
//! shell PROGRAM ARGS              run PROGRAM without a time limit, not counted (`.ci/vm T --shell`)
//! ```
//!
//! Each program runs in its own process group, on the console, and is killed with its whole group when
//! its time is up. One line per program, `guest: PASS NAME (S s)` or `guest: FAIL NAME (why)`, then the
//! closing `N passed, N failed`, and the machine ends: powered off, or reset when `SVMQ_END=reset` (for
//! boards without a power-off device, run with qemu's `-no-reboot`).
#![no_std]
#![no_main]
#![no_builtins]
#![deny(unsafe_code)]

#[path = "../../src/bin/nolibc/process.rs"]
mod process;
#[path = "../../src/bin/nolibc/rt.rs"]
mod rt;

use core::ffi::{CStr, c_char};
use process::{End, Forked, Line, Status};

/// What the shared panic handler writes.
const PANIC_MESSAGE: &[u8] = b"guest: internal error in svmq-guest-init\n";

const PLAN: &CStr = c"/svmq/plan";
/// The plan's size limit, its words per line and `env` lines.
const PLAN_MAX: usize = 16 * 1024;
const WORDS_MAX: usize = 32;
const ENV_MAX: usize = 32;

/// Called by the shared entry.
fn start(args: rt::Args) -> i32 {
    let failed = run(&args);
    let how = if args.env(b"SVMQ_END") == Some(b"reset") { End::Reset } else { End::PowerOff };
    if process::getpid() == 1 {
        let e = process::end_machine(how);
        Line::new().put("guest: reboot(2) failed, errno ").int(i64::from(e)).print();
    }
    i32::from(failed)
}

/// Mounts, sets the clock, carries out the plan; true when anything failed.
fn run(args: &rt::Args) -> bool {
    let booted_ms = process::monotonic_ms();
    let pid1 = process::getpid() == 1;
    if pid1 {
        for (what, r) in [
            ("mount /proc", process::mount(c"proc", c"/proc", c"proc", None)),
            ("mount /tmp", process::mount(c"tmpfs", c"/tmp", c"tmpfs", Some(c"mode=1777"))),
        ] {
            if let Err(e) = r {
                Line::new().put("guest: ").put(what).put(" failed, errno ").int(i64::from(e)).print();
            }
        }
    }
    print_file(c"/proc/version");
    let host_time = args.env(b"SVMQ_TIME").and_then(parse_i64);
    if let Some(t) = host_time {
        set_clock(t);
    }

    let mut plan = [0u8; PLAN_MAX];
    let len = match read_file(PLAN, &mut plan) {
        // Room for a final newline, so that the last line ends like the others.
        Ok(n) if n < PLAN_MAX => n,
        Ok(_) => return fail_setup("the plan /svmq/plan is too long"),
        Err(e) => {
            Line::new().put("guest: cannot read /svmq/plan, errno ").int(i64::from(e)).print();
            return fail_setup("no plan");
        }
    };
    plan[len] = b'\n';
    let plan = &mut plan[..len + 1];
    // Words become NUL-terminated strings in place: every separator (space, tab, newline) turns into NUL.
    let mut starts = [0usize; PLAN_MAX / 2];
    let mut lines = [(0usize, 0usize); PLAN_MAX / 4];
    let nlines = split(plan, &mut starts, &mut lines);
    let plan: &[u8] = plan;

    let mut env: [*const c_char; ENV_MAX + 1] = [core::ptr::null(); ENV_MAX + 1];
    let mut nenv = 0;
    let (mut passed, mut failed) = (0u32, 0u32);
    for &(first, count) in &lines[..nlines] {
        let words = &starts[first..first + count];
        let word = |i: usize| cstr_at(plan, words[i]);
        match word(0).to_bytes() {
            b"env" if count == 2 && nenv < ENV_MAX => {
                env[nenv] = word(1).as_ptr();
                nenv += 1;
            }
            b"clock" if count == 2 => {
                let t = match (word(1).to_bytes(), host_time) {
                    (b"host", Some(h)) => Some(h + ((process::monotonic_ms() - booted_ms) / 1000) as i64),
                    (b"host", None) => None,
                    (s, _) => parse_i64(s),
                };
                match (t, host_time) {
                    // The clock is only ever set in a guest: SVMQ_TIME comes from its kernel command line.
                    (Some(t), Some(_)) if set_clock(t) => {}
                    _ => {
                        Line::new()
                            .put("guest: FAIL clock ")
                            .put_bytes(word(1).to_bytes())
                            .put(" (no SVMQ_TIME)")
                            .print();
                        failed += 1;
                    }
                }
            }
            b"run" if (4..=WORDS_MAX).contains(&count) => {
                let name = word(1).to_bytes();
                let Some(secs) = parse_i64(word(2).to_bytes()) else {
                    Line::new().put("guest: FAIL ").put_bytes(name).put(" (bad time limit)").print();
                    failed += 1;
                    continue;
                };
                let mut argv: [*const c_char; WORDS_MAX + 1] = [core::ptr::null(); WORDS_MAX + 1];
                for (i, p) in argv.iter_mut().enumerate().take(count - 3) {
                    *p = word(3 + i).as_ptr();
                }
                if run_one(name, secs as u64, word(3), &argv[..count - 2], &env[..nenv + 1]) {
                    passed += 1;
                } else {
                    failed += 1;
                }
            }
            b"shell" if (2..=WORDS_MAX).contains(&count) => {
                let mut argv: [*const c_char; WORDS_MAX + 1] = [core::ptr::null(); WORDS_MAX + 1];
                for (i, p) in argv.iter_mut().enumerate().take(count - 1) {
                    *p = word(1 + i).as_ptr();
                }
                Line::new()
                    .put("guest: starting ")
                    .put_bytes(word(1).to_bytes())
                    .put(" (exit it to end the machine)")
                    .print();
                run_one(b"shell", 0, word(1), &argv[..count], &env[..nenv + 1]);
            }
            other => {
                Line::new().put("guest: FAIL plan line '").put_bytes(other).put("' not understood").print();
                failed += 1;
            }
        }
    }
    Line::new().int(i64::from(passed)).put(" passed, ").int(i64::from(failed)).put(" failed").print();
    failed > 0
}

fn fail_setup(why: &str) -> bool {
    Line::new().put("guest: FAIL setup (").put(why).put(")").print();
    Line::new().put("0 passed, 1 failed").print();
    true
}

/// Splits `buf` (ending with a newline) into NUL-terminated words; `starts` gets each word's offset,
/// `lines` each non-empty, non-comment line's (first word index, word count). Returns the number of lines.
fn split(buf: &mut [u8], starts: &mut [usize], lines: &mut [(usize, usize)]) -> usize {
    let (mut nw, mut nl, mut line_first) = (0, 0, 0);
    let (mut in_word, mut comment) = (false, false);
    for (i, c) in buf.iter_mut().enumerate() {
        match *c {
            b'\n' => {
                *c = 0;
                (in_word, comment) = (false, false);
                if nw > line_first && nl < lines.len() {
                    lines[nl] = (line_first, nw - line_first);
                    nl += 1;
                }
                line_first = nw;
            }
            _ if comment => *c = 0,
            b' ' | b'\t' => {
                *c = 0;
                in_word = false;
            }
            b'#' if !in_word && nw == line_first => {
                *c = 0;
                comment = true;
            }
            _ if !in_word && nw < starts.len() => {
                starts[nw] = i;
                nw += 1;
                in_word = true;
            }
            _ => {}
        }
    }
    nl
}

/// The NUL-terminated word at `at` in the split plan (every word ends in a NUL: the plan ends with a
/// newline, turned into one).
fn cstr_at(plan: &[u8], at: usize) -> &CStr {
    CStr::from_bytes_until_nul(&plan[at..]).unwrap_or(c"")
}

/// Runs one program as described above; true when it exited 0 in time. `limit` 0: no time limit.
fn run_one(name: &[u8], limit: u64, path: &CStr, argv: &[*const c_char], env: &[*const c_char]) -> bool {
    Line::new().put("guest: run ").put_bytes(name).print();
    let t0 = process::monotonic_ms();
    let pid = match process::fork() {
        Ok(Forked::Child) => {
            process::new_process_group();
            let e = process::execve(path, argv, env);
            Line::new().put("guest: execve ").put_bytes(path.to_bytes()).put(": errno ").int(i64::from(e)).print();
            rt::exit(127);
        }
        Ok(Forked::Parent(pid)) => pid,
        Err(e) => {
            Line::new().put("guest: FAIL ").put_bytes(name).put(" (fork: errno ").int(i64::from(e)).put(")").print();
            return false;
        }
    };
    let mut timed_out = false;
    let status = loop {
        match process::wait(-1, true) {
            Ok(Some((p, st))) if p == pid => break Some(st),
            Ok(Some(_)) => continue, // an orphan of an earlier program, reparented to PID 1
            Ok(None) => {}
            Err(_) => break None,
        }
        if limit > 0 && !timed_out && process::monotonic_ms() - t0 > limit * 1000 {
            timed_out = true;
            let _ = process::kill(-pid, 9);
            let _ = process::kill(pid, 9);
        }
        process::sleep_ms(20);
    };
    // Whatever the program left running in its group goes with it.
    let _ = process::kill(-pid, 9);
    while let Ok(Some(_)) = process::wait(-1, true) {}
    let ms = process::monotonic_ms() - t0;
    let ok = !timed_out && status == Some(Status::Exited(0));
    let mut line = Line::new();
    line.put(if ok { "guest: PASS " } else { "guest: FAIL " }).put_bytes(name).put(" (");
    if timed_out {
        line.put("killed after ").int(limit as i64).put(" s time limit");
    } else {
        match status {
            Some(Status::Exited(0)) => line.int((ms / 1000) as i64).put(".").int((ms % 1000 / 100) as i64).put(" s"),
            Some(Status::Exited(c)) => line.put("exit status ").int(i64::from(c)),
            Some(Status::Signaled(s)) => line.put("killed by signal ").int(i64::from(s)),
            None => line.put("lost: wait4 failed"),
        };
    }
    line.put(")").print();
    ok
}

/// Sets the real-time clock, saying so; false on failure.
fn set_clock(t: i64) -> bool {
    match process::set_clock(t) {
        Ok(()) => {
            Line::new().put("guest: clock set to ").int(t).put(" s since 1970").print();
            true
        }
        Err(e) => {
            Line::new().put("guest: clock_settime(").int(t).put(") failed, errno ").int(i64::from(e)).print();
            false
        }
    }
}

fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 18 {
        return None;
    }
    s.iter().try_fold(0i64, |v, &c| c.is_ascii_digit().then(|| v * 10 + i64::from(c - b'0')))
}

/// Reads a whole (small) file into `buf`: its length.
fn read_file(path: &CStr, buf: &mut [u8]) -> Result<usize, i32> {
    let fd = process::open_read(path)?;
    let mut n = 0;
    while n < buf.len() {
        match rt::read(fd, &mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => {
                process::close(fd);
                return Err(e);
            }
        }
    }
    process::close(fd);
    Ok(n)
}

/// Prints a small text file (the kernel's version) with a `guest: ` prefix.
fn print_file(path: &CStr) {
    let mut buf = [0u8; 512];
    if let Ok(n) = read_file(path, &mut buf) {
        let text = buf[..n].strip_suffix(b"\n").unwrap_or(&buf[..n]);
        Line::new().put("guest: ").put_bytes(text).print();
    }
}
