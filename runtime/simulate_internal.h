/* simulate's insides, shared by simulate.c (reading the inputs into a chunk of records,
 * the id set, running from memory) and simulate_spill.c (chunks sorted into temporary
 * files, merged back one contact at a time). */
#ifndef VT_SIMULATE_INTERNAL_H
#define VT_SIMULATE_INTERNAL_H
#include "simulate.h"
#include "runner.h"
#include "strmap.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct mrec {
    uint32_t contact;
    int32_t type;
    int64_t at;
    uint64_t off;      /* id (NUL-terminated), then payload */
    uint32_t id_len, plen;
} mrec;

/* A spilled record in the run file: this, then its id (NUL-terminated) and payload. */
typedef struct shdr {
    uint32_t contact;
    int32_t type;
    int64_t at;
    uint64_t seq;
    uint32_t id_len, plen;
} shdr;

/* The index file, one entry per spilled record by seq: where it is in the run file and
 * its id's hash (to rebuild the id set and to skip most reads on a tag match). */
typedef struct sidx {
    uint64_t off, hash;
} sidx;

typedef struct srun {
    uint64_t start, end;
} srun;

/* The ids accepted so far. A slot holds the id's hash tag and its record's seq + 1: the
 * id itself is read from the record's bytes (or the run file once spilled), so it is
 * stored once, and a new id costs one probe of this table and nothing else. */
typedef struct idset {
    uint64_t *slots; /* 0 = empty */
    size_t cap, count;
} idset;

typedef struct sctx {
    const vt_schema *s;
    vt_sim_stats *stats;
    FILE *errs, *out;
    idset ids;
    vt_strmap contacts, keys;
    const char **names;   /* contact index -> id */
    size_t nnames, names_cap;
    mrec *recs;           /* the chunk: records base .. base + nrecs - 1 */
    size_t nrecs, recs_cap;
    uint8_t *bytes;
    size_t nbytes, bytes_cap;
    char *keybuf;
    size_t keybuf_cap;
    int64_t max_at;
    bool oom;
    /* on_record: the last record appended awaits its duplicate check and contact */
    bool pending;
    size_t pending_clen;
    uint64_t pending_hash, pending_chash; /* of its id, of its contact's id */
    /* spilling */
    size_t chunk;         /* a chunk is full at nbytes + nrecs * sizeof(mrec) >= chunk */
    uint32_t base;        /* seq of recs[0]; earlier records are in the run file */
    const char *tmpdir;
    int fd, ifd;          /* run file, index file; -1 until the first spill */
    uint64_t fend;        /* run file length */
    srun *runs;
    size_t nruns, runs_cap;
    uint8_t *wbuf;
    size_t wlen;
    char *idbuf;
    size_t idbuf_cap;
    char *err;            /* a message other than "out of memory" */
} sctx;

enum { WBUF = 1 << 20, MERGE_BUFS = 16 << 20, MIN_RUN_BUF = 4096 };

/* Sort keys carry what they compare, so no comparator needs shared state. */
typedef struct timed { int64_t at; uint32_t i; } timed;

/* simulate.c */
int vt_sim_grow(void **p, size_t *cap, size_t need, size_t elem);
int vt_sim_by_time(const void *a, const void *b);
/* The chunk's records grouped by contact (counting sort, stable): contact k's records
 * are (*idx)[(*start)[k] .. (*start)[k + 1]], in seq order. 0 or -1. */
int vt_sim_group(const sctx *c, uint32_t **startp, uint32_t **idxp);
/* Runs one contact over its inputs (sorted) and writes its final state. 0 or -1. */
int vt_sim_run_one(sctx *c, vt_runner *r, uint32_t ci, const vt_run_in *ins, size_t n, FILE *contacts_out,
                   char **error);

/* simulate_spill.c */
/* Reads n bytes at off of a temporary file; 0, or -1 with the reason in c->err. */
int vt_sim_read(sctx *c, int fd, void *p, size_t n, uint64_t off);
/* Is the spilled record `seq` the one with this id (hash h)? 1, 0, or -1 on an error. */
int vt_sim_spilled_is(sctx *c, uint32_t seq, const char *id, size_t len, uint64_t h);
/* Writes the chunk as one run sorted by (contact, at, seq) and empties it. 0 or -1. */
int vt_sim_spill(sctx *c);
/* Merges the runs and the last chunk, one contact at a time, in the order of the
 * in-memory path, so the output is the same byte for byte. 0 or -1. */
int vt_sim_run_merged(sctx *c, vt_runner *r, FILE *contacts_out, char **error);

#endif
