/*
 * corpus-runner.c - checks the hand-written sample mails of corpus/ against
 * their expectations (corpus/README.md describes the .expect format).
 *
 *   corpus-runner [--rules DIR] [--config FILE] [-v] PATH...
 *
 * PATH is a folder (every *.mbox and *.eml in it, each with a .expect beside
 * it) or one mail file.  Output is TAP-like: failures, TODO checks and a
 * closing summary; -v prints the passing checks as well.  Exit status: 0 when
 * no check failed, 1 when one did, 2 on a usage or engine error.
 *
 * Only the public API is used, as any embedder would.
 */
#define _POSIX_C_SOURCE 200809L

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bsclass.h"

/* Mail and expectation files are test data, but still bounded. */
#define MAX_FILE_BYTES (64u * 1024u * 1024u)
#define MAX_MESSAGES 100000u

/* --------------------------------------------------------------- counting */

typedef struct stats {
	unsigned long checks;
	unsigned long failed;
	unsigned long todo;
	unsigned long todo_passed;
	int verbose;
} stats_t;

/*
 * Records one check.  @what says what was checked; on failure it should say
 * what was got and what was wanted.
 */
static void
report (stats_t *st, int ok, int todo, const char *where, const char *fmt, ...)
{
	va_list ap;
	int show;

	st->checks++;
	if (todo) {
		st->todo++;
		if (ok)
			st->todo_passed++;
	} else if (!ok) {
		st->failed++;
	}
	show = !ok || todo || st->verbose;
	if (!show)
		return;
	printf ("%s - %s ", ok ? "ok" : "not ok", where);
	va_start (ap, fmt);
	vprintf (fmt, ap);
	va_end (ap);
	if (todo)
		printf (ok ? " # TODO passed" : " # TODO");
	putchar ('\n');
}

/* ------------------------------------------------------------- small text */

static void *
xmalloc (size_t n)
{
	void *p = malloc (n ? n : 1);

	if (p == NULL) {
		fprintf (stderr, "corpus-runner: out of memory\n");
		exit (2);
	}
	return p;
}

static void *
xrealloc (void *p, size_t n)
{
	void *q = realloc (p, n ? n : 1);

	if (q == NULL) {
		fprintf (stderr, "corpus-runner: out of memory\n");
		exit (2);
	}
	return q;
}

static char *
xstrdup (const char *s)
{
	size_t n = strlen (s) + 1;
	char *p = xmalloc (n);

	memcpy (p, s, n);
	return p;
}

/* A printable stand-in for a NULL string in messages. */
static const char *
show (const char *s)
{
	return s ? s : "(null)";
}

/* Copy of @s without surrounding white space (caller frees). */
static char *
trim_dup (const char *s)
{
	const char *e;
	char *out;

	if (s == NULL)
		return NULL;
	while (*s && isspace ((unsigned char) *s))
		s++;
	e = s + strlen (s);
	while (e > s && isspace ((unsigned char) e[-1]))
		e--;
	out = xmalloc ((size_t) (e - s) + 1);
	memcpy (out, s, (size_t) (e - s));
	out[e - s] = '\0';
	return out;
}

/* Copy of @s trimmed and without one pair of surrounding <> (caller frees). */
static char *
unangle_dup (const char *s)
{
	char *t = trim_dup (s), *u;
	size_t n;

	if (t == NULL)
		return NULL;
	n = strlen (t);
	if (n >= 2 && t[0] == '<' && t[n - 1] == '>') {
		t[n - 1] = '\0';
		u = trim_dup (t + 1);
		free (t);
		return u;
	}
	return t;
}

static int
ieq (const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (tolower ((unsigned char) *a) != tolower ((unsigned char) *b))
			return 0;
	return *a == *b;
}

/* Host names are equal ignoring case and one trailing root dot. */
static int
host_eq (const char *got, const char *want)
{
	size_t gl = strlen (got), wl = strlen (want);

	if (gl > 1 && got[gl - 1] == '.')
		gl--;
	if (wl > 1 && want[wl - 1] == '.')
		wl--;
	if (gl != wl)
		return 0;
	for (size_t i = 0; i < gl; i++)
		if (tolower ((unsigned char) got[i]) != tolower ((unsigned char) want[i]))
			return 0;
	return 1;
}

/* ------------------------------------------------------------- file input */

/* Reads a whole file; NULL (and errno) on failure.  The buffer is NUL-terminated. */
static char *
read_file (const char *path, size_t *len_out)
{
	FILE *fp = fopen (path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (fp == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 65536) {
			if (cap >= MAX_FILE_BYTES) {
				fclose (fp);
				free (buf);
				errno = EFBIG;
				return NULL;
			}
			cap = cap ? cap * 2 : 65536;
			buf = xrealloc (buf, cap + 1);
		}
		n = fread (buf + len, 1, cap - len, fp);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror (fp)) {
		fclose (fp);
		free (buf);
		errno = EIO;
		return NULL;
	}
	fclose (fp);
	if (buf == NULL)
		buf = xmalloc (1);
	buf[len] = '\0';
	*len_out = len;
	return buf;
}

/* One message of a mail file, as its own buffer. */
typedef struct msg {
	char *data;
	size_t len;
} msg_t;

