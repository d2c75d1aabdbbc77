//! Each test binary in an IPC namespace of its own, and no queue left behind by a failing test.
//!
//! Under `panic = "abort"` (every `-Zbuild-std` target, whose tests `.ci/target` builds with
//! `-Zpanic-abort-tests`) a failing test ends its process at the panic: no `Drop` runs, so its
//! [`Guard`](super::Guard)s never remove their queues. On a shared machine those would pile up in
//! everyone's namespace, and tests that look at every queue (`ipcs`, enumeration) would see other
//! programs' queues. Hence, before `main`:
//!
//! - **As root** (`CAP_SYS_ADMIN`), a constructor in `.init_array` moves the test binary into a new IPC
//!   namespace with `unshare(CLONE_NEWIPC)`. It runs before any thread exists, so the whole process is
//!   in it (`unshare` acts on the calling thread only), and everything the binary starts inherits it:
//!   libtest's process per test (panic=abort), forked children, the `svmq` tool, `ipcs`, Python, the C
//!   peers. Whatever a failing test leaves there disappears with the binary's last process. The
//!   namespace's inode goes into `SVMQ_TEST_IPC_NS`, so that a process the binary starts (libtest
//!   re-executes the binary for each test) stays in it instead of making one more.
//! - **Always**, every queue a [`Guard`](super::Guard) holds is recorded here, and under `panic =
//!   "abort"` a panic hook removes the recorded ones when the process is about to abort (under `panic =
//!   "unwind"` the guards' own `Drop` does it, so the hook leaves them alone: other tests' threads are
//!   still running in that process). Without a namespace of the binary's own (no privilege, or
//!   `SVMQ_TEST_NO_NAMESPACE` set, which `tests/isolation.rs` uses to exercise this path as root) that
//!   is what keeps a failing test from leaving its queues in other programs' namespace.
//!
//! [`state`] says which of the two is in effect; the decision is printed once, on stderr, only when it
//! is not the namespace (as a `NOTE:` line: an adaptation every run must show).

use std::sync::Mutex;
use svmq::Queue;

/// Set by the constructor to the inode of the namespace it made (`ipc:[N]` of `/proc/self/ns/ipc`).
pub const NS_VAR: &str = "SVMQ_TEST_IPC_NS";
/// When set (to anything), the constructor makes no namespace: the record and the panic hook only.
pub const NO_NS_VAR: &str = "SVMQ_TEST_NO_NAMESPACE";

/// How this test process is isolated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isolation {
    /// In a namespace this binary made (or inherited from the test binary that made it).
    Namespace,
    /// In a namespace shared with other programs: failing tests' queues are removed by the panic hook.
    Shared,
}

static STATE: Mutex<Option<Isolation>> = Mutex::new(None);
/// The queues held by live guards (ids), removed by the panic hook under `panic = "abort"`.
static HELD: Mutex<Vec<i32>> = Mutex::new(Vec::new());

/// Which isolation the constructor chose.
pub fn state() -> Isolation {
    STATE.lock().map(|s| s.unwrap_or(Isolation::Shared)).unwrap_or(Isolation::Shared)
}

/// Records a queue a guard now holds.
pub fn hold(q: Queue) {
    if let Ok(mut held) = HELD.lock() {
        held.push(q.id());
    }
}

/// Forgets a queue whose guard removed it.
pub fn release(q: Queue) {
    if let Ok(mut held) = HELD.lock()
        && let Some(i) = held.iter().rposition(|&id| id == q.id())
    {
        held.swap_remove(i);
    }
}

/// The link text of `/proc/self/ns/ipc` (`ipc:[4026531839]`), read with libc alone.
fn current_ns() -> Option<String> {
    let mut buf = [0u8; 64];
    // SAFETY: a NUL-terminated path and a buffer of the length passed.
    let n = unsafe { libc::readlink(c"/proc/self/ns/ipc".as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    let n = usize::try_from(n).ok()?;
    String::from_utf8(buf.get(..n)?.to_vec()).ok()
}

/// An environment variable, read with libc alone (before `main`, std's runtime is not set up).
fn env(name: &std::ffi::CStr) -> Option<String> {
    // SAFETY: a NUL-terminated name; getenv's result, when not NULL, is a NUL-terminated string that no
    // other thread changes (none exists yet).
    let v = unsafe { libc::getenv(name.as_ptr()) };
    // SAFETY: as above.
    (!v.is_null()).then(|| unsafe { std::ffi::CStr::from_ptr(v) }.to_string_lossy().into_owned())
}

/// The constructor: runs before `main`, with one thread, from `.init_array`.
extern "C" fn isolate() {
    let state = decide();
    if let Ok(mut s) = STATE.lock() {
        *s = Some(state);
    }
    // Under panic = "abort" a failing test's guards never drop: remove what they hold before the
    // process ends (in a namespace of the binary's own too, so that the binary's later tests do not see
    // them). Under "unwind" the guards' Drop does it, and other tests' threads still run here.
    if cfg!(panic = "abort") {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            remove_held();
            previous(info);
        }));
    }
}

fn decide() -> Isolation {
    let here = current_ns();
    if let (Some(made), Some(here)) = (env(c"SVMQ_TEST_IPC_NS"), here.as_ref())
        && made == *here
    {
        return Isolation::Namespace;
    }
    if env(c"SVMQ_TEST_NO_NAMESPACE").is_some() {
        return Isolation::Shared;
    }
    // SAFETY: unshare changes this (only) thread's IPC namespace; no memory is involved.
    if unsafe { libc::unshare(libc::CLONE_NEWIPC) } != 0 {
        return Isolation::Shared;
    }
    if let Some(ns) = current_ns()
        && let Ok(value) = std::ffi::CString::new(ns)
    {
        // SAFETY: NUL-terminated strings; no other thread exists yet to read the environment meanwhile.
        unsafe { libc::setenv(c"SVMQ_TEST_IPC_NS".as_ptr(), value.as_ptr(), 1) };
    }
    Isolation::Namespace
}

/// Removes every queue still held by a guard: the process is about to abort, no `Drop` will run.
fn remove_held() {
    // try_lock: a panic while the record was locked must not hang the hook.
    if let Ok(held) = HELD.try_lock() {
        for &id in held.iter() {
            let _ = Queue::from_id(id).remove();
        }
    }
}

#[used]
#[unsafe(link_section = ".init_array")]
static ISOLATE: extern "C" fn() = isolate;

/// Prints, once per process, how it is isolated when that is not a namespace of its own.
pub fn note_once() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if state() == Isolation::Shared {
            super::note(
                "no IPC namespace of this test binary's own (not root, or SVMQ_TEST_NO_NAMESPACE): queues are \
                 shared with other programs; a failing test's guards are removed by a panic hook",
            );
        }
    });
}
