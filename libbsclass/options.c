/*
 * options.c - what an engine is built from.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "bsc-private.h"

/* Defaults: generous for real mail (the largest real DSNs carry a few
 * hundred recipients and a few levels of nesting), small enough that a
 * hostile message costs milliseconds, not seconds. */
static const size_t default_limits[BSC_LIMIT_COUNT] = {
	[BSC_LIMIT_MIME_DEPTH] = 16,
	[BSC_LIMIT_PARTS] = 256,
	[BSC_LIMIT_HEADERS] = 1000,
	[BSC_LIMIT_HEADER_BYTES] = 16384,
	[BSC_LIMIT_TEXT_SAMPLE] = 16384,
	[BSC_LIMIT_ORIGINAL_BYTES] = 65536,
	[BSC_LIMIT_RECIPIENTS] = 1000,
	[BSC_LIMIT_MESSAGE_BYTES] = 64u << 20,
	[BSC_LIMIT_MATCH] = 100000,
	[BSC_LIMIT_DEPTH] = 10000,
};

bsc_options_t *
bsc_options_new (void)
{
	bsc_options_t *o = calloc (1, sizeof (*o));

	if (o)
		memcpy (o->limits, default_limits, sizeof (default_limits));
	return o;
}

void
bsc_options_free (bsc_options_t *o)
{
	if (!o)
		return;
	free (o->rules_dir);
	for (size_t i = 0; i < o->n_rule_files; i++)
		free (o->rule_files[i]);
	free (o->rule_files);
	bsc_config_free (o->config);
	free (o);
}

bsc_status_t
bsc_options_set_rules_dir (bsc_options_t *o, const char *dir)
{
	char *copy = NULL;

	if (!o)
		return BSC_EINVAL;
	if (dir && !(copy = strdup (dir)))
		return BSC_ENOMEM;
	free (o->rules_dir);
	o->rules_dir = copy;
	return BSC_OK;
}

bsc_status_t
bsc_options_add_rules_file (bsc_options_t *o, const char *path)
{
	char **nv, *copy;

	if (!o || !path)
		return BSC_EINVAL;
	if (!(copy = strdup (path)))
		return BSC_ENOMEM;
	nv = realloc (o->rule_files, (o->n_rule_files + 1) * sizeof (char *));
	if (!nv) {
		free (copy);
		return BSC_ENOMEM;
	}
	o->rule_files = nv;
	nv[o->n_rule_files++] = copy;
	return BSC_OK;
}

bsc_status_t
bsc_options_set_config (bsc_options_t *o, const bsc_config_t *config)
{
	bsc_config_t *copy = NULL;

	if (!o)
		return BSC_EINVAL;
	if (config && !(copy = bsc_config_copy (config)))
		return BSC_ENOMEM;
	bsc_config_free (o->config);
	o->config = copy;
	return BSC_OK;
}

bsc_status_t
bsc_options_set_limit (bsc_options_t *o, bsc_limit_t limit, size_t value)
{
	if (!o || (unsigned) limit >= BSC_LIMIT_COUNT || value == 0)
		return BSC_EINVAL;
	o->limits[limit] = value;
	return BSC_OK;
}

size_t
bsc_options_get_limit (const bsc_options_t *o, bsc_limit_t limit)
{
	if ((unsigned) limit >= BSC_LIMIT_COUNT)
		return 0;
	return o ? o->limits[limit] : default_limits[limit];
}

const char *
bsc_default_rules_dir (void)
{
	return BSC_RULES_DIR;
}

bsc_status_t
bsc_options_set_now (bsc_options_t *o, time_t now)
{
	if (!o || now < 0)
		return BSC_EINVAL;
	o->now = now;
	return BSC_OK;
}

bsc_status_t
bsc_options_set_explain (bsc_options_t *o, int on)
{
	if (!o)
		return BSC_EINVAL;
	o->explain = on != 0;
	return BSC_OK;
}
