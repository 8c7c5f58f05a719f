/* A small in-memory driver for the VM tests: reads JSONL inputs (the conformance
 * format), runs them through the embedding API (verity.h) sorted by (at, line) per
 * contact, and renders the outbox and final states as the conformance runner does:
 *   contact|at|kind|target|template|workflow|status|reason   and   contact|lifecycle|state
 * Header-only so each test file that needs it can include it. */
#ifndef VT_VM_DRIVER_H
#define VT_VM_DRIVER_H
#include "verity.h"
#include "../runtime/vbc.h"
#include "../common/timeutil.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct drv_kv { char key[64]; char val[256]; int is_str; } drv_kv;
typedef struct drv_rec { drv_kv kv[32]; int n; int line; int64_t at; } drv_rec;

static const char *drv_get(const drv_rec *r, const char *k) {
    for (int i = 0; i < r->n; i++) if (strcmp(r->kv[i].key, k) == 0) return r->kv[i].val;
    return NULL;
}

/* Flat JSON objects only: "key": "string" | number | true | false | null. */
static int drv_parse(const char *s, drv_rec *r) {
    r->n = 0;
    while (*s && *s != '{') s++;
    if (!*s) return -1;
    s++;
    for (;;) {
        while (*s == ' ' || *s == ',') s++;
        if (*s == '}') return 0;
        if (*s != '"' || r->n >= 32) return -1;
        drv_kv *kv = &r->kv[r->n++];
        size_t i = 0;
        for (s++; *s && *s != '"'; s++) if (i < sizeof kv->key - 1) kv->key[i++] = *s;
        kv->key[i] = 0;
        if (*s++ != '"') return -1;
        while (*s == ' ' || *s == ':') s++;
        i = 0;
        if (*s == '"') {
            kv->is_str = 1;
            for (s++; *s && *s != '"'; s++) {
                if (*s == '\\' && s[1]) s++;
                if (i < sizeof kv->val - 1) kv->val[i++] = *s;
            }
            if (*s++ != '"') return -1;
        } else {
            kv->is_str = 0;
            while (*s && *s != ',' && *s != '}') { if (i < sizeof kv->val - 1 && *s != ' ') kv->val[i++] = *s; s++; }
        }
        kv->val[i] = 0;
    }
}

static vt_value drv_value(uint8_t type, const char *v) {
    vt_value x;
    memset(&x, 0, sizeof x);
    if (!v || strcmp(v, "null") == 0) return x;
    x.type = type;
    switch (type) {
    case VT_V_BOOL: x.u.b = strcmp(v, "true") == 0; break;
    case VT_V_NUMBER: x.u.d = strtod(v, NULL); break;
    case VT_V_TEXT: x.u.s.p = v; x.u.s.len = (uint32_t)strlen(v); break;
    case VT_V_MONEY: {
        double d = strtod(v, NULL);
        x.u.i = (int64_t)(d * 100 + (d >= 0 ? 0.5 : -0.5));
        const char *sp = strchr(v, ' ');
        if (sp) memcpy(x.currency, sp + 1, 3);
        break;
    }
    case VT_V_TIME: { int hz = 0, ht = 0; vt_parse_timestamp(v, strlen(v), &x.u.i, &hz, &ht); break; }
    default: x.u.i = strtoll(v, NULL, 10); break;
    }
    return x;
}

typedef struct drv_out { char **lines; size_t n, cap; const vt_program *p; } drv_out;

static void drv_push(drv_out *o, const char *s) {
    if (o->n == o->cap) { o->cap = o->cap ? o->cap * 2 : 64; o->lines = realloc(o->lines, o->cap * sizeof *o->lines); }
    o->lines[o->n++] = strdup(s);
}

static int drv_action(void *ud, const vt_action *a) {
    drv_out *o = ud;
    const vt_schema *s = vt_program_schema(o->p);
    char at[21], line[1024];
    vt_format_utc(a->at, at);
    static const char *kinds[] = {"send", "task", "notify", "escalate"};
    const char *target = a->kind == VT_ACT_SEND ? s->channels[a->channel] : (a->team >= 0 ? s->teams[a->team] : "");
    snprintf(line, sizeof line, "%s|%s|%s|%s|%s|%s|%s|%s", a->contact, at, kinds[a->kind], target,
             a->kind == VT_ACT_SEND ? a->template_ : "", s->workflows[a->workflow],
             a->status == VT_ST_EMITTED ? "emitted" : "suppressed",
             a->reason == VT_WHY_NO_CONSENT ? "no_consent" : a->reason == VT_WHY_FREQUENCY_CAP ? "frequency_cap" : "");
    drv_push(o, line);
    return 0;
}

static int drv_cmp_rec(const void *x, const void *y) {
    const drv_rec *a = x, *b = y;
    if (a->at != b->at) return a->at < b->at ? -1 : 1;
    return a->line - b->line;
}
static int drv_cmp_str(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }

