/* Checks of statements: rule bodies, workflow steps (SPEC §6) and test blocks (§10). */
#include "resolve_internal.h"
#include <string.h>

static const char *stmt_word(vt_stmt_kind k) {
    switch (k) {
    case VT_S_SEND: return "send";
    case VT_S_TASK: return "task";
    case VT_S_NOTIFY: return "notify";
    case VT_S_ESCALATE: return "escalate";
    case VT_S_ASSIGN: return "assign";
    case VT_S_MOVE: return "move to";
    case VT_S_WAIT: return "wait";
    case VT_S_WAIT_UNTIL: return "wait until";
    case VT_S_REPEAT: return "repeat";
    case VT_S_SPLIT: return "split";
    case VT_S_STOP: return "stop";
    default: return "this statement";
    }
}

/* `set FIELD = V` and `FIELD += V`: only declared contact fields. */
static void check_set(vt_rctx *c, vt_stmt *s) {
    vt_name *f = &s->u.set.field;
    s->u.set.field_index = -1;
    if (!f->text) return;
    int i = vt_rs_contact_field(c, f->text);
    if (i < 0) {
        if (!strcmp(f->text, "owner")) {
            vt_diag *g = vt_rs_report(c, VT_E047, f->span, "the owner is not set like a field");
            vt_diag_hint(g, c->u->diags, "write `assign TEAM` to change the contact's owner");
        } else if (!strcmp(f->text, "id") || !strcmp(f->text, "created_at") || !strcmp(f->text, "tags")) {
            vt_diag *g = vt_rs_report(c, VT_E047, f->span, "`%s` is built in and cannot be changed", f->text);
            if (!strcmp(f->text, "tags")) vt_diag_hint(g, c->u->diags, "write `tag \"x\"` or `untag \"x\"`");
            else vt_diag_hint(g, c->u->diags, "store the value in a contact field of your own");
        } else if ((c->event && vt_rs_payload_field(c->event, f->text) >= 0) || !strncmp(f->text, "event.", 6)) {
            vt_diag *g = vt_rs_report(c, VT_E047, f->span, "`%s` is a field of the event, which cannot be changed", f->text);
            vt_diag_hint(g, c->u->diags, "copy it into a contact field: set my_field = %s", f->text);
        } else {
            vt_suggest sg;
            vt_suggest_init(&sg, f->text);
            vt_decl *ct = c->u->contact;
            for (uint32_t k = 0; ct && k < ct->u.contact.n; k++) vt_suggest_add(&sg, ct->u.contact.fields[k]->name.text);
            vt_diag *g = vt_rs_report(c, VT_E023, f->span, "unknown contact field `%s`", f->text);
            const char *best = vt_suggest_best(&sg);
            if (best) vt_diag_hint(g, c->u->diags, "did you mean `%s`?", best);
            else vt_diag_hint(g, c->u->diags, "declare it in `contact { }`, such as %s: int = 0", f->text);
        }
        vt_ty_expr(c, s->u.set.value);   /* its own names still get checked */
        return;
    }
    s->u.set.field_index = i;
    vt_field_decl *fd = c->u->contact->u.contact.fields[i];
    vt_type ft = vt_rs_typeref(&fd->type);
    char what[300];
    snprintf(what, sizeof what, "field `%s`", f->text);
    if (s->kind == VT_S_ADD) {
        vt_type_kind k = fd->type.kind;
        if (k != VT_T_INT && k != VT_T_NUMBER && k != VT_T_MONEY && k != VT_T_DURATION) {
            vt_diag *g = vt_rs_report(c, VT_E040, f->span, "`%s` is %s: only numbers, money and durations can be added to",
                                      f->text, vt_type_kind_name(k));
            vt_diag_hint(g, c->u->diags, "write `set %s = ...`", f->text);
            vt_ty_expr(c, s->u.set.value);
            return;
        }
        vt_ty_assign(c, ft, s->u.set.value, what);
        return;
    }
    if (vt_ty_assign(c, ft, s->u.set.value, what)) vt_ty_range(c, &fd->type, s->u.set.value, f->text);
}

static void check_target(vt_rctx *c, vt_target *t) {
    if (!t->is_owner) t->team_decl = vt_rs_team(c, &t->team);
}

