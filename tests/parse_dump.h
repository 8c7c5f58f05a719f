/* A compact s-expression rendering of the AST, for tests that assert how a construct
 * was read (`goal purchase within 10d` -> (goal (within purchase 10d))).
 * Header-only (static functions) so each test executable includes its own copy. */
#ifndef VT_TEST_PARSE_DUMP_H
#define VT_TEST_PARSE_DUMP_H
#include "compiler/ast.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pd_buf { char *s; size_t n, cap; } pd_buf;

static void pd_put(pd_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pd_put(pd_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    if (b->n + (size_t)k + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 256);
        while (cap < b->n + (size_t)k + 1) cap *= 2;
        b->s = realloc(b->s, cap);
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)k;
}

static const char *pd_n(vt_name n) { return n.text ? n.text : "_"; }

static void pd_expr(pd_buf *b, const vt_expr *e);

static void pd_str(pd_buf *b, const vt_expr *e) {
    pd_put(b, "\"");
    for (uint32_t i = 0; i < e->u.str.nparts; i++) {
        const vt_str_part *p = &e->u.str.parts[i];
        if (p->is_field) pd_put(b, "{%s}", p->text);
        else pd_put(b, "%s", p->text);
    }
    pd_put(b, "\"");
}

static void pd_expr(pd_buf *b, const vt_expr *e) {
    static const char *aggs[] = { "count", "sum", "min", "max", "avg" };
    if (!e) { pd_put(b, "_"); return; }
    switch (e->kind) {
    case VT_E_BOOL: pd_put(b, "%s", e->u.b ? "true" : "false"); break;
    case VT_E_INT: pd_put(b, "%lld", (long long)e->u.i); break;
    case VT_E_NUMBER: pd_put(b, "%s", e->u.num.text); break;
    case VT_E_MONEY: pd_put(b, "(money %lld/%d %s)", (long long)e->u.money.minor, e->u.money.scale, e->u.money.currency); break;
    case VT_E_STRING: pd_str(b, e); break;
    case VT_E_DURATION: pd_put(b, "%llds", (long long)e->u.dur.seconds); break;
    case VT_E_TIMESTAMP: pd_put(b, "(ts %lld%s%s)", (long long)e->u.ts.unix_s, e->u.ts.has_time ? " T" : "", e->u.ts.has_zone ? " Z" : ""); break;
    case VT_E_TIME_OF_DAY: pd_put(b, "(tod %d)", e->u.tod.minutes); break;
    case VT_E_MONTH_DAY: pd_put(b, "(md %d %d)", e->u.md.month, e->u.md.day); break;
    case VT_E_NOW: pd_put(b, "now"); break;
    case VT_E_NAME: pd_put(b, "%s", pd_n(e->u.name.name)); break;
    case VT_E_LIST:
        pd_put(b, "[");
        for (uint32_t i = 0; i < e->u.list.n; i++) { if (i) pd_put(b, " "); pd_expr(b, e->u.list.items[i]); }
        pd_put(b, "]");
        break;
    case VT_E_UNARY:
        pd_put(b, "(%s ", e->u.unary.op == VT_OP_NOT ? "not" : "neg");
        pd_expr(b, e->u.unary.e);
        pd_put(b, ")");
        break;
    case VT_E_BINARY:
        pd_put(b, "(%s ", vt_binop_text(e->u.bin.op));
        pd_expr(b, e->u.bin.l);
        pd_put(b, " ");
        pd_expr(b, e->u.bin.r);
        pd_put(b, ")");
        break;
    case VT_E_IS: pd_put(b, "(is "); pd_expr(b, e->u.is.lifecycle); pd_put(b, " %s)", pd_n(e->u.is.state)); break;
    case VT_E_IN: pd_put(b, "(in "); pd_expr(b, e->u.in.e); pd_put(b, " "); pd_expr(b, e->u.in.list); pd_put(b, ")"); break;
    case VT_E_HAS_TAG: pd_put(b, "(has-tag "); pd_expr(b, e->u.has_tag.tag); pd_put(b, ")"); break;
    case VT_E_CALL:
        pd_put(b, "(call %s", pd_n(e->u.call.fn));
        for (uint32_t i = 0; i < e->u.call.nargs; i++) { pd_put(b, " "); pd_expr(b, e->u.call.args[i]); }
        pd_put(b, ")");
        break;
    case VT_E_AGGREGATE:
        pd_put(b, "(%s %s", aggs[e->u.hist.agg], pd_n(e->u.hist.event));
        if (e->u.hist.field.text) pd_put(b, ".%s", e->u.hist.field.text);
        if (e->u.hist.where) { pd_put(b, " where "); pd_expr(b, e->u.hist.where); }
        if (e->u.hist.within) { pd_put(b, " within "); pd_expr(b, e->u.hist.within); }
        pd_put(b, ")");
        break;
    case VT_E_LAST_FIRST:
        pd_put(b, "(%s %s %s)", e->u.hist.last ? "last" : "first", pd_n(e->u.hist.event), pd_n(e->u.hist.field));
        break;
    case VT_E_SINCE: pd_put(b, "(since %s)", pd_n(e->u.hist.event)); break;
    case VT_E_WITHIN: pd_put(b, "(within %s ", pd_n(e->u.hist.event)); pd_expr(b, e->u.hist.within); pd_put(b, ")"); break;
    case VT_E_NO_FOR: pd_put(b, "(no %s for ", pd_n(e->u.hist.event)); pd_expr(b, e->u.hist.within); pd_put(b, ")"); break;
    }
}

