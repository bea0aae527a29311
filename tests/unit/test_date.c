/* Unit tests for the strict date parser (checklist D1-D7). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "date.h"

static const char *parse(const char *s, const char *fmt, asr_date *out)
{
    return asr_date_parse(s, strlen(s), fmt, out);
}

static void test_valid_iso_dates(void **state)
{
    (void)state;
    asr_date d;
    assert_null(parse("2022-10-03", NULL, &d));
    assert_int_equal(d.year, 2022);
    assert_int_equal(d.month, 10);
    assert_int_equal(d.day, 3);
    assert_null(parse("2024-02-29", NULL, &d)); /* leap year */
    assert_null(parse("2000-02-29", NULL, &d)); /* divisible by 400 */
    assert_null(parse("1900-01-01", NULL, &d));
    assert_null(parse("2100-12-31", NULL, &d));
}

static void test_impossible_days_rejected_d1(void **state)
{
    (void)state;
    asr_date d;
    const char *why = parse("2023-02-31", NULL, &d);
    assert_non_null(why);
    assert_non_null(strstr(why, "February 2023 has 28 days"));
    assert_non_null(parse("2023-02-29", NULL, &d)); /* not a leap year */
    assert_non_null(parse("1900-02-29", NULL, &d)); /* century, not leap */
    assert_non_null(parse("2023-04-31", NULL, &d));
    assert_non_null(parse("2023-13-01", NULL, &d));
    assert_non_null(parse("2023-00-10", NULL, &d));
    assert_non_null(parse("2023-01-00", NULL, &d));
}

