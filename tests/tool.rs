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
        format!("svmq: rm -k 0x{:08x}: ENOENT: no such file or directory\n", k.as_u32())
    );
}

#[test]
fn bad_arguments_name_the_argument_and_exit_2() {
    let max = MsgType::MAX.get();
    let commands = "ls, mk, rm, stat, set, send, recv, peek, dump, show, restore, help";
    let usage = |cmd: &str, ops: &str| format!("usage: svmq {cmd} {ops}[OPTION...] (--help: the options)\n");
    let key_range = "a 32-bit number, -2147483648..4294967295 (0x hexadecimal, leading 0 octal)";
    for (args, want) in [
        (&[][..], "svmq: missing COMMAND (svmq help lists them)\n".to_owned()),
        (&["frobnicate"], format!("svmq: invalid command 'frobnicate': must be one of {commands} (svmq help)\n")),
        (&["ls", "-x"], format!("svmq: ls: unknown option '-x'\n{}", usage("ls", ""))),
        (&["ls", "--frob=1"], format!("svmq: ls: unknown option '--frob=1'\n{}", usage("ls", ""))),
        (&["rm"], format!("svmq: rm: missing ID, -k KEY or --all\n{}", usage("rm", "[ID...] "))),
        (&["rm", "notanumber"], "svmq: rm: invalid id 'notanumber': must be 0..2147483647\n".into()),
        (&["rm", "1", "--all"], "svmq: rm: --all removes every queue: give it no id or key\n".into()),
        (&["stat"], format!("svmq: stat: missing ID\n{}", usage("stat", "ID "))),
        (&["stat", "1", "2"], format!("svmq: stat: unexpected argument '2'\n{}", usage("stat", "ID "))),
        (&["recv", "0", "1", "2"], format!("svmq: recv: unexpected argument '2'\n{}", usage("recv", "ID [TYPE] "))),
        (&["peek", "0", "1", "2"], format!("svmq: peek: unexpected argument '2'\n{}", usage("peek", "ID [INDEX] "))),
        (&["send", "1"], format!("svmq: send: missing TYPE\n{}", usage("send", "ID TYPE [TEXT | -] "))),
        (&["send", "1", "1", "a", "b"], format!("svmq: send: unexpected argument 'b'\n{}", usage("send", "ID TYPE [TEXT | -] "))),
        (&["send", "1", "0", "x"], format!("svmq: send: invalid type '0': must be 1..{max}\n")),
        (&["send", "1", "-3", "x"], format!("svmq: send: invalid type '-3': must be 1..{max}\n")),
        (&["send", "1", "1", "--nowait=3"], format!("svmq: send: option '--nowait' takes no value\n{}", usage("send", "ID TYPE [TEXT | -] "))),
        (&["send", "1", "1", "--timeout"], format!("svmq: send: missing SECONDS after --timeout\n{}", usage("send", "ID TYPE [TEXT | -] "))),
        (&["recv", "1", "0", "--except"], "svmq: recv: invalid type '0': must be 1.. (a type to skip) with --except\n".into()),
        (&["recv", "1", "--count", "0"], format!("svmq: recv: invalid count '0': must be 1..{}\n", i64::MAX)),
        (
            &["recv", "1", "--timeout", "x"],
            "svmq: recv: invalid timeout 'x': must be seconds up to 4294967295, such as 2 or 0.25 (9 decimals at most)\n".into(),
        ),
        (
            &["recv", "1", "--timeout", "4294967296"],
            "svmq: recv: invalid timeout '4294967296': must be seconds up to 4294967295, such as 2 or 0.25 (9 decimals at most)\n".into(),
        ),
        (
            &["recv", "1", "--timeout=1.0000000001"],
            "svmq: recv: invalid timeout '1.0000000001': must be seconds up to 4294967295, such as 2 or 0.25 (9 decimals at most)\n".into(),
        ),
        (&["mk", "-p", "999"], "svmq: mk: invalid mode '999': must be octal 0..777\n".into()),
        (&["mk", "-k", "0x100000000"], format!("svmq: mk: invalid key '0x100000000': must be {key_range}\n")),
        (&["mk", "-k", "08"], format!("svmq: mk: invalid key '08': must be {key_range}\n")),
        (&["mk", "-f", "/:256"], "svmq: mk: invalid key file '/:256': must be PATH:PROJ with PROJ in 0..255\n".into()),
        (&["set", "1"], format!("svmq: set: missing --mode, --uid, --gid or --qbytes\n{}", usage("set", "ID "))),
        // The range stated is the range the kernel takes (msg_qbytes is an int in the kernel).
        (&["set", "1", "--qbytes", "2147483648"], "svmq: set: invalid qbytes '2147483648': must be 0..2147483647\n".into()),
        (&["set", "1", "--qbytes=-1"], "svmq: set: invalid qbytes '-1': must be 0..2147483647\n".into()),
        (
            &["set", "1", "--uid", "4294967295"],
            "svmq: set: invalid uid '4294967295': must be a name in /etc/passwd (/etc/group), or a number 0..4294967294\n".into(),
        ),
        (&["peek", "1", "-1"], "svmq: peek: invalid index '-1': must be 0..4294967295\n".into()),
        (&["dump"], "svmq: dump: give IDs or --all\n".into()),
        (&["show"], format!("svmq: show: missing FILE\n{}", usage("show", "FILE "))),
        (&["restore", "extra"], format!("svmq: restore: unexpected argument 'extra'\n{}", usage("restore", ""))),
        (&["ls", "--time-format=long"], "svmq: ls: invalid time format 'long': must be short, full or iso\n".into()),
        (&["ls", "--id", "x"], "svmq: ls: invalid id 'x': must be 0..2147483647\n".into()),
        (&["help", "nope"], format!("svmq: help: invalid command 'nope': must be one of {commands} (svmq help)\n")),
    ] {
        assert_eq!(fails(args, 2), want, "svmq {args:?}");
    }
    let help = ok(&["--help"]);
    assert!(help.starts_with("usage: svmq [--ns PID|PATH] COMMAND [ARGUMENT...]\n"), "{help}");
    assert_eq!(ok(&["help"]), help);
    for cmd in ["ls", "mk", "rm", "stat", "set", "send", "recv", "peek", "dump", "show", "restore", "help"] {
        let one = ok(&["help", cmd]);
        assert!(one.starts_with(&format!("usage: svmq {cmd} ")), "{one}");
        assert!(help.contains(&one), "{cmd}'s usage in svmq help");
        // CMD --help and -h anywhere: that usage, exit 0, nothing done.
        assert_eq!(ok(&[cmd, "--help"]), one);
        assert_eq!(ok(&[cmd, "-h"]), one);
        assert_eq!(ok(&[cmd, "1", "2", "3", "4", "5", "-h"]), one, "with too many operands");
    }
    assert_eq!(ok(&["--version"]), format!("svmq {}\n", env!("CARGO_PKG_VERSION")));
}

/// Creates a queue with the tool, with `mk` and `args`; its key and id.
fn made(args: &[&str]) -> (u32, Guard) {
    let out = ok(&[&["mk"][..], args].concat());
    let (key, id) = out.trim().split_once(' ').unwrap();
    (u32::from_str_radix(key.trim_start_matches("0x"), 16).unwrap(), Guard(Queue::from_id(id.parse().unwrap())))
}

