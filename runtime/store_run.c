/* `verity run` on the store. A run has a fixed target (events up to seq H, clock up to
 * U) recorded before it starts; contacts are processed in cid order (first appearance), each loading its
 * state once, applying all its new inputs and writing back once; every batch commits
 * states, outbox, audit and "last contact done" together. A killed run is finished by
 * the next one from its last commit with the same H and U, so the outbox comes out
 * exactly as if it had never stopped. */
#include "../common/mem.h"
#include "explain.h"
#include "store_run.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


/* A new input held in memory: its id (NUL-terminated) and payload are at `off` in
 * rctx.bytes. */
typedef struct slot {
    int64_t at, seq;
    size_t off;
    uint32_t cid, id_len, plen;
    int32_t type;
} slot;

#define QROWS 16 /* outbox or audit rows per INSERT */
#define IDS_SPAN 256 /* contacts whose ids a first run reads with one statement */
#define QCOLS 14 /* columns of a queued row at most (the outbox's) */

typedef struct qcell {
    int64_t i;
    size_t off, len;
    int kind; /* 0 NULL, 1 integer, 2 text at off in rowq.b, 3 blob there */
} qcell;

typedef struct rowq {
    const char *head; /* "INSERT ... INTO t(columns) VALUES" */
    const char *table;
    int ncols, n, col;
    qcell cells[QROWS * QCOLS];
    uint8_t *b;
    size_t nb, bcap;
    sqlite3_stmt *st[5]; /* for 1, 2, 4, 8, 16 rows */
} rowq;

typedef struct rctx {
    vt_store *st;
    vt_runner *r;
    int64_t flow;
    char *err;
    /* the inputs held (all of the run's, or one contact's), and their bytes */
    slot *sl;
    size_t nsl, sl_cap;
    uint8_t *bytes;
    size_t nbytes, bytes_cap;
    uint32_t *cnt;          /* per contact from lo (cid - lo): its count, then its end in order[] */
    size_t ncnt, cnt_cap;
    uint32_t *order;        /* the inputs held, grouped by contact */
    size_t order_cap;
    /* the inputs order[wa .. wb) copied in that order, with their bytes (load_window) */
    slot *wsl;
    size_t wsl_cap, wa, wb;
    uint8_t *wbytes;
    size_t wbytes_cap;
    /* the current contact's inputs, sorted */
    vt_run_in *ins;
    size_t nins, ins_cap;
    rowq outq, audq, stq; /* outbox, audit and contact_states rows */
    int64_t next_out;  /* the next outbox row's seq */
    int64_t state_top; /* the highest cid with a state at the transaction's start */
    /* ids of contacts ids_lo .. ids_lo + ids_n - 1, read as one range (read_ids) */
    int64_t ids_lo, ids_n;
    uint32_t *ids_off; /* per cid - ids_lo: offset in ids_b, or UINT32_MAX when absent */
    char *ids_b;
    size_t ids_nb, ids_cap;
} rctx;

