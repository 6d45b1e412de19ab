/*
 * classify.c - from bytes (or a GMimeMessage) to a result.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "bsclass-gmime.h"
#include "bsc-private.h"

static bool
action_is (const char *a, const char *w)
{
	return a && !strcmp (a, w);
}

/* RFC 5321 section 4.5.5: reports go out with a null reverse-path, which the
 * final MTA records as "Return-Path: <>". */
static bool
null_sender (const bsc_fields_t *h)
{
	const bsc_field_t *f = bsc_fields_find (h, "Return-Path");
	bsc_str_t v;

	if (!f)
		return false;
	v = bsc_str_trim (f->value);
	return v.len == 0 || (v.len == 2 && v.ptr[0] == '<' && v.ptr[1] == '>') ||
	       bsc_str_ieq (v, "<MAILER-DAEMON>");
}

/* From: a mail system's own mailbox rather than a person's. */
static bool
daemon_from (const bsc_fields_t *h)
{
	static const char *const boxes[] = { "mailer-daemon", "mailer_daemon", "mailerdaemon",
					     "postmaster", "mail-daemon", "maildaemon",
					     "mdaemon", "mail delivery subsystem" };
	const bsc_field_t *f = bsc_fields_find (h, "From");

	if (!f)
		return false;
	for (size_t i = 0; i < sizeof (boxes) / sizeof (boxes[0]); i++)
		if (bsc_str_icase_find (f->value, boxes[i]))
			return true;
	return false;
}

static bool
list_mail (const bsc_fields_t *h)
{
	const bsc_field_t *f;

	if (bsc_fields_find (h, "List-Id") || bsc_fields_find (h, "List-Unsubscribe"))
		return true;
	f = bsc_fields_find (h, "Precedence");
	return f && (bsc_str_icase_find (f->value, "list") || bsc_str_icase_find (f->value, "bulk") ||
		     bsc_str_icase_find (f->value, "junk"));
}

/* Exim names failed recipients in X-Failed-Recipients; a report without a
 * delivery-status part still tells who failed that way. */
static void
x_failed_recipients (bsc_work_t *w)
{
	bsc_result_t *r = w->r;

	for (size_t i = 0; i < w->headers.n; i++) {
		if (!bsc_str_ieq (w->headers.v[i].name, "X-Failed-Recipients"))
			continue;
		bsc_str_t v = w->headers.v[i].value;
		while (v.len && r->n_rcpts < w->engine->limits[BSC_LIMIT_RECIPIENTS]) {
			const char *comma = memchr (v.ptr, ',', v.len);
			size_t n = comma ? (size_t) (comma - v.ptr) : v.len;
			bsc_str_t a = bsc_addr_clean ((bsc_str_t) { v.ptr, n });
			bsc_rcpt_t *rc;
			if (a.len && memchr (a.ptr, '@', a.len) && (rc = bsc_result_add_rcpt (r))) {
				rc->f[BSC_RCPT_ADDRESS] = bsc_utf8_copy (&r->arena, a.ptr, a.len);
				rc->f[BSC_RCPT_ACTION] = "failed";
			}
			v.ptr += comma ? n + 1 : n;
			v.len -= comma ? n + 1 : n;
		}
	}
}

/* The last two labels of a domain ("mail.example.com" -> "example.com"). */
static bsc_str_t
base_domain (bsc_str_t d)
{
	size_t dots = 0, i = d.len;

	while (i > 0) {
		if (d.ptr[i - 1] == '.' && ++dots == 2)
			break;
		i--;
	}
	return (bsc_str_t) { d.ptr + i, d.len - i };
}

/* The base domain after the last '@' of a header value, without '>' or a trailing dot. */
static bsc_str_t
domain_of (const bsc_field_t *f)
{
	const char *at, *end;

	if (!f || !(at = memrchr (f->value.ptr, '@', f->value.len)))
		return (bsc_str_t) { NULL, 0 };
	end = at + 1;
	while (end < f->value.ptr + f->value.len && !strchr (" \t>\"',;)", *end))
		end++;
	while (end > at + 1 && end[-1] == '.')
		end--;
	return base_domain ((bsc_str_t) { at + 1, (size_t) (end - at - 1) });
}

