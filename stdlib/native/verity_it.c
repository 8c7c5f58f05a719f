/* libverity_it: the stdlib's native functions (SPEC §8), bound by `extern fn` through
 * libffi. Every function is pure. ABI (docs/native.md):
 *   text argument  -> const char * (UTF-8, NUL-terminated)
 *   bool result    -> int (0 or 1)
 *   text result    -> const char *, valid until the next call of a text function on the
 *                     same thread (a thread-local buffer); the runtime copies it at once.
 * Inputs are what people type into forms: leading/trailing blanks, mixed case, accents. */
#include <ctype.h>
#include <stddef.h>
#include <string.h>

#define VT_EXPORT __attribute__((visibility("default")))

enum { OUT_MAX = 1024 };
static _Thread_local char out_buf[OUT_MAX];

/* ---- text normalisation ------------------------------------------------------------ */

/* Folds the common Latin-1 accented letters (as UTF-8) to ASCII: "Forlì" -> "Forli". */
static int fold_accent(const unsigned char *s, char *out) {
    if (s[0] != 0xC3 || !s[1]) return 0;
    static const char map[64] = "AAAAAAACEEEEIIIIDNOOOOOxOUUUUYTsaaaaaaaceeeeiiiidnooooo/ouuuuyty";
    unsigned c = s[1];
    if (c < 0x80 || c > 0xBF) return 0;
    *out = map[c - 0x80];
    return 1;
}

/* Lower case, accents folded, runs of blanks collapsed to one space, trimmed. */
VT_EXPORT const char *vt_normalize_text(const char *in) {
    size_t n = 0;
    int space = 0;
    const unsigned char *s = (const unsigned char *)(in ? in : "");
    while (*s && isspace(*s)) s++;
    while (*s && n + 2 < OUT_MAX) {
        char c;
        if (isspace(*s)) { space = 1; s++; continue; }
        if (space && n) out_buf[n++] = ' ';
        space = 0;
        if (fold_accent(s, &c)) { out_buf[n++] = (char)tolower((unsigned char)c); s += 2; continue; }
        out_buf[n++] = (char)tolower(*s);
        s++;
    }
    out_buf[n] = 0;
    return out_buf;
}

/* ---- email --------------------------------------------------------------------------- */

/* A pragmatic check of what a form can hold: one @, a non-empty local part of the
 * usual characters, a domain of dot-separated labels with a 2+ letter top level. It does
 * not try to accept every RFC 5322 address: quoted local parts are refused. */
VT_EXPORT int vt_valid_email(const char *in) {
    if (!in) return 0;
    size_t len = strlen(in);
    if (len < 6 || len > 254) return 0;
    const char *at = strchr(in, '@');
    if (!at || strchr(at + 1, '@') || at == in || at - in > 64) return 0;
    for (const char *p = in; p < at; p++) {
        unsigned char c = (unsigned char)*p;
        if (!(isalnum(c) || strchr(".!#$%&'*+/=?^_`{|}~-", c))) return 0;
        if (c == '.' && (p == in || p + 1 == at || p[1] == '.')) return 0;
    }
    const char *d = at + 1, *label = d, *last_dot = NULL;
    for (const char *p = d;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '.' || c == 0) {
            size_t l = (size_t)(p - label);
            if (l == 0 || l > 63 || label[0] == '-' || p[-1] == '-') return 0;
            if (c == 0) break;
            last_dot = p;
            label = p + 1;
        } else if (!(isalnum(c) || c == '-')) {
            return 0;
        }
    }
    if (!last_dot) return 0;
    size_t tld = strlen(last_dot + 1);
    if (tld < 2) return 0;
    for (const char *p = last_dot + 1; *p; p++)
        if (!isalpha((unsigned char)*p)) return 0;
    return 1;
}

/* ---- Italian tax codes --------------------------------------------------------------- */

/* Copies the letters and digits of in, upper-cased, into buf; returns their count. */
static size_t compact_upper(const char *in, char *buf, size_t cap) {
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)(in ? in : ""); *p; p++) {
        if (isspace(*p)) continue;
        if (n + 1 >= cap) return cap;
        buf[n++] = (char)toupper(*p);
    }
    buf[n] = 0;
    return n;
}

/* Codice fiscale of a person: 16 characters, the last a check letter computed from the
 * other 15 (odd and even positions weighted by the Agenzia delle Entrate tables).
 * Omocodia (digits replaced by letters L-V) is accepted. */
