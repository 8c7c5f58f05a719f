/* verity run FLOW [--store DB] [--until TIME|now] : process what is new (SPEC §5, §9). */
#include "cli.h"
#include "common/mem.h"
#include "common/timeutil.h"
#include "runtime/store_run.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_run(int argc, char **argv) {
    const char *store = VT_STORE_DEFAULT, *until_s = NULL;
    const char **pos = NULL;
    int npos = 0;
    const char **native = NULL;
    vt_opt opts[] = {{"--store", true, &store, NULL, NULL}, {"--until", true, &until_s, NULL, NULL}, {"--allow-native", true, NULL, NULL, &native}, {0}};
    if (vt_cli_parse("run", argc, argv, opts, &pos, &npos)) return free(pos), free(native), VT_EXIT_USAGE;
    if (npos != 1) {
        free(pos), free(native);
        return vt_cli_fail("run", "name one flow (.flow or .vbc)\nusage: verity %s", vt_cli_usage("run"));
    }
    char *err = NULL;
    vt_program *p = vt_cli_open_flow("run", pos[0], native);
    free(native);
    if (!p) {
        free(pos);
        return VT_EXIT_USAGE;
    }
    int64_t until = VT_UNTIL_LATEST;
    if (until_s && vt_parse_until(vt_program_schema(p), until_s, &until)) {
        vt_program_free(p), free(pos);
        return vt_cli_fail("run", "--until `%s` is not a time: write `now` or a time like 2026-03-01T09:00:00Z",
                           until_s);
    }
    vt_store *st = vt_store_open(store, true, &err);
    if (!st) {
        int rc = vt_cli_fail("run", "%s", err ? err : "cannot open the store");
        vt_free(err), free(pos), vt_program_free(p);
        return rc;
    }
    /* Smaller transactions on request: the crash tests use it to kill runs between commits. */
    const char *batch = getenv("VERITY_RUN_BATCH");
    if (batch && atol(batch) > 0) st->run_batch = atol(batch);
    /* Fewer inputs held at once on request: the tests use it to run in many passes. */
    const char *pass = getenv("VERITY_RUN_PASS");
    if (pass && atol(pass) > 1) st->run_pass = atol(pass);
    vt_run_stats s = {0};
    int64_t used = 0;
    int rc = vt_store_run(st, p, until, &s, &used, &err);
    int exit_code = VT_EXIT_OK;
    if (rc) {
        exit_code = vt_cli_fail("run", "%s", err ? err : "failed");
    } else {
        char t[21];
        vt_format_utc(used, t);
        fprintf(stderr,
                "run: %llu inputs for %llu contacts (%llu new, %llu late), %llu actions emitted, %llu suppressed; "
                "clock at %s\n",
                (unsigned long long)s.inputs, (unsigned long long)s.contacts, (unsigned long long)s.created,
                (unsigned long long)s.late, (unsigned long long)s.emitted, (unsigned long long)s.suppressed, t);
        if (s.skipped)
            fprintf(stderr, "run: %llu stored records have an event type this flow does not declare; they were skipped\n",
                    (unsigned long long)s.skipped);
    }
    vt_free(err);
    vt_store_close(st);
    vt_program_free(p);
    free(pos);
    return exit_code;
}
