#!/bin/sh
# make bench: the benchmark of README.md "Performance".
#   bench/run.sh BUILDDIR SRCDIR
# Builds the two input mboxes (a bounce flood and a mixed stream of mostly
# ordinary mail, from ../shared/corpus-dev when present, else from the
# project's own corpus/) and runs bench/bench on each: the library on 1
# and 2 threads and bsclassify -j 1 / -j 2, beside a GMime parse-and-walk
# of the same mails, medians of interleaved rounds.
set -e
build=${1:-.}
src=${2:-.}
count=${BENCH_COUNT:-20000}
runs=${BENCH_RUNS:-6}
data=$build/bench/data
mkdir -p "$data"
source=$src/../shared/corpus-dev
[ -d "$source" ] || source=$src/corpus
for kind in flood mixed; do
	[ -s "$data/$kind.mbox" ] || python3 "$src/bench/gen-stream.py" --source "$source" \
		--count "$count" --$kind "$data/$kind.mbox"
done
bsclassify="$build/bsclassify/bsclassify"
# The CLI runs as installed programs do: the libtool wrapper would add
# its own start-up to every run.
[ -x "$build/bsclassify/.libs/bsclassify" ] && bsclassify="$build/bsclassify/.libs/bsclassify"
export LD_LIBRARY_PATH="$build/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
echo "source of the automated mails: $source"
for kind in flood mixed; do
	echo
	echo "== $kind stream ($data/$kind.mbox)"
	"$build/bench/bench" --runs "$runs" --threads 2 --rules "$src/rules" \
		--cli "$bsclassify" "$data/$kind.mbox"
done
