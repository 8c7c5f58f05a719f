/* `verity test`: each test block runs on its own empty in-memory store through the
 * shared runner (runner.h), one input at a time, so expectations can look at the
 * contacts between inputs. Each contact also keeps the events it was fed, for the
 * history expressions of `expect` (testrun_eval.h). Coverage comes from the audit
 * records and actions seen. */
#include "testrun.h"
#include "../common/mem.h"
#include "../common/timeutil.h"
#include "../compiler/check.h"
#include "../compiler/codegen.h"
#include "record.h"
#include "runner.h"
#include "testrun_eval.h"
#include "vbc.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* One contact of the running test: its persisted state between inputs, and the events
 * it was fed (each owning its payload and `before` copies). */
typedef struct tcontact {
    char *id;
    uint8_t *blob;
    size_t len;
    int64_t clock;
    bool exists;
    vt_tx_event *evs;
    size_t nevs, evs_cap;
} tcontact;

/* An outbox row seen during the running test. */
typedef struct trow {
    char *contact, *what;       /* what: template (send) or text */
    const char *kind, *channel, *team, *reason;
    int64_t at;
    bool emitted;
} trow;

/* A workflow step that writes to the outbox, for --coverage. */
typedef struct tstep {
    int wf;
    const vt_stmt *st;
    bool hit;
} tstep;

typedef struct trun {
    const vt_testrun_opts *o;
    vt_sources *src;
    vt_unit *u;
    vt_program *p;
    const vt_schema *s;
    vt_runner *r;
    vt_vm *svm;                 /* a scratch VM: the contact as an event's `where` sees it */
    vt_tz *tz;
    tcontact *cs;
    size_t ncs, cs_cap;
    trow *rows;
    size_t nrows, rows_cap;
    uint8_t *trans_hit, *truth_hit;
    tstep *steps;
    size_t nsteps, steps_cap;
    vt_value *vals, *hvals;     /* hvals: history scans decode payloads here */
    uint8_t *pay;
    size_t pay_cap;
    uint64_t seq;
    FILE *msg;                  /* the running test's failure lines */
    unsigned nfail;             /* failed expectations of the running test */
    bool oom;
} trun;

/* ---- messages ----------------------------------------------------------------------- */

static void at_span(trun *t, vt_span sp) {
    uint32_t line = 0, col = 0;
    vt_sources_linecol(t->src, sp.file, sp.start, &line, &col);
    fprintf(t->msg, "    %s:%u:%u: ", sp.file < t->src->n ? t->src->v[sp.file].path : "?", line, col);
}

