#include "record.h"
#include "../common/mem.h"
#include <string.h>

static int reserve(uint8_t **buf, size_t *cap, size_t need) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 256;
    while (c < need) c *= 2;
    uint8_t *p = vt_realloc(*buf, c);
    if (!p) return -1;
    *buf = p;
    *cap = c;
    return 0;
}

static void put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t get64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

long vt_payload_encode(const vt_schema *s, const vt_schema_field *fs, uint32_t nf, const vt_value *vals,
                       uint8_t **buf, size_t *cap) {
    return vt_payload_encode_at(s, fs, nf, vals, buf, cap, 0);
}

long vt_payload_encode_at(const vt_schema *s, const vt_schema_field *fs, uint32_t nf, const vt_value *vals,
                          uint8_t **buf, size_t *cap, size_t at) {
    size_t n = at;
    for (uint32_t i = 0; i < nf; i++) {
        const vt_value *v = &vals[i];
        if (v->type == VT_V_NULL) continue;
        size_t nl = strlen(fs[i].name);
        if (nl > 255) continue;
        const char *team = v->type == VT_V_TEAM && (uint64_t)v->u.i < s->nteams ? s->teams[v->u.i] : "";
        size_t extra = v->type == VT_V_TEXT ? 4 + v->u.s.len : v->type == VT_V_TEAM ? 1 + strlen(team) : 11;
        if (reserve(buf, cap, n + 2 + nl + extra)) return -1;
        uint8_t *p = *buf + n;
        *p++ = (uint8_t)nl;
        memcpy(p, fs[i].name, nl);
        p += nl;
        *p++ = v->type;
        switch (v->type) {
        case VT_V_BOOL: *p++ = v->u.b; break;
        case VT_V_TEXT:
            p[0] = (uint8_t)v->u.s.len, p[1] = (uint8_t)(v->u.s.len >> 8), p[2] = (uint8_t)(v->u.s.len >> 16),
            p[3] = (uint8_t)(v->u.s.len >> 24), p += 4;
            memcpy(p, v->u.s.p, v->u.s.len);
            p += v->u.s.len;
            break;
        case VT_V_TEAM: {
            size_t tl = strlen(team) > 255 ? 255 : strlen(team);
            *p++ = (uint8_t)tl;
            memcpy(p, team, tl);
            p += tl;
            break;
        }
        case VT_V_NUMBER: {
            uint64_t bits;
            memcpy(&bits, &v->u.d, 8);
            put64(p, bits);
            p += 8;
            break;
        }
        case VT_V_MONEY: memcpy(p, v->currency, 3), p += 3; /* fallthrough */
        default: put64(p, (uint64_t)v->u.i), p += 8; break;
        }
        n = (size_t)(p - *buf);
    }
    return (long)(n - at);
}

int vt_payload_decode(const vt_schema *s, const vt_schema_field *fs, uint32_t nf, const uint8_t *p, size_t len,
                      vt_value *vals) {
    memset(vals, 0, nf * sizeof *vals);
    const uint8_t *e = p + len;
    uint32_t next = 0;
    while (p < e) {
        size_t nl = *p++;
        if ((size_t)(e - p) < nl + 1) return -1;
        const char *name = (const char *)p;
        p += nl;
        uint8_t type = *p++;
        /* Fields are encoded in declaration order: try the one after the last first. */
        int fi = -1;
        if (next < nf && !strncmp(fs[next].name, name, nl) && fs[next].name[nl] == 0) fi = (int)next;
        else
            for (uint32_t i = 0; i < nf; i++)
                if (!strncmp(fs[i].name, name, nl) && fs[i].name[nl] == 0) {
                    fi = (int)i;
                    break;
                }
        if (fi >= 0) next = (uint32_t)fi + 1;
        vt_value v;
        memset(&v, 0, sizeof v);
        v.type = type;
        switch (type) {
        case VT_V_BOOL:
            if (e - p < 1) return -1;
            v.u.b = *p++ != 0;
            break;
        case VT_V_TEXT: {
            if (e - p < 4) return -1;
            uint32_t l = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
            p += 4;
            if ((size_t)(e - p) < l) return -1;
            v.u.s.p = (const char *)p;
            v.u.s.len = l;
            p += l;
            break;
        }
        case VT_V_TEAM: {
            if (e - p < 1) return -1;
            size_t tl = *p++;
            if ((size_t)(e - p) < tl) return -1;
            v.u.i = -1;
            for (uint32_t t = 0; t < s->nteams; t++)
                if (!strncmp(s->teams[t], (const char *)p, tl) && s->teams[t][tl] == 0) v.u.i = t;
            p += tl;
            if (v.u.i < 0) fi = -1; /* the team is gone from the flow */
            break;
        }
        case VT_V_NUMBER: {
            if (e - p < 8) return -1;
            uint64_t bits = get64(p);
            memcpy(&v.u.d, &bits, 8);
            p += 8;
            break;
        }
        case VT_V_MONEY:
            if (e - p < 11) return -1;
            memcpy(v.currency, p, 3);
            p += 3;
            v.u.i = (int64_t)get64(p);
            p += 8;
            break;
        case VT_V_INT: case VT_V_TIME: case VT_V_DURATION:
            if (e - p < 8) return -1;
            v.u.i = (int64_t)get64(p);
            p += 8;
            break;
        default: return -1;
        }
        if (fi >= 0 && fs[fi].type == type) vals[fi] = v;
    }
    return 0;
}
