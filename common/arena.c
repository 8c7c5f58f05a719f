#include "arena.h"
#include "mem.h"
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct vt_arena_block {
    vt_arena_block *next;
    size_t cap;
    _Alignas(16) unsigned char data[];
};

enum { ARENA_MIN_BLOCK = 64 * 1024 };

void vt_arena_init(vt_arena *a) { memset(a, 0, sizeof *a); }

void vt_arena_free(vt_arena *a) {
    vt_arena_block *b = a->head;
    while (b) {
        vt_arena_block *n = b->next;
        vt_free(b);
        b = n;
    }
    vt_arena_init(a);
}

void *vt_arena_alloc(vt_arena *a, size_t n) {
    n = (n + 15) & ~(size_t)15;
    if (n == 0) n = 16;
    if (!a->head || a->cap - a->used < n) {
        size_t cap = n > ARENA_MIN_BLOCK ? n : ARENA_MIN_BLOCK;
        if (a->head && a->head->cap * 2 > cap && a->head->cap < (size_t)1 << 26)
            cap = a->head->cap * 2;
        vt_arena_block *b = vt_malloc(sizeof *b + cap);
        if (!b) { a->failed = 1; return NULL; }
        b->next = a->head;
        b->cap = cap;
        a->head = b;
        a->used = 0;
        a->cap = cap;
        a->total += cap;
    }
    void *p = a->head->data + a->used;
    a->used += n;
    memset(p, 0, n);
    return p;
}

char *vt_arena_strndup(vt_arena *a, const char *s, size_t n) {
    char *p = vt_arena_alloc(a, n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *vt_arena_strdup(vt_arena *a, const char *s) { return vt_arena_strndup(a, s, strlen(s)); }

char *vt_arena_printf(vt_arena *a, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *p = vt_arena_alloc(a, (size_t)n + 1);
    if (!p) return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}
