/* Unit tests for the pieces of output that must be exact: CSV cells
 * (formula-safe, RFC 4180), JSON strings, the worker wire format, and the
 * fiscal calendar. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "report.h"
#include "wire.h"

static char *capture(void (*fn)(FILE *, const char *), const char *s)
{
    static char buf[512];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    fn(f, s);
    fclose(f);
    return buf;
}

static void test_csv_cells(void **state)
{
    (void)state;
    assert_string_equal(capture(asr_csv_cell, "plain"), "plain");
    assert_string_equal(capture(asr_csv_cell, "a,b"), "\"a,b\"");
    assert_string_equal(capture(asr_csv_cell, "say \"hi\""), "\"say \"\"hi\"\"\"");
    assert_string_equal(capture(asr_csv_cell, "two\nlines"), "\"two\nlines\"");
    /* Cells a spreadsheet would run as formulas get a leading quote mark. */
    assert_string_equal(capture(asr_csv_cell, "=SUM(A1)"), "\"'=SUM(A1)\"");
    assert_string_equal(capture(asr_csv_cell, "+1"), "\"'+1\"");
    assert_string_equal(capture(asr_csv_cell, "-2"), "\"'-2\"");
    assert_string_equal(capture(asr_csv_cell, "@cmd"), "\"'@cmd\"");
    assert_string_equal(capture(asr_csv_cell, "\tx"), "\"'\tx\"");
    assert_string_equal(capture(asr_csv_cell, "\rx"), "\"'\rx\"");
    assert_string_equal(capture(asr_csv_cell, "a=b"), "a=b");
}

static void test_json_strings(void **state)
{
    (void)state;
    assert_string_equal(capture(asr_json_string, "a\"b\\c"), "\"a\\\"b\\\\c\"");
    assert_string_equal(capture(asr_json_string, "tab\there\n"), "\"tab\\there\\n\"");
    assert_string_equal(capture(asr_json_string, "\x01"), "\"\\u0001\"");
    assert_string_equal(capture(asr_json_string, "caf\xc3\xa9"), "\"caf\xc3\xa9\"");
    assert_string_equal(capture(asr_json_string, "bad\xff\xc3"), "\"bad\\ufffd\\ufffd\"");
}

static void test_wire_round_trip(void **state)
{
    (void)state;
    asr_buf msg = {0};
    asr_wire_begin(&msg, 'F');
    asr_wire_adds(&msg, "subject");
    asr_wire_add(&msg, "with\0nul", 8);
    asr_wire_adds(&msg, NULL);
    asr_wire_reader r = {0};
    /* Fed a byte at a time, as a pipe might deliver it. */
    asr_wire_msg m;
    for (size_t i = 0; i < msg.len; i++) {
        assert_int_equal(asr_wire_next(&r, &m), 0);
        asr_wire_feed(&r, msg.data + i, 1);
    }
    assert_int_equal(asr_wire_next(&r, &m), 1);
    assert_int_equal(m.type, 'F');
    assert_int_equal(m.n, 3);
    assert_memory_equal(m.field[1], "with\0nul", 8);
    assert_int_equal(m.len[2], 0);
    assert_int_equal(asr_wire_next(&r, &m), 0);
    asr_wire_feed(&r, "X\xff\xff\xff\xff\0\0\0\0", 9); /* a length beyond the limit */
    assert_int_equal(asr_wire_next(&r, &m), -1);
    asr_wire_reader_free(&r);
    asr_buf_free(&msg);
}

static asr_date d(int y, int m, int day)
{
    asr_date x = {y, m, day};
    return x;
}

static void test_fiscal_calendar(void **state)
{
    (void)state;
    char label[32];
    asr_fiscal_quarter_label(d(2023, 3, 31), 4, label, sizeof label);
    assert_string_equal(label, "Q4 2022/23");
    asr_fiscal_quarter_label(d(2023, 4, 1), 4, label, sizeof label);
    assert_string_equal(label, "Q1 2023/24");
    asr_fiscal_quarter_label(d(2022, 10, 3), 4, label, sizeof label);
    assert_string_equal(label, "Q3 2022/23");
    asr_fiscal_quarter_label(d(2022, 12, 31), 1, label, sizeof label);
    assert_string_equal(label, "Q4 2022");
    asr_fiscal_year_label(1999, 4, label, sizeof label);
    assert_string_equal(label, "1999/00");
    assert_int_equal(asr_fiscal_quarter(d(2022, 7, 1), 7), 1);
    assert_int_equal(asr_fiscal_year(d(2022, 6, 30), 7), 2021);
    asr_date x = asr_date_add_months(d(2023, 1, 31), 1);
    assert_int_equal(x.month, 2);
    assert_int_equal(x.day, 28);
    x = asr_date_add_months(d(2024, 1, 31), 1);
    assert_int_equal(x.day, 29);
    x = asr_date_add_months(d(2023, 3, 31), -1);
    assert_int_equal(x.month, 2);
    assert_int_equal(x.day, 28);
    x = asr_date_add_months(d(2023, 11, 15), 3);
    assert_int_equal(x.year, 2024);
    assert_int_equal(x.month, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_cells),
        cmocka_unit_test(test_json_strings),
        cmocka_unit_test(test_wire_round_trip),
        cmocka_unit_test(test_fiscal_calendar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
