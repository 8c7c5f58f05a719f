/* Statements of `on` rules and workflow steps -> code. Steps are resumable: WAIT,
 * WAIT_UNTIL and a delayed SEND suspend with an empty stack, so an enrollment stores
 * only its program counter and a small frame. */
#include "codegen_internal.h"
#include <string.h>

static void gen_stmt(cg *g, vt_stmt *s);

void cg_block(cg *g, const vt_block *b) {
    for (uint32_t i = 0; i < b->n && !g->err; i++) gen_stmt(g, b->items[i]);
}

static uint32_t next_step(cg *g, vt_stmt *s) {
    s->step_id = ++g->step_counter;
    return s->step_id;
}

static int field_index(cg *g, vt_stmt *s) {
    if (s->u.set.field_index >= 0 && (uint32_t)s->u.set.field_index < g->p->nfields) return s->u.set.field_index;
    for (uint32_t i = 0; i < g->p->nfields; i++)
        if (s->u.set.field.text && strcmp(g->p->strings + g->p->fields[i].name, s->u.set.field.text) == 0) return (int)i;
    cg_fail(g, s->span, "`%s` is not a contact field", s->u.set.field.text ? s->u.set.field.text : "?");
    return 0;
}

static uint32_t team_of(cg *g, const vt_target *t, vt_span sp) {
    if (t->is_owner) return VT_NONE;
    if (!t->team_decl) { cg_fail(g, sp, "unknown team"); return 0; }
    return t->team_decl->index;
}

static void need_workflow(cg *g, vt_stmt *s, const char *what) {
    if (g->cur_wf < 0) cg_fail(g, s->span, "`%s` is a workflow step; it cannot appear in an `on` rule", what);
}

static void gen_if(cg *g, vt_stmt *s) {
    uint32_t ends[64];
    uint32_t nend = 0;
    for (uint32_t i = 0; i < s->u.if_.narms && !g->err; i++) {
        vt_if_arm *arm = &s->u.if_.arms[i];
        uint32_t skip = VT_NONE;
        if (arm->cond) {
            cg_expr(g, arm->cond);
            skip = cg_emit(g, VT_I_JFALSE, 0, 0, 0);
        }
        cg_block(g, &arm->body);
        if (i + 1 < s->u.if_.narms) {
            if (nend == 64) { cg_fail(g, arm->span, "too many `else if` arms (at most 64)"); return; }
            ends[nend++] = cg_emit(g, VT_I_JMP, 0, 0, 0);
        }
        if (skip != VT_NONE) cg_patch_here(g, skip, 0);
    }
    for (uint32_t i = 0; i < nend; i++) cg_patch_here(g, ends[i], 0);
}

static void gen_split(cg *g, vt_stmt *s) {
    uint32_t ends[64];
    uint32_t nend = 0;
    int cum = 0;
    for (uint32_t i = 0; i < s->u.split.narms && !g->err; i++) {
        vt_split_arm *arm = &s->u.split.arms[i];
        cum += arm->percent;
        uint32_t skip = VT_NONE;
        if (i + 1 < s->u.split.narms) skip = cg_emit(g, VT_I_SPLIT_GE, (uint32_t)(cum > 100 ? 100 : cum), 0, 0);
        cg_block(g, &arm->body);
        if (i + 1 < s->u.split.narms) {
            if (nend == 64) { cg_fail(g, arm->span, "too many split arms (at most 64)"); return; }
            ends[nend++] = cg_emit(g, VT_I_JMP, 0, 0, 0);
            cg_patch_here(g, skip, 1);
        }
    }
    for (uint32_t i = 0; i < nend; i++) cg_patch_here(g, ends[i], 0);
}

