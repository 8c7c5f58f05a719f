/* Lifecycle reachability for static analysis: which transitions are live in which
 * state (their trigger can hold there and no earlier transition from the same state
 * shadows them), which states a contact can reach from the initial state (through live
 * transitions, `any` transitions and the `move to` steps of workflows that can enroll),
 * and which workflows can enroll. Computed once by vt_reach_run; read by the checks. */
#ifndef VT_REACH_H
#define VT_REACH_H
#include "sat.h"
#include "unit.h"

typedef struct vt_an vt_an;     /* analysis_int.h */

/* One transition, as the lifecycle analysis sees it. */
typedef struct vt_an_tr {
    vt_decl *d;
    uint32_t order;             /* position among all transitions (declaration order) */
    vt_fm *cond;                /* the where/when condition alone */
    vt_fm *guard;               /* cond with the event's facts */
    const char *event;          /* ON_EVENT: the event's name */
    int64_t after;              /* AFTER: seconds, -1 when not a literal */
    vt_sat_result holds;        /* can the trigger hold in some state it leaves? */
    /* Per state of the lifecycle: the order+1 of the earlier transition that already
     * fires whenever this one would (0: none). Only states this one leaves are set. */
    uint32_t *shadow;
} vt_an_tr;

typedef struct vt_an_lc {
    vt_decl *d;
    uint32_t nstates;
    int initial;                /* -1 when none (E050 already reported) */
    vt_an_tr **tr;              /* this lifecycle's transitions in declaration order */
    uint32_t ntr;
    vt_an_tr ***out;            /* per state: the transitions leaving it, in declaration order */
    uint32_t *nout;
    unsigned char *reach;       /* per state */
    unsigned char *root;        /* initial, or a `move to` target of a workflow that runs */
    unsigned char *moved;       /* per state: a `move to` target of a workflow that can enroll */
    uint32_t nmoved;
} vt_an_lc;

/* Does the transition leave state `st` (named source, or `any` from a non-final state
 * other than its target)? */
int vt_an_leaves(const vt_an_lc *lc, const vt_an_tr *t, uint32_t st);
/* Is it live in st: it leaves st, its trigger can hold there, and no earlier one shadows it. */
int vt_an_live_in(const vt_an_lc *lc, const vt_an_tr *t, uint32_t st);
vt_an_lc *vt_an_lifecycle(vt_an *an, const vt_decl *lc);
/* Can this enrollment trigger ever fire? */
int vt_an_trigger_possible(vt_an *an, const vt_trigger *tr);

/* Builds the tables above for every lifecycle and workflow of an->u. 0, or -1 when
 * memory ran out. */
int vt_reach_run(vt_an *an);

#endif
