/* assure report: the board pack, one self-contained HTML file (or the
 * assurance map alone, as HTML, CSV or JSON; or the appendix's findings as
 * an Excel workbook). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "htmlreport.h"

enum { OPT_RUN = ASR_OPT_OWN, OPT_SINCE, OPT_SECTION, OPT_FORMAT, OPT_TREND };

static const asr_opt options[] = {
    {ASR_OPT_MAP, "map", 'm', "FILE", "the assurance map (must be the one last imported)"},
    {ASR_OPT_DB, "db", 'd', "FILE", "the database"},
    {ASR_OPT_RULES, "rules", 'r', "DIR",
     "the rule files: to run the check now when no run is recorded, and for the rules' "
     "titles"},
    {OPT_RUN, "run", 0, "N", "report recorded run N (default: the latest)"},
    {OPT_SINCE, "since", 's', "RUN|DATE",
     "compare with run RUN, or the last run as of DATE or earlier (default: the run before)"},
    {OPT_SECTION, "section", 0, "map", "only the assurance map"},
    {OPT_FORMAT, "format", 'f', "FORMAT",
     "html (default); csv or json: the assurance map's matrix; xlsx: every finding as a "
     "workbook"},
    {ASR_OPT_OUTPUT, "output", 'o', "FILE",
     "write to FILE (atomically) instead of standard output"},
    {OPT_TREND, "trend", 0, "N", "runs in the open-findings chart (default 12)"},
    {ASR_OPT_AS_OF, "as-of", 'a', "DATE",
     "with no recorded run: evaluate as at this date (default today)"},
    {ASR_OPT_JOBS, "jobs", 'j', "N", "rules run at once, when the check runs now"},
    {ASR_OPT_TIMEOUT, "timeout", 0, "SECONDS", "per-rule time budget (default 30)"},
    {ASR_OPT_MEMORY, "memory", 0, "MB", "per-rule memory budget (default 256)"},
    {ASR_OPT_MAX_FINDINGS, "max-findings", 0, "N", "per-rule output budget (default 10000)"},
    {ASR_OPT_BUSY_TIMEOUT, "busy-timeout", 0, "MS",
     "wait this long for a database locked by another process (default 5000)"},
};

static int run(const asr_verb *v, int argc, char **argv)
{
    asr_cli p;
    const char *arg;
    int id;
    asr_board_opts o = {0};
    o.format = ASR_BOARD_HTML;
    asr_cli_begin(&p, v, argc, argv);
    while ((id = asr_cli_next(&p, &arg)) > 0) {
        if (id == OPT_RUN) {
            o.run = arg;
        } else if (id == OPT_SINCE) {
            o.since = arg;
        } else if (id == OPT_SECTION) {
            if (strcmp(arg, "map") != 0) {
                asr_cli_usage(&p, "--section takes map, not '%s'", arg);
                id = -1;
                break;
            }
            o.map_only = 1;
        } else if (id == OPT_FORMAT) {
            if (strcmp(arg, "html") == 0)
                o.format = ASR_BOARD_HTML;
            else if (strcmp(arg, "csv") == 0)
                o.format = ASR_BOARD_CSV;
            else if (strcmp(arg, "json") == 0)
                o.format = ASR_BOARD_JSON;
            else if (strcmp(arg, "xlsx") == 0)
                o.format = ASR_BOARD_XLSX;
            else {
                asr_cli_usage(&p, "--format takes html, csv, json or xlsx, not '%s'", arg);
                id = -1;
                break;
            }
        } else if (id == OPT_TREND) {
            long long n = asr_cli_count(arg);
            if (n < 1 || n > 1000) {
                asr_cli_usage(&p, "--trend takes a number from 1 to 1000, not '%s'", arg);
                id = -1;
                break;
            }
            o.trend_runs = (size_t)n;
        }
    }
    if (id == 0 && !asr_cli_no_args(&p))
        asr_cli_require(&p, (const int[]){ASR_OPT_MAP, ASR_OPT_DB, 0});
    if (id == 0 && !p.status && o.format == ASR_BOARD_XLSX && o.map_only)
        asr_cli_usage(&p, "--section map comes as html, csv or json; xlsx is the appendix's "
                          "findings");
    if (id == 0 && !p.status && o.format == ASR_BOARD_XLSX && !p.c.output &&
        isatty(STDOUT_FILENO)) {
        fputs("assure report: --format xlsx writes a workbook, not text for a terminal; give "
              "--output FILE.xlsx\n",
              stderr);
        asr_cli_end(&p);
        return ASR_E_USAGE;
    }
    char as_of[11];
    if (id == 0 && !p.status && asr_cli_as_of(&p, as_of)) {
        fputs("assure report: cannot read today's date; give --as-of\n", stderr);
        asr_cli_end(&p);
        return ASR_E_INTERNAL;
    }
    asr_status st = (asr_status)p.status;
    if (id == 0 && !p.status) {
        o.map_path = p.c.map;
        o.db_path = p.c.db;
        o.rules_dir = p.c.rules;
        o.as_of = as_of;
        o.output = p.c.output;
        o.busy_ms = (int)p.c.busy_ms;
        o.runner = p.c.runner;
        asr_diag d;
        asr_diag_init(&d, ASR_DIAG_LIMIT);
        st = asr_board_report(&o, stdout, &d);
        asr_cli_problems(&d);
        asr_diag_free(&d);
    }
    asr_cli_end(&p);
    return st;
}

const asr_verb asr_verb_report = {
    "report",
    "the board pack: the assurance map, findings, ageing (HTML)",
    "assure report --map FILE --db FILE [--run N] [--since RUN|DATE] [options]",
    "Writes the board pack as one self-contained HTML file (no scripts, nothing\n"
    "fetched): a summary, the assurance map as a picture (each area and line\n"
    "assured, weak, out of date, missing, suspended or planned), findings by\n"
    "business group and principle, the high-severity exceptions, ageing, and an\n"
    "appendix with every finding and the method. It reports the latest run\n"
    "recorded by 'assure run' (or --run N) against the run before (or --since);\n"
    "with no run recorded, it runs the check now with --rules and --as-of.\n"
    "--section map gives the map alone; --format csv or json its matrix, for\n"
    "people who keep the map in a spreadsheet; --format xlsx the appendix's\n"
    "findings as an Excel workbook. Reads the database only.\n",
    options,
    sizeof options / sizeof options[0],
    0,
    "0 written; 64 bad command line, no such run, or no run and no --rules; 65 the database "
    "holds another map; 66 a file is missing; 73/74 the output cannot be written; 75 the "
    "database is busy; 78 a bad map or rule file.",
    run,
};
