/* The interpreter: runs one verified function from a program counter. Dispatch is by
 * computed goto on GCC/Clang, or a switch with VT_SWITCH_DISPATCH=1; both come from the
 * opcode table. The verifier has already proved operands, jumps and stack depth safe. */
#include "vm_internal.h"
#include "native.h"
#include "../common/mem.h"
#include "../common/timeutil.h"
#include <stdarg.h>
#include <stdio.h>

int vt_fail(vt_vm *vm, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(vm->err, sizeof vm->err, fmt, ap);
    va_end(ap);
    return -1;
}

bool vt_truthy(const vt_cell *v) { return v->t == VT_V_BOOL ? v->u.i != 0 : false; }

static vt_cell mk_bool(bool b) { vt_cell v; memset(&v, 0, sizeof v); v.t = VT_V_BOOL; v.u.i = b; return v; }
static vt_cell mk_null(void) { vt_cell v; memset(&v, 0, sizeof v); return v; }

static bool numeric(const vt_cell *v) { return v->t == VT_V_INT || v->t == VT_V_NUMBER; }
static double as_d(const vt_cell *v) { return v->t == VT_V_NUMBER ? v->u.d : (double)v->u.i; }

/* -1, 0, 1, or 2 when the two cannot be ordered (null, different kinds). */
static int compare(const vt_cell *a, const vt_cell *b) {
    if (a->t == VT_V_NULL || b->t == VT_V_NULL) return (a->t == b->t) ? 0 : 2;
    if (numeric(a) && numeric(b)) {
        if (a->t == VT_V_INT && b->t == VT_V_INT) return (a->u.i > b->u.i) - (a->u.i < b->u.i);
        double x = as_d(a), y = as_d(b);
        return (x > y) - (x < y);
    }
    if (a->t == VT_V_TEXT && b->t == VT_V_TEXT) {
        uint32_t n = a->len < b->len ? a->len : b->len;
        int c = n ? memcmp(a->u.s, b->u.s, n) : 0;
        if (c) return c < 0 ? -1 : 1;
        return (a->len > b->len) - (a->len < b->len);
    }
    if (a->t != b->t) return 2;
    return (a->u.i > b->u.i) - (a->u.i < b->u.i);
}

static vt_cell arith(vt_opcode op, const vt_cell *a, const vt_cell *b) {
    vt_cell r = mk_null();
    if (a->t == VT_V_NULL || b->t == VT_V_NULL) return r;
    if (numeric(a) && numeric(b)) {
        if (a->t == VT_V_INT && b->t == VT_V_INT && op != VT_I_DIV) {
            r.t = VT_V_INT;
            uint64_t x = (uint64_t)a->u.i, y = (uint64_t)b->u.i;
            r.u.i = (int64_t)(op == VT_I_ADD ? x + y : op == VT_I_SUB ? x - y : x * y);
            return r;
        }
        double x = as_d(a), y = as_d(b);
        if (op == VT_I_DIV && y == 0) return r;
        r.t = VT_V_NUMBER;
        r.u.d = op == VT_I_ADD ? x + y : op == VT_I_SUB ? x - y : op == VT_I_MUL ? x * y : x / y;
        return r;
    }
    uint64_t x = (uint64_t)a->u.i, y = (uint64_t)b->u.i;
    /* money, time and duration arithmetic on integers (minor units, seconds) */
    if (op == VT_I_ADD || op == VT_I_SUB) {
        if (a->t == VT_V_TIME && b->t == VT_V_TIME && op == VT_I_SUB) { r.t = VT_V_DURATION; r.u.i = (int64_t)(x - y); return r; }
        if ((a->t == VT_V_TIME && b->t == VT_V_DURATION) || (a->t == b->t && (a->t == VT_V_DURATION || a->t == VT_V_MONEY))) {
            r = *a;
            r.u.i = (int64_t)(op == VT_I_ADD ? x + y : x - y);
            return r;
        }
        if (a->t == VT_V_DURATION && b->t == VT_V_TIME && op == VT_I_ADD) { r = *b; r.u.i = (int64_t)(x + y); return r; }
        return r;
    }
    if ((a->t == VT_V_MONEY || a->t == VT_V_DURATION) && b->t == VT_V_INT) {
        if (op == VT_I_DIV && b->u.i == 0) return r;
        r = *a;
        r.u.i = op == VT_I_MUL ? (int64_t)(x * y) : (b->u.i == -1 ? (int64_t)(0 - x) : a->u.i / b->u.i);
        return r;
    }
    if (op == VT_I_MUL && a->t == VT_V_INT && (b->t == VT_V_MONEY || b->t == VT_V_DURATION)) { r = *b; r.u.i = (int64_t)(x * y); return r; }
    return r;
}

