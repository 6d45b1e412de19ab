#!/bin/sh
# bench/adversarial.sh - CPU seconds and peak memory of bsclassify on each
# hostile mail of tests/gen-adversarial.py, and on the mbox of them all.
# A measurement, not a test (tests/adversarial.sh checks the output).
#
# Usage: bench/adversarial.sh [BSCLASSIFY [RULES]]
#   BSCLASSIFY  default bsclassify/bsclassify (libtool wrapper) of the
#               current folder; RULES default rules/ beside this script.
# Environment: CPU_MAX (seconds, default 1), RSS_MAX (MB, default 256):
#   cases above either are marked "!" and make the exit status 1.
# Needs python3 and GNU time (/usr/bin/time -f).
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
prog=${1:-bsclassify/bsclassify}
rules=${2:-$here/rules}
cpu_max=${CPU_MAX:-1}
rss_max=${RSS_MAX:-256}
# The libtool wrapper would be measured too: run the real program.
if [ -x "$(dirname "$prog")/.libs/$(basename "$prog")" ] && [ -f "$(dirname "$prog")/../libtool" ]; then
	run="$(dirname "$prog")/../libtool --mode=execute"
else
	run=
fi
if [ ! -x /usr/bin/time ]; then
	echo "bench/adversarial.sh: needs GNU time (/usr/bin/time)" >&2
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bsclassify-bench-adv.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
python3 "$here/tests/gen-adversarial.py" "$tmp/gen" || exit 2

status=0
printf '%-34s %9s %8s %8s %5s %5s\n' case bytes "cpu s" "rss MB" exit lines
# measure NAME FILE CPU_LIMIT
measure () {
	name=$1
	file=$2
	limit=$3
	$run /usr/bin/time -f '%U %S %M' -o "$tmp/time" "$prog" --rules "$rules" --format=json \
		"$file" >"$tmp/out" 2>/dev/null
	rc=$?
	set -- $(tail -n 1 "$tmp/time")
	cpu=$(echo "$1 $2" | awk '{ printf "%.2f", $1 + $2 }')
	rss=$(echo "$3" | awk '{ printf "%.1f", $1 / 1024 }')
	mark=
	if awk -v c="$cpu" -v r="$rss" -v cm="$limit" -v rm="$rss_max" \
		'BEGIN { exit !(c > cm || r > rm) }'; then
		mark=" !"
		status=1
	fi
	printf '%-34s %9s %8s %8s %5s %5s%s\n' "$name" "$(wc -c <"$file" | tr -d ' ')" \
		"$cpu" "$rss" "$rc" "$(wc -l <"$tmp/out" | tr -d ' ')" "$mark"
}
while read -r c; do
	measure "$c" "$tmp/gen/$c.eml" "$cpu_max"
done <"$tmp/gen/cases"
n=$(wc -l <"$tmp/gen/cases" | tr -d ' ')
measure "all.mbox ($n messages)" "$tmp/gen/all.mbox" "$(awk -v c="$cpu_max" -v n="$n" 'BEGIN { print c * n }')"
exit $status
