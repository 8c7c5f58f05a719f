/* Input records: what a line must look like to be accepted, and the reason a person
 * reads when it is not. The schema is written out here so these tests do not depend on
 * the compiler; tests/test_runtime.c runs the same reader through `verity ingest`. */
#include "../runtime/ingest.h"
#include "../common/mem.h"
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>

static const vt_schema_field contact_fields[] = {
    {"email", VT_V_TEXT, true, false, 0, 0},
    {"role", VT_V_TEXT, false, false, 0, 0},
    {"company_size", VT_V_INT, false, false, 0, 0},
    {"consent_email", VT_V_BOOL, false, false, 0, 0},
    {"nps", VT_V_INT, false, true, 0, 10},
};
static const vt_schema_field purchase_fields[] = {
    {"amount", VT_V_MONEY, false, false, 0, 0},
    {"category", VT_V_TEXT, false, false, 0, 0},
};
static const vt_schema_field visit_fields[] = {{"url", VT_V_TEXT, false, false, 0, 0}};
static const vt_schema_event events[] = {
    {"purchase", purchase_fields, 2, false},
    {"page_view", visit_fields, 1, false},
    {"unsubscribed", NULL, 0, false},
};
static const char *const teams[] = {"sales"};
static const vt_schema schema = {
    .flow_name = "t", .flow_version = 1, .timezone = "Europe/Rome",
    .contact_fields = contact_fields, .ncontact_fields = 5,
    .events = events, .nevents = 3, .teams = teams, .nteams = 1,
};

static vt_ingest *reader(void) {
    char *err = NULL;
    vt_ingest *x = vt_ingest_new(&schema, &err);
    cr_assert_not_null(x, "%s", err ? err : "");
    return x;
}

