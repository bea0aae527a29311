/* assure history: the recorded runs. */
#include <stdio.h>

#include "cmd.h"
#include "histreport.h"

enum { OPT_LIMIT = ASR_OPT_OWN };

static const asr_opt options[] = {
    {ASR_OPT_DB, "db", 'd', "FILE", "the database holding the run history"},
    {OPT_LIMIT, "limit", 'n', "N", "only the newest N runs"},
    {ASR_OPT_FORMAT, "format", 'f', "FORMAT", "text (default), csv or json"},
    {ASR_OPT_OUTPUT, "output", 'o', "FILE",
     "write to FILE (atomically) instead of standard output"},
};

static int run(const asr_verb *v, int argc, char **argv)
{
    asr_cli p;
    const char *arg;
    int id;
    long long limit = 0;
    asr_cli_begin(&p, v, argc, argv);
    while ((id = asr_cli_next(&p, &arg)) > 0)
        if (id == OPT_LIMIT && (limit = asr_cli_count(arg)) < 1) {
            asr_cli_usage(&p, "--limit takes a number of runs, not '%s'", arg);
            id = -1;
            break;
        }
    if (id == 0 && !asr_cli_no_args(&p))
        asr_cli_require(&p, (const int[]){ASR_OPT_DB, 0});
    asr_status st = (asr_status)p.status;
    if (id >= 0 && !p.status) {
        asr_diag d;
        asr_diag_init(&d, ASR_DIAG_LIMIT);
        st = asr_history_show(p.c.db, (size_t)limit, asr_cli_find_format(&p), p.c.output, stdout,
                              &d);
        asr_cli_problems(&d);
        asr_diag_free(&d);
    }
    asr_cli_end(&p);
    return st;
}

const asr_verb asr_verb_history = {
    "history",
    "list the runs recorded in the database",
    "assure history --db FILE [options]",
    "Lists the runs 'assure run' recorded, oldest first: each run's number, when\n"
    "it was recorded, its as-of date, its findings by severity, how many were\n"
    "new, recurring, reopened and resolved against the run before, and its\n"
    "outcome. Reads the database only.\n",
    options,
    sizeof options / sizeof options[0],
    ASR_OUT(ASR_OUT_TEXT) | ASR_OUT(ASR_OUT_CSV) | ASR_OUT(ASR_OUT_JSON),
    "0 listed; 64 bad command line; 65 not an assure database; 66 the database is missing; "
    "73/74 the output cannot be written.",
    run,
};
