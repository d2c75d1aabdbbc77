// The signal restorer (rt_sigreturn with no signal frame: a segfault) was a public safe function. The
// architecture files are private now, and restore_rt is an unsafe extern fn only the kernel jumps to.
#![forbid(unsafe_code)]

fn main() {
    svmq::sys::arch::restore_rt();
}
