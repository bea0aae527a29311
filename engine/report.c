#include "report.h"

#include <lua.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "util.h"

static const char *const severity_order[] = {"high", "medium", "low"};

int asr_format_parse(const char *s, asr_format *out)
{
    static const char *const names[] = {"text", "csv", "json", "jsonl"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0)
            return *out = (asr_format)i, 0;
    return -1;
}

static const char *severity_of(const asr_report *r, const asr_finding *f)
{
    return f->severity ? f->severity : r->rules[f->rule].rule.severity;
}

static const asr_unit *find_unit(const asr_map *m, const char *id)
{
    for (size_t i = 0; id && i < m->n_units; i++)
        if (m->units[i].id && strcmp(m->units[i].id, id) == 0)
            return &m->units[i];
    return NULL;
}

const asr_unit *asr_report_business_group(const asr_map *m, const asr_finding *f)
{
    const char *unit = f->unit;
    if (!unit && f->area) {
        const asr_area *a = asr_map_area(m, f->area);
        unit = a ? a->unit : NULL;
    }
    const asr_unit *u = find_unit(m, unit);
    for (size_t steps = 0; u && u->parent && steps < m->n_units; steps++) {
        const asr_unit *p = find_unit(m, u->parent);
        if (!p)
            break;
        u = p;
    }
    return u;
}

/* Findings come sorted by rule and subject, so neighbours often share a
 * unit or area: remember the last answer. The memo points into the findings
 * of the report being written; asr_report_write clears it first. */
static struct {
    const char *unit, *area, *name;
} bg_memo;

static const char *bg_name(const asr_map *m, const asr_finding *f)
{
    const char *unit = f->unit ? f->unit : "", *area = f->area ? f->area : "";
    if (bg_memo.unit && strcmp(unit, bg_memo.unit) == 0 && strcmp(area, bg_memo.area) == 0)
        return bg_memo.name;
    const asr_unit *u = asr_report_business_group(m, f);
    bg_memo.unit = unit;
    bg_memo.area = area;
    bg_memo.name = u ? (u->name ? u->name : u->id) : NULL;
    return bg_memo.name;
}

/* ---- counts ---- */

typedef struct {
    size_t by_severity[3];
    size_t rules_run, rules_failed;
} counts;

static int severity_index(const char *s)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(s, severity_order[i]) == 0)
            return i;
    return 2;
}

static counts count(const asr_report *r)
{
    counts c = {{0}, 0, 0};
    for (size_t i = 0; i < r->n_findings; i++)
        c.by_severity[severity_index(severity_of(r, &r->findings[i]))]++;
    for (size_t i = 0; i < r->n_rules; i++) {
        if (!r->ran[i])
            continue;
        c.rules_run++;
        if (r->rules[i].fail != ASR_FAIL_NONE)
            c.rules_failed++;
    }
    return c;
}

/* ---- text ---- */

typedef struct {
    const asr_finding *f;
    int sev;
    const char *bg;
} text_row;

static int cmp_text_row(const void *a, const void *b)
{
    const text_row *x = a, *y = b;
    if (x->sev != y->sev)
        return x->sev - y->sev;
    if ((x->bg == NULL) != (y->bg == NULL))
        return x->bg ? -1 : 1; /* findings with no business group last */
    int c = x->bg ? strcmp(x->bg, y->bg) : 0;
    if (c)
        return c;
    return x < y ? -1 : x > y; /* keeps the (rule, subject) order */
}

static size_t utf8_width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static void pad(FILE *out, const char *s, size_t width)
{
    fputs(s, out);
    for (size_t w = utf8_width(s); w < width; w++)
        fputc(' ', out);
}

