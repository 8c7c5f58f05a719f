/* Native functions end to end (SPEC §8), data-driven from tests/cases/extern/:
 *  - every NAME.flow says what `verity check` finds: `# check: clean` or one
 *    `# check: CODE line N` per error; `# allow-native: testlib` allows the directory of
 *    the test library (tests/native/vt_testlib.c) for checking and running it;
 *  - a NAME.flow with a NAME.jsonl runs in memory (vm_driver.h) to exactly its
 *    `# expect: ` lines (outbox contact|at|kind|target|template|workflow|status|reason
 *    and contact|lifecycle|state), and through `verity simulate`;
 *  - a library outside the stdlib's directory loads only from a directory allowed with
 *    `--allow-native` (or VERITY_ALLOW_NATIVE, read by the CLI), at check, build and load;
 *  - the verifier refuses a CALL_EXTERN with the wrong arity or an unknown function. */
#include "support.h"
#include "vm_driver.h"
#include "../runtime/program.h"
#include "../runtime/opcodes.h"
#include "../runtime/vbc.h"
#include <criterion/criterion.h>
#include <sys/stat.h>
#include <unistd.h>

#define CASES VT_TEST_DIR "/cases/extern/"

static bool wants_testlib(const char *text) { return strstr(text, "\n# allow-native: testlib") != NULL; }

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The lines of a file that start with `prefix`, without it (sorted, malloc'd). */
static size_t directives(const char *text, const char *prefix, char **out, size_t max) {
    size_t n = 0, pl = strlen(prefix);
    for (const char *l = text; l && *l && n < max; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, prefix, pl) != 0) continue;
        const char *e = strchr(l, '\n');
        size_t len = e ? (size_t)(e - l) - pl : strlen(l) - pl;
        out[n] = strndup(l + pl, len);
        n++;
    }
    qsort(out, n, sizeof *out, cmp_str);
    return n;
}

static char *joined(char **v, size_t n) {
    size_t len = 1;
    for (size_t i = 0; i < n; i++) len += strlen(v[i]) + 1;
    char *s = malloc(len), *q = s;
    *q = 0;
    for (size_t i = 0; i < n; i++) q += sprintf(q, "%s\n", v[i]);
    return s;
}

static void free_all(char **v, size_t n) { for (size_t i = 0; i < n; i++) free(v[i]); }

/* "E034 line 31" for each error `verity check` prints as FILE:LINE:COL: error[CODE]. */
static size_t errors_found(const char *out, char **v, size_t max) {
    size_t n = 0;
    for (const char *l = out; l && *l && n < max; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        const char *e = strstr(l, ": error[");
        const char *nl = strchr(l, '\n');
        if (!e || (nl && e > nl)) continue;
        /* FILE:LINE:COL just before ": error[" */
        const char *c2 = e - 1;
        while (c2 > l && *c2 != ':') c2--;
        const char *c1 = c2 - 1;
        while (c1 > l && *c1 != ':') c1--;
        char buf[64];
        snprintf(buf, sizeof buf, "%.4s line %d", e + 8, atoi(c1 + 1));
        v[n++] = strdup(buf);
    }
    qsort(v, n, sizeof *v, cmp_str);
    return n;
}

Test(extern, check_finds_what_each_case_says) {
    size_t nf;
    char **files = vt_list_files(CASES, ".flow", &nf);
    cr_assert(nf >= 5, "the extern cases are missing");
    for (size_t i = 0; i < nf; i++) {
        char *text = vt_read_file(files[i], NULL);
        cr_assert(text);
        char *want[16], *got[16];
        size_t nw = directives(text, "# check: ", want, 16);
        cr_assert(nw >= 1, "%s has no `# check:` line", files[i]);
        bool clean = nw == 1 && strcmp(want[0], "clean") == 0;
        vt_run_result r = wants_testlib(text) ? vt_run_verity(NULL, NULL, "check '%s' --allow-native '%s'", files[i], VT_TESTLIB_DIR)
                                              : vt_run_verity(NULL, NULL, "check '%s'", files[i]);
        size_t ng = errors_found(r.out, got, 16);
        char *w = clean ? strdup("") : joined(want, nw), *g = joined(got, ng);
        cr_expect_str_eq(g, w, "%s: errors differ\n--- got\n%s--- want\n%s--- output\n%s", files[i], g, w, r.out);
        cr_expect_eq(r.status, clean ? 0 : 1, "%s: exit %d", files[i], r.status);
        free(w); free(g);
        free_all(want, nw); free_all(got, ng);
        vt_run_free(&r);
        free(text);
    }
    vt_free_list(files);
}

