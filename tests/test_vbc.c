/* The .vbc format: a built file loads back to the same program and runs the same; a
 * truncated, corrupt or hostile file is refused with a message (never a crash or an
 * out-of-bounds read: run this under ASan/UBSan), and what the verifier accepts after a
 * byte flip still runs safely. Also `verity build` and `verity disasm` end to end. */
#include "support.h"
#include "vm_driver.h"
#include "../runtime/program.h"
#include "../runtime/opcodes.h"
#include "../runtime/vbc.h"
#include "../common/mem.h"
#include <criterion/criterion.h>

#define CASES VT_TEST_DIR "/cases/vm/"

static vt_program *compile(const char *path) {
    char *err = NULL;
    vt_program *p = vt_program_compile(path, NULL, &err);
    cr_assert(p, "%s does not compile: %s", path, err ? err : "");
    return p;
}

static char *listing(const vt_program *p) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    vt_disasm(p, f);
    fclose(f);
    return buf;
}

static char *run_lines(const vt_program *p, const char *input) {
    drv_out ob = {0}, st = {0};
    char e[256] = "";
    drv_run(p, input, &ob, &st, e, sizeof e);
    size_t len = 1;
    for (size_t i = 0; i < ob.n; i++) len += strlen(ob.lines[i]) + 1;
    for (size_t i = 0; i < st.n; i++) len += strlen(st.lines[i]) + 1;
    char *s = malloc(len), *q = s;
    *q = 0;
    for (size_t i = 0; i < ob.n; i++) q += sprintf(q, "%s\n", ob.lines[i]);
    for (size_t i = 0; i < st.n; i++) q += sprintf(q, "%s\n", st.lines[i]);
    drv_free(&ob);
    drv_free(&st);
    return s;
}

Test(vbc, round_trip_is_the_same_program) {
    const char *names[] = {"steps", "exprs", "window_edge", "no_for"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char flow[512], input[512];
        snprintf(flow, sizeof flow, CASES "%s.flow", names[i]);
        snprintf(input, sizeof input, CASES "%s.jsonl", names[i]);
        vt_program *a = compile(flow);
        uint8_t *bytes;
        size_t len;
        cr_assert_eq(vt_program_save(a, &bytes, &len), 0);
        char *err = NULL;
        vt_program *b = vt_program_load(bytes, len, &err);
        cr_assert(b, "%s: reload refused: %s", names[i], err);
        cr_expect_str_eq(vt_program_hash(a), vt_program_hash(b));
        char *la = listing(a), *lb = listing(b);
        cr_expect_str_eq(la, lb, "%s: listing differs after a round trip", names[i]);
        char *ra = run_lines(a, input), *rb = run_lines(b, input);
        cr_expect_str_eq(ra, rb, "%s: results differ after a round trip", names[i]);
        free(la); free(lb); free(ra); free(rb); free(bytes);
        vt_program_free(a);
        vt_program_free(b);
    }
}

static uint8_t *built(size_t *len) {
    vt_program *p = compile(CASES "steps.flow");
    uint8_t *bytes;
    cr_assert_eq(vt_program_save(p, &bytes, len), 0);
    vt_program_free(p);
    return bytes;
}

Test(vbc, every_truncation_is_refused) {
    size_t len;
    uint8_t *bytes = built(&len);
    for (size_t n = 0; n < len; n++) {
        char *err = NULL;
        vt_program *p = vt_program_load(bytes, n, &err);
        cr_assert_null(p, "a file cut to %zu of %zu bytes was accepted", n, len);
        cr_assert(err && *err, "no message for a file cut to %zu bytes", n);
        free(err);
    }
    free(bytes);
}

/* A flipped byte is refused, or the program it yields runs the input safely. */
Test(vbc, byte_flips_are_refused_or_run_safely) {
    size_t len;
    uint8_t *bytes = built(&len);
    uint8_t *m = malloc(len);
    size_t refused = 0;
    for (size_t i = 0; i < len; i++) {
        for (int flip = 0; flip < 2; flip++) {
            memcpy(m, bytes, len);
            m[i] ^= flip ? 0xFF : 0x01;
            char *err = NULL;
            vt_program *p = vt_program_load(m, len, &err);
            if (!p) { refused++; cr_assert(err && *err); free(err); continue; }
            if (i % 5 == 0) free(run_lines(p, CASES "steps.jsonl"));
            vt_program_free(p);
        }
    }
    cr_expect_gt(refused, len / 4, "suspiciously few mutants refused (%zu of %zu)", refused, 2 * len);
    free(m);
    free(bytes);
}

