/* The verifier: runs on every program before it is used, whether just compiled or read
 * from a .vbc file. It checks every index in every table, then every function's code:
 * known opcodes, operands in range, jumps to instruction starts inside the function
 * (backward only where the VM allows it), the stack depth along every path (no
 * underflow, at most VT_MAX_STACK, an empty stack where steps suspend), and a
 * terminator at the end of every path. A hostile file is refused with a message. */
#include "program.h"
#include "opcodes.h"
#include "vm_internal.h"
#include "native.h"
#include "../common/mem.h"
#include <stdlib.h>

typedef struct vctx { const vt_program *p; char **error; int bad; } vctx;

static int bad(vctx *v, char *msg) {
    if (!v->bad) { v->bad = 1; if (v->error) *v->error = msg; else free(msg); }
    else free(msg);
    return -1;
}
#define CHECK(cond, ...) do { if (!(cond)) return bad(v, vt_msg("invalid bytecode: " __VA_ARGS__)); } while (0)

static bool str_ok(const vt_program *p, uint32_t s) { return s < p->nstrings; }
static bool fn_ok(const vt_program *p, int32_t fn, int kind) {
    return fn >= 0 && (uint32_t)fn < p->nfns && p->fns[fn].kind == kind;
}
static bool opt_fn_ok(const vt_program *p, int32_t fn, int kind) { return fn == -1 || fn_ok(p, fn, kind); }
static bool team_ok(const vt_program *p, int32_t t) { return t == -1 || (t >= 0 && (uint32_t)t < p->nteams); }
static bool event_ok(const vt_program *p, int32_t e) { return e == VT_EV_CREATED || (e >= 0 && (uint32_t)e < p->nevents); }
static bool trigger_event_ok(const vt_program *p, int32_t e) {
    return event_ok(p, e) || (VT_EV_IS_TRUTH(e) && VT_EV_TRUTH_INDEX(e) < p->ntruths);
}

static int check_fields(vctx *v, const vt_pfield *f, uint32_t n, const char *what) {
    for (uint32_t i = 0; i < n; i++) {
        CHECK(str_ok(v->p, f[i].name), "%s %u has a bad name", what, i);
        CHECK(f[i].type >= VT_V_NULL && f[i].type <= VT_V_TEAM, "%s %u has an unknown type", what, i);
        CHECK(f[i].def == -1 || (f[i].def >= 0 && (uint32_t)f[i].def < v->p->nconsts), "%s %u has a bad default", what, i);
    }
    return 0;
}

