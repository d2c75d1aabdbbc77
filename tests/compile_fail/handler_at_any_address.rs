// A safe program installed 0xdeadb000 as a signal handler through the public (and safe) rt_sigaction,
// armed a timer through the safe timer calls, and died with SIGSEGV at that address. The signal and timer
// layers are private now; inside the crate rt_sigaction is an unsafe fn and the handler field is private.
#![forbid(unsafe_code)]

use svmq::sys::signal::{KSigaction, rt_sigaction};
use svmq::sys::time::{timer_create_for_thread, timer_settime};

fn main() {
    let act = KSigaction { handler: 0xdead_b000, ..KSigaction::default() };
    rt_sigaction(62, Some(&act), None).unwrap();
    let id = timer_create_for_thread(1, 62, 0).unwrap();
    let _ = timer_settime(id, 0, &Default::default());
}
