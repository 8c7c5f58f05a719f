/* Time zones for quiet hours, send windows and calendar triggers: a zone's UTC offsets
 * are read once from the system's TZif file (tzdata) into a transition table, then
 * looked up by binary search; no libc time zone calls (they are slow and use global TZ). */
#ifndef VT_TZ_H
#define VT_TZ_H
#include <stdint.h>

typedef struct vt_tz vt_tz;

/* Loads "Area/City" (or "UTC"); NULL when unknown or unreadable. Caller frees. */
vt_tz *vt_tz_load(const char *name);
void vt_tz_free(vt_tz *z);
/* Offset from UTC in seconds at the UTC instant t. */
int32_t vt_tz_offset(const vt_tz *z, int64_t t);
/* The UTC instant of a local wall-clock time (seconds since 1970-01-01 in local time).
 * A time in a gap (spring forward) moves forward by the gap; an ambiguous one (fall
 * back) takes the earlier instant. */
int64_t vt_tz_from_local(const vt_tz *z, int64_t local);

/* Civil calendar helpers, exact for the proleptic Gregorian calendar. */
int64_t vt_days_from_civil(int64_t y, unsigned m, unsigned d);
void vt_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);
/* 0 = Monday .. 6 = Sunday, for days since 1970-01-01 (a Thursday). */
int vt_weekday(int64_t days);
/* Parses 2026-03-01, 2026-03-01T09:30, 2026-03-01T09:30:00Z, ...+02:00 with digit
 * arithmetic. *has_zone tells whether a Z/offset was given (else the value is local).
 * Returns 0, -1 when malformed or not a real date. */
int vt_parse_timestamp(const char *s, size_t len, int64_t *out, int *has_zone);
/* Writes YYYY-MM-DDTHH:MM:SSZ (21 bytes with the NUL). */
void vt_format_utc(int64_t t, char buf[21]);

#endif