/* Spam tools invent Message-IDs: the domain rarely matches the From domain. */
static bool
original_msgid_mismatch (const bsc_fields_t *orig)
{
	bsc_str_t from = domain_of (bsc_fields_find (orig, "From"));
	bsc_str_t mid = domain_of (bsc_fields_find (orig, "Message-ID"));

	if (!from.len || !mid.len)
		return false;
	return !(from.len == mid.len && !g_ascii_strncasecmp (from.ptr, mid.ptr, from.len));
}

/*
 * Whether the original claims a sender domain that none of the hosts in
 * its Received chain belongs to: mail really sent from a domain passes
 * through that domain's (or its provider's) named hosts; spam forging
 * the domain comes from elsewhere.  Weak on its own; rules weigh it.
 */
static bool
sender_relay_mismatch (const bsc_result_t *r, const bsc_fields_t *orig)
{
	const bsc_field_t *from = bsc_fields_find (orig, "From");
	const char *at, *end;

	if (!from || !r->n_relays || !(at = memrchr (from->value.ptr, '@', from->value.len)))
		return false;
	end = at + 1;
	while (end < from->value.ptr + from->value.len && !strchr (" \t>\"',;)", *end))
		end++;
	bsc_str_t dom = base_domain ((bsc_str_t) { at + 1, (size_t) (end - at - 1) });
	char want[256];
	if (dom.len < 3 || dom.len >= sizeof (want) || !memchr (dom.ptr, '.', dom.len))
		return false;
	memcpy (want, dom.ptr, dom.len);
	want[dom.len] = '\0';
	for (size_t i = 0; i < r->n_relays; i++)
		for (int k = 0; k < BSC_RELAY_FIELD_COUNT; k++) {
			const char *v = r->relays[i].f[k];
			/* The names the receivers recorded, never the HELO the client chose. */
			if (v && (k == BSC_RELAY_RDNS || k == BSC_RELAY_BY) &&
			    bsc_str_icase_find ((bsc_str_t) { v, strlen (v) }, want))
				return false;
		}
	return true;
}

static uint64_t
compute_facts (bsc_work_t *w)
{
	bsc_result_t *r = w->r;
	uint64_t f = r->facts;
	size_t ok = 0, delayed = 0, failing = 0;

	if (r->report_type) {
		if (!strcmp (r->report_type, "delivery-status") ||
		    !strcmp (r->report_type, "global-delivery-status"))
			f |= 1ull << BSC_F_DSN_REPORT;
		else if (!strcmp (r->report_type, "feedback-report"))
			f |= 1ull << BSC_F_ARF_REPORT;
		else if (!strcmp (r->report_type, "disposition-notification"))
			f |= 1ull << BSC_F_MDN_REPORT;
	}
	if (f & (1ull << BSC_F_DSN_PART))
		f |= 1ull << BSC_F_DSN_REPORT;
	for (size_t i = 0; i < r->n_rcpts; i++) {
		const char *a = r->rcpts[i].f[BSC_RCPT_ACTION];
		const char *st = r->rcpts[i].f[BSC_RCPT_STATUS];
		if (action_is (a, "delivered") || action_is (a, "relayed") || action_is (a, "expanded"))
			ok++;
		else if (action_is (a, "delayed"))
			delayed++, failing++;
		else if (action_is (a, "failed") || (!a && st && (st[0] == '4' || st[0] == '5')))
			failing++;
	}
	if (r->n_rcpts && ok == r->n_rcpts)
		f |= 1ull << BSC_F_DSN_ALL_SUCCESS;
	if (r->n_rcpts && delayed == r->n_rcpts)
		f |= 1ull << BSC_F_DSN_DELAYED_ONLY;
	if (failing)
		f |= 1ull << BSC_F_FAILED_RECIPIENTS;
	/* Spam goes to lists of harvested addresses; a message of ours rarely
	 * fails for five recipients at once. */
	if (failing >= 5)
		f |= 1ull << BSC_F_MANY_RECIPIENTS;
	if (sender_relay_mismatch (r, &w->orig))
		f |= 1ull << BSC_F_SENDER_RELAY_MISMATCH;
	for (size_t i = 0; i < r->n_relays; i++)
		if (bsc_relay_dynamic (&r->relays[i]))
			f |= 1ull << BSC_F_RELAY_DYNAMIC;
	if (original_msgid_mismatch (&w->orig))
		f |= 1ull << BSC_F_ORIGINAL_MSGID_MISMATCH;
	/* RFC 5429 section 2.1: a Sieve "reject" answers with an MDN marked
	 * "Auto-Submitted: auto-replied (rejected)": the message was refused. */
	if (f & (1ull << BSC_F_MDN_REPORT)) {
		const bsc_field_t *as = bsc_fields_find (&w->headers, "Auto-Submitted");
		if (as && bsc_str_icase_find (as->value, "rejected")) {
			f &= ~(1ull << BSC_F_MDN_REPORT);
			f |= 1ull << BSC_F_MDN_REJECT;
		}
	}
	if (r->has_original)
		f |= 1ull << BSC_F_HAS_ORIGINAL;
	if (null_sender (&w->headers))
		f |= 1ull << BSC_F_NULL_SENDER;
	if (daemon_from (&w->headers))
		f |= 1ull << BSC_F_DAEMON_FROM;
	if (list_mail (&w->headers))
		f |= 1ull << BSC_F_LIST_MAIL;
	for (size_t i = 0; i < r->n_notes; i++)
		if (!strncmp (r->notes[i], "limit:", 6))
			f |= 1ull << BSC_F_LIMIT_REACHED;
	return f;
}