VT_EXPORT int vt_valid_codice_fiscale(const char *in) {
    char cf[32];
    if (compact_upper(in, cf, sizeof cf) != 16) return 0;
    static const int odd[36] = {/* 0-9 */ 1, 0, 5, 7, 9, 13, 15, 17, 19, 21,
                                /* A-Z */ 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8,
                                12, 14, 16, 10, 22, 25, 24, 23};
    /* Shape: 6 letters, 2 digits, month letter, 2 digits, letter, 3 digits (digits may be
     * omocodia letters), check letter. */
    static const char *months = "ABCDEHLMPRST", *omocodia = "LMNPQRSTUV";
    static const int digit_pos[] = {6, 7, 9, 10, 12, 13, 14};
    for (int i = 0; i < 6; i++)
        if (!isupper((unsigned char)cf[i])) return 0;
    if (!strchr(months, cf[8]) || !isupper((unsigned char)cf[11]) || !isupper((unsigned char)cf[15])) return 0;
    for (size_t k = 0; k < sizeof digit_pos / sizeof *digit_pos; k++) {
        char c = cf[digit_pos[k]];
        if (!isdigit((unsigned char)c) && !(c && strchr(omocodia, c))) return 0;
    }
    int sum = 0;
    for (int i = 0; i < 15; i++) {
        char c = cf[i];
        int v = isdigit((unsigned char)c) ? c - '0' : c - 'A' + 10;
        if (v < 0 || v >= 36) return 0;
        /* Positions count from 1: odd positions use the table, even ones the plain value. */
        sum += (i % 2 == 0) ? odd[v] : (isdigit((unsigned char)c) ? c - '0' : c - 'A');
    }
    return cf[15] == 'A' + sum % 26;
}

/* Partita IVA: 11 digits, the last a Luhn-style check digit. An "IT" prefix is allowed. */
VT_EXPORT int vt_valid_partita_iva(const char *in) {
    char p[32];
    size_t n = compact_upper(in, p, sizeof p);
    const char *d = p;
    if (n == 13 && p[0] == 'I' && p[1] == 'T') { d += 2; n -= 2; }
    if (n != 11) return 0;
    int sum = 0;
    for (int i = 0; i < 11; i++) {
        if (!isdigit((unsigned char)d[i])) return 0;
        int v = d[i] - '0';
        if (i % 2 == 1) { v *= 2; if (v > 9) v -= 9; }
        sum += v;
    }
    return sum % 10 == 0 && strspn(d, "0") != 11;
}

/* Either kind of Italian tax code: a person's codice fiscale, or a company's 11 digits. */
VT_EXPORT int vt_valid_tax_code(const char *in) { return vt_valid_codice_fiscale(in) || vt_valid_partita_iva(in); }

/* ---- provinces ------------------------------------------------------------------------ */

typedef struct province { const char *code, *name; } province;

/* The Italian provinces and metropolitan cities with their official two-letter codes,
 * plus a few historical codes still found in old records. */
