/*
 * rules-eval.c - runs a compiled rule set over the facts of one message.
 *
 * The rule set is shared by every thread and never written here: all
 * per-call state (the fired table, the PCRE2 match data, decoded header
 * values, extracted entries) belongs to the call, in the result's arena or
 * freed before return.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "rules.h"

typedef struct eval_ctx {
	const bsc_ruleset_t *rs;
	const bsc_facts_t *facts;
	bsc_arena_t *arena;
	bsc_xrcpts_t *x;         /* NULL: extraction rules run as plain body rules */
	pcre2_match_data *md;
	const uint8_t *cand;     /* body rules whose literal is in the text (prefilter.c) */
	bsc_rule_run_t *run;     /* fired and evaluated tables, field caches */
	bool oom;                /* a lazy evaluation ran out of memory */
} eval_ctx_t;

static bool
has_encoded_word (bsc_str_t v)
{
	const char *p = v.ptr, *end = v.ptr + v.len;

	while (p && p < end && (p = memchr (p, '=', (size_t) (end - p)))) {
		if (++p < end && *p == '?')
			return true;
	}
	return false;
}

/*
 * What the field rules read of one list of fields (headers, DSN fields or
 * the original's), made once per message and kept for every pass: each
 * field's bsc_name_key() and, by key, a chain of the fields in order, so
 * that a rule visits only the fields of its name.
 */
#define FIELD_BUCKETS 64

struct bsc_field_cache {
	int32_t first[FIELD_BUCKETS]; /* per bucket: its first field, or -1 */
	int32_t *next;                /* per field: the next one of its bucket, or -1 */
	uint32_t *keys;
	bsc_str_t *dec;               /* RFC 2047-decoded values, filled on demand */
};

static bsc_field_cache_t *
field_cache (eval_ctx_t *c, const bsc_fields_t *f, int which)
{
	bsc_field_cache_t **slot = &c->run->fields[which], *fc = *slot;

	if (fc)
		return fc;
	if (!(fc = bsc_arena_alloc (c->arena, sizeof (*fc))) ||
	    !(fc->next = bsc_arena_alloc (c->arena, f->n * sizeof (int32_t))) ||
	    !(fc->keys = bsc_arena_alloc (c->arena, f->n * sizeof (uint32_t))))
		return NULL;
	fc->dec = NULL;
	for (size_t b = 0; b < FIELD_BUCKETS; b++)
		fc->first[b] = -1;
	/* From the last field back, so that each chain runs in field order. */
	for (size_t k = f->n; k-- > 0;) {
		uint32_t key = bsc_name_key (f->v[k].name.ptr, f->v[k].name.len);
		fc->keys[k] = key;
		fc->next[k] = fc->first[key % FIELD_BUCKETS];
		fc->first[key % FIELD_BUCKETS] = (int32_t) k;
	}
	return *slot = fc;
}

/*
 * The text a rule matches for field @k: the raw value, or for header and
 * original rules (@decode) the decoded one when the raw value carries
 * encoded words (RFC 2047), decoded once per message however many rules
 * read it.  False only when out of memory.
 */
static bool
field_text (eval_ctx_t *c, const bsc_fields_t *f, bsc_field_cache_t *fc, bool decode, size_t k,
	    bsc_str_t *out)
{
	bsc_str_t raw = f->v[k].value;
	char *dec;

	*out = raw;
	if (!decode || !has_encoded_word (raw))
		return true;
	if (!fc->dec) {
		if (!(fc->dec = bsc_arena_alloc (c->arena, f->n * sizeof (*fc->dec))))
			return false;
		memset (fc->dec, 0, f->n * sizeof (*fc->dec));
	}
	if (!fc->dec[k].ptr) {
		if (!(dec = bsc_header_decode (c->arena, raw)))
			return false;
		fc->dec[k] = (bsc_str_t) { dec, strlen (dec) };
	}
	*out = fc->dec[k];
	return true;
}