/* Each line and what becomes of it: NULL = accepted, else a part of the reason. */
static const struct { const char *line, *reason; } cases[] = {
    {"{\"type\":\"contact\",\"contact\":\"c-1\",\"at\":\"2026-01-02T09:00:00Z\",\"id\":\"k1\",\"email\":\"a@b.it\",\"consent_email\":true}", NULL},
    {"{\"type\":\"purchase\",\"contact\":{\"email\":\"a@b.it\"},\"at\":\"2026-01-03T10:00:00Z\",\"id\":\"o1\",\"amount\":\"49.90 EUR\",\"category\":\"tea\"}", NULL},
    {"  {\"id\":\"u1\", \"at\":\"2026-01-03\", \"type\":\"unsubscribed\", \"contact\":\"c-1\"}  ", NULL},
    {"{\"type\":\"page_view\",\"contact\":\"c\\u00e9\",\"at\":\"2026-01-03T10:00:00+02:00\",\"id\":\"p1\",\"url\":\"/a\\\"b\"}", NULL},
    {"{\"type\":\"purchase\",\"contact\":\"c-1\",\"at\":\"2026-01-03T10:00:00Z\",\"id\":\"o2\",\"amount\":\"49.90 EUR\",", "not valid JSON"},
    {"{\"type\":\"purchse\",\"contact\":\"c-1\",\"at\":\"2026-01-03T10:00:00Z\",\"id\":\"o3\"}", "did you mean \"purchase\""},
    {"{\"type\":\"refund\",\"contact\":\"c-1\",\"at\":\"2026-01-03T10:00:00Z\",\"id\":\"o3\"}", "unknown record type \"refund\""},
    {"{\"type\":\"purchase\",\"contact\":\"c-1\",\"at\":\"2026-01-03T10:00:00Z\",\"id\":\"o4\",\"category\":\"tea\"}", "missing \"amount\""},
    {"{\"type\":\"purchase\",\"contact\":\"c-1\",\"at\":\"2026-01-03T10:00:00Z\",\"id\":\"o5\",\"amount\":49.9,\"category\":\"tea\"}", "\"amount\" must be an amount with its currency"},
    {"{\"type\":\"purchase\",\"contact\":\"c-1\",\"at\":\"2026-01-03T10:00:00Z\",\"id\":\"o6\",\"amount\":\"49.90 EURO\",\"category\":\"tea\"}", "ISO 4217"},
    {"{\"type\":\"purchase\",\"contact\":\"c-1\",\"at\":\"2026-01-03T10:00:00Z\",\"id\":\"o7\",\"amount\":\"49.90 XYZ\",\"category\":\"tea\"}", "unknown currency"},
    {"{\"type\":\"purchase\",\"contact\":\"c-1\",\"at\":\"2026-01-03T10:00:00Z\",\"id\":\"o8\",\"amount\":\"10.5 JPY\",\"category\":\"tea\"}", "more decimals than the currency has"},
    {"{\"type\":\"purchase\",\"contact\":\"c-1\",\"at\":\"2026-02-30T10:00:00Z\",\"id\":\"o9\",\"amount\":\"1 EUR\",\"category\":\"t\"}", "not a real date and time"},
    {"{\"type\":\"purchase\",\"contact\":\"c-1\",\"at\":\"yesterday\",\"id\":\"o9\",\"amount\":\"1 EUR\",\"category\":\"t\"}", "\"at\": \"yesterday\" is not a real date"},
    {"{\"type\":\"purchase\",\"contact\":\"c-1\",\"id\":\"o10\",\"amount\":\"1 EUR\",\"category\":\"t\"}", "missing \"at\""},
    {"{\"type\":\"purchase\",\"contact\":\"c-1\",\"at\":\"2026-01-03T10:00:00Z\",\"amount\":\"1 EUR\",\"category\":\"t\"}", "missing \"id\""},
    {"{\"type\":\"purchase\",\"at\":\"2026-01-03T10:00:00Z\",\"id\":\"o11\",\"amount\":\"1 EUR\",\"category\":\"t\"}", "missing \"contact\""},
    {"{\"type\":\"contact\",\"contact\":\"c-1\",\"at\":\"2026-01-03T10:00:00Z\",\"id\":\"k2\",\"company_size\":\"big\"}", "\"company_size\" must be a whole number, got \"big\""},
    {"{\"type\":\"contact\",\"contact\":\"c-1\",\"at\":\"2026-01-03T10:00:00Z\",\"id\":\"k3\",\"nps\":11}", "between 0 and 10"},
    {"{\"type\":\"contact\",\"contact\":\"c-1\",\"at\":\"2026-01-03T10:00:00Z\",\"id\":\"k4\",\"colour\":\"red\"}", "\"colour\" is not a field of the contact"},
    {"{\"type\":\"contact\",\"contact\":\"c-1\",\"at\":\"2026-01-03T10:00:00Z\",\"id\":\"k5\",\"rol\":\"CMO\"}", "did you mean \"role\""},
    {"{\"type\":\"contact\",\"contact\":{\"role\":\"CMO\"},\"at\":\"2026-01-03T10:00:00Z\",\"id\":\"k6\"}", "not a key field"},
    {"{\"type\":\"contact\",\"contact\":\"c-1\",\"at\":\"2026-01-03T10:00:00Z\",\"id\":\"k7\",\"role\":\"a\",\"role\":\"b\"}", "appears twice"},
    {"[1,2,3]", "must be an object"},
    {"{\"type\":\"contact\"} trailing", "unexpected text after the record"},
    {"{\"type\":\"contact\",\"contact\":\"c-1\",\"at\":\"2026-01-03T10:00:00Z\",\"id\":\"k8\",\"role\":\"\xff\"}", "not valid UTF-8 (byte"},
    {"{\"type\":\"contact\",\"contact\":\"c-1\",\"at\":\"2026-01-03T10:00:00Z\",\"id\":\"k9\",\"role\":\"a\\qb\"}", "unknown escape"},
};

