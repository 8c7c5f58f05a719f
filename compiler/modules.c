/* Imports (SPEC §3): `import "std/x"` loads STDLIB_DIR/x.flow, `import "./x.flow"` a
 * file beside the importing one. Each module is loaded once, however many import it;
 * a cycle is an error naming the chain (E031), a missing file E030. */
#include "resolve_internal.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#ifndef VT_STDLIB_DIR
#define VT_STDLIB_DIR "stdlib"
#endif

/* Makes room for module m in the per-module arrays. */
static int ensure_mod(vt_rctx *c, uint32_t m) {
    if (m < c->cap_mod) return 0;
    uint32_t ncap = c->cap_mod ? c->cap_mod * 2 : 8;
    while (ncap <= m) ncap *= 2;
    char **rp = vt_arena_alloc(c->a, ncap * sizeof *rp);
    vt_list *imp = vt_arena_alloc(c->a, ncap * sizeof *imp);
    if (!rp || !imp) return -1;
    if (c->cap_mod) {
        memcpy(rp, c->realpaths, c->cap_mod * sizeof *rp);
        memcpy(imp, c->importers, c->cap_mod * sizeof *imp);
    }
    c->realpaths = rp, c->importers = imp, c->cap_mod = ncap;
    return 0;
}

int vt_mod_of_file(vt_rctx *c, uint32_t file) {
    for (uint32_t m = 0; m < c->u->nmodules; m++)
        if (c->u->modules[m]->file == file) return (int)m;
    return -1;
}

/* The file an import names, as a path to open (arena). */
static char *import_path(vt_rctx *c, vt_module *from, const char *spec) {
    if (!strncmp(spec, "std/", 4)) {
        const char *dir = c->u->stdlib_dir ? c->u->stdlib_dir : VT_STDLIB_DIR;
        size_t n = strlen(spec);
        bool has_ext = n > 5 && !strcmp(spec + n - 5, ".flow");
        return vt_arena_printf(c->a, "%s/%s%s", dir, spec + 4, has_ext ? "" : ".flow");
    }
    if (spec[0] == '/') return vt_arena_strdup(c->a, spec);
    const char *slash = from->path ? strrchr(from->path, '/') : NULL;
    if (!slash) return vt_arena_strdup(c->a, spec);
    if (spec[0] == '.' && spec[1] == '/') spec += 2;
    return vt_arena_printf(c->a, "%.*s/%s", (int)(slash - from->path), from->path, spec);
}

static char *canonical(vt_rctx *c, const char *path) {
    char buf[PATH_MAX];
    if (!realpath(path, buf)) return NULL;
    return vt_arena_strdup(c->a, buf);
}

/* The modules being loaded, innermost last, to name a cycle. */
typedef struct { uint32_t *mods; uint32_t n, cap; } mod_stack;

/* state of module m: 0 not visited, 1 being loaded (on the stack), 2 done. */
typedef struct { unsigned char *v; uint32_t cap; } state_vec;

static void load_imports(vt_rctx *c, uint32_t m, mod_stack *st, state_vec *sv);

static const char *base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Names the chain by file names: "a.flow -> b.flow -> a.flow". */
static void report_cycle(vt_rctx *c, vt_decl *imp, mod_stack *st, uint32_t target) {
    uint32_t from = 0;
    for (uint32_t i = 0; i < st->n; i++)
        if (st->mods[i] == target) from = i;
    size_t len = strlen(base_name(c->u->modules[target]->path)) + 1;
    for (uint32_t i = from; i < st->n; i++) len += strlen(base_name(c->u->modules[st->mods[i]]->path)) + 4;
    char *chain = vt_arena_alloc(c->a, len);
    if (!chain) return;
    for (uint32_t i = from; i < st->n; i++) {
        strcat(chain, base_name(c->u->modules[st->mods[i]]->path));
        strcat(chain, " -> ");
    }
    strcat(chain, base_name(c->u->modules[target]->path));
    vt_diag *g = vt_rs_report(c, VT_E031, imp->u.import.path_span, "modules import each other in a cycle: %s", chain);
    vt_diag_hint(g, c->u->diags, "move what both need into a third module that imports neither");
}

