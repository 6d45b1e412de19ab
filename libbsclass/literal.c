/*
 * literal.c - the literals that every match of a regex must contain.
 *
 * For the prefilter (prefilter.c): a set of strings such that every match
 * of the pattern contains at least one of them, e.g. "(?:out of office|
 * abwesenheit)" gives both.  The reading is conservative: whatever it does
 * not understand counts as "any text", never as a literal, so the set can
 * only be too weak (the regex then runs), never wrong.  The literals are
 * lower-cased and hold a single ' ' for any run of white space, as the
 * prefilter's copy of the text does.  Under caseless matching literals
 * stop at non-ASCII characters, whose case partners have other bytes; the
 * prefilter steps aside for the two non-ASCII partners of ASCII letters.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "bsc-private.h"

#define MIN_LIT 3   /* shorter literals filter nothing */
#define MAX_ALTS 32 /* more alternatives than that: no set */

typedef struct {
	char *s[MAX_ALTS];
	size_t n;
	bool none;  /* no requirement known */
	bool never; /* cannot match in a search from the start (see parse_seq) */
} litset_t;

typedef struct {
	const char *p, *end;
	bool caseless;
	bool give_up;
	int depth;
} lx_t;

static void
set_clear (litset_t *s)
{
	for (size_t i = 0; i < s->n; i++)
		free (s->s[i]);
	s->n = 0;
	s->none = true;
	s->never = false;
}

static size_t
set_min (const litset_t *s)
{
	size_t m = SIZE_MAX;

	for (size_t i = 0; i < s->n; i++)
		if (strlen (s->s[i]) < m)
			m = strlen (s->s[i]);
	return m;
}

/* Keeps in @best whichever of @best and @cand filters better; frees the other. */
static void
set_better (litset_t *best, litset_t *cand)
{
	if (cand->none) {
		set_clear (cand);
		return;
	}
	if (best->none || set_min (cand) > set_min (best) ||
	    (set_min (cand) == set_min (best) && cand->n < best->n)) {
		set_clear (best);
		*best = *cand;
		cand->n = 0;
		return;
	}
	set_clear (cand);
}

/* A run of white space in a match is one ' ' in the prefilter's copy of
 * the text (prefilter.c): append one unless the run already ends in one. */
static void
run_space (char *run, size_t *len, size_t cap)
{
	if (*len < cap && (*len == 0 || run[*len - 1] != ' '))
		run[(*len)++] = ' ';
}

static void
run_flush (litset_t *best, char *run, size_t *len)
{
	if (*len >= MIN_LIT) {
		litset_t one = { .n = 1, .none = false };
		if ((one.s[0] = strndup (run, *len)))
			set_better (best, &one);
	}
	*len = 0;
}

