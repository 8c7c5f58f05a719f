/* Records into the store: prepared INSERTs in large transactions; a repeated id is
 * ignored by the events table's unique id and counted. Records naming their contact by
 * id are queued and inserted up to QROWS per statement (SQLite's per-statement cost is
 * a fifth of an insert); key registrations are queued the same way. Whatever reads the
 * events or contact_keys tables flushes the queues first. */
#include "../common/mem.h"
#include "record.h"
#include "strmap.h"
#include "store_run.h"
#include <string.h>
#include <unistd.h>

#define INGEST_BATCH 200000 /* records per transaction (each commit rewrites the index pages it touched) */
#define MAX_PRINTED 1000   /* rejected lines printed; all of them are kept in the store */
#define QROWS 16           /* records, or keys, per multi-row INSERT */

/* A record waiting for its INSERT: its bytes are at the offsets in ictx.qb. `keys` is
 * what it registers once accepted: (u32 field, u32 length, value) entries. */
typedef struct qrow {
    size_t id_off, pay_off, con_off, keys_off;
    uint32_t id_len, pay_len, con_len, keys_len;
    int64_t cid, at;
    const char *type; /* the schema's name: lives as long as the program */
    bool fresh;       /* its contact was added for it: kept only if the record is accepted */
} qrow;

/* A key registration waiting for its INSERT: value and contact id at offsets in kb. */
typedef struct krow {
    const char *field;
    size_t val_off, con_off;
    uint32_t val_len, con_len;
} krow;

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
    vt_strmap cids;         /* contact id -> cid, for the contacts seen in this ingest (and kept) */
    sqlite3_stmt *drop, *del_events, *del_contacts;
    qrow q[QROWS];          /* queued records, in input order */
    uint32_t nq;
    uint8_t *qb;            /* their bytes */
    size_t qlen, qcap;
    sqlite3_stmt *multi[QROWS + 1]; /* INSERTs of 1 .. QROWS records */
    krow k[QROWS];          /* queued key registrations, in order */
    uint32_t nk;
    uint8_t *kb;
    size_t klen, kcap;
    sqlite3_stmt *kmulti[QROWS + 1];
    sqlite3_stmt *maxat;
    sqlite3_stmt *cmulti[QROWS + 1]; /* INSERTs of 1 .. QROWS new contacts */
    bool all_cached;        /* every contact in the store is in cids: a miss is a new contact */
    bool checked;
    int64_t top;            /* the highest cid in contact_ids: a new contact gets top + 1 */
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

static int reserve(ictx *c, uint8_t **b, size_t *cap, size_t need) {
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap : 4096;
    while (n < need) n *= 2;
    uint8_t *p = vt_realloc(*b, n);
    if (!p) return db_fail(c);
    *b = p;
    *cap = n;
    return 0;
}

/* A prepared "INSERT ... VALUES (?,..),(?,..)" of k rows of `cols` columns, made on first use. */
static sqlite3_stmt *multi_insert(ictx *c, sqlite3_stmt **sp, const char *head, int cols, uint32_t k) {
    if (*sp) return *sp;
    char sql[160 + QROWS * 24];
    size_t n = (size_t)snprintf(sql, sizeof sql, "%s", head);
    for (uint32_t i = 0; i < k; i++) {
        n += (size_t)snprintf(sql + n, sizeof sql - n, "%s(?", i ? "," : " ");
        for (int j = 1; j < cols; j++) n += (size_t)snprintf(sql + n, sizeof sql - n, ",?");
        n += (size_t)snprintf(sql + n, sizeof sql - n, ")");
    }
    if (sqlite3_prepare_v3(c->st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, sp, NULL) != SQLITE_OK) {
        db_fail(c);
        return NULL;
    }
    return *sp;
}

/* ---- key registrations -------------------------------------------------------------- */