static void load_one(vt_rctx *c, vt_decl *imp, uint32_t from, mod_stack *st, state_vec *sv) {
    vt_unit *u = c->u;
    const char *spec = imp->u.import.path;
    if (!spec) return;
    char *path = import_path(c, u->modules[from], spec);
    char *real = path ? canonical(c, path) : NULL;
    if (!real) {
        vt_diag *g = vt_rs_report(c, VT_E030, imp->u.import.path_span, "cannot find module \"%s\"", spec);
        if (!strncmp(spec, "std/", 4))
            vt_diag_hint(g, u->diags, "the standard library has no %s (looked for %s)", spec + 4, path ? path : spec);
        else if (spec[0] != '.' && spec[0] != '/')
            vt_diag_hint(g, u->diags, "write \"std/NAME\" for the standard library, or \"./%s\" for a file beside "
                                      "this one", spec);
        else vt_diag_hint(g, u->diags, "looked for %s", path ? path : spec);
        return;
    }
    for (uint32_t m = 0; m < u->nmodules; m++) {
        if (!c->realpaths[m] || strcmp(c->realpaths[m], real)) continue;
        imp->u.import.module = u->modules[m];
        if (vt_list_push(c->a, &c->importers[m], imp) < 0) u->diags->oom = 1;
        if (m < sv->cap && sv->v[m] == 1) report_cycle(c, imp, st, m);
        return;
    }
    int file = vt_sources_load(u->sources, path);
    if (file < 0) {
        vt_diag *g = vt_rs_report(c, VT_E009, imp->u.import.path_span, "cannot read module \"%s\"", spec);
        vt_diag_hint(g, u->diags, "check that %s is a readable .flow file", path);
        return;
    }
    vt_module *mod = vt_parse(u, (uint32_t)file);
    if (!mod) {
        u->diags->oom = 1;
        return;
    }
    int m = -1;
    for (uint32_t k = 0; k < u->nmodules; k++)
        if (u->modules[k] == mod) m = (int)k;
    if (m < 0 || ensure_mod(c, (uint32_t)m) < 0) return;
    c->realpaths[m] = real;
    imp->u.import.module = mod;
    if (vt_list_push(c->a, &c->importers[m], imp) < 0) u->diags->oom = 1;
    load_imports(c, (uint32_t)m, st, sv);
}

static int push_mod(vt_rctx *c, mod_stack *st, uint32_t m) {
    if (st->n == st->cap) {
        uint32_t ncap = st->cap ? st->cap * 2 : 8;
        uint32_t *nv = vt_arena_alloc(c->a, ncap * sizeof *nv);
        if (!nv) return -1;
        if (st->n) memcpy(nv, st->mods, st->n * sizeof *nv);
        st->mods = nv, st->cap = ncap;
    }
    st->mods[st->n++] = m;
    return 0;
}

static int mark(vt_rctx *c, state_vec *sv, uint32_t m, unsigned char v) {
    if (m >= sv->cap) {
        uint32_t ncap = sv->cap ? sv->cap * 2 : 8;
        while (ncap <= m) ncap *= 2;
        unsigned char *nv = vt_arena_alloc(c->a, ncap);
        if (!nv) return -1;
        if (sv->cap) memcpy(nv, sv->v, sv->cap);
        sv->v = nv, sv->cap = ncap;
    }
    sv->v[m] = v;
    return 0;
}

static void load_imports(vt_rctx *c, uint32_t m, mod_stack *st, state_vec *sv) {
    if (mark(c, sv, m, 1) < 0 || push_mod(c, st, m) < 0) return;
    vt_module *mod = c->u->modules[m];
    for (uint32_t i = 0; i < mod->ndecls; i++)
        if (mod->decls[i]->kind == VT_D_IMPORT) load_one(c, mod->decls[i], m, st, sv);
    st->n--;
    mark(c, sv, m, 2);
}

void vt_mod_load_all(vt_rctx *c) {
    vt_unit *u = c->u;
    if (!u->nmodules || ensure_mod(c, u->nmodules) < 0) return;
    for (uint32_t m = 0; m < u->nmodules; m++) c->realpaths[m] = u->modules[m]->path ? canonical(c, u->modules[m]->path) : NULL;
    mod_stack st = {0};
    state_vec sv = {0};
    load_imports(c, 0, &st, &sv);
}
