#!/bin/sh
# cli.sh - tests of the bsclassify command line (DESIGN.md section 6)
#
# Run by `make check` with top_srcdir, top_builddir and BSC_RULES (the
# source rules folder) in the environment.  Only structural facts are
# checked (exit status, number of lines, which records are errors, JSON
# validity), never how a message is classified: the corpus tests own that.

top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
BSC_RULES=${BSC_RULES:-$top_srcdir/rules}
prog=$top_builddir/bsclassify/bsclassify

if [ ! -x "$prog" ]; then
	echo "cli.sh: $prog not built" >&2
	exit 99
fi

# The messages say "Permission denied", not a translation.
LC_ALL=C
export LC_ALL
unset BSCLASS_RULES_DIR

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bsclassify-cli.XXXXXX") || exit 99
trap 'chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

. "$top_srcdir/tests/tap.sh"

# bsc ARGS...: bsclassify with the source rules; stdout in $tmp/out,
# stderr in $tmp/err, exit status in $rc.
# Under `make check-valgrind` every run goes through memcheck.
run () {
	if [ -n "${BSC_VALGRIND:-}" ]; then
		"$top_builddir/libtool" --mode=execute $BSC_VALGRIND "$prog" "$@"
	else
		"$prog" "$@"
	fi
}

