/*
 * test-config.c - the site config (config.c): relays, addresses and CIDR
 * blocks (RFC 4291 section 2.2 text forms), the config file and its errors.
 *
 * Table-driven, OpenDMARC style: each test walks an array of rows and
 * names the failing row.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bsc-private.h"
#include "table.h"

/* The 16 bytes of an address, by the C library (an independent oracle);
 * IPv4 as ::ffff:a.b.c.d. */
static void
oracle (const char *text, uint8_t out[16])
{
	char buf[64];

	if (strchr (text, ':')) {
		const char *t = strncasecmp (text, "IPv6:", 5) ? text : text + 5;
		assert_int_equal (inet_pton (AF_INET6, t, out), 1);
	} else {
		snprintf (buf, sizeof (buf), "::ffff:%s", text);
		assert_int_equal (inet_pton (AF_INET6, buf, out), 1);
	}
}

/* ------------------------------------------------------------- bsc_ip_parse */

static const struct {
	const char *in;
	bool ok;
} ip_rows[] = {
	{ "192.0.2.1", true },
	{ "0.0.0.0", true },
	{ "255.255.255.255", true },
	{ "0.1.2.3", true },
	{ "10.0.0.10", true },
	{ "::", true },
	{ "::1", true },
	{ "2001:db8::", true },
	{ "2001:db8::1", true },
	{ "2001:DB8::A", true },
	{ "2001:0db8:0000:0000:0000:0000:0000:0001", true },
	{ "1:2:3:4:5:6:7:8", true },
	{ "1:2:3:4:5:6:7::", true },
	{ "::2:3:4:5:6:7:8", true },
	{ "fe80::1:2", true },
	{ "::ffff:192.0.2.1", true },
	{ "::192.0.2.1", true },
	{ "1:2:3:4:5:6:192.0.2.1", true },
	{ "64:ff9b::192.0.2.1", true },
	{ "IPv6:2001:db8::1", true },
	/* refused */
	{ "01.2.3.4", false },
	{ "1.2.3.04", false },
	{ "00.0.0.0", false },
	{ "256.0.0.1", false },
	{ "300.1.1.1", false },
	{ "1.2.3", false },
	{ "1.2.3.4.5", false },
	{ "1..2.3", false },
	{ ".1.2.3", false },
	{ "1.2.3.", false },
	{ "1.2.3.4 ", false },
	{ " 1.2.3.4", false },
	{ "1.2.3.-4", false },
	{ "a.b.c.d", false },
	{ "1234.1.1.1", false },
	{ "", false },
	{ ":", false },
	{ ":::", false },
	{ ":1::", false },
	{ "1:", false },
	{ "1::2::3", false },
	{ "12345::", false },
	{ "g::1", false },
	{ "1:2:3:4:5:6:7", false },
	{ "1:2:3:4:5:6:7:8:9", false },
	{ "1::2:3:4:5:6:7:8", false },
	{ "::1.2.3", false },
	{ "::ffff:01.2.3.4", false },
	{ "1:2:3:4:5:6:7:1.2.3.4", false },
	{ "1.2.3.4::", false },
	{ "2001:db8::1%eth0", false },
	{ "[2001:db8::1]", false },
	{ "IPv6:", false },
};

static void
test_ip_parse_table (void **state)
{
	(void) state;
	begin_rows ();
	for (size_t i = 0; i < N_ELEM (ip_rows); i++) {
		uint8_t got[16], want[16];
		bool ok = bsc_ip_parse (ip_rows[i].in, strlen (ip_rows[i].in), got);

		check_int (i, ip_rows[i].in, ok, ip_rows[i].ok);
		if (ok && ip_rows[i].ok) {
			oracle (ip_rows[i].in, want);
			check_int (i, "bytes as inet_pton", memcmp (got, want, 16) != 0, 0);
		}
	}
	end_rows ();
}

