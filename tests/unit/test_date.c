/* Unit tests for the strict date parser (checklist D1-D7). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
