/* Type checking of expressions (SPEC §3-§4): every expression gets e->type; names are
 * resolved on the way. An expression of type VT_T_ERROR already has its error
 * reported: expressions built from it stay silent, so one mistake gives one message. */
#include "resolve_internal.h"
#include <stdio.h>
#include <string.h>

static vt_type ty(vt_type_kind k) {
    vt_type t;
    memset(&t, 0, sizeof t);
    t.kind = k;
    return t;
}

static vt_type set_type(vt_expr *e, vt_type t) {
    e->type = t;
    return t;
}

/* Text built in the arena for a message; "?" when the arena is exhausted. */
static char *or_unknown(char *s) { return s ? s : (char *)"?"; }

char *vt_ty_name(vt_rctx *c, vt_type t) {
    if (t.kind == VT_T_MONEY && t.currency[0]) return or_unknown(vt_arena_printf(c->a, "money (%s)", t.currency));
    if (t.kind == VT_T_LIST) return or_unknown(vt_arena_printf(c->a, "a list of %s", vt_type_kind_name(t.elem)));
    return (char *)vt_type_kind_name(t.kind);
}

static bool numeric(vt_type_kind k) { return k == VT_T_INT || k == VT_T_NUMBER; }

/* The literal's text for hints, e.g. `10` in "write `10.00 EUR`". */
static const char *int_literal_text(vt_rctx *c, vt_expr *e) {
    if (e->kind == VT_E_INT) return or_unknown(vt_arena_printf(c->a, "%lld", (long long)e->u.i));
    if (e->kind == VT_E_NUMBER && e->u.num.text) return e->u.num.text;
    return NULL;
}

/* money vs a plain number: the commonest mistake of all, with its own hint. */
static void money_vs_number(vt_rctx *c, vt_span at, vt_expr *m, vt_type money, vt_expr *num, vt_type nt) {
    vt_diag *g = vt_rs_report(c, VT_E040, at, "money and %s cannot be compared", vt_type_kind_name(nt.kind));
    const char *cur = money.currency[0] ? money.currency : "EUR";
    const char *lit = int_literal_text(c, num);
    if (lit && num->kind == VT_E_INT) vt_diag_hint(g, c->u->diags, "write `%s.00 %s`", lit, cur);
    else if (lit) vt_diag_hint(g, c->u->diags, "write `%s %s`", lit, cur);
    else if (m->kind == VT_E_MONEY) {
        /* a number field against an amount: the amount should be a plain number */
        int64_t unit = 1;
        for (int i = 0; i < m->u.money.scale; i++) unit *= 10;
        if (nt.kind == VT_T_INT && m->u.money.minor % unit == 0)
            vt_diag_hint(g, c->u->diags, "this is a plain number: write `%lld`", (long long)(m->u.money.minor / unit));
        else vt_diag_hint(g, c->u->diags, "this is a plain number: write it without a currency");
    } else vt_diag_hint(g, c->u->diags, "compare money with an amount in a currency, such as `10.00 %s`", cur);
}

/* Currencies agree when both are known and equal, or one of them is unknown (a money
 * field holds whatever currency its records carry). */
static bool same_currency(vt_type a, vt_type b) {
    return !a.currency[0] || !b.currency[0] || !strcmp(a.currency, b.currency);
}

static void currency_mismatch(vt_rctx *c, vt_span at, vt_type a, vt_type b) {
    vt_diag *g = vt_rs_report(c, VT_E041, at, "money in %s and money in %s cannot be compared or combined", a.currency,
                              b.currency);
    vt_diag_hint(g, c->u->diags, "write both amounts in the same currency");
}

/* Can values of types a and b be compared with == / != (eq) or < <= > >= (!eq)? Reports
 * at `at`; returns silently when either is an error already. */
static void check_comparable(vt_rctx *c, vt_span at, vt_expr *l, vt_type a, vt_expr *r, vt_type b, bool eq,
                             const char *op) {
    if (a.kind == VT_T_ERROR || b.kind == VT_T_ERROR) return;
    if (numeric(a.kind) && numeric(b.kind)) return;
    if (a.kind == VT_T_MONEY && numeric(b.kind)) return money_vs_number(c, at, l, a, r, b);
    if (b.kind == VT_T_MONEY && numeric(a.kind)) return money_vs_number(c, at, r, b, l, a);
    if (a.kind == VT_T_MONEY && b.kind == VT_T_MONEY) {
        if (!same_currency(a, b)) currency_mismatch(c, at, a, b);
        return;
    }
    if (a.kind != b.kind) {
        vt_diag *g = vt_rs_report(c, VT_E040, at, "%s and %s cannot be compared", vt_ty_name(c, a), vt_ty_name(c, b));
        if ((a.kind == VT_T_DURATION && numeric(b.kind)) || (b.kind == VT_T_DURATION && numeric(a.kind)))
            vt_diag_hint(g, c->u->diags, "write the number with a unit, such as `7d` or `4h`");
        else if ((a.kind == VT_T_TIME && b.kind == VT_T_DURATION) || (a.kind == VT_T_DURATION && b.kind == VT_T_TIME))
            vt_diag_hint(g, c->u->diags, "to compare an age, write `now - created_at > 30d`, or use `since(EVENT)`");
        else if (a.kind == VT_T_TEXT || b.kind == VT_T_TEXT)
            vt_diag_hint(g, c->u->diags, "a text is written in quotes, such as \"CMO\"");
        return;
    }
    if (!eq) {
        vt_type_kind k = a.kind;
        if (k != VT_T_DURATION && k != VT_T_TIME) {
            vt_diag *g = vt_rs_report(c, VT_E040, at, "%s values cannot be ordered with `%s`", vt_type_kind_name(k), op);
            if (k == VT_T_TEXT) vt_diag_hint(g, c->u->diags, "use ==, !=, `starts with`, `contains` or `in [...]`");
            else vt_diag_hint(g, c->u->diags, "use == or !=");
        }
    }
}