/* A match error other than "no match" is a limit (hostile text): noted in @run, read as no match. */
static void
run_note_limit (bsc_rule_run_t *run, int rc)
{
	if (rc < 0 && rc != PCRE2_ERROR_NOMATCH && rc != PCRE2_ERROR_PARTIAL && run)
		run->limit |= rc == PCRE2_ERROR_MATCHLIMIT ? 1 : 2;
}

/*
 * Rule @r's regex on [@s, @s + @len) from @start.  A JIT-compiled pattern
 * goes to pcre2_jit_match(), which skips the checks pcre2_match() makes
 * before it calls the same code (match-time PCRE2_ANCHORED is the
 * interpreter's: pcre2_match() then).
 */
static int
run_regex (const bsc_ruleset_t *rs, const bsc_rule_t *r, const char *s, size_t len, size_t start,
	   uint32_t opts, pcre2_match_data *md)
{
	if (r->jit && !(opts & PCRE2_ANCHORED))
		return pcre2_jit_match (r->code, (PCRE2_SPTR) s, len, start, opts, md, rs->mctx);
	return pcre2_match (r->code, (PCRE2_SPTR) s, len, start, opts, md, rs->mctx);
}

/* Whether @r's regex matches @s; @m receives the matched text.  A match error (limit) is no match. */
static bool
regex_match (eval_ctx_t *c, const bsc_rule_t *r, bsc_str_t s, bsc_str_t *m)
{
	const char *subject = s.ptr ? s.ptr : "";
	PCRE2_SIZE *ov;
	int rc = run_regex (c->rs, r, subject, s.len, 0, 0, c->md);

	if (rc < 0) {
		run_note_limit (c->run, rc);
		return false;
	}
	ov = pcre2_get_ovector_pointer (c->md);
	/* \K in a lookaround can put the start after the end. */
	m->ptr = subject + ov[0];
	m->len = ov[1] > ov[0] ? ov[1] - ov[0] : 0;
	return true;
}

/* ------------------------------------------------------------ extraction */

/*
 * Where to look again after an empty match at @at, when the retry that
 * forbids another empty match there failed: one character on, so that a
 * UTF-8 sequence is never entered in the middle, and past a whole CRLF when
 * the pattern's newline convention makes CRLF one line end (as Perl and
 * pcre2demo do).
 */
static size_t
next_start (const bsc_rule_t *r, const char *s, size_t len, size_t at)
{
	uint32_t nl = 0;

	if (at + 1 < len && s[at] == '\r' && s[at + 1] == '\n') {
		pcre2_pattern_info (r->code, PCRE2_INFO_NEWLINE, &nl);
		if (nl == PCRE2_NEWLINE_CRLF || nl == PCRE2_NEWLINE_ANY || nl == PCRE2_NEWLINE_ANYCRLF)
			return at + 2;
	}
	at++;
	while (at < len && ((unsigned char) s[at] & 0xC0) == 0x80)
		at++;
	return at;
}

/* Fills one entry from the ovector of the current match. */
static void
fill_entry (const bsc_rule_t *r, size_t order, const char *subject, const PCRE2_SIZE *ov, int rc,
	    bsc_xrcpt_t *e)
{
	e->rule = r->name;
	e->order = order;
	for (int k = 0; k < BSC_X_COUNT; k++) {
		e->f[k] = (bsc_str_t) { NULL, 0 };
		for (uint16_t j = r->xoff[k]; j < r->xoff[k + 1]; j++) {
			uint16_t g = r->xgroups[j];
			if (g >= rc || ov[2 * g] == PCRE2_UNSET || ov[2 * g + 1] < ov[2 * g])
				continue;
			e->f[k] = (bsc_str_t) { subject + ov[2 * g], ov[2 * g + 1] - ov[2 * g] };
			break;
		}
	}
}

/* Appends the current match to @x, or notes that there was no room; false only when out of memory. */
static bool
add_entry (eval_ctx_t *c, const bsc_rule_t *r, const char *subject, int rc)
{
	bsc_xrcpts_t *x = c->x;
	bsc_xrcpt_t *v;

	if (x->max && x->n >= x->max) {
		x->truncated = true;
		return true;
	}
	if (!(v = bsc_arena_grow (c->arena, x->v, sizeof *v, &x->cap, x->n + 1)))
		return false;
	x->v = v;
	fill_entry (r, (size_t) (r - c->rs->rules), subject, pcre2_get_ovector_pointer (c->md), rc,
		    &v[x->n++]);
	return true;
}

