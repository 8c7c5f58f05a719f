/* The store's schema (docs/store.md): a new store's layout and version; a store of
 * another schema version refused with a message saying what it is and what to do,
 * and left untouched; and the ingest queue's exact bookkeeping when a queued record
 * with consequences (a new contact, keys) turns out to be a duplicate. */
#include "support.h"
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLOW VT_SOURCE_DIR "/examples/b2b-leads.flow"

/* The first column of the first row of `sql` as text ("" when none; malloc'd). */
static char *query(const char *db, const char *sql) {
    sqlite3 *h;
    cr_assert_eq(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_stmt *q;
    cr_assert_eq(sqlite3_prepare_v2(h, sql, -1, &q, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(h));
    const char *v = sqlite3_step(q) == SQLITE_ROW ? (const char *)sqlite3_column_text(q, 0) : NULL;
    char *s = strdup(v ? v : "");
    sqlite3_finalize(q);
    sqlite3_close(h);
    return s;
}

static void expect_query(const char *db, const char *sql, const char *want) {
    char *got = query(db, sql);
    cr_expect_str_eq(got, want, "%s", sql);
    free(got);
}

/* A store as schema `version` would have it: meta, and a contacts table with states. */
static void make_store(const char *db, int version) {
    sqlite3 *h;
    cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
    char sql[512];
    snprintf(sql, sizeof sql,
             "CREATE TABLE meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
             "CREATE TABLE contacts(cid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, created_at INTEGER,"
             " clock INTEGER, next_wake INTEGER, state BLOB);"
             "INSERT INTO meta VALUES ('schema_version', %d);",
             version);
    cr_assert_eq(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(h);
}

Test(store_schema, a_new_store_has_the_current_layout) {
    char *dir = vt_temp_dir();
    char db[4096];
    snprintf(db, sizeof db, "%s/s.db", dir);
    vt_run_result r = vt_run_verity(NULL, NULL, "ingest --store '%s' --flow '%s' '%s'", db, FLOW,
                                    VT_SOURCE_DIR "/examples/b2b-leads.jsonl");
    cr_assert_eq(r.status, 0, "%s", r.err);
    vt_run_free(&r);
    r = vt_run_verity(NULL, NULL, "run '%s' --store '%s'", FLOW, db);
    cr_assert_eq(r.status, 0, "%s", r.err);
    vt_run_free(&r);
    expect_query(db, "SELECT value FROM meta WHERE key = 'schema_version'", "2");
    expect_query(db, "PRAGMA page_size", "8192");
    expect_query(db, "SELECT group_concat(type || ':' || name, ' ') FROM (SELECT type, name FROM sqlite_master"
                     " WHERE name LIKE 'contact%' ORDER BY name)",
                 "table:contact_ids table:contact_keys table:contact_states view:contacts");
    /* The view still gives one row per contact with its state, as schema 1's table did. */
    expect_query(db, "SELECT count(*) FROM contacts WHERE state IS NOT NULL", "4");
    expect_query(db, "SELECT count(*) FROM contact_states", "4");
    cr_assert_eq(vt_remove_temp_dir(dir), 0);
}

Test(store_schema, an_older_store_is_refused_and_left_as_it_is) {
    char *dir = vt_temp_dir();
    char db[4096];
    snprintf(db, sizeof db, "%s/old.db", dir);
    make_store(db, 1);
    const char *cmds[] = {"ingest --store '%s' --flow '" FLOW "' /dev/null", "run '" FLOW "' --store '%s'",
                          "outbox --store '%s'", "contacts --store '%s'", "explain c1 --store '%s'"};
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        vt_run_result r = vt_run_verity(NULL, NULL, cmds[i], db);
        cr_expect_neq(r.status, 0, "%s", cmds[i]);
        cr_expect(strstr(r.err, "this store was written by an older verity (store schema 1; this verity reads schema 2") !=
                      NULL,
                  "%s: %s", cmds[i], r.err);
        cr_expect(strstr(r.err, "ingest the inputs again into a new store") != NULL, "%s: %s", cmds[i], r.err);
        vt_run_free(&r);
    }
    /* Nothing was added to it. */
    expect_query(db, "SELECT count(*) FROM sqlite_master", "3"); /* meta, contacts, contacts' id index */
    expect_query(db, "SELECT value FROM meta WHERE key = 'schema_version'", "1");
    cr_assert_eq(vt_remove_temp_dir(dir), 0);
}

Test(store_schema, a_newer_store_is_refused) {
    char *dir = vt_temp_dir();
    char db[4096];
    snprintf(db, sizeof db, "%s/new.db", dir);
    make_store(db, 3);
    vt_run_result r = vt_run_verity(NULL, NULL, "outbox --store '%s'", db);
    cr_expect_neq(r.status, 0);
    cr_expect(strstr(r.err, "this store was written by a newer verity; upgrade verity to read it") != NULL, "%s", r.err);
    vt_run_free(&r);
    cr_assert_eq(vt_remove_temp_dir(dir), 0);
}

/* Records naming their contacts by id are inserted 16 per statement. When one of them
 * creates a contact or registers keys and is a duplicate of a stored record, the
 * statement is taken back and its records inserted one at a time: the tables must be
 * those of one insert per record (no gap in the cids, keys owned by their first
 * contact). A statement whose records are all duplicates drops its new contacts. */
Test(store_schema, queued_duplicates_with_new_contacts_and_keys) {
    char *dir = vt_temp_dir();
    char first[4096], second[4096], db[4096];
    snprintf(first, sizeof first, "%s/a.jsonl", dir);
    snprintf(second, sizeof second, "%s/b.jsonl", dir);
    snprintf(db, sizeof db, "%s/s.db", dir);
#define CT(c, id, mail)                                                                                            \
    "{\"type\":\"contact\",\"contact\":\"" c "\",\"at\":\"2026-03-02T09:00:00Z\",\"id\":\"" id "\",\"email\":\"" mail \
    "\"}\n"
#define PV(c, id) \
    "{\"type\":\"page_view\",\"contact\":\"" c "\",\"at\":\"2026-03-02T10:00:00Z\",\"id\":\"" id "\",\"url\":\"/a\"}\n"
    const char *a = CT("c1", "r1", "a@x.it") PV("c1", "r2");
    const char *b = CT("c2", "r1", "c2@x.it") /* stored id: no c2 yet */
        CT("c3", "r3", "b@x.it") PV("c2", "r4") /* c2 now, after c3 */
        CT("c4", "r5", "a@x.it")                /* a@x.it stays c1's */
        PV("c9", "r2") CT("c1", "r2", "z@x.it"); /* stored, then queued: nothing */
#undef CT
#undef PV
    cr_assert_eq(vt_write_file(first, a, strlen(a)), 0);
    cr_assert_eq(vt_write_file(second, b, strlen(b)), 0);
    vt_run_result r = vt_run_verity(NULL, NULL, "ingest --store '%s' --flow '%s' '%s'", db, FLOW, first);
    cr_assert_eq(r.status, 0, "%s", r.err);
    vt_run_free(&r);
    r = vt_run_verity(NULL, NULL, "ingest --store '%s' --flow '%s' '%s'", db, FLOW, second);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.err, "3 accepted, 3 duplicates, 0 rejected") != NULL, "%s", r.err);
    vt_run_free(&r);
    const char *cids = "SELECT group_concat(cid || '=' || id, ' ') FROM (SELECT cid, id FROM contact_ids ORDER BY cid)";
    const char *events = "SELECT group_concat(id || ':' || cid, ' ') FROM (SELECT id, cid FROM events ORDER BY seq)";
    const char *keys = "SELECT group_concat(value || '=' || contact, ' ') FROM (SELECT * FROM contact_keys ORDER BY value)";
    for (int pass = 0; pass < 2; pass++) {
        expect_query(db, cids, "1=c1 2=c3 3=c2 4=c4");
        expect_query(db, events, "r1:1 r2:1 r3:2 r4:3 r5:4");
        expect_query(db, keys, "a@x.it=c1 b@x.it=c3");
        if (pass) break;
        /* Again, with a new contact in it: every record is a duplicate now. */
        const char *again =
            "{\"type\":\"page_view\",\"contact\":\"c7\",\"at\":\"2026-03-02T10:00:00Z\",\"id\":\"r3\",\"url\":\"/a\"}\n";
        cr_assert_eq(vt_write_file(first, again, strlen(again)), 0);
        r = vt_run_verity(NULL, NULL, "ingest --store '%s' --flow '%s' '%s' '%s'", db, FLOW, second, first);
        cr_assert_eq(r.status, 0, "%s", r.err);
        cr_expect(strstr(r.err, "0 accepted, 7 duplicates, 0 rejected") != NULL, "%s", r.err);
        vt_run_free(&r);
    }
    cr_assert_eq(vt_remove_temp_dir(dir), 0);
}
