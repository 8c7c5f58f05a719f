/* verity graph FILE [--format dot|mermaid] : each lifecycle as a state diagram on
 * stdout (docs/fmt.md, "verity graph"). The flow must resolve: a diagram of a flow
 * with unknown names would draw edges to nowhere. */
#include "cli.h"
#include "compiler/graph.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GRAPH_FORMATS(F) F(dot, VT_GRAPH_DOT) F(mermaid, VT_GRAPH_MERMAID)

static const struct { const char *name; vt_graph_format fmt; } formats[] = {
#define F(name, fmt) {#name, fmt},
    GRAPH_FORMATS(F)
#undef F
};

static int want_colour(void) {
    const char *nc = getenv("NO_COLOR");
    return isatty(STDERR_FILENO) && !(nc && *nc);
}

int cmd_graph(int argc, char **argv) {
    const char *format = "dot";
    const char **files = NULL;
    int nfiles = 0;
    const vt_opt opts[] = {{"--format", true, &format, NULL, NULL}, {0}};
    if (vt_cli_parse("graph", argc, argv, opts, &files, &nfiles) < 0) {
        free(files);
        return VT_EXIT_USAGE;
    }
    int rc = VT_EXIT_USAGE;
    const char *path = nfiles == 1 ? files[0] : NULL;
    free(files);
    if (!path) return vt_cli_fail("graph", "name one .flow file\nusage: verity %s", vt_cli_usage("graph"));
    int fi = -1;
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (!strcmp(formats[i].name, format)) fi = (int)i;
    if (fi < 0) return vt_cli_fail("graph", "unknown format `%s`; use dot or mermaid", format);
    struct stat st;
    FILE *probe = NULL;
    if (stat(path, &st) != 0 || !(probe = fopen(path, "rb")))
        return vt_cli_fail("graph", "cannot read `%s`: %s", path, strerror(errno));
    fclose(probe);
    if (S_ISDIR(st.st_mode))
        return vt_cli_fail("graph", "cannot read `%s`: it is a directory; name a .flow file", path);

    vt_sources sources = {0};
    vt_diags diags;
    vt_diags_init(&diags, &sources);
    vt_unit u;
    vt_unit_init(&u, &sources, &diags);
    u.stdlib_dir = vt_cli_stdlib_dir();
    if (vt_unit_parse_root(&u, path) < 0) {
        vt_diags_finish(&diags);
        vt_diags_render(&diags, VT_FMT_TEXT, stderr, want_colour());
        goto out;
    }
    if (vt_resolve(&u) > 0 || diags.nerrors) {
        vt_diags_finish(&diags);
        vt_diags_render(&diags, VT_FMT_TEXT, stderr, want_colour());
        fprintf(stderr, "no graph drawn: fix the errors above first\n");
        rc = VT_EXIT_FINDINGS;
        goto out;
    }
    if (vt_graph(&u, formats[fi].fmt, stdout) < 0 || fflush(stdout) != 0) {
        vt_cli_fail("graph", "cannot write the graph: %s", errno ? strerror(errno) : "out of memory");
        goto out;
    }
    rc = VT_EXIT_OK;
out:
    vt_unit_free(&u);
    vt_diags_free(&diags);
    vt_sources_free(&sources);
    return rc;
}