static void pd_block(pd_buf *b, const vt_block *bl);

static void pd_target(pd_buf *b, const vt_target *t) {
    if (t->is_owner) pd_put(b, "owner"); else pd_put(b, "%s", pd_n(t->team));
}

static void pd_inits(pd_buf *b, vt_field_init **f, uint32_t n) {
    pd_put(b, "{");
    for (uint32_t i = 0; i < n; i++) {
        if (i) pd_put(b, " ");
        pd_put(b, "%s:", pd_n(f[i]->name));
        pd_expr(b, f[i]->value);
    }
    pd_put(b, "}");
}

static void pd_stmt(pd_buf *b, const vt_stmt *s) {
    static const char *acts[] = { [VT_S_TASK] = "task", [VT_S_NOTIFY] = "notify", [VT_S_ESCALATE] = "escalate" };
    switch (s->kind) {
    case VT_S_SET: pd_put(b, "(set %s ", pd_n(s->u.set.field)); pd_expr(b, s->u.set.value); pd_put(b, ")"); break;
    case VT_S_ADD:
        pd_put(b, "(%s %s ", s->u.set.minus ? "-=" : "+=", pd_n(s->u.set.field));
        pd_expr(b, s->u.set.value);
        pd_put(b, ")");
        break;
    case VT_S_TAG: pd_put(b, "(tag "); pd_expr(b, s->u.tag.tag); pd_put(b, ")"); break;
    case VT_S_UNTAG: pd_put(b, "(untag "); pd_expr(b, s->u.tag.tag); pd_put(b, ")"); break;
    case VT_S_IF:
        pd_put(b, "(if");
        for (uint32_t i = 0; i < s->u.if_.narms; i++) {
            pd_put(b, " ");
            pd_expr(b, s->u.if_.arms[i].cond);
            pd_put(b, " ");
            pd_block(b, &s->u.if_.arms[i].body);
        }
        pd_put(b, ")");
        break;
    case VT_S_SEND: pd_put(b, "(send %s ", pd_n(s->u.send.channel)); pd_expr(b, s->u.send.template_); pd_put(b, ")"); break;
    case VT_S_TASK:
    case VT_S_NOTIFY:
        pd_put(b, "(%s ", s->kind == VT_S_TASK ? "task" : "notify");
        pd_target(b, &s->u.task.to);
        pd_put(b, " ");
        pd_expr(b, s->u.task.text);
        if (s->u.task.due) { pd_put(b, " due "); pd_expr(b, s->u.task.due); }
        pd_put(b, ")");
        break;
    case VT_S_ESCALATE: pd_put(b, "(escalate "); pd_expr(b, s->u.escalate.text); pd_put(b, ")"); break;
    case VT_S_ASSIGN: pd_put(b, "(assign %s)", pd_n(s->u.assign.team)); break;
    case VT_S_MOVE: pd_put(b, "(move %s)", pd_n(s->u.move.state)); break;
    case VT_S_WAIT: pd_put(b, "(wait "); pd_expr(b, s->u.wait.dur); pd_put(b, ")"); break;
    case VT_S_WAIT_UNTIL:
        pd_put(b, "(wait-until ");
        pd_expr(b, s->u.wait_until.cond);
        pd_put(b, " ");
        pd_expr(b, s->u.wait_until.dur);
        if (s->u.wait_until.has_else) { pd_put(b, " else "); pd_block(b, &s->u.wait_until.else_); }
        pd_put(b, ")");
        break;
    case VT_S_REPEAT: pd_put(b, "(repeat %lld ", (long long)s->u.repeat.count); pd_block(b, &s->u.repeat.body); pd_put(b, ")"); break;
    case VT_S_SPLIT:
        pd_put(b, "(split");
        for (uint32_t i = 0; i < s->u.split.narms; i++) {
            pd_put(b, " %d%% \"%s\" ", s->u.split.arms[i].percent, s->u.split.arms[i].label);
            pd_block(b, &s->u.split.arms[i].body);
        }
        pd_put(b, ")");
        break;
    case VT_S_STOP: pd_put(b, "(stop)"); break;
    case VT_S_T_CONTACT:
        pd_put(b, "(contact %s ", pd_n(s->u.t_contact.contact));
        pd_inits(b, s->u.t_contact.fields, s->u.t_contact.nfields);
        pd_put(b, ")");
        break;
    case VT_S_T_EVENT:
        pd_put(b, "(at %s", s->u.t_event.relative ? "+" : "");
        pd_expr(b, s->u.t_event.at);
        pd_put(b, " %s %s ", pd_n(s->u.t_event.contact), pd_n(s->u.t_event.event));
        pd_inits(b, s->u.t_event.fields, s->u.t_event.nfields);
        pd_put(b, ")");
        break;
    case VT_S_T_ADVANCE: pd_put(b, "(advance "); pd_expr(b, s->u.t_advance.dur); pd_put(b, ")"); break;
    case VT_S_T_EXPECT:
        pd_put(b, "(expect%s %s ", s->u.t_expect.negated ? " no" : "", pd_n(s->u.t_expect.contact));
        if (s->u.t_expect.what == VT_X_COND) pd_expr(b, s->u.t_expect.cond);
        else if (s->u.t_expect.what == VT_X_SENT) {
            pd_put(b, "sent %s ", pd_n(s->u.t_expect.channel));
            pd_expr(b, s->u.t_expect.template_);
        } else pd_put(b, "%s", acts[s->u.t_expect.action]);
        if (s->u.t_expect.has_count) pd_put(b, " count %lld", (long long)s->u.t_expect.count);
        pd_put(b, ")");
        break;
    }
}

