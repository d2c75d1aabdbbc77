# Shared by .ci/check-install, .ci/release and .ci/check-shared (sourced, with ROOT set to the repository):
# what an installation of svmq holds, and how to check one.

VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -1)
SHLIB=libsvmq.so.$VERSION
SONAME=libsvmq.so.${VERSION%%.*}

# The functions include/svmq.h declares, one per line.
header_functions() {
    grep -oE '^[a-z][^*(]*[ *]svmq_[a-z0-9_]+\(' "$ROOT/include/svmq.h" | grep -oE 'svmq_[a-z0-9_]+' | sort -u
}

# A variable of c-examples/Makefile for TARGET $1 ("" or "host": this machine): CC, RUN, RUN_SHARED,
# CROSS, CARGO_OUT, OUT (the C build directory, relative to c-examples/), ...
make_var() {
    local t=$1
    [ "$t" = host ] && t=
    make -s --no-print-directory -C "$ROOT/c-examples" TARGET="$t" "print-$2"
}

# Every file (or symbolic link) an installation holds, relative to its prefix, sorted; LIBDIR ($1,
# default lib) is where the libraries, svmq.pc and the CMake files go.
expected_files() {
    local lib=${1:-lib} f
    {
        printf '%s\n' bin/svmq include/svmq.h "$lib/libsvmq.a" "$lib/$SHLIB" "$lib/$SONAME" "$lib/libsvmq.so" \
            "$lib/pkgconfig/svmq.pc" "$lib/cmake/svmq/svmqConfig.cmake" "$lib/cmake/svmq/svmqConfigVersion.cmake" \
            share/man/man1/svmq.1 share/man/man3/svmq.3 share/doc/svmq/README.md share/doc/svmq/CHANGELOG.md \
            share/doc/svmq/LICENSE-MIT share/doc/svmq/LICENSE-APACHE
        header_functions | sed 's|^\(.*\)$|share/man/man3/\1.3|'
        for f in "$ROOT"/docs/*; do echo "share/doc/svmq/docs/${f##*/}"; done
    } | LC_ALL=C sort
}

# verify_tree DIR TARGET PC_PREFIX [LIBDIR [stripped]]: DIR (an installation prefix) holds exactly the
# expected files and nothing else, each equal to what it was installed from (the tool and the shared
# library stripped with TARGET's strip if "stripped") and with its mode, the links pointing where they
# should; svmq.pc says PC_PREFIX and Cargo.toml's version; the CMake files say that version, and no
# template placeholder is left in any generated file. Prints one line per problem; returns 1 if any.
verify_tree() {
    local dir=$1 t=$2 pc_prefix=$3 lib=${4:-lib} stripped=${5:-} bad=0 f src mode strip
    local cargo_out out actual
    cargo_out=$(make_var "$t" CARGO_OUT)
    out=$ROOT/c-examples/$(make_var "$t" OUT)
    strip=$(make_var "$t" CROSS)strip
    actual=$(cd "$dir" && find . -type f -o -type l | sed 's|^\./||' | LC_ALL=C sort)
    if ! diff -u <(expected_files "$lib") <(echo "$actual") >&2; then
        echo "$dir: the files differ from the expected list (- expected, + found)" >&2
        bad=1
    fi
    for f in $(expected_files "$lib"); do
        if [ "$f" = "$lib/$SONAME" ] || [ "$f" = "$lib/libsvmq.so" ]; then
            [ "$(readlink "$dir/$f")" = "$SHLIB" ] || { echo "$dir/$f: not a link to $SHLIB" >&2; bad=1; }
            continue
        fi
        [ -f "$dir/$f" ] || continue
        mode=644
        case $f in
            bin/svmq) src=$cargo_out/svmq mode=755 ;;
            include/svmq.h) src=$ROOT/include/svmq.h ;;
            "$lib/libsvmq.a") src=$cargo_out/libsvmq.a ;;
            "$lib/$SHLIB") src=$out/$SHLIB mode=755 ;;
            "$lib"/pkgconfig/svmq.pc | "$lib"/cmake/svmq/*) src= ;;
            share/man/*) src=$ROOT/man/${f#share/man/} ;;
            share/doc/svmq/*) src=$ROOT/${f#share/doc/svmq/} ;;
            *) echo "$f: no source known" >&2; bad=1; continue ;;
        esac
        if [ -n "$stripped" ] && [ "$mode" = 755 ]; then
            "$strip" -o "$dir/.stripped" "$src"
            src=$dir/.stripped
        fi
        if [ -n "$src" ] && ! cmp -s "$src" "$dir/$f"; then
            echo "$dir/$f differs from ${stripped:+the stripped }$src" >&2
            bad=1
        fi
        rm -f "$dir/.stripped"
        if [ "$(stat -c %a "$dir/$f")" != "$mode" ]; then
            echo "$dir/$f: mode $(stat -c %a "$dir/$f"), expected $mode" >&2
            bad=1
        fi
    done
    local pc=$dir/$lib/pkgconfig/svmq.pc cmake=$dir/$lib/cmake/svmq line
    for line in "prefix=$pc_prefix" 'exec_prefix=${prefix}' "libdir=\${exec_prefix}/$lib" 'includedir=${prefix}/include' \
        "Version: $VERSION" 'Cflags: -I${includedir}' 'Libs: -L${libdir} -lsvmq'; do
        grep -qxF "$line" "$pc" 2>/dev/null || { echo "$pc: no line '$line'" >&2; bad=1; }
    done
    grep -qxF "set(PACKAGE_VERSION \"$VERSION\")" "$cmake/svmqConfigVersion.cmake" 2>/dev/null ||
        { echo "$cmake/svmqConfigVersion.cmake: not version $VERSION" >&2; bad=1; }
    if grep -nE '@[A-Z_]+@' "$pc" "$cmake"/*.cmake >&2; then
        echo "placeholders left in generated files (above)" >&2
        bad=1
    fi
    if ar t "$dir/$lib/libsvmq.a" 2>/dev/null | grep -qv '^svmq\.o$'; then
        echo "$dir/$lib/libsvmq.a is not the prelinked archive (one svmq.o)" >&2
        bad=1
    fi
    return $bad
}
