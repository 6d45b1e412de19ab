/*
 * received.c - who handed a message to whom, from a Received: field.
 *
 * RFC 5321 section 4.4 gives the shape "from DOMAIN (TCP-info) by DOMAIN
 * ..."; each MTA fills the parentheses its own way:
 *   Postfix, Sendmail, Courier, OpenSMTPD, Gmail:  from HELO (RDNS [IP])
 *   Exim:                                          from RDNS ([IP] helo=HELO)
 *   qmail:                                         from RDNS (HELO name) (IP)
 *   Exchange:                                      from HELO (IP)
 * The HELO name is what the client claimed (forgers write our relay's name
 * there, DESIGN.md section 5); RDNS and IP are what the receiver recorded.
 */
#include "config.h"

#include <string.h>

#include <glib.h>

#include "bsc-private.h"

typedef struct {
	bsc_str_t items[8];
	size_t n;
} groups_t;

static bool
is_space (char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bsc_str_t
word_at (bsc_str_t s, size_t *i)
{
	size_t start;

	while (*i < s.len && is_space (s.ptr[*i]))
		(*i)++;
	start = *i;
	while (*i < s.len && !is_space (s.ptr[*i]) && s.ptr[*i] != '(' && s.ptr[*i] != ';')
		(*i)++;
	return (bsc_str_t) { s.ptr + start, *i - start };
}

/* An IP address inside @s: "[1.2.3.4]", "[IPv6:...]", or all of @s. */
static bsc_str_t
find_ip (bsc_str_t s)
{
	const char *lb = memchr (s.ptr, '[', s.len);
	uint8_t ip[16];

	if (lb) {
		const char *rb = memchr (lb, ']', s.len - (size_t) (lb - s.ptr));
		if (rb) {
			bsc_str_t v = { lb + 1, (size_t) (rb - lb - 1) };
			if (bsc_str_iprefix (v, "IPv6:")) {
				v.ptr += 5;
				v.len -= 5;
			}
			if (bsc_ip_parse (v.ptr, v.len, ip))
				return v;
		}
	}
	s = bsc_str_trim (s);
	if (s.len && bsc_ip_parse (s.ptr, s.len, ip))
		return s;
	/* "1.2.3.4:25" */
	const char *colon = memchr (s.ptr, ':', s.len);
	if (colon && !memchr (colon + 1, ':', s.len - (size_t) (colon + 1 - s.ptr)) &&
	    bsc_ip_parse (s.ptr, (size_t) (colon - s.ptr), ip))
		return (bsc_str_t) { s.ptr, (size_t) (colon - s.ptr) };
	return (bsc_str_t) { NULL, 0 };
}

/* A host name as recorded: no trailing dot, no "user@" ident, not "unknown". */
static bsc_str_t
host_name (bsc_str_t s)
{
	const char *at;

	s = bsc_str_trim (s);
	if (!s.len)
		return (bsc_str_t) { NULL, 0 };
	if ((at = memchr (s.ptr, '@', s.len))) {
		s.len -= (size_t) (at + 1 - s.ptr);
		s.ptr = at + 1;
	}
	while (s.len && s.ptr[s.len - 1] == '.')
		s.len--;
	if (bsc_str_ieq (s, "unknown") || !s.len || s.ptr[0] == '[')
		return (bsc_str_t) { NULL, 0 };
	return s;
}

static const char *
copy (bsc_arena_t *a, bsc_str_t s)
{
	return s.len ? bsc_utf8_copy (a, s.ptr, s.len) : NULL;
}

/* The (...) groups of the from-clause, up to " by " outside them. */
static size_t
collect_groups (bsc_str_t s, size_t i, groups_t *g)
{
	while (i < s.len) {
		if (s.ptr[i] == '(') {
			size_t start = ++i;
			int depth = 1;
			while (i < s.len && depth) {
				if (s.ptr[i] == '(')
					depth++;
				else if (s.ptr[i] == ')')
					depth--;
				i++;
			}
			if (g->n < sizeof (g->items) / sizeof (g->items[0]))
				g->items[g->n++] = (bsc_str_t) { s.ptr + start,
								 i - start - (depth ? 0 : 1) };
			continue;
		}
		if (s.ptr[i] == ';')
			break;
		if (i + 4 <= s.len && is_space (s.ptr[i]) && bsc_str_iprefix ((bsc_str_t) { s.ptr + i + 1, s.len - i - 1 }, "by") &&
		    i + 3 < s.len && is_space (s.ptr[i + 3]))
			break;
		if (s.ptr[i] == '[') {
			/* A bare "[IP]" outside parentheses (Sendmail, qmail forms). */
			const char *rb = memchr (s.ptr + i, ']', s.len - i);
			size_t stop = rb ? (size_t) (rb - s.ptr) + 1 : s.len;
			if (g->n < sizeof (g->items) / sizeof (g->items[0]))
				g->items[g->n++] = (bsc_str_t) { s.ptr + i, stop - i };
			i = stop;
			continue;
		}
		i++;
	}
	return i;
}

bool
bsc_received_parse (bsc_arena_t *a, bsc_str_t v, bsc_relay_t *out)
{
	bsc_str_t first = { NULL, 0 }, helo = { NULL, 0 }, rdns = { NULL, 0 }, ip = { NULL, 0 };
	groups_t g = { .n = 0 };
	size_t i = 0;
	bool exim = false, qmail = false;

	memset (out, 0, sizeof (*out));
	v = bsc_str_trim (v);
	/* Exim leaves helo= out when the HELO name equals the verified
	 * reverse name; its "with esmtp (Exim 4.x)" still tells the form. */
	exim = bsc_str_icase_find (v, "(Exim ") != NULL;
	bsc_str_t w = word_at (v, &i);
	if (bsc_str_ieq (w, "from")) {
		first = word_at (v, &i);
		i = collect_groups (v, i, &g);
	}
	for (size_t k = 0; k < g.n; k++) {
		bsc_str_t grp = bsc_str_trim (g.items[k]);
		const char *h = bsc_str_icase_find (grp, "helo=");
		bsc_str_t gip = find_ip (grp);

		if (h) {
			size_t j = (size_t) (h + 5 - grp.ptr);
			exim = true;
			helo = word_at (grp, &j);
		} else if (bsc_str_iprefix (grp, "HELO ") || bsc_str_iprefix (grp, "EHLO ")) {
			size_t j = 5;
			qmail = true;
			helo = word_at (grp, &j);
		} else if (gip.len && !rdns.len && grp.ptr[0] != '[') {
			/* "(rdns [ip])": the name before the address. */
			size_t j = 0;
			bsc_str_t name = word_at (grp, &j);
			if (name.ptr != gip.ptr && name.ptr + name.len <= gip.ptr)
				rdns = host_name (name);
		}
		if (gip.len && !ip.len)
			ip = gip;
	}
	if (exim || qmail) {
		/* The first word is the name the receiver looked up. */
		rdns = host_name (first);
		if (exim && !helo.len)
			helo = first;
	} else {
		helo = first;
	}
	if (!ip.len && first.len && first.ptr[0] == '[')
		ip = find_ip (first);
	if (helo.len && helo.ptr[0] == '[')
		helo = (bsc_str_t) { NULL, 0 };

	/* The receiving host: the word after "by", outside comments; the
	 * from-clause is optional, so "by" may open the field. */
	const char *by = NULL;
	int depth = 0;
	for (size_t k = 0; k + 3 <= v.len; k++) {
		char c = v.ptr[k];
		if (c == '(') {
			depth++;
		} else if (c == ')') {
			if (depth)
				depth--;
		} else if (!depth && c == ';') {
			break;
		} else if (!depth && (k == 0 || is_space (v.ptr[k - 1])) && (c == 'b' || c == 'B') &&
			   (v.ptr[k + 1] == 'y' || v.ptr[k + 1] == 'Y') && is_space (v.ptr[k + 2])) {
			by = v.ptr + k + 3;
			break;
		}
	}
	if (by) {
		size_t j = (size_t) (by - v.ptr);
		out->f[BSC_RELAY_BY] = copy (a, host_name (word_at (v, &j)));
	}
	/* RFC 3848: "with ESMTPA/ESMTPSA/LMTPA..." marks an authenticated
	 * submission: a user's own machine, whatever its name. */
	const char *with = bsc_str_icase_find (v, " with ");
	if (with) {
		bsc_str_t proto = { with + 6, (size_t) (v.ptr + v.len - with - 6) };
		size_t n = 0;
		while (n < proto.len && !is_space (proto.ptr[n]) && proto.ptr[n] != ';')
			n++;
		/* ESMTPA, ESMTPSA, LMTPA, LMTPSA, UTF8SMTPA ...: ends in "A" after "SMTP"/"LMTP". */
		out->auth = n >= 5 && (proto.ptr[n - 1] == 'A' || proto.ptr[n - 1] == 'a') &&
			    (bsc_str_icase_find ((bsc_str_t) { proto.ptr, n }, "SMTP") ||
			     bsc_str_icase_find ((bsc_str_t) { proto.ptr, n }, "LMTP"));
	}
	if (!out->auth)
		out->auth = bsc_str_icase_find (v, "authenticated") != NULL;
	out->f[BSC_RELAY_HELO] = copy (a, helo);
	out->f[BSC_RELAY_RDNS] = copy (a, rdns);
	out->f[BSC_RELAY_IP] = copy (a, ip);
	return out->f[BSC_RELAY_HELO] || out->f[BSC_RELAY_RDNS] || out->f[BSC_RELAY_IP] ||
	       out->f[BSC_RELAY_BY];
}

/* RFC 1918, loopback, link-local and unique-local addresses. */
static bool
private_ip (const uint8_t ip[16])
{
	static const uint8_t v4map[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (!memcmp (ip, v4map, 12)) {
		const uint8_t *a = ip + 12;
		return a[0] == 10 || a[0] == 127 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
		       (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254);
	}
	static const uint8_t loop[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	return !memcmp (ip, loop, 16) || (ip[0] & 0xfe) == 0xfc || (ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80);
}

/*
 * Whether a reverse name looks like an address pool rather than a mail
 * server: four numbers in a row ("203-0-113-5.pool.example.net") or a
 * label saying so ("dsl", "dyn", "dhcp", "pool", "ppp", "cable", ...)
 * followed by digits, as access providers name their customers.
 */
static bool
dynamic_name (const char *name)
{
	static const char *const words[] = { "dsl", "dyn", "dynamic", "dynip", "dhcp", "pool", "ppp",
					     "pppoe", "cable", "cust", "customer", "static-ip",
					     "staticip", "dialup", "dial-up", "dial", "broadband",
					     "bredband", "hsd", "residential" };
	int run = 0;

	for (const char *p = name; *p;) {
		size_t d = strspn (p, "0123456789");
		if (d >= 1 && d <= 3 && (p[d] == '.' || p[d] == '-')) {
			if (++run == 4)
				return true;
			p += d + 1;
			continue;
		}
		if (d >= 1 && d <= 3 && run == 3)
			return true; /* the fourth number ends the name */
		run = 0;
		p += d ? d : 1;
	}
	for (const char *p = name; *p; p++) {
		if (p != name && p[-1] != '.' && p[-1] != '-')
			continue;
		for (size_t k = 0; k < sizeof (words) / sizeof (words[0]); k++) {
			size_t n = strlen (words[k]);
			if (g_ascii_strncasecmp (p, words[k], n))
				continue;
			const char *q = p + n;
			if (*q == '.' || *q == '-')
				q++;
			if (*q >= '0' && *q <= '9')
				return true;
		}
	}
	return false;
}

bool
bsc_relay_dynamic (const bsc_relay_t *rel)
{
	const char *ip = rel->f[BSC_RELAY_IP], *rdns = rel->f[BSC_RELAY_RDNS];
	uint8_t addr[16];

	if (rel->auth || !ip || !bsc_ip_parse (ip, strlen (ip), addr) || private_ip (addr))
		return false;
	return !rdns || dynamic_name (rdns);
}
