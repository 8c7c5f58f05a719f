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
    const char **native = NULL;
    vt_opt opts[] = {{"--contacts", true, &contacts, NULL, NULL}, {"--until", true, &until_s, NULL, NULL}, {"--allow-native", true, NULL, NULL, &native}, {0}};
    if (vt_cli_parse("simulate", argc, argv, opts, &pos, &npos)) return free(pos), free(native), VT_EXIT_USAGE;
    if (npos < 2) {
        free(pos), free(native);
        return vt_cli_fail("simulate", "name a flow and at least one input file (JSONL or CSV, - for standard input)\n"
                           "usage: verity %s", vt_cli_usage("simulate"));
    }
    char *err = NULL;
    vt_program *p = vt_cli_open_flow("simulate", pos[0], native);
    free(native);
    if (!p) {
        free(pos);
        return VT_EXIT_USAGE;
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
    /* Records beyond a chunk (VERITY_SIM_CHUNK bytes, to test the spilling path) go to
     * temporary files in $TMPDIR. */
    vt_sim_opts so = {0, getenv("TMPDIR")};
    const char *chunk = getenv("VERITY_SIM_CHUNK");
    if (chunk && atol(chunk) > 0) so.chunk_bytes = (size_t)atol(chunk);
    vt_sim_stats s;
    int rc = vt_simulate_opts(p, pos + 1, (size_t)npos - 1, until, stdout, cf, stderr, &s, &so, &err);
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
