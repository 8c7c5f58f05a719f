/* verity fmt: prints a parsed module in the canonical layout (docs/fmt.md).
 *
 * The rules, briefly:
 *  - 2-space indentation; one declaration, step, field or state per line.
 *  - One blank line between groups of declarations of different kinds, and around a
 *    contact, lifecycle, workflow, template or test; the user's blank lines between
 *    declarations, steps and comments are kept, runs of them collapse to one; never a
 *    blank line right after `{` or before `}`.
 *  - `{ }` blocks: one item per line, except a block holding a single simple step (no
 *    nested block) that was written on one line: it stays on one line. Same for event
 *    payloads and test records (`{ url: text }`): kept on one line when written so.
 *  - Spacing: `a -> b`, `x: T`, `a = b`, binary operators spaced, `f(a, b)`, `[a, b]`.
 *  - Literals as the user wrote them (numbers, money, durations, timestamps keep their
 *    text); strings re-escaped (only \" \\ \n); times of day HH:MM; month-days MM-DD.
 *  - Parentheses only where precedence needs them, plus always around a `not` operand
 *    that is not a single term: `not (funnel is sql)`.
 *  - Workflow items in a fixed order: owner, enroll, reenroll, exit, goal, steps.
 *  - Comments kept: an own-line comment stays before the item it preceded, at its
 *    indentation; a trailing comment stays at the end of its line, two spaces after
 *    the code or at the user's column if further right, aligned across consecutive
 *    commented lines at the same indentation.
 *  - Template parameters and `use` arguments: one line if written so, else one per line.
 * Output is idempotent, and parses to the same tree (ast_equal.h). */
#include "fmt.h"
#include "../common/mem.h"
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

/* ---- a growable output string --------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t n, cap;
    bool oom;
} sbuf;

static void sb_put(sbuf *b, const char *s, size_t len) {
    if (b->oom) return;
    if (b->n + len + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + len + 1) cap *= 2;
        char *p = vt_realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, len);
    b->n += len;
    b->p[b->n] = 0;
}

static void sb_puts(sbuf *b, const char *s) { sb_put(b, s, strlen(s)); }
static void sb_putc(sbuf *b, char c) { sb_put(b, &c, 1); }

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...) {
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= sizeof tmp) {
        b->oom = true;  /* only short numeric pieces go through here */
        return;
    }
    sb_put(b, tmp, (size_t)k);
}

/* ---- literals --------------------------------------------------------------- */

/* A string literal with only the escapes the lexer knows (\" \\ \n). */
static void put_escaped_text(sbuf *b, const char *s) {
    for (; s && *s; s++) {
        if (*s == '"') sb_puts(b, "\\\"");
        else if (*s == '\\') sb_puts(b, "\\\\");
        else if (*s == '\n') sb_puts(b, "\\n");
        else sb_putc(b, *s);
    }
}

static void put_string(sbuf *b, const char *s) {
    sb_putc(b, '"');
    put_escaped_text(b, s);
    sb_putc(b, '"');
}

static void put_string_expr(sbuf *b, const vt_expr *e) {
    sb_putc(b, '"');
    for (uint32_t i = 0; i < e->u.str.nparts; i++) {
        const vt_str_part *p = &e->u.str.parts[i];
        if (p->is_field) {
            sb_putc(b, '{');
            sb_puts(b, p->text);
            sb_putc(b, '}');
        } else {
            put_escaped_text(b, p->text);
        }
    }
    sb_putc(b, '"');
}

