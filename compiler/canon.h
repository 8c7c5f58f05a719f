/* Canonical text of conditions and steps, for static analysis: two conditions or two
 * blocks of steps that mean the same thing by their structure print the same text.
 * Normalisation: spans and comments are ignored, `and`/`or` chains are flattened and
 * their operands sorted, `not not x` is x, a literal on the left of a comparison moves
 * to the right, and an `if` whose branches all do the same prints as that one branch. */
#ifndef VT_CANON_H
#define VT_CANON_H
#include "ast.h"
#include <stddef.h>

/* A growable text buffer on the allocation hook; oom is set when it could not grow. */
typedef struct vt_sbuf {
    char *p;
    size_t n, cap;
    int oom;
} vt_sbuf;

void vt_sbuf_puts(vt_sbuf *b, const char *s);
void vt_sbuf_printf(vt_sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vt_sbuf_free(vt_sbuf *b);
/* The text so far ("" when empty); owned by b. */
const char *vt_sbuf_str(vt_sbuf *b);

void vt_canon_expr(vt_sbuf *b, const vt_expr *e);
void vt_canon_block(vt_sbuf *b, const vt_block *blk);
/* Do the blocks do the same, after normalisation? Sets *oom (and answers 0) when
 * memory ran out. */
int vt_canon_block_equal(const vt_block *a, const vt_block *b, int *oom);

#endif
