/* The input reader's insides, shared by ingest.c (the full reader: JSON scanning, values,
 * records, CSV, files) and ingest_fast.c (the one-pass fast path for JSONL lines). */
#ifndef VT_INGEST_INTERNAL_H
#define VT_INGEST_INTERNAL_H
#include "ingest.h"
#include "strmap.h"
#include "tz.h"
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* A record has few members; more than this is not a record of ours. */
#define MAX_MEMBERS 256
#define MAX_DEPTH 64

enum jkind { J_STR, J_NUM, J_TRUE, J_FALSE, J_NULL, J_OBJ, J_ARR };

typedef struct member {
    const char *key;
    size_t key_len;
    uint8_t kind;
    const char *val; /* decoded text (J_STR), raw text otherwise */
    size_t val_len;
} member;

/* An interned name: its bytes zero-padded into two words, and what it is as a key
 * (id + 1, 0 = no key) and as a record type (VT_INPUT_CONTACT / event index + 2, 0 =
 * no type), packed as key | type << 16. An empty slot has v == 0. */
typedef struct name_slot {
    uint64_t a, b;
    uint32_t len, v;
} name_slot;

/* A key as it is usually written, `"name":`, zero-padded to 16 bytes with its mask
 * (n = 0: no pattern), to recognise the key a line most likely has next in one compare. */
typedef struct key_pattern {
    uint8_t pat[16], mask[16];
    uint32_t n;
} key_pattern;

/* Key ids of the names every record may carry. */
enum { K_TYPE, K_CONTACT, K_AT, K_ID, K_FIXED };

struct vt_ingest {
    const vt_schema *s;
    vt_tz *tz;
    vt_strmap types;       /* event name -> index */
    char *scratch;         /* decoded strings of the current line */
    size_t scratch_cap, scratch_used;
    member mem[MAX_MEMBERS];
    size_t nmem;
    vt_value *values;
    uint32_t maxfields;
    char keybuf[64];
    char msg[512];
    /* The fast path (fast_jsonl): the names a line may use, interned at load. */
    name_slot *names;      /* names of up to 16 bytes, open addressing */
    unsigned names_shift;  /* index = hash >> shift */
    vt_strmap long_names;  /* longer ones: the same packed value */
    uint32_t nkeys;        /* key ids: the fixed names, then every field name */
    int32_t *field_of;     /* [(type + 1) * nkeys + key id] = field index, or -1 */
    uint32_t *seen, stamp; /* seen[key id] == stamp: the key is on this line */
    uint16_t ids[MAX_MEMBERS]; /* key ids of the line's members (the last line's, before) */
    key_pattern *kpat;     /* by key id */
    bool fast;
    /* parse_time: the day of the last UTC time ("YYYY-MM-DDT", as two overlapping words) */
    bool day_set;
    uint64_t day[2];
    int64_t day_start;
    /* CSV */
    member *cols;          /* header names */
    size_t ncols, cols_cap;
    char *header;          /* owned copy of the header line */
};

typedef struct jscan {
    const char *s;
    size_t len, p;
    vt_ingest *x;
    const char *err;
} jscan;

/* ---- interned names (the fast path's keys and record types) ------------------------ */
/* Loads a name of up to 16 bytes as two zero-padded words. `padded`: 16 bytes from k
 * are readable, so two plain loads and a mask do (little-endian only). */
static inline void name_words(const char *k, size_t n, bool padded, uint64_t *a, uint64_t *b) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (padded) {
        memcpy(a, k, 8);
        memcpy(b, k + 8, 8);
        if (n < 8) *a &= n ? ~0ull >> (64 - 8 * n) : 0, *b = 0;
        else if (n < 16) *b &= n > 8 ? ~0ull >> (64 - 8 * (n - 8)) : 0;
        return;
    }
#else
    (void)padded;
#endif
    char w[16] = {0};
    memcpy(w, k, n);
    memcpy(a, w, 8);
    memcpy(b, w + 8, 8);
}

static inline size_t name_hash(const vt_ingest *x, uint64_t a, uint64_t b, size_t n) {
    return (size_t)(((a ^ (b + n) * 0x9E3779B97F4A7C15ull) * 0xBF58476D1CE4E5B9ull) >> x->names_shift);
}

/* The packed value of a name (see name_slot), 0 when the flow has no such name. */
static inline uint32_t name_find(const vt_ingest *x, const char *k, size_t n, bool padded) {
    if (n > 16) {
        int64_t v = vt_strmap_get(&x->long_names, k, n);
        return v < 0 ? 0 : (uint32_t)v;
    }
    uint64_t a, b;
    name_words(k, n, padded, &a, &b);
    size_t mask = ((size_t)1 << (64 - x->names_shift)) - 1;
    for (size_t i = name_hash(x, a, b, n);; i = (i + 1) & mask) {
        const name_slot *e = &x->names[i];
        if (!e->v) return 0;
        if (e->a == a && e->b == b && e->len == n) return e->v;
    }
}

/* ---- shared by the full reader and the fast path (ingest.c) ------------------------ */

/* Formats a rejection reason into x->msg and returns it. */
const char *vt_ix_fail(vt_ingest *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Room for `need` bytes of decoded strings in x->scratch; 0 or -1. */
int vt_ix_scratch_reserve(vt_ingest *x, size_t need);
/* The length of the valid UTF-8 sequence at s[i] (0: invalid); of the valid prefix. */
size_t vt_ix_utf8_seq(const uint8_t *s, size_t len, size_t i);
size_t vt_ix_utf8_check(const uint8_t *s, size_t len);
/* The JSON string at j->s[j->p] (its opening quote), decoded; 0 or -1 (j->err). */
int vt_ix_jstring(jscan *j, const char **out, size_t *olen);
/* A timestamp (SPEC §9 shapes) as seconds; 0 or -1. */
int vt_ix_parse_time(vt_ingest *x, const char *s, size_t len, int64_t *out);
/* A member as a value of field f; NULL, or the reason it does not fit. */
const char *vt_ix_to_value(vt_ingest *x, const vt_schema_field *f, const member *m, bool lenient, vt_value *v);
/* A `contact` record without "contact" names its contact by its first key field. */
void vt_ix_name_by_key(const vt_schema_field *fs, uint32_t nf, const vt_value *vals, vt_inrec *r);

/* ---- ingest_fast.c ------------------------------------------------------------------ */

#define VT_IX_BAIL (-2)
/* 0 accepted (the record in *r), 1 blank, VT_IX_BAIL: the full reader decides. `padded`:
 * s[len] is below 0x20 and 16 bytes past it are readable. */
int vt_ix_fast_jsonl(vt_ingest *x, const char *s, size_t len, bool padded, vt_inrec *r);

#endif
