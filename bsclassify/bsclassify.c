/*
 * bsclassify - classify bounces, auto-replies and backscatter (DESIGN.md section 6)
 *
 * A user of the public API only: everything it knows about mail comes
 * from bsclass.h.  This file parses the command line, builds the engine
 * and feeds it the messages that inputs.c reads, in this process or
 * (-j N) through the worker processes of pool.c; output.c writes the
 * records.
 *
 * Exit status: 0 every input was read and classified, 1 some file or
 * message could not be, 2 a usage, configuration or write error.
 */
#define _POSIX_C_SOURCE 200809L

#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bsclass.h"
#include "inputs.h"
#include "output.h"
#include "pool.h"

#ifndef PACKAGE_VERSION
#define BSC_STR2(x) #x
#define BSC_STR(x) BSC_STR2 (x)
#define PACKAGE_VERSION \
	BSC_STR (BSC_VERSION_MAJOR) "." BSC_STR (BSC_VERSION_MINOR) "." BSC_STR (BSC_VERSION_MICRO)
#endif

#define EXIT_INPUT_ERROR 1
#define EXIT_USAGE 2
#define DEFAULT_MESSAGE_CAP (64UL * 1024 * 1024)

/* What the command line asked for. */
typedef struct cli {
	output_format_t format;
	int summary;
	int explain;
	int lint;
	int jobs;                /* -j: worker processes, 1 = classify in-process */
	time_t now;              /* --now, 0 when not given */
	const char *batv_sign;   /* --batv-sign ADDRESS */
	const char *msgid_sign;  /* --msgid-sign LOCAL@DOMAIN */
	const char *rules_dir;
	bsc_config_t *config;
	bsc_options_t *options;
} cli_t;

/* ------------------------------------------------------------ messages */

void
msg (const char *fmt, ...)
{
	va_list ap;

	fputs ("bsclassify: ", stderr);
	va_start (ap, fmt);
	vfprintf (stderr, fmt, ap);
	va_end (ap);
	fputc ('\n', stderr);
}

static int usage_error (const char *fmt, ...) PRINTF_LIKE (1, 2);

static int
usage_error (const char *fmt, ...)
{
	va_list ap;

	fputs ("bsclassify: ", stderr);
	va_start (ap, fmt);
	vfprintf (stderr, fmt, ap);
	va_end (ap);
	fputs ("\nTry 'bsclassify --help' for more information.\n", stderr);
	return EXIT_USAGE;
}

/* A loader's complaint: "FILE:LINE:COLUMN: reason" as far as it is known. */
static int
loader_error (const char *what, bsc_status_t st, const bsc_error_t *err)
{
	if (err->source[0] && err->line > 0 && err->column > 0)
		msg ("%s:%d:%d: %s", err->source, err->line, err->column,
		     err->text[0] ? err->text : bsc_strerror (st));
	else if (err->source[0] && err->line > 0)
		msg ("%s:%d: %s", err->source, err->line,
		     err->text[0] ? err->text : bsc_strerror (st));
	else if (err->source[0])
		msg ("%s: %s", err->source, err->text[0] ? err->text : bsc_strerror (st));
	else
		msg ("%s: %s", what, err->text[0] ? err->text : bsc_strerror (st));
	return EXIT_USAGE;
}

