/* Edit distance for "did you mean" hints. */
#include "suggest.h"
#include <ctype.h>
#include <string.h>

enum { SUGGEST_MAX_LEN = 64 };  /* longer names are never typos worth guessing */

static size_t min3(size_t a, size_t b, size_t c) {
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

size_t vt_edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > SUGGEST_MAX_LEN || lb > SUGGEST_MAX_LEN) return (size_t)-1;
    /* Three rows of the dynamic-programming table: i-2, i-1, i. */
    size_t rows[3][SUGGEST_MAX_LEN + 1];
    for (size_t j = 0; j <= lb; j++) rows[1][j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t *cur = rows[(i + 1) % 3], *prev = rows[i % 3], *prev2 = rows[(i + 2) % 3];
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            size_t cost = ca != cb;
            cur[j] = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && prev2[j - 2] + 1 < cur[j])
                cur[j] = prev2[j - 2] + 1;
        }
    }
    return rows[(la + 1) % 3][lb];
}

void vt_suggest_init(vt_suggest *s, const char *word) {
    s->word = word;
    s->best = NULL;
    s->best_dist = (size_t)-1;
}

void vt_suggest_add(vt_suggest *s, const char *candidate) {
    if (!candidate || !s->word || !strcmp(candidate, s->word)) return;
    size_t d = vt_edit_distance(s->word, candidate);
    if (d < s->best_dist) {
        s->best = candidate;
        s->best_dist = d;
    }
}

const char *vt_suggest_best(const vt_suggest *s) {
    if (!s->best) return NULL;
    /* A third of the word's length (at least 1, at most 3) separates a typo from
     * a different name: `purchse` -> `purchase`, but not `sms` -> `email`. */
    size_t len = strlen(s->word), limit = len / 3;
    if (limit < 1) limit = 1;
    if (limit > 3) limit = 3;
    return s->best_dist <= limit ? s->best : NULL;
}
