/* The opcode table: every instruction of the Verity VM, declared once.
 *
 * OP(NAME, nops, kind1, kind2, kind3, pop, push, "synopsis")
 *   nops      number of 32-bit operand words after the opcode word
 *   kindN     what each operand indexes (checked by the verifier, printed by disasm)
 *   pop/push  stack effect on the fall-through path; pop VT_POP_N means "operand 1"
 *             (IN and CONCAT take a count); branch effects are in verify.c
 *   synopsis  one line printed by `verity disasm` beside the instruction
 * Derived from it: the enum, the name table, operand counts and kinds, the stack
 * effects, the disassembler and the VM's dispatch table.
 *
 * A program is a set of functions (code ranges): conditions end in RET with one value
 * on the stack; `on` rules end in END; workflow steps end in DONE or STOP and may
 * suspend at WAIT, WAIT_UNTIL and a delayed SEND with an empty stack, so an enrollment
 * is only a program counter and a small frame (repeat counters, a deadline). */
#ifndef VT_OPCODES_H
#define VT_OPCODES_H

/* Operand kinds. */
#define VT_OPK_NONE   0
#define VT_OPK_CONST  1   /* index into the constant table */
#define VT_OPK_FIELD  2   /* contact field */
#define VT_OPK_PFIELD 3   /* payload field of the current event (any event's width) */
#define VT_OPK_HIST   4   /* history accumulator */
#define VT_OPK_LC     5   /* lifecycle */
#define VT_OPK_STATE  6   /* state of the lifecycle in the previous operand */
#define VT_OPK_TEAM   7   /* team, or VT_NONE for "the contact's owner" */
#define VT_OPK_CHAN   8   /* channel */
#define VT_OPK_JUMP   9   /* absolute code offset of an instruction in the same function */
#define VT_OPK_COUNT  10  /* small immediate count */
#define VT_OPK_REP    11  /* repeat counter slot of the function's workflow */
#define VT_OPK_STEP   12  /* step id (immediate, names the action) */
#define VT_OPK_PCT    13  /* cumulative percentage 0..100 */
#define VT_OPK_EXTERN 14  /* native function (extern fn), in the externs table */

#define VT_POP_N (-1)

