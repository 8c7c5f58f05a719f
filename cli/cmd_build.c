/* verity build FILE -o OUT.vbc : compile a flow to verified bytecode (SPEC §9).
 * The file is written to a temporary name and renamed, so a failed build never leaves
 * a half-written .vbc behind. */
#include "cli.h"
#include "verity.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_build(int argc, char **argv) {
    const char *out = NULL;
    const char **native = NULL;
    const vt_opt opts[] = {{"-o", true, &out, NULL, NULL}, {"--output", true, &out, NULL, NULL},
                           {"--allow-native", true, NULL, NULL, &native}, {NULL, false, NULL, NULL, NULL}};
    const char **pos = NULL;
    int npos = 0;
    if (vt_cli_parse("build", argc, argv, opts, &pos, &npos) != 0) { free(native); return VT_EXIT_USAGE; }
    if (npos != 1 || !out) {
        free(pos);
        free(native);
        return vt_cli_fail("build", "name one flow and the output file: %s", vt_cli_usage("build"));
    }
    const char *src = pos[0];
    char *errors = NULL;
    const char **native_dirs = vt_cli_native_dirs(native);
    free(native);
    if (!native_dirs) { free(pos); return vt_cli_fail("build", "out of memory"); }
    vt_program_opts popts = {vt_cli_stdlib_dir(), native_dirs};
    vt_program *p = vt_program_compile_ex(src, &popts, &errors);
    free(native_dirs);
    free(pos);
    if (!p) {
        fprintf(stderr, "%s", errors ? errors : "verity build: the flow could not be compiled\n");
        size_t n = errors ? strlen(errors) : 0;
        if (n && errors[n - 1] != '\n') fputc('\n', stderr);
        fprintf(stderr, "verity build: no bytecode written\n");
        free(errors);
        return VT_EXIT_FINDINGS;
    }
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (vt_program_save(p, &bytes, &len) != 0) {
        vt_program_free(p);
        return vt_cli_fail("build", "out of memory while writing the bytecode");
    }
    vt_program_free(p);
    size_t tn = strlen(out) + 16;
    char *tmp = malloc(tn);
    if (!tmp) { free(bytes); return vt_cli_fail("build", "out of memory"); }
    snprintf(tmp, tn, "%s.tmp", out);
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(bytes, 1, len, f) == len;
    if (f && fclose(f) != 0) ok = 0;
    free(bytes);
    if (!ok || rename(tmp, out) != 0) {
        int e = errno;
        remove(tmp);
        free(tmp);
        return vt_cli_fail("build", "cannot write `%s`: %s", out, strerror(e));
    }
    free(tmp);
    return VT_EXIT_OK;
}
