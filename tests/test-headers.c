/*
 * test-headers.c - the header block splitter (headers.c), RFC 2047
 * decoding, the text helpers (text.c) and the arena (arena.c).
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
#include <string.h>

#include "bsc-private.h"
#include "table.h"

/* Compares a view with a C string. */
static void
check_view_ (size_t row, const char *what, bsc_str_t got, const char *want, const char *file,
	     int line)
{
	if (got.len != strlen (want) || memcmp (got.ptr, want, got.len) != 0) {
		print_error ("row %zu: %s: got \"%.*s\" (%zu bytes), want \"%s\" (%zu bytes)\n", row,
			     what, (int) got.len, got.ptr ? got.ptr : "", got.len, want,
			     strlen (want));
		print_error ("%s:%d: row %zu failed\n", file, line, row);
		failures++;
	}
}
#define check_view(row, what, got, want) check_view_ (row, what, got, want, __FILE__, __LINE__)

/* ------------------------------------------------------------------ fixture */

static int
group_setup (void **state)
{
	(void) state;
	bsc_gmime_init_once ();
	return 0;
}

static int
arena_setup (void **state)
{
	bsc_arena_t *a = test_malloc (sizeof (*a));

	bsc_arena_init (a);
	*state = a;
	return 0;
}

static int
arena_teardown (void **state)
{
	bsc_arena_t *a = *state;

	bsc_arena_release (a);
	test_free (a);
	return 0;
}

/* -------------------------------------------------------- bsc_fields_parse */

typedef struct {
	const char *name;
	const char *value;
} nv_t;

typedef struct {
	const char *input;
	size_t n;         /* expected number of fields */
	nv_t f[4];        /* expected fields, in order */
	const char *rest; /* what follows the block (the returned pointer) */
} fields_row_t;

static const fields_row_t fields_rows[] = {
	/* 0: LF */
	{ "From: a@example.org\nTo: b@example.org\n\nbody\n", 2,
	  { { "From", "a@example.org" }, { "To", "b@example.org" } }, "body\n" },
	/* 1: CRLF */
	{ "From: a@example.org\r\nTo: b@example.org\r\n\r\nbody\r\n", 2,
	  { { "From", "a@example.org" }, { "To", "b@example.org" } }, "body\r\n" },
	/* 2: CR only */
	{ "From: a@example.org\rTo: b@example.org\r\rbody\r", 2,
	  { { "From", "a@example.org" }, { "To", "b@example.org" } }, "body\r" },
	/* 3: folded with a tab: unfolding removes only the line break */
	{ "Subject: hello\n\tworld\nX-A: y\n\nrest", 2,
	  { { "Subject", "hello\tworld" }, { "X-A", "y" } }, "rest" },
	/* 4: folded over several lines with spaces */
	{ "Subject: a\n b\n  c\n d\nX-B: z\n\n", 2,
	  { { "Subject", "a b  c d" }, { "X-B", "z" } }, "" },
	/* 5: folded, CRLF */
	{ "Diagnostic-Code: smtp; 550 5.1.1\r\n    user unknown\r\n\r\nrest", 1,
	  { { "Diagnostic-Code", "smtp; 550 5.1.1    user unknown" } }, "rest" },
	/* 6: folded, CR only */
	{ "Subject: one\r two\rX: y\r\rrest", 2, { { "Subject", "one two" }, { "X", "y" } }, "rest" },
	/* 7: lines that are not fields are skipped, the block goes on */
	{ "From sender@example.org Mon Jan  1 00:00:00 2024\nnot a field\n stray continuation\n"
	  ": no name\nTo: b@example.org\n\nrest",
	  1, { { "To", "b@example.org" } }, "rest" },
	/* 8: white space before the colon */
	{ "Status : 5.0.0\nAction\t: failed\n\n", 2,
	  { { "Status", "5.0.0" }, { "Action", "failed" } }, "" },
	/* 9: empty value, value with colons, trimmed value */
	{ "X-Empty:\nX-Colon: a: b: c\nX-Trim:   v   \t\n\n", 3,
	  { { "X-Empty", "" }, { "X-Colon", "a: b: c" }, { "X-Trim", "v" } }, "" },
	/* 10: no line end at all: the block ends at @end */
	{ "Subject: last", 1, { { "Subject", "last" } }, "" },
	/* 11: an empty line first: an empty block */
	{ "\nFrom: a@example.org\n", 0, { { NULL, NULL } }, "From: a@example.org\n" },
	/* 12: CRLF empty line first */
	{ "\r\nFrom: a@example.org\r\n", 0, { { NULL, NULL } }, "From: a@example.org\r\n" },
	/* 13: a line of white space only ends the block like an empty line
	 * (DSN writers leave blanks between groups) */
	{ "A: b\n \t\nC: d\n\nrest", 1, { { "A", "b" } }, "C: d\n\nrest" },
	/* 14: only the first empty line ends the block */
	{ "A: 1\n\n\nB: 2\n", 1, { { "A", "1" } }, "\nB: 2\n" },
	/* 15: empty input */
	{ "", 0, { { NULL, NULL } }, "" },
	/* 16: 8-bit bytes are kept raw (decoding is another step) */
	{ "Subject: caf\xe9\n\n", 1, { { "Subject", "caf\xe9" } }, "" },
	/* 17: a folded value whose first line is empty */
	{ "To:\n a@example.org,\n b@example.org\n\n", 1, { { "To", "a@example.org, b@example.org" } },
	  "" },
};

