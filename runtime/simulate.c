/* In-memory ingest + run: the same reader, the same payload form and the same runner as
 * the store, so simulate's outbox is the store's outbox row for row. Records are kept
 * compactly (one fixed record + their bytes), grouped by contact with a counting sort,
 * and each contact runs once over its inputs in (at, seq) order. Contacts run in the
 * order they first appeared, as the store numbers them.
 *
 * Memory is bounded by the contacts, not the records: when the records outgrow a chunk,
 * the chunk is sorted by (contact, at, seq) and written as one run to an unlinked
 * temporary file, and at the end the runs and the last chunk are merged one contact at
 * a time. What stays in memory per record is its slot in the id set (the id itself is
 * read back from the file to confirm a match), so a repeated id is still recognised. */
#include "simulate.h"
#include "../common/mem.h"
#include "ingest.h"
#include "record.h"
#include "strmap.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static int grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 1024;
    while (c < need) c *= 2;
    void *n = vt_realloc(*p, c * elem);
    if (!n) return -1;
    *p = n;
    *cap = c;
    return 0;
}

/* ---- the temporary files ------------------------------------------------------------ */

enum { E_CREATE, E_WRITE, E_READ, E_SHORT };

static int io_fail(sctx *c, int what, int e) {
    if (c->err) return -1;
    char m[1400];
    switch (what) {
    case E_CREATE:
        snprintf(m, sizeof m,
                 "the input is too large to simulate in memory alone, and no temporary file can be made in %.1000s (%s): set TMPDIR "
                 "to a writable directory with about as much free space as the input",
                 c->tmpdir, strerror(e));
        break;
    case E_WRITE:
        snprintf(m, sizeof m,
                 "cannot write the temporary file in %.1000s (%s): free some space there or set TMPDIR to "
                 "another directory",
                 c->tmpdir, strerror(e));
        break;
    case E_READ: snprintf(m, sizeof m, "cannot read back the temporary file in %.1000s (%s)", c->tmpdir, strerror(e)); break;
    default: snprintf(m, sizeof m, "the temporary file in %.1000s was cut short while simulate ran", c->tmpdir); break;
    }
    c->err = vt_strdup(m);
    return -1;
}

/* A file in tmpdir nobody else can open: unlinked at once, gone when closed. */
static int open_tmp(sctx *c, int *fd) {
    size_t n = strlen(c->tmpdir) + 32;
    char *path = vt_malloc(n);
    if (!path) return -1;
    snprintf(path, n, "%s/verity-simulate-XXXXXX", c->tmpdir);
    *fd = mkstemp(path);
    int e = errno;
    if (*fd >= 0) unlink(path);
    vt_free(path);
    return *fd < 0 ? io_fail(c, E_CREATE, e) : 0;
}

/* Writes the buffer at *pos (the file offset of wbuf[0]) and moves *pos past it. */
static int wflush(sctx *c, int fd, uint64_t *pos) {
    size_t done = 0;
    while (done < c->wlen) {
        ssize_t k = pwrite(fd, c->wbuf + done, c->wlen - done, (off_t)(*pos + done));
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return c->wlen = 0, io_fail(c, E_WRITE, k < 0 ? errno : ENOSPC);
        done += (size_t)k;
    }
    *pos += c->wlen;
    c->wlen = 0;
    return 0;
}

static int wput(sctx *c, int fd, uint64_t *pos, const void *p, size_t n) {
    const uint8_t *s = p;
    while (n) {
        if (c->wlen == WBUF && wflush(c, fd, pos)) return -1;
        size_t k = WBUF - c->wlen < n ? WBUF - c->wlen : n;
        memcpy(c->wbuf + c->wlen, s, k);
        c->wlen += k, s += k, n -= k;
    }
    return 0;
}

static int rd(sctx *c, int fd, void *p, size_t n, uint64_t off) {
    size_t done = 0;
    while (done < n) {
        ssize_t k = pread(fd, (char *)p + done, n - done, (off_t)(off + done));
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return io_fail(c, E_READ, errno);
        if (k == 0) return io_fail(c, E_SHORT, 0);
        done += (size_t)k;
    }
    return 0;
}

