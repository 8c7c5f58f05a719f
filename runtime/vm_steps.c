/* One instant of a contact (SPEC §5): an input or a wake-up.
 * (1) history and `on` rules; (2) each lifecycle settles (first transition in
 * declaration order, at most once per state); (3) truths that became true are logged;
 * (4) workflows whose trigger fired enroll, exits and goals end enrollments, the rest
 * run their steps until each waits; (5) the next wake-up is scheduled.
 * Also the side effects of steps: sends (consent, cap, quiet hours and windows), tasks,
 * notifications, escalations, and the deterministic action ids. */
#include "vm_internal.h"
#include <stdint.h>

/* ---- hashing (action ids, split buckets) ---- */

typedef struct { uint64_t a, b; } h128;
static void hfeed(h128 *h, const void *p, size_t n) {
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h->a = (h->a ^ s[i]) * 1099511628211ULL;
        h->b = (h->b ^ s[i]) * 0x100000001b3ULL + 0x9e3779b97f4a7c15ULL;
    }
}
static uint64_t fmix(uint64_t x) {
    x ^= x >> 33; x *= 0xff51afd7ed558ccdULL; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ULL; x ^= x >> 33;
    return x;
}
static h128 hstart(void) { h128 h = {1469598103934665603ULL, 0x6a09e667f3bcc908ULL}; return h; }

uint32_t vt_split_bucket(vt_vm *vm) {
    h128 h = hstart();
    vt_cinfo *hd = vt_info(vm->c);
    hfeed(&h, vt_contact_id(vm->c), hd->id_len);
    hfeed(&h, "\xff", 1);
    const char *w = vt_pstr(vm->p, vm->p->wfs[vm->wf].name);
    hfeed(&h, w, strlen(w));
    return (uint32_t)(fmix(h.a ^ fmix(h.b)) % 100u);
}

static void action_id(vt_vm *vm, uint32_t step, char out[33]) {
    h128 h = hstart();
    vt_cinfo *hd = vt_info(vm->c);
    hfeed(&h, vt_contact_id(vm->c), hd->id_len);
    hfeed(&h, "\xff", 1);
    const char *w = vt_pstr(vm->p, vm->p->wfs[vm->wf].name);
    hfeed(&h, w, strlen(w) + 1);
    vt_enroll *e = vt_enr(vm, (uint32_t)vm->wf);
    uint32_t parts[2 + VT_MAX_REP];
    parts[0] = e->count;
    parts[1] = step;
    /* all VT_MAX_REP counters, unused ones as 0, as when every enrollment kept them all */
    const int32_t *rep = vt_reps(vm, (uint32_t)vm->wf);
    uint32_t nrep = (uint32_t)vm->p->wfs[vm->wf].nrep;
    for (uint32_t i = 0; i < VT_MAX_REP; i++) parts[2 + i] = i < nrep ? (uint32_t)rep[i] : 0;
    hfeed(&h, parts, sizeof parts);
    static const char hex[] = "0123456789abcdef";
    uint64_t x = fmix(h.a), y = fmix(h.b ^ x);
    for (int i = 0; i < 16; i++) { out[i] = hex[(x >> (60 - 4 * i)) & 15]; out[16 + i] = hex[(y >> (60 - 4 * i)) & 15]; }
    out[32] = 0;
}

/* ---- records to the sink ---- */

int vt_emit_audit_to_sink(vt_vm *vm, int kind, int a, int b, int c, int d) {
    vt_audit r = {
        .contact = (const char *)vm->c->data + vt_info(vm->c)->id_off,   /* vt_contact_id, without the call */
        .at = vm->now, .kind = (uint8_t)kind, .a = a, .b = b, .c = c, .d = d,
        .cause_id = vm->in ? vm->in->id : NULL, .late = vm->in ? vm->in->late : false,
    };
    if (vm->sink->audit(vm->sink->ud, &r) != 0) { vm->aborted = 1; return vt_fail(vm, "the run was stopped by its output (audit)"); }
    return 0;
}

