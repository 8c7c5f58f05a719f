/* The in-memory form of a compiled flow (struct vt_program) and the tables derived
 * from it at load. Every serialised table is an array of fixed-size records of 32- and
 * 64-bit integers, so the .vbc sections are these arrays byte for byte (little-endian)
 * and the verifier can check every index in them before anything runs. */
#ifndef VT_PROGRAM_H
#define VT_PROGRAM_H
#include "verity.h"
#include "tz.h"
#include <stdint.h>

/* Limits tied to the encodings below. */
#define VT_MAX_REP 8            /* repeat counters per workflow (enrollment frame size) */
#define VT_MAX_STACK 256        /* VM value stack, checked per function by the verifier */
#define VT_RING_DEFAULT 64      /* k of a window with no `>= k`: kept exactly (accum.c) */
#define VT_RING_MAX 1024        /* largest ring a .vbc may ask for */
#define VT_EV_CREATED (-2)      /* the `created` pseudo event in rule/trigger tables */
#define VT_EV_ANY (-1)
/* `on TRUTH` triggers (SPEC §3: a truth's rising edge is a truth event usable as a
 * trigger): truth i is the pseudo event VT_EV_TRUTH(i), below every other code. */
#define VT_EV_TRUTH_BASE (-16)
#define VT_EV_TRUTH(i) (VT_EV_TRUTH_BASE - (int32_t)(i))
#define VT_EV_IS_TRUTH(e) ((e) <= VT_EV_TRUTH_BASE)
#define VT_EV_TRUTH_INDEX(e) ((uint32_t)(VT_EV_TRUTH_BASE - (e)))

typedef enum { VT_FN_COND, VT_FN_RULE, VT_FN_STEPS } vt_fn_kind;
typedef enum { VT_TK_ON_EVENT, VT_TK_WHEN, VT_TK_AFTER, VT_TK_ENTER, VT_TK_CALENDAR } vt_tk;
typedef enum { VT_ROLE_ENROLL, VT_ROLE_EXIT } vt_trig_role;
typedef enum { VT_RE_NEVER, VT_RE_ALWAYS, VT_RE_AFTER } vt_reenroll_kind;   /* = vt_reenroll in ast.h */
typedef enum {
    VT_H_COUNT, VT_H_SUM, VT_H_MIN, VT_H_MAX, VT_H_AVG,     /* windowed when within > 0 */
    VT_H_LAST, VT_H_FIRST, VT_H_LAST_AT, VT_H_FIRST_AT, VT_H_SINCE,
    VT_H_WITHIN, VT_H_NOFOR, VT_H_LASTSEQ,
    VT_H_KIND_COUNT
} vt_hist_kind;

typedef struct vt_pconst { int32_t type; char cur[4]; int64_t i; double d; uint32_t s, slen; } vt_pconst;
typedef struct vt_pfn { uint32_t start, len; int32_t kind, wf; uint32_t max_stack, pad; } vt_pfn;
typedef struct vt_pfield { uint32_t name; int32_t type, key, has_range; int64_t lo, hi; int32_t def, pad; } vt_pfield;
typedef struct vt_pevent { uint32_t name, first_field, nfields; int32_t weak; } vt_pevent;
typedef struct vt_pteam { uint32_t name; int32_t escalates; } vt_pteam;
typedef struct vt_pchan {
    uint32_t name; int32_t consent, cap, quiet_from, quiet_to; uint32_t first_window, nwindows, pad;
    int64_t cap_per;
} vt_pchan;
typedef struct vt_pwindow { int32_t day_from, day_to, open, close; } vt_pwindow;
typedef struct vt_plc { uint32_t name, first_state, nstates; int32_t initial; } vt_plc;
typedef struct vt_pstate { uint32_t name, label; int32_t owner, final; } vt_pstate;
typedef struct vt_prule { int32_t event, fn; } vt_prule;
typedef struct vt_pnamed { uint32_t name; int32_t fn; } vt_pnamed;   /* truths, segments */
typedef struct vt_ptrans { int32_t lc, from, to, kind, event, fn; int64_t dur; } vt_ptrans;
typedef struct vt_ptrig {
    int32_t wf, role, kind, event, lc, state, fn, cal, month, day, weekday, minutes;
} vt_ptrig;
typedef struct vt_pwf {
    uint32_t name; int32_t owner, reenroll, steps_fn, goal_fn, goal_event, nrep, pad;
    uint32_t first_trig, ntrig; int64_t reenroll_after, goal_within;
} vt_pwf;
typedef struct vt_phist { int32_t kind, event, field, where_fn, k, vtype; int64_t within; } vt_phist;
typedef struct vt_pline { uint32_t pc, line; } vt_pline;
/* A native function (SPEC §8): C symbol, library name ("verity_it" = libverity_it.so),
 * result and parameter types (vt_vtype). The fixed parameter array keeps the record a
 * plain array the verifier can check; VT_MAX_EXTERN_ARGS bounds `extern fn` arity. */
