//! Fallbacks to older system calls, forced with a seccomp filter that makes this kernel answer `ENOSYS`
//! in a child process, which then uses svmq normally:
//!
//! - the `ipc(2)` multiplexer, on architectures that have it (i686, powerpc, s390x): Linux before 5.1
//!   answers `ENOSYS` to the direct message-queue calls there, and every call must go through `ipc(2)`.
//!   (`.ci/target` also runs the kernel-facing suites with `--features ipc-multiplexer`, which skips the
//!   direct calls altogether, for a qemu target where seccomp is not available.)
//! - the clock and timer calls of the 32-bit architectures (i686, armv7, powerpc), both ways: without
//!   the 64-bit time calls (Linux before 5.1) svmq uses the old ones; without the old ones (a kernel
//!   built without `COMPAT_32BIT_TIME`) it uses the 64-bit ones, and the deadline calls work either way.

mod common;

use std::time::Duration;
use svmq::sys::raw::nr;
use svmq::{Errno, Message, MsgType, Queue, RecvFlags, Select, Settings};

/// Installs a filter answering ENOSYS to the system calls `denied`. False if the kernel (or emulator)
/// refuses seccomp.
fn deny_with_enosys(denied: &[usize]) -> bool {
    const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
    const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
    let f = |code: u16, jt: u8, jf: u8, k: u32| libc::sock_filter { code, jt, jf, k };
    let ld_nr = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
    let jeq = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
    let ret = (libc::BPF_RET | libc::BPF_K) as u16;
    let mut prog = [f(ret, 0, 0, SECCOMP_RET_ALLOW); 16];
    assert!(denied.len() + 3 <= prog.len());
    prog[0] = f(ld_nr, 0, 0, 0); // A = seccomp_data.nr
    let n = denied.len();
    for (i, &nr) in denied.iter().enumerate() {
        // Equal: jump to the ENOSYS return after the last test and the ALLOW return.
        prog[1 + i] = f(jeq, (n - i) as u8, 0, nr as u32);
    }
    prog[1 + n] = f(ret, 0, 0, SECCOMP_RET_ALLOW);
    prog[2 + n] = f(ret, 0, 0, SECCOMP_RET_ERRNO | libc::ENOSYS as u32);
    let fprog = libc::sock_fprog { len: (n + 3) as u16, filter: prog.as_ptr().cast_mut() };
    // SAFETY: plain prctl calls with a valid filter program that outlives them.
    unsafe {
        libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
            && libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &fprog as *const libc::sock_fprog) == 0
    }
}

/// Runs `steps` in a forked child under a filter answering ENOSYS to `denied`; its exit status (100: the
/// filter could not be installed).
fn in_filtered_child(denied: &[usize], steps: fn() -> i32) -> i32 {
    // SAFETY: the child makes raw syscalls and async-signal-safe calls only (svmq does not allocate),
    // then _exit.
    let child = unsafe { libc::fork() };
    if child == 0 {
        let code = if deny_with_enosys(denied) { steps() } else { 100 };
        // SAFETY: leaving the forked child.
        unsafe { libc::_exit(code) };
    }
    common::wait(child)
}

/// What the child does under the filter; returns the number of the first failed step (0: all passed).
fn child_steps() -> i32 {
    // 1: the filter works: the direct msgget really answers ENOSYS now.
    // SAFETY: msgget with integer arguments.
    let direct = unsafe { svmq::sys::raw::syscall2(nr::MSGGET, 0, 0o600) } as isize;
    if direct != -(libc::ENOSYS as isize) {
        return 1;
    }
    let Ok(q) = Queue::private(0o600) else { return 2 };
    let t = MsgType::new(7).unwrap();
    let mut step = 0;
    if q.send(&Message::<16>::new(t, b"through ipc(2)").unwrap()).is_err() {
        step = 3;
    } else if q.stat().map(|s| (s.qnum, s.cbytes)) != Ok((1, 14)) {
        step = 4;
    } else if q.peek::<16>(0, RecvFlags::BLOCK).map(|m| m.data() == b"through ipc(2)") != Ok(true) {
        step = 5;
    } else if q.recv::<16>(Select::Exactly(t)).map(|m| m.data() == b"through ipc(2)") != Ok(true) {
        step = 6;
    } else if q.try_recv::<16>(Select::Any).err() != Some(Errno::NOMSG) {
        step = 7;
    } else if q.stat().and_then(|s| q.set(&Settings { mode: 0o640, ..s.settings() })).is_err() {
        step = 8;
    } else if q.stat().map(|s| s.mode) != Ok(0o640) {
        step = 9;
    } else if !svmq::queues().is_ok_and(|mut all| all.any(|(found, _)| found == q)) {
        step = 10;
    }
    if q.remove().is_err() && step == 0 {
        step = 11;
    }
    step
}

