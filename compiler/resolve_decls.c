/* Checks of each declaration: schema, teams, channels, rules, truths and segments,
 * lifecycles, transitions, workflows, externs, templates, migrations (SPEC §3, §6). */
#include "resolve_internal.h"
#include <string.h>
#include <sys/stat.h>

/* The expression context is per declaration: save it, set what applies, restore. */
typedef struct { vt_decl *event; bool created; const char *scope; vt_decl *wf; bool ev_conds; } saved_ctx;
static saved_ctx save(vt_rctx *c) {
    return (saved_ctx){c->event, c->event_created, c->scope, c->workflow, c->events_are_conds};
}
static void restore(vt_rctx *c, saved_ctx s) {
    c->event = s.event, c->event_created = s.created, c->scope = s.scope, c->workflow = s.wf;
    c->events_are_conds = s.ev_conds;
}

static const char *builtin_fields[] = {"id", "owner", "created_at", "tags"};

static bool is_builtin_field(const char *n) {
    for (size_t i = 0; i < sizeof builtin_fields / sizeof *builtin_fields; i++)
        if (!strcmp(builtin_fields[i], n)) return true;
    return false;
}

/* A field list (contact or event payload): duplicates, reserved names, ranges. */
static void check_fields(vt_rctx *c, vt_field_decl **f, uint32_t n, bool payload) {
    for (uint32_t i = 0; i < n; i++) {
        vt_field_decl *fd = f[i];
        if (!fd->name.text) continue;
        for (uint32_t j = 0; j < i; j++) {
            if (f[j]->name.text && !strcmp(f[j]->name.text, fd->name.text)) {
                vt_diag *g = vt_rs_report(c, VT_E021, fd->name.span, "field `%s` is declared twice", fd->name.text);
                vt_diag_note(g, c->u->diags, f[j]->name.span, "first declared here");
                break;
            }
        }
        if (payload && (!strcmp(fd->name.text, "at") || !strcmp(fd->name.text, "id"))) {
            vt_diag *g = vt_rs_report(c, VT_E028, fd->name.span, "every event already has a field `%s`", fd->name.text);
            vt_diag_hint(g, c->u->diags, "pick another name for this field");
        } else if (!payload && is_builtin_field(fd->name.text)) {
            vt_diag *g = vt_rs_report(c, VT_E028, fd->name.span, "every contact already has a built-in field `%s`",
                                      fd->name.text);
            vt_diag_hint(g, c->u->diags, "pick another name for this field");
        }
        vt_typeref *t = &fd->type;
        if (t->has_range) {
            if (t->kind != VT_T_INT && t->kind != VT_T_NUMBER && t->kind != VT_T_MONEY) {
                vt_diag *g = vt_rs_report(c, VT_E045, t->span, "only int, number and money fields can have a range");
                vt_diag_hint(g, c->u->diags, "remove the range, or make the field an int or number");
            } else if (t->lo && t->hi) {
                vt_ty_expr(c, t->lo);
                vt_ty_expr(c, t->hi);
                vt_ty_range(c, t, NULL, fd->name.text);   /* empty range check */
            }
        }
        if (fd->def) {
            if (payload) {
                vt_rs_report(c, VT_E040, fd->def->span, "event fields have no default: the record carries them");
                continue;
            }
            char what[300];
            snprintf(what, sizeof what, "field `%s`", fd->name.text);
            if (vt_ty_assign(c, vt_rs_typeref(t), fd->def, what)) vt_ty_range(c, t, fd->def, fd->name.text);
        }
    }
}

static void check_timezone(vt_rctx *c, vt_decl *d) {
    const char *z = d->u.timezone.zone;
    if (!z) return;
    if (!strcmp(z, "UTC")) return;
    bool ok = z[0] && z[0] != '/' && !strstr(z, "..");
    if (ok) {
        char path[512];
        snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", z);
        struct stat st;
        ok = stat(path, &st) == 0 && S_ISREG(st.st_mode);
    }
    if (!ok) {
        vt_diag *g = vt_rs_report(c, VT_E035, d->span, "unknown timezone \"%s\"", z);
        vt_diag_hint(g, c->u->diags, "write an Area/City name such as \"Europe/Rome\" or \"America/New_York\", or \"UTC\"");
    }
}