static int check_tables(vctx *v) {
    const vt_program *p = v->p;
    CHECK(p->nstrings > 0 && p->strings[p->nstrings - 1] == 0, "the string table is not terminated");
    CHECK(str_ok(p, p->flow_name) && str_ok(p, p->timezone), "bad flow name or time zone");
    CHECK(p->ncode < (1u << 30) && p->nstates < (1u << 24) && p->nwfs < (1u << 20), "tables too large");
    for (uint32_t i = 0; i < p->nconsts; i++) {
        const vt_pconst *k = &p->consts[i];
        CHECK(k->type >= VT_V_NULL && k->type <= VT_V_TEAM, "constant %u has an unknown type", i);
        if (k->type == VT_V_TEXT) CHECK((uint64_t)k->s + k->slen < p->nstrings, "constant %u points outside the strings", i);
        if (k->type == VT_V_TEAM) CHECK(k->i >= 0 && (uint64_t)k->i < p->nteams, "constant %u names no team", i);
    }
    if (check_fields(v, p->fields, p->nfields, "field") || check_fields(v, p->efields, p->nefields, "event field")) return -1;
    for (uint32_t i = 0; i < p->nevents; i++)
        CHECK(str_ok(p, p->events[i].name) && (uint64_t)p->events[i].first_field + p->events[i].nfields <= p->nefields,
              "event %u is out of range", i);
    for (uint32_t i = 0; i < p->nteams; i++)
        CHECK(str_ok(p, p->teams[i].name) && team_ok(p, p->teams[i].escalates), "team %u is out of range", i);
    for (uint32_t i = 0; i < p->nchans; i++) {
        const vt_pchan *c = &p->chans[i];
        CHECK(str_ok(p, c->name) && (c->consent == -1 || (c->consent >= 0 && (uint32_t)c->consent < p->nfields)), "channel %u is out of range", i);
        CHECK(c->cap >= 0 && c->cap <= VT_RING_MAX && c->cap_per >= 0, "channel %u has a bad cap", i);
        CHECK((c->quiet_from == -1 && c->quiet_to == -1) || (c->quiet_from >= 0 && c->quiet_from <= 1440 && c->quiet_to >= 0 && c->quiet_to <= 1440),
              "channel %u has bad quiet hours", i);
        CHECK((uint64_t)c->first_window + c->nwindows <= p->nwindows && c->nwindows <= 64, "channel %u has bad windows", i);
    }
    for (uint32_t i = 0; i < p->nwindows; i++) {
        const vt_pwindow *w = &p->windows[i];
        CHECK(w->day_from >= -1 && w->day_from <= 6 && w->day_to >= -1 && w->day_to <= 6 && w->open >= 0 && w->open <= 1440 &&
              w->close >= 0 && w->close <= 1440, "send window %u is out of range", i);
    }
    for (uint32_t i = 0; i < p->nlcs; i++) {
        const vt_plc *l = &p->lcs[i];
        CHECK(str_ok(p, l->name) && l->nstates >= 1 && (uint64_t)l->first_state + l->nstates <= p->nstates &&
              l->initial >= 0 && (uint32_t)l->initial < l->nstates, "lifecycle %u is out of range", i);
    }
    for (uint32_t i = 0; i < p->nstates; i++) {
        const vt_pstate *s = &p->states[i];
        CHECK(str_ok(p, s->name) && (s->label == VT_NONE || str_ok(p, s->label)) && team_ok(p, s->owner), "state %u is out of range", i);
    }
    for (uint32_t i = 0; i < p->nfns; i++) {
        const vt_pfn *f = &p->fns[i];
        CHECK(f->len >= 1 && (uint64_t)f->start + f->len <= p->ncode && f->kind >= VT_FN_COND && f->kind <= VT_FN_STEPS &&
              (f->wf == -1 || (f->wf >= 0 && (uint32_t)f->wf < p->nwfs)), "function %u is out of range", i);
        CHECK(f->kind != VT_FN_STEPS || f->wf >= 0, "function %u has steps but no workflow", i);
    }
    for (uint32_t i = 0; i < p->nrules; i++)
        CHECK(event_ok(p, p->rules[i].event) && fn_ok(p, p->rules[i].fn, VT_FN_RULE), "rule %u is out of range", i);
    for (uint32_t i = 0; i < p->ntruths; i++) CHECK(str_ok(p, p->truths[i].name) && fn_ok(p, p->truths[i].fn, VT_FN_COND), "truth %u is out of range", i);
    for (uint32_t i = 0; i < p->nsegments; i++) CHECK(str_ok(p, p->segments[i].name) && fn_ok(p, p->segments[i].fn, VT_FN_COND), "segment %u is out of range", i);
    for (uint32_t i = 0; i < p->ntrans; i++) {
        const vt_ptrans *t = &p->trans[i];
        CHECK(t->lc >= 0 && (uint32_t)t->lc < p->nlcs, "transition %u names no lifecycle", i);
        uint32_t ns = p->lcs[t->lc].nstates;
        CHECK(t->from >= -1 && t->from < (int32_t)ns && t->to >= 0 && (uint32_t)t->to < ns, "transition %u names no state", i);
        CHECK(t->kind == VT_TK_ON_EVENT || t->kind == VT_TK_WHEN || t->kind == VT_TK_AFTER, "transition %u has a bad trigger", i);
        CHECK(t->kind != VT_TK_ON_EVENT || trigger_event_ok(p, t->event), "transition %u names no event", i);
        CHECK(t->kind == VT_TK_WHEN ? fn_ok(p, t->fn, VT_FN_COND) : opt_fn_ok(p, t->fn, VT_FN_COND), "transition %u has a bad condition", i);
        CHECK(t->dur >= 0, "transition %u has a negative duration", i);
    }
    for (uint32_t i = 0; i < p->ntrigs; i++) {
        const vt_ptrig *t = &p->trigs[i];
        CHECK(t->wf >= 0 && (uint32_t)t->wf < p->nwfs && (t->role == VT_ROLE_ENROLL || t->role == VT_ROLE_EXIT), "trigger %u is out of range", i);
        CHECK(t->kind >= VT_TK_ON_EVENT && t->kind <= VT_TK_CALENDAR && t->kind != VT_TK_AFTER, "trigger %u has a bad kind", i);
        CHECK(t->kind != VT_TK_ON_EVENT || trigger_event_ok(p, t->event), "trigger %u names no event", i);
        if (t->kind == VT_TK_ENTER)
            CHECK(t->lc >= 0 && (uint32_t)t->lc < p->nlcs && t->state >= 0 && (uint32_t)t->state < p->lcs[t->lc].nstates, "trigger %u names no state", i);
        CHECK(t->kind == VT_TK_WHEN ? fn_ok(p, t->fn, VT_FN_COND) : opt_fn_ok(p, t->fn, VT_FN_COND), "trigger %u has a bad condition", i);
        if (t->kind == VT_TK_CALENDAR)
            CHECK(t->cal >= 0 && t->cal <= 2 && t->minutes >= 0 && t->minutes < 1440 &&
                  (t->cal != 1 || (t->weekday >= 0 && t->weekday <= 6)) &&
                  (t->cal != 0 || (t->month >= 1 && t->month <= 12 && t->day >= 1 && t->day <= 31)), "trigger %u has a bad date", i);
    }
    for (uint32_t i = 0; i < p->nhists; i++) {
        const vt_phist *h = &p->hists[i];
        CHECK(h->kind >= 0 && h->kind < VT_H_KIND_COUNT && h->event >= 0 && (uint32_t)h->event < p->nevents, "history %u is out of range", i);
        CHECK(h->field >= -1 && h->field < (int32_t)p->events[h->event].nfields, "history %u names no event field", i);
        CHECK(opt_fn_ok(p, h->where_fn, VT_FN_COND) && h->within >= 0 && h->vtype >= 0 && h->vtype <= VT_V_TEAM, "history %u is out of range", i);
        bool win = h->kind <= VT_H_AVG && h->within > 0;
        CHECK(win ? (h->k >= 1 && h->k <= VT_RING_MAX) : h->k == 0, "history %u has a bad window size", i);
    }
    for (uint32_t i = 0; i < p->nexterns; i++) {
        const vt_pextern *e = &p->externs[i];
        CHECK(str_ok(p, e->name) && str_ok(p, e->lib) && e->nparams >= 0 && e->nparams <= VT_MAX_EXTERN_ARGS,
              "native function %u is out of range", i);
        CHECK(vt_native_type_ok(e->ret), "native function %u has a bad result type", i);
        for (int32_t k = 0; k < e->nparams; k++) CHECK(vt_native_type_ok(e->params[k]), "native function %u has a bad parameter type", i);
    }
    for (uint32_t i = 0; i < p->nwfs; i++) {
        const vt_pwf *w = &p->wfs[i];
        CHECK(str_ok(p, w->name) && team_ok(p, w->owner) && w->reenroll >= 0 && w->reenroll <= 2 && w->reenroll_after >= 0 && w->goal_within >= 0,
              "workflow %u is out of range", i);
        CHECK(fn_ok(p, w->steps_fn, VT_FN_STEPS) && p->fns[w->steps_fn].wf == (int32_t)i, "workflow %u has bad steps", i);
        CHECK(opt_fn_ok(p, w->goal_fn, VT_FN_COND), "workflow %u has a bad goal", i);
        CHECK(w->goal_event == -1 || (w->goal_event >= 0 && (uint32_t)w->goal_event < p->nhists && p->hists[w->goal_event].kind == VT_H_LASTSEQ),
              "workflow %u has a bad goal event", i);
        CHECK(w->nrep >= 0 && w->nrep <= VT_MAX_REP && (uint64_t)w->first_trig + w->ntrig <= p->ntrigs, "workflow %u is out of range", i);
        for (uint32_t j = 0; j < w->ntrig; j++) CHECK(p->trigs[w->first_trig + j].wf == (int32_t)i, "workflow %u owns another's trigger", i);
    }
    return 0;
}

