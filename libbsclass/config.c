/*
 * config.c - the site config: who "we" are (DESIGN.md section 5).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsc-private.h"

bsc_config_t *
bsc_config_new (void)
{
	bsc_config_t *c = calloc (1, sizeof (*c));

	if (c)
		c->batv_days = 7;
	return c;
}

static void
free_list (char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free (v[i]);
	free (v);
}

void
bsc_config_free (bsc_config_t *c)
{
	if (!c)
		return;
	free_list (c->domains, c->n_domains);
	free_list (c->relay_hosts, c->n_relay_hosts);
	free_list (c->msgid_secrets, c->n_msgid_secrets);
	free (c->relay_nets);
	for (int i = 0; i < 10; i++)
		free (c->batv_secret[i]);
	free (c);
}

static bool
list_add (char ***v, size_t *n, const char *s, bool lower)
{
	char **nv = realloc (*v, (*n + 1) * sizeof (char *));
	char *copy;

	if (!nv)
		return false;
	*v = nv;
	copy = strdup (s);
	if (!copy)
		return false;
	if (lower)
		for (char *p = copy; *p; p++)
			*p = (char) tolower ((unsigned char) *p);
	nv[(*n)++] = copy;
	return true;
}

static bool
list_copy (char ***dst, size_t *dn, char *const *src, size_t sn)
{
	for (size_t i = 0; i < sn; i++)
		if (!list_add (dst, dn, src[i], false))
			return false;
	return true;
}

bsc_config_t *
bsc_config_copy (const bsc_config_t *src)
{
	bsc_config_t *c = bsc_config_new ();

	if (!c)
		return NULL;
	c->batv_days = src->batv_days;
	if (!list_copy (&c->domains, &c->n_domains, src->domains, src->n_domains) ||
	    !list_copy (&c->relay_hosts, &c->n_relay_hosts, src->relay_hosts, src->n_relay_hosts) ||
	    !list_copy (&c->msgid_secrets, &c->n_msgid_secrets, src->msgid_secrets,
			src->n_msgid_secrets))
		goto fail;
	if (src->n_relay_nets) {
		c->relay_nets = malloc (src->n_relay_nets * sizeof (bsc_cidr_t));
		if (!c->relay_nets)
			goto fail;
		memcpy (c->relay_nets, src->relay_nets, src->n_relay_nets * sizeof (bsc_cidr_t));
		c->n_relay_nets = src->n_relay_nets;
	}
	for (int i = 0; i < 10; i++)
		if (src->batv_secret[i] && !(c->batv_secret[i] = strdup (src->batv_secret[i])))
			goto fail;
	return c;
fail:
	bsc_config_free (c);
	return NULL;
}

/* ------------------------------------------------------------ addresses */

static bool
parse_v4 (const char *s, size_t len, uint8_t out[4])
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned v = 0;
		size_t digits = 0;

		while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 4) {
			v = v * 10 + (unsigned) (s[i++] - '0');
			digits++;
		}
		if (!digits || v > 255 || (digits > 1 && s[i - digits] == '0'))
			return false;
		out[part] = (uint8_t) v;
		if (part < 3) {
			if (i >= len || s[i] != '.')
				return false;
			i++;
		}
	}
	return i == len;
}

