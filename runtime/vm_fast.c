/* Fast paths for the commonest function shapes. Most conditions of a flow are a few
 * comparisons of a field, payload field or history value with a constant, joined by
 * `and`/`or`; most rules add a constant to a field. Recognised once when the vm is made,
 * they run without the interpreter's dispatch, stack and tagged-value copies. Each reads
 * the same values in the same order as vt_run would (a history read also reports its
 * wake-up), so results and side effects are identical; the one difference is that
 * `count(...) >= k` below k asks for no wake-up (time only lowers a count), where the
 * interpreter asks for one that changes nothing. Anything else, or a case the fast
 * path does not cover at run time, goes through vt_run. */
#include "vm_internal.h"
#include "../common/mem.h"

static bool is_src(uint32_t op) { return op == VT_I_HIST || op == VT_I_FIELD || op == VT_I_PAYLOAD; }
static bool is_cmp(uint32_t op) {
    return op == VT_I_EQ || op == VT_I_NE || op == VT_I_LT || op == VT_I_LE || op == VT_I_GT || op == VT_I_GE || op == VT_I_STARTS;
}

/* `SRC a; CONST k; CMP` at pc (5 words) inside [pc, end). */
static bool term_at(const vt_program *p, uint32_t pc, uint32_t end, vt_fterm *t) {
    const uint32_t *c = p->code;
    if (pc + 5 > end || !is_src(c[pc]) || c[pc + 2] != VT_I_CONST || !is_cmp(c[pc + 4])) return false;
    if (c[pc + 3] >= p->nconsts) return false;
    t->src = (uint8_t)c[pc];
    t->a = c[pc + 1];
    if (t->src == VT_I_HIST && (t->a >= p->nhists || p->hists[t->a].kind == VT_H_COUNT)) {
        if (t->a >= p->nhists) return false;
        t->src = VT_FSRC_COUNT;
    }
    t->k = &p->kcells[c[pc + 3]];
    t->cmp = (uint8_t)c[pc + 4];
    t->conn = 0;
    /* `count(... within D) >= K` kept as a ring (what vt_hist_count_ge reads): counted in
     * place from what is known now, without the call and its checks */
    if (t->src == VT_FSRC_COUNT && t->cmp == VT_I_GE && t->k->t == VT_V_INT) {
        const vt_phist *h = &p->hists[t->a];
        if (h->k > 0 && !vt_hist_growable(h)) {
            t->src = VT_FSRC_RING;
            t->off = p->lay.hist_off[t->a];
            t->ring = (uint32_t)h->k;
            t->within = h->within;
        }
    }
    /* how vt_term takes it: the checks that depend only on the code, made once */
    if (t->src == VT_FSRC_RING) t->how = VT_FT_RING;
    else if (t->src == VT_I_PAYLOAD && t->cmp == VT_I_STARTS && t->k->t == VT_V_TEXT) t->how = VT_FT_PREFIX;
    else if (t->src == VT_I_FIELD && t->k->t == VT_V_INT && t->cmp != VT_I_STARTS) t->how = VT_FT_FIELD_INT;
    else t->how = VT_FT_SLOW;
    t->holds = 0;
    for (int c = -1; c <= 1; c++)
        if (t->cmp != VT_I_STARTS && vt_holds(t->cmp, c)) t->holds |= (uint8_t)(1u << (c + 1));
    return true;
}

