/* assure import: loads tracker exports into the database, all or nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "import.h"

enum { OPT_MAX_SIZE = ASR_OPT_OWN, OPT_ACCEPT_GATE };

static const asr_opt options[] = {
    {ASR_OPT_MAP, "map", 'm', "FILE", "the assurance map declaring the datasets"},
    {ASR_OPT_DB, "db", 'd', "FILE", "the database (created if missing)"},
    {ASR_OPT_AS_OF, "as-of", 'a', "DATE",
     "the date the exports describe (YYYY-MM-DD; default today): dates their snapshots and is "
     "what the stale-export gate measures from"},
    {OPT_ACCEPT_GATE, "accept-gate", 0, "NAME",
     "let an export through the named sanity gate this once (empty-export, row-drop, "
     "stale-export); repeat for more"},
    {ASR_OPT_MAX_ERRORS, "max-errors", 0, "N",
     "list at most N problems, then count the rest (default 100; 0 = no limit)"},
    {OPT_MAX_SIZE, "max-file-size", 0, "BYTES", "refuse larger files (default 4 GiB; JSON 1 GiB)"},
    {ASR_OPT_BUSY_TIMEOUT, "busy-timeout", 0, "MS",
     "wait this long for a database locked by another process (default 5000)"},
    {ASR_OPT_QUIET, "quiet", 'q', NULL, "print nothing on success, and no progress"},
    {ASR_OPT_PROGRESS, "progress", 0, NULL,
     "progress as a timestamped line every few seconds, even when standard error is not a "
     "terminal (for a scheduler's log)"},
};

static void print_results(const asr_import_spec *specs, const asr_import_result *results, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const asr_import_result *r = &results[i];
        const char *rows = r->rows == 1 ? "row" : "rows";
        if (r->outcome == ASR_UNCHANGED)
            printf("%-24s unchanged: %s is identical to the last import (%lld %s)\n",
                   specs[i].dataset, specs[i].path, r->rows, rows);
        else if (r->previous_rows >= 0)
            printf("%-24s %lld %s from %s (replacing %lld)\n", specs[i].dataset, r->rows, rows,
                   specs[i].path, r->previous_rows);
        else
            printf("%-24s %lld %s from %s\n", specs[i].dataset, r->rows, rows, specs[i].path);
    }
}

static int run(const asr_verb *v, int argc, char **argv)
{
    asr_cli p;
    const char *arg;
    int id;
    long long max_size = 0;
    const char **accepted = asr_xcalloc((size_t)argc + 1, sizeof *accepted);
    size_t n_accepted = 0;
    asr_cli_begin(&p, v, argc, argv);
    while ((id = asr_cli_next(&p, &arg)) > 0) {
        if (id == OPT_MAX_SIZE && (max_size = asr_cli_count(arg)) <= 0) {
            asr_cli_usage(&p, "--max-file-size takes a number of bytes, not '%s'", arg);
            id = -1;
            break;
        }
        if (id == OPT_ACCEPT_GATE) {
            asr_gates probe;
            asr_gates_default(&probe);
            if (asr_gates_accept(&probe, arg)) {
                const char *hint = asr_did_you_mean(arg, asr_gate_names);
                asr_cli_usage(&p, "--accept-gate: no gate '%s'%s%s%s", arg,
                              hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
                id = -1;
                break;
            }
            accepted[n_accepted++] = arg;
        }
    }
    if (id == 0)
        asr_cli_require(&p, (const int[]){ASR_OPT_MAP, ASR_OPT_DB, 0});
    /* Each argument is DATASET=PATH; with none, only the map tables reload. */
    size_t n = id == 0 && !p.status ? (size_t)p.n_args : 0;
    asr_import_spec *specs = asr_xcalloc(n + 1, sizeof *specs);
    asr_import_result *results = asr_xcalloc(n + 1, sizeof *results);
    char **names = asr_xcalloc(n + 1, sizeof *names);
    for (size_t i = 0; i < n && !p.status; i++) {
        const char *a = p.args[i], *eq = strchr(a, '=');
        if (!eq || eq == a || !eq[1]) {
            asr_cli_usage(&p, "expected DATASET=PATH, got '%s'", a);
            break;
        }
        names[i] = asr_xstrndup(a, (size_t)(eq - a));
        specs[i].dataset = names[i];
        specs[i].path = eq + 1;
    }
    asr_status st = (asr_status)p.status;
    if (id >= 0 && !p.status) {
        asr_import_opts o = {p.c.map,
                             p.c.db,
                             (int)p.c.busy_ms,
                             {(unsigned long long)max_size, 0},
                             {NULL, NULL, -1, NULL, 0, NULL}};
        o.policy.as_of = p.c.as_of[0] ? p.c.as_of : NULL;
        o.policy.accepted = accepted;
        o.policy.n_accepted = n_accepted;
        asr_diag d;
        asr_diag_init(&d, (size_t)p.c.max_errors);
        /* rows and MB read, on standard error; cleared before the summary */
        o.policy.progress = asr_cli_progress(&p);
        st = asr_import_files(&o, specs, n, &d, results);
        asr_progress_free(o.policy.progress);
        asr_cli_problems(&d);
        if (st == ASR_OK && !p.c.quiet) {
            if (n == 0)
                printf("map tables loaded from %s\n", o.map_path);
            print_results(specs, results, n);
        } else if (st == ASR_E_DATA) {
            fprintf(stderr, "import rejected: %zu problem%s; the database was not changed\n",
                    d.errors, d.errors == 1 ? "" : "s");
        }
        asr_diag_free(&d);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(specs);
    free(results);
    free(accepted);
    asr_cli_end(&p);
    return st;
}

const asr_verb asr_verb_import = {
    "import",
    "load tracker exports (CSV, JSON, YAML, .xlsx) into the database",
    "assure import --map FILE --db FILE [options] [DATASET=PATH...]",
    "Loads tracker exports into the database, replacing each named dataset's rows\n"
    "with the file's; with no DATASET=PATH, only reloads the map tables. PATH is a\n"
    ".csv file (RFC 4180, UTF-8, a header row near the top), a .json file (an\n"
    "array of objects), a .yaml file, or a workbook: FILE.xlsx (its first sheet)\n"
    "or FILE.xlsx#SHEET. All files are imported together or not at all: if any\n"
    "row of any file is rejected, the database is left exactly as it was, and\n"
    "every problem is listed with its place (file:line, or file.xlsx:Sheet!C7):\n"
    "column: 'value': reason. A file identical to the one last imported is\n"
    "recognised and left alone.\n",
    options,
    sizeof options / sizeof options[0],
    0,
    "0 imported (or unchanged); 65 data rejected (or stopped by a sanity gate); 66 a file is "
    "missing; 75 database locked, "
    "try again; 74 I/O error or damaged database; 78 bad map; 64 bad command line.",
    run,
};