#[test]
fn options_go_anywhere_and_parse_as_getopt_long_does() {
    let q = Guard::private();
    let id = q.id().to_string();
    // Before, between and after the operands; --opt value and --opt=value; -- ends the options.
    ok(&["send", "--nowait", &id, "1", "a"]);
    ok(&["send", &id, "--timeout", "1", "2", "b"]);
    ok(&["send", &id, "3", "c", "--timeout=1"]);
    ok(&["send", &id, "4", "--", "--nowait"]);
    ok(&["send", &id, "--", "5", "-x"]);
    assert_eq!(q.stat().unwrap().qnum, 5);
    let got: Vec<(i64, Vec<u8>)> = contents(q.0);
    let want: Vec<(i64, Vec<u8>)> = vec![
        (1, b"a".to_vec()),
        (2, b"b".to_vec()),
        (3, b"c".to_vec()),
        (4, b"--nowait".to_vec()),
        (5, b"-x".to_vec()),
    ];
    assert_eq!(got, want, "`--` makes the rest operands");
    assert_eq!(svmq(&["recv", "--nowait", &id, "-2"]).stdout, b"a", "a negative number is an operand");
    assert_eq!(svmq(&["recv", &id, "3", "--except", "--nowait"]).stdout, b"b");
    assert_eq!(svmq(&["stat", "--json", &id]).status.code(), Some(0));
    assert_eq!(svmq(&["recv", &id, "--count=2", "-J"]).status.code(), Some(2), "-J is not recv's");
    // Short options cluster, and take their value joined or separate.
    let (k, g) = made(&["-p600", "-k", "0x5e0001"]);
    assert_eq!((k, common::kstat(&g).unwrap().mode), (0x5e0001, 0o600));
    drop(g);
    // Keys as util-linux reads them: 0x hexadecimal, a leading 0 octal, else decimal; negative ones too.
    for (arg, key) in
        [("0x5e0002", 0x5e0002u32), ("027400003", 0o27400003), ("6160388", 6160388), ("-5", (-5i32) as u32)]
    {
        let (k, g) = made(&["-k", arg]);
        assert_eq!(k, key, "{arg}");
        assert_eq!(g.stat().unwrap().key.as_u32(), key);
        // rm -k reads it the same way.
        ok(&["rm", "-k", arg]);
        assert!(g.stat().is_err());
    }
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
    assert_eq!(fails(&["--ns"], 2), "svmq: missing PID|PATH after --ns\n");
    // --ns=PID, and --ns after the command.
    let pid = ns.arg();
    assert!(row(&ok(&[&format!("--ns={pid}"), "ls"])));
    assert!(row(&ok(&["ls", "--ns", &pid])));
    assert!(row(&ok(&["ls", &format!("--ns={pid}")])));
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
    // --nowait: as many as there are; fewer than asked is a partial result (exit status 3).
    let o = svmq(&["recv", &id, "--count", "5", "--nowait"]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(o.stdout, [&b"3 4\n"[..], &[0, 1, 2, 255]].concat());
    assert_eq!(
        String::from_utf8(o.stderr).unwrap(),
        format!("svmq: recv {id}: 1 of 5 messages (ENOMSG: no message of desired type)\n")
    );
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
    let put_back = "(nothing was taken: the message is still queued, in its place)\n";
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
        // --count: the message whose write failed stays too, in its place (before a later one).
        q.send(&Message::<8>::new(MsgType::new(7).unwrap(), b"again").unwrap()).unwrap();
        q.send(&Message::<8>::new(MsgType::new(8).unwrap(), b"later").unwrap()).unwrap();
        let o = svmq_with_stdout(&["recv", &id, "--count", "1"], setup);
        assert_eq!(o.status.code(), Some(1), "{what}");
        assert_eq!(q.try_recv::<8>(svmq::Select::Any).unwrap().data(), b"again", "{what}");
        assert_eq!(q.try_recv::<8>(svmq::Select::Any).unwrap().data(), b"later", "{what}");
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
    assert_eq!(fails(&["ls", "-l", "-u"], 2), "svmq: ls: options that exclude each other (svmq ls --help)\n");
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
        assert_eq!(&bytes[..16], b"SVMQDUMP\x02\0\0\0\0\0\0\0");
        let l = svmq::limits().unwrap();
        assert_eq!(
            &bytes[16..32],
            [&b"LIMT"[..], &l.msgmax.to_le_bytes(), &l.msgmnb.to_le_bytes(), &l.msgmni.to_le_bytes()].concat()
        );
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
            "svmq: restore: --key restores a dump of one queue; this one has more; nothing was created\n"
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
        let mut v3 = bytes.clone();
        v3[8] = 3;
        cases.push((
            "version 3",
            v3,
            "svmq: restore: dump format version not supported (this svmq reads versions 1 and 2); nothing was created\n",
        ));
        let mut extra = bytes.clone();
        extra.push(0);
        cases.push((
            "trailing",
            extra,
            "svmq: restore: corrupt dump (checksum, queue count or data after the end); nothing was created\n",
        ));
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
        assert!(String::from_utf8(o.stderr).unwrap().contains("the input must be a regular file"));
        assert_eq!(svmq::queues().unwrap().count(), 0);
        // The good one still restores.
        ok(&["restore", "-i", &good]);
        remove_all();
    });
}

