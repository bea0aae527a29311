/* history: the run history kept in the database. Each recorded run keeps
 * its manifest, its counts, each rule's outcome and every finding, with the
 * finding's state against the run before it -- new, recurring, reopened --
 * and, for findings the run before had and this one has not, a row marked
 * resolved. A finding's first-seen date survives across runs (by its
 * fingerprint), so its age is known. Recording is one transaction: a run is
 * there whole or not at all. Also what the other verbs ask of the history:
 * the runs there are, the run nearest a date, what changed between two
 * runs, and pruning to a retention in one transaction.
 * Uses store, finding, findfmt (business group, evidence as JSON), runner
 * (rule results), map, diag, date, util. */
#ifndef ASSURE_HISTORY_H
#define ASSURE_HISTORY_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "finding.h"
#include "map.h"
#include "runner.h"
#include "store.h"

/* States a finding can have in a run. */
#define ASR_STATE_NEW "new"
#define ASR_STATE_RECURRING "recurring"
#define ASR_STATE_REOPENED "reopened"
#define ASR_STATE_RESOLVED "resolved"
/* A finding of a rule that failed or did not run this time: kept as it was,
 * neither current nor resolved, so the next run still compares with it. */
#define ASR_STATE_CARRIED "carried"

typedef struct {
    int64_t id; /* 0: no such run */
    char started_at[21], finished_at[21], as_of[11];
    char map_hash[65], rules_hash[65];
    int outcome;
    long long findings, by_severity[3], new_, recurring, reopened, resolved, waived;
    long long rules_run, rules_failed;
} asr_run_info;

/* ---- reading ---- */

/* Whether the database has the history tables (an older database read
 * without being upgraded has not). */
int asr_history_present(asr_store *s);

/* The latest recorded run, the one recorded just before run `before`, or
 * run `id`. out->id is 0 when there is none. */
asr_status asr_history_latest(asr_store *s, asr_run_info *out, asr_diag *d);
asr_status asr_history_before(asr_store *s, int64_t before, asr_run_info *out, asr_diag *d);
asr_status asr_history_get(asr_store *s, int64_t id, asr_run_info *out, asr_diag *d);

/* The last run whose as-of date is on or before date (YYYY-MM-DD). */
asr_status asr_history_on_or_before(asr_store *s, const char *date, asr_run_info *out, asr_diag *d);

/* Every run, oldest first. Free *out with free(). */
asr_status asr_history_list(asr_store *s, asr_run_info **out, size_t *n, asr_diag *d);

/* The findings rule `rule` had in run id, or -1 if it did not run then. */
long long asr_history_rule_findings(asr_store *s, int64_t id, const char *rule, asr_diag *d);

/* Every rule of run id, in rule-id order: fn(ud, rule, status, findings),
 * status as recorded (ok, skipped, or how it failed). */
asr_status asr_history_run_rules(asr_store *s, int64_t id,
                                 void (*fn)(void *ud, const char *rule, const char *status,
                                            long long findings),
                                 void *ud, asr_diag *d);

/* The manifest recorded with run id (JSON), or NULL. Caller frees. */
char *asr_history_manifest(asr_store *s, int64_t id, asr_diag *d);

/* ---- classifying, in the rule workers ----
 * A classifier (finding.h) that looks each finding's fingerprint up in the
 * history of the database at db_path, on a read-only connection of its own
 * opened in the worker: new when never seen, recurring when the run
 * `previous` had it, reopened when an earlier one did; first seen is the
 * as-of date of the first run that had it, and the age the days from then
 * to as_of. Only what was known by the run `previous` counts, so a replay
 * of an old run classifies as that run did. With no previous run, or no
 * history tables, every finding is new. */
typedef struct asr_history_classifier asr_history_classifier;
asr_history_classifier *asr_history_classifier_new(const char *db_path, int64_t previous,
                                                   const char *as_of);
asr_finding_classifier *asr_history_classifier_base(asr_history_classifier *c);
void asr_history_classifier_free(asr_history_classifier *c);

/* ---- recording ---- */

typedef struct asr_history_recorder asr_history_recorder;

/* Begins recording a run (BEGIN IMMEDIATE: the run holds the write lock
 * until finish or abort, so no import can change the data under it). */