static int failf(rctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int failf(rctx *c, const char *fmt, ...) {
    if (c->err) return -1;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    c->err = vt_strdup(buf);
    return -1;
}
static int db_fail(rctx *c) { return failf(c, "the store failed: %s", vt_store_error(c->st)); }

/* ---- outbox and audit rows, inserted QROWS per statement ----------------------------
 * Rows are queued (their text copied) and inserted in multi-row INSERTs, which spread
 * SQLite's per-statement cost; the queues are flushed before every commit, so a commit
 * still holds states, outbox, audit and progress together. The outbox row's seq is
 * given explicitly (the next after the table's largest, read at each transaction's
 * start, as SQLite would pick it), so its audit row can name it before it is inserted. */

static int rowq_grow(rctx *c, rowq *q, size_t more) {
    if (q->nb + more <= q->bcap) return 0;
    size_t cap = q->bcap ? q->bcap : 4096;
    while (cap < q->nb + more) cap *= 2;
    uint8_t *b = vt_realloc(q->b, cap);
    if (!b) return failf(c, "out of memory");
    q->b = b;
    q->bcap = cap;
    return 0;
}

static qcell *rowq_cell(rowq *q) { return &q->cells[q->n * q->ncols + q->col++]; }
static void q_null(rowq *q) { rowq_cell(q)->kind = 0; }
static void q_int(rowq *q, int64_t v) {
    qcell *x = rowq_cell(q);
    x->kind = 1;
    x->i = v;
}
static int q_bytes(rctx *c, rowq *q, const void *s, size_t n, int kind) {
    if (rowq_grow(c, q, n)) return -1;
    qcell *x = rowq_cell(q);
    x->kind = kind;
    x->off = q->nb;
    x->len = n;
    memcpy(q->b + q->nb, s, n);
    q->nb += n;
    return 0;
}
static int q_text(rctx *c, rowq *q, const char *s) { return s ? q_bytes(c, q, s, strlen(s), 2) : (q_null(q), 0); }

/* Inserts k queued rows from row `first` in one statement. */
static int rowq_insert(rctx *c, rowq *q, int first, int k) {
    int lg = 0;
    while ((1 << lg) < k) lg++;
    sqlite3_stmt **sp = &q->st[lg];
    if (!*sp) {
        size_t hl = strlen(q->head), one = 3 + 2 * (size_t)q->ncols;
        char *sql = vt_malloc(hl + (size_t)k * one + 1);
        if (!sql) return failf(c, "out of memory");
        size_t n = hl;
        memcpy(sql, q->head, hl);
        for (int r = 0; r < k; r++) {
            sql[n++] = r ? ',' : ' ';
            sql[n++] = '(';
            for (int i = 0; i < q->ncols; i++) sql[n++] = '?', sql[n++] = i + 1 < q->ncols ? ',' : ')';
        }
        sql[n] = 0;
        int rc = sqlite3_prepare_v3(c->st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, sp, NULL);
        vt_free(sql);
        if (rc != SQLITE_OK) return db_fail(c);
    }
    sqlite3_stmt *s = *sp;
    sqlite3_reset(s); /* every parameter is bound below, NULLs too: no clear_bindings (2.8 k instructions) */
    for (int r = 0; r < k; r++)
        for (int i = 0; i < q->ncols; i++) {
            const qcell *x = &q->cells[(first + r) * q->ncols + i];
            int at = r * q->ncols + i + 1;
            if (x->kind == 1) sqlite3_bind_int64(s, at, x->i);
            else if (x->kind == 2) sqlite3_bind_text(s, at, (const char *)q->b + x->off, (int)x->len, SQLITE_STATIC);
            else if (x->kind == 3) sqlite3_bind_blob(s, at, q->b + x->off, (int)x->len, SQLITE_STATIC);
            else sqlite3_bind_null(s, at);
        }
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return db_fail(c);
    /* Every row goes in: OR IGNORE (see run's rowq heads) only spares SQLite a
     * statement journal, and a row it would skip is an error here. */
    if (sqlite3_changes(c->st->db) != k)
        return failf(c, "the store refused a row of %s (a constraint failed)", q->table);
    return 0;
}

/* Inserts the queued rows in order, QROWS, QROWS/2, ... 1 per statement. */
static int rowq_flush(rctx *c, rowq *q) {
    int n = q->n, i = 0;
    q->n = 0;
    q->nb = 0;
    for (int k = QROWS; k > 0; k /= 2)
        while (n - i >= k) {
            if (rowq_insert(c, q, i, k)) return -1;
            i += k;
        }
    return 0;
}

/* Ends the current row; a full queue is inserted. */
static int rowq_end(rctx *c, rowq *q) {
    q->col = 0;
    return ++q->n == QROWS ? rowq_flush(c, q) : 0;
}

static int flush_rows(rctx *c) {
    return rowq_flush(c, &c->stq) || rowq_flush(c, &c->outq) || rowq_flush(c, &c->audq) ? -1 : 0;
}

/* The first column of a one-row statement's result. */
static int one_int(rctx *c, vt_stmt_id id, int64_t *v) {
    sqlite3_stmt *q = vt_store_stmt(c->st, id);
    if (!q) return db_fail(c);
    if (sqlite3_step(q) != SQLITE_ROW) {
        sqlite3_reset(q);
        return db_fail(c);
    }
    *v = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    return 0;
}

/* At each transaction's start: the next outbox seq, and the highest cid with a state
 * (a contact above it has none: a first run reads only its id). */
static int begin(rctx *c) {
    if (vt_store_begin(c->st) || one_int(c, VT_SQL_OUTBOX_MAX, &c->next_out) ||
        one_int(c, VT_SQL_STATE_TOP, &c->state_top))
        return db_fail(c);
    c->next_out++;
    return 0;
}
static int commit(rctx *c) { return flush_rows(c) || vt_store_commit(c->st) ? db_fail(c) : 0; }

static int audit_row(rctx *c, const vt_audit *a, int64_t d) {
    rowq *q = &c->audq;
    if (q_text(c, q, a->contact)) return -1;
    q_int(q, a->at);
    q_int(q, a->kind);
    q_int(q, a->a);
    q_int(q, a->b);
    q_int(q, a->c);
    q_int(q, d);
    if (q_text(c, q, a->cause_id)) return -1;
    q_int(q, a->late);
    q_int(q, c->flow);
    return rowq_end(c, q);
}

static int on_row(void *ud, const vt_outrow *o) {
    rctx *c = ud;
    rowq *q = &c->outq;
    int64_t seq = c->next_out++;
    q_int(q, seq);
    if (q_text(c, q, o->id) || q_text(c, q, o->contact)) return -1;
    q_int(q, o->at);
    if (q_text(c, q, o->kind) || q_text(c, q, o->channel) || q_text(c, q, o->team) || q_text(c, q, o->template_) ||
        q_text(c, q, o->text))
        return -1;
    if (o->due) q_int(q, o->due);
    else q_null(q);
    if (q_text(c, q, o->workflow)) return -1;
    q_int(q, o->step);
    if (q_text(c, q, o->status) || q_text(c, q, o->reason) || rowq_end(c, q)) return -1;
    /* Where the row fell among the audit records, for `explain`. */
    vt_audit a = {.contact = o->contact, .at = o->at, .kind = VT_AUDIT_ACTION};
    return audit_row(c, &a, seq);
}

/* "An input was processed" is implied by the events table and the cause ids of what it
 * caused, so it is stored only for late inputs (which must be marked): one audit row per
 * event would double the run's writes. */
static int on_audit(void *ud, const vt_audit *a) {
    if (a->kind == VT_AU_EVENT && !a->late) return 0;
    return audit_row(ud, a, a->d);
}

/* ---- one contact ------------------------------------------------------------------- */

/* Applies the contact's inputs (c->ins, sorted) and writes its state back. */
static int process(rctx *c, int64_t cid, int64_t until) {
    const uint8_t *blob = NULL;
    size_t blen = 0;
    int64_t clock = INT64_MIN;
    const char *id = NULL;
    sqlite3_stmt *g = NULL;
    bool stated = cid <= c->state_top;
    if (!stated && cid >= c->ids_lo && cid - c->ids_lo < c->ids_n && c->ids_off[cid - c->ids_lo] != UINT32_MAX)
        id = c->ids_b + c->ids_off[cid - c->ids_lo];
    if (!id) {
        g = vt_store_stmt(c->st, stated ? VT_SQL_CONTACT_GET : VT_SQL_CONTACT_ID);
        if (!g) return db_fail(c);
        sqlite3_bind_int64(g, 1, cid);
        int rc = sqlite3_step(g);
        if (rc != SQLITE_ROW)
            return rc == SQLITE_DONE ? failf(c, "contact #%lld is missing from the store", (long long)cid) : db_fail(c);
        if (stated && sqlite3_column_type(g, 1) != SQLITE_NULL) {
            clock = sqlite3_column_type(g, 0) == SQLITE_NULL ? INT64_MIN : sqlite3_column_int64(g, 0);
            blob = sqlite3_column_blob(g, 1);
            blen = (size_t)sqlite3_column_bytes(g, 1);
            if (!blob) blob = (const uint8_t *)"";
        }
        id = (const char *)sqlite3_column_text(g, stated ? 2 : 0);
        if (!id) return sqlite3_reset(g), db_fail(c);
    }
    /* The blob and id are read while the statement is live; restore and init copy them. */
    int pr = vt_runner_contact(c->r, id, blob, blen, &clock, c->ins, c->nins, until);
    if (g) sqlite3_reset(g);
    if (pr) return c->err ? -1 : failf(c, "%s", vt_runner_error(c->r));
    const vt_contact *ct = vt_runner_state(c->r);
    c->nins = 0;
    if (!ct) return 0;
    /* The state joins the queue of rows committed with the batch (16 per INSERT). */
    rowq *q = &c->stq;
    int64_t wake = vt_contact_next_wake(ct);
    q_int(q, cid);
    q_int(q, vt_contact_created_at(ct));
    q_int(q, clock);
    if (wake != INT64_MAX) q_int(q, wake);
    else q_null(q);
    return q_bytes(c, q, ct->data, ct->len, 3) || rowq_end(c, q) ? -1 : 0;
}

/* ---- the new inputs ----------------------------------------------------------------
 * A run of at most run_pass new inputs (every daily run) reads them in seq order (a
 * range of the table's rowid, no sort in SQL), keeps them in memory, groups them by
 * contact with a counting sort and sorts each contact's few by (at, seq): SQLite's
 * sorter, which copied every row with its payload into sort records, is the largest
 * cost it saves. A larger run (a backfill) lets SQLite sort, which spills to disk: so
 * the memory held is bounded by run_pass inputs or by SQLite's cache, never by the
 * size of the run. */

static int grow_to(rctx *c, void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t n = *cap * 2 > need ? *cap * 2 : need < 1024 ? 1024 : need;
    void *q = vt_realloc(*p, n * elem);
    if (!q) return failf(c, "out of memory");
    *p = q;
    *cap = n;
    return 0;
}

/* Copies the row the scan is on (its cid and at read already) into c->sl and c->bytes. */
static int add_slot(rctx *c, sqlite3_stmt *ev, int64_t cid, int64_t at) {
    const char *type = (const char *)sqlite3_column_text(ev, 2);
    size_t tl = (size_t)sqlite3_column_bytes(ev, 2);
    const char *id = (const char *)sqlite3_column_text(ev, 4);
    size_t il = (size_t)sqlite3_column_bytes(ev, 4);
    const void *pay = sqlite3_column_blob(ev, 5);
    size_t pl = (size_t)sqlite3_column_bytes(ev, 5);
    if (!type || !id || il > UINT32_MAX || pl > UINT32_MAX) return db_fail(c);
    if (grow_to(c, (void **)&c->sl, &c->sl_cap, c->nsl + 1, sizeof *c->sl) ||
        grow_to(c, (void **)&c->bytes, &c->bytes_cap, c->nbytes + il + 1 + pl, 1))
        return -1;
    slot *s = &c->sl[c->nsl++];
    s->cid = (uint32_t)cid;
    s->type = vt_runner_type(c->r, type, tl);
    s->seq = sqlite3_column_int64(ev, 1);
    s->at = at;
    s->off = c->nbytes;
    s->id_len = (uint32_t)il;
    s->plen = (uint32_t)pl;
    memcpy(c->bytes + c->nbytes, id, il);
    c->bytes[c->nbytes + il] = 0;
    if (pl) memcpy(c->bytes + c->nbytes + il + 1, pay, pl);
    c->nbytes += il + 1 + pl;
    return 0;
}

/* Reads the new inputs (at <= U) of contacts from lo into c->sl (seq order) and groups
 * them: c->cnt[k] is the end of contact lo + k's inputs in c->order. 1 when there are
 * more than run_pass of them (nothing kept). */
static int scan_all(rctx *c, sqlite3_stmt *ev, int64_t lo, int64_t U) {
    c->ncnt = c->nsl = c->nbytes = 0;
    int rc;
    while ((rc = sqlite3_step(ev)) == SQLITE_ROW) {
        int64_t cid = sqlite3_column_int64(ev, 0), at = sqlite3_column_int64(ev, 3);
        if (cid < lo || at > U) continue;
        if (cid > UINT32_MAX) return sqlite3_reset(ev), failf(c, "the store's events table is corrupt");
        if (c->nsl >= (size_t)c->st->run_pass) return sqlite3_reset(ev), 1;
        size_t k = (size_t)(cid - lo);
        if (k >= c->ncnt) {
            if (grow_to(c, (void **)&c->cnt, &c->cnt_cap, k + 1, sizeof *c->cnt)) return sqlite3_reset(ev), -1;
            memset(c->cnt + c->ncnt, 0, (k + 1 - c->ncnt) * sizeof *c->cnt);
            c->ncnt = k + 1;
        }
        if (add_slot(c, ev, cid, at)) return sqlite3_reset(ev), -1;
        c->cnt[k]++;
    }
    sqlite3_reset(ev);
    if (rc != SQLITE_DONE) return db_fail(c);
    if (grow_to(c, (void **)&c->order, &c->order_cap, c->nsl + 1, sizeof *c->order)) return -1;
    c->wa = c->wb = 0;
    uint32_t sum = 0;
    for (size_t k = 0; k < c->ncnt; k++) {
        uint32_t n = c->cnt[k];
        c->cnt[k] = sum;
        sum += n;
    }
    for (size_t i = 0; i < c->nsl; i++) c->order[c->cnt[c->sl[i].cid - lo]++] = (uint32_t)i;
    return 0;
}

#define WINDOW 1024 /* inputs copied together by load_window (at least one contact's) */

/* Copies the inputs of the contacts from index k on (about WINDOW of them, whole
 * contacts) into c->wsl and c->wbytes, in contact order. The held inputs lie in seq
 * order, so each contact's are scattered over the whole run's memory: read one at a
 * time between contacts' VM work, every one was a cache (and TLB) miss that stalled
 * the run (perf: 15% of it in the first reads of slots and payloads); read here, in a
 * tight loop of independent loads, the processor overlaps those misses. */
static int load_window(rctx *c, size_t k) {
    size_t a = k ? c->cnt[k - 1] : 0, b = c->cnt[k];
    while (++k < c->ncnt && c->cnt[k] - a <= WINDOW) b = c->cnt[k];
    size_t nb = 0;
    for (size_t i = a; i < b; i++) {
        const slot *s = &c->sl[c->order[i]];
        nb += s->id_len + 1 + (size_t)s->plen;
    }
    if (grow_to(c, (void **)&c->wsl, &c->wsl_cap, b - a + 1, sizeof *c->wsl) ||
        grow_to(c, (void **)&c->wbytes, &c->wbytes_cap, nb + 1, 1))
        return -1;
    nb = 0;
    for (size_t i = a; i < b; i++) {
        slot *d = &c->wsl[i - a];
        *d = c->sl[c->order[i]];
        size_t n = d->id_len + 1 + (size_t)d->plen;
        memcpy(c->wbytes + nb, c->bytes + d->off, n);
        d->off = nb;
        nb += n;
    }
    c->wa = a, c->wb = b;
    return 0;
}

/* Prepares the scan of new inputs: ?1 cursor, ?2 H, ?3 U, ?5 the previous run's until
 * (those of them the statement has). ?4, the first contact, is bound by its reader. */
static int prepare_scan(rctx *c, const char *sql, int64_t cursor, int64_t H, int64_t U, int64_t prev_until,
                        sqlite3_stmt **ev) {
    if (sqlite3_prepare_v2(c->st->db, sql, -1, ev, NULL) != SQLITE_OK) return db_fail(c);
    int n = sqlite3_bind_parameter_count(*ev);
    sqlite3_bind_int64(*ev, 1, cursor);
    sqlite3_bind_int64(*ev, 2, H);
    if (n >= 3) sqlite3_bind_int64(*ev, 3, U);
    if (n >= 5) sqlite3_bind_int64(*ev, 5, prev_until);
    return 0;
}

static int by_at_seq(const void *a, const void *b) {
    const vt_run_in *x = a, *y = b;
    if (x->at != y->at) return x->at < y->at ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Slots sl[0..n), their bytes in `bytes`, as the contact's inputs, in (at, seq) order. */
static int gather(rctx *c, const slot *sl, const uint8_t *bytes, size_t n) {
    if (grow_to(c, (void **)&c->ins, &c->ins_cap, n + 1, sizeof *c->ins)) return -1;
    bool sorted = true;
    for (size_t i = 0; i < n; i++) {
        const slot *s = &sl[i];
        const char *id = (const char *)bytes + s->off;
        c->ins[i] = (vt_run_in){s->type, s->at, s->seq, id, (const uint8_t *)id + s->id_len + 1, s->plen};
        if (i && by_at_seq(&c->ins[i - 1], &c->ins[i]) > 0) sorted = false;
    }
    if (!sorted) qsort(c->ins, n, sizeof *c->ins, by_at_seq);
    c->nins = n;
    return 0;
}

/* ---- the run ----------------------------------------------------------------------- */

typedef struct cidlist {
    int64_t *v;
    size_t n, cap;
} cidlist;

static int cidlist_add(cidlist *l, int64_t cid) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 1024;
        int64_t *v = vt_realloc(l->v, cap * sizeof *v);
        if (!v) return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = cid;
    return 0;
}

static int finish_run(rctx *c, int64_t H, int64_t U) {
    int64_t max_at = INT64_MIN, deferred = 0;
    if (vt_store_meta_get(c->st, "max_at", &max_at) < 0) return db_fail(c);
    if (max_at > U) { /* some events lie after U: they wait for a later run */
        sqlite3_stmt *q = vt_store_stmt(c->st, VT_SQL_COUNT_AFTER);
        if (!q) return db_fail(c);
        sqlite3_bind_int64(q, 1, H);
        sqlite3_bind_int64(q, 2, U);
        if (sqlite3_step(q) != SQLITE_ROW) return sqlite3_reset(q), db_fail(c);
        deferred = sqlite3_column_int64(q, 0);
        sqlite3_reset(q);
    }
    if (vt_store_meta_set(c->st, "cursor", H) || vt_store_meta_set(c->st, "until", U) ||
        vt_store_meta_set(c->st, "deferred", deferred) || vt_store_meta_del(c->st, "run_target") ||
        vt_store_meta_del(c->st, "run_until") || vt_store_meta_del(c->st, "run_last"))
        return db_fail(c);
    return 0;
}

typedef struct walk {
    cidlist due;    /* contacts whose wake-ups are due, in cid order */
    size_t di;
    int64_t U;
    uint64_t in_batch;
} walk;

/* The next contact of the walk: the lower of the next with inputs (ec) and the next due. */
static int64_t next_contact(walk *w, int64_t ec) {
    int64_t dc = w->di < w->due.n ? w->due.v[w->di] : INT64_MAX;
    if (dc <= ec && dc != INT64_MAX) w->di++;
    return ec < dc ? ec : dc;
}

/* Runs contact cid over c->ins and commits every run_batch inputs. */
static int contact_done(rctx *c, walk *w, int64_t cid) {
    w->in_batch += c->nins ? c->nins : 1;
    if (process(c, cid, w->U)) return -1;
    if ((int64_t)w->in_batch >= c->st->run_batch) {
        if (vt_store_meta_set(c->st, "run_last", cid) || commit(c) || begin(c)) return db_fail(c);
        w->in_batch = 0;
    }
    return 0;
}

/* Reads the ids of contacts from `from` on, IDS_SPAN of them, into c->ids_*. */
static int read_ids(rctx *c, int64_t from) {
    if (!c->ids_off && !(c->ids_off = vt_malloc(IDS_SPAN * sizeof *c->ids_off))) return failf(c, "out of memory");
    sqlite3_stmt *q = vt_store_stmt(c->st, VT_SQL_CONTACT_IDS);
    if (!q) return db_fail(c);
    sqlite3_bind_int64(q, 1, from);
    sqlite3_bind_int64(q, 2, from + IDS_SPAN - 1);
    for (int i = 0; i < IDS_SPAN; i++) c->ids_off[i] = UINT32_MAX;
    c->ids_lo = from, c->ids_n = 0, c->ids_nb = 0;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t cid = sqlite3_column_int64(q, 0);
        const char *id = (const char *)sqlite3_column_text(q, 1);
        size_t n = (size_t)sqlite3_column_bytes(q, 1);
        if (!id || cid < from || cid - from >= IDS_SPAN) return sqlite3_reset(q), db_fail(c);
        if (grow_to(c, (void **)&c->ids_b, &c->ids_cap, c->ids_nb + n + 1, 1)) return sqlite3_reset(q), -1;
        c->ids_off[cid - from] = (uint32_t)c->ids_nb;
        memcpy(c->ids_b + c->ids_nb, id, n + 1);
        c->ids_nb += n + 1;
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE) return db_fail(c);
    c->ids_n = IDS_SPAN;
    return 0;
}

