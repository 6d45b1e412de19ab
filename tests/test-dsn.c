/*
 * test-dsn.c - message/delivery-status parsing (dsn.c): RFC 3464 groups,
 * RFC 3463 status codes, RFC 5321 reply codes, RFC 3461 xtext and RFC 6533
 * utf-8 addresses.
 *
 * Table-driven, OpenDMARC style: each test walks an array of rows and
 * names the failing row.
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

static const char *const rcpt_names[BSC_RCPT_FIELD_COUNT] = {
	"address", "original_recipient", "status", "action", "reply_code",
	"diagnostic", "remote_mta", "last_attempt_date", "will_retry_until",
};

static void
default_limits (size_t limits[BSC_LIMIT_COUNT])
{
	for (int i = 0; i < BSC_LIMIT_COUNT; i++)
		limits[i] = bsc_options_get_limit (NULL, (bsc_limit_t) i);
}

static bool
has_note (const bsc_result_t *r, const char *note)
{
	for (size_t i = 0; i < r->n_notes; i++)
		if (!strcmp (r->notes[i], note))
			return true;
	return false;
}

/* ------------------------------------------------------------ DSN bodies */

#define A BSC_RCPT_ADDRESS
#define O BSC_RCPT_ORIGINAL_RECIPIENT
#define S BSC_RCPT_STATUS
#define ACT BSC_RCPT_ACTION
#define RC BSC_RCPT_REPLY_CODE
#define D BSC_RCPT_DIAGNOSTIC
#define RM BSC_RCPT_REMOTE_MTA
#define LA BSC_RCPT_LAST_ATTEMPT
#define WR BSC_RCPT_WILL_RETRY_UNTIL

typedef struct {
	const char *body;
	const char *reporting_mta;
	const char *received_from_mta;
	size_t n;                                 /* recipients expected */
	const char *r[3][BSC_RCPT_FIELD_COUNT];   /* every field, NULL when absent */
	size_t n_all;                             /* fields appended to @all */
} dsn_row_t;

