/*
 * origin.c - proof that a report is about mail this site really sent
 * (DESIGN.md section 5), and the signing side that makes the proofs.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "bsc-private.h"

/* ------------------------------------------------------------------ HMAC */

/* First @n lower-case hex digits of HMAC-@type(key, msg). */
static void
hmac_hex (GChecksumType type, const char *key, const char *msg, size_t n, char *out)
{
	GHmac *h = g_hmac_new (type, (const guchar *) key, strlen (key));
	const gchar *hex;

	g_hmac_update (h, (const guchar *) msg, (gssize) strlen (msg));
	hex = g_hmac_get_string (h); /* lower-case hex, owned by @h */
	memcpy (out, hex, n);
	out[n] = '\0';
	g_hmac_unref (h);
}

static char *
lower_dup (const char *s, size_t n)
{
	char *d = malloc (n + 1);

	if (!d)
		return NULL;
	for (size_t i = 0; i < n; i++)
		d[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char) (s[i] + 32) : s[i];
	d[n] = '\0';
	return d;
}

/* -------------------------------------------------------------------- BATV */

/* draft-levine-smtp-batv-01 section 4.1: the day count is days since
 * 1970 modulo 1000; a tag carries the day it expires. */
static unsigned
batv_day (time_t t)
{
	return (unsigned) ((t < 0 ? 0 : t) / 86400 % 1000);
}

/* SSSSSS of prvs=KDDDSSSSSS for @mailbox (lower-cased "local@domain"). */
static bool
batv_hash (const bsc_config_t *c, int key, unsigned day, const char *mailbox, char out[7])
{
	char msg[16];
	char *text;

	if (!c->batv_secret[key])
		return false;
	snprintf (msg, sizeof (msg), "%d%03u", key, day);
	text = malloc (strlen (msg) + strlen (mailbox) + 1);
	if (!text)
		return false;
	strcpy (text, msg);
	strcat (text, mailbox);
	hmac_hex (G_CHECKSUM_SHA1, c->batv_secret[key], text, 6, out);
	free (text);
	return true;
}

bsc_status_t
bsc_batv_sign (const bsc_config_t *c, int key, const char *address, time_t now, char **out)
{
	const char *at;
	char hash[7], *mailbox, *res;
	size_t n;

	if (!out)
		return BSC_EINVAL;
	*out = NULL;
	if (!c || !address || !(at = strrchr (address, '@')) || at == address || !at[1])
		return BSC_EINVAL;
	if (key < 0)
		for (int k = 9; k >= 0 && key < 0; k--)
			if (c->batv_secret[k])
				key = k;
	if (key < 0 || key > 9 || !c->batv_secret[key])
		return BSC_EINVAL;
	if (!(mailbox = lower_dup (address, strlen (address))))
		return BSC_ENOMEM;
	unsigned day = (batv_day (now) + (unsigned) c->batv_days) % 1000;
	batv_hash (c, key, day, mailbox, hash);
	free (mailbox);
	n = strlen (address) + 32;
	if (!(res = malloc (n)))
		return BSC_ENOMEM;
	snprintf (res, n, "prvs=%d%03u%s=%s", key, day, hash, address);
	*out = res;
	return BSC_OK;
}

static bool
is_hex (const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!g_ascii_isxdigit (s[i]))
			return false;
	return true;
}

typedef enum { BATV_NONE, BATV_VALID, BATV_INVALID } batv_t;

/*
 * Checks one address.  Forms: "prvs=KDDDSSSSSS=local@domain" (the draft)
 * and "prvs=local=KDDDSSSSSS@domain" (written by some MTAs); MTAs may have
 * changed the case of the tag.
 */
