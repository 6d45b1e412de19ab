/*
 * status.c - version, status texts and the names used in JSON.
 */
#include "config.h"

#include <stdlib.h>

#include "bsc-private.h"

#define STR_(x) #x
#define STR(x) STR_(x)

const char *
bsc_version (void)
{
	return STR (BSC_VERSION_MAJOR) "." STR (BSC_VERSION_MINOR) "." STR (BSC_VERSION_MICRO);
}

const char *
bsc_strerror (bsc_status_t status)
{
	switch (status) {
	case BSC_OK: return "success";
	case BSC_ENOMEM: return "out of memory";
	case BSC_EINVAL: return "invalid argument";
	case BSC_EIO: return "cannot read file";
	case BSC_EPARSE: return "not a mail message";
	case BSC_ERULES: return "rule file refused";
	case BSC_ECONFIG: return "site config refused";
	case BSC_ELIMIT: return "limit exceeded";
	}
	return "unknown status";
}

void
bsc_free (void *ptr)
{
	free (ptr);
}

const char *
bsc_kind_name (bsc_kind_t kind)
{
	switch (kind) {
	case BSC_KIND_BOUNCE: return "bounce";
	case BSC_KIND_OUT_OF_OFFICE: return "out_of_office";
	case BSC_KIND_CHALLENGE_RESPONSE: return "challenge_response";
	case BSC_KIND_NORMAL: break;
	}
	return "normal";
}

const char *
bsc_origin_name (bsc_origin_t origin)
{
	switch (origin) {
	case BSC_ORIGIN_OURS: return "ours";
	case BSC_ORIGIN_FORGED: return "forged";
	case BSC_ORIGIN_UNKNOWN: break;
	}
	return "unknown";
}

const char *
bsc_verdict_name (bsc_verdict_t verdict)
{
	switch (verdict) {
	case BSC_VERDICT_GENUINE_BOUNCE: return "genuine_bounce";
	case BSC_VERDICT_BACKSCATTER: return "backscatter";
	case BSC_VERDICT_OUT_OF_OFFICE: return "out_of_office";
	case BSC_VERDICT_CHALLENGE_RESPONSE: return "challenge_response";
	case BSC_VERDICT_NORMAL: break;
	}
	return "normal";
}
