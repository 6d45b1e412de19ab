/*
 * bsc-private.h - internals shared by the library's modules.  Never installed.
 */
#ifndef BSC_PRIVATE_H
#define BSC_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "bsclass.h"

/* ------------------------------------------------------------------ arena */

/*
 * Every string a result hands out lives in the result's arena and dies with
 * it: one free per message, no per-string ownership to get wrong.
 */
typedef struct bsc_arena_chunk bsc_arena_chunk_t;
typedef struct bsc_arena {
	bsc_arena_chunk_t *head;
	bool failed; /* an allocation failed; the result is incomplete */
} bsc_arena_t;

void bsc_arena_init (bsc_arena_t *arena);
/* Same, with @buf (@size bytes, aligned for max_align_t, outliving the
 * arena) as the first chunk: small results need no chunk of their own. */
void bsc_arena_init_with (bsc_arena_t *arena, void *buf, size_t size);
void bsc_arena_release (bsc_arena_t *arena);
void *bsc_arena_alloc (bsc_arena_t *arena, size_t size);
/* A NUL-terminated copy of @len bytes of @s; NULL only when out of memory. */
char *bsc_arena_strndup (bsc_arena_t *arena, const char *s, size_t len);
char *bsc_arena_strdup (bsc_arena_t *arena, const char *s);
/* Grows an arena-backed array of @elem-sized items to hold @need; returns the new base. */
void *bsc_arena_grow (bsc_arena_t *arena, void *base, size_t elem, size_t *cap, size_t need);

/* ------------------------------------------------------------------- text */

/* A view of bytes that are not NUL-terminated. */
typedef struct bsc_str {
	const char *ptr;
	size_t len;
} bsc_str_t;

/* Whether @len bytes of @s are valid UTF-8. */
bool bsc_utf8_valid (const char *s, size_t len);
/* Length of the leading run of [@p, @p + @len) that a JSON string holds as
 * it is: ASCII from 0x20, without '"' and '\\'. */
size_t bsc_json_plain_run (const unsigned char *p, size_t len);
/*
 * A NUL-terminated UTF-8 copy of @s in @arena: valid UTF-8 is copied, other
 * bytes are read as Windows-1252 (a superset of ISO-8859-1, the likeliest
 * undeclared charset in mail), NUL and other C0 controls but TAB become
 * spaces.  Runs of white space are kept as they are.
 */
char *bsc_utf8_copy (bsc_arena_t *arena, const char *s, size_t len);
/* The same for running text: line breaks (CRLF, LF or CR) become "\n". */
char *bsc_utf8_copy_text (bsc_arena_t *arena, const char *s, size_t len);
/* Trims ASCII white space at both ends of a view. */
bsc_str_t bsc_str_trim (bsc_str_t s);
/* Case-insensitive ASCII comparison of a view with a C string. */
bool bsc_str_ieq (bsc_str_t s, const char *lit);
/* Case-insensitive ASCII prefix test. */
bool bsc_str_iprefix (bsc_str_t s, const char *lit);
/* The first CR or LF in [@p, @end), or @end. */
const char *bsc_find_eol (const char *p, const char *end);
/* The length of the field name "Name:" (printable ASCII, blanks allowed
 * before the colon) of the line [@p, @eol), and *@colon; 0 when the line
 * is no field. */
size_t bsc_field_name_len (const char *p, const char *eol, const char **colon);
/* Case-insensitive ASCII search of @needle in a view; NULL when absent. */
const char *bsc_str_icase_find (bsc_str_t hay, const char *needle);
/* Removes RFC 5322 comments "(...)" (nested, with quoted-pairs) in place; returns the new length. */
size_t bsc_strip_comments (char *s, size_t len);
/* Address without "<>", an address type "rfc822;" or surrounding blanks; a view into @s. */
bsc_str_t bsc_addr_clean (bsc_str_t s);

/* ---------------------------------------------------------------- headers */

/* One header field: name and unfolded raw value (not RFC 2047 decoded). */
typedef struct bsc_field {
	bsc_str_t name;
	bsc_str_t value;
} bsc_field_t;

typedef struct bsc_fields {
	bsc_field_t *v;
	size_t n, cap;
	bool truncated; /* more fields than the limit */
	bool value_cut; /* a value was longer than the limit (bsc_fields_parse) */
} bsc_fields_t;