static const dsn_row_t dsn_rows[] = {
	/* 0: a per-message group and one recipient (Postfix) */
	{ "Reporting-MTA: dns; mx.example.net\n"
	  "X-Postfix-Queue-ID: 4ABC\n"
	  "Arrival-Date: Mon,  1 Jan 2024 00:00:00 +0000\n"
	  "\n"
	  "Final-Recipient: rfc822; user@example.org\n"
	  "Original-Recipient: rfc822;user@example.org\n"
	  "Action: failed\n"
	  "Status: 5.1.1\n"
	  "Remote-MTA: dns; mx.example.org\n"
	  "Diagnostic-Code: smtp; 550 5.1.1 <user@example.org>: Recipient address rejected\n"
	  "Last-Attempt-Date: Mon,  1 Jan 2024 00:00:01 +0000\n",
	  "mx.example.net", NULL, 1,
	  { { [A] = "user@example.org", [O] = "user@example.org", [S] = "5.1.1", [ACT] = "failed",
	      [RC] = "550", [D] = "550 5.1.1 <user@example.org>: Recipient address rejected",
	      [RM] = "mx.example.org", [LA] = "Mon,  1 Jan 2024 00:00:01 +0000" } },
	  10 },
	/* 1: several recipients, every action */
	{ "Reporting-MTA: dns; mx.example.net\n"
	  "\n"
	  "Final-Recipient: rfc822; a@example.org\n"
	  "Action: failed\n"
	  "Status: 5.2.2\n"
	  "Diagnostic-Code: smtp; 552 5.2.2 mailbox full\n"
	  "\n"
	  "Final-Recipient: rfc822; b@example.org\n"
	  "Action: delayed\n"
	  "Status: 4.4.7\n"
	  "Will-Retry-Until: Tue, 2 Jan 2024 00:00:00 +0000\n"
	  "\n"
	  "Final-Recipient: rfc822; c@example.org\n"
	  "Action: Delivered\n"
	  "Status: 2.0.0\n",
	  "mx.example.net", NULL, 3,
	  { { [A] = "a@example.org", [S] = "5.2.2", [ACT] = "failed", [RC] = "552",
	      [D] = "552 5.2.2 mailbox full" },
	    { [A] = "b@example.org", [S] = "4.4.7", [ACT] = "delayed",
	      [WR] = "Tue, 2 Jan 2024 00:00:00 +0000" },
	    { [A] = "c@example.org", [S] = "2.0.0", [ACT] = "delivered" } },
	  12 },
	/* 2: Action with a comment, Status with a comment */
	{ "Final-Recipient: rfc822; user@example.org\n"
	  "Action: failed (bad destination mailbox address)\n"
	  "Status: 5.1.1 (user unknown)\n",
	  NULL, NULL, 1, { { [A] = "user@example.org", [S] = "5.1.1", [ACT] = "failed" } }, 3 },
	/* 3: Status 5.0.0, the diagnostic is precise */
	{ "Final-Recipient: rfc822; user@example.org\n"
	  "Action: failed\n"
	  "Status: 5.0.0\n"
	  "Diagnostic-Code: smtp; 550 5.1.1 user unknown\n",
	  NULL, NULL, 1,
	  { { [A] = "user@example.org", [S] = "5.1.1", [ACT] = "failed", [RC] = "550",
	      [D] = "550 5.1.1 user unknown" } },
	  4 },
	/* 4: Status 4.0.0 with a 5.x diagnostic keeps its class */
	{ "Final-Recipient: rfc822; user@example.org\n"
	  "Action: delayed\n"
	  "Status: 4.0.0\n"
	  "Diagnostic-Code: smtp; 550 5.1.1 user unknown\n",
	  NULL, NULL, 1,
	  { { [A] = "user@example.org", [S] = "4.0.0", [ACT] = "delayed", [RC] = "550",
	      [D] = "550 5.1.1 user unknown" } },
	  4 },
	/* 5: no Status at all: the diagnostic's code */
	{ "Final-Recipient: rfc822; user@example.org\n"
	  "Action: failed\n"
	  "Diagnostic-Code: smtp; 554 5.7.1 relay denied\n",
	  NULL, NULL, 1,
	  { { [A] = "user@example.org", [S] = "5.7.1", [ACT] = "failed", [RC] = "554",
	      [D] = "554 5.7.1 relay denied" } },
	  3 },
	/* 6: no address type, angle brackets, upper-case action */
	{ "Final-Recipient: <user@example.org>\n"
	  "Action: FAILED\n"
	  "Status: 5.1.1\n",
	  NULL, NULL, 1, { { [A] = "user@example.org", [S] = "5.1.1", [ACT] = "failed" } }, 3 },
	/* 7: RFC 6533 utf-8 address type */
	{ "Final-Recipient: utf-8; j\\x{E9}r\\x{F4}me@example.org\n"
	  "Original-Recipient: utf-8; smile\\x{1F600}@example.org\n"
	  "Action: failed\n"
	  "Status: 5.1.1\n",
	  NULL, NULL, 1,
	  { { [A] = "j\xc3\xa9r\xc3\xb4me@example.org", [O] = "smile\xf0\x9f\x98\x80@example.org",
	      [S] = "5.1.1", [ACT] = "failed" } },
	  4 },
	/* 8: xtext in Original-Recipient (RFC 3461 ORCPT) */
	{ "Final-Recipient: rfc822; user+tag@example.org\n"
	  "Original-Recipient: rfc822; user+2Btag+3Dx@example.org\n"
	  "Action: failed\n"
	  "Status: 5.1.1\n",
	  NULL, NULL, 1,
	  { { [A] = "user+tag@example.org", [O] = "user+tag=x@example.org", [S] = "5.1.1",
	      [ACT] = "failed" } },
	  4 },
	/* 9: multi-line reply "550-5.1.1" (Gmail) */
	{ "Final-Recipient: rfc822; user@gmail.example\n"
	  "Action: failed\n"
	  "Status: 5.1.1\n"
	  "Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does not exist\n",
	  NULL, NULL, 1,
	  { { [A] = "user@gmail.example", [S] = "5.1.1", [ACT] = "failed", [RC] = "550",
	      [D] = "550-5.1.1 The email account that you tried to reach does not exist" } },
	  4 },
	/* 10: X-Postfix diagnostic with the remote reply inside */
	{ "Final-Recipient: rfc822; u@example.org\n"
	  "Action: failed\n"
	  "Status: 5.1.1\n"
	  "Diagnostic-Code: X-Postfix; host mx.example.org[192.0.2.1] said: 550 5.1.1 <u@example.org>: "
	  "Recipient address rejected: User unknown (in reply to RCPT TO command)\n",
	  NULL, NULL, 1,
	  { { [A] = "u@example.org", [S] = "5.1.1", [ACT] = "failed", [RC] = "550",
	      [D] = "host mx.example.org[192.0.2.1] said: 550 5.1.1 <u@example.org>: Recipient "
		    "address rejected: User unknown (in reply to RCPT TO command)" } },
	  4 },
	/* 11: no reply code in a local diagnostic */
	{ "Final-Recipient: rfc822; u@example.org\n"
	  "Action: failed\n"
	  "Status: 5.2.2\n"
	  "Diagnostic-Code: x-unix; mailbox full\n",
	  NULL, NULL, 1,
	  { { [A] = "u@example.org", [S] = "5.2.2", [ACT] = "failed", [D] = "mailbox full" } }, 4 },
	/* 12: Remote-MTA and Reporting-MTA lose their type and comments */
	{ "Reporting-MTA: dns; mx.example.net (Postfix)\n"
	  "Received-From-MTA: dns; client.example.com\n"
	  "\n"
	  "Final-Recipient: rfc822; u@example.org\n"
	  "Action: failed\n"
	  "Status: 5.0.0\n"
	  "Remote-MTA: dns; mx.example.net\n",
	  "mx.example.net", "client.example.com", 1,
	  { { [A] = "u@example.org", [S] = "5.0.0", [ACT] = "failed", [RM] = "mx.example.net" } },
	  6 },
	/* 13: folded Diagnostic-Code (unfolding keeps the white space) */
	{ "Final-Recipient: rfc822; user@example.org\n"
	  "Action: failed\n"
	  "Status: 5.1.1\n"
	  "Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does\n"
	  "    not exist. Please try\n"
	  "\tdouble-checking\n",
	  NULL, NULL, 1,
	  { { [A] = "user@example.org", [S] = "5.1.1", [ACT] = "failed", [RC] = "550",
	      [D] = "550-5.1.1 The email account that you tried to reach does    not exist. Please "
		    "try\tdouble-checking" } },
	  4 },
	/* 14: several blank lines between groups, CRLF */
	{ "Reporting-MTA: dns; mx.example.net\r\n"
	  "\r\n\r\n\r\n"
	  "Final-Recipient: rfc822; a@example.org\r\n"
	  "Action: failed\r\n"
	  "Status: 5.0.0\r\n"
	  "\r\n \r\n\t\r\n"
	  "Final-Recipient: rfc822; b@example.org\r\n"
	  "Action: delayed\r\n"
	  "Status: 4.4.7\r\n"
	  "\r\n\r\n",
	  "mx.example.net", NULL, 2,
	  { { [A] = "a@example.org", [S] = "5.0.0", [ACT] = "failed" },
	    { [A] = "b@example.org", [S] = "4.4.7", [ACT] = "delayed" } },
	  7 },
	/* 15: a group with only Original-Recipient */
	{ "Original-Recipient: rfc822; orig@example.org\n"
	  "Action: failed\n"
	  "Status: 5.1.1\n",
	  NULL, NULL, 1,
	  { { [A] = "orig@example.org", [O] = "orig@example.org", [S] = "5.1.1", [ACT] = "failed" } },
	  3 },
	/* 16: no blank line after the per-message group */
	{ "Reporting-MTA: dns; mx.example.net\n"
	  "Final-Recipient: rfc822; u@example.org\n"
	  "Action: failed\n"
	  "Status: 5.1.1\n",
	  "mx.example.net", NULL, 1, { { [A] = "u@example.org", [S] = "5.1.1", [ACT] = "failed" } },
	  4 },
	/* 17: a per-message group only */
	{ "Reporting-MTA: dns; mx.example.net\n\n", "mx.example.net", NULL, 0, { { 0 } }, 1 },
	/* 18: garbage */
	{ "hello world\nthis is not a delivery status\n\x01\x02\xff\xfe\n", NULL, NULL, 0,
	  { { 0 } }, 0 },
	/* 19-20: empty and blank-only */
	{ "", NULL, NULL, 0, { { 0 } }, 0 },
	{ "\n\r\n \n\t\n", NULL, NULL, 0, { { 0 } }, 0 },
	/* 21: CR-only line ends */
	{ "Reporting-MTA: dns; mx.example.net\r\rFinal-Recipient: rfc822; u@example.org\r"
	  "Action: failed\rStatus: 5.1.1\r",
	  "mx.example.net", NULL, 1, { { [A] = "u@example.org", [S] = "5.1.1", [ACT] = "failed" } },
	  4 },
	/* 22: Exchange "#5.1.1" style Status and Latin-1 in the diagnostic */
	{ "Final-Recipient: rfc822;u@example.org\n"
	  "Action: failed\n"
	  "Status: 5.1.10\n"
	  "Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Empf\xe4nger nicht "
	  "gefunden\n",
	  NULL, NULL, 1,
	  { { [A] = "u@example.org", [S] = "5.1.10", [ACT] = "failed", [RC] = "550",
	      [D] = "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Empf\xc3\xa4nger nicht gefunden" } },
	  4 },
	/* 23: Status field that holds no code at all */
	{ "Final-Recipient: rfc822; u@example.org\n"
	  "Action: failed\n"
	  "Status: unknown\n",
	  NULL, NULL, 1, { { [A] = "u@example.org", [ACT] = "failed" } }, 3 },
	/* 24: an empty action and an empty address */
	{ "Final-Recipient: rfc822; <>\n"
	  "Action: (nothing)\n",
	  NULL, NULL, 1, { { [A] = "" } }, 2 },
	/* 25: Final-Recipient is no xtext (RFC 3464 section 2.3.2): a "+tag"
	 * that looks like hex stays as it is */
	{ "Final-Recipient: rfc822; user+abc@example.org\n"
	  "Action: failed\n"
	  "Status: 5.1.1\n",
	  NULL, NULL, 1, { { [A] = "user+abc@example.org", [S] = "5.1.1", [ACT] = "failed" } }, 3 },
	/* 26: xtext only encodes '+', '=' and non-printable ASCII (RFC 3461
	 * section 4): "+4a" is a sub-address, not an encoded 'J' */
	{ "Final-Recipient: rfc822; john+4all@example.org\n"
	  "Original-Recipient: rfc822; john+4all@example.org\n"
	  "Action: failed\n"
	  "Status: 5.1.1\n",
	  NULL, NULL, 1,
	  { { [A] = "john+4all@example.org", [O] = "john+4all@example.org", [S] = "5.1.1",
	      [ACT] = "failed" } },
	  4 },
	/* 27: a "group" of lines that are no fields between two real groups
	 * (bsc_dsn_parse then copies zero fields from a NULL array) */
	{ "Reporting-MTA: dns; mx.example.net\n"
	  "\n"
	  "This is not a field.\n"
	  "\n"
	  "Final-Recipient: rfc822; u@example.org\n"
	  "Action: failed\n"
	  "Status: 5.1.1\n",
	  "mx.example.net", NULL, 1, { { [A] = "u@example.org", [S] = "5.1.1", [ACT] = "failed" } },
	  4 },
};

