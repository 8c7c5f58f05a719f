/* The runtime end to end, through the commands a user runs: each case under
 * tests/cases/runtime/FLOW/ is an input (NAME.jsonl) and its exact expected outbox
 * (NAME.expected: `contact|at|kind|target|template|workflow|status|reason` lines in
 * outbox order, `state: contact|lifecycle|state` lines, and `# until: T` /
 * `# duplicates: N` settings). Every case also checks that `simulate` prints exactly
 * the store's outbox and contacts, and that a second store fed the same input ends
 * with a byte-identical outbox and audit. NAME.explain, when present, is the exact
 * `verity explain` timeline of the contact it names on its first line. */
#include "support.h"
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CASES VT_TEST_DIR "/cases/runtime"

/* The value of "key" in a one-level JSON row, unescaped enough for these tests. */
static void field(const char *row, const char *key, char *out, size_t cap) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    out[0] = 0;
    const char *p = strstr(row, pat);
    if (!p) return;
    p += strlen(pat);
    size_t n = 0;
    if (*p == '"') {
        for (p++; *p && *p != '"' && n + 1 < cap; p++) {
            if (*p == '\\' && p[1]) p++;
            out[n++] = *p;
        }
    } else {
        while (*p && *p != ',' && *p != '}' && n + 1 < cap) out[n++] = *p++;
        if (n == 4 && !memcmp(out, "null", 4)) n = 0;
    }
    out[n] = 0;
}

/* The outbox as pipe lines, in order. */
static char *project_outbox(const char *jsonl) {
    size_t cap = strlen(jsonl) + 1, n = 0;
    char *res = calloc(1, cap + 1);
    const char *line = jsonl;
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char *row = strndup(line, len);
        char c[128], at[32], kind[16], ch[64], team[64], tmpl[128], wf[64], st[16], why[32];
        field(row, "contact", c, sizeof c), field(row, "at", at, sizeof at), field(row, "kind", kind, sizeof kind);
        field(row, "channel", ch, sizeof ch), field(row, "team", team, sizeof team);
        field(row, "template", tmpl, sizeof tmpl), field(row, "workflow", wf, sizeof wf);
        field(row, "status", st, sizeof st), field(row, "reason", why, sizeof why);
        bool send = !strcmp(kind, "send");
        char buf[1024];
        int k = snprintf(buf, sizeof buf, "%s|%s|%s|%s|%s|%s|%s|%s\n", c, at, kind, send ? ch : team, send ? tmpl : "",
                         wf, st, why);
        if (n + (size_t)k >= cap) res = realloc(res, cap = (n + (size_t)k) * 2 + 1);
        memcpy(res + n, buf, (size_t)k + 1);
        n += (size_t)k;
        free(row);
        line = end ? end + 1 : line + len;
    }
    return res;
}

/* "state: id|lifecycle|state" lines of a contacts listing. */
static char *project_states(const char *jsonl) {
    size_t cap = 4096, n = 0;
    char *res = calloc(1, cap);
    for (const char *line = jsonl; *line;) {
        const char *end = strchr(line, '\n');
        char id[128];
        field(line, "id", id, sizeof id);
        const char *s = strstr(line, "\"states\":{");
        if (s && (!end || s < end)) {
            s += 10;
            while (*s == '"') {
                char lc[64], stn[64];
                size_t a = 0, b = 0;
                for (s++; *s != '"'; s++) lc[a++] = *s;
                lc[a] = 0;
                s += 2;
                if (*s == '"') {
                    for (s++; *s != '"'; s++) stn[b++] = *s;
                    s++;
                } else {
                    while (*s != ',' && *s != '}') s++;
                }
                stn[b] = 0;
                if (n + 512 > cap) res = realloc(res, cap *= 2);
                n += (size_t)sprintf(res + n, "state: %s|%s|%s\n", id, lc, stn);
                if (*s == ',') s++;
            }
        }
        line = end ? end + 1 : line + strlen(line);
    }
    return res;
}