static void test_malformed_rejected_d2_d3(void **state)
{
    (void)state;
    asr_date d;
    const char *bad[] = {
        "2023-1-5",   "2023-01-05x", "2023-01-05 ",      " 2023-01-05", "05/01/2023",
        "2023/01/05", "20230105",    "2023-01-05T00:00", "2023-0a-05",  ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_non_null(parse(bad[i], NULL, &d));
}

static void test_excel_serial_named_d4(void **state)
{
    (void)state;
    asr_date d;
    const char *why = parse("45000", NULL, &d);
    assert_non_null(why);
    assert_non_null(strstr(why, "serial number"));
}

static void test_year_range_d7(void **state)
{
    (void)state;
    asr_date d;
    assert_non_null(parse("0000-01-01", NULL, &d));
    assert_non_null(parse("1899-12-31", NULL, &d));
    assert_non_null(parse("2101-01-01", NULL, &d));
    assert_non_null(parse("10000-01-01", NULL, &d));
    assert_non_null(parse("-2023-01-01", NULL, &d));
}

static void test_declared_formats(void **state)
{
    (void)state;
    asr_date d;
    assert_null(asr_date_format_check("DD/MM/YYYY"));
    assert_null(parse("05/01/2023", "DD/MM/YYYY", &d));
    assert_int_equal(d.month, 1);
    assert_int_equal(d.day, 5);
    assert_null(parse("01/05/2023", "MM/DD/YYYY", &d));
    assert_int_equal(d.month, 1);
    assert_non_null(parse("31/02/2023", "DD/MM/YYYY", &d));
    assert_non_null(parse("5/1/2023", "DD/MM/YYYY", &d));
    assert_non_null(parse("05-01-2023", "DD/MM/YYYY", &d)); /* wrong separator */
    assert_non_null(asr_date_format_check("DD/MM/YY"));
    assert_non_null(asr_date_format_check("YYYY-MM-DD-DD"));
    assert_non_null(asr_date_format_check("YYYY_MM_DD"));
}

static void test_day_count_round_trip(void **state)
{
    (void)state;
    asr_date epoch = {1970, 1, 1};
    assert_int_equal(asr_date_to_days(epoch), 0);
    asr_date leap = {2024, 2, 29};
    asr_date next = asr_date_from_days(asr_date_to_days(leap) + 1);
    assert_int_equal(next.month, 3);
    assert_int_equal(next.day, 1);
    /* every day from 1900 to 2100 survives days -> date -> days and ISO */
    asr_date start = {1900, 1, 1}, end = {2100, 12, 31};
    for (int64_t n = asr_date_to_days(start); n <= asr_date_to_days(end); n++) {
        asr_date x = asr_date_from_days(n);
        assert_int_equal(asr_date_to_days(x), n);
        char iso[11];
        asr_date_format_iso(x, iso);
        asr_date y;
        assert_null(parse(iso, NULL, &y));
        assert_int_equal(asr_date_to_days(y), n);
    }
}

/* Reads s with rules r as "YYYY-MM-DD/precision ..." or the reason, in out. */
static const char *read_with(const char *s, const asr_date_rules *r, char out[200])
{
    asr_date d[4];
    asr_date_precision p[4];
    size_t n;
    const char *why = asr_date_read(s, strlen(s), r, d, p, 4, &n);
    if (why) {
        snprintf(out, 200, "%s", why);
        return out;
    }
    out[0] = '\0';
    for (size_t i = 0; i < n && i < 4; i++) {
        char iso[11];
        asr_date_format_iso(d[i], iso);
        snprintf(out + strlen(out), 200 - strlen(out), "%s%s/%s", i ? " " : "", iso,
                 asr_date_precision_name(p[i]));
    }
    return out;
}

/* Reads s with the UK layouts (April fiscal year, no default year), with
 * the layouts read for every value and compiled once (the import's way):
 * the two must agree. Returns the dates as "YYYY-MM-DD/precision ..." or
 * the reason. */
static const char *read_uk(const char *s, int default_year)
{
    static char out[200];
    char compiled[200];
    asr_date_rules r = {asr_date_uk_layouts, 9, 4, default_year, NULL};
    read_with(s, &r, out);
    asr_date_rules_compile(&r);
    assert_non_null(r.compiled);
    read_with(s, &r, compiled);
    asr_date_rules_release(&r);
    assert_null(r.compiled);
    assert_string_equal(compiled, out);
    return out;
}

static void test_layouts_people_type(void **state)
{
    (void)state;
    assert_string_equal(read_uk("30/06/2021", 0), "2021-06-30/day");
    assert_string_equal(read_uk("30-Jun-2020", 0), "2020-06-30/day");
    assert_string_equal(read_uk("30 June 2020", 0), "2020-06-30/day");
    assert_string_equal(read_uk(" 30-Jun- 2021 ", 0), "2021-06-30/day");
    assert_string_equal(read_uk("1/2/21", 0), "2021-02-01/day");
    assert_string_equal(read_uk("31.12.24", 0), "2024-12-31/day");
    assert_string_equal(read_uk("2022-10-03", 0), "2022-10-03/day");
    assert_string_equal(read_uk("Monday 7 December 2015", 0), "2015-12-07/day");
    assert_string_equal(read_uk("TUESDAY 08MARCH 2016", 0), "2016-03-08/day");
    assert_string_equal(read_uk("22nd Sept 2023", 0), "2023-09-22/day");
    /* partial dates: the last day of the period they name */
    assert_string_equal(read_uk("June 2021", 0), "2021-06-30/month");
    assert_string_equal(read_uk("Feb 24", 0), "2024-02-29/month");
    assert_string_equal(read_uk("Q4 2023/24", 0), "2024-03-31/quarter");
    assert_string_equal(read_uk("Q1 2023-2024", 0), "2023-06-30/quarter");
    assert_string_equal(read_uk("2022/23", 0), "2023-03-31/year");
    /* two dates in a cell: an original and a revised one */
    assert_string_equal(read_uk("31.12.24 30.09.25", 0), "2024-12-31/day 2025-09-30/day");
    assert_string_equal(read_uk("30 June 2021 / Dec 2021", 0), "2021-06-30/day 2021-12-31/month");
}

static void test_layouts_refuse(void **state)
{
    (void)state;
    assert_string_equal(read_uk("31/02/2023", 0), "no such day: February 2023 has 28 days");
    assert_string_equal(read_uk("45000", 0),
                        "looks like a spreadsheet serial number, not a date; export dates as text");
    assert_non_null(strstr(read_uk("Ongoing", 0), "not a date"));
    assert_string_equal(read_uk("13/13/2021", 0), "month 13 does not exist");
    assert_non_null(strstr(read_uk("2023/25", 0), "not a date")); /* not a fiscal year */
    assert_non_null(strstr(read_uk("30 June", 0), "not a date")); /* no year, none assumed */
}

static void test_layouts_default_year_and_checks(void **state)
{
    (void)state;
    static const char *const hull[] = {"D M YY", "D MON", "MON"};
    asr_date_rules r = {hull, 3, 4, 2012, NULL};
    asr_date d[2];
    asr_date_precision p[2];
    size_t n;
    assert_null(asr_date_read("13 Nov", 6, &r, d, p, 2, &n));
    assert_int_equal(d[0].month, 11);
    assert_int_equal(d[0].year, 2012);
    assert_null(asr_date_read("June", 4, &r, d, p, 2, &n));
    assert_int_equal(d[0].day, 30);
    assert_int_equal(p[0], ASR_PREC_MONTH);
    assert_null(asr_date_read("17.7.12", 7, &r, d, p, 2, &n));
    assert_int_equal(d[0].day, 17);
    int partial = -1;
    assert_null(asr_date_layout_check("D MON YYYY", &partial));
    assert_int_equal(partial, 0);
    assert_null(asr_date_layout_check("Q FY", &partial));
    assert_int_equal(partial, 1);
    assert_non_null(asr_date_layout_check("D YYYY", NULL));
    assert_non_null(asr_date_layout_check("DDD", NULL));
    assert_non_null(asr_date_layout_check("Q D M", NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_iso_dates),
        cmocka_unit_test(test_impossible_days_rejected_d1),
        cmocka_unit_test(test_malformed_rejected_d2_d3),
        cmocka_unit_test(test_excel_serial_named_d4),
        cmocka_unit_test(test_year_range_d7),
        cmocka_unit_test(test_declared_formats),
        cmocka_unit_test(test_day_count_round_trip),
        cmocka_unit_test(test_layouts_people_type),
        cmocka_unit_test(test_layouts_refuse),
        cmocka_unit_test(test_layouts_default_year_and_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
