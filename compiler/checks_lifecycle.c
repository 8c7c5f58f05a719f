/* Lifecycle checks over what reach.c computed: unreachable states (V001), dead
 * transitions (V002), sink states (V004), ambiguous transitions (V005), instant loops
 * (V006) and transitions triggered by a weak event (V007). */
#include "analysis_int.h"
#include <string.h>

static const char *state_name(const vt_an_lc *lc, int st) {
    return st >= 0 && (uint32_t)st < lc->nstates ? lc->d->u.lifecycle.states[st]->name.text : "?";
}

static vt_an_tr *by_order(const vt_an_lc *lc, uint32_t order_plus_one) {
    for (uint32_t i = 0; i < lc->ntr; i++)
        if (lc->tr[i]->order + 1 == order_plus_one) return lc->tr[i];
    return NULL;
}

static void check_unreachable_states(vt_an *an, vt_an_lc *lc) {
    if (lc->initial < 0) return;
    for (uint32_t st = 0; st < lc->nstates; st++) {
        if (lc->reach[st]) continue;
        vt_state_decl *sd = lc->d->u.lifecycle.states[st];
        vt_diag *g = vt_an_report(an, VT_V001, sd->name.span,
                                  "state `%s` can never be reached: no transition that can fire leads to it from "
                                  "the initial state `%s`",
                                  sd->name.text, state_name(lc, lc->initial));
        if (!g) continue;
        int noted = 0;
        for (uint32_t i = 0; i < lc->ntr && noted < 3; i++) {
            vt_an_tr *t = lc->tr[i];
            if (t->d->u.transition.to_index != (int)st) continue;
            vt_diag_note(g, an->u->diags, t->d->span, "`%s` leads here, but can never fire", vt_an_arrow(an, t->d));
            noted++;
        }
        if (!noted)
            vt_diag_hint(g, an->u->diags, "add a transition into `%s` (or a workflow step `move to %s`), or remove the state",
                         sd->name.text, sd->name.text);
    }
}

static void check_dead_transitions(vt_an *an, vt_an_lc *lc) {
    vt_diags *d = an->u->diags;
    if (lc->initial < 0) return;
    for (uint32_t i = 0; i < lc->ntr; i++) {
        vt_an_tr *t = lc->tr[i];
        const char *arrow = vt_an_arrow(an, t->d);
        const vt_trigger *tr = &t->d->u.transition.trigger;
        int leaves_some = 0;
        for (uint32_t st = 0; st < lc->nstates && !leaves_some; st++) leaves_some = vt_an_leaves(lc, t, st);
        if (!leaves_some) {   /* `any -> S` where S is the only state that is not final */
            vt_diag *g = vt_an_report(an, VT_V002, t->d->span,
                                      "transition `%s` can never fire: every state it could leave is final or is its "
                                      "own target", arrow);
            vt_diag_hint(g, d, "remove the transition");
            continue;
        }
        if (t->holds == VT_SAT_NO) {
            vt_diag *g = vt_an_report(an, VT_V002, tr->cond ? tr->cond->span : t->d->span,
                                      "transition `%s` can never fire: its condition can never hold", arrow);
            if (!t->d->u.transition.from_any && vt_sat_check(an->sat, t->guard) == VT_SAT_YES)
                vt_diag_note(g, d, t->d->u.transition.from.span, "it is only checked while the contact is in `%s`, "
                             "where the condition is false", t->d->u.transition.from.text);
            else if (tr->kind == VT_TR_ON_EVENT)
                vt_diag_note(g, d, tr->event.span, "it is checked when `%s` arrives; the condition contradicts itself "
                             "(or the event that triggers it)", tr->event.text);
            vt_diag_hint(g, d, "fix the condition, or remove the transition");
            continue;
        }
        if (!t->d->u.transition.from_any) {
            uint32_t st = (uint32_t)t->d->u.transition.from_index;
            if (!lc->reach[st]) {
                vt_diag *g = vt_an_report(an, VT_V002, t->d->span,
                                          "transition `%s` can never fire: its source state `%s` can never be reached",
                                          arrow, state_name(lc, (int)st));
                vt_diag_note(g, d, lc->d->u.lifecycle.states[st]->name.span, "`%s` is declared here",
                             state_name(lc, (int)st));
                continue;
            }
            if (t->shadow[st]) {
                vt_an_tr *a = by_order(lc, t->shadow[st]);
                vt_diag *g = vt_an_report(an, VT_V002, t->d->span,
                                          "transition `%s` can never fire: an earlier transition out of `%s` always "
                                          "fires first",
                                          arrow, state_name(lc, (int)st));
                if (a)
                    vt_diag_note(g, d, a->d->span, "`%s` at line %u already fires whenever `%s` would", vt_an_arrow(an, a->d),
                                 vt_an_line(an, a->d->span), arrow);
                vt_diag_hint(g, d, "move it above the other one, or make its condition one the other does not cover");
            }
            continue;
        }
        /* `any`: dead when it is live in no reachable state it leaves */
        int live = 0, leaves_reachable = 0;
        uint32_t shadower = 0;
        for (uint32_t st = 0; st < lc->nstates && !live; st++) {
            if (!vt_an_leaves(lc, t, st) || !lc->reach[st]) continue;
            leaves_reachable = 1;
            if (t->shadow[st]) shadower = t->shadow[st];
            else live = 1;
        }
        if (live || !leaves_reachable) continue;
        vt_an_tr *a = by_order(lc, shadower);
        vt_diag *g = vt_an_report(an, VT_V002, t->d->span,
                                  "transition `%s` can never fire: in every state it leaves, an earlier transition "
                                  "always fires first",
                                  arrow);
        if (a)
            vt_diag_note(g, d, a->d->span, "for example `%s` at line %u", vt_an_arrow(an, a->d), vt_an_line(an, a->d->span));
    }
}

