#include "strmap.h"
#include "../common/mem.h"
#include <string.h>

struct vt_strmap_chunk {
    vt_strmap_chunk *next;
    char data[];
};

#define CHUNK_BYTES (256u * 1024u)

static uint64_t hash_bytes(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a, then a final mix */
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return h ? h : 1;
}

void vt_strmap_init(vt_strmap *m) { memset(m, 0, sizeof *m); }

void vt_strmap_free(vt_strmap *m) {
    vt_free(m->slots);
    for (vt_strmap_chunk *c = m->chunks, *n; c; c = n) {
        n = c->next;
        vt_free(c);
    }
    memset(m, 0, sizeof *m);
}

int64_t vt_strmap_get(const vt_strmap *m, const char *key, size_t len) {
    if (!m->cap) return -1;
    uint64_t h = hash_bytes(key, len);
    for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        const vt_strmap_slot *s = &m->slots[i];
        if (!s->hash) return -1;
        if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0) return s->value;
    }
}

static int grow(vt_strmap *m) {
    size_t ncap = m->cap ? m->cap * 2 : 64;
    vt_strmap_slot *ns = vt_calloc(ncap, sizeof *ns);
    if (!ns) return -1;
    for (size_t i = 0; i < m->cap; i++) {
        vt_strmap_slot *s = &m->slots[i];
        if (!s->hash) continue;
        size_t j = s->hash & (ncap - 1);
        while (ns[j].hash) j = (j + 1) & (ncap - 1);
        ns[j] = *s;
    }
    vt_free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return 0;
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
    if (len > UINT32_MAX) return -1;
    if ((m->count + 1) * 4 > m->cap * 3 && grow(m) != 0) return -1;
    uint64_t h = hash_bytes(key, len);
    size_t i = h & (m->cap - 1);
    for (;; i = (i + 1) & (m->cap - 1)) {
        vt_strmap_slot *s = &m->slots[i];
        if (!s->hash) break;
        if (s->hash == h && s->len == len && memcmp(s->key, key, len) == 0) {
            if (existing) *existing = s->value;
            if (stored) *stored = s->key;
            return 0;
        }
    }
    char *k = store_key(m, key, len);
    if (!k) return -1;
    m->slots[i] = (vt_strmap_slot){h, k, (uint32_t)len, value};
    m->count++;
    if (stored) *stored = k;
    return 1;
}