/* ---- names ------------------------------------------------------------------ */

static vt_type field_type(vt_field_decl *f) {
    return ty(f->type.kind);
}

static const char *builtin_names[] = {"id", "owner", "created_at", "tags"};
static const vt_type_kind builtin_types[] = {VT_T_TEXT, VT_T_TEAM, VT_T_TIME, VT_T_TAGS};

static int builtin_index(const char *n) {
    for (int i = 0; i < 4; i++)
        if (!strcmp(builtin_names[i], n)) return i;
    return -1;
}

static vt_type name_ref(vt_expr *e, vt_ref_kind k, vt_decl *d, int index, vt_type t) {
    e->u.name.ref = k;
    e->u.name.decl = d;
    e->u.name.index = index;
    return set_type(e, t);
}

static void suggest_all_values(vt_rctx *c, vt_suggest *s) {
    vt_decl *ct = c->u->contact;
    for (uint32_t i = 0; ct && i < ct->u.contact.n; i++) vt_suggest_add(s, ct->u.contact.fields[i]->name.text);
    for (uint32_t i = 0; c->event && i < c->event->u.event.n; i++) vt_suggest_add(s, c->event->u.event.fields[i]->name.text);
    for (int i = 0; i < 4; i++) vt_suggest_add(s, builtin_names[i]);
    vt_rs_suggest_ns(c, s, NS_COND);
}

static vt_type unknown_payload(vt_rctx *c, vt_expr *e, const char *field) {
    vt_suggest s;
    vt_suggest_init(&s, field);
    for (uint32_t i = 0; c->event && i < c->event->u.event.n; i++) vt_suggest_add(&s, c->event->u.event.fields[i]->name.text);
    vt_suggest_add(&s, "at");
    vt_diag *g = c->event ? vt_rs_report(c, VT_E023, e->span, "event `%s` has no field `%s`", c->event->name.text, field)
                          : vt_rs_report(c, VT_E023, e->span, "the `created` event has no field `%s`", field);
    const char *best = vt_suggest_best(&s);
    if (best) vt_diag_hint(g, c->u->diags, "did you mean `event.%s`?", best);
    return set_type(e, ty(VT_T_ERROR));
}