static const province provinces[] = {
    {"AG", "agrigento"}, {"AL", "alessandria"}, {"AN", "ancona"}, {"AO", "aosta"}, {"AP", "ascoli piceno"},
    {"AQ", "l'aquila"}, {"AR", "arezzo"}, {"AT", "asti"}, {"AV", "avellino"}, {"BA", "bari"},
    {"BG", "bergamo"}, {"BI", "biella"}, {"BL", "belluno"}, {"BN", "benevento"}, {"BO", "bologna"},
    {"BR", "brindisi"}, {"BS", "brescia"}, {"BT", "barletta-andria-trani"}, {"BZ", "bolzano"},
    {"CA", "cagliari"}, {"CB", "campobasso"}, {"CE", "caserta"}, {"CH", "chieti"}, {"CL", "caltanissetta"},
    {"CN", "cuneo"}, {"CO", "como"}, {"CR", "cremona"}, {"CS", "cosenza"}, {"CT", "catania"},
    {"CZ", "catanzaro"}, {"EN", "enna"}, {"FC", "forli-cesena"}, {"FE", "ferrara"}, {"FG", "foggia"},
    {"FI", "firenze"}, {"FM", "fermo"}, {"FR", "frosinone"}, {"GE", "genova"}, {"GO", "gorizia"},
    {"GR", "grosseto"}, {"IM", "imperia"}, {"IS", "isernia"}, {"KR", "crotone"}, {"LC", "lecco"},
    {"LE", "lecce"}, {"LI", "livorno"}, {"LO", "lodi"}, {"LT", "latina"}, {"LU", "lucca"},
    {"MB", "monza e brianza"}, {"MC", "macerata"}, {"ME", "messina"}, {"MI", "milano"}, {"MN", "mantova"},
    {"MO", "modena"}, {"MS", "massa-carrara"}, {"MT", "matera"}, {"NA", "napoli"}, {"NO", "novara"},
    {"NU", "nuoro"}, {"OR", "oristano"}, {"PA", "palermo"}, {"PC", "piacenza"}, {"PD", "padova"},
    {"PE", "pescara"}, {"PG", "perugia"}, {"PI", "pisa"}, {"PN", "pordenone"}, {"PO", "prato"},
    {"PR", "parma"}, {"PT", "pistoia"}, {"PU", "pesaro e urbino"}, {"PV", "pavia"}, {"PZ", "potenza"},
    {"RA", "ravenna"}, {"RC", "reggio calabria"}, {"RE", "reggio emilia"}, {"RG", "ragusa"},
    {"RI", "rieti"}, {"RM", "roma"}, {"RN", "rimini"}, {"RO", "rovigo"}, {"SA", "salerno"},
    {"SI", "siena"}, {"SO", "sondrio"}, {"SP", "la spezia"}, {"SR", "siracusa"}, {"SS", "sassari"},
    {"SU", "sud sardegna"}, {"SV", "savona"}, {"TA", "taranto"}, {"TE", "teramo"}, {"TN", "trento"},
    {"TO", "torino"}, {"TP", "trapani"}, {"TR", "terni"}, {"TS", "trieste"}, {"TV", "treviso"},
    {"UD", "udine"}, {"VA", "varese"}, {"VB", "verbano-cusio-ossola"}, {"VC", "vercelli"},
    {"VE", "venezia"}, {"VI", "vicenza"}, {"VR", "verona"}, {"VT", "viterbo"}, {"VV", "vibo valentia"},
    /* historical */
    {"CI", "carbonia-iglesias"}, {"OG", "ogliastra"}, {"OT", "olbia-tempio"}, {"VS", "medio campidano"},
};

/* Other spellings people type, after normalisation. */
static const province aliases[] = {
    {"FC", "forli"}, {"FC", "cesena"}, {"PU", "pesaro"}, {"PU", "urbino"}, {"MS", "massa"},
    {"MS", "carrara"}, {"MB", "monza"}, {"BT", "barletta"}, {"BT", "andria"}, {"BT", "trani"},
    {"AQ", "aquila"}, {"AQ", "l aquila"}, {"SP", "spezia"}, {"RC", "reggio di calabria"},
    {"RE", "reggio nell'emilia"}, {"BZ", "bozen"}, {"AO", "aoste"}, {"VB", "verbania"}, {"RM", "rome"},
    {"MI", "milan"}, {"TO", "turin"}, {"FI", "florence"}, {"NA", "naples"}, {"VE", "venice"},
    {"GE", "genoa"}, {"PD", "padua"}, {"MN", "mantua"}, {"SR", "syracuse"}, {"CI", "carbonia"},
};

/* "Milano", "MI", "milano", " Mi " -> "MI"; "Forlì" -> "FC". Unknown -> "" (empty text). */
VT_EXPORT const char *vt_normalize_province(const char *in) {
    char key[128];
    const char *norm = vt_normalize_text(in);
    size_t n = strlen(norm);
    if (n >= sizeof key) n = sizeof key - 1;
    memcpy(key, norm, n);
    key[n] = 0;
    out_buf[0] = 0;
    /* A leading "provincia di " is noise. */
    const char *k = key;
    if (!strncmp(k, "provincia di ", 13)) k += 13;
    if (strlen(k) == 2) {
        for (size_t i = 0; i < sizeof provinces / sizeof *provinces; i++)
            if (tolower((unsigned char)provinces[i].code[0]) == k[0] &&
                tolower((unsigned char)provinces[i].code[1]) == k[1]) {
                memcpy(out_buf, provinces[i].code, 3);
                return out_buf;
            }
    }
    for (size_t i = 0; i < sizeof provinces / sizeof *provinces; i++)
        if (!strcmp(k, provinces[i].name)) { memcpy(out_buf, provinces[i].code, 3); return out_buf; }
    for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
        if (!strcmp(k, aliases[i].name)) { memcpy(out_buf, aliases[i].code, 3); return out_buf; }
    return out_buf;
}
