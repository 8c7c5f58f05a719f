/* Time zones from the system's TZif files (RFC 8536): the v2+ 64-bit transition table,
 * and the POSIX TZ footer for instants past its end. Lookups are binary searches. */
#include "tz.h"
#include "../common/mem.h"
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define VT_TZ_DIR "/usr/share/zoneinfo"
/* Largest TZif file we accept; real ones are under 4 KB. */
#define VT_TZ_MAX_FILE (1u << 20)

/* One POSIX rule date: Jn (julian, no Feb 29), n (zero-based day), Mm.w.d. */
typedef struct tz_rule {
    char kind; /* 'J', 'D', 'M' */
    int m, w, d, n;
    int32_t time; /* seconds after local midnight, may be negative or > 24h */
} tz_rule;

typedef struct tz_posix {
    bool present, has_dst;
    int32_t std_off, dst_off; /* UTC offsets (east positive) */
    tz_rule start, end;
} tz_posix;

struct vt_tz {
    int64_t *times;  /* transition instants, ascending */
    int32_t *offs;   /* offset in force from times[i] */
    size_t n;
    int32_t first_off; /* before the first transition */
    tz_posix footer;
};

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static int64_t be64(const uint8_t *p) { return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4)); }

/* ---- POSIX TZ strings ------------------------------------------------------------ */

static const char *posix_name(const char *s) {
    if (*s == '<') {
        while (*s && *s != '>') s++;
        return *s == '>' ? s + 1 : NULL;
    }
    const char *b = s;
    while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')) s++;
    return s - b >= 3 ? s : NULL;
}

/* [+-]hh[:mm[:ss]] -> seconds; hours up to 167 (TZif v3 allows it for rule times). */
static const char *posix_hms(const char *s, int32_t *out) {
    int sign = 1;
    if (*s == '+' || *s == '-') sign = *s++ == '-' ? -1 : 1;
    if (*s < '0' || *s > '9') return NULL;
    int32_t h = 0, m = 0, sec = 0;
    while (*s >= '0' && *s <= '9') h = h * 10 + (*s++ - '0');
    if (h > 167) return NULL;
    if (*s == ':') {
        s++;
        if (*s < '0' || *s > '9') return NULL;
        while (*s >= '0' && *s <= '9') m = m * 10 + (*s++ - '0');
        if (*s == ':') {
            s++;
            if (*s < '0' || *s > '9') return NULL;
            while (*s >= '0' && *s <= '9') sec = sec * 10 + (*s++ - '0');
        }
    }
    *out = sign * (h * 3600 + m * 60 + sec);
    return s;
}

static const char *posix_num(const char *s, int *out) {
    if (*s < '0' || *s > '9') return NULL;
    int v = 0;
    while (*s >= '0' && *s <= '9' && v < 100000) v = v * 10 + (*s++ - '0');
    *out = v;
    return s;
}

static const char *posix_rule(const char *s, tz_rule *r) {
    r->time = 7200;
    if (*s == 'M') {
        r->kind = 'M';
        if (!(s = posix_num(s + 1, &r->m)) || *s++ != '.' || !(s = posix_num(s, &r->w)) || *s++ != '.' ||
            !(s = posix_num(s, &r->d)))
            return NULL;
        if (r->m < 1 || r->m > 12 || r->w < 1 || r->w > 5 || r->d > 6) return NULL;
    } else if (*s == 'J') {
        r->kind = 'J';
        if (!(s = posix_num(s + 1, &r->n)) || r->n < 1 || r->n > 365) return NULL;
    } else {
        r->kind = 'D';
        if (!(s = posix_num(s, &r->n)) || r->n > 365) return NULL;
    }
    if (*s == '/') s = posix_hms(s + 1, &r->time);
    return s;
}