static void pd_block(pd_buf *b, const vt_block *bl) {
    pd_put(b, "{");
    for (uint32_t i = 0; i < bl->n; i++) { if (i) pd_put(b, " "); pd_stmt(b, bl->items[i]); }
    pd_put(b, "}");
}

static void pd_trigger(pd_buf *b, const vt_trigger *t) {
    static const char *cal[] = { "year", "week", "day" };
    switch (t->kind) {
    case VT_TR_ON_EVENT: pd_put(b, "(on %s", pd_n(t->event)); break;
    case VT_TR_WHEN: pd_put(b, "(when"); break;
    case VT_TR_AFTER: pd_put(b, "(after "); pd_expr(b, t->dur); break;
    case VT_TR_ENTER: pd_put(b, "(enter %s", pd_n(t->state)); break;
    case VT_TR_CALENDAR:
        pd_put(b, "(every %s %d-%d wd%d at%d", cal[t->cal], t->month, t->day, t->weekday, t->minutes);
        break;
    }
    if (t->cond) { pd_put(b, " "); pd_expr(b, t->cond); }
    pd_put(b, ")");
}

static void pd_fields(pd_buf *b, vt_field_decl **f, uint32_t n) {
    pd_put(b, "{");
    for (uint32_t i = 0; i < n; i++) {
        if (i) pd_put(b, " ");
        pd_put(b, "%s:%s", pd_n(f[i]->name), vt_type_kind_name(f[i]->type.kind));
        if (f[i]->type.has_range) {
            pd_put(b, "[");
            pd_expr(b, f[i]->type.lo);
            pd_put(b, "..");
            pd_expr(b, f[i]->type.hi);
            pd_put(b, "]");
        }
        if (f[i]->key) pd_put(b, " key");
        if (f[i]->def) { pd_put(b, "="); pd_expr(b, f[i]->def); }
    }
    pd_put(b, "}");
}

