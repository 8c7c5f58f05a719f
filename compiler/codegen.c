/* Code generation: walks the resolved unit and fills the program's tables; conditions,
 * rules and workflow steps become functions of bytecode (runtime/opcodes.h).
 * Expressions are compiled in codegen_expr.c, statements and steps in codegen_stmt.c. */
#include "codegen_internal.h"
#include "../common/mem.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void cg_fail(cg *g, vt_span sp, const char *fmt, ...) {
    if (g->err) return;
    g->err = 1;
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    uint32_t line = 0, col = 0;
    const char *path = "?";
    if (g->u->sources && sp.file < g->u->sources->n) {
        vt_sources_linecol(g->u->sources, sp.file, sp.start, &line, &col);
        path = g->u->sources->v[sp.file].path;
    }
    snprintf(g->msg, sizeof g->msg, "%s:%u:%u: cannot compile: %s", path, line, col, buf);
}

static void oom(cg *g) {
    if (!g->err) { g->err = 1; snprintf(g->msg, sizeof g->msg, "out of memory while compiling"); }
}

/* Appends one zeroed record to a table; NULL on failure. */
void *cg_push(cg *g, void **arr, uint32_t *n, size_t *cap, size_t elem) {
    if (g->err) return NULL;
    if (vt_grow(arr, cap, (size_t)*n + 1, elem) != 0) { oom(g); return NULL; }
    void *r = (char *)*arr + (size_t)*n * elem;
    memset(r, 0, elem);
    (*n)++;
    return r;
}

uint32_t cg_str(cg *g, const char *s) {
    if (!s) s = "";
    size_t len = strlen(s);
    uint32_t off = g->p->nstrings;
    if (g->err) return 0;
    if (vt_grow((void **)&g->p->strings, &g->cap.strings, (size_t)off + len + 1, 1) != 0) { oom(g); return 0; }
    memcpy(g->p->strings + off, s, len + 1);
    g->p->nstrings = off + (uint32_t)len + 1;
    return off;
}

/* Constants are deduplicated: flows repeat the same literals a lot. */
uint32_t cg_const(cg *g, const vt_pconst *k) {
    for (uint32_t i = 0; i < g->p->nconsts; i++) {
        const vt_pconst *c = &g->p->consts[i];
        if (c->type != k->type || c->i != k->i || memcmp(c->cur, k->cur, 4) != 0 || c->slen != k->slen) continue;
        if (k->type == VT_V_NUMBER && memcmp(&c->d, &k->d, sizeof c->d) != 0) continue;
        if (k->type == VT_V_TEXT && memcmp(g->p->strings + c->s, g->p->strings + k->s, k->slen) != 0) continue;
        return i;
    }
    vt_pconst *c = CG_PUSH(g, consts);
    if (!c) return 0;
    *c = *k;
    return g->p->nconsts - 1;
}

uint32_t cg_const_int(cg *g, int type, int64_t v) {
    vt_pconst k = {0};
    k.type = type;
    k.i = v;
    return cg_const(g, &k);
}

uint32_t cg_const_text(cg *g, const char *s) {
    vt_pconst k = {0};
    k.type = VT_V_TEXT;
    k.slen = (uint32_t)strlen(s);
    /* Reuse an equal string already in a text constant. */
    for (uint32_t i = 0; i < g->p->nconsts; i++) {
        const vt_pconst *c = &g->p->consts[i];
        if (c->type == VT_V_TEXT && c->slen == k.slen && memcmp(g->p->strings + c->s, s, k.slen) == 0) return i;
    }
    k.s = cg_str(g, s);
    return cg_const(g, &k);
}

/* ---- code emission ---- */

static void note_line(cg *g, uint32_t pc) {
    if (!g->u->sources || g->cur_span.file >= g->u->sources->n) return;
    uint32_t line = 0, col = 0;
    vt_sources_linecol(g->u->sources, g->cur_span.file, g->cur_span.start, &line, &col);
    if (g->p->nlines && g->p->lines[g->p->nlines - 1].line == line) return;
    vt_pline *l = CG_PUSH(g, lines);
    if (l) { l->pc = pc; l->line = line; }
}

uint32_t cg_emit(cg *g, vt_opcode op, uint32_t a, uint32_t b, uint32_t c) {
    uint32_t pc = g->p->ncode;
    unsigned n = vt_opinfo_table[op].nops;
    if (g->err) return pc;
    if (vt_grow((void **)&g->p->code, &g->cap.code, (size_t)pc + 1 + n, sizeof(uint32_t)) != 0) { oom(g); return pc; }
    note_line(g, pc);
    g->p->code[pc] = op;
    uint32_t ops[3] = {a, b, c};
    for (unsigned i = 0; i < n; i++) g->p->code[pc + 1 + i] = ops[i];
    g->p->ncode = pc + 1 + n;
    return pc;
}