static void failf(trun *t, vt_span sp, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void failf(trun *t, vt_span sp, const char *fmt, ...) {
    at_span(t, sp);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(t->msg, fmt, ap);
    va_end(ap);
    fputc('\n', t->msg);
    t->nfail++;
}

/* The source text of a span, on one line. */
static void span_text(trun *t, vt_span sp, char *buf, size_t cap) {
    size_t n = 0;
    if (sp.file < t->src->n && sp.end <= t->src->v[sp.file].len) {
        const char *s = t->src->v[sp.file].text;
        for (uint32_t i = sp.start; i < sp.end && n + 4 < cap; i++) {
            char ch = s[i] == '\n' || s[i] == '\t' || s[i] == '\r' ? ' ' : s[i];
            if (ch == ' ' && n && buf[n - 1] == ' ') continue;
            buf[n++] = ch;
        }
        if (sp.end - sp.start > cap - 4) memcpy(buf + n, "...", 3), n += 3;
    }
    buf[n] = 0;
}

static void time_text(int64_t at, char buf[21]) { vt_format_utc(at, buf); }

/* ---- the runner's sink ------------------------------------------------------------- */

static int on_row(void *ud, const vt_outrow *r) {
    trun *t = ud;
    if (VT_GROW(t->rows, t->rows_cap, t->nrows + 1)) return t->oom = true, -1;
    const char *what = r->template_ ? r->template_ : r->text ? r->text : "";
    trow *w = &t->rows[t->nrows];
    *w = (trow){vt_strdup(r->contact), vt_strdup(what), r->kind, r->channel, r->team, r->reason, r->at,
                r->status && !strcmp(r->status, "emitted")};
    if (!w->contact || !w->what) {
        vt_free(w->contact), vt_free(w->what);
        return t->oom = true, -1;
    }
    t->nrows++;
    int wf = -1;
    for (uint32_t i = 0; r->workflow && i < t->s->nworkflows; i++)
        if (!strcmp(t->s->workflows[i], r->workflow)) wf = (int)i;
    for (size_t i = 0; i < t->nsteps; i++)
        if (t->steps[i].wf == wf && (int64_t)t->steps[i].st->step_id == r->step) t->steps[i].hit = true;
    return 0;
}

static int on_audit(void *ud, const vt_audit *a) {
    trun *t = ud;
    if (a->kind == VT_AU_TRANSITION && a->d >= 0 && (uint32_t)a->d < t->u->transitions.n) t->trans_hit[a->d] = 1;
    if (a->kind == VT_AU_TRUTH && a->a >= 0 && (uint32_t)a->a < t->u->truths.n) t->truth_hit[a->a] = 1;
    return 0;
}

/* ---- running inputs ---------------------------------------------------------------- */

static tcontact *contact(trun *t, const char *id, bool create) {
    for (size_t i = 0; i < t->ncs; i++)
        if (!strcmp(t->cs[i].id, id)) return &t->cs[i];
    if (!create) return NULL;
    if (VT_GROW(t->cs, t->cs_cap, t->ncs + 1)) return t->oom = true, NULL;
    tcontact *c = &t->cs[t->ncs];
    *c = (tcontact){vt_strdup(id), NULL, 0, INT64_MIN, false, NULL, 0, 0};
    if (!c->id) return t->oom = true, NULL;
    t->ncs++;
    return c;
}

/* Runs the contact's inputs (or just its wake-ups, n == 0) up to `until` and keeps the
 * state it ends in. Returns 0, or -1 with the failure reported at sp. */
static int run_contact(trun *t, tcontact *c, const vt_run_in *in, size_t n, int64_t until, vt_span sp) {
    if (!c->exists && n == 0) return 0;
    if (vt_runner_contact(t->r, c->id, c->exists ? c->blob : NULL, c->len, &c->clock, in, n, until)) {
        if (t->oom) return -1;
        failf(t, sp, "the run stopped: %s", vt_runner_error(t->r));
        return -1;
    }
    const vt_contact *st = vt_runner_state(t->r);
    if (!st) return 0;
    uint8_t *b = vt_realloc(c->blob, st->len ? st->len : 1);
    if (!b) return t->oom = true, -1;
    memcpy(b, st->data, st->len);
    c->blob = b, c->len = st->len, c->exists = true;
    return 0;
}

/* Encodes `f: v, ...` against the contact's or an event's fields. */
static long payload(trun *t, const vt_schema_field *fs, uint32_t nf, vt_field_init **inits, uint32_t n, vt_tx *x,
                    char *pool, size_t pool_cap) {
    for (uint32_t i = 0; i <= nf; i++) memset(&t->vals[i], 0, sizeof t->vals[i]);
    size_t used = 0;
    for (uint32_t i = 0; i < n; i++) {
        const vt_field_init *fi = inits[i];
        uint32_t k = 0;
        while (k < nf && strcmp(fs[k].name, fi->name.text ? fi->name.text : "")) k++;
        if (k == nf) {
            failf(t, fi->name.span, "there is no field `%s` here", fi->name.text ? fi->name.text : "?");
            return -1;
        }
        if (vt_tx_literal(x, fi->value, fs[k].type, &t->vals[k], pool + used, pool_cap - used)) {
            failf(t, fi->value->span, "the value of `%s` must be a plain value (a number, a text, a date ...)",
                  fs[k].name);
            return -1;
        }
        if (t->vals[k].type == VT_V_TEXT) used += t->vals[k].u.s.len + 1;
    }
    long len = vt_payload_encode(t->s, fs, nf, t->vals, &t->pay, &t->pay_cap);
    if (len < 0) t->oom = true;
    return len;
}

static int quiet_action(void *ud, const vt_action *a) {
    (void)ud, (void)a;
    return 0;
}

static void free_event(vt_tx_event *e) {
    vt_free((void *)e->payload), vt_free((void *)e->before);
    e->payload = e->before = NULL;
}

/* The event about to be fed, as history will read it: its payload, the instant it is
 * processed, and the contact as its `where` filters see it. The runner fires the
 * wake-ups due by `at` before the event (or creates the contact and runs `created`);
 * the scratch VM does the same to a copy, quietly. Returns 0, or -1 (reported at sp). */
static int keep_event(trun *t, tcontact *c, int type, int64_t at, const char *id, long plen, vt_tx_event *e,
                      vt_span sp) {
    *e = (vt_tx_event){type, at, c->exists && at < c->clock ? c->clock : at, NULL, (size_t)plen, NULL, 0};
    uint8_t *pl = vt_malloc(plen ? (size_t)plen : 1);
    if (!pl) return t->oom = true, -1;
    if (plen) memcpy(pl, t->pay, (size_t)plen);
    e->payload = pl;
    vt_sink quiet = {t, quiet_action, NULL};
    vt_contact sc = {0};
    int rc;
    if (!c->exists) {
        rc = vt_contact_init(t->svm, &sc, c->id, at);
        vt_input in = {VT_INPUT_CREATED, at, id, NULL, 0, false};
        if (!rc) rc = vt_vm_apply(t->svm, &sc, &in, &quiet);
    } else {
        rc = vt_contact_restore(t->svm, &sc, c->blob, c->len);
        if (!rc && at >= c->clock) rc = vt_vm_advance(t->svm, &sc, at, &quiet);
    }
    uint8_t *b = rc ? NULL : vt_malloc(sc.len ? sc.len : 1);
    if (b) memcpy(b, sc.data, sc.len);
    e->before = b, e->blen = sc.len;
    if (!b) {
        const char *why = rc ? vt_vm_error(t->svm) : NULL;
        if (why && *why) failf(t, sp, "the run stopped: %s", why);
        else t->oom = true;
    }
    vt_contact_free(&sc);
    if (!b) free_event(e);
    return b ? 0 : -1;
}

static int input(trun *t, const char *who, int type, int64_t at, vt_field_init **inits, uint32_t n, vt_span sp) {
    vt_tx x = {.s = t->s, .u = t->u, .tz = t->tz, .now = at};
    char pool[8192];
    const vt_schema_field *fs = type == VT_INPUT_CONTACT ? t->s->contact_fields : t->s->events[type].fields;
    uint32_t nf = type == VT_INPUT_CONTACT ? t->s->ncontact_fields : t->s->events[type].nfields;
    long len = payload(t, fs, nf, inits, n, &x, pool, sizeof pool);
    if (len < 0) return -1;
    tcontact *c = contact(t, who, true);
    if (!c) return -1;
    char id[48];
    snprintf(id, sizeof id, "test-%llu", (unsigned long long)++t->seq);
    vt_run_in in = {type, at, (int64_t)t->seq, id, t->pay, (size_t)len};
    if (type < 0) return run_contact(t, c, &in, 1, at, sp);
    vt_tx_event e;
    if (keep_event(t, c, type, at, id, len, &e, sp)) return -1;
    int rc = run_contact(t, c, &in, 1, at, sp);
    if (!rc && VT_GROW(c->evs, c->evs_cap, c->nevs + 1)) rc = -1, t->oom = true;
    if (rc) {
        free_event(&e);
        return -1;
    }
    c->evs[c->nevs++] = e;
    return 0;
}

/* ---- expectations ---------------------------------------------------------------- */

static const char *act_kind(vt_stmt_kind k) {
    return k == VT_S_TASK ? "task" : k == VT_S_NOTIFY ? "notify" : "escalate";
}

static bool row_matches(const trow *w, const vt_stmt *s, const char *tpl, bool emitted_only) {
    const char *who = s->u.t_expect.contact.text;
    if (who && strcmp(w->contact, who)) return false;
    if (emitted_only && !w->emitted) return false;
    if (s->u.t_expect.what == VT_X_SENT)
        return !strcmp(w->kind, "send") && w->channel && !strcmp(w->channel, s->u.t_expect.channel.text) &&
               (!tpl || !strcmp(w->what, tpl));
    return !strcmp(w->kind, act_kind(s->u.t_expect.action));
}

static void row_text(trun *t, const trow *w, bool with_contact) {
    char at[21];
    time_text(w->at, at);
    if (with_contact) fprintf(t->msg, "%s ", w->contact);
    if (!strcmp(w->kind, "send")) fprintf(t->msg, "%s \"%s\" at %s", w->channel ? w->channel : "?", w->what, at);
    else fprintf(t->msg, "%s to %s \"%s\" at %s", w->kind, w->team ? w->team : "?", w->what, at);
    if (!w->emitted) fprintf(t->msg, " (%s)", w->reason ? w->reason : "suppressed");
}

/* Lists rows matching pred (match: as the expectation, or any send of the contact). */
static void list_rows(trun *t, const vt_stmt *s, const char *tpl, bool all_sends, bool emitted) {
    const char *who = s->u.t_expect.contact.text;
    size_t shown = 0, more = 0;
    for (size_t i = 0; i < t->nrows; i++) {
        const trow *w = &t->rows[i];
        bool m = all_sends ? (!who || !strcmp(w->contact, who)) && !strcmp(w->kind, "send") && w->emitted == emitted
                           : row_matches(w, s, tpl, false) && w->emitted == emitted;
        if (!m) continue;
        if (shown == 5) {
            more++;
            continue;
        }
        fputs(shown ? ", " : "", t->msg);
        row_text(t, w, who == NULL);
        shown++;
    }
    if (more) fprintf(t->msg, ", and %zu more", more);
}

static size_t count_rows(trun *t, const vt_stmt *s, const char *tpl, bool emitted) {
    size_t n = 0;
    for (size_t i = 0; i < t->nrows; i++)
        if (row_matches(&t->rows[i], s, tpl, false) && t->rows[i].emitted == emitted) n++;
    return n;
}

static void expect_outbox(trun *t, const vt_stmt *s) {
    const char *who = s->u.t_expect.contact.text;
    bool neg = s->u.t_expect.negated, has_count = s->u.t_expect.has_count;
    char tplbuf[1024];
    const char *tpl = NULL;
    if (s->u.t_expect.what == VT_X_SENT && s->u.t_expect.template_) {
        vt_tx x = {.s = t->s, .u = t->u, .tz = t->tz};
        vt_value v;
        if (vt_tx_literal(&x, s->u.t_expect.template_, VT_V_TEXT, &v, tplbuf, sizeof tplbuf) || v.type != VT_V_TEXT) {
            failf(t, s->span, "the template name must be a plain text, such as \"welcome\"");
            return;
        }
        tpl = tplbuf;
    }
    size_t n = count_rows(t, s, tpl, true);
    bool holds = has_count ? n == (size_t)s->u.t_expect.count : n > 0;
    if (holds != neg) return;
    /* What was expected, in words. */
    char want[1200], subject[200];
    if (s->u.t_expect.what == VT_X_SENT) {
        int k = snprintf(want, sizeof want, "sent %s", s->u.t_expect.channel.text);
        if (tpl) k += snprintf(want + k, sizeof want - (size_t)k, " \"%s\"", tpl);
        if (has_count) snprintf(want + k, sizeof want - (size_t)k, " count %lld", (long long)s->u.t_expect.count);
        snprintf(subject, sizeof subject, "%s", who ? who : "a contact");
        at_span(t, s->span);
        fprintf(t->msg, "expected %s %sto have been %s; ", subject, neg ? "not " : "", want);
    } else {
        const char *k = act_kind(s->u.t_expect.action);
        at_span(t, s->span);
        if (has_count) fprintf(t->msg, "expected %s%s count %lld", neg ? "no " : "", k, (long long)s->u.t_expect.count);
        else fprintf(t->msg, "expected %s %s", neg ? "no" : strchr("aeiou", k[0]) ? "an" : "a", k);
        fprintf(t->msg, " %s%s; ", who ? "for " : "for any contact", who ? who : "");
    }
    t->nfail++;
    if (!neg && !has_count && s->u.t_expect.what == VT_X_SENT) {
        bool any = false;
        for (size_t i = 0; i < t->nrows && !any; i++)
            any = (!who || !strcmp(t->rows[i].contact, who)) && !strcmp(t->rows[i].kind, "send") && t->rows[i].emitted;
        if (who) fprintf(t->msg, "%s was sent%s", who, any ? ": " : " nothing");
        else fputs(any ? "the contacts were sent: " : "no contact was sent anything", t->msg);
        if (any) list_rows(t, s, tpl, true, true);
    } else if (n == 0) {
        fputs("found none", t->msg);
    } else {
        fprintf(t->msg, "found %zu: ", n);
        list_rows(t, s, tpl, false, true);
    }
    if (!neg && count_rows(t, s, tpl, false)) {
        fputs("; suppressed: ", t->msg);
        list_rows(t, s, tpl, false, false);
    }
    fputc('\n', t->msg);
}

static void expect_cond(trun *t, const vt_stmt *s, int64_t now) {
    const char *who = s->u.t_expect.contact.text;
    char text[300];
    span_text(t, s->u.t_expect.cond ? s->u.t_expect.cond->span : s->span, text, sizeof text);
    tcontact *c = who ? contact(t, who, false) : NULL;
    if (!c || !c->exists) {
        failf(t, s->span, "expected %s %s; but %s does not exist yet (no `contact` or `at` line has named it "
                          "before this one)", who ? who : "?", text, who ? who : "the contact");
        return;
    }
    vt_contact view = {c->blob, c->len, c->len};
    vt_tx x = {.s = t->s, .u = t->u, .c = &view, .tz = t->tz, .now = now, .src = t->src, .hist = c->evs,
               .nhist = c->nevs, .scratch = t->hvals};
    int r = vt_tx_cond(&x, s->u.t_expect.cond);
    if (r < 0) {
        failf(t, s->span, "cannot check `%s` for %s: %s", text, who, x.why);
        return;
    }
    if ((r != 0) != s->u.t_expect.negated) return;
    if (s->u.t_expect.negated)
        failf(t, s->span, "expected %s not to satisfy `%s`; found %s", who, text, x.flen ? x.found : "it holds");
    else failf(t, s->span, "expected %s %s; found %s", who, text, x.flen ? x.found : "it does not hold");
}

/* ---- one test ---------------------------------------------------------------------- */

static int64_t abs_time(trun *t, const vt_expr *e) {
    if (!e) return 0;
    return e->u.ts.has_zone || !t->tz ? e->u.ts.unix_s : vt_tz_from_local(t->tz, e->u.ts.unix_s);
}

static void reset(trun *t) {
    for (size_t i = 0; i < t->ncs; i++) {
        for (size_t k = 0; k < t->cs[i].nevs; k++) free_event(&t->cs[i].evs[k]);
        vt_free(t->cs[i].id), vt_free(t->cs[i].blob), vt_free(t->cs[i].evs);
    }
    for (size_t i = 0; i < t->nrows; i++) vt_free(t->rows[i].contact), vt_free(t->rows[i].what);
    t->ncs = t->nrows = 0;
    t->seq = 0;
}

/* Brings every contact to the test clock: wake-ups due by then fire. */
static int catch_up(trun *t, int64_t clock, vt_span sp) {
    for (size_t i = 0; i < t->ncs; i++)
        if (run_contact(t, &t->cs[i], NULL, 0, clock, sp)) return -1;
    return 0;
}

static void run_test(trun *t, const vt_decl *d) {
    reset(t);
    t->nfail = 0;
    const vt_block *b = &d->u.test.body;
    /* The test starts at its first absolute `at` (a `contact` line before it creates the
     * contact then), or 2026-01-01T00:00 in the flow's zone when it has none. */
    int64_t start = INT64_MIN;
    for (uint32_t i = 0; i < b->n && start == INT64_MIN; i++)
        if (b->items[i]->kind == VT_S_T_EVENT && !b->items[i]->u.t_event.relative)
            start = abs_time(t, b->items[i]->u.t_event.at);
    if (start == INT64_MIN) start = t->tz ? vt_tz_from_local(t->tz, 1767225600) : 1767225600;
    int64_t clock = start;
    for (uint32_t i = 0; i < b->n && !t->oom; i++) {
        const vt_stmt *s = b->items[i];
        int rc = 0;
        switch (s->kind) {
        case VT_S_T_CONTACT:
            rc = input(t, s->u.t_contact.contact.text, VT_INPUT_CONTACT, clock, s->u.t_contact.fields,
                       s->u.t_contact.nfields, s->span);
            break;
        case VT_S_T_EVENT: {
            /* `at +D` counts from the test's clock: the last `at` or `advance` */
            int64_t at = s->u.t_event.relative ? clock + (s->u.t_event.at ? s->u.t_event.at->u.dur.seconds : 0)
                                               : abs_time(t, s->u.t_event.at);
            if (at > clock) clock = at;
            const char *en = s->u.t_event.event.text;
            int type = vt_schema_event_index(t->s, en, strlen(en));
            if (type < 0) {
                failf(t, s->u.t_event.event.span, "the flow has no event `%s`", en);
                rc = -1;
                break;
            }
            rc = input(t, s->u.t_event.contact.text, type, at, s->u.t_event.fields, s->u.t_event.nfields, s->span);
            break;
        }
        case VT_S_T_ADVANCE:
            if (!s->u.t_advance.dur || s->u.t_advance.dur->kind != VT_E_DURATION) {
                failf(t, s->span, "`advance` needs a duration written out, such as `advance 7d`");
                rc = -1;
                break;
            }
            clock += s->u.t_advance.dur->u.dur.seconds;
            rc = catch_up(t, clock, s->span);
            break;
        case VT_S_T_EXPECT:
            rc = catch_up(t, clock, s->span);
            if (rc) break;
            if (s->u.t_expect.what == VT_X_COND) expect_cond(t, s, clock);
            else expect_outbox(t, s);
            break;
        default: break;
        }
        if (rc) break; /* the run stopped: later expectations would only repeat it */
    }
}

/* ---- coverage ------------------------------------------------------------------------- */

static int collect_steps(trun *t, int wf, const vt_block *b) {
    for (uint32_t i = 0; i < b->n; i++) {
        const vt_stmt *s = b->items[i];
        switch (s->kind) {
        case VT_S_SEND: case VT_S_TASK: case VT_S_NOTIFY: case VT_S_ESCALATE:
            if (VT_GROW(t->steps, t->steps_cap, t->nsteps + 1)) return -1;
            t->steps[t->nsteps++] = (tstep){wf, s, false};
            break;
        case VT_S_IF:
            for (uint32_t k = 0; k < s->u.if_.narms; k++)
                if (collect_steps(t, wf, &s->u.if_.arms[k].body)) return -1;
            break;
        case VT_S_REPEAT:
            if (collect_steps(t, wf, &s->u.repeat.body)) return -1;
            break;
        case VT_S_SPLIT:
            for (uint32_t k = 0; k < s->u.split.narms; k++)
                if (collect_steps(t, wf, &s->u.split.arms[k].body)) return -1;
            break;
        case VT_S_WAIT_UNTIL:
            if (s->u.wait_until.has_else && collect_steps(t, wf, &s->u.wait_until.else_)) return -1;
            break;
        default: break;
        }
    }
    return 0;
}

/* "FILE:LINE: the source line" for a missed item. */
static void missed(trun *t, vt_span sp, const char *suffix) {
    uint32_t line = 0, col = 0;
    vt_sources_linecol(t->src, sp.file, sp.start, &line, &col);
    char text[100];
    vt_span ln = sp;
    if (sp.file < t->src->n) {
        const char *s = t->src->v[sp.file].text;
        uint32_t e = sp.start;
        while (e < sp.end && e < t->src->v[sp.file].len && s[e] != '\n') e++;
        ln.end = e; /* the item's own text, on its first line */
    }
    span_text(t, ln, text, sizeof text);
    fprintf(t->o->out, "  %s:%u: %s%s\n", sp.file < t->src->n ? t->src->v[sp.file].path : "?", line, text,
            suffix ? suffix : "");
}

static void coverage(trun *t, const char *path) {
    const vt_unit *u = t->u;
    size_t nt = 0, nr = 0, ns = 0;
    for (uint32_t i = 0; i < u->transitions.n; i++) nt += t->trans_hit[i];
    for (uint32_t i = 0; i < u->truths.n; i++) nr += t->truth_hit[i];
    for (size_t i = 0; i < t->nsteps; i++) ns += t->steps[i].hit;
    fprintf(t->o->out, "coverage of %s: %zu of %u transitions, %zu of %u truths, %zu of %zu outbox steps exercised\n",
            path, nt, u->transitions.n, nr, u->truths.n, ns, t->nsteps);
    if (nt == u->transitions.n && nr == u->truths.n && ns == t->nsteps) return;
    fputs("not exercised by any test:\n", t->o->out);
    for (uint32_t i = 0; i < u->transitions.n; i++)
        if (!t->trans_hit[i]) missed(t, ((vt_decl *)u->transitions.items[i])->span, NULL);
    for (uint32_t i = 0; i < u->truths.n; i++)
        if (!t->truth_hit[i]) missed(t, ((vt_decl *)u->truths.items[i])->span, NULL);
    for (size_t i = 0; i < t->nsteps; i++) {
        if (t->steps[i].hit) continue;
        char sfx[200];
        int wf = t->steps[i].wf;
        snprintf(sfx, sizeof sfx, "   (workflow %s)",
                 wf >= 0 && (uint32_t)wf < t->s->nworkflows ? t->s->workflows[wf] : "?");
        missed(t, t->steps[i].st->span, sfx);
    }
}

/* ---- one file ----------------------------------------------------------------------- */

static int flow_errors(vt_unit *u, vt_diags *dg, int nerr) {
    if (nerr || dg->nerrors) return 1;
    for (uint32_t i = 0; i < u->nmodules; i++)
        if (u->modules[i] && u->modules[i]->parse_failed) return 1;
    return 0;
}

int vt_testrun_file(const char *path, const vt_testrun_opts *o, vt_testrun_totals *tot) {
    vt_sources src = {0};
    vt_diags dg;
    vt_diags_init(&dg, &src);
    vt_unit u;
    vt_unit_init(&u, &src, &dg);
    trun t = {.o = o, .src = &src, .u = &u};
    int rc = -1;
    char *err = NULL;
    /* As vt_program_compile does: V-checks, and extern functions bound. */
    vt_check_opts copts = {.stdlib_dir = o->stdlib_dir, .analyze = true, .natives = true, .native_dirs = o->native_dirs};
    int nerr = vt_check_file(&u, path, &copts);
    if (dg.oom) goto oom; /* findings were lost: the flow was not fully checked */
    if (flow_errors(&u, &dg, nerr)) {
        vt_diags_finish(&dg);
        vt_diags_render(&dg, VT_FMT_TEXT, o->out, 0);
        fprintf(stderr, "verity test: %s has errors; its tests did not run\n", path);
        tot->broken_flows++;
        rc = 1;
        goto out;
    }
    t.p = vt_codegen(&u, &err);
    if (t.p) t.p = vt_program_ready(t.p, &err);
    if (!t.p) {
        fprintf(stderr, "verity test: %s cannot be compiled: %s\n", path, err ? err : "unknown reason");
        tot->broken_flows++;
        rc = 1;
        goto out;
    }
    t.s = vt_program_schema(t.p);
    t.tz = vt_tz_load(t.s->timezone ? t.s->timezone : "UTC");
    if (!t.tz) {    /* the VM could not load it either: times without a zone would be misread */
        fprintf(stderr, "verity test: %s: cannot load the time zone `%s` (out of memory, or not in the system's "
                        "zone database)\n", path, t.s->timezone ? t.s->timezone : "UTC");
        rc = -1;
        goto out;
    }
    vt_run_sink sink = {&t, on_row, on_audit};
    t.r = vt_runner_new(t.p, &sink, &err);
    if (!t.r) goto oom;
    uint32_t maxf = t.s->ncontact_fields;
    for (uint32_t i = 0; i < t.s->nevents; i++)
        if (t.s->events[i].nfields > maxf) maxf = t.s->events[i].nfields;
    t.vals = vt_calloc(maxf + 1, sizeof *t.vals);
    t.hvals = vt_calloc(maxf + 1, sizeof *t.hvals);
    t.svm = vt_vm_new(t.p);
    t.trans_hit = vt_calloc(u.transitions.n + 1, 1);
    t.truth_hit = vt_calloc(u.truths.n + 1, 1);
    if (!t.vals || !t.hvals || !t.svm || !t.trans_hit || !t.truth_hit) goto oom;
    for (uint32_t i = 0; i < u.workflows.n; i++)
        if (collect_steps(&t, (int)i, &((vt_decl *)u.workflows.items[i])->u.workflow.steps)) goto oom;
    /* Only the root file's tests: an imported module's tests are its own. */
    uint32_t root = u.nmodules && u.modules[0] ? u.modules[0]->file : 0;
    unsigned ntests = 0;
    for (uint32_t i = 0; i < u.tests.n; i++) {
        const vt_decl *d = u.tests.items[i];
        if (d->span.file != root) continue;
        ntests++;
        char *buf = NULL;
        size_t len = 0;
        t.msg = open_memstream(&buf, &len);
        if (!t.msg) goto oom;
        run_test(&t, d);
        fclose(t.msg);
        t.msg = NULL;
        if (t.oom) {
            free(buf);
            goto oom;
        }
        if (t.nfail) {
            fprintf(o->out, "FAIL %s\n%s", d->u.test.name ? d->u.test.name : "?", buf ? buf : "");
            tot->failed++;
        } else {
            fprintf(o->out, "ok   %s\n", d->u.test.name ? d->u.test.name : "?");
            tot->passed++;
        }
        free(buf);
    }
    if (!ntests) fprintf(stderr, "verity test: %s has no `test` blocks\n", path);
    if (o->coverage) coverage(&t, path);
    rc = 0;
    goto out;
oom:
    fprintf(stderr, "verity test: %s: out of memory\n", path);
    rc = -1;
out:
    reset(&t);
    vt_free(t.cs), vt_free(t.rows), vt_free(t.steps), vt_free(t.vals), vt_free(t.hvals), vt_free(t.pay);
    if (t.svm) vt_vm_free(t.svm);
    vt_free(t.trans_hit), vt_free(t.truth_hit);
    vt_runner_free(t.r);
    if (t.tz) vt_tz_free(t.tz);
    if (t.p) vt_program_free(t.p);
    free(err);
    vt_unit_free(&u);
    vt_diags_free(&dg);
    vt_sources_free(&src);
    return rc;
}
