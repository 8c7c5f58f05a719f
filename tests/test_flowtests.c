/* `verity test` through the binary. Each .flow file of tests/cases/flowtests says, in comments
 * at its end, how to run it and what must come out:
 *   # args: --coverage          options after the file name
 *   # exit: 1                   the exit code
 *   # out: LINE                 a whole line of stdout; all of them, in this order */
#include "common/mem.h"
#include "runtime/testrun.h"
#include "support.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CASES VT_TEST_DIR "/cases/flowtests"

/* The value of "# KEY:" lines, one after the other; NULL when there are no more. */
static const char *next_directive(const char *text, const char *key, const char **from, char *buf, size_t cap) {
    char tag[32];
    snprintf(tag, sizeof tag, "\n# %s:", key);
    const char *p = strstr(*from ? *from : text, tag);
    if (!p) return NULL;
    p += strlen(tag);
    if (*p == ' ') p++;
    const char *eol = strchr(p, '\n');
    size_t len = eol ? (size_t)(eol - p) : strlen(p);
    if (len >= cap) len = cap - 1;
    memcpy(buf, p, len);
    buf[len] = 0;
    *from = p;
    return buf;
}

/* Is `line` a whole line of out at or after *pos? Moves *pos past it. */
static int has_line_after(const char *out, const char **pos, const char *line) {
    size_t n = strlen(line);
    for (const char *p = *pos; (p = strstr(p, line)) != NULL; p++) {
        if ((p == out || p[-1] == '\n') && (p[n] == '\n' || p[n] == 0)) {
            *pos = p + n;
            return 1;
        }
    }
    return 0;
}

static void run_case(const char *path) {
    size_t len;
    char *text = vt_read_file(path, &len);
    cr_assert(text, "cannot read %s", path);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char args[256] = "", exitbuf[16] = "", line[2048];
    const char *from = NULL;
    next_directive(text, "args", &from, args, sizeof args);
    from = NULL;
    cr_assert(next_directive(text, "exit", &from, exitbuf, sizeof exitbuf), "%s has no `# exit:` line", base);
    vt_run_result r = vt_run_verity(CASES, NULL, "test %s %s", base, args);
    cr_expect_eq(r.status, atoi(exitbuf), "%s: exit %d, expected %s\nstdout:\n%s\nstderr:\n%s", base, r.status,
                 exitbuf, r.out, r.err);
    const char *pos = r.out;
    int nout = 0;
    from = NULL;
    while (next_directive(text, "out", &from, line, sizeof line)) {
        nout++;
        cr_expect(has_line_after(r.out, &pos, line), "%s: missing (or out of order) line:\n%s\nstdout:\n%s", base, line,
                  r.out);
    }
    cr_expect(nout > 0, "%s has no `# out:` line", base);
    vt_run_free(&r);
    free(text);
}

Test(flowtests, cases) {
    size_t n = 0;
    char **files = vt_list_files(CASES, ".flow", &n);
    cr_assert(files && n >= 4, "expected the case files in %s", CASES);
    for (size_t i = 0; i < n; i++) run_case(files[i]);
    vt_free_list(files);
}

Test(flowtests, several_files_share_one_summary) {
    vt_run_result r = vt_run_verity(CASES, NULL, "test pass.flow shop.flow");
    cr_expect_eq(r.status, 1, "exit %d", r.status);
    const char *last = strstr(r.out, "5 passed, 1 failed\n");
    cr_expect(last && last[strlen("5 passed, 1 failed\n")] == 0, "one closing line at the end:\n%s", r.out);
    vt_run_free(&r);
}

Test(flowtests, coverage_is_only_printed_when_asked) {
    vt_run_result r = vt_run_verity(CASES, NULL, "test pass.flow");
    cr_expect_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
    cr_expect(strstr(r.out, "coverage") == NULL, "coverage without --coverage:\n%s", r.out);
    cr_expect(strstr(r.out, "not exercised") == NULL);
    vt_run_free(&r);
}

