/* JSONL and CSV input records, scanned once per line and validated against the schema. */
#include "ingest.h"
#include "../common/jsonw.h"
#include "../common/mem.h"
#include "../common/timeutil.h"
#include "../compiler/suggest.h"
#include "money.h"
#include "strmap.h"
#include "tz.h"
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "ingest_internal.h"

typedef struct pending_name {
    const char *name;
    uint32_t v;
} pending_name;

const char *vt_ix_fail(vt_ingest *x, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->msg, sizeof x->msg, fmt, ap);
    va_end(ap);
    return x->msg;
}

/* ---- interned names (the fast path's keys and record types) ------------------------ */
static uint32_t *pending_slot(pending_name *p, size_t *n, const char *name) {
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(p[i].name, name)) return &p[i].v;
    p[*n] = (pending_name){name, 0};
    return &p[(*n)++].v;
}

/* Interns "type", "contact", "at", "id", the record types and every field name. Leaves
 * the fast path off (x->fast false) for a schema too large for its tables. */
static int names_init(vt_ingest *x) {
    const vt_schema *s = x->s;
    size_t bound = K_FIXED + 1 + s->ncontact_fields + s->nevents;
    for (uint32_t i = 0; i < s->nevents; i++) bound += s->events[i].nfields;
    if (bound >= 0xFFFF) return 0;
    pending_name *pl = vt_malloc(bound * sizeof *pl);
    if (!pl) return -1;
    size_t n = 0;
    static const char *const fixed[K_FIXED] = {"type", "contact", "at", "id"};
    uint32_t nkeys = 0;
    for (int k = 0; k < K_FIXED; k++) *pending_slot(pl, &n, fixed[k]) |= ++nkeys;
    *pending_slot(pl, &n, "contact") |= (uint32_t)(VT_INPUT_CONTACT + 2) << 16;
    for (uint32_t i = 0; i < s->nevents; i++) {
        uint32_t *v = pending_slot(pl, &n, s->events[i].name);
        if (!(*v >> 16)) *v |= (i + 2) << 16;
    }
    for (int64_t t = -1; t < (int64_t)s->nevents; t++) {
        const vt_schema_field *fs = t < 0 ? s->contact_fields : s->events[t].fields;
        uint32_t nf = t < 0 ? s->ncontact_fields : s->events[t].nfields;
        for (uint32_t f = 0; f < nf; f++) {
            uint32_t *v = pending_slot(pl, &n, fs[f].name);
            if (!(*v & 0xFFFF)) *v |= ++nkeys;
        }
    }
    int rc = -1;
    size_t cap = 16;
    unsigned bits = 4;
    while (cap < 2 * n) cap *= 2, bits++;
    if ((size_t)(s->nevents + 1) * nkeys > ((size_t)1 << 22)) {
        rc = 0;
        goto done;
    }
    x->nkeys = nkeys;
    x->names = vt_calloc(cap, sizeof *x->names);
    x->names_shift = 64 - bits;
    x->field_of = vt_malloc((size_t)(s->nevents + 1) * nkeys * sizeof *x->field_of);
    x->seen = vt_calloc(nkeys, sizeof *x->seen);
    x->kpat = vt_calloc(nkeys, sizeof *x->kpat);
    if (!x->names || !x->field_of || !x->seen || !x->kpat) goto done;
    for (size_t i = 0; i < (size_t)(s->nevents + 1) * nkeys; i++) x->field_of[i] = -1;
    for (int64_t t = -1; t < (int64_t)s->nevents; t++) {
        const vt_schema_field *fs = t < 0 ? s->contact_fields : s->events[t].fields;
        uint32_t nf = t < 0 ? s->ncontact_fields : s->events[t].nfields;
        for (uint32_t f = 0; f < nf; f++) {
            uint32_t kid = (*pending_slot(pl, &n, fs[f].name) & 0xFFFF) - 1;
            int32_t *slot = &x->field_of[(size_t)(t + 1) * nkeys + kid];
            if (kid >= K_FIXED && *slot < 0) *slot = (int32_t)f;
        }
    }
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(pl[i].name);
        uint32_t kid = (pl[i].v & 0xFFFF) - 1;
        bool plain = len + 3 <= 16 && kid < nkeys;
        for (size_t k = 0; k < len && plain; k++)
            plain = pl[i].name[k] > ' ' && pl[i].name[k] < 0x7F && pl[i].name[k] != '"' && pl[i].name[k] != '\\';
        if (plain) {
            key_pattern *kp = &x->kpat[kid];
            kp->pat[0] = '"';
            memcpy(kp->pat + 1, pl[i].name, len);
            kp->pat[len + 1] = '"';
            kp->pat[len + 2] = ':';
            memset(kp->mask, 0xFF, len + 3);
            kp->n = (uint32_t)len;
        }
        if (len > 16) {
            if (vt_strmap_put(&x->long_names, pl[i].name, len, pl[i].v, NULL, NULL) < 0) goto done;
            continue;
        }
        uint64_t a, b;
        name_words(pl[i].name, len, false, &a, &b);
        size_t j = name_hash(x, a, b, len);
        while (x->names[j].v) j = (j + 1) & (cap - 1);
        x->names[j] = (name_slot){a, b, (uint32_t)len, pl[i].v};
    }
    x->fast = true;
    rc = 0;
done:
    vt_free(pl);
    return rc;
}