static void gen_stmt(cg *g, vt_stmt *s) {
    vt_span saved = g->cur_span;
    g->cur_span = s->span;
    switch (s->kind) {
    case VT_S_SET: {
        int f = field_index(g, s);
        cg_expr(g, s->u.set.value);
        cg_emit(g, VT_I_SET, (uint32_t)f, 0, 0);
        break;
    }
    case VT_S_ADD: {
        int f = field_index(g, s);
        cg_expr(g, s->u.set.value);
        cg_emit(g, s->u.set.minus ? VT_I_SUBFROM : VT_I_ADDTO, (uint32_t)f, 0, 0);
        break;
    }
    case VT_S_TAG: cg_expr(g, s->u.tag.tag); cg_emit(g, VT_I_TAG, 0, 0, 0); break;
    case VT_S_UNTAG: cg_expr(g, s->u.tag.tag); cg_emit(g, VT_I_UNTAG, 0, 0, 0); break;
    case VT_S_IF: gen_if(g, s); break;
    case VT_S_SEND: {
        need_workflow(g, s, "send");
        if (!s->u.send.channel_decl) { cg_fail(g, s->span, "unknown channel"); break; }
        uint32_t step = next_step(g, s);
        uint32_t start = g->p->ncode;
        cg_expr(g, s->u.send.template_);
        cg_emit(g, VT_I_SEND, s->u.send.channel_decl->index, step, start);
        break;
    }
    case VT_S_TASK:
    case VT_S_NOTIFY: {
        need_workflow(g, s, s->kind == VT_S_TASK ? "task" : "notify");
        uint32_t step = next_step(g, s);
        uint32_t team = team_of(g, &s->u.task.to, s->span);
        if (s->u.task.text) cg_expr(g, s->u.task.text);
        else cg_emit(g, VT_I_CONST, cg_const_text(g, ""), 0, 0);
        if (s->kind == VT_S_TASK) {
            if (s->u.task.due) cg_expr(g, s->u.task.due);
            else cg_emit(g, VT_I_CONST, cg_const_int(g, VT_V_DURATION, 0), 0, 0);
            cg_emit(g, VT_I_TASK, team, step, 0);
        } else {
            cg_emit(g, VT_I_NOTIFY, team, step, 0);
        }
        break;
    }
    case VT_S_ESCALATE: {
        need_workflow(g, s, "escalate");
        uint32_t step = next_step(g, s);
        if (s->u.escalate.text) cg_expr(g, s->u.escalate.text);
        else cg_emit(g, VT_I_CONST, cg_const_text(g, ""), 0, 0);
        cg_emit(g, VT_I_ESCALATE, step, 0, 0);
        break;
    }
    case VT_S_ASSIGN:
        if (!s->u.assign.team_decl) { cg_fail(g, s->span, "unknown team"); break; }
        cg_emit(g, VT_I_ASSIGN, s->u.assign.team_decl->index, 0, 0);
        break;
    case VT_S_MOVE:
        if (!s->u.move.lifecycle) { cg_fail(g, s->span, "unknown state"); break; }
        cg_emit(g, VT_I_MOVE, s->u.move.lifecycle->index, (uint32_t)s->u.move.state_index, 0);
        break;
    case VT_S_WAIT:
        need_workflow(g, s, "wait");
        cg_expr(g, s->u.wait.dur);
        cg_emit(g, VT_I_WAIT, 0, 0, 0);
        break;
    case VT_S_WAIT_UNTIL: {
        need_workflow(g, s, "wait until");
        uint32_t start = g->p->ncode;
        cg_expr(g, s->u.wait_until.dur);
        cg_expr(g, s->u.wait_until.cond);
        uint32_t w = cg_emit(g, VT_I_WAIT_UNTIL, start, 0, 0);
        uint32_t skip = cg_emit(g, VT_I_JMP, 0, 0, 0);
        cg_patch_here(g, w, 1);
        if (s->u.wait_until.has_else) cg_block(g, &s->u.wait_until.else_);
        cg_patch_here(g, skip, 0);
        break;
    }
    case VT_S_REPEAT: {
        need_workflow(g, s, "repeat");
        if (s->u.repeat.count <= 0) break;
        if (g->nrep >= VT_MAX_REP) { cg_fail(g, s->span, "too many `repeat` blocks in one workflow (at most %d)", VT_MAX_REP); break; }
        uint32_t r = (uint32_t)g->nrep++;
        cg_emit(g, VT_I_REP_INIT, r, 0, 0);
        uint32_t top = g->p->ncode;
        cg_block(g, &s->u.repeat.body);
        uint32_t n = s->u.repeat.count > 1000000 ? 1000000 : (uint32_t)s->u.repeat.count;
        cg_emit(g, VT_I_REP_NEXT, r, n, top);
        break;
    }
    case VT_S_SPLIT: need_workflow(g, s, "split"); gen_split(g, s); break;
    case VT_S_STOP: need_workflow(g, s, "stop"); cg_emit(g, VT_I_STOP, 0, 0, 0); break;
    default:
        cg_fail(g, s->span, "a test statement cannot appear in a rule or workflow");
        break;
    }
    g->cur_span = saved;
}