static void
test_dsn_parse_table (void **state)
{
	begin_rows ();
	(void) state;
	size_t limits[BSC_LIMIT_COUNT];

	default_limits (limits);
	for (size_t i = 0; i < N_ELEM (dsn_rows); i++) {
		const dsn_row_t *row = &dsn_rows[i];
		bsc_result_t *r = bsc_result_new ();
		bsc_fields_t all = { 0 };

		assert_non_null (r);
		bsc_dsn_parse (r, row->body, strlen (row->body), limits, &all);
		check_str (i, "reporting_mta", r->reporting_mta, row->reporting_mta);
		check_str (i, "received_from_mta", r->received_from_mta, row->received_from_mta);
		check_int (i, "recipients", (long long) r->n_rcpts, (long long) row->n);
		for (size_t k = 0; k < row->n && k < r->n_rcpts; k++)
			for (int f = 0; f < BSC_RCPT_FIELD_COUNT; f++) {
				char what[64];
				snprintf (what, sizeof (what), "recipient %zu %s", k, rcpt_names[f]);
				check_str (i, what, r->rcpts[k].f[f], row->r[k][f]);
			}
		check_int (i, "fields for the rules", (long long) all.n, (long long) row->n_all);
		check_int (i, "notes", (long long) r->n_notes, 0);
		bsc_result_free (r);
	}
	end_rows ();
}