vt_ingest *vt_ingest_new(const vt_schema *s, char **error) {
    vt_ingest *x = vt_calloc(1, sizeof *x);
    if (!x) goto oom;
    x->s = s;
    vt_strmap_init(&x->types);
    vt_strmap_init(&x->long_names);
    x->tz = vt_tz_load(s->timezone ? s->timezone : "UTC");
    if (!x->tz) {
        if (error) {
            const char *tz = s->timezone ? s->timezone : "UTC";
            *error = vt_malloc(strlen(tz) + 80);
            if (*error) sprintf(*error, "cannot load the time zone \"%s\" of the flow", tz);
        }
        vt_ingest_free(x);
        return NULL;
    }
    x->maxfields = s->ncontact_fields;
    for (uint32_t i = 0; i < s->nevents; i++) {
        if (vt_strmap_put(&x->types, s->events[i].name, strlen(s->events[i].name), i, NULL, NULL) < 0) goto oom;
        if (s->events[i].nfields > x->maxfields) x->maxfields = s->events[i].nfields;
    }
    x->values = vt_calloc(x->maxfields + 1, sizeof *x->values);
    if (!x->values || names_init(x)) goto oom;
    return x;
oom:
    vt_ingest_free(x);
    if (error) *error = vt_strdup("out of memory");
    return NULL;
}

void vt_ingest_free(vt_ingest *x) {
    if (!x) return;
    vt_tz_free(x->tz);
    vt_strmap_free(&x->types);
    vt_strmap_free(&x->long_names);
    vt_free(x->names);
    vt_free(x->field_of);
    vt_free(x->seen);
    vt_free(x->kpat);
    vt_free(x->scratch);
    vt_free(x->values);
    vt_free(x->cols);
    vt_free(x->header);
    vt_free(x);
}

