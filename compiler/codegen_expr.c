/* Expressions -> stack code. `and`/`or` short-circuit with JFALSE_KEEP/JTRUE_KEEP;
 * truths and segments are inlined where they are used; history expressions become
 * per-contact accumulators (HIST) updated on arrival, never a rescan (SPEC §4). */
#include "codegen_internal.h"
#include "../common/mem.h"
#include <string.h>

static int32_t add_hist(cg *g, vt_hist_kind kind, int32_t event, int32_t field, int64_t within,
                        int32_t k, vt_expr *where) {
    /* Identical accumulators without a filter are shared. */
    if (!where)
        for (uint32_t i = 0; i < g->p->nhists; i++) {
            vt_phist *h = &g->p->hists[i];
            if (h->kind == (int32_t)kind && h->event == event && h->field == field && h->within == within &&
                h->where_fn < 0 && h->k >= k)
                return (int32_t)i;
        }
    vt_phist *h = CG_PUSH(g, hists);
    if (!h) return 0;
    h->kind = (int32_t)kind;
    h->event = event;
    h->field = field;
    h->within = within;
    h->k = k;
    h->where_fn = -1;
    h->vtype = VT_V_INT;
    if (field >= 0 && event >= 0 && (uint32_t)event < g->p->nevents) {
        const vt_pevent *ev = &g->p->events[event];
        if ((uint32_t)field < ev->nfields) h->vtype = g->p->efields[ev->first_field + (uint32_t)field].type;
    }
    uint32_t idx = g->p->nhists - 1;
    if (where) {
        if (vt_grow((void **)&g->pending, &g->cap_pending, (size_t)g->npending + 1, sizeof *g->pending) != 0) {
            cg_fail(g, where->span, "out of memory");
            return 0;
        }
        g->pending[g->npending].where = where;
        g->pending[g->npending].hist = idx;
        g->npending++;
    }
    return (int32_t)idx;
}

int32_t cg_hist_simple(cg *g, vt_hist_kind kind, int32_t event) {
    return add_hist(g, kind, event, -1, 0, 0, NULL);
}

static int32_t event_index(cg *g, vt_expr *e) {
    if (!e->u.hist.event_decl) {
        cg_fail(g, e->span, "history over an unknown event \"%s\"", e->u.hist.event.text ? e->u.hist.event.text : "?");
        return 0;
    }
    return (int32_t)e->u.hist.event_decl->index;
}

/* k_hint: how many timestamps a windowed count must keep (from `>= k`), 0 unknown. */
static void gen_hist(cg *g, vt_expr *e, int32_t k_hint) {
    int32_t ev = event_index(g, e);
    int64_t within = e->u.hist.within ? cg_const_dur(g, e->u.hist.within) : 0;
    int32_t field = e->u.hist.field.text ? e->u.hist.field_index : -1;
    if (e->u.hist.field.text && strcmp(e->u.hist.field.text, "at") == 0) field = -1;
    vt_hist_kind kind = VT_H_COUNT;
    int32_t k = 0;
    switch (e->kind) {
    case VT_E_AGGREGATE:
        switch (e->u.hist.agg) {
        case VT_AGG_COUNT: kind = VT_H_COUNT; field = -1; break;
        case VT_AGG_SUM: kind = VT_H_SUM; break;
        case VT_AGG_MIN: kind = VT_H_MIN; break;
        case VT_AGG_MAX: kind = VT_H_MAX; break;
        case VT_AGG_AVG: kind = VT_H_AVG; break;
        }
        if (kind != VT_H_COUNT && field < 0) { cg_fail(g, e->span, "sum/min/max/avg need an event field: sum(E.field)"); return; }
        if (within > 0) {
            k = (kind == VT_H_COUNT && k_hint > 0) ? k_hint : VT_RING_DEFAULT;
            if (k > VT_RING_MAX) k = VT_RING_MAX;
        }
        break;
    case VT_E_LAST_FIRST:
        if (field < 0) kind = e->u.hist.last ? VT_H_LAST_AT : VT_H_FIRST_AT;
        else kind = e->u.hist.last ? VT_H_LAST : VT_H_FIRST;
        within = 0;
        break;
    case VT_E_SINCE: kind = VT_H_SINCE; field = -1; within = 0; break;
    case VT_E_WITHIN: kind = VT_H_WITHIN; field = -1; break;
    case VT_E_NO_FOR: kind = VT_H_NOFOR; field = -1; break;
    default: break;
    }
    /* One accumulator per history expression, even when a truth is inlined twice. */
    for (uint32_t i = 0; i < g->nseen; i++)
        if (g->seen[i].where == e) { cg_emit(g, VT_I_HIST, g->seen[i].hist, 0, 0); return; }
    int32_t h = add_hist(g, kind, ev, field, within, k, e->u.hist.where);
    if (vt_grow((void **)&g->seen, &g->cap_seen, (size_t)g->nseen + 1, sizeof *g->seen) != 0) { cg_fail(g, e->span, "out of memory"); return; }
    g->seen[g->nseen].where = e;
    g->seen[g->nseen++].hist = (uint32_t)h;
    cg_emit(g, VT_I_HIST, (uint32_t)h, 0, 0);
}