/* `move to` targets of the workflows that can run, per lifecycle state. */
static void mark_moves(vt_an *an, const vt_block *b);
static void mark_moves_stmt(vt_an *an, const vt_stmt *s) {
    switch (s->kind) {
    case VT_S_MOVE: {
        vt_an_lc *lc = vt_an_lifecycle(an, s->u.move.lifecycle);
        if (lc && lc->moved && s->u.move.state_index >= 0 && (uint32_t)s->u.move.state_index < lc->nstates &&
            !lc->moved[s->u.move.state_index]) {
            lc->moved[s->u.move.state_index] = 1;
            lc->nmoved++;
        }
        break;
    }
    case VT_S_IF:
        for (uint32_t i = 0; i < s->u.if_.narms; i++) mark_moves(an, &s->u.if_.arms[i].body);
        break;
    case VT_S_WAIT_UNTIL: mark_moves(an, &s->u.wait_until.else_); break;
    case VT_S_REPEAT: mark_moves(an, &s->u.repeat.body); break;
    case VT_S_SPLIT:
        for (uint32_t i = 0; i < s->u.split.narms; i++) mark_moves(an, &s->u.split.arms[i].body);
        break;
    default: break;
    }
}
static void mark_moves(vt_an *an, const vt_block *b) {
    for (uint32_t i = 0; i < b->n; i++) mark_moves_stmt(an, b->items[i]);
}

static void check_sinks(vt_an *an, vt_an_lc *lc) {
    unsigned char *mv = lc->moved;
    uint32_t nmv = lc->nmoved;
    for (uint32_t st = 0; st < lc->nstates; st++) {
        vt_state_decl *sd = lc->d->u.lifecycle.states[st];
        if (sd->final || !lc->reach[st]) continue;
        if (nmv > 1 || (nmv == 1 && !mv[st])) continue;   /* a workflow can move the contact on */
        int out = 0;
        for (uint32_t i = 0; i < lc->nout[st] && !out; i++)
            out = vt_an_live_in(lc, lc->out[st][i], st) && lc->out[st][i]->d->u.transition.to_index != (int)st;
        if (out) continue;
        vt_diag *g = vt_an_report(an, VT_V004, sd->name.span,
                                  "state `%s` is a dead end: no transition can take a contact out of it, and it is not "
                                  "final",
                                  sd->name.text);
        vt_diag_hint(g, an->u->diags, "add a transition out of `%s` (for example `transition %s -> ... after 90d in "
                     "state`), or declare it `final state %s`",
                     sd->name.text, sd->name.text, sd->name.text);
    }
}

