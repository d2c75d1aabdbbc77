//! The `svmq` tool against util-linux: same listings as `ipcs`, binary payloads through send/recv, and
//! every error exit.

mod common;

use common::{Guard, target_command, unique_key};
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{Command, Output, Stdio};
use svmq::{Message, MsgType, Queue, Select};

fn svmq_cmd(args: &[&str]) -> Command {
    let mut c = target_command(std::path::Path::new(env!("CARGO_BIN_EXE_svmq")));
    c.args(args).env("TZ", "UTC").env("LC_ALL", "C");
    c
}

fn svmq(args: &[&str]) -> Output {
    svmq_cmd(args).output().expect("svmq runs")
}

fn ok(args: &[&str]) -> String {
    let o = svmq(args);
    assert!(o.status.success(), "svmq {args:?}: {:?} {}", o.status, String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

fn fails(args: &[&str], code: i32) -> String {
    let o = svmq(args);
    assert_eq!(o.status.code(), Some(code), "svmq {args:?}");
    assert!(o.stdout.is_empty());
    String::from_utf8(o.stderr).unwrap()
}

fn ipcs(args: &[&str]) -> Option<String> {
    let o = Command::new("ipcs").args(args).env("TZ", "UTC").env("LC_ALL", "C").output().ok()?;
    o.status.success().then(|| String::from_utf8(o.stdout).unwrap())
}

fn rows_for(listing: &str, ids: &[i32]) -> Vec<String> {
    listing
        .lines()
        .filter(|l| l.split_whitespace().nth(1).and_then(|id| id.parse().ok()).is_some_and(|id: i32| ids.contains(&id)))
        .map(str::to_owned)
        .collect()
}

#[test]
fn ls_matches_ipcs_q_line_for_line() {
    let Some(_) = common::require("util-linux ipcs", ipcs(&["-q"])) else { return };
    let (a, _) = Guard::keyed(0o644);
    let b = Guard::with_mode(0o600);
    a.send(&Message::<64>::new(MsgType::new(1).unwrap(), &[1; 40]).unwrap()).unwrap();
    b.send(&Message::<64>::new(MsgType::new(9).unwrap(), b"x").unwrap()).unwrap();
    b.send(&Message::<64>::new(MsgType::new(9).unwrap(), b"yz").unwrap()).unwrap();
    let ours = ok(&["ls"]);
    let theirs = ipcs(&["-q"]).unwrap();
    let ids = [a.id(), b.id()];
    if common::qemu_msgctl::quirks().mode_high_half {
        // The tool reads the mode where the kernel writes it, qemu-s390x writes it elsewhere
        // (tests/common/qemu_msgctl.rs): the perms column is compared as the kernel has it, below.
        let perms = |l: &String| l.split_whitespace().nth(3).unwrap().to_owned();
        let masked = |v: Vec<String>| {
            v.iter()
                .map(|l| {
                    l.split_whitespace().enumerate().map(|(i, w)| if i == 3 { "?" } else { w }).collect::<Vec<_>>()
                })
                .map(|w| w.join(" "))
                .collect::<Vec<_>>()
        };
        assert_eq!(masked(rows_for(&ours, &ids)), masked(rows_for(&theirs, &ids)));
        let modes: Vec<String> = rows_for(&theirs, &ids).iter().map(perms).collect();
        assert_eq!(modes, ["644", "600"]);
        assert_eq!((common::kstat(&a).unwrap().mode, common::kstat(&b).unwrap().mode), (0o644, 0o600));
    } else {
        assert_eq!(rows_for(&ours, &ids), rows_for(&theirs, &ids));
    }
    assert_eq!(rows_for(&ours, &ids).len(), 2);
    assert_eq!(ours.lines().take(3).collect::<Vec<_>>(), theirs.lines().take(3).collect::<Vec<_>>(), "headers");
}

#[test]
fn ls_includes_queues_the_caller_cannot_read() {
    let q = Guard::with_mode(0o600);
    let out = svmq_cmd(&["ls"]).uid(65534).gid(65534).output().unwrap();
    assert!(out.status.success());
    let listing = String::from_utf8(out.stdout).unwrap();
    let listed = !rows_for(&listing, &[q.id()]).is_empty();
    if !listed && common::under_emulation() {
        // Only MSG_STAT_ANY (Linux 4.17) lists unreadable queues; qemu-user may not know it.
        common::note("an unprivileged `svmq ls` did not list a 0600 root queue: qemu-user lacks MSG_STAT_ANY");
    } else {
        assert!(listed, "MSG_STAT_ANY lists a queue the caller cannot read:\n{listing}");
    }
}

#[test]
fn stat_matches_ipcs_q_i() {
    let Some(_) = common::require("util-linux ipcs", ipcs(&["-q"])) else { return };
    let q = Guard::private();
    q.send(&Message::<8>::new(MsgType::new(2).unwrap(), b"abc").unwrap()).unwrap();
    q.send(&Message::<8>::new(MsgType::new(3).unwrap(), b"de").unwrap()).unwrap();
    q.recv::<8>(Select::Any).unwrap();
    let id = q.id().to_string();
    let theirs = ipcs(&["-q", "-i", &id]).unwrap();
    let ours = ok(&["stat", &id]);
    if ours != theirs && common::under_emulation() {
        // qemu-user's msqid_ds puts lrpid at another offset (see tests/queue.rs): compare the rest.
        // (tests/common/qemu_msgctl.rs names each difference.)
        let strip = common::qemu_msgctl::mask_stat_text;
        common::note("svmq stat vs ipcs -q -i: the fields qemu-user's msgctl misplaces differ; compared the others");
        assert_eq!(strip(&ours), strip(&theirs));
    } else {
        assert_eq!(ours, theirs);
    }
}

#[test]
fn ls_l_and_ls_u_match_ipcs() {
    let Some(limits) = common::require("util-linux ipcs", ipcs(&["-q", "-l"])) else { return };
    assert_eq!(ok(&["ls", "-l"]), limits);
    let ours = ok(&["ls", "-u"]);
    let theirs = ipcs(&["-q", "-u"]).unwrap();
    // Other tests run in parallel: the counts may move, the lines may not.
    let labels = |s: &str| s.lines().map(|l| l.split('=').next().unwrap().to_owned()).collect::<Vec<_>>();
    assert_eq!(labels(&ours), labels(&theirs));
}

#[test]
fn mk_creates_exclusively_with_mode_key_or_file() {
    let out = ok(&["mk", "-p", "0640"]);
    let (key, id) = out.trim().split_once(' ').unwrap();
    let q = Guard::adopt(Queue::from_id(id.parse().unwrap()));
    let st = common::kstat(&q).unwrap();
    assert_eq!((format!("0x{:08x}", st.key.as_u32()), st.mode), (key.to_owned(), 0o640));

    let k = unique_key();
    let hex = format!("0x{:08x}", k.as_u32());
    let out = ok(&["mk", "-k", &hex]);
    let q2 = Guard::adopt(Queue::from_id(out.trim().split_once(' ').unwrap().1.parse().unwrap()));
    assert_eq!(q2.stat().unwrap().key, k);
    assert_eq!(common::kstat(&q2).unwrap().mode, 0o644, "default mode");
    let err = fails(&["mk", "-k", &hex], 1);
    assert_eq!(err, "svmq: mk: EEXIST: file exists\n");

    let dir = common::TempDir::new("tool");
    let f = dir.path("keyfile");
    std::fs::write(&f, b"").unwrap();
    let spec = format!("{}:7", f.display());
    let out = ok(&["mk", "-f", &spec]);
    let q3 = Guard::adopt(Queue::from_id(out.trim().split_once(' ').unwrap().1.parse().unwrap()));
    let want = svmq::ftok(&std::ffi::CString::new(f.to_str().unwrap()).unwrap(), 7).unwrap();
    assert_eq!(q3.stat().unwrap().key, want);
}

#[test]
fn rm_by_id_and_by_key() {
    let a = Queue::private(0o600).unwrap();
    let b = Queue::private(0o600).unwrap();
    ok(&["rm", &a.id().to_string(), &b.id().to_string()]);
    assert!(a.stat().is_err() && b.stat().is_err());
    let (g, k) = Guard::keyed(0o600);
    ok(&["rm", "-k", &format!("0x{:08x}", k.as_u32())]);
    assert_eq!(g.stat().unwrap_err(), svmq::Errno::INVAL);
    let err = fails(&["rm", &a.id().to_string()], 1);
    assert_eq!(err, format!("svmq: rm {0}: EINVAL: invalid argument (no queue with id {0})\n", a.id()));
}

#[test]
fn rm_all_in_a_private_ipc_namespace() {
    // `rm --all` would remove every other test's queues: run it in a new IPC namespace.
    let bin = env!("CARGO_BIN_EXE_svmq");
    let runner = common::runner();
    let script = format!("S='{runner} {bin}'; $S mk >/dev/null && $S mk >/dev/null && $S rm --all && $S ls");
    let out = Command::new("unshare").args(["--ipc", "sh", "-c", &script]).output();
    let Some(out) = common::require("unshare --ipc", out.ok().filter(|o| o.status.success())) else { return };
    let listing = String::from_utf8(out.stdout).unwrap();
    assert_eq!(listing.lines().filter(|l| l.starts_with("0x")).count(), 0, "{listing}");
}

#[test]
fn binary_payloads_round_trip_through_send_and_recv() {
    let q = Guard::private();
    let id = q.id().to_string();
    let payload: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    // A type beyond 32 bits where long has 64; this target's largest type where it has 32.
    let big = svmq::MsgType::MAX.get().min(1 << 32).to_string();
    let mut child = svmq_cmd(&["send", &id, &big, "-"]).stdin(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(&payload).unwrap();
    assert!(child.wait().unwrap().success());
    ok(&["send", &id, "7", "text argument"]);
    ok(&["send", &id, "9"]);
    assert_eq!(svmq(&["recv", &id, &big]).stdout, payload, "exact type (beyond 32 bits on 64-bit), binary bytes");
    assert_eq!(svmq(&["recv", &id, "7", "--except"]).stdout, b"", "every type but 7: the empty type-9 message");
    assert_eq!(svmq(&["recv", &id]).stdout, b"text argument");
    assert_eq!(fails(&["recv", &id, "--nowait"], 1), format!("svmq: recv {id}: ENOMSG: no message of desired type\n"));
    ok(&["send", &id, "5", "0123456789"]);
    ok(&["send", &id, "3", "three"]);
    assert_eq!(svmq(&["recv", &id, "-9", "--noerror"]).stdout, b"three", "lowest type <= 9");
    assert_eq!(svmq(&["recv", &id, "-9"]).stdout, b"0123456789");
    assert_eq!(q.stat().unwrap().qnum, 0);
}

#[test]
fn set_changes_mode_owner_and_qbytes() {
    let q = Guard::private();
    let id = q.id().to_string();
    ok(&["set", &id, "--mode", "604", "--qbytes", "1000", "--uid", "123", "--gid", "456"]);
    let st = common::kstat(&q).unwrap();
    let mode = common::qemu_msgctl::mode_after_svmq_set(0o604);
    assert_eq!((st.mode, st.qbytes, st.uid, st.gid), (mode, 1000, 123, 456));
    assert_eq!(fails(&["set", &id, "--mode", "1777"], 2), "svmq: set: invalid mode '1777': must be octal 0..777\n");
}

#[test]
fn errors_name_the_call_and_the_errno() {
    let q = Guard::with_mode(0o600);
    let id = q.id().to_string();
    let out = svmq_cmd(&["rm", &id]).uid(65534).gid(65534).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8(out.stderr).unwrap(), format!("svmq: rm {id}: EPERM: operation not permitted\n"));
    let out = svmq_cmd(&["send", &id, "1", "x"]).uid(65534).gid(65534).output().unwrap();
    assert_eq!(String::from_utf8(out.stderr).unwrap(), format!("svmq: send {id}: EACCES: permission denied\n"));
    assert!(q.stat().is_ok(), "still there");
    let k = unique_key();
    assert_eq!(
        fails(&["rm", "-k", &k.raw().to_string()], 1),
        format!("svmq: rm -k {}: ENOENT: no such file or directory\n", k.raw())
    );
}

#[test]
fn bad_arguments_name_the_argument_and_exit_2() {
    let max = MsgType::MAX.get();
    for (args, want) in [
        (&[][..], "svmq: missing COMMAND (svmq help lists them)\n".to_owned()),
        (&["frobnicate"], "svmq: invalid command 'frobnicate': must be one of ls, mk, rm, stat, set, send, recv, peek, dump, restore, help (svmq help)\n".into()),
        (&["ls", "-x"], "svmq: ls: unexpected argument '-x'\nusage: svmq ls [-l | -u] [--json]\n".into()),
        (&["rm"], "svmq: rm: missing ID, -k KEY or --all\nusage: svmq rm ID... | -k KEY | --all\n".into()),
        (&["rm", "notanumber"], "svmq: rm: invalid id 'notanumber': must be 0..2147483647\n".into()),
        (&["stat"], "svmq: stat: missing ID\nusage: svmq stat ID [--json]\n".into()),
        (&["send", "1"], "svmq: send: missing TYPE\nusage: svmq send ID TYPE [TEXT | -]\n".into()),
        (&["send", "1", "0", "x"], format!("svmq: send: invalid type '0': must be 1..{max}\n")),
        (&["send", "1", "-3", "x"], format!("svmq: send: invalid type '-3': must be 1..{max}\n")),
        (&["recv", "1", "0", "--except"], "svmq: recv: invalid type '0': must be a type to skip with --except, 1..\n".into()),
        (&["recv", "1", "--count", "0"], format!("svmq: recv: invalid count '0': must be 1..{}\n", i64::MAX)),
        (&["recv", "1", "--timeout", "x"], "svmq: recv: invalid timeout 'x': must be seconds, such as 2 or 0.25\n".into()),
        (&["mk", "-p", "999"], "svmq: mk: invalid mode '999': must be octal 0..777\n".into()),
        (
            &["mk", "-k", "0x100000000"],
            "svmq: mk: invalid key '0x100000000': must be a 32-bit number (-2147483648..4294967295, 0x hex allowed)\n".into(),
        ),
        (&["set", "1"], "svmq: set: missing --mode, --uid, --gid or --qbytes\nusage: svmq set ID [--mode M] [--uid U] [--gid G] [--qbytes N]\n".into()),
        (&["peek", "1", "-1"], "svmq: peek: unexpected argument '-1'\nusage: svmq peek ID [INDEX] [--type]\n".into()),
        (&["dump"], "svmq: dump: missing IDs or --all (one of them)\nusage: svmq dump ID... | --all [-o FILE]\n".into()),
        (&["help", "nope"], "svmq: help: invalid command 'nope': must be one of ls, mk, rm, stat, set, send, recv, peek, dump, restore, help (svmq help)\n".into()),
    ] {
        assert_eq!(fails(args, 2), want, "svmq {args:?}");
    }
    let help = ok(&["--help"]);
    assert!(help.starts_with("usage: svmq [--ns PID|PATH] COMMAND ...\n"), "{help}");
    for cmd in ["ls", "mk", "rm", "stat", "set", "send", "recv", "peek", "dump", "restore", "help"] {
        assert!(help.contains(&format!("\n  svmq {cmd} ")), "{cmd} in {help}");
        let one = ok(&["help", cmd]);
        assert!(one.starts_with(&format!("  svmq {cmd} ")) && one.lines().count() == 2, "{one}");
    }
    assert_eq!(ok(&["--version"]), format!("svmq {}\n", env!("CARGO_PKG_VERSION")));
}

/// A process holding a new IPC namespace (`unshare --ipc sleep`), killed on drop (its queues go with the
/// namespace). `None`, with a visible note, when `unshare` is unavailable.
struct Ns(std::process::Child);

impl Ns {
    fn new() -> Option<Self> {
        let child = Command::new("unshare").args(["--ipc", "sleep", "600"]).spawn().ok();
        let child = common::require("unshare --ipc (root)", child)?;
        let ns = Self(child);
        // unshare execs sleep once the namespace is made: wait for that.
        let me = std::fs::read_link("/proc/self/ns/ipc").unwrap();
        for _ in 0..500 {
            let exe = std::fs::read_link(format!("/proc/{}/exe", ns.pid())).ok();
            let theirs = std::fs::read_link(format!("/proc/{}/ns/ipc", ns.pid())).ok();
            if exe.is_some_and(|e| e.ends_with("sleep")) && theirs.as_ref().is_some_and(|t| *t != me) {
                return Some(ns);
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("unshare --ipc sleep did not start");
    }
    fn pid(&self) -> u32 {
        self.0.id()
    }
    fn arg(&self) -> String {
        self.pid().to_string()
    }
    /// Runs `f` on a thread that joined the namespace (setns changes only the calling thread's
    /// namespaces; the processes it spawns inherit them).
    fn run<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        let path = format!("/proc/{}/ns/ipc", self.pid());
        std::thread::scope(|s| {
            s.spawn(|| {
                let f_ns = std::fs::File::open(&path).unwrap();
                use std::os::fd::AsRawFd;
                // SAFETY: a valid descriptor of an IPC namespace file.
                assert_eq!(unsafe { libc::setns(f_ns.as_raw_fd(), libc::CLONE_NEWIPC) }, 0, "setns");
                f()
            })
            .join()
            .unwrap()
        })
    }
}

impl Drop for Ns {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn with_ns<'a>(ns: &'a Ns, args: &[&'a str]) -> Vec<&'a str> {
    let pid: &'a str = Box::leak(ns.arg().into_boxed_str());
    [&["--ns", pid][..], args].concat()
}

#[test]
fn ns_enters_another_ipc_namespace() {
    let Some(ns) = Ns::new() else { return };
    let made = ok(&with_ns(&ns, &["mk", "-p", "600"]));
    let (key, id) = made.trim().split_once(' ').unwrap();
    let row = |listing: &str| listing.lines().any(|l| l.starts_with(key) && l.split_whitespace().nth(1) == Some(id));
    assert!(row(&ok(&with_ns(&ns, &["ls"]))), "visible inside");
    assert!(
        !row(&ok(&["ls"])) || Queue::open(svmq::Key::from_u32(u32::from_str_radix(&key[2..], 16).unwrap())).is_ok()
    );
    // Across: send, peek, dump, recv.
    ok(&with_ns(&ns, &["send", id, "3", "across"]));
    assert_eq!(svmq(&with_ns(&ns, &["peek", id])).stdout, b"across");
    let dump = svmq(&with_ns(&ns, &["dump", id])).stdout;
    assert!(dump.starts_with(b"SVMQDUMP") && dump.windows(6).any(|w| w == b"across"));
    assert_eq!(svmq(&with_ns(&ns, &["recv", id])).stdout, b"across");
    // The same queue seen from inside with the crate.
    assert_eq!(ns.run(|| Queue::from_id(id.parse().unwrap()).stat().map(|s| s.qnum)), Ok(0));
    // Clear errors.
    let err = fails(&["--ns", "999999999", "ls"], 1);
    assert_eq!(err, "svmq: --ns 999999999: ENOENT: no such file or directory (no such process)\n");
    let err = fails(&["--ns", "/etc/passwd", "ls"], 1);
    assert_eq!(err, "svmq: --ns /etc/passwd: EINVAL: invalid argument (not an IPC namespace file)\n");
    let mnt = format!("/proc/{}/ns/mnt", std::process::id());
    let err = fails(&["--ns", &mnt, "ls"], 1);
    assert!(err.ends_with("EINVAL: invalid argument (not an IPC namespace file)\n"), "{err}");
    let own = format!("/proc/{}/ns/ipc", std::process::id());
    let out = svmq_cmd(&["--ns", &own, "ls"]).uid(65534).gid(65534).output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err == format!("svmq: --ns {own}: EACCES: permission denied (another user's namespace: run as root)\n")
            || err
                == format!(
                    "svmq: --ns {own}: EPERM: operation not permitted (joining an IPC namespace needs CAP_SYS_ADMIN)\n"
                ),
        "{err}"
    );
    assert_eq!(fails(&["--ns"], 2), "svmq: missing PID or PATH after --ns\n");
}

#[test]
fn peek_copies_without_removing() {
    let q = Guard::private();
    let id = q.id().to_string();
    q.send(&Message::<16>::new(MsgType::new(4).unwrap(), b"first").unwrap()).unwrap();
    q.send(&Message::<16>::new(MsgType::MAX, &[0, 255, 10]).unwrap()).unwrap();
    let o = svmq(&["peek", &id]);
    assert!(o.status.success());
    assert_eq!((o.stdout, String::from_utf8(o.stderr).unwrap()), (b"first".to_vec(), "type 4\n".to_owned()));
    let o = svmq(&["peek", &id, "1", "--type"]);
    let mut want = format!("{}\n", MsgType::MAX.get()).into_bytes();
    want.extend([0, 255, 10]);
    assert_eq!((o.stdout, o.stderr), (want, vec![]));
    assert_eq!(q.stat().unwrap().qnum, 2, "nothing removed");
    assert_eq!(
        fails(&["peek", &id, "2"], 1),
        format!("svmq: peek {id}: ENOMSG: no message of desired type (fewer messages queued than INDEX + 1)\n")
    );
}

#[test]
fn recv_count_frames_each_message() {
    let q = Guard::private();
    let id = q.id().to_string();
    let payloads: [&[u8]; 3] = [b"", b"two\nlines", &[0, 1, 2, 255]];
    for (i, p) in payloads.iter().enumerate() {
        q.send(&Message::<16>::new(MsgType::new(i as i64 + 1).unwrap(), p).unwrap()).unwrap();
    }
    let mut want = Vec::new();
    for (i, p) in payloads.iter().enumerate().take(2) {
        want.extend(format!("{} {}\n", i + 1, p.len()).bytes());
        want.extend(*p);
    }
    assert_eq!(svmq(&["recv", &id, "--count", "2"]).stdout, want);
    // --nowait: as many as there are (at least one).
    let o = svmq(&["recv", &id, "--count", "5", "--nowait"]);
    assert!(o.status.success());
    assert_eq!(o.stdout, [&b"3 4\n"[..], &[0, 1, 2, 255]].concat());
    assert_eq!(
        fails(&["recv", &id, "--count", "5", "--nowait"], 1),
        format!("svmq: recv {id}: ENOMSG: no message of desired type\n")
    );
}

#[test]
fn recv_timeout_waits_for_a_message_and_times_out_without_taking_one() {
    let q = Guard::private();
    let id = q.id().to_string();
    q.send(&Message::<8>::new(MsgType::MIN, b"kept").unwrap()).unwrap();
    let o = svmq(&["recv", &id, "--timeout", "0.5"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(o.stdout, b"kept");
    // Nothing of type 2: a timeout, exit 1, the other message left where it was.
    q.send(&Message::<8>::new(MsgType::MIN, b"stays").unwrap()).unwrap();
    let start = std::time::Instant::now();
    let o = svmq(&["recv", &id, "2", "--timeout", "0.2"]);
    assert!(start.elapsed() >= std::time::Duration::from_millis(200), "never before the deadline");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(o.stderr).unwrap(),
        format!("svmq: recv {id}: ETIMEDOUT: connection timed out (no matching message before --timeout)\n")
    );
    assert_eq!(q.stat().unwrap().qnum, 1);
}

#[test]
fn send_errors_give_the_likely_cause() {
    let q = Guard::private();
    let id = q.id().to_string();
    let msgmax = common::read_proc("msgmax") as usize;
    if msgmax < 65536 {
        let text = "x".repeat(msgmax + 1);
        assert_eq!(
            fails(&["send", &id, "1", &text], 1),
            format!(
                "svmq: send {id}: EINVAL: invalid argument (the message is {} bytes; msgmax is {msgmax})\n",
                msgmax + 1
            )
        );
    }
    q.remove().unwrap();
    assert_eq!(
        fails(&["send", &id, "1", "x"], 1),
        format!("svmq: send {id}: EINVAL: invalid argument (no queue with id {id})\n")
    );
}

/// Runs svmq with standard output set up by `setup` in the child (after fork, before exec).
fn svmq_with_stdout(args: &[&str], setup: impl Fn() -> std::io::Result<()> + Send + Sync + 'static) -> Output {
    let mut c = svmq_cmd(args);
    c.stdout(Stdio::null());
    // SAFETY: setup only makes async-signal-safe system calls.
    unsafe { c.pre_exec(setup) };
    c.output().unwrap()
}

fn full_stdout() -> std::io::Result<()> {
    // SAFETY: plain system calls on descriptors of the child.
    unsafe {
        let fd = libc::open(c"/dev/full".as_ptr(), libc::O_WRONLY);
        if fd < 0 || libc::dup2(fd, 1) < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

#[test]
fn recv_loses_nothing_when_its_output_fails() {
    let q = Guard::private();
    let id = q.id().to_string();
    let put_back = "(the message was put back on the queue, at its end)\n";
    type Setup = fn() -> std::io::Result<()>;
    let cases: [(&str, Setup, &str); 4] = [
        ("/dev/full", full_stdout, "ENOSPC: no space left on device"),
        (
            "closed stdout",
            || {
                // SAFETY: closing the child's own descriptor.
                unsafe { libc::close(1) };
                Ok(())
            },
            "EBADF: bad file descriptor",
        ),
        (
            "broken pipe, SIGPIPE ignored",
            || {
                let mut p = [0; 2];
                // SAFETY: plain system calls in the child.
                unsafe {
                    libc::pipe(p.as_mut_ptr());
                    libc::dup2(p[1], 1);
                    libc::close(p[0]);
                    libc::signal(libc::SIGPIPE, libc::SIG_IGN);
                }
                Ok(())
            },
            "EPIPE: broken pipe",
        ),
        (
            "broken pipe, SIGPIPE default",
            || {
                let mut p = [0; 2];
                // SAFETY: plain system calls in the child.
                unsafe {
                    libc::pipe(p.as_mut_ptr());
                    libc::dup2(p[1], 1);
                    libc::close(p[0]);
                    libc::signal(libc::SIGPIPE, libc::SIG_DFL);
                }
                Ok(())
            },
            "EPIPE: broken pipe",
        ),
    ];
    for (what, setup, err) in cases {
        q.send(&Message::<8>::new(MsgType::new(6).unwrap(), b"precious").unwrap()).unwrap();
        let o = svmq_with_stdout(&["recv", &id], setup);
        assert_eq!(o.status.code(), Some(1), "{what}");
        assert_eq!(String::from_utf8(o.stderr).unwrap(), format!("svmq: recv: write {id}: {err} {put_back}"), "{what}");
        let m = q.try_recv::<8>(svmq::Select::Any).expect(what);
        assert_eq!((m.mtype().get(), m.data()), (6, &b"precious"[..]), "{what}");
        // --count: the message whose write failed goes back too.
        q.send(&Message::<8>::new(MsgType::new(7).unwrap(), b"again").unwrap()).unwrap();
        let o = svmq_with_stdout(&["recv", &id, "--count", "1"], setup);
        assert_eq!(o.status.code(), Some(1), "{what}");
        assert_eq!(q.try_recv::<8>(svmq::Select::Any).unwrap().data(), b"again", "{what}");
    }
    // Other write errors fail too: a listing into a full device.
    let o = svmq_with_stdout(&["ls"], full_stdout);
    assert_eq!(
        (o.status.code(), String::from_utf8(o.stderr).unwrap()),
        (Some(1), "svmq: write: ENOSPC: no space left on device\n".into())
    );
}

#[test]
fn mk_removes_the_queue_nobody_saw() {
    let k = unique_key();
    let hex = format!("0x{:08x}", k.as_u32());
    let o = svmq_with_stdout(&["mk", "-k", &hex], full_stdout);
    let _cleanup = Queue::open(k).ok().map(Guard);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(o.stderr).unwrap(),
        "svmq: mk: write: ENOSPC: no space left on device (the new queue was removed)\n"
    );
    assert_eq!(Queue::open(k).unwrap_err(), svmq::Errno::NOENT, "no queue left behind");
}

#[test]
fn set_with_every_field_needs_no_read_permission() {
    let q = Guard::with_mode(0o200);
    let id = q.id().to_string();
    common::kset(&q, &svmq::Settings { uid: 65534, gid: 65534, mode: 0o200, qbytes: 2000 }).unwrap();
    let as_nobody = |args: &[&str]| svmq_cmd(args).uid(65534).gid(65534).output().unwrap();
    let o = as_nobody(&["set", &id, "--mode", "600"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(o.stderr).unwrap(),
        format!(
            "svmq: set {id}: EACCES: permission denied (reading the fields not given needs read permission; give all of \
             --mode, --uid, --gid and --qbytes to set without reading)\n"
        )
    );
    let o = as_nobody(&["set", &id, "--mode", "600", "--uid", "65534", "--gid", "65534", "--qbytes", "2000"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        common::kstat(&q).unwrap().mode,
        common::qemu_msgctl::mode_after_svmq_set(0o600),
        "the owner repaired it"
    );
}

/// Runs `script` (sh) in new mount and IPC namespaces with `$S` the tool and `$P` a file to bind over
/// /etc/passwd. `None` (noted) without unshare.
fn in_private_mount(script: &str, passwd: &[u8]) -> Option<String> {
    let dir = common::TempDir::new("passwd");
    let fake = dir.path("passwd");
    std::fs::write(&fake, passwd).unwrap();
    let bin = env!("CARGO_BIN_EXE_svmq");
    let runner = common::runner();
    let full = format!("set -e; S='{runner} {bin}'; mount --bind '{}' /etc/passwd; {script}", fake.display());
    let out = Command::new("unshare").args(["--mount", "--ipc", "sh", "-c", &full]).env("LC_ALL", "C").output().ok();
    let out = common::require("unshare --mount --ipc (root)", out)?;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn owners_come_from_the_whole_passwd_file_cut_like_ipcs() {
    // A file over 64 KiB whose 65536th byte cuts the line `longuser:x:424242:...` right after `4242`, and
    // uid 4242's real line after that; a 21-character name; a name JSON must escape.
    let mut passwd = b"root:x:0:0:root:/root:/bin/sh\n".to_vec();
    let cut = b"longuser:x:4242";
    let mut n = 0;
    while passwd.len() + cut.len() < 65536 {
        let room = 65536 - cut.len() - passwd.len();
        let line = format!("filler{n}:x:{}:1:", 100000 + n);
        let pad = room.saturating_sub(line.len() + 1).min(200);
        let line = format!("{line}{}\n", "g".repeat(pad));
        if line.len() > room {
            // Too short a gap for a line: widen the previous one.
            passwd.pop();
            passwd.extend(std::iter::repeat_n(b'g', room));
            passwd.push(b'\n');
            passwd.truncate(65536 - cut.len());
            *passwd.last_mut().unwrap() = b'\n';
            break;
        }
        passwd.extend(line.bytes());
        n += 1;
    }
    assert_eq!(passwd.len() + cut.len(), 65536);
    passwd.extend(b"longuser:x:424242:0::/:/bin/sh\n");
    passwd.extend(b"real4242:x:4242:4242::/:/bin/sh\n");
    passwd.extend(b"averyveryverylongname:x:4343:1::/:/bin/sh\n");
    passwd.extend(b"we\"ird\\\x01:x:4444:1::/:/bin/sh\n");
    let script = "for u in 4242 4343 4444; do id=$($S mk -p 640 | cut -d' ' -f2); $S set $id --uid $u; done; \
                  echo ===; $S ls; echo ===; ipcs -q; echo ===; $S ls --json || true";
    let Some(out) = in_private_mount(script, &passwd) else { return };
    let parts: Vec<&str> = out.split("===\n").collect();
    let (ours, theirs, json) = (parts[1], parts[2], parts[3]);
    let owners: Vec<&str> =
        ours.lines().filter(|l| l.starts_with("0x")).map(|l| l.split_whitespace().nth(2).unwrap()).collect();
    assert_eq!(owners, ["real4242", "averyveryv", "we\"ird\\\u{1}"], "{ours}");
    assert_eq!(ours, theirs, "same listing as ipcs -q");
    // JSON: valid, the full names, numbers as numbers.
    let Some(py) = common::require("python3", Command::new("python3").arg("-V").output().ok().map(|_| "python3"))
    else {
        return;
    };
    let mut child = Command::new(py)
        .args(["-c", "import json,sys\nd=json.load(sys.stdin)\nfor m in d['messages']:\n print(repr(m['owner']), type(m['key']).__name__, type(m['id']).__name__, m['usedbytes'], m['msgs'], m['perms'], m['mode'], m['send'])"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(json.as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "invalid JSON: {json}");
    // `svmq set --uid` writes the mode it read back; under qemu-s390x that is 0 (tests/common/qemu_msgctl.rs).
    let want = if common::qemu_msgctl::mode_after_svmq_set(0o640) == 0 {
        "'real4242' int int 0 0 --------- 0 None\n'averyveryverylongname' int int 0 0 --------- 0 None\n'we\"ird\\\\\\x01' int int 0 0 --------- 0 None\n"
    } else {
        "'real4242' int int 0 0 rw-r----- 416 None\n'averyveryverylongname' int int 0 0 rw-r----- 416 None\n'we\"ird\\\\\\x01' int int 0 0 rw-r----- 416 None\n"
    };
    assert_eq!(String::from_utf8(o.stdout).unwrap(), want);
}

#[test]
fn stat_and_ls_json_follow_lsipc() {
    let q = Guard::with_mode(0o640);
    let id = q.id().to_string();
    q.send(&Message::<8>::new(MsgType::new(2).unwrap(), b"abc").unwrap()).unwrap();
    let st = common::kstat(&q).unwrap();
    let json = ok(&["stat", &id, "--json"]);
    // Under qemu the tool reads what svmq reads (tests/common/qemu_msgctl.rs): those fields as svmq has them.
    let raw = q.stat().unwrap();
    let (perms, mode) = if raw.mode == 0o640 { ("rw-r-----", 416) } else { ("---------", raw.mode) };
    let want = format!(
        "{{\"messages\":[\n{{\"key\":0,\"id\":{id},\"owner\":\"root\",\"perms\":\"{perms}\",\"mode\":{mode},\"cuid\":0,\
         \"cuser\":\"root\",\"cgid\":0,\"cgroup\":\"root\",\"uid\":0,\"user\":\"root\",\"gid\":0,\"group\":\"root\",\
         \"usedbytes\":3,\"qbytes\":{},\"msgs\":1,\"lspid\":{},\"lrpid\":{},\"send\":{},\"recv\":{},\"ctime\":{}}}\n]}}\n",
        st.qbytes,
        raw.lspid,
        raw.lrpid,
        raw.stime,
        if raw.rtime == 0 { "null".to_owned() } else { raw.rtime.to_string() },
        raw.ctime
    );
    if raw != st {
        assert_eq!(
            (st.mode, st.lspid, st.lrpid, st.rtime),
            (0o640, std::process::id() as i32, 0, 0),
            "as the kernel has it"
        );
    }
    if st.uid == 0 && std::fs::read_to_string("/etc/group").is_ok_and(|g| g.starts_with("root:")) {
        assert_eq!(json, want);
    }
    // lsipc's names for the fields it has.
    let Some(lsipc) = common::require("lsipc", Command::new("lsipc").args(["-q", "--json", "-o", "KEY,ID,OWNER,PERMS,CUID,CUSER,CGID,CGROUP,UID,USER,GID,GROUP,CTIME,USEDBYTES,MSGS,SEND,RECV,LSPID,LRPID"]).output().ok()) else { return };
    let lsipc = String::from_utf8(lsipc.stdout).unwrap();
    for field in [
        "key",
        "id",
        "owner",
        "perms",
        "cuid",
        "cuser",
        "cgid",
        "cgroup",
        "uid",
        "user",
        "gid",
        "group",
        "ctime",
        "usedbytes",
        "msgs",
        "send",
        "recv",
        "lspid",
        "lrpid",
    ] {
        let quoted = format!("\"{field}\":");
        assert!(json.contains(&quoted), "{field} in {json}");
        assert!(
            lsipc.is_empty() || lsipc.contains(&quoted) || !lsipc.contains("\"messages\""),
            "lsipc names it {field}: {lsipc}"
        );
    }
    assert!(ok(&["ls", "--json"]).contains(&format!("\"id\":{id},")));
    let l = svmq::limits().unwrap();
    assert_eq!(
        ok(&["ls", "-l", "--json"]),
        format!(
            "{{\"ipclimits\":[{{\"resource\":\"MSGMNI\",\"description\":\"Number of message queues\",\"limit\":{}}},\
             {{\"resource\":\"MSGMAX\",\"description\":\"Max size of message (bytes)\",\"limit\":{}}},\
             {{\"resource\":\"MSGMNB\",\"description\":\"Default max size of queue (bytes)\",\"limit\":{}}}]}}\n",
            l.msgmni, l.msgmax, l.msgmnb
        )
    );
    assert_eq!(ok(&["ls", "--json", "-l"]), ok(&["ls", "-l", "--json"]), "options in any order");
    assert_eq!(
        fails(&["ls", "-l", "-u"], 2),
        "svmq: ls: unexpected argument '-u'\nusage: svmq ls [-l | -u] [--json]\n"
    );
    let u = ok(&["ls", "-u", "--json"]);
    assert!(
        u.starts_with("{\"msgstatus\":{\"allocated_queues\":")
            && u.contains(",\"used_headers\":")
            && u.ends_with("}}\n"),
        "{u}"
    );
}

/// Seccomp: runs the tool with a filter (installed in the child before exec). `None` under emulation
/// (the filter would apply to qemu).
fn with_filter(args: &[&str], filter: Vec<libc::sock_filter>, stdout: Stdio) -> Option<std::process::Child> {
    if common::under_emulation() {
        common::note("seccomp test skipped under qemu-user");
        return None;
    }
    let mut c = svmq_cmd(args);
    c.stdout(stdout).stderr(Stdio::piped());
    let filter = Box::leak(filter.into_boxed_slice());
    let prog = Box::leak(Box::new(libc::sock_fprog { len: filter.len() as u16, filter: filter.as_mut_ptr() }));
    let prog = prog as *const libc::sock_fprog as usize;
    // SAFETY: prctl and seccomp in the child, on memory leaked before the fork.
    unsafe {
        c.pre_exec(move || {
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                || libc::syscall(libc::SYS_seccomp, 1, 0, prog as *const libc::sock_fprog) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    };
    Some(c.spawn().unwrap())
}

fn bpf(code: u32, jt: u8, jf: u8, k: u32) -> libc::sock_filter {
    libc::sock_filter { code: code as u16, jt, jf, k }
}

/// AUDIT_ARCH_* of this target (seccomp_data.arch): x86_64, i386, aarch64.
const AUDIT_ARCH: u32 = if cfg!(target_arch = "x86_64") {
    0xc000_003e
} else if cfg!(target_arch = "x86") {
    0x4000_0003
} else {
    0xc000_00b7
};
const LD_ABS_W: u32 = 0x20; // BPF_LD | BPF_W | BPF_ABS
const JEQ: u32 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const JSET: u32 = 0x45; // BPF_JMP | BPF_JSET | BPF_K
const RET: u32 = 0x06; // BPF_RET | BPF_K
const ALLOW: u32 = 0x7fff_0000;
const ERRNO: u32 = 0x0005_0000;
const KILL: u32 = 0x8000_0000;

/// Waits at most 20 s; `None` if still running (then killed).
fn wait_bounded(mut child: std::process::Child) -> Option<Output> {
    for _ in 0..2000 {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

#[test]
fn a_write_that_makes_no_progress_is_an_error_not_a_loop() {
    // write(1, ...) returns 0: what SECCOMP_RET_ERRNO with errno 0 answers.
    let filter = vec![
        bpf(LD_ABS_W, 0, 0, 4),
        bpf(JEQ, 0, 5, AUDIT_ARCH),
        bpf(LD_ABS_W, 0, 0, 0),
        bpf(JEQ, 0, 3, libc::SYS_write as u32),
        bpf(LD_ABS_W, 0, 0, 16),
        bpf(JEQ, 0, 1, 1),
        bpf(RET, 0, 0, ERRNO),
        bpf(RET, 0, 0, ALLOW),
    ];
    let Some(child) = with_filter(&["ls", "-l"], filter, Stdio::piped()) else { return };
    let o = wait_bounded(child).expect("svmq still running after 20 s: it loops on a zero write");
    assert_eq!(
        (o.status.code(), String::from_utf8(o.stderr).unwrap()),
        (Some(1), "svmq: write: EIO: input/output error\n".into())
    );
}

#[test]
fn mk_does_not_wait_for_the_random_generator() {
    // getrandom without GRND_NONBLOCK would block in early boot: the filter kills the process for it; with
    // GRND_NONBLOCK it answers EAGAIN (generator not ready), and mk must still make a queue.
    let filter = vec![
        bpf(LD_ABS_W, 0, 0, 4),
        bpf(JEQ, 0, 6, AUDIT_ARCH), // other arch: allow
        bpf(LD_ABS_W, 0, 0, 0),
        bpf(JEQ, 0, 4, libc::SYS_getrandom as u32), // other call: allow
        bpf(LD_ABS_W, 0, 0, 32),                    // flags (low word)
        bpf(JSET, 1, 0, 1),                         // GRND_NONBLOCK: EAGAIN
        bpf(RET, 0, 0, KILL),
        bpf(RET, 0, 0, ERRNO | 11),
        bpf(RET, 0, 0, ALLOW),
    ];
    let Some(child) = with_filter(&["mk", "-p", "600"], filter, Stdio::piped()) else { return };
    let o = wait_bounded(child).expect("mk finished");
    let out = String::from_utf8(o.stdout).unwrap();
    let made =
        out.trim().split_once(' ').and_then(|(_, id)| id.parse().ok()).map(|id| Guard::adopt(Queue::from_id(id)));
    assert!(o.status.success(), "{:?} {}", o.status, String::from_utf8_lossy(&o.stderr));
    assert!(made.unwrap().stat().is_ok());
}

/// CRC-32 as zlib computes it (reflected 0xEDB88320), written independently of the tool's.
fn crc32(data: &[u8]) -> u32 {
    let table: Vec<u32> =
        (0..256u32).map(|n| (0..8).fold(n, |c, _| if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 })).collect();
    !data.iter().fold(!0u32, |c, &b| table[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8))
}

/// Every message of a queue, oldest first, copied (`MSG_COPY`).
fn contents(q: Queue) -> Vec<(i64, Vec<u8>)> {
    (0..)
        .map_while(|i| q.peek::<65536>(i, svmq::RecvFlags::BLOCK).ok())
        .map(|m| (m.mtype().get(), m.data().to_vec()))
        .collect()
}

/// What a restore must give back: key, mode, owner, group, qbytes, id, messages.
type Snapshot = Vec<(svmq::Key, u32, u32, u32, u64, i32, Vec<(i64, Vec<u8>)>)>;

fn snapshot() -> Snapshot {
    let mut v: Snapshot =
        svmq::queues().unwrap().map(|(q, s)| (s.key, s.mode, s.uid, s.gid, s.qbytes, q.id(), contents(q))).collect();
    v.sort_by_key(|e| e.5);
    v
}

fn remove_all() {
    for (q, _) in svmq::queues().unwrap() {
        q.remove().unwrap();
    }
}

#[test]
fn dump_and_restore_round_trip() {
    let Some(ns) = Ns::new() else { return };
    let dir = common::TempDir::new("dump");
    let file = dir.path("all.svmqdump");
    let file = file.to_str().unwrap();
    ns.run(|| {
        let msgmax = svmq::limits().unwrap().msgmax as usize;
        // Room above the default without CAP_SYS_RESOURCE: this namespace's own msgmnb.
        std::fs::write("/proc/sys/kernel/msgmnb", "1048576").unwrap();
        // A: keyed, every payload length 0..=300 and up to msgmax, every byte value, types up to the max.
        let a = Queue::create_exclusive(svmq::Key::new(0x5eed), 0o600).unwrap();
        a.set(&svmq::Settings { uid: 0, gid: 0, mode: 0o600, qbytes: 1 << 20 }).unwrap();
        let mut lens: Vec<usize> = (0..=300).collect();
        lens.extend([4095, 4096, msgmax - 1, msgmax]);
        let types = [1, 2, 3, 1000, i64::from(i32::MAX), MsgType::MAX.get()];
        for (i, &len) in lens.iter().enumerate() {
            let data: Vec<u8> = (0..len).map(|j| (i * 7 + j) as u8).collect();
            let t = MsgType::new(types[i % types.len()]).unwrap();
            a.send(&Message::<65536>::new(t, &data).unwrap()).unwrap();
        }
        a.set(&svmq::Settings { uid: 1234, gid: 5678, mode: 0o640, qbytes: 1 << 20 }).unwrap();
        // B: private, a few messages, a lower qbytes. C: keyed, empty, mode 0.
        let b = Queue::private(0o644).unwrap();
        for t in [3, 1, 2] {
            b.send(&Message::<8>::new(MsgType::new(t).unwrap(), b"b").unwrap()).unwrap();
        }
        b.set(&svmq::Settings { uid: 0, gid: 0, mode: 0o604, qbytes: 100 }).unwrap();
        Queue::create_exclusive(svmq::Key::new(-2), 0).unwrap();
        let before = snapshot();
        assert_eq!(before.len(), 3);
        assert_eq!(before[0].6.len(), lens.len());

        ok(&["dump", "--all", "-o", file]);
        assert_eq!(snapshot(), before, "dump leaves the queues untouched");
        // The documented layout: header, CRC-32 (zlib's) of everything before it at the end.
        let bytes = std::fs::read(file).unwrap();
        assert_eq!(&bytes[..16], b"SVMQDUMP\x01\0\0\0\0\0\0\0");
        let (body, crc) = bytes.split_at(bytes.len() - 4);
        assert_eq!(crc, crc32(body).to_le_bytes());
        assert_eq!(&body[body.len() - 8..], b"DEND\x03\0\0\0");
        // Restored with the same ids (privileged, as CRIU does).
        remove_all();
        let out = ok(&["restore", "-i", file, "--same-id"]);
        assert_eq!(snapshot(), before);
        let listed: Vec<String> = before.iter().map(|e| format!("0x{:08x} {}", e.0.as_u32(), e.5)).collect();
        assert_eq!(out.lines().collect::<Vec<_>>(), listed);
        // Without --same-id: new ids, the rest identical; from standard input (a file).
        remove_all();
        let o = svmq_cmd(&["restore"]).stdin(std::fs::File::open(file).unwrap()).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let strip = |s: Snapshot| s.into_iter().map(|mut e| (e.5 = 0, e).1).collect::<Vec<_>>();
        let mut got = strip(snapshot());
        let mut want = strip(before.clone());
        got.sort_by_key(|e| e.0.raw());
        want.sort_by_key(|e| e.0.raw());
        assert_eq!(got, want);
        // A keyed queue exists: refused before anything is created.
        let n = svmq::queues().unwrap().count();
        let err = fails(&["restore", "-i", file], 1);
        assert!(err.contains("EEXIST") && err.contains("nothing was created"), "{err}");
        assert_eq!(svmq::queues().unwrap().count(), n);
        // One queue under another key.
        let one = format!("{file}.one");
        let a_id = svmq::queues().unwrap().find(|(_, s)| s.key.raw() == 0x5eed).unwrap().0.id().to_string();
        ok(&["dump", &a_id, "-o", &one]);
        let out = ok(&["restore", "-i", &one, "--key", "0x77"]);
        let id: i32 = out.trim().split_once(' ').unwrap().1.parse().unwrap();
        assert_eq!(contents(Queue::from_id(id)), before[0].6);
        assert_eq!(
            fails(&["restore", "-i", file, "--key", "0x78"], 1),
            "svmq: restore: --key restores a dump of one queue; this one has more\n"
        );
        remove_all();
    });
}

#[test]
fn restore_refuses_bad_files_before_creating_anything() {
    let Some(ns) = Ns::new() else { return };
    let dir = common::TempDir::new("dump-bad");
    let path = |n: &str| dir.path(n).to_str().unwrap().to_owned();
    let good = path("good");
    ns.run(|| {
        let q = Queue::create_exclusive(svmq::Key::new(0x51), 0o600).unwrap();
        for i in 0..20u8 {
            q.send(&Message::<64>::new(MsgType::new(i64::from(i) + 1).unwrap(), &[i; 40]).unwrap()).unwrap();
        }
        ok(&["dump", &q.id().to_string(), "-o", &good]);
        q.remove().unwrap();
        let bytes = std::fs::read(&good).unwrap();
        let mut cases: Vec<(&str, Vec<u8>, &str)> = vec![
            ("empty", vec![], "svmq: restore: truncated dump; nothing was created\n"),
            (
                "foreign",
                b"hello, world\n".repeat(10),
                "svmq: restore: not an svmq dump (no SVMQDUMP header); nothing was created\n",
            ),
        ];
        for cut in [12, 16, 30, bytes.len() / 2, bytes.len() - 1] {
            cases.push(("truncated", bytes[..cut].to_vec(), "svmq: restore: truncated dump; nothing was created\n"));
        }
        for at in [20, 60, bytes.len() / 2, bytes.len() - 5] {
            let mut b = bytes.clone();
            b[at] ^= 0x10;
            cases.push(("corrupt", b, ""));
        }
        let mut v2 = bytes.clone();
        v2[8] = 2;
        cases.push((
            "version 2",
            v2,
            "svmq: restore: dump format version not supported (this svmq reads version 1); nothing was created\n",
        ));
        let mut extra = bytes.clone();
        extra.push(0);
        cases.push(("trailing", extra, "svmq: restore: corrupt dump (data after the end); nothing was created\n"));
        for (i, (what, b, want)) in cases.into_iter().enumerate() {
            let f = path(&format!("bad{i}"));
            std::fs::write(&f, &b).unwrap();
            let err = fails(&["restore", "-i", &f], 1);
            if want.is_empty() {
                assert!(err.starts_with("svmq: restore: ") && err.ends_with("nothing was created\n"), "{what}: {err}");
            } else {
                assert_eq!(err, want, "{what}");
            }
            assert_eq!(svmq::queues().unwrap().count(), 0, "{what}: nothing created");
        }
        // A pipe cannot be read twice.
        let mut child = svmq_cmd(&["restore"]).stdin(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let _ = child.stdin.take().unwrap().write_all(&bytes);
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(1));
        assert!(String::from_utf8(o.stderr).unwrap().contains("the input must be a file"));
        assert_eq!(svmq::queues().unwrap().count(), 0);
        // The good one still restores.
        ok(&["restore", "-i", &good]);
        remove_all();
    });
}

#[test]
fn a_restore_failing_half_way_removes_what_it_created() {
    let Some(ns) = Ns::new() else { return };
    let dir = common::TempDir::new("dump-half");
    let file = dir.path("two").to_str().unwrap().to_owned();
    ns.run(|| {
        let msgmnb = svmq::limits().unwrap().msgmnb;
        let a = Queue::create_exclusive(svmq::Key::new(0x61), 0o666).unwrap();
        a.send(&Message::<8>::new(MsgType::MIN, b"a").unwrap()).unwrap();
        let b = Queue::create_exclusive(svmq::Key::new(0x62), 0o666).unwrap();
        // Above msgmnb: only a privileged restore may set it (raised for a moment in this namespace, so
        // that the test needs no CAP_SYS_RESOURCE).
        std::fs::write("/proc/sys/kernel/msgmnb", (msgmnb * 2).to_string()).unwrap();
        b.set(&svmq::Settings { uid: 0, gid: 0, mode: 0o666, qbytes: u64::from(msgmnb) * 2 }).unwrap();
        std::fs::write("/proc/sys/kernel/msgmnb", msgmnb.to_string()).unwrap();
        ok(&["dump", "--all", "-o", &file]);
        std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
        remove_all();
        let o = svmq_cmd(&["restore", "-i", &file]).uid(65534).gid(65534).output().unwrap();
        let err = String::from_utf8(o.stderr).unwrap();
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains(": EPERM: operation not permitted") && err.ends_with("svmq: restore: removed the 2 queue(s) it had created\n"), "{err}");
        assert_eq!(svmq::queues().unwrap().count(), 0, "nothing left behind");
        // --same-id without privilege: said before anything is created.
        let o = svmq_cmd(&["restore", "-i", &file, "--same-id"]).uid(65534).gid(65534).output().unwrap();
        assert_eq!(
            String::from_utf8(o.stderr).unwrap(),
            "svmq: restore --same-id: EACCES: permission denied (--same-id writes /proc/sys/kernel/msg_next_id, which needs root (CAP_SYS_ADMIN))\n"
        );
        assert_eq!(svmq::queues().unwrap().count(), 0);
    });
}

#[test]
fn a_dump_of_a_busy_queue_always_restores() {
    let Some(ns) = Ns::new() else { return };
    let dir = common::TempDir::new("dump-busy");
    let file = dir.path("busy").to_str().unwrap().to_owned();
    ns.run(|| {
        let q = Queue::private(0o600).unwrap();
        let stop = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                let mut i = 0u64;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    i += 1;
                    let len = (i * 37 % 3000) as usize;
                    let _ = q.try_send(
                        &Message::<4096>::new(MsgType::new((i % 5 + 1) as i64).unwrap(), &vec![i as u8; len]).unwrap(),
                    );
                }
            });
            s.spawn(|| {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let _ = q.try_recv::<4096>(svmq::Select::Any);
                }
            });
            for round in 0..30 {
                ok(&["dump", &q.id().to_string(), "-o", &file]);
                let out = ok(&["restore", "-i", &file]);
                let id: i32 = out.trim().split_once(' ').unwrap().1.parse().unwrap();
                let r = Queue::from_id(id);
                let st = r.stat().unwrap();
                assert!(st.cbytes <= st.qbytes.max(16384) * 2, "round {round}");
                r.remove().unwrap();
            }
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        q.remove().unwrap();
    });
}
