/*
 * dsn.c - message/delivery-status fields (RFC 3464 section 2, RFC 6533).
 */
#include "config.h"

#include <string.h>

#include "bsc-private.h"

static bool
is_digit (char c)
{
	return c >= '0' && c <= '9';
}

bsc_str_t
bsc_status_find (bsc_str_t s)
{
	/* RFC 3463 section 2: class "." subject "." detail, class 2, 4 or 5,
	 * subject and detail 1-3 digits.  Not inside a longer dotted number
	 * (an IP address or a version). */
	for (size_t i = 0; i + 5 <= s.len; i++) {
		const char *p = s.ptr + i;
		size_t j = 1, d;

		if ((*p != '2' && *p != '4' && *p != '5') || p[1] != '.')
			continue;
		if (i && (is_digit (p[-1]) || p[-1] == '.'))
			continue;
		j = 2;
		for (d = 0; i + j < s.len && is_digit (p[j]) && d < 3; d++)
			j++;
		if (!d || i + j >= s.len || p[j] != '.')
			continue;
		j++;
		for (d = 0; i + j < s.len && is_digit (p[j]) && d < 3; d++)
			j++;
		if (!d)
			continue;
		if (i + j < s.len && is_digit (p[j]))
			continue;
		if (i + j + 1 < s.len && p[j] == '.' && is_digit (p[j + 1]))
			continue;
		return (bsc_str_t) { p, j };
	}
	return (bsc_str_t) { NULL, 0 };
}

bsc_str_t
bsc_reply_code_find (bsc_str_t s)
{
	/* RFC 5321 section 4.2: a reply is three digits, the first 2-5, the
	 * second 0-5, then a space or a hyphen (multi-line) or the end. */
	for (size_t i = 0; i + 3 <= s.len; i++) {
		const char *p = s.ptr + i;

		if (p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '5' || !is_digit (p[2]))
			continue;
		if (i && !strchr (" ;:(<\"\t#\r\n", p[-1]))
			continue;
		if (i + 3 < s.len && !strchr (" -)\t\r\n", p[3]))
			continue;
		return (bsc_str_t) { p, 3 };
	}
	return (bsc_str_t) { NULL, 0 };
}

/* Value of a field with its RFC 5322 comments removed, copied. */
static bsc_str_t
uncommented (bsc_arena_t *a, bsc_str_t v)
{
	char *c = bsc_arena_strndup (a, v.ptr, v.len);

	if (!c)
		return (bsc_str_t) { "", 0 };
	return bsc_str_trim ((bsc_str_t) { c, bsc_strip_comments (c, v.len) });
}

/* "type; value" -> value, for Remote-MTA, Reporting-MTA, Diagnostic-Code. */
static bsc_str_t
drop_type (bsc_str_t v)
{
	const char *semi = memchr (v.ptr, ';', v.len);

	if (semi && semi - v.ptr < 16 && !memchr (v.ptr, ' ', (size_t) (semi - v.ptr))) {
		v.len -= (size_t) (semi + 1 - v.ptr);
		v.ptr = semi + 1;
	}
	return bsc_str_trim (v);
}

