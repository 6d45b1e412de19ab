/*
 * json.c - a result as one line of JSON (DESIGN.md section 6).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsc-private.h"

typedef struct {
	char *p;
	size_t len, cap; /* @cap keeps a byte for the final NUL */
	bool failed;
} buf_t;

/* Most records fit: one allocation, no copy on the way. */
#define FIRST_CAP 4096

/* reserve()'s slow path: a larger buffer. */
static bool
grow (buf_t *b, size_t n)
{
	if (b->failed)
		return false;
	size_t cap = b->cap ? b->cap : FIRST_CAP;
	while (cap < b->len + n + 1)
		cap *= 2;
	char *np = realloc (b->p, cap);
	if (!np) {
		b->failed = true;
		return false;
	}
	b->p = np;
	b->cap = cap;
	return true;
}

/* Room for @n more bytes; false (and the buffer marked failed) when out of memory. */
static inline bool
reserve (buf_t *b, size_t n)
{
	return b->len + n + 1 <= b->cap || grow (b, n);
}

static void
put (buf_t *b, const char *s, size_t n)
{
	if (!reserve (b, n))
		return;
	memcpy (b->p + b->len, s, n);
	b->len += n;
}

static void
puts_ (buf_t *b, const char *s)
{
	put (b, s, strlen (s));
}

/* The inside of a JSON string (RFC 8259 section 7).  Invalid UTF-8
 * (possible only in caller-given text such as a file name) becomes U+FFFD. */
static void
put_escaped (buf_t *b, const char *s)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t n = strlen (s), i = 0;

	if (!reserve (b, n))
		return;
	while (i < n) {
		size_t run = bsc_json_plain_run (p + i, n - i);
		put (b, (const char *) p + i, run);
		i += run;
		if (i == n)
			break;
		if (p[i] == '"' || p[i] == '\\') {
			char e[2] = { '\\', (char) p[i++] };
			put (b, e, 2);
		} else if (p[i] < 0x20) {
			static const char hex[] = "0123456789abcdef";
			char e[6] = { '\\', 'u', '0', '0', hex[p[i] >> 4], hex[p[i] & 15] };
			put (b, e, 6);
			i++;
		} else {
			/* The length the lead byte announces; stop at the NUL. */
			size_t len = p[i] >= 0xf0 ? 4 : p[i] >= 0xe0 ? 3 : 2, k = 1;
			while (k < len && (p[i + k] & 0xc0) == 0x80)
				k++;
			if (k == len && bsc_utf8_valid ((const char *) p + i, len)) {
				put (b, (const char *) p + i, len);
				i += len;
			} else {
				put (b, "\xef\xbf\xbd", 3);
				i++;
			}
		}
	}
}

/* A JSON string, or null. */
static void
put_string (buf_t *b, const char *s)
{
	if (!s) {
		put (b, "null", 4);
		return;
	}
	put (b, "\"", 1);
	put_escaped (b, s);
	put (b, "\"", 1);
}

/* ", "key": " (no comma before the first): keys are plain ASCII. */
static void
put_key (buf_t *b, const char *key, bool *first)
{
	size_t n = strlen (key);

	if (!reserve (b, n + 6))
		return;
	if (!*first) {
		b->p[b->len++] = ',';
		b->p[b->len++] = ' ';
	}
	*first = false;
	b->p[b->len++] = '"';
	memcpy (b->p + b->len, key, n);
	b->len += n;
	memcpy (b->p + b->len, "\": ", 3);
	b->len += 3;
}

/* The decimal digits of @v. */
static void
put_unsigned (buf_t *b, unsigned long long v)
{
	char d[24];
	size_t n = sizeof (d);

	do
		d[--n] = (char) ('0' + v % 10);
	while ((v /= 10) != 0);
	put (b, d + n, sizeof (d) - n);
}

