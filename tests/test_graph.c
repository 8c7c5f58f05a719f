/* verity graph: golden diagrams in both formats for each case flow (the conformance
 * flows included), and what happens on a flow that does not resolve. */
#include "support.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CASES VT_TEST_DIR "/cases/graph"

/* NAME.flow -> NAME.EXT */
static char *sibling(const char *flow, const char *ext) {
    size_t n = strlen(flow);
    char *p = malloc(n + strlen(ext) + 1);
    memcpy(p, flow, n - 4);
    strcpy(p + n - 4, ext);
    return p;
}

static void goldens(const char *format, const char *ext) {
    size_t n = 0;
    char **cases = vt_list_files(CASES, ".flow", &n);
    cr_assert_geq(n, 3, "the graph cases are missing");
    for (size_t i = 0; i < n; i++) {
        char *golden = sibling(cases[i], ext);
        char *want = vt_read_file(golden, NULL);
        cr_expect_not_null(want, "%s has no golden %s output", cases[i], ext);
        vt_run_result r = vt_run_verity(NULL, NULL, "graph '%s' --format %s", cases[i], format);
        cr_expect_eq(r.status, 0, "%s: exit %d\n%s", cases[i], r.status, r.err);
        if (want) cr_expect_str_eq(r.out, want, "%s: the %s graph differs from %s:\n%s", cases[i], format, golden, r.out);
        vt_run_free(&r);
        free(want);
        free(golden);
    }
    vt_free_list(cases);
}

Test(graph, dot_goldens) { goldens("dot", "dot"); }
Test(graph, mermaid_goldens) { goldens("mermaid", "mmd"); }

Test(graph, dot_is_the_default) {
    vt_run_result a = vt_run_verity(CASES, NULL, "graph lead-lifecycle.flow");
    vt_run_result b = vt_run_verity(CASES, NULL, "graph lead-lifecycle.flow --format dot");
    cr_expect_eq(a.status, 0);
    cr_expect_str_eq(a.out, b.out);
    cr_expect(strncmp(a.out, "digraph ", 8) == 0, "not a dot graph:\n%s", a.out);
    vt_run_free(&a);
    vt_run_free(&b);
}

Test(graph, a_flow_with_errors_draws_nothing) {
    char *dir = vt_temp_dir();
    const char *text = "flow \"x\" version 1\n"
                       "event demo_requested\n"
                       "lifecycle funnel {\n  initial state lead\n  final state sql\n}\n"
                       "transition lead -> sqll on demo_requested\n";
    size_t n = strlen(dir) + 16;
    char *f = malloc(n);
    snprintf(f, n, "%s/x.flow", dir);
    cr_assert_eq(vt_write_file(f, text, strlen(text)), 0);
    vt_run_result r = vt_run_verity(dir, NULL, "graph x.flow");
    cr_expect_eq(r.status, 1, "exit %d", r.status);
    cr_expect_str_empty(r.out);
    cr_expect(strstr(r.err, "x.flow:7:") != NULL, "the unknown state is not located:\n%s", r.err);
    vt_run_free(&r);
    unlink(f);
    free(f);
    rmdir(dir);
    free(dir);
}

Test(graph, bad_usage_is_exit_2) {
    vt_run_result r = vt_run_verity(CASES, NULL, "graph lead-lifecycle.flow --format png");
    cr_expect_eq(r.status, 2);
    cr_expect(strstr(r.err, "png") != NULL, "%s", r.err);
    vt_run_free(&r);
    r = vt_run_verity(CASES, NULL, "graph no-such.flow");
    cr_expect_eq(r.status, 2, "unreadable: exit %d", r.status);
    vt_run_free(&r);
}
