/* report: turns a run's findings and rule failures into an exception list,
 * as text for people, CSV for spreadsheets (formula-safe), JSON for tools
 * and JSON Lines for streams. Output is deterministic: the same findings give
 * the same bytes, apart from the timing fields. Uses runner (results), map. */
#ifndef ASSURE_REPORT_H
#define ASSURE_REPORT_H

#include <stdio.h>

#include "map.h"
#include "runner.h"

typedef enum { ASR_FMT_TEXT, ASR_FMT_CSV, ASR_FMT_JSON, ASR_FMT_JSONL } asr_format;

typedef struct {
    const asr_map *map;
    const char *as_of;
    const char *rules_hash;
    const asr_rule_result *rules; /* every rule loaded */
    const int *ran;               /* which of them ran */
    size_t n_rules;
    const asr_finding *findings;
    size_t n_findings;
    double elapsed_ms;
} asr_report;

/* Parses "text", "csv", "json" or "jsonl"; -1 if none. */
int asr_format_parse(const char *s, asr_format *out);

/* Writes the report; returns non-zero if a write failed. color: use ANSI
 * colours (text only). */
int asr_report_write(const asr_report *r, asr_format fmt, FILE *out, int color);

/* The business group a finding belongs to: the top of the unit tree above
 * its unit (or its area's unit). NULL if none. */
const asr_unit *asr_report_business_group(const asr_map *m, const asr_finding *f);

/* Writes s as a CSV cell: quoted when needed, and with a leading ' added
 * when it starts with = + - @ tab or CR, so no spreadsheet runs it. */
void asr_csv_cell(FILE *out, const char *s);

/* Writes s as a JSON string; invalid UTF-8 becomes U+FFFD. */
void asr_json_string(FILE *out, const char *s);

#endif