/* Which ops each kind of function may hold: conditions are pure, rules cannot act. */
static bool op_allowed(vt_opcode op, int kind) {
    switch (op) {
    case VT_I_RET: return kind == VT_FN_COND;
    case VT_I_END: return kind == VT_FN_RULE;
    case VT_I_SET: case VT_I_ADDTO: case VT_I_SUBFROM: case VT_I_TAG: case VT_I_UNTAG:
        return kind != VT_FN_COND;
    case VT_I_ASSIGN: case VT_I_MOVE: case VT_I_SEND: case VT_I_TASK: case VT_I_NOTIFY: case VT_I_ESCALATE:
    case VT_I_WAIT: case VT_I_WAIT_UNTIL: case VT_I_REP_INIT: case VT_I_REP_NEXT: case VT_I_SPLIT_GE:
    case VT_I_STOP: case VT_I_DONE:
        return kind == VT_FN_STEPS;
    default: return true;
    }
}

static bool terminator(vt_opcode op) {
    return op == VT_I_RET || op == VT_I_END || op == VT_I_STOP || op == VT_I_DONE || op == VT_I_JMP;
}

static int check_fn(vctx *v, uint32_t fi, uint8_t *istart, int32_t *depth, uint32_t maxpf) {
    const vt_program *p = v->p;
    const vt_pfn *f = &p->fns[fi];
    const uint32_t *code = p->code;
    uint32_t end = f->start + f->len;
    /* 1. decode: every instruction inside the function */
    for (uint32_t pc = f->start; pc < end;) {
        uint32_t op = code[pc];
        CHECK(op < VT_I_COUNT, "unknown opcode %u at %u", op, pc);
        CHECK((uint64_t)pc + 1 + vt_opinfo_table[op].nops <= end, "instruction at %u runs past its function", pc);
        CHECK(op_allowed((vt_opcode)op, f->kind), "%s at %u is not allowed in this kind of function", vt_opinfo_table[op].name, pc);
        istart[pc] = 1;
        pc += 1 + vt_opinfo_table[op].nops;
    }
    /* 2. operands */
    for (uint32_t pc = f->start; pc < end; pc += 1 + vt_opinfo_table[code[pc]].nops) {
        const vt_opinfo *oi = &vt_opinfo_table[code[pc]];
        for (unsigned k = 0; k < oi->nops; k++) {
            uint32_t x = code[pc + 1 + k];
            switch (oi->kinds[k]) {
            case VT_OPK_CONST: CHECK(x < p->nconsts, "constant %u out of range at %u", x, pc); break;
            case VT_OPK_FIELD: CHECK(x < p->nfields, "field %u out of range at %u", x, pc); break;
            case VT_OPK_PFIELD: CHECK(x < maxpf, "event field %u out of range at %u", x, pc); break;
            case VT_OPK_HIST: CHECK(x < p->nhists, "history %u out of range at %u", x, pc); break;
            case VT_OPK_LC: CHECK(x < p->nlcs, "lifecycle %u out of range at %u", x, pc); break;
            case VT_OPK_STATE: CHECK(k > 0 && x < p->lcs[code[pc + k]].nstates, "state %u out of range at %u", x, pc); break;
            case VT_OPK_TEAM: CHECK(x < p->nteams || (x == VT_NONE && code[pc] != VT_I_ASSIGN), "team %u out of range at %u", x, pc); break;
            case VT_OPK_CHAN: CHECK(x < p->nchans, "channel %u out of range at %u", x, pc); break;
            case VT_OPK_JUMP: CHECK(x >= f->start && x < end && istart[x], "jump to %u at %u leaves its function", x, pc); break;
            case VT_OPK_COUNT: CHECK(x <= (code[pc] == VT_I_REP_NEXT ? 1000000u : 255u), "count %u too large at %u", x, pc); break;
            case VT_OPK_REP: CHECK(f->wf >= 0 && x < (uint32_t)p->wfs[f->wf].nrep, "repeat counter %u out of range at %u", x, pc); break;
            case VT_OPK_PCT: CHECK(x <= 100, "percentage %u out of range at %u", x, pc); break;
            case VT_OPK_EXTERN:
                CHECK(x < p->nexterns && code[pc + 1] == (uint32_t)p->externs[x].nparams,
                      "native function %u out of range or called with the wrong number of values at %u", x, pc);
                break;
            default: break;
            }
        }
        vt_opcode op = (vt_opcode)code[pc];
        /* Only loops the VM bounds may jump back: REP_NEXT (budgeted), and resumption
         * points of suspending steps. */
        if (op == VT_I_JMP || op == VT_I_JFALSE || op == VT_I_JFALSE_KEEP || op == VT_I_JTRUE_KEEP)
            CHECK(code[pc + 1] > pc, "backward jump at %u", pc);
        if (op == VT_I_SPLIT_GE || op == VT_I_WAIT_UNTIL) CHECK(code[pc + 2] > pc, "backward jump at %u", pc);
        if (op == VT_I_WAIT_UNTIL || op == VT_I_SEND) CHECK(code[pc + (op == VT_I_SEND ? 3 : 1)] <= pc, "bad resume point at %u", pc);
    }
    /* 3. stack depth along every path (forward order is enough except for the
     * backward edges, whose targets are checked to agree). */
    for (uint32_t pc = f->start; pc < end; pc++) depth[pc] = -1;
    depth[f->start] = 0;
    for (uint32_t pc = f->start; pc < end; pc += 1 + vt_opinfo_table[code[pc]].nops) {
        const vt_opinfo *oi = &vt_opinfo_table[code[pc]];
        vt_opcode op = (vt_opcode)code[pc];
        int32_t d = depth[pc];
        if (d < 0) continue;   /* unreachable code: never run */
        int32_t pop = oi->pop == VT_POP_N ? (int32_t)code[pc + 1] + (op == VT_I_IN ? 1 : 0) : oi->pop;
        CHECK(d >= pop, "stack underflow at %u (%s)", pc, oi->name);
        int32_t after = d - pop + oi->push;
        CHECK(after <= VT_MAX_STACK, "stack too deep at %u", pc);
        int32_t targets[2] = {-1, -1}, tdepth[2] = {0, 0};
        int fall = !terminator(op);
        switch (op) {
        case VT_I_JMP: targets[0] = (int32_t)code[pc + 1]; tdepth[0] = d; break;
        case VT_I_JFALSE: targets[0] = (int32_t)code[pc + 1]; tdepth[0] = after; break;
        case VT_I_JFALSE_KEEP: case VT_I_JTRUE_KEEP: targets[0] = (int32_t)code[pc + 1]; tdepth[0] = d; break;
        case VT_I_SPLIT_GE: targets[0] = (int32_t)code[pc + 2]; tdepth[0] = d; break;
        case VT_I_REP_NEXT: targets[0] = (int32_t)code[pc + 3]; tdepth[0] = d; break;
        case VT_I_WAIT_UNTIL: targets[0] = (int32_t)code[pc + 2]; tdepth[0] = after; targets[1] = (int32_t)code[pc + 1]; tdepth[1] = 0; break;
        case VT_I_SEND: targets[1] = (int32_t)code[pc + 3]; tdepth[1] = 0; break;
        default: break;
        }
        if (op == VT_I_RET) CHECK(d == 1, "RET at %u needs exactly one value", pc);
        if (op == VT_I_END || op == VT_I_DONE || op == VT_I_STOP) CHECK(d == 0, "values left on the stack at %u", pc);
        if (op == VT_I_SEND || op == VT_I_WAIT || op == VT_I_WAIT_UNTIL) CHECK(after == 0, "a step suspends with values on the stack at %u", pc);
        for (int t = 0; t < 2; t++) {
            if (targets[t] < 0) continue;
            int32_t *td = &depth[targets[t]];
            if ((uint32_t)targets[t] <= pc) { CHECK(*td == tdepth[t], "inconsistent stack at the loop to %d", targets[t]); continue; }
            CHECK(*td == -1 || *td == tdepth[t], "inconsistent stack depth at %d", targets[t]);
            *td = tdepth[t];
        }
        uint32_t next = pc + 1 + oi->nops;
        if (fall) {
            CHECK(next < end, "function %u can run past its end", fi);
            CHECK(depth[next] == -1 || depth[next] == after, "inconsistent stack depth at %u", next);
            depth[next] = after;
        }
    }
    for (uint32_t pc = f->start; pc < end; pc++)
        if (istart[pc] && depth[pc] == 0) istart[pc] = 2;   /* a valid resumption point */
    return 0;
}

