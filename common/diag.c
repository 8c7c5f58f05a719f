#include "diag.h"
#include "mem.h"
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const char *const code_names[] = {
#define X(code, sev, slug, title) #code,
    VT_DIAG_CODES(X)
#undef X
};
static const char *const code_slugs[] = {
#define X(code, sev, slug, title) #slug,
    VT_DIAG_CODES(X)
#undef X
};
static const char *const code_titles[] = {
#define X(code, sev, slug, title) title,
    VT_DIAG_CODES(X)
#undef X
};
static const vt_severity code_sevs[] = {
#define X(code, sev, slug, title) VT_SEV_##sev,
    VT_DIAG_CODES(X)
#undef X
};

const char *vt_code_name(vt_code c) { return c < VT_CODE_COUNT ? code_names[c] : "E000"; }
const char *vt_code_slug(vt_code c) { return c < VT_CODE_COUNT ? code_slugs[c] : "unknown"; }
const char *vt_code_title(vt_code c) { return c < VT_CODE_COUNT ? code_titles[c] : ""; }
vt_severity vt_code_default_severity(vt_code c) { return c < VT_CODE_COUNT ? code_sevs[c] : VT_SEV_ERROR; }

vt_code vt_code_by_name(const char *name) {
    for (int i = 0; i < VT_CODE_COUNT; i++)
        if (strcmp(code_names[i], name) == 0) return (vt_code)i;
    return VT_CODE_COUNT;
}

/* ---- sources ---------------------------------------------------------------------- */

int vt_sources_add(vt_sources *s, const char *path, const char *text, size_t len) {
    if (len > UINT32_MAX - 1) { errno = EFBIG; return -1; }
    if (VT_GROW(s->v, s->cap, s->n + 1) < 0) return -1;
    vt_source *src = &s->v[s->n];
    memset(src, 0, sizeof *src);
    src->path = vt_strdup(path);
    src->text = vt_malloc(len + 1);
    if (!src->path || !src->text) {
        vt_free(src->path);
        vt_free(src->text);
        return -1;
    }
    memcpy(src->text, text, len);
    src->text[len] = 0;
    src->len = (uint32_t)len;
    return (int)s->n++;
}

int vt_sources_load(vt_sources *s, const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (VT_GROW(buf, cap, len + 65536) < 0) { vt_free(buf); fclose(f); errno = ENOMEM; return -1; }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) { vt_free(buf); errno = EIO; return -1; }
    int idx = vt_sources_add(s, path, buf ? buf : "", len);
    vt_free(buf);
    return idx;
}

void vt_sources_free(vt_sources *s) {
    for (size_t i = 0; i < s->n; i++) {
        vt_free(s->v[i].path);
        vt_free(s->v[i].text);
        vt_free(s->v[i].line_starts);
    }
    vt_free(s->v);
    memset(s, 0, sizeof *s);
}

static int index_lines(vt_source *src) {
    if (src->line_starts) return 0;
    uint32_t n = 1;
    for (uint32_t i = 0; i < src->len; i++) n += src->text[i] == '\n';
    src->line_starts = vt_malloc(sizeof *src->line_starts * n);
    if (!src->line_starts) return -1;
    uint32_t k = 0;
    src->line_starts[k++] = 0;
    for (uint32_t i = 0; i < src->len; i++)
        if (src->text[i] == '\n') src->line_starts[k++] = i + 1;
    src->nlines = n;
    return 0;
}

void vt_sources_linecol(vt_sources *s, uint32_t file, uint32_t off, uint32_t *line, uint32_t *col) {
    *line = 1;
    *col = 1;
    if (file >= s->n) return;
    vt_source *src = &s->v[file];
    if (off > src->len) off = src->len;
    if (index_lines(src) < 0) return;
    uint32_t lo = 0, hi = src->nlines;
    while (hi - lo > 1) {   /* last line start <= off */
        uint32_t mid = lo + (hi - lo) / 2;
        if (src->line_starts[mid] <= off) lo = mid; else hi = mid;
    }
    *line = lo + 1;
    uint32_t c = 1;  /* columns count code points, not bytes */
    for (uint32_t i = src->line_starts[lo]; i < off; i++)
        if (((unsigned char)src->text[i] & 0xC0) != 0x80) c++;
    *col = c;
}

/* ---- the findings list ------------------------------------------------------------- */

void vt_diags_init(vt_diags *d, vt_sources *sources) {
    memset(d, 0, sizeof *d);
    d->sources = sources;
}

void vt_diags_free(vt_diags *d) {
    for (size_t i = 0; i < d->n; i++) {
        vt_free(d->v[i].message);
        vt_free(d->v[i].hint);
        for (size_t k = 0; k < d->v[i].nnotes; k++) vt_free(d->v[i].notes[k].text);
        vt_free(d->v[i].notes);
    }
    vt_free(d->v);
    d->v = NULL;
    d->n = d->cap = d->nerrors = d->nwarnings = 0;
}

