/* Kill and resume: `verity run` killed with SIGKILL at many points of its work and
 * started again must end with exactly the outbox (and contacts) of an uninterrupted
 * run. Kill points are spread over the length of a reference run; whatever instant a
 * kill lands on, the result must be the same, so the assertion does not depend on
 * timing (only how much of the run each kill interrupts does). */
#include "support.h"
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FLOW VT_TEST_DIR "/cases/runtime/shop/flow.flow"
#define CONTACTS 600
#define KILLS 10

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A deterministic workload on the shop flow: purchases, promos (capped), pings (quiet
 * hours), unsubscriptions and 60-day reactivations. */
static void write_input(const char *path) {
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    unsigned x = 12345;
    for (int c = 0; c < CONTACTS; c++) {
        long base = 1767607200L + (long)(c % 50) * 3600; /* 2026-01-05T10:00Z + c hours */
        char tb[32];
        fprintf(f, "{\"type\":\"contact\",\"contact\":\"c%05d\",\"at\":\"%s\",\"id\":\"k%d\",\"consent_email\":%s,\"consent_sms\":%s}\n",
                c, vt_test_iso(base, tb), c, c % 7 ? "true" : "false", c % 3 ? "true" : "false");
        for (int e = 0; e < 8; e++) {
            x = x * 1103515245u + 12345u;
            long at = base + 3600 + (long)(x % (90u * 86400u));
            const char *type = (x >> 8) % 5 == 0 ? "purchase" : (x >> 8) % 5 == 1 ? "ping"
                             : (x >> 8) % 5 == 2 && e == 7 ? "unsubscribed" : "promo";
            fprintf(f, "{\"type\":\"%s\",\"contact\":\"c%05d\",\"at\":\"%s\",\"id\":\"e%d-%d\"%s}\n", type, c, vt_test_iso(at, tb), c, e,
                    !strcmp(type, "purchase") ? ",\"amount\":\"12.00 EUR\"" : "");
        }
    }
    fclose(f);
}

static pid_t start_run(const char *db) {
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        setenv("VERITY_RUN_BATCH", "300", 1); /* many commits, so kills land between them */
        FILE *null = freopen("/dev/null", "w", stderr);
        (void)null;
        execl(VT_VERITY_BIN, "verity", "run", FLOW, "--store", db, "--until", "2026-06-30T00:00:00Z", (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Runs to completion; returns the seconds it took. */
static double run_full(const char *db) {
    double t0 = now_s();
    int st;
    waitpid(start_run(db), &st, 0);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "verity run failed (status %d)", st);
    return now_s() - t0;
}

/* Starts a run and SIGKILLs it after `delay` seconds unless it finished first. */
static void run_and_kill(const char *db, double delay) {
    pid_t pid = start_run(db);
    struct timespec ts = {(time_t)delay, (long)((delay - (double)(time_t)delay) * 1e9)};
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    if (WIFEXITED(st)) cr_assert_eq(WEXITSTATUS(st), 0, "verity run failed on its own");
}

static void kill_and_resume(int kills) {
    char *dir = vt_temp_dir();
    char input[4096], ref[4200], db[4200], cmd[9000];
    snprintf(input, sizeof input, "%s/input.jsonl", dir);
    snprintf(ref, sizeof ref, "%s/ref.db", dir);
    write_input(input);
    vt_run_result r = vt_run_verity(NULL, NULL, "ingest --store '%s' --flow '" FLOW "' '%s'", ref, input);
    cr_assert_eq(r.status, 0, "%s", r.err);
    vt_run_free(&r);
    /* the ingested store, copied for every attempt (a clean close leaves no WAL) */
    snprintf(cmd, sizeof cmd, "cp '%s' '%s/ingested.db'", ref, dir);
    cr_assert_eq(system(cmd), 0);

    double t = run_full(ref);
    char *want = vt_verity_stdout("outbox --store '%s' --format jsonl%s", ref, "");
    char *want_contacts = vt_verity_stdout("contacts --store '%s'%s", ref, "");
    cr_assert(strlen(want) > 1000, "the reference run emitted too little to test with");

    for (int i = 1; i <= kills; i++) {
        snprintf(db, sizeof db, "%s/k%d.db", dir, i);
        snprintf(cmd, sizeof cmd, "cp '%s/ingested.db' '%s'", dir, db);
        cr_assert_eq(system(cmd), 0);
        double at = t * i / (kills + 1);
        run_and_kill(db, at);            /* killed somewhere in the run */
        run_and_kill(db, at / 3 + 0.01); /* and again while it resumes */
        run_full(db);
        char *got = vt_verity_stdout("outbox --store '%s' --format jsonl%s", db, "");
        cr_expect_str_eq(got, want, "kill %d (after %.3fs of %.3fs): the outbox differs", i, at, t);
        char *got_c = vt_verity_stdout("contacts --store '%s'%s", db, "");
        cr_expect_str_eq(got_c, want_contacts, "kill %d: the contacts differ", i);
        free(got), free(got_c);
        /* a run after the resumed one finds nothing new */
        vt_run_result again = vt_run_verity(NULL, NULL, "run '" FLOW "' --store '%s' --until 2026-06-30T00:00:00Z", db);
        cr_expect(strstr(again.err, "run: 0 inputs") != NULL, "%s", again.err);
        vt_run_free(&again);
    }
    free(want), free(want_contacts);
    cr_expect_eq(vt_remove_temp_dir(dir), 0);
}

Test(crash, killed_runs_resume_to_the_same_outbox, .timeout = 900) { kill_and_resume(KILLS); }

/* The same when the run holds fewer inputs in memory than it has (a backfill): SQLite
 * sorts them, and a resumed run does too. */
Test(crash, killed_large_runs_resume_to_the_same_outbox, .timeout = 900) {
    setenv("VERITY_RUN_PASS", "1000", 1); /* 5,400 inputs */
    kill_and_resume(4);
}
