/*
 * text.c - byte-view helpers, UTF-8 checks and the charset fallback.
 */
#include "config.h"

#include <string.h>

#include "bsc-private.h"

/* Length of the valid UTF-8 sequence at @s (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), 0 when it is not one. */
static size_t
utf8_seq (const unsigned char *s, size_t left)
{
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return left >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (left < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0;
		if (c == 0xed && s[1] >= 0xa0)
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (left < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)
			return 0;
		if (c == 0xf4 && s[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

bool
bsc_utf8_valid (const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *) s;
	size_t i = 0;

	while (i < len) {
		size_t n = utf8_seq (p + i, len - i);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

/* Windows-1252 0x80-0x9f; the rest of the upper half is ISO-8859-1. */
static const unsigned short cp1252_high[32] = {
	0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd,
	0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178,
};

static char *
put_cp (char *o, unsigned cp)
{
	if (cp < 0x80) {
		*o++ = (char) cp;
	} else if (cp < 0x800) {
		*o++ = (char) (0xc0 | (cp >> 6));
		*o++ = (char) (0x80 | (cp & 0x3f));
	} else {
		*o++ = (char) (0xe0 | (cp >> 12));
		*o++ = (char) (0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char) (0x80 | (cp & 0x3f));
	}
	return o;
}

/*
 * Eight bytes at a time: the scans below test a word for a byte before
 * testing bytes one by one (the bit tricks of "Bit Twiddling Hacks").  The
 * byte order tells which set bit is the first byte, so only a
 * little-endian machine takes the word path; any other scans bytes.
 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SWAR 1
#else
#define SWAR 0
#endif
#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

static inline uint64_t
load8 (const void *p)
{
	uint64_t w;

	memcpy (&w, p, sizeof (w));
	return w;
}

/* The high bit of each byte of @w equal to the byte of @pat (ONES x byte)
 * is set; the lowest set bit is exact, higher ones may be false. */
static inline uint64_t
bytes_eq (uint64_t w, uint64_t pat)
{
	uint64_t x = w ^ pat;

	return (x - ONES) & ~x & HIGHS;
}

size_t
bsc_json_plain_run (const unsigned char *p, size_t len)
{
	size_t i = 0;

	/* A word with no byte below 0x20, none from 0x80 up, no '"', no '\\'. */
	while (SWAR && i + 8 <= len) {
		uint64_t w = load8 (p + i);
		if ((((w - ONES * 0x20) & ~w) | w | bytes_eq (w, ONES * '"') | bytes_eq (w, ONES * '\\')) &
		    HIGHS)
			break;
		i += 8;
	}
	while (i < len && p[i] >= 0x20 && p[i] < 0x80 && p[i] != '"' && p[i] != '\\')
		i++;
	return i;
}

/* Length of the leading run of printable ASCII (and TAB): the common case. */
static size_t
plain_ascii_run (const unsigned char *p, size_t len)
{
	size_t i = 0;

	/* A word of bytes in 0x20-0x7e: none below 0x20, none above 0x7e. */
	while (SWAR && i + 8 <= len) {
		uint64_t w = load8 (p + i);
		if ((((w - ONES * 0x20) & ~w) | ((w + ONES * 0x01) | w)) & HIGHS)
			break;
		i += 8;
	}
	while (i < len && ((p[i] >= 0x20 && p[i] < 0x7f) || p[i] == '\t'))
		i++;
	return i;
}

const char *
bsc_find_eol (const char *p, const char *end)
{
	while (SWAR && end - p >= 8) {
		uint64_t w = load8 (p);
		uint64_t m = bytes_eq (w, ONES * '\n') | bytes_eq (w, ONES * '\r');
		if (m)
			return p + __builtin_ctzll (m) / 8;
		p += 8;
	}
	while (p < end && *p != '\n' && *p != '\r')
		p++;
	return p;
}

static char *utf8_copy (bsc_arena_t *arena, const char *s, size_t len, bool lines);

char *
bsc_utf8_copy (bsc_arena_t *arena, const char *s, size_t len)
{
	return utf8_copy (arena, s, len, false);
}

char *
bsc_utf8_copy_text (bsc_arena_t *arena, const char *s, size_t len)
{
	return utf8_copy (arena, s, len, true);
}

static char *
utf8_copy (bsc_arena_t *arena, const char *s, size_t len, bool lines)
{
	const unsigned char *p = (const unsigned char *) s;
	char *out, *o;

	if (len > (SIZE_MAX - 1) / 3)
		return NULL;
	size_t i = plain_ascii_run (p, len);
	if (i == len)
		return bsc_arena_strndup (arena, s, len);

	/* Each byte grows to at most 3 bytes (U+20AC and friends). */
	out = o = bsc_arena_alloc (arena, i + (len - i) * 3 + 1);
	if (!out)
		return NULL;
	memcpy (o, s, i);
	o += i;
	while (i < len) {
		size_t run = plain_ascii_run (p + i, len - i);
		if (run) {
			memcpy (o, p + i, run);
			o += run;
			i += run;
			continue;
		}
		size_t n = utf8_seq (p + i, len - i);

		if (n == 1) {
			unsigned char c = p[i];
			if (lines && c == '\r') {
				/* CRLF and a lone CR both end a line. */
				*o++ = '\n';
				if (i + 1 < len && p[i + 1] == '\n')
					i++;
			} else if (lines && c == '\n') {
				*o++ = '\n';
			} else {
				*o++ = (c < 0x20 && c != '\t') || c == 0x7f ? ' ' : (char) c;
			}
		} else if (n) {
			memcpy (o, p + i, n);
			o += n;
		} else {
			unsigned c = p[i];
			o = put_cp (o, c < 0xa0 ? cp1252_high[c - 0x80] : c);
			n = 1;
		}
		i += n;
	}
	*o = '\0';
	return out;
}

bsc_str_t
bsc_str_trim (bsc_str_t s)
{
	while (s.len && (*s.ptr == ' ' || *s.ptr == '\t' || *s.ptr == '\r' || *s.ptr == '\n')) {
		s.ptr++;
		s.len--;
	}
	while (s.len && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t' ||
			 s.ptr[s.len - 1] == '\r' || s.ptr[s.len - 1] == '\n'))
		s.len--;
	return s;
}

static int
lc (int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

bool
bsc_str_ieq (bsc_str_t s, const char *lit)
{
	size_t i = 0;

	/* Most calls compare field names that differ at once (no strlen) or
	 * that are spelt as the caller spells them (same bytes first). */
	while (i < s.len && lit[i] && s.ptr[i] == lit[i])
		i++;
	for (; i < s.len; i++)
		if (!lit[i] || lc ((unsigned char) s.ptr[i]) != lc ((unsigned char) lit[i]))
			return false;
	return !lit[i];
}

bool
bsc_str_iprefix (bsc_str_t s, const char *lit)
{
	size_t i;

	for (i = 0; lit[i]; i++) {
		if (i >= s.len || lc ((unsigned char) s.ptr[i]) != lc ((unsigned char) lit[i]))
			return false;
	}
	return true;
}

/*
 * The next place in [p, end) holding @c, or @end.  memchr() is many times
 * faster than a byte loop, which matters: rules of thumb over diagnostics
 * and Received fields search a dozen words per recipient and relay.
 */
static const char *
next_byte (const char *p, const char *end, unsigned char c)
{
	const char *q = p < end ? memchr (p, c, (size_t) (end - p)) : NULL;

	return q ? q : end;
}

const char *
bsc_str_icase_find (bsc_str_t hay, const char *needle)
{
	size_t n = strlen (needle);

	if (!n)
		return hay.ptr;
	if (n > hay.len)
		return NULL;
	/* Candidates: the first byte of the needle in either case. */
	unsigned char lo = (unsigned char) lc ((unsigned char) needle[0]);
	unsigned char up = lo >= 'a' && lo <= 'z' ? (unsigned char) (lo - 32) : lo;
	const char *end = hay.ptr + (hay.len - n) + 1; /* one past the last start */
	const char *nl = next_byte (hay.ptr, end, lo), *nu = up == lo ? end : next_byte (hay.ptr, end, up);

	while (nl < end || nu < end) {
		const char *p = nl < nu ? nl : nu;
		if (bsc_str_iprefix ((bsc_str_t) { p + 1, n - 1 }, needle + 1))
			return p;
		if (p == nl)
			nl = next_byte (p + 1, end, lo);
		else
			nu = next_byte (p + 1, end, up);
	}
	return NULL;
}

size_t
bsc_strip_comments (char *s, size_t len)
{
	size_t i, o = 0;
	int depth = 0;
	bool quoted = false;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '\\' && i + 1 < len && (depth || quoted)) {
			if (!depth) {
				s[o++] = c;
				s[o++] = s[i + 1];
			}
			i++;
			continue;
		}
		if (!depth && c == '"') {
			quoted = !quoted;
		} else if (!quoted && c == '(') {
			depth++;
			continue;
		} else if (!quoted && c == ')' && depth) {
			depth--;
			continue;
		}
		if (!depth)
			s[o++] = c;
	}
	return o;
}

bsc_str_t
bsc_addr_clean (bsc_str_t s)
{
	const char *semi;

	s = bsc_str_trim (s);
	/* RFC 3464 section 2.3.2: "address-type ; generic-address".  An
	 * address type is an atom without '@'; a ';' after an '@' is not one. */
	semi = memchr (s.ptr, ';', s.len);
	if (semi && !memchr (s.ptr, '@', (size_t) (semi - s.ptr))) {
		s.len -= (size_t) (semi + 1 - s.ptr);
		s.ptr = semi + 1;
		s = bsc_str_trim (s);
	}
	/* Take what is inside <...> when there is a bracketed part. */
	const char *lt = memchr (s.ptr, '<', s.len);
	if (lt) {
		const char *gt = memchr (lt, '>', s.len - (size_t) (lt - s.ptr));
		if (gt) {
			s.ptr = lt + 1;
			s.len = (size_t) (gt - lt - 1);
		}
	}
	return bsc_str_trim (s);
}