static void
test_dsn_all_fields (void **state)
{
	(void) state;
	size_t limits[BSC_LIMIT_COUNT];
	bsc_result_t *r = bsc_result_new ();
	bsc_fields_t all = { 0 };
	const char *body = dsn_rows[0].body;

	default_limits (limits);
	bsc_dsn_parse (r, body, strlen (body), limits, &all);
	/* Every field of every group, in order, raw. */
	assert_int_equal (all.n, 10);
	assert_true (bsc_str_ieq (all.v[0].name, "Reporting-MTA"));
	assert_true (bsc_str_ieq (all.v[0].value, "dns; mx.example.net"));
	assert_true (bsc_str_ieq (all.v[3].name, "Final-Recipient"));
	assert_true (bsc_str_ieq (all.v[9].name, "Last-Attempt-Date"));
	assert_non_null (bsc_fields_find (&all, "x-postfix-queue-id"));
	/* @all accumulates over several calls. */
	bsc_dsn_parse (r, body, strlen (body), limits, &all);
	assert_int_equal (all.n, 20);
	/* The first Reporting-MTA stays. */
	assert_string_equal (r->reporting_mta, "mx.example.net");
	assert_int_equal (r->n_rcpts, 2);
	bsc_result_free (r);
}

/* A report of @groups per-recipient groups. */
static char *
make_report (size_t groups, size_t *len)
{
	size_t cap = 64 + groups * 100, n = 0;
	char *s = malloc (cap);

	assert_non_null (s);
	n += (size_t) snprintf (s + n, cap - n, "Reporting-MTA: dns; mx.example.net\n\n");
	for (size_t i = 0; i < groups; i++)
		n += (size_t) snprintf (s + n, cap - n,
					"Final-Recipient: rfc822; u%zu@example.org\nAction: failed\n"
					"Status: 5.1.1\n\n",
					i);
	*len = n;
	return s;
}

