/* findfmt: one finding as the bytes of an output format -- a CSV row
 * (formula-safe, RFC 4180), a JSON object, a JSON Lines line -- and the
 * escaping those formats need. Both the report (for findings it holds) and
 * rule workers (which format their own findings, so the parent only copies
 * bytes) use it, so the two give the same bytes. Also the business group a
 * finding belongs to. Owns the finding type. Uses map, rule, util. */
#ifndef ASSURE_FINDFMT_H
#define ASSURE_FINDFMT_H

#include <stddef.h>
#include <stdio.h>

#include "map.h"
#include "rule.h"
#include "util.h"

typedef enum { ASR_FMT_TEXT, ASR_FMT_CSV, ASR_FMT_JSON, ASR_FMT_JSONL } asr_format;

/* Parses "text", "csv", "json" or "jsonl"; -1 if none. */
int asr_format_parse(const char *s, asr_format *out);

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

/* The CSV header row, CRLF included. */
extern const char asr_csv_header[];

/* The finding's severity: its own, or else its rule's. */
const char *asr_finding_severity(const asr_finding *f, const asr_rule *rule);

/* Index of a severity name in high, medium, low (unknown names count as low). */
int asr_severity_index(const char *s);

/* The business group a finding belongs to: the top of the unit tree above
 * its unit (or its area's unit). NULL if none. */
const asr_unit *asr_business_group(const asr_map *m, const asr_finding *f);

/* The same, by name, remembering the last answer: findings come sorted by
 * rule and subject, so neighbours often share a unit or area. Start with a
 * zeroed memo; it keeps copies, so findings may be overwritten between calls. */
typedef struct {
    int set;
    char unit[128], area[128];
    const char *name;
} asr_bg_memo;
const char *asr_business_group_name(const asr_map *m, const asr_finding *f, asr_bg_memo *memo);

/* Appends one finding of the given rule to out:
 *   CSV    a row ending CRLF, columns as in asr_csv_header;
 *   JSONL  an object with "type": "finding", ending LF;
 *   JSON   ",\n    " then the object: the separator of the findings array
 *          (the writer drops the comma before the first finding).
 * Not for ASR_FMT_TEXT, which lays findings out across rules. */
void asr_findfmt_write(asr_buf *out, asr_format fmt, const asr_map *m, const asr_rule *rule,
                       const asr_finding *f, asr_bg_memo *memo);

/* s as a CSV cell: quoted when needed, and with a leading ' added when it
 * starts with = + - @ tab or CR, so no spreadsheet runs it. NULL adds nothing. */
void asr_csv_cell_buf(asr_buf *out, const char *s);
/* s as a JSON string; invalid UTF-8 becomes U+FFFD. */
void asr_json_string_buf(asr_buf *out, const char *s);

/* The same, written to a stream. */
void asr_csv_cell(FILE *out, const char *s);
void asr_json_string(FILE *out, const char *s);

#endif
