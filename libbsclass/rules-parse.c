/*
 * rules-parse.c - reads rule files (DESIGN.md section 4) and compiles them.
 *
 * A rule file is line based, in the spirit of SpamAssassin's:
 *
 *   header   NAME  Header-Name =~ /regex/flags      (or !~, or exists:Name)
 *   body     NAME  /regex/flags
 *   dsn      NAME  Field-Name =~ /regex/flags       (or !~, or exists:Name)
 *   original NAME  Header-Name =~ /regex/flags      (or !~, or exists:Name)
 *   eval     NAME  fact_name()
 *   meta     NAME  expression over rule names with && || ! ( )
 *   split    NAME  /regex/flags
 *   describe NAME  free text
 *   score    NAME  target=points ...
 *
 * A body rule with named groups (?<rcpt>...), (?<status>...), ... is an
 * extraction rule; other group names, and named groups in any other rule
 * type, are refused: they would silently extract nothing.  rules/README.md
 * is the administrator's description of all of it.
 *
 * '#' starts a comment at the start of a line or after white space (never
 * inside a regex).  A regex is /.../ or m followed by any punctuation
 * delimiter (m!...!, m{...} with nesting); flags are i m s x.
 *
 * Loading only parses and compiles each regex, so a bad line is refused at
 * once; everything that needs the whole file set (scores and descriptions of
 * rules defined later, meta references, evaluation order, JIT) waits for
 * bsc_ruleset_compile().
 */
#define _POSIX_C_SOURCE 200809L
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "rules.h"

/*
 * The JIT scans a subject in aligned 16-byte blocks that may reach past its
 * end (never across a page, so harmlessly), which memcheck reports as
 * invalid and uninitialised reads by the thousand, burying real errors.
 * Under valgrind the interpreter runs the same patterns with the same
 * answers, so there the rules are not JIT-compiled.  Profiling builds
 * (callgrind counts the JIT's instructions) define BSC_JIT_UNDER_VALGRIND.
 */
#if defined(__has_include) && !defined(BSC_JIT_UNDER_VALGRIND)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define BSC_ON_VALGRIND() (RUNNING_ON_VALGRIND != 0)
#endif
#endif
#ifndef BSC_ON_VALGRIND
#define BSC_ON_VALGRIND() false
#endif

#if defined(__GNUC__)
#define BSC_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define BSC_PRINTF(f, a)
#endif

#define NAME_MAX_LEN 128   /* longest rule name */
#define META_MAX_NEST 32   /* parentheses and '!' nested in one meta expression */
#define META_MAX_OPS 4096  /* operands and operators in one meta expression */

/* Where a line (and a column in it) came from, for errors found at compile time. */
typedef struct bsc_loc {
	const char *source; /* interned in the rule set */
	int line;
	int col;
} bsc_loc_t;

/* One element of a meta expression in RPN, operands still by name. */
typedef struct meta_tok {
	int32_t op;  /* BSC_META_*, or >= 0: an operand */
	char *name;  /* operands only */
	int col;
} meta_tok_t;

/* What a definition line says; replaced as a whole when a rule is redefined. */
typedef struct rule_body {
	bsc_rule_type_t type;
	bool negate;
	bool exists;
	uint8_t fact;
	uint8_t reason;    /* reason rules: a bsc_reason_t */
	char *field;
	pcre2_code *code;
	meta_tok_t *toks;
	size_t n_toks;
	char *lit;        /* NUL-separated alternatives (literal.c) */
	uint16_t n_lits;
	bool lit_caseless;
	uint16_t *xgroups; /* extraction: group numbers by field, see bsc_rule_t */
	uint16_t xoff[BSC_X_COUNT + 1];
	char *source;      /* split rules: the pattern matched (its JIT-safe spelling), for the union */
	uint32_t options;  /* split rules: its PCRE2_CASELESS/MULTILINE/DOTALL/EXTENDED */
	bsc_loc_t loc;
} rule_body_t;

/* Everything known about one rule name: its definition and its annotations. */
struct bsc_rule_def {
	char *name;
	bool defined;
	rule_body_t body;
	bool has_score;
	double points[BSC_T_COUNT];
	bsc_loc_t score_loc;
	char *describe;
	bsc_loc_t describe_loc;
	/* Compile-time state. */
	int mark;       /* meta ordering: 0 unvisited, 1 in progress, 2 done */
	size_t slot;    /* index in the evaluation order */
	int32_t *ops;   /* resolved meta RPN */
};

/* Open addressing from name to index in rs->defs; 0 marks an empty slot. */
struct bsc_name_map {
	size_t *slots; /* index + 1 */
	size_t cap;    /* a power of two */
	size_t used;
};

static const double zero_points[BSC_T_COUNT];

/* Names of bsc_fact_t values, in enum order. */
static const char *const fact_names[] = {
	"dsn_report",
	"dsn_part",
	"dsn_all_success",
	"dsn_delayed_only",
	"arf_report",
	"mdn_report",
	"has_original",
	"original_headers_only",
	"null_sender",
	"daemon_from",
	"failed_recipients",
	"list_mail",
	"limit_reached",
	"batv_valid",
	"batv_invalid",
	"batv_missing",
	"msgid_valid",
	"msgid_forged",
	"relay_ours",
	"relay_forged",
	"our_sender",
	"many_recipients",
	"sender_relay_mismatch",
	"original_msgid_mismatch",
	"mdn_reject",
	"relay_dynamic",
};
_Static_assert (sizeof fact_names / sizeof fact_names[0] == BSC_F_COUNT,
		"one fact name per bsc_fact_t");

/* Names of bsc_target_t values, in enum order. */
static const char *const target_names[] = {
	"bounce",
	"out_of_office",
	"challenge_response",
	"normal",
	"ours",
	"forged",
	"backscatter",
};
_Static_assert (sizeof target_names / sizeof target_names[0] == BSC_T_COUNT,
		"one target name per bsc_target_t");

/* Names of bsc_xfield_t values, in enum order: the groups an extraction rule may name. */
static const char *const xfield_names[] = {
	"rcpt",
	"status",
	"code",
	"diag",
	"mta",
	"action",
};
_Static_assert (sizeof xfield_names / sizeof xfield_names[0] == BSC_X_COUNT,
		"one group name per bsc_xfield_t");

/* The rule file word of each bsc_rule_type_t, for messages. */
static const char *const type_words[] = {
	"header", "body", "dsn", "original", "eval", "meta", "split", "reason",
};
_Static_assert (sizeof type_words / sizeof type_words[0] == BSC_R_REASON + 1,
		"one word per bsc_rule_type_t");

/* ---------------------------------------------------------------- errors */

static bsc_status_t BSC_PRINTF (6, 7)
set_error (bsc_error_t *err, bsc_status_t status, const char *source, int line, int col,
	   const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return status;
	snprintf (err->source, sizeof err->source, "%s", source ? source : "");
	err->line = line;
	err->column = col;
	va_start (ap, fmt);
	vsnprintf (err->text, sizeof err->text, fmt, ap);
	va_end (ap);
	return status;
}

static bsc_status_t
set_errno_error (bsc_error_t *err, const char *source, int errnum)
{
	return set_error (err, BSC_EIO, source, 0, 0, "%s", strerror (errnum));
}

static bsc_status_t
nomem (bsc_error_t *err, const char *source)
{
	return set_error (err, BSC_ENOMEM, source, 0, 0, "out of memory");
}

/* -------------------------------------------------------------- name map */

static size_t
name_hash (const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char) s[i];
		h *= 1099511628211ULL;
	}
	return (size_t) h;
}

/* The index in rs->defs of @name, or SIZE_MAX. */
static size_t
map_find (const bsc_ruleset_t *rs, const char *name, size_t len)
{
	const bsc_name_map_t *m = rs->map;

	if (m->cap == 0)
		return SIZE_MAX;
	for (size_t i = name_hash (name, len) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		size_t v = m->slots[i];
		const char *n;

		if (v == 0)
			return SIZE_MAX;
		n = rs->defs[v - 1]->name;
		if (strncmp (n, name, len) == 0 && n[len] == '\0')
			return v - 1;
	}
}

static void
map_put (bsc_name_map_t *m, size_t hash, size_t index)
{
	size_t i = hash & (m->cap - 1);

	while (m->slots[i] != 0)
		i = (i + 1) & (m->cap - 1);
	m->slots[i] = index + 1;
	m->used++;
}

static bool
map_grow (bsc_ruleset_t *rs)
{
	bsc_name_map_t *m = rs->map;
	size_t cap = m->cap ? m->cap * 2 : 64;
	size_t *slots = calloc (cap, sizeof *slots);

	if (!slots)
		return false;
	free (m->slots);
	m->slots = slots;
	m->cap = cap;
	m->used = 0;
	for (size_t i = 0; i < rs->n_defs; i++) {
		const char *n = rs->defs[i]->name;
		map_put (m, name_hash (n, strlen (n)), i);
	}
	return true;
}

/* The entry for @name, created when new; NULL when out of memory. */
static bsc_rule_def_t *
def_lookup_or_add (bsc_ruleset_t *rs, const char *name, size_t len)
{
	size_t i = map_find (rs, name, len);
	bsc_rule_def_t *d;

	if (i != SIZE_MAX)
		return rs->defs[i];
	if ((rs->map->used + 1) * 2 > rs->map->cap && !map_grow (rs))
		return NULL;
	if (rs->n_defs == rs->cap_defs) {
		size_t cap = rs->cap_defs ? rs->cap_defs * 2 : 64;
		bsc_rule_def_t **v = realloc (rs->defs, cap * sizeof *v);
		if (!v)
			return NULL;
		rs->defs = v;
		rs->cap_defs = cap;
	}
	if (!(d = calloc (1, sizeof *d)))
		return NULL;
	if (!(d->name = strndup (name, len))) {
		free (d);
		return NULL;
	}
	rs->defs[rs->n_defs] = d;
	map_put (rs->map, name_hash (name, len), rs->n_defs);
	rs->n_defs++;
	return d;
}

