/*
 * test-rules.c - the rule loader, compiler and evaluator (rules-parse.c,
 * rules-eval.c), table-driven: every row of a table is one cmocka test.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "rules.h"

#define F(x) (1ull << (x))

/* --------------------------------------------------------------- helpers */

/* Header fields written as "Name: value" lines, the way the parser hands them over. */
typedef struct fieldset {
	bsc_field_t v[32];
	bsc_fields_t f;
	char buf[8192];
} fieldset_t;

static const bsc_fields_t *
make_fields (fieldset_t *fs, const char *spec)
{
	char *line, *next;

	if (!spec)
		return NULL;
	memset (fs, 0, sizeof *fs);
	assert_true (strlen (spec) < sizeof fs->buf);
	strcpy (fs->buf, spec);
	for (line = fs->buf; line; line = next) {
		char *colon = strchr (line, ':');
		char *value;
		if ((next = strchr (line, '\n')))
			*next++ = '\0';
		if (!*line)
			continue;
		assert_non_null (colon);
		assert_true (fs->f.n < 32);
		value = colon + 1;
		while (*value == ' ')
			value++;
		fs->v[fs->f.n].name = (bsc_str_t) { line, (size_t) (colon - line) };
		fs->v[fs->f.n].value = (bsc_str_t) { value, strlen (value) };
		fs->f.n++;
	}
	fs->f.v = fs->v;
	fs->f.cap = 32;
	return &fs->f;
}

/* Loads @text as one source and compiles it; the set on success, else NULL with @st and @err. */
static bsc_ruleset_t *
build (const char *text, const bsc_rule_limits_t *limits, bsc_status_t *st, bsc_error_t *err)
{
	bsc_ruleset_t *rs = bsc_ruleset_new ();

	assert_non_null (rs);
	*st = bsc_ruleset_load_string (rs, text, strlen (text), "test.cf", err);
	if (*st == BSC_OK)
		*st = bsc_ruleset_compile (rs, limits, err);
	if (*st != BSC_OK) {
		bsc_ruleset_free (rs);
		return NULL;
	}
	return rs;
}

static bsc_ruleset_t *
build_ok (const char *text)
{
	bsc_error_t err;
	bsc_status_t st;
	bsc_ruleset_t *rs = build (text, NULL, &st, &err);

	if (!rs)
		fail_msg ("rules refused: %s:%d:%d: %s", err.source, err.line, err.column, err.text);
	return rs;
}

typedef struct message {
	const char *headers;
	const char *dsn;
	const char *original;
	const char *text;
	uint64_t facts;
	/*
	 * When set, the whole report: bsc_ruleset_split() cuts it first, as the
	 * library does, and .text is ignored.
	 */
	const char *report;
} message_t;

typedef struct outcome {
	char names[1024];   /* hit names, space separated, in order */
	char matches[2048]; /* hit matches, '|' separated, "-" for none */
	double points[8][BSC_T_COUNT];
	size_t n;
} outcome_t;

static void
append (char *buf, size_t size, const char *sep, const char *s)
{
	if (*buf)
		strncat (buf, sep, size - strlen (buf) - 1);
	strncat (buf, s, size - strlen (buf) - 1);
}

static void
run (const bsc_ruleset_t *rs, const message_t *m, outcome_t *out)
{
	fieldset_t *h = malloc (sizeof *h), *d = malloc (sizeof *d), *o = malloc (sizeof *o);
	bsc_facts_t facts = {
		.headers = make_fields (h, m->headers),
		.dsn = make_fields (d, m->dsn),
		.original = make_fields (o, m->original),
		.text = { m->text, m->text ? strlen (m->text) : 0 },
		.facts = m->facts,
		.split_rule = SIZE_MAX,
	};
	bsc_arena_t arena;
	bsc_hits_t hits = { 0 };

	if (m->report) {
		size_t at, end;
		facts.split_rule = bsc_ruleset_split (rs, (bsc_str_t) { m->report, strlen (m->report) },
						      NULL, NULL, &at, &end);
		facts.text = (bsc_str_t) { m->report, at };
		facts.split_match = (bsc_str_t) { m->report + at, end - at };
	}
	bsc_arena_init (&arena);
	memset (out, 0, sizeof *out);
	assert_true (bsc_ruleset_run (rs, &facts, &arena, &(bsc_rule_run_t) { 0 }, BSC_PASS_ALL, &hits, NULL));
	out->n = hits.n;
	for (size_t i = 0; i < hits.n; i++) {
		append (out->names, sizeof out->names, " ", hits.v[i].name);
		append (out->matches, sizeof out->matches, "|", hits.v[i].match ? hits.v[i].match : "-");
		if (i < 8)
			memcpy (out->points[i], hits.v[i].points, sizeof out->points[i]);
	}
	bsc_arena_release (&arena);
	free (h);
	free (d);
	free (o);
}

/* ---------------------------------------------------------- eval table */

typedef struct eval_case {
	const char *name;
	const char *rules;
	message_t msg;
	const char *hits;    /* expected names, in order */
	const char *matches; /* expected matches; NULL: not checked */
} eval_case_t;

