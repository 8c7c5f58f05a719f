/* Input records (SPEC §9): JSONL lines and CSV rows read in one pass each, without a
 * DOM, and validated against a flow's schema. Used by `verity ingest` (into the store)
 * and `verity simulate` (in memory) alike, so both accept and reject the same lines. */
#ifndef VT_INGEST_H
#define VT_INGEST_H
#include "verity.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct vt_ingest vt_ingest;

/* One accepted record. Pointers are valid until the next record is parsed. */
typedef struct vt_inrec {
    int type;                   /* event index, or VT_INPUT_CONTACT */
    const char *type_name;      /* "contact" or the event's name */
    const char *contact;        /* the contact's id when given as a string, else NULL */
    size_t contact_len;
    int key_field;              /* contact field index when named by a key, else -1 */
    const char *key;            /* that key's value as text */
    size_t key_len;
    int64_t at;
    const char *id;
    size_t id_len;
    const vt_value *values;     /* by field index: the event's fields, or the contact's */
    uint32_t nvalues;           /* VT_V_NULL = not given */
} vt_inrec;

/* What the reader does with each line. Return 0 to go on, non-zero to stop (I/O error). */
typedef struct vt_ingest_sink {
    void *ud;
    int (*record)(void *ud, const vt_inrec *r, const char *file, uint64_t line);
    int (*reject)(void *ud, const char *file, uint64_t line, const char *why, const char *text, size_t len);
} vt_ingest_sink;

/* Longest line accepted; a longer one is rejected whole (and skipped), never truncated. */
#define VT_INGEST_MAX_LINE (1u << 20)

/* NULL with a message in *error (caller frees with vt_free) when the flow's time zone
 * cannot be loaded or memory runs out. The schema must outlive the reader. */
vt_ingest *vt_ingest_new(const vt_schema *s, char **error);
void vt_ingest_free(vt_ingest *x);

/* Reads one input: JSONL, or CSV when the path ends in .csv (stdin "-": CSV when the
 * first character is not `{`). Bad lines go to sink->reject with their reason, good
 * ones to sink->record. Returns 0, -1 when the file cannot be read (message in *error,
 * caller frees), or the sink's non-zero code. */
int vt_ingest_file(vt_ingest *x, const char *path, const vt_ingest_sink *sink, char **error);

/* Parses one JSONL line / one CSV row (the header set first). 0 accepted, 1 blank,
 * -1 rejected with the reason in *why (valid until the next call). */
int vt_ingest_jsonl(vt_ingest *x, const char *line, size_t len, vt_inrec *rec, const char **why);
int vt_ingest_csv_header(vt_ingest *x, const char *line, size_t len, const char **why);
int vt_ingest_csv_row(vt_ingest *x, const char *line, size_t len, vt_inrec *rec, const char **why);

/* Writes a value as JSON (text escaped; money "49.90 EUR"; time as UTC; duration as
 * "1d12h"; team by name). */
void vt_value_json(FILE *out, const vt_schema *s, const vt_value *v);

#endif
