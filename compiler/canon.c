/* Canonical text of conditions and steps (see canon.h). */
#include "canon.h"
#include "../common/mem.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void grow(vt_sbuf *b, size_t extra) {
    if (b->oom) return;
    if (VT_GROW(b->p, b->cap, b->n + extra + 1) < 0) b->oom = 1;
}

void vt_sbuf_puts(vt_sbuf *b, const char *s) {
    if (!s) s = "";
    size_t n = strlen(s);
    grow(b, n);
    if (b->oom) return;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

void vt_sbuf_printf(vt_sbuf *b, const char *fmt, ...) {
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) { vt_sbuf_puts(b, small); return; }
    grow(b, (size_t)n);
    if (b->oom) return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

void vt_sbuf_free(vt_sbuf *b) {
    vt_free(b->p);
    memset(b, 0, sizeof *b);
}

const char *vt_sbuf_str(vt_sbuf *b) { return b->p ? b->p : ""; }

static const char *name_text(const vt_name *n) { return n->text ? n->text : ""; }

static int is_literal(const vt_expr *e) {
    switch (e->kind) {
    case VT_E_BOOL: case VT_E_INT: case VT_E_NUMBER: case VT_E_MONEY: case VT_E_STRING:
    case VT_E_DURATION: case VT_E_TIMESTAMP: case VT_E_TIME_OF_DAY: case VT_E_MONTH_DAY:
        return 1;
    case VT_E_UNARY: return e->u.unary.op == VT_OP_NEG && is_literal(e->u.unary.e);
    default: return 0;
    }
}

static vt_binop mirror(vt_binop op) {
    switch (op) {
    case VT_OP_LT: return VT_OP_GT;
    case VT_OP_LE: return VT_OP_GE;
    case VT_OP_GT: return VT_OP_LT;
    case VT_OP_GE: return VT_OP_LE;
    default: return op;
    }
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Collects the operands of a chain of one operator (a and (b and c)). */
static void flatten(const vt_expr *e, vt_binop op, const vt_expr ***v, size_t *n, size_t *cap, int *oom) {
    if (e->kind == VT_E_BINARY && e->u.bin.op == op) {
        flatten(e->u.bin.l, op, v, n, cap, oom);
        flatten(e->u.bin.r, op, v, n, cap, oom);
        return;
    }
    if (VT_GROW(*v, *cap, *n + 1) < 0) { *oom = 1; return; }
    (*v)[(*n)++] = e;
}

static void canon_chain(vt_sbuf *b, const vt_expr *e) {
    vt_binop op = e->u.bin.op;
    const vt_expr **ops = NULL;
    size_t n = 0, cap = 0;
    int oom = 0;
    flatten(e, op, &ops, &n, &cap, &oom);
    char **texts = oom ? NULL : vt_calloc(n ? n : 1, sizeof *texts);
    if (!texts) { b->oom = 1; vt_free(ops); return; }
    for (size_t i = 0; i < n; i++) {
        vt_sbuf t = {0};
        vt_canon_expr(&t, ops[i]);
        if (t.oom) b->oom = 1;
        texts[i] = t.p ? t.p : NULL;
        if (!texts[i]) texts[i] = vt_strdup("");
        if (!texts[i]) b->oom = 1;
    }
    if (!b->oom) qsort(texts, n, sizeof *texts, cmp_str);
    vt_sbuf_printf(b, "(%s", op == VT_OP_AND ? "and" : "or");
    for (size_t i = 0; i < n; i++) {
        /* Duplicated operands (a and a) add nothing. */
        if (i && texts[i] && texts[i - 1] && strcmp(texts[i], texts[i - 1]) == 0) continue;
        vt_sbuf_puts(b, " ");
        vt_sbuf_puts(b, texts[i]);
    }
    vt_sbuf_puts(b, ")");
    for (size_t i = 0; i < n; i++) vt_free(texts[i]);
    vt_free(texts);
    vt_free(ops);
}

static void canon_hist(vt_sbuf *b, const vt_expr *e) {
    static const char *const aggs[] = {"count", "sum", "min", "max", "avg"};
    switch (e->kind) {
    case VT_E_AGGREGATE: vt_sbuf_printf(b, "(%s ", aggs[e->u.hist.agg]); break;
    case VT_E_LAST_FIRST: vt_sbuf_puts(b, e->u.hist.last ? "(last " : "(first "); break;
    case VT_E_SINCE: vt_sbuf_puts(b, "(since "); break;
    case VT_E_WITHIN: vt_sbuf_puts(b, "(count "); break;   /* E within D is count(E within D) > 0 */
    case VT_E_NO_FOR: vt_sbuf_puts(b, "(no "); break;
    default: break;
    }
    vt_sbuf_puts(b, name_text(&e->u.hist.event));
    if (e->u.hist.field.text) vt_sbuf_printf(b, ".%s", e->u.hist.field.text);
    if (e->u.hist.where) {
        vt_sbuf_puts(b, " where ");
        vt_canon_expr(b, e->u.hist.where);
    }
    if (e->u.hist.within) {
        vt_sbuf_puts(b, " within ");
        vt_canon_expr(b, e->u.hist.within);
    }
    vt_sbuf_puts(b, ")");
    if (e->kind == VT_E_WITHIN) vt_sbuf_puts(b, " > 0");
}

void vt_canon_expr(vt_sbuf *b, const vt_expr *e) {
    if (!e) { vt_sbuf_puts(b, "true"); return; }
    switch (e->kind) {
    case VT_E_BOOL: vt_sbuf_puts(b, e->u.b ? "true" : "false"); break;
    case VT_E_INT: vt_sbuf_printf(b, "%lld", (long long)e->u.i); break;
    case VT_E_NUMBER: vt_sbuf_printf(b, "%.17g", e->u.num.v); break;
    case VT_E_MONEY: vt_sbuf_printf(b, "%lld/%d%s", (long long)e->u.money.minor, e->u.money.scale, e->u.money.currency); break;
    case VT_E_STRING:
        vt_sbuf_puts(b, "\"");
        for (uint32_t i = 0; i < e->u.str.nparts; i++) {
            if (e->u.str.parts[i].is_field) vt_sbuf_printf(b, "{%s}", e->u.str.parts[i].text);
            else vt_sbuf_puts(b, e->u.str.parts[i].text);
        }
        vt_sbuf_puts(b, "\"");
        break;
    case VT_E_DURATION: vt_sbuf_printf(b, "%llds", (long long)e->u.dur.seconds); break;
    case VT_E_TIMESTAMP: vt_sbuf_printf(b, "@%lld%s", (long long)e->u.ts.unix_s, e->u.ts.has_zone ? "Z" : ""); break;
    case VT_E_TIME_OF_DAY: vt_sbuf_printf(b, "%02d:%02d", e->u.tod.minutes / 60, e->u.tod.minutes % 60); break;
    case VT_E_MONTH_DAY: vt_sbuf_printf(b, "%02d-%02d", e->u.md.month, e->u.md.day); break;
    case VT_E_NOW: vt_sbuf_puts(b, "now"); break;
    case VT_E_NAME:
        /* `event.amount` and `amount` name the same payload field. */
        if (e->u.name.ref == VT_REF_PAYLOAD && e->u.name.decl && e->u.name.index >= 0 &&
            (uint32_t)e->u.name.index < e->u.name.decl->u.event.n)
            vt_sbuf_printf(b, "%s.%s", name_text(&e->u.name.decl->name),
                           name_text(&e->u.name.decl->u.event.fields[e->u.name.index]->name));
        else
            vt_sbuf_puts(b, name_text(&e->u.name.name));
        break;
    case VT_E_LIST:
        vt_sbuf_puts(b, "[");
        for (uint32_t i = 0; i < e->u.list.n; i++) {
            if (i) vt_sbuf_puts(b, ", ");
            vt_canon_expr(b, e->u.list.items[i]);
        }
        vt_sbuf_puts(b, "]");
        break;
    case VT_E_UNARY:
        if (e->u.unary.op == VT_OP_NOT && e->u.unary.e && e->u.unary.e->kind == VT_E_UNARY &&
            e->u.unary.e->u.unary.op == VT_OP_NOT) {
            vt_canon_expr(b, e->u.unary.e->u.unary.e);
            break;
        }
        vt_sbuf_puts(b, e->u.unary.op == VT_OP_NOT ? "(not " : "(- ");
        vt_canon_expr(b, e->u.unary.e);
        vt_sbuf_puts(b, ")");
        break;
    case VT_E_BINARY: {
        vt_binop op = e->u.bin.op;
        if (op == VT_OP_AND || op == VT_OP_OR) { canon_chain(b, e); break; }
        const vt_expr *l = e->u.bin.l, *r = e->u.bin.r;
        if (l && r && is_literal(l) && !is_literal(r) && op >= VT_OP_EQ && op <= VT_OP_GE) {
            const vt_expr *t = l;
            l = r;
            r = t;
            op = mirror(op);
        }
        vt_sbuf_printf(b, "(%s ", vt_binop_text(op));
        vt_canon_expr(b, l);
        vt_sbuf_puts(b, " ");
        vt_canon_expr(b, r);
        vt_sbuf_puts(b, ")");
        break;
    }
    case VT_E_IS:
        vt_sbuf_puts(b, "(in ");
        vt_canon_expr(b, e->u.is.lifecycle);
        vt_sbuf_printf(b, " [%s])", name_text(&e->u.is.state));
        break;
    case VT_E_IN:
        vt_sbuf_puts(b, "(in ");
        vt_canon_expr(b, e->u.in.e);
        vt_sbuf_puts(b, " ");
        vt_canon_expr(b, e->u.in.list);
        vt_sbuf_puts(b, ")");
        break;
    case VT_E_HAS_TAG:
        vt_sbuf_puts(b, "(has-tag ");
        vt_canon_expr(b, e->u.has_tag.tag);
        vt_sbuf_puts(b, ")");
        break;
    case VT_E_CALL:
        vt_sbuf_printf(b, "(call %s", name_text(&e->u.call.fn));
        for (uint32_t i = 0; i < e->u.call.nargs; i++) {
            vt_sbuf_puts(b, " ");
            vt_canon_expr(b, e->u.call.args[i]);
        }
        vt_sbuf_puts(b, ")");
        break;
    case VT_E_AGGREGATE: case VT_E_LAST_FIRST: case VT_E_SINCE: case VT_E_WITHIN: case VT_E_NO_FOR:
        canon_hist(b, e);
        break;
    }
}

static void canon_target(vt_sbuf *b, const vt_target *t) {
    vt_sbuf_puts(b, t->is_owner ? "owner" : name_text(&t->team));
}

static void canon_stmt(vt_sbuf *b, const vt_stmt *s);

void vt_canon_block(vt_sbuf *b, const vt_block *blk) {
    vt_sbuf_puts(b, "{");
    for (uint32_t i = 0; blk && i < blk->n; i++) {
        vt_sbuf_puts(b, " ");
        canon_stmt(b, blk->items[i]);
        vt_sbuf_puts(b, ";");
    }
    vt_sbuf_puts(b, " }");
}

/* An if whose every branch (an absent else being an empty one) does the same. */
static int if_is_uniform(const vt_stmt *s, int *oom) {
    const vt_if_arm *arms = s->u.if_.arms;
    uint32_t n = s->u.if_.narms;
    if (n == 0) return 1;
    int has_else = arms[n - 1].cond == NULL;
    vt_block empty = {0};
    for (uint32_t i = 1; i < n; i++)
        if (!vt_canon_block_equal(&arms[0].body, &arms[i].body, oom)) return 0;
    return has_else || vt_canon_block_equal(&arms[0].body, &empty, oom);
}

static void canon_stmt(vt_sbuf *b, const vt_stmt *s) {
    switch (s->kind) {
    case VT_S_SET:
    case VT_S_ADD:
        vt_sbuf_printf(b, "%s %s ", s->kind == VT_S_SET ? "set" : s->u.set.minus ? "sub" : "add",
                       name_text(&s->u.set.field));
        vt_canon_expr(b, s->u.set.value);
        break;
    case VT_S_TAG:
    case VT_S_UNTAG:
        vt_sbuf_puts(b, s->kind == VT_S_TAG ? "tag " : "untag ");
        vt_canon_expr(b, s->u.tag.tag);
        break;
    case VT_S_IF:
        if (if_is_uniform(s, &b->oom)) {   /* a decision that changes nothing is just its body */
            if (s->u.if_.narms) vt_canon_block(b, &s->u.if_.arms[0].body);
            break;
        }
        vt_sbuf_puts(b, "if");
        for (uint32_t i = 0; i < s->u.if_.narms; i++) {
            vt_sbuf_puts(b, " ");
            vt_canon_expr(b, s->u.if_.arms[i].cond);
            vt_sbuf_puts(b, " ");
            vt_canon_block(b, &s->u.if_.arms[i].body);
        }
        break;
    case VT_S_SEND:
        vt_sbuf_printf(b, "send %s ", name_text(&s->u.send.channel));
        vt_canon_expr(b, s->u.send.template_);
        break;
    case VT_S_TASK:
    case VT_S_NOTIFY:
        vt_sbuf_puts(b, s->kind == VT_S_TASK ? "task " : "notify ");
        canon_target(b, &s->u.task.to);
        vt_sbuf_puts(b, " ");
        vt_canon_expr(b, s->u.task.text);
        if (s->u.task.due) {
            vt_sbuf_puts(b, " due ");
            vt_canon_expr(b, s->u.task.due);
        }
        break;
    case VT_S_ESCALATE:
        vt_sbuf_puts(b, "escalate ");
        if (s->u.escalate.text) vt_canon_expr(b, s->u.escalate.text);
        break;
    case VT_S_ASSIGN: vt_sbuf_printf(b, "assign %s", name_text(&s->u.assign.team)); break;
    case VT_S_MOVE: vt_sbuf_printf(b, "move %s", name_text(&s->u.move.state)); break;
    case VT_S_WAIT:
        vt_sbuf_puts(b, "wait ");
        vt_canon_expr(b, s->u.wait.dur);
        break;
    case VT_S_WAIT_UNTIL:
        vt_sbuf_puts(b, "wait-until ");
        vt_canon_expr(b, s->u.wait_until.cond);
        vt_sbuf_puts(b, " ");
        vt_canon_expr(b, s->u.wait_until.dur);
        vt_sbuf_puts(b, " ");
        vt_canon_block(b, &s->u.wait_until.else_);
        break;
    case VT_S_REPEAT:
        vt_sbuf_printf(b, "repeat %lld ", (long long)s->u.repeat.count);
        vt_canon_block(b, &s->u.repeat.body);
        break;
    case VT_S_SPLIT:
        vt_sbuf_puts(b, "split");
        for (uint32_t i = 0; i < s->u.split.narms; i++) {
            vt_sbuf_printf(b, " %d ", s->u.split.arms[i].percent);
            vt_canon_block(b, &s->u.split.arms[i].body);
        }
        break;
    case VT_S_STOP: vt_sbuf_puts(b, "stop"); break;
    default: vt_sbuf_printf(b, "test-step %d", (int)s->kind); break;
    }
}

int vt_canon_block_equal(const vt_block *a, const vt_block *b, int *oom) {
    vt_sbuf x = {0}, y = {0};
    vt_canon_block(&x, a);
    vt_canon_block(&y, b);
    if (x.oom || y.oom) *oom = 1;
    int eq = !x.oom && !y.oom && strcmp(vt_sbuf_str(&x), vt_sbuf_str(&y)) == 0;
    vt_sbuf_free(&x);
    vt_sbuf_free(&y);
    return eq;
}
