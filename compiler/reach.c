/* Lifecycle reachability: which transitions are live (their trigger can hold, and no
 * earlier transition from the same state already fires whenever they would), and which
 * states a contact can reach from the initial state through live transitions, `any`
 * transitions and the `move to` steps of workflows that can run. */
#include "reach.h"
#include "analysis_int.h"
#include <string.h>

vt_an_lc *vt_an_lifecycle(vt_an *an, const vt_decl *lc) {
    for (uint32_t i = 0; i < an->nlcs; i++)
        if (an->lcs[i].d == lc) return &an->lcs[i];
    return NULL;
}

int vt_an_leaves(const vt_an_lc *lc, const vt_an_tr *t, uint32_t st) {
    if (st >= lc->nstates) return 0;
    if (!t->d->u.transition.from_any) return t->d->u.transition.from_index == (int)st;
    /* `any` is every non-final state; from its own target it would only re-enter it. */
    return !lc->d->u.lifecycle.states[st]->final && t->d->u.transition.to_index != (int)st;
}

int vt_an_live_in(const vt_an_lc *lc, const vt_an_tr *t, uint32_t st) {
    return vt_an_leaves(lc, t, st) && t->holds != VT_SAT_NO && t->shadow[st] == 0;
}

static vt_fm *state_fact(vt_an *an, const vt_an_lc *lc, uint32_t st) {
    return vt_sat_state_is(an->sat, lc->d, (int)st);
}

/* Scratch space for instant_path, one per lifecycle being analysed. */
typedef struct path_scratch {
    uint32_t *queue, *mark, gen;
} path_scratch;

/* Can a contact in state `from` get to `to` through transitions that fire without time
 * passing (on an event or a condition), whatever their conditions? */
static int instant_path(const vt_an_lc *lc, uint32_t from, uint32_t to, path_scratch *ps) {
    if (from == to) return 1;
    ps->gen++;
    uint32_t head = 0, tail = 0;
    ps->queue[tail++] = from;
    ps->mark[from] = ps->gen;
    while (head < tail) {
        uint32_t v = ps->queue[head++];
        for (uint32_t i = 0; i < lc->nout[v]; i++) {
            const vt_an_tr *t = lc->out[v][i];
            if (t->d->u.transition.trigger.kind == VT_TR_AFTER) continue;
            uint32_t w = (uint32_t)t->d->u.transition.to_index;
            if (w == to) return 1;
            if (ps->mark[w] != ps->gen) {
                ps->mark[w] = ps->gen;
                ps->queue[tail++] = w;
            }
        }
    }
    return 0;
}

/* Does earlier transition a fire whenever b would, in state st? The runtime skips a
 * transition into a state already entered at this instant (SPEC §5: at most once per
 * state), so `a` only shadows `b` when the contact cannot have passed through a's target
 * on its way into st. A timer cannot hold on a state just entered, so timers always
 * shadow. */
static int covers(vt_an *an, const vt_an_lc *lc, const vt_an_tr *a, const vt_an_tr *b, uint32_t st,
                  path_scratch *ps) {
    const vt_trigger *ta = &a->d->u.transition.trigger, *tb = &b->d->u.transition.trigger;
    vt_sat *s = an->sat;
    if (ta->kind == VT_TR_AFTER)
        return tb->kind == VT_TR_AFTER && a->after >= 0 && b->after >= 0 && a->after <= b->after;
    if (ta->kind == VT_TR_ON_EVENT &&
        (tb->kind != VT_TR_ON_EVENT || !a->event || !b->event || strcmp(a->event, b->event) != 0))
        return 0;
    if (ta->kind != VT_TR_WHEN && ta->kind != VT_TR_ON_EVENT) return 0;
    vt_fm *q = vt_sat_and(s, vt_sat_and(s, b->guard, state_fact(an, lc, st)), vt_sat_not(s, a->cond));
    if (vt_sat_check(s, q) != VT_SAT_NO) return 0;
    return !instant_path(lc, (uint32_t)a->d->u.transition.to_index, st, ps);
}

static int64_t literal_seconds(const vt_expr *e) {
    return e && e->kind == VT_E_DURATION ? e->u.dur.seconds : -1;
}

/* Per state, the transitions that leave it: every pass walks these instead of all. */
static int build_out_lists(vt_an *an, vt_an_lc *lc) {
    lc->out = vt_arena_alloc(&an->arena, (lc->nstates + 1) * sizeof *lc->out);
    lc->nout = vt_arena_alloc(&an->arena, (lc->nstates + 1) * sizeof *lc->nout);
    if (!lc->out || !lc->nout) return -1;
    for (uint32_t i = 0; i < lc->ntr; i++)
        for (uint32_t st = 0; st < lc->nstates; st++) lc->nout[st] += (uint32_t)vt_an_leaves(lc, lc->tr[i], st);
    for (uint32_t st = 0; st < lc->nstates; st++) {
        lc->out[st] = vt_arena_alloc(&an->arena, (lc->nout[st] + 1) * sizeof **lc->out);
        if (!lc->out[st]) return -1;
        lc->nout[st] = 0;
    }
    for (uint32_t i = 0; i < lc->ntr; i++)
        for (uint32_t st = 0; st < lc->nstates; st++)
            if (vt_an_leaves(lc, lc->tr[i], st)) lc->out[st][lc->nout[st]++] = lc->tr[i];
    return 0;
}