static const eval_case_t eval_cases[] = {
	{ "header =~ matches, field name without case",
	  "header A subject =~ /hello/\n",
	  { .headers = "Subject: say hello there" }, "A", "hello" },
	{ "header =~ misses",
	  "header A Subject =~ /hello/\n",
	  { .headers = "Subject: goodbye" }, "", NULL },
	{ "header =~ fires when any field of the name matches",
	  "header A Received =~ /by mx2/\n",
	  { .headers = "Received: from a by mx1\nReceived: from b by mx2\nReceived: from c by mx3" },
	  "A", "by mx2" },
	{ "header !~ fires when the field is absent",
	  "header A Auto-Submitted !~ /^no/i\n",
	  { .headers = "Subject: x" }, "A", "-" },
	{ "header !~ fires when no field of the name matches",
	  "header A Auto-Submitted !~ /^no/i\n",
	  { .headers = "Auto-Submitted: auto-replied" }, "A", "-" },
	{ "header !~ does not fire when a field matches",
	  "header A X-Tag !~ /^no/i\n",
	  { .headers = "X-Tag: yes\nX-Tag: No" }, "", NULL },
	{ "header exists",
	  "header A exists:X-Failed-Recipients\nheader B exists:X-Other\n",
	  { .headers = "x-failed-recipients: a@b.example" }, "A", "-" },
	{ "body matches the text sample",
	  "body A /\\bconfirm (?:that )?you are (?:a )?human\\b/i\n",
	  { .text = "Please CONFIRM that you are a human by replying." }, "A",
	  "CONFIRM that you are a human" },
	{ "body on an empty text",
	  "body A /x/\nbody B /^$/\n",
	  { .text = NULL }, "B", "" },
	{ "dsn rule over delivery-status fields",
	  "dsn A Status =~ /^5\\.1\\.1/\ndsn B Action !~ /^delivered/i\ndsn C exists:Remote-MTA\n",
	  { .dsn = "Reporting-MTA: dns; mx.example\nAction: failed\nStatus: 5.1.1" }, "A B",
	  "5.1.1|-" },
	{ "dsn fields are matched raw, not RFC 2047 decoded",
	  "dsn A Diagnostic-Code =~ /=\\?utf-8\\?/\n",
	  { .dsn = "Diagnostic-Code: smtp; =?utf-8?q?x?=" }, "A", "=?utf-8?" },
	{ "original rule over the embedded headers",
	  "original A Subject =~ /viagra/i\noriginal B exists:Message-ID\noriginal C exists:X-None\n",
	  { .original = "Subject: Cheap VIAGRA\nMessage-ID: <1@x>" }, "A B", "VIAGRA|-" },
	{ "header and original values with encoded words are decoded",
	  "header A Subject =~ /Abwesenheitsnotiz: Urlaub/\n"
	  "original B Subject =~ /^Caf\\x{e9}$/\n",
	  { .headers = "Subject: =?UTF-8?Q?Abwesenheitsnotiz=3A_Urlaub?=",
	    .original = "Subject: =?ISO-8859-1?Q?Caf=E9?=" },
	  "A B", "Abwesenheitsnotiz: Urlaub|Caf\xc3\xa9" },
	{ "eval facts",
	  "eval A dsn_report()\neval B arf_report()\neval C limit_reached()\n",
	  { .facts = F (BSC_F_DSN_REPORT) | F (BSC_F_LIMIT_REACHED) }, "A C", "-|-" },
	{ "every eval fact name maps to its bit",
	  "eval A dsn_report()\neval B dsn_part()\neval C dsn_all_success()\n"
	  "eval D dsn_delayed_only()\neval E arf_report()\neval F mdn_report()\n"
	  "eval G has_original()\neval H original_headers_only()\neval I null_sender()\n"
	  "eval J daemon_from()\neval K failed_recipients()\neval L list_mail()\n"
	  "eval M limit_reached()\n",
	  { .facts = F (BSC_F_DSN_PART) | F (BSC_F_DSN_DELAYED_ONLY) | F (BSC_F_MDN_REPORT) |
		     F (BSC_F_ORIGINAL_HEADERS_ONLY) | F (BSC_F_DAEMON_FROM) | F (BSC_F_LIST_MAIL) },
	  "B D F H J L", NULL },
	{ "sub-rules are evaluated but not reported",
	  "header __HDR Subject =~ /x/\nmeta SEEN __HDR\n",
	  { .headers = "Subject: x" }, "SEEN", "-" },
	{ "meta && || ! and parentheses",
	  "eval A dsn_report()\neval B arf_report()\neval C null_sender()\n"
	  "meta M1 A && !B\nmeta M2 (A || B) && C\nmeta M3 !(A && C)\nmeta M4 B || !A\n"
	  "meta M5 A && B || C\nmeta M6 A && (B || C)\nmeta M7 !!A\n",
	  { .facts = F (BSC_F_DSN_REPORT) }, "A M1 M3 M7", NULL },
	{ "flat meta lists over lazy sub-rules, negated operands (a)",
	  "body __X /x/\nbody __Y /y/\nheader __S Subject =~ /s/\n"
	  "meta F1 __X && __S\nmeta F2 __Y || !__X\nmeta F3 !__X && !__Y\nmeta F4 __Y || __S\n",
	  { .headers = "Subject: s", .text = "x" }, "F1 F4", NULL },
	{ "flat meta lists over lazy sub-rules, negated operands (b)",
	  "body __X /x/\nbody __Y /y/\nheader __S Subject =~ /s/\n"
	  "meta F1 __X && __S\nmeta F2 __Y || !__X\nmeta F3 !__X && !__Y\nmeta F4 __Y || __S\n",
	  { .headers = "Subject: t", .text = "z" }, "F2 F3", NULL },
	{ "meta rules run last, each after the metas it uses",
	  "meta M1 M2 && X\nmeta M2 X || Y\nbody X /x/\nmeta M3 M1\nbody Y /y/\n",
	  { .text = "xy" }, "X Y M2 M1 M3", "x|y|-|-|-" },
	{ "regex flags i m s",
	  "body I /HELLO/i\nbody M /^two$/m\nbody S /one.two/s\nbody N /one.two/\n",
	  { .text = "hello\none\ntwo" }, "I M S", "hello|two|one\ntwo" },
	{ "regex flag x, one line",
	  "body X /h e l l o/x\n",
	  { .text = "hello" }, "X", "hello" },
	{ "m{} and m!! delimiters, nesting and escapes",
	  "body A m{a{2}/b}\nbody B m!x\\!y!\nbody C m<z>\nbody D /p\\/q/\n",
	  { .text = "aa/b x!y z p/q" }, "A B C D", "aa/b|x!y|z|p/q" },
	{ "'#' inside a regex is not a comment, after it is",
	  "body A /a #1/ # a comment\nbody B m{#} #another\n",
	  { .text = "a #1" }, "A B", "a #1|#" },
	{ "named groups compile and match",
	  "body A /<(?<rcpt>[^>@]+@[^>]+)>:?\\s+(?<status>\\d\\.\\d\\.\\d)/\n",
	  { .text = "<bob@example.org>: 5.1.1 user unknown" }, "A", "<bob@example.org>: 5.1.1" },
	{ "invalid UTF-8 in a value does not stop matching",
	  "header A Subject =~ /hello/\nbody B /w\\S*d/\n",
	  { .headers = "Subject: \xff\xfe hello \xc3", .text = "w\xe9rld" }, "A", "hello" },
	{ "prefilter: a literal found after folded white space and case",
	  "body A /server[ \\t]+message\\s+was/i\nbody B /zzqx/\n",
	  { .text = "the SERVER \t  Message  WAS: no" }, "A", "SERVER \t  Message  WAS" },
	{ "prefilter: a list continued with \\G(?!\\A) after its heading",
	  "body L /(?:failed:|\\G(?!\\A))\\n(?<rcpt>\\w+@\\w+)/\n",
	  { .text = "failed:\na@b\nc@d\n" }, "L", "failed:\na@b" },
	{ "prefilter: no heading, the continuation alone never fires",
	  "body L /(?:failed:|\\G(?!\\A))\\n(?<rcpt>\\w+@\\w+)/\n",
	  { .text = "\na@b\nc@d\n" }, "", NULL },
	{ "no score line: zero points, still reported",
	  "body A /a/\n", { .text = "a" }, "A", "a" },
	{ "split: the rule that cut the report fires with what it matched",
	  "body B /sorry/\nsplit S /^-+ Original message -+$/m\nsplit T /^From: /m\n",
	  { .report = "sorry\n--- Original message ---\nFrom: a@b\n" }, "B S",
	  "sorry|--- Original message ---" },
	{ "split: rules see only the text before the cut",
	  "split S /^-- $/m\nbody IN /failed/\nbody OUT /viagra/\n",
	  { .report = "delivery failed\n-- \nSubject: viagra\n" }, "S IN", "-- |failed" },
	{ "split: split rules are never run again by eval",
	  "split S /cut/\nbody B /cut/\n",
	  { .text = "cut here" }, "B", "cut" },
	{ "split: no match, nothing fires and the whole text is read",
	  "split S /^---$/m\nbody B /tail/\n",
	  { .report = "head\n--\ntail" }, "B", "tail" },
	{ "split: usable in meta rules, sub-rules not reported",
	  "split __S1 /^> /m\nsplit __S2 /^---/m\nmeta QUOTED __S1 || __S2\nmeta DASHED __S2\n"
	  "meta NOT_S1 !__S1\n",
	  { .report = "x\n--- y\n> z\n" }, "QUOTED DASHED NOT_S1", "-|-|-" },
	{ "split: the earliest match wins over an earlier rule's later one (one union)",
	  "split A /^zzz$/m\nsplit B /^copy follows$/mi\nsplit C /^-{3} ?Copy/m\n",
	  { .report = "failed\n--- Copy follows\nCOPY FOLLOWS\nzzz\n" }, "C", "--- Copy" },
	{ "split: a tie at one place goes to the earlier rule, flags kept apart",
	  "split A /^copy follows$/m\nsplit B /^COPY/\nsplit C /^COPY F/m\nsplit D /^copy/mi\n",
	  { .report = "failed\nCOPY FOLLOWS\n" }, "C", "COPY F" },
	{ "split: a rule with a backreference runs on its own, same answer",
	  "split A /^(-+) copy \\1$/m\nsplit B /^copy$/m\n",
	  { .report = "failed\n-- copy --\ncopy\n" }, "A", "-- copy --" },
	{ "split: \\S beyond ASCII inside the union too (its JIT-safe spelling)",
	  "split A /^Sent by:[ \t]*\\S+$/m\nsplit B /^zzz$/m\n",
	  { .report = "failed\nSent by: \xc3\xa9lan\n" }, "A", "Sent by: \xc3\xa9lan" },
	{ "split: an empty match fires with an empty match text",
	  "split S /^(?=Received:)/m\n",
	  { .report = "x\nReceived: from a\n" }, "S", "" },
	{ "\\S \\D \\W match characters beyond ASCII (PCRE2 10.42 JIT bug worked around)",
	  "body S /\\S+@\\S+/\nbody D /\\D{3}:/\nbody W /x\\W\\W/\nheader H Subject =~ /^\\S+$/\n"
	  "original O From =~ /<\\S+>/\n",
	  { .text = "an j\xc3\xb6rg@b\xc3\xbc" "cher.example \xc3\xa9t\xc3\xa9: x\xe2\x82\xac\xc3\xa9",
	    .headers = "Subject: r\xc3\xa9sum\xc3\xa9", .original = "From: <\xc3\xa9@x>" },
	  "S D W H O",
	  "j\xc3\xb6rg@b\xc3\xbc" "cher.example|\xc3\xa9t\xc3\xa9:|x\xe2\x82\xac\xc3\xa9|"
	  "r\xc3\xa9sum\xc3\xa9|<\xc3\xa9@x>" },
	{ "\\S stays itself in classes, quotes, comments and after \\c",
	  "body C /[]\\S]+/\nbody Q /\\Q\\S[\\E/\nbody N /a(?#\\S[)b/\nbody K /\\c\\S/\n"
	  "body P /[[:digit:]\\S]{2}/\nbody X /(?x) \\S+ # \\S [ /\n",
	  { .text = "] \\S[ ab \x1cS \xc3\xa9\xc3\xa9" }, "C Q N K P X",
	  "]|\\S[|ab|\x1cS|\\S|]" },
	{ "invalid UTF-8 never matches \\S",
	  "body A /x\\Sy/\nbody B /\\S\\S/\n", { .text = "x\xffy \xc3\xa9\xc3\xa9" }, "B", "\xc3\xa9\xc3\xa9" },
	{ "extraction rule without extraction: plain body rule, first match",
	  "body X /(?<rcpt>\\S+@\\S+)/\nmeta M X\n",
	  { .text = "a@b.example c@d.example" }, "X M", "a@b.example|-" },
};

static void
test_eval_case (void **state)
{
	const eval_case_t *c = *state;
	bsc_ruleset_t *rs = build_ok (c->rules);
	outcome_t out;

	run (rs, &c->msg, &out);
	if (strcmp (out.names, c->hits) != 0)
		fail_msg ("hits '%s', expected '%s'", out.names, c->hits);
	if (c->matches && strcmp (out.matches, c->matches) != 0)
		fail_msg ("matches '%s', expected '%s'", out.matches, c->matches);
	bsc_ruleset_free (rs);
}

/* ---------------------------------------------------- extraction table */

typedef struct extract_case {
	const char *name;
	const char *rules;
	const char *text;
	size_t max;          /* bsc_xrcpts_t.max */
	const char *entries; /* "RULE field=value|..." (set groups only), one per line */
	bool truncated;
	const char *hits;
	const char *matches;
} extract_case_t;

static const char *const xnames[BSC_X_COUNT] = { "rcpt", "status", "code", "diag", "mta", "action" };

/*
 * Every view must lie inside the text and, in valid UTF-8, start and end on
 * character boundaries; an unset group is { NULL, 0 }.
 */
static void
check_view (bsc_str_t v, bsc_str_t text)
{
	const char *end;

	if (!v.ptr || !text.ptr) {
		assert_int_equal (v.len, 0);
		return;
	}
	end = text.ptr + text.len;
	assert_true (v.ptr >= text.ptr && v.ptr + v.len <= end);
	if (!bsc_utf8_valid (text.ptr, text.len))
		return;
	assert_true (v.ptr == end || ((unsigned char) *v.ptr & 0xC0) != 0x80);
	assert_true (v.ptr + v.len == end || ((unsigned char) v.ptr[v.len] & 0xC0) != 0x80);
}

static void
format_entries (const bsc_xrcpts_t *x, bsc_str_t text, char *buf, size_t size)
{
	*buf = '\0';
	for (size_t i = 0; i < x->n; i++) {
		const char *sep = " ";
		if (i)
			append (buf, size, "", "\n");
		append (buf, size, "", x->v[i].rule);
		for (int k = 0; k < BSC_X_COUNT; k++) {
			char field[512];
			bsc_str_t v = x->v[i].f[k];
			check_view (v, text);
			if (!v.ptr)
				continue;
			snprintf (field, sizeof field, "%s%s=%.*s", sep, xnames[k], (int) v.len, v.ptr);
			append (buf, size, "", field);
			sep = "|";
		}
	}
}

static void
format_hits (const bsc_hits_t *hits, outcome_t *out)
{
	memset (out, 0, sizeof *out);
	out->n = hits->n;
	for (size_t i = 0; i < hits->n; i++) {
		append (out->names, sizeof out->names, " ", hits->v[i].name);
		append (out->matches, sizeof out->matches, "|", hits->v[i].match ? hits->v[i].match : "-");
	}
}

