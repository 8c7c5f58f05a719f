/* Records into the store: prepared INSERTs in large transactions; a repeated id is
 * ignored by the events table's unique id and counted. Events naming their contact by
 * id are queued and inserted QROWS per statement (SQLite's per-statement cost is a
 * fifth of an insert); everything that reads the events table flushes the queue first. */
#include "../common/mem.h"
#include "record.h"
#include "strmap.h"
#include "store_run.h"
#include <string.h>
#include <unistd.h>

#define INGEST_BATCH 50000 /* records per transaction */
#define MAX_PRINTED 1000   /* rejected lines printed; all of them are kept in the store */
#define QLOG 4
#define QROWS (1u << QLOG) /* events per multi-row INSERT */

typedef struct qrow {
    size_t id_off, id_len, pay_off, pay_len; /* in ictx.qb */
    int64_t cid, at;
    const char *type; /* the schema's name: lives as long as the program */
} qrow;

typedef struct ictx {
    vt_store *st;
    const vt_schema *s;
    vt_ingest_stats *stats;
    FILE *errs;
    bool progress;
    uint64_t in_batch, lines;
    int64_t max_at;
    bool have_max;
    uint8_t *buf;
    size_t cap;
    char *err;
    vt_strmap cids;         /* contact id -> cid, for the contacts seen in this ingest */
    sqlite3_stmt *drop;
    qrow q[QROWS];          /* queued events, in input order */
    uint32_t nq;
    uint8_t *qb;            /* their ids and payloads */
    size_t qlen, qcap;
    sqlite3_stmt *multi[QLOG + 1]; /* INSERTs of 1, 2, 4 ... QROWS rows */
    sqlite3_stmt *maxat;
    bool all_cached;        /* every contact in the store is in cids: a miss is a new contact */
    bool checked;
    int64_t last_cid;       /* the highest cid in the store when last checked or added */
} ictx;

static int db_fail(ictx *c) {
    if (!c->err) {
        const char *m = vt_store_error(c->st);
        c->err = vt_malloc(strlen(m) + 32);
        if (c->err) sprintf(c->err, "the store failed: %s", m);
    }
    return -1;
}

static void saw_at(ictx *c, int64_t at) {
    if (!c->have_max || at > c->max_at) c->max_at = at, c->have_max = true;
}

static int bind_row(ictx *c, sqlite3_stmt *s, int base, const qrow *r) {
    if (sqlite3_bind_text(s, base + 1, (const char *)c->qb + r->id_off, (int)r->id_len, SQLITE_STATIC) ||
        sqlite3_bind_int64(s, base + 2, r->cid) || sqlite3_bind_text(s, base + 3, r->type, -1, SQLITE_STATIC) ||
        sqlite3_bind_int64(s, base + 4, r->at) ||
        sqlite3_bind_blob(s, base + 5, c->qb + r->pay_off, (int)r->pay_len, SQLITE_STATIC))
        return db_fail(c);
    return 0;
}

/* Inserts k queued events from q in one statement. The ids ignored as duplicates are
 * not known one by one, but the rows inserted have consecutive seqs, so the latest
 * time accepted is read back from them. */
static int insert_rows(ictx *c, const qrow *q, uint32_t k) {
    int lg = 0;
    while ((1u << lg) < k) lg++;
    sqlite3_stmt **sp = &c->multi[lg];
    if (!*sp) {
        char sql[96 + QROWS * 12];
        size_t n = (size_t)sprintf(sql, "INSERT OR IGNORE INTO events(id, cid, type, at, payload) VALUES ");
        for (uint32_t i = 0; i < k; i++) n += (size_t)sprintf(sql + n, "%s(?,?,?,?,?)", i ? "," : "");
        if (sqlite3_prepare_v3(c->st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, sp, NULL) != SQLITE_OK) return db_fail(c);
    }
    for (uint32_t i = 0; i < k; i++)
        if (bind_row(c, *sp, (int)i * 5, &q[i])) return -1;
    int st = sqlite3_step(*sp);
    sqlite3_reset(*sp);
    if (st != SQLITE_DONE) return db_fail(c);
    uint32_t added = (uint32_t)sqlite3_changes(c->st->db);
    c->stats->accepted += added;
    c->stats->duplicates += k - added;
    if (added == k) {
        for (uint32_t i = 0; i < k; i++) saw_at(c, q[i].at);
    } else if (added > 0) {
        if (!c->maxat &&
            sqlite3_prepare_v2(c->st->db, "SELECT max(at) FROM events WHERE seq > ?1", -1, &c->maxat, NULL) != SQLITE_OK)
            return db_fail(c);
        sqlite3_reset(c->maxat);
        sqlite3_bind_int64(c->maxat, 1, sqlite3_last_insert_rowid(c->st->db) - added);
        st = sqlite3_step(c->maxat);
        if (st == SQLITE_ROW) saw_at(c, sqlite3_column_int64(c->maxat, 0));
        sqlite3_reset(c->maxat);
        if (st != SQLITE_ROW) return db_fail(c);
    }
    return 0;
}

