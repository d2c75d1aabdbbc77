//! The safe Rust API against real kernel queues: open/create, send/receive in every mode, status,
//! settings, removal, system limits, enumeration.

mod common;

use common::{Guard, as_nobody, code, read_proc, unique_key};
use svmq::{Errno, Frame, Key, Message, MsgType, Queue, RecvFlags, Select, SendFlags, Settings};

fn t(v: i64) -> MsgType {
    MsgType::new(v).unwrap()
}

fn msg<const N: usize>(ty: i64, data: &[u8]) -> Message<N> {
    Message::new(t(ty), data).unwrap()
}

fn send(q: &Queue, ty: i64, data: &[u8]) {
    q.send(&msg::<64>(ty, data)).unwrap();
}

#[test]
fn open_missing_key_is_enoent() {
    assert_eq!(Queue::open(unique_key()), Err(Errno::NOENT));
}

#[test]
fn create_then_open_finds_the_same_queue() {
    let (g, key) = Guard::keyed(0o640);
    assert_eq!(Queue::open(key).unwrap(), g.0);
    assert_eq!(Queue::create(key, 0o600).unwrap(), g.0, "IPC_CREAT on an existing key opens it");
    let st = common::kstat(&g).unwrap();
    assert_eq!(st.key, key);
    assert_eq!(st.mode, 0o640, "an existing queue keeps its mode");
}

#[test]
fn create_exclusive_on_existing_key_is_eexist() {
    let (_g, key) = Guard::keyed(0o600);
    assert_eq!(Queue::create_exclusive(key, 0o600), Err(Errno::EXIST));
}

#[test]
fn private_queues_are_distinct_and_keyless() {
    let a = Guard::private();
    let b = Guard::private();
    assert_ne!(a.0, b.0);
    assert_eq!(a.stat().unwrap().key, Key::PRIVATE);
    assert_eq!(Queue::open(Key::PRIVATE), Err(Errno::INVAL), "IPC_PRIVATE cannot be opened");
}

#[test]
fn mode_bits_outside_0777_are_rejected_before_the_kernel() {
    assert_eq!(Queue::private(0o1777), Err(Errno::INVAL));
    assert_eq!(Queue::create(unique_key(), 0o4000), Err(Errno::INVAL));
}

#[test]
fn dropping_a_handle_never_removes_the_queue() {
    let g = Guard::private();
    // Queue is Copy and has no Drop: a handle going out of scope cannot touch the kernel object.
    {
        let _copy = Queue::from_id(g.id());
    }
    assert!(g.stat().is_ok());
}

#[test]
fn send_and_receive_round_trip_with_type() {
    let q = Guard::private();
    send(&q, 7, b"hello");
    let m: Message<64> = q.recv(Select::Any).unwrap();
    assert_eq!((m.mtype().get(), m.data()), (7, &b"hello"[..]));
}

#[test]
fn zero_length_and_full_capacity_payloads() {
    let q = Guard::private();
    q.send(&msg::<8>(1, b"")).unwrap();
    q.send(&msg::<8>(1, b"12345678")).unwrap();
    assert_eq!(q.recv::<8>(Select::Any).unwrap().data(), b"");
    assert_eq!(q.recv::<8>(Select::Any).unwrap().data(), b"12345678");
}

#[test]
fn message_types_span_the_whole_positive_range() {
    let q = Guard::private();
    // Up to this target's LONG_MAX: 2^63 - 1, or 2^31 - 1 where long is 32 bits.
    let max = MsgType::MAX.get();
    for ty in [1, 2, (1 << 31) - 1, 1 << 31, 1 << 32, (1 << 62) + 3, i64::MAX].into_iter().filter(|&t| t <= max) {
        send(&q, ty, &ty.to_le_bytes());
        let m: Message<64> = q.recv(Select::Exactly(t(ty))).unwrap();
        assert_eq!(m.mtype().get(), ty);
        assert_eq!(m.data(), ty.to_le_bytes());
    }
}