/*
 * Splits a block of "Name: value" lines (RFC 5322 section 2.2, also the
 * DSN field syntax of RFC 3464 section 2.1) into @out, starting at @p and
 * stopping at the first empty line or at @end.  Continuation lines are
 * unfolded (CRLF, LF or CR before white space is removed).  Values are
 * copied into @arena.  Returns the position after the block (after the
 * empty line), never beyond @end.
 */
const char *bsc_fields_parse (bsc_arena_t *arena, const char *p, const char *end,
			      size_t max_fields, size_t max_value, bsc_fields_t *out);
/* A hash of a field name without ASCII case, to compare names quickly. */
uint32_t bsc_name_key (const char *name, size_t len);
/* The value of the first field named @name (case-insensitive), or NULL. */
const bsc_field_t *bsc_fields_find (const bsc_fields_t *f, const char *name);

/* ------------------------------------------------------------ site config */

typedef struct bsc_cidr {
	uint8_t addr[16]; /* IPv4 as ::ffff:a.b.c.d */
	int prefix;       /* of 128 */
} bsc_cidr_t;

struct bsc_config {
	char **domains;
	size_t n_domains;
	char **relay_hosts;
	size_t n_relay_hosts;
	bsc_cidr_t *relay_nets;
	size_t n_relay_nets;
	char *batv_secret[10];
	int batv_days;
	char **msgid_secrets;
	size_t n_msgid_secrets;
};

bsc_config_t *bsc_config_copy (const bsc_config_t *config);
/* Parses an IPv4 or IPv6 address (IPv4 stored v4-mapped); false when malformed. */
bool bsc_ip_parse (const char *s, size_t len, uint8_t out[16]);
bool bsc_cidr_match (const bsc_cidr_t *net, const uint8_t ip[16]);

/* ---------------------------------------------------------------- options */

struct bsc_options {
	time_t now;
	bool explain;
	char *rules_dir;
	char **rule_files;
	size_t n_rule_files;
	bsc_config_t *config;
	size_t limits[BSC_LIMIT_COUNT];
};

/* ------------------------------------------------------------------ rules */

/*
 * Scoring targets: a rule's "score" line gives points to kinds and origins.
 * "normal" points count against every automated kind.
 */
typedef enum bsc_target {
	BSC_T_BOUNCE = 0,
	BSC_T_OUT_OF_OFFICE,
	BSC_T_CHALLENGE_RESPONSE,
	BSC_T_NORMAL,
	BSC_T_OURS,
	BSC_T_FORGED,
	BSC_T_BACKSCATTER, /* heuristic weight towards backscatter when origin is unknown */
	BSC_T_COUNT
} bsc_target_t;

/*
 * Eval facts computed in C, named in rule files as "eval NAME fact()".
 * The table in rules-parse.c maps the names to these bits.
 */
typedef enum bsc_fact {
	BSC_F_DSN_REPORT = 0,      /* multipart/report; report-type=delivery-status, or a DSN part */
	BSC_F_DSN_PART,            /* a message/(global-)delivery-status part exists */
	BSC_F_DSN_ALL_SUCCESS,     /* a DSN whose every recipient was delivered/relayed/expanded */
	BSC_F_DSN_DELAYED_ONLY,    /* a DSN whose recipients are all "delayed" */
	BSC_F_ARF_REPORT,          /* report-type=feedback-report (RFC 5965) */
	BSC_F_MDN_REPORT,          /* report-type=disposition-notification (RFC 8098) */
	BSC_F_HAS_ORIGINAL,        /* an embedded original (whole or headers) */
	BSC_F_ORIGINAL_HEADERS_ONLY, /* the original is text/rfc822-headers */
	BSC_F_NULL_SENDER,         /* Return-Path: <> (RFC 5321 section 4.5.5) */
	BSC_F_DAEMON_FROM,         /* From: mailer-daemon, postmaster, ... */
	BSC_F_FAILED_RECIPIENTS,   /* at least one recipient with action failed or delayed */
	BSC_F_LIST_MAIL,           /* List-Id / List-Unsubscribe / Precedence: list|bulk|junk */
	BSC_F_LIMIT_REACHED,       /* a per-message limit was hit */
	/* Origin evidence (DESIGN.md section 5), set by origin.c. */
	BSC_F_BATV_VALID,          /* a valid, unexpired BATV tag on our address */
	BSC_F_BATV_INVALID,        /* a BATV tag that is wrong or expired */
	BSC_F_BATV_MISSING,        /* our address without a tag while BATV is configured */
	BSC_F_MSGID_VALID,         /* the original's Message-ID carries our signature */
	BSC_F_MSGID_FORGED,        /* a Message-ID at our domain without a valid signature */
	BSC_F_RELAY_OURS,          /* one of our relays handed the original on */
	BSC_F_RELAY_FORGED,        /* the original claims our domain but no relay of ours */
	BSC_F_OUR_SENDER,          /* the original's sender is at one of our domains */
	/* Heuristics for when nothing is provable. */
	BSC_F_MANY_RECIPIENTS,     /* the report names 5 or more failed recipients */
	BSC_F_SENDER_RELAY_MISMATCH, /* the original's From domain appears in none of its relays */
	BSC_F_ORIGINAL_MSGID_MISMATCH, /* the original's Message-ID domain is not its From domain */
	BSC_F_MDN_REJECT,          /* an MDN of a Sieve "reject" (RFC 5429): a refusal, a bounce */
	BSC_F_RELAY_DYNAMIC,       /* the original passed a public host with no or a dynamic-looking name */
	BSC_F_COUNT
} bsc_fact_t;

