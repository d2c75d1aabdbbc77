// msgrcv_copy_by trusted its closure to have made a successful msgrcv: one answering Ok(64) without
// calling the kernel made it read the type and 64 bytes of an uninitialized stack frame. It is private to
// the crate now (the deadline calls drive it); the public copying receive, msgrcv_copy, makes the system
// call itself.
#![forbid(unsafe_code)]

fn main() {
    let q = svmq::Queue::private(0o600).unwrap();
    let got = svmq::sys::msgrcv_copy_by::<64, _>(q.id(), 64, 0, |_attempt| Ok(64), |t, data| (t, data.len()));
    println!("{got:?}");
}
