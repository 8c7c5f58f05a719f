/* The front end (SPEC §2-§6, §10-§12): every construct parses into the AST a user's
 * flow means, every syntax error is reported with its code, place and message, and no
 * input — truncated, binary, deeply nested, huge — crashes or hangs the parser.
 *
 * Case files:
 *   tests/cases/parse/NAME.flow   valid flows; NAME.ast is the expected tree (one
 *                                 declaration per line, see parse_dump.h)
 *   tests/cases/syntax/NAME.flow  broken flows; the leading `# expect: CODE L:C MESSAGE`
 *                                 lines list every diagnostic, in order, each optionally
 *                                 followed by `# hint: TEXT` */
#include "support.h"
#include "common/mem.h"
#include "compiler/unit.h"
#include "parse_dump.h"
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parsed {
    vt_sources s;
    vt_diags d;
    vt_unit u;
    vt_module *m;
} parsed;

static void parse_text_depth(parsed *p, const char *text, size_t len, uint32_t max_depth) {
    memset(p, 0, sizeof *p);
    vt_diags_init(&p->d, &p->s);
    vt_unit_init(&p->u, &p->s, &p->d);
    p->u.max_depth = max_depth;
    int idx = vt_sources_add(&p->s, "test.flow", text, len);
    cr_assert(idx >= 0);
    p->m = vt_parse(&p->u, (uint32_t)idx);
    vt_diags_finish(&p->d);
}

static void parse_text(parsed *p, const char *text, size_t len) { parse_text_depth(p, text, len, 0); }
static void parse_str(parsed *p, const char *text) { parse_text(p, text, strlen(text)); }

static void parsed_free(parsed *p) {
    vt_unit_free(&p->u);
    vt_diags_free(&p->d);
    vt_sources_free(&p->s);
}

static int has_code(parsed *p, vt_code c) {
    for (size_t i = 0; i < p->d.n; i++) if (p->d.v[i].code == c) return 1;
    return 0;
}

/* Every parse keeps this promise: the module says it failed exactly when an error was
 * reported, so no code is ever generated from a file with a syntax error. */
static void check_consistent(parsed *p, const char *what) {
    cr_assert_not_null(p->m, "%s: parse returned NULL without running out of memory", what);
    cr_assert_eq(p->m->parse_failed, p->d.nerrors > 0, "%s: parse_failed=%d but %zu errors", what,
                 p->m->parse_failed, p->d.nerrors);
}

static char *first_diag_text(parsed *p) {
    static char buf[600];
    buf[0] = 0;
    if (p->d.n) {
        uint32_t l, c;
        vt_sources_linecol(&p->s, p->d.v[0].span.file, p->d.v[0].span.start, &l, &c);
        snprintf(buf, sizeof buf, "%s %u:%u %s", vt_code_name(p->d.v[0].code), l, c, p->d.v[0].message);
    }
    return buf;
}

/* ---- valid flows ------------------------------------------------------------------------ */

Test(parse, valid_case_files_give_the_expected_tree) {
    size_t n;
    char **files = vt_list_files(VT_TEST_DIR "/cases/parse", ".flow", &n);
    cr_assert_gt(n, 4, "the valid corpus is missing");
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *text = vt_read_file(files[i], &len);
        cr_assert_not_null(text, "cannot read %s", files[i]);
        parsed p;
        parse_text(&p, text, len);
        check_consistent(&p, files[i]);
        cr_expect_eq(p.d.n, 0, "%s: unexpected diagnostic: %s", files[i], first_diag_text(&p));
        char *got = pd_module(p.m);
        char ast_path[1024];
        snprintf(ast_path, sizeof ast_path, "%.*s.ast", (int)(strlen(files[i]) - 5), files[i]);
        char *want = vt_read_file(ast_path, NULL);
        cr_assert_not_null(want, "missing expected tree %s", ast_path);
        cr_expect_str_eq(got, want, "%s: the tree differs from %s", files[i], ast_path);
        free(got);
        free(want);
        free(text);
        parsed_free(&p);
    }
    vt_free_list(files);
}

