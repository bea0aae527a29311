/* ruletest: rule test cases and coverage for internal audit. Reads YAML
 * test files (*.test.yaml beside the rules), runs each case in a fresh
 * database -- its data imported through the same checks as a real import --
 * compares the findings with the expected ones (subject, rule, severity,
 * message, and the evidence values and rows a case states), and measures three kinds of
 * coverage: lines of rule code run, rules seen both firing and quiet, and the
 * cells of the map (area x line) the tested rules were seen to watch
 * (mapcov). Writes results as text, JSON or JUnit XML (to a stream, or
 * atomically to a file), and the coverage matrix as a self-contained HTML
 * page (written atomically, never over a test, rule or map file). For
 * mutation testing, runs a case with one rule's file replaced by others,
 * side by side in the same check, and says for each whether the case would
 * still pass.
 * Uses check (the pipeline, on each case's database), runner, import, store,
 * map, mapcov, yamltree, findfmt (escaping), outfile. */
#ifndef ASSURE_RULETEST_H
#define ASSURE_RULETEST_H

#include <stddef.h>
#include <stdio.h>

#include "diag.h"
#include "outfile.h"
#include "runner.h"

typedef enum { ASR_TEST_TEXT, ASR_TEST_JSON, ASR_TEST_JUNIT } asr_test_format;

typedef struct {
    const char *rules_dir;
    const char *map_path; /* default map for cases that name none; may be NULL */
    const char *filter;   /* run cases whose name or rule id contains this; NULL = all */
    asr_test_format format;
    int coverage;        /* add the coverage report */
    const char *html;    /* write the coverage matrix here; NULL = no */
    const char *output;  /* write the report here (atomically) instead of out; NULL = no */
    double min_coverage; /* percent; < 0 = no gate */
    /* percent of the map's required cells tested (a rule seen firing and
     * quiet there); < 0 = no gate */
    double min_map_coverage;
    asr_runner_opts runner;
} asr_test_opts;

/* Runs every case. Writes the report to out. Returns ASR_OK when every case
 * passed (and coverage meets min_coverage and min_map_coverage),
 * ASR_FINDINGS (1) when some case failed or coverage is below them, ASR_E_CONFIG for a bad test or
 * rule file (problems in d), or another status for missing files or output errors. */
asr_status asr_ruletest_run(const asr_test_opts *o, FILE *out, asr_diag *d);

/* Reads a test file from memory (name is used in messages and to resolve
 * its relative paths) as asr_ruletest_run would, without running its cases
 * or opening the files they name: for the fuzz target and tests. Returns
 * ASR_OK with the number of cases in *n_cases, or ASR_E_CONFIG with every
 * problem in d. */
asr_status asr_ruletest_parse_string(const char *name, const char *text, size_t len, asr_diag *d,
                                     size_t *n_cases);

/* ---- for mutation testing (mutate) ----
 * The test files, map and rules loaded once; then a case run as it is and,
 * beside it in the same database and the same check, with one rule's file
 * replaced by each of several others. */
typedef struct asr_ruletest asr_ruletest;

typedef struct {
    int passed;         /* the case would pass with this file; -1: not run */
    asr_fail_kind fail; /* how the rule from this file failed, if it did */
} asr_alt_outcome;

/* Loads what asr_ruletest_run loads (o->filter selects cases). ASR_OK, or
 * the status asr_ruletest_run would return for a bad or missing file. */
asr_status asr_ruletest_open(const asr_test_opts *o, asr_diag *d, asr_ruletest **out);
void asr_ruletest_close(asr_ruletest *t);

/* Adds the files the run reads (test files, maps, rules), which no output
 * may replace. */
void asr_ruletest_inputs(const asr_ruletest *t, asr_inputs *in);

/* The rules loaded (the runner's results: metadata and file). */
const asr_rule_result *asr_ruletest_rules(const asr_ruletest *t, size_t *n);
size_t asr_ruletest_n_cases(const asr_ruletest *t);
/* Whether case i is selected and runs rule k; its place and name. */
int asr_ruletest_case(const asr_ruletest *t, size_t i, size_t k, const char **file, unsigned *line,
                      const char **name);

/* Runs case i, and beside it the case with rule k's file replaced by each
 * of alt[0..n_alt): *passed says whether the case passed as it is, out[j]
 * whether it would have with alt[j]. ASR_OK, or ASR_E_CONFIG when the case
 * could not run (its data or parameters are wrong: problems in d). */
asr_status asr_ruletest_try(asr_ruletest *t, size_t i, size_t k, const char *const *alt,
                            size_t n_alt, int *passed, asr_alt_outcome *out, asr_diag *d);

#endif
