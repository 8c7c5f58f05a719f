/* The simulate benchmark (docs/performance.md, "simulate vs hand-written C"):
 * examples/b2b-leads.flow written by hand in plain C, as a team without Verity would
 * write it, and `verity simulate` on the same JSONL file in the same run.
 *
 *   bench_sim_bench FLOW IN.jsonl [ROUNDS]   ROUNDS pairs (default 1), C and Verity in
 *                                            alternating order, outboxes to /dev/null;
 *                                            prints every run, the medians and the ratio
 *   bench_sim_bench outbox IN.jsonl OUT      the C baseline's outbox, to compare with
 *                                            `verity simulate FLOW IN` (sorted, ids stripped)
 *
 * Each run happens in a child process, so that each has its own CPU time (user + system,
 * as bench_store_bench measures: the machine is shared) and its own peak RSS.
 *
 * The baseline streams the file once: each line's fields are found without a tree,
 * timestamps parsed with digit arithmetic, and every contact is one fixed struct with
 * its own next wake-up (contacts are independent, so a contact's due timers only need
 * to fire before its next input, and at the end). It looks two lines ahead to prefetch
 * the hash table slots and the contact a line will touch (see parse_stage). Its outbox
 * rows have the fields of Verity's in the same order; the row id is its own hash of the
 * same inputs (contact, workflow, enrollment, step, repeat), and the rows come in input
 * order rather than contact by contact, so compare them sorted with the ids stripped.
 * What it assumes of its input, unlike Verity: lines in time order (Verity sorts each
 * contact's inputs; an input older than its contact's clock is counted and run at the
 * clock), strings copied as they are (Verity decodes escapes and writes its own), a
 * record id recognised by its 64-bit hash alone, and no limits on line or text length
 * (Verity's are 1 MiB and 64 KiB). */
#include "runtime/simulate.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- time: digit arithmetic and Europe/Rome ------------------------------------------ */

enum { MIN = 60, HOUR = 3600, DAY = 86400 };

static int64_t floordiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

/* Days since 1970-01-01 of a Gregorian date, and back (H. Hinnant's algorithms). */
static int64_t days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400, doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097, doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365, doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int weekday(int64_t days) { return (int)(days - floordiv(days + 3, 7) * 7 + 3); } /* 0 Monday .. 6 Sunday */

/* Europe/Rome follows the EU rule since 1996: summer time (+2h) from the last Sunday of
 * March to the last Sunday of October, switching at 01:00 UTC; +1h otherwise. The
 * switches are computed once for the years the bench can meet. */
enum { ZONE_Y0 = 1996, ZONE_YEARS = 104 };
typedef struct zone { int64_t sw[2 * ZONE_YEARS]; } zone; /* sorted: start, end, start, ... */

static int64_t last_sunday(int64_t y, int m) { /* March and October have 31 days */
    int64_t d = days_from_civil(y, m, 31);
    return d - (weekday(d) + 1) % 7;
}

static void zone_init(zone *z) {
    for (int i = 0; i < ZONE_YEARS; i++) {
        z->sw[2 * i] = last_sunday(ZONE_Y0 + i, 3) * DAY + HOUR;
        z->sw[2 * i + 1] = last_sunday(ZONE_Y0 + i, 10) * DAY + HOUR;
    }
}

static int64_t zone_offset(const zone *z, int64_t t) {
    size_t lo = 0, hi = 2 * ZONE_YEARS; /* the number of switches at or before t */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (z->sw[mid] <= t) lo = mid + 1;
        else hi = mid;
    }
    return lo % 2 ? 2 * HOUR : HOUR;
}

/* The UTC instant of a local wall-clock time (seconds since 1970 in local time). Only
 * called for times outside 02:00-03:00, which are never skipped or repeated. */
static int64_t zone_utc(const zone *z, int64_t local) {
    int64_t u = local - HOUR;
    return zone_offset(z, u) == HOUR ? u : local - 2 * HOUR;
}

static int digits(const char *s, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* YYYY-MM-DDTHH:MM[:SS[.fff]] then Z, +HH:MM, -HH:MM, or nothing (then it is read in the
 * flow's zone, as Verity does). 0, or -1 when it is not such a timestamp. */
static int parse_time(const zone *z, const char *s, size_t n, int64_t *out) {
    int y, mo, d, h, mi, sec = 0, zh, zm;
    if (n < 16 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d) ||
        s[10] != 'T' || digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi))
        return -1;
    size_t i = 16;
    if (i < n && s[i] == ':') {
        if (i + 3 > n || digits(s + i + 1, 2, &sec)) return -1;
        i += 3;
        if (i < n && s[i] == '.')
            for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) {} /* fractions are truncated */
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return -1;
    int64_t local = days_from_civil(y, mo, d) * DAY + h * HOUR + mi * MIN + sec;
    if (i == n) return *out = zone_utc(z, local), 0;
    if (i + 1 == n && s[i] == 'Z') return *out = local, 0;
    if (i + 6 == n && (s[i] == '+' || s[i] == '-') && !digits(s + i + 1, 2, &zh) && s[i + 3] == ':' &&
        !digits(s + i + 4, 2, &zm))
        return *out = local - (s[i] == '+' ? 1 : -1) * (zh * HOUR + zm * MIN), 0;
    return -1;
}

/* YYYY-MM-DDTHH:MM:SSZ, 20 bytes. */
static char *put_time(char *o, int64_t t) {
    int64_t days = floordiv(t, DAY), s = t - days * DAY, y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    int v[6] = {(int)y, m, d, (int)(s / HOUR), (int)(s / MIN % 60), (int)(s % 60)};
    static const char sep[] = "--T::Z";
    for (int k = 0; k < 6; k++) {
        if (k == 0) *o++ = (char)('0' + v[0] / 1000 % 10), *o++ = (char)('0' + v[0] / 100 % 10);
        *o++ = (char)('0' + v[k] / 10 % 10), *o++ = (char)('0' + v[k] % 10), *o++ = sep[k];
    }
    return o;
}

