/* verity check FILE... : the front end and the V-checks over each file, every finding
 * rendered together in one document (SPEC §7, §9). */
#include "cli.h"
#include "compiler/check.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The output formats, declared once: the flag's values and its error message come from here. */
#define CHECK_FORMATS(F) F(text, VT_FMT_TEXT) F(json, VT_FMT_JSON) F(sarif, VT_FMT_SARIF) \
    F(github, VT_FMT_GITHUB) F(junit, VT_FMT_JUNIT)

static const struct { const char *name; vt_diag_format fmt; } formats[] = {
#define F(name, fmt) {#name, fmt},
    CHECK_FORMATS(F)
#undef F
};
enum { NFORMATS = sizeof formats / sizeof formats[0] };

static int parse_format(const char *s, vt_diag_format *out) {
    for (size_t i = 0; i < NFORMATS; i++)
        if (!strcmp(formats[i].name, s)) { *out = formats[i].fmt; return 0; }
    fprintf(stderr, "verity check: unknown format `%s`; use one of: ", s);
    for (size_t i = 0; i < NFORMATS; i++) fprintf(stderr, "%s%s", i ? ", " : "", formats[i].name);
    fputc('\n', stderr);
    return -1;
}

/* NO_COLOR (no-color.org): present and not empty turns colour off. */
static int want_colour(void) {
    const char *nc = getenv("NO_COLOR");
    return isatty(STDOUT_FILENO) && !(nc && *nc);
}

/* Refuses what cannot be read before the parser sees it, so the message names the file
 * and the reason ("No such file or directory", "is a directory"). */
static int readable(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) {
        vt_cli_fail("check", "cannot read `%s`: %s", path, strerror(errno));
        return 0;
    }
    if (S_ISDIR(st.st_mode)) {
        vt_cli_fail("check", "cannot read `%s`: it is a directory; name the .flow files in it", path);
        return 0;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        vt_cli_fail("check", "cannot read `%s`: %s", path, strerror(errno));
        return 0;
    }
    fclose(f);
    return 1;
}

/* A module imported by several of the files checked is read once per file, so its
 * findings would be reported once per importer: keep the first of each. Findings are
 * the same when they name the same file (after resolving the path), place, code and
 * message. */
typedef struct finding_key {
    const char *file;       /* canonical path of the finding's source */
    vt_diag *g;
    size_t order;
} finding_key;

static int cmp_key(const void *pa, const void *pb) {
    const finding_key *a = pa, *b = pb;
    int c = strcmp(a->file, b->file);
    if (c) return c;
    if (a->g->span.start != b->g->span.start) return a->g->span.start < b->g->span.start ? -1 : 1;
    if (a->g->span.end != b->g->span.end) return a->g->span.end < b->g->span.end ? -1 : 1;
    if (a->g->code != b->g->code) return a->g->code < b->g->code ? -1 : 1;
    if ((c = strcmp(a->g->message, b->g->message)) != 0) return c;
    return a->order < b->order ? -1 : a->order > b->order;
}

static int drop_repeats(vt_diags *d, vt_sources *s) {
    if (d->n < 2 || s->n < 2) return 0;
    char **real = calloc(s->n, sizeof *real);
    finding_key *keys = malloc(d->n * sizeof *keys);
    int rc = -1;
    if (!real || !keys) goto out;
    for (size_t i = 0; i < s->n; i++) {
        real[i] = realpath(s->v[i].path, NULL);
        if (!real[i] && !(real[i] = strdup(s->v[i].path))) goto out;
    }
    for (size_t i = 0; i < d->n; i++) {
        uint32_t f = d->v[i].span.file;
        keys[i] = (finding_key){f < s->n ? real[f] : "", &d->v[i], i};
    }
    qsort(keys, d->n, sizeof *keys, cmp_key);
    for (size_t i = 1; i < d->n; i++) {
        finding_key a = keys[i - 1], b = keys[i];
        if (!strcmp(a.file, b.file) && a.g->span.start == b.g->span.start && a.g->span.end == b.g->span.end &&
            a.g->code == b.g->code && !strcmp(a.g->message, b.g->message))
            b.g->suppressed = 1;
    }
    rc = 0;
out:
    for (size_t i = 0; real && i < s->n; i++) free(real[i]);
    free(real);
    free(keys);
    return rc;
}