static int
hex (char c)
{
	if (is_digit (c))
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * An address as a report gives it, made readable: xtext "+HH" (RFC 3461
 * section 4, used by ORCPT and so by Original-Recipient) and RFC 6533's
 * "\x{HHHH}" for non-ASCII in utf-8 address types are decoded.
 */
static const char *
address_copy (bsc_arena_t *a, bsc_str_t raw, bool xtext)
{
	bsc_str_t addr = bsc_addr_clean (raw);
	char *out = bsc_arena_alloc (a, addr.len + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < addr.len;) {
		const char *p = addr.ptr + i;
		/* RFC 3461 section 4: an ORCPT address is printable ASCII, so
		 * its xtext encodes only '+' and '='; any other "+XY" is a
		 * sub-address ("user+abc@"), and Final-Recipient is no xtext. */
		if (xtext && *p == '+' && i + 2 < addr.len &&
		    (!memcmp (p + 1, "2B", 2) || !memcmp (p + 1, "3D", 2))) {
			*o++ = p[1] == '2' ? '+' : '=';
			i += 3;
		} else if (*p == '\\' && i + 3 < addr.len && p[1] == 'x' && p[2] == '{') {
			unsigned cp = 0;
			size_t j = 3;
			while (i + j < addr.len && hex (p[j]) >= 0 && j < 9)
				cp = cp * 16 + (unsigned) hex (p[j++]);
			if (i + j < addr.len && p[j] == '}' && j > 3 && cp < 0x110000 &&
			    (cp < 0xd800 || cp > 0xdfff)) {
				if (cp < 0x80) {
					*o++ = (char) cp;
				} else if (cp < 0x800) {
					*o++ = (char) (0xc0 | cp >> 6);
					*o++ = (char) (0x80 | (cp & 0x3f));
				} else if (cp < 0x10000) {
					*o++ = (char) (0xe0 | cp >> 12);
					*o++ = (char) (0x80 | ((cp >> 6) & 0x3f));
					*o++ = (char) (0x80 | (cp & 0x3f));
				} else {
					*o++ = (char) (0xf0 | cp >> 18);
					*o++ = (char) (0x80 | ((cp >> 12) & 0x3f));
					*o++ = (char) (0x80 | ((cp >> 6) & 0x3f));
					*o++ = (char) (0x80 | (cp & 0x3f));
				}
				/* "\x{...}" is at most 10 bytes and makes at most 4. */
				i += j + 1;
			} else {
				*o++ = *p;
				i++;
			}
		} else {
			*o++ = *p;
			i++;
		}
	}
	return bsc_utf8_copy (a, out, (size_t) (o - out));
}

static const char *
text_copy (bsc_arena_t *a, bsc_str_t v)
{
	v = bsc_str_trim (v);
	return v.len ? bsc_utf8_copy (a, v.ptr, v.len) : NULL;
}

static void
recipient_from_group (bsc_result_t *r, const bsc_fields_t *g)
{
	bsc_arena_t *a = &r->arena;
	const bsc_field_t *fr = bsc_fields_find (g, "Final-Recipient");
	const bsc_field_t *orcpt = bsc_fields_find (g, "Original-Recipient");
	const bsc_field_t *f;
	bsc_rcpt_t *rc;

	/* RFC 3464 section 2.3.2: Final-Recipient is required; keep a group
	 * that only has Original-Recipient rather than lose the recipient. */
	if (!fr && !orcpt)
		return;
	if (!(rc = bsc_result_add_rcpt (r)))
		return;
	if (orcpt)
		rc->f[BSC_RCPT_ORIGINAL_RECIPIENT] = address_copy (a, uncommented (a, orcpt->value), true);
	rc->f[BSC_RCPT_ADDRESS] = fr ? address_copy (a, uncommented (a, fr->value), false)
				     : rc->f[BSC_RCPT_ORIGINAL_RECIPIENT];
	if ((f = bsc_fields_find (g, "Action"))) {
		/* "failed (bad destination mailbox address)": the word only. */
		bsc_str_t v = uncommented (a, f->value);
		size_t n = 0;
		while (n < v.len && v.ptr[n] != ' ' && v.ptr[n] != '\t' && v.ptr[n] != ';')
			n++;
		char *w = bsc_arena_strndup (a, v.ptr, n);
		for (char *p = w; p && *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p += 32;
		rc->f[BSC_RCPT_ACTION] = w && *w ? bsc_utf8_copy (a, w, n) : NULL;
	}
	bsc_str_t diag = { NULL, 0 };
	if ((f = bsc_fields_find (g, "Diagnostic-Code"))) {
		diag = drop_type (f->value);
		rc->f[BSC_RCPT_DIAGNOSTIC] = text_copy (a, diag);
		bsc_str_t code = bsc_reply_code_find (diag);
		if (code.len)
			rc->f[BSC_RCPT_REPLY_CODE] = bsc_arena_strndup (a, code.ptr, code.len);
	}
	bsc_str_t st = { NULL, 0 };
	if ((f = bsc_fields_find (g, "Status")))
		st = bsc_status_find (f->value);
	/* A report that states no code in Status (or a bare "5.0.0", which
	 * RFC 3463 calls "other undefined") may still state a precise one in
	 * its diagnostic: that is what the remote server said. */
	if (diag.len && (!st.len || (st.len == 5 && !memcmp (st.ptr + 1, ".0.0", 4)))) {
		bsc_str_t ds = bsc_status_find (diag);
		if (ds.len && (!st.len || ds.ptr[0] == st.ptr[0]))
			st = ds;
	}
	if (st.len)
		rc->f[BSC_RCPT_STATUS] = bsc_arena_strndup (a, st.ptr, st.len);
	if ((f = bsc_fields_find (g, "Remote-MTA")))
		rc->f[BSC_RCPT_REMOTE_MTA] = text_copy (a, drop_type (uncommented (a, f->value)));
	if ((f = bsc_fields_find (g, "Last-Attempt-Date")))
		rc->f[BSC_RCPT_LAST_ATTEMPT] = text_copy (a, f->value);
	if ((f = bsc_fields_find (g, "Will-Retry-Until")))
		rc->f[BSC_RCPT_WILL_RETRY_UNTIL] = text_copy (a, f->value);
}

void
bsc_dsn_parse (bsc_result_t *r, const char *p, size_t len, const size_t *limits, bsc_fields_t *all)
{
	size_t max_fields = limits[BSC_LIMIT_HEADERS];

	if (!p || !len) /* an empty part's bytes may be NULL: no pointer arithmetic on it */
		return;
	const char *end = p + len;

	while (p < end) {
		bsc_fields_t g = { 0 };
		const bsc_field_t *f;

		/* Groups are separated by one or more blank lines. */
		while (p < end && (*p == '\r' || *p == '\n' || *p == ' ' || *p == '\t'))
			p++;
		if (p >= end)
			break;
		p = bsc_fields_parse (&r->arena, p, end, max_fields, limits[BSC_LIMIT_HEADER_BYTES], &g);
		if (g.truncated)
			bsc_result_add_note (r, "limit: headers");
		if (g.value_cut)
			bsc_result_add_note (r, "limit: header-bytes");
		/* The per-message group (section 2.2) comes first; writers that
		 * forget the blank line after it still name the reporter here. */
		if (!r->reporting_mta && (f = bsc_fields_find (&g, "Reporting-MTA")))
			r->reporting_mta = text_copy (&r->arena, drop_type (uncommented (&r->arena, f->value)));
		if (!r->received_from_mta && (f = bsc_fields_find (&g, "Received-From-MTA")))
			r->received_from_mta = text_copy (&r->arena, drop_type (f->value));
		if (r->n_rcpts < limits[BSC_LIMIT_RECIPIENTS])
			recipient_from_group (r, &g);
		else if (bsc_fields_find (&g, "Final-Recipient")) {
			bsc_result_add_note (r, "limit: recipients");
			break;
		}
		/* The rules see every field; bounded like any header block. */
		size_t room = all->n < max_fields ? max_fields - all->n : 0;
		size_t take = g.n < room ? g.n : room;
		bsc_field_t *v = bsc_arena_grow (&r->arena, all->v, sizeof (*v), &all->cap,
						 all->n + take);
		if (v && take) { /* g.v is NULL when the group held no field */
			memcpy (v + all->n, g.v, take * sizeof (*v));
			all->v = v;
			all->n += take;
		}
	}
}
