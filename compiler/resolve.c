/* Name resolution, driver: loads imports, collects every declaration into the unit's
 * tables (reporting duplicates), expands templates, then checks each declaration
 * (resolve_decls.c, resolve_stmts.c, types.c). */
#include "resolve_internal.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- symbol tables ---------------------------------------------------------- */

static uint32_t hash_str(const char *s) {
    uint32_t h = 2166136261u;     /* FNV-1a */
    while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

static vt_decl *sym_get(const vt_symtab *t, const char *key) {
    if (!t->cap || !key) return NULL;
    for (uint32_t i = hash_str(key) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        if (!t->keys[i]) return NULL;
        if (!strcmp(t->keys[i], key)) return t->vals[i];
    }
}

/* Inserts key -> d unless present; returns the decl already there, or NULL. */
static vt_decl *sym_put(vt_rctx *c, vt_symtab *t, const char *key, vt_decl *d) {
    vt_decl *old = sym_get(t, key);
    if (old) return old;
    if ((t->n + 1) * 2 > t->cap) {
        uint32_t ncap = t->cap ? t->cap * 2 : 32;
        const char **keys = vt_arena_alloc(c->a, ncap * sizeof *keys);
        vt_decl **vals = vt_arena_alloc(c->a, ncap * sizeof *vals);
        if (!keys || !vals) return NULL;
        for (uint32_t i = 0; i < t->cap; i++) {
            if (!t->keys[i]) continue;
            uint32_t j = hash_str(t->keys[i]) & (ncap - 1);
            while (keys[j]) j = (j + 1) & (ncap - 1);
            keys[j] = t->keys[i];
            vals[j] = t->vals[i];
        }
        t->keys = keys, t->vals = vals, t->cap = ncap;
    }
    uint32_t i = hash_str(key) & (t->cap - 1);
    while (t->keys[i]) i = (i + 1) & (t->cap - 1);
    t->keys[i] = key;
    t->vals[i] = d;
    t->n++;
    return NULL;
}

/* The -1 of vt_imap_get means absent. Sized once for n keys (no growth needed). */
static int imap_init(vt_rctx *c, vt_imap *m, uint32_t n) {
    uint32_t cap = 16;
    while (cap < n * 2 + 2) cap *= 2;
    m->keys = vt_arena_alloc(c->a, cap * sizeof *m->keys);
    m->vals = vt_arena_alloc(c->a, cap * sizeof *m->vals);
    m->cap = (m->keys && m->vals) ? cap : 0;
    m->n = 0;
    return m->cap ? 0 : -1;
}

static int imap_get(const vt_imap *m, const char *key) {
    if (!m->cap || !key) return -1;
    for (uint32_t i = hash_str(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->keys[i]) return -1;
        if (!strcmp(m->keys[i], key)) return m->vals[i];
    }
}

/* Sets key -> v (replacing). The map must have room (imap_init sized it). */
static void imap_set(vt_imap *m, const char *key, int v) {
    if (!m->cap || !key) return;
    uint32_t i = hash_str(key) & (m->cap - 1);
    while (m->keys[i] && strcmp(m->keys[i], key)) i = (i + 1) & (m->cap - 1);
    if (!m->keys[i]) m->n++;
    m->keys[i] = key;
    m->vals[i] = v;
}

static const char *ns_what[] = {
#define X(id, what) what,
    VT_NAMESPACES(X)
#undef X
};

vt_decl *vt_rs_lookup(vt_rctx *c, vt_ns ns, const char *name) {
    if (!name) return NULL;
    if (c->scope) {
        char buf[256];
        int n = snprintf(buf, sizeof buf, "%s.%s", c->scope, name);
        if (n > 0 && (size_t)n < sizeof buf) {
            vt_decl *d = sym_get(&c->ns[ns], buf);
            if (d) return d;
        }
    }
    return sym_get(&c->ns[ns], name);
}

void vt_rs_suggest_ns(vt_rctx *c, vt_suggest *s, vt_ns ns) {
    vt_symtab *t = &c->ns[ns];
    for (uint32_t i = 0; i < t->cap; i++) {
        if (!t->keys[i]) continue;
        const char *k = t->keys[i];
        /* Inside a template instance, its own names are offered without the prefix. */
        size_t pl = c->scope ? strlen(c->scope) : 0;
        if (pl && !strncmp(k, c->scope, pl) && k[pl] == '.') k += pl + 1;
        vt_suggest_add(s, k);
    }
}

/* ---- reporting -------------------------------------------------------------- */

vt_diag *vt_rs_report(vt_rctx *c, vt_code code, vt_span span, const char *fmt, ...) {
    vt_diags *d = c->u->diags;
    /* Only template instances repeat text already checked; elsewhere every place is
     * visited once, and scanning would make an error-laden file quadratic. */
    for (size_t i = 0; c->scope && i < d->n; i++)
        if (d->v[i].code == code && d->v[i].span.file == span.file && d->v[i].span.start == span.start &&
            d->v[i].span.end == span.end)
            return NULL;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (vt_code_default_severity(code) == VT_SEV_ERROR) c->errors++;
    return vt_diag_report(d, code, span, "%s", buf);
}

static void report_duplicate(vt_rctx *c, vt_decl *d, vt_decl *first, const char *what) {
    if (c->cur_use) {
        /* the second one comes from a template instance: the `use` is what to change */
        vt_decl *use = c->cur_use;
        if (c->cur_use_clashed) return;     /* one message per `use` */
        c->cur_use_clashed = true;
        vt_diag *g = vt_rs_report(c, VT_E021, use->span, "this `use` declares %s `%s`, which already exists", what,
                                  d->name.text);
        vt_diag_note(g, c->u->diags, first->name.text ? first->name.span : first->span, "first declared here");
        vt_diag_hint(g, c->u->diags, "give this instance its own prefix: use %s(...) as another_name",
                     use->u.use.template_name.text ? use->u.use.template_name.text : "NAME");
        return;
    }
    vt_diag *g = vt_rs_report(c, VT_E021, d->name.span, "%s `%s` is declared twice", what, d->name.text);
    vt_diag_note(g, c->u->diags, first->name.text ? first->name.span : first->span, "first declared here");
    vt_diag_hint(g, c->u->diags, "rename one of them, or remove the second declaration");
}

/* ---- usage ------------------------------------------------------------------ */

void vt_rs_mark_used(vt_rctx *c, vt_decl *d) {
    if (!d) return;
    d->used = true;
    int m = vt_mod_of_file(c, d->span.file);
    if (m > 0 && c->importers) {
        vt_list *imp = &c->importers[m];
        for (uint32_t i = 0; i < imp->n; i++) ((vt_decl *)imp->items[i])->used = true;
    }
}

/* ---- collection ------------------------------------------------------------- */

static void push(vt_rctx *c, vt_list *l, vt_decl *d) {
    if (vt_list_push(c->a, l, d) < 0) c->u->diags->oom = 1;
}

static void add_named(vt_rctx *c, vt_ns ns, vt_list *l, vt_decl *d) {
    push(c, l, d);
    if (!d->name.text) return;
    vt_decl *first = sym_put(c, &c->ns[ns], d->name.text, d);
    if (first) report_duplicate(c, d, first, vt_decl_kind_name(d->kind));
}

static int is_builtin_event(const char *n) { return n && !strcmp(n, "created"); }

static void collect(vt_rctx *c, vt_decl *d, bool root) {
    vt_unit *u = c->u;
    switch (d->kind) {
    case VT_D_FLOW:
        if (!root) break;   /* an imported module's header names nothing here */
        if (u->flow) {
            vt_diag *g = vt_rs_report(c, VT_E021, d->span, "the flow header is written twice");
            vt_diag_note(g, u->diags, u->flow->span, "first header here");
            vt_diag_hint(g, u->diags, "keep one `flow \"NAME\" version N` line");
        } else u->flow = d;
        break;
    case VT_D_TIMEZONE:
        if (!root) {        /* the root file decides the zone; without one, its modules' */
            if (!c->module_tz) c->module_tz = d;
            else if (!c->module_tz_other && strcmp(c->module_tz->u.timezone.zone, d->u.timezone.zone) != 0)
                c->module_tz_other = d;
            break;
        }
        if (u->timezone) {
            vt_diag *g = vt_rs_report(c, VT_E021, d->span, "the timezone is set twice");
            vt_diag_note(g, u->diags, u->timezone->span, "first set here");
        } else u->timezone = d;
        break;
    case VT_D_CONTACT:
        if (u->contact) {
            vt_diag *g = vt_rs_report(c, VT_E021, d->span, "the contact schema is declared twice");
            vt_diag_note(g, u->diags, u->contact->span, "first declared here");
            vt_diag_hint(g, u->diags, "declare every contact field in one `contact { }` block");
        } else u->contact = d;
        break;
    case VT_D_IMPORT: push(c, &u->imports, d); break;
    case VT_D_TEAM: add_named(c, NS_TEAM, &u->teams, d); break;
    case VT_D_EVENT:
        if (is_builtin_event(d->name.text)) {
            vt_diag *g = vt_rs_report(c, VT_E028, d->name.span, "`created` is a built-in event and cannot be declared");
            vt_diag_hint(g, u->diags, "use `on created`, `enroll on created` directly, or pick another name");
            break;
        }
        add_named(c, NS_EVENT, &u->events, d);
        break;
    case VT_D_CHANNEL: add_named(c, NS_CHANNEL, &u->channels, d); break;
    case VT_D_ON: push(c, &u->rules, d); break;
    case VT_D_TRUTH: add_named(c, NS_COND, &u->truths, d); break;
    case VT_D_SEGMENT: add_named(c, NS_COND, &u->segments, d); break;
    case VT_D_LIFECYCLE: add_named(c, NS_LIFECYCLE, &u->lifecycles, d); break;
    case VT_D_TRANSITION: push(c, &u->transitions, d); break;
    case VT_D_WORKFLOW: add_named(c, NS_WORKFLOW, &u->workflows, d); break;
    case VT_D_EXTERN: add_named(c, NS_EXTERN, &u->externs, d); break;
    case VT_D_TEMPLATE: add_named(c, NS_TEMPLATE, &u->templates, d); break;
    case VT_D_USE: push(c, &u->uses, d); break;
    case VT_D_TEST: push(c, &u->tests, d); break;
    case VT_D_MIGRATE: push(c, &u->migrates, d); break;
    }
}

static void number(vt_list *l) {
    for (uint32_t i = 0; i < l->n; i++) ((vt_decl *)l->items[i])->index = i;
}

/* Templates of the root file that nobody uses are checked through a trial instance
 * that joins the tables only while it is checked: afterwards the unit is as if it
 * never existed. */
static void check_unused_templates(vt_rctx *c) {
    vt_unit *u = c->u;
    vt_list *lists[] = {&u->events, &u->teams, &u->channels, &u->rules, &u->truths, &u->segments,
                        &u->lifecycles, &u->transitions, &u->workflows, &u->externs, &u->templates,
                        &u->uses, &u->tests, &u->migrates, &u->imports};
    enum { NL = sizeof lists / sizeof lists[0] };
    for (uint32_t t = 0; t < u->templates.n; t++) {
        vt_decl *tpl = u->templates.items[t];
        /* Only the root's own templates: a library template talks about events and
         * channels its importer declares, and an importer that does not use it
         * owes it nothing. */
        if (tpl->used || !tpl->name.text || tpl->span.file != u->modules[0]->file) continue;
        /* A prefix some `use ... as` already took would collide: skip the trial. */
        size_t pl = strlen(tpl->name.text);
        bool taken = false;
        for (int ns = 0; ns < NS_COUNT && !taken; ns++)
            for (uint32_t i = 0; i < c->ns[ns].cap && !taken; i++)
                taken = c->ns[ns].keys[i] && !strncmp(c->ns[ns].keys[i], tpl->name.text, pl) &&
                        c->ns[ns].keys[i][pl] == '.';
        if (taken) continue;
        uint32_t saved_n[NL];
        vt_symtab saved_ns[NS_COUNT];
        for (size_t l = 0; l < NL; l++) saved_n[l] = lists[l]->n;
        bool ok = true;
        for (int ns = 0; ns < NS_COUNT; ns++) {
            saved_ns[ns] = c->ns[ns];
            vt_symtab *st = &c->ns[ns];
            if (!st->cap) continue;
            const char **keys = vt_arena_alloc(c->a, st->cap * sizeof *keys);
            vt_decl **vals = vt_arena_alloc(c->a, st->cap * sizeof *vals);
            if (!keys || !vals) {
                ok = false;
                break;
            }
            memcpy(keys, st->keys, st->cap * sizeof *keys);
            memcpy(vals, st->vals, st->cap * sizeof *vals);
            st->keys = keys, st->vals = vals;
        }
        uint32_t n = 0;
        vt_decl **ds = ok ? vt_tpl_trial(c, tpl, &n) : NULL;
        for (uint32_t i = 0; i < n; i++) collect(c, ds[i], false);
        for (uint32_t i = 0; i < n; i++) vt_rs_check_decl(c, ds[i]);
        for (size_t l = 0; l < NL; l++) lists[l]->n = saved_n[l];
        for (int ns = 0; ns < NS_COUNT; ns++) c->ns[ns] = saved_ns[ns];
        tpl->used = false;      /* the trial is not a use (V012) */
    }
}

int vt_resolve(vt_unit *u) {
    vt_rctx c;
    memset(&c, 0, sizeof c);
    c.u = u;
    c.a = &u->arena;
    if (!u->nmodules) return 0;

    vt_mod_load_all(&c);
    for (uint32_t m = 0; m < u->nmodules; m++) {
        vt_module *mod = u->modules[m];
        for (uint32_t i = 0; i < mod->ndecls; i++) collect(&c, mod->decls[i], m == 0);
    }
    /* Template instances join the tables as if declared where the `use` is. The list
     * of uses is walked by index: the decls of an instance are never `use`s. */
    for (uint32_t i = 0; i < u->uses.n; i++) {
        uint32_t n = 0;
        vt_decl **ds = vt_tpl_instantiate(&c, u->uses.items[i], &n);
        c.cur_use = u->uses.items[i];
        c.cur_use_clashed = false;
        for (uint32_t k = 0; k < n; k++) collect(&c, ds[k], false);
        c.cur_use = NULL;
    }
    vt_list *lists[] = {&u->events, &u->teams, &u->channels, &u->rules, &u->truths, &u->segments,
                        &u->lifecycles, &u->transitions, &u->workflows, &u->externs, &u->templates,
                        &u->uses, &u->tests, &u->migrates, &u->imports};
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) number(lists[i]);

    if (!u->timezone && c.module_tz) {
        if (c.module_tz_other) {
            vt_diag *g = vt_rs_report(&c, VT_E021, c.module_tz_other->span,
                                      "the imported modules set different timezones, and this flow sets none");
            vt_diag_note(g, u->diags, c.module_tz->span, "the other one");
            vt_diag_hint(g, u->diags, "say which one the flow runs in, in its own file: timezone \"%s\"",
                         c.module_tz->u.timezone.zone);
        } else u->timezone = c.module_tz;
    }
    if (!u->flow) {
        vt_span sp = {u->modules[0]->file, 0, 0};
        vt_diag *g = vt_rs_report(&c, VT_E029, sp, "this file has no `flow` header");
        vt_diag_hint(g, u->diags, "start the file with a line such as: flow \"my-flow\" version 1");
    }
    /* A module holding rules, transitions or workflows acts by being imported. */
    for (uint32_t m = 1; m < u->nmodules && c.importers; m++) {
        vt_module *mod = u->modules[m];
        for (uint32_t i = 0; i < mod->ndecls; i++) {
            vt_decl_kind k = mod->decls[i]->kind;
            if (k == VT_D_ON || k == VT_D_TRANSITION || k == VT_D_WORKFLOW || k == VT_D_USE) {
                vt_rs_mark_used(&c, mod->decls[i]);
                break;
            }
        }
    }
    vt_rs_check_decls(&c);
    check_unused_templates(&c);
    if (u->arena.failed || u->diags->oom) {
        vt_span sp = {u->modules[0]->file, 0, 0};
        vt_rs_report(&c, VT_E009, sp, "out of memory while checking this flow");
    }
    u->resolved_ok = c.errors == 0;
    return c.errors;
}

