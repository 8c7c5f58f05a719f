#include "timeutil.h"
#include <string.h>

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t vt_days_from_civil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void vt_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

int vt_weekday(int64_t days) { return (int)vt_floormod(days + 3, 7); }

unsigned vt_days_in_month(int64_t y, unsigned m) {
    static const unsigned dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12) return 0;
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return dim[m - 1];
}

static int digits(const char *s, size_t len, size_t at, size_t n, int *out) {
    if (at + n > len) return -1;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[at + i];
        if (c < '0' || c > '9') return -1;
        v = v * 10 + (c - '0');
    }
    *out = v;
    return 0;
}

/* The common shape, YYYY-MM-DDTHH:MM:SSZ (len 20), in one go: 0, or -1 when the text
 * is not exactly that shape or not a real date and time (the general parser then
 * decides). Little-endian hosts check all 20 bytes with a few word operations. */
static int parse_utc(const char *s, int64_t *out) {
    unsigned y, mo, d, h, mi, se;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* "YYYY-MM-" "DDTHH:MM" ":SSZ": digit bytes (masks D*) must be 0x30..0x39, the rest
     * the separators. A byte is a digit when its high nibble is 3 and adding 6 keeps it 3. */
    const uint64_t DA = 0x00FFFF00FFFFFFFFull, DB = 0xFFFF00FFFF00FFFFull, SA = ~DA, SB = ~DB;
    const uint64_t HI = 0xF0F0F0F0F0F0F0F0ull, THREE = 0x3030303030303030ull, SIX = 0x0606060606060606ull;
    const uint32_t DC = 0x00FFFF00u, SC = ~DC;
    uint64_t a, b;
    uint32_t c;
    memcpy(&a, s, 8);
    memcpy(&b, s + 8, 8);
    memcpy(&c, s + 16, 4);
    if ((a & SA) != 0x2D00002D00000000ull || (b & SB) != 0x00003A0000540000ull || (c & SC) != 0x5A00003Au ||
        (a & DA & HI) != (THREE & DA) || ((a + SIX) & DA & HI) != (THREE & DA) || (b & DB & HI) != (THREE & DB) ||
        ((b + SIX) & DB & HI) != (THREE & DB) || (c & DC & (uint32_t)HI) != (THREE & DC) ||
        ((c + (uint32_t)SIX) & DC & (uint32_t)HI) != (THREE & DC))
        return -1;
#define NIB(w, i) ((unsigned)((w) >> (8 * (i))) & 0x0F)
    y = NIB(a, 0) * 1000 + NIB(a, 1) * 100 + NIB(a, 2) * 10 + NIB(a, 3);
    mo = NIB(a, 5) * 10 + NIB(a, 6);
    d = NIB(b, 0) * 10 + NIB(b, 1);
    h = NIB(b, 3) * 10 + NIB(b, 4);
    mi = NIB(b, 6) * 10 + NIB(b, 7);
    se = NIB(c, 1) * 10 + NIB(c, 2);
#undef NIB
#else
    static const uint8_t dig[14] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};
    unsigned v[14], bad = 0;
    for (int i = 0; i < 14; i++) {
        v[i] = (unsigned)(unsigned char)s[dig[i]] - '0';
        bad |= v[i] > 9;
    }
    if (bad | (s[4] != '-') | (s[7] != '-') | (s[10] != 'T') | (s[13] != ':') | (s[16] != ':') | (s[19] != 'Z'))
        return -1;
    y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3], mo = v[4] * 10 + v[5], d = v[6] * 10 + v[7];
    h = v[8] * 10 + v[9], mi = v[10] * 10 + v[11], se = v[12] * 10 + v[13];
#endif
    if (mo < 1 || mo > 12 || d < 1 || (d > 28 && d > vt_days_in_month(y, mo)) || h > 23 || mi > 59 || se > 59)
        return -1;
    *out = vt_days_from_civil(y, mo, d) * 86400 + (int64_t)(h * 3600 + mi * 60 + se);
    return 0;
}

int vt_parse_timestamp(const char *s, size_t len, int64_t *out, int *has_zone, int *has_time) {
    if (len == 20 && parse_utc(s, out) == 0) {
        *has_zone = 1;
        if (has_time) *has_time = 1;
        return 0;
    }
    int y, mo, d, h = 0, mi = 0, se = 0;
    if (has_time) *has_time = 0;
    *has_zone = 0;
    if (digits(s, len, 0, 4, &y) || len < 10 || s[4] != '-' || digits(s, len, 5, 2, &mo) || s[7] != '-' ||
        digits(s, len, 8, 2, &d))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || (unsigned)d > vt_days_in_month(y, (unsigned)mo)) return -1;
    size_t p = 10;
    if (p < len && (s[p] == 'T' || s[p] == ' ')) {
        if (digits(s, len, p + 1, 2, &h) || p + 3 >= len || s[p + 3] != ':' || digits(s, len, p + 4, 2, &mi))
            return -1;
        p += 6;
        if (p < len && s[p] == ':') {
            if (digits(s, len, p + 1, 2, &se)) return -1;
            p += 3;
            if (p < len && s[p] == '.') {
                p++;
                size_t q = p;
                while (p < len && s[p] >= '0' && s[p] <= '9') p++;
                if (p == q) return -1;
            }
        }
        if (h > 23 || mi > 59 || se > 59) return -1;
        if (has_time) *has_time = 1;
    }
    int64_t off = 0;
    if (p < len && s[p] == 'Z') {
        *has_zone = 1;
        p++;
    } else if (p < len && (s[p] == '+' || s[p] == '-')) {
        int oh, om;
        if (digits(s, len, p + 1, 2, &oh) || p + 3 >= len || s[p + 3] != ':' || digits(s, len, p + 4, 2, &om) ||
            oh > 23 || om > 59)
            return -1;
        off = (oh * 3600 + om * 60) * (s[p] == '+' ? 1 : -1);
        *has_zone = 1;
        p += 6;
    }
    if (p != len) return -1;
    *out = vt_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se - off;
    return 0;
}

static void put2(char *p, unsigned v) { p[0] = (char)('0' + v / 10 % 10); p[1] = (char)('0' + v % 10); }

void vt_format_utc(int64_t t, char buf[21]) {
    int64_t days = vt_floordiv(t, 86400), secs = vt_floormod(t, 86400);
    int64_t y;
    unsigned m, d;
    vt_civil_from_days(days, &y, &m, &d);
    unsigned yy = (unsigned)(y < 0 ? 0 : y > 9999 ? 9999 : y);
    put2(buf, yy / 100);
    put2(buf + 2, yy % 100);
    buf[4] = '-';
    put2(buf + 5, m);
    buf[7] = '-';
    put2(buf + 8, d);
    buf[10] = 'T';
    put2(buf + 11, (unsigned)(secs / 3600));
    buf[13] = ':';
    put2(buf + 14, (unsigned)(secs / 60 % 60));
    buf[16] = ':';
    put2(buf + 17, (unsigned)(secs % 60));
    buf[19] = 'Z';
    buf[20] = 0;
}
