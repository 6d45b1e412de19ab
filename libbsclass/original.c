/*
 * original.c - the headers of the message a report is about.
 */
#include "config.h"

#include <string.h>

#include "bsc-private.h"

static const char *const orig_names[BSC_ORIG_FIELD_COUNT] = {
	[BSC_ORIG_MESSAGE_ID] = "Message-ID",
	[BSC_ORIG_FROM] = "From",
	[BSC_ORIG_TO] = "To",
	[BSC_ORIG_SUBJECT] = "Subject",
	[BSC_ORIG_DATE] = "Date",
	[BSC_ORIG_RETURN_PATH] = "Return-Path",
};

void
bsc_original_from_fields (bsc_result_t *r, const bsc_fields_t *fields)
{
	bsc_arena_t *a = &r->arena;

	r->has_original = true;
	for (int k = 0; k < BSC_ORIG_FIELD_COUNT; k++) {
		const bsc_field_t *f = bsc_fields_find (fields, orig_names[k]);
		if (f && f->value.len)
			r->orig[k] = bsc_header_decode (a, f->value);
	}
	/* Received fields are prepended by each hop: the first is the newest. */
	for (size_t i = 0; i < fields->n; i++) {
		bsc_relay_t rel;

		if (!bsc_str_ieq (fields->v[i].name, "Received"))
			continue;
		if (!bsc_received_parse (a, fields->v[i].value, &rel))
			continue;
		bsc_relay_t *v = bsc_arena_grow (a, r->relays, sizeof (*v), &r->cap_relays,
						 r->n_relays + 1);
		if (!v)
			return;
		r->relays = v;
		v[r->n_relays++] = rel;
	}
}

void
bsc_original_from_bytes (bsc_result_t *r, const char *p, size_t len, const size_t *limits,
			 bsc_fields_t *orig_fields)
{
	const char *end;

	if (!p || !len) /* an empty part's bytes may be NULL: no pointer arithmetic on it */
		return;
	if (len > limits[BSC_LIMIT_ORIGINAL_BYTES]) {
		len = limits[BSC_LIMIT_ORIGINAL_BYTES];
		bsc_result_add_note (r, "limit: original-bytes");
	}
	end = p + len;
	/* Some writers put a blank line or an mbox From_ line first. */
	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	bsc_fields_parse (&r->arena, p, end, limits[BSC_LIMIT_HEADERS],
			  limits[BSC_LIMIT_HEADER_BYTES], orig_fields);
	if (orig_fields->truncated)
		bsc_result_add_note (r, "limit: headers");
	if (orig_fields->value_cut)
		bsc_result_add_note (r, "limit: header-bytes");
	if (orig_fields->n)
		bsc_original_from_fields (r, orig_fields);
}