#[test]
#[allow(clippy::unnecessary_cast)] // c_long is i32 on 32-bit targets
fn invalid_types_cannot_be_built() {
    assert!(MsgType::new(0).is_none());
    assert!(MsgType::new(-1).is_none());
    assert!(MsgType::new(i64::MIN).is_none());
    assert_eq!(MsgType::try_from(0), Err(Errno::INVAL));
    // A type this target's long cannot hold is refused, never truncated.
    assert_eq!(MsgType::MAX.get(), libc::c_long::MAX as i64);
    if let Some(wider) = MsgType::MAX.get().checked_add(1) {
        assert!(MsgType::new(wider).is_none());
        assert_eq!(MsgType::try_from(wider), Err(Errno::RANGE));
        assert_eq!(MsgType::try_from(1 << 40), Err(Errno::RANGE));
    }
}

#[test]
fn payload_over_capacity_is_an_error_before_any_syscall() {
    assert_eq!(Message::<4>::new(t(1), b"12345").unwrap_err(), Errno::TOOBIG);
    // A frame send longer than the frame is refused before the kernel is asked, even for a bad id.
    let f = Frame::<4>::new(t(1));
    assert_eq!(Queue::from_id(-1).send_frame(&f, 5, SendFlags::BLOCK), Err(Errno::TOOBIG));
}

#[test]
fn select_exact_type() {
    let q = Guard::private();
    send(&q, 1, b"a");
    send(&q, 2, b"b");
    send(&q, 1, b"c");
    assert_eq!(q.recv::<8>(Select::Exactly(t(2))).unwrap().data(), b"b");
    assert_eq!(q.try_recv::<8>(Select::Exactly(t(2))).unwrap_err(), Errno::NOMSG);
    assert_eq!(q.recv::<8>(Select::Exactly(t(1))).unwrap().data(), b"a");
}

#[test]
fn select_lowest_type_at_most() {
    let q = Guard::private();
    send(&q, 5, b"five");
    send(&q, 3, b"three");
    send(&q, 9, b"nine");
    send(&q, 3, b"three-b");
    let m = q.recv::<16>(Select::AtMost(t(6))).unwrap();
    assert_eq!((m.mtype().get(), m.data()), (3, &b"three"[..]));
    assert_eq!(q.recv::<16>(Select::AtMost(t(6))).unwrap().data(), b"three-b");
    assert_eq!(q.recv::<16>(Select::AtMost(t(6))).unwrap().data(), b"five");
    assert_eq!(q.try_recv::<16>(Select::AtMost(t(6))).unwrap_err(), Errno::NOMSG);
    assert_eq!(q.recv::<16>(Select::AtMost(MsgType::MAX)).unwrap().data(), b"nine");
}

#[test]
fn select_every_type_but_one() {
    let q = Guard::private();
    send(&q, 4, b"x");
    send(&q, 4, b"y");
    send(&q, 6, b"z");
    let m = q.recv::<8>(Select::Except(t(4))).unwrap();
    assert_eq!((m.mtype().get(), m.data()), (6, &b"z"[..]));
    assert_eq!(q.try_recv::<8>(Select::Except(t(4))).unwrap_err(), Errno::NOMSG);
}

#[test]
fn select_any_is_fifo() {
    let q = Guard::private();
    for (i, ty) in [9, 1, 5].into_iter().enumerate() {
        send(&q, ty, &[i as u8]);
    }
    for (i, ty) in [9, 1, 5].into_iter().enumerate() {
        let m = q.recv::<8>(Select::Any).unwrap();
        assert_eq!((m.mtype().get(), m.data()), (ty, &[i as u8][..]));
    }
}

#[test]
fn empty_queue_nowait_is_enomsg() {
    let q = Guard::private();
    assert_eq!(q.try_recv::<8>(Select::Any).unwrap_err(), Errno::NOMSG);
}

#[test]
fn too_big_stays_queued_unless_truncation_is_asked() {
    let q = Guard::private();
    send(&q, 3, b"0123456789");
    assert_eq!(q.try_recv::<4>(Select::Any).unwrap_err(), Errno::TOOBIG);
    assert_eq!(q.stat().unwrap().qnum, 1, "the long message is still queued");
    let mut m = Message::<4>::empty(t(1));
    let n = q.recv_into(&mut m, Select::Any, RecvFlags::NOWAIT | RecvFlags::TRUNCATE).unwrap();
    assert_eq!((n, m.mtype().get(), m.data()), (4, 3, &b"0123"[..]));
    assert_eq!(q.stat().unwrap().qnum, 0, "truncation consumed it");
}

