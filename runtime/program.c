/* vt_program: compile glue (front end + codegen), open by magic, the tables derived at
 * load (dispatch by event type, contact layout, public schema, time zone), and free. */
#include "program.h"
#include "vm_internal.h"
#include "vbc.h"
#include "native.h"
#include "../common/mem.h"
#include "../compiler/check.h"
#include "../compiler/codegen.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

char *vt_msg(const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    /* Messages are freed by the caller with free(): use the C allocator. */
    size_t n = strlen(buf) + 1;
    char *m = malloc(n);
    if (m) memcpy(m, buf, n);
    return m;
}

static void free_lists(vt_ilist *l, uint32_t n) {
    if (!l) return;
    for (uint32_t i = 0; i < n; i++) vt_free(l[i].v);
    vt_free(l);
}

void vt_program_free(vt_program *p) {
    if (!p) return;
#define VT_SEC_FREE(id, name, type) vt_free(p->name);
    VT_SECTIONS(VT_SEC_FREE)
#undef VT_SEC_FREE
    vt_free(p->lay.hist_off);
    vt_free(p->lay.chan_off);
    vt_free(p->lay.rep_off);
    vt_free(p->lay.cal_off);
    free_lists(p->rules_by_ev, p->nevents + 1);
    free_lists(p->hist_by_ev, p->nevents + 1);
    free_lists(p->trans_by_lc, p->nlcs);
    free_lists(p->trans_by_state, p->nstates);
    if (p->tz) vt_tz_free(p->tz);
    vt_free(p->istart);
    vt_free(p->kcells);
    vt_free(p->sch_fields);
    vt_free(p->sch_efields);
    vt_free(p->sch_events);
    vt_free(p->sch_names);
    vt_free(p->sch_states);
    vt_free(p->sch_nstates);
    vt_native_free(p->natives);
    vt_free(p);
}

static int list_add(vt_ilist *l, uint32_t v) {
    uint32_t *nv = vt_realloc(l->v, ((size_t)l->n + 1) * sizeof *nv);
    if (!nv) return -1;
    l->v = nv;
    l->v[l->n++] = v;
    return 0;
}

static int build_dispatch(vt_program *p) {
    uint32_t ne = p->nevents + 1;
    p->rules_by_ev = vt_calloc(ne, sizeof(vt_ilist));
    p->hist_by_ev = vt_calloc(ne, sizeof(vt_ilist));
    p->trans_by_lc = vt_calloc(p->nlcs + 1, sizeof(vt_ilist));
    if (!p->rules_by_ev || !p->hist_by_ev || !p->trans_by_lc) return -1;
    for (uint32_t i = 0; i < p->nrules; i++) {
        int32_t e = p->rules[i].event;
        uint32_t slot = e == VT_EV_CREATED ? p->nevents : (uint32_t)e;
        if (e < 0 && e != VT_EV_CREATED) continue;
        if (list_add(&p->rules_by_ev[slot], i) != 0) return -1;
    }
    for (uint32_t i = 0; i < p->nhists; i++)
        if (p->hists[i].event >= 0 && list_add(&p->hist_by_ev[p->hists[i].event], i) != 0) return -1;
    for (uint32_t i = 0; i < p->ntrans; i++)
        if (list_add(&p->trans_by_lc[p->trans[i].lc], i) != 0) return -1;
    p->trans_by_state = vt_calloc(p->nstates + 1, sizeof(vt_ilist));
    if (!p->trans_by_state) return -1;
    for (uint32_t lc = 0; lc < p->nlcs; lc++)
        for (uint32_t s = 0; s < p->lcs[lc].nstates; s++) {
            uint32_t g = p->lcs[lc].first_state + s;
            for (uint32_t j = 0; j < p->trans_by_lc[lc].n; j++) {
                const vt_ptrans *t = &p->trans[p->trans_by_lc[lc].v[j]];
                if (t->from >= 0 ? (uint32_t)t->from == s : !p->states[g].final)
                    if (list_add(&p->trans_by_state[g], p->trans_by_lc[lc].v[j]) != 0) return -1;
            }
        }
    return 0;
}

static void fill_sfield(const vt_program *p, vt_schema_field *d, const vt_pfield *s) {
    d->name = vt_pstr(p, s->name);
    d->type = (uint8_t)s->type;
    d->key = s->key != 0;
    d->has_range = s->has_range != 0;
    d->lo = s->lo;
    d->hi = s->hi;
}

