#!/bin/sh
# The shared library exports exactly the functions the public headers
# declare with BSC_API, and nothing else (as jansson's check-exports).
: "${top_srcdir:=.}" "${top_builddir:=.}"
lib="$top_builddir/.libs/libbsclass.so"
[ -f "$lib" ] || { echo "skip: no shared library"; exit 77; }
command -v nm >/dev/null 2>&1 || { echo "skip: no nm"; exit 77; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBR]$/ { print $3 }' | sort -u > "$tmp/exported"
cat "$top_srcdir/include/bsclass.h" "$top_srcdir/include/bsclass-gmime.h" |
	tr '\n' ' ' | sed 's/BSC_API/\n&/g' | grep '^BSC_API' |
	sed -n 's/^BSC_API[^(]*[ *]\(bsc_[a-z0-9_]*\) *(.*/\1/p' | sort -u > "$tmp/declared"
if ! diff -u "$tmp/declared" "$tmp/exported"; then
	echo "FAIL: exported symbols differ from the BSC_API declarations (- declared, + exported)"
	exit 1
fi
echo "ok: $(wc -l < "$tmp/exported") symbols, all declared"
