/* When must a truth be evaluated again? Its value changes only when something it reads
 * changes: a history fed by the event being processed, a field that a rule of that
 * event writes, or the clock. The clock is covered by the wake-up its last evaluation
 * reported (kept per contact beside the truth's bit): until that instant, and with none
 * of its inputs touched, the truth still has the value it had, so it is not evaluated.
 * Found once per vm by reading the code. Whatever the scan does not follow (states,
 * owner, tags, `now`, the event's payload, enrollments, natives, a field that workflow
 * steps or contact records write) makes the truth one to evaluate at every instant. */
#include "vm_internal.h"
#include "../common/mem.h"

static bool writes_field(uint32_t op) { return op == VT_I_SET || op == VT_I_ADDTO || op == VT_I_SUBFROM; }

/* Marks in `out` (per field) the fields the code of fn writes. */
static void fields_written(const vt_program *p, const vt_pfn *fn, uint8_t *out) {
    for (uint32_t pc = fn->start; pc < fn->start + fn->len && pc < p->ncode;) {
        uint32_t op = p->code[pc];
        if (op >= VT_I_COUNT) return;
        if (writes_field(op) && pc + 1 < p->ncode && p->code[pc + 1] < p->nfields) out[p->code[pc + 1]] = 1;
        pc += 1u + vt_opinfo_table[op].nops;
    }
}

/* Reads the truth's code: the fields and histories it depends on, or true when it
 * depends on something only "every instant" covers. */
static bool truth_inputs(const vt_program *p, const vt_pfn *fn, uint8_t *fields, uint8_t *hists) {
    for (uint32_t pc = fn->start; pc < fn->start + fn->len && pc < p->ncode;) {
        uint32_t op = p->code[pc];
        if (op >= VT_I_COUNT || pc + vt_opinfo_table[op].nops >= p->ncode) return true;
        uint32_t a = vt_opinfo_table[op].nops ? p->code[pc + 1] : 0;
        switch (op) {
        case VT_I_FIELD: if (a >= p->nfields) return true; fields[a] = 1; break;
        case VT_I_HIST: if (a >= p->nhists) return true; hists[a] = 1; break;
        case VT_I_CONST: case VT_I_ID: case VT_I_CREATED_AT:
        case VT_I_NOT: case VT_I_NEG: case VT_I_EQ: case VT_I_NE: case VT_I_LT: case VT_I_LE: case VT_I_GT: case VT_I_GE:
        case VT_I_ADD: case VT_I_SUB: case VT_I_MUL: case VT_I_DIV: case VT_I_CONTAINS: case VT_I_STARTS: case VT_I_ENDS:
        case VT_I_MATCHES: case VT_I_IN: case VT_I_CONCAT: case VT_I_JMP: case VT_I_JFALSE: case VT_I_JFALSE_KEEP:
        case VT_I_JTRUE_KEEP: case VT_I_RET:
            break;
        default: return true;
        }
        pc += 1u + vt_opinfo_table[op].nops;
    }
    return false;
}

int vt_deps_build(vt_vm *vm) {
    const vt_program *p = vm->p;
    uint32_t ne = p->nevents, nf = p->nfields;
    uint32_t nt = p->ntruths;
    vm->tmust = vt_calloc((size_t)VT_TRUTH_SLOTS(p) * nt + 1, 1);
    uint8_t *is_rule = vt_calloc(p->nfns + 1, 1), *other = vt_calloc(nf + 1, 1);
    uint8_t *by_ev = vt_calloc((size_t)ne * nf + 1, 1);   /* [event][field]: a rule of the event writes it */
    uint8_t *rf = vt_calloc(nf + 1, 1), *rh = vt_calloc(p->nhists + 1, 1);
    int rc = -1;
    if (!vm->tmust || !is_rule || !other || !by_ev || !rf || !rh) goto out;
    for (uint32_t e = 0; e < ne; e++)
        for (uint32_t j = 0; j < p->rules_by_ev[e].n; j++) {
            uint32_t fn = (uint32_t)p->rules[p->rules_by_ev[e].v[j]].fn;
            if (fn >= p->nfns) continue;
            is_rule[fn] = 1;
            fields_written(p, &p->fns[fn], by_ev + (size_t)e * nf);
        }
    for (uint32_t fn = 0; fn < p->nfns; fn++)   /* workflow steps, `created` rules: any instant */
        if (!is_rule[fn]) fields_written(p, &p->fns[fn], other);
    for (uint32_t i = 0; i < nt; i++) {
        uint8_t *d = vm->tmust + i;     /* column i: one byte per kind of instant, nt apart */
        int32_t fn = p->truths[i].fn;
        memset(rf, 0, nf + 1);
        memset(rh, 0, p->nhists + 1);
        bool always = fn < 0 || (uint32_t)fn >= p->nfns || truth_inputs(p, &p->fns[fn], rf, rh);
        for (uint32_t f = 0; f < nf && !always; f++) always = rf[f] && other[f];
        for (uint32_t e = 0; e < ne; e++) {
            bool m = always;
            for (uint32_t f = 0; f < nf && !m; f++) m = rf[f] && by_ev[(size_t)e * nf + f];
            for (uint32_t j = 0; j < p->hist_by_ev[e].n && !m; j++) m = rh[p->hist_by_ev[e].v[j]];
            d[(size_t)e * nt] = m;
        }
        d[(size_t)vt_truth_slot(p, VT_EV_CREATED) * nt] = 1;   /* `created` and contact records set fields */
        d[(size_t)vt_truth_slot(p, VT_EV_CONTACT) * nt] = 1;
        d[(size_t)vt_truth_slot(p, VT_EV_NONE) * nt] = always;
    }
    rc = 0;
out:
    vt_free(is_rule);
    vt_free(other);
    vt_free(by_ev);
    vt_free(rf);
    vt_free(rh);
    return rc;
}