/* Inserts the queued keys (INSERT OR IGNORE: the first contact a value was seen with keeps it). */
static int kflush(ictx *c) {
    uint32_t n = c->nk;
    if (!n) return 0;
    c->nk = 0;
    sqlite3_stmt *s =
        multi_insert(c, &c->kmulti[n], "INSERT OR IGNORE INTO contact_keys(field, value, contact) VALUES", 3, n);
    if (!s) return -1;
    for (uint32_t i = 0; i < n; i++) {
        const krow *k = &c->k[i];
        if (sqlite3_bind_text(s, 3 * (int)i + 1, k->field, -1, SQLITE_STATIC) ||
            sqlite3_bind_text(s, 3 * (int)i + 2, (const char *)c->kb + k->val_off, (int)k->val_len, SQLITE_STATIC) ||
            sqlite3_bind_text(s, 3 * (int)i + 3, (const char *)c->kb + k->con_off, (int)k->con_len, SQLITE_STATIC))
            return db_fail(c);
    }
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    c->klen = 0;
    return rc == SQLITE_DONE ? 0 : db_fail(c);
}

static int add_key(ictx *c, const char *field, const char *v, size_t vl, const char *id, size_t idl) {
    if (reserve(c, &c->kb, &c->kcap, c->klen + vl + idl)) return -1;
    krow *k = &c->k[c->nk++];
    k->field = field;
    k->val_off = c->klen, k->val_len = (uint32_t)vl;
    memcpy(c->kb + c->klen, v, vl);
    c->klen += vl;
    k->con_off = c->klen, k->con_len = (uint32_t)idl;
    memcpy(c->kb + c->klen, id, idl);
    c->klen += idl;
    return c->nk == QROWS ? kflush(c) : 0;
}

/* The keys a record registers once accepted (r->keys of the row). */
static int add_keys(ictx *c, const qrow *q) {
    for (size_t o = 0; o < q->keys_len;) {
        uint32_t f, l;
        memcpy(&f, c->qb + q->keys_off + o, 4);
        memcpy(&l, c->qb + q->keys_off + o + 4, 4);
        if (add_key(c, c->s->contact_fields[f].name, (const char *)c->qb + q->keys_off + o + 8, l,
                    (const char *)c->qb + q->con_off, q->con_len))
            return -1;
        o += 8 + l;
    }
    return 0;
}

/* ---- contacts ----------------------------------------------------------------------- */

static int keep_contact(ictx *c, const char *id, size_t idl, int64_t cid) {
    if (cid > UINT32_MAX || vt_strmap_put(&c->cids, id, idl, (uint32_t)cid, NULL, NULL) < 0) return db_fail(c);
    return 0;
}

/* Runs a one-parameter DELETE (prepared on first use). */
static int delete_from(ictx *c, sqlite3_stmt **sp, const char *sql, int64_t v) {
    if (!*sp && sqlite3_prepare_v2(c->st->db, sql, -1, sp, NULL) != SQLITE_OK) return db_fail(c);
    sqlite3_reset(*sp);
    sqlite3_bind_int64(*sp, 1, v);
    int rc = sqlite3_step(*sp);
    sqlite3_reset(*sp);
    return rc == SQLITE_DONE ? 0 : db_fail(c);
}

/* The new contact's record was a duplicate: no contact for it. It had the highest cid,
 * so the next contact gets the same one (a rowid table numbers max + 1). */
static int drop_contact(ictx *c, int64_t cid) {
    c->top = cid - 1;
    return delete_from(c, &c->drop, "DELETE FROM contact_ids WHERE cid = ?1", cid);
}

/* Drops the queue's new contacts (they have the highest cids, from first_fresh). */
static int drop_fresh(ictx *c, int64_t first_fresh) {
    if (first_fresh == INT64_MAX) return 0;
    c->top = first_fresh - 1;
    return delete_from(c, &c->del_contacts, "DELETE FROM contact_ids WHERE cid >= ?1", first_fresh);
}

/* The cid of a contact not in c->cids: a new contact of a queued row before
 * `before`, a stored one, or a new one with *fresh set: the next after the highest
 * (the number SQLite would give it), its contact_ids row added now or, when `later`,
 * by the caller (add_fresh, several per statement). A new contact is kept only if its
 * record is accepted (keep_contact), else dropped again, as simulate does. */