static void check_team(vt_rctx *c, vt_decl *d) {
    if (!d->u.team.escalates_to.text) return;
    d->u.team.escalates_decl = vt_rs_team(c, &d->u.team.escalates_to);
}

static void check_channel(vt_rctx *c, vt_decl *d) {
    d->u.channel.requires_index = -1;
    vt_name *rq = &d->u.channel.requires;
    if (rq->text) {
        int i = vt_rs_contact_field(c, rq->text);
        if (i < 0) {
            vt_suggest s;
            vt_suggest_init(&s, rq->text);
            vt_decl *ct = c->u->contact;
            for (uint32_t k = 0; ct && k < ct->u.contact.n; k++)
                if (ct->u.contact.fields[k]->type.kind == VT_T_BOOL) vt_suggest_add(&s, ct->u.contact.fields[k]->name.text);
            vt_diag *g = vt_rs_report(c, VT_E055, rq->span, "channel `%s` requires `%s`, which is not a contact field",
                                      d->name.text, rq->text);
            const char *best = vt_suggest_best(&s);
            if (best) vt_diag_hint(g, c->u->diags, "did you mean `%s`?", best);
            else vt_diag_hint(g, c->u->diags, "declare a consent field in the contact: %s: bool = false", rq->text);
        } else {
            vt_field_decl *f = c->u->contact->u.contact.fields[i];
            if (f->type.kind != VT_T_BOOL) {
                vt_diag *g = vt_rs_report(c, VT_E055, rq->span, "channel `%s` requires `%s`, which is %s, not a yes/no consent",
                                          d->name.text, rq->text, vt_type_kind_name(f->type.kind));
                vt_diag_hint(g, c->u->diags, "a channel requires a bool contact field, such as consent_email: bool = false");
                vt_diag_note(g, c->u->diags, f->name.span, "`%s` is declared here", rq->text);
            } else d->u.channel.requires_index = i;
        }
    }
    if (d->u.channel.has_cap) {
        if (d->u.channel.cap_count <= 0) {
            vt_diag *g = vt_rs_report(c, VT_E055, d->span, "channel `%s` has a cap of %lld messages: nothing could be sent",
                                      d->name.text, (long long)d->u.channel.cap_count);
            vt_diag_hint(g, c->u->diags, "write a cap of at least 1, such as `cap 3 per 7d`");
        }
        if (d->u.channel.cap_per) {
            vt_ty_expect(c, d->u.channel.cap_per, VT_T_DURATION, "the cap period");
            vt_expr *p = d->u.channel.cap_per;
            if (p->kind == VT_E_DURATION && p->u.dur.seconds <= 0) {
                vt_diag *g = vt_rs_report(c, VT_E055, p->span, "a cap period must be longer than zero");
                vt_diag_hint(g, c->u->diags, "write a period such as `per 7d`");
            }
        }
    }
    if (d->u.channel.has_quiet && d->u.channel.quiet_from == d->u.channel.quiet_to) {
        vt_diag *g = vt_rs_report(c, VT_E055, d->u.channel.quiet_span, "quiet hours that start and end at the same time");
        vt_diag_hint(g, c->u->diags, "write a real period, such as `quiet 21:00-09:00`");
    }
    for (uint32_t i = 0; i < d->u.channel.nwindows; i++) {
        vt_window *w = &d->u.channel.windows[i];
        if (w->open >= w->close) {
            vt_diag *g = vt_rs_report(c, VT_E055, w->span, "a send window must open before it closes");
            vt_diag_hint(g, c->u->diags, "write the opening time first, such as `window Mon-Fri 09:00-18:00`");
        }
        if ((w->day_from < 0) != (w->day_to < 0) || w->day_from > 6 || w->day_to > 6) {
            vt_rs_report(c, VT_E055, w->span, "a send window needs days from Mon to Sun");
        }
    }
}

/* A trigger on an event: `on E [where C]`; `created` is a built-in event, and a
 * truth's rising edge is a truth event (SPEC §3): `on pricing_interest` leaves
 * event_decl NULL, the name being the truth's. */
