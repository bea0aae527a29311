/* assure validate: checks a map (and its includes) and rule files. */
#include <stdio.h>

#include "check.h"
#include "cmd.h"
#include "diagjson.h"
#include "outfile.h"

static const asr_opt options[] = {
    {ASR_OPT_MAP, "map", 'm', "FILE", "the map to check (YAML)"},
    {ASR_OPT_RULES, "rules", 'r', "DIR",
     "also check the rule files (*.lua) in DIR; again for more directories"},
    {ASR_OPT_FORMAT, "format", 'f', "FORMAT",
     "text (default) or json (the summary and every problem with its place)"},
    {ASR_OPT_OUTPUT, "output", 'o', "FILE",
     "write the report to FILE (atomically) instead of standard output"},
};

static void text_report(FILE *out, const asr_check_opts *o, const asr_check *c, const asr_diag *d)
{
    const asr_map *m = c->map;
    fprintf(out, "%s: valid map for ", o->map_path);
    asr_fputs_term(m->org_name, out);
    fprintf(out,
            ": %zu lines, %zu principles, %zu units, %zu areas, "
            "%zu sources, %zu scales, %zu datasets",
            m->n_lines, m->n_principles, m->n_units, m->n_areas, m->n_sources, m->n_scales,
            m->n_datasets);
    if (m->n_files > 1)
        fprintf(out, " (from %zu files)", m->n_files);
    if (d->warnings)
        fprintf(out, "; %zu warning%s", d->warnings, d->warnings == 1 ? "" : "s");
    fprintf(out, "\n");
    char label[400];
    if (o->rules_dir)
        fprintf(out, "%s: %zu valid rule%s\n",
                asr_rules_path_label(o->rules_dir, label, sizeof label), c->n_rules,
                c->n_rules == 1 ? "" : "s");
}

static void json_report(FILE *out, const asr_check_opts *o, const asr_check *c, asr_diag *d,
                        asr_status st)
{
    const asr_map *m = c->map;
    fprintf(out, "{\n  \"valid\": %s,\n  \"map\": ", st == ASR_OK ? "true" : "false");
    asr_json_string(out, o->map_path);
    fputs(",\n  \"organisation\": ", out);
    if (m)
        asr_json_string(out, m->org_name);
    else
        fputs("null", out);
    if (m)
        fprintf(out,
                ",\n  \"counts\": {\"lines\": %zu, \"principles\": %zu, \"units\": %zu, "
                "\"areas\": %zu, \"sources\": %zu, \"scales\": %zu, \"datasets\": %zu, "
                "\"files\": %zu}",
                m->n_lines, m->n_principles, m->n_units, m->n_areas, m->n_sources, m->n_scales,
                m->n_datasets, m->n_files);
    else
        fputs(",\n  \"counts\": null", out);
    fputs(",\n  \"rules\": ", out);
    if (o->rules_dir) {
        char label[400];
        fputs("{\"path\": ", out);
        asr_json_string(out, asr_rules_path_label(o->rules_dir, label, sizeof label));
        fprintf(out, ", \"valid\": %zu}", st == ASR_OK ? c->n_rules : (size_t)0);
    } else {
        fputs("null", out);
    }
    fputs(",\n  ", out);
    asr_diag_json_members(out, d, "    ");
    fputs("\n}\n", out);
}

static int run(const asr_verb *v, int argc, char **argv)
{
    asr_cli p;
    const char *arg;
    int id;
    asr_cli_begin(&p, v, argc, argv);
    while ((id = asr_cli_next(&p, &arg)) > 0)
        ;
    if (id == 0 && !asr_cli_no_args(&p))
        asr_cli_require(&p, (const int[]){ASR_OPT_MAP, 0});
    asr_cli_end(&p);
    if (id < 0 || p.status)
        return p.status;

    int json = p.c.format == ASR_OUT_JSON;
    asr_check_opts o = {0};
    o.map_path = p.c.map;
    o.rules_dir = p.c.rules;
    o.runner = p.c.runner;
    asr_diag d;
    asr_diag_init(&d, ASR_DIAG_LIMIT);
    asr_check c;
    asr_status st = asr_check_validate(&o, &d, &c);

    /* The report's file may replace none of what was read. */
    asr_inputs inputs = {0};
    asr_inputs_add(&inputs, o.map_path, "the map");
    for (size_t i = 0; c.map && i < c.map->n_files; i++)
        asr_inputs_add(&inputs, c.map->files[i], "a file the map includes");
    for (size_t i = 0; i < c.n_rules; i++)
        if (c.rules[i].rule.file)
            asr_inputs_add(&inputs, c.rules[i].rule.file, "a rule file");
    asr_outfile of;
    FILE *out = stdout;
    asr_diag od;
    asr_diag_init(&od, ASR_DIAG_LIMIT);
    asr_status ost = ASR_OK;
    if (p.c.output && (json || st == ASR_OK)) {
        ost = asr_outfile_open(&of, p.c.output, "--output", &inputs, &od);
        out = ost == ASR_OK ? of.f : NULL;
    }
    if (!json)
        asr_cli_problems(&d);
    if (out && json)
        json_report(out, &o, &c, &d, st);
    else if (out && st == ASR_OK)
        text_report(out, &o, &c, &d);
    if (!json && st == ASR_E_CONFIG)
        fprintf(stderr, "%zu problem%s; not valid\n", d.errors, d.errors == 1 ? "" : "s");
    if (out && out != stdout)
        ost = ferror(out) ? asr_outfile_fail(&of, &od)
                          : asr_outfile_commit(&of, "--output", &inputs, &od);
    else if (out && fflush(stdout) != 0)
        ost = ASR_E_IO;
    asr_cli_problems(&od);
    if (ost != ASR_OK)
        st = ost;
    asr_diag_free(&od);
    asr_inputs_free(&inputs);
    asr_check_free(&c);
    asr_diag_free(&d);
    return st;
}

const asr_verb asr_verb_validate = {
    "validate",
    "check an assurance map and rule files without touching any database",
    "assure validate --map FILE [--rules DIR] [--format text|json] [-o FILE]",
    "Checks an assurance map (and every file it includes) and, with --rules, every\n"
    "rule file in DIR, without opening any database. Lists the problems found,\n"
    "in file order, as file:line:col: error: path: message (the first 100; the\n"
    "rest are counted). With --format json the summary and the problems (file,\n"
    "line, column, path, message) are one JSON document on standard output (or\n"
    "in the --output file) and nothing goes to standard error.\n",
    options,
    sizeof options / sizeof options[0],
    ASR_OUT(ASR_OUT_TEXT) | ASR_OUT(ASR_OUT_JSON),
    "0 valid; 66 a file or directory is missing; 78 the map or a rule has problems; 73/74 the "
    "report cannot be written; 64 bad command line.",
    run,
};
