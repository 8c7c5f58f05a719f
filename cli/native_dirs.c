/* The directories native libraries may load from besides the stdlib's (SPEC §8): each
 * `--allow-native DIR` of the command line, then those in $VERITY_ALLOW_NATIVE
 * (colon-separated, like PATH). The environment is read here, in the CLI, never by the
 * library: embedders pass their directories in vt_program_opts. */
#include "cli.h"
#include "verity.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char **vt_cli_native_dirs(const char *const *flags) {
    const char *env = getenv("VERITY_ALLOW_NATIVE");
    size_t nflags = 0, nenv = 0, envlen = env ? strlen(env) : 0;
    while (flags && flags[nflags]) nflags++;
    for (size_t i = 0; i < envlen; i++) nenv += env[i] == ':';
    nenv += envlen ? 1 : 0;
    /* One block: the pointers, then a copy of the variable cut at its colons. */
    size_t nptr = nflags + nenv + 1;
    const char **dirs = malloc(nptr * sizeof *dirs + envlen + 1);
    if (!dirs) return NULL;
    char *copy = (char *)(dirs + nptr);
    size_t n = 0;
    for (size_t i = 0; i < nflags; i++)
        if (*flags[i]) dirs[n++] = flags[i];
    if (envlen) {
        memcpy(copy, env, envlen + 1);
        for (char *s = copy, *c; s; s = c) {
            c = strchr(s, ':');
            if (c) *c++ = 0;
            if (*s) dirs[n++] = s;
        }
    }
    dirs[n] = NULL;
    return dirs;
}

vt_program *vt_cli_open_flow(const char *cmd, const char *path, const char *const *allow_native) {
    const char **dirs = vt_cli_native_dirs(allow_native);
    if (!dirs) {
        vt_cli_fail(cmd, "out of memory");
        return NULL;
    }
    vt_program_opts opts = {vt_cli_stdlib_dir(), dirs};
    char *err = NULL;
    vt_program *p = vt_program_open_ex(path, &opts, &err);
    free(dirs);     /* libraries are bound at load: the program keeps no pointer to the list */
    if (!p) {
        /* the compiler's rendered diagnostics, or a one-line reason */
        if (err && *err) fprintf(stderr, "%s%s", err, err[strlen(err) - 1] == '\n' ? "" : "\n");
        vt_cli_fail(cmd, "cannot load the flow %s", path);
    }
    free(err);
    return p;
}