static void
test_fields_parse_table (void **state)
{
	begin_rows ();
	bsc_arena_t *a = *state;

	for (size_t i = 0; i < N_ELEM (fields_rows); i++) {
		const fields_row_t *row = &fields_rows[i];
		size_t len = strlen (row->input);
		bsc_fields_t f = { 0 };
		const char *end = row->input + len;
		const char *ret = bsc_fields_parse (a, row->input, end, 100, 1000, &f);

		check_int (i, "field count", (long long) f.n, (long long) row->n);
		check_int (i, "truncated", f.truncated, 0);
		for (size_t k = 0; k < row->n; k++) {
			check_view (i, "name", f.v[k].name, row->f[k].name);
			check_view (i, "value", f.v[k].value, row->f[k].value);
			/* names are NUL-terminated arena copies (values are views) */
			check_int (i, "name NUL", f.v[k].name.ptr[f.v[k].name.len], 0);
			check_int (i, "value in input", f.v[k].value.ptr >= row->input &&
						     f.v[k].value.ptr < end, 0);
		}
		check_int (i, "returned offset", (long long) (ret - row->input),
			   (long long) (len - strlen (row->rest)));
	}
	end_rows ();
}

static void
test_fields_parse_max_fields (void **state)
{
	begin_rows ();
	bsc_arena_t *a = *state;
	const char in[] = "A: 1\nB: 2\nC: 3\nD: 4\nE: 5\n\nbody";
	bsc_fields_t f = { 0 };
	const char *ret = bsc_fields_parse (a, in, in + strlen (in), 3, 1000, &f);

	assert_int_equal (f.n, 3);
	assert_true (f.truncated);
	assert_string_equal (f.v[0].name.ptr, "A");
	assert_string_equal (f.v[2].name.ptr, "C");
	check_view (0, "value", f.v[2].value, "3");
	/* The rest of the block is still consumed. */
	assert_string_equal (ret, "body");

	/* Exactly at the limit: not truncated. */
	bsc_fields_t g = { 0 };
	const char in2[] = "A: 1\nB: 2\nC: 3\n\n";
	bsc_fields_parse (a, in2, in2 + strlen (in2), 3, 1000, &g);
	assert_int_equal (g.n, 3);
	assert_false (g.truncated);

	/* A second parse appends to the same list and keeps counting. */
	const char in3[] = "D: 4\n\n";
	bsc_fields_parse (a, in3, in3 + strlen (in3), 3, 1000, &g);
	assert_int_equal (g.n, 3);
	assert_true (g.truncated);
	end_rows ();
}