/* Everything the rules may look at, computed once per message. */
typedef struct bsc_facts {
	const bsc_fields_t *headers;  /* top-level header fields, raw unfolded values */
	const bsc_fields_t *dsn;      /* every DSN field, per-message and per-recipient groups */
	const bsc_fields_t *original; /* the embedded original's header fields */
	bsc_str_t text;               /* the report's own text (UTF-8): the decoded text sample
				       * up to where a split rule found the quoted original */
	uint64_t facts;               /* bit (1 << bsc_fact_t) set when true */
	size_t split_rule;            /* the split rule that matched (bsc_ruleset_split), or SIZE_MAX */
	bsc_str_t split_match;        /* the text it matched */
} bsc_facts_t;

/*
 * Extraction: a body rule whose regex has named groups of these names
 * yields one entry per match (DESIGN.md section 4: recipients come out of
 * non-DSN bounces without C code per MTA).
 */
typedef enum bsc_xfield {
	BSC_X_RCPT = 0, /* (?<rcpt>...)   a failed recipient's address */
	BSC_X_STATUS,   /* (?<status>...) an RFC 3463 code "5.1.1" */
	BSC_X_CODE,     /* (?<code>...)   an SMTP reply code "550" */
	BSC_X_DIAG,     /* (?<diag>...)   the diagnostic text */
	BSC_X_MTA,      /* (?<mta>...)    the remote MTA */
	BSC_X_ACTION,   /* (?<action>...) "failed", "delayed", ... */
	BSC_X_COUNT
} bsc_xfield_t;

typedef struct bsc_xrcpt {
	const char *rule;          /* borrowed from the engine */
	size_t order;              /* the rule's place in evaluation order */
	bsc_str_t f[BSC_X_COUNT];  /* views into facts->text; len 0 when the group did not match */
} bsc_xrcpt_t;

typedef struct bsc_xrcpts {
	bsc_xrcpt_t *v;
	size_t n, cap;
	size_t max;                /* stop collecting at this many (the recipients limit) */
	bool truncated;            /* more matches than max */
} bsc_xrcpts_t;

/* One rule that fired. */
typedef struct bsc_hit {
	const char *name;      /* borrowed from the engine */
	size_t order;          /* the rule's place in evaluation order */
	double points[BSC_T_COUNT];
	const char *match;     /* in the result's arena; NULL for eval/meta rules */
} bsc_hit_t;

typedef struct bsc_hits {
	bsc_hit_t *v;
	size_t n, cap;
} bsc_hits_t;

typedef struct bsc_ruleset bsc_ruleset_t;

/* Limits the rules engine honours (from the options). */
typedef struct bsc_rule_limits {
	uint32_t match_limit;
	uint32_t depth_limit;
} bsc_rule_limits_t;

/*
 * Literals of which every match of a regex must contain one (literal.c):
 * a malloc'd list of *n NUL-terminated strings, or NULL when none can be
 * derived.  *@caseless_out tells whether they compare without ASCII case.
 */
char *bsc_required_literals (const char *pat, size_t len, bool caseless, bool extended, size_t *n,
			     bool *caseless_out);

