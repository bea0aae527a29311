#include "date.h"

#include <stdio.h>
#include <stdlib.h>
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

/* ---- the layout reader ---- */

enum { T_NUM, T_WORD };

typedef struct {
    int kind;
    const char *p;
    size_t len;
} token;

#define MAX_TOKENS 32

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int word_is(const token *t, const char *w)
{
    size_t n = strlen(w);
    if (t->len != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)t->p[i]) != w[i])
            return 0;
    return 1;
}

static const char *const month_names[12] = {"january",   "february", "march",    "april",
                                            "may",       "june",     "july",     "august",
                                            "september", "october",  "november", "december"};

/* 1..12 for a month name (full, three letters, or "sept"), else 0. */
static int month_of(const token *t)
{
    for (int m = 0; m < 12; m++) {
        const char *full = month_names[m];
        if (word_is(t, full))
            return m + 1;
        if (t->len == 3) {
            char three[4] = {full[0], full[1], full[2], 0};
            if (word_is(t, three))
                return m + 1;
        }
    }
    return word_is(t, "sept") ? 9 : 0;
}

static int is_weekday(const token *t)
{
    static const char *const days[] = {"monday",   "tuesday", "wednesday", "thursday", "friday",
                                       "saturday", "sunday",  "mon",       "tue",      "tues",
                                       "wed",      "weds",    "thu",       "thur",     "thurs",
                                       "fri",      "sat",     "sun",       NULL};
    for (size_t i = 0; days[i]; i++)
        if (word_is(t, days[i]))
            return 1;
    return 0;
}

static int is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* Splits s into runs of digits and letters; drops weekday names and ordinal
 * endings. Returns the count, or -1 if there are too many. */
static int tokenize(const char *s, size_t len, token *t)
{
    int n = 0;
    for (size_t i = 0; i < len;) {
        int c = (unsigned char)s[i];
        if (!is_digit(c) && !is_alpha(c)) {
            i++;
            continue;
        }
        size_t j = i;
        int digit = is_digit(c);
        while (j < len && (digit ? is_digit((unsigned char)s[j]) : is_alpha((unsigned char)s[j])))
            j++;
        token k = {digit ? T_NUM : T_WORD, s + i, j - i};
        int ordinal =
            !digit && n > 0 && t[n - 1].kind == T_NUM && t[n - 1].p + t[n - 1].len == s + i &&
            (word_is(&k, "st") || word_is(&k, "nd") || word_is(&k, "rd") || word_is(&k, "th"));
        if (!ordinal && !(k.kind == T_WORD && is_weekday(&k))) {
            if (n == MAX_TOKENS)
                return -1;
            t[n++] = k;
        }
        i = j;
    }
    return n;
}

enum { L_D, L_DD, L_M, L_MM, L_MON, L_YYYY, L_YY, L_Q, L_FY, L_BAD };

static int layout_token(const char *p, size_t n)
{
    static const char *const names[] = {"D", "DD", "M", "MM", "MON", "YYYY", "YY", "Q", "FY"};
    for (int k = 0; k < L_BAD; k++)
        if (strlen(names[k]) == n && strncmp(names[k], p, n) == 0)
            return k;
    return L_BAD;
}

/* The layout's tokens into out (at most 8); -1 if it is not a layout. */
static int layout_tokens(const char *layout, int *out)
{
    int n = 0;
    for (const char *p = layout; *p;) {
        if (!is_alpha((unsigned char)*p)) {
            if (is_digit((unsigned char)*p))
                return -1;
            p++;
            continue;
        }
        const char *q = p;
        while (is_alpha((unsigned char)*q))
            q++;
        int k = layout_token(p, (size_t)(q - p));
        if (k == L_BAD || n == 8)
            return -1;
        out[n++] = k;
        p = q;
    }
    return n;
}

/* A compiled layout: its token count (-1: not a layout), then its tokens. */
#define COMPILED_WIDTH 9

void asr_date_rules_compile(asr_date_rules *r)
{
    free(r->compiled);
    /* without the memory, layouts are read for every value as before */
    r->compiled = calloc(r->n_layouts ? r->n_layouts : 1, COMPILED_WIDTH * sizeof(int));
    for (size_t k = 0; r->compiled && k < r->n_layouts; k++)
        r->compiled[k * COMPILED_WIDTH] =
            layout_tokens(r->layouts[k], r->compiled + k * COMPILED_WIDTH + 1);
}

void asr_date_rules_release(asr_date_rules *r)
{
    free(r->compiled);
    r->compiled = NULL;
}

const char *asr_date_precision_name(asr_date_precision p)
{
    static const char *const names[] = {"day", "month", "quarter", "year"};
    return names[p];
}

