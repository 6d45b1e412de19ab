#!/bin/sh
# bench.sh - what the SpamAssassin plugin costs per message (a benchmark,
# not a test).  Run from a build tree configured with SpamAssassin, after
# `make`:
#
#     spamassassin/bench.sh [MAIL-FILE...]       (default: every corpus/*.mbox)
#
# Environment: ROUNDS (passes over the mails, default 3), PORT (default
# 17830; PORT+1 is used too), SA_RULES (SpamAssassin's rules folder,
# default its own: the full Debian ruleset), top_srcdir, top_builddir, PERL.
#
# Three measurements, each the median over ROUNDS x the mails:
#  1. spamd: two spamd daemons on 127.0.0.1 (one child each, -L, no Bayes,
#     no user config), the same SpamAssassin configuration, one with the
#     plugin (loadplugin + bsclass.cf + the test site config) and one
#     without; every mail goes to both in turn with `spamc -c`, and the
#     plugin's cost is the median of the per-mail differences;
#  2. in process: Mail::SpamAssassin->check() with the plugin, and the
#     time spent inside the plugin's hooks during it;
#  3. the binding alone: Mail::BSClass::Engine->classify() per mail, and
#     one FFI call into the library.

top_srcdir=${top_srcdir:-$(dirname "$0")/..}
top_builddir=${top_builddir:-.}
PERL=${PERL:-perl}
ROUNDS=${ROUNDS:-3}
PORT=${PORT:-17830}

src=$(cd "$top_srcdir" && pwd) || exit 2
build=$(cd "$top_builddir" && pwd) || exit 2
lib=$build/.libs/libbsclass.so
if [ ! -f "$lib" ] || [ ! -f "$build/spamassassin/lib/Mail/BSClass.pm" ]; then
	echo "bench.sh: run it from a build tree configured with SpamAssassin, after make" >&2
	exit 2
fi
spamd=$(command -v spamd || echo /usr/sbin/spamd)
if [ ! -x "$spamd" ]; then
	echo "bench.sh: no spamd (Debian: apt-get install spamd, or spamassassin)" >&2
	exit 2
fi
spamc=$(command -v spamc || echo /usr/bin/spamc)
if [ ! -x "$spamc" ]; then
	echo "bench.sh: no spamc (Debian: apt-get install spamc)" >&2
	exit 2
