/*
 * output.h - bsclassify's records (text or JSON Lines), summary and progress
 */
#ifndef BSCLASSIFY_OUTPUT_H
#define BSCLASSIFY_OUTPUT_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "bsclass.h"

/* Lets the compiler check printf-style formats. */
#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format (printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

typedef enum output_format {
	OUTPUT_TEXT = 0,	/* a readable block per message */
	OUTPUT_JSON		/* one JSON object per line (DESIGN.md section 6) */
} output_format_t;

typedef struct output output_t;

/* A writer of records to @fp.  NULL when out of memory. */
output_t *output_new (FILE *fp, output_format_t format, int explain);

/*
 * A writer that keeps its records in memory instead (for the -j workers,
 * which send finished records to the parent): output_buffer() gives the
 * bytes written since output_buffer_reset(), which also clears a write
 * error (in this mode only ENOMEM).  NULL when out of memory.
 */
output_t *output_new_buffer (output_format_t format, int explain);
const char *output_buffer (const output_t *out, size_t *len);
void output_buffer_reset (output_t *out);

/* Frees @out (does not close its stream); accepts NULL. */
void output_free (output_t *out);

/*
 * The record writers return 0 when the record was written, -1 on a write
 * error (see output_errno(); every later write is skipped), and
 * output_result() returns 1 when it wrote an error record instead of the
 * result (the result could not be turned into JSON).
 */
int output_result (output_t *out, const char *file, long index, const bsc_result_t *result);
/* A message that could not be classified: file, index and reason. */
int output_message_error (output_t *out, const char *file, long index, const char *text);
/* A file or folder that gave no message: no index. */
int output_file_error (output_t *out, const char *file, const char *text);
/* Bytes of a record that was formatted elsewhere (by a worker), as they are. */
int output_raw (output_t *out, const char *data, size_t len);
/* Flushes the stream; 0 or -1 on a write error. */
int output_flush (output_t *out);
/* The errno of the first write error, 0 when there was none. */
int output_errno (const output_t *out);

/* Counts for --summary: one per verdict, plus the error records. */
#define SUMMARY_VERDICTS (BSC_VERDICT_CHALLENGE_RESPONSE + 1)
typedef struct summary {
	unsigned long long verdicts[SUMMARY_VERDICTS];
	unsigned long long errors;
} summary_t;

/* Prints the --summary table to @fp (standard error). */
void summary_print (FILE *fp, const summary_t *summary);

/*
 * The progress bar: on standard error, drawn only once the input turns
 * out to be large, redrawn at most five times a second, erased by
 * progress_clear().
 */
typedef struct progress {
	int enabled;			/* stderr is a terminal (and stdout is not) */
	int shown;			/* the input turned out large: drawing */
	unsigned long long total;	/* bytes expected, 0 when unknown */
	unsigned long long bytes;	/* bytes read so far */
	unsigned long long messages;	/* records written so far */
	struct timespec last;		/* when it was last drawn */
	size_t width;			/* characters on the line now */
} progress_t;

void progress_init (progress_t *p, int enabled, unsigned long long total);
void progress_add_bytes (progress_t *p, size_t bytes);
void progress_add_message (progress_t *p);
void progress_clear (progress_t *p);

#endif /* BSCLASSIFY_OUTPUT_H */