static const char *text_of(vt_vm *vm, const vt_cell *v) {
    if (v->t != VT_V_TEXT) { vm->tbuf[0] = 0; return vm->tbuf; }
    uint32_t n = v->len > VT_SBUF ? VT_SBUF : v->len;
    memmove(vm->tbuf, v->u.s, n);
    vm->tbuf[n] = 0;
    return vm->tbuf;
}

static int emit(vt_vm *vm, vt_action *a, uint32_t step) {
    action_id(vm, step, a->id);
    a->contact = vt_contact_id(vm->c);
    a->at = vm->now;
    a->workflow = vm->wf;
    a->step = (int)step;
    if (!vm->sink || !vm->sink->action) return 0;
    if (vm->sink->action(vm->sink->ud, a) != 0) { vm->aborted = 1; return vt_fail(vm, "the run was stopped by its output (outbox)"); }
    return 0;
}

int vt_step_action(vt_vm *vm, int kind, uint32_t team, uint32_t step, const vt_cell *text, int64_t due) {
    const vt_program *p = vm->p;
    const vt_pwf *w = &p->wfs[vm->wf];
    int t;
    if (kind == VT_ACT_ESCALATE) {
        t = w->owner >= 0 ? p->teams[w->owner].escalates : -1;
        if (t < 0) t = w->owner;
    } else if (team == VT_NONE) {
        t = vt_info(vm->c)->owner >= 0 ? vt_info(vm->c)->owner : w->owner;
    } else {
        t = (int)team;
    }
    vt_action a;
    memset(&a, 0, sizeof a);
    a.kind = (uint8_t)kind;
    a.channel = -1;
    a.team = t;
    a.text = text_of(vm, text);
    a.due = due;
    a.status = VT_ST_EMITTED;
    return emit(vm, &a, step);
}

static uint32_t cap_count(vt_vm *vm, const vt_pchan *ch, uint32_t ci) {
    uint8_t *r8 = vm->c->data + vm->p->lay.chan_off[ci];
    vt_ring *r = (vt_ring *)r8;
    const int64_t *ts = (const int64_t *)(r8 + sizeof *r);
    uint32_t n = 0;
    for (uint32_t i = 0; i < r->n; i++)
        if (ts[(r->head + i) % (uint32_t)ch->cap] > vt_tsub(vm->now, ch->cap_per)) n++;
    return n;
}

static void cap_record(vt_vm *vm, const vt_pchan *ch, uint32_t ci) {
    if (ch->cap <= 0) return;
    uint8_t *r8 = vm->c->data + vm->p->lay.chan_off[ci];
    vt_ring *r = (vt_ring *)r8;
    int64_t *ts = (int64_t *)(r8 + sizeof *r);
    uint32_t k = (uint32_t)ch->cap;
    if (r->n < k) ts[(r->head + r->n++) % k] = vm->now;
    else { ts[r->head] = vm->now; r->head = (r->head + 1) % k; }
}

int vt_step_send(vt_vm *vm, uint32_t ci, uint32_t step, uint32_t resume, const vt_cell *tmpl, int *suspended) {
    (void)resume;
    const vt_program *p = vm->p;
    const vt_pchan *ch = &p->chans[ci];
    vt_enroll *e = vt_enr(vm, (uint32_t)vm->wf);
    vt_action a;
    memset(&a, 0, sizeof a);
    a.kind = VT_ACT_SEND;
    a.channel = (int)ci;
    a.team = -1;
    a.template_ = text_of(vm, tmpl);
    a.status = VT_ST_EMITTED;
    /* A send delayed by quiet hours or a window is checked again when its instant comes:
     * consent withdrawn or the cap filled meanwhile suppresses it then (SPEC §6). */
    if (e->mode == VT_EM_DELAYED) e->mode = VT_EM_RUN;
    if (ch->consent >= 0) {
        vt_cell v = vt_slot_read(vm->c, vt_field_slot(vm->c, p, (uint32_t)ch->consent));
        if (!vt_truthy(&v)) { a.status = VT_ST_SUPPRESSED; a.reason = VT_WHY_NO_CONSENT; return emit(vm, &a, step); }
    }
    if (ch->cap > 0 && cap_count(vm, ch, ci) >= (uint32_t)ch->cap) {
        a.status = VT_ST_SUPPRESSED;
        a.reason = VT_WHY_FREQUENCY_CAP;
        return emit(vm, &a, step);
    }
    int64_t t = vt_next_allowed(p, ch, vm->now);
    if (t > vm->now) {
        e->mode = VT_EM_DELAYED;
        e->deadline = t;
        *suspended = 1;
        return 0;
    }
    cap_record(vm, ch, ci);
    return emit(vm, &a, step);
}