static void
put_number (buf_t *b, double v)
{
	char n[32];
	double m = v * 1000.0;

	/* Scores and points are sums of rule points with few decimals: those
	 * are written here as "%.10g" writes them (at most 9 significant
	 * digits, no exponent), without snprintf, which cost more than the
	 * rest of the JSON together. */
	if (v == 0.0) {
		/* As "%.10g" writes 0 and -0 (rules with no points). */
		put (b, signbit (v) ? "-0" : "0", signbit (v) ? 2 : 1);
		return;
	}
	if (m > -1e9 && m < 1e9 && m == (double) (long long) m) {
		long long k = (long long) m;
		unsigned long long a = (unsigned long long) (k < 0 ? -k : k);
		unsigned frac = (unsigned) (a % 1000);
		if (k < 0)
			put (b, "-", 1);
		put_unsigned (b, a / 1000);
		if (frac) {
			char f[4] = { '.', (char) ('0' + frac / 100), (char) ('0' + frac / 10 % 10),
				      (char) ('0' + frac % 10) };
			size_t len = 4;
			while (f[len - 1] == '0')
				len--;
			put (b, f, len);
		}
		return;
	}
	snprintf (n, sizeof (n), "%.10g", v);
	puts_ (b, n);
}

static void
put_kv (buf_t *b, const char *key, const char *value, bool *first)
{
	put_key (b, key, first);
	put_string (b, value);
}

static const char *const target_names[BSC_T_COUNT] = {
	"bounce", "out_of_office", "challenge_response", "normal", "ours", "forged", "backscatter",
};

static void
put_rules (buf_t *b, const bsc_result_t *r)
{
	put (b, "[", 1);
	for (size_t i = 0; i < r->hits.n; i++) {
		const bsc_hit_t *h = &r->hits.v[i];
		bool first = true, pfirst = true;

		put (b, i ? ", {" : "{", i ? 3 : 1);
		put_kv (b, "name", h->name, &first);
		put_key (b, "score", &first);
		put_number (b, bsc_hit_score (r, h));
		put_key (b, "points", &first);
		put (b, "{", 1);
		for (int t = 0; t < BSC_T_COUNT; t++) {
			if (h->points[t] == 0.0)
				continue;
			put_key (b, target_names[t], &pfirst);
			put_number (b, h->points[t]);
		}
		put (b, "}", 1);
		if (h->match)
			put_kv (b, "match", h->match, &first);
		put (b, "}", 1);
	}
	put (b, "]", 1);
}

static const char *const rcpt_keys[BSC_RCPT_FIELD_COUNT] = {
	"address", "original_recipient", "status", "action", "reply_code",
	"diagnostic", "remote_mta", "last_attempt_date", "will_retry_until",
	"reason", "severity", "status_derived",
};

static void
put_recipients (buf_t *b, const bsc_result_t *r)
{
	put (b, "[", 1);
	for (size_t i = 0; i < r->n_rcpts; i++) {
		bool first = true;

		put (b, i ? ", {" : "{", i ? 3 : 1);
		for (int k = 0; k < BSC_RCPT_FIELD_COUNT; k++) {
			const char *v = r->rcpts[i].f[k];
			if (k == BSC_RCPT_STATUS_DERIVED) {
				if (v) {
					put_key (b, rcpt_keys[k], &first);
					puts_ (b, "true");
				}
				continue;
			}
			/* The fields of DESIGN.md section 6 are always there;
			 * the extra ones only when the report gives them. */
			if (v || k == BSC_RCPT_ADDRESS || k == BSC_RCPT_STATUS || k == BSC_RCPT_ACTION ||
			    k == BSC_RCPT_REPLY_CODE || k == BSC_RCPT_DIAGNOSTIC || k == BSC_RCPT_REMOTE_MTA)
				put_kv (b, rcpt_keys[k], v, &first);
		}
		put (b, "}", 1);
	}
	put (b, "]", 1);
}

/* One relay as text: the name the receiver recorded (else the HELO
 * name) and the address, "host [192.0.2.1]". */