/*
 * An extraction rule: every non-overlapping match in text order, like
 * Perl's m//g.  After an empty match the same place is tried once more
 * with PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED (a non-empty match may
 * still start there); only when that fails does the search move on, by a
 * whole character.  Each round either moves the start on or switches that
 * retry on at an unchanged start, so the loop ends.  The rule fires with
 * its first match as a plain body rule would.  False only when out of
 * memory.
 */
static bool
extract (eval_ctx_t *c, const bsc_rule_t *r, bsc_str_t text, bool *fired, bsc_str_t *m)
{
	const char *subject = text.ptr ? text.ptr : "";
	size_t start = 0;
	uint32_t opts = 0;

	while (start <= text.len) {
		const PCRE2_SIZE *ov;
		int rc = run_regex (c->rs, r, subject, text.len, start, opts, c->md);
		if (rc == PCRE2_ERROR_NOMATCH && opts) {
			start = next_start (r, subject, text.len, start);
			opts = 0;
			continue;
		}
		if (rc < 0) {
			run_note_limit (c->run, rc);
			break; /* no (more) matches, or a limit: what was found stands */
		}
		ov = pcre2_get_ovector_pointer (c->md);
		/* \K in a lookaround (refused by default) can put the start after the end. */
		if (ov[0] > ov[1])
			break;
		/* The retry must move on; \K could report an empty match where it began. */
		if (opts && ov[1] <= start) {
			start = next_start (r, subject, text.len, start);
			opts = 0;
			continue;
		}
		if (!*fired) {
			*fired = true;
			*m = (bsc_str_t) { subject + ov[0], ov[1] - ov[0] };
		}
		if (!add_entry (c, r, subject, rc == 0 ? (int) r->n_groups + 1 : rc))
			return false;
		if (c->x->truncated)
			break;
		opts = ov[1] == ov[0] ? PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED : 0;
		start = ov[1];
	}
	return true;
}

/* ------------------------------------------------------------ field rules */

/*
 * header, dsn and original rules: "=~" fires when any field of the name
 * matches, "!~" when none does (also when there is none), "exists:" when
 * there is one.  @which: 0 headers, 1 dsn, 2 original.  False only when
 * out of memory.
 */
static bool
eval_fields (eval_ctx_t *c, const bsc_rule_t *r, const bsc_fields_t *f, int which, bool decode,
	     bool *fired, bsc_str_t *m)
{
	bsc_field_cache_t *fc;

	*fired = r->negate && !r->exists;
	if (!f || !f->n)
		return true;
	if (!(fc = field_cache (c, f, which)))
		return false;
	for (int32_t k = fc->first[r->field_key % FIELD_BUCKETS]; k >= 0; k = fc->next[k]) {
		bsc_str_t text;
		if (fc->keys[k] != r->field_key || !bsc_str_ieq (f->v[k].name, r->field))
			continue;
		if (r->exists) {
			*fired = true;
			return true;
		}
		if (!field_text (c, f, fc, decode, (size_t) k, &text))
			return false;
		if (regex_match (c, r, text, m)) {
			*fired = !r->negate;
			if (r->negate)
				m->ptr = NULL;
			return true;
		}
	}
	return true;
}

/*
 * The split rule bsc_ruleset_split() chose for this message fires without
 * running again, with the text it matched; the other split rules do not.
 */
static void
eval_split (const bsc_facts_t *fx, size_t i, bool *fired, bsc_str_t *m)
{
	if (fx->split_rule != i)
		return;
	*fired = true;
	*m = fx->split_match;
	if (!m->ptr)
		*m = (bsc_str_t) { "", 0 };
}