static void
test_dsn_recipient_limit (void **state)
{
	(void) state;
	size_t limits[BSC_LIMIT_COUNT], len;
	char *body = make_report (5, &len);
	bsc_result_t *r = bsc_result_new ();
	bsc_fields_t all = { 0 };

	default_limits (limits);
	limits[BSC_LIMIT_RECIPIENTS] = 2;
	bsc_dsn_parse (r, body, len, limits, &all);
	assert_int_equal (r->n_rcpts, 2);
	assert_string_equal (r->rcpts[0].f[BSC_RCPT_ADDRESS], "u0@example.org");
	assert_string_equal (r->rcpts[1].f[BSC_RCPT_ADDRESS], "u1@example.org");
	assert_true (has_note (r, "limit: recipients"));
	assert_int_equal (r->n_notes, 1);
	assert_string_equal (r->reporting_mta, "mx.example.net");
	bsc_result_free (r);

	/* Exactly at the limit: no note. */
	r = bsc_result_new ();
	all = (bsc_fields_t) { 0 };
	limits[BSC_LIMIT_RECIPIENTS] = 5;
	bsc_dsn_parse (r, body, len, limits, &all);
	assert_int_equal (r->n_rcpts, 5);
	assert_int_equal (r->n_notes, 0);
	bsc_result_free (r);
	free (body);
}

