/*
 * bsclass-gmime.h - classify a message the embedder already parsed.
 *
 * For programs that hold a GMimeMessage (a milter, a filter built on
 * GMime): no second parse.  Include after bsclass.h; needs GMime 3.
 */
#ifndef BSCLASS_GMIME_H
#define BSCLASS_GMIME_H

#include <gmime/gmime.h>

#include "bsclass.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * bsc_classify_gmime: classifies @message as bsc_classify() classifies raw
 * bytes.  @message is only read (borrowed; not kept after the call, no
 * reference taken).  GMime must have been initialised by the caller
 * (g_mime_init()), which any program holding a GMimeMessage has done.
 * @out: receives the new result (free with bsc_result_free()).
 * Returns: BSC_OK, BSC_EINVAL (not a GMimeMessage) or BSC_ENOMEM.
 * Thread-safe for a shared @engine, as long as no other thread changes
 * @message meanwhile.
 */
BSC_API bsc_status_t bsc_classify_gmime (const bsc_engine_t *engine, GMimeMessage *message,
					 bsc_result_t **out);

#ifdef __cplusplus
}
#endif

#endif /* BSCLASS_GMIME_H */