static batv_t
batv_check (const bsc_config_t *c, bsc_str_t addr, time_t now)
{
	const char *at, *tag, *local, *eq;
	size_t local_len;

	if (addr.len < 16 || !bsc_str_iprefix (addr, "prvs="))
		return BATV_NONE;
	if (!(at = memrchr (addr.ptr, '@', addr.len)))
		return BATV_NONE;
	const char *body = addr.ptr + 5;
	if (at - body > 11 && body[10] == '=' && is_hex (body + 4, 6) && g_ascii_isdigit (body[0])) {
		tag = body;
		local = body + 11;
		local_len = (size_t) (at - local);
	} else if ((eq = memrchr (body, '=', (size_t) (at - body))) && at - eq == 11) {
		tag = eq + 1;
		local = body;
		local_len = (size_t) (eq - body);
	} else {
		return BATV_INVALID;
	}
	if (!g_ascii_isdigit (tag[0]) || !g_ascii_isdigit (tag[1]) || !g_ascii_isdigit (tag[2]) ||
	    !g_ascii_isdigit (tag[3]) || !is_hex (tag + 4, 6) || !local_len)
		return BATV_INVALID;
	int key = tag[0] - '0';
	unsigned day = (unsigned) ((tag[1] - '0') * 100 + (tag[2] - '0') * 10 + (tag[3] - '0'));
	/* Valid from its signing day (expiry - days) to its expiry day, on a
	 * day count that wraps every 1000 days. */
	unsigned left = (day + 1000 - batv_day (now)) % 1000;
	if (left > (unsigned) c->batv_days)
		return BATV_INVALID;
	size_t dlen = (size_t) (addr.ptr + addr.len - at);
	char *mailbox = malloc (local_len + dlen + 1);
	char want[7];
	bool ok;
	if (!mailbox)
		return BATV_NONE;
	memcpy (mailbox, local, local_len);
	memcpy (mailbox + local_len, at, dlen);
	mailbox[local_len + dlen] = '\0';
	for (char *p = mailbox; *p; p++)
		*p = (char) g_ascii_tolower (*p);
	ok = batv_hash (c, key, day, mailbox, want) && !g_ascii_strncasecmp (want, tag + 4, 6);
	free (mailbox);
	return ok ? BATV_VALID : BATV_INVALID;
}

/* --------------------------------------------------------- signed Message-ID */

bsc_status_t
bsc_msgid_sign (const bsc_config_t *c, const char *local, const char *domain, char **out)
{
	char tag[9], *msg, *dom, *res;
	size_t n;

	if (!out)
		return BSC_EINVAL;
	*out = NULL;
	if (!c || !c->n_msgid_secrets || !local || !*local || !domain || !*domain ||
	    strpbrk (local, "<>@ \t") || strpbrk (domain, "<>@ \t"))
		return BSC_EINVAL;
	if (!(dom = lower_dup (domain, strlen (domain))))
		return BSC_ENOMEM;
	n = strlen (local) + strlen (dom) + 2;
	if (!(msg = malloc (n))) {
		free (dom);
		return BSC_ENOMEM;
	}
	snprintf (msg, n, "%s@%s", local, dom);
	/* The first secret signs; the others are still accepted (rotation). */
	hmac_hex (G_CHECKSUM_SHA256, c->msgid_secrets[0], msg, 8, tag);
	free (msg);
	free (dom);
	n = strlen (local) + strlen (domain) + 16;
	if (!(res = malloc (n)))
		return BSC_ENOMEM;
	snprintf (res, n, "<%s.%s@%s>", local, tag, domain);
	*out = res;
	return BSC_OK;
}

static bool
domain_is_ours (const bsc_config_t *c, bsc_str_t dom)
{
	for (size_t i = 0; i < c->n_domains; i++) {
		size_t n = strlen (c->domains[i]);
		/* The domain itself or a subdomain of it. */
		if (dom.len == n && bsc_str_ieq (dom, c->domains[i]))
			return true;
		if (dom.len > n && dom.ptr[dom.len - n - 1] == '.' &&
		    bsc_str_ieq ((bsc_str_t) { dom.ptr + dom.len - n, n }, c->domains[i]))
			return true;
	}
	return false;
}

typedef enum { MSGID_OTHER, MSGID_VALID, MSGID_FORGED } msgid_t;

/* One "<L.T@D>" (brackets optional). */
static msgid_t
msgid_check (const bsc_config_t *c, bsc_str_t id)
{
	const char *at, *dot;

	id = bsc_addr_clean (id);
	if (!(at = memrchr (id.ptr, '@', id.len)))
		return MSGID_OTHER;
	bsc_str_t dom = { at + 1, (size_t) (id.ptr + id.len - at - 1) };
	if (!domain_is_ours (c, dom))
		return MSGID_OTHER;
	dot = memrchr (id.ptr, '.', (size_t) (at - id.ptr));
	if (!dot || at - dot != 9 || dot == id.ptr || !is_hex (dot + 1, 8))
		return MSGID_FORGED;
	size_t llen = (size_t) (dot - id.ptr);
	char *msg = malloc (llen + dom.len + 2), tag[9];
	if (!msg)
		return MSGID_OTHER;
	memcpy (msg, id.ptr, llen);
	msg[llen] = '@';
	for (size_t i = 0; i < dom.len; i++)
		msg[llen + 1 + i] = (char) g_ascii_tolower (dom.ptr[i]);
	msg[llen + 1 + dom.len] = '\0';
	msgid_t res = MSGID_FORGED;
	for (size_t k = 0; k < c->n_msgid_secrets && res != MSGID_VALID; k++) {
		hmac_hex (G_CHECKSUM_SHA256, c->msgid_secrets[k], msg, 8, tag);
		if (!g_ascii_strncasecmp (tag, dot + 1, 8))
			res = MSGID_VALID;
	}
	free (msg);
	return res;
}