static void
test_fields_parse_max_value (void **state)
{
	begin_rows ();
	bsc_arena_t *a = *state;
	bsc_fields_t f = { 0 };
	const char in[] = "A:abcdefghij\nB:xy\nC: abcdefghij\n\n";

	bsc_fields_parse (a, in, in + strlen (in), 100, 4, &f);
	assert_int_equal (f.n, 3);
	assert_int_equal (f.v[0].value.len, 4);
	check_view (0, "value", f.v[0].value, "abcd");
	check_view (0, "value", f.v[1].value, "xy");
	/* With the usual space after the colon: a prefix of the value, never
	 * more than the limit. */
	assert_true (f.v[2].value.len <= 4 && f.v[2].value.len >= 3);
	assert_memory_equal (f.v[2].value.ptr, "abcd", f.v[2].value.len);

	/* A folded value is cut after unfolding, over the line break. */
	bsc_fields_t g = { 0 };
	const char in2[] = "A:ab\n cdefgh\n\n";
	bsc_fields_parse (a, in2, in2 + strlen (in2), 100, 5, &g);
	assert_int_equal (g.n, 1);
	check_view (0, "value", g.v[0].value, "ab cd");

	/* max_value 0 keeps the field with an empty value. */
	bsc_fields_t h = { 0 };
	bsc_fields_parse (a, in, in + strlen (in), 100, 0, &h);
	assert_int_equal (h.n, 3);
	assert_int_equal (h.v[0].value.len, 0);
	end_rows ();
}

static void
test_fields_parse_nul_bytes (void **state)
{
	begin_rows ();
	bsc_arena_t *a = *state;
	static const char in[] = "A: x\0y\nB\0C: z\nD: \0\n\0\nE: w\n\nrest";
	bsc_fields_t f = { 0 };
	const char *end = in + sizeof (in) - 1;
	const char *ret = bsc_fields_parse (a, in, end, 100, 1000, &f);

	/* "B\0C: z" is not a field name (NUL is not ftext); "\0" alone neither. */
	assert_int_equal (f.n, 3);
	assert_string_equal (f.v[0].name.ptr, "A");
	assert_int_equal (f.v[0].value.len, 3);
	assert_memory_equal (f.v[0].value.ptr, "x\0y", 3);
	assert_string_equal (f.v[1].name.ptr, "D");
	assert_int_equal (f.v[1].value.len, 1);
	assert_string_equal (f.v[2].name.ptr, "E");
	check_view (0, "value", f.v[2].value, "w");
	assert_ptr_equal (ret, end - 4);
	end_rows ();
}

static void
test_fields_parse_never_beyond_end (void **state)
{
	begin_rows ();
	bsc_arena_t *a = *state;
	/* @end inside the buffer: nothing after it may be read or returned. */
	const char in[] = "A: 1\nB: 2\n\nC: 3";
	bsc_fields_t f = { 0 };
	const char *ret = bsc_fields_parse (a, in, in + 7, 100, 1000, &f);

	assert_int_equal (f.n, 2);
	check_view (0, "value", f.v[0].value, "1");
	assert_string_equal (f.v[1].name.ptr, "B");
	assert_int_equal (f.v[1].value.len, 0);
	assert_ptr_equal (ret, in + 7);

	/* A CR as the last byte before @end. */
	bsc_fields_t g = { 0 };
	const char in2[] = "A: 1\r\n";
	ret = bsc_fields_parse (a, in2, in2 + 5, 100, 1000, &g);
	assert_int_equal (g.n, 1);
	assert_ptr_equal (ret, in2 + 5);
	end_rows ();
}

/* --------------------------------------------------------- bsc_fields_find */

static void
test_fields_find (void **state)
{
	begin_rows ();
	bsc_arena_t *a = *state;
	const char in[] = "Content-Type: text/plain\nX-Dup: first\nx-dup: second\nFinal-Recipient: "
			  "rfc822; a@b\n\n";
	bsc_fields_t f = { 0 };
	static const struct {
		const char *name;
		const char *value; /* NULL: not found */
	} rows[] = {
		{ "Content-Type", "text/plain" },
		{ "content-type", "text/plain" },
		{ "CONTENT-TYPE", "text/plain" },
		{ "cOnTeNt-TyPe", "text/plain" },
		{ "X-DUP", "first" },
		{ "final-recipient", "rfc822; a@b" },
		{ "Content", NULL },
		{ "Content-Type2", NULL },
		{ "Content-Typ", NULL },
		{ "", NULL },
		{ "Missing", NULL },
	};

	bsc_fields_parse (a, in, in + strlen (in), 100, 1000, &f);
	assert_int_equal (f.n, 4);
	for (size_t i = 0; i < N_ELEM (rows); i++) {
		const bsc_field_t *hit = bsc_fields_find (&f, rows[i].name);
		check_int (i, rows[i].name, hit != NULL, rows[i].value != NULL);
		if (hit)
			check_view (i, rows[i].name, hit->value, rows[i].value);
	}

	bsc_fields_t empty = { 0 };
	assert_null (bsc_fields_find (&empty, "From"));
	end_rows ();
}

