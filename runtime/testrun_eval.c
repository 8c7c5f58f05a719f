/* Conditions of `expect c1 COND`, evaluated on the contact's state after the run, and
 * on the events the test fed it for history expressions. */
#include "testrun_eval.h"
#include "../common/timeutil.h"
#include "money.h"
#include "record.h"
#include "vm_internal.h"
#include <fnmatch.h>
#include <stdarg.h>
#include <string.h>

static int cannot(vt_tx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int cannot(vt_tx *x, const char *fmt, ...) {
    if (!x->why[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->why, sizeof x->why, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Notes what was read, once per fact. */
static void note(vt_tx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(vt_tx *x, const char *fmt, ...) {
    char buf[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    size_t bl = strlen(buf);
    for (const char *p = x->found; (p = strstr(p, buf)) != NULL; p += bl)
        if ((p == x->found || p[-1] == ' ') && (p[bl] == ',' || p[bl] == 0)) return;
    if (x->flen + bl + 3 >= sizeof x->found) return;
    if (x->flen) memcpy(x->found + x->flen, ", ", 2), x->flen += 2;
    memcpy(x->found + x->flen, buf, bl + 1);
    x->flen += bl;
}

/* 90000 -> "1d1h", as durations are written in a flow. */
static void dur_text(int64_t d, char *buf, size_t cap) {
    if (d == 0) {
        snprintf(buf, cap, "0s");
        return;
    }
    uint64_t u = d < 0 ? 0 - (uint64_t)d : (uint64_t)d;
    static const struct { char unit; uint64_t secs; } parts[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};
    size_t n = (size_t)snprintf(buf, cap, "%s", d < 0 ? "-" : "");
    for (size_t i = 0; i < sizeof parts / sizeof parts[0] && n < cap; i++) {
        uint64_t k = u / parts[i].secs;
        u %= parts[i].secs;
        if (k) n += (size_t)snprintf(buf + n, cap - n, "%llu%c", (unsigned long long)k, parts[i].unit);
    }
}

void vt_tx_value_text(const vt_schema *s, const vt_value *v, char *buf, size_t cap) {
    switch (v->type) {
    case VT_V_BOOL: snprintf(buf, cap, "%s", v->u.b ? "true" : "false"); break;
    case VT_V_INT: snprintf(buf, cap, "%lld", (long long)v->u.i); break;
    case VT_V_NUMBER: snprintf(buf, cap, "%g", v->u.d); break;
    case VT_V_MONEY: {
        vt_money_format(v->u.i, v->currency, buf, cap);
        size_t n = strlen(buf);     /* an empty sum has no currency: "0.00", not "0.00 " */
        while (n && buf[n - 1] == ' ') buf[--n] = 0;
        break;
    }
    case VT_V_TEXT: snprintf(buf, cap, "\"%.*s\"", (int)(v->u.s.len > 120 ? 120 : v->u.s.len), v->u.s.p); break;
    case VT_V_TIME: {
        char t[21];
        vt_format_utc(v->u.i, t);
        snprintf(buf, cap, "%s", t);
        break;
    }
    case VT_V_DURATION: dur_text(v->u.i, buf, cap); break;
    case VT_V_TEAM:
        snprintf(buf, cap, "%s", v->u.i >= 0 && (uint64_t)v->u.i < s->nteams ? s->teams[v->u.i] : "no team");
        break;
    default: snprintf(buf, cap, "not set"); break;
    }
}

static int list_pos(const vt_list *l, const vt_decl *d) {
    for (uint32_t i = 0; i < l->n; i++)
        if (l->items[i] == d) return (int)i;
    return -1;
}

static int text_of(const vt_expr *e, char *buf, size_t cap, size_t *len) {
    size_t n = 0;
    for (uint32_t i = 0; i < e->u.str.nparts; i++) {
        const vt_str_part *pt = &e->u.str.parts[i];
        if (pt->is_field) return -1;
        size_t l = strlen(pt->text);
        if (n + l >= cap) return -1;
        memcpy(buf + n, pt->text, l);
        n += l;
    }
    buf[n] = 0;
    *len = n;
    return 0;
}

int vt_tx_literal(vt_tx *x, const vt_expr *e, int want, vt_value *out, char *buf, size_t cap) {
    memset(out, 0, sizeof *out);
    bool neg = false;
    if (e->kind == VT_E_UNARY && e->u.unary.op == VT_OP_NEG) neg = true, e = e->u.unary.e;
    switch (e->kind) {
    case VT_E_BOOL: out->type = VT_V_BOOL, out->u.b = e->u.b; break;
    case VT_E_INT:
        if (want == VT_V_NUMBER) out->type = VT_V_NUMBER, out->u.d = (double)e->u.i;
        else out->type = VT_V_INT, out->u.i = e->u.i;
        break;
    case VT_E_NUMBER: out->type = VT_V_NUMBER, out->u.d = e->u.num.v; break;
    case VT_E_MONEY: {
        const char *why;
        out->type = VT_V_MONEY;
        if (!e->u.money.text || vt_money_parse(e->u.money.text, strlen(e->u.money.text), &out->u.i, out->currency, &why))
            return -1;
        break;
    }
    case VT_E_STRING: {
        size_t len;
        if (text_of(e, buf, cap, &len)) return -1;
        out->type = VT_V_TEXT, out->u.s.p = buf, out->u.s.len = (uint32_t)len;
        break;
    }
    case VT_E_DURATION: out->type = VT_V_DURATION, out->u.i = e->u.dur.seconds; break;
    case VT_E_TIMESTAMP:
        out->type = VT_V_TIME;
        out->u.i = e->u.ts.has_zone || !x->tz ? e->u.ts.unix_s : vt_tz_from_local(x->tz, e->u.ts.unix_s);
        break;
    case VT_E_NOW: out->type = VT_V_TIME, out->u.i = x->now; break;
    case VT_E_NAME:
        if (e->u.name.ref == VT_REF_TEAM && e->u.name.decl) {
            out->type = VT_V_TEAM, out->u.i = list_pos(&x->u->teams, e->u.name.decl);
            break;
        }
        return -1;
    default: return -1;
    }
    if (neg) {
        if (out->type == VT_V_NUMBER) out->u.d = -out->u.d;
        else if (out->type == VT_V_INT || out->type == VT_V_MONEY || out->type == VT_V_DURATION) out->u.i = -out->u.i;
        else return -1;
    }
    return 0;
}

static int eval(vt_tx *x, const vt_expr *e, vt_value *v, char *buf, size_t cap);

static int lifecycle_of(vt_tx *x, const vt_expr *lc) {
    if (!lc || lc->kind != VT_E_NAME || lc->u.name.ref != VT_REF_LIFECYCLE || !lc->u.name.decl) return -1;
    return list_pos(&x->u->lifecycles, lc->u.name.decl);
}

static const char *state_name(vt_tx *x, int lc, int st) {
    if (lc < 0 || (uint32_t)lc >= x->s->nlifecycles || st < 0 || (uint32_t)st >= x->s->nstates[lc]) return "?";
    return x->s->states[lc][st];
}

static int in_state(vt_tx *x, const vt_expr *lce, int want) {
    int lc = lifecycle_of(x, lce);
    if (lc < 0 || (uint32_t)lc >= x->s->nlifecycles) return cannot(x, "it names a lifecycle the program does not know");
    int st = vt_contact_state(x->c, (uint32_t)lc);
    note(x, "%s is %s", x->s->lifecycles[lc], state_name(x, lc, st));
    return st == want;
}

static bool has_tag(const vt_contact *c, const char *tag, size_t len) {
    const vt_chdr *h = (const vt_chdr *)c->data;
    if ((uint64_t)h->tags_off + h->tags_len > c->len) return false;
    return vt_tags_has((const char *)c->data + h->tags_off, h->tags_len, tag, (uint32_t)len);
}

static double num(const vt_value *v) { return v->type == VT_V_NUMBER ? v->u.d : (double)v->u.i; }

/* -2: not comparable. */
static int compare(const vt_value *a, const vt_value *b) {
    if (a->type == VT_V_NULL || b->type == VT_V_NULL) return a->type == b->type ? 0 : -2;
    if (a->type == VT_V_TEXT && b->type == VT_V_TEXT) {
        uint32_t n = a->u.s.len < b->u.s.len ? a->u.s.len : b->u.s.len;
        int c = memcmp(a->u.s.p, b->u.s.p, n);
        if (c) return c < 0 ? -1 : 1;
        return a->u.s.len < b->u.s.len ? -1 : a->u.s.len > b->u.s.len;
    }
    if (a->type == VT_V_TEXT || b->type == VT_V_TEXT) return -2;
    /* an empty sum has no currency: it compares with any (as in the VM) */
    if (a->type == VT_V_MONEY && b->type == VT_V_MONEY && a->currency[0] && b->currency[0] &&
        strcmp(a->currency, b->currency))
        return -2;
    if (a->type == VT_V_BOOL || b->type == VT_V_BOOL)
        return a->type == b->type ? (a->u.b == b->u.b ? 0 : a->u.b ? 1 : -1) : -2;
    if (a->type == VT_V_NUMBER || b->type == VT_V_NUMBER) {
        double x = num(a), y = num(b);
        return x < y ? -1 : x > y;
    }
    return a->u.i < b->u.i ? -1 : a->u.i > b->u.i;
}

static int as_bool(vt_tx *x, const vt_value *v) {
    if (v->type == VT_V_NULL) return 0;
    if (v->type != VT_V_BOOL) return cannot(x, "a part of it is not a yes/no condition");
    return v->u.b;
}

static int text_op(vt_binop op, const vt_value *a, const vt_value *b) {
    const char *s = a->u.s.p, *t = b->u.s.p;
    uint32_t sl = a->u.s.len, tl = b->u.s.len;
    switch (op) {
    case VT_OP_STARTS_WITH: return sl >= tl && !memcmp(s, t, tl);
    case VT_OP_ENDS_WITH: return sl >= tl && !memcmp(s + sl - tl, t, tl);
    case VT_OP_CONTAINS:
        for (uint32_t i = 0; i + tl <= sl; i++)
            if (!memcmp(s + i, t, tl)) return 1;
        return 0;
    default: {
        char ss[512], pp[512];
        if (sl >= sizeof ss || tl >= sizeof pp) return 0;
        memcpy(ss, s, sl), ss[sl] = 0;
        memcpy(pp, t, tl), pp[tl] = 0;
        return fnmatch(pp, ss, 0) == 0;
    }
    }
}

static int binary(vt_tx *x, const vt_expr *e, vt_value *v, char *buf, size_t cap) {
    vt_binop op = e->u.bin.op;
    char lb[512], rb[512];
    vt_value a, b;
    if (op == VT_OP_AND || op == VT_OP_OR) {
        if (eval(x, e->u.bin.l, &a, lb, sizeof lb)) return -1;
        int l = as_bool(x, &a);
        if (l < 0) return -1;
        if ((op == VT_OP_AND && !l) || (op == VT_OP_OR && l)) {
            v->type = VT_V_BOOL, v->u.b = l;
            return 0;
        }
        if (eval(x, e->u.bin.r, &b, rb, sizeof rb)) return -1;
        int r = as_bool(x, &b);
        if (r < 0) return -1;
        v->type = VT_V_BOOL, v->u.b = r;
        return 0;
    }
    if (eval(x, e->u.bin.l, &a, lb, sizeof lb) || eval(x, e->u.bin.r, &b, rb, sizeof rb)) return -1;
    v->type = VT_V_BOOL;
    int c;
    switch (op) {
    case VT_OP_EQ: case VT_OP_NE: case VT_OP_LT: case VT_OP_LE: case VT_OP_GT: case VT_OP_GE:
        c = compare(&a, &b);
        if (c == -2) {
            /* a field that is not set compares as false, as in the VM */
            if (a.type == VT_V_NULL || b.type == VT_V_NULL) return v->u.b = op == VT_OP_NE, 0;
            return cannot(x, "it compares values of different kinds");
        }
        v->u.b = op == VT_OP_EQ ? c == 0 : op == VT_OP_NE ? c != 0 : op == VT_OP_LT ? c < 0
               : op == VT_OP_LE ? c <= 0 : op == VT_OP_GT ? c > 0 : c >= 0;
        return 0;
    case VT_OP_CONTAINS: case VT_OP_STARTS_WITH: case VT_OP_ENDS_WITH: case VT_OP_MATCHES:
        if (a.type != VT_V_TEXT || b.type != VT_V_TEXT) return v->u.b = false, 0;
        v->u.b = text_op(op, &a, &b);
        return 0;
    default: break;
    }
    /* arithmetic */
    if (a.type == VT_V_NULL || b.type == VT_V_NULL) return v->type = VT_V_NULL, 0;
    (void)buf, (void)cap;
    if (a.type == VT_V_NUMBER || b.type == VT_V_NUMBER) {
        double p = num(&a), q = num(&b);
        v->type = VT_V_NUMBER;
        v->u.d = op == VT_OP_ADD ? p + q : op == VT_OP_SUB ? p - q : op == VT_OP_MUL ? p * q : q != 0 ? p / q : 0;
        return 0;
    }
    if (a.type == VT_V_TEXT || b.type == VT_V_TEXT || a.type == VT_V_BOOL || b.type == VT_V_BOOL)
        return cannot(x, "it does arithmetic the test runner cannot follow");
    *v = a;
    if (a.type == VT_V_TIME && b.type == VT_V_TIME && op == VT_OP_SUB) v->type = VT_V_DURATION;
    else if (a.type != VT_V_TIME && b.type == VT_V_TIME) v->type = VT_V_TIME;
    int64_t p = a.u.i, q = b.u.i;
    v->u.i = op == VT_OP_ADD ? p + q : op == VT_OP_SUB ? p - q : op == VT_OP_MUL ? p * q : q != 0 ? p / q : 0;
    return 0;
}

static int name(vt_tx *x, const vt_expr *e, vt_value *v) {
    const char *n = e->u.name.name.text ? e->u.name.name.text : "?";
    char vb[200];
    switch (e->u.name.ref) {
    case VT_REF_FIELD: {
        int f = vt_schema_field_index(x->s, n, strlen(n));
        if (f < 0) return cannot(x, "the program has no field `%s`", n);
        *v = vt_contact_field(x->c, (uint32_t)f);
        vt_tx_value_text(x->s, v, vb, sizeof vb);
        note(x, "%s = %s", n, vb);
        return 0;
    }
    case VT_REF_BUILTIN:
        switch (e->u.name.index) {
        case VT_BI_ID: {
            const char *id = vt_contact_id(x->c);
            v->type = VT_V_TEXT, v->u.s.p = id, v->u.s.len = (uint32_t)strlen(id);
            return 0;
        }
        case VT_BI_OWNER:
            v->type = VT_V_TEAM, v->u.i = vt_contact_owner(x->c);
            if (v->u.i < 0) v->type = VT_V_NULL;
            vt_tx_value_text(x->s, v, vb, sizeof vb);
            note(x, "owner = %s", vb);
            return 0;
        case VT_BI_CREATED_AT: v->type = VT_V_TIME, v->u.i = vt_contact_created_at(x->c); return 0;
        default: return cannot(x, "`%s` can only be tested with `has tag \"...\"`", n);
        }
    case VT_REF_TRUTH:
    case VT_REF_SEGMENT: {
        const vt_decl *d = e->u.name.decl;
        if (!d || !d->u.truth.cond) return cannot(x, "`%s` has no condition", n);
        if (x->depth > 32) return cannot(x, "`%s` refers to itself", n);
        x->depth++;
        int r = vt_tx_cond(x, d->u.truth.cond);
        x->depth--;
        if (r < 0) return -1;
        note(x, "%s is %s", n, r ? "true" : "false");
        v->type = VT_V_BOOL, v->u.b = r;
        return 0;
    }
    case VT_REF_TEAM: v->type = VT_V_TEAM, v->u.i = list_pos(&x->u->teams, e->u.name.decl); return 0;
    case VT_REF_PAYLOAD:
        if (!x->ev) break;
        if (e->u.name.index >= 0 && (uint32_t)e->u.name.index < x->nev) *v = x->ev[e->u.name.index];
        return 0;
    case VT_REF_EVENT_AT:
        if (!x->ev) break;
        v->type = VT_V_TIME, v->u.i = x->ev_at;
        return 0;
    default: break;
    }
    return cannot(x, "`%s` is not something a test can read from the contact", n);
}

/* ---- history ------------------------------------------------------------------------ */
/* The VM keeps one accumulator per history expression (runtime/accum.c); here the same
 * values come from a scan of the events the test fed, with the same rules: events in
 * the order processed, a late event keeping its own `at`, `within D` holding the events
 * with `at > now - D`, `where` seen as the event was processed. */

/* The source text of a history expression, on one line, for `found`. */
static void quote(const vt_tx *x, vt_span sp, char *buf, size_t cap) {
    size_t n = 0;
    if (x->src && sp.file < x->src->n && sp.end <= x->src->v[sp.file].len && sp.start < sp.end) {
        const char *s = x->src->v[sp.file].text;
        for (uint32_t i = sp.start; i < sp.end && n + 4 < cap; i++) {
            char ch = s[i] == '\n' || s[i] == '\t' || s[i] == '\r' ? ' ' : s[i];
            if (ch == ' ' && n && buf[n - 1] == ' ') continue;
            buf[n++] = ch;
        }
        if (sp.end - sp.start > cap - 4) memcpy(buf + n, "...", 3), n += 3;
    }
    if (!n) n = (size_t)snprintf(buf, cap, "the history");
    buf[n < cap ? n : cap - 1] = 0;
}

static bool numeric_value(const vt_value *v) {
    return v->type == VT_V_INT || v->type == VT_V_NUMBER || v->type == VT_V_MONEY || v->type == VT_V_DURATION;
}

/* Folds one value into a sum, min or max, as the VM's num_fold: integers (money in
 * minor units, seconds) stay exact, a decimal makes the result a decimal, the first
 * value gives a money result its currency. */
static void fold(vt_agg_kind k, vt_value *acc, int64_t n, const vt_value *v) {
    if (n == 0 || acc->type == VT_V_NULL) {
        *acc = *v;
        return;
    }
    if (v->type == VT_V_NUMBER || acc->type == VT_V_NUMBER) {
        double a = num(acc), b = num(v);
        acc->type = VT_V_NUMBER;
        acc->u.d = k == VT_AGG_MIN ? (b < a ? b : a) : k == VT_AGG_MAX ? (b > a ? b : a) : a + b;
        return;
    }
    int64_t b = v->u.i;
    if (k == VT_AGG_MIN) { if (b < acc->u.i) acc->u.i = b; }
    else if (k == VT_AGG_MAX) { if (b > acc->u.i) acc->u.i = b; }
    else acc->u.i = (int64_t)((uint64_t)acc->u.i + (uint64_t)b);
}

/* The mean, as the VM's: money and durations stay exact (rounded half away from zero),
 * anything else becomes a decimal. */
static void average(vt_value *sum, int64_t n) {
    if (sum->type == VT_V_MONEY || sum->type == VT_V_DURATION) {
        int64_t q = sum->u.i / n, r = sum->u.i % n;
        if (2 * (r < 0 ? -r : r) >= n) q += sum->u.i < 0 ? -1 : 1;
        sum->u.i = q;
        return;
    }
    double s = num(sum);
    sum->type = VT_V_NUMBER;
    sum->u.d = s / (double)n;
}

/* The window of `within D` / `for D`: a duration written out, as the compiler requires. */
static int window_of(vt_tx *x, const vt_expr *w, int64_t *out) {
    *out = 0;
    if (!w) return 0;
    if (w->kind == VT_E_DURATION) *out = w->u.dur.seconds;
    else if (w->kind == VT_E_INT) *out = w->u.i;
    else return cannot(x, "its window must be a duration written out, such as `within 7d`");
    return 0;
}

/* Does the fed event count for the history expression e (its type, then its `where`,
 * read as the event was processed)? Its payload is decoded into x->scratch. 1 yes, 0
 * no, -1 cannot be checked. */
static int counts(vt_tx *x, const vt_expr *e, int type, const vt_tx_event *ev) {
    if (ev->type != type) return 0;
    const vt_schema_event *se = &x->s->events[type];
    if (!x->scratch || vt_payload_decode(x->s, se->fields, se->nfields, ev->payload, ev->plen, x->scratch))
        return cannot(x, "an event of the test could not be read back");
    if (!e->u.hist.where) return 1;
    vt_contact before = {(uint8_t *)ev->before, ev->blen, ev->blen};
    vt_tx w = *x;
    w.c = &before, w.now = ev->now, w.hist = NULL, w.nhist = 0;
    w.ev = x->scratch, w.nev = se->nfields, w.ev_at = ev->at, w.in_where = true;
    w.found[0] = 0, w.flen = 0, w.why[0] = 0;
    int r = vt_tx_cond(&w, e->u.hist.where);
    if (r < 0) return cannot(x, "%s", w.why);
    return r;
}

static int history(vt_tx *x, const vt_expr *e, vt_value *v) {
    if (x->in_where)
        return cannot(x, "a `where` filter that reads the history itself is not something `verity test` can follow");
    const char *en = e->u.hist.event.text ? e->u.hist.event.text : "";
    /* `created` is not kept in the history (the VM keeps declared events only): as in
     * the VM, it never happened as far as history is concerned. */
    int type = vt_schema_event_index(x->s, en, strlen(en));
    int64_t within;
    if (window_of(x, e->u.hist.within, &within)) return -1;
    int field = e->u.hist.field.text && strcmp(e->u.hist.field.text, "at") ? e->u.hist.field_index : -1;
    if (type >= 0 && field >= (int)x->s->events[type].nfields) return cannot(x, "it reads a field `%s` does not have", en);
    char q[160], vb[200];
    quote(x, e->span, q, sizeof q);
    memset(v, 0, sizeof *v);
    const vt_tx_event *hit = NULL;     /* last/first/since/within/no-for: the matching event */
    int64_t n = 0;
    if (e->kind == VT_E_AGGREGATE) {
        vt_agg_kind k = e->u.hist.agg;
        int64_t lo = vt_tsub(x->now, within);
        for (size_t i = 0; type >= 0 && i < x->nhist; i++) {
            const vt_tx_event *ev = &x->hist[i];
            int m = counts(x, e, type, ev);
            if (m < 0) return -1;
            if (!m || (within > 0 && ev->at <= lo)) continue;
            if (k == VT_AGG_COUNT) {
                n++;
                continue;
            }
            const vt_value *f = field >= 0 ? &x->scratch[field] : NULL;
            if (!f || !numeric_value(f)) continue;   /* a value not given does not count */
            fold(k, v, n, f);
            n++;
        }
        if (k == VT_AGG_COUNT) v->type = VT_V_INT, v->u.i = n;
        else if (n == 0) {
            memset(v, 0, sizeof *v);        /* min/max/avg of nothing: null; a sum: 0 */
            if (k == VT_AGG_SUM) {
                uint8_t t = type >= 0 && field >= 0 ? x->s->events[type].fields[field].type : VT_V_INT;
                v->type = numeric_value(&(vt_value){.type = t}) ? t : VT_V_INT;
            }
        } else if (k == VT_AGG_AVG) average(v, n);
        if (v->type == VT_V_NULL) note(x, "%s = none (no matching %s%s)", q, en, within > 0 ? " in the window" : "");
        else vt_tx_value_text(x->s, v, vb, sizeof vb), note(x, "%s = %s", q, vb);
        return 0;
    }
    /* The others read one matching event: the last processed, or the first. */
    bool want_first = e->kind == VT_E_LAST_FIRST && !e->u.hist.last;
    vt_value val = {0};
    for (size_t i = 0; type >= 0 && i < x->nhist; i++) {
        const vt_tx_event *ev = &x->hist[i];
        if (want_first && hit) break;
        int m = counts(x, e, type, ev);
        if (m < 0) return -1;
        if (!m) continue;
        hit = ev;
        if (field >= 0) val = x->scratch[field];    /* text points into the kept payload */
    }
    char when[60] = "";
    if (hit) {
        char t[21];
        vt_format_utc(hit->at, t);
        snprintf(when, sizeof when, "%s %s at %s", want_first ? "first" : "last", en, t);
    } else snprintf(when, sizeof when, "no %s yet", en);
    switch (e->kind) {
    case VT_E_LAST_FIRST:
        if (hit && field < 0) v->type = VT_V_TIME, v->u.i = hit->at;
        else if (hit) *v = val;
        break;
    case VT_E_SINCE:
        if (hit) v->type = VT_V_DURATION, v->u.i = vt_tsub(x->now, hit->at);
        break;
    case VT_E_WITHIN:
        v->type = VT_V_BOOL, v->u.b = hit && hit->at > vt_tsub(x->now, within);
        break;
    default: {    /* no E for D: counted from the contact's creation when E never happened */
        int64_t base = hit ? hit->at : vt_contact_created_at(x->c);
        v->type = VT_V_BOOL, v->u.b = x->now >= vt_tadd(base, within);
        if (!hit) {
            char t[21];
            vt_format_utc(base, t);
            snprintf(when, sizeof when, "no %s yet; created at %s", en, t);
        }
        break;
    }
    }
    if (v->type == VT_V_BOOL) note(x, "%s is %s (%s)", q, v->u.b ? "true" : "false", when);
    else if (v->type == VT_V_NULL) note(x, "%s = none (%s)", q, when);
    else vt_tx_value_text(x->s, v, vb, sizeof vb), note(x, "%s = %s", q, vb);
    return 0;
}

static int eval(vt_tx *x, const vt_expr *e, vt_value *v, char *buf, size_t cap) {
    memset(v, 0, sizeof *v);
    switch (e->kind) {
    case VT_E_NAME: return name(x, e, v);
    case VT_E_UNARY:
        if (e->u.unary.op == VT_OP_NOT) {
            int r = vt_tx_cond(x, e->u.unary.e);
            if (r < 0) return -1;
            v->type = VT_V_BOOL, v->u.b = !r;
            return 0;
        }
        if (eval(x, e->u.unary.e, v, buf, cap)) return -1;
        if (v->type == VT_V_NUMBER) v->u.d = -v->u.d;
        else if (v->type != VT_V_NULL) v->u.i = -v->u.i;
        return 0;
    case VT_E_BINARY: return binary(x, e, v, buf, cap);
    case VT_E_IS: {
        int r = in_state(x, e->u.is.lifecycle, e->u.is.state_index);
        if (r < 0) return -1;
        v->type = VT_V_BOOL, v->u.b = r;
        return 0;
    }
    case VT_E_IN: {
        const vt_expr *l = e->u.in.list;
        if (!l || l->kind != VT_E_LIST) return cannot(x, "`in` needs a list");
        v->type = VT_V_BOOL;
        if (lifecycle_of(x, e->u.in.e) >= 0) {
            for (uint32_t i = 0; i < l->u.list.n; i++) {
                const vt_expr *it = l->u.list.items[i];
                int st = it->kind == VT_E_NAME && it->u.name.ref == VT_REF_STATE ? it->u.name.index : -1;
                int r = in_state(x, e->u.in.e, st);
                if (r < 0) return -1;
                if (r) return v->u.b = true, 0;
            }
            return v->u.b = false, 0;
        }
        vt_value a, b;
        char ab[512], bb[512];
        if (eval(x, e->u.in.e, &a, ab, sizeof ab)) return -1;
        for (uint32_t i = 0; i < l->u.list.n; i++) {
            if (eval(x, l->u.list.items[i], &b, bb, sizeof bb)) return -1;
            if (compare(&a, &b) == 0) return v->u.b = true, 0;
        }
        return v->u.b = false, 0;
    }
    case VT_E_HAS_TAG: {
        vt_value t;
        char tb[512];
        if (eval(x, e->u.has_tag.tag, &t, tb, sizeof tb)) return -1;
        if (t.type != VT_V_TEXT) return cannot(x, "`has tag` needs a text");
        v->type = VT_V_BOOL, v->u.b = has_tag(x->c, t.u.s.p, t.u.s.len);
        note(x, "%s tag \"%.*s\"", v->u.b ? "has" : "has no", (int)t.u.s.len, t.u.s.p);
        return 0;
    }
    case VT_E_AGGREGATE: case VT_E_LAST_FIRST: case VT_E_SINCE: case VT_E_WITHIN: case VT_E_NO_FOR:
        return history(x, e, v);
    case VT_E_CALL:
        return cannot(x, "it calls an extern function, which `verity test` does not run; expect a state, a field or "
                         "a tag the flow sets from it instead");
    case VT_E_LIST: return cannot(x, "a list is not a condition");
    default:
        if (vt_tx_literal(x, e, VT_V_NULL, v, buf, cap)) return cannot(x, "it holds a value the test cannot read");
        return 0;
    }
}

int vt_tx_cond(vt_tx *x, const vt_expr *e) {
    if (!e) return cannot(x, "the condition is missing");
    vt_value v;
    char buf[512];
    if (eval(x, e, &v, buf, sizeof buf)) return -1;
    return as_bool(x, &v);
}
