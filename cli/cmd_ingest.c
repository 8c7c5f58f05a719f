/* verity ingest [--store DB] --flow FLOW INPUT...|- : records into the store (SPEC §9). */
#include "cli.h"
#include "common/mem.h"
#include "runtime/store_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cmd_ingest(int argc, char **argv) {
    const char *store = VT_STORE_DEFAULT, *flow = NULL;
    const char **pos = NULL;
    int npos = 0;
    const char **native = NULL;
    vt_opt opts[] = {{"--store", true, &store, NULL, NULL}, {"--flow", true, &flow, NULL, NULL}, {"--allow-native", true, NULL, NULL, &native}, {0}};
    if (vt_cli_parse("ingest", argc, argv, opts, &pos, &npos)) return free(pos), free(native), VT_EXIT_USAGE;
    if (!flow) {
        free(pos), free(native);
        return vt_cli_fail("ingest", "name the flow whose events these are: --flow FILE.flow\nusage: verity %s",
                           vt_cli_usage("ingest"));
    }
    if (npos == 0) {
        free(pos), free(native);
        return vt_cli_fail("ingest", "name the input files (JSONL or CSV), or - for standard input\nusage: verity %s",
                           vt_cli_usage("ingest"));
    }
    char *err = NULL;
    vt_program *p = vt_cli_open_flow("ingest", flow, native);
    free(native);
    if (!p) {
        free(pos);
        return VT_EXIT_USAGE;
    }
    vt_store *st = vt_store_open(store, true, &err);
    if (!st) {
        int rc = vt_cli_fail("ingest", "%s", err ? err : "cannot open the store");
        vt_free(err), free(pos), vt_program_free(p);
        return rc;
    }
    vt_ingest_stats s;
    int rc = vt_store_ingest(st, p, pos, (size_t)npos, stderr, isatty(STDERR_FILENO), &s, &err);
    fprintf(stderr, "ingest: %llu accepted, %llu duplicates, %llu rejected\n", (unsigned long long)s.accepted,
            (unsigned long long)s.duplicates, (unsigned long long)s.rejected);
    int exit_code = s.rejected ? VT_EXIT_FINDINGS : VT_EXIT_OK;
    if (rc) exit_code = vt_cli_fail("ingest", "%s", err ? err : "failed");
    vt_free(err);
    vt_store_close(st);
    vt_program_free(p);
    free(pos);
    return exit_code;
}
