/* The VM's private structures: stack cells, the contact buffer's layout, the vm. */
#ifndef VT_VM_INTERNAL_H
#define VT_VM_INTERNAL_H
#include "opcodes.h"
#include "program.h"
#include <string.h>

/* A value on the VM stack. Text points into a constant, the contact buffer, the
 * input or the vm's text buffer, valid until the statement that uses it ends. */
typedef struct vt_cell {
    uint8_t t;              /* vt_vtype, or VT_C_TAGS */
    char cur[3];            /* money currency, not NUL-terminated */
    uint32_t len;           /* text length */
    union { int64_t i; double d; const char *s; } u;
} vt_cell;
#define VT_C_TAGS 100       /* the built-in tag set (u.s: "\x1f"-separated) */

/* A stored value inside the contact buffer: text as an offset into the buffer. */
typedef struct vt_slot { uint8_t t; char cur[3]; uint32_t len; int64_t v; } vt_slot;

/* The contact buffer starts with this header: what every instant reads or writes, so
 * that it shares a cache line with the start of the program's layout (lifecycle states,
 * truth wake-ups: the fixed part, docs/vm.md). The fixed part ends with a vt_cinfo;
 * then comes a tail of text bytes. All offsets are multiples of 8. */
typedef struct vt_chdr {
    int64_t clock, next_wake, seq;
    uint32_t dead, fixed_len;           /* dead: tail bytes no longer referenced */
    uint32_t tags_off, tags_len;
} vt_chdr;
/* The last bytes of the fixed part: what only some instants read. */
typedef struct vt_cinfo {
    uint32_t magic, sig;
    int64_t created_at;
    int32_t owner;
    uint32_t id_off, id_len;            /* id is NUL-terminated */
    uint32_t lcs_off, fields_off, nfields;   /* so readers without the program find them */
} vt_cinfo;
#define VT_CONTACT_MAGIC 0x54434256u  /* "VBCT" */
/* Part of every layout's signature: bumped when the layout changes in a way the
 * shape alone does not show, so older blobs are refused rather than misread. */
#define VT_LAYOUT_VERSION 4u

typedef struct vt_lcst { int32_t state, pad; int64_t entered; } vt_lcst;

enum { VT_EM_RUN, VT_EM_WAIT, VT_EM_UNTIL, VT_EM_DELAYED };
typedef struct vt_enroll {
    uint8_t active, mode, pad[2];
    uint32_t pc, count, pad2;
    int64_t start, deadline, start_seq;
} vt_enroll;   /* its repeat counters sit apart, only as many as the workflow has (vt_reps) */

/* Cap history of a channel: the last `cap` emitted sends, oldest first. */
typedef struct vt_ring { uint32_t head, n; } vt_ring;
/* An exact window (windowed sum/min/max/avg, and counts without a `>= k`): every
 * matching entry still inside the window, in an 8-aligned array of `cap` entries at
 * byte `off` of the contact's tail (arrival order). It doubles when full after entries
 * older than the window are dropped, up to VT_WINDOW_MAX entries. */
typedef struct vt_gring { uint32_t off, cap, n, pad; } vt_gring;
#define VT_WINDOW_MAX 65536

#define VT_SBUF 65536

/* Fast paths (vm_fast.c) for the commonest function shapes, recognised when the vm is
 * made: a condition that is one to VT_FAST_TERMS terms `SRC CONST CMP` joined by
 * JTRUE_KEEP/JFALSE_KEEP to its RET, and a rule `[term JFALSE] CONST k ADDTO|SUBFROM f END`.
 * They read the same values in the same order as vt_run, so results and wake-ups agree. */
#define VT_FAST_TERMS 4
enum { VT_FK_NONE, VT_FK_COND, VT_FK_ADD };
#define VT_FSRC_COUNT 0xFF   /* vt_fterm.src: a HIST that is a count (read as an int) */
#define VT_FSRC_RING 0xFE    /* `count(... within D) >= K` kept in a ring of `ring` timestamps at
                                byte `off` of the contact: counted in place (vt_ring_count) */
