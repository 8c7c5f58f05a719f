/* History accumulators (SPEC §4): each history expression of the flow owns a small
 * per-contact record updated when a matching event arrives and read at the current
 * instant; nothing ever rescans past events. A count compared with `>= k` keeps the
 * last k timestamps (that decides it exactly); other windows keep every matching entry
 * still inside the window (vt_gring, in the contact's tail, up to VT_WINDOW_MAX); an
 * event exactly D old is outside `within D`. Every read also reports the next instant
 * its value can change (vt_see), which becomes the contact's wake-up. */
#include "vm_internal.h"
#include <stddef.h>
#include <stdint.h>

typedef struct { int64_t t; vt_slot v; } tv_entry;

static bool windowed(const vt_phist *h) { return h->k > 0; }

uint32_t vt_hist_entry_size(const vt_phist *h) {
    return h->kind == VT_H_COUNT ? 8u : (uint32_t)sizeof(tv_entry);
}

uint32_t vt_hist_size(const vt_phist *h) {
    if (vt_hist_growable(h)) return (uint32_t)sizeof(vt_gring);
    switch (h->kind) {
    case VT_H_COUNT: return windowed(h) ? (uint32_t)sizeof(vt_ring) + 8u * (uint32_t)h->k : 8u;
    case VT_H_SUM: case VT_H_MIN: case VT_H_MAX: case VT_H_AVG: return 8u + (uint32_t)sizeof(vt_slot);
    case VT_H_LAST: case VT_H_FIRST: return 8u + (uint32_t)sizeof(vt_slot);
    case VT_H_LASTSEQ: return 16u;
    default: return 8u;
    }
}

void vt_hist_init(const vt_program *p, vt_contact *c) {
    for (uint32_t i = 0; i < p->nhists; i++) {
        const vt_phist *h = &p->hists[i];
        uint8_t *a = c->data + p->lay.hist_off[i];
        int64_t none = INT64_MIN;
        switch (h->kind) {
        case VT_H_LAST: case VT_H_FIRST: case VT_H_LAST_AT: case VT_H_FIRST_AT:
        case VT_H_SINCE: case VT_H_WITHIN: case VT_H_NOFOR:
            memcpy(a, &none, 8);
            break;
        case VT_H_LASTSEQ: memcpy(a + 8, &none, 8); break;
        default: break;
        }
    }
}

static void num_fold(int kind, vt_slot *acc, int64_t n, const vt_cell *v) {
    if (n == 0 || acc->t == VT_V_NULL) {
        acc->t = v->t;
        memcpy(acc->cur, v->cur, 3);
        if (v->t == VT_V_NUMBER) memcpy(&acc->v, &v->u.d, 8); else acc->v = v->u.i;
        return;
    }
    if (v->t == VT_V_NUMBER || acc->t == VT_V_NUMBER) {
        double a, b;
        if (acc->t == VT_V_NUMBER) memcpy(&a, &acc->v, 8); else a = (double)acc->v;
        b = v->t == VT_V_NUMBER ? v->u.d : (double)v->u.i;
        double r = kind == VT_H_MIN ? (b < a ? b : a) : kind == VT_H_MAX ? (b > a ? b : a) : a + b;
        acc->t = VT_V_NUMBER;
        memcpy(&acc->v, &r, 8);
        return;
    }
    int64_t b = v->u.i;
    if (kind == VT_H_MIN) { if (b < acc->v) acc->v = b; }
    else if (kind == VT_H_MAX) { if (b > acc->v) acc->v = b; }
    else acc->v = (int64_t)((uint64_t)acc->v + (uint64_t)b);
}

static vt_cell payload(vt_vm *vm, int32_t f) {
    if (!vm->in || f < 0 || (uint32_t)f >= vm->in->nvalues) {
        vt_cell v;
        memset(&v, 0, sizeof v);
        return v;
    }
    return vt_cell_of_value(&vm->in->values[f]);
}

