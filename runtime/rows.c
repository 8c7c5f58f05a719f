/* Outbox and contact rows as JSONL and CSV (SPEC §9): one writer for `outbox`,
 * `contacts` and `simulate`, so their rows are byte-identical. */
#include "../common/jsonw.h"
#include "../common/timeutil.h"
#include "ingest.h"
#include "money.h"
#include "runner.h"
#include <string.h>

static void key(FILE *out, const char *k, bool *first) {
    if (!*first) putc(',', out);
    *first = false;
    vt_json_cstr(out, k);
    putc(':', out);
}

static void time_json(FILE *out, int64_t t) {
    char buf[21];
    vt_format_utc(t, buf);
    fprintf(out, "\"%s\"", buf);
}

/* A JSONL row is assembled in a buffer and written with one fwrite: simulate writes one
 * row per action, and a stdio call per character of it cost a fifth of its time. */
typedef struct rowbuf {
    FILE *out;
    size_t n;
    char b[2048];
} rowbuf;

static void rb_flush(rowbuf *w) {
    if (w->n) fwrite(w->b, 1, w->n, w->out);
    w->n = 0;
}

/* Room for n more bytes in the buffer, or false when n alone is larger than it. */
static inline bool rb_room(rowbuf *w, size_t n) {
    if (w->n + n > sizeof w->b) rb_flush(w);
    return n <= sizeof w->b;
}

static inline void rb_put(rowbuf *w, const char *s, size_t n) {
    if (!rb_room(w, n)) {
        fwrite(s, 1, n, w->out);
        return;
    }
    memcpy(w->b + w->n, s, n);
    w->n += n;
}

/* Printable ASCII without quote or backslash is written as is; anything else (escapes,
 * UTF-8, invalid bytes) goes through vt_json_str so the bytes stay the same. */
static bool plain(const char *s, size_t n) {
    /* eight bytes at a time: none below 0x20, none 0x7F or above, no '"', no '\\' */
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t v, q, b;
        memcpy(&v, s + i, 8);
        q = v ^ (ones * '"'), b = v ^ (ones * '\\');
        if ((((v - ones * 0x20) & ~v) | ((v + ones) | v) | ((q - ones) & ~q) | ((b - ones) & ~b)) & high) return false;
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') return false;
    }
    return true;
}

static void rb_str(rowbuf *w, const char *s) {
    if (!s) {
        rb_put(w, "null", 4);
        return;
    }
    size_t n = strlen(s);
    if (!plain(s, n)) {
        rb_flush(w);
        vt_json_str(w->out, s, n);
        return;
    }
    if (!rb_room(w, n + 2)) {
        rb_flush(w);
        vt_json_str(w->out, s, n);
        return;
    }
    char *d = w->b + w->n;
    d[0] = '"';
    memcpy(d + 1, s, n);
    d[n + 1] = '"';
    w->n += n + 2;
}

/* k: a ",\"name\":" literal, so its length is known at compile time. */
#define rb_key(w, k) rb_put((w), (k), sizeof(k) - 1)

static void rb_time(rowbuf *w, int64_t t) {
    if (!rb_room(w, 22)) return; /* never: the buffer is far larger */
    char *d = w->b + w->n;
    d[0] = '"';
    vt_format_utc(t, d + 1); /* 20 characters and a NUL, overwritten by the quote */
    d[21] = '"';
    w->n += 22;
}

/* ,"step":"N" without snprintf: one row per action in simulate. */
static void rb_step(rowbuf *w, int64_t step) {
    char buf[40], *e = buf + sizeof buf, *d = e;
    *--d = '"';
    uint64_t u = step < 0 ? (uint64_t)0 - (uint64_t)step : (uint64_t)step;
    do *--d = (char)('0' + u % 10); while (u /= 10);
    if (step < 0) *--d = '-';
    static const char head[] = ",\"step\":\"";
    d -= sizeof head - 1;
    memcpy(d, head, sizeof head - 1);
    rb_put(w, d, (size_t)(e - d));
}

void vt_outrow_jsonl(FILE *out, const vt_outrow *r) {
    rowbuf w;
    w.out = out;
    w.n = 0;
    rb_key(&w, "{\"id\":"), rb_str(&w, r->id);
    rb_key(&w, ",\"contact\":"), rb_str(&w, r->contact);
    rb_key(&w, ",\"at\":"), rb_time(&w, r->at);
    rb_key(&w, ",\"kind\":"), rb_str(&w, r->kind);
    if (r->channel) rb_key(&w, ",\"channel\":"), rb_str(&w, r->channel);
    if (r->team) rb_key(&w, ",\"team\":"), rb_str(&w, r->team);
    if (r->template_) rb_key(&w, ",\"template\":"), rb_str(&w, r->template_);
    if (r->text) rb_key(&w, ",\"text\":"), rb_str(&w, r->text);
    if (r->due) rb_key(&w, ",\"due\":"), rb_time(&w, r->due);
    if (r->workflow) rb_key(&w, ",\"workflow\":"), rb_str(&w, r->workflow);
    rb_step(&w, r->step);
    rb_key(&w, ",\"status\":"), rb_str(&w, r->status);
    if (r->reason) rb_key(&w, ",\"reason\":"), rb_str(&w, r->reason);
    rb_put(&w, "}\n", 2);
    rb_flush(&w);
}

