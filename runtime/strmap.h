/* A string -> uint32 hash map (open addressing) for the runtime's hot paths: event
 * type names, field names, contact ids, idempotency ids. Keys are copied into
 * chunked storage owned by the map, so pointers returned by vt_strmap_key stay valid
 * until vt_strmap_free. */
#ifndef VT_STRMAP_H
#define VT_STRMAP_H
#include <stddef.h>
#include <stdint.h>

typedef struct vt_strmap_slot {
    uint64_t hash;          /* 0 = empty */
    const char *key;
    uint32_t len, value;
} vt_strmap_slot;

typedef struct vt_strmap_chunk vt_strmap_chunk;

typedef struct vt_strmap {
    vt_strmap_slot *slots;
    size_t cap, count;      /* cap is a power of two */
    vt_strmap_chunk *chunks;
    size_t chunk_used, chunk_cap;
} vt_strmap;

void vt_strmap_init(vt_strmap *m);
void vt_strmap_free(vt_strmap *m);
/* The value of key, or -1 when absent. */
int64_t vt_strmap_get(const vt_strmap *m, const char *key, size_t len);
/* Inserts key -> value unless present. Returns 1 when inserted, 0 when it was already
 * there (*existing gets its value, may be NULL), -1 on allocation failure. *stored (may
 * be NULL) points at the map's NUL-terminated copy of the key. */
int vt_strmap_put(vt_strmap *m, const char *key, size_t len, uint32_t value, uint32_t *existing,
                  const char **stored);

#endif