bsc_status_t
bsc_classify_finish (bsc_work_t *w)
{
	bsc_result_t *r = w->r;
	const bsc_field_t *mid = bsc_fields_find (&w->headers, "Message-ID");

	if (mid && mid->value.len)
		r->message_id = bsc_utf8_copy (&r->arena, mid->value.ptr, mid->value.len);
	bsc_envelope_decode (r, &w->headers);
	bool dsn_rcpts = r->n_rcpts > 0;
	if (!dsn_rcpts)
		x_failed_recipients (w);

	/* A text report: its own words end where it starts quoting the
	 * original; rules must not read the original's words as the report's
	 * (nor take its addresses for failed recipients). */
	bsc_str_t text = { w->text ? w->text : "", w->text_len };
	size_t at = text.len, end = text.len;
	/* The prefilter is not worth a pass over the whole text for the few
	 * split rules: it runs on the report region, for the other rules. */
	bsc_rule_run_t run = { 0 }; /* without an arena: the split notes its limits here, no more */
	size_t split = bsc_ruleset_split (w->engine->rules, text, NULL, &run, &at, &end);
	if (split != SIZE_MAX && !r->has_original)
		bsc_original_from_quoted (w, text.ptr + end, text.len - end);

	r->facts = compute_facts (w);
	bsc_origin_facts (w);

	bsc_facts_t facts = {
		.headers = &w->headers,
		.dsn = &w->dsn,
		.original = &w->orig,
		.text = { text.ptr, split != SIZE_MAX ? at : text.len },
		.facts = r->facts,
		.split_rule = split,
		.split_match = { text.ptr + at, end - at },
	};
	bsc_xrcpts_t x = { .max = w->engine->limits[BSC_LIMIT_RECIPIENTS] };
	const bsc_ruleset_t *rules = w->engine->rules;
	if (!bsc_ruleset_run (rules, &facts, &r->arena, &run,
			      w->engine->explain ? BSC_PASS_ALL : BSC_PASS_VERDICT, &r->hits, &x))
		return BSC_ENOMEM;
	bsc_verdict_decide (r);
	/* Rules that only add points to one kind are skipped when that kind
	 * has already won: a delivery report known by its structure needs
	 * none of the text-bounce wording.  Should another kind win with
	 * them, the skipped ones run too, so the answer never depends on
	 * the shortcut (only the score and the rules listed do). */
	static const unsigned more[] = { 0, BSC_PASS_MORE_BOUNCE | BSC_PASS_MORE_BOUNCE_X,
					 BSC_PASS_MORE_OOO, BSC_PASS_MORE_CR };
	unsigned skipped = r->kind != BSC_KIND_NORMAL ? more[r->kind] : 0;
	if (!bsc_ruleset_run (rules, &facts, &r->arena, &run,
			      (more[1] | more[2] | more[3]) & ~skipped, &r->hits, &x))
		return BSC_ENOMEM;
	bsc_verdict_decide (r);
	if (skipped && more[r->kind] != skipped) {
		if (!bsc_ruleset_run (rules, &facts, &r->arena, &run, skipped, &r->hits, &x))
			return BSC_ENOMEM;
		bsc_verdict_decide (r);
		skipped = 0;
	}
	/* The heuristics weigh only bounces whose origin no proof settled. */
	if (r->kind == BSC_KIND_BOUNCE && r->origin == BSC_ORIGIN_UNKNOWN) {
		if (!bsc_ruleset_run (rules, &facts, &r->arena, &run, BSC_PASS_BACKSCATTER, &r->hits, &x))
			return BSC_ENOMEM;
		bsc_verdict_decide (r);
	}
	/* What text rules found counts for bounces only, and only where no
	 * delivery-status part named the recipients (X-Failed-Recipients
	 * names them without status: the text fills that in). */
	if (r->kind == BSC_KIND_BOUNCE && !dsn_rcpts) {
		/* Extraction rules may be among the skipped bounce rules. */
		if (!bsc_ruleset_run (rules, &facts, &r->arena, &run,
				      BSC_PASS_EXTRACT | (skipped & BSC_PASS_MORE_BOUNCE_X), &r->hits, &x))
			return BSC_ENOMEM;
		bsc_verdict_decide (r);
		bsc_extract_apply (w, &x);
	}
	/* A regex that hit the PCRE2 match or depth limit counted as no match. */
	if (run.limit & 1)
		bsc_result_add_note (r, "limit: match-limit");
	if (run.limit & 2)
		bsc_result_add_note (r, "limit: depth-limit");
	if (run.limit)
		r->facts |= 1ull << BSC_F_LIMIT_REACHED;
	bsc_reason_decide (w->engine->rules, r);
	return r->arena.failed ? BSC_ENOMEM : BSC_OK;
}