static void check_on_event(vt_rctx *c, vt_trigger *t, const char *what) {
    bool created = false;
    vt_decl *cond = t->event.text && !vt_rs_lookup(c, NS_EVENT, t->event.text) ? vt_rs_lookup(c, NS_COND, t->event.text)
                                                                               : NULL;
    if (cond && cond->kind == VT_D_TRUTH) {
        vt_rs_mark_used(c, cond);
        t->event_decl = NULL;
        if (t->cond) vt_ty_cond(c, t->cond, what);
        return;
    }
    if (cond) {
        vt_diag *g = vt_rs_report(c, VT_E022, t->event.span, "`%s` is a segment, not an event", t->event.text);
        vt_diag_hint(g, c->u->diags, "to act when a contact enters the segment, write `when %s`", t->event.text);
        return;
    }
    t->event_decl = vt_rs_event(c, &t->event, &created, true);
    if (!t->cond) return;
    if (!t->event_decl && !created) {
        /* unknown event: its payload is unknown too, so the `where` is not checked */
        return;
    }
    saved_ctx sv = save(c);
    c->event = t->event_decl;
    c->event_created = created;
    vt_ty_cond(c, t->cond, what);
    restore(c, sv);
}

static void check_rule(vt_rctx *c, vt_decl *d) {
    bool created = false;
    d->u.on.event_decl = vt_rs_event(c, &d->u.on.event, &created, true);
    if (!d->u.on.event_decl && !created) return;
    saved_ctx sv = save(c);
    c->event = d->u.on.event_decl;
    c->event_created = created;
    if (d->u.on.where) vt_ty_cond(c, d->u.on.where, "the `where` of this rule");
    vt_rs_check_block(c, &d->u.on.body, VT_BLK_RULE);
    restore(c, sv);
}

/* `truth NAME = C`, `segment NAME = C`: a condition, under a name no field takes. */
static void check_cond_decl(vt_rctx *c, vt_decl *d, const char *what) {
    int f = d->prefix ? -1 : vt_rs_contact_field(c, d->name.text);
    if (f >= 0) {
        vt_diag *g = vt_rs_report(c, VT_E021, d->name.span, "`%s` is both a contact field and %s", d->name.text, what);
        vt_diag_note(g, c->u->diags, c->u->contact->u.contact.fields[f]->name.span, "the field is declared here");
        vt_diag_hint(g, c->u->diags, "rename one of them: a condition would not know which one you mean");
    }
    vt_ty_cond(c, d->u.truth.cond, what);
}

static void check_lifecycle(vt_rctx *c, vt_decl *d) {
    uint32_t ninit = 0;
    vt_state_decl *first_init = NULL;
    for (uint32_t i = 0; i < d->u.lifecycle.n; i++) {
        vt_state_decl *s = d->u.lifecycle.states[i];
        if (!s->name.text) continue;
        for (uint32_t j = 0; j < i; j++) {
            if (d->u.lifecycle.states[j]->name.text && !strcmp(d->u.lifecycle.states[j]->name.text, s->name.text)) {
                vt_diag *g = vt_rs_report(c, VT_E021, s->name.span, "state `%s` is declared twice in lifecycle `%s`",
                                          s->name.text, d->name.text);
                vt_diag_note(g, c->u->diags, d->u.lifecycle.states[j]->name.span, "first declared here");
                break;
            }
        }
        if (s->initial) {
            if (!ninit) first_init = s;
            else {
                vt_diag *g = vt_rs_report(c, VT_E050, s->span, "lifecycle `%s` has more than one initial state",
                                          d->name.text);
                vt_diag_note(g, c->u->diags, first_init->span, "`%s` is already the initial state", first_init->name.text);
                vt_diag_hint(g, c->u->diags, "a new contact starts in exactly one state: keep `initial` on one of them");
            }
            ninit++;
        }
        if (s->owner.text) s->owner_decl = vt_rs_team(c, &s->owner);
    }
    if (!ninit) {
        vt_diag *g = vt_rs_report(c, VT_E050, d->name.span, "lifecycle `%s` has no initial state", d->name.text);
        if (d->u.lifecycle.n)
            vt_diag_hint(g, c->u->diags, "mark the state new contacts start in: initial state %s",
                         d->u.lifecycle.states[0]->name.text);
        else vt_diag_hint(g, c->u->diags, "declare its states, one of them `initial`");
    }
}