/* An empty rule set. NULL when out of memory. */
bsc_ruleset_t *bsc_ruleset_new (void);
void bsc_ruleset_free (bsc_ruleset_t *rs);
/*
 * Reads one rule file.  Rules of a name already defined replace the earlier
 * definition (site rules override shipped ones).  Fills @err with file,
 * line, column and reason on failure.  Returns BSC_OK, BSC_EIO or BSC_ERULES.
 */
bsc_status_t bsc_ruleset_load_file (bsc_ruleset_t *rs, const char *path, bsc_error_t *err);
/* Same, from text in memory; @source names it in errors. */
bsc_status_t bsc_ruleset_load_string (bsc_ruleset_t *rs, const char *text, size_t len,
				      const char *source, bsc_error_t *err);
/* Every "*.cf" file of @dir in name order. */
bsc_status_t bsc_ruleset_load_dir (bsc_ruleset_t *rs, const char *dir, bsc_error_t *err);
/* Compiles (PCRE2 + JIT) and checks references; after this the set is immutable. */
bsc_status_t bsc_ruleset_compile (bsc_ruleset_t *rs, const bsc_rule_limits_t *limits,
				  bsc_error_t *err);
size_t bsc_ruleset_count (const bsc_ruleset_t *rs);
/* After compiling: a rule that a site rule file (a file read other than
 * by bsc_ruleset_load_dir() first) defines or scores so that it can make
 * mail more automated (rules.h site_kind_rule); NULL when none does. */
const char *bsc_ruleset_site_kind_rule (const bsc_ruleset_t *rs);

/*
 * Why a recipient failed, in a small fixed vocabulary: the "reason" of
 * DESIGN.md section 6's recipients, and the word of a reason rule
 * ("reason NAME user_unknown /regex/", rules/README.md).
 */
typedef enum bsc_reason {
	BSC_REASON_OTHER = 0,
	BSC_REASON_USER_UNKNOWN,
	BSC_REASON_MAILBOX_FULL,
	BSC_REASON_HOST_UNKNOWN,
	BSC_REASON_POLICY,
	BSC_REASON_TOO_LARGE,
	BSC_REASON_EXPIRED,
	BSC_REASON_COUNT
} bsc_reason_t;

/* The reason named @name (@len bytes), or BSC_REASON_COUNT. */
bsc_reason_t bsc_reason_lookup (const char *name, size_t len);
/* The reason of the first reason rule (in evaluation order) whose regex
 * matches @text (@len bytes); BSC_REASON_OTHER when none does, or when
 * out of memory.  With @arena (may be NULL) the literal prefilter skips
 * the rules whose literals are absent; its scratch goes there. */
bsc_reason_t bsc_ruleset_reason (const bsc_ruleset_t *rs, const char *text, size_t len,
				 bsc_arena_t *arena);
typedef struct bsc_field_cache bsc_field_cache_t;
/* What one message's passes share (over the same facts); zero it before the first pass. */
typedef struct bsc_rule_run {
	uint8_t *fired; /* per rule, in the arena */
	uint8_t *done;  /* per rule: evaluated (lazy sub-rules only when a meta rule asks) */
	uint8_t *cand;  /* the prefilter's answer per rule */
	uint8_t limit;  /* a regex stopped at a PCRE2 limit: 1 match, 2 depth (or heap, JIT stack) */
	bsc_field_cache_t *fields[3]; /* headers, dsn, original as field rules read them (rules-eval.c) */
} bsc_rule_run_t;

/*
 * Split rules ("split NAME /regex/") mark where a text report starts
 * quoting the original ("--- Below this line is a copy of the message.").
 * Returns the index of the rule whose match starts earliest in @text
 * (ties: the earlier rule), or SIZE_MAX when none matched; *@at and *@end
 * receive the match's start and end offsets.  A PCRE2 limit a split rule
 * hits is noted in @run (may be NULL); with @arena too, the prefilter
 * skips split rules whose literal is absent and its answer is kept in @run
 * for the passes of bsc_ruleset_run().
 */
size_t bsc_ruleset_split (const bsc_ruleset_t *rs, bsc_str_t text, bsc_arena_t *arena,
			  bsc_rule_run_t *run, size_t *at, size_t *end);



/*
 * Rules run in passes, so that work that cannot change the answer is not
 * done (rules-parse.c assigns each rule to one):
 */
