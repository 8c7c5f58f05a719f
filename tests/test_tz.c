/* Time zones: offsets agree with the C library's reading of the same tzdata, and local
 * wall-clock times resolve through DST gaps (moved forward) and overlaps (earlier). */
#include "../runtime/tz.h"
#include <criterion/criterion.h>
#include <stdlib.h>
#include <time.h>

static int64_t utc(int y, int mo, int d, int h, int mi) {
    return vt_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60;
}

/* The C library as an oracle; it is test-only (the runtime never calls it). */
static long libc_offset(const char *zone, time_t t) {
    setenv("TZ", zone, 1);
    tzset();
    struct tm tm;
    localtime_r(&t, &tm);
    return tm.tm_gmtoff;
}

Test(tz, offsets_match_tzdata_over_many_years) {
    const char *zones[] = {"Europe/Paris", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
                           "America/Sao_Paulo", "Pacific/Chatham", "Europe/London", "Africa/Casablanca"};
    for (size_t i = 0; i < sizeof zones / sizeof *zones; i++) {
        vt_tz *z = vt_tz_load(zones[i]);
        cr_assert_not_null(z, "%s", zones[i]);
        /* every 7 hours from 1990 to 2060: covers the table and the footer rule */
        for (int64_t t = utc(1990, 1, 1, 0, 0); t < utc(2060, 1, 1, 0, 0); t += 7 * 3600 + 13) {
            long want = libc_offset(zones[i], (time_t)t);
            int32_t got = vt_tz_offset(z, t);
            if (got != want) cr_assert_fail("%s at %lld: %d, libc says %ld", zones[i], (long long)t, got, want);
        }
        vt_tz_free(z);
    }
}

Test(tz, utc_and_unknown_zones) {
    vt_tz *z = vt_tz_load("UTC");
    cr_assert_not_null(z);
    cr_assert_eq(vt_tz_offset(z, 1700000000), 0);
    cr_assert_eq(vt_tz_from_local(z, 1700000000), 1700000000);
    vt_tz_free(z);
    cr_assert_null(vt_tz_load("Mars/Olympus_Mons"));
    cr_assert_null(vt_tz_load("../../etc/passwd"));
    cr_assert_null(vt_tz_load(""));
}

Test(tz, local_time_in_spring_gap_moves_forward) {
    vt_tz *z = vt_tz_load("Europe/Paris");
    cr_assert_not_null(z);
    /* 2026-03-29 02:30 does not exist in Paris (02:00 -> 03:00): it becomes 03:30 CEST = 01:30Z */
    cr_assert_eq(vt_tz_from_local(z, utc(2026, 3, 29, 2, 30)), utc(2026, 3, 29, 1, 30));
    /* 09:00 the same day is CEST: 07:00Z; 09:00 the day before is CET: 08:00Z */
    cr_assert_eq(vt_tz_from_local(z, utc(2026, 3, 29, 9, 0)), utc(2026, 3, 29, 7, 0));
    cr_assert_eq(vt_tz_from_local(z, utc(2026, 3, 28, 9, 0)), utc(2026, 3, 28, 8, 0));
    vt_tz_free(z);
}

Test(tz, ambiguous_local_time_takes_the_earlier_instant) {
    vt_tz *z = vt_tz_load("America/New_York");
    cr_assert_not_null(z);
    /* 2026-11-01 01:30 happens twice in New York: first in EDT (05:30Z), then EST (06:30Z) */
    cr_assert_eq(vt_tz_from_local(z, utc(2026, 11, 1, 1, 30)), utc(2026, 11, 1, 5, 30));
    cr_assert_eq(vt_tz_from_local(z, utc(2026, 11, 1, 9, 0)), utc(2026, 11, 1, 14, 0));
    vt_tz_free(z);
}

Test(tz, round_trip_local_to_utc) {
    vt_tz *z = vt_tz_load("Australia/Sydney");
    cr_assert_not_null(z);
    for (int64_t t = utc(2020, 1, 1, 0, 0); t < utc(2045, 1, 1, 0, 0); t += 5 * 3600 + 7) {
        int64_t local = t + vt_tz_offset(z, t);
        int64_t back = vt_tz_from_local(z, local);
        /* an overlap hour maps to its earlier instant; everything else round-trips */
        if (back != t) cr_assert_eq(back + 3600, t, "at %lld", (long long)t);
    }
    vt_tz_free(z);
}
