/*
 * fuzz-config.c - the site-config loader: the input is written to a file
 * (memfd) and read with bsc_config_load_file(); each of its lines is also
 * given to bsc_config_set() as "key value".  A config that loads is copied
 * and used to sign (BATV, Message-ID).
 */
#include "config.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz-common.h"

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int fd = -1;
static char path[64];

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
	fd = memfd_create ("fuzz-config", 0);
	if (fd < 0)
		abort ();
	snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
	return 0;
}

static void
use (bsc_config_t *c)
{
	bsc_config_t *copy = bsc_config_copy (c);
	char *out = NULL;
	uint8_t ip[16];

	if (!copy)
		return;
	if (bsc_batv_sign (copy, -1, "alice@example.com", 1700000000, &out) == BSC_OK)
		bsc_free (out);
	if (bsc_msgid_sign (copy, "local", "example.com", &out) == BSC_OK)
		bsc_free (out);
	for (size_t i = 0; i < copy->n_relay_nets; i++)
		if (bsc_ip_parse ("192.0.2.1", 9, ip))
			bsc_cidr_match (&copy->relay_nets[i], ip);
	bsc_config_free (copy);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	bsc_config_t *c = bsc_config_new ();
	bsc_error_t err;
	uint8_t ip[16];

	if (!c)
		return 0;
	if (ftruncate (fd, 0) == 0 && pwrite (fd, data, size, 0) == (ssize_t) size) {
		memset (&err, 0, sizeof err);
		bsc_status_t st = bsc_config_load_file (c, path, &err);
		if (st != BSC_OK && st != BSC_ECONFIG && st != BSC_ENOMEM)
			abort ();
		if (st == BSC_ECONFIG && (err.line < 1 || !memchr (err.text, '\0', sizeof err.text)))
			abort ();
		use (c);
	}
	bsc_config_free (c);

	/* Line by line through bsc_config_set(): "key value". */
	c = bsc_config_new ();
	char *text = malloc (size + 1);
	if (c && text) {
		memcpy (text, data, size);
		text[size] = '\0';
		for (char *line = text, *next; line; line = next) {
			next = strchr (line, '\n');
			if (next)
				*next++ = '\0';
			char *sp = strchr (line, ' ');
			if (sp)
				*sp++ = '\0';
			bsc_config_set (c, line, sp ? sp : "", &err);
			bsc_ip_parse (line, strlen (line), ip);
		}
		use (c);
	}
	free (text);
	bsc_config_free (c);
	return 0;
}