typedef struct msgs {
	msg_t *v;
	size_t n, cap;
} msgs_t;

static void
msgs_add (msgs_t *m, char *data, size_t len)
{
	if (m->n == m->cap) {
		m->cap = m->cap ? m->cap * 2 : 16;
		m->v = xrealloc (m->v, m->cap * sizeof *m->v);
	}
	m->v[m->n].data = data;
	m->v[m->n].len = len;
	m->n++;
}

static void
msgs_free (msgs_t *m)
{
	for (size_t i = 0; i < m->n; i++)
		free (m->v[i].data);
	free (m->v);
	m->v = NULL;
	m->n = m->cap = 0;
}

/* Whether the line [p, e) is empty (just LF or CRLF). */
static int
line_is_empty (const char *p, const char *e)
{
	size_t n = (size_t) (e - p);

	return (n == 1 && p[0] == '\n') || (n == 2 && p[0] == '\r' && p[1] == '\n');
}

static int
line_is_from_ (const char *p, const char *e)
{
	return e - p >= 5 && memcmp (p, "From ", 5) == 0;
}

/*
 * Splits an mbox: a message starts at a "From " line at the start of the
 * file or after an empty line.  The From_ line is dropped, as is the empty
 * line that separates two messages; ">From " lines (any number of '>') lose
 * one '>' (mboxrd).
 */
static void
split_mbox (const char *buf, size_t len, msgs_t *out)
{
	const char *p = buf, *end = buf + len;
	char *cur = NULL;
	size_t cur_len = 0, cur_cap = 0;
	int in_msg = 0, prev_empty = 1;
	size_t last_empty_at = (size_t) -1; /* offset in cur of a pending empty line */

	while (p < end) {
		const char *nl = memchr (p, '\n', (size_t) (end - p));
		const char *e = nl ? nl + 1 : end;
		const char *q;

		if (prev_empty && line_is_from_ (p, e)) {
			if (in_msg) {
				if (last_empty_at != (size_t) -1)
					cur_len = last_empty_at;
				msgs_add (out, cur, cur_len);
			}
			cur = NULL;
			cur_len = cur_cap = 0;
			in_msg = 1;
			last_empty_at = (size_t) -1;
			prev_empty = 0;
			p = e;
			continue;
		}
		if (!in_msg) {
			/* Text before the first From_ line: not a message. */
			prev_empty = line_is_empty (p, e);
			p = e;
			continue;
		}
		prev_empty = line_is_empty (p, e);
		last_empty_at = prev_empty ? cur_len : (size_t) -1;
		q = p;
		while (q < e && *q == '>')
			q++;
		if (q > p && line_is_from_ (q, e))
			p++;
		if (cur_cap - cur_len < (size_t) (e - p) + 1) {
			cur_cap = (cur_cap + (size_t) (e - p) + 1) * 2;
			cur = xrealloc (cur, cur_cap);
		}
		memcpy (cur + cur_len, p, (size_t) (e - p));
		cur_len += (size_t) (e - p);
		p = e;
		if (out->n >= MAX_MESSAGES)
			break;
	}
	if (in_msg) {
		if (last_empty_at != (size_t) -1)
			cur_len = last_empty_at;
		if (cur == NULL)
			cur = xmalloc (1);
		msgs_add (out, cur, cur_len);
	}
}

/* ---------------------------------------------------------- expectations */

typedef struct line {
	int lineno;
	int todo;
	char *key;   /* directive, with a trailing '~' when containment */
	char *value; /* the rest of the line, trimmed */
} line_t;

typedef struct block {
	long index;
	int lineno;
	line_t *lines;
	size_t n, cap;
	int used;
} block_t;

typedef struct expect {
	block_t *blocks;
	size_t n, cap;
	char *config; /* "config FILE" before the first block: a site config for this file */
} expect_t;

static void
expect_free (expect_t *x)
{
	for (size_t i = 0; i < x->n; i++) {
		for (size_t j = 0; j < x->blocks[i].n; j++) {
			free (x->blocks[i].lines[j].key);
			free (x->blocks[i].lines[j].value);
		}
		free (x->blocks[i].lines);
	}
	free (x->blocks);
	x->blocks = NULL;
	free (x->config);
	x->config = NULL;
	x->n = x->cap = 0;
}

static int
parse_index (const char *s, long *out)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtol (s, &end, 10);
	if (errno || v < 0 || v > 100000000L)
		return 0;
	while (*end && isspace ((unsigned char) *end))
		end++;
	if (*end)
		return 0;
	*out = v;
	return 1;
}

/*
 * Parses an .expect file.  Lines that cannot be read are reported as failed
 * checks right away (they would otherwise hide an expectation).
 */