/* Notes that global state gs was entered at this instant; the first entry of an instant
 * starts a new generation of vm->entered (an instant that enters none leaves it alone). */
static void mark_entered(vt_vm *vm, uint32_t gs) {
    if (!vm->entered_any) {
        if (++vm->gen == 0) { memset(vm->entered, 0, (vm->p->nstates + 1) * sizeof *vm->entered); vm->gen = 1; }
        vm->entered_any = true;
    }
    vm->entered[gs] = vm->gen;
}

int vt_enter_state(vt_vm *vm, uint32_t lc, uint32_t st, int32_t trans) {
    const vt_program *p = vm->p;
    vt_lcst *l = vt_lc(vm, lc);
    int from = l->state;
    l->state = (int32_t)st;
    l->entered = vm->now;
    mark_entered(vm, p->lcs[lc].first_state + st);
    if (vt_emit_audit(vm, VT_AU_TRANSITION, (int)lc, from, (int)st, trans) != 0) return -1;
    int32_t own = p->states[p->lcs[lc].first_state + st].owner;
    if (own >= 0 && vt_info(vm->c)->owner != own) {
        vt_info(vm->c)->owner = own;
        if (vt_emit_audit(vm, VT_AU_OWNER, own, 0, 0, 0) != 0) return -1;
    }
    return 0;
}

/* ---- the phases of an instant ---- */

/* Feeds the event to the history accumulators that take it (SPEC §4, accum.c): counts,
 * the commonest, here; every other kind needs the event's value (vt_hist_feed_value). */
static int hist_on_event(vt_vm *vm) {
    const vt_program *p = vm->p;
    const vt_ilist *l = &p->hist_by_ev[vm->ev];
    int64_t at = vm->in ? vm->in->at : vm->now;
    for (uint32_t j = 0; j < l->n; j++) {
        uint32_t i = l->v[j];
        const vt_phist *h = &p->hists[i];
        if (h->where_fn >= 0) {
            int r = vt_cond_hot(vm, h->where_fn);
            if (r < 0) return -1;
            if (!r) continue;
        }
        if (h->kind != VT_H_COUNT || vt_hist_growable(h)) {
            if (vt_hist_feed_value(vm, i, at) != 0) return -1;
            continue;
        }
        uint8_t *a = vm->c->data + p->lay.hist_off[i];
        uint32_t k = (uint32_t)h->k;
        if (k) vt_ring_keep((vt_ring *)a, (int64_t *)(a + sizeof(vt_ring)), k, at, vt_tsub(vm->now, h->within));
        else { int64_t n; memcpy(&n, a, 8); n++; memcpy(a, &n, 8); }
    }
    return 0;
}

/* The `on` rules of the instant's event (or of `created`: its slot, vm->phases). */
static int run_rules(vt_vm *vm) {
    const vt_fastfn *const *f = vm->rule_fns + vm->rule_start[vm->slot], *const *end = vm->rule_fns + vm->rule_start[vm->slot + 1];
    for (; f < end; f++) {
        if ((*f)->kind == VT_FK_ADD && vt_rule_fast(vm, *f) == 0) continue;
        vt_cell out;
        if (vt_run(vm, (*f)->pc, &out) == VT_R_ERR) return -1;
    }
    return 0;
}

/* Did truth i rise at this instant? While the states settle (before step 3 logs the
 * truths) that is "true now, false at the last instant"; after, what step 3 saw. */
static bool truth_rose(vt_vm *vm, uint32_t i) {
    if (vm->truths_done) return vm->rose[i];
    if (vm->c->data[vm->p->lay.truths + i]) return false;
    return vt_cond(vm, vm->p->truths[i].fn) > 0;
}

