/* `verity check` through the binary: exit codes, positions, formats, silencing. */
#include "support.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CASES VT_TEST_DIR "/cases/check"

static size_t count_of(const char *hay, const char *needle) {
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
    return n;
}

/* Is there a finding of `code` printed at "FILE:LINE:" on one output line? */
static int finding_at(const char *out, const char *where, const char *code) {
    for (const char *p = out; (p = strstr(p, where)) != NULL; p++) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char *line = strndup(p, len);
        int hit = strstr(line, code) != NULL;
        free(line);
        if (hit) return 1;
    }
    return 0;
}

Test(check_cli, shipped_examples_are_clean) {
    vt_run_result r = vt_run_verity(VT_SOURCE_DIR, NULL, "check examples/*.flow");
    cr_expect_eq(r.status, 0, "exit %d\nstdout:\n%s\nstderr:\n%s", r.status, r.out, r.err);
    cr_expect_str_empty(r.out, "findings on the shipped examples:\n%s", r.out);
    cr_expect(strstr(r.err, "no problems found in 2 files") != NULL, "summary: %s", r.err);
    vt_run_free(&r);
}

/* The project's acceptance case: a misspelled event, money compared with a number and
 * a syntax error, all three reported at their places in one run. */
Test(check_cli, three_errors_at_their_positions) {
    vt_run_result r = vt_run_verity(CASES, NULL, "check three-errors.flow");
    cr_expect_eq(r.status, 1, "exit %d, stderr: %s", r.status, r.err);
    cr_expect(finding_at(r.out, "three-errors.flow:18:4:", "E022"), "misspelled event not at 18:4:\n%s", r.out);
    cr_expect(finding_at(r.out, "three-errors.flow:21:29:", "E040"), "money vs int not at 21:29 (the `>=`):\n%s",
              r.out);
    cr_expect(finding_at(r.out, "three-errors.flow:24:18:", "E001"), "syntax error not at 24:18:\n%s", r.out);
    cr_expect(strstr(r.err, "3 errors in 1 file") != NULL, "summary: %s", r.err);
    vt_run_free(&r);
}

Test(check_cli, text_shows_the_line_and_a_caret) {
    vt_run_result r = vt_run_verity(CASES, NULL, "check unknown-event.flow");
    cr_expect_eq(r.status, 1);
    cr_expect(strstr(r.out, "on purchse { tag \"buyer\" }") != NULL, "no source line:\n%s", r.out);
    cr_expect(strstr(r.out, "   ^~~~~~~") != NULL, "no caret under the name:\n%s", r.out);
    cr_expect(strstr(r.out, "\033[") == NULL, "colour when stdout is not a terminal");
    vt_run_free(&r);
}

Test(check_cli, json_is_one_document_with_the_codes) {
    vt_run_result r = vt_run_verity(CASES, NULL, "check --format json three-errors.flow unknown-event.flow");
    cr_expect_eq(r.status, 1);
    cr_expect(strncmp(r.out, "{\"diagnostics\":", 15) == 0, "not a json report:\n%s", r.out);
    cr_expect_eq(count_of(r.out, "{\"diagnostics\":"), 1, "several documents:\n%s", r.out);
    cr_expect(strstr(r.out, "\"code\":\"E022\"") != NULL);
    cr_expect(strstr(r.out, "\"code\":\"E040\"") != NULL);
    cr_expect(strstr(r.out, "\"code\":\"E001\"") != NULL);
    cr_expect(strstr(r.out, "\"file\":\"unknown-event.flow\",\"line\":11,\"column\":4") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "\"errors\":4") != NULL, "%s", r.out);
    cr_expect_str_empty(r.err, "json mode prints no summary: %s", r.err);
    vt_run_free(&r);
}

Test(check_cli, machine_formats) {
    vt_run_result r = vt_run_verity(CASES, NULL, "check --format sarif unknown-event.flow");
    cr_expect_eq(r.status, 1);
    cr_expect(strstr(r.out, "\"version\":\"2.1.0\"") != NULL);
    cr_expect(strstr(r.out, "\"ruleId\":\"E022\"") != NULL);
    vt_run_free(&r);
    r = vt_run_verity(CASES, NULL, "check --format github unknown-event.flow");
    cr_expect_eq(r.status, 1);
    cr_expect(strncmp(r.out, "::error file=unknown-event.flow,line=11,col=4", 45) == 0, "%s", r.out);
    vt_run_free(&r);
    r = vt_run_verity(CASES, NULL, "check --format=junit unknown-event.flow syntax-error.flow");
    cr_expect_eq(r.status, 1);
    cr_expect(strstr(r.out, "<testsuites name=\"verity check\" tests=\"2\" failures=\"2\">") != NULL, "%s", r.out);
    cr_expect_eq(count_of(r.out, "<testsuites"), 1);
    vt_run_free(&r);
}

Test(check_cli, allow_flag_silences_a_code) {
    vt_run_result r = vt_run_verity(CASES, NULL, "check --allow E022 unknown-event.flow");
    cr_expect_eq(r.status, 0, "exit %d:\n%s", r.status, r.out);
    cr_expect_str_empty(r.out);
    vt_run_free(&r);
    /* Allowing another code changes nothing. */
    r = vt_run_verity(CASES, NULL, "check --allow V003 unknown-event.flow");
    cr_expect_eq(r.status, 1);
    vt_run_free(&r);
}

Test(check_cli, allow_comment_on_the_line_above) {
    vt_run_result r = vt_run_verity(CASES, NULL, "check allowed-comment.flow");
    cr_expect_eq(r.status, 0, "exit %d:\n%s", r.status, r.out);
    cr_expect_str_empty(r.out);
    vt_run_free(&r);
}