static void
expect_parse (const char *text, size_t len, const char *shown, stats_t *st, expect_t *x)
{
	const char *p = text, *end = text + len;
	int lineno = 0;
	block_t *cur = NULL;
	char where[1024];

	while (p < end) {
		const char *nl = memchr (p, '\n', (size_t) (end - p));
		const char *e = nl ? nl : end;
		char *raw, *s, *k;
		int todo = 0;
		size_t kl;

		lineno++;
		raw = xmalloc ((size_t) (e - p) + 1);
		memcpy (raw, p, (size_t) (e - p));
		raw[e - p] = '\0';
		/* a NUL inside a line ends it; CR and other blanks are trimmed */
		s = trim_dup (raw);
		free (raw);
		p = nl ? nl + 1 : end;
		snprintf (where, sizeof where, "%s:%d", shown, lineno);

		if (*s == '\0' || *s == '#') {
			free (s);
			continue;
		}
		k = s;
		if (strncmp (k, "todo", 4) == 0 && isspace ((unsigned char) k[4])) {
			todo = 1;
			k += 4;
			while (isspace ((unsigned char) *k))
				k++;
		}
		kl = 0;
		while (k[kl] && !isspace ((unsigned char) k[kl]))
			kl++;

		if (kl == 6 && strncmp (k, "config", 6) == 0 && cur == NULL && !todo && !x->config) {
			const char *v = k + 6 + strspn (k + 6, " \t");
			if (*v) {
				x->config = xmalloc (strlen (v) + 1);
				strcpy (x->config, v);
				free (s);
				continue;
			}
		}
		if (kl == 7 && strncmp (k, "message", 7) == 0) {
			long idx;

			if (todo || !parse_index (k + 7 + strspn (k + 7, " \t"), &idx)) {
				report (st, 0, 0, where, "bad line: %s", s);
				free (s);
				cur = NULL;
				continue;
			}
			for (size_t i = 0; i < x->n; i++)
				if (x->blocks[i].index == idx) {
					report (st, 0, 0, where, "message %ld: already given at line %d",
						idx, x->blocks[i].lineno);
					idx = -1;
					break;
				}
			if (idx < 0) {
				free (s);
				cur = NULL;
				continue;
			}
			if (x->n == x->cap) {
				x->cap = x->cap ? x->cap * 2 : 16;
				x->blocks = xrealloc (x->blocks, x->cap * sizeof *x->blocks);
			}
			cur = &x->blocks[x->n++];
			memset (cur, 0, sizeof *cur);
			cur->index = idx;
			cur->lineno = lineno;
			free (s);
			continue;
		}
		if (cur == NULL) {
			report (st, 0, 0, where, "expectation outside a \"message N\" block: %s", s);
			free (s);
			continue;
		}
		if (cur->n == cur->cap) {
			cur->cap = cur->cap ? cur->cap * 2 : 16;
			cur->lines = xrealloc (cur->lines, cur->cap * sizeof *cur->lines);
		}
		{
			line_t *ln = &cur->lines[cur->n++];
			char *kd = xmalloc (kl + 1);

			memcpy (kd, k, kl);
			kd[kl] = '\0';
			ln->lineno = lineno;
			ln->todo = todo;
			ln->key = kd;
			ln->value = trim_dup (k + kl);
		}
		free (s);
	}
}

/* --------------------------------------------------------------- checking */

typedef struct ctx {
	stats_t *st;
	const char *where; /* "corpus/x.mbox#2" */
	const char *expect_name;
	const bsc_result_t *r;
	const bsc_result_t *rx; /* the same message with every rule evaluated */
} ctx_t;

/* The library skips rules that cannot change the answer; rule checks read
 * a second engine that evaluates every rule (bsc_options_set_explain). */
typedef struct engines {
	bsc_engine_t *fast, *explain;
} engines_t;

static const char *const rcpt_names[BSC_RCPT_FIELD_COUNT] = {
	"address", "original_recipient", "status", "action", "reply_code",
	"diagnostic", "remote_mta", "last_attempt", "will_retry_until",
	"reason", "severity", "status_derived",
};

static const char *const orig_names[BSC_ORIG_FIELD_COUNT] = {
	"message_id", "from", "to", "subject", "date", "return_path",
};

static const char *const relay_names[BSC_RELAY_FIELD_COUNT] = {
	"helo", "rdns", "ip", "by",
};

enum cmp { CMP_EXACT, CMP_ICASE, CMP_HOST, CMP_ANGLE, CMP_ADDR };

/* Whether @got matches @want under @how ("none" wants NULL). */
static int
value_match (const char *got, const char *want, enum cmp how, int contains)
{
	char *g, *w;
	int ok;

	if (contains)
		return got != NULL && strstr (got, want) != NULL;
	if (strcmp (want, "none") == 0)
		return got == NULL;
	if (got == NULL)
		return 0;
	switch (how) {
	case CMP_ANGLE:
		g = unangle_dup (got);
		w = unangle_dup (want);
		ok = strcmp (g, w) == 0;
		free (g);
		free (w);
		return ok;
	case CMP_ADDR: /* addresses compare without case, as CMP_ICASE */
	case CMP_ICASE:
		g = trim_dup (got);
		ok = ieq (g, want);
		free (g);
		return ok;
	case CMP_HOST:
		g = trim_dup (got);
		ok = host_eq (g, want);
		free (g);
		return ok;
	case CMP_EXACT:
	default:
		g = trim_dup (got);
		ok = strcmp (g, want) == 0;
		free (g);
		return ok;
	}
}

