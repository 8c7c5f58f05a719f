/* The VM through its public API (verity.h), data-driven:
 *  - tests/cases/vm/NAME.flow with NAME.jsonl: the inputs run in memory (sorted by
 *    (at, line)) must produce exactly the `# expect: ` lines of the flow (outbox lines
 *    contact|at|kind|target|template|workflow|status|reason, and contact|lifecycle|state);
 *  - `# ops LABEL: OP OP ...` lines assert the opcodes emitted for the function whose
 *    disassembly label is LABEL (e.g. "truth hot", "rule 0: on visit");
 *  - the external conformance cases, when ../shared/conformance exists. */
#include "support.h"
#include "vm_driver.h"
#include "../runtime/program.h"
#include <criterion/criterion.h>
#include <dirent.h>
#include <sys/stat.h>

static char *join_lines(char **l, size_t n) {
    size_t len = 1;
    for (size_t i = 0; i < n; i++) len += strlen(l[i]) + 1;
    char *s = malloc(len), *p = s;
    *p = 0;
    for (size_t i = 0; i < n; i++) p += sprintf(p, "%s\n", l[i]);
    return s;
}

/* Runs flow + input and compares with the expected lines (sorted). */
static void check_run(const char *flow, const char *input, char **want, size_t nwant) {
    char *err = NULL;
    vt_program *p = vt_program_compile(flow, NULL, &err);
    cr_assert(p, "%s does not compile:\n%s", flow, err ? err : "");
    drv_out ob = {0}, st = {0};
    char e[512] = "";
    int rc = drv_run(p, input, &ob, &st, e, sizeof e);
    cr_assert_eq(rc, 0, "%s: %s", flow, e);
    char **got = malloc((ob.n + st.n + 1) * sizeof *got);
    size_t ng = 0;
    for (size_t i = 0; i < ob.n; i++) got[ng++] = ob.lines[i];
    for (size_t i = 0; i < st.n; i++) got[ng++] = st.lines[i];
    qsort(got, ng, sizeof *got, drv_cmp_str);
    qsort(want, nwant, sizeof *want, drv_cmp_str);
    char *g = join_lines(got, ng), *w = join_lines(want, nwant);
    cr_expect_str_eq(g, w, "%s: outbox/states differ\n--- got\n%s--- want\n%s", flow, g, w);
    free(g); free(w); free(got);
    drv_free(&ob); drv_free(&st);
    vt_program_free(p);
}

/* The opcode names of the function labelled `label` in the disassembly. */
static char *ops_of(const vt_program *p, const char *label) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    vt_disasm(p, f);
    fclose(f);
    char *out = calloc(1, len + 1), *o = out;
    int in = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "fn", 2) == 0) {
            char *sp = strstr(line, "  ");
            in = sp && strcmp(sp + 2, label) == 0;
            continue;
        }
        if (in && line[0] == ' ') {
            char op[32];
            if (sscanf(line, " %*u %31s", op) == 1) o += sprintf(o, "%s%s", o == out ? "" : " ", op);
        }
    }
    free(buf);
    return out;
}

static void run_case_file(const char *flow) {
    size_t n;
    char *text = vt_read_file(flow, &n);
    cr_assert(text, "cannot read %s", flow);
    char **want = calloc(n + 1, sizeof *want);
    size_t nwant = 0;
    vt_program *p = NULL;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        if (strncmp(line, "# expect: ", 10) == 0) want[nwant++] = line + 10;
        else if (strncmp(line, "# ops ", 6) == 0) {
            char *colon = strrchr(line + 6, ':');   /* labels may hold a colon; op lists never do */
            cr_assert(colon, "%s: `# ops LABEL: OPS` needs a colon", flow);
            *colon = 0;
            if (!p) {
                char *err = NULL;
                p = vt_program_compile(flow, NULL, &err);
                cr_assert(p, "%s does not compile:\n%s", flow, err ? err : "");
            }
            char *got = ops_of(p, line + 6);
            cr_expect_str_eq(got, colon + 2, "%s: opcodes of `%s`", flow, line + 6);
            free(got);
        }
    }
    char input[1024];
    snprintf(input, sizeof input, "%.*s.jsonl", (int)(strlen(flow) - 5), flow);
    struct stat sb;
    if (stat(input, &sb) == 0) check_run(flow, input, want, nwant);
    if (p) vt_program_free(p);
    free(want);
    free(text);
}

Test(vm, case_files) {
    size_t n = 0;
    char **files = vt_list_files(VT_TEST_DIR "/cases/vm", ".flow", &n);
    cr_assert(files && n > 0, "no case files in tests/cases/vm");
    for (size_t i = 0; i < n; i++) run_case_file(files[i]);
    vt_free_list(files);
}

