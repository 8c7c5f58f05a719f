/* Fuzz-shaped tests of the JSONL reader: thousands of lines made by mutating good ones
 * (bytes flipped, inserted, deleted, duplicated, cut). Every line must be accepted or
 * rejected with a reason, never crash (the sanitizer build runs this too), and the
 * one-pass fast path (ingest_fast.c) must give exactly the full reader's verdict: the
 * same record, or the same reason. Read as a file too, so the padded block scans at the
 * ends of buffers give the same answers as lines read one by one. */
#include "../runtime/ingest_internal.h"
#include "../common/mem.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const vt_schema_field contact_fields[] = {
    {"email", VT_V_TEXT, true, false, 0, 0},
    {"role", VT_V_TEXT, false, false, 0, 0},
    {"company_size", VT_V_INT, false, false, 0, 0},
    {"consent_email", VT_V_BOOL, false, false, 0, 0},
    {"score", VT_V_NUMBER, false, true, 0, 100},
};
static const vt_schema_field purchase_fields[] = {
    {"amount", VT_V_MONEY, false, false, 0, 0},
    {"category", VT_V_TEXT, false, false, 0, 0},
};
static const vt_schema_field visit_fields[] = {{"url", VT_V_TEXT, false, false, 0, 0}};
static const vt_schema_field call_fields[] = {{"length", VT_V_DURATION, false, false, 0, 0}};
static const vt_schema_event events[] = {
    {"purchase", purchase_fields, 2, false},
    {"page_view", visit_fields, 1, false},
    {"call", call_fields, 1, false},
    {"unsubscribed", NULL, 0, false},
};
static const char *const teams[] = {"sales"};
static const vt_schema schema = {
    .flow_name = "t", .flow_version = 1, .timezone = "Europe/Rome",
    .contact_fields = contact_fields, .ncontact_fields = 5,
    .events = events, .nevents = 4, .teams = teams, .nteams = 1,
};

static const char *const seeds[] = {
    "{\"type\":\"contact\",\"contact\":\"c-1\",\"at\":\"2026-03-02T09:00:00Z\",\"id\":\"crm-1\",\"email\":\"anna@acme.it\",\"role\":\"CMO\",\"company_size\":50,\"consent_email\":true,\"score\":12.5}",
    "{\"type\":\"page_view\",\"contact\":\"c-1\",\"at\":\"2026-03-02T10:00:00Z\",\"id\":\"w-1\",\"url\":\"/pricing/enterprise?ref=a%20b\"}",
    "{\"type\":\"purchase\",\"contact\":{\"email\":\"anna@acme.it\"},\"at\":\"2026-03-03T10:00:00+01:00\",\"id\":\"o-7\",\"amount\":\"49.90 EUR\",\"category\":\"b\\u00f6oks \\\"rare\\\"\"}",
    "{ \"type\" : \"call\" , \"contact\" : \"c-2\" , \"at\" : \"2026-03-29T01:30:00\" , \"id\" : \"k-1\" , \"length\" : \"1h30m\" }",
    "{\"type\":\"unsubscribed\",\"contact\":\"c-\xc3\xa8\xe2\x82\xac\",\"at\":\"2026-12-31T23:59:59Z\",\"id\":\"u-\xf0\x9f\x98\x80\"}",
    "{\"type\":\"contact\",\"at\":\"2026-03-02T09:00:00Z\",\"id\":\"crm-9\",\"email\":\"bo@beta.it\",\"company_size\":-3,\"nested\":{\"a\":[1,2,{\"b\":null}]}}",
};

/* A deterministic generator, so a failure repeats. */
static uint64_t rng;
static uint32_t next(void) {
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng >> 33);
}

static const char interesting[] = "\"\\{}[]:,0129.-+eE tfnu\x01\x1f\x7f\x80\xbf\xc3\xe2\xf0\xff";

static size_t mutate(const char *seed, char *out, size_t cap) {
    size_t n = strlen(seed);
    memcpy(out, seed, n);
    int edits = 1 + (int)(next() % 4);
    for (int e = 0; e < edits && n > 0; e++) {
        size_t at = next() % n;
        char c = next() % 2 ? interesting[next() % (sizeof interesting - 1)] : (char)next();
        switch (next() % 5) {
        case 0: out[at] = c; break;                                         /* flip */
        case 1: if (n + 1 < cap) { memmove(out + at + 1, out + at, n - at); out[at] = c; n++; } break;
        case 2: memmove(out + at, out + at + 1, n - at - 1); n--; break;    /* delete */
        case 3: {                                                           /* duplicate a run */
            size_t len = 1 + next() % 12;
            if (at + len > n) len = n - at;
            if (n + len < cap) { memmove(out + at + len, out + at, n - at); n += len; }
            break;
        }
        default: n = at; break;                                             /* cut */
        }
    }
    return n;
}

