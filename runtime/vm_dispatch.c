/* Which transitions and enrollment triggers an instant needs to look at, by the kind of
 * instant: an event looks only at the `on EVENT` transitions and triggers of its own
 * type, plus those any instant can fire (`when`, `after`, `on enter`, calendars, a
 * truth's rising edge). Built once per vm, in declaration order, so the first
 * transition that holds, and the order triggers are evaluated in, stay as they were. */
#include "vm_internal.h"
#include "../common/mem.h"

/* Can something with this trigger kind and event fire at an instant of slot s? */
static bool fires_at(const vt_program *p, int32_t kind, int32_t event, uint32_t s) {
    if (kind != VT_TK_ON_EVENT || VT_EV_IS_TRUTH(event)) return true;
    if (event >= 0) return (uint32_t)event == s;
    return event == VT_EV_CREATED && s == p->nevents;
}

typedef bool (*keep_fn)(const vt_program *p, uint32_t item, uint32_t s);

static bool keep_trans(const vt_program *p, uint32_t t, uint32_t s) {
    return fires_at(p, p->trans[t].kind, p->trans[t].event, s);
}

static bool keep_trig(const vt_program *p, uint32_t ti, uint32_t s) {
    const vt_ptrig *t = &p->trigs[ti];
    return t->role == VT_ROLE_ENROLL && fires_at(p, t->kind, t->event, s);
}

/* One list per (row, slot), flat: items[start[row * slots + s] .. start[... + 1]). */
static int build(const vt_program *p, uint32_t rows, const vt_ilist *lists, keep_fn keep, vt_dlist *out) {
    uint32_t ns = VT_DISPATCH_SLOTS(p);
    size_t total = 0;
    for (uint32_t r = 0; r < rows; r++) total += (size_t)lists[r].n * ns;
    if (total > UINT32_MAX) return -1;
    out->start = vt_calloc((size_t)rows * ns + 1, sizeof *out->start);
    out->items = vt_calloc(total + 1, sizeof *out->items);
    if (!out->start || !out->items) return -1;
    uint32_t k = 0;
    for (uint32_t r = 0; r < rows; r++)
        for (uint32_t s = 0; s < ns; s++) {
            out->start[(size_t)r * ns + s] = k;
            for (uint32_t j = 0; j < lists[r].n; j++)
                if (keep(p, lists[r].v[j], s)) out->items[k++] = lists[r].v[j];
        }
    out->start[(size_t)rows * ns] = k;
    return 0;
}

/* Each listed transition as settling reads it (vt_strans). */
static int build_strans(vt_vm *vm) {
    const vt_program *p = vm->p;
    uint32_t n = vm->se_trans.start[(size_t)p->nstates * VT_DISPATCH_SLOTS(p)];
    vm->se_tr = vt_calloc((size_t)n + 1, sizeof *vm->se_tr);
    if (!vm->se_tr) return -1;
    for (uint32_t i = 0; i < n; i++) {
        const vt_ptrans *t = &p->trans[vm->se_trans.items[i]];
        vt_strans *s = &vm->se_tr[i];
        s->to = p->lcs[t->lc].first_state + (uint32_t)t->to;
        s->fn = t->fn;
        s->trans = (int32_t)vm->se_trans.items[i];
        s->dur = t->dur;
        if (t->kind == VT_TK_WHEN) s->kind = VT_SK_COND;
        else if (t->kind == VT_TK_AFTER) s->kind = VT_SK_AFTER;
        else if (t->kind != VT_TK_ON_EVENT) s->kind = VT_SK_NEVER;
        else if (VT_EV_IS_TRUTH(t->event)) { s->kind = VT_SK_TRUTH; s->truth = VT_EV_TRUTH_INDEX(t->event); }
        else s->kind = VT_SK_COND;    /* listed only at its own event's slot (fires_at) */
    }
    return 0;
}

/* The `on` rules of each slot (events, then `created`) as their fast functions, in
 * order: the instant walks one array. */
