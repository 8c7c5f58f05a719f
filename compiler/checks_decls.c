/* Declaration checks: segments that never change behaviour and identical split arms
 * (V003), states without an owner (V008), channels without consent (V009), unused
 * declarations (V012), and segments or truths with the same condition (V013). */
#include "analysis_int.h"
#include "../common/mem.h"
#include <stdlib.h>
#include <string.h>

/* ---- a set of declarations (open addressing over pointers) ---------------------- */

typedef struct dset {
    const vt_decl **v;
    size_t cap, n;
} dset;

static size_t ptr_hash(const void *p) { return (size_t)(((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ull); }

static int dset_has(const dset *s, const vt_decl *d) {
    if (!s->cap || !d) return 0;
    for (size_t i = ptr_hash(d) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        if (!s->v[i]) return 0;
        if (s->v[i] == d) return 1;
    }
}

/* Returns 1 when newly added, 0 when present, -1 on OOM. */
static int dset_add(vt_an *an, dset *s, const vt_decl *d) {
    if (!d) return 0;
    if (dset_has(s, d)) return 0;
    if ((s->n + 1) * 2 > s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 256;
        const vt_decl **nv = vt_arena_alloc(&an->arena, ncap * sizeof *nv);
        if (!nv) { an->oom = 1; return -1; }
        for (size_t k = 0; k < s->cap; k++) {
            if (!s->v[k]) continue;
            size_t i = ptr_hash(s->v[k]) & (ncap - 1);
            while (nv[i]) i = (i + 1) & (ncap - 1);
            nv[i] = s->v[k];
        }
        s->v = nv;
        s->cap = ncap;
    }
    size_t i = ptr_hash(d) & (s->cap - 1);
    while (s->v[i]) i = (i + 1) & (s->cap - 1);
    s->v[i] = d;
    s->n++;
    return 1;
}

/* ---- what is used (V012) --------------------------------------------------------- */

static void use_expr(vt_an *an, dset *used, const vt_expr *e);

static void use_block(vt_an *an, dset *used, const vt_block *b);

static void use_trigger(vt_an *an, dset *used, const vt_trigger *t) {
    if (!t) return;
    dset_add(an, used, t->event_decl);
    if (!t->event_decl && t->event.text) {   /* a truth's rising edge used as a trigger */
        vt_decl *d = vt_unit_find(an->u, VT_D_TRUTH, t->event.text);
        dset_add(an, used, d);
    }
    use_expr(an, used, t->cond);
    use_expr(an, used, t->dur);
}

static void use_expr(vt_an *an, dset *used, const vt_expr *e) {
    if (!e) return;
    switch (e->kind) {
    case VT_E_NAME: dset_add(an, used, e->u.name.decl); break;
    case VT_E_LIST:
        for (uint32_t i = 0; i < e->u.list.n; i++) use_expr(an, used, e->u.list.items[i]);
        break;
    case VT_E_UNARY: use_expr(an, used, e->u.unary.e); break;
    case VT_E_BINARY:
        use_expr(an, used, e->u.bin.l);
        use_expr(an, used, e->u.bin.r);
        break;
    case VT_E_IS: use_expr(an, used, e->u.is.lifecycle); break;
    case VT_E_IN:
        use_expr(an, used, e->u.in.e);
        use_expr(an, used, e->u.in.list);
        break;
    case VT_E_HAS_TAG: use_expr(an, used, e->u.has_tag.tag); break;
    case VT_E_CALL:
        dset_add(an, used, e->u.call.decl);
        for (uint32_t i = 0; i < e->u.call.nargs; i++) use_expr(an, used, e->u.call.args[i]);
        break;
    case VT_E_AGGREGATE: case VT_E_LAST_FIRST: case VT_E_SINCE: case VT_E_WITHIN: case VT_E_NO_FOR:
        dset_add(an, used, e->u.hist.event_decl);
        use_expr(an, used, e->u.hist.where);
        use_expr(an, used, e->u.hist.within);
        break;
    default: break;
    }
}

static void use_stmt(vt_an *an, dset *used, const vt_stmt *s) {
    switch (s->kind) {
    case VT_S_SET: case VT_S_ADD: use_expr(an, used, s->u.set.value); break;
    case VT_S_TAG: case VT_S_UNTAG: use_expr(an, used, s->u.tag.tag); break;
    case VT_S_IF:
        for (uint32_t i = 0; i < s->u.if_.narms; i++) {
            use_expr(an, used, s->u.if_.arms[i].cond);
            use_block(an, used, &s->u.if_.arms[i].body);
        }
        break;
    case VT_S_SEND:
        dset_add(an, used, s->u.send.channel_decl);
        use_expr(an, used, s->u.send.template_);
        break;
    case VT_S_TASK: case VT_S_NOTIFY:
        dset_add(an, used, s->u.task.to.team_decl);
        use_expr(an, used, s->u.task.text);
        use_expr(an, used, s->u.task.due);
        break;
    case VT_S_ESCALATE: use_expr(an, used, s->u.escalate.text); break;
    case VT_S_ASSIGN: dset_add(an, used, s->u.assign.team_decl); break;
    case VT_S_MOVE: dset_add(an, used, s->u.move.lifecycle); break;
    case VT_S_WAIT: use_expr(an, used, s->u.wait.dur); break;
    case VT_S_WAIT_UNTIL:
        use_expr(an, used, s->u.wait_until.cond);
        use_expr(an, used, s->u.wait_until.dur);
        use_block(an, used, &s->u.wait_until.else_);
        break;
    case VT_S_REPEAT: use_block(an, used, &s->u.repeat.body); break;
    case VT_S_SPLIT:
        for (uint32_t i = 0; i < s->u.split.narms; i++) use_block(an, used, &s->u.split.arms[i].body);
        break;
    case VT_S_T_CONTACT:
        for (uint32_t i = 0; i < s->u.t_contact.nfields; i++) use_expr(an, used, s->u.t_contact.fields[i]->value);
        break;
    case VT_S_T_EVENT:
        use_expr(an, used, s->u.t_event.at);
        for (uint32_t i = 0; i < s->u.t_event.nfields; i++) use_expr(an, used, s->u.t_event.fields[i]->value);
        break;
    case VT_S_T_ADVANCE: use_expr(an, used, s->u.t_advance.dur); break;
    case VT_S_T_EXPECT:
        use_expr(an, used, s->u.t_expect.cond);
        use_expr(an, used, s->u.t_expect.template_);
        if (s->u.t_expect.channel.text) dset_add(an, used, vt_unit_find(an->u, VT_D_CHANNEL, s->u.t_expect.channel.text));
        break;
    default: break;
    }
}

static void use_block(vt_an *an, dset *used, const vt_block *b) {
    for (uint32_t i = 0; i < b->n; i++) use_stmt(an, used, b->items[i]);
}

static void use_decl(vt_an *an, dset *used, const vt_decl *d) {
    switch (d->kind) {
    case VT_D_TEAM: dset_add(an, used, d->u.team.escalates_decl); break;
    case VT_D_ON:
        dset_add(an, used, d->u.on.event_decl);
        use_expr(an, used, d->u.on.where);
        use_block(an, used, &d->u.on.body);
        break;
    case VT_D_TRUTH: case VT_D_SEGMENT: use_expr(an, used, d->u.truth.cond); break;
    case VT_D_LIFECYCLE:
        for (uint32_t i = 0; i < d->u.lifecycle.n; i++) dset_add(an, used, d->u.lifecycle.states[i]->owner_decl);
        break;
    case VT_D_TRANSITION: use_trigger(an, used, &d->u.transition.trigger); break;
    case VT_D_WORKFLOW:
        dset_add(an, used, d->u.workflow.owner_decl);
        for (uint32_t i = 0; i < d->u.workflow.nenroll; i++) use_trigger(an, used, d->u.workflow.enroll[i]);
        for (uint32_t i = 0; i < d->u.workflow.nexits; i++) use_trigger(an, used, d->u.workflow.exits[i]);
        use_expr(an, used, d->u.workflow.goal);
        use_block(an, used, &d->u.workflow.steps);
        break;
    case VT_D_USE:
        dset_add(an, used, d->u.use.template_decl);
        for (uint32_t i = 0; i < d->u.use.nargs; i++) use_expr(an, used, d->u.use.args[i]->value);
        break;
    case VT_D_TEST: use_block(an, used, &d->u.test.body); break;
    default: break;
    }
}

static const vt_list *lists_of(vt_unit *u, int k) {
    const vt_list *all[] = {&u->teams, &u->rules, &u->truths, &u->segments, &u->lifecycles, &u->transitions,
                            &u->workflows, &u->uses, &u->tests};
    return k < (int)(sizeof all / sizeof all[0]) ? all[k] : NULL;
}

/* Declarations that act by being there (or are the input schema): importing a module
 * that holds one is a use of the import. */
static int acts_by_itself(vt_decl_kind k) {
    switch (k) {
    case VT_D_TRUTH: case VT_D_SEGMENT: case VT_D_TEAM: case VT_D_CHANNEL: case VT_D_EXTERN:
    case VT_D_TEMPLATE: case VT_D_IMPORT: case VT_D_FLOW: case VT_D_TIMEZONE:
        return 0;
    default: return 1;
    }
}

static int module_used(const dset *used, const vt_module *m) {
    if (!m) return 1;
    for (uint32_t i = 0; i < m->ndecls; i++)
        if (acts_by_itself(m->decls[i]->kind) || dset_has(used, m->decls[i])) return 1;
    return 0;
}

static void check_unused(vt_an *an) {
    vt_unit *u = an->u;
    dset used = {0};
    const vt_list *l;
    for (int k = 0; (l = lists_of(u, k)) != NULL; k++)
        for (uint32_t i = 0; i < l->n; i++) use_decl(an, &used, l->items[i]);
    if (an->oom || !u->nmodules) return;
    const vt_module *root = u->modules[0];
    for (uint32_t i = 0; i < root->ndecls; i++) {
        const vt_decl *d = root->decls[i];
        if (d->prefix) continue;
        const char *what = NULL, *hint = NULL;
        switch (d->kind) {
        case VT_D_TRUTH: what = "truth"; hint = "use it in a transition, enrollment or condition, or remove it"; break;
        case VT_D_TEAM: what = "team"; hint = "make it the owner of a state or workflow, or remove it"; break;
        case VT_D_CHANNEL: what = "channel"; hint = "send on it from a workflow, or remove it"; break;
        case VT_D_EXTERN: what = "extern function"; hint = "call it in a condition, or remove it"; break;
        case VT_D_TEMPLATE: what = "template"; hint = "instantiate it with `use`, or remove it"; break;
        case VT_D_IMPORT:
            if (module_used(&used, d->u.import.module)) continue;
            vt_diag *g = vt_an_report(an, VT_V012, d->span, "import `%s` is never used: nothing it declares is used",
                                      d->u.import.path ? d->u.import.path : "");
            vt_diag_hint(g, u->diags, "remove the import");
            continue;
        default: continue;
        }
        if (dset_has(&used, d)) continue;
        vt_diag *g = vt_an_report(an, VT_V012, d->name.span, "%s `%s` is declared but never used", what,
                                  d->name.text ? d->name.text : "");
        vt_diag_hint(g, u->diags, "%s", hint);
    }
}

/* ---- V003: segments that never change behaviour ---------------------------------- */

typedef struct seg_ctx {
    vt_an *an;
    dset effective;             /* segments used in a decision that can go both ways */
    dset referenced;            /* segments mentioned anywhere outside tests */
    struct { const vt_decl *seg; const vt_stmt *site; } *sites;   /* uniform `if`s testing a segment */
    size_t nsites, csites;
} seg_ctx;

static void seg_expr(seg_ctx *c, const vt_expr *e, int effective);

static void seg_name(seg_ctx *c, const vt_decl *d, int effective) {
    if (!d) return;
    if (d->kind == VT_D_SEGMENT) dset_add(c->an, &c->referenced, d);
    if (!effective) return;
    if (d->kind == VT_D_SEGMENT) {
        if (dset_add(c->an, &c->effective, d) != 1) return;   /* already walked */
        seg_expr(c, d->u.truth.cond, 1);
    }
}

static void seg_expr(seg_ctx *c, const vt_expr *e, int effective) {
    if (!e) return;
    switch (e->kind) {
    case VT_E_NAME:
        if (e->u.name.ref == VT_REF_SEGMENT) seg_name(c, e->u.name.decl, effective);
        break;
    case VT_E_LIST:
        for (uint32_t i = 0; i < e->u.list.n; i++) seg_expr(c, e->u.list.items[i], effective);
        break;
    case VT_E_UNARY: seg_expr(c, e->u.unary.e, effective); break;
    case VT_E_BINARY:
        seg_expr(c, e->u.bin.l, effective);
        seg_expr(c, e->u.bin.r, effective);
        break;
    case VT_E_IN:
        seg_expr(c, e->u.in.e, effective);
        seg_expr(c, e->u.in.list, effective);
        break;
    case VT_E_CALL:
        for (uint32_t i = 0; i < e->u.call.nargs; i++) seg_expr(c, e->u.call.args[i], effective);
        break;
    case VT_E_AGGREGATE: case VT_E_LAST_FIRST: case VT_E_SINCE: case VT_E_WITHIN: case VT_E_NO_FOR:
        seg_expr(c, e->u.hist.where, effective);
        break;
    default: break;
    }
}

static int if_uniform(const vt_stmt *s, int *oom) {
    uint32_t n = s->u.if_.narms;
    if (n == 0) return 1;
    vt_block empty = {0};
    for (uint32_t i = 1; i < n; i++)
        if (!vt_canon_block_equal(&s->u.if_.arms[0].body, &s->u.if_.arms[i].body, oom)) return 0;
    return s->u.if_.arms[n - 1].cond == NULL || vt_canon_block_equal(&s->u.if_.arms[0].body, &empty, oom);
}

static void note_uniform(seg_ctx *c, const vt_expr *e, const vt_stmt *site) {
    if (!e) return;
    if (e->kind == VT_E_NAME && e->u.name.ref == VT_REF_SEGMENT && e->u.name.decl) {
        if (VT_GROW(c->sites, c->csites, c->nsites + 1) < 0) { c->an->oom = 1; return; }
        c->sites[c->nsites].seg = e->u.name.decl;
        c->sites[c->nsites++].site = site;
        return;
    }
    if (e->kind == VT_E_UNARY) note_uniform(c, e->u.unary.e, site);
    if (e->kind == VT_E_BINARY) {
        note_uniform(c, e->u.bin.l, site);
        note_uniform(c, e->u.bin.r, site);
    }
}

static void seg_block(seg_ctx *c, const vt_block *b);

static void seg_stmt(seg_ctx *c, const vt_stmt *s) {
    switch (s->kind) {
    case VT_S_SET: case VT_S_ADD: seg_expr(c, s->u.set.value, 1); break;
    case VT_S_IF: {
        int uniform = if_uniform(s, &c->an->oom);
        for (uint32_t i = 0; i < s->u.if_.narms; i++) {
            seg_expr(c, s->u.if_.arms[i].cond, !uniform);
            if (uniform) note_uniform(c, s->u.if_.arms[i].cond, s);
            seg_block(c, &s->u.if_.arms[i].body);
        }
        break;
    }
    case VT_S_WAIT_UNTIL:
        seg_expr(c, s->u.wait_until.cond, 1);
        seg_block(c, &s->u.wait_until.else_);
        break;
    case VT_S_REPEAT: seg_block(c, &s->u.repeat.body); break;
    case VT_S_SPLIT: {
        uint32_t n = s->u.split.narms;
        int same = n >= 2;
        for (uint32_t i = 1; i < n && same; i++)
            same = vt_canon_block_equal(&s->u.split.arms[0].body, &s->u.split.arms[i].body, &c->an->oom);
        if (same) {
            vt_diag *g = vt_an_report(c->an, VT_V003, s->span,
                                      "this split never changes behaviour: all its arms do exactly the same");
            vt_diag_hint(g, c->an->u->diags, "make the arms differ (that is what the split tests), or replace it "
                         "with the steps of one arm");
        }
        for (uint32_t i = 0; i < n; i++) seg_block(c, &s->u.split.arms[i].body);
        break;
    }
    default: break;
    }
}

static void seg_block(seg_ctx *c, const vt_block *b) {
    for (uint32_t i = 0; i < b->n; i++) seg_stmt(c, b->items[i]);
}

static void seg_trigger(seg_ctx *c, const vt_trigger *t) {
    if (t) seg_expr(c, t->cond, 1);
}

static void check_useless_segments(vt_an *an) {
    vt_unit *u = an->u;
    seg_ctx c = {.an = an};
    for (uint32_t i = 0; i < u->transitions.n; i++)
        seg_trigger(&c, &((vt_decl *)u->transitions.items[i])->u.transition.trigger);
    for (uint32_t i = 0; i < u->truths.n; i++) seg_expr(&c, ((vt_decl *)u->truths.items[i])->u.truth.cond, 1);
    for (uint32_t i = 0; i < u->rules.n; i++) {
        vt_decl *r = u->rules.items[i];
        seg_expr(&c, r->u.on.where, 1);
        seg_block(&c, &r->u.on.body);
    }
    for (uint32_t i = 0; i < u->workflows.n; i++) {
        vt_decl *w = u->workflows.items[i];
        for (uint32_t k = 0; k < w->u.workflow.nenroll; k++) seg_trigger(&c, w->u.workflow.enroll[k]);
        for (uint32_t k = 0; k < w->u.workflow.nexits; k++) seg_trigger(&c, w->u.workflow.exits[k]);
        seg_expr(&c, w->u.workflow.goal, 1);
        seg_block(&c, &w->u.workflow.steps);
    }
    /* Segments only used by other segments that are themselves useless are walked with
     * effective = 0 so that `referenced` knows about them. */
    for (uint32_t i = 0; i < u->segments.n; i++) seg_expr(&c, ((vt_decl *)u->segments.items[i])->u.truth.cond, 0);
    if (!an->oom && u->nmodules) {
        for (uint32_t i = 0; i < u->segments.n; i++) {
            vt_decl *d = u->segments.items[i];
            if (d->prefix || d->span.file != u->modules[0]->file || dset_has(&c.effective, d)) continue;
            const vt_stmt *site = NULL;
            for (size_t k = 0; k < c.nsites && !site; k++)
                if (c.sites[k].seg == d) site = c.sites[k].site;
            vt_diag *g;
            if (site) {
                g = vt_an_report(an, VT_V003, d->name.span,
                                 "segment `%s` never changes behaviour: every decision it takes part in does the "
                                 "same in all its branches",
                                 d->name.text);
                vt_diag_note(g, u->diags, site->span, "this `if` (line %u) does the same whichever way it goes",
                             vt_an_line(an, site->span));
                vt_diag_hint(g, u->diags, "make the branches differ, or remove the segment and the `if`");
            } else {
                g = vt_an_report(an, VT_V003, d->name.span,
                                 "segment `%s` never changes behaviour: no transition, enrollment, exit, goal or "
                                 "condition of a step uses it",
                                 d->name.text);
                vt_diag_hint(g, u->diags, "use it where it changes what the flow does (an enrollment `when`, a "
                             "transition, an `if`), or remove it");
            }
        }
    }
    vt_free(c.sites);
}

/* ---- V013: duplicate conditions ------------------------------------------------------ */

typedef struct cond_entry {
    vt_decl *d;
    vt_fm *f;
    const char *sig;
    const char *canon;
} cond_entry;

static int cmp_entry(const void *a, const void *b) {
    const cond_entry *x = a, *y = b;
    int c = strcmp(x->sig, y->sig);
    if (c) return c;
    return x->d->span.start < y->d->span.start ? -1 : x->d->span.start > y->d->span.start;
}

static void check_duplicates_in(vt_an *an, const vt_list *l, const char *what) {
    vt_unit *u = an->u;
    cond_entry *v = vt_arena_alloc(&an->arena, (l->n + 1) * sizeof *v);
    if (!v) { an->oom = 1; return; }
    uint32_t n = 0;
    for (uint32_t i = 0; i < l->n; i++) {
        vt_decl *d = l->items[i];
        if (d->prefix || !u->nmodules || d->span.file != u->modules[0]->file) continue;
        vt_sbuf b = {0};
        vt_canon_expr(&b, d->u.truth.cond);
        v[n].d = d;
        v[n].f = vt_sat_compile(an->sat, d->u.truth.cond);
        v[n].sig = vt_sat_signature(an->sat, v[n].f);
        v[n].canon = b.oom ? NULL : vt_arena_strdup(&an->arena, vt_sbuf_str(&b));
        vt_sbuf_free(&b);
        if (!v[n].sig || !v[n].canon) { an->oom = 1; return; }
        n++;
    }
    qsort(v, n, sizeof *v, cmp_entry);
    for (uint32_t j = 0; j < n; j++) {
        /* compare with earlier declarations of the same signature, at most a few dozen */
        for (uint32_t i = j, tries = 0; i-- > 0 && tries < 32; tries++) {
            if (strcmp(v[i].sig, v[j].sig) != 0) break;
            int same = strcmp(v[i].canon, v[j].canon) == 0 || vt_sat_equivalent(an->sat, v[i].f, v[j].f) == VT_SAT_YES;
            if (!same) continue;
            vt_decl *first = v[i].d, *dup = v[j].d;
            if (first->span.start > dup->span.start) { vt_decl *t = first; first = dup; dup = t; }
            vt_diag *g = vt_an_report(an, VT_V013, dup->name.span, "%s `%s` has the same condition as `%s`: they hold "
                                      "for exactly the same contacts", what, dup->name.text, first->name.text);
            vt_diag_note(g, u->diags, first->name.span, "`%s` is declared at line %u", first->name.text,
                         vt_an_line(an, first->span));
            vt_diag_hint(g, u->diags, "keep one of them and use its name everywhere");
            break;
        }
    }
}

/* ---- driver ---------------------------------------------------------------------------- */

void vt_check_decls(vt_an *an) {
    vt_unit *u = an->u;
    for (uint32_t i = 0; i < u->channels.n; i++) {
        vt_decl *ch = u->channels.items[i];
        if (ch->u.channel.requires.text) continue;
        vt_diag *g = vt_an_report(an, VT_V009, ch->name.span,
                                  "channel `%s` has no consent requirement: messages would go out to contacts who "
                                  "never agreed to them",
                                  ch->name.text);
        vt_diag_hint(g, u->diags, "name the contact field that holds the consent: `channel %s requires consent_%s`",
                     ch->name.text, ch->name.text);
    }
    for (uint32_t i = 0; i < an->nlcs; i++) {
        vt_an_lc *lc = &an->lcs[i];
        for (uint32_t st = 0; st < lc->nstates; st++) {
            vt_state_decl *sd = lc->d->u.lifecycle.states[st];
            if (sd->final || sd->owner.text) continue;
            vt_diag *g = vt_an_report(an, VT_V008, sd->name.span,
                                      "state `%s` has no owner: a contact in it is nobody's responsibility",
                                      sd->name.text);
            vt_diag_hint(g, u->diags, "add `owner TEAM` to the state (`state %s owner sales`)", sd->name.text);
        }
    }
    check_unused(an);
    check_useless_segments(an);
    check_duplicates_in(an, &u->segments, "segment");
    check_duplicates_in(an, &u->truths, "truth");
}