asr_status asr_history_begin(asr_store *s, const asr_map *m, const char *as_of, int64_t previous,
                             asr_diag *d, asr_history_recorder **out);
int64_t asr_history_run_id(const asr_history_recorder *r);

/* Adds one finding of a rule (classified: its state set). */
void asr_history_add(asr_history_recorder *r, const asr_rule *rule, const asr_finding *f);

/* Completes the run inside its transaction (asr_history_commit makes it
 * stay): each rule's outcome; the findings of rules that failed
 * dropped and their previous ones carried; resolved rows for the findings
 * of rules that ran whose fingerprints the previous run had and this one
 * has not; first-seen dates; the counts and the manifest. *info gets the run
 * as it will be recorded; on failure r is rolled back and freed. */
asr_status asr_history_finish(asr_history_recorder *r, const asr_rule_result *rules, const int *ran,
                              size_t n, const char *rules_hash, int outcome, const char *manifest,
                              asr_run_info *info, asr_diag *d);

asr_status asr_history_commit(asr_history_recorder *r, asr_diag *d); /* frees r */

/* What a replay compares, recorded with the run: each input by kind (map,
 * rule, data, engine, output) and name, with its SHA-256 (or version). */
asr_status asr_history_add_input(asr_history_recorder *r, const char *kind, const char *name,
                                 const char *sha256, asr_diag *d);
/* Replaces the run's manifest (before commit). */
asr_status asr_history_set_manifest(asr_history_recorder *r, const char *manifest, asr_diag *d);

/* The inputs recorded with run id: fn(ud, kind, name, sha256) for each, in
 * kind and name order. */
asr_status asr_history_inputs(asr_store *s, int64_t id,
                              void (*fn)(void *ud, const char *kind, const char *name,
                                         const char *sha256),
                              void *ud, asr_diag *d);

/* Rolls back: nothing of the run stays. Frees r. Safe on NULL. */
void asr_history_abort(asr_history_recorder *r);

/* ---- the findings of a run ----
 * In the exception list's order (rule id, subject, message): the current
 * findings no waiver covers, the resolved ones, or the waived ones; as
 * findings whose strings live until the next call. */
typedef struct asr_history_iter asr_history_iter;
typedef enum { ASR_HIST_CURRENT, ASR_HIST_RESOLVED, ASR_HIST_WAIVED } asr_history_which;
asr_status asr_history_findings(asr_store *s, int64_t run, asr_history_which which, asr_diag *d,
                                asr_history_iter **out);
/* 1 with *f (and *rule_id) set; 0 at the end; -1 on an error (in d). */
int asr_history_next(asr_history_iter *it, asr_finding *f, const char **rule_id, asr_diag *d);
void asr_history_iter_free(asr_history_iter *it);

/* ---- what changed between two runs ----
 * Findings present in run b and not in run a are new (never seen in a run
 * up to a) or reopened (seen before); present in a and not in b, resolved;
 * in both with a higher severity in b, worsened. A finding of a rule that
 * failed or did not run counts as present (carried). Rows come grouped:
 * new, reopened, worsened, resolved; within each by severity, business
 * group, rule and subject. */
typedef enum {
    ASR_CHANGE_NEW,
    ASR_CHANGE_REOPENED,
    ASR_CHANGE_WORSENED,
    ASR_CHANGE_RESOLVED
} asr_change;
extern const char *const asr_change_names[4];
typedef struct {
    asr_change change;
    const char *rule, *subject, *message, *severity, *was_severity, *business_group, *area, *owner,
        *due, *fingerprint, *first_seen;
} asr_diff_row;
asr_status asr_history_diff(asr_store *s, int64_t a, int64_t b,
                            void (*fn)(void *ud, const asr_diff_row *row), void *ud, asr_diag *d);

/* ---- retention ----
 * Deletes runs beyond the newest keep_runs (0 = no limit) and runs whose
 * as-of date is more than keep_days before as_of (0 = no limit), with their
 * findings, in one transaction; the newest run is always kept. *pruned gets
 * the number of runs deleted. */
asr_status asr_history_prune(asr_store *s, long keep_runs, long keep_days, const char *as_of,
                             long long *pruned, asr_diag *d);

#endif
