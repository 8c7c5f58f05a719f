/* AST builders and the names of AST enums used in messages. */
#include "ast.h"
#include <string.h>

int vt_list_push(vt_arena *a, vt_list *l, void *p) {
    if (l->n == l->cap) {
        /* Arena arrays cannot grow in place: copy into one twice the size (the old one
         * is reclaimed with the arena; doubling keeps the waste under half). */
        uint32_t cap = l->cap ? l->cap * 2 : 4;
        if (cap < l->cap) return -1;
        void **items = vt_arena_alloc(a, sizeof *items * cap);
        if (!items) return -1;
        if (l->n) memcpy(items, l->items, sizeof *items * l->n);
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = p;
    return 0;
}

vt_expr *vt_ast_expr(vt_arena *a, vt_expr_kind k, vt_span span) {
    vt_expr *e = vt_arena_alloc(a, sizeof *e);
    if (!e) return NULL;
    e->kind = k;
    e->span = span;
    return e;
}

vt_stmt *vt_ast_stmt(vt_arena *a, vt_stmt_kind k, vt_span span) {
    vt_stmt *s = vt_arena_alloc(a, sizeof *s);
    if (!s) return NULL;
    s->kind = k;
    s->span = span;
    return s;
}

vt_decl *vt_ast_decl(vt_arena *a, vt_decl_kind k, vt_span span) {
    vt_decl *d = vt_arena_alloc(a, sizeof *d);
    if (!d) return NULL;
    d->kind = k;
    d->span = span;
    return d;
}

const char *vt_type_kind_name(vt_type_kind k) {
    switch (k) {
    case VT_T_ERROR: return "unknown";
    case VT_T_BOOL: return "bool";
    case VT_T_INT: return "int";
    case VT_T_NUMBER: return "number";
    case VT_T_MONEY: return "money";
    case VT_T_TEXT: return "text";
    case VT_T_TIME: return "time";
    case VT_T_DURATION: return "duration";
    case VT_T_TEAM: return "team";
    case VT_T_STATE: return "state";
    case VT_T_LIST: return "list";
    case VT_T_TAGS: return "tags";
    }
    return "unknown";
}

const char *vt_decl_kind_name(vt_decl_kind k) {
    switch (k) {
    case VT_D_FLOW: return "flow header";
    case VT_D_TIMEZONE: return "timezone";
    case VT_D_IMPORT: return "import";
    case VT_D_TEAM: return "team";
    case VT_D_CONTACT: return "contact schema";
    case VT_D_EVENT: return "event";
    case VT_D_CHANNEL: return "channel";
    case VT_D_ON: return "on rule";
    case VT_D_TRUTH: return "truth";
    case VT_D_SEGMENT: return "segment";
    case VT_D_LIFECYCLE: return "lifecycle";
    case VT_D_TRANSITION: return "transition";
    case VT_D_WORKFLOW: return "workflow";
    case VT_D_EXTERN: return "extern function";
    case VT_D_TEMPLATE: return "template";
    case VT_D_USE: return "template use";
    case VT_D_TEST: return "test";
    case VT_D_MIGRATE: return "state migration";
    }
    return "declaration";
}

const char *vt_binop_text(vt_binop op) {
    switch (op) {
    case VT_OP_AND: return "and";
    case VT_OP_OR: return "or";
    case VT_OP_EQ: return "==";
    case VT_OP_NE: return "!=";
    case VT_OP_LT: return "<";
    case VT_OP_LE: return "<=";
    case VT_OP_GT: return ">";
    case VT_OP_GE: return ">=";
    case VT_OP_ADD: return "+";
    case VT_OP_SUB: return "-";
    case VT_OP_MUL: return "*";
    case VT_OP_DIV: return "/";
    case VT_OP_CONTAINS: return "contains";
    case VT_OP_STARTS_WITH: return "starts with";
    case VT_OP_ENDS_WITH: return "ends with";
    case VT_OP_MATCHES: return "matches";
    }
    return "?";
}

vt_span vt_span_join(vt_span a, vt_span b) {
    vt_span r = a;
    if (b.start < r.start) r.start = b.start;
    if (b.end > r.end) r.end = b.end;
    return r;
}
