/*
 * walk.c - one pass over the MIME tree GMime built: the report parts, the
 * embedded original, the human-readable text.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "bsc-private.h"

/*
 * A raw header value of @n bytes, unfolded and trimmed.  GMime keeps the
 * folding line breaks; most values have none but the last, and those are
 * used in place (GMime's memory, or the message's bytes, lives until the
 * walk's results are copied out).
 */
static bsc_str_t
unfold_raw (bsc_arena_t *a, const char *raw, size_t n, size_t max)
{
	bsc_str_t v = bsc_str_trim ((bsc_str_t) { raw, n < max ? n : max });
	size_t o = 0;
	char *out;

	if (!memchr (v.ptr, '\n', v.len) && !memchr (v.ptr, '\r', v.len))
		return v;
	if (!(out = bsc_arena_alloc (a, v.len + 1)))
		return (bsc_str_t) { "", 0 };
	for (const char *p = v.ptr, *end = v.ptr + v.len; p < end;) {
		const char *e = bsc_find_eol (p, end);
		memcpy (out + o, p, (size_t) (e - p));
		o += (size_t) (e - p);
		p = e < end ? e + 1 : end;
	}
	out[o] = '\0';
	return (bsc_str_t) { out, o };
}

/* One field for read_headers() and bsc_walk_top(): the value unfolded
 * within the header-bytes limit, which is noted when the raw value (with
 * its line break) goes beyond it. */
static void
add_field (bsc_work_t *w, bsc_field_t *f, const char *name, size_t nlen, const char *raw,
	   size_t rlen)
{
	size_t max = w->engine->limits[BSC_LIMIT_HEADER_BYTES];

	f->name = (bsc_str_t) { name, nlen };
	f->value = unfold_raw (&w->r->arena, raw, rlen, max);
	/* (prescan.c cuts long fields before GMime; not so for bsc_classify_gmime) */
	if (rlen > max + 2)
		bsc_result_add_note (w->r, "limit: header-bytes");
}

/* Appends @object's own header fields to @out, raw and unfolded.  Names
 * and values may point into GMime's memory: valid until the walk is over. */
static void
read_headers (bsc_work_t *w, GMimeObject *object, bsc_fields_t *out)
{
	GMimeHeaderList *list = g_mime_object_get_header_list (object);
	int n = list ? g_mime_header_list_get_count (list) : 0;
	size_t max = w->engine->limits[BSC_LIMIT_HEADERS];
	bsc_field_t *v;

	if (n <= 0)
		return;
	if ((size_t) n > max) {
		out->truncated = true;
		bsc_result_add_note (w->r, "limit: headers");
		n = (int) max;
	}
	if (!(v = bsc_arena_grow (&w->r->arena, out->v, sizeof (*v), &out->cap, out->n + (size_t) n)))
		return;
	out->v = v;
	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at (list, i);
		const char *name = g_mime_header_get_name (h);
		const char *raw = g_mime_header_get_raw_value (h);

		if (!name || !raw)
			continue;
		add_field (w, &v[out->n++], name, strlen (name), raw, strlen (raw));
	}
}

const char *
bsc_block_split (bsc_arena_t *a, const char *p, const char *end, bsc_fields_t *out)
{
	const char *start = p;
	size_t n0 = out->n;

	/* Lines end at LF, a line that starts with a blank continues the
	 * field before it, "\n" or "\r\n" alone ends the block.  Each
	 * field's view holds its raw value (after the colon, to the end of
	 * its last line). */
	while (p < end) {
		const char *nl = memchr (p, '\n', (size_t) (end - p)), *colon = NULL;
		size_t nlen;

		if (!nl)
			break; /* no empty line: GMime decides where the block ends */
		if (nl == p || (nl == p + 1 && *p == '\r')) {
			/* GMime's values are C strings: a NUL would cut one. */
			if (memchr (start, '\0', (size_t) (p - start)))
				break;
			return p;
		}
		if (*p == ' ' || *p == '\t') {
			if (out->n == n0)
				break;
			bsc_field_t *f = &out->v[out->n - 1];
			f->value.len = (size_t) (nl + 1 - f->value.ptr);
		} else {
			/* GMime's parser (3.2, step_headers()) ends a name at a
			 * control character; only printable ASCII is taken here:
			 * anything else sends the block to GMime, which drops
			 * such a line or fails on it. */
			if (!(nlen = bsc_field_name_len (p, nl, &colon)))
				break;
			bsc_field_t *v = bsc_arena_grow (a, out->v, sizeof (*v), &out->cap, out->n + 1);
			if (!v)
				break;
			out->v = v;
			v[out->n].name = (bsc_str_t) { p, nlen };
			v[out->n].value = (bsc_str_t) { colon + 1, (size_t) (nl - colon) };
			out->n++;
		}
		p = nl + 1;
	}
	out->n = n0;
	return NULL;
}

