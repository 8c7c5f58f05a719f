/* Native functions through libffi (native.h): library lookup in the allowed
 * directories, binding at program load, and the call the VM makes for CALL_EXTERN. */
#include "native.h"
#include "program.h"
#include "vm_internal.h"
#include "../common/mem.h"
#include <dlfcn.h>
#include <ffi.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef VT_NATIVE_DIR
#define VT_NATIVE_DIR "stdlib/native"
#endif

typedef struct vt_native_fn {
    void *handle;           /* dlopen reference, closed with the program */
    void *sym;
    ffi_cif cif;
    ffi_type *args[VT_MAX_EXTERN_ARGS];   /* cif points here: lives as long as the cif */
} vt_native_fn;

struct vt_natives {
    vt_native_fn *v;
    uint32_t n;
};

const char *vt_native_stdlib_dir(void) { return VT_NATIVE_DIR; }

bool vt_native_type_ok(int t) { return t == VT_V_BOOL || t == VT_V_INT || t == VT_V_NUMBER || t == VT_V_TEXT; }

const char *vt_native_c_type(int t) {
    switch (t) {
    case VT_V_BOOL: return "int";
    case VT_V_INT: return "int64_t";
    case VT_V_NUMBER: return "double";
    case VT_V_TEXT: return "const char *";
    default: return "?";
    }
}

static ffi_type *ffi_of(int t) {
    switch (t) {
    case VT_V_BOOL: return &ffi_type_sint;
    case VT_V_INT: return &ffi_type_sint64;
    case VT_V_NUMBER: return &ffi_type_double;
    default: return &ffi_type_pointer;
    }
}

/* A bare library name: letters, digits, `_ - + .`, not starting with a dot. Anything
 * with a slash would let a flow reach outside the allowed directories. */
static bool good_name(const char *lib) {
    size_t n = strlen(lib);
    if (n == 0 || n > 200 || lib[0] == '.') return false;
    for (size_t i = 0; i < n; i++) {
        char c = lib[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '-' || c == '+' || c == '.';
        if (!ok) return false;
    }
    return true;
}

static bool try_dir(const char *dir, const char *lib, char *buf, size_t n) {
    if (!dir || !*dir) return false;
    size_t dl = strlen(dir);
    int w = snprintf(buf, n, "%s%slib%s.so", dir, dir[dl - 1] == '/' ? "" : "/", lib);
    if (w < 0 || (size_t)w >= n) return false;
    struct stat st;
    return stat(buf, &st) == 0 && S_ISREG(st.st_mode);
}

vt_native_where vt_native_find(const char *lib, const char *const *dirs, char *buf, size_t n) {
    if (!lib || !good_name(lib)) return VT_NATIVE_BAD_NAME;
    if (try_dir(VT_NATIVE_DIR, lib, buf, n)) return VT_NATIVE_FOUND;
    for (size_t i = 0; dirs && dirs[i]; i++)
        if (try_dir(dirs[i], lib, buf, n)) return VT_NATIVE_FOUND;
    return VT_NATIVE_NOT_FOUND;
}

void vt_native_dirs_text(const char *const *dirs, char *buf, size_t n) {
    size_t w = (size_t)snprintf(buf, n, "%s", VT_NATIVE_DIR);
    for (size_t i = 0; dirs && dirs[i] && w < n; i++) w += (size_t)snprintf(buf + w, n - w, ", %s", dirs[i]);
}

void vt_native_free(vt_natives *n) {
    if (!n) return;
    for (uint32_t i = 0; i < n->n; i++)
        if (n->v[i].handle) dlclose(n->v[i].handle);
    vt_free(n->v);
    vt_free(n);
}

static int refuse(vt_natives *nat, char **error, char *msg) {
    vt_native_free(nat);
    if (error) *error = msg ? msg : vt_msg("out of memory");
    else free(msg);
    return -1;
}

int vt_native_bind(vt_program *p, const char *const *dirs, char **error) {
    if (!p->nexterns) return 0;
    vt_natives *nat = vt_calloc(1, sizeof *nat);
    if (!nat || !(nat->v = vt_calloc(p->nexterns, sizeof *nat->v))) return refuse(nat, error, vt_msg("out of memory binding native functions"));
    nat->n = p->nexterns;
    for (uint32_t i = 0; i < p->nexterns; i++) {
        const vt_pextern *e = &p->externs[i];
        const char *name = vt_pstr(p, e->name), *lib = vt_pstr(p, e->lib);
        char path[4096], where[2048];
        vt_native_where w = vt_native_find(lib, dirs, path, sizeof path);
        if (w != VT_NATIVE_FOUND) {
            vt_native_dirs_text(dirs, where, sizeof where);
            if (w == VT_NATIVE_BAD_NAME)
                return refuse(nat, error, vt_msg("native function `%s`: \"%s\" is not a library name; name the library "
                                                 "(from \"mylib\" for libmylib.so) and allow its directory with "
                                                 "--allow-native DIR", name, lib));
            return refuse(nat, error, vt_msg("native function `%s`: lib%s.so is not in an allowed directory (searched: %s); "
                                             "allow its directory with --allow-native DIR", name, lib, where));
        }
        vt_native_fn *f = &nat->v[i];
        f->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!f->handle) {
            const char *why = dlerror();
            return refuse(nat, error, vt_msg("native function `%s`: cannot load %s: %s", name, path, why ? why : "unknown error"));
        }
        dlerror();
        f->sym = dlsym(f->handle, name);
        if (!f->sym) return refuse(nat, error, vt_msg("native function `%s`: %s has no function of that name", name, path));
        for (int32_t k = 0; k < e->nparams; k++) f->args[k] = ffi_of(e->params[k]);
        if (ffi_prep_cif(&f->cif, FFI_DEFAULT_ABI, (unsigned)e->nparams, ffi_of(e->ret), f->args) != FFI_OK)
            return refuse(nat, error, vt_msg("native function `%s`: libffi cannot prepare its call", name));
    }
    p->natives = nat;
    return 0;
}