static int parse_posix(const char *s, tz_posix *p) {
    memset(p, 0, sizeof *p);
    int32_t off;
    if (!(s = posix_name(s)) || !(s = posix_hms(s, &off))) return -1;
    p->std_off = -off; /* POSIX offsets are west-positive */
    p->present = true;
    if (!*s) return 0;
    if (!(s = posix_name(s))) return -1;
    p->has_dst = true;
    p->dst_off = p->std_off + 3600;
    if (*s && *s != ',') {
        if (!(s = posix_hms(s, &off))) return -1;
        p->dst_off = -off;
    }
    if (*s != ',') {
        /* No rule: POSIX's default is US rules; zoneinfo footers always give one. */
        p->start = (tz_rule){'M', 3, 2, 0, 0, 7200};
        p->end = (tz_rule){'M', 11, 1, 0, 0, 7200};
        return *s ? -1 : 0;
    }
    if (!(s = posix_rule(s + 1, &p->start)) || *s != ',' || !(s = posix_rule(s + 1, &p->end))) return -1;
    return *s ? -1 : 0;
}

static bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* Local-time seconds since the epoch at which the rule fires in year y. */
static int64_t rule_local(const tz_rule *r, int64_t y) {
    int64_t day;
    if (r->kind == 'J') {
        int n = r->n;
        day = vt_days_from_civil(y, 1, 1) + n - 1 + (leap(y) && n >= 60);
    } else if (r->kind == 'D') {
        day = vt_days_from_civil(y, 1, 1) + r->n;
    } else {
        int64_t first = vt_days_from_civil(y, (unsigned)r->m, 1);
        int wd = (vt_weekday(first) + 1) % 7; /* 0 = Sunday as in POSIX */
        int64_t d = first + (r->d - wd + 7) % 7 + (int64_t)(r->w - 1) * 7;
        int64_t dim = vt_days_in_month(y, (unsigned)r->m);
        while (d >= first + dim) d -= 7;
        day = d;
    }
    return day * 86400 + r->time;
}

static int32_t posix_offset(const tz_posix *p, int64_t t) {
    if (!p->has_dst) return p->std_off;
    int64_t y;
    unsigned mo, d;
    vt_civil_from_days(vt_floordiv(t, 86400), &y, &mo, &d);
    int64_t start = rule_local(&p->start, y) - p->std_off; /* DST starts in standard time */
    int64_t end = rule_local(&p->end, y) - p->dst_off;     /* and ends in daylight time */
    if (start < end) return (t >= start && t < end) ? p->dst_off : p->std_off;
    return (t >= end && t < start) ? p->std_off : p->dst_off; /* southern hemisphere */
}

/* ---- TZif ------------------------------------------------------------------------ */

static int parse_tzif(vt_tz *z, const uint8_t *b, size_t len) {
    if (len < 44 || memcmp(b, "TZif", 4) != 0) return -1;
    int version = b[4];
    size_t pos = 0;
    int timesize = 4;
    if (version >= '2') {
        /* Skip the v1 block to the 64-bit one. */
        uint32_t isut = be32(b + 20), isstd = be32(b + 24), leapc = be32(b + 28), timec = be32(b + 32),
                 typec = be32(b + 36), charc = be32(b + 40);
        size_t skip = 44 + (size_t)timec * 5 + (size_t)typec * 6 + charc + (size_t)leapc * 8 + isstd + isut;
        if (skip + 44 > len || memcmp(b + skip, "TZif", 4) != 0) return -1;
        pos = skip;
        timesize = 8;
    }
    const uint8_t *h = b + pos;
    uint32_t isut = be32(h + 20), isstd = be32(h + 24), leapc = be32(h + 28), timec = be32(h + 32),
             typec = be32(h + 36), charc = be32(h + 40);
    if (typec == 0 || typec > 256 || timec > 100000 || leapc > 10000 || charc > 100000) return -1;
    size_t need = 44 + (size_t)timec * (timesize + 1) + (size_t)typec * 6 + charc + (size_t)leapc * (timesize + 4) +
                  isstd + isut;
    if (pos + need > len) return -1;
    const uint8_t *tt = h + 44, *idx = tt + (size_t)timec * timesize, *types = idx + timec;
    int32_t type_off[256];
    for (uint32_t i = 0; i < typec; i++) type_off[i] = (int32_t)be32(types + i * 6);
    z->times = vt_malloc((timec ? timec : 1) * sizeof *z->times);
    z->offs = vt_malloc((timec ? timec : 1) * sizeof *z->offs);
    if (!z->times || !z->offs) return -1;
    for (uint32_t i = 0; i < timec; i++) {
        int64_t t = timesize == 8 ? be64(tt + (size_t)i * 8) : (int64_t)(int32_t)be32(tt + (size_t)i * 4);
        if (idx[i] >= typec || (i && t <= z->times[i - 1])) return -1;
        z->times[i] = t;
        z->offs[i] = type_off[idx[i]];
    }
    z->n = timec;
    z->first_off = type_off[0];
    if (version >= '2') {
        const uint8_t *f = h + need, *e = b + len;
        if (f < e && *f == '\n') {
            const uint8_t *nl = memchr(f + 1, '\n', (size_t)(e - f - 1));
            if (nl && nl - f - 1 < 128 && nl > f + 1) {
                char buf[128];
                memcpy(buf, f + 1, (size_t)(nl - f - 1));
                buf[nl - f - 1] = 0;
                if (parse_posix(buf, &z->footer) != 0) z->footer.present = false;
            }
        }
    }
    return 0;
}

