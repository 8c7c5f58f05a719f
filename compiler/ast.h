/* The syntax tree of a .flow file (SPEC §2-§6, §10-§12).
 *
 * Grammar actions only build these nodes; every later pass (resolution, types,
 * analysis, fmt, graph, codegen) walks the tree. All nodes live in the compilation's
 * arena. Every node carries the span of the source text it came from.
 *
 * Lists are arrays (`items`, `n`), built by the parser with vt_ast_list_push. */
#ifndef VT_AST_H
#define VT_AST_H
#include "../common/arena.h"
#include "../common/diag.h"
#include <stdbool.h>
#include <stdint.h>

typedef struct vt_expr vt_expr;
typedef struct vt_stmt vt_stmt;
typedef struct vt_decl vt_decl;

/* A growable array of pointers, in the arena. */
typedef struct vt_list {
    void **items;
    uint32_t n, cap;
} vt_list;
/* Appends p; returns 0, or -1 when the arena is out of memory. */
int vt_list_push(vt_arena *a, vt_list *l, void *p);

/* A name as written, possibly dotted (`winback.inactive`, `event.amount`). */
typedef struct vt_name {
    const char *text;       /* the whole dotted name */
    vt_span span;
} vt_name;

/* ---- types ---------------------------------------------------------------- */

typedef enum vt_type_kind {
    VT_T_ERROR,             /* an expression whose type could not be computed */
    VT_T_BOOL,
    VT_T_INT,
    VT_T_NUMBER,
    VT_T_MONEY,
    VT_T_TEXT,
    VT_T_TIME,
    VT_T_DURATION,
    VT_T_TEAM,
    VT_T_STATE,             /* a state name (right side of `is`, items of `in`) */
    VT_T_LIST,              /* [a, b]: elem says of what */
    VT_T_TAGS,              /* the built-in `tags` set */
} vt_type_kind;

typedef struct vt_type {
    vt_type_kind kind;
    vt_type_kind elem;      /* for VT_T_LIST */
    char currency[4];       /* for VT_T_MONEY when known ("EUR"); "" when any */
} vt_type;

/* A type as written in a declaration: `int 0..10`, `money`, `text`. */
typedef struct vt_typeref {
    vt_type_kind kind;
    bool has_range;
    vt_expr *lo, *hi;       /* literals of the range, when has_range */
    vt_span span;
} vt_typeref;

/* ---- expressions ---------------------------------------------------------- */

typedef enum vt_expr_kind {
    VT_E_BOOL,              /* true false */
    VT_E_INT,               /* 42 -3 */
    VT_E_NUMBER,            /* 4.5 */
    VT_E_MONEY,             /* 49.90 EUR */
    VT_E_STRING,            /* "..." with optional {field} parts */
    VT_E_DURATION,          /* 1d12h */
    VT_E_TIMESTAMP,         /* 2026-03-01, 2026-03-01T09:30, ...Z */
    VT_E_TIME_OF_DAY,       /* 21:00 */
    VT_E_MONTH_DAY,         /* 12-20 */
    VT_E_NOW,               /* now */
    VT_E_NAME,              /* score, funnel, good_fit, event.amount, winback.x */
    VT_E_LIST,              /* [a, b, c] */
    VT_E_UNARY,             /* not x, -x */
    VT_E_BINARY,            /* x op y */
    VT_E_IS,                /* funnel is mql */
    VT_E_IN,                /* x in [..] (funnel in [mql, sql] too) */
    VT_E_HAS_TAG,           /* has tag "vip" */
    VT_E_CALL,              /* extern function call f(a, b) */
    VT_E_AGGREGATE,         /* count/sum/min/max/avg(E[.f] [where C] [within D]) */
    VT_E_LAST_FIRST,        /* last(E).f, first(E).f, last(E).at */
    VT_E_SINCE,             /* since(E) */
    VT_E_WITHIN,            /* E within D   (sugar for count(E within D) > 0) */
    VT_E_NO_FOR,            /* no E for D */
} vt_expr_kind;