#[test]
fn failed_receive_leaves_the_message_untouched() {
    let q = Guard::private();
    let mut m = msg::<4>(2, b"keep");
    send(&q, 3, b"too long for four");
    assert_eq!(q.recv_into(&mut m, Select::Any, RecvFlags::NOWAIT), Err(Errno::TOOBIG));
    assert_eq!((m.mtype().get(), m.data()), (2, &b"keep"[..]));
}

#[test]
fn zero_copy_frames_round_trip() {
    let q = Guard::private();
    let mut f = Frame::<16>::new(t(42));
    f.text_mut()[..3].copy_from_slice(b"abc");
    q.send_frame(&f, 3, SendFlags::NOWAIT).unwrap();
    let mut r = Frame::<16>::new(t(1));
    let n = q.recv_frame(&mut r, Select::Any, RecvFlags::BLOCK).unwrap();
    assert_eq!((n, r.mtype().unwrap().get(), &r.text()[..n]), (3, 42, &b"abc"[..]));
}

#[test]
fn a_failed_frame_receive_leaves_the_frame_untouched() {
    let q = Guard::private();
    let mut f = Frame::<8>::new(t(42));
    f.text_mut().copy_from_slice(b"untouch!");
    assert_eq!(q.recv_frame(&mut f, Select::Any, RecvFlags::NOWAIT), Err(Errno::NOMSG));
    assert_eq!(f.text(), b"untouch!");
    if f.mtype() != Ok(t(42)) && common::under_emulation() {
        // qemu-user's msgrcv copies its own buffer's type back to the caller's whether or not the call
        // succeeded (an uninitialised word: 0 seen on armv7, which a send of that frame then refuses).
        common::note(&format!(
            "{} emulator: a failed msgrcv wrote the buffer's mtype ({:?}); the kernel leaves it alone",
            common::TARGET,
            f.mtype()
        ));
    } else {
        assert_eq!(f.mtype(), Ok(t(42)), "a failed receive writes nothing");
    }
}

#[test]
fn peek_copies_by_position_without_dequeuing() {
    let q = Guard::private();
    send(&q, 1, b"first");
    send(&q, 2, b"second");
    match q.peek::<16>(1, RecvFlags::BLOCK) {
        Ok(m) => {
            assert_eq!((m.mtype().get(), m.data()), (2, &b"second"[..]));
            assert_eq!(q.peek::<16>(0, RecvFlags::BLOCK).unwrap().data(), b"first");
            assert_eq!(q.peek::<16>(2, RecvFlags::BLOCK).unwrap_err(), Errno::NOMSG);
            assert_eq!(q.peek::<2>(0, RecvFlags::BLOCK).unwrap_err(), Errno::TOOBIG);
            // The kernel cannot cut a copy: MSG_COPY | MSG_NOERROR on a longer message is EINVAL.
            assert_eq!(q.peek::<2>(0, RecvFlags::TRUNCATE).unwrap_err(), Errno::INVAL);
            assert_eq!(q.stat().unwrap().qnum, 2, "MSG_COPY leaves both messages queued");
        }
        Err(Errno::NOSYS) => {
            common::note("this kernel lacks MSG_COPY (CONFIG_CHECKPOINT_RESTORE): peek reports ENOSYS");
            assert_eq!(q.stat().unwrap().qnum, 2);
        }
        Err(e) => panic!("peek: {e}"),
    }
}

#[test]
fn full_queue_nowait_is_eagain_and_blocking_send_waits_for_room() {
    let q = Guard::private();
    let mut s = q.stat().unwrap().settings();
    s.qbytes = 16;
    q.set(&s).unwrap();
    q.send(&msg::<16>(1, &[7; 16])).unwrap();
    assert_eq!(q.try_send(&msg::<16>(1, b"x")), Err(Errno::AGAIN));
    // The blocking send sleeps in the kernel (spawn_blocked returns then) until the queue drains.
    let qq = q.0;
    let sender = common::spawn_blocked(move || qq.send(&msg::<16>(2, b"later")));
    assert_eq!(q.stat().unwrap().qnum, 1, "the send is still blocked");
    assert_eq!(q.recv::<16>(Select::Any).unwrap().data(), &[7; 16]);
    assert_eq!(sender.join().unwrap(), Ok(()), "room made: the blocked send completed");
    assert_eq!(q.recv::<16>(Select::Any).unwrap().data(), b"later");
}

