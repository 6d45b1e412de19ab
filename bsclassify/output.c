/*
 * output.c - bsclassify's records (text or JSON Lines), summary and progress
 *
 * Every write is checked: the first failure (a closed pipe, a full disk) is
 * remembered and every later write skipped, so that bsclassify can stop
 * and say so instead of losing records silently.
 *
 * Text mode writes what the library extracted from hostile mail to what may
 * be a terminal, so control characters and invalid UTF-8 never reach it
 * raw.  JSON mode escapes them and replaces invalid UTF-8 by U+FFFD.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

#define TEXT_FIELD_MAX 300	/* bytes of one extracted field in text mode */
#define TEXT_DIAG_MAX 200	/* bytes of a diagnostic in text mode */
#define TEXT_MATCH_MAX 80	/* bytes of a rule's matched text (--explain) */
#define TEXT_RECIPIENTS_MAX 20	/* recipients listed in text mode */

#define REPLACEMENT "\xef\xbf\xbd"	/* U+FFFD in UTF-8 */

struct output {
	FILE *fp;		/* NULL: records go to buf (output_new_buffer) */
	char *buf;
	size_t len, alloc;
	output_format_t format;
	int explain;
	int err;		/* errno of the first write error */
	char *name_raw;		/* the last file name seen ... */
	char *name_utf8;	/* ... and its copy with invalid UTF-8 replaced */
	char *json;		/* the JSON record buffer, kept from one record to the next */
	size_t json_cap;
};

/* ------------------------------------------------------------ checked writes */

/* Room for @more bytes (and a NUL) in the buffer; 0, or -1 with err set. */
static int
buf_reserve (output_t *o, size_t more)
{
	size_t alloc = o->alloc ? o->alloc : 4096;
	char *p;

	if (more > SIZE_MAX - 1 - o->len) {
		o->err = ENOMEM;
		return -1;
	}
	if (o->len + more + 1 <= o->alloc)
		return 0;
	while (alloc < o->len + more + 1)
		alloc = alloc > SIZE_MAX / 2 ? o->len + more + 1 : alloc * 2;
	p = realloc (o->buf, alloc);
	if (!p) {
		o->err = ENOMEM;
		return -1;
	}
	o->buf = p;
	o->alloc = alloc;
	return 0;
}

static void
out_write (output_t *o, const char *s, size_t len)
{
	if (o->err || len == 0)
		return;
	if (!o->fp) {
		if (buf_reserve (o, len) == 0) {
			memcpy (o->buf + o->len, s, len);
			o->len += len;
		}
		return;
	}
	errno = 0;
	if (fwrite (s, 1, len, o->fp) != len)
		o->err = errno ? errno : EIO;
}

static void
out_puts (output_t *o, const char *s)
{
	out_write (o, s, strlen (s));
}

static void out_printf (output_t *o, const char *fmt, ...) PRINTF_LIKE (2, 3);

static void
out_printf (output_t *o, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (o->err)
		return;
	if (!o->fp) {
		char small[128];

		va_start (ap, fmt);
		rc = vsnprintf (small, sizeof small, fmt, ap);
		va_end (ap);
		if (rc < 0) {
			o->err = EIO;
		} else if ((size_t) rc < sizeof small) {
			out_write (o, small, (size_t) rc);
		} else if (buf_reserve (o, (size_t) rc) == 0) {
			va_start (ap, fmt);
			vsnprintf (o->buf + o->len, (size_t) rc + 1, fmt, ap);
			va_end (ap);
			o->len += (size_t) rc;
		}
		return;
	}
	va_start (ap, fmt);
	errno = 0;
	rc = vfprintf (o->fp, fmt, ap);
	va_end (ap);
	if (rc < 0)
		o->err = errno ? errno : EIO;
}

static int
out_status (const output_t *o)
{
	return o->err ? -1 : 0;
}

/* ------------------------------------------------------------ UTF-8 */