static void
check_value (ctx_t *c, const line_t *ln, const char *label, const char *got, enum cmp how)
{
	size_t kl = strlen (ln->key);
	int contains = kl > 0 && ln->key[kl - 1] == '~';
	int ok = value_match (got, ln->value, how, contains);

	if (ok)
		report (c->st, 1, ln->todo, c->where, "%s%s %s", label, contains ? "~" : "",
			ln->value);
	else if (contains)
		report (c->st, 0, ln->todo, c->where, "%s: got \"%s\", want it to contain \"%s\"",
			label, show (got), ln->value);
	else
		report (c->st, 0, ln->todo, c->where, "%s: got \"%s\", want \"%s\"", label,
			show (got), ln->value);
}

static void
check_count (ctx_t *c, const line_t *ln, const char *label, size_t got)
{
	long want;

	if (!parse_index (ln->value, &want)) {
		report (c->st, 0, 0, c->where, "%s:%d: bad number \"%s\"", c->expect_name,
			ln->lineno, ln->value);
		return;
	}
	if ((size_t) want == got)
		report (c->st, 1, ln->todo, c->where, "%s %ld", label, want);
	else
		report (c->st, 0, ln->todo, c->where, "%s: got %zu, want %ld", label, got, want);
}

static int
field_index (const char *const *names, size_t n, const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen (names[i]) == len && strncmp (names[i], name, len) == 0)
			return (int) i;
	return -1;
}

/*
 * Splits "prefix.N.field[~]" into N and the field name (without '~');
 * false when @key is not of that form.
 */
static int
split_indexed (const char *key, const char *prefix, long *n, const char **field, size_t *flen)
{
	size_t pl = strlen (prefix);
	const char *p, *dot;
	char num[32];
	size_t nl;

	if (strncmp (key, prefix, pl) != 0 || key[pl] != '.')
		return 0;
	p = key + pl + 1;
	dot = strchr (p, '.');
	if (dot == NULL || dot == p || (size_t) (dot - p) >= sizeof num)
		return 0;
	nl = (size_t) (dot - p);
	memcpy (num, p, nl);
	num[nl] = '\0';
	if (!parse_index (num, n))
		return 0;
	*field = dot + 1;
	*flen = strlen (*field);
	if (*flen && (*field)[*flen - 1] == '~')
		(*flen)--;
	return *flen > 0;
}

/* "recipient ADDRESS [status=..] [action=..] ..." : the @i-th such line. */
static void
check_recipient_line (ctx_t *c, const line_t *ln, size_t i)
{
	char *copy = xstrdup (ln->value), *tok, *save = NULL;
	size_t count = bsc_result_recipient_count (c->r);
	char label[512];

	tok = strtok_r (copy, " \t", &save);
	if (tok == NULL) {
		report (c->st, 0, 0, c->where, "%s:%d: recipient line without an address",
			c->expect_name, ln->lineno);
		free (copy);
		return;
	}
	if (i >= count) {
		report (c->st, 0, ln->todo, c->where, "recipient %zu %s: got only %zu recipients", i,
			tok, count);
		free (copy);
		return;
	}
	{
		const char *got = bsc_result_recipient (c->r, i, BSC_RCPT_ADDRESS);

		snprintf (label, sizeof label, "recipient %zu address", i);
		if (value_match (got, tok, CMP_ADDR, 0))
			report (c->st, 1, ln->todo, c->where, "%s %s", label, tok);
		else
			report (c->st, 0, ln->todo, c->where, "%s: got \"%s\", want \"%s\"", label,
				show (got), tok);
	}
	while ((tok = strtok_r (NULL, " \t", &save)) != NULL) {
		char *eq = strchr (tok, '=');
		int f;
		enum cmp how = CMP_EXACT;
		const char *got;

		f = eq ? field_index (rcpt_names, BSC_RCPT_FIELD_COUNT, tok, (size_t) (eq - tok)) : -1;
		if (f < 0 || f == BSC_RCPT_ADDRESS) {
			report (c->st, 0, 0, c->where, "%s:%d: bad recipient attribute \"%s\"",
				c->expect_name, ln->lineno, tok);
			continue;
		}
		if (f == BSC_RCPT_REMOTE_MTA)
			how = CMP_HOST;
		else if (f == BSC_RCPT_ORIGINAL_RECIPIENT)
			how = CMP_ADDR;
		got = bsc_result_recipient (c->r, i, (bsc_rcpt_field_t) f);
		snprintf (label, sizeof label, "recipient %zu %s", i, rcpt_names[f]);
		if (value_match (got, eq + 1, how, 0))
			report (c->st, 1, ln->todo, c->where, "%s %s", label, eq + 1);
		else
			report (c->st, 0, ln->todo, c->where, "%s: got \"%s\", want \"%s\"", label,
				show (got), eq + 1);
	}
	free (copy);
}

static void
check_rule (ctx_t *c, const line_t *ln, int want_fired)
{
	size_t n = bsc_result_rule_count (c->rx);
	int fired = 0;

	for (size_t i = 0; i < n; i++) {
		const char *name = bsc_result_rule_name (c->rx, i);

		if (name && strcmp (name, ln->value) == 0)
			fired = 1;
	}
	if (fired == want_fired)
		report (c->st, 1, ln->todo, c->where, "%s %s", ln->key, ln->value);
	else
		report (c->st, 0, ln->todo, c->where, "%s %s: rule %s", ln->key, ln->value,
			fired ? "fired" : "did not fire");
}