static void pd_decl(pd_buf *b, const vt_decl *d) {
    switch (d->kind) {
    case VT_D_FLOW: pd_put(b, "(flow \"%s\" %lld)", d->u.flow.name, (long long)d->u.flow.version); break;
    case VT_D_TIMEZONE: pd_put(b, "(timezone \"%s\")", d->u.timezone.zone); break;
    case VT_D_IMPORT: pd_put(b, "(import \"%s\")", d->u.import.path); break;
    case VT_D_TEAM:
        pd_put(b, "(team %s", pd_n(d->name));
        if (d->u.team.escalates_to.text) pd_put(b, " -> %s", d->u.team.escalates_to.text);
        pd_put(b, ")");
        break;
    case VT_D_CONTACT: pd_put(b, "(contact "); pd_fields(b, d->u.contact.fields, d->u.contact.n); pd_put(b, ")"); break;
    case VT_D_EVENT:
        pd_put(b, "(event %s%s ", pd_n(d->name), d->u.event.weak ? " weak" : "");
        pd_fields(b, d->u.event.fields, d->u.event.n);
        pd_put(b, ")");
        break;
    case VT_D_CHANNEL:
        pd_put(b, "(channel %s", pd_n(d->name));
        if (d->u.channel.requires.text) pd_put(b, " requires %s", d->u.channel.requires.text);
        if (d->u.channel.has_cap) {
            pd_put(b, " cap %lld per ", (long long)d->u.channel.cap_count);
            pd_expr(b, d->u.channel.cap_per);
        }
        if (d->u.channel.has_quiet) pd_put(b, " quiet %d-%d", d->u.channel.quiet_from, d->u.channel.quiet_to);
        for (uint32_t i = 0; i < d->u.channel.nwindows; i++) {
            const vt_window *w = &d->u.channel.windows[i];
            pd_put(b, " window %d-%d %d-%d", w->day_from, w->day_to, w->open, w->close);
        }
        pd_put(b, ")");
        break;
    case VT_D_ON:
        pd_put(b, "(on %s ", pd_n(d->u.on.event));
        pd_expr(b, d->u.on.where);
        pd_put(b, " ");
        pd_block(b, &d->u.on.body);
        pd_put(b, ")");
        break;
    case VT_D_TRUTH:
    case VT_D_SEGMENT:
        pd_put(b, "(%s %s ", d->kind == VT_D_TRUTH ? "truth" : "segment", pd_n(d->name));
        pd_expr(b, d->u.truth.cond);
        pd_put(b, ")");
        break;
    case VT_D_LIFECYCLE:
        pd_put(b, "(lifecycle %s", pd_n(d->name));
        for (uint32_t i = 0; i < d->u.lifecycle.n; i++) {
            const vt_state_decl *s = d->u.lifecycle.states[i];
            pd_put(b, " (%s%s%s", s->initial ? "initial " : "", s->final ? "final " : "", pd_n(s->name));
            if (s->label) pd_put(b, " \"%s\"", s->label);
            if (s->owner.text) pd_put(b, " owner %s", s->owner.text);
            pd_put(b, ")");
        }
        pd_put(b, ")");
        break;
    case VT_D_TRANSITION:
        pd_put(b, "(transition %s%s -> %s ", d->u.transition.from_any ? "*" : "", pd_n(d->u.transition.from),
               pd_n(d->u.transition.to));
        pd_trigger(b, &d->u.transition.trigger);
        pd_put(b, ")");
        break;
    case VT_D_WORKFLOW: {
        static const char *re[] = { "never", "always", "after" };
        pd_put(b, "(workflow %s owner %s", pd_n(d->name), pd_n(d->u.workflow.owner));
        for (uint32_t i = 0; i < d->u.workflow.nenroll; i++) { pd_put(b, " enroll "); pd_trigger(b, d->u.workflow.enroll[i]); }
        pd_put(b, " reenroll %s", re[d->u.workflow.reenroll]);
        if (d->u.workflow.reenroll_after) { pd_put(b, " "); pd_expr(b, d->u.workflow.reenroll_after); }
        for (uint32_t i = 0; i < d->u.workflow.nexits; i++) { pd_put(b, " exit "); pd_trigger(b, d->u.workflow.exits[i]); }
        if (d->u.workflow.goal) {
            pd_put(b, " goal ");
            pd_expr(b, d->u.workflow.goal);
            if (d->u.workflow.goal_within) { pd_put(b, " within "); pd_expr(b, d->u.workflow.goal_within); }
        }
        pd_put(b, " steps ");
        pd_block(b, &d->u.workflow.steps);
        pd_put(b, ")");
        break;
    }
    case VT_D_EXTERN:
        pd_put(b, "(extern %s (", pd_n(d->name));
        for (uint32_t i = 0; i < d->u.ext.nparams; i++) pd_put(b, "%s%s", i ? " " : "", vt_type_kind_name(d->u.ext.params[i].kind));
        pd_put(b, ") %s \"%s\")", vt_type_kind_name(d->u.ext.ret.kind), d->u.ext.lib);
        break;
    case VT_D_TEMPLATE:
        pd_put(b, "(template %s (", pd_n(d->name));
        for (uint32_t i = 0; i < d->u.template_.nparams; i++) {
            const vt_param *p = d->u.template_.params[i];
            pd_put(b, "%s%s:%s", i ? " " : "", pd_n(p->name), vt_type_kind_name(p->type.kind));
            if (p->def) { pd_put(b, "="); pd_expr(b, p->def); }
        }
        pd_put(b, ")");
        for (uint32_t i = 0; i < d->u.template_.ndecls; i++) { pd_put(b, " "); pd_decl(b, d->u.template_.decls[i]); }
        pd_put(b, ")");
        break;
    case VT_D_USE:
        pd_put(b, "(use %s ", pd_n(d->u.use.template_name));
        pd_inits(b, d->u.use.args, d->u.use.nargs);
        if (d->u.use.as.text) pd_put(b, " as %s", d->u.use.as.text);
        pd_put(b, ")");
        break;
    case VT_D_TEST: pd_put(b, "(test \"%s\" ", d->u.test.name); pd_block(b, &d->u.test.body); pd_put(b, ")"); break;
    case VT_D_MIGRATE: pd_put(b, "(migrate %s -> %s)", pd_n(d->u.migrate.from), pd_n(d->u.migrate.to)); break;
    }
}

/* The whole module, one declaration per line; malloc'd. */
static char *pd_module(const vt_module *m) {
    pd_buf b = { 0 };
    pd_put(&b, "%s", "");
    for (uint32_t i = 0; i < m->ndecls; i++) {
        pd_decl(&b, m->decls[i]);
        pd_put(&b, "\n");
    }
    return b.s;
}

#endif