#[test]
fn blocked_receiver_wakes_with_eidrm_when_queue_is_removed() {
    let q = Queue::private(0o600).unwrap();
    let waiter = common::spawn_blocked(move || q.recv::<8>(Select::Any));
    q.remove().unwrap();
    assert_eq!(waiter.join().unwrap().unwrap_err(), Errno::IDRM);
}

#[test]
fn removed_id_is_einval_everywhere() {
    let q = Queue::private(0o600).unwrap();
    q.remove().unwrap();
    assert_eq!(q.stat().unwrap_err(), Errno::INVAL);
    assert_eq!(q.try_send(&msg::<8>(1, b"x")), Err(Errno::INVAL));
    assert_eq!(q.try_recv::<8>(Select::Any).unwrap_err(), Errno::INVAL);
    assert_eq!(q.remove(), Err(Errno::INVAL));
}

#[test]
fn status_tracks_sends_receives_pids_and_times() {
    // The kernel's clock for these stamps, not SystemTime (a tick ahead of it: see kernel_seconds).
    let before = common::kernel_seconds();
    let q = Guard::private();
    let st = common::kstat(&q).unwrap();
    assert_eq!((st.qnum, st.cbytes, st.stime, st.rtime, st.lspid, st.lrpid), (0, 0, 0, 0, 0, 0));
    // SAFETY: geteuid/getegid cannot fail.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    assert_eq!((st.uid, st.gid, st.cuid, st.cgid, st.mode), (uid, gid, uid, gid, 0o600));
    assert!(st.ctime >= before && st.ctime <= common::kernel_seconds(), "{} not in {before}..=now", st.ctime);
    assert_eq!(st.qbytes, u64::from(read_proc("msgmnb")));
    send(&q, 1, b"12345");
    send(&q, 2, b"678");
    let st = common::kstat(&q).unwrap();
    let pid = std::process::id() as i32;
    assert_eq!((st.qnum, st.cbytes, st.lspid, st.lrpid), (2, 8, pid, 0));
    assert!(st.stime >= before && st.stime <= common::kernel_seconds() && st.rtime == 0, "{st:?}");
    q.recv::<8>(Select::Any).unwrap();
    let st = common::kstat(&q).unwrap();
    assert_eq!((st.qnum, st.cbytes), (1, 3));
    assert_eq!(st.lrpid, pid);
    assert!(st.rtime >= st.stime && st.rtime <= common::kernel_seconds(), "{st:?}");
}

