//! Shared helpers for the integration tests: queues that remove themselves, unique keys, and running
//! code in a child process as another user.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};
use svmq::{Errno, Key, Queue};

/// A queue removed when the guard drops (tests only: svmq's own handle never removes anything).
pub struct Guard(pub Queue);

impl Guard {
    pub fn private() -> Self {
        Self(Queue::private(0o600).expect("msgget(IPC_PRIVATE)"))
    }
    pub fn with_mode(mode: u32) -> Self {
        Self(Queue::private(mode).expect("msgget(IPC_PRIVATE)"))
    }
    /// A new queue under a fresh key nobody else uses.
    pub fn keyed(mode: u32) -> (Self, Key) {
        loop {
            let key = unique_key();
            match Queue::create_exclusive(key, mode) {
                Ok(q) => return (Self(q), key),
                Err(Errno::EXIST) => continue,
                Err(e) => panic!("create_exclusive: {e}"),
            }
        }
    }
}

impl std::ops::Deref for Guard {
    type Target = Queue;
    fn deref(&self) -> &Queue {
        &self.0
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // Already removed by the test is fine.
        let _ = self.0.remove();
    }
}

/// A key unlikely to be in use: the test process id, a counter, and a fixed tag.
pub fn unique_key() -> Key {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let pid = std::process::id();
    Key::from_u32(0x5600_0000 ^ (pid << 8) ^ n.wrapping_mul(0x9e37_79b1) & 0x00ff_ffff | 0x4000_0000)
}

/// Runs `f` in a forked child that first drops to uid/gid 65534 (nobody); returns its exit status.
/// The child uses only raw syscalls (svmq) and `_exit`, which is safe after fork in a threaded process.
pub fn as_nobody(f: impl FnOnce() -> i32) -> i32 {
    // SAFETY: fork in a test process; the child only makes raw syscalls and exits with _exit.
    unsafe {
        let pid = libc::fork();
        assert!(pid >= 0, "fork");
        if pid == 0 {
            if libc::setgroups(0, std::ptr::null()) != 0
                || libc::setresgid(65534, 65534, 65534) != 0
                || libc::setresuid(65534, 65534, 65534) != 0
            {
                libc::_exit(120);
            }
            let code = f();
            libc::_exit(code);
        }
        wait(pid)
    }
}

/// Waits for a child; returns its exit status, or 128 + signal.
pub fn wait(pid: libc::pid_t) -> i32 {
    let mut status = 0;
    // SAFETY: waiting for our own child.
    let r = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(r, pid, "waitpid");
    if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { 128 + libc::WTERMSIG(status) }
}

/// Encodes an errno result for a child's exit status: 0 for Ok, the errno otherwise.
pub fn code<T>(r: Result<T, Errno>) -> i32 {
    match r {
        Ok(_) => 0,
        Err(e) => e.raw(),
    }
}

/// True when running under qemu-user (the test binary is an aarch64 program on an x86_64 kernel).
pub fn under_emulation() -> bool {
    cfg!(target_arch = "aarch64")
        && std::fs::read_to_string("/proc/cpuinfo").map(|c| !c.contains("CPU implementer")).unwrap_or(false)
}

pub fn read_proc(name: &str) -> u32 {
    std::fs::read_to_string(format!("/proc/sys/kernel/{name}")).unwrap().trim().parse().unwrap()
}

/// Prints a line that libtest does not capture: adaptations to the environment must be visible in every
/// run, not only in failing ones.
pub fn note(msg: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "NOTE: {msg}");
}
