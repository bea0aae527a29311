/* runner: runs rule files in worker processes. Each worker is forked from
 * the parent (which holds the loaded map), builds a fresh sandbox, opens its
 * own read-only database connection, and sends its results back over a
 * pipe. One worker can both load a rule and run it: it sends the rule's
 * metadata, then waits on a pipe from the parent until woken to run it
 * (asr_runner_park_dir). The parent alone collects results; it kills a worker that outlives
 * its wall-clock deadline, and turns every way a worker can end -- an error,
 * a spent budget, a signal, silence -- into a failure kind for that rule
 * only. Up to `jobs` workers run at once; results do not depend on how many.
 * Findings come back as structs, or -- given a sink -- as the bytes the
 * workers made of them, kept in a spool until the rule has finished.
 * Each worker is confined (confine) before it reads its rule: resource
 * limits, no_new_privs, and -- once its database connection is open and
 * read -- a system-call filter; a refused call fails the rule with kind
 * sandbox. A worker dies with its parent (asr_fork_piped), and SIGTERM,
 * SIGINT or SIGHUP to the parent while workers run kills and reaps them,
 * removes the process's temporary output files (outfile) and ends the
 * process by that signal.
 * The parent tells a progress handle, when given one, which rules are at
 * work, how many have finished and how many findings they sent.
 * Uses sandbox, rule, ruleapi, store, wire, map, diag, finding, spool,
 * confine, outfile, progress, heldsort (the worker's file for findings). */
#ifndef ASSURE_RUNNER_H
#define ASSURE_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "finding.h"
#include "map.h"
#include "progress.h"
#include "rule.h"
#include "ruleapi.h"
#include "sandbox.h"
#include "spool.h"

typedef enum {
    ASR_FAIL_NONE,
    ASR_FAIL_TIMEOUT, /* instruction or time budget spent, or killed at the deadline */
    ASR_FAIL_MEMORY,  /* memory budget spent */
    ASR_FAIL_OUTPUT,  /* too many or too large findings */
    ASR_FAIL_RUNTIME, /* the rule raised an error */
    ASR_FAIL_CRASH,   /* the worker died: a signal, or no answer */
    ASR_FAIL_SANDBOX, /* the rule reached for something rules may not use */
    ASR_FAIL_LOAD,    /* the rule file could not be loaded (metadata phase) */
} asr_fail_kind;

const char *asr_fail_kind_name(asr_fail_kind k);

typedef struct {
    asr_rule rule; /* metadata, once loaded */
    int loaded;
    asr_fail_kind fail;
    char *fail_message;
    size_t n_findings;     /* waived ones apart */
    size_t by_severity[3]; /* of n_findings: high, medium, low */
    size_t n_waived;       /* findings a waiver in force covers */
    asr_extent *blocks;    /* formatted findings, in order, in the run's spool */
    size_t n_blocks;
    asr_extent *waived_blocks; /* the waived ones, likewise */
    size_t n_waived_blocks;
    char **logs;
    size_t n_logs;
    size_t logs_dropped;
    uint64_t instructions;
    long long rows_read;
    double elapsed_ms;
    size_t memory_peak;
    /* with coverage: per line of the rule file (index = line number) */
    unsigned char *executable, *executed;
    size_t n_lines;
    char **reads; /* tables and map parts the rule read */
    size_t n_reads;
} asr_rule_result;

typedef struct {
    asr_budget budget;
    asr_output_budget output;
    double grace_seconds; /* after budget.seconds, before the parent kills */
    int jobs;
    int coverage; /* record lines run and tables read (slower) */
    /* NULL: findings come back as structs (for the text report and rule
     * tests). Otherwise workers hand them to the sink and its bytes come
     * back in a spool. */
    asr_finding_sink *sink;
    /* NULL, or what completes each finding in the worker (history, waivers). */
    asr_finding_classifier *classifier;
    /* NULL: findings sent as structs are kept in *findings. Otherwise each is
     * handed to on_finding as it arrives (valid during the call only) and
     * none is kept: a caller that stores them elsewhere, such as the run
     * history, holds no list. A rule's findings come once it has finished,
     * but a worker can still die afterwards: check the result's fail.
     * wire, wire_len: the message f was decoded from (finding's wire form),
     * for a caller that keeps the bytes rather than encoding f again. */
    void (*on_finding)(void *ud, size_t rule, const asr_finding *f, const char *wire,
                       size_t wire_len);
    void *on_finding_ud;
    /* NULL, or given each rule's classifier note (finding.h). */
    void (*on_note)(void *ud, size_t rule, const char *note, size_t len);
    void *on_note_ud;
    /* Where a worker keeps findings beyond what it holds in memory, when the
     * output budget lets a rule flag more than that (NULL: $TMPDIR, else /tmp) */
    const char *tmpdir;
    /* NULL, or told as rules start and finish, with the findings so far */
    asr_progress *progress;
} asr_runner_opts;