Test(parse, conformance_flows_parse_cleanly) {
    const char *files[] = { VT_SOURCE_DIR "/../shared/conformance/lead-lifecycle/flow.flow",
                            VT_SOURCE_DIR "/../shared/conformance/shop-timing/flow.flow" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        parsed p;
        memset(&p, 0, sizeof p);
        vt_diags_init(&p.d, &p.s);
        vt_unit_init(&p.u, &p.s, &p.d);
        if (vt_unit_parse_root(&p.u, files[i]) != 0) {   /* the shared suite is not beside every checkout */
            parsed_free(&p);
            continue;
        }
        cr_expect_eq(p.d.n, 0, "%s: %zu diagnostics", files[i], p.d.n);
        cr_expect_gt(p.u.modules[0]->ndecls, 20);
        parsed_free(&p);
    }
}

/* How single constructs read: source -> the tree of its last declaration. */
static const struct { const char *src, *tree; } readings[] = {
    /* SPEC §6: an event name before `within` is the sugar `E within D` ... */
    { "workflow w {\n goal purchase within 10d\n}",
      "(workflow w owner _ reenroll never goal (within purchase 864000s) steps {})" },
    /* ... while after a state test the window belongs to the goal. */
    { "workflow w {\n goal funnel is sql within 60d\n}",
      "(workflow w owner _ reenroll never goal (is funnel sql) within 5184000s steps {})" },
    { "truth t = count(page_view where flag within 7d) > 0",
      "(truth t (> (count page_view where flag within 604800s) 0))" },
    { "truth t = count(page_view where a and flag within 7d) > 0",
      "(truth t (> (count page_view where (and a flag) within 604800s) 0))" },
    { "truth t = not funnel is mql and a or b", "(truth t (or (and (not (is funnel mql)) a) b))" },
    { "truth t = 1 + 2 * 3 - 4 / 2 > -3", "(truth t (> (- (+ 1 (* 2 3)) (/ 4 2)) -3))" },
    { "truth t = a - -3", "(truth t (- a -3))" },
    { "truth t = -x", "(truth t (neg x))" },
    { "truth t = x > -4.5 and y < -49.90 EUR",
      "(truth t (and (> x -4.5) (< y (money -4990/2 EUR))))" },
    { "truth t = x == 49.905 EUR", "(truth t (== x (money 49905/3 EUR)))" },
    { "truth t = x == 12 USD", "(truth t (== x (money 1200/2 USD)))" },
    { "truth t = x < 1d12h and y > 30s and z > 2w", "(truth t (and (and (< x 129600s) (> y 30s)) (> z 1209600s)))" },
    { "truth t = x > 2026-03-01 and y > 2026-03-01T09:30 and z > 2026-03-01T09:30:00Z",
      "(truth t (and (and (> x (ts 1772323200)) (> y (ts 1772357400 T))) (> z (ts 1772357400 T Z))))" },
    { "truth t = event.at > last(purchase).at and first(purchase).amount > 1",
      "(truth t (and (> event.at (last purchase at)) (> (first purchase amount) 1)))" },
    { "truth t = at > now and owner == sales", "(truth t (and (> at now) (== owner sales)))" },
    { "truth t = winback.inactive and since(purchase) > 3d and no purchase for 60d",
      "(truth t (and (and winback.inactive (> (since purchase) 259200s)) (no purchase for 5184000s)))" },
    { "truth t = sum(winback.purchase.amount) > 0 and count(winback.purchase) > 0",
      "(truth t (and (> (sum winback.purchase.amount) 0) (> (count winback.purchase) 0)))" },
    { "truth t = url starts with \"/a\" or url ends with \"b\" or url contains \"c\" or url matches \"d*\"",
      "(truth t (or (or (or (starts with url \"/a\") (ends with url \"b\")) (contains url \"c\")) (matches url \"d*\")))" },
    { "truth t = role in [\"CMO\", \"CEO\",] and funnel in [mql, sql] and x in []",
      "(truth t (and (and (in role [\"CMO\" \"CEO\"]) (in funnel [mql sql])) (in x [])))" },
    { "truth t = has tag \"vip\" and f(a, 1) and g()", "(truth t (and (and (has-tag \"vip\") (call f a 1)) (call g)))" },
    { "workflow w {\n steps {\n  send email \"hi {first_name}, \\\"q\\\" \\\\ {x.y}\\n{not a field} {}\"\n }\n}",
      "(workflow w owner _ reenroll never steps {(send email \"hi {first_name}, \"q\" \\ {x.y}\n{not a field} {}\")})" },
    { "channel sms requires c quiet 21:00-09:00 window Mon-Fri 09:00-18:00",
      "(channel sms requires c quiet 1260-540 window 0-4 540-1080)" },
    { "contact {\n nps: int 0..10, x: number -1.5..2.5 = 0.5\n}",
      "(contact {nps:int[0..10] x:number[-1.5..2.5]=0.5})" },
    { "transition any -> lost on created", "(transition *any -> lost (on created))" },
    { "transition a -> b after 45d in state", "(transition a -> b (after 3888000s))" },
    { "workflow w {\n enroll every week on sunday at 08:30\n}",
      "(workflow w owner _ enroll (every week 0-0 wd6 at510) reenroll never steps {})" },
    { "workflow w {\n steps {\n  task owner \"x\" due 4h\n  notify sales \"y\"\n }\n}",
      "(workflow w owner _ reenroll never steps {(task owner \"x\" due 14400s) (notify sales \"y\")})" },
    { "workflow w {\n steps { stop }\n}", "(workflow w owner _ reenroll never steps {(stop)})" },
    { "test \"t\" {\n expect c1 sent email \"a\" count 2\n expect no notify count 0\n}",
      "(test \"t\" {(expect c1 sent email \"a\" count 2) (expect no _ notify count 0)})" },
    { "use tpl()", "(use tpl {})" },
    { "template t() {\n}", "(template t ())" },
    { "event e {}", "(event e {})" },
    { "contact {\n}", "(contact {})" },
};

