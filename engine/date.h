/* date: calendar dates. Two readers: the strict one parses only the exact
 * declared layout (ISO YYYY-MM-DD by default); the layout reader takes the
 * dates people type -- 30/06/2021, 30-Jun-2020, 30 June 2020, June 2021,
 * Q4 2023/24, with stray spaces, weekday names and ordinals -- against a list
 * of layouts, including partial dates (a month, a quarter, a year) read as
 * the last day of the period they name, with their precision. Both reject
 * impossible days. Also day counts so dates can be compared and shifted, and
 * fiscal years. Uses libc only. */
#ifndef ASSURE_DATE_H
#define ASSURE_DATE_H

#include <stddef.h>
#include <stdint.h>

#define ASR_DATE_MIN_YEAR 1900
#define ASR_DATE_MAX_YEAR 2100

typedef struct {
    int year, month, day;
} asr_date;

/* Checks a date layout such as "DD/MM/YYYY": YYYY, MM and DD exactly once
 * each, separated by any of "-/. ". Returns NULL if valid, else the reason. */
const char *asr_date_format_check(const char *format);

/* Parses s[0..len) in the given layout (NULL means YYYY-MM-DD). Every digit
 * position must be a digit, the whole input must be consumed, the day must
 * exist in that month and the year lie in 1900..2100. Returns NULL and fills
 * *out on success, or a static reason for the message. */
const char *asr_date_parse(const char *s, size_t len, const char *format, asr_date *out);

/* ---- the layout reader ----
 * A layout is a sequence of tokens -- D (day, 1 or 2 digits), DD (2 digits),
 * M, MM (month as digits), MON (month name, full or three letters, any case;
 * Sept too), YYYY, YY (00-69 are 20xx, 70-99 19xx), Q (Q1..Q4), FY (a fiscal
 * year written 2023/24 or 2023-2024) -- with anything else between them as a
 * separator. Input is read as runs of digits and runs of letters; any other
 * characters separate them, so 30/06/2021, 30-06-2021 and 30.06.2021 all
 * match D M YYYY, and 08MARCH 2016 matches D MON YYYY. Weekday names
 * (Monday, Tue, ...) and ordinal endings (1st, 22nd) are ignored. A layout
 * without a year (D MON, MON) takes the reader's default year, if given. */

typedef enum { ASR_PREC_DAY, ASR_PREC_MONTH, ASR_PREC_QUARTER, ASR_PREC_YEAR } asr_date_precision;

/* The precision's name: day, month, quarter, year. */
const char *asr_date_precision_name(asr_date_precision p);

/* NULL if layout is valid, else why not. *partial (may be NULL) is set when
 * it names less than a day (a month, a quarter, a fiscal or calendar year). */
const char *asr_date_layout_check(const char *layout, int *partial);

/* The layouts most UK trackers use, day first: D M YYYY, D M YY, D MON YYYY,
 * D MON YY, MON YYYY, MON YY, Q FY, FY, and ISO YYYY M D. NULL-terminated. */
extern const char *const asr_date_uk_layouts[];

typedef struct {
    const char *const *layouts; /* tried in order */
    size_t n_layouts;
    int fy_start;     /* month the fiscal year starts (Q and FY), 1..12 */
    int default_year; /* for layouts without a year; 0: such dates are refused */
    int *compiled;    /* NULL, or each layout's tokens (asr_date_rules_compile) */
} asr_date_rules;

/* Reads r's layouts into tokens once, so that asr_date_read need not for
 * every value it reads (an import reads millions); release with
 * asr_date_rules_release. Reading gives the same results either way. */
void asr_date_rules_compile(asr_date_rules *r);
void asr_date_rules_release(asr_date_rules *r);

/* Reads every date in s[0..len) -- one, or several side by side ("31.12.24
 * 30.09.25") -- into out[0..max), with their precisions; *n gets how many.
 * A partial date is the last day of its period (June 2021 is 2021-06-30,
 * Q4 2023/24 with an April year is 2024-03-31). Returns NULL, or why the
 * text is not dates in any of the layouts. */
const char *asr_date_read(const char *s, size_t len, const asr_date_rules *r, asr_date *out,
                          asr_date_precision *prec, size_t max, size_t *n);

/* Writes "YYYY-MM-DD" and a NUL. */
void asr_date_format_iso(asr_date d, char out[11]);

int asr_days_in_month(int year, int month);

/* Days since 1970-01-01 (negative before), and back. */
int64_t asr_date_to_days(asr_date d);
asr_date asr_date_from_days(int64_t days);

/* Adds n months, keeping the day but clamping it to the month's last day:
 * 2023-01-31 + 1 month = 2023-02-28; 2024-01-31 + 1 month = 2024-02-29. */
asr_date asr_date_add_months(asr_date d, int months);

/* The fiscal year a date falls in, named by the calendar year it starts in
 * (start_month 4: 2023-03-31 is in 2022, i.e. "2022/23"), and its quarter
 * 1..4 counted from start_month. */
int asr_fiscal_year(asr_date d, int start_month);
int asr_fiscal_quarter(asr_date d, int start_month);

/* "2022/23" (or "2022" when the fiscal year is the calendar year), and
 * "Q4 2022/23". Buffers of 16 bytes are enough. */
void asr_fiscal_year_label(int fy, int start_month, char *out, size_t size);
void asr_fiscal_quarter_label(asr_date d, int start_month, char *out, size_t size);

#endif
