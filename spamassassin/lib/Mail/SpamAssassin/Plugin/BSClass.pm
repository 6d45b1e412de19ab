package Mail::SpamAssassin::Plugin::BSClass;
# SpamAssassin plugin over libbsclass: a thin wrapper with no logic of its
# own.  The raw message goes to bsc_classify() once; eval rules and
# template tags expose the result.  See the POD at the end.

use strict;
use warnings;

use File::Basename ();
use File::Spec ();
use Time::HiRes ();
use Scalar::Util ();

use Mail::SpamAssassin::Plugin;
use Mail::SpamAssassin::Logger qw(dbg info would_log);

our @ISA = qw(Mail::SpamAssassin::Plugin);

# The binding.  When it is not in @INC (a plugin loaded by path with
# `loadplugin Mail::SpamAssassin::Plugin::BSClass /path/BSClass.pm`), it
# is looked for in the same library tree as this file.  A failure does not
# stop SpamAssassin: the plugin loads, says why, and its rules never hit.
our $BINDING_ERROR;
BEGIN {
	if (!eval { require Mail::BSClass; 1 }) {
		my $first = $@;
		my $tree = File::Spec->catdir (File::Basename::dirname (File::Spec->rel2abs (__FILE__)),
					       File::Spec->updir, File::Spec->updir, File::Spec->updir);
		my $file = File::Spec->catfile ($tree, 'Mail', 'BSClass.pm');
		if (-f $file && !$INC{'Mail/BSClass.pm'}) {
			unshift @INC, $tree;
			eval { require Mail::BSClass; 1 } or $BINDING_ERROR = $@;
		} else {
			$BINDING_ERROR = $first;
		}
		if ($BINDING_ERROR) {
			$BINDING_ERROR =~ s/\s+\z//;
			$BINDING_ERROR =~ s/\n.*//s;
		}
	}
}

# Engines already built in this process, by configuration signature, held
# weakly: plugin objects (one per Mail::SpamAssassin object) that share a
# configuration share one engine, and it is freed with the last of them.
my %ENGINES;

# The site-config keys of the library, by SpamAssassin setting.
my %SITE_KEYS = (
	bsclass_domain       => 'domain',
	bsclass_relay        => 'relay',
	bsclass_batv_secret  => 'batv-secret',
	bsclass_batv_days    => 'batv-days',
	bsclass_msgid_secret => 'msgid-secret',
);

sub new {
	my ($class, $mailsa) = @_;
	my $self = $class->SUPER::new ($mailsa);
	bless $self, $class;

	$self->register_eval_rule ('check_bsclass', $Mail::SpamAssassin::Conf::TYPE_HEAD_EVALS);
	$self->set_config ($mailsa->{conf});
	info ("bsclass: $BINDING_ERROR") if $BINDING_ERROR;
	return $self;
}

# ------------------------------------------------------------ configuration

# A setting that collects file paths (relative to the .cf that names them).
sub _path_list_setting {
	my ($setting) = @_;
	return {
		setting => $setting,
		is_admin => 1,
		default => [],
		type => $Mail::SpamAssassin::Conf::CONF_TYPE_STRINGLIST,
		code => sub {
			my ($conf, $key, $value, $line) = @_;
			return $Mail::SpamAssassin::Conf::MISSING_REQUIRED_VALUE
				if !defined $value || $value eq '';
			my $path = $conf->{parser}->fix_path_relative_to_current_file ($value);
			$conf->{$setting} = [@{$conf->{$setting} || []}, $path];
			return;
		},
	};
}