/* Rule @i, which is not a meta rule.  False only when out of memory. */
static bool
eval_plain (eval_ctx_t *c, size_t i, bool *fired, bsc_str_t *m)
{
	const bsc_facts_t *fx = c->facts;
	const bsc_rule_t *r = &c->rs->rules[i];

	*fired = false;
	switch (r->type) {
	case BSC_R_HEADER:
		return eval_fields (c, r, fx->headers, 0, true, fired, m);
	case BSC_R_ORIGINAL:
		return eval_fields (c, r, fx->original, 2, true, fired, m);
	case BSC_R_DSN:
		return eval_fields (c, r, fx->dsn, 1, false, fired, m);
	case BSC_R_BODY:
		if (!c->cand[i])
			return true; /* its literal is not in the text: it cannot match */
		if (c->x && r->xgroups)
			return extract (c, r, fx->text, fired, m);
		*fired = regex_match (c, r, fx->text, m);
		return true;
	case BSC_R_SPLIT:
		eval_split (fx, i, fired, m);
		return true;
	case BSC_R_EVAL:
		*fired = (fx->facts >> r->fact) & 1;
		return true;
	default:
		return true;
	}
}

/*
 * A lazy sub-rule is evaluated only when a meta rule needs its value
 * (rules-parse.c marks them): "__BODY_WORDS && __FROM_DAEMON" runs no
 * regex over the text when the message is not from a daemon.
 */
static bool eval_meta (eval_ctx_t *c, const bsc_rule_t *r);

static bool
force (eval_ctx_t *c, int32_t ref)
{
	bsc_str_t m = { NULL, 0 };
	bool f = false;

	if (c->run->done[ref])
		return c->run->fired[ref];
	if (c->rs->body[ref] && !c->cand[ref]) {
		c->run->done[ref] = 1; /* its literal is not in the text: it cannot match */
		return false;
	}
	if ((size_t) ref >= c->rs->n_plain)
		f = eval_meta (c, &c->rs->rules[ref]);
	else if (!eval_plain (c, (size_t) ref, &f, &m))
		c->oom = true;
	c->run->fired[ref] = f;
	c->run->done[ref] = 1;
	return f;
}

/* An operand of a meta expression: the value of rule @ref (>= 0), or @val;
 * negated when @neg. */
static bool
operand_value (eval_ctx_t *c, int32_t ref, bool val, bool neg)
{
	return (ref < 0 ? val : force (c, ref)) != neg;
}

/*
 * A flat meta rule (rules-parse.c flatten_meta): an AND is false as soon
 * as one operand is, an OR true as soon as one is.  The values already
 * known are looked at first (a body rule whose literal is not in the text
 * is known false), then the others are run, cheapest first, until one
 * decides.
 */
static bool
eval_flat (eval_ctx_t *c, const bsc_rule_t *r)
{
	const bool is_and = r->flat == BSC_META_AND;
	const uint8_t *done = c->run->done, *fired = c->run->fired;

	for (size_t k = 0; k < r->n_ops; k++) {
		int32_t o = r->ops[k], ref = o >= 0 ? o : ~o;
		bool v;
		if (done[ref])
			v = fired[ref];
		else if (c->rs->body[ref] && !c->cand[ref])
			v = false;
		else
			continue;
		if ((v != (o < 0)) != is_and)
			return !is_and;
	}
	for (size_t k = 0; k < r->n_ops; k++) {
		int32_t o = r->ops[k], ref = o >= 0 ? o : ~o;
		if (done[ref] || (c->rs->body[ref] && !c->cand[ref]))
			continue;
		if ((force (c, ref) != (o < 0)) != is_and)
			return !is_and;
	}
	return is_and;
}

/*
 * Meta rules read the fired table of the rules before them in evaluation
 * order.  && and || look at the cheaper operand first and skip the other
 * when the first decides; the answer is the same either way.  (The stack
 * is three arrays, not an array of structs: a struct written in parts and
 * read whole stalls the CPU's store forwarding, which cost a third of the
 * time here.)
 */
