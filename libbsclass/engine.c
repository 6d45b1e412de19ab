/*
 * engine.c - the immutable, shareable classifier.
 */
#include "config.h"

#include <iconv.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <gmime/gmime.h>

#include "bsc-private.h"

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

/*
 * The charsets mail most often declares besides UTF-8 and ASCII.  The
 * engine opens a converter from each to UTF-8 and never uses it: while one
 * is open, glibc keeps that charset's gconv module loaded.  Text parts are
 * converted through descriptors of their own (g_convert(), GMime), and
 * without these glibc loaded and unloaded the module around each one: on
 * the bench's flood some 670 dlopen()s of ISO8859-1.so, ISO-2022-JP.so
 * and the like per 20,000 messages, 7 to 12% of the CPU time (two
 * measurements).  Nothing touches the descriptors after bsc_engine_new(),
 * so threads may share the engine.
 */
static const char *const pinned_charsets[] = {
	"ISO-8859-1", "ISO-8859-2", "ISO-8859-3", "ISO-8859-4", "ISO-8859-5", "ISO-8859-6",
	"ISO-8859-7", "ISO-8859-8", "ISO-8859-9", "ISO-8859-13", "ISO-8859-15", "WINDOWS-1250",
	"WINDOWS-1251", "WINDOWS-1252", "WINDOWS-1253", "WINDOWS-1254", "WINDOWS-1255",
	"WINDOWS-1256", "WINDOWS-1257", "WINDOWS-1258", "KOI8-R", "KOI8-U", "ISO-2022-JP",
	"SHIFT_JIS", "EUC-JP", "GB2312", "GBK", "GB18030", "BIG5", "EUC-KR", "ISO-2022-KR",
	"TIS-620", "UTF-7",
};
_Static_assert (sizeof (pinned_charsets) / sizeof (pinned_charsets[0]) == BSC_PINNED_CHARSETS,
		"BSC_PINNED_CHARSETS (bsc-private.h) counts pinned_charsets");

static void
gmime_init (void)
{
	/* g_mime_init() keeps a plain counter and registers types: call it
	 * exactly once per process, whichever thread builds the first engine.
	 * It is never undone: GMime may be shared with the embedding program. */
	g_mime_init ();
}

void
bsc_gmime_init_once (void)
{
	pthread_once (&gmime_once, gmime_init);
}

/*
 * The subtype of the leaves that stand for kept header blocks (bsc_blocks_t):
 * BSC_BLOCK_TYPE_PREFIX and 64 bits a sender cannot predict.  Their
 * secrecy is all that matters, not their quality: when the kernel has no
 * random bytes to give, the time, the process and where this engine lies
 * (ASLR) are mixed instead (splitmix64's finaliser).
 */
static void
draw_block_type (bsc_engine_t *e)
{
	uint64_t x;

	if (getrandom (&x, sizeof (x), GRND_NONBLOCK) != (ssize_t) sizeof (x)) {
		struct timespec ts;
		clock_gettime (CLOCK_MONOTONIC, &ts);
		x = (uint64_t) ts.tv_nsec ^ ((uint64_t) ts.tv_sec << 32) ^ (uint64_t) getpid () ^
		    (uint64_t) (uintptr_t) e;
		x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
		x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
		x ^= x >> 31;
	}
	snprintf (e->block_type, sizeof (e->block_type), BSC_BLOCK_TYPE_PREFIX "%016llx",
		  (unsigned long long) x);
}

bsc_status_t
bsc_engine_new (const bsc_options_t *options, bsc_engine_t **out, bsc_error_t *err)
{
	bsc_options_t *defaults = NULL;
	bsc_engine_t *e;
	bsc_status_t st;
	const char *dir;

	if (!out)
		return BSC_EINVAL;
	*out = NULL;
	if (!options && !(options = defaults = bsc_options_new ()))
		return BSC_ENOMEM;
	bsc_gmime_init_once ();

	st = BSC_ENOMEM;
	if (!(e = calloc (1, sizeof (*e))))
		goto done;
	memcpy (e->limits, options->limits, sizeof (e->limits));
	e->now = options->now;
	e->explain = options->explain;
	draw_block_type (e);
	e->config = options->config ? bsc_config_copy (options->config) : bsc_config_new ();
	if (!e->config || !(e->rules = bsc_ruleset_new ()) || !(e->ordinary = bsc_ordinary_new ()))
		goto done;

	dir = options->rules_dir ? options->rules_dir : bsc_default_rules_dir ();
	if ((st = bsc_ruleset_load_dir (e->rules, dir, err)) != BSC_OK)
		goto done;
	for (size_t i = 0; i < options->n_rule_files; i++)
		if ((st = bsc_ruleset_load_file (e->rules, options->rule_files[i], err)) != BSC_OK)
			goto done;
	bsc_rule_limits_t rl = {
		.match_limit = (uint32_t) (e->limits[BSC_LIMIT_MATCH] > UINT32_MAX
						   ? UINT32_MAX : e->limits[BSC_LIMIT_MATCH]),
		.depth_limit = (uint32_t) (e->limits[BSC_LIMIT_DEPTH] > UINT32_MAX
						   ? UINT32_MAX : e->limits[BSC_LIMIT_DEPTH]),
	};
	if ((st = bsc_ruleset_compile (e->rules, &rl, err)) != BSC_OK)
		goto done;
	/* The ordinary-mail pre-scan knows the signs the shipped rules need;
	 * site rules that can move the kind may need others (ordinary.c). */
	if (bsc_ruleset_site_kind_rule (e->rules)) {
		bsc_ordinary_free (e->ordinary);
		e->ordinary = NULL;
	}

	/* The engine owns its parser options: GMime's defaults are
	 * process-global and another user of GMime in the process may change
	 * them.  Undeclared 8-bit text is tried as UTF-8, then Windows-1252. */
	GMimeParserOptions *po = g_mime_parser_options_new ();
	const char *fallback[] = { "utf-8", "windows-1252", NULL };
	g_mime_parser_options_set_fallback_charsets (po, fallback);
	g_mime_parser_options_set_allow_addresses_without_domain (po, TRUE);
	e->parser_options = po;
	for (size_t i = 0; i < BSC_PINNED_CHARSETS; i++)
		e->pinned[i] = iconv_open ("UTF-8", pinned_charsets[i]); /* (iconv_t) -1: not known here */
	st = BSC_OK;
done:
	bsc_options_free (defaults);
	if (st != BSC_OK) {
		bsc_engine_free (e);
		return st;
	}
	*out = e;
	return BSC_OK;
}

void
bsc_engine_free (bsc_engine_t *e)
{
	if (!e)
		return;
	bsc_ruleset_free (e->rules);
	bsc_config_free (e->config);
	bsc_ordinary_free (e->ordinary);
	if (e->parser_options)
		g_mime_parser_options_free (e->parser_options);
	for (size_t i = 0; i < BSC_PINNED_CHARSETS; i++)
		if (e->pinned[i] && e->pinned[i] != (iconv_t) -1)
			iconv_close (e->pinned[i]);
	free (e);
}

size_t
bsc_engine_rule_count (const bsc_engine_t *e)
{
	return e ? bsc_ruleset_count (e->rules) : 0;
}

const char *
bsc_engine_prescan_off_by (const bsc_engine_t *e)
{
	return e ? bsc_ruleset_site_kind_rule (e->rules) : NULL;
}