bool
bsc_is_content_field (bsc_str_t name)
{
	return name.len >= 8 && !g_ascii_strncasecmp (name.ptr, "Content-", 8);
}

/* Split fields of one block (bsc_block_split()) as read_headers() takes
 * them from GMime: at most HEADERS, each unfolded within its limit. */
static void
finish_block (bsc_work_t *w, bsc_fields_t *out)
{
	size_t max = w->engine->limits[BSC_LIMIT_HEADERS];

	if (out->n > max) {
		out->truncated = true;
		bsc_result_add_note (w->r, "limit: headers");
		out->n = max;
	}
	for (size_t i = 0; i < out->n; i++) {
		bsc_field_t *f = &out->v[i];
		add_field (w, f, f->name.ptr, f->name.len, f->value.ptr, f->value.len);
	}
}

/* Notes a Content-* field of the top block for bsc_walk_single(). */
static void
top_field (bsc_work_t *w, const bsc_field_t *f)
{
	static const char *const names[] = { "Content-Type", "Content-Transfer-Encoding",
					     "Content-Disposition" };
	bsc_str_t *slot[] = { &w->top.type, &w->top.encoding, &w->top.disposition };

	for (size_t k = 0; k < 3; k++) {
		if (!bsc_str_ieq (f->name, names[k]))
			continue;
		/* Which one of two GMime would take, or whether it reads a
		 * name with blanks before the colon, is GMime's business. */
		if (slot[k]->ptr || f->value.ptr != f->name.ptr + f->name.len + 1)
			w->top.ok = false;
		*slot[k] = f->value;
	}
}

char *
bsc_walk_top (bsc_work_t *w, const char *data, size_t len, size_t *out_len)
{
	const char *end = data + len, *body;
	bsc_fields_t *out = &w->headers;
	char *gmime;

	/* Nothing is noted before the block is known to be plain. */
	if (!(body = bsc_block_split (&w->r->arena, data, end, out)))
		return NULL;
	if (!(gmime = malloc (len ? len : 1))) {
		out->n = 0; /* GMime reads the block after all */
		return NULL;
	}
	/* GMime still needs the fields that make the MIME structure; the
	 * rest cost it a GObject each, which only read_headers() read. */
	size_t glen = 0;
	w->top.ok = true;
	for (size_t i = 0; i < out->n; i++) {
		const bsc_field_t *f = &out->v[i];
		if (bsc_is_content_field (f->name)) {
			size_t n = (size_t) (f->value.ptr + f->value.len - f->name.ptr);
			memcpy (gmime + glen, f->name.ptr, n);
			glen += n;
			top_field (w, f);
		}
	}
	/* The body starts after the empty line ("\n" or "\r\n"). */
	const char *content = body + (*body == '\r') + 1;
	w->top.body = (bsc_str_t) { content, (size_t) (end - content) };
	memcpy (gmime + glen, body, (size_t) (end - body));
	*out_len = glen + (size_t) (end - body);
	finish_block (w, out);
	w->headers_read = true;
	return gmime;
}

/*
 * An embedded message whose header block the pre-scan kept from GMime
 * (prescan.c) arrives as a leaf naming the block: its fields are read from
 * the block as GMime would have read them, and it counts as the original
 * exactly where the message would have (walk()).
 */
