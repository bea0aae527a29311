#include "rulelist.h"

#include <stdlib.h>
#include <string.h>

#include "findfmt.h"
#include "outfile.h"

/* The value the map gives a parameter, or NULL. */
static const char *override_of(const asr_map *m, const char *rule, const char *param)
{
    for (size_t i = 0; m && i < m->n_params; i++)
        if (strcmp(m->params[i].rule, rule) == 0 && strcmp(m->params[i].name, param) == 0)
            return m->params[i].value;
    return NULL;
}

static const char *type_name(asr_param_type t)
{
    return t == ASR_PARAM_NUMBER ? "number" : t == ASR_PARAM_BOOLEAN ? "boolean" : "text";
}

/* The description on one line, for a table cell: its line breaks become
 * spaces, and '|' is escaped. */
static void one_line(FILE *out, const char *s)
{
    int space = 0;
    for (; s && *s; s++) {
        if (*s == '\n' || *s == ' ' || *s == '\t') {
            space = 1;
            continue;
        }
        if (space)
            fputc(' ', out);
        space = 0;
        if (*s == '|')
            fputs("\\|", out);
        else
            fputc(*s, out);
    }
}

/* The description as a paragraph indented two spaces, wrapped to 80. */
static void paragraph(FILE *out, const char *s)
{
    size_t col = 0;
    while (s && *s) {
        while (*s == ' ' || *s == '\n' || *s == '\t')
            s++;
        size_t len = strcspn(s, " \n\t");
        if (!len)
            break;
        if (col && col + 1 + len > 78) {
            fputc('\n', out);
            col = 0;
        }
        fputs(col ? " " : "  ", out);
        fwrite(s, 1, len, out);
        col += (col ? 1 : 2) + len;
        s += len;
    }
    if (col)
        fputc('\n', out);
}

static void write_text(FILE *out, const asr_rule *r, const asr_map *m)
{
    fprintf(out, "%s  (%s, %s)\n  %s\n", r->id, r->severity, r->category, r->title);
    paragraph(out, r->description);
    if (r->n_covers) {
        fputs("  covers:", out);
        for (size_t k = 0; k < r->n_covers; k++)
            fprintf(out, " %s %s%s", r->covers[k].kind, r->covers[k].id,
                    k + 1 < r->n_covers ? "," : "");
        fputc('\n', out);
    }
    for (size_t k = 0; k < r->n_params; k++) {
        const asr_rule_param *p = &r->params[k];
        const char *o = override_of(m, r->id, p->name);
        fprintf(out, "  param %s = %s (%s)", p->name, p->value, type_name(p->type));
        if (o)
            fprintf(out, "; the map sets %s", o);
        fputc('\n', out);
    }
    fputc('\n', out);
}

static void write_json(FILE *out, const asr_rule *r, const asr_map *m, int first)
{
    fputs(first ? "  {" : ",\n  {", out);
    fputs("\"id\": ", out);
    asr_json_string(out, r->id);
    fputs(", \"title\": ", out);
    asr_json_string(out, r->title);
    fputs(", \"severity\": ", out);
    asr_json_string(out, r->severity);
    fputs(", \"category\": ", out);
    asr_json_string(out, r->category);
    fputs(", \"file\": ", out);
    asr_json_string(out, r->file);
    fputs(", \"description\": ", out);
    asr_json_string(out, r->description ? r->description : "");
    fputs(", \"covers\": {", out);
    static const char *const kinds[] = {"areas", "sources", "lines", "principles", "datasets"};
    int any_kind = 0;
    for (size_t t = 0; t < sizeof kinds / sizeof kinds[0]; t++) {
        int any = 0;
        for (size_t k = 0; k < r->n_covers; k++) {
            if (strcmp(r->covers[k].kind, kinds[t]) != 0)
                continue;
            if (!any)
                fprintf(out, "%s\"%s\": [", any_kind++ ? ", " : "", kinds[t]);
            else
                fputs(", ", out);
            asr_json_string(out, r->covers[k].id);
            any = 1;
        }
        if (any)
            fputc(']', out);
    }
    fputs("}, \"params\": [", out);
    for (size_t k = 0; k < r->n_params; k++) {
        const asr_rule_param *p = &r->params[k];
        const char *o = override_of(m, r->id, p->name);
        fputs(k ? ", {\"name\": " : "{\"name\": ", out);
        asr_json_string(out, p->name);
        fprintf(out, ", \"type\": \"%s\", \"default\": ", type_name(p->type));
        if (p->type == ASR_PARAM_STRING)
            asr_json_string(out, p->value);
        else
            fputs(p->value, out);
        if (o) {
            fputs(", \"map\": ", out);
            asr_json_string(out, o);
        }
        fputc('}', out);
    }
    fputs("]}", out);
}