/* Runs every expectation of one block against one result. */
static void
check_block (ctx_t *c, const block_t *b)
{
	const bsc_result_t *r = c->r;
	size_t rcpt_lines = 0, rcpt_todo = 0;
	int explicit_count = 0;

	for (size_t li = 0; li < b->n; li++) {
		const line_t *ln = &b->lines[li];
		const char *k = ln->key;
		long n;
		const char *field;
		size_t flen;
		int f;

		if (strcmp (k, "kind") == 0) {
			check_value (c, ln, "kind", bsc_kind_name (bsc_result_kind (r)), CMP_EXACT);
		} else if (strcmp (k, "origin") == 0) {
			check_value (c, ln, "origin", bsc_origin_name (bsc_result_origin (r)),
				     CMP_EXACT);
		} else if (strcmp (k, "verdict") == 0) {
			check_value (c, ln, "verdict", bsc_verdict_name (bsc_result_verdict (r)),
				     CMP_EXACT);
		} else if (strcmp (k, "report_type") == 0) {
			check_value (c, ln, "report_type", bsc_result_report_type (r), CMP_ICASE);
		} else if (strcmp (k, "reporting_mta") == 0 || strcmp (k, "reporting_mta~") == 0) {
			check_value (c, ln, "reporting_mta", bsc_result_reporting_mta (r), CMP_HOST);
		} else if (strcmp (k, "message_id") == 0 || strcmp (k, "message_id~") == 0) {
			check_value (c, ln, "message_id", bsc_result_message_id (r), CMP_ANGLE);
		} else if (strcmp (k, "recipients") == 0) {
			explicit_count = 1;
			check_count (c, ln, "recipient count", bsc_result_recipient_count (r));
		} else if (strcmp (k, "recipient") == 0) {
			check_recipient_line (c, ln, rcpt_lines);
			rcpt_lines++;
			if (ln->todo)
				rcpt_todo++;
		} else if (split_indexed (k, "recipient", &n, &field, &flen)) {
			char label[128];
			enum cmp how = CMP_EXACT;

			f = field_index (rcpt_names, BSC_RCPT_FIELD_COUNT, field, flen);
			if (f < 0) {
				report (c->st, 0, 0, c->where, "%s:%d: unknown recipient field \"%s\"",
					c->expect_name, ln->lineno, k);
				continue;
			}
			if (f == BSC_RCPT_ADDRESS || f == BSC_RCPT_ORIGINAL_RECIPIENT)
				how = CMP_ADDR;
			else if (f == BSC_RCPT_REMOTE_MTA)
				how = CMP_HOST;
			snprintf (label, sizeof label, "recipient %ld %s", n, rcpt_names[f]);
			if ((size_t) n >= bsc_result_recipient_count (r))
				report (c->st, 0, ln->todo, c->where, "%s: got only %zu recipients",
					label, bsc_result_recipient_count (r));
			else
				check_value (c, ln, label,
					     bsc_result_recipient (r, (size_t) n, (bsc_rcpt_field_t) f),
					     how);
		} else if (strcmp (k, "original") == 0) {
			int has = bsc_result_has_original (r);
			int want;

			if (strcmp (ln->value, "none") == 0)
				want = 0;
			else if (strcmp (ln->value, "present") == 0)
				want = 1;
			else {
				report (c->st, 0, 0, c->where, "%s:%d: \"original\" takes none or present",
					c->expect_name, ln->lineno);
				continue;
			}
			if (has == want)
				report (c->st, 1, ln->todo, c->where, "original %s", ln->value);
			else
				report (c->st, 0, ln->todo, c->where, "original: got %s, want %s",
					has ? "present" : "none", ln->value);
		} else if (strncmp (k, "original.", 9) == 0) {
			char label[128];
			size_t kl = strlen (k + 9);
			enum cmp how = CMP_EXACT;

			if (kl && k[9 + kl - 1] == '~')
				kl--;
			f = field_index (orig_names, BSC_ORIG_FIELD_COUNT, k + 9, kl);
			if (f < 0) {
				report (c->st, 0, 0, c->where, "%s:%d: unknown original field \"%s\"",
					c->expect_name, ln->lineno, k);
				continue;
			}
			if (f == BSC_ORIG_MESSAGE_ID || f == BSC_ORIG_RETURN_PATH)
				how = CMP_ANGLE;
			snprintf (label, sizeof label, "original.%s", orig_names[f]);
			check_value (c, ln, label, bsc_result_original (r, (bsc_orig_field_t) f), how);
		} else if (strcmp (k, "relays") == 0) {
			check_count (c, ln, "relay count", bsc_result_relay_count (r));
		} else if (split_indexed (k, "relay", &n, &field, &flen)) {
			char label[128];

			f = field_index (relay_names, BSC_RELAY_FIELD_COUNT, field, flen);
			if (f < 0) {
				report (c->st, 0, 0, c->where, "%s:%d: unknown relay field \"%s\"",
					c->expect_name, ln->lineno, k);
				continue;
			}
			snprintf (label, sizeof label, "relay %ld %s", n, relay_names[f]);
			if ((size_t) n >= bsc_result_relay_count (r))
				report (c->st, 0, ln->todo, c->where, "%s: got only %zu relays", label,
					bsc_result_relay_count (r));
			else
				check_value (c, ln, label,
					     bsc_result_relay (r, (size_t) n, (bsc_relay_field_t) f),
					     f == BSC_RELAY_IP ? CMP_ICASE : CMP_HOST);
		} else if (strcmp (k, "note~") == 0) {
			size_t nn = bsc_result_note_count (r);
			int found = 0;

			for (size_t i = 0; i < nn && !found; i++) {
				const char *note = bsc_result_note (r, i);

				found = note && strstr (note, ln->value) != NULL;
			}
			if (found)
				report (c->st, 1, ln->todo, c->where, "note~ %s", ln->value);
			else
				report (c->st, 0, ln->todo, c->where,
					"note~: no note contains \"%s\" (%zu notes)", ln->value, nn);
		} else if (strcmp (k, "rule") == 0) {
			check_rule (c, ln, 1);
		} else if (strcmp (k, "no-rule") == 0) {
			check_rule (c, ln, 0);
		} else {
			report (c->st, 0, 0, c->where, "%s:%d: unknown expectation \"%s\"",
				c->expect_name, ln->lineno, k);
		}
	}
	/* Recipient lines list every reported recipient: the count must match. */
	if (rcpt_lines > 0 && !explicit_count) {
		size_t got = bsc_result_recipient_count (r);
		int todo = rcpt_todo == rcpt_lines;

		if (got == rcpt_lines)
			report (c->st, 1, todo, c->where, "recipient count %zu", rcpt_lines);
		else
			report (c->st, 0, todo, c->where, "recipient count: got %zu, want %zu", got,
				rcpt_lines);
	}
}

