#include "cli.h"

/* Not built yet: says so plainly instead of pretending. */
int cmd_contacts(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return vt_cli_fail("contacts", "this command is not available in this build yet");
}