static void conformance_case(const char *name) {
    char dir[1024], flow[1100], input[1100], exp1[1100], exp2[1100];
    snprintf(dir, sizeof dir, "%s/../shared/conformance/%s", VT_SOURCE_DIR, name);
    struct stat sb;
    if (stat(dir, &sb) != 0) cr_skip_test("no conformance suite beside the checkout");
    snprintf(flow, sizeof flow, "%s/flow.flow", dir);
    snprintf(input, sizeof input, "%s/input.jsonl", dir);
    snprintf(exp1, sizeof exp1, "%s/expected_outbox.txt", dir);
    snprintf(exp2, sizeof exp2, "%s/expected_states.txt", dir);
    size_t n1, n2;
    char *a = vt_read_file(exp1, &n1), *b = vt_read_file(exp2, &n2);
    cr_assert(a && b);
    char **want = calloc(n1 + n2 + 2, sizeof *want);
    size_t nw = 0;
    for (char *t = strtok(a, "\n"); t; t = strtok(NULL, "\n")) want[nw++] = t;
    for (char *t = strtok(b, "\n"); t; t = strtok(NULL, "\n")) want[nw++] = t;
    check_run(flow, input, want, nw);
    free(want); free(a); free(b);
}

Test(vm, conformance_lead_lifecycle) { conformance_case("lead-lifecycle"); }
Test(vm, conformance_shop_timing) { conformance_case("shop-timing"); }

/* A contact's state survives a round trip through its blob, and a damaged blob is
 * refused rather than trusted. */
Test(vm, contact_blob_round_trip_and_refusal) {
    char *err = NULL;
    vt_program *p = vt_program_compile(VT_SOURCE_DIR "/../shared/conformance/lead-lifecycle/flow.flow", NULL, &err);
    if (!p) cr_skip_test("conformance flow not available");
    vt_vm *vm = vt_vm_new(p);
    vt_contact c, d;
    cr_assert_eq(vt_contact_init(vm, &c, "c-1", 1000), 0);
    vt_input in = {VT_INPUT_CREATED, 1000, "x", NULL, 0, false};
    cr_assert_eq(vt_vm_apply(vm, &c, &in, NULL), 0);
    cr_assert_eq(vt_contact_restore(vm, &d, c.data, c.len), 0);
    cr_expect_str_eq(vt_contact_id(&d), "c-1");
    cr_expect_eq(vt_contact_state(&d, 0), vt_contact_state(&c, 0));
    cr_expect_eq(vt_contact_next_wake(&d), vt_contact_next_wake(&c));
    vt_contact_free(&d);
    cr_expect_neq(vt_contact_restore(vm, &d, c.data, c.len - 1 < 100 ? c.len - 1 : 100), 0);
    uint8_t *bad = malloc(c.len);
    for (size_t i = 0; i < c.len; i += 7) {
        memcpy(bad, c.data, c.len);
        bad[i] ^= 0xA5;
        if (vt_contact_restore(vm, &d, bad, c.len) == 0) {
            /* accepted: must still run safely */
            vt_vm_advance(vm, &d, 1000 + 86400 * 400, NULL);
            vt_contact_free(&d);
        }
    }
    free(bad);
    vt_contact_free(&c);
    vt_vm_free(vm);
    vt_program_free(p);
}

/* A contact whose rule keeps setting a text field stays small (its tail is compacted). */
Test(vm, text_updates_do_not_grow_the_contact) {
    char *err = NULL;
    vt_program *p = vt_program_compile(VT_TEST_DIR "/cases/vm/text_growth.flow", NULL, &err);
    cr_assert(p, "%s", err ? err : "");
    const vt_schema *s = vt_program_schema(p);
    int visit = vt_schema_event_index(s, "visit", 5);
    vt_vm *vm = vt_vm_new(p);
    vt_contact c;
    cr_assert_eq(vt_contact_init(vm, &c, "t", 0), 0);
    char url[64];
    vt_value v;
    memset(&v, 0, sizeof v);
    v.type = VT_V_TEXT;
    size_t peak = 0;
    for (int i = 0; i < 20000; i++) {
        snprintf(url, sizeof url, "/a/fairly/long/url/number/%d", i);
        v.u.s.p = url;
        v.u.s.len = (uint32_t)strlen(url);
        vt_input in = {visit, i, NULL, &v, 1, false};
        cr_assert_eq(vt_vm_apply(vm, &c, &in, NULL), 0);
        if (c.len > peak) peak = c.len;
    }
    cr_expect_lt(peak, 8192, "the contact grew to %zu bytes", peak);
    vt_value last = vt_contact_field(&c, (uint32_t)vt_schema_field_index(s, "last_url", 8));
    cr_assert_eq(last.type, VT_V_TEXT);
    cr_expect(last.u.s.len == strlen(url) && memcmp(last.u.s.p, url, last.u.s.len) == 0);
    vt_contact_free(&c);
    vt_vm_free(vm);
    vt_program_free(p);
}

