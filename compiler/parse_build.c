/* Node builders and layout checks used by the grammar actions (grammar/parser.y).
 * Everything allocates from the unit's arena through vt_pctx_alloc, which never returns
 * NULL for a node (see vt_pctx.scratch), so actions need no error paths. */
#include "parse_ctx.h"
#include <strings.h>
#include <string.h>


void *vt_pb_new(vt_pctx *c, size_t n) { return vt_pctx_alloc(c, n); }

vt_expr *vt_pb_expr(vt_pctx *c, vt_expr_kind k, vt_span sp) {
    vt_expr *e = vt_ast_expr(c->a, k, sp);
    if (!e) { e = vt_pctx_alloc(c, sizeof *e); e->kind = k; e->span = sp; }
    return e;
}

vt_stmt *vt_pb_stmt(vt_pctx *c, vt_stmt_kind k, vt_span sp) {
    vt_stmt *s = vt_ast_stmt(c->a, k, sp);
    if (!s) { s = vt_pctx_alloc(c, sizeof *s); s->kind = k; s->span = sp; }
    return s;
}

vt_decl *vt_pb_decl(vt_pctx *c, vt_decl_kind k, vt_span sp) {
    vt_decl *d = vt_ast_decl(c->a, k, sp);
    if (!d) { d = vt_pctx_alloc(c, sizeof *d); d->kind = k; d->span = sp; }
    return d;
}

void vt_pb_push(vt_pctx *c, vt_list *l, void *p) {
    if (vt_list_push(c->a, l, p) != 0) c->oom = true;
}

vt_ex vt_pb_leaf(vt_expr *e) { return (vt_ex){ e, 1 }; }

/* Refuses trees taller than the limit: the node is replaced by `false` so later passes
 * (all recursive) never see more than max_depth levels. Reported once per file. */
vt_ex vt_pb_guard(vt_pctx *c, vt_expr *e, uint32_t d) {
    if (d <= c->max_depth) return (vt_ex){ e, d };
    if (!c->too_deep) {
        vt_diag *g = vt_pctx_error(c, VT_E008, e->span, "nested too deeply: at most %u levels", (unsigned)c->max_depth);
        if (g) vt_diag_hint(g, c->d, "split the condition into named truths or segments");
        c->too_deep = true;
    }
    vt_expr *f = vt_pb_expr(c, VT_E_BOOL, e->span);
    f->u.b = false;
    return vt_pb_leaf(f);
}

vt_ex vt_pb_mk_bin(vt_pctx *c, vt_binop op, vt_ex l, vt_ex r, vt_span opsp, vt_span sp) {
    vt_expr *e = vt_pb_expr(c, VT_E_BINARY, sp);
    e->u.bin.op = op; e->u.bin.l = l.e; e->u.bin.r = r.e; e->u.bin.op_span = opsp;
    return vt_pb_guard(c, e, (l.d > r.d ? l.d : r.d) + 1);
}

/* `-3`, `-4.5`, `-49.90 EUR` are literals; `-x` is a negation. */
vt_ex vt_pb_mk_neg(vt_pctx *c, vt_ex x, vt_span sp) {
    vt_expr *v = x.e;
    if (v->kind == VT_E_INT) {
        v->u.i = -v->u.i; v->span = sp; return x;
    }
    if (v->kind == VT_E_NUMBER) {
        v->u.num.v = -v->u.num.v; v->u.num.text = vt_arena_printf(c->a, "-%s", v->u.num.text ? v->u.num.text : "");
        if (!v->u.num.text) { c->oom = true; v->u.num.text = ""; }
        v->span = sp; return x;
    }
    if (v->kind == VT_E_MONEY) {
        v->u.money.minor = -v->u.money.minor;
        v->u.money.text = vt_arena_printf(c->a, "-%s", v->u.money.text ? v->u.money.text : "");
        if (!v->u.money.text) { c->oom = true; v->u.money.text = ""; }
        v->span = sp; return x;
    }
    vt_expr *e = vt_pb_expr(c, VT_E_UNARY, sp);
    e->u.unary.op = VT_OP_NEG; e->u.unary.e = v;
    return vt_pb_guard(c, e, x.d + 1);
}

vt_ex vt_pb_mk_name(vt_pctx *c, vt_name n) {
    vt_expr *e = vt_pb_expr(c, VT_E_NAME, n.span);
    e->u.name.name = n;
    e->u.name.index = -1;
    return vt_pb_leaf(e);
}

vt_name vt_pb_kw_name(vt_pctx *c, const char *text, vt_span sp) {
    (void)c;
    return (vt_name){ text, sp };
}

/* `count(E where flag within 7d)`: the grammar reads `flag within 7d` as a condition;
 * inside an aggregate the trailing `within` is the aggregate's window. */
vt_expr *vt_pb_steal_within(vt_pctx *c, vt_expr **pe) {
    for (int guard_n = 0; guard_n < 100000 && *pe; guard_n++) {
        vt_expr *e = *pe;
        if (e->kind == VT_E_WITHIN) {
            vt_expr *d = e->u.hist.within;
            vt_expr *n = vt_pb_expr(c, VT_E_NAME, e->u.hist.event.span);
            n->u.name.name = e->u.hist.event;
            n->u.name.index = -1;
            *pe = n;
            return d;
        }
        if (e->kind == VT_E_BINARY) pe = &e->u.bin.r;
        else if (e->kind == VT_E_UNARY) pe = &e->u.unary.e;
        else return NULL;
    }
    return NULL;
}

/* count(E), sum(E.f): for count the whole (possibly dotted) name is the event; for
 * the others the last component is the field. */
