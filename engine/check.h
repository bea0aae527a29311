/* check: the check pipeline as library calls -- load the map, make sure the
 * database holds that map, load and select the rules, make sure the output
 * can be created, run the rules in their workers (findings formatted by the
 * workers and spooled, or kept as structs for text and rule tests) beside an
 * integrity check of the database, and write the exception list (or, for
 * text, CSV and Excel, kept in reading order on disk: findspool). The
 * command line's check, the rule tests and the nightly run all stand on it.
 * Findings are classified against the latest recorded run (history) and
 * the waivers the database holds are applied to them (waiver); the
 * integrity check is skipped for a database unchanged since it last passed
 * (store); and the data must not change while the rules read it: a check that sees an
 * import commit meanwhile stops (75) rather than mix two states of the data.
 * Owns a run's map, rule results, findings and spool until asr_check_free.
 * Uses map, store, rule, runner, finding, findfmt, findspool, history, waiver, spool,
 * report, outfile, diag. */
#ifndef ASSURE_CHECK_H
#define ASSURE_CHECK_H

#include <stddef.h>
#include <stdio.h>

#include "diag.h"
#include "findfmt.h"
#include "findspool.h"
#include "history.h"
#include "waiver.h"
#include "map.h"
#include "outfile.h"
#include "runner.h"
#include "spool.h"
#include "store.h"

typedef struct {
    const char *map_path;
    const char *db_path;
    const char *rules_dir;
    const char *const *only; /* rule ids to run; none = all */
    size_t n_only;
    const char *as_of;        /* YYYY-MM-DD */
    asr_format format;        /* the format the list will be written in */
    const char *output;       /* the file it will be written to; NULL = a stream */
    int skip_integrity_check; /* databases just built (rule tests) */
    int skip_rules_hash;      /* nothing will quote it (rule tests): rules_hash stays "" */
    /* The recorded run findings are classified against (new, recurring,
     * reopened): 0 the latest, -1 none (rule tests), else that run's id. */
    int64_t compare_with;
    /* Keep the findings on disk as they arrive (findspool) rather than as
     * structs in memory, and c->findings empty: 1 in reading order (text,
     * CSV, Excel), 2 by rule (JUnit). For a list that is only written. */
    int spool_findings;
    asr_runner_opts runner;
} asr_check_opts;

typedef struct {
    asr_map *map;
    asr_rule_result *rules; /* every rule loaded */
    size_t n_rules;
    int *run;              /* which of them run */
    asr_finding *findings; /* text format: sorted by rule id, subject, message */
    size_t n_findings;
    asr_spool *spool;       /* other formats: the workers' bytes (rules[i].blocks) */
    asr_findspool *ordered; /* with spool_findings: the findings in reading order */
    asr_findfmt_sink sink;
    char as_of[11];
    char rules_hash[65];
    asr_run_info previous; /* the run compared with; id 0: none */
    asr_history_classifier *classifier;
    asr_waivers waivers; /* those the database holds */
    asr_waiver_classifier *waiver_classifier;
    asr_inputs inputs; /* the files the check read: its output may replace none */
    double elapsed_ms;
    /* The database's integrity check: "passed", "skipped" (unchanged since
     * its last verified check: store.h) or "not run" (rule tests). */
    const char *integrity;
    /* between prepare and execute: the rules' workers waiting to run
     * (runner), and what they were started with */
    asr_runner_park *park;
    int set_up;
    asr_store *store;
    long long data_version;
    asr_runner_opts ro;
} asr_check;

/* What validate does: loads the map and, when o->rules_dir is set, the
 * rules, touching no database. ASR_OK, or the problems in d. */
asr_status asr_check_validate(const asr_check_opts *o, asr_diag *d, asr_check *c);

/* Loads the map and the rules and selects those to run: the first half of
 * asr_check_run. On failure the problems are in d and c holds what was
 * loaded (free it). ASR_E_DATA: the database holds another map (or none);
 * ASR_E_USAGE: --rule names no rule. */
asr_status asr_check_prepare(const asr_check_opts *o, asr_diag *d, asr_check *c);

/* Runs the selected rules of c (its map, rules and run set, prepared above
 * or filled in by the caller) against the database at db_path. Returns
 * ASR_OK when the run happened, whatever the rules found or how they failed
 * (asr_check_outcome tells), or the status of what stopped it: an output
 * that cannot be created or would replace an input (73), a damaged database or a failed spool (74),
 * the data changed by another process while the rules read it (75). */
asr_status asr_check_execute(asr_check *c, const asr_check_opts *o, asr_diag *d);

/* Both of the above. */
asr_status asr_check_run(const asr_check_opts *o, asr_diag *d, asr_check *c);

/* ASR_OK (nothing found), ASR_FINDINGS or ASR_RULE_FAILED, of a run. */
asr_status asr_check_outcome(const asr_check *c);

/* Writes the exception list in fmt: atomically to the file `output`, or to
 * `stream` when output is NULL (colour only there, and only if asked). */
asr_status asr_check_write(const asr_check *c, asr_format fmt, const char *output, FILE *stream,
                           int color, asr_diag *d);

/* How the list is laid out: text wrapped to width (0: 80); CSV without the
 * byte-order mark; Excel with a sheet per business group too. */
typedef struct {
    int width, no_bom, xlsx_by_group;
} asr_check_style;
asr_status asr_check_write_styled(const asr_check *c, asr_format fmt, const char *output,
                                  FILE *stream, int color, const asr_check_style *style,
                                  asr_diag *d);

void asr_check_free(asr_check *c);

#endif
