/* verity disasm FILE : list a program's bytecode (a .vbc, or a .flow compiled on the
 * fly) with each instruction's synopsis and source line. A corrupt .vbc is refused by
 * the verifier with its reason. */
#include "cli.h"
#include "verity.h"
#include "runtime/program.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_disasm(int argc, char **argv) {
    const char **native = NULL;
    const vt_opt opts[] = {{"--allow-native", true, NULL, NULL, &native}, {NULL, false, NULL, NULL, NULL}};
    const char **pos = NULL;
    int npos = 0;
    if (vt_cli_parse("disasm", argc, argv, opts, &pos, &npos) != 0) return free(native), VT_EXIT_USAGE;
    if (npos != 1) { free(pos), free(native); return vt_cli_fail("disasm", "name one file: %s", vt_cli_usage("disasm")); }
    FILE *probe = fopen(pos[0], "rb");
    if (!probe) { int r = vt_cli_fail("disasm", "cannot read `%s`", pos[0]); free(pos), free(native); return r; }
    fclose(probe);
    vt_program *p = vt_cli_open_flow("disasm", pos[0], native);
    free(pos), free(native);
    if (!p) return VT_EXIT_FINDINGS;
    int rc = vt_disasm(p, stdout) == 0 && fflush(stdout) == 0 ? VT_EXIT_OK : vt_cli_fail("disasm", "cannot write the listing");
    vt_program_free(p);
    return rc;
}
