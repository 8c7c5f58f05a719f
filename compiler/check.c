/* The front end over one root file: parse -> resolve -> (optionally) analyse. */
#include "check.h"
#include "analysis.h"
#include "externs.h"

/* Analysis reasons about a whole, well-typed flow; on a broken one it would only add
 * noise after the real error, so it runs only when everything before it succeeded. */
static bool front_end_clean(const vt_unit *u) {
    if (!u->resolved_ok) return false;
    for (uint32_t i = 0; i < u->nmodules; i++)
        if (u->modules[i] && u->modules[i]->parse_failed) return false;
    return true;
}

int vt_check_file(vt_unit *u, const char *path, const vt_check_opts *opts) {
    size_t before = u->diags->nerrors;
    if (opts && opts->stdlib_dir) u->stdlib_dir = opts->stdlib_dir;
    if (vt_unit_parse_root(u, path) == 0) {
        vt_resolve(u);
        if (opts && opts->natives) vt_externs_check(u, opts->native_dirs);
        if (opts && opts->analyze && u->diags->nerrors == before && front_end_clean(u)) vt_analyze(u);
    }
    return (int)(u->diags->nerrors - before);
}
