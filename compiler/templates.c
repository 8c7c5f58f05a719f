/* Templates (SPEC §3): `use NAME(ARG = VALUE, ...) [as PREFIX]` checks the arguments
 * against the typed parameters (E032, E033) and copies the template's declarations
 * with every parameter replaced by its argument and every declared name prefixed
 * `PREFIX.name` (PREFIX defaults to the template's name). The copies keep their
 * source spans, so an error inside an instance points into the template. */
#include "resolve_internal.h"
#include <string.h>

typedef struct {
    vt_rctx *c;
    vt_decl *tpl;
    vt_expr **subst;            /* per parameter: the value to put in its place */
    const char *prefix;
    bool failed;                /* out of memory */
} copier;

static void *dup_mem(copier *k, const void *p, size_t n) {
    if (!p || !n) return NULL;
    void *q = vt_arena_alloc(k->c->a, n);
    if (!q) {
        k->failed = true;
        return NULL;
    }
    memcpy(q, p, n);
    return q;
}

static int param_index(copier *k, const char *name) {
    if (!name || !k->tpl) return -1;
    for (uint32_t i = 0; i < k->tpl->u.template_.nparams; i++) {
        const char *p = k->tpl->u.template_.params[i]->name.text;
        if (p && !strcmp(p, name)) return (int)i;
    }
    return -1;
}

static vt_expr *copy_expr(copier *k, vt_expr *e);
static void copy_block(copier *k, vt_block *b);

/* A team name that may be a `team` parameter: replaced by the argument's name. */
static void subst_name(copier *k, vt_name *n) {
    int p = param_index(k, n->text);
    if (p < 0 || !k->subst[p] || k->subst[p]->kind != VT_E_NAME) return;
    if (k->subst[p]->u.name.ref == VT_REF_PARAM) {
        n->text = NULL;     /* a missing or wrong argument: already reported */
        return;
    }
    *n = k->subst[p]->u.name.name;
}

static vt_expr **copy_exprs(copier *k, vt_expr **v, uint32_t n) {
    vt_expr **nv = dup_mem(k, v, n * sizeof *v);
    for (uint32_t i = 0; nv && i < n; i++) nv[i] = copy_expr(k, v[i]);
    return nv;
}

static vt_expr *copy_expr(copier *k, vt_expr *e) {
    if (!e) return NULL;
    if (e->kind == VT_E_NAME && e->u.name.ref != VT_REF_PARAM) {
        int p = param_index(k, e->u.name.name.text);
        if (p >= 0 && k->subst[p]) {
            /* The argument is copied too (each place gets its own node to type), with
             * no substitution inside it: it was written at the `use`. */
            vt_expr *arg = k->subst[p];
            if (arg->kind == VT_E_NAME && arg->u.name.ref == VT_REF_PARAM) {
                /* a stand-in: errors about it point at the place it is used */
                vt_expr *v = dup_mem(k, arg, sizeof *arg);
                if (v) v->span = e->span;
                return v;
            }
            vt_decl *tpl = k->tpl;
            k->tpl = NULL;
            vt_expr *v = copy_expr(k, arg);
            k->tpl = tpl;
            return v;
        }
    }
    vt_expr *n = dup_mem(k, e, sizeof *e);
    if (!n) return NULL;
    memset(&n->type, 0, sizeof n->type);
    switch (e->kind) {
    case VT_E_NAME:
        if (n->u.name.ref != VT_REF_PARAM) n->u.name.ref = VT_REF_NONE, n->u.name.decl = NULL;
        break;
    case VT_E_LIST: n->u.list.items = copy_exprs(k, e->u.list.items, e->u.list.n); break;
    case VT_E_UNARY: n->u.unary.e = copy_expr(k, e->u.unary.e); break;
    case VT_E_BINARY:
        n->u.bin.l = copy_expr(k, e->u.bin.l);
        n->u.bin.r = copy_expr(k, e->u.bin.r);
        break;
    case VT_E_IS: n->u.is.lifecycle = copy_expr(k, e->u.is.lifecycle); break;
    case VT_E_IN:
        n->u.in.e = copy_expr(k, e->u.in.e);
        n->u.in.list = copy_expr(k, e->u.in.list);
        break;
    case VT_E_HAS_TAG: n->u.has_tag.tag = copy_expr(k, e->u.has_tag.tag); break;
    case VT_E_CALL:
        n->u.call.args = copy_exprs(k, e->u.call.args, e->u.call.nargs);
        n->u.call.decl = NULL;
        break;
    case VT_E_AGGREGATE: case VT_E_LAST_FIRST: case VT_E_SINCE: case VT_E_WITHIN: case VT_E_NO_FOR:
        n->u.hist.where = copy_expr(k, e->u.hist.where);
        n->u.hist.within = copy_expr(k, e->u.hist.within);
        n->u.hist.event_decl = NULL;
        break;
    default: break;     /* literals: nothing inside */
    }
    return n;
}

