/* `expect c1 COND` in a test: evaluates a condition over a contact's current state as
 * the public readers show it (fields, built-ins, lifecycle states, tags), with segments
 * and truths expanded into their conditions. History (count, within, last, since, no
 * ... for) is evaluated by scanning the events the test fed to the contact, with the
 * VM's semantics (docs/vm.md): the test's inputs are few, so a scan is fine here.
 * Extern calls are not run: such a condition is reported as something the test cannot
 * check, never guessed. */
#ifndef VT_TESTRUN_EVAL_H
#define VT_TESTRUN_EVAL_H
#include "../compiler/unit.h"
#include "tz.h"
#include "verity.h"

/* One event the test fed to a contact, kept in the order fed (the VM's processing order). */
typedef struct vt_tx_event {
    int type;                   /* event index */
    int64_t at;                 /* the event's own time (a late event keeps it) */
    int64_t now;                /* the instant it was processed: the later of `at` and the contact's clock */
    const uint8_t *payload;     /* vt_payload_encode form */
    size_t plen;
    const uint8_t *before;      /* the contact as the event's `where` filters saw it: wake-ups due by */
    size_t blen;                /* then fired, the event's own rules not yet run */
} vt_tx_event;

typedef struct vt_tx {
    const vt_schema *s;
    vt_unit *u;
    const vt_contact *c;
    const vt_tz *tz;            /* the flow's zone, for timestamps without one */
    int64_t now;                /* the test clock */
    const vt_sources *src;      /* to quote history expressions in `found`; may be NULL */
    const vt_tx_event *hist;    /* the contact's events, oldest fed first */
    size_t nhist;
    vt_value *scratch;          /* room for the largest event's payload values */
    const vt_value *ev;         /* inside a `where` filter: the event's payload, its time */
    uint32_t nev;
    int64_t ev_at;
    bool in_where;
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