/* A duration in its canonical spelling, when the text is not known: 1w2d3h4m5s. */
static void put_duration_seconds(sbuf *b, int64_t s) {
    if (s < 0) {
        sb_putc(b, '-');
        s = -s;
    }
    static const struct { int64_t secs; char unit; } units[] = {
        {7 * 86400, 'w'}, {86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
    bool any = false;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (s >= units[i].secs) {
            sb_printf(b, "%" PRId64 "%c", s / units[i].secs, units[i].unit);
            s %= units[i].secs;
            any = true;
        }
    if (!any) sb_puts(b, "0s");
}

static void put_money(sbuf *b, const vt_expr *e) {
    const char *t = e->u.money.text;
    if (t && *t) {
        /* The text is the amount as written, blanks, then the currency. */
        size_t k = strcspn(t, " \t");
        sb_put(b, t, k);
        sb_putc(b, ' ');
        sb_puts(b, e->u.money.currency);
        return;
    }
    int64_t m = e->u.money.minor;
    if (m < 0) {
        sb_putc(b, '-');
        m = -m;
    }
    int64_t div = 1;
    for (int i = 0; i < e->u.money.scale; i++) div *= 10;
    sb_printf(b, "%" PRId64, m / div);
    if (e->u.money.scale > 0) sb_printf(b, ".%0*" PRId64, e->u.money.scale, m % div);
    sb_printf(b, " %s", e->u.money.currency);
}

/* ---- expressions ------------------------------------------------------------ */

/* Binding strength, loosest first; must agree with grammar/parser.y. */
enum { P_OR = 1, P_AND, P_NOT, P_CMP, P_ADD, P_MUL, P_NEG, P_PRIMARY };

static int binop_prec(vt_binop op) {
    switch (op) {
    case VT_OP_OR: return P_OR;
    case VT_OP_AND: return P_AND;
    case VT_OP_ADD:
    case VT_OP_SUB: return P_ADD;
    case VT_OP_MUL:
    case VT_OP_DIV: return P_MUL;
    default: return P_CMP;
    }
}

static bool is_negative_literal(const vt_expr *e) {
    switch (e->kind) {
    case VT_E_INT: return e->u.i < 0;
    case VT_E_NUMBER: return e->u.num.text ? e->u.num.text[0] == '-' : e->u.num.v < 0;
    case VT_E_MONEY: return e->u.money.text ? e->u.money.text[0] == '-' : e->u.money.minor < 0;
    case VT_E_DURATION: return e->u.dur.text ? e->u.dur.text[0] == '-' : e->u.dur.seconds < 0;
    default: return false;
    }
}

static int expr_prec(const vt_expr *e) {
    switch (e->kind) {
    case VT_E_BINARY: return binop_prec(e->u.bin.op);
    case VT_E_UNARY: return e->u.unary.op == VT_OP_NOT ? P_NOT : P_NEG;
    case VT_E_IS:
    case VT_E_IN:
    case VT_E_WITHIN:
    case VT_E_NO_FOR: return P_CMP;
    default: return is_negative_literal(e) ? P_NEG : P_PRIMARY;
    }
}

static void put_expr(sbuf *b, const vt_expr *e, int min_prec);

static void put_list(sbuf *b, vt_expr *const *items, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        if (i) sb_puts(b, ", ");
        put_expr(b, items[i], P_OR);
    }
}

static const char *agg_name(vt_agg_kind k) {
    static const char *names[] = {"count", "sum", "min", "max", "avg"};
    return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "count";
}

/* The inside of count(...) and friends: E[.f] [where C] [within D]. */
static void put_history_args(sbuf *b, const vt_expr *e, bool with_field) {
    sb_puts(b, e->u.hist.event.text);
    if (with_field && e->u.hist.field.text) {
        sb_putc(b, '.');
        sb_puts(b, e->u.hist.field.text);
    }
    if (e->u.hist.where) {
        sb_puts(b, " where ");
        put_expr(b, e->u.hist.where, P_OR);
    }
    if (e->u.hist.within) {
        sb_puts(b, " within ");
        put_expr(b, e->u.hist.within, P_PRIMARY);
    }
}

static void put_expr_inner(sbuf *b, const vt_expr *e) {
    switch (e->kind) {
    case VT_E_BOOL: sb_puts(b, e->u.b ? "true" : "false"); break;
    case VT_E_INT: sb_printf(b, "%" PRId64, e->u.i); break;
    case VT_E_NUMBER:
        if (e->u.num.text) sb_puts(b, e->u.num.text);
        else sb_printf(b, "%.17g", e->u.num.v);
        break;
    case VT_E_MONEY: put_money(b, e); break;
    case VT_E_STRING: put_string_expr(b, e); break;
    case VT_E_DURATION:
        if (e->u.dur.text) sb_puts(b, e->u.dur.text);
        else put_duration_seconds(b, e->u.dur.seconds);
        break;
    case VT_E_TIMESTAMP: sb_puts(b, e->u.ts.text ? e->u.ts.text : "1970-01-01T00:00:00Z"); break;
    case VT_E_TIME_OF_DAY: sb_printf(b, "%02d:%02d", e->u.tod.minutes / 60, e->u.tod.minutes % 60); break;
    case VT_E_MONTH_DAY: sb_printf(b, "%02d-%02d", e->u.md.month, e->u.md.day); break;
    case VT_E_NOW: sb_puts(b, "now"); break;
    case VT_E_NAME: sb_puts(b, e->u.name.name.text); break;
    case VT_E_LIST:
        sb_putc(b, '[');
        put_list(b, e->u.list.items, e->u.list.n);
        sb_putc(b, ']');
        break;
    case VT_E_UNARY:
        if (e->u.unary.op == VT_OP_NOT) {
            sb_puts(b, "not ");
            put_expr(b, e->u.unary.e, P_PRIMARY);
        } else {
            sb_putc(b, '-');
            put_expr(b, e->u.unary.e, P_PRIMARY);
        }
        break;
    case VT_E_BINARY: {
        int p = binop_prec(e->u.bin.op);
        bool assoc = p != P_CMP;
        put_expr(b, e->u.bin.l, assoc ? p : p + 1);
        sb_putc(b, ' ');
        sb_puts(b, vt_binop_text(e->u.bin.op));
        sb_putc(b, ' ');
        put_expr(b, e->u.bin.r, p + 1);
        break;
    }
    case VT_E_IS:
        put_expr(b, e->u.is.lifecycle, P_CMP + 1);
        sb_puts(b, " is ");
        sb_puts(b, e->u.is.state.text);
        break;
    case VT_E_IN:
        put_expr(b, e->u.in.e, P_CMP + 1);
        sb_puts(b, " in ");
        put_expr(b, e->u.in.list, P_PRIMARY);
        break;
    case VT_E_HAS_TAG:
        sb_puts(b, "has tag ");
        put_expr(b, e->u.has_tag.tag, P_PRIMARY);
        break;
    case VT_E_CALL:
        sb_puts(b, e->u.call.fn.text);
        sb_putc(b, '(');
        put_list(b, e->u.call.args, e->u.call.nargs);
        sb_putc(b, ')');
        break;
    case VT_E_AGGREGATE:
        sb_puts(b, agg_name(e->u.hist.agg));
        sb_putc(b, '(');
        put_history_args(b, e, true);
        sb_putc(b, ')');
        break;
    case VT_E_LAST_FIRST:
        sb_puts(b, e->u.hist.last ? "last(" : "first(");
        put_history_args(b, e, false);
        sb_putc(b, ')');
        if (e->u.hist.field.text) {
            sb_putc(b, '.');
            sb_puts(b, e->u.hist.field.text);
        }
        break;
    case VT_E_SINCE:
        sb_puts(b, "since(");
        put_history_args(b, e, false);
        sb_putc(b, ')');
        break;
    case VT_E_WITHIN:
        sb_puts(b, e->u.hist.event.text);
        sb_puts(b, " within ");
        put_expr(b, e->u.hist.within, P_PRIMARY);
        break;
    case VT_E_NO_FOR:
        sb_puts(b, "no ");
        sb_puts(b, e->u.hist.event.text);
        sb_puts(b, " for ");
        put_expr(b, e->u.hist.within, P_PRIMARY);
        break;
    }
}

static void put_expr(sbuf *b, const vt_expr *e, int min_prec) {
    if (!e) {
        b->oom = true;  /* a tree the parser should never build */
        return;
    }
    bool paren = expr_prec(e) < min_prec;
    if (paren) sb_putc(b, '(');
    put_expr_inner(b, e);
    if (paren) sb_putc(b, ')');
}

char *vt_fmt_expr_to_string(const vt_expr *e) {
    sbuf b = {0};
    put_expr(&b, e, P_OR);
    if (b.oom || !b.p) {
        vt_free(b.p);
        return NULL;
    }
    return b.p;
}

/* ---- layout: lines, indentation, comments ---------------------------------- */

/* A trailing comment, placed at the end of its output line when the text is final. */
typedef struct trailing {
    size_t line_start, code_end;    /* offsets in the output */
    uint32_t line;                  /* output line number */
    int indent;
    size_t src_col;                 /* where the user put it: kept when further right */
    const char *text;
    size_t len;
} trailing;

typedef struct fmt {
    sbuf out;
    const char *src;
    uint32_t srclen;
    const vt_comment *cm;
    uint32_t ncm, ci;               /* comments, and the next one to place */
    trailing *tr;
    size_t ntr, cap_tr;
    int indent;
    uint32_t last_end;              /* source offset: end of the last item written */
    uint32_t line;                  /* current output line number */
    size_t line_start;
    bool line_open;                 /* the current line has text and no newline yet */
    bool line_has_comment;
    bool after_open;                /* at the start of a block or of the file: no blank line */
    bool want_blank;                /* a blank line must precede the next line */
} fmt;

static void put(fmt *f, const char *s) { sb_puts(&f->out, s); }

static void end_line(fmt *f) {
    if (!f->line_open) return;
    sb_putc(&f->out, '\n');
    f->line++;
    f->line_start = f->out.n;
    f->line_open = false;
    f->line_has_comment = false;
}

static void put_indent(fmt *f) {
    for (int i = 0; i < f->indent; i++) put(f, "  ");
}

static void blank_line(fmt *f) {
    sb_putc(&f->out, '\n');
    f->line++;
    f->line_start = f->out.n;
}

/* Whether the source has an empty line between offsets a and b. */
static bool src_blank(const fmt *f, uint32_t a, uint32_t b) {
    if (b > f->srclen) b = f->srclen;
    bool seen_nl = false;
    for (uint32_t i = a; i < b; i++) {
        char c = f->src[i];
        if (c == '\n') {
            if (seen_nl) return true;
            seen_nl = true;
        } else if (c != ' ' && c != '\t' && c != '\r') {
            seen_nl = false;
        }
    }
    return false;
}

static bool src_one_line(const fmt *f, uint32_t a, uint32_t b) {
    if (b > f->srclen) b = f->srclen;
    for (uint32_t i = a; i < b; i++)
        if (f->src[i] == '\n') return false;
    return true;
}

/* Whether a comment starts in source bytes [a, b). Comments are in source order. */
static bool comment_in(const fmt *f, uint32_t a, uint32_t b) {
    uint32_t lo = 0, hi = f->ncm;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (f->cm[mid].span.start < a) lo = mid + 1;
        else hi = mid;
    }
    return lo < f->ncm && f->cm[lo].span.start < b;
}