static void check_transition(vt_rctx *c, vt_decl *d) {
    vt_decl *tl[8], *fl[8];
    int ti[8], fi[8];
    int nt = vt_rs_state_candidates(c, &d->u.transition.to, tl, ti, 8);
    int nf = d->u.transition.from_any ? 0 : vt_rs_state_candidates(c, &d->u.transition.from, fl, fi, 8);
    d->u.transition.from_index = d->u.transition.to_index = -1;
    if (!nt) vt_rs_report_unknown_state(c, &d->u.transition.to, VT_E024);
    if (!d->u.transition.from_any && !nf) vt_rs_report_unknown_state(c, &d->u.transition.from, VT_E024);
    if (d->u.transition.from_any) {
        if (nt > 1) vt_rs_report_ambiguous_state(c, &d->u.transition.to, tl, nt);
        else if (nt == 1) d->u.transition.lifecycle = tl[0], d->u.transition.to_index = ti[0];
    } else if (nt && nf) {
        int pairs = 0, pt = 0, pf = 0;
        for (int a = 0; a < nf; a++)
            for (int b = 0; b < nt; b++)
                if (fl[a] == tl[b]) pairs++, pf = a, pt = b;
        if (pairs == 1) {
            d->u.transition.lifecycle = tl[pt];
            d->u.transition.from_index = fi[pf];
            d->u.transition.to_index = ti[pt];
        } else if (pairs == 0) {
            vt_diag *g = vt_rs_report(c, VT_E051, d->span, "`%s` and `%s` are states of different lifecycles",
                                      d->u.transition.from.text, d->u.transition.to.text);
            vt_diag_note(g, c->u->diags, fl[0]->name.span, "`%s` is in lifecycle `%s`", d->u.transition.from.text,
                         fl[0]->name.text);
            vt_diag_note(g, c->u->diags, tl[0]->name.span, "`%s` is in lifecycle `%s`", d->u.transition.to.text,
                         tl[0]->name.text);
            vt_diag_hint(g, c->u->diags, "a transition moves a contact within one lifecycle");
        } else {
            vt_name *amb = nf > 1 ? &d->u.transition.from : &d->u.transition.to;
            vt_rs_report_ambiguous_state(c, amb, nf > 1 ? fl : tl, nf > 1 ? nf : nt);
        }
    }
    vt_decl *lc = d->u.transition.lifecycle;
    if (lc && d->u.transition.from_index >= 0 && lc->u.lifecycle.states[d->u.transition.from_index]->final) {
        vt_diag *g = vt_rs_report(c, VT_E051, d->u.transition.from.span, "`%s` is a final state: a contact never leaves it",
                                  d->u.transition.from.text);
        vt_diag_hint(g, c->u->diags, "remove `final` from the state, or remove this transition");
    }
    vt_trigger *t = &d->u.transition.trigger;
    switch (t->kind) {
    case VT_TR_ON_EVENT: check_on_event(c, t, "the `where` of this transition"); break;
    case VT_TR_WHEN: vt_ty_cond(c, t->cond, "the condition of this transition"); break;
    case VT_TR_AFTER:
        if (t->dur) vt_ty_expect(c, t->dur, VT_T_DURATION, "`after ... in state`");
        if (d->u.transition.from_any) {
            vt_diag *g = vt_rs_report(c, VT_E051, t->span, "`after ... in state` needs one source state, not `any`");
            vt_diag_hint(g, c->u->diags, "write one transition per state that times out");
        }
        break;
    default: vt_rs_report(c, VT_E051, t->span, "a transition fires `on EVENT`, `when CONDITION` or `after DURATION in state`");
    }
}

