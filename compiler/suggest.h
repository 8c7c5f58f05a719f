/* "Did you mean `purchase`?": the closest candidate name by edit distance.
 * Feed candidates of the right kind one by one; no allocation. */
#ifndef VT_SUGGEST_H
#define VT_SUGGEST_H
#include <stddef.h>

typedef struct vt_suggest {
    const char *word;       /* what the user wrote; not owned */
    const char *best;       /* the closest candidate so far, NULL when none is close */
    size_t best_dist;
} vt_suggest;

void vt_suggest_init(vt_suggest *s, const char *word);
/* Considers one candidate (NULL and the word itself are ignored). */
void vt_suggest_add(vt_suggest *s, const char *candidate);
/* The closest candidate close enough to be a likely typo, or NULL. */
const char *vt_suggest_best(const vt_suggest *s);
/* Optimal-string-alignment distance (insert, delete, substitute, swap neighbours),
 * case-insensitive; names longer than 64 bytes count as far from everything. */
size_t vt_edit_distance(const char *a, const char *b);

#endif