/* ---- the flow, by hand ------------------------------------------------------------- */

/* Event types in declaration order, then the inputs that are not events. */
enum { PAGE_VIEW, EMAIL_OPENED, EMAIL_REPLIED, FORM_SUBMITTED, DEMO_REQUESTED, SALES_CONTACTED, DEAL_OPENED,
       DEAL_WON, DEAL_LOST, UNSUBSCRIBED, NEVENTS, CONTACT_RECORD = NEVENTS, CREATED, WAKE_UP };
static const char *const event_names[NEVENTS + 1] = {
    "page_view", "email_opened", "email_replied", "form_submitted", "demo_requested", "sales_contacted",
    "deal_opened", "deal_won", "deal_lost", "unsubscribed", "contact"};

enum { LEAD, MQL, SQL, OPPORTUNITY, CUSTOMER, LOST };
enum { MARKETING, SALES, SALES_MANAGER, NO_TEAM = -1 };
static const char *const team_names[] = {"marketing", "sales", "sales_manager"};
static const int state_owner[] = {MARKETING, MARKETING, SALES, SALES, SALES, NO_TEAM};

enum { FAST_RESPONSE, NURTURING, STALLED_DEAL, ONBOARDING, NWORKFLOWS };
static const char *const workflow_names[] = {"fast_response", "nurturing", "stalled_deal", "onboarding"};
static const int workflow_owner[] = {SALES, MARKETING, SALES, SALES};

/* The email channel: consent_email, 3 per 7 days, Mon-Fri 08:00-19:00 local. */
enum { CAP = 3, CAP_PER = 7 * DAY, OPEN = 8 * HOUR, CLOSE = 19 * HOUR };

/* A workflow enrollment: where its steps are and what it waits for. */
enum { RUN, WAIT, WAIT_UNTIL, DELAYED_SEND };
typedef struct enrollment {
    uint8_t active, mode, pc, rep; /* pc: the step to run next; rep: `repeat` iterations done */
    uint32_t count;                /* enrollments so far: part of the row id */
    int64_t start_seq, deadline;   /* the input that enrolled it; when the wait or delay ends */
} enrollment;

typedef struct span { uint32_t off, len; } span; /* bytes in the string arena */

/* One contact, 64-byte aligned: the first cache line holds what every input reads (the
 * clock, the funnel, the workflows enrolled), the second the history; the
 * workflows' lines are read only while one is active. */
typedef struct contact {
    span id;
    int8_t state, owner;
    uint8_t active;               /* workflows enrolled now, as bits */
    bool consent_email, fit_role; /* fit_role: role in ["CMO", "Head of Marketing", "CEO"] */
    uint8_t npricing, nsends;
    int64_t score, clock, seq, next_wake;
    int64_t pricing[CAP];         /* the last 3 /pricing views, oldest first: `count(...) >= 3 within 7d` */
    int64_t last_demo;            /* INT64_MIN: never */
    int64_t contacted_seq;        /* seq of the last sales_contacted, 0: never */
    int64_t company_size;
    span email, first_name, role;
    int64_t sends[CAP];           /* the last 3 emitted emails, oldest first: the cap */
    enrollment wf[NWORKFLOWS];
} __attribute__((aligned(64))) contact;

typedef struct slice { const char *p; size_t n; } slice;

/* What one input line says; absent fields have p == NULL. */
typedef struct line {
    slice type, contact, at, id, url, form, value, reason, email, first_name, role;
    slice company_size, score, consent; /* scalar tokens */
    bool contact_by_key; /* contact is the email of {"email": "..."} */
} line;

/* An input line on its way through the look-ahead (see run_baseline). */
typedef struct pending {
    line l;
    int ev;
    int64_t at, size, score;
    uint64_t id_hash, c_hash;
    uint32_t ci; /* the contact's index */
    bool created, skip; /* skip: rejected or a duplicate */
} pending;

typedef struct mslot {
    uint64_t hash;
    uint32_t index1, len, off; /* index + 1 (0: empty); the key's length and place in the arena */
    char key[12];              /* the key's first bytes */
} mslot;
typedef struct strmap { mslot *slots; size_t cap, n; } strmap;

typedef struct baseline {
    zone z;
    FILE *out;
    contact *cs;
    size_t ncs, cs_cap;
    strmap by_id, by_email; /* contact id, email -> index */
    uint64_t *ids;  /* hashes of the record ids seen; 0 empty */
    size_t ids_cap, nids;
    char *arena;
    size_t arena_len, arena_cap;
    char *row;      /* one outbox row is assembled here, then written with one fwrite */
    size_t row_cap;
    int64_t max_at;
    uint64_t records, rejected, duplicates, out_of_order, actions;
    bool oom;
} baseline;

static uint64_t hash_bytes(const char *s, size_t n) { /* FNV-1a, then a final mix */
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    h ^= h >> 29, h *= 0xbf58476d1ce4e5b9ull, h ^= h >> 32;
    return h ? h : 1;
}

static bool grow(void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return true;
    size_t c = *cap ? *cap : 1024;
    while (c < need) c *= 2;
    void *n = realloc(*p, c * elem);
    if (!n) return false;
    *p = n, *cap = c;
    return true;
}

static span keep(baseline *b, slice s) {
    if (!grow((void **)&b->arena, &b->arena_cap, b->arena_len + s.n, 1)) return b->oom = true, (span){0, 0};
    memcpy(b->arena + b->arena_len, s.p, s.n);
    span r = {(uint32_t)b->arena_len, (uint32_t)s.n};
    b->arena_len += s.n;
    return r;
}