/* The expected outbox and states of a case, against a program already loaded. */
static void expect_run(const vt_program *p, const char *flow, const char *input) {
    char *text = vt_read_file(flow, NULL);
    char *want[64];
    size_t nw = directives(text, "# expect: ", want, 64);
    drv_out ob = {0}, st = {0};
    char e[512] = "";
    cr_assert_eq(drv_run(p, input, &ob, &st, e, sizeof e), 0, "%s: %s", flow, e);
    char *got[128];
    size_t ng = 0;
    for (size_t i = 0; i < ob.n && ng < 128; i++) got[ng++] = ob.lines[i];
    for (size_t i = 0; i < st.n && ng < 128; i++) got[ng++] = st.lines[i];
    qsort(got, ng, sizeof *got, cmp_str);
    char *g = joined(got, ng), *w = joined(want, nw);
    cr_expect_str_eq(g, w, "%s: outbox/states differ\n--- got\n%s--- want\n%s", flow, g, w);
    free(g); free(w);
    free_all(want, nw);
    drv_free(&ob); drv_free(&st);
    free(text);
}

Test(extern, cases_with_inputs_run_to_their_expectations) {
    size_t nf, ran = 0;
    char **files = vt_list_files(CASES, ".flow", &nf);
    for (size_t i = 0; i < nf; i++) {
        char input[4096];
        snprintf(input, sizeof input, "%.*s.jsonl", (int)(strlen(files[i]) - 5), files[i]);
        if (access(input, R_OK) != 0) continue;
        char *err = NULL, *text = vt_read_file(files[i], NULL);
        const char *dirs[] = {VT_TESTLIB_DIR, NULL};
        vt_program_opts o = {NULL, wants_testlib(text) ? dirs : NULL};
        free(text);
        vt_program *p = vt_program_compile_ex(files[i], &o, &err);
        cr_assert(p, "%s does not compile:\n%s", files[i], err ? err : "");
        expect_run(p, files[i], input);
        vt_program_free(p);
        ran++;
    }
    cr_expect_gt(ran, 0);
    vt_free_list(files);
}

Test(extern, simulate_writes_the_native_results) {
    char *dir = vt_temp_dir();
    vt_run_result r = vt_run_verity(NULL, NULL, "simulate '%s' '%s' --contacts '%s/c.jsonl'", CASES "email_province.flow",
                                    CASES "email_province.jsonl", dir);
    cr_assert_eq(r.status, 0, "simulate failed: %s", r.err);
    cr_expect(strstr(r.out, "\"contact\":\"c-1\"") && strstr(r.out, "\"template\":\"welcome-MI\""), "outbox: %s", r.out);
    cr_expect(!strstr(r.out, "\"contact\":\"c-2\""), "an invalid address got a welcome: %s", r.out);
    char path[4096];
    snprintf(path, sizeof path, "%s/c.jsonl", dir);
    char *contacts = vt_read_file(path, NULL);
    cr_assert(contacts);
    /* " Provincia di Milano " -> MI in the rule; "Roma" -> RM */
    cr_expect(strstr(contacts, "\"province\":\"MI\"") && strstr(contacts, "\"province\":\"RM\""), "contacts: %s", contacts);
    free(contacts);
    vt_run_free(&r);
    cr_expect_eq(vt_remove_temp_dir(dir), 0);
}

/* A directory holding a copy of the stdlib's library under another name. */
static char *local_lib_dir(void) {
    char *dir = vt_temp_dir();
    size_t len;
    char *so = vt_read_file(VT_NATIVE_DIR "/libverity_it.so", &len);
    cr_assert(so, "the stdlib's native library is not built");
    char path[4096];
    snprintf(path, sizeof path, "%s/libverity_local.so", dir);
    cr_assert_eq(vt_write_file(path, so, len), 0);
    free(so);
    return dir;
}