/* vt_fterm.how: which inline case of vt_term takes the term, decided when the vm is made */
enum { VT_FT_SLOW, VT_FT_RING, VT_FT_PREFIX, VT_FT_FIELD_INT };
typedef struct vt_fterm {
    uint8_t src, cmp, conn;
    uint8_t how;             /* VT_FT_* */
    uint8_t holds;           /* bit (c + 1): the comparison holds when its sides' order is c (vt_holds) */
    uint32_t a;
    const vt_cell *k;
    uint32_t off, ring;      /* VT_FSRC_RING only */
    int64_t within;
} vt_fterm;
typedef struct vt_fastfn {
    uint8_t kind, n;
    uint32_t field, pc;     /* pc: the function's code, for vt_run when the fast path does not apply */
    int64_t add;
    vt_fterm t[VT_FAST_TERMS];
} vt_fastfn;
#define VT_LOOP_BUDGET 10000000   /* interpolated text of one statement; longer texts are cut */

/* Lists by (row, instant slot), flat (vm_dispatch.c). */
typedef struct vt_dlist { uint32_t *start, *items; } vt_dlist;
#define VT_DISPATCH_SLOTS(p) ((p)->nevents + 2)
/* A transition as settling reads it (vm_dispatch.c), one per item of vm->se_trans: what
 * decides whether it is taken, without the program's tables. The list of a slot holds
 * only `on` transitions of its own event, so their event needs no test (VT_SK_COND). */
enum { VT_SK_NEVER, VT_SK_COND, VT_SK_TRUTH, VT_SK_AFTER };
typedef struct vt_strans {
    uint8_t kind;           /* VT_SK_*: COND `when` or `on` the slot's event, TRUTH `on` a truth's rise */
    uint32_t to;            /* the target, as a global state */
    int32_t fn;             /* its condition, -1 none */
    uint32_t truth;         /* VT_SK_TRUTH: which */
    int32_t trans;          /* its index in p->trans (audit records) */
    int64_t dur;            /* VT_SK_AFTER */
} vt_strans;

struct vt_vm {
    const vt_program *p;
    vt_cell stack[VT_MAX_STACK];
    char sbuf[VT_SBUF];
    size_t slen;
    char err[512];
    /* the instant being processed */
    vt_contact *c;
    const vt_input *in;
    const vt_sink *sink;
    int64_t now, horizon;
    int ev;                 /* event index, VT_EV_CREATED, or VT_EV_NONE */
    uint8_t *phases;        /* per dispatch slot: VT_PH_* bits, the phases it has work for */
    int wf;                 /* workflow whose steps run, -1 none */
    int aborted;
    long loops;             /* REP_NEXT back-jumps this instant (VT_LOOP_BUDGET) */
    char tbuf[VT_SBUF + 1]; /* NUL-terminated text handed to the sink */
    uint32_t *entered;      /* per global state: == gen when entered at this instant (if entered_any) */
    uint32_t *visited;      /* per global state: == vgen when visited while settling */
    uint32_t gen, vgen;     /* generations instead of clearing the arrays (gen: a new one when an
                               instant enters its first state) */
    uint8_t *fired;         /* per workflow: enroll trigger fired */
    uint8_t *rose;          /* per truth: became true at this instant (valid once truths_done) */
    char *nbuf;             /* NUL-terminated text arguments of native calls (native.c); grows, */
    size_t ncap;            /*   never shrinks, so a call does not allocate */
    vt_fastfn *fast;        /* per function (vm_fast.c) */
    uint8_t *timed;         /* per global state: 1 when an `after` transition leaves it */
    uint32_t audit_kinds;   /* vt_vm_audit_kinds, with 0 (all) as ~0u */
    vt_dlist se_trans;      /* per (global state, slot): the transitions that can fire */
    vt_strans *se_tr;       /*   and each of them as settling reads it (parallel to se_trans.items) */
    const vt_fastfn **rule_fns;     /* per slot: its `on` rules in order, from rule_start[slot] */
    uint32_t *rule_start;           /*   to rule_start[slot + 1] */
    vt_dlist wf_trigs;      /* per (workflow, slot): the enroll triggers that can fire */
    uint32_t slot;          /* the instant's slot in those lists (vt_dispatch_slot) */
    uint8_t *wf_skip;       /* per (workflow, slot): 2 no trigger can fire, 1 only `on enter` ones */
    bool entered_any;       /* a state was entered at this instant (then `entered` is of vm->gen) */
    bool truths_done;       /* step (3) of the instant has run */
    bool any_timed, any_calendar;   /* so scheduling skips what the flow does not have */
    uint8_t *tmust;         /* [truth slot][truth] (vm_deps.c): 1 when an instant of that kind
                               must evaluate the truth even before its wake-up is due */
    uint32_t tslot;         /* the instant's row in tmust (vt_truth_slot) */
    uint32_t amask;         /* the audit kinds the instant's sink takes (bit 1u << kind), 0 none */
};
enum { VT_PH_HIST = 1, VT_PH_RULES = 2 };
#define VT_EV_NONE (-3)
#define VT_EV_CONTACT (-4)