/* ---- UTF-8 ------------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence starting at s[i] (a byte >= 0x80), or 0. */
size_t vt_ix_utf8_seq(const uint8_t *s, size_t len, size_t i) {
    uint8_t c = s[i];
    size_t n;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) n = 1, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF) n = 2, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4) n = 3, cp = c & 0x07;
    else return 0;
    if (i + n >= len) return 0;
    for (size_t k = 1; k <= n; k++) {
        if ((s[i + k] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (s[i + k] & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n + 1;
}

/* Offset of the first invalid byte, or len when the text is valid UTF-8. */
size_t vt_ix_utf8_check(const uint8_t *s, size_t len) {
    size_t i = 0;
    while (i < len) {
        /* ASCII fast path, eight bytes at a time */
        while (i + 8 <= len) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ull) break;
            i += 8;
        }
        if (i >= len) break;
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = vt_ix_utf8_seq(s, len, i);
        if (!n) return i;
        i += n;
    }
    return len;
}

/* ---- JSON scanning ---------------------------------------------------------------- */


static void ws(jscan *j) {
    while (j->p < j->len && (j->s[j->p] == ' ' || j->s[j->p] == '\t' || j->s[j->p] == '\r' || j->s[j->p] == '\n'))
        j->p++;
}

static int jerr(jscan *j, const char *what) {
    if (!j->err) j->err = vt_ix_fail(j->x, "not valid JSON: %s at column %zu", what, j->p + 1);
    return -1;
}

static int hex4(const char *s, uint32_t *out) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

/* A string at j->p (the opening quote). Without escapes (the common case) it points
 * into the line itself; otherwise it is decoded into scratch. */
int vt_ix_jstring(jscan *j, const char **out, size_t *olen) {
    vt_ingest *x = j->x;
    j->p++;
    size_t q = j->p;
    while (q < j->len) {
        unsigned char ch = (unsigned char)j->s[q];
        if (ch == '"') {
            *out = j->s + j->p;
            *olen = q - j->p;
            j->p = q + 1;
            return 0;
        }
        if (ch == '\\' || ch < 0x20) break;
        q++;
    }
    char *d = x->scratch + x->scratch_used, *d0 = d;
    for (;;) {
        if (j->p >= j->len) return jerr(j, "a text value is not closed with `\"`");
        char c = j->s[j->p];
        if (c == '"') break;
        if ((unsigned char)c < 0x20) return jerr(j, "a control character inside a text value");
        if (c != '\\') {
            *d++ = c;
            j->p++;
            continue;
        }
        if (j->p + 1 >= j->len) return jerr(j, "a text value is not closed with `\"`");
        char e = j->s[j->p + 1];
        j->p += 2;
        switch (e) {
        case '"': *d++ = '"'; break;
        case '\\': *d++ = '\\'; break;
        case '/': *d++ = '/'; break;
        case 'b': *d++ = '\b'; break;
        case 'f': *d++ = '\f'; break;
        case 'n': *d++ = '\n'; break;
        case 'r': *d++ = '\r'; break;
        case 't': *d++ = '\t'; break;
        case 'u': {
            uint32_t cp;
            if (j->p + 4 > j->len || hex4(j->s + j->p, &cp)) return jerr(j, "a bad \\u escape");
            j->p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo;
                if (j->p + 6 > j->len || j->s[j->p] != '\\' || j->s[j->p + 1] != 'u' || hex4(j->s + j->p + 2, &lo) ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return jerr(j, "a lone surrogate in a \\u escape");
                j->p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return jerr(j, "a lone surrogate in a \\u escape");
            }
            /* The 6-byte escape always encodes to at most 4 bytes, so scratch suffices. */
            if (cp < 0x80) *d++ = (char)cp;
            else if (cp < 0x800) *d++ = (char)(0xC0 | cp >> 6), *d++ = (char)(0x80 | (cp & 0x3F));
            else if (cp < 0x10000)
                *d++ = (char)(0xE0 | cp >> 12), *d++ = (char)(0x80 | ((cp >> 6) & 0x3F)), *d++ = (char)(0x80 | (cp & 0x3F));
            else
                *d++ = (char)(0xF0 | cp >> 18), *d++ = (char)(0x80 | ((cp >> 12) & 0x3F)),
                *d++ = (char)(0x80 | ((cp >> 6) & 0x3F)), *d++ = (char)(0x80 | (cp & 0x3F));
            break;
        }
        default: j->p -= 1; return jerr(j, "an unknown escape in a text value");
        }
    }
    j->p++;
    *d = 0;
    *out = d0;
    *olen = (size_t)(d - d0);
    x->scratch_used += *olen + 1;
    return 0;
}

static int jnumber(jscan *j) {
    size_t p = j->p;
    const char *s = j->s;
    if (p < j->len && s[p] == '-') p++;
    if (p >= j->len || s[p] < '0' || s[p] > '9') return jerr(j, "expected a value");
    if (s[p] == '0') p++;
    else
        while (p < j->len && s[p] >= '0' && s[p] <= '9') p++;
    if (p < j->len && s[p] == '.') {
        p++;
        if (p >= j->len || s[p] < '0' || s[p] > '9') return jerr(j, "a number needs digits after `.`");
        while (p < j->len && s[p] >= '0' && s[p] <= '9') p++;
    }
    if (p < j->len && (s[p] == 'e' || s[p] == 'E')) {
        p++;
        if (p < j->len && (s[p] == '+' || s[p] == '-')) p++;
        if (p >= j->len || s[p] < '0' || s[p] > '9') return jerr(j, "a bad exponent");
        while (p < j->len && s[p] >= '0' && s[p] <= '9') p++;
    }
    j->p = p;
    return 0;
}

static int jvalue(jscan *j, member *m, int depth);

static int jskip_container(jscan *j, int depth) {
    if (depth > MAX_DEPTH) return jerr(j, "values nested too deeply");
    char open = j->s[j->p], close = open == '{' ? '}' : ']';
    j->p++;
    ws(j);
    if (j->p < j->len && j->s[j->p] == close) {
        j->p++;
        return 0;
    }
    for (;;) {
        member tmp;
        ws(j);
        if (open == '{') {
            const char *k;
            size_t kl;
            if (j->p >= j->len || j->s[j->p] != '"') return jerr(j, "expected a name in quotes");
            if (vt_ix_jstring(j, &k, &kl)) return -1;
            ws(j);
            if (j->p >= j->len || j->s[j->p] != ':') return jerr(j, "expected `:` after a name");
            j->p++;
            ws(j);
        }
        if (jvalue(j, &tmp, depth + 1)) return -1;
        ws(j);
        if (j->p < j->len && j->s[j->p] == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->len && j->s[j->p] == close) {
            j->p++;
            return 0;
        }
        return jerr(j, open == '{' ? "expected `,` or `}`" : "expected `,` or `]`");
    }
}

static int jvalue(jscan *j, member *m, int depth) {
    if (j->p >= j->len) return jerr(j, "expected a value");
    char c = j->s[j->p];
    size_t start = j->p;
    if (c == '"') {
        m->kind = J_STR;
        return vt_ix_jstring(j, &m->val, &m->val_len);
    }
    if (c == '{' || c == '[') {
        m->kind = c == '{' ? J_OBJ : J_ARR;
        if (jskip_container(j, depth)) return -1;
    } else if (j->len - j->p >= 4 && !memcmp(j->s + j->p, "true", 4)) {
        m->kind = J_TRUE, j->p += 4;
    } else if (j->len - j->p >= 5 && !memcmp(j->s + j->p, "false", 5)) {
        m->kind = J_FALSE, j->p += 5;
    } else if (j->len - j->p >= 4 && !memcmp(j->s + j->p, "null", 4)) {
        m->kind = J_NULL, j->p += 4;
    } else {
        m->kind = J_NUM;
        if (jnumber(j)) return -1;
    }
    m->val = j->s + start;
    m->val_len = j->p - start;
    return 0;
}

/* Members of the object in s[0..len) into x->mem. */
static int jobject(vt_ingest *x, const char *s, size_t len, const char **why) {
    jscan j = {s, len, 0, x, NULL};
    x->nmem = 0;
    ws(&j);
    if (j.p >= len || s[j.p] != '{') {
        *why = vt_ix_fail(x, "not valid JSON: a record must be an object `{...}` (column %zu)", j.p + 1);
        return -1;
    }
    j.p++;
    ws(&j);
    if (j.p < len && s[j.p] == '}') {
        j.p++;
    } else {
        for (;;) {
            ws(&j);
            if (x->nmem == MAX_MEMBERS) {
                *why = vt_ix_fail(x, "a record with more than %d names", MAX_MEMBERS);
                return -1;
            }
            member *m = &x->mem[x->nmem];
            if (j.p >= len || s[j.p] != '"') {
                jerr(&j, "expected a name in quotes");
                break;
            }
            if (vt_ix_jstring(&j, &m->key, &m->key_len)) break;
            ws(&j);
            if (j.p >= len || s[j.p] != ':') {
                jerr(&j, "expected `:` after a name");
                break;
            }
            j.p++;
            ws(&j);
            if (jvalue(&j, m, 1)) break;
            for (size_t i = 0; i < x->nmem; i++)
                if (x->mem[i].key_len == m->key_len && !memcmp(x->mem[i].key, m->key, m->key_len)) {
                    *why = vt_ix_fail(x, "\"%.*s\" appears twice in the record", (int)(m->key_len > 60 ? 60 : m->key_len), m->key);
                    return -1;
                }
            x->nmem++;
            ws(&j);
            if (j.p < len && s[j.p] == ',') {
                j.p++;
                continue;
            }
            if (j.p < len && s[j.p] == '}') {
                j.p++;
                break;
            }
            jerr(&j, "expected `,` or `}`");
            break;
        }
    }
    if (!j.err) {
        ws(&j);
        if (j.p < len) jerr(&j, "unexpected text after the record");
    }
    if (j.err) {
        *why = j.err;
        return -1;
    }
    return 0;
}

int vt_ix_scratch_reserve(vt_ingest *x, size_t need) {
    if (x->scratch_cap >= need) return 0;
    size_t cap = x->scratch_cap ? x->scratch_cap : 4096;
    while (cap < need) cap *= 2;
    char *p = vt_realloc(x->scratch, cap);
    if (!p) return -1;
    x->scratch = p;
    x->scratch_cap = cap;
    return 0;
}

/* ---- values ------------------------------------------------------------------------ */

static const char *type_word(uint8_t t) {
    switch (t) {
    case VT_V_BOOL: return "true or false";
    case VT_V_INT: return "a whole number";
    case VT_V_NUMBER: return "a number";
    case VT_V_MONEY: return "an amount with its currency, like \"49.90 EUR\"";
    case VT_V_TEXT: return "text in quotes";
    case VT_V_TIME: return "a time like \"2026-01-02T09:00:00Z\"";
    case VT_V_DURATION: return "a duration like \"4h\" or \"7d\"";
    case VT_V_TEAM: return "a team name";
    default: return "a value";
    }
}

static int parse_int(const char *s, size_t len, int64_t *out) {
    size_t p = 0;
    bool neg = false;
    if (p < len && (s[p] == '-' || s[p] == '+')) neg = s[p++] == '-';
    if (p >= len) return -1;
    uint64_t v = 0;
    for (; p < len; p++) {
        if (s[p] < '0' || s[p] > '9') return -1;
        if (v > (UINT64_C(9223372036854775807) - (uint64_t)(s[p] - '0')) / 10) return -1;
        v = v * 10 + (uint64_t)(s[p] - '0');
    }
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

static int parse_duration(const char *s, size_t len, int64_t *out) {
    size_t p = 0;
    int64_t total = 0;
    if (!len) return -1;
    while (p < len) {
        int64_t n = 0;
        size_t q = p;
        while (p < len && s[p] >= '0' && s[p] <= '9' && n < 1000000000) n = n * 10 + (s[p++] - '0');
        if (p == q || p >= len) return -1;
        int64_t unit;
        switch (s[p++]) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        case 'w': unit = 7 * 86400; break;
        default: return -1;
        }
        total += n * unit;
    }
    *out = total;
    return 0;
}

static inline unsigned digit(char c) { return (unsigned)(unsigned char)c - '0'; }

int vt_ix_parse_time(vt_ingest *x, const char *s, size_t len, int64_t *out) {
    /* Records come mostly in time order, many on one day: for a UTC time of the common
     * shape, YYYY-MM-DDTHH:MM:SSZ, the day of the last one is remembered, and a time on
     * that day costs only its clock digits. */
    uint64_t d0, d1;
    if (len == 20) {
        memcpy(&d0, s, 8);
        memcpy(&d1, s + 3, 8);
        if (x->day_set && d0 == x->day[0] && d1 == x->day[1] && s[13] == ':' && s[16] == ':' && s[19] == 'Z') {
            unsigned h0 = digit(s[11]), h1 = digit(s[12]), m0 = digit(s[14]), m1 = digit(s[15]), s0 = digit(s[17]),
                     s1 = digit(s[18]);
            if ((h0 < 10) & (h1 < 10) & (m0 < 10) & (m1 < 10) & (s0 < 10) & (s1 < 10)) {
                unsigned h = h0 * 10 + h1, mi = m0 * 10 + m1, se = s0 * 10 + s1;
                if (h < 24 && mi < 60 && se < 60) {
                    *out = x->day_start + h * 3600 + mi * 60 + se;
                    return 0;
                }
            }
        }
    }
    int has_zone;
    if (vt_parse_timestamp(s, len, out, &has_zone, NULL)) return -1;
    if (!has_zone) *out = vt_tz_from_local(x->tz, *out);
    else if (len == 20 && s[10] == 'T' && s[19] == 'Z') {
        x->day[0] = d0, x->day[1] = d1;
        x->day_start = vt_floordiv(*out, 86400) * 86400;
        x->day_set = true;
    }
    return 0;
}

/* Converts member m to field f's type. `lenient` (CSV): every cell is text. */
const char *vt_ix_to_value(vt_ingest *x, const vt_schema_field *f, const member *m, bool lenient, vt_value *v) {
    memset(v, 0, sizeof *v);
    if (m->kind == J_NULL || (lenient && m->val_len == 0)) return NULL; /* not given */
    bool str = m->kind == J_STR;
    const char *t = m->val;
    size_t n = m->val_len;
    v->type = f->type;
    switch (f->type) {
    case VT_V_BOOL:
        if (m->kind == J_TRUE || (lenient && n == 4 && !memcmp(t, "true", 4))) v->u.b = true;
        else if (m->kind == J_FALSE || (lenient && n == 5 && !memcmp(t, "false", 5))) v->u.b = false;
        else break;
        return NULL;
    case VT_V_INT:
        if ((m->kind == J_NUM || lenient) && parse_int(t, n, &v->u.i) == 0) {
            if (f->has_range && (v->u.i < f->lo || v->u.i > f->hi))
                return vt_ix_fail(x, "\"%s\" must be between %lld and %lld, got %.*s", f->name, (long long)f->lo,
                            (long long)f->hi, (int)n, t);
            return NULL;
        }
        break;
    case VT_V_NUMBER:
        if (m->kind == J_NUM || lenient) {
            char buf[64];
            if (n == 0 || n >= sizeof buf) break;
            memcpy(buf, t, n);
            buf[n] = 0;
            char *end;
            v->u.d = strtod(buf, &end);
            if (*end || (n && (buf[0] == ' ' || buf[0] == '\t'))) break;
            if (f->has_range && (v->u.d < (double)f->lo || v->u.d > (double)f->hi))
                return vt_ix_fail(x, "\"%s\" must be between %lld and %lld, got %s", f->name, (long long)f->lo,
                            (long long)f->hi, buf);
            return NULL;
        }
        break;
    case VT_V_MONEY:
        if (str || lenient) {
            const char *why;
            if (vt_money_parse(t, n, &v->u.i, v->currency, &why) == 0) return NULL;
            return vt_ix_fail(x, "\"%s\": \"%.*s\" is not valid money: %s", f->name, (int)(n > 60 ? 60 : n), t, why);
        }
        break;
    case VT_V_TEXT:
        if (str || lenient) {
            if (n > UINT32_MAX) break;
            v->u.s.p = t;
            v->u.s.len = (uint32_t)n;
            return NULL;
        }
        break;
    case VT_V_TIME:
        if (str || lenient) {
            if (vt_ix_parse_time(x, t, n, &v->u.i) == 0) return NULL;
            return vt_ix_fail(x, "\"%s\": \"%.*s\" is not a real date and time (write it like \"2026-01-02T09:00:00Z\")",
                        f->name, (int)(n > 60 ? 60 : n), t);
        }
        break;
    case VT_V_DURATION:
        if (str || lenient) {
            if (parse_duration(t, n, &v->u.i) == 0) return NULL;
        } else if (m->kind == J_NUM && parse_int(t, n, &v->u.i) == 0) {
            return NULL; /* seconds */
        }
        break;
    case VT_V_TEAM:
        if (str || lenient) {
            for (uint32_t i = 0; i < x->s->nteams; i++)
                if (strlen(x->s->teams[i]) == n && !memcmp(x->s->teams[i], t, n)) {
                    v->u.i = i;
                    return NULL;
                }
            return vt_ix_fail(x, "\"%s\": \"%.*s\" is not a team of this flow", f->name, (int)(n > 60 ? 60 : n), t);
        }
        break;
    default: break;
    }
    if (str) return vt_ix_fail(x, "\"%s\" must be %s, got \"%.*s\"", f->name, type_word(f->type), (int)(n > 60 ? 60 : n), t);
    return vt_ix_fail(x, "\"%s\" must be %s, got %.*s", f->name, type_word(f->type), (int)(n > 60 ? 60 : n), t);
}

/* ---- records ----------------------------------------------------------------------- */

static bool is(const member *m, const char *k) { return strlen(k) == m->key_len && !memcmp(m->key, k, m->key_len); }

static int find_field(const vt_schema_field *fs, uint32_t n, const char *name, size_t len) {
    for (uint32_t i = 0; i < n; i++)
        if (!strncmp(fs[i].name, name, len) && fs[i].name[len] == 0) return (int)i;
    return -1;
}

static const char *unknown_type(vt_ingest *x, const char *t, size_t n) {
    char word[80];
    snprintf(word, sizeof word, "%.*s", (int)(n < 70 ? n : 70), t);
    vt_suggest sg;
    vt_suggest_init(&sg, word);
    vt_suggest_add(&sg, "contact");
    for (uint32_t i = 0; i < x->s->nevents; i++) vt_suggest_add(&sg, x->s->events[i].name);
    const char *best = vt_suggest_best(&sg);
    if (best) return vt_ix_fail(x, "unknown record type \"%s\" (did you mean \"%s\"?)", word, best);
    return vt_ix_fail(x, "unknown record type \"%s\": the flow declares no such event (write \"contact\" or one of its events)",
                word);
}

static const char *unknown_field(vt_ingest *x, const member *m, const vt_schema_field *fs, uint32_t n,
                                 const char *where) {
    char word[80];
    snprintf(word, sizeof word, "%.*s", (int)(m->key_len < 70 ? m->key_len : 70), m->key);
    vt_suggest sg;
    vt_suggest_init(&sg, word);
    for (uint32_t i = 0; i < n; i++) vt_suggest_add(&sg, fs[i].name);
    const char *best = vt_suggest_best(&sg);
    if (best) return vt_ix_fail(x, "\"%s\" is not a field of %s (did you mean \"%s\"?)", word, where, best);
    return vt_ix_fail(x, "\"%s\" is not a field of %s", word, where);
}

/* Turns the members of one line into a record. */
/* A `contact` record without "contact" names its contact by its first key field. */
void vt_ix_name_by_key(const vt_schema_field *fs, uint32_t nf, const vt_value *vals, vt_inrec *r) {
    for (uint32_t i = 0; i < nf; i++)
        if (fs[i].key && vals[i].type == VT_V_TEXT) {
            r->key_field = (int)i;
            r->key = vals[i].u.s.p;
            r->key_len = vals[i].u.s.len;
            return;
        }
}

static int build_record(vt_ingest *x, bool lenient, vt_inrec *r, const char **why) {
    const member *type = NULL, *contact = NULL, *at = NULL, *id = NULL;
    for (size_t i = 0; i < x->nmem; i++) {
        const member *m = &x->mem[i];
        if (is(m, "type")) type = m;
        else if (is(m, "contact")) contact = m;
        else if (is(m, "at")) at = m;
        else if (is(m, "id")) id = m;
    }
    if (lenient) { /* empty CSV cells are not given */
        if (type && !type->val_len) type = NULL;
        if (contact && !contact->val_len) contact = NULL;
        if (at && !at->val_len) at = NULL;
        if (id && !id->val_len) id = NULL;
    }
    if (!type) return *why = vt_ix_fail(x, "missing \"type\": say what happened, e.g. \"type\":\"contact\" or an event name"), -1;
    if (type->kind != J_STR) return *why = vt_ix_fail(x, "\"type\" must be text, like \"type\":\"purchase\""), -1;
    memset(r, 0, sizeof *r);
    r->key_field = -1;
    const vt_schema_field *fs;
    uint32_t nf;
    if (type->val_len == 7 && !memcmp(type->val, "contact", 7)) {
        r->type = VT_INPUT_CONTACT;
        r->type_name = "contact";
        fs = x->s->contact_fields;
        nf = x->s->ncontact_fields;
    } else {
        int64_t t = vt_strmap_get(&x->types, type->val, type->val_len);
        if (t < 0) return *why = unknown_type(x, type->val, type->val_len), -1;
        r->type = (int)t;
        r->type_name = x->s->events[t].name;
        fs = x->s->events[t].fields;
        nf = x->s->events[t].nfields;
    }
    if (!at) return *why = vt_ix_fail(x, "missing \"at\": every record needs the time it happened, like \"at\":\"2026-01-02T09:00:00Z\""), -1;
    if (at->kind != J_STR || vt_ix_parse_time(x, at->val, at->val_len, &r->at))
        return *why = vt_ix_fail(x, "\"at\": %s%.*s%s is not a real date and time (write it like \"2026-01-02T09:00:00Z\")",
                           at->kind == J_STR ? "\"" : "", (int)(at->val_len > 60 ? 60 : at->val_len), at->val,
                           at->kind == J_STR ? "\"" : ""),
               -1;
    if (!id) return *why = vt_ix_fail(x, "missing \"id\": every record needs a unique id so that a repeated record is recognised"), -1;
    if ((id->kind != J_STR && id->kind != J_NUM) || id->val_len == 0)
        return *why = vt_ix_fail(x, "\"id\" must be non-empty text, like \"id\":\"ord-77\""), -1;
    r->id = id->val;
    r->id_len = id->val_len;
    for (uint32_t i = 0; i < nf; i++) x->values[i] = (vt_value){0};
    r->values = x->values;
    r->nvalues = nf;
    const vt_schema_field *cf = x->s->contact_fields;
    uint32_t ncf = x->s->ncontact_fields;
    if (contact) {
        if (contact->kind == J_STR || contact->kind == J_NUM) {
            if (!contact->val_len) return *why = vt_ix_fail(x, "\"contact\" is empty: name the contact by its id"), -1;
            r->contact = contact->val;
            r->contact_len = contact->val_len;
        } else if (contact->kind == J_OBJ && !lenient) {
            /* {"email": "a@b.it"}: exactly one key field. Rescan the object's members. */
            size_t save = x->nmem;
            jscan j = {contact->val, contact->val_len, 0, x, NULL};
            j.p = 1;
            ws(&j);
            member km;
            const char *k;
            size_t kl;
            if (j.p >= j.len || contact->val[j.p] != '"' || vt_ix_jstring(&j, &k, &kl))
                return *why = vt_ix_fail(x, "\"contact\" must name the contact by its id, or by one key field like {\"email\":\"a@b.it\"}"), -1;
            ws(&j);
            j.p++; /* ':' (already validated) */
            ws(&j);
            if (jvalue(&j, &km, 1)) return *why = j.err, -1;
            ws(&j);
            if (j.p < j.len && contact->val[j.p] == ',')
                return *why = vt_ix_fail(x, "\"contact\" must name one key field, like {\"email\":\"a@b.it\"}"), -1;
            x->nmem = save;
            int kf = find_field(cf, ncf, k, kl);
            if (kf < 0 || !cf[kf].key)
                return *why = vt_ix_fail(x, "\"contact\": \"%.*s\" is not a key field of the contact (a key field is declared with `key`)", (int)(kl > 60 ? 60 : kl), k), -1;
            km.key = k;
            km.key_len = kl;
            vt_value kv;
            const char *e = vt_ix_to_value(x, &cf[kf], &km, false, &kv);
            if (e) return *why = e, -1;
            if (kv.type == VT_V_NULL) return *why = vt_ix_fail(x, "\"contact\": the key \"%s\" has no value", cf[kf].name), -1;
            r->key_field = kf;
            if (kv.type == VT_V_TEXT) {
                r->key = kv.u.s.p;
                r->key_len = kv.u.s.len;
            } else {
                r->key_len = (size_t)snprintf(x->keybuf, sizeof x->keybuf, "%lld", (long long)kv.u.i);
                r->key = x->keybuf;
            }
        } else {
            return *why = vt_ix_fail(x, "\"contact\" must name the contact by its id, or by one key field like {\"email\":\"a@b.it\"}"), -1;
        }
    }
    /* payload */
    for (size_t i = 0; i < x->nmem; i++) {
        const member *m = &x->mem[i];
        if (m == type || m == contact || m == at || m == id || is(m, "contact") || is(m, "type") || is(m, "at") ||
            is(m, "id"))
            continue;
        int fi = find_field(fs, nf, m->key, m->key_len);
        if (fi < 0) {
            if (lenient && m->val_len == 0) continue; /* CSV: a column of another record type */
            /* An event may name its contact by a key field instead of "contact". */
            int kf = r->type != VT_INPUT_CONTACT ? find_field(cf, ncf, m->key, m->key_len) : -1;
            if (kf >= 0 && cf[kf].key && !contact && r->key_field < 0 && (m->kind == J_STR || lenient)) {
                r->key_field = kf;
                r->key = m->val;
                r->key_len = m->val_len;
                continue;
            }
            /* The message's "where" is formatted only here: on every line it cost a snprintf. */
            char wbuf[128];
            if (r->type == VT_INPUT_CONTACT) snprintf(wbuf, sizeof wbuf, "the contact");
            else snprintf(wbuf, sizeof wbuf, "event %s", r->type_name);
            return *why = unknown_field(x, m, fs, nf, wbuf), -1;
        }
        const char *e = vt_ix_to_value(x, &fs[fi], m, lenient, &x->values[fi]);
        if (e) return *why = e, -1;
    }
    if (r->type != VT_INPUT_CONTACT) {
        for (uint32_t i = 0; i < nf; i++)
            if (x->values[i].type == VT_V_NULL)
                return *why = vt_ix_fail(x, "missing \"%s\": event %s needs it (%s)", fs[i].name, r->type_name,
                                   type_word(fs[i].type)),
                       -1;
    } else if (!r->contact && r->key_field < 0) {
        vt_ix_name_by_key(fs, nf, x->values, r);
    }
    if (!r->contact && r->key_field < 0)
        return *why = vt_ix_fail(x, "missing \"contact\": name the contact by its id (\"contact\":\"c-1\") or by a key field"), -1;
    return 0;
}

static bool blank(const char *s, size_t len) {
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') return false;
    return true;
}

static int check_utf8(vt_ingest *x, const char *line, size_t len, const char **why) {
    size_t bad = vt_ix_utf8_check((const uint8_t *)line, len);
    if (bad == len) return 0;
    *why = vt_ix_fail(x, "the line is not valid UTF-8 (byte %zu): save the file as UTF-8", bad + 1);
    return -1;
}

static int jsonl_line(vt_ingest *x, const char *line, size_t len, bool padded, vt_inrec *rec, const char **why) {
    int st = vt_ix_fast_jsonl(x, line, len, padded, rec);
    if (st != VT_IX_BAIL) return st;
    if (blank(line, len)) return 1;
    if (check_utf8(x, line, len, why)) return -1;
    if (vt_ix_scratch_reserve(x, 2 * len + 16)) return *why = "out of memory", -1;
    x->scratch_used = 0;
    if (jobject(x, line, len, why)) return -1;
    return build_record(x, false, rec, why);
}

int vt_ingest_jsonl(vt_ingest *x, const char *line, size_t len, vt_inrec *rec, const char **why) {
    return jsonl_line(x, line, len, false, rec, why);
}

/* ---- CSV --------------------------------------------------------------------------- */

/* Splits one CSV row into x->mem values (RFC 4180 quoting); keys come from the header. */
static int csv_split(vt_ingest *x, const char *line, size_t len, member *out, size_t max, size_t *n, const char **why) {
    size_t p = 0, k = 0;
    while (len && (line[len - 1] == '\r' || line[len - 1] == '\n')) len--;
    for (;;) {
        if (k == max) return *why = vt_ix_fail(x, "more columns than the header (%zu)", max), -1;
        member *m = &out[k++];
        m->kind = J_STR;
        char *d = x->scratch + x->scratch_used;
        m->val = d;
        if (p < len && line[p] == '"') {
            p++;
            for (;;) {
                if (p >= len) return *why = vt_ix_fail(x, "a quoted CSV cell is not closed with `\"`"), -1;
                if (line[p] == '"') {
                    if (p + 1 < len && line[p + 1] == '"') {
                        *d++ = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                *d++ = line[p++];
            }
            if (p < len && line[p] != ',')
                return *why = vt_ix_fail(x, "text after a quoted CSV cell (column %zu)", p + 1), -1;
        } else {
            while (p < len && line[p] != ',') {
                if (line[p] == '"') return *why = vt_ix_fail(x, "a `\"` inside an unquoted CSV cell (column %zu)", p + 1), -1;
                *d++ = line[p++];
            }
        }
        m->val_len = (size_t)(d - m->val);
        *d++ = 0;
        x->scratch_used = (size_t)(d - x->scratch);
        if (p >= len) break;
        p++; /* ',' */
    }
    *n = k;
    return 0;
}

int vt_ingest_csv_header(vt_ingest *x, const char *line, size_t len, const char **why) {
    if (check_utf8(x, line, len, why)) return -1;
    if (len >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3)) line += 3, len -= 3; /* BOM */
    vt_free(x->header);
    x->header = vt_malloc(len + 16);
    if (!x->header || vt_ix_scratch_reserve(x, 2 * len + 16)) return *why = "out of memory", -1;
    x->scratch_used = 0;
    size_t n;
    if (csv_split(x, line, len, x->mem, MAX_MEMBERS, &n, why)) return -1;
    memcpy(x->header, x->scratch, x->scratch_used);
    x->cols = vt_realloc(x->cols, n * sizeof *x->cols);
    if (!x->cols) return *why = "out of memory", -1;
    for (size_t i = 0; i < n; i++) {
        x->cols[i].key = x->header + (x->mem[i].val - x->scratch);
        x->cols[i].key_len = x->mem[i].val_len;
        for (size_t k = 0; k < i; k++)
            if (x->cols[k].key_len == x->cols[i].key_len && !memcmp(x->cols[k].key, x->cols[i].key, x->cols[i].key_len))
                return *why = vt_ix_fail(x, "the CSV header names \"%s\" twice", x->cols[i].key), -1;
    }
    x->ncols = n;
    return 0;
}

int vt_ingest_csv_row(vt_ingest *x, const char *line, size_t len, vt_inrec *rec, const char **why) {
    if (blank(line, len)) return 1;
    if (check_utf8(x, line, len, why)) return -1;
    if (vt_ix_scratch_reserve(x, 2 * len + 16)) return *why = "out of memory", -1;
    x->scratch_used = 0;
    size_t n;
    if (csv_split(x, line, len, x->mem, x->ncols, &n, why)) return -1;
    if (n != x->ncols) return *why = vt_ix_fail(x, "%zu columns, but the header has %zu", n, x->ncols), -1;
    for (size_t i = 0; i < n; i++) {
        x->mem[i].key = x->cols[i].key;
        x->mem[i].key_len = x->cols[i].key_len;
    }
    x->nmem = n;
    return build_record(x, true, rec, why);
}

/* ---- files ------------------------------------------------------------------------- */

typedef struct reader {
    FILE *f;
    char *buf;            /* read buffer */
    size_t len, pos;
    char *line;           /* the current line */
    size_t line_cap;
    bool eof;
} reader;

/* Read-ahead past a buffer's bytes, kept zero: the fast path may load 16 bytes past the
 * end of a line (see fstr). */
#define READ_PAD 32
#define READ_BUF (1u << 16)

static void pad_line(reader *r, size_t n) {
    if (r->line) memset(r->line + n, 0, 16);
}

/* Next line (without its '\n') in *out: in the read buffer when it lies wholly there,
 * else copied into r->line. 1 = got one, 0 = end, -1 = read error. Either way s[len] is
 * '\n' or 0 and 16 bytes past it are readable. *too_long is set when the line exceeded
 * the limit (its text is then dropped). With `csv_quotes`, a newline inside an open
 * quoted cell continues the record. */
static int next_line(reader *r, const char **out, size_t *out_len, bool *too_long, bool csv_quotes) {
    size_t n = 0;
    bool in_quote = false;
    *too_long = false;
    for (;;) {
        if (r->pos == r->len) {
            if (r->eof) {
                if (!n && !*too_long) return 0;
                pad_line(r, n);
                *out = r->line;
                *out_len = n;
                return 1;
            }
            r->len = fread(r->buf, 1, READ_BUF, r->f);
            r->pos = 0;
            memset(r->buf + r->len, 0, READ_PAD);
            if (r->len == 0) {
                if (ferror(r->f)) return -1;
                r->eof = true;
                continue;
            }
        }
        char *start = r->buf + r->pos, *end = r->buf + r->len;
        char *nl = NULL;
        if (csv_quotes) {
            for (char *p = start; p < end; p++) {
                if (*p == '"') in_quote = !in_quote;
                else if (*p == '\n' && !in_quote) { nl = p; break; }
            }
        } else {
            nl = memchr(start, '\n', (size_t)(end - start));
        }
        size_t take = (size_t)((nl ? nl : end) - start);
        if (nl && !n && !*too_long && take <= VT_INGEST_MAX_LINE) { /* no copy */
            r->pos += take + 1;
            *out = start;
            *out_len = take;
            return 1;
        }
        if (!*too_long) {
            if (n + take > VT_INGEST_MAX_LINE) {
                *too_long = true;
            } else {
                if (n + take + 17 > r->line_cap) {
                    size_t cap = r->line_cap ? r->line_cap : 4096;
                    while (cap < n + take + 17) cap *= 2;
                    char *p = vt_realloc(r->line, cap);
                    if (!p) return -1;
                    r->line = p;
                    r->line_cap = cap;
                }
                memcpy(r->line + n, start, take);
                n += take;
            }
        }
        r->pos += take;
        if (nl) {
            r->pos++;
            pad_line(r, n);
            *out = r->line;
            *out_len = *too_long ? 0 : n;
            return 1;
        }
    }
}

static bool ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcasecmp(s + a - b, suf);
}

int vt_ingest_file(vt_ingest *x, const char *path, const vt_ingest_sink *sink, char **error) {
    bool is_stdin = !strcmp(path, "-");
    const char *name = is_stdin ? "<stdin>" : path;
    reader r = {0};
    r.f = is_stdin ? stdin : fopen(path, "rb");
    if (!r.f) {
        if (error) {
            const char *why = strerror(errno);
            *error = vt_malloc(strlen(path) + strlen(why) + 32);
            if (*error) sprintf(*error, "cannot open %s: %s", path, why);
        }
        return -1;
    }
    r.buf = vt_malloc(READ_BUF + READ_PAD);
    int rc = 0;
    if (!r.buf) {
        rc = -1;
        if (error) *error = vt_strdup("out of memory");
        goto done;
    }
    bool csv = !is_stdin && ends_with(path, ".csv");
    if (is_stdin) {
        int c;
        while ((c = getc(stdin)) == ' ' || c == '\n' || c == '\r' || c == '\t') {}
        if (c != EOF) {
            ungetc(c, stdin);
            csv = c != '{';
        }
    }
    bool header = csv;
    uint64_t lineno = 0, next_no = 1;
    for (;;) {
        size_t len;
        bool too_long;
        const char *line = NULL;
        int got = next_line(&r, &line, &len, &too_long, csv);
        if (got < 0) {
            rc = -1;
            if (error) {
                *error = vt_malloc(strlen(name) + 64);
                if (*error) sprintf(*error, "cannot read %s", name);
            }
            break;
        }
        if (!got) break;
        lineno = next_no;
        if (csv) /* CSV rows may span lines; a JSONL line never holds a '\n' */
            for (const char *nl = line, *end = line + len; (nl = memchr(nl, '\n', (size_t)(end - nl))); nl++) next_no++;
        next_no++;
        const char *why = NULL;
        vt_inrec rec;
        int st;
        if (too_long) {
            why = vt_ix_fail(x, "the line is longer than %u bytes", VT_INGEST_MAX_LINE);
            st = -1;
        } else if (header) {
            if (blank(line, len)) continue;
            st = vt_ingest_csv_header(x, line, len, &why);
            if (st == 0) {
                header = false;
                continue;
            }
        } else {
            st = csv ? vt_ingest_csv_row(x, line, len, &rec, &why) : jsonl_line(x, line, len, true, &rec, &why);
        }
        if (st == 1) continue;
        if (st < 0) rc = sink->reject(sink->ud, name, lineno, why, too_long ? "" : line, too_long ? 0 : len);
        else rc = sink->record(sink->ud, &rec, name, lineno);
        if (rc) break;
        if (header && st < 0) break; /* a CSV without a readable header: nothing else can be read */
    }
done:
    vt_free(r.buf);
    vt_free(r.line);
    if (!is_stdin) fclose(r.f);
    return rc;
}

/* ---- output ------------------------------------------------------------------------ */

void vt_value_json(FILE *out, const vt_schema *s, const vt_value *v) {
    char buf[64];
    switch (v->type) {
    case VT_V_BOOL: fputs(v->u.b ? "true" : "false", out); break;
    case VT_V_INT: fprintf(out, "%lld", (long long)v->u.i); break;
    case VT_V_NUMBER: {
        snprintf(buf, sizeof buf, "%.15g", v->u.d);
        if (strtod(buf, NULL) != v->u.d) snprintf(buf, sizeof buf, "%.17g", v->u.d);
        fputs(strchr(buf, 'n') || strchr(buf, 'i') ? "null" : buf, out); /* nan/inf are not JSON */
        break;
    }
    case VT_V_MONEY:
        vt_money_format(v->u.i, v->currency, buf, sizeof buf);
        vt_json_cstr(out, buf);
        break;
    case VT_V_TEXT: vt_json_str(out, v->u.s.p, v->u.s.len); break;
    case VT_V_TIME:
        vt_format_utc(v->u.i, buf);
        vt_json_cstr(out, buf);
        break;
    case VT_V_DURATION: {
        int64_t d = v->u.i;
        size_t n = 0;
        if (d < 0) buf[n++] = '-', d = -d;
        static const struct { int64_t secs; char unit; } units[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
        for (size_t i = 0; i < 4; i++)
            if (d >= units[i].secs || (i == 3 && n == 0)) {
                n += (size_t)snprintf(buf + n, sizeof buf - n, "%lld%c", (long long)(d / units[i].secs), units[i].unit);
                d %= units[i].secs;
            }
        vt_json_cstr(out, buf);
        break;
    }
    case VT_V_TEAM:
        if (v->u.i >= 0 && (uint64_t)v->u.i < s->nteams) vt_json_cstr(out, s->teams[v->u.i]);
        else fputs("null", out);
        break;
    default: fputs("null", out);
    }
}
