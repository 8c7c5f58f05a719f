#include "cli.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vt_cli_fail(const char *cmd, const char *fmt, ...) {
    fprintf(stderr, "verity %s: ", cmd);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return VT_EXIT_USAGE;
}

const char *vt_cli_stdlib_dir(void) {
    const char *e = getenv("VERITY_STDLIB");
    return e && *e ? e : VT_STDLIB_DIR;
}

static int push(const char ***arr, int *n, const char *s) {
    const char **p = realloc(*arr, sizeof *p * (size_t)(*n + 2));
    if (!p) return -1;
    p[(*n)++] = s;
    p[*n] = NULL;
    *arr = p;
    return 0;
}

int vt_cli_parse(const char *cmd, int argc, char **argv, const vt_opt *opts, const char ***pos, int *npos) {
    *pos = NULL;
    *npos = 0;
    if (push(pos, npos, NULL) < 0) return -1;   /* allocate the terminator */
    *npos = 0;
    bool only_pos = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_pos || a[0] != '-' || !strcmp(a, "-")) {
            if (push(pos, npos, a) < 0) return vt_cli_fail(cmd, "out of memory"), -1;
            continue;
        }
        if (!strcmp(a, "--")) { only_pos = true; continue; }
        const char *eq = strchr(a, '=');
        size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
        const vt_opt *o = NULL;
        for (const vt_opt *k = opts; k && k->name; k++)
            if (strlen(k->name) == nlen && !strncmp(k->name, a, nlen)) { o = k; break; }
        if (!o) {
            vt_cli_fail(cmd, "unknown option `%.*s`\nusage: verity %s", (int)nlen, a, vt_cli_usage(cmd));
            return -1;
        }
        if (!o->takes_value) {
            if (eq) { vt_cli_fail(cmd, "`%s` takes no value", o->name); return -1; }
            if (o->flag) *o->flag = true;
            continue;
        }
        const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!v) {
            vt_cli_fail(cmd, "`%s` needs a value\nusage: verity %s", o->name, vt_cli_usage(cmd));
            return -1;
        }
        if (o->value) *o->value = v;
        if (o->multi) {
            int n = 0;
            while (*o->multi && (*o->multi)[n]) n++;
            if (push(o->multi, &n, v) < 0) return vt_cli_fail(cmd, "out of memory"), -1;
        }
    }
    return 0;
}
