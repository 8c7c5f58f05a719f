/* `verity simulate`: ingest + run on an empty store, entirely in memory. */
#ifndef VT_SIMULATE_H
#define VT_SIMULATE_H
#include "runner.h"
#include <stdio.h>

typedef struct vt_sim_stats {
    uint64_t accepted, duplicates, rejected;
    vt_run_stats run;
    int64_t until;
} vt_sim_stats;

/* How much simulate keeps in memory. Records are held in a chunk of at most chunk_bytes
 * (0: VT_SIM_CHUNK); a full chunk is sorted and written to an unlinked temporary file in
 * tmpdir (NULL: $TMPDIR, else /tmp), and the files are merged at the end. */
typedef struct vt_sim_opts {
    size_t chunk_bytes;
    const char *tmpdir;
} vt_sim_opts;
#define VT_SIM_CHUNK ((size_t)64 << 20)

/* Reads the inputs (rejected lines to errs as file:line: reason), runs every contact up
 * to `until` (INT64_MIN: the latest event time), writes outbox rows (JSONL) to out and,
 * when contacts_out is not NULL, the final contacts (JSONL). 0, or -1 with *error. */
int vt_simulate(const vt_program *p, const char *const *paths, size_t npaths, int64_t until, FILE *out,
                FILE *contacts_out, FILE *errs, vt_sim_stats *stats, char **error);
/* vt_simulate with limits (o may be NULL: the defaults). */
int vt_simulate_opts(const vt_program *p, const char *const *paths, size_t npaths, int64_t until, FILE *out,
                     FILE *contacts_out, FILE *errs, vt_sim_stats *stats, const vt_sim_opts *o, char **error);

#endif