/* Appends one entry to an exact window; drops entries the window has left before
 * growing, and refuses past VT_WINDOW_MAX rather than answer wrong. */
static int gring_push(vt_vm *vm, uint32_t i, int64_t at, const vt_cell *v) {
    const vt_program *p = vm->p;
    const vt_phist *h = &p->hists[i];
    uint32_t off = p->lay.hist_off[i], es = vt_hist_entry_size(h);
    int64_t lo = vt_tsub(vm->now, h->within);
    if (at <= lo) return 0;     /* a late input already outside the window never counts */
    vt_gring g;
    memcpy(&g, vm->c->data + off, sizeof g);
    if (g.n == g.cap) {
        uint8_t *base = vm->c->data + g.off;
        uint32_t w = 0;
        for (uint32_t j = 0; j < g.n; j++) {
            int64_t t;
            memcpy(&t, base + (size_t)j * es, 8);
            if (t <= lo) continue;
            if (w != j) memmove(base + (size_t)w * es, base + (size_t)j * es, es);
            w++;
        }
        g.n = w;
    }
    if (g.n == g.cap) {
        if (g.cap >= VT_WINDOW_MAX) {
            const char *name = h->event >= 0 && (uint32_t)h->event < p->nevents ? vt_pstr(p, p->events[h->event].name) : "matching";
            return vt_fail(vm, "more than %u `%s` events inside one `within` window of a single contact; "
                           "history windows keep at most %u entries per contact: use a shorter window or a "
                           "`where` filter", (unsigned)VT_WINDOW_MAX, name, (unsigned)VT_WINDOW_MAX);
        }
        uint32_t ncap = g.cap ? g.cap * 2 : 4;
        if (ncap > VT_WINDOW_MAX) ncap = VT_WINDOW_MAX;
        uint32_t noff = vt_tail_alloc(vm->c, ncap * es);
        if (noff == UINT32_MAX) return vt_fail(vm, "out of memory");
        if (g.n) memcpy(vm->c->data + noff, vm->c->data + g.off, (size_t)g.n * es);
        vt_hdr(vm->c)->dead += g.cap * es;
        g.off = noff;
        g.cap = ncap;
    }
    uint8_t *e = vm->c->data + g.off + (size_t)g.n * es;
    memcpy(e, &at, 8);
    if (h->kind != VT_H_COUNT) {
        vt_slot sv;
        memset(&sv, 0, sizeof sv);
        num_fold(VT_H_SUM, &sv, 0, v);
        memcpy(e + offsetof(tv_entry, v), &sv, sizeof sv);
    }
    g.n++;
    memcpy(vm->c->data + off, &g, sizeof g);
    return 0;
}

/* Feeds the event to accumulator i, of any kind but a plain count (hist_on_event in
 * vm_steps.c feeds those): these need the event's value. */
int vt_hist_feed_value(vt_vm *vm, uint32_t i, int64_t at) {
    const vt_program *p = vm->p;
    const vt_phist *h = &p->hists[i];
    uint32_t off = p->lay.hist_off[i];
    uint8_t *a = vm->c->data + off;
    vt_cell v = payload(vm, h->field);
    if (vt_hist_growable(h)) {
        if (h->kind != VT_H_COUNT && v.t != VT_V_INT && v.t != VT_V_NUMBER && v.t != VT_V_MONEY && v.t != VT_V_DURATION)
            return 0;
        return gring_push(vm, i, at, &v);
    }
    switch (h->kind) {
    case VT_H_SUM: case VT_H_MIN: case VT_H_MAX: case VT_H_AVG:
        if (v.t != VT_V_INT && v.t != VT_V_NUMBER && v.t != VT_V_MONEY && v.t != VT_V_DURATION) break;
        {   /* unwindowed: windows are exact rings above */
            int64_t n; memcpy(&n, a, 8);
            num_fold(h->kind == VT_H_AVG ? VT_H_SUM : h->kind, (vt_slot *)(a + 8), n, &v);
            n++; memcpy(a, &n, 8);
        }
        break;
    case VT_H_FIRST: case VT_H_FIRST_AT: {
        int64_t t; memcpy(&t, a, 8);
        if (t != INT64_MIN) break;
        memcpy(a, &at, 8);
        if (h->kind == VT_H_FIRST && vt_slot_write(vm->c, off + 8, &v) != 0) return vt_fail(vm, "out of memory");
        break;
    }
    case VT_H_LAST:
        memcpy(a, &at, 8);
        if (vt_slot_write(vm->c, off + 8, &v) != 0) return vt_fail(vm, "out of memory");
        break;
    case VT_H_LASTSEQ: {
        int64_t seq = vt_hdr(vm->c)->seq;
        memcpy(a, &seq, 8);
        memcpy(a + 8, &at, 8);
        break;
    }
    default:    /* LAST_AT, SINCE, WITHIN, NOFOR: the last matching instant */
        memcpy(a, &at, 8);
        break;
    }
    return 0;
}