/* Whether the contacts with inputs from index k on are dense enough (a quarter of the
 * next IDS_SPAN cids) that reading their ids as one range beats a point read each. */
static bool dense_from(const rctx *c, size_t k) {
    size_t n = 0, end = k + IDS_SPAN < c->ncnt ? k + IDS_SPAN : c->ncnt;
    for (size_t j = k; j < end; j++) n += c->cnt[j] != (j ? c->cnt[j - 1] : 0);
    return n >= IDS_SPAN / 4;
}

/* Contacts from lo with inputs held by scan_all, or due, in cid order. A contact with
 * no state yet needs only its id: a first run reads those a range at a time. */
static int run_held(rctx *c, walk *w, int64_t lo) {
    size_t k = 0;
    for (;;) {
        while (k < c->ncnt && c->cnt[k] == (k ? c->cnt[k - 1] : 0)) k++; /* no inputs */
        int64_t ec = k < c->ncnt ? lo + (int64_t)k : INT64_MAX;
        int64_t cur = next_contact(w, ec);
        if (cur == INT64_MAX) return 0;
        c->nins = 0;
        if (ec == cur && cur > c->state_top && (cur < c->ids_lo || cur - c->ids_lo >= c->ids_n) &&
            dense_from(c, k) && read_ids(c, cur))
            return -1;
        if (ec == cur) {
            size_t b = k ? c->cnt[k - 1] : 0;
            if ((b < c->wa || c->cnt[k] > c->wb) && load_window(c, k)) return -1;
            if (gather(c, c->wsl + (b - c->wa), c->wbytes, c->cnt[k] - b)) return -1;
            k++;
        }
        if (contact_done(c, w, cur)) return -1;
    }
}