static bool event_matches(vt_vm *vm, int32_t event) {
    if (VT_EV_IS_TRUTH(event)) return truth_rose(vm, VT_EV_TRUTH_INDEX(event));
    return event == vm->ev && (event >= 0 || event == VT_EV_CREATED);
}

/* Settles lifecycle lc from its current state: the first transition (declaration order)
 * that holds and leads to a state not yet visited at this instant, again from there. */
static __attribute__((noinline)) int settle_lc(vt_vm *vm, uint32_t lc) {
    const vt_program *p = vm->p;
    uint32_t ns = VT_DISPATCH_SLOTS(p), first = p->lcs[lc].first_state;
    const uint32_t *starts = vm->se_trans.start + vm->slot;
    if (++vm->vgen == 0) { memset(vm->visited, 0, (p->nstates + 1) * sizeof *vm->visited); vm->vgen = 1; }
    uint32_t vg = vm->vgen, *visited = vm->visited;
    for (;;) {
        const vt_lcst *cur = vt_lc(vm, lc);
        uint32_t gs = first + (uint32_t)cur->state;
        visited[gs] = vg;
        const vt_strans *t = vm->se_tr + starts[(size_t)gs * ns], *end = vm->se_tr + starts[(size_t)gs * ns + 1];
        for (; t < end; t++) {
            /* a truth's rise is evaluated (and asks for its wake-up) before the visit test, as before */
            if (t->kind == VT_SK_TRUTH && !truth_rose(vm, t->truth)) continue;
            if (visited[t->to] == vg) continue;
            int hold;
            if (t->kind == VT_SK_AFTER) {
                int64_t due = vt_tadd(cur->entered, t->dur);
                hold = vm->now >= due;
                if (!hold) vt_see(vm, due);
            } else if (t->kind == VT_SK_NEVER) hold = 0;
            else hold = vt_cond_hot(vm, t->fn);
            if (hold < 0) return -1;
            if (hold) break;
        }
        if (t == end) return 0;
        if (vt_enter_state(vm, lc, t->to - first, t->trans) != 0) return -1;
    }
}

static int settle(vt_vm *vm) {
    const vt_program *p = vm->p;
    uint32_t ns = VT_DISPATCH_SLOTS(p), nlcs = p->nlcs;
    const uint32_t *starts = vm->se_trans.start + vm->slot;
    for (uint32_t lc = 0; lc < nlcs; lc++) {
        size_t k = (size_t)(p->lcs[lc].first_state + (uint32_t)vt_lc(vm, lc)->state) * ns;
        if (starts[k + 1] == starts[k]) continue;   /* nothing can leave this state at this instant */
        if (settle_lc(vm, lc) != 0) return -1;
    }
    return 0;
}

/* Evaluates each truth whose inputs may have changed (vm_deps.c); the others keep
 * their value, and the wake-up they asked for when last evaluated. */
static int truths(vt_vm *vm) {
    const vt_program *p = vm->p;
    uint32_t nt = p->ntruths, twake = p->lay.twake, tbits = p->lay.truths;
    const uint8_t *must = vm->tmust + (size_t)vm->tslot * nt;
    uint8_t *rose = vm->rose;
    for (uint32_t i = 0; i < nt; i++) {
        uint8_t *d = vm->c->data;      /* a condition never moves the buffer; the sink may be called below */
        int64_t wake;
        memcpy(&wake, d + twake + i * 8u, 8);
        if (!must[i] && vm->now < wake) {
            rose[i] = 0;
            vt_see(vm, wake);
            continue;
        }
        int64_t horizon = vm->horizon;
        vm->horizon = INT64_MAX;
        int v = vt_cond_hot(vm, p->truths[i].fn);
        wake = vm->horizon;
        memcpy(d + twake + i * 8u, &wake, 8);
        if (horizon < wake) vm->horizon = horizon;
        if (v < 0) return -1;
        rose[i] = (uint8_t)(v && !d[tbits + i]);
        if (rose[i] && vt_emit_audit(vm, VT_AU_TRUTH, (int)i, 0, 0, 0) != 0) return -1;
        vm->c->data[tbits + i] = (uint8_t)v;
    }
    vm->truths_done = 1;
    return 0;
}