static void
kept_original (bsc_work_t *w, GMimeContentType *ct)
{
	const char *n = g_mime_content_type_get_parameter (ct, "n");
	char *stop;
	unsigned long k;

	if (w->orig_done || !n || !w->blocks || *n < '0' || *n > '9')
		return;
	k = strtoul (n, &stop, 10);
	if (*stop || k >= w->blocks->n)
		return;
	/* The pre-scan split the block: its fields need only their limits. */
	const bsc_fields_t *f = &w->blocks->v[k].fields;
	bsc_field_t *v = bsc_arena_grow (&w->r->arena, w->orig.v, sizeof (*v), &w->orig.cap,
					 w->orig.n + f->n);
	if (!v)
		return;
	memcpy (v + w->orig.n, f->v, f->n * sizeof (*v));
	w->orig.v = v;
	w->orig.n += f->n;
	finish_block (w, &w->orig);
	if (w->orig.n) {
		bsc_original_from_fields (w->r, &w->orig);
		w->orig_done = true;
	}
}

/* How many raw bytes of a part are read for @cap decoded ones (part_bytes()). */
static size_t
in_cap_for (size_t cap)
{
	size_t in_cap = cap > SIZE_MAX / 2 - 4096 ? SIZE_MAX - 4096 : cap * 2 + 1024;

	/* Whole chunks: the last one read may go past in_cap. */
	return (in_cap + 4095) / 4096 * 4096;
}

/*
 * part_bytes()'s end: @inlen bytes at @in in the transfer encoding @enc,
 * decoded and cut to @cap.  @buf (malloc'd, may be NULL) holds @in or is
 * NULL; it passes to *@tmp, or is freed when decoding needs a new buffer.
 */
static bool
decode_bytes (GMimeContentEncoding enc, const char *in, size_t inlen, size_t cap, char *buf,
	      bsc_str_t *out, char **tmp)
{
	if (enc == GMIME_CONTENT_ENCODING_BASE64 || enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
	    enc == GMIME_CONTENT_ENCODING_UUENCODE) {
		GMimeEncoding state;
		char *dec;

		g_mime_encoding_init_decode (&state, enc);
		if (!(dec = malloc (g_mime_encoding_outlen (&state, inlen) + 1))) {
			free (buf);
			*tmp = NULL;
			return false;
		}
		inlen = g_mime_encoding_step (&state, in, inlen, dec);
		free (buf);
		in = buf = dec;
	}
	*out = (bsc_str_t) { inlen ? in : NULL, inlen < cap ? inlen : cap };
	*tmp = buf;
	return true;
}

/*
 * The decoded content of a leaf part (Content-Transfer-Encoding undone), at
 * most @cap bytes: bounded so that a 50 MB attachment costs no more than
 * the limit.  *@out is a view into GMime's memory when the part needs no
 * decoding, else into a buffer that *@tmp receives (free() it after use).
 * Returns false when the part has no content.
 *
 * The bytes are those GMime's basic filter on a stream copy would give
 * (the same GMimeEncoding steps), without the three GObjects that cost:
 * the input is read as that copy read it, in chunks of 4096 bytes while
 * fewer than @cap x 2 + 1024 were read (base64 needs 4 bytes in for 3 out,
 * plus line breaks), and the output cut to @cap.
 */
static bool
part_bytes (GMimePart *part, size_t cap, bsc_str_t *out, char **tmp)
{
	GMimeDataWrapper *dw = g_mime_part_get_content (part);
	GMimeContentEncoding enc;
	GMimeStream *src;
	const char *in;
	char *buf = NULL;
	size_t inlen, in_cap;

	*tmp = NULL;
	if (!dw || !(src = g_mime_data_wrapper_get_stream (dw)))
		return false;
	enc = g_mime_data_wrapper_get_encoding (dw);
	in_cap = in_cap_for (cap);
	if (GMIME_IS_STREAM_MEM (src) && GMIME_STREAM_MEM (src)->buffer) {
		/* GMime's parser hands out parts of a memory stream as
		 * substreams sharing its array: read the bytes in place. */
		GByteArray *ba = GMIME_STREAM_MEM (src)->buffer;
		gint64 start = src->bound_start, stop = src->bound_end;

		if (stop < 0 || stop > (gint64) ba->len)
			stop = (gint64) ba->len;
		if (start < 0 || start > stop)
			start = stop;
		in = (const char *) ba->data + start;
		inlen = (size_t) (stop - start);
		if (inlen > in_cap)
			inlen = in_cap;
	} else {
		/* Any other stream (bsc_classify_gmime()): read a copy. */
		size_t have = 0, room = 0;
		gssize n;

		g_mime_stream_reset (src);
		while (have < in_cap) {
			if (room - have < 4096) {
				room = room ? room * 2 : 16384;
				char *nb = realloc (buf, room);
				if (!nb)
					break;
				buf = nb;
			}
			if ((n = g_mime_stream_read (src, buf + have, 4096)) <= 0)
				break;
			have += (size_t) n;
		}
		in = buf;
		inlen = have;
	}
	return decode_bytes (enc, in, inlen, cap, buf, out, tmp);
}