static vt_type resolve_name(vt_rctx *c, vt_expr *e) {
    if (e->u.name.ref == VT_REF_PARAM) return e->type;  /* a stand-in for a bad argument */
    const char *n = e->u.name.name.text;
    e->u.name.index = -1;
    if (!n) return set_type(e, ty(VT_T_ERROR));
    bool has_event = c->event || c->event_created;
    const char *dot = strchr(n, '.');

    if (dot && !strncmp(n, "event.", 6)) {
        const char *f = n + 6;
        if (!has_event) {
            vt_diag *g = vt_rs_report(c, VT_E020, e->span, "`%s` names the current event, and there is none here", n);
            vt_diag_hint(g, c->u->diags, "`event.FIELD` works in `on EVENT` rules and `where` conditions; "
                                         "elsewhere write `last(EVENT).FIELD`");
            return set_type(e, ty(VT_T_ERROR));
        }
        if (!strcmp(f, "at")) return name_ref(e, VT_REF_EVENT_AT, c->event, -1, ty(VT_T_TIME));
        int i = vt_rs_payload_field(c->event, f);
        if (i < 0) return unknown_payload(c, e, f);
        return name_ref(e, VT_REF_PAYLOAD, c->event, i, field_type(c->event->u.event.fields[i]));
    }
    if (!dot) {
        if (has_event) {
            int i = vt_rs_payload_field(c->event, n);
            if (i >= 0) return name_ref(e, VT_REF_PAYLOAD, c->event, i, field_type(c->event->u.event.fields[i]));
            if (!strcmp(n, "at")) return name_ref(e, VT_REF_EVENT_AT, c->event, -1, ty(VT_T_TIME));
        }
        int i = vt_rs_contact_field(c, n);
        if (i >= 0)
            return name_ref(e, VT_REF_FIELD, c->u->contact, i, field_type(c->u->contact->u.contact.fields[i]));
        int b = builtin_index(n);
        if (b >= 0) return name_ref(e, VT_REF_BUILTIN, NULL, b, ty(builtin_types[b]));
    }
    vt_decl *d = vt_rs_lookup(c, NS_COND, n);
    if (d) {
        vt_rs_mark_used(c, d);
        return name_ref(e, d->kind == VT_D_TRUTH ? VT_REF_TRUTH : VT_REF_SEGMENT, d, -1, ty(VT_T_BOOL));
    }
    d = vt_rs_lookup(c, NS_EVENT, n);
    if (d || !strcmp(n, "created")) {
        if (c->events_are_conds && d) return name_ref(e, VT_REF_EVENT, d, -1, ty(VT_T_BOOL));
        vt_diag *g = vt_rs_report(c, VT_E040, e->span, "`%s` is an event, not a condition", n);
        vt_diag_hint(g, c->u->diags, "say when it counts: `%s within 7d`, `count(%s) >= 1` or `no %s for 30d`", n, n, n);
        return set_type(e, ty(VT_T_ERROR));
    }
    d = vt_rs_lookup(c, NS_TEAM, n);
    if (d) {
        vt_rs_mark_used(c, d);
        return name_ref(e, VT_REF_TEAM, d, -1, ty(VT_T_TEAM));
    }
    d = vt_rs_lookup(c, NS_LIFECYCLE, n);
    if (d) {
        vt_diag *g = vt_rs_report(c, VT_E040, e->span, "`%s` is a lifecycle, not a condition", n);
        vt_diag_hint(g, c->u->diags, "test its state: `%s is STATE` or `%s in [STATE, ...]`", n, n);
        return set_type(e, ty(VT_T_ERROR));
    }
    if (dot) {
        /* `funnel.mql` as a value: a state. */
        vt_decl *lcs[8];
        int idx[8];
        if (vt_rs_state_candidates(c, &e->u.name.name, lcs, idx, 8) == 1 && strchr(n, '.')) {
            vt_diag *g = vt_rs_report(c, VT_E040, e->span, "`%s` is a state, not a condition", n);
            vt_diag_hint(g, c->u->diags, "write `%s is %s`", lcs[0]->name.text, n + strlen(lcs[0]->name.text) + 1);
            return set_type(e, ty(VT_T_ERROR));
        }
        /* `purchase.amount` outside an aggregate */
        char head[256];
        size_t hl = (size_t)(dot - n);
        if (hl < sizeof head) {
            memcpy(head, n, hl);
            head[hl] = 0;
            if (vt_rs_lookup(c, NS_EVENT, head)) {
                vt_diag *g = vt_rs_report(c, VT_E020, e->span, "`%s` does not say which `%s` event", n, head);
                vt_diag_hint(g, c->u->diags, "write `last(%s).%s`, `first(%s).%s` or `sum(%s.%s)`", head, dot + 1, head,
                             dot + 1, head, dot + 1);
                return set_type(e, ty(VT_T_ERROR));
            }
        }
    } else {
        vt_decl *lcs[8];
        int idx[8];
        if (vt_rs_state_candidates(c, &e->u.name.name, lcs, idx, 8) >= 1) {
            vt_diag *g = vt_rs_report(c, VT_E040, e->span, "`%s` is a state, not a condition", n);
            vt_diag_hint(g, c->u->diags, "write `%s is %s`", lcs[0]->name.text, n);
            return set_type(e, ty(VT_T_ERROR));
        }
        if (vt_rs_lookup(c, NS_EXTERN, n)) {
            vt_diag *g = vt_rs_report(c, VT_E046, e->span, "`%s` is a function: call it with its arguments", n);
            vt_diag_hint(g, c->u->diags, "write `%s(...)`", n);
            return set_type(e, ty(VT_T_ERROR));
        }
    }
    if (!strcmp(n, "at")) {
        vt_diag *g = vt_rs_report(c, VT_E020, e->span, "`at` is the time of the current event, and there is none here");
        vt_diag_hint(g, c->u->diags, "use it in an `on EVENT` rule or a `where`; elsewhere write `last(EVENT).at`");
        return set_type(e, ty(VT_T_ERROR));
    }
    vt_suggest s;
    vt_suggest_init(&s, n);
    suggest_all_values(c, &s);
    const char *best = vt_suggest_best(&s);
    bool is_field = best && (vt_rs_contact_field(c, best) >= 0 || (c->event && vt_rs_payload_field(c->event, best) >= 0));
    vt_diag *g = is_field ? vt_rs_report(c, VT_E023, e->span, "unknown field `%s`", n)
                          : vt_rs_report(c, VT_E020, e->span, "unknown name `%s`", n);
    if (best) vt_diag_hint(g, c->u->diags, "did you mean `%s`?", best);
    else
        vt_diag_hint(g, c->u->diags, "declare it (a contact field, a truth or a segment), or write a text in quotes: \"%s\"",
                     n);
    return set_type(e, ty(VT_T_ERROR));
}

/* ---- history ------------------------------------------------------------------ */

static const char *agg_word(vt_agg_kind k) {
    static const char *w[] = {"count", "sum", "min", "max", "avg"};
    return w[k];
}

/* The event of a history expression; E043 when the name is something else (a field,
 * a truth), E022 when it is nothing at all. */
static vt_decl *hist_event(vt_rctx *c, vt_expr *e, const char *what) {
    vt_name *n = &e->u.hist.event;
    if (!n->text) return NULL;
    const char *dot = strrchr(n->text, '.');
    if (dot && !vt_rs_lookup(c, NS_EVENT, n->text)) {
        /* count(purchase.amount): the grammar keeps the dotted name whole for count */
        char head[256];
        size_t hl = (size_t)(dot - n->text);
        if (hl < sizeof head) {
            memcpy(head, n->text, hl);
            head[hl] = 0;
            if (vt_rs_lookup(c, NS_EVENT, head)) {
                vt_diag *g = vt_rs_report(c, VT_E043, n->span, "`%s` counts events and takes no field", what);
                vt_diag_hint(g, c->u->diags, "write `count(%s)`, or `sum(%s)` to add the values up", head, n->text);
                return NULL;
            }
        }
    }
    if (!vt_rs_lookup(c, NS_EVENT, n->text) &&
        (vt_rs_contact_field(c, n->text) >= 0 || vt_rs_lookup(c, NS_COND, n->text))) {
        vt_diag *g = vt_rs_report(c, VT_E043, n->span, "`%s` looks back over events, and `%s` is not an event", what,
                                  n->text);
        vt_diag_hint(g, c->u->diags, "name a declared event, such as `%s(purchase ...)`", what);
        return NULL;
    }
    vt_decl *d = vt_rs_event(c, n, NULL, false);
    e->u.hist.event_decl = d;
    return d;
}