/* Runs input through p; fills outbox and states (sorted). Returns 0 or -1 (msg in err). */
static int drv_run(const vt_program *p, const char *input_path, drv_out *outbox, drv_out *states, char *err, size_t errn) {
    FILE *f = fopen(input_path, "r");
    if (!f) { snprintf(err, errn, "cannot open %s", input_path); return -1; }
    size_t nrec = 0, cap = 0;
    drv_rec *recs = NULL;
    char buf[4096];
    int line = 0;
    int64_t last = INT64_MIN;
    while (fgets(buf, sizeof buf, f)) {
        line++;
        if (nrec == cap) { cap = cap ? cap * 2 : 64; recs = realloc(recs, cap * sizeof *recs); }
        drv_rec *r = &recs[nrec];
        if (drv_parse(buf, r) != 0) continue;
        const char *at = drv_get(r, "at");
        int hz, ht;
        if (!at || vt_parse_timestamp(at, strlen(at), &r->at, &hz, &ht) != 0) continue;
        r->line = line;
        if (r->at > last) last = r->at;
        nrec++;
    }
    fclose(f);
    qsort(recs, nrec, sizeof *recs, drv_cmp_rec);
    const vt_schema *s = vt_program_schema(p);
    vt_vm *vm = vt_vm_new(p);
    outbox->p = p;
    vt_sink sink = {outbox, drv_action, NULL};
    char *cids[512];
    vt_contact cs[512];
    size_t nc = 0;
    char *seen[4096];
    size_t nseen = 0;
    int rc = 0;
    for (size_t i = 0; i < nrec && rc == 0; i++) {
        drv_rec *r = &recs[i];
        const char *id = drv_get(r, "id"), *type = drv_get(r, "type"), *cid = drv_get(r, "contact");
        int dup = 0;
        for (size_t j = 0; j < nseen && !dup; j++) dup = strcmp(seen[j], id) == 0;
        if (dup) continue;
        if (nseen < 4096) seen[nseen++] = strdup(id);
        size_t ci = nc;
        for (size_t j = 0; j < nc; j++) if (strcmp(cids[j], cid) == 0) ci = j;
        int is_contact = strcmp(type, "contact") == 0;
        vt_value vals[64];
        memset(vals, 0, sizeof vals);
        vt_input in = {0};
        in.at = r->at;
        in.id = id;
        in.values = vals;
        if (is_contact) {
            for (uint32_t k = 0; k < s->ncontact_fields && k < 64; k++) vals[k] = drv_value(s->contact_fields[k].type, drv_get(r, s->contact_fields[k].name));
            in.nvalues = s->ncontact_fields;
        } else {
            in.type = vt_schema_event_index(s, type, strlen(type));
            if (in.type < 0) { snprintf(err, errn, "unknown type %s", type); rc = -1; break; }
            const vt_schema_event *e = &s->events[in.type];
            for (uint32_t k = 0; k < e->nfields && k < 64; k++) vals[k] = drv_value(e->fields[k].type, drv_get(r, e->fields[k].name));
            in.nvalues = e->nfields;
        }
        if (ci == nc) {
            cids[nc] = strdup(cid);
            if (vt_contact_init(vm, &cs[nc], cid, r->at) != 0) { rc = -1; break; }
            nc++;
            vt_input cr = in;
            cr.type = VT_INPUT_CREATED;
            if (!is_contact) cr.nvalues = 0;
            if (vt_vm_apply(vm, &cs[ci], &cr, &sink) != 0) { rc = -1; break; }
            if (is_contact) continue;
        } else if (vt_vm_advance(vm, &cs[ci], r->at, &sink) != 0) { rc = -1; break; }
        if (is_contact) in.type = VT_INPUT_CONTACT;
        if (vt_vm_apply(vm, &cs[ci], &in, &sink) != 0) rc = -1;
    }
    for (size_t j = 0; j < nc && rc == 0; j++) if (vt_vm_advance(vm, &cs[j], last, &sink) != 0) rc = -1;
    if (rc != 0 && err[0] == 0) snprintf(err, errn, "vm: %s", vt_vm_error(vm));
    for (size_t j = 0; j < nc; j++) {
        for (uint32_t l = 0; l < s->nlifecycles; l++) {
            char lb[512];
            snprintf(lb, sizeof lb, "%s|%s|%s", cids[j], s->lifecycles[l], s->states[l][vt_contact_state(&cs[j], l)]);
            drv_push(states, lb);
        }
        vt_contact_free(&cs[j]);
        free(cids[j]);
    }
    for (size_t j = 0; j < nseen; j++) free(seen[j]);
    free(recs);
    vt_vm_free(vm);
    if (outbox->n) qsort(outbox->lines, outbox->n, sizeof *outbox->lines, drv_cmp_str);
    if (states->n) qsort(states->lines, states->n, sizeof *states->lines, drv_cmp_str);
    return rc;
}

static void drv_free(drv_out *o) {
    for (size_t i = 0; i < o->n; i++) free(o->lines[i]);
    free(o->lines);
    memset(o, 0, sizeof *o);
}

/* The code section of a built .vbc image (section id 3), for tests that patch
 * instructions; NULL when absent. */
static inline uint32_t *code_of(uint8_t *b, uint32_t *ncode) {
    uint32_t nsec;
    memcpy(&nsec, b + 40, 4);
    for (uint32_t s = 0; s < nsec; s++) {
        uint32_t d[4];
        memcpy(d, b + VT_VBC_HEADER + 16 * s, 16);
        if (d[0] == 3) { *ncode = d[1]; return (uint32_t *)(b + d[2]); }
    }
    return NULL;
}

#endif
