/*
 * bsclass.h - libbsclass public interface
 *
 * libbsclass tells what an incoming automated message really is: a
 * delivery report (bounce), an out-of-office reply, a challenge-response
 * message, or normal mail; and, for the automated kinds, whether it is about
 * mail this site really sent (a genuine bounce) or provoked by mail that
 * forged our address (backscatter).
 *
 * Conventions used throughout this header:
 *  - Every function and type carries the bsc_ prefix, macros and enum
 *    values BSC_.  All handles are opaque.
 *  - Fallible calls return a bsc_status_t; bsc_strerror() names it.
 *    Loaders also fill an optional bsc_error_t with file, line and reason.
 *    The library never prints, aborts or exits.
 *  - Ownership is stated on every function: "new" (the caller frees it with
 *    the named function), "borrowed" (valid as long as the object it came
 *    from), or "copied" (the library keeps its own copy of an argument).
 *  - Destructors (_free) accept NULL.
 *  - An engine is immutable once built and may be shared by any number of
 *    threads; a result belongs to the one call that made it.
 *
 * This header needs no GMime or PCRE2 headers; embedders that already hold
 * a parsed GMimeMessage use bsclass-gmime.h as well.
 */
#ifndef BSCLASS_H
#define BSCLASS_H

#include <stddef.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && __GNUC__ >= 4
#define BSC_API __attribute__((visibility("default")))
#else
#define BSC_API
#endif

/* ---------------------------------------------------------------- version */

/** Version of the header the caller compiled against. */
#define BSC_VERSION_MAJOR 0
#define BSC_VERSION_MINOR 1
#define BSC_VERSION_MICRO 0
#define BSC_VERSION_HEX \
	((BSC_VERSION_MAJOR << 16) | (BSC_VERSION_MINOR << 8) | BSC_VERSION_MICRO)
/** True when the header is at least version a.b.c. */
#define BSC_CHECK_VERSION(a, b, c) \
	(BSC_VERSION_HEX >= (((a) << 16) | ((b) << 8) | (c)))

/**
 * bsc_version: the version of the library actually linked, "MAJOR.MINOR.MICRO".
 * Returns: borrowed static text.
 */
BSC_API const char *bsc_version (void);

/* ------------------------------------------------------- status and errors */

typedef enum bsc_status {
	BSC_OK = 0,      /* success */
	BSC_ENOMEM,      /* out of memory */
	BSC_EINVAL,      /* an argument is invalid (NULL handle, bad value) */
	BSC_EIO,         /* a file could not be opened or read */
	BSC_EPARSE,      /* the message could not be read as mail at all */
	BSC_ERULES,      /* a rule file was refused (see bsc_error_t) */
	BSC_ECONFIG,     /* a site config line was refused (see bsc_error_t) */
	BSC_ELIMIT       /* a configured limit was exceeded */
} bsc_status_t;

/**
 * bsc_strerror: a short English description of a status code.
 * Returns: borrowed static text; never NULL, also for unknown codes.
 */
BSC_API const char *bsc_strerror (bsc_status_t status);

/**
 * bsc_error_t: where and why a loader refused its input.  The caller owns
 * the struct (usually on the stack); loaders fill it when they fail and
 * leave it untouched when they succeed.  @line and @column count from 1;
 * 0 means "not applicable".
 */
#define BSC_ERROR_SOURCE_LENGTH 256
#define BSC_ERROR_TEXT_LENGTH 256
typedef struct bsc_error {
	char source[BSC_ERROR_SOURCE_LENGTH]; /* file name, or "<string>" */
	int line;
	int column;
	char text[BSC_ERROR_TEXT_LENGTH];     /* the reason, in English */
} bsc_error_t;

/**
 * bsc_free: frees memory the library handed over as "new: free with
 * bsc_free()" (such as JSON text).  Accepts NULL.
 */
BSC_API void bsc_free (void *ptr);

/* ------------------------------------------------------------ site config */