vt_decl *vt_unit_find(vt_unit *u, vt_decl_kind kind, const char *name) {
    vt_list *l = NULL;
    switch (kind) {
    case VT_D_EVENT: l = &u->events; break;
    case VT_D_TEAM: l = &u->teams; break;
    case VT_D_CHANNEL: l = &u->channels; break;
    case VT_D_TRUTH: l = &u->truths; break;
    case VT_D_SEGMENT: l = &u->segments; break;
    case VT_D_LIFECYCLE: l = &u->lifecycles; break;
    case VT_D_WORKFLOW: l = &u->workflows; break;
    case VT_D_EXTERN: l = &u->externs; break;
    case VT_D_TEMPLATE: l = &u->templates; break;
    case VT_D_TEST:
        for (uint32_t i = 0; name && i < u->tests.n; i++) {
            vt_decl *d = u->tests.items[i];
            if (d->u.test.name && !strcmp(d->u.test.name, name)) return d;
        }
        return NULL;
    case VT_D_FLOW: return u->flow;
    case VT_D_TIMEZONE: return u->timezone;
    case VT_D_CONTACT: return u->contact;
    default: return NULL;
    }
    for (uint32_t i = 0; name && i < l->n; i++) {
        vt_decl *d = l->items[i];
        if (d->name.text && !strcmp(d->name.text, name)) return d;
    }
    return NULL;
}

