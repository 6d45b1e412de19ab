/*
 * verdict.c - from the points the rules gave to kind, origin and verdict.
 *
 * Each automated kind scores its own points minus the points for "normal";
 * the best one wins when it reaches KIND_THRESHOLD (ties go to the earlier
 * kind in bsc_kind_t order, so the answer never depends on rule order).
 * Origin needs ORIGIN_THRESHOLD points of evidence (DESIGN.md section 5:
 * ours and forged need proof).  A bounce of unknown origin is backscatter
 * only when the heuristic rules say so with BACKSCATTER_THRESHOLD points:
 * without evidence, a filter must not throw away a genuine bounce.
 */
#include "config.h"

#include "bsc-private.h"

#define KIND_THRESHOLD 5.0
#define ORIGIN_THRESHOLD 5.0
#define BACKSCATTER_THRESHOLD 5.0

static const bsc_target_t kind_target[] = {
	[BSC_KIND_NORMAL] = BSC_T_NORMAL,
	[BSC_KIND_BOUNCE] = BSC_T_BOUNCE,
	[BSC_KIND_OUT_OF_OFFICE] = BSC_T_OUT_OF_OFFICE,
	[BSC_KIND_CHALLENGE_RESPONSE] = BSC_T_CHALLENGE_RESPONSE,
};

double
bsc_hit_score (const bsc_result_t *r, const bsc_hit_t *h)
{
	double s;

	if (r->kind == BSC_KIND_NORMAL) {
		s = h->points[BSC_T_NORMAL];
		/* What an automated-kind rule was worth, as a negative reading. */
		if (s == 0.0)
			for (int k = BSC_KIND_BOUNCE; k <= BSC_KIND_CHALLENGE_RESPONSE; k++)
				if (h->points[kind_target[k]] != 0.0)
					return -h->points[kind_target[k]];
		return s;
	}
	s = h->points[kind_target[r->kind]] - h->points[BSC_T_NORMAL];
	if (s == 0.0) {
		if (r->origin == BSC_ORIGIN_OURS)
			s = h->points[BSC_T_OURS];
		else if (r->origin == BSC_ORIGIN_FORGED)
			s = h->points[BSC_T_FORGED];
		else
			s = h->points[BSC_T_BACKSCATTER];
	}
	return s;
}

void
bsc_verdict_decide (bsc_result_t *r)
{
	double *p = r->points;
	double best = 0.0;

	for (int t = 0; t < BSC_T_COUNT; t++)
		p[t] = 0.0;
	for (size_t i = 0; i < r->hits.n; i++)
		for (int t = 0; t < BSC_T_COUNT; t++)
			p[t] += r->hits.v[i].points[t];

	r->kind = BSC_KIND_NORMAL;
	for (int k = BSC_KIND_BOUNCE; k <= BSC_KIND_CHALLENGE_RESPONSE; k++) {
		double s = p[kind_target[k]] - p[BSC_T_NORMAL];
		if (s >= KIND_THRESHOLD && s > best) {
			best = s;
			r->kind = (bsc_kind_t) k;
		}
	}

	r->origin = BSC_ORIGIN_UNKNOWN;
	if (r->kind != BSC_KIND_NORMAL) {
		if (p[BSC_T_OURS] >= ORIGIN_THRESHOLD && p[BSC_T_OURS] > p[BSC_T_FORGED])
			r->origin = BSC_ORIGIN_OURS;
		else if (p[BSC_T_FORGED] >= ORIGIN_THRESHOLD && p[BSC_T_FORGED] >= p[BSC_T_OURS])
			r->origin = BSC_ORIGIN_FORGED;
	}

	switch (r->kind) {
	case BSC_KIND_BOUNCE:
		if (r->origin == BSC_ORIGIN_OURS)
			r->verdict = BSC_VERDICT_GENUINE_BOUNCE;
		else if (r->origin == BSC_ORIGIN_FORGED || p[BSC_T_BACKSCATTER] >= BACKSCATTER_THRESHOLD)
			r->verdict = BSC_VERDICT_BACKSCATTER;
		else
			r->verdict = BSC_VERDICT_GENUINE_BOUNCE;
		r->score = best;
		break;
	case BSC_KIND_OUT_OF_OFFICE:
		r->verdict = BSC_VERDICT_OUT_OF_OFFICE;
		r->score = best;
		break;
	case BSC_KIND_CHALLENGE_RESPONSE:
		r->verdict = BSC_VERDICT_CHALLENGE_RESPONSE;
		r->score = best;
		break;
	case BSC_KIND_NORMAL:
		r->verdict = BSC_VERDICT_NORMAL;
		r->score = p[BSC_T_NORMAL];
		break;
	}
}
