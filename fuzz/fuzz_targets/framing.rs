//! Message framing: any payload and type through `Message`, `Frame` and the receive capacities and
//! flags, on a real queue. What comes back is what went in, cut only when truncation was asked for;
//! a message too long for the buffer stays queued.
#![no_main]

use libfuzzer_sys::fuzz_target;
use svmq::{Errno, Frame, Message, MsgType, Queue, RecvFlags, Select, SendFlags};

fuzz_target!(|data: &[u8]| {
    if data.len() < 9 {
        return;
    }
    let mtype = MsgType::new(i64::from_le_bytes(data[..8].try_into().unwrap()) & i64::MAX).unwrap_or(MsgType::MIN);
    let mode = data[8];
    let payload = &data[9..];
    let q = Queue::private(0o600).unwrap();
    match Message::<256>::new(mtype, payload) {
        Err(e) => assert!(e == Errno::TOOBIG && payload.len() > 256),
        Ok(m) => {
            if mode & 1 == 0 {
                q.try_send(&m).unwrap();
            } else {
                let mut f = Frame::<256>::new(mtype);
                f.text_mut()[..payload.len()].copy_from_slice(payload);
                q.send_frame(&f, payload.len(), SendFlags::NOWAIT).unwrap();
            }
            // A small receive: E2BIG and still queued, or truncated on request.
            let mut small = Message::<16>::empty(MsgType::MIN);
            let truncate = mode & 2 != 0;
            let flags = if truncate { RecvFlags::NOWAIT | RecvFlags::TRUNCATE } else { RecvFlags::NOWAIT };
            match q.recv_into(&mut small, Select::Exactly(mtype), flags) {
                Ok(n) => {
                    assert!(payload.len() <= 16 || truncate);
                    assert_eq!(&payload[..n], small.data());
                    assert_eq!(n, payload.len().min(16));
                }
                Err(Errno::TOOBIG) => {
                    assert!(payload.len() > 16 && !truncate);
                    let back: Message<256> = q.try_recv(Select::Any).unwrap();
                    assert_eq!(back, m);
                }
                Err(e) => panic!("{e}"),
            }
            assert_eq!(q.stat().unwrap().qnum, 0);
        }
    }
    q.remove().unwrap();
});
