/* The .vbc bytecode file: a header, a section table, and the program's tables.
 *
 *   offset size
 *   0      4    magic "VTBC"
 *   4      4    format version (VT_VBC_VERSION)
 *   8      16   source hash (hex)
 *   24     4    flow name (string offset)     28  4  time zone (string offset)
 *   32     8    flow version
 *   40     4    number of sections            44  4  reserved (0)
 *   48     16n  sections: id, record count, byte offset, byte size
 * Sections are the VT_SECTIONS tables (program.h), little-endian, records packed as in
 * memory. Loading copies each section and runs the verifier before anything else. */
#ifndef VT_VBC_H
#define VT_VBC_H
#include "program.h"

#define VT_VBC_MAGIC "VTBC"
#define VT_VBC_VERSION 1u
#define VT_VBC_HEADER 48u
#define VT_VBC_MAX (256u << 20)   /* larger files are refused before reading */

/* Verifies and finishes a freshly built or loaded program; frees it on failure. */
vt_program *vt_program_ready(vt_program *p, char **error);
/* The same, binding native functions from the stdlib's native directory and `native_dirs`
 * (NULL-terminated, may be NULL). */
vt_program *vt_program_ready_ex(vt_program *p, const char *const *native_dirs, char **error);

#endif