static bool
eval_meta (eval_ctx_t *c, const bsc_rule_t *r)
{
	if (r->flat)
		return eval_flat (c, r);
	int32_t ref[BSC_META_STACK]; /* a rule still to run, or -1: the value is known */
	bool val[BSC_META_STACK], neg[BSC_META_STACK];
	int sp = 0;

	for (size_t i = 0; i < r->n_ops; i++) {
		int32_t op = r->ops[i];
		if (op >= 0) {
			if (sp == BSC_META_STACK)
				return false;
			bool done = c->run->done[op];
			ref[sp] = done ? -1 : op;
			val[sp] = done && c->run->fired[op];
			neg[sp++] = false;
		} else if (op == BSC_META_NOT && sp >= 1) {
			neg[sp - 1] = !neg[sp - 1];
		} else if (sp >= 2) {
			int b = --sp, a = sp - 1;
			int first = ref[b] < 0 || (ref[a] >= 0 && c->rs->cost[ref[b]] < c->rs->cost[ref[a]])
					    ? b : a;
			int second = first == a ? b : a;
			bool v = operand_value (c, ref[first], val[first], neg[first]);
			if (op == BSC_META_AND ? v : !v)
				v = operand_value (c, ref[second], val[second], neg[second]);
			ref[a] = -1;
			val[a] = v;
			neg[a] = false;
		} else {
			return false;
		}
	}
	return sp == 1 && operand_value (c, ref[0], val[0], neg[0]);
}

/* At most BSC_MATCH_KEEP bytes, not cutting a UTF-8 sequence in two. */
static size_t
keep_len (const char *s, size_t len)
{
	if (len <= BSC_MATCH_KEEP)
		return len;
	len = BSC_MATCH_KEEP;
	for (int back = 0; back < 3 && len > 0 && ((unsigned char) s[len] & 0xC0) == 0x80; back++)
		len--;
	return len;
}

static bool
add_hit (eval_ctx_t *c, bsc_hits_t *hits, const bsc_rule_t *r, bsc_str_t m)
{
	bsc_hit_t *v = bsc_arena_grow (c->arena, hits->v, sizeof *v, &hits->cap, hits->n + 1);
	bsc_hit_t *h;

	if (!v)
		return false;
	hits->v = v;
	h = &v[hits->n];
	h->name = r->name;
	h->order = (size_t) (r - c->rs->rules);
	memcpy (h->points, r->points, sizeof h->points);
	h->match = NULL;
	if (m.ptr && !(h->match = bsc_arena_strndup (c->arena, m.ptr, keep_len (m.ptr, m.len))))
		return false;
	hits->n++;
	return true;
}

/*
 * Merges the sorted runs v[0..mid) and v[mid..n) by their "order" member,
 * keeping each run's own order: what a later pass adds then sits where
 * evaluation order puts it, as if every rule had run in one pass.
 */
#define MERGE_BY_ORDER(type, arena, v, mid, n)                                        \
	do {                                                                           \
		type *tmp_ = (n) > (mid) && (mid) ? bsc_arena_alloc ((arena), (n) * sizeof (type)) : NULL; \
		if (!tmp_)                                                             \
			break;                                                         \
		size_t a_ = 0, b_ = (mid), o_ = 0;                                     \
		while (a_ < (mid) || b_ < (n))                                         \
			tmp_[o_++] = b_ >= (n) || (a_ < (mid) && (v)[a_].order <= (v)[b_].order) \
					     ? (v)[a_++] : (v)[b_++];                         \
		memcpy ((v), tmp_, (n) * sizeof (type));                               \
	} while (0)

static bool
run_rules (eval_ctx_t *c, unsigned passes, bsc_hits_t *hits)
{
	const bsc_ruleset_t *rs = c->rs;
	size_t at[BSC_PASS_BITS], end[BSC_PASS_BITS];
	unsigned n = 0;

	/* The lists of the passes asked for, merged into evaluation order. */
	for (unsigned b = 0; b < BSC_PASS_BITS; b++)
		if (passes & (1u << b) && rs->pass_start[b] < rs->pass_start[b + 1]) {
			at[n] = rs->pass_start[b];
			end[n++] = rs->pass_start[b + 1];
		}
	for (;;) {
		unsigned best = n;
		for (unsigned k = 0; k < n; k++)
			if (at[k] < end[k] && (best == n || rs->by_pass[at[k]] < rs->by_pass[at[best]]))
				best = k;
		if (best == n)
			break;
		size_t i = rs->by_pass[at[best]++];
		if (c->run->done[i])
			continue;
		/* A body rule whose literal is not in the text (most of them)
		 * is settled without reading its bsc_rule_t. */
		if (rs->body[i] && !c->cand[i]) {
			c->run->done[i] = 1;
			continue;
		}
		const bsc_rule_t *r = &rs->rules[i];
		bsc_str_t m = { NULL, 0 };
		bool f;
		if (i < rs->n_plain) {
			if (!eval_plain (c, i, &f, &m))
				return false;
		} else {
			f = eval_meta (c, r);
			if (c->oom)
				return false;
		}
		c->run->fired[i] = f;
		c->run->done[i] = 1;
		if (f && r->report && !add_hit (c, hits, r, m))
			return false;
	}
	return true;
}

