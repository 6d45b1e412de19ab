/*
 * headers.c - a light "Name: value" block splitter.
 *
 * Used for the header blocks GMime hands over as opaque bytes: the field
 * groups of a delivery-status part (RFC 3464 section 2.1 reuses the RFC
 * 5322 header syntax), text/rfc822-headers, and an encoded message/rfc822.
 * Re-parsing those with a second GMime parser costs a GObject per field
 * (research/PERF.md); this costs one arena copy per field.
 */
#include "config.h"

#include <string.h>

#include <gmime/gmime.h>

#include "bsc-private.h"

/* Past the line break at @p (CRLF, LF or a lone CR). */
static const char *
skip_eol (const char *p, const char *end)
{
	if (p < end && *p == '\r')
		p++;
	if (p < end && *p == '\n')
		p++;
	return p;
}

/* RFC 5322 section 3.6.8: ftext is printable US-ASCII but ':'.  Some
 * writers put white space before the colon ("Status : 5.0.0"); allow it. */
size_t
bsc_field_name_len (const char *p, const char *eol, const char **colon)
{
	const char *q = p;

	while (q < eol && (unsigned char) *q > 32 && (unsigned char) *q < 127 && *q != ':')
		q++;
	size_t n = (size_t) (q - p);
	while (q < eol && (*q == ' ' || *q == '\t'))
		q++;
	if (!n || q >= eol || *q != ':')
		return 0;
	*colon = q;
	return n;
}

/* Copies the folded value [p, stop) into @arena without its line breaks,
 * at most @max bytes, and trims it; *@cut tells whether bytes were left out. */
static bsc_str_t
unfold (bsc_arena_t *arena, const char *p, const char *stop, size_t max, bool *cut)
{
	size_t cap = (size_t) (stop - p) < max ? (size_t) (stop - p) : max;
	char *out = bsc_arena_alloc (arena, cap + 1), *o = out;

	if (!out)
		return (bsc_str_t) { "", 0 };
	/* Line by line: the bytes between line breaks, within @cap. */
	while (p < stop && (size_t) (o - out) < cap) {
		if (*p == '\r' || *p == '\n') {
			p++;
			continue;
		}
		const char *e = bsc_find_eol (p, stop);
		size_t n = (size_t) (e - p), room = cap - (size_t) (o - out);
		if (n > room)
			n = room;
		memcpy (o, p, n);
		o += n;
		p += n;
	}
	while (p < stop && (*p == '\r' || *p == '\n' || *p == ' ' || *p == '\t'))
		p++;
	*cut |= p < stop;
	*o = '\0';
	return bsc_str_trim ((bsc_str_t) { out, (size_t) (o - out) });
}

/* Whether the line [p, eol) holds only blanks: it ends a block as an empty
 * line does (writers of DSNs leave stray blanks between groups). */
static bool
blank_line (const char *p, const char *eol)
{
	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	return p == eol;
}

const char *
bsc_fields_parse (bsc_arena_t *arena, const char *p, const char *end, size_t max_fields,
		  size_t max_value, bsc_fields_t *out)
{
	while (p < end) {
		const char *eol = bsc_find_eol (p, end), *colon = NULL;
		size_t nlen;

		if (blank_line (p, eol)) /* the empty line that ends the block */
			return skip_eol (eol, end);
		nlen = bsc_field_name_len (p, eol, &colon);
		if (!nlen) {
			/* Not a field (a stray continuation, an mbox From_ line,
			 * garbage): skip the line rather than give up on the block. */
			p = skip_eol (eol, end);
			continue;
		}
		const char *vstart = colon + 1, *q = skip_eol (eol, end);
		while (q < end && (*q == ' ' || *q == '\t') && !blank_line (q, bsc_find_eol (q, end))) {
			eol = bsc_find_eol (q, end);
			q = skip_eol (eol, end);
		}
		if (out->n >= max_fields) {
			out->truncated = true;
		} else {
			bsc_str_t v = unfold (arena, vstart, eol, max_value, &out->value_cut);
			bsc_field_t *fv = bsc_arena_grow (arena, out->v, sizeof (*fv), &out->cap,
							  out->n + 1);
			if (!fv)
				return end;
			out->v = fv;
			char *name = bsc_arena_strndup (arena, p, nlen);
			if (!name)
				return end;
			fv[out->n].name = (bsc_str_t) { name, nlen };
			fv[out->n].value = v;
			out->n++;
		}
		p = q;
	}
	return end;
}