/*
 * The length of the well-formed UTF-8 sequence at @s (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF), 0 when the bytes
 * there are not one.
 */
static size_t
utf8_sequence (const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0;
	len = c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf5 ? 4 : 0;
	if (len == 0 || n < len)
		return 0;
	for (i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) ||
	    (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
		return 0;
	return len;
}

/* A copy of @s with each byte that is not valid UTF-8 replaced by U+FFFD. */
static char *
utf8_repair (const char *s)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t n = strlen (s), i = 0, o = 0;
	char *out;

	if (n > (SIZE_MAX - 1) / 3)
		return NULL;
	out = malloc (3 * n + 1);
	if (!out)
		return NULL;
	while (i < n) {
		size_t k = utf8_sequence (p + i, n - i);

		if (k == 0) {
			memcpy (out + o, REPLACEMENT, 3);
			o += 3;
			i++;
		} else {
			memcpy (out + o, s + i, k);
			o += k;
			i += k;
		}
	}
	out[o] = '\0';
	return out;
}

/* ------------------------------------------------------------ JSON */

/* A JSON string (RFC 8259): quotes, backslashes and controls escaped. */
static void
json_string (output_t *o, const char *s)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t n = strlen (s), i = 0, run = 0;
	char esc[8];

	out_write (o, "\"", 1);
	while (i < n) {
		size_t k = utf8_sequence (p + i, n - i);

		if (k > 1 || (k == 1 && p[i] >= 0x20 && p[i] != '"' && p[i] != '\\')) {
			i += k;
			continue;
		}
		out_write (o, s + run, i - run);
		if (k == 0)
			out_write (o, REPLACEMENT, 3);
		else if (p[i] == '"' || p[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char) p[i];
			out_write (o, esc, 2);
		} else {
			snprintf (esc, sizeof esc, "\\u%04x", p[i]);
			out_write (o, esc, 6);
		}
		run = ++i;
	}
	out_write (o, s + run, n - run);
	out_write (o, "\"", 1);
}

static void
json_error (output_t *o, const char *file, long index, const char *text)
{
	out_puts (o, "{\"file\": ");
	json_string (o, file);
	if (index >= 0)
		out_printf (o, ", \"index\": %ld", index);
	out_puts (o, ", \"error\": ");
	json_string (o, text);
	out_puts (o, "}\n");
}

/*
 * The file name as the library's JSON writer gets it: valid UTF-8, so the
 * line stays valid JSON whatever bytes the file system allows in names.
 * Cached because an mbox gives the same name to all of its messages.
 */
static const char *
json_file_name (output_t *o, const char *file)
{
	char *raw, *utf8;

	if (o->name_raw && strcmp (o->name_raw, file) == 0)
		return o->name_utf8;
	raw = strdup (file);
	utf8 = utf8_repair (file);
	if (!raw || !utf8) {
		free (raw);
		free (utf8);
		return NULL;
	}
	free (o->name_raw);
	free (o->name_utf8);
	o->name_raw = raw;
	o->name_utf8 = utf8;
	return utf8;
}

/* ------------------------------------------------------------ text */

enum {
	TEXT_KEEP_SPACE = 0,	/* spaces as they are, other controls '?' */
	TEXT_ONE_LINE = 1	/* runs of white space become one space */
};

static int
is_space (unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* C0 and C1 control characters, DEL: what a terminal may act on. */
static int
is_control (const unsigned char *s, size_t k)
{
	if (k == 1)
		return s[0] < 0x20 || s[0] == 0x7f;
	return k == 2 && s[0] == 0xc2 && s[1] < 0xa0;
}

/*
 * Writes @s for a human at a terminal: control characters and invalid
 * UTF-8 become '?'; at most @max bytes, then "...".
 */
static void
text_field (output_t *o, const char *s, size_t max, int mode)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t n = strlen (s), i = 0, written = 0;
	int space = 0;

	while (i < n) {
		size_t k = utf8_sequence (p + i, n - i);
		const char *piece = s + i;
		size_t len = k;

		if (mode == TEXT_ONE_LINE && k == 1 && is_space (p[i])) {
			space = written > 0;
			i++;
			continue;
		}
		if (k == 0 || is_control (p + i, k)) {
			piece = "?";
			len = 1;
		}
		i += k ? k : 1;
		if (written + (size_t) space + len > max) {
			out_puts (o, "...");
			return;
		}
		if (space)
			out_write (o, " ", 1);
		out_write (o, piece, len);
		written += (size_t) space + len;
		space = 0;
	}
}