#[test]
fn restore_checks_the_byte_limits_before_creating_anything() {
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
        assert_eq!(
            (o.status.code(), String::from_utf8(o.stderr).unwrap()),
            (
                Some(1),
                format!(
                    "svmq: restore: the dump needs msgmnb {} (here {msgmnb}); nothing was created; --limits raises it\n",
                    msgmnb * 2
                )
            )
        );
        assert_eq!(svmq::queues().unwrap().count(), 0, "nothing left behind");
        // --same-id without privilege: said before anything is created.
        let o = svmq_cmd(&["restore", "-i", &file, "--same-id"]).uid(65534).gid(65534).output().unwrap();
        assert_eq!(
            String::from_utf8(o.stderr).unwrap(),
            "svmq: restore --same-id: EACCES: permission denied (--same-id writes /proc/sys/kernel/msg_next_id, which needs root (CAP_SYS_ADMIN))\n"
        );
        assert_eq!(svmq::queues().unwrap().count(), 0);
        // --limits: root of the namespace raises msgmnb first; then the restore needs no privilege.
        let err = fails(&["restore", "-i", &file, "--check"], 1);
        assert!(err.contains("the dump needs msgmnb"), "{err}");
        let out = ok(&["restore", "-i", &file, "--limits"]);
        assert_eq!(out.lines().count(), 2);
        assert_eq!(common::read_proc("msgmnb"), msgmnb * 2);
        remove_all();
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

// ---- ipcs and lsipc parity, time zones ----

/// A host program's standard output, with `env` set (`None`: removed).
fn host(prog: &str, args: &[&str], env: &[(&str, Option<&str>)]) -> Option<String> {
    let mut c = Command::new(prog);
    c.args(args).env("LC_ALL", "C");
    for (k, v) in env {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let o = c.output().ok()?;
    o.status.success().then(|| String::from_utf8(o.stdout).unwrap())
}

/// The tool's standard output, with `env` as for [`host`].
fn ok_env(args: &[&str], env: &[(&str, Option<&str>)]) -> String {
    let mut c = svmq_cmd(args);
    for (k, v) in env {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let o = c.output().unwrap();
    assert!(o.status.success(), "svmq {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

/// Same text, or (noted) a difference qemu-user's msgctl explains (tests/common/qemu_msgctl.rs).
fn same(ours: &str, theirs: &str, what: &str) {
    if ours != theirs && common::qemu_msgctl::quirks().any() {
        common::note(&format!("{what}: differs under qemu-user's msgctl, not compared"));
        return;
    }
    assert_eq!(ours, theirs, "{what}");
}

/// Queues with every field worth comparing: keyed and private, other owners than creators, messages
/// sent and received, a byte count in each size unit lsipc shows.
fn populate() -> Vec<Queue> {
    std::fs::write("/proc/sys/kernel/msgmnb", "4194304").unwrap();
    let a = Queue::create_exclusive(svmq::Key::new(0x7001), 0o640).unwrap();
    a.send(&Message::<8>::new(MsgType::new(3).unwrap(), b"abc").unwrap()).unwrap();
    let b = Queue::private(0o600).unwrap();
    b.send(&Message::<8>::new(MsgType::MIN, b"x").unwrap()).unwrap();
    b.recv::<8>(Select::Any).unwrap();
    let c = Queue::create_exclusive(svmq::Key::from_u32(0xfedc_ba98), 0o604).unwrap();
    c.set(&svmq::Settings { uid: 1, gid: 2, mode: 0o604, qbytes: 4 << 20 }).unwrap();
    let mut v = vec![a, b, c];
    for bytes in [1023usize, 1024, 1500, 10 * 1024 + 100, 3 << 20] {
        let q = Queue::private(0o666).unwrap();
        q.set(&svmq::Settings { uid: 0, gid: 0, mode: 0o666, qbytes: 4 << 20 }).unwrap();
        let mut left = bytes;
        while left > 0 {
            let n = left.min(8192);
            q.send(&Message::<8192>::new(MsgType::MIN, &vec![7; n]).unwrap()).unwrap();
            left -= n;
        }
        v.push(q);
    }
    v
}

#[test]
fn ls_t_p_c_and_stat_match_ipcs_in_every_time_zone() {
    let Some(_) = common::require("util-linux ipcs", ipcs(&["-q"])) else { return };
    let Some(ns) = Ns::new() else { return };
    let dir = common::TempDir::new("tzif");
    let zones = tzif_files(&dir);
    ns.run(|| {
        let queues = populate();
        let mut tzs: Vec<Option<String>> = [
            "UTC",
            "Europe/Paris",
            ":/usr/share/zoneinfo/Asia/Kolkata",
            ":America/St_Johns",
            "Australia/Lord_Howe",
            "right/Europe/Paris",
            "EST5EDT,M3.2.0,M11.1.0",
            "<+0330>-3:30",
            "JST-9",
            "AAA2BBB,10/2,350/2",
            "AAA-2BBB-3,J1/0,J365/25",
            "Nowhere/Unknown",
            "",
        ]
        .iter()
        .map(|s| Some(s.to_string()))
        .collect();
        tzs.push(None);
        tzs.extend(zones.iter().map(|z| Some(format!(":{}", z.display()))));
        for tz in &tzs {
            let env = [("TZ", tz.as_deref())];
            for opt in [&[][..], &["-t"], &["-p"], &["-c"]] {
                let theirs = host("ipcs", &[&["-q"][..], opt].concat(), &env).unwrap();
                same(&ok_env(&[&["ls"][..], opt].concat(), &env), &theirs, &format!("ls {opt:?} TZ={tz:?}"));
            }
            for q in &queues {
                let id = q.id().to_string();
                let theirs = host("ipcs", &["-q", "-i", &id], &env).unwrap();
                same(&ok_env(&["stat", &id], &env), &theirs, &format!("stat {id} TZ={tz:?}"));
            }
        }
    });
}

/// Big-endian bytes.
fn be(v: i64, n: usize) -> Vec<u8> {
    v.to_be_bytes()[8 - n..].to_vec()
}

/// A TZif file (RFC 8536): `version` 0 (v1 only), b'2' or b'3'; transitions (time, type); types
/// (UT offset, DST, abbreviation); leap seconds (time, correction); the footer (version 2 and later).
fn tzif(
    version: u8,
    transitions: &[(i64, u8)],
    types: &[(i32, bool, &str)],
    leaps: &[(i64, i32)],
    footer: &str,
) -> Vec<u8> {
    let mut chars = Vec::new();
    let mut idx = Vec::new();
    for t in types {
        idx.push(chars.len() as u8);
        chars.extend(t.2.bytes());
        chars.push(0);
    }
    let block = |w: usize| {
        let mut b = Vec::new();
        for n in [0, 0, leaps.len(), transitions.len(), types.len(), chars.len()] {
            b.extend(be(n as i64, 4));
        }
        let mut data = Vec::new();
        for t in transitions {
            data.extend(be(t.0, w));
        }
        data.extend(transitions.iter().map(|t| t.1));
        for (t, &i) in types.iter().zip(&idx) {
            data.extend(be(i64::from(t.0), 4));
            data.extend([u8::from(t.1), i]);
        }
        data.extend(&chars);
        for l in leaps {
            data.extend(be(l.0, w));
            data.extend(be(i64::from(l.1), 4));
        }
        (b, data)
    };
    let mut f = b"TZif".to_vec();
    f.push(version);
    f.extend([0; 15]);
    let (counts, data) = block(4);
    f.extend(counts);
    f.extend(data);
    if version != 0 {
        f.extend(b"TZif");
        f.push(version);
        f.extend([0; 15]);
        let (counts, data) = block(8);
        f.extend(counts);
        f.extend(data);
        f.extend(format!("\n{footer}\n").bytes());
    }
    f
}

/// TZif files whose table ends before now, so that now is found by the last transition (version 1), or
/// by the footer's rule (versions 2 and 3), with each form of POSIX rule.
fn tzif_files(dir: &common::TempDir) -> Vec<std::path::PathBuf> {
    let old = [(-1_000_000_000i64, 1u8), (946_684_800, 2)];
    let types = [(3600, false, "AAA"), (7200, true, "BBB"), (19800, false, "IST")];
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("v1", tzif(0, &old, &types, &[], "")),
        ("v2-eu", tzif(b'2', &old, &types, &[], "CET-1CEST,M3.5.0,M10.5.0/3")),
        ("v2-julian", tzif(b'2', &old, &types, &[], "AAA-2BBB-3,J1/0,J365/25")),
        ("v2-zero-based", tzif(b'2', &old, &types, &[], "AAA5BBB,0/0,364/23")),
        ("v2-fixed", tzif(b'2', &old, &types, &[], "<-0930>9:30")),
        ("v3-hours", tzif(b'3', &old, &types, &[], "XXX3YYY,M1.1.0/-24,M12.5.6/167")),
        ("v2-no-footer", tzif(b'2', &old, &types, &[], "")),
        ("v2-no-transitions", tzif(b'2', &[], &[(-36000, false, "HST")], &[], "HST10")),
        ("v2-leaps", tzif(b'2', &old, &types, &[(78_796_800, 1), (1_483_228_800, 27)], "EST5EDT,M3.2.0,M11.1.0")),
    ];
    cases
        .into_iter()
        .map(|(name, bytes)| {
            let p = dir.path(name);
            std::fs::write(&p, bytes).unwrap();
            p
        })
        .collect()
}

#[test]
fn time_zones_without_a_zone_file_are_utc_as_in_an_initramfs() {
    // /etc hidden by an empty tmpfs: no /etc/localtime (and no passwd: numeric owners), as in an
    // initramfs; and /etc/localtime being a link to another zone.
    let script = "$S mk -k 0x42 >/dev/null; id=$($S mk | cut -d' ' -f2); $S set $id --uid 4242; $S send 0 1 x; \
                  for t in '' -t -c; do $S ls $t; ipcs -q $t; done; \
                  mount -t tmpfs none /etc; $S ls -t; ipcs -q -t; $S stat 0; ipcs -q -i 0; $S ls -c; ipcs -q -c";
    let Some(out) = in_namespaces(script, &[("TZ", None)]) else { return };
    let parts: Vec<&str> = out.split("\n\n").collect();
    assert!(out.contains("4242"), "{out}");
    assert_listings_pairwise(&out);
    assert!(!parts.is_empty());
    let script = "mount --bind /usr/share/zoneinfo/Asia/Tokyo /etc/localtime; $S mk >/dev/null; \
                  $S ls -t; ipcs -q -t; $S stat 0; ipcs -q -i 0";
    let Some(out) = in_namespaces(script, &[("TZ", None)]) else { return };
    assert_listings_pairwise(&out);
}

/// `out` is pairs of listings separated by empty lines, ours then ipcs's: each pair equal.
fn assert_listings_pairwise(out: &str) {
    // Each listing starts with an empty line then a "------ " title (stat: "Message Queue msqid=").
    let mut blocks: Vec<String> = Vec::new();
    for line in out.lines() {
        if line.starts_with("------ ") || line.starts_with("Message Queue msqid=") {
            blocks.push(String::new());
        }
        if let Some(b) = blocks.last_mut() {
            b.push_str(line);
            b.push('\n');
        }
    }
    assert_eq!(blocks.len() % 2, 0, "{out}");
    for pair in blocks.chunks(2) {
        same(pair[0].trim_end(), pair[1].trim_end(), "svmq vs ipcs");
    }
}

/// Runs `script` (sh -e) in new mount and IPC namespaces with `$S` the tool; its standard output. `None`
/// (noted) without unshare.
fn in_namespaces(script: &str, env: &[(&str, Option<&str>)]) -> Option<String> {
    let bin = env!("CARGO_BIN_EXE_svmq");
    let runner = common::runner();
    let full = format!("set -e; S='{runner} {bin}'; {script}");
    let mut c = Command::new("unshare");
    c.args(["--mount", "--ipc", "sh", "-c", &full]).env("LC_ALL", "C");
    for (k, v) in env {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let out = common::require("unshare --mount --ipc (root)", c.output().ok())?;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn ls_output_options_match_lsipc() {
    let Some(_) = common::require("lsipc", host("lsipc", &["-q"], &[])) else { return };
    let Some(ns) = Ns::new() else { return };
    let all = "KEY,ID,OWNER,PERMS,CUID,CUSER,CGID,CGROUP,UID,USER,GID,GROUP,CTIME,USEDBYTES,MSGS,SEND,RECV,LSPID,LRPID";
    ns.run(|| {
        populate();
        for tz in ["UTC", "Europe/Paris", "Asia/Kolkata"] {
            let env = [("TZ", Some(tz))];
            for args in [
                &["-o", all][..],
                &["--output", all, "--time-format=iso"],
                &["--time-format", "full", "-o", all],
                &["--time-format", "short", "-o", "SEND,RECV,CTIME"],
                &["-r"],
                &["--raw", "-o", all],
                &["-e"],
                &["--export", "-b", "-o", all],
                &["-b"],
                &["--bytes", "--raw"],
                &["--noheadings"],
                &["--noheadings", "-o", "+SEND"],
                &["-o", "+CUSER,CTIME", "--noheadings", "--raw"],
                &["-o", "USEDBYTES,KEY", "-e", "--time-format=iso"],
            ] {
                let theirs = host("lsipc", &[&["-q"][..], args].concat(), &env).unwrap();
                same(&ok_env(&[&["ls"][..], args].concat(), &env), &theirs, &format!("ls {args:?} TZ={tz}"));
            }
        }
    });
}

#[test]
fn ls_filters_by_id_key_and_owner() {
    let Some(ns) = Ns::new() else { return };
    ns.run(|| {
        let qs = populate();
        let rows = |args: &[&str]| -> Vec<String> {
            ok(&[&["ls"][..], args].concat()).lines().filter(|l| l.starts_with("0x")).map(str::to_owned).collect()
        };
        let ids = |rows: Vec<String>| -> Vec<i32> {
            rows.iter().map(|l| l.split_whitespace().nth(1).unwrap().parse().unwrap()).collect()
        };
        assert_eq!(ids(rows(&["--id", &qs[1].id().to_string()])), [qs[1].id()]);
        assert_eq!(ids(rows(&["-k", "0x7001"])), [qs[0].id()]);
        assert_eq!(ids(rows(&["--key=28673"])), [qs[0].id()], "decimal keys too");
        assert_eq!(ids(rows(&["--owner", "1"])), [qs[2].id()]);
        let daemon = host("id", &["-nu", "1"], &[]).map(|s| s.trim().to_owned());
        if let Some(name) = daemon {
            assert_eq!(ids(rows(&["--owner", &name])), [qs[2].id()]);
        }
        assert_eq!(ids(rows(&["--owner", "0", "-k", "0xfedcba98"])), Vec::<i32>::new(), "filters combine");
        assert_eq!(rows(&["--id", "999999"]), Vec::<String>::new());
        // Other formats filter too.
        let t = ok(&["ls", "-t", "--id", &qs[0].id().to_string()]);
        assert_eq!(t.lines().filter(|l| l.starts_with(|c: char| c.is_ascii_digit())).count(), 1, "{t}");
        let o = ok(&["ls", "-o", "ID", "--noheadings", "-k", "0x7001"]);
        assert_eq!(o.trim(), qs[0].id().to_string());
        let j = ok(&["ls", "--json", "--owner=1"]);
        assert_eq!(j.matches("\"id\":").count(), 1, "{j}");
        // JSON of chosen columns: typed numbers.
        let j = ok(&["ls", "--json", "-o", "KEY,ID,USEDBYTES,SEND", "-k", "0x7001"]);
        let send = qs[0].stat().unwrap().stime;
        assert_eq!(
            j,
            format!("{{\"messages\":[\n{{\"key\":28673,\"id\":{},\"usedbytes\":3,\"send\":{send}}}\n]}}\n", qs[0].id())
        );
    });
}

// ---- send and receive deadlines ----

#[test]
fn send_nowait_and_timeout_give_up_on_a_full_queue() {
    let q = Guard::private();
    let id = q.id().to_string();
    common::kset(&q, &svmq::Settings { uid: 0, gid: 0, mode: 0o600, qbytes: 4 }).unwrap();
    ok(&["send", &id, "1", "full"]);
    let start = std::time::Instant::now();
    assert_eq!(
        fails(&["send", &id, "1", "x", "--nowait"], 1),
        format!("svmq: send {id}: EAGAIN: resource temporarily unavailable (the queue is full)\n")
    );
    assert!(start.elapsed() < std::time::Duration::from_secs(2));
    let start = std::time::Instant::now();
    assert_eq!(
        fails(&["send", "--timeout", "0.3", &id, "1", "x"], 1),
        format!("svmq: send {id}: ETIMEDOUT: connection timed out (the queue stayed full until --timeout)\n")
    );
    let took = start.elapsed();
    assert!(took >= std::time::Duration::from_millis(300) && took < std::time::Duration::from_secs(3), "{took:?}");
    // Room made meanwhile: sent before the deadline.
    let child = svmq_cmd(&["send", &id, "2", "y", "--timeout=5"]).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    q.recv::<8>(Select::Any).unwrap();
    let o = common::wait_output(child, 10).unwrap();
    assert!(o.status.success());
    assert_eq!(q.recv::<8>(Select::Any).unwrap().data(), b"y");
    assert_eq!(q.stat().unwrap().qnum, 0);
}

#[test]
fn recv_timeout_is_the_deadline_of_the_whole_command() {
    let q = Guard::private();
    let id = q.id().to_string();
    // Three messages, 150 ms apart, one of them before the start; --count 5 within 0.6 s: three, then
    // the deadline, counted from the start, not per message; exit status 3.
    q.send(&Message::<8>::new(MsgType::MIN, b"m0").unwrap()).unwrap();
    let start = std::time::Instant::now();
    let child = svmq_cmd(&["recv", &id, "--count", "5", "--timeout", "0.6"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    for i in 1..3 {
        std::thread::sleep(std::time::Duration::from_millis(150));
        q.send(&Message::<8>::new(MsgType::MIN, format!("m{i}").as_bytes()).unwrap()).unwrap();
    }
    let o = common::wait_output(child, 10).unwrap();
    let took = start.elapsed();
    assert!(took >= std::time::Duration::from_millis(600) && took < std::time::Duration::from_millis(1500), "{took:?}");
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(o.stdout, b"1 2\nm01 2\nm11 2\nm2");
    assert_eq!(
        String::from_utf8(o.stderr).unwrap(),
        format!("svmq: recv {id}: 3 of 5 messages (ETIMEDOUT: connection timed out)\n")
    );
    // Nothing at all before the deadline: a plain failure.
    assert_eq!(
        fails(&["recv", &id, "--count", "2", "--timeout", "0.1"], 1),
        format!("svmq: recv {id}: ETIMEDOUT: connection timed out (no matching message before --timeout)\n")
    );
    // A message trickling in within the deadline: all of them, exit 0.
    let child = svmq_cmd(&["recv", &id, "--count", "2", "--timeout", "5"]).stdout(Stdio::piped()).spawn().unwrap();
    for i in 0..2 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        q.send(&Message::<8>::new(MsgType::new(9).unwrap(), format!("t{i}").as_bytes()).unwrap()).unwrap();
    }
    let o = common::wait_output(child, 10).unwrap();
    assert_eq!((o.status.code(), o.stdout), (Some(0), b"9 2\nt09 2\nt1".to_vec()));
}

// ---- nothing lost: dump, restore, recv ----

#[test]
fn a_failed_dump_never_damages_the_file() {
    let q = Guard::with_mode(0o644);
    let id = q.id().to_string();
    q.send(&Message::<8>::new(MsgType::MIN, b"x").unwrap()).unwrap();
    let dir = common::TempDir::new("dump-o");
    let file = dir.path("good.dump");
    let f = file.to_str().unwrap();
    ok(&["dump", &id, "-o", f]);
    let good = std::fs::read(&file).unwrap();
    // A queue that does not exist, one unreadable: the earlier dump stays whole, nothing beside it.
    let gone = Queue::private(0o600).unwrap();
    gone.remove().unwrap();
    let err = fails(&["dump", &id, &gone.id().to_string(), "-o", f], 1);
    assert_eq!(err, format!("svmq: dump {0}: EINVAL: invalid argument (no queue with id {0})\n", gone.id()));
    let hidden = Guard::with_mode(0o200);
    let o = svmq_cmd(&["dump", &hidden.id().to_string(), "-o", f]).output().unwrap();
    assert!(o.status.success(), "root reads it");
    std::fs::write(&file, &good).unwrap();
    std::fs::set_permissions(dir.0.as_path(), std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o666)).unwrap();
    let o = svmq_cmd(&["dump", &id, &hidden.id().to_string(), "-o", f]).uid(65534).gid(65534).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(o.stderr).unwrap(),
        format!("svmq: dump {}: EACCES: permission denied\n", hidden.id())
    );
    assert_eq!(std::fs::read(&file).unwrap(), good);
    assert_eq!(std::fs::read_dir(&dir.0).unwrap().count(), 1, "no temporary file left");
    // A full filesystem: a tmpfs of one page in a private mount namespace.
    let script = format!(
        "echo 4194304 > /proc/sys/kernel/msgmnb; id=$($S mk | cut -d' ' -f2); $S set $id --qbytes 4194304; \
         head -c 8000 /dev/zero > /tmp/m; for i in 1 2 3; do $S send $id 1 - < /tmp/m; done; \
         mount -t tmpfs -o size=4k none '{0}'; printf old > '{0}/f'; \
         if $S dump --all -o '{0}/f' 2>/tmp/err.$$; then echo dumped; fi; cat '{0}/f'; echo; cat /tmp/err.$$; ls '{0}'; \
         $S dump --all > /dev/full || echo failed $?",
        dir.0.display()
    );
    let Some(out) = in_namespaces(&script, &[]) else { return };
    assert_eq!(
        out,
        format!(
            "old\nsvmq: dump: write {}/f: ENOSPC: no space left on device (the file is left as it was)\nf\nfailed 1\n",
            dir.0.display()
        )
    );
}

#[test]
fn dump_all_names_the_queues_it_cannot_read_and_dumps_the_others() {
    let Some(ns) = Ns::new() else { return };
    let dir = common::TempDir::new("dump-all");
    std::fs::set_permissions(dir.0.as_path(), std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let file = dir.path("all").to_str().unwrap().to_owned();
    ns.run(|| {
        let a = Queue::create_exclusive(svmq::Key::new(0x100), 0o644).unwrap();
        let hidden = Queue::create_exclusive(svmq::Key::new(0x101), 0o600).unwrap();
        let c = Queue::private(0o604).unwrap();
        for q in [&a, &hidden, &c] {
            q.send(&Message::<8>::new(MsgType::new(5).unwrap(), b"msg").unwrap()).unwrap();
        }
        let o = svmq_cmd(&["dump", "--all", "-o", &file]).uid(65534).gid(65534).output().unwrap();
        if o.status.code() == Some(0) && common::under_emulation() {
            // Only MSG_STAT_ANY (Linux 4.17) lists unreadable queues; qemu-user may not know it: the
            // enumeration then skips the unreadable queue before dump sees it.
            common::note(
                "dump --all as another user: qemu-user lacks MSG_STAT_ANY, the unreadable queue is not listed",
            );
            return;
        }
        assert_eq!(o.status.code(), Some(1));
        assert_eq!(
            String::from_utf8(o.stderr).unwrap(),
            format!(
                "svmq: dump: skipped queue {}: EACCES: permission denied\n\
                 svmq: dump: 1 queue(s) skipped (named above); the dump holds the 2 others\n",
                hidden.id()
            )
        );
        let shown = ok(&["show", &file]);
        assert!(shown.contains("queue 0x00000100 ") && !shown.contains("queue 0x00000101 "), "{shown}");
        assert!(shown.ends_with("2 queue(s); checksum correct\n"), "{shown}");
        // A dump is binary: never to a terminal.
        let Some(tty) = pty() else { return };
        let o = svmq_cmd(&["dump", "--all"]).stdout(tty).output().unwrap();
        assert_eq!(
            (o.status.code(), String::from_utf8(o.stderr).unwrap()),
            (Some(2), "svmq: dump: a dump is binary: give -o FILE or redirect the output\n".to_owned())
        );
    });
}

/// The terminal side of a new pseudo-terminal (`None` without /dev/ptmx).
fn pty() -> Option<std::fs::File> {
    use std::os::fd::FromRawFd;
    // SAFETY: plain libc calls on a descriptor this function owns.
    unsafe {
        let m = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
        if m < 0 || libc::grantpt(m) != 0 || libc::unlockpt(m) != 0 {
            return None;
        }
        let name = std::ffi::CStr::from_ptr(libc::ptsname(m)).to_owned();
        // The master is leaked on purpose: the terminal lives as long as the test.
        let s = libc::open(name.as_ptr(), libc::O_RDWR | libc::O_NOCTTY);
        (s >= 0).then(|| std::fs::File::from_raw_fd(s))
    }
}

/// A queue of a hand-made dump: key, id, mode, uid, gid, qbytes, messages.
#[derive(Clone)]
struct DQ(i32, i32, u32, u32, u32, u64, Vec<(i64, Vec<u8>)>);

/// A dump written from docs/dump-format.md, independently of the tool: version 1, or 2 with `limits`.
fn dump_of(limits: Option<[u32; 3]>, queues: &[DQ]) -> Vec<u8> {
    let mut d = b"SVMQDUMP".to_vec();
    d.extend(if limits.is_some() { 2u32 } else { 1 }.to_le_bytes());
    d.extend(0u32.to_le_bytes());
    if let Some(l) = limits {
        d.extend(b"LIMT");
        l.iter().for_each(|v| d.extend(v.to_le_bytes()));
    }
    for q in queues {
        d.extend(b"QUEU");
        d.extend(q.0.to_le_bytes());
        d.extend(q.1.to_le_bytes());
        for v in [q.2, q.3, q.4, 0] {
            d.extend(v.to_le_bytes());
        }
        d.extend(q.5.to_le_bytes());
        let mut bytes = 0u64;
        for (t, p) in &q.6 {
            d.extend(b"MESG");
            d.extend(t.to_le_bytes());
            d.extend((p.len() as u32).to_le_bytes());
            d.extend(p);
            bytes += p.len() as u64;
        }
        d.extend(b"QEND");
        d.extend((q.6.len() as u64).to_le_bytes());
        d.extend(bytes.to_le_bytes());
    }
    d.extend(b"DEND");
    d.extend((queues.len() as u32).to_le_bytes());
    let crc = crc32(&d);
    d.extend(crc.to_le_bytes());
    d
}

fn msgs(n: usize, len: usize) -> Vec<(i64, Vec<u8>)> {
    (0..n).map(|i| ((i % 3 + 1) as i64, vec![i as u8; len])).collect()
}

#[test]
fn restore_checks_every_condition_before_creating_a_queue() {
    let Some(ns) = Ns::new() else { return };
    let dir = common::TempDir::new("restore-check");
    let n = std::sync::atomic::AtomicUsize::new(0);
    let file = |d: Vec<u8>| {
        let p = dir.path(&format!("d{}", n.fetch_add(1, std::sync::atomic::Ordering::Relaxed)));
        std::fs::write(&p, d).unwrap();
        p.to_str().unwrap().to_owned()
    };
    ns.run(|| {
        let l = svmq::limits().unwrap();
        let lim = Some([l.msgmax, l.msgmnb, l.msgmni]);
        let ok_q = DQ(0x200, 3, 0o644, 0, 0, 16384, msgs(3, 10));
        let existing = Queue::create_exclusive(svmq::Key::new(0x2ff), 0o600).unwrap();
        let cases: Vec<(Vec<u8>, &[&str], String)> = vec![
            (
                dump_of(lim, &[DQ(0x201, 1, 0o600, 0, 0, 100, vec![]), ok_q.clone(), DQ(0x201, 2, 0o600, 0, 0, 100, vec![])]),
                &[],
                "svmq: restore: key 0x00000201: EEXIST: file exists (twice in the dump; nothing was created)\n".into(),
            ),
            (
                dump_of(lim, &[ok_q.clone(), DQ(0x2ff, 1, 0o600, 0, 0, 100, vec![])]),
                &[],
                "svmq: restore: key 0x000002ff: EEXIST: file exists (a queue has it; nothing was created; --key picks another)\n".into(),
            ),
            (
                dump_of(lim, &[ok_q.clone(), DQ(0, 1, 0o600, 0, 0, 3_000_000_000, vec![])]),
                &[],
                "svmq: restore: qbytes 3000000000: EINVAL: invalid argument (the range is 0..2147483647; nothing was created)\n".into(),
            ),
            (
                dump_of(lim, &[ok_q.clone(), DQ(0, 1, 0o600, u32::MAX, 0, 100, vec![])]),
                &[],
                "svmq: restore: owner 4294967295: EINVAL: invalid argument (no such id in this user namespace; nothing was created)\n".into(),
            ),
            (
                dump_of(lim, &[ok_q.clone(), DQ(0, 1, 0o600, 0, 0, 100_000, msgs(1, l.msgmax as usize + 1))]),
                &[],
                format!("svmq: restore: the dump needs msgmax {} (here {}); nothing was created; --limits raises it\n", l.msgmax + 1, l.msgmax),
            ),
            (
                dump_of(lim, &[ok_q.clone(), DQ(0, 1, 0o600, 0, 0, u64::from(l.msgmnb) + 1, vec![])]),
                &[],
                format!("svmq: restore: the dump needs msgmnb {} (here {}); nothing was created; --limits raises it\n", l.msgmnb + 1, l.msgmnb),
            ),
            (
                dump_of(lim, &[ok_q.clone(), DQ(0, 5, 0o600, 0, 0, 100, vec![]), DQ(0, 5 + 32768, 0o600, 0, 0, 100, vec![])]),
                &["--same-id"],
                "svmq: restore: id 5: EEXIST: file exists (two queues of the dump need its slot; nothing was created)\n".into(),
            ),
            (
                dump_of(lim, &[ok_q.clone(), DQ(0, existing.id() + 32768, 0o600, 0, 0, 100, vec![])]),
                &["--same-id"],
                format!(
                    "svmq: restore: id {}: EEXIST: file exists (this queue holds the slot of an id of the dump (--same-id); nothing was created)\n",
                    existing.id()
                ),
            ),
            (
                dump_of(lim, &[ok_q.clone(), DQ(0x300, 1, 0o600, 0, 0, 100, vec![])]),
                &["--key", "0x301"],
                "svmq: restore: --key restores a dump of one queue; this one has more; nothing was created\n".into(),
            ),
        ];
        for (i, (d, extra, want)) in cases.into_iter().enumerate() {
            let f = file(d);
            for check in [false, true] {
                let mut args = vec!["restore", "-i", &f];
                args.extend(extra);
                if check {
                    args.push("--check");
                }
                assert_eq!(fails(&args, 1), want, "case {i} {args:?}");
                assert_eq!(svmq::queues().unwrap().count(), 1, "case {i}: nothing created");
            }
        }
        // msgmni: the queues there are count.
        std::fs::write("/proc/sys/kernel/msgmni", "2").unwrap();
        let f = file(dump_of(lim, &[ok_q.clone(), DQ(0, 1, 0o600, 0, 0, 100, vec![])]));
        assert_eq!(
            fails(&["restore", "-i", &f], 1),
            "svmq: restore: the dump needs msgmni 3 (here 2); nothing was created; --limits raises it\n"
        );
        assert_eq!(
            fails(&["restore", "-i", &f, "--check"], 1),
            "svmq: restore: the dump needs msgmni 3 (here 2); nothing was created; --limits raises it\n"
        );
        assert_eq!(ok(&["restore", "-i", &f, "--check", "--limits"]), "restorable here: 2 queue(s)\n");
        assert_eq!(common::read_proc("msgmni"), 2, "--check changes nothing");
        let out = ok(&["restore", "-i", &f, "--limits"]);
        assert_eq!(out.lines().count(), 2);
        assert_eq!(common::read_proc("msgmni"), l.msgmni, "raised to what the dump recorded");
        remove_all();
        // --limits raises msgmax to what the dump recorded (never lowers); a version 1 dump restores too.
        let f = file(dump_of(Some([l.msgmax * 4, l.msgmnb, l.msgmni]), &[DQ(0, 1, 0o600, 0, 0, 100_000, msgs(1, l.msgmax as usize + 1))]));
        ok(&["restore", "-i", &f, "--limits"]);
        assert_eq!(common::read_proc("msgmax"), l.msgmax * 4);
        remove_all();
        let f = file(dump_of(None, std::slice::from_ref(&ok_q)));
        assert_eq!(ok(&["restore", "-i", &f, "--check"]), "restorable here: 1 queue(s)\n");
        assert_eq!(svmq::queues().unwrap().count(), 0, "--check creates nothing");
        let out = ok(&["restore", "-i", &f]);
        let id: i32 = out.trim().split_once(' ').unwrap().1.parse().unwrap();
        assert_eq!(out, format!("0x00000200 {id}\n"));
        assert_eq!(contents(Queue::from_id(id)), msgs(3, 10));
        let st = Queue::from_id(id).stat().unwrap();
        assert_eq!((st.mode, st.qbytes, st.uid), (0o644, 16384, 0));
        remove_all();
    });
}

#[test]
fn restore_refuses_a_fifo_without_blocking() {
    let dir = common::TempDir::new("fifo");
    let fifo = dir.path("fifo");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a plain libc call.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let child = svmq_cmd(&["restore", "-i", fifo.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let o = common::wait_output(child, 10).expect("restore -i FIFO returned");
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8(o.stderr).unwrap().contains("the input must be a regular file"));
    let o = svmq_cmd(&["restore", "--check", "-i", "/dev/null"]).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "a device");
    let err = fails(&["restore", "-i", dir.0.to_str().unwrap()], 1);
    assert!(err.contains("EISDIR") || err.contains("the input must be a regular file"), "{err}");
}

#[test]
fn restore_publishes_nothing_before_everything_is_in_place() {
    // Another user hammers the keys of the dump while it is restored: it may never send to a queue (the
    // dumped modes let it once published, so its messages can only come after the dump's), and what the
    // restore publishes is whole.
    let Some(ns) = Ns::new() else { return };
    let dir = common::TempDir::new("restore-race");
    let f = dir.path("d").to_str().unwrap().to_owned();
    ns.run(|| {
        std::fs::write("/proc/sys/kernel/msgmnb", "4194304").unwrap();
        let keys = [0x400, 0x401, 0x402];
        let queues: Vec<DQ> = keys.iter().map(|&k| DQ(k, 0, 0o622, 0, 0, 4 << 20, msgs(2000, 100))).collect();
        std::fs::write(&f, dump_of(Some([8192, 4194304, 32000]), &queues)).unwrap();
        for round in 0..3 {
            // The producer (a forked child) stops once it has sent to each queue, which it can only do
            // once the queue is published, or after 30 s.
            let producer = std::thread::spawn(move || {
                common::as_nobody(|| {
                    let start = std::time::Instant::now();
                    let mut done = [false; 3];
                    while !done.iter().all(|&d| d) && start.elapsed() < std::time::Duration::from_secs(30) {
                        for (i, k) in keys.into_iter().enumerate() {
                            if let (false, Ok(q)) = (done[i], Queue::open(svmq::Key::new(k))) {
                                let m = Message::<8>::new(MsgType::new(9).unwrap(), b"intruder").unwrap();
                                done[i] = q.try_send(&m).is_ok();
                            }
                        }
                    }
                    i32::from(!done.iter().all(|&d| d))
                })
            });
            let out = ok(&["restore", "-i", &f]);
            assert_eq!(producer.join().unwrap(), 0, "round {round}: the producer sent once published");
            assert_eq!(out.lines().count(), 3);
            for &k in &keys {
                let q = Queue::open(svmq::Key::new(k)).unwrap();
                let got = contents(q);
                assert_eq!(got[..2000], msgs(2000, 100)[..], "round {round}: the dump's messages first, whole");
                assert_eq!(got[2000..], [(9, b"intruder".to_vec())], "round {round}");
            }
            remove_all();
        }
    });
}

#[test]
fn a_restore_that_fails_late_removes_every_queue_it_made() {
    if !cfg!(target_arch = "x86_64") {
        common::note("seccomp-driven restore failure tested on x86_64 only");
        return;
    }
    let Some(ns) = Ns::new() else { return };
    let dir = common::TempDir::new("restore-late");
    let f = dir.path("d").to_str().unwrap().to_owned();
    ns.run(|| {
        let queues = [
            DQ(0x500, 0, 0o666, 0, 0, 16384, msgs(20, 10)),
            DQ(0, 0, 0o600, 0, 0, 16384, msgs(1, 1)),
            DQ(0x502, 0, 0o666, 0, 0, 16384, msgs(5, 5)),
        ];
        std::fs::write(&f, dump_of(None, &queues)).unwrap();
        // msgget(0x502, IPC_CREAT | ...) fails with ENOSPC, as when msgmni is reached meanwhile.
        let filter = vec![
            bpf(LD_ABS_W, 0, 0, 4),
            bpf(JEQ, 0, 7, AUDIT_ARCH),
            bpf(LD_ABS_W, 0, 0, 0),
            bpf(JEQ, 0, 5, svmq::sys::raw::nr::MSGGET as u32),
            bpf(LD_ABS_W, 0, 0, 16),
            bpf(JEQ, 0, 3, 0x502),
            bpf(LD_ABS_W, 0, 0, 24),
            bpf(JSET, 0, 1, libc::IPC_CREAT as u32),
            bpf(RET, 0, 0, ERRNO | 28),
            bpf(RET, 0, 0, ALLOW),
        ];
        let Some(child) = with_filter(&["restore", "-i", &f], filter, Stdio::piped()) else { return };
        let o = wait_bounded(child).unwrap();
        assert_eq!(o.status.code(), Some(1));
        assert_eq!(
            String::from_utf8(o.stderr).unwrap(),
            "svmq: restore: create 0x00000502: ENOSPC: no space left on device\n\
             svmq: restore: removed the 2 queue(s) it had created\n"
        );
        assert!(o.stdout.is_empty());
        assert_eq!(svmq::queues().unwrap().count(), 0, "no queue left behind");
        // Someone of the same user (root here) sends to a queue before the restore is done: it fails,
        // removes the others and leaves that one, which holds someone's message, as it is.
        let mut tries = 0;
        loop {
            tries += 1;
            let stop = std::sync::atomic::AtomicBool::new(false);
            let (o, intruded) = std::thread::scope(|s| {
                let h = s.spawn(|| {
                    loop {
                        if let Ok(q) = Queue::open(svmq::Key::new(0x500)) {
                            let _ = q.try_send(&Message::<8>::new(MsgType::new(9).unwrap(), b"root").unwrap());
                            return true;
                        }
                        if stop.load(std::sync::atomic::Ordering::Relaxed) {
                            return false;
                        }
                    }
                });
                let o = svmq(&["restore", "-i", &f]);
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
                (o, h.join().unwrap())
            });
            if o.status.success() {
                // The intruder came after the publication (or not at all): a fine restore; again.
                assert!(tries < 50, "the intruder never came in time");
                remove_all();
                continue;
            }
            assert!(intruded);
            let err = String::from_utf8(o.stderr).unwrap();
            let left: Vec<(Queue, svmq::Status)> = svmq::queues().unwrap().collect();
            assert_eq!(left.len(), 1, "{err}");
            let (q, st) = &left[0];
            assert_eq!(st.key.raw(), 0x500);
            assert!(
                err.contains(&format!(
                    "svmq: restore: queue {}, used by another process meanwhile, is left in place\n",
                    q.id()
                )),
                "{err}"
            );
            assert!(err.ends_with("svmq: restore: removed the 2 queue(s) it had created\n"), "{err}");
            assert!(contents(*q).iter().any(|m| m.1 == b"root"));
            remove_all();
            break;
        }
    });
}

#[test]
fn show_lists_a_dump() {
    let dir = common::TempDir::new("show");
    let f = dir.path("d");
    let mut long = b"\"quoted\" \\ tab\t nl\n \x01\xff".to_vec();
    long.extend(vec![b'z'; 70]);
    std::fs::write(
        &f,
        dump_of(
            Some([8192, 16384, 32000]),
            &[
                DQ(
                    0x1234,
                    7,
                    0o640,
                    1000,
                    100,
                    2048,
                    vec![(5, b"hello".to_vec()), (MsgType::MAX.get(), long), (1, vec![])],
                ),
                DQ(0, 8, 0o600, 0, 0, 0, vec![]),
            ],
        ),
    )
    .unwrap();
    let want = format!(
        "svmq dump, format version 2; its namespace's limits: msgmax 8192, msgmnb 16384, msgmni 32000\n\
         queue 0x00001234 (id 7): mode 0640, uid 1000, gid 100, qbytes 2048\n\
         \x20 message 0: type 5, 5 bytes: \"hello\"\n\
         \x20 message 1: type {}, 92 bytes: \"\\\"quoted\\\" \\\\ tab\\x09 nl\\x0a \\x01\\xff{}\"...\n\
         \x20 message 2: type 1, 0 bytes: \"\"\n\
         \x20 3 message(s), 97 bytes\n\
         queue 0x00000000 (id 8): mode 0600, uid 0, gid 0, qbytes 0\n\
         \x20 0 message(s), 0 bytes\n\
         2 queue(s); checksum correct\n",
        MsgType::MAX.get(),
        "z".repeat(42)
    );
    assert_eq!(ok(&["show", f.to_str().unwrap()]), want);
    // From standard input, a pipe too.
    let mut child = svmq_cmd(&["show", "-"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(&std::fs::read(&f).unwrap()).unwrap();
    assert_eq!(String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap(), want);
    let mut bad = std::fs::read(&f).unwrap();
    *bad.last_mut().unwrap() ^= 1;
    std::fs::write(&f, bad).unwrap();
    let o = svmq(&["show", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(o.stderr).unwrap(),
        "svmq: show: corrupt dump (checksum, queue count or data after the end)\n"
    );
}

#[test]
fn recv_into_a_full_file_cuts_no_record_and_keeps_the_message() {
    // A tmpfs of one page: the second record does not fit; what the file held before it stays, the record
    // is cut off again, and the messages stay queued in order.
    let dir = common::TempDir::new("recv-full");
    let script = format!(
        "mount -t tmpfs -o size=4k none '{0}'; id=$($S mk | cut -d' ' -f2); \
         $S send $id 1 first; head -c 5000 /dev/zero | tr '\\0' x > /tmp/m.$$; $S send $id 2 - < /tmp/m.$$; \
         rm /tmp/m.$$; $S send $id 3 last; printf 'before\\n' > '{0}/f'; \
         $S recv $id --count 3 >> '{0}/f' || echo status $?; \
         $S recv $id --count 2 >> '{0}/f' || echo status $?; \
         cat '{0}/f'; echo; $S ls -o MSGS,USEDBYTES -b --noheadings -r; \
         $S recv $id > '{0}/f' || echo status $?; wc -c < '{0}/f'; $S peek $id --type | head -c 6; echo",
        dir.0.display()
    );
    let Some(out) = in_namespaces(&script, &[]) else { return };
    assert_eq!(out, "status 1\nstatus 1\nbefore\n1 5\nfirst\n2 5004\nstatus 1\n0\n2\nxxxx\n");
}

#[test]
fn recv_without_msg_copy_puts_a_message_back() {
    if !cfg!(target_arch = "x86_64") {
        common::note("seccomp-driven MSG_COPY absence tested on x86_64 only");
        return;
    }
    let q = Guard::private();
    let id = q.id().to_string();
    q.send(&Message::<8>::new(MsgType::new(6).unwrap(), b"one").unwrap()).unwrap();
    q.send(&Message::<8>::new(MsgType::new(7).unwrap(), b"two").unwrap()).unwrap();
    // msgrcv with MSG_COPY fails with ENOSYS, as on a kernel without CONFIG_CHECKPOINT_RESTORE.
    let filter = vec![
        bpf(LD_ABS_W, 0, 0, 4),
        bpf(JEQ, 0, 5, AUDIT_ARCH),
        bpf(LD_ABS_W, 0, 0, 0),
        bpf(JEQ, 0, 3, svmq::sys::raw::nr::MSGRCV as u32),
        bpf(LD_ABS_W, 0, 0, 48),
        bpf(JSET, 0, 1, 0o40000),
        bpf(RET, 0, 0, ERRNO | 38),
        bpf(RET, 0, 0, ALLOW),
    ];
    let Some(child) = with_filter(&["recv", &id], filter.clone(), Stdio::piped()) else { return };
    let o = wait_bounded(child).unwrap();
    assert_eq!((o.status.code(), o.stdout), (Some(0), b"one".to_vec()));
    // Its write fails: the message goes back, to the end.
    let mut c = svmq_cmd(&["recv", &id]);
    let filter = Box::leak(filter.into_boxed_slice());
    let prog = Box::leak(Box::new(libc::sock_fprog { len: filter.len() as u16, filter: filter.as_mut_ptr() }));
    let prog = prog as *const libc::sock_fprog as usize;
    // SAFETY: system calls in the child, on memory leaked before the fork.
    unsafe {
        c.pre_exec(move || {
            full_stdout()?;
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                || libc::syscall(libc::SYS_seccomp, 1, 0, prog as *const libc::sock_fprog) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    };
    q.send(&Message::<8>::new(MsgType::new(8).unwrap(), b"three").unwrap()).unwrap();
    let o = c.output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        String::from_utf8(o.stderr).unwrap(),
        format!(
            "svmq: recv: write {id}: ENOSPC: no space left on device (the message was put back on the queue, at its end)\n"
        )
    );
    assert_eq!(contents(q.0), [(8, b"three".to_vec()), (7, b"two".to_vec())]);
}

// ---- the manual ----

/// Each command's options as `svmq help` lists them (the common ones apart).
fn help_options() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let help = ok(&["help"]);
    let mut map = std::collections::BTreeMap::new();
    let mut cmd = String::new();
    for line in help.lines() {
        if let Some(rest) = line.strip_prefix("usage: svmq ") {
            cmd = rest.split(' ').next().unwrap().to_owned();
            if !cmd.starts_with('[') {
                map.insert(cmd.clone(), std::collections::BTreeSet::new());
            }
        } else if let Some(opt) = line.strip_prefix("  -") {
            let opt = opt.split("  ").next().unwrap();
            for word in format!("-{opt}").split([' ', ',']).filter(|w| w.starts_with('-')) {
                if !["--ns", "-h", "--help"].contains(&word) {
                    map.get_mut(&cmd).unwrap().insert(word.to_owned());
                }
            }
        }
    }
    map
}

#[test]
fn the_manual_documents_every_command_and_option() {
    let page = std::fs::read_to_string(common::root().join("man/man1/svmq.1")).unwrap();
    let help = help_options();
    // svmq(1): a `.SS` per command (`.SS "svmq CMD ..."`), its options in `.TP` tags.
    let mut man: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
    let mut cmd: Option<String> = None;
    let mut tag_next = false;
    for line in page.lines() {
        if let Some(title) = line.strip_prefix(".SS ") {
            let title = title.trim_matches('"').replace("\\fB", "").replace("\\fR", "").replace("\\fI", "");
            cmd = title.strip_prefix("svmq ").map(|r| r.split(' ').next().unwrap().to_owned());
            if let Some(c) = &cmd {
                man.insert(c.clone(), Default::default());
            }
        } else if line.starts_with(".SH") {
            cmd = None;
        } else if line == ".TP" {
            tag_next = true;
            continue;
        } else if tag_next && let Some(c) = &cmd {
            let plain = line
                .replace("\\-", "-")
                .replace("\\fB", " ")
                .replace("\\fR", " ")
                .replace("\\fI", " ")
                .replace(['"', ','], " ");
            for w in plain.split_whitespace().filter(|w| w.starts_with('-') && w.len() > 1) {
                let w = w.trim_end_matches(|ch: char| !ch.is_ascii_alphanumeric());
                let w = w.split('=').next().unwrap();
                man.get_mut(c).unwrap().insert(w.to_owned());
            }
        }
        tag_next = false;
    }
    assert_eq!(man, help, "svmq(1) and svmq help: the same commands, each with the same options");
    for common in ["\\-\\-ns", "\\-\\-help", "\\-\\-version"] {
        assert!(page.contains(common), "{common} in svmq(1)");
    }
    for status in ["\n.B 0\n", "\n.B 1\n", "\n.B 2\n", "\n.B 3\n"] {
        assert!(page.contains(status), "exit status {status:?} in svmq(1)");
    }
}