static char *dump_audit(const char *db) {
    sqlite3 *h;
    cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
    sqlite3_stmt *q;
    cr_assert_eq(sqlite3_prepare_v2(h, "SELECT contact, at, kind, a, b, c, d, cause, late FROM audit ORDER BY seq", -1,
                                    &q, NULL),
                 SQLITE_OK);
    size_t cap = 4096, n = 0;
    char *res = calloc(1, cap);
    while (sqlite3_step(q) == SQLITE_ROW) {
        if (n + 512 > cap) res = realloc(res, cap *= 2);
        n += (size_t)snprintf(res + n, 512, "%s|%lld|%d|%d|%d|%d|%lld|%s|%d\n", sqlite3_column_text(q, 0),
                              sqlite3_column_int64(q, 1), sqlite3_column_int(q, 2), sqlite3_column_int(q, 3),
                              sqlite3_column_int(q, 4), sqlite3_column_int(q, 5), sqlite3_column_int64(q, 6),
                              sqlite3_column_text(q, 7) ? (const char *)sqlite3_column_text(q, 7) : "-",
                              sqlite3_column_int(q, 8));
    }
    sqlite3_finalize(q);
    sqlite3_close(h);
    return res;
}

typedef struct expect {
    char until[64];
    long duplicates;
    char *outbox, *states;
} expect;

static expect read_expect(const char *path) {
    expect e = {"", -1, calloc(1, 65536), calloc(1, 65536)};
    char *text = vt_read_file(path, NULL);
    cr_assert_not_null(text, "cannot read %s", path);
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (!strncmp(line, "# until: ", 9)) snprintf(e.until, sizeof e.until, "--until %s", line + 9);
        else if (!strncmp(line, "# duplicates: ", 14)) e.duplicates = atol(line + 14);
        else if (line[0] == '#') continue;
        else if (!strncmp(line, "state: ", 7)) strcat(strcat(e.states, line), "\n");
        else strcat(strcat(e.outbox, line), "\n");
    }
    free(text);
    return e;
}

/* ingest + run into a fresh store; returns the store's directory. */
static char *store_run(const char *flow, const char *input, const expect *e, char **outbox, char **contacts) {
    char *dir = vt_temp_dir();
    vt_run_result r = vt_run_verity(NULL, NULL, "ingest --store '%s/s.db' --flow '%s' '%s'", dir, flow, input);
    cr_assert_eq(r.status, 0, "%s: ingest exited %d: %s", input, r.status, r.err);
    if (e->duplicates >= 0) {
        char want[64];
        snprintf(want, sizeof want, "%ld duplicates", e->duplicates);
        cr_expect(strstr(r.err, want) != NULL, "%s: ingest said `%s`, expected %s", input, r.err, want);
    }
    vt_run_free(&r);
    r = vt_run_verity(NULL, NULL, "run '%s' --store '%s/s.db' %s", flow, dir, e->until);
    cr_assert_eq(r.status, 0, "%s: run exited %d: %s", input, r.status, r.err);
    vt_run_free(&r);
    r = vt_run_verity(NULL, NULL, "outbox --store '%s/s.db' --format jsonl", dir);
    cr_assert_eq(r.status, 0, "%s", r.err);
    *outbox = r.out;
    free(r.err);
    r = vt_run_verity(NULL, NULL, "contacts --store '%s/s.db' --format jsonl", dir);
    cr_assert_eq(r.status, 0, "%s", r.err);
    *contacts = r.out;
    free(r.err);
    return dir;
}

