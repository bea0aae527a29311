/* assure diff: what changed between two recorded runs. */
#include <stdio.h>

#include "cmd.h"
#include "histreport.h"

enum { OPT_SINCE = ASR_OPT_OWN };

static const asr_opt options[] = {
    {ASR_OPT_DB, "db", 'd', "FILE", "the database holding the run history"},
    {OPT_SINCE, "since", 's', "DATE",
     "compare the latest run with the last run as of DATE or earlier (e.g. the last board's)"},
    {ASR_OPT_FORMAT, "format", 'f', "FORMAT", "text (default), csv or json"},
    {ASR_OPT_OUTPUT, "output", 'o', "FILE",
     "write to FILE (atomically) instead of standard output"},
};

static int run(const asr_verb *v, int argc, char **argv)
{
    asr_cli p;
    const char *arg, *since = NULL;
    int id;
    asr_cli_begin(&p, v, argc, argv);
    while ((id = asr_cli_next(&p, &arg)) > 0)
        if (id == OPT_SINCE)
            since = arg;
    if (id == 0 && p.n_args > 2)
        asr_cli_usage(&p, "unexpected argument '%s' (give at most two runs)", p.args[2]);
    if (id == 0 && !p.status && since && p.n_args > 0)
        asr_cli_usage(&p, "give --since or runs, not both");
    if (id == 0 && !p.status)
        asr_cli_require(&p, (const int[]){ASR_OPT_DB, 0});
    asr_status st = (asr_status)p.status;
    if (id >= 0 && !p.status) {
        asr_diff_opts o = {p.c.db, p.n_args > 0 ? p.args[0] : NULL, p.n_args > 1 ? p.args[1] : NULL,
                           since,  asr_cli_find_format(&p),         p.c.output};
        asr_diag d;
        asr_diag_init(&d, ASR_DIAG_LIMIT);
        st = asr_diff(&o, stdout, &d);
        asr_cli_problems(&d);
        asr_diag_free(&d);
    }
    asr_cli_end(&p);
    return st;
}

const asr_verb asr_verb_diff = {
    "diff",
    "what changed between two recorded runs",
    "assure diff --db FILE [RUN_A [RUN_B]] [--since DATE] [options]",
    "Lists the findings that are new, reopened, worsened (their severity went up)\n"
    "or resolved between two runs recorded by 'assure run': by default the last\n"
    "two; RUN_A alone compares it with the latest; --since DATE compares the\n"
    "latest with the last run as of DATE or earlier, such as the last board's.\n"
    "Grouped by change, then severity and business group, like the exception\n"
    "list. Reads the database only.\n",
    options,
    sizeof options / sizeof options[0],
    ASR_OUT(ASR_OUT_TEXT) | ASR_OUT(ASR_OUT_CSV) | ASR_OUT(ASR_OUT_JSON),
    "0 listed (whether or not anything changed); 64 bad command line or no such run; 65 not "
    "an assure database; 66 the database is missing; 73/74 the output cannot be written.",
    run,
};
