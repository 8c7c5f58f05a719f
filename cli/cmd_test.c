/* verity test FILE... [--coverage]: runs the flows' `test` blocks (SPEC §10). The logic
 * lives in runtime/testrun.c; this only reads options and sums up. */
#include "cli.h"
#include "runtime/testrun.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int readable(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) {
        vt_cli_fail("test", "cannot read `%s`: %s", path, strerror(errno));
        return 0;
    }
    if (S_ISDIR(st.st_mode)) {
        vt_cli_fail("test", "cannot read `%s`: it is a directory; name the .flow files in it", path);
        return 0;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        vt_cli_fail("test", "cannot read `%s`: %s", path, strerror(errno));
        return 0;
    }
    fclose(f);
    return 1;
}

int cmd_test(int argc, char **argv) {
    bool cov = false;
    const char **files = NULL, **native = NULL;
    int nfiles = 0, rc = VT_EXIT_USAGE;
    const vt_opt opts[] = {
        {"--coverage", false, NULL, &cov, NULL},
        {"--allow-native", true, NULL, NULL, &native},
        {0},
    };
    if (vt_cli_parse("test", argc, argv, opts, &files, &nfiles) < 0) goto out;
    if (nfiles == 0) {
        vt_cli_fail("test", "name at least one .flow file holding `test` blocks\nusage: verity %s",
                    vt_cli_usage("test"));
        goto out;
    }
    for (int i = 0; i < nfiles; i++)
        if (!readable(files[i])) goto out;
    vt_testrun_opts o = {.stdlib_dir = vt_cli_stdlib_dir(), .coverage = cov, .out = stdout, .native_dirs = native};
    vt_testrun_totals t = {0};
    bool broken = false;
    for (int i = 0; i < nfiles; i++) {
        int r = vt_testrun_file(files[i], &o, &t);
        if (r < 0) goto out;
        if (r > 0) broken = true;
    }
    printf("%u passed, %u failed\n", t.passed, t.failed);
    if (fflush(stdout) != 0) {
        vt_cli_fail("test", "cannot write the results: %s", strerror(errno));
        goto out;
    }
    rc = t.failed || broken ? VT_EXIT_FINDINGS : VT_EXIT_OK;
out:
    free(files);
    free(native);
    return rc;
}