static slice text(const baseline *b, span s) { return (slice){b->arena + s.off, s.len}; }
static bool eq(slice s, const char *lit) { return s.n == strlen(lit) && !memcmp(s.p, lit, s.n); }
static bool starts(slice s, const char *lit) { return s.p && s.n >= strlen(lit) && !memcmp(s.p, lit, strlen(lit)); }

/* ---- the outbox ------------------------------------------------------------------- */

static char *put(char *o, const char *s, size_t n) { return (char *)memcpy(o, s, n) + n; }
#define PUT(o, lit) put(o, lit, sizeof lit - 1)

/* One outbox row, in the field order of `verity outbox --format jsonl`. A send names
 * its template (channel email), the rest a team and a text; body is either, in parts. */
typedef struct action {
    const char *kind;
    int team;           /* NO_TEAM for a send */
    slice body[5];      /* template or text, concatenated */
    int64_t due;        /* 0: none */
    const char *reason; /* NULL: emitted */
} action;

static void emit(baseline *b, const contact *c, int wf, int step, int64_t now, const action *a) {
    const enrollment *e = &c->wf[wf];
    size_t need = 400 + c->id.len;
    for (int i = 0; i < 5; i++) need += a->body[i].n;
    if (!grow((void **)&b->row, &b->row_cap, need, 1)) {
        b->oom = true;
        return;
    }
    /* The id: a 128-bit hash of what makes the action unique (two FNV lanes). */
    uint32_t parts[4] = {(uint32_t)wf, e->count, (uint32_t)step, e->rep};
    uint64_t h1 = hash_bytes(b->arena + c->id.off, c->id.len), h2 = h1 ^ 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < sizeof parts; i++) {
        unsigned char x = ((const unsigned char *)parts)[i];
        h1 = (h1 ^ x) * 0x100000001b3ull, h2 = (h2 ^ x) * 1099511628211ull + 0x9e3779b97f4a7c15ull;
    }
    static const char hex[] = "0123456789abcdef";
    char *o = PUT(b->row, "{\"id\":\"");
    for (int i = 0; i < 16; i++) *o++ = hex[(h1 >> (60 - 4 * i)) & 15];
    for (int i = 0; i < 16; i++) *o++ = hex[(h2 >> (60 - 4 * i)) & 15];
    o = PUT(o, "\",\"contact\":\""), o = put(o, b->arena + c->id.off, c->id.len);
    o = PUT(o, "\",\"at\":\""), o = put_time(o, now);
    o = PUT(o, "\",\"kind\":\""), o = put(o, a->kind, strlen(a->kind));
    bool send = a->team == NO_TEAM;
    if (send) o = PUT(o, "\",\"channel\":\"email\",\"template\":\"");
    else o = PUT(o, "\",\"team\":\""), o = put(o, team_names[a->team], strlen(team_names[a->team])), o = PUT(o, "\",\"text\":\"");
    for (int i = 0; i < 5; i++) o = put(o, a->body[i].p ? a->body[i].p : "", a->body[i].n);
    if (a->due) o = PUT(o, "\",\"due\":\""), o = put_time(o, a->due);
    o = PUT(o, "\",\"workflow\":\""), o = put(o, workflow_names[wf], strlen(workflow_names[wf]));
    o = PUT(o, "\",\"step\":\""), *o++ = (char)('0' + step);
    if (a->reason) o = PUT(o, "\",\"status\":\"suppressed\",\"reason\":\""), o = put(o, a->reason, strlen(a->reason));
    else o = PUT(o, "\",\"status\":\"emitted");
    o = PUT(o, "\"}\n");
    fwrite(b->row, 1, (size_t)(o - b->row), b->out);
    b->actions++;
}

/* `owner` in a step: the contact's owner, or the workflow's when it has none. */
static int owner_of(const contact *c, int wf) { return c->owner != NO_TEAM ? c->owner : workflow_owner[wf]; }

static int64_t next_send_time(const zone *z, int64_t t) {
    int64_t local = t + zone_offset(z, t), day = floordiv(local, DAY), sec = local - day * DAY;
    if (weekday(day) < 5 && sec >= OPEN && sec < CLOSE) return t;
    for (int64_t d = 0; d <= 8; d++) /* the next opening, 08:00 on a working day */
        if (weekday(day + d) < 5) {
            int64_t open = zone_utc(z, (day + d) * DAY + OPEN);
            if (open > t) return open;
        }
    return t;
}

/* `send email "..."`: consent, then the cap; outside the window the workflow waits for the
 * next opening and checks both again then (SPEC §6). Returns true when it is waiting. */
static bool send_email(baseline *b, contact *c, int wf, int step, int64_t now, slice t0, slice t1) {
    enrollment *e = &c->wf[wf];
    action a = {"send", NO_TEAM, {t0, t1}, 0, NULL};
    if (e->mode == DELAYED_SEND) e->mode = RUN;
    if (!c->consent_email) {
        a.reason = "no_consent";
    } else if (c->nsends == CAP && c->sends[0] > now - CAP_PER) { /* all of the last 3 within 7 days */
        a.reason = "frequency_cap";
    } else {
        int64_t t = next_send_time(&b->z, now);
        if (t > now) {
            e->mode = DELAYED_SEND, e->deadline = t;
            return true;
        }
    }
    if (!a.reason) { /* only emitted sends count toward the cap */
        if (c->nsends == CAP) memmove(c->sends, c->sends + 1, sizeof c->sends[0] * (CAP - 1)), c->nsends--;
        c->sends[c->nsends++] = now;
    }
    emit(b, c, wf, step, now, &a);
    return false;
}

