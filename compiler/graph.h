/* verity graph: each lifecycle as a state diagram. */
#ifndef VT_GRAPH_H
#define VT_GRAPH_H
#include "unit.h"
#include <stdio.h>

typedef enum { VT_GRAPH_DOT, VT_GRAPH_MERMAID } vt_graph_format;
/* Draws every lifecycle of a resolved unit: states (initial/final marked), transitions
 * labelled with their trigger, workflow `move to` edges dashed. Returns 0, -1 on error. */
int vt_graph(vt_unit *u, vt_graph_format fmt, FILE *out);

#endif