static vt_field_init **copy_inits(copier *k, vt_field_init **v, uint32_t n) {
    vt_field_init **nv = dup_mem(k, v, n * sizeof *v);
    for (uint32_t i = 0; nv && i < n; i++) {
        nv[i] = dup_mem(k, v[i], sizeof *v[i]);
        if (nv[i]) nv[i]->value = copy_expr(k, v[i]->value);
    }
    return nv;
}

static vt_stmt *copy_stmt(copier *k, vt_stmt *s) {
    vt_stmt *n = dup_mem(k, s, sizeof *s);
    if (!n) return NULL;
    switch (s->kind) {
    case VT_S_SET: case VT_S_ADD: n->u.set.value = copy_expr(k, s->u.set.value); break;
    case VT_S_TAG: case VT_S_UNTAG: n->u.tag.tag = copy_expr(k, s->u.tag.tag); break;
    case VT_S_IF:
        n->u.if_.arms = dup_mem(k, s->u.if_.arms, s->u.if_.narms * sizeof *s->u.if_.arms);
        for (uint32_t i = 0; n->u.if_.arms && i < s->u.if_.narms; i++) {
            n->u.if_.arms[i].cond = copy_expr(k, s->u.if_.arms[i].cond);
            copy_block(k, &n->u.if_.arms[i].body);
        }
        break;
    case VT_S_SEND: n->u.send.template_ = copy_expr(k, s->u.send.template_); n->u.send.channel_decl = NULL; break;
    case VT_S_TASK: case VT_S_NOTIFY:
        if (!n->u.task.to.is_owner) subst_name(k, &n->u.task.to.team);
        n->u.task.text = copy_expr(k, s->u.task.text);
        n->u.task.due = copy_expr(k, s->u.task.due);
        break;
    case VT_S_ESCALATE: n->u.escalate.text = copy_expr(k, s->u.escalate.text); break;
    case VT_S_ASSIGN: subst_name(k, &n->u.assign.team); break;
    case VT_S_WAIT: n->u.wait.dur = copy_expr(k, s->u.wait.dur); break;
    case VT_S_WAIT_UNTIL:
        n->u.wait_until.cond = copy_expr(k, s->u.wait_until.cond);
        n->u.wait_until.dur = copy_expr(k, s->u.wait_until.dur);
        copy_block(k, &n->u.wait_until.else_);
        break;
    case VT_S_REPEAT: copy_block(k, &n->u.repeat.body); break;
    case VT_S_SPLIT:
        n->u.split.arms = dup_mem(k, s->u.split.arms, s->u.split.narms * sizeof *s->u.split.arms);
        for (uint32_t i = 0; n->u.split.arms && i < s->u.split.narms; i++) copy_block(k, &n->u.split.arms[i].body);
        break;
    case VT_S_T_CONTACT: n->u.t_contact.fields = copy_inits(k, s->u.t_contact.fields, s->u.t_contact.nfields); break;
    case VT_S_T_EVENT:
        n->u.t_event.at = copy_expr(k, s->u.t_event.at);
        n->u.t_event.fields = copy_inits(k, s->u.t_event.fields, s->u.t_event.nfields);
        break;
    case VT_S_T_ADVANCE: n->u.t_advance.dur = copy_expr(k, s->u.t_advance.dur); break;
    case VT_S_T_EXPECT:
        n->u.t_expect.cond = copy_expr(k, s->u.t_expect.cond);
        n->u.t_expect.template_ = copy_expr(k, s->u.t_expect.template_);
        break;
    default: break;
    }
    return n;
}

static void copy_block(copier *k, vt_block *b) {
    vt_stmt **items = dup_mem(k, b->items, b->n * sizeof *b->items);
    for (uint32_t i = 0; items && i < b->n; i++) items[i] = copy_stmt(k, b->items[i]);
    if (b->n) b->items = items;
}