/* The same over a scan SQLite sorts by (cid, at, seq): one contact's inputs at a time. */
static int run_sorted(rctx *c, walk *w, sqlite3_stmt *ev, int64_t lo) {
    sqlite3_bind_int64(ev, 4, lo);
    int erc = sqlite3_step(ev);
    for (;;) {
        if (erc != SQLITE_ROW && erc != SQLITE_DONE) return db_fail(c);
        int64_t cur = next_contact(w, erc == SQLITE_ROW ? sqlite3_column_int64(ev, 0) : INT64_MAX);
        if (cur == INT64_MAX) return 0;
        c->nsl = c->nbytes = 0;
        while (erc == SQLITE_ROW && sqlite3_column_int64(ev, 0) == cur) {
            if (cur > UINT32_MAX) return failf(c, "the store's events table is corrupt");
            if (add_slot(c, ev, cur, sqlite3_column_int64(ev, 3))) return -1;
            erc = sqlite3_step(ev);
        }
        c->nins = 0;
        if (gather(c, c->sl, c->bytes, c->nsl) || contact_done(c, w, cur)) return -1;
    }
}

static int run_target(rctx *c, int64_t H, int64_t U, int64_t last) {
    int64_t cursor = 0, prev_until = INT64_MIN, deferred = 0;
    if (vt_store_meta_get(c->st, "cursor", &cursor) < 0 || vt_store_meta_get(c->st, "until", &prev_until) < 0 ||
        vt_store_meta_get(c->st, "deferred", &deferred) < 0)
        return db_fail(c);
    walk w = {.U = U};
    sqlite3_stmt *q = vt_store_stmt(c->st, VT_SQL_CONTACT_DUE);
    if (!q) return db_fail(c);
    sqlite3_bind_int64(q, 1, U);
    sqlite3_bind_int64(q, 2, last);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        if (cidlist_add(&w.due, sqlite3_column_int64(q, 0))) {
            rc = -1;
            break;
        }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE) {
        vt_free(w.due.v);
        return rc < 0 ? failf(c, "out of memory") : db_fail(c);
    }
    /* New inputs; older ones left after the previous run's `until` join them when this
     * run goes further. Without them, H - cursor bounds how many there are. A held run
     * reads the rowid range alone and checks `at` and `cid` in C (scan_all): SQL's
     * per-row comparisons cost more than the test on values it reads anyway. */
    const char *range =
        deferred > 0 ? "((seq > ?1 AND seq <= ?2) OR (seq <= ?1 AND at > ?5))" : "seq > ?1 AND seq <= ?2";
    char sql[512];
    bool held = deferred > 0 || H - cursor <= c->st->run_pass;
    sqlite3_stmt *ev = NULL;
    int result = begin(c);
    if (result == 0 && held && deferred == 0 && /* H - cursor bounds them: size the arrays once */
        (grow_to(c, (void **)&c->sl, &c->sl_cap, (size_t)(H - cursor) + 1, sizeof *c->sl) ||
         grow_to(c, (void **)&c->order, &c->order_cap, (size_t)(H - cursor) + 1, sizeof *c->order)))
        result = -1;
    if (result == 0 && held) {
        snprintf(sql, sizeof sql, "SELECT cid, seq, type, at, id, payload FROM events WHERE %s", range);
        result = prepare_scan(c, sql, cursor, H, U, prev_until, &ev);
        rc = result ? -1 : scan_all(c, ev, last + 1, U);
        if (rc == 0) result = run_held(c, &w, last + 1);
        else if (rc < 0) result = -1;
        else held = false; /* more than run_pass: let SQLite sort them */
        sqlite3_finalize(ev);
        ev = NULL;
    }
    if (result == 0 && !held) {
        snprintf(sql, sizeof sql,
                 "SELECT cid, seq, type, at, id, payload FROM events WHERE %s AND at <= ?3 AND cid >= ?4 "
                 "ORDER BY cid, at, seq",
                 range);
        result = prepare_scan(c, sql, cursor, H, U, prev_until, &ev);
    }
    if (result == 0 && !held) result = run_sorted(c, &w, ev, last + 1);
    sqlite3_finalize(ev);
    if (result == 0 && flush_rows(c) == 0 && finish_run(c, H, U) == 0 && commit(c) == 0) {
        /* done */
    } else {
        if (result == 0) result = c->err ? -1 : db_fail(c);
        vt_store_rollback(c->st);
    }
    vt_free(w.due.v);
    return result;
}