static char *vformat(const char *fmt, va_list ap) {
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0) return NULL;
    char *p = vt_malloc((size_t)n + 1);
    if (p) vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

static vt_severity effective_severity(vt_diags *d, vt_code code) {
    vt_severity s = vt_code_default_severity(code);
    if (s == VT_SEV_WARNING && d->deny_warnings) s = VT_SEV_ERROR;
    return s;
}

vt_diag *vt_diag_report(vt_diags *d, vt_code code, vt_span span, const char *fmt, ...) {
    if (d->max_errors && d->nerrors >= d->max_errors) return NULL;
    if (VT_GROW(d->v, d->cap, d->n + 1) < 0) { d->oom = 1; return NULL; }
    vt_diag *g = &d->v[d->n];
    memset(g, 0, sizeof *g);
    va_list ap;
    va_start(ap, fmt);
    g->message = vformat(fmt, ap);
    va_end(ap);
    if (!g->message) { d->oom = 1; return NULL; }
    g->code = code;
    g->seq = (uint32_t)d->n;
    g->span = span;
    g->sev = effective_severity(d, code);
    g->suppressed = d->allowed[code];
    d->n++;
    if (!g->suppressed) {
        if (g->sev == VT_SEV_ERROR) d->nerrors++;
        else d->nwarnings++;
    }
    return g;
}

void vt_diag_hint(vt_diag *g, vt_diags *d, const char *fmt, ...) {
    if (!g) return;
    va_list ap;
    va_start(ap, fmt);
    char *h = vformat(fmt, ap);
    va_end(ap);
    if (!h) { d->oom = 1; return; }
    vt_free(g->hint);
    g->hint = h;
}

void vt_diag_note(vt_diag *g, vt_diags *d, vt_span span, const char *fmt, ...) {
    if (!g) return;
    vt_diag_related *notes = vt_realloc(g->notes, sizeof *notes * (g->nnotes + 1));
    if (!notes) { d->oom = 1; return; }
    g->notes = notes;
    va_list ap;
    va_start(ap, fmt);
    char *t = vformat(fmt, ap);
    va_end(ap);
    if (!t) { d->oom = 1; return; }
    notes[g->nnotes].span = span;
    notes[g->nnotes].text = t;
    g->nnotes++;
}

/* Is there a `# verity: allow CODE` comment on the line just above `off`? */
static int allowed_by_comment(vt_sources *s, uint32_t file, uint32_t off, vt_code code) {
    if (!s || file >= s->n) return 0;
    vt_source *src = &s->v[file];
    uint32_t line, col;
    vt_sources_linecol(s, file, off, &line, &col);
    if (line < 2 || !src->line_starts) return 0;
    uint32_t a = src->line_starts[line - 2], b = src->line_starts[line - 1];
    const char *t = src->text + a;
    size_t n = b - a;
    const char *mark = "verity: allow";
    for (size_t i = 0; i < n; i++) {
        if (t[i] != '#') continue;
        const char *p = t + i + 1;
        while (p < t + n && *p == ' ') p++;
        if ((size_t)(t + n - p) < strlen(mark) || strncmp(p, mark, strlen(mark)) != 0) return 0;
        p += strlen(mark);
        const char *name = vt_code_name(code);
        size_t len = strlen(name);
        while (p < t + n) {  /* a list: allow V003, V012 */
            while (p < t + n && (*p == ' ' || *p == ',')) p++;
            if ((size_t)(t + n - p) >= len && strncmp(p, name, len) == 0 &&
                (p + len == t + n || !((p[len] >= 'A' && p[len] <= 'Z') || (p[len] >= '0' && p[len] <= '9'))))
                return 1;
            while (p < t + n && *p != ' ' && *p != ',' && *p != '\n') p++;
            if (p < t + n && *p == '\n') break;
        }
        return 0;
    }
    return 0;
}

static int cmp_diag(const void *a, const void *b) {
    const vt_diag *x = a, *y = b;
    if (x->span.file != y->span.file) return x->span.file < y->span.file ? -1 : 1;
    if (x->span.start != y->span.start) return x->span.start < y->span.start ? -1 : 1;
    if (x->code != y->code) return (int)x->code - (int)y->code;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void vt_diags_finish(vt_diags *d) {
    d->nerrors = d->nwarnings = 0;
    for (size_t i = 0; i < d->n; i++) {
        vt_diag *g = &d->v[i];
        if (!g->suppressed && allowed_by_comment(d->sources, g->span.file, g->span.start, g->code))
            g->suppressed = 1;
        if (!g->suppressed) {
            if (g->sev == VT_SEV_ERROR) d->nerrors++;
            else d->nwarnings++;
        }
    }
    /* A total order (seq breaks ties), so output is the same on every run. */
    if (d->n > 1) qsort(d->v, d->n, sizeof *d->v, cmp_diag);
}