static void hist_where_within(vt_rctx *c, vt_expr *e, vt_decl *ev) {
    if (e->u.hist.where && ev) {
        vt_decl *old = c->event;
        bool oc = c->event_created;
        c->event = ev;
        c->event_created = false;
        vt_ty_cond(c, e->u.hist.where, "the `where`");
        c->event = old;
        c->event_created = oc;
    }
    if (e->u.hist.within) vt_ty_expect(c, e->u.hist.within, VT_T_DURATION, "`within`");
}

/* The payload field of `E.f`; -1 for `at`, -2 when unknown (reported). */
static int hist_field(vt_rctx *c, vt_expr *e, vt_decl *ev) {
    const char *f = e->u.hist.field.text;
    if (!strcmp(f, "at")) return -1;
    int i = vt_rs_payload_field(ev, f);
    if (i >= 0) return i;
    vt_suggest s;
    vt_suggest_init(&s, f);
    for (uint32_t k = 0; k < ev->u.event.n; k++) vt_suggest_add(&s, ev->u.event.fields[k]->name.text);
    vt_suggest_add(&s, "at");
    vt_diag *g = vt_rs_report(c, VT_E023, e->u.hist.field.span, "event `%s` has no field `%s`", ev->name.text, f);
    const char *best = vt_suggest_best(&s);
    if (best) vt_diag_hint(g, c->u->diags, "did you mean `%s`?", best);
    else if (!ev->u.event.n) vt_diag_hint(g, c->u->diags, "event `%s` carries no fields besides `at`", ev->name.text);
    return -2;
}

static vt_type check_aggregate(vt_rctx *c, vt_expr *e) {
    vt_agg_kind k = e->u.hist.agg;
    const char *w = agg_word(k);
    e->u.hist.field_index = -1;
    vt_decl *ev = hist_event(c, e, w);
    hist_where_within(c, e, ev);
    if (k == VT_AGG_COUNT) {
        if (e->u.hist.field.text) {
            vt_diag *g = vt_rs_report(c, VT_E043, e->u.hist.field.span, "`count` counts events and takes no field");
            vt_diag_hint(g, c->u->diags, "write `count(%s)`, or `sum(%s.%s)` to add the values up", e->u.hist.event.text,
                         e->u.hist.event.text, e->u.hist.field.text);
        }
        return set_type(e, ty(VT_T_INT));
    }
    if (!ev) return set_type(e, ty(VT_T_ERROR));
    if (!e->u.hist.field.text) {
        vt_diag *g = vt_rs_report(c, VT_E043, e->u.hist.event.span, "`%s` needs a field of the event to work on", w);
        const char *ex = ev->u.event.n ? ev->u.event.fields[0]->name.text : "amount";
        vt_diag_hint(g, c->u->diags, "write `%s(%s.%s)`", w, ev->name.text, ex);
        return set_type(e, ty(VT_T_ERROR));
    }
    int i = hist_field(c, e, ev);
    if (i == -2) return set_type(e, ty(VT_T_ERROR));
    e->u.hist.field_index = i;
    vt_type_kind fk = i >= 0 ? ev->u.event.fields[i]->type.kind : VT_T_TIME;
    bool ok = numeric(fk) || fk == VT_T_MONEY || fk == VT_T_DURATION ||
              (fk == VT_T_TIME && (k == VT_AGG_MIN || k == VT_AGG_MAX));
    if (!ok) {
        vt_diag *g = vt_rs_report(c, VT_E043, e->u.hist.field.span, "`%s` needs a number or money field; `%s` is %s", w,
                                  e->u.hist.field.text, vt_type_kind_name(fk));
        vt_diag_hint(g, c->u->diags, "to count the events, write `count(%s)`", ev->name.text);
        return set_type(e, ty(VT_T_ERROR));
    }
    if (k == VT_AGG_AVG && fk == VT_T_INT) return set_type(e, ty(VT_T_NUMBER));
    return set_type(e, ty(fk));
}

static vt_type check_last_first(vt_rctx *c, vt_expr *e) {
    const char *w = e->u.hist.last ? "last" : "first";
    e->u.hist.field_index = -1;
    vt_decl *ev = hist_event(c, e, w);
    hist_where_within(c, e, ev);
    if (!ev) return set_type(e, ty(VT_T_ERROR));
    if (!e->u.hist.field.text) return set_type(e, ty(VT_T_TIME));
    int i = hist_field(c, e, ev);
    if (i == -2) return set_type(e, ty(VT_T_ERROR));
    e->u.hist.field_index = i;
    return set_type(e, i >= 0 ? field_type(ev->u.event.fields[i]) : ty(VT_T_TIME));
}

/* ---- operators ---------------------------------------------------------------- */