enum {
	BSC_PASS_VERDICT = 1,     /* rules whose points can move the kind or the origin */
	BSC_PASS_BACKSCATTER = 2, /* rules that only weigh a bounce of unknown origin */
	BSC_PASS_EXTRACT = 4,     /* extraction rules that give no points */
	/* Rules that only add points to one kind and that nothing reads:
	 * once that kind has won, they cannot change the answer. */
	BSC_PASS_MORE_BOUNCE = 8,
	BSC_PASS_MORE_OOO = 16,
	BSC_PASS_MORE_CR = 32,
	/* Such bounce rules that also extract recipients: the recipients of
	 * a text bounce need them even when its kind is settled. */
	BSC_PASS_MORE_BOUNCE_X = 64,
	BSC_PASS_ALL = 127
};
#define BSC_PASS_BITS 7


/*
 * Runs the rules of @passes on @facts in a deterministic order (file
 * order, meta rules last) and appends the ones that fired to @hits (grown
 * in @arena), merged into evaluation order with hits of earlier passes.
 * Split rules are not run again: facts->split_rule, when set, is reported
 * as a hit.  Extraction rules that fire append one entry per match to @x
 * (NULL: they run as plain body rules).  Thread-safe on a compiled set.
 * Returns false only when out of memory.
 */
bool bsc_ruleset_run (const bsc_ruleset_t *rs, const bsc_facts_t *facts, bsc_arena_t *arena,
		      bsc_rule_run_t *run, unsigned passes, bsc_hits_t *hits, bsc_xrcpts_t *x);

/* ----------------------------------------------------------------- engine */

typedef struct bsc_ordinary bsc_ordinary_t;

#define BSC_PINNED_CHARSETS 33

/* The kept header blocks' MIME subtype: this prefix and 16 random hex digits (bsc_blocks_t). */
#define BSC_BLOCK_TYPE_PREFIX "x-bsclass-block-"
#define BSC_BLOCK_TYPE_SIZE (sizeof (BSC_BLOCK_TYPE_PREFIX) + 16) /* + 16 hex digits, NUL */

struct bsc_engine {
	bsc_ruleset_t *rules;
	bsc_config_t *config;
	size_t limits[BSC_LIMIT_COUNT];
	time_t now; /* 0: each message's own receipt time */
	bool explain; /* evaluate every rule (bsc_options_set_explain) */
	void *parser_options; /* GMimeParserOptions *, owned */
	bsc_ordinary_t *ordinary; /* the ordinary-mail pre-scan's word index, owned; NULL: off */
	void *pinned[BSC_PINNED_CHARSETS]; /* iconv_t, never used (engine.c), owned */
	char block_type[BSC_BLOCK_TYPE_SIZE]; /* the kept blocks' MIME subtype (bsc_blocks_t) */
};

/* ----------------------------------------------------------------- result */

typedef struct bsc_rcpt {
	const char *f[BSC_RCPT_FIELD_COUNT];
} bsc_rcpt_t;

typedef struct bsc_relay {
	const char *f[BSC_RELAY_FIELD_COUNT];
	bool auth; /* an authenticated submission ("with ESMTPSA", "authenticated") */
} bsc_relay_t;

struct bsc_result {
	bsc_arena_t arena;
	bsc_kind_t kind;
	bsc_origin_t origin;
	bsc_verdict_t verdict;
	double score;
	double points[BSC_T_COUNT];
	const char *report_type;
	const char *message_id;
	const char *reporting_mta;
	const char *received_from_mta;
	const char *addressed_to;      /* the address the report was sent to (envelope.c) */
	const char *addressed_decoded; /* what VERP, SRS or BATV encode there, or NULL */
	const char *addressed_scheme;  /* "verp", "srs", "batv" */
	bsc_hits_t hits;
	bsc_rcpt_t *rcpts;
	size_t n_rcpts, cap_rcpts;
	bool has_original;
	const char *orig[BSC_ORIG_FIELD_COUNT];
	bsc_relay_t *relays;
	size_t n_relays, cap_relays;
	const char **notes;
	size_t n_notes, cap_notes;
	uint64_t facts;
	/* The arena's first chunk: an ordinary mail's result fits in it, and
	 * a large malloc() per message (glibc's slow path) is saved. */
	_Alignas (max_align_t) unsigned char first_chunk[2048];
};

bsc_result_t *bsc_result_new (void);
/* Adds a note (copied); duplicates are dropped. */
void bsc_result_add_note (bsc_result_t *r, const char *note);
bsc_rcpt_t *bsc_result_add_rcpt (bsc_result_t *r);