static void write_text(const asr_report *r, FILE *out, int color)
{
    static const char *const sev_colour[3] = {"\033[1;31m", "\033[1;33m", "\033[1;36m"};
    const char *reset = color ? "\033[0m" : "";
    counts c = count(r);
    fprintf(out, "Exception list for %s, as of %s\n", r->map->org_name, r->as_of);
    fprintf(out, "%zu finding%s from %zu rule%s: %zu high, %zu medium, %zu low", r->n_findings,
            r->n_findings == 1 ? "" : "s", c.rules_run, c.rules_run == 1 ? "" : "s",
            c.by_severity[0], c.by_severity[1], c.by_severity[2]);
    if (c.rules_failed)
        fprintf(out, "; %zu rule%s FAILED (see the end)", c.rules_failed,
                c.rules_failed == 1 ? "" : "s");
    fputs("\n", out);

    text_row *rows = asr_xcalloc(r->n_findings ? r->n_findings : 1, sizeof *rows);
    size_t rule_w = 4, subj_w = 7;
    for (size_t i = 0; i < r->n_findings; i++) {
        const asr_finding *f = &r->findings[i];
        rows[i].f = f;
        rows[i].sev = severity_index(severity_of(r, f));
        rows[i].bg = bg_name(r->map, f);
        size_t w = utf8_width(r->rules[f->rule].rule.id);
        rule_w = w > rule_w ? w : rule_w;
        w = utf8_width(f->subject);
        subj_w = w > subj_w ? w : subj_w;
    }
    for (size_t i = 0; i < r->n_rules; i++) {
        size_t w = r->ran[i] && r->rules[i].fail ? utf8_width(r->rules[i].rule.id) : 0;
        rule_w = w > rule_w ? w : rule_w;
    }
    rule_w = rule_w > 28 ? 28 : rule_w;
    subj_w = subj_w > 24 ? 24 : subj_w;
    qsort(rows, r->n_findings, sizeof *rows, cmp_text_row);

    int sev = -1;
    const char *bg = (const char *)-1;
    for (size_t i = 0; i < r->n_findings; i++) {
        const asr_finding *f = rows[i].f;
        if (rows[i].sev != sev) {
            sev = rows[i].sev;
            bg = (const char *)-1;
            char upper[8];
            for (size_t k = 0; k <= strlen(severity_order[sev]); k++)
                upper[k] = (char)(severity_order[sev][k] >= 'a' ? severity_order[sev][k] - 32
                                                                : severity_order[sev][k]);
            fprintf(out, "\n%s%s (%zu)%s\n", color ? sev_colour[sev] : "", upper,
                    c.by_severity[sev], reset);
        }
        if (bg == (const char *)-1 || (bg == NULL) != (rows[i].bg == NULL) ||
            (bg && strcmp(bg, rows[i].bg) != 0)) {
            bg = rows[i].bg;
            fprintf(out, "  %s%s%s\n", color ? "\033[1m" : "", bg ? bg : "(no business group)",
                    reset);
        }
        fputs("    ", out);
        pad(out, r->rules[f->rule].rule.id, rule_w);
        fputs("  ", out);
        pad(out, f->subject, subj_w);
        fprintf(out, "  %s\n", f->message);
        if (f->owner || f->due || f->area) {
            fprintf(out, "    %*s  %*s ", (int)rule_w, "", (int)subj_w, "");
            const char *sep = "";
            if (f->area) {
                fprintf(out, " area: %s", f->area);
                sep = ";";
            }
            if (f->owner) {
                fprintf(out, "%s owner: %s", sep, f->owner);
                sep = ";";
            }
            if (f->due)
                fprintf(out, "%s due: %s", sep, f->due);
            fputs("\n", out);
        }
    }
    free(rows);

    if (c.rules_failed) {
        fprintf(out, "\n%sRULE FAILURES (%zu)%s: these rules produced no results\n",
                color ? "\033[1;35m" : "", c.rules_failed, reset);
        for (size_t i = 0; i < r->n_rules; i++) {
            const asr_rule_result *res = &r->rules[i];
            if (!r->ran[i] || res->fail == ASR_FAIL_NONE)
                continue;
            fputs("    ", out);
            pad(out, res->rule.id, rule_w);
            fputs("  ", out);
            pad(out, asr_fail_kind_name(res->fail), 8);
            fprintf(out, "  %s\n", res->fail_message ? res->fail_message : "");
        }
    }
    if (r->n_findings == 0 && !c.rules_failed)
        fputs("\nNo exceptions.\n", out);
}

/* ---- CSV ---- */

void asr_csv_cell(FILE *out, const char *s)
{
    if (!s)
        return;
    int formula =
        s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r';
    int quote = formula || strpbrk(s, ",\"\r\n") != NULL;
    if (!quote) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    if (formula)
        fputc('\'', out);
    for (const char *p = s;;) {
        const char *q = strchr(p, '"');
        if (!q) {
            fputs(p, out);
            break;
        }
        fwrite(p, 1, (size_t)(q - p) + 1, out);
        fputc('"', out); /* the quote, doubled */
        p = q + 1;
    }
    fputc('"', out);
}

static void evidence_text(const asr_finding *f, asr_buf *b)
{
    asr_buf_clear(b);
    for (size_t i = 0; i < f->n_evidence; i++)
        asr_buf_addf(b, "%s%s=%s", i ? "; " : "", f->evidence[i].k, f->evidence[i].v);
}