/* ------------------------------------------------------- bsc_header_decode */

static const struct {
	const char *in;
	const char *out;
} decode_rows[] = {
	/* 0-1: RFC 2047 Q, ISO-8859-1 */
	{ "=?ISO-8859-1?Q?Andr=E9?=", "Andr\xc3\xa9" },
	{ "=?iso-8859-1?q?caf=E9_cr=E8me?=", "caf\xc3\xa9 cr\xc3\xa8me" },
	/* 2: B, ISO-8859-1 */
	{ "=?ISO-8859-1?B?6Q==?=", "\xc3\xa9" },
	/* 3-4: Q and B, UTF-8 */
	{ "=?UTF-8?Q?caf=C3=A9?= ok", "caf\xc3\xa9 ok" },
	{ "=?UTF-8?B?w6l0w6k=?=", "\xc3\xa9t\xc3\xa9" },
	/* 5: white space between adjacent encoded words disappears (RFC 2047 section 6.2) */
	{ "=?UTF-8?Q?a?= =?UTF-8?Q?b?=", "ab" },
	/* 6: text around encoded words is kept */
	{ "Re: =?UTF-8?Q?Undeliverable=3A_caf=C3=A9?= (fwd)", "Re: Undeliverable: caf\xc3\xa9 (fwd)" },
	/* 7: Windows-1252 word */
	{ "=?windows-1252?Q?=80_5?=", "\xe2\x82\xac 5" },
	/* 8-10: no encoded word: a plain copy */
	{ "Delivery Status Notification (Failure)", "Delivery Status Notification (Failure)" },
	{ "", "" },
	{ "a=?b", "a=?b" },
	/* 11: raw 8-bit Latin-1 becomes UTF-8 */
	{ "caf\xe9 cr\xe8me", "caf\xc3\xa9 cr\xc3\xa8me" },
	/* 12: raw Windows-1252 euro */
	{ "\x80 5", "\xe2\x82\xac 5" },
	/* 13: raw UTF-8 stays */
	{ "caf\xc3\xa9", "caf\xc3\xa9" },
	/* 14: control characters become spaces, tabs stay */
	{ "a\x01" "b\tc", "a b\tc" },
};

static void
test_header_decode_table (void **state)
{
	begin_rows ();
	bsc_arena_t *a = *state;

	for (size_t i = 0; i < N_ELEM (decode_rows); i++) {
		bsc_str_t raw = { decode_rows[i].in, strlen (decode_rows[i].in) };
		char *got = bsc_header_decode (a, raw);

		check_str (i, decode_rows[i].in, got, decode_rows[i].out);
		check_int (i, "valid UTF-8", bsc_utf8_valid (got, strlen (got)), 1);
	}
	end_rows ();
}

static void
test_header_decode_not_terminated (void **state)
{
	bsc_arena_t *a = *state;
	/* A view into a larger buffer: only @len bytes count. */
	const char buf[] = "=?UTF-8?Q?x?=TRAILING";
	char *got = bsc_header_decode (a, (bsc_str_t) { buf, 13 });

	assert_string_equal (got, "x");
	got = bsc_header_decode (a, (bsc_str_t) { "plainXYZ", 5 });
	assert_string_equal (got, "plain");
}

/* ---------------------------------------------------------- bsc_utf8_valid */