Test(extern, a_library_elsewhere_needs_allow_native) {
    char *dir = local_lib_dir();
    const char *flow = CASES "local_library.flow";
    vt_run_result r = vt_run_verity(NULL, NULL, "check '%s'", flow);
    cr_expect_eq(r.status, 1);
    cr_expect(strstr(r.out, "E058") && strstr(r.out, "--allow-native"), "no clear refusal: %s", r.out);
    vt_run_free(&r);
    r = vt_run_verity(NULL, NULL, "check '%s' --allow-native '%s'", flow, dir);
    cr_expect_eq(r.status, 0, "allowed, yet: %s", r.out);
    vt_run_free(&r);

    char out[4096];
    snprintf(out, sizeof out, "%s/local.vbc", dir);
    r = vt_run_verity(NULL, NULL, "build '%s' -o '%s'", flow, out);
    cr_expect_eq(r.status, 1);
    cr_expect(access(out, F_OK) != 0, "a refused build wrote bytecode");
    vt_run_free(&r);
    r = vt_run_verity(NULL, NULL, "build '%s' -o '%s' --allow-native '%s'", flow, out, dir);
    cr_assert_eq(r.status, 0, "build with --allow-native failed: %s", r.err);
    vt_run_free(&r);

    /* The bytecode records the library by name: loading it binds again, from the
     * allowed directories of whoever loads it. */
    size_t len;
    uint8_t *bytes = (uint8_t *)vt_read_file(out, &len);
    cr_assert(bytes);
    char *err = NULL;
    vt_program *p = vt_program_load(bytes, len, &err);
    cr_expect_null(p, "loaded a library from a directory nobody allowed");
    cr_expect(err && strstr(err, "libverity_local.so") && strstr(err, "--allow-native"), "message: %s", err ? err : "(none)");
    free(err);
    err = NULL;
    const char *dirs[] = {dir, NULL};
    vt_program_opts o = {NULL, dirs};
    p = vt_program_load_ex(bytes, len, &o, &err);
    cr_assert(p, "refused with the directory allowed: %s", err ? err : "");
    drv_out ob = {0}, st = {0};
    char e[256] = "";
    cr_assert_eq(drv_run(p, CASES "email_province.jsonl", &ob, &st, e, sizeof e), 0, "%s", e);
    char *g = joined(st.lines, st.n);
    /* ok = valid email and consent: c-1 and c-3 reach `done`, c-2 does not */
    cr_expect_str_eq(g, "c-1|funnel|done\nc-2|funnel|lead\nc-3|funnel|done\n");
    free(g);
    drv_free(&ob); drv_free(&st);
    vt_program_free(p);
    free(bytes);
    cr_expect_eq(vt_remove_temp_dir(dir), 0);
}

/* Every command that takes a FLOW takes --allow-native too: simulate refuses the local
 * library without it, and runs the flow (same states as above) with it. */