/*
 * The site config says who "we" are (DESIGN.md section 5): our mail
 * domains, our outbound relays, BATV and Message-ID signing secrets.  It is
 * a plain mutable object; an engine copies it when built.
 */
typedef struct bsc_config bsc_config_t;

/** bsc_config_new: an empty site config.  Returns: new, free with bsc_config_free(); NULL when out of memory. */
BSC_API bsc_config_t *bsc_config_new (void);

/** bsc_config_free: frees @config.  Accepts NULL. */
BSC_API void bsc_config_free (bsc_config_t *config);

/**
 * bsc_config_load_file: reads a site config file of "key value" lines
 * ('#' starts a comment, every key may repeat) and adds its settings to
 * @config.  Keys: domain, relay, batv-secret ("K SECRET"), batv-days,
 * msgid-secret.
 * @err: (optional) filled with file, line and reason on failure.
 * Returns: BSC_OK, BSC_EIO (unreadable) or BSC_ECONFIG (bad line; @config
 * may hold the lines before it).
 */
BSC_API bsc_status_t bsc_config_load_file (bsc_config_t *config, const char *path,
					   bsc_error_t *err);

/**
 * bsc_config_set: applies one "key value" setting, as a line of the file
 * would.  @key and @value are copied.  For callers whose own configuration
 * carries the settings (the SpamAssassin plugin, for one).
 * Returns: BSC_OK, BSC_EINVAL or BSC_ECONFIG (unknown key, bad value).
 */
BSC_API bsc_status_t bsc_config_set (bsc_config_t *config, const char *key,
				     const char *value, bsc_error_t *err);

/** bsc_config_add_domain: adds one of our mail domains (copied, compared without case). */
BSC_API bsc_status_t bsc_config_add_domain (bsc_config_t *config, const char *domain);

/**
 * bsc_config_add_relay: adds one of our outbound relays: a host name, or an
 * IPv4/IPv6 address or CIDR block ("192.0.2.0/24", "2001:db8::/32").
 * Returns: BSC_OK, or BSC_EINVAL for a malformed address or prefix.
 */
BSC_API bsc_status_t bsc_config_add_relay (bsc_config_t *config, const char *relay);

/**
 * bsc_config_add_batv_secret: adds the BATV secret for key number
 * @key_number (0-9); a later secret for the same number replaces it.
 */
BSC_API bsc_status_t bsc_config_add_batv_secret (bsc_config_t *config, int key_number,
						 const char *secret);

/** bsc_config_set_batv_days: how many days a BATV tag lives (1-999, default 7). */
BSC_API bsc_status_t bsc_config_set_batv_days (bsc_config_t *config, int days);

/** bsc_config_add_msgid_secret: adds a secret for signed Message-IDs (copied). */
BSC_API bsc_status_t bsc_config_add_msgid_secret (bsc_config_t *config, const char *secret);

/* ---------------------------------------------------------------- options */

/*
 * Options from which an engine is built: where the rules are, the site
 * config, and the per-message limits that bound work on hostile mail.
 */
typedef struct bsc_options bsc_options_t;

/** Per-message limits (DESIGN.md section 9).  Defaults are in bsc_options_new(). */
typedef enum bsc_limit {
	BSC_LIMIT_MIME_DEPTH = 0,    /* MIME nesting depth read (default 16) */
	BSC_LIMIT_PARTS,             /* MIME parts visited (default 256) */
	BSC_LIMIT_HEADERS,           /* header fields read per header block (default 1000) */
	BSC_LIMIT_HEADER_BYTES,      /* bytes of one header value kept (default 16384) */
	BSC_LIMIT_TEXT_SAMPLE,       /* bytes of decoded text given to body rules (default 16384) */
	BSC_LIMIT_ORIGINAL_BYTES,    /* bytes of an embedded original read (default 65536) */
	BSC_LIMIT_RECIPIENTS,        /* recipients kept per report (default 1000) */
	BSC_LIMIT_MESSAGE_BYTES,     /* bytes of a message read at all (default 64 MiB) */
	BSC_LIMIT_MATCH,             /* PCRE2 match limit per rule (default 100000) */
	BSC_LIMIT_DEPTH,             /* PCRE2 depth limit per rule (default 10000) */
	BSC_LIMIT_COUNT              /* not a limit: the number of limits */
} bsc_limit_t;

