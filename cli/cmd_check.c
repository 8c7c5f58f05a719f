#include "cli.h"

/* Not built yet: says so plainly instead of pretending. */
int cmd_check(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return vt_cli_fail("check", "this command is not available in this build yet");
}
