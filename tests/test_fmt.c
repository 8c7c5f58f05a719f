/* verity fmt: golden layouts, meaning and idempotency over every flow we have, and the
 * command's promises (--check exit codes, files rewritten in place, files with
 * syntax errors left byte for byte). */
#include "support.h"
#include "common/mem.h"
#include "compiler/ast_equal.h"
#include "compiler/fmt.h"
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CASES VT_TEST_DIR "/cases/fmt"

static char *path_join(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* NAME.flow -> NAME.expected */
static char *expected_path(const char *flow) {
    size_t n = strlen(flow);
    char *p = malloc(n + 16);
    memcpy(p, flow, n - 5);
    strcpy(p + n - 5, ".expected");
    return p;
}

Test(fmt, goldens) {
    size_t n = 0;
    char **cases = vt_list_files(CASES, ".flow", &n);
    cr_assert_gt(n, 4, "the fmt cases are missing");
    for (size_t i = 0; i < n; i++) {
        char *exp_path = expected_path(cases[i]);
        char *want = vt_read_file(exp_path, NULL);
        cr_expect_not_null(want, "%s has no golden output", exp_path);
        if (!want) {
            free(exp_path);
            continue;
        }
        vt_run_result r = vt_run_verity(NULL, cases[i], "fmt -");
        cr_expect_eq(r.status, 0, "%s: exit %d\n%s", cases[i], r.status, r.err);
        cr_expect_str_eq(r.out, want, "%s: formatted text differs from %s:\n%s", cases[i], exp_path, r.out);
        vt_run_free(&r);
        /* The golden output is itself formatted. */
        r = vt_run_verity(NULL, exp_path, "fmt -");
        cr_expect_eq(r.status, 0);
        cr_expect_str_eq(r.out, want, "%s: formatting it again changes it:\n%s", exp_path, r.out);
        vt_run_free(&r);
        free(want);
        free(exp_path);
    }
    vt_free_list(cases);
}

/* ---- meaning and idempotency over every flow ------------------------------------- */

typedef struct paths {
    char **v;
    size_t n, cap;
} paths;

static void add_path(paths *p, char *s) {
    if (p->n == p->cap) p->v = realloc(p->v, sizeof *p->v * (p->cap = p->cap ? p->cap * 2 : 64));
    p->v[p->n++] = s;
}

static void collect(paths *p, const char *dir, int depth) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char *full = path_join(dir, e->d_name);
        struct stat st;
        size_t l = strlen(e->d_name);
        if (stat(full, &st) == 0 && S_ISDIR(st.st_mode) && depth < 8) {
            collect(p, full, depth + 1);
            free(full);
        } else if (l > 5 && strcmp(e->d_name + l - 5, ".flow") == 0) {
            add_path(p, full);
        } else {
            free(full);
        }
    }
    closedir(d);
}

/* Parses, formats, parses the result and formats it again. Returns 0 when the file
 * does not parse (not a formatter case), 1 when it round-trips. */
static int round_trip(const char *path) {
    vt_sources sources = {0};
    vt_diags diags;
    vt_diags_init(&diags, &sources);
    vt_unit u;
    vt_unit_init(&u, &sources, &diags);
    int ok = 0;
    if (vt_unit_parse_root(&u, path) < 0 || u.nmodules == 0 || u.modules[0]->parse_failed || diags.nerrors) goto out;
    vt_module *m = u.modules[0];
    size_t n1 = 0, n2 = 0;
    char *t1 = vt_fmt_to_string(&u, m, &n1);
    cr_assert_not_null(t1, "%s: fmt failed", path);
    int f1 = vt_sources_add(&sources, "formatted", t1, n1);
    cr_assert_geq(f1, 0);
    vt_module *m2 = vt_parse(&u, (uint32_t)f1);
    cr_assert_not_null(m2);
    cr_expect(!m2->parse_failed && diags.nerrors == 0, "%s: the formatted text does not parse:\n%s", path, t1);
    const vt_decl *da = NULL, *db = NULL;
    bool same = vt_ast_equal_module(m, m2, &da, &db);
    cr_expect(same, "%s: formatting changed the meaning of the declaration at byte %u (now at byte %u of):\n%s", path,
              da ? da->span.start : 0, db ? db->span.start : 0, t1);
    char *t2 = vt_fmt_to_string(&u, m2, &n2);
    cr_assert_not_null(t2);
    cr_expect(n1 == n2 && memcmp(t1, t2, n1) == 0, "%s: fmt is not idempotent:\n--- once\n%s\n--- twice\n%s", path, t1,
              t2);
    vt_free(t1);
    vt_free(t2);
    ok = 1;
out:
    vt_unit_free(&u);
    vt_diags_free(&diags);
    vt_sources_free(&sources);
    return ok;
}

