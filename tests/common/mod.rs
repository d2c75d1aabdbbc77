//! Shared helpers for the integration tests: queues that remove themselves, unique keys, and running
//! code in a child process as another user.
#![allow(dead_code)]

pub mod qemu_msgctl;
#[allow(unused_imports)] // not every test file uses them
pub use qemu_msgctl::{kernel_view, kset, kstat};

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

/// The target these tests were built for (set by build.rs).
pub const TARGET: &str = env!("SVMQ_TARGET");
/// The machine's own target: the one whose C examples live in `c-examples/build/` itself.
pub const HOST_TARGET: &str = "x86_64-unknown-linux-gnu";

/// The GNU cross-compiler prefix for this target ("" for the host's own `cc`).
pub fn cross_prefix() -> &'static str {
    match TARGET {
        "aarch64-unknown-linux-gnu" => "aarch64-linux-gnu-",
        "i686-unknown-linux-gnu" => "i686-linux-gnu-",
        "armv7-unknown-linux-gnueabihf" => "arm-linux-gnueabihf-",
        "riscv64gc-unknown-linux-gnu" => "riscv64-linux-gnu-",
        "powerpc-unknown-linux-gnu" => "powerpc-linux-gnu-",
        "s390x-unknown-linux-gnu" => "s390x-linux-gnu-",
        _ => "",
    }
}

/// True when running under qemu-user: a test binary of a foreign architecture whose kernel is the
/// x86_64 host's. qemu reports the guest machine in uname, but the host's `/proc/cpuinfo` shows through,
/// naming an x86 vendor. (Not just a `vendor_id` line: a real s390x kernel has one too, "IBM/S390".)
/// i686 is not emulated: the x86_64 kernel runs it natively. On each target's real kernel (.ci/vm) this
/// is false, and no emulator adaptation applies.
pub fn under_emulation() -> bool {
    const X86_VENDORS: [&str; 5] = ["GenuineIntel", "AuthenticAMD", "HygonGenuine", "CentaurHauls", "  Shanghai  "];
    !cfg!(any(target_arch = "x86_64", target_arch = "x86"))
        && std::fs::read_to_string("/proc/cpuinfo").is_ok_and(|c| {
            c.lines().any(|l| {
                l.split_once(':').is_some_and(|(k, v)| k.trim() == "vendor_id" && X86_VENDORS.contains(&v.trim_start()))
            })
        })
}

/// The machine the kernel runs on (`uname -m`): `x86_64` for i686 programs on an x86_64 kernel's compat
/// layer, `i686` on a native 32-bit kernel. Under qemu-user, the emulated machine.
pub fn kernel_machine() -> String {
    // SAFETY: a zeroed utsname is a valid buffer for uname, which fills it with NUL-terminated strings.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: u is a live, writable utsname.
    assert_eq!(unsafe { libc::uname(&mut u) }, 0, "uname");
    // SAFETY: uname NUL-terminated the field.
    unsafe { std::ffi::CStr::from_ptr(u.machine.as_ptr()) }.to_string_lossy().into_owned()
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

/// The repository root.
pub fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `Some(v)`, or, when a prerequisite is missing: a failure under CI (where everything must be there),
/// a loud note elsewhere.
pub fn require<T>(what: &str, v: Option<T>) -> Option<T> {
    if v.is_none() {
        if std::env::var_os("CI").is_some() {
            panic!("missing prerequisite under CI: {what}");
        }
        note(&format!("SKIPPED: {what} is missing (bash .ci/run builds and installs everything)"));
    }
    v
}

/// The target's cargo runner (qemu-user and its arguments), or "" when programs run natively.
pub fn runner() -> String {
    std::env::var(format!("CARGO_TARGET_{}_RUNNER", TARGET.to_uppercase().replace('-', "_"))).unwrap_or_default()
}

/// A command running a program built for the test's own target: through the target's cargo runner
/// (qemu-user, with its arguments) when one is set; there is no binfmt_misc registration to rely on.
pub fn target_command(path: &std::path::Path) -> std::process::Command {
    let runner = runner();
    let mut words = runner.split_whitespace();
    match words.next() {
        Some(program) => {
            let mut c = std::process::Command::new(program);
            c.args(words).arg(path);
            c
        }
        None => std::process::Command::new(path),
    }
}

/// Directory of this build's examples and binaries: target[/TRIPLE]/PROFILE.
pub fn profile_dir() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().and_then(|deps| deps.parent()).unwrap().to_path_buf()
}