static inline vt_chdr *vt_hdr(vt_contact *c) { return (vt_chdr *)c->data; }
/* (fixed_len is checked against the program's when a blob is restored) */
static inline vt_cinfo *vt_info(vt_contact *c) { return (vt_cinfo *)(c->data + vt_hdr(c)->fixed_len - sizeof(vt_cinfo)); }
static inline void *vt_at(vt_contact *c, uint32_t off) { return c->data + off; }
static inline vt_enroll *vt_enr(vt_vm *vm, uint32_t wf) {
    return (vt_enroll *)vt_at(vm->c, vm->p->lay.enrolls + wf * (uint32_t)sizeof(vt_enroll));
}
static inline int32_t *vt_reps(vt_vm *vm, uint32_t wf) { return (int32_t *)vt_at(vm->c, vm->p->lay.rep_off[wf]); }
static inline vt_lcst *vt_lc(vt_vm *vm, uint32_t lc) {
    return (vt_lcst *)vt_at(vm->c, vm->p->lay.lcs + lc * (uint32_t)sizeof(vt_lcst));
}
static inline vt_slot *vt_field_slot(vt_contact *c, const vt_program *p, uint32_t f) {
    return (vt_slot *)vt_at(c, p->lay.fields + f * (uint32_t)sizeof(vt_slot));
}
/* Does text s (of at least n bytes) start with the n bytes of k? Inline word compares
 * for the short prefixes conditions use (`url starts with "/pricing"`), not a call. */
static inline bool vt_prefix_eq(const char *s, const char *k, uint32_t n) {
    uint64_t a, b, c, d;
    if (n >= 8 && n <= 16) {    /* two 8-byte words, overlapping when n < 16 */
        memcpy(&a, s, 8); memcpy(&b, k, 8); memcpy(&c, s + n - 8, 8); memcpy(&d, k + n - 8, 8);
        return ((a ^ b) | (c ^ d)) == 0;
    }
    if (n >= 4 && n < 8) {
        uint32_t w, x, y, z;
        memcpy(&w, s, 4); memcpy(&x, k, 4); memcpy(&y, s + n - 4, 4); memcpy(&z, k + n - 4, 4);
        return ((w ^ x) | (y ^ z)) == 0;
    }
    return memcmp(s, k, n) == 0;
}
/* An input value (an event's payload field, a contact record's field) as a VM value. */
static inline vt_cell vt_cell_of_value(const vt_value *x) {
    vt_cell v;
    memset(&v, 0, sizeof v);
    v.t = x->type;
    memcpy(v.cur, x->currency, 3);
    if (x->type == VT_V_TEXT) { v.u.s = x->u.s.p; v.len = x->u.s.len; }
    else if (x->type == VT_V_NUMBER) v.u.d = x->u.d;
    else if (x->type == VT_V_BOOL) v.u.i = x->u.b;
    else v.u.i = x->u.i;
    return v;
}
/* Time arithmetic saturates: a huge duration or a damaged blob never overflows. */
static inline int64_t vt_tadd(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}
static inline int64_t vt_tsub(int64_t a, int64_t b) {
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r)) return b < 0 ? INT64_MAX : INT64_MIN;
    return r;
}
static inline void vt_see(vt_vm *vm, int64_t t) {
    if (t > vm->now && t < vm->horizon) vm->horizon = t;
}
/* A time or duration that moves with the clock (`now`, `since(E)`, `now - T`, ...)
 * carries its rate against `now` in the otherwise unused `len` of its cell: 1 for
 * +now, 2 for -now, 0 for a fixed value. Comparisons of such values report the next
 * instant their result can change (vt_see_cmp), so they schedule wake-ups. */
