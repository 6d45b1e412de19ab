/*
 * fuzz-classify.c - the whole classify path from raw bytes: bsc_classify(),
 * bsc_classify_gmime() on GMime's own parse of the bytes, every result
 * accessor (in range and out of range) and bsc_result_to_json(); and the
 * same answer when a one-part message goes through GMime's tree.
 *
 * Two engines read each input: one with the default limits and a site
 * config (so the origin proofs run), one with tiny limits (so every limit
 * is reached).  And the pre-scan's bound on what GMime is given is
 * checked on GMime's own parse of its output (check_prescan()).
 */
#include "config.h"

#include <gmime/gmime.h>

#include "bsclass-gmime.h"
#include "fuzz-common.h"

static bsc_engine_t *engines[2];

static bsc_engine_t *
make_engine (int small)
{
	bsc_options_t *o = bsc_options_new ();
	bsc_config_t *c = bsc_config_new ();
	bsc_engine_t *e = NULL;
	bsc_error_t err;

	if (!o || !c)
		abort ();
	bsc_config_add_domain (c, "example.com");
	bsc_config_add_relay (c, "192.0.2.0/24");
	bsc_config_add_relay (c, "2001:db8::/32");
	bsc_config_add_relay (c, "out.example.com");
	bsc_config_add_batv_secret (c, 0, "batv-secret");
	bsc_config_add_msgid_secret (c, "msgid-secret");
	bsc_options_set_config (o, c);
	bsc_options_set_rules_dir (o, fuzz_rules_dir ());
	/* The small engine judges BATV tags at a fixed time, the other at each message's own. */
	if (small) {
		size_t l[BSC_LIMIT_COUNT];
		fuzz_small_limits (l);
		for (int k = 0; k < BSC_LIMIT_COUNT; k++)
			bsc_options_set_limit (o, (bsc_limit_t) k, l[k]);
		bsc_options_set_now (o, 1700000000);
	}
	if (bsc_engine_new (o, &e, &err) != BSC_OK) {
		fprintf (stderr, "fuzz-classify: rules %s: %s:%d:%d: %s\n", fuzz_rules_dir (),
			 err.source, err.line, err.column, err.text);
		abort ();
	}
	bsc_options_free (o);
	bsc_config_free (c);
	return e;
}

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
	fuzz_glib_fatal ();
	engines[0] = make_engine (0);
	engines[1] = make_engine (1);
	return 0;
}

static void
read_result (const bsc_result_t *r)
{
	size_t sink = 0, n;
	char *json = NULL;

	sink += (size_t) bsc_result_kind (r) + (size_t) bsc_result_origin (r);
	sink += (size_t) bsc_result_verdict (r) + (size_t) (bsc_result_score (r) != 0.0);
	sink += fuzz_touch (bsc_kind_name (bsc_result_kind (r)));
	sink += fuzz_touch (bsc_origin_name (bsc_result_origin (r)));
	sink += fuzz_touch (bsc_verdict_name (bsc_result_verdict (r)));
	sink += fuzz_touch (bsc_result_report_type (r));
	sink += fuzz_touch (bsc_result_message_id (r));
	sink += fuzz_touch (bsc_result_reporting_mta (r));
	n = bsc_result_rule_count (r);
	for (size_t i = 0; i <= n; i++) {
		sink += fuzz_touch (bsc_result_rule_name (r, i));
		sink += fuzz_touch (bsc_result_rule_match (r, i));
		sink += (size_t) (bsc_result_rule_score (r, i) != 0.0);
	}
	n = bsc_result_recipient_count (r);
	for (size_t i = 0; i <= n; i++)
		for (int f = 0; f <= BSC_RCPT_FIELD_COUNT; f++)
			sink += fuzz_touch (bsc_result_recipient (r, i, (bsc_rcpt_field_t) f));
	sink += (size_t) bsc_result_has_original (r);
	for (int f = 0; f <= BSC_ORIG_FIELD_COUNT; f++)
		sink += fuzz_touch (bsc_result_original (r, (bsc_orig_field_t) f));
	n = bsc_result_relay_count (r);
	for (size_t i = 0; i <= n; i++)
		for (int f = 0; f <= BSC_RELAY_FIELD_COUNT; f++)
			sink += fuzz_touch (bsc_result_relay (r, i, (bsc_relay_field_t) f));
	n = bsc_result_note_count (r);
	for (size_t i = 0; i <= n; i++)
		sink += fuzz_touch (bsc_result_note (r, i));
	if (bsc_result_to_json (r, "fuzz\xff\"\n.eml", (long) sink, &json) != BSC_OK)
		abort (); /* only out of memory may fail, and ASan's allocator does not */
	if (!json || memchr (json, '\n', strlen (json)))
		abort (); /* one line of JSON, always */
	bsc_free (json);
	if (bsc_result_to_json (r, NULL, -1, &json) == BSC_OK)
		bsc_free (json);
}

