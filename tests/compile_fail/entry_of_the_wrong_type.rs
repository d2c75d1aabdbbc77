// svmq_entry! defines _start, which calls its function with the initial stack pointer and never expects
// it to return: a function of another type (another ABI, returning) does not compile.
#![forbid(unsafe_code)]

fn entry() -> i32 {
    0
}

svmq::svmq_entry!(entry);

fn main() {}