/// A Rust example of this build, if built.
pub fn rust_example(name: &str) -> Option<std::path::PathBuf> {
    let p = profile_dir().join("examples").join(name);
    require(&format!("Rust example {}", p.display()), p.exists().then_some(p))
}

/// A C example built by `make -C c-examples` for this target, if built.
pub fn c_example(name: &str) -> Option<std::path::PathBuf> {
    let mut dir = root().join("c-examples/build");
    if TARGET != HOST_TARGET {
        dir = dir.join(TARGET);
    }
    let p = dir.join(name);
    require(&format!("C example {} (make -C c-examples)", p.display()), p.exists().then_some(p))
}

/// The Python with sysv_ipc: $SVMQ_PYTHON, or the repository's .venv.
pub fn python() -> Option<std::path::PathBuf> {
    let p = std::env::var_os("SVMQ_PYTHON").map(Into::into).unwrap_or_else(|| root().join(".venv/bin/python"));
    let ok = std::process::Command::new(&p)
        .args(["-c", "import sysv_ipc"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    require("Python with sysv_ipc (SVMQ_PYTHON or .venv)", ok.then_some(p))
}

/// Compiles a C file for the test's target with the C library (static for every cross target, so that
/// qemu needs no sysroot).
pub fn compile_c(src: &std::path::Path, out: &std::path::Path) -> Option<std::path::PathBuf> {
    let prefix = cross_prefix();
    if prefix.is_empty() {
        compile_c_with("cc", &[], src, out)
    } else {
        compile_c_with(&format!("{prefix}gcc"), &["-static"], src, out)
    }
}

/// Compiles a C file with a given compiler (e.g. the x86_64 host's `cc` for a peer of another width).
pub fn compile_c_with(
    cc: &str,
    extra: &[&str],
    src: &std::path::Path,
    out: &std::path::Path,
) -> Option<std::path::PathBuf> {
    let status = std::process::Command::new(cc)
        .args(["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror"])
        .args(extra)
        .arg("-o")
        .arg(out)
        .arg(src)
        .status();
    require(&format!("C compiler {cc}"), status.ok().filter(|s| s.success()).map(|_| out.to_path_buf()))
}

/// A scratch directory removed on drop.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "svmq-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }
    pub fn path(&self, name: &str) -> std::path::PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Waits for a child at most `secs` seconds; kills it on timeout. Returns its output, or None on timeout.
pub fn wait_output(child: std::process::Child, secs: u64) -> Option<std::process::Output> {
    let pid = child.id() as libc::pid_t;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(std::time::Duration::from_secs(secs)) {
        Ok(out) => out.ok(),
        Err(_) => {
            // SAFETY: signalling our own child.
            unsafe { libc::kill(pid, libc::SIGKILL) };
            None
        }
    }
}

/// Installs a do-nothing SIGALRM handler (with or without SA_RESTART) and arms `alarm(secs)`. For forked,
/// single-threaded children that test EINTR.
pub fn alarm_with_handler(restart: bool, secs: u32) {
    extern "C" fn on_alarm(_: libc::c_int) {}
    // SAFETY: installing a handler and arming a timer; the handler does nothing.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_alarm as *const () as usize;
        sa.sa_flags = if restart { libc::SA_RESTART } else { 0 };
        libc::sigaction(libc::SIGALRM, &sa, std::ptr::null_mut());
        libc::alarm(secs);
    }
}