static int is_windowed_count(const vt_expr *e) {
    return e && e->kind == VT_E_AGGREGATE && e->u.hist.agg == VT_AGG_COUNT && e->u.hist.within;
}

static int32_t count_hint(vt_binop op, int64_t n, int count_on_left) {
    if (!count_on_left) {   /* n op count: flip */
        if (op == VT_OP_LT) op = VT_OP_GT; else if (op == VT_OP_LE) op = VT_OP_GE;
        else if (op == VT_OP_GT) op = VT_OP_LT; else if (op == VT_OP_GE) op = VT_OP_LE;
    }
    int64_t k = (op == VT_OP_GE || op == VT_OP_LT) ? n : n + 1;
    if (k < 1) k = 1;
    if (k > VT_RING_MAX) k = VT_RING_MAX;
    return (int32_t)k;
}

static const vt_opcode binops[] = {
    [VT_OP_EQ] = VT_I_EQ, [VT_OP_NE] = VT_I_NE, [VT_OP_LT] = VT_I_LT, [VT_OP_LE] = VT_I_LE,
    [VT_OP_GT] = VT_I_GT, [VT_OP_GE] = VT_I_GE, [VT_OP_ADD] = VT_I_ADD, [VT_OP_SUB] = VT_I_SUB,
    [VT_OP_MUL] = VT_I_MUL, [VT_OP_DIV] = VT_I_DIV, [VT_OP_CONTAINS] = VT_I_CONTAINS,
    [VT_OP_STARTS_WITH] = VT_I_STARTS, [VT_OP_ENDS_WITH] = VT_I_ENDS, [VT_OP_MATCHES] = VT_I_MATCHES,
};

static void gen_binary(cg *g, vt_expr *e) {
    vt_binop op = e->u.bin.op;
    if (op == VT_OP_AND || op == VT_OP_OR) {
        cg_expr(g, e->u.bin.l);
        uint32_t j = cg_emit(g, op == VT_OP_AND ? VT_I_JFALSE_KEEP : VT_I_JTRUE_KEEP, 0, 0, 0);
        cg_expr(g, e->u.bin.r);
        cg_patch_here(g, j, 0);
        return;
    }
    vt_expr *l = e->u.bin.l, *r = e->u.bin.r;
    int cmp = op >= VT_OP_EQ && op <= VT_OP_GE;
    if (cmp && is_windowed_count(l) && r->kind == VT_E_INT) gen_hist(g, l, count_hint(op, r->u.i, 1));
    else cg_expr(g, l);
    if (cmp && is_windowed_count(r) && l->kind == VT_E_INT) gen_hist(g, r, count_hint(op, l->u.i, 0));
    else cg_expr(g, r);
    cg_emit(g, binops[op], 0, 0, 0);
}

static int lifecycle_of(const vt_expr *e) {
    if (e && e->kind == VT_E_NAME && e->u.name.ref == VT_REF_LIFECYCLE && e->u.name.decl) return (int)e->u.name.decl->index;
    return -1;
}

