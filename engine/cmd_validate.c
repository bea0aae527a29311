/* assure validate: checks a map (and its includes) and rule files. */
#include <stdio.h>

#include "check.h"
#include "cmd.h"

static const asr_opt options[] = {
    {ASR_OPT_MAP, "map", 'm', "FILE", "the map to check (YAML)"},
    {ASR_OPT_RULES, "rules", 'r', "DIR",
     "also check the rule files (*.lua) in DIR; again for more directories"},
};

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

    asr_check_opts o = {0};
    o.map_path = p.c.map;
    o.rules_dir = p.c.rules;
    o.runner = p.c.runner;
    asr_diag d;
    asr_diag_init(&d, ASR_DIAG_LIMIT);
    asr_check c;
    asr_status st = asr_check_validate(&o, &d, &c);
    asr_cli_problems(&d);
    if (st == ASR_OK) {
        const asr_map *m = c.map;
        printf("%s: valid map for ", o.map_path);
        asr_fputs_term(m->org_name, stdout);
        printf(": %zu lines, %zu principles, %zu units, %zu areas, "
               "%zu sources, %zu scales, %zu datasets",
               m->n_lines, m->n_principles, m->n_units, m->n_areas, m->n_sources, m->n_scales,
               m->n_datasets);
        if (m->n_files > 1)
            printf(" (from %zu files)", m->n_files);
        if (d.warnings)
            printf("; %zu warning%s", d.warnings, d.warnings == 1 ? "" : "s");
        printf("\n");
        char label[400];
        if (o.rules_dir)
            printf("%s: %zu valid rule%s\n", asr_rules_path_label(o.rules_dir, label, sizeof label),
                   c.n_rules, c.n_rules == 1 ? "" : "s");
    } else if (st == ASR_E_CONFIG) {
        fprintf(stderr, "%zu problem%s; not valid\n", d.errors, d.errors == 1 ? "" : "s");
    }
    asr_check_free(&c);
    asr_diag_free(&d);
    return st;
}

const asr_verb asr_verb_validate = {
    "validate",
    "check an assurance map and rule files without touching any database",
    "assure validate --map FILE [--rules DIR]",
    "Checks an assurance map (and every file it includes) and, with --rules, every\n"
    "rule file in DIR, without opening any database. Lists the problems found,\n"
    "in file order, as file:line:col: error: path: message (the first 100; the\n"
    "rest are counted).\n",
    options,
    sizeof options / sizeof options[0],
    0,
    "0 valid; 66 a file or directory is missing; 78 the map or a rule has problems; 64 bad "
    "command line.",
    run,
};