/* 1 when the spilled record `seq` has this id (hash h), 0 when not, -1 on error. */
static int spilled_is(sctx *c, uint32_t seq, const char *id, size_t len, uint64_t h) {
    sidx e;
    shdr hd;
    if (rd(c, c->ifd, &e, sizeof e, (uint64_t)seq * sizeof e)) return -1;
    if (e.hash != h) return 0;
    if (rd(c, c->fd, &hd, sizeof hd, e.off)) return -1;
    if (hd.id_len != len) return 0;
    if (grow((void **)&c->idbuf, &c->idbuf_cap, len + 1, 1) || rd(c, c->fd, c->idbuf, len, e.off + sizeof hd)) return -1;
    return !memcmp(c->idbuf, id, len);
}

/* ---- the id set --------------------------------------------------------------------- */

static int ids_resize(sctx *c, size_t ncap) {
    uint64_t *ns = vt_calloc(ncap, sizeof *ns);
    if (!ns) return -1;
    for (size_t i = 0; i < c->ids.cap; i++) {
        uint64_t sl = c->ids.slots[i];
        if (!sl || (uint32_t)sl - 1 < c->base) continue; /* spilled: from the index below */
        const mrec *m = &c->recs[(uint32_t)sl - 1 - c->base];
        size_t j = vt_strmap_hash((const char *)c->bytes + m->off, m->id_len) & (ncap - 1);
        while (ns[j]) j = (j + 1) & (ncap - 1);
        ns[j] = sl;
    }
    /* Every spilled record was accepted, so each has a slot: rebuild them in seq order
     * from the hashes in the index, reading it in blocks. */
    if (c->base) {
        enum { B = 4096 };
        sidx *blk = vt_malloc(B * sizeof *blk);
        if (!blk) return vt_free(ns), -1;
        for (uint32_t s = 0; s < c->base; s += B) {
            uint32_t n = c->base - s < B ? c->base - s : B;
            if (rd(c, c->ifd, blk, n * sizeof *blk, (uint64_t)s * sizeof *blk)) return vt_free(blk), vt_free(ns), -1;
            for (uint32_t k = 0; k < n; k++) {
                uint64_t h = blk[k].hash;
                size_t j = h & (ncap - 1);
                while (ns[j]) j = (j + 1) & (ncap - 1);
                ns[j] = h >> 32 << 32 | (s + k + 1);
            }
        }
        vt_free(blk);
    }
    vt_free(c->ids.slots);
    c->ids.slots = ns;
    c->ids.cap = ncap;
    return 0;
}

/* Room for n ids without growing; 0 or -1. */
static int ids_reserve(sctx *c, size_t n) {
    size_t cap = c->ids.cap ? c->ids.cap : 1024;
    while ((n + 1) * 4 > cap * 3) cap *= 2;
    return cap == c->ids.cap ? 0 : ids_resize(c, cap);
}

/* 1 when the id (hash h) was accepted before; else 0 with *slot where it goes and *tag
 * for it; -1 when a spilled id cannot be read back. */
static int ids_find(sctx *c, const char *id, size_t len, uint64_t h, size_t *slot, uint64_t *tag) {
    *tag = h >> 32 << 32;
    size_t mask = c->ids.cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint64_t sl = c->ids.slots[i];
        if (!sl) {
            *slot = i;
            return 0;
        }
        if (sl >> 32 == h >> 32) {
            uint32_t seq = (uint32_t)sl - 1;
            if (seq >= c->base) {
                const mrec *m = &c->recs[seq - c->base];
                if (m->id_len == len && !memcmp(c->bytes + m->off, id, len)) return 1;
            } else {
                int r = spilled_is(c, seq, id, len, h);
                if (r) return r;
            }
        }
    }
}

/* ---- reading ------------------------------------------------------------------------ */

static int contact_index(sctx *c, const char *id, size_t len, uint64_t hash, uint32_t *out) {
    uint32_t existing;
    const char *stored;
    int r = vt_strmap_put_hashed(&c->contacts, id, len, hash, (uint32_t)c->nnames, &existing, &stored);
    if (r < 0) return -1;
    if (r == 0) {
        *out = existing;
        return 0;
    }
    if (grow((void **)&c->names, &c->names_cap, c->nnames + 1, sizeof *c->names)) return -1;
    c->names[c->nnames] = stored;
    *out = (uint32_t)c->nnames++;
    return 0;
}

