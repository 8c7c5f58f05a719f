#include "strmap.h"
#include "../common/mem.h"
#include <stdbool.h>
#include <string.h>

struct vt_strmap_chunk {
    vt_strmap_chunk *next;
    char data[];
};

#define CHUNK_BYTES (256u * 1024u)

static inline uint64_t load64(const char *s) {
    uint64_t w;
    memcpy(&w, s, 8);
    return w;
}

/* The key's first 16 bytes, zero-padded, as two words: overlapping loads instead of a
 * byte loop (little-endian; elsewhere a copy into a zeroed buffer). */
static inline void head16(const char *s, size_t n, uint64_t h[2]) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n >= 16) {
        h[0] = load64(s), h[1] = load64(s + 8);
    } else if (n > 8) {
        h[0] = load64(s), h[1] = load64(s + n - 8) >> (8 * (16 - n));
    } else if (n >= 4) {
        uint32_t lo, hi;
        memcpy(&lo, s, 4);
        memcpy(&hi, s + n - 4, 4);
        h[0] = lo | ((uint64_t)hi >> (8 * (8 - n))) << 32, h[1] = 0;
    } else {
        uint64_t w = 0;
        for (size_t i = 0; i < n; i++) w |= (uint64_t)(uint8_t)s[i] << (8 * i);
        h[0] = w, h[1] = 0;
    }
#else
    char buf[16] = {0};
    memcpy(buf, s, n < 16 ? n : 16);
    memcpy(h, buf, 16);
#endif
}

/* A word at a time, then a final mix: ids and names are short, and a byte-at-a-time
 * hash cost more than the probe itself. */
static uint64_t hash_key(const char *s, size_t n, const uint64_t head[2]) {
    uint64_t h = (head[0] ^ (uint64_t)n * 0x9E3779B97F4A7C15ull) * 0xBF58476D1CE4E5B9ull;
    h = (h ^ (h >> 32) ^ head[1]) * 0x94D049BB133111EBull;
    if (n > 16) {
        for (size_t i = 16; i + 8 < n; i += 8) h = (h ^ (h >> 32) ^ load64(s + i)) * 0xBF58476D1CE4E5B9ull;
        h = (h ^ (h >> 32) ^ load64(s + n - 8)) * 0x94D049BB133111EBull;
    }
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 32;
    return h ? h : 1;
}

uint64_t vt_strmap_hash(const char *key, size_t len) {
    uint64_t head[2];
    head16(key, len, head);
    return hash_key(key, len, head);
}

static inline bool same_key(const vt_strmap_entry *e, const char *key, size_t len, const uint64_t head[2]) {
    return e->len == len && e->head[0] == head[0] && e->head[1] == head[1] &&
           (len <= 16 || memcmp(e->key + 16, key + 16, len - 16) == 0);
}

void vt_strmap_init(vt_strmap *m) { memset(m, 0, sizeof *m); }

void vt_strmap_free(vt_strmap *m) {
    vt_free(m->slots);
    vt_free(m->entries);
    for (vt_strmap_chunk *c = m->chunks, *n; c; c = n) {
        n = c->next;
        vt_free(c);
    }
    memset(m, 0, sizeof *m);
}

/* The tag is never 0, so a slot of 0 means empty. */
static uint64_t tag_of(uint64_t h) { return (h >> 32) ? (h >> 32) : 1; }

int64_t vt_strmap_get(const vt_strmap *m, const char *key, size_t len) {
    if (!m->cap) return -1;
    uint64_t head[2];
    head16(key, len, head);
    uint64_t h = hash_key(key, len, head), tag = tag_of(h);
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        uint64_t s = m->slots[i];
        if (!s) return -1;
        if (s >> 32 == tag && same_key(&m->entries[(uint32_t)s], key, len, head)) return m->entries[(uint32_t)s].value;
    }
}

static int rehash(vt_strmap *m, size_t ncap) {
    uint64_t *ns = vt_calloc(ncap, sizeof *ns);
    if (!ns) return -1;
    for (size_t k = 0; k < m->count; k++) {
        const vt_strmap_entry *e = &m->entries[k];
        uint64_t h = hash_key(e->key, e->len, e->head);
        size_t j = h & (ncap - 1);
        while (ns[j]) j = (j + 1) & (ncap - 1);
        ns[j] = tag_of(h) << 32 | k;
    }
    vt_free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return 0;
}

static int grow(vt_strmap *m) { return rehash(m, m->cap ? m->cap * 2 : 64); }

int vt_strmap_reserve(vt_strmap *m, size_t n) {
    size_t cap = m->cap ? m->cap : 64;
    while (n * 4 > cap * 3) cap *= 2;
    if (n > m->entries_cap) {
        vt_strmap_entry *e = vt_realloc(m->entries, n * sizeof *e);
        if (!e) return -1;
        m->entries = e;
        m->entries_cap = n;
    }
    return cap == m->cap ? 0 : rehash(m, cap);
}

static char *store_key(vt_strmap *m, const char *key, size_t len) {
    if (!m->chunks || m->chunk_used + len + 1 > m->chunk_cap) {
        size_t cap = len + 1 > CHUNK_BYTES ? len + 1 : CHUNK_BYTES;
        vt_strmap_chunk *c = vt_malloc(sizeof *c + cap);
        if (!c) return NULL;
        c->next = m->chunks;
        m->chunks = c;
        m->chunk_used = 0;
        m->chunk_cap = cap;
    }
    char *p = m->chunks->data + m->chunk_used;
    memcpy(p, key, len);
    p[len] = 0;
    m->chunk_used += len + 1;
    return p;
}

int vt_strmap_put(vt_strmap *m, const char *key, size_t len, uint32_t value, uint32_t *existing,
                  const char **stored) {
    return vt_strmap_put_hashed(m, key, len, vt_strmap_hash(key, len), value, existing, stored);
}

int vt_strmap_put_hashed(vt_strmap *m, const char *key, size_t len, uint64_t h, uint32_t value,
                         uint32_t *existing, const char **stored) {
    if (len > UINT32_MAX || m->count >= UINT32_MAX) return -1;
    if ((m->count + 1) * 4 > m->cap * 3 && grow(m) != 0) return -1;
    uint64_t head[2];
    head16(key, len, head);
    uint64_t tag = tag_of(h);
    size_t i = h & (m->cap - 1);
    for (;; i = (i + 1) & (m->cap - 1)) {
        uint64_t s = m->slots[i];
        if (!s) break;
        if (s >> 32 == tag) {
            const vt_strmap_entry *e = &m->entries[(uint32_t)s];
            if (same_key(e, key, len, head)) {
                if (existing) *existing = e->value;
                if (stored) *stored = e->key;
                return 0;
            }
        }
    }
    if (m->count == m->entries_cap) {
        size_t cap = m->entries_cap ? m->entries_cap * 2 : 64;
        vt_strmap_entry *e = vt_realloc(m->entries, cap * sizeof *e);
        if (!e) return -1;
        m->entries = e;
        m->entries_cap = cap;
    }
    char *k = store_key(m, key, len);
    if (!k) return -1;
    m->entries[m->count] = (vt_strmap_entry){k, (uint32_t)len, value, {head[0], head[1]}};
    m->slots[i] = tag << 32 | m->count;
    m->count++;
    if (stored) *stored = k;
    return 1;
}
