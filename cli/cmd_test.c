#include "cli.h"

/* Not built yet: says so plainly instead of pretending. */
int cmd_test(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return vt_cli_fail("test", "this command is not available in this build yet");
}
