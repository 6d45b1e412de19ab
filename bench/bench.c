/*
 * bench - how fast libbsclass classifies, beside a GMime parse-and-walk of
 * the same mails in the same run (DESIGN.md section 8, research/PERF.md).
 *
 *   bench [--runs N] [--threads N] [--cli PATH] [--rules DIR] MBOX|DIR
 *
 * Each round runs every variant once (the GMime walks, the library on 1
 * and N threads, the CLI), in the opposite order from the round before;
 * speeds are medians over the rounds and ratios medians of each round's
 * own ratio, so that a slow spell of this noisy machine hits every variant
 * alike.  The ratios are what to quote.  bench/README.md has the rows.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "bsclass.h"

typedef struct {
	const char *p;
	size_t len;
} msg_t;

typedef struct {
	msg_t *v;
	size_t n, cap, bytes;
	char *blob; /* mbox text the messages point into */
	size_t blob_len;
} corpus_t;

static double
now_s (void)
{
	struct timespec ts;

	clock_gettime (CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
die (const char *what)
{
	fprintf (stderr, "bench: %s: %s\n", what, strerror (errno));
	exit (2);
}

static void
add_msg (corpus_t *c, const char *p, size_t len)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 1024;
		if (!(c->v = realloc (c->v, c->cap * sizeof (msg_t))))
			die ("realloc");
	}
	c->v[c->n].p = p;
	c->v[c->n].len = len;
	c->n++;
	c->bytes += len;
}

/* Splits an mbox at "From " lines that start the file or follow a blank line. */
static void
split_mbox (corpus_t *c, char *blob, size_t len)
{
	size_t start = 0, i = 0;

	while (i < len) {
		char *nl = memchr (blob + i, '\n', len - i);
		size_t next = nl ? (size_t) (nl - blob) + 1 : len;
		if (next + 5 <= len && !memcmp (blob + next, "From ", 5) &&
		    (next >= 2 && blob[next - 2] == '\n')) {
			add_msg (c, blob + start, next - start);
			start = next;
		}
		i = next;
	}
	if (start < len)
		add_msg (c, blob + start, len - start);
}

static char *
read_file (const char *path, size_t *len)
{
	int fd = open (path, O_RDONLY);
	struct stat st;
	char *buf;

	if (fd < 0 || fstat (fd, &st) < 0)
		die (path);
	if (!(buf = malloc ((size_t) st.st_size + 1)))
		die ("malloc");
	size_t got = 0;
	while (got < (size_t) st.st_size) {
		ssize_t n = read (fd, buf + got, (size_t) st.st_size - got);
		if (n <= 0)
			die (path);
		got += (size_t) n;
	}
	close (fd);
	*len = got;
	return buf;
}

/* ------------------------------------------------------------- baseline */

/*
 * What a classifier built on GMime alone does before any classification
 * (the "GMime 3: parse, walk every part, parse DSN and embedded
 * headers"): parse, walk every part, hand each delivery-status and
 * rfc822-headers block to a second GMime parser, read the embedded
 * headers decoded.  Two depths:
 *  - full: every field block of a delivery-status part (RFC 3464 section
 *    2: the per-message fields, then one block per recipient, where the
 *    recipients and their status are) and every header of an embedded
 *    message.  callgrind, first 2,000 flood messages, GMime reading the
 *    mbox: 776K instructions a message (research/PERF.md's baseline,
 *    which also reads every part's headers: 854K);
 *  - lean: the first field block only and the embedded Message-ID: 663K,
 *    the stricter yardstick, kept beside the full one.
 */
static void
read_headers (GMimeObject *o)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list (o);

	for (int i = 0; i < g_mime_header_list_get_count (hl); i++)
		(void) g_mime_header_get_value (g_mime_header_list_get_header_at (hl, i));
}

