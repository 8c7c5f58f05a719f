/* A tiny native library for tests/test_extern.c: one function per kind of value that
 * crosses to C and back (int64_t, double, int as bool, text in and out, a NULL text
 * result, no arguments), following the calling convention of docs/native.md. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define VT_EXPORT __attribute__((visibility("default")))

VT_EXPORT int64_t t_add(int64_t a, int64_t b) { return a + b; }
VT_EXPORT double t_half(double x) { return x / 2; }
VT_EXPORT int t_not(int b) { return !b; }
VT_EXPORT const char *t_null(const char *s) { (void)s; return NULL; }
VT_EXPORT int64_t t_len(const char *s) { return (int64_t)strlen(s); }
VT_EXPORT int64_t t_answer(void) { return 42; }

/* The result stays valid until the next call on the same thread. */
VT_EXPORT const char *t_join(const char *a, int64_t n, const char *b) {
    static _Thread_local char buf[256];
    snprintf(buf, sizeof buf, "%s%lld%s", a, (long long)n, b);
    return buf;
}
