/* import: loads tracker exports (CSV, JSON, YAML or an .xlsx worksheet) into their dataset tables,
 * all or nothing. Every row is checked against the dataset's declaration in
 * the map -- types, required values, allowed enum values, date layout,
 * patterns, references to map ids, duplicate keys -- and every bad row is
 * reported as file:line: column: 'value': reason. If any file has a problem,
 * nothing in the database changes (the attempt is still written to the import
 * log). A file identical to the one last imported, under the same map, is
 * recognised and left alone. Sanity gates stop an implausible export (a
 * header and no rows, a steep fall in rows, a stale file) before it replaces
 * anything, and the rows an import replaces are kept as a snapshot. How
 * far reading has got is told to a progress handle when one is given. Uses
 * store, csv, json, xlsx, map, date, sha256, diag, progress. */
#ifndef ASSURE_IMPORT_H
#define ASSURE_IMPORT_H

#include <stddef.h>

#include "diag.h"
#include "map.h"
#include "progress.h"
#include "store.h"

typedef struct {
    const char *dataset; /* dataset id in the map */
    const char *path;    /* .csv, .json, .yaml, or .xlsx with an optional #SHEET */
} asr_import_spec;

typedef struct {
    unsigned long long max_bytes; /* largest file accepted; 0 = default (4 GiB) */
    size_t max_field;             /* largest CSV field in bytes; 0 = 1 MiB */
} asr_import_limits;

/* What an import keeps and checks beyond the rows themselves. */
typedef struct {
    const char *as_of;           /* the date of the data, YYYY-MM-DD; NULL: today */
    const asr_gates *gates;      /* the sanity gates; NULL: the map's */
    long keep_snapshots;         /* earlier snapshots kept per dataset; -1: the map's */
    const char *const *accepted; /* gates let through this once, by name */
    size_t n_accepted;
    asr_progress *progress; /* NULL, or told the rows and bytes read of each file */
} asr_import_policy;

typedef enum { ASR_IMPORTED, ASR_UNCHANGED, ASR_NOT_IMPORTED } asr_import_outcome;

typedef struct {
    asr_import_outcome outcome;
    long long rows;          /* rows now in the table */
    long long previous_rows; /* rows it replaced (counted inside the transaction), or -1 */
    char newest[11];         /* the newest date in the dataset's recency field, or "" */
    char sha256[65]; /* of the file (a worksheet: of the workbook and the sheet's name), or "" */
    long long size;  /* the file's size in bytes, or -1 if not known */
} asr_import_result;

/* Imports specs[0..n) in one transaction. results (n entries) says what
 * happened to each. Before anything is replaced the sanity gates look at
 * each file (map.h): one set to stop that trips rejects the whole import
 * (ASR_E_DATA, naming the file and the figures); one set to warn adds a
 * warning. The rows each import replaces are kept as a snapshot
 * (history_<dataset>). Returns ASR_OK, ASR_E_USAGE (unknown dataset, a
 * dataset named twice, unknown file type), ASR_E_NOINPUT (a file missing),
 * ASR_E_DATA (rejected rows or a gate), ASR_E_TEMP (database locked) or
 * ASR_E_IO. policy may be NULL. */
asr_status asr_import_run(asr_store *s, const asr_map *m, const asr_import_spec *specs, size_t n,
                          const asr_import_limits *limits, const asr_import_policy *policy,
                          asr_diag *d, asr_import_result *results);

/* The whole import as one call, for the command line and the nightly run:
 * loads the map at map_path, opens (creating if need be) the database at
 * db_path, waiting up to busy_ms for another process's lock, and imports
 * specs[0..n) as asr_import_run does. With n == 0 only the map tables are
 * reloaded. */
typedef struct {
    const char *map_path;
    const char *db_path;
    int busy_ms;
    asr_import_limits limits;
    asr_import_policy policy;
} asr_import_opts;
asr_status asr_import_files(const asr_import_opts *o, const asr_import_spec *specs, size_t n,
                            asr_diag *d, asr_import_result *results);

/* The file type a path names by its extension: "csv", "json" or NULL. */
const char *asr_import_format(const char *path);

#endif