/* Numeric accumulators only: anything else (a damaged blob) reads as null. */
static vt_cell cell_of(const vt_slot *s) {
    vt_cell v;
    memset(&v, 0, sizeof v);
    if (s->t != VT_V_INT && s->t != VT_V_NUMBER && s->t != VT_V_MONEY && s->t != VT_V_DURATION) return v;
    v.t = s->t;
    memcpy(v.cur, s->cur, 3);
    if (s->t == VT_V_NUMBER) memcpy(&v.u.d, &s->v, 8); else v.u.i = s->v;
    return v;
}

/* The mean of n values summed in `sum`: money and durations stay exact integers
 * (rounded half away from zero), numbers become decimals. */
static vt_cell average(vt_cell sum, int64_t n) {
    if (sum.t == VT_V_MONEY || sum.t == VT_V_DURATION) {
        int64_t q = sum.u.i / n, r = sum.u.i % n;
        if (2 * (r < 0 ? -r : r) >= n) q += sum.u.i < 0 ? -1 : 1;
        sum.u.i = q;
        return sum;
    }
    double s = sum.t == VT_V_NUMBER ? sum.u.d : (double)sum.u.i;
    sum.t = VT_V_NUMBER;
    sum.u.d = s / (double)n;
    return sum;
}

static vt_cell windowed_fold(vt_vm *vm, const vt_phist *h, uint8_t *a) {
    vt_gring g;
    memcpy(&g, a, sizeof g);
    const tv_entry *es = (const tv_entry *)(vm->c->data + g.off);   /* 8-aligned, verified */
    int64_t lo = vt_tsub(vm->now, h->within);
    vt_slot acc;
    memset(&acc, 0, sizeof acc);
    int64_t n = 0;
    for (uint32_t i = 0; i < g.n; i++) {
        const tv_entry *e = &es[i];
        if (e->t <= lo) continue;
        vt_see(vm, vt_tadd(e->t, h->within));   /* arrival order: the oldest may be anywhere */
        vt_cell v = cell_of(&e->v);
        num_fold(h->kind == VT_H_AVG ? VT_H_SUM : h->kind, &acc, n, &v);
        n++;
    }
    vt_cell out = cell_of(&acc);
    if (n == 0) {
        memset(&out, 0, sizeof out);
        if (h->kind == VT_H_SUM) { out.t = (uint8_t)(h->vtype == VT_V_NUMBER ? VT_V_NUMBER : h->vtype); }
        return out;
    }
    if (h->kind == VT_H_AVG) return average(out, n);
    return out;
}

static int64_t gring_count(vt_vm *vm, const vt_phist *h, const uint8_t *a) {
    vt_gring g;
    memcpy(&g, a, sizeof g);
    const int64_t *ts = (const int64_t *)(vm->c->data + g.off);
    int64_t lo = vt_tsub(vm->now, h->within), n = 0;
    for (uint32_t j = 0; j < g.n; j++) {
        if (ts[j] <= lo) continue;
        vt_see(vm, vt_tadd(ts[j], h->within));
        n++;
    }
    return n;
}

