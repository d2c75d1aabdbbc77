# Shared by .ci/check-install and .ci/release (sourced, with ROOT set to the repository): what an
# installation of svmq holds, and how to check one.

VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -1)

# The functions include/svmq.h declares, one per line.
header_functions() {
    grep -oE '^[a-z][^*(]*[ *]svmq_[a-z0-9_]+\(' "$ROOT/include/svmq.h" | grep -oE 'svmq_[a-z0-9_]+' | sort -u
}

# A variable of c-examples/Makefile for TARGET $1 ("" or "host": this machine): CC, RUN, CROSS, CARGO_OUT.
make_var() {
    local t=$1
    [ "$t" = host ] && t=
    make -s --no-print-directory -C "$ROOT/c-examples" TARGET="$t" "print-$2"
}

# Every file an installation holds, relative to its prefix, sorted.
expected_files() {
    {
        printf '%s\n' bin/svmq include/svmq.h lib/libsvmq.a lib/pkgconfig/svmq.pc share/man/man1/svmq.1 \
            share/man/man3/svmq.3 share/doc/svmq/README.md share/doc/svmq/CHANGELOG.md \
            share/doc/svmq/LICENSE-MIT share/doc/svmq/LICENSE-APACHE
        header_functions | sed 's|^\(.*\)$|share/man/man3/\1.3|'
    } | LC_ALL=C sort
}

# verify_tree DIR CARGO_OUT PC_PREFIX: DIR (an installation prefix) holds exactly the expected files and
# nothing else, each equal to what it was installed from and with its mode, and svmq.pc says PC_PREFIX
# and Cargo.toml's version. Prints one line per problem; returns 1 if any.
verify_tree() {
    local dir=$1 out=$2 pc_prefix=$3 bad=0 f src mode
    local actual
    actual=$(cd "$dir" && find . -type f -o -type l | sed 's|^\./||' | LC_ALL=C sort)
    if ! diff -u <(expected_files) <(echo "$actual") >&2; then
        echo "$dir: the files differ from the expected list (- expected, + found)" >&2
        bad=1
    fi
    for f in $(expected_files); do
        [ -f "$dir/$f" ] || continue
        mode=644
        case $f in
            bin/svmq) src=$out/svmq mode=755 ;;
            include/svmq.h) src=$ROOT/include/svmq.h ;;
            lib/libsvmq.a) src=$out/libsvmq.a ;;
            lib/pkgconfig/svmq.pc) src= ;;
            share/man/*) src=$ROOT/man/${f#share/man/} ;;
            share/doc/svmq/*) src=$ROOT/${f#share/doc/svmq/} ;;
            *) echo "$f: no source known" >&2; bad=1; continue ;;
        esac
        if [ -n "$src" ] && ! cmp -s "$src" "$dir/$f"; then
            echo "$dir/$f differs from $src" >&2
            bad=1
        fi
        if [ "$(stat -c %a "$dir/$f")" != "$mode" ]; then
            echo "$dir/$f: mode $(stat -c %a "$dir/$f"), expected $mode" >&2
            bad=1
        fi
    done
    local pc=$dir/lib/pkgconfig/svmq.pc line
    for line in "prefix=$pc_prefix" 'libdir=${prefix}/lib' 'includedir=${prefix}/include' "Version: $VERSION" \
        'Cflags: -I${includedir}' 'Libs: -L${libdir} -lsvmq'; do
        grep -qxF "$line" "$pc" 2>/dev/null || { echo "$pc: no line '$line'" >&2; bad=1; }
    done
    if ar t "$dir/lib/libsvmq.a" 2>/dev/null | grep -qv '^svmq\.o$'; then
        echo "$dir/lib/libsvmq.a is not the prelinked archive (one svmq.o)" >&2
        bad=1
    fi
    return $bad
}
