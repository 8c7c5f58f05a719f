/* verity.h — the embedding API of libverity.
 *
 * Load a compiled flow (a program), keep one compact state buffer per contact, apply
 * the contact's inputs to it in (at, sequence) order and fire its wake-ups; every
 * decision comes back through a sink as actions (the outbox) and audit records.
 * There is no global state: everything hangs off a vt_program and a vt_vm.
 *
 * Ownership: functions named *_new / *_load return objects the caller frees with the
 * matching *_free. Pointers inside records passed to a sink are valid only during the
 * callback. Times are Unix seconds (UTC). */
#ifndef VERITY_H
#define VERITY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VERITY_VERSION "0.1.0"

typedef struct vt_program vt_program;   /* verified bytecode + schema, immutable, shareable */
typedef struct vt_vm vt_vm;             /* scratch space for running a program; one per thread */

/* ---- values ---------------------------------------------------------------- */

typedef enum vt_vtype {
    VT_V_NULL = 0,      /* not set */
    VT_V_BOOL, VT_V_INT, VT_V_NUMBER, VT_V_MONEY, VT_V_TEXT, VT_V_TIME, VT_V_DURATION, VT_V_TEAM,
} vt_vtype;

typedef struct vt_value {
    uint8_t type;           /* vt_vtype */
    char currency[4];       /* VT_V_MONEY: ISO 4217 code, NUL-terminated */
    union {
        bool b;
        int64_t i;          /* INT; MONEY in minor units; TIME and DURATION in seconds; TEAM index */
        double d;           /* NUMBER */
        struct { const char *p; uint32_t len; } s;  /* TEXT, not NUL-terminated */
    } u;
} vt_value;

/* ---- schema: what inputs a program accepts ----------------------------------- */

typedef struct vt_schema_field {
    const char *name;
    uint8_t type;           /* vt_vtype */
    bool key;               /* contact key field */
    bool has_range;
    int64_t lo, hi;         /* declared range, for int fields */
} vt_schema_field;

typedef struct vt_schema_event {
    const char *name;
    const vt_schema_field *fields;
    uint32_t nfields;
    bool weak;
} vt_schema_event;

typedef struct vt_schema {
    const char *flow_name;
    int64_t flow_version;
    const char *timezone;                  /* "UTC" when none declared */
    const vt_schema_field *contact_fields; /* declared fields, in order */
    uint32_t ncontact_fields;
    const vt_schema_event *events;         /* declared events; index = event type */
    uint32_t nevents;
    const char *const *teams; uint32_t nteams;
    const char *const *channels; uint32_t nchannels;
    const char *const *lifecycles; uint32_t nlifecycles;
    const char *const *const *states;      /* states[lifecycle][i] */
    const uint32_t *nstates;
    const char *const *workflows; uint32_t nworkflows;
} vt_schema;

const vt_schema *vt_program_schema(const vt_program *p);
/* Index of an event type by name, -1 when unknown. */
int vt_schema_event_index(const vt_schema *s, const char *name, size_t len);
/* Index of a contact field by name, -1 when unknown. */
int vt_schema_field_index(const vt_schema *s, const char *name, size_t len);

/* ---- programs ------------------------------------------------------------------ */

/* Compiles a .flow file (and its imports) into a program. On failure returns NULL
 * and writes the rendered diagnostics (text format) to `errors` (may be NULL). */
vt_program *vt_program_compile(const char *flow_path, const char *stdlib_dir, char **errors);
/* Loads and verifies a .vbc image; NULL with a message in *error (caller frees) when
 * the image is truncated, corrupt or hostile. The bytes are copied. */
vt_program *vt_program_load(const uint8_t *bytes, size_t len, char **error);
/* Loads a flow from a path: a .vbc image (by its magic) or a .flow source. */
vt_program *vt_program_open(const char *path, const char *stdlib_dir, char **error);
/* The calls above load native libraries (`extern fn`, SPEC §8) only from the stdlib's
 * native directory. The _ex variants take options: more directories a library may
 * load from (what `--allow-native DIR` gives), and the stdlib directory. A flow whose
 * library is in none of them, or lacks the function, is refused with a message. */
typedef struct vt_program_opts {
    const char *stdlib_dir;             /* where `import "std/x"` looks; NULL: the built-in default */
    const char *const *native_dirs;     /* NULL-terminated; NULL: none besides the stdlib's */
} vt_program_opts;
vt_program *vt_program_compile_ex(const char *flow_path, const vt_program_opts *opts, char **errors);
vt_program *vt_program_load_ex(const uint8_t *bytes, size_t len, const vt_program_opts *opts, char **error);
vt_program *vt_program_open_ex(const char *path, const vt_program_opts *opts, char **error);
/* Serialises to the .vbc format; the caller frees *out with free(). */
int vt_program_save(const vt_program *p, uint8_t **out, size_t *len);
/* The source hash recorded in the program (hex, 16 chars), for the store's deployed flows. */
const char *vt_program_hash(const vt_program *p);
void vt_program_free(vt_program *p);

/* ---- contacts ------------------------------------------------------------------ */

/* A contact's whole state is one flat buffer: fields, lifecycle states, owner, tags,
 * history accumulators, enrollments with their program counters, pending wake-up.
 * Its size can grow (text fields, tags), so it is held in a vt_contact the VM may
 * reallocate. `data`/`len` are what a store persists as one blob. */
typedef struct vt_contact {
    uint8_t *data;
    size_t len, cap;
} vt_contact;

/* Creates a new contact's state: default fields, each lifecycle in its initial state,
 * created_at = at. Does not run `created` (apply a VT_INPUT_CREATED input for that). */