static vt_type check_arith(vt_rctx *c, vt_expr *e, vt_type a, vt_type b) {
    vt_binop op = e->u.bin.op;
    vt_span at = e->u.bin.op_span.end ? e->u.bin.op_span : e->span;
    if (a.kind == VT_T_ERROR || b.kind == VT_T_ERROR) return ty(VT_T_ERROR);
    vt_type_kind x = a.kind, y = b.kind;
    if (numeric(x) && numeric(y)) {
        if (x == VT_T_INT && y == VT_T_INT && op != VT_OP_DIV) return ty(VT_T_INT);
        return ty(VT_T_NUMBER);
    }
    if (op == VT_OP_ADD || op == VT_OP_SUB) {
        if (x == VT_T_MONEY && y == VT_T_MONEY) {
            if (!same_currency(a, b)) {
                currency_mismatch(c, at, a, b);
                return ty(VT_T_ERROR);
            }
            return a.currency[0] ? a : b;
        }
        if (x == VT_T_DURATION && y == VT_T_DURATION) return ty(VT_T_DURATION);
        if (x == VT_T_TIME && y == VT_T_DURATION) return ty(VT_T_TIME);
        if (op == VT_OP_ADD && x == VT_T_DURATION && y == VT_T_TIME) return ty(VT_T_TIME);
        if (op == VT_OP_SUB && x == VT_T_TIME && y == VT_T_TIME) return ty(VT_T_DURATION);
        if ((x == VT_T_MONEY && numeric(y)) || (y == VT_T_MONEY && numeric(x))) {
            vt_diag *g = vt_rs_report(c, VT_E040, at, "money and %s cannot be added or subtracted",
                                      vt_type_kind_name(numeric(x) ? x : y));
            vt_diag_hint(g, c->u->diags, "write the amount with its currency, such as `10.00 EUR`");
            return ty(VT_T_ERROR);
        }
    }
    if (op == VT_OP_MUL) {
        if (x == VT_T_MONEY && numeric(y)) return a;
        if (y == VT_T_MONEY && numeric(x)) return b;
        if (x == VT_T_DURATION && numeric(y)) return ty(VT_T_DURATION);
        if (y == VT_T_DURATION && numeric(x)) return ty(VT_T_DURATION);
    }
    if (op == VT_OP_DIV) {
        if (x == VT_T_MONEY && numeric(y)) return a;
        if (x == VT_T_DURATION && numeric(y)) return ty(VT_T_DURATION);
        if (x == VT_T_MONEY && y == VT_T_MONEY) {
            if (!same_currency(a, b)) {
                currency_mismatch(c, at, a, b);
                return ty(VT_T_ERROR);
            }
            return ty(VT_T_NUMBER);
        }
        if (x == VT_T_DURATION && y == VT_T_DURATION) return ty(VT_T_NUMBER);
    }
    vt_diag *g = vt_rs_report(c, VT_E040, at, "`%s` cannot combine %s and %s", vt_binop_text(op), vt_ty_name(c, a),
                              vt_ty_name(c, b));
    if (x == VT_T_TIME && y == VT_T_TIME)
        vt_diag_hint(g, c->u->diags, "subtract two times to get a duration: `now - created_at`");
    else if (x == VT_T_TEXT || y == VT_T_TEXT)
        vt_diag_hint(g, c->u->diags, "texts are compared with ==, `contains`, `starts with`; they are not added");
    return ty(VT_T_ERROR);
}

static vt_type check_binary(vt_rctx *c, vt_expr *e) {
    vt_binop op = e->u.bin.op;
    vt_span at = e->u.bin.op_span.end ? e->u.bin.op_span : e->span;
    if (op == VT_OP_AND || op == VT_OP_OR) {
        vt_ty_cond(c, e->u.bin.l, op == VT_OP_AND ? "`and`" : "`or`");
        vt_ty_cond(c, e->u.bin.r, op == VT_OP_AND ? "`and`" : "`or`");
        return set_type(e, ty(VT_T_BOOL));
    }
    vt_type a = vt_ty_expr(c, e->u.bin.l), b = vt_ty_expr(c, e->u.bin.r);
    switch (op) {
    case VT_OP_EQ: case VT_OP_NE: case VT_OP_LT: case VT_OP_LE: case VT_OP_GT: case VT_OP_GE:
        check_comparable(c, at, e->u.bin.l, a, e->u.bin.r, b, op == VT_OP_EQ || op == VT_OP_NE, vt_binop_text(op));
        return set_type(e, ty(VT_T_BOOL));
    case VT_OP_CONTAINS:
        if (a.kind == VT_T_TAGS && (b.kind == VT_T_TEXT || b.kind == VT_T_ERROR)) return set_type(e, ty(VT_T_BOOL));
        /* fallthrough */
    case VT_OP_STARTS_WITH: case VT_OP_ENDS_WITH: case VT_OP_MATCHES:
        if (a.kind != VT_T_ERROR && b.kind != VT_T_ERROR && (a.kind != VT_T_TEXT || b.kind != VT_T_TEXT)) {
            vt_diag *g = vt_rs_report(c, VT_E040, at, "`%s` works on texts, not on %s and %s", vt_binop_text(op),
                                      vt_ty_name(c, a), vt_ty_name(c, b));
            vt_diag_hint(g, c->u->diags, "for example: url starts with \"/pricing\"");
        }
        return set_type(e, ty(VT_T_BOOL));
    default: return set_type(e, check_arith(c, e, a, b));
    }
}

/* `LIFECYCLE is STATE` and `LIFECYCLE in [S, ...]`: NULL when `x` names no lifecycle. */
static vt_decl *as_lifecycle(vt_rctx *c, vt_expr *x) {
    if (x->kind != VT_E_NAME || !x->u.name.name.text) return NULL;
    vt_decl *lc = vt_rs_lookup(c, NS_LIFECYCLE, x->u.name.name.text);
    if (lc) {
        name_ref(x, VT_REF_LIFECYCLE, lc, -1, ty(VT_T_STATE));
        vt_rs_mark_used(c, lc);
    }
    return lc;
}

/* Every item of a list is the bare name of some lifecycle's state. */
static bool looks_like_states(vt_rctx *c, vt_expr *list) {
    for (uint32_t i = 0; i < list->u.list.n; i++) {
        vt_expr *it = list->u.list.items[i];
        vt_decl *lcs[8];
        int idx[8];
        if (it->kind != VT_E_NAME || vt_rs_state_candidates(c, &it->u.name.name, lcs, idx, 8) == 0) return false;
    }
    return true;
}

