/* A contact's timeline in words (`verity explain`). */
#ifndef VT_EXPLAIN_H
#define VT_EXPLAIN_H
#include "store.h"
#include <stdio.h>

/* The audit kind the store adds after each outbox row (d = the row's outbox seq), so a
 * timeline shows each action where it was decided. Beyond vt_audit_kind's range. */
#define VT_AUDIT_ACTION 100

/* Writes the timeline of the contact named by id or by a key value. 0, or -1 with a
 * message in *error (vt_free). */
int vt_explain(vt_store *st, const vt_program *p, const char *contact, FILE *out, char **error);

#endif