static void summary(const vt_diags *d, int nfiles) {
    const char *files = nfiles == 1 ? "file" : "files";
    if (!d->nerrors && !d->nwarnings) {
        fprintf(stderr, "no problems found in %d %s\n", nfiles, files);
        return;
    }
    if (d->nerrors) fprintf(stderr, "%zu error%s", d->nerrors, d->nerrors == 1 ? "" : "s");
    if (d->nerrors && d->nwarnings) fputs(", ", stderr);
    if (d->nwarnings) fprintf(stderr, "%zu warning%s", d->nwarnings, d->nwarnings == 1 ? "" : "s");
    fprintf(stderr, " in %d %s\n", nfiles, files);
}

int cmd_check(int argc, char **argv) {
    const char *format = "text", *deny = NULL;
    const char **allow = NULL, **files = NULL, **native = NULL;
    int nfiles = 0, rc = VT_EXIT_USAGE;
    const vt_opt opts[] = {
        {"--format", true, &format, NULL, NULL},
        {"--deny", true, &deny, NULL, NULL},
        {"--allow", true, NULL, NULL, &allow},
        {"--allow-native", true, NULL, NULL, &native},
        {0},
    };
    vt_sources sources = {0};
    vt_diags diags;
    vt_diags_init(&diags, &sources);
    if (vt_cli_parse("check", argc, argv, opts, &files, &nfiles) < 0) goto out;

    vt_diag_format fmt;
    if (parse_format(format, &fmt) < 0) goto out;
    if (deny && strcmp(deny, "warnings") != 0) {
        vt_cli_fail("check", "`--deny` takes only `warnings` (got `%s`): it turns every warning into an error", deny);
        goto out;
    }
    diags.deny_warnings = deny != NULL;
    for (size_t i = 0; allow && allow[i]; i++) {
        vt_code c = vt_code_by_name(allow[i]);
        if (c == VT_CODE_COUNT) {
            vt_cli_fail("check",
                        "`--allow %s`: there is no such code; codes are a letter and three digits, as printed "
                        "in a finding (E020, V003 ...): docs/diagnostics.md lists them all",
                        allow[i]);
            goto out;
        }
        diags.allowed[c] = 1;
    }
    if (nfiles == 0) {
        vt_cli_fail("check", "name at least one .flow file\nusage: verity %s", vt_cli_usage("check"));
        goto out;
    }

    int nchecked = 0;
    /* Extern functions are bound as they would be to run (E034, E058), so a library
     * that cannot load is found before deploy. */
    vt_check_opts copts = {.stdlib_dir = vt_cli_stdlib_dir(), .analyze = true, .natives = true, .native_dirs = native};
    for (int i = 0; i < nfiles; i++) {
        if (!readable(files[i])) continue;
        nchecked++;
        vt_unit u;
        vt_unit_init(&u, &sources, &diags);
        vt_check_file(&u, files[i], &copts);
        vt_unit_free(&u);
    }
    if (drop_repeats(&diags, &sources) < 0) diags.oom = 1;
    vt_diags_finish(&diags);
    if (vt_diags_render(&diags, fmt, stdout, fmt == VT_FMT_TEXT && want_colour()) < 0 || fflush(stdout) != 0) {
        vt_cli_fail("check", "cannot write the report: %s", strerror(errno));
        goto out;
    }
    if (fmt == VT_FMT_TEXT) summary(&diags, nchecked);
    if (diags.oom) {
        vt_cli_fail("check", "out of memory: some findings may be missing");
        goto out;
    }
    rc = nchecked < nfiles ? VT_EXIT_USAGE : diags.nerrors ? VT_EXIT_FINDINGS : VT_EXIT_OK;
out:
    vt_diags_free(&diags);
    vt_sources_free(&sources);
    free(files);
    free(allow);
    free(native);
    return rc;
}
