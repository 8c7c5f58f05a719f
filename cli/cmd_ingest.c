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
    vt_opt opts[] = {{"--store", true, &store, NULL, NULL}, {"--flow", true, &flow, NULL, NULL}, {0}};
    if (vt_cli_parse("ingest", argc, argv, opts, &pos, &npos)) return free(pos), VT_EXIT_USAGE;
    if (!flow) {
        free(pos);
        return vt_cli_fail("ingest", "name the flow whose events these are: --flow FILE.flow\nusage: verity %s",
                           vt_cli_usage("ingest"));
    }
    if (npos == 0) {
        free(pos);
        return vt_cli_fail("ingest", "name the input files (JSONL or CSV), or - for standard input\nusage: verity %s",
                           vt_cli_usage("ingest"));
    }
    char *err = NULL;
    vt_program *p = vt_program_open(flow, vt_cli_stdlib_dir(), &err);
    if (!p) {
        /* the compiler's rendered diagnostics, or a one-line reason */
        if (err && *err) fprintf(stderr, "%s%s", err, err[strlen(err) - 1] == '\n' ? "" : "\n");
        int rc = vt_cli_fail("ingest", "cannot load the flow %s", flow);
        vt_free(err), free(pos);
        return rc;
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