static bool
is_alnum_ascii (char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Skips a character class at '['; false when unterminated. */
static bool
skip_class (lx_t *x)
{
	const char *q = x->p + 1;

	if (q < x->end && *q == '^')
		q++;
	if (q < x->end && *q == ']')
		q++;
	while (q < x->end) {
		if (*q == '\\')
			q += 2;
		else if (*q == '[' && q + 1 < x->end && q[1] == ':') {
			const char *c = q + 2;
			while (c + 1 < x->end && !(c[0] == ':' && c[1] == ']'))
				c++;
			q = c + 2;
		} else if (*q == ']') {
			x->p = q + 1;
			return true;
		} else
			q++;
	}
	return false;
}

/*
 * Whether the class at '[' holds white space only ("[ \t]", "[\s\r\n]"):
 * any run of what it matches is one ' ' in the prefilter's copy, as \s.
 */
static bool
space_class (const char *p, const char *end)
{
	const char *q = p + 1;

	if (q < end && (*q == '^' || *q == ']'))
		return false;
	for (; q < end && *q != ']'; q++) {
		if (*q == ' ' || *q == '\t')
			continue;
		if (*q == '\\' && q + 1 < end && strchr ("stnrfv", q[1]) && q[1]) {
			q++;
			continue;
		}
		return false;
	}
	return q < end && q > p + 1;
}

/* Skips a whole group at '(' (used for lookarounds and verbs). */
static bool
skip_group (lx_t *x)
{
	int depth = 0;

	while (x->p < x->end) {
		char c = *x->p;
		if (c == '\\') {
			x->p += 2;
		} else if (c == '[') {
			if (!skip_class (x))
				return false;
		} else {
			x->p++;
			if (c == '(')
				depth++;
			else if (c == ')' && --depth == 0)
				return true;
		}
	}
	return false;
}

/* Reads a quantifier if one follows: 0 none, 1 "may be absent", 2 "at least once". */
static int
quantifier (lx_t *x)
{
	int q = 0;

	if (x->p >= x->end)
		return 0;
	if (*x->p == '?' || *x->p == '*') {
		q = 1;
		x->p++;
	} else if (*x->p == '+') {
		q = 2;
		x->p++;
	} else if (*x->p == '{') {
		const char *r = x->p + 1;
		unsigned long min = 0;
		bool digits = false;
		for (; r < x->end && *r >= '0' && *r <= '9'; r++, digits = true)
			if (min < 1000)
				min = min * 10 + (unsigned long) (*r - '0');
		if (r < x->end && *r == ',')
			for (r++; r < x->end && *r >= '0' && *r <= '9'; r++)
				;
		if (!digits && r < x->end && (*x->p == '{') && (x->p[1] == ',')) {
			/* "{,3}": literal in PCRE2 10.42, a quantifier from 10.43 */
			x->give_up = true;
			return 0;
		}
		if (!digits || r >= x->end || *r != '}')
			return 0; /* a literal '{' */
		x->p = r + 1;
		q = min ? 2 : 1;
	} else {
		return 0;
	}
	if (x->p < x->end && (*x->p == '?' || *x->p == '+'))
		x->p++; /* lazy or possessive */
	return q;
}

/* Skips an escape's argument ("{...}", "<...>", hex digits). */
static void
skip_escape_arg (lx_t *x)
{
	if (x->p < x->end && (*x->p == '{' || *x->p == '<' || *x->p == '\'')) {
		char close = *x->p == '{' ? '}' : *x->p == '<' ? '>' : '\'';
		const char *c = memchr (x->p, close, (size_t) (x->end - x->p));
		x->p = c ? c + 1 : x->end;
	}
}

static litset_t parse_alt (lx_t *x);

/*
 * Whether the UTF-8 character at @p (@n bytes) has no case partner, so that
 * a caseless pattern matches its bytes only: kana, CJK ideographs and
 * Hangul syllables (the scripts of the Japanese, Chinese and Korean rules).
 */
static bool
caseless_ok (const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *) p;
	uint32_t cp;

	if (n != 3)
		return false;
	cp = (uint32_t) (u[0] & 0x0F) << 12 | (uint32_t) (u[1] & 0x3F) << 6 | (u[2] & 0x3F);
	return (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
	       (cp >= 0xAC00 && cp <= 0xD7A3);
}

/* A group at '(': its set, or none for lookarounds, comments and verbs. */
static litset_t
parse_group (lx_t *x)
{
	litset_t none = { .none = true };
	const char *q = x->p + 1;

	if (q < x->end && *q == '*') { /* (*VERB) */
		x->give_up = true;
		return none;
	}
	if (q < x->end && *q == '?') {
		q++;
		if (q < x->end && (*q == '=' || *q == '!' || *q == '#' ||
				   (*q == '<' && q + 1 < x->end && (q[1] == '=' || q[1] == '!')))) {
			if (!skip_group (x))
				x->give_up = true;
			return none; /* zero-width, or a comment */
		}
		if (q < x->end && *q == 'P' && q + 1 < x->end && q[1] != '<') {
			/* (?P=name) and (?P>name): a reference, any text */
			if (!skip_group (x))
				x->give_up = true;
			return none;
		}
		if (q < x->end && (*q == '<' || *q == '\'' || *q == 'P')) {
			/* a named group: (?<n>...) (?'n'...) (?P<n>...) */
			char close = *q == '\'' ? '\'' : '>';
			const char *c = memchr (q + 1, close, (size_t) (x->end - q - 1));
			if (!c) {
				x->give_up = true;
				return none;
			}
			x->p = c + 1;
		} else if (q < x->end && (*q == ':' || *q == '|' || *q == '>')) {
			x->p = q + 1;
		} else {
			/* Inline options "(?i)" "(?i:" "(?-x)": 'i' was seen by the
			 * pre-scan; 'x' changes what white space means. */
			const char *c = q;
			while (c < x->end && (is_alnum_ascii (*c) || *c == '-' || *c == '^'))
				c++;
			if (memchr (q, 'x', (size_t) (c - q)) || c >= x->end) {
				x->give_up = true;
				return none;
			}
			x->p = c + 1;
			if (*c == ')')
				return none; /* options only */
			if (*c != ':') {
				x->give_up = true;
				return none;
			}
		}
	} else {
		x->p = q;
	}
	if (++x->depth > 64) {
		x->give_up = true;
		return none;
	}
	litset_t s = parse_alt (x);
	x->depth--;
	if (x->p < x->end && *x->p == ')')
		x->p++;
	else
		x->give_up = true;
	return s;
}

/* A sequence of atoms up to '|' or ')': the best set of any of its parts. */
static litset_t
parse_seq (lx_t *x)
{
	litset_t best = { .none = true };
	char run[256];
	size_t rlen = 0;
	bool never = false;

	while (x->p < x->end && !x->give_up && *x->p != '|' && *x->p != ')') {
		unsigned char c = (unsigned char) *x->p;
		/*
		 * "\G(?!\A)": only where the previous match of an extraction
		 * loop ended, never in a search from offset 0, which is how
		 * every rule starts (rules-eval.c).  Such a sequence cannot
		 * make a rule fire on its own, so it asks no literal of the text.
		 */
		if (c == '\\' && x->end - x->p >= 8 && !memcmp (x->p, "\\G(?!\\A)", 8)) {
			never = true;
			x->p += 8;
			continue;
		}
		if (c == '(') {
			run_flush (&best, run, &rlen);
			litset_t g = parse_group (x);
			int q = quantifier (x);
			if (g.never && q != 1)
				never = true;
			if (q == 1)
				set_clear (&g);
			set_better (&best, &g);
		} else if (c == '[' && space_class (x->p, x->end)) {
			skip_class (x);
			if (quantifier (x) == 1)
				run_flush (&best, run, &rlen);
			else
				run_space (run, &rlen, sizeof (run));
		} else if (c == '[') {
			run_flush (&best, run, &rlen);
			if (!skip_class (x))
				x->give_up = true;
			quantifier (x);
		} else if (c == '.' || c == '^' || c == '$') {
			run_flush (&best, run, &rlen);
			x->p++;
			quantifier (x);
		} else if (c == '\\') {
			char d = x->p + 1 < x->end ? x->p[1] : '\0';
			x->p += 2;
			if (d && strchr ("stnrfv", d)) {
				/* \s and the white-space escapes: one ' ' in the copy,
				 * or nothing certain when it may be absent */
				if (quantifier (x) == 1)
					run_flush (&best, run, &rlen);
				else
					run_space (run, &rlen, sizeof (run));
			} else if (d && !is_alnum_ascii (d) && (unsigned char) d < 0x80) {
				/* an escaped punctuation character stands for itself */
				if (rlen == sizeof (run))
					run_flush (&best, run, &rlen);
				run[rlen++] = d;
				int q = quantifier (x);
				if (q == 1)
					rlen--;
				if (q)
					run_flush (&best, run, &rlen);
			} else if (d == 'Q' || d == 'E' || !d) {
				x->give_up = true;
			} else {
				run_flush (&best, run, &rlen);
				if (strchr ("xpPNgko", d))
					skip_escape_arg (x);
				if (d == 'c' && x->p < x->end)
					x->p++; /* \cX */
				/* \xhh, \ddd and \g1: the digits that follow */
				const char *digits = d == 'x' ? "0123456789abcdefABCDEF"
					: d == 'g' ? "0123456789+-" : (d >= '0' && d <= '9') ? "0123456789" : "";
				for (int k = 0; k < 3 && x->p < x->end && *digits && strchr (digits, *x->p); k++)
					x->p++;
				quantifier (x);
			}
		} else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			x->p++;
			if (quantifier (x) == 1)
				run_flush (&best, run, &rlen);
			else
				run_space (run, &rlen, sizeof (run));
		} else {
			size_t n = 1;
			if (c >= 0x80)
				while (x->p + n < x->end && ((unsigned char) x->p[n] & 0xC0) == 0x80)
					n++;
			if ((x->caseless && c >= 0x80 && !caseless_ok (x->p, n)) || n > sizeof (run)) {
				run_flush (&best, run, &rlen);
				x->p += n;
				quantifier (x);
				continue;
			}
			if (rlen + n > sizeof (run))
				run_flush (&best, run, &rlen);
			memcpy (run + rlen, x->p, n);
			rlen += n;
			x->p += n;
			int q = quantifier (x);
			if (q == 1)
				rlen -= n;
			if (q)
				run_flush (&best, run, &rlen);
		}
	}
	run_flush (&best, run, &rlen);
	if (never) {
		set_clear (&best);
		best.none = false;
		best.never = true;
	}
	return best;
}