const char *asr_date_layout_check(const char *layout, int *partial)
{
    int t[8];
    int n = layout_tokens(layout, t);
    if (n <= 0)
        return "a date layout is made of D, DD, M, MM, MON, YY, YYYY, Q and FY, with any "
               "separators between them";
    int day = 0, month = 0, year = 0, quarter = 0, fy = 0;
    for (int i = 0; i < n; i++) {
        day += t[i] == L_D || t[i] == L_DD;
        month += t[i] == L_M || t[i] == L_MM || t[i] == L_MON;
        year += t[i] == L_YYYY || t[i] == L_YY;
        quarter += t[i] == L_Q;
        fy += t[i] == L_FY;
    }
    if (day > 1 || month > 1 || year > 1 || quarter > 1 || fy > 1)
        return "a date layout names each part at most once";
    if (fy && (year || month || day))
        return "FY (a fiscal year such as 2023/24) goes with Q alone, or on its own";
    if (quarter && (!fy && !year))
        return "Q needs a year: Q FY (Q4 2023/24) or Q YYYY";
    if (quarter && (month || day))
        return "Q goes with a year only";
    if (day && !month)
        return "a day needs a month";
    if (!fy && !year && !month)
        return "a date layout needs at least a year or a month";
    if (partial)
        *partial = !day;
    return NULL;
}

const char *const asr_date_uk_layouts[] = {"D M YYYY", "D M YY", "D MON YYYY", "D MON YY",
                                           "MON YYYY", "MON YY", "Q FY",       "FY",
                                           "YYYY M D", NULL};

static int num_value(const token *t)
{
    int v = 0;
    for (size_t i = 0; i < t->len && i < 9; i++)
        v = v * 10 + (t->p[i] - '0');
    return v;
}

/* match_layout's reasons that name an impossible date (a year out of range,
 * a month or day that does not exist); its other reasons are literals. */
static char match_why[96];

/* Matches one date in layout lt[0..nl) against tokens from *pos; on success
 * fills *d and *prec, advances *pos and returns NULL; else a reason. */
static const char *match_layout(const token *tk, int ntk, int *pos, const int *lt, int nl,
                                const asr_date_rules *r, asr_date *d, asr_date_precision *prec)
{
    int i = *pos, day = 0, month = 0, year = 0, quarter = 0, fy = -1;
    for (int k = 0; k < nl; k++) {
        if (i >= ntk)
            return "too short";
        const token *t = &tk[i];
        switch (lt[k]) {
        case L_D:
        case L_DD:
            if (t->kind != T_NUM || t->len > 2 || (lt[k] == L_DD && t->len != 2))
                return "no day";
            day = num_value(t);
            i++;
            break;
        case L_M:
        case L_MM:
            if (t->kind != T_NUM || t->len > 2 || (lt[k] == L_MM && t->len != 2))
                return "no month";
            month = num_value(t);
            i++;
            break;
        case L_MON:
            if (t->kind != T_WORD || !(month = month_of(t)))
                return "no month name";
            i++;
            break;
        case L_YYYY:
            if (t->kind != T_NUM || t->len != 4)
                return "no year";
            year = num_value(t);
            i++;
            break;
        case L_YY:
            if (t->kind != T_NUM || t->len != 2)
                return "no year";
            year = num_value(t);
            year += year <= 69 ? 2000 : 1900;
            i++;
            break;
        case L_Q: {
            /* "Q4" reads as the word Q and the number 4 */
            if (t->kind != T_WORD || !word_is(t, "q") || i + 1 >= ntk || tk[i + 1].kind != T_NUM ||
                tk[i + 1].len != 1)
                return "no quarter";
            quarter = num_value(&tk[i + 1]);
            if (quarter < 1 || quarter > 4)
                return "no quarter";
            i += 2;
            break;
        }
        case L_FY: {
            if (t->kind != T_NUM || t->len != 4 || i + 1 >= ntk || tk[i + 1].kind != T_NUM ||
                (tk[i + 1].len != 2 && tk[i + 1].len != 4))
                return "no fiscal year";
            int a = num_value(t), b = num_value(&tk[i + 1]);
            if ((tk[i + 1].len == 2 && b != (a + 1) % 100) || (tk[i + 1].len == 4 && b != a + 1))
                return "no fiscal year";
            fy = a;
            i += 2;
            break;
        }
        default:
            return "bad layout";
        }
    }
    /* What the layout named, to the last day of its period. */
    int start = r->fy_start >= 1 && r->fy_start <= 12 ? r->fy_start : 4;
    asr_date_precision p = ASR_PREC_DAY;
    if (fy >= 0) {
        /* a fiscal year starting in month `start` of year fy */
        int q = quarter ? quarter : 4;
        int end_index = fy * 12 + (start - 1) + q * 3 - 1; /* months since year 0 */
        year = end_index / 12;
        month = end_index % 12 + 1;
        day = asr_days_in_month(year, month);
        p = quarter ? ASR_PREC_QUARTER : ASR_PREC_YEAR;
    } else if (quarter) {
        /* a calendar quarter */
        month = quarter * 3;
        day = asr_days_in_month(year, month);
        p = ASR_PREC_QUARTER;
    } else {
        if (!year) {
            if (!r->default_year)
                return "no year";
            year = r->default_year;
        }
        if (!month) {
            month = 12;
            day = 31;
            p = ASR_PREC_YEAR;
        } else if (!day) {
            if (month < 1 || month > 12)
                return "month";
            day = asr_days_in_month(year, month);
            p = ASR_PREC_MONTH;
        }
    }
    char *why = match_why;
    if (year < ASR_DATE_MIN_YEAR || year > ASR_DATE_MAX_YEAR) {
        snprintf(why, sizeof match_why, "year %d is outside %d-%d", year, ASR_DATE_MIN_YEAR,
                 ASR_DATE_MAX_YEAR);
        return why;
    }
    if (month < 1 || month > 12) {
        snprintf(why, sizeof match_why, "month %d does not exist", month);
        return why;
    }
    int dim = asr_days_in_month(year, month);
    if (day < 1 || day > dim) {
        static const char *const names[12] = {"January",   "February", "March",    "April",
                                              "May",       "June",     "July",     "August",
                                              "September", "October",  "November", "December"};
        snprintf(why, sizeof match_why, "no such day: %s %d has %d days", names[month - 1], year,
                 dim);
        return why;
    }
    d->year = year;
    d->month = month;
    d->day = day;
    *prec = p;
    *pos = i;
    return NULL;
}

