//! qemu-user's `msgctl`, measured against the kernel ABI. qemu (7.2) does not pass the guest's buffer to
//! the kernel: it converts the host's `struct msqid_ds` into its own `target_msqid_ds`
//! (linux-user/syscall.c, linux-user/<arch>/target_structs.h), whose layout differs from the kernel's
//! `msqid64_ds` on some targets. svmq reads the kernel's layout (asserted at compile time in
//! src/sys/abi.rs), so under qemu those fields come out wrong. This module finds, once per test process,
//! which differences this emulator has (a probe queue with known values), prints a
//! `NOTE: <target> emulator: ...` line for each, and lets the tests read (and set) those fields where
//! qemu put them. On a real kernel (and natively) nothing is found and nothing is changed.
// The kernel fields' widths differ between architectures: conversions that are no-ops here widen elsewhere.
#![allow(clippy::useless_conversion, clippy::unnecessary_cast)]

use super::{TARGET, note, under_emulation};
use std::sync::OnceLock;
use svmq::sys::abi::Msqid64Ds;
use svmq::sys::{StatCmd, msgctl_set, msgctl_stat};
use svmq::{Errno, Queue, Settings, Status};

/// The differences found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Quirks {
    /// s390x: the mode is written (and read by IPC_SET) as 16 bits at offset 20; the kernel's mode is
    /// 32 bits there, so svmq sees `mode << 16` and an IPC_SET through svmq sets mode 0.
    pub mode_high_half: bool,
    /// s390x: `seq` at offset 24 (the kernel's `__pad1`), not 26.
    pub seq_at_24: bool,
    /// 64-bit targets: `msg_lspid`/`msg_lrpid` written as 8-byte longs at 96 and 104 (the kernel's are
    /// 4-byte ints at 96 and 100).
    pub pids_as_longs: bool,
    /// powerpc: each time's 32 bits written into the kernel's `_high` word (48/56/64); the low word
    /// (52/60/68) is not written.
    pub time_in_high_word: bool,
}

impl Quirks {
    pub fn any(&self) -> bool {
        *self != Self::default()
    }
}

fn raw(id: i32) -> Result<Msqid64Ds, Errno> {
    let mut ds = Msqid64Ds::default();
    msgctl_stat(id, StatCmd::IpcStat, &mut ds).map(|_| ds)
}

/// The emulator's differences (none natively or on a real kernel), probed once per process.
pub fn quirks() -> Quirks {
    static Q: OnceLock<Quirks> = OnceLock::new();
    *Q.get_or_init(|| if under_emulation() { probe() } else { Quirks::default() })
}

#[cfg(target_arch = "powerpc")]
fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[allow(unused_mut, unused_variables)]
fn probe() -> Quirks {
    const MODE: u32 = 0o640;
    let q = Queue::private(MODE).expect("probe queue");
    let m = svmq::Message::<8>::new(svmq::MsgType::new(1).unwrap(), b"p").unwrap();
    q.send(&m).unwrap();
    q.send(&m).unwrap();
    q.recv::<8>(svmq::Select::Any).unwrap();
    let ds = raw(q.id());
    let _ = q.remove();
    let ds = ds.expect("probe IPC_STAT");
    let pid = std::process::id() as i32;
    let mut k = Quirks::default();

    let mode = u32::from(ds.msg_perm.mode);
    if mode != MODE {
        assert_eq!(mode, MODE << 16, "probe: mode {mode:#x} is neither the kernel's layout nor a known emulator's");
        k.mode_high_half = true;
        note(&format!(
            "{TARGET} emulator: qemu-user's msgctl puts the mode in the high half of the kernel's 32-bit \
             field (IPC_STAT shows {mode:#x} for {MODE:#o}; IPC_SET takes the mode from there too): tests \
             read and set the mode there"
        ));
    }
    #[cfg(target_arch = "s390x")]
    if ds.msg_perm.pad1 != 0 {
        assert_eq!(ds.msg_perm.seq, 0, "probe: seq at both 24 and 26");
        k.seq_at_24 = true;
        note(&format!(
            "{TARGET} emulator: qemu-user's msgctl writes seq at offset 24 (the kernel's __pad1) instead \
             of 26: tests read it there"
        ));
    }
    #[cfg(target_pointer_width = "64")]
    if (ds.msg_lspid, ds.msg_lrpid) != (pid, pid) {
        assert_eq!(ds.unused4 as i32, pid, "probe: pids {} {} are in no known layout", ds.msg_lspid, ds.msg_lrpid);
        k.pids_as_longs = true;
        note(&format!(
            "{TARGET} emulator: qemu-user's msgctl writes msg_lspid and msg_lrpid as 8-byte longs at 96 \
             and 104 (the kernel's are ints at 96 and 100): tests read them there"
        ));
    }
    #[cfg(target_arch = "powerpc")]
    if (ds.stime() - now()).abs() > 60 {
        let hi = i64::from(ds.msg_stime.hi);
        assert!((hi - now()).abs() <= 60 && ds.msg_stime.lo == 0, "probe: stime {} in no known layout", ds.stime());
        k.time_in_high_word = true;
        note(&format!(
            "{TARGET} emulator: qemu-user's msgctl writes each time's 32 bits into the kernel's _high word \
             (48/56/64) and leaves the low word alone (svmq reads {} for {hi}): tests read them there",
            ds.stime()
        ));
    }
    k
}