static void run_steps(baseline *b, contact *c, int wf, int64_t now) {
    enrollment *e = &c->wf[wf];
    slice email = text(b, c->email), first = text(b, c->first_name);
    switch (wf) {
    case FAST_RESPONSE:
        if (e->pc == 0) { /* task owner "Call {first_name} ({email}): demo requested" due 4h */
            action a = {"task", owner_of(c, wf), {{"Call ", 5}, first, {" (", 2}, email, {"): demo requested", 17}},
                        now + 4 * HOUR, NULL};
            emit(b, c, wf, 1, now, &a);
            e->pc = 1, e->mode = WAIT_UNTIL, e->deadline = now + 4 * HOUR;
        }
        /* wait until sales_contacted for 4h else { escalate "SQL {email} not contacted within 4 hours" }:
         * a sales_contacted processed since the enrollment started ends the wait */
        if (c->contacted_seq > e->start_seq) {
            e->active = 0;
        } else if (now >= e->deadline) {
            action a = {"escalate", SALES_MANAGER, {{"SQL ", 4}, email, {" not contacted within 4 hours", 29}}, 0, NULL};
            emit(b, c, wf, 2, now, &a);
            e->active = 0;
        }
        return;
    case NURTURING: /* repeat 4 { send email "nurture-{role}"; wait 7d } */
        if (e->pc == 1 && ++e->rep == 4) { /* a wait has ended: the next iteration, or done */
            e->active = 0;
            return;
        }
        e->pc = 0;
        if (send_email(b, c, wf, 1, now, (slice){"nurture-", 8}, text(b, c->role))) return;
        e->pc = 1, e->mode = WAIT, e->deadline = now + 7 * DAY;
        return;
    case STALLED_DEAL: /* wait 21d; notify sales_manager "Deal with {email} open for 3 weeks: ..." */
        if (e->pc == 0) {
            e->pc = 1, e->mode = WAIT, e->deadline = now + 21 * DAY;
            return;
        }
        action a = {"notify", SALES_MANAGER,
                    {{"Deal with ", 10}, email, {" open for 3 weeks: decide the next step", 39}}, 0, NULL};
        emit(b, c, wf, 1, now, &a);
        e->active = 0;
        return;
    case ONBOARDING: /* send email "welcome-customer"; task owner "Kick-off call with ..." due 2d */
        if (send_email(b, c, wf, 1, now, (slice){"welcome-customer", 16}, (slice){NULL, 0})) return;
        action t = {"task", owner_of(c, wf), {{"Kick-off call with ", 19}, first, {" (", 2}, email, {")", 1}},
                    now + 2 * DAY, NULL};
        emit(b, c, wf, 2, now, &t);
        e->active = 0;
        return;
    }
}

static bool pricing_interest(const contact *c, int64_t now) { /* an event exactly 7d old is outside */
    return c->npricing == CAP && c->pricing[0] > now - 7 * DAY;
}

/* The funnel's next state at this instant, or -1: the first transition out of the
 * current state, in declaration order, whose trigger holds. The funnel has no cycles,
 * so following these ends without tracking the states already visited. */
static int next_state(const contact *c, int ev, int64_t now) {
    switch (c->state) {
    case LEAD: if (c->score >= 40 || pricing_interest(c, now)) return MQL; break;
    case MQL: if (ev == DEMO_REQUESTED) return SQL; break;
    case SQL: if (ev == DEAL_OPENED) return OPPORTUNITY; break;
    case OPPORTUNITY:
        if (ev == DEAL_WON) return CUSTOMER;
        if (ev == DEAL_LOST) return LOST;
        break;
    default: return -1; /* customer and lost are final: `any` does not leave them */
    }
    return ev == UNSUBSCRIBED ? LOST : -1;
}

static void enroll(contact *c, int wf) {
    enrollment *e = &c->wf[wf];
    if (e->active || e->count) return; /* never twice at once, and `reenroll never` */
    *e = (enrollment){.active = 1, .mode = RUN, .count = e->count + 1, .start_seq = c->seq};
    c->active |= (uint8_t)(1u << wf);
}

/* One instant of a contact (SPEC §5): an input or a wake-up. */
static void instant(baseline *b, contact *c, int64_t now, int ev, const line *l) {
    if (now < c->clock) now = c->clock;
    c->clock = now;
    unsigned entered = 0; /* states entered at this instant, as bits */
    if (ev != WAKE_UP) c->seq++;
    /* (1) history and the `on` rules */
    switch (ev) {
    case PAGE_VIEW:
        if (starts(l->url, "/pricing")) {
            if (c->npricing == CAP) memmove(c->pricing, c->pricing + 1, sizeof c->pricing[0] * (CAP - 1)), c->npricing--;
            c->pricing[c->npricing++] = now;
            c->score += 5;
        }
        if (starts(l->url, "/blog")) c->score += 1;
        break;
    case FORM_SUBMITTED: case EMAIL_REPLIED: c->score += 10; break;
    case DEMO_REQUESTED: c->score += 40, c->last_demo = now; break;
    case SALES_CONTACTED: c->contacted_seq = c->seq; break;
    case UNSUBSCRIBED: c->consent_email = false; break;
    case CREATED: /* creation enters the initial state (unless a contact record left it) */
        if (c->state == LEAD) entered |= 1u << LEAD;
        break;
    default: break;
    }
    /* (2) the funnel settles; entering a state with an owner hands the contact over */
    for (int to; (to = next_state(c, ev, now)) >= 0;) {
        c->state = (int8_t)to;
        entered |= 1u << to;
        if (state_owner[to] != NO_TEAM) c->owner = (int8_t)state_owner[to];
    }
    /* (3) truths are logged in Verity's audit, not in the outbox: nothing to do here.
     * (4) enroll, then end what exits or reaches its goal, then run the steps */
    if (entered & 1u << SQL) enroll(c, FAST_RESPONSE);
    if (entered & 1u << MQL) {
        bool good_fit = c->fit_role && c->company_size >= 20;
        bool ready_now = pricing_interest(c, now) || (c->last_demo != INT64_MIN && c->last_demo > now - 14 * DAY);
        if (good_fit && !ready_now) enroll(c, NURTURING);
    }
    if (entered & 1u << OPPORTUNITY) enroll(c, STALLED_DEAL);
    if (entered & 1u << CUSTOMER) enroll(c, ONBOARDING);
    if (!c->active) return; /* most instants: no workflow, nothing to wake up for */
    enrollment *w = c->wf;
    if (w[FAST_RESPONSE].active && c->state != SQL) w[FAST_RESPONSE].active = 0;
    /* nurturing's goal (sql within 60d) is also a way out of mql: the exit, checked
     * first, ends it; the outcome is not in the outbox */
    if (w[NURTURING].active && c->state != MQL) w[NURTURING].active = 0;
    if (w[STALLED_DEAL].active && c->state != OPPORTUNITY) w[STALLED_DEAL].active = 0;
    c->next_wake = INT64_MAX;
    c->active = 0;
    for (int k = 0; k < NWORKFLOWS; k++) {
        enrollment *e = &w[k];
        if (!e->active) continue;
        if ((e->mode == WAIT || e->mode == DELAYED_SEND) && e->deadline > now) {
            if (e->deadline < c->next_wake) c->next_wake = e->deadline;
            continue;
        }
        if (e->mode == WAIT) e->mode = RUN;
        run_steps(b, c, k, now);
        /* (5) the next wake-up: the earliest wait, delay or deadline */
        if (e->active && e->mode != RUN && e->deadline < c->next_wake) c->next_wake = e->deadline;
    }
    for (int k = 0; k < NWORKFLOWS; k++) c->active |= (uint8_t)(w[k].active << k);
}

