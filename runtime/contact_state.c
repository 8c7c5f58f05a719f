/* A contact's state as one flat buffer: header, the program's fixed layout (lifecycle
 * states, truth wake-ups and bits, trigger bits, fields, accumulators, cap rings,
 * enrollments, then the vt_cinfo), then a tail of text bytes. What every instant touches
 * comes first, so that it takes as few cache lines as possible. Offsets, never
 * pointers, so the store persists it as is. */
#include "vm_internal.h"
#include "../common/mem.h"
#include <stdint.h>

static uint32_t r8(uint32_t n) { return (n + 7u) & ~7u; }

/* Contact buffers start on a cache line, so the header and the start of the layout that
 * every instant touches share one line rather than straddle two (vt_malloc aligns to
 * 16). A buffer is over-allocated by 64 bytes; the byte before it records how far it was
 * moved, so it can be freed. Growing copies (a realloc could lose the alignment). */
#define VT_CACHE_LINE 64u
static uint8_t *buf_alloc(size_t n) {
    uint8_t *raw = vt_malloc(n + VT_CACHE_LINE);
    if (!raw) return NULL;
    size_t shift = VT_CACHE_LINE - ((uintptr_t)raw & (VT_CACHE_LINE - 1));   /* 1..64 */
    raw[shift - 1] = (uint8_t)shift;
    return raw + shift;
}
static void buf_free(uint8_t *d) { if (d) vt_free(d - d[-1]); }
static uint8_t *buf_grow(uint8_t *d, size_t used, size_t n) {
    uint8_t *nd = buf_alloc(n);
    if (!nd) return NULL;
    memcpy(nd, d, used);
    buf_free(d);
    return nd;
}

int vt_layout_build(vt_program *p) {
    vt_layout *L = &p->lay;
    L->hist_off = vt_calloc(p->nhists + 1, sizeof *L->hist_off);
    L->chan_off = vt_calloc(p->nchans + 1, sizeof *L->chan_off);
    L->rep_off = vt_calloc(p->nwfs + 1, sizeof *L->rep_off);
    L->cal_off = vt_calloc(p->ntrigs + 1, sizeof *L->cal_off);
    if (!L->hist_off || !L->chan_off || !L->rep_off || !L->cal_off) return -1;
    uint32_t off = (uint32_t)sizeof(vt_chdr);
    L->lcs = off; off += p->nlcs * (uint32_t)sizeof(vt_lcst);
    L->twake = off; off += p->ntruths * 8u;     /* per truth: the next instant time alone can change it */
    L->truths = off; off += r8(p->ntruths);
    L->trigs = off; off += r8(p->ntrigs);
    off = (off + 15u) & ~15u;   /* 16-byte slots in a line-aligned buffer: none straddles two lines */
    L->fields = off; off += p->nfields * (uint32_t)sizeof(vt_slot);
    L->cals = off;      /* only calendar triggers keep an instant */
    for (uint32_t i = 0; i < p->ntrigs; i++)
        if (p->trigs[i].kind == VT_TK_CALENDAR) { L->cal_off[i] = off; off += 8u; }
    for (uint32_t i = 0; i < p->nhists; i++) { L->hist_off[i] = off; off += r8(vt_hist_size(&p->hists[i])); }
    for (uint32_t i = 0; i < p->nchans; i++) {
        L->chan_off[i] = off;
        if (p->chans[i].cap > 0) off += (uint32_t)sizeof(vt_ring) + 8u * (uint32_t)p->chans[i].cap;
    }
    L->enrolls = off; off += p->nwfs * (uint32_t)sizeof(vt_enroll);
    for (uint32_t i = 0; i < p->nwfs; i++) {
        L->rep_off[i] = off;
        uint32_t n = p->wfs[i].nrep > 0 && p->wfs[i].nrep <= VT_MAX_REP ? (uint32_t)p->wfs[i].nrep : 0;
        off += r8(n * 4u);
    }
    L->info = off; off += (uint32_t)sizeof(vt_cinfo);
    L->fixed_len = off;
    /* The shape signature: FNV-1a over everything the layout depends on. */
    uint32_t h = 2166136261u;
#define MIX(x) do { uint32_t v_ = (uint32_t)(x); for (int k_ = 0; k_ < 4; k_++) { h ^= (v_ >> (8 * k_)) & 0xff; h *= 16777619u; } } while (0)
    MIX(VT_LAYOUT_VERSION);
    MIX(off); MIX(p->nfields); MIX(p->nlcs); MIX(p->ntruths); MIX(p->ntrigs); MIX(p->nhists); MIX(p->nchans); MIX(p->nwfs);
    for (uint32_t i = 0; i < p->nfields; i++) MIX(p->fields[i].type);
    for (uint32_t i = 0; i < p->nhists; i++) {
        MIX(p->hists[i].kind); MIX(p->hists[i].k); MIX(p->hists[i].vtype);
        /* exact windows changed the blob layout: older blobs are refused, not misread */
        if (vt_hist_growable(&p->hists[i])) MIX(0x67726f77u);
    }
    for (uint32_t i = 0; i < p->nlcs; i++) MIX(p->lcs[i].nstates);
#undef MIX
    L->sig = h;
    return 0;
}

