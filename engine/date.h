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

#endif
