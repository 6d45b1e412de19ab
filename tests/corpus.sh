#!/bin/sh
# corpus.sh - run by `make check`: checks every sample mail of corpus/
# against its .expect file with the corpus runner (corpus/README.md).
# Environment (set by Makefile.am): top_srcdir, top_builddir, BSC_RULES;
# BSC_VALGRIND (set by `make check-valgrind`) wraps the runner.
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
BSC_RULES=${BSC_RULES:-$top_srcdir/rules}

runner=$top_builddir/tests/corpus-runner
if [ ! -x "$runner" ]; then
	echo "corpus.sh: $runner is not built" >&2
	exit 99
fi
if [ -n "${BSC_VALGRIND:-}" ]; then
	exec "$top_builddir/libtool" --mode=execute $BSC_VALGRIND \
		"$runner" --rules "$BSC_RULES" "$top_srcdir/corpus"
fi
exec "$runner" --rules "$BSC_RULES" "$top_srcdir/corpus"