static int same_event(const vt_an_tr *a, const vt_an_tr *b) {
    return a->event && b->event && strcmp(a->event, b->event) == 0;
}

static void check_ambiguous(vt_an *an, vt_an_lc *lc) {
    vt_sat *s = an->sat;
    for (uint32_t j = 0; j < lc->ntr; j++) {
        vt_an_tr *b = lc->tr[j];
        if (b->d->u.transition.from_any) continue;
        uint32_t st = (uint32_t)b->d->u.transition.from_index;
        if (!lc->reach[st] || !vt_an_live_in(lc, b, st)) continue;
        vt_trigger_kind kb = b->d->u.transition.trigger.kind;
        for (uint32_t i = 0; i < lc->nout[st] && lc->out[st][i] != b; i++) {
            vt_an_tr *a = lc->out[st][i];
            if (a->d->u.transition.from_any) continue;
            if (a->d->u.transition.to_index == b->d->u.transition.to_index || !vt_an_live_in(lc, a, st)) continue;
            vt_trigger_kind ka = a->d->u.transition.trigger.kind;
            /* Only triggers that fire at the same instant can clash: the same event, or two
             * conditions (a timer and a condition, or two events, do not coincide). */
            if (ka != kb || ka == VT_TR_AFTER) continue;
            if (ka == VT_TR_ON_EVENT && !same_event(a, b)) continue;
            vt_fm *q = vt_sat_and(s, vt_sat_and(s, a->guard, b->guard), vt_sat_state_is(s, lc->d, (int)st));
            if (vt_sat_check(s, q) != VT_SAT_YES) continue;
            vt_diag *g = vt_an_report(an, VT_V005, b->d->span,
                                      "transitions `%s` and `%s` can both fire at once, to different states: only the "
                                      "order they are written in decides",
                                      vt_an_arrow(an, b->d), vt_an_arrow(an, a->d));
            vt_diag_note(g, an->u->diags, a->d->span, "`%s` at line %u wins whenever both hold", vt_an_arrow(an, a->d),
                         vt_an_line(an, a->d->span));
            vt_diag_hint(g, an->u->diags, "make the conditions exclusive (for example add `and not (...)` to one of "
                         "them)");
            break;
        }
    }
}

/* ---- V006: instant loops --------------------------------------------------------- */

typedef struct loop_ctx {
    vt_an *an;
    vt_an_lc *lc;
    int32_t *index, *low, *comp;
    uint32_t *stack, nstack;
    unsigned char *on_stack;
    int32_t next, ncomp;
} loop_ctx;

static int instant_edge(const vt_an_lc *lc, const vt_an_tr *t, uint32_t st) {
    vt_trigger_kind k = t->d->u.transition.trigger.kind;
    return (k == VT_TR_WHEN || k == VT_TR_ON_EVENT) && lc->reach[st] && vt_an_live_in(lc, t, st);
}

static void tarjan(loop_ctx *c, uint32_t v) {
    c->index[v] = c->low[v] = c->next++;
    c->stack[c->nstack++] = v;
    c->on_stack[v] = 1;
    for (uint32_t i = 0; i < c->lc->nout[v]; i++) {
        vt_an_tr *t = c->lc->out[v][i];
        if (!instant_edge(c->lc, t, v)) continue;
        uint32_t w = (uint32_t)t->d->u.transition.to_index;
        if (c->index[w] < 0) {
            tarjan(c, w);
            if (c->low[w] < c->low[v]) c->low[v] = c->low[w];
        } else if (c->on_stack[w] && c->index[w] < c->low[v]) {
            c->low[v] = c->index[w];
        }
    }
    if (c->low[v] == c->index[v]) {
        uint32_t w;
        do {
            w = c->stack[--c->nstack];
            c->on_stack[w] = 0;
            c->comp[w] = c->ncomp;
        } while (w != v);
        c->ncomp++;
    }
}

