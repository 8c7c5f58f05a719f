/* The stored form of a record's payload: the fields it carries, each by name (so a
 * store outlives a change of field order between flow versions) with its value. Used
 * for the store's events.payload and for simulate's in-memory records alike. */
#ifndef VT_RECORD_H
#define VT_RECORD_H
#include "verity.h"
#include <stddef.h>
#include <stdint.h>

/* Encodes the non-NULL values (by field index) into *buf (grown with vt_realloc);
 * returns the length, or -1 on allocation failure. */
long vt_payload_encode(const vt_schema *s, const vt_schema_field *fs, uint32_t nf, const vt_value *vals,
                       uint8_t **buf, size_t *cap);
/* The same, written at offset `at` of *buf (bytes before it kept); returns the length
 * written, or -1. */
long vt_payload_encode_at(const vt_schema *s, const vt_schema_field *fs, uint32_t nf, const vt_value *vals,
                          uint8_t **buf, size_t *cap, size_t at);
/* Decodes into vals[0..nf) (cleared first); text points into p. Fields the flow no
 * longer declares are skipped. Returns 0, or -1 when the payload is corrupt. */
int vt_payload_decode(const vt_schema *s, const vt_schema_field *fs, uint32_t nf, const uint8_t *p, size_t len,
                      vt_value *vals);

#endif