static bool
type_is (GMimeContentType *ct, const char *type, const char *subtype)
{
	return ct && g_mime_content_type_is_type (ct, type, subtype);
}

/*
 * Decodes the HTML character reference at @s ("&lt;", "&#39;", "&#x41;")
 * into @out (at most 4 bytes, never more than it read); returns the bytes
 * read, 0 when it is none.
 */
static size_t
html_entity (const char *s, size_t len, char *out, size_t *out_len)
{
	static const struct { const char *name; char c; } named[] = {
		{ "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' }, { "&quot;", '"' },
		{ "&apos;", '\'' }, { "&nbsp;", ' ' },
	};
	bsc_str_t rest = { s, len };

	for (size_t k = 0; k < sizeof (named) / sizeof (named[0]); k++)
		if (bsc_str_iprefix (rest, named[k].name)) {
			out[0] = named[k].c;
			*out_len = 1;
			return strlen (named[k].name);
		}
	if (len < 4 || s[1] != '#')
		return 0;
	bool hexa = s[2] == 'x' || s[2] == 'X';
	size_t i = hexa ? 3 : 2;
	unsigned long cp = 0;
	for (; i < len && i < 10 && g_ascii_isxdigit (s[i]) && (hexa || g_ascii_isdigit (s[i])); i++)
		cp = cp * (hexa ? 16 : 10) + (unsigned long) g_ascii_xdigit_value (s[i]);
	if (i >= len || s[i] != ';' || i == (hexa ? 3u : 2u) || cp == 0 || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	*out_len = (size_t) g_unichar_to_utf8 ((gunichar) cp, out);
	return *out_len <= i + 1 ? i + 1 : 0;
}

/* Crude HTML to text: drop tags and <style>/<script> contents, decode
 * character references; enough for rules that look for words. */
static size_t
html_to_text (char *s, size_t len)
{
	size_t o = 0;
	bool in_tag = false;
	const char *skip_until = NULL;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (skip_until) {
			bsc_str_t rest = { s + i, len - i };
			if (c == '<' && bsc_str_iprefix (rest, skip_until)) {
				skip_until = NULL;
				in_tag = true;
			}
			continue;
		}
		if (in_tag) {
			if (c == '>')
				in_tag = false;
			continue;
		}
		if (c == '<') {
			bsc_str_t rest = { s + i, len - i };
			if (bsc_str_iprefix (rest, "<style"))
				skip_until = "</style";
			else if (bsc_str_iprefix (rest, "<script"))
				skip_until = "</script";
			else if (bsc_str_iprefix (rest, "<br") || bsc_str_iprefix (rest, "<p") ||
				 bsc_str_iprefix (rest, "<div") || bsc_str_iprefix (rest, "<tr"))
				s[o++] = '\n';
			in_tag = true;
			continue;
		}
		if (c == '&') {
			char dec[6];
			size_t dlen = 0, used = html_entity (s + i, len - i, dec, &dlen);
			if (used) {
				memcpy (s + o, dec, dlen);
				o += dlen;
				i += used - 1;
				continue;
			}
		}
		s[o++] = c;
	}
	return o;
}

static void append_text (bsc_work_t *w, const char *utf8, size_t ulen);

/* Adds undeclared text (read as UTF-8, else Windows-1252) to the sample. */
static void
add_plain_text (bsc_work_t *w, const char *p, size_t len)
{
	size_t cap = w->engine->limits[BSC_LIMIT_TEXT_SAMPLE];
	char *utf8;

	if (w->text_len >= cap) {
		bsc_result_add_note (w->r, "limit: text-sample");
		return;
	}
	if (len > cap - w->text_len) {
		len = cap - w->text_len;
		bsc_result_add_note (w->r, "limit: text-sample");
	}
	if ((utf8 = bsc_utf8_copy_text (&w->r->arena, p, len)))
		append_text (w, utf8, strlen (utf8));
}

/* How many decoded bytes of a text part add_text_bytes() can use; 0 when
 * the sample is full (noted). */
static size_t
text_room (bsc_work_t *w, bool html)
{
	size_t cap = w->engine->limits[BSC_LIMIT_TEXT_SAMPLE];

	if (w->text_len >= cap) {
		bsc_result_add_note (w->r, "limit: text-sample");
		return 0;
	}
	/* One byte more than fits, so that append_text() sees a cut and notes it. */
	return cap - w->text_len + 1 + (html ? cap : 0);
}

/* Adds a text part's decoded bytes @ba (in @charset, NULL: undeclared) to
 * the sample the body rules read, and frees @tmp (part_bytes()). */
static void
add_text_bytes (bsc_work_t *w, bsc_str_t ba, char *tmp, const char *charset, bool html)
{
	char *utf8 = NULL;
	size_t ulen = 0;

	if (!ba.len) { /* an empty part: no data, which g_convert refuses (a GLib critical) */
		free (tmp);
		return;
	}
	if (charset && g_ascii_strcasecmp (charset, "utf-8") && g_ascii_strcasecmp (charset, "us-ascii")) {
		gsize got = 0;
		GError *err = NULL;
		gchar *conv = g_convert_with_fallback (ba.ptr, ba.len, "UTF-8",
						       g_mime_charset_iconv_name (charset), "?",
						       NULL, &got, &err);
		if (conv) {
			utf8 = bsc_utf8_copy_text (&w->r->arena, conv, got);
			ulen = utf8 ? strlen (utf8) : 0;
			g_free (conv);
		}
		g_clear_error (&err);
	}
	if (!utf8) { /* undeclared, UTF-8, or a charset iconv does not know */
		utf8 = bsc_utf8_copy_text (&w->r->arena, ba.ptr, ba.len);
		ulen = utf8 ? strlen (utf8) : 0;
	}
	free (tmp);
	if (!utf8)
		return;
	if (html)
		ulen = html_to_text (utf8, ulen);
	append_text (w, utf8, ulen);
}

/* Adds a text part's words to the sample the body rules read. */
static void
add_text (bsc_work_t *w, GMimePart *part, bool html)
{
	size_t room = text_room (w, html);
	bsc_str_t ba;
	char *tmp;

	if (room && part_bytes (part, room, &ba, &tmp))
		add_text_bytes (w, ba, tmp,
				g_mime_object_get_content_type_parameter (GMIME_OBJECT (part), "charset"),
				html);
}

/* Appends UTF-8 text to the sample, within its limit. */
static void
append_text (bsc_work_t *w, const char *utf8, size_t ulen)
{
	size_t cap = w->engine->limits[BSC_LIMIT_TEXT_SAMPLE];

	if (w->text_len >= cap) {
		if (ulen)
			bsc_result_add_note (w->r, "limit: text-sample");
		return;
	}
	if (ulen > cap - w->text_len) {
		bsc_result_add_note (w->r, "limit: text-sample");
		ulen = cap - w->text_len;
		/* Do not cut a UTF-8 sequence in two. */
		while (ulen && ((unsigned char) utf8[ulen] & 0xc0) == 0x80)
			ulen--;
	}
	char *t = bsc_arena_grow (&w->r->arena, w->text, 1, &w->text_cap, w->text_len + ulen + 2);
	if (!t)
		return;
	w->text = t;
	if (w->text_len)
		t[w->text_len++] = '\n';
	memcpy (t + w->text_len, utf8, ulen);
	w->text_len += ulen;
	t[w->text_len] = '\0';
}

static void
take_original_bytes (bsc_work_t *w, GMimePart *part, bool headers_only)
{
	bsc_str_t ba;
	char *tmp;

	/* One byte more than the limit, so that bsc_original_from_bytes() notes a cut. */
	if (!part_bytes (part, w->engine->limits[BSC_LIMIT_ORIGINAL_BYTES] + 1, &ba, &tmp))
		return;
	bsc_original_from_bytes (w->r, ba.ptr, ba.len, w->engine->limits, &w->orig);
	free (tmp);
	if (w->r->has_original) {
		w->orig_done = true;
		if (headers_only)
			w->r->facts |= 1ull << BSC_F_ORIGINAL_HEADERS_ONLY;
	}
}

/* Whether a text part's words go into the sample: not a named attachment
 * (data, not the report's words), and HTML only when there is no text. */
static bool
text_wanted (bsc_work_t *w, bool named_attachment, bool html)
{
	return !named_attachment && !(html && w->text_len);
}

static void
leaf (bsc_work_t *w, GMimePart *part)
{
	GMimeObject *obj = GMIME_OBJECT (part);
	GMimeContentType *ct = g_mime_object_get_content_type (obj);

	if (type_is (ct, "message", "delivery-status") ||
	    type_is (ct, "message", "global-delivery-status")) {
		bsc_str_t ba;
		char *tmp;
		w->r->facts |= 1ull << BSC_F_DSN_PART;
		if (part_bytes (part, w->engine->limits[BSC_LIMIT_ORIGINAL_BYTES] * 4, &ba, &tmp)) {
			bsc_dsn_parse (w->r, ba.ptr, ba.len, w->engine->limits, &w->dsn);
			free (tmp);
		}
	} else if (w->blocks && type_is (ct, "text", w->blocks->type)) {
		kept_original (w, ct);
	} else if (type_is (ct, "message", "feedback-report")) {
		w->r->facts |= 1ull << BSC_F_ARF_REPORT;
	} else if (type_is (ct, "message", "disposition-notification")) {
		w->r->facts |= 1ull << BSC_F_MDN_REPORT;
	} else if (type_is (ct, "text", "rfc822-headers") ||
		   type_is (ct, "message", "global-headers") ||
		   type_is (ct, "message", "rfc822-headers")) { /* a common misspelling */
		if (!w->orig_done)
			take_original_bytes (w, part, true);
	} else if (type_is (ct, "message", "rfc822") || type_is (ct, "message", "global")) {
		/* GMime leaves an encoded (base64, quoted-printable) message
		 * part opaque; its headers are still the original's. */
		if (!w->orig_done)
			take_original_bytes (w, part, false);
	} else if (type_is (ct, "text", "plain") || type_is (ct, "text", "html")) {
		GMimeContentDisposition *cd = g_mime_object_get_content_disposition (obj);
		bool html = type_is (ct, "text", "html");
		if (text_wanted (w, cd && g_mime_content_disposition_is_attachment (cd) &&
					    g_mime_part_get_filename (part), html))
			add_text (w, part, html);
	}
}

/* A raw field value as GMime's parse functions take it: a C string, trimmed. */
static char *
value_string (bsc_work_t *w, bsc_str_t raw)
{
	bsc_str_t v = bsc_str_trim (raw);

	return bsc_arena_strndup (&w->r->arena, v.ptr ? v.ptr : "", v.len);
}

bool
bsc_walk_single (bsc_work_t *w)
{
	GMimeParserOptions *po = w->engine->parser_options;
	GMimeContentType *ct = NULL;
	GMimeContentDisposition *cd = NULL;
	GMimeContentEncoding enc = GMIME_CONTENT_ENCODING_DEFAULT;
	char *v;

	if (!w->top.ok) /* (set by a bsc_walk_top() that read the block) */
		return false;
	if (w->top.type.ptr) {
		/* (No Content-Type: text/plain, RFC 2045 section 5.2.)  What does
		 * not even begin "text/" goes to GMime without a parse here: a
		 * multipart or message part (two thirds of a flood) or an
		 * unusual value, which GMime's tree then reads as it reads it. */
		if (!bsc_str_iprefix (bsc_str_trim (w->top.type), "text/") ||
		    !(v = value_string (w, w->top.type)) || !(ct = g_mime_content_type_parse (po, v)))
			return false;
		if (!type_is (ct, "text", "plain") && !type_is (ct, "text", "html")) {
			g_object_unref (ct);
			return false;
		}
	}
	if (w->top.disposition.ptr &&
	    (!(v = value_string (w, w->top.disposition)) || !(cd = g_mime_content_disposition_parse (po, v)))) {
		if (ct)
			g_object_unref (ct);
		return false;
	}
	if (w->top.encoding.ptr && (v = value_string (w, w->top.encoding)))
		enc = g_mime_content_encoding_from_string (v);
	/* As walk() and leaf() read such a part of GMime's tree; the file
	 * name as g_mime_part_get_filename() finds it. */
	bool html = type_is (ct, "text", "html");
	bool named = cd && g_mime_content_disposition_is_attachment (cd) &&
		     (g_mime_content_disposition_get_parameter (cd, "filename") ||
		      (ct && g_mime_content_type_get_parameter (ct, "name")));
	if (++w->parts_seen > w->engine->limits[BSC_LIMIT_PARTS]) {
		bsc_result_add_note (w->r, "limit: parts");
	} else if (text_wanted (w, named, html)) {
		size_t room = text_room (w, html);
		bsc_str_t ba;
		char *tmp;
		size_t inlen = w->top.body.len < in_cap_for (room) ? w->top.body.len : in_cap_for (room);
		if (room && decode_bytes (enc, w->top.body.ptr, inlen, room, NULL, &ba, &tmp))
			add_text_bytes (w, ba, tmp, ct ? g_mime_content_type_get_parameter (ct, "charset") : NULL,
					html);
	}
	if (cd)
		g_object_unref (cd);
	if (ct)
		g_object_unref (ct);
	return true;
}

static void
walk (bsc_work_t *w, GMimeObject *obj, size_t depth)
{
	if (++w->parts_seen > w->engine->limits[BSC_LIMIT_PARTS]) {
		bsc_result_add_note (w->r, "limit: parts");
		return;
	}
	if (depth > w->engine->limits[BSC_LIMIT_MIME_DEPTH]) {
		bsc_result_add_note (w->r, "limit: mime-depth");
		return;
	}
	if (GMIME_IS_MULTIPART (obj)) {
		GMimeMultipart *mp = GMIME_MULTIPART (obj);
		GMimeContentType *ct = g_mime_object_get_content_type (obj);

		if (!w->r->report_type && type_is (ct, "multipart", "report")) {
			const char *rt = g_mime_content_type_get_parameter (ct, "report-type");
			if (rt) {
				char *l = bsc_utf8_copy (&w->r->arena, rt, strlen (rt));
				for (char *p = l; p && *p; p++)
					if (*p >= 'A' && *p <= 'Z')
						*p += 32;
				w->r->report_type = l;
			}
		}
		int n = g_mime_multipart_get_count (mp);
		for (int i = 0; i < n && w->parts_seen <= w->engine->limits[BSC_LIMIT_PARTS]; i++)
			walk (w, g_mime_multipart_get_part (mp, i), depth + 1);
		/* A multipart whose boundary never occurs (a broken writer, or a
		 * boundary parameter lost to bad folding) holds all of its body
		 * in the prologue: read that as the text. */
		const char *prologue = n == 0 ? g_mime_multipart_get_prologue (mp) : NULL;
		if (prologue && *prologue)
			add_plain_text (w, prologue, strlen (prologue));
	} else if (GMIME_IS_MESSAGE_PART (obj)) {
		GMimeMessage *m = g_mime_message_part_get_message (GMIME_MESSAGE_PART (obj));
		/* The first embedded message is the original the report is
		 * about; its body is not the report's text (region-aware
		 * matching: words in the original must not count). */
		if (m && !w->orig_done) {
			read_headers (w, GMIME_OBJECT (m), &w->orig);
			if (w->orig.n) {
				bsc_original_from_fields (w->r, &w->orig);
				w->orig_done = true;
			}
		}
	} else if (GMIME_IS_PART (obj)) {
		leaf (w, GMIME_PART (obj));
	}
}

void
bsc_walk (bsc_work_t *w, void *object)
{
	GMimeObject *obj = object;

	if (!w->headers_read)
		read_headers (w, obj, &w->headers);
	if (GMIME_IS_MESSAGE (obj)) {
		GMimeObject *body = g_mime_message_get_mime_part (GMIME_MESSAGE (obj));
		if (body)
			walk (w, body, 0);
	} else {
		walk (w, obj, 0);
	}
}
