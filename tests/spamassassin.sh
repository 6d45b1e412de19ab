#!/bin/sh
# spamassassin.sh - the SpamAssassin plugin (spamassassin/), run by the
# real `spamassassin` program, fully offline.
#
# Run by `make check` when configure found SpamAssassin (exit 77, skipped,
# when spamassassin, Mail::SpamAssassin or FFI::Platypus is missing).
# Environment (set by Makefile.am): top_srcdir, top_builddir, PERL.
#
# spamassassin runs with -L (local tests only) on a private configuration:
# a site folder with the lines README.md tells an administrator to add, and
# a rules folder with nothing but use_bayes 0 and the header layout; no
# network rules, no Bayes, no auto-welcomelist, no DCC/Razor/Pyzor (their
# plugins are not loaded).  The plugin finds the build tree's library
# through BSCLASS_LIBRARY and reads the source rules folder.

top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
PERL=${PERL:-perl}

LC_ALL=C
export LC_ALL
unset BSCLASS_RULES_DIR

sa_prog=${SPAMASSASSIN:-$(command -v spamassassin 2>/dev/null)}
if [ -z "$sa_prog" ] || [ ! -f "$sa_prog" ]; then
	echo "spamassassin.sh: no spamassassin program: skipped"
	exit 77
fi
if ! "$PERL" -MMail::SpamAssassin -MFFI::Platypus -e 1 2>/dev/null; then
	echo "spamassassin.sh: Mail::SpamAssassin or FFI::Platypus missing: skipped"
	exit 77
fi

src=$(cd "$top_srcdir" && pwd) || exit 99
build=$(cd "$top_builddir" && pwd) || exit 99
lib=
for f in "$build/.libs/libbsclass.so" "$build/.libs/libbsclass.dylib"; do
	[ -f "$f" ] && lib=$f && break
done
# perl cannot load a library built with AddressSanitizer (the ASan runtime
# must come first in the process): the sanitizer run covers the library by
# the other tests.
if [ -n "$lib" ] && command -v nm >/dev/null 2>&1 && nm -D "$lib" 2>/dev/null | grep -q ' U __asan_'; then
	echo "spamassassin.sh: library built with AddressSanitizer: skipped"
	exit 77
fi
if [ -z "$lib" ]; then
	echo "spamassassin.sh: $build/.libs/libbsclass.so is not built" >&2
	exit 99
fi
if [ ! -f "$build/spamassassin/lib/Mail/BSClass.pm" ]; then
	echo "spamassassin.sh: $build/spamassassin/lib/Mail/BSClass.pm is not built" >&2
	exit 99
fi
data=$src/tests/data/spamassassin
bsclassify=$build/bsclassify/bsclassify

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bsclass-sa.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

. "$top_srcdir/tests/tap.sh"

# ------------------------------------------------------------ configuration

mkdir "$tmp/home" "$tmp/rules" "$tmp/site" || exit 99
: >"$tmp/prefs"

# The "system rules" folder (--configpath): no SpamAssassin rules at all,
# only the settings a test needs.
cat >"$tmp/rules/10_test.cf" <<'EOF'
use_bayes 0
report_safe 0
util_rb_tld com net org
clear_headers
add_header all Status _YESNO_, score=_SCORE_ required=_REQD_ tests=_TESTS_ version=_VERSION_
add_header spam Flag _YESNOCAPS_
EOF

# site DIR LINES: a site folder (--siteconfigpath) whose local.cf holds the
# lines README.md documents, then LINES.
site () {
	mkdir -p "$1" || exit 99
	echo 'loadplugin Mail::SpamAssassin::Plugin::Check' >"$1/init.pre"
	{
		echo 'loadplugin Mail::SpamAssassin::Plugin::BSClass'
		echo "include $src/spamassassin/bsclass.cf"
		echo "bsclass_rules $src/rules"
		echo 'add_header all BSClass _BSCLASSVERDICT_ origin=_BSCLASSORIGIN_ rcpts=_BSCLASSRCPTS_'
		echo 'add_header all BSClassKind _BSCLASS_KIND_'
		printf '%s\n' "$2"
	} >"$1/local.cf"
}

site "$tmp/site" "bsclass_site_config $data/site.conf"

# The same site config as one line per key.
site "$tmp/site-keys" "bsclass_domain example.com
bsclass_relay out1.example.com 192.0.2.0/26
bsclass_batv_secret 1 sa-test-batv-secret
bsclass_batv_days 7
bsclass_msgid_secret sa-test-msgid-secret"

# A relay the library refuses: the site config is dropped, scans go on.
site "$tmp/site-badkey" "bsclass_site_config $data/site.conf
bsclass_relay 192.0.2.0/33"

# A site rule file with an error: the shipped rules are used alone.
site "$tmp/site-badrules" "bsclass_site_config $data/site.conf
bsclass_site_rules $data/bad-rules.cf"

# A site rule file that calls one out-of-office reply of ours forged.
site "$tmp/site-rules" "bsclass_site_config $data/site.conf
bsclass_site_rules $data/site-rules.cf"