static int end_enrollment(vt_vm *vm, uint32_t wf, int outcome) {
    vt_enr(vm, wf)->active = 0;
    return vt_emit_audit(vm, VT_AU_EXIT, (int)wf, outcome, 0, 0);
}

static int enroll_triggers(vt_vm *vm, uint32_t wf) {
    const vt_program *p = vm->p;
    int fired = 0;
    uint32_t n;
    const uint32_t *tv = vt_dlist_at(&vm->wf_trigs, VT_DISPATCH_SLOTS(p), wf, vm->slot, &n);
    for (uint32_t j = 0; j < n; j++) {
        uint32_t ti = tv[j];
        const vt_ptrig *t = &p->trigs[ti];
        int v = 0;
        switch (t->kind) {
        case VT_TK_ON_EVENT: v = event_matches(vm, t->event) ? vt_cond(vm, t->fn) : 0; break;
        case VT_TK_ENTER:
            v = vm->entered_any && vm->entered[p->lcs[t->lc].first_state + (uint32_t)t->state] == vm->gen ? vt_cond(vm, t->fn) : 0;
            break;
        case VT_TK_WHEN: {
            v = vt_cond(vm, t->fn);
            if (v < 0) return -1;
            uint8_t *prev = vm->c->data + p->lay.trigs + ti;
            int rise = v && !*prev;
            *prev = (uint8_t)v;
            v = rise;
            break;
        }
        case VT_TK_CALENDAR: {
            int64_t *next = (int64_t *)(vm->c->data + p->lay.cal_off[ti]);
            if (*next == 0) *next = vt_calendar_next(p, t, vt_info(vm->c)->created_at);
            if (vm->now >= *next) { v = 1; *next = vt_calendar_next(p, t, vm->now); }
            break;
        }
        default: break;
        }
        if (v < 0) return -1;
        if (v) fired = 1;
    }
    return fired;
}

static int can_enroll(vt_vm *vm, uint32_t wf) {
    const vt_pwf *w = &vm->p->wfs[wf];
    vt_enroll *e = vt_enr(vm, wf);
    if (e->active) return 0;
    if (e->count == 0) return 1;
    if (w->reenroll == VT_RE_ALWAYS) return 1;
    if (w->reenroll == VT_RE_AFTER) return vm->now >= vt_tadd(e->start, w->reenroll_after);
    return 0;
}

static int exit_or_goal(vt_vm *vm, uint32_t wf) {
    const vt_program *p = vm->p;
    const vt_pwf *w = &p->wfs[wf];
    for (uint32_t j = 0; j < w->ntrig; j++) {
        const vt_ptrig *t = &p->trigs[w->first_trig + j];
        if (t->role != VT_ROLE_EXIT) continue;
        int v = 0;
        if (t->kind == VT_TK_ON_EVENT) v = event_matches(vm, t->event) ? vt_cond(vm, t->fn) : 0;
        else if (t->kind == VT_TK_WHEN) v = vt_cond(vm, t->fn);
        if (v < 0) return -1;
        if (v) return end_enrollment(vm, wf, VT_OUT_EXITED);
    }
    vt_enroll *e = vt_enr(vm, wf);
    int goal = 0;
    if (w->goal_event >= 0) {
        int64_t seq, at;
        const uint8_t *a = vm->c->data + p->lay.hist_off[w->goal_event];
        memcpy(&seq, a, 8);
        memcpy(&at, a + 8, 8);
        goal = seq > e->start_seq && (w->goal_within <= 0 || at > vt_tsub(vm->now, w->goal_within));
    } else if (w->goal_fn >= 0) {
        goal = vt_cond(vm, w->goal_fn);
        if (goal < 0) return -1;
        if (goal && w->goal_within > 0 && vm->now >= vt_tadd(e->start, w->goal_within)) goal = 0;
    }
    if (goal) return end_enrollment(vm, wf, VT_OUT_GOAL);
    return 0;
}

