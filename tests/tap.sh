# tap.sh - the TAP helpers of the shell tests (cli.sh, spamassassin.sh,
# adversarial.sh), sourced: ok, not_ok, skip, check; "exit $failed" at the end.

n=0
failed=0
ok () {
	n=$((n + 1))
	echo "ok $n - $1"
}
not_ok () {
	n=$((n + 1))
	failed=1
	echo "not ok $n - $1"
}
skip () {
	n=$((n + 1))
	echo "ok $n - # SKIP $1"
}
# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check () {
	what=$1
	shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
