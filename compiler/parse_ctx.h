/* State shared by the scanner (grammar/lexer.l) and the parser (grammar/parser.y)
 * while one file is parsed. Internal to the front end: only unit.c, the scanner and
 * the parser include it. */
#ifndef VT_PARSE_CTX_H
#define VT_PARSE_CTX_H
#include "unit.h"
#include <setjmp.h>
#include <stdbool.h>

/* Syntax errors reported per file before the parser gives up on it: past this the
 * rest is usually noise from the first mistake. */
enum { VT_MAX_SYNTAX_ERRORS = 20 };
/* Default nesting limit (unit.max_depth == 0): deep enough for any real flow, shallow
 * enough that every recursive pass stays far from the C stack's end. */
enum { VT_DEFAULT_MAX_DEPTH = 200 };

typedef struct vt_pctx {
    vt_unit *u;
    vt_arena *a;
    vt_diags *d;
    const char *src;        /* the source text (NUL-terminated) */
    uint32_t len;
    uint32_t file;

    /* scanner */
    uint32_t pos;           /* byte offset of the next token */
    uint32_t depth;         /* open ( [ { */
    uint32_t max_depth;
    int prev_tok[3];        /* last tokens returned, newest first (context for messages) */
    vt_span prev_span[3];   /* and their spans */
    uint32_t lex_err_from, lex_err_to;  /* the line of the last lexical error (to == 0: none) */
    bool lex_dead;          /* scanner returns end of file from now on */
    vt_list comments;       /* vt_comment* */
    /* The scanner's own blocks: flex gives up with a fatal error (our longjmp) halfway
     * through building its buffers, so what it holds is freed from this list then. */
    void *flex_blocks[16];

    /* parser */
    int nerrors;            /* every error reported while parsing this file */
    int nsyntax;            /* E001 reported */
    bool too_deep;          /* E008 reported: later syntax errors are its echo */
    bool stopped;           /* too many syntax errors */
    bool oom;
    vt_list decls;          /* top-level vt_decl* */
    jmp_buf oom_jmp;        /* the scanner's fatal allocation errors land here */

    /* Returned by the builders when the arena is exhausted, so grammar actions never
     * dereference NULL; vt_parse then returns NULL and nobody reads the tree. */
    union { vt_expr e; vt_stmt s; vt_decl d; vt_field_decl f; vt_state_decl st;
            vt_trigger t; vt_param p; vt_field_init fi; vt_comment c; } scratch;
} vt_pctx;

/* Reporting helpers used by both the scanner and the parser; they count errors. */
vt_diag *vt_pctx_error(vt_pctx *c, vt_code code, vt_span sp, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Marks the line of sp as holding a lexical error (syntax errors there are echoes). */
void vt_pctx_mark_line(vt_pctx *c, vt_span sp);
/* Arena allocation of one node that never returns NULL (see scratch). */
void *vt_pctx_alloc(vt_pctx *c, size_t n);
/* Arena allocation of an array or buffer: NULL once memory ran out (the caller then
 * leaves the array empty; the parse is abandoned anyway). Never the scratch node, so
 * copies into it never overlap their source. */
void *vt_pctx_array(vt_pctx *c, size_t n);
char *vt_pctx_strndup(vt_pctx *c, const char *s, size_t n);

/* ---- node builders (parse_build.c), used by the grammar actions ---------------------- */

/* An expression with the height of its tree, so deep chains are refused (E008). */
typedef struct vt_ex { vt_expr *e; uint32_t d; } vt_ex;
typedef struct vt_exl { vt_list l; uint32_t d; } vt_exl;   /* expressions, the tallest height */

/* Which kind of item a list holds, for the layout check of push_item. */
enum { VT_IT_DECL, VT_IT_STMT, VT_IT_FIELD, VT_IT_STATE, VT_IT_INIT, VT_IT_ARM };

void *vt_pb_new(vt_pctx *c, size_t n);                         /* zeroed; NULL only for arrays */
vt_expr *vt_pb_expr(vt_pctx *c, vt_expr_kind k, vt_span sp);
vt_stmt *vt_pb_stmt(vt_pctx *c, vt_stmt_kind k, vt_span sp);
vt_decl *vt_pb_decl(vt_pctx *c, vt_decl_kind k, vt_span sp);
void vt_pb_push(vt_pctx *c, vt_list *l, void *p);
vt_ex vt_pb_leaf(vt_expr *e);
/* Refuses trees taller than max_depth (E008, once per file): the node becomes `false`. */
vt_ex vt_pb_guard(vt_pctx *c, vt_expr *e, uint32_t d);
vt_ex vt_pb_mk_bin(vt_pctx *c, vt_binop op, vt_ex l, vt_ex r, vt_span opsp, vt_span sp);
vt_ex vt_pb_mk_neg(vt_pctx *c, vt_ex x, vt_span sp);       /* folds -3, -4.5, -1.00 EUR */
vt_ex vt_pb_mk_name(vt_pctx *c, vt_name n);
vt_name vt_pb_kw_name(vt_pctx *c, const char *text, vt_span sp);
/* Takes a trailing `NAME within D` off a where-condition; returns D or NULL. */
vt_expr *vt_pb_steal_within(vt_pctx *c, vt_expr **pe);
/* Sets hist.event (and hist.field for sum/min/max/avg) from a possibly dotted name. */
void vt_pb_split_hist(vt_pctx *c, vt_expr *e, vt_name n);
bool vt_pb_same_line(vt_pctx *c, uint32_t a, uint32_t b);
/* Appends item to l; E001 when it starts on the line where the previous one ends. */
void vt_pb_push_item(vt_pctx *c, vt_list *l, void *item, vt_span sp, int which, const char *what);
/* Counts a workflow part (owner, enroll, ...) and checks it starts on its own line. */
void vt_pb_wf_item(vt_pctx *c, vt_decl *w, vt_span first, vt_span all);
void vt_pb_add_window(vt_pctx *c, vt_decl *ch, vt_list ws);
vt_block vt_pb_mk_block(vt_list l, vt_span sp);
/* The decoded text of a string literal ({field} parts kept as written). */
const char *vt_pb_str_text(vt_pctx *c, vt_expr *s);
vt_type_kind vt_pb_type_of(vt_pctx *c, vt_name n);          /* E001 for an unknown type */
int vt_pb_weekday_of(vt_pctx *c, vt_name n);                /* 0 = Monday; E001 if not a day */

/* The scanner's entry points (grammar/lexer.l). Return 0, or -1 when out of memory. */
int vt_lex_begin(vt_pctx *c, void **scanner);
void vt_lex_end(void *scanner);
/* After a fatal scanner error: frees whatever the scanner had allocated. */
void vt_lex_abandon(vt_pctx *c);
/* The parser (grammar/parser.y): 0 accepted, 1 syntax errors, 2 out of memory. */
int vt_parse_run(void *scanner, vt_pctx *c);

#endif
