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
#define PF_MAP_BITS 16
#define PF_MIN_LIT 3

/*
 * Each literal is looked for by one 3-byte "anchor" inside it, the one
 * made of the rarest letters: the text's common trigrams ("the", "ion",
 * "ed ") then rarely lead to a comparison.  A 65536-bit map of the
 * anchors' hashes (8 KB, in L1) turns most positions away before any
 * bucket is read: on the bench's flood one position in ten gets further.
 * (A map of the anchors' first two bytes let four in ten through: " t",
 * "er" begin many anchors.)  The bucket is the top bits of the same hash.
 */
typedef struct pf_entry {
	uint32_t rule;
	uint32_t anchor;  /* the anchor's 3 bytes, little-endian */
	uint32_t head;    /* the literal's first 3 bytes: many literals share an anchor */
	uint16_t len;
	uint16_t at;      /* where the anchor starts in the literal */
	const char *lit;
} pf_entry_t;

struct bsc_prefilter {
	uint64_t map[(1u << PF_MAP_BITS) / 64]; /* hash() of some anchor */
	unsigned char norm[256];        /* normalize()'s byte map */
	uint32_t start[PF_BUCKETS + 1]; /* bucket b holds entry[start[b] .. start[b + 1]) */
	pf_entry_t *entry;              /* one per literal of a rule */
	uint32_t *always;               /* body rules without literals */
	size_t n_always;
	uint32_t *filtered;             /* body rules with literals */
	size_t n_filtered;
};

static uint32_t
load3 (const unsigned char *p)
{
	return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16;
}

static unsigned
hash (uint32_t w)
{
	return (w * 2654435761u) >> (32 - PF_MAP_BITS);
}

static unsigned
bucket (uint32_t w)
{
	return hash (w) >> (PF_MAP_BITS - PF_BITS);
}

/*
 * How common a byte is in (mostly English) mail text, roughly in tenths
 * of a percent: letter frequencies of English, space the most common,
 * everything else rare.  Only the anchors' choice depends on it.
 */
static unsigned
commonness (unsigned char c)
{
	static const unsigned char letters[26] = {
		82, 15, 28, 43, 127, 22, 20, 61, 70, 2, 8, 40, 24,
		67, 75, 19, 1, 60, 63, 91, 28, 10, 24, 2, 20, 1,
	};
	if (c >= 'a' && c <= 'z')
		return letters[c - 'a'] + 1;
	if (c == ' ')
		return 180;
	return 10;
}

/* The start of the 3-byte window of @l whose bytes are rarest together. */
static size_t
anchor_of (const char *l, size_t len)
{
	size_t best = 0;
	double best_score = -1;

	for (size_t k = 0; k + PF_MIN_LIT <= len; k++) {
		const unsigned char *p = (const unsigned char *) l + k;
		double score = (double) commonness (p[0]) * commonness (p[1]) * commonness (p[2]);
		if (best_score < 0 || score < best_score) {
			best_score = score;
			best = k;
		}
	}
	return best;
}

static bool
filtered (const bsc_rule_t *r, unsigned types)
{
	return (types & (1u << r->type)) && r->code;
}

/* Whether every literal of @r is long enough to be looked for. */
static bool
has_literal (const bsc_rule_t *r)
{
	if (!r->lit || !r->n_lits)
		return false;
	for (const char *l = r->lit; *l; l += strlen (l) + 1)
		if (strlen (l) < PF_MIN_LIT || strlen (l) > UINT16_MAX)
			return false;
	return true;
}

/* Calls @fn for each literal of rule @r. */
#define FOR_EACH_LIT(r, l) for (const char *l = (r)->lit; (r)->lit && *l; l += strlen (l) + 1)