#[test]
fn every_call_falls_back_to_ipc_when_the_direct_calls_answer_enosys() {
    let Some(_) = nr::IPC else {
        common::note("no ipc(2) on this architecture: the direct calls are the only ones (nothing to fall back to)");
        return;
    };
    if cfg!(feature = "ipc-multiplexer") {
        common::note("built with ipc-multiplexer: svmq never tries the direct calls; the filter would not be seen");
        return;
    }
    let denied = [nr::MSGGET, nr::MSGSND, nr::MSGRCV, nr::MSGCTL];
    let status = in_filtered_child(&denied, child_steps);
    if status == 100 && common::under_emulation() {
        common::note("seccomp is not available under qemu-user: the fallback is covered by the ipc-multiplexer run");
        return;
    }
    assert_eq!(status, 0, "step {status} failed with the direct calls answering ENOSYS");
}

/// What a child denied one set of time calls does: the deadline calls must work with the other set.
/// Returns the number of the first failed step (0: all passed).
fn timed_steps(denied_probe: usize) -> i32 {
    // 1: the filter works: the denied call answers ENOSYS.
    let mut ts = [0u64; 2];
    // SAFETY: clock_gettime(CLOCK_MONOTONIC) (either form) into a 16-byte buffer, larger than both
    // timespecs.
    let r = unsafe { svmq::sys::raw::syscall2(denied_probe, 1, ts.as_mut_ptr() as usize) } as isize;
    if r != -(libc::ENOSYS as isize) {
        return 1;
    }
    let Ok(q) = Queue::private(0o600) else { return 2 };
    let t = MsgType::new(3).unwrap();
    let mut step = 0;
    let start = std::time::Instant::now();
    // 3: an empty queue times out, not before its deadline (the clock, the timer and its signal).
    if q.recv_timeout::<8>(Select::Any, Duration::from_millis(30)) != Err(Errno::TIMEDOUT) {
        step = 3;
    } else if start.elapsed() < Duration::from_millis(30) {
        step = 4;
    } else if q.send(&Message::<8>::new(t, b"x").unwrap()).is_err() {
        step = 5;
    } else if q.recv_timeout::<8>(Select::Any, Duration::from_millis(30)).map(|m| m.data() == b"x") != Ok(true) {
        step = 6;
    } else {
        // 7: a message sent 20 ms into a 10 s wait, by a grandchild, is received.
        // SAFETY: the grandchild makes raw syscalls only, then _exit.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            std::thread::sleep(Duration::from_millis(20));
            let sent = q.send(&Message::<8>::new(t, b"late").unwrap()).is_ok();
            // SAFETY: leaving the grandchild.
            unsafe { libc::_exit(if sent { 0 } else { 1 }) };
        }
        let got = q.recv_timeout::<8>(Select::Any, Duration::from_secs(10));
        if common::wait(pid) != 0 || got.map(|m| m.data() == b"late") != Ok(true) {
            step = 7;
        }
    }
    if q.remove().is_err() && step == 0 {
        step = 8;
    }
    step
}

fn time_calls_case(what: &str, denied: &[usize], steps: fn() -> i32) {
    let status = in_filtered_child(denied, steps);
    if status == 100 && common::under_emulation() {
        common::note(&format!("seccomp is not available under qemu-user: {what} not forced here"));
        return;
    }
    assert_eq!(status, 0, "{what}: step {status} failed");
}

#[test]
fn deadline_calls_fall_back_to_the_old_time_calls_without_the_64_bit_ones() {
    let (Some(clock64), Some(get64), Some(set64)) = (nr::CLOCK_GETTIME64, nr::TIMER_GETTIME64, nr::TIMER_SETTIME64)
    else {
        common::note("64-bit architecture: its clock and timer calls take 64-bit times; nothing to fall back to");
        return;
    };
    fn steps() -> i32 {
        timed_steps(nr::CLOCK_GETTIME64.unwrap())
    }
    time_calls_case("Linux before 5.1 (no 64-bit time calls)", &[clock64, get64, set64], steps);
}

#[test]
fn deadline_calls_use_the_64_bit_time_calls_without_the_old_ones() {
    if nr::CLOCK_GETTIME64.is_none() {
        common::note("64-bit architecture: no separate 64-bit time calls");
        return;
    }
    fn steps() -> i32 {
        timed_steps(nr::CLOCK_GETTIME)
    }
    time_calls_case(
        "a kernel without COMPAT_32BIT_TIME (no 32-bit time calls)",
        &[nr::CLOCK_GETTIME, nr::TIMER_GETTIME, nr::TIMER_SETTIME],
        steps,
    );
}