static void unknown_lifecycle(vt_rctx *c, vt_expr *x) {
    const char *n = x->kind == VT_E_NAME ? x->u.name.name.text : NULL;
    set_type(x, ty(VT_T_ERROR));
    vt_diag *g = n ? vt_rs_report_unknown(c, NS_LIFECYCLE, VT_E027, x->span, n, "unknown lifecycle `%s`", n)
                   : vt_rs_report(c, VT_E027, x->span, "`is` tests the state of a lifecycle");
    if (g && !g->hint && c->u->lifecycles.n)
        vt_diag_hint(g, c->u->diags, "write `%s is STATE`", ((vt_decl *)c->u->lifecycles.items[0])->name.text);
}

static vt_type check_is(vt_rctx *c, vt_expr *e) {
    e->u.is.state_index = -1;
    vt_expr *x = e->u.is.lifecycle;
    vt_decl *lc = as_lifecycle(c, x);
    if (!lc) {
        unknown_lifecycle(c, x);
        return set_type(e, ty(VT_T_BOOL));
    }
    e->u.is.state_index = vt_rs_state_in(c, lc, &e->u.is.state);
    return set_type(e, ty(VT_T_BOOL));
}

static vt_type check_in(vt_rctx *c, vt_expr *e) {
    vt_expr *x = e->u.in.e, *list = e->u.in.list;
    vt_decl *lc = as_lifecycle(c, x);
    if (lc) {
        if (list->kind != VT_E_LIST) {
            vt_rs_report(c, VT_E040, list->span, "write the states in brackets: `%s in [a, b]`", lc->name.text);
            return set_type(e, ty(VT_T_BOOL));
        }
        for (uint32_t i = 0; i < list->u.list.n; i++) {
            vt_expr *it = list->u.list.items[i];
            if (it->kind != VT_E_NAME) {
                vt_rs_report(c, VT_E040, it->span, "`%s in [...]` lists state names of `%s`", lc->name.text, lc->name.text);
                set_type(it, ty(VT_T_ERROR));
                continue;
            }
            int si = vt_rs_state_in(c, lc, &it->u.name.name);
            name_ref(it, VT_REF_STATE, lc, si, ty(si >= 0 ? VT_T_STATE : VT_T_ERROR));
        }
        vt_type lt = ty(VT_T_LIST);
        lt.elem = VT_T_STATE;
        set_type(list, lt);
        return set_type(e, ty(VT_T_BOOL));
    }
    if (x->kind == VT_E_NAME && list->kind == VT_E_LIST && list->u.list.n && looks_like_states(c, list) &&
        !strchr(x->u.name.name.text ? x->u.name.name.text : ".", '.') && vt_rs_contact_field(c, x->u.name.name.text) < 0 &&
        !vt_rs_lookup(c, NS_COND, x->u.name.name.text)) {
        /* `funel in [lead, mql]`: meant as a lifecycle */
        unknown_lifecycle(c, x);
        for (uint32_t i = 0; i < list->u.list.n; i++) set_type(list->u.list.items[i], ty(VT_T_ERROR));
        return set_type(e, ty(VT_T_BOOL));
    }
    vt_type a = vt_ty_expr(c, x);
    if (list->kind != VT_E_LIST) {
        vt_type lt = vt_ty_expr(c, list);
        if (lt.kind != VT_T_ERROR && lt.kind != VT_T_TAGS && lt.kind != VT_T_LIST)
            vt_rs_report(c, VT_E040, list->span, "`in` needs a list, such as [\"CMO\", \"CEO\"]");
        return set_type(e, ty(VT_T_BOOL));
    }
    for (uint32_t i = 0; i < list->u.list.n; i++) {
        vt_expr *it = list->u.list.items[i];
        if (a.kind == VT_T_ERROR && it->kind == VT_E_NAME) {
            /* `funel in [mql, sql]`: the items are states of a lifecycle already reported */
            set_type(it, ty(VT_T_ERROR));
            continue;
        }
        vt_type b = vt_ty_expr(c, it);
        check_comparable(c, it->span, x, a, it, b, true, "in");
    }
    vt_type lt = ty(VT_T_LIST);
    lt.elem = list->u.list.n ? list->u.list.items[0]->type.kind : a.kind;
    set_type(list, lt);
    return set_type(e, ty(VT_T_BOOL));
}

static vt_type check_call(vt_rctx *c, vt_expr *e) {
    const char *n = e->u.call.fn.text;
    vt_decl *d = n ? vt_rs_lookup(c, NS_EXTERN, n) : NULL;
    e->u.call.decl = d;
    if (!d) {
        for (uint32_t i = 0; i < e->u.call.nargs; i++) vt_ty_expr(c, e->u.call.args[i]);
        vt_diag *g = vt_rs_report_unknown(c, NS_EXTERN, VT_E020, e->u.call.fn.span, n, "unknown function `%s`", n ? n : "?");
        if (g && !g->hint) vt_diag_hint(g, c->u->diags, "declare it: extern fn %s(text) -> bool from \"LIB\"", n ? n : "f");
        return set_type(e, ty(VT_T_ERROR));
    }
    vt_rs_mark_used(c, d);
    if (e->u.call.nargs != d->u.ext.nparams) {
        vt_diag *g = vt_rs_report(c, VT_E046, e->span, "`%s` takes %u argument%s, not %u", n, d->u.ext.nparams,
                                  d->u.ext.nparams == 1 ? "" : "s", e->u.call.nargs);
        vt_diag_note(g, c->u->diags, d->span, "`%s` is declared here", n);
    }
    for (uint32_t i = 0; i < e->u.call.nargs; i++) {
        vt_type a = vt_ty_expr(c, e->u.call.args[i]);
        if (i >= d->u.ext.nparams || a.kind == VT_T_ERROR) continue;
        vt_type_kind want = d->u.ext.params[i].kind;
        if (a.kind == want || (want == VT_T_NUMBER && a.kind == VT_T_INT)) continue;
        vt_diag *g = vt_rs_report(c, VT_E046, e->u.call.args[i]->span, "argument %u of `%s` should be %s, not %s", i + 1,
                                  n, vt_type_kind_name(want), vt_ty_name(c, a));
        vt_diag_note(g, c->u->diags, d->span, "`%s` is declared here", n);
    }
    return set_type(e, ty(d->u.ext.ret.kind));
}

