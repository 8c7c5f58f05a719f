/* `expect c1 COND` in a test: evaluates a condition over a contact's current state as
 * the public readers show it (fields, built-ins, lifecycle states, tags), with segments
 * and truths expanded into their conditions. History (count, within, last ...) and
 * extern calls are not visible through the readers: such a condition is reported as
 * something the test cannot check, never guessed. */
#ifndef VT_TESTRUN_EVAL_H
#define VT_TESTRUN_EVAL_H
#include "../compiler/unit.h"
#include "tz.h"
#include "verity.h"

typedef struct vt_tx {
    const vt_schema *s;
    vt_unit *u;
    const vt_contact *c;
    const vt_tz *tz;            /* the flow's zone, for timestamps without one */
    int64_t now;                /* the test clock */
    char found[600];            /* what was read: "funnel is lead, score = 35" */
    size_t flen;
    char why[300];              /* when the condition cannot be checked */
    int depth;
} vt_tx;

/* 1 true, 0 false, -1 cannot be checked (x->why says why). */
int vt_tx_cond(vt_tx *x, const vt_expr *e);
/* A literal as an input value of type `want` (vt_vtype). Text points into the AST or
 * into buf. Returns 0, or -1 when the literal does not fit. */
int vt_tx_literal(vt_tx *x, const vt_expr *e, int want, vt_value *out, char *buf, size_t cap);
/* Formats a value for a message. */
void vt_tx_value_text(const vt_schema *s, const vt_value *v, char *buf, size_t cap);

#endif
