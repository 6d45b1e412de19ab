/*
 * test-received.c - Received: field parsing (received.c): the forms of
 * RFC 5321 section 4.4 as Postfix, Sendmail, Exim, qmail, Exchange, Gmail
 * and Courier write them.
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

#include <stdlib.h>
#include <string.h>

#include "bsc-private.h"
#include "table.h"

typedef struct {
	const char *in;
	const char *helo, *rdns, *ip, *by; /* NULL: absent */
} rcvd_row_t;

static const rcvd_row_t rcvd_rows[] = {
	/* 0: Postfix */
	{ "from helo.example (rdns.example [192.0.2.1]) by mx.example.net (Postfix) with ESMTPS id "
	  "4ABC123; Mon, 1 Jan 2024 00:00:00 +0000 (UTC)",
	  "helo.example", "rdns.example", "192.0.2.1", "mx.example.net" },
	/* 1: Postfix, no reverse name */
	{ "from helo.example (unknown [192.0.2.1]) by mx.example.net (Postfix) with ESMTP id X",
	  "helo.example", NULL, "192.0.2.1", "mx.example.net" },
	/* 2: Postfix, IPv6 */
	{ "from helo.example (rdns.example [IPv6:2001:db8::1]) by mx.example.net (Postfix) with "
	  "ESMTPS id X",
	  "helo.example", "rdns.example", "2001:db8::1", "mx.example.net" },
	/* 3: Exim with a HELO different from the reverse name */
	{ "from rdns.example ([192.0.2.1] helo=helo.example) by mx.example.net with esmtps "
	  "(TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96) (envelope-from <a@example.org>) id "
	  "1rXyz-000abc-2F; Mon, 01 Jan 2024 00:00:00 +0000",
	  "helo.example", "rdns.example", "192.0.2.1", "mx.example.net" },
	/* 4: Exim, no reverse name */
	{ "from [192.0.2.1] (helo=helo.example) by mx.example.net with smtp (Exim 4.96)",
	  "helo.example", NULL, "192.0.2.1", "mx.example.net" },
	/* 5: Exim, HELO equal to the reverse name (written once): "(Exim"
	 * tells that the name is the verified reverse name */
	{ "from rdns.example ([192.0.2.1]) by mx.example.net with esmtp (Exim 4.96)", "rdns.example",
	  "rdns.example", "192.0.2.1", "mx.example.net" },
	/* 5b: the same shape without "(Exim": Sendmail's "HELO ([IP])" with no
	 * reverse name, so only the HELO is certain */
	{ "from rdns.example ([192.0.2.1]) by mx.example.net (8.17.1/8.17.1) with ESMTP", "rdns.example",
	  NULL, "192.0.2.1", "mx.example.net" },
	/* 6: Exim with the client port */
	{ "from rdns.example ([192.0.2.1]:50123 helo=helo.example) by mx.example.net with esmtp",
	  "helo.example", "rdns.example", "192.0.2.1", "mx.example.net" },
	/* 7: Exim, IPv6 */
	{ "from rdns.example ([2001:db8::25] helo=helo.example) by mx.example.net with esmtp",
	  "helo.example", "rdns.example", "2001:db8::25", "mx.example.net" },
	/* 8: qmail, unknown client */
	{ "from unknown (HELO helo.example) (192.0.2.1) by mx.example.net with SMTP; 1 Jan 2024 "
	  "00:00:00 -0000",
	  "helo.example", NULL, "192.0.2.1", "mx.example.net" },
	/* 9: qmail with a reverse name */
	{ "from rdns.example (HELO helo.example) (192.0.2.1) by mx.example.net with SMTP; 1 Jan 2024",
	  "helo.example", "rdns.example", "192.0.2.1", "mx.example.net" },
	/* 10: qmail's local line has no from-clause */
	{ "(qmail 12345 invoked by uid 89); 1 Jan 2024 00:00:00 -0000", NULL, NULL, NULL, NULL },
	/* 11: Exchange */
	{ "from host.example (192.0.2.1) by host2.example (192.0.2.2) with Microsoft SMTP Server "
	  "(version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.7; Mon, 1 Jan 2024",
	  "host.example", NULL, "192.0.2.1", "host2.example" },
	/* 12: Exchange Online, IPv6 */
	{ "from AM0PR01MB1234.eurprd01.prod.outlook.com (2603:10a6:208:1::12) by "
	  "AM0PR01MB5678.eurprd01.prod.outlook.com (2603:10a6:208:2::34) with Microsoft SMTP Server",
	  "AM0PR01MB1234.eurprd01.prod.outlook.com", NULL, "2603:10a6:208:1::12",
	  "AM0PR01MB5678.eurprd01.prod.outlook.com" },
	/* 13: Gmail: the trailing dot of the reverse name goes */
	{ "from mail-x.google.com (mail-x.google.com. [209.85.220.41]) by mx.google.com with SMTPS "
	  "id abc.123 for <u@example.org> (Google Transport Security); Mon, 1 Jan 2024",
	  "mail-x.google.com", "mail-x.google.com", "209.85.220.41", "mx.google.com" },
	/* 14: Courier, v4-mapped address as recorded */
	{ "from helo.example (rdns.example [::ffff:192.0.2.1]) by mx.example.net with ESMTP; Mon, 01 "
	  "Jan 2024 00:00:00 +0000",
	  "helo.example", "rdns.example", "::ffff:192.0.2.1", "mx.example.net" },
	/* 15: Sendmail with an ident user */
	{ "from helo.example (user@rdns.example [192.0.2.1]) by mx.example.net (8.15.2/8.15.2) with "
	  "ESMTP id 0ABC; Mon, 1 Jan 2024",
	  "helo.example", "rdns.example", "192.0.2.1", "mx.example.net" },
	/* 16: Sendmail "(may be forged)" */
	{ "from helo.example (rdns.example [192.0.2.1] (may be forged)) by mx.example.net "
	  "(8.15.2/8.15.2) with ESMTP id 0ABC",
	  "helo.example", "rdns.example", "192.0.2.1", "mx.example.net" },
	/* 17: localhost */
	{ "from localhost (localhost [127.0.0.1]) by mx.example.net (Postfix) with ESMTP id 1",
	  "localhost", "localhost", "127.0.0.1", "mx.example.net" },
	/* 18: no from-clause: local submission (Postfix pickup) */
	{ "by mx.example.net (Postfix, from userid 1000) id 4ABC; Mon, 1 Jan 2024 00:00:00 +0000",
	  NULL, NULL, NULL, "mx.example.net" },
	/* 19: no from-clause: Exim local */
	{ "by host.example with local (Exim 4.96) (envelope-from <u@host.example>) id 1abc; Mon, 1 "
	  "Jan 2024",
	  NULL, NULL, NULL, "host.example" },
	/* 20: no parentheses at all */
	{ "from helo.example by mx.example.net with SMTP", "helo.example", NULL, NULL,
	  "mx.example.net" },
	/* 21: upper case keywords, a tab before "by" */
	{ "FROM helo.example (rdns.example [192.0.2.1])\tBY mx.example.net WITH ESMTP",
	  "helo.example", "rdns.example", "192.0.2.1", "mx.example.net" },
	/* 22: the receiving host given as an address literal */
	{ "from helo.example (rdns.example [192.0.2.1]) by [192.0.2.99] with SMTP", "helo.example",
	  "rdns.example", "192.0.2.1", NULL },
	/* 23: "by" inside a host name is not the keyword */
	{ "from bypass.example (byhost.example [192.0.2.1]) by mx.example.net",
	  "bypass.example", "byhost.example", "192.0.2.1", "mx.example.net" },
	/* 24: unclosed parenthesis */
	{ "from helo.example (rdns.example [192.0.2.1]", "helo.example", "rdns.example",
	  "192.0.2.1", NULL },
	/* 25: an address that is not one */
	{ "from helo.example (rdns.example [999.0.2.1]) by mx.example.net", "helo.example", NULL,
	  NULL, "mx.example.net" },
	/* 26-30: garbage, empty, blanks, a bare "from" */
	{ "hello world", NULL, NULL, NULL, NULL },
	{ "", NULL, NULL, NULL, NULL },
	{ "  \t ", NULL, NULL, NULL, NULL },
	{ "from", NULL, NULL, NULL, NULL },
	{ "from ((((((([", NULL, NULL, NULL, NULL },
	/* 31: more groups than are kept: no overrun, the first ones count */
	{ "from a ([192.0.2.1]) (1) (2) (3) (4) (5) (6) (7) (8) (9) (10) by b", "a", NULL,
	  "192.0.2.1", "b" },
	/* 32: " by " inside a comment before the by-clause is not the keyword */
	{ "from helo.example (rdns.example [192.0.2.1]) (authenticated by user) by mx.example.net "
	  "with ESMTPSA",
	  "helo.example", "rdns.example", "192.0.2.1", "mx.example.net" },
	/* 33: a folded field keeps its line-break white space */
	{ "from helo.example (rdns.example [192.0.2.1])\r\n\tby mx.example.net (Postfix)",
	  "helo.example", "rdns.example", "192.0.2.1", "mx.example.net" },
};