sub set_config {
	my ($self, $conf) = @_;
	my @cmds;

	# bsclass_site_config FILE: the file `bsclassify --config` reads.
	push @cmds, _path_list_setting ('bsclass_site_config');

	# One line per site-config key; several domains or relays may share a line.
	for my $setting (sort keys %SITE_KEYS) {
		my $libkey = $SITE_KEYS{$setting};
		push @cmds, {
			setting => $setting,
			is_admin => 1,
			type => $Mail::SpamAssassin::Conf::CONF_TYPE_STRING,
			code => sub {
				my ($conf, $key, $value, $line) = @_;
				return $Mail::SpamAssassin::Conf::MISSING_REQUIRED_VALUE
					if !defined $value || $value !~ /\S/;
				$value =~ s/^\s+|\s+\z//g;
				my @values = ($libkey eq 'domain' || $libkey eq 'relay')
					? split (/[\s,]+/, $value) : ($value);
				# bsclassify's --batv-secret=K:SECRET form, too.
				@values = ("$1 $2") if $libkey eq 'batv-secret' && $value =~ /^(\d):(\S+)\z/;
				for my $v (@values) {
					if (my $why = _check_setting ($libkey, $v)) {
						warn "bsclass: config: $key: $why\n";
						$conf->{bsclass_config_errors}++;
						return $Mail::SpamAssassin::Conf::INVALID_VALUE;
					}
				}
				$conf->{bsclass_settings} = [@{$conf->{bsclass_settings} || []},
							     map { [$libkey, $_] } @values];
				return;
			},
		};
	}

	# bsclass_rules DIR: the shipped rules (default: the installed ones).
	push @cmds, {
		setting => 'bsclass_rules',
		is_admin => 1,
		default => undef,
		type => $Mail::SpamAssassin::Conf::CONF_TYPE_STRING,
		code => sub {
			my ($conf, $key, $value, $line) = @_;
			return $Mail::SpamAssassin::Conf::MISSING_REQUIRED_VALUE
				if !defined $value || $value eq '';
			$conf->{bsclass_rules} = $conf->{parser}->fix_path_relative_to_current_file ($value);
			return;
		},
	};

	# bsclass_site_rules FILE: site rules read after the shipped ones.
	push @cmds, _path_list_setting ('bsclass_site_rules');

	$conf->{parser}->register_commands (\@cmds);
}

# The library's word on one setting (undef when it takes it).
sub _check_setting {
	my ($libkey, $value) = @_;
	return undef if $BINDING_ERROR;	# reported once, elsewhere
	my $ok = eval { Mail::BSClass::Config->new->set ($libkey, $value); 1 };
	return undef if $ok;
	(my $why = $@) =~ s/\s+\z//;
	return $why;
}

