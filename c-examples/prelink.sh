#!/bin/sh
# prelink.sh LIB [TOOLPREFIX]: rewrites cargo's static library as one relocatable object holding svmq
# and exactly the compiler-runtime pieces it uses.
#
# Rust's staticlib bundles all of core and compiler_builtins (4 MB; on Debian's aarch64 toolchain also
# compiler-rt objects that refer to malloc, pthread_* and _Unwind_*). A linker would only pull what is
# used, but `nm` shows the rest as undefined, and users copy the whole file into their images. `ld -r`
# of the crate's own object against the archive pulls the same members a final link would; the result
# leaves undefined only memcpy/memset (and friends), which the C program or its libc provides.
#
# Then every symbol it defines except the svmq_* API is made local (objcopy --keep-global-symbol): a
# compiler-runtime or core function the object carries must never take the place of the program's own
# or libgcc's (a global __udivti3 here once replaced every 128-bit division of the programs that linked
# svmq). Undefined symbols stay global, so memcpy and friends still come from the program.
set -eu
lib=$(realpath "$1")
p=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
own=$(${p}ar t "$lib" | grep '^svmq-' || true)
if [ -z "$own" ]; then
    echo "prelink: $lib is already prelinked"
    exit 0
fi
# Objects of a standard library built from source (-Zbuild-std) carry embedded LLVM bitcode (.llvmbc),
# which binutils hands to an LTO plugin of another LLVM version that fails, and the relocatable link then
# comes out empty: drop those sections (the machine code beside them is what is linked).
${p}objcopy --remove-section=.llvmbc --remove-section=.llvmcmd "$lib" "$tmp/lib.a"
(cd "$tmp" && ${p}ar x lib.a $own)
# Only what the svmq_* functions reach: --gc-sections from those roots drops the rest of every pulled
# member (under -Zbuild-std, compiler_builtins is one object holding every helper, traps included).
roots=$(cd "$tmp" && ${p}nm -g --defined-only $own | awk '$3 ~ /^svmq_/ {printf " -u %s", $3}')
(cd "$tmp" && ${p}ld -r --gc-sections $roots -o svmq.o $own lib.a)
# ARM EHABI (armv7): the unwind index entries of the compact model name their personality routine
# __aeabi_unwind_cpp_pr0/1 only through an R_ARM_NONE marker, which makes a final link pull in libgcc's
# unwinder; the unwinder itself reaches the routine by the entry's index. Nothing in svmq unwinds
# (panic = "abort", nounwind C functions), so the marker is resolved here, to a symbol that becomes
# local below: the tables stay (debuggers and backtrace() still walk through svmq) and the archive
# needs no unwinder (the freestanding example links without libgcc).
ehabi=$(${p}nm -u "$tmp/svmq.o" | awk '$2 ~ /^__aeabi_unwind_cpp_pr[0-2]$/ {printf " --defsym=%s=0", $2}')
[ -z "$ehabi" ] || (cd "$tmp" && ${p}ld -r $ehabi -o svmq-ehabi.o svmq.o && mv svmq-ehabi.o svmq.o)
# No DWARF unwind tables (.eh_frame), as musl builds itself: nothing unwinds through svmq (panic = "abort",
# no callbacks), and on riscv64 binutils cannot collect garbage through them: every svmq_* function
# stayed in every program (the freestanding example: 16.7 KB; without the tables 2.1 KB).
${p}objcopy --wildcard --keep-global-symbol='svmq_*' --remove-section=.eh_frame --remove-section=.rela.eh_frame \
    "$tmp/svmq.o"
rm -f "$lib.new"
${p}ar rcsD "$lib.new" "$tmp/svmq.o"
mv "$lib.new" "$lib"
echo "prelink: $lib is now one object, $(stat -c %s "$lib") bytes"