#define VT_SLOPE_UP 1u
#define VT_SLOPE_DOWN 2u
static inline int vt_slope(const vt_cell *c) {
    if (c->t != VT_V_TIME && c->t != VT_V_DURATION) return 0;
    return c->len == VT_SLOPE_UP ? 1 : c->len == VT_SLOPE_DOWN ? -1 : 0;
}
static inline uint32_t vt_slope_code(int s) { return s == 1 ? VT_SLOPE_UP : s == -1 ? VT_SLOPE_DOWN : 0; }
/* Called for `l OP r` (OP one of EQ NE LT LE GT GE) when either side moves with the
 * clock. */
void vt_see_cmp(vt_vm *vm, const vt_cell *l, const vt_cell *r, uint32_t op);

/* contact_state.c */
int vt_layout_build(vt_program *p);
vt_cell vt_slot_read(const vt_contact *c, const vt_slot *s);
/* Stores a cell into the slot at byte offset `off` (text is appended to the tail). */
int vt_slot_write(vt_contact *c, uint32_t off, const vt_cell *v);
int vt_contact_compact(const vt_program *p, vt_contact *c);
/* Appends `len` zero bytes at an 8-aligned offset of the tail (the buffer may move);
 * returns the offset or UINT32_MAX when memory ran out. */
uint32_t vt_tail_alloc(vt_contact *c, uint32_t len);
int vt_tags_edit(vt_contact *c, const char *tag, uint32_t len, bool add);
bool vt_tags_has(const char *tags, uint32_t tlen, const char *tag, uint32_t len);

/* accum.c */
uint32_t vt_hist_size(const vt_phist *h);
/* Windowed accumulators kept exactly in a vt_gring (all but `count >= k` rings). The
 * compiler gives a windowed count its k from `>= k` (else VT_RING_DEFAULT), capped at
 * VT_RING_MAX, and other windows VT_RING_DEFAULT; only a count whose k is its true
 * threshold is exact with k entries. A count compared `>= 64` or `>= 1024` is kept
 * exactly too (correct, only larger); `>= 5000` needs it. */
static inline bool vt_hist_growable(const vt_phist *h) {
    if (h->k <= 0) return false;
    if (h->kind == VT_H_COUNT) return h->k == VT_RING_DEFAULT || h->k == VT_RING_MAX;
    return h->kind == VT_H_SUM || h->kind == VT_H_MIN || h->kind == VT_H_MAX || h->kind == VT_H_AVG;
}
/* The size of one entry of a vt_gring. */
uint32_t vt_hist_entry_size(const vt_phist *h);
void vt_hist_init(const vt_program *p, vt_contact *c);
int vt_hist_feed_value(vt_vm *vm, uint32_t i, int64_t at);
vt_cell vt_hist_read(vt_vm *vm, uint32_t h);
/* The value of a count accumulator, exactly as vt_hist_read's (an int). */
int64_t vt_hist_count(vt_vm *vm, uint32_t h);
/* A `count >= k` ring (a vt_ring then `k` timestamps at `a`): the entries still inside
 * the window at `now`, and the first instant one leaves (the earliest entry's, which with
 * late inputs need not be the first to arrive). The first n slots are its entries,
 * whatever their order, so no index arithmetic. */
static inline int64_t vt_ring_count(int64_t now, const uint8_t *a, uint32_t k, int64_t within, int64_t *leaves) {
    const vt_ring *r = (const vt_ring *)a;
    const int64_t *ts = (const int64_t *)(a + sizeof *r);
    uint32_t rn = r->n <= k ? r->n : k;
    int64_t lo = vt_tsub(now, within), n = 0, first = INT64_MAX;
    for (uint32_t j = 0; j < rn; j++) {
        int64_t x = ts[j];
        if (x <= lo) continue;
        if (x < first) first = x;
        n++;
    }
    *leaves = n ? vt_tadd(first, within) : INT64_MAX;
    return n;
}
/* `count >= k`, reporting a wake-up only when the result can change with time. */
bool vt_hist_count_ge(vt_vm *vm, uint32_t h, int64_t k);