static void check_escalate(vt_rctx *c, vt_stmt *s) {
    if (s->u.escalate.text) vt_ty_message(c, s->u.escalate.text, "the escalation text");
    vt_decl *wf = c->workflow;
    if (!wf) return;
    if (!wf->u.workflow.owner.text) {
        vt_diag *g = vt_rs_report(c, VT_E054, s->span, "`escalate` in workflow `%s`, which has no owner to escalate from",
                                  wf->name.text);
        vt_diag_hint(g, c->u->diags, "give the workflow an owner whose team escalates: owner TEAM");
        return;
    }
    vt_decl *team = wf->u.workflow.owner_decl;
    if (!team) return;   /* unknown team: already reported */
    if (!team->u.team.escalates_to.text) {
        vt_diag *g = vt_rs_report(c, VT_E054, s->span, "`escalate` has nowhere to go: team `%s` escalates to nobody",
                                  team->name.text);
        vt_diag_note(g, c->u->diags, team->span, "team `%s` is declared here", team->name.text);
        vt_diag_hint(g, c->u->diags, "declare who takes over: team %s escalates to TEAM", team->name.text);
    }
}

static void check_split(vt_rctx *c, vt_stmt *s) {
    long total = 0;
    for (uint32_t i = 0; i < s->u.split.narms; i++) {
        vt_split_arm *a = &s->u.split.arms[i];
        if (a->percent <= 0 || a->percent > 100)
            vt_rs_report(c, VT_E053, a->span, "a split branch takes from 1%% to 100%% of contacts, not %d%%", a->percent);
        total += a->percent;
        for (uint32_t j = 0; j < i; j++)
            if (a->label && s->u.split.arms[j].label && !strcmp(a->label, s->u.split.arms[j].label)) {
                vt_diag *g = vt_rs_report(c, VT_E053, a->span, "two split branches are labelled \"%s\"", a->label);
                vt_diag_note(g, c->u->diags, s->u.split.arms[j].span, "first labelled here");
            }
        vt_rs_check_block(c, &a->body, VT_BLK_STEPS);
    }
    if (total != 100) {
        vt_diag *g = vt_rs_report(c, VT_E053, s->span, "the split percentages add up to %ld%%, not 100%%", total);
        vt_diag_hint(g, c->u->diags, "every contact takes exactly one branch: make the percentages add up to 100");
    }
}

