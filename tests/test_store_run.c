/* `verity run` over inputs scattered across the store: contacts' events interleaved in
 * time, so each contact's inputs lie far apart in seq order and a held run copies
 * them together a window of contacts at a time (store_run.c, load_window). The store's
 * outbox and contacts must be exactly what `verity simulate` prints for the same input,
 * whether the run holds the inputs (several windows), lets SQLite sort them (a run
 * larger than VERITY_RUN_PASS), or goes in `--until` steps. */
#include "support.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLOW VT_SOURCE_DIR "/examples/b2b-leads.flow"
#define CONTACTS 400
#define EVENTS 6000

/* Contact records first, then events of random contacts in time order (deterministic). */
static void write_input(const char *path) {
    static const char *const types[] = {"page_view", "email_opened", "form_submitted", "email_replied",
                                        "demo_requested", "sales_contacted", "deal_opened", "unsubscribed"};
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    const long t0 = 1772355600L; /* 2026-03-01T09:00Z */
    char tb[32];
    for (int c = 0; c < CONTACTS; c++)
        fprintf(f,
                "{\"type\":\"contact\",\"contact\":\"c%d\",\"at\":\"%s\",\"id\":\"k%d\",\"email\":\"p%d@x.it\","
                "\"role\":\"%s\",\"company_size\":%d,\"consent_email\":%s}\n",
                c, vt_test_iso(t0 + c * 60L, tb), c, c, c % 3 ? "CMO" : "Developer", 20 + c % 300, c % 5 ? "true" : "false");
    unsigned x = 4242;
    long at = t0 + CONTACTS * 60L;
    for (int e = 0; e < EVENTS; e++) {
        x = x * 1103515245u + 12345u;
        at += 60 + (long)(x >> 16) % 900;
        int c = (int)((x >> 8) % CONTACTS);
        const char *type = types[(x >> 4) % 8 < 4 ? 0 : (x >> 4) % 8];
        fprintf(f, "{\"type\":\"%s\",\"contact\":\"c%d\",\"at\":\"%s\",\"id\":\"e%d\"%s}\n", type, c, vt_test_iso(at, tb), e,
                !strcmp(type, "page_view")     ? ",\"url\":\"/pricing\""
                : !strcmp(type, "deal_opened") ? ",\"value\":\"1200.00 EUR\""
                : !strcmp(type, "form_submitted") ? ",\"form\":\"demo\""
                                                  : "");
    }
    fclose(f);
}

static int by_line(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The lines of s sorted (s is rewritten). */
static void sort_lines(char *s) {
    size_t n = 0, len = strlen(s);
    for (size_t i = 0; i < len; i++) n += s[i] == '\n';
    char **v = malloc((n + 1) * sizeof *v), *copy = strdup(s);
    cr_assert(v && copy);
    n = 0;
    for (char *p = copy, *e; *p; p = e + 1) {
        e = strchr(p, '\n');
        cr_assert_not_null(e);
        *e = 0;
        v[n++] = p;
    }
    qsort(v, n, sizeof *v, by_line);
    s[0] = 0;
    for (size_t i = 0; i < n; i++) strcat(strcat(s, v[i]), "\n");
    free(v), free(copy);
}

/* Ingests `input` into a new store in dir, runs it (to each of `steps` clocks, then to
 * the latest), and checks outbox and contacts against simulate's. Runs in steps emit
 * the same rows in the order of the runs (each run's decisions after the previous
 * run's), so then the rows are compared sorted. */
static void store_equals_simulate(const char *dir, const char *name, const char *input, const char *run_pass,
                                  const char *const *steps) {
    char db[4200];
    snprintf(db, sizeof db, "%s/%s.db", dir, name);
    if (run_pass) setenv("VERITY_RUN_PASS", run_pass, 1);
    else unsetenv("VERITY_RUN_PASS");
    vt_run_result r = vt_run_verity(NULL, NULL, "ingest --store '%s' --flow '" FLOW "' '%s'", db, input);
    cr_assert_eq(r.status, 0, "%s", r.err);
    vt_run_free(&r);
    for (const char *const *s = steps; s && *s; s++) {
        r = vt_run_verity(NULL, NULL, "run '" FLOW "' --store '%s' --until %s", db, *s);
        cr_assert_eq(r.status, 0, "%s", r.err);
        vt_run_free(&r);
    }
    r = vt_run_verity(NULL, NULL, "run '" FLOW "' --store '%s'", db);
    cr_assert_eq(r.status, 0, "%s", r.err);
    vt_run_free(&r);
    unsetenv("VERITY_RUN_PASS");
    char contacts[4300];
    snprintf(contacts, sizeof contacts, "%s/%s.contacts", dir, name);
    char *want = vt_verity_stdout("simulate '" FLOW "' '%s' --contacts '%s'", input, contacts);
    char *want_contacts = vt_read_file(contacts, NULL);
    cr_assert_not_null(want_contacts);
    char *got = vt_verity_stdout("outbox --store '%s' --format jsonl%s", db, "");
    char *got_contacts = vt_verity_stdout("contacts --store '%s'%s", db, "");
    cr_assert(strlen(want) > 1000, "simulate emitted too little to test with");
    if (steps) sort_lines(want), sort_lines(got);
    cr_expect_str_eq(got, want, "%s: the store's outbox differs from simulate's", name);
    cr_expect_str_eq(got_contacts, want_contacts, "%s: the store's contacts differ from simulate's", name);
    free(want), free(want_contacts), free(got), free(got_contacts);
}

Test(store_run, scattered_inputs_give_simulates_outbox, .timeout = 300) {
    char *dir = vt_temp_dir();
    char input[4096];
    snprintf(input, sizeof input, "%s/input.jsonl", dir);
    write_input(input);
    static const char *const steps[] = {"2026-03-10T00:00:00Z", "2026-03-25T12:00:00Z", NULL};
    store_equals_simulate(dir, "held", input, NULL, NULL);       /* held: several windows */
    store_equals_simulate(dir, "sorted", input, "1000", NULL);   /* more than run_pass: SQLite sorts */
    store_equals_simulate(dir, "steps", input, NULL, steps);     /* in steps, deferred inputs between */
    store_equals_simulate(dir, "steps_sorted", input, "700", steps);
    cr_expect_eq(vt_remove_temp_dir(dir), 0);
}
