//! Peak stack use of one send and one receive of 8 KiB, for each path, against glibc's.
//!
//! Paints 128 KiB below the stack pointer with a pattern (inline assembly: that memory belongs to no Rust
//! object), runs the operation, then finds the deepest byte it overwrote: the depth below the caller's
//! stack pointer, call overhead included. The first 512 bytes are not painted (the painting code's own
//! frame lives there), so anything shallower reads as "< 512". Used by `bench/run`.

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn main() {
    println!("examples/stack: the painted-stack probe is written for x86_64 and aarch64 only");
}

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
fn main() {
    probe::main()
}

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
mod probe {
    use core::arch::asm;
    use core::ffi::c_void;
    use svmq::{Frame, Message, MsgType, Queue, RecvFlags, Select, SendFlags};

    const PAINT: usize = 128 * 1024;
    const MARGIN: usize = 512;
    const BYTE: u8 = 0xa5;

    fn stack_pointer() -> usize {
        let sp: usize;
        // SAFETY: reads the stack pointer register.
        unsafe {
            #[cfg(target_arch = "x86_64")]
            asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack));
            #[cfg(target_arch = "aarch64")]
            asm!("mov {}, sp", out(reg) sp, options(nomem, nostack));
        }
        sp
    }

    /// Fills [low, low + len) with BYTE.
    fn paint(low: usize, len: usize) {
        // SAFETY: the range lies below the current stack pointer, inside this thread's 1 MiB stack, and is not
        // in use by anything (the callee frames that will use it are not running yet).
        unsafe {
            #[cfg(target_arch = "x86_64")]
            asm!("rep stosb", inout("rdi") low => _, inout("rcx") len => _, in("al") BYTE, options(nostack));
            #[cfg(target_arch = "aarch64")]
            asm!("2: strb {v:w}, [{p}], #1", "subs {n}, {n}, #1", "b.ne 2b",
             p = inout(reg) low => _, n = inout(reg) len => _, v = in(reg) u32::from(BYTE), options(nostack));
        }
    }

    /// How many bytes from `low` upward still hold BYTE.
    fn untouched(low: usize, len: usize) -> usize {
        let mut p = low;
        let mut n = len;
        // SAFETY: reads the painted range only.
        unsafe {
            #[cfg(target_arch = "x86_64")]
            asm!("repe scasb", inout("rdi") p, inout("rcx") n, in("al") BYTE, options(nostack, readonly));
            #[cfg(target_arch = "aarch64")]
            asm!("2: ldrb {t:w}, [{p}], #1", "cmp {t:w}, {v:w}", "b.ne 3f", "subs {n}, {n}, #1", "b.ne 2b", "3:",
             p = inout(reg) p, n = inout(reg) n, t = out(reg) _, v = in(reg) u32::from(BYTE),
             options(nostack, readonly));
        }
        let _ = n;
        p - low - 1
    }

    /// Bytes of stack below the caller's frame that `op` touched.
    #[inline(never)]
    fn depth(op: &mut dyn FnMut()) -> usize {
        let sp = stack_pointer() - MARGIN;
        let low = sp - PAINT;
        paint(low, PAINT);
        op();
        sp - (low + untouched(low, PAINT)) + MARGIN
    }

    pub fn main() {
        const N: usize = 8192;
        let q = Queue::private(0o600).expect("msgget");
        let t = MsgType::MIN;
        let run = std::thread::Builder::new().stack_size(1 << 20).spawn(move || {
            let mut rows = Vec::new();
            let msg = Message::<N>::new(t, &[7; N]).unwrap();
            let mut back = Message::<N>::empty(t);
            let d = depth(&mut || {
                q.send(&msg).unwrap();
                q.recv_into(&mut back, Select::Any, RecvFlags::BLOCK).unwrap();
            });
            rows.push(("svmq Rust, Message<8192> (send + recv_into)", d));
            let mut f = Box::new(Frame::<N>::new(t));
            let d = depth(&mut || {
                q.send_frame(&f, N, SendFlags::BLOCK).unwrap();
                q.recv_frame(&mut f, Select::Any, RecvFlags::BLOCK).unwrap();
            });
            rows.push(("svmq Rust, Frame<8192> (send_frame + recv_frame)", d));
            let mut buf = vec![7u8; N];
            let d = depth(&mut || {
                // SAFETY: buf holds N bytes.
                unsafe {
                    assert_eq!(svmq::capi::svmq_send(q.id(), 1, buf.as_ptr().cast(), N, 0), 0);
                    let n = svmq::capi::svmq_recv(q.id(), 0, buf.as_mut_ptr().cast(), N, std::ptr::null_mut(), 0);
                    assert_eq!(n, N as i64);
                }
            });
            rows.push(("svmq C ABI, svmq_send + svmq_recv", d));
            let mut raw = vec![0u8; 8 + N];
            raw[..8].copy_from_slice(&1i64.to_ne_bytes());
            let d = depth(&mut || {
                // SAFETY: raw is a long followed by N bytes.
                unsafe {
                    assert_eq!(svmq::capi::svmq_send_raw(q.id(), raw.as_ptr().cast(), N, 0), 0);
                    assert_eq!(svmq::capi::svmq_recv_raw(q.id(), raw.as_mut_ptr().cast(), N, 0, 0), N as i64);
                }
            });
            rows.push(("svmq C ABI, svmq_send_raw + svmq_recv_raw", d));
            let d = depth(&mut || {
                // SAFETY: raw is a long followed by N bytes.
                unsafe {
                    assert_eq!(libc::msgsnd(q.id(), raw.as_ptr() as *const c_void, N, 0), 0);
                    assert_eq!(libc::msgrcv(q.id(), raw.as_mut_ptr() as *mut c_void, N, 0, 0), N as isize);
                }
            });
            rows.push(("glibc, msgsnd + msgrcv", d));
            rows
        });
        let rows = run.expect("thread").join().expect("probe");
        q.remove().expect("msgctl");
        for (name, bytes) in rows {
            // A fully untouched paint reads as MARGIN + 1 (the scan's last step).
            if bytes > MARGIN + 1 {
                println!("{name}: {bytes} bytes");
            } else {
                println!("{name}: < {MARGIN} bytes");
            }
        }
    }
}
