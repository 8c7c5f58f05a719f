/* verity contacts [--store DB] [--format jsonl|csv] : every contact with its keys,
 * fields, state per lifecycle, owner and creation time (SPEC §9). */
#include "cli.h"
#include "common/mem.h"
#include "runtime/runner.h"
#include "runtime/store.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_contacts(int argc, char **argv) {
    const char *store = VT_STORE_DEFAULT, *format = "jsonl";
    const char **pos = NULL;
    int npos = 0;
    vt_opt opts[] = {{"--store", true, &store, NULL, NULL}, {"--format", true, &format, NULL, NULL}, {0}};
    if (vt_cli_parse("contacts", argc, argv, opts, &pos, &npos)) return free(pos), VT_EXIT_USAGE;
    free(pos);
    if (npos) return vt_cli_fail("contacts", "takes no file arguments\nusage: verity %s", vt_cli_usage("contacts"));
    bool csv = !strcmp(format, "csv");
    if (!csv && strcmp(format, "jsonl"))
        return vt_cli_fail("contacts", "unknown format `%s`: write --format jsonl or --format csv", format);
    char *err = NULL;
    vt_store *st = vt_store_open(store, false, &err);
    if (!st) {
        int rc = vt_cli_fail("contacts", "%s", err ? err : "cannot open the store");
        vt_free(err);
        return rc;
    }
    int rc = VT_EXIT_OK;
    vt_program *p = NULL;
    vt_vm *vm = NULL;
    sqlite3_stmt *q = NULL;
    int64_t dummy;
    if (vt_store_meta_get(st, "flow", &dummy) == 0) goto out; /* never run: no contacts yet */
    p = vt_store_current_flow(st, &err);
    if (!p) {
        rc = vt_cli_fail("contacts", "%s", err ? err : "cannot load the store's flow");
        goto out;
    }
    const vt_schema *s = vt_program_schema(p);
    vm = vt_vm_new(p);
    if (!vm || !(q = vt_store_stmt(st, VT_SQL_CONTACT_ALL))) {
        rc = vt_cli_fail("contacts", "the store failed: %s", vt_store_error(st));
        goto out;
    }
    if (csv) vt_contact_csv_header(stdout, s);
    int r;
    while ((r = sqlite3_step(q)) == SQLITE_ROW) {
        vt_contact c = {0};
        if (vt_contact_restore(vm, &c, sqlite3_column_blob(q, 1), (size_t)sqlite3_column_bytes(q, 1))) {
            rc = vt_cli_fail("contacts", "contact %s: its stored state does not fit the store's flow",
                             (const char *)sqlite3_column_text(q, 0));
            break;
        }
        if (csv) vt_contact_csv(stdout, s, &c);
        else vt_contact_jsonl(stdout, s, &c);
        vt_contact_free(&c);
    }
    sqlite3_reset(q);
    if (rc == VT_EXIT_OK && r != SQLITE_DONE) rc = vt_cli_fail("contacts", "the store failed: %s", vt_store_error(st));
    if (fflush(stdout)) rc = vt_cli_fail("contacts", "cannot write the output");
out:
    vt_free(err);
    if (vm) vt_vm_free(vm);
    if (p) vt_program_free(p);
    vt_store_close(st);
    return rc;
}
