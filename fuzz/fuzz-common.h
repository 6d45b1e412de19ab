/*
 * fuzz-common.h - what the libFuzzer targets share (fuzz/README.md).
 *
 * The targets link the library's sources directly (fuzz/build.sh), so they
 * reach private entry points such as bsc_dsn_parse() as well as the
 * public API.
 */
#ifndef BSC_FUZZ_COMMON_H
#define BSC_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "bsc-private.h"

/* The shipped rules: $BSC_FUZZ_RULES, else the folder build.sh compiled in. */
#ifndef FUZZ_RULES_DIR
#define FUZZ_RULES_DIR "rules"
#endif

static inline const char *
fuzz_rules_dir (void)
{
	const char *d = getenv ("BSC_FUZZ_RULES");

	return d && *d ? d : FUZZ_RULES_DIR;
}

/* Tiny limits, so that every "limit: ..." path is reached by small inputs. */
static inline void
fuzz_small_limits (size_t limits[BSC_LIMIT_COUNT])
{
	limits[BSC_LIMIT_MIME_DEPTH] = 2;
	limits[BSC_LIMIT_PARTS] = 5;
	limits[BSC_LIMIT_HEADERS] = 6;
	limits[BSC_LIMIT_HEADER_BYTES] = 40;
	limits[BSC_LIMIT_TEXT_SAMPLE] = 100;
	limits[BSC_LIMIT_ORIGINAL_BYTES] = 300;
	limits[BSC_LIMIT_RECIPIENTS] = 3;
	limits[BSC_LIMIT_MESSAGE_BYTES] = 4000;
	limits[BSC_LIMIT_MATCH] = 50;
	limits[BSC_LIMIT_DEPTH] = 5;
}

/*
 * GLib reports a bad argument (g_return_if_fail) as a "critical" and goes
 * on; in the fuzzers it is a finding, so it aborts.
 */
static inline void
fuzz_glib_fatal (void)
{
	g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
}

/* Reads every string of @s so that ASan sees a bad pointer or a missing NUL. */
static inline size_t
fuzz_touch (const char *s)
{
	return s ? strlen (s) : 0;
}

#endif /* BSC_FUZZ_COMMON_H */