static const extract_case_t extract_cases[] = {
	{ "several matches in text order, every field",
	  "body PF /^<(?<rcpt>[^>]+)>: host (?<mta>\\S+) said: (?<code>\\d{3}) "
	  "(?<status>\\d\\.\\d+\\.\\d+) (?<diag>.*?) \\((?<action>\\w+)\\)$/m\n",
	  "<bob@example.org>: host mx.example.org said: 550 5.1.1 User unknown (failed)\n"
	  "<carol@example.net>: host mx2.example.net said: 452 4.2.2 Mailbox full (delayed)\n", 0,
	  "PF rcpt=bob@example.org|status=5.1.1|code=550|diag=User unknown|mta=mx.example.org|action=failed\n"
	  "PF rcpt=carol@example.net|status=4.2.2|code=452|diag=Mailbox full|mta=mx2.example.net|"
	  "action=delayed",
	  false, "PF",
	  "<bob@example.org>: host mx.example.org said: 550 5.1.1 User unknown (failed)" },
	{ "optional groups left unset",
	  "body A /(?<rcpt>[\\w.]+@[\\w.]+)(?: \\((?<status>\\d\\.\\d\\.\\d)\\))?/\n",
	  "a@x.example (5.1.1), b@y.example, c@z.example (5.2.2)", 0,
	  "A rcpt=a@x.example|status=5.1.1\nA rcpt=b@y.example\nA rcpt=c@z.example|status=5.2.2",
	  false, "A", "a@x.example (5.1.1)" },
	{ "an entry without rcpt is still appended",
	  "body A /^(?:To: (?<rcpt>\\S+)|Reason: (?<diag>.+))$/m\n",
	  "To: a@b.example\nReason: mailbox full\n", 0,
	  "A rcpt=a@b.example\nA diag=mailbox full", false, "A", "To: a@b.example" },
	{ "repeated names under (?J): the group that matched",
	  "body A /(?J)(?:User (?<rcpt>\\S+) unknown|(?<rcpt>\\S+@\\S+): no such user)/\n",
	  "User a@x.example unknown; b@y.example: no such user", 0,
	  "A rcpt=a@x.example\nA rcpt=b@y.example", false, "A", "User a@x.example unknown" },
	{ "rules in evaluation order, each in text order",
	  "body B /(?<rcpt>b\\d)/\nbody A /(?<rcpt>a\\d)/\nbody C /c/\n",
	  "a1 b1 a2 b2 c", 0, "B rcpt=b1\nB rcpt=b2\nA rcpt=a1\nA rcpt=a2", false, "B A C",
	  "b1|a1|c" },
	{ "no match: no entry, no hit",
	  "body A /(?<rcpt>\\S+@\\S+)/\n", "nothing here", 0, "", false, "", "" },
	{ "empty text", "body A /(?<rcpt>x*)/\n", NULL, 0, "A rcpt=", false, "A", "" },
	{ "empty matches: each position once, a non-empty match may start there",
	  "body A /(?<rcpt>x*)/\n", "axxb", 0, "A rcpt=\nA rcpt=xx\nA rcpt=\nA rcpt=", false,
	  "A", "" },
	{ "empty matches step over whole UTF-8 characters",
	  "body A /(?<rcpt>x*)/\n", "\xc3\xa9x\xe2\x82\xac", 0,
	  "A rcpt=\nA rcpt=x\nA rcpt=\nA rcpt=", false, "A", "" },
	{ "empty matches step over a CRLF when it is the newline",
	  "body A /(*CRLF)(?<rcpt>x*)/\n", "\r\nx", 0, "A rcpt=\nA rcpt=x\nA rcpt=", false,
	  "A", "" },
	{ "lookahead-only matches do not loop",
	  "body A /(?=(?<rcpt>\\w+@\\w+))/\n", "a@b c@d", 0,
	  "A rcpt=a@b\nA rcpt=c@d", false, "A", "" },
	{ "UTF-8 text and groups",
	  "body DE /Empf\xc3\xa4nger (?<rcpt>\\S+): (?<diag>[^\\n]+)/\n",
	  "Empf\xc3\xa4nger j\xc3\xb6rg@beispiel.de: Postfach \xc3\xbc" "berf\xc3\xbc" "llt\n"
	  "Empf\xc3\xa4nger anna@beispiel.de: unbekannt", 0,
	  "DE rcpt=j\xc3\xb6rg@beispiel.de|diag=Postfach \xc3\xbc" "berf\xc3\xbc" "llt\n"
	  "DE rcpt=anna@beispiel.de|diag=unbekannt",
	  false, "DE", NULL },
	{ "invalid UTF-8 in the text",
	  "body A /(?<rcpt>\\w+@\\w+)/\n", "\xff a@b \xc3 c@d \x80", 0,
	  "A rcpt=a@b\nA rcpt=c@d", false, "A", "a@b" },
	{ "max: stops and says so",
	  "body A /(?<rcpt>\\d)/\n", "1 2 3", 2, "A rcpt=1\nA rcpt=2", true, "A", "1" },
	{ "max: exactly reached is not truncated",
	  "body A /(?<rcpt>\\d)/\n", "1 2 3", 3, "A rcpt=1\nA rcpt=2\nA rcpt=3", false, "A", "1" },
	{ "max: shared by every rule, the later rule still fires",
	  "body A /(?<rcpt>\\d)/\nbody B /(?<rcpt>[a-z])/\nmeta M B\n", "1 2 x", 2,
	  "A rcpt=1\nA rcpt=2", true, "A B M", "1|x|-" },
	{ "sub-rules extract without being reported",
	  "body __X /(?<rcpt>\\S+@\\S+)/\nmeta GOT __X\n", "to a@b and c@d", 0,
	  "__X rcpt=a@b\n__X rcpt=c@d", false, "GOT", "-" },
	{ "numbered groups alone do not make an extraction rule",
	  "body A /(\\S+)@(\\S+)/\n", "a@b c@d", 0, "", false, "A", "a@b" },
	{ "a match limit ends the scan, earlier entries stay",
	  "body A /(?<rcpt>ok)|^(a+)+$/m\n", "ok\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\nok", 0,
	  "A rcpt=ok", false, "A", "ok" },
};

static void
test_extract_case (void **state)
{
	const extract_case_t *c = *state;
	bsc_rule_limits_t limits = { .match_limit = 2000 };
	bsc_error_t err;
	bsc_status_t st;
	bsc_ruleset_t *rs = build (c->rules, &limits, &st, &err);
	bsc_facts_t facts = { .text = { c->text, c->text ? strlen (c->text) : 0 },
			      .split_rule = SIZE_MAX };
	bsc_arena_t arena;
	bsc_hits_t hits = { 0 }, plain = { 0 };
	bsc_xrcpts_t x = { .max = c->max };
	char entries[2048];
	outcome_t out, out_plain;

	if (!rs)
		fail_msg ("rules refused: %s:%d:%d: %s", err.source, err.line, err.column, err.text);
	bsc_arena_init (&arena);
	assert_true (bsc_ruleset_run (rs, &facts, &arena, &(bsc_rule_run_t) { 0 }, BSC_PASS_ALL, &hits, &x));
	format_entries (&x, facts.text, entries, sizeof entries);
	if (strcmp (entries, c->entries) != 0)
		fail_msg ("entries\n%s\nexpected\n%s", entries, c->entries);
	assert_int_equal (x.truncated, c->truncated);
	if (c->max)
		assert_true (x.n <= c->max);
	format_hits (&hits, &out);
	if (strcmp (out.names, c->hits) != 0)
		fail_msg ("hits '%s', expected '%s'", out.names, c->hits);
	if (c->matches && strcmp (out.matches, c->matches) != 0)
		fail_msg ("matches '%s', expected '%s'", out.matches, c->matches);
	/* Without extraction the same rules fire with the same first matches. */
	assert_true (bsc_ruleset_run (rs, &facts, &arena, &(bsc_rule_run_t) { 0 }, BSC_PASS_ALL, &plain, NULL));
	format_hits (&plain, &out_plain);
	assert_string_equal (out_plain.names, out.names);
	assert_string_equal (out_plain.matches, out.matches);
	bsc_arena_release (&arena);
	bsc_ruleset_free (rs);
}

/* --------------------------------------------------------- split table */

typedef struct split_case {
	const char *name;
	const char *rules;
	const char *text;
	const char *rule; /* the expected rule's name; NULL: none */
	size_t at, end;   /* expected offsets (for none: the text length) */
	unsigned limit;   /* the PCRE2 limits noted (bsc_rule_run_t.limit) */
} split_case_t;

static const split_case_t split_cases[] = {
	{ "the earliest match wins, whatever the rule order",
	  "split LATE /copy of the message/\nsplit EARLY /^-+ Original message -+$/m\n",
	  "Sorry.\n----- Original message -----\nBelow is a copy of the message.\n", "EARLY", 7, 35, 0 },
	{ "ties go to the earlier rule",
	  "split LONG /Original/\nsplit SHORT /Orig/\n", "xx Original", "LONG", 3, 11, 0 },
	{ "ties go to the earlier rule, other order",
	  "split SHORT /Orig/\nsplit LONG /Original/\n", "xx Original", "SHORT", 3, 7, 0 },
	{ "each rule's first match counts",
	  "split A /b/\nsplit B /a/\n", "xbxa b a", "A", 1, 2, 0 },
	{ "a match at the start ends the search",
	  "split A /^x/\nsplit B /^/\n", "xyz", "A", 0, 1, 0 },
	{ "an empty match is a split",
	  "split A /(?=^--$)/m\n", "ab\n--\n", "A", 3, 3, 0 },
	{ "no match", "split A /zzz/\nsplit B /yyy/\n", "abc", NULL, 3, 3, 0 },
	{ "empty text", "split A /x/\n", NULL, NULL, 0, 0, 0 },
	{ "no split rules", "body A /a/\n", "abc", NULL, 3, 3, 0 },
	{ "offsets in bytes, UTF-8 text",
	  "split A /^Urspr\xc3\xbcngliche Nachricht/m\n",
	  "\xc3\xa9t\xc3\xa9\nUrspr\xc3\xbcngliche Nachricht\n", "A", 6, 30, 0 },
	{ "the index is the rule's slot among all rules",
	  "body X /x/\neval E dsn_report()\nmeta M X\nsplit A /a/\nsplit B /b/\n", "ba", "B", 0, 1, 0 },
	{ "a split rule redefined as a body rule no longer splits",
	  "split A /a/\nsplit B /b/\nbody A /a/\n", "ab", "B", 1, 2, 0 },
	{ "a body rule redefined as a split rule splits",
	  "body A /a/\nsplit B /b/\nsplit A /a/\n", "ab", "A", 0, 1, 0 },
	{ "numbered groups are allowed",
	  "split A /^(-{2,}) ?(Original|Forwarded)/m\n", "x\n-- Original", "A", 2, 13, 0 },
	{ "a match limit is no match, and noted",
	  "split SLOW /^(a+)+$/\nsplit FAST /b/\n", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "FAST", 29, 30, 1 },
};

static void
test_split_case (void **state)
{
	const split_case_t *c = *state;
	bsc_rule_limits_t limits = { .match_limit = 2000 };
	bsc_error_t err;
	bsc_status_t st;
	bsc_ruleset_t *rs = build (c->rules, &limits, &st, &err);
	bsc_str_t text = { c->text, c->text ? strlen (c->text) : 0 };
	size_t at = 12345, end = 12345, i;

	if (!rs)
		fail_msg ("rules refused: %s:%d:%d: %s", err.source, err.line, err.column, err.text);
	bsc_rule_run_t run = { 0 };
	i = bsc_ruleset_split (rs, text, NULL, &run, &at, &end);
	assert_int_equal (run.limit, c->limit);
	if (!c->rule) {
		assert_true (i == SIZE_MAX);
	} else {
		assert_true (i < rs->n_rules);
		assert_int_equal (rs->rules[i].type, BSC_R_SPLIT);
		assert_string_equal (rs->rules[i].name, c->rule);
		assert_ptr_equal (&rs->rules[i], bsc_ruleset_find (rs, c->rule));
	}
	assert_int_equal (at, c->at);
	assert_int_equal (end, c->end);
	bsc_ruleset_free (rs);
}

