#include "support.h"
#include "../common/timeutil.h"
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

char *vt_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n + 1 >= cap) buf = realloc(buf, cap *= 2);
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    fclose(f);
    buf[n] = 0;
    if (len) *len = n;
    return buf;
}

int vt_write_file(const char *path, const char *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(data, 1, len, f);
    return (fclose(f) == 0 && w == len) ? 0 : -1;
}

char *vt_temp_dir(void) {
    char tmpl[] = "/tmp/verity-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

int vt_remove_temp_dir(char *dir) {
    if (!dir) return -1;
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    int rc = system(cmd);
    free(dir);
    return rc;
}

vt_run_result vt_run_verity(const char *cwd, const char *input, const char *fmt, ...) {
    vt_run_result r = {0};
    char args[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    char *tmp = vt_temp_dir();
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s <%s >'%s/out' 2>'%s/err'", cwd ? cwd : VT_TEST_DIR, VT_VERITY_BIN,
             args, input ? input : "/dev/null", tmp, tmp);
    int st = system(cmd);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    char path[4096];
    snprintf(path, sizeof path, "%s/out", tmp);
    r.out = vt_read_file(path, NULL);
    unlink(path);
    snprintf(path, sizeof path, "%s/err", tmp);
    r.err = vt_read_file(path, NULL);
    unlink(path);
    rmdir(tmp);
    free(tmp);
    if (!r.out) r.out = strdup("");
    if (!r.err) r.err = strdup("");
    return r;
}

void vt_run_free(vt_run_result *r) {
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

char **vt_list_files(const char *dir, const char *suffix, size_t *n) {
    size_t cap = 16, k = 0;
    char **v = malloc(sizeof *v * cap);
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        size_t sl = strlen(suffix);
        while ((e = readdir(d))) {
            size_t l = strlen(e->d_name);
            if (l < sl || strcmp(e->d_name + l - sl, suffix) != 0) continue;
            if (k + 2 > cap) v = realloc(v, sizeof *v * (cap *= 2));
            size_t pl = strlen(dir) + l + 2;
            v[k] = malloc(pl);
            snprintf(v[k], pl, "%s/%s", dir, e->d_name);
            k++;
        }
        closedir(d);
    }
    qsort(v, k, sizeof *v, cmp_str);
    v[k] = NULL;
    if (n) *n = k;
    return v;
}

void vt_free_list(char **list) {
    for (size_t i = 0; list && list[i]; i++) free(list[i]);
    free(list);
}

const char *vt_test_iso(long t, char buf[32]) {
    vt_format_utc((int64_t)t, buf);
    return buf;
}

char *vt_verity_stdout(const char *args_fmt, const char *a, const char *b) {
    vt_run_result r = vt_run_verity(NULL, NULL, args_fmt, a, b);
    cr_assert_eq(r.status, 0, "`%s` exited %d: %s", args_fmt, r.status, r.err);
    free(r.err);
    return r.out;
}