/* "field\0value" as the key map's key. */
static const char *key_of(sctx *c, const char *field, const char *v, size_t vl, size_t *len) {
    size_t fl = strlen(field);
    if (grow((void **)&c->keybuf, &c->keybuf_cap, fl + vl + 2, 1)) return NULL;
    memcpy(c->keybuf, field, fl + 1);
    memcpy(c->keybuf + fl + 1, v, vl);
    *len = fl + 1 + vl;
    return c->keybuf;
}

/* Appends the record (id, payload) to recs/bytes, for contact ci. 0 or -1. */
static int append(sctx *c, const vt_inrec *r, uint32_t ci) {
    const vt_schema_field *fs = r->type == VT_INPUT_CONTACT ? c->s->contact_fields : c->s->events[r->type].fields;
    /* The id (NUL-terminated), then the payload encoded in place after it. */
    if (r->id_len > UINT32_MAX || (uint64_t)c->base + c->nrecs >= UINT32_MAX - 1 ||
        grow((void **)&c->recs, &c->recs_cap, c->nrecs + 1, sizeof *c->recs) ||
        grow((void **)&c->bytes, &c->bytes_cap, c->nbytes + r->id_len + 1, 1))
        return -1;
    memcpy(c->bytes + c->nbytes, r->id, r->id_len);
    c->bytes[c->nbytes + r->id_len] = 0;
    long plen = vt_payload_encode_at(c->s, fs, r->nvalues, r->values, &c->bytes, &c->bytes_cap, c->nbytes + r->id_len + 1);
    if (plen < 0 || (uint64_t)plen > UINT32_MAX) return -1;
    mrec *m = &c->recs[c->nrecs++];
    m->contact = ci;
    m->type = r->type;
    m->at = r->at;
    m->off = c->nbytes;
    m->id_len = (uint32_t)r->id_len;
    m->plen = (uint32_t)plen;
    c->nbytes += r->id_len + 1 + (size_t)plen;
    return 0;
}

static void accepted(sctx *c, uint64_t tag, size_t slot, int64_t at) {
    c->ids.slots[slot] = tag | (c->base + c->nrecs); /* the last record's seq + 1 */
    c->ids.count++;
    if (c->stats->accepted++ == 0 || at > c->max_at) c->max_at = at;
}

/* Decides on the pending record (the last one appended): a duplicate is taken back;
 * otherwise its contact is looked up (its id copied after the record's bytes). By now,
 * one line later, the slots both lookups touch have been loaded. 0 or -1. */
static int finish_pending(sctx *c) {
    if (!c->pending) return 0;
    c->pending = false;
    mrec *m = &c->recs[c->nrecs - 1];
    size_t slot;
    uint64_t tag;
    if (ids_reserve(c, c->ids.count + 1)) return -1;
    int dup = ids_find(c, (const char *)c->bytes + m->off, m->id_len, c->pending_hash, &slot, &tag);
    if (dup < 0) return -1;
    if (dup) {
        c->nrecs--;
        c->nbytes = m->off;
        c->stats->duplicates++;
        return 0;
    }
    uint32_t ci;
    if (contact_index(c, (const char *)c->bytes + c->nbytes, c->pending_clen, c->pending_chash, &ci)) return -1;
    m = &c->recs[c->nrecs - 1];
    m->contact = ci;
    accepted(c, tag, slot, m->at);
    return 0;
}

/* Sort keys carry what they compare, so no comparator needs shared state. */
typedef struct timed { int64_t at; uint32_t i; } timed;
static int by_time(const void *a, const void *b) {
    const timed *x = a, *y = b;
    if (x->at != y->at) return x->at < y->at ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i; /* records are appended in ingest order */
}

/* The chunk's records grouped by contact (counting sort, stable): contact k's records
 * are (*idx)[(*start)[k] .. (*start)[k + 1]], in seq order. 0 or -1. */
