/*
 * test-json.c - a result as one line of JSON (json.c, DESIGN.md section 6).
 *
 * Results are built by hand through the struct in bsc-private.h and the
 * output compared byte for byte; every check is made in C.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsc-private.h"
#include "table.h"

/* The JSON of @r, new (free with bsc_free). */
static char *
to_json (const bsc_result_t *r, const char *file, long index)
{
	char *out = (char *) 1;

	assert_int_equal (bsc_result_to_json (r, file, index, &out), BSC_OK);
	assert_non_null (out);
	/* One line, no trailing newline. */
	assert_null (strchr (out, '\n'));
	return out;
}

static const char EMPTY_TAIL[] =
	"\"message_id\": null, \"kind\": \"normal\", \"origin\": \"unknown\", \"verdict\": "
	"\"normal\", \"score\": 0, \"rules\": [], \"report_type\": null, \"reporting_mta\": "
	"null, \"recipients\": [], \"original\": null}";

static const struct {
	const char *file;
	long index;
	const char *head; /* what comes before the message_id key */
} head_rows[] = {
	{ NULL, -1, "{" },                          /* neither */
	{ NULL, -1000, "{" },
	{ NULL, 0, "{\"index\": 0, " },             /* 0 is an index */
	{ "", -5, "{\"file\": \"\", " },             /* an empty name is a name */
	{ "mbox", 41, "{\"file\": \"mbox\", \"index\": 41, " },
	/* an mbox index is a long: an integer, whatever its size */
	{ NULL, 1234567890L, "{\"index\": 1234567890, " },
	{ NULL, 12345678901L, "{\"index\": 12345678901, " },
};

static void
test_json_empty (void **state)
{
	(void) state;
	bsc_result_t *r = bsc_result_new ();

	begin_rows ();
	for (size_t i = 0; i < N_ELEM (head_rows); i++) {
		char want[1024], *j = to_json (r, head_rows[i].file, head_rows[i].index);

		snprintf (want, sizeof (want), "%s%s", head_rows[i].head, EMPTY_TAIL);
		check_str (i, "json", j, want);
		bsc_free (j);
	}
	bsc_result_free (r);
	end_rows ();
}

