/* waiver: waivers and risk acceptances. They are data like any export: the
 * standard model's `waivers` dataset, imported from YAML or CSV, so they are
 * checked row by row with their file and line, kept in snapshots, and
 * readable by rules. This module reads the ones the database holds and
 * applies them in the rule workers through a classifier: a finding that a
 * waiver in force names -- by fingerprint, or by rule and subject -- is
 * marked waived (reported apart, not counted, exit 0 if nothing else is
 * found) with its approver and expiry in its note; one whose waiver has
 * expired comes back as an exception saying "waiver expired on ...". The
 * parent learns from each worker's note which waivers matched, so one that
 * matches nothing can be reported. Uses store, finding, date, diag, util. */
#ifndef ASSURE_WAIVER_H
#define ASSURE_WAIVER_H

#include <stddef.h>

#include "diag.h"
#include "finding.h"
#include "store.h"

typedef struct {
    char fingerprint[17]; /* given, or made from rule and subject */
    char *rule, *subject, *justification, *approver, *approved_on, *expires;
    unsigned line; /* in the waivers file */
    int matched;
} asr_waiver;

typedef struct {
    asr_waiver *items; /* sorted by fingerprint */
    size_t n;
    char *file; /* the file they were imported from */
} asr_waivers;

/* Reads the `waivers` table, if the database has one. A waiver whose
 * fingerprint does not agree with its rule and subject is an error at its
 * line (ASR_E_DATA). */
asr_status asr_waivers_read(asr_store *s, asr_waivers *out, asr_diag *d);
void asr_waivers_free(asr_waivers *w);

/* The classifier applying w (borrowed) as at as_of, after `next` (the run
 * history's classifier, or NULL) has done its part. */
typedef struct asr_waiver_classifier asr_waiver_classifier;
asr_waiver_classifier *asr_waiver_classifier_new(const asr_waivers *w, const char *as_of,
                                                 asr_finding_classifier *next);
asr_finding_classifier *asr_waiver_classifier_base(asr_waiver_classifier *c);
void asr_waiver_classifier_free(asr_waiver_classifier *c);

/* Takes in a worker's note of the waivers that matched. */
void asr_waivers_take_note(asr_waivers *w, const char *note, size_t len);

/* A warning at its line for each waiver that matched no finding of the
 * rules that ran. */
void asr_waivers_report_unmatched(const asr_waivers *w, asr_diag *d);

#endif