/* ------------------------------------------------------- refusal table */

typedef struct refuse_case {
	const char *name;
	const char *rules;
	bsc_status_t status;
	int line, column;
	const char *text; /* expected in the reason */
} refuse_case_t;

static const refuse_case_t refuse_cases[] = {
	{ "unknown rule type", "# c\n\n  heder A Subject =~ /x/\n", BSC_ERULES, 3, 3,
	  "unknown rule type 'heder'" },
	{ "missing rule name", "header\n", BSC_ERULES, 1, 7, "missing rule name" },
	{ "bad rule name", "header A-B Subject =~ /x/\n", BSC_ERULES, 1, 9,
	  "invalid character '-' in rule name 'A-B'" },
	{ "rule name too long",
	  "body AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	  "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA /x/\n",
	  BSC_ERULES, 1, 6, "rule name longer than 128" },
	{ "regex syntax error", "header A Subject =~ /a(b/\n", BSC_ERULES, 1, 25,
	  "regex error at offset 3: missing closing parenthesis" },
	{ "regex error reported where it is", "body A m{ab)c}\n", BSC_ERULES, 1, 12,
	  "regex error at offset 2: unmatched closing parenthesis" },
	{ "\\C is refused", "body A /a\\Cb/\n", BSC_ERULES, 1, 0, "regex error" },
	{ "invalid UTF-8 in a regex", "body A /caf\xe9/\n", BSC_ERULES, 1, 0, "UTF-8 error" },
	{ "unterminated regex", "body A /abc\n", BSC_ERULES, 1, 8, "unterminated regex" },
	{ "unterminated m{}", "body A m{a{b}\n", BSC_ERULES, 1, 8, "no closing '}'" },
	{ "empty regex", "body A //i\n", BSC_ERULES, 1, 8, "empty regex" },
	{ "missing regex", "body A   # nothing\n", BSC_ERULES, 1, 10, "missing regex" },
	{ "not a regex", "body A hello\n", BSC_ERULES, 1, 8, "expected a regex" },
	{ "unknown regex flag", "header A Subject =~ /x/ig\n", BSC_ERULES, 1, 25,
	  "unknown regex flag 'g'" },
	{ "text after the regex", "body A /x/ junk\n", BSC_ERULES, 1, 12,
	  "unexpected text after the regex" },
	{ "'#' glued to the regex is not a comment", "body A /x/i#c\n", BSC_ERULES, 1, 12,
	  "unexpected text after the regex" },
	{ "missing operator", "header A Subject = /x/\n", BSC_ERULES, 1, 18,
	  "expected '=~' or '!~' after header field name 'Subject'" },
	{ "missing header name", "header A =~ /x/\n", BSC_ERULES, 1, 10, "missing header field name" },
	{ "field modifiers", "header A From:addr =~ /x/\n", BSC_ERULES, 1, 14,
	  "unexpected ':' after header field name 'From'" },
	{ "exists without name", "original A exists:\n", BSC_ERULES, 1, 19,
	  "missing header field name" },
	{ "exists with junk", "header A exists:X-Y z\n", BSC_ERULES, 1, 21, "unexpected text" },
	{ "unknown eval fact", "eval A foo()\n", BSC_ERULES, 1, 8, "unknown eval fact 'foo()'" },
	{ "eval without ()", "eval A dsn_report\n", BSC_ERULES, 1, 18, "expected '()'" },
	{ "eval with arguments", "eval A dsn_report(1)\n", BSC_ERULES, 1, 19, "takes no arguments" },
	{ "eval junk", "eval A dsn_report() x\n", BSC_ERULES, 1, 21, "unexpected text" },
	{ "score for unknown rule", "body A /x/\n\nscore FOO bounce=1\n", BSC_ERULES, 3, 7,
	  "score for unknown rule FOO" },
	{ "describe for unknown rule", "describe FOO what\nbody A /x/\n", BSC_ERULES, 1, 10,
	  "describe for unknown rule FOO" },
	{ "unknown score target", "body A /x/\nscore A bounse=1\n", BSC_ERULES, 2, 9,
	  "unknown score target 'bounse'" },
	{ "bad points", "body A /x/\nscore A normal=1,5\n", BSC_ERULES, 2, 16, "bad points '1,5'" },
	{ "points without digits", "body A /x/\nscore A normal=-\n", BSC_ERULES, 2, 16, "bad points" },
	{ "target twice", "body A /x/\nscore A bounce=1 ours=2 bounce=3\n", BSC_ERULES, 2, 25,
	  "score target 'bounce' given twice" },
	{ "score without points", "body A /x/\nscore A # none\n", BSC_ERULES, 2, 9,
	  "score line without target=points" },
	{ "SpamAssassin-style score", "body A /x/\nscore A 1.0\n", BSC_ERULES, 2, 9,
	  "expected target=points, got '1.0'" },
	{ "describe without text", "body A /x/\ndescribe A\n", BSC_ERULES, 2, 11,
	  "describe line without text" },
	{ "empty meta", "meta A  # nothing\n", BSC_ERULES, 1, 9, "empty meta expression" },
	{ "meta ends early", "body B /x/\nmeta A B &&\n", BSC_ERULES, 2, 12,
	  "meta expression ends where a rule name was expected" },
	{ "meta missing ')'", "meta A (B || C\n", BSC_ERULES, 1, 15, "missing ')' for the '(' at column 8" },
	{ "meta unmatched ')'", "meta A B)\n", BSC_ERULES, 1, 9, "unmatched ')'" },
	{ "meta missing operator", "meta A B C\n", BSC_ERULES, 1, 10, "expected '&&' or '||' before 'C'" },
	{ "meta single '&'", "meta A B & C\n", BSC_ERULES, 1, 10, "use '&&'" },
	{ "meta arithmetic", "meta A B + C\n", BSC_ERULES, 1, 10, "unexpected '+' in meta expression" },
	{ "meta operator first", "meta A && B\n", BSC_ERULES, 1, 8, "expected a rule name before '&'" },
	{ "meta unknown rule", "body B /x/\nmeta A B && (NOPE || B)\n", BSC_ERULES, 2, 14,
	  "meta rule A uses unknown rule NOPE" },
	{ "meta self reference", "meta A A\n", BSC_ERULES, 1, 8, "meta rule cycle: A -> A" },
	{ "meta over a reason rule", "reason R user_unknown /x/\nmeta A R\n", BSC_ERULES, 2, 8,
	  "meta rule A uses reason rule R" },
	{ "unknown reason", "reason R lost_in_space /x/\n", BSC_ERULES, 1, 10,
	  "unknown reason 'lost_in_space'" },
	{ "reason 'other' is no reason", "reason R other /x/\n", BSC_ERULES, 1, 10,
	  "unknown reason 'other'" },
	{ "reason without a regex", "reason R user_unknown\n", BSC_ERULES, 1, 22, "missing regex" },
	{ "score for a reason rule", "reason R policy /x/\nscore R bounce=1\n", BSC_ERULES, 2, 7,
	  "score for reason rule R" },
	{ "meta cycle", "body X /x/\nmeta A X && B\nmeta B !C\nmeta C A || X\n", BSC_ERULES, 4, 8,
	  "meta rule cycle: A -> B -> C -> A" },
	{ "meta nested too deeply",
	  "body B /x/\nmeta A ((((((((((((((((((((((((((((((((((B))))))))))))))))))))))))))))))))))\n",
	  BSC_ERULES, 2, 40, "nested deeper than 32" },
	{ "NUL byte", "body A /x/\nbody B /\0/\n", BSC_ERULES, 2, 0, "NUL byte" },
	{ "unknown extraction group", "body A /(?<rcpt>\\S+) (?<foo>x)/\n", BSC_ERULES, 1, 25,
	  "unknown extraction group 'foo' (known: rcpt status code diag mta action)" },
	{ "unknown extraction group, (?'name') form, later line",
	  "# c\nbody A /a/\nbody B m{(?'oops'a)}\n", BSC_ERULES, 3, 13,
	  "unknown extraction group 'oops'" },
	{ "extraction group names are case-sensitive", "body A /(?P<Rcpt>a)/\n", BSC_ERULES, 1, 13,
	  "unknown extraction group 'Rcpt'" },
	{ "the first unknown group in the pattern is reported",
	  "body A /(?<zzz>a)(?<rcpt>c)(?<aaa>b)/\n", BSC_ERULES, 1, 12,
	  "unknown extraction group 'zzz'" },
	{ "unknown extraction group in extended mode",
	  "body A / (?<rcpt> \\S+ ) \\s (?<because> .* ) /x\n", BSC_ERULES, 1, 31,
	  "unknown extraction group 'because'" },
	{ "named group in a split rule", "split S /(?<rcpt>x)/\n", BSC_ERULES, 1, 13,
	  "named group 'rcpt' in a split rule" },
	{ "named group in a header rule", "header A Subject =~ /(?<rcpt>x)/\n", BSC_ERULES, 1, 25,
	  "named group 'rcpt' in a header rule: only body rules extract" },
	{ "named group in a dsn rule", "dsn A Status =~ /(?<status>.*)/\n", BSC_ERULES, 1, 21,
	  "named group 'status' in a dsn rule" },
	{ "split without regex", "split S\n", BSC_ERULES, 1, 8, "missing regex" },
	{ "split with junk", "split S /x/ y\n", BSC_ERULES, 1, 13, "unexpected text after the regex" },
	{ "split regex error", "split S /(/\n", BSC_ERULES, 1, 11, "regex error at offset 1" },
	{ "split flag", "split S /x/g\n", BSC_ERULES, 1, 12, "unknown regex flag 'g'" },
};

static void
test_refuse_case (void **state)
{
	const refuse_case_t *c = *state;
	bsc_error_t err;
	bsc_status_t st;
	bsc_ruleset_t *rs;
	size_t len = strlen (c->rules);

	/* The NUL row holds its rules past the first NUL. */
	if (strcmp (c->name, "NUL byte") == 0)
		len = sizeof "body A /x/\nbody B /\0/\n" - 1;
	memset (&err, 0x55, sizeof err);
	rs = bsc_ruleset_new ();
	st = bsc_ruleset_load_string (rs, c->rules, len, "test.cf", &err);
	if (st == BSC_OK)
		st = bsc_ruleset_compile (rs, NULL, &err);
	bsc_ruleset_free (rs);
	assert_int_equal (st, c->status);
	assert_string_equal (err.source, "test.cf");
	if (!strstr (err.text, c->text))
		fail_msg ("reason '%s', expected '%s'", err.text, c->text);
	assert_int_equal (err.line, c->line);
	if (c->column)
		assert_int_equal (err.column, c->column);
	else
		assert_true (err.column >= 1);
}

