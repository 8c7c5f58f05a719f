/* Shared state of the static analysis passes (analysis.c drives them). Everything here
 * lives in the analysis' own arena, freed when vt_analyze returns. */
#ifndef VT_ANALYSIS_INT_H
#define VT_ANALYSIS_INT_H
#include "analysis.h"
#include "canon.h"
#include "reach.h"
#include "sat.h"

struct vt_an {
    vt_unit *u;
    vt_sat *sat;
    vt_arena arena;
    vt_an_lc *lcs;
    uint32_t nlcs;
    unsigned char *wf_enrolls;  /* per workflow (index in u->workflows) */
    int oom;
    /* findings already reported (code, span start), so a template instantiated twice
     * or a state reached by two paths is reported once */
    uint64_t *seen;
    size_t nseen, cseen;
};

/* Reports unless the same code was already reported at the same place. */
vt_diag *vt_an_report(vt_an *an, vt_code code, vt_span span, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
uint32_t vt_an_line(vt_an *an, vt_span span);
/* The source text of a span, in the arena ("" when unavailable). */
const char *vt_an_text(vt_an *an, vt_span span);
/* A transition as the user wrote its arrow: "lead -> mql". */
const char *vt_an_arrow(vt_an *an, const vt_decl *t);

/* The passes. vt_reach_run (reach.h) runs first; the others only read what it computed. */
void vt_check_lifecycles(vt_an *an);     /* V001 V002 V004 V005 V006 V007(transitions) */
void vt_check_workflows(vt_an *an);      /* V007(enroll) V008(workflows) V010 V011 V014 */
void vt_check_decls(vt_an *an);          /* V003 V008(states) V009 V012 V013 */

#endif
