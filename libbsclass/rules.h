/*
 * rules.h - the rule set's inside, shared by rules-parse.c (loader and
 * compiler) and rules-eval.c.  Never installed; the rest of the library
 * sees only the bsc_ruleset_* calls of bsc-private.h.
 */
#ifndef BSC_RULES_H
#define BSC_RULES_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include "bsc-private.h"

typedef enum bsc_rule_type {
	BSC_R_HEADER = 0, /* top-level message header fields */
	BSC_R_BODY,       /* the decoded text sample */
	BSC_R_DSN,        /* delivery-status fields */
	BSC_R_ORIGINAL,   /* the embedded original's header fields */
	BSC_R_EVAL,       /* a fact computed in C */
	BSC_R_META,       /* a boolean expression over other rules */
	BSC_R_SPLIT,      /* where a text report starts quoting the original (bsc_ruleset_split) */
	BSC_R_REASON      /* why a recipient failed, from its diagnostic (bsc_ruleset_reason) */
} bsc_rule_type_t;

/* Meta expressions run as RPN: operands >= 0 index the evaluation order. */
enum {
	BSC_META_NOT = -1,
	BSC_META_AND = -2,
	BSC_META_OR = -3
};

/* The RPN stack one meta expression may need; deeper ones are refused. */
#define BSC_META_STACK 64
/* Lazy meta rules evaluate each other by recursion, at most this deep. */
#define BSC_LAZY_DEPTH 32

/* At most this many bytes of matched text are kept in a hit. */
#define BSC_MATCH_KEEP 200

/*
 * One compiled rule, as evaluation sees it.  The array of these is in
 * evaluation order (file order, then meta rules in dependency order), so a
 * rule's index is also its slot in the per-call "fired" table.  Everything
 * it points to is owned by the rule set.
 */
typedef struct bsc_rule {
	uint8_t type;           /* bsc_rule_type_t */
	bool negate;            /* "!~": fires when no field of the name matches */
	bool exists;            /* "exists:Name" */
	bool report;            /* false for "__" sub-rules: never in hits */
	uint8_t fact;           /* BSC_R_EVAL: a bsc_fact_t */
	uint8_t reason;         /* BSC_R_REASON: a bsc_reason_t */
	uint16_t n_ops;         /* BSC_R_META: length of @ops */
	/*
	 * BSC_R_META: BSC_META_AND or BSC_META_OR when the expression is a
	 * plain list of operands (each perhaps negated) joined by that one
	 * operator; @ops then lists them cheapest first, a negated operand
	 * as ~index (rules-parse.c flatten_meta).  0: @ops is RPN.
	 */
	int8_t flat;
	uint32_t n_groups;      /* capture groups of @code (named ones included) */
	const char *field;      /* header/dsn/original field name */
	uint32_t field_key;     /* bsc_name_key() of @field */
	pcre2_code *code;       /* NULL for eval/meta/exists rules */
	const int32_t *ops;     /* BSC_R_META: the expression in RPN */
	const char *name;
	const double *points;   /* BSC_T_COUNT values, never NULL */
	/*
	 * Literals of which every match contains at least one (literal.c):
	 * @n_lits NUL-terminated strings one after the other; NULL when none
	 * could be derived.  When @lit_caseless they are compared without
	 * ASCII case.
	 */
	const char *lit;
	uint16_t n_lits;
	bool lit_caseless;
	/*
	 * The pass that runs the rule (bsc_ruleset_run): what its points,
	 * and those of the meta rules that read it, can change.
	 */
	uint8_t pass;
	/*
	 * A "__" sub-rule that gives no points and extracts nothing: only
	 * meta rules read it, so it is evaluated when one needs its value.
	 */
	bool lazy;
	uint8_t lazy_depth;     /* lazy meta rules: how many lazy meta rules deep it reaches */
	uint8_t cost;           /* 0 eval, 1 header fields, 2 text: which meta operand to try first */
	bool jit;               /* @code was JIT-compiled: pcre2_jit_match() skips pcre2_match()'s checks */
	/*
	 * Extraction rules (body rules with named groups, bsc_xfield_t): the
	 * capture group numbers of field k are xgroups[xoff[k] .. xoff[k + 1]),
	 * lowest first (several when a name repeats under (?J)).  NULL for
	 * every other rule, so plain rules pay nothing for extraction.
	 */
	const uint16_t *xgroups;
	uint16_t xoff[BSC_X_COUNT + 1];
} bsc_rule_t;