static void run_case(const char *flow, const char *input, const char *expected) {
    expect e = read_expect(expected);
    char *outbox, *contacts;
    char *dir = store_run(flow, input, &e, &outbox, &contacts);
    char *got = project_outbox(outbox), *states = project_states(contacts);
    cr_expect_str_eq(got, e.outbox, "%s: outbox\n--- got\n%s--- want\n%s", input, got, e.outbox);
    cr_expect_str_eq(states, e.states, "%s: states\n--- got\n%s--- want\n%s", input, states, e.states);

    /* explain: the golden timeline */
    char golden[4200];
    snprintf(golden, sizeof golden, "%.*s.explain", (int)(strlen(expected) - 9), expected);
    char *want_explain = vt_read_file(golden, NULL);
    if (want_explain) {
        char who[128] = "";
        sscanf(want_explain, "Contact %127s", who);
        vt_run_result x = vt_run_verity(NULL, NULL, "explain --store '%s/s.db' '%s'", dir, who);
        cr_expect_eq(x.status, 0, "%s", x.err);
        cr_expect_str_eq(x.out, want_explain, "%s: explain\n--- got\n%s--- want\n%s", golden, x.out, want_explain);
        vt_run_free(&x);
        free(want_explain);
    }

    /* simulate: the same rows, byte for byte */
    vt_run_result s = vt_run_verity(NULL, NULL, "simulate '%s' '%s' %s --contacts '%s/c.jsonl'", flow, input, e.until, dir);
    cr_expect_eq(s.status, 0, "%s: simulate exited %d: %s", input, s.status, s.err);
    cr_expect_str_eq(s.out, outbox, "%s: simulate's outbox differs from the store's", input);
    char path[4096];
    snprintf(path, sizeof path, "%s/c.jsonl", dir);
    char *sc = vt_read_file(path, NULL);
    cr_expect_str_eq(sc ? sc : "", contacts, "%s: simulate's contacts differ from the store's", input);
    free(sc);
    vt_run_free(&s);

    /* determinism: a second store, the same outbox and audit */
    char *outbox2, *contacts2;
    char *dir2 = store_run(flow, input, &e, &outbox2, &contacts2);
    cr_expect_str_eq(outbox2, outbox, "%s: outbox differs between two runs", input);
    char db1[4096], db2[4096];
    snprintf(db1, sizeof db1, "%s/s.db", dir);
    snprintf(db2, sizeof db2, "%s/s.db", dir2);
    char *a1 = dump_audit(db1), *a2 = dump_audit(db2);
    cr_expect(strlen(a1) > 0, "%s: empty audit", input);
    cr_expect_str_eq(a1, a2, "%s: audit differs between two runs", input);
    free(a1), free(a2), free(outbox2), free(contacts2);

    cr_expect_eq(vt_remove_temp_dir(dir), 0);
    cr_expect_eq(vt_remove_temp_dir(dir2), 0);
    free(got), free(states), free(outbox), free(contacts), free(e.outbox), free(e.states);
}

static void run_flow_dir(const char *name) {
    char dir[4096], flow[4200];
    snprintf(dir, sizeof dir, "%s/%s", CASES, name);
    snprintf(flow, sizeof flow, "%s/flow.flow", dir);
    size_t n;
    char **inputs = vt_list_files(dir, ".jsonl", &n);
    cr_assert_gt(n, 0, "no cases in %s", dir);
    for (size_t i = 0; i < n; i++) {
        char expected[4096];
        snprintf(expected, sizeof expected, "%.*s.expected", (int)(strlen(inputs[i]) - 6), inputs[i]);
        run_case(flow, inputs[i], expected);
    }
    vt_free_list(inputs);
}

Test(runtime, shop_cases) { run_flow_dir("shop"); }
Test(runtime, lead_cases) { run_flow_dir("leads"); }

