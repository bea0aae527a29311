/* assure rules: lists the rule library, for people and for the docs. */
#include <stdio.h>

#include "cmd.h"
#include "rulelist.h"

static const asr_opt options[] = {
    {ASR_OPT_RULES, "rules", 'r', "DIR",
     "the rule files (*.lua); again for more directories (local rules)"},
    {ASR_OPT_MAP, "map", 'm', "FILE", "also show the values this map gives the parameters"},
    {ASR_OPT_FORMAT, "format", 'f', "FORMAT", "text (default), json or markdown"},
    {ASR_OPT_OUTPUT, "output", 'o', "FILE",
     "write the list to FILE (atomically) instead of standard output"},
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
        asr_cli_require(&p, (const int[]){ASR_OPT_RULES, 0});
    asr_cli_end(&p);
    if (id < 0 || p.status)
        return p.status;
    asr_rulelist_format f = p.c.format == ASR_OUT_JSON       ? ASR_RULELIST_JSON
                            : p.c.format == ASR_OUT_MARKDOWN ? ASR_RULELIST_MARKDOWN
                                                             : ASR_RULELIST_TEXT;
    asr_diag d;
    asr_diag_init(&d, 200);
    asr_status st = p.c.output
                        ? asr_rulelist_run_file(p.c.rules, p.c.map, &p.c.runner, f, p.c.output, &d)
                        : asr_rulelist_run(p.c.rules, p.c.map, &p.c.runner, f, stdout, &d);
    asr_cli_problems(&d);
    asr_diag_free(&d);
    return st;
}

const asr_verb asr_verb_rules = {
    "rules",
    "list the rules: what each flags, severity, coverage, parameters",
    "assure rules --rules DIR [--map FILE] [--format text|json|markdown]",
    "Lists every rule in DIR: its id, title, severity and category, what it\n"
    "flags, what it covers, and its parameters with their defaults -- and, with\n"
    "--map, the values that map gives them. Markdown gives a table for the docs.\n",
    options,
    sizeof options / sizeof options[0],
    ASR_OUT(ASR_OUT_TEXT) | ASR_OUT(ASR_OUT_JSON) | ASR_OUT(ASR_OUT_MARKDOWN),
    "0 listed; 66 a directory is missing; 78 a rule or the map has problems; 73/74 the list "
    "could not be written; 64 bad command line.",
    run,
};
