/* Shared state of the resolution passes (resolve.c, types.c, modules.c, templates.c).
 * Not a public header: only the files of the resolver include it. */
#ifndef VT_RESOLVE_INTERNAL_H
#define VT_RESOLVE_INTERNAL_H
#include "unit.h"
#include "suggest.h"

/* A name -> decl map in the unit's arena (open addressing; keys are the full,
 * possibly prefixed, names). */
typedef struct vt_symtab {
    const char **keys;
    vt_decl **vals;
    uint32_t cap, n;
} vt_symtab;

/* A name -> int map in the unit's arena (open addressing). */
typedef struct vt_imap {
    const char **keys;
    int *vals;
    uint32_t cap, n;
} vt_imap;

/* Namespaces: one per kind of thing a name can denote. Truths and segments share one,
 * since both are conditions used by name. */
#define VT_NAMESPACES(X) \
    X(NS_EVENT, "event") X(NS_TEAM, "team") X(NS_CHANNEL, "channel") \
    X(NS_COND, "truth or segment") X(NS_LIFECYCLE, "lifecycle") \
    X(NS_WORKFLOW, "workflow") X(NS_EXTERN, "extern function") X(NS_TEMPLATE, "template")
typedef enum {
#define X(id, what) id,
    VT_NAMESPACES(X)
#undef X
    NS_COUNT
} vt_ns;

typedef struct vt_rctx {
    vt_unit *u;
    vt_arena *a;
    vt_symtab ns[NS_COUNT];
    int errors;

    /* Expression context, saved and restored around each decl / trigger. */
    vt_decl *event;             /* the event whose payload is visible, or NULL */
    bool event_created;         /* the current event is the built-in `created` */
    const char *scope;          /* prefix of the decl being resolved (template instance) */
    vt_decl *workflow;          /* enclosing workflow, for `escalate` and `owner` */
    bool events_are_conds;      /* goal / wait until / exit: an event name is a condition */
    vt_decl *cur_use;           /* the `use` whose instance is being added, or NULL */
    vt_decl *module_tz;         /* the first imported module's `timezone`, and one that */
    vt_decl *module_tz_other;   /*   names another zone: the root may inherit only one */
    bool cur_use_clashed;       /* a name clash of cur_use is already reported */

    /* Name -> index maps for the lookups done once per reference (a 50,000-line flow
     * makes linear scans quadratic). Built on first use; the state map is rebuilt when
     * lifecycles are added (template instances). */
    vt_imap fields;                 /* contact field name -> field index */
    const vt_decl *fields_of;       /* the contact decl the map was built from */
    vt_imap state_heads;            /* state name -> first entry in state_refs */
    struct vt_state_ref { vt_decl *lc; int idx; int next; } *state_refs;
    uint32_t states_indexed;        /* lifecycles.n when state_heads was built */

    /* Imports: per module, its canonical path and the import decls that load it. */
    char **realpaths;           /* parallel to u->modules, in the arena */
    vt_list *importers;         /* parallel to u->modules: vt_decl* (VT_D_IMPORT) */
    uint32_t cap_mod;
} vt_rctx;

/* ---- resolve.c ---- */
/* Reports a finding; inside a template instance, not when the same code was already
 * reported at the same place (a template used twice must not say it twice). Counts
 * errors. */