/* ------------------------------------------------------------ life cycle */

static void
body_clear (rule_body_t *b)
{
	free (b->field);
	pcre2_code_free (b->code);
	for (size_t i = 0; i < b->n_toks; i++)
		free (b->toks[i].name);
	free (b->toks);
	free (b->lit);
	free (b->xgroups);
	free (b->source);
	memset (b, 0, sizeof *b);
}

static void
def_free (bsc_rule_def_t *d)
{
	body_clear (&d->body);
	free (d->describe);
	free (d->ops);
	free (d->name);
	free (d);
}

bsc_ruleset_t *
bsc_ruleset_new (void)
{
	bsc_ruleset_t *rs = calloc (1, sizeof *rs);

	if (!rs)
		return NULL;
	if (!(rs->map = calloc (1, sizeof *rs->map))) {
		free (rs);
		return NULL;
	}
	return rs;
}

void
bsc_ruleset_free (bsc_ruleset_t *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n_defs; i++)
		def_free (rs->defs[i]);
	free (rs->defs);
	free (rs->order);
	free (rs->map->slots);
	free (rs->map);
	for (size_t i = 0; i < rs->n_sources; i++)
		free (rs->sources[i]);
	free (rs->sources);
	free (rs->rules);
	free (rs->splits);
	free (rs->reasons);
	pcre2_code_free (rs->split_union);
	free (rs->by_pass);
	free (rs->meta_ops);
	free (rs->cost);
	free (rs->body);
	bsc_prefilter_free (rs->pf);
	bsc_prefilter_free (rs->reason_pf);
	pcre2_match_context_free (rs->mctx);
	free (rs);
}

size_t
bsc_ruleset_count (const bsc_ruleset_t *rs)
{
	return rs ? rs->n_order : 0;
}

const char *
bsc_ruleset_site_kind_rule (const bsc_ruleset_t *rs)
{
	return rs && rs->compiled ? rs->site_kind_rule : NULL;
}

static const char *
intern_source (bsc_ruleset_t *rs, const char *source)
{
	char *s;

	if (rs->n_sources == rs->cap_sources) {
		size_t cap = rs->cap_sources ? rs->cap_sources * 2 : 8;
		char **v = realloc (rs->sources, cap * sizeof *v);
		if (!v)
			return NULL;
		rs->sources = v;
		rs->cap_sources = cap;
	}
	if (!(s = strdup (source)))
		return NULL;
	rs->sources[rs->n_sources++] = s;
	return s;
}

/* ----------------------------------------------------------- line parser */

typedef struct parser {
	bsc_ruleset_t *rs;
	bsc_error_t *err;
	const char *source;
	int line;
	const char *ls;  /* start of the current line */
	const char *p;   /* cursor */
	const char *end; /* end of the line (without CR/LF) */
} parser_t;