static void add_stats(vt_run_stats *stats, vt_runner *r) {
    vt_run_stats *rs = vt_runner_stats(r);
    stats->inputs += rs->inputs, stats->contacts += rs->contacts, stats->created += rs->created;
    stats->late += rs->late, stats->skipped += rs->skipped, stats->emitted += rs->emitted;
    stats->suppressed += rs->suppressed;
}

static void rctx_free(rctx *c) {
    vt_free(c->sl), vt_free(c->bytes), vt_free(c->cnt), vt_free(c->order), vt_free(c->ins);
    vt_free(c->wsl), vt_free(c->wbytes);
    vt_free(c->ids_off), vt_free(c->ids_b);
    for (int i = 0; i < 5; i++)
        sqlite3_finalize(c->outq.st[i]), sqlite3_finalize(c->audq.st[i]), sqlite3_finalize(c->stq.st[i]);
    vt_free(c->outq.b), vt_free(c->audq.b), vt_free(c->stq.b);
}

int vt_store_run(vt_store *st, const vt_program *p, int64_t until, vt_run_stats *stats, int64_t *until_used,
                 char **error) {
    rctx c = {.st = st};
    /* OR IGNORE: a multi-row INSERT that may fail half-way needs a statement journal;
     * one that ignores needs none. No row is ignored in fact: rowq_insert checks that
     * each statement inserted all its rows, and fails the run otherwise. */
    c.outq = (rowq){.head = "INSERT OR IGNORE INTO outbox(seq, id, contact, at, kind, channel, team, template, text, "
                            "due, workflow, step, status, reason) VALUES",
                    .table = "outbox", .ncols = QCOLS};
    c.audq = (rowq){.head = "INSERT OR IGNORE INTO audit(contact, at, kind, a, b, c, d, cause, late, flow) VALUES",
                    .table = "audit", .ncols = 10};
    /* A first run appends each state (cid order); a later one replaces it in place. */
    c.stq = (rowq){.head = "INSERT OR REPLACE INTO contact_states(cid, created_at, clock, next_wake, state) VALUES",
                   .table = "contact_states", .ncols = 5};
    vt_run_sink sink = {&c, on_row, on_audit};
    c.r = vt_runner_new(p, &sink, error);
    if (!c.r) return -1;
    if (vt_store_cache_kb(st, VT_STORE_RUN_CACHE_KB)) { /* restored at the end */
        vt_runner_free(c.r);
        if (error) *error = vt_strdup("the store failed: cannot set its cache size");
        return -1;
    }
    int result = -1;
    int64_t last = 0;
    /* 1. The flow, and the target of this run (or of the interrupted one). */
    int64_t H, U, pending;
    if (vt_store_begin(st) || vt_store_deploy(st, p, (int64_t)time(NULL), &c.flow) ||
        vt_store_meta_set(st, "flow", c.flow)) {
        db_fail(&c);
        vt_store_rollback(st);
        goto out;
    }
    int got = vt_store_meta_get(st, "run_target", &pending);
    if (got < 0) {
        db_fail(&c);
        vt_store_rollback(st);
        goto out;
    }
    bool resumed = got == 1;
    if (resumed) {
        H = pending;
        if (vt_store_meta_get(st, "run_until", &U) < 0 || vt_store_meta_get(st, "run_last", &last) < 0) {
            db_fail(&c);
            vt_store_rollback(st);
            goto out;
        }
    } else {
        sqlite3_stmt *q = vt_store_stmt(st, VT_SQL_MAX_SEQ);
        if (!q || sqlite3_step(q) != SQLITE_ROW) {
            if (q) sqlite3_reset(q);
            db_fail(&c);
            vt_store_rollback(st);
            goto out;
        }
        H = sqlite3_column_int64(q, 0);
        sqlite3_reset(q);
        U = until;
        if (U == VT_UNTIL_LATEST) {
            int64_t max_at = 0, prev = INT64_MIN;
            if (vt_store_meta_get(st, "max_at", &max_at) < 0 || vt_store_meta_get(st, "until", &prev) < 0) {
                db_fail(&c);
                vt_store_rollback(st);
                goto out;
            }
            U = max_at > prev ? max_at : prev;
        }
        if (vt_store_meta_set(st, "run_target", H) || vt_store_meta_set(st, "run_until", U) ||
            vt_store_meta_set(st, "run_last", 0)) {
            db_fail(&c);
            vt_store_rollback(st);
            goto out;
        }
    }
    if (vt_store_commit(st)) {
        db_fail(&c);
        goto out;
    }
    /* 2. Process; an interrupted run is finished first, then this one. */
    if (run_target(&c, H, U, last)) goto out;
    if (resumed && (until == VT_UNTIL_LATEST || until != U)) {
        add_stats(stats, c.r);
        vt_runner_free(c.r);
        c.r = NULL;
        int64_t u2 = 0;
        result = vt_store_run(st, p, until, stats, &u2, error);
        if (until_used) *until_used = u2;
        rctx_free(&c);
        return result; /* the inner run restored the cache */
    }
    if (until_used) *until_used = U;
    result = 0;
out:
    if (c.r) {
        add_stats(stats, c.r);
        vt_runner_free(c.r);
    }
    rctx_free(&c);
    vt_store_cache_kb(st, VT_STORE_CACHE_KB); /* fails only when the connection is gone; then nothing uses it */
    if (result && error) *error = c.err ? c.err : vt_strdup("the run failed");
    else vt_free(c.err);
    return result;
}