static int
hexval (char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char) tolower ((unsigned char) c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* RFC 4291 section 2.2 text forms, including "::" and a dotted IPv4 tail. */
static bool
parse_v6 (const char *s, size_t len, uint8_t out[16])
{
	uint16_t words[8];
	int n = 0, gap = -1;
	size_t i = 0;

	if (len >= 2 && s[0] == ':' && s[1] == ':') {
		gap = 0;
		i = 2;
	} else if (len && s[0] == ':') {
		return false;
	}
	while (i < len) {
		size_t start = i;
		unsigned v = 0;
		int digits = 0;

		while (i < len && hexval (s[i]) >= 0 && digits < 5) {
			v = v * 16 + (unsigned) hexval (s[i++]);
			digits++;
		}
		if (i < len && s[i] == '.') {
			/* IPv4 tail: the last 32 bits. */
			uint8_t v4[4];
			if (n > 6 || !parse_v4 (s + start, len - start, v4))
				return false;
			words[n++] = (uint16_t) (v4[0] << 8 | v4[1]);
			words[n++] = (uint16_t) (v4[2] << 8 | v4[3]);
			i = len;
			break;
		}
		if (!digits || digits > 4 || n >= 8)
			return false;
		words[n++] = (uint16_t) v;
		if (i == len)
			break;
		if (s[i] != ':')
			return false;
		i++;
		if (i < len && s[i] == ':') {
			if (gap >= 0)
				return false;
			gap = n;
			i++;
		} else if (i == len) {
			return false;
		}
	}
	if (gap < 0 && n != 8)
		return false;
	if (gap >= 0 && n > 7)
		return false;
	memset (out, 0, 16);
	int tail = gap < 0 ? 0 : n - gap;
	for (int k = 0; k < n - tail; k++) {
		out[2 * k] = (uint8_t) (words[k] >> 8);
		out[2 * k + 1] = (uint8_t) words[k];
	}
	for (int k = 0; k < tail; k++) {
		int pos = 8 - tail + k;
		out[2 * pos] = (uint8_t) (words[gap + k] >> 8);
		out[2 * pos + 1] = (uint8_t) words[gap + k];
	}
	return true;
}

bool
bsc_ip_parse (const char *s, size_t len, uint8_t out[16])
{
	uint8_t v4[4];

	/* "IPv6:" is how RFC 5321 section 4.1.3 writes address literals. */
	if (len > 5 && strncasecmp (s, "IPv6:", 5) == 0) {
		s += 5;
		len -= 5;
	}
	if (memchr (s, ':', len))
		return parse_v6 (s, len, out);
	if (!parse_v4 (s, len, v4))
		return false;
	memset (out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy (out + 12, v4, 4);
	return true;
}

bool
bsc_cidr_match (const bsc_cidr_t *net, const uint8_t ip[16])
{
	int bits = net->prefix, i = 0;

	for (; bits >= 8; bits -= 8, i++)
		if (net->addr[i] != ip[i])
			return false;
	if (bits) {
		uint8_t mask = (uint8_t) (0xff << (8 - bits));
		if ((net->addr[i] & mask) != (ip[i] & mask))
			return false;
	}
	return true;
}

/* ------------------------------------------------------------- setters */

bsc_status_t
bsc_config_add_domain (bsc_config_t *c, const char *domain)
{
	if (!c || !domain || !*domain || strchr (domain, ' '))
		return BSC_EINVAL;
	return list_add (&c->domains, &c->n_domains, domain, true) ? BSC_OK : BSC_ENOMEM;
}

bsc_status_t
bsc_config_add_relay (bsc_config_t *c, const char *relay)
{
	const char *slash;
	size_t alen;
	bsc_cidr_t net;
	bool v4;

	if (!c || !relay || !*relay)
		return BSC_EINVAL;
	slash = strchr (relay, '/');
	alen = slash ? (size_t) (slash - relay) : strlen (relay);
	v4 = !memchr (relay, ':', alen);
	if (!bsc_ip_parse (relay, alen, net.addr)) {
		/* Not an address: a host name (no prefix allowed). */
		/* Digits and dots only is a malformed address ("300.1.1.1",
		 * "01.2.3.4"), never a host name (no top-level domain is numeric). */
		if (slash || strspn (relay, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					    "0123456789.-_*") != strlen (relay) ||
		    strspn (relay, "0123456789.") == strlen (relay))
			return BSC_EINVAL;
		return list_add (&c->relay_hosts, &c->n_relay_hosts, relay, true) ? BSC_OK
										     : BSC_ENOMEM;
	}
	net.prefix = 128;
	if (slash) {
		char *end;
		long p;

		errno = 0;
		p = strtol (slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || p < 0 || p > (v4 ? 32 : 128))
			return BSC_EINVAL;
		net.prefix = v4 ? (int) p + 96 : (int) p;
	}
	bsc_cidr_t *nv = realloc (c->relay_nets, (c->n_relay_nets + 1) * sizeof (*nv));
	if (!nv)
		return BSC_ENOMEM;
	c->relay_nets = nv;
	nv[c->n_relay_nets++] = net;
	return BSC_OK;
}

bsc_status_t
bsc_config_add_batv_secret (bsc_config_t *c, int key, const char *secret)
{
	char *copy;

	if (!c || key < 0 || key > 9 || !secret || !*secret)
		return BSC_EINVAL;
	if (!(copy = strdup (secret)))
		return BSC_ENOMEM;
	free (c->batv_secret[key]);
	c->batv_secret[key] = copy;
	return BSC_OK;
}

bsc_status_t
bsc_config_set_batv_days (bsc_config_t *c, int days)
{
	if (!c || days < 1 || days > 999)
		return BSC_EINVAL;
	c->batv_days = days;
	return BSC_OK;
}

bsc_status_t
bsc_config_add_msgid_secret (bsc_config_t *c, const char *secret)
{
	if (!c || !secret || !*secret)
		return BSC_EINVAL;
	return list_add (&c->msgid_secrets, &c->n_msgid_secrets, secret, false) ? BSC_OK
										  : BSC_ENOMEM;
}

/* ----------------------------------------------------------- key value */

static bsc_status_t
set_error (bsc_error_t *err, const char *source, int line, int column, const char *text,
	   const char *arg)
{
	if (err) {
		snprintf (err->source, sizeof (err->source), "%s", source ? source : "<string>");
		err->line = line;
		err->column = column;
		snprintf (err->text, sizeof (err->text), "%s%s%s%s", text, arg ? " '" : "",
			  arg ? arg : "", arg ? "'" : "");
	}
	return BSC_ECONFIG;
}

static bsc_status_t
apply (bsc_config_t *c, const char *key, const char *value, bsc_error_t *err,
       const char *source, int line, int kcol, int vcol)
{
	bsc_status_t st;

	if (!*value)
		return set_error (err, source, line, vcol, "missing value for", key);
	if (!strcmp (key, "domain")) {
		st = bsc_config_add_domain (c, value);
	} else if (!strcmp (key, "relay")) {
		st = bsc_config_add_relay (c, value);
		if (st == BSC_EINVAL)
			return set_error (err, source, line, vcol,
					  "not a host name, address or CIDR block:", value);
	} else if (!strcmp (key, "batv-secret")) {
		/* "K SECRET", and "K:SECRET" as the command line writes it. */
		const char *p = value;
		if (*p < '0' || *p > '9' || (p[1] != ' ' && p[1] != '\t' && p[1] != ':'))
			return set_error (err, source, line, vcol,
					  "batv-secret wants a key number 0-9 and a secret, not", value);
		p += 2;
		while (*p == ' ' || *p == '\t')
			p++;
		st = bsc_config_add_batv_secret (c, value[0] - '0', p);
		if (st == BSC_EINVAL)
			return set_error (err, source, line, vcol, "empty BATV secret", NULL);
	} else if (!strcmp (key, "batv-days")) {
		char *end;
		long d = strtol (value, &end, 10);
		if (*end || d < 1 || d > 999)
			return set_error (err, source, line, vcol,
					  "batv-days wants a number of days from 1 to 999, not", value);
		st = bsc_config_set_batv_days (c, (int) d);
	} else if (!strcmp (key, "msgid-secret")) {
		st = bsc_config_add_msgid_secret (c, value);
	} else {
		return set_error (err, source, line, kcol, "unknown key", key);
	}
	if (st == BSC_EINVAL)
		return set_error (err, source, line, vcol, "invalid value", value);
	return st;
}

bsc_status_t
bsc_config_set (bsc_config_t *c, const char *key, const char *value, bsc_error_t *err)
{
	if (!c || !key || !value)
		return BSC_EINVAL;
	return apply (c, key, value, err, NULL, 0, 0, 0);
}

bsc_status_t
bsc_config_load_file (bsc_config_t *c, const char *path, bsc_error_t *err)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int lineno = 0;
	bsc_status_t st = BSC_OK;

	if (!c || !path)
		return BSC_EINVAL;
	if (!(f = fopen (path, "r"))) {
		if (err) {
			snprintf (err->source, sizeof (err->source), "%s", path);
			err->line = err->column = 0;
			snprintf (err->text, sizeof (err->text), "%s", strerror (errno));
		}
		return BSC_EIO;
	}
	while (st == BSC_OK && (n = getline (&line, &cap, f)) >= 0) {
		char *p = line, *key, *hash;

		lineno++;
		if (memchr (line, '\0', (size_t) n)) {
			st = set_error (err, path, lineno, 1, "NUL byte in line", NULL);
			break;
		}
		/* '#' starts a comment at the line start or after white space. */
		for (hash = line; (hash = strchr (hash, '#')); hash++)
			if (hash == line || hash[-1] == ' ' || hash[-1] == '\t') {
				*hash = '\0';
				break;
			}
		while (*p == ' ' || *p == '\t')
			p++;
		char *end = p + strlen (p);
		while (end > p && isspace ((unsigned char) end[-1]))
			*--end = '\0';
		if (!*p)
			continue;
		key = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		st = apply (c, key, p, err, path, lineno, (int) (key - line) + 1, (int) (p - line) + 1);
	}
	if (st == BSC_OK && ferror (f)) {
		if (err) {
			snprintf (err->source, sizeof (err->source), "%s", path);
			err->line = lineno;
			err->column = 0;
			snprintf (err->text, sizeof (err->text), "read error");
		}
		st = BSC_EIO;
	}
	free (line);
	fclose (f);
	return st;
}