/* Can edge (t from st) fire in a chain triggered by event ev (NULL: a condition)? */
static int edge_in_mode(const vt_an_tr *t, const char *ev) {
    if (t->d->u.transition.trigger.kind == VT_TR_WHEN) return 1;
    return ev && t->event && strcmp(ev, t->event) == 0;
}

/* Searches a cycle through edge e (from st) inside its component, in mode ev; reports it
 * when the conditions along it can all hold at once. Returns 1 when reported. */
static int try_cycle(loop_ctx *c, vt_an_tr *e, uint32_t st, const char *ev, int32_t *prev_state,
                     vt_an_tr **prev_edge, uint32_t *queue) {
    vt_an_lc *lc = c->lc;
    vt_an *an = c->an;
    uint32_t start = (uint32_t)e->d->u.transition.to_index;
    for (uint32_t k = 0; k < lc->nstates; k++) prev_state[k] = -2;
    uint32_t head = 0, tail = 0;
    prev_state[start] = -1;
    queue[tail++] = start;
    int found = start == st;
    while (head < tail && !found) {
        uint32_t v = queue[head++];
        for (uint32_t i = 0; i < lc->nout[v] && !found; i++) {
            vt_an_tr *t = lc->out[v][i];
            if (!instant_edge(lc, t, v) || !edge_in_mode(t, ev)) continue;
            uint32_t w = (uint32_t)t->d->u.transition.to_index;
            if (c->comp[w] != c->comp[st] || prev_state[w] != -2) continue;
            prev_state[w] = (int32_t)v;
            prev_edge[w] = t;
            if (w == st) found = 1;
            else queue[tail++] = w;
        }
    }
    if (!found) return 0;
    vt_sat *s = an->sat;
    vt_fm *q = vt_sat_and(s, e->guard, vt_sat_event_facts(s, ev));
    for (uint32_t v = st; v != start; v = (uint32_t)prev_state[v]) q = vt_sat_and(s, q, prev_edge[v]->guard);
    if (vt_sat_check(s, q) != VT_SAT_YES) return 0;
    vt_diag *g = vt_an_report(an, VT_V006, e->d->span,
                              "instant loop: `%s` starts a cycle of transitions that can all fire at the same instant, "
                              "without time passing",
                              vt_an_arrow(an, e->d));
    if (!g) return 1;
    int notes = 0;
    for (uint32_t v = st; v != start && notes < 8; v = (uint32_t)prev_state[v], notes++)
        vt_diag_note(g, an->u->diags, prev_edge[v]->d->span, "`%s` (line %u) can fire right after, on the same %s",
                     vt_an_arrow(an, prev_edge[v]->d), vt_an_line(an, prev_edge[v]->d->span), ev ? "event" : "instant");
    vt_diag_hint(g, an->u->diags, "make one of the conditions false once the loop has moved on, or let time pass "
                 "(`after D in state`)");
    return 1;
}