static void
test_ip_parse_forms (void **state)
{
	(void) state;
	uint8_t a[16], b[16];
	static const uint8_t loop6[16] = { [15] = 1 };
	static const uint8_t zero[16] = { 0 };

	assert_true (bsc_ip_parse ("::", 2, a));
	assert_memory_equal (a, zero, 16);
	assert_true (bsc_ip_parse ("::1", 3, a));
	assert_memory_equal (a, loop6, 16);
	/* v4-mapped v6 text is the same address as the v4 text */
	assert_true (bsc_ip_parse ("::ffff:192.0.2.1", 16, a));
	assert_true (bsc_ip_parse ("192.0.2.1", 9, b));
	assert_memory_equal (a, b, 16);
	assert_int_equal (b[10], 0xff);
	assert_int_equal (b[11], 0xff);
	assert_int_equal (b[12], 192);
	assert_int_equal (b[15], 1);
	/* only @len bytes count */
	assert_true (bsc_ip_parse ("192.0.2.1XYZ", 9, a));
	assert_false (bsc_ip_parse ("192.0.2.1", 8, a));
	assert_true (bsc_ip_parse ("2001:db8::1/32", 11, a));
}

/* ----------------------------------------------------------- bsc_cidr_match */

/* "addr/prefix" in the address's own family -> a bsc_cidr_t. */
static bsc_cidr_t
cidr (const char *text)
{
	bsc_cidr_t c;
	const char *slash = strchr (text, '/');
	size_t alen = slash ? (size_t) (slash - text) : strlen (text);
	bool v4 = !memchr (text, ':', alen);

	assert_true (bsc_ip_parse (text, alen, c.addr));
	c.prefix = slash ? atoi (slash + 1) + (v4 ? 96 : 0) : 128;
	return c;
}

static const struct {
	const char *net;
	const char *ip;
	bool match;
} cidr_rows[] = {
	{ "192.0.2.0/24", "192.0.2.77", true },
	{ "192.0.2.0/24", "192.0.2.0", true },
	{ "192.0.2.0/24", "192.0.2.255", true },
	{ "192.0.2.0/24", "192.0.3.1", false },
	{ "192.0.2.0/24", "192.0.1.255", false },
	{ "192.0.2.0/24", "::ffff:192.0.2.5", true },  /* v4-mapped v6 address */
	{ "192.0.2.0/24", "2001:db8::c000:205", false },
	{ "192.0.2.128/25", "192.0.2.200", true },
	{ "192.0.2.128/25", "192.0.2.127", false },
	{ "10.0.0.0/8", "10.255.255.255", true },
	{ "10.0.0.0/8", "11.0.0.0", false },
	{ "192.0.2.1/32", "192.0.2.1", true },
	{ "192.0.2.1/32", "192.0.2.2", false },
	{ "192.0.2.1", "192.0.2.1", true },            /* no prefix: /32 */
	{ "192.0.2.1", "192.0.2.0", false },
	{ "0.0.0.0/0", "203.0.113.9", true },
	{ "0.0.0.0/0", "255.255.255.255", true },
	{ "0.0.0.0/0", "2001:db8::1", false },         /* all of IPv4, not IPv6 */
	{ "::/0", "2001:db8::1", true },
	{ "::/0", "192.0.2.1", true },
	{ "2001:db8::/32", "2001:db8:ffff::1", true },
	{ "2001:db8::/32", "2001:db9::1", false },
	{ "2001:db8::/33", "2001:db8:7fff::1", true },
	{ "2001:db8::/33", "2001:db8:8000::1", false },
	{ "2001:db8::1/128", "2001:db8::1", true },
	{ "2001:db8::1/128", "2001:db8::2", false },
	{ "::ffff:192.0.2.0/120", "192.0.2.9", true },
	{ "192.0.2.1/31", "192.0.2.0", true },
	{ "192.0.2.1/31", "192.0.2.2", false },
};

static void
test_cidr_match_table (void **state)
{
	(void) state;
	begin_rows ();
	for (size_t i = 0; i < N_ELEM (cidr_rows); i++) {
		bsc_cidr_t net = cidr (cidr_rows[i].net);
		uint8_t ip[16];

		assert_true (bsc_ip_parse (cidr_rows[i].ip, strlen (cidr_rows[i].ip), ip));
		check_int (i, cidr_rows[i].ip, bsc_cidr_match (&net, ip), cidr_rows[i].match);
	}
	end_rows ();
}

/* ----------------------------------------------------- bsc_config_add_relay */