static vt_trigger *copy_trigger(copier *k, vt_trigger *t) {
    vt_trigger *n = dup_mem(k, t, sizeof *t);
    if (!n) return NULL;
    n->cond = copy_expr(k, t->cond);
    n->dur = copy_expr(k, t->dur);
    n->event_decl = n->state_lifecycle = NULL;
    return n;
}

static vt_field_decl **copy_fields(copier *k, vt_field_decl **v, uint32_t n) {
    vt_field_decl **nv = dup_mem(k, v, n * sizeof *v);
    for (uint32_t i = 0; nv && i < n; i++) {
        nv[i] = dup_mem(k, v[i], sizeof *v[i]);
        if (nv[i]) nv[i]->def = copy_expr(k, v[i]->def);
    }
    return nv;
}

static vt_decl *copy_decl(copier *k, vt_decl *d) {
    vt_decl *n = dup_mem(k, d, sizeof *d);
    if (!n) return NULL;
    n->prefix = k->prefix;
    n->used = false;
    if (d->name.text) n->name.text = vt_arena_printf(k->c->a, "%s.%s", k->prefix, d->name.text);
    switch (d->kind) {
    case VT_D_TEAM: subst_name(k, &n->u.team.escalates_to); n->u.team.escalates_decl = NULL; break;
    case VT_D_EVENT: n->u.event.fields = copy_fields(k, d->u.event.fields, d->u.event.n); break;
    case VT_D_CHANNEL: n->u.channel.cap_per = copy_expr(k, d->u.channel.cap_per); break;
    case VT_D_ON:
        n->u.on.where = copy_expr(k, d->u.on.where);
        copy_block(k, &n->u.on.body);
        n->u.on.event_decl = NULL;
        break;
    case VT_D_TRUTH: case VT_D_SEGMENT: n->u.truth.cond = copy_expr(k, d->u.truth.cond); break;
    case VT_D_LIFECYCLE:
        n->u.lifecycle.states = dup_mem(k, d->u.lifecycle.states, d->u.lifecycle.n * sizeof *d->u.lifecycle.states);
        for (uint32_t i = 0; n->u.lifecycle.states && i < d->u.lifecycle.n; i++) {
            n->u.lifecycle.states[i] = dup_mem(k, d->u.lifecycle.states[i], sizeof **d->u.lifecycle.states);
            if (n->u.lifecycle.states[i] && n->u.lifecycle.states[i]->owner.text)
                subst_name(k, &n->u.lifecycle.states[i]->owner);
        }
        break;
    case VT_D_TRANSITION: {
        vt_trigger *t = copy_trigger(k, &d->u.transition.trigger);
        if (t) n->u.transition.trigger = *t;
        n->u.transition.lifecycle = NULL;
        break;
    }
    case VT_D_WORKFLOW:
        if (n->u.workflow.owner.text) subst_name(k, &n->u.workflow.owner);
        n->u.workflow.owner_decl = NULL;
        n->u.workflow.enroll = dup_mem(k, d->u.workflow.enroll, d->u.workflow.nenroll * sizeof *d->u.workflow.enroll);
        for (uint32_t i = 0; n->u.workflow.enroll && i < d->u.workflow.nenroll; i++)
            n->u.workflow.enroll[i] = copy_trigger(k, d->u.workflow.enroll[i]);
        n->u.workflow.exits = dup_mem(k, d->u.workflow.exits, d->u.workflow.nexits * sizeof *d->u.workflow.exits);
        for (uint32_t i = 0; n->u.workflow.exits && i < d->u.workflow.nexits; i++)
            n->u.workflow.exits[i] = copy_trigger(k, d->u.workflow.exits[i]);
        n->u.workflow.reenroll_after = copy_expr(k, d->u.workflow.reenroll_after);
        n->u.workflow.goal = copy_expr(k, d->u.workflow.goal);
        n->u.workflow.goal_within = copy_expr(k, d->u.workflow.goal_within);
        copy_block(k, &n->u.workflow.steps);
        break;
    case VT_D_TEST: copy_block(k, &n->u.test.body); break;
    default: break;     /* extern, migrate: nothing to substitute */
    }
    return n;
}

/* ---- arguments ----------------------------------------------------------------- */