/* A message that is one text part, read without GMime's tree
 * (bsc_walk_single()), answers as GMime's tree makes it answer. */
static void
same_through_tree (const bsc_engine_t *e, const uint8_t *data, size_t size, const bsc_result_t *r)
{
	bsc_result_t *t = NULL;
	char *a = NULL, *b = NULL;

	if (bsc_classify_flags (e, (const char *) data, size, BSC_CLASSIFY_GMIME_TREE, &t) != BSC_OK ||
	    bsc_result_to_json (r, NULL, -1, &a) != BSC_OK || bsc_result_to_json (t, NULL, -1, &b) != BSC_OK)
		abort ();
	if (strcmp (a, b)) {
		fprintf (stderr, "read alone:\n%s\nthrough GMime's tree:\n%s\n", a, b);
		abort ();
	}
	bsc_free (a);
	bsc_free (b);
	bsc_result_free (t);
}

/* The depth, parts and header fields of a GMime tree. */
static void
measure (GMimeObject *o, size_t depth, size_t *max_depth, size_t *parts, size_t *fields)
{
	GMimeHeaderList *h = g_mime_object_get_header_list (o);

	if (depth > *max_depth)
		*max_depth = depth;
	++*parts;
	*fields += h ? (size_t) g_mime_header_list_get_count (h) : 0;
	if (GMIME_IS_MULTIPART (o)) {
		int n = g_mime_multipart_get_count (GMIME_MULTIPART (o));
		for (int i = 0; i < n; i++)
			measure (g_mime_multipart_get_part (GMIME_MULTIPART (o), i), depth + 1, max_depth,
				 parts, fields);
	} else if (GMIME_IS_MESSAGE_PART (o)) {
		GMimeMessage *m = g_mime_message_part_get_message (GMIME_MESSAGE_PART (o));
		if (m) {
			h = g_mime_object_get_header_list (GMIME_OBJECT (m));
			*fields += h ? (size_t) g_mime_header_list_get_count (h) : 0;
			if (g_mime_message_get_mime_part (m))
				measure (g_mime_message_get_mime_part (m), depth + 1, max_depth, parts, fields);
		}
	}
}

/*
 * prescan.c's promise: whatever the bytes, what it hands GMime (with tiny
 * limits) parses into a tree no deeper than MIME_DEPTH + 1, with at most
 * 4 x PARTS parts and about 4 x HEADERS fields.  A gap between how the
 * pre-scan and GMime read a message would show here as a deeper tree.
 */
static void
check_prescan (const uint8_t *data, size_t size)
{
	size_t l[BSC_LIMIT_COUNT], len, depth = 0, parts = 0, fields = 0;
	bsc_result_t *r = bsc_result_new ();
	bool nomem;

	fuzz_small_limits (l);
	char *copy = bsc_prescan ((const char *) data, size, l, r, NULL, &len, &nomem);
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer (copy ? copy : (const char *) data,
								 copy ? len : size);
	GMimeParser *parser = g_mime_parser_new_with_stream (stream);
	GMimeObject *o = g_mime_parser_construct_part (parser, NULL);
	g_object_unref (parser);
	g_object_unref (stream);
	if (o) {
		measure (o, 0, &depth, &parts, &fields);
		g_object_unref (o);
		if (depth > l[BSC_LIMIT_MIME_DEPTH] + 2 || parts > 4 * l[BSC_LIMIT_PARTS] + 2 ||
		    fields > 4 * l[BSC_LIMIT_HEADERS] + 4 * l[BSC_LIMIT_PARTS] + 8) {
			fprintf (stderr, "prescan let through depth %zu, %zu parts, %zu fields\n", depth,
				 parts, fields);
			abort ();
		}
	}
	free (copy);
	bsc_result_free (r);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	check_prescan (data, size);
	for (int k = 0; k < 2; k++) {
		bsc_result_t *r = NULL;
		bsc_status_t st = bsc_classify (engines[k], (const char *) data, size, &r);

		if (st == BSC_OK) {
			if (!r)
				abort ();
			read_result (r);
			same_through_tree (engines[k], data, size, r);
		} else if (r || (st != BSC_EPARSE && st != BSC_ENOMEM)) {
			abort (); /* a result only with BSC_OK; no other failure for bytes */
		}
		bsc_result_free (r);
	}

	/* The embedder's path: GMime parses, the library walks its message. */
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer ((const char *) data, size);
	GMimeParser *parser = g_mime_parser_new_with_stream (stream);
	GMimeMessage *msg = g_mime_parser_construct_message (parser, NULL);
	g_object_unref (parser);
	g_object_unref (stream);
	if (msg) {
		bsc_result_t *r = NULL;
		if (bsc_classify_gmime (engines[1], msg, &r) == BSC_OK)
			read_result (r);
		bsc_result_free (r);
		g_object_unref (msg);
	}
	return 0;
}