typedef struct bsc_rule_def bsc_rule_def_t;
typedef struct bsc_prefilter bsc_prefilter_t;
typedef struct bsc_name_map bsc_name_map_t;

struct bsc_ruleset {
	/* Loading: definitions and annotations by name, sources by load. */
	bsc_rule_def_t **defs;  /* one per name ever mentioned, in first-mention order */
	size_t n_defs, cap_defs;
	size_t *order;          /* defined names, in order of first definition */
	size_t n_order, cap_order;
	bsc_name_map_t *map;
	char **sources;
	size_t n_sources, cap_sources;
	/* sources[0 .. n_dir_sources) came from bsc_ruleset_load_dir() before
	 * any single file: the shipped rules; the others are site rules. */
	size_t n_dir_sources;

	/* After bsc_ruleset_compile(): immutable. */
	bool compiled;
	bsc_rule_t *rules;
	size_t n_rules;
	size_t n_plain;         /* rules[0..n_plain) are not meta rules */
	uint32_t max_groups;    /* for sizing one match data per call */
	size_t *splits;         /* the split rules' indexes, in evaluation order */
	size_t n_splits;
	size_t *reasons;        /* the reason rules' indexes, in evaluation order */
	size_t n_reasons;
	pcre2_code *split_union; /* all split rules as one regex, or NULL (rules-parse.c) */
	unsigned passes;        /* the passes some rule is in */
	/* A rule that a site rule file defines and whose points, or those of a
	 * meta rule reading it, can move the kind, or whose site score makes
	 * mail more automated: the ordinary-mail pre-scan, which knows the
	 * shipped rules' signs only, must not answer for such a rule set
	 * (engine.c, find_site_kind_rule()).  NULL when there is none. */
	const char *site_kind_rule;
	/* The rules each pass runs (lazy ones run when read), in evaluation
	 * order: pass bit b has by_pass[pass_start[b] .. pass_start[b + 1]). */
	uint32_t *by_pass;
	size_t pass_start[BSC_PASS_BITS + 1];
	/* What the evaluation reads for every rule of every message, packed:
	 * the meta rules' expressions (their rules' ops point here), each
	 * rule's cost (a copy of bsc_rule_t.cost) and whether it is a body rule. */
	int32_t *meta_ops;
	uint8_t *cost;
	uint8_t *body;          /* per rule: a body rule (its prefilter answer decides when false) */
	pcre2_match_context *mctx;
	bsc_prefilter_t *pf;    /* which body (and split) rules can match a text */
	bsc_prefilter_t *reason_pf; /* which reason rules can match a diagnostic */
};

/* The literal prefilter of the rules of the types in @types (bits of
 * bsc_rule_type_t) that have a regex (prefilter.c). */
bsc_prefilter_t *bsc_prefilter_new (const bsc_rule_t *rules, size_t n, unsigned types);
void bsc_prefilter_free (bsc_prefilter_t *pf);
/* Sets cand[i] for every rule i of the prefilter's types that may match
 * @text (cand holds one byte per rule, zeroed); scratch in @arena.  False
 * when out of memory. */
bool bsc_prefilter_scan (const bsc_prefilter_t *pf, bsc_str_t text, bsc_arena_t *arena,
			 uint8_t *cand);

/* The compiled rule called @name, or NULL (also before compiling). */
const bsc_rule_t *bsc_ruleset_find (const bsc_ruleset_t *rs, const char *name);

/* The "describe" text of rule @name, or NULL.  Borrowed from @rs. */
const char *bsc_ruleset_describe (const bsc_ruleset_t *rs, const char *name);

#endif /* BSC_RULES_H */