Test(check_cli, warnings_pass_unless_denied) {
    vt_run_result r = vt_run_verity(CASES, NULL, "check unused-team.flow");
    cr_expect_eq(r.status, 0, "a warning alone must not fail: exit %d\n%s", r.status, r.out);
    cr_expect(finding_at(r.out, "unused-team.flow:6:", "warning[V012]"), "no V012 on line 6:\n%s", r.out);
    cr_expect(strstr(r.err, "1 warning in 1 file") != NULL, "summary: %s", r.err);
    vt_run_free(&r);
    r = vt_run_verity(CASES, NULL, "check --deny warnings unused-team.flow");
    cr_expect_eq(r.status, 1, "--deny warnings: exit %d\n%s", r.status, r.out);
    cr_expect(strstr(r.out, "error[V012]") != NULL, "%s", r.out);
    vt_run_free(&r);
    r = vt_run_verity(CASES, NULL, "check --deny warnings --allow V012 unused-team.flow");
    cr_expect_eq(r.status, 0);
    cr_expect_str_empty(r.out);
    vt_run_free(&r);
}

Test(check_cli, unreadable_file_is_exit_2_and_named) {
    vt_run_result r = vt_run_verity(CASES, NULL, "check unknown-event.flow no-such-file.flow");
    cr_expect_eq(r.status, 2);
    cr_expect(strstr(r.err, "no-such-file.flow") != NULL, "the message must name the file: %s", r.err);
    vt_run_free(&r);
    r = vt_run_verity(CASES, NULL, "check .");
    cr_expect_eq(r.status, 2);
    cr_expect(strstr(r.err, "directory") != NULL, "%s", r.err);
    vt_run_free(&r);
}

Test(check_cli, usage_errors_are_exit_2) {
    const char *bad[] = {
        "check --frobnicate three-errors.flow",
        "check --format yaml three-errors.flow",
        "check --allow X999 three-errors.flow",
        "check --deny errors three-errors.flow",
        "check --format",
        "check",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vt_run_result r = vt_run_verity(CASES, NULL, "%s", bad[i]);
        cr_expect_eq(r.status, 2, "`verity %s`: exit %d", bad[i], r.status);
        cr_expect_str_empty(r.out, "`verity %s` wrote to stdout", bad[i]);
        cr_expect_str_not_empty(r.err, "`verity %s` said nothing", bad[i]);
        vt_run_free(&r);
    }
    vt_run_result r = vt_run_verity(CASES, NULL, "check --format yaml three-errors.flow");
    cr_expect(strstr(r.err, "text, json, sarif, github, junit") != NULL, "valid formats not listed: %s", r.err);
    vt_run_free(&r);
}

Test(check_cli, help_and_version) {
    vt_run_result r = vt_run_verity(NULL, NULL, "--version");
    cr_expect_eq(r.status, 0);
    cr_expect(strncmp(r.out, "verity ", 7) == 0, "%s", r.out);
    vt_run_free(&r);
    r = vt_run_verity(NULL, NULL, "help");
    cr_expect_eq(r.status, 0);
    cr_expect(strstr(r.out, "check") != NULL && strstr(r.out, "simulate") != NULL, "%s", r.out);
    vt_run_free(&r);
    r = vt_run_verity(NULL, NULL, "check --help");
    cr_expect_eq(r.status, 0);
    cr_expect(strstr(r.out, "usage: verity check FILE...") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "--deny warnings") != NULL, "%s", r.out);
    vt_run_free(&r);
}

Test(check_cli, shipped_examples_are_canonical) {
    vt_run_result r = vt_run_verity(VT_SOURCE_DIR, NULL, "fmt --check examples/*.flow");
    cr_expect_eq(r.status, 0, "`verity fmt` would change the examples:\n%s%s", r.out, r.err);
    vt_run_free(&r);
}

/* A mistake in a module that two checked flows import is one mistake. */
Test(check_cli, shared_module_reported_once) {
    vt_run_result r = vt_run_verity(CASES "/shared-module", NULL, "check first.flow second.flow");
    cr_expect_eq(r.status, 1, "exit %d\n%s", r.status, r.out);
    cr_expect_eq(count_of(r.out, "common.flow:5:"), 1, "reported %zu times:\n%s", count_of(r.out, "common.flow:5:"),
                 r.out);
    cr_expect(strstr(r.err, "1 error in 2 files") != NULL, "summary: %s", r.err);
    vt_run_free(&r);
}

/* Colour only on a terminal, and never with NO_COLOR set. `script` (util-linux, always
 * on Debian) gives the command a pseudo-terminal. */
static char *run_on_terminal(const char *env) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "cd '%s' && %s script -qec \"'%s' check unknown-event.flow\" /dev/null </dev/null 2>&1",
             CASES, env, VT_VERITY_BIN);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char *out = calloc(1, 65536);
    size_t n = fread(out, 1, 65535, p);
    out[n] = 0;
    pclose(p);
    return out;
}

Test(check_cli, colour_only_on_a_terminal) {
    char *out = run_on_terminal("env -u NO_COLOR");
    cr_expect(strstr(out, "\033[1;31merror[E022]") != NULL, "no colour on a terminal:\n%s", out);
    free(out);
    out = run_on_terminal("NO_COLOR=1");
    cr_expect(strstr(out, "error[E022]") != NULL, "%s", out);
    cr_expect(strstr(out, "\033[") == NULL, "colour despite NO_COLOR:\n%s", out);
    free(out);
}