/* Timers due at or before t fire before an input at t. */
static void wake_until(baseline *b, contact *c, int64_t t) {
    while (c->next_wake <= t) instant(b, c, c->next_wake, WAKE_UP, NULL);
}

/* ---- reading ------------------------------------------------------------------------ */

static const char *skip_ws(const char *p, const char *e) {
    while (p < e && (*p == ' ' || *p == '\t' || *p == '\r')) p++;
    return p;
}

/* The closing quote of a string starting at p: the first '"' after an even number of
 * backslashes. NULL when there is none before e. */
static const char *string_end(const char *p, const char *e) {
    for (const char *q; (q = memchr(p, '"', (size_t)(e - p))); p = q + 1) {
        size_t bs = 0;
        while (q - bs > p && q[-1 - (ptrdiff_t)bs] == '\\') bs++;
        if (bs % 2 == 0) return q;
    }
    return NULL;
}

static slice *field_of(line *l, const char *k, size_t kn) {
#define KEY(lit) (kn == sizeof lit - 1 && !memcmp(k, lit, sizeof lit - 1))
    switch (kn) { /* by length first: most keys are told apart without a compare */
    case 2: return KEY("id") ? &l->id : KEY("at") ? &l->at : NULL;
    case 3: return KEY("url") ? &l->url : NULL;
    case 4: return KEY("type") ? &l->type : KEY("role") ? &l->role : KEY("form") ? &l->form : NULL;
    case 5: return KEY("email") ? &l->email : KEY("score") ? &l->score : KEY("value") ? &l->value : NULL;
    case 6: return KEY("reason") ? &l->reason : NULL;
    case 7: return KEY("contact") ? &l->contact : NULL;
    case 10: return KEY("first_name") ? &l->first_name : NULL;
    case 12: return KEY("company_size") ? &l->company_size : NULL;
    case 13: return KEY("consent_email") ? &l->consent : NULL;
    default: return NULL;
    }
#undef KEY
}

/* Walks the members of one JSON object, keeping the values the flow reads: strings as
 * their raw bytes, scalars as tokens. 0, or -1 when the line is not such an object. */
static int parse_line(const char *p, const char *e, line *l) {
    memset(l, 0, sizeof *l);
    p = skip_ws(p, e);
    if (p == e || *p++ != '{') return -1;
    for (;;) {
        p = skip_ws(p, e);
        if (p == e || *p++ != '"') return -1;
        const char *k = p;
        if (!(p = string_end(p, e))) return -1;
        size_t kn = (size_t)(p++ - k);
        p = skip_ws(p, e);
        if (p == e || *p++ != ':') return -1;
        p = skip_ws(p, e);
        if (p == e) return -1;
        slice v = {p, 0};
        bool str = *p == '"';
        if (str) {
            v.p = ++p;
            if (!(p = string_end(p, e))) return -1;
            v.n = (size_t)(p++ - v.p);
        } else if (*p == '{') { /* a contact named by its key: parsed below */
            while (p < e && *p != '}') p++;
            if (p == e) return -1;
            v.n = (size_t)(++p - v.p);
        } else {
            while (p < e && *p != ',' && *p != '}' && *p != ' ') p++;
            v.n = (size_t)(p - v.p);
        }
        slice *to = field_of(l, k, kn);
        if (to == &l->contact && !str) { /* {"email": "..."}: a contact named by its key */
            line k;
            if (*v.p != '{' || parse_line(v.p, v.p + v.n, &k) || !k.email.p) return -1;
            l->contact_by_key = true;
            v = k.email;
        }
        else if (to && to != &l->company_size && to != &l->score && to != &l->consent && !str) return -1; /* text */
        if (to) *to = v;
        p = skip_ws(p, e);
        if (p < e && *p == ',') {
            p++;
            continue;
        }
        return p < e && *p == '}' ? 0 : -1;
    }
}

static int parse_int(slice s, int64_t *out) {
    size_t i = s.n && s.p[0] == '-';
    if (i == s.n || s.n - i > 18) return -1;
    int64_t v = 0;
    for (; i < s.n; i++) {
        if (s.p[i] < '0' || s.p[i] > '9') return -1;
        v = v * 10 + (s.p[i] - '0');
    }
    *out = s.p[0] == '-' ? -v : v;
    return 0;
}

/* An event's payload fields are required (their values are not checked further: the
 * flow reads only the url). */