static int build_schema(vt_program *p) {
    vt_schema *s = &p->schema;
    p->sch_fields = vt_calloc(p->nfields + 1, sizeof *p->sch_fields);
    p->sch_efields = vt_calloc(p->nefields + 1, sizeof *p->sch_efields);
    p->sch_events = vt_calloc(p->nevents + 1, sizeof *p->sch_events);
    size_t nnames = (size_t)p->nteams + p->nchans + p->nlcs + p->nstates + p->nwfs + 1;
    p->sch_names = vt_calloc(nnames, sizeof *p->sch_names);
    p->sch_states = vt_calloc(p->nlcs + 1, sizeof *p->sch_states);
    p->sch_nstates = vt_calloc(p->nlcs + 1, sizeof *p->sch_nstates);
    if (!p->sch_fields || !p->sch_efields || !p->sch_events || !p->sch_names || !p->sch_states || !p->sch_nstates) return -1;
    for (uint32_t i = 0; i < p->nfields; i++) fill_sfield(p, &p->sch_fields[i], &p->fields[i]);
    for (uint32_t i = 0; i < p->nefields; i++) fill_sfield(p, &p->sch_efields[i], &p->efields[i]);
    for (uint32_t i = 0; i < p->nevents; i++) {
        p->sch_events[i].name = vt_pstr(p, p->events[i].name);
        p->sch_events[i].fields = p->sch_efields + p->events[i].first_field;
        p->sch_events[i].nfields = p->events[i].nfields;
        p->sch_events[i].weak = p->events[i].weak != 0;
    }
    const char **n = p->sch_names;
    s->teams = n;
    for (uint32_t i = 0; i < p->nteams; i++) *n++ = vt_pstr(p, p->teams[i].name);
    s->channels = n;
    for (uint32_t i = 0; i < p->nchans; i++) *n++ = vt_pstr(p, p->chans[i].name);
    s->lifecycles = n;
    for (uint32_t i = 0; i < p->nlcs; i++) *n++ = vt_pstr(p, p->lcs[i].name);
    for (uint32_t i = 0; i < p->nlcs; i++) {
        p->sch_states[i] = (const char *const *)n;
        p->sch_nstates[i] = p->lcs[i].nstates;
        for (uint32_t j = 0; j < p->lcs[i].nstates; j++) *n++ = vt_pstr(p, p->states[p->lcs[i].first_state + j].name);
    }
    s->workflows = n;
    for (uint32_t i = 0; i < p->nwfs; i++) *n++ = vt_pstr(p, p->wfs[i].name);
    s->flow_name = vt_pstr(p, p->flow_name);
    s->flow_version = p->version;
    s->timezone = vt_pstr(p, p->timezone);
    s->contact_fields = p->sch_fields;
    s->ncontact_fields = p->nfields;
    s->events = p->sch_events;
    s->nevents = p->nevents;
    s->nteams = p->nteams;
    s->nchannels = p->nchans;
    s->nlifecycles = p->nlcs;
    s->states = p->sch_states;
    s->nstates = p->sch_nstates;
    s->nworkflows = p->nwfs;
    return 0;
}

static int build_kcells(vt_program *p) {
    p->kcells = vt_calloc(p->nconsts + 1, sizeof *p->kcells);
    if (!p->kcells) return -1;
    for (uint32_t i = 0; i < p->nconsts; i++) {
        const vt_pconst *c = &p->consts[i];
        vt_cell *v = &p->kcells[i];
        v->t = (uint8_t)c->type;
        memcpy(v->cur, c->cur, 3);
        if (c->type == VT_V_TEXT) { v->u.s = p->strings + c->s; v->len = c->slen; }
        else if (c->type == VT_V_NUMBER) v->u.d = c->d;
        else v->u.i = c->i;
    }
    return 0;
}

int vt_program_finish(vt_program *p, char **error) {
    if (build_kcells(p) != 0 || build_dispatch(p) != 0 || vt_layout_build(p) != 0 || build_schema(p) != 0) {
        if (error) *error = vt_msg("out of memory loading the program");
        return -1;
    }
    const char *zone = vt_pstr(p, p->timezone);
    p->tz = vt_tz_load(zone);
    if (!p->tz) {
        if (error) *error = vt_msg("the flow's time zone \"%s\" is not known on this machine", zone);
        return -1;
    }
    return 0;
}

uint32_t vt_program_line(const vt_program *p, uint32_t pc) {
    uint32_t line = 0;
    for (uint32_t i = 0; i < p->nlines && p->lines[i].pc <= pc; i++) line = p->lines[i].line;
    return line;
}

const vt_schema *vt_program_schema(const vt_program *p) { return &p->schema; }
const char *vt_program_hash(const vt_program *p) { return p->hash; }

int vt_schema_event_index(const vt_schema *s, const char *name, size_t len) {
    for (uint32_t i = 0; i < s->nevents; i++)
        if (strlen(s->events[i].name) == len && memcmp(s->events[i].name, name, len) == 0) return (int)i;
    return -1;
}

