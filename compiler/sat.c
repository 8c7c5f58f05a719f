/* The satisfiability engine (see sat.h): conditions compiled to formulas over abstract
 * variables, decided by a case-splitting search over per-variable domains. */
#include "sat.h"
#include "canon.h"
#include "../common/mem.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_STATES = 256, MAX_EXPAND = 16, SEARCH_BUDGET = 20000 };
enum { EQ_MAX = 16, NE_MAX = 8, EXCL_MAX = 8, NPRE_MAX = 4 };

typedef enum { VK_BOOL, VK_NUM, VK_TEXT, VK_STATE } var_kind;

typedef struct var_info {
    const char *key;            /* canonical text of the term */
    var_kind kind;
    int integral;               /* int fields and counts */
    double lo, hi;              /* the declared or natural range */
    int nstates;                /* VK_STATE */
    const char *count_event;    /* a count of this event with no `where` */
    /* Counts of one event (and one `where`) over nested windows are ordered: fewer in
     * 7 days than in 60. cnt_event is NULL when the variable is no such count. */
    const char *cnt_event, *cnt_where;
    double cnt_window;          /* seconds; INFINITY for no window */
} var_info;

typedef enum { F_TRUE, F_FALSE, F_AND, F_OR, F_NOT, F_ATOM, F_FACTS } fm_kind;
typedef enum { A_BOOL, A_CMP, A_TEXT_IN, A_PREFIX, A_STATE_IN } atom_kind;

struct vt_fm {
    fm_kind k;
    vt_fm *a, *b;
    int var;
    atom_kind ak;
    vt_binop op;
    double val;
    const char **strs;
    uint32_t nstrs;
    uint64_t bits[MAX_STATES / 64];
};

struct vt_sat {
    vt_unit *u;
    vt_arena arena;
    var_info *vars;
    size_t nvars, cap;
    int32_t *hash;              /* open addressing over vars by key; -1 empty */
    size_t hcap;
    int failed;
    const vt_decl *expanding[MAX_EXPAND];
    int nexp;
    long budget;
    vt_fm *t, *f;
};

/* ---- construction -------------------------------------------------------------- */

vt_sat *vt_sat_new(vt_unit *u) {
    vt_sat *s = vt_calloc(1, sizeof *s);
    if (!s) return NULL;
    s->u = u;
    vt_arena_init(&s->arena);
    s->t = vt_arena_alloc(&s->arena, sizeof *s->t);
    s->f = vt_arena_alloc(&s->arena, sizeof *s->f);
    if (!s->t || !s->f) { vt_sat_free(s); return NULL; }
    s->t->k = F_TRUE;
    s->f->k = F_FALSE;
    return s;
}

void vt_sat_free(vt_sat *s) {
    if (!s) return;
    vt_arena_free(&s->arena);
    vt_free(s->vars);
    vt_free(s->hash);
    vt_free(s);
}

int vt_sat_failed(const vt_sat *s) { return s->failed || s->arena.failed; }

static vt_fm *mk(vt_sat *s, fm_kind k) {
    vt_fm *f = vt_arena_alloc(&s->arena, sizeof *f);
    if (!f) { s->failed = 1; return s->t; }
    f->k = k;
    return f;
}

vt_fm *vt_sat_true(vt_sat *s) { return s->t; }

vt_fm *vt_sat_and(vt_sat *s, vt_fm *a, vt_fm *b) {
    if (a->k == F_TRUE) return b;
    if (b->k == F_TRUE) return a;
    if (a->k == F_FALSE || b->k == F_FALSE) return s->f;
    vt_fm *f = mk(s, F_AND);
    if (f == s->t) return f;
    f->a = a;
    f->b = b;
    return f;
}

vt_fm *vt_sat_or(vt_sat *s, vt_fm *a, vt_fm *b) {
    if (a->k == F_FALSE) return b;
    if (b->k == F_FALSE) return a;
    if (a->k == F_TRUE || b->k == F_TRUE) return s->t;
    vt_fm *f = mk(s, F_OR);
    if (f == s->t) return f;
    f->a = a;
    f->b = b;
    return f;
}

vt_fm *vt_sat_not(vt_sat *s, vt_fm *a) {
    if (a->k == F_TRUE) return s->f;
    if (a->k == F_FALSE) return s->t;
    if (a->k == F_NOT) return a->a;
    vt_fm *f = mk(s, F_NOT);
    if (f == s->t) return f;
    f->a = a;
    return f;
}