static void
text_head (output_t *o, const char *file, long index)
{
	text_field (o, file, SIZE_MAX, TEXT_KEEP_SPACE);
	if (index >= 0)
		out_printf (o, " #%ld", index);
	out_puts (o, ": ");
}

/* " VALUE" when @value is set; tells whether it wrote anything. */
static int
text_word (output_t *o, const char *sep, const char *value)
{
	if (!value || !*value)
		return 0;
	out_puts (o, sep);
	text_field (o, value, TEXT_FIELD_MAX, TEXT_ONE_LINE);
	return 1;
}

static void
text_recipient (output_t *o, const bsc_result_t *r, size_t i)
{
	const char *addr = bsc_result_recipient (r, i, BSC_RCPT_ADDRESS);
	const char *action = bsc_result_recipient (r, i, BSC_RCPT_ACTION);
	const char *status = bsc_result_recipient (r, i, BSC_RCPT_STATUS);
	const char *reply = bsc_result_recipient (r, i, BSC_RCPT_REPLY_CODE);
	const char *remote = bsc_result_recipient (r, i, BSC_RCPT_REMOTE_MTA);
	const char *diag = bsc_result_recipient (r, i, BSC_RCPT_DIAGNOSTIC);
	const char *sep = "  ";

	out_puts (o, "  recipient: ");
	if (!text_word (o, "", addr))
		out_puts (o, "(unknown)");
	if (text_word (o, sep, action))
		sep = " ";
	if (text_word (o, sep, status))
		sep = " ";
	if (reply && *reply) {
		out_puts (o, sep);
		out_puts (o, "(");
		text_field (o, reply, TEXT_FIELD_MAX, TEXT_ONE_LINE);
		out_puts (o, ")");
	}
	text_word (o, "  via ", remote);
	out_puts (o, "\n");
	if (diag && *diag) {
		out_puts (o, "    ");
		text_field (o, diag, TEXT_DIAG_MAX, TEXT_ONE_LINE);
		out_puts (o, "\n");
	}
}

static void
text_original (output_t *o, const bsc_result_t *r)
{
	const char *subject = bsc_result_original (r, BSC_ORIG_SUBJECT);
	size_t relays = bsc_result_relay_count (r);
	int any = 0;

	if (!bsc_result_has_original (r)) {
		if (bsc_result_kind (r) == BSC_KIND_BOUNCE)
			out_puts (o, "  original: not included\n");
		return;
	}
	out_puts (o, "  original:");
	any |= text_word (o, " ", bsc_result_original (r, BSC_ORIG_MESSAGE_ID));
	if (subject) {
		out_puts (o, " \"");
		text_field (o, subject, TEXT_FIELD_MAX, TEXT_ONE_LINE);
		out_puts (o, "\"");
		any = 1;
	}
	any |= text_word (o, " from ", bsc_result_original (r, BSC_ORIG_FROM));
	out_printf (o, "%s %zu relay%s\n", any ? "," : "", relays, relays == 1 ? "" : "s");
}