/** bsc_options_new: options with the default rules folder, no site config, default limits.
 * Returns: new, free with bsc_options_free(); NULL when out of memory. */
BSC_API bsc_options_t *bsc_options_new (void);

/** bsc_options_free: frees @options.  Accepts NULL. */
BSC_API void bsc_options_free (bsc_options_t *options);

/**
 * bsc_options_set_rules_dir: the folder of shipped rule files ("*.cf", read
 * in name order).  NULL restores the installed default (bsc_default_rules_dir()).
 * @dir is copied.
 */
BSC_API bsc_status_t bsc_options_set_rules_dir (bsc_options_t *options, const char *dir);

/**
 * bsc_options_add_rules_file: a site rule file read after the shipped ones;
 * its rules add to them, and a rule of the same name replaces the shipped
 * one.  May be called several times; @path is copied.
 */
BSC_API bsc_status_t bsc_options_add_rules_file (bsc_options_t *options, const char *path);

/** bsc_options_set_config: the site config; @config is copied (NULL clears it). */
BSC_API bsc_status_t bsc_options_set_config (bsc_options_t *options,
					     const bsc_config_t *config);

/** bsc_options_set_limit: sets a per-message limit (must be > 0). */
BSC_API bsc_status_t bsc_options_set_limit (bsc_options_t *options, bsc_limit_t limit,
					    size_t value);

/** bsc_options_get_limit: the current value of a limit, 0 for an unknown one. */
BSC_API size_t bsc_options_get_limit (const bsc_options_t *options, bsc_limit_t limit);

/**
 * bsc_options_set_now: the time at which BATV tags are judged.  By default
 * (0) each message is judged at the time it was received: its newest
 * Received date, else its Date.  Set it to re-check old mail as of a given
 * moment (bsclassify --now).
 */
BSC_API bsc_status_t bsc_options_set_now (bsc_options_t *options, time_t now);

/**
 * bsc_options_set_explain: with @on non-zero, every rule is evaluated and
 * listed when it fires, also those that cannot change the answer any
 * more (rules that would only add points to the kind that has already
 * won, backscatter heuristics for a message that is no bounce).  Kind,
 * origin and verdict are the same either way; the score and the rules
 * listed are complete.  Slower: for bsclassify --explain and rule work.
 */
BSC_API bsc_status_t bsc_options_set_explain (bsc_options_t *options, int on);

/**
 * bsc_default_rules_dir: where `make install` put the shipped rules.
 * Returns: borrowed static text.
 */
BSC_API const char *bsc_default_rules_dir (void);

/* ---------------------------------------------------------------- signing */

/*
 * The signing side of the origin proofs, for the outbound MTA, so that
 * later bounces can be verified (DESIGN.md section 5).
 */

/**
 * bsc_batv_sign: the BATV (prvs) form of envelope sender @address,
 * "prvs=KDDDSSSSSS=local@domain", valid for the config's batv-days from
 * @now.  @key_number picks the secret (0-9); -1 takes the highest
 * configured one.
 * @out: receives new text, free with bsc_free().
 * Returns: BSC_OK, BSC_EINVAL (no such key, not an address) or BSC_ENOMEM.
 */
BSC_API bsc_status_t bsc_batv_sign (const bsc_config_t *config, int key_number,
				    const char *address, time_t now, char **out);

/**
 * bsc_msgid_sign: a signed Message-ID "<LOCAL.TAG@DOMAIN>" with the
 * config's first msgid-secret (older secrets are still accepted when
 * checking, for rotation).  @local must not contain '<', '>', '@' or blanks.
 * @out: receives new text, free with bsc_free().
 * Returns: BSC_OK, BSC_EINVAL (no msgid-secret, bad argument) or BSC_ENOMEM.
 */
