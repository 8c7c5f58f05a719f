/* Calendar arithmetic and timestamp parsing with digit arithmetic (no libc time calls:
 * they are slow on the hot path and read the global TZ). Times are Unix seconds. */
#ifndef VT_TIMEUTIL_H
#define VT_TIMEUTIL_H
#include <stddef.h>
#include <stdint.h>

/* Days since 1970-01-01 of a proleptic Gregorian date, and back. */
int64_t vt_days_from_civil(int64_t y, unsigned m, unsigned d);
void vt_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* 0 = Monday .. 6 = Sunday, for days since 1970-01-01 (a Thursday). */
int vt_weekday(int64_t days);
/* Days in month m of year y. */
unsigned vt_days_in_month(int64_t y, unsigned m);
/* Parses 2026-03-01, 2026-03-01T09:30, 2026-03-01T09:30:00, with an optional Z or
 * +HH:MM/-HH:MM, and optional fractional seconds (truncated). *has_zone tells whether a
 * zone was given; without one the value is wall-clock time (read in the flow's zone).
 * *has_time tells whether a time of day was given (may be NULL). Returns 0, or -1 when
 * malformed or not a real date/time. */
int vt_parse_timestamp(const char *s, size_t len, int64_t *out, int *has_zone, int *has_time);
/* Writes YYYY-MM-DDTHH:MM:SSZ and a NUL (21 bytes). */
void vt_format_utc(int64_t t, char buf[21]);
/* Floor division and modulo for seconds -> days. */
static inline int64_t vt_floordiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
static inline int64_t vt_floormod(int64_t a, int64_t b) { return a - vt_floordiv(a, b) * b; }

#endif