static void check_instant_loops(vt_an *an, vt_an_lc *lc) {
    uint32_t n = lc->nstates;
    loop_ctx c = {.an = an, .lc = lc};
    c.index = vt_arena_alloc(&an->arena, (n + 1) * sizeof *c.index);
    c.low = vt_arena_alloc(&an->arena, (n + 1) * sizeof *c.low);
    c.comp = vt_arena_alloc(&an->arena, (n + 1) * sizeof *c.comp);
    c.stack = vt_arena_alloc(&an->arena, (n + 1) * sizeof *c.stack);
    c.on_stack = vt_arena_alloc(&an->arena, n + 1);
    int32_t *prev_state = vt_arena_alloc(&an->arena, (n + 1) * sizeof *prev_state);
    vt_an_tr **prev_edge = vt_arena_alloc(&an->arena, (n + 1) * sizeof *prev_edge);
    uint32_t *queue = vt_arena_alloc(&an->arena, (n + 1) * sizeof *queue);
    unsigned char *done = vt_arena_alloc(&an->arena, n + 1);
    if (!c.index || !c.low || !c.comp || !c.stack || !c.on_stack || !prev_state || !prev_edge || !queue || !done) {
        an->oom = 1;
        return;
    }
    for (uint32_t v = 0; v < n; v++) c.index[v] = -1;
    for (uint32_t v = 0; v < n; v++)
        if (c.index[v] < 0 && lc->reach[v]) tarjan(&c, v);
    /* Per component: try each instant edge inside it, as a condition chain and as a chain
     * of each event; report the first cycle whose conditions can hold together. */
    /* a bounded number of tries per component keeps a huge tangle of conditions cheap;
     * giving up only ever means reporting less */
    uint32_t *tries = vt_arena_alloc(&an->arena, (n + 1) * sizeof *tries);
    if (!tries) { an->oom = 1; return; }
    for (uint32_t st = 0; st < n; st++) {
        for (uint32_t i = 0; i < lc->nout[st]; i++) {
            vt_an_tr *e = lc->out[st][i];
            if (!instant_edge(lc, e, st)) continue;
            uint32_t to = (uint32_t)e->d->u.transition.to_index;
            int32_t comp = c.comp[st];
            if (c.comp[to] != comp || done[comp] || tries[comp] >= 64) continue;
            tries[comp]++;
            const char *ev = e->d->u.transition.trigger.kind == VT_TR_ON_EVENT ? e->event : NULL;
            if (try_cycle(&c, e, st, ev, prev_state, prev_edge, queue)) done[comp] = 1;
        }
    }
}

static void check_weak_transitions(vt_an *an, vt_an_lc *lc) {
    for (uint32_t i = 0; i < lc->ntr; i++) {
        vt_decl *t = lc->tr[i]->d;
        const vt_trigger *tr = &t->u.transition.trigger;
        if (tr->kind != VT_TR_ON_EVENT || !tr->event_decl || tr->event_decl->kind != VT_D_EVENT ||
            !tr->event_decl->u.event.weak)
            continue;
        vt_diag *g = vt_an_report(an, VT_V007, tr->event.span,
                                  "transition `%s` is triggered only by `%s`, a weak event: it is a signal, not a "
                                  "real change in the relationship",
                                  vt_an_arrow(an, t), tr->event.text);
        vt_diag_note(g, an->u->diags, tr->event_decl->span, "`%s` is declared weak here", tr->event.text);
        vt_diag_hint(g, an->u->diags, "trigger it on a truth event or a stronger event, and use `%s` only as context "
                     "inside a condition",
                     tr->event.text);
    }
}

void vt_check_lifecycles(vt_an *an) {
    for (uint32_t i = 0; i < an->nlcs; i++) {
        an->lcs[i].moved = vt_arena_alloc(&an->arena, an->lcs[i].nstates + 1);
        if (!an->lcs[i].moved) { an->oom = 1; return; }
    }
    for (uint32_t w = 0; w < an->u->workflows.n; w++)
        if (an->wf_enrolls[w]) mark_moves(an, &((vt_decl *)an->u->workflows.items[w])->u.workflow.steps);
    for (uint32_t i = 0; i < an->nlcs; i++) {
        vt_an_lc *lc = &an->lcs[i];
        check_unreachable_states(an, lc);
        check_dead_transitions(an, lc);
        check_sinks(an, lc);
        check_ambiguous(an, lc);
        check_instant_loops(an, lc);
        check_weak_transitions(an, lc);
    }
}