static void write_markdown(FILE *out, const asr_rule *r, const asr_map *m)
{
    fprintf(out, "| `%s` | %s | %s | %s | ", r->id, r->title, r->severity, r->category);
    one_line(out, r->description);
    fputs(" | ", out);
    if (!r->n_params)
        fputs("—", out);
    for (size_t k = 0; k < r->n_params; k++) {
        const asr_rule_param *p = &r->params[k];
        const char *o = override_of(m, r->id, p->name);
        fprintf(out, "%s`%s` (%s)", k ? ", " : "", p->name, p->value);
        if (o)
            fprintf(out, " map: %s", o);
    }
    fputs(" |\n", out);
}

int asr_rulelist_write(FILE *out, const asr_rule_result *rules, size_t n, const asr_map *m,
                       asr_rulelist_format f)
{
    size_t *order = asr_rule_results_by_id(rules, n);
    if (f == ASR_RULELIST_JSON)
        fputs("{\"rules\": [\n", out);
    if (f == ASR_RULELIST_MARKDOWN)
        fputs("| rule | title | severity | category | flags | parameters (default) |\n"
              "|---|---|---|---|---|---|\n",
              out);
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        const asr_rule_result *res = &rules[order[i]];
        if (!res->loaded)
            continue;
        if (f == ASR_RULELIST_TEXT)
            write_text(out, &res->rule, m);
        else if (f == ASR_RULELIST_JSON)
            write_json(out, &res->rule, m, first);
        else
            write_markdown(out, &res->rule, m);
        first = 0;
    }
    if (f == ASR_RULELIST_JSON)
        fputs("\n]}\n", out);
    free(order);
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

asr_status asr_rulelist_run(const char *rules_dirs, const char *map_path, const asr_runner_opts *ro,
                            asr_rulelist_format f, FILE *out, asr_diag *d)
{
    asr_map *m = NULL;
    asr_status st = map_path ? asr_map_load(map_path, d, &m) : ASR_OK;
    asr_rule_result *rules = NULL;
    size_t n = 0;
    if (st == ASR_OK)
        st = asr_runner_load_dir(rules_dirs, m, ro, d, &rules, &n);
    if (st == ASR_OK && asr_rulelist_write(out, rules, n, m, f))
        st = ASR_E_IO;
    asr_rule_results_free(rules, n);
    asr_map_free(m);
    return st;
}

asr_status asr_rulelist_run_file(const char *rules_dirs, const char *map_path,
                                 const asr_runner_opts *ro, asr_rulelist_format f,
                                 const char *output, asr_diag *d)
{
    asr_map *m = NULL;
    asr_status st = map_path ? asr_map_load(map_path, d, &m) : ASR_OK;
    asr_rule_result *rules = NULL;
    size_t n = 0;
    asr_inputs inputs = {0};
    if (st == ASR_OK)
        st = asr_runner_load_dir(rules_dirs, m, ro, d, &rules, &n);
    if (st == ASR_OK) {
        for (size_t i = 0; m && i < m->n_files; i++)
            asr_inputs_add(&inputs, m->files[i], i ? "a file the map includes" : "the map");
        for (size_t i = 0; i < n; i++)
            asr_inputs_add(&inputs, rules[i].rule.file, "a rule file");
        asr_outfile o;
        if ((st = asr_outfile_open(&o, output, "--output", &inputs, d)) == ASR_OK)
            st = asr_rulelist_write(o.f, rules, n, m, f)
                     ? asr_outfile_fail(&o, d)
                     : asr_outfile_commit(&o, "--output", &inputs, d);
    }
    asr_inputs_free(&inputs);
    asr_rule_results_free(rules, n);
    asr_map_free(m);
    return st;
}