BSC_API bsc_status_t bsc_msgid_sign (const bsc_config_t *config, const char *local,
				     const char *domain, char **out);

/* ----------------------------------------------------------------- engine */

typedef struct bsc_engine bsc_engine_t;

/**
 * bsc_engine_new: reads and compiles every rule file and copies the site
 * config.  This is the slow step; do it once.  The engine is immutable and
 * thread-safe: any number of threads may classify with it at once.  It
 * also holds iconv converters from common mail charsets open (never used)
 * so that the C library keeps their modules loaded between messages.
 * @options: (optional) NULL means the defaults.  Not kept: free it when you like.
 * @out: receives the new engine (free with bsc_engine_free()).
 * @err: (optional) file, line and reason when a rule file is refused.
 * Returns: BSC_OK, BSC_ENOMEM, BSC_EIO or BSC_ERULES.
 */
BSC_API bsc_status_t bsc_engine_new (const bsc_options_t *options, bsc_engine_t **out,
				     bsc_error_t *err);

/** bsc_engine_free: frees @engine; no classification may be running with it. */
BSC_API void bsc_engine_free (bsc_engine_t *engine);

/** bsc_engine_rule_count: how many rules the engine holds (after overrides). */
BSC_API size_t bsc_engine_rule_count (const bsc_engine_t *engine);

/**
 * bsc_engine_prescan_off_by: NULL when ordinary mail (its top header block
 * shows no sign of a report, an auto-reply or a challenge) is answered
 * after a header pre-scan, without a MIME parse.  The pre-scan knows the
 * signs the shipped rules need; a site rule file that defines a rule able
 * to move the kind, or gives a rule points towards a bounce, an auto-reply
 * or a challenge (or negative points to normal), may need others, and then
 * the pre-scan is off for this engine (every message is parsed and every
 * rule can fire): the return value names the first such rule.  The string
 * belongs to the engine.
 */
BSC_API const char *bsc_engine_prescan_off_by (const bsc_engine_t *engine);

/* ---------------------------------------------------------------- results */

typedef struct bsc_result bsc_result_t;

typedef enum bsc_kind {
	BSC_KIND_NORMAL = 0,
	BSC_KIND_BOUNCE,
	BSC_KIND_OUT_OF_OFFICE,
	BSC_KIND_CHALLENGE_RESPONSE
} bsc_kind_t;

typedef enum bsc_origin {
	BSC_ORIGIN_UNKNOWN = 0,
	BSC_ORIGIN_OURS,
	BSC_ORIGIN_FORGED
} bsc_origin_t;

typedef enum bsc_verdict {
	BSC_VERDICT_NORMAL = 0,
	BSC_VERDICT_GENUINE_BOUNCE,
	BSC_VERDICT_BACKSCATTER,
	BSC_VERDICT_OUT_OF_OFFICE,
	BSC_VERDICT_CHALLENGE_RESPONSE
} bsc_verdict_t;

/** The names used in JSON ("bounce", "forged", "backscatter", ...).  Borrowed static text. */
BSC_API const char *bsc_kind_name (bsc_kind_t kind);
BSC_API const char *bsc_origin_name (bsc_origin_t origin);
BSC_API const char *bsc_verdict_name (bsc_verdict_t verdict);

/**
 * bsc_classify: classifies one message given as raw bytes (RFC 5322, any of
 * LF, CRLF or CR line ends; a leading mbox "From " line is skipped).
 * @data need not be NUL-terminated and is not kept.
 * @out: receives the new result (free with bsc_result_free()).
 * Returns: BSC_OK; BSC_EPARSE when nothing in @data can be read as mail
 * (empty, or no header at all); BSC_ENOMEM; BSC_EINVAL.  Limits that are
 * exceeded do not fail the call: they are noted in the result.
 * Thread-safe for a shared @engine.
 */
