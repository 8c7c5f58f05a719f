/* The machine formats of `verity check` (SPEC §7): json, sarif, github, junit. The
 * SARIF log is validated against the SARIF 2.1.0 JSON schema vendored in tests/data/
 * (with python3's jsonschema when the machine has it), and its required structure is
 * asserted here in any case. */
#include "support.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CASES VT_TEST_DIR "/cases/analysis"
/* Findings with notes and hints, warnings and errors. */
#define FILES "V002-pos.flow V006-pos.flow V009-pos.flow V014-pos.flow"

/* ---- a strict JSON well-formedness checker (RFC 8259 grammar) ------------------------ */

static const char *ws(const char *p) {
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') p++;
    return p;
}

static const char *value(const char *p, int depth);

static const char *string(const char *p) {
    if (*p++ != '"') return NULL;
    while (*p != '"') {
        if ((unsigned char)*p < 0x20) return NULL;
        if (*p == '\\') {
            p++;
            if (*p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i]) return NULL;
                p += 4;
            } else if (!*p || !strchr("\"\\/bfnrt", *p)) {
                return NULL;
            }
        }
        p++;
    }
    return p + 1;
}

static const char *number(const char *p) {
    if (*p == '-') p++;
    if (*p == '0') p++;
    else if (*p >= '1' && *p <= '9') while (*p >= '0' && *p <= '9') p++;
    else return NULL;
    if (*p == '.') {
        p++;
        if (!(*p >= '0' && *p <= '9')) return NULL;
        while (*p >= '0' && *p <= '9') p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (!(*p >= '0' && *p <= '9')) return NULL;
        while (*p >= '0' && *p <= '9') p++;
    }
    return p;
}

static const char *value(const char *p, int depth) {
    if (depth > 64) return NULL;
    p = ws(p);
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        int obj = *p == '{';
        p = ws(p + 1);
        if (*p == close) return p + 1;
        for (;;) {
            if (obj) {
                p = string(ws(p));
                if (!p) return NULL;
                p = ws(p);
                if (*p++ != ':') return NULL;
            }
            p = value(p, depth + 1);
            if (!p) return NULL;
            p = ws(p);
            if (*p == ',') { p++; continue; }
            if (*p == close) return p + 1;
            return NULL;
        }
    }
    if (*p == '"') return string(p);
    if (!strncmp(p, "true", 4)) return p + 4;
    if (!strncmp(p, "false", 5)) return p + 5;
    if (!strncmp(p, "null", 4)) return p + 4;
    return number(p);
}

static int valid_json(const char *text) {
    const char *end = value(text, 0);
    return end && *ws(end) == 0;
}

static size_t count_of(const char *hay, const char *needle) {
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
    return n;
}

/* ---- json ------------------------------------------------------------------------------ */

Test(formats, json_is_valid_and_complete) {
    vt_run_result r = vt_run_verity(CASES, NULL, "check --format json " FILES);
    cr_expect_eq(r.status, 1, "V006 and V009 are errors: exit %d", r.status);
    cr_assert(valid_json(r.out), "not valid JSON:\n%s", r.out);
    size_t n = count_of(r.out, "{\"code\":\"");
    cr_expect_gt(n, 8, "%s", r.out);
    const char *keys[] = {"\"severity\":", "\"name\":", "\"file\":", "\"line\":", "\"column\":", "\"end_line\":",
                          "\"end_column\":", "\"message\":", "\"hint\":", "\"notes\":["};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        cr_expect_geq(count_of(r.out, keys[i]), n, "every finding has %s:\n%s", keys[i], r.out);
    cr_expect(strstr(r.out, "\"errors\":3,\"warnings\":") != NULL, "%s", r.out);
    cr_expect(strstr(r.out, "\"code\":\"V014\",\"severity\":\"warning\",\"name\":\"acts-after-leaving\"") != NULL,
              "%s", r.out);
    vt_run_free(&r);
}

/* ---- sarif ----------------------------------------------------------------------------- */

static int have_jsonschema(void) {
    return system("python3 -c 'import jsonschema' >/dev/null 2>&1") == 0;
}

Test(formats, sarif_validates_against_the_2_1_0_schema) {
    vt_run_result r = vt_run_verity(CASES, NULL, "check --format sarif " FILES);
    cr_assert(valid_json(r.out), "not valid JSON:\n%s", r.out);
    /* What the schema requires of the objects Verity writes, asserted by hand. */
    cr_expect(strncmp(r.out, "{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\","
                             "\"runs\":[{\"tool\":{\"driver\":{\"name\":\"verity\"", 107) == 0, "%s", r.out);
    size_t results = count_of(r.out, "{\"ruleId\":\"");
    cr_expect_gt(results, 8);
    cr_expect_eq(count_of(r.out, "\"physicalLocation\":{\"artifactLocation\":{\"uri\":"),
                 results + count_of(r.out, ",\"id\":"),
                 "every result and related location has a physical location");
    cr_expect_eq(count_of(r.out, "\"level\":\"error\",\"message\":{\"text\":"), 3, "%s", r.out);
    /* ruleIndex points at the rule with the same id. */
    for (const char *p = r.out; (p = strstr(p, "{\"ruleId\":\"")) != NULL; p++) {
        char id[8];
        int index;
        cr_assert_eq(sscanf(p, "{\"ruleId\":\"%7[A-Z0-9]\",\"ruleIndex\":%d", id, &index), 2);
        const char *rules = strstr(r.out, "\"rules\":[");
        cr_assert(rules);
        const char *rule = rules;
        for (int k = 0; k <= index && rule; k++) rule = strstr(rule + 1, "{\"id\":\"");
        cr_assert(rule, "ruleIndex %d out of range", index);
        char rid[8];
        cr_expect_eq(sscanf(rule, "{\"id\":\"%7[A-Z0-9]\"", rid), 1);
        cr_expect_str_eq(rid, id, "ruleIndex %d names %s, the result says %s", index, rid, id);
    }
    /* The schema itself, when python3 can read it. */
    if (have_jsonschema()) {
        char *dir = vt_temp_dir();
        char path[1024], cmd[4096];
        snprintf(path, sizeof path, "%s/out.sarif", dir);
        cr_assert_eq(vt_write_file(path, r.out, strlen(r.out)), 0);
        snprintf(cmd, sizeof cmd,
                 "python3 -c 'import json,sys,jsonschema; s=json.load(open(sys.argv[1])); d=json.load(open(sys.argv[2]));"
                 " jsonschema.Draft4Validator(s).validate(d)' '%s/data/sarif-schema-2.1.0.json' '%s' >'%s/err' 2>&1",
                 VT_TEST_DIR, path, dir);
        int rc = system(cmd);
        snprintf(path, sizeof path, "%s/err", dir);
        char *err = vt_read_file(path, NULL);
        cr_expect_eq(rc, 0, "the SARIF log does not validate:\n%s", err ? err : "");
        free(err);
        cr_expect_eq(vt_remove_temp_dir(dir), 0);
    } else {
        fprintf(stderr, "note: python3 has no jsonschema module: the SARIF log was checked by hand only\n");
    }
    vt_run_free(&r);
}