Test(ingest, each_line_is_accepted_or_rejected_with_its_reason) {
    vt_ingest *x = reader();
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        vt_inrec r;
        const char *why = NULL;
        int st = vt_ingest_jsonl(x, cases[i].line, strlen(cases[i].line), &r, &why);
        if (!cases[i].reason) {
            cr_expect_eq(st, 0, "line %zu rejected: %s", i, why ? why : "");
        } else {
            cr_expect_eq(st, -1, "line %zu accepted, expected: %s", i, cases[i].reason);
            if (st == -1) cr_expect(strstr(why, cases[i].reason) != NULL, "line %zu: got `%s`, want `%s`", i, why,
                                    cases[i].reason);
        }
    }
    vt_ingest_free(x);
}

Test(ingest, values_are_read_exactly) {
    vt_ingest *x = reader();
    vt_inrec r;
    const char *why;
    const char *l = "{\"type\":\"purchase\",\"contact\":{\"email\":\"a@b.it\"},\"at\":\"2026-03-29T02:30\",\"id\":\"o1\","
                    "\"amount\":\"-1049.9 EUR\",\"category\":\"t\\u00e8\"}";
    cr_assert_eq(vt_ingest_jsonl(x, l, strlen(l), &r, &why), 0);
    cr_expect_eq(r.type, 0);
    cr_expect_eq(r.key_field, 0);
    cr_expect_eq(r.key_len, 6);
    cr_expect_eq(r.values[0].u.i, -104990);
    cr_expect_str_eq(r.values[0].currency, "EUR");
    cr_expect_eq(r.values[1].u.s.len, 3);
    cr_expect_eq(memcmp(r.values[1].u.s.p, "t\xc3\xa8", 3), 0);
    /* no zone: Rome wall clock; 02:30 does not exist that night and moves to 03:30 CEST */
    cr_expect_eq(r.at, 1774747800); /* 2026-03-29T01:30:00Z */
    vt_ingest_free(x);
}

Test(ingest, blank_lines_are_skipped) {
    vt_ingest *x = reader();
    vt_inrec r;
    const char *why;
    cr_expect_eq(vt_ingest_jsonl(x, "   \r", 4, &r, &why), 1);
    cr_expect_eq(vt_ingest_jsonl(x, "", 0, &r, &why), 1);
    vt_ingest_free(x);
}

Test(ingest, csv_rows_use_the_header_and_skip_other_types_columns) {
    vt_ingest *x = reader();
    vt_inrec r;
    const char *why = NULL;
    const char *h = "type,contact,at,id,email,consent_email,amount,category";
    cr_assert_eq(vt_ingest_csv_header(x, h, strlen(h), &why), 0, "%s", why ? why : "");
    const char *a = "contact,c-1,2026-01-02T09:00:00Z,k1,a@b.it,true,,";
    cr_expect_eq(vt_ingest_csv_row(x, a, strlen(a), &r, &why), 0, "%s", why ? why : "");
    cr_expect_eq(r.values[3].type, VT_V_BOOL);
    const char *b = "purchase,c-1,2026-01-03T10:00:00Z,o1,,,\"1,049.90 EUR\",tea";
    cr_expect_eq(vt_ingest_csv_row(x, b, strlen(b), &r, &why), -1);
    const char *c = "purchase,c-1,2026-01-03T10:00:00Z,o1,,,49.90 EUR,\"green \"\"tea\"\"\"";
    cr_expect_eq(vt_ingest_csv_row(x, c, strlen(c), &r, &why), 0, "%s", why ? why : "");
    cr_expect_eq(r.values[1].u.s.len, 11);
    const char *d = "purchase,c-1,2026-01-03T10:00:00Z,o1,,yes,49.90 EUR,tea";
    cr_expect_eq(vt_ingest_csv_row(x, d, strlen(d), &r, &why), -1);
    cr_expect(strstr(why, "consent_email") != NULL, "%s", why);
    const char *e = "purchase,c-1,2026-01-03T10:00:00Z";
    cr_expect_eq(vt_ingest_csv_row(x, e, strlen(e), &r, &why), -1);
    cr_expect(strstr(why, "columns") != NULL, "%s", why);
    vt_ingest_free(x);
}