/* Inserts the queued events in input order, in statements of QROWS, QROWS/2, ... 1 rows. */
static int qflush(ictx *c) {
    uint32_t n = c->nq, i = 0;
    c->nq = 0;
    c->qlen = 0;
    for (uint32_t k = QROWS; k > 0; k /= 2)
        while (n - i >= k) {
            if (insert_rows(c, c->q + i, k)) return -1;
            i += k;
        }
    return 0;
}

/* Queues an event; a repeat of a queued id is a duplicate right away. */
static int enqueue(ictx *c, const vt_inrec *r, int64_t cid, const uint8_t *pay, size_t plen) {
    for (uint32_t i = 0; i < c->nq; i++)
        if (c->q[i].id_len == r->id_len && memcmp(c->qb + c->q[i].id_off, r->id, r->id_len) == 0) {
            c->stats->duplicates++;
            return 0;
        }
    size_t need = c->qlen + r->id_len + plen;
    if (need > c->qcap) {
        size_t cap = c->qcap ? c->qcap : 4096;
        while (cap < need) cap *= 2;
        uint8_t *b = vt_realloc(c->qb, cap);
        if (!b) return db_fail(c);
        c->qb = b;
        c->qcap = cap;
    }
    qrow *q = &c->q[c->nq++];
    q->id_off = c->qlen;
    q->id_len = r->id_len;
    memcpy(c->qb + c->qlen, r->id, r->id_len);
    c->qlen += r->id_len;
    q->pay_off = c->qlen;
    q->pay_len = plen;
    if (plen) memcpy(c->qb + c->qlen, pay, plen);
    c->qlen += plen;
    q->cid = cid;
    q->at = r->at;
    q->type = r->type_name;
    return c->nq == QROWS ? qflush(c) : 0;
}

/* At each transaction's start: the store's contacts are all cached when it had none at
 * the start of this ingest and nobody else has added any since (their cids would be
 * higher than ours). Saves one look-up per new contact on a fresh store. */
static int note_contacts(ictx *c) {
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(c->st->db, "SELECT coalesce(max(cid), 0) FROM contacts", -1, &q, NULL) != SQLITE_OK)
        return db_fail(c);
    int rc = sqlite3_step(q);
    int64_t top = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW) return db_fail(c);
    c->all_cached = c->checked ? c->all_cached && top == c->last_cid : top == 0;
    c->checked = true;
    c->last_cid = top;
    return 0;
}

static int flush(ictx *c, bool reopen) {
    if (qflush(c)) return -1;
    if (c->have_max) {
        int64_t old;
        int got = vt_store_meta_get(c->st, "max_at", &old);
        if (got < 0) return db_fail(c);
        if ((got == 0 || c->max_at > old) && vt_store_meta_set(c->st, "max_at", c->max_at)) return db_fail(c);
    }
    if (vt_store_commit(c->st)) return db_fail(c);
    c->in_batch = 0;
    if (reopen && (vt_store_begin(c->st) || note_contacts(c))) return db_fail(c);
    return 0;
}

static void draw_progress(ictx *c, const char *file) {
    fprintf(c->errs, "\r\033[Kingest %s: %llu lines, %llu accepted, %llu duplicates, %llu rejected", file,
            (unsigned long long)c->lines, (unsigned long long)c->stats->accepted,
            (unsigned long long)c->stats->duplicates, (unsigned long long)c->stats->rejected);
    fflush(c->errs);
}

static int bump(ictx *c, const char *file) {
    c->lines++;
    if (c->progress && c->lines % 65536 == 0) draw_progress(c, file);
    if (++c->in_batch >= INGEST_BATCH) return flush(c, true);
    return 0;
}

/* The contact a record belongs to: its id, or the owner of the key it names (a key
 * seen for the first time names a new contact whose id is the key's value). */
static int resolve(ictx *c, const vt_inrec *r, const char **id, size_t *len) {
    if (r->contact) {
        *id = r->contact;
        *len = r->contact_len;
        return 0;
    }
    const char *field = c->s->contact_fields[r->key_field].name;
    sqlite3_stmt *q = vt_store_stmt(c->st, VT_SQL_KEY_GET);
    if (!q) return db_fail(c);
    sqlite3_bind_text(q, 1, field, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, r->key, (int)r->key_len, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        /* copy: the statement is reset by the next use */
        size_t n = (size_t)sqlite3_column_bytes(q, 0);
        if (n + 1 > c->cap) {
            uint8_t *b = vt_realloc(c->buf, n + 256);
            if (!b) return db_fail(c);
            c->buf = b;
            c->cap = n + 256;
        }
        memcpy(c->buf, sqlite3_column_text(q, 0), n);
        *id = (const char *)c->buf;
        *len = n;
        sqlite3_reset(q);
        return 0;
    }
    sqlite3_reset(q);
    if (rc != SQLITE_DONE) return db_fail(c);
    *id = r->key;
    *len = r->key_len;
    return 0;
}

