/* histreport: the run history for people and tools -- what changed
 * between two runs (new, reopened, worsened, resolved, grouped like the
 * exception list) and the list of recorded runs -- as text, CSV (formula-
 * safe) or JSON. Reads only the database: no map or rules are needed.
 * The text shows control characters as escapes (util); a file is written
 * through outfile, never over the database.
 * Uses history, store, findfmt (escaping), outfile, util, diag. */
#ifndef ASSURE_HISTREPORT_H
#define ASSURE_HISTREPORT_H

#include <stdio.h>

#include "findfmt.h"
#include "history.h"
#include "store.h"

/* What changed from run a to run b. Non-zero status on a read error. */
asr_status asr_diff_write(asr_store *s, const asr_run_info *a, const asr_run_info *b,
                          asr_format fmt, FILE *out, asr_diag *d);

/* Every recorded run, oldest first (the newest `limit`, 0 = all). */
asr_status asr_runs_write(asr_store *s, size_t limit, asr_format fmt, FILE *out, asr_diag *d);

/* The diff verb as one call: opens db_path read-only, picks the two runs
 * -- a and b as run ids, or a = the last run on or before `since` (a date)
 * and b the latest, or by default the last two -- and writes what changed
 * atomically to `output`, or to stream when output is NULL. ASR_E_USAGE
 * (no such run, fewer than two runs) names the runs there are. */
typedef struct {
    const char *db_path;
    const char *a, *b; /* run ids as given, or NULL */
    const char *since; /* YYYY-MM-DD, or NULL */
    asr_format format;
    const char *output;
} asr_diff_opts;
asr_status asr_diff(const asr_diff_opts *o, FILE *stream, asr_diag *d);

/* The history verb as one call. */
asr_status asr_history_show(const char *db_path, size_t limit, asr_format fmt, const char *output,
                            FILE *stream, asr_diag *d);

#endif
