/* Static analysis (SPEC §7) through `verity check`: every case file under
 * tests/cases/analysis/ states its findings inline (`# expect: V001 12:3`, or
 * `# expect: clean`), and the shipped flows check with zero findings. */
#include "support.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CASES VT_TEST_DIR "/cases/analysis"

typedef struct finding {
    char code[8];
    unsigned line, col;
} finding;

/* The findings of a `--format json` report: code, line and column of each. */
static size_t parse_json_findings(const char *out, finding *v, size_t max) {
    size_t n = 0;
    for (const char *p = out; (p = strstr(p, "{\"code\":\"")) != NULL && n < max; p++) {
        finding f = {0};
        if (sscanf(p, "{\"code\":\"%7[A-Z0-9]\"", f.code) != 1) continue;
        const char *q = strstr(p, "\"line\":");
        if (!q || sscanf(q, "\"line\":%u,\"column\":%u", &f.line, &f.col) != 2) continue;
        v[n++] = f;
    }
    return n;
}

/* The `# expect:` lines of a case; *clean set for `# expect: clean`. */
static size_t parse_expectations(const char *text, finding *v, size_t max, int *clean) {
    size_t n = 0;
    *clean = 0;
    for (const char *p = text; (p = strstr(p, "# expect:")) != NULL; p++) {
        const char *q = p + strlen("# expect:");
        while (*q == ' ') q++;
        if (strncmp(q, "clean", 5) == 0) { *clean = 1; continue; }
        finding f = {0};
        if (n < max && sscanf(q, "%7[A-Z0-9] %u:%u", f.code, &f.line, &f.col) == 3) v[n++] = f;
    }
    return n;
}

static int contains(const finding *v, size_t n, const finding *f) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].code, f->code) && v[i].line == f->line && v[i].col == f->col) return 1;
    return 0;
}

Test(analysis, every_case_reports_exactly_its_expectations) {
    size_t ncases;
    char **cases = vt_list_files(CASES, ".flow", &ncases);
    cr_assert(cases && ncases >= 28, "expected a positive and a negative case per check in %s", CASES);
    for (size_t i = 0; i < ncases; i++) {
        char *text = vt_read_file(cases[i], NULL);
        cr_assert(text, "cannot read %s", cases[i]);
        finding want[64], got[64];
        int clean;
        size_t nwant = parse_expectations(text, want, 64, &clean);
        cr_expect(clean || nwant, "%s: no `# expect:` line", cases[i]);
        vt_run_result r = vt_run_verity(CASES, NULL, "check --format json '%s'", cases[i]);
        size_t ngot = parse_json_findings(r.out, got, 64);
        for (size_t k = 0; k < nwant; k++)
            cr_expect(contains(got, ngot, &want[k]), "%s: expected %s at %u:%u, not reported:\n%s", cases[i],
                      want[k].code, want[k].line, want[k].col, r.out);
        for (size_t k = 0; k < ngot; k++)
            cr_expect(contains(want, nwant, &got[k]), "%s: unexpected %s at %u:%u:\n%s", cases[i], got[k].code,
                      got[k].line, got[k].col, r.out);
        int errors = 0;
        for (size_t k = 0; k < ngot; k++) errors |= !strcmp(got[k].code, "V006") || !strcmp(got[k].code, "V009");
        cr_expect_eq(r.status, errors ? 1 : 0, "%s: exit %d (errors only from V006/V009)\n%s", cases[i], r.status,
                     r.err);
        vt_run_free(&r);
        free(text);
    }
    vt_free_list(cases);
}

/* Each V-check has a case that triggers it and one that must stay quiet. */
Test(analysis, a_positive_and_a_negative_case_per_check) {
    for (int code = 1; code <= 14; code++) {
        char pos[512], neg[512], name[8];
        snprintf(name, sizeof name, "V%03d", code);
        snprintf(pos, sizeof pos, CASES "/%s-pos.flow", name);
        snprintf(neg, sizeof neg, CASES "/%s-neg.flow", name);
        char *p = vt_read_file(pos, NULL), *n = vt_read_file(neg, NULL);
        cr_expect(p != NULL, "missing %s", pos);
        cr_expect(n != NULL, "missing %s", neg);
        if (p) {
            char want[32];
            snprintf(want, sizeof want, "# expect: %s ", name);
            cr_expect(strstr(p, want) != NULL, "%s does not expect %s", pos, name);
        }
        if (n) cr_expect(strstr(n, "# expect: clean") != NULL, "%s must expect a clean check", neg);
        free(p);
        free(n);
    }
}