static int workflows(vt_vm *vm) {
    const vt_program *p = vm->p;
    const uint8_t *skip = vm->wf_skip + (size_t)vm->slot;
    for (uint32_t wf = 0; wf < p->nwfs; wf++) {
        uint8_t sk = skip[(size_t)wf * VT_DISPATCH_SLOTS(p)];
        if (sk == 2 || (sk == 1 && !vm->entered_any)) continue;
        vm->wf = (int)wf;
        int f = enroll_triggers(vm, wf);
        if (f < 0) return -1;
        if (f && can_enroll(vm, wf)) {
            vt_enroll *e = vt_enr(vm, wf);
            uint32_t count = e->count + 1;
            memset(e, 0, sizeof *e);
            memset(vt_reps(vm, wf), 0, (size_t)p->wfs[wf].nrep * 4u);
            e->active = 1;
            e->mode = VT_EM_RUN;
            e->pc = p->fns[p->wfs[wf].steps_fn].start;
            e->start = vm->now;
            e->start_seq = vt_hdr(vm->c)->seq;
            e->count = count;
            if (vt_emit_audit(vm, VT_AU_ENROLL, (int)wf, 0, 0, 0) != 0) return -1;
        }
    }
    for (uint32_t wf = 0; wf < p->nwfs; wf++) {
        if (!vt_enr(vm, wf)->active) continue;
        vm->wf = (int)wf;
        if (exit_or_goal(vm, wf) != 0) return -1;
    }
    for (uint32_t wf = 0; wf < p->nwfs; wf++) {
        vt_enroll *e = vt_enr(vm, wf);
        if (!e->active) continue;
        if ((e->mode == VT_EM_WAIT || e->mode == VT_EM_DELAYED) && e->deadline > vm->now) continue;
        if (e->mode == VT_EM_WAIT) e->mode = VT_EM_RUN;
        vm->wf = (int)wf;
        vt_cell out;
        int r = vt_run(vm, e->pc, &out);
        if (r == VT_R_ERR) return -1;
        if (r == VT_R_DONE && end_enrollment(vm, wf, VT_OUT_COMPLETED) != 0) return -1;
        if (r == VT_R_STOP && end_enrollment(vm, wf, VT_OUT_STOPPED) != 0) return -1;
    }
    vm->wf = -1;
    return 0;
}

/* The wake-ups of `after` transitions, waiting enrollments and calendars (the truths',
 * histories' and conditions' were reported while evaluating them). */
static void schedule(vt_vm *vm) {
    const vt_program *p = vm->p;
    if (vm->any_timed)
    for (uint32_t lc = 0; lc < p->nlcs; lc++) {
        vt_lcst *cur = vt_lc(vm, lc);
        uint32_t gs = p->lcs[lc].first_state + (uint32_t)cur->state;
        if (!vm->timed[gs]) continue;
        const vt_ilist *tl = &p->trans_by_state[gs];
        for (uint32_t j = 0; j < tl->n; j++) {
            const vt_ptrans *t = &p->trans[tl->v[j]];
            if (t->kind != VT_TK_AFTER) continue;
            vt_see(vm, vt_tadd(cur->entered, t->dur));
        }
    }
    for (uint32_t wf = 0; wf < p->nwfs; wf++) {
        vt_enroll *e = vt_enr(vm, wf);
        if (e->active && e->mode != VT_EM_RUN) vt_see(vm, e->deadline);
    }
    if (vm->any_calendar)
    for (uint32_t i = 0; i < p->ntrigs; i++)
        if (p->trigs[i].kind == VT_TK_CALENDAR && p->trigs[i].role == VT_ROLE_ENROLL) {
            int64_t t;
            memcpy(&t, vm->c->data + p->lay.cal_off[i], 8);
            if (t) vt_see(vm, t);
        }
}

static int set_fields(vt_vm *vm, const vt_input *in) {
    const vt_program *p = vm->p;
    for (uint32_t i = 0; i < in->nvalues && i < p->nfields; i++) {
        const vt_value *x = &in->values[i];
        if (x->type == VT_V_NULL) continue;
        vt_cell v = vt_cell_of_value(x);
        if (vt_slot_write(vm->c, p->lay.fields + i * (uint32_t)sizeof(vt_slot), &v) != 0) return vt_fail(vm, "out of memory");
    }
    return 0;
}