static void
put_relay (buf_t *b, const bsc_relay_t *rel)
{
	const char *name = rel->f[BSC_RELAY_RDNS] ? rel->f[BSC_RELAY_RDNS] : rel->f[BSC_RELAY_HELO];
	const char *ip = rel->f[BSC_RELAY_IP];

	put (b, "\"", 1);
	if (name)
		put_escaped (b, name);
	if (name && ip)
		put (b, " ", 1);
	if (ip) {
		put (b, "[", 1);
		put_escaped (b, ip);
		put (b, "]", 1);
	}
	put (b, "\"", 1);
}

static const char *const orig_keys[BSC_ORIG_FIELD_COUNT] = {
	"message_id", "from", "to", "subject", "date", "return_path",
};

static void
put_original (buf_t *b, const bsc_result_t *r)
{
	bool first = true;

	if (!r->has_original) {
		puts_ (b, "null");
		return;
	}
	put (b, "{", 1);
	for (int k = 0; k < BSC_ORIG_FIELD_COUNT; k++)
		put_kv (b, orig_keys[k], r->orig[k], &first);
	put_key (b, "relays", &first);
	put (b, "[", 1);
	for (size_t i = 0; i < r->n_relays; i++) {
		if (i)
			put (b, ", ", 2);
		put_relay (b, &r->relays[i]);
	}
	put (b, "]}", 2);
}

bsc_status_t
bsc_result_to_json_buf (const bsc_result_t *r, const char *file, long index, char **buf,
			size_t *cap, size_t *len)
{
	bool first = true;

	if (!buf || !cap || !len || (!*buf && *cap))
		return BSC_EINVAL;
	*len = 0;
	if (!r)
		return BSC_EINVAL;
	buf_t b = { .p = *buf, .cap = *cap };
	put (&b, "{", 1);
	if (file)
		put_kv (&b, "file", file, &first);
	if (index >= 0) {
		put_key (&b, "index", &first);
		put_unsigned (&b, (unsigned long long) index);
	}
	put_kv (&b, "message_id", r->message_id, &first);
	put_kv (&b, "kind", bsc_kind_name (r->kind), &first);
	put_kv (&b, "origin", bsc_origin_name (r->origin), &first);
	put_kv (&b, "verdict", bsc_verdict_name (r->verdict), &first);
	put_key (&b, "score", &first);
	put_number (&b, r->score);
	put_key (&b, "rules", &first);
	put_rules (&b, r);
	put_kv (&b, "report_type", r->report_type, &first);
	put_kv (&b, "reporting_mta", r->reporting_mta, &first);
	put_key (&b, "recipients", &first);
	put_recipients (&b, r);
	put_key (&b, "original", &first);
	put_original (&b, r);
	if (r->addressed_decoded) {
		bool afirst = true;
		put_key (&b, "addressed_to", &first);
		put (&b, "{", 1);
		put_kv (&b, "address", r->addressed_to, &afirst);
		put_kv (&b, "decoded", r->addressed_decoded, &afirst);
		put_kv (&b, "scheme", r->addressed_scheme, &afirst);
		put (&b, "}", 1);
	}
	if (r->n_notes) {
		put_key (&b, "notes", &first);
		put (&b, "[", 1);
		for (size_t i = 0; i < r->n_notes; i++) {
			if (i)
				put (&b, ", ", 2);
			put_string (&b, r->notes[i]);
		}
		put (&b, "]", 1);
	}
	put (&b, "}", 1);
	/* A failed grow() left the buffer as it was: still the caller's. */
	*buf = b.p;
	*cap = b.cap;
	if (b.failed)
		return BSC_ENOMEM;
	b.p[b.len] = '\0'; /* reserve() kept the byte */
	*len = b.len;
	return BSC_OK;
}

bsc_status_t
bsc_result_to_json (const bsc_result_t *r, const char *file, long index, char **out)
{
	char *buf = NULL;
	size_t cap = 0, len;
	bsc_status_t st;

	if (!out)
		return BSC_EINVAL;
	st = bsc_result_to_json_buf (r, file, index, &buf, &cap, &len);
	if (st != BSC_OK) {
		free (buf);
		buf = NULL;
	}
	*out = buf;
	return st;
}