/* ---- shared lookups ------------------------------------------------------------ */

int vt_rs_contact_field(vt_rctx *c, const char *name) {
    vt_decl *ct = c->u->contact;
    if (!ct || !name) return -1;
    if (c->fields_of != ct) {
        if (imap_init(c, &c->fields, ct->u.contact.n) < 0) return -1;
        /* in reverse, so that the first of two same-named fields wins, as a scan would */
        for (uint32_t i = ct->u.contact.n; i-- > 0;) imap_set(&c->fields, ct->u.contact.fields[i]->name.text, (int)i);
        c->fields_of = ct;
    }
    return imap_get(&c->fields, name);
}

int vt_rs_payload_field(vt_decl *ev, const char *name) {
    if (!ev || !name) return -1;
    for (uint32_t i = 0; i < ev->u.event.n; i++)
        if (ev->u.event.fields[i]->name.text && !strcmp(ev->u.event.fields[i]->name.text, name)) return (int)i;
    return -1;
}

vt_decl *vt_rs_event(vt_rctx *c, const vt_name *n, bool *is_created, bool allow_created) {
    if (is_created) *is_created = false;
    if (!n->text) return NULL;
    if (is_builtin_event(n->text)) {
        if (allow_created) {
            if (is_created) *is_created = true;
            return NULL;
        }
        vt_diag *g = vt_rs_report(c, VT_E022, n->span, "`created` has no history to count or look back on");
        vt_diag_hint(g, c->u->diags, "use `created_at` (the contact's creation time) instead");
        return NULL;
    }
    vt_decl *d = vt_rs_lookup(c, NS_EVENT, n->text);
    if (d) {
        vt_rs_mark_used(c, d);
        return d;
    }
    vt_suggest s;
    vt_suggest_init(&s, n->text);
    vt_rs_suggest_ns(c, &s, NS_EVENT);
    if (allow_created) {
        /* a trigger may also name a truth (its rising edge) */
        vt_suggest_add(&s, "created");
        vt_rs_suggest_ns(c, &s, NS_COND);
    }
    vt_decl *cond = vt_rs_lookup(c, NS_COND, n->text);
    if (cond && cond->kind == VT_D_TRUTH) {
        /* only triggers (allow_created) may name a truth; rules and history need events */
        vt_diag *g = vt_rs_report(c, VT_E022, n->span, "`%s` is a truth, not an event", n->text);
        vt_diag_hint(g, c->u->diags, "a truth's rising edge can start a transition (`transition A -> B on %s`) or a "
                     "workflow (`enroll on %s`); rules and history count events", n->text, n->text);
        return NULL;
    }
    vt_diag *g = vt_rs_report(c, VT_E022, n->span, "unknown event `%s`", n->text);
    const char *best = vt_suggest_best(&s);
    if (best) vt_diag_hint(g, c->u->diags, "did you mean `%s`?", best);
    else vt_diag_hint(g, c->u->diags, "declare it first: event %s", n->text);
    return NULL;
}

