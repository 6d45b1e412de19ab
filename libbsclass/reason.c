/*
 * reason.c - why each recipient failed, in a small fixed vocabulary, and
 * whether it is worth trying again (hard, soft, delay).
 *
 * The RFC 3463 code says it first (subject and detail, RFC 3463 section
 * 3 and the IANA registry of RFC 5248); where a report gives no code or
 * only the uninformative X.0.0, the wording of the diagnostic does, as the
 * reason rules of the rule set read it (rules data, not code: a new
 * language is a rules change).
 * A report that states no code at all gets one derived from the reason
 * (or from the SMTP reply code), marked as derived.
 */
#include "config.h"

#include <string.h>

#include "bsc-private.h"

static const char *const reason_names[BSC_REASON_COUNT] = {
	"other", "user_unknown", "mailbox_full", "host_unknown", "policy", "too_large", "expired",
};

bsc_reason_t
bsc_reason_lookup (const char *name, size_t len)
{
	for (int i = 0; i < BSC_REASON_COUNT; i++)
		if (strlen (reason_names[i]) == len && !memcmp (reason_names[i], name, len))
			return (bsc_reason_t) i;
	return BSC_REASON_COUNT;
}

/* The code derived for a reason when the report states none. */
static const char *const reason_codes[BSC_REASON_COUNT] = {
	NULL, "5.1.1", "5.2.2", "5.1.2", "5.7.1", "5.3.4", "5.4.7",
};

static bsc_reason_t
from_status (const char *st)
{
	/* "c.s.d": subject and detail decide, the class does not. */
	const char *sd = st + 2;

	if (!strcmp (sd, "1.1") || !strcmp (sd, "1.0") || !strcmp (sd, "1.3") ||
	    !strcmp (sd, "1.6") || !strcmp (sd, "1.10") || !strcmp (sd, "2.1"))
		return BSC_REASON_USER_UNKNOWN;
	if (!strcmp (sd, "2.2"))
		return BSC_REASON_MAILBOX_FULL;
	if (!strcmp (sd, "1.2") || !strcmp (sd, "4.4") || !strcmp (sd, "4.3"))
		return BSC_REASON_HOST_UNKNOWN;
	if (!strcmp (sd, "2.3") || !strcmp (sd, "3.4"))
		return BSC_REASON_TOO_LARGE;
	if (!strcmp (sd, "4.7") || !strcmp (sd, "4.6"))
		return BSC_REASON_EXPIRED;
	if (sd[0] == '7')
		return BSC_REASON_POLICY;
	return BSC_REASON_OTHER;
}

void
bsc_reason_decide (const bsc_ruleset_t *rs, bsc_result_t *r)
{
	for (size_t i = 0; i < r->n_rcpts; i++) {
		bsc_rcpt_t *rc = &r->rcpts[i];
		const char *action = rc->f[BSC_RCPT_ACTION], *st = rc->f[BSC_RCPT_STATUS];
		const char *diag = rc->f[BSC_RCPT_DIAGNOSTIC], *code = rc->f[BSC_RCPT_REPLY_CODE];
		bool delayed = action && !strcmp (action, "delayed");
		bsc_reason_t why = BSC_REASON_OTHER;

		if (action && strcmp (action, "failed") && !delayed)
			continue; /* delivered, relayed, expanded: nothing went wrong */
		if (st)
			why = from_status (st);
		/* Without a telling code, the wording: the reason rules
		 * (rules/70-reasons.cf), in every language they know. */
		if (why == BSC_REASON_OTHER && diag)
			why = bsc_ruleset_reason (rs, diag, strlen (diag), &r->arena);
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
		else if (st && st[0] == '5' && (why == BSC_REASON_USER_UNKNOWN || why == BSC_REASON_HOST_UNKNOWN))
			rc->f[BSC_RCPT_SEVERITY] = "hard";
		else
			rc->f[BSC_RCPT_SEVERITY] = "soft";
	}
}