Test(parse, constructs_read_as_the_spec_says) {
    for (size_t i = 0; i < sizeof readings / sizeof readings[0]; i++) {
        parsed p;
        parse_str(&p, readings[i].src);
        check_consistent(&p, readings[i].src);
        cr_expect_eq(p.d.n, 0, "`%s`: unexpected %s", readings[i].src, first_diag_text(&p));
        cr_assert_gt(p.m->ndecls, 0, "`%s`: nothing parsed", readings[i].src);
        pd_buf b = { 0 };
        pd_decl(&b, p.m->decls[p.m->ndecls - 1]);
        cr_expect_str_eq(b.s, readings[i].tree, "`%s`", readings[i].src);
        free(b.s);
        parsed_free(&p);
    }
}

Test(parse, spans_point_at_the_source) {
    const char *src = "team sales\nworkflow w {\n  goal funnel is sql within 60d\n}\n";
    parsed p;
    parse_str(&p, src);
    cr_assert_eq(p.d.n, 0);
    vt_decl *team = p.m->decls[0], *w = p.m->decls[1];
    cr_expect_eq(team->span.start, 0);
    cr_expect_eq(team->span.end, 10);
    cr_expect_eq(team->name.span.start, 5);
    cr_expect_eq(w->span.start, 11);
    cr_expect_eq(w->span.end, (uint32_t)strlen(src) - 1);
    const char *g = strstr(src, "goal");
    cr_expect_eq(w->u.workflow.goal_span.start, (uint32_t)(g - src));
    cr_expect_eq(w->u.workflow.goal_span.end, (uint32_t)(strstr(src, "60d") + 3 - src));
    vt_expr *is = w->u.workflow.goal;
    cr_expect_eq(is->span.start, (uint32_t)(strstr(src, "funnel") - src));
    cr_expect_eq(is->u.is.state.span.start, (uint32_t)(strstr(src, "sql") - src));
    parsed_free(&p);
}

