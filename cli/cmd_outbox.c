/* verity outbox [--store DB] [--format jsonl|csv] [--after ID] : what must be done, in
 * the order it was decided; a connector passes the last id it handled as --after. */
#include "cli.h"
#include "common/mem.h"
#include "runtime/runner.h"
#include "runtime/store.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *col(sqlite3_stmt *q, int i) { return (const char *)sqlite3_column_text(q, i); }

int cmd_outbox(int argc, char **argv) {
    const char *store = VT_STORE_DEFAULT, *format = "jsonl", *after = NULL;
    const char **pos = NULL;
    int npos = 0;
    vt_opt opts[] = {{"--store", true, &store, NULL, NULL}, {"--format", true, &format, NULL, NULL},
                     {"--after", true, &after, NULL, NULL}, {0}};
    if (vt_cli_parse("outbox", argc, argv, opts, &pos, &npos)) return free(pos), VT_EXIT_USAGE;
    free(pos);
    if (npos) return vt_cli_fail("outbox", "takes no file arguments\nusage: verity %s", vt_cli_usage("outbox"));
    bool csv = !strcmp(format, "csv");
    if (!csv && strcmp(format, "jsonl"))
        return vt_cli_fail("outbox", "unknown format `%s`: write --format jsonl or --format csv", format);
    char *err = NULL;
    vt_store *st = vt_store_open(store, false, &err);
    if (!st) {
        int rc = vt_cli_fail("outbox", "%s", err ? err : "cannot open the store");
        vt_free(err);
        return rc;
    }
    int64_t from = 0;
    int rc = VT_EXIT_OK;
    sqlite3_stmt *q = NULL;
    if (after) {
        /* Not indexed on purpose (docs/store.md): a connector asks once per poll. */
        if (sqlite3_prepare_v2(st->db, "SELECT seq FROM outbox WHERE id = ?1 ORDER BY seq DESC LIMIT 1", -1, &q,
                               NULL) != SQLITE_OK)
            goto dberr;
        sqlite3_bind_text(q, 1, after, -1, SQLITE_STATIC);
        int s = sqlite3_step(q);
        if (s == SQLITE_ROW) from = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
        q = NULL;
        if (s == SQLITE_DONE) {
            rc = vt_cli_fail("outbox", "no outbox row has the id `%s` (pass the id of the last row you handled)", after);
            goto out;
        }
        if (s != SQLITE_ROW) goto dberr;
    }
    if (sqlite3_prepare_v2(st->db,
                           "SELECT id, contact, at, kind, channel, team, template, text, due, workflow, step, status, "
                           "reason FROM outbox WHERE seq > ?1 ORDER BY seq",
                           -1, &q, NULL) != SQLITE_OK)
        goto dberr;
    sqlite3_bind_int64(q, 1, from);
    if (csv) vt_outrow_csv_header(stdout);
    int s;
    while ((s = sqlite3_step(q)) == SQLITE_ROW) {
        vt_outrow r = {col(q, 0), col(q, 1), sqlite3_column_int64(q, 2), col(q, 3), col(q, 4), col(q, 5),
                       col(q, 6), col(q, 7), sqlite3_column_int64(q, 8), col(q, 9), sqlite3_column_int64(q, 10),
                       col(q, 11), col(q, 12)};
        if (csv) vt_outrow_csv(stdout, &r);
        else vt_outrow_jsonl(stdout, &r);
    }
    if (s != SQLITE_DONE) goto dberr;
    if (fflush(stdout)) rc = vt_cli_fail("outbox", "cannot write the output");
    goto out;
dberr:
    rc = vt_cli_fail("outbox", "the store failed: %s", vt_store_error(st));
out:
    sqlite3_finalize(q);
    vt_store_close(st);
    return rc;
}