/* Sets operand `which` (0-based) of the instruction at pc to the current end of code. */
void cg_patch_here(cg *g, uint32_t pc, unsigned which) {
    if (g->err) return;
    g->p->code[pc + 1 + which] = g->p->ncode;
}

int cg_fn_begin(cg *g, vt_fn_kind kind) {
    vt_pfn *f = CG_PUSH(g, fns);
    if (!f) return -1;
    f->start = g->p->ncode;
    f->kind = kind;
    f->wf = g->cur_wf;
    return (int)(g->p->nfns - 1);
}

void cg_fn_end(cg *g, int fn) {
    if (g->err || fn < 0) return;
    g->p->fns[fn].len = g->p->ncode - g->p->fns[fn].start;
}

/* A condition as a function of its own (RET leaves its value). */
int cg_cond_fn(cg *g, vt_expr *e) {
    if (!e) return -1;
    int fn = cg_fn_begin(g, VT_FN_COND);
    cg_expr(g, e);
    cg_emit(g, VT_I_RET, 0, 0, 0);
    cg_fn_end(g, fn);
    return fn;
}

/* History `where` filters are functions too; they are queued while another function is
 * being emitted and compiled after it, so code ranges never interleave. */
void cg_flush_pending(cg *g) {
    while (g->npending && !g->err) {
        cg_pending pd = g->pending[--g->npending];
        int saved = g->cur_wf;
        g->cur_wf = -1;
        int fn = cg_cond_fn(g, pd.where);
        g->cur_wf = saved;
        if (!g->err) g->p->hists[pd.hist].where_fn = fn;
    }
}

/* ---- declarations ---- */

int cg_vtype(vt_type_kind k) {
    switch (k) {
    case VT_T_BOOL: return VT_V_BOOL;
    case VT_T_INT: return VT_V_INT;
    case VT_T_NUMBER: return VT_V_NUMBER;
    case VT_T_MONEY: return VT_V_MONEY;
    case VT_T_TEXT: return VT_V_TEXT;
    case VT_T_TIME: return VT_V_TIME;
    case VT_T_DURATION: return VT_V_DURATION;
    case VT_T_TEAM: return VT_V_TEAM;
    default: return VT_V_NULL;
    }
}

int64_t cg_const_dur(cg *g, vt_expr *e) {
    if (!e) return 0;
    if (e->kind == VT_E_DURATION) return e->u.dur.seconds;
    if (e->kind == VT_E_INT) return e->u.i;
    cg_fail(g, e->span, "a duration here must be written as a literal such as 7d or 4h");
    return 0;
}

/* A literal as a constant (defaults, range ends). */
int32_t cg_literal(cg *g, vt_expr *e) {
    if (!e) return -1;
    vt_pconst k = {0};
    switch (e->kind) {
    case VT_E_BOOL: k.type = VT_V_BOOL; k.i = e->u.b; break;
    case VT_E_INT: k.type = VT_V_INT; k.i = e->u.i; break;
    case VT_E_NUMBER: k.type = VT_V_NUMBER; k.d = e->u.num.v; break;
    case VT_E_MONEY: k.type = VT_V_MONEY; k.i = e->u.money.minor; memcpy(k.cur, e->u.money.currency, 4); break;
    case VT_E_DURATION: k.type = VT_V_DURATION; k.i = e->u.dur.seconds; break;
    case VT_E_TIMESTAMP: k.type = VT_V_TIME; k.i = cg_timestamp(g, e); break;
    case VT_E_STRING: {
        if (e->u.str.nparts == 0) return (int32_t)cg_const_text(g, "");
        if (e->u.str.nparts == 1 && !e->u.str.parts[0].is_field) return (int32_t)cg_const_text(g, e->u.str.parts[0].text);
        cg_fail(g, e->span, "a default value cannot interpolate fields");
        return -1;
    }
    case VT_E_UNARY:
        if (e->u.unary.op == VT_OP_NEG && e->u.unary.e->kind == VT_E_INT) { k.type = VT_V_INT; k.i = -e->u.unary.e->u.i; break; }
        /* fallthrough */
    default:
        cg_fail(g, e->span, "a default value must be a literal");
        return -1;
    }
    return (int32_t)cg_const(g, &k);
}

