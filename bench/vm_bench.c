/* VM benchmark: the rules and transitions of SPEC §1's B2B example (bench/vm_b2b.flow)
 * over N synthetic events held in memory (no store), run three ways in one process run:
 *   1. the Verity VM through the embedding API (vt_vm_advance + vt_vm_apply per event),
 *   2. the same logic hand-written in plain C (the limit),
 *   3. the same logic in Lua 5.4 (bench/vm_bench.lua, run as a `lua5.4` subprocess; it
 *      generates the identical event stream with the same LCG and times only processing).
 * All three print a checksum (contacts per state, total score, truth rising edges) that
 * must agree, so the comparison is of equal work.
 *
 * usage: bench_vm_bench [--events N] [--contacts N] [--flow PATH] [--lua PATH|none]
 * Run from the repository root (defaults: 10000000 events, 100000 contacts). */
#include "verity.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { EV_PAGE_VIEW, EV_EMAIL_OPENED, EV_EMAIL_REPLIED, EV_FORM, EV_DEMO, EV_SALES_CONTACTED, EV_DEAL, EV_PURCHASE, EV_UNSUB, EV_N };
static const char *ev_names[EV_N] = {"page_view", "email_opened", "email_replied", "form_submitted", "demo_requested",
                                     "sales_contacted", "deal_opened", "purchase", "unsubscribed"};
static const char *urls[3] = {"/pricing/enterprise", "/blog/post", "/home"};
static const char *roles[4] = {"CMO", "Developer", "CEO", "Head of Marketing"};

typedef struct ev { int64_t at; uint32_t contact; uint8_t type; uint8_t url; uint16_t pad; int32_t amount; } ev;

#define T0 1767225600LL            /* 2026-01-01T00:00:00Z */
#define SPAN (182LL * 86400)       /* six months */

/* The generator, mirrored exactly in vm_bench.lua. */
static uint64_t lcg_state;
static uint32_t lcg(void) {
    lcg_state = lcg_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(lcg_state >> 33);
}

static void generate(ev *evs, size_t n, uint32_t ncontacts) {
    lcg_state = 42;
    for (size_t i = 0; i < n; i++) {
        ev *e = &evs[i];
        e->at = T0 + (int64_t)((__int128)i * SPAN / (int64_t)n);
        e->contact = lcg() % ncontacts;
        uint32_t r = lcg(), k = r % 1000;
        e->url = (uint8_t)((r / 1000) % 3);
        e->amount = (int32_t)((r / 1000) % 50000);
        e->type = k < 400 ? EV_PAGE_VIEW : k < 600 ? EV_EMAIL_OPENED : k < 680 ? EV_EMAIL_REPLIED : k < 780 ? EV_FORM
                : k < 830 ? EV_DEMO : k < 870 ? EV_SALES_CONTACTED : k < 910 ? EV_DEAL : k < 997 ? EV_PURCHASE : EV_UNSUB;
    }
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);   /* CPU time, as Lua's os.clock: the machine is shared */
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct sum { long states[6]; long long score; long truths; } sum;

static void print_sum(const char *who, const sum *s, double secs, size_t n) {
    printf("%-14s %8.1f ns/event  %6.2f M events/s   states %ld/%ld/%ld/%ld/%ld/%ld score %lld truths %ld\n", who,
           secs * 1e9 / (double)n, (double)n / secs / 1e6, s->states[0], s->states[1], s->states[2], s->states[3],
           s->states[4], s->states[5], s->score, s->truths);
}

/* ---- 1. the VM ---- */

static int count_truth(void *ud, const vt_audit *a) {
    if (a->kind == VT_AU_TRUTH) ((sum *)ud)->truths++;
    return 0;
}
static int no_action(void *ud, const vt_action *a) { (void)ud; (void)a; return 0; }

