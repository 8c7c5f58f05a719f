/* verity graph: each lifecycle of a resolved unit as a state diagram (docs/fmt.md,
 * "verity graph").
 *
 * Drawing choices:
 *  - a state shows its label when it has one, else its name, and its owner team
 *    when it declares one; the initial state gets
 *    an entry arrow (a point in dot, [*] in mermaid); a final state a double outline
 *    (dot) or an arrow to [*] (mermaid);
 *  - a transition is an edge labelled with its trigger, as written in the flow
 *    (`on demo_requested`, `when score >= 40`, `after 45d in state`);
 *  - `any -> S` is drawn once, from a dashed node "any non-final state", rather than
 *    as one edge per state: the graph stays readable and says what the flow says;
 *  - a workflow's `move to S` is a dashed edge (mermaid cannot dash a transition, so
 *    there the label says it) from each state whose `on enter` enrolls the workflow,
 *    or from a dashed node for the workflow when it enrolls otherwise.
 * Everything is written in declaration order, so the output is stable. */
#include "graph.h"
#include "fmt.h"
#include "../common/mem.h"
#include <string.h>

/* ---- labels ----------------------------------------------------------------- */

/* A lifecycle's name as users write it: `winback.stages` for a template instance. */
static void display_name(const vt_decl *d, char *buf, size_t n) {
    if (d->prefix && d->name.text && strncmp(d->name.text, d->prefix, strlen(d->prefix)) != 0)
        snprintf(buf, n, "%s.%s", d->prefix, d->name.text);
    else
        snprintf(buf, n, "%s", d->name.text ? d->name.text : "lifecycle");
}

/* The trigger of a transition as written; malloc'd, NULL when out of memory. */
static char *trigger_text(const vt_trigger *t) {
    char *cond = NULL, *dur = NULL;
    if (t->cond && !(cond = vt_fmt_expr_to_string(t->cond))) return NULL;
    if (t->kind == VT_TR_AFTER && t->dur && !(dur = vt_fmt_expr_to_string(t->dur))) {
        vt_free(cond);
        return NULL;
    }
    const char *ev = t->event.text ? t->event.text : "";
    size_t n = strlen(ev) + (cond ? strlen(cond) : 0) + (dur ? strlen(dur) : 0) + 32;
    char *s = vt_malloc(n);
    if (s) {
        switch (t->kind) {
        case VT_TR_ON_EVENT:
            snprintf(s, n, "on %s%s%s", ev, cond ? " where " : "", cond ? cond : "");
            break;
        case VT_TR_WHEN: snprintf(s, n, "when %s", cond ? cond : ""); break;
        case VT_TR_AFTER: snprintf(s, n, "after %s in state", dur ? dur : ""); break;
        default: snprintf(s, n, "%s", cond ? cond : ""); break;
        }
    }
    vt_free(cond);
    vt_free(dur);
    return s;
}

/* ---- the two output formats ------------------------------------------------- */

typedef struct gout {
    FILE *out;
    vt_graph_format fmt;
    char lc[256];           /* the current lifecycle's display name */
    char id[256];           /* its identifier part for mermaid */
} gout;

/* A double-quoted dot string. */
static void dot_str(FILE *o, const char *s) {
    putc('"', o);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') putc('\\', o);
        if (*s == '\n') fputs("\\n", o);
        else putc(*s, o);
    }
    putc('"', o);
}

/* Mermaid text: characters its parser would take for syntax become entity codes. */
static void mmd_text(FILE *o, const char *s) {
    for (; *s; s++) {
        switch (*s) {
        case '"': fputs("#quot;", o); break;
        case '#': fputs("#35;", o); break;
        case ';': fputs("#59;", o); break;
        case '<': fputs("#lt;", o); break;
        case '>': fputs("#gt;", o); break;
        case '{': fputs("#123;", o); break;
        case '}': fputs("#125;", o); break;
        case '\n': putc(' ', o); break;
        default: putc(*s, o);
        }
    }
}

/* Mermaid identifiers: letters, digits and _ only. */
static void mmd_id_part(FILE *o, const char *s) {
    for (; *s; s++) putc((*s == '.' || *s == '-' || *s == ' ') ? '_' : *s, o);
}

/* The node of a state (kind 0), of the lifecycle's "any" node (1), of a workflow (2). */
static void node_id(gout *g, int kind, const char *name) {
    if (g->fmt == VT_GRAPH_DOT) {
        char buf[600];
        snprintf(buf, sizeof buf, "%s%s%s", g->lc, kind == 0 ? "." : kind == 1 ? ".<any>" : ".<workflow>.",
                 kind == 1 ? "" : name);
        dot_str(g->out, buf);
    } else {
        mmd_id_part(g->out, g->id);
        fputs(kind == 0 ? "__" : kind == 1 ? "__any" : "__wf__", g->out);
        if (kind != 1) mmd_id_part(g->out, name);
    }
}

