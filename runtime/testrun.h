/* `verity test` (SPEC §10): runs the `test "NAME" { ... }` blocks of a flow through the
 * same runner as `verity run`/`simulate`, one in-memory store per test, and checks
 * their expectations. The CLI only parses options and sums the totals. */
#ifndef VT_TESTRUN_H
#define VT_TESTRUN_H
#include <stdbool.h>
#include <stdio.h>

typedef struct vt_testrun_opts {
    const char *stdlib_dir;     /* for `import "std/..."`; NULL: the built-in default */
    bool coverage;              /* list transitions, truths and steps no test exercised */
    FILE *out;                  /* results (and the flow's diagnostics when it has errors) */
    const char *const *native_dirs; /* `--allow-native DIR`s, NULL-terminated; may be NULL */
} vt_testrun_opts;

typedef struct vt_testrun_totals {
    unsigned passed, failed;
    unsigned broken_flows;      /* flows with errors: their tests did not run */
} vt_testrun_totals;

/* Runs every test of one .flow file, printing `ok   NAME` / `FAIL NAME` lines (with the
 * failed expectations indented below) to opts->out and adding to *t. Returns 0 when its
 * tests ran (whatever their outcome), 1 when the flow has errors (rendered as `verity
 * check` does), -1 when it could not run (message on stderr: unreadable, out of memory). */
int vt_testrun_file(const char *path, const vt_testrun_opts *opts, vt_testrun_totals *t);

#endif