static size_t display_width(const char *s, size_t n) {
    size_t w = 0;
    for (size_t i = 0; i < n; i++) w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

/* The comment text without trailing blanks (a CR of a CRLF file included). */
static size_t comment_len(const vt_comment *c) {
    size_t n = strlen(c->text);
    while (n > 0 && (c->text[n - 1] == ' ' || c->text[n - 1] == '\t' || c->text[n - 1] == '\r')) n--;
    return n;
}

/* Trailing comments that come before source offset `off` go at the end of the
 * current line (one per line: a second one becomes an own-line comment). */
static void flush_trailing(fmt *f, uint32_t off) {
    while (f->ci < f->ncm && f->cm[f->ci].span.start < off && !f->cm[f->ci].own_line && f->line_open &&
           !f->line_has_comment) {
        const vt_comment *c = &f->cm[f->ci++];
        if (VT_GROW(f->tr, f->cap_tr, f->ntr + 1) < 0) {
            f->out.oom = true;
            return;
        }
        uint32_t ls = c->span.start;
        while (ls > 0 && f->src[ls - 1] != '\n') ls--;
        size_t col = display_width(f->src + ls, c->span.start - ls);
        f->tr[f->ntr++] = (trailing){f->line_start, f->out.n, f->line, f->indent, col, c->text, comment_len(c)};
        f->line_has_comment = true;
        if (c->span.end > f->last_end) f->last_end = c->span.end;
    }
}

/* Own-line comments before source offset `off`, each on its line at the current
 * indentation; `blank` asks for a blank line before the first thing written. */
static bool flush_own_line(fmt *f, uint32_t off, bool blank) {
    while (f->ci < f->ncm && f->cm[f->ci].span.start < off) {
        const vt_comment *c = &f->cm[f->ci++];
        if (!f->after_open && (blank || src_blank(f, f->last_end, c->span.start))) blank_line(f);
        blank = false;
        put_indent(f);
        sb_put(&f->out, c->text, comment_len(c));
        f->line_open = true;
        end_line(f);
        f->after_open = false;
        if (c->span.end > f->last_end) f->last_end = c->span.end;
    }
    return blank;
}

/* Starts the line of an item whose source starts at `start`; `end` is where it ends
 * for a one-line item (start for an item whose inner lines follow). */
static void begin_line(fmt *f, uint32_t start, uint32_t end) {
    flush_trailing(f, start);
    end_line(f);
    bool blank = flush_own_line(f, start, f->want_blank);
    f->want_blank = false;
    if (!f->after_open && (blank || src_blank(f, f->last_end, start))) blank_line(f);
    put_indent(f);
    f->line_open = true;
    f->after_open = false;
    if (start > f->last_end) f->last_end = start;
    if (end > f->last_end) f->last_end = end;
}

static void open_block(fmt *f) {
    put(f, " {");
    f->indent++;
    f->after_open = true;
}

/* Closes a block whose `}` (or a list whose `)`) is at source offset `at`: comments
 * before it stay inside, at the inner indentation. */
static void close_with(fmt *f, uint32_t at, const char *closer) {
    flush_trailing(f, at);
    end_line(f);
    flush_own_line(f, at, false);
    f->indent--;
    put_indent(f);
    put(f, closer);
    f->line_open = true;
    f->after_open = false;
    if (at + 1 > f->last_end) f->last_end = at + 1;
}

static void close_block(fmt *f, uint32_t rbrace) { close_with(f, rbrace, "}"); }

/* The offset of the first `)` at or after source offset a (the end of a list). */
static uint32_t next_rparen(const fmt *f, uint32_t a) {
    for (uint32_t i = a; i < f->srclen; i++)
        if (f->src[i] == ')') return i;
    return a;
}

/* The offset of the last `}` in source bytes [a, b): the closing brace of a
 * declaration whose span ends after it (`event x { .. } weak`). */
static uint32_t last_rbrace(const fmt *f, uint32_t a, uint32_t b) {
    if (b > f->srclen) b = f->srclen;
    for (uint32_t i = b; i > a; i--)
        if (f->src[i - 1] == '}') return i - 1;
    return b > 0 ? b - 1 : 0;
}

/* The offset of the keyword `word` in source bytes [a, b), outside comments and
 * strings; b when absent. For items the tree keeps no span of (`reenroll always`). */
static uint32_t find_word(const fmt *f, uint32_t a, uint32_t b, const char *word) {
    size_t wl = strlen(word);
    if (b > f->srclen) b = f->srclen;
    for (uint32_t i = a; i < b; i++) {
        char c = f->src[i];
        if (c == '#') {
            while (i < b && f->src[i] != '\n') i++;
        } else if (c == '"') {
            for (i++; i < b && f->src[i] != '"' && f->src[i] != '\n'; i++)
                if (f->src[i] == '\\') i++;
        } else if (i + wl <= b && memcmp(f->src + i, word, wl) == 0 &&
                   (i == 0 || !(isalnum((unsigned char)f->src[i - 1]) || f->src[i - 1] == '_')) &&
                   (i + wl == b || !(isalnum((unsigned char)f->src[i + wl]) || f->src[i + wl] == '_'))) {
            return i;
        }
    }
    return b;
}

static uint32_t block_rbrace(const fmt *f, const vt_block *b) {
    return b->span.end > b->span.start ? b->span.end - 1 : f->last_end;
}

/* ---- statements -------------------------------------------------------------- */

static void stmt_text(fmt *f, const vt_stmt *s);
static void stmt(fmt *f, const vt_stmt *s);

static void expr(fmt *f, const vt_expr *e) { put_expr(&f->out, e, P_OR); }

/* A step with no block of its own can share a line with its block's braces. */
static bool simple_stmt(const vt_stmt *s) {
    switch (s->kind) {
    case VT_S_IF:
    case VT_S_REPEAT:
    case VT_S_SPLIT:
    case VT_S_T_CONTACT:
    case VT_S_T_EVENT: return false;
    case VT_S_WAIT_UNTIL: return !s->u.wait_until.has_else;
    default: return true;
    }
}

static bool block_inline(const fmt *f, const vt_block *b) {
    if (b->n == 0) return !comment_in(f, b->span.start, b->span.end);
    return b->n == 1 && simple_stmt(b->items[0]) && src_one_line(f, b->span.start, b->span.end);
}

static void block(fmt *f, const vt_block *b, bool inl) {
    if (inl) {
        if (b->n == 0) {
            put(f, " { }");
        } else {
            put(f, " { ");
            stmt_text(f, b->items[0]);
            put(f, " }");
        }
        if (b->span.end > f->last_end) f->last_end = b->span.end;
        return;
    }
    open_block(f);
    for (uint32_t i = 0; i < b->n; i++) stmt(f, b->items[i]);
    close_block(f, block_rbrace(f, b));
}

static void name(fmt *f, vt_name n) { put(f, n.text ? n.text : ""); }

/* `{ a: 1, b: 2 }` on one line when written so, else one per line. */
static void field_inits(fmt *f, vt_field_init *const *v, uint32_t n, const char *sep, bool inl, uint32_t rbrace) {
    if (inl) {
        put(f, " {");
        for (uint32_t i = 0; i < n; i++) {
            put(f, i ? ", " : " ");
            name(f, v[i]->name);
            put(f, sep);
            expr(f, v[i]->value);
        }
        put(f, " }");
        return;
    }
    open_block(f);
    for (uint32_t i = 0; i < n; i++) {
        begin_line(f, v[i]->span.start, v[i]->span.end);
        name(f, v[i]->name);
        put(f, sep);
        expr(f, v[i]->value);
    }
    close_block(f, rbrace);
}

static bool inits_inline(const fmt *f, const vt_stmt *s) {
    return src_one_line(f, s->span.start, s->span.end) && !comment_in(f, s->span.start, s->span.end);
}

static void target(fmt *f, const vt_target *t) {
    if (t->is_owner) put(f, "owner");
    else name(f, t->team);
}

static const char *action_word(vt_stmt_kind k) {
    return k == VT_S_TASK ? "task" : k == VT_S_NOTIFY ? "notify" : "escalate";
}

static void expect_text(fmt *f, const vt_stmt *s) {
    put(f, "expect");
    if (s->u.t_expect.negated) put(f, " no");
    if (s->u.t_expect.contact.text) {
        put(f, " ");
        name(f, s->u.t_expect.contact);
    }
    switch (s->u.t_expect.what) {
    case VT_X_COND:
        put(f, " ");
        expr(f, s->u.t_expect.cond);
        return;
    case VT_X_SENT:
        put(f, " sent ");
        name(f, s->u.t_expect.channel);
        if (s->u.t_expect.template_) {
            put(f, " ");
            expr(f, s->u.t_expect.template_);
        }
        break;
    case VT_X_ACTION:
        put(f, " ");
        put(f, action_word(s->u.t_expect.action));
        break;
    }
    if (s->u.t_expect.has_count) sb_printf(&f->out, " count %" PRId64, s->u.t_expect.count);
}

static void if_text(fmt *f, const vt_stmt *s) {
    bool inl = true;
    for (uint32_t i = 0; i < s->u.if_.narms; i++)
        if (!block_inline(f, &s->u.if_.arms[i].body)) inl = false;
    for (uint32_t i = 0; i < s->u.if_.narms; i++) {
        const vt_if_arm *a = &s->u.if_.arms[i];
        if (i) put(f, " else");
        if (a->cond) {
            put(f, i ? " if " : "if ");
            expr(f, a->cond);
        }
        block(f, &a->body, inl);
    }
}

/* The text of a statement, from its first word; inner blocks add their own lines. */
static void stmt_text(fmt *f, const vt_stmt *s) {
    switch (s->kind) {
    case VT_S_SET:
        put(f, "set ");
        name(f, s->u.set.field);
        put(f, " = ");
        expr(f, s->u.set.value);
        break;
    case VT_S_ADD:
        name(f, s->u.set.field);
        put(f, s->u.set.minus ? " -= " : " += ");
        expr(f, s->u.set.value);
        break;
    case VT_S_TAG:
    case VT_S_UNTAG:
        put(f, s->kind == VT_S_TAG ? "tag " : "untag ");
        put_expr(&f->out, s->u.tag.tag, P_PRIMARY);
        break;
    case VT_S_IF: if_text(f, s); break;
    case VT_S_SEND:
        put(f, "send ");
        name(f, s->u.send.channel);
        put(f, " ");
        put_expr(&f->out, s->u.send.template_, P_PRIMARY);
        break;
    case VT_S_TASK:
    case VT_S_NOTIFY:
        put(f, s->kind == VT_S_TASK ? "task " : "notify ");
        target(f, &s->u.task.to);
        put(f, " ");
        put_expr(&f->out, s->u.task.text, P_PRIMARY);
        if (s->u.task.due) {
            put(f, " due ");
            put_expr(&f->out, s->u.task.due, P_PRIMARY);
        }
        break;
    case VT_S_ESCALATE:
        put(f, "escalate");
        if (s->u.escalate.text) {
            put(f, " ");
            put_expr(&f->out, s->u.escalate.text, P_PRIMARY);
        }
        break;
    case VT_S_ASSIGN:
        put(f, "assign ");
        name(f, s->u.assign.team);
        break;
    case VT_S_MOVE:
        put(f, "move to ");
        name(f, s->u.move.state);
        break;
    case VT_S_WAIT:
        put(f, "wait ");
        put_expr(&f->out, s->u.wait.dur, P_PRIMARY);
        break;
    case VT_S_WAIT_UNTIL:
        put(f, "wait until ");
        expr(f, s->u.wait_until.cond);
        put(f, " for ");
        put_expr(&f->out, s->u.wait_until.dur, P_PRIMARY);
        if (s->u.wait_until.has_else) {
            put(f, " else");
            block(f, &s->u.wait_until.else_, block_inline(f, &s->u.wait_until.else_));
        }
        break;
    case VT_S_REPEAT:
        sb_printf(&f->out, "repeat %" PRId64, s->u.repeat.count);
        block(f, &s->u.repeat.body, block_inline(f, &s->u.repeat.body));
        break;
    case VT_S_SPLIT:
        put(f, "split");
        open_block(f);
        for (uint32_t i = 0; i < s->u.split.narms; i++) {
            const vt_split_arm *a = &s->u.split.arms[i];
            begin_line(f, a->span.start, a->span.start);
            sb_printf(&f->out, "%d%% ", a->percent);
            put_string(&f->out, a->label);
            block(f, &a->body, block_inline(f, &a->body));
        }
        close_block(f, last_rbrace(f, s->span.start, s->span.end));
        break;
    case VT_S_STOP: put(f, "stop"); break;
    case VT_S_T_CONTACT:
        put(f, "contact ");
        name(f, s->u.t_contact.contact);
        field_inits(f, s->u.t_contact.fields, s->u.t_contact.nfields, ": ", inits_inline(f, s),
                    last_rbrace(f, s->span.start, s->span.end));
        break;
    case VT_S_T_EVENT:
        put(f, "at ");
        if (s->u.t_event.relative) put(f, "+");
        put_expr(&f->out, s->u.t_event.at, P_PRIMARY);
        put(f, " ");
        name(f, s->u.t_event.contact);
        put(f, " ");
        name(f, s->u.t_event.event);
        if (s->u.t_event.nfields)
            field_inits(f, s->u.t_event.fields, s->u.t_event.nfields, ": ", inits_inline(f, s),
                        last_rbrace(f, s->span.start, s->span.end));
        break;
    case VT_S_T_ADVANCE:
        put(f, "advance ");
        put_expr(&f->out, s->u.t_advance.dur, P_PRIMARY);
        break;
    case VT_S_T_EXPECT: expect_text(f, s); break;
    }
}

static void stmt(fmt *f, const vt_stmt *s) {
    bool leaf = simple_stmt(s) && !(s->kind == VT_S_WAIT_UNTIL && s->u.wait_until.has_else);
    begin_line(f, s->span.start, leaf ? s->span.end : s->span.start);
    stmt_text(f, s);
}

/* ---- declarations ------------------------------------------------------------ */

static void typeref(fmt *f, const vt_typeref *t) {
    put(f, vt_type_kind_name(t->kind));
    if (t->has_range) {
        /* The grammar takes a literal, negative or not, on each side of `..`. */
        put(f, " ");
        put_expr(&f->out, t->lo, P_NEG);
        put(f, "..");
        put_expr(&f->out, t->hi, P_NEG);
    }
}

static void field_text(fmt *f, const vt_field_decl *fd) {
    name(f, fd->name);
    put(f, ": ");
    typeref(f, &fd->type);
    if (fd->key) put(f, " key");
    if (fd->def) {
        put(f, " = ");
        expr(f, fd->def);
    }
}

static bool event_fields_inline(const fmt *f, const vt_decl *d) {
    return src_one_line(f, d->span.start, d->span.end) && !comment_in(f, d->span.start, d->span.end);
}

static void trigger(fmt *f, const vt_trigger *t) {
    static const char *days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    switch (t->kind) {
    case VT_TR_ON_EVENT:
        put(f, "on ");
        name(f, t->event);
        if (t->cond) {
            put(f, " where ");
            expr(f, t->cond);
        }
        return;
    case VT_TR_WHEN:
        put(f, "when ");
        expr(f, t->cond);
        return;
    case VT_TR_AFTER:
        put(f, "after ");
        put_expr(&f->out, t->dur, P_PRIMARY);
        put(f, " in state");
        return;
    case VT_TR_ENTER:
        put(f, "on enter ");
        name(f, t->state);
        if (t->cond) {
            put(f, " when ");
            expr(f, t->cond);
        }
        return;
    case VT_TR_CALENDAR:
        if (t->cal == VT_CAL_YEARLY) sb_printf(&f->out, "every year on %02d-%02d", t->month, t->day);
        else if (t->cal == VT_CAL_WEEKLY)
            sb_printf(&f->out, "every week on %s", t->weekday >= 0 && t->weekday < 7 ? days[t->weekday] : "Mon");
        else put(f, "every day");
        if (t->minutes >= 0) sb_printf(&f->out, " at %02d:%02d", t->minutes / 60, t->minutes % 60);
        return;
    }
}

static void channel_text(fmt *f, const vt_decl *d) {
    static const char *days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    put(f, "channel ");
    name(f, d->name);
    if (d->u.channel.requires.text) {
        put(f, " requires ");
        name(f, d->u.channel.requires);
    }
    if (d->u.channel.has_cap) {
        sb_printf(&f->out, " cap %" PRId64 " per ", d->u.channel.cap_count);
        put_expr(&f->out, d->u.channel.cap_per, P_PRIMARY);
    }
    if (d->u.channel.has_quiet)
        sb_printf(&f->out, " quiet %02d:%02d-%02d:%02d", d->u.channel.quiet_from / 60, d->u.channel.quiet_from % 60,
                  d->u.channel.quiet_to / 60, d->u.channel.quiet_to % 60);
    for (uint32_t i = 0; i < d->u.channel.nwindows; i++) {
        const vt_window *w = &d->u.channel.windows[i];
        put(f, i ? ", " : " window ");
        if (w->day_from >= 0 && w->day_from < 7 && w->day_to >= 0 && w->day_to < 7) {
            put(f, days[w->day_from]);
            if (w->day_to != w->day_from) {
                put(f, "-");
                put(f, days[w->day_to]);
            }
            put(f, " ");
        }
        sb_printf(&f->out, "%02d:%02d-%02d:%02d", w->open / 60, w->open % 60, w->close / 60, w->close % 60);
    }
}

static void decls(fmt *f, vt_decl *const *v, uint32_t n);

/* Whether the printed expression ends with a bare name (which a following `within`
 * would take as `NAME within D`). */
static bool ends_in_name(const vt_expr *e) {
    switch (e->kind) {
    case VT_E_NAME: return true;
    case VT_E_BINARY: return ends_in_name(e->u.bin.r);
    case VT_E_UNARY: return e->u.unary.e->kind == VT_E_NAME;
    default: return false;
    }
}

static void workflow(fmt *f, const vt_decl *d) {
    put(f, "workflow ");
    name(f, d->name);
    open_block(f);
    if (d->u.workflow.owner.text) {
        begin_line(f, d->u.workflow.owner.span.start, d->u.workflow.owner.span.end);
        put(f, "owner ");
        name(f, d->u.workflow.owner);
    }
    for (uint32_t i = 0; i < d->u.workflow.nenroll; i++) {
        const vt_trigger *t = d->u.workflow.enroll[i];
        begin_line(f, t->span.start, t->span.end);
        put(f, "enroll ");
        trigger(f, t);
    }
    if (d->u.workflow.reenroll != VT_REENROLL_NEVER) {
        const vt_expr *a = d->u.workflow.reenroll_after;
        uint32_t at = find_word(f, d->span.start, d->span.end, "reenroll");
        if (at == d->span.end) at = 0;
        begin_line(f, at, a ? a->span.end : at + 8);
        if (d->u.workflow.reenroll == VT_REENROLL_ALWAYS) {
            put(f, "reenroll always");
        } else {
            put(f, "reenroll after ");
            put_expr(&f->out, a, P_PRIMARY);
        }
    }
    for (uint32_t i = 0; i < d->u.workflow.nexits; i++) {
        const vt_trigger *t = d->u.workflow.exits[i];
        begin_line(f, t->span.start, t->span.end);
        put(f, "exit ");
        trigger(f, t);
    }
    if (d->u.workflow.goal) {
        begin_line(f, d->u.workflow.goal_span.start, d->u.workflow.goal_span.end);
        put(f, "goal ");
        /* `goal purchase within 10d` reads as the condition `purchase within 10d`: a
         * goal that has its own window and ends in a name needs parentheses. */
        const vt_expr *g = d->u.workflow.goal;
        put_expr(&f->out, g, d->u.workflow.goal_within && ends_in_name(g) ? P_PRIMARY + 1 : P_OR);
        if (d->u.workflow.goal_within) {
            put(f, " within ");
            put_expr(&f->out, d->u.workflow.goal_within, P_PRIMARY);
        }
    }
    const vt_block *st = &d->u.workflow.steps;
    if (st->span.end > st->span.start) {    /* a workflow without `steps` stays so (E052) */
        begin_line(f, st->span.start, st->span.start);
        put(f, "steps");
        block(f, st, block_inline(f, st));
    }
    close_block(f, last_rbrace(f, d->span.start, d->span.end));
}

/* A parenthesised, comma-separated list (template parameters, `use` arguments): on
 * one line if written so, else one item per line. Returns whether it was spread out. */
static bool list_open(fmt *f, const vt_decl *d, uint32_t n, vt_span last) {
    put(f, "(");
    if (n == 0 || src_one_line(f, d->span.start, last.end)) return false;
    f->indent++;
    f->after_open = true;
    return true;
}

static void list_item(fmt *f, bool spread, uint32_t i, vt_span sp) {
    if (spread) {
        if (i) put(f, ",");
        begin_line(f, sp.start, sp.end);
    } else if (i) {
        put(f, ", ");
    }
}

static void list_close(fmt *f, bool spread, vt_span last) {
    if (spread) close_with(f, next_rparen(f, last.end), ")");
    else put(f, ")");
}

static void template_decl(fmt *f, const vt_decl *d) {
    put(f, "template ");
    name(f, d->name);
    uint32_t n = d->u.template_.nparams;
    vt_span last = n ? d->u.template_.params[n - 1]->span : d->span;
    bool spread = list_open(f, d, n, last);
    for (uint32_t i = 0; i < n; i++) {
        const vt_param *p = d->u.template_.params[i];
        list_item(f, spread, i, p->span);
        name(f, p->name);
        put(f, ": ");
        typeref(f, &p->type);
        if (p->def) {
            put(f, " = ");
            expr(f, p->def);
        }
    }
    list_close(f, spread, last);
    open_block(f);
    decls(f, d->u.template_.decls, d->u.template_.ndecls);
    close_block(f, last_rbrace(f, d->span.start, d->span.end));
}

static void use_decl(fmt *f, const vt_decl *d) {
    put(f, "use ");
    name(f, d->u.use.template_name);
    uint32_t n = d->u.use.nargs;
    vt_span last = n ? d->u.use.args[n - 1]->span : d->span;
    bool spread = list_open(f, d, n, last);
    for (uint32_t i = 0; i < n; i++) {
        list_item(f, spread, i, d->u.use.args[i]->span);
        name(f, d->u.use.args[i]->name);
        put(f, " = ");
        expr(f, d->u.use.args[i]->value);
    }
    list_close(f, spread, last);
    if (d->u.use.as.text) {
        put(f, " as ");
        name(f, d->u.use.as);
    }
}

static void decl_text(fmt *f, const vt_decl *d) {
    switch (d->kind) {
    case VT_D_FLOW:
        put(f, "flow ");
        put_string(&f->out, d->u.flow.name);
        sb_printf(&f->out, " version %" PRId64, d->u.flow.version);
        break;
    case VT_D_TIMEZONE:
        put(f, "timezone ");
        put_string(&f->out, d->u.timezone.zone);
        break;
    case VT_D_IMPORT:
        put(f, "import ");
        put_string(&f->out, d->u.import.path);
        break;
    case VT_D_TEAM:
        put(f, "team ");
        name(f, d->name);
        if (d->u.team.escalates_to.text) {
            put(f, " escalates to ");
            name(f, d->u.team.escalates_to);
        }
        break;
    case VT_D_CONTACT:
        put(f, "contact");
        open_block(f);
        for (uint32_t i = 0; i < d->u.contact.n; i++) {
            const vt_field_decl *fd = d->u.contact.fields[i];
            begin_line(f, fd->span.start, fd->span.end);
            field_text(f, fd);
        }
        close_block(f, last_rbrace(f, d->span.start, d->span.end));
        break;
    case VT_D_EVENT:
        put(f, "event ");
        name(f, d->name);
        if (d->u.event.n > 0 && event_fields_inline(f, d)) {
            put(f, " {");
            for (uint32_t i = 0; i < d->u.event.n; i++) {
                put(f, i ? ", " : " ");
                field_text(f, d->u.event.fields[i]);
            }
            put(f, " }");
        } else if (d->u.event.n > 0) {
            open_block(f);
            for (uint32_t i = 0; i < d->u.event.n; i++) {
                const vt_field_decl *fd = d->u.event.fields[i];
                begin_line(f, fd->span.start, fd->span.end);
                field_text(f, fd);
            }
            close_block(f, last_rbrace(f, d->span.start, d->span.end));
        }
        if (d->u.event.weak) put(f, " weak");
        break;
    case VT_D_CHANNEL: channel_text(f, d); break;
    case VT_D_ON:
        put(f, "on ");
        name(f, d->u.on.event);
        if (d->u.on.where) {
            put(f, " where ");
            expr(f, d->u.on.where);
        }
        block(f, &d->u.on.body, block_inline(f, &d->u.on.body));
        break;
    case VT_D_TRUTH:
    case VT_D_SEGMENT:
        put(f, d->kind == VT_D_TRUTH ? "truth " : "segment ");
        name(f, d->name);
        put(f, " = ");
        expr(f, d->u.truth.cond);
        break;
    case VT_D_LIFECYCLE:
        put(f, "lifecycle ");
        name(f, d->name);
        open_block(f);
        for (uint32_t i = 0; i < d->u.lifecycle.n; i++) {
            const vt_state_decl *s = d->u.lifecycle.states[i];
            begin_line(f, s->span.start, s->span.end);
            if (s->initial) put(f, "initial ");
            if (s->final) put(f, "final ");
            put(f, "state ");
            name(f, s->name);
            if (s->label) {
                put(f, " ");
                put_string(&f->out, s->label);
            }
            if (s->owner.text) {
                put(f, " owner ");
                name(f, s->owner);
            }
        }
        close_block(f, last_rbrace(f, d->span.start, d->span.end));
        break;
    case VT_D_TRANSITION:
        put(f, "transition ");
        if (d->u.transition.from_any) put(f, "any");
        else name(f, d->u.transition.from);
        put(f, " -> ");
        name(f, d->u.transition.to);
        put(f, " ");
        trigger(f, &d->u.transition.trigger);
        break;
    case VT_D_WORKFLOW: workflow(f, d); break;
    case VT_D_EXTERN:
        put(f, "extern fn ");
        name(f, d->name);
        put(f, "(");
        for (uint32_t i = 0; i < d->u.ext.nparams; i++) {
            if (i) put(f, ", ");
            typeref(f, &d->u.ext.params[i]);
        }
        put(f, ") -> ");
        typeref(f, &d->u.ext.ret);
        put(f, " from ");
        put_string(&f->out, d->u.ext.lib);
        break;
    case VT_D_TEMPLATE: template_decl(f, d); break;
    case VT_D_USE: use_decl(f, d); break;
    case VT_D_TEST:
        put(f, "test ");
        put_string(&f->out, d->u.test.name);
        block(f, &d->u.test.body,
              d->u.test.body.n == 0 && !comment_in(f, d->u.test.body.span.start, d->u.test.body.span.end));
        break;
    case VT_D_MIGRATE:
        put(f, "migrate state ");
        name(f, d->u.migrate.from);
        put(f, " -> ");
        name(f, d->u.migrate.to);
        break;
    }
}

/* Declarations of one group sit together; different groups are a blank line apart. */
static int decl_group(vt_decl_kind k) {
    switch (k) {
    case VT_D_FLOW:
    case VT_D_TIMEZONE: return 0;
    default: return 1 + (int)k;
    }
}

static bool decl_multiline(const fmt *f, const vt_decl *d) {
    switch (d->kind) {
    case VT_D_CONTACT:
    case VT_D_LIFECYCLE:
    case VT_D_WORKFLOW:
    case VT_D_TEMPLATE:
    case VT_D_TEST: return true;
    case VT_D_USE: return d->u.use.nargs > 0 && !src_one_line(f, d->span.start, d->span.end);
    case VT_D_ON: return !block_inline(f, &d->u.on.body);
    case VT_D_EVENT: return d->u.event.n > 0 && !event_fields_inline(f, d);
    default: return false;
    }
}

static bool decl_leaf(const fmt *f, const vt_decl *d) { return !decl_multiline(f, d); }

/* Declarations that are sections of their own: always a blank line around them. */
static bool decl_section(vt_decl_kind k) {
    return k == VT_D_CONTACT || k == VT_D_LIFECYCLE || k == VT_D_WORKFLOW || k == VT_D_TEMPLATE || k == VT_D_TEST;
}

static void decls(fmt *f, vt_decl *const *v, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        const vt_decl *d = v[i];
        if (i > 0 && (decl_group(d->kind) != decl_group(v[i - 1]->kind) || decl_section(d->kind) ||
                      decl_section(v[i - 1]->kind)))
            f->want_blank = true;
        begin_line(f, d->span.start, decl_leaf(f, d) ? d->span.end : d->span.start);
        decl_text(f, d);
        if (d->span.end > f->last_end) f->last_end = d->span.end;
    }
}