Test(formats, sarif_of_a_clean_run_has_no_results) {
    vt_run_result r = vt_run_verity(CASES, NULL, "check --format sarif V004-neg.flow");
    cr_expect_eq(r.status, 0);
    cr_expect(valid_json(r.out), "%s", r.out);
    cr_expect(strstr(r.out, "\"results\":[]") != NULL, "%s", r.out);
    vt_run_free(&r);
}

/* ---- github ---------------------------------------------------------------------------- */

Test(formats, github_annotations_one_per_finding) {
    vt_run_result r = vt_run_verity(CASES, NULL, "check --format github " FILES);
    size_t lines = 0;
    for (char *line = strtok(r.out, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        char level[16], file[256], title[16];
        unsigned l, c, el, ec;
        int n = sscanf(line, "::%15[a-z] file=%255[^,],line=%u,col=%u,endLine=%u,endColumn=%u,title=%15[^:]::", level,
                       file, &l, &c, &el, &ec, title);
        cr_expect_eq(n, 7, "not a workflow command: %s", line);
        cr_expect(!strcmp(level, "warning") || !strcmp(level, "error"), "%s", line);
        cr_expect(el > l || (el == l && ec >= c), "the end is before the start: %s", line);
        cr_expect_eq(title[0], 'V', "%s", line);
    }
    cr_expect_gt(lines, 8);
    vt_run_free(&r);
}

/* Commas and colons in a file name would end a GitHub property early: they are escaped. */
Test(formats, github_escapes_properties) {
    char *dir = vt_temp_dir();
    char path[1024];
    char *text = vt_read_file(CASES "/V014-pos.flow", NULL);
    cr_assert(text);
    snprintf(path, sizeof path, "%s/a,b:c.flow", dir);
    cr_assert_eq(vt_write_file(path, text, strlen(text)), 0);
    vt_run_result r = vt_run_verity(dir, NULL, "check --format github 'a,b:c.flow'");
    cr_expect(strncmp(r.out, "::warning file=a%2Cb%3Ac.flow,line=", 35) == 0, "%s", r.out);
    vt_run_free(&r);
    /* ... and SARIF writes the path as a URI reference. */
    r = vt_run_verity(dir, NULL, "check --format sarif 'a,b:c.flow'");
    cr_expect(strstr(r.out, "\"artifactLocation\":{\"uri\":\"a%2Cb%3Ac.flow\"}") != NULL, "%s", r.out);
    vt_run_free(&r);
    unlink(path);
    rmdir(dir);
    free(dir);
    free(text);
}

/* ---- junit ----------------------------------------------------------------------------- */

Test(formats, junit_one_failure_per_finding) {
    vt_run_result r = vt_run_verity(CASES, NULL, "check --format json " FILES);
    size_t n = count_of(r.out, "{\"code\":\"");
    vt_run_free(&r);
    r = vt_run_verity(CASES, NULL, "check --format junit " FILES);
    cr_expect(strncmp(r.out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites ", 50) == 0, "%s", r.out);
    cr_expect_eq(count_of(r.out, "<testcase "), n);
    cr_expect_eq(count_of(r.out, "<failure "), n);
    cr_expect_eq(count_of(r.out, "</testcase>"), n);
    char attr[64];
    snprintf(attr, sizeof attr, "failures=\"%zu\"", n);
    cr_expect_eq(count_of(r.out, attr), 2, "testsuites and testsuite count %zu failures:\n%s", n, r.out);
    cr_expect(strstr(r.out, "</testsuite>\n</testsuites>\n") != NULL);
    if (system("python3 -c 'import xml.etree.ElementTree' >/dev/null 2>&1") == 0) {
        char *dir = vt_temp_dir();
        char path[1024], cmd[2048];
        snprintf(path, sizeof path, "%s/out.xml", dir);
        cr_assert_eq(vt_write_file(path, r.out, strlen(r.out)), 0);
        snprintf(cmd, sizeof cmd, "python3 -c 'import sys,xml.etree.ElementTree as E; E.parse(sys.argv[1])' '%s'", path);
        cr_expect_eq(system(cmd), 0, "not well-formed XML:\n%s", r.out);
        unlink(path);
        rmdir(dir);
        free(dir);
    }
    vt_run_free(&r);
}