Test(parse, comments_are_kept_for_fmt) {
    const char *src = "# header\nteam sales   # the sales desk\n  # indented\n";
    parsed p;
    parse_str(&p, src);
    cr_assert_eq(p.d.n, 0);
    cr_assert_eq(p.m->ncomments, 3);
    cr_expect_str_eq(p.m->comments[0].text, "# header");
    cr_expect(p.m->comments[0].own_line);
    cr_expect_str_eq(p.m->comments[1].text, "# the sales desk");
    cr_expect(!p.m->comments[1].own_line);
    cr_expect(p.m->comments[2].own_line);
    cr_expect_eq(p.m->comments[1].span.start, (uint32_t)(strstr(src, "# the") - src));
    parsed_free(&p);
}

Test(parse, empty_and_comment_only_files_are_valid) {
    const char *srcs[] = { "", "\n\n", "# only a comment", "# a\n# b\n", "\xEF\xBB\xBF# with a byte-order mark\n" };
    for (size_t i = 0; i < sizeof srcs / sizeof srcs[0]; i++) {
        parsed p;
        parse_str(&p, srcs[i]);
        check_consistent(&p, srcs[i]);
        cr_expect_eq(p.d.n, 0, "`%s`: %s", srcs[i], first_diag_text(&p));
        cr_expect_eq(p.m->ndecls, 0);
        parsed_free(&p);
    }
}

Test(parse, missing_file_is_E009) {
    parsed p;
    memset(&p, 0, sizeof p);
    vt_diags_init(&p.d, &p.s);
    vt_unit_init(&p.u, &p.s, &p.d);
    cr_assert_eq(vt_unit_parse_root(&p.u, "/nonexistent/dir/x.flow"), -1);
    cr_assert_eq(p.d.n, 1);
    cr_expect_eq(p.d.v[0].code, VT_E009);
    cr_expect_str_eq(p.d.v[0].message, "cannot read /nonexistent/dir/x.flow: No such file or directory");
    parsed_free(&p);
    memset(&p, 0, sizeof p);
    vt_diags_init(&p.d, &p.s);
    vt_unit_init(&p.u, &p.s, &p.d);
    cr_assert_eq(vt_unit_parse_root(&p.u, VT_TEST_DIR), -1);
    cr_assert_eq(p.d.n, 1);
    cr_expect_str_eq(p.d.v[0].message, "cannot read " VT_TEST_DIR ": it is a directory");
    parsed_free(&p);
}

/* ---- syntax errors ----------------------------------------------------------------------- */

Test(parse, syntax_case_files_report_exactly_what_they_expect) {
    size_t n;
    char **files = vt_list_files(VT_TEST_DIR "/cases/syntax", ".flow", &n);
    cr_assert_gt(n, 10, "the syntax corpus is missing");
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *text = vt_read_file(files[i], &len);
        cr_assert_not_null(text);
        parsed p;
        parse_text(&p, text, len);
        check_consistent(&p, files[i]);
        cr_expect(p.m->parse_failed, "%s: no error reported", files[i]);
        size_t k = 0;
        for (const char *line = text; line && strncmp(line, "# expect: ", 10) == 0; k++) {
            const char *eol = strchr(line, '\n');
            size_t ll = eol ? (size_t)(eol - line) : strlen(line);
            char want[600];
            snprintf(want, sizeof want, "%.*s", (int)(ll - 10), line + 10);
            char got[600] = "(nothing)";
            if (k < p.d.n) {
                uint32_t l, c;
                vt_sources_linecol(&p.s, p.d.v[k].span.file, p.d.v[k].span.start, &l, &c);
                snprintf(got, sizeof got, "%s %u:%u %s", vt_code_name(p.d.v[k].code), l, c, p.d.v[k].message);
            }
            cr_expect_str_eq(got, want, "%s: diagnostic %zu", files[i], k + 1);
            line = eol ? eol + 1 : NULL;
            if (line && strncmp(line, "# hint: ", 8) == 0) {   /* the hint of that diagnostic */
                eol = strchr(line, '\n');
                ll = eol ? (size_t)(eol - line) : strlen(line);
                snprintf(want, sizeof want, "%.*s", (int)(ll - 8), line + 8);
                const char *hint = k < p.d.n && p.d.v[k].hint ? p.d.v[k].hint : "(no hint)";
                cr_expect_str_eq(hint, want, "%s: hint of diagnostic %zu", files[i], k + 1);
                line = eol ? eol + 1 : NULL;
            }
        }
        cr_expect(k > 0, "%s: has no `# expect:` line", files[i]);
        cr_expect_eq(p.d.n, k, "%s: %zu diagnostics, %zu expected", files[i], p.d.n, k);
        free(text);
        parsed_free(&p);
    }
    vt_free_list(files);
}

