/* Check-time binding of extern functions (SPEC §8): each `extern fn` must name a library
 * found in an allowed directory (E058) that exports the function, with a signature
 * native code can take (E034). */
#ifndef VT_EXTERNS_H
#define VT_EXTERNS_H
#include "unit.h"

/* Checks every extern of a resolved unit against the stdlib's native directory and
 * `dirs` (NULL-terminated, may be NULL), loading each library to look its symbol up.
 * Returns the number of errors reported. */
int vt_externs_check(vt_unit *u, const char *const *dirs);

#endif