static const struct {
	const char *s;
	size_t len;
	bool valid;
} utf8_rows[] = {
	{ "", 0, true },
	{ "abc", 3, true },
	{ "a\0b", 3, true },                    /* U+0000 is valid UTF-8 */
	{ "\xc3\xa9", 2, true },                 /* U+00E9 */
	{ "\xc2\x80", 2, true },                 /* U+0080, smallest 2-byte */
	{ "\xdf\xbf", 2, true },                 /* U+07FF */
	{ "\xe0\xa0\x80", 3, true },             /* U+0800, smallest 3-byte */
	{ "\xe2\x82\xac", 3, true },             /* U+20AC */
	{ "\xed\x9f\xbf", 3, true },             /* U+D7FF, last before surrogates */
	{ "\xee\x80\x80", 3, true },             /* U+E000, first after */
	{ "\xef\xbf\xbf", 3, true },             /* U+FFFF */
	{ "\xf0\x90\x80\x80", 4, true },         /* U+10000 */
	{ "\xf0\x9f\x98\x80", 4, true },         /* U+1F600 */
	{ "\xf4\x8f\xbf\xbf", 4, true },         /* U+10FFFF, the last */
	{ "\xc0\xaf", 2, false },                /* overlong '/' */
	{ "\xc1\xbf", 2, false },                /* overlong U+007F */
	{ "\xc0\x80", 2, false },                /* overlong NUL (modified UTF-8) */
	{ "\xe0\x80\xaf", 3, false },            /* overlong '/' in 3 */
	{ "\xe0\x9f\xbf", 3, false },            /* overlong U+07FF */
	{ "\xf0\x80\x80\xaf", 4, false },        /* overlong '/' in 4 */
	{ "\xf0\x8f\xbf\xbf", 4, false },        /* overlong U+FFFF */
	{ "\xed\xa0\x80", 3, false },            /* U+D800 */
	{ "\xed\xbf\xbf", 3, false },            /* U+DFFF */
	{ "\xed\xa0\xbd\xed\xb8\x80", 6, false }, /* CESU-8 surrogate pair */
	{ "\xf4\x90\x80\x80", 4, false },        /* U+110000 */
	{ "\xf5\x80\x80\x80", 4, false },
	{ "\xf8\x88\x80\x80\x80", 5, false },    /* old 5-byte form */
	{ "\xfe", 1, false },
	{ "\xff", 1, false },
	{ "\x80", 1, false },                    /* lone continuation */
	{ "a\xbf", 2, false },
	{ "\xc3", 1, false },                    /* truncated */
	{ "\xe2\x82", 2, false },
	{ "\xf0\x9f\x98", 3, false },
	{ "\xc3\x28", 2, false },                /* bad continuation */
	{ "\xe2\x28\xa1", 3, false },
	{ "\xc3\xa9\xc3", 3, false },            /* good then truncated */
	{ "\xc3\xa9xyz", 2, true },              /* only @len bytes are looked at */
};

static void
test_utf8_valid_table (void **state)
{
	begin_rows ();
	(void) state;
	for (size_t i = 0; i < N_ELEM (utf8_rows); i++)
		check_int (i, "bsc_utf8_valid", bsc_utf8_valid (utf8_rows[i].s, utf8_rows[i].len),
			   utf8_rows[i].valid);
	end_rows ();
}

/* ----------------------------------------------------------- bsc_utf8_copy */

static const struct {
	const char *in;
	size_t len;
	const char *out;
} copy_rows[] = {
	{ "plain", 5, "plain" },
	{ "", 0, "" },
	{ "\x80", 1, "\xe2\x82\xac" },                /* Windows-1252 euro */
	{ "caf\xe9", 4, "caf\xc3\xa9" },              /* Latin-1 e acute */
	{ "\x93q\x94", 3, "\xe2\x80\x9cq\xe2\x80\x9d" }, /* curly quotes */
	{ "\x9f", 1, "\xc5\xb8" },                    /* U+0178 */
	{ "\x81", 1, "\xef\xbf\xbd" },                /* undefined in 1252 */
	{ "\xa0", 1, "\xc2\xa0" },
	{ "\xff", 1, "\xc3\xbf" },
	{ "a\x01" "b\x1f" "c\x7f", 6, "a b c " },     /* controls -> spaces */
	{ "a\tb", 3, "a\tb" },                        /* TAB stays */
	{ "a\r\nb", 4, "a  b" },
	{ "a\0b", 3, "a b" },                         /* NUL -> space */
	{ "\xc3\xa9\xe2\x82\xac", 5, "\xc3\xa9\xe2\x82\xac" }, /* valid UTF-8 copied */
	{ "\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80" },
	{ "\xe9t\xc3\xa9", 4, "\xc3\xa9t\xc3\xa9" },  /* mixed */
	{ "\xc0\xaf", 2, "\xc3\x80\xc2\xaf" },        /* overlong: read as 1252 */
	{ "\xed\xa0\x80", 3, "\xc3\xad\xc2\xa0\xe2\x82\xac" }, /* surrogate: read as 1252 */
	{ "x\xc3", 2, "x\xc3\x83" },                  /* truncated at the end */
	{ "a  b", 4, "a  b" },                        /* white space kept */
};

