/* verity simulate FLOW INPUT... [--contacts FILE] [--until TIME] : ingest + run in
 * memory, touching no database (SPEC §9). */
#include "cli.h"
#include "common/mem.h"
#include "common/timeutil.h"
#include "runtime/simulate.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_simulate(int argc, char **argv) {
    const char *contacts = NULL, *until_s = NULL;
    const char **pos = NULL;
    int npos = 0;
    vt_opt opts[] = {{"--contacts", true, &contacts, NULL, NULL}, {"--until", true, &until_s, NULL, NULL}, {0}};
    if (vt_cli_parse("simulate", argc, argv, opts, &pos, &npos)) return free(pos), VT_EXIT_USAGE;
    if (npos < 2) {
        free(pos);
        return vt_cli_fail("simulate", "name a flow and at least one input file (JSONL or CSV, - for standard input)\n"
                           "usage: verity %s", vt_cli_usage("simulate"));
    }
    char *err = NULL;
    vt_program *p = vt_program_open(pos[0], vt_cli_stdlib_dir(), &err);
    if (!p) {
        /* the compiler's rendered diagnostics, or a one-line reason */
        if (err && *err) fprintf(stderr, "%s%s", err, err[strlen(err) - 1] == '\n' ? "" : "\n");
        int rc = vt_cli_fail("simulate", "cannot load the flow %s", pos[0]);
        vt_free(err), free(pos);
        return rc;
    }
    int64_t until = INT64_MIN;
    if (until_s && vt_parse_until(vt_program_schema(p), until_s, &until)) {
        vt_program_free(p), free(pos);
        return vt_cli_fail("simulate", "--until `%s` is not a time: write `now` or a time like 2026-03-01T09:00:00Z",
                           until_s);
    }
    FILE *cf = NULL;
    if (contacts && !(cf = fopen(contacts, "w"))) {
        int rc = vt_cli_fail("simulate", "cannot write %s: %s", contacts, strerror(errno));
        vt_program_free(p), free(pos);
        return rc;
    }
    static char outbuf[1 << 16];
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    vt_sim_stats s;
    int rc = vt_simulate(p, pos + 1, (size_t)npos - 1, until, stdout, cf, stderr, &s, &err);
    int exit_code = s.rejected ? VT_EXIT_FINDINGS : VT_EXIT_OK;
    if (fflush(stdout) || (cf && (fflush(cf) || ferror(cf)))) rc = -1, err = err ? err : vt_strdup("cannot write the output");
    if (cf) fclose(cf);
    if (rc) {
        exit_code = vt_cli_fail("simulate", "%s", err ? err : "failed");
    } else {
        char t[21];
        vt_format_utc(s.until, t);
        fprintf(stderr,
                "simulate: %llu records (%llu duplicates, %llu rejected), %llu contacts, %llu actions emitted, "
                "%llu suppressed; clock at %s\n",
                (unsigned long long)s.accepted, (unsigned long long)s.duplicates, (unsigned long long)s.rejected,
                (unsigned long long)s.run.contacts, (unsigned long long)s.run.emitted,
                (unsigned long long)s.run.suppressed, t);
    }
    vt_free(err);
    vt_program_free(p);
    free(pos);
    return exit_code;
}
