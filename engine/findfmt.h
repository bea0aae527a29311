/* findfmt: one finding as the bytes of an output format -- a CSV row
 * (formula-safe, RFC 4180), a JSON object, a JSON Lines line -- and the
 * escaping those formats need. Both the report (for findings it holds) and
 * rule workers (which format their own findings, so the parent only copies
 * bytes, through the sink below) use it, so the two give the same bytes.
 * Evidence and parameters are written typed in JSON (numbers, booleans,
 * null, dates as "YYYY-MM-DD"), as text in CSV.
 * Also the business group a finding belongs to. Uses finding, map, rule, util. */
#ifndef ASSURE_FINDFMT_H
#define ASSURE_FINDFMT_H

#include <stddef.h>
#include <stdio.h>

#include "finding.h"
#include "map.h"
#include "rule.h"
#include "util.h"

/* ASR_FMT_XLSX: an Excel workbook, written by report (xlsxout), not here. */
typedef enum { ASR_FMT_TEXT, ASR_FMT_CSV, ASR_FMT_JSON, ASR_FMT_JSONL, ASR_FMT_XLSX } asr_format;

/* Parses "text", "csv", "json", "jsonl" or "xlsx"; -1 if none. */
int asr_format_parse(const char *s, asr_format *out);

/* The CSV header row, CRLF included. */
extern const char asr_csv_header[];

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
 * Not for ASR_FMT_TEXT or ASR_FMT_XLSX, which lay findings out across rules. */
void asr_findfmt_write(asr_buf *out, asr_format fmt, const asr_map *m, const asr_rule *rule,
                       const asr_finding *f, asr_bg_memo *memo);

/* A sink (finding.h) that formats each finding with asr_findfmt_write, for
 * rule workers: they format their own findings so the parent only copies
 * bytes. */
typedef struct {
    asr_finding_sink sink;
    asr_format fmt;
    const asr_map *map;
    asr_bg_memo memo;
} asr_findfmt_sink;
void asr_findfmt_sink_init(asr_findfmt_sink *s, asr_format fmt, const asr_map *m);

/* s as a CSV cell: quoted when needed, and with a leading ' added when it
 * starts with = + - @ tab or CR, so no spreadsheet runs it. NULL adds nothing. */
void asr_csv_cell_buf(asr_buf *out, const char *s);
/* s as a JSON string; invalid UTF-8 becomes U+FFFD. */
void asr_json_string_buf(asr_buf *out, const char *s);

/* A typed value (asr_kv's t and v) as JSON: numbers and booleans bare,
 * null as null, dates and text as strings. */
void asr_json_value_buf(asr_buf *out, char t, const char *v);
/* name/value pairs as a JSON object of typed values: {"days_late": 186} */
void asr_json_kv_object(asr_buf *out, const asr_kv *kv, size_t n);
/* rows as a JSON array: [{"dataset": "audit_actions", "key": "A-002"}] */
void asr_json_rows(asr_buf *out, const asr_kv *rows, size_t n);

/* The same, written to a stream. */
void asr_csv_cell(FILE *out, const char *s);
void asr_json_string(FILE *out, const char *s);

#endif