static bsc_status_t
classify_object (const bsc_engine_t *engine, GMimeObject *obj, bsc_result_t *r)
{
	bsc_work_t w = { .engine = engine, .r = r };

	bsc_walk (&w, obj);
	return bsc_classify_finish (&w);
}

/* Whether the first line looks like a header field ("Name:" RFC 5322 2.2). */
static bool
starts_with_header (const char *p, size_t len)
{
	size_t i = 0;

	while (i < len && (unsigned char) p[i] > 32 && (unsigned char) p[i] < 127 && p[i] != ':')
		i++;
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i > 0 && i < len && p[i] == ':';
}

/* Frees a byte array that borrowed its bytes, leaving the bytes alone. */
static void
unborrow (GByteArray *bytes)
{
	(void) g_byte_array_steal (bytes, NULL);
	g_byte_array_unref (bytes);
}

/*
 * GMime's part of bsc_classify(): @data (final: line ends and limits done)
 * to a MIME tree, walked into @r.  The top header block is read here when
 * it is plain (bsc_walk_top()), and GMime gets only what builds the tree:
 * every field it parses costs it a GObject, made and finalised.  Else
 * GMime reads the message as it is.
 */
static bsc_status_t
classify_parsed (const bsc_engine_t *engine, const char *data, size_t len,
		 const bsc_blocks_t *blocks, unsigned flags, bsc_result_t *r)
{
	bsc_work_t w = { .engine = engine, .r = r, .blocks = blocks };
	char *buf = bsc_walk_top (&w, data, len, &len);

	/* One text part (a third of a real bounce flood): no tree to build. */
	if (buf && !(flags & BSC_CLASSIFY_GMIME_TREE) && bsc_walk_single (&w)) {
		free (buf);
		return bsc_classify_finish (&w);
	}
	if (buf)
		data = buf;
	/* GMime reads the bytes in place: a byte array that borrows them,
	 * which the stream does not own and which is stolen back (not freed)
	 * once every object made from it is gone. */
	GByteArray *bytes = g_byte_array_new_take ((guint8 *) data, len);
	GMimeStream *stream = g_mime_stream_mem_new_with_byte_array (bytes);
	g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (stream), FALSE);
	GMimeParser *parser = g_mime_parser_new_with_stream (stream);
	/* A part, not a GMimeMessage: the top level's fields are all there
	 * when GMime reads them, without GMime parsing every address and
	 * date (research/PERF.md). */
	GMimeObject *msg = g_mime_parser_construct_part (parser, engine->parser_options);
	bsc_status_t st = BSC_EPARSE;
	g_object_unref (parser);
	if (msg) {
		/* The walk's views may point into the tree: it lives until
		 * the rules are done. */
		bsc_walk (&w, msg);
		st = bsc_classify_finish (&w);
		g_object_unref (msg);
	}
	g_object_unref (stream);
	unborrow (bytes);
	free (buf);
	return st;
}