/* Incremental: ingesting and running in two halves gives the outbox of one run. */
Test(runtime, a_second_run_processes_only_what_is_new) {
    char *dir = vt_temp_dir();
    const char *flow = CASES "/shop/flow.flow";
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/a.jsonl", dir);
    snprintf(b, sizeof b, "%s/b.jsonl", dir);
    const char *first = "{\"type\":\"contact\",\"contact\":\"c1\",\"at\":\"2026-01-05T10:00:00Z\",\"id\":\"k1\",\"consent_email\":true}\n"
                        "{\"type\":\"promo\",\"contact\":\"c1\",\"at\":\"2026-01-06T10:00:00Z\",\"id\":\"p1\"}\n";
    const char *second = "{\"type\":\"promo\",\"contact\":\"c1\",\"at\":\"2026-01-07T10:00:00Z\",\"id\":\"p2\"}\n"
                         "{\"type\":\"promo\",\"contact\":\"c1\",\"at\":\"2026-01-06T09:00:00Z\",\"id\":\"p3\"}\n";
    cr_assert_eq(vt_write_file(a, first, strlen(first)), 0);
    cr_assert_eq(vt_write_file(b, second, strlen(second)), 0);
    vt_run_result r = vt_run_verity(NULL, NULL, "ingest --store '%s/s.db' --flow '%s' '%s'", dir, flow, a);
    cr_assert_eq(r.status, 0, "%s", r.err);
    vt_run_free(&r);
    r = vt_run_verity(NULL, NULL, "run '%s' --store '%s/s.db'", flow, dir);
    cr_assert_eq(r.status, 0, "%s", r.err);
    vt_run_free(&r);
    r = vt_run_verity(NULL, NULL, "ingest --store '%s/s.db' --flow '%s' '%s' '%s'", dir, flow, a, b);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.err, "2 accepted, 2 duplicates, 0 rejected") != NULL, "%s", r.err);
    vt_run_free(&r);
    r = vt_run_verity(NULL, NULL, "run '%s' --store '%s/s.db'", flow, dir);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.err, "run: 2 inputs for 1 contacts (0 new, 1 late)") != NULL, "%s", r.err);
    vt_run_free(&r);
    r = vt_run_verity(NULL, NULL, "outbox --store '%s/s.db'", dir);
    char *got = project_outbox(r.out);
    /* p3 (09:00 on the 6th) is earlier than the clock the first run left (10:00 on the
     * 6th): it is late, processed on arrival at the contact's clock; then p2 hits the
     * cap (2 per 7d). */
    cr_expect_str_eq(got, "c1|2026-01-06T10:00:00Z|send|email|promo|promo_blast|emitted|\n"
                          "c1|2026-01-06T10:00:00Z|send|email|promo|promo_blast|emitted|\n"
                          "c1|2026-01-07T10:00:00Z|send|email|promo|promo_blast|suppressed|frequency_cap\n",
                     "%s", got);
    free(got);
    vt_run_free(&r);
    /* --after: a connector picks up where it stopped */
    r = vt_run_verity(NULL, NULL, "outbox --store '%s/s.db' --format csv", dir);
    cr_expect(!strncmp(r.out, "id,contact,at,kind,channel,team,template,text,due,workflow,step,status,reason\n", 78));
    char first_id[64] = "";
    sscanf(r.out + 78, "%63[^,]", first_id);
    vt_run_free(&r);
    r = vt_run_verity(NULL, NULL, "outbox --store '%s/s.db' --after %s", dir, first_id);
    cr_expect_eq(r.status, 0);
    cr_expect_eq(strstr(r.out, first_id), NULL);
    cr_expect_eq((int)(strchr(r.out, '\n') != NULL), 1);
    vt_run_free(&r);
    r = vt_run_verity(NULL, NULL, "outbox --store '%s/s.db' --after nope", dir);
    cr_expect_eq(r.status, 2);
    vt_run_free(&r);
    cr_expect_eq(vt_remove_temp_dir(dir), 0);
}

/* The bad-input corpus: every bad line rejected with file:line and reason, the good
 * ones kept, exit 1. */
Test(runtime, bad_input_is_rejected_line_by_line) {
    char *dir = vt_temp_dir();
    const char *flow = CASES "/shop/flow.flow";
    vt_run_result r = vt_run_verity(CASES "/bad", NULL, "ingest --store '%s/s.db' --flow '%s' bad.jsonl bad.csv", dir, flow);
    cr_expect_eq(r.status, 1, "exit %d: %s", r.status, r.err);
    char *want = vt_read_file(CASES "/bad/expected-stderr.txt", NULL);
    cr_assert_not_null(want);
    cr_expect_str_eq(r.err, want, "--- got\n%s--- want\n%s", r.err, want);
    free(want);
    vt_run_free(&r);
    r = vt_run_verity(NULL, NULL, "run '%s' --store '%s/s.db'", flow, dir);
    cr_expect_eq(r.status, 0, "%s", r.err);
    vt_run_free(&r);
    r = vt_run_verity(NULL, NULL, "contacts --store '%s/s.db'", dir);
    char *states = project_states(r.out);
    cr_expect_str_eq(states, "state: good-1|customer|buyer\nstate: good-2|customer|prospect\nstate: good-3|customer|buyer\n",
                     "%s", states);
    free(states);
    vt_run_free(&r);
    cr_expect_eq(vt_remove_temp_dir(dir), 0);
}

