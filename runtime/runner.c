/* One contact at a time: restore, create on the first input, apply inputs in order with
 * wake-ups first, advance to the end. Shared by the store loop and simulate. */
#include "runner.h"
#include "../common/mem.h"
#include "record.h"
#include "strmap.h"
#include "tz.h"
#include <time.h>
#include <stdarg.h>
#include <string.h>

struct vt_runner {
    const vt_program *p;
    const vt_schema *s;
    vt_vm *vm;
    vt_contact c;
    bool has_c;
    vt_run_sink out;
    vt_sink vsink;
    vt_strmap types;
    vt_value *vals;
    vt_run_stats st;
    char err[512];
};

static const char *const kind_names[] = {"send", "task", "notify", "escalate"};
static const char *const reason_names[] = {NULL, "no_consent", "frequency_cap"};

static const char *name_at(const char *const *names, uint32_t n, int i) {
    return i >= 0 && (uint32_t)i < n ? names[i] : NULL;
}

static int on_action(void *ud, const vt_action *a) {
    vt_runner *r = ud;
    const vt_schema *s = r->s;
    bool send = a->kind == VT_ACT_SEND;
    vt_outrow row = {
        .id = a->id,
        .contact = a->contact,
        .at = a->at,
        .kind = a->kind < 4 ? kind_names[a->kind] : "task",
        .channel = send ? name_at(s->channels, s->nchannels, a->channel) : NULL,
        .team = send ? NULL : name_at(s->teams, s->nteams, a->team),
        .template_ = send ? (a->template_ ? a->template_ : "") : NULL,
        .text = send ? NULL : (a->text ? a->text : ""),
        .due = send ? 0 : a->due,
        .workflow = name_at(s->workflows, s->nworkflows, a->workflow),
        .step = a->step,
        .status = a->status == VT_ST_SUPPRESSED ? "suppressed" : "emitted",
        .reason = a->status == VT_ST_SUPPRESSED && a->reason < 3 ? reason_names[a->reason] : NULL,
    };
    if (a->status == VT_ST_SUPPRESSED) r->st.suppressed++;
    else r->st.emitted++;
    return r->out.row(r->out.ud, &row);
}

static int on_audit(void *ud, const vt_audit *a) {
    vt_runner *r = ud;
    return r->out.audit(r->out.ud, a);
}

vt_runner *vt_runner_new(const vt_program *p, const vt_run_sink *sink, char **error) {
    vt_runner *r = vt_calloc(1, sizeof *r);
    if (!r) goto oom;
    r->p = p;
    r->s = vt_program_schema(p);
    r->out = *sink;
    r->vsink = (vt_sink){r, on_action, sink->audit ? on_audit : NULL};
    vt_strmap_init(&r->types);
    uint32_t maxf = r->s->ncontact_fields;
    for (uint32_t i = 0; i < r->s->nevents; i++) {
        if (vt_strmap_put(&r->types, r->s->events[i].name, strlen(r->s->events[i].name), i, NULL, NULL) < 0) goto oom;
        if (r->s->events[i].nfields > maxf) maxf = r->s->events[i].nfields;
    }
    r->vals = vt_calloc(maxf + 1, sizeof *r->vals);
    r->vm = vt_vm_new(p);
    if (!r->vals || !r->vm) goto oom;
    return r;
oom:
    vt_runner_free(r);
    if (error) *error = vt_strdup("out of memory");
    return NULL;
}

void vt_runner_free(vt_runner *r) {
    if (!r) return;
    if (r->has_c) vt_contact_free(&r->c);
    if (r->vm) vt_vm_free(r->vm);
    vt_strmap_free(&r->types);
    vt_free(r->vals);
    vt_free(r);
}

int vt_runner_type(const vt_runner *r, const char *name, size_t len) {
    if (len == 7 && !memcmp(name, "contact", 7)) return VT_INPUT_CONTACT;
    int64_t t = vt_strmap_get(&r->types, name, len);
    return t < 0 ? VT_RUN_UNKNOWN : (int)t;
}