static void write_csv(const asr_report *r, FILE *out)
{
    fputs("rule,severity,category,subject,message,business_group,unit,area,line,principle,"
          "owner,due,fingerprint,evidence\r\n",
          out);
    asr_buf ev = {0};
    for (size_t i = 0; i < r->n_findings; i++) {
        const asr_finding *f = &r->findings[i];
        const asr_rule *rule = &r->rules[f->rule].rule;
        const char *cells[14] = {rule->id,       severity_of(r, f),
                                 rule->category, f->subject,
                                 f->message,     bg_name(r->map, f),
                                 f->unit,        f->area,
                                 f->line,        f->principle,
                                 f->owner,       f->due,
                                 f->fingerprint, NULL};
        evidence_text(f, &ev);
        cells[13] = asr_buf_str(&ev);
        for (int k = 0; k < 14; k++) {
            if (k)
                fputc(',', out);
            asr_csv_cell(out, cells[k]);
        }
        fputs("\r\n", out);
    }
    asr_buf_free(&ev);
}

/* ---- JSON ---- */

void asr_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc((int)c, out);
            p++;
        } else if (c < 0x20) {
            switch (c) {
            case '\n':
                fputs("\\n", out);
                break;
            case '\r':
                fputs("\\r", out);
                break;
            case '\t':
                fputs("\\t", out);
                break;
            default:
                fprintf(out, "\\u%04x", c);
            }
            p++;
        } else if (c < 0x80) {
            fputc((int)c, out);
            p++;
        } else {
            size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
            size_t avail = strnlen((const char *)p, n);
            if (n > 1 && avail == n && !asr_utf8_invalid((const char *)p, n)) {
                fwrite(p, 1, n, out);
                p += n;
            } else {
                fputs("\\ufffd", out);
                p++;
            }
        }
    }
    fputc('"', out);
}

static void json_field(FILE *out, const char *key, const char *value, int *first)
{
    if (!value)
        return;
    fputs(*first ? "" : ", ", out);
    *first = 0;
    asr_json_string(out, key);
    fputs(": ", out);
    asr_json_string(out, value);
}

static void json_finding(const asr_report *r, const asr_finding *f, FILE *out, int typed)
{
    const asr_rule *rule = &r->rules[f->rule].rule;
    int first = 1;
    fputs("{", out);
    if (typed)
        json_field(out, "type", "finding", &first);
    json_field(out, "rule", rule->id, &first);
    json_field(out, "severity", severity_of(r, f), &first);
    json_field(out, "category", rule->category, &first);
    json_field(out, "subject", f->subject, &first);
    json_field(out, "message", f->message, &first);
    json_field(out, "business_group", bg_name(r->map, f), &first);
    json_field(out, "unit", f->unit, &first);
    json_field(out, "area", f->area, &first);
    json_field(out, "line", f->line, &first);
    json_field(out, "principle", f->principle, &first);
    json_field(out, "owner", f->owner, &first);
    json_field(out, "due", f->due, &first);
    json_field(out, "fingerprint", f->fingerprint, &first);
    fputs(", \"evidence\": {", out);
    for (size_t i = 0; i < f->n_evidence; i++) {
        if (i)
            fputs(", ", out);
        asr_json_string(out, f->evidence[i].k);
        fputs(": ", out);
        asr_json_string(out, f->evidence[i].v);
    }
    fputs("}}", out);
}

static void json_failure(const asr_rule_result *res, FILE *out, int typed)
{
    int first = 1;
    fputs("{", out);
    if (typed)
        json_field(out, "type", "failure", &first);
    json_field(out, "rule", res->rule.id, &first);
    json_field(out, "file", res->rule.file, &first);
    json_field(out, "kind", asr_fail_kind_name(res->fail), &first);
    json_field(out, "message", res->fail_message ? res->fail_message : "", &first);
    fputs("}", out);
}

/* Categories in name order, with their counts. */
static void json_categories(const asr_report *r, FILE *out)
{
    const char **cats = asr_xcalloc(r->n_rules + 1, sizeof *cats);
    size_t nc = 0;
    for (size_t i = 0; i < r->n_rules; i++) {
        const char *c = r->rules[i].rule.category;
        if (!r->ran[i] || !c)
            continue;
        size_t k = 0;
        while (k < nc && strcmp(cats[k], c) != 0)
            k++;
        if (k == nc)
            cats[nc++] = c;
    }
    for (size_t i = 1; i < nc; i++)
        for (size_t k = i; k > 0 && strcmp(cats[k - 1], cats[k]) > 0; k--) {
            const char *t = cats[k];
            cats[k] = cats[k - 1];
            cats[k - 1] = t;
        }
    fputs("{", out);
    for (size_t k = 0; k < nc; k++) {
        size_t n = 0;
        for (size_t i = 0; i < r->n_findings; i++)
            n += strcmp(r->rules[r->findings[i].rule].rule.category, cats[k]) == 0;
        fprintf(out, "%s", k ? ", " : "");
        asr_json_string(out, cats[k]);
        fprintf(out, ": %zu", n);
    }
    fputs("}", out);
    free(cats);
}

