/*
 * engine.c - the immutable, shareable classifier.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "bsc-private.h"

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

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

	/* The engine owns its parser options: GMime's defaults are
	 * process-global and another user of GMime in the process may change
	 * them.  Undeclared 8-bit text is tried as UTF-8, then Windows-1252. */
	GMimeParserOptions *po = g_mime_parser_options_new ();
	const char *fallback[] = { "utf-8", "windows-1252", NULL };
	g_mime_parser_options_set_fallback_charsets (po, fallback);
	g_mime_parser_options_set_allow_addresses_without_domain (po, TRUE);
	e->parser_options = po;
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
	free (e);
}

size_t
bsc_engine_rule_count (const bsc_engine_t *e)
{
	return e ? bsc_ruleset_count (e->rules) : 0;
}