static const struct {
	const char *in;
	bsc_status_t st;
	const char *host; /* stored host name (lower case), NULL for an address */
	const char *net;  /* the stored address, for the oracle */
	int prefix;       /* of 128 */
} relay_rows[] = {
	{ "mail.example.com", BSC_OK, "mail.example.com", NULL, 0 },
	{ "MX1.Example.COM", BSC_OK, "mx1.example.com", NULL, 0 },
	{ "*.example.com", BSC_OK, "*.example.com", NULL, 0 },
	{ "out_1-a.example", BSC_OK, "out_1-a.example", NULL, 0 },
	{ "localhost", BSC_OK, "localhost", NULL, 0 },
	{ "192.0.2.1", BSC_OK, NULL, "192.0.2.1", 128 },
	{ "192.0.2.0/24", BSC_OK, NULL, "192.0.2.0", 120 },
	{ "0.0.0.0/0", BSC_OK, NULL, "0.0.0.0", 96 },
	{ "192.0.2.1/32", BSC_OK, NULL, "192.0.2.1", 128 },
	{ "2001:db8::1", BSC_OK, NULL, "2001:db8::1", 128 },
	{ "2001:db8::/32", BSC_OK, NULL, "2001:db8::", 32 },
	{ "::/0", BSC_OK, NULL, "::", 0 },
	{ "2001:db8::/128", BSC_OK, NULL, "2001:db8::", 128 },
	{ "::ffff:192.0.2.0/120", BSC_OK, NULL, "192.0.2.0", 120 },
	/* refused */
	{ "300.1.1.1", BSC_EINVAL, NULL, NULL, 0 },   /* an address out of range */
	{ "192.0.2.256", BSC_EINVAL, NULL, NULL, 0 },
	{ "01.2.3.4", BSC_EINVAL, NULL, NULL, 0 },    /* leading zero: octal or decimal? */
	{ "192.0.2.0/33", BSC_EINVAL, NULL, NULL, 0 },
	{ "2001:db8::/129", BSC_EINVAL, NULL, NULL, 0 },
	{ "a b", BSC_EINVAL, NULL, NULL, 0 },
	{ "1.2.3.4/x", BSC_EINVAL, NULL, NULL, 0 },
	{ "1.2.3.4/", BSC_EINVAL, NULL, NULL, 0 },
	{ "1.2.3.4/-1", BSC_EINVAL, NULL, NULL, 0 },
	{ "1.2.3.4/24x", BSC_EINVAL, NULL, NULL, 0 },
	{ "example.com/24", BSC_EINVAL, NULL, NULL, 0 },
	{ "2001:db8:::1", BSC_EINVAL, NULL, NULL, 0 },
	{ "mail.example.com:25", BSC_EINVAL, NULL, NULL, 0 },
	{ "", BSC_EINVAL, NULL, NULL, 0 },
	{ "/24", BSC_EINVAL, NULL, NULL, 0 },
	{ "h\xc3\xa9st.example", BSC_EINVAL, NULL, NULL, 0 },
};

static void
test_add_relay_table (void **state)
{
	(void) state;
	begin_rows ();
	for (size_t i = 0; i < N_ELEM (relay_rows); i++) {
		bsc_config_t *c = bsc_config_new ();
		bsc_status_t st = bsc_config_add_relay (c, relay_rows[i].in);

		check_int (i, relay_rows[i].in, st, relay_rows[i].st);
		if (st == BSC_OK && relay_rows[i].st == BSC_OK) {
			if (relay_rows[i].host) {
				check_int (i, "hosts", (long long) c->n_relay_hosts, 1);
				check_int (i, "nets", (long long) c->n_relay_nets, 0);
				if (c->n_relay_hosts)
					check_str (i, "host", c->relay_hosts[0], relay_rows[i].host);
			} else {
				uint8_t want[16];
				oracle (relay_rows[i].net, want);
				check_int (i, "hosts", (long long) c->n_relay_hosts, 0);
				check_int (i, "nets", (long long) c->n_relay_nets, 1);
				if (c->n_relay_nets) {
					check_int (i, "prefix", c->relay_nets[0].prefix,
						   relay_rows[i].prefix);
					check_int (i, "address",
						   memcmp (c->relay_nets[0].addr, want, 16) != 0, 0);
				}
			}
		} else if (st != BSC_OK) {
			check_int (i, "nothing stored", (long long) (c->n_relay_hosts + c->n_relay_nets),
				   0);
		}
		bsc_config_free (c);
	}
	end_rows ();

	assert_int_equal (bsc_config_add_relay (NULL, "a.example"), BSC_EINVAL);
	bsc_config_t *c = bsc_config_new ();
	assert_int_equal (bsc_config_add_relay (c, NULL), BSC_EINVAL);
	/* Several relays accumulate. */
	assert_int_equal (bsc_config_add_relay (c, "a.example"), BSC_OK);
	assert_int_equal (bsc_config_add_relay (c, "b.example"), BSC_OK);
	assert_int_equal (bsc_config_add_relay (c, "192.0.2.0/24"), BSC_OK);
	assert_int_equal (bsc_config_add_relay (c, "198.51.100.0/24"), BSC_OK);
	assert_int_equal (c->n_relay_hosts, 2);
	assert_int_equal (c->n_relay_nets, 2);
	bsc_config_free (c);
}

