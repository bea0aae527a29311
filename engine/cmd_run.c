/* assure run: the unattended nightly job, from a job file or options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "job.h"
#include "run.h"

enum { OPT_EXPORT = ASR_OPT_OWN, OPT_OUT, OPT_MANIFEST, OPT_ACCEPT, OPT_VERBOSE };

static const asr_opt options[] = {
    {ASR_OPT_MAP, "map", 'm', "FILE", "the assurance map"},
    {ASR_OPT_DB, "db", 'd', "FILE", "the database (created if missing)"},
    {ASR_OPT_RULES, "rules", 'r', "DIR",
     "the rule files (*.lua); again for more directories (local rules): a later one's rule "
     "replaces an earlier one's of the same id"},
    {ASR_OPT_AS_OF, "as-of", 'a', "DATE", "the run's as-of date (YYYY-MM-DD; default today)"},
    {OPT_EXPORT, "export", 'e', "DATASET=FILE", "an export to import first (repeat for more)"},
    {OPT_OUT, "output", 'o', "FORMAT:FILE",
     "write the exception list in FORMAT (text, csv, json, jsonl, xlsx) to FILE, atomically "
     "(repeat for more)"},
    {OPT_MANIFEST, "manifest", 0, "FILE",
     "write the run's manifest (JSON: the hashes of every input, the versions, the outcome)"},
    {OPT_ACCEPT, "accept-gate", 0, "NAME",
     "let the run through the named sanity gate this once (empty-export, row-drop, "
     "stale-export, findings-jump)"},
    {ASR_OPT_JOBS, "jobs", 'j', "N", "rules run at once (default: the number of cores)"},
    {ASR_OPT_TIMEOUT, "timeout", 0, "SECONDS", "per-rule time budget (default 30)"},
    {ASR_OPT_MEMORY, "memory", 0, "MB", "per-rule memory budget (default 256)"},
    {ASR_OPT_MAX_FINDINGS, "max-findings", 0, "N", "per-rule output budget (default 10000)"},
    {ASR_OPT_BUSY_TIMEOUT, "busy-timeout", 0, "MS",
     "wait this long for a database locked by another process (default 5000)"},
    {ASR_OPT_QUIET, "quiet", 'q', NULL, "no step lines on standard error, only problems"},
    {OPT_VERBOSE, "verbose", 'v', NULL, "a line for every export imported"},
    {ASR_OPT_PROGRESS, "progress", 0, NULL,
     "also a progress line every few seconds while exports are read and rules run"},
};

typedef struct {
    asr_import_spec *exports;
    size_t n_exports;
    asr_run_output *outputs;
    size_t n_outputs;
    const char **accepted;
    size_t n_accepted;
    char **names;
    size_t n_names;
} given;

static int add_export(asr_cli *p, given *g, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1])
        return asr_cli_usage(p, "--export takes DATASET=FILE, not '%s'", arg);
    char *name = asr_xstrndup(arg, (size_t)(eq - arg));
    g->names[g->n_names++] = name;
    g->exports[g->n_exports++] = (asr_import_spec){name, eq + 1};
    return 0;
}

static int run(const asr_verb *v, int argc, char **argv)
{
    asr_cli p;
    const char *arg;
    int id, verbose = 0;
    const char *manifest = NULL;
    given g = {0};
    size_t cap = (size_t)argc + 1;
    g.exports = asr_xcalloc(cap, sizeof *g.exports);
    g.outputs = asr_xcalloc(cap, sizeof *g.outputs);
    g.accepted = asr_xcalloc(cap, sizeof *g.accepted);
    g.names = asr_xcalloc(cap, sizeof *g.names);
    asr_cli_begin(&p, v, argc, argv);
    while ((id = asr_cli_next(&p, &arg)) > 0) {
        asr_gates probe;
        switch (id) {
        case OPT_EXPORT:
            if (add_export(&p, &g, arg))
                id = -1;
            break;
        case OPT_OUT:
            if (asr_output_parse(arg, &g.outputs[g.n_outputs]) == 0)
                g.n_outputs++;
            else
                id = -1, asr_cli_usage(&p,
                                       "--output takes FORMAT:FILE (text, csv, json, jsonl or "
                                       "xlsx), not '%s'",
                                       arg);
            break;
        case OPT_MANIFEST:
            manifest = arg;
            break;
        case OPT_ACCEPT:
            asr_gates_default(&probe);
            if (asr_gates_accept(&probe, arg)) {
                const char *hint = asr_did_you_mean(arg, asr_gate_names);
                asr_cli_usage(&p, "--accept-gate: no gate '%s'%s%s%s", arg,
                              hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
                id = -1;
            } else {
                g.accepted[g.n_accepted++] = arg;
            }
            break;
        case OPT_VERBOSE:
            verbose = 1;
            break;
        default:
            break;
        }
        if (id < 0)
            break;
    }
    if (id == 0 && p.n_args > 1)
        asr_cli_usage(&p, "unexpected argument '%s' (give at most one job file)", p.args[1]);

    asr_job job = {0};
    job.retention = (asr_retention){-1, -1, -1}; /* the map's, unless a job file says */
    asr_status st = (asr_status)p.status;
    asr_diag d;
    asr_diag_init(&d, ASR_DIAG_LIMIT);
    if (id >= 0 && !p.status && p.n_args == 1)
        st = asr_job_load(p.args[0], &d, &job);
    if (id >= 0 && !p.status && st == ASR_OK) {
        /* options given on the command line win over the job file */
        asr_run_opts o = {0};
        o.map_path = p.c.map ? p.c.map : job.map;
        o.db_path = p.c.db ? p.c.db : job.db;
        o.rules_dir = p.c.rules ? p.c.rules : job.rules;
        o.exports = g.n_exports ? g.exports : job.exports;
        o.n_exports = g.n_exports ? g.n_exports : job.n_exports;
        o.outputs = g.n_outputs ? g.outputs : job.outputs;
        o.n_outputs = g.n_outputs ? g.n_outputs : job.n_outputs;
        o.manifest_path = manifest ? manifest : job.manifest;
        o.gates_overlay = job.gates_node;
        o.accepted = g.accepted;
        o.n_accepted = g.n_accepted;
        o.retention = job.retention;
        o.job_file = job.file;
        o.runner = p.c.runner;
        if (job.jobs && !p.c.runner.jobs)
            o.runner.jobs = (int)job.jobs;
        if (job.timeout)
            o.runner.budget.seconds = (double)job.timeout;
        if (job.memory_mb)
            o.runner.budget.memory = (size_t)job.memory_mb << 20;
        if (job.max_findings)
            o.runner.output.max_findings = (size_t)job.max_findings;
        o.busy_ms = (int)p.c.busy_ms;
        o.log = p.c.quiet ? NULL : stderr;
        o.verbose = verbose;
        char as_of[11];
        if (p.c.as_of[0])
            memcpy(as_of, p.c.as_of, sizeof as_of);
        else if (job.as_of[0])
            memcpy(as_of, job.as_of, sizeof as_of);
        else if (asr_cli_as_of(&p, as_of))
            as_of[0] = '\0';
        o.as_of = as_of;
        if (!o.map_path || !o.db_path || !o.rules_dir) {
            st = asr_cli_usage(&p, "the map, the database and the rules are required: give a "
                                   "job file or --map, --db and --rules");
        } else if (!as_of[0]) {
            fputs("assure run: cannot read today's date; give --as-of\n", stderr);
            st = ASR_E_INTERNAL;
        } else {
            asr_run_result res;
            /* only as log lines: a live line would be broken by the step lines */
            o.runner.progress = p.c.progress ? asr_cli_progress(&p) : NULL;
            st = asr_run(&o, &d, &res);
            asr_progress_free(o.runner.progress);
        }
    }
    asr_cli_problems(&d);
    asr_diag_free(&d);
    asr_job_free(&job);
    for (size_t i = 0; i < g.n_names; i++)
        free(g.names[i]);
    free(g.names);
    free(g.exports);
    free(g.outputs);
    free(g.accepted);
    asr_cli_end(&p);
    return st;
}

const asr_verb asr_verb_run = {
    "run",
    "the nightly job: import, check, record the run, write the outputs",
    "assure run [JOB.yaml] [options]",
    "The unattended job, from a job file (docs/nightly.md) or options: takes a\n"
    "lock so no two runs overlap, imports the exports through the sanity gates,\n"
    "runs the rules, records the run in the database's history (each finding new,\n"
    "recurring, reopened or resolved against the last run), and writes every\n"
    "output and the manifest atomically. One line per step goes to standard\n"
    "error, each with a timestamp. Options given here win over the job file.\n",
    options,
    sizeof options / sizeof options[0],
    0,
    "0 no exceptions; 1 exceptions found; 2 some rules failed; 64 bad command line; 65 data "
    "rejected or stopped by a sanity gate; 66 a file is missing; 73/74 an output or the "
    "database cannot be written; 75 another run holds the lock, or the database is busy: try "
    "again later; 78 a bad map, rule or job file.",
    run,
};
