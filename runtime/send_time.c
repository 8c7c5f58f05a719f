/* Local wall-clock rules in the flow's time zone: quiet hours and send windows (a send
 * due outside them moves to the next allowed instant, [open, close), DST-correct), and
 * calendar enrollment triggers. */
#include "vm_internal.h"
#include "../common/timeutil.h"

static int64_t local_of(const vt_program *p, int64_t t) { return t + (p->tz ? vt_tz_offset(p->tz, t) : 0); }
static int64_t utc_of(const vt_program *p, int64_t local) { return p->tz ? vt_tz_from_local(p->tz, local) : local; }

static bool in_range(int32_t from, int32_t to, int64_t sec) {
    int64_t a = (int64_t)from * 60, b = (int64_t)to * 60;
    if (a <= b) return sec >= a && sec < b;
    return sec >= a || sec < b;     /* across midnight: 21:00-09:00 */
}

static bool allowed(const vt_program *p, const vt_pchan *ch, int64_t t) {
    int64_t local = local_of(p, t);
    int64_t days = vt_floordiv(local, 86400), sec = vt_floormod(local, 86400);
    if (ch->quiet_from >= 0 && in_range(ch->quiet_from, ch->quiet_to, sec)) return false;
    if (ch->nwindows == 0) return true;
    int wd = vt_weekday(days);
    for (uint32_t i = 0; i < ch->nwindows; i++) {
        const vt_pwindow *w = &p->windows[ch->first_window + i];
        bool day_ok = w->day_from < 0 || (w->day_from <= w->day_to ? (wd >= w->day_from && wd <= w->day_to)
                                                                    : (wd >= w->day_from || wd <= w->day_to));
        if (day_ok && in_range(w->open, w->close, sec)) return true;
    }
    return false;
}

int64_t vt_next_allowed(const vt_program *p, const vt_pchan *ch, int64_t t) {
    if (ch->quiet_from < 0 && ch->nwindows == 0) return t;
    if (allowed(p, ch, t)) return t;
    /* The next allowed instant is an opening edge: the end of quiet hours or a window's
     * opening, on one of the next eight local days. */
    int64_t day0 = vt_floordiv(local_of(p, t), 86400), best = INT64_MAX;
    for (int64_t d = 0; d <= 8; d++) {
        int32_t edges[65];
        uint32_t ne = 0;
        if (ch->quiet_from >= 0) edges[ne++] = ch->quiet_to;
        for (uint32_t i = 0; i < ch->nwindows && ne < 65; i++) edges[ne++] = p->windows[ch->first_window + i].open;
        for (uint32_t i = 0; i < ne; i++) {
            int64_t cand = utc_of(p, (day0 + d) * 86400 + (int64_t)edges[i] * 60);
            if (cand > t && cand < best && allowed(p, ch, cand)) best = cand;
        }
        if (best != INT64_MAX) return best;
    }
    return t;   /* no allowed instant in a week: send now rather than never */
}

int64_t vt_calendar_next(const vt_program *p, const vt_ptrig *t, int64_t after) {
    int64_t day = vt_floordiv(local_of(p, after), 86400);
    for (int64_t d = 0; d <= 366 * 4 + 1; d++) {
        int64_t days = day + d;
        int64_t y; unsigned m, dd;
        vt_civil_from_days(days, &y, &m, &dd);
        bool hit = t->cal == 2 /* daily */ ||
                   (t->cal == 1 && vt_weekday(days) == t->weekday) ||
                   (t->cal == 0 && (int)m == t->month && (int)dd == t->day);
        if (!hit) continue;
        int64_t cand = utc_of(p, days * 86400 + (int64_t)t->minutes * 60);
        if (cand > after) return cand;
    }
    return INT64_MAX;
}
