/* The user documentation agrees with the tables it describes:
 * - docs/diagnostics.md and the code table (common/diag_codes.h), both ways: every code
 *   has a section `## CODE slug` with an example, and every section names a code of the
 *   table with its slug. A new code without documentation fails here;
 * - docs/language.md lists every reserved word of compiler/keywords.h;
 * - docs/cli.md documents every command of cli/commands.h with its usage line. */
#include "common/diag.h"
#include "support.h"
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

typedef struct section {
    char code[16], slug[64];
    int has_example;    /* a fenced ``` block inside the section */
    int line;
} section;

static section *sections;
static size_t nsections;

static void load(void) {
    char *doc = vt_read_file(VT_SOURCE_DIR "/docs/diagnostics.md", NULL);
    cr_assert_not_null(doc, "docs/diagnostics.md cannot be read");
    size_t cap = 0;
    int lineno = 0, in_fence = 0;
    for (char *p = doc; *p;) {
        char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        lineno++;
        if (len >= 3 && !strncmp(p, "```", 3)) {
            in_fence = !in_fence;
            if (in_fence && nsections) sections[nsections - 1].has_example = 1;
        } else if (!in_fence && len > 3 && !strncmp(p, "## ", 3)) {
            if (nsections == cap) sections = realloc(sections, sizeof *sections * (cap = cap ? cap * 2 : 64));
            section *s = &sections[nsections++];
            memset(s, 0, sizeof *s);
            s->line = lineno;
            char head[256];
            snprintf(head, sizeof head, "%.*s", (int)(len - 3), p + 3);
            char extra[8] = "";
            int got = sscanf(head, "%15s %63s %7s", s->code, s->slug, extra);
            cr_expect_eq(got, 2, "docs/diagnostics.md:%d: a section is headed `## CODE slug`, not `## %s`", lineno,
                         head);
        }
        p += len + (eol != NULL);
    }
    free(doc);
}

static void unload(void) {
    free(sections);
    sections = NULL;
    nsections = 0;
}

TestSuite(catalogue, .init = load, .fini = unload);

Test(catalogue, every_code_has_a_section_with_an_example) {
    for (int c = 0; c < VT_CODE_COUNT; c++) {
        const char *name = vt_code_name((vt_code)c);
        size_t found = 0;
        for (size_t i = 0; i < nsections; i++) {
            if (strcmp(sections[i].code, name) != 0) continue;
            found++;
            cr_expect_str_eq(sections[i].slug, vt_code_slug((vt_code)c),
                             "docs/diagnostics.md:%d: %s is `%s` in common/diag_codes.h", sections[i].line, name,
                             vt_code_slug((vt_code)c));
            cr_expect(sections[i].has_example, "docs/diagnostics.md:%d: %s has no example (a ``` block)",
                      sections[i].line, name);
        }
        cr_expect_eq(found, 1, "docs/diagnostics.md has %zu sections for %s (%s): add `## %s %s`", found, name,
                     vt_code_slug((vt_code)c), name, vt_code_slug((vt_code)c));
    }
}

Test(catalogue, every_section_names_a_code) {
    for (size_t i = 0; i < nsections; i++)
        cr_expect_neq(vt_code_by_name(sections[i].code), VT_CODE_COUNT,
                      "docs/diagnostics.md:%d: `%s` is not a code of common/diag_codes.h", sections[i].line,
                      sections[i].code);
}

Test(catalogue, sections_follow_the_table_order) {
    vt_code prev = 0;
    for (size_t i = 0; i < nsections; i++) {
        vt_code c = vt_code_by_name(sections[i].code);
        if (c == VT_CODE_COUNT) continue;
        cr_expect_geq(c, prev, "docs/diagnostics.md:%d: %s comes after %s in the table", sections[i].line,
                      sections[i].code, vt_code_name(prev));
        prev = c;
    }
}

/* The reserved words listed in docs/language.md are the ones the lexer reserves. */
#include "compiler/keywords.h"

static const char *const keywords[] = {
#define KW(text, token, doc) text,
    VT_KEYWORDS(KW)
#undef KW
};

Test(catalogue, language_guide_lists_every_keyword) {
    char *doc = vt_read_file(VT_SOURCE_DIR "/docs/language.md", NULL);
    cr_assert_not_null(doc, "docs/language.md cannot be read");
    char *list = strstr(doc, "\n## Reserved words");
    cr_assert_not_null(list, "docs/language.md has no `## Reserved words` section");
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++) {
        char quoted[64];
        snprintf(quoted, sizeof quoted, "`%s`", keywords[i]);
        cr_expect(strstr(list, quoted) != NULL, "docs/language.md, Reserved words: `%s` is missing", keywords[i]);
    }
    free(doc);
}

/* docs/cli.md has a section for every command of cli/commands.h, showing its usage line
 * as the table declares it. */
#include "cli/commands.h"

static const struct { const char *name, *usage; } commands[] = {
#define CMD(name, usage, summary) {#name, usage},
    VT_COMMANDS(CMD)
#undef CMD
};

Test(catalogue, cli_guide_documents_every_command) {
    char *doc = vt_read_file(VT_SOURCE_DIR "/docs/cli.md", NULL);
    cr_assert_not_null(doc, "docs/cli.md cannot be read");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        char want[512];
        snprintf(want, sizeof want, "\n## verity %s\n", commands[i].name);
        cr_expect(strstr(doc, want) != NULL, "docs/cli.md has no section `## verity %s`", commands[i].name);
        snprintf(want, sizeof want, "verity %s", commands[i].usage);
        cr_expect(strstr(doc, want) != NULL, "docs/cli.md does not show the usage `%s`", want);
    }
    free(doc);
}