static void json_header(const asr_report *r, FILE *out, const char *indent, const char *nl)
{
    counts c = count(r);
    fprintf(out, "%s\"assure\": \"%s\",%s", indent, ASSURE_VERSION, nl);
    fprintf(out, "%s\"lua\": \"%s\",%s", indent, LUA_RELEASE, nl);
    fprintf(out, "%s\"sqlite\": \"%s\",%s", indent, asr_store_sqlite_version(), nl);
    fprintf(out, "%s\"organisation\": ", indent);
    asr_json_string(out, r->map->org_name);
    fprintf(out, ",%s%s\"as_of\": \"%s\",%s", nl, indent, r->as_of, nl);
    fprintf(out, "%s\"map_hash\": \"%s\",%s", indent, r->map->hash, nl);
    fprintf(out, "%s\"rules_hash\": \"%s\",%s", indent, r->rules_hash, nl);
    fprintf(out,
            "%s\"counts\": {\"findings\": %zu, \"rules_run\": %zu, \"rules_failed\": %zu, "
            "\"by_severity\": {\"high\": %zu, \"medium\": %zu, \"low\": %zu}, "
            "\"by_category\": ",
            indent, r->n_findings, c.rules_run, c.rules_failed, c.by_severity[0], c.by_severity[1],
            c.by_severity[2]);
    json_categories(r, out);
    fputs("}", out);
}

static void write_json(const asr_report *r, FILE *out)
{
    fputs("{\n", out);
    json_header(r, out, "  ", "\n");
    fputs(",\n  \"rules\": [", out);
    int any = 0;
    for (size_t i = 0; i < r->n_rules; i++) {
        if (!r->ran[i])
            continue;
        const asr_rule_result *res = &r->rules[i];
        int first = 1;
        fputs(any ? ",\n    {" : "\n    {", out);
        any = 1;
        json_field(out, "id", res->rule.id, &first);
        json_field(out, "title", res->rule.title, &first);
        json_field(out, "severity", res->rule.severity, &first);
        json_field(out, "category", res->rule.category, &first);
        json_field(out, "file", res->rule.file, &first);
        json_field(out, "status", res->fail == ASR_FAIL_NONE ? "ok" : "failed", &first);
        fprintf(out, ", \"findings\": %zu}", res->n_findings);
    }
    fputs(any ? "\n  ],\n  \"findings\": [" : "],\n  \"findings\": [", out);
    for (size_t i = 0; i < r->n_findings; i++) {
        fputs(i ? ",\n    " : "\n    ", out);
        json_finding(r, &r->findings[i], out, 0);
    }
    fputs(r->n_findings ? "\n  ],\n  \"failures\": [" : "],\n  \"failures\": [", out);
    any = 0;
    for (size_t i = 0; i < r->n_rules; i++) {
        if (!r->ran[i] || r->rules[i].fail == ASR_FAIL_NONE)
            continue;
        fputs(any ? ",\n    " : "\n    ", out);
        any = 1;
        json_failure(&r->rules[i], out, 0);
    }
    fputs(any ? "\n  ],\n" : "],\n", out);
    fprintf(out, "  \"timing\": {\"elapsed_ms\": %.1f}\n}\n", r->elapsed_ms);
}

static void write_jsonl(const asr_report *r, FILE *out)
{
    fputs("{\"type\": \"run\", ", out);
    json_header(r, out, "", " ");
    fputs("}\n", out);
    for (size_t i = 0; i < r->n_findings; i++) {
        json_finding(r, &r->findings[i], out, 1);
        fputs("\n", out);
    }
    for (size_t i = 0; i < r->n_rules; i++) {
        if (!r->ran[i] || r->rules[i].fail == ASR_FAIL_NONE)
            continue;
        json_failure(&r->rules[i], out, 1);
        fputs("\n", out);
    }
    fprintf(out, "{\"type\": \"timing\", \"elapsed_ms\": %.1f}\n", r->elapsed_ms);
}

int asr_report_write(const asr_report *r, asr_format fmt, FILE *out, int color)
{
    memset(&bg_memo, 0, sizeof bg_memo);
    switch (fmt) {
    case ASR_FMT_TEXT:
        write_text(r, out, color);
        break;
    case ASR_FMT_CSV:
        write_csv(r, out);
        break;
    case ASR_FMT_JSON:
        write_json(r, out);
        break;
    case ASR_FMT_JSONL:
        write_jsonl(r, out);
        break;
    }
    return ferror(out);
}