Test(parse, same_line_items_get_a_hint) {
    parsed p;
    parse_str(&p, "workflow w {\n  steps {\n    wait 1d stop\n  }\n}\n");
    cr_assert_eq(p.d.n, 1);
    cr_expect_str_eq(p.d.v[0].hint, "put each step on its own line");
    parsed_free(&p);
    /* a block holding a single step may stay on one line */
    parse_str(&p, "workflow w {\n  steps {\n    if vip { tag \"vip\" }\n    repeat 2 { wait 1d }\n  }\n}\n");
    cr_expect_eq(p.d.n, 0, "%s", first_diag_text(&p));
    parsed_free(&p);
}

Test(parse, errors_are_capped_per_file) {
    char src[4096] = "";
    for (int i = 0; i < 100; i++) strcat(src, "transition a -> b\n");   /* each lacks its trigger */
    parsed p;
    parse_str(&p, src);
    check_consistent(&p, "100 broken transitions");
    cr_expect_leq(p.d.n, 25, "%zu diagnostics", p.d.n);
    cr_expect_geq(p.d.n, 20);
    parsed_free(&p);
}

Test(parse, recovery_skips_braced_groups_whole) {
    /* The broken workflow header must not make `on` or `}` inside it count as new errors. */
    parsed p;
    parse_str(&p, "workflow 3 {\n  enroll on x\n  steps { on y }\n}\nteam sales\n");
    cr_expect_eq(p.d.n, 1, "%zu diagnostics, first %s", p.d.n, first_diag_text(&p));
    cr_expect_eq(p.m->ndecls, 1);
    parsed_free(&p);
}

/* ---- hostile input ------------------------------------------------------------------------ */

static char *repeat_str(const char *pre, const char *unit, int n, const char *mid, const char *unit2, const char *post) {
    size_t len = strlen(pre) + strlen(unit) * (size_t)n + strlen(mid) + strlen(unit2) * (size_t)n + strlen(post) + 1;
    char *s = malloc(len), *q = s;
    q += sprintf(q, "%s", pre);
    for (int i = 0; i < n; i++) q += sprintf(q, "%s", unit);
    q += sprintf(q, "%s", mid);
    for (int i = 0; i < n; i++) q += sprintf(q, "%s", unit2);
    sprintf(q, "%s", post);
    return s;
}

Test(parse, deep_nesting_is_E008_not_a_crash) {
    struct { const char *pre, *unit, *mid, *unit2, *post; } shapes[] = {
        { "truth t = ", "(", "x", ")", "\n" },
        { "truth t = ", "[", "x", "]", "\n" },
        { "workflow w { steps {\n", "if x {\n", "stop\n", "}\n", "} }\n" },
        { "truth t = ", "not ", "x", "", "\n" },
        { "truth t = x", " + a", "", "", "\n" },
        { "truth t = x", " and a", "", "", "\n" },
        { "truth t = ", "- ", "x", "", "\n" },
        { "truth t = ", "f(", "x", ")", "\n" },
        { "truth t = ", "count(e where ", "x", ")", "\n" },
        { "truth t = ", "(", "", "", "" },
        { "", "{", "", "", "" },
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        char *src = repeat_str(shapes[i].pre, shapes[i].unit, 10000, shapes[i].mid, shapes[i].unit2, shapes[i].post);
        parsed p;
        parse_str(&p, src);
        check_consistent(&p, shapes[i].unit);
        cr_expect(has_code(&p, VT_E008), "10000 x `%s`: no E008 (%s)", shapes[i].unit, first_diag_text(&p));
        parsed_free(&p);
        free(src);
    }
}