typedef enum vt_binop {
    VT_OP_AND, VT_OP_OR,
    VT_OP_EQ, VT_OP_NE, VT_OP_LT, VT_OP_LE, VT_OP_GT, VT_OP_GE,
    VT_OP_ADD, VT_OP_SUB, VT_OP_MUL, VT_OP_DIV,
    VT_OP_CONTAINS, VT_OP_STARTS_WITH, VT_OP_ENDS_WITH, VT_OP_MATCHES,
} vt_binop;

typedef enum vt_unop { VT_OP_NOT, VT_OP_NEG } vt_unop;

typedef enum vt_agg_kind { VT_AGG_COUNT, VT_AGG_SUM, VT_AGG_MIN, VT_AGG_MAX, VT_AGG_AVG } vt_agg_kind;

/* One piece of a string literal: literal text, or a {field} interpolation. */
typedef struct vt_str_part {
    bool is_field;
    const char *text;       /* literal text (escapes decoded) or the field name */
    vt_span span;           /* of the text or of the {field} */
} vt_str_part;

/* What a name resolved to (set by resolution; VT_REF_NONE before). */
typedef enum vt_ref_kind {
    VT_REF_NONE,
    VT_REF_FIELD,           /* contact field (decl = the contact decl, index = field) */
    VT_REF_BUILTIN,         /* id, owner, created_at, tags (index = vt_builtin_field) */
    VT_REF_PAYLOAD,         /* field of the current event (decl = event decl, index = field) */
    VT_REF_EVENT_AT,        /* `at` / `event.at` of the current event */
    VT_REF_TRUTH,           /* decl = truth */
    VT_REF_SEGMENT,         /* decl = segment */
    VT_REF_LIFECYCLE,       /* decl = lifecycle (left of `is` / `in`) */
    VT_REF_STATE,           /* decl = lifecycle, index = state */
    VT_REF_EVENT,           /* an event type (decl = event); as a condition in `goal` */
    VT_REF_TEAM,            /* decl = team */
    VT_REF_PARAM,           /* template parameter (replaced at instantiation) */
} vt_ref_kind;

typedef enum vt_builtin_field { VT_BI_ID, VT_BI_OWNER, VT_BI_CREATED_AT, VT_BI_TAGS } vt_builtin_field;

struct vt_expr {
    vt_expr_kind kind;
    vt_span span;
    vt_type type;           /* set by the type checker */
    union {
        bool b;
        int64_t i;                          /* VT_E_INT */
        struct { double v; const char *text; } num;   /* VT_E_NUMBER, text as written */
        struct { int64_t minor; int scale; char currency[4]; const char *text; } money;
                                            /* minor units: 49.90 EUR -> 4990, scale 2 */
        struct { vt_str_part *parts; uint32_t nparts; const char *raw; } str;
                                            /* raw: the literal as written, quotes included */
        struct { int64_t seconds; const char *text; } dur;
        struct { int64_t unix_s; bool has_time, has_zone; const char *text; } ts;
                                            /* without a zone: read in the flow's timezone */
        struct { int minutes; } tod;        /* minutes after midnight */
        struct { int month, day; } md;
        struct {
            vt_name name;
            vt_ref_kind ref;
            vt_decl *decl;
            int index;
        } name;
        struct { vt_expr **items; uint32_t n; } list;
        struct { vt_unop op; vt_expr *e; } unary;
        struct { vt_binop op; vt_expr *l, *r; vt_span op_span; } bin;
        struct { vt_expr *lifecycle; vt_name state; int state_index; } is;
        struct { vt_expr *e; vt_expr *list; } in;       /* list is a VT_E_LIST */
        struct { vt_expr *tag; } has_tag;
        struct { vt_name fn; vt_expr **args; uint32_t nargs; vt_decl *decl; } call;
        struct {
            /* count(E ...) or sum(E.f ...); `where` and `within` are optional (NULL).
             * For VT_E_WITHIN: event + within; for VT_E_NO_FOR: event + within (= D). */
            vt_agg_kind agg;
            vt_name event;
            vt_name field;          /* .f, text NULL when absent; "at" allowed for last/first */
            vt_expr *where;
            vt_expr *within;        /* a duration expression */
            bool last;              /* VT_E_LAST_FIRST: last (true) or first (false) */
            vt_decl *event_decl;    /* resolved */
            int field_index;        /* resolved payload field, -1 for `at` */
            int slot;               /* accumulator slot, set by codegen */
        } hist;
    } u;
};