#define VT_OPCODES(OP) \
    /* ---- values ---- */ \
    OP(CONST,      1, CONST, NONE, NONE, 0, 1, "push K[a]") \
    OP(FIELD,      1, FIELD, NONE, NONE, 0, 1, "push contact.field[a]") \
    OP(PAYLOAD,    1, PFIELD, NONE, NONE, 0, 1, "push event.field[a] (null when absent)") \
    OP(EVENT_AT,   0, NONE, NONE, NONE, 0, 1, "push event.at") \
    OP(NOW,        0, NONE, NONE, NONE, 0, 1, "push now") \
    OP(ID,         0, NONE, NONE, NONE, 0, 1, "push contact.id") \
    OP(OWNER,      0, NONE, NONE, NONE, 0, 1, "push contact.owner") \
    OP(CREATED_AT, 0, NONE, NONE, NONE, 0, 1, "push contact.created_at") \
    OP(TAGS,       0, NONE, NONE, NONE, 0, 1, "push contact.tags") \
    OP(HIST,       1, HIST, NONE, NONE, 0, 1, "push history[a] at now") \
    OP(IS,         2, LC, STATE, NONE, 0, 1, "push lifecycle[a] is state b") \
    OP(HAPPENED,   1, HIST, NONE, NONE, 0, 1, "push: event of history[a] processed since the enrollment started") \
    /* ---- operators ---- */ \
    OP(NOT,        0, NONE, NONE, NONE, 1, 1, "x = not x") \
    OP(NEG,        0, NONE, NONE, NONE, 1, 1, "x = -x") \
    OP(EQ,         0, NONE, NONE, NONE, 2, 1, "x = l == r") \
    OP(NE,         0, NONE, NONE, NONE, 2, 1, "x = l != r") \
    OP(LT,         0, NONE, NONE, NONE, 2, 1, "x = l < r") \
    OP(LE,         0, NONE, NONE, NONE, 2, 1, "x = l <= r") \
    OP(GT,         0, NONE, NONE, NONE, 2, 1, "x = l > r") \
    OP(GE,         0, NONE, NONE, NONE, 2, 1, "x = l >= r") \
    OP(ADD,        0, NONE, NONE, NONE, 2, 1, "x = l + r") \
    OP(SUB,        0, NONE, NONE, NONE, 2, 1, "x = l - r") \
    OP(MUL,        0, NONE, NONE, NONE, 2, 1, "x = l * r") \
    OP(DIV,        0, NONE, NONE, NONE, 2, 1, "x = l / r (null when r is 0)") \
    OP(CONTAINS,   0, NONE, NONE, NONE, 2, 1, "x = l contains r") \
    OP(STARTS,     0, NONE, NONE, NONE, 2, 1, "x = l starts with r") \
    OP(ENDS,       0, NONE, NONE, NONE, 2, 1, "x = l ends with r") \
    OP(MATCHES,    0, NONE, NONE, NONE, 2, 1, "x = l matches glob r") \
    OP(HAS_TAG,    0, NONE, NONE, NONE, 1, 1, "x = contact has tag x") \
    OP(IN,         1, COUNT, NONE, NONE, VT_POP_N, 1, "x = v in [a items above it]") \
    OP(CONCAT,     1, COUNT, NONE, NONE, VT_POP_N, 1, "x = text of the a parts") \
    /* ---- control ---- */ \
    OP(JMP,        1, JUMP, NONE, NONE, 0, 0, "goto a") \
    OP(JFALSE,     1, JUMP, NONE, NONE, 1, 0, "pop; if false goto a") \
    OP(JFALSE_KEEP,1, JUMP, NONE, NONE, 1, 0, "if top is false goto a keeping it, else pop") \
    OP(JTRUE_KEEP, 1, JUMP, NONE, NONE, 1, 0, "if top is true goto a keeping it, else pop") \
    OP(RET,        0, NONE, NONE, NONE, 1, 0, "return the condition's value") \
    OP(END,        0, NONE, NONE, NONE, 0, 0, "end of rule") \
    /* ---- contact updates (rules and steps) ---- */ \
    OP(SET,        1, FIELD, NONE, NONE, 1, 0, "contact.field[a] = pop") \
    OP(ADDTO,      1, FIELD, NONE, NONE, 1, 0, "contact.field[a] += pop") \
    OP(SUBFROM,    1, FIELD, NONE, NONE, 1, 0, "contact.field[a] -= pop") \
    OP(TAG,        0, NONE, NONE, NONE, 1, 0, "add tag pop") \
    OP(UNTAG,      0, NONE, NONE, NONE, 1, 0, "remove tag pop") \
    OP(ASSIGN,     1, TEAM, NONE, NONE, 0, 0, "contact.owner = team a") \
    OP(MOVE,       2, LC, STATE, NONE, 0, 0, "lifecycle[a] = state b") \
    /* ---- workflow steps ---- */ \
    OP(SEND,       3, CHAN, STEP, JUMP, 1, 0, "send on channel a template pop (step b; delayed: resume at c)") \
    OP(TASK,       2, TEAM, STEP, NONE, 2, 0, "task to team a (none: owner), text and due popped (step b)") \
    OP(NOTIFY,     2, TEAM, STEP, NONE, 1, 0, "notify team a (none: owner), text popped (step b)") \
    OP(ESCALATE,   1, STEP, NONE, NONE, 1, 0, "escalate to the owner team's escalation team (step a)") \
    OP(WAIT,       0, NONE, NONE, NONE, 1, 0, "suspend for pop seconds") \
    OP(WAIT_UNTIL, 2, JUMP, JUMP, NONE, 2, 0, "pop cond, dur: go on if cond; timeout goto b; else suspend at a") \
    OP(REP_INIT,   1, REP, NONE, NONE, 0, 0, "repeat counter a = 0") \
    OP(REP_NEXT,   3, REP, COUNT, JUMP, 0, 0, "if ++counter a < b goto c") \
    OP(SPLIT_GE,   2, PCT, JUMP, NONE, 0, 0, "if split bucket >= a goto b") \
    OP(STOP,       0, NONE, NONE, NONE, 0, 0, "end the enrollment (stopped)") \
    OP(DONE,       0, NONE, NONE, NONE, 0, 0, "end the enrollment (completed)") \
    /* ---- native functions (last, so older opcodes keep their numbers) ---- */ \
    OP(CALL_EXTERN,2, COUNT, EXTERN, NONE, VT_POP_N, 1, "x = native function b called with the a values above it")

typedef enum vt_opcode {
#define VT_OP_ENUM(name, n, k1, k2, k3, pop, push, syn) VT_I_##name,
    VT_OPCODES(VT_OP_ENUM)
#undef VT_OP_ENUM
    VT_I_COUNT
} vt_opcode;

/* Operand counts as constants, so the VM advances its pc without a table load. */
enum {
#define VT_OP_NOPS(name, n, k1, k2, k3, pop, push, syn) VT_NOPS_##name = n,
    VT_OPCODES(VT_OP_NOPS)
#undef VT_OP_NOPS
};

/* Operand value meaning "none" (a TEAM operand: the contact's owner). */
#define VT_NONE 0xFFFFFFFFu

typedef struct vt_opinfo {
    const char *name;
    unsigned char nops;
    unsigned char kinds[3];
    signed char pop, push;
    const char *synopsis;
} vt_opinfo;

/* Indexed by opcode; defined in disasm.c. */
extern const vt_opinfo vt_opinfo_table[VT_I_COUNT];

#endif
