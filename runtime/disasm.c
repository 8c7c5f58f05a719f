/* The opcode metadata table (derived from VT_OPCODES) and `verity disasm`: every
 * function with its role, each instruction with its operands spelled out, its
 * synopsis and its source line. */
#include "program.h"
#include "opcodes.h"
#include "../common/mem.h"
#include <inttypes.h>

const vt_opinfo vt_opinfo_table[VT_I_COUNT] = {
#define VT_I_INFO(name, n, k1, k2, k3, pop, push, syn) \
    {#name, n, {VT_OPK_##k1, VT_OPK_##k2, VT_OPK_##k3}, pop, push, syn},
    VT_OPCODES(VT_I_INFO)
#undef VT_I_INFO
};

static const char *type_names[] = {"null", "bool", "int", "number", "money", "text", "time", "duration", "team"};
static const char *hist_names[] = {"count", "sum", "min", "max", "avg", "last", "first", "last.at", "first.at",
                                   "since", "within", "no-for", "last-seq"};

static const char *tname(int t) { return t >= 0 && t <= 8 ? type_names[t] : "?"; }
static const char *ename(const vt_program *p, int32_t e) {
    if (e == -2) return "created";
    if (e >= 0 && (uint32_t)e < p->nevents) return vt_pstr(p, p->events[e].name);
    if (VT_EV_IS_TRUTH(e) && VT_EV_TRUTH_INDEX(e) < p->ntruths) return vt_pstr(p, p->truths[VT_EV_TRUTH_INDEX(e)].name);
    return "?";
}

static void print_const(const vt_program *p, FILE *o, uint32_t k) {
    const vt_pconst *c = &p->consts[k];
    switch (c->type) {
    case VT_V_TEXT: fprintf(o, "\"%.*s\"", (int)c->slen, p->strings + c->s); break;
    case VT_V_BOOL: fprintf(o, "%s", c->i ? "true" : "false"); break;
    case VT_V_NUMBER: fprintf(o, "%g", c->d); break;
    case VT_V_MONEY: fprintf(o, "%" PRId64 " %.3s (minor units)", c->i, c->cur); break;
    case VT_V_DURATION: fprintf(o, "%" PRId64 "s", c->i); break;
    case VT_V_TIME: { char b[21]; vt_format_utc(c->i, b); fprintf(o, "%s", b); break; }
    case VT_V_TEAM: fprintf(o, "team %s", vt_pstr(p, p->teams[c->i].name)); break;
    case VT_V_NULL: fprintf(o, "null"); break;
    default: fprintf(o, "%" PRId64, c->i); break;
    }
}

static void print_operand(const vt_program *p, FILE *o, const uint32_t *ins, unsigned k, int wf) {
    uint32_t x = ins[1 + k];
    switch (vt_opinfo_table[ins[0]].kinds[k]) {
    case VT_OPK_CONST: print_const(p, o, x); break;
    case VT_OPK_FIELD: fprintf(o, "%s", vt_pstr(p, p->fields[x].name)); break;
    case VT_OPK_HIST: fprintf(o, "h%u", x); break;
    case VT_OPK_LC: fprintf(o, "%s", vt_pstr(p, p->lcs[x].name)); break;
    case VT_OPK_STATE: fprintf(o, "%s", vt_pstr(p, p->states[p->lcs[ins[k]].first_state + x].name)); break;
    case VT_OPK_TEAM:
        if (x == VT_NONE) fprintf(o, "owner");
        else fprintf(o, "%s", vt_pstr(p, p->teams[x].name));
        break;
    case VT_OPK_CHAN: fprintf(o, "%s", vt_pstr(p, p->chans[x].name)); break;
    case VT_OPK_JUMP: fprintf(o, "->%04u", x); break;
    case VT_OPK_STEP: fprintf(o, "step%u", x); break;
    case VT_OPK_PCT: fprintf(o, "%u%%", x); break;
    case VT_OPK_REP: fprintf(o, "r%u", x); (void)wf; break;
    case VT_OPK_EXTERN: fprintf(o, "%s", vt_pstr(p, p->externs[x].name)); break;
    default: fprintf(o, "%u", x); break;
    }
}

static void fn_label(const vt_program *p, uint32_t fi, char *buf, size_t n) {
    snprintf(buf, n, "function %u", fi);
    for (uint32_t i = 0; i < p->nrules; i++)
        if (p->rules[i].fn == (int32_t)fi) { snprintf(buf, n, "rule %u: on %s", i, ename(p, p->rules[i].event)); return; }
    for (uint32_t i = 0; i < p->ntruths; i++)
        if (p->truths[i].fn == (int32_t)fi) { snprintf(buf, n, "truth %s", vt_pstr(p, p->truths[i].name)); return; }
    for (uint32_t i = 0; i < p->nsegments; i++)
        if (p->segments[i].fn == (int32_t)fi) { snprintf(buf, n, "segment %s", vt_pstr(p, p->segments[i].name)); return; }
    for (uint32_t i = 0; i < p->ntrans; i++)
        if (p->trans[i].fn == (int32_t)fi) { snprintf(buf, n, "transition %u condition", i); return; }
    for (uint32_t i = 0; i < p->ntrigs; i++)
        if (p->trigs[i].fn == (int32_t)fi) {
            snprintf(buf, n, "workflow %s %s condition", vt_pstr(p, p->wfs[p->trigs[i].wf].name), p->trigs[i].role ? "exit" : "enroll");
            return;
        }
    for (uint32_t i = 0; i < p->nwfs; i++) {
        if (p->wfs[i].steps_fn == (int32_t)fi) { snprintf(buf, n, "workflow %s steps", vt_pstr(p, p->wfs[i].name)); return; }
        if (p->wfs[i].goal_fn == (int32_t)fi) { snprintf(buf, n, "workflow %s goal", vt_pstr(p, p->wfs[i].name)); return; }
    }
    for (uint32_t i = 0; i < p->nhists; i++)
        if (p->hists[i].where_fn == (int32_t)fi) { snprintf(buf, n, "history h%u filter", i); return; }
}

int vt_disasm(const vt_program *p, FILE *o) {
    fprintf(o, "; flow \"%s\" version %" PRId64 ", time zone %s, source %s\n", vt_pstr(p, p->flow_name), p->version,
            vt_pstr(p, p->timezone), p->hash);
    fprintf(o, "; %u functions, %u code words, %u constants, %u history accumulators, contact state %u bytes\n",
            p->nfns, p->ncode, p->nconsts, p->nhists, p->lay.fixed_len);
    for (uint32_t i = 0; i < p->nhists; i++) {
        const vt_phist *h = &p->hists[i];
        fprintf(o, "; h%u = %s(%s", i, hist_names[h->kind], ename(p, h->event));
        if (h->field >= 0) fprintf(o, ".%s", vt_pstr(p, p->efields[p->events[h->event].first_field + (uint32_t)h->field].name));
        if (h->where_fn >= 0) fprintf(o, " where fn%d", h->where_fn);
        if (h->within > 0) fprintf(o, " within %" PRId64 "s", h->within);
        if (h->k > 0) fprintf(o, ") keeping the last %d", h->k);
        else fprintf(o, ")");
        fprintf(o, " : %s\n", tname(h->vtype));
    }
    for (uint32_t i = 0; i < p->nexterns; i++) {
        const vt_pextern *e = &p->externs[i];
        fprintf(o, "; extern %s(", vt_pstr(p, e->name));
        for (int32_t k = 0; k < e->nparams; k++) fprintf(o, "%s%s", k ? ", " : "", tname(e->params[k]));
        fprintf(o, ") -> %s from \"%s\"\n", tname(e->ret), vt_pstr(p, e->lib));
    }
    for (uint32_t i = 0; i < p->ntrans; i++) {
        const vt_ptrans *t = &p->trans[i];
        const vt_plc *l = &p->lcs[t->lc];
        fprintf(o, "; transition %u: %s %s -> %s ", i, vt_pstr(p, l->name),
                t->from < 0 ? "any" : vt_pstr(p, p->states[l->first_state + (uint32_t)t->from].name),
                vt_pstr(p, p->states[l->first_state + (uint32_t)t->to].name));
        if (t->kind == 0) fprintf(o, "on %s", ename(p, t->event));
        else if (t->kind == 1) fprintf(o, "when");
        else fprintf(o, "after %" PRId64 "s in state", t->dur);
        if (t->fn >= 0) fprintf(o, " (fn%d)", t->fn);
        fprintf(o, "\n");
    }
    for (uint32_t fi = 0; fi < p->nfns; fi++) {
        const vt_pfn *f = &p->fns[fi];
        char label[160];
        fn_label(p, fi, label, sizeof label);
        fprintf(o, "\nfn%u  %s\n", fi, label);
        for (uint32_t pc = f->start; pc < f->start + f->len;) {
            const uint32_t *ins = &p->code[pc];
            const vt_opinfo *oi = &vt_opinfo_table[ins[0]];
            char ops[200] = "";
            FILE *m = fmemopen(ops, sizeof ops - 1, "w");
            if (m) {
                for (unsigned k = 0; k < oi->nops; k++) { if (k) fputs(", ", m); print_operand(p, m, ins, k, f->wf); }
                fclose(m);
            }
            uint32_t line = vt_program_line(p, pc);
            fprintf(o, "  %04u  %-11s %-28s ; %s  (line %u)\n", pc, oi->name, ops, oi->synopsis, line);
            pc += 1 + oi->nops;
        }
    }
    return ferror(o) ? -1 : 0;
}