bsc () {
	run --rules "$BSC_RULES" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

lines () {
	wc -l <"$1" | tr -d ' '
}

# The "index" of each JSON line, one per line ("-" where there is none).
indexes () {
	if [ -n "$python" ]; then
		"$python" -c 'import json, sys
for l in sys.stdin:
    print(json.loads(l).get("index", "-"))' <"$1"
	else
		sed -e 's/.*"index": *\([0-9][0-9]*\).*/\1/' -e 't' -e 's/.*/-/' "$1"
	fi
}

# The "file" of each JSON line.
files () {
	if [ -n "$python" ]; then
		"$python" -c 'import json, sys
for l in sys.stdin:
    print(json.loads(l)["file"])' <"$1"
	else
		sed -e 's/^{"file": *"\([^"]*\)".*/\1/' "$1"
	fi
}

# A record is an error record when it has an "error" key.
error_lines () {
	grep -c '"error":' "$1"
}

python=
if command -v python3 >/dev/null 2>&1 && python3 -c 'import json' 2>/dev/null; then
	python=python3
fi

# JSON lines from the runs below are collected here and checked at the end.
: >"$tmp/all.jsonl"
keep_json () {
	cat "$tmp/out" >>"$tmp/all.jsonl"
}

# ------------------------------------------------------------ test data

# Three small messages.  Body lines that start with "From " are escaped
# (">From ") or neither follow an empty line nor carry a From_ date, so
# none of them starts a message.
cat >"$tmp/three.mbox" <<'EOF'
From alice@example.com Mon Jan  1 00:00:00 2024
From: alice@example.com
To: bob@example.net
Subject: one
Message-ID: <one@example.com>

Hello Bob,
>From the desk of Alice: this line was escaped by the mbox writer.
>>From a quote of an escaped line.

From MAILER-DAEMON Tue Jan  2 00:00:00 2024
From: MAILER-DAEMON@example.net
To: alice@example.com
Subject: Undelivered Mail Returned to Sender
Message-ID: <two@example.net>

This is the mail system at host example.net.
From here on, a line that starts with From but is no From_ line.

From carol@example.org Wed Jan  3 10:11:12 2024
From: carol@example.org
To: alice@example.com
Subject: three
Message-ID: <three@example.org>

Hi.
EOF

cat >"$tmp/one.eml" <<'EOF'
From: dave@example.com
To: erin@example.net
Subject: a single message
Message-ID: <single@example.com>

Just one message, no From_ line.
EOF

: >"$tmp/empty.eml"
: >"$tmp/empty.mbox"
printf 'From nobody Mon Jan  1 00:00:00 2024\n' >"$tmp/fromonly.mbox"

# Fixed binary garbage: NULs, high bytes, CRs, a "From " inside.
printf '\000\001\002\377\376\375garbage\015\000\000From \012\012\377\200\033[2J\000tail' \
	>"$tmp/garbage.bin"

# The three messages with CRLF line ends.
sed 's/$/\r/' "$tmp/three.mbox" >"$tmp/three-crlf.mbox"

# A folder: files in sub-folders, a dot-file to skip.
mkdir -p "$tmp/folder/b-sub/deeper" "$tmp/folder/.hidden"
cp "$tmp/one.eml" "$tmp/folder/c.eml"
cp "$tmp/one.eml" "$tmp/folder/a.eml"
cp "$tmp/one.eml" "$tmp/folder/b-sub/m1"
cp "$tmp/one.eml" "$tmp/folder/b-sub/deeper/m2"
cp "$tmp/one.eml" "$tmp/folder/.hidden/skipped"
cp "$tmp/one.eml" "$tmp/folder/.dotfile"

# ------------------------------------------------------------ options

run --help >"$tmp/out" 2>&1
rc=$?
check "--help exits 0" test "$rc" -eq 0
check "--help lists --format and --lint" \
	sh -c 'grep -q -- "--format" "$1" && grep -q -- "--lint" "$1"' sh "$tmp/out"

run --version >"$tmp/out" 2>&1
rc=$?
check "--version exits 0" test "$rc" -eq 0
check "--version names the program" grep -q '^bsclassify ' "$tmp/out"

run --no-such-option >"$tmp/out" 2>"$tmp/err"
check "an unknown option exits 2" test $? -eq 2

bsc --format=xml "$tmp/one.eml"
check "--format=xml exits 2" test "$rc" -eq 2

bsc -j 2 "$tmp/one.eml"
check "-j 2 is accepted" test "$rc" -eq 0 -a "$(lines "$tmp/out")" -ge 1

bsc -j 0 "$tmp/one.eml"
check "-j 0 (one worker per CPU) is accepted" test "$rc" -eq 0

bsc -j 1000 "$tmp/one.eml"
check "-j 1000 is accepted (capped at 64)" test "$rc" -eq 0

bsc -j -1 "$tmp/one.eml"
check "-j -1 exits 2" test "$rc" -eq 2

bsc -j two "$tmp/one.eml"
check "-j two exits 2" test "$rc" -eq 2

bsc --now 2024-01-01 "$tmp/one.eml"
check "--now with a date is accepted" test "$rc" -eq 0

bsc --now 2024-13-01 "$tmp/one.eml"
check "--now with a bad month exits 2" test "$rc" -eq 2

# Signing: values checked independently with HMAC-SHA1 / HMAC-SHA256
# (Python's hmac module) for these secrets and dates.
bsc --batv-secret 1:s3cret --batv-sign Alice@Example.com --now 2026-11-23
check "--batv-sign prints the prvs= address" grep -qx 'prvs=17872d0199=Alice@Example.com' "$tmp/out"

bsc --batv-sign alice@example.com
check "--batv-sign without a secret exits 2" test "$rc" -eq 2

bsc --msgid-secret s3cret --msgid-sign abc123@example.com
check "--msgid-sign prints a signed Message-ID" grep -qx '<abc123.c5f0450f@example.com>' "$tmp/out"

bsc --lint
check "--lint with the shipped rules exits 0" test "$rc" -eq 0
check "--lint says how many rules are OK" grep -q 'rules OK' "$tmp/out"
cp "$tmp/out" "$tmp/out.shipped"

printf 'header SITE_OOO Subject =~ /poissa toimistolta/i\nscore SITE_OOO out_of_office=6\n' >"$tmp/site.cf"
bsc --site-rules "$tmp/site.cf" --lint
check "--lint names a site rule that turns the ordinary-mail pre-scan off" \
	grep -q 'site rule SITE_OOO .*pre-scan is off' "$tmp/out"
check "--lint with the shipped rules alone says nothing of the pre-scan" \
	sh -c '! grep -q pre-scan "$1"' sh "$tmp/out.shipped"

printf 'body BROKEN /(unclosed/\n' >"$tmp/broken.cf"
bsc --site-rules "$tmp/broken.cf" --lint
check "--lint with a broken site rule file exits 2" test "$rc" -eq 2
check "the lint error names the file and line" grep -q 'broken\.cf:1' "$tmp/err"

bsc --config "$tmp/no-such-config" "$tmp/one.eml"
check "a missing --config file exits 2" test "$rc" -eq 2
check "the config error names the file" grep -q 'no-such-config' "$tmp/err"

# ------------------------------------------------------------ inputs

bsc --format=json "$tmp/empty.eml"
keep_json
check "an empty file exits 1" test "$rc" -eq 1
check "an empty file gives one error line" \
	test "$(lines "$tmp/out")" = 1 -a "$(error_lines "$tmp/out")" = 1

bsc --format=json "$tmp/empty.mbox"
keep_json
check "a 0-byte mbox exits 1" test "$rc" -eq 1
check "a 0-byte mbox gives one error line" \
	test "$(lines "$tmp/out")" = 1 -a "$(error_lines "$tmp/out")" = 1

bsc --format=json "$tmp/fromonly.mbox"
keep_json
check "an mbox holding only a From_ line gives one line" test "$(lines "$tmp/out")" = 1

bsc --format=json "$tmp/garbage.bin"
keep_json
check "binary garbage does not crash (exit 0 or 1)" test "$rc" -le 1
check "binary garbage gives one line" test "$(lines "$tmp/out")" = 1

bsc --format=json "$tmp/three.mbox"
keep_json
check "an mbox of three messages exits 0" test "$rc" -eq 0
check "an mbox of three messages gives three lines" test "$(lines "$tmp/out")" = 3
check "... numbered 0, 1, 2 (no split at \">From \" or a bare \"From \" line)" \
	test "$(indexes "$tmp/out" | tr '\n' ' ')" = "0 1 2 "

bsc --format=json "$tmp/three-crlf.mbox"
keep_json
check "a CRLF mbox of three messages gives three lines" test "$(lines "$tmp/out")" = 3

bsc --format=json - <"$tmp/three.mbox"
keep_json
check "'-' reads an mbox from standard input" \
	test "$rc" -eq 0 -a "$(lines "$tmp/out")" = 3
check "... named \"-\"" test "$(files "$tmp/out" | sort -u)" = "-"

run --rules "$BSC_RULES" --format=json <"$tmp/one.eml" >"$tmp/out" 2>"$tmp/err"
rc=$?
keep_json
check "no operand reads one message from standard input" \
	test "$rc" -eq 0 -a "$(lines "$tmp/out")" = 1

bsc --format=json "$tmp/folder"
keep_json
printf '%s\n' "$tmp/folder/a.eml" "$tmp/folder/b-sub/deeper/m2" \
	"$tmp/folder/b-sub/m1" "$tmp/folder/c.eml" >"$tmp/expected"
files "$tmp/out" >"$tmp/got"
check "a folder gives one line per file, sub-folders too, dot-files skipped, sorted" \
	cmp -s "$tmp/expected" "$tmp/got"

bsc --format=json "$tmp/no-such-file" "$tmp/one.eml"
keep_json
check "a missing file exits 1" test "$rc" -eq 1
check "... with an error line, and the next file is still read" \
	test "$(lines "$tmp/out")" = 2 -a "$(error_lines "$tmp/out")" = 1

if [ "$(id -u)" = 0 ]; then
	skip "an unreadable file (running as root, which reads it anyway)"
else
	cp "$tmp/one.eml" "$tmp/unreadable.eml"
	chmod 000 "$tmp/unreadable.eml"
	bsc --format=json "$tmp/unreadable.eml" "$tmp/one.eml"
	keep_json
	check "an unreadable file is reported, the next one read, exit 1" \
		test "$rc" -eq 1 -a "$(lines "$tmp/out")" = 2 -a "$(error_lines "$tmp/out")" = 1
fi

# A message over --limit message-bytes is consumed but reported, and its
# neighbours are kept.
{
	sed -n '1,10p' "$tmp/three.mbox"
	echo 'From big@example.com Thu Jan  4 00:00:00 2024'
	echo 'Subject: big'
	echo
	i=0
	while [ $i -lt 100 ]; do
		echo 'a line of filler text to make this message bigger than the limit'
		i=$((i + 1))
	done
	echo
	sed -n '20,$p' "$tmp/three.mbox"
} >"$tmp/big.mbox"
bsc --format=json --limit message-bytes=2000 "$tmp/big.mbox"
keep_json
check "a too large message in an mbox gives an error line, exit 1" \
	test "$rc" -eq 1 -a "$(error_lines "$tmp/out")" = 1
check "... and its neighbours are still read" \
	test "$(indexes "$tmp/out" | tr '\n' ' ')" = "0 1 2 "
check "... the error says the message is too large" grep -q 'too large' "$tmp/out"

# ------------------------------------------------------------ output

bsc "$tmp/three.mbox"
check "text format exits 0" test "$rc" -eq 0
check "text format starts each message with FILE #N:" \
	grep -q 'three\.mbox #2: ' "$tmp/out"

bsc --explain "$tmp/three.mbox"
check "--explain exits 0" test "$rc" -eq 0

bsc --format=json --summary "$tmp/three.mbox" "$tmp/empty.eml"
check "--summary counts every record" grep -q 'total  *4$' "$tmp/err"
check "--summary counts the error" grep -q 'errors  *1$' "$tmp/err"

if [ -w /dev/full ]; then
	run --rules "$BSC_RULES" --format=json "$tmp/three.mbox" >/dev/full 2>"$tmp/err"
	check "writing to a full device exits 2" test $? -eq 2
	check "... saying write error" grep -q 'write error' "$tmp/err"
else
	skip "writing to a full device (no /dev/full)"
fi

# ------------------------------------------------------------ workers (-j)

# same_as_j1 WHAT ARGS...: the output, standard error and exit status of
# "bsclassify ARGS" with -j 2 and -j 3 are those of -j 1, byte for byte.
same_as_j1 () {
	what=$1
	shift
	bsc -j 1 "$@" <"$stdin_for_j"
	cp "$tmp/out" "$tmp/j1.out"
	cp "$tmp/err" "$tmp/j1.err"
	rc1=$rc
	for j in 2 3; do
		bsc -j $j "$@" <"$stdin_for_j"
		if cmp -s "$tmp/j1.out" "$tmp/out" && cmp -s "$tmp/j1.err" "$tmp/err" &&
		    [ "$rc" = "$rc1" ]; then
			ok "-j $j: $what, as -j 1"
		else
			not_ok "-j $j: $what, as -j 1 (exit $rc, -j 1: $rc1)"
		fi
	done
}
stdin_for_j=/dev/null

# 3 + 1 + 3 (one too large for the limit below) + 3 messages.
{
	cat "$tmp/three.mbox"
	echo
	sed -n '1,10p' "$tmp/big.mbox"
	echo
	cat "$tmp/big.mbox"
	echo
	cat "$tmp/three-crlf.mbox"
} >"$tmp/multi.mbox"

same_as_j1 "JSON of a multi-message mbox" --format=json --limit message-bytes=2000 \
	"$tmp/multi.mbox"
check "... which has 10 records, one an error" \
	test "$(lines "$tmp/j1.out")" = 10 -a "$(error_lines "$tmp/j1.out")" = 1
same_as_j1 "text of a multi-message mbox, --explain" --explain \
	--limit message-bytes=2000 "$tmp/multi.mbox"
same_as_j1 "--summary" --summary --format=json --limit message-bytes=2000 \
	"$tmp/multi.mbox" "$tmp/empty.eml"
check "... which counts every record" grep -q 'total  *11$' "$tmp/j1.err"

# Files, folders and errors of every kind, in order.
mixed="$tmp/three.mbox $tmp/empty.eml $tmp/no-such-file $tmp/folder $tmp/garbage.bin"
mixed="$mixed $tmp/fromonly.mbox $tmp/big.mbox $tmp/empty.mbox $tmp/one.eml"
if [ "$(id -u)" != 0 ]; then
	cp "$tmp/one.eml" "$tmp/unreadable2.eml"
	chmod 000 "$tmp/unreadable2.eml"
	mixed="$mixed $tmp/unreadable2.eml $tmp/three.mbox"
fi
# shellcheck disable=SC2086
same_as_j1 "files, folders, unreadable and empty files, garbage" \
	--format=json --limit message-bytes=2000 $mixed
keep_json
# shellcheck disable=SC2086
same_as_j1 "the same in text" --limit message-bytes=2000 $mixed
check "... where every error has its record" test "$(grep -c ': error: ' "$tmp/j1.out")" -ge 4

stdin_for_j=$tmp/multi.mbox
same_as_j1 "an mbox on standard input" --format=json --limit message-bytes=2000 -
stdin_for_j=/dev/null

if [ -w /dev/full ]; then
	run --rules "$BSC_RULES" --format=json -j 2 "$tmp/three.mbox" >/dev/full 2>"$tmp/err"
	check "-j 2: writing to a full device exits 2" test $? -eq 2
	check "... saying write error" grep -q 'write error' "$tmp/err"
else
	skip "-j 2: writing to a full device (no /dev/full)"
fi

# A generated mbox of 2000 messages (200 under valgrind), several kinds.
count=2000
[ -n "${BSC_VALGRIND:-}" ] && count=200
i=0
while [ $i -lt $count ]; do
	case $((i % 4)) in
	0) printf 'From a@example.com Mon Jan  1 00:00:00 2024\nFrom: a@example.com\nTo: b@example.net\nSubject: note %d\nMessage-ID: <n%d@example.com>\n\nHello %d.\n\n' $i $i $i ;;
	1) printf 'From MAILER-DAEMON Mon Jan  1 00:00:00 2024\nFrom: MAILER-DAEMON@example.net\nTo: a@example.com\nSubject: Undelivered Mail Returned to Sender\nMessage-ID: <b%d@example.net>\nContent-Type: multipart/report; report-type=delivery-status; boundary="B%d"\n\n--B%d\nContent-Type: text/plain\n\nUser unknown.\n\n--B%d\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; u%d@example.net\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 no such user\n\n--B%d\nContent-Type: text/rfc822-headers\n\nFrom: a@example.com\nTo: u%d@example.net\nMessage-ID: <o%d@example.com>\nSubject: hi\n\n--B%d--\n\n' $i $i $i $i $i $i $i $i $i ;;
	2) printf 'From c@example.org Mon Jan  1 00:00:00 2024\nFrom: c@example.org\nTo: a@example.com\nSubject: Out of office: re: %d\nAuto-Submitted: auto-replied\nMessage-ID: <r%d@example.org>\n\nI am away until Monday.\n\n' $i $i ;;
	3) printf 'From d@example.org Mon Jan  1 00:00:00 2024\nSubject: headers only %d\n\n' $i ;;
	esac
	i=$((i + 1))
