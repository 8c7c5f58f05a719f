/* Rendering findings: text for people, json/sarif/github/junit for machines. */
#include "diag.h"
#include "jsonw.h"
#include <string.h>

static const char *sev_name(vt_severity s) {
    return s == VT_SEV_ERROR ? "error" : s == VT_SEV_WARNING ? "warning" : "note";
}

static const char *path_of(vt_diags *d, uint32_t file) {
    return d->sources && file < d->sources->n ? d->sources->v[file].path : "<input>";
}

/* The source line holding `off`, without its newline. */
static const char *line_text(vt_diags *d, uint32_t file, uint32_t line, size_t *len) {
    *len = 0;
    if (!d->sources || file >= d->sources->n) return "";
    vt_source *src = &d->sources->v[file];
    if (!src->line_starts || line == 0 || line > src->nlines) return "";
    uint32_t a = src->line_starts[line - 1];
    uint32_t b = a;
    while (b < src->len && src->text[b] != '\n') b++;
    if (b > a && src->text[b - 1] == '\r') b--;
    *len = b - a;
    return src->text + a;
}

/* Prints the line of a span with a caret under its start and ~ under the rest
 * (on the first line only when the span crosses lines). */
static void print_excerpt(vt_diags *d, FILE *out, vt_span sp, const char *colour, int color) {
    uint32_t line, col;
    vt_sources_linecol(d->sources, sp.file, sp.start, &line, &col);
    size_t len;
    const char *t = line_text(d, sp.file, line, &len);
    fprintf(out, "%5u | ", line);
    for (size_t i = 0; i < len; i++) putc(t[i] == '\t' ? ' ' : t[i], out);
    fputs("\n      | ", out);
    /* Columns count code points; pad with spaces (tabs were printed as spaces). */
    for (uint32_t i = 1; i < col; i++) putc(' ', out);
    uint32_t endline, endcol;
    vt_sources_linecol(d->sources, sp.file, sp.end > sp.start ? sp.end : sp.start + 1, &endline, &endcol);
    uint32_t width = 1;
    if (endline == line && endcol > col) width = endcol - col;
    else if (endline != line) {
        uint32_t cps = 0;
        for (size_t i = 0; i < len; i++) cps += ((unsigned char)t[i] & 0xC0) != 0x80;
        width = cps + 1 > col ? cps + 1 - col : 1;
    }
    if (color) fputs(colour, out);
    putc('^', out);
    for (uint32_t i = 1; i < width; i++) putc('~', out);
    if (color) fputs("\033[0m", out);
    putc('\n', out);
}

static void render_text(vt_diags *d, FILE *out, int color) {
    for (size_t i = 0; i < d->n; i++) {
        vt_diag *g = &d->v[i];
        if (g->suppressed) continue;
        uint32_t line, col;
        vt_sources_linecol(d->sources, g->span.file, g->span.start, &line, &col);
        const char *colour = g->sev == VT_SEV_ERROR ? "\033[1;31m" : "\033[1;33m";
        if (color)
            fprintf(out, "\033[1m%s:%u:%u:\033[0m %s%s[%s]\033[0m\033[1m: %s\033[0m\n", path_of(d, g->span.file),
                    line, col, colour, sev_name(g->sev), vt_code_name(g->code), g->message);
        else
            fprintf(out, "%s:%u:%u: %s[%s]: %s\n", path_of(d, g->span.file), line, col, sev_name(g->sev),
                    vt_code_name(g->code), g->message);
        print_excerpt(d, out, g->span, colour, color);
        for (size_t k = 0; k < g->nnotes; k++) {
            vt_sources_linecol(d->sources, g->notes[k].span.file, g->notes[k].span.start, &line, &col);
            fprintf(out, "  note: %s:%u:%u: %s\n", path_of(d, g->notes[k].span.file), line, col, g->notes[k].text);
        }
        if (g->hint) fprintf(out, "  hint: %s\n", g->hint);
        putc('\n', out);
    }
}

static void json_pos(vt_diags *d, FILE *out, vt_span sp) {
    uint32_t line, col, eline, ecol;
    vt_sources_linecol(d->sources, sp.file, sp.start, &line, &col);
    vt_sources_linecol(d->sources, sp.file, sp.end, &eline, &ecol);
    fputs("\"file\":", out);
    vt_json_cstr(out, path_of(d, sp.file));
    fprintf(out, ",\"line\":%u,\"column\":%u,\"end_line\":%u,\"end_column\":%u", line, col, eline, ecol);
}