int64_t cg_timestamp(cg *g, vt_expr *e) {
    int64_t t = e->u.ts.unix_s;
    if (!e->u.ts.has_zone && g->tz) t = vt_tz_from_local(g->tz, t);
    return t;
}

static void fill_field(cg *g, vt_pfield *f, const vt_field_decl *d) {
    f->name = cg_str(g, d->name.text);
    f->type = cg_vtype(d->type.kind);
    f->key = d->key;
    f->has_range = d->type.has_range;
    if (d->type.has_range) {
        if (d->type.lo && d->type.lo->kind == VT_E_INT) f->lo = d->type.lo->u.i;
        if (d->type.hi && d->type.hi->kind == VT_E_INT) f->hi = d->type.hi->u.i;
        if (d->type.lo && d->type.lo->kind == VT_E_UNARY && d->type.lo->u.unary.e->kind == VT_E_INT)
            f->lo = -d->type.lo->u.unary.e->u.i;
    }
    f->def = cg_literal(g, d->def);
}

static int32_t decl_index(const vt_decl *d) { return d ? (int32_t)d->index : -1; }

static int32_t event_of(const vt_name *name, const vt_decl *d) {
    if (d) return (int32_t)d->index;
    if (name->text && strcmp(name->text, "created") == 0) return VT_EV_CREATED;
    return VT_EV_ANY;
}

static void gen_schema(cg *g) {
    vt_unit *u = g->u;
    vt_program *p = g->p;
    p->flow_name = cg_str(g, u->flow ? u->flow->u.flow.name : "");
    p->version = u->flow ? u->flow->u.flow.version : 0;
    p->timezone = cg_str(g, u->timezone ? u->timezone->u.timezone.zone : "UTC");
    if (u->contact)
        for (uint32_t i = 0; i < u->contact->u.contact.n; i++) {
            vt_pfield *f = CG_PUSH(g, fields);
            if (f) fill_field(g, f, u->contact->u.contact.fields[i]);
        }
    for (uint32_t i = 0; i < u->events.n; i++) {
        vt_decl *d = u->events.items[i];
        vt_pevent *ev = CG_PUSH(g, events);
        if (!ev) return;
        ev->name = cg_str(g, d->name.text);
        ev->first_field = p->nefields;
        ev->nfields = d->u.event.n;
        ev->weak = d->u.event.weak;
        for (uint32_t j = 0; j < d->u.event.n; j++) {
            vt_pfield *f = CG_PUSH(g, efields);
            if (f) fill_field(g, f, d->u.event.fields[j]);
        }
    }
    for (uint32_t i = 0; i < u->teams.n; i++) {
        vt_decl *d = u->teams.items[i];
        vt_pteam *t = CG_PUSH(g, teams);
        if (!t) return;
        t->name = cg_str(g, d->name.text);
        t->escalates = decl_index(d->u.team.escalates_decl);
    }
    for (uint32_t i = 0; i < u->channels.n; i++) {
        vt_decl *d = u->channels.items[i];
        vt_pchan *c = CG_PUSH(g, chans);
        if (!c) return;
        c->name = cg_str(g, d->name.text);
        c->consent = d->u.channel.requires.text ? d->u.channel.requires_index : -1;
        c->cap = d->u.channel.has_cap ? (int32_t)d->u.channel.cap_count : 0;
        c->cap_per = d->u.channel.has_cap ? cg_const_dur(g, d->u.channel.cap_per) : 0;
        c->quiet_from = d->u.channel.has_quiet ? d->u.channel.quiet_from : -1;
        c->quiet_to = d->u.channel.has_quiet ? d->u.channel.quiet_to : -1;
        c->first_window = p->nwindows;
        c->nwindows = d->u.channel.nwindows;
        for (uint32_t j = 0; j < d->u.channel.nwindows; j++) {
            vt_pwindow *w = CG_PUSH(g, windows);
            if (!w) return;
            const vt_window *s = &d->u.channel.windows[j];
            w->day_from = s->day_from; w->day_to = s->day_to; w->open = s->open; w->close = s->close;
        }
    }
    for (uint32_t i = 0; i < u->lifecycles.n; i++) {
        vt_decl *d = u->lifecycles.items[i];
        vt_plc *l = CG_PUSH(g, lcs);
        if (!l) return;
        l->name = cg_str(g, d->name.text);
        l->first_state = p->nstates;
        l->nstates = d->u.lifecycle.n;
        l->initial = 0;
        for (uint32_t j = 0; j < d->u.lifecycle.n; j++) {
            vt_state_decl *s = d->u.lifecycle.states[j];
            vt_pstate *st = CG_PUSH(g, states);
            if (!st) return;
            st->name = cg_str(g, s->name.text);
            st->label = s->label ? cg_str(g, s->label) : VT_NONE;
            st->owner = decl_index(s->owner_decl);
            st->final = s->final;
            if (s->initial) p->lcs[p->nlcs - 1].initial = (int32_t)j;
        }
    }
}

