/* The whole front end (parse, resolve, analyse) over a shipped example, with the Nth
 * allocation failing for every N: it must never crash or leak, and a run that lost an
 * allocation must say so (an error or the out-of-memory flag) rather than pass as clean,
 * since `verity check` would then print "no problems found" for a flow it did not check. */
#include "common/mem.h"
#include "compiler/check.h"
#include "support.h"
#include <criterion/criterion.h>

/* Did the failure planned after n allocations happen? If not, it is still pending and
 * one of the next n + 1 allocations fails. */
static int failure_happened(long n) {
    for (long i = 0; i <= n; i++) {
        void *p = vt_malloc(1);
        if (!p) return 0;
        vt_free(p);
    }
    return 1;
}

/* Returns 1 when the run completed without losing an allocation. */
static int check_with_failure_at(const char *path, long n) {
    vt_sources s = {0};
    vt_diags d;
    vt_diags_init(&d, &s);
    vt_unit u;
    vt_unit_init(&u, &s, &d);
    vt_check_opts opts = {.stdlib_dir = VT_SOURCE_DIR "/stdlib", .analyze = true};
    vt_mem_fail_after(n);
    vt_check_file(&u, path, &opts);
    int failed = failure_happened(n);
    vt_mem_fail_after(-1);
    vt_diags_finish(&d);
    if (failed)
        cr_expect(d.oom || d.nerrors > 0, "%s: allocation %ld failed and the check still reported no problem", path,
                  n + 1);
    else
        cr_expect(d.n == 0 && !d.oom, "%s: %zu findings with no allocation failing", path, d.n);
    vt_unit_free(&u);
    vt_diags_free(&d);
    vt_sources_free(&s);
    return !failed;
}

static void sweep(const char *path) {
    int done = 0;
    long n;
    /* The examples need a few thousand allocations at most; once a run completes with
     * no failure, later ones cannot fail either. */
    for (n = 0; n < 20000 && !done; n++) done = check_with_failure_at(path, n);
    cr_expect(done, "%s: still failing after %ld allocations", path, n);
}

Test(check_oom, b2b_example) { sweep(VT_SOURCE_DIR "/examples/b2b-leads.flow"); }
Test(check_oom, ecommerce_example) { sweep(VT_SOURCE_DIR "/examples/ecommerce.flow"); }