/* arith, keeping the rate against `now` of times and durations (`now - T`, `T + D`)
 * so comparisons on them can schedule wake-ups; MUL and DIV drop it. */
static vt_cell clocked_arith(vt_opcode op, const vt_cell *a, const vt_cell *b) {
    int sa = vt_slope(a), sb = vt_slope(b);
    vt_cell r = arith(op, a, b);
    if (r.t == VT_V_TIME || r.t == VT_V_DURATION)
        r.len = op == VT_I_ADD ? vt_slope_code(sa + sb) : op == VT_I_SUB ? vt_slope_code(sa - sb) : 0;
    return r;
}

/* Next instant `l OP r` can change when l - r moves at `rate` (a nonzero multiple of
 * the clock's, in seconds per second): d(t) = d + rate * (t - now). */
void vt_see_cmp(vt_vm *vm, const vt_cell *l, const vt_cell *r, uint32_t op) {
    if (l->t != r->t || (l->t != VT_V_TIME && l->t != VT_V_DURATION)) return;
    int64_t rate = vt_slope(l) - vt_slope(r), d = vt_tsub(l->u.i, r->u.i);
    if (rate == 0) return;
    if (op == VT_I_LT || op == VT_I_LE) {   /* l < r  <=>  -d > 0 */
        d = d == INT64_MIN ? INT64_MAX : -d;
        rate = -rate;
        op = op == VT_I_LT ? VT_I_GT : VT_I_GE;
    }
    int64_t ar = rate < 0 ? -rate : rate, step;
    if (op == VT_I_EQ || op == VT_I_NE) {
        if (d == 0) step = 1;                          /* equal now, not a second later */
        else if ((d < 0) != (rate < 0)) step = ((d < 0 ? -(d + 1) : d - 1) / ar) + 1;   /* ceil(|d| / ar) */
        else return;                                   /* moving apart: never equal again */
    } else if (op == VT_I_GE) {                        /* true while d >= 0 */
        if (d >= 0 && rate < 0) step = d / ar + 1;
        else if (d < 0 && rate > 0) step = (-(d + 1)) / ar + 1;
        else return;
    } else {                                           /* GT: true while d > 0 */
        if (d > 0 && rate < 0) step = (d - 1) / ar + 1;
        else if (d <= 0 && rate > 0) step = (d == INT64_MIN ? INT64_MAX : -d) / ar + 1;
        else return;
    }
    vt_see(vm, vt_tadd(vm->now, step));
}

static bool glob(const char *p, uint32_t pn, const char *s, uint32_t sn) {
    uint32_t pi = 0, si = 0, star = UINT32_MAX, mark = 0;
    while (si < sn) {
        if (pi < pn && (p[pi] == '?' || p[pi] == s[si])) { pi++; si++; }
        else if (pi < pn && p[pi] == '*') { star = pi++; mark = si; }
        else if (star != UINT32_MAX) { pi = star + 1; si = ++mark; }
        else return false;
    }
    while (pi < pn && p[pi] == '*') pi++;
    return pi == pn;
}

static vt_cell text_op(vt_vm *vm, vt_opcode op, const vt_cell *a, const vt_cell *b) {
    if (b->t != VT_V_TEXT) return mk_bool(false);
    if (a->t == VT_C_TAGS) return mk_bool(op == VT_I_CONTAINS && vt_tags_has(a->u.s, a->len, b->u.s, b->len));
    (void)vm;
    if (a->t != VT_V_TEXT) return mk_bool(false);
    switch (op) {
    case VT_I_STARTS: return mk_bool(b->len <= a->len && memcmp(a->u.s, b->u.s, b->len) == 0);
    case VT_I_ENDS: return mk_bool(b->len <= a->len && memcmp(a->u.s + a->len - b->len, b->u.s, b->len) == 0);
    case VT_I_MATCHES: return mk_bool(glob(b->u.s, b->len, a->u.s, a->len));
    default:
        if (b->len == 0) return mk_bool(true);
        for (uint32_t i = 0; i + b->len <= a->len; i++)
            if (memcmp(a->u.s + i, b->u.s, b->len) == 0) return mk_bool(true);
        return mk_bool(false);
    }
}

