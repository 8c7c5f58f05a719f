/* The whole front end over one root file: parse, resolve, analyse. Used by `verity
 * check`, `build`, `fmt`, `graph`, and by every command that takes a FLOW. */
#ifndef VT_CHECK_H
#define VT_CHECK_H
#include "unit.h"

typedef struct vt_check_opts {
    const char *stdlib_dir;     /* NULL: the built-in default */
    bool analyze;               /* run the V-checks */
    bool natives;               /* bind each extern fn's library and symbol (E034, E058) */
    const char *const *native_dirs;   /* allowed besides the stdlib's native directory
                                         (`--allow-native DIR`), NULL-terminated; may be NULL */
} vt_check_opts;

/* Parses and resolves `path` into u (initialised by the caller with its sources and
 * diags), then analyses if asked and nothing failed. Returns the number of errors. */
int vt_check_file(vt_unit *u, const char *path, const vt_check_opts *opts);

#endif