static void check_stmt(vt_rctx *c, vt_stmt *s, vt_block_kind bk) {
    if (bk == VT_BLK_RULE && s->kind >= VT_S_SEND) {
        vt_diag *g = vt_rs_report(c, VT_E052, s->span, "`%s` is a workflow step; a rule only updates the contact",
                                  stmt_word(s->kind));
        vt_diag_hint(g, c->u->diags, "move it into a workflow's steps, enrolled on this event");
        return;
    }
    switch (s->kind) {
    case VT_S_SET:
    case VT_S_ADD: check_set(c, s); break;
    case VT_S_TAG:
    case VT_S_UNTAG: vt_ty_expect(c, s->u.tag.tag, VT_T_TEXT, "a tag"); break;
    case VT_S_IF:
        for (uint32_t i = 0; i < s->u.if_.narms; i++) {
            vt_if_arm *a = &s->u.if_.arms[i];
            if (a->cond) vt_ty_cond(c, a->cond, "the `if` condition");
            vt_rs_check_block(c, &a->body, bk);
        }
        break;
    case VT_S_SEND: {
        vt_name *ch = &s->u.send.channel;
        s->u.send.channel_decl = ch->text ? vt_rs_lookup(c, NS_CHANNEL, ch->text) : NULL;
        if (s->u.send.channel_decl) vt_rs_mark_used(c, s->u.send.channel_decl);
        else if (ch->text) {
            vt_diag *g = vt_rs_report_unknown(c, NS_CHANNEL, VT_E026, ch->span, ch->text, "unknown channel `%s`", ch->text);
            if (g && !g->hint)
                vt_diag_hint(g, c->u->diags, "declare it first: channel %s requires consent_%s", ch->text, ch->text);
        }
        if (s->u.send.template_) vt_ty_message(c, s->u.send.template_, "the template name");
        break;
    }
    case VT_S_TASK:
    case VT_S_NOTIFY:
        check_target(c, &s->u.task.to);
        if (s->u.task.text) vt_ty_message(c, s->u.task.text, s->kind == VT_S_TASK ? "the task text" : "the notification");
        if (s->u.task.due) vt_ty_expect(c, s->u.task.due, VT_T_DURATION, "`due`");
        break;
    case VT_S_ESCALATE: check_escalate(c, s); break;
    case VT_S_ASSIGN: s->u.assign.team_decl = vt_rs_team(c, &s->u.assign.team); break;
    case VT_S_MOVE: s->u.move.lifecycle = vt_rs_state_any(c, &s->u.move.state, &s->u.move.state_index); break;
    case VT_S_WAIT: vt_ty_expect(c, s->u.wait.dur, VT_T_DURATION, "`wait`"); break;
    case VT_S_WAIT_UNTIL: {
        bool old = c->events_are_conds;
        c->events_are_conds = true;
        vt_ty_cond(c, s->u.wait_until.cond, "`wait until`");
        c->events_are_conds = old;
        if (s->u.wait_until.dur) vt_ty_expect(c, s->u.wait_until.dur, VT_T_DURATION, "the `for` of `wait until`");
        if (s->u.wait_until.has_else) vt_rs_check_block(c, &s->u.wait_until.else_, bk);
        break;
    }
    case VT_S_REPEAT:
        if (s->u.repeat.count <= 0) {
            vt_diag *g = vt_rs_report(c, VT_E040, s->span, "`repeat %lld` would never run its steps",
                                      (long long)s->u.repeat.count);
            vt_diag_hint(g, c->u->diags, "repeat at least once, such as `repeat 3 { ... }`");
        }
        vt_rs_check_block(c, &s->u.repeat.body, bk);
        break;
    case VT_S_SPLIT: check_split(c, s); break;
    case VT_S_STOP: break;
    default:
        if (bk != VT_BLK_TEST)
            vt_rs_report(c, VT_E057, s->span, "this line belongs in a `test` block");
        break;
    }
}

void vt_rs_check_block(vt_rctx *c, vt_block *b, vt_block_kind k) {
    for (uint32_t i = 0; i < b->n; i++) check_stmt(c, b->items[i], k);
}

/* ---- test blocks ------------------------------------------------------------- */

typedef struct { const char **names; uint32_t n, cap; } name_set;

static bool set_has(name_set *s, const char *n) {
    for (uint32_t i = 0; i < s->n; i++)
        if (!strcmp(s->names[i], n)) return true;
    return false;
}

static void set_add(vt_rctx *c, name_set *s, const char *n) {
    if (set_has(s, n)) return;
    if (s->n == s->cap) {
        uint32_t ncap = s->cap ? s->cap * 2 : 8;
        const char **nv = vt_arena_alloc(c->a, ncap * sizeof *nv);
        if (!nv) return;
        if (s->n) memcpy(nv, s->names, s->n * sizeof *nv);
        s->names = nv, s->cap = ncap;
    }
    s->names[s->n++] = n;
}

static bool known_contact(vt_rctx *c, name_set *s, vt_name *n) {
    if (!n->text || set_has(s, n->text)) return true;
    vt_suggest sg;
    vt_suggest_init(&sg, n->text);
    for (uint32_t i = 0; i < s->n; i++) vt_suggest_add(&sg, s->names[i]);
    vt_diag *g = vt_rs_report(c, VT_E057, n->span, "this test has no contact `%s`", n->text);
    const char *best = vt_suggest_best(&sg);
    if (best) vt_diag_hint(g, c->u->diags, "did you mean `%s`?", best);
    else vt_diag_hint(g, c->u->diags, "declare it first in the test: contact %s { }", n->text);
    return false;
}