/* -------------------------------------------------------- accept table */

typedef struct accept_case {
	const char *name;
	const char *rules;
	size_t count;
} accept_case_t;

static const accept_case_t accept_cases[] = {
	{ "empty text", "", 0 },
	{ "comments and blank lines", "# only\n   # comments\n\n\t\n", 0 },
	{ "CRLF line ends and a byte order mark",
	  "\xEF\xBB\xBF" "body A /x/\r\nscore A bounce=1\r\n", 1 },
	{ "no final newline", "body A /x/", 1 },
	{ "tabs between fields", "header\tA\tSubject\t=~\t/x/\t# c\n", 1 },
	{ "operator glued to the field name", "header A Subject=~/x/\nheader B Subject!~/y/\n", 2 },
	{ "score before the definition", "score A bounce=2.5 normal=-1\nbody A /x/\n", 1 },
	{ "score variants", "body A /x/\nscore A bounce=+2 ours=.5 forged=10. backscatter=0\n", 1 },
	{ "describe with '#' inside a word", "body A /x/\ndescribe A issue#5 text # comment\n", 1 },
	{ "exists with spaces", "dsn A exists:Remote-MTA   # c\n", 1 },
	{ "meta over eval and sub-rules", "eval __A dsn_report()\nmeta B __A && !__A || (__A)\n", 2 },
	{ "redefinition counts once", "body A /x/\nbody A /y/\neval A dsn_part()\n", 1 },
	{ "all score targets",
	  "body A /x/\nscore A bounce=1 out_of_office=1 challenge_response=1 normal=1 ours=1 "
	  "forged=1 backscatter=1\n", 1 },
	{ "split rules, scored and described",
	  "split S /^--- /m\nscore S bounce=1\ndescribe S quoted original\nsplit T m{^> }mi\n", 2 },
	{ "extraction rule with every field",
	  "body X /(?<rcpt>a)(?<status>b)(?<code>c)(?<diag>d)(?<mta>e)(?<action>f)/\n", 1 },
	{ "long meta chain",
	  "body A /x/\nmeta B A\nmeta C B\nmeta D C\nmeta E D\nmeta F E\nmeta G F\nmeta H G\n", 8 },
};

static void
test_accept_case (void **state)
{
	const accept_case_t *c = *state;
	bsc_ruleset_t *rs = build_ok (c->rules);

	assert_int_equal (bsc_ruleset_count (rs), c->count);
	bsc_ruleset_free (rs);
}

/* ---------------------------------------------------- required literal */

typedef struct literal_case {
	const char *regex;  /* a body rule's regex with flags */
	const char *lit;    /* NULL: none */
} literal_case_t;

static const literal_case_t literal_cases[] = {
	{ "/hello/", "hello" },
	{ "/\\bconfirm (?:that )?you are (?:a )?human\\b/i", "confirm " },
	{ "/abc?d/", NULL },
	{ "/ab+cde/", "cde" },
	{ "/ab*cdef/", "cdef" },
	{ "/a|bcd/", NULL },
	{ "/(foo|bar)bazz/", "bazz" },
	{ "/(?:out of office|abwesend)/i", "out of office|abwesend" },
	{ "/(?:foo|ba)/", NULL },
	{ "/x{2}yzw/", "yzw" },
	{ "/xy{0,3}z/", NULL },
	{ "/a{,3}bc/", NULL },
	{ "/a{b}/", "a{b}" },
	{ "m{[abc]def[/]g}", "def" },
	{ "/foo\\.bar/", "foo.bar" },
	{ "/\\d+ mailbox unavailable/i", " mailbox unavailable" },
	{ "/mask/i", "mask" },
	{ "/(?i)hello/", "hello" },
	{ "/hel\\x41lo/", "hel" },
	{ "/\\x{fc}+berlong/", "berlong" },
	{ "/\xc3\xbc+ber/", "ber" },
	{ "/\xc3\xbc\xc3\xbc\xc3\xbc+ber/", "\xc3\xbc\xc3\xbc\xc3\xbc" },
	{ "/f\xc3\xbcr/i", NULL },
	{ "/hello world/x", NULL },
	{ "/^Subject: (.*)$/", "subject: " },
	{ "/(*ACCEPT)abc/", NULL },
	{ "/.*/", NULL },
	{ "/a(?#comment)bc/", NULL },
	{ "/abc(?=def)gh/", "abc" },
	{ "/(?<rcpt>[^<>]+@[^<>]+)>: host (?<mta>\\S+) said/", ">: host " },
	{ "/(x)\\1abc/", "abc" },
	/* \G(?!\A) never matches in the first search: its branch asks nothing */
	{ "/(?:heading here|\\G(?!\\A))\\s*(\\S+@\\S+)/", "heading here" },
	{ "/\\G(?!\\A)abc/", NULL },
	{ "/(?:\\G(?!\\A))?abcd/", "abcd" },
	{ "/(?:xyz|\\G(?!\\A)|abc)?defg/", "defg" },
	/* a class of blanks is a run of white space, as \s */
	{ "/server[ \\t]+message/", "server message" },
	{ "/a[ \\t]*bcd/", "bcd" },
	{ "/[ \\t]{2}xyz/", " xyz" },
	{ "/[^ ]abc/", "abc" },
	{ "/[ x]abc/", "abc" },
	/* without case, kana and CJK have no case partners; Cyrillic has */
	{ "/\xe4\xbb\xa5\xe4\xb8\x8b\xe3\x81\xae/i", "\xe4\xbb\xa5\xe4\xb8\x8b\xe3\x81\xae" },
	{ "/\xd0\xbf\xd0\xb8\xd1\x81\xd1\x8c\xd0\xbc\xd0\xbe/i", NULL },
};

static void
test_literal_case (void **state)
{
	const literal_case_t *c = *state;
	char rules[256];
	bsc_ruleset_t *rs;
	const bsc_rule_t *r;

	snprintf (rules, sizeof rules, "body A %s\n", c->regex);
	rs = build_ok (rules);
	r = bsc_ruleset_find (rs, "A");
	assert_non_null (r);
	if (!c->lit) {
		if (r->lit)
			fail_msg ("%s: literal '%s', expected none", c->regex, r->lit);
	} else {
		/* The alternatives joined with '|' as the table writes them. */
		char got[256] = "";
		size_t k = 0;
		assert_non_null (r->lit);
		for (const char *l = r->lit; *l; l += strlen (l) + 1, k++) {
			if (k)
				strcat (got, "|");
			strncat (got, l, sizeof (got) - strlen (got) - 2);
		}
		assert_int_equal (k, r->n_lits);
		assert_string_equal (got, c->lit);
	}
	bsc_ruleset_free (rs);
}

/* ----------------------------------------------------------- overrides */

static bsc_ruleset_t *
load_two (const char *shipped, const char *site)
{
	bsc_ruleset_t *rs = bsc_ruleset_new ();
	bsc_error_t err;

	assert_int_equal (bsc_ruleset_load_string (rs, shipped, strlen (shipped), "shipped.cf", &err),
			  BSC_OK);
	assert_int_equal (bsc_ruleset_load_string (rs, site, strlen (site), "site.cf", &err), BSC_OK);
	assert_int_equal (bsc_ruleset_compile (rs, NULL, &err), BSC_OK);
	return rs;
}

static void
test_override_keeps_position (void **state)
{
	bsc_ruleset_t *rs = load_two ("header A Subject =~ /x/\nscore A bounce=1\nbody B /b/\n"
				      "describe A shipped\n",
				      "body C /c/\nbody A /a/\nscore A bounce=5 ours=1\n");
	message_t m = { .headers = "Subject: x", .text = "a b c" };
	outcome_t out;

	assert_int_equal (bsc_ruleset_count (rs), 3);
	run (rs, &m, &out);
	/* A is now a body rule, still first; the header rule is gone. */
	assert_string_equal (out.names, "A B C");
	assert_string_equal (out.matches, "a|b|c");
	assert_true (out.points[0][BSC_T_BOUNCE] == 5.0);
	assert_true (out.points[0][BSC_T_OURS] == 1.0);
	assert_string_equal (bsc_ruleset_describe (rs, "A"), "shipped");
	bsc_ruleset_free (rs);
}

static void
test_override_same_file (void **state)
{
	bsc_ruleset_t *rs = build_ok ("body A /1/\nscore A normal=1\nbody B /2/\nbody A /3/\n"
				      "score A normal=2\ndescribe B first\ndescribe B second\n");
	message_t m = { .text = "1 2 3" };
	outcome_t out;

	run (rs, &m, &out);
	assert_string_equal (out.names, "A B");
	assert_string_equal (out.matches, "3|2");
	assert_true (out.points[0][BSC_T_NORMAL] == 2.0);
	assert_true (out.points[0][BSC_T_BOUNCE] == 0.0);
	assert_string_equal (bsc_ruleset_describe (rs, "B"), "second");
	bsc_ruleset_free (rs);
}

static void
test_override_changes_kind (void **state)
{
	/* A meta redefined as a plain rule moves into the plain part, at its first position. */
	bsc_ruleset_t *rs = load_two ("body X /x/\nmeta A X\nbody Y /y/\n", "eval A null_sender()\n");
	message_t m = { .text = "x y", .facts = F (BSC_F_NULL_SENDER) };
	outcome_t out;

	run (rs, &m, &out);
	assert_string_equal (out.names, "X A Y");
	bsc_ruleset_free (rs);
}

static void
test_points (void **state)
{
	bsc_ruleset_t *rs = build_ok ("eval A dsn_report()\nscore A bounce=6 normal=-1.25 "
				      "backscatter=0.5\neval B dsn_report()\n");
	message_t m = { .facts = F (BSC_F_DSN_REPORT) };
	outcome_t out;

	run (rs, &m, &out);
	assert_string_equal (out.names, "A B");
	assert_true (out.points[0][BSC_T_BOUNCE] == 6.0);
	assert_true (out.points[0][BSC_T_NORMAL] == -1.25);
	assert_true (out.points[0][BSC_T_BACKSCATTER] == 0.5);
	assert_true (out.points[0][BSC_T_OURS] == 0.0);
	for (int t = 0; t < BSC_T_COUNT; t++)
		assert_true (out.points[1][t] == 0.0);
	bsc_ruleset_free (rs);
}

/* ---------------------------------------------------- order, API edges */

static void
test_deterministic_order (void **state)
{
	const char *rules = "meta Z_META Y_META || B\nbody B /b/\nmeta Y_META A && B\nbody A /a/\n"
			    "eval C dsn_report()\n";
	message_t m = { .text = "ab", .facts = F (BSC_F_DSN_REPORT) };
	outcome_t first, again;

	for (int i = 0; i < 3; i++) {
		bsc_ruleset_t *rs = build_ok (rules);
		run (rs, &m, &first);
		run (rs, &m, &again);
		assert_string_equal (first.names, "B A C Y_META Z_META");
		assert_string_equal (again.names, first.names);
		bsc_ruleset_free (rs);
	}
}

