/* The contact event store on SQLite (schema and its reasons: docs/store.md). One
 * vt_store per connection; statements are prepared once, on first use, and reused. */
#ifndef VT_STORE_H
#define VT_STORE_H
#include "verity.h"
#include <sqlite3.h>
#include <stdint.h>

/* 2: contacts' states moved from `contacts` to `contact_states` (docs/store.md). */
#define VT_STORE_SCHEMA_VERSION 2
#define VT_STORE_DEFAULT "verity.db"

/* Every statement the runtime runs, declared once. */
#define VT_STORE_STMTS(S) \
    S(META_GET, "SELECT value FROM meta WHERE key = ?1") \
    S(META_SET, "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)") \
    S(META_DEL, "DELETE FROM meta WHERE key = ?1") \
    S(EVENT_ADD, "INSERT OR IGNORE INTO events(id, cid, type, at, payload) VALUES (?1, ?2, ?3, ?4, ?5)") \
    S(CONTACT_CID, "SELECT cid FROM contact_ids WHERE id = ?1") \
    S(CONTACT_ADD, "INSERT INTO contact_ids(cid, id) VALUES (?1, ?2)") \
    S(KEY_GET, "SELECT contact FROM contact_keys WHERE field = ?1 AND value = ?2") \
    S(KEY_ADD, "INSERT OR IGNORE INTO contact_keys(field, value, contact) VALUES (?1, ?2, ?3)") \
    S(REJECT_ADD, "INSERT INTO rejected(file, line, reason, text) VALUES (?1, ?2, ?3, ?4)") \
    S(FLOW_FIND, "SELECT seq FROM flows WHERE hash = ?1 AND name = ?2 AND version = ?3") \
    S(FLOW_ADD, "INSERT INTO flows(name, version, hash, deployed_at, image) VALUES (?1, ?2, ?3, ?4, ?5)") \
    S(FLOW_IMAGE, "SELECT image FROM flows WHERE seq = ?1") \
    S(CONTACT_GET, "SELECT s.clock, s.state, i.id FROM contact_ids i LEFT JOIN contact_states s ON s.cid = i.cid" \
                   " WHERE i.cid = ?1") \
    S(CONTACT_ID, "SELECT id FROM contact_ids WHERE cid = ?1") \
    S(CONTACT_IDS, "SELECT cid, id FROM contact_ids WHERE cid >= ?1 AND cid <= ?2") \
    S(STATE_TOP, "SELECT coalesce(max(cid), 0) FROM contact_states") \
    S(CONTACT_DUE, "SELECT cid FROM contact_states WHERE next_wake <= ?1 AND cid > ?2 ORDER BY cid") \
    S(CONTACT_ALL, "SELECT i.id, s.state FROM contact_states s JOIN contact_ids i ON i.cid = s.cid ORDER BY s.cid") \
    S(OUTBOX_MAX, "SELECT coalesce(max(seq), 0) FROM outbox") \
    S(MAX_SEQ, "SELECT coalesce(max(seq), 0) FROM events") \
    S(COUNT_AFTER, "SELECT count(*) FROM events WHERE seq <= ?1 AND at > ?2")

typedef enum vt_stmt_id {
#define S(name, sql) VT_SQL_##name,
    VT_STORE_STMTS(S)
#undef S
    VT_SQL_COUNT
} vt_stmt_id;

typedef struct vt_store {
    sqlite3 *db;
    sqlite3_stmt *stmts[VT_SQL_COUNT];
    char *path;
    int64_t run_batch;      /* inputs per `run` transaction (default VT_RUN_BATCH) */
    int64_t run_pass;       /* new inputs a `run` holds in memory at once (default VT_RUN_PASS) */
} vt_store;

/* SQLite's page cache, in KB: ingest's transactions touch most of the id index; a run
 * reads the events once and writes states in cid order, so a smaller cache does (and
 * it is memory the process would otherwise fill, page by page, for nothing). */
#define VT_STORE_CACHE_KB 65536
#define VT_STORE_RUN_CACHE_KB 16384

#define VT_RUN_BATCH 20000
#define VT_RUN_PASS (1 << 20)

/* Opens (creating if needed) the store; NULL with a message in *error (vt_free) when
 * it cannot be opened or was written by a newer version. `create`: make it when absent
 * (ingest, run); otherwise a missing store is an error (outbox, contacts, explain). */
vt_store *vt_store_open(const char *path, bool create, char **error);
void vt_store_close(vt_store *st);
/* The prepared statement, reset and with its bindings cleared; NULL on error. */
sqlite3_stmt *vt_store_stmt(vt_store *st, vt_stmt_id id);
const char *vt_store_error(const vt_store *st);
int vt_store_exec(vt_store *st, const char *sql);
/* Sets SQLite's page cache to kb kilobytes. */
int vt_store_cache_kb(vt_store *st, int kb);
int vt_store_begin(vt_store *st);
int vt_store_commit(vt_store *st);
void vt_store_rollback(vt_store *st);

/* meta: 1 found, 0 absent, -1 error. */
int vt_store_meta_get(vt_store *st, const char *key, int64_t *v);
int vt_store_meta_set(vt_store *st, const char *key, int64_t v);
int vt_store_meta_del(vt_store *st, const char *key);

/* Records the program as deployed (once per name, version and hash); its seq in *seq. */
int vt_store_deploy(vt_store *st, const vt_program *p, int64_t now, int64_t *seq);
/* The program last run on this store (meta "flow"); NULL with a message when none. */
vt_program *vt_store_current_flow(vt_store *st, char **error);

#endif