/* ---- the final text ------------------------------------------------------------- */

/* Inserts the trailing comments into the text: at least two spaces after the code, at
 * the column the user chose when that is further right, and aligned within runs of
 * consecutive lines at the same indentation. Returns a new string (vt_malloc'd) or NULL. */
static char *place_trailing(fmt *f, size_t *len) {
    sbuf o = {0};
    size_t pos = 0;
    for (size_t i = 0; i < f->ntr;) {
        size_t j = i + 1, width = 0;
        while (j < f->ntr && f->tr[j].line == f->tr[j - 1].line + 1 && f->tr[j].indent == f->tr[i].indent) j++;
        for (size_t k = i; k < j; k++) {
            size_t w = display_width(f->out.p + f->tr[k].line_start, f->tr[k].code_end - f->tr[k].line_start) + 2;
            if (w > width) width = w;
            if (f->tr[k].src_col > width) width = f->tr[k].src_col;
        }
        for (size_t k = i; k < j; k++) {
            const trailing *t = &f->tr[k];
            sb_put(&o, f->out.p + pos, t->code_end - pos);
            size_t w = display_width(f->out.p + t->line_start, t->code_end - t->line_start);
            for (size_t s = w; s < width; s++) sb_putc(&o, ' ');
            sb_put(&o, t->text, t->len);
            pos = t->code_end;
        }
        i = j;
    }
    sb_put(&o, f->out.p ? f->out.p + pos : "", f->out.n - pos);
    if (!o.p) sb_put(&o, "", 0);
    if (o.oom) {
        vt_free(o.p);
        return NULL;
    }
    *len = o.n;
    return o.p;
}

char *vt_fmt_to_string(vt_unit *u, const vt_module *m, size_t *len) {
    fmt f = {0};
    if (!u || !u->sources || m->file >= u->sources->n) return NULL;
    const vt_source *src = &u->sources->v[m->file];
    f.src = src->text;
    f.srclen = src->len;
    f.cm = m->comments;
    f.ncm = m->ncomments;
    f.after_open = true;
    decls(&f, m->decls, m->ndecls);
    flush_trailing(&f, UINT32_MAX);
    end_line(&f);
    flush_own_line(&f, UINT32_MAX, false);
    char *text = NULL;
    size_t n = 0;
    if (!f.out.oom) text = place_trailing(&f, &n);
    vt_free(f.out.p);
    vt_free(f.tr);
    if (text && len) *len = n;
    return text;
}

int vt_fmt_module(vt_unit *u, const vt_module *m, FILE *out) {
    size_t n = 0;
    char *text = vt_fmt_to_string(u, m, &n);
    if (!text) return -1;
    size_t w = fwrite(text, 1, n, out);
    vt_free(text);
    return w == n ? 0 : -1;
}