/*
 * The fired table and the prefilter's answer outlive one pass: a later
 * pass's meta rules read what the earlier passes found.  The answer for a
 * text also holds for any beginning of it (the split's report region).
 */
static bool
run_prepare (const bsc_ruleset_t *rs, bsc_str_t text, bsc_arena_t *arena, bsc_rule_run_t *run)
{
	if (run->fired)
		return true;
	if (!(run->fired = bsc_arena_alloc (arena, 3 * rs->n_rules)))
		return false;
	memset (run->fired, 0, 3 * rs->n_rules);
	run->done = run->fired + rs->n_rules;
	run->cand = run->done + rs->n_rules;
	return bsc_prefilter_scan (rs->pf, text, arena, run->cand);
}

bool
bsc_ruleset_run (const bsc_ruleset_t *rs, const bsc_facts_t *facts, bsc_arena_t *arena,
		 bsc_rule_run_t *run, unsigned passes, bsc_hits_t *hits, bsc_xrcpts_t *x)
{
	eval_ctx_t c = { .rs = rs, .facts = facts, .arena = arena, .x = x };
	bool ok;

	if (!rs || !rs->compiled || rs->n_rules == 0 || !facts || !arena || !hits || !run)
		return true;
	if (!(passes & rs->passes))
		return true; /* no rule in these passes: not even the prefilter */
	if (!run_prepare (rs, facts->text, arena, run))
		return false;
	c.cand = run->cand;
	c.run = run;
	/* One match data per call, sized for the rule with most groups, so extraction can read them. */
	if (!(c.md = pcre2_match_data_create (rs->max_groups + 1, NULL)))
		return false;
	size_t hits_before = hits->n, x_before = x ? x->n : 0;
	ok = run_rules (&c, passes, hits);
	pcre2_match_data_free (c.md);
	if (ok) {
		MERGE_BY_ORDER (bsc_hit_t, arena, hits->v, hits_before, hits->n);
		if (x)
			MERGE_BY_ORDER (bsc_xrcpt_t, arena, x->v, x_before, x->n);
	}
	return ok;
}

/*
 * The union of the split rules (rules-parse.c) finds where the earliest
 * match starts, and which alternative matched there: the first rule that
 * matches at that place, each alternative being the group that follows
 * the previous rule's groups.  An alternative's match is the one its rule
 * would find: same pattern, same start, same backtracking order.  False
 * when it cannot tell (no union, a PCRE2 limit, noted in @run): then every
 * rule runs on its own.  Else *@best is the rule, or SIZE_MAX when none
 * matches.
 */
static bool
split_by_union (const bsc_ruleset_t *rs, const char *subject, size_t len, pcre2_match_data *md,
		bsc_rule_run_t *run, size_t *best, size_t *at, size_t *end)
{
	const PCRE2_SIZE *ov = pcre2_get_ovector_pointer (md);
	int rc;

	if (!rs->split_union)
		return false;
	rc = pcre2_match (rs->split_union, (PCRE2_SPTR) subject, len, 0, 0, md, rs->mctx);
	if (rc == PCRE2_ERROR_NOMATCH)
		return true; /* *@best stays SIZE_MAX */
	run_note_limit (run, rc);
	for (size_t k = 0, g = 1; rc > 0 && k < rs->n_splits && g < (size_t) rc; k++) {
		if (ov[2 * g] != PCRE2_UNSET) {
			*best = rs->splits[k];
			*at = ov[0];
			*end = ov[1];
			return true;
		}
		g += 1 + rs->rules[rs->splits[k]].n_groups;
	}
	return false;
}

