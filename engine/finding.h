/* finding: what a rule run produces -- a finding (subject, message, the
 * optional fields of ctx:flag, evidence, fingerprint, and what the run
 * history says of it) and the severities it can have; its wire form between
 * a worker and its parent; and the two interfaces through which a worker
 * hands each finding on: a classifier (history, waivers) and a sink (the
 * bytes of an output format). No output or history code: the formats live
 * in findfmt, the history in history, and the check pipeline decides which a
 * run uses. Evidence and parameter values are typed (number, integer, date,
 * boolean, text, null); a finding also carries its as-of date, its rule's
 * parameters in effect and the rows it rests on. Uses rule (metadata), wire, util, sha256. */
#ifndef ASSURE_FINDING_H
#define ASSURE_FINDING_H

#include <stddef.h>

#include "rule.h"
#include "util.h"

/* A name and a value. For evidence and parameters the value is typed: t is
 * one of the ASR_EV_* letters (0 counts as text) and v is its text -- a
 * number as written, "true"/"false", a date as YYYY-MM-DD, "" for null. For
 * the rows a finding rests on, k is the dataset and v the row's key. */
typedef struct {
    char *k, *v;
    char t;
} asr_kv;

#define ASR_EV_STRING 's'
#define ASR_EV_NUMBER 'n'
#define ASR_EV_INTEGER 'i'
#define ASR_EV_DATE 'd'
#define ASR_EV_BOOLEAN 'b'
#define ASR_EV_NULL 'z'

/* The rows a finding lists at most; rows_total counts the rest too. */
#define ASR_FINDING_MAX_ROWS 20

typedef struct {
    size_t rule; /* index into the run's rule results */
    char *subject, *message, *severity, *unit, *area, *line, *principle, *owner, *due;
    asr_kv *evidence;
    size_t n_evidence;
    /* What the runner attaches to every finding: the as-of date of the
     * evaluation, the rule's parameters in effect (after map overrides), and
     * the rows the rule said the finding rests on (dataset, key), at most
     * ASR_FINDING_MAX_ROWS of rows_total. */
    char *as_of;
    asr_kv *params;
    size_t n_params;
    asr_kv *rows;
    size_t n_rows;
    long rows_total;
    char fingerprint[17]; /* first 16 hex digits of SHA-256(rule id, NUL, subject) */
    /* From the run history (NULL / -1 when there is none): the state against
     * the previous recorded run -- new, recurring or reopened -- the as-of
     * date of the first run it was seen in, and the days since. */
    char *state, *first_seen;
    long age_days;
    char *waiver; /* a waiver's note, set by the classifier; NULL: none */
    int waived;   /* a waiver in force covers it: reported apart, not counted */
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

/* The wire form ('F' message): fields 0..8 the ctx:flag fields (subject,
 * message, severity, unit, area, line, principle, owner, due), 9 the
 * fingerprint, 10 the state, 11 first seen, 12 the age in days, 13 the
 * waiver's note, 14 "1" when waived, 15 the as-of date, 16 rows_total, then
 * three packed lists (asr_finding_pack): 17 the parameters, 18 the rows,
 * 19 the evidence; an empty field is "not given".
 * asr_finding_decode copies the strings, NUL-terminated, into block (of
 * asr_finding_decode_size bytes, which f->evidence then points to the
 * start of). A malformed list decodes as its complete items. */
#define ASR_FINDING_FIXED_FIELDS 20
struct asr_wire_msg;
void asr_finding_encode(asr_buf *msg, const asr_finding *f);
/* Appends one item to a packed list: the name's length (4 bytes) and bytes,
 * then the value's length, its type letter and its text. */
void asr_finding_pack(asr_buf *list, const char *k, size_t klen, char t, const char *v,
                      size_t vlen);
size_t asr_finding_decode_size(const struct asr_wire_msg *m);
void asr_finding_decode(const struct asr_wire_msg *m, void *block, asr_finding *f);

/* In the worker, once a rule has finished: fills in what is known of each
 * finding beyond the rule's own words -- its state, first seen and age from
 * the run history, a waiver that covers it. Strings it sets stay valid until
 * its next call. */
typedef struct asr_finding_classifier asr_finding_classifier;
struct asr_finding_classifier {
    /* Optional: called in the worker before the rule runs, while it may
     * still open files (confine): open what classify will read. */
    void (*open)(asr_finding_classifier *self);
    void (*classify)(asr_finding_classifier *self, const asr_rule *rule, asr_finding *f);
    /* Optional: once the rule's findings are classified, a note for the
     * parent (such as which waivers matched), appended to note. */
    void (*finish)(asr_finding_classifier *self, asr_buf *note);
};

/* Where a rule worker puts each of its findings, once the rule has finished
 * and they are sorted: a sink appends the finding's bytes to out. A run
 * without a sink sends findings back as structs instead. */
typedef struct asr_finding_sink asr_finding_sink;
struct asr_finding_sink {
    void (*write)(asr_finding_sink *self, asr_buf *out, const asr_rule *rule, const asr_finding *f);
};

#endif
