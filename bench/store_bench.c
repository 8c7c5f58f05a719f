/* The store benchmark (docs/performance.md, "## Store"): a deterministic B2B workload,
 * `verity ingest` + `verity run` on it, and in the same run the raw cost of putting the
 * same records into SQLite with one prepared INSERT in one transaction.
 *
 *   bench_store_bench gen CONTACTS EVENTS OUT.jsonl
 *   bench_store_bench raw IN.jsonl DB          parse + one INSERT per record, one transaction
 *   bench_store_bench rawu IN.jsonl DB         the same with a UNIQUE index on the id
 *   bench_store_bench rawh IN.jsonl DB         the same with the id's 64-bit hash as the key of a rowid table
 *   bench_store_bench rawa IN.jsonl DB         the same with (seq, id hash) appended to a narrow table
 *                                              (rawh/rawa: alternatives to the UNIQUE id, measured in docs/performance.md)
 *   bench_store_bench verity FLOW IN.jsonl DB  ingest + run through libverity
 *   bench_store_bench simulate FLOW IN.jsonl   the in-memory path, for reference
 *   bench_store_bench run FLOW DB              vt_store_run alone on a store already ingested (copy it first)
 * Each measuring mode prints one line: records, CPU seconds, records per CPU second, peak RSS (MB). */
#include "common/mem.h"
#include "common/timeutil.h"
#include "runtime/simulate.h"
#include "runtime/store_run.h"
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* CPU seconds (user + system) of this process: the machine is shared, so wall-clock
 * time measures the neighbours as much as the code. */
static double now_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static double peak_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

static void report(const char *what, double n, double secs) {
    printf("%-10s %10.0f records %8.2f s CPU %10.0f records/s %8.1f MB peak RSS\n", what, n, secs, n / secs, peak_mb());
}

/* ---- the workload -------------------------------------------------------------------- */

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

typedef struct ev { int64_t at; uint32_t contact; uint8_t kind; } ev;
static int by_at(const void *a, const void *b) {
    const ev *x = a, *y = b;
    return x->at < y->at ? -1 : x->at > y->at ? 1 : (x->contact > y->contact) - (x->contact < y->contact);
}

/* Events of the b2b-leads example over six months: mostly page views and email opens,
 * some forms and replies, few demo requests, calls, deals and unsubscriptions. */
static int gen(long contacts, long events, const char *path) {
    static const char *const roles[] = {"CMO", "Head of Marketing", "CEO", "Developer", "Designer", "Analyst"};
    static const char *const urls[] = {"/pricing", "/pricing/enterprise", "/blog/scoring", "/blog/nurture", "/docs",
                                       "/features"};
    const int64_t t0 = 1767225600; /* 2026-01-01T00:00:00Z */
    const int64_t span = 181LL * 86400;
    FILE *f = fopen(path, "w");
    if (!f) return perror(path), 2;
    ev *evs = malloc(sizeof *evs * (size_t)events);
    int64_t *born = malloc(sizeof *born * (size_t)contacts);
    if (!evs || !born) return fputs("out of memory\n", stderr), 2;
    for (long c = 0; c < contacts; c++) born[c] = t0 + (int64_t)(rnd() % (uint32_t)(span / 2));
    long nev = events - contacts;
    for (long i = 0; i < nev; i++) {
        uint32_t c = rnd() % (uint32_t)contacts;
        uint32_t r = rnd() % 1000;
        uint8_t k = r < 450 ? 0 : r < 750 ? 1 : r < 850 ? 2 : r < 930 ? 3 : r < 955 ? 4 : r < 975 ? 5 : r < 988 ? 6
                  : r < 994 ? 7 : r < 997 ? 8 : 9;
        evs[i] = (ev){born[c] + 60 + (int64_t)(rnd() % (uint32_t)(t0 + span - born[c] - 60)), c, k};
    }
    for (long c = 0; c < contacts; c++) evs[nev + c] = (ev){born[c], (uint32_t)c, 100};
    qsort(evs, (size_t)events, sizeof *evs, by_at);
    static const char *const types[] = {"page_view", "email_opened", "form_submitted", "email_replied",
                                        "demo_requested", "sales_contacted", "deal_opened", "deal_won",
                                        "deal_lost", "unsubscribed"};
    char at[21];
    for (long i = 0; i < events; i++) {
        ev *e = &evs[i];
        vt_format_utc(e->at, at);
        if (e->kind == 100) {
            fprintf(f,
                    "{\"type\":\"contact\",\"contact\":\"c%07u\",\"at\":\"%s\",\"id\":\"r%ld\",\"email\":\"p%u@example.com\","
                    "\"first_name\":\"P%u\",\"role\":\"%s\",\"company_size\":%u,\"consent_email\":%s}\n",
                    e->contact, at, i, e->contact, e->contact, roles[e->contact % 6], 5 + e->contact % 300,
                    e->contact % 5 ? "true" : "false");
            continue;
        }
        fprintf(f, "{\"type\":\"%s\",\"contact\":\"c%07u\",\"at\":\"%s\",\"id\":\"r%ld\"", types[e->kind], e->contact,
                at, i);
        if (e->kind == 0) fprintf(f, ",\"url\":\"%s\"", urls[rnd() % 6]);
        else if (e->kind == 2) fputs(",\"form\":\"ebook\"", f);
        else if (e->kind == 6 || e->kind == 7) fputs(",\"value\":\"12000.00 EUR\"", f);
        else if (e->kind == 8) fputs(",\"reason\":\"budget\"", f);
        fputs("}\n", f);
    }
    free(evs);
    free(born);
    return fclose(f) ? 2 : 0;
}