static int cid_missing(ictx *c, const char *id, size_t idl, uint32_t before, bool later, int64_t *cid,
                       bool *fresh) {
    *fresh = false;
    for (uint32_t i = 0; i < before; i++)
        if (c->q[i].fresh && c->q[i].con_len == idl && memcmp(c->qb + c->q[i].con_off, id, idl) == 0) {
            *cid = c->q[i].cid;
            return 0;
        }
    int rc = SQLITE_DONE;
    if (!c->all_cached) {
        sqlite3_stmt *q = vt_store_stmt(c->st, VT_SQL_CONTACT_CID);
        if (!q) return db_fail(c);
        sqlite3_bind_text(q, 1, id, (int)idl, SQLITE_STATIC);
        rc = sqlite3_step(q);
        if (rc == SQLITE_ROW) *cid = sqlite3_column_int64(q, 0);
        sqlite3_reset(q);
    }
    if (rc == SQLITE_ROW)
        return *cid > UINT32_MAX || vt_strmap_put(&c->cids, id, idl, (uint32_t)*cid, NULL, NULL) < 0 ? db_fail(c) : 0;
    if (rc != SQLITE_DONE) return db_fail(c);
    *cid = ++c->top;
    *fresh = true;
    if (later) return 0;
    sqlite3_stmt *q = vt_store_stmt(c->st, VT_SQL_CONTACT_ADD);
    if (!q) return db_fail(c);
    sqlite3_bind_int64(q, 1, *cid);
    sqlite3_bind_text(q, 2, id, (int)idl, SQLITE_STATIC);
    rc = sqlite3_step(q);
    sqlite3_reset(q);
    return rc == SQLITE_DONE ? 0 : db_fail(c);
}

/* The contact's integer id (its processing order), for a record inserted alone. */
static int cid_of(ictx *c, const char *id, size_t idl, int64_t *cid, bool *fresh) {
    int64_t v = vt_strmap_get(&c->cids, id, idl);
    if (v < 0) return cid_missing(c, id, idl, 0, false, cid, fresh);
    *cid = v;
    *fresh = false;
    return 0;
}

/* The contact_ids rows of the queue's new contacts, in one statement (their cids
 * ascend in queue order, as one-row INSERTs would have numbered them). OR IGNORE spares
 * SQLite a statement journal (a multi-row INSERT that may fail half-way needs one, and
 * it went to a temporary file: a write per statement); a row it would skip is an error,
 * seen in the count. */
static int add_fresh(ictx *c, uint32_t n) {
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) k += c->q[i].fresh;
    if (!k) return 0;
    sqlite3_stmt *s = multi_insert(c, &c->cmulti[k], "INSERT OR IGNORE INTO contact_ids(cid, id) VALUES", 2, k);
    if (!s) return -1;
    int at = 1;
    for (uint32_t i = 0; i < n; i++) {
        const qrow *q = &c->q[i];
        if (!q->fresh) continue;
        if (sqlite3_bind_int64(s, at, q->cid) ||
            sqlite3_bind_text(s, at + 1, (const char *)c->qb + q->con_off, (int)q->con_len, SQLITE_STATIC))
            return db_fail(c);
        at += 2;
    }
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return db_fail(c);
    if (sqlite3_changes(c->st->db) != (int)k) {
        vt_free(c->err);
        c->err = vt_strdup("the store failed: a new contact's id or number is in the store already");
        return -1;
    }
    return 0;
}

/* The cids of the n queued rows, in order. The map look-ups come first, in one tight
 * loop: on a large map each is a cache miss or two, which the processor overlaps when
 * the look-ups come together (one per record, between the parsing of lines, they
 * overlapped none; on_record prefetches each one's slot besides). New contacts' rows
 * are added together at the end. */
