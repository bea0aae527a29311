#include "report.h"

#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "util.h"

static const char *const severity_order[] = {"high", "medium", "low"};

static const char *severity_of(const asr_report *r, const asr_finding *f)
{
    return asr_finding_severity(f, &r->rules[f->rule].rule);
}

/* ---- counts ---- */

typedef struct {
    size_t by_severity[3];
    size_t findings, rules_run, rules_failed;
} counts;

/* Counted from the rules' results, so they hold whether the findings came
 * as structs or as formatted bytes. */
static counts count(const asr_report *r)
{
    counts c = {{0}, 0, 0, 0};
    for (size_t i = 0; i < r->n_rules; i++) {
        if (!r->ran[i])
            continue;
        c.rules_run++;
        if (r->rules[i].fail != ASR_FAIL_NONE) {
            c.rules_failed++;
            continue;
        }
        c.findings += r->rules[i].n_findings;
        for (int k = 0; k < 3; k++)
            c.by_severity[k] += r->rules[i].by_severity[k];
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
    fprintf(out, "%zu finding%s from %zu rule%s: %zu high, %zu medium, %zu low", c.findings,
            c.findings == 1 ? "" : "s", c.rules_run, c.rules_run == 1 ? "" : "s", c.by_severity[0],
            c.by_severity[1], c.by_severity[2]);
    if (c.rules_failed)
        fprintf(out, "; %zu rule%s FAILED (see the end)", c.rules_failed,
                c.rules_failed == 1 ? "" : "s");
    fputs("\n", out);

    text_row *rows = asr_xcalloc(r->n_findings ? r->n_findings : 1, sizeof *rows);
    asr_bg_memo memo = {0};
    size_t rule_w = 4, subj_w = 7;
    for (size_t i = 0; i < r->n_findings; i++) {
        const asr_finding *f = &r->findings[i];
        rows[i].f = f;
        rows[i].sev = asr_severity_index(severity_of(r, f));
        rows[i].bg = asr_business_group_name(r->map, f, &memo);
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
        if (f->owner || f->due || f->area || f->state) {
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
            if (f->due) {
                fprintf(out, "%s due: %s", sep, f->due);
                sep = ";";
            }
            if (f->state && strcmp(f->state, "new") == 0)
                fprintf(out, "%s new", sep);
            else if (f->state)
                fprintf(out, "%s %s, first seen %s (%ld day%s)", sep, f->state,
                        f->first_seen ? f->first_seen : "?", f->age_days,
                        f->age_days == 1 ? "" : "s");
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
    if (c.findings == 0 && !c.rules_failed)
        fputs("\nNo exceptions.\n", out);
}

/* ---- the findings, as CSV or JSON ---- */

/* Writes every finding in findfmt's form, in rule-id order: the blocks the
 * workers formatted, copied from the spool, or the findings held here,
 * formatted now -- the same bytes either way. JSON drops the comma before
 * the first finding. Non-zero if the spool could not be read. */
static int write_findings(const asr_report *r, asr_format fmt, FILE *out)
{
    size_t skip = fmt == ASR_FMT_JSON ? 1 : 0;
    if (!r->spool) {
        asr_buf b = {0};
        asr_bg_memo memo = {0};
        for (size_t i = 0; i < r->n_findings; i++) {
            const asr_finding *f = &r->findings[i];
            asr_findfmt_write(&b, fmt, r->map, &r->rules[f->rule].rule, f, &memo);
            if (b.len >= (64u << 10) || i + 1 == r->n_findings) {
                fwrite(b.data + skip, 1, b.len - skip, out);
                asr_buf_clear(&b);
                skip = 0;
            }
        }
        asr_buf_free(&b);
        return 0;
    }
    size_t *order = asr_rule_results_by_id(r->rules, r->n_rules);
    int rc = 0;
    for (size_t k = 0; k < r->n_rules && rc == 0; k++) {
        const asr_rule_result *res = &r->rules[order[k]];
        if (!r->ran[order[k]] || res->fail != ASR_FAIL_NONE)
            continue;
        for (size_t b = 0; b < res->n_blocks && rc == 0; b++) {
            rc = asr_spool_copy(r->spool, res->blocks[b], skip, out);
            skip = res->blocks[b].len ? 0 : skip;
        }
    }
    free(order);
    return rc;
}

static void write_csv(const asr_report *r, FILE *out, int *rc)
{
    fputs(asr_csv_header, out);
    *rc = write_findings(r, ASR_FMT_CSV, out);
}

/* ---- JSON ---- */

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
        for (size_t i = 0; i < r->n_rules; i++)
            if (r->ran[i] && r->rules[i].fail == ASR_FAIL_NONE && r->rules[i].rule.category &&
                strcmp(r->rules[i].rule.category, cats[k]) == 0)
                n += r->rules[i].n_findings;
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
            indent, c.findings, c.rules_run, c.rules_failed, c.by_severity[0], c.by_severity[1],
            c.by_severity[2]);
    json_categories(r, out);
    fputs("}", out);
}

static void write_json(const asr_report *r, FILE *out, int *rc)
{
    counts c = count(r);
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
    *rc = write_findings(r, ASR_FMT_JSON, out);
    fputs(c.findings ? "\n  ],\n  \"failures\": [" : "],\n  \"failures\": [", out);
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

static void write_jsonl(const asr_report *r, FILE *out, int *rc)
{
    fputs("{\"type\": \"run\", ", out);
    json_header(r, out, "", " ");
    fputs("}\n", out);
    *rc = write_findings(r, ASR_FMT_JSONL, out);
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
    int rc = 0;
    switch (fmt) {
    case ASR_FMT_TEXT:
        write_text(r, out, color);
        break;
    case ASR_FMT_CSV:
        write_csv(r, out, &rc);
        break;
    case ASR_FMT_JSON:
        write_json(r, out, &rc);
        break;
    case ASR_FMT_JSONL:
        write_jsonl(r, out, &rc);
        break;
    }
    return rc || ferror(out);
}