static int build_lifecycles(vt_an *an) {
    vt_unit *u = an->u;
    an->nlcs = u->lifecycles.n;
    an->lcs = vt_arena_alloc(&an->arena, (an->nlcs ? an->nlcs : 1) * sizeof *an->lcs);
    if (!an->lcs) return -1;
    for (uint32_t i = 0; i < an->nlcs; i++) {
        vt_an_lc *lc = &an->lcs[i];
        lc->d = u->lifecycles.items[i];
        lc->nstates = lc->d->u.lifecycle.n;
        lc->initial = -1;
        for (uint32_t k = 0; k < lc->nstates; k++)
            if (lc->d->u.lifecycle.states[k]->initial && lc->initial < 0) lc->initial = (int)k;
        lc->reach = vt_arena_alloc(&an->arena, lc->nstates + 1);
        lc->root = vt_arena_alloc(&an->arena, lc->nstates + 1);
        uint32_t n = 0;
        for (uint32_t k = 0; k < u->transitions.n; k++)
            n += ((vt_decl *)u->transitions.items[k])->u.transition.lifecycle == lc->d;
        lc->tr = vt_arena_alloc(&an->arena, (n ? n : 1) * sizeof *lc->tr);
        if (!lc->reach || !lc->root || !lc->tr) return -1;
        if (lc->initial >= 0) lc->root[lc->initial] = 1;
    }
    for (uint32_t k = 0; k < u->transitions.n; k++) {
        vt_decl *d = u->transitions.items[k];
        vt_an_lc *lc = vt_an_lifecycle(an, d->u.transition.lifecycle);
        if (!lc) continue;
        if (!d->u.transition.from_any &&
            (d->u.transition.from_index < 0 || (uint32_t)d->u.transition.from_index >= lc->nstates))
            continue;
        if (d->u.transition.to_index < 0 || (uint32_t)d->u.transition.to_index >= lc->nstates) continue;
        vt_an_tr *t = vt_arena_alloc(&an->arena, sizeof *t);
        if (!t) return -1;
        t->shadow = vt_arena_alloc(&an->arena, lc->nstates * sizeof *t->shadow + 1);
        if (!t->shadow) return -1;
        t->d = d;
        t->order = k;
        const vt_trigger *tr = &d->u.transition.trigger;
        t->after = tr->kind == VT_TR_AFTER ? literal_seconds(tr->dur) : -1;
        t->cond = t->guard = vt_sat_compile(an->sat, tr->cond);
        if (tr->kind == VT_TR_ON_EVENT) {
            t->event = tr->event.text;
            t->guard = vt_sat_and(an->sat, t->guard, vt_sat_event_facts(an->sat, t->event));
        }
        lc->tr[lc->ntr++] = t;
    }
    for (uint32_t i = 0; i < an->nlcs; i++)
        if (build_out_lists(an, &an->lcs[i]) < 0) return -1;
    return 0;
}

/* Whether each transition can hold, and which earlier transition shadows it where. */
static void analyse_transitions(vt_an *an, vt_an_lc *lc) {
    vt_sat *s = an->sat;
    unsigned char *from = vt_arena_alloc(&an->arena, lc->nstates + 1);
    path_scratch ps = {.queue = vt_arena_alloc(&an->arena, (lc->nstates + 1) * sizeof *ps.queue),
                       .mark = vt_arena_alloc(&an->arena, (lc->nstates + 1) * sizeof *ps.mark)};
    if (!from || !ps.queue || !ps.mark) { an->oom = 1; return; }
    for (uint32_t i = 0; i < lc->ntr; i++) {
        vt_an_tr *t = lc->tr[i];
        memset(from, 0, lc->nstates);
        int any_state = 0;
        for (uint32_t st = 0; st < lc->nstates; st++)
            if (vt_an_leaves(lc, t, st)) from[st] = 1, any_state = 1;
        if (!any_state) { t->holds = VT_SAT_NO; continue; }
        t->holds = vt_sat_check(s, vt_sat_and(s, t->guard, vt_sat_state_in(s, lc->d, from)));
        if (t->holds == VT_SAT_NO) continue;
        for (uint32_t st = 0; st < lc->nstates; st++) {
            if (!from[st]) continue;
            for (uint32_t j = 0; j < lc->nout[st] && !t->shadow[st]; j++) {
                vt_an_tr *a = lc->out[st][j];
                if (a == t) continue;
                if (a->order < t->order) {
                    if (covers(an, lc, a, t, st, &ps)) t->shadow[st] = a->order + 1;
                } else if (a->d->u.transition.trigger.kind == VT_TR_AFTER && t->after >= 0 && a->after >= 0 &&
                           a->after < t->after) {
                    /* a shorter timer declared later still fires first */
                    t->shadow[st] = a->order + 1;
                }
            }
        }
    }
}

