/* Check-time binding of extern functions (externs.h). The library is opened and the
 * symbol looked up exactly as the runtime will (runtime/native.c), so a flow that
 * checks clean also loads. */
#include "externs.h"
#include "../runtime/native.h"
#include "../runtime/program.h"
#include <dlfcn.h>
#include <string.h>

static const char *const native_types = "native functions take and return bool, int, number and text (docs/native.md)";

/* The C symbol: the declared name, without the `use ... as PREFIX.` of a template. */
static const char *symbol_of(const vt_decl *d) {
    const char *dot = strrchr(d->name.text, '.');
    return dot ? dot + 1 : d->name.text;
}

/* Money, time and duration parse as types but have no C form here; team, state and
 * the like are already refused by the type checker (E046). */
static bool no_c_form(vt_type_kind k) { return k == VT_T_MONEY || k == VT_T_TIME || k == VT_T_DURATION; }

static int check_signature(vt_unit *u, const vt_decl *d) {
    int errs = 0;
    if (d->u.ext.nparams > VT_MAX_EXTERN_ARGS) {
        vt_diag *g = vt_diag_report(u->diags, VT_E034, d->name.span, "`%s` takes %u values; a native function takes at most %d",
                                    d->name.text, d->u.ext.nparams, VT_MAX_EXTERN_ARGS);
        vt_diag_hint(g, u->diags, "pass fewer values (combine them in the C function's caller, or split the function)");
        errs++;
    }
    for (uint32_t i = 0; i < d->u.ext.nparams; i++) {
        if (!no_c_form(d->u.ext.params[i].kind)) continue;
        vt_diag *g = vt_diag_report(u->diags, VT_E034, d->u.ext.params[i].span, "a native function cannot take a %s value",
                                    vt_type_kind_name(d->u.ext.params[i].kind));
        vt_diag_hint(g, u->diags, "%s", native_types);
        errs++;
    }
    if (no_c_form(d->u.ext.ret.kind)) {
        vt_diag *g = vt_diag_report(u->diags, VT_E034, d->u.ext.ret.span, "a native function cannot return a %s value",
                                    vt_type_kind_name(d->u.ext.ret.kind));
        vt_diag_hint(g, u->diags, "%s", native_types);
        errs++;
    }
    return errs;
}

static int check_binding(vt_unit *u, const vt_decl *d, const char *const *dirs) {
    const char *lib = d->u.ext.lib, *sym = symbol_of(d);
    char path[4096], where[2048];
    vt_native_where w = vt_native_find(lib, dirs, path, sizeof path);
    if (w != VT_NATIVE_FOUND) {
        vt_native_dirs_text(dirs, where, sizeof where);
        vt_diag *g;
        if (w == VT_NATIVE_BAD_NAME) {
            g = vt_diag_report(u->diags, VT_E058, d->u.ext.lib_span, "\"%s\" is not a library name: a flow names a library, never a path", lib);
            vt_diag_hint(g, u->diags, "write from \"mylib\" to load libmylib.so, and allow the directory that holds it with "
                                      "--allow-native DIR (searched now: %s)", where);
        } else {
            g = vt_diag_report(u->diags, VT_E058, d->u.ext.lib_span, "the native library lib%s.so is not in an allowed directory", lib);
            vt_diag_hint(g, u->diags, "searched: %s; put the library there, or allow the directory that holds it with "
                                      "--allow-native DIR", where);
        }
        return 1;
    }
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        vt_diag *g = vt_diag_report(u->diags, VT_E034, d->u.ext.lib_span, "the native library %s cannot be loaded: %s", path,
                                    why ? why : "unknown error");
        vt_diag_hint(g, u->diags, "rebuild it as a shared library for this machine (docs/native.md)");
        return 1;
    }
    dlerror();
    void *f = dlsym(h, sym);
    dlclose(h);
    if (f) return 0;
    vt_diag *g = vt_diag_report(u->diags, VT_E034, d->name.span, "the native library lib%s.so has no function `%s`", lib, sym);
    vt_diag_hint(g, u->diags, "check the name against the library's documentation (%s); a C function must be exported "
                              "with default visibility to be called", path);
    return 1;
}

int vt_externs_check(vt_unit *u, const char *const *dirs) {
    int errs = 0;
    for (uint32_t i = 0; i < u->externs.n; i++) {
        const vt_decl *d = u->externs.items[i];
        if (!d || d->kind != VT_D_EXTERN || !d->name.text || !d->u.ext.lib) continue;
        errs += check_signature(u, d);
        errs += check_binding(u, d, dirs);
    }
    return errs;
}
