/* Workflow checks: weak enrollment triggers (V007), workflows without an owner (V008),
 * unreachable steps (V010), workflows that can never enroll (V011), and workflows that
 * keep acting after the contact left the state they were started for (V014). */
#include "analysis_int.h"
#include <math.h>
#include <string.h>

/* ---- V010: unreachable steps --------------------------------------------------- */

static int walk_block(vt_an *an, const vt_block *b, const vt_stmt **stopper);

static void report_unreachable_block(vt_an *an, const vt_block *b, vt_span fallback, const char *why,
                                     const vt_expr *cond) {
    vt_span sp = b->n ? b->items[0]->span : fallback;
    vt_diag *g = vt_an_report(an, VT_V010, sp, "this step can never run: %s", why);
    if (cond)
        vt_diag_note(g, an->u->diags, cond->span, "the condition `%s` (line %u)", vt_an_text(an, cond->span),
                     vt_an_line(an, cond->span));
    vt_diag_hint(g, an->u->diags, "remove it, or fix the condition that guards it");
}

/* Returns whether the statement always ends the workflow (every path reaches `stop`). */
static int walk_stmt(vt_an *an, const vt_stmt *s, const vt_stmt **stopper) {
    vt_sat *sat = an->sat;
    switch (s->kind) {
    case VT_S_STOP:
        *stopper = s;
        return 1;
    case VT_S_IF: {
        vt_fm *rest = vt_sat_true(sat);   /* every earlier condition false */
        int all_stop = 1, has_else = 0;
        for (uint32_t i = 0; i < s->u.if_.narms; i++) {
            const vt_if_arm *arm = &s->u.if_.arms[i];
            vt_fm *c = vt_sat_compile(sat, arm->cond);
            vt_sat_result r = vt_sat_check(sat, vt_sat_and(sat, rest, c));
            if (!arm->cond) has_else = 1;
            if (r == VT_SAT_NO) {
                report_unreachable_block(an, &arm->body, arm->span,
                                         !arm->cond ? "the conditions above already cover every case"
                                         : i ? "its condition can never hold once the conditions above are false"
                                             : "its condition can never hold",
                                         arm->cond);
            } else {
                const vt_stmt *st = NULL;
                if (!walk_block(an, &arm->body, &st)) all_stop = 0;
                else if (!*stopper) *stopper = st;
            }
            rest = vt_sat_and(sat, rest, vt_sat_not(sat, c));
        }
        if (!has_else && vt_sat_check(sat, rest) != VT_SAT_NO) all_stop = 0;
        return all_stop && s->u.if_.narms > 0;
    }
    case VT_S_REPEAT:
        if (s->u.repeat.count <= 0) {
            report_unreachable_block(an, &s->u.repeat.body, s->span, "it repeats 0 times", NULL);
            return 0;
        }
        return walk_block(an, &s->u.repeat.body, stopper);
    case VT_S_SPLIT: {
        int all_stop = s->u.split.narms > 0;
        for (uint32_t i = 0; i < s->u.split.narms; i++) {
            const vt_split_arm *arm = &s->u.split.arms[i];
            if (arm->percent <= 0) {
                report_unreachable_block(an, &arm->body, arm->span, "its arm of the split gets 0% of the contacts", NULL);
                continue;
            }
            const vt_stmt *st = NULL;
            if (!walk_block(an, &arm->body, &st)) all_stop = 0;
            else if (!*stopper) *stopper = st;
        }
        return all_stop;
    }
    case VT_S_WAIT_UNTIL: {
        const vt_stmt *st = NULL;
        walk_block(an, &s->u.wait_until.else_, &st);
        return 0;
    }
    default: return 0;
    }
}

static int walk_block(vt_an *an, const vt_block *b, const vt_stmt **stopper) {
    for (uint32_t i = 0; i < b->n; i++) {
        const vt_stmt *st = NULL;
        if (walk_stmt(an, b->items[i], &st)) {
            if (i + 1 < b->n) {
                vt_diag *g = vt_an_report(an, VT_V010, b->items[i + 1]->span,
                                          "this step can never run: the workflow always stops before it");
                if (st)
                    vt_diag_note(g, an->u->diags, st->span, "`stop` at line %u ends the workflow", vt_an_line(an, st->span));
                vt_diag_hint(g, an->u->diags, "remove the steps after `stop`, or move `stop` below them");
            }
            *stopper = st;
            return 1;
        }
    }
    return 0;
}

