/* A string -> uint32 hash map (open addressing) for the runtime's hot paths: event
 * type names, field names, contact ids, idempotency ids. Keys are copied into
 * chunked storage owned by the map, so pointers returned by vt_strmap_key stay valid
 * until vt_strmap_free. */
#ifndef VT_STRMAP_H
#define VT_STRMAP_H
#include <stddef.h>
#include <stdint.h>

/* Entries in insertion order; the table holds 8-byte slots (a 32-bit hash tag and the
 * entry's index) so a probe touches one small slot, and the entry only on a tag match.
 * The entry holds the key's first 16 bytes (zero-padded), so a short key is compared
 * without touching the stored copy: one cache miss fewer on a large map. */
typedef struct vt_strmap_entry {
    const char *key;
    uint32_t len, value;
    uint64_t head[2];
} vt_strmap_entry;

typedef struct vt_strmap_chunk vt_strmap_chunk;

typedef struct vt_strmap {
    uint64_t *slots;        /* 0 = empty, else tag << 32 | entry index */
    size_t cap, count;      /* cap is a power of two */
    vt_strmap_entry *entries;
    size_t entries_cap;
    vt_strmap_chunk *chunks;
    size_t chunk_used, chunk_cap;
} vt_strmap;

void vt_strmap_init(vt_strmap *m);
void vt_strmap_free(vt_strmap *m);
/* Makes room for n keys without growing again; 0, or -1 on allocation failure. */
int vt_strmap_reserve(vt_strmap *m, size_t n);
/* The value of key, or -1 when absent. */
int64_t vt_strmap_get(const vt_strmap *m, const char *key, size_t len);
/* The hash the map uses for a key (for a caller's own table of keys stored elsewhere). */
uint64_t vt_strmap_hash(const char *key, size_t len);
/* Inserts key -> value unless present. Returns 1 when inserted, 0 when it was already
 * there (*existing gets its value, may be NULL), -1 on allocation failure. *stored (may
 * be NULL) points at the map's NUL-terminated copy of the key. */
int vt_strmap_put(vt_strmap *m, const char *key, size_t len, uint32_t value, uint32_t *existing,
                  const char **stored);
/* vt_strmap_put with the key's vt_strmap_hash, when the caller has it already. */
int vt_strmap_put_hashed(vt_strmap *m, const char *key, size_t len, uint64_t hash, uint32_t value,
                         uint32_t *existing, const char **stored);

#endif