Test(parse, nesting_limit_is_exact) {
    /* u->max_depth levels parse; one more is E008. */
    for (int extra = 0; extra <= 1; extra++) {
        char *src = repeat_str("truth t = ", "(", 20 + extra, "x", ")", "\n");
        parsed p;
        parse_text_depth(&p, src, strlen(src), 20);
        cr_expect_eq(has_code(&p, VT_E008), extra, "%d parentheses with a limit of 20", 20 + extra);
        parsed_free(&p);
        free(src);
        src = repeat_str("truth t = ", "not ", 19 + extra, "x", "", "\n");
        parse_text_depth(&p, src, strlen(src), 20);
        cr_expect_eq(has_code(&p, VT_E008), extra, "%d nots with a limit of 20", 19 + extra);
        parsed_free(&p);
        free(src);
    }
}

Test(parse, lexical_junk_gets_its_own_code) {
    static const struct { const char *src; size_t len; vt_code code; } cases[] = {
        { "truth t = 1234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890\n", 0, VT_E005 },
        { "truth t = x > 99999999999999999999d\n", 0, VT_E005 },
        { "truth t = x > 99999999999999999999.00 EUR\n", 0, VT_E005 },
        { "team \"unterminated\n", 0, VT_E003 },
        { "flow \"x", 0, VT_E003 },
        { "flow \"x\\", 0, VT_E003 },
        { "flow \"a\\qb\" version 1", 0, VT_E004 },
        { "team s\xC3\x28\n", 0, VT_E007 },
        { "team s\xED\xA0\x80\n", 0, VT_E007 },     /* a UTF-16 surrogate */
        { "team s\xF8\x88\x80\x80\x80\n", 0, VT_E007 },
        { "team s\xC0\xAF\n", 0, VT_E007 },         /* overlong */
        { "# comment \xFF\n", 0, VT_E007 },
        { "team s\0x\n", 9, VT_E002 },
        { "team s\x7F\n", 0, VT_E002 },
        { "truth t = x == 2026-13-01\n", 0, VT_E006 },
        { "truth t = x == 2026-02-29\n", 0, VT_E006 },
        { "truth t = x == 24:01\n", 0, VT_E006 },
        { "truth t = x == 00-10\n", 0, VT_E006 },
        { "truth t = x == 1.00 Euro\n", 0, VT_E010 },
        { "truth t = x == 1.00 EU\n", 0, VT_E010 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].src);
        parsed p;
        parse_text(&p, cases[i].src, len);
        check_consistent(&p, cases[i].src);
        cr_expect(has_code(&p, cases[i].code), "case %zu: expected %s, got %s", i, vt_code_name(cases[i].code),
                  first_diag_text(&p));
        parsed_free(&p);
    }
}

Test(parse, truncated_files_never_crash) {
    size_t n;
    char **files = vt_list_files(VT_TEST_DIR "/cases/parse", ".flow", &n);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *text = vt_read_file(files[i], &len);
        size_t step = len / 300 + 1;
        for (size_t cut = 0; cut < len; cut += step) {
            parsed p;
            parse_text(&p, text, cut);
            check_consistent(&p, files[i]);
            parsed_free(&p);
        }
        free(text);
    }
    vt_free_list(files);
}