static int failf(vt_runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int failf(vt_runner *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    return -1;
}

static int vm_fail(vt_runner *r, const char *contact, const char *what) {
    const char *e = vt_vm_error(r->vm);
    return failf(r, "contact %s: %s: %s", contact, what, e && *e ? e : "the VM stopped (a sink asked to abort)");
}

/* Decodes a stored payload into r->vals and applies it. */
static int apply(vt_runner *r, const char *contact, const vt_run_in *in, int type, bool late) {
    const vt_schema_field *fs;
    uint32_t nf;
    if (type == VT_INPUT_CONTACT) {
        fs = r->s->contact_fields;
        nf = r->s->ncontact_fields;
    } else if (type == VT_INPUT_CREATED) {
        fs = NULL;
        nf = 0;
    } else {
        fs = r->s->events[type].fields;
        nf = r->s->events[type].nfields;
    }
    if (nf && vt_payload_decode(r->s, fs, nf, in->payload, in->plen, r->vals))
        return failf(r, "contact %s: the stored record %s is corrupt", contact, in->id);
    vt_input vi = {type, in->at, in->id, nf ? r->vals : NULL, nf, late};
    if (vt_vm_apply(r->vm, &r->c, &vi, &r->vsink)) return vm_fail(r, contact, in->id);
    return 0;
}

int vt_runner_contact(vt_runner *r, const char *id, const uint8_t *blob, size_t blen, int64_t *clock,
                      const vt_run_in *ins, size_t n, int64_t until) {
    if (r->has_c) {
        vt_contact_free(&r->c);
        r->has_c = false;
    }
    memset(&r->c, 0, sizeof r->c);
    bool exists = blob != NULL;
    if (exists) {
        if (vt_contact_restore(r->vm, &r->c, blob, blen))
            return failf(r, "contact %s: its stored state does not fit this flow (was the store run with another "
                            "flow?)", id);
        r->has_c = true;
    }
    r->st.contacts++;
    for (size_t i = 0; i < n; i++) {
        const vt_run_in *in = &ins[i];
        if (in->type == VT_RUN_UNKNOWN) {
            r->st.skipped++;
            continue;
        }
        r->st.inputs++;
        if (!exists) {
            /* Creation in processing order: a contact record sets its fields before
             * `created`; an event creates the contact with default fields, then runs. */
            if (vt_contact_init(r->vm, &r->c, id, in->at)) return vm_fail(r, id, "cannot create the contact");
            r->has_c = true;
            exists = true;
            r->st.created++;
            *clock = in->at;
            if (in->type == VT_INPUT_CONTACT && apply(r, id, in, VT_INPUT_CONTACT, false)) return -1;
            if (apply(r, id, in, VT_INPUT_CREATED, false)) return -1;
            if (in->type == VT_INPUT_CONTACT) continue;
            if (apply(r, id, in, in->type, false)) return -1;
            continue;
        }
        bool late = in->at < *clock;
        if (late) r->st.late++;
        else {
            if (vt_vm_advance(r->vm, &r->c, in->at, &r->vsink)) return vm_fail(r, id, "a wake-up failed");
            *clock = in->at;
        }
        if (apply(r, id, in, in->type, late)) return -1;
    }
    if (!exists) return 0; /* only unknown inputs: nothing to keep */
    if (until > *clock || *clock == INT64_MIN) {
        if (vt_vm_advance(r->vm, &r->c, until, &r->vsink)) return vm_fail(r, id, "a wake-up failed");
        *clock = until;
    }
    return 0;
}

const vt_contact *vt_runner_state(const vt_runner *r) { return r->has_c ? &r->c : NULL; }
const char *vt_runner_error(const vt_runner *r) { return r->err; }
vt_run_stats *vt_runner_stats(vt_runner *r) { return &r->st; }
vt_vm *vt_runner_vm(vt_runner *r) { return r->vm; }

int vt_parse_until(const vt_schema *s, const char *text, int64_t *out) {
    if (!strcmp(text, "now")) {
        *out = (int64_t)time(NULL);
        return 0;
    }
    int has_zone;
    if (vt_parse_timestamp(text, strlen(text), out, &has_zone, NULL)) return -1;
    if (!has_zone) {
        vt_tz *z = vt_tz_load(s->timezone ? s->timezone : "UTC");
        if (!z) return -1;
        *out = vt_tz_from_local(z, *out);
        vt_tz_free(z);
    }
    return 0;
}