vt_cell vt_slot_read(const vt_contact *c, const vt_slot *s) {
    vt_cell v;
    memset(&v, 0, sizeof v);
    v.t = s->t;
    memcpy(v.cur, s->cur, 3);
    if (s->t == VT_V_TEXT) { v.len = s->len; v.u.s = (const char *)c->data + s->v; }
    else if (s->t == VT_V_NUMBER) memcpy(&v.u.d, &s->v, sizeof v.u.d);
    else v.u.i = s->v;
    return v;
}

/* Appends bytes to the tail; src may point into the buffer itself. Returns the offset
 * or UINT32_MAX when memory ran out. */
static uint32_t tail_append(vt_contact *c, const char *src, uint32_t len) {
    size_t need = c->len + len;
    if (need > UINT32_MAX - 16) return UINT32_MAX;
    if (need > c->cap) {
        size_t srcoff = SIZE_MAX;
        if (src >= (const char *)c->data && src < (const char *)c->data + c->len) srcoff = (size_t)(src - (const char *)c->data);
        size_t ncap = c->cap * 2 > need + 64 ? c->cap * 2 : need + 64;
        uint8_t *nd = buf_grow(c->data, c->len, ncap);
        if (!nd) return UINT32_MAX;
        c->data = nd;
        c->cap = ncap;
        if (srcoff != SIZE_MAX) src = (const char *)nd + srcoff;
    }
    uint32_t off = (uint32_t)c->len;
    if (len) memmove(c->data + off, src, len);
    c->len = need;
    return off;
}

uint32_t vt_tail_alloc(vt_contact *c, uint32_t len) {
    static const char zeros[8];
    uint32_t pad = (uint32_t)((8u - (c->len & 7u)) & 7u);
    if (pad) {
        if (tail_append(c, zeros, pad) == UINT32_MAX) return UINT32_MAX;
        vt_hdr(c)->dead += pad;
    }
    size_t need = c->len + len;
    if (need > UINT32_MAX - 16) return UINT32_MAX;
    if (need > c->cap) {
        size_t ncap = c->cap * 2 > need + 64 ? c->cap * 2 : need + 64;
        uint8_t *nd = buf_grow(c->data, c->len, ncap);
        if (!nd) return UINT32_MAX;
        c->data = nd;
        c->cap = ncap;
    }
    uint32_t off = (uint32_t)c->len;
    memset(c->data + off, 0, len);
    c->len = need;
    return off;
}