/* Appends a value's text to the vm's text buffer (cut at VT_SBUF). */
static void sb_put(vt_vm *vm, const char *s, size_t n) {
    if (vm->slen + n > VT_SBUF) n = VT_SBUF - vm->slen;
    memcpy(vm->sbuf + vm->slen, s, n);
    vm->slen += n;
}

static void sb_value(vt_vm *vm, const vt_cell *v) {
    char tmp[64];
    int n = 0;
    switch (v->t) {
    case VT_V_TEXT: sb_put(vm, v->u.s, v->len); return;
    case VT_V_BOOL: n = snprintf(tmp, sizeof tmp, "%s", v->u.i ? "true" : "false"); break;
    case VT_V_INT: n = snprintf(tmp, sizeof tmp, "%lld", (long long)v->u.i); break;
    case VT_V_NUMBER: n = snprintf(tmp, sizeof tmp, "%g", v->u.d); break;
    case VT_V_DURATION: n = snprintf(tmp, sizeof tmp, "%llds", (long long)v->u.i); break;
    case VT_V_MONEY: {
        /* an empty sum has no currency: "0.00", not "0.00 " */
        int64_t m = v->u.i;
        uint64_t a = m < 0 ? 0 - (uint64_t)m : (uint64_t)m;
        n = snprintf(tmp, sizeof tmp, "%s%llu.%02llu%s%.3s", m < 0 ? "-" : "", (unsigned long long)(a / 100),
                     (unsigned long long)(a % 100), v->cur[0] ? " " : "", v->cur);
        break;
    }
    case VT_V_TIME: vt_format_utc(v->u.i, tmp); n = 20; break;
    case VT_V_TEAM:
        if (v->u.i >= 0 && (uint64_t)v->u.i < vm->p->nteams) { const char *s = vt_pstr(vm->p, vm->p->teams[v->u.i].name); sb_put(vm, s, strlen(s)); }
        return;
    default: return;
    }
    if (n > 0) sb_put(vm, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static vt_cell payload_cell(vt_vm *vm, uint32_t f) {
    if (!vm->in || f >= vm->in->nvalues || vm->ev < 0) return mk_null();
    return vt_cell_of_value(&vm->in->values[f]);
}

int vt_compare(const vt_cell *a, const vt_cell *b) { return compare(a, b); }
vt_cell vt_payload_cell(vt_vm *vm, uint32_t f) { return payload_cell(vm, f); }
vt_cell vt_text_op(vt_vm *vm, vt_opcode op, const vt_cell *a, const vt_cell *b) { return text_op(vm, op, a, b); }

int vt_cond_slow(vt_vm *vm, int32_t fn) {
    vt_cell out;
    int r = vt_run(vm, vm->p->fns[fn].start, &out);
    if (r == VT_R_ERR) return -1;
    return vt_truthy(&out);
}

int vt_run(vt_vm *vm, uint32_t pc, vt_cell *out) {
    const vt_program *p = vm->p;
    const uint32_t *code = p->code;
    vt_cell *sp = vm->stack;     /* next free cell */
    vm->slen = 0;
#define A code[pc + 1]
#define B code[pc + 2]
#define C code[pc + 3]
#define ADV(op) pc += 1u + VT_NOPS_##op
#define PUSH(v) (*sp++ = (v))
#define ENR() vt_enr(vm, (uint32_t)vm->wf)

#if defined(VT_SWITCH_DISPATCH) || !defined(__GNUC__)
#define DISPATCH() switch (code[pc])
#define CASE(op) case VT_I_##op:
#define NEXT() continue
    for (;;) {
        DISPATCH() {
#else
#define VT_LABEL(name, n, k1, k2, k3, pop, push, syn) &&L_##name,
    static const void *const labels[VT_I_COUNT] = { VT_OPCODES(VT_LABEL) };
#undef VT_LABEL
#define CASE(op) L_##op:
#define NEXT() goto *labels[code[pc]]
    {
        {
            NEXT();
#endif
        CASE(CONST) PUSH(p->kcells[A]); ADV(CONST); NEXT();
        CASE(FIELD) PUSH(vt_slot_read(vm->c, vt_field_slot(vm->c, p, A))); ADV(FIELD); NEXT();
        CASE(PAYLOAD) PUSH(payload_cell(vm, A)); ADV(PAYLOAD); NEXT();
        CASE(EVENT_AT) { vt_cell v = mk_null(); if (vm->in && vm->ev >= 0) { v.t = VT_V_TIME; v.u.i = vm->in->at; } PUSH(v); ADV(EVENT_AT); NEXT(); }
        CASE(NOW) { vt_cell v = mk_null(); v.t = VT_V_TIME; v.u.i = vm->now; v.len = VT_SLOPE_UP; PUSH(v); ADV(NOW); NEXT(); }
        CASE(ID) { vt_cell v = mk_null(); v.t = VT_V_TEXT; v.u.s = vt_contact_id(vm->c); v.len = vt_info(vm->c)->id_len; PUSH(v); ADV(ID); NEXT(); }
        CASE(OWNER) { vt_cell v = mk_null(); int o = vt_info(vm->c)->owner; if (o >= 0) { v.t = VT_V_TEAM; v.u.i = o; } PUSH(v); ADV(OWNER); NEXT(); }
        CASE(CREATED_AT) { vt_cell v = mk_null(); v.t = VT_V_TIME; v.u.i = vt_info(vm->c)->created_at; PUSH(v); ADV(CREATED_AT); NEXT(); }
        CASE(TAGS) { vt_cell v = mk_null(); vt_chdr *h = vt_hdr(vm->c); v.t = VT_C_TAGS; v.u.s = (const char *)vm->c->data + h->tags_off; v.len = h->tags_len; PUSH(v); ADV(TAGS); NEXT(); }
        CASE(HIST) PUSH(vt_hist_read(vm, A)); ADV(HIST); NEXT();
        CASE(HAPPENED) {
            int64_t seq;
            memcpy(&seq, vm->c->data + p->lay.hist_off[A], 8);
            PUSH(mk_bool(vm->wf >= 0 ? seq > ENR()->start_seq : seq > 0));
            ADV(HAPPENED); NEXT();
        }
        CASE(IS) PUSH(mk_bool(vt_lc(vm, A)->state == (int32_t)B)); ADV(IS); NEXT();
        CASE(NOT) { sp[-1] = mk_bool(sp[-1].t == VT_V_BOOL ? !sp[-1].u.i : false); ADV(NOT); NEXT(); }
        CASE(NEG) {
            vt_cell *v = &sp[-1];
            if (v->t == VT_V_NUMBER) v->u.d = -v->u.d;
            else if (v->t == VT_V_INT || v->t == VT_V_MONEY || v->t == VT_V_DURATION) v->u.i = (int64_t)(0 - (uint64_t)v->u.i);
            else *v = mk_null();
            if (v->t == VT_V_DURATION) v->len = vt_slope_code(-vt_slope(v));
            ADV(NEG); NEXT();
        }
#define CLOCKED(op) if (__builtin_expect((sp[-1].len | sp->len) && (vt_slope(&sp[-1]) | vt_slope(sp)), 0)) vt_see_cmp(vm, &sp[-1], sp, VT_I_##op)
        CASE(EQ) { sp--; CLOCKED(EQ); sp[-1] = mk_bool(compare(&sp[-1], sp) == 0); ADV(EQ); NEXT(); }
        CASE(NE) { sp--; CLOCKED(NE); int c = compare(&sp[-1], sp); sp[-1] = mk_bool(c != 0); ADV(NE); NEXT(); }
        CASE(LT) { sp--; CLOCKED(LT); sp[-1] = mk_bool(compare(&sp[-1], sp) == -1); ADV(LT); NEXT(); }
        CASE(LE) { sp--; CLOCKED(LE); int c = compare(&sp[-1], sp); sp[-1] = mk_bool(c == -1 || c == 0); ADV(LE); NEXT(); }
        CASE(GT) {
            sp--;
            if (sp[-1].t == VT_V_INT && sp->t == VT_V_INT) { int64_t l = sp[-1].u.i; sp[-1].t = VT_V_BOOL; sp[-1].u.i = l > sp->u.i; ADV(GT); NEXT(); }
            CLOCKED(GT);
            sp[-1] = mk_bool(compare(&sp[-1], sp) == 1);
            ADV(GT); NEXT();
        }
        CASE(GE) {
            sp--;
            if (sp[-1].t == VT_V_INT && sp->t == VT_V_INT) { int64_t l = sp[-1].u.i; sp[-1].t = VT_V_BOOL; sp[-1].u.i = l >= sp->u.i; ADV(GE); NEXT(); }
            CLOCKED(GE);
            int c = compare(&sp[-1], sp);
            sp[-1] = mk_bool(c == 1 || c == 0);
            ADV(GE); NEXT();
        }
        CASE(ADD) { sp--; sp[-1] = clocked_arith(VT_I_ADD, &sp[-1], sp); ADV(ADD); NEXT(); }
        CASE(SUB) { sp--; sp[-1] = clocked_arith(VT_I_SUB, &sp[-1], sp); ADV(SUB); NEXT(); }
        CASE(MUL) { sp--; sp[-1] = clocked_arith(VT_I_MUL, &sp[-1], sp); ADV(MUL); NEXT(); }
        CASE(DIV) { sp--; sp[-1] = clocked_arith(VT_I_DIV, &sp[-1], sp); ADV(DIV); NEXT(); }
        CASE(CONTAINS) { sp--; sp[-1] = text_op(vm, VT_I_CONTAINS, &sp[-1], sp); ADV(CONTAINS); NEXT(); }
        CASE(STARTS) {
            sp--;
            if (sp[-1].t == VT_V_TEXT && sp->t == VT_V_TEXT) {
                bool r = sp->len <= sp[-1].len && memcmp(sp[-1].u.s, sp->u.s, sp->len) == 0;
                sp[-1].t = VT_V_BOOL;
                sp[-1].u.i = r;
                ADV(STARTS); NEXT();
            }
            sp[-1] = text_op(vm, VT_I_STARTS, &sp[-1], sp);
            ADV(STARTS); NEXT();
        }
        CASE(ENDS) { sp--; sp[-1] = text_op(vm, VT_I_ENDS, &sp[-1], sp); ADV(ENDS); NEXT(); }
        CASE(MATCHES) { sp--; sp[-1] = text_op(vm, VT_I_MATCHES, &sp[-1], sp); ADV(MATCHES); NEXT(); }
        CASE(HAS_TAG) {
            vt_chdr *h = vt_hdr(vm->c);
            bool has = sp[-1].t == VT_V_TEXT && vt_tags_has((const char *)vm->c->data + h->tags_off, h->tags_len, sp[-1].u.s, sp[-1].len);
            sp[-1] = mk_bool(has);
            ADV(HAS_TAG); NEXT();
        }
        CASE(IN) {
            uint32_t n = A;
            vt_cell *base = sp - n - 1;
            bool found = false;
            for (uint32_t i = 0; i < n && !found; i++) found = compare(base, &base[1 + i]) == 0;
            sp = base;
            PUSH(mk_bool(found));
            ADV(IN); NEXT();
        }
        CASE(CONCAT) {
            uint32_t n = A;
            vt_cell *base = sp - n;
            size_t start = vm->slen;
            for (uint32_t i = 0; i < n; i++) sb_value(vm, &base[i]);
            sp = base;
            vt_cell v = mk_null();
            v.t = VT_V_TEXT;
            v.u.s = vm->sbuf + start;
            v.len = (uint32_t)(vm->slen - start);
            PUSH(v);
            ADV(CONCAT); NEXT();
        }
        CASE(JMP) pc = A; NEXT();
        CASE(JFALSE) { sp--; if (!vt_truthy(sp)) pc = A; else ADV(JFALSE); NEXT(); }
        CASE(JFALSE_KEEP) { if (!vt_truthy(&sp[-1])) pc = A; else { sp--; ADV(JFALSE_KEEP); } NEXT(); }
        CASE(JTRUE_KEEP) { if (vt_truthy(&sp[-1])) pc = A; else { sp--; ADV(JTRUE_KEEP); } NEXT(); }
        CASE(RET) { *out = sp[-1]; return VT_R_RET; }
        CASE(END) return VT_R_END;
        CASE(SET) {
            sp--;
            if (vt_slot_write(vm->c, p->lay.fields + A * (uint32_t)sizeof(vt_slot), sp) != 0) return vt_fail(vm, "out of memory"), VT_R_ERR;
            ADV(SET); NEXT();
        }
        CASE(ADDTO)
        CASE(SUBFROM) {
            sp--;
            {   /* the common case, `score += 5`: an int field plus an int, in place */
                vt_slot *f = vt_field_slot(vm->c, p, A);
                if (f->t == VT_V_INT && sp->t == VT_V_INT && !p->fields[A].has_range) {
                    uint64_t x = (uint64_t)f->v, y = (uint64_t)sp->u.i;
                    f->v = (int64_t)(code[pc] == VT_I_ADDTO ? x + y : x - y);
                    pc += 2; NEXT();
                }
            }
            vt_cell cur = vt_slot_read(vm->c, vt_field_slot(vm->c, p, A));
            vt_cell r;
            if (cur.t == VT_V_NULL) {
                r = *sp;
                if (code[pc] == VT_I_SUBFROM) { vt_cell z = r; z.u.i = 0; z.u.d = 0; if (r.t == VT_V_NUMBER) z.u.d = 0; r = arith(VT_I_SUB, &z, sp); }
            } else {
                r = arith(code[pc] == VT_I_ADDTO ? VT_I_ADD : VT_I_SUB, &cur, sp);
            }
            if (r.t == VT_V_INT && p->fields[A].has_range) {
                if (r.u.i < p->fields[A].lo) r.u.i = p->fields[A].lo;
                if (r.u.i > p->fields[A].hi) r.u.i = p->fields[A].hi;
            }
            if (vt_slot_write(vm->c, p->lay.fields + A * (uint32_t)sizeof(vt_slot), &r) != 0) return vt_fail(vm, "out of memory"), VT_R_ERR;
            pc += 2; NEXT();
        }
        CASE(TAG) { sp--; if (sp->t == VT_V_TEXT && vt_tags_edit(vm->c, sp->u.s, sp->len, true) != 0) return vt_fail(vm, "too many tags on contact"), VT_R_ERR; ADV(TAG); NEXT(); }
        CASE(UNTAG) { sp--; if (sp->t == VT_V_TEXT && vt_tags_edit(vm->c, sp->u.s, sp->len, false) != 0) return vt_fail(vm, "out of memory"), VT_R_ERR; ADV(UNTAG); NEXT(); }
        CASE(ASSIGN) {
            if (vt_info(vm->c)->owner != (int32_t)A) {
                vt_info(vm->c)->owner = (int32_t)A;
                if (vt_emit_audit(vm, VT_AU_OWNER, (int)A, 0, 0, 0) != 0) return VT_R_ERR;
            }
            ADV(ASSIGN); NEXT();
        }
        CASE(MOVE) { if (vt_enter_state(vm, A, B, -1) != 0) return VT_R_ERR; ADV(MOVE); NEXT(); }
        CASE(SEND) {
            sp--;
            int suspended = 0;
            if (vt_step_send(vm, A, B, C, sp, &suspended) != 0) return VT_R_ERR;
            if (suspended) { ENR()->pc = C; return VT_R_SUSPEND; }
            ADV(SEND); NEXT();
        }
        CASE(TASK) {
            sp -= 2;
            int64_t due = sp[1].t == VT_V_DURATION && sp[1].u.i > 0 ? vt_tadd(vm->now, sp[1].u.i) : 0;
            if (vt_step_action(vm, VT_ACT_TASK, A, B, &sp[0], due) != 0) return VT_R_ERR;
            vm->slen = 0;
            ADV(TASK); NEXT();
        }
        CASE(NOTIFY) { sp--; if (vt_step_action(vm, VT_ACT_NOTIFY, A, B, sp, 0) != 0) return VT_R_ERR; vm->slen = 0; ADV(NOTIFY); NEXT(); }
        CASE(ESCALATE) { sp--; if (vt_step_action(vm, VT_ACT_ESCALATE, VT_NONE, A, sp, 0) != 0) return VT_R_ERR; vm->slen = 0; ADV(ESCALATE); NEXT(); }
        CASE(WAIT) {
            sp--;
            int64_t d = sp->t == VT_V_DURATION || sp->t == VT_V_INT ? sp->u.i : 0;
            ADV(WAIT);
            if (d > 0) {
                vt_enroll *e = ENR();
                e->mode = VT_EM_WAIT;
                e->deadline = vt_tadd(vm->now, d);
                e->pc = pc;
                return VT_R_SUSPEND;
            }
            NEXT();
        }
        CASE(WAIT_UNTIL) {
            sp -= 2;
            vt_enroll *e = ENR();
            if (e->mode != VT_EM_UNTIL) {
                e->mode = VT_EM_UNTIL;
                e->deadline = vt_tadd(vm->now, sp[0].t == VT_V_DURATION || sp[0].t == VT_V_INT ? sp[0].u.i : 0);
            }
            if (vt_truthy(&sp[1])) { e->mode = VT_EM_RUN; ADV(WAIT_UNTIL); NEXT(); }
            if (vm->now >= e->deadline) { e->mode = VT_EM_RUN; pc = B; NEXT(); }
            e->pc = A;
            return VT_R_SUSPEND;
        }
        CASE(REP_INIT) { vt_reps(vm, (uint32_t)vm->wf)[A] = 0; ADV(REP_INIT); NEXT(); }
        CASE(REP_NEXT) {
            int32_t *rep = vt_reps(vm, (uint32_t)vm->wf);
            if ((uint32_t)++rep[A] < B) {
                /* The only backward jump: a budget stops a hostile program's endless loop. */
                if (++vm->loops > VT_LOOP_BUDGET) return vt_fail(vm, "a workflow looped more than %d times in one instant", VT_LOOP_BUDGET), VT_R_ERR;
                pc = C;
            } else ADV(REP_NEXT);
            NEXT();
        }
        CASE(SPLIT_GE) { if (vt_split_bucket(vm) >= A) pc = B; else ADV(SPLIT_GE); NEXT(); }
        CASE(STOP) return VT_R_STOP;
        CASE(DONE) return VT_R_DONE;
        CASE(CALL_EXTERN) {     /* native.c: libffi, text copied in and out */
            sp -= A;
            if (vt_native_call(vm, B, sp, sp) != 0) return VT_R_ERR;
            sp++;
            ADV(CALL_EXTERN); NEXT();
        }
        }
    }
    return VT_R_ERR;
#undef A
#undef B
#undef C
}

vt_vm *vt_vm_new(const vt_program *p) {
    if (!p) return NULL;
    vt_vm *vm = vt_calloc(1, sizeof *vm);
    if (!vm) return NULL;
    vm->p = p;
    vm->wf = -1;
    vm->audit_kinds = ~0u;
    size_t ns = p->nstates + 1;
    vm->entered = vt_calloc(ns, sizeof *vm->entered);
    vm->visited = vt_calloc(ns, sizeof *vm->visited);
    vm->fired = vt_calloc(p->nwfs + 1, 1);
    vm->rose = vt_calloc(p->ntruths + 1, 1);
    if (!vm->entered || !vm->visited || !vm->fired || !vm->rose || vt_fast_build(vm) != 0 ||
        vt_deps_build(vm) != 0 || vt_dispatch_build(vm) != 0) { vt_vm_free(vm); return NULL; }
    return vm;
}

void vt_vm_free(vt_vm *vm) {
    if (!vm) return;
    vt_free(vm->entered);
    vt_free(vm->visited);
    vt_free(vm->fired);
    vt_free(vm->rose);
    vt_free(vm->fast);
    vt_free(vm->timed);
    vt_free(vm->tmust);
    vt_dispatch_free(vm);
    vt_free(vm->nbuf);
    vt_free(vm);
}

const char *vt_vm_error(const vt_vm *vm) { return vm ? vm->err : "no vm"; }
void vt_vm_audit_kinds(vt_vm *vm, uint32_t kinds) { if (vm) vm->audit_kinds = kinds ? kinds : ~0u; }
