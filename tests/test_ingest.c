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

/* What becomes of one line, as a person would see it: accepted with its time, id and
 * role, or rejected with the reason. */
static void outcome(char *out, size_t cap, int st, const vt_inrec *r, const char *why) {
    if (st == 1) snprintf(out, cap, "blank");
    else if (st < 0) snprintf(out, cap, "rejected: %s", why);
    else
        snprintf(out, cap, "accepted: at=%lld id=%.*s role=%.*s", (long long)r->at, (int)r->id_len, r->id,
                 r->values[1].type == VT_V_TEXT ? (int)r->values[1].u.s.len : 4,
                 r->values[1].type == VT_V_TEXT ? r->values[1].u.s.p : "none");
}

static size_t with_role(char *buf, size_t cap, const char *role) {
    return (size_t)snprintf(buf, cap, "{\"type\":\"contact\",\"contact\":\"c-1\",\"at\":\"2026-01-02T09:00:00Z\",\"id\":\"k\",\"role\":\"%s\"}",
             role);
}
#define ROLE_AT 79 /* offset of the role's text in with_role's line */

/* Strings are scanned 16 bytes at a time: escapes, non-ASCII text, and bad bytes read
 * the same at every offset of a block. */
Test(ingest, text_reads_the_same_at_every_offset) {
    vt_ingest *x = reader();
    char role[128], line[256], want[128];
    vt_inrec r;
    const char *why;
    for (int k = 0; k < 34; k++) {
        memset(role, 'a', (size_t)k);
        strcpy(role + k, "\\u00e9\\\"x\\\\");
        int st = vt_ingest_jsonl(x, line, with_role(line, sizeof line, role), &r, &why);
        cr_assert_eq(st, 0, "k=%d: %s", k, st ? why : "");
        memset(want, 'a', (size_t)k);
        strcpy(want + k, "\xc3\xa9\"x\\");
        cr_expect_eq(r.values[1].u.s.len, strlen(want), "k=%d", k);
        cr_expect_eq(memcmp(r.values[1].u.s.p, want, strlen(want)), 0, "k=%d", k);

        strcpy(role + k, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z");
        st = vt_ingest_jsonl(x, line, with_role(line, sizeof line, role), &r, &why);
        cr_assert_eq(st, 0, "k=%d: %s", k, st ? why : "");
        cr_expect_eq(r.values[1].u.s.len, strlen(role), "k=%d", k);
        cr_expect_eq(memcmp(r.values[1].u.s.p, role, strlen(role)), 0, "k=%d", k);

        /* a cut sequence, a surrogate, a code point past U+10FFFF, an overlong form */
        static const char *const bad[] = {"\xc3zzzzzzzzzzzzzzzzzz", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe0\x80\xaf", "\xff"};
        for (size_t b = 0; b < sizeof bad / sizeof *bad; b++) {
            strcpy(role + k, bad[b]);
            st = vt_ingest_jsonl(x, line, with_role(line, sizeof line, role), &r, &why);
            char msg[80];
            snprintf(msg, sizeof msg, "not valid UTF-8 (byte %d)", ROLE_AT + k + 1);
            cr_expect_eq(st, -1, "k=%d bad=%zu accepted", k, b);
            if (st == -1) cr_expect(strstr(why, msg) != NULL, "k=%d bad=%zu: %s", k, b, why);
        }
        strcpy(role + k, "\x1f");
        st = vt_ingest_jsonl(x, line, with_role(line, sizeof line, role), &r, &why);
        char msg[80];
        snprintf(msg, sizeof msg, "a control character inside a text value at column %d", ROLE_AT + k + 1);
        cr_expect_eq(st, -1, "k=%d", k);
        if (st == -1) cr_expect(strstr(why, msg) != NULL, "k=%d: %s", k, why);
    }
    vt_ingest_free(x);
}

/* Every shape of time SPEC §9 accepts, and near misses of the common one. */
Test(ingest, times_of_every_accepted_shape) {
    static const struct { const char *at; long long want; } ok[] = {
        {"2026-01-02T09:00:00Z", 1767344400},      {"2026-01-02", 1767308400}, /* Rome's midnight */
        {"2026-01-02T09:30", 1767342600},          {"2026-01-02T09:30:00", 1767342600},
        {"2026-01-02 09:30:00Z", 1767346200},      {"2026-01-02T09:30:00.123Z", 1767346200},
        {"2026-01-02T09:30:00+02:00", 1767339000}, {"2026-01-02T09:30:00-05:30", 1767366000},
        {"2024-02-29T23:59:59Z", 1709251199},      {"1970-01-01T00:00:00Z", 0},
        {"2026-01-02T09:00:00Z", 1767344400},      {"2026-01-02T23:59:59Z", 1767398399}, /* the same day again */
        {"2026-01-02T00:00:00Z", 1767312000},
    };
    static const char *const bad[] = {
        "2026-02-29T00:00:00Z", "2026-13-02T09:00:00Z", "2026-00-02T09:00:00Z", "2026-01-32T09:00:00Z",
        "2026-01-02T24:00:00Z", "2026-01-02T09:60:00Z", "2026-01-02T09:00:60Z", "2026-01-02T09:00:00z",
        "2026-01-02T09:00:0AZ", "2026-01-02t09:00:00Z", "2026/01-02T09:00:00Z", "2026-01-02T09:00:00.Z",
        "2026-01-02T09:00:00+2:00", "2026-01-02T09:00:00ZZ", "2026-1-02T09:00:00Z", "", "yesterday",
        "2026-01-02T09-00:00Z", "2026-01-02T09:00-00Z", "2026-01-02T0::00:00Z", "2026-01-02T09:0/:00Z"};
    vt_ingest *x = reader();
    char line[256];
    vt_inrec r;
    const char *why;
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        snprintf(line, sizeof line, "{\"type\":\"unsubscribed\",\"contact\":\"c-1\",\"at\":\"%s\",\"id\":\"u\"}", ok[i].at);
        int st = vt_ingest_jsonl(x, line, strlen(line), &r, &why);
        cr_expect_eq(st, 0, "%s: %s", ok[i].at, st ? why : "");
        if (!st) cr_expect_eq(r.at, ok[i].want, "%s: %lld", ok[i].at, (long long)r.at);
    }
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        /* a good time on the same day first: a remembered day must not let a bad one by */
        snprintf(line, sizeof line, "{\"type\":\"unsubscribed\",\"contact\":\"c-1\",\"at\":\"%s\",\"id\":\"u\"}",
                 "2026-01-02T08:00:00Z");
        cr_assert_eq(vt_ingest_jsonl(x, line, strlen(line), &r, &why), 0);
        snprintf(line, sizeof line, "{\"type\":\"unsubscribed\",\"contact\":\"c-1\",\"at\":\"%s\",\"id\":\"u\"}", bad[i]);
        int st = vt_ingest_jsonl(x, line, strlen(line), &r, &why);
        char msg[128];
        snprintf(msg, sizeof msg, "\"at\": \"%s\" is not a real date and time", bad[i]);
        cr_expect_eq(st, -1, "%s accepted", bad[i]);
        if (st == -1) cr_expect(strstr(why, msg) != NULL, "%s: %s", bad[i], why);
    }
    vt_ingest_free(x);
}

