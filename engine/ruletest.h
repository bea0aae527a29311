/* ruletest: rule test cases and coverage for internal audit. Reads YAML
 * test files (*.test.yaml beside the rules), runs each case in a fresh
 * database -- its data imported through the same checks as a real import --
 * compares the findings with the expected ones, and measures three kinds of
 * coverage: lines of rule code run, rules seen both firing and quiet, and the
 * cells of the map (area x line) the tested rules were seen to watch
 * (mapcov). Writes results as text, JSON or JUnit XML (to a stream, or
 * atomically to a file), and the coverage matrix as a self-contained HTML
 * page (written atomically, never over a test, rule or map file).
 * Uses check (the pipeline, on each case's database), runner, import, store,
 * map, mapcov, yamltree, findfmt (escaping), outfile. */
#ifndef ASSURE_RULETEST_H
#define ASSURE_RULETEST_H

#include <stddef.h>
#include <stdio.h>

#include "diag.h"
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

#endif
