//! The `ipc(2)` fallback, on architectures that have the multiplexer (i686, powerpc, s390x): Linux before
//! 5.1 answers `ENOSYS` to the direct message-queue calls there. A seccomp filter makes this kernel answer
//! exactly that in a child process, which then uses svmq normally: every call must go through `ipc(2)`.
//! (`.ci/target` also runs the kernel-facing suites with `--features ipc-multiplexer`, which skips the
//! direct calls altogether, for a qemu target where seccomp is not available.)

mod common;

use svmq::sys::raw::nr;
use svmq::{Errno, Message, MsgType, Queue, RecvFlags, Select, Settings};

/// Installs a filter answering ENOSYS to system calls `lo..=hi`. False if the kernel (or emulator)
/// refuses seccomp.
fn deny_with_enosys(lo: usize, hi: usize) -> bool {
    const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
    const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
    let f = |code: u16, jt: u8, jf: u8, k: u32| libc::sock_filter { code, jt, jf, k };
    let ld_nr = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
    let jge = (libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K) as u16;
    let jgt = (libc::BPF_JMP | libc::BPF_JGT | libc::BPF_K) as u16;
    let ret = (libc::BPF_RET | libc::BPF_K) as u16;
    let prog = [
        f(ld_nr, 0, 0, 0),       // A = seccomp_data.nr
        f(jge, 0, 2, lo as u32), // nr < lo: allow
        f(jgt, 1, 0, hi as u32), // nr > hi: allow
        f(ret, 0, 0, SECCOMP_RET_ERRNO | libc::ENOSYS as u32),
        f(ret, 0, 0, SECCOMP_RET_ALLOW),
    ];
    let fprog = libc::sock_fprog { len: prog.len() as u16, filter: prog.as_ptr().cast_mut() };
    // SAFETY: plain prctl calls with a valid filter program that outlives them.
    unsafe {
        libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
            && libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER, &fprog as *const libc::sock_fprog) == 0
    }
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
    let lo = nr::MSGGET.min(nr::MSGSND).min(nr::MSGRCV).min(nr::MSGCTL);
    let hi = nr::MSGGET.max(nr::MSGSND).max(nr::MSGRCV).max(nr::MSGCTL);
    assert_eq!(hi - lo, 3, "the four direct calls are contiguous");
    // SAFETY: the child makes raw syscalls only (svmq does not allocate), then _exit.
    let child = unsafe { libc::fork() };
    if child == 0 {
        let code = if deny_with_enosys(lo, hi) { child_steps() } else { 100 };
        // SAFETY: leaving the forked child.
        unsafe { libc::_exit(code) };
    }
    let status = common::wait(child);
    if status == 100 && common::under_emulation() {
        common::note("seccomp is not available under qemu-user: the fallback is covered by the ipc-multiplexer run");
        return;
    }
    assert_eq!(status, 0, "step {status} failed with the direct calls answering ENOSYS");
}