/*
 * Each split rule's first match is its leftmost one, so the earliest start
 * over all rules is the leftmost of those; a later rule replaces the best so
 * far only when it starts strictly earlier, which gives ties to the earlier
 * rule.  Nothing can start before offset 0, so a match there ends the search.
 * The match data holds the whole match only (split rules have no named
 * groups to read; PCRE2 then returns 0 for "ovector too small", a match).
 * Out of memory reads as no split: the report is then matched whole.
 */
size_t
bsc_ruleset_split (const bsc_ruleset_t *rs, bsc_str_t text, bsc_arena_t *arena, bsc_rule_run_t *run,
		   size_t *at, size_t *end)
{
	const char *subject = text.ptr ? text.ptr : "";
	size_t best = SIZE_MAX, best_at = text.len, best_end = text.len;
	pcre2_match_data *md;
	const uint8_t *cand = NULL;

	if (rs && rs->compiled && run && arena && run_prepare (rs, text, arena, run))
		cand = run->cand;
	if (rs && rs->compiled && rs->n_splits &&
	    (md = rs->split_union ? pcre2_match_data_create_from_pattern (rs->split_union, NULL)
				  : pcre2_match_data_create (1, NULL))) {
		if (!split_by_union (rs, subject, text.len, md, run, &best, &best_at, &best_end))
			for (size_t k = 0; k < rs->n_splits && best_at > 0; k++) {
				const bsc_rule_t *r = &rs->rules[rs->splits[k]];
				const PCRE2_SIZE *ov;
				if (cand && !cand[rs->splits[k]])
					continue; /* its literal is not in the text */
				int rc = run_regex (rs, r, subject, text.len, 0, 0, md);
				if (rc < 0) {
					run_note_limit (run, rc);
					continue;
				}
				ov = pcre2_get_ovector_pointer (md);
				if (best != SIZE_MAX && ov[0] >= best_at)
					continue;
				best = rs->splits[k];
				best_at = ov[0];
				best_end = ov[1] > ov[0] ? ov[1] : ov[0]; /* \K can put the start after the end */
			}
		pcre2_match_data_free (md);
	}
	if (at)
		*at = best_at;
	if (end)
		*end = best_end;
	return best;
}

bsc_reason_t
bsc_ruleset_reason (const bsc_ruleset_t *rs, const char *text, size_t len, bsc_arena_t *arena)
{
	bsc_reason_t why = BSC_REASON_OTHER;
	pcre2_match_data *md;
	uint8_t *cand = NULL;

	if (!rs || !rs->compiled || !rs->n_reasons || !text)
		return BSC_REASON_OTHER;
	/* The literal prefilter first, as for body rules: a dozen regexes of
	 * caseless alternatives would each try nearly every offset.  Its
	 * answer is per call scratch, not kept in the result's arena (one
	 * byte per rule, for each of up to thousands of recipients). */
	if (arena && (cand = calloc (rs->n_rules, 1)) &&
	    !bsc_prefilter_scan (rs->reason_pf, (bsc_str_t) { text, len }, arena, cand)) {
		free (cand);
		cand = NULL;
	}
	if (!(md = pcre2_match_data_create (1, NULL))) {
		free (cand);
		return BSC_REASON_OTHER;
	}
	for (size_t k = 0; k < rs->n_reasons && why == BSC_REASON_OTHER; k++) {
		const bsc_rule_t *r = &rs->rules[rs->reasons[k]];
		if (cand && !cand[rs->reasons[k]])
			continue; /* none of its literals is in the text */
		/* A limit (hostile diagnostic) reads as no match, as for every rule. */
		if (run_regex (rs, r, text, len, 0, 0, md) >= 0)
			why = (bsc_reason_t) r->reason;
	}
	pcre2_match_data_free (md);
	free (cand);
	return why;
}
