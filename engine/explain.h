/* explain: why one finding exists, written for a person who wants to
 * re-perform it by hand -- the rule's title and description, the finding's
 * words, the as-of date, the rule's parameters in effect, its typed
 * evidence, the date arithmetic (each date against the as-of date, in
 * days), and the rows it rests on with their values as the database holds
 * them (the snapshot of the run's as-of date when the data has moved on
 * since). As text or JSON. The finding comes from a run the history recorded
 * (by fingerprint, or a unique prefix of one, like git's short hashes) or
 * from a check run on the spot; check --explain explains every finding of
 * a check. Reads the database only. Uses check (on the spot), history,
 * store, finding, findfmt (JSON), outfile, date, diag, util. */
#ifndef ASSURE_EXPLAIN_H
#define ASSURE_EXPLAIN_H

#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "diag.h"
#include "finding.h"
#include "findfmt.h"
#include "runner.h"
#include "store.h"
#include "util.h"

/* Digits a fingerprint prefix needs at least. */
#define ASR_EXPLAIN_MIN_PREFIX 4

/* What is explained: one finding and what is known of its rule. */
typedef struct {
    const char *rule, *title, *description, *category; /* title, description: NULL if unknown */
    const char *severity;
    const asr_finding *f;
    int64_t run; /* the recorded run it comes from; 0: a check on the spot */
} asr_explanation;

/* Appends the explanation as text (control characters escaped) or as one
 * JSON object. s (may be NULL) is where the rows' values are looked up. */
void asr_explain_text(asr_buf *out, asr_store *s, const asr_explanation *e);
void asr_explain_json(asr_buf *out, asr_store *s, const asr_explanation *e);

typedef struct {
    const char *db_path;
    const char *fingerprint; /* 4 to 16 hex digits */
    int64_t run;             /* the recorded run; 0: the latest */
    /* On the spot: with map_path and rules_dir, the rules run now (as of
     * as_of) and the finding is looked for among theirs. */
    const char *map_path, *rules_dir, *as_of;
    asr_runner_opts runner;
    asr_format format;  /* ASR_FMT_TEXT or ASR_FMT_JSON */
    const char *output; /* NULL: stream */
} asr_explain_opts;

/* Writes the explanation of the finding o->fingerprint names. ASR_E_USAGE:
 * not a fingerprint, or a prefix several findings share (they are listed);
 * ASR_E_NOINPUT: no such finding (or no run recorded); otherwise the
 * database's or the output's errors. */
asr_status asr_explain(const asr_explain_opts *o, FILE *stream, asr_diag *d);

/* check --explain: every finding of a check that ran (c->findings, the
 * text format's structs), explained, to stream or atomically to output. */
asr_status asr_explain_check(const asr_check *c, const char *db_path, asr_format fmt,
                             const char *output, FILE *stream, asr_diag *d);

#endif