static void
test_dsn_header_limit (void **state)
{
	(void) state;
	size_t limits[BSC_LIMIT_COUNT];
	const char body[] = "Final-Recipient: rfc822; u@example.org\nAction: failed\nStatus: 5.1.1\n"
			    "X-A: 1\nX-B: 2\n";
	bsc_result_t *r = bsc_result_new ();
	bsc_fields_t all = { 0 };

	default_limits (limits);
	limits[BSC_LIMIT_HEADERS] = 3;
	bsc_dsn_parse (r, body, strlen (body), limits, &all);
	assert_true (has_note (r, "limit: headers"));
	assert_int_equal (r->n_rcpts, 1);
	assert_string_equal (r->rcpts[0].f[BSC_RCPT_STATUS], "5.1.1");
	assert_int_equal (all.n, 3);
	bsc_result_free (r);

	/* A value longer than the byte limit is cut. */
	r = bsc_result_new ();
	all = (bsc_fields_t) { 0 };
	default_limits (limits);
	limits[BSC_LIMIT_HEADER_BYTES] = 10;
	const char body2[] = "Final-Recipient:rfc822;a@example.org\nDiagnostic-Code:smtp;550 5.1.1 long\n";
	bsc_dsn_parse (r, body2, strlen (body2), limits, &all);
	assert_int_equal (r->n_rcpts, 1);
	assert_string_equal (r->rcpts[0].f[BSC_RCPT_ADDRESS], "a@e");
	assert_string_equal (r->rcpts[0].f[BSC_RCPT_DIAGNOSTIC], "550 5");
	assert_string_equal (r->rcpts[0].f[BSC_RCPT_REPLY_CODE], "550");
	bsc_result_free (r);
}

static void
test_dsn_many_groups (void **state)
{
	(void) state;
	size_t limits[BSC_LIMIT_COUNT], len;
	char *body = make_report (2500, &len);
	bsc_result_t *r = bsc_result_new ();
	bsc_fields_t all = { 0 };

	default_limits (limits);
	bsc_dsn_parse (r, body, len, limits, &all);
	assert_int_equal (r->n_rcpts, limits[BSC_LIMIT_RECIPIENTS]);
	assert_string_equal (r->rcpts[999].f[BSC_RCPT_ADDRESS], "u999@example.org");
	assert_true (has_note (r, "limit: recipients"));
	/* The fields kept for the rules are bounded too. */
	assert_true (all.n <= limits[BSC_LIMIT_HEADERS]);
	bsc_result_free (r);

	/* With room for all of them. */
	r = bsc_result_new ();
	all = (bsc_fields_t) { 0 };
	limits[BSC_LIMIT_RECIPIENTS] = 10000;
	bsc_dsn_parse (r, body, len, limits, &all);
	assert_int_equal (r->n_rcpts, 2500);
	assert_string_equal (r->rcpts[2499].f[BSC_RCPT_ADDRESS], "u2499@example.org");
	assert_int_equal (r->n_notes, 0);
	bsc_result_free (r);
	free (body);
}