# Everything the engine is built from, as one string; file times and sizes
# included, so that an edited site config or rule file is read again.
sub _signature {
	my ($conf) = @_;
	my @parts = ('rules=' . ($conf->{bsclass_rules} // ''));
	my @files = (@{$conf->{bsclass_site_config} || []}, @{$conf->{bsclass_site_rules} || []});
	my $dir = $conf->{bsclass_rules} // ($BINDING_ERROR ? '' : Mail::BSClass::default_rules_dir ());
	if ($dir ne '' && opendir (my $dh, $dir)) {
		push @files, map { "$dir/$_" } sort grep { /\.cf\z/ } readdir $dh;
		closedir $dh;
	}
	for my $f (@files) {
		my @st = stat $f;
		push @parts, join ':', $f, (@st ? ($st[9], $st[7]) : ('-', '-'));
	}
	push @parts, 'site-config=' . join (',', @{$conf->{bsclass_site_config} || []});
	push @parts, 'site-rules=' . join (',', @{$conf->{bsclass_site_rules} || []});
	push @parts, map { "$_->[0]=$_->[1]" } @{$conf->{bsclass_settings} || []};
	push @parts, 'errors=' . ($conf->{bsclass_config_errors} || 0);
	return join "\n", @parts;
}

# Called once the system-wide configuration is read (also by --lint, and
# in spamd's parent before it forks: the children share the engine).
sub finish_parsing_end {
	my ($self, $opts) = @_;
	my $conf = $opts->{conf};
	if ($BINDING_ERROR) {
		_complain ($conf, "bsclass: the library cannot be used, BSCLASS rules are off: $BINDING_ERROR");
		return;
	}
	$self->_engine ($conf);
	return;
}

# Logs a configuration problem: an error under --lint, a warning otherwise.
sub _complain {
	my ($conf, $msg) = @_;
	if ($conf->{lint_rules} || $conf->{main}{lint_callback}) {
		$conf->{parser}->lint_warn ($msg);
	} else {
		warn "$msg\n";
	}
}

# The engine for $conf: built for the first configuration read, rebuilt
# when it changed (settings, or the files' times and sizes), undef when it
# cannot be built (the reason has been logged once).  Called when
# SpamAssassin has (re)read its configuration, not per message.
sub _engine {
	my ($self, $conf) = @_;
	return undef if $BINDING_ERROR;
	my $sig = _signature ($conf);
	if (defined $self->{engine_sig} && $self->{engine_sig} eq $sig) {
		return $self->{engine};
	}
	$self->{engine_sig} = $sig;
	$self->{engine} = $ENGINES{$sig};
	return $self->{engine} if $self->{engine};

	my $t0 = Time::HiRes::time ();
	my $cfg = Mail::BSClass::Config->new;
	my $site_ok = !$conf->{bsclass_config_errors};
	for my $file (@{$conf->{bsclass_site_config} || []}) {
		last unless $site_ok;
		eval { $cfg->load_file ($file); 1 } or do {
			(my $why = $@) =~ s/\s+\z//;
			_complain ($conf, "bsclass: site config $why");
			$site_ok = 0;
		};
	}
	for my $s (@{$conf->{bsclass_settings} || []}) {
		last unless $site_ok;
		eval { $cfg->set (@$s); 1 } or do {
			(my $why = $@) =~ s/\s+\z//;
			_complain ($conf, "bsclass: config: $why");
			$site_ok = 0;
		};
	}
	if (!$site_ok) {
		# A half-read site config could call our own bounces forged
		# (our domain, but none of our relays): use none at all, so
		# that origin stays unknown and only heuristics judge.
		warn "bsclass: site config refused, classifying without one (no origin proofs)\n";
		$cfg = undef;
	}

	my %arg = (rules_dir => $conf->{bsclass_rules}, config => $cfg);
	my $engine = eval {
		Mail::BSClass::Engine->new (%arg, site_rules => $conf->{bsclass_site_rules} || []);
	};
	if (!$engine) {
		(my $why = $@) =~ s/\s+\z//;
		_complain ($conf, "bsclass: rules refused: $why");
		if (@{$conf->{bsclass_site_rules} || []}) {
			# The shipped rules alone, rather than nothing.
			$engine = eval { Mail::BSClass::Engine->new (%arg) };
			warn "bsclass: using the shipped rules without the site rules\n" if $engine;
		}
		if (!$engine) {
			warn "bsclass: no engine, BSCLASS rules are off\n";
			$self->{engine} = undef;
			return undef;
		}
	}
	dbg ("bsclass: engine built: libbsclass %s (%s), %d rules, %.1f ms",
	     Mail::BSClass::library_version (), $Mail::BSClass::LIBRARY,
	     $engine->rule_count, 1000 * (Time::HiRes::time () - $t0));
	$ENGINES{$sig} = $engine;
	Scalar::Util::weaken ($ENGINES{$sig});
	$self->{engine} = $engine;
	return $engine;
}

# -------------------------------------------------------------- per message

# The classification of the message, computed once and kept on the
# PerMsgStatus object: a hash with kind, origin, verdict, score and
# failed_recipients, or undef when there is none (no engine, not mail).
sub _result {
	my ($self, $pms) = @_;
	return $pms->{bsclass_result} if exists $pms->{bsclass_result};
	$pms->{bsclass_result} = undef;

	# Built at finish_parsing_end; built here only if that never ran.
	my $engine = defined $self->{engine_sig} ? $self->{engine} : $self->_engine ($pms->{conf});
	return undef unless $engine;
	my $t0 = Time::HiRes::time ();
	my $res = eval {
		my $r = $engine->classify ($pms->{msg}->get_pristine ());
		my @rcpts = $r->recipients ('address', 'action');
		my %res = (
			kind    => $r->kind,
			origin  => $r->origin,
			verdict => $r->verdict,
			score   => $r->score,
			failed_recipients => [map { $_->{address} }
					      grep { ($_->{action} // '') eq 'failed' && defined $_->{address} } @rcpts],
		);
		if (would_log ('dbg', 'bsclass')) {
			$res{rules} = join ',', map { $_->{name} } $r->rules;
		}
		\%res;
	};
	if (!$res) {
		(my $why = $@) =~ s/\s+\z//;
		info ("bsclass: message not classified: $why");
		return undef;
	}
	dbg ("bsclass: %s (kind %s, origin %s, score %s) in %.2f ms; rules %s",
	     $res->{verdict}, $res->{kind}, $res->{origin}, $res->{score},
	     1000 * (Time::HiRes::time () - $t0), $res->{rules} // '')
		if would_log ('dbg', 'bsclass');
	return $pms->{bsclass_result} = $res;
}

# eval:check_bsclass(VERDICT [, ORIGIN]): the verdict is VERDICT
# (backscatter, genuine_bounce, out_of_office, challenge_response, normal)
# and, when given, the origin is ORIGIN (ours, forged, unknown).
sub check_bsclass {
	my ($self, $pms, $verdict, $origin) = @_;
	my $res = eval { $self->_result ($pms) };
	return 0 unless $res && defined $verdict;
	return 0 unless $res->{verdict} eq $verdict;
	return 0 if defined $origin && $res->{origin} ne $origin;
	return 1;
}

# Template tags, computed on demand (a tag nobody uses costs nothing):
#   _BSCLASSVERDICT_ _BSCLASSORIGIN_ _BSCLASSKIND_ _BSCLASSSCORE_
#   _BSCLASSRCPTS_ (failed recipients, comma separated)
# SpamAssassin 4 also knows them as _BSCLASS_VERDICT_ and so on.
my %TAGS = (
	VERDICT => sub { $_[0] ? $_[0]{verdict} : 'none' },
	ORIGIN  => sub { $_[0] ? $_[0]{origin} : 'none' },
	KIND    => sub { $_[0] ? $_[0]{kind} : 'none' },
	SCORE   => sub { $_[0] ? sprintf ('%.1f', $_[0]{score}) : '0' },
	RCPTS   => sub { $_[0] ? join (',', @{$_[0]{failed_recipients}}) : '' },
);

sub check_start {
	my ($self, $opts) = @_;
	my $pms = $opts->{permsgstatus};
	if (!$self->{tag_subs}) {
		# Made once; SpamAssassin passes the PerMsgStatus object as
		# the first argument.  A weak reference: no cycle through $self.
		my $plugin = $self;
		Scalar::Util::weaken ($plugin);
		for my $name (keys %TAGS) {
			my $get = $TAGS{$name};
			$self->{tag_subs}{$name} = sub {
				my $res = $plugin ? eval { $plugin->_result ($_[0]) } : undef;
				return $get->($res);
			};
		}
	}
	while (my ($name, $sub) = each %{$self->{tag_subs}}) {
		$pms->set_tag ("BSCLASS$name", $sub);
		$pms->set_tag ("BSCLASS_$name", $sub);
	}
	return;
}

1;

__END__

=head1 NAME

Mail::SpamAssassin::Plugin::BSClass - libbsclass verdicts (backscatter,
genuine bounce, out-of-office, challenge-response) as SpamAssassin rules

=head1 SYNOPSIS

In F<local.cf> (the folder of the .cf depends on the install prefix):

  loadplugin Mail::SpamAssassin::Plugin::BSClass
  include /usr/local/share/libbsclass/spamassassin/bsclass.cf
  bsclass_site_config /etc/bsclass/site.conf

  # optional
  add_header all BSClass _BSCLASSVERDICT_ origin=_BSCLASSORIGIN_ rcpts=_BSCLASSRCPTS_

=head1 DESCRIPTION

Hands each message, unchanged, to libbsclass (through L<Mail::BSClass>)
once, and exposes the result.  It has no classification logic of its own.

=head2 Eval rule

C<eval:check_bsclass(VERDICT [, ORIGIN])> is true when the library's
verdict is VERDICT (C<backscatter>, C<genuine_bounce>, C<out_of_office>,
C<challenge_response>, C<normal>) and, when given, its origin is ORIGIN
(C<ours>, C<forged>, C<unknown>).  F<bsclass.cf> defines BSCLASS_BACKSCATTER,
BSCLASS_GENUINE_BOUNCE, BSCLASS_OUT_OF_OFFICE, BSCLASS_OOO_FORGED,
BSCLASS_CHALLENGE_RESPONSE and BSCLASS_CR_FORGED with it.

=head2 Configuration (administrator settings only)

=over 4

=item bsclass_site_config FILE

The site config, the file C<bsclassify --config> reads (may repeat).

=item bsclass_domain DOMAIN ...

=item bsclass_relay HOST|ADDRESS|CIDR ...

=item bsclass_batv_secret K SECRET

=item bsclass_batv_days N

=item bsclass_msgid_secret SECRET

The site config keys one per line, added to what the files give.

=item bsclass_rules DIR

The rules folder (default: the installed rules, C<bsc_default_rules_dir()>).

=item bsclass_site_rules FILE

A site rule file read after the shipped rules (may repeat).

=back

The engine is built once per process when the configuration has been read,
and again only when it changes.  A refused setting or site config file
disables the whole site config (origin then stays unknown) and a refused
rule file the site rules; both are logged as warnings, and
C<spamassassin --lint> fails.  A message the library cannot read is logged
at info level and gets no BSCLASS rule.

=head2 Template tags

C<_BSCLASSVERDICT_>, C<_BSCLASSORIGIN_>, C<_BSCLASSKIND_>,
C<_BSCLASSSCORE_> and C<_BSCLASSRCPTS_> (the failed recipients, comma
separated); C<none> when there is no result.  SpamAssassin 4 also accepts
C<_BSCLASS_VERDICT_> and so on.

=cut