static void gen_in(cg *g, vt_expr *e) {
    vt_expr *list = e->u.in.list;
    int lc = lifecycle_of(e->u.in.e);
    uint32_t n = list && list->kind == VT_E_LIST ? list->u.list.n : 0;
    if (lc >= 0) {
        /* funnel in [mql, sql]: a chain of IS joined by `or`. */
        if (n == 0) { cg_emit(g, VT_I_CONST, cg_const_int(g, VT_V_BOOL, 0), 0, 0); return; }
        uint32_t jumps[64];
        uint32_t nj = 0;
        for (uint32_t i = 0; i < n; i++) {
            vt_expr *it = list->u.list.items[i];
            if (it->kind != VT_E_NAME || it->u.name.ref != VT_REF_STATE) { cg_fail(g, it->span, "expected a state name"); return; }
            cg_emit(g, VT_I_IS, (uint32_t)lc, (uint32_t)it->u.name.index, 0);
            if (i + 1 < n) {
                if (nj == 64) { cg_fail(g, it->span, "too many states in one `in` list (at most 64)"); return; }
                jumps[nj++] = cg_emit(g, VT_I_JTRUE_KEEP, 0, 0, 0);
            }
        }
        for (uint32_t i = 0; i < nj; i++) cg_patch_here(g, jumps[i], 0);
        return;
    }
    if (n > 200) { cg_fail(g, e->span, "too many items in one `in` list (at most 200)"); return; }
    cg_expr(g, e->u.in.e);
    for (uint32_t i = 0; i < n; i++) cg_expr(g, list->u.list.items[i]);
    cg_emit(g, VT_I_IN, n, 0, 0);
}

static int find_contact_field(cg *g, const char *name) {
    for (uint32_t i = 0; i < g->p->nfields; i++)
        if (strcmp(g->p->strings + g->p->fields[i].name, name) == 0) return (int)i;
    return -1;
}

static void gen_string(cg *g, vt_expr *e) {
    uint32_t n = e->u.str.nparts;
    if (n == 0) { cg_emit(g, VT_I_CONST, cg_const_text(g, ""), 0, 0); return; }
    if (n == 1 && !e->u.str.parts[0].is_field) { cg_emit(g, VT_I_CONST, cg_const_text(g, e->u.str.parts[0].text), 0, 0); return; }
    if (n > 200) { cg_fail(g, e->span, "too many parts in one text (at most 200)"); return; }
    for (uint32_t i = 0; i < n; i++) {
        const vt_str_part *pt = &e->u.str.parts[i];
        if (!pt->is_field) { cg_emit(g, VT_I_CONST, cg_const_text(g, pt->text), 0, 0); continue; }
        int f = find_contact_field(g, pt->text);
        if (f >= 0) { cg_emit(g, VT_I_FIELD, (uint32_t)f, 0, 0); continue; }
        if (strcmp(pt->text, "id") == 0) { cg_emit(g, VT_I_ID, 0, 0, 0); continue; }
        if (strcmp(pt->text, "owner") == 0) { cg_emit(g, VT_I_OWNER, 0, 0, 0); continue; }
        if (strcmp(pt->text, "created_at") == 0) { cg_emit(g, VT_I_CREATED_AT, 0, 0, 0); continue; }
        int found = 0;
        if (g->cur_event)
            for (uint32_t j = 0; j < g->cur_event->u.event.n; j++)
                if (strcmp(g->cur_event->u.event.fields[j]->name.text, pt->text) == 0) {
                    cg_emit(g, VT_I_PAYLOAD, j, 0, 0);
                    found = 1;
                    break;
                }
        if (!found) { cg_fail(g, pt->span, "`{%s}` names no contact field", pt->text); return; }
    }
    cg_emit(g, VT_I_CONCAT, n, 0, 0);
}