static int instant(vt_vm *vm, vt_contact *c, int64_t now, const vt_input *in, int ev, const vt_sink *sink) {
    const vt_program *p = vm->p;
    vt_chdr *h = vt_hdr(c);
    if (now < h->clock) now = h->clock;     /* late input: processed at the contact's clock */
    h->clock = now;
    vm->c = c;
    vm->in = in;
    vm->sink = sink;
    vm->ev = ev;
    vm->now = now;
    vm->horizon = INT64_MAX;
    uint32_t slot = vt_dispatch_slot(p, ev);
    vm->slot = slot;
    vm->tslot = slot + (ev == VT_EV_NONE);      /* vt_truth_slot */
    vm->entered_any = vm->truths_done = false;
    vm->wf = -1;
    vm->loops = 0;
    vm->aborted = 0;
    vm->amask = sink && sink->audit ? vm->audit_kinds : 0;
    if (in) {
        h->seq++;
        if (vt_emit_audit(vm, VT_AU_EVENT, in->type, 0, 0, 0) != 0) return -1;
        if ((ev == VT_EV_CONTACT || ev == VT_EV_CREATED) && in->values && set_fields(vm, in) != 0) return -1;
        if (ev == VT_EV_CREATED)    /* creation enters each lifecycle's initial state */
            for (uint32_t lc = 0; lc < p->nlcs; lc++)
                if (vt_lc(vm, lc)->state == p->lcs[lc].initial)
                    mark_entered(vm, p->lcs[lc].first_state + (uint32_t)p->lcs[lc].initial);
    }
    /* each phase only when the flow has something for it (most events feed no history:
     * that skips the call and its saved registers) */
    uint8_t ph = vm->phases[slot];
    if (((ph & VT_PH_HIST) && hist_on_event(vm) != 0) || ((ph & VT_PH_RULES) && run_rules(vm) != 0) || settle(vm) != 0 ||
        (p->ntruths && truths(vm) != 0) || (p->nwfs && workflows(vm) != 0))
        return -1;
    if (vm->any_timed || p->nwfs || vm->any_calendar) schedule(vm);
    vt_hdr(c)->next_wake = vm->horizon;
    if (vt_hdr(c)->dead) vt_contact_compact(p, c);
    return 0;
}

int vt_vm_apply(vt_vm *vm, vt_contact *c, const vt_input *in, const vt_sink *sink) {
    if (!vm || !c || !c->data || !in) return -1;
    int ev;
    if (in->type >= 0) {
        if ((uint32_t)in->type >= vm->p->nevents) return vt_fail(vm, "unknown event type %d", in->type);
        ev = in->type;
    } else if (in->type == VT_INPUT_CONTACT) ev = VT_EV_CONTACT;
    else if (in->type == VT_INPUT_CREATED) ev = VT_EV_CREATED;
    else return vt_fail(vm, "unknown input type %d", in->type);
    return instant(vm, c, in->at, in, ev, sink);
}

/* Apart from vt_vm_advance, so its common case (nothing due) saves no registers. */
static __attribute__((noinline)) int wake_ups(vt_vm *vm, vt_contact *c, int64_t until, const vt_sink *sink) {
    while (vt_hdr(c)->next_wake <= until && vt_hdr(c)->next_wake != INT64_MAX) {
        int64_t t = vt_hdr(c)->next_wake;
        if (instant(vm, c, t, NULL, VT_EV_NONE, sink) != 0) return -1;
        if (vt_hdr(c)->next_wake <= t) return vt_fail(vm, "a wake-up did not move time forward");
    }
    return 0;
}

int vt_vm_advance(vt_vm *vm, vt_contact *c, int64_t until, const vt_sink *sink) {
    if (!vm || !c || !c->data) return -1;
    if (vt_hdr(c)->next_wake > until) return 0;     /* the common case: nothing due */
    return wake_ups(vm, c, until, sink);
}
