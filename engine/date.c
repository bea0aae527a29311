#include "date.h"

#include <stdio.h>
#include <string.h>

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int asr_days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12)
        return 0;
    return month == 2 && is_leap(year) ? 29 : days[month - 1];
}

static int is_sep(char c)
{
    return c == '-' || c == '/' || c == '.' || c == ' ';
}

const char *asr_date_format_check(const char *format)
{
    int y = 0, m = 0, d = 0;
    for (const char *p = format; *p;) {
        if (strncmp(p, "YYYY", 4) == 0) {
            y++;
            p += 4;
        } else if (strncmp(p, "MM", 2) == 0) {
            m++;
            p += 2;
        } else if (strncmp(p, "DD", 2) == 0) {
            d++;
            p += 2;
        } else if (is_sep(*p)) {
            p++;
        } else {
            return "a date format may hold only YYYY, MM, DD and the separators - / . and space";
        }
    }
    if (y != 1 || m != 1 || d != 1)
        return "a date format needs YYYY, MM and DD exactly once each";
    return NULL;
}

static int all_digits(const char *s, size_t len)
{
    if (len == 0)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int digits_value(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static int iso_digits(const char *s)
{
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7) {
            if (s[i] != '-')
                return 0;
        } else if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }
    return 1;
}

const char *asr_date_parse(const char *s, size_t len, const char *format, asr_date *out)
{
    static char reason[96];
    /* Fast path for the usual case: a well-formed, real ISO date. */
    if (!format && len == 10 && iso_digits(s)) {
        int y = digits_value(s, 4), m = digits_value(s + 5, 2), d = digits_value(s + 8, 2);
        if (y >= ASR_DATE_MIN_YEAR && y <= ASR_DATE_MAX_YEAR && m >= 1 && m <= 12 && d >= 1 &&
            d <= asr_days_in_month(y, m)) {
            out->year = y;
            out->month = m;
            out->day = d;
            return NULL;
        }
    }
    if (!format)
        format = "YYYY-MM-DD";
    size_t flen = strlen(format);
    if (len == 0)
        return "empty date";
    if (len != flen) {
        if (all_digits(s, len) && len >= 4 && len <= 6)
            return "looks like a spreadsheet serial number, not a date; export dates as text";
        snprintf(reason, sizeof reason, "not a date in the form %s", format);
        return reason;
    }
    int y = -1, m = -1, d = -1;
    for (size_t i = 0; i < flen;) {
        const char *f = format + i;
        size_t n = strncmp(f, "YYYY", 4) == 0                               ? 4
                   : (strncmp(f, "MM", 2) == 0 || strncmp(f, "DD", 2) == 0) ? 2
                                                                            : 1;
        if (n == 1) {
            if (s[i] != *f) {
                snprintf(reason, sizeof reason, "not a date in the form %s", format);
                return reason;
            }
        } else {
            if (!all_digits(s + i, n)) {
                snprintf(reason, sizeof reason, "not a date in the form %s", format);
                return reason;
            }
            int v = digits_value(s + i, n);
            if (n == 4)
                y = v;
            else if (*f == 'M')
                m = v;
            else
                d = v;
        }
        i += n;
    }
    if (y < ASR_DATE_MIN_YEAR || y > ASR_DATE_MAX_YEAR) {
        snprintf(reason, sizeof reason, "year %d is outside %d-%d", y, ASR_DATE_MIN_YEAR,
                 ASR_DATE_MAX_YEAR);
        return reason;
    }
    if (m < 1 || m > 12) {
        snprintf(reason, sizeof reason, "month %02d does not exist", m);
        return reason;
    }
    int dim = asr_days_in_month(y, m);
    if (d < 1 || d > dim) {
        static const char *names[12] = {"January",   "February", "March",    "April",
                                        "May",       "June",     "July",     "August",
                                        "September", "October",  "November", "December"};
        snprintf(reason, sizeof reason, "no such day: %s %d has %d days", names[m - 1], y, dim);
        return reason;
    }
    out->year = y;
    out->month = m;
    out->day = d;
    return NULL;
}

void asr_date_format_iso(asr_date d, char out[11])
{
    unsigned y = (unsigned)d.year % 10000u, m = (unsigned)d.month % 100u,
             dd = (unsigned)d.day % 100u;
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[7] = '-';
    out[8] = (char)('0' + dd / 10);
    out[9] = (char)('0' + dd % 10);
    out[10] = '\0';
}

/* Civil-date <-> day-count conversion on the proleptic Gregorian calendar,
 * counting years from March so the leap day falls at the end of the year. */
int64_t asr_date_to_days(asr_date d)
{
    int64_t y = d.month <= 2 ? d.year - 1 : d.year;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (d.month + 9) % 12; /* March = 0 */
    int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

asr_date asr_date_from_days(int64_t days)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = yoe + era * 400 + (m <= 2);
    asr_date r = {(int)y, (int)m, (int)d};
    return r;
}

asr_date asr_date_add_months(asr_date d, int months)
{
    int index = d.year * 12 + (d.month - 1) + months;
    asr_date r;
    r.year = index / 12;
    r.month = index % 12 + 1;
    int dim = asr_days_in_month(r.year, r.month);
    r.day = d.day > dim ? dim : d.day;
    return r;
}

int asr_fiscal_year(asr_date d, int start_month)
{
    return d.month >= start_month ? d.year : d.year - 1;
}

int asr_fiscal_quarter(asr_date d, int start_month)
{
    int offset = (d.month - start_month + 12) % 12;
    return offset / 3 + 1;
}

void asr_fiscal_year_label(int fy, int start_month, char *out, size_t size)
{
    if (start_month == 1)
        snprintf(out, size, "%d", fy);
    else
        snprintf(out, size, "%d/%02d", fy, (fy + 1) % 100);
}

void asr_fiscal_quarter_label(asr_date d, int start_month, char *out, size_t size)
{
    char fy[16];
    asr_fiscal_year_label(asr_fiscal_year(d, start_month), start_month, fy, sizeof fy);
    snprintf(out, size, "Q%d %s", asr_fiscal_quarter(d, start_month), fy);
}
