#include "money.h"
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* ISO 4217 active codes with their minor units; the ones not listed use 2 digits only
 * if listed here, so an unknown code is an input error, not a silent guess. */
#define VT_CURRENCIES(C) \
    C("AED", 2) C("ARS", 2) C("AUD", 2) C("BGN", 2) C("BHD", 3) C("BRL", 2) C("CAD", 2) C("CHF", 2) \
    C("CLP", 0) C("CNY", 2) C("COP", 2) C("CZK", 2) C("DKK", 2) C("EGP", 2) C("EUR", 2) C("GBP", 2) \
    C("HKD", 2) C("HUF", 2) C("IDR", 2) C("ILS", 2) C("INR", 2) C("ISK", 0) C("JOD", 3) C("JPY", 0) \
    C("KRW", 0) C("KWD", 3) C("MAD", 2) C("MXN", 2) C("MYR", 2) C("NGN", 2) C("NOK", 2) C("NZD", 2) \
    C("OMR", 3) C("PEN", 2) C("PHP", 2) C("PKR", 2) C("PLN", 2) C("QAR", 2) C("RON", 2) C("RSD", 2) \
    C("RUB", 2) C("SAR", 2) C("SEK", 2) C("SGD", 2) C("THB", 2) C("TND", 3) C("TRY", 2) C("TWD", 2) \
    C("UAH", 2) C("USD", 2) C("VND", 0) C("ZAR", 2)

int vt_currency_digits(const char code[3]) {
#define C(c, d) if (memcmp(code, c, 3) == 0) return d;
    VT_CURRENCIES(C)
#undef C
    return -1;
}

int vt_money_parse(const char *s, size_t len, int64_t *minor, char currency[4], const char **why) {
    size_t p = 0;
    int neg = 0;
    if (p < len && (s[p] == '-' || s[p] == '+')) neg = s[p++] == '-';
    int64_t whole = 0, frac = 0;
    int nd = 0, fd = 0;
    while (p < len && s[p] >= '0' && s[p] <= '9') {
        if (whole > 90000000000000000ll / 10) return *why = "the amount is too large", -1;
        whole = whole * 10 + (s[p++] - '0');
        nd++;
    }
    if (p < len && s[p] == '.') {
        p++;
        while (p < len && s[p] >= '0' && s[p] <= '9') {
            if (fd >= 6) return *why = "too many decimals", -1;
            frac = frac * 10 + (s[p++] - '0');
            fd++;
        }
        if (!fd) nd = 0;
    }
    if (!nd) return *why = "write an amount and a currency code, like \"49.90 EUR\"", -1;
    if (p >= len || s[p] != ' ') return *why = "write the currency code after the amount, like \"49.90 EUR\"", -1;
    p++;
    if (len - p != 3 || s[p] < 'A' || s[p] > 'Z' || s[p + 1] < 'A' || s[p + 1] > 'Z' || s[p + 2] < 'A' ||
        s[p + 2] > 'Z')
        return *why = "the currency must be an ISO 4217 code in capitals, like EUR or USD", -1;
    int digits = vt_currency_digits(s + p);
    if (digits < 0) return *why = "unknown currency code (write an ISO 4217 code such as EUR or USD)", -1;
    if (fd > digits) return *why = "more decimals than the currency has", -1;
    for (int i = fd; i < digits; i++) frac *= 10;
    int64_t scale = 1;
    for (int i = 0; i < digits; i++) scale *= 10;
    *minor = (whole * scale + frac) * (neg ? -1 : 1);
    memcpy(currency, s + p, 3);
    currency[3] = 0;
    return 0;
}

int vt_money_format(int64_t minor, const char *currency, char *buf, size_t cap) {
    int digits = vt_currency_digits(currency);
    if (digits < 0) digits = 2;
    uint64_t a = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
    uint64_t scale = 1;
    for (int i = 0; i < digits; i++) scale *= 10;
    if (digits == 0)
        return snprintf(buf, cap, "%s%llu %.3s", minor < 0 ? "-" : "", (unsigned long long)a, currency);
    return snprintf(buf, cap, "%s%llu.%0*llu %.3s", minor < 0 ? "-" : "", (unsigned long long)(a / scale), digits,
                    (unsigned long long)(a % scale), currency);
}