/* ---- statements (`on` rule bodies, workflow steps, test blocks) ------------ */

typedef enum vt_stmt_kind {
    /* rule and step statements */
    VT_S_SET,               /* set FIELD = EXPR */
    VT_S_ADD,               /* FIELD += EXPR, FIELD -= EXPR (score += 5) */
    VT_S_TAG,               /* tag "x" */
    VT_S_UNTAG,             /* untag "x" */
    VT_S_IF,                /* if C { } else if C { } else { } */
    /* workflow steps */
    VT_S_SEND,              /* send CHANNEL "template" */
    VT_S_TASK,              /* task TEAM|owner "text" [due DUR] */
    VT_S_NOTIFY,            /* notify TEAM|owner "text" */
    VT_S_ESCALATE,          /* escalate ["text"] */
    VT_S_ASSIGN,            /* assign TEAM */
    VT_S_MOVE,              /* move to STATE */
    VT_S_WAIT,              /* wait DUR */
    VT_S_WAIT_UNTIL,        /* wait until COND for DUR [else { }] */
    VT_S_REPEAT,            /* repeat N { } */
    VT_S_SPLIT,             /* split { P% "LABEL" { } ... } */
    VT_S_STOP,              /* stop */
    /* test block statements (SPEC §10) */
    VT_S_T_CONTACT,         /* contact c1 { field: value, ... } */
    VT_S_T_EVENT,           /* at TIME|+DUR c1 EVENT [{ field: value, ... }] */
    VT_S_T_ADVANCE,         /* advance DUR */
    VT_S_T_EXPECT,          /* expect ... */
} vt_stmt_kind;

typedef struct vt_block {
    vt_stmt **items;
    uint32_t n;
    vt_span span;           /* from `{` to `}` */
} vt_block;

/* `field: value` in test blocks and `ARG = VALUE` in `use`. */
typedef struct vt_field_init {
    vt_name name;
    vt_expr *value;
    vt_span span;
} vt_field_init;

typedef struct vt_if_arm {
    vt_expr *cond;          /* NULL for the final else */
    vt_block body;
    vt_span span;
} vt_if_arm;

typedef struct vt_split_arm {
    int percent;
    const char *label;      /* decoded */
    vt_block body;
    vt_span span;
} vt_split_arm;

/* Who a task/notify goes to: a team, or `owner`. */
typedef struct vt_target {
    bool is_owner;
    vt_name team;           /* when !is_owner */
    vt_decl *team_decl;     /* resolved */
} vt_target;

typedef enum vt_expect_kind {
    VT_X_COND,              /* expect c1 funnel is mql   (any condition on the contact) */
    VT_X_SENT,              /* expect c1 sent email ["template"] [count N] */
    VT_X_ACTION,            /* expect [c1] task|notify|escalate [count N] */
} vt_expect_kind;

struct vt_stmt {
    vt_stmt_kind kind;
    vt_span span;
    uint32_t step_id;       /* workflow steps: a stable number within the workflow (codegen) */
    union {
        struct { vt_name field; vt_expr *value; bool minus; int field_index; } set;  /* SET, ADD */
        struct { vt_expr *tag; } tag;
        struct { vt_if_arm *arms; uint32_t narms; } if_;
        struct { vt_name channel; vt_expr *template_; vt_decl *channel_decl; } send;
        struct { vt_target to; vt_expr *text; vt_expr *due; } task;      /* TASK, NOTIFY (due NULL) */
        struct { vt_expr *text; } escalate;                               /* text may be NULL */
        struct { vt_name team; vt_decl *team_decl; } assign;
        struct { vt_name state; vt_decl *lifecycle; int state_index; } move;
        struct { vt_expr *dur; } wait;
        struct { vt_expr *cond; vt_expr *dur; vt_block else_; bool has_else; } wait_until;
        struct { int64_t count; vt_block body; } repeat;
        struct { vt_split_arm *arms; uint32_t narms; } split;
        struct { vt_name contact; vt_field_init **fields; uint32_t nfields; } t_contact;
        struct {
            bool relative;          /* at +1d */
            vt_expr *at;            /* timestamp or duration */
            vt_name contact;
            vt_name event;
            vt_field_init **fields;
            uint32_t nfields;
        } t_event;
        struct { vt_expr *dur; } t_advance;
        struct {
            vt_expect_kind what;
            bool negated;           /* expect no ... */
            vt_name contact;        /* text NULL: any contact */
            vt_expr *cond;          /* VT_X_COND */
            vt_name channel;        /* VT_X_SENT */
            vt_expr *template_;     /* VT_X_SENT, optional */
            vt_stmt_kind action;    /* VT_X_ACTION: VT_S_TASK, VT_S_NOTIFY, VT_S_ESCALATE */
            bool has_count;
            int64_t count;
        } t_expect;
    } u;
};

