#include "mem.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static _Thread_local long fail_countdown = -1;

void vt_mem_fail_after(long n) { fail_countdown = n; }

static int should_fail(void) {
    if (fail_countdown < 0) return 0;
    if (fail_countdown == 0) { fail_countdown = -1; return 1; }
    fail_countdown--;
    return 0;
}

void *vt_malloc(size_t n) { return should_fail() ? NULL : malloc(n ? n : 1); }
void *vt_calloc(size_t c, size_t n) { return should_fail() ? NULL : calloc(c ? c : 1, n ? n : 1); }
void *vt_realloc(void *p, size_t n) { return should_fail() ? NULL : realloc(p, n ? n : 1); }
void vt_free(void *p) { free(p); }

char *vt_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *p = vt_malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

int vt_grow(void **buf, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t ncap = *cap ? *cap : 8;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / elem) return -1;
        ncap *= 2;
    }
    void *p = vt_realloc(*buf, ncap * elem);
    if (!p) return -1;
    *buf = p;
    *cap = ncap;
    return 0;
}
