/*
 * envelope.c - the address a report was sent to, and what it encodes.
 *
 * Reports go to the envelope sender of the mail they are about.  Senders
 * encode things there: VERP (the recipient: "list-bounces+rcpt=dom@host",
 * D. J. Bernstein 1997; qmail writes "-" for "+"), SRS (the original
 * sender, rewritten by a forwarder: "SRS0=HHH=TT=domain=local@fwd", and
 * "SRS1=HHH=fwd1==HHH=TT=domain=local@fwd2" after a second forwarder,
 * libsrs2) and BATV ("prvs=KDDDSSSSSS=local@domain").  The decoded address
 * says who the report is really about (VERP) or whose mail it was (SRS,
 * BATV).  The hashes are not checked here: BATV's is (origin.c), an SRS
 * hash belongs to the forwarder.
 */
#include "config.h"

#include <string.h>

#include "bsc-private.h"

static const char *const where[] = { "X-Original-To", "Delivered-To", "Envelope-To", "To" };

/* The first address-like token ("local@domain") of a header value. */
static bsc_str_t
first_address (bsc_str_t v)
{
	const char *at = memchr (v.ptr, '@', v.len);
	const char *s, *e;

	if (!at)
		return (bsc_str_t) { NULL, 0 };
	for (s = at; s > v.ptr && !strchr (" \t<,;:\"'(", s[-1]); s--)
		;
	for (e = at; e < v.ptr + v.len && !strchr (" \t>,;\"')", *e); e++)
		;
	return (bsc_str_t) { s, (size_t) (e - s) };
}

/* The last '='-separated fields of an SRS local part: "...=domain=local". */
static bool
decode_srs (bsc_str_t local, const char **dom, size_t *dlen, const char **loc, size_t *llen)
{
	const char *end = local.ptr + local.len, *eq2 = NULL, *eq1 = NULL;

	if (local.len < 8 || !bsc_str_iprefix (local, "SRS") || (local.ptr[3] != '0' && local.ptr[3] != '1') ||
	    !strchr ("=+-", local.ptr[4]))
		return false;
	/* SRS0=HHH=TT=domain=local: the last two '=' delimit the domain;
	 * the local part may itself contain '=' only after them. */
	int seen = 0;
	for (const char *p = local.ptr + 5; p < end; p++)
		if (*p == '=') {
			seen++;
			if (seen == (local.ptr[3] == '0' ? 2 : 0))
				eq1 = p;
		}
	if (local.ptr[3] == '1') {
		/* SRS1=HHH=fwd1==HHH=TT=domain=local: what follows "==" is an SRS0 body. */
		const char *dd = NULL;
		for (const char *p = local.ptr + 5; p + 1 < end; p++)
			if (p[0] == '=' && p[1] == '=') {
				dd = p + 2;
				break;
			}
		if (!dd)
			return false;
		seen = 0;
		for (const char *p = dd; p < end; p++)
			if (*p == '=' && ++seen == 2) {
				eq1 = p;
				break;
			}
	}
	if (!eq1)
		return false;
	eq2 = memchr (eq1 + 1, '=', (size_t) (end - eq1 - 1));
	if (!eq2 || eq2 == eq1 + 1 || eq2 + 1 >= end)
		return false;
	*dom = eq1 + 1;
	*dlen = (size_t) (eq2 - eq1 - 1);
	*loc = eq2 + 1;
	*llen = (size_t) (end - eq2 - 1);
	return true;
}

void
bsc_envelope_decode (bsc_result_t *r, const bsc_fields_t *headers)
{
	bsc_str_t addr = { NULL, 0 };

	for (size_t k = 0; k < sizeof (where) / sizeof (where[0]) && !addr.len; k++) {
		const bsc_field_t *f = bsc_fields_find (headers, where[k]);
		if (f)
			addr = first_address (f->value);
	}
	if (!addr.len)
		return;
	const char *at = memrchr (addr.ptr, '@', addr.len);
	bsc_str_t local = { addr.ptr, (size_t) (at - addr.ptr) };
	const char *dom = NULL, *loc = NULL, *scheme = NULL;
	size_t dlen = 0, llen = 0;

	if (decode_srs (local, &dom, &dlen, &loc, &llen)) {
		scheme = "srs";
	} else if (bsc_str_iprefix (local, "prvs=") && local.len > 16) {
		/* prvs=KDDDSSSSSS=local (the draft) or prvs=local=KDDDSSSSSS */
		const char *body = local.ptr + 5, *end = local.ptr + local.len;
		const char *eq = memchr (body, '=', (size_t) (end - body));
		if (eq && eq - body == 10) {
			loc = eq + 1;
			llen = (size_t) (end - loc);
		} else if (eq) {
			loc = body;
			llen = (size_t) (eq - body);
		}
		dom = at + 1;
		dlen = (size_t) (addr.ptr + addr.len - at - 1);
		scheme = llen ? "batv" : NULL;
	} else {
		/* VERP: "prefix+local=domain" (or '-' as qmail writes it). */
		const char *eq = memrchr (local.ptr, '=', local.len);
		const char *sep = NULL;
		for (const char *p = local.ptr; eq && p < eq; p++)
			if (*p == '+' || *p == '-')
				sep = p;
		if (eq && sep && sep > local.ptr && eq > sep + 1 && eq + 1 < local.ptr + local.len &&
		    memchr (eq + 1, '.', (size_t) (local.ptr + local.len - eq - 1))) {
			loc = sep + 1;
			llen = (size_t) (eq - sep - 1);
			dom = eq + 1;
			dlen = (size_t) (local.ptr + local.len - eq - 1);
			scheme = "verp";
		}
	}
	r->addressed_to = bsc_utf8_copy (&r->arena, addr.ptr, addr.len);
	if (!scheme)
		return;
	char *d = bsc_arena_alloc (&r->arena, llen + dlen + 2);
	if (!d)
		return;
	memcpy (d, loc, llen);
	d[llen] = '@';
	memcpy (d + llen + 1, dom, dlen);
	d[llen + 1 + dlen] = '\0';
	r->addressed_decoded = bsc_utf8_copy (&r->arena, d, llen + dlen + 1);
	r->addressed_scheme = scheme;
}
