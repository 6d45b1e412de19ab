/*
 * prescan.c - bounds the work GMime does on one message (DESIGN.md section 9).
 *
 * GMime's parser (3.2) builds an object for every header field and every
 * MIME part of a message however many there are, copies each header value
 * about four times, nests up to 1024 levels, and checks every body line that
 * starts with "--" against every open boundary.  Measured before this pass
 * existed: 16 MB of tiny header lines cost it 2 GB of memory, a million
 * empty parts 2 GB, a 60 MB header line 250 MB, and 1000 nested multiparts
 * followed by 60 MB of "--x" lines a minute of CPU.  The walk (walk.c)
 * reads far less of a message than that, so before GMime sees one, this
 * pass reads it the way GMime's parser will (header blocks, boundaries,
 * message/rfc822 parts, multipart/digest defaults) and, when the message
 * goes beyond what the walk can use, hands GMime a trimmed copy:
 *
 *  - a header block keeps at most HEADERS fields, the message 4 x HEADERS
 *    (later fields are dropped: note "limit: headers");
 *  - a field keeps at most HEADER_BYTES bytes, and only 256 once the
 *    message's fields hold max(HEADER_BYTES, HEADERS x HEADER_BYTES / 4)
 *    bytes (note "limit: header-bytes");
 *  - a multipart or message part deeper than MIME_DEPTH (which the walk
 *    never reads) gets a last "Content-Type: application/octet-stream"
 *    field, so GMime does not parse inside it; so does a container whose
 *    Content-Type this pass cannot read (GMime's nesting never gets past
 *    what this pass knows);
 *  - after 4 x PARTS header blocks the rest of the message is dropped
 *    (note "limit: parts");
 *  - an embedded message (message/rfc822) keeps its header block only: the
 *    walk reads nothing else of it; and when that block is plain, GMime
 *    gets a leaf in its place and the walk the block (keep_block());
 *  - each part's content (and each preamble and epilogue) keeps at most
 *    C = 8 x ORIGINAL_BYTES + 4 x TEXT_SAMPLE + 4096 bytes, more than the
 *    walk reads of any part, and the message 16 x C bytes of content (note
 *    "limit: content-bytes"); cuts fall on line starts, boundaries stay.
 *
 * Other mail within those bounds goes to GMime untouched and costs one
 * pass over its lines.  No recursion: nesting is a stack of
 * frames, bounded like GMime's.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsc-private.h"

#define FIELD_SMALL 256 /* bytes a field keeps once the header budget is spent */

typedef struct frame {
	const char *b; /* the boundary without its "--"; NULL for an embedded message */
	size_t blen;
	size_t depth;  /* the depth of the part the frame belongs to */
	uint64_t hash; /* fnv() of the boundary */
	bool digest;   /* multipart/digest: a part without Content-Type is a message */
	const char *ct, *ct_end; /* an embedded message's: its part's Content-Type value */
} frame_t;

typedef struct scan {
	const char *data, *end;
	const size_t *limits;
	bsc_result_t *r;
	/* The copy: NULL until the first cut.  Bytes from @keep on are kept
	 * until the next cut. */
	char *out;
	size_t olen, ocap;
	const char *keep;
	bool copying; /* a cut was made: the copy, not the message, goes to GMime */
	size_t cuts;  /* cuts and insertions made so far */
	bsc_blocks_t *kept;   /* embedded header blocks kept from GMime, or NULL */
	bool nomem;
	frame_t *fr;
	size_t nfr, capfr;
	uint64_t hashes[4]; /* a filter of the open boundaries' hashes (open_hashes()) */
	/* Budgets and what has been spent of them. */
	size_t blocks, max_blocks;
	size_t fields, max_fields;
	size_t hbytes, max_hbytes;
	size_t content, max_content, part_cap;
} scan_t;

/* ------------------------------------------------------------ the copy */

static void
append (scan_t *s, const char *p, size_t n)
{
	if (s->nomem || !n)
		return;
	if (s->olen + n > s->ocap) {
		size_t cap = s->ocap ? s->ocap : (size_t) (s->end - s->data) / 2 + 4096;
		while (cap < s->olen + n)
			cap = cap > SIZE_MAX / 2 ? s->olen + n : cap * 2;
		char *o = realloc (s->out, cap);
		if (!o) {
			s->nomem = true;
			return;
		}
		s->out = o;
		s->ocap = cap;
	}
	memcpy (s->out + s->olen, p, n);
	s->olen += n;
}