static int build_rules(vt_vm *vm) {
    const vt_program *p = vm->p;
    uint32_t ns = VT_DISPATCH_SLOTS(p), n = 0;
    vm->rule_start = vt_calloc((size_t)ns + 1, sizeof *vm->rule_start);
    vm->rule_fns = vt_calloc((size_t)p->nrules + 1, sizeof *vm->rule_fns);
    if (!vm->rule_start || !vm->rule_fns) return -1;
    for (uint32_t s = 0; s < ns; s++) {
        vm->rule_start[s] = n;
        for (uint32_t j = 0; s <= p->nevents && j < p->rules_by_ev[s].n; j++) {
            int32_t fn = p->rules[p->rules_by_ev[s].v[j]].fn;
            if (fn < 0 || (uint32_t)fn >= p->nfns || n >= p->nrules) return -1;
            vm->rule_fns[n++] = &vm->fast[fn];
        }
    }
    vm->rule_start[ns] = n;
    return 0;
}

int vt_dispatch_build(vt_vm *vm) {
    const vt_program *p = vm->p;
    if (build(p, p->nstates, p->trans_by_state, keep_trans, &vm->se_trans) != 0 || build_strans(vm) != 0 ||
        build_rules(vm) != 0) return -1;
    /* each workflow's triggers are a contiguous run of the table (verified at load) */
    vt_ilist *wl = vt_calloc(p->nwfs + 1, sizeof *wl);
    uint32_t *all = vt_calloc(p->ntrigs + 1, sizeof *all);
    int rc = -1;
    if (wl && all) {
        for (uint32_t i = 0; i < p->ntrigs; i++) all[i] = i;
        for (uint32_t wf = 0; wf < p->nwfs; wf++) {
            uint32_t first = p->wfs[wf].first_trig, n = p->wfs[wf].ntrig;
            wl[wf] = first <= p->ntrigs && n <= p->ntrigs - first ? (vt_ilist){all + first, n} : (vt_ilist){all, 0};
        }
        rc = build(p, p->nwfs, wl, keep_trig, &vm->wf_trigs);
    }
    /* A workflow whose triggers at a slot are all `on enter` needs a look only when a
     * state was entered at that instant (few are): the rest skip the call. */
    uint32_t ns = VT_DISPATCH_SLOTS(p);
    vm->wf_skip = rc ? NULL : vt_calloc((size_t)p->nwfs * ns + 1, 1);
    if (!vm->wf_skip) rc = -1;
    for (uint32_t wf = 0; wf < p->nwfs && !rc; wf++)
        for (uint32_t s = 0; s < ns; s++) {
            uint32_t n, enter = 0;
            const uint32_t *tv = vt_dlist_at(&vm->wf_trigs, ns, wf, s, &n);
            for (uint32_t j = 0; j < n; j++) enter += p->trigs[tv[j]].kind == VT_TK_ENTER;
            vm->wf_skip[(size_t)wf * ns + s] = n == 0 ? 2 : enter == n ? 1 : 0;
        }
    /* which of the first phases (history, rules) an instant of each slot has work for */
    vm->phases = rc ? NULL : vt_calloc(ns + 1, 1);
    if (!vm->phases) rc = -1;
    for (uint32_t s = 0; s < ns && !rc; s++) {
        if (s < p->nevents && p->hist_by_ev[s].n) vm->phases[s] |= VT_PH_HIST;
        if (s <= p->nevents && p->rules_by_ev[s].n) vm->phases[s] |= VT_PH_RULES;   /* [nevents]: `created` */
    }
    vt_free(wl);
    vt_free(all);
    return rc;
}

void vt_dispatch_free(vt_vm *vm) {
    vt_free(vm->se_trans.start);
    vt_free(vm->se_trans.items);
    vt_free(vm->se_tr);
    vt_free(vm->rule_fns);
    vt_free(vm->rule_start);
    vt_free(vm->wf_trigs.start);
    vt_free(vm->wf_trigs.items);
    vt_free(vm->wf_skip);
    vt_free(vm->phases);
}