static void render_json(vt_diags *d, FILE *out) {
    fputs("{\"diagnostics\":[", out);
    int first = 1;
    for (size_t i = 0; i < d->n; i++) {
        vt_diag *g = &d->v[i];
        if (g->suppressed) continue;
        fputs(first ? "\n" : ",\n", out);
        first = 0;
        fprintf(out, "{\"code\":\"%s\",\"severity\":\"%s\",\"name\":\"%s\",", vt_code_name(g->code),
                sev_name(g->sev), vt_code_slug(g->code));
        json_pos(d, out, g->span);
        fputs(",\"message\":", out);
        vt_json_cstr(out, g->message);
        fputs(",\"hint\":", out);
        vt_json_cstr(out, g->hint);
        fputs(",\"notes\":[", out);
        for (size_t k = 0; k < g->nnotes; k++) {
            fputs(k ? ",{" : "{", out);
            json_pos(d, out, g->notes[k].span);
            fputs(",\"message\":", out);
            vt_json_cstr(out, g->notes[k].text);
            putc('}', out);
        }
        fputs("]}", out);
    }
    fprintf(out, "\n],\"errors\":%zu,\"warnings\":%zu}\n", d->nerrors, d->nwarnings);
}

/* A path as a SARIF uri-reference (RFC 3986): unreserved characters and '/' as they
 * are, everything else percent-encoded, so a space or '#' in a file name stays part
 * of the path. */
static void sarif_uri(FILE *out, const char *path) {
    static const char hex[] = "0123456789ABCDEF";
    putc('"', out);
    for (const unsigned char *p = (const unsigned char *)path; p && *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/", *p))
            putc(*p, out);
        else
            fprintf(out, "%%%c%c", hex[*p >> 4], hex[*p & 15]);
    }
    putc('"', out);
}

static void sarif_location(vt_diags *d, FILE *out, vt_span sp) {
    uint32_t line, col, eline, ecol;
    vt_sources_linecol(d->sources, sp.file, sp.start, &line, &col);
    vt_sources_linecol(d->sources, sp.file, sp.end > sp.start ? sp.end : sp.start, &eline, &ecol);
    if (eline < line || (eline == line && ecol <= col)) { eline = line; ecol = col + 1; }
    fputs("{\"physicalLocation\":{\"artifactLocation\":{\"uri\":", out);
    sarif_uri(out, path_of(d, sp.file));
    fprintf(out, "},\"region\":{\"startLine\":%u,\"startColumn\":%u,\"endLine\":%u,\"endColumn\":%u}}", line,
            col, eline, ecol);
}

static void render_sarif(vt_diags *d, FILE *out) {
    fputs("{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\",\"runs\":[{"
          "\"tool\":{\"driver\":{\"name\":\"verity\",\"informationUri\":\"https://example.invalid/verity\","
          "\"rules\":[",
          out);
    for (int c = 0; c < VT_CODE_COUNT; c++) {
        fprintf(out, "%s{\"id\":\"%s\",\"name\":\"%s\",\"shortDescription\":{\"text\":", c ? "," : "",
                vt_code_name((vt_code)c), vt_code_slug((vt_code)c));
        vt_json_cstr(out, vt_code_title((vt_code)c));
        fprintf(out, "},\"defaultConfiguration\":{\"level\":\"%s\"}}",
                vt_code_default_severity((vt_code)c) == VT_SEV_ERROR ? "error" : "warning");
    }
    fputs("]}},\"results\":[", out);
    int first = 1;
    for (size_t i = 0; i < d->n; i++) {
        vt_diag *g = &d->v[i];
        if (g->suppressed) continue;
        fprintf(out, "%s{\"ruleId\":\"%s\",\"ruleIndex\":%d,\"level\":\"%s\",\"message\":{\"text\":", first ? "" : ",",
                vt_code_name(g->code), (int)g->code, g->sev == VT_SEV_ERROR ? "error" : "warning");
        first = 0;
        vt_json_cstr(out, g->message);
        fputs("},\"locations\":[", out);
        sarif_location(d, out, g->span);
        fputs("}]", out);
        if (g->nnotes) {
            fputs(",\"relatedLocations\":[", out);
            for (size_t k = 0; k < g->nnotes; k++) {
                if (k) putc(',', out);
                sarif_location(d, out, g->notes[k].span);
                fprintf(out, ",\"id\":%zu,\"message\":{\"text\":", k);
                vt_json_cstr(out, g->notes[k].text);
                fputs("}}", out);
            }
            putc(']', out);
        }
        putc('}', out);
    }
    fputs("]}]}\n", out);
}