int vt_native_call(vt_vm *vm, uint32_t x, const vt_cell *args, vt_cell *out) {
    const vt_program *p = vm->p;
    const vt_natives *nat = p->natives;
    if (!nat || x >= nat->n) return vt_fail(vm, "native function %u is not bound", x);
    const vt_pextern *e = &p->externs[x];
    vt_native_fn *f = &nat->v[x];
    vt_cell r;
    memset(&r, 0, sizeof r);
    /* One pass for the room the text arguments need, so the buffer grows at most once. */
    size_t need = 0;
    for (int32_t i = 0; i < e->nparams; i++)
        if (e->params[i] == VT_V_TEXT) need += (args[i].t == VT_V_TEXT ? args[i].len : 0) + 1u;
    if (need > vm->ncap && vt_grow((void **)&vm->nbuf, &vm->ncap, need, 1) != 0)
        return vt_fail(vm, "out of memory calling native function %s", vt_pstr(p, e->name));
    union { int b; int64_t i; double d; const char *s; } val[VT_MAX_EXTERN_ARGS];
    void *avals[VT_MAX_EXTERN_ARGS];
    char *w = vm->nbuf;
    for (int32_t i = 0; i < e->nparams; i++) {
        const vt_cell *a = &args[i];
        switch (e->params[i]) {
        case VT_V_TEXT: {
            uint32_t len = a->t == VT_V_TEXT ? a->len : 0;
            if (len) memcpy(w, a->u.s, len);
            w[len] = 0;
            val[i].s = w;
            w += len + 1u;
            break;
        }
        case VT_V_BOOL:
            if (a->t != VT_V_BOOL) goto null_result;
            val[i].b = a->u.i != 0;
            break;
        case VT_V_INT:
            if (a->t != VT_V_INT) goto null_result;
            val[i].i = a->u.i;
            break;
        default:    /* number: an int argument widens, as the type checker allows */
            if (a->t == VT_V_INT) val[i].d = (double)a->u.i;
            else if (a->t == VT_V_NUMBER) val[i].d = a->u.d;
            else goto null_result;
            break;
        }
        avals[i] = &val[i];
    }
    /* Integral results narrower than a register come back widened to ffi_arg. */
    union { ffi_arg a; ffi_sarg s; int64_t i; double d; const char *p; } res;
    memset(&res, 0, sizeof res);
    ffi_call(&f->cif, FFI_FN(f->sym), &res, e->nparams ? avals : NULL);
    switch (e->ret) {
    case VT_V_BOOL: r.t = VT_V_BOOL; r.u.i = (int)res.s != 0; break;
    case VT_V_INT: r.t = VT_V_INT; r.u.i = res.i; break;
    case VT_V_NUMBER:
        if (!isnan(res.d)) { r.t = VT_V_NUMBER; r.u.d = res.d; }
        break;
    default: {
        /* Valid only until the library's next call on this thread: copy it now. Like
         * interpolated text, it is cut where the vm's text buffer ends. */
        size_t room = VT_SBUF - vm->slen, n = res.p ? strnlen(res.p, room) : 0;
        if (n) memcpy(vm->sbuf + vm->slen, res.p, n);
        r.t = VT_V_TEXT;
        r.u.s = vm->sbuf + vm->slen;
        r.len = (uint32_t)n;
        vm->slen += n;
        break;
    }
    }
null_result:
    *out = r;
    return 0;
}
