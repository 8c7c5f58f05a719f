/* verity explain [--store DB] CONTACT : what happened to a contact and why. */
#include "cli.h"
#include "common/mem.h"
#include "runtime/explain.h"
#include <stdio.h>
#include <stdlib.h>

int cmd_explain(int argc, char **argv) {
    const char *store = VT_STORE_DEFAULT;
    const char **pos = NULL;
    int npos = 0;
    vt_opt opts[] = {{"--store", true, &store, NULL, NULL}, {0}};
    if (vt_cli_parse("explain", argc, argv, opts, &pos, &npos)) return free(pos), VT_EXIT_USAGE;
    if (npos != 1) {
        free(pos);
        return vt_cli_fail("explain", "name one contact, by its id or a key such as its email\nusage: verity %s",
                           vt_cli_usage("explain"));
    }
    char *err = NULL;
    int rc = VT_EXIT_OK;
    vt_program *p = NULL;
    vt_store *st = vt_store_open(store, false, &err);
    if (!st) {
        rc = vt_cli_fail("explain", "%s", err ? err : "cannot open the store");
        goto out;
    }
    p = vt_store_current_flow(st, &err);
    if (!p) {
        rc = vt_cli_fail("explain", "%s", err ? err : "cannot load the store's flow");
        goto out;
    }
    if (vt_explain(st, p, pos[0], stdout, &err)) rc = vt_cli_fail("explain", "%s", err ? err : "failed");
    else if (fflush(stdout)) rc = vt_cli_fail("explain", "cannot write the output");
out:
    vt_free(err);
    if (p) vt_program_free(p);
    vt_store_close(st);
    free(pos);
    return rc;
}