static bool
is_ws (char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

static bool
is_name_char (char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static bool
is_alnum (char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int
col_of (const parser_t *ps, const char *at)
{
	return (int) (at - ps->ls) + 1;
}

static bsc_status_t BSC_PRINTF (3, 4)
perr (const parser_t *ps, const char *at, const char *fmt, ...)
{
	va_list ap;
	bsc_error_t *err = ps->err;

	if (!err)
		return BSC_ERULES;
	snprintf (err->source, sizeof err->source, "%s", ps->source);
	err->line = ps->line;
	err->column = col_of (ps, at);
	va_start (ap, fmt);
	vsnprintf (err->text, sizeof err->text, fmt, ap);
	va_end (ap);
	return BSC_ERULES;
}

static void
skip_ws (parser_t *ps)
{
	while (ps->p < ps->end && is_ws (*ps->p))
		ps->p++;
}

/*
 * Whether only white space and a comment remain.  A '#' glued to the
 * previous token is not a comment: it is text that does not belong there.
 */
static bool
rest_is_empty (parser_t *ps)
{
	const char *start = ps->p;

	skip_ws (ps);
	return ps->p == ps->end || (*ps->p == '#' && ps->p > start);
}

static bsc_status_t
expect_end (parser_t *ps, const char *what)
{
	if (rest_is_empty (ps))
		return BSC_OK;
	/* The line is not NUL-terminated: quote at most 40 bytes of it, never past its end. */
	int n = ps->end - ps->p < 40 ? (int) (ps->end - ps->p) : 40;
	return perr (ps, ps->p, "unexpected text after %s: '%.*s'", what, n, ps->p);
}

/* The next run of non-blank characters; empty at the end or at a comment. */
static size_t
next_word (parser_t *ps, const char **word)
{
	skip_ws (ps);
	*word = ps->p;
	if (ps->p == ps->end || *ps->p == '#')
		return 0;
	while (ps->p < ps->end && !is_ws (*ps->p))
		ps->p++;
	return (size_t) (ps->p - *word);
}

/* End of the text before a comment ('#' after white space), trailing blanks removed. */
static const char *
text_end (const parser_t *ps)
{
	const char *q = ps->p;

	while (q < ps->end && !(*q == '#' && q > ps->ls && is_ws (q[-1])))
		q++;
	while (q > ps->p && is_ws (q[-1]))
		q--;
	return q;
}

static bsc_status_t
read_rule_name (parser_t *ps, const char **name, size_t *len)
{
	*len = next_word (ps, name);
	if (*len == 0)
		return perr (ps, ps->p, "missing rule name");
	for (size_t i = 0; i < *len; i++)
		if (!is_name_char ((*name)[i]))
			return perr (ps, *name + i,
				     "invalid character '%c' in rule name '%.*s' (allowed: A-Z a-z 0-9 _)",
				     (*name)[i], (int) (*len > 60 ? 60 : *len), *name);
	if (*len > NAME_MAX_LEN)
		return perr (ps, *name, "rule name longer than %d characters", NAME_MAX_LEN);
	return BSC_OK;
}

/* ------------------------------------------------------ required literal */

/* The literals every match needs (literal.c), for the prefilter. */
static bool
required_literal (rule_body_t *b, const char *pat, size_t len, uint32_t options)
{
	size_t n = 0;
	bool caseless = false;
	char *lits = bsc_required_literals (pat, len, (options & PCRE2_CASELESS) != 0,
					    (options & PCRE2_EXTENDED) != 0, &n, &caseless);

	if (!lits)
		return true; /* none: the regex always runs */
	b->lit = lits;
	b->n_lits = (uint16_t) n;
	b->lit_caseless = caseless;
	return true;
}

/* ------------------------------------------------------- named groups */

static int
xfield_index (const char *name)
{
	for (int k = 0; k < BSC_X_COUNT; k++)
		if (strcmp (xfield_names[k], name) == 0)
			return k;
	return -1;
}

/*
 * Where group @name is defined in the pattern text: (?<name>, (?'name' or
 * (?P<name>, for the error column.  NULL when it cannot be found.
 */
static const char *
group_name_at (const char *pat, size_t len, const char *name)
{
	size_t n = strlen (name);

	for (size_t i = 2; i + n + 1 < len; i++) {
		const char *q = pat + i;
		char close = *q == '<' ? '>' : *q == '\'' ? '\'' : '\0';
		bool opened = (q[-2] == '(' && q[-1] == '?') ||
			      (i >= 3 && q[-3] == '(' && q[-2] == '?' && q[-1] == 'P' && *q == '<');
		if (close && opened && memcmp (q + 1, name, n) == 0 && q[1 + n] == close)
			return q + 1;
	}
	return NULL;
}

/* Records each field's group numbers in @b, lowest first, from the name table. */
static bool
collect_xgroups (rule_body_t *b, PCRE2_SPTR table, uint32_t count, uint32_t esize)
{
	uint16_t fill[BSC_X_COUNT] = { 0 };

	for (uint32_t i = 0; i < count; i++)
		fill[xfield_index ((const char *) table + i * esize + 2)]++;
	b->xoff[0] = 0;
	for (int k = 0; k < BSC_X_COUNT; k++) {
		b->xoff[k + 1] = (uint16_t) (b->xoff[k] + fill[k]);
		fill[k] = b->xoff[k];
	}
	if (!(b->xgroups = malloc (count * sizeof *b->xgroups)))
		return false;
	for (uint32_t i = 0; i < count; i++) {
		PCRE2_SPTR e = table + i * esize;
		int k = xfield_index ((const char *) e + 2);
		uint16_t num = (uint16_t) (e[0] << 8 | e[1]), j = fill[k]++;
		/* (?J) lets a name repeat; the lowest set group wins, as in PCRE2's by-name calls. */
		for (; j > b->xoff[k] && b->xgroups[j - 1] > num; j--)
			b->xgroups[j] = b->xgroups[j - 1];
		b->xgroups[j] = num;
	}
	return true;
}

/*
 * Named groups mean extraction, which only body rules do, and only into the
 * fields of bsc_xfield_t: any other name would extract nothing without a
 * word, so it is refused, the first one in pattern order being reported.
 */
static bsc_status_t
check_group_names (parser_t *ps, rule_body_t *b, const char *pat, size_t len)
{
	uint32_t count = 0, esize = 0;
	PCRE2_SPTR table = NULL;
	const char *bad = NULL, *bad_at = NULL;

	pcre2_pattern_info (b->code, PCRE2_INFO_NAMECOUNT, &count);
	if (count == 0)
		return BSC_OK;
	pcre2_pattern_info (b->code, PCRE2_INFO_NAMEENTRYSIZE, &esize);
	pcre2_pattern_info (b->code, PCRE2_INFO_NAMETABLE, &table);
	for (uint32_t i = 0; i < count; i++) {
		const char *name = (const char *) table + i * esize + 2;
		const char *at = group_name_at (pat, len, name);
		if (b->type == BSC_R_BODY && xfield_index (name) >= 0)
			continue;
		if (!at)
			at = pat;
		if (!bad || at < bad_at) {
			bad = name;
			bad_at = at;
		}
	}
	if (bad && b->type == BSC_R_BODY)
		return perr (ps, bad_at, "unknown extraction group '%s' (known: rcpt status code "
			     "diag mta action)", bad);
	if (bad)
		return perr (ps, bad_at, "named group '%s' in a %s rule: only body rules extract "
			     "(use (?:...) or a numbered group)", bad, type_words[b->type]);
	if (!collect_xgroups (b, table, count, esize))
		return nomem (ps->err, ps->source);
	return BSC_OK;
}

/* ------------------------------------------------------ JIT workaround */

/* Copies pat[*i..], an opener of two bytes and what follows, through the next @close or to the end. */
static void
copy_through (const char *pat, size_t len, size_t *i, const char *close, char *out, size_t *n)
{
	size_t clen = strlen (close), j = *i + 2;

	while (j + clen <= len && memcmp (pat + j, close, clen) != 0)
		j++;
	j = j + clen <= len ? j + clen : len;
	memcpy (out + *n, pat + *i, j - *i);
	*n += j - *i;
	*i = j;
}

/*
 * PCRE2 10.42's JIT, with PCRE2_MATCH_INVALID_UTF, lets \D, \S and \W match
 * no character outside ASCII (PCRE2 issue #224, fixed in 10.43): /\S+@/
 * would miss "j\xc3\xb6rg@" in a German bounce, while the interpreter finds
 * it.  Inside a class the same escapes are compiled another way and match
 * correctly, and [\S] means exactly what \S means, so the pattern that is
 * matched has every \D \S \W put in brackets, but in a class, a \Q..\E
 * quote or a (?#...) comment.  Returns that copy (@out_len bytes) when
 * something changed, else NULL (also when out of memory: the original
 * pattern still works, only not on this JIT).
 */
static char *
jit_safe_pattern (const char *pat, size_t len, size_t *out_len)
{
	char *out = malloc (2 * len + 1); /* each 2-byte escape grows to 4 bytes at most */
	size_t i = 0, n = 0;
	bool in_class = false, changed = false;

	if (!out)
		return NULL;
	while (i < len) {
		char c = pat[i];
		if (c == '\\' && i + 1 < len) {
			char d = pat[i + 1];
			if (d == 'Q') {
				copy_through (pat, len, &i, "\\E", out, &n);
			} else if (!in_class && (d == 'D' || d == 'S' || d == 'W')) {
				out[n++] = '[';
				out[n++] = '\\';
				out[n++] = d;
				out[n++] = ']';
				i += 2;
				changed = true;
			} else {
				/* \cX takes the next character, whatever it is (\c\ is a control character). */
				size_t k = d == 'c' && i + 2 < len ? 3 : 2;
				memcpy (out + n, pat + i, k);
				n += k;
				i += k;
			}
		} else if (in_class) {
			if (c == '[' && i + 1 < len && pat[i + 1] == ':') {
				copy_through (pat, len, &i, ":]", out, &n);
			} else {
				in_class = c != ']';
				out[n++] = pat[i++];
			}
		} else if (c == '(' && i + 2 < len && pat[i + 1] == '?' && pat[i + 2] == '#') {
			copy_through (pat, len, &i, ")", out, &n);
		} else {
			out[n++] = pat[i++];
			if (c == '[') {
				/* A ']' right after "[" or "[^" is a literal member. */
				in_class = true;
				if (i < len && pat[i] == '^')
					out[n++] = pat[i++];
				if (i < len && pat[i] == ']')
					out[n++] = pat[i++];
			}
		}
	}
	if (!changed) {
		free (out);
		return NULL;
	}
	*out_len = n;
	return out;
}

/*
 * Swaps @b's code for one compiled from the JIT-safe spelling, when there
 * is one that compiles alike; with @keep, *@keep receives that spelling
 * (new, NUL-terminated), else NULL.
 */
static void
use_jit_safe_code (rule_body_t *b, const char *pat, size_t len, uint32_t options, char **keep)
{
	size_t safe_len;
	char *safe = jit_safe_pattern (pat, len, &safe_len);
	uint32_t caps[2] = { 0 }, names[2] = { 0 };
	pcre2_code *code;
	int errcode;
	PCRE2_SIZE erroff;

	if (keep)
		*keep = NULL;
	if (!safe)
		return;
	code = pcre2_compile ((PCRE2_SPTR) safe, safe_len, options, &errcode, &erroff, NULL);
	if (code) {
		pcre2_pattern_info (b->code, PCRE2_INFO_CAPTURECOUNT, &caps[0]);
		pcre2_pattern_info (code, PCRE2_INFO_CAPTURECOUNT, &caps[1]);
		pcre2_pattern_info (b->code, PCRE2_INFO_NAMECOUNT, &names[0]);
		pcre2_pattern_info (code, PCRE2_INFO_NAMECOUNT, &names[1]);
	}
	/* A belt to the braces: group numbers must not move, or extraction would read other groups. */
	if (code && caps[0] == caps[1] && names[0] == names[1]) {
		pcre2_code_free (b->code);
		b->code = code;
		if (keep) {
			safe[safe_len] = '\0'; /* (jit_safe_pattern() left room) */
			*keep = safe;
			return;
		}
	} else {
		pcre2_code_free (code);
	}
	free (safe);
}

/* ------------------------------------------------------------------ regex */

/*
 * Reads /.../flags or m<d>...<d>flags at the cursor and compiles it into @b.
 * Mail is not always valid UTF-8, hence PCRE2_MATCH_INVALID_UTF; \C is
 * refused because it can stop inside a UTF-8 character.
 */
static bsc_status_t
parse_regex (parser_t *ps, rule_body_t *b)
{
	const char *open = ps->p, *pat, *q;
	char odelim, cdelim;
	int depth = 1;
	uint32_t options = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C;
	int errcode;
	PCRE2_SIZE erroff;
	bsc_status_t st;

	if (ps->p < ps->end && *ps->p == '/') {
		odelim = cdelim = '/';
		pat = ps->p + 1;
	} else if (ps->end - ps->p >= 2 && *ps->p == 'm' && !is_alnum (ps->p[1]) &&
		   !is_ws (ps->p[1]) && ps->p[1] != '_' && ps->p[1] != '\\' &&
		   (unsigned char) ps->p[1] < 0x80) {
		const char *pairs = "{}()<>[]", *o = strchr (pairs, ps->p[1]);
		odelim = ps->p[1];
		cdelim = (o && (o - pairs) % 2 == 0) ? o[1] : odelim;
		pat = ps->p + 2;
	} else if (ps->p == ps->end || *ps->p == '#') {
		return perr (ps, ps->p, "missing regex");
	} else {
		return perr (ps, ps->p, "expected a regex like /.../ or m{...}");
	}
	for (q = pat; q < ps->end; q++) {
		if (*q == '\\' && q + 1 < ps->end)
			q++;
		else if (*q == cdelim && --depth == 0)
			break;
		else if (*q == odelim && odelim != cdelim)
			depth++;
	}
	if (q >= ps->end)
		return perr (ps, open, "unterminated regex (no closing '%c')", cdelim);
	if (q == pat)
		return perr (ps, open, "empty regex");
	for (ps->p = q + 1; ps->p < ps->end && is_alnum (*ps->p); ps->p++) {
		switch (*ps->p) {
		case 'i': options |= PCRE2_CASELESS; break;
		case 'm': options |= PCRE2_MULTILINE; break;
		case 's': options |= PCRE2_DOTALL; break;
		case 'x': options |= PCRE2_EXTENDED; break;
		default:
			return perr (ps, ps->p, "unknown regex flag '%c' (allowed: i m s x)", *ps->p);
		}
	}
	b->code = pcre2_compile ((PCRE2_SPTR) pat, (size_t) (q - pat), options, &errcode, &erroff,
				 NULL);
	if (!b->code) {
		PCRE2_UCHAR msg[160];
		if (pcre2_get_error_message (errcode, msg, sizeof msg) < 0)
			snprintf ((char *) msg, sizeof msg, "error %d", errcode);
		if (erroff > (PCRE2_SIZE) (q - pat))
			erroff = (PCRE2_SIZE) (q - pat);
		return perr (ps, pat + erroff, "regex error at offset %zu: %s", (size_t) erroff,
			     (const char *) msg);
	}
	if ((st = check_group_names (ps, b, pat, (size_t) (q - pat))) != BSC_OK)
		return st;
	/* A split rule also runs inside the split union (build_split_union()):
	 * spelt there as the code that is matched, or the union's JIT would
	 * miss what the rule's finds. */
	use_jit_safe_code (b, pat, (size_t) (q - pat), options,
			   b->type == BSC_R_SPLIT ? &b->source : NULL);
	if (!required_literal (b, pat, (size_t) (q - pat), options))
		return nomem (ps->err, ps->source);
	if (b->type == BSC_R_SPLIT) {
		if (!b->source && !(b->source = strndup (pat, (size_t) (q - pat))))
			return nomem (ps->err, ps->source);
		b->options = options & (PCRE2_CASELESS | PCRE2_MULTILINE | PCRE2_DOTALL | PCRE2_EXTENDED);
	}
	return BSC_OK;
}

/* ------------------------------------------------------------ rule types */

/* Header/DSN field names: printable ASCII but ':' (RFC 5322 section 2.2), and not '=' '!' that start the operator. */
static bool
is_field_char (char c)
{
	return c > ' ' && c < 127 && c != ':' && c != '=' && c != '!';
}

static bsc_status_t
read_field_name (parser_t *ps, rule_body_t *b)
{
	const char *start;

	skip_ws (ps);
	start = ps->p;
	while (ps->p < ps->end && is_field_char (*ps->p))
		ps->p++;
	if (ps->p == start)
		return perr (ps, start, "missing header field name");
	if (!(b->field = strndup (start, (size_t) (ps->p - start))))
		return nomem (ps->err, ps->source);
	return BSC_OK;
}

/* "Name =~ /re/", "Name !~ /re/" or "exists:Name". */
static bsc_status_t
parse_field_rule (parser_t *ps, rule_body_t *b)
{
	bsc_status_t st;

	skip_ws (ps);
	if (ps->end - ps->p >= 7 && memcmp (ps->p, "exists:", 7) == 0) {
		ps->p += 7;
		b->exists = true;
		if ((st = read_field_name (ps, b)) != BSC_OK)
			return st;
		return expect_end (ps, "the header field name");
	}
	if ((st = read_field_name (ps, b)) != BSC_OK)
		return st;
	if (ps->p < ps->end && *ps->p == ':')
		return perr (ps, ps->p, "unexpected ':' after header field name '%s' "
			     "(field modifiers are not supported)", b->field);
	skip_ws (ps);
	if (ps->end - ps->p >= 2 && (ps->p[0] == '=' || ps->p[0] == '!') && ps->p[1] == '~') {
		b->negate = ps->p[0] == '!';
		ps->p += 2;
	} else {
		return perr (ps, ps->p, "expected '=~' or '!~' after header field name '%s'", b->field);
	}
	skip_ws (ps);
	if ((st = parse_regex (ps, b)) != BSC_OK)
		return st;
	return expect_end (ps, "the regex");
}

/* body and split rules: a regex alone. */
static bsc_status_t
parse_body_rule (parser_t *ps, rule_body_t *b)
{
	bsc_status_t st;

	skip_ws (ps);
	if ((st = parse_regex (ps, b)) != BSC_OK)
		return st;
	return expect_end (ps, "the regex");
}

/* "reason NAME user_unknown /regex/flags": the reason, then the regex. */
static bsc_status_t
parse_reason_rule (parser_t *ps, rule_body_t *b)
{
	const char *w;
	size_t len;
	bsc_reason_t why;

	skip_ws (ps);
	len = next_word (ps, &w);
	if (len == 0)
		return perr (ps, ps->p, "missing reason, e.g. user_unknown");
	why = bsc_reason_lookup (w, len);
	if (why == BSC_REASON_COUNT || why == BSC_REASON_OTHER)
		return perr (ps, w, "unknown reason '%.*s' (reasons: user_unknown mailbox_full "
			     "host_unknown policy too_large expired)", (int) (len > 40 ? 40 : len), w);
	b->reason = (uint8_t) why;
	return parse_body_rule (ps, b);
}

static bsc_status_t
parse_eval_rule (parser_t *ps, rule_body_t *b)
{
	const char *name;
	size_t len;

	skip_ws (ps);
	name = ps->p;
	while (ps->p < ps->end && is_name_char (*ps->p))
		ps->p++;
	len = (size_t) (ps->p - name);
	if (len == 0)
		return perr (ps, name, "missing eval fact name, e.g. dsn_report()");
	skip_ws (ps);
	if (ps->p == ps->end || *ps->p != '(')
		return perr (ps, ps->p, "expected '()' after eval fact '%.*s'", (int) len, name);
	ps->p++;
	skip_ws (ps);
	if (ps->p == ps->end || *ps->p != ')')
		return perr (ps, ps->p, "eval fact '%.*s()' takes no arguments", (int) len, name);
	ps->p++;
	for (size_t i = 0; i < BSC_F_COUNT; i++) {
		if (strlen (fact_names[i]) == len && memcmp (fact_names[i], name, len) == 0) {
			b->fact = (uint8_t) i;
			return expect_end (ps, "the eval fact");
		}
	}
	return perr (ps, name, "unknown eval fact '%.*s()'", (int) (len > 60 ? 60 : len), name);
}

/* ------------------------------------------------------- meta expression */

typedef struct meta_parse {
	parser_t *ps;
	const char *end;
	rule_body_t *b;
	size_t cap;
	int nest;
	int stack, max_stack; /* RPN stack depth while emitting */
} meta_parse_t;

static bsc_status_t meta_or (meta_parse_t *mp);

static bsc_status_t
meta_emit (meta_parse_t *mp, int32_t op, const char *name, size_t len, const char *at)
{
	rule_body_t *b = mp->b;
	meta_tok_t *t;

	if (b->n_toks == META_MAX_OPS)
		return perr (mp->ps, at, "meta expression longer than %d elements", META_MAX_OPS);
	if (b->n_toks == mp->cap) {
		size_t cap = mp->cap ? mp->cap * 2 : 8;
		meta_tok_t *v = realloc (b->toks, cap * sizeof *v);
		if (!v)
			return nomem (mp->ps->err, mp->ps->source);
		b->toks = v;
		mp->cap = cap;
	}
	t = &b->toks[b->n_toks];
	t->op = op;
	t->col = col_of (mp->ps, at);
	t->name = NULL;
	if (name && !(t->name = strndup (name, len)))
		return nomem (mp->ps->err, mp->ps->source);
	b->n_toks++;
	mp->stack += name ? 1 : (op == BSC_META_NOT ? 0 : -1);
	if (mp->stack > mp->max_stack)
		mp->max_stack = mp->stack;
	if (mp->max_stack > BSC_META_STACK)
		return perr (mp->ps, at, "meta expression too complex (needs more than %d stack slots)",
			     BSC_META_STACK);
	return BSC_OK;
}

static void
meta_skip_ws (meta_parse_t *mp)
{
	while (mp->ps->p < mp->end && is_ws (*mp->ps->p))
		mp->ps->p++;
}

static bool
meta_accept (meta_parse_t *mp, const char *tok)
{
	meta_skip_ws (mp);
	if (mp->end - mp->ps->p >= 2 && memcmp (mp->ps->p, tok, 2) == 0) {
		mp->ps->p += 2;
		return true;
	}
	return false;
}

static bsc_status_t
meta_unexpected (meta_parse_t *mp)
{
	const char *p = mp->ps->p;

	if (p == mp->end)
		return perr (mp->ps, p, "meta expression ends where a rule name was expected");
	if (*p == '&' || *p == '|')
		return perr (mp->ps, p, "expected a rule name before '%c'", *p);
	return perr (mp->ps, p, "unexpected '%c' in meta expression (only rule names, "
		     "&& || ! and parentheses)", *p);
}

static bsc_status_t
meta_unary (meta_parse_t *mp)
{
	parser_t *ps = mp->ps;
	const char *at;
	bsc_status_t st;

	meta_skip_ws (mp);
	at = ps->p;
	if (at < mp->end && (*at == '!' || *at == '(')) {
		if (++mp->nest > META_MAX_NEST)
			return perr (ps, at, "meta expression nested deeper than %d", META_MAX_NEST);
		ps->p++;
		if (*at == '!') {
			if ((st = meta_unary (mp)) != BSC_OK)
				return st;
			st = meta_emit (mp, BSC_META_NOT, NULL, 0, at);
		} else {
			if ((st = meta_or (mp)) != BSC_OK)
				return st;
			meta_skip_ws (mp);
			if (ps->p == mp->end || *ps->p != ')')
				return perr (ps, ps->p, "missing ')' for the '(' at column %d",
					     col_of (ps, at));
			ps->p++;
		}
		mp->nest--;
		return st;
	}
	while (ps->p < mp->end && is_name_char (*ps->p))
		ps->p++;
	if (ps->p == at)
		return meta_unexpected (mp);
	if (ps->p - at > NAME_MAX_LEN)
		return perr (ps, at, "rule name longer than %d characters", NAME_MAX_LEN);
	return meta_emit (mp, 0, at, (size_t) (ps->p - at), at);
}

static bsc_status_t
meta_and (meta_parse_t *mp)
{
	bsc_status_t st = meta_unary (mp);

	while (st == BSC_OK) {
		const char *at;
		meta_skip_ws (mp);
		at = mp->ps->p;
		if (!meta_accept (mp, "&&"))
			break;
		if ((st = meta_unary (mp)) == BSC_OK)
			st = meta_emit (mp, BSC_META_AND, NULL, 0, at);
	}
	return st;
}

static bsc_status_t
meta_or (meta_parse_t *mp)
{
	bsc_status_t st = meta_and (mp);

	while (st == BSC_OK) {
		const char *at;
		meta_skip_ws (mp);
		at = mp->ps->p;
		if (!meta_accept (mp, "||"))
			break;
		if ((st = meta_and (mp)) == BSC_OK)
			st = meta_emit (mp, BSC_META_OR, NULL, 0, at);
	}
	return st;
}

static bsc_status_t
parse_meta_rule (parser_t *ps, rule_body_t *b)
{
	meta_parse_t mp = { .ps = ps, .b = b };
	bsc_status_t st;

	skip_ws (ps);
	mp.end = text_end (ps);
	if (ps->p == mp.end)
		return perr (ps, ps->p, "empty meta expression");
	if ((st = meta_or (&mp)) != BSC_OK)
		return st;
	meta_skip_ws (&mp);
	if (ps->p == mp.end)
		return BSC_OK;
	if (*ps->p == ')')
		return perr (ps, ps->p, "unmatched ')' in meta expression");
	if (*ps->p == '&' || *ps->p == '|')
		return perr (ps, ps->p, "single '%c': use '%c%c'", *ps->p, *ps->p, *ps->p);
	if (is_name_char (*ps->p) || *ps->p == '!' || *ps->p == '(')
		return perr (ps, ps->p, "expected '&&' or '||' before '%c'", *ps->p);
	return meta_unexpected (&mp);
}

/* ---------------------------------------------------------- annotations */

/*
 * Points are read by hand, not with strtod(): the decimal point must not
 * depend on the locale of the program that embeds the library.
 */
static bool
parse_points (const char *s, size_t len, double *out)
{
	size_t i = 0;
	int64_t mant = 0;
	int digits = 0, frac = 0;
	bool neg = false, dot = false;

	if (i < len && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	for (; i < len; i++) {
		if (s[i] == '.' && !dot) {
			dot = true;
		} else if (s[i] >= '0' && s[i] <= '9') {
			if (++digits > 12)
				return false;
			mant = mant * 10 + (s[i] - '0');
			frac += dot;
		} else {
			return false;
		}
	}
	if (digits == 0)
		return false;
	*out = (double) mant;
	while (frac-- > 0)
		*out /= 10.0;
	if (neg)
		*out = -*out;
	return true;
}

static bsc_status_t
parse_score (parser_t *ps, bsc_rule_def_t *d, const char *name)
{
	double points[BSC_T_COUNT] = { 0 };
	bool seen[BSC_T_COUNT] = { false };
	const char *w, *eq;
	size_t len, n = 0;

	while ((len = next_word (ps, &w)) > 0) {
		size_t t;
		if (!(eq = memchr (w, '=', len)))
			return perr (ps, w, "expected target=points, got '%.*s'", (int) len, w);
		for (t = 0; t < BSC_T_COUNT; t++)
			if (strlen (target_names[t]) == (size_t) (eq - w) &&
			    memcmp (target_names[t], w, (size_t) (eq - w)) == 0)
				break;
		if (t == BSC_T_COUNT)
			return perr (ps, w, "unknown score target '%.*s' (targets: bounce out_of_office "
				     "challenge_response normal ours forged backscatter)",
				     (int) (eq - w > 40 ? 40 : eq - w), w);
		if (seen[t])
			return perr (ps, w, "score target '%s' given twice", target_names[t]);
		if (!parse_points (eq + 1, len - (size_t) (eq + 1 - w), &points[t]))
			return perr (ps, eq + 1, "bad points '%.*s' (a decimal number like 2.5 or -1)",
				     (int) (len - (size_t) (eq + 1 - w)), eq + 1);
		seen[t] = true;
		n++;
	}
	if (n == 0)
		return perr (ps, ps->p, "score line without target=points");
	memcpy (d->points, points, sizeof points);
	d->has_score = true;
	d->score_loc = (bsc_loc_t) { ps->source, ps->line, col_of (ps, name) };
	return BSC_OK;
}

static bsc_status_t
parse_describe (parser_t *ps, bsc_rule_def_t *d, const char *name)
{
	const char *end;
	char *text;

	skip_ws (ps);
	end = text_end (ps);
	if (end == ps->p)
		return perr (ps, ps->p, "describe line without text");
	if (!(text = strndup (ps->p, (size_t) (end - ps->p))))
		return nomem (ps->err, ps->source);
	free (d->describe);
	d->describe = text;
	d->describe_loc = (bsc_loc_t) { ps->source, ps->line, col_of (ps, name) };
	return BSC_OK;
}

/* ------------------------------------------------------------- one line */

typedef enum line_kind {
	L_HEADER, L_BODY, L_DSN, L_ORIGINAL, L_EVAL, L_META, L_SPLIT, L_REASON, L_DESCRIBE, L_SCORE
} line_kind_t;

static const struct {
	const char *word;
	line_kind_t kind;
} line_kinds[] = {
	{ "header", L_HEADER },
	{ "body", L_BODY },
	{ "dsn", L_DSN },
	{ "original", L_ORIGINAL },
	{ "eval", L_EVAL },
	{ "meta", L_META },
	{ "split", L_SPLIT },
	{ "reason", L_REASON },
	{ "describe", L_DESCRIBE },
	{ "score", L_SCORE },
};

/* A definition line: parsed into a fresh body, which replaces the old one only when it is good. */
static bsc_status_t
parse_definition (parser_t *ps, line_kind_t kind, const char *name, size_t nlen)
{
	rule_body_t b = { .loc = { ps->source, ps->line, col_of (ps, name) } };
	bsc_rule_def_t *d = NULL;
	bsc_status_t st;

	switch (kind) {
	case L_HEADER: b.type = BSC_R_HEADER; st = parse_field_rule (ps, &b); break;
	case L_DSN: b.type = BSC_R_DSN; st = parse_field_rule (ps, &b); break;
	case L_ORIGINAL: b.type = BSC_R_ORIGINAL; st = parse_field_rule (ps, &b); break;
	case L_BODY: b.type = BSC_R_BODY; st = parse_body_rule (ps, &b); break;
	case L_SPLIT: b.type = BSC_R_SPLIT; st = parse_body_rule (ps, &b); break;
	case L_REASON: b.type = BSC_R_REASON; st = parse_reason_rule (ps, &b); break;
	case L_EVAL: b.type = BSC_R_EVAL; st = parse_eval_rule (ps, &b); break;
	default: b.type = BSC_R_META; st = parse_meta_rule (ps, &b); break;
	}
	if (st == BSC_OK && !(d = def_lookup_or_add (ps->rs, name, nlen)))
		st = nomem (ps->err, ps->source);
	if (st != BSC_OK) {
		body_clear (&b);
		return st;
	}
	if (!d->defined) {
		bsc_ruleset_t *rs = ps->rs;
		if (rs->n_order == rs->cap_order) {
			size_t cap = rs->cap_order ? rs->cap_order * 2 : 64;
			size_t *v = realloc (rs->order, cap * sizeof *v);
			if (!v) {
				body_clear (&b);
				return nomem (ps->err, ps->source);
			}
			rs->order = v;
			rs->cap_order = cap;
		}
		rs->order[rs->n_order++] = map_find (rs, name, nlen);
		d->defined = true;
	}
	/* A redefinition keeps the original position: site rules override in place. */
	body_clear (&d->body);
	d->body = b;
	return BSC_OK;
}

static bsc_status_t
parse_line (parser_t *ps)
{
	const char *word, *name;
	size_t len, nlen, k;
	bsc_rule_def_t *d;
	bsc_status_t st;

	skip_ws (ps);
	if (ps->p == ps->end || *ps->p == '#')
		return BSC_OK;
	len = next_word (ps, &word);
	for (k = 0; k < sizeof line_kinds / sizeof line_kinds[0]; k++)
		if (strlen (line_kinds[k].word) == len && memcmp (line_kinds[k].word, word, len) == 0)
			break;
	if (k == sizeof line_kinds / sizeof line_kinds[0])
		return perr (ps, word, "unknown rule type '%.*s'", (int) (len > 40 ? 40 : len), word);
	if ((st = read_rule_name (ps, &name, &nlen)) != BSC_OK)
		return st;
	if (line_kinds[k].kind != L_SCORE && line_kinds[k].kind != L_DESCRIBE)
		return parse_definition (ps, line_kinds[k].kind, name, nlen);
	if (!(d = def_lookup_or_add (ps->rs, name, nlen)))
		return nomem (ps->err, ps->source);
	if (line_kinds[k].kind == L_SCORE)
		return parse_score (ps, d, name);
	return parse_describe (ps, d, name);
}

bsc_status_t
bsc_ruleset_load_string (bsc_ruleset_t *rs, const char *text, size_t len, const char *source,
			 bsc_error_t *err)
{
	parser_t ps = { .rs = rs, .err = err };
	const char *p, *end;
	bsc_status_t st;

	if (!source)
		source = "<string>";
	if (!rs || (!text && len > 0))
		return set_error (err, BSC_EINVAL, source, 0, 0, "invalid argument");
	if (rs->compiled)
		return set_error (err, BSC_EINVAL, source, 0, 0, "the rule set is already compiled");
	if (!(ps.source = intern_source (rs, source)))
		return nomem (err, source);
	p = text;
	end = text + len;
	/* A UTF-8 byte order mark, as some editors write, is not part of the first line. */
	if (len >= 3 && memcmp (p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	while (p < end) {
		const char *nl = memchr (p, '\n', (size_t) (end - p));
		const char *nul;
		ps.line++;
		ps.ls = ps.p = p;
		ps.end = nl ? nl : end;
		if (ps.end > p && ps.end[-1] == '\r')
			ps.end--;
		if ((nul = memchr (p, '\0', (size_t) (ps.end - p))))
			return perr (&ps, nul, "NUL byte in rule text");
		if ((st = parse_line (&ps)) != BSC_OK)
			return st;
		p = nl ? nl + 1 : end;
	}
	return BSC_OK;
}

/* -------------------------------------------------------- files, folders */

bsc_status_t
bsc_ruleset_load_file (bsc_ruleset_t *rs, const char *path, bsc_error_t *err)
{
	FILE *f;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	bsc_status_t st;

	if (!rs || !path)
		return set_error (err, BSC_EINVAL, path, 0, 0, "invalid argument");
	if (!(f = fopen (path, "rb")))
		return set_errno_error (err, path, errno);
	for (;;) {
		size_t n;
		if (len == cap) {
			char *v = realloc (buf, cap = cap ? cap * 2 : 16384);
			if (!v) {
				free (buf);
				fclose (f);
				return nomem (err, path);
			}
			buf = v;
		}
		n = fread (buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror (f)) {
		int e = errno;
		free (buf);
		fclose (f);
		return set_errno_error (err, path, e ? e : EIO);
	}
	fclose (f);
	st = bsc_ruleset_load_string (rs, buf, len, path, err);
	free (buf);
	return st;
}

static int
cmp_names (const void *a, const void *b)
{
	return strcmp (*(char *const *) a, *(char *const *) b);
}

static bool
is_rule_file_name (const char *n)
{
	size_t len = strlen (n);

	/* Like the shell's "*.cf": hidden files are not picked up. */
	return n[0] != '.' && len > 3 && strcmp (n + len - 3, ".cf") == 0;
}

static void
free_names (char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free (names[i]);
	free (names);
}

/* The full paths of the "*.cf" regular files in @dir, sorted by name. */
static bsc_status_t
list_rule_files (const char *dir, char ***out, size_t *n_out, bsc_error_t *err)
{
	DIR *d = opendir (dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;

	if (!d)
		return set_errno_error (err, dir, errno);
	for (errno = 0; (e = readdir (d)); errno = 0) {
		struct stat sb;
		char *path;
		if (!is_rule_file_name (e->d_name))
			continue;
		if (n == cap) {
			char **v = realloc (names, (cap = cap ? cap * 2 : 16) * sizeof *v);
			if (!v)
				goto oom;
			names = v;
		}
		if (!(path = malloc (strlen (dir) + strlen (e->d_name) + 2)))
			goto oom;
		snprintf (path, strlen (dir) + strlen (e->d_name) + 2, "%s/%s", dir, e->d_name);
		if (stat (path, &sb) != 0 || !S_ISREG (sb.st_mode)) {
			free (path);
			continue;
		}
		names[n++] = path;
	}
	if (errno != 0) {
		int e2 = errno;
		closedir (d);
		free_names (names, n);
		return set_errno_error (err, dir, e2);
	}
	closedir (d);
	if (n > 1) /* an empty folder has no array: qsort (NULL, ...) is undefined */
		qsort (names, n, sizeof *names, cmp_names);
	*out = names;
	*n_out = n;
	return BSC_OK;
oom:
	closedir (d);
	free_names (names, n);
	return nomem (err, dir);
}

bsc_status_t
bsc_ruleset_load_dir (bsc_ruleset_t *rs, const char *dir, bsc_error_t *err)
{
	char **files = NULL;
	size_t n = 0;
	bsc_status_t st;

	if (!rs || !dir)
		return set_error (err, BSC_EINVAL, dir, 0, 0, "invalid argument");
	if ((st = list_rule_files (dir, &files, &n, err)) != BSC_OK)
		return st;
	bool shipped = rs->n_dir_sources == rs->n_sources; /* no single file read yet */
	for (size_t i = 0; i < n && st == BSC_OK; i++)
		st = bsc_ruleset_load_file (rs, files[i], err);
	if (shipped)
		rs->n_dir_sources = rs->n_sources;
	free_names (files, n);
	return st;
}

/* ---------------------------------------------------------------- compile */

static bsc_status_t
check_annotations (const bsc_ruleset_t *rs, bsc_error_t *err)
{
	for (size_t i = 0; i < rs->n_defs; i++) {
		const bsc_rule_def_t *d = rs->defs[i];
		if (d->defined && d->has_score && d->body.type == BSC_R_REASON)
			return set_error (err, BSC_ERULES, d->score_loc.source, d->score_loc.line,
					  d->score_loc.col, "score for reason rule %s: a reason "
					  "rule names why a recipient failed and gives no points", d->name);
		if (d->defined)
			continue;
		if (d->has_score)
			return set_error (err, BSC_ERULES, d->score_loc.source, d->score_loc.line,
					  d->score_loc.col, "score for unknown rule %s", d->name);
		if (d->describe)
			return set_error (err, BSC_ERULES, d->describe_loc.source, d->describe_loc.line,
				  d->describe_loc.col, "describe for unknown rule %s", d->name);
	}
	return BSC_OK;
}

typedef struct dfs_frame {
	size_t def;
	size_t next;
} dfs_frame_t;

static bsc_status_t
cycle_error (const bsc_ruleset_t *rs, const dfs_frame_t *stack, size_t sp, size_t back,
	     const meta_tok_t *tok, bsc_error_t *err)
{
	const bsc_rule_def_t *top = rs->defs[stack[sp - 1].def];
	char path[BSC_ERROR_TEXT_LENGTH] = "";
	size_t i = 0, len = 0;

	while (stack[i].def != back)
		i++;
	for (; i < sp && len < sizeof path; i++)
		len += (size_t) snprintf (path + len, sizeof path - len, "%s -> ",
					  rs->defs[stack[i].def]->name);
	return set_error (err, BSC_ERULES, top->body.loc.source, top->body.loc.line, tok->col,
			  "meta rule cycle: %s%s", path, rs->defs[back]->name);
}

/*
 * Meta rules run after all others, each after the metas it uses: a
 * depth-first walk in definition order gives a deterministic topological
 * order.  The walk keeps its own stack, so long chains cannot exhaust the C
 * stack.  Unknown names and cycles are found on the way.
 */
static bsc_status_t
order_metas (bsc_ruleset_t *rs, size_t next_slot, bsc_error_t *err)
{
	dfs_frame_t *stack = malloc ((rs->n_order + 1) * sizeof *stack);
	bsc_status_t st = BSC_OK;
	size_t sp = 0;

	if (!stack)
		return nomem (err, NULL);
	for (size_t o = 0; o < rs->n_order && st == BSC_OK; o++) {
		bsc_rule_def_t *start = rs->defs[rs->order[o]];
		if (start->body.type != BSC_R_META || start->mark == 2)
			continue;
		start->mark = 1;
		stack[sp++] = (dfs_frame_t) { rs->order[o], 0 };
		while (sp > 0 && st == BSC_OK) {
			dfs_frame_t *f = &stack[sp - 1];
			bsc_rule_def_t *d = rs->defs[f->def];
			const meta_tok_t *tok;
			size_t k;
			if (f->next == d->body.n_toks) {
				d->mark = 2;
				d->slot = next_slot++;
				sp--;
				continue;
			}
			tok = &d->body.toks[f->next++];
			if (!tok->name)
				continue;
			k = map_find (rs, tok->name, strlen (tok->name));
			if (k == SIZE_MAX || !rs->defs[k]->defined)
				st = set_error (err, BSC_ERULES, d->body.loc.source, d->body.loc.line,
						tok->col, "meta rule %s uses unknown rule %s", d->name,
						tok->name);
			else if (rs->defs[k]->body.type == BSC_R_REASON)
				st = set_error (err, BSC_ERULES, d->body.loc.source, d->body.loc.line,
						tok->col, "meta rule %s uses reason rule %s: a reason "
						"rule reads a recipient's diagnostic, not the message",
						d->name, tok->name);
			else if (rs->defs[k]->body.type != BSC_R_META || rs->defs[k]->mark == 2)
				continue;
			else if (rs->defs[k]->mark == 1)
				st = cycle_error (rs, stack, sp, k, tok, err);
			else {
				rs->defs[k]->mark = 1;
				stack[sp++] = (dfs_frame_t) { k, 0 };
			}
		}
	}
	free (stack);
	return st;
}

static bool
resolve_meta (bsc_ruleset_t *rs, bsc_rule_def_t *d)
{
	free (d->ops);
	if (!(d->ops = malloc (d->body.n_toks * sizeof *d->ops)))
		return false;
	for (size_t i = 0; i < d->body.n_toks; i++) {
		const meta_tok_t *t = &d->body.toks[i];
		d->ops[i] = t->name ? (int32_t) rs->defs[map_find (rs, t->name, strlen (t->name))]->slot
				    : t->op;
	}
	return true;
}

static void
fill_rule (bsc_rule_t *r, const bsc_rule_def_t *d)
{
	const rule_body_t *b = &d->body;

	memset (r, 0, sizeof *r);
	r->type = (uint8_t) b->type;
	r->negate = b->negate;
	r->exists = b->exists;
	r->report = strncmp (d->name, "__", 2) != 0;
	r->fact = b->fact;
	r->reason = b->reason;
	r->n_ops = (uint16_t) b->n_toks;
	r->field = b->field;
	r->field_key = b->field ? bsc_name_key (b->field, strlen (b->field)) : 0;
	r->code = b->code;
	r->ops = d->ops;
	r->name = d->name;
	r->points = d->has_score ? d->points : zero_points;
	r->lit = b->lit;
	r->n_lits = b->n_lits;
	r->lit_caseless = b->lit_caseless;
	r->xgroups = b->xgroups;
	memcpy (r->xoff, b->xoff, sizeof r->xoff);
	if (b->code)
		pcre2_pattern_info (b->code, PCRE2_INFO_CAPTURECOUNT, &r->n_groups);
}

static bool
make_match_context (bsc_ruleset_t *rs, const bsc_rule_limits_t *limits)
{
	if (!(rs->mctx = pcre2_match_context_create (NULL)))
		return false;
	if (limits && limits->match_limit)
		pcre2_set_match_limit (rs->mctx, limits->match_limit);
	if (limits && limits->depth_limit)
		pcre2_set_depth_limit (rs->mctx, limits->depth_limit);
	return true;
}

/*
 * Which pass runs each rule (bsc_ruleset_run).  A rule's influence is the
 * set of targets its own points and those of every meta rule reading it
 * (transitively) can move.  Meta rules come after what they read, so one
 * walk from the end sees every reader before the rules it reads.
 *  - kind or origin: BSC_PASS_VERDICT, always run;
 *  - only "backscatter": BSC_PASS_BACKSCATTER, run for a bounce of unknown
 *    origin only (nothing else reads those points);
 *  - nothing, for an extraction rule: BSC_PASS_EXTRACT, run only when the
 *    recipients of a text bounce are wanted;
 *  - nothing otherwise (informational rules): BSC_PASS_VERDICT;
 *  - only positive points to one kind, and read by no meta rule:
 *    BSC_PASS_MORE_BOUNCE (_OOO, _CR), skipped once that kind has won
 *    without them (more points for the winner cannot change the answer);
 *    BSC_PASS_MORE_BOUNCE_X for the bounce rules among them that extract
 *    recipients, which the extraction pass runs (but not the others).
 */
/*
 * "a && !b && c" (or the same with ||) in RPN is operands, each perhaps
 * followed by NOT, and one operator throughout: such a meta rule becomes
 * the list of its operands (a negated one as ~index), cheapest first, so
 * that evaluation can settle it from the values already known before it
 * runs any rule (rules-eval.c eval_flat).  Anything else stays RPN.
 */
static void
flatten_meta (const bsc_ruleset_t *rs, bsc_rule_t *r, int32_t *out)
{
	int32_t op = 0;
	size_t n = 0;

	for (size_t k = 0; k < r->n_ops; k++) {
		int32_t o = r->ops[k];
		if (o >= 0 || (o == BSC_META_NOT && k > 0 && r->ops[k - 1] >= 0))
			continue;
		if ((o != BSC_META_AND && o != BSC_META_OR) || (op && op != o))
			return; /* @out keeps the RPN */
		op = o;
	}
	for (size_t k = 0; k < r->n_ops; k++) {
		if (r->ops[k] >= 0)
			out[n++] = r->ops[k];
		else if (r->ops[k] == BSC_META_NOT)
			out[n - 1] = ~out[n - 1];
	}
	if (n == 0)
		return;
	/* Insertion sort by cost: a handful of operands, stable. */
	for (size_t i = 1; i < n; i++) {
		int32_t v = out[i];
		uint8_t cv = rs->rules[v >= 0 ? v : ~v].cost;
		size_t j = i;
		for (; j > 0 && rs->rules[out[j - 1] >= 0 ? out[j - 1] : ~out[j - 1]].cost > cv; j--)
			out[j] = out[j - 1];
		out[j] = v;
	}
	r->flat = (int8_t) (op ? op : BSC_META_AND);
	r->n_ops = (uint16_t) n;
}

/* Whether @source (interned) is a site rule file's. */
static bool
site_source (const bsc_ruleset_t *rs, const char *source)
{
	for (size_t i = rs->n_dir_sources; i < rs->n_sources; i++)
		if (rs->sources[i] == source)
			return true;
	return false;
}

/*
 * rs->site_kind_rule: the first rule, in evaluation order, that a site
 * file defines and that can move the kind (@infl: its own targets and
 * those of the meta rules reading it, assign_passes()), or whose points a
 * site file sets so that they can make mail more automated (points to an
 * automated kind, negative points to normal).  A site score that only
 * takes points away (a shipped rule switched off) cannot.
 */
static void
find_site_kind_rule (bsc_ruleset_t *rs, const unsigned *infl)
{
	const unsigned kinds = 1u << BSC_T_BOUNCE | 1u << BSC_T_OUT_OF_OFFICE |
			       1u << BSC_T_CHALLENGE_RESPONSE | 1u << BSC_T_NORMAL;
	size_t best = SIZE_MAX;

	rs->site_kind_rule = NULL;
	if (rs->n_dir_sources == rs->n_sources)
		return;
	for (size_t k = 0; k < rs->n_defs; k++) {
		const bsc_rule_def_t *d = rs->defs[k];
		if (!d->defined || d->slot >= best)
			continue;
		const double *p = d->points;
		bool more_automated = d->has_score && site_source (rs, d->score_loc.source) &&
				      (p[BSC_T_BOUNCE] > 0 || p[BSC_T_OUT_OF_OFFICE] > 0 ||
				       p[BSC_T_CHALLENGE_RESPONSE] > 0 || p[BSC_T_NORMAL] < 0);
		if (more_automated || ((infl[d->slot] & kinds) && site_source (rs, d->body.loc.source)))
			best = d->slot;
	}
	if (best != SIZE_MAX)
		rs->site_kind_rule = rs->rules[best].name;
}

static bool
assign_passes (bsc_ruleset_t *rs)
{
	unsigned *infl = calloc (rs->n_rules ? rs->n_rules : 1, sizeof (unsigned));

	if (!infl)
		return false;
	for (size_t i = rs->n_rules; i-- > 0;) {
		bsc_rule_t *r = &rs->rules[i];
		for (int t = 0; t < BSC_T_COUNT; t++)
			if (r->points[t] != 0.0)
				infl[i] |= 1u << t;
		for (size_t k = 0; k < r->n_ops; k++)
			if (r->ops[k] >= 0)
				infl[r->ops[k]] |= infl[i];
	}
	find_site_kind_rule (rs, infl);
	rs->passes = 0;
	bool *read = calloc (rs->n_rules ? rs->n_rules : 1, sizeof (bool));
	if (!read) {
		free (infl);
		return false;
	}
	for (size_t i = rs->n_plain; i < rs->n_rules; i++)
		for (size_t k = 0; k < rs->rules[i].n_ops; k++)
			if (rs->rules[i].ops[k] >= 0)
				read[rs->rules[i].ops[k]] = true;
	for (size_t i = 0; i < rs->n_rules; i++) {
		bsc_rule_t *r = &rs->rules[i];
		bool points = false;
		for (int t = 0; t < BSC_T_COUNT; t++)
			points |= r->points[t] != 0.0;
		r->cost = r->type == BSC_R_EVAL ? 0 : r->type == BSC_R_BODY ? 2 : 1;
		r->lazy_depth = 0;
		if (r->type == BSC_R_META) {
			/* A meta rule costs what its dearest operand costs; a lazy
			 * one is as deep as the lazy meta rules it reads, plus one. */
			r->cost = 0;
			for (size_t k = 0; k < r->n_ops; k++) {
				const bsc_rule_t *o = r->ops[k] >= 0 ? &rs->rules[r->ops[k]] : NULL;
				if (o && o->cost > r->cost)
					r->cost = o->cost;
				if (o && o->lazy && o->lazy_depth + 1 > r->lazy_depth)
					r->lazy_depth = (uint8_t) (o->lazy_depth + 1);
			}
		}
		/* Split rules fire as bsc_ruleset_split() decided: never lazy.  A
		 * lazy meta rule is evaluated by recursion: bounded depth. */
		r->lazy = !r->report && !points && !r->xgroups && read[i] && r->type != BSC_R_SPLIT &&
			  r->lazy_depth < BSC_LAZY_DEPTH;
		int only = -1; /* the one kind it adds points to, if that is all it does */
		if (!read[i]) {
			static const int kinds[3] = { BSC_T_BOUNCE, BSC_T_OUT_OF_OFFICE,
						      BSC_T_CHALLENGE_RESPONSE };
			for (int k = 0; k < 3; k++)
				if (infl[i] == 1u << kinds[k] && r->points[kinds[k]] > 0.0)
					only = k;
		}
		if (r->type == BSC_R_REASON)
			r->pass = 0; /* no pass: bsc_ruleset_reason() reads them */
		else if (only == 0 && r->xgroups)
			r->pass = BSC_PASS_MORE_BOUNCE_X;
		else if (only >= 0)
			r->pass = (uint8_t) (BSC_PASS_MORE_BOUNCE << only);
		else if (infl[i] & ~(1u << BSC_T_BACKSCATTER))
			r->pass = BSC_PASS_VERDICT;
		else if (infl[i])
			r->pass = BSC_PASS_BACKSCATTER;
		else if (r->type == BSC_R_BODY && r->xgroups)
			r->pass = BSC_PASS_EXTRACT;
		else
			r->pass = BSC_PASS_VERDICT;
		rs->passes |= r->pass;
	}
	free (read);
	free (infl);
	if (!(rs->by_pass = malloc ((rs->n_rules ? rs->n_rules : 1) * sizeof (uint32_t))))
		return false;
	size_t n = 0;
	for (unsigned b = 0; b < BSC_PASS_BITS; b++) {
		rs->pass_start[b] = n;
		for (size_t i = 0; i < rs->n_rules; i++)
			if (!rs->rules[i].lazy && rs->rules[i].pass == 1u << b)
				rs->by_pass[n++] = (uint32_t) i;
	}
	rs->pass_start[BSC_PASS_BITS] = n;
	size_t n_ops = 0;
	for (size_t i = rs->n_plain; i < rs->n_rules; i++)
		n_ops += rs->rules[i].n_ops;
	if (!(rs->meta_ops = malloc ((n_ops ? n_ops : 1) * sizeof (int32_t))) ||
	    !(rs->cost = malloc (rs->n_rules ? rs->n_rules : 1)) ||
	    !(rs->body = malloc (rs->n_rules ? rs->n_rules : 1)))
		return false;
	n_ops = 0;
	for (size_t i = 0; i < rs->n_rules; i++) {
		bsc_rule_t *r = &rs->rules[i];
		rs->cost[i] = r->cost;
		rs->body[i] = r->type == BSC_R_BODY;
		if (i >= rs->n_plain) {
			int32_t *ops = rs->meta_ops + n_ops;
			memcpy (ops, r->ops, r->n_ops * sizeof (int32_t));
			n_ops += r->n_ops;
			flatten_meta (rs, r, ops);
			r->ops = ops;
		}
	}
	return true;
}

/* The indexes of the rules of @type in evaluation order, into *@out and *@n:
 * bsc_ruleset_split() and bsc_ruleset_reason() need not walk every rule. */
static bool
list_type (bsc_ruleset_t *rs, bsc_rule_type_t type, size_t **out, size_t *n)
{
	size_t k = 0;

	for (size_t i = 0; i < rs->n_plain; i++)
		k += rs->rules[i].type == type;
	if (k == 0)
		return true;
	if (!(*out = malloc (k * sizeof **out)))
		return false;
	for (size_t i = 0; i < rs->n_plain; i++)
		if (rs->rules[i].type == type)
			(*out)[(*n)++] = i;
	return true;
}

/*
 * Whether split rule @b reads the same inside "(?flags:...)" of a union,
 * at any start offset: no references to group numbers or names (they move
 * or clash), no \G or \K (they depend on where a search starts or move
 * the start), no verbs or recursion, no 'x' (a '#' comment would swallow
 * the rest of the union).
 */
static bool
union_safe (const rule_body_t *b)
{
	uint32_t backrefs = 1;

	if (!b->source || (b->options & PCRE2_EXTENDED))
		return false;
	if (pcre2_pattern_info (b->code, PCRE2_INFO_BACKREFMAX, &backrefs) != 0 || backrefs)
		return false;
	if (strstr (b->source, "\\G") || strstr (b->source, "\\K") || strstr (b->source, "(*"))
		return false;
	/* Recursion and subroutine calls: (?R) (?1) (?+1) (?-1) (?&name) (?P>name). */
	for (const char *q = b->source; (q = strstr (q, "(?")); q += 2) {
		char c = q[2], d = c ? q[3] : '\0';
		if ((c >= '0' && c <= '9') || c == 'R' || c == '&' || c == '+' ||
		    (c == '-' && d >= '0' && d <= '9') || (c == 'P' && d == '>'))
			return false;
	}
	return true;
}

/*
 * One regex for every split rule, "(?:((?m-is:p1))|((?im-s:p2))|...)" in
 * evaluation order.  Its leftmost match starts where the earliest of the
 * rules' matches does, and at that place the first alternative that
 * matches is the first rule that does, so bsc_ruleset_split() finds the
 * cut in one pass over the text instead of one per rule (a union for the
 * first match only, research/PERF.md F(ii)); the group around each
 * alternative names the rule.  Left NULL (every rule runs
 * on its own) when some rule cannot be put in a union or it does not
 * compile; out of memory is no error either: the union only saves time.
 */
static void
build_split_union (bsc_ruleset_t *rs, bool jit)
{
	size_t cap = 16, len = 0;
	char *u = NULL;
	int errcode;
	PCRE2_SIZE erroff;
	size_t n = 0;

	for (size_t o = 0; o < rs->n_order; o++) {
		const rule_body_t *b = &rs->defs[rs->order[o]]->body;
		if (b->type != BSC_R_SPLIT)
			continue;
		if (!union_safe (b))
			return;
		cap += strlen (b->source) + 16;
		n++;
	}
	if (n < 2 || !(u = malloc (cap)))
		return;
	len += (size_t) sprintf (u, "(?:");
	for (size_t o = 0; o < rs->n_order; o++) {
		const rule_body_t *b = &rs->defs[rs->order[o]]->body;
		if (b->type != BSC_R_SPLIT)
			continue;
		const struct { uint32_t bit; char c; } fl[] = {
			{ PCRE2_CASELESS, 'i' }, { PCRE2_MULTILINE, 'm' }, { PCRE2_DOTALL, 's' },
		};
		char on[4] = "", off[4] = "";
		for (size_t k = 0; k < 3; k++)
			strncat ((b->options & fl[k].bit) ? on : off, &fl[k].c, 1);
		len += (size_t) sprintf (u + len, "%s((?%s%s%s:%s))", len > 3 ? "|" : "", on, *off ? "-" : "",
					 off, b->source);
	}
	strcpy (u + len, ")");
	rs->split_union = pcre2_compile ((PCRE2_SPTR) u, len + 1,
					 PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C,
					 &errcode, &erroff, NULL);
	free (u);
	if (rs->split_union && jit)
		pcre2_jit_compile (rs->split_union, PCRE2_JIT_COMPLETE);
}

static bsc_status_t
build_rules (bsc_ruleset_t *rs, bsc_error_t *err)
{
	size_t n_plain = 0;
	bool jit = !BSC_ON_VALGRIND ();
	bsc_status_t st;

	for (size_t i = 0; i < rs->n_defs; i++)
		rs->defs[i]->mark = 0;
	for (size_t o = 0; o < rs->n_order; o++) {
		bsc_rule_def_t *d = rs->defs[rs->order[o]];
		if (d->body.type != BSC_R_META)
			d->slot = n_plain++;
	}
	if ((st = order_metas (rs, n_plain, err)) != BSC_OK)
		return st;
	if (!(rs->rules = calloc (rs->n_order ? rs->n_order : 1, sizeof *rs->rules)))
		return nomem (err, NULL);
	rs->n_rules = rs->n_order;
	rs->n_plain = n_plain;
	for (size_t o = 0; o < rs->n_order; o++) {
		bsc_rule_def_t *d = rs->defs[rs->order[o]];
		bsc_rule_t *r = &rs->rules[d->slot];
		if (d->body.type == BSC_R_META && !resolve_meta (rs, d))
			return nomem (err, NULL);
		/* Without JIT (unsupported CPU, no executable memory) the interpreter runs the same pattern. */
		if (d->body.code && jit)
			pcre2_jit_compile (d->body.code, PCRE2_JIT_COMPLETE);
		fill_rule (r, d);
		size_t jit_size = 0;
		r->jit = d->body.code && jit &&
			 pcre2_pattern_info (d->body.code, PCRE2_INFO_JITSIZE, &jit_size) == 0 && jit_size;
		if (r->n_groups > rs->max_groups)
			rs->max_groups = r->n_groups;
	}
	build_split_union (rs, jit);
	return list_type (rs, BSC_R_SPLIT, &rs->splits, &rs->n_splits) &&
			       list_type (rs, BSC_R_REASON, &rs->reasons, &rs->n_reasons)
		       ? BSC_OK : nomem (err, NULL);
}

bsc_status_t
bsc_ruleset_compile (bsc_ruleset_t *rs, const bsc_rule_limits_t *limits, bsc_error_t *err)
{
	bsc_status_t st;

	if (!rs)
		return set_error (err, BSC_EINVAL, NULL, 0, 0, "invalid argument");
	if (rs->compiled)
		return set_error (err, BSC_EINVAL, NULL, 0, 0, "the rule set is already compiled");
	if ((st = check_annotations (rs, err)) != BSC_OK)
		return st;
	if (!make_match_context (rs, limits))
		return nomem (err, NULL);
	if ((st = build_rules (rs, err)) != BSC_OK) {
		free (rs->rules);
		rs->rules = NULL;
		free (rs->splits);
		rs->splits = NULL;
		free (rs->reasons);
		rs->reasons = NULL;
		pcre2_code_free (rs->split_union);
		rs->split_union = NULL;
		rs->n_rules = rs->n_plain = rs->n_splits = rs->n_reasons = 0;
		rs->max_groups = 0;
		pcre2_match_context_free (rs->mctx);
		rs->mctx = NULL;
		return st;
	}
	if (!(rs->pf = bsc_prefilter_new (rs->rules, rs->n_rules,
					  1u << BSC_R_BODY | 1u << BSC_R_SPLIT)) ||
	    !(rs->reason_pf = bsc_prefilter_new (rs->rules, rs->n_rules, 1u << BSC_R_REASON)))
		return nomem (err, NULL);
	if (!assign_passes (rs))
		return nomem (err, NULL);
	rs->compiled = true;
	return BSC_OK;
}

/* ---------------------------------------------------------------- lookups */

const bsc_rule_t *
bsc_ruleset_find (const bsc_ruleset_t *rs, const char *name)
{
	size_t i;

	if (!rs || !rs->compiled || !name)
		return NULL;
	i = map_find (rs, name, strlen (name));
	if (i == SIZE_MAX || !rs->defs[i]->defined)
		return NULL;
	return &rs->rules[rs->defs[i]->slot];
}

const char *
bsc_ruleset_describe (const bsc_ruleset_t *rs, const char *name)
{
	size_t i;

	if (!rs || !name)
		return NULL;
	i = map_find (rs, name, strlen (name));
	return i == SIZE_MAX ? NULL : rs->defs[i]->describe;
}
