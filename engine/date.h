/* date: strict calendar dates. Parses only the exact declared layout (ISO
 * YYYY-MM-DD by default), rejects impossible days, and converts to and from a
 * day count so dates can be compared and shifted. Uses libc only. */
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