/* Alternatives: every one needs a set (or never matches); the union is the set. */
static litset_t
parse_alt (lx_t *x)
{
	litset_t all = { .none = false };
	bool all_never = true;

	for (;;) {
		litset_t s = parse_seq (x);
		if (s.never && !x->give_up) {
			if (x->p < x->end && *x->p == '|') {
				x->p++;
				continue;
			}
			break;
		}
		all_never = false;
		/* Once the union is lost, later alternatives are freed too (they leaked). */
		if (s.none || x->give_up || all.none || all.n + s.n > MAX_ALTS) {
			set_clear (&s);
			all.none = true;
		}
		if (!all.none) {
			memcpy (all.s + all.n, s.s, s.n * sizeof (char *));
			all.n += s.n;
		}
		if (x->p < x->end && *x->p == '|' && !x->give_up) {
			x->p++;
			continue;
		}
		break;
	}
	if (all_never && !all.none && !x->give_up) {
		all.never = true;
		return all;
	}
	if (all.none || !all.n)
		set_clear (&all);
	return all;
}

char *
bsc_required_literals (const char *pat, size_t len, bool caseless, bool extended, size_t *n_out,
		       bool *caseless_out)
{
	lx_t x = { .p = pat, .end = pat + len, .caseless = caseless };
	char *out = NULL;

	*n_out = 0;
	if (extended || !len)
		return NULL;
	/* Any inline 'i' makes the whole pattern count as caseless: comparing
	 * without case only ever lets more texts through. */
	for (size_t i = 0; i + 2 < len; i++)
		if (pat[i] == '(' && pat[i + 1] == '?') {
			for (size_t j = i + 2; j < len && (is_alnum_ascii (pat[j]) || pat[j] == '-'); j++)
				if (pat[j] == 'i')
					x.caseless = true;
		}
	litset_t s = parse_alt (&x);
	if (x.give_up || x.p != x.end || s.none || !s.n) {
		set_clear (&s);
		return NULL;
	}
	size_t total = 0;
	for (size_t i = 0; i < s.n; i++)
		total += strlen (s.s[i]) + 1;
	if ((out = malloc (total + 1))) {
		char *o = out;
		for (size_t i = 0; i < s.n; i++) {
			size_t n = strlen (s.s[i]);
			/* Compared with a lower-cased copy of the text. */
			for (size_t k = 0; k <= n; k++)
				o[k] = (s.s[i][k] >= 'A' && s.s[i][k] <= 'Z') ? (char) (s.s[i][k] + 32) : s.s[i][k];
			o += n + 1;
		}
		*o = '\0';
		*n_out = s.n;
		*caseless_out = x.caseless;
	}
	set_clear (&s);
	return out;
}