vt_diag *vt_rs_report_unknown(vt_rctx *c, vt_ns ns, vt_code code, vt_span span, const char *name, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    vt_suggest s;
    vt_suggest_init(&s, name ? name : "");
    vt_rs_suggest_ns(c, &s, ns);
    vt_diag *g = vt_rs_report(c, code, span, "%s", msg);
    const char *best = name ? vt_suggest_best(&s) : NULL;
    if (best) vt_diag_hint(g, c->u->diags, "did you mean `%s`?", best);
    return g;
}

vt_decl *vt_rs_team(vt_rctx *c, const vt_name *n) {
    if (!n->text) return NULL;
    vt_decl *d = vt_rs_lookup(c, NS_TEAM, n->text);
    if (d) {
        vt_rs_mark_used(c, d);
        return d;
    }
    vt_diag *g = vt_rs_report_unknown(c, NS_TEAM, VT_E025, n->span, n->text, "unknown team `%s`", n->text);
    if (g && !g->hint) vt_diag_hint(g, c->u->diags, "declare it first: team %s", n->text);
    return NULL;
}

vt_type vt_rs_typeref(const vt_typeref *t) {
    vt_type ty;
    memset(&ty, 0, sizeof ty);
    ty.kind = t->kind;
    return ty;
}

/* ---- states ------------------------------------------------------------------ */