static int add_key(ictx *c, const char *field, const char *v, size_t vl, const char *id, size_t idl) {
    sqlite3_stmt *q = vt_store_stmt(c->st, VT_SQL_KEY_ADD);
    if (!q) return db_fail(c);
    sqlite3_bind_text(q, 1, field, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, v, (int)vl, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, id, (int)idl, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? 0 : db_fail(c);
}

/* The contact's integer id (its processing order): known, stored, or new. A new
 * contact is added with *fresh set, and is kept only if its record is not a duplicate
 * (keep_contact or drop_contact, once the record's insert says), as simulate does. */
static int cid_of(ictx *c, const char *id, size_t idl, int64_t *cid, bool *fresh) {
    *fresh = false;
    int64_t v = vt_strmap_get(&c->cids, id, idl);
    if (v >= 0) {
        *cid = v;
        return 0;
    }
    sqlite3_stmt *q;
    int rc = SQLITE_DONE;
    if (!c->all_cached) {
        q = vt_store_stmt(c->st, VT_SQL_CONTACT_CID);
        if (!q) return db_fail(c);
        sqlite3_bind_text(q, 1, id, (int)idl, SQLITE_STATIC);
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) *cid = sqlite3_column_int64(q, 0);
        sqlite3_reset(q);
    }
    if (rc != SQLITE_ROW) {
        if (rc != SQLITE_DONE) return db_fail(c);
        if (qflush(c)) return -1; /* the record goes in now, after the queued ones */
        q = vt_store_stmt(c->st, VT_SQL_CONTACT_ADD);
        if (!q) return db_fail(c);
        sqlite3_bind_text(q, 1, id, (int)idl, SQLITE_STATIC);
        rc = sqlite3_step(q);
        sqlite3_reset(q);
        if (rc != SQLITE_DONE) return db_fail(c);
        *cid = sqlite3_last_insert_rowid(c->st->db);
        *fresh = true;
        return 0;
    }
    if (*cid > UINT32_MAX || vt_strmap_put(&c->cids, id, idl, (uint32_t)*cid, NULL, NULL) < 0) return db_fail(c);
    return 0;
}

static int keep_contact(ictx *c, const char *id, size_t idl, int64_t cid) {
    c->last_cid = cid;
    if (cid > UINT32_MAX || vt_strmap_put(&c->cids, id, idl, (uint32_t)cid, NULL, NULL) < 0) return db_fail(c);
    return 0;
}

/* The new contact's record was a duplicate: no contact for it. It had the highest cid,
 * so the next contact gets the same one (a rowid table numbers max + 1). */
static int drop_contact(ictx *c, int64_t cid) {
    if (!c->drop && sqlite3_prepare_v2(c->st->db, "DELETE FROM contacts WHERE cid = ?1", -1, &c->drop, NULL) != SQLITE_OK)
        return db_fail(c);
    sqlite3_reset(c->drop);
    sqlite3_bind_int64(c->drop, 1, cid);
    int rc = sqlite3_step(c->drop);
    sqlite3_reset(c->drop);
    return rc == SQLITE_DONE ? 0 : db_fail(c);
}