static int group(const sctx *c, uint32_t **startp, uint32_t **idxp) {
    size_t nc = c->nnames, nr = c->nrecs;
    uint32_t *start = vt_calloc(nc + 2, sizeof *start), *idx = vt_malloc((nr + 1) * sizeof *idx);
    *startp = start, *idxp = idx;
    if (!start || !idx) return -1;
    for (size_t i = 0; i < nr; i++) start[c->recs[i].contact + 1]++;
    for (size_t i = 0; i < nc; i++) start[i + 1] += start[i];
    for (size_t i = 0; i < nr; i++) idx[start[c->recs[i].contact]++] = (uint32_t)i;
    for (size_t i = nc; i > 0; i--) start[i] = start[i - 1];
    start[0] = 0;
    return 0;
}

/* Writes the chunk as one run sorted by (contact, at, seq), its index entries after the
 * earlier ones, and empties it. 0 or -1. */
static int spill(sctx *c) {
    if (c->fd < 0 && open_tmp(c, &c->fd)) return -1;
    if (c->ifd < 0 && open_tmp(c, &c->ifd)) return -1;
    if (!c->wbuf && !(c->wbuf = vt_malloc(WBUF))) return -1;
    if (grow((void **)&c->runs, &c->runs_cap, c->nruns + 1, sizeof *c->runs)) return -1;
    int rc = -1;
    uint32_t *start, *idx;
    uint64_t *offs = vt_malloc((c->nrecs + 1) * sizeof *offs);
    timed *tg = NULL;
    size_t tg_cap = 0;
    if (group(c, &start, &idx) || !offs) goto out;
    uint64_t pos = c->fend;
    for (size_t k = 0; k < c->nnames; k++) {
        size_t n = start[k + 1] - start[k];
        if (!n) continue;
        if (grow((void **)&tg, &tg_cap, n, sizeof *tg)) goto out;
        bool sorted = true;
        for (size_t i = 0; i < n; i++) {
            uint32_t j = idx[start[k] + i];
            tg[i] = (timed){c->recs[j].at, j};
            if (i && tg[i].at < tg[i - 1].at) sorted = false;
        }
        if (!sorted) qsort(tg, n, sizeof *tg, by_time);
        for (size_t i = 0; i < n; i++) {
            const mrec *m = &c->recs[tg[i].i];
            shdr h = {m->contact, m->type, m->at, (uint64_t)c->base + tg[i].i, m->id_len, m->plen};
            offs[tg[i].i] = pos + c->wlen;
            if (wput(c, c->fd, &pos, &h, sizeof h) || wput(c, c->fd, &pos, c->bytes + m->off, (size_t)m->id_len + 1 + m->plen))
                goto out;
        }
    }
    if (wflush(c, c->fd, &pos)) goto out;
    c->runs[c->nruns++] = (srun){c->fend, pos};
    c->fend = pos;
    uint64_t ipos = (uint64_t)c->base * sizeof(sidx);
    for (size_t i = 0; i < c->nrecs; i++) {
        const mrec *m = &c->recs[i];
        sidx e = {offs[i], vt_strmap_hash((const char *)c->bytes + m->off, m->id_len)};
        if (wput(c, c->ifd, &ipos, &e, sizeof e)) goto out;
    }
    if (wflush(c, c->ifd, &ipos)) goto out;
    c->base += (uint32_t)c->nrecs;
    c->nrecs = c->nbytes = 0;
    rc = 0;
out:
    vt_free(start), vt_free(idx), vt_free(offs), vt_free(tg);
    return rc;
}