static void
test_json_full (void **state)
{
	(void) state;
	bsc_result_t *r = bsc_result_new ();
	bsc_arena_t *a = &r->arena;
	bsc_hit_t hits[3];
	bsc_relay_t relays[3];
	char *j;

	memset (hits, 0, sizeof (hits));
	memset (relays, 0, sizeof (relays));
	r->message_id = bsc_arena_strdup (a, "<bounce-1@mx.example.net>");
	r->kind = BSC_KIND_BOUNCE;
	r->origin = BSC_ORIGIN_FORGED;
	r->verdict = BSC_VERDICT_BACKSCATTER;
	r->score = 12.5;
	r->report_type = bsc_arena_strdup (a, "delivery-status");
	r->reporting_mta = bsc_arena_strdup (a, "mx.example.net");

	hits[0].name = "BSC_DSN_REPORT";
	hits[0].points[BSC_T_BOUNCE] = 10;
	hits[1].name = "BSC_FORGED_MSGID";
	hits[1].points[BSC_T_FORGED] = 6;
	hits[1].match = bsc_arena_strdup (a, "Message-ID: <x@y>");
	hits[2].name = "BSC_HUMAN_TEXT";
	hits[2].points[BSC_T_BOUNCE] = 0.25;
	hits[2].points[BSC_T_NORMAL] = 1.5;
	r->hits.v = hits;
	r->hits.n = 3;

	bsc_rcpt_t *rc = bsc_result_add_rcpt (r);
	rc->f[BSC_RCPT_ADDRESS] = bsc_arena_strdup (a, "user@example.org");
	rc->f[BSC_RCPT_STATUS] = "5.1.1";
	rc->f[BSC_RCPT_ACTION] = "failed";
	rc->f[BSC_RCPT_REPLY_CODE] = "550";
	rc->f[BSC_RCPT_DIAGNOSTIC] = "550 5.1.1 user unknown";
	rc = bsc_result_add_rcpt (r);
	rc->f[BSC_RCPT_ADDRESS] = "b@example.org";
	rc->f[BSC_RCPT_ORIGINAL_RECIPIENT] = "B@example.org";
	rc->f[BSC_RCPT_ACTION] = "delayed";
	rc->f[BSC_RCPT_REMOTE_MTA] = "mx.example.org";
	rc->f[BSC_RCPT_LAST_ATTEMPT] = "Mon, 1 Jan 2024";
	rc->f[BSC_RCPT_WILL_RETRY_UNTIL] = "Tue, 2 Jan 2024";

	r->has_original = true;
	r->orig[BSC_ORIG_MESSAGE_ID] = "<orig@example.com>";
	r->orig[BSC_ORIG_FROM] = "someone@example.com";
	r->orig[BSC_ORIG_SUBJECT] = "caf\xc3\xa9";
	relays[0].f[BSC_RELAY_HELO] = "helo.example";
	relays[0].f[BSC_RELAY_RDNS] = "rdns.example";
	relays[0].f[BSC_RELAY_IP] = "192.0.2.1";
	relays[0].f[BSC_RELAY_BY] = "mx.example.net";
	relays[1].f[BSC_RELAY_HELO] = "helo-only.example";
	relays[2].f[BSC_RELAY_IP] = "2001:db8::1";
	r->relays = relays;
	r->n_relays = 3;

	bsc_result_add_note (r, "limit: recipients");
	bsc_result_add_note (r, "limit: headers");
	bsc_result_add_note (r, "limit: recipients"); /* duplicates are dropped */

	j = to_json (r, "spool/1.eml", 3);
	assert_string_equal (
		j,
		"{\"file\": \"spool/1.eml\", \"index\": 3, "
		"\"message_id\": \"<bounce-1@mx.example.net>\", \"kind\": \"bounce\", "
		"\"origin\": \"forged\", \"verdict\": \"backscatter\", \"score\": 12.5, "
		"\"rules\": ["
		"{\"name\": \"BSC_DSN_REPORT\", \"score\": 10, \"points\": {\"bounce\": 10}}, "
		"{\"name\": \"BSC_FORGED_MSGID\", \"score\": 6, \"points\": {\"forged\": 6}, "
		"\"match\": \"Message-ID: <x@y>\"}, "
		"{\"name\": \"BSC_HUMAN_TEXT\", \"score\": -1.25, "
		"\"points\": {\"bounce\": 0.25, \"normal\": 1.5}}], "
		"\"report_type\": \"delivery-status\", \"reporting_mta\": \"mx.example.net\", "
		"\"recipients\": ["
		"{\"address\": \"user@example.org\", \"status\": \"5.1.1\", \"action\": \"failed\", "
		"\"reply_code\": \"550\", \"diagnostic\": \"550 5.1.1 user unknown\", "
		"\"remote_mta\": null}, "
		"{\"address\": \"b@example.org\", \"original_recipient\": \"B@example.org\", "
		"\"status\": null, \"action\": \"delayed\", \"reply_code\": null, "
		"\"diagnostic\": null, \"remote_mta\": \"mx.example.org\", "
		"\"last_attempt_date\": \"Mon, 1 Jan 2024\", "
		"\"will_retry_until\": \"Tue, 2 Jan 2024\"}], "
		"\"original\": {\"message_id\": \"<orig@example.com>\", "
		"\"from\": \"someone@example.com\", \"to\": null, \"subject\": \"caf\xc3\xa9\", "
		"\"date\": null, \"return_path\": null, "
		"\"relays\": [\"rdns.example [192.0.2.1]\", \"helo-only.example\", "
		"\"[2001:db8::1]\"]}, "
		"\"notes\": [\"limit: recipients\", \"limit: headers\"]}");
	bsc_free (j);

	/* The same result without a file or an index. */
	j = to_json (r, NULL, -1);
	assert_true (strncmp (j, "{\"message_id\": \"<bounce-1@", 26) == 0);
	bsc_free (j);

	/* An original with nothing in it. */
	memset (r->orig, 0, sizeof (r->orig));
	r->n_relays = 0;
	r->n_notes = 0;
	r->n_rcpts = 0;
	r->hits.n = 0;
	j = to_json (r, NULL, -1);
	assert_non_null (strstr (j, "\"original\": {\"message_id\": null, \"from\": null, \"to\": null, "
				    "\"subject\": null, \"date\": null, \"return_path\": null, "
				    "\"relays\": []}}"));
	bsc_free (j);
	bsc_result_free (r);
}