int vt_slot_write(vt_contact *c, uint32_t off, const vt_cell *v) {
    if (v->t == VT_V_INT || v->t == VT_V_BOOL) {     /* the common case: scores, flags */
        vt_slot *d = (vt_slot *)(c->data + off);
        if (d->t == VT_V_TEXT) vt_hdr(c)->dead += d->len;
        d->t = v->t;
        memset(d->cur, 0, 3);
        d->len = 0;
        d->v = v->u.i;
        return 0;
    }
    vt_slot s;
    memset(&s, 0, sizeof s);
    s.t = v->t;
    memcpy(s.cur, v->cur, 3);
    if (v->t == VT_V_TEXT) {
        vt_slot *old = (vt_slot *)(c->data + off);
        if (old->t == VT_V_TEXT) vt_hdr(c)->dead += old->len;   /* dead bytes, for stats */
        uint32_t at = tail_append(c, v->u.s, v->len);
        if (at == UINT32_MAX) return -1;
        s.len = v->len;
        s.v = at;
    } else if (v->t == VT_V_NUMBER) {
        memcpy(&s.v, &v->u.d, sizeof s.v);
    } else if (v->t == VT_C_TAGS) {
        s.t = VT_V_NULL;
    } else {
        s.v = v->u.i;
    }
    memcpy(c->data + off, &s, sizeof s);
    return 0;
}

bool vt_tags_has(const char *tags, uint32_t tlen, const char *tag, uint32_t len) {
    uint32_t i = 0;
    while (i < tlen) {
        uint32_t j = i + 1;
        while (j < tlen && tags[j] != '\x1f') j++;
        if (j - i - 1 == len && memcmp(tags + i + 1, tag, len) == 0) return true;
        i = j;
    }
    return false;
}

int vt_tags_edit(vt_contact *c, const char *tag, uint32_t len, bool add) {
    vt_chdr *h = vt_hdr(c);
    const char *tags = (const char *)c->data + h->tags_off;
    bool has = vt_tags_has(tags, h->tags_len, tag, len);
    if (has == add) return 0;
    char buf[4096];
    uint32_t n = 0, tl = h->tags_len;
    if (tl + len + 1 > sizeof buf) return -1;
    if (add) {
        memcpy(buf, tags, tl);
        n = tl;
        buf[n++] = '\x1f';
        memcpy(buf + n, tag, len);
        n += len;
    } else {
        uint32_t i = 0;
        while (i < tl) {
            uint32_t j = i + 1;
            while (j < tl && tags[j] != '\x1f') j++;
            if (!(j - i - 1 == len && memcmp(tags + i + 1, tag, len) == 0)) { memcpy(buf + n, tags + i, j - i); n += j - i; }
            i = j;
        }
    }
    uint32_t at = tail_append(c, buf, n);
    if (at == UINT32_MAX) return -1;
    h = vt_hdr(c);
    h->dead += h->tags_len;
    h->tags_off = at;
    h->tags_len = n;
    return 0;
}

static vt_cell const_cell(const vt_program *p, int32_t k) {
    vt_cell v;
    memset(&v, 0, sizeof v);
    if (k < 0) return v;
    const vt_pconst *c = &p->consts[k];
    v.t = (uint8_t)c->type;
    memcpy(v.cur, c->cur, 3);
    if (c->type == VT_V_TEXT) { v.u.s = p->strings + c->s; v.len = c->slen; }
    else if (c->type == VT_V_NUMBER) v.u.d = c->d;
    else v.u.i = c->i;
    return v;
}