static void
test_dsn_not_terminated (void **state)
{
	(void) state;
	size_t limits[BSC_LIMIT_COUNT];
	/* A body in a heap buffer of its exact size (no NUL): ASan/valgrind
	 * catch any read past @len. */
	const char text[] = "Final-Recipient: rfc822; u@example.org\nAction: failed\nStatus: 5.1.1\n"
			    "Diagnostic-Code: smtp; 550";
	size_t len = strlen (text);
	char *body = malloc (len);
	bsc_result_t *r = bsc_result_new ();
	bsc_fields_t all = { 0 };

	memcpy (body, text, len);
	default_limits (limits);
	bsc_dsn_parse (r, body, len, limits, &all);
	assert_int_equal (r->n_rcpts, 1);
	assert_string_equal (r->rcpts[0].f[BSC_RCPT_REPLY_CODE], "550");
	/* Every prefix of it. */
	for (size_t n = 0; n <= len; n++) {
		bsc_result_t *r2 = bsc_result_new ();
		bsc_fields_t all2 = { 0 };
		char *cut = malloc (n ? n : 1);
		memcpy (cut, text, n);
		bsc_dsn_parse (r2, cut, n, limits, &all2);
		assert_true (r2->n_rcpts <= 1);
		free (cut);
		bsc_result_free (r2);
	}
	free (body);
	bsc_result_free (r);
}

static void
test_dsn_garbage (void **state)
{
	(void) state;
	size_t limits[BSC_LIMIT_COUNT];
	unsigned seed = 12345;

	default_limits (limits);
	/* Pseudo-random bytes biased towards the syntax that matters. */
	static const char alphabet[] = "Final-Recipient:Action;Status 5.1.1\\x{+2B}()<>@\r\n\t \0\xff";
	for (int round = 0; round < 200; round++) {
		size_t len = (size_t) (seed % 2000);
		char *buf = malloc (len ? len : 1);
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = alphabet[(seed >> 16) % (sizeof (alphabet) - 1)];
		}
		bsc_result_t *r = bsc_result_new ();
		bsc_fields_t all = { 0 };
		bsc_dsn_parse (r, buf, len, limits, &all);
		for (size_t k = 0; k < r->n_rcpts; k++)
			for (int f = 0; f < BSC_RCPT_FIELD_COUNT; f++)
				if (r->rcpts[k].f[f])
					assert_true (bsc_utf8_valid (r->rcpts[k].f[f],
								     strlen (r->rcpts[k].f[f])));
		bsc_result_free (r);
		free (buf);
	}
}

/* ------------------------------------------------------- code finders */

static const struct {
	const char *in;
	const char *status; /* NULL: none */
} status_rows[] = {
	{ "5.1.1", "5.1.1" },
	{ "4.4.7", "4.4.7" },
	{ "2.0.0 (success)", "2.0.0" },
	{ "5.7.26", "5.7.26" },
	{ "smtp; 550 5.7.26 Unauthenticated email", "5.7.26" },
	{ "5.1.10", "5.1.10" },
	{ "550-5.1.1 The email account", "5.1.1" },
	{ "#5.1.1 smtp;550", "5.1.1" },
	{ "(5.2.2)", "5.2.2" },
	{ "5.1.1.", "5.1.1" },
	{ "host 192.0.2.1 said 5.4.1 no", "5.4.1" },
	{ "5.123.456", "5.123.456" },
	/* not a status code */
	{ "5.1.1.1", NULL },        /* inside a longer dotted number */
	{ "192.0.2.1", NULL },
	{ "2.5.4.3", NULL },        /* an OID */
	{ "10.5.1.1", NULL },
	{ "version 15.2.1", NULL },
	{ "3.1.1", NULL },          /* no class 3 */
	{ "1.0.0", NULL },
	{ "5.1", NULL },
	{ "5..1", NULL },
	{ "5.1.", NULL },
	{ "5.1234.1", NULL },
	{ "5.1.1234", NULL },
	{ "", NULL },
	{ "failed", NULL },
};