done >"$tmp/many.mbox"
bsc --format=json --summary -j 1 "$tmp/many.mbox"
cp "$tmp/out" "$tmp/j1.out"
cp "$tmp/err" "$tmp/j1.err"
rc1=$rc
check "the generated mbox gives $count records" test "$(lines "$tmp/j1.out")" = $count
bsc --format=json --summary -j 4 "$tmp/many.mbox"
check "-j 4 on $count messages: output and summary as -j 1" \
	sh -c 'cmp -s "$1" "$2" && cmp -s "$3" "$4" && [ "$5" = "$6" ]' sh \
	"$tmp/j1.out" "$tmp/out" "$tmp/j1.err" "$tmp/err" "$rc1" "$rc"
bsc -j 1 "$tmp/many.mbox"
cp "$tmp/out" "$tmp/j1.out"
bsc -j 4 "$tmp/many.mbox"
check "-j 4 on $count messages: text as -j 1" cmp -s "$tmp/j1.out" "$tmp/out"

if [ -w /dev/full ]; then
	run --rules "$BSC_RULES" --format=json -j 2 "$tmp/many.mbox" >/dev/full 2>"$tmp/err"
	check "-j 2: a write error while workers are busy exits 2" test $? -eq 2
else
	skip "-j 2: a write error while workers are busy (no /dev/full)"
