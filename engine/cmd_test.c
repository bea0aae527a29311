/* assure test: runs the rules' test cases and reports coverage. */
#include <stdio.h>

#include "cmd.h"
#include "mutate.h"
#include "ruletest.h"

enum {
    OPT_FILTER = ASR_OPT_OWN,
    OPT_COVERAGE,
    OPT_HTML,
    OPT_MIN,
    OPT_MIN_MAP,
    OPT_MUTATE,
    OPT_MIN_MUTATION
};

static const asr_opt options[] = {
    {ASR_OPT_RULES, "rules", 'r', "DIR",
     "the rules and their test files; again for more directories: a later one's rule (and test "
     "file of the same name) replaces an earlier one's"},
    {ASR_OPT_MAP, "map", 'm', "FILE", "the map for cases whose test file names none"},
    {OPT_FILTER, "filter", 0, "TEXT", "run only cases whose name or rule id contains TEXT"},
    {ASR_OPT_FORMAT, "format", 'f', "FORMAT", "text (default), json or junit"},
    {ASR_OPT_OUTPUT, "output", 'o', "FILE",
     "write the report to FILE (atomically) instead of standard output"},
    {OPT_COVERAGE, "coverage", 0, NULL,
     "add the coverage report: rule lines run, rules seen firing and quiet, and the map the "
     "rules cover"},
    {OPT_HTML, "coverage-html", 0, "F", "write the coverage matrix as an HTML page to F"},
    {OPT_MIN, "min-coverage", 0, "N", "fail unless line and behaviour coverage are >= N%"},
    {OPT_MIN_MAP, "min-map-coverage", 0, "N",
     "fail unless >= N% of the map's required cells are tested (a rule seen firing and quiet "
     "there)"},
    {OPT_MUTATE, "mutate", 0, NULL,
     "mutation testing: run each rule's cases against small changes of the rule (mutants) "
     "and report those no case notices"},
    {OPT_MIN_MUTATION, "min-mutation", 0, "N",
     "with --mutate: fail unless at least N% of the mutants are killed"},
    {ASR_OPT_JOBS, "jobs", 'j', "N",
     "rules (or mutants) run at once within a case (default: cores)"},
    {ASR_OPT_TIMEOUT, "timeout", 0, "SECONDS",
     "per-rule time budget (default 30; 5 with --mutate, where a mutant past it is killed)"},
};

static int run(const asr_verb *v, int argc, char **argv)
{
    asr_cli p;
    const char *arg;
    int id;
    long long n;
    asr_test_opts o = {0};
    o.min_coverage = -1;
    o.min_map_coverage = -1;
    int mutate = 0, timeout_given = 0;
    double min_mutation = -1;
    asr_cli_begin(&p, v, argc, argv);
    while ((id = asr_cli_next(&p, &arg)) > 0) {
        switch (id) {
        case OPT_FILTER:
            o.filter = arg;
            break;
        case OPT_COVERAGE:
            o.coverage = 1;
            break;
        case OPT_HTML:
            o.html = arg;
            break;
        case OPT_MIN:
            if ((n = asr_cli_count(arg)) < 0 || n > 100) {
                asr_cli_usage(&p, "--min-coverage takes a percentage, not '%s'", arg);
                id = -1;
            }
            o.min_coverage = (double)n;
            o.coverage = 1;
            break;
        case OPT_MIN_MAP:
            if ((n = asr_cli_count(arg)) < 0 || n > 100) {
                asr_cli_usage(&p, "--min-map-coverage takes a percentage, not '%s'", arg);
                id = -1;
            }
            o.min_map_coverage = (double)n;
            o.coverage = 1;
            break;
        case OPT_MUTATE:
            mutate = 1;
            break;
        case ASR_OPT_TIMEOUT:
            timeout_given = 1;
            break;
        case OPT_MIN_MUTATION:
            if ((n = asr_cli_count(arg)) < 0 || n > 100) {
                asr_cli_usage(&p, "--min-mutation takes a percentage, not '%s'", arg);
                id = -1;
            }
            min_mutation = (double)n;
            mutate = 1;
            break;
        default:
            break;
        }
        if (id < 0)
            break;
    }
    if (id == 0 && !asr_cli_no_args(&p))
        asr_cli_require(&p, (const int[]){ASR_OPT_RULES, 0});
    if (id == 0 && !p.status && mutate && (o.coverage || o.html))
        asr_cli_usage(&p, "--mutate does not measure coverage: run it apart from --coverage");
    asr_cli_end(&p);
    if (id < 0 || p.status)
        return p.status;
    o.rules_dir = p.c.rules;
    o.map_path = p.c.map;
    o.output = p.c.output;
    o.format = p.c.format == ASR_OUT_JSON    ? ASR_TEST_JSON
               : p.c.format == ASR_OUT_JUNIT ? ASR_TEST_JUNIT
                                             : ASR_TEST_TEXT;
    o.runner = p.c.runner;
    asr_diag d;
    asr_diag_init(&d, ASR_DIAG_LIMIT);
    asr_status st;
    if (mutate) {
        /* A mutant can loop for ever (a step of 1 made 0): with no
         * --timeout, give up on one after 5 s rather than 30. */
        if (!timeout_given)
            o.runner.budget.seconds = ASR_MUTATE_SECONDS;
        asr_mutate_opts mo = {o, p.c.output, min_mutation};
        st = asr_mutate_run(&mo, stdout, &d);
    } else {
        st = asr_ruletest_run(&o, stdout, &d);
    }
    asr_cli_problems(&d);
    if (fflush(stdout) != 0)
        st = ASR_E_IO;
    asr_diag_free(&d);
    return st;
}

const asr_verb asr_verb_test = {
    "test",
    "run the rules' test cases and report coverage",
    "assure test --rules DIR [--map FILE] [options]",
    "Runs the rule test cases in DIR/*.test.yaml. Each case gets a fresh database\n"
    "holding its own data (checked like a real import), runs its rules, and\n"
    "compares their findings with the expected ones: a missing or unexpected\n"
    "finding, or a rule failure the case does not expect, fails the case.\n"
    "With --mutate, each rule is changed in small ways (a `<` made `<=`, a\n"
    "condition negated, a constant off by one, ...) and its cases are run\n"
    "against every change: a change no case notices survives, and is listed.\n",
    options,
    sizeof options / sizeof options[0],
    ASR_OUT(ASR_OUT_TEXT) | ASR_OUT(ASR_OUT_JSON) | ASR_OUT(ASR_OUT_JUNIT),
    "0 all passed (and coverage met); 1 a case failed, coverage is below --min-coverage or "
    "--min-map-coverage, or the mutation score below --min-mutation; 66 no test files; 73/74 "
    "an output cannot be written; 78 a bad test or rule file; 64 bad command line.",
    run,
};