/* A count compared `>= k` keeps the k latest timestamps it has seen (in any order, in
 * the first n slots): `count >= k` holds exactly when all k are inside the window. A
 * late input replaces the earliest only when it is later, and one already outside the
 * window is never kept (time only moves on, so it can never count again). */
static inline void vt_ring_keep(vt_ring *r, int64_t *ts, uint32_t k, int64_t at, int64_t lo) {
    if (at <= lo) return;
    if (r->n > k) r->n = k;
    if (r->n < k) { ts[r->n++] = at; return; }
    uint32_t min = 0;
    for (uint32_t j = 1; j < k; j++)
        if (ts[j] < ts[min]) min = j;
    if (at > ts[min]) ts[min] = at;
}

/* vm.c */
enum { VT_R_RET, VT_R_END, VT_R_SUSPEND, VT_R_DONE, VT_R_STOP, VT_R_ERR };
/* Runs code from pc until RET/END/DONE/STOP or a suspension; *out gets RET's value. */
int vt_run(vt_vm *vm, uint32_t pc, vt_cell *out);
/* A condition function through the interpreter: 1 true, 0 false/null, -1 error. */
int vt_cond_slow(vt_vm *vm, int32_t fn);
bool vt_truthy(const vt_cell *v);
/* vm_fast.c: builds vm->fast; evaluates a fast condition out of line; any term the
 * inline vt_term below does not take. */
int vt_fast_build(vt_vm *vm);
int vt_cond_fast(vt_vm *vm, const vt_fastfn *f);
bool vt_term_slow(vt_vm *vm, const vt_fterm *t);
int vt_compare(const vt_cell *a, const vt_cell *b);
vt_cell vt_payload_cell(vt_vm *vm, uint32_t f);
vt_cell vt_text_op(vt_vm *vm, vt_opcode op, const vt_cell *a, const vt_cell *b);

/* The result of comparison `cmp` (EQ..GE) given the order c (-1, 0, 1) of its sides. */
static inline bool vt_holds(uint32_t cmp, int c) {
    switch (cmp) {
    case VT_I_EQ: return c == 0;
    case VT_I_NE: return c != 0;
    case VT_I_LT: return c == -1;
    case VT_I_LE: return c == -1 || c == 0;
    case VT_I_GT: return c == 1;
    default: return c == 1 || c == 0;   /* GE */
    }
}
/* One term of a fast function. The commonest in place (a count ring against its
 * threshold, a payload text's prefix, an integer field against an integer), the rest
 * by vt_term_slow, which reads them as VM values as the interpreter would. Inline (with
 * the two below) where an instant needs them every time, so they cost no call. */
static inline __attribute__((always_inline)) bool vt_term(vt_vm *vm, const vt_fterm *t) {
    const vt_cell *k = t->k;
    switch (t->how) {
    case VT_FT_RING: {  /* as vt_hist_count_ge: a wake-up only while it holds */
        int64_t leaves;
        if (vt_ring_count(vm->now, vm->c->data + t->off, t->ring, t->within, &leaves) < k->u.i) return false;
        vt_see(vm, leaves);
        return true;
    }
    case VT_FT_PREFIX: {    /* `url starts with "..."`: anything but a text (absent, null) does not start with it */
        const vt_input *in = vm->in;
        if (!in || t->a >= in->nvalues || vm->ev < 0 || in->values[t->a].type != VT_V_TEXT) return false;
        const vt_value *x = &in->values[t->a];
        return k->len <= x->u.s.len && vt_prefix_eq(x->u.s.p, k->u.s, k->len);
    }
    case VT_FT_FIELD_INT: {     /* `score >= 40`, while the field holds an integer */
        const vt_slot *fs = vt_field_slot(vm->c, vm->p, t->a);
        if (fs->t == VT_V_INT) return (t->holds >> (1 + (fs->v > k->u.i) - (fs->v < k->u.i))) & 1;
        break;
    }
    default: break;
    }
    return vt_term_slow(vm, t);
}
/* A fast condition: its terms with the bytecode's short-circuit. */
static inline __attribute__((always_inline)) int vt_cond_fast_inline(vt_vm *vm, const vt_fastfn *f) {
    for (uint32_t i = 0;; i++) {
        bool v = vt_term(vm, &f->t[i]);
        if (i + 1 == f->n) return v;
        if (f->t[i].conn == VT_I_JTRUE_KEEP ? v : !v) return v;
    }
}
/* A fast rule: 0 done, -2 not applicable now (the field is not an integer), so run it
 * with vt_run. */