/* ---- the raw baseline ---------------------------------------------------------------- */

/* The value of "key":"..." in a line, found with one scan (no DOM), as the runtime does. */
static const char *str_of(const char *line, const char *key, size_t *len) {
    const char *p = strstr(line, key);
    if (!p) return NULL;
    p += strlen(key);
    const char *e = strchr(p, '"');
    *len = e ? (size_t)(e - p) : 0;
    return p;
}

/* mode 0: no index; 1: a UNIQUE id; 2: the id's 64-bit hash as the key of a rowid table;
 * 3: (seq, id hash) appended to a narrow table, for a duplicate check kept in memory */
static int raw(const char *in, const char *dbpath, int mode) {
    bool unique = mode == 1;
    remove(dbpath);
    sqlite3 *db;
    if (sqlite3_open(dbpath, &db) != SQLITE_OK) return 2;
    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                     "CREATE TABLE events(seq INTEGER PRIMARY KEY, id TEXT, contact TEXT, type TEXT, at INTEGER, payload TEXT);",
                 NULL, NULL, NULL);
    /* The same with the duplicate check verity needs: a UNIQUE id. */
    if (unique) sqlite3_exec(db, "CREATE UNIQUE INDEX events_id ON events(id)", NULL, NULL, NULL);
    if (mode == 2) sqlite3_exec(db, "CREATE TABLE event_ids(h INTEGER PRIMARY KEY, seq INTEGER NOT NULL)", NULL, NULL, NULL);
    if (mode == 3) sqlite3_exec(db, "CREATE TABLE event_ids(seq INTEGER PRIMARY KEY, h INTEGER NOT NULL)", NULL, NULL, NULL);
    sqlite3_stmt *q, *qh = NULL;
    if (mode == 2) sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO event_ids(h, seq) VALUES (?1, ?2)", -1, &qh, NULL);
    if (mode == 3) sqlite3_prepare_v2(db, "INSERT INTO event_ids(h, seq) VALUES (?1, ?2)", -1, &qh, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO events(id, contact, type, at, payload) VALUES (?1, ?2, ?3, ?4, ?5)", -1, &q, NULL);
    FILE *f = fopen(in, "r");
    if (!f) return perror(in), 2;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    double t = now_s(), count = 0;
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    while ((n = getline(&line, &cap, f)) > 0) {
        size_t il = 0, cl = 0, tl = 0, al = 0;
        const char *id = str_of(line, "\"id\":\"", &il), *c = str_of(line, "\"contact\":\"", &cl),
                   *ty = str_of(line, "\"type\":\"", &tl), *at = str_of(line, "\"at\":\"", &al);
        if (!id || !c || !ty || !at) continue;
        int64_t ts;
        int hz;
        vt_parse_timestamp(at, al, &ts, &hz, NULL);
        sqlite3_bind_text(q, 1, id, (int)il, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, c, (int)cl, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, ty, (int)tl, SQLITE_STATIC);
        sqlite3_bind_int64(q, 4, ts);
        sqlite3_bind_text(q, 5, line, (int)n, SQLITE_STATIC);
        if (qh) {
            uint64_t h = 0xcbf29ce484222325ull;
            for (size_t i = 0; i < il; i++) h = (h ^ (unsigned char)id[i]) * 0x100000001b3ull;
            sqlite3_bind_int64(qh, 1, (int64_t)h);
            sqlite3_bind_int64(qh, 2, (int64_t)count + 1);
            sqlite3_step(qh);
            sqlite3_reset(qh);
        }
        sqlite3_step(q);
        sqlite3_reset(q);
        count++;
    }
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    double secs = now_s() - t;
    sqlite3_finalize(q);
    sqlite3_finalize(qh);
    sqlite3_close(db);
    fclose(f);
    free(line);
    report(mode == 1 ? "raw+unique" : mode == 2 ? "raw+hash" : mode == 3 ? "raw+append" : "raw", count, secs);
    return 0;
}

/* ---- verity ---------------------------------------------------------------------------- */