static int on_record(void *ud, const vt_inrec *r, const char *file, uint64_t line) {
    (void)line;
    ictx *c = ud;
    const char *id;
    size_t idl;
    if (resolve(c, r, &id, &idl)) return -1;
    int64_t cid;
    bool fresh;
    if (cid_of(c, id, idl, &cid, &fresh)) return -1;
    /* The resolved id may live in c->buf, which the payload reuses: keep a copy. */
    char idcopy[256];
    char *idbuf = idl < sizeof idcopy ? idcopy : vt_malloc(idl + 1);
    if (!idbuf) return db_fail(c);
    memcpy(idbuf, id, idl);
    const vt_schema_field *fs = r->type == VT_INPUT_CONTACT ? c->s->contact_fields : c->s->events[r->type].fields;
    long plen = vt_payload_encode(c->s, fs, r->nvalues, r->values, &c->buf, &c->cap);
    int rc = -1;
    if (plen < 0) {
        db_fail(c);
        goto out;
    }
    if (r->contact && r->type != VT_INPUT_CONTACT && !fresh) { /* no keys to register: queue it */
        if (enqueue(c, r, cid, c->buf, (size_t)plen) == 0) rc = bump(c, file);
        goto out;
    }
    if (qflush(c)) goto out; /* keep seqs in input order */
    sqlite3_stmt *q = vt_store_stmt(c->st, VT_SQL_EVENT_ADD);
    if (!q) {
        db_fail(c);
        goto out;
    }
    sqlite3_bind_text(q, 1, r->id, (int)r->id_len, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, cid);
    sqlite3_bind_text(q, 3, r->type_name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 4, r->at);
    sqlite3_bind_blob(q, 5, c->buf, (int)plen, SQLITE_STATIC);
    int st = sqlite3_step(q);
    sqlite3_reset(q);
    if (st != SQLITE_DONE) {
        db_fail(c);
        goto out;
    }
    if (sqlite3_changes(c->st->db) == 0) {
        c->stats->duplicates++;
        if (fresh && drop_contact(c, cid)) goto out;
    } else {
        if (fresh && keep_contact(c, idbuf, idl, cid)) goto out;
        c->stats->accepted++;
        saw_at(c, r->at);
        if (r->key_field >= 0 && !r->contact &&
            add_key(c, c->s->contact_fields[r->key_field].name, r->key, r->key_len, idbuf, idl))
            goto out;
        if (r->type == VT_INPUT_CONTACT)
            for (uint32_t i = 0; i < r->nvalues; i++)
                if (c->s->contact_fields[i].key && r->values[i].type == VT_V_TEXT &&
                    add_key(c, c->s->contact_fields[i].name, r->values[i].u.s.p, r->values[i].u.s.len, idbuf, idl))
                    goto out;
    }
    rc = bump(c, file);
out:
    if (idbuf != idcopy) vt_free(idbuf);
    return rc;
}

static int on_reject(void *ud, const char *file, uint64_t line, const char *why, const char *text, size_t len) {
    ictx *c = ud;
    c->stats->rejected++;
    if (c->stats->rejected <= MAX_PRINTED) {
        if (c->progress) fputs("\r\033[K", c->errs);
        fprintf(c->errs, "%s:%llu: %s\n", file, (unsigned long long)line, why);
    } else if (c->stats->rejected == MAX_PRINTED + 1) {
        fprintf(c->errs, "(more rejected lines are not printed; every one is kept in the store's `rejected` table)\n");
    }
    sqlite3_stmt *q = vt_store_stmt(c->st, VT_SQL_REJECT_ADD);
    if (!q) return db_fail(c);
    sqlite3_bind_text(q, 1, file, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, (int64_t)line);
    sqlite3_bind_text(q, 3, why, -1, SQLITE_STATIC);
    /* Kept as a blob: the text may be invalid UTF-8; capped so a huge line stays small. */
    sqlite3_bind_blob(q, 4, text, (int)(len > 4096 ? 4096 : len), SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_reset(q);
    if (rc != SQLITE_DONE) return db_fail(c);
    return bump(c, file);
}

int vt_store_ingest(vt_store *st, const vt_program *p, const char *const *paths, size_t npaths, FILE *errs,
                    bool progress, vt_ingest_stats *stats, char **error) {
    memset(stats, 0, sizeof *stats);
    const vt_schema *s = vt_program_schema(p);
    vt_ingest *x = vt_ingest_new(s, error);
    if (!x) return -1;
    ictx c = {.st = st, .s = s, .stats = stats, .errs = errs, .progress = progress};
    vt_strmap_init(&c.cids);
    vt_ingest_sink sink = {&c, on_record, on_reject};
    int rc = 0;
    if (vt_store_begin(st) || note_contacts(&c)) {
        rc = db_fail(&c);
        vt_store_rollback(st);
    } else {
        bool file_failed = false;
        for (size_t i = 0; i < npaths && rc == 0; i++) {
            char *ferr = NULL;
            rc = vt_ingest_file(x, paths[i], &sink, &ferr);
            if (rc && ferr && !c.err) c.err = ferr, file_failed = true;
            else vt_free(ferr);
            if (progress) draw_progress(&c, paths[i]), fputs("\n", errs);
        }
        /* An unreadable file keeps the good lines read so far; a store error loses only
         * the batch in progress (earlier batches are committed). */
        if (rc == 0 || file_failed) {
            if (flush(&c, false)) rc = -1;
        } else {
            vt_store_rollback(st);
        }
    }
    vt_ingest_free(x);
    vt_free(c.buf);
    vt_strmap_free(&c.cids);
    sqlite3_finalize(c.drop);
    for (int i = 0; i <= QLOG; i++) sqlite3_finalize(c.multi[i]);
    sqlite3_finalize(c.maxat);
    vt_free(c.qb);
    if (rc) {
        if (error) *error = c.err ? c.err : vt_strdup("ingest failed");
        else vt_free(c.err);
        return -1;
    }
    vt_free(c.err);
    return 0;
}