static void
test_utf8_copy_table (void **state)
{
	begin_rows ();
	bsc_arena_t *a = *state;

	for (size_t i = 0; i < N_ELEM (copy_rows); i++) {
		char *got = bsc_utf8_copy (a, copy_rows[i].in, copy_rows[i].len);

		check_str (i, "bsc_utf8_copy", got, copy_rows[i].out);
		check_int (i, "result valid", bsc_utf8_valid (got, strlen (got)), 1);
	}
	end_rows ();
}

static void
test_utf8_copy_worst_case (void **state)
{
	bsc_arena_t *a = *state;
	/* Every byte 0x80 grows to 3 bytes: the buffer must hold it. */
	char in[3000];
	memset (in, 0x80, sizeof (in));
	char *got = bsc_utf8_copy (a, in, sizeof (in));

	assert_non_null (got);
	assert_int_equal (strlen (got), 3 * sizeof (in));
	for (size_t i = 0; i < sizeof (in); i++)
		assert_memory_equal (got + 3 * i, "\xe2\x82\xac", 3);

	/* All 256 byte values in one go: valid output, no crash. */
	char all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (char) i;
	got = bsc_utf8_copy (a, all, sizeof (all));
	assert_non_null (got);
	assert_true (bsc_utf8_valid (got, strlen (got)));

	/* A length that cannot be tripled is refused. */
	assert_null (bsc_utf8_copy (a, "x", SIZE_MAX / 2));
}

/* ------------------------------------------------------ bsc_strip_comments */

static const struct {
	const char *in;
	const char *out;
} strip_rows[] = {
	{ "a (b) c", "a  c" },
	{ "a (b (c) d) e", "a  e" },                     /* nested */
	{ "(one)(two)x", "x" },
	{ "\"a (b)\" c", "\"a (b)\" c" },                /* quoted: not a comment */
	{ "\"q\\\"(x)\" y", "\"q\\\"(x)\" y" },          /* quoted-pair inside quotes */
	{ "a (b \\) c) d", "a  d" },                     /* quoted-pair inside a comment */
	{ "a (b \\( c) d", "a  d" },
	{ "a (unclosed", "a " },
	{ "a ) b", "a ) b" },                            /* unbalanced close is text */
	{ "failed (bad destination mailbox address)", "failed " },
	{ "5.1.1 (user unknown)", "5.1.1 " },
	{ "user@example.org (Joe (the) User)", "user@example.org " },
	{ "(all)", "" },
	{ "", "" },
	{ "no comment", "no comment" },
	{ "x \\(y) z", "x \\ z" },                       /* backslash outside: plain text */
};

static void
test_strip_comments_table (void **state)
{
	begin_rows ();
	(void) state;
	for (size_t i = 0; i < N_ELEM (strip_rows); i++) {
		char buf[128];
		size_t len = strlen (strip_rows[i].in);

		memcpy (buf, strip_rows[i].in, len + 1);
		size_t n = bsc_strip_comments (buf, len);
		check_view (i, strip_rows[i].in, ((bsc_str_t) { buf, n }), strip_rows[i].out);
	}
	end_rows ();
}

/* ---------------------------------------------------------- bsc_addr_clean */

static const struct {
	const char *in;
	bool strip; /* run bsc_strip_comments first, as dsn.c does */
	const char *out;
} addr_rows[] = {
	{ "rfc822; <a@b>", false, "a@b" },
	{ "rfc822;a@b", false, "a@b" },
	{ "<a@b>", false, "a@b" },
	{ "a@b (comment)", true, "a@b" },
	{ "utf-8; x@y", false, "x@y" },
	{ "RFC822; User@Example.ORG", false, "User@Example.ORG" }, /* case kept */
	{ "  rfc822 ;  a@b  ", false, "a@b" },
	{ "a@b", false, "a@b" },
	{ "\ta@b\t", false, "a@b" },
	{ "Joe <a@b>", false, "a@b" },
	{ "rfc822; <>", false, "" },                   /* the null path */
	{ "rfc822;", false, "" },
	{ "", false, "" },
	{ "x@y;z", false, "x@y;z" },                   /* ';' after '@' is no type */
	{ "rfc822; \"quoted;local\"@b", false, "\"quoted;local\"@b" },
	{ "<a@b", false, "<a@b" },                     /* no '>': left as is */
	{ "rfc822; a@b (Joe) ", true, "a@b" },
};