/* Keeps [keep, at) and skips [at, to). */
static void
cut (scan_t *s, const char *at, const char *to)
{
	if (at >= to || at < s->keep)
		return;
	s->copying = true;
	s->cuts++;
	append (s, s->keep, (size_t) (at - s->keep));
	s->keep = to;
}

/* Keeps [keep, at) and adds @text there. */
static void
insert (scan_t *s, const char *at, const char *text)
{
	s->copying = true;
	s->cuts++;
	append (s, s->keep, (size_t) (at - s->keep));
	append (s, text, strlen (text));
	s->keep = at;
}

/* ------------------------------------------------------------ lines */

static const char *
line_end (const char *p, const char *end)
{
	const char *nl = memchr (p, '\n', (size_t) (end - p));

	return nl ? nl + 1 : end;
}

/* GMime ends a header block at "\n" or "\r\n" alone. */
static bool
blank_line (const char *p, const char *end)
{
	return (p < end && *p == '\n') || (end - p >= 2 && p[0] == '\r' && p[1] == '\n');
}

static bool
lwsp (char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
ieq (const char *p, size_t n, const char *lit)
{
	size_t k = strlen (lit);

	if (n != k)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i] >= 'A' && p[i] <= 'Z' ? (char) (p[i] + 32) : p[i];
		if (c != lit[i])
			return false;
	}
	return true;
}

/* The field's name ("Name" of "Name : value"): whether it is @lit; *@value
 * receives where the value starts. */
static bool
field_is (const char *f, const char *stop, const char *lit, const char **value)
{
	const char *q = f;

	while (q < stop && *q != ':' && *q != ' ' && *q != '\t' && *q != '\n')
		q++;
	size_t n = (size_t) (q - f);
	while (q < stop && (*q == ' ' || *q == '\t'))
		q++;
	if (q >= stop || *q != ':' || !ieq (f, n, lit))
		return false;
	*value = q + 1;
	return true;
}

/* Whether [v, stop) mentions @word, ignoring ASCII case. */
static bool
mentions (const char *v, const char *stop, const char *word)
{
	size_t n = strlen (word);

	for (const char *p = v; (size_t) (stop - p) >= n; p++)
		if (ieq (p, n, word))
			return true;
	return false;
}

/* ------------------------------------------------------------ Content-Type */

typedef enum { CT_LEAF = 0, CT_MULTIPART, CT_MESSAGE, CT_UNKNOWN } ct_kind_t;

typedef struct ctype {
	ct_kind_t kind;
	bool digest;
	const char *b; /* boundary, when one was read */
	size_t blen;
	bool boundary_word; /* "boundary" appears, readable or not */
} ctype_t;

/* Skips white space, line breaks and RFC 822 comments (nested). */
static const char *
skip_cfws (const char *p, const char *stop)
{
	for (;;) {
		while (p < stop && lwsp (*p))
			p++;
		if (p >= stop || *p != '(')
			return p;
		int depth = 0;
		while (p < stop) {
			if (*p == '\\' && p + 1 < stop)
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0) {
				p++;
				break;
			}
			p++;
		}
	}
}

static bool
token_char (char c)
{
	return (unsigned char) c > ' ' && (unsigned char) c < 127 && !strchr ("()<>@,;:\\\"/[]?=", c);
}

static const char *
token (const char *p, const char *stop)
{
	while (p < stop && token_char (*p))
		p++;
	return p;
}

