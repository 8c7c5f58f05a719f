/* verity fmt: the canonical layout of a parsed module, comments kept. */
#ifndef VT_FMT_H
#define VT_FMT_H
#include "unit.h"
#include <stdio.h>

/* Writes the module's canonical text to out. Needs only a parsed (not resolved)
 * module that did not fail to parse. Returns 0, -1 on an output error. */
int vt_fmt_module(vt_unit *u, const vt_module *m, FILE *out);
/* The same into a malloc'd string (caller frees with vt_free); NULL on failure. */
char *vt_fmt_to_string(vt_unit *u, const vt_module *m, size_t *len);
/* One expression in canonical form (`score >= 40 or pricing_interest`), for graph
 * labels and messages; a malloc'd string (caller frees with vt_free), NULL on failure. */
char *vt_fmt_expr_to_string(const vt_expr *e);

#endif
