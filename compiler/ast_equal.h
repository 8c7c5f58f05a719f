/* Structural equality of syntax trees: the same declarations, statements and
 * expressions with the same names and values, ignoring spans, comments and everything
 * later passes fill in (resolved references, types, slots, step ids). It is how the
 * tests prove that `verity fmt` never changes what a flow means: parse(fmt(x)) must
 * equal parse(x). Pure functions over parsed trees; nothing is allocated. */
#ifndef VT_AST_EQUAL_H
#define VT_AST_EQUAL_H
#include "ast.h"
#include <stdbool.h>

bool vt_ast_equal_expr(const vt_expr *a, const vt_expr *b);
bool vt_ast_equal_stmt(const vt_stmt *a, const vt_stmt *b);
bool vt_ast_equal_decl(const vt_decl *a, const vt_decl *b);
/* True when both modules hold equal declarations in the same order. When they differ
 * and da/db are not NULL, sets them to the first pair of declarations that differ
 * (one of them NULL when a module has fewer declarations), for a useful test message. */
bool vt_ast_equal_module(const vt_module *a, const vt_module *b, const vt_decl **da, const vt_decl **db);

#endif