#define VT_MAX_EXTERN_ARGS 8
typedef struct vt_pextern { uint32_t name, lib; int32_t ret, nparams; int32_t params[VT_MAX_EXTERN_ARGS]; } vt_pextern;

/* The serialised tables, in section order (the X-macro drives save, load, verify). */
#define VT_SECTIONS(S) \
    S(1, strings, char) \
    S(2, consts, vt_pconst) \
    S(3, code, uint32_t) \
    S(4, fns, vt_pfn) \
    S(5, fields, vt_pfield) \
    S(6, events, vt_pevent) \
    S(7, efields, vt_pfield) \
    S(8, teams, vt_pteam) \
    S(9, chans, vt_pchan) \
    S(10, windows, vt_pwindow) \
    S(11, lcs, vt_plc) \
    S(12, states, vt_pstate) \
    S(13, rules, vt_prule) \
    S(14, truths, vt_pnamed) \
    S(15, segments, vt_pnamed) \
    S(16, trans, vt_ptrans) \
    S(17, trigs, vt_ptrig) \
    S(18, wfs, vt_pwf) \
    S(19, hists, vt_phist) \
    S(20, lines, vt_pline) \
    S(21, externs, vt_pextern)

/* Where each part of a contact's state lives in its buffer (derived at load). */
typedef struct vt_layout {
    uint32_t fields, lcs, truths, twake, trigs, cals, chans, enrolls, info, fixed_len;
    uint32_t *hist_off;     /* per accumulator */
    uint32_t *chan_off;     /* per channel (cap ring) */
    uint32_t *rep_off;      /* per workflow: its repeat counters (int32 each) */
    uint32_t *cal_off;      /* per trigger: a calendar trigger's next instant (int64), else 0 */
    uint32_t sig;           /* shape signature: a blob from another shape is refused */
} vt_layout;

/* A list of indexes, for dispatch by event type. */
typedef struct vt_ilist { uint32_t *v; uint32_t n; } vt_ilist;

struct vt_program {
    /* header */
    uint32_t flow_name, timezone;   /* string offsets */
    int64_t version;
    char hash[17];
    /* tables */
#define VT_SEC_FIELD(id, name, type) type *name; uint32_t n##name;
    VT_SECTIONS(VT_SEC_FIELD)
#undef VT_SEC_FIELD
    /* derived at load */
    vt_layout lay;
    vt_ilist *rules_by_ev;          /* [nevents + 1]: last is `created` */
    vt_ilist *hist_by_ev;
    vt_ilist *trans_by_lc;          /* per lifecycle, declaration order */
    vt_ilist *trans_by_state;       /* per global state: the transitions that can leave it,
                                       in declaration order (`any` included when not final) */
    vt_tz *tz;
    uint8_t *istart;                /* [ncode]: 1 where an instruction starts (verifier) */
    struct vt_cell *kcells;         /* the constants as ready-made VM values */
    vt_schema schema;
    vt_schema_field *sch_fields, *sch_efields;
    vt_schema_event *sch_events;
    const char **sch_names;         /* teams, channels, lifecycles, states, workflows */
    const char *const **sch_states;
    uint32_t *sch_nstates;
    struct vt_natives *natives;     /* the externs, bound at load (native.c) */
};

/* Pointer to the NUL-terminated string at offset s of the pool (verified). */
static inline const char *vt_pstr(const vt_program *p, uint32_t s) { return p->strings + s; }

/* Builds everything derived (dispatch lists, layout, schema, zone) after the tables
 * are filled and verified. 0, or -1 with a message in *error. */
int vt_program_finish(vt_program *p, char **error);
/* Checks every table and every function's code; 0, or -1 with a message (malloc'd). */
int vt_verify(const vt_program *p, char **error);
/* Source line of the instruction at pc, 0 when unknown. */
uint32_t vt_program_line(const vt_program *p, uint32_t pc);
#include <stdio.h>
/* Prints every table and function with the synopsis and source line of each
 * instruction (`verity disasm`). Returns 0, -1 on a write error. */
int vt_disasm(const vt_program *p, FILE *out);
/* A malloc'd printf, for error messages. */
char *vt_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