static int resolve_queue(ictx *c, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        qrow *q = &c->q[i];
        q->cid = vt_strmap_get(&c->cids, (const char *)c->qb + q->con_off, q->con_len);
    }
    for (uint32_t i = 0; i < n; i++) {
        qrow *q = &c->q[i];
        if (q->cid < 0 &&
            cid_missing(c, (const char *)c->qb + q->con_off, q->con_len, i, true, &q->cid, &q->fresh))
            return -1;
    }
    return add_fresh(c, n);
}

/* ---- records ------------------------------------------------------------------------ */

static int bind_row(ictx *c, sqlite3_stmt *s, int base, const qrow *r) {
    if (sqlite3_bind_text(s, base + 1, (const char *)c->qb + r->id_off, (int)r->id_len, SQLITE_STATIC) ||
        sqlite3_bind_int64(s, base + 2, r->cid) || sqlite3_bind_text(s, base + 3, r->type, -1, SQLITE_STATIC) ||
        sqlite3_bind_int64(s, base + 4, r->at) ||
        sqlite3_bind_blob(s, base + 5, c->qb + r->pay_off, (int)r->pay_len, SQLITE_STATIC))
        return db_fail(c);
    return 0;
}

/* The consequences of a record's insert: its new contact kept or dropped, its keys. */
static int settle(ictx *c, const qrow *r, bool accepted) {
    if (!accepted) {
        c->stats->duplicates++;
        return r->fresh ? drop_contact(c, r->cid) : 0;
    }
    c->stats->accepted++;
    saw_at(c, r->at);
    if (r->fresh && keep_contact(c, (const char *)c->qb + r->con_off, r->con_len, r->cid)) return -1;
    return add_keys(c, r);
}

/* Inserts one record alone, its contact resolved now (r->cid is set here). */
static int insert_alone(ictx *c, qrow *r) {
    if (cid_of(c, (const char *)c->qb + r->con_off, r->con_len, &r->cid, &r->fresh)) return -1;
    sqlite3_stmt *q = vt_store_stmt(c->st, VT_SQL_EVENT_ADD);
    if (!q || bind_row(c, q, 0, r)) return db_fail(c);
    int st = sqlite3_step(q);
    sqlite3_reset(q);
    if (st != SQLITE_DONE) return db_fail(c);
    return settle(c, r, sqlite3_changes(c->st->db) > 0);
}

/* Inserts the queued records in input order, in one statement. Whether a record is a
 * duplicate depends only on its id (repeats inside the queue were counted already),
 * but the statement says only how many it inserted: all, none, or some. With some, the
 * rows inserted have consecutive seqs and the latest time accepted is read back from
 * them; but if the queue holds records with consequences (a new contact, kept only if
 * its record is accepted; keys), the statement is taken back (its rows have the highest
 * seqs, its new contacts the highest cids) and the records are inserted one at a time,
 * each with its own answer (rare: a file overlapping what the store holds). */