static void gen_rules(cg *g) {
    for (uint32_t i = 0; i < g->u->rules.n && !g->err; i++) {
        vt_decl *d = g->u->rules.items[i];
        g->cur_span = d->span;
        vt_prule r = {event_of(&d->u.on.event, d->u.on.event_decl), 0};
        g->cur_event = d->u.on.event_decl;
        int fn = cg_fn_begin(g, VT_FN_RULE);
        uint32_t skip = VT_NONE;
        if (d->u.on.where) {
            cg_expr(g, d->u.on.where);
            skip = cg_emit(g, VT_I_JFALSE, 0, 0, 0);
        }
        cg_block(g, &d->u.on.body);
        if (skip != VT_NONE) cg_patch_here(g, skip, 0);
        cg_emit(g, VT_I_END, 0, 0, 0);
        cg_fn_end(g, fn);
        r.fn = fn;
        vt_prule *pr = CG_PUSH(g, rules);
        if (pr) *pr = r;
        g->cur_event = NULL;
        cg_flush_pending(g);
    }
}

static void gen_named(cg *g, vt_list *l, int truth) {
    for (uint32_t i = 0; i < l->n && !g->err; i++) {
        vt_decl *d = l->items[i];
        g->cur_span = d->span;
        int fn = cg_cond_fn(g, d->u.truth.cond);
        vt_pnamed *n = truth ? CG_PUSH(g, truths) : CG_PUSH(g, segments);
        if (!n) return;
        n->name = cg_str(g, d->name.text);
        n->fn = fn;
        cg_flush_pending(g);
    }
}

/* A trigger `on NAME` whose NAME is no event names a truth (the resolver checked it):
 * inside a template instance the instance's own truth comes first, as in resolution. */
static int32_t truth_event(cg *g, const char *name, const char *prefix) {
    vt_decl *d = NULL;
    if (prefix) {
        char *full = vt_arena_printf(&g->u->arena, "%s.%s", prefix, name);
        if (full) d = vt_unit_find(g->u, VT_D_TRUTH, full);
    }
    if (!d) d = vt_unit_find(g->u, VT_D_TRUTH, name);
    return d ? VT_EV_TRUTH(d->index) : VT_EV_ANY;
}

static void gen_trigger(cg *g, const vt_trigger *t, vt_ptrig *pt, const char *prefix) {
    pt->kind = (int32_t)t->kind;
    pt->event = VT_EV_ANY;
    pt->lc = pt->state = pt->fn = -1;
    g->cur_event = NULL;
    switch (t->kind) {
    case VT_TR_ON_EVENT:
        pt->event = event_of(&t->event, t->event_decl);
        if (pt->event == VT_EV_ANY && t->event.text) pt->event = truth_event(g, t->event.text, prefix);
        g->cur_event = t->event_decl;
        break;
    case VT_TR_ENTER:
        pt->lc = decl_index(t->state_lifecycle);
        pt->state = t->state_index;
        break;
    case VT_TR_CALENDAR:
        pt->cal = (int32_t)t->cal; pt->month = t->month; pt->day = t->day;
        pt->weekday = t->weekday; pt->minutes = t->minutes < 0 ? 0 : t->minutes;
        break;
    default: break;
    }
    pt->fn = cg_cond_fn(g, t->cond);
    g->cur_event = NULL;
}

static void gen_transitions(cg *g) {
    for (uint32_t i = 0; i < g->u->transitions.n && !g->err; i++) {
        vt_decl *d = g->u->transitions.items[i];
        g->cur_span = d->span;
        vt_ptrans t = {0};
        t.lc = decl_index(d->u.transition.lifecycle);
        t.from = d->u.transition.from_any ? -1 : d->u.transition.from_index;
        t.to = d->u.transition.to_index;
        const vt_trigger *tr = &d->u.transition.trigger;
        t.kind = (int32_t)tr->kind;
        t.event = VT_EV_ANY;
        t.fn = -1;
        if (tr->kind == VT_TR_AFTER) t.dur = cg_const_dur(g, tr->dur);
        else {
            vt_ptrig tmp;
            gen_trigger(g, tr, &tmp, d->prefix);
            t.event = tmp.event;
            t.fn = tmp.fn;
        }
        vt_ptrans *pt = CG_PUSH(g, trans);
        if (pt) *pt = t;
        cg_flush_pending(g);
    }
}