/* ---- V014: acting after the contact left its state --------------------------------- */

typedef struct act_scan {
    vt_an *an;
    double act_max;             /* latest offset (seconds from enrollment) of an action after a wait; -1 none */
    const vt_stmt *act;         /* the first such action */
} act_scan;

/* How long a send can be held back by quiet hours or a send window, in seconds. */
static double send_delay(const vt_decl *ch) {
    if (!ch || ch->kind != VT_D_CHANNEL) return 0;
    double delay = 0;
    if (ch->u.channel.has_quiet) {
        int len = (ch->u.channel.quiet_to - ch->u.channel.quiet_from + 1440) % 1440;
        delay += len * 60.0;
    }
    if (ch->u.channel.nwindows) {
        enum { WEEK = 7 * 1440 };
        unsigned char open[WEEK];
        memset(open, 0, sizeof open);
        for (uint32_t w = 0; w < ch->u.channel.nwindows; w++) {
            const vt_window *win = &ch->u.channel.windows[w];
            int d0 = win->day_from < 0 ? 0 : win->day_from, d1 = win->day_from < 0 ? 6 : win->day_to;
            for (int d = d0; d <= d1 && d < 7; d++)
                for (int m = win->open; m < win->close && m < 1440; m++)
                    if (m >= 0) open[d * 1440 + m] = 1;
        }
        int longest = 0, run = 0, any = 0;
        for (int k = 0; k < 2 * WEEK; k++) {   /* twice round, for the gap across the week's end */
            if (open[k % WEEK]) { any = 1; run = 0; }
            else if (++run > longest) longest = run;
        }
        delay += any ? (longest > WEEK ? WEEK : longest) * 60.0 : INFINITY;
    }
    return delay;
}

static double dur_seconds(const vt_expr *e) {
    return e && e->kind == VT_E_DURATION ? (double)e->u.dur.seconds : INFINITY;
}

static int acts_on_contact(const vt_stmt *s) {
    switch (s->kind) {
    case VT_S_SEND: case VT_S_TASK: case VT_S_NOTIFY: case VT_S_ASSIGN: case VT_S_MOVE:
    case VT_S_SET: case VT_S_ADD: case VT_S_TAG: case VT_S_UNTAG:
        return 1;
    default:
        /* `escalate` reports a deadline missed while the contact was still in the state:
         * it stays true after the contact moved on, so it is not acting on it. */
        return 0;
    }
}

static void scan_block(act_scan *sc, const vt_block *b, int *waited, double *off);

static void scan_stmt(act_scan *sc, const vt_stmt *s, int *waited, double *off, int *stopped) {
    switch (s->kind) {
    case VT_S_STOP: *stopped = 1; return;
    case VT_S_WAIT:
        *waited = 1;
        *off += dur_seconds(s->u.wait.dur);
        return;
    case VT_S_WAIT_UNTIL: {
        double d = dur_seconds(s->u.wait_until.dur);
        int w = 1;
        double o = *off + d;
        scan_block(sc, &s->u.wait_until.else_, &w, &o);
        *waited = 1;
        *off = o > *off + d ? o : *off + d;
        return;
    }
    case VT_S_IF:
    case VT_S_SPLIT: {
        int anyw = *waited;
        double maxo = *off;
        uint32_t n = s->kind == VT_S_IF ? s->u.if_.narms : s->u.split.narms;
        for (uint32_t i = 0; i < n; i++) {
            int w = *waited;
            double o = *off;
            scan_block(sc, s->kind == VT_S_IF ? &s->u.if_.arms[i].body : &s->u.split.arms[i].body, &w, &o);
            anyw |= w;
            if (o > maxo) maxo = o;
        }
        *waited = anyw;
        *off = maxo;
        return;
    }
    case VT_S_REPEAT: {
        if (s->u.repeat.count <= 0) return;
        double start = *off;
        scan_block(sc, &s->u.repeat.body, waited, off);
        if (s->u.repeat.count > 1) {
            double per = *off - start;
            *off = start + per * (double)(s->u.repeat.count - 1);
            scan_block(sc, &s->u.repeat.body, waited, off);   /* the last round */
        }
        return;
    }
    default:
        if (*waited && acts_on_contact(s)) {
            double at = *off + (s->kind == VT_S_SEND ? send_delay(s->u.send.channel_decl) : 0);
            if (at > sc->act_max) sc->act_max = at;
            if (!sc->act) sc->act = s;
        }
        return;
    }
}

