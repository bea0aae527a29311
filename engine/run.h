/* run: the nightly job as one library call. In order, each step logged as
 * one line:
 *   1. take the single-instance lock (lock);
 *   2. import the exports, all or nothing, through the sanity gates;
 *   3. run the rules (check), classifying each finding against the latest
 *      recorded run and adding it to a new run in the history -- one
 *      transaction, which holds the database's write lock while the rules
 *      read, so no import can change the data under them;
 *   4. the findings-jump gate: a rule whose findings rose steeply stops the
 *      run (or warns) before anything is recorded or written;
 *   5. write every output and the manifest to temporary files, from the
 *      run as recorded; commit the run; put the outputs in place;
 *   6. prune the history to its retention.
 * A run that fails or is killed at any point leaves no half-recorded run and
 * no partial file under a final name; the next run proceeds (a killed run's
 * lock goes with its process).
 * Uses lock, import, check, history, report, outfile, map, store, sha256,
 * rule, diag. */
#ifndef ASSURE_RUN_H
#define ASSURE_RUN_H

#include <stddef.h>
#include <stdio.h>

#include "diag.h"
#include "findfmt.h"
#include "history.h"
#include "import.h"
#include "map.h"
#include "runner.h"

typedef struct {
    asr_format format; /* text, csv, json, jsonl or xlsx */
    const char *path;
} asr_run_output;

typedef struct {
    const char *map_path, *db_path, *rules_dir;
    const asr_import_spec *exports;
    size_t n_exports;
    const asr_run_output *outputs;
    size_t n_outputs;
    const char *manifest_path; /* NULL: none written (it is recorded in the database anyway) */
    const char *as_of;         /* YYYY-MM-DD */
    /* A 'gates' mapping (a job file's) applied over the map's gates; NULL:
     * the map's as they are. */
    const struct asr_ynode *gates_overlay;
    const char *const *accepted; /* gates let through this once, by name */
    size_t n_accepted;
    /* Retention over the map's: a field of -1 keeps the map's value. */
    asr_retention retention;
    const char *job_file; /* recorded in the manifest; may be NULL */
    asr_runner_opts runner;
    int busy_ms;
    FILE *log;   /* where the step lines go (timestamped, one per step); NULL: nowhere */
    int verbose; /* log every dataset imported, not only the totals */
} asr_run_opts;

typedef struct {
    asr_run_info run;      /* as recorded; id 0 when the run stopped before recording */
    asr_run_info previous; /* the run it was compared with; id 0: none */
    asr_status outcome;    /* ASR_OK, ASR_FINDINGS or ASR_RULE_FAILED once recorded */
} asr_run_result;

/* The whole job. Returns the outcome (0, 1 or 2) once the run is recorded
 * and its outputs written, or the status that stopped it: 75 the lock is
 * held or the database busy, 65 data rejected or a gate, 66 a file missing,
 * 73/74 an output or the database cannot be written, 78 a bad map or rule. */
asr_status asr_run(const asr_run_opts *o, asr_diag *d, asr_run_result *res);

/* The manifest of run `id` checked against the inputs as they are now, and
 * the run evaluated again as 'assure check' would (the same as-of date, the
 * same previous run): *identical is 1 when the exception list is
 * byte-identical to the recorded one (the JSON, timing apart). Every input
 * that differs from what the run used (the map's files, each rule file, each
 * dataset's data) is reported as a warning naming it. */
typedef struct {
    const char *map_path, *db_path, *rules_dir;
    int64_t run;
    asr_runner_opts runner;
} asr_replay_opts;
asr_status asr_replay(const asr_replay_opts *o, asr_diag *d, int *identical);

#endif
