/* assure explain: why a finding exists, for a person. */
#include <stdio.h>

#include "cmd.h"
#include "explain.h"

enum { OPT_RUN = ASR_OPT_OWN };

static const asr_opt options[] = {
    {ASR_OPT_DB, "db", 'd', "FILE", "the database holding the run history (or the data)"},
    {OPT_RUN, "run", 0, "N", "the recorded run to look in (default: the latest)"},
    {ASR_OPT_MAP, "map", 'm', "FILE",
     "with --rules: run the rules now and explain\none of their findings"},
    {ASR_OPT_RULES, "rules", 'r', "DIR", "the rule files, for a check run now"},
    {ASR_OPT_AS_OF, "as-of", 'a', "DATE", "for a check run now: its date (default today)"},
    {ASR_OPT_JOBS, "jobs", 'j', "N", "for a check run now: rules run at once"},
    {ASR_OPT_TIMEOUT, "timeout", 0, "SECONDS", "for a check run now: per-rule time budget"},
    {ASR_OPT_FORMAT, "format", 'f', "FORMAT", "text (default) or json"},
    {ASR_OPT_OUTPUT, "output", 'o', "FILE",
     "write to FILE (atomically) instead of standard output"},
};

static int run(const asr_verb *v, int argc, char **argv)
{
    asr_cli p;
    const char *arg;
    int id;
    long long run_id = 0;
    char as_of[11] = "";
    asr_cli_begin(&p, v, argc, argv);
    while ((id = asr_cli_next(&p, &arg)) > 0)
        if (id == OPT_RUN && (run_id = asr_cli_count(arg)) < 1) {
            asr_cli_usage(&p, "--run takes a run number (see 'assure history'), not '%s'", arg);
            id = -1;
            break;
        }
    if (id == 0) {
        if (p.n_args == 0)
            asr_cli_usage(&p, "give the fingerprint of the finding to explain");
        else if (p.n_args > 1)
            asr_cli_usage(&p, "give one fingerprint, not %d arguments", p.n_args);
        else if (!asr_cli_require(&p, (const int[]){ASR_OPT_DB, 0}) && !p.c.map != !p.c.rules)
            asr_cli_usage(&p, "--map and --rules go together (a check run now)");
        else if (p.c.map && run_id)
            asr_cli_usage(&p, "--run reads a recorded run; --map and --rules run a check now");
        else if (p.c.map && asr_cli_as_of(&p, as_of)) {
            fputs("assure explain: cannot read today's date; give --as-of\n", stderr);
            asr_cli_end(&p);
            return ASR_E_INTERNAL;
        }
    }
    asr_status st = (asr_status)p.status;
    if (id >= 0 && !p.status) {
        asr_explain_opts o = {0};
        o.db_path = p.c.db;
        o.fingerprint = p.args[0];
        o.run = run_id;
        o.map_path = p.c.map;
        o.rules_dir = p.c.rules;
        o.as_of = as_of;
        o.runner = p.c.runner;
        o.format = asr_cli_find_format(&p) == ASR_FMT_JSON ? ASR_FMT_JSON : ASR_FMT_TEXT;
        o.output = p.c.output;
        asr_diag d;
        asr_diag_init(&d, ASR_DIAG_LIMIT);
        st = asr_explain(&o, stdout, &d);
        asr_cli_problems(&d);
        asr_diag_free(&d);
    }
    asr_cli_end(&p);
    return st;
}

const asr_verb asr_verb_explain = {
    "explain",
    "why a finding exists: its rule, rows, parameters and dates",
    "assure explain FINGERPRINT --db FILE [options]",
    "Explains one finding for a person who wants to re-perform it by hand: the\n"
    "rule's title and description, the finding's words, the as-of date, the\n"
    "rule's parameters in effect, its evidence, every date against the as-of\n"
    "date in days, and the rows it rests on with their values. FINGERPRINT is\n"
    "the finding's fingerprint or its first digits (at least 4) when no other\n"
    "finding shares them. The finding is looked for in the latest run 'assure\n"
    "run' recorded (or --run N); with --map and --rules the rules run now and\n"
    "it is looked for among their findings. Reads the database only.\n",
    options,
    sizeof options / sizeof options[0],
    ASR_OUT(ASR_OUT_TEXT) | ASR_OUT(ASR_OUT_JSON),
    "0 explained; 64 bad command line, not a fingerprint, or a prefix several findings "
    "share; 65 not an assure database; 66 no such finding, no run recorded, or the "
    "database is missing; 70 internal error; 73/74 the output cannot be written; "
    "75 the database is busy; 78 bad map or rule file.",
    run,
};
