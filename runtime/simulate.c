/* In-memory ingest + run: the same reader, the same payload form and the same runner as
 * the store, so simulate's outbox is the store's outbox row for row. Records are kept
 * compactly (one fixed record + their bytes), grouped by contact with a counting sort,
 * and each contact runs once over its inputs in (at, seq) order. Contacts run in the
 * order they first appeared, as the store numbers them.
 *
 * Memory is bounded by the contacts, not the records: when the records outgrow a chunk,
 * it goes to a temporary file (simulate_spill.c). What stays in memory per record is its
 * slot in the id set (the id itself is read back from the file to confirm a match), so
 * a repeated id is still recognised. */
#include "simulate_internal.h"
#include "../common/mem.h"
#include "ingest.h"
#include "record.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int vt_sim_grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 1024;
    while (c < need) c *= 2;
    void *n = vt_realloc(*p, c * elem);
    if (!n) return -1;
    *p = n;
    *cap = c;
    return 0;
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
            if (vt_sim_read(c, c->ifd, blk, n * sizeof *blk, (uint64_t)s * sizeof *blk)) return vt_free(blk), vt_free(ns), -1;
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
                int r = vt_sim_spilled_is(c, seq, id, len, h);
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
    if (vt_sim_grow((void **)&c->names, &c->names_cap, c->nnames + 1, sizeof *c->names)) return -1;
    c->names[c->nnames] = stored;
    *out = (uint32_t)c->nnames++;
    return 0;
}

/* "field\0value" as the key map's key. */
static const char *key_of(sctx *c, const char *field, const char *v, size_t vl, size_t *len) {
    size_t fl = strlen(field);
    if (vt_sim_grow((void **)&c->keybuf, &c->keybuf_cap, fl + vl + 2, 1)) return NULL;
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
        vt_sim_grow((void **)&c->recs, &c->recs_cap, c->nrecs + 1, sizeof *c->recs) ||
        vt_sim_grow((void **)&c->bytes, &c->bytes_cap, c->nbytes + r->id_len + 1, 1))
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

int vt_sim_by_time(const void *a, const void *b) {
    const timed *x = a, *y = b;
    if (x->at != y->at) return x->at < y->at ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i; /* records are appended in ingest order */
}

/* The chunk's records grouped by contact (counting sort, stable): contact k's records
 * are (*idx)[(*start)[k] .. (*start)[k + 1]], in seq order. 0 or -1. */
int vt_sim_group(const sctx *c, uint32_t **startp, uint32_t **idxp) {
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

static int on_record(void *ud, const vt_inrec *r, const char *file, uint64_t line) {
    (void)file, (void)line;
    sctx *c = ud;
    if (finish_pending(c)) return c->oom = true, -1;
    if (c->nbytes + c->nrecs * sizeof(mrec) >= c->chunk && c->nrecs && vt_sim_spill(c)) return c->oom = true, -1;
    /* The common record, an event naming its contact by id, is appended at once and
     * decided on at the next record: the id set and the contact map are large and read
     * at random, so their slots are requested now and used one line later. */
    if (r->contact && r->type != VT_INPUT_CONTACT) {
        if (append(c, r, 0) || vt_sim_grow((void **)&c->bytes, &c->bytes_cap, c->nbytes + r->contact_len, 1))
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
int vt_sim_run_one(sctx *c, vt_runner *r, uint32_t ci, const vt_run_in *ins, size_t n, FILE *contacts_out,
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
    if (vt_sim_group(c, &start, &idx)) goto oom;
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
        if (vt_sim_grow((void **)&ins, &ins_cap, n + 1, sizeof *ins) || vt_sim_grow((void **)&tg, &tg_cap, n + 1, sizeof *tg))
            goto oom;
        bool sorted = true; /* inputs mostly come in time order: then there is nothing to sort */
        for (size_t i = 0; i < n; i++) {
            tg[i] = (timed){c->recs[g[i]].at, g[i]};
            if (i && tg[i].at < tg[i - 1].at) sorted = false;
        }
        if (!sorted) qsort(tg, n, sizeof *tg, vt_sim_by_time);
        for (size_t i = 0; i < n; i++) {
            const mrec *m = &c->recs[tg[i].i];
            ins[i] = (vt_run_in){m->type, m->at, (int64_t)tg[i].i, (const char *)c->bytes + m->off,
                                 c->bytes + m->off + m->id_len + 1, m->plen};
        }
        if (vt_sim_run_one(c, r, ci, ins, n, contacts_out, error)) goto out;
    }
    result = 0;
    goto out;
oom:
    if (error) *error = vt_strdup("out of memory");
out:
    vt_free(tg), vt_free(start), vt_free(idx), vt_free(ins);
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
    if (guess > 1024 && (ids_reserve(&c, guess) || vt_sim_grow((void **)&c.recs, &c.recs_cap, rguess, sizeof *c.recs)))
        goto oom;
    /* The records' bytes (id + payload) are a fraction of their lines: reserving a third
     * of the input (at most a chunk) saves copying them at each doubling (untouched
     * pages cost nothing). Only a hint: when it fails, the buffer grows as usual. */
    if (guess > 1024) (void)vt_sim_grow((void **)&c.bytes, &c.bytes_cap, bytes / 3 < c.chunk ? bytes / 3 : c.chunk, 1);
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
    if (c.nruns ? vt_sim_run_merged(&c, r, contacts_out, error) : run_memory(&c, r, contacts_out, error)) goto out;
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