static bool has_payload(const line *l, int ev) {
    switch (ev) {
    case PAGE_VIEW: return l->url.p;
    case FORM_SUBMITTED: return l->form.p;
    case DEAL_OPENED: case DEAL_WON: return l->value.p;
    case DEAL_LOST: return l->reason.p;
    default: return true;
    }
}

static int event_type(slice t) {
    static const unsigned char len[NEVENTS + 1] = {9, 12, 13, 14, 14, 15, 11, 8, 9, 12, 7};
    for (int ev = 0; ev <= NEVENTS; ev++)
        if (t.n == len[ev] && !memcmp(t.p, event_names[ev], t.n)) return ev;
    return -1;
}

/* The id set: the ids' hashes, open addressing, at most 3/4 full; 0 marks an empty slot. */
static bool table_grow(uint64_t **t, size_t *cap, size_t n) {
    if ((n + 1) * 4 <= *cap * 3) return true;
    size_t ncap = *cap ? *cap * 2 : 1 << 16;
    uint64_t *nt = calloc(ncap, sizeof *nt);
    if (!nt) return false;
    for (size_t i = 0; i < *cap; i++)
        if ((*t)[i]) {
            size_t j = (*t)[i] & (ncap - 1);
            while (nt[j]) j = (j + 1) & (ncap - 1);
            nt[j] = (*t)[i];
        }
    free(*t);
    *t = nt, *cap = ncap;
    return true;
}
static bool seen_before(baseline *b, uint64_t h) {
    if (!table_grow(&b->ids, &b->ids_cap, b->nids)) return b->oom = true, false;
    size_t j = h & (b->ids_cap - 1);
    for (; b->ids[j]; j = (j + 1) & (b->ids_cap - 1))
        if (b->ids[j] == h) return true;
    b->ids[j] = h, b->nids++;
    return false;
}

/* A string map (contact ids, emails) to contact indexes: its slots hold the key's
 * first bytes, so that finding a contact reads the slot (prefetched two lines ahead)
 * and not the contact (read a line later, prefetched too). */
static bool map_grow(strmap *m) {
    if ((m->n + 1) * 4 <= m->cap * 3) return true; /* at most 3/4 full */
    size_t ncap = m->cap ? m->cap * 2 : 1 << 12;
    mslot *n = calloc(ncap, sizeof *n);
    if (!n) return false;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].index1) {
            size_t j = m->slots[i].hash & (ncap - 1);
            while (n[j].index1) j = (j + 1) & (ncap - 1);
            n[j] = m->slots[i];
        }
    free(m->slots);
    m->slots = n, m->cap = ncap;
    return true;
}

/* The index under key (hash h), or -1 with *slot where it would go. */
static int64_t map_get(const baseline *b, const strmap *m, slice key, uint64_t h, size_t *slot) {
    size_t j = h & (m->cap - 1), kn = key.n < sizeof m->slots->key ? key.n : sizeof m->slots->key;
    for (const mslot *sl; (sl = &m->slots[j])->index1; j = (j + 1) & (m->cap - 1))
        if (sl->hash == h && sl->len == key.n && !memcmp(sl->key, key.p, kn) &&
            (key.n == kn || !memcmp(b->arena + sl->off, key.p, key.n)))
            return sl->index1 - 1;
    *slot = j;
    return -1;
}

static void map_put(baseline *b, strmap *m, size_t slot, slice key, uint64_t h, uint32_t index) {
    mslot *sl = &m->slots[slot];
    *sl = (mslot){.hash = h, .index1 = index + 1, .len = (uint32_t)key.n, .off = keep(b, key).off};
    memcpy(sl->key, key.p, key.n < sizeof sl->key ? key.n : sizeof sl->key);
    m->n++;
}

/* The index of the contact named id (hash h), created with its fields at their defaults
 * when new; -1 when out of memory. */
static int64_t find_contact(baseline *b, slice id, uint64_t h, bool *created) {
    size_t j;
    if (!map_grow(&b->by_id)) return b->oom = true, -1;
    int64_t ci = map_get(b, &b->by_id, id, h, &j);
    if ((*created = ci < 0)) {
        if (b->ncs == b->cs_cap) { /* aligned, so each contact starts a cache line */
            size_t ncap = b->cs_cap ? b->cs_cap * 2 : 1024;
            contact *n = aligned_alloc(64, ncap * sizeof *n);
            if (!n) return b->oom = true, -1;
            if (b->ncs) memcpy(n, b->cs, b->ncs * sizeof *n);
            free(b->cs);
            b->cs = n, b->cs_cap = ncap;
        }
        ci = (int64_t)b->ncs++;
        map_put(b, &b->by_id, j, id, h, (uint32_t)ci);
        b->cs[ci] = (contact){.id = {b->by_id.slots[j].off, (uint32_t)id.n}, .state = LEAD,
                              .owner = (int8_t)state_owner[LEAD], .last_demo = INT64_MIN, .clock = INT64_MIN,
                              .next_wake = INT64_MAX};
    }
    return ci;
}

/* A contact named by its key field ({"email": "..."}): the contact whose contact record
 * gave that email, or a new one with the email as its id, as Verity does. */
static int64_t find_by_email(baseline *b, slice email, uint64_t h, bool *created) {
    size_t j;
    if (!map_grow(&b->by_email)) return b->oom = true, -1;
    int64_t ci = map_get(b, &b->by_email, email, h, &j);
    if (ci >= 0) return *created = false, ci;
    if ((ci = find_contact(b, email, h, created)) >= 0) map_put(b, &b->by_email, j, email, h, (uint32_t)ci);
    return ci;
}

/* A contact record's email names its contact from now on (the first to give it keeps it). */
static void learn_email(baseline *b, slice email, uint32_t ci) {
    size_t j;
    uint64_t h = hash_bytes(email.p, email.n);
    if (!map_grow(&b->by_email)) b->oom = true;
    else if (map_get(b, &b->by_email, email, h, &j) < 0) map_put(b, &b->by_email, j, email, h, ci);
}