__attribute__((noinline)) static int run_vm(const char *flow, const ev *evs, size_t n, uint32_t nc, int prefetch, sum *out, double *secs) {
    char *err = NULL;
    vt_program *p = vt_program_open(flow, NULL, &err);
    if (!p) { fprintf(stderr, "vm_bench: %s\n", err ? err : "cannot load the flow"); free(err); return -1; }
    const vt_schema *s = vt_program_schema(p);
    int ev_index[EV_N];
    for (int i = 0; i < EV_N; i++) ev_index[i] = vt_schema_event_index(s, ev_names[i], strlen(ev_names[i]));
    int f_role = vt_schema_field_index(s, "role", 4), f_size = vt_schema_field_index(s, "company_size", 12),
        f_consent = vt_schema_field_index(s, "consent_email", 13), f_score = vt_schema_field_index(s, "score", 5);
    vt_vm *vm = vt_vm_new(p);
    vt_contact *cs = calloc(nc, sizeof *cs);
    if (!vm || !cs) return -1;
    vt_vm_audit_kinds(vm, 1u << VT_AU_TRUTH);   /* the checksum counts truths only */
    memset(out, 0, sizeof *out);
    vt_sink sink = {out, no_action, count_truth};
    vt_value url[3][1], purchase[2], fields[8];
    for (int i = 0; i < 3; i++) { memset(url[i], 0, sizeof url[i]); url[i][0].type = VT_V_TEXT; url[i][0].u.s.p = urls[i]; url[i][0].u.s.len = (uint32_t)strlen(urls[i]); }
    memset(purchase, 0, sizeof purchase);
    purchase[0].type = VT_V_MONEY;
    memcpy(purchase[0].currency, "EUR", 4);
    char id[32];
    double t0 = now_s();
    for (size_t i = 0; i < n; i++) {
        const ev *e = &evs[i];
        vt_contact *c = &cs[e->contact];
        /* A batch simulator knows which contacts come next: fetch their state early (two
         * stages: the vt_contact, then the buffer it points to). */
        if (prefetch && i + 16 < n) {
            __builtin_prefetch(&cs[evs[i + 16].contact]);
            const vt_contact *nx = &cs[evs[i + 8].contact];
            if (nx->data) vt_contact_prefetch(nx);
        }
        if (!c->data) {
            snprintf(id, sizeof id, "c%u", e->contact);
            if (vt_contact_init(vm, c, id, e->at) != 0) return -1;
            memset(fields, 0, sizeof fields);
            fields[f_role].type = VT_V_TEXT; fields[f_role].u.s.p = roles[e->contact % 4]; fields[f_role].u.s.len = (uint32_t)strlen(roles[e->contact % 4]);
            fields[f_size].type = VT_V_INT; fields[f_size].u.i = (e->contact * 7) % 100;
            fields[f_consent].type = VT_V_BOOL; fields[f_consent].u.b = e->contact % 3 != 0;
            vt_input cr = {VT_INPUT_CREATED, e->at, id, fields, s->ncontact_fields, false};
            if (vt_vm_apply(vm, c, &cr, &sink) != 0) return -1;
        } else if (vt_vm_advance(vm, c, e->at, &sink) != 0) return -1;
        vt_input in = {ev_index[e->type], e->at, NULL, NULL, 0, false};
        if (e->type == EV_PAGE_VIEW) { in.values = url[e->url]; in.nvalues = 1; }
        else if (e->type == EV_PURCHASE) { purchase[0].u.i = e->amount; in.values = purchase; in.nvalues = 2; }
        if (vt_vm_apply(vm, c, &in, &sink) != 0) { fprintf(stderr, "vm_bench: %s\n", vt_vm_error(vm)); return -1; }
    }
    *secs = now_s() - t0;
    for (uint32_t i = 0; i < nc; i++) {
        if (!cs[i].data) continue;
        out->states[vt_contact_state(&cs[i], 0)]++;
        out->score += vt_contact_field(&cs[i], (uint32_t)f_score).u.i;
        vt_contact_free(&cs[i]);
    }
    free(cs);
    vt_vm_free(vm);
    vt_program_free(p);
    return 0;
}

/* ---- 2. the same logic in plain C ---- */

enum { LEAD, MQL, SQL, OPPORTUNITY, CUSTOMER, LOST };
typedef struct cstate {
    int64_t pricing[3];     /* the last 3 /pricing views (a ring), for `>= 3 within 7d` */
    int32_t score;
    uint8_t n, head, state, consent, truth, created;
} cstate;

static bool final_state(int s) { return s == CUSTOMER || s == LOST; }