# No rules folder at all: no engine, no BSCLASS rule, scans go on.
site "$tmp/site-norules" "bsclass_site_config $data/site.conf
bsclass_rules $tmp/no-such-folder"

# sa SITE ARGS...: spamassassin on the private configuration; stdout in
# $tmp/out, stderr in $tmp/err, exit status in $rc.  perl -T as the
# program's own #! line asks (so PERL5LIB would be ignored: -I instead).
sa () {
	sa_site=$1
	shift
	HOME=$tmp/home BSCLASS_LIBRARY=$lib \
		"$PERL" -T -I"$build/spamassassin/lib" -I"$src/spamassassin/lib" "$sa_prog" \
		-L --siteconfigpath="$sa_site" --configpath="$tmp/rules" -p "$tmp/prefs" \
		"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# scan SITE MAIL: spamassassin -t on one mail; then $status is Yes or No,
# $score the total, $tests the rules that hit (comma separated, "none"),
# $tag the X-Spam-BSClass header, $kind the X-Spam-BSClassKind header.
scan () {
	sa "$1" -t <"$2"
	eval "$("$PERL" -e '
		local $/; my $t = <STDIN>;
		my ($h) = split /\r?\n\r?\n/, $t, 2;
		$h =~ s/\r?\n[ \t]+/ /g;
		my %h;
		$h{lc $1} //= $2 while $h =~ /^([\w-]+):[ \t]*(.*?)[ \t]*$/mg;
		(my $st = $h{"x-spam-status"} // "") =~ s/,\s+/,/g;
		my ($status, $score, $tests) = $st =~ /^(Yes|No),score=(-?[\d.]+) .*?tests=(\S*)/;
		for (["status", $status], ["score", $score], ["tests", $tests],
		     ["tag", $h{"x-spam-bsclass"}], ["kind", $h{"x-spam-bsclasskind"}]) {
			my $v = $_->[1] // "";
			$v =~ s/\x27/\x27\\\x27\x27/g;
			print "$_->[0]=\x27$v\x27\n";
		}' <"$tmp/out")"
	# $tests as " A B C " for word matches
	words=" $(echo "$tests" | tr ',' ' ') "
}

hit () { case $words in *" $1 "*) return 0 ;; esac; return 1; }
no_hit () { ! hit "$1"; }
no_bsclass () { case $words in *" BSCLASS_"*) return 1 ;; esac; return 0; }
score_at_least () { "$PERL" -e 'exit !($ARGV[0] >= $ARGV[1])' -- "$score" "$1"; }
score_below () { "$PERL" -e 'exit !($ARGV[0] < $ARGV[1])' -- "$score" "$1"; }
err_has () { grep -q -- "$1" "$tmp/err"; }
no_warnings () { ! grep -q 'warn:\|error' "$tmp/err"; }

# ----------------------------------------------------------------- lint

sa "$tmp/site" --lint
check "spamassassin --lint passes with the plugin and the site config" test "$rc" = 0
check "  and says nothing" test ! -s "$tmp/err"

# ------------------------------------------------------------- verdicts

scan "$tmp/site" "$data/backscatter.eml"
check "backscatter: BSCLASS_BACKSCATTER" hit BSCLASS_BACKSCATTER
check "backscatter: score $score >= 5, spam" score_at_least 5
check "backscatter: X-Spam-Status Yes" test "$status" = Yes
check "backscatter: not a genuine bounce" no_hit BSCLASS_GENUINE_BOUNCE
check "backscatter: add_header tags: '$tag'" \
	test "$tag" = "backscatter origin=forged rcpts=k.ahmed@example.org"
check "backscatter: SpamAssassin 4 tag name _BSCLASS_KIND_: '$kind'" test "$kind" = bounce
check "backscatter: no warnings" no_warnings

scan "$tmp/site" "$data/genuine-bounce.eml"
check "genuine bounce: BSCLASS_GENUINE_BOUNCE" hit BSCLASS_GENUINE_BOUNCE
check "genuine bounce: not backscatter" no_hit BSCLASS_BACKSCATTER
check "genuine bounce: X-Spam-Status No (score $score)" test "$status" = No
check "genuine bounce: not penalised (score $score < 0.5)" score_below 0.5
check "genuine bounce: proven ours, failed recipient tagged: '$tag'" \
	test "$tag" = "genuine_bounce origin=ours rcpts=p.novak@example.net"

scan "$tmp/site" "$data/ooo.eml"
check "out-of-office: BSCLASS_OUT_OF_OFFICE" hit BSCLASS_OUT_OF_OFFICE
check "out-of-office to our signed Message-ID: not forged" no_hit BSCLASS_OOO_FORGED
check "out-of-office: ham (score $score)" test "$status" = No
check "out-of-office: tag '$tag'" test "$tag" = "out_of_office origin=ours rcpts="

