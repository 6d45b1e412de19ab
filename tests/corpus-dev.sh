#!/bin/sh
# Runs bsclassify over the shared real-world corpus and checks that every
# mail gets exactly one JSON line with a kind or an error; prints the
# score-corpus figures when the scorer is there.  Skips (77) without it.
: "${top_srcdir:=.}" "${top_builddir:=.}" "${BSC_RULES:=$top_srcdir/rules}"
dev="$top_srcdir/../shared/corpus-dev"
[ -f "$dev/labels.jsonl" ] || { echo "skip: $dev not present"; exit 77; }
bin="$top_builddir/bsclassify/bsclassify"
n=$(ls "$dev"/*.msg | wc -l)
lines=$("$bin" --rules "$BSC_RULES" --format=json "$dev"/*.msg | wc -l)
if [ "$lines" -ne "$n" ]; then
	echo "FAIL: $n mails gave $lines lines"
	exit 1
fi
echo "ok: $n mails, $n lines"
scorer="$top_srcdir/../shared/tools/score-corpus"
if [ -x "$scorer" ] && command -v python3 >/dev/null 2>&1; then
	wrap=$(mktemp) || exit 1
	trap 'rm -f "$wrap"' EXIT
	printf '#!/bin/sh\nexec "%s" --rules "%s" "$@"\n' "$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")" \
		"$(cd "$BSC_RULES" && pwd)" > "$wrap"
	chmod +x "$wrap"
	python3 "$scorer" --bin "$wrap" --corpus "$dev" --show 0 | tail -8
fi
exit 0