uint32_t
bsc_name_key (const char *name, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char) name[i];
		h = (h ^ (c >= 'A' && c <= 'Z' ? c + 32u : c)) * 16777619u;
	}
	return h;
}

const bsc_field_t *
bsc_fields_find (const bsc_fields_t *f, const char *name)
{
	size_t n = strlen (name);

	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].name.len == n && bsc_str_ieq (f->v[i].name, name))
			return &f->v[i];
	return NULL;
}

/* The end of the RFC 2047 encoded word at @p ("=?charset?X?text?="), or NULL. */
static const char *
encoded_word_end (const char *p, const char *end)
{
	const char *q = p + 2;
	int marks = 0;

	if (end - p < 8 || p[0] != '=' || p[1] != '?')
		return NULL;
	for (; q + 1 < end && *q != ' ' && *q != '\t'; q++) {
		if (*q != '?')
			continue;
		if (marks == 2 && q[1] == '=')
			return q + 2;
		marks++;
	}
	return NULL;
}

/*
 * Decodes each encoded word on its own.  GMime joins the payloads of
 * adjacent words of one charset before decoding, and loses the rest of a
 * base64 run after the first word's '=' padding (seen with GMime 3.2.13);
 * RFC 2047 section 5 says each word holds whole characters, so one at a
 * time is both correct and safe.  White space between adjacent encoded
 * words is dropped (section 6.2).
 */
char *
bsc_header_decode (bsc_arena_t *arena, bsc_str_t raw)
{
	const char *p = raw.ptr, *end = raw.ptr + raw.len;
	char *out, *o;

	if (!memmem (raw.ptr, raw.len, "=?", 2))
		return bsc_utf8_copy (arena, raw.ptr, raw.len);
	/* A decoded word is never longer than 3 times its encoded text
	 * after conversion to UTF-8 (a byte of a legacy charset -> 3 bytes). */
	if (raw.len > (SIZE_MAX - 1) / 3 || !(out = bsc_arena_alloc (arena, raw.len * 3 + 1)))
		return NULL;
	o = out;
	bool after_word = false;
	while (p < end) {
		const char *we = encoded_word_end (p, end);
		if (we) {
			char *word = bsc_arena_strndup (arena, p, (size_t) (we - p));
			char *dec = word ? g_mime_utils_header_decode_text (NULL, word) : NULL;
			char *utf8 = dec ? bsc_utf8_copy (arena, dec, strlen (dec)) : NULL;
			size_t n = utf8 ? strlen (utf8) : 0;
			g_free (dec);
			if (n > (size_t) (we - p) * 3)
				n = (size_t) (we - p) * 3;
			memcpy (o, utf8 ? utf8 : "", n);
			o += n;
			p = we;
			after_word = true;
			continue;
		}
		const char *ws = p;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p > ws) {
			if (!(after_word && p < end && encoded_word_end (p, end)))
				for (const char *c = ws; c < p; c++)
					*o++ = *c;
			continue;
		}
		/* Plain text up to the next blank or encoded word. */
		const char *run = p;
		while (p < end && *p != ' ' && *p != '\t' && !(p[0] == '=' && p + 1 < end && p[1] == '?' && p != run))
			p++;
		if (p == run)
			p++;
		char *u = bsc_utf8_copy (arena, run, (size_t) (p - run));
		size_t n = u ? strlen (u) : 0;
		memcpy (o, u ? u : "", n);
		o += n;
		after_word = false;
	}
	*o = '\0';
	return out;
}