fi

# Dead workers.  Both workers are stopped, six messages are sent (three to
# each), one worker is killed and the other continued: the message the dead
# one had first gets an error record, its other messages go to the other
# worker.  Needs Linux's /proc/PID/task/TID/children; not under valgrind.
# workers PID: the bsclassify processes whose parent is a bsclassify under PID.
workers () {
	todo=$1
	found=
	while [ -n "$todo" ]; do
		# shellcheck disable=SC2086
		set -- $todo
		p=$1
		shift
		todo=$*
		for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do
			todo="$todo $c"
			case $(cat /proc/"$p"/comm 2>/dev/null) in
			*bsclassify*) found="$found $c" ;;
			esac
		done
	done
	echo $found
}
# kill_test SIGNAL-FOR-ONE SIGNAL-FOR-THE-OTHER: the run as described above.
kill_test () {
	rm -f "$tmp/fifo"
	mkfifo "$tmp/fifo" || return 1
	run --rules "$BSC_RULES" --format=json -j 2 - <"$tmp/fifo" >"$tmp/out" 2>"$tmp/err" &
	bg=$!
	exec 3>"$tmp/fifo"
	tries=0
	kids=
	while [ $tries -lt 100 ]; do
		kids=$(workers $bg)
		[ "$(echo $kids | wc -w)" -ge 2 ] && break
		sleep 0.1
		tries=$((tries + 1))
	done
	set -- $kids
	if [ $# -ne 2 ]; then
		exec 3>&-
		wait $bg
		return 1
	fi
	kill -STOP "$1" "$2"
	cat "$tmp/three.mbox" >&3
	echo >&3
	cat "$tmp/three.mbox" >&3
	exec 3>&-
	# Wait until every message is sent.  With the fifo closed the parent's
	# reads cannot block, so once it sleeps it is in poll(), waiting for
	# the stopped workers: it has read all of its input and sent it.
	parent=$(sed 's/.*) //' /proc/"$1"/stat | cut -d' ' -f2)
	tries=0
	while [ $tries -lt 200 ]; do
		[ "$(sed 's/.*) //' /proc/"$parent"/stat 2>/dev/null | cut -d' ' -f1)" = S ] && break
		sleep 0.05
		tries=$((tries + 1))
	done
	kill -"$kill_one" "$1"
	kill -"$kill_two" "$2"
	kill -CONT "$2" 2>/dev/null
	wait $bg
	rc=$?
	return 0
}
# These kill workers at a moment chosen by sleeping: on a loaded machine
# (make -j2 check, CI) the moment can be missed, so they run on request.
if [ -z "${BSC_KILL_TESTS:-}" ] || [ -n "${BSC_VALGRIND:-}" ] ||
    ! [ -r /proc/$$/task/$$/children ] || ! command -v mkfifo >/dev/null 2>&1; then
	skip "-j 2: a worker killed mid-run (BSC_KILL_TESTS=1, needs /proc children, no valgrind)"
	skip "-j 2: every worker killed"
else
	kill_one=KILL
	kill_two=CONT
	if kill_test; then
		check "-j 2: a worker killed mid-run: every record, in order, exit 1" \
			test "$rc" -eq 1 -a "$(lines "$tmp/out")" = 6 \
			-a "$(indexes "$tmp/out" | tr '\n' ' ')" = "0 1 2 3 4 5 "
		check "... one error record, saying so" \
			test "$(error_lines "$tmp/out")" = 1 -a \
			"$(grep -c '"worker died: signal 9"' "$tmp/out")" = 1
	else
		not_ok "-j 2: a worker killed mid-run (workers not found)"
	fi
	kill_one=KILL
	kill_two=KILL
	if kill_test; then
		check "-j 2: every worker killed: exit 2, an error record for every message" \
			test "$rc" -eq 2 -a "$(lines "$tmp/out")" = 6 -a "$(error_lines "$tmp/out")" = 6
		check "... saying so on standard error" grep -q 'every worker died' "$tmp/err"
	else
		not_ok "-j 2: every worker killed (workers not found)"
	fi
fi

if [ -n "$python" ]; then
	check "every JSON line is valid JSON ($(lines "$tmp/all.jsonl") lines)" \
		"$python" -c 'import json, sys
n = 0
for line in sys.stdin:
    obj = json.loads(line)
    assert isinstance(obj, dict) and "file" in obj, line
    n += 1
assert n > 0' <"$tmp/all.jsonl"
else
	skip "JSON validity (no python3)"
fi

echo "1..$n"
exit $failed
