/*
 * test-classify.c - the public API end to end: bytes in, result out.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <cmocka.h>

#include <glib.h>

#include "bsclass.h"
#include "bsclass-gmime.h"
#include "bsc-private.h"

static bsc_engine_t *engine;

/* An engine with the shipped rules ($BSC_RULES, else ./rules) and the
 * site rule file @site (NULL: none), or NULL. */
static bsc_engine_t *
shipped_engine (const char *site)
{
	bsc_options_t *o = bsc_options_new ();
	const char *rules = getenv ("BSC_RULES");
	bsc_engine_t *e = NULL;
	bsc_error_t err;

	bsc_options_set_rules_dir (o, rules ? rules : "rules");
	if (site)
		bsc_options_add_rules_file (o, site);
	if (bsc_engine_new (o, &e, &err) != BSC_OK)
		print_error ("engine: %s:%d:%d: %s\n", err.source, err.line, err.column, err.text);
	bsc_options_free (o);
	return e;
}

static int
setup (void **state)
{
	return (engine = shipped_engine (NULL)) ? 0 : -1;
}

static int
teardown (void **state)
{
	bsc_engine_free (engine);
	return 0;
}

static bsc_result_t *
classify (const char *msg)
{
	bsc_result_t *r = NULL;
	bsc_status_t st = bsc_classify (engine, msg, strlen (msg), &r);

	if (st != BSC_OK)
		print_error ("bsc_classify: %s\n", bsc_strerror (st));
	assert_int_equal (st, BSC_OK);
	assert_non_null (r);
	return r;
}

#define DSN_HEAD                                                                          \
	"Return-Path: <>\n"                                                               \
	"From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\n"                     \
	"To: alice@example.com\n"                                                         \
	"Subject: Undelivered Mail Returned to Sender\n"                                  \
	"Message-ID: <report-1@mx.example.net>\n"                                         \
	"MIME-Version: 1.0\n"                                                             \
	"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n" \
	"--B\n"                                                                           \
	"Content-Type: text/plain\n\n"                                                    \
	"I'm sorry to have to inform you that your message could not be delivered.\n\n"   \
	"--B\n"                                                                           \
	"Content-Type: message/delivery-status\n\n"                                       \
	"Reporting-MTA: dns; mx.example.net\n"                                            \
	"Arrival-Date: Mon, 2 Nov 2026 10:00:00 +0100\n\n"                                \
	"Final-Recipient: rfc822; bob@example.org\n"                                      \
	"Original-Recipient: rfc822;bob@example.org\n"                                    \
	"Action: failed\n"                                                                \
	"Status: 5.1.1\n"                                                                 \
	"Remote-MTA: dns; mx.example.org\n"                                               \
	"Diagnostic-Code: smtp; 550 5.1.1 <bob@example.org>: Recipient address\n"        \
	"    rejected: User unknown in virtual mailbox table\n\n"                         \
	"Final-Recipient: rfc822; carol@example.org\n"                                    \
	"Action: delayed\n"                                                               \
	"Status: 4.4.1\n\n"

static const char orig_headers[] =
	"Received: from helo.example.com (out1.example.com [192.0.2.10])\n"
	"\tby mx.example.net (Postfix) with ESMTPS id 4AB;\n\tMon, 2 Nov 2026 10:00:00 +0100\n"
	"Message-ID: <orig-42@example.com>\n"
	"From: Alice Example <alice@example.com>\n"
	"To: bob@example.org\n"
	"Subject: =?ISO-8859-1?Q?Gr=FC=DFe?=\n"
	"Date: Mon, 2 Nov 2026 09:59:00 +0100\n\n";

static void
check_dsn (bsc_result_t *r)
{
	assert_int_equal (bsc_result_kind (r), BSC_KIND_BOUNCE);
	assert_string_equal (bsc_result_report_type (r), "delivery-status");
	assert_string_equal (bsc_result_reporting_mta (r), "mx.example.net");
	assert_string_equal (bsc_result_message_id (r), "<report-1@mx.example.net>");
	assert_int_equal (bsc_result_recipient_count (r), 2);
	assert_string_equal (bsc_result_recipient (r, 0, BSC_RCPT_ADDRESS), "bob@example.org");
	assert_string_equal (bsc_result_recipient (r, 0, BSC_RCPT_ORIGINAL_RECIPIENT), "bob@example.org");
	assert_string_equal (bsc_result_recipient (r, 0, BSC_RCPT_STATUS), "5.1.1");
	assert_string_equal (bsc_result_recipient (r, 0, BSC_RCPT_ACTION), "failed");
	assert_string_equal (bsc_result_recipient (r, 0, BSC_RCPT_REPLY_CODE), "550");
	assert_string_equal (bsc_result_recipient (r, 0, BSC_RCPT_REMOTE_MTA), "mx.example.org");
	assert_non_null (strstr (bsc_result_recipient (r, 0, BSC_RCPT_DIAGNOSTIC),
				 "rejected: User unknown"));
	assert_string_equal (bsc_result_recipient (r, 1, BSC_RCPT_ACTION), "delayed");
	assert_string_equal (bsc_result_recipient (r, 1, BSC_RCPT_STATUS), "4.4.1");
	assert_null (bsc_result_recipient (r, 1, BSC_RCPT_REPLY_CODE));
	assert_null (bsc_result_recipient (r, 2, BSC_RCPT_ADDRESS));
}

static void
check_original (bsc_result_t *r)
{
	assert_true (bsc_result_has_original (r));
	assert_string_equal (bsc_result_original (r, BSC_ORIG_MESSAGE_ID), "<orig-42@example.com>");
	assert_string_equal (bsc_result_original (r, BSC_ORIG_FROM), "Alice Example <alice@example.com>");
	assert_string_equal (bsc_result_original (r, BSC_ORIG_SUBJECT), "Gr\xc3\xbc\xc3\x9f" "e");
	assert_int_equal (bsc_result_relay_count (r), 1);
	assert_string_equal (bsc_result_relay (r, 0, BSC_RELAY_IP), "192.0.2.10");
	assert_string_equal (bsc_result_relay (r, 0, BSC_RELAY_RDNS), "out1.example.com");
	assert_string_equal (bsc_result_relay (r, 0, BSC_RELAY_HELO), "helo.example.com");
	assert_string_equal (bsc_result_relay (r, 0, BSC_RELAY_BY), "mx.example.net");
}