static void
test_received_table (void **state)
{
	begin_rows ();
	(void) state;
	for (size_t i = 0; i < N_ELEM (rcvd_rows); i++) {
		const rcvd_row_t *row = &rcvd_rows[i];
		bsc_arena_t a;
		bsc_relay_t rel;
		size_t len = strlen (row->in);
		/* An exact-size heap copy: no NUL after the view. */
		char *buf = malloc (len ? len : 1);

		memcpy (buf, row->in, len);
		bsc_arena_init (&a);
		bool ok = bsc_received_parse (&a, (bsc_str_t) { buf, len }, &rel);
		check_str (i, "helo", rel.f[BSC_RELAY_HELO], row->helo);
		check_str (i, "rdns", rel.f[BSC_RELAY_RDNS], row->rdns);
		check_str (i, "ip", rel.f[BSC_RELAY_IP], row->ip);
		check_str (i, "by", rel.f[BSC_RELAY_BY], row->by);
		check_int (i, "return", ok, row->helo || row->rdns || row->ip || row->by);
		bsc_arena_release (&a);
		free (buf);
	}
	end_rows ();
}

static void
test_received_output_cleared (void **state)
{
	(void) state;
	bsc_arena_t a;
	bsc_relay_t rel;

	/* Fields of an earlier call never leak into a failed one. */
	for (int k = 0; k < BSC_RELAY_FIELD_COUNT; k++)
		rel.f[k] = "stale";
	bsc_arena_init (&a);
	assert_false (bsc_received_parse (&a, (bsc_str_t) { "junk", 4 }, &rel));
	for (int k = 0; k < BSC_RELAY_FIELD_COUNT; k++)
		assert_null (rel.f[k]);
	bsc_arena_release (&a);
}

static void
test_received_garbage (void **state)
{
	(void) state;
	static const char alphabet[] = "from by ()[]helo=HELO IPv6:192.0.2.1:;@.\t";
	unsigned seed = 4242;

	for (int round = 0; round < 500; round++) {
		size_t len = (size_t) (seed % 300);
		char *buf = malloc (len ? len : 1);
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[i] = alphabet[(seed >> 16) % (sizeof (alphabet) - 1)];
		}
		bsc_arena_t a;
		bsc_relay_t rel;
		bsc_arena_init (&a);
		bsc_received_parse (&a, (bsc_str_t) { buf, len }, &rel);
		for (int k = 0; k < BSC_RELAY_FIELD_COUNT; k++)
			if (rel.f[k])
				assert_true (strlen (rel.f[k]) <= len);
		bsc_arena_release (&a);
		free (buf);
		seed = seed * 1103515245u + 12345u;
	}
}

int
main (void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test (test_received_table),
		cmocka_unit_test (test_received_output_cleared),
		cmocka_unit_test (test_received_garbage),
	};

	return cmocka_run_group_tests (tests, NULL, NULL);
}