typedef struct seen { int records, rejects; char why[4][256]; unsigned long lines[4]; } seen;
static int rec_cb(void *ud, const vt_inrec *r, const char *file, uint64_t line) {
    (void)r, (void)file, (void)line;
    ((seen *)ud)->records++;
    return 0;
}
static int rej_cb(void *ud, const char *file, uint64_t line, const char *why, const char *text, size_t len) {
    (void)file, (void)text, (void)len;
    seen *s = ud;
    if (s->rejects < 4) {
        snprintf(s->why[s->rejects], sizeof s->why[0], "%s", why);
        s->lines[s->rejects] = (unsigned long)line;
    }
    s->rejects++;
    return 0;
}

Test(ingest, huge_lines_are_rejected_whole_and_the_next_lines_kept) {
    char path[] = "/tmp/verity-huge-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_neq(fd, -1);
    FILE *f = fdopen(fd, "w");
    const char *good = "{\"type\":\"unsubscribed\",\"contact\":\"c-1\",\"at\":\"2026-01-03T10:00:00Z\",\"id\":\"u%d\"}\n";
    fprintf(f, good, 1);
    fputs("{\"type\":\"contact\",\"contact\":\"c-1\",\"at\":\"2026-01-03T10:00:00Z\",\"id\":\"big\",\"role\":\"", f);
    for (int i = 0; i < (3 << 20) / 8; i++) fputs("abcdefgh", f);
    fputs("\"}\n", f);
    fprintf(f, good, 2);
    fprintf(f, "%s", "{\"type\":\"unsubscribed\",\"contact\":\"c-1\",\"at\":\"2026-01-03T10:00:00Z\",\"id\":\"u3\"}"); /* no final newline */
    fclose(f);
    vt_ingest *x = reader();
    seen s = {0};
    vt_ingest_sink sink = {&s, rec_cb, rej_cb};
    char *err = NULL;
    cr_assert_eq(vt_ingest_file(x, path, &sink, &err), 0);
    cr_expect_eq(s.records, 3);
    cr_expect_eq(s.rejects, 1);
    cr_expect_eq(s.lines[0], 2);
    cr_expect(strstr(s.why[0], "longer than") != NULL, "%s", s.why[0]);
    vt_ingest_free(x);
    unlink(path);
}

Test(ingest, a_missing_file_is_an_error_not_a_crash) {
    vt_ingest *x = reader();
    seen s = {0};
    vt_ingest_sink sink = {&s, rec_cb, rej_cb};
    char *err = NULL;
    cr_expect_eq(vt_ingest_file(x, "/nonexistent/input.jsonl", &sink, &err), -1);
    cr_expect(err && strstr(err, "cannot open") != NULL);
    vt_free(err);
    vt_ingest_free(x);
}

/* Out of memory at every allocation of a reader's life: an error, never a crash. */
Test(ingest, out_of_memory_at_any_point_is_an_error) {
    const char *line = cases[1].line;
    for (long n = 0; n < 40; n++) {
        vt_mem_fail_after(n);
        char *err = NULL;
        vt_ingest *x = vt_ingest_new(&schema, &err);
        if (x) {
            vt_inrec r;
            const char *why = NULL;
            int st = vt_ingest_jsonl(x, line, strlen(line), &r, &why);
            cr_expect(st == 0 || (st == -1 && why), "n=%ld", n);
            vt_ingest_free(x);
        } else {
            cr_expect_not_null(err, "n=%ld: no reason given", n);
        }
        vt_mem_fail_after(-1);
        vt_free(err);
    }
}