/* ------------------------------------------------------------------- DSN */

/*
 * Parses the body of a message/delivery-status (or global-delivery-status)
 * part, RFC 3464 section 2: a per-message group, then per-recipient groups,
 * separated by blank lines.  Fills the reporting MTA and one recipient per
 * group into @r, and appends every field to @all (for the rules).
 */
void bsc_dsn_parse (bsc_result_t *r, const char *p, size_t len, const size_t *limits,
		    bsc_fields_t *all);
/* The first RFC 3463 status code "c.s.d" in @s, as a view; len 0 when none. */
bsc_str_t bsc_status_find (bsc_str_t s);
/* The first SMTP reply code ("550") at the start of @s or after "smtp;"; len 0 when none. */
bsc_str_t bsc_reply_code_find (bsc_str_t s);

/* --------------------------------------------------------------- original */

/*
 * Reads the header block of an embedded original from raw bytes
 * (text/rfc822-headers, or a message/rfc822 that GMime left opaque).
 */
void bsc_original_from_bytes (bsc_result_t *r, const char *p, size_t len, const size_t *limits,
			      bsc_fields_t *orig_fields);
/* Sets the result's original fields and relays from parsed header fields. */
void bsc_original_from_fields (bsc_result_t *r, const bsc_fields_t *fields);

/* Parses one Received: value into a relay (fields copied to @arena). */
bool bsc_received_parse (bsc_arena_t *arena, bsc_str_t value, bsc_relay_t *out);
/* A public host without a name or with an address-pool name, not an authenticated submission. */
bool bsc_relay_dynamic (const bsc_relay_t *rel);

/* RFC 2047-decodes a raw header value into UTF-8 in @arena. */
char *bsc_header_decode (bsc_arena_t *arena, bsc_str_t raw);

/* ---------------------------------------------------------------- classify */

/*
 * Header blocks of embedded messages that the pre-scan kept from GMime
 * (prescan.c): the message's part reaches GMime as a leaf of type
 * "text/" @type with the block's index here as its parameter "n".
 * Each block is a copy in the result's arena, its empty last line
 * included, with its fields as bsc_block_split() found them (views into
 * the copy).
 *
 * @type is the engine's block_type: a subtype drawn at random when the
 * engine is built, so that a part of that type in the mail itself (which
 * would make the walk take a kept block as the original at a place the
 * sender chose) cannot be written without guessing 64 random bits.
 */
typedef struct bsc_block {
	bsc_str_t text;
	bsc_fields_t fields;
} bsc_block_t;

typedef struct bsc_blocks {
	bsc_block_t *v;
	size_t n, cap;
	const char *type; /* the engine's block_type */
} bsc_blocks_t;

/* Per-message working state shared by walk.c and classify.c. */
typedef struct bsc_work {
	const bsc_engine_t *engine;
	bsc_result_t *r;
	bsc_fields_t headers;
	bsc_fields_t dsn;
	bsc_fields_t orig;
	char *text;         /* decoded text sample, in the arena */
	size_t text_len, text_cap;
	size_t parts_seen;
	bool orig_done;     /* the first embedded original wins */
	bool headers_read;  /* @headers came from bsc_walk_top(), not from GMime */
	const bsc_blocks_t *blocks; /* header blocks the pre-scan kept from GMime, or NULL */
	/* From bsc_walk_top(), for bsc_walk_single(): the top block's raw
	 * Content-Type, Content-Transfer-Encoding and Content-Disposition
	 * values (ptr NULL when absent) and the body after its empty line;
	 * @ok false when one of them repeats or has blanks before its colon. */
	struct {
		bsc_str_t type, encoding, disposition, body;
		bool ok;
	} top;
} bsc_work_t;

/*
 * Reads raw message bytes the way GMime's parser will and, when they go
 * beyond what the walk can use (limits: header fields and bytes, nesting,
 * parts, content) or hold embedded messages (only their header blocks are
 * read), returns a trimmed malloc'd copy of *@out_len bytes and notes the
 * limits in @r; NULL when the bytes can go to GMime as they are, or when
 * out of memory (*@nomem).  With @blocks (may be NULL), plain header
 * blocks of embedded messages go there and their parts to GMime as leaves
 * naming them (bsc_blocks_t).  prescan.c.
 */