static void check_enroll(vt_rctx *c, vt_trigger *t) {
    switch (t->kind) {
    case VT_TR_ON_EVENT: check_on_event(c, t, "the `where` of this enrollment"); break;
    case VT_TR_WHEN: vt_ty_cond(c, t->cond, "the condition of this enrollment"); break;
    case VT_TR_ENTER:
        t->state_lifecycle = vt_rs_state_any(c, &t->state, &t->state_index);
        if (t->cond) vt_ty_cond(c, t->cond, "the `when` of this enrollment");
        break;
    case VT_TR_CALENDAR:
        if (t->cal == VT_CAL_YEARLY && (t->month < 1 || t->month > 12 || t->day < 1 || t->day > 31))
            vt_rs_report(c, VT_E006, t->span, "%02d-%02d is not a day of the year", t->month, t->day);
        break;
    case VT_TR_AFTER:
        vt_rs_report(c, VT_E052, t->span, "`after ... in state` belongs to transitions; a workflow enrolls `on EVENT`, "
                                          "`on enter STATE`, `when CONDITION` or `every ...`");
        break;
    }
}

static void check_workflow(vt_rctx *c, vt_decl *d) {
    saved_ctx sv = save(c);
    c->workflow = d;
    if (d->u.workflow.owner.text) d->u.workflow.owner_decl = vt_rs_team(c, &d->u.workflow.owner);
    if (!d->u.workflow.nenroll) {
        vt_diag *g = vt_rs_report(c, VT_E052, d->name.span, "workflow `%s` has no `enroll`: no contact could ever start it",
                                  d->name.text);
        vt_diag_hint(g, c->u->diags, "add a trigger such as `enroll on enter mql` or `enroll on purchase`");
    }
    for (uint32_t i = 0; i < d->u.workflow.nenroll; i++) check_enroll(c, d->u.workflow.enroll[i]);
    if (d->u.workflow.reenroll == VT_REENROLL_AFTER && d->u.workflow.reenroll_after)
        vt_ty_expect(c, d->u.workflow.reenroll_after, VT_T_DURATION, "`reenroll after`");
    for (uint32_t i = 0; i < d->u.workflow.nexits; i++) {
        vt_trigger *t = d->u.workflow.exits[i];
        if (t->kind == VT_TR_ON_EVENT) check_on_event(c, t, "the `where` of this exit");
        else if (t->kind == VT_TR_WHEN) {
            c->events_are_conds = true;
            vt_ty_cond(c, t->cond, "the `exit when` condition");
            c->events_are_conds = sv.ev_conds;
        } else vt_rs_report(c, VT_E052, t->span, "a workflow exits `on EVENT` or `when CONDITION`");
    }
    if (d->u.workflow.goal) {
        c->events_are_conds = true;
        vt_ty_cond(c, d->u.workflow.goal, "the goal");
        c->events_are_conds = sv.ev_conds;
    }
    if (d->u.workflow.goal_within) vt_ty_expect(c, d->u.workflow.goal_within, VT_T_DURATION, "the goal's `within`");
    if (!d->u.workflow.steps.n) {
        vt_diag *g = vt_rs_report(c, VT_E052, d->name.span, "workflow `%s` has no steps: it would do nothing", d->name.text);
        vt_diag_hint(g, c->u->diags, "add a `steps { ... }` block, such as steps { send email \"welcome\" }");
    }
    vt_rs_check_block(c, &d->u.workflow.steps, VT_BLK_STEPS);
    restore(c, sv);
}

static void check_extern(vt_rctx *c, vt_decl *d) {
    for (uint32_t i = 0; i < d->u.ext.nparams; i++) {
        vt_type_kind k = d->u.ext.params[i].kind;
        if (k == VT_T_TEAM || k == VT_T_STATE || k == VT_T_LIST || k == VT_T_TAGS || k == VT_T_ERROR)
            vt_rs_report(c, VT_E046, d->u.ext.params[i].span, "a native function cannot take a %s",
                         vt_type_kind_name(k));
    }
    vt_type_kind r = d->u.ext.ret.kind;
    if (r == VT_T_TEAM || r == VT_T_STATE || r == VT_T_LIST || r == VT_T_TAGS || r == VT_T_ERROR)
        vt_rs_report(c, VT_E046, d->u.ext.ret.span, "a native function cannot return a %s", vt_type_kind_name(r));
    /* Binding the library (E034, E058) needs the allowed native directories: it is
     * checked after resolution by compiler/externs.c, and again when the flow loads. */
}

