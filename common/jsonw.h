/* Writing JSON text: string escaping shared by diagnostics, outbox, contacts, reports. */
#ifndef VT_JSONW_H
#define VT_JSONW_H
#include <stddef.h>
#include <stdio.h>

/* Writes s (len bytes) as a JSON string, quotes included. Invalid UTF-8 bytes are
 * written as U+FFFD so the output is always valid JSON. */
void vt_json_str(FILE *out, const char *s, size_t len);
void vt_json_cstr(FILE *out, const char *s);   /* NULL writes null */
/* Escapes for XML text and attributes (JUnit). */
void vt_xml_str(FILE *out, const char *s);

#endif