#[test]
fn pids_of_another_process_are_recorded() {
    let q = Guard::private();
    // SAFETY: the child makes raw syscalls only, then _exit.
    let child = unsafe { libc::fork() };
    if child == 0 {
        let ok = q.send(&msg::<8>(1, b"c")).is_ok();
        // SAFETY: leaving the forked child.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    assert_eq!(common::wait(child), 0);
    assert_eq!(common::kstat(&q).unwrap().lspid, child);
}

#[test]
fn settings_round_trip_and_validation() {
    let q = Guard::private();
    let st = common::kstat(&q).unwrap();
    let want = Settings { uid: 1234, gid: 5678, mode: 0o604, qbytes: st.qbytes / 2 };
    common::kset(&q, &want).unwrap();
    let got = common::kstat(&q).unwrap();
    assert_eq!(got.settings(), want);
    assert_eq!((got.cuid, got.cgid), (st.cuid, st.cgid), "the creator does not change");
    assert!(got.ctime >= st.ctime);
    assert_eq!(q.set(&Settings { mode: 0o1644, ..want }), Err(Errno::INVAL), "mode bits the kernel would drop");
    // The kernel takes qbytes as a C int: refused before it can cut (2^32 + 100 would become 100) or turn
    // negative (2^31 on).
    for qbytes in [u64::MAX, (1 << 32) + 100, 1 << 32, 1 << 31] {
        assert_eq!(
            q.set(&Settings { qbytes, ..want }),
            Err(Errno::INVAL),
            "qbytes {qbytes:#x} the kernel would not keep"
        );
    }
    // i32::MAX is the kernel's to judge (above msgmnb: EPERM without CAP_SYS_RESOURCE).
    match q.set(&Settings { qbytes: i32::MAX as u64, ..want }) {
        Err(Errno::PERM) => {}
        Ok(()) => {
            assert_eq!(q.stat().unwrap().qbytes, i32::MAX as u64);
            common::kset(&q, &want).unwrap();
        }
        other => panic!("qbytes i32::MAX: {other:?}"),
    }
    assert_eq!(common::kstat(&q).unwrap().settings(), want, "a rejected set changes nothing");
}

#[test]
fn raising_qbytes_above_msgmnb_needs_cap_sys_resource() {
    let q = Guard::private();
    let mut s = q.stat().unwrap().settings();
    s.qbytes = u64::from(read_proc("msgmnb")) + 1;
    match q.set(&s) {
        Err(Errno::PERM) => {}
        Ok(()) => common::note("this process has CAP_SYS_RESOURCE: qbytes above msgmnb was accepted"),
        Err(e) => panic!("set: {e}"),
    }
}

#[test]
fn another_user_gets_eacces_and_eperm() {
    let q = Guard::with_mode(0o600);
    let id = q.id();
    let status = as_nobody(move || {
        let q = Queue::from_id(id);
        let checks = [
            code(q.try_send(&msg::<8>(1, b"x"))) == Errno::ACCESS.raw(),
            code(q.try_recv::<8>(Select::Any)) == Errno::ACCESS.raw(),
            code(q.stat()) == Errno::ACCESS.raw(),
            code(q.remove()) == Errno::PERM.raw(),
        ];
        checks.iter().position(|ok| !ok).map_or(0, |i| 10 + i as i32)
    });
    assert_eq!(status, 0, "child status (10+n: check n failed)");
}

#[test]
fn system_limits_match_proc() {
    let l = svmq::limits().unwrap();
    assert_eq!(l.msgmax, read_proc("msgmax"));
    assert_eq!(l.msgmnb, read_proc("msgmnb"));
    assert_eq!(l.msgmni, read_proc("msgmni"));
}

#[test]
fn usage_counts_our_messages() {
    let q = Guard::private();
    send(&q, 1, &[0; 40]);
    let u = svmq::usage().unwrap();
    assert!(u.queues >= 1 && u.messages >= 1 && u.bytes >= 40, "{u:?}");
    assert!(u.max_index >= 0);
}

#[test]
fn enumeration_finds_our_queue_with_its_status() {
    let (q, key) = Guard::keyed(0o640);
    send(&q, 1, b"abc");
    let mut it = svmq::queues().unwrap();
    let found = it.by_ref().find(|(found, _)| *found == q.0);
    let (_, st) = found.expect("our queue is enumerated");
    let st = common::kernel_view(q.id(), st);
    assert_eq!((st.key, st.mode, st.qnum, st.cbytes), (key, 0o640, 1, 3));
    if it.command() == svmq::StatCommand::Stat {
        common::note("MSG_STAT_ANY is not supported here (kernel < 4.17 or qemu-user); enumerated with MSG_STAT");
    }
}

#[test]
fn interrupted_blocking_receive_returns_eintr_even_with_sa_restart() {
    for restart in [false, true] {
        let q = Guard::private();
        let id = q.id();
        // SAFETY: fork; the child installs a handler, blocks in msgrcv, reports the errno via exit status.
        let child = unsafe { libc::fork() };
        if child == 0 {
            common::handle_sigalrm(restart);
            let r = Queue::from_id(id).recv::<8>(Select::Any);
            // SAFETY: leaving the child.
            unsafe { libc::_exit(code(r)) };
        }
        common::signal_when_asleep(child, libc::SIGALRM);
        assert_eq!(common::wait(child), Errno::INTR.raw(), "SA_RESTART={restart}");
    }
}

#[test]
fn errno_display_and_names() {
    assert_eq!(Errno::PERM.to_string(), "EPERM: operation not permitted");
    assert_eq!(Errno::NOMSG.name(), "ENOMSG");
    assert_eq!(Errno::IDRM.description(), "Identifier removed");
    assert_eq!(format!("{:?}", Errno::AGAIN), "Errno(EAGAIN)");
    assert_eq!(Errno::from_raw(9999).to_string(), "errno 9999");
    assert_eq!(Errno::from_raw(9999).name(), "E?");
}