/* A report block, the naive way: a second GMime parser for each header block. */
static void
parse_blocks (GMimePart *part, bool dsn, bool full)
{
	GMimeDataWrapper *content = g_mime_part_get_content (part);

	if (content)
		g_object_ref (content);
	for (int blocks = 0; content && blocks < 100; blocks++) {
		GMimeStream *mem = g_mime_stream_mem_new ();
		g_mime_data_wrapper_write_to_stream (content, mem);
		g_object_unref (content);
		content = NULL;
		g_mime_stream_reset (mem);
		GMimeParser *p = g_mime_parser_new_with_stream (mem);
		GMimeObject *o = g_mime_parser_construct_part (p, NULL);
		if (o) {
			read_headers (o);
			/* What follows the block's empty line is the next block. */
			GMimeDataWrapper *rest = dsn && full && GMIME_IS_PART (o)
				? g_mime_part_get_content (GMIME_PART (o)) : NULL;
			if (rest && g_mime_stream_length (g_mime_data_wrapper_get_stream (rest)) > 2)
				content = g_object_ref (rest);
			g_object_unref (o);
		}
		g_object_unref (p);
		g_object_unref (mem);
	}
	if (content)
		g_object_unref (content);
}

static void
baseline_walk (GMimeObject *parent, GMimeObject *part, gpointer data)
{
	GMimeContentType *ct = g_mime_object_get_content_type (part);
	bool full = *(const bool *) data;

	if (GMIME_IS_PART (part) && ct) {
		bool dsn = g_mime_content_type_is_type (ct, "message", "delivery-status");
		if (dsn || g_mime_content_type_is_type (ct, "text", "rfc822-headers"))
			parse_blocks (GMIME_PART (part), dsn, full);
	} else if (GMIME_IS_MESSAGE_PART (part)) {
		GMimeMessage *m = g_mime_message_part_get_message (GMIME_MESSAGE_PART (part));
		if (m && full)
			read_headers (GMIME_OBJECT (m));
		else if (m)
			(void) g_mime_message_get_message_id (m);
	}
}

/* The baseline's reading of one parsed message, which it then frees. */
static void
baseline_message (GMimeMessage *msg, bool full)
{
	(void) g_mime_message_get_subject (msg);
	(void) g_mime_message_get_message_id (msg);
	(void) g_mime_object_get_header (GMIME_OBJECT (msg), "Return-Path");
	g_mime_message_foreach (msg, baseline_walk, &full);
	g_object_unref (msg);
}

static void
baseline_one (const msg_t *m)
{
	GMimeStream *s = g_mime_stream_mem_new_with_buffer (m->p, m->len);
	GMimeParser *p = g_mime_parser_new_with_stream (s);
	GMimeMessage *msg;

	g_mime_parser_set_format (p, GMIME_FORMAT_MESSAGE);
	if ((msg = g_mime_parser_construct_message (p, NULL)))
		baseline_message (msg, true);
	g_object_unref (p);
	g_object_unref (s);
}

/*
 * The same walk with GMime reading the mbox file itself (GMIME_FORMAT_MBOX
 * on a file stream, one parser for the whole file): what a GMime program
 * given "the same mbox" does, end to end but for process start-up.
 */
static size_t
baseline_mbox (const char *path, bool full)
{
	int fd = open (path, O_RDONLY);
	size_t n = 0;

	if (fd < 0)
		die (path);
	GMimeStream *s = g_mime_stream_fs_new (fd);
	GMimeParser *p = g_mime_parser_new_with_stream (s);

	g_mime_parser_set_format (p, GMIME_FORMAT_MBOX);
	while (!g_mime_parser_eos (p)) {
		GMimeMessage *msg = g_mime_parser_construct_message (p, NULL);
		if (!msg)
			break;
		n++;
		baseline_message (msg, full);
	}
	g_object_unref (p);
	g_object_unref (s);
	return n;
}

/* --------------------------------------------------------------- library */

static const bsc_engine_t *engine;
static size_t classified_ok;

static double *latencies;

static void
classify_range (const corpus_t *c, size_t from, size_t to, size_t stride, bool timed)
{
	size_t ok = 0;

	for (size_t i = from; i < to; i += stride) {
		bsc_result_t *r = NULL;
		double t0 = timed ? now_s () : 0;
		ok += bsc_classify (engine, c->v[i].p, c->v[i].len, &r) == BSC_OK;
		bsc_result_free (r);
		if (timed)
			latencies[i] = now_s () - t0;
	}
	/* Once per thread: a shared counter bumped per message would make
	 * the threads fight over its cache line (5 million times a second). */
	__atomic_add_fetch (&classified_ok, ok, __ATOMIC_RELAXED);
}

typedef struct {
	const corpus_t *c;
	size_t id, n;
} job_t;

static void *
thread_main (void *arg)
{
	job_t *j = arg;

	classify_range (j->c, j->id, j->c->n, j->n, false);
	return NULL;
}