/* Reads "type/subtype; boundary=..." the way GMime's parser decides what to build. */
static ctype_t
read_ctype (const char *v, const char *stop)
{
	ctype_t ct = { .kind = CT_UNKNOWN };
	const char *t = skip_cfws (v, stop), *te = token (t, stop);
	const char *p = skip_cfws (te, stop), *st, *se;

	ct.boundary_word = mentions (v, stop, "boundary");
	if (te == t || p >= stop || *p != '/')
		return ct;
	st = skip_cfws (p + 1, stop);
	se = token (st, stop);
	if (se == st)
		return ct;
	if (ieq (t, (size_t) (te - t), "multipart")) {
		ct.kind = CT_MULTIPART;
		ct.digest = ieq (st, (size_t) (se - st), "digest");
	} else if (ieq (t, (size_t) (te - t), "message") &&
		   (ieq (st, (size_t) (se - st), "rfc822") || ieq (st, (size_t) (se - st), "rfc2822") ||
		    ieq (st, (size_t) (se - st), "global") || ieq (st, (size_t) (se - st), "news"))) {
		ct.kind = CT_MESSAGE;
	} else {
		ct.kind = CT_LEAF;
	}
	/* Parameters: ; name = token | quoted-string. */
	p = se;
	while (p < stop) {
		p = skip_cfws (p, stop);
		if (p >= stop || *p != ';')
			break;
		const char *n = skip_cfws (p + 1, stop), *ne = token (n, stop);
		p = skip_cfws (ne, stop);
		if (p >= stop || *p != '=')
			break;
		p = skip_cfws (p + 1, stop);
		const char *val = p, *ve;
		if (p < stop && *p == '"') {
			val = ++p;
			while (p < stop && *p != '"') {
				if (*p == '\\' || *p == '\r' || *p == '\n')
					return ct; /* escapes, folds: leave it unread */
				p++;
			}
			if (p >= stop)
				return ct;
			ve = p++;
		} else {
			ve = p = token (p, stop);
		}
		if (ieq (n, (size_t) (ne - n), "boundary")) {
			if (ct.b || ve == val) { /* two, or empty: which would GMime take? */
				ct.b = NULL;
				return ct;
			}
			if (lwsp (ve[-1]))
				return ct; /* "b ": GMime matches it otherwise than by the line */
			for (const char *q = val; q + 1 < ve; q++)
				if (q[0] == '=' && q[1] == '?')
					return ct; /* an encoded word GMime may decode */
			ct.b = val;
			ct.blen = (size_t) (ve - val);
		}
	}
	return ct;
}

/* GMime's reading of Content-Transfer-Encoding: the first word, one of these. */
static bool
encoded (const char *v, const char *stop)
{
	static const char *const names[] = { "base64", "quoted-printable", "uuencode",
					     "x-uuencode", "x-uue" };

	while (v < stop && lwsp (*v))
		v++;
	const char *e = v;
	while (e < stop && !lwsp (*e))
		e++;
	for (size_t i = 0; i < sizeof (names) / sizeof (names[0]); i++)
		if (ieq (v, (size_t) (e - v), names[i]))
			return true;
	return false;
}

/* ------------------------------------------------------------ frames */

static void open_hashes (scan_t *s);
static uint64_t fnv (uint64_t h, const char *p, size_t n);
#define FNV_START 14695981039346656037ull

static bool
push (scan_t *s, const char *b, size_t blen, size_t depth, bool digest, const char *ct,
      const char *ct_end)
{
	if (s->nfr == s->capfr) {
		size_t cap = s->capfr ? s->capfr * 2 : 16;
		frame_t *f = realloc (s->fr, cap * sizeof (*f));
		if (!f) {
			s->nomem = true;
			return false;
		}
		s->fr = f;
		s->capfr = cap;
	}
	s->fr[s->nfr++] = (frame_t) { b, blen, depth, b ? fnv (FNV_START, b, blen) : 0, digest, ct,
				      ct_end };
	open_hashes (s);
	return true;
}

/* FNV-1a: boundaries are found by hash, so that a flood of "--x" lines
 * costs one pass over each line, not a comparison with every frame. */
static uint64_t
fnv (uint64_t h, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char) p[i]) * 1099511628211ull;
	return h;
}

static bool
hash_open (const scan_t *s, uint64_t h)
{
	return (s->hashes[(h & 255) / 64] >> (h & 63)) & 1;
}

/* The hashes of the open boundaries, as a 256-bit filter. */
static void
open_hashes (scan_t *s)
{
	memset (s->hashes, 0, sizeof (s->hashes));
	for (size_t k = 0; k < s->nfr; k++)
		if (s->fr[k].b) {
			uint64_t h = s->fr[k].hash;
			s->hashes[(h & 255) / 64] |= 1ull << (h & 63);
		}
}

/*
 * GMime's boundary test: "--B" or "--B--", then only white space (a CR
 * included), tried from the innermost frame out, "--B--" first.  Returns
 * 2 x the frame the line closes (+1 for "--B--") or opens a part of; -1
 * when the line is no boundary.
 */