static void
test_status_find_table (void **state)
{
	begin_rows ();
	(void) state;
	for (size_t i = 0; i < N_ELEM (status_rows); i++) {
		bsc_str_t got = bsc_status_find ((bsc_str_t) { status_rows[i].in,
							      strlen (status_rows[i].in) });
		char buf[64] = "";
		if (got.len)
			snprintf (buf, sizeof (buf), "%.*s", (int) got.len, got.ptr);
		check_str (i, status_rows[i].in, got.len ? buf : NULL, status_rows[i].status);
		if (got.len) /* a view into the input */
			check_int (i, "in input", got.ptr >= status_rows[i].in &&
						  got.ptr < status_rows[i].in + strlen (status_rows[i].in),
				   1);
	}
	/* A view that is not NUL-terminated: "5.1.1" cut to "5.1." */
	assert_int_equal (bsc_status_find ((bsc_str_t) { "5.1.1", 4 }).len, 0);
	assert_int_equal (bsc_status_find ((bsc_str_t) { "5.1.12", 5 }).len, 5);
	end_rows ();
}

static const struct {
	const char *in;
	const char *code;
} reply_rows[] = {
	{ "550 5.1.1 user unknown", "550" },
	{ "550-5.1.1 The email account", "550" },
	{ "smtp; 550 5.1.1", "550" },
	{ "smtp;550 5.1.1", "550" },
	{ "250 ok", "250" },
	{ "421", "421" },
	{ "(552)", "552" },
	{ "#550 5.1.1", "550" },
	{ "host mx.example.org[192.0.2.1] said: 550 5.1.1 <u@x>", "550" },
	{ "host [203.0.113.5] said: 421 try later", "421" },
	{ "550\t5.1.1", "550" },
	/* none */
	{ "1234", NULL },
	{ "5500 x", NULL },
	{ "192.0.2.1", NULL },
	{ "x-unix; mailbox full", NULL },
	{ "650 x", NULL },
	{ "560 x", NULL },
	{ "5.5.0", NULL },
	{ "id 12345 queued", NULL },
	{ "port 2525", NULL },
	{ "", NULL },
	{ "55", NULL },
};

static void
test_reply_code_find_table (void **state)
{
	begin_rows ();
	(void) state;
	for (size_t i = 0; i < N_ELEM (reply_rows); i++) {
		bsc_str_t got = bsc_reply_code_find ((bsc_str_t) { reply_rows[i].in,
								  strlen (reply_rows[i].in) });
		char buf[8] = "";
		if (got.len)
			snprintf (buf, sizeof (buf), "%.*s", (int) got.len, got.ptr);
		check_str (i, reply_rows[i].in, got.len ? buf : NULL, reply_rows[i].code);
	}
	/* Only @len bytes count. */
	assert_int_equal (bsc_reply_code_find ((bsc_str_t) { "5501", 3 }).len, 3);
	assert_int_equal (bsc_reply_code_find ((bsc_str_t) { "550", 2 }).len, 0);
	end_rows ();
}

int
main (void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test (test_dsn_parse_table),
		cmocka_unit_test (test_dsn_all_fields),
		cmocka_unit_test (test_dsn_recipient_limit),
		cmocka_unit_test (test_dsn_header_limit),
		cmocka_unit_test (test_dsn_many_groups),
		cmocka_unit_test (test_dsn_not_terminated),
		cmocka_unit_test (test_dsn_garbage),
		cmocka_unit_test (test_status_find_table),
		cmocka_unit_test (test_reply_code_find_table),
	};

	return cmocka_run_group_tests (tests, NULL, NULL);
}
