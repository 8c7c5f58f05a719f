/* Name resolution, imports, templates and types (SPEC §2-§6, §8, §10-§12), driven by
 * the case files in tests/cases/errors/. Each case states its findings inline:
 *
 *   # expect: E022 12:27 unknown event `purchse`
 *
 * (code, line:col and the exact message). The run must report exactly those findings,
 * no more. A case with no `expect` line must be clean. A sibling NAME.expected holds
 * the rendered text report (source line, caret, notes, hint) when the wording of the
 * whole report matters. */
#include "compiler/unit.h"
#include "support.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CASES VT_TEST_DIR "/cases/errors"
#define CONFORMANCE VT_SOURCE_DIR "/../shared/conformance"

typedef struct {
    char code[8];
    unsigned line, col;
    char msg[512];
    int seen;
} expectation;

/* The findings a case file expects. */
static size_t read_expectations(const char *text, expectation *out, size_t max) {
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, "# expect: ")) != NULL && n < max; p++) {
        const char *q = p + 10;
        const char *eol = strchr(q, '\n');
        size_t len = eol ? (size_t)(eol - q) : strlen(q);
        char line[700];
        if (len >= sizeof line) len = sizeof line - 1;
        memcpy(line, q, len);
        line[len] = 0;
        expectation *x = &out[n];
        memset(x, 0, sizeof *x);
        int used = 0;
        if (sscanf(line, "%7s %u:%u %n", x->code, &x->line, &x->col, &used) >= 3) {
            snprintf(x->msg, sizeof x->msg, "%s", line + used);
            n++;
        }
    }
    return n;
}

typedef struct {
    vt_sources sources;
    vt_diags diags;
    vt_unit unit;
} run;

static void run_file(run *r, const char *path) {
    memset(r, 0, sizeof *r);
    vt_diags_init(&r->diags, &r->sources);
    vt_unit_init(&r->unit, &r->sources, &r->diags);
    r->unit.stdlib_dir = VT_SOURCE_DIR "/stdlib";
    if (vt_unit_parse_root(&r->unit, path) == 0) vt_resolve(&r->unit);
    vt_diags_finish(&r->diags);
}

static void run_free(run *r) {
    vt_unit_free(&r->unit);
    vt_diags_free(&r->diags);
    vt_sources_free(&r->sources);
}

/* Every finding of a run as "CODE L:C message" lines (malloc'd). */
static char *describe(run *r) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    for (size_t i = 0; f && i < r->diags.n; i++) {
        vt_diag *g = &r->diags.v[i];
        if (g->suppressed) continue;
        uint32_t line, col;
        vt_sources_linecol(&r->sources, g->span.file, g->span.start, &line, &col);
        fprintf(f, "  %s %u:%u %s\n", vt_code_name(g->code), line, col, g->message);
    }
    if (f) fclose(f);
    return buf;
}

/* Removes every occurrence of `prefix` from s, in place. */
static void strip(char *s, const char *prefix) {
    size_t pl = strlen(prefix);
    char *o = s;
    for (char *p = s; *p;) {
        if (!strncmp(p, prefix, pl)) p += pl;
        else *o++ = *p++;
    }
    *o = 0;
}

/* The rendered text report, with the checkout's directories taken out of the paths. */
static char *render(run *r) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    vt_diags_render(&r->diags, VT_FMT_TEXT, f, 0);
    fclose(f);
    strip(buf, CASES "/");
    strip(buf, VT_SOURCE_DIR "/");
    return buf;
}

/* Checks one case file; returns 0 when it behaves as its comments say. */
static int check_case(const char *path) {
    char *text = vt_read_file(path, NULL);
    cr_assert_not_null(text, "cannot read %s", path);
    expectation xs[64];
    size_t nx = read_expectations(text, xs, 64);
    free(text);

    run r;
    run_file(&r, path);
    int bad = 0;
    for (size_t i = 0; i < r.diags.n; i++) {
        vt_diag *g = &r.diags.v[i];
        if (g->suppressed) continue;
        uint32_t line, col;
        vt_sources_linecol(&r.sources, g->span.file, g->span.start, &line, &col);
        int matched = 0;
        for (size_t k = 0; k < nx && !matched; k++) {
            if (xs[k].seen || strcmp(xs[k].code, vt_code_name(g->code)) || xs[k].line != line || xs[k].col != col ||
                strcmp(xs[k].msg, g->message))
                continue;
            xs[k].seen = matched = 1;
        }
        if (!matched) bad = 1;
    }
    for (size_t k = 0; k < nx; k++)
        if (!xs[k].seen) bad = 1;
    if (bad) {
        char *got = describe(&r);
        cr_log_error("%s: findings differ from its `# expect:` lines; got:\n%s", path, got ? got : "");
        free(got);
    }

    char golden[1024];
    snprintf(golden, sizeof golden, "%.*s.expected", (int)(strlen(path) - 5), path);
    char *want = vt_read_file(golden, NULL);
    if (want) {
        char *out = render(&r);
        if (!out || strcmp(out, want)) {
            cr_log_error("%s: the text report differs from %s; got:\n%s", path, golden, out ? out : "(none)");
            bad = 1;
        }
        free(out);
        free(want);
    }
    run_free(&r);
    return bad;
}

