//! Programs that must not compile: each is a way safe code once reached undefined behaviour through
//! svmq's public API (issue 24), and must stay unreachable. trybuild compiles each file under
//! `tests/compile_fail/` against the crate and compares the compiler's errors with the `.stderr` file
//! beside it, so a program that fails for another reason (a typo, a renamed item) fails the test too.
//! Refresh the expected errors after an intended change with `TRYBUILD=overwrite cargo test --test
//! compile_fail`, and review the diff.
//!
//! Run on x86_64 only (trybuild is an x86_64 dev-dependency): the messages are those of the host's
//! toolchain, and the public surface is the same on every architecture.
#![cfg(target_arch = "x86_64")]

#[test]
fn unsound_uses_of_the_raw_layer_do_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/compile_fail/*.rs");
}