static bool arg_type_ok(vt_type_kind want, vt_type got) {
    return got.kind == want || (want == VT_T_NUMBER && got.kind == VT_T_INT);
}

/* A stand-in for an argument that is missing or wrong: typed as an error, so the
 * instance's expressions built from it stay silent. */
static vt_expr *placeholder(vt_rctx *c, vt_param *p) {
    vt_expr *e = vt_ast_expr(c->a, VT_E_NAME, p->span);
    if (!e) return NULL;
    e->u.name.name = p->name;
    e->u.name.ref = VT_REF_PARAM;
    e->u.name.index = -1;
    e->type.kind = VT_T_ERROR;
    return e;
}

static bool nested_ok(vt_rctx *c, vt_decl *d) {
    switch (d->kind) {
    case VT_D_FLOW: case VT_D_TIMEZONE: case VT_D_IMPORT: case VT_D_CONTACT: case VT_D_TEMPLATE: case VT_D_USE: {
        vt_diag *g = vt_rs_report(c, VT_E032, d->span, "a template cannot hold a `%s` declaration",
                                  vt_decl_kind_name(d->kind));
        vt_diag_hint(g, c->u->diags, "declare it at the top level of the flow or module");
        return false;
    }
    default: return true;
    }
}

vt_decl **vt_tpl_instantiate(vt_rctx *c, vt_decl *use, uint32_t *nout) {
    *nout = 0;
    vt_name *tn = &use->u.use.template_name;
    vt_decl *tpl = tn->text ? vt_rs_lookup(c, NS_TEMPLATE, tn->text) : NULL;
    use->u.use.template_decl = tpl;
    if (!tpl) {
        vt_diag *g = vt_rs_report_unknown(c, NS_TEMPLATE, VT_E032, tn->span, tn->text, "unknown template `%s`",
                                          tn->text ? tn->text : "?");
        if (g && !g->hint)
            vt_diag_hint(g, c->u->diags, "import the module that declares it, such as import \"std/reactivation\"");
        for (uint32_t i = 0; i < use->u.use.nargs; i++) vt_ty_expr(c, use->u.use.args[i]->value);
        return NULL;
    }
    vt_rs_mark_used(c, tpl);
    uint32_t np = tpl->u.template_.nparams;
    copier k = {c, tpl, NULL, use->u.use.as.text ? use->u.use.as.text : tpl->name.text, false};
    k.subst = np ? vt_arena_alloc(c->a, np * sizeof *k.subst) : NULL;
    if (np && !k.subst) return NULL;
    const char *tname = tpl->name.text;

    for (uint32_t i = 0; i < use->u.use.nargs; i++) {
        vt_field_init *a = use->u.use.args[i];
        int p = param_index(&k, a->name.text);
        if (p < 0) {
            vt_ty_expr(c, a->value);
            vt_suggest s;
            vt_suggest_init(&s, a->name.text ? a->name.text : "");
            for (uint32_t j = 0; j < np; j++) vt_suggest_add(&s, tpl->u.template_.params[j]->name.text);
            vt_diag *g = vt_rs_report(c, VT_E033, a->name.span, "template `%s` has no parameter `%s`", tname,
                                      a->name.text ? a->name.text : "?");
            const char *best = vt_suggest_best(&s);
            if (best) vt_diag_hint(g, c->u->diags, "did you mean `%s`?", best);
            vt_diag_note(g, c->u->diags, tpl->name.span, "template `%s` is declared here", tname);
            continue;
        }
        vt_param *pr = tpl->u.template_.params[p];
        if (k.subst[p]) {
            vt_diag *g = vt_rs_report(c, VT_E033, a->name.span, "argument `%s` is given twice", a->name.text);
            vt_diag_hint(g, c->u->diags, "keep one `%s = ...`", a->name.text);
            continue;
        }
        vt_type t;
        if (pr->type.kind == VT_T_TEAM && a->value->kind == VT_E_NAME) {
            /* a team argument: looked up among teams, so the hint names teams */
            vt_decl *team = vt_rs_team(c, &a->value->u.name.name);
            a->value->u.name.ref = team ? VT_REF_TEAM : VT_REF_NONE;
            a->value->u.name.decl = team;
            memset(&a->value->type, 0, sizeof a->value->type);
            a->value->type.kind = team ? VT_T_TEAM : VT_T_ERROR;
            t = a->value->type;
        } else t = vt_ty_expr(c, a->value);
        if (t.kind != VT_T_ERROR && !arg_type_ok(pr->type.kind, t)) {
            vt_diag *g = vt_rs_report(c, VT_E033, a->value->span, "argument `%s` of `%s` should be %s, and this is %s",
                                      a->name.text, tname, vt_type_kind_name(pr->type.kind), vt_ty_name(c, t));
            if (pr->type.kind == VT_T_DURATION && (t.kind == VT_T_INT || t.kind == VT_T_NUMBER))
                vt_diag_hint(g, c->u->diags, "write it with a unit, such as `30d`");
            else if (pr->type.kind == VT_T_TEXT) vt_diag_hint(g, c->u->diags, "write it in quotes");
            vt_diag_note(g, c->u->diags, pr->span, "parameter `%s` is declared here", pr->name.text);
            k.subst[p] = placeholder(c, pr);
            continue;
        }
        if (t.kind == VT_T_ERROR) {
            k.subst[p] = placeholder(c, pr);
            continue;
        }
        vt_ty_range(c, &pr->type, a->value, pr->name.text);
        k.subst[p] = a->value;
    }
    for (uint32_t p = 0; p < np; p++) {
        if (k.subst[p]) continue;
        vt_param *pr = tpl->u.template_.params[p];
        if (pr->def) {
            k.subst[p] = pr->def;
            continue;
        }
        vt_diag *g = vt_rs_report(c, VT_E033, tn->span, "`use %s` is missing the argument `%s` (%s)", tname,
                                  pr->name.text, vt_type_kind_name(pr->type.kind));
        vt_diag_hint(g, c->u->diags, "write use %s(%s = ...)", tname, pr->name.text);
        vt_diag_note(g, c->u->diags, pr->span, "parameter `%s` has no default", pr->name.text);
        k.subst[p] = placeholder(c, pr);
    }

    uint32_t nd = tpl->u.template_.ndecls;
    vt_decl **out = nd ? vt_arena_alloc(c->a, nd * sizeof *out) : NULL;
    if (nd && !out) return NULL;
    uint32_t n = 0;
    for (uint32_t i = 0; i < nd; i++) {
        vt_decl *d = tpl->u.template_.decls[i];
        if (!nested_ok(c, d)) continue;
        vt_decl *cp = copy_decl(&k, d);
        if (cp) out[n++] = cp;
    }
    if (k.failed) c->u->diags->oom = 1;
    *nout = n;
    return out;
}