/* ---- declarations ---------------------------------------------------------- */

typedef enum vt_decl_kind {
    VT_D_FLOW,              /* flow "NAME" version N */
    VT_D_TIMEZONE,          /* timezone "Area/City" */
    VT_D_IMPORT,            /* import "std/x" | "./x.flow" */
    VT_D_TEAM,              /* team NAME [escalates to TEAM] */
    VT_D_CONTACT,           /* contact { ... } */
    VT_D_EVENT,             /* event NAME [{ ... }] [weak] */
    VT_D_CHANNEL,           /* channel NAME [requires F] [cap N per D] [quiet ..] [window ..] */
    VT_D_ON,                /* on EVENT [where C] { ... } */
    VT_D_TRUTH,             /* truth NAME = C */
    VT_D_SEGMENT,           /* segment NAME = C */
    VT_D_LIFECYCLE,         /* lifecycle NAME { ... } */
    VT_D_TRANSITION,        /* transition A -> B ... */
    VT_D_WORKFLOW,          /* workflow NAME { ... } */
    VT_D_EXTERN,            /* extern fn NAME(T, ...) -> T from "LIB" */
    VT_D_TEMPLATE,          /* template NAME(P: T = D, ...) { DECL... } */
    VT_D_USE,               /* use NAME(A = V, ...) [as PREFIX] */
    VT_D_TEST,              /* test "NAME" { ... } */
    VT_D_MIGRATE,           /* migrate state OLD -> NEW */
} vt_decl_kind;

typedef struct vt_field_decl {
    vt_name name;
    vt_typeref type;
    bool key;
    vt_expr *def;           /* default, may be NULL */
    vt_span span;
} vt_field_decl;

typedef struct vt_state_decl {
    vt_name name;
    const char *label;      /* "Registered, no order yet", may be NULL */
    bool initial, final;
    vt_name owner;          /* text NULL when none */
    vt_decl *owner_decl;
    vt_span span;
} vt_state_decl;

typedef enum vt_trigger_kind {
    VT_TR_ON_EVENT,         /* on EVENT [where C]           (transition, enroll, exit) */
    VT_TR_WHEN,             /* when C                        (transition, enroll, exit) */
    VT_TR_AFTER,            /* after DUR in state            (transition) */
    VT_TR_ENTER,            /* on enter STATE [when C]       (enroll) */
    VT_TR_CALENDAR,         /* every year on MM-DD [at HH:MM] | every day at HH:MM
                               | every week on DAY [at HH:MM] (enroll) */
} vt_trigger_kind;

typedef enum vt_calendar_kind { VT_CAL_YEARLY, VT_CAL_WEEKLY, VT_CAL_DAILY } vt_calendar_kind;

typedef struct vt_trigger {
    vt_trigger_kind kind;
    vt_name event;          /* ON_EVENT; `created` is a valid event name */
    vt_name state;          /* ENTER */
    vt_expr *cond;          /* where/when condition, may be NULL */
    vt_expr *dur;           /* AFTER */
    vt_calendar_kind cal;
    int month, day;         /* YEARLY */
    int weekday;            /* WEEKLY: 0 = Monday */
    int minutes;            /* time of day, -1 when not given (midnight) */
    vt_decl *event_decl;    /* resolved (NULL for `created`) */
    vt_decl *state_lifecycle; int state_index;   /* resolved ENTER */
    vt_span span;
} vt_trigger;

typedef enum vt_reenroll { VT_REENROLL_NEVER, VT_REENROLL_ALWAYS, VT_REENROLL_AFTER } vt_reenroll;

typedef struct vt_param {
    vt_name name;
    vt_typeref type;
    vt_expr *def;           /* may be NULL: then the argument is required */
    vt_span span;
} vt_param;

