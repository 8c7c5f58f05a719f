/* verity fmt [--check] FILE...|- : rewrite flows in the canonical layout (docs/fmt.md).
 *
 * A file is rewritten through a temporary file in its own directory, renamed over the
 * original only once it is complete, so an error never loses the original. A file with
 * syntax errors is left alone and its errors are shown. Before anything is written the
 * formatted text is parsed again and compared with the original tree: if they differ
 * (a bug in the formatter), the file is left alone too. */
#include "cli.h"
#include "common/mem.h"
#include "compiler/ast_equal.h"
#include "compiler/fmt.h"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int want_colour(void) {
    const char *nc = getenv("NO_COLOR");
    return isatty(STDERR_FILENO) && !(nc && *nc);
}

/* Reads all of stdin into a malloc'd buffer; NULL on a read error. */
static char *read_stdin(size_t *len) {
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (!buf) return NULL;
    for (;;) {
        if (n == cap) {
            char *p = realloc(buf, cap *= 2);
            if (!p) {
                free(buf);
                return NULL;
            }
            buf = p;
        }
        size_t got = fread(buf + n, 1, cap - n, stdin);
        n += got;
        if (got == 0) break;
    }
    if (ferror(stdin)) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* Replaces `path` with text: a temporary file beside it, then rename. Keeps the mode
 * of the original, and writes through a symbolic link to the file it names. */
static int write_in_place(const char *path, const char *text, size_t n) {
    char real[PATH_MAX];
    struct stat st;
    const char *target = path;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && realpath(path, real)) target = real;
    bool have_mode = stat(target, &st) == 0;
    size_t plen = strlen(target);
    char *tmp = malloc(plen + 16);
    if (!tmp) return -1;
    memcpy(tmp, target, plen);
    memcpy(tmp + plen, ".fmt-XXXXXX", 12);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        errno = e;
        return -1;
    }
    int rc = 0;
    if (have_mode) (void)fchmod(fd, st.st_mode & 07777);
    for (size_t off = 0; off < n && rc == 0;) {
        ssize_t w = write(fd, text + off, n - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) rc = -1;
        else off += (size_t)w;
    }
    if (rc == 0 && fsync(fd) != 0) rc = -1;
    int e = errno;
    if (close(fd) != 0 && rc == 0) {
        rc = -1;
        e = errno;
    }
    if (rc == 0 && rename(tmp, target) != 0) {
        rc = -1;
        e = errno;
    }
    if (rc != 0) unlink(tmp);
    free(tmp);
    errno = e;
    return rc;
}

static int show_diags(vt_diags *d) {
    vt_diags_finish(d);
    vt_diags_render(d, VT_FMT_TEXT, stderr, want_colour());
    return VT_EXIT_FINDINGS;
}

/* Formats one file (or stdin for "-"); returns its exit code. */
static int fmt_one(const char *path, bool check) {
    bool std = strcmp(path, "-") == 0;
    const char *shown = std ? "<stdin>" : path;
    vt_sources sources = {0};
    vt_diags diags;
    vt_diags_init(&diags, &sources);
    vt_unit u;
    vt_unit_init(&u, &sources, &diags);
    int rc = VT_EXIT_OK;
    char *text = NULL;
    vt_module *m = NULL;

    if (std) {
        size_t len = 0;
        char *in = read_stdin(&len);
        if (!in) {
            rc = vt_cli_fail("fmt", "cannot read the standard input: %s", strerror(errno));
            goto out;
        }
        int file = vt_sources_add(&sources, shown, in, len);
        free(in);
        if (file < 0 || !(m = vt_parse(&u, (uint32_t)file))) {
            rc = vt_cli_fail("fmt", "out of memory");
            goto out;
        }
    } else {
        /* Refused before the parser sees it, so the message names the file and why. */
        struct stat st;
        FILE *probe = NULL;
        if (stat(path, &st) != 0 || !(probe = fopen(path, "rb"))) {
            rc = vt_cli_fail("fmt", "cannot read `%s`: %s", path, strerror(errno));
            goto out;
        }
        fclose(probe);
        if (S_ISDIR(st.st_mode)) {
            rc = vt_cli_fail("fmt", "cannot read `%s`: it is a directory; name the .flow files in it", path);
            goto out;
        }
        if (vt_unit_parse_root(&u, path) < 0) {
            show_diags(&diags);
            rc = VT_EXIT_USAGE;
            goto out;
        }
        if (u.nmodules == 0 || !(m = u.modules[0])) {
            rc = vt_cli_fail("fmt", "out of memory");
            goto out;
        }
    }
    if (m->parse_failed || diags.nerrors) {
        rc = show_diags(&diags);
        if (std) fputs("nothing was written: fix the errors above, then run `verity fmt` again\n", stderr);
        else fprintf(stderr, "%s was left unchanged: fix the errors above, then run `verity fmt` again\n", shown);
        goto out;
    }

    size_t n = 0;
    text = vt_fmt_to_string(&u, m, &n);
    if (!text) {
        rc = vt_cli_fail("fmt", "out of memory while formatting `%s`", shown);
        goto out;
    }
    /* The formatted text must mean exactly what the original meant. */
    int again = vt_sources_add(&sources, shown, text, n);
    vt_module *m2 = again < 0 ? NULL : vt_parse(&u, (uint32_t)again);
    if (!m2 || m2->parse_failed || !vt_ast_equal_module(m, m2, NULL, NULL)) {
        rc = vt_cli_fail("fmt",
                         "`%s` cannot be formatted safely (a bug in verity fmt: the new layout would read "
                         "differently); the file was left unchanged, please report it",
                         shown);
        goto out;
    }

    const vt_source *orig = &sources.v[m->file];
    bool same = orig->len == n && memcmp(orig->text, text, n) == 0;
    if (check) {
        if (!same) {
            printf("%s is not formatted; run `verity fmt %s`\n", shown, std ? "-" : path);
            rc = VT_EXIT_FINDINGS;
        }
    } else if (std) {
        if (fwrite(text, 1, n, stdout) != n || fflush(stdout) != 0)
            rc = vt_cli_fail("fmt", "cannot write the standard output: %s", strerror(errno));
    } else if (!same && write_in_place(path, text, n) != 0) {
        rc = vt_cli_fail("fmt", "cannot rewrite `%s`: %s; the file was left unchanged", path, strerror(errno));
    }
out:
    vt_free(text);
    vt_unit_free(&u);
    vt_diags_free(&diags);
    vt_sources_free(&sources);
    return rc;
}

int cmd_fmt(int argc, char **argv) {
    bool check = false;
    const char **files = NULL;
    int nfiles = 0;
    const vt_opt opts[] = {{"--check", false, NULL, &check, NULL}, {0}};
    if (vt_cli_parse("fmt", argc, argv, opts, &files, &nfiles) < 0) {
        free(files);
        return VT_EXIT_USAGE;
    }
    if (nfiles == 0) {
        free(files);
        return vt_cli_fail("fmt", "name the .flow files to format (or `-` for the standard input)\nusage: verity %s",
                           vt_cli_usage("fmt"));
    }
    int rc = VT_EXIT_OK;
    for (int i = 0; i < nfiles; i++) {
        int r = fmt_one(files[i], check);
        if (r > rc) rc = r;
    }
    free(files);
    return rc;
}