/* ------------------------------------------------------------ mail files */

static int
has_suffix (const char *s, const char *suffix)
{
	size_t n = strlen (s), m = strlen (suffix);

	return n >= m && strcmp (s + n - m, suffix) == 0;
}

/* "dir/x.mbox" -> "dir/x.expect" (caller frees). */
static char *
expect_path_for (const char *path)
{
	const char *dot = strrchr (path, '.');
	const char *slash = strrchr (path, '/');
	size_t stem = (dot && (!slash || dot > slash)) ? (size_t) (dot - path) : strlen (path);
	char *out = xmalloc (stem + sizeof ".expect");

	memcpy (out, path, stem);
	memcpy (out + stem, ".expect", sizeof ".expect");
	return out;
}

static const char *rules_dir; /* --rules, for engines built for one file */

/* Builds the fast and the explaining engine from @o (one of them may fail). */
static bsc_status_t
engines_new (bsc_options_t *o, engines_t *e, bsc_error_t *err)
{
	bsc_status_t rc = bsc_engine_new (o, &e->fast, err);

	if (rc == BSC_OK && (rc = bsc_options_set_explain (o, 1)) == BSC_OK)
		rc = bsc_engine_new (o, &e->explain, err);
	return rc;
}

static void
engines_free (engines_t *e)
{
	bsc_engine_free (e->fast);
	bsc_engine_free (e->explain);
	e->fast = e->explain = NULL;
}

/*
 * Engines with the site config a .expect names ("config FILE", relative
 * to the .expect's folder): origin cases need their own "we".  False (and
 * a failed check) when they cannot be built.
 */
static bool
engines_for_config (stats_t *st, const char *xpath, const char *file, engines_t *e)
{
	const char *slash = strrchr (xpath, '/');
	size_t dir = slash ? (size_t) (slash - xpath) + 1 : 0;
	char *path = xmalloc (dir + strlen (file) + 1);
	bsc_options_t *o = bsc_options_new ();
	bsc_config_t *cfg = bsc_config_new ();
	bsc_error_t err;
	bsc_status_t rc;

	memcpy (path, xpath, dir);
	strcpy (path + dir, file);
	memset (&err, 0, sizeof err);
	if (!o || !cfg)
		rc = BSC_ENOMEM;
	else if ((rc = bsc_config_load_file (cfg, path, &err)) == BSC_OK &&
		 (!rules_dir || (rc = bsc_options_set_rules_dir (o, rules_dir)) == BSC_OK) &&
		 (rc = bsc_options_set_config (o, cfg)) == BSC_OK)
		rc = engines_new (o, e, &err);
	if (rc != BSC_OK) {
		report (st, 0, 0, xpath, "config %s: %s %s:%d: %s", file, bsc_strerror (rc),
			err.source, err.line, err.text);
		engines_free (e);
	}
	free (path);
	bsc_options_free (o);
	bsc_config_free (cfg);
	return rc == BSC_OK;
}