static void
classify_threads (const corpus_t *c, int n)
{
	pthread_t t[64];
	job_t j[64];

	for (int i = 0; i < n; i++) {
		j[i] = (job_t) { c, (size_t) i, (size_t) n };
		pthread_create (&t[i], NULL, thread_main, &j[i]);
	}
	for (int i = 0; i < n; i++)
		pthread_join (t[i], NULL);
}

/*
 * "bench --spawn PROG ARGS...": runs PROG with its output to /dev/null and
 * prints its exit status and peak RSS (KB).  The CLI's peak RSS must be
 * measured from a small parent: a child forked from this process starts
 * with the whole input resident, and Linux counts that in its peak.
 */
static int
spawn_main (char **argv)
{
	pid_t pid = fork ();
	int status;
	struct rusage ru;

	if (pid < 0)
		die ("fork");
	if (pid == 0) {
		int fd = open ("/dev/null", O_WRONLY);
		dup2 (fd, 1);
		execv (argv[0], argv);
		_exit (127);
	}
	if (wait4 (pid, &status, 0, &ru) < 0)
		die ("wait4");
	printf ("%d %ld\n", WIFEXITED (status) ? WEXITSTATUS (status) : 128, ru.ru_maxrss);
	return 0;
}

/*
 * Runs @argv (through "bench --spawn", output to /dev/null): wall seconds
 * from fork to exit, and the program's peak RSS.
 */
static double
run_spawned (char **argv, long *rss_kb)
{
	int fds[2], status, code = 127;
	double t0 = now_s ();
	pid_t pid;

	if (pipe (fds) < 0 || (pid = fork ()) < 0)
		die ("fork");
	if (pid == 0) {
		dup2 (fds[1], 1);
		close (fds[0]);
		execv ("/proc/self/exe", argv);
		_exit (127);
	}
	close (fds[1]);
	FILE *f = fdopen (fds[0], "r");
	if (!f || fscanf (f, "%d %ld", &code, rss_kb) != 2)
		code = 127;
	if (f)
		fclose (f);
	if (waitpid (pid, &status, 0) < 0)
		die ("waitpid");
	if (code > 1) {
		fprintf (stderr, "bench: %s exited %d\n", argv[2], code);
		exit (2);
	}
	return now_s () - t0;
}

/* The CLI over @mbox, as a program of its own. */
static double
run_cli (const char *cli, const char *rules, const char *mbox, const char *jobs, long *rss_kb)
{
	char *argv[] = { "bench", "--spawn", (char *) cli, "--rules", (char *) rules,
			 "--format=json", "-j", (char *) jobs, (char *) mbox, NULL };
	return run_spawned (argv, rss_kb);
}

/* The GMime walk of @mbox read by GMime (baseline_mbox()), as a program of its own. */
static double
run_gmime_mbox (const char *mbox, bool full)
{
	char *argv[] = { "bench", "--spawn", "/proc/self/exe",
			 full ? "--gmime-mbox" : "--gmime-mbox-lean", (char *) mbox, NULL };
	long rss;
	return run_spawned (argv, &rss);
}

static int
cmp_double (const void *a, const void *b)
{
	double x = *(const double *) a, y = *(const double *) b;
	return x < y ? -1 : x > y;
}

