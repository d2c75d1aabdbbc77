//! A failing test leaves no queue behind, under either panic strategy and with or without an IPC
//! namespace of the test binary's own (`tests/common/isolation.rs`).
//!
//! Each test below runs this binary again as a child, with only `fails_holding_a_queue` selected and
//! asked to fail: it creates a queue under a key of the parent's choosing through a test guard, puts a
//! message on it, says so, and panics. Under `panic = "abort"` (the `-Zbuild-std` targets) that ends the
//! child's process at once: no `Drop` runs. The parent then looks for the key in its own namespace.

mod common;

use common::isolation::{self, Isolation};
use svmq::{Errno, Key, Message, MsgType, Queue, Select};

/// The environment variable that makes `fails_holding_a_queue` fail (under the key it holds).
const FAIL_WITH_KEY: &str = "SVMQ_TEST_FAIL_WITH_KEY";
/// Make the queue without a guard (the control: shows that the parent's check sees a leak).
const NO_GUARD: &str = "SVMQ_TEST_NO_GUARD";

#[test]
fn fails_holding_a_queue() {
    // Passes at once unless a test below asked for the failure.
    let Some(key) = std::env::var(FAIL_WITH_KEY).ok() else { return };
    let key = Key::from_u32(u32::from_str_radix(key.trim_start_matches("0x"), 16).unwrap());
    let q = Queue::create_exclusive(key, 0o600).expect("the child's queue");
    q.send(&Message::<8>::new(MsgType::MIN, b"left?").unwrap()).unwrap();
    if std::env::var_os(NO_GUARD).is_some() {
        // The control: a queue no guard holds outlives the failing test.
        eprintln!("made {} without a guard, namespace {}", key.raw(), ns());
        panic!("failing on purpose, the queue unguarded");
    }
    let q = common::Guard::adopt(q);
    eprintln!("made {} id {}, namespace {}", key.raw(), q.id(), ns());
    panic!("failing on purpose while holding a queue");
}

fn ns() -> String {
    std::fs::read_link("/proc/self/ns/ipc").map(|p| p.display().to_string()).unwrap_or_default()
}

/// Runs `fails_holding_a_queue` in a child test binary; returns (exit success, combined output).
fn run_child(key: Key, env: &[(&str, &str)], remove: &[&str]) -> (bool, String) {
    let mut cmd = common::target_command(&std::env::current_exe().unwrap());
    cmd.args(["--exact", "fails_holding_a_queue", "--nocapture", "--test-threads=1"])
        .env(FAIL_WITH_KEY, format!("{:#x}", key.as_u32()));
    for (k, v) in env {
        cmd.env(k, v);
    }
    for k in remove {
        cmd.env_remove(k);
    }
    let out = cmd.output().expect("the child test binary");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn assert_failed_holding(ok: bool, out: &str, key: Key) {
    assert!(!ok, "the child test failed, as asked:\n{out}");
    assert!(out.contains(&format!("made {}", key.raw())), "the child made its queue before failing:\n{out}");
}

#[test]
fn a_failing_test_binary_leaves_its_queues_in_its_own_namespace_only() {
    if isolation::state() != Isolation::Namespace {
        common::require::<()>("an IPC namespace for each test binary (root: CAP_SYS_ADMIN)", None);
        return;
    }
    let key = common::unique_key();
    // A test binary of its own: without the parent's mark it makes its own namespace.
    let (ok, out) = run_child(key, &[], &[isolation::NS_VAR]);
    assert_failed_holding(ok, &out, key);
    let theirs = out.lines().find_map(|l| l.split_once("namespace ").map(|(_, ns)| ns.trim().to_owned()));
    assert_ne!(theirs.as_deref(), Some(ns().as_str()), "the child binary ran in another namespace:\n{out}");
    assert_eq!(Queue::open(key), Err(Errno::NOENT), "nothing of the child's in this namespace");
}

#[test]
fn a_failing_test_removes_its_queues_in_a_shared_namespace() {
    // The child shares this process's namespace (no namespace of its own: the path of a user without
    // the privilege): only its guards' removal, by Drop or by the panic hook, can keep the key free.
    let key = common::unique_key();
    let (ok, out) = run_child(key, &[(isolation::NO_NS_VAR, "1")], &[isolation::NS_VAR]);
    assert_failed_holding(ok, &out, key);
    assert!(out.contains(&format!("namespace {}", ns())), "the child shared this namespace:\n{out}");
    assert_eq!(Queue::open(key), Err(Errno::NOENT), "the failing test's queue was removed:\n{out}");

    // The control: a queue no guard holds survives the failing test; the check above can see a leak.
    let key = common::unique_key();
    let (ok, out) = run_child(key, &[(isolation::NO_NS_VAR, "1"), (NO_GUARD, "1")], &[isolation::NS_VAR]);
    assert_failed_holding(ok, &out, key);
    let left = Queue::open(key).expect("the forgotten queue outlived the failing test");
    assert_eq!(left.try_recv::<8>(Select::Any).unwrap().data(), b"left?");
    left.remove().unwrap();
}