static int state_index(vt_decl *lc, const char *name) {
    for (uint32_t i = 0; i < lc->u.lifecycle.n; i++)
        if (lc->u.lifecycle.states[i]->name.text && !strcmp(lc->u.lifecycle.states[i]->name.text, name))
            return (int)i;
    return -1;
}

static void suggest_states(vt_suggest *s, vt_decl *lc) {
    for (uint32_t i = 0; i < lc->u.lifecycle.n; i++) vt_suggest_add(s, lc->u.lifecycle.states[i]->name.text);
}

int vt_rs_state_in(vt_rctx *c, vt_decl *lc, const vt_name *n) {
    if (!lc || !n->text) return -1;
    const char *name = n->text;
    /* `funnel is funnel.mql` is accepted: the qualifier must be this lifecycle. */
    const char *dot = strrchr(name, '.');
    if (dot && (size_t)(dot - name) == strlen(lc->name.text) && !strncmp(name, lc->name.text, (size_t)(dot - name)))
        name = dot + 1;
    int i = state_index(lc, name);
    if (i >= 0) return i;
    vt_suggest s;
    vt_suggest_init(&s, name);
    suggest_states(&s, lc);
    vt_diag *g = vt_rs_report(c, VT_E024, n->span, "lifecycle `%s` has no state `%s`", lc->name.text, name);
    const char *best = vt_suggest_best(&s);
    if (best) vt_diag_hint(g, c->u->diags, "did you mean `%s`?", best);
    vt_diag_note(g, c->u->diags, lc->name.span, "lifecycle `%s` is declared here", lc->name.text);
    return -1;
}

