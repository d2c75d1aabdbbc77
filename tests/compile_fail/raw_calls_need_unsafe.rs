// What stays public and can reach memory takes raw pointers, and is an unsafe fn: the system call
// instruction and the raw-pointer message calls. Safe code cannot call them.
#![forbid(unsafe_code)]

fn main() {
    let mut buf = [0u8; 16];
    let _ = svmq::sys::raw::syscall3(svmq::sys::raw::nr::READ, 0, buf.as_mut_ptr() as usize, 16);
    let _ = svmq::sys::msgrcv(0, buf.as_mut_ptr().cast(), 8, 0, 0);
}
