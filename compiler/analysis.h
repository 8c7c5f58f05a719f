/* Static analysis (SPEC §7): the V-checks, reported to u->diags. Runs only on a unit
 * that resolved without errors. */
#ifndef VT_ANALYSIS_H
#define VT_ANALYSIS_H
#include "unit.h"

void vt_analyze(vt_unit *u);

#endif