static void
text_rules (output_t *o, const bsc_result_t *r)
{
	size_t i, n = bsc_result_rule_count (r);

	if (n == 0) {
		out_puts (o, "  rules: none fired\n");
		return;
	}
	out_puts (o, "  rules:\n");
	for (i = 0; i < n; i++) {
		const char *name = bsc_result_rule_name (r, i);
		const char *match = bsc_result_rule_match (r, i);

		out_puts (o, "    ");
		text_field (o, name ? name : "?", TEXT_FIELD_MAX, TEXT_ONE_LINE);
		out_printf (o, " %+.1f", bsc_result_rule_score (r, i));
		if (match) {
			out_puts (o, "  \"");
			text_field (o, match, TEXT_MATCH_MAX, TEXT_ONE_LINE);
			out_puts (o, "\"");
		}
		out_puts (o, "\n");
	}
}

/* The library's names are static text; never hand printf a NULL. */
static const char *
name_or_unknown (const char *name)
{
	return name ? name : "unknown";
}

static void
text_result (output_t *o, const char *file, long index, const bsc_result_t *r)
{
	size_t i, n = bsc_result_recipient_count (r);

	text_head (o, file, index);
	out_printf (o, "%s, origin %s -> %s (score %.1f)\n",
		    name_or_unknown (bsc_kind_name (bsc_result_kind (r))),
		    name_or_unknown (bsc_origin_name (bsc_result_origin (r))),
		    name_or_unknown (bsc_verdict_name (bsc_result_verdict (r))),
		    bsc_result_score (r));
	if (text_word (o, "  reporting MTA: ", bsc_result_reporting_mta (r)))
		out_puts (o, "\n");
	for (i = 0; i < n && i < TEXT_RECIPIENTS_MAX; i++)
		text_recipient (o, r, i);
	if (n > TEXT_RECIPIENTS_MAX)
		out_printf (o, "  ... and %zu more recipients\n", n - TEXT_RECIPIENTS_MAX);
	text_original (o, r);
	for (i = 0; i < bsc_result_note_count (r); i++)
		if (text_word (o, "  note: ", bsc_result_note (r, i)))
			out_puts (o, "\n");
	if (o->explain)
		text_rules (o, r);
}

static void
text_error (output_t *o, const char *file, long index, const char *text)
{
	text_head (o, file, index);
	out_puts (o, "error: ");
	text_field (o, text, SIZE_MAX, TEXT_ONE_LINE);
	out_puts (o, "\n");
}

/* ------------------------------------------------------------ records */

output_t *
output_new (FILE *fp, output_format_t format, int explain)
{
	output_t *o = calloc (1, sizeof *o);

	if (!o)
		return NULL;
	o->fp = fp;
	o->format = format;
	o->explain = explain;
	return o;
}

output_t *
output_new_buffer (output_format_t format, int explain)
{
	return output_new (NULL, format, explain);
}

const char *
output_buffer (const output_t *o, size_t *len)
{
	*len = o->len;
	return o->buf ? o->buf : "";
}

void
output_buffer_reset (output_t *o)
{
	o->len = 0;
	o->err = 0;
}

void
output_free (output_t *o)
{
	if (!o)
		return;
	free (o->buf);
	free (o->name_raw);
	free (o->name_utf8);
	bsc_free (o->json);
	free (o);
}

static int
json_result (output_t *o, const char *file, long index, const bsc_result_t *r)
{
	const char *name = json_file_name (o, file);
	size_t len;
	bsc_status_t st = name ? bsc_result_to_json_buf (r, name, index, &o->json, &o->json_cap, &len)
			       : BSC_ENOMEM;

	if (st != BSC_OK) {
		json_error (o, file, index, bsc_strerror (st));
		return o->err ? -1 : 1;
	}
	o->json[len] = '\n'; /* in place of the NUL */
	out_write (o, o->json, len + 1);
	return out_status (o);
}

int
output_result (output_t *o, const char *file, long index, const bsc_result_t *r)
{
	if (o->format == OUTPUT_JSON)
		return json_result (o, file, index, r);
	text_result (o, file, index, r);
	return out_status (o);
}

