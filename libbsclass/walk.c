/*
 * walk.c - one pass over the MIME tree GMime built: the report parts, the
 * embedded original, the human-readable text.
 */
#include "config.h"

#include <string.h>

#include <gmime/gmime.h>

#include "bsc-private.h"

/*
 * A raw GMime header value, unfolded and trimmed.  GMime keeps the folding
 * line breaks; most values have none but the last, and those are used in
 * place (GMime's memory lives until the walk's results are copied out).
 */
static bsc_str_t
unfold_raw (bsc_arena_t *a, const char *raw, size_t max)
{
	size_t n = strlen (raw), o = 0;
	bsc_str_t v = bsc_str_trim ((bsc_str_t) { raw, n < max ? n : max });
	char *out;

	if (!memchr (v.ptr, '\n', v.len) && !memchr (v.ptr, '\r', v.len))
		return v;
	if (!(out = bsc_arena_alloc (a, v.len + 1)))
		return (bsc_str_t) { "", 0 };
	for (size_t i = 0; i < v.len; i++)
		if (v.ptr[i] != '\r' && v.ptr[i] != '\n')
			out[o++] = v.ptr[i];
	out[o] = '\0';
	return (bsc_str_t) { out, o };
}

/* Appends @object's own header fields to @out, raw and unfolded.  Names
 * and values may point into GMime's memory: valid until the walk is over. */
static void
read_headers (bsc_work_t *w, GMimeObject *object, bsc_fields_t *out)
{
	GMimeHeaderList *list = g_mime_object_get_header_list (object);
	int n = list ? g_mime_header_list_get_count (list) : 0;
	size_t max = w->engine->limits[BSC_LIMIT_HEADERS];
	bsc_arena_t *a = &w->r->arena;
	bsc_field_t *v;

	if (n <= 0)
		return;
	if ((size_t) n > max) {
		out->truncated = true;
		bsc_result_add_note (w->r, "limit: headers");
		n = (int) max;
	}
	if (!(v = bsc_arena_grow (a, out->v, sizeof (*v), &out->cap, out->n + (size_t) n)))
		return;
	out->v = v;
	for (int i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at (list, i);
		const char *name = g_mime_header_get_name (h);
		const char *raw = g_mime_header_get_raw_value (h);

		if (!name || !raw)
			continue;
		v[out->n].name = (bsc_str_t) { name, strlen (name) };
		v[out->n].value = unfold_raw (a, raw, w->engine->limits[BSC_LIMIT_HEADER_BYTES]);
		/* (prescan.c cuts long fields before GMime; not so for bsc_classify_gmime) */
		if (strlen (raw) > w->engine->limits[BSC_LIMIT_HEADER_BYTES] + 2)
			bsc_result_add_note (w->r, "limit: header-bytes");
		out->n++;
	}
}

/*
 * The decoded content of a leaf part (Content-Transfer-Encoding undone), at
 * most about @cap bytes: bounded so that a 50 MB attachment costs no more
 * than the limit.  New: g_byte_array_unref() it.
 */