char *bsc_prescan (const char *data, size_t len, const size_t *limits, bsc_result_t *r,
		   bsc_blocks_t *blocks, size_t *out_len, bool *nomem);

/*
 * Reads the top header block of @data into w->headers, as bsc_walk() would
 * read it from GMime's parse, when the block is plain (bsc_block_split()),
 * and returns what GMime still needs to build the same MIME tree, in a
 * malloc'd copy of *@out_len bytes: the block's Content-* fields, the
 * empty line and the rest of the message.  NULL, with @w as it was, when
 * the block is not plain (or out of memory): GMime reads it.  Views into
 * @data: valid as long as it is.
 */
char *bsc_walk_top (bsc_work_t *w, const char *data, size_t len, size_t *out_len);
/*
 * After bsc_walk_top(): a message that is one text part (no Content-Type,
 * text/plain or text/html) has no MIME structure for GMime to build, so
 * its text is read from the body here, its Content-* fields parsed by
 * GMime's own functions (g_mime_content_type_parse() and the like) and its
 * content decoded as part_bytes() decodes a leaf: what bsc_walk() reads of
 * GMime's tree for it, without the dozen objects.  False, with nothing
 * read, for anything else (GMime builds the tree).
 */
bool bsc_walk_single (bsc_work_t *w);

/* bsc_classify() with @flags: BSC_CLASSIFY_GMIME_TREE reads a message that
 * is one text part through GMime's tree all the same (bsc_walk_single()
 * off), so that tests can compare the two ways.  classify.c. */
#define BSC_CLASSIFY_GMIME_TREE 1u
bsc_status_t bsc_classify_flags (const bsc_engine_t *engine, const char *data, size_t len,
				 unsigned flags, bsc_result_t **out);
/*
 * The header block at @p (up to @end) as GMime's parser splits it (3.2,
 * step_headers()), when it is plain: every line a field "Name:" (printable
 * ASCII name, blanks allowed before the colon) or a continuation that
 * starts with a blank, no NUL, an empty line at its end.  Appends each
 * field to @out (grown in @a) with its raw value, from the colon to the
 * end of its last line, and returns where the empty line starts; NULL,
 * with @out as it was, when the block is not plain.
 */
const char *bsc_block_split (bsc_arena_t *a, const char *p, const char *end, bsc_fields_t *out);
/* Whether a field is one GMime needs to build the MIME tree ("Content-*"). */
bool bsc_is_content_field (bsc_str_t name);
/* Walks a parsed GMime object (GMimeObject *) and fills @w. */
void bsc_walk (bsc_work_t *w, void *object);
/* After the walk: facts, rules, verdict. */
bsc_status_t bsc_classify_finish (bsc_work_t *w);

/* Reads the original's headers quoted in a text report after a split marker. */
void bsc_original_from_quoted (bsc_work_t *w, const char *p, size_t len);
/* Adds the recipients extraction rules found (merged, deduplicated). */
void bsc_extract_apply (bsc_work_t *w, const bsc_xrcpts_t *x);

/* Sets the origin evidence facts (BATV, signed Message-ID, relays). */
void bsc_origin_facts (bsc_work_t *w);

/* The address the message was delivered to and what it encodes (VERP, SRS, BATV). */
void bsc_envelope_decode (bsc_result_t *r, const bsc_fields_t *headers);

/* Reason, severity and (when the report gives none) a derived status per recipient. */
void bsc_reason_decide (const bsc_ruleset_t *rs, bsc_result_t *r);

/* Points -> kind, origin, verdict, score. */
void bsc_verdict_decide (bsc_result_t *r);
/* What one rule that fired was worth to the decided kind (or origin). */
double bsc_hit_score (const bsc_result_t *r, const bsc_hit_t *h);

/* The words bsc_looks_ordinary() looks for, indexed once per engine (NULL: out of memory). */
bsc_ordinary_t *bsc_ordinary_new (void);
void bsc_ordinary_free (bsc_ordinary_t *o);
/*
 * Whether the top header block of a message shows none of the signs that
 * every automated message carries (ordinary.c): then it is normal mail and
 * needs no parse.  *@message_id receives the Message-ID seen (a view).
 */
bool bsc_looks_ordinary (const bsc_ordinary_t *o, const char *p, size_t len, bsc_str_t *message_id);

/* GMime is initialised once per process (g_mime_init is not thread-safe). */
void bsc_gmime_init_once (void);

#endif /* BSC_PRIVATE_H */