/* A CSV cell, quoted when it holds a comma, quote or line break. */
static void cell(FILE *out, const char *s, size_t n, bool last) {
    bool q = false;
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') q = true;
    if (q) {
        putc('"', out);
        for (size_t i = 0; i < n; i++) {
            if (s[i] == '"') putc('"', out);
            putc(s[i], out);
        }
        putc('"', out);
    } else {
        fwrite(s, 1, n, out);
    }
    putc(last ? '\n' : ',', out);
}
static void ccell(FILE *out, const char *s, bool last) { cell(out, s ? s : "", s ? strlen(s) : 0, last); }

void vt_outrow_csv_header(FILE *out) { fputs("id,contact,at,kind,channel,team,template,text,due,workflow,step,status,reason\n", out); }

void vt_outrow_csv(FILE *out, const vt_outrow *r) {
    char at[21], due[21] = "", step[24];
    vt_format_utc(r->at, at);
    if (r->due) vt_format_utc(r->due, due);
    snprintf(step, sizeof step, "%lld", (long long)r->step);
    ccell(out, r->id, false);
    ccell(out, r->contact, false);
    ccell(out, at, false);
    ccell(out, r->kind, false);
    ccell(out, r->channel, false);
    ccell(out, r->team, false);
    ccell(out, r->template_, false);
    ccell(out, r->text, false);
    ccell(out, due, false);
    ccell(out, r->workflow, false);
    ccell(out, step, false);
    ccell(out, r->status, false);
    ccell(out, r->reason, true);
}

void vt_contact_jsonl(FILE *out, const vt_schema *s, const vt_contact *c) {
    bool f = true;
    putc('{', out);
    key(out, "id", &f), vt_json_cstr(out, vt_contact_id(c));
    for (int pass = 0; pass < 2; pass++) {
        key(out, pass == 0 ? "keys" : "fields", &f);
        bool g = true;
        putc('{', out);
        for (uint32_t i = 0; i < s->ncontact_fields; i++) {
            if (s->contact_fields[i].key != (pass == 0)) continue;
            vt_value v = vt_contact_field(c, i);
            if (v.type == VT_V_NULL) continue;
            key(out, s->contact_fields[i].name, &g);
            vt_value_json(out, s, &v);
        }
        putc('}', out);
    }
    key(out, "states", &f);
    putc('{', out);
    bool g = true;
    for (uint32_t l = 0; l < s->nlifecycles; l++) {
        key(out, s->lifecycles[l], &g);
        int st = vt_contact_state(c, l);
        if (st >= 0 && (uint32_t)st < s->nstates[l]) vt_json_cstr(out, s->states[l][st]);
        else fputs("null", out);
    }
    putc('}', out);
    key(out, "owner", &f);
    int o = vt_contact_owner(c);
    vt_json_cstr(out, o >= 0 && (uint32_t)o < s->nteams ? s->teams[o] : NULL);
    key(out, "created_at", &f), time_json(out, vt_contact_created_at(c));
    fputs("}\n", out);
}

void vt_contact_csv_header(FILE *out, const vt_schema *s) {
    fputs("id", out);
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t i = 0; i < s->ncontact_fields; i++)
            if (s->contact_fields[i].key == (pass == 0)) putc(',', out), fputs(s->contact_fields[i].name, out);
    for (uint32_t l = 0; l < s->nlifecycles; l++) putc(',', out), fputs(s->lifecycles[l], out);
    fputs(",owner,created_at\n", out);
}

static void value_cell(FILE *out, const vt_schema *s, const vt_value *v) {
    char buf[64];
    switch (v->type) {
    case VT_V_NULL: ccell(out, "", false); return;
    case VT_V_TEXT: cell(out, v->u.s.p, v->u.s.len, false); return;
    case VT_V_BOOL: ccell(out, v->u.b ? "true" : "false", false); return;
    case VT_V_INT: snprintf(buf, sizeof buf, "%lld", (long long)v->u.i); break;
    case VT_V_NUMBER: snprintf(buf, sizeof buf, "%.15g", v->u.d); break;
    case VT_V_MONEY: vt_money_format(v->u.i, v->currency, buf, sizeof buf); break;
    case VT_V_TIME: vt_format_utc(v->u.i, buf); break;
    case VT_V_DURATION: snprintf(buf, sizeof buf, "%llds", (long long)v->u.i); break;
    case VT_V_TEAM: ccell(out, v->u.i >= 0 && (uint64_t)v->u.i < s->nteams ? s->teams[v->u.i] : "", false); return;
    default: buf[0] = 0;
    }
    ccell(out, buf, false);
}

void vt_contact_csv(FILE *out, const vt_schema *s, const vt_contact *c) {
    ccell(out, vt_contact_id(c), false);
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t i = 0; i < s->ncontact_fields; i++)
            if (s->contact_fields[i].key == (pass == 0)) {
                vt_value v = vt_contact_field(c, i);
                value_cell(out, s, &v);
            }
    for (uint32_t l = 0; l < s->nlifecycles; l++) {
        int st = vt_contact_state(c, l);
        ccell(out, st >= 0 && (uint32_t)st < s->nstates[l] ? s->states[l][st] : "", false);
    }
    int o = vt_contact_owner(c);
    ccell(out, o >= 0 && (uint32_t)o < s->nteams ? s->teams[o] : "", false);
    char at[21];
    vt_format_utc(vt_contact_created_at(c), at);
    ccell(out, at, true);
}