static double
median (double *v, int n)
{
	qsort (v, (size_t) n, sizeof (double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The median over the rounds of @ref[r] / @x[r]: how many times faster @x is. */
static double
paired (const double *ref, const double *x, int runs)
{
	double q[99];

	for (int r = 0; r < runs; r++)
		q[r] = ref[r] / x[r];
	return median (q, runs);
}

/* The variants a round runs (main()). */
enum {
	V_BASE, V_MBOX, V_LEAN, V_LIB, V_THR,        /* in this process */
	V_MBOX_PROC, V_LEAN_PROC, V_CLI, V_CLI2, /* programs of their own */
	V_COUNT
};

/*
 * One row: variant @v's median speed, and how many times faster it is than
 * the baseline and the GMime walks reading the mbox, full (@mbox) and lean
 * (@lean): in process for the library's rows, programs for the CLI's.
 */
static void
row (const char *name, double *const *t, int v, int mbox, int lean, const corpus_t *c, int runs)
{
	double secs, sorted[99];

	memcpy (sorted, t[v], (size_t) runs * sizeof (double));
	secs = median (sorted, runs);
	printf ("%-44s %10.0f %8.1f %7.2f %7.2f %7.2f\n", name, c->n / secs, c->bytes / secs / 1e6,
		paired (t[V_BASE], t[v], runs), paired (t[mbox], t[v], runs),
		paired (t[lean], t[v], runs));
}

int
main (int argc, char **argv)
{
	int runs = 5, threads = 2;
	const char *cli = NULL, *rules = "rules", *input = NULL;
	corpus_t c = { 0 };

	if (argc > 2 && !strcmp (argv[1], "--spawn"))
		return spawn_main (argv + 2);
	if (argc == 3 && (!strcmp (argv[1], "--gmime-mbox") || !strcmp (argv[1], "--gmime-mbox-lean"))) {
		g_mime_init ();
		return baseline_mbox (argv[2], !strcmp (argv[1], "--gmime-mbox")) ? 0 : 2;
	}
	for (int i = 1; i < argc; i++) {
		if (!strcmp (argv[i], "--runs") && i + 1 < argc)
			runs = atoi (argv[++i]);
		else if (!strcmp (argv[i], "--threads") && i + 1 < argc)
			threads = atoi (argv[++i]);
		else if (!strcmp (argv[i], "--cli") && i + 1 < argc)
			cli = argv[++i];
		else if (!strcmp (argv[i], "--rules") && i + 1 < argc)
			rules = argv[++i];
		else if (argv[i][0] != '-')
			input = argv[i];
		else {
			fprintf (stderr, "usage: bench [--runs N] [--threads N] [--cli PATH] [--rules DIR] MBOX\n");
			return 2;
		}
	}
	if (!input || runs < 1 || runs > 99 || threads < 1 || threads > 64) {
		fprintf (stderr, "usage: bench [--runs N] [--threads N] [--cli PATH] [--rules DIR] MBOX\n");
		return 2;
	}
	c.blob = read_file (input, &c.blob_len);
	split_mbox (&c, c.blob, c.blob_len);
	if (!c.n) {
		fprintf (stderr, "bench: no messages in %s\n", input);
		return 2;
	}
	g_mime_init ();

	/* Engine start-up: compile every shipped rule. */
	double startup[9];
	bsc_options_t *o = bsc_options_new ();
	bsc_options_set_rules_dir (o, rules);
	for (int i = 0; i < 9; i++) {
		bsc_engine_t *e;
		bsc_error_t err;
		double t0 = now_s ();
		if (bsc_engine_new (o, &e, &err) != BSC_OK) {
			fprintf (stderr, "bench: %s:%d: %s\n", err.source, err.line, err.text);
			return 2;
		}
		startup[i] = now_s () - t0;
		if (i < 8)
			bsc_engine_free (e);
		else
			engine = e;
	}
	/*
	 * The shortcuts (the ordinary-mail pre-scan, skipped rules) must not
	 * change any answer: compare with an engine that evaluates everything.
	 */
	size_t automated = 0, differ = 0;
	bsc_engine_t *full;
	bsc_options_set_explain (o, 1);
	if (bsc_engine_new (o, &full, NULL) != BSC_OK) {
		fprintf (stderr, "bench: cannot build the explaining engine\n");
		return 2;
	}
	for (size_t i = 0; i < c.n; i++) {
		bsc_result_t *a = NULL, *b = NULL;
		bsc_classify (engine, c.v[i].p, c.v[i].len, &a);
		bsc_classify (full, c.v[i].p, c.v[i].len, &b);
		if (b && bsc_result_kind (b) != BSC_KIND_NORMAL)
			automated++;
		if (!a != !b || (a && (bsc_result_kind (a) != bsc_result_kind (b) ||
				       bsc_result_verdict (a) != bsc_result_verdict (b) ||
				       bsc_result_origin (a) != bsc_result_origin (b))))
			differ++;
		bsc_result_free (a);
		bsc_result_free (b);
	}
	bsc_engine_free (full);
	bsc_options_free (o);
	latencies = calloc (c.n, sizeof (double));

	/*
	 * Rounds: every variant once, in the opposite order from one round to
	 * the next (A B C, then C B A), so that no variant always runs right
	 * after the same one or at the same place in a slow spell.  Ratios are
	 * medians of each round's own ratio (paired), which a drift of the
	 * machine's speed from round to round does not move.
	 */
	double *t[V_COUNT];
	long rss_cli = 0;
	size_t mbox_msgs = 0;

	for (int v = 0; v < V_COUNT; v++)
		t[v] = calloc ((size_t) runs, sizeof (double));
	for (int r = 0; r < runs; r++)
		for (int k = 0; k < V_COUNT; k++) {
			int v = r % 2 ? V_COUNT - 1 - k : k;
			long rss = 0;
			if (v >= V_MBOX_PROC && !cli)
				continue;
			double t0 = now_s ();
			switch (v) {
			case V_BASE:
				for (size_t i = 0; i < c.n; i++)
					baseline_one (&c.v[i]);
				break;
			case V_MBOX:
				mbox_msgs = baseline_mbox (input, true);
				break;
			case V_LEAN:
				(void) baseline_mbox (input, false);
				break;
			case V_LIB:
				classify_range (&c, 0, c.n, 1, r == 0);
				break;
			case V_THR:
				classify_threads (&c, threads);
				break;
			case V_MBOX_PROC:
			case V_LEAN_PROC:
				(void) run_gmime_mbox (input, v == V_MBOX_PROC);
				break;
			default: {
				char jobs[8];
				snprintf (jobs, sizeof jobs, "%d", v == V_CLI ? 1 : threads);
				(void) run_cli (cli, rules, input, jobs, &rss);
				rss_cli = rss > rss_cli ? rss : rss_cli;
			}
			}
			t[v][r] = now_s () - t0;
		}
	printf ("%zu messages, %.1f MB (mean %.2f KB), %d rounds, medians; ratios: medians of "
		"each round's\n", c.n, c.bytes / 1e6, c.bytes / 1e3 / c.n, runs);
	printf ("%-44s %10s %8s %7s %7s %7s\n", "variant", "msgs/s", "MB/s", "ratio", "vs mbox",
		"vs lean");
	printf ("in this process, the input in memory:\n");
	row ("GMime parse + walk (baseline)", t, V_BASE, V_MBOX, V_LEAN, &c, runs);
	row ("GMime parse + walk, GMime reading the mbox", t, V_MBOX, V_MBOX, V_LEAN, &c, runs);
	row ("GMime lean walk, GMime reading the mbox", t, V_LEAN, V_MBOX, V_LEAN, &c, runs);
	row ("libbsclass, 1 thread", t, V_LIB, V_MBOX, V_LEAN, &c, runs);
	char name[64];
	snprintf (name, sizeof name, "libbsclass, %d threads, one engine", threads);
	row (name, t, V_THR, V_MBOX, V_LEAN, &c, runs);
	if (cli) {
		printf ("programs of their own, fork to exit, reading the mbox:\n");
		row ("GMime parse + walk, GMime reading the mbox", t, V_MBOX_PROC, V_MBOX_PROC,
		     V_LEAN_PROC, &c, runs);
		row ("GMime lean walk, GMime reading the mbox", t, V_LEAN_PROC, V_MBOX_PROC,
		     V_LEAN_PROC, &c, runs);
		row ("bsclassify --format=json -j 1", t, V_CLI, V_MBOX_PROC, V_LEAN_PROC, &c, runs);
		snprintf (name, sizeof name, "bsclassify --format=json -j %d", threads);
		row (name, t, V_CLI2, V_MBOX_PROC, V_LEAN_PROC, &c, runs);
		printf ("bsclassify -j %d against -j 1: %.2f\n", threads,
			paired (t[V_CLI], t[V_CLI2], runs));
	}
	qsort (latencies, c.n, sizeof (double), cmp_double);
	printf ("latency per message (1 thread): p50 %.1f us, p99 %.1f us\n",
		latencies[c.n / 2] * 1e6, latencies[c.n * 99 / 100] * 1e6);
	printf ("engine start-up (all rules): median %.2f ms of 9\n", median (startup, 9) * 1e3);
	struct rusage ru;
	getrusage (RUSAGE_SELF, &ru);
	printf ("peak RSS: bench process %ld MB (holds the whole input)", ru.ru_maxrss / 1024);
	if (cli)
		printf (", bsclassify %ld MB", rss_cli / 1024);
	printf ("\nclassified %zu of %zu per round; GMime's mbox reader found %zu\n",
		classified_ok / (size_t) (runs * 2), c.n, mbox_msgs);
	printf ("shortcut check: %zu automated messages (every rule evaluated); %zu messages "
		"answered differently with the shortcuts\n", automated, differ);
	bsc_engine_free ((bsc_engine_t *) engine);
	return 0;
}