static const char usage_text[] =
	"Usage: bsclassify [OPTIONS] [FILE|DIR|-]...\n"
	"Tell bounces, auto-replies and challenges about our own mail from backscatter.\n"
	"\n"
	"Each FILE is an mbox (it starts with \"From \") or one message; a DIR is\n"
	"walked recursively; '-' or no operand reads standard input.\n"
	"\n"
	"Output:\n"
	"  -f, --format=FORMAT     text (default) or json (one JSON object per line)\n"
	"      --explain           evaluate every rule and list each that fired, with\n"
	"                          its points and the text it matched (slower)\n"
	"      --summary           after the run, counts per verdict on standard error\n"
	"\n"
	"Rules and site config:\n"
	"      --rules=DIR         shipped rules folder (default: $BSCLASS_RULES_DIR,\n"
	"                          else the installed rules)\n"
	"      --site-rules=FILE   a site rule file read after them (repeatable)\n"
	"      --config=FILE       site config file (domain, relay, batv-secret, ...)\n"
	"      --domain=DOMAIN     one of our mail domains (repeatable)\n"
	"      --relay=HOST|CIDR   one of our outbound relays (repeatable)\n"
	"      --batv-secret=K:S   BATV secret S for key number K (0-9, repeatable)\n"
	"      --batv-days=N       how many days a BATV tag lives (default 7)\n"
	"      --msgid-secret=S    secret of our signed Message-IDs (repeatable)\n"
	"      --limit=NAME=VALUE  a per-message limit (repeatable): mime-depth, parts,\n"
	"                          headers, header-bytes, text-sample, original-bytes,\n"
	"                          recipients, message-bytes, match-limit, depth-limit\n"
	"      --now=TIME          judge BATV tags as of TIME (Unix seconds, or\n"
	"                          YYYY-MM-DD[THH:MM[:SS]] in UTC) instead of each\n"
	"                          message's own receipt time\n"
	"      --lint              check the rules, print how many there are, exit\n"
	"\n"
	"Signing (print and exit; uses the site config):\n"
	"      --batv-sign=ADDRESS print the BATV (prvs=) form of an envelope sender\n"
	"      --msgid-sign=LOCAL@DOMAIN  print a signed Message-ID <LOCAL.TAG@DOMAIN>\n"
	"\n"
	"Workers:\n"
	"  -j, --jobs=N            classify in N worker processes (default 1: in this\n"
	"                          one; 0: one per online CPU; at most 64).  Records\n"
	"                          keep the input order and memory stays bounded\n"
	"\n"
	"  -h, --help              show this help and exit\n"
	"  -V, --version           show the program and library versions and exit\n"
	"\n"
	"Exit status: 0 all input read, 1 some input could not be read or\n"
	"classified, 2 usage, configuration or write error (or every worker died).\n";

/* Writes @text to standard output; 0, or the usage exit status on a write error. */
static int
print_stdout (const char *text)
{
	if (fputs (text, stdout) == EOF || fflush (stdout) != 0) {
		msg ("write error: %s", strerror (errno));
		return EXIT_USAGE;
	}
	return 0;
}

static int
print_version (void)
{
	char text[128];

	snprintf (text, sizeof text, "bsclassify %s\nlibbsclass %s\n", PACKAGE_VERSION,
		  bsc_version ());
	return print_stdout (text);
}

/* ------------------------------------------------------------ option values */

static const struct {
	const char *name;
	bsc_limit_t limit;
} limit_names[] = {
	{ "mime-depth", BSC_LIMIT_MIME_DEPTH },
	{ "parts", BSC_LIMIT_PARTS },
	{ "headers", BSC_LIMIT_HEADERS },
	{ "header-bytes", BSC_LIMIT_HEADER_BYTES },
	{ "text-sample", BSC_LIMIT_TEXT_SAMPLE },
	{ "original-bytes", BSC_LIMIT_ORIGINAL_BYTES },
	{ "recipients", BSC_LIMIT_RECIPIENTS },
	{ "message-bytes", BSC_LIMIT_MESSAGE_BYTES },
	{ "match-limit", BSC_LIMIT_MATCH },
	{ "depth-limit", BSC_LIMIT_DEPTH },
};