/* Checks one mail file (@path) shown as @shown. */
static void
run_file (const engines_t *engines, stats_t *st, const char *path, const char *shown)
{
	engines_t own = { NULL, NULL };
	char *buf, *xbuf, *xpath, *xshown;
	size_t len, xlen;
	msgs_t msgs = { 0 };
	expect_t x = { 0 };
	char where[1024];

	buf = read_file (path, &len);
	if (buf == NULL) {
		report (st, 0, 0, shown, "cannot read: %s", strerror (errno));
		return;
	}
	if (has_suffix (path, ".mbox")) {
		split_mbox (buf, len, &msgs);
		free (buf);
	} else {
		msgs_add (&msgs, buf, len);
	}

	xpath = expect_path_for (path);
	xshown = expect_path_for (shown);
	xbuf = read_file (xpath, &xlen);
	if (xbuf == NULL) {
		report (st, 0, 0, shown, "no expectations: cannot read %s: %s", xshown,
			strerror (errno));
		goto out;
	}
	expect_parse (xbuf, xlen, xshown, st, &x);
	free (xbuf);
	if (x.config) {
		if (!engines_for_config (st, xpath, x.config, &own))
			goto out;
		engines = &own;
	}

	if (msgs.n == 0)
		report (st, 0, 0, shown, "holds no message");

	for (size_t i = 0; i < x.n; i++)
		if ((size_t) x.blocks[i].index >= msgs.n)
			report (st, 0, 0, xshown, "line %d: message %ld: %s holds only %zu messages",
				x.blocks[i].lineno, x.blocks[i].index, shown, msgs.n);

	for (size_t m = 0; m < msgs.n; m++) {
		block_t *b = NULL;
		bsc_result_t *r = NULL;
		bsc_status_t rc;

		snprintf (where, sizeof where, "%s#%zu", shown, m);
		for (size_t i = 0; i < x.n; i++)
			if ((size_t) x.blocks[i].index == m)
				b = &x.blocks[i];
		if (b == NULL) {
			report (st, 0, 0, where, "has no expectations in %s", xshown);
			continue;
		}
		if (b->n == 0) {
			report (st, 0, 0, where, "has an empty block in %s", xshown);
			continue;
		}
		bsc_result_t *rx = NULL;
		rc = bsc_classify (engines->fast, msgs.v[m].data, msgs.v[m].len, &r);
		if (rc == BSC_OK)
			rc = bsc_classify (engines->explain, msgs.v[m].data, msgs.v[m].len, &rx);
		if (rc != BSC_OK || r == NULL || rx == NULL) {
			/* every expectation of the message fails (todo ones stay todo) */
			for (size_t li = 0; li < b->n; li++)
				report (st, 0, b->lines[li].todo, where, "%s: classify failed: %s",
					b->lines[li].key, bsc_strerror (rc));
			bsc_result_free (r);
			bsc_result_free (rx);
			continue;
		}
		/* Skipping rules that cannot change the answer must not change it. */
		if (bsc_result_kind (r) == bsc_result_kind (rx) &&
		    bsc_result_origin (r) == bsc_result_origin (rx) &&
		    bsc_result_verdict (r) == bsc_result_verdict (rx) &&
		    bsc_result_recipient_count (r) == bsc_result_recipient_count (rx))
			report (st, 1, 0, where, "same answer with every rule evaluated");
		else
			report (st, 0, 0, where, "with every rule evaluated: %s/%s/%s, %zu recipients "
				"instead of %s/%s/%s, %zu",
				bsc_kind_name (bsc_result_kind (rx)), bsc_origin_name (bsc_result_origin (rx)),
				bsc_verdict_name (bsc_result_verdict (rx)), bsc_result_recipient_count (rx),
				bsc_kind_name (bsc_result_kind (r)), bsc_origin_name (bsc_result_origin (r)),
				bsc_verdict_name (bsc_result_verdict (r)), bsc_result_recipient_count (r));
		{
			ctx_t c = { st, where, xshown, r, rx };

			check_block (&c, b);
		}
		bsc_result_free (r);
		bsc_result_free (rx);
	}
out:
	engines_free (&own);
	expect_free (&x);
	msgs_free (&msgs);
	free (xpath);
	free (xshown);
}