int
output_message_error (output_t *o, const char *file, long index, const char *text)
{
	if (o->format == OUTPUT_JSON)
		json_error (o, file, index, text);
	else
		text_error (o, file, index, text);
	return out_status (o);
}

int
output_file_error (output_t *o, const char *file, const char *text)
{
	return output_message_error (o, file, -1, text);
}

int
output_raw (output_t *o, const char *data, size_t len)
{
	out_write (o, data, len);
	return out_status (o);
}

int
output_flush (output_t *o)
{
	if (!o->err && o->fp) {
		errno = 0;
		if (fflush (o->fp) != 0 || ferror (o->fp))
			o->err = errno ? errno : EIO;
	}
	return out_status (o);
}

int
output_errno (const output_t *o)
{
	return o->err;
}

/* ------------------------------------------------------------ summary */

void
summary_print (FILE *fp, const summary_t *s)
{
	unsigned long long total = s->errors;
	int v;

	fprintf (fp, "bsclassify: summary\n");
	for (v = 0; v < SUMMARY_VERDICTS; v++) {
		fprintf (fp, "  %-20s %12llu\n",
			 name_or_unknown (bsc_verdict_name ((bsc_verdict_t) v)), s->verdicts[v]);
		total += s->verdicts[v];
	}
	fprintf (fp, "  %-20s %12llu\n", "errors", s->errors);
	fprintf (fp, "  %-20s %12llu\n", "total", total);
}

/* ------------------------------------------------------------ progress */

#define LARGE_BYTES (20ULL * 1000 * 1000)
#define LARGE_MESSAGES 2000ULL
#define REDRAW_NS (200L * 1000 * 1000)	/* at most five times a second */

void
progress_init (progress_t *p, int enabled, unsigned long long total)
{
	memset (p, 0, sizeof *p);
	p->enabled = enabled;
	p->total = total;
}

static int
progress_due (progress_t *p)
{
	struct timespec now;
	long long ns;

	if (clock_gettime (CLOCK_MONOTONIC, &now) != 0)
		return 0;
	ns = (long long) (now.tv_sec - p->last.tv_sec) * 1000000000LL +
	     (now.tv_nsec - p->last.tv_nsec);
	if (p->width > 0 && ns < REDRAW_NS)
		return 0;
	p->last = now;
	return 1;
}

static void
progress_draw (progress_t *p)
{
	char line[160];
	int len;
	size_t w;

	if (!p->enabled)
		return;
	if (!p->shown) {
		if (p->total <= LARGE_BYTES && p->bytes <= LARGE_BYTES &&
		    p->messages <= LARGE_MESSAGES)
			return;
		p->shown = 1;
	}
	if (!progress_due (p))
		return;
	if (p->total > 0 && p->bytes <= p->total)
		len = snprintf (line, sizeof line,
				"bsclassify: %llu messages, %.1f of %.1f MB (%u%%)",
				p->messages, (double) p->bytes / 1e6, (double) p->total / 1e6,
				(unsigned) (p->bytes * 100 / p->total));
	else
		len = snprintf (line, sizeof line, "bsclassify: %llu messages, %.1f MB",
				p->messages, (double) p->bytes / 1e6);
	if (len < 0)
		return;
	fputc ('\r', stderr);
	fputs (line, stderr);
	for (w = (size_t) len; w < p->width; w++)
		fputc (' ', stderr);
	p->width = (size_t) len;
	fflush (stderr);
}

void
progress_add_bytes (progress_t *p, size_t bytes)
{
	p->bytes += bytes;
	progress_draw (p);
}

void
progress_add_message (progress_t *p)
{
	p->messages++;
	progress_draw (p);
}

void
progress_clear (progress_t *p)
{
	size_t w;

	if (!p->enabled || p->width == 0)
		return;
	fputc ('\r', stderr);
	for (w = 0; w < p->width; w++)
		fputc (' ', stderr);
	fputc ('\r', stderr);
	fflush (stderr);
	p->width = 0;
}