/// `st` (svmq's status of queue `id`) with the fields this emulator misplaces read from where it put
/// them (a second IPC_STAT). Unchanged natively and on a real kernel.
pub fn kernel_view(id: i32, mut st: Status) -> Status {
    let k = quirks();
    if !k.any() {
        return st;
    }
    let Ok(ds) = raw(id) else { return st };
    if k.mode_high_half {
        st.mode = (u32::from(ds.msg_perm.mode) >> 16) & 0o7777;
    }
    #[cfg(target_arch = "s390x")]
    if k.seq_at_24 {
        st.seq = ds.msg_perm.pad1;
    }
    #[cfg(target_pointer_width = "64")]
    if k.pids_as_longs {
        let lspid = if cfg!(target_endian = "big") { ds.msg_lrpid } else { ds.msg_lspid };
        st.lspid = lspid;
        st.lrpid = ds.unused4 as i32;
    }
    #[cfg(target_arch = "powerpc")]
    if k.time_in_high_word {
        st.stime = i64::from(ds.msg_stime.hi);
        st.rtime = i64::from(ds.msg_rtime.hi);
        st.ctime = i64::from(ds.msg_ctime.hi);
    }
    st
}

/// `q.stat()`, read as the kernel reported it (see [`kernel_view`]).
pub fn kstat(q: &Queue) -> Result<Status, Errno> {
    q.stat().map(|st| kernel_view(q.id(), st))
}

/// `q.set(s)`; where this emulator takes IPC_SET's mode from another place, the mode is then set again
/// through a raw IPC_SET that puts it there (so that what the test goes on with is what it asked for).
pub fn kset(q: &Queue, s: &Settings) -> Result<(), Errno> {
    q.set(s)?;
    if quirks().mode_high_half {
        let mut ds = Msqid64Ds::default();
        ds.msg_perm.uid = s.uid;
        ds.msg_perm.gid = s.gid;
        ds.msg_perm.mode = (s.mode << 16) as _;
        ds.msg_qbytes = s.qbytes as _;
        msgctl_set(q.id(), &ds)?;
    }
    Ok(())
}

/// The mode a queue has after svmq's IPC_SET of `mode`, as this emulator applies it: 0 where qemu reads
/// the mode from the high half of the kernel's field (svmq writes the kernel's layout, the low half).
pub fn mode_after_svmq_set(mode: u32) -> u32 {
    if quirks().mode_high_half { 0 } else { mode }
}

/// `ipcs -q -i`-style text (the tool's `stat`) with the fields this emulator misreports replaced by `?`,
/// so that the tool's output under qemu and the native ipcs's can be compared on the rest.
pub fn mask_stat_text(text: &str) -> String {
    let k = quirks();
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        let time_line = ["send_time=", "rcv_time=", "change_time="].iter().any(|p| line.starts_with(p));
        if time_line && k.time_in_high_word {
            out.push_str(&format!("{}=?\n", line.split('=').next().unwrap()));
            continue;
        }
        let words: Vec<String> = line
            .split('\t')
            .map(|w| {
                let name = w.split('=').next().unwrap();
                let masked =
                    (name == "mode" && k.mode_high_half) || ((name == "lspid" || name == "lrpid") && k.pids_as_longs);
                if masked { format!("{name}=?{}", if w.ends_with('\n') { "\n" } else { "" }) } else { w.to_owned() }
            })
            .collect();
        out.push_str(&words.join("\t"));
    }
    out
}