static void edge(gout *g, int from_kind, const char *from, const char *to, const char *label, bool dashed) {
    fputs("    ", g->out);
    node_id(g, from_kind, from);
    fputs(g->fmt == VT_GRAPH_DOT ? " -> " : " --> ", g->out);
    node_id(g, 0, to);
    if (g->fmt == VT_GRAPH_DOT) {
        if (label || dashed) {
            fputs(" [", g->out);
            if (label) {
                fputs("label=", g->out);
                dot_str(g->out, label);
            }
            if (dashed) fputs(label ? ", style=dashed" : "style=dashed", g->out);
            fputs("]", g->out);
        }
        fputs(";\n", g->out);
    } else {
        if (label) {
            fputs(" : ", g->out);
            mmd_text(g->out, label);
        }
        fputc('\n', g->out);
    }
}

static void state_node(gout *g, const vt_state_decl *s) {
    const char *label = s->label ? s->label : s->name.text;
    const char *owner = s->owner.text;
    if (g->fmt == VT_GRAPH_DOT) {
        fputs("    ", g->out);
        node_id(g, 0, s->name.text);
        fputs(" [label=", g->out);
        if (owner) {
            size_t n = strlen(label) + strlen(owner) + 8;
            char *both = vt_malloc(n);
            if (both) snprintf(both, n, "%s\nowner %s", label, owner);
            dot_str(g->out, both ? both : label);
            vt_free(both);
        } else {
            dot_str(g->out, label);
        }
        if (s->final) fputs(", peripheries=2", g->out);
        fputs("];\n", g->out);
        if (s->initial) {
            fputs("    ", g->out);
            node_id(g, 0, "<start>");
            fputs(" [shape=point, width=0.15, label=\"\"];\n    ", g->out);
            node_id(g, 0, "<start>");
            fputs(" -> ", g->out);
            node_id(g, 0, s->name.text);
            fputs(";\n", g->out);
        }
    } else {
        fputs("    state \"", g->out);
        mmd_text(g->out, label);
        fputs("\" as ", g->out);
        node_id(g, 0, s->name.text);
        fputc('\n', g->out);
        if (owner) {    /* a state description: shown under the name */
            fputs("    ", g->out);
            node_id(g, 0, s->name.text);
            fputs(" : owner ", g->out);
            mmd_text(g->out, owner);
            fputc('\n', g->out);
        }
        if (s->initial) {
            fputs("    [*] --> ", g->out);
            node_id(g, 0, s->name.text);
            fputc('\n', g->out);
        }
    }
}

static void extra_node(gout *g, int kind, const char *name, const char *label) {
    if (g->fmt == VT_GRAPH_DOT) {
        fputs("    ", g->out);
        node_id(g, kind, name);
        fputs(" [label=", g->out);
        dot_str(g->out, label);
        fputs(kind == 1 ? ", style=\"rounded,dashed\"];\n" : ", shape=note, style=dashed];\n", g->out);
    } else {
        fputs("    state \"", g->out);
        mmd_text(g->out, label);
        fputs("\" as ", g->out);
        node_id(g, kind, name);
        fputs("\n    class ", g->out);
        node_id(g, kind, name);
        fputs(" dashed\n", g->out);
    }
}

/* ---- workflow `move to` edges ------------------------------------------------- */

typedef struct move_ctx {
    gout *g;
    const vt_decl *lc, *wf;
    const vt_state_decl **done;     /* targets already drawn for this workflow */
    uint32_t ndone;
    bool from_node;                 /* no `on enter` state: edges start at the workflow node */
    bool node_drawn;
} move_ctx;

static void moves_in_block(move_ctx *m, const vt_block *b);

static void move_edge(move_ctx *m, const vt_stmt *s) {
    const vt_decl *lc = m->lc;
    if (s->u.move.lifecycle != lc || s->u.move.state_index < 0 || (uint32_t)s->u.move.state_index >= lc->u.lifecycle.n)
        return;
    const vt_state_decl *to = lc->u.lifecycle.states[s->u.move.state_index];
    for (uint32_t i = 0; i < m->ndone; i++)
        if (m->done[i] == to) return;
    m->done[m->ndone++] = to;
    char label[300];
    snprintf(label, sizeof label, "move to (workflow %s)", m->wf->name.text ? m->wf->name.text : "");
    const vt_decl *wf = m->wf;
    if (m->from_node) {
        if (!m->node_drawn) {
            char nl[300];
            snprintf(nl, sizeof nl, "workflow %s", wf->name.text ? wf->name.text : "");
            extra_node(m->g, 2, wf->name.text, nl);
            m->node_drawn = true;
        }
        edge(m->g, 2, wf->name.text, to->name.text, label, true);
        return;
    }
    for (uint32_t i = 0; i < wf->u.workflow.nenroll; i++) {
        const vt_trigger *t = wf->u.workflow.enroll[i];
        if (t->kind != VT_TR_ENTER || t->state_lifecycle != lc || t->state_index < 0 ||
            (uint32_t)t->state_index >= lc->u.lifecycle.n)
            continue;
        edge(m->g, 0, lc->u.lifecycle.states[t->state_index]->name.text, to->name.text, label, true);
    }
}