Test(resolve, every_case_reports_what_it_expects) {
    size_t n = 0;
    char **files = vt_list_files(CASES, ".flow", &n);
    cr_assert_not_null(files);
    cr_assert_gt(n, 0, "no case files in %s", CASES);
    int failed = 0;
    for (size_t i = 0; i < n; i++) failed += check_case(files[i]);
    vt_free_list(files);
    cr_expect_eq(failed, 0, "%d of %zu case files failed (see the log above)", failed, n);
}

/* The external conformance flows are real, working flows: they must check clean. */
Test(resolve, conformance_flows_are_clean) {
    size_t n = 0;
    char **dirs = vt_list_files(CONFORMANCE, "", &n);
    if (!dirs || !n) {   /* the suite is not beside this checkout */
        vt_free_list(dirs);
        return;
    }
    int checked = 0;
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/flow.flow", dirs[i]);
        char *text = vt_read_file(path, NULL);
        if (!text) continue;
        free(text);
        run r;
        run_file(&r, path);
        char *got = describe(&r);
        cr_expect_eq(r.diags.n, 0, "%s is not clean:\n%s", path, got ? got : "");
        free(got);
        cr_expect(r.unit.resolved_ok, "%s did not resolve", path);
        run_free(&r);
        checked++;
    }
    vt_free_list(dirs);
    cr_expect_gt(checked, 0, "no conformance flow found under %s", CONFORMANCE);
}

/* What later passes rely on: references point at their declarations. */
Test(resolve, references_are_bound) {
    run r;
    run_file(&r, CASES "/ok_spec_example.flow");
    cr_assert_eq(r.diags.nerrors, 0);
    vt_unit *u = &r.unit;
    cr_assert_not_null(u->flow);
    cr_expect_not_null(u->contact);
    cr_expect_eq(u->events.n, 9);
    cr_expect_eq(u->lifecycles.n, 1);
    cr_expect_eq(u->transitions.n, 5);
    vt_decl *sales = vt_unit_find(u, VT_D_TEAM, "sales");
    cr_assert_not_null(sales);
    cr_expect(sales->used, "team sales is used by owners and escalation");
    cr_expect_not_null(sales->u.team.escalates_decl);
    vt_decl *t = u->transitions.items[1];      /* mql -> sql on demo_requested */
    cr_expect_eq(t->u.transition.lifecycle, u->lifecycles.items[0]);
    cr_expect_eq(t->u.transition.from_index, 1);
    cr_expect_eq(t->u.transition.to_index, 2);
    cr_expect_eq(t->u.transition.trigger.event_decl, vt_unit_find(u, VT_D_EVENT, "demo_requested"));
    vt_decl *rule = u->rules.items[0];         /* on page_view where url starts with ... */
    vt_expr *w = rule->u.on.where;
    cr_assert_eq(w->kind, VT_E_BINARY);
    cr_expect_eq(w->u.bin.l->u.name.ref, VT_REF_PAYLOAD);
    cr_expect_eq(w->type.kind, VT_T_BOOL);
    vt_decl *truth = vt_unit_find(u, VT_D_TRUTH, "pricing_interest");
    cr_assert_not_null(truth);
    cr_expect(truth->used);
    cr_expect_eq(truth->u.truth.cond->u.bin.l->type.kind, VT_T_INT);
    run_free(&r);
}

/* Template instances join the tables under their prefix. */
Test(resolve, template_instances_are_prefixed) {
    run r;
    run_file(&r, CASES "/ok_template_use.flow");
    char *got = describe(&r);
    cr_assert_eq(r.diags.n, 0, "%s", got ? got : "");
    free(got);
    vt_decl *wf = vt_unit_find(&r.unit, VT_D_WORKFLOW, "winback.reactivation");
    cr_assert_not_null(wf, "no workflow winback.reactivation");
    cr_expect_str_eq(wf->prefix, "winback");
    cr_expect_not_null(vt_unit_find(&r.unit, VT_D_WORKFLOW, "lost_b2b.reactivation"));
    cr_expect_not_null(vt_unit_find(&r.unit, VT_D_TRUTH, "winback.lapsed"));
    vt_decl *tpl = vt_unit_find(&r.unit, VT_D_TEMPLATE, "winback");
    cr_assert_not_null(tpl);
    cr_expect(tpl->used);
    cr_expect(((vt_decl *)r.unit.imports.items[0])->used, "the import that brought the template is used");
    run_free(&r);
}
