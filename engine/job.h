/* job: the nightly run's job file -- one small YAML file saying what
 * 'assure run' takes: the map, the database, the rules, the exports, the
 * outputs, the manifest, the as-of date, the gates, the retention and the
 * budgets. Paths are relative to the job file; the map and the rules may
 * also be "assure:" names (datadir). Every problem is reported with its
 * file:line:col, and the whole file is refused if any is found. Owns every
 * string it holds. Uses yamltree, map (gates), findfmt (formats), datadir,
 * date, diag, util. */
#ifndef ASSURE_JOB_H
#define ASSURE_JOB_H

#include <stddef.h>

#include "diag.h"
#include "import.h"
#include "map.h"
#include "run.h"

typedef struct {
    char *file;
    char *map, *db, *rules, *manifest;
    char as_of[11]; /* "" = today */
    asr_import_spec *exports;
    size_t n_exports;
    asr_run_output *outputs;
    size_t n_outputs;
    struct asr_ynode *gates_node; /* the 'gates' mapping, or NULL */
    int has_retention;
    asr_retention retention;                     /* -1: not given */
    long jobs, timeout, memory_mb, max_findings; /* 0: not given */
    void *doc;                                   /* the parsed file, kept for gates_node */
} asr_job;

/* Reads a job file. ASR_OK, ASR_E_NOINPUT or ASR_E_CONFIG (problems in d). */
asr_status asr_job_load(const char *path, asr_diag *d, asr_job *out);
void asr_job_free(asr_job *j);

/* "json:out/list.json" -> format and path; -1 if it is not one. */
int asr_output_parse(const char *s, asr_run_output *out);

#endif
