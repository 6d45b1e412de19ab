#!/bin/sh
# adversarial.sh - hostile mail never loses a message (DESIGN.md section 9,
# README.md "Hostile input").
#
# tests/gen-adversarial.py writes the hostile mails (0 bytes, binary,
# 50 MB lines, 10,000 nested multiparts, 100,000 headers, regex bombs, ...)
# into a temporary folder; each must give exactly one JSON line and exit
# 0 or 1, and the mbox of them all one line per message, with --summary
# counts that add up.  Then: neighbours of broken messages and From_ lines
# survive, unreadable inputs are reported and skipped, write errors exit
# non-zero, and the regressions in tests/data/adversarial/ (inputs that once
# crashed or hung) still give one line each.
#
# Structure only, never how a message is classified; CPU and memory per
# case are measured by bench/adversarial.sh, not here.  Under
# `make check-valgrind` (BSC_VALGRIND set) the big cases are generated
# small and only the mboxes run, in one process each.
#
# Environment (set by Makefile.am): top_srcdir, top_builddir, BSC_RULES.
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
BSC_RULES=${BSC_RULES:-$top_srcdir/rules}
prog=$top_builddir/bsclassify/bsclassify

if [ ! -x "$prog" ]; then
	echo "adversarial.sh: $prog not built" >&2
	exit 99
fi
if ! command -v python3 >/dev/null 2>&1; then
	echo "adversarial.sh: python3 not found, skipped" >&2
	exit 77
fi
LC_ALL=C
export LC_ALL
unset BSCLASS_RULES_DIR
# A GLib "critical" (a bad argument that GLib only complains about) is a
# bug too: make it abort.
G_DEBUG=fatal-criticals
export G_DEBUG

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bsclassify-adv.XXXXXX") || exit 99
trap 'chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

. "$top_srcdir/tests/tap.sh"

# A run may not hang: a generous wall-clock bound when timeout(1) exists
# (the CPU figures are bench/adversarial.sh's business).
limit=
if command -v timeout >/dev/null 2>&1; then
	limit="timeout 600"