vt_type vt_ty_expr(vt_rctx *c, vt_expr *e) {
    if (!e) return ty(VT_T_ERROR);
    switch (e->kind) {
    case VT_E_BOOL: return set_type(e, ty(VT_T_BOOL));
    case VT_E_INT: return set_type(e, ty(VT_T_INT));
    case VT_E_NUMBER: return set_type(e, ty(VT_T_NUMBER));
    case VT_E_MONEY: {
        vt_type t = ty(VT_T_MONEY);
        memcpy(t.currency, e->u.money.currency, sizeof t.currency);
        t.currency[3] = 0;
        return set_type(e, t);
    }
    case VT_E_STRING: return set_type(e, ty(VT_T_TEXT));
    case VT_E_DURATION: return set_type(e, ty(VT_T_DURATION));
    case VT_E_TIMESTAMP: return set_type(e, ty(VT_T_TIME));
    case VT_E_NOW: return set_type(e, ty(VT_T_TIME));
    case VT_E_TIME_OF_DAY:
    case VT_E_MONTH_DAY: {
        vt_diag *g = vt_rs_report(c, VT_E040, e->span, "a %s alone is not a value that can be compared",
                                  e->kind == VT_E_TIME_OF_DAY ? "time of day" : "month-day");
        vt_diag_hint(g, c->u->diags, "write a full date, such as 2026-03-01T09:30");
        return set_type(e, ty(VT_T_ERROR));
    }
    case VT_E_NAME: return resolve_name(c, e);
    case VT_E_LIST: {
        vt_type t = ty(VT_T_LIST);
        t.elem = VT_T_ERROR;
        for (uint32_t i = 0; i < e->u.list.n; i++) {
            vt_type it = vt_ty_expr(c, e->u.list.items[i]);
            if (t.elem == VT_T_ERROR) t.elem = it.kind;
        }
        return set_type(e, t);
    }
    case VT_E_UNARY:
        if (e->u.unary.op == VT_OP_NOT) {
            vt_ty_cond(c, e->u.unary.e, "`not`");
            return set_type(e, ty(VT_T_BOOL));
        } else {
            vt_type a = vt_ty_expr(c, e->u.unary.e);
            if (a.kind == VT_T_ERROR || numeric(a.kind) || a.kind == VT_T_MONEY || a.kind == VT_T_DURATION)
                return set_type(e, a);
            vt_rs_report(c, VT_E040, e->span, "a %s cannot be negative", vt_ty_name(c, a));
            return set_type(e, ty(VT_T_ERROR));
        }
    case VT_E_BINARY: return check_binary(c, e);
    case VT_E_IS: return check_is(c, e);
    case VT_E_IN: return check_in(c, e);
    case VT_E_HAS_TAG:
        vt_ty_expect(c, e->u.has_tag.tag, VT_T_TEXT, "`has tag`");
        return set_type(e, ty(VT_T_BOOL));
    case VT_E_CALL: return check_call(c, e);
    case VT_E_AGGREGATE: return check_aggregate(c, e);
    case VT_E_LAST_FIRST: return check_last_first(c, e);
    case VT_E_SINCE: {
        e->u.hist.field_index = -1;
        vt_decl *ev = hist_event(c, e, "since");
        hist_where_within(c, e, ev);
        return set_type(e, ty(VT_T_DURATION));
    }
    case VT_E_WITHIN:
    case VT_E_NO_FOR: {
        e->u.hist.field_index = -1;
        vt_decl *ev = hist_event(c, e, e->kind == VT_E_WITHIN ? "within" : "no ... for");
        hist_where_within(c, e, ev);
        return set_type(e, ty(VT_T_BOOL));
    }
    }
    return set_type(e, ty(VT_T_ERROR));
}

/* ---- requirements --------------------------------------------------------------- */

void vt_ty_cond(vt_rctx *c, vt_expr *e, const char *where) {
    if (!e) return;
    vt_type t = vt_ty_expr(c, e);
    if (t.kind == VT_T_ERROR || t.kind == VT_T_BOOL) return;
    vt_diag *g = vt_rs_report(c, VT_E042, e->span, "%s needs a condition (true or false), and this is %s", where,
                              vt_ty_name(c, t));
    if (numeric(t.kind)) vt_diag_hint(g, c->u->diags, "compare it with something, such as `>= 40`");
    else if (t.kind == VT_T_TEXT) vt_diag_hint(g, c->u->diags, "compare it, such as `== \"CMO\"`");
    else if (t.kind == VT_T_MONEY) vt_diag_hint(g, c->u->diags, "compare it, such as `>= 100.00 EUR`");
}