bsc_prefilter_t *
bsc_prefilter_new (const bsc_rule_t *rules, size_t n, unsigned types)
{
	bsc_prefilter_t *pf = calloc (1, sizeof (*pf));
	size_t n_lit = 0, n_always = 0, n_filtered = 0;

	if (!pf)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (!filtered (&rules[i], types))
			continue;
		if (!has_literal (&rules[i])) {
			n_always++;
			continue;
		}
		n_filtered++;
		FOR_EACH_LIT (&rules[i], l) {
			size_t k = anchor_of (l, strlen (l));
			pf->start[bucket (load3 ((const unsigned char *) l + k)) + 1]++;
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
		if (!filtered (r, types))
			continue;
		if (!has_literal (r)) {
			pf->always[pf->n_always++] = (uint32_t) i;
			continue;
		}
		pf->filtered[pf->n_filtered++] = (uint32_t) i;
		FOR_EACH_LIT (r, l) {
			size_t len = strlen (l), k = anchor_of (l, len);
			const unsigned char *a = (const unsigned char *) l + k;
			uint32_t w = load3 (a);
			pf->entry[fillpos[bucket (w)]++] = (pf_entry_t) {
				(uint32_t) i, w, load3 ((const unsigned char *) l), (uint16_t) len, (uint16_t) k, l
			};
			pf->map[hash (w) / 64] |= 1ull << (hash (w) % 64);
		}
	}
	for (unsigned c = 0; c < 256; c++)
		pf->norm[c] = c == ' ' || (c >= '\t' && c <= '\r') ? ' ' : c >= 'A' && c <= 'Z' ? c + 32 : c;
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
 * every run of white space (\s: space, TAB, LF, VT, FF, CR) one ' ' (the
 * byte map @norm does both).  *@odd is set where U+017F LONG S or U+212A
 * KELVIN SIGN occur: they match 's' and 'k' without case, which ASCII
 * comparison would miss.
 */
static size_t
normalize (const unsigned char *norm, const unsigned char *t, size_t len, unsigned char *out,
	   bool *odd)
{
	size_t o = 0;
	unsigned space = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned c = t[i], n = norm[c], ws = n == ' ';
		if (c >= 0xC5 && ((c == 0xC5 && i + 1 < len && t[i + 1] == 0xBF) ||
				  (c == 0xE2 && i + 2 < len && t[i + 1] == 0x84 && t[i + 2] == 0xAA)))
			*odd = true;
		out[o] = (unsigned char) n;
		o += 1 - (ws & space);
		space = ws;
	}
	return o;
}

bool
bsc_prefilter_scan (const bsc_prefilter_t *pf, bsc_str_t text, bsc_arena_t *arena, uint8_t *cand)
{
	/* Three spare bytes, so that the windows read at the end stay inside. */
	unsigned char *t = bsc_arena_alloc (arena, text.len + 3);
	bool odd = false;
	size_t len;

	if (!t)
		return false;
	len = normalize (pf->norm, (const unsigned char *) text.ptr, text.len, t, &odd);
	memset (t + len, 0, 3);
	for (size_t k = 0; k < pf->n_always; k++)
		cand[pf->always[k]] = 1;
	if (odd) { /* rare: never seen in real bounces */
		for (size_t k = 0; k < pf->n_filtered; k++)
			cand[pf->filtered[k]] = 1;
		return true;
	}
	for (size_t i = 0; i + PF_MIN_LIT <= len; i++) {
		uint32_t w = load3 (t + i);
		unsigned h = hash (w);
		if (!(pf->map[h / 64] & (1ull << (h % 64))))
			continue;
		unsigned b = h >> (PF_MAP_BITS - PF_BITS);
		for (uint32_t e = pf->start[b]; e < pf->start[b + 1]; e++) {
			const pf_entry_t *en = &pf->entry[e];
			if (en->anchor == w && !cand[en->rule] && i >= en->at &&
			    i - en->at + en->len <= len && load3 (t + i - en->at) == en->head &&
			    !memcmp (t + i - en->at + 3, en->lit + 3, en->len - 3u))
				cand[en->rule] = 1;
		}
	}
	return true;
}