fi
run () {
	if [ -n "${BSC_VALGRIND:-}" ]; then
		$limit "$top_builddir/libtool" --mode=execute $BSC_VALGRIND "$prog" "$@"
	else
		$limit "$prog" "$@"
	fi
}
bsc () {
	run --rules "$BSC_RULES" --format=json "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
lines () {
	wc -l <"$1" | tr -d ' '
}
# Every line of $1 is a JSON object with a "file"; prints nothing, fails otherwise.
json_ok () {
	python3 -c 'import json, sys
for l in open(sys.argv[1], encoding="utf-8"):
    o = json.loads(l)
    assert isinstance(o, dict) and "file" in o' "$1" 2>>"$tmp/json-errors"
}
# The "index" of each line, "-" where there is none.
indexes () {
	python3 -c 'import json, sys
for l in open(sys.argv[1], encoding="utf-8"):
    print(json.loads(l).get("index", "-"))' "$1"
}
# --summary on stderr: the counts add up to "total", which is $2.
summary_adds_up () {
	awk -v want="$2" '
		/^  total/ { total = $NF; next }
		/^  [a-z_]+ +[0-9]+$/ { sum += $NF }
		END { exit !(total == want && sum == want) }' "$1"
}

small=
if [ -n "${BSC_VALGRIND:-}" ]; then
	small=--small
fi
gen=$tmp/gen
if ! python3 "$top_srcdir/tests/gen-adversarial.py" "$gen" $small; then
	echo "Bail out! gen-adversarial.py failed"
	exit 99
fi
ncases=$(lines "$gen/cases")

# ------------------------------------------------------------ each case
if [ -z "${BSC_VALGRIND:-}" ]; then
	while read -r c; do
		bsc "$gen/$c.eml"
		if [ "$rc" -gt 1 ] || [ "$(lines "$tmp/out")" != 1 ] || ! json_ok "$tmp/out"; then
			not_ok "$c: exit $rc, $(lines "$tmp/out") lines (want 0 or 1, one JSON line)"
			sed 's/^/# /' "$tmp/err" | head -5
		else
			ok "$c: one JSON line, exit $rc"
		fi
	done <"$gen/cases"
else
	skip "each case on its own (under valgrind only the mboxes run)"
fi

# ------------------------------------------------------------ the mbox of all
bsc --summary "$gen/all.mbox"
check "all.mbox: exit 0 or 1 (got $rc)" test "$rc" -le 1
[ "$rc" -le 1 ] || sed 's/^/# /' "$tmp/err" | head -40
check "all.mbox: one line per message ($ncases)" test "$(lines "$tmp/out")" = "$ncases"
check "all.mbox: every line is JSON" json_ok "$tmp/out"
check "all.mbox: indexes 0..$((ncases - 1)) in order" \
	test "$(indexes "$tmp/out" | tr '\n' ' ')" = "$(seq 0 $((ncases - 1)) | tr '\n' ' ')"
check "all.mbox: --summary counts add up to $ncases" summary_adds_up "$tmp/err" "$ncases"

# The same with worker processes, when bsclassify has them (-j).
good_one () {
	printf 'From: a@example.org\nSubject: probe\n\nbody\n'
}
good_one >"$tmp/probe.eml"
if "$prog" --rules "$BSC_RULES" -j 2 "$tmp/probe.eml" >/dev/null 2>&1; then
	bsc -j 3 --summary "$gen/all.mbox"
	check "all.mbox -j 3: exit 0 or 1 (got $rc)" test "$rc" -le 1
	check "all.mbox -j 3: one line per message, in order" \
		test "$(indexes "$tmp/out" | tr '\n' ' ')" = "$(seq 0 $((ncases - 1)) | tr '\n' ' ')"
	check "all.mbox -j 3: --summary counts add up to $ncases" summary_adds_up "$tmp/err" "$ncases"
else
	skip "all.mbox with worker processes (no -j N)"
fi

# ------------------------------------------------------------ limits
# Each limit, set low, is reached on a small mail: a note in the result
# and the LIMIT_REACHED rule (the regex limits: a note only), exit 0.
limit_mail () {
	printf 'Return-Path: <>\nFrom: MAILER-DAEMON@example.net\nTo: a@example.com\n'
	printf 'Subject: Undelivered Mail Returned to Sender, a subject of some length\n'
	printf 'Message-ID: <limits@example.net>\nMIME-Version: 1.0\n'
	printf 'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
	printf -- '--B\nContent-Type: text/plain\n\nThis is the mail system. Delivery to the following recipients failed.\n'
	printf -- '--B\nContent-Type: multipart/mixed; boundary="C"\n\n--C\nContent-Type: multipart/mixed; boundary="D"\n\n'
	printf -- '--D\nContent-Type: text/plain\n\ndeep\n--D--\n--C--\n'
	printf -- '--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n'
	printf 'Final-Recipient: rfc822; b@example.org\nAction: failed\nStatus: 5.1.1\n\n'
	printf 'Final-Recipient: rfc822; c@example.org\nAction: failed\nStatus: 5.1.1\n\n'
	printf -- '--B\nContent-Type: text/rfc822-headers\n\n'
	printf 'From: a@example.com\nTo: b@example.org, c@example.org\nSubject: hello\nMessage-ID: <orig@example.com>\n'
	printf -- '--B--\n'
}
limit_mail >"$tmp/limits.eml"
bsc "$tmp/limits.eml"
check "limits: the test mail reaches no limit by default" test "$rc" = 0 -a "$(grep -c '"notes"' "$tmp/out")" = 0
for l in mime-depth=1 parts=3 headers=3 header-bytes=20 text-sample=10 original-bytes=50 recipients=1; do
	name=${l%=*}
	bsc --limit="$l" "$tmp/limits.eml"
	if [ "$rc" = 0 ] && grep -q "\"limit: $name\"" "$tmp/out" && grep -q '"name": "LIMIT_REACHED"' "$tmp/out"; then
		ok "limit $l: noted, LIMIT_REACHED, exit 0"
	else
		not_ok "limit $l: noted, LIMIT_REACHED, exit 0 (exit $rc)"
		sed 's/^/# /' "$tmp/out" | cut -c1-300
	fi
done
# PCRE2 ignores the depth limit under JIT (its JIT stack limit counts as
# depth-limit instead): only the match limit is sure to be reached here.
bsc --limit=match-limit=1 "$tmp/limits.eml"
check "limit match-limit=1: noted, exit 0" test "$rc" = 0 -a "$(grep -c '"limit: match-limit"' "$tmp/out")" = 1
bsc --limit=message-bytes=100 "$tmp/limits.eml"
check "limit message-bytes=100: an error record, 'too large', exit 1" \
	test "$rc" = 1 -a "$(grep -c '"error": "message too large' "$tmp/out")" = 1

# ------------------------------------------------------------ neighbours
# Good messages around ones that cannot be read, and around broken From_
# lines: each gives its own line, none swallows another.
good () {
	printf 'From: a@example.org\nTo: b@example.com\nSubject: %s\nMessage-ID: <%s@example.org>\n\nbody\n' "$1" "$1"
}
{
	echo "From a@example.org Mon Jan  1 00:00:00 2024"; good one; echo
	echo "From a@example.org Mon Jan  1 00:00:00 2024"; printf '\001\002 not mail at all\n\377\376\n'; echo
	echo "From a@example.org Mon Jan  1 00:00:00 2024"; good two; echo
	echo "From a@example.org Mon Jan  1 00:00:00 2024"; echo
	echo "From "; good three; echo
	echo "From x"; printf '\n\n\n'
	echo "From a@example.org Mon Jan  1 00:00:00 2024"; good four; printf 'From the body, no blank line before: not a From_ line\n'; echo
	printf 'From a@example.org Mon Jan  1 00:00:00 2024\r\n'; good five | sed 's/$/\r/'; printf '\r\n'
	echo "From a@example.org Mon Jan  1 00:00:00 2024"; printf 'Subject: six, no newline at the end'
} >"$tmp/neighbours.mbox"
bsc --summary "$tmp/neighbours.mbox"
check "neighbours: exit 1 (some messages are no mail)" test "$rc" = 1
check "neighbours: 9 messages, 9 lines" test "$(lines "$tmp/out")" = 9
check "neighbours: every line is JSON" json_ok "$tmp/out"
check "neighbours: indexes 0..8 in order" test "$(indexes "$tmp/out" | tr '\n' ' ')" = "0 1 2 3 4 5 6 7 8 "
for m in one two three four five; do
	check "neighbours: message '$m' classified" grep -q "\"message_id\": \"<$m@example.org>\"" "$tmp/out"
done
check "neighbours: the 3 that are no mail are error lines" test "$(grep -c '"error":' "$tmp/out")" = 3
check "neighbours: --summary counts add up to 9" summary_adds_up "$tmp/err" 9

# ------------------------------------------------------------ unreadable inputs
mkdir "$tmp/folder"
good folder1 >"$tmp/folder/a.eml"
ln -s "$tmp/nowhere" "$tmp/folder/b-dangling.eml"
good folder2 >"$tmp/folder/c.eml"
: >"$tmp/folder/d-empty.eml"
bsc --summary "$tmp/folder" "$tmp/does-not-exist.eml" "$gen/empty.eml"
check "unreadable: exit 1" test "$rc" = 1
check "unreadable: one line per input (2 messages, 4 errors)" test "$(lines "$tmp/out")" = 6
check "unreadable: the readable ones are classified" test "$(grep -c 'folder[12]@example.org' "$tmp/out")" = 2
check "unreadable: each failure is reported" test "$(grep -c '"error":' "$tmp/out")" = 4
check "unreadable: --summary counts add up to 6" summary_adds_up "$tmp/err" 6
if [ "$(id -u)" != 0 ]; then
	good private >"$tmp/folder/e-private.eml"
	chmod 000 "$tmp/folder/e-private.eml"
	bsc "$tmp/folder"
	check "permission denied: reported, the rest classified" \
		test "$rc" = 1 -a "$(grep -c 'Permission denied' "$tmp/out")" = 1 -a "$(lines "$tmp/out")" = 5
	chmod 600 "$tmp/folder/e-private.eml"
else
	skip "permission denied (running as root, who may read anything)"
fi

# ------------------------------------------------------------ write errors
if [ -w /dev/full ]; then
	run --rules "$BSC_RULES" --format=json "$gen/all.mbox" >/dev/full 2>"$tmp/err"
	rc=$?
	check "a full disk: exit 2" test "$rc" = 2
	check "a full disk: says so" grep -q 'write error' "$tmp/err"
else
	skip "a full disk (no /dev/full)"
fi
# A closed pipe: enough output to fill the pipe after the reader is gone.
i=0
while [ $i -lt 600 ]; do
	echo "From a@example.org Mon Jan  1 00:00:00 2024"
	good "pipe$i"
	echo
	i=$((i + 1))
done >"$tmp/many.mbox"
{ run --rules "$BSC_RULES" --format=json "$tmp/many.mbox" 2>"$tmp/err"; echo $? >"$tmp/rc"; } | head -c 1 >/dev/null
check "a closed pipe: exit 2" test "$(cat "$tmp/rc")" = 2
check "a closed pipe: says so" grep -q 'write error' "$tmp/err"

# ------------------------------------------------------------ regressions
# Inputs that once crashed, hung or lost a message (fuzzing finds):
# each still gives exactly one line.
if [ -d "$top_srcdir/tests/data/adversarial" ]; then
	for f in "$top_srcdir"/tests/data/adversarial/*; do
		[ -f "$f" ] || continue
		case $f in *.md) continue ;; esac
		bsc "$f"
		check "regression $(basename "$f"): one JSON line, exit $rc" \
			test "$rc" -le 1 -a "$(lines "$tmp/out")" = 1
	done
fi

if [ -s "$tmp/json-errors" ]; then
	sed 's/^/# /' "$tmp/json-errors" | head -10
fi
echo "1..$n"
exit $failed