/* Exact windows (SPEC §4): a contact buying every day for years keeps only what its
 * 30-day window still holds, so it stays small; its sum stays exact; and past 65,536
 * entries inside one window the runtime refuses clearly instead of answering wrong. */
static vt_vm *window_vm(vt_program **pp, int *buy, int *ping, int *total) {
    char *err = NULL;
    vt_program *p = vt_program_compile(VT_TEST_DIR "/cases/vm/window_limit.flow", NULL, &err);
    cr_assert(p, "%s", err ? err : "");
    const vt_schema *s = vt_program_schema(p);
    *buy = vt_schema_event_index(s, "buy", 3);
    *ping = vt_schema_event_index(s, "ping", 4);
    *total = vt_schema_field_index(s, "total", 5);
    *pp = p;
    return vt_vm_new(p);
}

Test(vm, windows_drop_what_they_no_longer_hold) {
    vt_program *p;
    int buy, ping, total;
    vt_vm *vm = window_vm(&p, &buy, &ping, &total);
    vt_contact c, d;
    cr_assert_eq(vt_contact_init(vm, &c, "w", 0), 0);
    vt_value v;
    memset(&v, 0, sizeof v);
    v.type = VT_V_INT;
    v.u.i = 1;
    size_t peak = 0;
    for (int i = 0; i < 3000; i++) {   /* one purchase a day, three a day in the last 30 */
        for (int j = 0; j < (i >= 2970 ? 3 : 1); j++) {
            vt_input in = {buy, (int64_t)i * 86400 + j, NULL, &v, 1, false};
            cr_assert_eq(vt_vm_apply(vm, &c, &in, NULL), 0, "%s", vt_vm_error(vm));
        }
        if (c.len > peak) peak = c.len;
    }
    cr_expect_lt(peak, 16384, "the contact grew to %zu bytes", peak);   /* keeping all: ~96 KB */
    cr_assert_eq(vt_contact_restore(vm, &d, c.data, c.len), 0, "%s", vt_vm_error(vm));
    vt_input in = {ping, 2999 * 86400 + 10, NULL, NULL, 0, false};
    cr_assert_eq(vt_vm_apply(vm, &d, &in, NULL), 0, "%s", vt_vm_error(vm));
    vt_value t = vt_contact_field(&d, (uint32_t)total);
    cr_assert_eq(t.type, VT_V_INT);
    cr_expect_eq(t.u.i, 90, "the 30-day sum is %lld", (long long)t.u.i);
    vt_contact_free(&d);
    /* a damaged window is refused, or runs safely (ASan) */
    uint8_t *bad = malloc(c.len);
    cr_assert(bad);
    for (size_t i = 0; i < c.len; i += 3) {
        memcpy(bad, c.data, c.len);
        bad[i] ^= 0xA5;
        if (vt_contact_restore(vm, &d, bad, c.len) == 0) {
            vt_input more = {buy, 3000 * 86400, NULL, &v, 1, false};
            (void)vt_vm_apply(vm, &d, &more, NULL);
            (void)vt_vm_apply(vm, &d, &in, NULL);
            vt_contact_free(&d);
        }
    }
    free(bad);
    vt_contact_free(&c);
    vt_vm_free(vm);
    vt_program_free(p);
}

Test(vm, a_window_past_its_limit_is_refused) {
    vt_program *p;
    int buy, ping, total;
    vt_vm *vm = window_vm(&p, &buy, &ping, &total);
    vt_contact c;
    cr_assert_eq(vt_contact_init(vm, &c, "big", 0), 0);
    vt_value v;
    memset(&v, 0, sizeof v);
    v.type = VT_V_INT;
    v.u.i = 1;
    for (int i = 0; i < 65536; i++) {
        vt_input in = {buy, i, NULL, &v, 1, false};
        cr_assert_eq(vt_vm_apply(vm, &c, &in, NULL), 0, "%s", vt_vm_error(vm));
    }
    vt_input ping_in = {ping, 65536, NULL, NULL, 0, false};
    cr_assert_eq(vt_vm_apply(vm, &c, &ping_in, NULL), 0, "%s", vt_vm_error(vm));
    cr_expect_eq(vt_contact_field(&c, (uint32_t)total).u.i, 65536);
    const vt_schema *s = vt_program_schema(p);
    vt_value lots = vt_contact_field(&c, (uint32_t)vt_schema_field_index(s, "lots", 4));
    cr_expect(lots.type == VT_V_BOOL && lots.u.b, "count(...) >= 2000 is false with 65536 purchases");
    vt_input in = {buy, 65537, NULL, &v, 1, false};
    cr_expect_neq(vt_vm_apply(vm, &c, &in, NULL), 0);
    cr_expect(strstr(vt_vm_error(vm), "65536") && strstr(vt_vm_error(vm), "`buy`"), "%s", vt_vm_error(vm));
    vt_contact_free(&c);
    vt_vm_free(vm);
    vt_program_free(p);
}
