/* Compilation units: parsing files into modules. (Resolution is in resolve*.c.) */
#include "parse_ctx.h"
#include "common/mem.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* E007 findings reported per file: one bad encoding usually means the whole file was
 * saved in another character set, so a handful of places is enough to show it. */
enum { VT_MAX_ENCODING_ERRORS = 5 };

void vt_unit_init(vt_unit *u, vt_sources *sources, vt_diags *diags) {
    memset(u, 0, sizeof *u);
    vt_arena_init(&u->arena);
    u->sources = sources;
    u->diags = diags;
#ifdef VT_STDLIB_DIR
    u->stdlib_dir = VT_STDLIB_DIR;
#endif
}

void vt_unit_free(vt_unit *u) {
    vt_free(u->modules);
    vt_arena_free(&u->arena);
    u->modules = NULL;
    u->nmodules = u->cap_modules = 0;
}

vt_diag *vt_pctx_error(vt_pctx *c, vt_code code, vt_span sp, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    c->nerrors++;
    if (code != VT_E001 && code != VT_E008) vt_pctx_mark_line(c, sp);
    return vt_diag_report(c->d, code, sp, "%s", buf);
}

void vt_pctx_mark_line(vt_pctx *c, vt_span sp) {
    uint32_t a = sp.start < c->len ? sp.start : c->len, b = a;
    while (a > 0 && c->src[a - 1] != '\n') a--;
    while (b < c->len && c->src[b] != '\n') b++;
    c->lex_err_from = a;
    c->lex_err_to = b + 1;
}

void *vt_pctx_alloc(vt_pctx *c, size_t n) {
    void *p = vt_arena_alloc(c->a, n);
    if (p) return p;
    c->oom = true;
    memset(&c->scratch, 0, sizeof c->scratch);
    return n <= sizeof c->scratch ? (void *)&c->scratch : NULL;
}

void *vt_pctx_array(vt_pctx *c, size_t n) {
    if (c->oom) return NULL;
    void *p = vt_arena_alloc(c->a, n);
    if (!p) c->oom = true;
    return p;
}

char *vt_pctx_strndup(vt_pctx *c, const char *s, size_t n) {
    char *p = vt_arena_strndup(c->a, s, n);
    if (p) return p;
    c->oom = true;
    return (char *)"";
}

/* Length of a valid UTF-8 sequence at s[0..n), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
    if (s[0] < 0x80) return 1;
    size_t len;
    uint32_t cp;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) { len = 2; cp = s[0] & 0x1F; }
    else if (s[0] >= 0xE0 && s[0] <= 0xEF) { len = 3; cp = s[0] & 0x0F; }
    else if (s[0] >= 0xF0 && s[0] <= 0xF4) { len = 4; cp = s[0] & 0x07; }
    else return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return len;
}

/* Reports every byte that is not part of valid UTF-8 (up to a few per file). */
static void check_encoding(vt_pctx *c) {
    const unsigned char *s = (const unsigned char *)c->src;
    int reported = 0;
    for (uint32_t i = 0; i < c->len;) {
        if (s[i] < 0x80) { i++; continue; }
        size_t l = utf8_seq(s + i, c->len - i);
        if (l) { i += (uint32_t)l; continue; }
        if (reported < VT_MAX_ENCODING_ERRORS) {
            vt_diag *g = vt_pctx_error(c, VT_E007, (vt_span){ c->file, i, i + 1 },
                                       "byte 0x%02X is not valid UTF-8 text", s[i]);
            if (g) vt_diag_hint(g, c->d, "save the file as UTF-8");
        }
        reported++;
        i++;
    }
}

vt_module *vt_parse(vt_unit *u, uint32_t file) {
    if (!u->sources || file >= u->sources->n) return NULL;
    vt_source *src = &u->sources->v[file];
    vt_pctx *c = vt_calloc(1, sizeof *c);   /* holds a jmp_buf and scratch nodes */
    if (!c) return NULL;
    c->u = u;
    c->a = &u->arena;
    c->d = u->diags;
    c->src = src->text;
    c->len = src->len;
    c->file = file;
    c->max_depth = u->max_depth ? u->max_depth : VT_DEFAULT_MAX_DEPTH;

    check_encoding(c);
    c->lex_err_from = c->lex_err_to = 0;    /* the scanner marks the bad bytes' lines again */

    void *scanner = NULL;
    int rc = 2;
    if (setjmp(c->oom_jmp) == 0) {
        if (vt_lex_begin(c, &scanner) == 0) {
            rc = vt_parse_run(scanner, c);
            vt_lex_end(scanner);
        } else {
            c->oom = true;
            vt_lex_abandon(c);
        }
    } else {
        /* the scanner ran out of memory: nothing it holds can be trusted to free itself */
        c->oom = true;
        vt_lex_abandon(c);
    }
    if (rc == 2 && !c->too_deep) c->oom = true;

    vt_module *m = NULL;
    if (!c->oom) m = vt_arena_alloc(&u->arena, sizeof *m);
    if (m) {
        m->file = file;
        m->path = src->path;
        m->decls = (vt_decl **)c->decls.items;
        m->ndecls = c->decls.n;
        m->ncomments = c->comments.n;
        m->comments = c->comments.n ? vt_arena_alloc(&u->arena, sizeof *m->comments * c->comments.n) : NULL;
        if (c->comments.n && !m->comments) m = NULL;
    }
    if (m) {
        for (uint32_t i = 0; i < c->comments.n; i++) m->comments[i] = *(vt_comment *)c->comments.items[i];
        m->parse_failed = c->nerrors > 0 || rc != 0;
        size_t cap = u->cap_modules;
        if (u->nmodules == UINT32_MAX || VT_GROW(u->modules, cap, (size_t)u->nmodules + 1) < 0) m = NULL;
        else { u->cap_modules = (uint32_t)cap; u->modules[u->nmodules++] = m; }
    }
    vt_free(c);
    return m;
}

int vt_unit_parse_root(vt_unit *u, const char *path) {
    int idx = vt_sources_load(u->sources, path);
    if (idx < 0) {
        int err = errno;
        struct stat st;
        const char *why = stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? "it is a directory" : strerror(err);
        vt_diag_report(u->diags, VT_E009, (vt_span){ 0, 0, 0 }, "cannot read %s: %s", path, why);
        return -1;
    }
    if (!vt_parse(u, (uint32_t)idx)) {
        vt_diag_report(u->diags, VT_E009, (vt_span){ (uint32_t)idx, 0, 0 }, "cannot parse %s: out of memory", path);
        return -1;
    }
    return 0;
}