static void scan_block(act_scan *sc, const vt_block *b, int *waited, double *off) {
    int stopped = 0;
    for (uint32_t i = 0; i < b->n && !stopped; i++) scan_stmt(sc, b->items[i], waited, off, &stopped);
}

/* Does the enrollment end (exit or goal) whenever transition t takes the contact out of st? */
static int way_out_covered(vt_an *an, const vt_decl *wf, vt_an_lc *lc, vt_an_tr *t, uint32_t st, double act_max) {
    vt_sat *s = an->sat;
    const vt_trigger *tt = &t->d->u.transition.trigger;
    int to = t->d->u.transition.to_index;
    vt_fm *after = vt_sat_and(s, t->guard, vt_sat_state_is(s, lc->d, to));
    (void)st;
    /* A timer of the state counts from entering it, which is when the enrollment
     * started: if every action is done before it fires, this way out comes too late. */
    if (tt->kind == VT_TR_AFTER && t->after >= 0 && act_max < (double)t->after) return 1;
    for (uint32_t i = 0; i < wf->u.workflow.nexits; i++) {
        const vt_trigger *x = wf->u.workflow.exits[i];
        if (x->kind == VT_TR_ON_EVENT) {
            if (tt->kind != VT_TR_ON_EVENT || !t->event || !x->event.text || strcmp(t->event, x->event.text) != 0)
                continue;
            vt_fm *q = vt_sat_and(s, t->guard, vt_sat_not(s, vt_sat_compile(s, x->cond)));
            if (vt_sat_check(s, q) == VT_SAT_NO) return 1;
        } else if (x->kind == VT_TR_WHEN) {
            vt_fm *q = vt_sat_and(s, after, vt_sat_not(s, vt_sat_compile(s, x->cond)));
            if (vt_sat_check(s, q) == VT_SAT_NO) return 1;
        }
    }
    const vt_expr *goal = wf->u.workflow.goal;
    if (!goal) return 0;
    double within = wf->u.workflow.goal_within ? dur_seconds(wf->u.workflow.goal_within) : INFINITY;
    if (!(act_max < within)) return 0;   /* the goal may have lapsed before the last action */
    if (goal->kind == VT_E_NAME && goal->u.name.ref == VT_REF_EVENT)   /* `goal purchase`: that event arrived */
        return tt->kind == VT_TR_ON_EVENT && t->event && goal->u.name.name.text &&
               strcmp(t->event, goal->u.name.name.text) == 0;
    vt_fm *q = vt_sat_and(s, after, vt_sat_not(s, vt_sat_compile(s, goal)));
    return vt_sat_check(s, q) == VT_SAT_NO;
}