static int on_record(void *ud, const vt_inrec *r, const char *file, uint64_t line) {
    (void)file, (void)line;
    sctx *c = ud;
    if (finish_pending(c)) return c->oom = true, -1;
    if (c->nbytes + c->nrecs * sizeof(mrec) >= c->chunk && c->nrecs && spill(c)) return c->oom = true, -1;
    /* The common record, an event naming its contact by id, is appended at once and
     * decided on at the next record: the id set and the contact map are large and read
     * at random, so their slots are requested now and used one line later. */
    if (r->contact && r->type != VT_INPUT_CONTACT) {
        if (append(c, r, 0) || grow((void **)&c->bytes, &c->bytes_cap, c->nbytes + r->contact_len, 1))
            return c->oom = true, -1;
        memcpy(c->bytes + c->nbytes, r->contact, r->contact_len);
        c->pending = true;
        c->pending_clen = r->contact_len;
        c->pending_hash = vt_strmap_hash(r->id, r->id_len);
        c->pending_chash = vt_strmap_hash(r->contact, r->contact_len);
        if (ids_reserve(c, c->ids.count + 1)) return c->oom = true, -1;
#if defined(__GNUC__)
        __builtin_prefetch(&c->ids.slots[c->pending_hash & (c->ids.cap - 1)]);
        if (c->contacts.cap) __builtin_prefetch(&c->contacts.slots[c->pending_chash & (c->contacts.cap - 1)]);
#endif
        return 0;
    }
    size_t slot;
    uint64_t tag;
    if (ids_reserve(c, c->ids.count + 1)) return c->oom = true, -1;
    int dup = ids_find(c, r->id, r->id_len, vt_strmap_hash(r->id, r->id_len), &slot, &tag);
    if (dup < 0) return c->oom = true, -1;
    if (dup) {
        c->stats->duplicates++;
        return 0;
    }
    uint32_t ci;
    if (r->contact) {
        if (contact_index(c, r->contact, r->contact_len, vt_strmap_hash(r->contact, r->contact_len), &ci))
            return c->oom = true, -1;
    } else {
        size_t kl;
        const char *k = key_of(c, c->s->contact_fields[r->key_field].name, r->key, r->key_len, &kl);
        if (!k) return c->oom = true, -1;
        int64_t known = vt_strmap_get(&c->keys, k, kl);
        if (known >= 0) {
            ci = (uint32_t)known;
        } else {
            if (contact_index(c, r->key, r->key_len, vt_strmap_hash(r->key, r->key_len), &ci)) return c->oom = true, -1;
            k = key_of(c, c->s->contact_fields[r->key_field].name, r->key, r->key_len, &kl);
            if (!k || vt_strmap_put(&c->keys, k, kl, ci, NULL, NULL) < 0) return c->oom = true, -1;
        }
    }
    if (r->type == VT_INPUT_CONTACT)
        for (uint32_t i = 0; i < r->nvalues; i++)
            if (c->s->contact_fields[i].key && r->values[i].type == VT_V_TEXT) {
                size_t kl;
                const char *k = key_of(c, c->s->contact_fields[i].name, r->values[i].u.s.p, r->values[i].u.s.len, &kl);
                if (!k || vt_strmap_put(&c->keys, k, kl, ci, NULL, NULL) < 0) return c->oom = true, -1;
            }
    if (append(c, r, ci)) return c->oom = true, -1;
    accepted(c, tag, slot, r->at);
    return 0;
}

static int on_reject(void *ud, const char *file, uint64_t line, const char *why, const char *text, size_t len) {
    (void)text, (void)len;
    sctx *c = ud;
    if (++c->stats->rejected <= 1000) fprintf(c->errs, "%s:%llu: %s\n", file, (unsigned long long)line, why);
    return 0;
}

static int on_row(void *ud, const vt_outrow *r) {
    sctx *c = ud;
    vt_outrow_jsonl(c->out, r);
    return ferror(c->out) ? -1 : 0;
}

/* ---- running ------------------------------------------------------------------------ */

/* Runs one contact over its inputs (sorted) and writes its final state. 0 or -1. */
static int run_one(sctx *c, vt_runner *r, uint32_t ci, const vt_run_in *ins, size_t n, FILE *contacts_out,
                   char **error) {
    int64_t clock = INT64_MIN;
    if (vt_runner_contact(r, c->names[ci], NULL, 0, &clock, ins, n, c->stats->until)) {
        if (error) *error = vt_strdup(vt_runner_error(r));
        return -1;
    }
    const vt_contact *ct = vt_runner_state(r);
    if (ct && contacts_out) vt_contact_jsonl(contacts_out, c->s, ct);
    return 0;
}

