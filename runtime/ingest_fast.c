/* The fast path of the JSONL reader: one pass over a line, keys interned to small
 * integers, strings scanned 16 bytes at a time, no message formatting. */
#include "ingest_internal.h"
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* ---- the fast path ------------------------------------------------------------------ */

/* A line is first read by vt_ix_fast_jsonl: one pass, keys interned to small integers, no
 * message formatting. It accepts exactly the lines the full reader below accepts, with
 * the same record, and hands anything else (a bad line, and the rarer shapes it does
 * not know: "contact" as an object, a key field naming the contact, nested values) to
 * the full reader, which then gives the reason. */

static inline bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static inline size_t skip_ws(const char *s, size_t len, size_t p) {
    while (p < len && (unsigned char)s[p] <= ' ' && is_ws(s[p])) p++;
    return p;
}

/* The string at s[*pp] (its opening quote): 0 when it points into the line, 1 when it
 * was decoded into scratch (it had escapes), -1 when vt_ix_jstring would reject it or it is
 * not valid UTF-8. `padded`: s[len] is below 0x20 and 16 bytes past it are readable,
 * so a block scan stops by itself at the end of the line. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline int fstr(vt_ingest *x, const char *s, size_t len, bool padded, size_t *pp, const char **out, size_t *olen) {
    size_t start = *pp + 1, q = start;
    for (;;) {
#ifdef __SSE2__
        if (padded || q + 16 <= len) {
            const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(0x20);
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + q));
            /* a signed compare finds control bytes and bytes >= 0x80 (negative) at once */
            unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)), _mm_cmplt_epi8(v, space)));
            if (!m) {
                q += 16;
                continue;
            }
            q += (size_t)__builtin_ctz(m);
        } else
#endif
        {
            (void)padded;
            while (q < len) {
                unsigned char c = (unsigned char)s[q];
                if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
                q++;
            }
        }
        if (q >= len) return -1;
        unsigned char c = (unsigned char)s[q];
        if (c == '"') {
            *out = s + start;
            *olen = q - start;
            *pp = q + 1;
            return 0;
        }
        if (c == '\\') {
            if (vt_ix_scratch_reserve(x, 2 * len + 16)) return -1;
            jscan j = {s, len, *pp, x, NULL};
            if (vt_ix_jstring(&j, out, olen)) return -1;
            size_t raw = j.p - 1 - q; /* the rest of the string as written */
            if (vt_ix_utf8_check((const uint8_t *)s + q, raw) != raw) return -1;
            *pp = j.p;
            return 1;
        }
        if (c < 0x80) return -1;
        size_t n = vt_ix_utf8_seq((const uint8_t *)s, len, q);
        if (!n) return -1;
        q += n;
    }
}

/* As jnumber: the end of the number at s[p], or 0 when malformed. */
static size_t fnum(const char *s, size_t len, size_t p) {
    if (p < len && s[p] == '-') p++;
    if (p >= len || s[p] < '0' || s[p] > '9') return 0;
    if (s[p] == '0') p++;
    else
        while (p < len && s[p] >= '0' && s[p] <= '9') p++;
    if (p < len && s[p] == '.') {
        p++;
        if (p >= len || s[p] < '0' || s[p] > '9') return 0;
        while (p < len && s[p] >= '0' && s[p] <= '9') p++;
    }
    if (p < len && (s[p] == 'e' || s[p] == 'E')) {
        p++;
        if (p < len && (s[p] == '+' || s[p] == '-')) p++;
        if (p >= len || s[p] < '0' || s[p] > '9') return 0;
        while (p < len && s[p] >= '0' && s[p] <= '9') p++;
    }
    return p;
}

