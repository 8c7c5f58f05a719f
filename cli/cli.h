/* Shared pieces of the command-line front end. */
#ifndef VT_CLI_H
#define VT_CLI_H
#include "commands.h"
#include <stdbool.h>

#define X(name, usage, summary) int cmd_##name(int argc, char **argv);
VT_COMMANDS(X)
#undef X

/* A tiny option parser: flags that take a value (--store DB or --store=DB), flags
 * without (--check), and positional arguments, in any order. `--` ends options. */
typedef struct vt_opt {
    const char *name;       /* "--store" */
    bool takes_value;
    const char **value;     /* set for value options (the last one wins) */
    bool *flag;             /* set for flags */
    const char ***multi;    /* repeatable value options (--allow A --allow B): NULL-terminated, malloc'd */
} vt_opt;

/* Parses argv[1..]: known options into opts, the rest into *pos (malloc'd, NULL-terminated,
 * count in *npos). On an unknown option or a missing value prints a message naming it and
 * the command's usage, and returns -1. */
int vt_cli_parse(const char *cmd, int argc, char **argv, const vt_opt *opts, const char ***pos, int *npos);
/* Prints "verity CMD: " and the message to stderr. Returns VT_EXIT_USAGE. */
int vt_cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The usage line of a command (from the table). */
const char *vt_cli_usage(const char *cmd);
/* The stdlib directory: $VERITY_STDLIB, else the one the build was configured with. */
const char *vt_cli_stdlib_dir(void);
/* Directories native libraries may load from besides the stdlib's: the `--allow-native`
 * values (`flags`, NULL-terminated, may be NULL), then $VERITY_ALLOW_NATIVE split at ':'.
 * NULL-terminated, one malloc'd block (free() it); NULL when out of memory. */
const char **vt_cli_native_dirs(const char *const *flags);
/* Opens a FLOW (.flow or .vbc) for command `cmd`, its native libraries allowed from the
 * stdlib's directory and from vt_cli_native_dirs(allow_native). On failure prints the
 * diagnostics and "verity CMD: cannot load the flow PATH" and returns NULL. */
struct vt_program *vt_cli_open_flow(const char *cmd, const char *path, const char *const *allow_native);

#endif