/* GitHub workflow commands: the message must escape %, CR and LF; properties also , and :. */
static void gh_escape(FILE *out, const char *s, int property) {
    for (; s && *s; s++) {
        if (*s == '%') fputs("%25", out);
        else if (*s == '\r') fputs("%0D", out);
        else if (*s == '\n') fputs("%0A", out);
        else if (property && *s == ':') fputs("%3A", out);
        else if (property && *s == ',') fputs("%2C", out);
        else putc(*s, out);
    }
}

static void render_github(vt_diags *d, FILE *out) {
    for (size_t i = 0; i < d->n; i++) {
        vt_diag *g = &d->v[i];
        if (g->suppressed) continue;
        uint32_t line, col, eline, ecol;
        vt_sources_linecol(d->sources, g->span.file, g->span.start, &line, &col);
        vt_sources_linecol(d->sources, g->span.file, g->span.end, &eline, &ecol);
        fprintf(out, "::%s file=", g->sev == VT_SEV_ERROR ? "error" : "warning");
        gh_escape(out, path_of(d, g->span.file), 1);
        fprintf(out, ",line=%u,col=%u,endLine=%u,endColumn=%u,title=", line, col, eline, ecol);
        gh_escape(out, vt_code_name(g->code), 1);
        fputs("::", out);
        gh_escape(out, g->message, 0);
        if (g->hint) {
            fputs(" (hint: ", out);
            gh_escape(out, g->hint, 0);
            putc(')', out);
        }
        putc('\n', out);
    }
}

static void render_junit(vt_diags *d, FILE *out) {
    size_t failures = 0;
    for (size_t i = 0; i < d->n; i++) failures += !d->v[i].suppressed;
    fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"verity check\" tests=\"%zu\" "
                 "failures=\"%zu\">\n",
            failures ? failures : 1, failures);
    fprintf(out, "  <testsuite name=\"verity check\" tests=\"%zu\" failures=\"%zu\">\n", failures ? failures : 1,
            failures);
    if (!failures) fputs("    <testcase classname=\"verity\" name=\"no findings\"/>\n", out);
    for (size_t i = 0; i < d->n; i++) {
        vt_diag *g = &d->v[i];
        if (g->suppressed) continue;
        uint32_t line, col;
        vt_sources_linecol(d->sources, g->span.file, g->span.start, &line, &col);
        char name[64];
        snprintf(name, sizeof name, "%s line %u", vt_code_name(g->code), line);
        fputs("    <testcase classname=\"", out);
        vt_xml_str(out, path_of(d, g->span.file));
        fputs("\" name=\"", out);
        vt_xml_str(out, name);
        fprintf(out, "\">\n      <failure type=\"%s\" message=\"", sev_name(g->sev));
        vt_xml_str(out, g->message);
        fprintf(out, "\">%s:%u:%u: ", vt_code_name(g->code), line, col);
        vt_xml_str(out, g->message);
        if (g->hint) {
            fputs(" hint: ", out);
            vt_xml_str(out, g->hint);
        }
        fputs("</failure>\n    </testcase>\n", out);
    }
    fputs("  </testsuite>\n</testsuites>\n", out);
}

int vt_diags_render(vt_diags *d, vt_diag_format fmt, FILE *out, int color) {
    switch (fmt) {
    case VT_FMT_TEXT: render_text(d, out, color); break;
    case VT_FMT_JSON: render_json(d, out); break;
    case VT_FMT_SARIF: render_sarif(d, out); break;
    case VT_FMT_GITHUB: render_github(d, out); break;
    case VT_FMT_JUNIT: render_junit(d, out); break;
    }
    return ferror(out) ? -1 : 0;
}
