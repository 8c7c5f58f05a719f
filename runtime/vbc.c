/* Reading and writing the .vbc format (vbc.h). Every size and offset in a file is
 * checked against the file's length before a byte is copied; the copied tables then go
 * through the verifier (verify.c). */
#include "vbc.h"
#include "../common/mem.h"
#include <stdlib.h>
#include <string.h>

_Static_assert(sizeof(vt_pconst) == 32 && sizeof(vt_pfn) == 24 && sizeof(vt_pfield) == 40 &&
               sizeof(vt_pchan) == 40 && sizeof(vt_ptrans) == 32 && sizeof(vt_ptrig) == 48 &&
               sizeof(vt_pwf) == 56 && sizeof(vt_phist) == 32, "the .vbc record layout changed");

static bool little_endian(void) { uint16_t x = 1; unsigned char b; memcpy(&b, &x, 1); return b == 1; }

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, int64_t v) { memcpy(p, &v, 8); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static int64_t get64(const uint8_t *p) { int64_t v; memcpy(&v, p, 8); return v; }

int vt_program_save(const vt_program *p, uint8_t **out, size_t *len) {
    if (!p || !out || !len || !little_endian()) return -1;
    uint32_t nsec = 0;
    size_t total = VT_VBC_HEADER;
/* Each section starts on an 8-byte boundary, so a mapped file could be read in place. */
#define VT_SEC_SIZE(id, name, type) nsec++; total += 16 + (((size_t)p->n##name * sizeof(type) + 7) & ~(size_t)7);
    VT_SECTIONS(VT_SEC_SIZE)
#undef VT_SEC_SIZE
    uint8_t *buf = calloc(1, total);
    if (!buf) return -1;
    memcpy(buf, VT_VBC_MAGIC, 4);
    put32(buf + 4, VT_VBC_VERSION);
    memcpy(buf + 8, p->hash, 16);
    put32(buf + 24, p->flow_name);
    put32(buf + 28, p->timezone);
    put64(buf + 32, p->version);
    put32(buf + 40, nsec);
    size_t dir = VT_VBC_HEADER, data = VT_VBC_HEADER + 16u * nsec;
#define VT_SEC_PUT(id, name, type) do { \
        size_t sz_ = (size_t)p->n##name * sizeof(type); \
        put32(buf + dir, id); put32(buf + dir + 4, p->n##name); \
        put32(buf + dir + 8, (uint32_t)data); put32(buf + dir + 12, (uint32_t)sz_); \
        if (sz_) memcpy(buf + data, p->name, sz_); \
        dir += 16; data += (sz_ + 7) & ~(size_t)7; \
    } while (0);
    VT_SECTIONS(VT_SEC_PUT)
#undef VT_SEC_PUT
    *out = buf;
    *len = total;
    return 0;
}

static vt_program *refuse(vt_program *p, char **error, char *msg) {
    if (error) *error = msg; else free(msg);
    vt_program_free(p);
    return NULL;
}

vt_program *vt_program_load(const uint8_t *b, size_t len, char **error) { return vt_program_load_ex(b, len, NULL, error); }

vt_program *vt_program_load_ex(const uint8_t *b, size_t len, const vt_program_opts *opts, char **error) {
    if (error) *error = NULL;
    if (!little_endian()) { if (error) *error = vt_msg("bytecode needs a little-endian machine"); return NULL; }
    if (!b || len < VT_VBC_HEADER) { if (error) *error = vt_msg("not a Verity bytecode file: truncated header (%zu bytes)", len); return NULL; }
    if (memcmp(b, VT_VBC_MAGIC, 4) != 0) { if (error) *error = vt_msg("not a Verity bytecode file (bad magic)"); return NULL; }
    uint32_t ver = get32(b + 4);
    if (ver != VT_VBC_VERSION) {
        if (error) *error = vt_msg("bytecode format version %u is not supported (this verity reads version %u); rebuild it with `verity build`", ver, VT_VBC_VERSION);
        return NULL;
    }
    if (len > VT_VBC_MAX) { if (error) *error = vt_msg("bytecode file too large"); return NULL; }
    vt_program *p = vt_calloc(1, sizeof *p);
    if (!p) { if (error) *error = vt_msg("out of memory"); return NULL; }
    for (int i = 0; i < 16; i++) {
        char c = (char)b[8 + i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return refuse(p, error, vt_msg("corrupt bytecode: bad source hash"));
        p->hash[i] = c;
    }
    p->flow_name = get32(b + 24);
    p->timezone = get32(b + 28);
    p->version = get64(b + 32);
    uint32_t nsec = get32(b + 40);
    if (nsec > 64 || VT_VBC_HEADER + 16ull * nsec > len)
        return refuse(p, error, vt_msg("corrupt bytecode: the section table runs past the end of the file"));
    uint64_t seen = 0;
    for (uint32_t s = 0; s < nsec; s++) {
        const uint8_t *d = b + VT_VBC_HEADER + 16u * s;
        uint32_t id = get32(d), count = get32(d + 4), off = get32(d + 8), size = get32(d + 12);
        if ((uint64_t)off + size > len || off < VT_VBC_HEADER + 16u * nsec)
            return refuse(p, error, vt_msg("corrupt bytecode: section %u lies outside the file (truncated?)", id));
        if (id == 0 || id >= 64 || (seen & (1ull << id)))
            return refuse(p, error, vt_msg("corrupt bytecode: unknown or repeated section %u", id));
        seen |= 1ull << id;
        switch (id) {
#define VT_SEC_GET(sid, name, type) \
        case sid: \
            if ((uint64_t)count * sizeof(type) != size) \
                return refuse(p, error, vt_msg("corrupt bytecode: section " #name " has %u records but %u bytes", count, size)); \
            if (count) { \
                p->name = vt_malloc(size); \
                if (!p->name) return refuse(p, error, vt_msg("out of memory")); \
                memcpy(p->name, b + off, size); \
            } \
            p->n##name = count; \
            break;
        VT_SECTIONS(VT_SEC_GET)
#undef VT_SEC_GET
        default:
            return refuse(p, error, vt_msg("corrupt bytecode: unknown section %u", id));
        }
    }
    return vt_program_ready_ex(p, opts ? opts->native_dirs : NULL, error);
}