static int verity(const char *flow, const char *in, const char *dbpath) {
    char path[4096];
    remove(dbpath);
    snprintf(path, sizeof path, "%s-wal", dbpath), remove(path);
    snprintf(path, sizeof path, "%s-shm", dbpath), remove(path);
    char *err = NULL;
    vt_program *p = vt_program_open(flow, VT_STDLIB_DIR, &err);
    if (!p) return fprintf(stderr, "%s\n", err ? err : "cannot load the flow"), 2;
    vt_store *st = vt_store_open(dbpath, true, &err);
    if (!st) return fprintf(stderr, "%s\n", err), 2;
    if (getenv("VERITY_RUN_PASS")) st->run_pass = atol(getenv("VERITY_RUN_PASS")); /* as `verity run` */
    const char *paths[] = {in};
    vt_ingest_stats is;
    double t = now_s();
    if (vt_store_ingest(st, p, paths, 1, stderr, false, &is, &err)) return fprintf(stderr, "%s\n", err), 2;
    double t_ingest = now_s() - t;
    vt_run_stats rs = {0};
    int64_t until;
    t = now_s();
    if (vt_store_run(st, p, VT_UNTIL_LATEST, &rs, &until, &err)) return fprintf(stderr, "%s\n", err), 2;
    double t_run = now_s() - t;
    double n = (double)is.accepted;
    printf("ingest     %10.0f records %8.2f s %10.0f records/s\n", n, t_ingest, n / t_ingest);
    printf("run        %10.0f inputs  %8.2f s %10.0f inputs/s (%llu contacts, %llu actions)\n", (double)rs.inputs,
           t_run, (double)rs.inputs / t_run, (unsigned long long)rs.contacts,
           (unsigned long long)(rs.emitted + rs.suppressed));
    report("verity", n, t_ingest + t_run);
    vt_store_close(st);
    vt_program_free(p);
    return 0;
}

/* The run alone, on a store ingested beforehand: what callgrind measures for the run. */
static int run_only(const char *flow, const char *dbpath) {
    char *err = NULL;
    vt_program *p = vt_program_open(flow, VT_STDLIB_DIR, &err);
    if (!p) return fprintf(stderr, "%s\n", err ? err : "cannot load the flow"), 2;
    vt_store *st = vt_store_open(dbpath, false, &err);
    if (!st) return fprintf(stderr, "%s\n", err), 2;
    if (getenv("VERITY_RUN_PASS")) st->run_pass = atol(getenv("VERITY_RUN_PASS")); /* as `verity run` */
    vt_run_stats rs = {0};
    int64_t until;
    double t = now_s();
    if (vt_store_run(st, p, VT_UNTIL_LATEST, &rs, &until, &err)) return fprintf(stderr, "%s\n", err), 2;
    report("run", (double)rs.inputs, now_s() - t);
    vt_store_close(st);
    vt_program_free(p);
    return 0;
}

static int sim_row(void *ud, const vt_outrow *r) { (void)ud, (void)r; return 0; }

static int simulate(const char *flow, const char *in) {
    char *err = NULL;
    vt_program *p = vt_program_open(flow, VT_STDLIB_DIR, &err);
    if (!p) return fprintf(stderr, "%s\n", err ? err : "cannot load the flow"), 2;
    (void)sim_row;
    FILE *null = fopen("/dev/null", "w");
    const char *paths[] = {in};
    vt_sim_stats s;
    double t = now_s();
    if (vt_simulate(p, paths, 1, INT64_MIN, null, NULL, stderr, &s, &err)) return fprintf(stderr, "%s\n", err), 2;
    report("simulate", (double)s.accepted, now_s() - t);
    fclose(null);
    vt_program_free(p);
    return 0;
}

int main(int argc, char **argv) {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); /* as the verity CLI does (cli/main.c) */
    if (argc == 5 && !strcmp(argv[1], "gen")) return gen(atol(argv[2]), atol(argv[3]), argv[4]);
    if (argc == 4 && !strcmp(argv[1], "raw")) return raw(argv[2], argv[3], 0);
    if (argc == 4 && !strcmp(argv[1], "rawu")) return raw(argv[2], argv[3], 1);
    if (argc == 4 && !strcmp(argv[1], "rawh")) return raw(argv[2], argv[3], 2);
    if (argc == 4 && !strcmp(argv[1], "rawa")) return raw(argv[2], argv[3], 3);
    if (argc == 5 && !strcmp(argv[1], "verity")) return verity(argv[2], argv[3], argv[4]);
    if (argc == 4 && !strcmp(argv[1], "simulate")) return simulate(argv[2], argv[3]);
    if (argc == 4 && !strcmp(argv[1], "run")) return run_only(argv[2], argv[3]);
    fputs("usage: bench_store_bench gen CONTACTS EVENTS OUT | raw IN DB | rawu IN DB | rawh IN DB | rawa IN DB | verity FLOW IN DB | simulate FLOW IN | run FLOW DB\n", stderr);
    return 2;
}
