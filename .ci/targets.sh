# Sourced by .ci scripts: per-target facts for building and running svmq's tests.
#   target_env T   exports CARGO_TARGET_<T>_LINKER/_RUNNER, sets CROSS (gcc prefix), RUNNER, CARGO_TARGET_FLAGS
#                  (the cargo arguments: Debian's rustc, and -Zbuild-std where Debian ships no prebuilt std).
# The supported targets, in the order CI runs them. Adding a target: one line here (and one arch file in
# src/sys/arch/).
HOST_TARGET=x86_64-unknown-linux-gnu
ALL_TARGETS="x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu i686-unknown-linux-gnu armv7-unknown-linux-gnueabihf riscv64gc-unknown-linux-gnu powerpc-unknown-linux-gnu s390x-unknown-linux-gnu"
# The targets .ci/run checks end to end (.ci/target T): all of them.
CI_TARGETS=$ALL_TARGETS

# The runner of emulated targets whose test harnesses re-execute themselves (-Zbuild-std): see there.
CI_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
QEMU_RUN=$CI_DIR/qemu-run

target_env() {
    local t=$1 up
    up=$(echo "$t" | tr 'a-z-' 'A-Z_')
    CARGO_TARGET_FLAGS=()
    case $t in
        x86_64-unknown-linux-gnu)      CROSS=;                     RUNNER=;;
        aarch64-unknown-linux-gnu)     CROSS=aarch64-linux-gnu-;   RUNNER=qemu-aarch64;;
        i686-unknown-linux-gnu)        CROSS=i686-linux-gnu-;      RUNNER=;;   # the x86_64 kernel runs it
        armv7-unknown-linux-gnueabihf) CROSS=arm-linux-gnueabihf-; RUNNER="$QEMU_RUN qemu-arm --";;
        riscv64gc-unknown-linux-gnu)   CROSS=riscv64-linux-gnu-;   RUNNER="$QEMU_RUN qemu-riscv64 --";;
        powerpc-unknown-linux-gnu)     CROSS=powerpc-linux-gnu-;   RUNNER="$QEMU_RUN qemu-ppc --";;
        s390x-unknown-linux-gnu)       CROSS=s390x-linux-gnu-;     RUNNER="$QEMU_RUN qemu-s390x --";;
        *) echo "unsupported target $t (supported: $ALL_TARGETS)" >&2; return 1;;
    esac
    # T's own Rust flags, from c-examples/Makefile's RUSTFLAGS_T (one place, so that the archive, the
    # tests and the doctests share one standard library build): every cross target's test binaries are
    # static. .ci/vm runs them on T's real kernel from an initramfs without a C library; Debian has no
    # libc of riscv64, powerpc and s390x to run dynamic ones with under qemu-user here, and qemu's sysroot
    # (-L, QEMU_LD_PREFIX) also answers for "/" (stat("/") gives the sysroot's inode there, so ftok("/")
    # differs from the real one that Python and glibc compute).
    local flags
    flags=$(make -s -C "$CI_DIR/../c-examples" "print-RUSTFLAGS_$t")
    if [ -n "$flags" ]; then
        export "CARGO_TARGET_${up}_RUSTFLAGS=$flags" "RUSTDOCFLAGS=$flags"
    fi
    if [ "$t" != "$HOST_TARGET" ]; then
        export "CARGO_TARGET_${up}_LINKER=${CROSS}gcc"
        [ -z "$RUNNER" ] || export "CARGO_TARGET_${up}_RUNNER=$RUNNER"
        # rustup cannot fetch targets here: Debian's rustc-web (1.96) drives every cross build; it ships
        # aarch64's std prebuilt and the std source for the others (-Zbuild-std, allowed by RUSTC_BOOTSTRAP).
        export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
        CARGO_TARGET_FLAGS=(--target "$t")
        if [ "$t" != aarch64-unknown-linux-gnu ]; then
            export RUSTC_BOOTSTRAP=1
            CARGO_TARGET_FLAGS+=(-Zbuild-std=std,panic_abort,test)
        fi
    fi
}

# The Rust target_arch of a target triple (the name of its file in src/sys/arch/).
rust_arch() {
    case $1 in
        x86_64-*) echo x86_64;; aarch64-*) echo aarch64;; i686-*) echo x86;; armv7-*) echo arm;;
        riscv64*) echo riscv64;; powerpc-*) echo powerpc;; s390x-*) echo s390x;;
    esac
}
