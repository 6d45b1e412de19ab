/*
 * fuzz-rules.c - the rule-file loader and compiler: bsc_ruleset_load_string()
 * on arbitrary text, then bsc_ruleset_compile() (PCRE2 compile and JIT,
 * meta rules, overrides).  When the text compiles, it is also loaded as a
 * site rule file of an engine (through the public API, from a memfd) that
 * classifies a fixed bounce, so that the compiled rules really run.
 *
 * A rule file is trusted configuration, but the loader must refuse garbage
 * with a file:line:column error, never crash.  Inputs over 64 KiB are
 * skipped: PCRE2 compile time grows with the pattern (its own limits bound
 * nesting, 250 parentheses, and pattern size).
 */
#include "config.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz-common.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char message[] =
	"Return-Path: <>\n"
	"From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\n"
	"To: alice@example.com\n"
	"Subject: Undelivered Mail Returned to Sender\n"
	"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n"
	"\n--b\nContent-Type: text/plain\n\n"
	"This is the mail system at host mx.example.net.\n"
	"I'm sorry to have to inform you that your message could not be delivered.\n"
	"<bob@example.org>: host mx.example.org[192.0.2.7] said: 550 5.1.1 User unknown\n"
	"--- Below this line is a copy of the message.\n\n"
	"Subject: hello\nFrom: alice@example.com\n"
	"\n--b\nContent-Type: message/delivery-status\n\n"
	"Reporting-MTA: dns; mx.example.net\n\n"
	"Final-Recipient: rfc822; bob@example.org\nAction: failed\nStatus: 5.1.1\n"
	"\n--b\nContent-Type: text/rfc822-headers\n\n"
	"Received: from out.example.com (out.example.com [192.0.2.1]) by mx.example.net\n"
	"Subject: =?utf-8?q?hello?=\nMessage-ID: <1@example.com>\n"
	"\n--b--\n";

static int fd = -1;
static char path[64], empty_dir[64] = "/tmp/fuzz-rules.XXXXXX";

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
	if ((fd = memfd_create ("fuzz-rules", 0)) < 0 || !mkdtemp (empty_dir))
		abort ();
	fuzz_glib_fatal ();
	snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
	return 0;
}

/* The rules as an engine's site rule file, run on the fixed message. */
static void
run_engine (const uint8_t *data, size_t size)
{
	bsc_options_t *o = bsc_options_new ();
	bsc_engine_t *e = NULL;
	bsc_result_t *r = NULL;
	bsc_error_t err;
	char *json = NULL;

	if (!o || ftruncate (fd, 0) != 0 || pwrite (fd, data, size, 0) != (ssize_t) size) {
		bsc_options_free (o);
		return;
	}
	bsc_options_set_rules_dir (o, empty_dir);
	bsc_options_add_rules_file (o, path);
	bsc_options_set_limit (o, BSC_LIMIT_MATCH, 10000);
	bsc_options_set_limit (o, BSC_LIMIT_DEPTH, 1000);
	if (bsc_engine_new (o, &e, &err) == BSC_OK &&
	    bsc_classify (e, message, sizeof message - 1, &r) == BSC_OK &&
	    bsc_result_to_json (r, NULL, -1, &json) == BSC_OK)
		bsc_free (json);
	bsc_result_free (r);
	bsc_engine_free (e);
	bsc_options_free (o);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	bsc_ruleset_t *rs;
	bsc_error_t err;
	bsc_rule_limits_t limits = { .match_limit = 10000, .depth_limit = 1000 };

	if (size > 65536 || !(rs = bsc_ruleset_new ()))
		return 0;
	memset (&err, 0, sizeof err);
	bsc_status_t st = bsc_ruleset_load_string (rs, (const char *) data, size, "fuzz.cf", &err);
	if (st == BSC_OK)
		st = bsc_ruleset_compile (rs, &limits, &err);
	if (st != BSC_OK) {
		/* A refusal names a place and a reason, NUL-terminated. */
		if (st != BSC_ERULES && st != BSC_ENOMEM && st != BSC_EINVAL)
			abort ();
		if (!memchr (err.text, '\0', sizeof err.text) ||
		    !memchr (err.source, '\0', sizeof err.source))
			abort ();
	}
	bsc_ruleset_free (rs);
	if (st == BSC_OK)
		run_engine (data, size);
	return 0;
}