static uint64_t hash_str(const char *p) {
    uint64_t h = 1469598103934665603ull;
    for (; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h;
}

static int rehash(vt_sat *s, size_t ncap) {
    int32_t *h = vt_malloc(ncap * sizeof *h);
    if (!h) return -1;
    for (size_t i = 0; i < ncap; i++) h[i] = -1;
    for (size_t v = 0; v < s->nvars; v++) {
        size_t i = hash_str(s->vars[v].key) & (ncap - 1);
        while (h[i] >= 0) i = (i + 1) & (ncap - 1);
        h[i] = (int32_t)v;
    }
    vt_free(s->hash);
    s->hash = h;
    s->hcap = ncap;
    return 0;
}

/* The variable of a term (by canonical key); *fresh says it was just created. -1 on OOM. */
static int intern(vt_sat *s, const char *key, var_kind kind, int *fresh) {
    *fresh = 0;
    if (s->hcap) {
        size_t i = hash_str(key) & (s->hcap - 1);
        while (s->hash[i] >= 0) {
            if (strcmp(s->vars[s->hash[i]].key, key) == 0) return s->hash[i];
            i = (i + 1) & (s->hcap - 1);
        }
    }
    if ((s->nvars + 1) * 2 > s->hcap && rehash(s, s->hcap ? s->hcap * 2 : 64) < 0) { s->failed = 1; return -1; }
    if (VT_GROW(s->vars, s->cap, s->nvars + 1) < 0) { s->failed = 1; return -1; }
    const char *k = vt_arena_strdup(&s->arena, key);
    if (!k) { s->failed = 1; return -1; }
    var_info *v = &s->vars[s->nvars];
    memset(v, 0, sizeof *v);
    v->key = k;
    v->kind = kind;
    v->lo = -INFINITY;
    v->hi = INFINITY;
    size_t i = hash_str(key) & (s->hcap - 1);
    while (s->hash[i] >= 0) i = (i + 1) & (s->hcap - 1);
    s->hash[i] = (int32_t)s->nvars;
    *fresh = 1;
    return (int)s->nvars++;
}

/* ---- compiling conditions -------------------------------------------------------- */

static int canon_key(vt_sat *s, const char *prefix, const vt_expr *e, vt_sbuf *b) {
    vt_sbuf_puts(b, prefix);
    vt_canon_expr(b, e);
    if (b->oom) { s->failed = 1; return -1; }
    return 0;
}

/* An atom equal only to itself: a condition the engine does not look into. */
static vt_fm *opaque(vt_sat *s, const vt_expr *e) {
    vt_sbuf b = {0};
    vt_fm *f = s->t;
    if (canon_key(s, "?", e, &b) == 0) {
        int fresh, v = intern(s, vt_sbuf_str(&b), VK_BOOL, &fresh);
        if (v >= 0) {
            f = mk(s, F_ATOM);
            if (f != s->t) { f->ak = A_BOOL; f->var = v; }
        }
    }
    vt_sbuf_free(&b);
    return f;
}

static int lit_num(const vt_expr *e, double *v) {
    switch (e->kind) {
    case VT_E_INT: *v = (double)e->u.i; return 1;
    case VT_E_NUMBER: *v = e->u.num.v; return 1;
    case VT_E_MONEY: *v = (double)e->u.money.minor / pow(10, e->u.money.scale); return 1;
    case VT_E_DURATION: *v = (double)e->u.dur.seconds; return 1;
    case VT_E_TIMESTAMP: *v = (double)e->u.ts.unix_s; return 1;
    case VT_E_UNARY:
        if (e->u.unary.op == VT_OP_NEG && lit_num(e->u.unary.e, v)) { *v = -*v; return 1; }
        return 0;
    default: return 0;
    }
}

static const char *lit_text(const vt_expr *e) {
    if (e->kind == VT_E_STRING) {
        if (e->u.str.nparts == 0) return "";
        if (e->u.str.nparts == 1 && !e->u.str.parts[0].is_field) return e->u.str.parts[0].text;
        return NULL;
    }
    if (e->kind == VT_E_NAME && e->u.name.ref == VT_REF_TEAM && e->u.name.decl) return e->u.name.decl->name.text;
    return NULL;
}

static int lit_bool(const vt_expr *e, int *v) {
    if (e->kind != VT_E_BOOL) return 0;
    *v = e->u.b;
    return 1;
}

static int is_lit(const vt_expr *e) {
    double d;
    int b;
    return lit_num(e, &d) || lit_text(e) != NULL || lit_bool(e, &b);
}

/* Records what count a variable is, for the ordering of nested windows. */
static void set_count_info(vt_sat *s, var_info *v, const vt_expr *hist) {
    double window = INFINITY;
    if (hist->u.hist.within) {
        if (hist->u.hist.within->kind != VT_E_DURATION) return;
        window = (double)hist->u.hist.within->u.dur.seconds;
    }
    const char *where = "";
    if (hist->u.hist.where) {
        vt_sbuf b = {0};
        vt_canon_expr(&b, hist->u.hist.where);
        where = b.oom ? NULL : vt_arena_strdup(&s->arena, vt_sbuf_str(&b));
        vt_sbuf_free(&b);
        if (!where) { s->failed = 1; return; }
    }
    v->cnt_event = hist->u.hist.event.text;
    v->cnt_where = where;
    v->cnt_window = window;
}

/* The natural range of a numeric term: declared field ranges, counts >= 0. */
static void init_num_var(vt_sat *s, var_info *v, const vt_expr *t) {
    if (t->kind == VT_E_NAME && t->u.name.ref == VT_REF_FIELD && s->u->contact && t->u.name.index >= 0 &&
        (uint32_t)t->u.name.index < s->u->contact->u.contact.n) {
        const vt_field_decl *fd = s->u->contact->u.contact.fields[t->u.name.index];
        v->integral = fd->type.kind == VT_T_INT;
        double lo, hi;
        if (fd->type.has_range && fd->type.lo && fd->type.hi && lit_num(fd->type.lo, &lo) && lit_num(fd->type.hi, &hi)) {
            v->lo = lo;
            v->hi = hi;
        }
    } else if (t->kind == VT_E_NAME && t->u.name.ref == VT_REF_PAYLOAD && t->u.name.decl && t->u.name.index >= 0 &&
               (uint32_t)t->u.name.index < t->u.name.decl->u.event.n) {
        const vt_field_decl *fd = t->u.name.decl->u.event.fields[t->u.name.index];
        v->integral = fd->type.kind == VT_T_INT;
        double lo, hi;
        if (fd->type.has_range && fd->type.lo && fd->type.hi && lit_num(fd->type.lo, &lo) && lit_num(fd->type.hi, &hi)) {
            v->lo = lo;
            v->hi = hi;
        }
    } else if (t->kind == VT_E_AGGREGATE && t->u.hist.agg == VT_AGG_COUNT) {
        v->integral = 1;
        v->lo = 0;
        if (!t->u.hist.where) v->count_event = t->u.hist.event.text;
        set_count_info(s, v, t);
    } else if (t->kind == VT_E_SINCE) {
        v->lo = 0;
    }
}

static vt_fm *num_atom(vt_sat *s, const vt_expr *term, vt_binop op, double val, const vt_expr *whole) {
    vt_sbuf b = {0};
    vt_fm *f = s->t;
    if (canon_key(s, "", term, &b) == 0) {
        int fresh, v = intern(s, vt_sbuf_str(&b), VK_NUM, &fresh);
        if (v >= 0 && s->vars[v].kind != VK_NUM) { vt_sbuf_free(&b); return opaque(s, whole); }
        if (v >= 0) {
            if (fresh) init_num_var(s, &s->vars[v], term);
            f = mk(s, F_ATOM);
            if (f != s->t) { f->ak = A_CMP; f->var = v; f->op = op; f->val = val; }
        }
    }
    vt_sbuf_free(&b);
    return f;
}

static vt_fm *typed_atom(vt_sat *s, const vt_expr *term, var_kind kind, const vt_expr *whole, int *var) {
    vt_sbuf b = {0};
    vt_fm *f = NULL;
    *var = -1;
    if (canon_key(s, "", term, &b) == 0) {
        int fresh;
        *var = intern(s, vt_sbuf_str(&b), kind, &fresh);
        if (*var >= 0 && s->vars[*var].kind != kind) {
            vt_sbuf_free(&b);
            *var = -1;
            return opaque(s, whole);
        }
        if (*var >= 0) {
            f = mk(s, F_ATOM);
            if (f == s->t) f = NULL;
            else f->var = *var;
        }
    }
    vt_sbuf_free(&b);
    return f ? f : s->t;
}

static vt_fm *text_in(vt_sat *s, const vt_expr *term, const char **strs, uint32_t n, const vt_expr *whole) {
    int v;
    vt_fm *f = typed_atom(s, term, VK_TEXT, whole, &v);
    if (v < 0 || f->k != F_ATOM) return f;
    f->ak = A_TEXT_IN;
    f->strs = strs;
    f->nstrs = n;
    return f;
}

static vt_fm *compile(vt_sat *s, const vt_expr *e);

static vt_fm *compile_cmp(vt_sat *s, const vt_expr *e) {
    const vt_expr *l = e->u.bin.l, *r = e->u.bin.r;
    vt_binop op = e->u.bin.op;
    if (!l || !r) return opaque(s, e);
    if (is_lit(l) && !is_lit(r)) {
        const vt_expr *t = l;
        l = r;
        r = t;
        op = op == VT_OP_LT ? VT_OP_GT : op == VT_OP_LE ? VT_OP_GE : op == VT_OP_GT ? VT_OP_LT
           : op == VT_OP_GE ? VT_OP_LE : op;
    }
    if (is_lit(l) || !is_lit(r)) return opaque(s, e);
    double d;
    int bv;
    const char *t;
    if (lit_num(r, &d)) return num_atom(s, l, op, d, e);
    if ((t = lit_text(r)) != NULL) {
        if (op != VT_OP_EQ && op != VT_OP_NE) return opaque(s, e);
        const char **strs = vt_arena_alloc(&s->arena, sizeof *strs);
        if (!strs) { s->failed = 1; return s->t; }
        strs[0] = t;
        vt_fm *f = text_in(s, l, strs, 1, e);
        return op == VT_OP_EQ ? f : vt_sat_not(s, f);
    }
    if (lit_bool(r, &bv)) {
        if (op != VT_OP_EQ && op != VT_OP_NE) return opaque(s, e);
        vt_fm *f = compile(s, l);
        return (op == VT_OP_EQ) == (bv != 0) ? f : vt_sat_not(s, f);
    }
    return opaque(s, e);
}

static vt_fm *state_atom(vt_sat *s, const vt_decl *lc, const unsigned char *states, const uint64_t *bits) {
    if (!lc || lc->u.lifecycle.n > MAX_STATES) return NULL;
    vt_sbuf b = {0};
    vt_sbuf_printf(&b, "lifecycle:%s", lc->name.text ? lc->name.text : "");
    if (b.oom) { s->failed = 1; return s->t; }
    int fresh, v = intern(s, vt_sbuf_str(&b), VK_STATE, &fresh);
    vt_sbuf_free(&b);
    if (v < 0) return s->t;
    s->vars[v].nstates = (int)lc->u.lifecycle.n;
    vt_fm *f = mk(s, F_ATOM);
    if (f == s->t) return f;
    f->ak = A_STATE_IN;
    f->var = v;
    for (uint32_t i = 0; i < lc->u.lifecycle.n; i++)
        if (states ? states[i] != 0 : ((bits[i / 64] >> (i % 64)) & 1))
            f->bits[i / 64] |= (uint64_t)1 << (i % 64);
    return f;
}

vt_fm *vt_sat_state_in(vt_sat *s, const vt_decl *lc, const unsigned char *states) {
    vt_fm *f = state_atom(s, lc, states, NULL);
    return f ? f : s->t;
}

vt_fm *vt_sat_state_is(vt_sat *s, const vt_decl *lc, int state) {
    uint64_t bits[MAX_STATES / 64] = {0};
    if (state < 0 || state >= MAX_STATES) return s->t;
    bits[state / 64] |= (uint64_t)1 << (state % 64);
    vt_fm *f = state_atom(s, lc, NULL, bits);
    return f ? f : s->t;
}

static const vt_decl *lifecycle_of(const vt_expr *e) {
    if (e && e->kind == VT_E_NAME && e->u.name.ref == VT_REF_LIFECYCLE) return e->u.name.decl;
    return NULL;
}

static vt_fm *compile_in(vt_sat *s, const vt_expr *e) {
    const vt_expr *term = e->u.in.e, *list = e->u.in.list;
    if (!term || !list || list->kind != VT_E_LIST) return opaque(s, e);
    uint32_t n = list->u.list.n;
    const vt_decl *lc = lifecycle_of(term);
    if (lc) {
        uint64_t bits[MAX_STATES / 64] = {0};
        for (uint32_t i = 0; i < n; i++) {
            const vt_expr *it = list->u.list.items[i];
            if (it->kind != VT_E_NAME || it->u.name.ref != VT_REF_STATE || it->u.name.index < 0 ||
                it->u.name.index >= MAX_STATES)
                return opaque(s, e);
            bits[it->u.name.index / 64] |= (uint64_t)1 << (it->u.name.index % 64);
        }
        vt_fm *f = state_atom(s, lc, NULL, bits);
        return f ? f : opaque(s, e);
    }
    const char **strs = vt_arena_alloc(&s->arena, (n ? n : 1) * sizeof *strs);
    if (!strs) { s->failed = 1; return s->t; }
    int all_text = 1, all_num = 1;
    for (uint32_t i = 0; i < n; i++) {
        double d;
        strs[i] = lit_text(list->u.list.items[i]);
        if (!strs[i]) all_text = 0;
        if (!lit_num(list->u.list.items[i], &d)) all_num = 0;
    }
    if (is_lit(term)) return opaque(s, e);
    if (n && all_text) return text_in(s, term, strs, n, e);
    if (n && all_num) {
        vt_fm *f = s->f;
        for (uint32_t i = 0; i < n; i++) {
            double d;
            lit_num(list->u.list.items[i], &d);
            f = vt_sat_or(s, f, num_atom(s, term, VT_OP_EQ, d, e));
        }
        return f;
    }
    if (n == 0) return s->f;
    return opaque(s, e);
}

/* `E within D` and `no E for D` both speak of count(E within D). */
static vt_fm *count_atom(vt_sat *s, const vt_expr *e, vt_binop op, double val) {
    vt_sbuf b = {0};
    vt_sbuf_printf(&b, "(count %s", e->u.hist.event.text ? e->u.hist.event.text : "");
    if (e->u.hist.within) {
        vt_sbuf_puts(&b, " within ");
        vt_canon_expr(&b, e->u.hist.within);
    }
    vt_sbuf_puts(&b, ")");
    if (b.oom) { s->failed = 1; vt_sbuf_free(&b); return s->t; }
    int fresh, v = intern(s, vt_sbuf_str(&b), VK_NUM, &fresh);
    vt_sbuf_free(&b);
    if (v < 0) return s->t;
    if (s->vars[v].kind != VK_NUM) return opaque(s, e);
    if (fresh) {
        s->vars[v].integral = 1;
        s->vars[v].lo = 0;
        s->vars[v].count_event = e->u.hist.event.text;
        set_count_info(s, &s->vars[v], e);
    }
    vt_fm *f = mk(s, F_ATOM);
    if (f == s->t) return f;
    f->ak = A_CMP;
    f->var = v;
    f->op = op;
    f->val = val;
    return f;
}

static vt_fm *compile(vt_sat *s, const vt_expr *e) {
    if (!e) return s->t;
    switch (e->kind) {
    case VT_E_BOOL: return e->u.b ? s->t : s->f;
    case VT_E_NAME:
        if ((e->u.name.ref == VT_REF_TRUTH || e->u.name.ref == VT_REF_SEGMENT) && e->u.name.decl) {
            const vt_decl *d = e->u.name.decl;
            for (int i = 0; i < s->nexp; i++)
                if (s->expanding[i] == d) return opaque(s, e);
            if (s->nexp >= MAX_EXPAND) return opaque(s, e);
            s->expanding[s->nexp++] = d;
            vt_fm *f = compile(s, d->u.truth.cond);
            s->nexp--;
            return f;
        }
        return opaque(s, e);
    case VT_E_UNARY:
        if (e->u.unary.op == VT_OP_NOT) return vt_sat_not(s, compile(s, e->u.unary.e));
        return opaque(s, e);
    case VT_E_BINARY:
        switch (e->u.bin.op) {
        case VT_OP_AND: return vt_sat_and(s, compile(s, e->u.bin.l), compile(s, e->u.bin.r));
        case VT_OP_OR: return vt_sat_or(s, compile(s, e->u.bin.l), compile(s, e->u.bin.r));
        case VT_OP_EQ: case VT_OP_NE: case VT_OP_LT: case VT_OP_LE: case VT_OP_GT: case VT_OP_GE:
            return compile_cmp(s, e);
        case VT_OP_STARTS_WITH: {
            const char *p = e->u.bin.r ? lit_text(e->u.bin.r) : NULL;
            if (!p || !e->u.bin.l || is_lit(e->u.bin.l)) return opaque(s, e);
            int v;
            vt_fm *f = typed_atom(s, e->u.bin.l, VK_TEXT, e, &v);
            if (v < 0 || f->k != F_ATOM) return f;
            f->ak = A_PREFIX;
            f->strs = vt_arena_alloc(&s->arena, sizeof *f->strs);
            if (!f->strs) { s->failed = 1; return s->t; }
            f->strs[0] = p;
            f->nstrs = 1;
            return f;
        }
        default: return opaque(s, e);
        }
    case VT_E_IS: {
        const vt_decl *lc = lifecycle_of(e->u.is.lifecycle);
        if (!lc || e->u.is.state_index < 0) return opaque(s, e);
        vt_fm *f = vt_sat_state_is(s, lc, e->u.is.state_index);
        return f->k == F_TRUE ? opaque(s, e) : f;
    }
    case VT_E_IN: return compile_in(s, e);
    case VT_E_WITHIN: return count_atom(s, e, VT_OP_GT, 0);
    case VT_E_NO_FOR:
        /* No E in the last D implies none counted in that window; the converse needs
         * the contact to be at least D old, which stays opaque. */
        return vt_sat_and(s, count_atom(s, e, VT_OP_EQ, 0), opaque(s, e));
    default: return opaque(s, e);
    }
}

vt_fm *vt_sat_compile(vt_sat *s, const vt_expr *cond) {
    s->nexp = 0;
    return compile(s, cond);
}

/* Resolved when the formula is checked, so that it covers the variables of conditions
 * compiled after it too. */
vt_fm *vt_sat_event_facts(vt_sat *s, const char *event_name) {
    if (!event_name) return s->t;
    vt_fm *f = mk(s, F_FACTS);
    if (f == s->t) return f;
    f->strs = vt_arena_alloc(&s->arena, sizeof *f->strs);
    if (!f->strs) { s->failed = 1; return s->t; }
    f->strs[0] = event_name;
    f->nstrs = 1;
    return f;
}

/* ---- deciding ------------------------------------------------------------------- */

typedef struct dom {
    int var;
    uint8_t bmask;              /* bool: 1 false possible, 2 true possible */
    double lo, hi;
    uint8_t lo_open, hi_open, nexcl;
    double excl[EXCL_MAX];
    int8_t neq;                 /* text: -1 any value, else one of eq[] */
    uint8_t nne, nnpre;
    const char *eq[EQ_MAX], *ne[NE_MAX], *pre, *npre[NPRE_MAX];
    uint64_t bits[MAX_STATES / 64];
} dom;

typedef struct item { const vt_fm *f; int pol; } item;

typedef struct frame {
    dom *doms; size_t ndoms, cdoms;
    item *work; size_t nwork, cwork;
    item *defer; size_t ndefer, cdefer;
} frame;

static void frame_free(frame *fr) {
    vt_free(fr->doms);
    vt_free(fr->work);
    vt_free(fr->defer);
}

static int frame_copy(frame *to, const frame *from) {
    memset(to, 0, sizeof *to);
    if (VT_GROW(to->doms, to->cdoms, from->ndoms + 1) < 0 || VT_GROW(to->work, to->cwork, from->nwork + 2) < 0 ||
        VT_GROW(to->defer, to->cdefer, from->ndefer + 1) < 0) {
        frame_free(to);
        return -1;
    }
    /* memcpy from NULL is undefined even for 0 bytes */
    if (from->ndoms) memcpy(to->doms, from->doms, from->ndoms * sizeof *to->doms);
    if (from->nwork) memcpy(to->work, from->work, from->nwork * sizeof *to->work);
    if (from->ndefer) memcpy(to->defer, from->defer, from->ndefer * sizeof *to->defer);
    to->ndoms = from->ndoms;
    to->nwork = from->nwork;
    to->ndefer = from->ndefer;
    return 0;
}

static int push(item **v, size_t *n, size_t *cap, const vt_fm *f, int pol) {
    if (VT_GROW(*v, *cap, *n + 1) < 0) return -1;
    (*v)[*n].f = f;
    (*v)[*n].pol = pol;
    (*n)++;
    return 0;
}

static dom *find_dom(vt_sat *s, frame *fr, int var) {
    for (size_t i = 0; i < fr->ndoms; i++)
        if (fr->doms[i].var == var) return &fr->doms[i];
    if (VT_GROW(fr->doms, fr->cdoms, fr->ndoms + 1) < 0) return NULL;
    dom *d = &fr->doms[fr->ndoms++];
    memset(d, 0, sizeof *d);
    const var_info *v = &s->vars[var];
    d->var = var;
    d->bmask = 3;
    d->lo = v->lo;
    d->hi = v->hi;
    d->neq = -1;
    for (int i = 0; i < v->nstates && i < MAX_STATES; i++) d->bits[i / 64] |= (uint64_t)1 << (i % 64);
    return d;
}

static int starts(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

static int num_nonempty(const dom *d, int integral) {
    if (isnan(d->lo) || isnan(d->hi) || d->lo > d->hi) return 0;
    if (d->lo == d->hi && (d->lo_open || d->hi_open)) return 0;
    if (integral) {
        double lo = isinf(d->lo) ? d->lo : d->lo_open ? floor(d->lo) + 1 : ceil(d->lo);
        double hi = isinf(d->hi) ? d->hi : d->hi_open ? ceil(d->hi) - 1 : floor(d->hi);
        if (lo > hi) return 0;
        if (!isinf(lo) && !isinf(hi) && hi - lo < 32) {
            for (double x = lo; x <= hi; x++) {
                int hit = 0;
                for (int i = 0; i < d->nexcl; i++) hit |= d->excl[i] == x;
                if (!hit) return 1;
            }
            return 0;
        }
        return 1;
    }
    if (d->lo == d->hi)
        for (int i = 0; i < d->nexcl; i++)
            if (d->excl[i] == d->lo) return 0;
    return 1;
}

static int text_ok(const dom *d, const char *c) {
    for (int i = 0; i < d->nne; i++)
        if (strcmp(d->ne[i], c) == 0) return 0;
    if (d->pre && !starts(c, d->pre)) return 0;
    for (int i = 0; i < d->nnpre; i++)
        if (starts(c, d->npre[i])) return 0;
    return 1;
}

static int text_nonempty(const dom *d) {
    if (d->neq >= 0) {
        for (int i = 0; i < d->neq; i++)
            if (text_ok(d, d->eq[i])) return 1;
        return 0;
    }
    for (int i = 0; i < d->nnpre; i++)   /* every text starting with pre also starts with npre */
        if (starts(d->pre ? d->pre : "", d->npre[i])) return 0;
    return 1;
}

static void tighten_hi(dom *d, double v, int open) {
    if (v < d->hi || (v == d->hi && open)) { d->hi = v; d->hi_open = (uint8_t)open; }
}
static void tighten_lo(dom *d, double v, int open) {
    if (v > d->lo || (v == d->lo && open)) { d->lo = v; d->lo_open = (uint8_t)open; }
}

/* Narrows the domain of the atom's variable; 0 when it became empty, -1 on OOM. */
static int apply(vt_sat *s, frame *fr, const vt_fm *f, int pol) {
    dom *d = find_dom(s, fr, f->var);
    if (!d) return -1;
    const var_info *v = &s->vars[f->var];
    switch (f->ak) {
    case A_BOOL:
        d->bmask &= pol ? 2 : 1;
        return d->bmask != 0;
    case A_CMP: {
        vt_binop op = f->op;
        if (!pol)
            op = op == VT_OP_EQ ? VT_OP_NE : op == VT_OP_NE ? VT_OP_EQ : op == VT_OP_LT ? VT_OP_GE
               : op == VT_OP_LE ? VT_OP_GT : op == VT_OP_GT ? VT_OP_LE : VT_OP_LT;
        switch (op) {
        case VT_OP_LT: tighten_hi(d, f->val, 1); break;
        case VT_OP_LE: tighten_hi(d, f->val, 0); break;
        case VT_OP_GT: tighten_lo(d, f->val, 1); break;
        case VT_OP_GE: tighten_lo(d, f->val, 0); break;
        case VT_OP_EQ: tighten_lo(d, f->val, 0); tighten_hi(d, f->val, 0); break;
        default:
            if (d->nexcl < EXCL_MAX) d->excl[d->nexcl++] = f->val;   /* beyond: dropped (over-approximates) */
            break;
        }
        return num_nonempty(d, v->integral);
    }
    case A_TEXT_IN:
        if (pol) {
            if (d->neq < 0) {
                if (f->nstrs <= EQ_MAX) {
                    d->neq = (int8_t)f->nstrs;
                    for (uint32_t i = 0; i < f->nstrs; i++) d->eq[i] = f->strs[i];
                }
            } else {
                int k = 0;
                for (int i = 0; i < d->neq; i++) {
                    int hit = 0;
                    for (uint32_t j = 0; j < f->nstrs; j++) hit |= strcmp(d->eq[i], f->strs[j]) == 0;
                    if (hit) d->eq[k++] = d->eq[i];
                }
                d->neq = (int8_t)k;
            }
        } else {
            for (uint32_t i = 0; i < f->nstrs && d->nne < NE_MAX; i++) d->ne[d->nne++] = f->strs[i];
        }
        return text_nonempty(d);
    case A_PREFIX: {
        const char *p = f->strs[0];
        if (pol) {
            if (!d->pre || starts(p, d->pre)) d->pre = p;
            else if (!starts(d->pre, p)) return 0;   /* neither prefix extends the other */
        } else if (d->nnpre < NPRE_MAX) {
            d->npre[d->nnpre++] = p;
        }
        return text_nonempty(d);
    }
    case A_STATE_IN: {
        uint64_t any = 0;
        for (int i = 0; i < MAX_STATES / 64; i++) {
            d->bits[i] &= pol ? f->bits[i] : ~f->bits[i];
            any |= d->bits[i];
        }
        return any != 0;
    }
    }
    return 1;
}

/* The smallest and largest whole counts a domain allows. */
static double count_lo(const dom *d) { return d->lo_open ? floor(d->lo) + 1 : ceil(d->lo); }
static double count_hi(const dom *d) { return isinf(d->hi) ? d->hi : d->hi_open ? ceil(d->hi) - 1 : floor(d->hi); }

/* Counts of the same event over a shorter window can be no more than over a longer
 * one; a branch that needs more is impossible. */
static int counts_consistent(vt_sat *s, const frame *fr) {
    for (size_t i = 0; i < fr->ndoms; i++) {
        const var_info *a = &s->vars[fr->doms[i].var];
        if (!a->cnt_event) continue;
        for (size_t j = 0; j < fr->ndoms; j++) {
            const var_info *b = &s->vars[fr->doms[j].var];
            if (i == j || !b->cnt_event || a->cnt_window >= b->cnt_window || strcmp(a->cnt_event, b->cnt_event) != 0 ||
                strcmp(a->cnt_where, b->cnt_where) != 0)
                continue;
            if (count_lo(&fr->doms[i]) > count_hi(&fr->doms[j])) return 0;
        }
    }
    return 1;
}

/* 1 satisfiable, 0 not, -1 unknown (budget or memory). Consumes fr. */
static int solve(vt_sat *s, frame *fr) {
    for (;;) {
        if (--s->budget < 0) { frame_free(fr); return -1; }
        if (fr->nwork == 0) {
            if (fr->ndefer == 0) {
                int ok = counts_consistent(s, fr);
                frame_free(fr);
                return ok;
            }
            item it = fr->defer[--fr->ndefer];
            const vt_fm *kids[2] = {it.f->a, it.f->b};
            int unknown = 0;
            for (int i = 0; i < 2; i++) {
                frame br;
                if (frame_copy(&br, fr) < 0) { frame_free(fr); s->failed = 1; return -1; }
                br.work[br.nwork].f = kids[i];
                br.work[br.nwork].pol = it.pol;
                br.nwork++;
                int r = solve(s, &br);
                if (r == 1) { frame_free(fr); return 1; }
                if (r < 0) unknown = 1;
            }
            frame_free(fr);
            return unknown ? -1 : 0;
        }
        item it = fr->work[--fr->nwork];
        const vt_fm *f = it.f;
        int rc = 0;
        switch (f->k) {
        case F_TRUE: if (!it.pol) { frame_free(fr); return 0; } break;
        case F_FALSE: if (it.pol) { frame_free(fr); return 0; } break;
        case F_NOT: rc = push(&fr->work, &fr->nwork, &fr->cwork, f->a, !it.pol); break;
        case F_AND:
        case F_OR:
            if ((f->k == F_AND) == (it.pol != 0)) {
                rc = push(&fr->work, &fr->nwork, &fr->cwork, f->a, it.pol);
                if (rc == 0) rc = push(&fr->work, &fr->nwork, &fr->cwork, f->b, it.pol);
            } else {
                rc = push(&fr->defer, &fr->ndefer, &fr->cdefer, f, it.pol);
            }
            break;
        case F_FACTS:
            /* only ever conjoined; under negation it is dropped (over-approximates) */
            for (size_t v = 0; it.pol && v < s->nvars && rc == 0; v++) {
                if (!s->vars[v].count_event || strcmp(s->vars[v].count_event, f->strs[0]) != 0) continue;
                vt_fm a = {.k = F_ATOM, .ak = A_CMP, .var = (int)v, .op = VT_OP_GE, .val = 1};
                int r = apply(s, fr, &a, 1);
                if (r == 0) { frame_free(fr); return 0; }
                if (r < 0) rc = -1;
            }
            break;
        case F_ATOM: {
            int r = apply(s, fr, f, it.pol);
            if (r == 0) { frame_free(fr); return 0; }
            if (r < 0) rc = -1;
            break;
        }
        }
        if (rc < 0) { s->failed = 1; frame_free(fr); return -1; }
    }
}

vt_sat_result vt_sat_check(vt_sat *s, vt_fm *f) {
    if (vt_sat_failed(s)) return VT_SAT_UNKNOWN;
    if (f->k == F_TRUE) return VT_SAT_YES;
    if (f->k == F_FALSE) return VT_SAT_NO;
    frame fr = {0};
    if (push(&fr.work, &fr.nwork, &fr.cwork, f, 1) < 0) { s->failed = 1; return VT_SAT_UNKNOWN; }
    s->budget = SEARCH_BUDGET;
    int r = solve(s, &fr);
    return r == 1 ? VT_SAT_YES : r == 0 ? VT_SAT_NO : VT_SAT_UNKNOWN;
}

vt_sat_result vt_sat_equivalent(vt_sat *s, vt_fm *a, vt_fm *b) {
    vt_sat_result r1 = vt_sat_check(s, vt_sat_and(s, a, vt_sat_not(s, b)));
    if (r1 == VT_SAT_YES) return VT_SAT_NO;
    vt_sat_result r2 = vt_sat_check(s, vt_sat_and(s, b, vt_sat_not(s, a)));
    if (r2 == VT_SAT_YES) return VT_SAT_NO;
    return r1 == VT_SAT_NO && r2 == VT_SAT_NO ? VT_SAT_YES : VT_SAT_UNKNOWN;
}

static void collect_vars(const vt_fm *f, int **v, size_t *n, size_t *cap, int *oom) {
    if (!f || *oom) return;
    if (f->k == F_ATOM) {
        if (VT_GROW(*v, *cap, *n + 1) < 0) { *oom = 1; return; }
        (*v)[(*n)++] = f->var;
        return;
    }
    collect_vars(f->a, v, n, cap, oom);
    collect_vars(f->b, v, n, cap, oom);
}

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return x < y ? -1 : x > y;
}

const char *vt_sat_signature(vt_sat *s, vt_fm *f) {
    int *v = NULL;
    size_t n = 0, cap = 0;
    int oom = 0;
    collect_vars(f, &v, &n, &cap, &oom);
    if (oom) { vt_free(v); s->failed = 1; return NULL; }
    if (n) qsort(v, n, sizeof *v, cmp_int);
    vt_sbuf b = {0};
    vt_sbuf_puts(&b, f->k == F_TRUE ? "T" : f->k == F_FALSE ? "F" : "");
    for (size_t i = 0; i < n; i++)
        if (i == 0 || v[i] != v[i - 1]) vt_sbuf_printf(&b, "%d,", v[i]);
    vt_free(v);
    const char *r = b.oom ? NULL : vt_arena_strdup(&s->arena, vt_sbuf_str(&b));
    vt_sbuf_free(&b);
    if (!r) s->failed = 1;
    return r;
}