bsc_status_t
bsc_classify (const bsc_engine_t *engine, const char *data, size_t len, bsc_result_t **out)
{
	return bsc_classify_flags (engine, data, len, 0, out);
}

bsc_status_t
bsc_classify_flags (const bsc_engine_t *engine, const char *data, size_t len, unsigned flags,
		    bsc_result_t **out)
{
	char *copy = NULL;
	bsc_result_t *r;
	bsc_status_t st;

	if (!out)
		return BSC_EINVAL;
	*out = NULL;
	if (!engine || (!data && len))
		return BSC_EINVAL;
	/* An mbox From_ line (RFC 4155) is not part of the message. */
	if (len >= 5 && !memcmp (data, "From ", 5)) {
		const char *nl = memchr (data, '\n', len);
		size_t skip = nl ? (size_t) (nl - data) + 1 : len;
		data += skip;
		len -= skip;
	}
	if (!len || !starts_with_header (data, len))
		return BSC_EPARSE;
	if (!(r = bsc_result_new ()))
		return BSC_ENOMEM;
	/* Ordinary mail (no sign of a report, auto-reply or challenge in its
	 * headers) leaves here, unless every rule is to be evaluated. */
	bsc_str_t mid;
	if (!engine->explain && engine->ordinary && bsc_looks_ordinary (engine->ordinary, data, len, &mid)) {
		if (mid.len)
			r->message_id = bsc_utf8_copy (&r->arena, mid.ptr, mid.len);
		bsc_result_add_note (r, "prescan: ordinary mail");
		bsc_verdict_decide (r);
		if (r->arena.failed) {
			bsc_result_free (r);
			return BSC_ENOMEM;
		}
		*out = r;
		return BSC_OK;
	}
	if (len > engine->limits[BSC_LIMIT_MESSAGE_BYTES]) {
		len = engine->limits[BSC_LIMIT_MESSAGE_BYTES];
		bsc_result_add_note (r, "limit: message-bytes");
	}
	/* GMime knows LF and CRLF; old Mac mail ends lines with CR alone.  The
	 * first line break tells (an mbox gives such a message a last LF):
	 * a lone CR there makes every lone CR a line break. */
	const char *eol = data;
	while (eol < data + len && *eol != '\r' && *eol != '\n')
		eol++;
	if (eol < data + len && *eol == '\r' && (eol + 1 == data + len || eol[1] != '\n')) {
		if (!(copy = malloc (len))) {
			bsc_result_free (r);
			return BSC_ENOMEM;
		}
		for (size_t i = 0; i < len; i++)
			copy[i] = data[i] == '\r' && (i + 1 == len || data[i + 1] != '\n') ? '\n' : data[i];
		data = copy;
	}
	/* Hostile input: GMime gets a trimmed copy when the message goes
	 * beyond what the walk can use (prescan.c: header and part counts,
	 * nesting, content bytes). */
	size_t trimmed_len;
	bool nomem;
	bsc_blocks_t blocks = { .type = engine->block_type };
	char *trimmed = bsc_prescan (data, len, engine->limits, r, &blocks, &trimmed_len, &nomem);
	if (nomem) {
		free (copy);
		bsc_result_free (r);
		return BSC_ENOMEM;
	}
	if (trimmed) {
		free (copy);
		data = copy = trimmed;
		len = trimmed_len;
	}
	if (len > G_MAXUINT)
		len = G_MAXUINT;

	st = classify_parsed (engine, data, len, &blocks, flags, r);
	free (copy);
	if (st != BSC_OK) {
		bsc_result_free (r);
		return st;
	}
	*out = r;
	return BSC_OK;
}

bsc_status_t
bsc_classify_gmime (const bsc_engine_t *engine, GMimeMessage *message, bsc_result_t **out)
{
	bsc_result_t *r;
	bsc_status_t st;

	if (!out)
		return BSC_EINVAL;
	*out = NULL;
	if (!engine || !GMIME_IS_MESSAGE (message))
		return BSC_EINVAL;
	if (!(r = bsc_result_new ()))
		return BSC_ENOMEM;
	st = classify_object (engine, GMIME_OBJECT (message), r);
	if (st != BSC_OK) {
		bsc_result_free (r);
		return st;
	}
	*out = r;
	return BSC_OK;
}