static void classify(const vt_program *p, const vt_pfn *fn, vt_fastfn *f) {
    const uint32_t *c = p->code;
    uint32_t start = fn->start, end = fn->start + fn->len;
    memset(f, 0, sizeof *f);
    if (end > p->ncode || end <= start) return;
    /* a condition: term {(JTRUE_KEEP|JFALSE_KEEP) ->ret term} RET */
    if (c[end - 1] == VT_I_RET) {
        uint32_t pc = start, ret = end - 1;
        vt_fastfn g;
        memset(&g, 0, sizeof g);
        for (;;) {
            if (g.n == VT_FAST_TERMS || !term_at(p, pc, ret, &g.t[g.n])) return;
            pc += 5;
            g.n++;
            if (pc == ret) break;
            if (pc + 2 > ret || (c[pc] != VT_I_JTRUE_KEEP && c[pc] != VT_I_JFALSE_KEEP) || c[pc + 1] != ret) return;
            g.t[g.n - 1].conn = (uint8_t)c[pc];
            pc += 2;
        }
        g.kind = VT_FK_COND;
        *f = g;
        return;
    }
    /* a rule: [term JFALSE ->end] CONST k (ADDTO|SUBFROM) field END */
    if (c[end - 1] == VT_I_END) {
        uint32_t pc = start, last = end - 1;
        vt_fastfn g;
        memset(&g, 0, sizeof g);
        if (term_at(p, pc, last, &g.t[0])) {
            pc += 5;
            if (pc + 2 > last || c[pc] != VT_I_JFALSE || c[pc + 1] != last) return;
            pc += 2;
            g.n = 1;
        }
        if (pc + 5 != end || c[pc] != VT_I_CONST || (c[pc + 2] != VT_I_ADDTO && c[pc + 2] != VT_I_SUBFROM)) return;
        if (c[pc + 1] >= p->nconsts || c[pc + 3] >= p->nfields) return;
        const vt_cell *k = &p->kcells[c[pc + 1]];
        if (k->t != VT_V_INT || p->fields[c[pc + 3]].has_range) return;
        g.field = c[pc + 3];
        g.add = c[pc + 2] == VT_I_ADDTO ? k->u.i : (int64_t)(0 - (uint64_t)k->u.i);
        g.kind = VT_FK_ADD;
        *f = g;
    }
}

int vt_fast_build(vt_vm *vm) {
    const vt_program *p = vm->p;
    vm->fast = vt_calloc(p->nfns + 1, sizeof *vm->fast);
    if (!vm->fast) return -1;
    for (uint32_t i = 0; i < p->nfns; i++) {
        classify(p, &p->fns[i], &vm->fast[i]);
        vm->fast[i].pc = p->fns[i].start;
    }
    /* so scheduling looks only at the states that have a timed transition */
    vm->timed = vt_calloc(p->nstates + 1, 1);
    if (!vm->timed) return -1;
    for (uint32_t s = 0; s < p->nstates; s++) {
        const vt_ilist *tl = &p->trans_by_state[s];
        for (uint32_t j = 0; j < tl->n; j++)
            if (p->trans[tl->v[j]].kind == VT_TK_AFTER) vm->timed[s] = vm->any_timed = 1;
    }
    for (uint32_t i = 0; i < p->ntrigs; i++)
        if (p->trigs[i].kind == VT_TK_CALENDAR && p->trigs[i].role == VT_ROLE_ENROLL) vm->any_calendar = 1;
    return 0;
}

/* Any term: the value as a VM cell, compared as the interpreter would. Out of line, so
 * the common terms below run without its stack frame. */
bool vt_term_slow(vt_vm *vm, const vt_fterm *t) {
    const vt_cell *k = t->k;
    vt_cell v;
    if (t->src == VT_FSRC_COUNT) {
        if (k->t == VT_V_INT && t->cmp == VT_I_GE) return vt_hist_count_ge(vm, t->a, k->u.i);
        int64_t n = vt_hist_count(vm, t->a);
        memset(&v, 0, sizeof v);
        v.t = VT_V_INT;
        v.u.i = n;
    } else if (t->src == VT_I_HIST) v = vt_hist_read(vm, t->a);
    else if (t->src == VT_I_FIELD) v = vt_slot_read(vm->c, vt_field_slot(vm->c, vm->p, t->a));
    else v = vt_payload_cell(vm, t->a);
    if (t->cmp == VT_I_STARTS) {
        if (v.t == VT_V_TEXT && k->t == VT_V_TEXT) return k->len <= v.len && vt_prefix_eq(v.u.s, k->u.s, k->len);
        vt_cell r = vt_text_op(vm, VT_I_STARTS, &v, k);
        return vt_truthy(&r);
    }
    if (v.len && vt_slope(&v)) vt_see_cmp(vm, &v, k, t->cmp);   /* `since(E) > 30d` */
    int c;
    if (v.t == VT_V_INT && k->t == VT_V_INT) c = (v.u.i > k->u.i) - (v.u.i < k->u.i);
    else c = vt_compare(&v, k);
    return vt_holds(t->cmp, c);
}

int vt_cond_fast(vt_vm *vm, const vt_fastfn *f) { return vt_cond_fast_inline(vm, f); }
