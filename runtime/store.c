#include "store.h"
#include "../common/mem.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const stmt_sql[] = {
#define S(name, sql) sql,
    VT_STORE_STMTS(S)
#undef S
};

/* The schema; docs/store.md explains each table and why it has no other index. */
static const char meta_sql[] = "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;";
static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS flows(seq INTEGER PRIMARY KEY, name TEXT NOT NULL, version INTEGER NOT NULL,"
    " hash TEXT NOT NULL, deployed_at INTEGER NOT NULL, image BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS events(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, cid INTEGER NOT NULL,"
    " type TEXT NOT NULL, at INTEGER NOT NULL, payload BLOB);"
    "CREATE TABLE IF NOT EXISTS contact_keys(field TEXT NOT NULL, value TEXT NOT NULL, contact TEXT NOT NULL,"
    " PRIMARY KEY(field, value)) WITHOUT ROWID;"
    /* Ids and states apart: a run appends states in cid order instead of growing every
     * id row to a state's size; the view keeps the one-row-per-contact reading. */
    "CREATE TABLE IF NOT EXISTS contact_ids(cid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE);"
    "CREATE TABLE IF NOT EXISTS contact_states(cid INTEGER PRIMARY KEY, created_at INTEGER NOT NULL,"
    " clock INTEGER, next_wake INTEGER, state BLOB NOT NULL);"
    "CREATE VIEW IF NOT EXISTS contacts AS SELECT i.cid AS cid, i.id AS id, s.created_at AS created_at,"
    " s.clock AS clock, s.next_wake AS next_wake, s.state AS state"
    " FROM contact_ids i LEFT JOIN contact_states s ON s.cid = i.cid;"
    "CREATE TABLE IF NOT EXISTS outbox(seq INTEGER PRIMARY KEY, id TEXT NOT NULL, contact TEXT NOT NULL,"
    " at INTEGER NOT NULL, kind TEXT NOT NULL, channel TEXT, team TEXT, template TEXT, text TEXT, due INTEGER,"
    " workflow TEXT, step INTEGER, status TEXT NOT NULL, reason TEXT);"
    "CREATE TABLE IF NOT EXISTS audit(seq INTEGER PRIMARY KEY, contact TEXT NOT NULL, at INTEGER NOT NULL,"
    " kind INTEGER NOT NULL, a INTEGER, b INTEGER, c INTEGER, d INTEGER, cause TEXT, late INTEGER, flow INTEGER);"
    "CREATE TABLE IF NOT EXISTS rejected(seq INTEGER PRIMARY KEY, file TEXT, line INTEGER, reason TEXT, text TEXT);";

static char *msgf(const char *a, const char *b) {
    size_t n = strlen(a) + strlen(b) + 8;
    char *m = vt_malloc(n);
    if (m) snprintf(m, n, "%s%s", a, b);
    return m;
}

vt_store *vt_store_open(const char *path, bool create, char **error) {
    vt_store *st = vt_calloc(1, sizeof *st);
    if (!st) {
        if (error) *error = vt_strdup("out of memory");
        return NULL;
    }
    /* One connection per thread: no need for SQLite's per-call mutexes. */
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
        if (error) {
            char buf[512];
            snprintf(buf, sizeof buf, "cannot open the store %s: %s%s", path, st->db ? sqlite3_errmsg(st->db) : "",
                     create ? "" : " (run `verity ingest` first, or name the store with --store)");
            *error = vt_strdup(buf);
        }
        vt_store_close(st);
        return NULL;
    }
    sqlite3_busy_timeout(st->db, 10000);
    st->run_batch = VT_RUN_BATCH;
    st->run_pass = VT_RUN_PASS;
    /* WAL with synchronous=NORMAL: a killed process loses nothing committed; see docs/store.md.
     * 8 KB pages (a new store only): shallower b-trees for the id index, fewer page
     * reads and writes; 4 KB and 16 KB measured slower (docs/performance.md).
     * The version is read before the schema is created, so an older store is refused
     * rather than given tables it does not have. */
    int64_t version = 0;
    if (vt_store_exec(st, "PRAGMA page_size=8192; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                          "PRAGMA temp_store=FILE; PRAGMA secure_delete=OFF;") ||
        vt_store_cache_kb(st, VT_STORE_CACHE_KB) ||
        vt_store_exec(st, "BEGIN IMMEDIATE") || vt_store_exec(st, meta_sql) ||
        vt_store_meta_get(st, "schema_version", &version) < 0 ||
        (version == 0 &&
         (vt_store_exec(st, schema_sql) || vt_store_meta_set(st, "schema_version", VT_STORE_SCHEMA_VERSION)))) {
        if (error) *error = msgf("cannot prepare the store: ", sqlite3_errmsg(st->db));
        vt_store_close(st);
        return NULL;
    }
    if (version != 0 && version != VT_STORE_SCHEMA_VERSION) {
        if (error) {
            char buf[1024];
            if (version > VT_STORE_SCHEMA_VERSION)
                snprintf(buf, sizeof buf, "%s: this store was written by a newer verity; upgrade verity to read it",
                         path);
            else
                snprintf(buf, sizeof buf,
                         "%s: this store was written by an older verity (store schema %lld; this verity reads "
                         "schema %d, which keeps contacts' states in their own table); there is no migration: "
                         "ingest the inputs again into a new store (`verity ingest --store NEW.db --flow FLOW "
                         "INPUT...`) and run the flow there",
                         path, (long long)version, VT_STORE_SCHEMA_VERSION);
            *error = vt_strdup(buf);
        }
        vt_store_close(st); /* closing rolls the open transaction back */
        return NULL;
    }
    if (vt_store_exec(st, "COMMIT")) {
        if (error) *error = msgf("cannot prepare the store: ", sqlite3_errmsg(st->db));
        vt_store_close(st);
        return NULL;
    }
    return st;
}

void vt_store_close(vt_store *st) {
    if (!st) return;
    for (int i = 0; i < VT_SQL_COUNT; i++) sqlite3_finalize(st->stmts[i]);
    if (st->db) sqlite3_close(st->db);
    vt_free(st);
}

sqlite3_stmt *vt_store_stmt(vt_store *st, vt_stmt_id id) {
    sqlite3_stmt *s = st->stmts[id];
    if (!s) {
        if (sqlite3_prepare_v3(st->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &st->stmts[id], NULL) != SQLITE_OK)
            return NULL;
        return st->stmts[id];
    }
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return s;
}

const char *vt_store_error(const vt_store *st) { return sqlite3_errmsg(st->db); }

int vt_store_exec(vt_store *st, const char *sql) { return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1; }
int vt_store_cache_kb(vt_store *st, int kb) {
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA cache_size=-%d", kb);
    return vt_store_exec(st, sql);
}
int vt_store_begin(vt_store *st) { return vt_store_exec(st, "BEGIN IMMEDIATE"); }
int vt_store_commit(vt_store *st) { return vt_store_exec(st, "COMMIT"); }
void vt_store_rollback(vt_store *st) {
    if (!sqlite3_get_autocommit(st->db)) sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int vt_store_meta_get(vt_store *st, const char *key, int64_t *v) {
    sqlite3_stmt *s = vt_store_stmt(st, VT_SQL_META_GET);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *v = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
        return 1;
    }
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

int vt_store_meta_set(vt_store *st, const char *key, int64_t v) {
    sqlite3_stmt *s = vt_store_stmt(st, VT_SQL_META_SET);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, v);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

int vt_store_meta_del(vt_store *st, const char *key) {
    sqlite3_stmt *s = vt_store_stmt(st, VT_SQL_META_DEL);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

int vt_store_deploy(vt_store *st, const vt_program *p, int64_t now, int64_t *seq) {
    const vt_schema *sc = vt_program_schema(p);
    const char *hash = vt_program_hash(p);
    sqlite3_stmt *s = vt_store_stmt(st, VT_SQL_FLOW_FIND);
    if (!s) return -1;
    sqlite3_bind_text(s, 1, hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, sc->flow_name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, sc->flow_version);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        *seq = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
        return 0;
    }
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) return -1;
    uint8_t *img = NULL;
    size_t len = 0;
    if (vt_program_save(p, &img, &len)) return -1;
    s = vt_store_stmt(st, VT_SQL_FLOW_ADD);
    if (!s) {
        free(img);
        return -1;
    }
    sqlite3_bind_text(s, 1, sc->flow_name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 2, sc->flow_version);
    sqlite3_bind_text(s, 3, hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 4, now);
    sqlite3_bind_blob(s, 5, img, (int)len, SQLITE_STATIC);
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    free(img);
    if (rc != SQLITE_DONE) return -1;
    *seq = sqlite3_last_insert_rowid(st->db);
    return 0;
}

vt_program *vt_store_current_flow(vt_store *st, char **error) {
    int64_t seq;
    int got = vt_store_meta_get(st, "flow", &seq);
    if (got <= 0) {
        if (error) *error = vt_strdup(got < 0 ? sqlite3_errmsg(st->db) : "no flow has been run on this store yet (run `verity run FLOW` first)");
        return NULL;
    }
    sqlite3_stmt *s = vt_store_stmt(st, VT_SQL_FLOW_IMAGE);
    if (!s) {
        if (error) *error = vt_strdup(sqlite3_errmsg(st->db));
        return NULL;
    }
    sqlite3_bind_int64(s, 1, seq);
    vt_program *p = NULL;
    if (sqlite3_step(s) == SQLITE_ROW) {
        p = vt_program_load(sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0), error);
    } else if (error) {
        *error = vt_strdup("the store's flow is missing");
    }
    sqlite3_reset(s);
    return p;
}
