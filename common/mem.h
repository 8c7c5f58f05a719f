/* The one allocation hook: every heap allocation of libverity goes through these, so
 * tests can make the Nth allocation fail and out-of-memory is a tested path. */
#ifndef VT_MEM_H
#define VT_MEM_H
#include <stddef.h>

void *vt_malloc(size_t n);
void *vt_calloc(size_t count, size_t n);
void *vt_realloc(void *p, size_t n);
void vt_free(void *p);
char *vt_strdup(const char *s);

/* Test hook: the allocation after `n` more succeed fails (n < 0: never). Thread-local,
 * so it is not shared library state between contexts on different threads. */
void vt_mem_fail_after(long n);

/* Grow *buf (element size `elem`) so it holds at least `need` elements; returns 0 on
 * success, -1 on allocation failure (the old buffer stays valid). */
int vt_grow(void **buf, size_t *cap, size_t need, size_t elem);
#define VT_GROW(arr, cap, need) vt_grow((void **)&(arr), &(cap), (need), sizeof *(arr))

#endif