/* One day-of-week range of a channel's send window: Mon-Fri 09:00-18:00. */
typedef struct vt_window {
    int day_from, day_to;   /* 0 = Monday .. 6 = Sunday; both -1 when every day */
    int open, close;        /* minutes after midnight; [open, close) */
    vt_span span;
} vt_window;

struct vt_decl {
    vt_decl_kind kind;
    vt_span span;
    vt_name name;           /* the declared name (text NULL for unnamed decls) */
    const char *prefix;     /* set on decls instantiated by `use ... as PREFIX` */
    uint32_t index;         /* position among decls of its kind, set by resolution */
    bool used;              /* set by resolution (V012) */
    union {
        struct { const char *name; int64_t version; } flow;
        struct { const char *zone; } timezone;
        struct { const char *path; vt_span path_span; struct vt_module *module; } import;
        struct { vt_name escalates_to; vt_decl *escalates_decl; } team;
        struct { vt_field_decl **fields; uint32_t n; } contact;
        struct { vt_field_decl **fields; uint32_t n; bool weak; } event;
        struct {
            vt_name requires; int requires_index;
            bool has_cap; int64_t cap_count; vt_expr *cap_per;
            bool has_quiet; int quiet_from, quiet_to;   /* minutes after midnight */
            vt_span quiet_span;
            vt_window *windows; uint32_t nwindows;
        } channel;
        struct { vt_name event; vt_expr *where; vt_block body; vt_decl *event_decl; } on;
        struct { vt_expr *cond; } truth;                /* TRUTH, SEGMENT */
        struct { vt_state_decl **states; uint32_t n; } lifecycle;
        struct {
            vt_name from;           /* text "any" when from_any */
            bool from_any;
            vt_name to;
            vt_trigger trigger;
            vt_decl *lifecycle;     /* resolved */
            int from_index, to_index;
        } transition;
        struct {
            vt_name owner;          /* text NULL when missing */
            vt_decl *owner_decl;
            vt_trigger **enroll; uint32_t nenroll;
            vt_reenroll reenroll; vt_expr *reenroll_after;
            vt_trigger **exits; uint32_t nexits;       /* ON_EVENT or WHEN */
            vt_expr *goal; vt_expr *goal_within;       /* goal COND [within D] */
            vt_span goal_span;
            vt_block steps;
        } workflow;
        struct {
            vt_typeref *params; uint32_t nparams;
            vt_typeref ret;
            const char *lib; vt_span lib_span;
        } ext;
        struct { vt_param **params; uint32_t nparams; vt_decl **decls; uint32_t ndecls; } template_;
        struct {
            vt_name template_name;
            vt_field_init **args; uint32_t nargs;
            vt_name as;             /* text NULL when no `as` */
            vt_decl *template_decl;
        } use;
        struct { const char *name; vt_block body; } test;
        struct { vt_name from, to; } migrate;
    } u;
};

/* A comment, kept for fmt. `own_line`: nothing but blanks before it on its line. */
typedef struct vt_comment {
    const char *text;       /* from '#' to the end of the line, without the newline */
    vt_span span;
    bool own_line;
} vt_comment;

/* One parsed file. */
typedef struct vt_module {
    uint32_t file;          /* source index */
    const char *path;
    vt_decl **decls; uint32_t ndecls;
    vt_comment *comments; uint32_t ncomments;
    bool parse_failed;      /* had a syntax error (see vt_parse): never compiled to code */
} vt_module;

/* Builders used by the grammar; each returns NULL when the arena is exhausted. */
vt_expr *vt_ast_expr(vt_arena *a, vt_expr_kind k, vt_span span);
vt_stmt *vt_ast_stmt(vt_arena *a, vt_stmt_kind k, vt_span span);
vt_decl *vt_ast_decl(vt_arena *a, vt_decl_kind k, vt_span span);

/* Names for messages: "money", "on rule", "send step". */
const char *vt_type_kind_name(vt_type_kind k);
const char *vt_decl_kind_name(vt_decl_kind k);
const char *vt_binop_text(vt_binop op);     /* "and", "==", "starts with" */

/* Spans: the smallest span covering a and b (same file). */
vt_span vt_span_join(vt_span a, vt_span b);

#endif
