/* simulate's temporary files: when the records outgrow a chunk, the chunk is sorted by
 * (contact, at, seq) and written as one run to an unlinked temporary file (with an index
 * of where each record went and its id's hash, for the id set); at the end the runs and
 * the last chunk are merged one contact at a time, so memory stays bounded by the
 * contacts whatever the size of the input. */
#include "simulate_internal.h"
#include "../common/mem.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int vt_sim_read(sctx *c, int fd, void *p, size_t n, uint64_t off) {
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
int vt_sim_spilled_is(sctx *c, uint32_t seq, const char *id, size_t len, uint64_t h) {
    sidx e;
    shdr hd;
    if (vt_sim_read(c, c->ifd, &e, sizeof e, (uint64_t)seq * sizeof e)) return -1;
    if (e.hash != h) return 0;
    if (vt_sim_read(c, c->fd, &hd, sizeof hd, e.off)) return -1;
    if (hd.id_len != len) return 0;
    if (vt_sim_grow((void **)&c->idbuf, &c->idbuf_cap, len + 1, 1) || vt_sim_read(c, c->fd, c->idbuf, len, e.off + sizeof hd)) return -1;
    return !memcmp(c->idbuf, id, len);
}

/* Writes the chunk as one run sorted by (contact, at, seq), its index entries after the
 * earlier ones, and empties it. 0 or -1. */
int vt_sim_spill(sctx *c) {
    if (c->fd < 0 && open_tmp(c, &c->fd)) return -1;
    if (c->ifd < 0 && open_tmp(c, &c->ifd)) return -1;
    if (!c->wbuf && !(c->wbuf = vt_malloc(WBUF))) return -1;
    if (vt_sim_grow((void **)&c->runs, &c->runs_cap, c->nruns + 1, sizeof *c->runs)) return -1;
    int rc = -1;
    uint32_t *start, *idx;
    uint64_t *offs = vt_malloc((c->nrecs + 1) * sizeof *offs);
    timed *tg = NULL;
    size_t tg_cap = 0;
    if (vt_sim_group(c, &start, &idx) || !offs) goto out;
    uint64_t pos = c->fend;
    for (size_t k = 0; k < c->nnames; k++) {
        size_t n = start[k + 1] - start[k];
        if (!n) continue;
        if (vt_sim_grow((void **)&tg, &tg_cap, n, sizeof *tg)) goto out;
        bool sorted = true;
        for (size_t i = 0; i < n; i++) {
            uint32_t j = idx[start[k] + i];
            tg[i] = (timed){c->recs[j].at, j};
            if (i && tg[i].at < tg[i - 1].at) sorted = false;
        }
        if (!sorted) qsort(tg, n, sizeof *tg, vt_sim_by_time);
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
    if (vt_sim_read(c, c->fd, q->buf + q->len, want, q->pos)) return -1;
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
int vt_sim_run_merged(sctx *c, vt_runner *r, FILE *contacts_out, char **error) {
    int result = -1;
    uint32_t *start = NULL, *idx = NULL, *heap = NULL;
    rrun *q = vt_calloc(c->nruns, sizeof *q);
    gin *g = NULL;
    vt_run_in *ins = NULL;
    uint8_t *cbuf = NULL;
    size_t g_cap = 0, ins_cap = 0, cbuf_cap = 0, nh = 0;
    if (!q || !(heap = vt_malloc(c->nruns * sizeof *heap)) || vt_sim_group(c, &start, &idx)) goto oom;
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
                if (vt_sim_grow((void **)&g, &g_cap, n + 1, sizeof *g) || vt_sim_grow((void **)&cbuf, &cbuf_cap, clen + len, 1))
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
        if (vt_sim_grow((void **)&g, &g_cap, n + nm + 1, sizeof *g) || vt_sim_grow((void **)&ins, &ins_cap, n + nm + 1, sizeof *ins))
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
        if (vt_sim_run_one(c, r, ci, ins, n, contacts_out, error)) goto out;
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
