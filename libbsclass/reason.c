/*
 * reason.c - why each recipient failed, in a small fixed vocabulary, and
 * whether it is worth trying again (hard, soft, delay).
 *
 * The RFC 3463 code says it first (subject and detail, RFC 3463 section
 * 3 and the IANA registry of RFC 5248); where a report gives no code or
 * only the uninformative X.0.0, common wording of the diagnostic does.
 * A report that states no code at all gets one derived from the reason
 * (or from the SMTP reply code), marked as derived.
 */
#include "config.h"

#include <string.h>

#include "bsc-private.h"

typedef enum {
	R_OTHER = 0,
	R_USER_UNKNOWN,
	R_MAILBOX_FULL,
	R_HOST_UNKNOWN,
	R_POLICY,
	R_TOO_LARGE,
	R_EXPIRED,
} reason_t;

static const char *const reason_names[] = {
	"other", "user_unknown", "mailbox_full", "host_unknown", "policy", "too_large", "expired",
};

/* The code derived for a reason when the report states none. */
static const char *const reason_codes[] = {
	NULL, "5.1.1", "5.2.2", "5.1.2", "5.7.1", "5.3.4", "5.4.7",
};

static reason_t
from_status (const char *st)
{
	/* "c.s.d": subject and detail decide, the class does not. */
	const char *sd = st + 2;

	if (!strcmp (sd, "1.1") || !strcmp (sd, "1.0") || !strcmp (sd, "1.3") ||
	    !strcmp (sd, "1.6") || !strcmp (sd, "1.10") || !strcmp (sd, "2.1"))
		return R_USER_UNKNOWN;
	if (!strcmp (sd, "2.2"))
		return R_MAILBOX_FULL;
	if (!strcmp (sd, "1.2") || !strcmp (sd, "4.4") || !strcmp (sd, "4.3"))
		return R_HOST_UNKNOWN;
	if (!strcmp (sd, "2.3") || !strcmp (sd, "3.4"))
		return R_TOO_LARGE;
	if (!strcmp (sd, "4.7") || !strcmp (sd, "4.6"))
		return R_EXPIRED;
	if (sd[0] == '7')
		return R_POLICY;
	return R_OTHER;
}

/* The commonest phrasings (English), for reports without a telling code. */
static const struct {
	const char *words;
	reason_t reason;
} phrases[] = {
	{ "user unknown", R_USER_UNKNOWN }, { "unknown user", R_USER_UNKNOWN },
	{ "no such user", R_USER_UNKNOWN }, { "unknown recipient", R_USER_UNKNOWN },
	{ "no such mailbox", R_USER_UNKNOWN }, { "mailbox unavailable", R_USER_UNKNOWN },
	{ "does not exist", R_USER_UNKNOWN }, { "invalid recipient", R_USER_UNKNOWN },
	{ "recipient not found", R_USER_UNKNOWN }, { "address rejected", R_USER_UNKNOWN },
	{ "no mailbox", R_USER_UNKNOWN }, { "not our customer", R_USER_UNKNOWN },
	{ "account has been disabled", R_USER_UNKNOWN }, { "account is disabled", R_USER_UNKNOWN },
	{ "over quota", R_MAILBOX_FULL }, { "quota exceeded", R_MAILBOX_FULL },
	{ "mailbox full", R_MAILBOX_FULL }, { "mailbox is full", R_MAILBOX_FULL },
	{ "insufficient storage", R_MAILBOX_FULL }, { "exceeded storage", R_MAILBOX_FULL },
	{ "host not found", R_HOST_UNKNOWN }, { "host unknown", R_HOST_UNKNOWN },
	{ "domain not found", R_HOST_UNKNOWN }, { "no mx", R_HOST_UNKNOWN },
	{ "name or service not known", R_HOST_UNKNOWN }, { "unrouteable", R_HOST_UNKNOWN },
	{ "too large", R_TOO_LARGE }, { "size limit", R_TOO_LARGE },
	{ "message size exceeds", R_TOO_LARGE }, { "too big", R_TOO_LARGE },
	{ "spam", R_POLICY }, { "blocked", R_POLICY }, { "blacklist", R_POLICY },
	{ "blocklist", R_POLICY }, { "policy", R_POLICY }, { "not permitted", R_POLICY },
	{ "relay", R_POLICY }, { "virus", R_POLICY }, { "reputation", R_POLICY },
	{ "timed out", R_EXPIRED }, { "timeout", R_EXPIRED }, { "expired", R_EXPIRED },
	{ "retry time", R_EXPIRED }, { "could not be delivered for", R_EXPIRED },
};

static reason_t
from_words (const char *diag)
{
	bsc_str_t s = { diag, strlen (diag) };

	for (size_t i = 0; i < sizeof (phrases) / sizeof (phrases[0]); i++)
		if (bsc_str_icase_find (s, phrases[i].words))
			return phrases[i].reason;
	return R_OTHER;
}

void
bsc_reason_decide (bsc_result_t *r)
{
	for (size_t i = 0; i < r->n_rcpts; i++) {
		bsc_rcpt_t *rc = &r->rcpts[i];
		const char *action = rc->f[BSC_RCPT_ACTION], *st = rc->f[BSC_RCPT_STATUS];
		const char *diag = rc->f[BSC_RCPT_DIAGNOSTIC], *code = rc->f[BSC_RCPT_REPLY_CODE];
		bool delayed = action && !strcmp (action, "delayed");
		reason_t why = R_OTHER;

		if (action && strcmp (action, "failed") && !delayed)
			continue; /* delivered, relayed, expanded: nothing went wrong */
		if (st)
			why = from_status (st);
		if (why == R_OTHER && diag)
			why = from_words (diag);
		if (!st) {
			/* RFC 3463 from the reason, else the class of the SMTP reply. */
			const char *derived = reason_codes[why];
			if (derived && (delayed || (code && code[0] == '4'))) {
				char *soft = bsc_arena_strdup (&r->arena, derived);
				if (soft)
					soft[0] = '4';
				derived = soft;
			} else if (!derived && code && (code[0] == '4' || code[0] == '5')) {
				derived = code[0] == '4' ? "4.0.0" : "5.0.0";
			} else if (!derived && delayed) {
				derived = "4.0.0";
			}
			if (derived) {
				rc->f[BSC_RCPT_STATUS] = derived;
				rc->f[BSC_RCPT_STATUS_DERIVED] = "yes";
				st = derived;
			}
		}
		rc->f[BSC_RCPT_REASON] = reason_names[why];
		/* Hard: retrying cannot help (no such user or host, said for good). */
		if (delayed)
			rc->f[BSC_RCPT_SEVERITY] = "delay";
		else if (st && st[0] == '5' && (why == R_USER_UNKNOWN || why == R_HOST_UNKNOWN))
			rc->f[BSC_RCPT_SEVERITY] = "hard";
		else
			rc->f[BSC_RCPT_SEVERITY] = "soft";
	}
}
