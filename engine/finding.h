/* finding: what a rule run produces -- a finding (subject, message, the
 * optional fields of ctx:flag, evidence, fingerprint) and the severities it
 * can have -- and the sink interface through which a worker hands each
 * finding to whatever formats it. No output code: the formats live in
 * findfmt, and the check pipeline decides which sink a run uses.
 * Uses rule (metadata), util, sha256. */
#ifndef ASSURE_FINDING_H
#define ASSURE_FINDING_H

#include <stddef.h>

#include "rule.h"
#include "util.h"

typedef struct {
    char *k, *v;
} asr_kv;

typedef struct {
    size_t rule; /* index into the run's rule results */
    char *subject, *message, *severity, *unit, *area, *line, *principle, *owner, *due;
    asr_kv *evidence;
    size_t n_evidence;
    char fingerprint[17]; /* first 16 hex digits of SHA-256(rule id, NUL, subject) */
} asr_finding;

/* The three severities, most severe first. */
#define ASR_N_SEVERITIES 3
extern const char *const asr_severity_names[ASR_N_SEVERITIES];

/* The finding's severity: its own, or else its rule's. */
const char *asr_finding_severity(const asr_finding *f, const asr_rule *rule);

/* Index of a severity name in asr_severity_names (unknown names count as low). */
int asr_severity_index(const char *s);

/* The fingerprint of rule id + subject: the same in every run, so a finding
 * can be followed from one run to the next. out gets 16 hex digits and a NUL. */
void asr_finding_fingerprint(const char *rule_id, const char *subject, size_t subject_len,
                             char out[17]);

/* Where a rule worker puts each of its findings, once the rule has finished
 * and they are sorted: a sink appends the finding's bytes to out. A run
 * without a sink sends findings back as structs instead. */
typedef struct asr_finding_sink asr_finding_sink;
struct asr_finding_sink {
    void (*write)(asr_finding_sink *self, asr_buf *out, const asr_rule *rule, const asr_finding *f);
};

#endif