static char *
concat (const char *a, const char *b, const char *c, const char *d)
{
	size_t n = strlen (a) + strlen (b) + strlen (c) + strlen (d) + 1;
	char *s = malloc (n);

	assert_non_null (s);
	strcpy (s, a);
	strcat (s, b);
	strcat (s, c);
	strcat (s, d);
	return s;
}

/* The embedded original in each of the forms a report may carry it. */
static void
test_original_forms (void **state)
{
	static const char *const heads[] = {
		"--B\nContent-Type: message/rfc822\n\n",
		"--B\nContent-Type: text/rfc822-headers\n\n",
		"--B\nContent-Type: message/global-headers\n\n",
	};
	for (size_t i = 0; i < sizeof (heads) / sizeof (heads[0]); i++) {
		char *msg = concat (DSN_HEAD, heads[i], orig_headers, "Body.\n--B--\n");
		bsc_result_t *r = classify (msg);
		check_dsn (r);
		check_original (r);
		bsc_result_free (r);
		free (msg);
	}
}

/* GMime leaves a base64 message/rfc822 opaque; its headers still count. */
static void
test_original_base64 (void **state)
{
	gsize n = strlen (orig_headers);
	gchar *b64 = g_base64_encode ((const guchar *) orig_headers, n);
	char *msg = concat (DSN_HEAD, "--B\nContent-Type: message/rfc822\n"
				      "Content-Transfer-Encoding: base64\n\n",
			    b64, "\n--B--\n");
	bsc_result_t *r = classify (msg);

	check_dsn (r);
	check_original (r);
	bsc_result_free (r);
	free (msg);
	g_free (b64);
}