/* Running in steps (--until earlier than some events, which then wait) ends with the
 * outbox of one run to the end. */
Test(runtime, runs_in_steps_equal_one_run) {
    const char *flow = CASES "/shop/flow.flow", *input = CASES "/shop/frequency-cap.jsonl";
    expect none = {"", -1, NULL, NULL};
    char *one, *one_c;
    char *dir1 = store_run(flow, input, &none, &one, &one_c);
    char *dir = vt_temp_dir();
    vt_run_result r = vt_run_verity(NULL, NULL, "ingest --store '%s/s.db' --flow '%s' '%s'", dir, flow, input);
    cr_assert_eq(r.status, 0, "%s", r.err);
    vt_run_free(&r);
    const char *steps[] = {"--until 2026-01-07T00:00:00Z", "--until 2026-01-08T00:00:00", "--until 2026-01-08T12:00:00Z", ""};
    for (size_t i = 0; i < 4; i++) {
        r = vt_run_verity(NULL, NULL, "run '%s' --store '%s/s.db' %s", flow, dir, steps[i]);
        cr_assert_eq(r.status, 0, "%s", r.err);
        vt_run_free(&r);
    }
    r = vt_run_verity(NULL, NULL, "outbox --store '%s/s.db'", dir);
    cr_expect_str_eq(r.out, one);
    vt_run_free(&r);
    cr_expect_eq(vt_remove_temp_dir(dir), 0);
    cr_expect_eq(vt_remove_temp_dir(dir1), 0);
    free(one), free(one_c);
}

/* An input in no particular order (as several exports concatenated would be) on the
 * shop flow: contacts, purchases, promos, pings and unsubscriptions; with `late`, only
 * events earlier than 2026-02-01 under new ids, and a few repeated ids. */
static void write_mixed(const char *path, int contacts, bool late) {
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    unsigned x = late ? 777 : 4242;
    for (int i = 0; i < contacts * 9; i++) {
        x = x * 1103515245u + 12345u;
        int c = (int)((x >> 4) % (unsigned)contacts);
        long at = 1767607200L + (long)((x >> 2) % (late ? 26u * 86400u : 100u * 86400u));
        time_t tt = (time_t)at;
        struct tm tm;
        gmtime_r(&tt, &tm);
        char ts[32];
        strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
        unsigned k = (x >> 9) % 11;
        if (k == 0 && !late)
            fprintf(f, "{\"type\":\"contact\",\"contact\":\"m%03d\",\"at\":\"%s\",\"id\":\"k%d\",\"consent_email\":%s,\"consent_sms\":true}\n",
                    c, ts, i, c % 4 ? "true" : "false");
        else
            fprintf(f, "{\"type\":\"%s\",\"contact\":\"m%03d\",\"at\":\"%s\",\"id\":\"%s%d\"%s}\n",
                    k < 4 ? "promo" : k < 7 ? "purchase" : k < 10 ? "ping" : "unsubscribed", c, ts,
                    late && i % 50 == 0 ? "e" : late ? "l" : "e", i,
                    k >= 4 && k < 7 ? ",\"amount\":\"19.90 EUR\"" : "");
    }
    fclose(f);
}

/* One store's outbox, contacts and audit after: ingest a, run to 2026-02-01, ingest b
 * (late events among them), run to the end. */