static void
test_addr_clean_table (void **state)
{
	begin_rows ();
	(void) state;
	for (size_t i = 0; i < N_ELEM (addr_rows); i++) {
		char buf[128];
		size_t len = strlen (addr_rows[i].in);

		memcpy (buf, addr_rows[i].in, len + 1);
		if (addr_rows[i].strip)
			len = bsc_strip_comments (buf, len);
		check_view (i, addr_rows[i].in, bsc_addr_clean ((bsc_str_t) { buf, len }),
			    addr_rows[i].out);
	}
	end_rows ();
}

/* ---------------------------------------------------- small view helpers */

static void
test_str_helpers (void **state)
{
	(void) state;
	bsc_str_t s = { " \t\r\nab c\n\r\t ", 12 };

	assert_int_equal (bsc_str_trim (s).len, 4);
	assert_memory_equal (bsc_str_trim (s).ptr, "ab c", 4);
	assert_int_equal (bsc_str_trim ((bsc_str_t) { "   ", 3 }).len, 0);
	assert_int_equal (bsc_str_trim ((bsc_str_t) { "", 0 }).len, 0);

	assert_true (bsc_str_ieq ((bsc_str_t) { "Delivery-STATUS", 15 }, "delivery-status"));
	assert_false (bsc_str_ieq ((bsc_str_t) { "Delivery-STATUSx", 16 }, "delivery-status"));
	assert_false (bsc_str_ieq ((bsc_str_t) { "Delivery", 8 }, "delivery-status"));
	assert_true (bsc_str_ieq ((bsc_str_t) { "", 0 }, ""));

	assert_true (bsc_str_iprefix ((bsc_str_t) { "HELO x", 6 }, "helo "));
	assert_false (bsc_str_iprefix ((bsc_str_t) { "HEL", 3 }, "helo"));
	/* a view is not NUL-terminated: bytes after @len do not count */
	assert_false (bsc_str_iprefix ((bsc_str_t) { "HELO", 3 }, "helo"));

	const char hay[] = "Host said: HELO=x";
	assert_ptr_equal (bsc_str_icase_find ((bsc_str_t) { hay, strlen (hay) }, "helo="), hay + 11);
	assert_null (bsc_str_icase_find ((bsc_str_t) { hay, 14 }, "helo="));
	assert_null (bsc_str_icase_find ((bsc_str_t) { hay, strlen (hay) }, "ehlo"));
	assert_ptr_equal (bsc_str_icase_find ((bsc_str_t) { hay, strlen (hay) }, ""), hay);
	/* the first candidate in either case, then the next one, to the very end */
	const char mixed[] = "hEl hElp HELP";
	assert_ptr_equal (bsc_str_icase_find ((bsc_str_t) { mixed, strlen (mixed) }, "help"), mixed + 4);
	assert_ptr_equal (bsc_str_icase_find ((bsc_str_t) { mixed + 5, strlen (mixed) - 5 }, "HeLp"),
			  mixed + 9);
	assert_null (bsc_str_icase_find ((bsc_str_t) { mixed + 5, strlen (mixed) - 6 }, "help"));
	const char dashes[] = "a-b-C";
	assert_ptr_equal (bsc_str_icase_find ((bsc_str_t) { dashes, 5 }, "-c"), dashes + 3);
}

/* ------------------------------------------------------------------- arena */

