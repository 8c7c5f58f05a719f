/* Money in input and output: "49.90 EUR" <-> minor units, by ISO 4217 code. */
#ifndef VT_MONEY_H
#define VT_MONEY_H
#include <stddef.h>
#include <stdint.h>

/* Digits after the decimal point for an ISO 4217 code (EUR 2, JPY 0, KWD 3), or -1 when
 * the code is not a known currency. */
int vt_currency_digits(const char code[3]);
/* Parses "49.90 EUR" (also "-5 EUR", "1000.5 USD"). Returns 0, or -1 with a short reason
 * in *why (a static string). */
int vt_money_parse(const char *s, size_t len, int64_t *minor, char currency[4], const char **why);
/* Writes "49.90 EUR" into buf (NUL-terminated); returns its length. */
int vt_money_format(int64_t minor, const char *currency, char *buf, size_t cap);

#endif