static void check_inits(vt_rctx *c, vt_field_init **f, uint32_t n, vt_decl *event) {
    for (uint32_t i = 0; i < n; i++) {
        vt_field_init *fi = f[i];
        if (!fi->name.text) continue;
        vt_typeref *tr = NULL;
        if (event) {
            int k = vt_rs_payload_field(event, fi->name.text);
            if (k >= 0) tr = &event->u.event.fields[k]->type;
        } else {
            int k = vt_rs_contact_field(c, fi->name.text);
            if (k >= 0) tr = &c->u->contact->u.contact.fields[k]->type;
        }
        if (!tr) {
            vt_suggest sg;
            vt_suggest_init(&sg, fi->name.text);
            if (event)
                for (uint32_t k = 0; k < event->u.event.n; k++) vt_suggest_add(&sg, event->u.event.fields[k]->name.text);
            else
                for (uint32_t k = 0; c->u->contact && k < c->u->contact->u.contact.n; k++)
                    vt_suggest_add(&sg, c->u->contact->u.contact.fields[k]->name.text);
            vt_diag *g = event ? vt_rs_report(c, VT_E057, fi->name.span, "event `%s` has no field `%s`",
                                              event->name.text, fi->name.text)
                               : vt_rs_report(c, VT_E057, fi->name.span, "the contact has no field `%s`", fi->name.text);
            const char *best = vt_suggest_best(&sg);
            if (best) vt_diag_hint(g, c->u->diags, "did you mean `%s`?", best);
            continue;
        }
        char what[300];
        snprintf(what, sizeof what, "field `%s`", fi->name.text);
        if (vt_ty_assign(c, vt_rs_typeref(tr), fi->value, what)) vt_ty_range(c, tr, fi->value, fi->name.text);
    }
}

void vt_rs_check_test(vt_rctx *c, vt_decl *d) {
    name_set contacts = {0};
    for (uint32_t i = 0; i < d->u.test.body.n; i++) {
        vt_stmt *s = d->u.test.body.items[i];
        switch (s->kind) {
        case VT_S_T_CONTACT:
            if (s->u.t_contact.contact.text) set_add(c, &contacts, s->u.t_contact.contact.text);
            check_inits(c, s->u.t_contact.fields, s->u.t_contact.nfields, NULL);
            break;
        case VT_S_T_EVENT: {
            if (s->u.t_event.at) {
                vt_type t = vt_ty_expr(c, s->u.t_event.at);
                vt_type_kind want = s->u.t_event.relative ? VT_T_DURATION : VT_T_TIME;
                if (t.kind != VT_T_ERROR && t.kind != want)
                    vt_rs_report(c, VT_E057, s->u.t_event.at->span,
                                 s->u.t_event.relative ? "`at +...` needs a duration, such as `at +1d`"
                                                       : "`at` needs a date and time, such as `at 2026-01-05T09:00`");
            }
            known_contact(c, &contacts, &s->u.t_event.contact);
            vt_name *en = &s->u.t_event.event;
            if (!en->text) break;
            vt_decl *ev = vt_rs_lookup(c, NS_EVENT, en->text);
            if (!ev) {
                vt_rs_report_unknown(c, NS_EVENT, VT_E057, en->span, en->text, "the flow has no event `%s`", en->text);
                break;
            }
            check_inits(c, s->u.t_event.fields, s->u.t_event.nfields, ev);
            break;
        }
        case VT_S_T_ADVANCE: vt_ty_expect(c, s->u.t_advance.dur, VT_T_DURATION, "`advance`"); break;
        case VT_S_T_EXPECT:
            if (s->u.t_expect.contact.text) known_contact(c, &contacts, &s->u.t_expect.contact);
            if (s->u.t_expect.what == VT_X_COND && s->u.t_expect.cond)
                vt_ty_cond(c, s->u.t_expect.cond, "`expect`");
            if (s->u.t_expect.what == VT_X_SENT && s->u.t_expect.channel.text) {
                vt_name *ch = &s->u.t_expect.channel;
                vt_decl *cd = vt_rs_lookup(c, NS_CHANNEL, ch->text);
                if (!cd)
                    vt_rs_report_unknown(c, NS_CHANNEL, VT_E026, ch->span, ch->text, "unknown channel `%s`", ch->text);
                if (s->u.t_expect.template_) vt_ty_expect(c, s->u.t_expect.template_, VT_T_TEXT, "the template name");
            }
            break;
        default:
            vt_rs_report(c, VT_E057, s->span, "a test holds `contact`, `at`, `advance` and `expect` lines");
        }
    }
}
