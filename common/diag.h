/* Diagnostics: a list of findings with byte spans, rendered on request.
 * Positions are byte offsets into a registered source; line and column are computed
 * only when a finding is printed. */
#ifndef VT_DIAG_H
#define VT_DIAG_H
#include "diag_codes.h"
#include <stdint.h>
#include <stdio.h>

typedef enum {
#define X(code, sev, slug, title) VT_##code,
    VT_DIAG_CODES(X)
#undef X
    VT_CODE_COUNT
} vt_code;

typedef enum { VT_SEV_NOTE, VT_SEV_WARNING, VT_SEV_ERROR } vt_severity;

const char *vt_code_name(vt_code c);      /* "E020" */
const char *vt_code_slug(vt_code c);      /* "unknown-name" */
const char *vt_code_title(vt_code c);
vt_severity vt_code_default_severity(vt_code c);
/* Looks a code up by its name ("V003"); returns VT_CODE_COUNT when unknown. */
vt_code vt_code_by_name(const char *name);

/* A span: bytes [start, end) of source file `file` (an index into the source table). */
typedef struct vt_span {
    uint32_t file;
    uint32_t start, end;
} vt_span;

/* One loaded source file. The text is owned by the source table. */
typedef struct vt_source {
    char *path;             /* as the user named it */
    char *text;             /* NUL-terminated */
    uint32_t len;
    uint32_t *line_starts;  /* computed lazily */
    uint32_t nlines;
} vt_source;

typedef struct vt_sources {
    vt_source *v;
    size_t n, cap;
} vt_sources;

/* Adds a copy of text as a source; returns its index, or -1 on allocation failure. */
int vt_sources_add(vt_sources *s, const char *path, const char *text, size_t len);
/* Reads a file; returns its index, -1 if it cannot be read (errno set). */
int vt_sources_load(vt_sources *s, const char *path);
void vt_sources_free(vt_sources *s);
/* 1-based line and column (column counts bytes... in UTF-8 code points). */
void vt_sources_linecol(vt_sources *s, uint32_t file, uint32_t off, uint32_t *line, uint32_t *col);

typedef struct vt_diag_related {
    vt_span span;
    char *text;
} vt_diag_related;

typedef struct vt_diag {
    vt_code code;
    vt_severity sev;        /* after --deny / --allow */
    vt_span span;
    char *message;          /* what is wrong, in the user's words */
    char *hint;             /* what to write instead; may be NULL */
    vt_diag_related *notes;    /* related places ("already fires whenever ...") */
    size_t nnotes;
    int suppressed;         /* silenced by --allow or `# verity: allow CODE` */
    uint32_t seq;           /* report order, the last sort key */
} vt_diag;

typedef struct vt_diags {
    vt_sources *sources;
    vt_diag *v;
    size_t n, cap;
    size_t nerrors, nwarnings;  /* counting only unsuppressed findings */
    int oom;                    /* an allocation failed while reporting */
    unsigned char allowed[VT_CODE_COUNT];
    int deny_warnings;
    size_t max_errors;          /* stop recording after this many errors (0: no limit) */
} vt_diags;

void vt_diags_init(vt_diags *d, vt_sources *sources);
void vt_diags_free(vt_diags *d);
/* Records a finding; returns it so a note or hint can be added, or NULL when it was
 * dropped (allocation failure or limit). Message is printf-style. */
vt_diag *vt_diag_report(vt_diags *d, vt_code code, vt_span span, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void vt_diag_hint(vt_diag *g, vt_diags *d, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void vt_diag_note(vt_diag *g, vt_diags *d, vt_span span, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Applies `# verity: allow CODE` comments (on the line above a finding) and sorts
 * findings by file and position. Call once before rendering. */
void vt_diags_finish(vt_diags *d);

typedef enum { VT_FMT_TEXT, VT_FMT_JSON, VT_FMT_SARIF, VT_FMT_GITHUB, VT_FMT_JUNIT } vt_diag_format;
/* Renders every unsuppressed finding. color: ANSI colours for a terminal. */
int vt_diags_render(vt_diags *d, vt_diag_format fmt, FILE *out, int color);

#endif