void vt_ty_expect(vt_rctx *c, vt_expr *e, vt_type_kind k, const char *where) {
    if (!e) return;
    vt_type t = vt_ty_expr(c, e);
    if (t.kind == VT_T_ERROR || t.kind == k) return;
    vt_diag *g = vt_rs_report(c, VT_E040, e->span, "%s needs %s, and this is %s", where, vt_type_kind_name(k),
                              vt_ty_name(c, t));
    if (k == VT_T_DURATION && numeric(t.kind))
        vt_diag_hint(g, c->u->diags, "write the number with a unit: `30m`, `4h`, `7d` or `2w`");
    else if (k == VT_T_TEXT) vt_diag_hint(g, c->u->diags, "write it in quotes");
}

void vt_ty_message(vt_rctx *c, vt_expr *e, const char *where) {
    if (!e) return;
    if (e->kind != VT_E_STRING) {
        vt_ty_expect(c, e, VT_T_TEXT, where);
        return;
    }
    set_type(e, ty(VT_T_TEXT));
    for (uint32_t i = 0; i < e->u.str.nparts; i++) {
        vt_str_part *p = &e->u.str.parts[i];
        if (!p->is_field || !p->text) continue;
        if (vt_rs_contact_field(c, p->text) >= 0 || builtin_index(p->text) >= 0) continue;
        vt_suggest s;
        vt_suggest_init(&s, p->text);
        vt_decl *ct = c->u->contact;
        for (uint32_t k = 0; ct && k < ct->u.contact.n; k++) vt_suggest_add(&s, ct->u.contact.fields[k]->name.text);
        for (int k = 0; k < 4; k++) vt_suggest_add(&s, builtin_names[k]);
        vt_diag *g = vt_rs_report(c, VT_E044, p->span, "`{%s}` in %s names no contact field", p->text, where);
        const char *best = vt_suggest_best(&s);
        if (best) vt_diag_hint(g, c->u->diags, "did you mean `{%s}`?", best);
        else vt_diag_hint(g, c->u->diags, "use a contact field, or id, owner or created_at; write `\\{` for a brace");
    }
}

bool vt_ty_assign(vt_rctx *c, vt_type to, vt_expr *value, const char *what) {
    if (!value) return true;
    vt_type t = vt_ty_expr(c, value);
    if (to.kind == VT_T_TEAM && t.kind == VT_T_TEAM) return true;
    if (t.kind == VT_T_ERROR || to.kind == VT_T_ERROR) return false;
    if (t.kind == to.kind) {
        if (t.kind == VT_T_MONEY && !same_currency(to, t)) {
            currency_mismatch(c, value->span, to, t);
            return false;
        }
        return true;
    }
    if (to.kind == VT_T_NUMBER && t.kind == VT_T_INT) return true;
    vt_diag *g = vt_rs_report(c, VT_E040, value->span, "%s is %s, and this value is %s", what, vt_type_kind_name(to.kind),
                              vt_ty_name(c, t));
    const char *lit = int_literal_text(c, value);
    if (to.kind == VT_T_MONEY && lit)
        vt_diag_hint(g, c->u->diags, value->kind == VT_E_INT ? "write `%s.00 EUR`" : "write `%s EUR`", lit);
    else if (to.kind == VT_T_DURATION && lit) vt_diag_hint(g, c->u->diags, "write it with a unit, such as `%sd`", lit);
    else if (to.kind == VT_T_TEXT) vt_diag_hint(g, c->u->diags, "write it in quotes");
    else if (to.kind == VT_T_BOOL) vt_diag_hint(g, c->u->diags, "write `true` or `false`");
    return false;
}

/* The value of a numeric literal, possibly negated; false when `e` is not one. */
static bool literal_value(vt_expr *e, double *v) {
    if (!e) return false;
    if (e->kind == VT_E_INT) return *v = (double)e->u.i, true;
    if (e->kind == VT_E_NUMBER) return *v = e->u.num.v, true;
    if (e->kind == VT_E_UNARY && e->u.unary.op == VT_OP_NEG && literal_value(e->u.unary.e, v)) return *v = -*v, true;
    return false;
}

static const char *literal_text(vt_rctx *c, vt_expr *e) {
    double v;
    if (!literal_value(e, &v)) return "?";
    if (e->kind == VT_E_INT) return or_unknown(vt_arena_printf(c->a, "%lld", (long long)e->u.i));
    if (e->kind == VT_E_NUMBER && e->u.num.text) return e->u.num.text;
    return or_unknown(vt_arena_printf(c->a, "%g", v));
}

void vt_ty_range(vt_rctx *c, const vt_typeref *t, vt_expr *value, const char *what) {
    double lo, hi, v;
    if (!t->has_range || !literal_value(t->lo, &lo) || !literal_value(t->hi, &hi)) return;
    if (!value) {
        if (lo > hi) {
            vt_diag *g = vt_rs_report(c, VT_E045, t->span, "the range of `%s` is empty: %s is above %s", what,
                                      literal_text(c, t->lo), literal_text(c, t->hi));
            vt_diag_hint(g, c->u->diags, "write the lower bound first: %s..%s", literal_text(c, t->hi),
                         literal_text(c, t->lo));
        }
        return;
    }
    if (!literal_value(value, &v) || (v >= lo && v <= hi)) return;
    vt_diag *g = vt_rs_report(c, VT_E045, value->span, "%s is outside the range of `%s` (%s..%s)", literal_text(c, value),
                              what, literal_text(c, t->lo), literal_text(c, t->hi));
    vt_diag_hint(g, c->u->diags, "write a value from %s to %s", literal_text(c, t->lo), literal_text(c, t->hi));
}