BSC_API bsc_status_t bsc_classify (const bsc_engine_t *engine, const char *data, size_t len,
				   bsc_result_t **out);

/** bsc_result_free: frees @result and every string borrowed from it.  Accepts NULL. */
BSC_API void bsc_result_free (bsc_result_t *result);

BSC_API bsc_kind_t bsc_result_kind (const bsc_result_t *result);
BSC_API bsc_origin_t bsc_result_origin (const bsc_result_t *result);
BSC_API bsc_verdict_t bsc_result_verdict (const bsc_result_t *result);
/** bsc_result_score: the points of the winning kind. */
BSC_API double bsc_result_score (const bsc_result_t *result);

/**
 * bsc_result_report_type: the report-type of a multipart/report
 * ("delivery-status", "feedback-report", "disposition-notification", ...),
 * lower-case, or NULL when the message is none.  Borrowed from @result.
 */
BSC_API const char *bsc_result_report_type (const bsc_result_t *result);

/** bsc_result_message_id: the message's own Message-ID, or NULL.  Borrowed. */
BSC_API const char *bsc_result_message_id (const bsc_result_t *result);

/** bsc_result_reporting_mta: the MTA that wrote the report (DSN Reporting-MTA), or NULL.  Borrowed. */
BSC_API const char *bsc_result_reporting_mta (const bsc_result_t *result);

/**
 * bsc_result_addressed_to: the address the message was delivered to (from
 * X-Original-To, Delivered-To, Envelope-To or To), or NULL.  Reports go to
 * the envelope sender of the mail they are about, which senders encode:
 * bsc_result_addressed_decoded() gives what it encodes (the VERP
 * recipient, the SRS original sender, the BATV address without its tag)
 * and bsc_result_addressed_scheme() which scheme ("verp", "srs", "batv"),
 * NULL when it is none of them.  All borrowed from @result.
 */
BSC_API const char *bsc_result_addressed_to (const bsc_result_t *result);
BSC_API const char *bsc_result_addressed_decoded (const bsc_result_t *result);
BSC_API const char *bsc_result_addressed_scheme (const bsc_result_t *result);

/* Rules that fired, in evaluation order.  Strings borrowed from @result. */
BSC_API size_t bsc_result_rule_count (const bsc_result_t *result);
BSC_API const char *bsc_result_rule_name (const bsc_result_t *result, size_t i);
/** bsc_result_rule_score: the points the rule gave to the winning kind (or origin). */
BSC_API double bsc_result_rule_score (const bsc_result_t *result, size_t i);
/** bsc_result_rule_match: the text the rule matched (may be truncated), or NULL for eval rules. */
BSC_API const char *bsc_result_rule_match (const bsc_result_t *result, size_t i);

/** Fields of one reported recipient.  All UTF-8, borrowed from the result. */
typedef enum bsc_rcpt_field {
	BSC_RCPT_ADDRESS = 0,        /* Final-Recipient (address type removed) */
	BSC_RCPT_ORIGINAL_RECIPIENT, /* Original-Recipient, when the report gives one */
	BSC_RCPT_STATUS,             /* RFC 3463 code "5.1.1" */
	BSC_RCPT_ACTION,             /* failed, delayed, delivered, relayed, expanded */
	BSC_RCPT_REPLY_CODE,         /* the remote SMTP reply code "550" */
	BSC_RCPT_DIAGNOSTIC,         /* Diagnostic-Code text, type removed */
	BSC_RCPT_REMOTE_MTA,         /* Remote-MTA, type removed */
	BSC_RCPT_LAST_ATTEMPT,       /* Last-Attempt-Date */
	BSC_RCPT_WILL_RETRY_UNTIL,   /* Will-Retry-Until */
	/* For failed and delayed recipients: */
	BSC_RCPT_REASON,             /* user_unknown, mailbox_full, host_unknown, policy,
				      * too_large, expired or other */
	BSC_RCPT_SEVERITY,           /* hard (retrying cannot help), soft, or delay */
	BSC_RCPT_STATUS_DERIVED,     /* "yes" when the report stated no status code and
				      * BSC_RCPT_STATUS was derived from the reason or reply */
	BSC_RCPT_FIELD_COUNT
} bsc_rcpt_field_t;

