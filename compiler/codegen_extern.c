/* Calls of extern functions (SPEC §8): the arguments, then CALL_EXTERN with the count and
 * an index into the program's externs table, which records each function called (C
 * symbol, library, signature) once, for the runtime to bind when it loads the program. */
#include "codegen_internal.h"
#include <string.h>

/* The C symbol: the declared name without a template instance's `PREFIX.`. */
static const char *symbol_of(const vt_decl *d) {
    const char *dot = strrchr(d->name.text, '.');
    return dot ? dot + 1 : d->name.text;
}

static bool same_str(const cg *g, uint32_t off, const char *s) { return strcmp(g->p->strings + off, s) == 0; }

static int32_t extern_index(cg *g, const vt_decl *d, vt_span at) {
    vt_pextern k;
    memset(&k, 0, sizeof k);
    if (d->u.ext.nparams > VT_MAX_EXTERN_ARGS) {
        cg_fail(g, at, "`%s` takes %u values; a native function takes at most %d", d->name.text, d->u.ext.nparams, VT_MAX_EXTERN_ARGS);
        return -1;
    }
    k.nparams = (int32_t)d->u.ext.nparams;
    k.ret = cg_vtype(d->u.ext.ret.kind);
    bool ok = k.ret == VT_V_BOOL || k.ret == VT_V_INT || k.ret == VT_V_NUMBER || k.ret == VT_V_TEXT;
    for (int32_t i = 0; i < k.nparams; i++) {
        k.params[i] = cg_vtype(d->u.ext.params[i].kind);
        ok = ok && (k.params[i] == VT_V_BOOL || k.params[i] == VT_V_INT || k.params[i] == VT_V_NUMBER || k.params[i] == VT_V_TEXT);
    }
    if (!ok) {
        cg_fail(g, at, "`%s`: native functions take and return only bool, int, number and text", d->name.text);
        return -1;
    }
    const char *sym = symbol_of(d), *lib = d->u.ext.lib ? d->u.ext.lib : "";
    for (uint32_t i = 0; i < g->p->nexterns; i++) {
        const vt_pextern *e = &g->p->externs[i];
        if (e->ret == k.ret && e->nparams == k.nparams && !memcmp(e->params, k.params, sizeof k.params) &&
            same_str(g, e->name, sym) && same_str(g, e->lib, lib))
            return (int32_t)i;
    }
    k.name = cg_str(g, sym);
    k.lib = cg_str(g, lib);
    vt_pextern *e = CG_PUSH(g, externs);
    if (!e) return -1;
    *e = k;
    return (int32_t)g->p->nexterns - 1;
}

void cg_call_extern(cg *g, vt_expr *e) {
    const vt_decl *d = e->u.call.decl;
    if (!d || d->kind != VT_D_EXTERN || e->u.call.nargs != d->u.ext.nparams) {
        cg_fail(g, e->span, "call of an unknown or misdeclared function");
        return;
    }
    int32_t x = extern_index(g, d, e->span);
    if (x < 0) return;
    for (uint32_t i = 0; i < e->u.call.nargs; i++) cg_expr(g, e->u.call.args[i]);
    cg_emit(g, VT_I_CALL_EXTERN, e->u.call.nargs, (uint32_t)x, 0);
}