/* Everything in one chunk: each contact's records straight from memory. */
static int run_memory(sctx *c, vt_runner *r, FILE *contacts_out, char **error) {
    int result = -1;
    timed *tg = NULL;
    uint32_t *start = NULL, *idx = NULL;
    vt_run_in *ins = NULL;
    size_t nc = c->nnames;
    if (group(c, &start, &idx)) goto oom;
    size_t ins_cap = 0, tg_cap = 0;
    for (size_t k = 0; k < nc; k++) {
        uint32_t ci = (uint32_t)k;
        uint32_t *g = idx + start[ci];
        size_t n = start[ci + 1] - start[ci];
        /* A contact's records are scattered over the input: while this one runs, start
         * loading the records of the contact after next and the payloads of the next
         * (whose records were requested one contact ago). */
        if (k + 2 < nc)
            for (uint32_t i = start[ci + 2]; i < start[ci + 3]; i++) __builtin_prefetch(&c->recs[idx[i]]);
        if (k + 1 < nc)
            for (uint32_t i = start[ci + 1]; i < start[ci + 2]; i++) __builtin_prefetch(c->bytes + c->recs[idx[i]].off);
        if (grow((void **)&ins, &ins_cap, n + 1, sizeof *ins) || grow((void **)&tg, &tg_cap, n + 1, sizeof *tg))
            goto oom;
        bool sorted = true; /* inputs mostly come in time order: then there is nothing to sort */
        for (size_t i = 0; i < n; i++) {
            tg[i] = (timed){c->recs[g[i]].at, g[i]};
            if (i && tg[i].at < tg[i - 1].at) sorted = false;
        }
        if (!sorted) qsort(tg, n, sizeof *tg, by_time);
        for (size_t i = 0; i < n; i++) {
            const mrec *m = &c->recs[tg[i].i];
            ins[i] = (vt_run_in){m->type, m->at, (int64_t)tg[i].i, (const char *)c->bytes + m->off,
                                 c->bytes + m->off + m->id_len + 1, m->plen};
        }
        if (run_one(c, r, ci, ins, n, contacts_out, error)) goto out;
    }
    result = 0;
    goto out;
oom:
    if (error) *error = vt_strdup("out of memory");
out:
    vt_free(tg), vt_free(start), vt_free(idx), vt_free(ins);
    return result;
}

/* A run being read back, through its own small buffer. */
typedef struct rrun {
    uint64_t pos, end;    /* the file's next unread byte, the run's end */
    uint8_t *buf;
    size_t cap, len, at;
    shdr head;            /* its next record's header, when live */
    bool live;
} rrun;

/* At least `need` (<= cap) unread bytes in the buffer. */
static int rr_fill(sctx *c, rrun *q, size_t need) {
    if (q->len - q->at >= need) return 0;
    memmove(q->buf, q->buf + q->at, q->len - q->at);
    q->len -= q->at, q->at = 0;
    size_t want = q->cap - q->len;
    if (want > q->end - q->pos) want = (size_t)(q->end - q->pos);
    if (q->len + want < need) return io_fail(c, E_SHORT, 0);
    if (rd(c, c->fd, q->buf + q->len, want, q->pos)) return -1;
    q->pos += want, q->len += want;
    return 0;
}

static int rr_next(sctx *c, rrun *q) {
    q->live = q->at < q->len || q->pos < q->end;
    if (!q->live) return 0;
    if (rr_fill(c, q, sizeof q->head)) return -1;
    memcpy(&q->head, q->buf + q->at, sizeof q->head);
    q->at += sizeof q->head;
    return 0;
}

static int rr_take(sctx *c, rrun *q, uint8_t *dst, size_t n) {
    while (n) {
        if (q->at == q->len && rr_fill(c, q, 1)) return -1;
        size_t k = q->len - q->at < n ? q->len - q->at : n;
        memcpy(dst, q->buf + q->at, k);
        q->at += k, dst += k, n -= k;
    }
    return 0;
}

/* A min-heap of live runs by their next record's contact. */
static bool heap_less(const rrun *q, uint32_t a, uint32_t b) {
    return q[a].head.contact != q[b].head.contact ? q[a].head.contact < q[b].head.contact : a < b;
}
static void heap_down(const rrun *q, uint32_t *h, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < n && heap_less(q, h[l], h[m])) m = l;
        if (l + 1 < n && heap_less(q, h[l + 1], h[m])) m = l + 1;
        if (m == i) return;
        uint32_t t = h[i];
        h[i] = h[m], h[m] = t, i = m;
    }
}