static void gen_workflows(cg *g) {
    for (uint32_t i = 0; i < g->u->workflows.n && !g->err; i++) {
        vt_decl *d = g->u->workflows.items[i];
        g->cur_span = d->span;
        g->cur_wf = (int32_t)i;
        vt_pwf w = {0};
        w.name = cg_str(g, d->name.text);
        w.owner = decl_index(d->u.workflow.owner_decl);
        w.reenroll = (int32_t)d->u.workflow.reenroll;
        if (d->u.workflow.reenroll == VT_REENROLL_AFTER) w.reenroll_after = cg_const_dur(g, d->u.workflow.reenroll_after);
        w.first_trig = g->p->ntrigs;
        w.goal_fn = w.goal_event = -1;
        for (int role = 0; role < 2; role++) {
            vt_trigger **ts = role ? d->u.workflow.exits : d->u.workflow.enroll;
            uint32_t n = role ? d->u.workflow.nexits : d->u.workflow.nenroll;
            for (uint32_t j = 0; j < n && !g->err; j++) {
                vt_ptrig pt = {0};
                gen_trigger(g, ts[j], &pt, d->prefix);
                pt.wf = (int32_t)i;
                pt.role = role;
                vt_ptrig *dst = CG_PUSH(g, trigs);
                if (dst) *dst = pt;
                cg_flush_pending(g);
            }
        }
        w.ntrig = g->p->ntrigs - w.first_trig;
        vt_expr *goal = d->u.workflow.goal;
        if (goal) {
            w.goal_within = cg_const_dur(g, d->u.workflow.goal_within);
            if (goal->kind == VT_E_NAME && goal->u.name.ref == VT_REF_EVENT)
                w.goal_event = cg_hist_simple(g, VT_H_LASTSEQ, (int32_t)goal->u.name.decl->index);
            else
                w.goal_fn = cg_cond_fn(g, goal);
            cg_flush_pending(g);
        }
        g->nrep = 0;
        g->step_counter = 0;
        int fn = cg_fn_begin(g, VT_FN_STEPS);
        w.steps_fn = fn;
        cg_block(g, &d->u.workflow.steps);
        cg_emit(g, VT_I_DONE, 0, 0, 0);
        cg_fn_end(g, fn);
        w.nrep = g->nrep;
        cg_flush_pending(g);
        vt_pwf *pw = CG_PUSH(g, wfs);
        if (pw) *pw = w;
        g->cur_wf = -1;
    }
}

/* FNV-1a over every source text: the program's source hash. */
static void source_hash(cg *g) {
    uint64_t h = 1469598103934665603ULL;
    if (g->u->sources)
        for (size_t i = 0; i < g->u->sources->n; i++) {
            const vt_source *s = &g->u->sources->v[i];
            for (uint32_t j = 0; j < s->len; j++) { h ^= (unsigned char)s->text[j]; h *= 1099511628211ULL; }
            h ^= 0xff; h *= 1099511628211ULL;
        }
    snprintf(g->p->hash, sizeof g->p->hash, "%016llx", (unsigned long long)h);
}

vt_program *vt_codegen(vt_unit *u, char **error) {
    cg g;
    memset(&g, 0, sizeof g);
    g.u = u;
    g.cur_wf = -1;
    g.p = vt_calloc(1, sizeof *g.p);
    if (!g.p) { if (error) *error = vt_msg("out of memory while compiling"); return NULL; }
    const char *zone = u->timezone ? u->timezone->u.timezone.zone : "UTC";
    g.tz = vt_tz_load(zone);
    if (!g.tz) { if (error) *error = vt_msg("unknown time zone \"%s\"", zone); vt_program_free(g.p); return NULL; }
    cg_str(&g, "");     /* offset 0 is the empty string */
    source_hash(&g);
    gen_schema(&g);
    gen_rules(&g);
    gen_named(&g, &u->truths, 1);
    gen_named(&g, &u->segments, 0);
    gen_transitions(&g);
    gen_workflows(&g);
    vt_tz_free(g.tz);
    vt_free(g.pending);
    vt_free(g.seen);
    if (g.err) {
        if (error) *error = vt_msg("%s", g.msg);
        vt_program_free(g.p);
        return NULL;
    }
    return g.p;
}