static void check_template(vt_rctx *c, vt_decl *d) {
    for (uint32_t i = 0; i < d->u.template_.nparams; i++) {
        vt_param *p = d->u.template_.params[i];
        for (uint32_t j = 0; j < i; j++)
            if (p->name.text && d->u.template_.params[j]->name.text &&
                !strcmp(p->name.text, d->u.template_.params[j]->name.text)) {
                vt_diag *g = vt_rs_report(c, VT_E021, p->name.span, "parameter `%s` is declared twice", p->name.text);
                vt_diag_note(g, c->u->diags, d->u.template_.params[j]->name.span, "first declared here");
            }
        if (p->def && p->type.kind != VT_T_TEAM) {
            char what[300];
            snprintf(what, sizeof what, "parameter `%s`", p->name.text ? p->name.text : "?");
            if (vt_ty_assign(c, vt_rs_typeref(&p->type), p->def, what)) vt_ty_range(c, &p->type, p->def, p->name.text);
        }
    }
}

static void check_migrate(vt_rctx *c, vt_decl *d) {
    vt_decl *lcs[8];
    int idx[8];
    int k = vt_rs_state_candidates(c, &d->u.migrate.to, lcs, idx, 8);
    if (k == 0) {
        vt_rs_report_unknown_state(c, &d->u.migrate.to, VT_E056);
    } else if (k > 1) vt_rs_report_ambiguous_state(c, &d->u.migrate.to, lcs, k);
    k = vt_rs_state_candidates(c, &d->u.migrate.from, lcs, idx, 8);
    if (k > 0) {
        vt_diag *g = vt_rs_report(c, VT_E056, d->u.migrate.from.span,
                                  "state `%s` still exists in this flow: contacts in it keep it", d->u.migrate.from.text);
        vt_diag_hint(g, c->u->diags, "`migrate state` maps a state that this version removed; delete this line");
    }
}

/* One declaration, in the scope of its template instance (if any). */
void vt_rs_check_decl(vt_rctx *c, vt_decl *d) {
    const char *old = c->scope;
    c->scope = d->prefix;
    switch (d->kind) {
    case VT_D_EVENT: check_fields(c, d->u.event.fields, d->u.event.n, true); break;
    case VT_D_TEAM: check_team(c, d); break;
    case VT_D_CHANNEL: check_channel(c, d); break;
    case VT_D_ON: check_rule(c, d); break;
    case VT_D_TRUTH: check_cond_decl(c, d, "a truth"); break;
    case VT_D_SEGMENT: check_cond_decl(c, d, "a segment"); break;
    case VT_D_LIFECYCLE: check_lifecycle(c, d); break;
    case VT_D_TRANSITION: check_transition(c, d); break;
    case VT_D_WORKFLOW: check_workflow(c, d); break;
    case VT_D_EXTERN: check_extern(c, d); break;
    case VT_D_TEMPLATE: check_template(c, d); break;
    case VT_D_TEST: vt_rs_check_test(c, d); break;
    case VT_D_MIGRATE: check_migrate(c, d); break;
    default: break;     /* flow, timezone, contact, import, use: checked as a whole */
    }
    c->scope = old;
}

void vt_rs_check_decls(vt_rctx *c) {
    vt_unit *u = c->u;
    if (u->timezone) check_timezone(c, u->timezone);
    if (u->contact) check_fields(c, u->contact->u.contact.fields, u->contact->u.contact.n, false);
    /* Kind by kind, in the order later kinds rely on. */
    vt_list *lists[] = {&u->events, &u->teams, &u->channels, &u->rules, &u->truths, &u->segments, &u->lifecycles,
                        &u->transitions, &u->workflows, &u->externs, &u->templates, &u->tests, &u->migrates};
    for (size_t l = 0; l < sizeof lists / sizeof *lists; l++)
        for (uint32_t i = 0; i < lists[l]->n; i++) vt_rs_check_decl(c, lists[l]->items[i]);
}