static void set_fields(baseline *b, contact *c, const line *l, int64_t size, int64_t score) {
    if (l->email.p) c->email = keep(b, l->email);
    if (l->first_name.p) c->first_name = keep(b, l->first_name);
    if (l->role.p) {
        c->role = keep(b, l->role);
        c->fit_role = eq(l->role, "CMO") || eq(l->role, "Head of Marketing") || eq(l->role, "CEO");
    }
    if (l->company_size.p) c->company_size = size;
    if (l->score.p) c->score = score;
    if (l->consent.p) c->consent_email = l->consent.n == 4; /* "true" (checked) */
}

/* The look-ahead. A contact, its slot in the contact map and the record id's slot in
 * the id set are each a cache miss at random (they outgrow the cache), so each input
 * goes through three stages, two lines apart: parse (and prefetch both slots), look up
 * (the id, the contact; prefetch the contact), run. Every stage sees the inputs in file
 * order, so the result is that of running each line in turn. */
static void parse_stage(baseline *b, pending *q, const char *s, const char *e) {
    line *l = &q->l;
    q->skip = true;
    q->size = q->score = 0;
    if (parse_line(s, e, l) || !l->type.p || !l->contact.p || !l->at.p || !l->id.p ||
        parse_time(&b->z, l->at.p, l->at.n, &q->at) || (q->ev = event_type(l->type)) < 0 || !has_payload(l, q->ev) ||
        (l->company_size.p && parse_int(l->company_size, &q->size)) || (l->score.p && parse_int(l->score, &q->score)) ||
        (l->consent.p && !eq(l->consent, "true") && !eq(l->consent, "false"))) {
        b->rejected++;
        return;
    }
    q->skip = false;
    q->id_hash = hash_bytes(l->id.p, l->id.n);
    q->c_hash = hash_bytes(l->contact.p, l->contact.n);
    if (b->ids_cap) __builtin_prefetch(&b->ids[q->id_hash & (b->ids_cap - 1)]);
    const strmap *m = l->contact_by_key ? &b->by_email : &b->by_id;
    if (m->cap) __builtin_prefetch(&m->slots[q->c_hash & (m->cap - 1)]);
}

static void lookup_stage(baseline *b, pending *q) {
    if (q->skip) return;
    if (seen_before(b, q->id_hash)) {
        b->duplicates++;
        q->skip = true;
        return;
    }
    int64_t ci = q->l.contact_by_key ? find_by_email(b, q->l.contact, q->c_hash, &q->created)
                                     : find_contact(b, q->l.contact, q->c_hash, &q->created);
    if (ci < 0) {
        q->skip = true;
        return;
    }
    if (q->ev == CONTACT_RECORD && q->l.email.p) learn_email(b, q->l.email, (uint32_t)ci);
    q->ci = (uint32_t)ci;
    __builtin_prefetch(&b->cs[ci]);
    __builtin_prefetch((const char *)&b->cs[ci] + 64);
    b->records++;
    if (q->at > b->max_at) b->max_at = q->at;
}

static void run_stage(baseline *b, const pending *q) {
    if (q->skip) return;
    contact *c = &b->cs[q->ci];
    int ev = q->ev;
    int64_t at = q->at;
    if (q->created) { /* a contact record sets its fields before `created` runs */
        if (ev == CONTACT_RECORD) set_fields(b, c, &q->l, q->size, q->score), instant(b, c, at, CONTACT_RECORD, &q->l);
        instant(b, c, at, CREATED, &q->l);
        if (ev != CONTACT_RECORD) instant(b, c, at, ev, &q->l);
        return;
    }
    if (at < c->clock) b->out_of_order++; /* Verity would have sorted it: see the top */
    else wake_until(b, c, at);
    if (ev == CONTACT_RECORD) set_fields(b, c, &q->l, q->size, q->score);
    instant(b, c, at, ev, &q->l);
}

/* Runs the flow over the file, outbox rows to out. 0, or -1 (the reason on stderr). */
static int run_baseline(const char *path, FILE *out, baseline *b) {
    memset(b, 0, sizeof *b);
    zone_init(&b->z);
    b->out = out;
    b->max_at = INT64_MIN;
    FILE *f = fopen(path, "rb");
    if (!f) return perror(path), -1;
    /* Size the id set for the file (about 100 bytes a line), as Verity does. */
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && st.st_size > 0 && !table_grow(&b->ids, &b->ids_cap, (size_t)st.st_size / 100))
        b->oom = true;
    size_t cap = 1 << 20, len = 0, nq = 0; /* nq: lines parsed since the last drain */
    char *buf = malloc(cap);
    pending q[3];
    int rc = -1;
    if (!buf || b->oom) goto out;
    for (;;) {
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        char *p = buf, *end = buf + len, *nl;
        if (n == 0 && ferror(f)) {
            perror(path);
            goto out;
        }
        /* each line; at the end of the file, also a last one without a newline */
        while ((nl = memchr(p, '\n', (size_t)(end - p))) || (n == 0 && p < end && (nl = end))) {
            if (nl > p) {
                parse_stage(b, &q[nq % 3], p, nl);
                if (nq >= 1) lookup_stage(b, &q[(nq - 1) % 3]);
                if (nq >= 2) run_stage(b, &q[(nq - 2) % 3]);
                nq++;
            }
            p = nl + (nl < end);
        }
        /* The lines in flight point into the buffer: finish them before it moves. */
        if (nq >= 1) lookup_stage(b, &q[(nq - 1) % 3]);
        if (nq >= 2) run_stage(b, &q[(nq - 2) % 3]);
        if (nq >= 1) run_stage(b, &q[(nq - 1) % 3]);
        nq = 0;
        if (b->oom) goto out;
        if (n == 0) break;
        len = (size_t)(end - p);
        memmove(buf, p, len);
        if (len == cap) { /* a line longer than the buffer */
            char *nb = realloc(buf, cap * 2);
            if (!nb) goto out;
            buf = nb, cap *= 2;
        }
    }
    /* The end of the input: every contact's timers up to the latest input's time. */
    for (size_t i = 0; i < b->ncs; i++) wake_until(b, &b->cs[i], b->max_at);
    rc = b->oom ? -1 : 0;