fi
if [ $# -eq 0 ]; then
	set -- "$src"/corpus/*.mbox
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bsclass-bench.XXXXXX") || exit 2
chmod 755 "$tmp"
pids=
cleanup () {
	for p in $pids; do kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

BSCLASS_LIBRARY=$lib
export BSCLASS_LIBRARY
inc="-I$build/spamassassin/lib -I$src/spamassassin/lib"

# Two site configuration folders: SpamAssassin's own .pre files (its
# default plugins), no Bayes; "with" adds the lines README.md documents.
sysdir=$("$PERL" -MMail::SpamAssassin -e 'print Mail::SpamAssassin->new ({})->{LOCAL_RULES_DIR}')
for v in without with; do
	mkdir -p "$tmp/$v" "$tmp/home-$v" "$tmp/mails"
	cp "$sysdir"/*.pre "$tmp/$v/" 2>/dev/null
	printf 'use_bayes 0\nbayes_auto_learn 0\n' >"$tmp/$v/local.cf"
done
cat >>"$tmp/with/local.cf" <<EOF
loadplugin Mail::SpamAssassin::Plugin::BSClass
include $src/spamassassin/bsclass.cf
bsclass_site_config $src/tests/data/spamassassin/site.conf
bsclass_rules $src/rules
EOF
chmod -R a+rX "$tmp"
rules_opt=
[ -n "${SA_RULES:-}" ] && rules_opt="--configpath=$SA_RULES"

user_opt=
[ "$(id -u)" = 0 ] && user_opt="-u nobody"
start_spamd () {	# VARIANT PORT
	"$PERL" -T $inc "$spamd" -L -x $user_opt -H "$tmp/home-$1" \
		--max-children=1 --min-children=1 --max-conn-per-child=1000000 \
		--listen="127.0.0.1:$2" --siteconfigpath="$tmp/$1" $rules_opt \
		-s null -r "$tmp/spamd-$1.pid" >"$tmp/spamd-$1.out" 2>&1 &
	pids="$pids $!"
}
start_spamd without "$PORT"
start_spamd with "$((PORT + 1))"

ROUNDS=$ROUNDS PORT=$PORT SA_RULES=${SA_RULES:-} SITE_WITHOUT=$tmp/without \
SITE_WITH=$tmp/with HOME=$tmp/home-with MAILDIR=$tmp/mails SPAMC=$spamc \
"$PERL" $inc -MMail::BSClass -MMail::SpamAssassin \
	-MTime::HiRes=time,sleep -e '
use strict;
use warnings;

sub median { my @s = sort { $a <=> $b } @_; return @s % 2 ? $s[$#s / 2] : ($s[@s / 2 - 1] + $s[@s / 2]) / 2; }
sub ms { sprintf "%.3f ms", 1000 * $_[0] }

# The mails: mbox files split at "From " lines, other files whole.
my @mails;
for my $f (@ARGV) {
	open my $fh, "<", $f or die "$f: $!\n";
	local $/;
	my $t = <$fh>;
	push @mails, $t =~ /\AFrom / ? (split /\n(?=From )/, $t) : ($t);
}
my $rounds = $ENV{ROUNDS};
printf "%d mails x %d rounds; SpamAssassin %s, libbsclass %s via FFI::Platypus %s, perl %vd\n",
	scalar @mails, $rounds, Mail::SpamAssassin::Version (), Mail::BSClass::library_version (),
	FFI::Platypus->VERSION, $^V;

# 1. spamd, through spamc -c (one spamc process per mail, as an MTA runs it)
my $spamc = $ENV{SPAMC};
my $dir = $ENV{MAILDIR};
for my $i (0 .. $#mails) {
	open my $fh, ">", "$dir/$i.eml" or die "$dir/$i.eml: $!\n";
	print $fh $mails[$i];
	close $fh;
}
sub spamc {
	my ($port, @arg) = @_;
	my $pid = fork // die "fork: $!\n";
	if (!$pid) {
		open STDIN, "<", (@arg ? $arg[0] : "/dev/null");
		open STDOUT, ">", "/dev/null";
		open STDERR, ">", "/dev/null";
		exec $spamc, "-d", "127.0.0.1", "-p", $port, (@arg ? "-c" : "-K");
		exit 127;
	}
	waitpid $pid, 0;
	return $?;
}
my %port = (without => $ENV{PORT}, with => $ENV{PORT} + 1);
for my $v (sort keys %port) {
	my $t0 = time;
	until (spamc ($port{$v}) == 0) {
		die "spamd ($v) did not start\n" if time - $t0 > 120;
		sleep 0.5;
	}
	spamc ($port{$v}, "$dir/0.eml");	# warm up
}
my (%t, @diff);
for my $r (1 .. $rounds) {
	for my $i (0 .. $#mails) {
		my %one;
		for my $v ($r % 2 ? qw(without with) : qw(with without)) {
			my $t0 = time;
			spamc ($port{$v}, "$dir/$i.eml");
			$one{$v} = time - $t0;
			push @{$t{$v}}, $one{$v};
		}
		push @diff, $one{with} - $one{without};
	}
}
printf "spamd + spamc, per mail:      without plugin %s, with plugin %s, plugin cost (median of per-mail differences) %s\n",
	ms (median (@{$t{without}})), ms (median (@{$t{with}})), ms (median (@diff));

# 2. in process: one Mail::SpamAssassin with the plugin, its hooks timed
# (two Mail::SpamAssassin objects in one process do not get along).
my $sa = Mail::SpamAssassin->new ({
	site_rules_filename => $ENV{SITE_WITH},
	($ENV{SA_RULES} ? (rules_filename => $ENV{SA_RULES}) : ()),
	userprefs_filename => "/dev/null", local_tests_only => 1,
	dont_copy_prefs => 1, home_dir_for_helpers => $ENV{HOME} });
$sa->compile_now (0);
my $in_plugin = 0;
{
	no strict "refs";
	no warnings "redefine";
	for my $name (qw(check_start check_bsclass)) {
		my $orig = \&{"Mail::SpamAssassin::Plugin::BSClass::$name"};
		*{"Mail::SpamAssassin::Plugin::BSClass::$name"} = sub {
			my $t0 = time;
			my @r = $orig->(@_);
			$in_plugin += time - $t0;
			return wantarray ? @r : $r[0];
		};
	}
}
my (@check, @plugin);
for my $r (1 .. $rounds) {
	for my $m (@mails) {
		my $mail = $sa->parse ($m);
		$in_plugin = 0;
		my $t0 = time;
		my $st = $sa->check ($mail);
		push @check, time - $t0;
		push @plugin, $in_plugin;
		$st->finish;
		$mail->finish;
	}
}
printf "in process, per mail: check() %s, of which the plugin (classify, rules, tags) %s\n",
	ms (median (@check)), ms (median (@plugin));

# 3. the binding alone
my $cfg = Mail::BSClass::Config->new;
$cfg->load_file ("'"$src"'/tests/data/spamassassin/site.conf");
my $e = Mail::BSClass::Engine->new (rules_dir => "'"$src"'/rules", config => $cfg);
my @tc;
for my $r (1 .. $rounds) {
	for my $m (@mails) {
		my $t0 = time;
		my $res = $e->classify ($m);
		my @x = ($res->verdict, $res->origin, $res->kind, $res->recipients ("address", "action"));
		push @tc, time - $t0;
	}
}
my $res = $e->classify ($mails[0]);
my $n = 1_000_000;
my $t0 = time;
Mail::BSClass::FFI::bsc_result_verdict ($res->{h}) for 1 .. $n;
my $call = (time - $t0) / $n;
printf "binding: classify + verdict/origin/kind/recipients, per mail: %s; one FFI call: %.0f ns\n",
	ms (median (@tc)), 1e9 * $call;
' "$@"