/* The verdict on one line as text: the record's parts, or the reason. */
static void verdict(vt_ingest *x, const char *line, size_t len, char *out, size_t cap) {
    vt_inrec r;
    const char *why = NULL;
    int rc = vt_ingest_jsonl(x, line, len, &r, &why);
    FILE *f = fmemopen(out, cap, "w");
    cr_assert_not_null(f);
    if (rc == 1) fprintf(f, "blank");
    else if (rc != 0) fprintf(f, "rejected: %s", why ? why : "(no reason)");
    else {
        fprintf(f, "%s|%.*s|%d|%.*s|%lld|%.*s|", r.type_name, (int)r.contact_len, r.contact ? r.contact : "",
                r.key_field, (int)r.key_len, r.key ? r.key : "", (long long)r.at, (int)r.id_len, r.id);
        for (uint32_t i = 0; i < r.nvalues; i++) {
            vt_value_json(f, &schema, &r.values[i]);
            fputc(';', f);
        }
    }
    fclose(f);
}

Test(ingest_fuzz, the_fast_path_agrees_with_the_full_reader_on_mutated_lines) {
    char *err = NULL;
    vt_ingest *fast = vt_ingest_new(&schema, &err), *full = vt_ingest_new(&schema, &err);
    cr_assert(fast && full, "%s", err ? err : "");
    cr_assert(fast->fast, "the fast path is on for a small schema");
    full->fast = false;
    static char line[4096], a[8192], b[8192];
    rng = 7;
    int accepted = 0, rejected = 0;
    for (int i = 0; i < 30000; i++) {
        size_t n = i < 6 ? strlen(strcpy(line, seeds[i])) : mutate(seeds[next() % 6], line, sizeof line);
        verdict(fast, line, n, a, sizeof a);
        verdict(full, line, n, b, sizeof b);
        cr_assert_str_eq(a, b, "line %d differs:\n%.*s\nfast: %s\nfull: %s", i, (int)n, line, a, b);
        if (strncmp(a, "rejected", 8) == 0) rejected++;
        else accepted++;
    }
    cr_expect(accepted > 500 && rejected > 1000, "the mutations should give both verdicts (%d accepted, %d rejected)",
              accepted, rejected);
    vt_ingest_free(fast);
    vt_ingest_free(full);
}

typedef struct seen { FILE *f; } seen;
static int on_rec(void *ud, const vt_inrec *r, const char *file, uint64_t line) {
    (void)file;
    fprintf(((seen *)ud)->f, "%llu ok %s %.*s\n", (unsigned long long)line, r->type_name, (int)r->id_len, r->id);
    return 0;
}
static int on_rej(void *ud, const char *file, uint64_t line, const char *why, const char *text, size_t len) {
    (void)file, (void)text, (void)len;
    fprintf(((seen *)ud)->f, "%llu rejected %s\n", (unsigned long long)line, why);
    return 0;
}

Test(ingest_fuzz, a_file_of_mutated_lines_reads_as_its_lines_do) {
    char path[] = "/tmp/verity-fuzz-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    FILE *in = fdopen(fd, "w");
    char *err = NULL;
    vt_ingest *x = vt_ingest_new(&schema, &err);
    cr_assert_not_null(x, "%s", err ? err : "");
    static char line[4096], want[1 << 22], got[1 << 22];
    FILE *w = fmemopen(want, sizeof want, "w");
    rng = 11;
    for (uint64_t i = 1; i <= 5000; i++) {
        size_t n = mutate(seeds[next() % 6], line, sizeof line);
        for (size_t k = 0; k < n; k++)
            if (line[k] == '\n' || line[k] == '\r') line[k] = ' ';   /* one line each */
        fwrite(line, 1, n, in);
        fputc('\n', in);
        vt_inrec r;
        const char *why = NULL;
        int rc = vt_ingest_jsonl(x, line, n, &r, &why);
        if (rc == 0) fprintf(w, "%llu ok %s %.*s\n", (unsigned long long)i, r.type_name, (int)r.id_len, r.id);
        else if (rc < 0) fprintf(w, "%llu rejected %s\n", (unsigned long long)i, why);
    }
    fclose(in);
    fclose(w);
    seen s = {fmemopen(got, sizeof got, "w")};
    vt_ingest_sink sink = {&s, on_rec, on_rej};
    cr_assert_eq(vt_ingest_file(x, path, &sink, &err), 0, "%s", err ? err : "");
    fclose(s.f);
    unlink(path);
    cr_assert(strcmp(want, got) == 0, "the file's verdicts differ from the lines' (first %.200s vs %.200s)", want, got);
    vt_ingest_free(x);
}