static char *two_runs(const char *dir, const char *name, const char *flow, const char *a, const char *b) {
    vt_run_result r = vt_run_verity(NULL, NULL, "ingest --store '%s/%s.db' --flow '%s' '%s'", dir, name, flow, a);
    cr_assert_eq(r.status, 0, "%s", r.err);
    vt_run_free(&r);
    r = vt_run_verity(NULL, NULL, "run '%s' --store '%s/%s.db' --until 2026-02-01T00:00:00Z", flow, dir, name);
    cr_assert_eq(r.status, 0, "%s", r.err);
    vt_run_free(&r);
    r = vt_run_verity(NULL, NULL, "ingest --store '%s/%s.db' --flow '%s' '%s'", dir, name, flow, b);
    cr_assert_eq(r.status, 0, "%s", r.err);
    vt_run_free(&r);
    r = vt_run_verity(NULL, NULL, "run '%s' --store '%s/%s.db'", flow, dir, name);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_expect(strstr(r.err, " late)") && !strstr(r.err, ", 0 late)"), "inputs after the first run should be late: %s", r.err);
    vt_run_free(&r);
    char db[4200];
    snprintf(db, sizeof db, "%s/%s.db", dir, name);
    vt_run_result o = vt_run_verity(NULL, NULL, "outbox --store '%s' --format jsonl", db);
    vt_run_result k = vt_run_verity(NULL, NULL, "contacts --store '%s'", db);
    cr_assert(o.status == 0 && k.status == 0);
    cr_assert(strlen(o.out) > 2000, "the workload emitted too little to test with");
    char *audit = dump_audit(db);
    size_t n = strlen(o.out) + strlen(k.out) + strlen(audit) + 1;
    char *all = malloc(n);
    snprintf(all, n, "%s%s%s", o.out, k.out, audit);
    vt_run_free(&o), vt_run_free(&k), free(audit);
    return all;
}

/* A run keeps its new inputs in memory when they fit (VERITY_RUN_PASS, a million by
 * default) and lets SQLite sort them otherwise, also when late-deferred inputs make the
 * count unknown beforehand; small transactions number outbox rows across commits. All
 * must give the same outbox, contacts and audit, byte for byte. */
Test(runtime, runs_held_in_memory_or_sorted_by_sqlite_agree) {
    char *dir = vt_temp_dir();
    const char *flow = CASES "/shop/flow.flow";
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/a.jsonl", dir);
    snprintf(b, sizeof b, "%s/b.jsonl", dir);
    write_mixed(a, 120, false);
    write_mixed(b, 120, true);
    char *held = two_runs(dir, "held", flow, a, b);
    setenv("VERITY_RUN_PASS", "40", 1);
    char *sorted = two_runs(dir, "sorted", flow, a, b);
    cr_expect(strcmp(held, sorted) == 0, "a run sorted by SQLite differs from one held in memory");
    unsetenv("VERITY_RUN_PASS");
    setenv("VERITY_RUN_BATCH", "37", 1);
    char *small = two_runs(dir, "small", flow, a, b);
    cr_expect(strcmp(held, small) == 0, "a run in small transactions differs");
    free(held), free(sorted), free(small);
    cr_expect_eq(vt_remove_temp_dir(dir), 0);
}

/* A repeated id is a duplicate whatever contact it names: one naming a contact not seen
 * before (by id or by a key) creates no contact, and the next new contact comes right
 * after the previous one, on a fresh store and on one that already has contacts. */