void asr_runner_default_opts(asr_runner_opts *o);

/* Where workers keep findings beyond memory: o->tmpdir, else $TMPDIR, else
 * /tmp. */
const char *asr_runner_tmpdir(const asr_runner_opts *o);

/* 0 when the workers of o need no temporary file (their output budget fits
 * in memory) or one can be made in asr_runner_tmpdir; -1 with errno set
 * otherwise. For a caller that would rather stop before any rule runs than
 * have every rule fail. */
int asr_runner_tmpdir_usable(const asr_runner_opts *o);

/* Loads the metadata of every file, in workers. results[i] corresponds to
 * files[i]; a file that fails to load gets fail = ASR_FAIL_LOAD and a
 * problem in d (with its file:line). map may be NULL. */
void asr_runner_load(char *const *files, size_t n, const asr_map *map, const asr_runner_opts *o,
                     asr_rule_result *results, asr_diag *d);

/* Runs check(ctx) of every loaded rule with run[i] non-zero against the
 * database. Findings of rules that fail are dropped; the failure is kept in
 * results, and each result counts its findings. Without o->sink,
 * *findings (caller frees with asr_findings_free) come sorted by rule id,
 * subject, message. With one, each rule's findings, made into bytes by the
 * sink in subject and message order, are results[i].blocks in spool (which
 * must then be given; check asr_spool_error afterwards) and *findings is
 * empty. */
void asr_runner_check(asr_rule_result *results, const int *run, size_t n, const asr_map *map,
                      const char *db_path, const char *as_of, const asr_runner_opts *o,
                      asr_spool *spool, asr_finding **findings, size_t *n_findings);

/* Separates the directories of a rules path: "rules\nlocal/rules". */
#define ASR_RULES_SEP "\n"

/* A rules path for messages: "rules, local/rules". Returns buf. */
const char *asr_rules_path_label(const char *dirs, char *buf, size_t size);

/* Loads every rule file (*.lua) in each directory of dirs (one, or several
 * separated by ASR_RULES_SEP, as repeated --rules give them) and checks the
 * set: ids unique within a directory, a later directory's rule replacing an
 * earlier one's of the same id (a warning says so), what rules cover and the
 * map's parameter overrides valid (overrides for rules not found are
 * warnings); m may be NULL, and then only the rules are checked. ASR_OK with *out (n entries, free
 * with asr_rule_results_free), or ASR_E_CONFIG / ASR_E_NOINPUT with problems in d (and *out still
 * set when files were found). */
asr_status asr_runner_load_dir(const char *dirs, const asr_map *m, const asr_runner_opts *o,
                               asr_diag *d, asr_rule_result **out, size_t *count);

/* One worker per rule that both loads and runs it. asr_runner_park_dir
 * does what asr_runner_load_dir does, but each rule's worker also opens
 * db_path read-only (and its classifier's connection) before it is sealed,
 * and once it has sent its metadata waits instead of ending: the parent
 * checks the whole set first, as before any rule runs. o must already hold
 * everything the workers use (budget, output, sink, classifier, coverage
 * off). On failure *park is NULL and no worker is left. The workers die
 * with the parent. */
typedef struct asr_runner_park asr_runner_park;
asr_status asr_runner_park_dir(const char *dirs, const asr_map *m, const char *db_path,
                               const char *as_of, const asr_runner_opts *o, asr_diag *d,
                               asr_rule_result **out, size_t *count, asr_runner_park **park);

/* As asr_runner_check, with the parked workers of the same results (their
 * deadlines start when they are woken, o->jobs at a time); those not to run
 * are ended. park can only be used once; free it afterwards. */
void asr_runner_check_parked(asr_runner_park *park, asr_rule_result *results, const int *run,
                             size_t n, const asr_runner_opts *o, asr_spool *spool,
                             asr_finding **findings, size_t *n_findings);

/* Ends any worker still waiting. NULL is fine. */
void asr_runner_park_free(asr_runner_park *p);

/* The indexes of r[0..n) in rule-id order, the order findings are listed
 * in (a result without an id first). Caller frees. */
size_t *asr_rule_results_by_id(const asr_rule_result *r, size_t n);

void asr_findings_free(asr_finding *f, size_t n);
void asr_rule_results_free(asr_rule_result *r, size_t n);

#endif