Test(fmt, every_flow_keeps_its_meaning_and_formats_once) {
    paths p = {0};
    collect(&p, VT_SOURCE_DIR "/examples", 0);
    collect(&p, VT_SOURCE_DIR "/stdlib", 0);
    collect(&p, VT_TEST_DIR "/cases", 0);
    collect(&p, VT_SOURCE_DIR "/../shared/conformance", 0);
    size_t done = 0;
    for (size_t i = 0; i < p.n; i++) {
        done += (size_t)round_trip(p.v[i]);
        free(p.v[i]);
    }
    free(p.v);
    /* The fmt and graph cases alone are this many: a vacuous run is a failure. */
    cr_expect_geq(done, 10, "only %zu flows round-tripped", done);
}

/* ---- the command --------------------------------------------------------------------- */

static char *copy_case(const char *dir, const char *src, const char *name) {
    size_t n = 0;
    char *text = vt_read_file(src, &n);
    cr_assert_not_null(text, "cannot read %s", src);
    char *dst = path_join(dir, name);
    cr_assert_eq(vt_write_file(dst, text, n), 0);
    free(text);
    return dst;
}

static void remove_dir(char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2]))) continue;
        char *p = path_join(dir, e->d_name);
        unlink(p);
        free(p);
    }
    if (d) closedir(d);
    rmdir(dir);
    free(dir);
}

static size_t files_in(const char *dir) {
    size_t n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    if (d) closedir(d);
    return n;
}

Test(fmt_cli, check_passes_on_a_formatted_file) {
    char *dir = vt_temp_dir();
    char *f = copy_case(dir, CASES "/layout.expected", "ok.flow");
    vt_run_result r = vt_run_verity(dir, NULL, "fmt --check ok.flow");
    cr_expect_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
    cr_expect_str_empty(r.out);
    vt_run_free(&r);
    free(f);
    remove_dir(dir);
}

Test(fmt_cli, check_lists_unformatted_files_and_changes_nothing) {
    char *dir = vt_temp_dir();
    char *ok = copy_case(dir, CASES "/layout.expected", "ok.flow");
    char *bad = copy_case(dir, CASES "/layout.flow", "bad.flow");
    size_t n0 = 0, n1 = 0;
    char *before = vt_read_file(bad, &n0);
    vt_run_result r = vt_run_verity(dir, NULL, "fmt --check ok.flow bad.flow");
    cr_expect_eq(r.status, 1, "exit %d\n%s%s", r.status, r.out, r.err);
    cr_expect_str_eq(r.out, "bad.flow is not formatted; run `verity fmt bad.flow`\n");
    char *after = vt_read_file(bad, &n1);
    cr_expect(n0 == n1 && memcmp(before, after, n0) == 0, "--check changed the file");
    cr_expect_eq(files_in(dir), 2, "--check left files behind");
    vt_run_free(&r);
    free(before);
    free(after);
    free(ok);
    free(bad);
    remove_dir(dir);
}

