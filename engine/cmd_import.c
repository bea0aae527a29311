/* assure import: loads tracker exports into the database, all or nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "diagjson.h"
#include "import.h"
#include "outfile.h"

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
    {ASR_OPT_FORMAT, "format", 'f', "FORMAT",
     "text (default) or json (per dataset: rows, replaced, hash; every problem with its place)"},
    {ASR_OPT_OUTPUT, "output", 'o', "FILE",
     "write the report to FILE (atomically) instead of standard output"},
};

static void print_results(FILE *out, const asr_import_spec *specs, const asr_import_result *results,
                          size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const asr_import_result *r = &results[i];
        const char *rows = r->rows == 1 ? "row" : "rows";
        if (r->outcome == ASR_UNCHANGED)
            fprintf(out, "%-24s unchanged: %s is identical to the last import (%lld %s)\n",
                    specs[i].dataset, specs[i].path, r->rows, rows);
        else if (r->previous_rows >= 0)
            fprintf(out, "%-24s %lld %s from %s (replacing %lld)\n", specs[i].dataset, r->rows,
                    rows, specs[i].path, r->previous_rows);
        else
            fprintf(out, "%-24s %lld %s from %s\n", specs[i].dataset, r->rows, rows, specs[i].path);
    }
}

/* --format json: one document -- what became of each dataset, and every
 * problem with its place. All or nothing: when the import did not happen,
 * every dataset is "not imported". */
static void json_results(FILE *out, const asr_import_opts *o, const asr_import_spec *specs,
                         const asr_import_result *results, size_t n, asr_diag *d, asr_status st)
{
    fprintf(out, "{\n  \"imported\": %s,\n  \"status\": %d,\n  \"map\": ",
            st == ASR_OK ? "true" : "false", (int)st);
    asr_json_string(out, o->map_path);
    fputs(",\n  \"db\": ", out);
    asr_json_string(out, o->db_path);
    fputs(",\n  \"as_of\": ", out);
    if (o->policy.as_of)
        asr_json_string(out, o->policy.as_of);
    else
        fputs("null", out);
    fputs(",\n  \"datasets\": [", out);
    for (size_t i = 0; i < n; i++) {
        const asr_import_result *r = &results[i];
        const char *outcome = st != ASR_OK                  ? "not imported"
                              : r->outcome == ASR_UNCHANGED ? "unchanged"
                              : r->outcome == ASR_IMPORTED  ? "imported"
                                                            : "not imported";
        fprintf(out, "%s\n    {\"dataset\": ", i ? "," : "");
        asr_json_string(out, specs[i].dataset);
        fputs(", \"file\": ", out);
        asr_json_string(out, specs[i].path);
        fprintf(out, ", \"outcome\": \"%s\", \"rows\": %lld, \"replaced\": ", outcome,
                st == ASR_OK ? r->rows : 0);
        if (st == ASR_OK && r->previous_rows >= 0)
            fprintf(out, "%lld", r->previous_rows);
        else
            fputs("null", out);
        fputs(", \"sha256\": ", out);
        if (st == ASR_OK && r->sha256[0])
            asr_json_string(out, r->sha256);
        else
            fputs("null", out);
        fputs(", \"size\": ", out);
        if (st == ASR_OK && r->size > 0)
            fprintf(out, "%lld", r->size);
        else
            fputs("null", out);
        fputs(", \"newest\": ", out);
        if (st == ASR_OK && r->newest[0])
            asr_json_string(out, r->newest);
        else
            fputs("null", out);
        fputc('}', out);
    }
    fputs("],\n  ", out);
    asr_diag_json_members(out, d, "    ");
    fputs("\n}\n", out);
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
        int json = p.c.format == ASR_OUT_JSON;
        asr_diag d;
        asr_diag_init(&d, (size_t)p.c.max_errors);
        /* The report's file may replace none of the inputs, and is checked
         * before anything is imported. */
        asr_inputs inputs = {0};
        asr_inputs_add(&inputs, o.map_path, "the map");
        asr_inputs_add_db(&inputs, o.db_path);
        for (size_t i = 0; i < n; i++)
            asr_inputs_add(&inputs, specs[i].path, "an export");
        if (p.c.output)
            st = asr_outfile_check(p.c.output, "--output", &inputs, &d);
        if (st == ASR_OK) {
            /* rows and MB read, on standard error (not with JSON, whose
             * problems go in the report, unless --progress asks for it);
             * cleared before the summary */
            o.policy.progress = json && !p.c.progress ? NULL : asr_cli_progress(&p);
            st = asr_import_files(&o, specs, n, &d, results);
            asr_progress_free(o.policy.progress);
        } else
            json = 0; /* nothing was tried: the problem goes to standard error */
        if (!json)
            asr_cli_problems(&d);
        FILE *out = p.c.output || json || !p.c.quiet ? stdout : NULL;
        asr_outfile of;
        asr_diag od;
        asr_diag_init(&od, ASR_DIAG_LIMIT);
        asr_status ost = ASR_OK;
        if (p.c.output && (json || st == ASR_OK)) {
            ost = asr_outfile_open(&of, p.c.output, "--output", &inputs, &od);
            out = ost == ASR_OK ? of.f : NULL;
        }
        if (out && json) {
            json_results(out, &o, specs, results, n, &d, st);
        } else if (out && st == ASR_OK) {
            if (n == 0)
                fprintf(out, "map tables loaded from %s\n", o.map_path);
            print_results(out, specs, results, n);
        }
        if (!json && st == ASR_E_DATA)
            fprintf(stderr, "import rejected: %zu problem%s; the database was not changed\n",
                    d.errors, d.errors == 1 ? "" : "s");
        if (out && out != stdout)
            ost = ferror(out) ? asr_outfile_fail(&of, &od)
                              : asr_outfile_commit(&of, "--output", &inputs, &od);
        else if (out && fflush(stdout) != 0)
            ost = ASR_E_IO;
        asr_cli_problems(&od);
        if (ost != ASR_OK && st == ASR_OK)
            st = ost;
        asr_diag_free(&od);
        asr_inputs_free(&inputs);
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
    ASR_OUT(ASR_OUT_TEXT) | ASR_OUT(ASR_OUT_JSON),
    "0 imported (or unchanged); 65 data rejected (or stopped by a sanity gate); 66 a file is "
    "missing; 75 database locked, "
    "try again; 74 I/O error or damaged database; 78 bad map; 64 bad command line.",
    run,
};