/* One input of the contact being merged: its bytes are in the chunk or in cbuf. */
typedef struct gin {
    int64_t at;
    uint64_t seq;
    int32_t type;
    uint32_t id_len, plen;
    bool mem;
    uint64_t off;
} gin;
static int by_at_seq(const void *a, const void *b) {
    const gin *x = a, *y = b;
    if (x->at != y->at) return x->at < y->at ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Records spilled: merges the runs and the last chunk, one contact at a time, in the
 * order run_memory would use, so the output is the same byte for byte. */
static int run_merged(sctx *c, vt_runner *r, FILE *contacts_out, char **error) {
    int result = -1;
    uint32_t *start = NULL, *idx = NULL, *heap = NULL;
    rrun *q = vt_calloc(c->nruns, sizeof *q);
    gin *g = NULL;
    vt_run_in *ins = NULL;
    uint8_t *cbuf = NULL;
    size_t g_cap = 0, ins_cap = 0, cbuf_cap = 0, nh = 0;
    if (!q || !(heap = vt_malloc(c->nruns * sizeof *heap)) || group(c, &start, &idx)) goto oom;
    size_t per = MERGE_BUFS / c->nruns < MIN_RUN_BUF ? MIN_RUN_BUF : MERGE_BUFS / c->nruns;
    for (size_t i = 0; i < c->nruns; i++) {
        q[i].pos = c->runs[i].start, q[i].end = c->runs[i].end;
        q[i].cap = c->runs[i].end - c->runs[i].start < per ? (size_t)(c->runs[i].end - c->runs[i].start) : per;
        if (!(q[i].buf = vt_malloc(q[i].cap))) goto oom;
        if (rr_next(c, &q[i])) goto io;
        if (q[i].live) heap[nh++] = (uint32_t)i;
    }
    for (size_t i = nh / 2; i-- > 0;) heap_down(q, heap, nh, i);
    for (uint32_t ci = 0; ci < c->nnames; ci++) {
        size_t n = 0, clen = 0;
        while (nh && q[heap[0]].head.contact == ci) {
            rrun *h = &q[heap[0]];
            do {
                size_t len = (size_t)h->head.id_len + 1 + h->head.plen;
                if (grow((void **)&g, &g_cap, n + 1, sizeof *g) || grow((void **)&cbuf, &cbuf_cap, clen + len, 1))
                    goto oom;
                g[n++] = (gin){h->head.at, h->head.seq, h->head.type, h->head.id_len, h->head.plen, false, clen};
                if (rr_take(c, h, cbuf + clen, len)) goto io;
                clen += len;
                if (rr_next(c, h)) goto io;
            } while (h->live && h->head.contact == ci);
            if (!h->live) heap[0] = heap[--nh];
            heap_down(q, heap, nh, 0);
        }
        size_t nm = start[ci + 1] - start[ci];
        if (grow((void **)&g, &g_cap, n + nm + 1, sizeof *g) || grow((void **)&ins, &ins_cap, n + nm + 1, sizeof *ins))
            goto oom;
        for (size_t i = start[ci]; i < start[ci + 1]; i++) {
            const mrec *m = &c->recs[idx[i]];
            g[n++] = (gin){m->at, (uint64_t)c->base + idx[i], m->type, m->id_len, m->plen, true, m->off};
        }
        bool sorted = true;
        for (size_t i = 1; i < n && sorted; i++) sorted = by_at_seq(&g[i - 1], &g[i]) < 0;
        if (!sorted) qsort(g, n, sizeof *g, by_at_seq);
        for (size_t i = 0; i < n; i++) {
            const uint8_t *b = (g[i].mem ? c->bytes : cbuf) + g[i].off;
            ins[i] = (vt_run_in){g[i].type, g[i].at, (int64_t)g[i].seq, (const char *)b, b + g[i].id_len + 1, g[i].plen};
        }
        if (run_one(c, r, ci, ins, n, contacts_out, error)) goto out;
    }
    result = 0;
    goto out;
io:
    if (error) *error = c->err ? c->err : vt_strdup("out of memory");
    c->err = NULL;
    goto out;
oom:
    if (error) *error = vt_strdup("out of memory");
out:
    if (q)
        for (size_t i = 0; i < c->nruns; i++) vt_free(q[i].buf);
    vt_free(q), vt_free(heap), vt_free(start), vt_free(idx), vt_free(g), vt_free(ins), vt_free(cbuf);
    return result;
}

int vt_simulate(const vt_program *p, const char *const *paths, size_t npaths, int64_t until, FILE *out,
                FILE *contacts_out, FILE *errs, vt_sim_stats *stats, char **error) {
    return vt_simulate_opts(p, paths, npaths, until, out, contacts_out, errs, stats, NULL, error);
}

int vt_simulate_opts(const vt_program *p, const char *const *paths, size_t npaths, int64_t until, FILE *out,
                     FILE *contacts_out, FILE *errs, vt_sim_stats *stats, const vt_sim_opts *o, char **error) {
    memset(stats, 0, sizeof *stats);
    sctx c = {.s = vt_program_schema(p), .stats = stats, .errs = errs, .out = out, .fd = -1, .ifd = -1};
    c.chunk = o && o->chunk_bytes ? o->chunk_bytes : VT_SIM_CHUNK;
    c.tmpdir = o && o->tmpdir ? o->tmpdir : getenv("TMPDIR");
    if (!c.tmpdir || !*c.tmpdir) c.tmpdir = "/tmp";
    vt_strmap_init(&c.contacts);
    vt_strmap_init(&c.keys);
    int result = -1;
    vt_runner *r = NULL;
    vt_ingest *x = vt_ingest_new(c.s, error);
    if (!x) goto out;
    vt_ingest_sink sink = {&c, on_record, on_reject};
    /* Size the id set and the record arrays from the inputs' sizes (about 100 bytes a
     * line), so a large export does not pay for repeated growth. A guess: too small
     * only means growing as usual. */
    size_t bytes = 0;
    for (size_t i = 0; i < npaths; i++) {
        struct stat sb;
        if (strcmp(paths[i], "-") && stat(paths[i], &sb) == 0 && S_ISREG(sb.st_mode)) bytes += (size_t)sb.st_size;
    }
    size_t guess = bytes / 100, rguess = guess < c.chunk / sizeof(mrec) ? guess : c.chunk / sizeof(mrec) + 1;
    if (guess > 1024 && (ids_reserve(&c, guess) || grow((void **)&c.recs, &c.recs_cap, rguess, sizeof *c.recs)))
        goto oom;
    /* The records' bytes (id + payload) are a fraction of their lines: reserving a third
     * of the input (at most a chunk) saves copying them at each doubling (untouched
     * pages cost nothing). Only a hint: when it fails, the buffer grows as usual. */
    if (guess > 1024) (void)grow((void **)&c.bytes, &c.bytes_cap, bytes / 3 < c.chunk ? bytes / 3 : c.chunk, 1);
    for (size_t i = 0; i < npaths; i++)
        if (vt_ingest_file(x, paths[i], &sink, error)) {
            if (c.oom && error) *error = c.err ? c.err : vt_strdup("out of memory"), c.err = NULL;
            goto out;
        }
    if (finish_pending(&c)) {
        if (error) *error = c.err ? c.err : vt_strdup("out of memory"), c.err = NULL;
        goto out;
    }
    stats->until = until == INT64_MIN ? (stats->accepted ? c.max_at : 0) : until;
    /* The id set has done its work: its memory goes back before the run. */
    vt_free(c.ids.slots);
    c.ids = (idset){0};
    vt_run_sink rs = {&c, on_row, NULL};
    r = vt_runner_new(p, &rs, error);
    if (!r) goto out;
    if (c.nruns ? run_merged(&c, r, contacts_out, error) : run_memory(&c, r, contacts_out, error)) goto out;
    stats->run = *vt_runner_stats(r);
    result = 0;
    goto out;
oom:
    if (error) *error = vt_strdup("out of memory");
out:
    vt_runner_free(r);
    vt_ingest_free(x);
    if (c.fd >= 0) close(c.fd);
    if (c.ifd >= 0) close(c.ifd);
    vt_free(c.ids.slots), vt_strmap_free(&c.contacts), vt_strmap_free(&c.keys);
    vt_free(c.names), vt_free(c.recs), vt_free(c.bytes), vt_free(c.keybuf);
    vt_free(c.runs), vt_free(c.wbuf), vt_free(c.idbuf), vt_free(c.err);
    return result;
}