Test(fmt_cli, rewrites_in_place_and_keeps_the_mode) {
    char *dir = vt_temp_dir();
    char *f = copy_case(dir, CASES "/layout.flow", "flow.flow");
    chmod(f, 0640);
    vt_run_result r = vt_run_verity(dir, NULL, "fmt flow.flow");
    cr_expect_eq(r.status, 0, "exit %d\n%s", r.status, r.err);
    cr_expect_str_empty(r.out);
    char *got = vt_read_file(f, NULL);
    char *want = vt_read_file(CASES "/layout.expected", NULL);
    cr_expect_str_eq(got, want);
    struct stat st;
    cr_expect_eq(stat(f, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0640, "mode %o", st.st_mode & 0777);
    cr_expect_eq(files_in(dir), 1, "temporary files left behind");
    vt_run_free(&r);
    r = vt_run_verity(dir, NULL, "fmt --check flow.flow");
    cr_expect_eq(r.status, 0, "not formatted after fmt:\n%s", r.out);
    vt_run_free(&r);
    free(got);
    free(want);
    free(f);
    remove_dir(dir);
}

Test(fmt_cli, a_file_with_a_syntax_error_is_left_byte_identical) {
    char *dir = vt_temp_dir();
    const char *text = "flow \"x\"   version 1\n\nteam   sales\non created {   tag \"new\" \n";
    char *f = path_join(dir, "broken.flow");
    cr_assert_eq(vt_write_file(f, text, strlen(text)), 0);
    vt_run_result r = vt_run_verity(dir, NULL, "fmt broken.flow");
    cr_expect_eq(r.status, 1, "exit %d", r.status);
    cr_expect(strstr(r.err, "broken.flow:") && strstr(r.err, "E001"), "no syntax error shown:\n%s", r.err);
    char *after = vt_read_file(f, NULL);
    cr_expect_str_eq(after, text, "the broken file was changed");
    cr_expect_eq(files_in(dir), 1);
    vt_run_free(&r);
    r = vt_run_verity(dir, NULL, "fmt --check broken.flow");
    cr_expect_eq(r.status, 1);
    vt_run_free(&r);
    free(after);
    free(f);
    remove_dir(dir);
}

Test(fmt_cli, stdin_with_a_syntax_error_writes_nothing) {
    char *dir = vt_temp_dir();
    const char *text = "flow \"x\" version 1\nteam = sales\nteam ok\n";
    char *f = path_join(dir, "in.flow");
    cr_assert_eq(vt_write_file(f, text, strlen(text)), 0);
    vt_run_result r = vt_run_verity(dir, f, "fmt -");
    cr_expect_eq(r.status, 1);
    cr_expect_str_empty(r.out);
    cr_expect(strstr(r.err, "<stdin>:2:6:") != NULL, "error not located:\n%s", r.err);
    vt_run_free(&r);
    free(f);
    remove_dir(dir);
}

Test(fmt_cli, an_unreadable_file_is_exit_2) {
    vt_run_result r = vt_run_verity(NULL, NULL, "fmt no-such-file.flow");
    cr_expect_eq(r.status, 2, "exit %d", r.status);
    cr_expect(strstr(r.err, "cannot read `no-such-file.flow`") != NULL, "file not named:\n%s", r.err);
    vt_run_free(&r);
    r = vt_run_verity(NULL, NULL, "fmt");
    cr_expect_eq(r.status, 2, "no file named: exit %d", r.status);
    vt_run_free(&r);
}

Test(fmt_cli, one_broken_file_does_not_stop_the_others) {
    char *dir = vt_temp_dir();
    char *good = copy_case(dir, CASES "/layout.flow", "good.flow");
    const char *text = "flow \"x\" version 1\nteam = sales\n";
    char *bad = path_join(dir, "bad.flow");
    cr_assert_eq(vt_write_file(bad, text, strlen(text)), 0);
    vt_run_result r = vt_run_verity(dir, NULL, "fmt bad.flow good.flow");
    cr_expect_eq(r.status, 1, "exit %d", r.status);
    char *got = vt_read_file(good, NULL);
    char *want = vt_read_file(CASES "/layout.expected", NULL);
    cr_expect_str_eq(got, want, "the good file was not formatted");
    char *after = vt_read_file(bad, NULL);
    cr_expect_str_eq(after, text, "the broken file was changed");
    vt_run_free(&r);
    free(got);
    free(want);
    free(after);
    free(good);
    free(bad);
    remove_dir(dir);
}

Test(fmt_cli, a_symbolic_link_stays_a_link) {
    char *dir = vt_temp_dir();
    char *real = copy_case(dir, CASES "/layout.flow", "real.flow");
    char *link = path_join(dir, "link.flow");
    cr_assert_eq(symlink("real.flow", link), 0);
    vt_run_result r = vt_run_verity(dir, NULL, "fmt link.flow");
    cr_expect_eq(r.status, 0, "exit %d\n%s", r.status, r.err);
    struct stat st;
    cr_expect_eq(lstat(link, &st), 0);
    cr_expect(S_ISLNK(st.st_mode), "the link was replaced by a file");
    char *got = vt_read_file(real, NULL);
    char *want = vt_read_file(CASES "/layout.expected", NULL);
    cr_expect_str_eq(got, want, "the file behind the link was not formatted");
    vt_run_free(&r);
    free(got);
    free(want);
    free(real);
    free(link);
    remove_dir(dir);
}

/* Out of memory at any allocation while formatting: no crash, no partial text. */
Test(fmt, out_of_memory_is_reported_not_a_crash) {
    vt_sources sources = {0};
    vt_diags diags;
    vt_diags_init(&diags, &sources);
    vt_unit u;
    vt_unit_init(&u, &sources, &diags);
    cr_assert_eq(vt_unit_parse_root(&u, CASES "/comments.flow"), 0);
    vt_module *m = u.modules[0];
    size_t want_len = 0;
    char *want = vt_fmt_to_string(&u, m, &want_len);
    cr_assert_not_null(want);
    bool succeeded = false;
    for (long n = 0; n < 10000 && !succeeded; n++) {
        vt_mem_fail_after(n);
        size_t len = 0;
        char *got = vt_fmt_to_string(&u, m, &len);
        vt_mem_fail_after(-1);
        if (got) {
            cr_expect(len == want_len && memcmp(got, want, len) == 0, "a different text after %ld allocations", n);
            succeeded = true;
        }
        vt_free(got);
    }
    cr_expect(succeeded);
    vt_free(want);
    vt_unit_free(&u);
    vt_diags_free(&diags);
    vt_sources_free(&sources);
}