static void
test_setters (void **state)
{
	(void) state;
	bsc_config_t *c = bsc_config_new ();

	assert_non_null (c);
	assert_int_equal (c->batv_days, 7); /* the default */
	assert_int_equal (bsc_config_add_domain (c, "Example.ORG"), BSC_OK);
	assert_string_equal (c->domains[0], "example.org");
	assert_int_equal (bsc_config_add_domain (c, ""), BSC_EINVAL);
	assert_int_equal (bsc_config_add_domain (c, "a b"), BSC_EINVAL);
	assert_int_equal (bsc_config_add_domain (c, NULL), BSC_EINVAL);
	assert_int_equal (bsc_config_add_domain (NULL, "x"), BSC_EINVAL);
	assert_int_equal (c->n_domains, 1);

	assert_int_equal (bsc_config_add_batv_secret (c, 3, "one"), BSC_OK);
	assert_int_equal (bsc_config_add_batv_secret (c, 3, "two"), BSC_OK); /* replaces */
	assert_string_equal (c->batv_secret[3], "two");
	assert_int_equal (bsc_config_add_batv_secret (c, 0, "zero"), BSC_OK);
	assert_int_equal (bsc_config_add_batv_secret (c, 9, "nine"), BSC_OK);
	assert_int_equal (bsc_config_add_batv_secret (c, -1, "x"), BSC_EINVAL);
	assert_int_equal (bsc_config_add_batv_secret (c, 10, "x"), BSC_EINVAL);
	assert_int_equal (bsc_config_add_batv_secret (c, 1, ""), BSC_EINVAL);
	assert_int_equal (bsc_config_add_batv_secret (c, 1, NULL), BSC_EINVAL);
	assert_null (c->batv_secret[1]);

	assert_int_equal (bsc_config_set_batv_days (c, 1), BSC_OK);
	assert_int_equal (bsc_config_set_batv_days (c, 999), BSC_OK);
	assert_int_equal (bsc_config_set_batv_days (c, 0), BSC_EINVAL);
	assert_int_equal (bsc_config_set_batv_days (c, 1000), BSC_EINVAL);
	assert_int_equal (bsc_config_set_batv_days (c, -5), BSC_EINVAL);
	assert_int_equal (c->batv_days, 999);

	assert_int_equal (bsc_config_add_msgid_secret (c, "m"), BSC_OK);
	assert_int_equal (bsc_config_add_msgid_secret (c, ""), BSC_EINVAL);
	assert_int_equal (c->n_msgid_secrets, 1);
	bsc_config_free (c);
}

/* ----------------------------------------------------------------- files */

