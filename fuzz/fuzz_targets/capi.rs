//! Random calls into the C ABI: ids (live, removed, invalid), NULL and short buffers, lengths, types and
//! flags. Every answer must be >= 0 or a negative errno; nothing may crash, read or write out of bounds
//! (AddressSanitizer watches), block (IPC_NOWAIT is always set), or leave a queue behind.
#![no_main]

use libfuzzer_sys::fuzz_target;
use svmq::capi::*;

struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        let n = N.min(self.0.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        out
    }
    fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }
    fn i64(&mut self) -> i64 {
        i64::from_le_bytes(self.take())
    }
    fn i32(&mut self) -> i32 {
        i32::from_le_bytes(self.take())
    }
}

fn check(r: i64) {
    assert!(r >= 0 || (1..=133).contains(&-r), "not an errno: {r}");
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let live = [svmq_get(SVMQ_IPC_PRIVATE, 0o600), svmq_get(SVMQ_IPC_PRIVATE, 0o600)];
    let dead = svmq_get(SVMQ_IPC_PRIVATE, 0o600);
    svmq_remove(dead);
    let mut buf = vec![0u8; 8 + 8192];
    while !b.0.is_empty() {
        let op = b.u8();
        let id = match b.u8() % 5 {
            0 => live[0],
            1 => live[1],
            2 => dead,
            3 => -1,
            _ => b.i32(),
        };
        let mtype = b.i64();
        let flags = b.i32() | SVMQ_IPC_NOWAIT;
        let raw_len = u16::from_le_bytes(b.take()) as usize;
        let cap = raw_len.min(8192); // within the real buffer: "short" when smaller than the message
        let null = b.u8() % 6 == 0;
        let p = if null { std::ptr::null_mut() } else { buf.as_mut_ptr() };
        // SAFETY: every non-NULL pointer covers the length passed with it (buf is 8 + 8192 bytes); the
        // copy functions check raw_len against SVMQ_MAX_PAYLOAD before touching the buffer.
        let r: i64 = unsafe {
            match op % 10 {
                0 => i64::from(svmq_send(id, mtype, p.cast(), raw_len, flags)),
                1 => {
                    let mut t = 0;
                    svmq_recv(id, mtype, p.cast(), raw_len, if null { std::ptr::null_mut() } else { &mut t }, flags)
                }
                2 => {
                    if !null {
                        buf[..8].copy_from_slice(&mtype.to_ne_bytes());
                    }
                    i64::from(svmq_send_raw(id, p.cast(), cap, flags))
                }
                3 => svmq_recv_raw(id, p.cast(), cap, mtype, flags),
                4 => {
                    let mut st = SvmqStat::default();
                    i64::from(svmq_stat(id, if null { std::ptr::null_mut() } else { &mut st }))
                }
                5 => {
                    // Never on the live queues: a random mode could lock this process out of them.
                    let target = if live.contains(&id) { dead } else { id };
                    let s = SvmqSet { uid: 0, gid: 0, mode: flags as u32, qbytes: mtype as u64 };
                    i64::from(svmq_set(target, if null { std::ptr::null() } else { &s }))
                }
                6 => {
                    let mut st = SvmqStat::default();
                    i64::from(svmq_stat_index(id, if null { std::ptr::null_mut() } else { &mut st }))
                }
                7 => {
                    let mut l = SvmqLimits::default();
                    i64::from(svmq_limits(if null { std::ptr::null_mut() } else { &mut l }))
                }
                8 => {
                    let mut spin = SvmqSpin::default();
                    svmq_spin_init(&mut spin, 1000);
                    svmq_recv_raw_spin(id, p.cast(), cap, mtype, flags, if null { std::ptr::null_mut() } else { &mut spin })
                }
                _ => {
                    let s = svmq_strerror(id);
                    assert!(!s.is_null() && !svmq_errname(id).is_null());
                    0
                }
            }
        };
        check(r);
    }
    for id in live {
        assert_eq!(svmq_remove(id), 0, "the live queues survived");
    }
});
