#!/bin/sh
# fuzz/run.sh - builds the fuzz targets (fuzz/build.sh), writes their seeds
# (fuzz/seeds.py) and runs each for FUZZ_SECONDS seconds (default 60).
# The corpus each run grows is kept in OUTDIR/corpus/TARGET and reused by
# the next run; a crash, leak or timeout leaves its input in
# OUTDIR/artifacts/ and makes the script fail.  See fuzz/README.md.
#
# Usage: fuzz/run.sh [TARGET...]        (default: classify dsn rules config)
# Environment: FUZZ_SECONDS (per target), FUZZ_OUT (default fuzz/out),
#   FUZZ_ARGS (more libFuzzer flags, e.g. -fork=2).
set -eu

srcdir=$(cd "$(dirname "$0")/.." && pwd)
out=${FUZZ_OUT:-fuzz/out}
seconds=${FUZZ_SECONDS:-60}
targets=${*:-classify dsn rules config}

sh "$srcdir/fuzz/build.sh" "$out"
out=$(cd "$out" && pwd)
python3 "$srcdir/fuzz/seeds.py" "$srcdir" "$out/seeds"
mkdir -p "$out/artifacts"

# ASan: a leak is a finding too; GLib's and GMime's process-lifetime
# allocations are suppressed (tests/lsan.supp).
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$srcdir/tests/lsan.supp:print_suppressions=0}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS

status=0
for t in $targets; do
	case $t in
	classify) max_len=65536 dict=mail.dict seeds=classify ;;
	dsn) max_len=16384 dict=mail.dict seeds=dsn ;;
	rules) max_len=16384 dict=rules.dict seeds=rules ;;
	config) max_len=4096 dict=config.dict seeds=config ;;
	*) echo "fuzz/run.sh: unknown target '$t'" >&2; exit 2 ;;
	esac
	mkdir -p "$out/corpus/$t"
	echo "fuzz/run.sh: fuzz-$t for ${seconds}s"
	# -timeout: one input may take at most 10 s (a hang is a finding);
	# -rss_limit_mb: ASan roughly doubles the memory of a run.
	if ! "$out/fuzz-$t" -max_total_time="$seconds" -max_len="$max_len" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-dict="$srcdir/fuzz/$dict" -artifact_prefix="$out/artifacts/$t-" \
		${FUZZ_ARGS:-} \
		"$out/corpus/$t" "$out/seeds/$seeds" >"$out/$t.log" 2>&1; then
		status=1
		echo "fuzz/run.sh: fuzz-$t FAILED; see $out/$t.log and $out/artifacts/" >&2
		grep -E "ERROR|SUMMARY|Test unit written" "$out/$t.log" | head -20 >&2 || true
	fi
	grep -E "stat::number_of_executed_units|cov:" "$out/$t.log" | tail -2 || true
done
exit $status