static long
boundary (const scan_t *s, const char *p, const char *le)
{
	if (le - p < 2 || p[0] != '-' || p[1] != '-' || !s->nfr)
		return -1;
	while (le > p + 2 && lwsp (le[-1]))
		le--;
	const char *c = p + 2;
	size_t n = (size_t) (le - c);
	bool dashes = n >= 2 && le[-1] == '-' && le[-2] == '-';
	uint64_t h_short = dashes ? fnv (FNV_START, c, n - 2) : 0;
	uint64_t h = dashes ? fnv (h_short, le - 2, 2) : fnv (FNV_START, c, n);
	if (!hash_open (s, h) && !(dashes && hash_open (s, h_short)))
		return -1;
	for (size_t k = s->nfr; k-- > 0;) {
		const frame_t *f = &s->fr[k];
		if (!f->b)
			continue;
		if (dashes && f->hash == h_short && f->blen == n - 2 && !memcmp (c, f->b, f->blen))
			return (long) (k * 2 + 1);
		if (f->hash == h && f->blen == n && !memcmp (c, f->b, f->blen))
			return (long) (k * 2);
	}
	return -1;
}

/* ------------------------------------------------------------ header blocks */

typedef struct block {
	ct_kind_t kind;
	bool digest;
	const char *b;
	size_t blen;
	const char *blank;       /* the empty line that ends the block */
	const char *ct, *ct_end; /* the Content-Type value, or NULL */
} block_t;

/*
 * One header block at *@pp, of a part at @depth: fields counted and cut,
 * the Content-Type read.  *@pp ends after the blank line; false at the end
 * of the message (no body follows).
 */
static bool
header_block (scan_t *s, const char **pp, size_t depth, bool digest_child, block_t *out)
{
	const size_t *lim = s->limits;
	const char *p = *pp, *end = s->end, *ct = NULL, *ct_end = NULL, *cte = NULL, *cte_end = NULL;
	size_t nf = 0;

	*out = (block_t) { CT_LEAF, false, NULL, 0, NULL, NULL, NULL };
	if (++s->blocks > s->max_blocks) {
		bsc_result_add_note (s->r, "limit: parts");
		cut (s, p, end);
		*pp = end;
		return false;
	}
	while (p < end && !blank_line (p, end)) {
		const char *f = p, *q = line_end (p, end), *value;
		while (q < end && (*q == ' ' || *q == '\t'))
			q = line_end (q, end);
		p = q;
		if (++nf > lim[BSC_LIMIT_HEADERS] || ++s->fields > s->max_fields) {
			bsc_result_add_note (s->r, "limit: headers");
			cut (s, f, q);
			continue;
		}
		/* The field's own line break stays; what is before it may be cut. */
		const char *fe = q;
		if (fe > f && fe[-1] == '\n')
			fe--;
		if (fe > f && fe[-1] == '\r')
			fe--;
		size_t cap = lim[BSC_LIMIT_HEADER_BYTES];
		if (s->hbytes >= s->max_hbytes && cap > FIELD_SMALL)
			cap = FIELD_SMALL;
		if ((size_t) (fe - f) > cap) {
			const char *k = f + cap;
			while (k > f + 1 && (lwsp (k[-1])))
				k--; /* no line break (an empty line) before the kept one */
			bsc_result_add_note (s->r, "limit: header-bytes");
			cut (s, k, fe);
			fe = k;
		}
		s->hbytes += (size_t) (fe - f);
		if ((*f == 'C' || *f == 'c') && field_is (f, fe, "content-type", &value)) {
			ct = value;
			ct_end = fe;
		} else if ((*f == 'C' || *f == 'c') && !cte &&
			   field_is (f, fe, "content-transfer-encoding", &value)) {
			cte = value;
			cte_end = fe;
		}
	}
	if (p >= end) {
		*pp = end;
		return false;
	}
	const char *blank = p;
	*pp = line_end (p, end);
	out->blank = blank;

	ctype_t t = { .kind = CT_LEAF };
	if (ct)
		t = read_ctype (ct, ct_end);
	bool neutral = false;
	if (t.kind == CT_UNKNOWN) {
		/* GMime may still read a container there: do not let it. */
		neutral = mentions (ct, ct_end, "multipart") || mentions (ct, ct_end, "message");
		/* Else GMime takes its default, as for no Content-Type. */
		t.kind = !neutral && digest_child ? CT_MESSAGE : CT_LEAF;
	} else if (!ct && digest_child) {
		t.kind = CT_MESSAGE; /* a part of a multipart/digest is a message by default */
	}
	if (t.kind == CT_MULTIPART && !t.b)
		neutral = t.boundary_word; /* a boundary GMime may read but this pass cannot */
	else if (t.kind == CT_MESSAGE && cte && encoded (cte, cte_end))
		t.kind = CT_LEAF; /* GMime leaves an encoded message opaque */
	if ((t.kind == CT_MULTIPART && t.b) || t.kind == CT_MESSAGE) {
		if (depth > lim[BSC_LIMIT_MIME_DEPTH])
			neutral = true; /* the walk never reads it; the note is the walk's */
		else
			*out = (block_t) { t.kind, t.digest, t.b, t.blen, blank, ct, ct_end };
	}
	if (neutral)
		insert (s, blank, *blank == '\r' ? "Content-Type: application/octet-stream\r\n"
						 : "Content-Type: application/octet-stream\n");
	return true;
}