vt_diag *vt_rs_report(vt_rctx *c, vt_code code, vt_span span, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Looks a name up in a namespace: first as `SCOPE.name` inside a template instance,
 * then as written. NULL when absent. */
vt_decl *vt_rs_lookup(vt_rctx *c, vt_ns ns, const char *name);
/* Adds the names of a namespace to a suggestion. */
void vt_rs_suggest_ns(vt_rctx *c, vt_suggest *s, vt_ns ns);
/* Reports `name`, unknown in namespace ns, under `code` with the printf-style message,
 * and hints the closest declared name ("did you mean `x`?"). Returns the finding (NULL
 * when dropped); its hint is still NULL when nothing was close, so a caller can add its
 * own ("declare it first: ..."). */
vt_diag *vt_rs_report_unknown(vt_rctx *c, vt_ns ns, vt_code code, vt_span span, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Marks a decl (and the import that brought it in) as used. */
void vt_rs_mark_used(vt_rctx *c, vt_decl *d);
/* The declared name, without the template prefix when in that template's scope. */
int vt_rs_contact_field(vt_rctx *c, const char *name);     /* index or -1 */
int vt_rs_payload_field(vt_decl *event, const char *name);  /* index or -1 */
/* Resolves an event name; reports E022 (with `what` for context, e.g. "in count")
 * unless quiet. `created` gives NULL with *is_created set. Returns NULL when unknown. */
vt_decl *vt_rs_event(vt_rctx *c, const vt_name *n, bool *is_created, bool allow_created);
/* A state name in a given lifecycle; reports E024 with a suggestion; -1 when unknown. */
int vt_rs_state_in(vt_rctx *c, vt_decl *lifecycle, const vt_name *n);
/* A state name in any lifecycle (`mql` or `funnel.mql`); reports unknown or
 * ambiguous names. Returns the lifecycle and sets *index, or NULL. */
vt_decl *vt_rs_state_any(vt_rctx *c, const vt_name *n, int *index);
vt_decl *vt_rs_team(vt_rctx *c, const vt_name *n);          /* E025 when unknown */
vt_type vt_rs_typeref(const vt_typeref *t);
/* State lookups in detail: every (lifecycle, state) a name can denote, and the two
 * reports (unknown with a suggestion under `code`; declared in several lifecycles). */
int vt_rs_state_candidates(vt_rctx *c, const vt_name *n, vt_decl **lcs, int *idx, int max);
void vt_rs_report_unknown_state(vt_rctx *c, const vt_name *n, vt_code code);
void vt_rs_report_ambiguous_state(vt_rctx *c, const vt_name *n, vt_decl **lcs, int k);
const char *vt_rs_ns_what(vt_ns ns);

/* ---- resolve_decls.c / resolve_stmts.c ---- */
void vt_rs_check_decls(vt_rctx *c);
void vt_rs_check_decl(vt_rctx *c, vt_decl *d);
/* Where a block of statements sits: what it may contain. */
typedef enum { VT_BLK_RULE, VT_BLK_STEPS, VT_BLK_TEST } vt_block_kind;
void vt_rs_check_block(vt_rctx *c, vt_block *b, vt_block_kind k);
void vt_rs_check_test(vt_rctx *c, vt_decl *d);

/* ---- types.c ---- */
/* Resolves the names of an expression and computes its type (stored in e->type). */
vt_type vt_ty_expr(vt_rctx *c, vt_expr *e);
/* An expression that must be a condition (bool): E042 otherwise. */
void vt_ty_cond(vt_rctx *c, vt_expr *e, const char *where);
/* An expression that must have a given type kind (duration, int, text...): E040. */
void vt_ty_expect(vt_rctx *c, vt_expr *e, vt_type_kind k, const char *where);
/* A message / task / notify / escalate text: every {field} must be a contact field. */
void vt_ty_message(vt_rctx *c, vt_expr *e, const char *where);
/* Can a value of type `from` be stored where `to` is declared? Reports E040/E041 at
 * `at` with `what` naming the destination; true when fine (or already an error). */
bool vt_ty_assign(vt_rctx *c, vt_type to, vt_expr *value, const char *what);
/* A literal (possibly negated) outside the declared range of a typeref: E045. */
void vt_ty_range(vt_rctx *c, const vt_typeref *t, vt_expr *value, const char *what);
char *vt_ty_name(vt_rctx *c, vt_type t);    /* "money (EUR)", "list of text" */

/* ---- modules.c ---- */
/* Loads every module imported, transitively, from the root; reports E030/E031. */
void vt_mod_load_all(vt_rctx *c);
/* The module index of a source file, or -1. */
int vt_mod_of_file(vt_rctx *c, uint32_t file);

/* ---- templates.c ---- */
/* Expands one `use`: checks the arguments (E032/E033) and returns the instantiated
 * decls (prefixed copies), or sets *n = 0. */
vt_decl **vt_tpl_instantiate(vt_rctx *c, vt_decl *use, uint32_t *n);
/* For a template no `use` instantiates: a trial instance under the template's own name,
 * each parameter given its default or a stand-in of its type, so that mistakes in the
 * template's body are reported even before anyone uses it. NULL (with *n = 0) when a
 * `team` parameter has no default and no team is declared. */
vt_decl **vt_tpl_trial(vt_rctx *c, vt_decl *tpl, uint32_t *n);

#endif