/* Maps each state name to the chain of (lifecycle, index) declaring it, in declaration
 * order (built backwards, prepending); a state repeated within one lifecycle counts at
 * its first place, as state_index() finds it. */
static int index_states(vt_rctx *c) {
    vt_list *l = &c->u->lifecycles;
    if (c->state_refs && c->states_indexed == l->n) return 0;
    uint32_t total = 0;
    for (uint32_t i = 0; i < l->n; i++) total += ((vt_decl *)l->items[i])->u.lifecycle.n;
    c->state_refs = vt_arena_alloc(c->a, (total + 1) * sizeof *c->state_refs);
    if (!c->state_refs || imap_init(c, &c->state_heads, total) < 0) {
        c->state_refs = NULL;
        return -1;
    }
    uint32_t k = 0;
    for (uint32_t i = l->n; i-- > 0;) {
        vt_decl *lc = l->items[i];
        for (uint32_t j = lc->u.lifecycle.n; j-- > 0;) {
            const char *name = lc->u.lifecycle.states[j]->name.text;
            if (!name) continue;
            int head = imap_get(&c->state_heads, name);
            if (head >= 0 && c->state_refs[head].lc == lc) {   /* repeated in this lifecycle */
                c->state_refs[head].idx = (int)j;
                continue;
            }
            c->state_refs[k].lc = lc;
            c->state_refs[k].idx = (int)j;
            c->state_refs[k].next = imap_get(&c->state_heads, name);
            imap_set(&c->state_heads, name, (int)k);
            k++;
        }
    }
    c->states_indexed = l->n;
    return 0;
}

/* `funnel.mql`: the lifecycle part of a qualified state name, copied into head (which
 * holds 256 bytes), with *tail at the state part. NULL (head empty) when the name has no
 * dot or its qualifier is too long; the lifecycle may still be unknown (NULL, head set). */
static vt_decl *state_qualifier(vt_rctx *c, const char *text, char *head, const char **tail) {
    head[0] = 0;
    const char *dot = strrchr(text, '.');
    if (!dot || (size_t)(dot - text) >= 256) return NULL;
    memcpy(head, text, (size_t)(dot - text));
    head[dot - text] = 0;
    *tail = dot + 1;
    return vt_rs_lookup(c, NS_LIFECYCLE, head);
}