typedef struct collected { char out[64][320]; int n; } collected;
static int collect_rec(void *ud, const vt_inrec *r, const char *file, uint64_t line) {
    (void)file, (void)line;
    collected *c = ud;
    if (c->n < 64) outcome(c->out[c->n++], sizeof c->out[0], 0, r, NULL);
    return 0;
}
static int collect_rej(void *ud, const char *file, uint64_t line, const char *why, const char *text, size_t len) {
    (void)file, (void)line, (void)text, (void)len;
    collected *c = ud;
    if (c->n < 64) outcome(c->out[c->n++], sizeof c->out[0], -1, NULL, why);
    return 0;
}

/* A file is read in place from its read buffer; each line comes out as it does from
 * memory, also at the end of the file without a final newline. */
Test(ingest, a_file_reads_as_its_lines_do) {
    static const char *const lines[] = {
        "{\"type\":\"contact\",\"contact\":\"c-1\",\"at\":\"2026-01-02T09:00:00Z\",\"id\":\"k1\",\"role\":\"CMO\"}",
        "{\"type\":\"contact\",\"contact\":\"c-1\",\"at\":\"2026-01-02T09:00:00Z\",\"id\":\"k2\",\"role\":\"a\\u00e9\"}",
        " { \"id\" : \"k3\" , \"role\":\"x\", \"at\":\"2026-01-02\",\"type\":\"contact\",\"contact\":\"c-2\" } ",
        "{\"type\":\"contact\",\"contact\":\"c-1\",\"at\":\"2026-01-02T09:00:00Z\",\"id\":\"k4\",\"role\":\"x\",\"role\":\"y\"}",
        "{\"type\":\"contact\",\"contact\":\"c-1\",\"at\":\"2026-01-02T09:00:00Z\",\"id\":\"k5\",\"rol\":\"x\"}",
        "{\"typ\\u0065\":\"contact\",\"contact\":\"c-1\",\"at\":\"2026-01-02T09:00:00Z\",\"id\":\"k6\",\"email\":\"e@x.it\"}",
        "{\"type\":\"contact\",\"at\":\"2026-01-02T09:00:00Z\",\"id\":\"k7\",\"email\":\"e@x.it\"}",
        "{\"type\":\"page_view\",\"email\":\"e@x.it\",\"at\":\"2026-01-02T09:00:00Z\",\"id\":17,\"url\":\"/a\"}",
        "{\"type\":\"page_view\",\"contact\":\"c-1\",\"at\":\"2026-01-02T09:00:00Z\",\"id\":\"p2\"}",
        "{\"type\":\"contact\",\"contact\":\"c-1\",\"at\":\"2026-01-02T09:00:00Z\",\"id\":\"k8\",\"role\":\"r\xc3\"}",
        "",
        "{\"type\":\"contact\",\"contact\":\"c-1\",\"at\":\"2026-01-02T09:00:00Z\",\"id\":\"k9\",\"role\":\"x\"} x",
        "{\"type\":\"contact\",\"contact\":\"c-1\",\"at\":\"2026-01-02T09:00:00Z\",\"id\":\"k10\",\"role\":\"abcdefghijklmnopqrstu",
    };
    size_t n = sizeof lines / sizeof *lines;
    char path[] = "/tmp/verity-lines-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_neq(fd, -1);
    FILE *f = fdopen(fd, "w");
    for (size_t i = 0; i < n; i++) fprintf(f, i + 1 < n ? "%s\n" : "%s", lines[i]);
    fclose(f);
    vt_ingest *x = reader();
    static collected got;
    memset(&got, 0, sizeof got);
    vt_ingest_sink sink = {&got, collect_rec, collect_rej};
    char *err = NULL;
    cr_assert_eq(vt_ingest_file(x, path, &sink, &err), 0);
    unlink(path);
    int k = 0, accepted = 0;
    for (size_t i = 0; i < n; i++) {
        vt_inrec r;
        const char *why = NULL;
        int st = vt_ingest_jsonl(x, lines[i], strlen(lines[i]), &r, &why);
        if (st == 1) continue;
        accepted += st == 0;
        char want[320];
        outcome(want, sizeof want, st, &r, why);
        cr_assert_lt(k, got.n, "line %zu missing from the file's", i);
        cr_expect_str_eq(got.out[k], want, "line %zu", i);
        k++;
    }
    cr_expect_eq(k, got.n);
    cr_expect_eq(accepted, 6);
    vt_ingest_free(x);
}