static void expect_refused(uint8_t *b, size_t len, const char *needle) {
    char *err = NULL;
    vt_program *p = vt_program_load(b, len, &err);
    cr_expect_null(p, "a hostile file was accepted (expected: %s)", needle);
    if (p) vt_program_free(p);
    cr_expect(err && strstr(err, needle), "message `%s` does not mention `%s`", err ? err : "(none)", needle);
    free(err);
}

Test(vbc, hostile_code_is_refused_with_a_reason) {
    size_t len;
    uint8_t *bytes = built(&len);
    uint8_t *m = malloc(len);
    uint32_t ncode, *code;
    /* The first function of steps.flow is its steps: FIELD vip, JFALSE ... */
    memcpy(m, bytes, len);
    code = code_of(m, &ncode);
    cr_assert(code && ncode > 10);
    code[0] = 250;
    expect_refused(m, len, "unknown opcode");
    memcpy(m, bytes, len);
    code = code_of(m, &ncode);
    code[1] = 9999;                    /* FIELD 9999 */
    expect_refused(m, len, "out of range");
    memcpy(m, bytes, len);
    code = code_of(m, &ncode);
    code[3] = ncode + 40;              /* JFALSE outside the code */
    expect_refused(m, len, "leaves its function");
    memcpy(m, bytes, len);
    code = code_of(m, &ncode);
    code[0] = VT_I_NOT;                /* NOT on an empty stack */
    code[1] = VT_I_NOT;
    expect_refused(m, len, "stack underflow");
    memcpy(m, bytes, len);
    code = code_of(m, &ncode);
    code[0] = VT_I_NOW;                /* a value left where the step suspends */
    code[1] = VT_I_NOW;
    expect_refused(m, len, "stack");
    memcpy(m, bytes, len);
    memcpy(m, "VTBX", 4);
    expect_refused(m, len, "magic");
    memcpy(m, bytes, len);
    m[4] = 9;
    expect_refused(m, len, "version");
    free(m);
    free(bytes);
}

Test(vbc, build_and_disasm_commands) {
    char *dir = vt_temp_dir();
    vt_run_result r = vt_run_verity(dir, NULL, "build %s -o out.vbc", CASES "steps.flow");
    cr_assert_eq(r.status, 0, "build failed: %s", r.err);
    vt_run_free(&r);
    r = vt_run_verity(dir, NULL, "disasm out.vbc");
    cr_assert_eq(r.status, 0, "disasm failed: %s", r.err);
    cr_expect(strstr(r.out, "WAIT_UNTIL") && strstr(r.out, "; pop cond, dur") && strstr(r.out, "(line "),
              "listing lacks synopses or lines:\n%s", r.out);
    vt_run_free(&r);
    char path[1024];
    snprintf(path, sizeof path, "%s/out.vbc", dir);
    size_t len;
    char *data = vt_read_file(path, &len);
    cr_assert(data);
    snprintf(path, sizeof path, "%s/cut.vbc", dir);
    vt_write_file(path, data, len / 2);
    r = vt_run_verity(dir, NULL, "disasm cut.vbc");
    cr_expect_eq(r.status, 1);
    cr_expect(strstr(r.err, "cut.vbc") && strstr(r.err, "truncated"), "unclear refusal: %s", r.err);
    vt_run_free(&r);
    r = vt_run_verity(dir, NULL, "build %s -o bad.vbc", CASES "missing.flow");
    cr_expect_neq(r.status, 0);
    vt_run_free(&r);
    free(data);
    cr_expect_eq(vt_remove_temp_dir(dir), 0);
}

/* Out of memory at any allocation while loading, creating a contact or running it is a
 * refusal or an error, never a crash. */
Test(vbc, allocation_failures_are_handled) {
    size_t len;
    uint8_t *bytes = built(&len);
    for (long n = 0; n < 400; n++) {
        vt_mem_fail_after(n);
        char *err = NULL;
        vt_program *p = vt_program_load(bytes, len, &err);
        free(err);
        if (p) {
            vt_vm *vm = vt_vm_new(p);
            if (vm) {
                vt_contact c;
                if (vt_contact_init(vm, &c, "c-1", 0) == 0) {
                    vt_input in = {VT_INPUT_CREATED, 0, "x", NULL, 0, false};
                    vt_vm_apply(vm, &c, &in, NULL);
                    vt_vm_advance(vm, &c, 86400 * 10, NULL);
                    vt_contact_free(&c);
                }
                vt_vm_free(vm);
            }
            vt_program_free(p);
        }
        vt_mem_fail_after(-1);
    }
    free(bytes);
}
