//! Peak stack use of every C function and of the Rust send and receive paths, against glibc's.
//!
//! Paints 128 KiB below the stack pointer with a pattern (inline assembly, in the measuring function
//! itself: that memory belongs to no Rust object and nothing else runs below the stack pointer until the
//! call), runs the operation, then finds the deepest byte it overwrote: the depth below the caller's
//! stack pointer, the call's return address included. A `_timed` call that has to wait takes its
//! timer's signal on this stack too: the kernel writes a signal frame below the deepest frame and runs
//! svmq's handler there, so those rows include what the kernel (or, under qemu-user, the emulator)
//! puts on the stack for a signal. Used by `bench/run` and for the figures in `include/svmq.h`.
//!
//! On x86_64, aarch64 and i686 the stack pointer is read and the stack painted by inline assembly. On
//! the other targets the probe paints with volatile stores from a local of a function the measuring one
//! calls first, just below its stack pointer: the figures there can be short by that function's frame
//! (tens of bytes).
//!
//! Output: one line per path, `NAME: N bytes`.

fn main() {
    probe::main()
}

mod probe {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "x86"))]
    use core::arch::asm;
    use core::ffi::{c_long, c_void};
    use std::time::Duration;
    use svmq::capi::*;
    use svmq::{Frame, Message, MsgType, Queue, RecvFlags, Select, SendFlags};

    const PAINT: usize = 128 * 1024;
    const BYTE: u8 = 0xa5;
    /// A payload of the size `svmq_send`/`svmq_recv` accept at most.
    const N: usize = SVMQ_MAX_PAYLOAD;

    /// Without an assembly version here: the address of a local of a function called (not inlined) from
    /// the caller, so just below the caller's stack pointer (by that function's own small frame, which
    /// is gone once it returns).
    #[inline(never)]
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "x86")))]
    fn stack_pointer() -> usize {
        let local = 0u8;
        core::hint::black_box(&local) as *const u8 as usize & !15
    }

    #[inline(always)]
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "x86"))]
    fn stack_pointer() -> usize {
        let sp: usize;
        // SAFETY: reads the stack pointer register.
        unsafe {
            #[cfg(target_arch = "x86_64")]
            asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack));
            #[cfg(target_arch = "x86")]
            asm!("mov {}, esp", out(reg) sp, options(nomem, nostack));
            #[cfg(target_arch = "aarch64")]
            asm!("mov {}, sp", out(reg) sp, options(nomem, nostack));
        }
        sp
    }

    /// Fills [low, low + len) with BYTE. Inlined into `depth`: no call frame of its own below the stack
    /// pointer while it paints there.
    #[inline(always)]
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "x86")))]
    fn paint(low: usize, len: usize) {
        for a in low..low + len {
            // SAFETY: as below; a loop of stores that makes no call.
            unsafe { core::ptr::write_volatile(a as *mut u8, BYTE) };
        }
    }

    /// Fills [low, low + len) with BYTE. Inlined into `depth`: no call frame of its own below the stack
    /// pointer while it paints there.
    #[inline(always)]
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "x86"))]
    fn paint(low: usize, len: usize) {
        // SAFETY: the range lies below the current stack pointer, inside this thread's 1 MiB stack, and is not
        // in use by anything (the callee frames that will use it are not running yet).
        unsafe {
            #[cfg(target_arch = "x86_64")]
            asm!("rep stosb", inout("rdi") low => _, inout("rcx") len => _, in("al") BYTE, options(nostack));
            #[cfg(target_arch = "x86")]
            asm!("rep stosb", inout("edi") low => _, inout("ecx") len => _, in("al") BYTE, options(nostack));
            #[cfg(target_arch = "aarch64")]
            asm!("2: strb {v:w}, [{p}], #1", "subs {n}, {n}, #1", "b.ne 2b",
             p = inout(reg) low => _, n = inout(reg) len => _, v = in(reg) u32::from(BYTE), options(nostack));
        }
    }

    /// How many bytes from `low` upward still hold BYTE.
    #[inline(always)]
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "x86")))]
    fn untouched(low: usize, len: usize) -> usize {
        // SAFETY: reads the painted range only.
        (low..low + len).take_while(|&a| unsafe { core::ptr::read_volatile(a as *const u8) } == BYTE).count()
    }

    /// How many bytes from `low` upward still hold BYTE.
    #[inline(always)]
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "x86"))]
    fn untouched(low: usize, len: usize) -> usize {
        let mut p = low;
        let mut n = len;
        // SAFETY: reads the painted range only.
        unsafe {
            #[cfg(target_arch = "x86_64")]
            asm!("repe scasb", inout("rdi") p, inout("rcx") n, in("al") BYTE, options(nostack, readonly));
            #[cfg(target_arch = "x86")]
            asm!("repe scasb", inout("edi") p, inout("ecx") n, in("al") BYTE, options(nostack, readonly));
            #[cfg(target_arch = "aarch64")]
            asm!("2: ldrb {t:w}, [{p}], #1", "cmp {t:w}, {v:w}", "b.ne 3f", "subs {n}, {n}, #1", "b.ne 2b", "3:",
             p = inout(reg) p, n = inout(reg) n, t = out(reg) _, v = in(reg) u32::from(BYTE),
             options(nostack, readonly));
        }
        let _ = n;
        p - low - 1
    }

    /// Bytes of stack below the caller's stack pointer that `op` touched.
    #[inline(never)]
    fn depth(op: &mut dyn FnMut()) -> usize {
        let sp = stack_pointer();
        let low = sp - PAINT;
        paint(low, PAINT);
        op();
        sp - (low + untouched(low, PAINT))
    }

    fn check(what: &str, r: i64, want: i64) {
        assert_eq!(r, want, "{what}");
    }

    /// Measures every path on the calling thread; `rows` in output order.
    fn measure(q: Queue, rows: &mut Vec<(String, usize)>) {
        let id = q.id();
        let mut row = |name: &str, op: &mut dyn FnMut()| {
            // The deepest of three runs: a path may take a branch the first time only (a signal
            // disposition installed once) or, for the spin, poll a different number of times.
            let mut d = 0;
            for _ in 0..3 {
                d = d.max(depth(op));
            }
            rows.push((name.to_owned(), d));
        };
        row("nothing (the call of an empty closure)", &mut || {});
        let t = MsgType::MIN;
        let msg = Message::<N>::new(t, &[7; N]).unwrap();
        let mut back = Message::<N>::empty(t);
        row("Rust Queue::send + recv_into, Message<8192>", &mut || {
            q.send(&msg).unwrap();
            q.recv_into(&mut back, Select::Any, RecvFlags::BLOCK).unwrap();
        });
        let mut f = Box::new(Frame::<N>::new(t));
        row("Rust Queue::send_frame + recv_frame, Frame<8192>", &mut || {
            q.send_frame(&f, N, SendFlags::BLOCK).unwrap();
            q.recv_frame(&mut f, Select::Any, RecvFlags::BLOCK).unwrap();
        });
        row("Rust Queue::recv_timeout, waiting until the deadline (timer signal on this stack)", &mut || {
            assert_eq!(q.recv_timeout::<N>(Select::Any, Duration::from_millis(2)).unwrap_err(), svmq::Errno::TIMEDOUT);
        });

        let mut buf = vec![7u8; N];
        let (p, pm) = (buf.as_ptr().cast::<c_void>(), buf.as_mut_ptr().cast::<c_void>());
        // SAFETY (every unsafe block below): the pointers cover the lengths passed with them: buf holds
        // N bytes, raw a long followed by N bytes, the out-parameters are locals of their types.
        row("svmq_send + svmq_recv (8192 bytes)", &mut || unsafe {
            check("svmq_send", i64::from(svmq_send(id, 1, p, N, 0)), 0);
            check("svmq_recv", svmq_recv(id, 0, pm, N, std::ptr::null_mut(), 0), N as i64);
        });
        // One buffer to send from, one to receive into: qemu-user writes a buffer's mtype even when
        // msgrcv fails (a timed-out receive left 0 there on armv7, and the next send was EINVAL).
        let mut raw = vec![0u8; size_of::<c_long>() + N];
        raw[..size_of::<c_long>()].copy_from_slice(&(1 as c_long).to_ne_bytes());
        let mut into = vec![0u8; size_of::<c_long>() + N];
        let (r, rm) = (raw.as_ptr().cast::<c_void>(), into.as_mut_ptr().cast::<c_void>());
        row("svmq_send_raw + svmq_recv_raw (8192 bytes)", &mut || unsafe {
            check("svmq_send_raw", i64::from(svmq_send_raw(id, r, N, 0)), 0);
            check("svmq_recv_raw", svmq_recv_raw(id, rm, N, 0, 0), N as i64);
        });
        row("svmq_send_timed + svmq_recv_timed, no wait (8192 bytes)", &mut || unsafe {
            check("svmq_send_timed", i64::from(svmq_send_timed(id, 1, p, N, 0, 1_000_000_000)), 0);
            check("svmq_recv_timed", svmq_recv_timed(id, 0, pm, N, std::ptr::null_mut(), 0, 1_000_000_000), N as i64);
        });
        row("svmq_recv_timed, waiting until the deadline (timer signal on this stack)", &mut || unsafe {
            let r = svmq_recv_timed(id, 0, pm, N, std::ptr::null_mut(), 0, 2_000_000);
            check("svmq_recv_timed", r, -i64::from(libc::ETIMEDOUT));
        });
        row("svmq_send_raw_timed + svmq_recv_raw_timed, no wait (8192 bytes)", &mut || unsafe {
            check("svmq_send_raw_timed", i64::from(svmq_send_raw_timed(id, r, N, 0, 1_000_000_000)), 0);
            check("svmq_recv_raw_timed", svmq_recv_raw_timed(id, rm, N, 0, 0, 1_000_000_000), N as i64);
        });
        row("svmq_recv_raw_timed, waiting until the deadline (timer signal on this stack)", &mut || unsafe {
            check("svmq_recv_raw_timed", svmq_recv_raw_timed(id, rm, N, 0, 0, 2_000_000), -i64::from(libc::ETIMEDOUT));
        });
        // A full queue: filled to its byte limit (no IPC_SET, which qemu-user converts its own way).
        let full = Queue::private(0o600).unwrap();
        for len in [N, 1] {
            // SAFETY: as above.
            while unsafe { svmq_send_raw(full.id(), r, len, SVMQ_IPC_NOWAIT) } == 0 {}
        }
        row("svmq_send_raw_timed, waiting until the deadline (timer signal on this stack)", &mut || unsafe {
            check(
                "svmq_send_raw_timed",
                i64::from(svmq_send_raw_timed(full.id(), r, 1, 0, 2_000_000)),
                -i64::from(libc::ETIMEDOUT),
            );
        });
        row("svmq_send_timed, waiting until the deadline (timer signal on this stack)", &mut || unsafe {
            check(
                "svmq_send_timed",
                i64::from(svmq_send_timed(full.id(), 1, p, 1, 0, 2_000_000)),
                -i64::from(libc::ETIMEDOUT),
            );
        });
        full.remove().unwrap();
        let mut spin = SvmqSpin::default();
        row("svmq_spin_init", &mut || unsafe {
            check("svmq_spin_init", i64::from(svmq_spin_init(&mut spin, SVMQ_SPIN_DEFAULT_NS)), 0);
        });
        // A sender thread started before the measurement queues a message every 30 us, so that each
        // spinning receive polls for a while (the thread's own stack is not the one painted).
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let sender = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_micros(30));
                    let _ = Queue::from_id(id).try_send(&Message::<1>::new(MsgType::MIN, b"x").unwrap());
                }
            })
        };
        row("svmq_recv_raw_spin, polling until a message arrives", &mut || unsafe {
            check("svmq_recv_raw_spin", svmq_recv_raw_spin(id, rm, N, 0, 0, &mut spin), 1);
        });
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        sender.join().unwrap();
        while q.try_recv::<1>(Select::Any).is_ok() {}
        let mut st = SvmqStat::default();
        row("svmq_stat", &mut || unsafe { check("svmq_stat", i64::from(svmq_stat(id, &mut st)), 0) });
        let set = SvmqSet { uid: st.uid, gid: st.gid, mode: st.mode, qbytes: st.qbytes };
        row("svmq_set", &mut || unsafe { check("svmq_set", i64::from(svmq_set(id, &set)), 0) });
        let mut lim = SvmqLimits::default();
        row("svmq_limits", &mut || unsafe { check("svmq_limits", i64::from(svmq_limits(&mut lim)), 0) });
        row("svmq_stat_index", &mut || unsafe {
            // Any answer will do (the slot may be empty): the deepest path is the one that asks twice.
            let _ = svmq_stat_index(0, &mut st);
        });
        let mut key = 0;
        row("svmq_ftok", &mut || unsafe { check("svmq_ftok", i64::from(svmq_ftok(c"/".as_ptr(), 1, &mut key)), 0) });
        row("svmq_get + svmq_remove", &mut || {
            let made = svmq_get(SVMQ_IPC_PRIVATE, 0o600);
            assert!(made >= 0, "svmq_get: {made}");
            check("svmq_remove", i64::from(svmq_remove(made)), 0);
        });
        row("svmq_timeout_signal", &mut || check("svmq_timeout_signal", i64::from(svmq_timeout_signal(0)), 62));
        row("svmq_strerror + svmq_errname + svmq_version", &mut || {
            assert!(!svmq_strerror(-libc::ENOMSG).is_null());
            assert!(!svmq_errname(-libc::ENOMSG).is_null());
            assert!(!svmq_version().is_null());
        });
        row("glibc msgsnd + msgrcv (8192 bytes)", &mut || unsafe {
            assert_eq!(libc::msgsnd(id, r, N, 0), 0);
            assert_eq!(libc::msgrcv(id, rm, N, 0, 0), N as isize);
        });
    }

    pub fn main() {
        let q = Queue::private(0o600).expect("msgget");
        let run = std::thread::Builder::new().stack_size(1 << 20).spawn(move || {
            let mut rows = Vec::new();
            measure(q, &mut rows);
            rows
        });
        let rows = run.expect("thread").join();
        q.remove().expect("msgctl");
        for (name, bytes) in rows.expect("probe") {
            println!("{name}: {bytes} bytes");
        }
    }
}