/* A whole decimal number in [min, max]; 0, or -1 when @s is not one. */
static int
parse_number (const char *s, unsigned long long min, unsigned long long max,
	      unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull (s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
opt_limit (cli_t *cli, const char *arg)
{
	const char *eq = strchr (arg, '=');
	unsigned long long v;
	size_t i;

	if (!eq)
		return usage_error ("--limit '%s': expected NAME=VALUE", arg);
	for (i = 0; i < sizeof limit_names / sizeof limit_names[0]; i++) {
		if (strlen (limit_names[i].name) != (size_t) (eq - arg) ||
		    strncmp (arg, limit_names[i].name, (size_t) (eq - arg)) != 0)
			continue;
		if (parse_number (eq + 1, 1, SIZE_MAX, &v) < 0)
			return usage_error ("--limit '%s': the value must be a positive number",
					    arg);
		if (bsc_options_set_limit (cli->options, limit_names[i].limit, (size_t) v) != BSC_OK)
			return usage_error ("--limit '%s': refused by the library", arg);
		return 0;
	}
	return usage_error ("--limit '%s': unknown limit (see --help)", arg);
}

static int
opt_batv_secret (cli_t *cli, const char *arg)
{
	bsc_status_t st;

	if (arg[0] < '0' || arg[0] > '9' || arg[1] != ':' || arg[2] == '\0')
		return usage_error ("--batv-secret: expected K:SECRET, K a key number 0-9");
	st = bsc_config_add_batv_secret (cli->config, arg[0] - '0', arg + 2);
	if (st != BSC_OK)
		return usage_error ("--batv-secret: %s", bsc_strerror (st));
	return 0;
}

static int
opt_config_file (cli_t *cli, const char *path)
{
	bsc_error_t err;
	bsc_status_t st;

	memset (&err, 0, sizeof err);
	st = bsc_config_load_file (cli->config, path, &err);
	if (st == BSC_OK)
		return 0;
	if (!err.source[0])
		snprintf (err.source, sizeof err.source, "%s", path);
	return loader_error (path, st, &err);
}

/* Applies one config setting given as an option: a usage error when refused. */
static int
check_setting (const char *option, const char *arg, bsc_status_t st)
{
	if (st == BSC_OK)
		return 0;
	return usage_error ("%s '%s': %s", option, arg, bsc_strerror (st));
}

/* -j N: 1-64 workers, 0 for one per online CPU; more than 64 count as 64. */
static int
opt_jobs (cli_t *cli, const char *arg)
{
	unsigned long long n;
	long cpus;

	if (parse_number (arg, 0, ULLONG_MAX, &n) < 0)
		return usage_error ("-j '%s': expected a number of workers (0: one per CPU)", arg);
	if (n == 0) {
		cpus = sysconf (_SC_NPROCESSORS_ONLN);
		n = cpus > 0 ? (unsigned long long) cpus : 1;
	}
	cli->jobs = n > POOL_MAX_JOBS ? POOL_MAX_JOBS : (int) n;
	return 0;
}

/* Days from 1970-01-01 to a civil date (proleptic Gregorian). */
static long long
days_from_civil (long long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned) (y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long) doe - 719468;
}

/* --now: Unix seconds, or an ISO 8601 date and time in UTC. */
static int
parse_time (const char *arg, time_t *out)
{
	unsigned long long secs;
	int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;

	if (parse_number (arg, 0, (unsigned long long) INT64_MAX / 2, &secs) == 0) {
		*out = (time_t) secs;
		return 0;
	}
	if (sscanf (arg, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
		return -1;
	if (arg[n] == 'T' || arg[n] == ' ') {
		int m = 0;
		if (sscanf (arg + n + 1, "%2d:%2d%n", &h, &mi, &m) != 2)
			return -1;
		n += 1 + m;
		if (arg[n] == ':') {
			if (sscanf (arg + n + 1, "%2d%n", &sec, &m) != 1)
				return -1;
			n += 1 + m;
		}
	}
	if (arg[n] == 'Z')
		n++;
	if (arg[n] || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60 || h < 0 || mi < 0 || sec < 0)
		return -1;
	*out = (time_t) (days_from_civil (y, (unsigned) mo, (unsigned) d) * 86400 + h * 3600 +
			 mi * 60 + sec);
	return 0;
}

/* --batv-sign and --msgid-sign: print the signed form and stop. */
static int
sign (cli_t *cli)
{
	char *out = NULL, *local = NULL;
	bsc_status_t st;
	int rc;

	if (cli->batv_sign) {
		st = bsc_batv_sign (cli->config, -1, cli->batv_sign,
				    cli->now ? cli->now : time (NULL), &out);
		if (st != BSC_OK)
			return usage_error ("--batv-sign '%s': %s (is a batv-secret configured?)",
					    cli->batv_sign, bsc_strerror (st));
		rc = print_stdout (out);
		bsc_free (out);
		if (rc || (rc = print_stdout ("\n")))
			return rc;
	}
	if (cli->msgid_sign) {
		const char *at = strrchr (cli->msgid_sign, '@');
		if (!at || at == cli->msgid_sign || !at[1] || !(local = strdup (cli->msgid_sign)))
			return usage_error ("--msgid-sign '%s': expected LOCAL@DOMAIN", cli->msgid_sign);
		local[at - cli->msgid_sign] = '\0';
		st = bsc_msgid_sign (cli->config, local, at + 1, &out);
		free (local);
		if (st != BSC_OK)
			return usage_error ("--msgid-sign '%s': %s (is a msgid-secret configured?)",
					    cli->msgid_sign, bsc_strerror (st));
		rc = print_stdout (out);
		bsc_free (out);
		if (rc || (rc = print_stdout ("\n")))
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------ command line */

enum {
	OPT_CONFIG = 256,
	OPT_RULES,
	OPT_SITE_RULES,
	OPT_DOMAIN,
	OPT_RELAY,
	OPT_BATV_SECRET,
	OPT_BATV_DAYS,
	OPT_MSGID_SECRET,
	OPT_LIMIT,
	OPT_NOW,
	OPT_BATV_SIGN,
	OPT_MSGID_SIGN,
	OPT_SUMMARY,
	OPT_EXPLAIN,
	OPT_LINT
};

static const struct option long_options[] = {
	{ "format", required_argument, NULL, 'f' },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "rules", required_argument, NULL, OPT_RULES },
	{ "site-rules", required_argument, NULL, OPT_SITE_RULES },
	{ "domain", required_argument, NULL, OPT_DOMAIN },
	{ "relay", required_argument, NULL, OPT_RELAY },
	{ "batv-secret", required_argument, NULL, OPT_BATV_SECRET },
	{ "batv-days", required_argument, NULL, OPT_BATV_DAYS },
	{ "msgid-secret", required_argument, NULL, OPT_MSGID_SECRET },
	{ "limit", required_argument, NULL, OPT_LIMIT },
	{ "now", required_argument, NULL, OPT_NOW },
	{ "batv-sign", required_argument, NULL, OPT_BATV_SIGN },
	{ "msgid-sign", required_argument, NULL, OPT_MSGID_SIGN },
	{ "jobs", required_argument, NULL, 'j' },
	{ "summary", no_argument, NULL, OPT_SUMMARY },
	{ "explain", no_argument, NULL, OPT_EXPLAIN },
	{ "lint", no_argument, NULL, OPT_LINT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

/* One option; 0 to go on, -1 when it asked to stop with success, else an exit status. */
static int
apply_option (cli_t *cli, int c, const char *arg)
{
	unsigned long long n;

	switch (c) {
	case 'f':
		if (strcmp (arg, "text") == 0)
			cli->format = OUTPUT_TEXT;
		else if (strcmp (arg, "json") == 0)
			cli->format = OUTPUT_JSON;
		else
			return usage_error ("--format '%s': expected text or json", arg);
		return 0;
	case OPT_CONFIG:
		return opt_config_file (cli, arg);
	case OPT_RULES:
		cli->rules_dir = arg;
		return 0;
	case OPT_SITE_RULES:
		return check_setting ("--site-rules", arg,
				      bsc_options_add_rules_file (cli->options, arg));
	case OPT_DOMAIN:
		return check_setting ("--domain", arg, bsc_config_add_domain (cli->config, arg));
	case OPT_RELAY:
		if (bsc_config_add_relay (cli->config, arg) == BSC_EINVAL)
			return usage_error ("--relay '%s': expected a host name, an IP address "
					    "or a CIDR block", arg);
		return 0;
	case OPT_BATV_SECRET:
		return opt_batv_secret (cli, arg);
	case OPT_BATV_DAYS:
		if (parse_number (arg, 1, 999, &n) < 0)
			return usage_error ("--batv-days '%s': expected a number of days, 1-999",
					    arg);
		return check_setting ("--batv-days", arg,
				      bsc_config_set_batv_days (cli->config, (int) n));
	case OPT_MSGID_SECRET:
		return check_setting ("--msgid-secret", "...",
				      bsc_config_add_msgid_secret (cli->config, arg));
	case OPT_LIMIT:
		return opt_limit (cli, arg);
	case OPT_NOW:
		if (parse_time (arg, &cli->now) < 0)
			return usage_error ("--now '%s': expected Unix seconds or "
					    "YYYY-MM-DD[THH:MM[:SS]] (UTC)", arg);
		return check_setting ("--now", arg, bsc_options_set_now (cli->options, cli->now));
	case OPT_BATV_SIGN:
		cli->batv_sign = arg;
		return 0;
	case OPT_MSGID_SIGN:
		cli->msgid_sign = arg;
		return 0;
	case 'j':
		return opt_jobs (cli, arg);
	case OPT_SUMMARY:
		cli->summary = 1;
		return 0;
	case OPT_EXPLAIN:
		/* Every rule, also those that cannot change the answer any more. */
		cli->explain = 1;
		if (bsc_options_set_explain (cli->options, 1) != BSC_OK)
			return usage_error ("--explain: %s", bsc_strerror (BSC_EINVAL));
		return 0;
	case OPT_LINT:
		cli->lint = 1;
		return 0;
	case 'h':
		return print_stdout (usage_text) ? EXIT_USAGE : -1;
	case 'V':
		return print_version () ? EXIT_USAGE : -1;
	default:
		return usage_error ("unexpected option code %d", c);
	}
}

/*
 * The option getopt_long() just stumbled on, as the user wrote it.  Our own
 * messages rather than getopt's, whose prefix is argv[0] (a libtool
 * wrapper's path when run from the build tree), not "bsclassify".
 */
static const char *
bad_option (int argc, char **argv, char *shortopt)
{
	int i = optind - 1 < argc ? optind - 1 : argc - 1;

	if (optopt > 0 && optopt < 128 && (i < 1 || strncmp (argv[i], "--", 2) != 0)) {
		shortopt[0] = '-';
		shortopt[1] = (char) optopt;
		shortopt[2] = '\0';
		return shortopt;
	}
	return i >= 1 ? argv[i] : "?";
}

/* Returns 0 to go on, -1 to stop with success, else an exit status. */
static int
parse_command_line (cli_t *cli, int argc, char **argv)
{
	char shortopt[3];
	int c, rc;

	opterr = 0;
	while ((c = getopt_long (argc, argv, ":f:j:hV", long_options, NULL)) != -1) {
		if (c == ':')
			return usage_error ("option '%s' needs a value",
					    bad_option (argc, argv, shortopt));
		if (c == '?')
			return usage_error ("unknown or ambiguous option '%s'", bad_option (argc, argv, shortopt));
		rc = apply_option (cli, c, optarg);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------ the engine */

/*
 * A program run from its build tree before `make install` finds no
 * installed rules: it then uses the source tree's, found from its own
 * path (bsclassify/bsclassify, or libtool's bsclassify/.libs/bsclassify).
 * NULL when the installed rules exist or no such folder is there.
 */
static const char *
build_tree_rules (char *buf, size_t size)
{
	static const char *const up[] = { "/../rules", "/../../rules" };
	struct stat st;
	char exe[PATH_MAX];
	ssize_t n;

	if (stat (bsc_default_rules_dir (), &st) == 0)
		return NULL;
	n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	char *slash = strrchr (exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	for (size_t i = 0; i < sizeof (up) / sizeof (up[0]); i++) {
		snprintf (buf, size, "%s%s/10-structure.cf", exe, up[i]);
		if (stat (buf, &st) == 0) {
			snprintf (buf, size, "%s%s", exe, up[i]);
			return buf;
		}
	}
	return NULL;
}

static int
build_engine (cli_t *cli, bsc_engine_t **engine)
{
	const char *dir = cli->rules_dir;
	char tree[PATH_MAX + 32];
	bsc_error_t err;
	bsc_status_t st;

	if (!dir) {
		dir = getenv ("BSCLASS_RULES_DIR");
		if (dir && !*dir)
			dir = NULL;
	}
	if (!dir)
		dir = build_tree_rules (tree, sizeof tree);
	st = bsc_options_set_rules_dir (cli->options, dir);
	if (st == BSC_OK)
		st = bsc_options_set_config (cli->options, cli->config);
	if (st != BSC_OK) {
		msg ("cannot set up the engine: %s", bsc_strerror (st));
		return EXIT_USAGE;
	}
	memset (&err, 0, sizeof err);
	st = bsc_engine_new (cli->options, engine, &err);
	if (st != BSC_OK) {
		*engine = NULL;
		return loader_error (dir ? dir : bsc_default_rules_dir (), st, &err);
	}
	return 0;
}

static int
lint (const bsc_engine_t *engine)
{
	const char *off = bsc_engine_prescan_off_by (engine);
	char text[512];

	snprintf (text, sizeof text, "%zu rules OK\n", bsc_engine_rule_count (engine));
	if (off)
		snprintf (text + strlen (text), sizeof text - strlen (text),
			  "note: site rule %.200s can make mail automated: the ordinary-mail "
			  "pre-scan is off, every message is parsed\n", off);
	return print_stdout (text);
}

/* ------------------------------------------------------------ the run */

static int
on_message_error (void *ctx, const char *file, long index, const char *text)
{
	run_t *run = ctx;

	if (run->pool)
		return pool_error (run->pool, file, index, text);
	run->summary.errors++;
	run->input_failed = 1;
	progress_add_message (&run->progress);
	return output_message_error (run->out, file, index, text) < 0;
}

static int
on_file_error (void *ctx, const char *file, const char *text)
{
	run_t *run = ctx;

	if (run->pool)
		return pool_error (run->pool, file, -1, text);
	run->summary.errors++;
	run->input_failed = 1;
	progress_add_message (&run->progress);
	return output_file_error (run->out, file, text) < 0;
}

static int
on_message (void *ctx, const char *file, long index, const char *data, size_t len)
{
	run_t *run = ctx;
	bsc_result_t *result = NULL;
	bsc_status_t st;
	bsc_verdict_t v;
	int rc;

	if (run->pool)
		return pool_message (run->pool, file, index, data, len);
	st = bsc_classify (run->engine, data, len, &result);
	if (st != BSC_OK)
		return on_message_error (ctx, file, index, bsc_strerror (st));
	progress_add_message (&run->progress);
	v = bsc_result_verdict (result);
	rc = output_result (run->out, file, index, result);
	bsc_result_free (result);
	if (rc > 0) {
		run->summary.errors++;
		run->input_failed = 1;
	} else if (rc == 0) {
		run->summary.verdicts[(unsigned) v < SUMMARY_VERDICTS ? v : BSC_VERDICT_NORMAL]++;
	}
	return rc < 0;
}

static void
on_progress (void *ctx, size_t bytes)
{
	run_t *run = ctx;

	progress_add_bytes (&run->progress, bytes);
}

/* The size of all operands when every one is a regular file, else 0. */
static unsigned long long
total_size (char **operands, int n)
{
	unsigned long long total = 0, size;
	int i;

	for (i = 0; i < n; i++) {
		size = inputs_file_size (operands[i]);
		if (size == 0)
			return 0;
		total += size;
	}
	return total;
}

static int
classify_inputs (cli_t *cli, const bsc_engine_t *engine, char **operands, int n)
{
	static char stdin_name[] = "-";
	static char *stdin_only[] = { stdin_name };
	run_t run = { .engine = engine };
	input_sink_t sink = {
		.ctx = &run,
		.message = on_message,
		.message_error = on_message_error,
		.file_error = on_file_error,
		.progress = on_progress,
		.max_message = bsc_options_get_limit (cli->options, BSC_LIMIT_MESSAGE_BYTES),
	};
	inputs_t *in;
	int i, stopped = 0, status;
	enum pool_stop stop = POOL_GO;
	char died[64] = "";

	if (n == 0) {
		operands = stdin_only;
		n = 1;
	}
	if (sink.max_message == 0)
		sink.max_message = DEFAULT_MESSAGE_CAP;
	/* Records on a terminal would be torn by the bar, so only with stdout elsewhere. */
	progress_init (&run.progress, isatty (STDERR_FILENO) && !isatty (STDOUT_FILENO),
		       total_size (operands, n));
	/* Workers first, while the process is small: each shares the engine. */
	if (cli->jobs > 1) {
		int worker_exit;

		run.pool = pool_start (&run, engine, cli->jobs, cli->format, cli->explain,
				       &worker_exit);
		if (!run.pool)	/* a worker that is done, or a failure */
			return worker_exit >= 0 ? worker_exit : EXIT_USAGE;
	}
	/* Records leave in 64 KiB writes, not stdio's 4 KiB (a flood's JSON
	 * record is about 1.6 KB); a terminal keeps its line buffering. */
	static char out_buf[64 * 1024];
	if (!isatty (STDOUT_FILENO))
		setvbuf (stdout, out_buf, _IOFBF, sizeof out_buf);
	run.out = output_new (stdout, cli->format, cli->explain);
	in = run.out ? inputs_new (&sink) : NULL;
	if (!in) {
		pool_finish (run.pool, NULL, 0);
		output_free (run.out);
		msg ("out of memory");
		return EXIT_USAGE;
	}
	for (i = 0; i < n && !stopped; i++)
		stopped = inputs_read (in, operands[i]);
	inputs_free (in);
	if (run.pool) {
		stop = pool_finish (run.pool, died, sizeof died);	/* records still owed */
		run.pool = NULL;
	}
	progress_clear (&run.progress);
	if (output_flush (run.out) < 0) {
		msg ("write error: %s", strerror (output_errno (run.out)));
		status = EXIT_USAGE;
	} else if (stop == POOL_NO_WORKER) {
		msg ("every worker died (the last: %s); the run stopped", died);
		status = EXIT_USAGE;
	} else if (stop == POOL_NO_MEMORY) {
		msg ("out of memory");
		status = EXIT_USAGE;
	} else {
		if (cli->summary)
			summary_print (stderr, &run.summary);
		status = run.input_failed ? EXIT_INPUT_ERROR : EXIT_SUCCESS;
	}
	output_free (run.out);
	return status;
}

/* ------------------------------------------------------------ main */

int
main (int argc, char **argv)
{
	cli_t cli = { .format = OUTPUT_TEXT, .jobs = 1 };
	bsc_engine_t *engine = NULL;
	int rc;

	/* A closed pipe must show up as EPIPE from write(), not kill us silently. */
	signal (SIGPIPE, SIG_IGN);
	cli.config = bsc_config_new ();
	cli.options = bsc_options_new ();
	if (!cli.config || !cli.options) {
		msg ("out of memory");
		rc = EXIT_USAGE;
		goto done;
	}
	rc = parse_command_line (&cli, argc, argv);
	if (rc != 0) {
		rc = rc < 0 ? EXIT_SUCCESS : rc;
		goto done;
	}
	if (cli.batv_sign || cli.msgid_sign) {
		rc = sign (&cli);
		goto done;
	}
	rc = build_engine (&cli, &engine);
	if (rc != 0)
		goto done;
	if (cli.lint)
		rc = lint (engine);
	else
		rc = classify_inputs (&cli, engine, argv + optind, argc - optind);
done:
	bsc_engine_free (engine);
	bsc_options_free (cli.options);
	bsc_config_free (cli.config);
	return rc;
}