static void
test_api_edges (void **state)
{
	bsc_ruleset_t *rs = bsc_ruleset_new ();
	bsc_error_t err;
	bsc_hits_t hits = { 0 };
	bsc_facts_t facts = { .split_rule = SIZE_MAX };
	bsc_arena_t arena;
	bsc_str_t abc = { "abc", 3 };
	size_t at = 7, end = 7;

	bsc_ruleset_free (NULL);
	assert_int_equal (bsc_ruleset_count (NULL), 0);
	/* Splitting without a (compiled) set: nothing matched, at and end at the text's end. */
	assert_true (bsc_ruleset_split (NULL, abc, NULL, NULL, &at, &end) == SIZE_MAX);
	assert_int_equal (at, 3);
	assert_int_equal (end, 3);
	assert_true (bsc_ruleset_split (rs, abc, NULL, NULL, NULL, NULL) == SIZE_MAX);
	/* Not compiled yet: nothing runs, nothing fails. */
	bsc_arena_init (&arena);
	assert_true (bsc_ruleset_run (rs, &facts, &arena, &(bsc_rule_run_t) { 0 }, BSC_PASS_ALL, &hits, NULL));
	assert_int_equal (hits.n, 0);
	assert_null (bsc_ruleset_find (rs, "A"));
	assert_int_equal (bsc_ruleset_load_string (rs, "body A /a/", 10, NULL, &err), BSC_OK);
	assert_int_equal (bsc_ruleset_load_string (rs, "body B /(/", 10, NULL, &err), BSC_ERULES);
	assert_string_equal (err.source, "<string>");
	assert_int_equal (bsc_ruleset_load_string (rs, "body C /c/", 10, NULL, NULL), BSC_OK);
	assert_int_equal (bsc_ruleset_load_string (rs, "heder", 5, NULL, NULL), BSC_ERULES);
	assert_int_equal (bsc_ruleset_compile (rs, NULL, NULL), BSC_OK);
	assert_int_equal (bsc_ruleset_count (rs), 2);
	assert_int_equal (bsc_ruleset_compile (rs, NULL, &err), BSC_EINVAL);
	assert_int_equal (bsc_ruleset_load_string (rs, "body D /d/", 10, "late.cf", &err), BSC_EINVAL);
	assert_non_null (strstr (err.text, "already compiled"));
	assert_int_equal (bsc_ruleset_load_string (NULL, "", 0, NULL, &err), BSC_EINVAL);
	assert_null (bsc_ruleset_find (rs, "B"));
	assert_non_null (bsc_ruleset_find (rs, "C"));
	/* An eval with no fields at all. */
	assert_true (bsc_ruleset_run (rs, &facts, &arena, &(bsc_rule_run_t) { 0 }, BSC_PASS_ALL, &hits, NULL));
	assert_int_equal (hits.n, 0);
	assert_true (bsc_ruleset_split (rs, abc, NULL, NULL, NULL, NULL) == SIZE_MAX);
	bsc_arena_release (&arena);
	bsc_ruleset_free (rs);
}

static void
test_error_untouched_on_success (void **state)
{
	bsc_ruleset_t *rs = bsc_ruleset_new ();
	bsc_error_t err, before;

	memset (&err, 0x5a, sizeof err);
	before = err;
	assert_int_equal (bsc_ruleset_load_string (rs, "body A /a/\n", 11, "x.cf", &err), BSC_OK);
	assert_int_equal (bsc_ruleset_compile (rs, NULL, &err), BSC_OK);
	assert_memory_equal (&err, &before, sizeof err);
	bsc_ruleset_free (rs);
}

static void
test_failed_compile_can_be_freed (void **state)
{
	bsc_ruleset_t *rs = bsc_ruleset_new ();
	bsc_error_t err;
	const char *text = "body A /a/\nmeta B A && C\nmeta D B\n";

	assert_int_equal (bsc_ruleset_load_string (rs, text, strlen (text), "x.cf", &err), BSC_OK);
	assert_int_equal (bsc_ruleset_compile (rs, NULL, &err), BSC_ERULES);
	assert_null (bsc_ruleset_find (rs, "A"));
	bsc_ruleset_free (rs);
}

/* ------------------------------------------------------- named groups */

static void
test_named_groups_reachable (void **state)
{
	bsc_ruleset_t *rs = build_ok ("body A /(?<rcpt>\\S+@\\S+)\\s+\\((?<status>\\d\\.\\d+\\.\\d+)\\)/\n"
				      "body B /(x)(y)(z)/\n");
	const bsc_rule_t *a = bsc_ruleset_find (rs, "A");

	assert_non_null (a);
	assert_int_equal (a->n_groups, 2);
	assert_int_equal (pcre2_substring_number_from_name (a->code, (PCRE2_SPTR) "rcpt"), 1);
	assert_int_equal (pcre2_substring_number_from_name (a->code, (PCRE2_SPTR) "status"), 2);
	assert_int_equal (rs->max_groups, 3);
	/* Group numbers by field, so evaluation never looks names up. */
	assert_non_null (a->xgroups);
	assert_int_equal (a->xoff[BSC_X_RCPT + 1] - a->xoff[BSC_X_RCPT], 1);
	assert_int_equal (a->xgroups[a->xoff[BSC_X_RCPT]], 1);
	assert_int_equal (a->xgroups[a->xoff[BSC_X_STATUS]], 2);
	assert_int_equal (a->xoff[BSC_X_COUNT], 2);
	assert_null (bsc_ruleset_find (rs, "B")->xgroups);
	bsc_ruleset_free (rs);
}

static void
test_repeated_names_lowest_first (void **state)
{
	bsc_ruleset_t *rs = build_ok ("body A /(?J)(?<diag>x)(?<rcpt>a)?|(?<rcpt>b)(?<rcpt>c)/\n");
	const bsc_rule_t *a = bsc_ruleset_find (rs, "A");

	assert_int_equal (a->xoff[BSC_X_RCPT + 1] - a->xoff[BSC_X_RCPT], 3);
	assert_int_equal (a->xgroups[a->xoff[BSC_X_RCPT]], 2);
	assert_int_equal (a->xgroups[a->xoff[BSC_X_RCPT] + 1], 3);
	assert_int_equal (a->xgroups[a->xoff[BSC_X_RCPT] + 2], 4);
	assert_int_equal (a->xgroups[a->xoff[BSC_X_DIAG]], 1);
	bsc_ruleset_free (rs);
}

/* ------------------------------------------------------------ split hits */

static void
test_split_hit_points (void **state)
{
	bsc_ruleset_t *rs = build_ok ("body B /b/\nsplit S /^-+ Original -+$/m\n"
				      "score S bounce=2 backscatter=0.5\nsplit T /T/\nscore T bounce=9\n"
				      "describe S the report quotes the original\n");
	static const char report[] = "b\n-- Original --\nT\n";
	bsc_str_t text = { report, sizeof report - 1 };
	bsc_facts_t facts = { .split_rule = SIZE_MAX };
	bsc_arena_t arena;
	bsc_hits_t hits = { 0 };
	size_t at, end;

	facts.split_rule = bsc_ruleset_split (rs, text, NULL, NULL, &at, &end);
	assert_string_equal (rs->rules[facts.split_rule].name, "S");
	facts.text = (bsc_str_t) { report, at };
	facts.split_match = (bsc_str_t) { report + at, end - at };
	bsc_arena_init (&arena);
	assert_true (bsc_ruleset_run (rs, &facts, &arena, &(bsc_rule_run_t) { 0 }, BSC_PASS_ALL, &hits, NULL));
	assert_int_equal (hits.n, 2);
	assert_string_equal (hits.v[1].name, "S");
	assert_string_equal (hits.v[1].match, "-- Original --");
	assert_true (hits.v[1].points[BSC_T_BOUNCE] == 2.0);
	assert_true (hits.v[1].points[BSC_T_BACKSCATTER] == 0.5);
	assert_string_equal (bsc_ruleset_describe (rs, "S"), "the report quotes the original");
	bsc_arena_release (&arena);
	bsc_ruleset_free (rs);
}

static void
test_split_match_truncated (void **state)
{
	bsc_ruleset_t *rs = build_ok ("split S /^=+\\x{e9}+$/m\nsplit __Q /^> /m\nmeta M __Q\n");
	char report[1024];
	size_t n = 0, at, end;
	bsc_facts_t facts = { .split_rule = SIZE_MAX };
	bsc_arena_t arena;
	bsc_hits_t hits = { 0 };

	memcpy (report, "x\n=", 3);
	n = 3;
	for (int i = 0; i < 150; i++) {
		report[n++] = '\xc3';
		report[n++] = '\xa9';
	}
	report[n++] = '\n';
	facts.split_rule = bsc_ruleset_split (rs, (bsc_str_t) { report, n }, NULL, NULL, &at, &end);
	assert_int_equal (at, 2);
	assert_int_equal (end, n - 1);
	facts.split_match = (bsc_str_t) { report + at, end - at };
	facts.text = (bsc_str_t) { report, at };
	bsc_arena_init (&arena);
	assert_true (bsc_ruleset_run (rs, &facts, &arena, &(bsc_rule_run_t) { 0 }, BSC_PASS_ALL, &hits, NULL));
	assert_int_equal (hits.n, 1);
	/* 1 + 2k bytes: 200 would split an \xc3\xa9, so 199 are kept. */
	assert_int_equal (strlen (hits.v[0].match), 199);
	assert_true (bsc_utf8_valid (hits.v[0].match, 199));
	/* A sub-rule split: fires for meta rules, never reported itself. */
	hits.n = 0;
	facts.split_rule = bsc_ruleset_find (rs, "__Q") - rs->rules;
	assert_true (bsc_ruleset_run (rs, &facts, &arena, &(bsc_rule_run_t) { 0 }, BSC_PASS_ALL, &hits, NULL));
	assert_int_equal (hits.n, 1);
	assert_string_equal (hits.v[0].name, "M");
	bsc_arena_release (&arena);
	bsc_ruleset_free (rs);
}

/* ---------------------------------------------------------------- limits */