static void gen_name(cg *g, vt_expr *e) {
    switch (e->u.name.ref) {
    case VT_REF_FIELD: cg_emit(g, VT_I_FIELD, (uint32_t)e->u.name.index, 0, 0); return;
    case VT_REF_BUILTIN:
        switch ((vt_builtin_field)e->u.name.index) {
        case VT_BI_ID: cg_emit(g, VT_I_ID, 0, 0, 0); return;
        case VT_BI_OWNER: cg_emit(g, VT_I_OWNER, 0, 0, 0); return;
        case VT_BI_CREATED_AT: cg_emit(g, VT_I_CREATED_AT, 0, 0, 0); return;
        case VT_BI_TAGS: cg_emit(g, VT_I_TAGS, 0, 0, 0); return;
        }
        break;
    case VT_REF_PAYLOAD: cg_emit(g, VT_I_PAYLOAD, (uint32_t)e->u.name.index, 0, 0); return;
    case VT_REF_EVENT_AT: cg_emit(g, VT_I_EVENT_AT, 0, 0, 0); return;
    case VT_REF_TRUTH:
    case VT_REF_SEGMENT:
        if (!e->u.name.decl || ++g->depth > 64) { cg_fail(g, e->span, "truths and segments refer to each other too deeply"); return; }
        cg_expr(g, e->u.name.decl->u.truth.cond);
        g->depth--;
        return;
    case VT_REF_TEAM:
        if (e->u.name.decl) { cg_emit(g, VT_I_CONST, cg_const_int(g, VT_V_TEAM, e->u.name.decl->index), 0, 0); return; }
        break;
    case VT_REF_EVENT:
        /* An event name as a condition (`wait until sales_contacted`, `goal purchase`):
         * a record of it was processed after the enrollment started (SPEC §6). */
        if (e->u.name.decl) {
            int32_t h = cg_hist_simple(g, VT_H_LASTSEQ, (int32_t)e->u.name.decl->index);
            cg_emit(g, VT_I_HAPPENED, (uint32_t)h, 0, 0);
            return;
        }
        break;
    default: break;
    }
    cg_fail(g, e->span, "`%s` cannot be used as a value here", e->u.name.name.text ? e->u.name.name.text : "?");
}

void cg_expr(cg *g, vt_expr *e) {
    if (g->err || !e) return;
    vt_pconst k = {0};
    switch (e->kind) {
    case VT_E_BOOL: cg_emit(g, VT_I_CONST, cg_const_int(g, VT_V_BOOL, e->u.b), 0, 0); return;
    case VT_E_INT: cg_emit(g, VT_I_CONST, cg_const_int(g, VT_V_INT, e->u.i), 0, 0); return;
    case VT_E_NUMBER: k.type = VT_V_NUMBER; k.d = e->u.num.v; cg_emit(g, VT_I_CONST, cg_const(g, &k), 0, 0); return;
    case VT_E_MONEY:
        k.type = VT_V_MONEY; k.i = e->u.money.minor; memcpy(k.cur, e->u.money.currency, 4);
        cg_emit(g, VT_I_CONST, cg_const(g, &k), 0, 0);
        return;
    case VT_E_STRING: gen_string(g, e); return;
    case VT_E_DURATION: cg_emit(g, VT_I_CONST, cg_const_int(g, VT_V_DURATION, e->u.dur.seconds), 0, 0); return;
    case VT_E_TIMESTAMP: cg_emit(g, VT_I_CONST, cg_const_int(g, VT_V_TIME, cg_timestamp(g, e)), 0, 0); return;
    case VT_E_TIME_OF_DAY: cg_emit(g, VT_I_CONST, cg_const_int(g, VT_V_DURATION, (int64_t)e->u.tod.minutes * 60), 0, 0); return;
    case VT_E_MONTH_DAY: cg_emit(g, VT_I_CONST, cg_const_int(g, VT_V_INT, e->u.md.month * 100 + e->u.md.day), 0, 0); return;
    case VT_E_NOW: cg_emit(g, VT_I_NOW, 0, 0, 0); return;
    case VT_E_NAME: gen_name(g, e); return;
    case VT_E_LIST: cg_fail(g, e->span, "a list can only follow `in`"); return;
    case VT_E_UNARY:
        cg_expr(g, e->u.unary.e);
        cg_emit(g, e->u.unary.op == VT_OP_NOT ? VT_I_NOT : VT_I_NEG, 0, 0, 0);
        return;
    case VT_E_BINARY: gen_binary(g, e); return;
    case VT_E_IS: {
        int lc = lifecycle_of(e->u.is.lifecycle);
        if (lc < 0) { cg_fail(g, e->span, "`is` needs a lifecycle on its left"); return; }
        cg_emit(g, VT_I_IS, (uint32_t)lc, (uint32_t)e->u.is.state_index, 0);
        return;
    }
    case VT_E_IN: gen_in(g, e); return;
    case VT_E_HAS_TAG: cg_expr(g, e->u.has_tag.tag); cg_emit(g, VT_I_HAS_TAG, 0, 0, 0); return;
    case VT_E_CALL: cg_call_extern(g, e); return;
    case VT_E_AGGREGATE:
    case VT_E_LAST_FIRST:
    case VT_E_SINCE:
    case VT_E_WITHIN:
    case VT_E_NO_FOR:
        gen_hist(g, e, 0);
        return;
    }
}
