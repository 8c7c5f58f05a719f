/* Structural equality of syntax trees (see ast_equal.h). Literals compare by value,
 * not by spelling, so `1d` equals `24h` and "a\"b" equals itself however escaped. */
#include "ast_equal.h"
#include <string.h>

static bool str_eq(const char *a, const char *b) {
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

static bool name_eq(vt_name a, vt_name b) { return str_eq(a.text, b.text); }

static bool exprs_eq(vt_expr *const *a, uint32_t na, vt_expr *const *b, uint32_t nb) {
    if (na != nb) return false;
    for (uint32_t i = 0; i < na; i++)
        if (!vt_ast_equal_expr(a[i], b[i])) return false;
    return true;
}

static bool typeref_eq(const vt_typeref *a, const vt_typeref *b) {
    return a->kind == b->kind && a->has_range == b->has_range && vt_ast_equal_expr(a->lo, b->lo) &&
           vt_ast_equal_expr(a->hi, b->hi);
}

static bool str_parts_eq(const vt_expr *a, const vt_expr *b) {
    if (a->u.str.nparts != b->u.str.nparts) return false;
    for (uint32_t i = 0; i < a->u.str.nparts; i++) {
        const vt_str_part *p = &a->u.str.parts[i], *q = &b->u.str.parts[i];
        if (p->is_field != q->is_field || !str_eq(p->text, q->text)) return false;
    }
    return true;
}

/* `- 3` (a negation) and `-3` (a literal) are the same number. */
static bool neg_int(const vt_expr *e, int64_t *v) {
    if (e->kind == VT_E_INT) {
        *v = e->u.i;
        return true;
    }
    if (e->kind == VT_E_UNARY && e->u.unary.op == VT_OP_NEG && e->u.unary.e && e->u.unary.e->kind == VT_E_INT &&
        e->u.unary.e->u.i != INT64_MIN) {
        *v = -e->u.unary.e->u.i;
        return true;
    }
    return false;
}

bool vt_ast_equal_expr(const vt_expr *a, const vt_expr *b) {
    if (!a || !b) return a == b;
    int64_t x, y;
    if (neg_int(a, &x) && neg_int(b, &y)) return x == y;
    if (a->kind != b->kind) return false;
    switch (a->kind) {
    case VT_E_BOOL: return a->u.b == b->u.b;
    case VT_E_INT: return a->u.i == b->u.i;
    case VT_E_NUMBER: return a->u.num.v == b->u.num.v;
    case VT_E_MONEY:
        return a->u.money.minor == b->u.money.minor && a->u.money.scale == b->u.money.scale &&
               strcmp(a->u.money.currency, b->u.money.currency) == 0;
    case VT_E_STRING: return str_parts_eq(a, b);
    case VT_E_DURATION: return a->u.dur.seconds == b->u.dur.seconds;
    case VT_E_TIMESTAMP:
        return a->u.ts.unix_s == b->u.ts.unix_s && a->u.ts.has_time == b->u.ts.has_time &&
               a->u.ts.has_zone == b->u.ts.has_zone;
    case VT_E_TIME_OF_DAY: return a->u.tod.minutes == b->u.tod.minutes;
    case VT_E_MONTH_DAY: return a->u.md.month == b->u.md.month && a->u.md.day == b->u.md.day;
    case VT_E_NOW: return true;
    case VT_E_NAME: return name_eq(a->u.name.name, b->u.name.name);
    case VT_E_LIST: return exprs_eq(a->u.list.items, a->u.list.n, b->u.list.items, b->u.list.n);
    case VT_E_UNARY: return a->u.unary.op == b->u.unary.op && vt_ast_equal_expr(a->u.unary.e, b->u.unary.e);
    case VT_E_BINARY:
        return a->u.bin.op == b->u.bin.op && vt_ast_equal_expr(a->u.bin.l, b->u.bin.l) &&
               vt_ast_equal_expr(a->u.bin.r, b->u.bin.r);
    case VT_E_IS:
        return vt_ast_equal_expr(a->u.is.lifecycle, b->u.is.lifecycle) && name_eq(a->u.is.state, b->u.is.state);
    case VT_E_IN: return vt_ast_equal_expr(a->u.in.e, b->u.in.e) && vt_ast_equal_expr(a->u.in.list, b->u.in.list);
    case VT_E_HAS_TAG: return vt_ast_equal_expr(a->u.has_tag.tag, b->u.has_tag.tag);
    case VT_E_CALL:
        return name_eq(a->u.call.fn, b->u.call.fn) &&
               exprs_eq(a->u.call.args, a->u.call.nargs, b->u.call.args, b->u.call.nargs);
    case VT_E_AGGREGATE:
    case VT_E_LAST_FIRST:
    case VT_E_SINCE:
    case VT_E_WITHIN:
    case VT_E_NO_FOR:
        if (a->kind == VT_E_AGGREGATE && a->u.hist.agg != b->u.hist.agg) return false;
        if (a->kind == VT_E_LAST_FIRST && a->u.hist.last != b->u.hist.last) return false;
        return name_eq(a->u.hist.event, b->u.hist.event) && name_eq(a->u.hist.field, b->u.hist.field) &&
               vt_ast_equal_expr(a->u.hist.where, b->u.hist.where) &&
               vt_ast_equal_expr(a->u.hist.within, b->u.hist.within);
    }
    return false;
}

static bool block_eq(const vt_block *a, const vt_block *b) {
    if (a->n != b->n) return false;
    for (uint32_t i = 0; i < a->n; i++)
        if (!vt_ast_equal_stmt(a->items[i], b->items[i])) return false;
    return true;
}

static bool inits_eq(vt_field_init *const *a, uint32_t na, vt_field_init *const *b, uint32_t nb) {
    if (na != nb) return false;
    for (uint32_t i = 0; i < na; i++)
        if (!name_eq(a[i]->name, b[i]->name) || !vt_ast_equal_expr(a[i]->value, b[i]->value)) return false;
    return true;
}

static bool target_eq(const vt_target *a, const vt_target *b) {
    return a->is_owner == b->is_owner && (a->is_owner || name_eq(a->team, b->team));
}

bool vt_ast_equal_stmt(const vt_stmt *a, const vt_stmt *b) {
    if (!a || !b) return a == b;
    if (a->kind != b->kind) return false;
    switch (a->kind) {
    case VT_S_SET:
    case VT_S_ADD:
        return name_eq(a->u.set.field, b->u.set.field) && vt_ast_equal_expr(a->u.set.value, b->u.set.value) &&
               (a->kind == VT_S_SET || a->u.set.minus == b->u.set.minus);
    case VT_S_TAG:
    case VT_S_UNTAG: return vt_ast_equal_expr(a->u.tag.tag, b->u.tag.tag);
    case VT_S_IF:
        if (a->u.if_.narms != b->u.if_.narms) return false;
        for (uint32_t i = 0; i < a->u.if_.narms; i++)
            if (!vt_ast_equal_expr(a->u.if_.arms[i].cond, b->u.if_.arms[i].cond) ||
                !block_eq(&a->u.if_.arms[i].body, &b->u.if_.arms[i].body))
                return false;
        return true;
    case VT_S_SEND:
        return name_eq(a->u.send.channel, b->u.send.channel) &&
               vt_ast_equal_expr(a->u.send.template_, b->u.send.template_);
    case VT_S_TASK:
    case VT_S_NOTIFY:
        return target_eq(&a->u.task.to, &b->u.task.to) && vt_ast_equal_expr(a->u.task.text, b->u.task.text) &&
               vt_ast_equal_expr(a->u.task.due, b->u.task.due);
    case VT_S_ESCALATE: return vt_ast_equal_expr(a->u.escalate.text, b->u.escalate.text);
    case VT_S_ASSIGN: return name_eq(a->u.assign.team, b->u.assign.team);
    case VT_S_MOVE: return name_eq(a->u.move.state, b->u.move.state);
    case VT_S_WAIT: return vt_ast_equal_expr(a->u.wait.dur, b->u.wait.dur);
    case VT_S_WAIT_UNTIL:
        return vt_ast_equal_expr(a->u.wait_until.cond, b->u.wait_until.cond) &&
               vt_ast_equal_expr(a->u.wait_until.dur, b->u.wait_until.dur) &&
               a->u.wait_until.has_else == b->u.wait_until.has_else &&
               block_eq(&a->u.wait_until.else_, &b->u.wait_until.else_);
    case VT_S_REPEAT: return a->u.repeat.count == b->u.repeat.count && block_eq(&a->u.repeat.body, &b->u.repeat.body);
    case VT_S_SPLIT:
        if (a->u.split.narms != b->u.split.narms) return false;
        for (uint32_t i = 0; i < a->u.split.narms; i++) {
            const vt_split_arm *p = &a->u.split.arms[i], *q = &b->u.split.arms[i];
            if (p->percent != q->percent || !str_eq(p->label, q->label) || !block_eq(&p->body, &q->body))
                return false;
        }
        return true;
    case VT_S_STOP: return true;
    case VT_S_T_CONTACT:
        return name_eq(a->u.t_contact.contact, b->u.t_contact.contact) &&
               inits_eq(a->u.t_contact.fields, a->u.t_contact.nfields, b->u.t_contact.fields, b->u.t_contact.nfields);
    case VT_S_T_EVENT:
        return a->u.t_event.relative == b->u.t_event.relative && vt_ast_equal_expr(a->u.t_event.at, b->u.t_event.at) &&
               name_eq(a->u.t_event.contact, b->u.t_event.contact) && name_eq(a->u.t_event.event, b->u.t_event.event) &&
               inits_eq(a->u.t_event.fields, a->u.t_event.nfields, b->u.t_event.fields, b->u.t_event.nfields);
    case VT_S_T_ADVANCE: return vt_ast_equal_expr(a->u.t_advance.dur, b->u.t_advance.dur);
    case VT_S_T_EXPECT: {
#define p (&a->u.t_expect)
#define q (&b->u.t_expect)
        return p->what == q->what && p->negated == q->negated && name_eq(p->contact, q->contact) &&
               vt_ast_equal_expr(p->cond, q->cond) && name_eq(p->channel, q->channel) &&
               vt_ast_equal_expr(p->template_, q->template_) && (p->what != VT_X_ACTION || p->action == q->action) &&
               p->has_count == q->has_count && (!p->has_count || p->count == q->count);
#undef p
#undef q
    }
    }
    return false;
}

static bool fields_eq(vt_field_decl *const *a, uint32_t na, vt_field_decl *const *b, uint32_t nb) {
    if (na != nb) return false;
    for (uint32_t i = 0; i < na; i++)
        if (!name_eq(a[i]->name, b[i]->name) || !typeref_eq(&a[i]->type, &b[i]->type) || a[i]->key != b[i]->key ||
            !vt_ast_equal_expr(a[i]->def, b[i]->def))
            return false;
    return true;
}

static bool trigger_eq(const vt_trigger *a, const vt_trigger *b) {
    if (a->kind != b->kind || !vt_ast_equal_expr(a->cond, b->cond)) return false;
    switch (a->kind) {
    case VT_TR_ON_EVENT: return name_eq(a->event, b->event);
    case VT_TR_WHEN: return true;
    case VT_TR_AFTER: return vt_ast_equal_expr(a->dur, b->dur);
    case VT_TR_ENTER: return name_eq(a->state, b->state);
    case VT_TR_CALENDAR:
        return a->cal == b->cal && a->minutes == b->minutes &&
               (a->cal != VT_CAL_YEARLY || (a->month == b->month && a->day == b->day)) &&
               (a->cal != VT_CAL_WEEKLY || a->weekday == b->weekday);
    }
    return false;
}

static bool triggers_eq(vt_trigger *const *a, uint32_t na, vt_trigger *const *b, uint32_t nb) {
    if (na != nb) return false;
    for (uint32_t i = 0; i < na; i++)
        if (!trigger_eq(a[i], b[i])) return false;
    return true;
}

static bool decls_eq(vt_decl *const *a, uint32_t na, vt_decl *const *b, uint32_t nb) {
    if (na != nb) return false;
    for (uint32_t i = 0; i < na; i++)
        if (!vt_ast_equal_decl(a[i], b[i])) return false;
    return true;
}

static bool channel_eq(const vt_decl *a, const vt_decl *b) {
#define p (&a->u.channel)
#define q (&b->u.channel)
    if (!name_eq(p->requires, q->requires) || p->has_cap != q->has_cap || p->has_quiet != q->has_quiet ||
        p->nwindows != q->nwindows)
        return false;
    if (p->has_cap && (p->cap_count != q->cap_count || !vt_ast_equal_expr(p->cap_per, q->cap_per))) return false;
    if (p->has_quiet && (p->quiet_from != q->quiet_from || p->quiet_to != q->quiet_to)) return false;
    for (uint32_t i = 0; i < p->nwindows; i++) {
        const vt_window *w = &p->windows[i], *v = &q->windows[i];
        if (w->day_from != v->day_from || w->day_to != v->day_to || w->open != v->open || w->close != v->close)
            return false;
    }
    return true;
#undef p
#undef q
}

static bool workflow_eq(const vt_decl *a, const vt_decl *b) {
#define p (&a->u.workflow)
#define q (&b->u.workflow)
    return name_eq(p->owner, q->owner) && triggers_eq(p->enroll, p->nenroll, q->enroll, q->nenroll) &&
           p->reenroll == q->reenroll && vt_ast_equal_expr(p->reenroll_after, q->reenroll_after) &&
           triggers_eq(p->exits, p->nexits, q->exits, q->nexits) && vt_ast_equal_expr(p->goal, q->goal) &&
           vt_ast_equal_expr(p->goal_within, q->goal_within) && block_eq(&p->steps, &q->steps);
#undef p
#undef q
}

static bool template_eq(const vt_decl *a, const vt_decl *b) {
#define p (&a->u.template_)
#define q (&b->u.template_)
    if (p->nparams != q->nparams) return false;
    for (uint32_t i = 0; i < p->nparams; i++)
        if (!name_eq(p->params[i]->name, q->params[i]->name) || !typeref_eq(&p->params[i]->type, &q->params[i]->type) ||
            !vt_ast_equal_expr(p->params[i]->def, q->params[i]->def))
            return false;
    return decls_eq(p->decls, p->ndecls, q->decls, q->ndecls);
#undef p
#undef q
}

bool vt_ast_equal_decl(const vt_decl *a, const vt_decl *b) {
    if (!a || !b) return a == b;
    if (a->kind != b->kind || !name_eq(a->name, b->name) || !str_eq(a->prefix, b->prefix)) return false;
    switch (a->kind) {
    case VT_D_FLOW: return str_eq(a->u.flow.name, b->u.flow.name) && a->u.flow.version == b->u.flow.version;
    case VT_D_TIMEZONE: return str_eq(a->u.timezone.zone, b->u.timezone.zone);
    case VT_D_IMPORT: return str_eq(a->u.import.path, b->u.import.path);
    case VT_D_TEAM: return name_eq(a->u.team.escalates_to, b->u.team.escalates_to);
    case VT_D_CONTACT: return fields_eq(a->u.contact.fields, a->u.contact.n, b->u.contact.fields, b->u.contact.n);
    case VT_D_EVENT:
        return a->u.event.weak == b->u.event.weak &&
               fields_eq(a->u.event.fields, a->u.event.n, b->u.event.fields, b->u.event.n);
    case VT_D_CHANNEL: return channel_eq(a, b);
    case VT_D_ON:
        return name_eq(a->u.on.event, b->u.on.event) && vt_ast_equal_expr(a->u.on.where, b->u.on.where) &&
               block_eq(&a->u.on.body, &b->u.on.body);
    case VT_D_TRUTH:
    case VT_D_SEGMENT: return vt_ast_equal_expr(a->u.truth.cond, b->u.truth.cond);
    case VT_D_LIFECYCLE:
        if (a->u.lifecycle.n != b->u.lifecycle.n) return false;
        for (uint32_t i = 0; i < a->u.lifecycle.n; i++) {
            const vt_state_decl *s = a->u.lifecycle.states[i], *t = b->u.lifecycle.states[i];
            if (!name_eq(s->name, t->name) || !str_eq(s->label, t->label) || s->initial != t->initial ||
                s->final != t->final || !name_eq(s->owner, t->owner))
                return false;
        }
        return true;
    case VT_D_TRANSITION:
        return a->u.transition.from_any == b->u.transition.from_any &&
               (a->u.transition.from_any || name_eq(a->u.transition.from, b->u.transition.from)) &&
               name_eq(a->u.transition.to, b->u.transition.to) &&
               trigger_eq(&a->u.transition.trigger, &b->u.transition.trigger);
    case VT_D_WORKFLOW: return workflow_eq(a, b);
    case VT_D_EXTERN:
        if (a->u.ext.nparams != b->u.ext.nparams || !typeref_eq(&a->u.ext.ret, &b->u.ext.ret) ||
            !str_eq(a->u.ext.lib, b->u.ext.lib))
            return false;
        for (uint32_t i = 0; i < a->u.ext.nparams; i++)
            if (!typeref_eq(&a->u.ext.params[i], &b->u.ext.params[i])) return false;
        return true;
    case VT_D_TEMPLATE: return template_eq(a, b);
    case VT_D_USE:
        return name_eq(a->u.use.template_name, b->u.use.template_name) && name_eq(a->u.use.as, b->u.use.as) &&
               inits_eq(a->u.use.args, a->u.use.nargs, b->u.use.args, b->u.use.nargs);
    case VT_D_TEST: return str_eq(a->u.test.name, b->u.test.name) && block_eq(&a->u.test.body, &b->u.test.body);
    case VT_D_MIGRATE:
        return name_eq(a->u.migrate.from, b->u.migrate.from) && name_eq(a->u.migrate.to, b->u.migrate.to);
    }
    return false;
}

bool vt_ast_equal_module(const vt_module *a, const vt_module *b, const vt_decl **da, const vt_decl **db) {
    uint32_t n = a->ndecls > b->ndecls ? a->ndecls : b->ndecls;
    for (uint32_t i = 0; i < n; i++) {
        const vt_decl *x = i < a->ndecls ? a->decls[i] : NULL;
        const vt_decl *y = i < b->ndecls ? b->decls[i] : NULL;
        if (!vt_ast_equal_decl(x, y)) {
            if (da) *da = x;
            if (db) *db = y;
            return false;
        }
    }
    return true;
}