/* ------------------------------------------------------------ escaping */

static const struct {
	const char *in;
	const char *out; /* the JSON string, quotes included */
} escape_rows[] = {
	{ "plain", "\"plain\"" },
	{ "a\"b", "\"a\\\"b\"" },
	{ "a\\b", "\"a\\\\b\"" },
	{ "\\\"", "\"\\\\\\\"\"" },
	{ "a\x01z", "\"a\\u0001z\"" },
	{ "\x1f", "\"\\u001f\"" },
	{ "t\tn\nr\r", "\"t\\u0009n\\u000ar\\u000d\"" },
	{ "del\x7f", "\"del\x7f\"" },           /* DEL needs no escape in JSON */
	{ "/", "\"/\"" },
	{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"" },
	/* invalid UTF-8 becomes U+FFFD */
	{ "x\xffy", "\"x\xef\xbf\xbdy\"" },
	{ "\x80", "\"\xef\xbf\xbd\"" },
	{ "caf\xe9", "\"caf\xef\xbf\xbd\"" },
	{ "\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\"" },          /* overlong */
	{ "\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" }, /* surrogate */
	{ "\xf4\x90\x80\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"" },
	{ "a\xc3", "\"a\xef\xbf\xbd\"" },        /* truncated at the end */
	/* a valid character next to a stray continuation byte survives */
	{ "\xc3\xa9\x80", "\"\xc3\xa9\xef\xbf\xbd\"" },
	{ "\xe2\x82\xac\x80", "\"\xe2\x82\xac\xef\xbf\xbd\"" },
	{ "", "\"\"" },
};

static void
test_json_escaping (void **state)
{
	(void) state;
	bsc_result_t *r = bsc_result_new ();

	begin_rows ();
	for (size_t i = 0; i < N_ELEM (escape_rows); i++) {
		char want[256], *j;

		/* in the file name (caller text) */
		j = to_json (r, escape_rows[i].in, -1);
		snprintf (want, sizeof (want), "{\"file\": %s, %s", escape_rows[i].out, EMPTY_TAIL);
		check_str (i, "file", j, want);
		bsc_free (j);
	}
	bsc_result_free (r);
	end_rows ();
}

static void
test_json_escaping_fields (void **state)
{
	(void) state;
	bsc_result_t *r = bsc_result_new ();
	char *j;

	/* Library text is escaped the same way wherever it appears. */
	r->message_id = "<\"q\"\\@x>";
	r->reporting_mta = "a\x01" "b";
	bsc_rcpt_t *rc = bsc_result_add_rcpt (r);
	rc->f[BSC_RCPT_ADDRESS] = "\"odd\"@example.org";
	rc->f[BSC_RCPT_DIAGNOSTIC] = "tab\there";
	bsc_result_add_note (r, "note \"quoted\"");
	j = to_json (r, NULL, -1);
	assert_non_null (strstr (j, "\"message_id\": \"<\\\"q\\\"\\\\@x>\""));
	assert_non_null (strstr (j, "\"reporting_mta\": \"a\\u0001b\""));
	assert_non_null (strstr (j, "\"address\": \"\\\"odd\\\"@example.org\""));
	assert_non_null (strstr (j, "\"diagnostic\": \"tab\\u0009here\""));
	assert_non_null (strstr (j, "\"notes\": [\"note \\\"quoted\\\"\"]"));
	bsc_free (j);
	bsc_result_free (r);
}

static const struct {
	double score;
	const char *text;
} number_rows[] = {
	{ 0, "0" },
	{ 5, "5" },
	{ -3, "-3" },
	{ 12.5, "12.5" },
	{ 0.1 + 0.2, "0.3" },
	{ 1e6, "1000000" },
	{ -0.75, "-0.75" },
	{ 0.001, "0.001" },
	{ -999999.999, "-999999.999" },
	{ 0.0001, "0.0001" },
	{ 1e-7, "1e-07" },
	{ 123456789.5, "123456789.5" },
	{ 1e12, "1e+12" },
	{ -0.0, "-0" },
};

/* Numbers written by hand where they can be (json.c) read as "%.10g" would. */
static void
test_json_numbers_as_printf (void **state)
{
	(void) state;
	bsc_result_t *r = bsc_result_new ();

	begin_rows ();
	for (long k = -200000; k <= 200000; k += 7) {
		char want[64], *j;

		r->score = k / 1000.0 + (k % 3 ? 0.1 : 0.0);
		j = to_json (r, NULL, -1);
		snprintf (want, sizeof (want), "\"score\": %.10g, ", r->score);
		if (!strstr (j, want)) {
			print_error ("%.17g: \"%s\" not in %s\n", r->score, want, j);
			failures++;
		}
		bsc_free (j);
	}
	bsc_result_free (r);
	end_rows ();
}

static void
test_json_numbers (void **state)
{
	(void) state;
	bsc_result_t *r = bsc_result_new ();

	begin_rows ();
	for (size_t i = 0; i < N_ELEM (number_rows); i++) {
		char want[64], *j;

		r->score = number_rows[i].score;
		j = to_json (r, NULL, -1);
		snprintf (want, sizeof (want), "\"score\": %s, ", number_rows[i].text);
		if (!strstr (j, want)) {
			print_error ("row %zu: \"%s\" not in %s\n", i, want, j);
			failures++;
		}
		bsc_free (j);
	}
	bsc_result_free (r);
	end_rows ();
}

static void
test_json_hit_scores (void **state)
{
	(void) state;
	bsc_result_t *r = bsc_result_new ();
	bsc_hit_t h[1];
	char *j;

	/* A normal message: a bounce rule reads as negative evidence. */
	memset (h, 0, sizeof (h));
	h[0].name = "R";
	h[0].points[BSC_T_BOUNCE] = 2;
	r->hits.v = h;
	r->hits.n = 1;
	j = to_json (r, NULL, -1);
	assert_non_null (strstr (j, "\"rules\": [{\"name\": \"R\", \"score\": -2, "
				    "\"points\": {\"bounce\": 2}}]"));
	bsc_free (j);

	/* A rule with no points at all. */
	h[0].points[BSC_T_BOUNCE] = 0;
	j = to_json (r, NULL, -1);
	assert_non_null (strstr (j, "{\"name\": \"R\", \"score\": 0, \"points\": {}}"));
	bsc_free (j);

	/* A bounce of unknown origin: the backscatter weight. */
	r->kind = BSC_KIND_BOUNCE;
	h[0].points[BSC_T_BACKSCATTER] = 3;
	j = to_json (r, NULL, -1);
	assert_non_null (strstr (j, "{\"name\": \"R\", \"score\": 3, \"points\": "
				    "{\"backscatter\": 3}}"));
	bsc_free (j);
	bsc_result_free (r);
}

static void
test_json_args (void **state)
{
	(void) state;
	bsc_result_t *r = bsc_result_new ();
	char *out = (char *) 1;

	assert_int_equal (bsc_result_to_json (NULL, NULL, -1, &out), BSC_EINVAL);
	assert_null (out);
	assert_int_equal (bsc_result_to_json (r, NULL, -1, NULL), BSC_EINVAL);
	bsc_result_free (r);
}

static void
test_json_large (void **state)
{
	(void) state;
	bsc_result_t *r = bsc_result_new ();
	char *j;

	/* Many recipients: the buffer grows well past its first size. */
	for (int i = 0; i < 2000; i++) {
		bsc_rcpt_t *rc = bsc_result_add_rcpt (r);
		assert_non_null (rc);
		rc->f[BSC_RCPT_ADDRESS] = "user@example.org";
		rc->f[BSC_RCPT_STATUS] = "5.1.1";
	}
	j = to_json (r, NULL, -1);
	size_t n = 0;
	for (const char *p = j; (p = strstr (p, "\"address\": \"user@example.org\"")); p++)
		n++;
	assert_int_equal (n, 2000);
	assert_int_equal (j[strlen (j) - 1], '}');
	bsc_free (j);
	bsc_result_free (r);
}

/* The getline()-style form: one buffer for many results, the same text. */
static void
test_json_buf (void **state)
{
	(void) state;
	bsc_result_t *big = bsc_result_new (), *small = bsc_result_new ();
	char *buf = NULL;
	size_t cap = 0, len = 1;

	for (int i = 0; i < 300; i++) {
		bsc_rcpt_t *rc = bsc_result_add_rcpt (big);
		assert_non_null (rc);
		rc->f[BSC_RCPT_ADDRESS] = "user@example.org";
	}
	small->message_id = "<m@example.org>";
	const bsc_result_t *order[] = { big, small, big, small };
	for (size_t k = 0; k < 4; k++) {
		char *want = to_json (order[k], "f", (long) k);
		char *before = buf;
		size_t cap_before = cap;
		assert_int_equal (bsc_result_to_json_buf (order[k], "f", (long) k, &buf, &cap, &len),
				  BSC_OK);
		assert_int_equal (len, strlen (want));
		assert_string_equal (buf, want); /* NUL-terminated at len */
		assert_true (cap > len);
		/* Grown for the first result, it neither moves nor grows again. */
		if (k >= 1) {
			assert_ptr_equal (buf, before);
			assert_int_equal (cap, cap_before);
		}
		bsc_free (want);
	}
	/* Refused arguments leave the buffer as it is. */
	char *kept = buf;
	assert_int_equal (bsc_result_to_json_buf (NULL, NULL, -1, &buf, &cap, &len), BSC_EINVAL);
	assert_ptr_equal (buf, kept);
	assert_int_equal (len, 0);
	assert_int_equal (bsc_result_to_json_buf (small, NULL, -1, NULL, &cap, &len), BSC_EINVAL);
	assert_int_equal (bsc_result_to_json_buf (small, NULL, -1, &buf, NULL, &len), BSC_EINVAL);
	assert_int_equal (bsc_result_to_json_buf (small, NULL, -1, &buf, &cap, NULL), BSC_EINVAL);
	char *none = NULL;
	size_t some = 16;
	assert_int_equal (bsc_result_to_json_buf (small, NULL, -1, &none, &some, &len), BSC_EINVAL);
	bsc_free (buf);
	small->message_id = NULL;
	bsc_result_free (big);
	bsc_result_free (small);
}

int
main (void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test (test_json_empty),
		cmocka_unit_test (test_json_full),
		cmocka_unit_test (test_json_escaping),
		cmocka_unit_test (test_json_escaping_fields),
		cmocka_unit_test (test_json_numbers),
		cmocka_unit_test (test_json_numbers_as_printf),
		cmocka_unit_test (test_json_hit_scores),
		cmocka_unit_test (test_json_args),
		cmocka_unit_test (test_json_large),
		cmocka_unit_test (test_json_buf),
	};

	return cmocka_run_group_tests (tests, NULL, NULL);
}
