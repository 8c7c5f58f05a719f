/* A compilation unit: the root .flow file, the modules it imports, and the tables
 * resolution builds over them. One unit is one arena: vt_unit_free releases it all.
 *
 * Pipeline:  vt_unit_init -> vt_unit_parse_root (parse) -> vt_resolve (imports,
 * templates, names, types) -> analysis (V-checks) / fmt / graph / codegen. */
#ifndef VT_UNIT_H
#define VT_UNIT_H
#include "ast.h"

typedef struct vt_unit {
    vt_arena arena;
    vt_sources *sources;        /* not owned */
    vt_diags *diags;            /* not owned */
    const char *stdlib_dir;     /* where `import "std/x"` looks (x.flow); not owned */
    uint32_t max_depth;         /* nesting limit for the parser (E008) */

    vt_module **modules;        /* modules[0] is the root file */
    uint32_t nmodules, cap_modules;

    /* Filled by vt_resolve, over the root and every imported module, with template
     * instances expanded (their decls carry `prefix`). Each vt_list holds vt_decl*. */
    vt_decl *flow;              /* the root's header, NULL when missing */
    vt_decl *timezone;          /* NULL: UTC */
    vt_decl *contact;           /* NULL: no declared fields */
    vt_list events, teams, channels, rules, truths, segments, lifecycles,
            transitions, workflows, externs, templates, uses, tests, migrates, imports;
    bool resolved_ok;           /* no error while resolving */
} vt_unit;

void vt_unit_init(vt_unit *u, vt_sources *sources, vt_diags *diags);
void vt_unit_free(vt_unit *u);

/* Parses source `file` into a module (added to u->modules). Syntax errors are reported
 * to u->diags; the parser recovers at the next declaration, so the module holds every
 * declaration that did parse and parse_failed is set. Resolution still runs over such a
 * module (so a syntax error and a misspelled name are both reported in one run), but
 * no code is generated from it. NULL only when memory ran out. */
vt_module *vt_parse(vt_unit *u, uint32_t file);

/* Loads and parses the root file at `path`. Returns 0, or -1 when it could not be read
 * (E009 reported). */
int vt_unit_parse_root(vt_unit *u, const char *path);

/* Imports, templates, name resolution and type checking over every parsed module.
 * Returns the number of errors reported. */
int vt_resolve(vt_unit *u);

/* Looks up a decl of the given kind by (possibly dotted) name after resolution. */
vt_decl *vt_unit_find(vt_unit *u, vt_decl_kind kind, const char *name);

#endif