int vt_schema_field_index(const vt_schema *s, const char *name, size_t len) {
    for (uint32_t i = 0; i < s->ncontact_fields; i++)
        if (strlen(s->contact_fields[i].name) == len && memcmp(s->contact_fields[i].name, name, len) == 0) return (int)i;
    return -1;
}

/* Verifies and finishes a program just built or loaded; frees it on failure. */
vt_program *vt_program_ready(vt_program *p, char **error) { return vt_program_ready_ex(p, NULL, error); }

vt_program *vt_program_ready_ex(vt_program *p, const char *const *native_dirs, char **error) {
    if (vt_verify(p, error) != 0 || vt_program_finish(p, error) != 0 || vt_native_bind(p, native_dirs, error) != 0) {
        vt_program_free(p);
        return NULL;
    }
    return p;
}

static char *dup_c(const char *s) {
    size_t n = strlen(s) + 1;
    char *m = malloc(n);
    if (m) memcpy(m, s, n);
    return m;
}

vt_program *vt_program_compile(const char *flow_path, const char *stdlib_dir, char **errors) {
    vt_program_opts o = {stdlib_dir, NULL};
    return vt_program_compile_ex(flow_path, &o, errors);
}

vt_program *vt_program_compile_ex(const char *flow_path, const vt_program_opts *po, char **errors) {
    if (errors) *errors = NULL;
    const char *stdlib_dir = po ? po->stdlib_dir : NULL;
    const char *const *native_dirs = po ? po->native_dirs : NULL;
    vt_sources src = {0};
    vt_diags diags;
    vt_diags_init(&diags, &src);
    vt_unit u;
    vt_unit_init(&u, &src, &diags);
    /* The V-checks run too: an error-level finding (an instant loop, a channel without
     * consent) stops a build like a syntax error does (SPEC §7). */
    vt_check_opts opts = {stdlib_dir, true, true, native_dirs};
    int nerr = vt_check_file(&u, flow_path, &opts);
    vt_program *p = NULL;
    if (nerr == 0) {
        for (uint32_t i = 0; i < u.nmodules; i++)
            if (u.modules[i] && u.modules[i]->parse_failed) nerr++;
    }
    if (nerr > 0 || diags.nerrors > 0) {
        if (errors) {
            vt_diags_finish(&diags);
            char *buf = NULL;
            size_t len = 0;
            FILE *f = open_memstream(&buf, &len);
            if (f) {
                vt_diags_render(&diags, VT_FMT_TEXT, f, 0);
                fclose(f);
                *errors = buf;
            }
            if (!*errors) *errors = dup_c("the flow has errors");
        }
    } else {
        char *err = NULL;
        p = vt_codegen(&u, &err);
        if (p) p = vt_program_ready_ex(p, native_dirs, &err);
        if (!p && errors) *errors = err ? err : dup_c("the flow could not be compiled");
        else free(err);
    }
    vt_unit_free(&u);
    vt_diags_free(&diags);
    vt_sources_free(&src);
    return p;
}

vt_program *vt_program_open(const char *path, const char *stdlib_dir, char **error) {
    vt_program_opts o = {stdlib_dir, NULL};
    return vt_program_open_ex(path, &o, error);
}

vt_program *vt_program_open_ex(const char *path, const vt_program_opts *po, char **error) {
    if (error) *error = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) { if (error) *error = vt_msg("%s: cannot open the flow", path); return NULL; }
    unsigned char magic[4] = {0};
    size_t got = fread(magic, 1, 4, f);
    if (got == 4 && memcmp(magic, VT_VBC_MAGIC, 4) == 0) {
        if (fseek(f, 0, SEEK_END) != 0) { fclose(f); if (error) *error = vt_msg("%s: cannot read", path); return NULL; }
        long sz = ftell(f);
        if (sz < 0 || sz > (long)VT_VBC_MAX || fseek(f, 0, SEEK_SET) != 0) {
            fclose(f);
            if (error) *error = vt_msg("%s: not a readable bytecode file (too large or unreadable)", path);
            return NULL;
        }
        uint8_t *buf = vt_malloc((size_t)sz + 1);
        if (!buf) { fclose(f); if (error) *error = vt_msg("out of memory reading %s", path); return NULL; }
        size_t n = fread(buf, 1, (size_t)sz, f);
        fclose(f);
        char *err = NULL;
        vt_program *p = vt_program_load_ex(buf, n, po, &err);
        vt_free(buf);
        if (!p && error) { *error = vt_msg("%s: %s", path, err ? err : "invalid bytecode"); }
        free(err);
        return p;
    }
    fclose(f);
    return vt_program_compile_ex(path, po, error);
}
