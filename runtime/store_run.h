/* `verity ingest` and `verity run` on the store: records in, decisions out, each in
 * large transactions; a run commits state, outbox, audit and its progress together. */
#ifndef VT_STORE_RUN_H
#define VT_STORE_RUN_H
#include "ingest.h"
#include "runner.h"
#include "store.h"
#include <stdio.h>

typedef struct vt_ingest_stats {
    uint64_t accepted, duplicates, rejected;
} vt_ingest_stats;

/* Ingests the inputs into the store. Rejected lines are kept in the `rejected` table
 * and printed to `errs` (file:line: reason); `progress` draws a bar on errs. Returns 0,
 * or -1 with a message in *error (vt_free) when a file or the store cannot be used. */
int vt_store_ingest(vt_store *st, const vt_program *p, const char *const *paths, size_t npaths, FILE *errs,
                    bool progress, vt_ingest_stats *stats, char **error);

/* Runs the program over what is new in the store, up to `until` (VT_UNTIL_LATEST: the
 * latest event time in the store). A run that was interrupted is finished first, with
 * its own `until`. Returns 0, or -1 with a message in *error. */
#define VT_UNTIL_LATEST INT64_MIN
int vt_store_run(vt_store *st, const vt_program *p, int64_t until, vt_run_stats *stats, int64_t *until_used,
                 char **error);

#endif
