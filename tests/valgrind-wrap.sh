#!/bin/sh
# LOG_COMPILER for `make check-valgrind`: C test programs run under
# memcheck (through libtool, so the real binary is checked); shell tests
# get BSC_VALGRIND so that they wrap the programs they start.
# tests/valgrind.supp holds the false positives of the system libraries.
supp="--suppressions=${top_srcdir:-.}/tests/valgrind.supp"
case "$1" in
*.sh)
	BSC_VALGRIND="valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 $supp"
	export BSC_VALGRIND
	exec sh "$@" ;;
*)
	exec "${top_builddir:-.}/libtool" --mode=execute valgrind -q --leak-check=full \
		--errors-for-leak-kinds=definite --error-exitcode=99 "$supp" "$@" ;;
esac
