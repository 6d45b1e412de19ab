/*
 * result.c - the per-call result and its accessors.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "bsc-private.h"

bsc_result_t *
bsc_result_new (void)
{
	bsc_result_t *r = calloc (1, sizeof (*r));

	if (r)
		bsc_arena_init_with (&r->arena, r->first_chunk, sizeof (r->first_chunk));
	return r;
}

void
bsc_result_free (bsc_result_t *r)
{
	if (!r)
		return;
	bsc_arena_release (&r->arena);
	free (r);
}

void
bsc_result_add_note (bsc_result_t *r, const char *note)
{
	const char **v;

	for (size_t i = 0; i < r->n_notes; i++)
		if (!strcmp (r->notes[i], note))
			return;
	if (!(v = bsc_arena_grow (&r->arena, r->notes, sizeof (*v), &r->cap_notes, r->n_notes + 1)))
		return;
	r->notes = v;
	if ((v[r->n_notes] = bsc_arena_strdup (&r->arena, note)))
		r->n_notes++;
}

bsc_rcpt_t *
bsc_result_add_rcpt (bsc_result_t *r)
{
	bsc_rcpt_t *v = bsc_arena_grow (&r->arena, r->rcpts, sizeof (*v), &r->cap_rcpts, r->n_rcpts + 1);

	if (!v)
		return NULL;
	r->rcpts = v;
	memset (&v[r->n_rcpts], 0, sizeof (*v));
	return &v[r->n_rcpts++];
}

bsc_kind_t
bsc_result_kind (const bsc_result_t *r)
{
	return r ? r->kind : BSC_KIND_NORMAL;
}

bsc_origin_t
bsc_result_origin (const bsc_result_t *r)
{
	return r ? r->origin : BSC_ORIGIN_UNKNOWN;
}

bsc_verdict_t
bsc_result_verdict (const bsc_result_t *r)
{
	return r ? r->verdict : BSC_VERDICT_NORMAL;
}

double
bsc_result_score (const bsc_result_t *r)
{
	return r ? r->score : 0.0;
}

const char *
bsc_result_report_type (const bsc_result_t *r)
{
	return r ? r->report_type : NULL;
}

const char *
bsc_result_message_id (const bsc_result_t *r)
{
	return r ? r->message_id : NULL;
}

const char *
bsc_result_reporting_mta (const bsc_result_t *r)
{
	return r ? r->reporting_mta : NULL;
}

size_t
bsc_result_rule_count (const bsc_result_t *r)
{
	return r ? r->hits.n : 0;
}

const char *
bsc_result_rule_name (const bsc_result_t *r, size_t i)
{
	return r && i < r->hits.n ? r->hits.v[i].name : NULL;
}

double
bsc_result_rule_score (const bsc_result_t *r, size_t i)
{
	return r && i < r->hits.n ? bsc_hit_score (r, &r->hits.v[i]) : 0.0;
}

const char *
bsc_result_rule_match (const bsc_result_t *r, size_t i)
{
	return r && i < r->hits.n ? r->hits.v[i].match : NULL;
}

size_t
bsc_result_recipient_count (const bsc_result_t *r)
{
	return r ? r->n_rcpts : 0;
}

const char *
bsc_result_recipient (const bsc_result_t *r, size_t i, bsc_rcpt_field_t field)
{
	if (!r || i >= r->n_rcpts || (unsigned) field >= BSC_RCPT_FIELD_COUNT)
		return NULL;
	return r->rcpts[i].f[field];
}

int
bsc_result_has_original (const bsc_result_t *r)
{
	return r && r->has_original;
}

const char *
bsc_result_original (const bsc_result_t *r, bsc_orig_field_t field)
{
	if (!r || (unsigned) field >= BSC_ORIG_FIELD_COUNT)
		return NULL;
	return r->orig[field];
}

size_t
bsc_result_relay_count (const bsc_result_t *r)
{
	return r ? r->n_relays : 0;
}

const char *
bsc_result_relay (const bsc_result_t *r, size_t i, bsc_relay_field_t field)
{
	if (!r || i >= r->n_relays || (unsigned) field >= BSC_RELAY_FIELD_COUNT)
		return NULL;
	return r->relays[i].f[field];
}

size_t
bsc_result_note_count (const bsc_result_t *r)
{
	return r ? r->n_notes : 0;
}

const char *
bsc_result_note (const bsc_result_t *r, size_t i)
{
	return r && i < r->n_notes ? r->notes[i] : NULL;
}

const char *
bsc_result_addressed_to (const bsc_result_t *r)
{
	return r ? r->addressed_to : NULL;
}

const char *
bsc_result_addressed_decoded (const bsc_result_t *r)
{
	return r ? r->addressed_decoded : NULL;
}

const char *
bsc_result_addressed_scheme (const bsc_result_t *r)
{
	return r ? r->addressed_scheme : NULL;
}
