/*
 * inputs.h - walking bsclassify's operands: files, folders, mboxes, stdin
 *
 * The walker turns each operand into a stream of messages and hands every
 * message, and every input that cannot be read, to a sink.  It holds one
 * message in memory at a time and never reads a whole mbox at once.
 */
#ifndef BSCLASSIFY_INPUTS_H
#define BSCLASSIFY_INPUTS_H

#include <stddef.h>

/*
 * Callbacks that receive what the walker reads.  Each returns 0 to go on
 * or non-zero to stop the walk (bsclassify stops on a write error).
 * @file is the path as given on the command line or as found under a
 * given folder ("-" for standard input); @index counts messages within
 * one file from 0.
 */
typedef struct input_sink {
	void *ctx;
	/* One message: @len bytes at @data, not NUL-terminated, may hold NULs. */
	int (*message) (void *ctx, const char *file, long index, const char *data,
			size_t len);
	/* A message that was consumed but cannot be classified (too large, ...). */
	int (*message_error) (void *ctx, const char *file, long index, const char *text);
	/* A file or folder that yields no message at all (cannot open, empty, ...). */
	int (*file_error) (void *ctx, const char *file, const char *text);
	/* (optional) @bytes more bytes were read; for the progress bar. */
	void (*progress) (void *ctx, size_t bytes);
	/* Messages bigger than this are consumed but reported as errors. */
	size_t max_message;
} input_sink_t;

typedef struct inputs inputs_t;

/* A walker that feeds @sink (copied).  NULL when out of memory. */
inputs_t *inputs_new (const input_sink_t *sink);

/* Frees @in; accepts NULL. */
void inputs_free (inputs_t *in);

/*
 * Reads one operand: "-" is standard input, a folder is walked
 * recursively, anything else is read as one file (an mbox when it starts
 * with "From ", else one message).
 * Returns 0 when the operand was walked to its end (read errors went to the
 * sink), non-zero when a sink callback asked to stop.
 */
int inputs_read (inputs_t *in, const char *operand);

/*
 * The size in bytes of @operand when it is a regular file, else 0 (a
 * folder, a pipe, or standard input: size unknown).  For the progress bar.
 */
unsigned long long inputs_file_size (const char *operand);

#endif /* BSCLASSIFY_INPUTS_H */