static void moves_in_stmt(move_ctx *m, const vt_stmt *s) {
    switch (s->kind) {
    case VT_S_MOVE: move_edge(m, s); break;
    case VT_S_IF:
        for (uint32_t i = 0; i < s->u.if_.narms; i++) moves_in_block(m, &s->u.if_.arms[i].body);
        break;
    case VT_S_WAIT_UNTIL: moves_in_block(m, &s->u.wait_until.else_); break;
    case VT_S_REPEAT: moves_in_block(m, &s->u.repeat.body); break;
    case VT_S_SPLIT:
        for (uint32_t i = 0; i < s->u.split.narms; i++) moves_in_block(m, &s->u.split.arms[i].body);
        break;
    default: break;
    }
}

static void moves_in_block(move_ctx *m, const vt_block *b) {
    for (uint32_t i = 0; i < b->n; i++) moves_in_stmt(m, b->items[i]);
}

static int workflow_moves(gout *g, const vt_decl *lc, const vt_decl *wf) {
    move_ctx m = {.g = g, .lc = lc, .wf = wf};
    m.done = vt_calloc(lc->u.lifecycle.n + 1, sizeof *m.done);
    if (!m.done) return -1;
    m.from_node = true;
    for (uint32_t i = 0; i < wf->u.workflow.nenroll; i++) {
        const vt_trigger *t = wf->u.workflow.enroll[i];
        if (t->kind == VT_TR_ENTER && t->state_lifecycle == lc) m.from_node = false;
    }
    moves_in_block(&m, &wf->u.workflow.steps);
    vt_free(m.done);
    return 0;
}

/* ---- one lifecycle ------------------------------------------------------------- */

static int lifecycle(vt_unit *u, gout *g, const vt_decl *lc) {
    display_name(lc, g->lc, sizeof g->lc);
    snprintf(g->id, sizeof g->id, "%s", g->lc);
    if (g->fmt == VT_GRAPH_DOT) {
        fputs("  subgraph ", g->out);
        char cl[300];
        snprintf(cl, sizeof cl, "cluster_%s", g->lc);
        dot_str(g->out, cl);
        fputs(" {\n    label=", g->out);
        snprintf(cl, sizeof cl, "lifecycle %s", g->lc);
        dot_str(g->out, cl);
        fputs(";\n", g->out);
    } else {
        fputs("  state ", g->out);
        mmd_id_part(g->out, g->id);
        fputs(" {\n", g->out);
    }
    for (uint32_t i = 0; i < lc->u.lifecycle.n; i++) state_node(g, lc->u.lifecycle.states[i]);

    bool any_drawn = false;
    for (uint32_t i = 0; i < u->transitions.n; i++) {
        const vt_decl *t = u->transitions.items[i];
        if (t->u.transition.lifecycle != lc) continue;
        int to = t->u.transition.to_index, from = t->u.transition.from_index;
        if (to < 0 || (uint32_t)to >= lc->u.lifecycle.n) continue;
        if (!t->u.transition.from_any && (from < 0 || (uint32_t)from >= lc->u.lifecycle.n)) continue;
        char *label = trigger_text(&t->u.transition.trigger);
        if (!label) return -1;
        const char *to_name = lc->u.lifecycle.states[to]->name.text;
        if (t->u.transition.from_any) {
            if (!any_drawn) extra_node(g, 1, NULL, "any non-final state");
            any_drawn = true;
            edge(g, 1, NULL, to_name, label, false);
        } else {
            edge(g, 0, lc->u.lifecycle.states[from]->name.text, to_name, label, false);
        }
        vt_free(label);
    }
    for (uint32_t i = 0; i < u->workflows.n; i++)
        if (workflow_moves(g, lc, u->workflows.items[i]) < 0) return -1;
    if (g->fmt == VT_GRAPH_MERMAID)
        for (uint32_t i = 0; i < lc->u.lifecycle.n; i++)
            if (lc->u.lifecycle.states[i]->final) {
                fputs("    ", g->out);
                node_id(g, 0, lc->u.lifecycle.states[i]->name.text);
                fputs(" --> [*]\n", g->out);
            }
    fputs("  }\n", g->out);
    return 0;
}

int vt_graph(vt_unit *u, vt_graph_format fmt, FILE *out) {
    gout g = {.out = out, .fmt = fmt};
    const char *flow = u->flow && u->flow->u.flow.name ? u->flow->u.flow.name : "flow";
    if (fmt == VT_GRAPH_DOT) {
        fputs("digraph ", out);
        dot_str(out, flow);
        fputs(" {\n  rankdir=LR;\n  fontname=\"Helvetica\";\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n"
              "  edge [fontname=\"Helvetica\", fontsize=10];\n", out);
    } else {
        fputs("stateDiagram-v2\n  %% flow \"", out);
        mmd_text(out, flow);
        fputs("\"\n  classDef dashed stroke-dasharray: 5 5\n", out);
    }
    for (uint32_t i = 0; i < u->lifecycles.n; i++) {
        if (fmt == VT_GRAPH_DOT || i > 0) fputc('\n', out);
        if (lifecycle(u, &g, u->lifecycles.items[i]) < 0) return -1;
    }
    if (fmt == VT_GRAPH_DOT) fputs("}\n", out);
    return ferror(out) ? -1 : 0;
}
