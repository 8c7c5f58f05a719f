/* The satisfiability engine of static analysis (SPEC §7): can a condition hold?
 *
 * A condition is compiled to a small formula over abstract variables: each field,
 * history aggregate (count, sum, since, last/first) and lifecycle becomes one variable,
 * keyed by its canonical text, so `count(page_view within 7d)` in two conditions is
 * the same variable. Domains: intervals (with excluded points and integrality) for
 * int, number, money, durations, times and counts; finite or co-finite sets plus
 * `starts with` prefixes for text and teams; bit sets for lifecycle states; true/false
 * for booleans. Anything the engine cannot model (arithmetic between fields, extern
 * calls, `contains`, `matches`) is an opaque boolean atom, equal only to itself.
 *
 * The answer is exact over that abstraction, and UNKNOWN when the search budget runs
 * out; callers report a finding only on a definite answer (precision before recall).
 *
 * Ownership: every formula lives in the engine's arena, freed by vt_sat_free. */
#ifndef VT_SAT_H
#define VT_SAT_H
#include "unit.h"

typedef struct vt_sat vt_sat;
typedef struct vt_fm vt_fm;

typedef enum { VT_SAT_NO, VT_SAT_YES, VT_SAT_UNKNOWN } vt_sat_result;

/* NULL when memory ran out. */
vt_sat *vt_sat_new(vt_unit *u);
void vt_sat_free(vt_sat *s);
/* Set once an allocation failed: every later answer is UNKNOWN. */
int vt_sat_failed(const vt_sat *s);

/* A condition as a formula. cond NULL means "always". Segments and truths are expanded
 * into their conditions. */
vt_fm *vt_sat_compile(vt_sat *s, const vt_expr *cond);
vt_fm *vt_sat_true(vt_sat *s);
vt_fm *vt_sat_and(vt_sat *s, vt_fm *a, vt_fm *b);
vt_fm *vt_sat_or(vt_sat *s, vt_fm *a, vt_fm *b);
vt_fm *vt_sat_not(vt_sat *s, vt_fm *a);
/* "lifecycle lc is in one of these states" (states[i] nonzero: state i included). */
vt_fm *vt_sat_state_in(vt_sat *s, const vt_decl *lc, const unsigned char *states);
vt_fm *vt_sat_state_is(vt_sat *s, const vt_decl *lc, int state);
/* What is known at the instant event `ev` (an event decl, or NULL for `created`) is
 * being processed: every history count of ev without `where` is at least 1, so
 * `no ev for D` is false and `ev within D` true. Call after compiling the conditions
 * of the query (it covers the variables known so far). */
vt_fm *vt_sat_event_facts(vt_sat *s, const char *event_name);

vt_sat_result vt_sat_check(vt_sat *s, vt_fm *f);
/* Both directions unsatisfiable: a and b hold for exactly the same contacts. */
vt_sat_result vt_sat_equivalent(vt_sat *s, vt_fm *a, vt_fm *b);
/* The variables a formula mentions, as a canonical text (for grouping candidates). */
const char *vt_sat_signature(vt_sat *s, vt_fm *f);

#endif