static bool name_ok(const char *name) {
    if (!name || !*name || *name == '/' || strlen(name) > 200) return false;
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '_' ||
              c == '-' || c == '+'))
            return false;
        if (c == '/' && p[1] == '/') return false;
    }
    return strstr(name, "..") == NULL;
}

vt_tz *vt_tz_load(const char *name) {
    vt_tz *z = vt_calloc(1, sizeof *z);
    if (!z) return NULL;
    if (name && (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0 || strcmp(name, "Z") == 0)) {
        z->footer.present = true;
        return z;
    }
    if (!name_ok(name)) {
        vt_free(z);
        return NULL;
    }
    char path[256];
    snprintf(path, sizeof path, "%s/%s", VT_TZ_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        vt_free(z);
        return NULL;
    }
    uint8_t *buf = vt_malloc(VT_TZ_MAX_FILE);
    size_t len = buf ? fread(buf, 1, VT_TZ_MAX_FILE, f) : 0;
    bool err = !buf || ferror(f);
    fclose(f);
    if (err || parse_tzif(z, buf, len) != 0) {
        vt_free(buf);
        vt_tz_free(z);
        return NULL;
    }
    vt_free(buf);
    return z;
}

void vt_tz_free(vt_tz *z) {
    if (!z) return;
    vt_free(z->times);
    vt_free(z->offs);
    vt_free(z);
}

int32_t vt_tz_offset(const vt_tz *z, int64_t t) {
    if (z->n == 0) return z->footer.present ? posix_offset(&z->footer, t) : z->first_off;
    if (t < z->times[0]) return z->first_off;
    if (t >= z->times[z->n - 1] && z->footer.present) return posix_offset(&z->footer, t);
    size_t lo = 0, hi = z->n; /* last i with times[i] <= t */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->times[mid] <= t) lo = mid;
        else hi = mid;
    }
    return z->offs[lo];
}

int64_t vt_tz_from_local(const vt_tz *z, int64_t local) {
    /* Offsets a day either side bracket any single transition near `local`. */
    int32_t before = vt_tz_offset(z, local - 86400 - 14 * 3600);
    int32_t after = vt_tz_offset(z, local + 86400 + 14 * 3600);
    int64_t ta = local - before, tb = local - after;
    bool va = vt_tz_offset(z, ta) == before, vb = vt_tz_offset(z, tb) == after;
    if (va && vb) return ta < tb ? ta : tb; /* ambiguous: the earlier instant */
    if (va) return ta;
    if (vb) return tb;
    return ta; /* in a gap: read with the offset before it, i.e. moved forward by the gap */
}