void vt_pb_split_hist(vt_pctx *c, vt_expr *e, vt_name n) {
    e->u.hist.event = n;
    if (e->u.hist.agg == VT_AGG_COUNT || !n.text) return;
    const char *dot = strrchr(n.text, '.');
    if (!dot) return;
    size_t el = (size_t)(dot - n.text);
    e->u.hist.event.text = vt_pctx_strndup(c, n.text, el);
    e->u.hist.event.span = (vt_span){ n.span.file, n.span.start, n.span.start + (uint32_t)el };
    e->u.hist.field.text = vt_pctx_strndup(c, dot + 1, strlen(dot + 1));
    e->u.hist.field.span = (vt_span){ n.span.file, n.span.start + (uint32_t)el + 1, n.span.end };
}

bool vt_pb_same_line(vt_pctx *c, uint32_t a, uint32_t b) {
    if (a > b || b > c->len) return false;
    for (uint32_t i = a; i < b; i++) if (c->src[i] == '\n') return false;
    return true;
}

static void vt_pb_layout(vt_pctx *c, vt_span prev, vt_span cur, const char *what) {
    if (!vt_pb_same_line(c, prev.end, cur.start)) return;
    vt_diag *g = vt_pctx_error(c, VT_E001, cur, "this %s starts on the same line as the previous one", what);
    if (g) vt_diag_hint(g, c->d, "put each %s on its own line", what);
}

static vt_span vt_pb_item_span(void *item, int which) {
    switch (which) {
    case VT_IT_DECL: return ((vt_decl *)item)->span;
    case VT_IT_STMT: return ((vt_stmt *)item)->span;
    case VT_IT_FIELD: return ((vt_field_decl *)item)->span;
    case VT_IT_STATE: return ((vt_state_decl *)item)->span;
    case VT_IT_ARM: return ((vt_split_arm *)item)->span;
    default: return ((vt_field_init *)item)->span;
    }
}

/* Appends item to l, first checking it does not share a line with the previous one. */
void vt_pb_push_item(vt_pctx *c, vt_list *l, void *item, vt_span sp, int which, const char *what) {
    if (l->n > 0) vt_pb_layout(c, vt_pb_item_span(l->items[l->n - 1], which), sp, what);
    vt_pb_push(c, l, item);
}

/* Workflow parts are threaded through one decl: while parsing, `index` counts them and
 * span.end is the end of the previous one (the decl's real span is set at the end). */
void vt_pb_wf_item(vt_pctx *c, vt_decl *w, vt_span first, vt_span all) {
    if (w->index > 0) vt_pb_layout(c, (vt_span){ first.file, w->span.end, w->span.end }, first, "part of the workflow");
    w->index++;
    w->span.end = all.end;
}

void vt_pb_add_window(vt_pctx *c, vt_decl *ch, vt_list ws) {
    uint32_t n = ch->u.channel.nwindows + ws.n;
    vt_window *a = vt_pctx_array(c, sizeof *a * (n ? n : 1));
    if (!a) return;
    if (ch->u.channel.nwindows) memcpy(a, ch->u.channel.windows, sizeof *a * ch->u.channel.nwindows);
    for (uint32_t i = 0; i < ws.n; i++) a[ch->u.channel.nwindows + i] = *(vt_window *)ws.items[i];
    ch->u.channel.windows = a;
    ch->u.channel.nwindows = n;
}

vt_block vt_pb_mk_block(vt_list l, vt_span sp) {
    return (vt_block){ (vt_stmt **)l.items, l.n, sp };
}

/* The decoded text of a string literal; interpolations are kept as written. */
const char *vt_pb_str_text(vt_pctx *c, vt_expr *s) {
    if (!s || s->kind != VT_E_STRING) return "";
    if (s->u.str.nparts == 0) return "";
    if (s->u.str.nparts == 1 && !s->u.str.parts[0].is_field) return s->u.str.parts[0].text;
    size_t n = 0;
    for (uint32_t i = 0; i < s->u.str.nparts; i++) n += strlen(s->u.str.parts[i].text) + 2;
    char *b = vt_pctx_array(c, n + 1);
    if (!b) return "";
    size_t k = 0;
    for (uint32_t i = 0; i < s->u.str.nparts; i++) {
        const vt_str_part *p = &s->u.str.parts[i];
        size_t l = strlen(p->text);
        if (p->is_field) b[k++] = '{';
        memcpy(b + k, p->text, l);
        k += l;
        if (p->is_field) b[k++] = '}';
    }
    b[k] = 0;
    return b;
}

vt_type_kind vt_pb_type_of(vt_pctx *c, vt_name n) {
    static const struct { const char *name; vt_type_kind k; } types[] = {
        { "bool", VT_T_BOOL }, { "int", VT_T_INT }, { "number", VT_T_NUMBER }, { "money", VT_T_MONEY },
        { "text", VT_T_TEXT }, { "time", VT_T_TIME }, { "duration", VT_T_DURATION }, { "team", VT_T_TEAM },
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(n.text, types[i].name) == 0) return types[i].k;
    vt_diag *g = vt_pctx_error(c, VT_E001, n.span, "`%s` is not a type", n.text);
    if (g) vt_diag_hint(g, c->d, "write one of bool, int, number, money, text, time, duration, team");
    return VT_T_ERROR;
}

int vt_pb_weekday_of(vt_pctx *c, vt_name n) {
    static const char *days[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
    static const char *long_days[] = { "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday" };
    for (int i = 0; i < 7; i++)
        if (strcasecmp(n.text, days[i]) == 0 || strcasecmp(n.text, long_days[i]) == 0) return i;
    vt_diag *g = vt_pctx_error(c, VT_E001, n.span, "`%s` is not a day of the week", n.text);
    if (g) vt_diag_hint(g, c->d, "write Mon, Tue, Wed, Thu, Fri, Sat or Sun");
    return 0;
}

