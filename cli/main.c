/* verity: a thin CLI over libverity. Dispatch comes from the table in commands.h. */
#include "cli.h"
#include "verity.h"
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

typedef struct command {
    const char *name, *usage, *summary;
    int (*run)(int argc, char **argv);
} command;

static const command commands[] = {
#define X(name, usage, summary) {#name, usage, summary, cmd_##name},
    VT_COMMANDS(X)
#undef X
};
enum { NCOMMANDS = sizeof commands / sizeof commands[0] };

const char *vt_cli_usage(const char *cmd) {
    for (int i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, cmd) == 0) return commands[i].usage;
    return "";
}

static void help(FILE *out) {
    fputs("verity " VERITY_VERSION " - rules for contact lifecycles, checked and run\n\n"
          "usage: verity COMMAND [ARGS]\n\ncommands:\n", out);
    for (int i = 0; i < NCOMMANDS; i++) fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fputs("\n`verity COMMAND --help` shows a command's arguments.\n"
          "Exit codes: 0 success, 1 problems found in the input, 2 the tool could not run.\n", out);
}

int main(int argc, char **argv) {
    /* No memory statistics: they cost a mutex per SQLite allocation (about 2% of ingest
     * and run). Process-wide, so set here, before any other SQLite call, not in the library. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    if (argc < 2) {
        help(stderr);
        return VT_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "help") || !strcmp(name, "--help") || !strcmp(name, "-h")) {
        if (argc > 2) {
            for (int i = 0; i < NCOMMANDS; i++)
                if (!strcmp(commands[i].name, argv[2])) {
                    printf("usage: verity %s\n\n%s\n", commands[i].usage, commands[i].summary);
                    return VT_EXIT_OK;
                }
            return vt_cli_fail("help", "there is no command `%s`; `verity help` lists them", argv[2]);
        }
        help(stdout);
        return VT_EXIT_OK;
    }
    if (!strcmp(name, "--version") || !strcmp(name, "version")) {
        puts("verity " VERITY_VERSION);
        return VT_EXIT_OK;
    }
    for (int i = 0; i < NCOMMANDS; i++) {
        if (strcmp(commands[i].name, name) != 0) continue;
        for (int k = 2; k < argc; k++) {
            if (!strcmp(argv[k], "--")) break;
            if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) {
                printf("usage: verity %s\n\n%s\n", commands[i].usage, commands[i].summary);
                return VT_EXIT_OK;
            }
        }
        return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "verity: there is no command `%s`.\n\n", name);
    help(stderr);
    return VT_EXIT_USAGE;
}
