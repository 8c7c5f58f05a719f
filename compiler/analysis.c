/* Static analysis driver (SPEC §7): builds the satisfiability engine and the lifecycle
 * reachability, then runs the checks. Runs only on a unit that resolved cleanly, so every
 * name is resolved; it still treats unresolved references as "unknown", never crashes. */
#include "analysis_int.h"
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static uint64_t finding_key(vt_code code, vt_span span) {
    return ((uint64_t)code << 48) ^ ((uint64_t)span.file << 32) ^ span.start;
}

/* Records key; returns 1 when it was new. */
static int seen_add(vt_an *an, uint64_t key) {
    key += 1;   /* 0 marks an empty slot */
    if ((an->nseen + 1) * 2 > an->cseen) {
        size_t ncap = an->cseen ? an->cseen * 2 : 256;
        uint64_t *nv = vt_arena_alloc(&an->arena, ncap * sizeof *nv);
        if (!nv) { an->oom = 1; return 1; }
        for (size_t k = 0; k < an->cseen; k++) {
            if (!an->seen[k]) continue;
            size_t i = (size_t)(an->seen[k] * 0x9E3779B97F4A7C15ull) & (ncap - 1);
            while (nv[i]) i = (i + 1) & (ncap - 1);
            nv[i] = an->seen[k];
        }
        an->seen = nv;
        an->cseen = ncap;
    }
    size_t i = (size_t)(key * 0x9E3779B97F4A7C15ull) & (an->cseen - 1);
    while (an->seen[i]) {
        if (an->seen[i] == key) return 0;
        i = (i + 1) & (an->cseen - 1);
    }
    an->seen[i] = key;
    an->nseen++;
    return 1;
}

vt_diag *vt_an_report(vt_an *an, vt_code code, vt_span span, const char *fmt, ...) {
    if (!seen_add(an, finding_key(code, span))) return NULL;
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    if ((size_t)n < sizeof small) return vt_diag_report(an->u->diags, code, span, "%s", small);
    char *big = vt_arena_alloc(&an->arena, (size_t)n + 1);
    if (!big) { an->oom = 1; return NULL; }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return vt_diag_report(an->u->diags, code, span, "%s", big);
}

uint32_t vt_an_line(vt_an *an, vt_span span) {
    uint32_t line = 0, col = 0;
    if (an->u->sources) vt_sources_linecol(an->u->sources, span.file, span.start, &line, &col);
    return line;
}

const char *vt_an_text(vt_an *an, vt_span span) {
    vt_sources *s = an->u->sources;
    if (!s || span.file >= s->n || span.end > s->v[span.file].len || span.end < span.start) return "";
    const char *t = vt_arena_strndup(&an->arena, s->v[span.file].text + span.start, span.end - span.start);
    return t ? t : "";
}

const char *vt_an_arrow(vt_an *an, const vt_decl *t) {
    const char *from = t->u.transition.from_any ? "any" : t->u.transition.from.text;
    const char *r = vt_arena_printf(&an->arena, "%s -> %s", from ? from : "?",
                                    t->u.transition.to.text ? t->u.transition.to.text : "?");
    return r ? r : "transition";
}

void vt_analyze(vt_unit *u) {
    vt_an an;
    memset(&an, 0, sizeof an);
    an.u = u;
    vt_arena_init(&an.arena);
    an.sat = vt_sat_new(u);
    if (!an.sat) {
        u->diags->oom = 1;
        return;
    }
    if (vt_reach_run(&an) == 0) {
        vt_check_lifecycles(&an);
        vt_check_workflows(&an);
        vt_check_decls(&an);
    } else {
        an.oom = 1;
    }
    /* A lost allocation may have hidden a finding: say so rather than pass as clean. */
    if (an.oom || an.arena.failed || vt_sat_failed(an.sat)) u->diags->oom = 1;
    vt_sat_free(an.sat);
    vt_arena_free(&an.arena);
}
