/* assure check: runs the rules against the imported data and prints the
 * exception list. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "check.h"
#include "cmd.h"
#include "explain.h"
#include "junit.h"
#include "run.h"

enum {
    OPT_RULE = ASR_OPT_OWN,
    OPT_PROFILE,
    OPT_REPLAY,
    OPT_PROFILE_JSON,
    OPT_NO_BOM,
    OPT_BY_GROUP,
    OPT_EXPLAIN
};

static const asr_opt options[] = {
    {ASR_OPT_MAP, "map", 'm', "FILE", "the assurance map (must be the one last imported)"},
    {ASR_OPT_DB, "db", 'd', "FILE", "the database written by 'assure import'"},
    {ASR_OPT_RULES, "rules", 'r', "DIR",
     "the rule files (*.lua); again for more directories (local rules): a later one's rule "
     "replaces an earlier one's of the same id"},
    {ASR_OPT_AS_OF, "as-of", 'a', "DATE", "evaluate as at this date (YYYY-MM-DD; default today)"},
    {OPT_RULE, "rule", 0, "ID", "run only this rule (repeat for more)"},
    {ASR_OPT_FORMAT, "format", 'f', "FORMAT",
     "text (default), csv, json, jsonl, xlsx (Excel) or junit (a testcase per rule, a failure "
     "per finding)"},
    {OPT_NO_BOM, "no-bom", 0, NULL,
     "CSV: leave out the UTF-8 byte-order mark (for tools that dislike it)"},
    {OPT_BY_GROUP, "xlsx-by-group", 0, NULL, "xlsx: also a sheet per business group"},
    {ASR_OPT_OUTPUT, "output", 'o', "FILE",
     "write to FILE (atomically) instead of standard output"},
    {ASR_OPT_JOBS, "jobs", 'j', "N", "rules run at once (default: the number of cores)"},
    {ASR_OPT_TIMEOUT, "timeout", 0, "SECONDS", "per-rule time budget (default 30)"},
    {ASR_OPT_MEMORY, "memory", 0, "MB", "per-rule memory budget (default 256)"},
    {ASR_OPT_MAX_FINDINGS, "max-findings", 0, "N", "per-rule output budget (default 10000)"},
    {OPT_REPLAY, "replay", 0, "RUN",
     "evaluate recorded run RUN again (its as-of date, against the run before it) and say "
     "whether the exception list is byte-identical, or which input has changed"},
    {OPT_EXPLAIN, "explain", 0, NULL,
     "explain every finding instead of listing it: rule, rows, parameters, dates (text or "
     "json; see 'assure explain')"},
    {OPT_PROFILE, "profile", 0, NULL,
     "print each rule's time, Lua instructions, rows read, findings and peak memory to "
     "standard error"},
    {OPT_PROFILE_JSON, "profile-json", 0, "FILE", "write the same as JSON to FILE (atomically)"},
    {ASR_OPT_PROGRESS, "progress", 0, NULL,
     "progress as a timestamped line every few seconds, even when standard error is not a "
     "terminal (for a scheduler's log)"},
};

/* The width text is wrapped to: $COLUMNS when it is a number, else the
 * terminal's when the list goes to standard output and that is one, else 80. */