/* 0 accepted, 1 blank, VT_IX_BAIL for the full reader to decide. */
int vt_ix_fast_jsonl(vt_ingest *x, const char *s, size_t len, bool padded, vt_inrec *r) {
    size_t p = 0;
    p = skip_ws(s, len, p);
    if (p == len) return 1;
    if (!x->fast || s[p] != '{') return VT_IX_BAIL;
    if (++x->stamp == 0) {
        memset(x->seen, 0, x->nkeys * sizeof *x->seen);
        x->stamp = 1;
    }
    x->scratch_used = 0;
    const member *fixed[K_FIXED] = {NULL, NULL, NULL, NULL};
    bool in_line = padded; /* false once a string was decoded into scratch */
    size_t nm = 0;
    p++;
    for (;;) {
        p = skip_ws(s, len, p);
        if (p >= len || s[p] != '"' || nm == MAX_MEMBERS) return VT_IX_BAIL;
        member *m = &x->mem[nm];
        uint32_t kid = x->ids[nm];
        int st;
#ifdef __SSE2__
        /* Lines of one kind tend to repeat their keys in order: try the last line's. */
        const key_pattern *kp = &x->kpat[kid];
        if (padded && kp->n &&
            _mm_movemask_epi8(_mm_cmpeq_epi8(
                _mm_and_si128(_mm_loadu_si128((const __m128i *)(const void *)(s + p)),
                              _mm_loadu_si128((const __m128i *)(const void *)kp->mask)),
                _mm_loadu_si128((const __m128i *)(const void *)kp->pat))) == 0xFFFF) {
            m->key = s + p + 1;
            m->key_len = kp->n;
            p += kp->n + 3;
        } else
#endif
        {
            st = fstr(x, s, len, padded, &p, &m->key, &m->key_len);
            if (st < 0) return VT_IX_BAIL;
            kid = (name_find(x, m->key, m->key_len, padded && st == 0) & 0xFFFF) - 1;
            if (kid >= x->nkeys) return VT_IX_BAIL; /* not a name of this flow */
            p = skip_ws(s, len, p);
            if (p >= len || s[p] != ':') return VT_IX_BAIL;
            p++;
        }
        if (x->seen[kid] == x->stamp) return VT_IX_BAIL; /* twice */
        x->seen[kid] = x->stamp;
        x->ids[nm] = (uint16_t)kid;
        if (kid < K_FIXED) fixed[kid] = m;
        p = skip_ws(s, len, p);
        if (p >= len) return VT_IX_BAIL;
        size_t start = p;
        char c = s[p];
        if (c == '"') {
            m->kind = J_STR;
            st = fstr(x, s, len, padded, &p, &m->val, &m->val_len);
            if (st < 0) return VT_IX_BAIL;
            if (st) in_line = false;
        } else {
            if (c == 't' && len - p >= 4 && !memcmp(s + p, "true", 4)) m->kind = J_TRUE, p += 4;
            else if (c == 'f' && len - p >= 5 && !memcmp(s + p, "false", 5)) m->kind = J_FALSE, p += 5;
            else if (c == 'n' && len - p >= 4 && !memcmp(s + p, "null", 4)) m->kind = J_NULL, p += 4;
            else if (c == '-' || (c >= '0' && c <= '9')) {
                m->kind = J_NUM;
                if (!(p = fnum(s, len, p))) return VT_IX_BAIL;
            } else {
                return VT_IX_BAIL;
            }
            m->val = s + start;
            m->val_len = p - start;
        }
        nm++;
        p = skip_ws(s, len, p);
        if (p < len && s[p] == ',') {
            p++;
            continue;
        }
        if (p < len && s[p] == '}') {
            p++;
            break;
        }
        return VT_IX_BAIL;
    }
    p = skip_ws(s, len, p);
    if (p != len) return VT_IX_BAIL;

    const member *type = fixed[K_TYPE], *contact = fixed[K_CONTACT], *at = fixed[K_AT], *id = fixed[K_ID];
    if (!type || type->kind != J_STR || !at || at->kind != J_STR || !id || !id->val_len ||
        (id->kind != J_STR && id->kind != J_NUM))
        return VT_IX_BAIL;
    uint32_t tv = name_find(x, type->val, type->val_len, in_line) >> 16;
    if (!tv) return VT_IX_BAIL;
    int t = (int)tv - 2;
    memset(r, 0, sizeof *r);
    r->key_field = -1;
    r->type = t;
    const vt_schema_field *fs;
    uint32_t nf;
    if (t == VT_INPUT_CONTACT) {
        r->type_name = "contact";
        fs = x->s->contact_fields;
        nf = x->s->ncontact_fields;
    } else {
        r->type_name = x->s->events[t].name;
        fs = x->s->events[t].fields;
        nf = x->s->events[t].nfields;
    }
    if (vt_ix_parse_time(x, at->val, at->val_len, &r->at)) return VT_IX_BAIL;
    r->id = id->val;
    r->id_len = id->val_len;
    if (contact) {
        if ((contact->kind != J_STR && contact->kind != J_NUM) || !contact->val_len) return VT_IX_BAIL;
        r->contact = contact->val;
        r->contact_len = contact->val_len;
    }
    for (uint32_t i = 0; i < nf; i++) x->values[i] = (vt_value){0};
    r->values = x->values;
    r->nvalues = nf;
    const int32_t *field_of = x->field_of + (size_t)(t + 1) * x->nkeys;
    for (size_t i = 0; i < nm; i++) {
        uint16_t kid = x->ids[i];
        if (kid < K_FIXED) continue;
        int32_t fi = field_of[kid];
        if (fi < 0 || vt_ix_to_value(x, &fs[fi], &x->mem[i], false, &x->values[fi])) return VT_IX_BAIL;
    }
    if (t != VT_INPUT_CONTACT) {
        for (uint32_t i = 0; i < nf; i++)
            if (x->values[i].type == VT_V_NULL) return VT_IX_BAIL;
    } else if (!r->contact) {
        vt_ix_name_by_key(fs, nf, x->values, r);
    }
    if (!r->contact && r->key_field < 0) return VT_IX_BAIL;
    return 0;
}
