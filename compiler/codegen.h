/* Code generation: a resolved, error-free unit -> a vt_program (tables + bytecode). */
#ifndef VT_CODEGEN_H
#define VT_CODEGEN_H
#include "unit.h"
#include "verity.h"

/* Compiles u (resolved without errors) into a new program, not yet finished (the
 * caller runs vt_verify and vt_program_finish). NULL with a message in *error
 * (malloc'd) when something cannot be compiled or memory ran out. */
vt_program *vt_codegen(vt_unit *u, char **error);

#endif
