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
#include <string.h>
#include <time.h>


typedef struct rctx {
    vt_store *st;
    vt_runner *r;
    int64_t flow;
    char *err;
    /* the current contact's inputs: fixed-size records and their bytes */
    vt_run_in *ins;
    size_t nins, ins_cap;
    uint8_t *bytes;
    size_t nbytes, bytes_cap;
    size_t *id_off, *pay_off;
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

static int audit_row(rctx *c, const vt_audit *a, int64_t d);

static int on_row(void *ud, const vt_outrow *o) {
    rctx *c = ud;
    sqlite3_stmt *q = vt_store_stmt(c->st, VT_SQL_OUTBOX_ADD);
    if (!q) return db_fail(c);
    sqlite3_bind_text(q, 1, o->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, o->contact, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 3, o->at);
    sqlite3_bind_text(q, 4, o->kind, -1, SQLITE_STATIC);
    if (o->channel) sqlite3_bind_text(q, 5, o->channel, -1, SQLITE_STATIC);
    if (o->team) sqlite3_bind_text(q, 6, o->team, -1, SQLITE_STATIC);
    if (o->template_) sqlite3_bind_text(q, 7, o->template_, -1, SQLITE_STATIC);
    if (o->text) sqlite3_bind_text(q, 8, o->text, -1, SQLITE_STATIC);
    if (o->due) sqlite3_bind_int64(q, 9, o->due);
    if (o->workflow) sqlite3_bind_text(q, 10, o->workflow, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 11, o->step);
    sqlite3_bind_text(q, 12, o->status, -1, SQLITE_STATIC);
    if (o->reason) sqlite3_bind_text(q, 13, o->reason, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    if (rc != SQLITE_DONE) return db_fail(c);
    /* Where the row fell among the audit records, for `explain`. */
    vt_audit a = {.contact = o->contact, .at = o->at, .kind = VT_AUDIT_ACTION};
    return audit_row(c, &a, sqlite3_last_insert_rowid(c->st->db));
}

static int audit_row(rctx *c, const vt_audit *a, int64_t d) {
    sqlite3_stmt *q = vt_store_stmt(c->st, VT_SQL_AUDIT_ADD);
    if (!q) return db_fail(c);
    sqlite3_bind_text(q, 1, a->contact, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, a->at);
    sqlite3_bind_int(q, 3, a->kind);
    sqlite3_bind_int(q, 4, a->a);
    sqlite3_bind_int(q, 5, a->b);
    sqlite3_bind_int(q, 6, a->c);
    sqlite3_bind_int64(q, 7, d);
    if (a->cause_id) sqlite3_bind_text(q, 8, a->cause_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 9, a->late);
    sqlite3_bind_int64(q, 10, c->flow);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? 0 : db_fail(c);
}

/* "An input was processed" is implied by the events table and the cause ids of what it
 * caused, so it is stored only for late inputs (which must be marked): one audit row per
 * event would double the run's writes. */
static int on_audit(void *ud, const vt_audit *a) {
    if (a->kind == VT_AU_EVENT && !a->late) return 0;
    return audit_row(ud, a, a->d);
}

/* ---- one contact ------------------------------------------------------------------- */

static int push_input(rctx *c, sqlite3_stmt *q) {
    if (c->nins == c->ins_cap) {
        size_t cap = c->ins_cap ? c->ins_cap * 2 : 64;
        vt_run_in *a = vt_realloc(c->ins, cap * sizeof *a);
        size_t *b = vt_realloc(c->id_off, cap * sizeof *b);
        if (a) c->ins = a;
        if (b) c->id_off = b;
        size_t *d = vt_realloc(c->pay_off, cap * sizeof *d);
        if (d) c->pay_off = d;
        if (!a || !b || !d) return failf(c, "out of memory");
        c->ins_cap = cap;
    }
    const char *type = (const char *)sqlite3_column_text(q, 2);
    size_t tl = (size_t)sqlite3_column_bytes(q, 2);
    const char *id = (const char *)sqlite3_column_text(q, 4);
    size_t il = (size_t)sqlite3_column_bytes(q, 4);
    const void *pay = sqlite3_column_blob(q, 5);
    size_t pl = (size_t)sqlite3_column_bytes(q, 5);
    if (!type || !id) return db_fail(c);
    size_t need = c->nbytes + il + 1 + pl + 8;
    if (need > c->bytes_cap) {
        size_t cap = c->bytes_cap ? c->bytes_cap : 4096;
        while (cap < need) cap *= 2;
        uint8_t *b = vt_realloc(c->bytes, cap);
        if (!b) return failf(c, "out of memory");
        c->bytes = b;
        c->bytes_cap = cap;
    }
    vt_run_in *in = &c->ins[c->nins];
    in->type = vt_runner_type(c->r, type, tl);
    in->seq = sqlite3_column_int64(q, 1);
    in->at = sqlite3_column_int64(q, 3);
    in->plen = pl;
    c->id_off[c->nins] = c->nbytes;
    memcpy(c->bytes + c->nbytes, id, il);
    c->bytes[c->nbytes + il] = 0;
    c->nbytes += il + 1;
    c->pay_off[c->nins] = c->nbytes;
    if (pl) memcpy(c->bytes + c->nbytes, pay, pl);
    c->nbytes += pl;
    c->nins++;
    return 0;
}

static int process(rctx *c, int64_t cid, int64_t until) {
    for (size_t i = 0; i < c->nins; i++) {
        c->ins[i].id = (const char *)c->bytes + c->id_off[i];
        c->ins[i].payload = c->bytes + c->pay_off[i];
    }
    sqlite3_stmt *g = vt_store_stmt(c->st, VT_SQL_CONTACT_GET);
    if (!g) return db_fail(c);
    sqlite3_bind_int64(g, 1, cid);
    int rc = sqlite3_step(g);
    if (rc != SQLITE_ROW) return rc == SQLITE_DONE ? failf(c, "contact #%lld is missing from the store", (long long)cid)
                                                   : db_fail(c);
    const uint8_t *blob = NULL;
    size_t blen = 0;
    int64_t clock = INT64_MIN;
    if (sqlite3_column_type(g, 1) != SQLITE_NULL) {
        clock = sqlite3_column_type(g, 0) == SQLITE_NULL ? INT64_MIN : sqlite3_column_int64(g, 0);
        blob = sqlite3_column_blob(g, 1);
        blen = (size_t)sqlite3_column_bytes(g, 1);
        if (!blob) blob = (const uint8_t *)"";
    }
    const char *id = (const char *)sqlite3_column_text(g, 2);
    if (!id) return db_fail(c);
    /* The blob and id are read while the statement is live; restore and init copy them. */
    int pr = vt_runner_contact(c->r, id, blob, blen, &clock, c->ins, c->nins, until);
    sqlite3_reset(g);
    if (pr) return c->err ? -1 : failf(c, "%s", vt_runner_error(c->r));
    const vt_contact *ct = vt_runner_state(c->r);
    c->nins = 0;
    c->nbytes = 0;
    if (!ct) return 0;
    sqlite3_stmt *p = vt_store_stmt(c->st, VT_SQL_CONTACT_PUT);
    if (!p) return db_fail(c);
    int64_t wake = vt_contact_next_wake(ct);
    sqlite3_bind_int64(p, 1, cid);
    sqlite3_bind_int64(p, 2, vt_contact_created_at(ct));
    sqlite3_bind_int64(p, 3, clock);
    if (wake != INT64_MAX) sqlite3_bind_int64(p, 4, wake);
    sqlite3_bind_blob(p, 5, ct->data, (int)ct->len, SQLITE_STATIC);
    rc = sqlite3_step(p);
    sqlite3_reset(p);
    return rc == SQLITE_DONE ? 0 : db_fail(c);
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

static int run_target(rctx *c, int64_t H, int64_t U, int64_t last) {
    int64_t cursor = 0, prev_until = INT64_MIN, deferred = 0;
    if (vt_store_meta_get(c->st, "cursor", &cursor) < 0 || vt_store_meta_get(c->st, "until", &prev_until) < 0 ||
        vt_store_meta_get(c->st, "deferred", &deferred) < 0)
        return db_fail(c);
    /* Contacts whose wake-ups are due, in processing order (one integer each). */
    cidlist due = {0};
    sqlite3_stmt *q = vt_store_stmt(c->st, VT_SQL_CONTACT_DUE);
    if (!q) return db_fail(c);
    sqlite3_bind_int64(q, 1, U);
    sqlite3_bind_int64(q, 2, last);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW)
        if (cidlist_add(&due, sqlite3_column_int64(q, 0))) {
            rc = -1;
            break;
        }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE) {
        vt_free(due.v);
        return rc < 0 ? failf(c, "out of memory") : db_fail(c);
    }
    /* New inputs in (contact, at, seq) order; older ones left after the previous
     * run's `until` join them when this run goes further. */
    const char *sql = deferred > 0
        ? "SELECT cid, seq, type, at, id, payload FROM events WHERE ((seq > ?1 AND seq <= ?2) OR "
          "(seq <= ?1 AND at > ?5)) AND at <= ?3 AND cid > ?4 ORDER BY cid, at, seq"
        : "SELECT cid, seq, type, at, id, payload FROM events WHERE seq > ?1 AND seq <= ?2 AND at <= ?3 "
          "AND cid > ?4 ORDER BY cid, at, seq";
    sqlite3_stmt *ev;
    if (sqlite3_prepare_v2(c->st->db, sql, -1, &ev, NULL) != SQLITE_OK) {
        vt_free(due.v);
        return db_fail(c);
    }
    sqlite3_bind_int64(ev, 1, cursor);
    sqlite3_bind_int64(ev, 2, H);
    sqlite3_bind_int64(ev, 3, U);
    sqlite3_bind_int64(ev, 4, last);
    if (deferred > 0) sqlite3_bind_int64(ev, 5, prev_until);

    int result = 0;
    size_t di = 0;
    uint64_t in_batch = 0;
    int erc = sqlite3_step(ev);
    if (vt_store_begin(c->st)) result = db_fail(c);
    while (result == 0) {
        if (erc != SQLITE_ROW && erc != SQLITE_DONE) {
            result = db_fail(c);
            break;
        }
        bool has_e = erc == SQLITE_ROW, has_d = di < due.n;
        if (!has_e && !has_d) break;
        int64_t ec = has_e ? sqlite3_column_int64(ev, 0) : INT64_MAX, dc = has_d ? due.v[di] : INT64_MAX;
        int64_t cur = ec < dc ? ec : dc;
        if (dc == cur) di++;
        while (erc == SQLITE_ROW && sqlite3_column_int64(ev, 0) == cur) {
            if (push_input(c, ev)) {
                result = -1;
                break;
            }
            erc = sqlite3_step(ev);
        }
        if (result) break;
        in_batch += c->nins ? c->nins : 1;
        if (process(c, cur, U)) {
            result = -1;
            break;
        }
        if ((int64_t)in_batch >= c->st->run_batch) {
            if (vt_store_meta_set(c->st, "run_last", cur) || vt_store_commit(c->st) || vt_store_begin(c->st)) {
                result = db_fail(c);
                break;
            }
            in_batch = 0;
        }
    }
    sqlite3_finalize(ev);
    if (result == 0 && finish_run(c, H, U) == 0 && vt_store_commit(c->st) == 0) {
        /* done */
    } else {
        if (result == 0) result = c->err ? -1 : db_fail(c);
        vt_store_rollback(c->st);
    }
    vt_free(due.v);
    return result;
}

static void add_stats(vt_run_stats *stats, vt_runner *r) {
    vt_run_stats *rs = vt_runner_stats(r);
    stats->inputs += rs->inputs, stats->contacts += rs->contacts, stats->created += rs->created;
    stats->late += rs->late, stats->skipped += rs->skipped, stats->emitted += rs->emitted;
    stats->suppressed += rs->suppressed;
}

int vt_store_run(vt_store *st, const vt_program *p, int64_t until, vt_run_stats *stats, int64_t *until_used,
                 char **error) {
    rctx c = {.st = st};
    vt_run_sink sink = {&c, on_row, on_audit};
    c.r = vt_runner_new(p, &sink, error);
    if (!c.r) return -1;
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
        vt_free(c.ins), vt_free(c.bytes), vt_free(c.id_off), vt_free(c.pay_off);
        return result;
    }
    if (until_used) *until_used = U;
    result = 0;
out:
    if (c.r) {
        add_stats(stats, c.r);
        vt_runner_free(c.r);
    }
    vt_free(c.ins), vt_free(c.bytes), vt_free(c.id_off), vt_free(c.pay_off);
    if (result && error) *error = c.err ? c.err : vt_strdup("the run failed");
    else vt_free(c.err);
    return result;
}