static int has_move_to(const vt_block *b, vt_an *an, int mark);

/* Collects (mark=1) the `move to` targets of a block as roots; returns whether one was new. */
static int stmt_moves(const vt_stmt *s, vt_an *an, int mark) {
    int changed = 0;
    switch (s->kind) {
    case VT_S_MOVE: {
        vt_an_lc *lc = vt_an_lifecycle(an, s->u.move.lifecycle);
        if (lc && s->u.move.state_index >= 0 && (uint32_t)s->u.move.state_index < lc->nstates &&
            !lc->root[s->u.move.state_index]) {
            if (mark) lc->root[s->u.move.state_index] = 1;
            changed = 1;
        }
        break;
    }
    case VT_S_IF:
        for (uint32_t i = 0; i < s->u.if_.narms; i++) changed |= has_move_to(&s->u.if_.arms[i].body, an, mark);
        break;
    case VT_S_WAIT_UNTIL: changed |= has_move_to(&s->u.wait_until.else_, an, mark); break;
    case VT_S_REPEAT: changed |= has_move_to(&s->u.repeat.body, an, mark); break;
    case VT_S_SPLIT:
        for (uint32_t i = 0; i < s->u.split.narms; i++) changed |= has_move_to(&s->u.split.arms[i].body, an, mark);
        break;
    default: break;
    }
    return changed;
}

static int has_move_to(const vt_block *b, vt_an *an, int mark) {
    int changed = 0;
    for (uint32_t i = 0; i < b->n; i++) changed |= stmt_moves(b->items[i], an, mark);
    return changed;
}

int vt_an_trigger_possible(vt_an *an, const vt_trigger *tr) {
    vt_sat *s = an->sat;
    switch (tr->kind) {
    case VT_TR_ENTER: {
        vt_an_lc *lc = vt_an_lifecycle(an, tr->state_lifecycle);
        if (!lc || tr->state_index < 0 || (uint32_t)tr->state_index >= lc->nstates) return 1;
        if (!lc->reach[tr->state_index]) return 0;
        vt_fm *f = vt_sat_and(s, vt_sat_compile(s, tr->cond), vt_sat_state_is(s, lc->d, tr->state_index));
        return vt_sat_check(s, f) != VT_SAT_NO;
    }
    case VT_TR_ON_EVENT: {
        vt_fm *f = vt_sat_compile(s, tr->cond);
        f = vt_sat_and(s, f, vt_sat_event_facts(s, tr->event.text));
        return vt_sat_check(s, f) != VT_SAT_NO;
    }
    case VT_TR_WHEN: return vt_sat_check(s, vt_sat_compile(s, tr->cond)) != VT_SAT_NO;
    default: return 1;
    }
}

static void flood(vt_an_lc *lc, uint32_t *queue) {
    uint32_t head = 0, tail = 0;
    for (uint32_t st = 0; st < lc->nstates; st++)
        if (lc->root[st] && !lc->reach[st]) lc->reach[st] = 1, queue[tail++] = st;
    while (head < tail) {
        uint32_t st = queue[head++];
        for (uint32_t i = 0; i < lc->nout[st]; i++) {
            vt_an_tr *t = lc->out[st][i];
            uint32_t to = (uint32_t)t->d->u.transition.to_index;
            if (!lc->reach[to] && vt_an_live_in(lc, t, st)) {
                lc->reach[to] = 1;
                queue[tail++] = to;
            }
        }
    }
}

int vt_reach_run(vt_an *an) {
    vt_unit *u = an->u;
    if (build_lifecycles(an) < 0) return -1;
    uint32_t maxn = 1;
    for (uint32_t i = 0; i < an->nlcs; i++) {
        analyse_transitions(an, &an->lcs[i]);
        if (an->lcs[i].nstates > maxn) maxn = an->lcs[i].nstates;
    }
    uint32_t *queue = vt_arena_alloc(&an->arena, maxn * sizeof *queue);
    an->wf_enrolls = vt_arena_alloc(&an->arena, u->workflows.n + 1);
    if (!queue || !an->wf_enrolls) return -1;
    /* A fixpoint: reaching a state can start a workflow, whose `move to` reaches more. */
    for (int changed = 1; changed;) {
        changed = 0;
        for (uint32_t i = 0; i < an->nlcs; i++) flood(&an->lcs[i], queue);
        for (uint32_t w = 0; w < u->workflows.n; w++) {
            vt_decl *wf = u->workflows.items[w];
            if (!an->wf_enrolls[w]) {
                for (uint32_t k = 0; k < wf->u.workflow.nenroll; k++)
                    if (vt_an_trigger_possible(an, wf->u.workflow.enroll[k])) { an->wf_enrolls[w] = 1; break; }
                if (!an->wf_enrolls[w]) continue;
                changed = 1;
            }
            if (has_move_to(&wf->u.workflow.steps, an, 1)) changed = 1;
        }
    }
    return an->oom ? -1 : 0;
}
