/* Time zones for quiet hours, send windows and calendar triggers: a zone's UTC offsets
 * are read once from the system's TZif file (tzdata) into a transition table, then
 * looked up by binary search; no libc time zone calls (they are slow and use global TZ). */
#ifndef VT_TZ_H
#define VT_TZ_H
#include "../common/timeutil.h"
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

#endif