/* --------------------------------------------------------------- relays */

static bool
host_matches (const char *pattern, const char *host)
{
	size_t pl = strlen (pattern), hl = strlen (host);

	while (hl && host[hl - 1] == '.')
		hl--;
	if (pattern[0] == '*' && pattern[1] == '.') /* "*.example.com" */
		return hl > pl - 1 && !g_ascii_strncasecmp (host + hl - (pl - 1), pattern + 1, pl - 1);
	return hl == pl && !g_ascii_strncasecmp (host, pattern, pl);
}

static bool
relay_is_ours (const bsc_config_t *c, const bsc_relay_t *rel)
{
	const char *ip = rel->f[BSC_RELAY_IP], *rdns = rel->f[BSC_RELAY_RDNS];
	uint8_t addr[16];

	/* Only what the receiving host recorded; never the HELO name. */
	if (ip && bsc_ip_parse (ip, strlen (ip), addr))
		for (size_t i = 0; i < c->n_relay_nets; i++)
			if (bsc_cidr_match (&c->relay_nets[i], addr))
				return true;
	if (rdns)
		for (size_t i = 0; i < c->n_relay_hosts; i++)
			if (host_matches (c->relay_hosts[i], rdns))
				return true;
	return false;
}

/* ------------------------------------------------------------ the facts */

/* Calls @fn on each address-like token ("local@domain") of a header value. */
static void
each_address (bsc_str_t v, void (*fn) (bsc_str_t, void *), void *data)
{
	size_t i = 0;

	while (i < v.len) {
		while (i < v.len && strchr (" \t,;<>\"'()", v.ptr[i]))
			i++;
		size_t start = i;
		while (i < v.len && !strchr (" \t,;<>\"'()", v.ptr[i]))
			i++;
		bsc_str_t tok = { v.ptr + start, i - start };
		if (tok.len && memchr (tok.ptr, '@', tok.len))
			fn (tok, data);
	}
}

typedef struct {
	const bsc_config_t *c;
	time_t now;
	bool valid, invalid, ours_untagged;
} batv_scan_t;

static void
batv_one (bsc_str_t addr, void *data)
{
	batv_scan_t *s = data;
	const char *at = memrchr (addr.ptr, '@', addr.len);

	switch (batv_check (s->c, addr, s->now)) {
	case BATV_VALID: s->valid = true; break;
	case BATV_INVALID: s->invalid = true; break;
	case BATV_NONE:
		if (at && domain_is_ours (s->c, (bsc_str_t) { at + 1, (size_t) (addr.ptr + addr.len - at - 1) }))
			s->ours_untagged = true;
		break;
	}
}

typedef struct {
	const bsc_config_t *c;
	bool valid, forged;
} msgid_scan_t;

static void
msgid_one (bsc_str_t id, void *data)
{
	msgid_scan_t *s = data;

	switch (msgid_check (s->c, id)) {
	case MSGID_VALID: s->valid = true; break;
	case MSGID_FORGED: s->forged = true; break;
	case MSGID_OTHER: break;
	}
}

static void
scan_fields (const bsc_fields_t *f, const char *name, void (*fn) (bsc_str_t, void *), void *data)
{
	for (size_t i = 0; i < f->n; i++)
		if (bsc_str_ieq (f->v[i].name, name))
			each_address (f->v[i].value, fn, data);
}

/* When the report arrived: its newest Received date, else its Date. */
static time_t
receipt_time (const bsc_work_t *w)
{
	const bsc_field_t *f = bsc_fields_find (&w->headers, "Received");
	const char *semi = f ? memrchr (f->value.ptr, ';', f->value.len) : NULL;
	char buf[128];
	GDateTime *dt = NULL;
	time_t t = 0;

	if (semi) {
		size_t n = (size_t) (f->value.ptr + f->value.len - semi - 1);
		snprintf (buf, sizeof (buf), "%.*s", (int) (n < sizeof (buf) ? n : sizeof (buf) - 1), semi + 1);
		dt = g_mime_utils_header_decode_date (buf);
	}
	if (!dt && (f = bsc_fields_find (&w->headers, "Date"))) {
		snprintf (buf, sizeof (buf), "%.*s", (int) (f->value.len < sizeof (buf) ? f->value.len : sizeof (buf) - 1), f->value.ptr);
		dt = g_mime_utils_header_decode_date (buf);
	}
	if (dt) {
		t = (time_t) g_date_time_to_unix (dt);
		g_date_time_unref (dt);
	}
	return t > 0 ? t : time (NULL);
}

