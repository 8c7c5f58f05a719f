/* Native functions (SPEC §8): where a library may come from, binding a program's extern
 * functions through libffi when it is loaded, and calling them from the VM.
 *
 * A library is named, never given as a path: `from "verity_it"` is libverity_it.so,
 * looked for in the stdlib's native directory (VT_NATIVE_DIR, fixed at build time) and
 * then in each directory the user allowed (`--allow-native DIR`), in that order. */
#ifndef VT_NATIVE_H
#define VT_NATIVE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vt_program;
struct vt_vm;
struct vt_cell;
typedef struct vt_natives vt_natives;   /* the bound functions of one program */

typedef enum vt_native_where {
    VT_NATIVE_FOUND,
    VT_NATIVE_BAD_NAME,     /* a path or an odd name instead of a bare library name */
    VT_NATIVE_NOT_FOUND,    /* libLIB.so is in none of the allowed directories */
} vt_native_where;

/* The stdlib's native directory. */
const char *vt_native_stdlib_dir(void);
/* Looks for libLIB.so in the stdlib's native directory, then in each of `dirs`
 * (NULL-terminated; NULL for none). On VT_NATIVE_FOUND the file's path is in buf. */
vt_native_where vt_native_find(const char *lib, const char *const *dirs, char *buf, size_t n);
/* The directories searched, comma-separated, for messages. */
void vt_native_dirs_text(const char *const *dirs, char *buf, size_t n);
/* Whether a value type (vt_vtype) can cross to C: bool, int, number, text. */
bool vt_native_type_ok(int vtype);
/* The C type a value type crosses as, for messages ("const char *"). */
const char *vt_native_c_type(int vtype);

/* Opens each extern's library from the allowed directories, looks its symbol up and
 * prepares its libffi call once. 0, or -1 with a message in *error (malloc'd).
 * A program without externs binds nothing. */
int vt_native_bind(struct vt_program *p, const char *const *dirs, char **error);
void vt_native_free(vt_natives *n);

/* Calls extern `ext` with args[0 .. nparams-1]; the result goes to *out (which may be
 * args[0]). Text arguments are NUL-terminated copies in the vm's scratch buffer; a text
 * result is copied at once into the vm's text buffer (NULL from C is empty text). A null
 * text argument is passed as empty text; any other null argument makes the result null
 * without calling. 0, or -1 with a message (vt_fail). */
int vt_native_call(struct vt_vm *vm, uint32_t ext, const struct vt_cell *args, struct vt_cell *out);

#endif