/* ------------------------------------------------------------ content */

/*
 * Content from *@pp to the next boundary of an open frame (returned, with
 * *@pp at its line) or the end (-1).  Bytes beyond the budgets are cut.
 */
static long
content (scan_t *s, const char **pp)
{
	const char *p = *pp, *end = s->end, *cut_at = NULL;
	size_t used = 0;
	long k = -1;
	bool any_b = false;

	for (size_t i = 0; i < s->nfr; i++)
		any_b |= s->fr[i].b != NULL;
	if (!any_b) {
		/* Nothing can end it but the end: no need to read its lines. */
		size_t n = (size_t) (end - p), room = s->part_cap;
		if (s->max_content - s->content < room)
			room = s->max_content - s->content;
		if (n > room) {
			const char *nl = room ? memrchr (p, '\n', room) : NULL;
			cut_at = nl ? nl + 1 : p;
			if (room < s->part_cap)
				bsc_result_add_note (s->r, "limit: content-bytes");
			cut (s, cut_at, end);
			n = (size_t) (cut_at - p);
		}
		s->content += n;
		*pp = end;
		return -1;
	}
	while (p < end) {
		const char *le = line_end (p, end);
		if ((k = boundary (s, p, le)) >= 0)
			break;
		if (!cut_at) {
			size_t n = (size_t) (le - p);
			if (used + n > s->part_cap || s->content + n > s->max_content) {
				if (s->content + n > s->max_content)
					bsc_result_add_note (s->r, "limit: content-bytes");
				cut_at = p;
			} else {
				used += n;
				s->content += n;
			}
		}
		p = le;
	}
	if (cut_at)
		cut (s, cut_at, p);
	*pp = p;
	return k;
}

/*
 * The body of an embedded message, from *@pp to the next boundary of an
 * open frame (returned, with *@pp at its line) or the end (-1): all cut.
 * The walk reads only an embedded message's header fields (walk.c), and
 * GMime would otherwise build an object for every field and part of the
 * original's body (a bounce quotes whole messages, attachments and all).
 */
static long
skip_body (scan_t *s, const char **pp)
{
	const char *p = *pp, *end = s->end, *from = p;
	long k = -1;
	bool any_b = false;

	for (size_t i = 0; i < s->nfr; i++)
		any_b |= s->fr[i].b != NULL;
	while (any_b && p < end) {
		const char *le = line_end (p, end);
		if ((k = boundary (s, p, le)) >= 0)
			break;
		p = le;
	}
	if (!any_b)
		p = end;
	cut (s, from, p);
	*pp = p;
	return k;
}

/*
 * The header block [start, blank] of an embedded message is all the walk
 * reads of it (walk.c): when it is plain (bsc_block_split()) and its part
 * has a Content-Type value at @ct that is still to be copied, the block is
 * kept aside and the part becomes a leaf of type text/<kept->type> whose
 * parameter "n" names the block; the caller then drops the embedded
 * message.  GMime builds no message, header list and body part for it.
 * False when the part stays as it is.
 */
static bool
keep_block (scan_t *s, const char *start, const char *blank, const char *ct, const char *ct_end)
{
	bsc_arena_t *a = &s->r->arena;
	bsc_fields_t f = { 0 };
	const char *after = line_end (blank, s->end);
	char type[BSC_BLOCK_TYPE_SIZE + 32];

	if (!s->kept || !s->kept->type || !ct || ct < s->keep || bsc_block_split (a, start, after, &f) != blank)
		return false;
	bsc_block_t *v = bsc_arena_grow (a, s->kept->v, sizeof (*v), &s->kept->cap, s->kept->n + 1);
	char *copy = v ? bsc_arena_strndup (a, start, (size_t) (after - start)) : NULL;
	if (!copy)
		return false;
	/* The fields' views move to the copy: @start may not outlive the scan. */
	for (size_t i = 0; i < f.n; i++) {
		f.v[i].name.ptr = copy + (f.v[i].name.ptr - start);
		f.v[i].value.ptr = copy + (f.v[i].value.ptr - start);
	}
	s->kept->v = v;
	v[s->kept->n] = (bsc_block_t) { { copy, (size_t) (after - start) }, f };
	snprintf (type, sizeof (type), " text/%s; n=%zu", s->kept->type, s->kept->n++);
	cut (s, ct, ct_end);
	insert (s, ct_end, type);
	return true;
}