int vt_contact_init(vt_vm *vm, vt_contact *c, const char *id, int64_t at) {
    const vt_program *p = vm->p;
    size_t idlen = id ? strlen(id) : 0;
    if (idlen > 65535) return vt_fail(vm, "a contact id longer than 65535 bytes");
    size_t cap = p->lay.fixed_len + idlen + 64;
    c->data = buf_alloc(cap);
    if (c->data) memset(c->data, 0, cap);
    if (!c->data) return vt_fail(vm, "out of memory creating a contact");
    c->cap = cap;
    c->len = p->lay.fixed_len;
    vt_chdr *h = vt_hdr(c);
    h->fixed_len = p->lay.fixed_len;
    h->clock = at;
    h->next_wake = INT64_MAX;
    vt_cinfo *ci = vt_info(c);
    ci->magic = VT_CONTACT_MAGIC;
    ci->sig = p->lay.sig;
    ci->created_at = at;
    ci->owner = -1;
    ci->lcs_off = p->lay.lcs;
    ci->fields_off = p->lay.fields;
    ci->nfields = p->nfields;
    uint32_t off = tail_append(c, id ? id : "", (uint32_t)idlen + 1);
    if (off == UINT32_MAX) { vt_contact_free(c); return vt_fail(vm, "out of memory creating a contact"); }
    h = vt_hdr(c);
    vt_info(c)->id_off = off;
    vt_info(c)->id_len = (uint32_t)idlen;
    h->tags_off = off;
    h->tags_len = 0;
    for (uint32_t i = 0; i < p->nfields; i++) {
        vt_cell v = const_cell(p, p->fields[i].def);
        if (vt_slot_write(c, p->lay.fields + i * (uint32_t)sizeof(vt_slot), &v) != 0) {
            vt_contact_free(c);
            return vt_fail(vm, "out of memory creating a contact");
        }
    }
    ci = vt_info(c);
    for (uint32_t i = 0; i < p->nlcs; i++) {
        vt_lcst *l = (vt_lcst *)(c->data + p->lay.lcs + i * (uint32_t)sizeof(vt_lcst));
        l->state = p->lcs[i].initial;
        l->entered = at;
        int32_t own = p->states[p->lcs[i].first_state + (uint32_t)l->state].owner;
        if (own >= 0 && ci->owner < 0) ci->owner = own;
    }
    vt_hist_init(p, c);
    for (uint32_t i = 0; i < p->ntruths; i++) {     /* never evaluated: due at once */
        int64_t due = INT64_MIN;
        memcpy(c->data + p->lay.twake + i * 8u, &due, 8);
    }
    return 0;
}

