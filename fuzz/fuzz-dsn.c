/*
 * fuzz-dsn.c - the field parsers that read report parts as bytes: the
 * delivery-status parser (bsc_dsn_parse), the header block splitter
 * (bsc_fields_parse) and the embedded original's headers
 * (bsc_original_from_bytes: RFC 2047 words, Received relays), with the
 * default limits and with tiny ones; the result goes through the JSON
 * writer.
 */
#include "config.h"

#include "fuzz-common.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
	/* RFC 2047 decoding uses GMime, which an engine initialises. */
	bsc_gmime_init_once ();
	fuzz_glib_fatal ();
	return 0;
}

static void
check_view (bsc_str_t v, const char *base, size_t size)
{
	/* A view into the input must lie inside it. */
	if (v.len && (v.ptr < base || v.ptr + v.len > base + size))
		abort ();
}

static void
one (const char *p, size_t size, const size_t *limits)
{
	bsc_result_t *r = bsc_result_new ();
	bsc_fields_t all = { 0 }, orig = { 0 }, block = { 0 };
	char *json = NULL;

	if (!r)
		return;
	bsc_dsn_parse (r, p, size, limits, &all);
	if (all.n > limits[BSC_LIMIT_HEADERS] || r->n_rcpts > limits[BSC_LIMIT_RECIPIENTS])
		abort (); /* the limits hold */
	for (size_t i = 0; i < all.n; i++)
		if (all.v[i].value.len > limits[BSC_LIMIT_HEADER_BYTES])
			abort ();
	bsc_original_from_bytes (r, p, size, limits, &orig);
	const char *end = bsc_fields_parse (&r->arena, p, p + size, limits[BSC_LIMIT_HEADERS],
					    limits[BSC_LIMIT_HEADER_BYTES], &block);
	if (end < p || end > p + size)
		abort ();
	for (size_t i = 0; i < block.n; i++) {
		char *d = bsc_header_decode (&r->arena, block.v[i].value);
		if (d)
			fuzz_touch (d);
	}
	check_view (bsc_status_find ((bsc_str_t) { p, size }), p, size);
	check_view (bsc_reply_code_find ((bsc_str_t) { p, size }), p, size);
	check_view (bsc_addr_clean ((bsc_str_t) { p, size }), p, size);
	if (bsc_result_to_json (r, NULL, 0, &json) == BSC_OK) {
		if (memchr (json, '\n', strlen (json)))
			abort ();
		bsc_free (json);
	}
	bsc_result_free (r);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	size_t limits[BSC_LIMIT_COUNT];
	bsc_options_t *o = bsc_options_new ();

	if (!o)
		return 0;
	for (int k = 0; k < BSC_LIMIT_COUNT; k++)
		limits[k] = bsc_options_get_limit (o, (bsc_limit_t) k);
	bsc_options_free (o);
	/* A copy of exactly @size bytes, so that ASan catches any read past the end. */
	char *p = malloc (size ? size : 1);
	if (!p)
		return 0;
	memcpy (p, data, size);
	one (p, size, limits);
	fuzz_small_limits (limits);
	one (p, size, limits);
	free (p);
	return 0;
}