static int qflush(ictx *c) {
    uint32_t n = c->nq;
    if (!n) return 0;
    if (resolve_queue(c, n)) return -1;
    sqlite3_stmt *s =
        multi_insert(c, &c->multi[n], "INSERT OR IGNORE INTO events(id, cid, type, at, payload) VALUES", 5, n);
    if (!s) return -1;
    for (uint32_t i = 0; i < n; i++)
        if (bind_row(c, s, (int)i * 5, &c->q[i])) return -1;
    int st = sqlite3_step(s);
    sqlite3_reset(s);
    if (st != SQLITE_DONE) return db_fail(c);
    uint32_t added = (uint32_t)sqlite3_changes(c->st->db);
    int64_t first_fresh = INT64_MAX, last = sqlite3_last_insert_rowid(c->st->db);
    bool effects = false;
    for (uint32_t i = 0; i < n; i++) {
        if (c->q[i].fresh && c->q[i].cid < first_fresh) first_fresh = c->q[i].cid;
        if (c->q[i].fresh || c->q[i].keys_len) effects = true;
    }
    c->nq = 0; /* the rows stay readable in c->q and c->qb until the end */
    int rc = 0;
    if (added == n) {
        for (uint32_t i = 0; i < n && rc == 0; i++) rc = settle(c, &c->q[i], true);
    } else if (added == 0) {
        c->stats->duplicates += n;
        rc = drop_fresh(c, first_fresh);
    } else if (effects) {
        rc = delete_from(c, &c->del_events, "DELETE FROM events WHERE seq > ?1", last - added);
        if (rc == 0) rc = drop_fresh(c, first_fresh);
        for (uint32_t i = 0; i < n && rc == 0; i++) rc = insert_alone(c, &c->q[i]);
    } else {
        c->stats->accepted += added;
        c->stats->duplicates += n - added;
        if (!c->maxat &&
            sqlite3_prepare_v2(c->st->db, "SELECT max(at) FROM events WHERE seq > ?1", -1, &c->maxat, NULL) != SQLITE_OK)
            return db_fail(c);
        sqlite3_reset(c->maxat);
        sqlite3_bind_int64(c->maxat, 1, last - added);
        st = sqlite3_step(c->maxat);
        if (st == SQLITE_ROW) saw_at(c, sqlite3_column_int64(c->maxat, 0));
        sqlite3_reset(c->maxat);
        if (st != SQLITE_ROW) return db_fail(c);
    }
    c->qlen = 0;
    return rc;
}

/* Appends a (field, length, value) key entry to c->qb (room reserved by the caller). */
static void put_key(ictx *c, uint32_t field, const char *v, size_t len) {
    uint32_t l = (uint32_t)len;
    memcpy(c->qb + c->qlen, &field, 4);
    memcpy(c->qb + c->qlen + 4, &l, 4);
    memcpy(c->qb + c->qlen + 8, v, len);
    c->qlen += 8 + len;
}

/* Copies a record into the queue's next row (not yet counted in c->nq): its id,
 * payload (in c->buf), contact id and the keys it registers. */
static qrow *stage(ictx *c, const vt_inrec *r, const char *con, size_t conl, size_t plen) {
    const vt_value *v = r->values;
    bool named = r->key_field >= 0 && !r->contact; /* the key naming the contact, then a contact record's */
    size_t keys = named ? 8 + r->key_len : 0;
    if (r->type == VT_INPUT_CONTACT)
        for (uint32_t i = 0; i < r->nvalues; i++)
            if (c->s->contact_fields[i].key && v[i].type == VT_V_TEXT) keys += 8 + v[i].u.s.len;
    if (reserve(c, &c->qb, &c->qcap, c->qlen + r->id_len + plen + conl + keys)) return NULL;
    qrow *q = &c->q[c->nq];
    uint8_t *b = c->qb;
    q->id_off = c->qlen, q->id_len = (uint32_t)r->id_len;
    memcpy(b + c->qlen, r->id, r->id_len), c->qlen += r->id_len;
    q->pay_off = c->qlen, q->pay_len = (uint32_t)plen;
    if (plen) memcpy(b + c->qlen, c->buf, plen), c->qlen += plen;
    q->con_off = c->qlen, q->con_len = (uint32_t)conl;
    memcpy(b + c->qlen, con, conl), c->qlen += conl;
    q->keys_off = c->qlen, q->keys_len = (uint32_t)keys;
    if (named) put_key(c, (uint32_t)r->key_field, r->key, r->key_len);
    if (r->type == VT_INPUT_CONTACT)
        for (uint32_t i = 0; i < r->nvalues; i++)
            if (c->s->contact_fields[i].key && v[i].type == VT_V_TEXT) put_key(c, i, v[i].u.s.p, v[i].u.s.len);
    q->at = r->at;
    q->type = r->type_name;
    q->fresh = false;
    return q;
}

/* At each transaction's start: the store's contacts are all cached when it had none at
 * the start of this ingest and nobody else has added any since (their cids would be
 * higher than ours). Saves one look-up per new contact on a fresh store. */