/* A reason that matters (an impossible day) beats "this layout did not fit". */
static int telling(const char *why)
{
    return why == match_why;
}

const char *asr_date_read(const char *s, size_t len, const asr_date_rules *r, asr_date *out,
                          asr_date_precision *prec, size_t max, size_t *n)
{
    static char reason[200];
    token tk[MAX_TOKENS];
    *n = 0;
    int ntk = tokenize(s, len, tk);
    if (ntk < 0)
        return "too long to be a date";
    if (ntk == 0)
        return "not a date";
    if (ntk == 1 && tk[0].kind == T_NUM && tk[0].len >= 4 && tk[0].len <= 6)
        return "looks like a spreadsheet serial number, not a date; export dates as text";
    /* At each place, the layout that reads the most tokens wins (ties: the
     * first listed), so "June 2021" is MON YYYY, not MON and a stray year. */
    int pos = 0;
    const char *best = NULL;
    while (pos < ntk) {
        const char *why = NULL;
        int end = -1;
        asr_date d = {0, 0, 0};
        asr_date_precision pr = ASR_PREC_DAY;
        for (size_t k = 0; k < r->n_layouts; k++) {
            int own[8], p = pos;
            const int *lt = own;
            int nl;
            if (r->compiled) {
                nl = r->compiled[k * COMPILED_WIDTH];
                lt = r->compiled + k * COMPILED_WIDTH + 1;
            } else {
                nl = layout_tokens(r->layouts[k], own);
            }
            asr_date dk;
            asr_date_precision pk;
            const char *w = nl > 0 ? match_layout(tk, ntk, &p, lt, nl, r, &dk, &pk) : "bad layout";
            if (!w && p > end) {
                end = p;
                d = dk;
                pr = pk;
            } else if (w && (telling(w) || !why)) {
                why = w;
            }
        }
        if (end < 0) {
            if (telling(why))
                best = why;
            break;
        }
        if (*n < max) {
            out[*n] = d;
            prec[*n] = pr;
        }
        (*n)++;
        pos = end;
    }
    if (pos == ntk && *n > 0)
        return *n > max ? "too many dates in one cell" : NULL;
    if (best)
        return best;
    size_t at = 0;
    at += (size_t)snprintf(reason + at, sizeof reason - at, "not a date in the form ");
    for (size_t k = 0; k < r->n_layouts && at < sizeof reason - 40; k++)
        at +=
            (size_t)snprintf(reason + at, sizeof reason - at, "%s%s", k ? ", " : "", r->layouts[k]);
    if (r->n_layouts > 5)
        snprintf(reason, sizeof reason,
                 "not a date in any of the %zu layouts declared (such as "
                 "%s, %s)",
                 r->n_layouts, r->layouts[0], r->layouts[1]);
    return reason;
}