int vt_verify(const vt_program *p, char **error) {
    vctx v = {p, error, 0};
    if (error) *error = NULL;
    if (check_tables(&v) != 0) return -1;
    uint32_t maxpf = 0;
    for (uint32_t i = 0; i < p->nevents; i++) if (p->events[i].nfields > maxpf) maxpf = p->events[i].nfields;
    uint8_t *istart = vt_calloc((size_t)p->ncode + 1, 1);
    int32_t *depth = vt_malloc(((size_t)p->ncode + 1) * sizeof *depth);
    if (!istart || !depth) { vt_free(istart); vt_free(depth); return bad(&v, vt_msg("out of memory verifying the program")); }
    /* Functions must not overlap: each instruction belongs to one function. */
    uint8_t *owner = vt_calloc((size_t)p->ncode + 1, 1);
    int rc = owner ? 0 : bad(&v, vt_msg("out of memory verifying the program"));
    for (uint32_t i = 0; i < p->nfns && rc == 0; i++) {
        for (uint32_t pc = p->fns[i].start; pc < p->fns[i].start + p->fns[i].len && rc == 0; pc++) {
            if (owner[pc]) rc = bad(&v, vt_msg("invalid bytecode: functions overlap at %u", pc));
            owner[pc] = 1;
        }
        if (rc == 0) rc = check_fn(&v, i, istart, depth, maxpf);
    }
    vt_free(owner);
    vt_free(depth);
    if (rc != 0) { vt_free(istart); return -1; }
    vt_free(((vt_program *)p)->istart);
    ((vt_program *)p)->istart = istart;   /* kept for restoring enrollments */
    return 0;
}