static char *
replace_all (const char *s, char from, const char *to)
{
	size_t n = 0, tl = strlen (to);
	for (const char *p = s; *p; p++)
		n += *p == from ? tl : 1;
	char *out = malloc (n + 1), *o = out;
	assert_non_null (out);
	for (const char *p = s; *p; p++) {
		if (*p == from) {
			memcpy (o, to, tl);
			o += tl;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

static void
test_line_ends (void **state)
{
	char *lf = concat (DSN_HEAD, "--B\nContent-Type: message/rfc822\n\n", orig_headers, "x\n--B--\n");
	const char *ends[] = { "\r\n", "\r" };

	for (size_t i = 0; i < 2; i++) {
		char *msg = replace_all (lf, '\n', ends[i]);
		bsc_result_t *r = classify (msg);
		check_dsn (r);
		check_original (r);
		bsc_result_free (r);
		free (msg);
	}
	free (lf);
}

/* Undeclared 8-bit text comes out as UTF-8 (read as Windows-1252). */
static void
test_latin1_diagnostic (void **state)
{
	const char *msg =
		"From: postmaster@example.net\nContent-Type: multipart/report; "
		"report-type=delivery-status; boundary=B\n\n--B\nContent-Type: message/delivery-status\n\n"
		"Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; j@example.org\n"
		"Action: failed\nStatus: 5.2.2\nDiagnostic-Code: smtp; 552 Bo\xeete pleine\n\n--B--\n";
	bsc_result_t *r = classify (msg);

	assert_string_equal (bsc_result_recipient (r, 0, BSC_RCPT_DIAGNOSTIC), "552 Bo\xc3\xaete pleine");
	assert_string_equal (bsc_result_recipient (r, 0, BSC_RCPT_STATUS), "5.2.2");
	bsc_result_free (r);
}

struct kind_case {
	const char *name;
	const char *msg;
	bsc_kind_t kind;
	size_t rcpts;
};

static const struct kind_case kind_cases[] = {
	{ "success DSN is normal",
	  "From: MAILER-DAEMON@example.net\nContent-Type: multipart/report; report-type=delivery-status;"
	  " boundary=B\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; example.net\n\n"
	  "Final-Recipient: rfc822; a@example.org\nAction: delivered\nStatus: 2.0.0\n\n"
	  "Final-Recipient: rfc822; b@example.org\nAction: relayed\nStatus: 2.0.0\n\n--B--\n",
	  BSC_KIND_NORMAL, 2 },
	{ "ARF report is normal",
	  "From: abuse@example.net\nContent-Type: multipart/report; report-type=feedback-report; boundary=B\n\n"
	  "--B\nContent-Type: text/plain\n\nThis is an abuse report.\n--B\n"
	  "Content-Type: message/feedback-report\n\nFeedback-Type: abuse\nVersion: 1\n\n--B\n"
	  "Content-Type: message/rfc822\n\nMessage-ID: <spam@example.com>\nFrom: a@example.com\n\nbuy\n--B--\n",
	  BSC_KIND_NORMAL, 0 },
	{ "MDN is normal",
	  "From: bob@example.org\nContent-Type: multipart/report; report-type=disposition-notification;"
	  " boundary=B\n\n--B\nContent-Type: text/plain\n\nYour message was displayed.\n--B\n"
	  "Content-Type: message/disposition-notification\n\nFinal-Recipient: rfc822; bob@example.org\n"
	  "Disposition: manual-action/MDN-sent-manually; displayed\n\n--B--\n",
	  BSC_KIND_NORMAL, 0 },
	{ "plain human mail is normal",
	  "From: Alice <alice@example.com>\nTo: bob@example.org\nSubject: lunch\n\nUndelivered Mail Returned "
	  "to Sender is what I got yesterday, funny.\n",
	  BSC_KIND_NORMAL, 0 },
	{ "delay-only DSN is a bounce",
	  "From: MAILER-DAEMON@example.net\nContent-Type: multipart/report; report-type=delivery-status;"
	  " boundary=B\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; example.net\n\n"
	  "Final-Recipient: rfc822; a@example.org\nAction: delayed\nStatus: 4.4.1\n\n--B--\n",
	  BSC_KIND_BOUNCE, 1 },
	{ "headers only",
	  "Subject: hi\nFrom: a@example.com\n", BSC_KIND_NORMAL, 0 },
};

static void
test_kinds (void **state)
{
	for (size_t i = 0; i < sizeof (kind_cases) / sizeof (kind_cases[0]); i++) {
		bsc_result_t *r = classify (kind_cases[i].msg);
		if (bsc_result_kind (r) != kind_cases[i].kind ||
		    bsc_result_recipient_count (r) != kind_cases[i].rcpts)
			fail_msg ("%s: kind %s with %zu recipients", kind_cases[i].name,
				  bsc_kind_name (bsc_result_kind (r)), bsc_result_recipient_count (r));
		bsc_result_free (r);
	}
}

static void
test_bad_input (void **state)
{
	bsc_result_t *r = (bsc_result_t *) 1;
	static const char garbage[] = "\x00\x01\x02\xff\xfe binary \x00 stuff";

	assert_int_equal (bsc_classify (engine, "", 0, &r), BSC_EPARSE);
	assert_null (r);
	assert_int_equal (bsc_classify (engine, garbage, sizeof (garbage), &r), BSC_EPARSE);
	assert_int_equal (bsc_classify (engine, "From x\n", 7, &r), BSC_EPARSE);
	assert_int_equal (bsc_classify (NULL, "a: b\n", 5, &r), BSC_EINVAL);
	assert_int_equal (bsc_classify (engine, NULL, 5, &r), BSC_EINVAL);
	assert_int_equal (bsc_classify (engine, "a: b\n", 5, NULL), BSC_EINVAL);
	/* Not NUL-terminated: only @len bytes are read. */
	char buf[8] = { 'A', ':', ' ', 'b', '\n', 'X', 'X', 'X' };
	assert_int_equal (bsc_classify (engine, buf, 5, &r), BSC_OK);
	bsc_result_free (r);
	bsc_result_free (NULL);
	for (int s = BSC_OK; s <= BSC_ELIMIT + 1; s++)
		assert_non_null (bsc_strerror ((bsc_status_t) s));
}

static void
test_engine_errors (void **state)
{
	bsc_options_t *o = bsc_options_new ();
	bsc_engine_t *e = (bsc_engine_t *) 1;
	bsc_error_t err;

	assert_int_equal (bsc_options_set_limit (o, BSC_LIMIT_PARTS, 0), BSC_EINVAL);
	assert_int_equal (bsc_options_set_limit (o, BSC_LIMIT_COUNT, 5), BSC_EINVAL);
	assert_int_equal (bsc_options_get_limit (o, BSC_LIMIT_MIME_DEPTH), 16);
	bsc_options_set_rules_dir (o, "/nonexistent/rules");
	assert_int_equal (bsc_engine_new (o, &e, &err), BSC_EIO);
	assert_null (e);
	assert_string_equal (err.source, "/nonexistent/rules");
	assert_int_equal (bsc_engine_new (o, NULL, NULL), BSC_EINVAL);
	bsc_options_free (o);
	bsc_engine_free (NULL);
	assert_string_equal (bsc_version (), "0.1.0");
	assert_true (BSC_CHECK_VERSION (0, 1, 0));
}

/* A limit reached is a note, never a failure. */
static void
test_limits (void **state)
{
	bsc_options_t *o = bsc_options_new ();
	const char *rules = getenv ("BSC_RULES");
	bsc_engine_t *e;
	bsc_result_t *r;
	char *msg = concat (DSN_HEAD, "--B--\n", "", "");

	bsc_options_set_rules_dir (o, rules ? rules : "rules");
	bsc_options_set_limit (o, BSC_LIMIT_RECIPIENTS, 1);
	assert_int_equal (bsc_engine_new (o, &e, NULL), BSC_OK);
	assert_int_equal (bsc_classify (e, msg, strlen (msg), &r), BSC_OK);
	assert_int_equal (bsc_result_recipient_count (r), 1);
	assert_int_equal (bsc_result_note_count (r), 1);
	assert_string_equal (bsc_result_note (r, 0), "limit: recipients");
	bsc_result_free (r);
	bsc_engine_free (e);
	bsc_options_free (o);
	free (msg);
}

/* Embedders with a parsed GMimeMessage get the same answer. */
static void
test_gmime_entry (void **state)
{
	char *msg = concat (DSN_HEAD, "--B\nContent-Type: message/rfc822\n\n", orig_headers, "x\n--B--\n");
	GMimeStream *s = g_mime_stream_mem_new_with_buffer (msg, strlen (msg));
	GMimeParser *p = g_mime_parser_new_with_stream (s);
	GMimeMessage *m = g_mime_parser_construct_message (p, NULL);
	bsc_result_t *r;

	assert_non_null (m);
	assert_int_equal (bsc_classify_gmime (engine, m, &r), BSC_OK);
	check_dsn (r);
	check_original (r);
	bsc_result_free (r);
	assert_int_equal (bsc_classify_gmime (engine, NULL, &r), BSC_EINVAL);
	g_object_unref (m);
	g_object_unref (p);
	g_object_unref (s);
	free (msg);
}

/*
 * The pre-scan hands GMime an embedded message's header block only (the
 * walk reads nothing else of it): the quoted original's own multipart
 * body is gone, the report's structure and every answer stay.
 */
static void
test_prescan_embedded (void **state)
{
	static const char orig_body[] =
		"Content-Type: multipart/mixed; boundary=\"IN\"\n\n"
		"--IN\nContent-Type: text/plain\n\nUndelivered Mail Returned to Sender\n"
		"--IN\nContent-Type: message/delivery-status\n\nAction: failed\n--IN--\n";
	/* The original's fields, its blank line left for after its Content-Type. */
	char *fields = strndup (orig_headers, strlen (orig_headers) - 1);
	char *head = concat (DSN_HEAD, "--B\nContent-Type: message/rfc822\n\n", fields, "");
	char *full = concat (head, orig_body, "--B--\nepilogue\n", "");
	char *bare = concat (head, "Content-Type: multipart/mixed; boundary=\"IN\"\n\n",
			     "--B--\nepilogue\n", "");
	bsc_result_t *r = bsc_result_new ();
	size_t len;
	bool nomem;
	char *cut;

	assert_non_null (r);
	cut = bsc_prescan (full, strlen (full), engine->limits, r, NULL, &len, &nomem);
	assert_false (nomem);
	assert_non_null (cut);
	assert_int_equal (len, strlen (bare));
	assert_memory_equal (cut, bare, len);
	free (cut);
	/* With a place to keep it, the block goes there and GMime gets a
	 * leaf naming it instead of the message. */
	bsc_blocks_t kept = { .type = engine->block_type };
	cut = bsc_prescan (full, strlen (full), engine->limits, r, &kept, &len, &nomem);
	assert_non_null (cut);
	assert_int_equal (kept.n, 1);
	const char ct[] = "Content-Type: multipart/mixed; boundary=\"IN\"\n\n";
	assert_int_equal (kept.v[0].text.len, strlen (fields) + strlen (ct));
	assert_memory_equal (kept.v[0].text.ptr, fields, strlen (fields));
	assert_memory_equal (kept.v[0].text.ptr + strlen (fields), ct, strlen (ct));
	char *gm = strndup (cut, len), *leaf = NULL;
	assert_true (asprintf (&leaf, "--B\nContent-Type: text/%s; n=0\n\n--B--\n", engine->block_type) > 0);
	assert_non_null (strstr (gm, leaf));
	free (leaf);
	assert_null (strstr (gm, "orig-42"));
	free (gm);
	free (cut);
	/* Nothing embedded: nothing to cut, GMime reads the message itself. */
	assert_null (bsc_prescan (orig_headers, strlen (orig_headers), engine->limits, r, NULL, &len,
				  &nomem));
	bsc_result_free (r);

	bsc_result_t *a = classify (full), *b = classify (bare);
	char *ja, *jb;
	assert_int_equal (bsc_result_to_json (a, NULL, -1, &ja), BSC_OK);
	assert_int_equal (bsc_result_to_json (b, NULL, -1, &jb), BSC_OK);
	assert_string_equal (ja, jb);
	check_dsn (a);
	check_original (a);
	bsc_free (ja);
	bsc_free (jb);
	bsc_result_free (a);
	bsc_result_free (b);

	/* A block that is not plain goes to GMime whole (its first field is
	 * read); a leaf of the pre-scan's type in the mail itself names no
	 * kept block and is no original. */
	char *forged = concat (DSN_HEAD, "--B\nContent-Type: text/x-bsclass-block; n=0\n\nx\n",
			       "--B\nContent-Type: message/rfc822\n\nX-First: 1\nnot a field line\n",
			       orig_headers);
	char *tail = concat (forged, "x\n--B--\n", "", "");
	a = classify (tail);
	assert_string_equal (bsc_result_original (a, BSC_ORIG_MESSAGE_ID), "<orig-42@example.com>");
	bsc_result_free (a);
	free (forged);
	free (tail);
	/* Nor when the pre-scan did keep a block: a forged leaf before the
	 * first original (here text/rfc822-headers) must not make the kept
	 * block, which comes after it, the original.  The sender may write
	 * any subtype but the engine's, drawn at random. */
	bsc_engine_t *other = shipped_engine (NULL);
	assert_non_null (other);
	assert_string_not_equal (other->block_type, engine->block_type);
	assert_int_equal (strncmp (engine->block_type, BSC_BLOCK_TYPE_PREFIX,
				   strlen (BSC_BLOCK_TYPE_PREFIX)), 0);
	const char *guesses[] = { "x-bsclass-block", BSC_BLOCK_TYPE_PREFIX "0000000000000000",
				  other->block_type };
	for (size_t i = 0; i < sizeof (guesses) / sizeof (guesses[0]); i++) {
		char *lead = NULL;
		assert_true (asprintf (&lead, "%s--B\nContent-Type: text/%s; n=0\n\nx\n"
					      "--B\nContent-Type: text/rfc822-headers\n\n"
					      "Message-ID: <first@example.com>\n\n",
				       DSN_HEAD, guesses[i]) > 0);
		forged = concat (lead, "--B\nContent-Type: message/rfc822\n\n", orig_headers, "x\n--B--\n");
		a = classify (forged);
		assert_string_equal (bsc_result_original (a, BSC_ORIG_MESSAGE_ID), "<first@example.com>");
		bsc_result_free (a);
		free (forged);
		free (lead);
	}
	bsc_engine_free (other);
	free (fields);
	free (head);
	free (full);
	free (bare);
}

static bool
prescan_answered (const bsc_result_t *r)
{
	for (size_t i = 0; i < bsc_result_note_count (r); i++)
		if (!strcmp (bsc_result_note (r, i), "prescan: ordinary mail"))
			return true;
	return false;
}

/*
 * The ordinary-mail pre-scan must hand the full path every subject an
 * auto-reply or challenge rule reads in its ASCII spelling (such a rule
 * alone can make a challenge, as "[Qurb #n]" does), and may keep the
 * ordinary subjects that merely share a word with them.
 */
static void
test_prescan_subjects (void **state)
{
	static const char *const automated[] = {
		"Message held for approval", "Message on hold", "Absenderbestatigung",
		"Bitte bestatigen Sie Ihre Nachricht", "Demande d'authentification",
		"Message en attente de validation", "Conferma il tuo messaggio", "Bevestig uw bericht",
		"Potwierdz wiadomosc", "Bekrafta ditt meddelande", "Re: lunch [Qurb #123]",
		"Out of Office: lunch", "Out-of-Office", "I am out of the office", "Franvaro",
		"Please confirm your message", "Automatic reply: lunch",
	};
	static const char *const ordinary[] = { "Re: new office hours", "Home office setup" };
	char msg[512];

	for (size_t i = 0; i < sizeof (automated) / sizeof (automated[0]) + 2; i++) {
		bool auto_ = i < sizeof (automated) / sizeof (automated[0]);
		snprintf (msg, sizeof msg,
			  "From: Pat Doe <pat@example.org>\nTo: team@example.com\nSubject: %s\n"
			  "Message-ID: <s%zu@example.org>\n\nhello\n",
			  auto_ ? automated[i] : ordinary[i - sizeof (automated) / sizeof (automated[0])], i);
		bsc_result_t *r = classify (msg);
		if (prescan_answered (r) == auto_)
			fail_msg ("subject %zu: pre-scan %s", i, auto_ ? "kept an automated subject" : "let go an ordinary one");
		bsc_result_free (r);
	}
}

/* Writes @site into a new temporary file named in @path ("/tmp/bsc-site-XXXXXX"). */
static void
write_site_file (const char *site, char *path)
{
	int fd = mkstemp (path);

	assert_true (fd >= 0);
	assert_int_equal (write (fd, site, strlen (site)), (ssize_t) strlen (site));
	close (fd);
}

/* An engine with the shipped rules and one site rule file holding @site. */
static bsc_engine_t *
engine_with_site_rules (const char *site)
{
	char path[] = "/tmp/bsc-site-XXXXXX";
	bsc_engine_t *e;

	write_site_file (site, path);
	e = shipped_engine (path);
	unlink (path);
	assert_non_null (e);
	return e;
}

/*
 * The pre-scan knows the signs the shipped rules need; a site rule that can
 * make mail automated is honoured (the pre-scan steps aside for that
 * engine), one that cannot (origin heuristics, descriptions) leaves it on.
 */
static void
test_prescan_site_rules (void **state)
{
	static const char msg[] = "From: Pat Doe <pat@example.org>\nTo: team@example.com\n"
				  "Subject: Poissa toimistolta 1.-5.12.\nMessage-ID: <fi@example.org>\n\n"
				  "Olen lomalla.\n";
	static const char *const cases[][2] = {
		/* a new language: a rule of its own, or a shipped sub-rule redefined */
		{ "header SITE_OOO_FI Subject =~ /poissa toimistolta/i\nscore SITE_OOO_FI out_of_office=6\n",
		  "out_of_office" },
		{ "header __AR_SUBJ_ABSENCE Subject =~ /poissa toimistolta/i\n"
		  "meta SITE_OOO __AR_SUBJ_ABSENCE\nscore SITE_OOO out_of_office=6\n", "out_of_office" },
		/* a shipped rule's score raised */
		{ "body SITE_LOMA /lomalla/\nscore SITE_LOMA out_of_office=2.5\n"
		  "score __AR_SUBJ_ABSENCE out_of_office=0.5\n", "normal" },
		/* nothing that makes mail more automated: descriptions, origin
		 * heuristics, a shipped rule switched off */
		{ "describe DSN_REPORT a delivery report\nheader SITE_BS Subject =~ /x/\n"
		  "score SITE_BS backscatter=1\nscore SHAPE_SUBJECT_DAEMON bounce=0\n", "normal" },
	};
	bsc_result_t *r = classify (msg);

	assert_int_equal (bsc_result_kind (r), BSC_KIND_NORMAL);
	assert_true (prescan_answered (r));
	assert_null (bsc_engine_prescan_off_by (engine));
	bsc_result_free (r);
	for (size_t i = 0; i < sizeof (cases) / sizeof (cases[0]); i++) {
		bsc_engine_t *e = engine_with_site_rules (cases[i][0]);
		bool kind_rules = i < 3;
		assert_int_equal (bsc_classify (e, msg, strlen (msg), &r), BSC_OK);
		if (strcmp (bsc_kind_name (bsc_result_kind (r)), cases[i][1]))
			fail_msg ("site rules %zu: %s, want %s", i, bsc_kind_name (bsc_result_kind (r)),
				  cases[i][1]);
		if (prescan_answered (r) == kind_rules || !bsc_engine_prescan_off_by (e) != !kind_rules)
			fail_msg ("site rules %zu: pre-scan %s", i, kind_rules ? "still on" : "turned off");
		if (i == 0)
			assert_string_equal (bsc_engine_prescan_off_by (e), "SITE_OOO_FI");
		bsc_result_free (r);
		bsc_engine_free (e);
	}
}

/*
 * The shipped reason rules (rules/70-reasons.cf) read a diagnostic without
 * a telling status code in each language they know.
 */
static void
test_reason_wording (void **state)
{
	static const struct {
		const char *diag;
		bsc_reason_t why;
	} rows[] = {
		{ "550 5.0.0 <a@example.org>... User unknown", BSC_REASON_USER_UNKNOWN },
		{ "mailbox is full", BSC_REASON_MAILBOX_FULL },
		{ "Host or domain name not found", BSC_REASON_HOST_UNKNOWN },
		{ "message size exceeds fixed limit", BSC_REASON_TOO_LARGE },
		{ "rejected as spam", BSC_REASON_POLICY },
		{ "Connection timed out", BSC_REASON_EXPIRED },
		{ "Benutzer unbekannt", BSC_REASON_USER_UNKNOWN },
		{ "Die Adresse des Empf\xc3\xa4ngers existiert nicht", BSC_REASON_USER_UNKNOWN },
		{ "Postfach des Empf\xc3\xa4ngers ist voll", BSC_REASON_MAILBOX_FULL },
		{ "Speicherplatz \xc3\xbc" "berschritten", BSC_REASON_MAILBOX_FULL },
		{ "Die Domain existiert nicht", BSC_REASON_HOST_UNKNOWN },
		{ "Nachricht zu gro\xc3\x9f", BSC_REASON_TOO_LARGE },
		{ "Zeit\xc3\xbc" "berschreitung beim Zustellen", BSC_REASON_EXPIRED },
		{ "Destinataire inconnu", BSC_REASON_USER_UNKNOWN },
		{ "l'adresse n'existe pas", BSC_REASON_USER_UNKNOWN },
		{ "Bo\xc3\xaete aux lettres pleine", BSC_REASON_MAILBOX_FULL },
		{ "message bloqu\xc3\xa9 par notre politique", BSC_REASON_POLICY },
		{ "d\xc3\xa9lai d\xc3\xa9pass\xc3\xa9", BSC_REASON_EXPIRED },
		{ "Usuario desconocido", BSC_REASON_USER_UNKNOWN },
		{ "El buz\xc3\xb3n est\xc3\xa1 lleno", BSC_REASON_MAILBOX_FULL },
		{ "Utente sconosciuto", BSC_REASON_USER_UNKNOWN },
		{ "La casella di posta \xc3\xa8 piena", BSC_REASON_MAILBOX_FULL },
		{ "Gebruiker onbekend", BSC_REASON_USER_UNKNOWN },
		{ "Mailbox is vol", BSC_REASON_MAILBOX_FULL },
		{ "Usu\xc3\xa1rio desconhecido", BSC_REASON_USER_UNKNOWN },
		{ "Caixa postal cheia", BSC_REASON_MAILBOX_FULL },
		/* nothing telling, or a word inside another */
		{ "Delivery failed", BSC_REASON_OTHER },
		{ "Benutzerkonto wird gepr\xc3\xbc" "ft", BSC_REASON_OTHER },
		{ "bloqu\xc3\xa9" "ement", BSC_REASON_OTHER },
		{ "zu gro\xc3\x9f" "artig", BSC_REASON_OTHER },
	};

	for (size_t i = 0; i < sizeof (rows) / sizeof (rows[0]); i++) {
		/* With the literal prefilter (an arena for its scratch) and without. */
		for (int pf = 0; pf < 2; pf++) {
			bsc_arena_t arena;
			bsc_arena_init (&arena);
			bsc_reason_t why = bsc_ruleset_reason (engine->rules, rows[i].diag,
							       strlen (rows[i].diag), pf ? &arena : NULL);
			bsc_arena_release (&arena);
			if (why != rows[i].why)
				fail_msg ("'%s' (prefilter %d): reason %d, want %d", rows[i].diag, pf,
					  why, rows[i].why);
		}
	}
}

static void *
worker (void *arg)
{
	const char *msg = arg;
	for (int i = 0; i < 200; i++) {
		bsc_result_t *r = NULL;
		if (bsc_classify (engine, msg, strlen (msg), &r) != BSC_OK ||
		    bsc_result_recipient_count (r) != 2 ||
		    strcmp (bsc_result_recipient (r, 0, BSC_RCPT_STATUS), "5.1.1")) {
			bsc_result_free (r);
			return (void *) 1;
		}
		bsc_result_free (r);
	}
	return NULL;
}

/* One engine, several threads at once. */
static void
test_threads (void **state)
{
	char *msg = concat (DSN_HEAD, "--B\nContent-Type: message/rfc822\n\n", orig_headers, "x\n--B--\n");
	pthread_t t[4];
	void *ret;

	for (int i = 0; i < 4; i++)
		assert_int_equal (pthread_create (&t[i], NULL, worker, msg), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal (pthread_join (t[i], &ret), 0);
		assert_null (ret);
	}
	free (msg);
}

static void
test_json (void **state)
{
	char *msg = concat (DSN_HEAD, "--B\nContent-Type: message/rfc822\n\n", orig_headers, "x\n--B--\n");
	bsc_result_t *r = classify (msg);
	char *json = NULL;

	assert_int_equal (bsc_result_to_json (r, "in.mbox", 3, &json), BSC_OK);
	assert_non_null (strstr (json, "{\"file\": \"in.mbox\", \"index\": 3, \"message_id\": "
				       "\"<report-1@mx.example.net>\", \"kind\": \"bounce\""));
	assert_non_null (strstr (json, "\"recipients\": [{\"address\": \"bob@example.org\", "
				       "\"original_recipient\": \"bob@example.org\", \"status\": \"5.1.1\", "
				       "\"action\": \"failed\", \"reply_code\": \"550\""));
	assert_non_null (strstr (json, "\"relays\": [\"out1.example.com [192.0.2.10]\"]"));
	assert_null (strchr (json, '\n'));
	bsc_free (json);
	bsc_result_free (r);
	free (msg);
}

/* @msg with @line after its first line; CRLF line ends with @crlf. */
static char *
with_line (const char *msg, const char *line, int crlf)
{
	size_t n = strlen (msg), k = strlen (line);
	char *out = malloc (2 * (n + k) + 1), *o = out;
	int done = 0;

	assert_non_null (out);
	for (const char *p = msg; *p; p++) {
		if (*p == '\n' && crlf)
			*o++ = '\r';
		*o++ = *p;
		if (*p == '\n' && !done) {
			done = 1;
			for (const char *q = line; *q; q++) {
				if (*q == '\n' && crlf)
					*o++ = '\r';
				*o++ = *q;
			}
		}
	}
	*o = '\0';
	return out;
}

static char *
json_of (const bsc_engine_t *e, const char *msg)
{
	bsc_result_t *r = NULL;
	char *json = NULL;

	assert_int_equal (bsc_classify (e, msg, strlen (msg), &r), BSC_OK);
	assert_int_equal (bsc_result_to_json (r, NULL, -1, &json), BSC_OK);
	bsc_result_free (r);
	return json;
}

/*
 * The top header block is read without GMime when it is plain (walk.c,
 * bsc_walk_top()), else GMime reads it.  A line that is no field sends it
 * to GMime, which drops that line: the answer must be the same either way,
 * line ends, folding, a limit and its note included.  (Each message's first
 * field is one line: the odd line goes after it.)
 */
static void
test_top_block (void **state)
{
	char *dsn = concat (DSN_HEAD, "--B\nContent-Type: message/rfc822\n\n", orig_headers,
			    "x\n--B--\n");
	char *text = concat ("Return-Path: <>\n"
			     "Received: from mx.example.org (mx.example.org [192.0.2.7])\n"
			     "\tby mx.example.net; Mon, 2 Nov 2026 10:00:00 +0100\n"
			     "From : Mail Delivery Subsystem <MAILER-DAEMON@example.net>\n"
			     "X-Failed-Recipients: bob@example.org,\n \n  carol@example.org\n"
			     "Subject: Mail delivery failed: returning message to sender\n"
			     "Message-ID: <e1@example.net>\n\n",
			     "This message was created automatically by mail delivery software.\n\n"
			     "A message that you sent could not be delivered to one or more of its\n"
			     "recipients. This is a permanent error. The following address(es) failed:\n\n"
			     "  bob@example.org\n    SMTP error from remote mail server after RCPT TO:\n"
			     "    550 5.1.1 User unknown\n",
			     "", "");
	const char *msgs[] = { dsn, text };
	bsc_options_t *o = bsc_options_new ();
	const char *rules = getenv ("BSC_RULES");
	bsc_engine_t *small;

	/* (Not the headers limit: prescan.c counts the odd line as a field.) */
	bsc_options_set_rules_dir (o, rules ? rules : "rules");
	bsc_options_set_limit (o, BSC_LIMIT_HEADER_BYTES, 20);
	assert_int_equal (bsc_engine_new (o, &small, NULL), BSC_OK);
	const bsc_engine_t *engines[] = { engine, small };

	for (size_t m = 0; m < sizeof (msgs) / sizeof (msgs[0]); m++)
		for (int crlf = 0; crlf < 2; crlf++)
			for (size_t e = 0; e < 2; e++) {
				char *plain = with_line (msgs[m], "", crlf);
				char *odd = with_line (msgs[m], "this line is no field\n", crlf);
				char *a = json_of (engines[e], plain), *b = json_of (engines[e], odd);
				assert_string_equal (a, b);
				bsc_free (a);
				bsc_free (b);
				free (plain);
				free (odd);
			}
	bsc_engine_free (small);
	bsc_options_free (o);
	free (dsn);
	free (text);
}

/* Whether bsc_walk_single() reads @msg itself (after bsc_walk_top()). */
static bool
read_alone (const char *msg)
{
	bsc_result_t *r = bsc_result_new ();
	bsc_work_t w = { .engine = engine, .r = r };
	size_t len;
	char *buf;
	bool alone;

	assert_non_null (r);
	if (!strncmp (msg, "From ", 5)) /* an mbox From_ line, which bsc_classify() skips */
		msg = strchr (msg, '\n') ? strchr (msg, '\n') + 1 : "";
	buf = bsc_walk_top (&w, msg, strlen (msg), &len);
	alone = buf && bsc_walk_single (&w);
	free (buf);
	bsc_result_free (r);
	return alone;
}

/* An engine that evaluates every rule, with a site rule whose match is the
 * whole text sample; @text_limit: the text-sample limit (0: default). */
static bsc_engine_t *
text_engine (size_t text_limit)
{
	static const char site[] = "body ZZ_TEXT /\\A[\\s\\S]+\\z/\ndescribe ZZ_TEXT the whole text sample\n";
	char path[] = "/tmp/bsc-site-XXXXXX";
	const char *rules = getenv ("BSC_RULES");
	bsc_options_t *o = bsc_options_new ();
	bsc_engine_t *e = NULL;

	write_site_file (site, path);
	bsc_options_set_rules_dir (o, rules ? rules : "rules");
	bsc_options_add_rules_file (o, path);
	bsc_options_set_explain (o, 1);
	if (text_limit)
		bsc_options_set_limit (o, BSC_LIMIT_TEXT_SAMPLE, text_limit);
	assert_int_equal (bsc_engine_new (o, &e, NULL), BSC_OK);
	bsc_options_free (o);
	unlink (path);
	return e;
}

/* @msg answers alike read alone and through GMime's tree (@what names it). */
static void
same_both_ways (const bsc_engine_t *e, const char *msg, size_t len, const char *what)
{
	bsc_result_t *r[2] = { NULL, NULL };
	char *j[2] = { NULL, NULL };

	for (int k = 0; k < 2; k++) {
		bsc_status_t st = bsc_classify_flags (e, msg, len, k ? BSC_CLASSIFY_GMIME_TREE : 0, &r[k]);
		if (st == BSC_OK)
			assert_int_equal (bsc_result_to_json (r[k], NULL, -1, &j[k]), BSC_OK);
		bsc_result_free (r[k]);
	}
	if (!j[0] != !j[1] || (j[0] && strcmp (j[0], j[1])))
		fail_msg ("%s:\n%s\nGMime's tree:\n%s", what, j[0] ? j[0] : "(failed)",
			  j[1] ? j[1] : "(failed)");
	bsc_free (j[0]);
	bsc_free (j[1]);
}

/*
 * A message that is one text part is read without GMime's tree
 * (bsc_walk_single()); everything else, and anything GMime might read
 * otherwise, goes to GMime.  Either way the answer is the one GMime's tree
 * gives: compared whole, with a site rule whose match is the entire text
 * sample (so the text itself is compared, not only what the rules make of
 * it), every rule evaluated, a small text-sample limit and CRLF lines.
 */
static void
test_single_part (void **state)
{
	static const char head[] = "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n"
				   "To: alice@example.com\nReturn-Path: <>\n"
				   "Subject: Undelivered Mail Returned to Sender\n";
	/* "could not be delivered to bob@example.org: 550 5.1.1 unknown user (café)" */
	static const char plain[] = "Your message could not be delivered to:\n\n"
				    "  bob@example.org\n    550 5.1.1 User unknown (caf\xc3\xa9)\n";
	static const struct {
		const char *fields, *body;
		bool alone;
	} rows[] = {
		{ "", plain, true },
		{ "Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n", plain, true },
		{ "Content-Type: TEXT/PLAIN;\n\tcharset=\"ISO-8859-1\"\nContent-Transfer-Encoding: Quoted-Printable\n",
		  "Your message could not be delivered to:=\n\n\n  bob@example.org\n    550 5.1.1 User unknown (caf=E9)\n",
		  true },
		{ "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n",
		  "WW91ciBtZXNzYWdlIGNvdWxkIG5vdCBiZSBkZWxpdmVyZWQgdG86CgogIGJvYkBleGFtcGxlLm9y\n"
		  "Zwo gICA1NTAgNS4xLjEgVXNlciB1bmtub3duIChjYWbDqSkK\n", true },
		{ "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n", "WW91ciBt!!ZXNz\n=YWdl\n", true },
		{ "Content-Type: text/html; charset=utf-8\n",
		  "<html><body><p>Your message could not be delivered to:</p><p>bob@example.org"
		  "<br>550 5.1.1 User unknown &amp; gone</p></body></html>\n", true },
		{ "Content-Type: text/plain (the report); charset=koi8-r\n", "\xf0\xd2\xc9\xd7\xc5\xd4\n", true },
		{ "Content-Type: text/plain; charset=x-no-such-charset\n", plain, true },
		{ "Content-Type: text/plain;\n charset=us-ascii;\n format=flowed\n", plain, true },
		{ "Content-Type: text/plain; charset=utf-8\n", "bad \xff\xfe utf-8 \xc3\n", true },
		{ "Content-Type: text/plain\nContent-Transfer-Encoding: x-uuencode\n",
		  "begin 644 r.txt\n+8F]B0&5X86UP;&4*\n`\nend\n", true },
		{ "Content-Type: text/plain; name=\"report.txt\"\nContent-Disposition: attachment\n", plain, true },
		{ "Content-Disposition: attachment; filename=report.txt\n", plain, true },
		{ "Content-Disposition: attachment\n", plain, true },
		{ "Content-Disposition: inline\nContent-Description: the report\n", plain, true },
		{ "Content-Type: text/plain\n", "", true },
		{ "Content-Type: text/plain\n", "no line end at the end", true },
		{ "Content-Type: text/enriched\n", plain, false },
		{ "Content-Type: text/\n", plain, false },
		{ "Content-Type: \"text/plain\"\n", plain, false },
		{ "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n", "AAAA\n", false },
		{ "Content-Type: text/plain\nContent-Type: text/html\n", plain, false },
		{ "Content-Transfer-Encoding: base64\nContent-Transfer-Encoding: 7bit\n", plain, false },
		{ "Content-Type : text/plain\n", plain, false },
		{ "Content-Type: multipart/mixed; boundary=\"X\"\n",
		  "--X\nContent-Type: text/plain\n\nYour message could not be delivered.\n--X--\n", false },
		{ "Content-Type: message/rfc822\n", "Subject: hi\n\nhello\n", false },
	};
	bsc_engine_t *e[2] = { text_engine (0), text_engine (40) };

	for (size_t i = 0; i < sizeof (rows) / sizeof (rows[0]); i++) {
		char *msg = concat (head, rows[i].fields, "\n", rows[i].body);
		if (read_alone (msg) != rows[i].alone)
			fail_msg ("row %zu: %s by bsc_walk_single()", i, rows[i].alone ? "not read" : "read");
		for (int crlf = 0; crlf < 2; crlf++) {
			char *m = with_line (msg, "", crlf);
			for (int k = 0; k < 2; k++)
				same_both_ways (e[k], m, strlen (m), "row");
			free (m);
		}
		free (msg);
	}
	/* The whole text of the first row is what the body rules read. */
	char *msg = concat (head, "", "\n", plain), *j = json_of (e[0], msg);
	assert_non_null (strstr (j, "{\"name\": \"ZZ_TEXT\", \"score\": 0, \"points\": {}, \"match\": "
				    "\"Your message could not be delivered to:\\u000a\\u000a  bob@"));
	bsc_free (j);
	free (msg);
	bsc_engine_free (e[0]);
	bsc_engine_free (e[1]);
}

/* Every message of the mail files in @dir (mboxes split at their From_
 * lines) answers alike both ways; returns how many were one text part. */
static size_t
folder_both_ways (const bsc_engine_t *e, const char *dir, size_t *messages)
{
	DIR *d = opendir (dir);
	struct dirent *de;
	size_t alone = 0;

	if (!d)
		return 0;
	while ((de = readdir (d))) {
		const char *dot = strrchr (de->d_name, '.');
		if (!dot || (strcmp (dot, ".mbox") && strcmp (dot, ".eml") && strcmp (dot, ".msg") &&
			     strcmp (dot, ".txt")))
			continue;
		char *path = concat (dir, "/", de->d_name, ""), *data;
		gsize len;
		assert_true (g_file_get_contents (path, &data, &len, NULL));
		for (const char *p = data, *end = data + len; p < end;) {
			const char *next = p + 1;
			while (next < end && !(next[-1] == '\n' && !strncmp (next, "From ", 5))) {
				const char *nl = memchr (next, '\n', (size_t) (end - next));
				next = nl ? nl + 1 : end;
			}
			char *msg = g_strndup (p, (gsize) (next - p));
			same_both_ways (e, msg, strlen (msg), path);
			alone += read_alone (msg);
			++*messages;
			g_free (msg);
			p = next;
		}
		g_free (data);
		free (path);
	}
	closedir (d);
	return alone;
}

/* The same over the project's sample mails and, when present, ../shared/corpus-dev. */
static void
test_single_part_corpus (void **state)
{
	const char *top = getenv ("top_srcdir");
	bsc_engine_t *e = text_engine (0);
	size_t n = 0, alone;
	char *dir = concat (top ? top : ".", "/corpus", "", "");

	alone = folder_both_ways (e, dir, &n);
	print_message ("corpus/: %zu messages, %zu of them one text part\n", n, alone);
	assert_true (n > 50);
	assert_true (alone > 0);
	free (dir);
	dir = concat (top ? top : ".", "/../shared/corpus-dev", "", "");
	n = 0;
	alone = folder_both_ways (e, dir, &n);
	print_message ("corpus-dev: %zu messages, %zu of them one text part\n", n, alone);
	free (dir);
	bsc_engine_free (e);
}

/* The address a report was delivered to, and what VERP, SRS and BATV encode there. */
static void
test_addressed_to (void **state)
{
	static const struct {
		const char *header, *address, *decoded, *scheme;
	} rows[] = {
		{ "X-Original-To: list-bounces+jane.doe=example.org@lists.example.com",
		  "list-bounces+jane.doe=example.org@lists.example.com", "jane.doe@example.org", "verp" },
		{ "Delivered-To: owner-news-ann=example.net@example.com",
		  "owner-news-ann=example.net@example.com", "ann@example.net", "verp" },
		{ "To: <SRS0=HHH3=TT=example.org=alice@fwd.example.net>",
		  "SRS0=HHH3=TT=example.org=alice@fwd.example.net", "alice@example.org", "srs" },
		{ "To: SRS1=XyZ=fwd1.example.com==AbC=9Q=example.org=bob@fwd2.example.net",
		  "SRS1=XyZ=fwd1.example.com==AbC=9Q=example.org=bob@fwd2.example.net", "bob@example.org",
		  "srs" },
		{ "To: prvs=1234abcdef=carol@example.com", "prvs=1234abcdef=carol@example.com",
		  "carol@example.com", "batv" },
		{ "To: Dave <dave@example.com>", "dave@example.com", NULL, NULL },
		{ "To: first+last@example.com", "first+last@example.com", NULL, NULL },
	};

	for (size_t i = 0; i < sizeof (rows) / sizeof (rows[0]); i++) {
		char msg[512];
		bsc_result_t *r;
		const char *d, *sch;
		snprintf (msg, sizeof msg, "From: MAILER-DAEMON@mx.example.net\n%s\nSubject: "
			  "Undelivered Mail Returned to Sender\nReturn-Path: <>\n\nx\n", rows[i].header);
		r = classify (msg);
		d = bsc_result_addressed_decoded (r);
		sch = bsc_result_addressed_scheme (r);
		if (strcmp (bsc_result_addressed_to (r) ? bsc_result_addressed_to (r) : "", rows[i].address) ||
		    (d == NULL) != (rows[i].decoded == NULL) || (d && strcmp (d, rows[i].decoded)) ||
		    (sch == NULL) != (rows[i].scheme == NULL) || (sch && strcmp (sch, rows[i].scheme)))
			fail_msg ("row %zu: %s -> %s, %s, %s", i, rows[i].header,
				  bsc_result_addressed_to (r), d ? d : "NULL", sch ? sch : "NULL");
		bsc_result_free (r);
	}
}

int
main (void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test (test_original_forms),
		cmocka_unit_test (test_original_base64),
		cmocka_unit_test (test_line_ends),
		cmocka_unit_test (test_latin1_diagnostic),
		cmocka_unit_test (test_kinds),
		cmocka_unit_test (test_bad_input),
		cmocka_unit_test (test_engine_errors),
		cmocka_unit_test (test_limits),
		cmocka_unit_test (test_gmime_entry),
		cmocka_unit_test (test_prescan_embedded),
		cmocka_unit_test (test_prescan_subjects),
		cmocka_unit_test (test_prescan_site_rules),
		cmocka_unit_test (test_reason_wording),
		cmocka_unit_test (test_threads),
		cmocka_unit_test (test_json),
		cmocka_unit_test (test_top_block),
		cmocka_unit_test (test_addressed_to),
		cmocka_unit_test (test_single_part),
		cmocka_unit_test (test_single_part_corpus),
	};
	return cmocka_run_group_tests (tests, setup, teardown);
}