static void check_acts_after_leaving(vt_an *an, vt_decl *wf) {
    act_scan sc = {.an = an, .act_max = -1};
    int waited = 0;
    double off = 0;
    scan_block(&sc, &wf->u.workflow.steps, &waited, &off);
    if (!sc.act) return;
    for (uint32_t k = 0; k < wf->u.workflow.nenroll; k++) {
        const vt_trigger *en = wf->u.workflow.enroll[k];
        if (en->kind != VT_TR_ENTER) continue;
        vt_an_lc *lc = vt_an_lifecycle(an, en->state_lifecycle);
        if (!lc || en->state_index < 0 || (uint32_t)en->state_index >= lc->nstates) continue;
        uint32_t st = (uint32_t)en->state_index;
        if (!lc->reach[st]) continue;
        for (uint32_t i = 0; i < lc->nout[st]; i++) {
            vt_an_tr *t = lc->out[st][i];
            if (!vt_an_live_in(lc, t, st) || t->d->u.transition.to_index == (int)st) continue;
            if (way_out_covered(an, wf, lc, t, st, sc.act_max)) continue;
            vt_diag *g = vt_an_report(an, VT_V014, en->span,
                                      "workflow `%s` can keep acting after the contact has left `%s`: `%s` takes it "
                                      "out, and no `exit` or `goal` ends the enrollment",
                                      wf->name.text, lc->d->u.lifecycle.states[st]->name.text, vt_an_arrow(an, t->d));
            vt_diag_note(g, an->u->diags, t->d->span, "`%s` at line %u takes the contact out of `%s`",
                         vt_an_arrow(an, t->d), vt_an_line(an, t->d->span), lc->d->u.lifecycle.states[st]->name.text);
            vt_diag_note(g, an->u->diags, sc.act->span, "this step still runs after a wait (line %u)",
                         vt_an_line(an, sc.act->span));
            vt_diag_hint(g, an->u->diags, "add `exit when not (%s is %s)` to the workflow", lc->d->name.text,
                         lc->d->u.lifecycle.states[st]->name.text);
            break;
        }
    }
}

/* ---- driver --------------------------------------------------------------------- */

static void check_never_enrolls(vt_an *an, vt_decl *wf, uint32_t w) {
    if (an->wf_enrolls[w] || wf->u.workflow.nenroll == 0) return;
    vt_diag *g = vt_an_report(an, VT_V011, wf->name.span, "workflow `%s` can never enroll a contact", wf->name.text);
    if (!g) return;
    for (uint32_t k = 0; k < wf->u.workflow.nenroll; k++) {
        const vt_trigger *en = wf->u.workflow.enroll[k];
        vt_an_lc *lc = en->kind == VT_TR_ENTER ? vt_an_lifecycle(an, en->state_lifecycle) : NULL;
        if (lc && en->state_index >= 0 && (uint32_t)en->state_index < lc->nstates && !lc->reach[en->state_index])
            vt_diag_note(g, an->u->diags, en->span, "state `%s` can never be reached", en->state.text);
        else
            vt_diag_note(g, an->u->diags, en->cond ? en->cond->span : en->span, "this condition can never hold");
    }
    vt_diag_hint(g, an->u->diags, "fix the enrollment condition, or remove the workflow");
}

static void check_weak_enroll(vt_an *an, vt_decl *wf) {
    for (uint32_t k = 0; k < wf->u.workflow.nenroll; k++) {
        const vt_trigger *en = wf->u.workflow.enroll[k];
        if (en->kind != VT_TR_ON_EVENT || !en->event_decl || en->event_decl->kind != VT_D_EVENT ||
            !en->event_decl->u.event.weak)
            continue;
        vt_diag *g = vt_an_report(an, VT_V007, en->event.span,
                                  "workflow `%s` enrolls on `%s`, a weak event: it is a signal, not a real change in "
                                  "the relationship",
                                  wf->name.text, en->event.text);
        vt_diag_note(g, an->u->diags, en->event_decl->span, "`%s` is declared weak here", en->event.text);
        vt_diag_hint(g, an->u->diags, "enroll on a truth event or a state change, and use `%s` only inside a "
                     "condition", en->event.text);
    }
}

void vt_check_workflows(vt_an *an) {
    vt_unit *u = an->u;
    for (uint32_t w = 0; w < u->workflows.n; w++) {
        vt_decl *wf = u->workflows.items[w];
        if (!wf->u.workflow.owner.text) {
            vt_diag *g = vt_an_report(an, VT_V008, wf->name.span,
                                      "workflow `%s` has no owner: nobody is accountable for what it does",
                                      wf->name.text);
            vt_diag_hint(g, u->diags, "add `owner TEAM` as the workflow's first line");
        }
        check_weak_enroll(an, wf);
        const vt_stmt *st = NULL;
        walk_block(an, &wf->u.workflow.steps, &st);
        check_never_enrolls(an, wf, w);
        if (an->wf_enrolls[w]) check_acts_after_leaving(an, wf);
    }
    for (uint32_t r = 0; r < u->rules.n; r++) {
        vt_decl *rule = u->rules.items[r];
        const vt_stmt *st = NULL;
        walk_block(an, &rule->u.on.body, &st);
    }
}
