/* Arena allocation for the front end: every node of one compilation lives in one
 * arena, freed at once with vt_arena_free. Allocation failure is reported by
 * returning NULL; callers propagate it (the front end turns it into a diagnostic). */
#ifndef VT_ARENA_H
#define VT_ARENA_H
#include <stddef.h>

typedef struct vt_arena_block vt_arena_block;
typedef struct vt_arena {
    vt_arena_block *head;
    size_t used, cap;      /* of the head block */
    size_t total;          /* bytes requested from the allocator, for stats */
    int failed;            /* set once an allocation failed */
} vt_arena;

void vt_arena_init(vt_arena *a);
/* Frees every block; the arena can be reused after. */
void vt_arena_free(vt_arena *a);
/* Zeroed, 16-byte aligned memory owned by the arena; NULL on failure. */
void *vt_arena_alloc(vt_arena *a, size_t n);
/* Copies n bytes and a terminating NUL into the arena. */
char *vt_arena_strndup(vt_arena *a, const char *s, size_t n);
char *vt_arena_strdup(vt_arena *a, const char *s);
/* printf into the arena. */
char *vt_arena_printf(vt_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