__attribute__((noinline)) static void run_c(const ev *evs, size_t n, uint32_t nc, sum *out, double *secs) {
    cstate *cs = calloc(nc, sizeof *cs);
    memset(out, 0, sizeof *out);
    double t0 = now_s();
    for (size_t i = 0; i < n; i++) {
        const ev *e = &evs[i];
        cstate *c = &cs[e->contact];
        if (!c->created) { c->created = 1; c->consent = e->contact % 3 != 0; c->state = LEAD; }
        /* The VM wakes the contact when its window expires, so a truth that lapsed
         * between two events is false before the next one: the same check here. */
        if (c->truth) {
            int still = 0;
            for (int j = 0; j < c->n; j++) still += c->pricing[j] > e->at - 7 * 86400;
            if (still < 3) c->truth = 0;
        }
        switch (e->type) {
        case EV_PAGE_VIEW:
            if (strncmp(urls[e->url], "/pricing", 8) == 0) {
                c->score += 5;
                if (c->n < 3) c->pricing[(c->head + c->n++) % 3] = e->at;
                else { c->pricing[c->head] = e->at; c->head = (uint8_t)((c->head + 1) % 3); }
            }
            break;
        case EV_FORM: c->score += 10; break;
        case EV_EMAIL_REPLIED: c->score += 10; break;
        case EV_DEMO: c->score += 30; break;
        case EV_UNSUB: c->consent = 0; break;
        default: break;
        }
        int in_window = 0;
        for (int j = 0; j < c->n; j++) in_window += c->pricing[j] > e->at - 7 * 86400;
        bool truth = in_window >= 3;
        if (truth && !c->truth) out->truths++;
        c->truth = truth;
        /* settle: first transition in declaration order, at most once per state */
        uint8_t visited = (uint8_t)(1u << c->state);
        for (;;) {
            int to = -1, s = c->state;
            if (s == LEAD && (c->score >= 40 || truth)) to = MQL;
            else if (s == MQL && e->type == EV_DEMO) to = SQL;
            else if (s == SQL && e->type == EV_DEAL) to = OPPORTUNITY;
            else if (s == OPPORTUNITY && e->type == EV_PURCHASE) to = CUSTOMER;
            if ((to < 0 || (visited & (1u << to))) && !final_state(s) && e->type == EV_UNSUB && !(visited & (1u << LOST))) to = LOST;
            if (to < 0 || (visited & (1u << to))) break;
            c->state = (uint8_t)to;
            visited |= (uint8_t)(1u << to);
        }
    }
    *secs = now_s() - t0;
    for (uint32_t i = 0; i < nc; i++)
        if (cs[i].created) { out->states[cs[i].state]++; out->score += cs[i].score; }
    free(cs);
}

/* ---- 3. Lua 5.4 ---- */

static int run_lua(const char *script, size_t n, uint32_t nc, sum *out, double *secs) {
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "lua5.4 %s %zu %u", script, n, nc);
    FILE *f = popen(cmd, "r");
    if (!f) return -1;
    memset(out, 0, sizeof *out);
    int got = fscanf(f, "%lf %ld %ld %ld %ld %ld %ld %lld %ld", secs, &out->states[0], &out->states[1], &out->states[2],
                     &out->states[3], &out->states[4], &out->states[5], &out->score, &out->truths);
    int rc = pclose(f);
    return got == 9 && rc == 0 ? 0 : -1;
}

static bool same(const sum *a, const sum *b) {
    return memcmp(a->states, b->states, sizeof a->states) == 0 && a->score == b->score && a->truths == b->truths;
}

int main(int argc, char **argv) {
    size_t n = 10000000;
    uint32_t nc = 100000;
    const char *flow = "bench/vm_b2b.flow", *lua = "bench/vm_bench.lua";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--events")) n = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--contacts")) nc = (uint32_t)strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--flow")) flow = argv[i + 1];
        else if (!strcmp(argv[i], "--lua")) lua = argv[i + 1];
        else { fprintf(stderr, "usage: %s [--events N] [--contacts N] [--flow PATH] [--lua PATH|none]\n", argv[0]); return 2; }
    }
    if (n == 0 || nc == 0) { fprintf(stderr, "vm_bench: --events and --contacts must be positive\n"); return 2; }
    ev *evs = malloc(n * sizeof *evs);
    if (!evs) { fprintf(stderr, "vm_bench: out of memory for %zu events\n", n); return 2; }
    generate(evs, n, nc);
    printf("VM benchmark: %zu events, %u contacts, rules and transitions of the B2B example\n", n, nc);
    sum sv, sp, sc, sl;
    double tv, tp, tc, tl = 0;
    if (run_vm(flow, evs, n, nc, 0, &sv, &tv) != 0 || run_vm(flow, evs, n, nc, 1, &sp, &tp) != 0) return 2;
    run_c(evs, n, nc, &sc, &tc);
    print_sum("verity vm", &sv, tv, n);
    print_sum("vm+prefetch", &sp, tp, n);
    print_sum("plain C", &sc, tc, n);
    int ok = same(&sv, &sc) && same(&sp, &sc);
    if (strcmp(lua, "none") != 0) {
        if (run_lua(lua, n, nc, &sl, &tl) == 0) {
            print_sum("lua 5.4", &sl, tl, n);
            ok = ok && same(&sv, &sl);
        } else {
            printf("lua 5.4        (not run: lua5.4 or %s unavailable)\n", lua);
        }
    }
    printf("vm / C = %.2fx, vm+prefetch / C = %.2fx", tv / tc, tp / tc);
    if (tl > 0) printf(", lua / vm = %.2fx", tl / tv);
    printf("\n");
    free(evs);
    if (!ok) { fprintf(stderr, "vm_bench: the implementations disagree: the comparison is void\n"); return 1; }
    return 0;
}