static int
cmp_str (const void *a, const void *b)
{
	return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The last path component of @dir, without trailing slashes (caller frees). */
static char *
dir_label (const char *dir)
{
	char *d = xstrdup (dir), *s;
	size_t n = strlen (d);

	while (n > 1 && d[n - 1] == '/')
		d[--n] = '\0';
	s = strrchr (d, '/');
	if (s && s[1]) {
		char *out = xstrdup (s + 1);

		free (d);
		return out;
	}
	return d;
}

/* Every *.mbox and *.eml of @dir, in name order; also flags orphan .expect files. */
static int
run_dir (const engines_t *engines, stats_t *st, const char *dir)
{
	DIR *dh = opendir (dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	char *label = dir_label (dir);

	if (dh == NULL) {
		fprintf (stderr, "corpus-runner: %s: %s\n", dir, strerror (errno));
		free (label);
		return 2;
	}
	while ((de = readdir (dh)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (!has_suffix (de->d_name, ".mbox") && !has_suffix (de->d_name, ".eml") &&
		    !has_suffix (de->d_name, ".expect"))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			names = xrealloc (names, cap * sizeof *names);
		}
		names[n++] = xstrdup (de->d_name);
	}
	closedir (dh);
	if (n > 1)
		qsort (names, n, sizeof *names, cmp_str);

	for (size_t i = 0; i < n; i++) {
		char *path, *shown;
		size_t pl = strlen (dir) + strlen (names[i]) + 2;
		size_t sl = strlen (label) + strlen (names[i]) + 2;

		path = xmalloc (pl);
		shown = xmalloc (sl);
		snprintf (path, pl, "%s/%s", dir, names[i]);
		snprintf (shown, sl, "%s/%s", label, names[i]);
		if (has_suffix (names[i], ".expect")) {
			/* every .expect belongs to exactly one mail file */
			size_t stem = strlen (names[i]) - strlen (".expect");
			int owners = 0;

			for (size_t j = 0; j < n; j++)
				if (j != i && strncmp (names[j], names[i], stem) == 0 &&
				    (strcmp (names[j] + stem, ".mbox") == 0 ||
				     strcmp (names[j] + stem, ".eml") == 0))
					owners++;
			if (owners == 0)
				report (st, 0, 0, shown, "no .mbox or .eml beside it");
			else if (owners > 1)
				report (st, 0, 0, shown, "shared by a .mbox and an .eml");
		} else {
			run_file (engines, st, path, shown);
		}
		free (path);
		free (shown);
	}
	if (n == 0)
		report (st, 0, 0, label, "holds no mail file");
	for (size_t i = 0; i < n; i++)
		free (names[i]);
	free (names);
	free (label);
	return 0;
}

/* ------------------------------------------------------------------- main */

static void
usage (FILE *fp)
{
	fprintf (fp,
		 "usage: corpus-runner [--rules DIR] [--config FILE] [-v] PATH...\n"
		 "  PATH      a folder of *.mbox/*.eml files with .expect files beside them,\n"
		 "            or one such mail file\n"
		 "  --rules   folder of rule files (default: the installed rules)\n"
		 "  --config  site config file\n"
		 "  -v        print passing checks too\n");
}

static void
print_error (const char *what, bsc_status_t rc, const bsc_error_t *err)
{
	if (err->source[0] || err->text[0])
		fprintf (stderr, "corpus-runner: %s: %s:%d:%d: %s\n", what, err->source, err->line,
			 err->column, err->text);
	else
		fprintf (stderr, "corpus-runner: %s: %s\n", what, bsc_strerror (rc));
}

int
main (int argc, char **argv)
{
	const char *rules = NULL, *config_path = NULL;
	stats_t st = { 0 };
	bsc_options_t *opts = NULL;
	bsc_config_t *config = NULL;
	engines_t engines = { NULL, NULL };
	bsc_error_t err;
	bsc_status_t rc;
	int first_path = 0, status = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp (argv[i], "--rules") == 0 && i + 1 < argc) {
			rules = argv[++i];
		} else if (strncmp (argv[i], "--rules=", 8) == 0) {
			rules = argv[i] + 8;
		} else if (strcmp (argv[i], "--config") == 0 && i + 1 < argc) {
			config_path = argv[++i];
		} else if (strncmp (argv[i], "--config=", 9) == 0) {
			config_path = argv[i] + 9;
		} else if (strcmp (argv[i], "-v") == 0 || strcmp (argv[i], "--verbose") == 0) {
			st.verbose = 1;
		} else if (strcmp (argv[i], "-h") == 0 || strcmp (argv[i], "--help") == 0) {
			usage (stdout);
			return 0;
		} else if (strcmp (argv[i], "--") == 0) {
			first_path = i + 1;
			break;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf (stderr, "corpus-runner: unknown or incomplete option %s\n", argv[i]);
			usage (stderr);
			return 2;
		} else {
			first_path = i;
			break;
		}
	}
	if (first_path == 0 || first_path >= argc) {
		usage (stderr);
		return 2;
	}

	opts = bsc_options_new ();
	if (opts == NULL) {
		fprintf (stderr, "corpus-runner: out of memory\n");
		return 2;
	}
	rules_dir = rules;
	if (rules && (rc = bsc_options_set_rules_dir (opts, rules)) != BSC_OK) {
		fprintf (stderr, "corpus-runner: --rules %s: %s\n", rules, bsc_strerror (rc));
		status = 2;
		goto done;
	}
	if (config_path) {
		config = bsc_config_new ();
		if (config == NULL) {
			fprintf (stderr, "corpus-runner: out of memory\n");
			status = 2;
			goto done;
		}
		memset (&err, 0, sizeof err);
		rc = bsc_config_load_file (config, config_path, &err);
		if (rc != BSC_OK) {
			print_error ("config", rc, &err);
			status = 2;
			goto done;
		}
		if ((rc = bsc_options_set_config (opts, config)) != BSC_OK) {
			fprintf (stderr, "corpus-runner: config: %s\n", bsc_strerror (rc));
			status = 2;
			goto done;
		}
	}
	memset (&err, 0, sizeof err);
	rc = engines_new (opts, &engines, &err);
	if (rc != BSC_OK) {
		print_error ("rules", rc, &err);
		status = 2;
		goto done;
	}

	for (int i = first_path; i < argc; i++) {
		struct stat sb;

		if (stat (argv[i], &sb) != 0) {
			fprintf (stderr, "corpus-runner: %s: %s\n", argv[i], strerror (errno));
			status = 2;
			goto done;
		}
		if (S_ISDIR (sb.st_mode)) {
			if (run_dir (&engines, &st, argv[i]) != 0) {
				status = 2;
				goto done;
			}
		} else {
			run_file (&engines, &st, argv[i], argv[i]);
		}
	}

	printf ("corpus: %lu checks, %lu failed, %lu todo (%lu todo passed)\n", st.checks,
		st.failed, st.todo, st.todo_passed);
	status = st.failed ? 1 : 0;
done:
	engines_free (&engines);
	bsc_options_free (opts);
	bsc_config_free (config);
	return status;
}
