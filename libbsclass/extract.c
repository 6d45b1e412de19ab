/*
 * extract.c - what text bounces give up through the rules: the recipients
 * that extraction rules matched, and the original quoted after a split
 * marker ("--- Below this line is a copy of the message.").
 */
#include "config.h"

#include <string.h>

#include "bsc-private.h"

/* Length of the quoting prefix (blanks and '>') of the line at @p. */
static size_t
quote_prefix (const char *p, const char *end)
{
	const char *q = p;

	while (q < end && (*q == ' ' || *q == '\t' || *q == '>'))
		q++;
	return (size_t) (q - p);
}

void
bsc_original_from_quoted (bsc_work_t *w, const char *p, size_t len)
{
	const char *end = p + len;
	char *copy, *o;
	size_t plen;

	/* The marker's own line may end after the match; then blank lines. */
	while (p < end && *p != '\n')
		p++;
	while (p < end && (*p == '\n' || *p == '\r' || *p == ' ' || *p == '\t')) {
		const char *eol = memchr (p, '\n', (size_t) (end - p));
		const char *q = p;
		while (q < end && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		if (q < end && *q != '\n')
			break; /* an indented first header line: keep its indentation */
		p = eol ? eol + 1 : end;
	}
	if (p >= end)
		return;
	/* Quoted with "> " or indented as a block: remove the first line's
	 * prefix from every line that has it. */
	plen = quote_prefix (p, end);
	if (!(copy = bsc_arena_alloc (&w->r->arena, (size_t) (end - p) + 1)))
		return;
	o = copy;
	while (p < end) {
		const char *eol = memchr (p, '\n', (size_t) (end - p));
		const char *next = eol ? eol + 1 : end;
		size_t have = quote_prefix (p, next);
		/* A folded header line keeps one blank of its indentation. */
		size_t skip = have >= plen ? plen : 0;
		memcpy (o, p + skip, (size_t) (next - p) - skip);
		o += (size_t) (next - p) - skip;
		p = next;
	}
	*o = '\0';
	bsc_original_from_bytes (w->r, copy, (size_t) (o - copy), w->engine->limits, &w->orig);
}

/* A captured view made tidy: trimmed, runs of white space squeezed. */
static const char *
tidy (bsc_arena_t *a, bsc_str_t s)
{
	char *out, *o;
	bool space = false;

	s = bsc_str_trim (s);
	if (!s.len || !(out = bsc_arena_alloc (a, s.len + 1)))
		return NULL;
	o = out;
	for (size_t i = 0; i < s.len; i++) {
		char c = s.ptr[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			space = true;
			continue;
		}
		if (space && o > out)
			*o++ = ' ';
		space = false;
		*o++ = c;
	}
	*o = '\0';
	return out;
}

/* An address as a text report writes it: "<a@b>", "a@b:", "'a@b'". */
static bsc_str_t
clean_address (bsc_str_t s)
{
	s = bsc_addr_clean (s);
	while (s.len && strchr (".,:;'\"()[]", s.ptr[s.len - 1]))
		s.len--;
	while (s.len && strchr ("'\"([", s.ptr[0])) {
		s.ptr++;
		s.len--;
	}
	return s;
}

static const char *
action_word (bsc_str_t s)
{
	if (bsc_str_icase_find (s, "delay") || bsc_str_icase_find (s, "defer") ||
	    bsc_str_icase_find (s, "retry") || bsc_str_icase_find (s, "warn") ||
	    bsc_str_icase_find (s, "transient"))
		return "delayed";
	return "failed";
}

/* Fills the fields of @rc that are still empty from entry @e. */
static void
fill (bsc_result_t *r, bsc_rcpt_t *rc, const bsc_xrcpt_t *e)
{
	bsc_arena_t *a = &r->arena;

	if (!rc->f[BSC_RCPT_DIAGNOSTIC] && e->f[BSC_X_DIAG].len)
		rc->f[BSC_RCPT_DIAGNOSTIC] = tidy (a, e->f[BSC_X_DIAG]);
	if (!rc->f[BSC_RCPT_STATUS]) {
		bsc_str_t st = bsc_status_find (e->f[BSC_X_STATUS]);
		if (!st.len)
			st = bsc_status_find (e->f[BSC_X_DIAG]);
		if (st.len)
			rc->f[BSC_RCPT_STATUS] = bsc_arena_strndup (a, st.ptr, st.len);
	}
	if (!rc->f[BSC_RCPT_REPLY_CODE]) {
		bsc_str_t code = bsc_reply_code_find (e->f[BSC_X_CODE]);
		if (!code.len)
			code = bsc_reply_code_find (e->f[BSC_X_DIAG]);
		if (code.len)
			rc->f[BSC_RCPT_REPLY_CODE] = bsc_arena_strndup (a, code.ptr, code.len);
	}
	if (!rc->f[BSC_RCPT_REMOTE_MTA] && e->f[BSC_X_MTA].len)
		rc->f[BSC_RCPT_REMOTE_MTA] = tidy (a, e->f[BSC_X_MTA]);
	if (e->f[BSC_X_ACTION].len)
		rc->f[BSC_RCPT_ACTION] = action_word (e->f[BSC_X_ACTION]);
	else if (rc->f[BSC_RCPT_STATUS] && rc->f[BSC_RCPT_STATUS][0] == '4')
		rc->f[BSC_RCPT_ACTION] = "delayed"; /* RFC 3463: 4.x.x is persistent transient */
}

void
bsc_extract_apply (bsc_work_t *w, const bsc_xrcpts_t *x)
{
	bsc_result_t *r = w->r;
	bsc_rcpt_t *last = NULL;
	const char *last_rule = NULL;

	for (size_t i = 0; i < x->n; i++) {
		const bsc_xrcpt_t *e = &x->v[i];
		bsc_rcpt_t *rc = NULL;

		if (!e->f[BSC_X_RCPT].len) {
			/* A line of detail for the recipient this rule found last. */
			if (last && last_rule == e->rule)
				fill (r, last, e);
			continue;
		}
		bsc_str_t addr = clean_address (e->f[BSC_X_RCPT]);
		if (!addr.len || memchr (addr.ptr, ' ', addr.len))
			continue;
		for (size_t k = 0; k < r->n_rcpts && !rc; k++) {
			const char *have = r->rcpts[k].f[BSC_RCPT_ADDRESS];
			if (have && bsc_str_ieq (addr, have))
				rc = &r->rcpts[k];
		}
		if (!rc) {
			if (r->n_rcpts >= w->engine->limits[BSC_LIMIT_RECIPIENTS]) {
				bsc_result_add_note (r, "limit: recipients");
				break;
			}
			if (!(rc = bsc_result_add_rcpt (r)))
				return;
			rc->f[BSC_RCPT_ADDRESS] = bsc_utf8_copy (&r->arena, addr.ptr, addr.len);
			rc->f[BSC_RCPT_ACTION] = "failed";
		}
		bool new_rule = last_rule != e->rule;
		fill (r, rc, e);
		/* A heading says "delayed" once for the whole list under it: the
		 * later entries of the same rule keep the action of the first. */
		if (!new_rule && !e->f[BSC_X_ACTION].len && last && last->f[BSC_RCPT_ACTION] &&
		    !strcmp (last->f[BSC_RCPT_ACTION], "delayed"))
			rc->f[BSC_RCPT_ACTION] = "delayed";
		last = rc;
		last_rule = e->rule;
	}
	if (x->truncated)
		bsc_result_add_note (r, "limit: recipients");
}