Test(flowtests, usage_errors_exit_2) {
    vt_run_result r = vt_run_verity(CASES, NULL, "test");
    cr_expect_eq(r.status, 2);
    cr_expect(strstr(r.err, "name at least one .flow file") != NULL, "stderr: %s", r.err);
    vt_run_free(&r);

    r = vt_run_verity(CASES, NULL, "test no-such-file.flow");
    cr_expect_eq(r.status, 2);
    cr_expect(strstr(r.err, "cannot read `no-such-file.flow`") != NULL, "stderr: %s", r.err);
    vt_run_free(&r);

    r = vt_run_verity(CASES, NULL, "test pass.flow --covrage");
    cr_expect_eq(r.status, 2);
    cr_expect(strstr(r.err, "--covrage") != NULL, "stderr: %s", r.err);
    vt_run_free(&r);

    r = vt_run_verity(CASES, NULL, "test lib");
    cr_expect_eq(r.status, 2);
    cr_expect(strstr(r.err, "is a directory") != NULL, "stderr: %s", r.err);
    vt_run_free(&r);
}

Test(flowtests, a_flow_without_tests_passes_and_says_so) {
    vt_run_result r = vt_run_verity(CASES, NULL, "test lib/b2b.flow");
    cr_expect_eq(r.status, 0, "exit %d\n%s", r.status, r.err);
    cr_expect_str_eq(r.out, "0 passed, 0 failed\n");
    cr_expect(strstr(r.err, "has no `test` blocks") != NULL, "stderr: %s", r.err);
    vt_run_free(&r);
}

/* Out of memory at every allocation in turn: never a crash or a leak (the ASan build
 * checks), never a silent pass; once no allocation fails, the usual result. */
static void out_of_memory_case(const char *file, unsigned passed, unsigned failed) {
    FILE *sink = fopen("/dev/null", "w");
    cr_assert(sink);
    cr_assert(freopen("/dev/null", "w", stderr));
    vt_testrun_opts o = {.stdlib_dir = VT_SOURCE_DIR "/stdlib", .coverage = true, .out = sink};
    char path[512];
    snprintf(path, sizeof path, "%s/%s", CASES, file);
    int done = 0;
    long n;
    for (n = 0; n < 50000 && !done; n++) {
        vt_testrun_totals t = {0};
        vt_mem_fail_after(n);
        int rc = vt_testrun_file(path, &o, &t);
        /* Did the planned failure come? If not, it is still pending and one of the next
         * n + 1 allocations fails. */
        int pending = 0;
        for (long i = 0; i <= n && !pending; i++) {
            void *p = vt_malloc(1);
            pending = p == NULL;
            vt_free(p);
        }
        vt_mem_fail_after(-1);
        if (pending) {
            cr_expect_eq(rc, 0);
            cr_expect(t.passed == passed && t.failed == failed, "%s: %u passed, %u failed", file, t.passed, t.failed);
            done = 1;
        } else {
            /* a failure is reported, or it did not matter (the bytecode's line table
             * for disasm goes without); a test never passes that would not */
            cr_expect(rc != 0 || t.failed > failed || (t.passed == passed && t.failed == failed),
                      "%s: allocation %ld failed and nothing said so: %u passed, %u failed", file, n + 1, t.passed,
                      t.failed);
        }
    }
    cr_expect(done, "%s: still failing after %ld allocations", file, n);
    fclose(sink);
}

Test(flowtests, out_of_memory_never_crashes) { out_of_memory_case("shop.flow", 1, 1); }

/* The same where history is kept and read: every test of the file passes normally. */
Test(flowtests, out_of_memory_while_keeping_history_never_passes_silently) {
    out_of_memory_case("history_b2b.flow", 3, 0);
}

Test(flowtests, the_shipped_examples_pass_their_own_tests) {
    vt_run_result r = vt_run_verity(VT_SOURCE_DIR, NULL, "test examples/*.flow");
    cr_expect_eq(r.status, 0, "exit %d\nstdout:\n%s\nstderr:\n%s", r.status, r.out, r.err);
    cr_expect(strstr(r.out, " passed, 0 failed\n") != NULL, "stdout:\n%s", r.out);
    cr_expect(strstr(r.out, "FAIL") == NULL, "stdout:\n%s", r.out);
    vt_run_free(&r);
}