int64_t vt_hist_count(vt_vm *vm, uint32_t i) {
    const vt_phist *h = &vm->p->hists[i];
    const uint8_t *a = vm->c->data + vm->p->lay.hist_off[i];
    int64_t n = 0;
    if (!h->k) { memcpy(&n, a, 8); return n; }
    if (h->k == VT_RING_DEFAULT || h->k == VT_RING_MAX) return gring_count(vm, h, a);   /* vt_hist_growable for a count */
    int64_t leaves;
    n = vt_ring_count(vm->now, a, (uint32_t)h->k, h->within, &leaves);
    vt_see(vm, leaves);
    return n;
}

/* Time only lowers a count, so `count >= k` can change without an event only while it
 * holds: a count below k schedules no wake-up (most contacts, most of the time). */
bool vt_hist_count_ge(vt_vm *vm, uint32_t i, int64_t k) {
    const vt_phist *h = &vm->p->hists[i];
    if (!h->k || vt_hist_growable(h)) return vt_hist_count(vm, i) >= k;
    int64_t leaves, n = vt_ring_count(vm->now, vm->c->data + vm->p->lay.hist_off[i], (uint32_t)h->k, h->within, &leaves);
    if (n < k) return false;
    vt_see(vm, leaves);
    return true;
}

vt_cell vt_hist_read(vt_vm *vm, uint32_t i) {
    const vt_program *p = vm->p;
    const vt_phist *h = &p->hists[i];
    uint32_t off = p->lay.hist_off[i];
    uint8_t *a = vm->c->data + off;
    vt_cell v;
    memset(&v, 0, sizeof v);
    int64_t t;
    memcpy(&t, a, 8);
    switch (h->kind) {
    case VT_H_COUNT:
        v.t = VT_V_INT;
        if (!h->k) { v.u.i = t; break; }
        v.u.i = vt_hist_count(vm, i);
        break;
    case VT_H_SUM: case VT_H_MIN: case VT_H_MAX: case VT_H_AVG:
        if (h->k) return windowed_fold(vm, h, a);
        if (t == 0) {
            if (h->kind == VT_H_SUM) v.t = (uint8_t)h->vtype;
            break;
        }
        v = cell_of((const vt_slot *)(a + 8));
        if (h->kind == VT_H_AVG) v = average(v, t);
        break;
    case VT_H_LAST: case VT_H_FIRST:
        if (t == INT64_MIN) break;
        return vt_slot_read(vm->c, (const vt_slot *)(a + 8));
    case VT_H_LAST_AT: case VT_H_FIRST_AT:
        if (t == INT64_MIN) break;
        v.t = VT_V_TIME; v.u.i = t;
        break;
    case VT_H_SINCE:
        if (t == INT64_MIN) break;
        v.t = VT_V_DURATION; v.u.i = vt_tsub(vm->now, t);
        v.len = VT_SLOPE_UP;    /* grows with the clock: comparisons schedule wake-ups */
        break;
    case VT_H_WITHIN:
        v.t = VT_V_BOOL;
        v.u.i = t != INT64_MIN && t > vt_tsub(vm->now, h->within);
        if (v.u.i) vt_see(vm, vt_tadd(t, h->within));
        break;
    case VT_H_NOFOR: {
        int64_t base = t == INT64_MIN ? vt_info(vm->c)->created_at : t;
        v.t = VT_V_BOOL;
        v.u.i = vm->now >= vt_tadd(base, h->within);
        if (!v.u.i) vt_see(vm, vt_tadd(base, h->within));
        break;
    }
    case VT_H_LASTSEQ:
        v.t = VT_V_INT; v.u.i = t;
        break;
    }
    return v;
}