/* Whether the original names one of our domains as its sender. */
static bool
our_sender (const bsc_config_t *c, const bsc_fields_t *orig)
{
	static const char *const names[] = { "From", "Return-Path", "Sender" };
	bool ours = false;

	for (size_t k = 0; k < 3 && !ours; k++) {
		const bsc_field_t *f = bsc_fields_find (orig, names[k]);
		if (!f)
			continue;
		const char *at = memrchr (f->value.ptr, '@', f->value.len);
		if (!at)
			continue;
		size_t n = 0;
		while (at + 1 + n < f->value.ptr + f->value.len && !strchr (" \t>\"',;)", at[1 + n]))
			n++;
		ours = domain_is_ours (c, (bsc_str_t) { at + 1, n });
	}
	return ours;
}

void
bsc_origin_facts (bsc_work_t *w)
{
	const bsc_config_t *c = w->engine->config;
	bsc_result_t *r = w->r;
	uint64_t f = 0;

	/* 1. BATV: where the report was delivered to, and the envelope
	 * sender of the original it carries. */
	bool have_batv = false;
	for (int k = 0; k < 10; k++)
		have_batv |= c->batv_secret[k] != NULL;
	if (have_batv) {
		batv_scan_t s = { .c = c, .now = w->engine->now ? w->engine->now : receipt_time (w) };
		static const char *const where[] = { "X-Original-To", "Delivered-To", "Envelope-To", "To" };
		for (size_t k = 0; k < 4; k++)
			scan_fields (&w->headers, where[k], batv_one, &s);
		scan_fields (&w->dsn, "X-Postfix-Sender", batv_one, &s);
		scan_fields (&w->orig, "Return-Path", batv_one, &s);
		if (s.valid)
			f |= 1ull << BSC_F_BATV_VALID;
		else if (s.invalid)
			f |= 1ull << BSC_F_BATV_INVALID;
		else if (s.ours_untagged)
			f |= 1ull << BSC_F_BATV_MISSING;
	}

	/* 2. Signed Message-ID of the original, or of what a reply answers. */
	if (c->n_msgid_secrets && c->n_domains) {
		msgid_scan_t s = { .c = c };
		scan_fields (&w->orig, "Message-ID", msgid_one, &s);
		scan_fields (&w->headers, "In-Reply-To", msgid_one, &s);
		scan_fields (&w->headers, "References", msgid_one, &s);
		if (s.valid)
			f |= 1ull << BSC_F_MSGID_VALID;
		else if (s.forged)
			f |= 1ull << BSC_F_MSGID_FORGED;
	}

	/* 3. Our relays in the original's Received chain, or as the report's
	 * Received-From-MTA. */
	bool sender = c->n_domains && our_sender (c, &w->orig);
	if (sender)
		f |= 1ull << BSC_F_OUR_SENDER;
	if (c->n_relay_nets || c->n_relay_hosts) {
		bool ours = false;
		for (size_t i = 0; i < r->n_relays && !ours; i++)
			ours = relay_is_ours (c, &r->relays[i]);
		if (!ours && r->received_from_mta) {
			/* "dns; host (host [ip])" reads like a Received from-clause. */
			size_t n = strlen (r->received_from_mta) + 6;
			char *line = bsc_arena_alloc (&r->arena, n);
			bsc_relay_t rel;
			if (line) {
				snprintf (line, n, "from %s", r->received_from_mta);
				if (bsc_received_parse (&r->arena, (bsc_str_t) { line, strlen (line) }, &rel)) {
					/* Here the first word is a looked-up name. */
					if (!rel.f[BSC_RELAY_RDNS])
						rel.f[BSC_RELAY_RDNS] = rel.f[BSC_RELAY_HELO];
					ours = relay_is_ours (c, &rel);
				}
			}
		}
		if (ours)
			f |= 1ull << BSC_F_RELAY_OURS;
		else if (sender && r->n_relays)
			f |= 1ull << BSC_F_RELAY_FORGED;
	}
	r->facts |= f;
}
