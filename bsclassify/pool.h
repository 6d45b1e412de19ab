/*
 * pool.h - bsclassify -j N: N worker processes classify, the parent reads
 * the inputs and writes the records in input order (pool.c).
 */
#ifndef BSCLASSIFY_POOL_H
#define BSCLASSIFY_POOL_H

#include <stddef.h>

#include "bsclass.h"
#include "output.h"

#define POOL_MAX_JOBS 64	/* -j above this counts as this */

typedef struct pool pool_t;

/* State of one run over the inputs (bsclassify.c), which the pool reports into. */
typedef struct run {
	const bsc_engine_t *engine;
	pool_t *pool;            /* the workers with -j N > 1, else NULL */
	output_t *out;
	summary_t summary;
	progress_t progress;
	int input_failed;
} run_t;

/* Why a run with workers stopped. */
enum pool_stop {
	POOL_GO = 0,
	POOL_WRITE_ERROR,	/* standard output failed: output_errno() says why */
	POOL_NO_WORKER,		/* every worker died */
	POOL_NO_MEMORY
};

/* "bsclassify: ..." on standard error (bsclassify.c). */
void msg (const char *fmt, ...) PRINTF_LIKE (1, 2);

/*
 * Forks @jobs workers that classify with @engine.  Returns the pool; or
 * NULL, with *@worker_exit -1 after saying why it failed.  In a worker it
 * returns NULL too, once the worker is done, with its exit status in
 * *@worker_exit: the caller unwinds and exits with it.
 */
pool_t *pool_start (run_t *run, const bsc_engine_t *engine, int jobs, output_format_t format,
		    int explain, int *worker_exit);

/*
 * A message read from the inputs: numbered and sent to a worker.  @data
 * is the reader's until we return: worker_assign() copies it to a ring in
 * time, and a message that goes in no ring is copied into its task.
 */
int pool_message (pool_t *p, const char *file, long index, const char *data, size_t len);

/* A record the parent writes itself (a file or message that gave no mail). */
int pool_error (pool_t *p, const char *file, long index, const char *text);

/*
 * Waits for every record still owed (unless the run stopped), then closes
 * the pipes and reaps every worker.  Frees @p.  Returns why the run
 * stopped, with how the last dead worker ended in @died.
 */
enum pool_stop pool_finish (pool_t *p, char *died, size_t size);

#endif