/* Every offset and index in a persisted blob is checked before the VM trusts it. */
int vt_contact_restore(vt_vm *vm, vt_contact *c, const uint8_t *blob, size_t len) {
    const vt_program *p = vm->p;
    if (!blob || len < p->lay.fixed_len || len < sizeof(vt_chdr) || len > UINT32_MAX - 16)
        return vt_fail(vm, "contact state is truncated");
    vt_chdr h;
    vt_cinfo ci;
    memcpy(&h, blob, sizeof h);
    if (h.fixed_len != p->lay.fixed_len)    /* before reading the vt_cinfo it locates */
        return vt_fail(vm, "contact state was written by a different flow version or is corrupt");
    memcpy(&ci, blob + p->lay.info, sizeof ci);
    if (ci.magic != VT_CONTACT_MAGIC || ci.sig != p->lay.sig || ci.lcs_off != p->lay.lcs || ci.fields_off != p->lay.fields ||
        ci.nfields != p->nfields)
        return vt_fail(vm, "contact state was written by a different flow version or is corrupt");
    if ((uint64_t)ci.id_off + ci.id_len > len || (uint64_t)h.tags_off + h.tags_len > len || ci.id_off < h.fixed_len ||
        ci.owner < -1 || ci.owner >= (int32_t)p->nteams)
        return vt_fail(vm, "contact state is corrupt (header)");
    uint8_t *d = buf_alloc(len + 64);
    if (!d) return vt_fail(vm, "out of memory restoring a contact");
    memcpy(d, blob, len);
    vt_contact tmp = {d, len, len + 64};
    const char *why = NULL;
    for (uint32_t i = 0; i < p->nfields && !why; i++) {
        vt_slot *s = vt_field_slot(&tmp, p, i);
        if (s->t == VT_V_TEXT && (uint64_t)s->v + s->len > len) why = "a field";
        if (s->t == VT_V_TEXT && s->v < 0) why = "a field";
    }
    for (uint32_t i = 0; i < p->nlcs && !why; i++) {
        vt_lcst *l = (vt_lcst *)(d + p->lay.lcs + i * (uint32_t)sizeof(vt_lcst));
        if (l->state < 0 || (uint32_t)l->state >= p->lcs[i].nstates) why = "a lifecycle state";
    }
    for (uint32_t i = 0; i < p->nhists && !why; i++) {
        const vt_phist *ph = &p->hists[i];
        uint8_t *a = d + p->lay.hist_off[i];
        if (vt_hist_growable(ph)) {
            vt_gring g;
            memcpy(&g, a, sizeof g);
            uint64_t es = vt_hist_entry_size(ph);
            if (g.n > g.cap || g.cap > VT_WINDOW_MAX ||
                (g.cap && (g.off % 8 || g.off < h.fixed_len || (uint64_t)g.off + g.cap * es > len)))
                why = "a history window";
        } else if (ph->k > 0) {
            vt_ring r;
            memcpy(&r, a, sizeof r);
            if (r.head >= (uint32_t)ph->k || r.n > (uint32_t)ph->k) why = "a history window";
        } else if (ph->kind == VT_H_LAST || ph->kind == VT_H_FIRST) {
            vt_slot s;
            memcpy(&s, a + 8, sizeof s);
            if (s.t == VT_V_TEXT && (s.v < 0 || (uint64_t)s.v + s.len > len)) why = "a history value";
        }
    }
    for (uint32_t i = 0; i < p->nchans && !why; i++)
        if (p->chans[i].cap > 0) {
            vt_ring r;
            memcpy(&r, d + p->lay.chan_off[i], sizeof r);
            if (r.head >= (uint32_t)p->chans[i].cap || r.n > (uint32_t)p->chans[i].cap) why = "a channel cap";
        }
    for (uint32_t i = 0; i < p->nwfs && !why; i++) {
        vt_enroll *e = (vt_enroll *)(d + p->lay.enrolls + i * (uint32_t)sizeof(vt_enroll));
        const vt_pfn *f = &p->fns[p->wfs[i].steps_fn];
        if (e->active && (e->pc < f->start || e->pc >= f->start + f->len || p->istart[e->pc] != 2 || e->mode > VT_EM_DELAYED))
            why = "an enrollment";
    }
    if (why) { buf_free(d); return vt_fail(vm, "contact state is corrupt (%s)", why); }
    *c = tmp;
    return 0;
}

void vt_contact_free(vt_contact *c) {
    if (!c) return;
    buf_free(c->data);
    c->data = NULL;
    c->len = c->cap = 0;
}

void vt_contact_prefetch(const vt_contact *c) {
    if (!c || !c->data) return;
    /* The header and the first lines of the fixed part: what every instant touches. */
    size_t n = c->len < 256 ? c->len : 256;
    for (size_t off = 0; off < n; off += 64) __builtin_prefetch(c->data + off);
}

int64_t vt_contact_next_wake(const vt_contact *c) {
    if (!c || !c->data) return INT64_MAX;
    return ((const vt_chdr *)c->data)->next_wake;
}

static const vt_cinfo *info_of(const vt_contact *c) {
    return (const vt_cinfo *)(c->data + ((const vt_chdr *)c->data)->fixed_len - sizeof(vt_cinfo));
}

vt_value vt_contact_field(const vt_contact *c, uint32_t field) {
    vt_value out;
    memset(&out, 0, sizeof out);
    const vt_cinfo *ci = info_of(c);
    if (field >= ci->nfields) return out;
    uint32_t off = ci->fields_off + field * (uint32_t)sizeof(vt_slot);
    vt_slot s;
    memcpy(&s, c->data + off, sizeof s);
    out.type = s.t;
    memcpy(out.currency, s.cur, 3);
    out.currency[3] = 0;
    if (s.t == VT_V_TEXT) {
        if (s.v < 0 || (uint64_t)s.v + s.len > c->len) { out.type = VT_V_NULL; return out; }
        out.u.s.p = (const char *)c->data + s.v;
        out.u.s.len = s.len;
    } else if (s.t == VT_V_NUMBER) memcpy(&out.u.d, &s.v, sizeof out.u.d);
    else if (s.t == VT_V_BOOL) out.u.b = s.v != 0;
    else out.u.i = s.v;
    return out;
}

