/* report: turns a run's findings and rule failures into an exception list,
 * as text for people (wrapped to a width), CSV for spreadsheets
 * (formula-safe, with a byte-order mark, rows in reading order, evidence
 * split into columns), an Excel workbook (xlsxout), JSON for tools and JSON
 * Lines for streams. Output is deterministic: the same findings give
 * the same bytes, apart from the timing fields. Findings are the structs of
 * a run, the run's findings kept in reading order on disk as they arrived
 * (findspool; text, CSV, Excel), or (JSON) the bytes workers formatted,
 * kept in a spool; every list is written one finding at a time;
 * counts come from the rules' results either way -- or the findings of a
 * run recorded in the history. The text shows control characters from the
 * data and the rules as escapes (util). Uses runner (results), findfmt, findspool,
 * xlsxout, spool, history, map,
 * util. */
#ifndef ASSURE_REPORT_H
#define ASSURE_REPORT_H

#include <stdio.h>

#include "findfmt.h"
#include "history.h"
#include "map.h"
#include "runner.h"
#include "spool.h"

typedef struct {
    const asr_map *map;
    const char *as_of;
    const char *rules_hash;
    const asr_rule_result *rules; /* every rule loaded */
    const int *ran;               /* which of them ran */
    size_t n_rules;
    const asr_finding *findings; /* text always; CSV and JSON when spool is NULL */
    size_t n_findings;
    asr_spool *spool; /* CSV and JSON: the rules' formatted findings (rules[i].blocks) */
    /* Text, CSV and Excel: the run's findings kept as they arrived, instead
     * of findings (NULL: none). */
    struct asr_findspool *ordered;
    double elapsed_ms;
    const char *integrity; /* NULL, or how the integrity check went (check.h) */
    /* The run history. previous: the recorded run the findings were compared
     * with (NULL or id 0: none). With store and recorded set, the findings
     * are those of that recorded run, read from store (the fields above are
     * not used for them), and the JSON formats add the run's counts and the
     * findings it resolved. */
    const asr_run_info *previous;
    asr_store *store;
    const asr_run_info *recorded;
    /* With a recorded run: write it as 'assure check' would have (no run
     * counts, no resolved findings), the form a replay compares. */
    int check_form;
    /* Text: the width to wrap to (0: 80). CSV: leave out the byte-order mark.
     * Excel: a sheet per business group too; where its temporary files go
     * (NULL: $TMPDIR or /tmp). */
    int width;
    int no_bom;
    int xlsx_by_group;
    const char *tmpdir;
} asr_report;

/* Writes the report; returns non-zero if a write (or a read of the spool)
 * failed. color: use ANSI colours (text only). */
int asr_report_write(const asr_report *r, asr_format fmt, FILE *out, int color);

/* Why the last asr_report_write failed, when it was not writing to out
 * (the workbook's temporary file); else NULL. */
const char *asr_report_error(void);

#endif