/* ------------------------------------------------------------ the pass */

char *
bsc_prescan (const char *data, size_t len, const size_t *limits, bsc_result_t *r,
	     bsc_blocks_t *blocks, size_t *out_len, bool *nomem)
{
	scan_t s = { .data = data, .end = data + len, .limits = limits, .r = r, .keep = data,
		     .kept = blocks };
	const char *p = data;
	size_t depth = 0;
	bool digest_child = false;

	*nomem = false;
	*out_len = len;
	if (!data || !len)
		return NULL;
	s.max_blocks = limits[BSC_LIMIT_PARTS] > SIZE_MAX / 4 ? SIZE_MAX : limits[BSC_LIMIT_PARTS] * 4;
	s.max_fields = limits[BSC_LIMIT_HEADERS] > SIZE_MAX / 4 ? SIZE_MAX : limits[BSC_LIMIT_HEADERS] * 4;
	/* Header bytes: HEADERS / 4 blocks full to HEADER_BYTES per field. */
	size_t quarter = limits[BSC_LIMIT_HEADERS] / 4, hb = limits[BSC_LIMIT_HEADER_BYTES];
	s.max_hbytes = quarter <= 1 ? hb : hb > SIZE_MAX / quarter ? SIZE_MAX : hb * quarter;
	size_t orig = limits[BSC_LIMIT_ORIGINAL_BYTES], text = limits[BSC_LIMIT_TEXT_SAMPLE];
	s.part_cap = orig > SIZE_MAX / 32 || text > SIZE_MAX / 32 ? SIZE_MAX / 16
								  : 8 * orig + 4 * text + 4096;
	s.max_content = s.part_cap * 16;

	while (p < s.end && !s.nomem) {
		block_t b;
		const char *start = p;
		size_t cuts = s.cuts;
		if (!header_block (&s, &p, depth, digest_child, &b))
			break;
		long k;
		if (depth > 0 && s.nfr && !s.fr[s.nfr - 1].b && s.fr[s.nfr - 1].depth + 1 == depth) {
			/* The header block was an embedded message's. */
			const frame_t *m = &s.fr[s.nfr - 1];
			if (s.cuts == cuts && keep_block (&s, start, b.blank, m->ct, m->ct_end))
				p = start;
			k = skip_body (&s, &p);
		} else if (b.kind == CT_MESSAGE) {
			/* GMime first checks for an empty message (a boundary at once). */
			if (!push (&s, NULL, 0, depth, false, b.ct, b.ct_end))
				break;
			k = boundary (&s, p, line_end (p, s.end));
			if (k < 0) {
				depth++;
				digest_child = false;
				continue;
			}
		} else {
			if (b.kind == CT_MULTIPART && !push (&s, b.b, b.blen, depth, b.digest, NULL, NULL))
				break;
			k = content (&s, &p); /* a leaf's content, or a preamble */
		}
		/* Boundaries: close what they close; a part's headers follow "--B". */
		while (k >= 0) {
			size_t f = (size_t) k / 2;
			bool final = k & 1;
			p = line_end (p, s.end);
			s.nfr = final ? f : f + 1;
			open_hashes (&s);
			if (!final) {
				depth = s.fr[f].depth + 1;
				digest_child = s.fr[f].digest;
				break;
			}
			k = content (&s, &p); /* the epilogue */
		}
		if (k < 0 && p >= s.end)
			break;
	}
	free (s.fr);
	if (s.nomem) {
		free (s.out);
		*nomem = true;
		return NULL;
	}
	if (!s.copying)
		return NULL;
	append (&s, s.keep, (size_t) (s.end - s.keep));
	if (!s.nomem && !s.out && !(s.out = malloc (1))) /* all cut: an empty copy */
		s.nomem = true;
	if (s.nomem) {
		free (s.out);
		*nomem = true;
		return NULL;
	}
	*out_len = s.olen;
	return s.out;
}