/* The vt_cinfo records where the lifecycle table starts, so readers need no program. */
int vt_contact_state(const vt_contact *c, uint32_t lc) {
    const vt_chdr *h = (const vt_chdr *)c->data;
    uint32_t off = info_of(c)->lcs_off + lc * (uint32_t)sizeof(vt_lcst);
    if (off + sizeof(vt_lcst) > h->fixed_len) return -1;
    vt_lcst l;
    memcpy(&l, c->data + off, sizeof l);
    return l.state;
}

const char *vt_contact_id(const vt_contact *c) { return (const char *)c->data + info_of(c)->id_off; }
int vt_contact_owner(const vt_contact *c) { return info_of(c)->owner; }
int64_t vt_contact_created_at(const vt_contact *c) { return info_of(c)->created_at; }

/* Text values are appended to the tail when set, so old copies become dead bytes. When
 * they outweigh the live ones, the tail is rebuilt with only what the slots point to, so
 * a contact whose rules keep setting a text field does not grow without bound. */
static void move_text(uint8_t *nd, const uint8_t *od, uint32_t *off, int64_t *v, uint32_t len) {
    memcpy(nd + *off, od + *v, len);
    *v = *off;
    *off += len;
}

int vt_contact_compact(const vt_program *p, vt_contact *c) {
    vt_chdr *h = vt_hdr(c);
    size_t tail = c->len - h->fixed_len;
    if (h->dead < 1024 || (size_t)h->dead * 2 < tail) return 0;
    size_t ncap = c->cap + 8u * ((size_t)p->nhists + 1);   /* room to re-align windows */
    uint8_t *nd = buf_alloc(ncap);
    if (!nd) return 0;  /* not compacting is always safe */
    const uint8_t *od = c->data;
    memcpy(nd, od, h->fixed_len);
    vt_chdr *nh = (vt_chdr *)nd;
    vt_cinfo *ni = (vt_cinfo *)(nd + h->fixed_len - sizeof(vt_cinfo));
    uint32_t off = h->fixed_len;
    int64_t v = ni->id_off;
    move_text(nd, od, &off, &v, ni->id_len + 1);
    ni->id_off = (uint32_t)v;
    v = h->tags_off;
    move_text(nd, od, &off, &v, h->tags_len);
    nh->tags_off = (uint32_t)v;
    for (uint32_t i = 0; i < p->nfields; i++) {
        vt_slot *s = (vt_slot *)(nd + p->lay.fields + i * (uint32_t)sizeof(vt_slot));
        if (s->t == VT_V_TEXT) move_text(nd, od, &off, &s->v, s->len);
    }
    for (uint32_t i = 0; i < p->nhists; i++) {
        if ((p->hists[i].kind != VT_H_LAST && p->hists[i].kind != VT_H_FIRST) || p->hists[i].k) continue;
        vt_slot *s = (vt_slot *)(nd + p->lay.hist_off[i] + 8);
        if (s->t == VT_V_TEXT) move_text(nd, od, &off, &s->v, s->len);
    }
    for (uint32_t i = 0; i < p->nhists; i++) {
        if (!vt_hist_growable(&p->hists[i])) continue;
        vt_gring *g = (vt_gring *)(nd + p->lay.hist_off[i]);
        uint32_t bytes = g->n * vt_hist_entry_size(&p->hists[i]);
        if (!bytes) { g->off = g->cap = g->n = 0; continue; }
        off = (off + 7u) & ~7u;
        memcpy(nd + off, od + g->off, bytes);
        g->off = off;
        g->cap = g->n;
        off += bytes;
    }
    nh->dead = 0;
    buf_free(c->data);
    c->data = nd;
    c->cap = ncap;
    c->len = off;
    return 0;
}