Test(extern, simulate_and_run_take_allow_native) {
    char *dir = local_lib_dir();
    const char *flow = CASES "local_library.flow";
    char input[4096];
    snprintf(input, sizeof input, "%s/in.jsonl", dir);
    const char *lines =
        "{\"type\":\"contact\",\"contact\":\"c-1\",\"at\":\"2026-01-02T09:00:00Z\",\"id\":\"crm-1\","
        "\"email\":\"mario.rossi@example.it\",\"consent_email\":true}\n"
        "{\"type\":\"signup\",\"contact\":\"c-1\",\"at\":\"2026-01-03T10:00:00Z\",\"id\":\"s-1\"}\n";
    cr_assert_eq(vt_write_file(input, lines, strlen(lines)), 0);
    vt_run_result r = vt_run_verity(NULL, NULL, "simulate '%s' '%s'", flow, input);
    cr_expect_eq(r.status, 2, "simulate ran a library nobody allowed: %s", r.err);
    cr_expect(strstr(r.err, "cannot load the flow") && strstr(r.err, "--allow-native"), "message: %s", r.err);
    vt_run_free(&r);
    char contacts[4096];
    snprintf(contacts, sizeof contacts, "%s/contacts.jsonl", dir);
    r = vt_run_verity(NULL, NULL, "simulate '%s' '%s' --allow-native '%s' --contacts '%s'", flow, input, dir, contacts);
    cr_expect_eq(r.status, 0, "simulate with --allow-native failed: %s", r.err);
    vt_run_free(&r);
    char *rows = vt_read_file(contacts, NULL);
    cr_assert(rows, "no contacts written");
    cr_expect(strstr(rows, "\"id\":\"c-1\"") && strstr(rows, "\"funnel\":\"done\""), "%s", rows);
    free(rows);

    char store[4096];
    snprintf(store, sizeof store, "%s/s.db", dir);
    r = vt_run_verity(NULL, NULL, "ingest --store '%s' --flow '%s' '%s' --allow-native '%s'", store, flow, input, dir);
    cr_expect_eq(r.status, 0, "ingest: %s", r.err);
    vt_run_free(&r);
    r = vt_run_verity(NULL, NULL, "run '%s' --store '%s'", flow, store);
    cr_expect_eq(r.status, 2, "run loaded a library nobody allowed");
    vt_run_free(&r);
    r = vt_run_verity(NULL, NULL, "run '%s' --store '%s' --allow-native '%s'", flow, store, dir);
    cr_expect_eq(r.status, 0, "run: %s", r.err);
    vt_run_free(&r);
    cr_expect_eq(vt_remove_temp_dir(dir), 0);
}

Test(extern, the_environment_bridge_allows_a_directory) {
    char *dir = local_lib_dir();
    char out[4096];
    snprintf(out, sizeof out, "%s/env.vbc", dir);
    vt_run_result r = vt_run_verity(NULL, NULL, "build '%s' -o '%s'", CASES "local_library.flow", out);
    cr_expect_eq(r.status, 1);
    vt_run_free(&r);
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "VERITY_ALLOW_NATIVE='/nonexistent:%s' '%s' build '%s' -o '%s' 2>/dev/null", dir, VT_VERITY_BIN,
             CASES "local_library.flow", out);
    cr_expect_eq(system(cmd), 0);
    cr_expect_eq(access(out, F_OK), 0, "no bytecode written with VERITY_ALLOW_NATIVE");
    cr_expect_eq(vt_remove_temp_dir(dir), 0);
}

Test(extern, verifier_refuses_bad_calls) {
    char *err = NULL;
    vt_program *p = vt_program_compile(CASES "email_province.flow", NULL, &err);
    cr_assert(p, "%s", err ? err : "");
    uint8_t *bytes;
    size_t len;
    cr_assert_eq(vt_program_save(p, &bytes, &len), 0);
    vt_program_free(p);
    uint32_t ncode, *code = code_of(bytes, &ncode);
    cr_assert(code);
    uint32_t at = UINT32_MAX;
    for (uint32_t pc = 0; pc < ncode; pc += 1 + vt_opinfo_table[code[pc]].nops)
        if (code[pc] == VT_I_CALL_EXTERN) { at = pc; break; }
    cr_assert_neq(at, UINT32_MAX, "no CALL_EXTERN emitted");
    struct { unsigned word; uint32_t value; } bad[] = {{1, 2}, {1, 0}, {2, 7}, {2, 0xFFFFFFFFu}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        uint32_t keep = code[at + bad[i].word];
        code[at + bad[i].word] = bad[i].value;
        err = NULL;
        vt_program *q = vt_program_load(bytes, len, &err);
        cr_expect_null(q, "a CALL_EXTERN with operand %u = %u was accepted", bad[i].word, bad[i].value);
        if (q) vt_program_free(q);
        cr_expect(err && strstr(err, "invalid bytecode"), "message: %s", err ? err : "(none)");
        free(err);
        code[at + bad[i].word] = keep;
    }
    err = NULL;
    vt_program *q = vt_program_load(bytes, len, &err);
    cr_expect(q, "the untouched file is refused: %s", err ? err : "");
    vt_program_free(q);
    free(bytes);
}