static GByteArray *
part_bytes (GMimePart *part, size_t cap)
{
	GMimeDataWrapper *dw = g_mime_part_get_content (part);
	GMimeStream *src, *mem, *filtered;
	GMimeContentEncoding enc;
	GByteArray *ba;
	char buf[4096];
	size_t in = 0, in_cap;
	gssize n;

	if (!dw || !(src = g_mime_data_wrapper_get_stream (dw)))
		return NULL;
	enc = g_mime_data_wrapper_get_encoding (dw);
	/* base64 needs 4 bytes in for 3 out, plus line breaks. */
	in_cap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2 + 1024;
	mem = g_mime_stream_mem_new ();
	filtered = g_mime_stream_filter_new (mem);
	if (enc == GMIME_CONTENT_ENCODING_BASE64 || enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
	    enc == GMIME_CONTENT_ENCODING_UUENCODE) {
		GMimeFilter *dec = g_mime_filter_basic_new (enc, FALSE);
		g_mime_stream_filter_add (GMIME_STREAM_FILTER (filtered), dec);
		g_object_unref (dec);
	}
	g_mime_stream_reset (src);
	while (in < in_cap && (n = g_mime_stream_read (src, buf, sizeof (buf))) > 0) {
		g_mime_stream_write (filtered, buf, (size_t) n);
		in += (size_t) n;
	}
	g_mime_stream_flush (filtered);
	/* Take the bytes over: a stream that owns its array frees it
	 * outright when finalised, whatever its reference count. */
	ba = g_mime_stream_mem_get_byte_array (GMIME_STREAM_MEM (mem));
	g_mime_stream_mem_set_owner (GMIME_STREAM_MEM (mem), FALSE);
	g_object_unref (filtered);
	g_object_unref (mem);
	if (ba->len > cap)
		g_byte_array_set_size (ba, (guint) cap);
	return ba;
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

/* Adds a text part's words to the sample the body rules read. */
static void
add_text (bsc_work_t *w, GMimePart *part, bool html)
{
	size_t cap = w->engine->limits[BSC_LIMIT_TEXT_SAMPLE];
	GByteArray *ba;
	const char *charset;
	char *utf8 = NULL;
	size_t ulen = 0;

	if (w->text_len >= cap) {
		bsc_result_add_note (w->r, "limit: text-sample");
		return;
	}
	/* One byte more than fits, so that append_text() sees a cut and notes it. */
	if (!(ba = part_bytes (part, cap - w->text_len + 1 + (html ? cap : 0))))
		return;
	if (!ba->len) { /* an empty part: its data is NULL, which g_convert refuses (a GLib critical) */
		g_byte_array_unref (ba);
		return;
	}
	charset = g_mime_object_get_content_type_parameter (GMIME_OBJECT (part), "charset");
	if (charset && g_ascii_strcasecmp (charset, "utf-8") && g_ascii_strcasecmp (charset, "us-ascii")) {
		gsize got = 0;
		GError *err = NULL;
		gchar *conv = g_convert_with_fallback ((const gchar *) ba->data, ba->len, "UTF-8",
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
		utf8 = bsc_utf8_copy_text (&w->r->arena, (const char *) ba->data, ba->len);
		ulen = utf8 ? strlen (utf8) : 0;
	}
	g_byte_array_unref (ba);
	if (!utf8)
		return;
	if (html)
		ulen = html_to_text (utf8, ulen);
	append_text (w, utf8, ulen);
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
	/* One byte more than the limit, so that bsc_original_from_bytes() notes a cut. */
	GByteArray *ba = part_bytes (part, w->engine->limits[BSC_LIMIT_ORIGINAL_BYTES] + 1);

	if (!ba)
		return;
	bsc_original_from_bytes (w->r, (const char *) ba->data, ba->len, w->engine->limits, &w->orig);
	g_byte_array_unref (ba);
	if (w->r->has_original) {
		w->orig_done = true;
		if (headers_only)
			w->r->facts |= 1ull << BSC_F_ORIGINAL_HEADERS_ONLY;
	}
}

static void
leaf (bsc_work_t *w, GMimePart *part)
{
	GMimeObject *obj = GMIME_OBJECT (part);
	GMimeContentType *ct = g_mime_object_get_content_type (obj);

	if (type_is (ct, "message", "delivery-status") ||
	    type_is (ct, "message", "global-delivery-status")) {
		GByteArray *ba = part_bytes (part, w->engine->limits[BSC_LIMIT_ORIGINAL_BYTES] * 4);
		w->r->facts |= 1ull << BSC_F_DSN_PART;
		if (ba) {
			bsc_dsn_parse (w->r, (const char *) ba->data, ba->len, w->engine->limits, &w->dsn);
			g_byte_array_unref (ba);
		}
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
		/* A named text attachment is data, not the report's words. */
		if (cd && g_mime_content_disposition_is_attachment (cd) &&
		    g_mime_part_get_filename (part))
			return;
		if (type_is (ct, "text", "html") && w->text_len)
			return;
		add_text (w, part, type_is (ct, "text", "html"));
	}
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

	read_headers (w, obj, &w->headers);
	if (GMIME_IS_MESSAGE (obj)) {
		GMimeObject *body = g_mime_message_get_mime_part (GMIME_MESSAGE (obj));
		if (body)
			walk (w, body, 0);
	} else {
		walk (w, obj, 0);
	}
}
