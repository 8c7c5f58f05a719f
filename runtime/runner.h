/* The run loop shared by `verity run` (store-backed) and `verity simulate` (in memory):
 * for one contact, restore its state, fire wake-ups and apply its new inputs in (at,
 * sequence) order, create it on its first input, and advance it to `until`. Decisions
 * go out as outbox rows with names resolved (vt_outrow) and audit records. */
#ifndef VT_RUNNER_H
#define VT_RUNNER_H
#include "verity.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One stored input of a contact. */
typedef struct vt_run_in {
    int type;                   /* event index, VT_INPUT_CONTACT, or VT_RUN_UNKNOWN */
    int64_t at, seq;
    const char *id;
    const uint8_t *payload;     /* vt_payload_encode form */
    size_t plen;
} vt_run_in;
enum { VT_RUN_UNKNOWN = -100 }; /* an event type the flow no longer declares: skipped */

/* An outbox row, names resolved. */
typedef struct vt_outrow {
    const char *id, *contact;
    int64_t at;
    const char *kind;           /* send, task, notify, escalate */
    const char *channel, *team, *template_, *text;   /* NULL when not applicable */
    int64_t due;                /* 0 none */
    const char *workflow;
    int64_t step;
    const char *status, *reason; /* reason NULL unless suppressed */
} vt_outrow;

typedef struct vt_run_sink {
    void *ud;
    int (*row)(void *ud, const vt_outrow *r);
    int (*audit)(void *ud, const vt_audit *a);   /* may be NULL */
} vt_run_sink;

typedef struct vt_run_stats {
    uint64_t inputs, contacts, created, late, skipped, emitted, suppressed;
} vt_run_stats;

typedef struct vt_runner vt_runner;

vt_runner *vt_runner_new(const vt_program *p, const vt_run_sink *sink, char **error);
void vt_runner_free(vt_runner *r);
/* The event index of a stored type name, VT_INPUT_CONTACT for "contact", else VT_RUN_UNKNOWN. */
int vt_runner_type(const vt_runner *r, const char *name, size_t len);
/* Processes one contact. blob NULL = not in the store yet. *clock is the contact's clock
 * (in/out; INT64_MIN when new). Inputs sorted by (at, seq). Returns 0, or -1 with a
 * message in vt_runner_error. Afterwards vt_runner_state holds the state to persist. */
int vt_runner_contact(vt_runner *r, const char *id, const uint8_t *blob, size_t blen, int64_t *clock,
                      const vt_run_in *ins, size_t n, int64_t until);
const vt_contact *vt_runner_state(const vt_runner *r);
const char *vt_runner_error(const vt_runner *r);
vt_run_stats *vt_runner_stats(vt_runner *r);
vt_vm *vt_runner_vm(vt_runner *r);

/* Reads --until: "now" (wall clock) or a timestamp (without a zone: the flow's). */
int vt_parse_until(const vt_schema *s, const char *text, int64_t *out);

/* Output rows (SPEC §9). */
void vt_outrow_jsonl(FILE *out, const vt_outrow *r);
void vt_outrow_csv_header(FILE *out);
void vt_outrow_csv(FILE *out, const vt_outrow *r);
void vt_contact_jsonl(FILE *out, const vt_schema *s, const vt_contact *c);
void vt_contact_csv_header(FILE *out, const vt_schema *s);
void vt_contact_csv(FILE *out, const vt_schema *s, const vt_contact *c);

#endif