static int text_width(int to_stdout)
{
    const char *env = getenv("COLUMNS");
    char *end;
    long n = env && *env ? strtol(env, &end, 10) : 0;
    if (env && *env && *end == '\0' && n > 0 && n < 10000)
        return (int)n;
    struct winsize ws;
    if (to_stdout && isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
        ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

/* --profile: where the time went, slowest rule first, on standard error;
 * --profile-json: the same as one JSON document in a file. */
static void print_profile(const asr_check *c, FILE *json)
{
    size_t *order = asr_xcalloc(c->n_rules ? c->n_rules : 1, sizeof *order), k = 0;
    for (size_t i = 0; i < c->n_rules; i++)
        if (c->run[i])
            order[k++] = i;
    for (size_t i = 1; i < k; i++)
        for (size_t j = i;
             j > 0 && c->rules[order[j]].elapsed_ms > c->rules[order[j - 1]].elapsed_ms; j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    if (json) {
        fputs("{\"profile\": [", json);
        for (size_t i = 0; i < k; i++) {
            const asr_rule_result *r = &c->rules[order[i]];
            fprintf(json, "%s\n  {\"rule\": ", i ? "," : "");
            asr_json_string(json, r->rule.id);
            fprintf(json,
                    ", \"ms\": %.1f, \"instructions\": %llu, \"rows_read\": %lld, "
                    "\"findings\": %zu, \"memory_bytes\": %zu, \"failed\": ",
                    r->elapsed_ms, (unsigned long long)r->instructions, r->rows_read, r->n_findings,
                    r->memory_peak);
            if (r->fail)
                fprintf(json, "\"%s\"}", asr_fail_kind_name(r->fail));
            else
                fputs("null}", json);
        }
        fprintf(json, "],\n \"total_ms\": %.1f}\n", c->elapsed_ms);
        free(order);
        return;
    }
    /* The budget hook counts instructions in steps of 1,000. */
    fprintf(stderr, "%-32s %10s %14s %12s %9s %10s\n", "rule", "ms", "k instructions", "rows read",
            "findings", "memory KB");
    for (size_t i = 0; i < k; i++) {
        const asr_rule_result *r = &c->rules[order[i]];
        fprintf(stderr, "%-32s %10.1f %14llu %12lld %9zu %10zu%s%s\n", r->rule.id, r->elapsed_ms,
                (unsigned long long)(r->instructions / 1000), r->rows_read, r->n_findings,
                r->memory_peak / 1024, r->fail ? "  FAILED: " : "",
                r->fail ? asr_fail_kind_name(r->fail) : "");
    }
    fprintf(stderr, "%-32s %10.1f  (whole run, wall clock)\n", "total", c->elapsed_ms);
    free(order);
}

/* --format junit: the run's results as JUnit XML, to the --output file
 * (atomically, never over an input) or to standard output. */
static asr_status write_junit(const asr_check *c, const char *output, asr_diag *d)
{
    if (!output) {
        int bad = asr_junit_check(stdout, c);
        if (bad && c->ordered && asr_findspool_error(c->ordered))
            asr_error(d, NULL, NULL, "%s", asr_findspool_error(c->ordered));
        return bad || fflush(stdout) != 0 || ferror(stdout) ? ASR_E_IO : ASR_OK;
    }
    asr_outfile of;
    asr_status st = asr_outfile_open(&of, output, "--output", &c->inputs, d);
    if (st != ASR_OK)
        return st;
    if (asr_junit_check(of.f, c)) {
        if (c->ordered && asr_findspool_error(c->ordered))
            asr_error(d, NULL, NULL, "%s", asr_findspool_error(c->ordered));
        asr_outfile_abort(&of);
        return ASR_E_IO;
    }
    if (ferror(of.f))
        return asr_outfile_fail(&of, d);
    return asr_outfile_commit(&of, "--output", &c->inputs, d);
}

/* --replay RUN: the run evaluated again and compared. */
static int replay_run(asr_cli *p, long long run, const char **only)
{
    free(only);
    asr_replay_opts o = {p->c.map, p->c.db, p->c.rules, run, p->c.runner};
    asr_diag d;
    asr_diag_init(&d, ASR_DIAG_LIMIT);
    int identical = 0;
    asr_status st = asr_replay(&o, &d, &identical);
    asr_cli_problems(&d);
    if (st == ASR_OK) {
        printf("replay of run %lld: %s\n", run,
               identical ? "identical: the same exception list, byte for byte"
                         : "the exception list differs from the one recorded");
        st = identical ? ASR_OK : ASR_FINDINGS;
    }
    asr_diag_free(&d);
    return st;
}

static int run(const asr_verb *v, int argc, char **argv)
{
    asr_cli p;
    const char *arg;
    int id, profile = 0, explain = 0;
    const char *profile_json = NULL;
    asr_check_style style = {0, 0, 0};
    long long replay = 0;
    const char **only = asr_xcalloc((size_t)argc + 1, sizeof *only);
    size_t n_only = 0;
    char as_of[11];
    asr_cli_begin(&p, v, argc, argv);
    while ((id = asr_cli_next(&p, &arg)) > 0) {
        if (id == OPT_RULE)
            only[n_only++] = arg;
        else if (id == OPT_PROFILE)
            profile = 1;
        else if (id == OPT_PROFILE_JSON)
            profile_json = arg;
        else if (id == OPT_NO_BOM)
            style.no_bom = 1;
        else if (id == OPT_BY_GROUP)
            style.xlsx_by_group = 1;
        else if (id == OPT_EXPLAIN)
            explain = 1;
        else if (id == OPT_REPLAY && (replay = asr_cli_count(arg)) < 1) {
            asr_cli_usage(&p, "--replay takes a run number (see 'assure history'), not '%s'", arg);
            id = -1;
            break;
        }
    }
    if (id == 0 && !asr_cli_no_args(&p))
        asr_cli_require(&p, (const int[]){ASR_OPT_MAP, ASR_OPT_DB, ASR_OPT_RULES, 0});
    asr_format explain_fmt = asr_cli_find_format(&p);
    if (id == 0 && !p.status && explain && explain_fmt != ASR_FMT_TEXT &&
        explain_fmt != ASR_FMT_JSON)
        asr_cli_usage(&p, "--explain writes text or json");
    asr_cli_end(&p);
    if (id < 0 || p.status) {
        free(only);
        return p.status;
    }
    if (replay)
        return replay_run(&p, replay, only);
    if (asr_cli_find_format(&p) == ASR_FMT_XLSX && !p.c.output && isatty(STDOUT_FILENO)) {
        free(only);
        fputs("assure check: --format xlsx writes a workbook, not text for a terminal; give "
              "--output FILE.xlsx\n",
              stderr);
        return ASR_E_USAGE;
    }
    if (asr_cli_as_of(&p, as_of)) {
        free(only);
        fputs("assure check: cannot read today's date; give --as-of\n", stderr);
        return ASR_E_INTERNAL;
    }

    asr_check_opts o = {0};
    o.map_path = p.c.map;
    o.db_path = p.c.db;
    o.rules_dir = p.c.rules;
    o.only = only;
    o.n_only = n_only;
    o.as_of = as_of;
    int junit = p.c.format == ASR_OUT_JUNIT;
    /* junit and explain: findings as structs */
    o.format = junit || explain ? ASR_FMT_TEXT : asr_cli_find_format(&p);
    o.output = p.c.output;
    /* the list is only written: kept on disk in reading order, not held */
    o.spool_findings = explain ? 0 : junit ? 2 : 1;
    o.runner = p.c.runner;
    /* rules done and at work, on standard error; cleared before the list */
    o.runner.progress = asr_cli_progress(&p);
    asr_diag d;
    asr_diag_init(&d, ASR_DIAG_LIMIT);
    asr_check c;
    asr_status st = asr_check_run(&o, &d, &c);
    asr_progress_free(o.runner.progress);
    asr_cli_problems(&d);
    if (st == ASR_OK) {
        for (size_t i = 0; i < c.n_rules; i++)
            for (size_t k = 0; k < c.rules[i].n_logs; k++) {
                fputs("log: ", stderr);
                asr_fputs_term(c.rules[i].rule.id, stderr);
                fputs(": ", stderr);
                asr_fputs_term(c.rules[i].logs[k], stderr);
                fputc('\n', stderr);
            }
        const char *no_color = getenv("NO_COLOR");
        int color = !o.output && o.format == ASR_FMT_TEXT && isatty(STDOUT_FILENO) &&
                    !(no_color && *no_color);
        asr_diag od;
        asr_diag_init(&od, ASR_DIAG_LIMIT);
        style.width = text_width(!o.output);
        st = explain ? asr_explain_check(&c, o.db_path, explain_fmt, o.output, stdout, &od)
             : junit ? write_junit(&c, o.output, &od)
                     : asr_check_write_styled(&c, o.format, o.output, stdout, color, &style, &od);
        if (profile)
            print_profile(&c, NULL);
        if (profile_json && st == ASR_OK) {
            asr_outfile pf;
            if ((st = asr_outfile_open(&pf, profile_json, "--profile-json", &c.inputs, &od)) ==
                ASR_OK) {
                print_profile(&c, pf.f);
                st = ferror(pf.f) ? asr_outfile_fail(&pf, &od)
                                  : asr_outfile_commit(&pf, "--profile-json", &c.inputs, &od);
            }
        }
        asr_cli_problems(&od);
        asr_diag_free(&od);
        if (st == ASR_OK)
            st = asr_check_outcome(&c);
    }
    asr_check_free(&c);
    asr_diag_free(&d);
    free(only);
    return st;
}

const asr_verb asr_verb_check = {
    "check",
    "run the rules and print the exception list",
    "assure check --map FILE --db FILE --rules DIR [options]",
    "Runs the rules in DIR against the imported data and prints the exception\n"
    "list. Each rule runs in its own sandboxed worker process with its own time,\n"
    "memory and output budget; a rule that fails is reported with the kind of\n"
    "failure (timeout, memory, output, runtime, crash, sandbox) and the other\n"
    "rules' results are still produced.\n",
    options,
    sizeof options / sizeof options[0],
    ASR_OUT(ASR_OUT_TEXT) | ASR_OUT(ASR_OUT_CSV) | ASR_OUT(ASR_OUT_JSON) | ASR_OUT(ASR_OUT_JSONL) |
        ASR_OUT(ASR_OUT_XLSX) | ASR_OUT(ASR_OUT_JUNIT),
    "0 no exceptions (with --replay: identical); 1 exceptions found (with --replay: it "
    "differs); 2 some rules failed (the other results are still produced); 64 bad command line; 65 "
    "the database holds another map; 66 a file is missing; "
    "73/74 the output cannot be written; 75 database busy; 78 a bad map or rule file.",
    run,
};