Test(parse, random_bytes_never_crash) {
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    static const char *alphabet[] = { "workflow ", "steps ", "{", "}", "(", ")", "\"", "#", "\n", " x ", "1",
                                      "2026-01-01", "21:00", "-", "..", "when ", "not ", "within ", "7d", "\xFF",
                                      "\xC3\xA9", "\0", "->", "on ", "=", "EUR", ".", "%" };
    for (int round = 0; round < 400; round++) {
        char buf[2048];
        size_t len = 0;
        seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
        size_t want = seed % 1500;
        while (len < want) {
            seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
            if (round % 2) {        /* raw bytes */
                buf[len++] = (char)(seed & 0xFF);
            } else {                /* token soup */
                const char *a = alphabet[seed % (sizeof alphabet / sizeof alphabet[0])];
                size_t al = a[0] ? strlen(a) : 1;
                if (len + al > sizeof buf) break;
                memcpy(buf + len, a, al);
                len += al;
            }
        }
        parsed p;
        parse_text(&p, buf, len);
        check_consistent(&p, "random bytes");
        if (memchr(buf, 0, len)) cr_expect(p.d.nerrors > 0, "round %d: a NUL byte went unreported", round);
        parsed_free(&p);
    }
}

/* Out of memory at each allocation in turn: vt_parse returns NULL or a module, and
 * never crashes or leaks (the sanitizer build checks the leaks). */
static void oom_each_allocation(const char *path) {
    size_t len;
    char *text = vt_read_file(path, &len);
    cr_assert_not_null(text);
    int succeeded = 0;
    for (long n = 0; n < 2000 && !succeeded; n++) {
        vt_sources s = { 0 };
        vt_diags d;
        vt_diags_init(&d, &s);
        int idx = vt_sources_add(&s, "oom.flow", text, len);
        cr_assert(idx >= 0);
        vt_unit u;
        vt_unit_init(&u, &s, &d);
        vt_mem_fail_after(n);
        vt_module *m = vt_parse(&u, (uint32_t)idx);
        vt_mem_fail_after(-1);
        if (m && !d.oom && !u.arena.failed) succeeded = 1;
        vt_unit_free(&u);
        vt_diags_free(&d);
        vt_sources_free(&s);
    }
    cr_expect(succeeded, "%s: never parsed even with 2000 successful allocations", path);
    free(text);
}

Test(parse, out_of_memory_is_clean) {
    const char *dirs[] = { VT_TEST_DIR "/cases/parse", VT_TEST_DIR "/cases/syntax" };
    for (size_t k = 0; k < 2; k++) {
        size_t n;
        char **files = vt_list_files(dirs[k], ".flow", &n);
        for (size_t i = 0; i < n; i++) oom_each_allocation(files[i]);
        vt_free_list(files);
    }
}

/* ---- reserved words ------------------------------------------------------------------------ */

#include "compiler/keywords.h"

Test(parse, every_keyword_is_reserved) {
#define KW(text, tok, doc) text,
    static const char *words[] = { VT_KEYWORDS(KW) };
#undef KW
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        char src[64], want[96];
        snprintf(src, sizeof src, "team %s\n", words[i]);
        snprintf(want, sizeof want, "found `%s`", words[i]);
        parsed p;
        parse_str(&p, src);
        check_consistent(&p, src);
        cr_expect(has_code(&p, VT_E001), "`%s` was accepted as a team name", words[i]);
        cr_expect(p.d.n > 0 && strstr(p.d.v[0].message, want), "`%s`: %s", src, first_diag_text(&p));
        parsed_free(&p);
    }
}

Test(parse, contextual_words_stay_names) {
    /* Built-in fields, type and day names, calendar and reenroll words are not reserved. */
    const char *words[] = { "id", "tags", "created", "created_at", "text", "int", "money", "year", "week",
                            "day", "never", "always", "Mon", "sunday", "email", "sms", "lost" };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        char src[64];
        snprintf(src, sizeof src, "team %s\n", words[i]);
        parsed p;
        parse_str(&p, src);
        cr_expect_eq(p.d.n, 0, "`%s`: %s", src, first_diag_text(&p));
        parsed_free(&p);
    }
}