static int note_contacts(ictx *c) {
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(c->st->db, "SELECT coalesce(max(cid), 0) FROM contact_ids", -1, &q, NULL) != SQLITE_OK)
        return db_fail(c);
    int rc = sqlite3_step(q);
    int64_t top = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW) return db_fail(c);
    c->all_cached = c->checked ? c->all_cached && top == c->top : top == 0;
    c->checked = true;
    c->top = top;
    return 0;
}

static int flush(ictx *c, bool reopen) {
    if (qflush(c) || kflush(c)) return -1;
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

/* The owner of the key a record names (a key seen for the first time names a new
 * contact whose id is the key's value), copied to c->buf + off. */
static int resolve_key(ictx *c, const vt_inrec *r, size_t off, const char **id, size_t *len) {
    if (qflush(c) || kflush(c)) return -1; /* the keys queued so far are read here */
    const char *field = c->s->contact_fields[r->key_field].name;
    sqlite3_stmt *q = vt_store_stmt(c->st, VT_SQL_KEY_GET);
    if (!q) return db_fail(c);
    sqlite3_bind_text(q, 1, field, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, r->key, (int)r->key_len, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(q, 0);
        if (reserve(c, &c->buf, &c->cap, off + n + 1)) return sqlite3_reset(q), -1;
        memcpy(c->buf + off, sqlite3_column_text(q, 0), n);
        *id = (const char *)c->buf + off;
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

/* A record: queued with its contact's cid when it names the contact by id (a repeat of
 * a queued id is a duplicate at once); inserted alone, after the queue, when it names a
 * key (the key's owner is read from the store). */
static int on_record(void *ud, const vt_inrec *r, const char *file, uint64_t line) {
    (void)line;
    ictx *c = ud;
    const vt_schema_field *fs = r->type == VT_INPUT_CONTACT ? c->s->contact_fields : c->s->events[r->type].fields;
    long plen = vt_payload_encode(c->s, fs, r->nvalues, r->values, &c->buf, &c->cap);
    if (plen < 0) return db_fail(c);
    /* A repeat inside the queue; ids that differ mostly differ in their last byte
     * (counters, random ids), tested before the whole. */
    uint8_t last = r->id_len ? (uint8_t)r->id[r->id_len - 1] : 0;
    for (uint32_t i = 0; i < c->nq; i++)
        if (c->q[i].id_len == r->id_len && (!r->id_len || c->qb[c->q[i].id_off + r->id_len - 1] == last) &&
            memcmp(c->qb + c->q[i].id_off, r->id, r->id_len) == 0) {
            c->stats->duplicates++;
            return bump(c, file);
        }
    if (!r->contact) {
        const char *id;
        size_t idl;
        if (resolve_key(c, r, (size_t)plen, &id, &idl)) return -1;
        qrow *q = stage(c, r, id, idl, (size_t)plen);
        if (!q || insert_alone(c, q)) return -1;
        c->qlen = 0;
        return bump(c, file);
    }
    if (c->cids.cap) /* its slot, for resolve_queue (as simulate.c does for its maps) */
        __builtin_prefetch(&c->cids.slots[vt_strmap_hash(r->contact, r->contact_len) & (c->cids.cap - 1)]);
    if (!stage(c, r, r->contact, r->contact_len, (size_t)plen)) return -1;
    if (++c->nq == QROWS && qflush(c)) return -1;
    return bump(c, file);
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
    sqlite3_finalize(c.drop), sqlite3_finalize(c.del_events), sqlite3_finalize(c.del_contacts);
    for (int i = 0; i <= QROWS; i++)
        sqlite3_finalize(c.multi[i]), sqlite3_finalize(c.kmulti[i]), sqlite3_finalize(c.cmulti[i]);
    sqlite3_finalize(c.maxat);
    vt_free(c.qb), vt_free(c.kb);
    if (rc) {
        if (error) *error = c.err ? c.err : vt_strdup("ingest failed");
        else vt_free(c.err);
        return -1;
    }
    vt_free(c.err);
    return 0;
}