static void expect_clean(const char *dir, const char *file) {
    vt_run_result r = vt_run_verity(dir, NULL, "check --format json '%s'", file);
    cr_expect_eq(r.status, 0, "%s: exit %d\n%s%s", file, r.status, r.out, r.err);
    cr_expect(strstr(r.out, "\"errors\":0,\"warnings\":0") != NULL, "%s is not clean:\n%s", file, r.out);
    vt_run_free(&r);
}

/* Precision: no noise on the flows we ship and on the conformance flows. */
Test(analysis, shipped_examples_check_clean) {
    size_t n;
    char **files = vt_list_files(VT_SOURCE_DIR "/examples", ".flow", &n);
    cr_assert(files && n > 0, "no examples");
    for (size_t i = 0; i < n; i++) expect_clean(VT_SOURCE_DIR, files[i]);
    vt_free_list(files);
}

Test(analysis, conformance_flows_check_clean) {
    const char *cases[] = {"lead-lifecycle", "shop-timing"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, VT_SOURCE_DIR "/../shared/conformance/%s/flow.flow", cases[i]);
        char *text = vt_read_file(path, NULL);
        if (!text) cr_skip_test("no conformance suite beside the checkout (%s)", path);
        free(text);
        expect_clean(VT_SOURCE_DIR, path);
    }
}

/* The silencing switches, on analysis findings. */
Test(analysis, allow_and_deny) {
    vt_run_result r = vt_run_verity(CASES, NULL, "check V014-pos.flow");
    cr_expect_eq(r.status, 0, "a warning alone passes: exit %d", r.status);
    cr_expect(strstr(r.out, "warning[V014]") != NULL, "%s", r.out);
    vt_run_free(&r);
    r = vt_run_verity(CASES, NULL, "check --deny warnings V014-pos.flow");
    cr_expect_eq(r.status, 1, "--deny warnings makes it fail: exit %d", r.status);
    cr_expect(strstr(r.out, "error[V014]") != NULL, "%s", r.out);
    vt_run_free(&r);
    r = vt_run_verity(CASES, NULL, "check --deny warnings --allow V014 V014-pos.flow");
    cr_expect_eq(r.status, 0);
    cr_expect_str_empty(r.out);
    vt_run_free(&r);
    r = vt_run_verity(CASES, NULL, "check --allow V009 V009-pos.flow");
    cr_expect_eq(r.status, 0, "an allowed error does not fail: exit %d\n%s", r.status, r.out);
    vt_run_free(&r);
    r = vt_run_verity(CASES, NULL, "check V009-pos.flow");
    cr_expect_eq(r.status, 1);
    cr_expect(strstr(r.out, "error[V009]") != NULL, "%s", r.out);
    vt_run_free(&r);
}

/* A finding says what is wrong in the user's words and points at the related place. */
Test(analysis, findings_carry_a_note_and_a_hint) {
    vt_run_result r = vt_run_verity(CASES, NULL, "check V002-pos.flow");
    cr_expect(strstr(r.out, "transition `lead -> sql` can never fire: an earlier transition out of `lead` always "
                            "fires first") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "note: V002-pos.flow:24:1: `lead -> mql` at line 24 already fires whenever "
                            "`lead -> sql` would") != NULL, "%s", r.out);
    vt_run_free(&r);
    r = vt_run_verity(CASES, NULL, "check V014-pos.flow");
    cr_expect(strstr(r.out, "hint: add `exit when not (funnel is mql)` to the workflow") != NULL, "%s", r.out);
    vt_run_free(&r);
    r = vt_run_verity(CASES, NULL, "check --format json V006-pos.flow");
    cr_expect(strstr(r.out, "\"code\":\"V006\",\"severity\":\"error\"") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "\"end_line\":19,\"end_column\":34") != NULL, "the span covers the transition:\n%s", r.out);
    vt_run_free(&r);
}