static void
test_match_limit_is_no_match (void **state)
{
	bsc_rule_limits_t limits = { .match_limit = 1000, .depth_limit = 100 };
	bsc_error_t err;
	bsc_status_t st;
	bsc_ruleset_t *rs = build ("body SLOW /^(a+)+$/\nbody FAST /a{5}/\n", &limits, &st, &err);
	message_t m = { .text = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab" };
	outcome_t out;

	assert_non_null (rs);
	run (rs, &m, &out);
	assert_string_equal (out.names, "FAST");
	bsc_ruleset_free (rs);
}

/* The reason rules' answer for @diag, the same with the prefilter and without. */
static bsc_reason_t
reason_of (const bsc_ruleset_t *rs, const char *diag)
{
	bsc_arena_t arena;
	bsc_reason_t plain = bsc_ruleset_reason (rs, diag, strlen (diag), NULL), filtered;

	bsc_arena_init (&arena);
	filtered = bsc_ruleset_reason (rs, diag, strlen (diag), &arena);
	bsc_arena_release (&arena);
	assert_int_equal (filtered, plain);
	return plain;
}

/*
 * Reason rules: the first in evaluation order whose regex matches the
 * diagnostic gives its reason; they never fire as rules, and a site
 * redefinition replaces a rule in its place.
 */
static void
test_reason_rules (void **state)
{
	static const char rules[] = "reason R1 mailbox_full /quota|full/i\n"
				    "body B /quota/\n"
				    "reason R2 user_unknown /unknown|quota/i\n"
				    "reason R3 policy /Spam/\n";
	bsc_ruleset_t *rs = build_ok (rules);
	message_t m = { .text = "quota unknown spam" };
	outcome_t out;

	assert_int_equal (reason_of (rs, "over QUOTA"), BSC_REASON_MAILBOX_FULL);
	assert_int_equal (reason_of (rs, "user unknown"), BSC_REASON_USER_UNKNOWN);
	assert_int_equal (reason_of (rs, "quota and unknown"), BSC_REASON_MAILBOX_FULL);
	assert_int_equal (reason_of (rs, "spam"), BSC_REASON_OTHER); /* with case */
	assert_int_equal (reason_of (rs, "Spam"), BSC_REASON_POLICY);
	assert_int_equal (reason_of (rs, ""), BSC_REASON_OTHER);
	run (rs, &m, &out);
	assert_string_equal (out.names, "B");
	bsc_ruleset_free (rs);
	/* Redefined later (a site file), R1 keeps its place with its new regex. */
	rs = build_ok ("reason R1 mailbox_full /full/\nreason R2 user_unknown /unknown/\n"
		       "reason R1 expired /unknown/\n");
	assert_int_equal (reason_of (rs, "unknown"), BSC_REASON_EXPIRED);
	bsc_ruleset_free (rs);
	rs = build_ok ("body B /x/\n");
	assert_int_equal (reason_of (rs, "unknown"), BSC_REASON_OTHER);
	bsc_ruleset_free (rs);
}

static void
test_match_truncated_at_utf8 (void **state)
{
	bsc_ruleset_t *rs = build_ok ("body A /a\\x{e9}+/\nbody B /b+/\n");
	char text[1024];
	bsc_hits_t hits = { 0 };
	bsc_arena_t arena;
	size_t n = 0;

	text[n++] = 'a';
	for (int i = 0; i < 150; i++) {
		text[n++] = '\xc3';
		text[n++] = '\xa9';
	}
	text[n++] = ' ';
	for (int i = 0; i < 300; i++)
		text[n++] = 'b';
	text[n] = '\0';
	bsc_facts_t facts = { .text = { text, n } };
	bsc_arena_init (&arena);
	assert_true (bsc_ruleset_run (rs, &facts, &arena, &(bsc_rule_run_t) { 0 }, BSC_PASS_ALL, &hits, NULL));
	assert_int_equal (hits.n, 2);
	/* 1 + 2k bytes: 200 would split an é, so 199 are kept. */
	assert_int_equal (strlen (hits.v[0].match), 199);
	assert_true (bsc_utf8_valid (hits.v[0].match, 199));
	assert_int_equal (strlen (hits.v[1].match), BSC_MATCH_KEEP);
	bsc_arena_release (&arena);
	bsc_ruleset_free (rs);
}

static void
test_many_rules (void **state)
{
	size_t n = 3000, cap = n * 64 + 64, len = 0;
	char *text = malloc (cap);
	bsc_ruleset_t *rs;
	message_t m = { .text = "token2999 token17", .headers = "X-H: v2999" };
	outcome_t out;

	for (size_t i = 0; i < n; i++)
		len += (size_t) snprintf (text + len, cap - len, "body R%zu /\\btoken%zu\\b/\n", i, i);
	len += (size_t) snprintf (text + len, cap - len, "header H X-H =~ /v2999/\nmeta M R17 && R2999\n");
	rs = build_ok (text);
	assert_int_equal (bsc_ruleset_count (rs), n + 2);
	run (rs, &m, &out);
	assert_string_equal (out.names, "R17 R2999 H M");
	bsc_ruleset_free (rs);
	free (text);
}

static void
test_meta_stack_limit (void **state)
{
	/* Each level "B || B && (...)" keeps two operands waiting. */
	char text[1024] = "body B /b/\nmeta A ";
	bsc_ruleset_t *rs = bsc_ruleset_new ();
	bsc_error_t err;

	for (int i = 0; i < 32; i++)
		strcat (text, "B || B && (");
	strcat (text, "B");
	for (int i = 0; i < 32; i++)
		strcat (text, ")");
	assert_int_equal (bsc_ruleset_load_string (rs, text, strlen (text), "deep.cf", &err),
			  BSC_ERULES);
	assert_int_equal (err.line, 2);
	assert_non_null (strstr (err.text, "too complex"));
	bsc_ruleset_free (rs);
}

/* --------------------------------------------------------- concurrency */

typedef struct thread_arg {
	const bsc_ruleset_t *rs;
	int failures;
} thread_arg_t;

/* What one thread checks of one evaluation: hits, extracted entries, the split. */
static bool
eval_thread_once (const bsc_ruleset_t *rs, const bsc_facts_t *facts, bool extract)
{
	bsc_arena_t arena;
	bsc_hits_t hits = { 0 };
	bsc_xrcpts_t x = { .max = 10 };
	bool ok;

	bsc_arena_init (&arena);
	ok = bsc_ruleset_run (rs, facts, &arena, &(bsc_rule_run_t) { 0 }, BSC_PASS_ALL, &hits,
			      extract ? &x : NULL) && hits.n == 5 &&
	     !strcmp (hits.v[0].name, "SUBJ") && !strcmp (hits.v[0].match, "Undeliverable:") &&
	     !strcmp (hits.v[2].match, "bob@example.org") && !strcmp (hits.v[3].name, "SPLIT") &&
	     !strcmp (hits.v[3].match, "--- original message ---") &&
	     hits.v[3].points[BSC_T_BOUNCE] == 1.0 && !strcmp (hits.v[4].name, "BOUNCE");
	if (extract)
		ok = ok && x.n == 2 && !x.truncated && x.v[1].f[BSC_X_RCPT].len == 17 &&
		     !memcmp (x.v[1].f[BSC_X_RCPT].ptr, "carol@example.net", 17);
	bsc_arena_release (&arena);
	return ok;
}

static void *
eval_thread (void *p)
{
	thread_arg_t *a = p;
	static const char text[] = "Delivery to the following recipients failed: bob@example.org "
				   "carol@example.net\n--- original message ---\nFrom: eve@example.com\n";
	bsc_field_t hv[] = {
		{ { "Subject", 7 }, { "=?UTF-8?Q?Undeliverable=3A_hi?=", 31 } },
		{ { "From", 4 }, { "MAILER-DAEMON@mx.example", 24 } },
	};
	bsc_fields_t headers = { .v = hv, .n = 2, .cap = 2 };

	for (int i = 0; i < 300; i++) {
		bsc_facts_t facts = { .headers = &headers, .facts = F (BSC_F_DSN_REPORT) };
		size_t at, end;
		facts.split_rule = bsc_ruleset_split (a->rs, (bsc_str_t) { text, sizeof text - 1 }, NULL,
						      NULL, &at, &end);
		facts.text = (bsc_str_t) { text, at };
		facts.split_match = (bsc_str_t) { text + at, end - at };
		if (!eval_thread_once (a->rs, &facts, i % 2 == 0))
			a->failures++;
	}
	return NULL;
}

static void
test_concurrent_eval (void **state)
{
	bsc_ruleset_t *rs = build_ok ("header SUBJ Subject =~ /^undeliverable:/i\n"
				      "header __DAEMON From =~ /mailer-daemon/i\n"
				      "eval DSN dsn_report()\n"
				      "body RCPT /(?<rcpt>\\S+@\\S+)/\n"
				      "split NONE /^never$/m\n"
				      "split SPLIT /^--- original message ---$/m\nscore SPLIT bounce=1\n"
				      "meta BOUNCE __DAEMON && DSN && RCPT && SPLIT && !NONE\n");
	pthread_t t[4];
	thread_arg_t a[4];

	for (int i = 0; i < 4; i++) {
		a[i] = (thread_arg_t) { rs, 0 };
		assert_int_equal (pthread_create (&t[i], NULL, eval_thread, &a[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join (t[i], NULL);
		assert_int_equal (a[i].failures, 0);
	}
	bsc_ruleset_free (rs);
}

/* ------------------------------------------------------- files, folders */

static char tmpdir[256];

static void
write_file (const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf (path, sizeof path, "%s/%s", tmpdir, name);
	assert_non_null (f = fopen (path, "w"));
	fputs (text, f);
	fclose (f);
}

static int
files_setup (void **state)
{
	const char *base = getenv ("TMPDIR");
	char path[512];

	snprintf (tmpdir, sizeof tmpdir, "%s/test-rules.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp (tmpdir))
		return -1;
	write_file ("20-site.cf", "body B /b/\nbody A /site/\nscore A bounce=2\n");
	write_file ("10-base.cf", "# base\nbody A /base/\nscore A bounce=1\n");
	write_file ("05-early.cf", "body E /e/\n");
	write_file ("notes.txt", "this is not a rule file\n");
	write_file (".hidden.cf", "garbage\n");
	snprintf (path, sizeof path, "%s/30-folder.cf", tmpdir);
	mkdir (path, 0700);
	return 0;
}

static int
files_teardown (void **state)
{
	const char *names[] = { "20-site.cf", "10-base.cf", "05-early.cf", "notes.txt", ".hidden.cf",
				"99-bad.cf" };
	char path[512];

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf (path, sizeof path, "%s/%s", tmpdir, names[i]);
		unlink (path);
	}
	snprintf (path, sizeof path, "%s/30-folder.cf", tmpdir);
	rmdir (path);
	rmdir (tmpdir);
	return 0;
}

static void
test_load_dir_order (void **state)
{
	bsc_ruleset_t *rs = bsc_ruleset_new ();
	bsc_error_t err;
	message_t m = { .text = "base site b e" };
	outcome_t out;

	assert_int_equal (bsc_ruleset_load_dir (rs, tmpdir, &err), BSC_OK);
	assert_int_equal (bsc_ruleset_compile (rs, NULL, &err), BSC_OK);
	assert_int_equal (bsc_ruleset_count (rs), 3);
	run (rs, &m, &out);
	assert_string_equal (out.names, "E A B");
	assert_string_equal (out.matches, "e|site|b");
	assert_true (out.points[1][BSC_T_BOUNCE] == 2.0);
	bsc_ruleset_free (rs);
}

static void
test_load_dir_error_names_file (void **state)
{
	bsc_ruleset_t *rs = bsc_ruleset_new ();
	bsc_error_t err;
	char want[600];

	write_file ("99-bad.cf", "body Z /z/\n\nbody Y /(/\n");
	assert_int_equal (bsc_ruleset_load_dir (rs, tmpdir, &err), BSC_ERULES);
	snprintf (want, sizeof want, "%s/99-bad.cf", tmpdir);
	assert_string_equal (err.source, want);
	assert_int_equal (err.line, 3);
	assert_int_equal (err.column, 10);
	assert_non_null (strstr (err.text, "regex error at offset 1"));
	bsc_ruleset_free (rs);
	snprintf (want, sizeof want, "%s/99-bad.cf", tmpdir);
	unlink (want);
}

static void
test_load_io_errors (void **state)
{
	bsc_ruleset_t *rs = bsc_ruleset_new ();
	bsc_error_t err;
	char path[512];

	snprintf (path, sizeof path, "%s/no-such-dir", tmpdir);
	assert_int_equal (bsc_ruleset_load_dir (rs, path, &err), BSC_EIO);
	assert_string_equal (err.source, path);
	assert_string_equal (err.text, strerror (ENOENT));
	assert_int_equal (err.line, 0);
	snprintf (path, sizeof path, "%s/notes.txt", tmpdir);
	assert_int_equal (bsc_ruleset_load_dir (rs, path, &err), BSC_EIO);
	assert_string_equal (err.text, strerror (ENOTDIR));
	snprintf (path, sizeof path, "%s/missing.cf", tmpdir);
	assert_int_equal (bsc_ruleset_load_file (rs, path, &err), BSC_EIO);
	assert_string_equal (err.source, path);
	assert_string_equal (err.text, strerror (ENOENT));
	snprintf (path, sizeof path, "%s/30-folder.cf", tmpdir);
	assert_int_equal (bsc_ruleset_load_file (rs, path, &err), BSC_EIO);
	assert_string_equal (err.text, strerror (EISDIR));
	assert_int_equal (bsc_ruleset_load_file (rs, NULL, &err), BSC_EINVAL);
	bsc_ruleset_free (rs);
}

/* ------------------------------------------------------- shipped rules */

static bsc_ruleset_t *
shipped_rules (void)
{
	const char *dir = getenv ("BSC_RULES");
	bsc_ruleset_t *rs;
	bsc_error_t err;
	bsc_status_t st;

	if (!dir)
		return NULL;
	rs = bsc_ruleset_new ();
	st = bsc_ruleset_load_dir (rs, dir, &err);
	if (st == BSC_OK)
		st = bsc_ruleset_compile (rs, NULL, &err);
	if (st != BSC_OK)
		fail_msg ("%s:%d:%d: %s", err.source, err.line, err.column, err.text);
	return rs;
}

/* Points of a kind minus the normal points, as the verdict counts them. */
static double
kind_score (const bsc_ruleset_t *rs, uint64_t fact_bits, bsc_target_t kind)
{
	bsc_facts_t facts = { .facts = fact_bits, .split_rule = SIZE_MAX };
	bsc_arena_t arena;
	bsc_hits_t hits = { 0 };
	double s = 0;

	bsc_arena_init (&arena);
	assert_true (bsc_ruleset_run (rs, &facts, &arena, &(bsc_rule_run_t) { 0 }, BSC_PASS_ALL, &hits, NULL));
	for (size_t i = 0; i < hits.n; i++)
		s += hits.v[i].points[kind] - hits.v[i].points[BSC_T_NORMAL];
	bsc_arena_release (&arena);
	return s;
}

static void
test_shipped_rules (void **state)
{
	bsc_ruleset_t *rs = shipped_rules ();
	const char *documented[] = { "DSN_REPORT", "DSN_PART", "DSN_ALL_SUCCESS", "DSN_DELAYED_ONLY",
				     "ARF_REPORT", "MDN_REPORT", "NULL_SENDER", "DAEMON_FROM",
				     "LIST_MAIL", "X_FAILED_RCPTS" };
	uint64_t dsn = F (BSC_F_DSN_REPORT) | F (BSC_F_DSN_PART);

	if (!rs)
		skip ();
	for (size_t i = 0; i < sizeof documented / sizeof documented[0]; i++) {
		assert_non_null (bsc_ruleset_find (rs, documented[i]));
		assert_non_null (bsc_ruleset_describe (rs, documented[i]));
	}
	assert_true (kind_score (rs, F (BSC_F_DSN_REPORT), BSC_T_BOUNCE) >= 5.0);
	assert_true (kind_score (rs, F (BSC_F_DSN_PART) | F (BSC_F_DSN_REPORT), BSC_T_BOUNCE) >= 5.0);
	assert_true (kind_score (rs, dsn | F (BSC_F_DSN_DELAYED_ONLY) | F (BSC_F_FAILED_RECIPIENTS),
				 BSC_T_BOUNCE) >= 5.0);
	assert_true (kind_score (rs, dsn | F (BSC_F_DSN_ALL_SUCCESS), BSC_T_BOUNCE) < 5.0);
	assert_true (kind_score (rs, F (BSC_F_ARF_REPORT) | F (BSC_F_HAS_ORIGINAL), BSC_T_BOUNCE) < 0);
	assert_true (kind_score (rs, F (BSC_F_MDN_REPORT), BSC_T_BOUNCE) < 0);
	assert_true (kind_score (rs, F (BSC_F_NULL_SENDER) | F (BSC_F_DAEMON_FROM), BSC_T_BOUNCE) < 5.0);
	assert_true (kind_score (rs, F (BSC_F_NULL_SENDER) | F (BSC_F_DAEMON_FROM), BSC_T_BOUNCE) > 0);
	assert_true (kind_score (rs, F (BSC_F_LIST_MAIL), BSC_T_OUT_OF_OFFICE) < 0);
	bsc_ruleset_free (rs);
}

/*
 * Found by fuzz/fuzz-rules.c: the "unexpected text after ..." error quoted
 * up to 40 bytes with "%.40s", reading past the end of a text that is not
 * NUL-terminated (AddressSanitizer: heap-buffer-overflow).  The quote
 * must stop at the end of the line.
 */
static void
test_error_quote_stays_in_text (void **state)
{
	static const char text[] = "body A /a/ junk";
	char *exact = malloc (sizeof text - 1); /* no NUL after it */
	bsc_ruleset_t *rs = bsc_ruleset_new ();
	bsc_error_t err;

	memcpy (exact, text, sizeof text - 1);
	assert_int_equal (bsc_ruleset_load_string (rs, exact, sizeof text - 1, "x.cf", &err),
			  BSC_ERULES);
	assert_non_null (strstr (err.text, "'junk'"));
	assert_int_equal (err.column, 12);
	bsc_ruleset_free (rs);
	free (exact);
}

/* ------------------------------------------------------------------ main */

#define TABLE_SIZE(t) (sizeof (t) / sizeof (t)[0])

static void
add_table (struct CMUnitTest *tests, size_t *n, const char *prefix, CMUnitTestFunction fn,
	   const void *rows, size_t row_size, size_t count, char **names)
{
	for (size_t i = 0; i < count; i++) {
		const void *row = (const char *) rows + i * row_size;
		const char *label = *(const char *const *) row;
		char *name = malloc (strlen (prefix) + strlen (label) + 3);
		sprintf (name, "%s: %s", prefix, label);
		names[*n] = name;
		tests[*n] = (struct CMUnitTest) { name, fn, NULL, NULL, (void *) row };
		(*n)++;
	}
}

int
main (void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test (test_override_keeps_position),
		cmocka_unit_test (test_override_same_file),
		cmocka_unit_test (test_override_changes_kind),
		cmocka_unit_test (test_points),
		cmocka_unit_test (test_deterministic_order),
		cmocka_unit_test (test_api_edges),
		cmocka_unit_test (test_error_untouched_on_success),
		cmocka_unit_test (test_failed_compile_can_be_freed),
		cmocka_unit_test (test_named_groups_reachable),
		cmocka_unit_test (test_repeated_names_lowest_first),
		cmocka_unit_test (test_split_hit_points),
		cmocka_unit_test (test_split_match_truncated),
		cmocka_unit_test (test_match_limit_is_no_match),
		cmocka_unit_test (test_reason_rules),
		cmocka_unit_test (test_match_truncated_at_utf8),
		cmocka_unit_test (test_many_rules),
		cmocka_unit_test (test_meta_stack_limit),
		cmocka_unit_test (test_concurrent_eval),
		cmocka_unit_test (test_shipped_rules),
		cmocka_unit_test (test_error_quote_stays_in_text),
	};
	static const struct CMUnitTest files[] = {
		cmocka_unit_test (test_load_dir_order),
		cmocka_unit_test (test_load_dir_error_names_file),
		cmocka_unit_test (test_load_io_errors),
	};
	size_t cap = TABLE_SIZE (eval_cases) + TABLE_SIZE (extract_cases) + TABLE_SIZE (split_cases) +
		     TABLE_SIZE (refuse_cases) + TABLE_SIZE (accept_cases) +
		     TABLE_SIZE (literal_cases) + TABLE_SIZE (fixed);
	struct CMUnitTest *tests = calloc (cap, sizeof *tests);
	char **names = calloc (cap, sizeof *names);
	size_t n = 0;
	int failed;

	bsc_gmime_init_once ();
	add_table (tests, &n, "eval", test_eval_case, eval_cases, sizeof eval_cases[0],
		   TABLE_SIZE (eval_cases), names);
	add_table (tests, &n, "extract", test_extract_case, extract_cases, sizeof extract_cases[0],
		   TABLE_SIZE (extract_cases), names);
	add_table (tests, &n, "split", test_split_case, split_cases, sizeof split_cases[0],
		   TABLE_SIZE (split_cases), names);
	add_table (tests, &n, "refuse", test_refuse_case, refuse_cases, sizeof refuse_cases[0],
		   TABLE_SIZE (refuse_cases), names);
	add_table (tests, &n, "accept", test_accept_case, accept_cases, sizeof accept_cases[0],
		   TABLE_SIZE (accept_cases), names);
	add_table (tests, &n, "literal", test_literal_case, literal_cases, sizeof literal_cases[0],
		   TABLE_SIZE (literal_cases), names);
	for (size_t i = 0; i < TABLE_SIZE (fixed); i++)
		tests[n++] = fixed[i];
	failed = _cmocka_run_group_tests ("rules", tests, n, NULL, NULL);
	failed += cmocka_run_group_tests_name ("rule files", files, files_setup, files_teardown);
	for (size_t i = 0; i < cap; i++)
		free (names[i]);
	free (names);
	free (tests);
	return failed ? 1 : 0;
}