static void
test_arena (void **state)
{
	bsc_arena_t *a = *state;

	/* Alignment of every block. */
	for (size_t sz = 1; sz < 100; sz += 7) {
		void *p = bsc_arena_alloc (a, sz);
		assert_non_null (p);
		assert_int_equal ((uintptr_t) p % _Alignof (max_align_t), 0);
		memset (p, 0xaa, sz);
	}
	/* Blocks larger than a chunk, and the chunk after them still works. */
	char *big = bsc_arena_alloc (a, 100000);
	assert_non_null (big);
	memset (big, 'x', 100000);
	char *small = bsc_arena_strdup (a, "after big");
	assert_string_equal (small, "after big");
	assert_int_equal (big[99999], 'x');

	/* strndup copies exactly @len bytes and terminates. */
	char *d = bsc_arena_strndup (a, "abcdef", 3);
	assert_string_equal (d, "abc");
	d = bsc_arena_strndup (a, NULL, 0);
	assert_string_equal (d, "");
	assert_null (bsc_arena_strdup (a, NULL));

	/* grow keeps the contents. */
	size_t cap = 0;
	int *v = NULL;
	for (int i = 0; i < 1000; i++) {
		v = bsc_arena_grow (a, v, sizeof (int), &cap, (size_t) i + 1);
		assert_non_null (v);
		v[i] = i;
	}
	assert_true (cap >= 1000);
	for (int i = 0; i < 1000; i++)
		assert_int_equal (v[i], i);
	assert_false (a->failed);

	/* Sizes that cannot be met fail cleanly and mark the arena. */
	assert_null (bsc_arena_grow (a, v, SIZE_MAX / 2, &cap, 1 << 20));
	assert_true (a->failed);
	a->failed = false;
	assert_null (bsc_arena_alloc (a, SIZE_MAX));
	assert_true (a->failed);
	a->failed = false;
	/* Near SIZE_MAX the chunk header must not wrap the malloc size. */
	assert_null (bsc_arena_alloc (a, SIZE_MAX - 40));
	assert_true (a->failed);
}

static void
test_arena_release_twice (void **state)
{
	(void) state;
	bsc_arena_t a;

	bsc_arena_init (&a);
	assert_null (a.head);
	bsc_arena_release (&a); /* empty */
	assert_non_null (bsc_arena_alloc (&a, 10));
	bsc_arena_release (&a);
	assert_null (a.head);
	bsc_arena_release (&a);
}

/* A borrowed first chunk serves small allocations and is never freed. */
static void
test_arena_borrowed_chunk (void **state)
{
	(void) state;
	_Alignas (max_align_t) unsigned char buf[512];
	bsc_arena_t a;

	bsc_arena_init_with (&a, buf, sizeof (buf));
	char *small = bsc_arena_alloc (&a, 100);
	assert_true ((unsigned char *) small > buf && (unsigned char *) small + 100 <= buf + sizeof (buf));
	char *big = bsc_arena_alloc (&a, 4000); /* its own chunk */
	assert_true ((unsigned char *) big + 4000 <= buf || (unsigned char *) big >= buf + sizeof (buf));
	memset (big, 1, 4000);
	for (int i = 0; i < 100; i++) /* fills the buffer, then chunks of its own */
		assert_non_null (bsc_arena_alloc (&a, 50));
	bsc_arena_release (&a); /* frees the chunks, not buf (ASan, valgrind) */
	assert_null (a.head);
	bsc_arena_init_with (&a, buf, 8); /* too small to hold a chunk: plain arena */
	assert_non_null (bsc_arena_alloc (&a, 10));
	bsc_arena_release (&a);
}

int
main (void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown (test_fields_parse_table, arena_setup, arena_teardown),
		cmocka_unit_test_setup_teardown (test_fields_parse_max_fields, arena_setup,
						 arena_teardown),
		cmocka_unit_test_setup_teardown (test_fields_parse_max_value, arena_setup,
						 arena_teardown),
		cmocka_unit_test_setup_teardown (test_fields_parse_nul_bytes, arena_setup,
						 arena_teardown),
		cmocka_unit_test_setup_teardown (test_fields_parse_never_beyond_end, arena_setup,
						 arena_teardown),
		cmocka_unit_test_setup_teardown (test_fields_find, arena_setup, arena_teardown),
		cmocka_unit_test_setup_teardown (test_header_decode_table, arena_setup, arena_teardown),
		cmocka_unit_test_setup_teardown (test_header_decode_not_terminated, arena_setup,
						 arena_teardown),
		cmocka_unit_test (test_utf8_valid_table),
		cmocka_unit_test_setup_teardown (test_utf8_copy_table, arena_setup, arena_teardown),
		cmocka_unit_test_setup_teardown (test_utf8_copy_worst_case, arena_setup,
						 arena_teardown),
		cmocka_unit_test (test_strip_comments_table),
		cmocka_unit_test (test_addr_clean_table),
		cmocka_unit_test (test_str_helpers),
		cmocka_unit_test_setup_teardown (test_arena, arena_setup, arena_teardown),
		cmocka_unit_test (test_arena_release_twice),
		cmocka_unit_test (test_arena_borrowed_chunk),
	};

	return cmocka_run_group_tests (tests, group_setup, NULL);
}
