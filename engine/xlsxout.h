/* xlsxout: the exception list as an Excel workbook (.xlsx) -- a Summary
 * sheet (facts about the run: organisation, as-of, counts, identity; the
 * rules that failed), a Findings sheet (header row frozen, an autofilter,
 * severity in words and colour, dates as dates, numbers as numbers, column
 * widths from the data, one column per evidence name), the waived findings
 * on a sheet of their own, and on request one sheet per business group.
 * Every cell is written as a string or a typed value, never as a formula, so
 * text from the data such as "=HYPERLINK(...)" stays text. Text is made safe
 * for the file format first (invalid UTF-8 and control characters become
 * U+FFFD; a cell holds at most 32,767 characters, Excel's limit). The caller
 * decides the order of the rows, and may hand them over one at a time, so
 * that with the library's constant-memory mode a list of any length takes
 * the same memory. The only includer of <xlsxwriter.h>.
 * Uses finding, rule, date, util, outfile (the temporary file of a workbook
 * written to a stream). */
#ifndef ASSURE_XLSXOUT_H
#define ASSURE_XLSXOUT_H

#include <stddef.h>

#include "finding.h"
#include "rule.h"

/* A line of the Summary sheet: a label and a text, a number or a date
 * (YYYY-MM-DD text written as a date). */
typedef enum { ASR_XFACT_TEXT, ASR_XFACT_NUMBER, ASR_XFACT_DATE, ASR_XFACT_HEADING } asr_xfact_kind;
typedef struct {
    const char *label;
    asr_xfact_kind kind;
    const char *text;
    double number;
} asr_xlsx_fact;

/* One finding as a row: the finding, its rule and its business group (NULL:
 * none). */
typedef struct {
    const asr_finding *f;
    const asr_rule *rule;
    const char *group;
} asr_xlsx_row;

/* A rule that failed, for the Summary sheet. */
typedef struct {
    const char *rule, *kind, *message;
} asr_xlsx_failure;

typedef struct {
    const asr_xlsx_fact *facts;
    size_t n_facts;
    const asr_xlsx_failure *failures;
    size_t n_failures;
    const asr_xlsx_row *rows; /* the findings, in the order they are listed */
    size_t n_rows;
    const asr_xlsx_row *waived; /* findings waivers cover: their own sheet */
    size_t n_waived;
    const char *const *evidence; /* evidence names that get a column each */
    size_t n_evidence;
    int by_group;       /* also a sheet per business group */
    const char *tmpdir; /* where the library keeps its temporary files; NULL: the default */
    /* Instead of the arrays above, the rows one at a time: each() calls fn
     * for every row of the list in order (waived 0), for the waived ones
     * (waived 1), or with filter for the listed rows of business group
     * `group` (NULL: none); the row is valid during the call only. It
     * returns non-zero if the rows could not be read. n_rows, n_waived and
     * the business groups (by name; no_group: some rows have none) are
     * given beforehand. */
    int (*each)(void *ud, int waived, int filter, const char *group,
                void (*fn)(void *ctx, const asr_xlsx_row *row), void *ctx);
    void *each_ud;
    const char *const *groups;
    size_t n_groups;
    int no_group;
} asr_xlsx_list;

/* Writes the workbook to path (created or replaced). 0, or -1 with the
 * reason in err. */
int asr_xlsx_write(const asr_xlsx_list *l, const char *path, char *err, size_t errsize);

/* Writes the workbook to out (a pipe or terminal will do: the library
 * needs a file it can seek in, so the workbook is made in a temporary file
 * in l->tmpdir, an outfile's, never committed, so a signal removes it like
 * any other -- then copied to out). 0, or -1 with the reason in err,
 * a sentence: the temporary file could not be made, the workbook not
 * written, or it could not be read back. */
int asr_xlsx_write_stream(const asr_xlsx_list *l, FILE *out, char *err, size_t errsize);

/* The sheet name Excel accepts for s: []:*?/\ become '-', leading and
 * trailing apostrophes go, at most 31 characters, "-" if nothing is left.
 * out must hold 128 bytes. */
void asr_xlsx_sheet_name(const char *s, char out[128]);

/* How a value is written in a cell: 1 a number (an optional minus, no
 * leading zero, at most 15 digits, an optional fraction), 2 a date
 * (YYYY-MM-DD, a real day), 0 text. */
int asr_xlsx_value_kind(const char *s);

/* The version of libxlsxwriter linked in, for 'assure --version'. */
const char *asr_xlsxout_version(void);

#endif
