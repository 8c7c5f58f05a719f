/* `verity explain CONTACT`: the contact's timeline in words, read from the audit (which
 * records every processed input, truth, transition, enrollment, exit and owner change in
 * processing order, and where each outbox row fell among them). */
#include "explain.h"
#include "../common/mem.h"
#include "../common/timeutil.h"
#include "ingest.h"
#include "program.h"
#include "record.h"
#include "tz.h"
#include <string.h>

typedef struct ex {
    sqlite3_stmt *evs;      /* the contact's events in (at, seq) order */
    int evs_rc;             /* SQLITE_ROW while one is pending */
    bool created;
    int64_t last_at;
    char *last_id;          /* id of the last input printed: later rows it caused follow it */
    vt_store *st;
    const vt_program *p;
    const vt_schema *s;
    vt_tz *tz;
    FILE *out;
    sqlite3_stmt *row_by_seq;
    vt_value *vals;
} ex;

static void when(ex *x, int64_t t) {
    int64_t local = t + vt_tz_offset(x->tz, t);
    int64_t y;
    unsigned m, d;
    vt_civil_from_days(vt_floordiv(local, 86400), &y, &m, &d);
    int64_t sec = vt_floormod(local, 86400);
    static const char *const wd[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    fprintf(x->out, "%s %04lld-%02u-%02u %02lld:%02lld", wd[vt_weekday(vt_floordiv(local, 86400))], (long long)y, m,
            d, (long long)(sec / 3600), (long long)(sec / 60 % 60));
}

static const char *nm(const char *const *names, uint32_t n, int i) {
    return i >= 0 && (uint32_t)i < n ? names[i] : "?";
}

static const char *state_name(ex *x, int lc, int st) {
    if (lc < 0 || (uint32_t)lc >= x->s->nlifecycles) return "?";
    return nm(x->s->states[lc], x->s->nstates[lc], st);
}

static void payload(ex *x, const vt_schema_field *fs, uint32_t nf, const void *p, size_t len) {
    if (!nf || vt_payload_decode(x->s, fs, nf, p, len, x->vals)) return;
    bool first = true;
    for (uint32_t i = 0; i < nf; i++) {
        if (x->vals[i].type == VT_V_NULL) continue;
        fprintf(x->out, "%s%s ", first ? ": " : ", ", fs[i].name);
        vt_value_json(x->out, x->s, &x->vals[i]);
        first = false;
    }
}

/* One input as it arrived, with its data; `late` when it came after the contact's clock. */
static void input_line(ex *x, int type, const char *id, const void *pay, size_t plen, bool late) {
    if (type == VT_INPUT_CONTACT) {
        fprintf(x->out, "  contact record %s", id);
        payload(x, x->s->contact_fields, x->s->ncontact_fields, pay, plen);
    } else if (type >= 0) {
        fprintf(x->out, "  event %s (%s)", x->s->events[type].name, id);
        payload(x, x->s->events[type].fields, x->s->events[type].nfields, pay, plen);
        if (x->s->events[type].weak) fputs(" [weak signal]", x->out);
    } else {
        fprintf(x->out, "  a record of a type this flow does not declare (%s)", id);
    }
    if (late) fputs(" [late: earlier than the contact's clock, processed on arrival]", x->out);
    fputc('\n', x->out);
}

static int type_of(ex *x, const char *name) {
    if (!strcmp(name, "contact")) return VT_INPUT_CONTACT;
    for (uint32_t i = 0; i < x->s->nevents; i++)
        if (!strcmp(x->s->events[i].name, name)) return (int)i;
    return VT_INPUT_CREATED - 1;
}

/* Prints the pending events up to and including the one with id `until_id` (NULL: those
 * strictly before instant `before`, or all when before is INT64_MAX). */
static void flush_events(ex *x, const char *until_id, int64_t before, bool late) {
    /* Several audit rows name the same input; only the first must advance the cursor
     * (searching on for an id already printed would print every later input first). */
    if (until_id && x->last_id && !strcmp(x->last_id, until_id)) return;
    while (x->evs_rc == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(x->evs, 0);
        int64_t at = sqlite3_column_int64(x->evs, 2);
        bool match = until_id && !strcmp(id, until_id);
        if (!until_id && at >= before) return;
        int type = type_of(x, (const char *)sqlite3_column_text(x->evs, 1));
        {
            when(x, at);
            x->last_at = at;
            input_line(x, type, id, sqlite3_column_blob(x->evs, 3), (size_t)sqlite3_column_bytes(x->evs, 3),
                       match && late);
            vt_free(x->last_id);
            x->last_id = vt_strdup(id);     /* NULL when out of memory: then no shortcut */
            if (!x->created) {
                if (type != VT_INPUT_CONTACT) when(x, at), fputs("  contact created with default fields\n", x->out);
                else when(x, at), fputs("  contact created: every lifecycle starts in its initial state\n", x->out);
                x->created = true;
            }
        }
        x->evs_rc = sqlite3_step(x->evs);
        if (match) return;
    }
}

static void transition_why(ex *x, int d) {
    const vt_program *p = x->p;
    if (d < 0 || (uint32_t)d >= p->ntrans) {
        fputs(" (by a workflow step `move to`)", x->out);
        return;
    }
    const vt_ptrans *t = &p->trans[d];
    uint32_t line = t->fn >= 0 && (uint32_t)t->fn < p->nfns ? vt_program_line(p, p->fns[t->fn].start) : 0;
    switch (t->kind) {
    case VT_TK_ON_EVENT:
        if (t->event == VT_EV_CREATED) fputs(" because the contact was created", x->out);
        else fprintf(x->out, " on %s", t->event >= 0 && (uint32_t)t->event < x->s->nevents
                                              ? x->s->events[t->event].name : "its event");
        if (t->fn >= 0) fputs(" whose condition held", x->out);
        break;
    case VT_TK_AFTER: {
        int64_t dd = t->dur;
        fprintf(x->out, " after %lld", (long long)(dd % 86400 == 0 ? dd / 86400 : dd % 3600 == 0 ? dd / 3600 : dd / 60));
        fputs(dd % 86400 == 0 ? "d in state" : dd % 3600 == 0 ? "h in state" : "m in state", x->out);
        break;
    }
    default: fputs(" because its condition became true", x->out); break;
    }
    if (line) fprintf(x->out, " (rule at line %u of the flow)", line);
}

static void action_line(ex *x, int64_t seq) {
    sqlite3_stmt *q = x->row_by_seq;
    sqlite3_reset(q);
    sqlite3_bind_int64(q, 1, seq);
    if (sqlite3_step(q) != SQLITE_ROW) return;
    const char *kind = (const char *)sqlite3_column_text(q, 0), *channel = (const char *)sqlite3_column_text(q, 1),
               *team = (const char *)sqlite3_column_text(q, 2), *tmpl = (const char *)sqlite3_column_text(q, 3),
               *text = (const char *)sqlite3_column_text(q, 4), *wf = (const char *)sqlite3_column_text(q, 5),
               *status = (const char *)sqlite3_column_text(q, 6), *reason = (const char *)sqlite3_column_text(q, 7);
    int64_t due = sqlite3_column_int64(q, 8);
    bool suppressed = status && !strcmp(status, "suppressed");
    fputs(suppressed ? "    NOT sent: " : "    -> ", x->out);
    if (kind && !strcmp(kind, "send")) fprintf(x->out, "%s \"%s\"", channel ? channel : "?", tmpl ? tmpl : "");
    else if (kind && !strcmp(kind, "task")) {
        fprintf(x->out, "task for %s: \"%s\"", team ? team : "?", text ? text : "");
        if (due) fputs(" due ", x->out), when(x, due);
    } else fprintf(x->out, "%s to %s: \"%s\"", kind ? kind : "?", team ? team : "?", text ? text : "");
    fprintf(x->out, " (workflow %s)", wf ? wf : "?");
    if (suppressed && reason) {
        if (!strcmp(reason, "no_consent")) {
            const char *consent = NULL;
            for (uint32_t i = 0; i < x->p->nchans && channel; i++)
                if (!strcmp(x->s->channels[i], channel) && x->p->chans[i].consent >= 0 &&
                    (uint32_t)x->p->chans[i].consent < x->s->ncontact_fields)
                    consent = x->s->contact_fields[x->p->chans[i].consent].name;
            if (consent) fprintf(x->out, ": no consent (%s is false)", consent);
            else fputs(": no consent", x->out);
        } else if (!strcmp(reason, "frequency_cap")) {
            fprintf(x->out, ": the %s frequency cap was already reached", channel ? channel : "channel");
        } else {
            fprintf(x->out, ": %s", reason);
        }
    }
    fputc('\n', x->out);
    sqlite3_reset(q);
}

static const char *const outcome_words[] = {"exited (its exit condition held)", "reached its goal",
                                             "completed its steps", "stopped (a `stop` step)"};

int vt_explain(vt_store *st, const vt_program *p, const char *who, FILE *out, char **error) {
    ex x = {.st = st, .p = p, .s = vt_program_schema(p), .out = out};
    int rc = -1;
    sqlite3_stmt *au = NULL, *id = NULL;
    char *contact = NULL;
    x.tz = vt_tz_load(x.s->timezone ? x.s->timezone : "UTC");
    uint32_t maxf = x.s->ncontact_fields;
    for (uint32_t i = 0; i < x.s->nevents; i++)
        if (x.s->events[i].nfields > maxf) maxf = x.s->events[i].nfields;
    x.vals = vt_calloc(maxf + 1, sizeof *x.vals);
    if (!x.tz || !x.vals) {
        if (error) *error = vt_strdup("out of memory");
        goto out;
    }
    /* The contact by id, else by any key field's value. */
    if (sqlite3_prepare_v2(st->db,
                           "SELECT cid, id FROM contacts WHERE id = ?1 AND state IS NOT NULL UNION ALL "
                           "SELECT c.cid, c.id FROM contact_keys k JOIN contacts c ON c.id = k.contact "
                           "WHERE k.value = ?1 AND c.state IS NOT NULL LIMIT 1",
                           -1, &id, NULL) != SQLITE_OK)
        goto dberr;
    sqlite3_bind_text(id, 1, who, -1, SQLITE_STATIC);
    int r = sqlite3_step(id);
    int64_t cid = 0;
    if (r == SQLITE_ROW) {
        cid = sqlite3_column_int64(id, 0);
        contact = vt_strdup((const char *)sqlite3_column_text(id, 1));
    }
    else if (r != SQLITE_DONE) goto dberr;
    if (!contact) {
        if (error) {
            char buf[512];
            snprintf(buf, sizeof buf, "no contact has the id or key `%s` (was `verity run` run after ingesting it?)", who);
            *error = vt_strdup(buf);
        }
        goto out;
    }
    if (sqlite3_prepare_v2(st->db,
                           "SELECT kind, channel, team, template, text, workflow, status, reason, due FROM outbox "
                           "WHERE seq = ?1",
                           -1, &x.row_by_seq, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(st->db, "SELECT at, kind, a, b, c, d, cause, late FROM audit WHERE contact = ?1 ORDER BY seq",
                           -1, &au, NULL) != SQLITE_OK)
        goto dberr;
    fprintf(out, "Contact %s (times in %s)\n", contact, x.s->timezone ? x.s->timezone : "UTC");
    if (sqlite3_prepare_v2(st->db, "SELECT id, type, at, payload FROM events WHERE cid = ?1 ORDER BY at, seq", -1,
                           &x.evs, NULL) != SQLITE_OK)
        goto dberr;
    sqlite3_bind_int64(x.evs, 1, cid);
    x.evs_rc = sqlite3_step(x.evs);
    x.last_at = INT64_MIN;
    sqlite3_bind_text(au, 1, contact, -1, SQLITE_STATIC);
    while ((r = sqlite3_step(au)) == SQLITE_ROW) {
        int64_t at = sqlite3_column_int64(au, 0);
        int kind = sqlite3_column_int(au, 1), a = sqlite3_column_int(au, 2), b = sqlite3_column_int(au, 3),
            c = sqlite3_column_int(au, 4);
        int64_t d = sqlite3_column_int64(au, 5);
        const char *cause = (const char *)sqlite3_column_text(au, 6);
        bool late = sqlite3_column_int(au, 7) != 0;
        /* Place the row after the input that caused it, or for a wake-up after every
         * input before its instant (wake-ups fire before same-instant inputs). */
        if (kind == VT_AU_EVENT) {
            if (a != VT_INPUT_CREATED) flush_events(&x, cause, 0, late);
            continue;
        }
        if (cause) {
            flush_events(&x, cause, 0, false);
        } else {
            flush_events(&x, NULL, at, false);
            if (at != x.last_at) {
                when(&x, at);
                fputs("  time passed (a wake-up)\n", out);
                x.last_at = at;
            }
        }
        switch (kind) {
        case VT_AU_TRUTH:
            fprintf(out, "    truth %s became true\n", a >= 0 && (uint32_t)a < p->ntruths ? vt_pstr(p, p->truths[a].name) : "?");
            break;
        case VT_AU_TRANSITION:
            fprintf(out, "    %s: %s -> %s", nm(x.s->lifecycles, x.s->nlifecycles, a), state_name(&x, a, b),
                    state_name(&x, a, c));
            transition_why(&x, (int)d);
            fputc('\n', out);
            break;
        case VT_AU_ENROLL: fprintf(out, "    enrolled in workflow %s\n", nm(x.s->workflows, x.s->nworkflows, a)); break;
        case VT_AU_EXIT:
            fprintf(out, "    left workflow %s: %s\n", nm(x.s->workflows, x.s->nworkflows, a),
                    b >= 0 && b < 4 ? outcome_words[b] : "ended");
            break;
        case VT_AU_OWNER: fprintf(out, "    owner is now %s\n", nm(x.s->teams, x.s->nteams, a)); break;
        case VT_AU_MERGE: fputs("    merged with another contact that had the same key\n", out); break;
        case VT_AUDIT_ACTION: action_line(&x, d); break;
        default: break;
        }
    }
    if (r == SQLITE_DONE) flush_events(&x, NULL, INT64_MAX, false);
    if (r != SQLITE_DONE) goto dberr;
    rc = 0;
    goto out;
dberr:
    if (error) *error = vt_strdup(sqlite3_errmsg(st->db));
out:
    sqlite3_finalize(au);
    sqlite3_finalize(id);
    sqlite3_finalize(x.evs);
    sqlite3_finalize(x.row_by_seq);
    vt_free(contact);
    vt_free(x.last_id);
    vt_free(x.vals);
    vt_tz_free(x.tz);
    return rc;
}
