#!/bin/sh
# fuzz/build.sh - builds the libFuzzer targets with clang, apart from the
# normal (gcc, libtool) build: the library's sources are compiled directly
# with AddressSanitizer, UBSan and libFuzzer's coverage, and linked into
# each target.  See fuzz/README.md.
#
# Usage: fuzz/build.sh [OUTDIR]      (default: fuzz/out under the current folder)
# Environment: FUZZ_CC (default clang; not CC, which names the normal build's
# compiler), FUZZ_CFLAGS (extra compiler flags).
set -eu

srcdir=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-fuzz/out}
mkdir -p "$out/obj" "$out/include"
out=$(cd "$out" && pwd)
CC=${FUZZ_CC:-clang}
case $($CC --version 2>/dev/null) in
*clang*) ;;
*) echo "fuzz/build.sh: $CC is not clang; libFuzzer needs clang (FUZZ_CC=clang-14 ...)" >&2; exit 1 ;;
esac

deps="gmime-3.0 libpcre2-8"
pkg_cflags=$(pkg-config --cflags $deps)
pkg_libs=$(pkg-config --libs $deps)

# The few definitions the sources take from configure's config.h.
cat >"$out/include/config.h.new" <<EOC
/* Written by fuzz/build.sh for the fuzzing build. */
#define _GNU_SOURCE 1
#define PACKAGE_VERSION "fuzz"
EOC
if cmp -s "$out/include/config.h.new" "$out/include/config.h"; then
	rm -f "$out/include/config.h.new"
else
	mv "$out/include/config.h.new" "$out/include/config.h"
fi

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cflags="-std=gnu11 -g -O1 $san -I$out/include -I$srcdir/include -I$srcdir/libbsclass $pkg_cflags ${FUZZ_CFLAGS:-}"

# The library, compiled once for every target (only what changed is rebuilt).
objs=
for src in "$srcdir"/libbsclass/*.c; do
	obj=$out/obj/$(basename "$src" .c).o
	stale=$([ -f "$obj" ] || echo yes)
	for dep in "$src" "$srcdir"/libbsclass/*.h "$srcdir"/include/*.h; do
		[ -n "$stale" ] || [ ! "$dep" -nt "$obj" ] || stale=yes
	done
	if [ -n "$stale" ]; then
		$CC $cflags -fsanitize=fuzzer-no-link "-DBSC_RULES_DIR=\"$srcdir/rules\"" -c "$src" -o "$obj"
	fi
	objs="$objs $obj"
done

for target in classify dsn rules config; do
	bin=$out/fuzz-$target
	stale=$([ -f "$bin" ] || echo yes)
	for dep in "$srcdir/fuzz/fuzz-$target.c" "$srcdir/fuzz/fuzz-common.h" $objs; do
		[ -n "$stale" ] || [ ! "$dep" -nt "$bin" ] || stale=yes
	done
	[ -n "$stale" ] || continue
	$CC $cflags -fsanitize=fuzzer "-DFUZZ_RULES_DIR=\"$srcdir/rules\"" \
		"$srcdir/fuzz/fuzz-$target.c" $objs $pkg_libs -lpthread -o "$bin.new"
	mv "$bin.new" "$bin"
done
echo "fuzz/build.sh: built fuzz-classify fuzz-dsn fuzz-rules fuzz-config in $out"