out:
    if (rc) fputs("baseline: out of memory, or the input could not be read\n", stderr);
    free(buf);
    fclose(f);
    if (b->out_of_order)
        fprintf(stderr, "baseline: %llu inputs older than their contact's clock (run at the clock; Verity sorts them)\n",
                (unsigned long long)b->out_of_order);
    return rc;
}

static void baseline_free(baseline *b) { free(b->cs), free(b->by_id.slots), free(b->by_email.slots), free(b->ids), free(b->arena), free(b->row); }

/* ---- measuring ---------------------------------------------------------------------- */

static double cpu_s(void) { /* user + system: the machine is shared */
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

typedef struct result { double records, secs, mb; int ok; } result;

static result measure_c(const char *in) {
    result r = {0};
    FILE *null = fopen("/dev/null", "w");
    if (!null) return r;
    baseline b;
    double t = cpu_s();
    r.ok = run_baseline(in, null, &b) == 0 && fflush(null) == 0;
    r.secs = cpu_s() - t;
    r.records = (double)b.records;
    baseline_free(&b);
    fclose(null);
    return r;
}

static result measure_verity(const char *flow, const char *in) {
    result r = {0};
    char *err = NULL;
    vt_program *p = vt_program_open(flow, VT_STDLIB_DIR, &err);
    FILE *null = fopen("/dev/null", "w");
    if (!p || !null) {
        fprintf(stderr, "%s\n", err ? err : "cannot load the flow");
        return r;
    }
    const char *paths[] = {in};
    vt_sim_stats s;
    double t = cpu_s();
    r.ok = vt_simulate(p, paths, 1, INT64_MIN, null, NULL, stderr, &s, &err) == 0;
    r.secs = cpu_s() - t;
    if (!r.ok) fprintf(stderr, "%s\n", err ? err : "simulate failed");
    r.records = (double)s.accepted;
    fclose(null);
    vt_program_free(p);
    return r;
}

/* One run in a child process, so its CPU time and peak RSS are its own. */
static result in_child(const char *flow, const char *in, bool verity) {
    result r = {0};
    int fd[2];
    if (pipe(fd)) return perror("pipe"), r;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) return perror("fork"), r;
    if (pid == 0) {
        close(fd[0]);
        r = verity ? measure_verity(flow, in) : measure_c(in);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        r.mb = (double)ru.ru_maxrss / 1024.0;
        _exit(write(fd[1], &r, sizeof r) == (ssize_t)sizeof r ? 0 : 1);
    }
    close(fd[1]);
    if (read(fd[0], &r, sizeof r) != (ssize_t)sizeof r) r.ok = 0;
    close(fd[0]);
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) r.ok = 0;
    return r;
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, by_value);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void report(const char *what, const result *r) {
    printf("%-10s %10.0f records %8.2f s CPU %10.0f records/s %8.1f MB peak RSS\n", what, r->records, r->secs,
           r->records / r->secs, r->mb);
}

static int bench(const char *flow, const char *in, int rounds) {
    enum { MAXR = 64 };
    double rc[MAXR], rv[MAXR], mc[MAXR], mv[MAXR], ratio[MAXR];
    if (rounds < 1 || rounds > MAXR) return fprintf(stderr, "ROUNDS: 1 to %d\n", MAXR), 2;
    for (int i = 0; i < rounds; i++) {
        result c = {0}, v = {0};
        for (int k = 0; k < 2; k++) { /* alternate which goes first */
            if ((k == 0) == (i % 2 == 0)) c = in_child(flow, in, false), report("c", &c);
            else v = in_child(flow, in, true), report("verity", &v);
        }
        if (!c.ok || !v.ok) return fputs("a run failed\n", stderr), 1;
        rc[i] = c.records / c.secs, rv[i] = v.records / v.secs, mc[i] = c.mb, mv[i] = v.mb;
        ratio[i] = 100.0 * rv[i] / rc[i]; /* a pair ran back to back: the steadier figure on a busy machine */
    }
    double c = median(rc, rounds), v = median(rv, rounds);
    printf("median of %d: c %.0f records/s (%.1f MB), verity %.0f records/s (%.1f MB), verity/c = %.1f%%; "
           "median of the pairs' ratios %.1f%% (target >= 50%%)\n",
           rounds, c, median(mc, rounds), v, median(mv, rounds), 100.0 * v / c, median(ratio, rounds));
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && !strcmp(argv[1], "outbox")) {
        FILE *out = fopen(argv[3], "w");
        if (!out) return perror(argv[3]), 2;
        baseline b;
        int rc = run_baseline(argv[2], out, &b);
        fprintf(stderr, "baseline: %llu records (%llu duplicates, %llu rejected), %zu contacts, %llu actions\n",
                (unsigned long long)b.records, (unsigned long long)b.duplicates, (unsigned long long)b.rejected,
                b.ncs, (unsigned long long)b.actions);
        baseline_free(&b);
        if (fclose(out)) return perror(argv[3]), 2;
        return rc ? 2 : 0;
    }
    if (argc == 3 || argc == 4) return bench(argv[1], argv[2], argc == 4 ? atoi(argv[3]) : 1);
    fputs("usage: bench_sim_bench FLOW IN.jsonl [ROUNDS] | outbox IN.jsonl OUT.jsonl\n", stderr);
    return 2;
}