/* Every (lifecycle, state) that `n` can name: `funnel.mql` names at most one; a bare
 * name may be declared in several lifecycles. Inside a template instance, the
 * instance's own lifecycles are preferred. Returns the count (at most max). */
int vt_rs_state_candidates(vt_rctx *c, const vt_name *n, vt_decl **lcs, int *idx, int max) {
    if (!n->text) return 0;
    char qhead[256];
    const char *tail;
    vt_decl *qual = state_qualifier(c, n->text, qhead, &tail);
    if (qual) {
        int i = state_index(qual, tail);
        if (i < 0) return 0;
        lcs[0] = qual, idx[0] = i;
        return 1;
    }
    if (index_states(c) < 0) return 0;
    int k = 0;
    int head = imap_get(&c->state_heads, n->text);
    /* The instance's own lifecycles first; the others only when it has none. */
    for (int pass = 0; pass < 2 && k == 0; pass++) {
        for (int r = head; r >= 0 && k < max; r = c->state_refs[r].next) {
            vt_decl *lc = c->state_refs[r].lc;
            bool in_scope = c->scope && lc->prefix && !strcmp(lc->prefix, c->scope);
            if (in_scope != (pass == 0)) continue;
            lcs[k] = lc, idx[k] = c->state_refs[r].idx, k++;
        }
    }
    return k;
}

void vt_rs_report_unknown_state(vt_rctx *c, const vt_name *n, vt_code code) {
    char head[256];
    const char *tail;
    vt_decl *lc = state_qualifier(c, n->text, head, &tail);
    if (lc) {
        if (code == VT_E024) {
            vt_rs_state_in(c, lc, n);
            return;
        }
        vt_suggest s;
        vt_suggest_init(&s, tail);
        suggest_states(&s, lc);
        vt_diag *g = vt_rs_report(c, code, n->span, "lifecycle `%s` has no state `%s`", head, tail);
        const char *best = vt_suggest_best(&s);
        if (best) vt_diag_hint(g, c->u->diags, "did you mean `%s.%s`?", head, best);
        return;
    }
    if (head[0]) {
        vt_rs_report_unknown(c, NS_LIFECYCLE, VT_E027, n->span, head, "unknown lifecycle `%s`", head);
        return;
    }
    vt_suggest s;
    vt_suggest_init(&s, n->text);
    for (uint32_t l = 0; l < c->u->lifecycles.n; l++) suggest_states(&s, c->u->lifecycles.items[l]);
    vt_diag *g = vt_rs_report(c, code, n->span, code == VT_E056 ? "this flow has no state `%s`" : "unknown state `%s`",
                              n->text);
    const char *best = vt_suggest_best(&s);
    if (best) vt_diag_hint(g, c->u->diags, "did you mean `%s`?", best);
    else if (!c->u->lifecycles.n) vt_diag_hint(g, c->u->diags, "declare a `lifecycle { }` with its states first");
    else if (code == VT_E056) vt_diag_hint(g, c->u->diags, "map the old state to one that this version declares");
}

void vt_rs_report_ambiguous_state(vt_rctx *c, const vt_name *n, vt_decl **lcs, int k) {
    vt_diag *g = vt_rs_report(c, VT_E024, n->span, "state `%s` is declared in %d lifecycles", n->text, k);
    if (k >= 2)
        vt_diag_hint(g, c->u->diags, "qualify it with its lifecycle: write `%s.%s` or `%s.%s`", lcs[0]->name.text,
                     n->text, lcs[1]->name.text, n->text);
    for (int i = 0; i < k; i++)
        vt_diag_note(g, c->u->diags, lcs[i]->name.span, "lifecycle `%s` declares it", lcs[i]->name.text);
}

vt_decl *vt_rs_state_any(vt_rctx *c, const vt_name *n, int *index) {
    vt_decl *lcs[8];
    int idx[8];
    int k = vt_rs_state_candidates(c, n, lcs, idx, 8);
    if (k == 1) {
        *index = idx[0];
        vt_rs_mark_used(c, lcs[0]);
        return lcs[0];
    }
    if (k == 0) vt_rs_report_unknown_state(c, n, VT_E024);
    else vt_rs_report_ambiguous_state(c, n, lcs, k);
    *index = -1;
    return NULL;
}

const char *vt_rs_ns_what(vt_ns ns) { return ns_what[ns]; }