scan "$tmp/site" "$data/ooo-forged.eml"
check "forged out-of-office: BSCLASS_OUT_OF_OFFICE" hit BSCLASS_OUT_OF_OFFICE
check "forged out-of-office: BSCLASS_OOO_FORGED" hit BSCLASS_OOO_FORGED
check "forged out-of-office: spam (score $score)" test "$status" = Yes

scan "$tmp/site" "$data/cr-forged.eml"
check "forged challenge: BSCLASS_CHALLENGE_RESPONSE" hit BSCLASS_CHALLENGE_RESPONSE
check "forged challenge: BSCLASS_CR_FORGED" hit BSCLASS_CR_FORGED
check "forged challenge: spam (score $score)" test "$status" = Yes

scan "$tmp/site" "$data/ham.eml"
check "ordinary mail: no BSCLASS rule (tests=$tests)" no_bsclass
check "ordinary mail: ham" test "$status" = No
check "ordinary mail: tag '$tag'" test "$tag" = "normal origin=unknown rcpts="

# The same site config given one key per line.
scan "$tmp/site-keys" "$data/genuine-bounce.eml"
check "per-key lines: genuine bounce, origin ours" \
	test "$tag" = "genuine_bounce origin=ours rcpts=p.novak@example.net"
scan "$tmp/site-keys" "$data/backscatter.eml"
check "per-key lines: backscatter" hit BSCLASS_BACKSCATTER

# ------------------------------------------------------- the whole corpus

# Every corpus mbox in one spamassassin run: each message's verdict, origin
# and failed recipients as the plugin tags them are what bsclassify says
# with the same site config and rules (the plugin adds nothing of its own).
: >"$tmp/all.mbox"
for f in "$src"/corpus/*.mbox; do
	cat "$f" >>"$tmp/all.mbox"
	echo >>"$tmp/all.mbox"
done
sa "$tmp/site" -t --mbox "$tmp/all.mbox"
"$PERL" -e '
	local $/; my $t = <STDIN>;
	for my $m (split /^(?=From )/m, $t) {
		my ($h) = split /\n\n/, $m, 2;
		$h =~ s/\n[ \t]+/ /g;
		my ($v) = $h =~ /^X-Spam-BSClass: (.*)$/m;
		$v = "MISSING" unless defined $v;
		$v =~ s/\s*,\s*/,/g; $v =~ s/ (?:origin|rcpts)=/ /g; $v =~ s/\s+$//;
		print "$v\n";
	}' <"$tmp/out" | sort >"$tmp/sa.txt"
"$bsclassify" --rules "$src/rules" --config "$data/site.conf" --format=json "$tmp/all.mbox" |
	"$PERL" -MJSON::PP -ne '
		my $d = decode_json ($_);
		my @f = map { $_->{address} } grep { $_->{action} eq "failed" } @{$d->{recipients} || []};
		my $v = "$d->{verdict} $d->{origin} " . join (",", @f);
		$v =~ s/\s+$//;
		print "$v\n";' | sort >"$tmp/cli.txt"
count=$(wc -l <"$tmp/cli.txt" | tr -d ' ')
check "corpus: spamassassin read all $count messages" \
	test "$(wc -l <"$tmp/sa.txt" | tr -d ' ')" = "$count"
check "corpus: plugin verdicts = bsclassify verdicts" cmp -s "$tmp/sa.txt" "$tmp/cli.txt"
if ! cmp -s "$tmp/sa.txt" "$tmp/cli.txt"; then
	diff "$tmp/sa.txt" "$tmp/cli.txt" | sed 's/^/# /' | head -20
fi

# ------------------------------------------------------------ site rules

scan "$tmp/site-rules" "$data/ooo.eml"
check "bsclass_site_rules: a site rule is applied" hit BSCLASS_OOO_FORGED

# ---------------------------------------------------------------- errors

scan "$tmp/site-badkey" "$data/genuine-bounce.eml"
check "refused bsclass_relay: the scan goes on" test -n "$status"
check "refused bsclass_relay: logged with the library's reason" err_has "bsclass: config: bsclass_relay:.*192.0.2.0/33"
check "refused bsclass_relay: site config dropped (origin unknown): '$tag'" \
	test "${tag#* origin=unknown }" != "$tag"
sa "$tmp/site-badkey" --lint
check "refused bsclass_relay: --lint fails" test "$rc" != 0

scan "$tmp/site-badrules" "$data/backscatter.eml"
check "bad site rules: logged with file and line" err_has "bad-rules.cf:[0-9]"
check "bad site rules: shipped rules still classify" hit BSCLASS_BACKSCATTER
sa "$tmp/site-badrules" --lint
check "bad site rules: --lint fails" test "$rc" != 0

scan "$tmp/site-norules" "$data/backscatter.eml"
check "no rules folder: the scan goes on" test -n "$status"
check "no rules folder: no BSCLASS rule" no_bsclass
check "no rules folder: logged" err_has "bsclass: rules refused"
check "no rules folder: tag says none" test "$tag" = "none origin=none rcpts="

echo "1..$n"
exit $failed