/* Writes @text to a new temporary file; returns its path (free it). */
static char *
temp_file (const char *text)
{
	const char *dir = getenv ("TMPDIR");
	char *path = malloc (4096);
	int fd;

	snprintf (path, 4096, "%s/bsc-test-config-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp (path);
	assert_true (fd >= 0);
	size_t len = strlen (text);
	assert_int_equal (write (fd, text, len), (ssize_t) len);
	close (fd);
	return path;
}

static void
test_load_good_file (void **state)
{
	(void) state;
	char *path = temp_file ("# site config for example.org\n"
				"\n"
				"domain example.org\n"
				"domain Example.NET   # trailing comment\n"
				"   # an indented comment\n"
				"\tdomain tab.example\n"
				"domain hash#inside.example\n"
				"domain crlf.example\r\n"
				"relay mx1.example.org\n"
				"relay 192.0.2.0/24\n"
				"relay 2001:db8::/32\n"
				"relay 198.51.100.7\n"
				"batv-secret 0 s3cret\n"
				"batv-secret 1:other secret\n"
				"batv-secret 0 replaced\n"
				"batv-days 10\n"
				"msgid-secret m1\n"
				"msgid-secret m2\n"
				"   \t  \n"
				"domain last.example");
	bsc_config_t *c = bsc_config_new ();
	bsc_error_t err;

	memset (&err, 0x55, sizeof (err)); /* untouched on success */
	assert_int_equal (bsc_config_load_file (c, path, &err), BSC_OK);
	assert_int_equal (err.line, 0x55555555);
	assert_int_equal (c->n_domains, 6);
	assert_string_equal (c->domains[0], "example.org");
	assert_string_equal (c->domains[1], "example.net");
	assert_string_equal (c->domains[2], "tab.example");
	assert_string_equal (c->domains[3], "hash#inside.example");
	assert_string_equal (c->domains[4], "crlf.example");
	assert_string_equal (c->domains[5], "last.example");
	assert_int_equal (c->n_relay_hosts, 1);
	assert_string_equal (c->relay_hosts[0], "mx1.example.org");
	assert_int_equal (c->n_relay_nets, 3);
	assert_int_equal (c->relay_nets[0].prefix, 120);
	assert_int_equal (c->relay_nets[1].prefix, 32);
	assert_int_equal (c->relay_nets[2].prefix, 128);
	assert_string_equal (c->batv_secret[0], "replaced");
	assert_string_equal (c->batv_secret[1], "other secret");
	assert_null (c->batv_secret[2]);
	assert_int_equal (c->batv_days, 10);
	assert_int_equal (c->n_msgid_secrets, 2);
	assert_string_equal (c->msgid_secrets[1], "m2");

	/* Loading adds to what is there. */
	assert_int_equal (bsc_config_load_file (c, path, NULL), BSC_OK);
	assert_int_equal (c->n_domains, 12);
	bsc_config_free (c);
	unlink (path);
	free (path);
}

static const struct {
	const char *text;
	size_t len; /* 0: strlen (text) */
	int line, column;
	const char *reason; /* a substring of err.text */
} bad_rows[] = {
	{ "domain a.example\n\nfoo bar\n", 0, 3, 1, "unknown key 'foo'" },
	{ "  bogus-key value\n", 0, 1, 3, "unknown key 'bogus-key'" }, /* column of the key */
	{ "relay a b\n", 0, 1, 7, "a b" },
	{ "relay 300.1.1.1\n", 0, 1, 7, "300.1.1.1" },
	{ "relay 192.0.2.0/33\n", 0, 1, 7, "192.0.2.0/33" },
	{ "# c\nbatv-secret x y\n", 0, 2, 13, "x y" },
	{ "batv-secret 12 y\n", 0, 1, 13, "12 y" },
	{ "batv-secret 1\n", 0, 1, 13, "batv-secret" },
	{ "batv-days 0\n", 0, 1, 11, "'0'" },
	{ "batv-days 1000\n", 0, 1, 11, "'1000'" },
	{ "batv-days ten\n", 0, 1, 11, "'ten'" },
	{ "batv-days 7x\n", 0, 1, 11, "'7x'" },
	{ "domain\n", 0, 1, 7, "missing value for 'domain'" },
	{ "msgid-secret   # only a comment\n", 0, 1, 13, "missing value for 'msgid-secret'" },
	{ "domain ok.example\ndomain a\0b\n", sizeof ("domain ok.example\ndomain a\0b\n") - 1, 2, 1,
	  "NUL" },
	{ "Domain x.example\n", 0, 1, 1, "unknown key 'Domain'" }, /* keys are lower case */
};

static void
test_load_bad_files (void **state)
{
	(void) state;
	begin_rows ();
	for (size_t i = 0; i < N_ELEM (bad_rows); i++) {
		/* the NUL row needs its real length */
		const char *t = bad_rows[i].text;
		size_t len = bad_rows[i].len ? bad_rows[i].len : strlen (t);
		char *path = temp_file ("");
		FILE *f = fopen (path, "w");
		assert_non_null (f);
		assert_int_equal (fwrite (t, 1, len, f), len);
		fclose (f);

		bsc_config_t *c = bsc_config_new ();
		bsc_error_t err;
		memset (&err, 0, sizeof (err));
		check_int (i, "status", bsc_config_load_file (c, path, &err), BSC_ECONFIG);
		check_str (i, "source", err.source, path);
		check_int (i, "line", err.line, bad_rows[i].line);
		check_int (i, "column", err.column, bad_rows[i].column);
		if (!strstr (err.text, bad_rows[i].reason)) {
			print_error ("row %zu: text \"%s\" lacks \"%s\"\n", i, err.text,
				     bad_rows[i].reason);
			failures++;
		}
		/* without an error struct: same status, no crash */
		bsc_config_t *c2 = bsc_config_new ();
		check_int (i, "status without err", bsc_config_load_file (c2, path, NULL), BSC_ECONFIG);
		bsc_config_free (c2);
		bsc_config_free (c);
		unlink (path);
		free (path);
	}
	end_rows ();
}

static void
test_load_partial_and_missing (void **state)
{
	(void) state;
	char *path = temp_file ("domain a.example\nrelay 192.0.2.1\nnope x\ndomain b.example\n");
	bsc_config_t *c = bsc_config_new ();
	bsc_error_t err;

	/* The lines before the bad one are kept; the ones after are not read. */
	assert_int_equal (bsc_config_load_file (c, path, &err), BSC_ECONFIG);
	assert_int_equal (err.line, 3);
	assert_int_equal (c->n_domains, 1);
	assert_int_equal (c->n_relay_nets, 1);
	unlink (path);

	/* A missing file. */
	memset (&err, 0, sizeof (err));
	assert_int_equal (bsc_config_load_file (c, path, &err), BSC_EIO);
	assert_string_equal (err.source, path);
	assert_int_equal (err.line, 0);
	assert_true (strlen (err.text) > 0);
	assert_int_equal (bsc_config_load_file (c, path, NULL), BSC_EIO);
	/* A directory is not a config file either. */
	assert_int_not_equal (bsc_config_load_file (c, "/", &err), BSC_OK);

	assert_int_equal (bsc_config_load_file (NULL, path, NULL), BSC_EINVAL);
	assert_int_equal (bsc_config_load_file (c, NULL, NULL), BSC_EINVAL);

	/* An empty file is a good file. */
	char *empty = temp_file ("");
	assert_int_equal (bsc_config_load_file (c, empty, NULL), BSC_OK);
	unlink (empty);
	free (empty);
	bsc_config_free (c);
	free (path);
}

/* ----------------------------------------------------------- bsc_config_set */

static const struct {
	const char *key, *value;
	bsc_status_t st;
} set_rows[] = {
	{ "batv-secret", "1:abc", BSC_OK },
	{ "batv-secret", "2 def", BSC_OK },
	{ "batv-secret", "3\tghi", BSC_OK },
	{ "batv-secret", "x y", BSC_ECONFIG },
	{ "batv-secret", "1:", BSC_ECONFIG },
	{ "batv-secret", "1", BSC_ECONFIG },
	{ "batv-secret", "", BSC_ECONFIG },
	{ "batv-days", "0", BSC_ECONFIG },
	{ "batv-days", "30", BSC_OK },
	{ "domain", "set.example", BSC_OK },
	{ "domain", "", BSC_ECONFIG },
	{ "relay", "192.0.2.0/24", BSC_OK },
	{ "relay", "300.1.1.1", BSC_ECONFIG },
	{ "msgid-secret", "k", BSC_OK },
	{ "no-such-key", "v", BSC_ECONFIG },
	{ "", "v", BSC_ECONFIG },
};

static void
test_config_set_table (void **state)
{
	(void) state;
	bsc_config_t *c = bsc_config_new ();

	begin_rows ();
	for (size_t i = 0; i < N_ELEM (set_rows); i++) {
		bsc_error_t err;
		memset (&err, 0, sizeof (err));
		bsc_status_t st = bsc_config_set (c, set_rows[i].key, set_rows[i].value, &err);
		check_int (i, set_rows[i].key, st, set_rows[i].st);
		if (st == BSC_ECONFIG) {
			check_str (i, "source", err.source, "<string>");
			check_int (i, "line", err.line, 0);
			check_int (i, "has text", err.text[0] != '\0', 1);
		}
	}
	check_str (0, "batv 1", c->batv_secret[1], "abc");
	check_str (0, "batv 2", c->batv_secret[2], "def");
	check_str (0, "batv 3", c->batv_secret[3], "ghi");
	check_int (0, "batv-days", c->batv_days, 30);
	check_int (0, "domains", (long long) c->n_domains, 1);
	if (c->n_domains)
		check_str (0, "domain", c->domains[0], "set.example");
	check_int (0, "relay nets", (long long) c->n_relay_nets, 1);
	check_int (0, "relay hosts", (long long) c->n_relay_hosts, 0);

	check_int (0, "NULL config", bsc_config_set (NULL, "domain", "x", NULL), BSC_EINVAL);
	check_int (0, "NULL key", bsc_config_set (c, NULL, "x", NULL), BSC_EINVAL);
	check_int (0, "NULL value", bsc_config_set (c, "domain", NULL, NULL), BSC_EINVAL);
	check_int (0, "no err", bsc_config_set (c, "nope", "x", NULL), BSC_ECONFIG);
	bsc_config_free (c);
	end_rows ();
}

/* ---------------------------------------------------------- copy and free */

static void
assert_config_equal (const bsc_config_t *a, const bsc_config_t *b)
{
	assert_int_equal (a->n_domains, b->n_domains);
	for (size_t i = 0; i < a->n_domains; i++) {
		assert_string_equal (a->domains[i], b->domains[i]);
		assert_ptr_not_equal (a->domains[i], b->domains[i]);
	}
	assert_int_equal (a->n_relay_hosts, b->n_relay_hosts);
	for (size_t i = 0; i < a->n_relay_hosts; i++) {
		assert_string_equal (a->relay_hosts[i], b->relay_hosts[i]);
		assert_ptr_not_equal (a->relay_hosts[i], b->relay_hosts[i]);
	}
	assert_int_equal (a->n_relay_nets, b->n_relay_nets);
	if (a->n_relay_nets) {
		assert_memory_equal (a->relay_nets, b->relay_nets,
				     a->n_relay_nets * sizeof (bsc_cidr_t));
		assert_ptr_not_equal (a->relay_nets, b->relay_nets);
	}
	for (int k = 0; k < 10; k++) {
		if (!a->batv_secret[k]) {
			assert_null (b->batv_secret[k]);
			continue;
		}
		assert_string_equal (a->batv_secret[k], b->batv_secret[k]);
		assert_ptr_not_equal (a->batv_secret[k], b->batv_secret[k]);
	}
	assert_int_equal (a->batv_days, b->batv_days);
	assert_int_equal (a->n_msgid_secrets, b->n_msgid_secrets);
	for (size_t i = 0; i < a->n_msgid_secrets; i++)
		assert_string_equal (a->msgid_secrets[i], b->msgid_secrets[i]);
}

static void
test_config_copy (void **state)
{
	(void) state;
	bsc_config_t *c = bsc_config_new ();

	/* An empty one. */
	bsc_config_t *e = bsc_config_copy (c);
	assert_non_null (e);
	assert_config_equal (c, e);
	bsc_config_free (e);

	assert_int_equal (bsc_config_add_domain (c, "a.example"), BSC_OK);
	assert_int_equal (bsc_config_add_domain (c, "b.example"), BSC_OK);
	assert_int_equal (bsc_config_add_relay (c, "mx.a.example"), BSC_OK);
	assert_int_equal (bsc_config_add_relay (c, "192.0.2.0/24"), BSC_OK);
	assert_int_equal (bsc_config_add_relay (c, "2001:db8::/32"), BSC_OK);
	assert_int_equal (bsc_config_add_batv_secret (c, 0, "s0"), BSC_OK);
	assert_int_equal (bsc_config_add_batv_secret (c, 7, "s7"), BSC_OK);
	assert_int_equal (bsc_config_set_batv_days (c, 21), BSC_OK);
	assert_int_equal (bsc_config_add_msgid_secret (c, "m"), BSC_OK);

	bsc_config_t *d = bsc_config_copy (c);
	assert_non_null (d);
	assert_config_equal (c, d);
	/* Independent: freeing the original leaves the copy whole. */
	bsc_config_free (c);
	assert_string_equal (d->domains[1], "b.example");
	assert_string_equal (d->batv_secret[7], "s7");
	bsc_config_free (d);

	bsc_config_free (NULL);
}

int
main (void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test (test_ip_parse_table),
		cmocka_unit_test (test_ip_parse_forms),
		cmocka_unit_test (test_cidr_match_table),
		cmocka_unit_test (test_add_relay_table),
		cmocka_unit_test (test_setters),
		cmocka_unit_test (test_load_good_file),
		cmocka_unit_test (test_load_bad_files),
		cmocka_unit_test (test_load_partial_and_missing),
		cmocka_unit_test (test_config_set_table),
		cmocka_unit_test (test_config_copy),
	};

	return cmocka_run_group_tests (tests, NULL, NULL);
}
