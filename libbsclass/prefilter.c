/*
 * prefilter.c - one pass over the text decides which body rules can match.
 *
 * Running every body regex on every message costs more than GMime's whole
 * parse (research/PERF.md, F(i) vs F(iv)).  Each rule knows a literal that
 * every match must contain (rules-parse.c); one pass over the text with a
 * hash of each 3-byte window finds the rules whose literal is there, and
 * only those run their regex.  Rules without a usable literal always run.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "rules.h"

#define PF_BITS 12
#define PF_BUCKETS (1u << PF_BITS)
/* The bitmap is finer than the buckets: with a thousand literals a 4096-bit
 * map is a third full, a 65536-bit one (8 KB, in L1) about 2%. */
#define PF_MAP_BITS 16
#define PF_MIN_LIT 3

typedef struct pf_entry {
	uint32_t rule;
	uint16_t len;
	const char *lit;
} pf_entry_t;

struct bsc_prefilter {
	uint64_t bitmap[(1u << PF_MAP_BITS) / 64];
	uint32_t start[PF_BUCKETS + 1]; /* bucket b holds entry[start[b] .. start[b + 1]) */
	pf_entry_t *entry;              /* one per literal of a rule */
	uint32_t *always;               /* body rules without literals */
	size_t n_always;
	uint32_t *filtered;             /* body rules with literals */
	size_t n_filtered;
};

static unsigned char
lower (unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char) (c + 32) : c;
}

/* A 16-bit hash of 3 bytes: all of it picks the bitmap bit, its top
 * PF_BITS bits the bucket. */
static unsigned
hash3 (const unsigned char *p)
{
	uint32_t h = ((uint32_t) lower (p[0]) << 16 | (uint32_t) lower (p[1]) << 8 | lower (p[2])) *
		     2654435761u;
	return h >> (32 - PF_MAP_BITS);
}

#define BUCKET(h) ((h) >> (PF_MAP_BITS - PF_BITS))

static bool
filtered (const bsc_rule_t *r)
{
	return (r->type == BSC_R_BODY || r->type == BSC_R_SPLIT) && r->code;
}

static bool
has_literal (const bsc_rule_t *r)
{
	return r->lit && r->n_lits;
}

/* Calls @fn for each literal of rule @r. */
#define FOR_EACH_LIT(r, l) for (const char *l = (r)->lit; (r)->lit && *l; l += strlen (l) + 1)

bsc_prefilter_t *
bsc_prefilter_new (const bsc_rule_t *rules, size_t n)
{
	bsc_prefilter_t *pf = calloc (1, sizeof (*pf));
	size_t n_lit = 0, n_always = 0, n_filtered = 0;

	if (!pf)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (!filtered (&rules[i]))
			continue;
		if (!has_literal (&rules[i])) {
			n_always++;
			continue;
		}
		n_filtered++;
		FOR_EACH_LIT (&rules[i], l) {
			pf->start[BUCKET (hash3 ((const unsigned char *) l)) + 1]++;
			n_lit++;
		}
	}
	pf->entry = malloc ((n_lit ? n_lit : 1) * sizeof (pf_entry_t));
	pf->always = malloc ((n_always ? n_always : 1) * sizeof (uint32_t));
	pf->filtered = malloc ((n_filtered ? n_filtered : 1) * sizeof (uint32_t));
	if (!pf->entry || !pf->always || !pf->filtered) {
		bsc_prefilter_free (pf);
		return NULL;
	}
	for (size_t b = 0; b < PF_BUCKETS; b++)
		pf->start[b + 1] += pf->start[b];
	uint32_t fillpos[PF_BUCKETS];
	memcpy (fillpos, pf->start, sizeof (fillpos));
	for (size_t i = 0; i < n; i++) {
		const bsc_rule_t *r = &rules[i];
		if (!filtered (r))
			continue;
		if (!has_literal (r)) {
			pf->always[pf->n_always++] = (uint32_t) i;
			continue;
		}
		pf->filtered[pf->n_filtered++] = (uint32_t) i;
		FOR_EACH_LIT (r, l) {
			unsigned h = hash3 ((const unsigned char *) l);
			size_t len = strlen (l);
			pf->entry[fillpos[BUCKET (h)]++] = (pf_entry_t) { (uint32_t) i,
				(uint16_t) (len > UINT16_MAX ? UINT16_MAX : len), l };
			pf->bitmap[h / 64] |= 1ull << (h % 64);
		}
	}
	return pf;
}

void
bsc_prefilter_free (bsc_prefilter_t *pf)
{
	if (!pf)
		return;
	free (pf->entry);
	free (pf->always);
	free (pf->filtered);
	free (pf);
}

/*
 * The text as the literals are written (literal.c): ASCII lower-cased and
 * every run of white space (\s: space, TAB, LF, VT, FF, CR) one ' '.
 */
static size_t
normalize (const unsigned char *t, size_t len, unsigned char *out)
{
	size_t o = 0;
	bool space = false;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = t[i];
		if (c == ' ' || (c >= '\t' && c <= '\r')) {
			if (!space)
				out[o++] = ' ';
			space = true;
			continue;
		}
		space = false;
		out[o++] = lower (c);
	}
	return o;
}

bool
bsc_prefilter_scan (const bsc_prefilter_t *pf, bsc_str_t text, bsc_arena_t *arena, uint8_t *cand)
{
	unsigned char *t = bsc_arena_alloc (arena, text.len + 1);
	size_t len;

	if (!t)
		return false;
	len = normalize ((const unsigned char *) text.ptr, text.len, t);
	t[len] = 0; /* so that the 2- and 3-byte checks below may look one past */
	for (size_t k = 0; k < pf->n_always; k++)
		cand[pf->always[k]] = 1;
	for (size_t i = 0; i + 1 < len; i++) {
		/* U+017F LONG S and U+212A KELVIN SIGN match 's' and 'k' without
		 * case: where they occur, ASCII comparison could miss matches,
		 * so every rule runs.  (Rare: never seen in real bounces.) */
		if ((t[i] == 0xC5 && t[i + 1] == 0xBF) ||
		    (t[i] == 0xE2 && t[i + 1] == 0x84 && t[i + 2] == 0xAA)) {
			for (size_t k = 0; k < pf->n_filtered; k++)
				cand[pf->filtered[k]] = 1;
			return true;
		}
		if (i + PF_MIN_LIT > len)
			continue;
		unsigned h = hash3 (t + i), b = BUCKET (h);
		if (!(pf->bitmap[h / 64] & (1ull << (h % 64))))
			continue;
		for (uint32_t e = pf->start[b]; e < pf->start[b + 1]; e++) {
			const pf_entry_t *en = &pf->entry[e];
			if (!cand[en->rule] && i + en->len <= len && !memcmp (t + i, en->lit, en->len))
				cand[en->rule] = 1;
		}
	}
	return true;
}
