/* Shared state of the code generator (codegen*.c only). */
#ifndef VT_CODEGEN_INTERNAL_H
#define VT_CODEGEN_INTERNAL_H
#include "codegen.h"
#include "../runtime/opcodes.h"
#include "../runtime/program.h"
#include <stddef.h>

typedef struct cg_pending { vt_expr *where; uint32_t hist; } cg_pending;

typedef struct cg {
    vt_unit *u;
    vt_program *p;
    vt_tz *tz;
    struct {
#define VT_SEC_CAP(id, name, type) size_t name;
        VT_SECTIONS(VT_SEC_CAP)
#undef VT_SEC_CAP
    } cap;
    cg_pending *pending; uint32_t npending; size_t cap_pending;
    cg_pending *seen; uint32_t nseen; size_t cap_seen;    /* history expr -> accumulator */
    int32_t cur_wf;             /* workflow whose steps are being compiled, -1 none */
    vt_decl *cur_event;         /* event whose payload is in scope, NULL none */
    int nrep;                   /* repeat counters used by the current workflow */
    uint32_t step_counter;
    uint32_t depth;             /* truth/segment inlining depth */
    vt_span cur_span;           /* for the line table */
    int err;
    char msg[512];
} cg;

#define CG_PUSH(g, name) \
    ((__typeof__((g)->p->name))cg_push((g), (void **)&(g)->p->name, &(g)->p->n##name, &(g)->cap.name, sizeof *(g)->p->name))

void cg_fail(cg *g, vt_span sp, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void *cg_push(cg *g, void **arr, uint32_t *n, size_t *cap, size_t elem);
uint32_t cg_str(cg *g, const char *s);
uint32_t cg_const(cg *g, const vt_pconst *k);
uint32_t cg_const_int(cg *g, int type, int64_t v);
uint32_t cg_const_text(cg *g, const char *s);
uint32_t cg_emit(cg *g, vt_opcode op, uint32_t a, uint32_t b, uint32_t c);
void cg_patch_here(cg *g, uint32_t pc, unsigned which);
int cg_fn_begin(cg *g, vt_fn_kind kind);
void cg_fn_end(cg *g, int fn);
int cg_cond_fn(cg *g, vt_expr *e);
void cg_flush_pending(cg *g);
int cg_vtype(vt_type_kind k);
int64_t cg_const_dur(cg *g, vt_expr *e);
int32_t cg_literal(cg *g, vt_expr *e);
int64_t cg_timestamp(cg *g, vt_expr *e);

/* codegen_expr.c */
void cg_expr(cg *g, vt_expr *e);
int32_t cg_hist_simple(cg *g, vt_hist_kind kind, int32_t event);
/* codegen_extern.c */
void cg_call_extern(cg *g, vt_expr *e);
/* codegen_stmt.c */
void cg_block(cg *g, const vt_block *b);

#endif