static inline __attribute__((always_inline)) int vt_rule_fast(vt_vm *vm, const vt_fastfn *f) {
    vt_slot *s = vt_field_slot(vm->c, vm->p, f->field);
    if (s->t != VT_V_INT) return -2;    /* null or another kind: the general ADDTO */
    if (f->n && !vt_term(vm, &f->t[0])) return 0;
    s = vt_field_slot(vm->c, vm->p, f->field);
    s->v = (int64_t)((uint64_t)s->v + (uint64_t)f->add);
    return 0;
}
/* A condition function: 1 true, 0 false/null, -1 error. vt_cond calls the fast path,
 * vt_cond_hot has it inline (for the few places every instant goes through). */
static inline int vt_cond(vt_vm *vm, int32_t fn) {
    if (fn < 0) return 1;
    if (vm->fast[fn].kind == VT_FK_COND) return vt_cond_fast(vm, &vm->fast[fn]);
    return vt_cond_slow(vm, fn);
}
static inline __attribute__((always_inline)) int vt_cond_hot(vt_vm *vm, int32_t fn) {
    if (fn < 0) return 1;
    if (vm->fast[fn].kind == VT_FK_COND) return vt_cond_fast_inline(vm, &vm->fast[fn]);
    return vt_cond_slow(vm, fn);
}
int vt_fail(vt_vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* vm_deps.c: builds vm->tmust; the row of an instant in it: its event index, then
 * `created`, a contact record, a wake-up. */
int vt_deps_build(vt_vm *vm);
static inline uint32_t vt_truth_slot(const vt_program *p, int ev) {
    return ev >= 0 ? (uint32_t)ev : ev == VT_EV_CREATED ? p->nevents : ev == VT_EV_CONTACT ? p->nevents + 1 : p->nevents + 2;
}
#define VT_TRUTH_SLOTS(p) ((p)->nevents + 3)
/* vm_dispatch.c: builds and frees vm->se_trans and vm->wf_trigs; the slot of an
 * instant in them: its event index, then `created`, then anything else. */
int vt_dispatch_build(vt_vm *vm);
void vt_dispatch_free(vt_vm *vm);
static inline uint32_t vt_dispatch_slot(const vt_program *p, int ev) {
    return ev >= 0 ? (uint32_t)ev : ev == VT_EV_CREATED ? p->nevents : p->nevents + 1;
}
/* The list of row r for slot s: *n items from the returned pointer. */
static inline const uint32_t *vt_dlist_at(const vt_dlist *d, uint32_t ns, uint32_t r, uint32_t s, uint32_t *n) {
    size_t k = (size_t)r * ns + s;
    *n = d->start[k + 1] - d->start[k];
    return d->items + d->start[k];
}

/* vm_steps.c: the side effects of steps */
int vt_step_send(vt_vm *vm, uint32_t ch, uint32_t step, uint32_t resume, const vt_cell *tmpl, int *suspended);
int vt_step_action(vt_vm *vm, int kind, uint32_t team, uint32_t step, const vt_cell *text, int64_t due);
int vt_enter_state(vt_vm *vm, uint32_t lc, uint32_t st, int32_t trans);
int vt_emit_audit_to_sink(vt_vm *vm, int kind, int a, int b, int c, int d);
/* Inline, so a record nobody wants (no audit sink, or a kind outside
 * vt_vm_audit_kinds) costs a bit test (vm->amask, set once per instant), not a call. */
static inline int vt_emit_audit(vt_vm *vm, int kind, int a, int b, int c, int d) {
    if (!(vm->amask & (1u << kind))) return 0;
    return vt_emit_audit_to_sink(vm, kind, a, b, c, d);
}
uint32_t vt_split_bucket(vt_vm *vm);

/* send_time.c */
int64_t vt_next_allowed(const vt_program *p, const vt_pchan *ch, int64_t t);
int64_t vt_calendar_next(const vt_program *p, const vt_ptrig *t, int64_t after);

#endif