Test(runtime, a_duplicate_naming_a_new_contact_creates_none) {
    char *dir = vt_temp_dir();
    const char *flow = CASES "/shop/flow.flow";
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/a.jsonl", dir);
    snprintf(b, sizeof b, "%s/b.jsonl", dir);
    const char *first = "{\"type\":\"contact\",\"contact\":\"c1\",\"at\":\"2026-01-05T10:00:00Z\",\"id\":\"k1\",\"email\":\"c1@x.it\",\"consent_email\":true}\n"
                        "{\"type\":\"promo\",\"contact\":\"ghost1\",\"at\":\"2026-01-06T10:00:00Z\",\"id\":\"k1\"}\n"
                        "{\"type\":\"promo\",\"email\":\"ghost2@x.it\",\"at\":\"2026-01-06T10:00:00Z\",\"id\":\"k1\"}\n"
                        "{\"type\":\"promo\",\"contact\":\"c2\",\"at\":\"2026-01-06T11:00:00Z\",\"id\":\"p2\"}\n";
    const char *second = "{\"type\":\"contact\",\"contact\":\"ghost3\",\"at\":\"2026-01-07T10:00:00Z\",\"id\":\"p2\"}\n"
                         "{\"type\":\"promo\",\"contact\":\"c3\",\"at\":\"2026-01-07T11:00:00Z\",\"id\":\"p3\"}\n"
                         "{\"type\":\"promo\",\"email\":\"ghost2@x.it\",\"at\":\"2026-01-07T12:00:00Z\",\"id\":\"p3\"}\n"
                         "{\"type\":\"promo\",\"email\":\"c4@x.it\",\"at\":\"2026-01-07T12:00:00Z\",\"id\":\"p4\"}\n";
    cr_assert_eq(vt_write_file(a, first, strlen(first)), 0);
    cr_assert_eq(vt_write_file(b, second, strlen(second)), 0);
    vt_run_result r = vt_run_verity(NULL, NULL, "ingest --store '%s/s.db' --flow '%s' '%s'", dir, flow, a);
    cr_expect(strstr(r.err, "2 accepted, 2 duplicates, 0 rejected") != NULL, "%s", r.err);
    vt_run_free(&r);
    r = vt_run_verity(NULL, NULL, "ingest --store '%s/s.db' --flow '%s' '%s'", dir, flow, b);
    cr_expect(strstr(r.err, "2 accepted, 2 duplicates, 0 rejected") != NULL, "%s", r.err);
    vt_run_free(&r);
    r = vt_run_verity(NULL, NULL, "run '%s' --store '%s/s.db'", flow, dir);
    cr_assert_eq(r.status, 0, "%s", r.err);
    vt_run_free(&r);
    r = vt_run_verity(NULL, NULL, "contacts --store '%s/s.db' --format csv", dir);
    cr_assert_eq(r.status, 0, "%s", r.err);
    char ids[256] = "";
    for (const char *line = strchr(r.out, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        size_t n = strcspn(line + 1, ",");
        strncat(ids, line + 1, n < 64 ? n : 64);
        strcat(ids, " ");
    }
    cr_expect_str_eq(ids, "c1 c2 c3 c4@x.it ", "%s", r.out);
    vt_run_free(&r);
    sqlite3 *h;
    char db[4200];
    snprintf(db, sizeof db, "%s/s.db", dir);
    cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
    sqlite3_stmt *q;
    cr_assert_eq(sqlite3_prepare_v2(h, "SELECT group_concat(cid || '=' || id, ' ') FROM (SELECT cid, id FROM contacts ORDER BY cid)", -1, &q, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
    cr_expect_str_eq((const char *)sqlite3_column_text(q, 0), "1=c1 2=c2 3=c3 4=c4@x.it");
    sqlite3_finalize(q);
    sqlite3_close(h);
    cr_expect_eq(vt_remove_temp_dir(dir), 0);
}

/* One `verity simulate` run: its outbox, contacts file and summary line, together. */
static char *simulate_all(const char *dir, const char *flow, const char *inputs, const char *until) {
    vt_run_result r = vt_run_verity(NULL, NULL, "simulate '%s' %s %s --contacts '%s/sim-c.jsonl'", flow, inputs, until, dir);
    cr_assert_eq(r.status, 0, "simulate exited %d: %s", r.status, r.err);
    char path[4200];
    snprintf(path, sizeof path, "%s/sim-c.jsonl", dir);
    char *c = vt_read_file(path, NULL);
    cr_assert_not_null(c);
    size_t n = strlen(r.out) + strlen(c) + strlen(r.err) + 8;
    char *all = malloc(n);
    snprintf(all, n, "%s--\n%s--\n%s", r.out, c, r.err);
    vt_run_free(&r), free(c);
    return all;
}

/* simulate holds its records in memory up to a chunk (VERITY_SIM_CHUNK bytes) and sorts
 * larger inputs through temporary files: a chunk of one record, or of a few, must give
 * the same outbox, contacts and counts, byte for byte, with records out of order, late,
 * repeated (also naming a contact not seen before) and contacts named by a key. */
Test(runtime, simulate_through_temporary_files_agrees_with_memory) {
    char *dir = vt_temp_dir();
    const char *flow = CASES "/shop/flow.flow";
    char a[4096], b[4096], k[4096], inputs[12600];
    snprintf(a, sizeof a, "%s/a.jsonl", dir);
    snprintf(b, sizeof b, "%s/b.jsonl", dir);
    snprintf(k, sizeof k, "%s/k.jsonl", dir);
    write_mixed(a, 60, false);
    write_mixed(b, 60, true);
    const char *keyed = "{\"type\":\"contact\",\"contact\":\"m001\",\"at\":\"2026-01-05T10:00:00Z\",\"id\":\"kk1\",\"email\":\"m1@x.it\",\"consent_email\":true}\n"
                        "{\"type\":\"promo\",\"email\":\"m1@x.it\",\"at\":\"2026-01-04T10:00:00Z\",\"id\":\"kk2\"}\n"
                        "{\"type\":\"promo\",\"contact\":\"ghost\",\"at\":\"2026-01-06T10:00:00Z\",\"id\":\"kk2\"}\n"
                        "{\"type\":\"purchase\",\"email\":\"new@x.it\",\"at\":\"2026-01-03T10:00:00Z\",\"id\":\"kk3\",\"amount\":\"5.00 EUR\"}\n"
                        "{\"type\":\"promo\",\"contact\":\"m002\",\"at\":\"2026-01-02T10:00:00Z\",\"id\":\"e0\"}\n"
                        "{\"type\":\"promo\",\"email\":\"new@x.it\",\"at\":\"2026-01-07T10:00:00Z\",\"id\":\"kk4\"}\n";
    cr_assert_eq(vt_write_file(k, keyed, strlen(keyed)), 0);
    snprintf(inputs, sizeof inputs, "'%s' '%s' '%s'", a, k, b);
    const char *untils[] = {"", "--until 2026-02-01T00:00:00Z"};
    for (int u = 0; u < 2; u++) {
        unsetenv("VERITY_SIM_CHUNK");
        char *memory = simulate_all(dir, flow, inputs, untils[u]);
        cr_expect(strstr(memory, " duplicates, 0 rejected") && !strstr(memory, "(0 duplicates"), "%s", memory);
        setenv("VERITY_SIM_CHUNK", "1", 1);
        char *one = simulate_all(dir, flow, inputs, untils[u]);
        cr_expect(strcmp(memory, one) == 0, "simulate spilling every record differs (%s)", untils[u]);
        setenv("VERITY_SIM_CHUNK", "3000", 1);
        char *few = simulate_all(dir, flow, inputs, untils[u]);
        cr_expect(strcmp(memory, few) == 0, "simulate spilling every few records differs (%s)", untils[u]);
        free(memory), free(one), free(few);
    }
    unsetenv("VERITY_SIM_CHUNK");
    cr_expect_eq(vt_remove_temp_dir(dir), 0);
}

/* When records must go to a temporary file and TMPDIR cannot hold one, simulate says so
 * and where, and exits 2; an input that fits in memory needs no temporary file. */
Test(runtime, simulate_without_a_writable_temp_dir_says_so) {
    const char *flow = VT_SOURCE_DIR "/examples/b2b-leads.flow", *input = VT_SOURCE_DIR "/examples/b2b-leads.jsonl";
    setenv("TMPDIR", "/nonexistent/verity-tmp", 1);
    setenv("VERITY_SIM_CHUNK", "1", 1);
    vt_run_result r = vt_run_verity(NULL, NULL, "simulate '%s' '%s'", flow, input);
    unsetenv("VERITY_SIM_CHUNK");
    cr_expect_eq(r.status, 2, "exit %d: %s", r.status, r.err);
    cr_expect(strstr(r.err, "no temporary file can be made in /nonexistent/verity-tmp") != NULL, "%s", r.err);
    cr_expect(strstr(r.err, "set TMPDIR") != NULL, "%s", r.err);
    vt_run_free(&r);
    r = vt_run_verity(NULL, NULL, "simulate '%s' '%s'", flow, input);
    unsetenv("TMPDIR");
    cr_expect_eq(r.status, 0, "exit %d: %s", r.status, r.err);
    vt_run_free(&r);
}