vt_decl **vt_tpl_trial(vt_rctx *c, vt_decl *tpl, uint32_t *nout) {
    *nout = 0;
    uint32_t np = tpl->u.template_.nparams;
    copier k = {c, tpl, NULL, tpl->name.text, false};
    k.subst = np ? vt_arena_alloc(c->a, np * sizeof *k.subst) : NULL;
    if (np && !k.subst) return NULL;
    for (uint32_t p = 0; p < np; p++) {
        vt_param *pr = tpl->u.template_.params[p];
        if (pr->def) {
            k.subst[p] = pr->def;
            continue;
        }
        if (pr->type.kind == VT_T_TEAM) {
            /* a team stand-in must be a real team, or owners would not resolve */
            if (!c->u->teams.n) return NULL;
            vt_decl *team = c->u->teams.items[0];
            vt_expr *e = vt_ast_expr(c->a, VT_E_NAME, pr->span);
            if (!e) return NULL;
            e->u.name.name = team->name;
            e->u.name.name.span = pr->name.span;
            e->u.name.index = -1;
            k.subst[p] = e;
            continue;
        }
        vt_expr *e = placeholder(c, pr);
        if (!e) return NULL;
        e->type.kind = pr->type.kind;       /* typed, so the body is checked against it */
        k.subst[p] = e;
    }
    uint32_t nd = tpl->u.template_.ndecls, n = 0;
    vt_decl **out = nd ? vt_arena_alloc(c->a, nd * sizeof *out) : NULL;
    if (nd && !out) return NULL;
    for (uint32_t i = 0; i < nd; i++) {
        vt_decl *d = tpl->u.template_.decls[i];
        if (!nested_ok(c, d)) continue;
        vt_decl *cp = copy_decl(&k, d);
        if (cp) out[n++] = cp;
    }
    if (k.failed) c->u->diags->oom = 1;
    *nout = n;
    return out;
}
