/* assure rules: lists the rule library, for people and for the docs. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "outfile.h"
#include "rulelist.h"

static const asr_opt options[] = {
    {ASR_OPT_RULES, "rules", 'r', "DIR",
     "the rule files (*.lua); again for more directories (local rules)"},
    {ASR_OPT_MAP, "map", 'm', "FILE", "also show the values this map gives the parameters"},
    {ASR_OPT_FORMAT, "format", 'f', "FORMAT", "text (default), json or markdown"},
    {ASR_OPT_OUTPUT, "output", 'o', "FILE",
     "write the list to FILE (atomically) instead of standard output"},
};

/* What --output may not replace: the map and every file of the rules
 * directories. */
static void add_inputs(asr_inputs *in, const char *map, const char *dirs)
{
    if (map)
        asr_inputs_add(in, map, "the map");
    for (const char *d = dirs; d && *d;) {
        size_t len = strcspn(d, ASR_RULES_SEP);
        char *dir = asr_xstrndup(d, len);
        DIR *dp = opendir(dir);
        struct dirent *e;
        while (dp && (e = readdir(dp)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            asr_buf path = {0};
            asr_buf_addf(&path, "%s/%s", dir, e->d_name);
            asr_inputs_add(in, path.data, "a file of the rules directory");
            asr_buf_free(&path);
        }
        if (dp)
            closedir(dp);
        free(dir);
        d += len;
        d += *d != '\0';
    }
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
        asr_cli_require(&p, (const int[]){ASR_OPT_RULES, 0});
    asr_cli_end(&p);
    if (id < 0 || p.status)
        return p.status;
    asr_rulelist_format f = p.c.format == ASR_OUT_JSON       ? ASR_RULELIST_JSON
                            : p.c.format == ASR_OUT_MARKDOWN ? ASR_RULELIST_MARKDOWN
                                                             : ASR_RULELIST_TEXT;
    asr_diag d;
    asr_diag_init(&d, 200);
    char *text = NULL;
    size_t len = 0;
    FILE *out = p.c.output ? open_memstream(&text, &len) : stdout;
    if (!out) {
        asr_diag_free(&d);
        return ASR_E_INTERNAL;
    }
    asr_status st = asr_rulelist_run(p.c.rules, p.c.map, &p.c.runner, f, out, &d);
    if (p.c.output) {
        /* the whole list, then atomically to the file: never half a list */
        if (fclose(out) != 0 && st == ASR_OK)
            st = ASR_E_IO;
        asr_inputs in = {0};
        add_inputs(&in, p.c.map, p.c.rules);
        asr_outfile of;
        if (st == ASR_OK &&
            (st = asr_outfile_open(&of, p.c.output, "--output", &in, &d)) == ASR_OK) {
            fwrite(text, 1, len, of.f);
            st = ferror(of.f) ? asr_outfile_fail(&of, &d)
                              : asr_outfile_commit(&of, "--output", &in, &d);
        }
        asr_inputs_free(&in);
        free(text);
    }
    asr_cli_problems(&d);
    asr_diag_free(&d);
    return st;
}

const asr_verb asr_verb_rules = {
    "rules",
    "list the rules: what each flags, its severity, what it covers, its parameters",
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