int vt_contact_init(vt_vm *vm, vt_contact *c, const char *id, int64_t at);
/* Restores from a persisted blob (copied); -1 if the blob is not valid for this program. */
int vt_contact_restore(vt_vm *vm, vt_contact *c, const uint8_t *blob, size_t len);
void vt_contact_free(vt_contact *c);
/* A hint that the contact is about to be used: starts loading its state into the CPU
 * cache (a batch runner that knows the next inputs calls it a few inputs ahead). */
void vt_contact_prefetch(const vt_contact *c);
/* The earliest instant a wake-up is due for this contact, INT64_MAX when none. */
int64_t vt_contact_next_wake(const vt_contact *c);
/* Reads: a contact field (by schema index), a lifecycle's current state index,
 * the owner team index (-1 none), created_at, the contact's id. Text values point into
 * the contact buffer. */
vt_value vt_contact_field(const vt_contact *c, uint32_t field);
int vt_contact_state(const vt_contact *c, uint32_t lifecycle);
int vt_contact_owner(const vt_contact *c);
int64_t vt_contact_created_at(const vt_contact *c);
const char *vt_contact_id(const vt_contact *c);

/* ---- inputs and outputs ---------------------------------------------------------- */

/* A new contact: vt_contact_init, then one VT_INPUT_CREATED input, which may carry the
 * creating `contact` record's fields (values by contact field index, as for
 * VT_INPUT_CONTACT): they are set before `created` is processed (SPEC §5). A later
 * `contact` record for a known contact is a VT_INPUT_CONTACT input (it only sets fields). */
enum { VT_INPUT_CONTACT = -1, VT_INPUT_CREATED = -2 };

typedef struct vt_input {
    int type;               /* event index, VT_INPUT_CONTACT (set fields), VT_INPUT_CREATED */
    int64_t at;
    const char *id;         /* idempotency id: action ids derive from it */
    const vt_value *values; /* event payload by field index, or contact fields by index */
    uint32_t nvalues;       /* VT_V_NULL entries are "not given" */
    bool late;              /* earlier than the contact's clock (audit marks it) */
} vt_input;

typedef enum vt_action_kind { VT_ACT_SEND, VT_ACT_TASK, VT_ACT_NOTIFY, VT_ACT_ESCALATE } vt_action_kind;
typedef enum vt_action_status { VT_ST_EMITTED, VT_ST_SUPPRESSED } vt_action_status;
typedef enum vt_suppress_reason { VT_WHY_NONE, VT_WHY_NO_CONSENT, VT_WHY_FREQUENCY_CAP } vt_suppress_reason;

typedef struct vt_action {
    char id[33];            /* deterministic: hex of a hash of contact, workflow, enrollment, step, iteration */
    const char *contact;
    int64_t at;
    uint8_t kind;           /* vt_action_kind */
    int channel;            /* send: channel index */
    int team;               /* task/notify/escalate: team index */
    const char *template_;  /* send: interpolated template name */
    const char *text;       /* task/notify/escalate: interpolated text */
    int64_t due;            /* task: due instant, 0 when none */
    int workflow;
    int step;               /* step id within the workflow */
    uint8_t status;         /* vt_action_status */
    uint8_t reason;         /* vt_suppress_reason */
} vt_action;

typedef enum vt_audit_kind {
    VT_AU_EVENT,            /* an input was processed (a = event index or VT_INPUT_*) */
    VT_AU_TRUTH,            /* a truth became true (a = truth index) */
    VT_AU_TRANSITION,       /* a = lifecycle, b = from, c = to, d = transition index */
    VT_AU_ENROLL,           /* a = workflow */
    VT_AU_EXIT,             /* a = workflow, b = vt_exit_outcome */
    VT_AU_OWNER,            /* a = team */
    VT_AU_MERGE,            /* two contacts merged */
} vt_audit_kind;

typedef enum vt_exit_outcome { VT_OUT_EXITED, VT_OUT_GOAL, VT_OUT_COMPLETED, VT_OUT_STOPPED } vt_exit_outcome;

typedef struct vt_audit {
    const char *contact;
    int64_t at;
    uint8_t kind;           /* vt_audit_kind */
    int a, b, c, d;
    const char *cause_id;   /* id of the input that caused it; NULL for a wake-up */
    bool late;
} vt_audit;

typedef struct vt_sink {
    void *ud;
    /* Each returns 0 to go on, non-zero to abort the run (e.g. an I/O error). */
    int (*action)(void *ud, const vt_action *a);
    int (*audit)(void *ud, const vt_audit *a);   /* may be NULL */
} vt_sink;

/* ---- running ------------------------------------------------------------------------ */

vt_vm *vt_vm_new(const vt_program *p);
void vt_vm_free(vt_vm *vm);
/* Applies one input to a contact: wake-ups due at or before in->at must have been
 * fired first (vt_vm_advance). Returns 0, or -1 on an error (message in vt_vm_error). */
int vt_vm_apply(vt_vm *vm, vt_contact *c, const vt_input *in, const vt_sink *sink);
/* Fires every wake-up of the contact due at or before `until`, in time order. */
int vt_vm_advance(vt_vm *vm, vt_contact *c, int64_t until, const vt_sink *sink);
const char *vt_vm_error(const vt_vm *vm);
/* The audit kinds the sink's `audit` is called for: bit (1u << kind) for each, 0 (the
 * default) for all. A caller that wants few kinds says so, and the VM builds no record
 * for the rest. */
void vt_vm_audit_kinds(vt_vm *vm, uint32_t kinds);

#ifdef __cplusplus
}
#endif
#endif