/** bsc_result_recipient_count: the reported recipients (every action, in report order). */
BSC_API size_t bsc_result_recipient_count (const bsc_result_t *result);
/** bsc_result_recipient: one field of recipient @i, or NULL when absent.  Borrowed. */
BSC_API const char *bsc_result_recipient (const bsc_result_t *result, size_t i,
					  bsc_rcpt_field_t field);

/** Headers of the embedded original message.  UTF-8 (RFC 2047 decoded), borrowed. */
typedef enum bsc_orig_field {
	BSC_ORIG_MESSAGE_ID = 0,
	BSC_ORIG_FROM,
	BSC_ORIG_TO,
	BSC_ORIG_SUBJECT,
	BSC_ORIG_DATE,
	BSC_ORIG_RETURN_PATH,
	BSC_ORIG_FIELD_COUNT
} bsc_orig_field_t;

/** bsc_result_has_original: 1 when the report carries its original (whole, or headers only), else 0. */
BSC_API int bsc_result_has_original (const bsc_result_t *result);
/** bsc_result_original: one header of the original, or NULL.  Borrowed. */
BSC_API const char *bsc_result_original (const bsc_result_t *result, bsc_orig_field_t field);

/** The relays of the original's Received chain, newest first. */
typedef enum bsc_relay_field {
	BSC_RELAY_HELO = 0,  /* the name the client gave in HELO/EHLO (not to be trusted) */
	BSC_RELAY_RDNS,      /* the reverse name the receiving host recorded */
	BSC_RELAY_IP,        /* the address the receiving host recorded */
	BSC_RELAY_BY,        /* the receiving host */
	BSC_RELAY_FIELD_COUNT
} bsc_relay_field_t;

BSC_API size_t bsc_result_relay_count (const bsc_result_t *result);
/** bsc_result_relay: one field of relay @i, or NULL.  Borrowed. */
BSC_API const char *bsc_result_relay (const bsc_result_t *result, size_t i,
				      bsc_relay_field_t field);

/**
 * Notes: what the classifier wants a human to know about this message,
 * such as a limit that was reached ("limit: mime-depth").  Borrowed.
 */
BSC_API size_t bsc_result_note_count (const bsc_result_t *result);
BSC_API const char *bsc_result_note (const bsc_result_t *result, size_t i);

/**
 * bsc_result_to_json: the result as one line of JSON (DESIGN.md section 6),
 * without a trailing newline.  @file (optional) and @index (ignored when
 * negative) are written first, as bsclassify does.
 * @out: receives new text, free with bsc_free().
 * Returns: BSC_OK or BSC_ENOMEM.
 */
BSC_API bsc_status_t bsc_result_to_json (const bsc_result_t *result, const char *file,
					 long index, char **out);

/**
 * bsc_result_to_json_buf: bsc_result_to_json() into a buffer the caller
 * keeps from one result to the next, the way getline() does: no
 * allocation once the buffer is large enough.
 * @buf: in: NULL (and *@cap 0) or a buffer from an earlier call; out: the
 *   buffer, grown as needed, still the caller's on every return (free
 *   with bsc_free()).
 * @cap: its size in bytes.
 * @len: receives the text's length; a NUL follows it.
 * Returns: BSC_OK; BSC_ENOMEM (the buffer as it was, *@len 0);
 * BSC_EINVAL (a NULL argument, or *@buf NULL with *@cap not 0).
 */
BSC_API bsc_status_t bsc_result_to_json_buf (const bsc_result_t *result, const char *file,
					     long index, char **buf, size_t *cap, size_t *len);

#ifdef __cplusplus
}
#endif

#endif /* BSCLASS_H */
