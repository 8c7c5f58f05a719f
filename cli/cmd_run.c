#include "cli.h"

/* Not built yet: says so plainly instead of pretending. */
int cmd_run(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return vt_cli_fail("run", "this command is not available in this build yet");
}
