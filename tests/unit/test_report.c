/* Unit tests for the pieces of output that must be exact: CSV cells
 * (formula-safe, RFC 4180), JSON strings, one finding in each format, the
 * spool that keeps formatted findings, the worker wire format, and the
 * fiscal calendar. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <sys/stat.h>

#include "date.h"
#include "findfmt.h"
#include "map.h"
#include "report.h"
#include "spool.h"
#include "test_support.h"
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

static const char small_map[] = "assure: 1\n"
                                "organisation: {name: Test}\n"
                                "units:\n"
                                "  - {id: HQ, name: Headquarters, kind: business_group}\n"
                                "  - {id: EAST, name: East command, kind: command, parent: HQ}\n"
                                "areas:\n"
                                "  - {id: vetting, title: Vetting, principle: A, unit: EAST}\n";

static void test_finding_formats(void **state)
{
    (void)state;
    asr_diag d;
    asr_diag_init(&d, 0);
    asr_map *m = NULL;
    if (asr_map_load_string("m.yaml", small_map, &d, &m) != ASR_OK) {
        asr_diag_print(&d, stderr);
        fail();
    }
    asr_rule rule = {0};
    rule.id = "r1";
    rule.severity = "medium";
    rule.category = "gap";
    char subject[16] = "=A-1", message[32] = "two \"words\", one line";
    asr_kv ev[2] = {{"days", "3", ASR_EV_INTEGER}, {"note", "a\tb", ASR_EV_STRING}};
    asr_finding f = {0};
    f.subject = subject;
    f.message = message;
    f.area = "vetting";
    f.evidence = ev;
    f.n_evidence = 2;
    memcpy(f.fingerprint, "0123456789abcdef", 17);
    asr_bg_memo memo = {0};
    asr_buf b = {0};

    asr_findfmt_write(&b, ASR_FMT_CSV, m, &rule, &f, &memo);
    assert_string_equal(asr_buf_str(&b),
                        "r1,medium,gap,\"'=A-1\",\"two \"\"words\"\", one line\",Headquarters,,"
                        "vetting,,,,,0123456789abcdef,days=3; note=a\tb,,,\r\n");
    /* evidence needing quotes: a comma in a value, a formula-like first name */
    asr_kv ev2[2] = {{"=days", "3", 0}, {"note", "a,b", 0}};
    f.evidence = ev2;
    asr_buf_clear(&b);
    asr_findfmt_write(&b, ASR_FMT_CSV, m, &rule, &f, &memo);
    assert_non_null(strstr(asr_buf_str(&b), ",0123456789abcdef,\"'=days=3; note=a,b\",,,\r\n"));
    /* what the run history says of it: state, first seen, age */
    f.state = "recurring";
    f.first_seen = "2022-09-01";
    f.age_days = 32;
    asr_buf_clear(&b);
    asr_findfmt_write(&b, ASR_FMT_CSV, m, &rule, &f, &memo);
    assert_non_null(strstr(asr_buf_str(&b), ",recurring,2022-09-01,32\r\n"));
    asr_buf_clear(&b);
    asr_findfmt_write(&b, ASR_FMT_JSONL, m, &rule, &f, &memo);
    assert_non_null(strstr(asr_buf_str(&b), "\"state\": \"recurring\", \"first_seen\": "
                                            "\"2022-09-01\", \"age_days\": 32, \"evidence\""));
    f.state = NULL;
    f.first_seen = NULL;
    f.evidence = ev;
    asr_buf_clear(&b);
    asr_findfmt_write(&b, ASR_FMT_JSONL, m, &rule, &f, &memo);
    assert_string_equal(asr_buf_str(&b),
                        "{\"type\": \"finding\", \"rule\": \"r1\", \"severity\": \"medium\", "
                        "\"category\": \"gap\", \"subject\": \"=A-1\", \"message\": \"two "
                        "\\\"words\\\", one line\", \"business_group\": \"Headquarters\", "
                        "\"area\": \"vetting\", \"fingerprint\": \"0123456789abcdef\", "
                        "\"evidence\": {\"days\": 3, \"note\": \"a\\tb\"}}\n");
    /* JSON: the array's separator first; the object is the JSONL one without
     * its type */
    asr_buf_clear(&b);
    asr_findfmt_write(&b, ASR_FMT_JSON, m, &rule, &f, &memo);
    assert_true(strncmp(asr_buf_str(&b), ",\n    {\"rule\": \"r1\", ", 20) == 0);

    /* The memo keeps copies: a finding reusing the same buffers for another
     * area is not given the first one's business group. */
    asr_buf_clear(&b);
    f.area = NULL;
    f.severity = "high";
    asr_findfmt_write(&b, ASR_FMT_CSV, m, &rule, &f, &memo);
    assert_true(strncmp(asr_buf_str(&b), "r1,high,gap,\"'=A-1\",\"two \"\"words\"\", one line\",,",
                        45) == 0);
    asr_buf_free(&b);
    asr_map_free(m);
    asr_diag_free(&d);
}

static char *spool_text(asr_spool *s, asr_extent e, size_t skip)
{
    static char buf[256];
    memset(buf, 0, sizeof buf);
    FILE *f = fmemopen(buf, sizeof buf, "w");
    assert_int_equal(asr_spool_copy(s, e, skip, f), 0);
    fclose(f);
    return buf;
}

static size_t entries(const char *dir)
{
    size_t n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d)
        closedir(d);
    return n;
}

static void test_spool(void **state)
{
    (void)state;
    const char *dir = tmp_dir();
    asr_spool *s = asr_spool_new(dir, 10);
    asr_extent a, b, c;
    assert_int_equal(asr_spool_add(s, "hello", 5, &a), 0);
    assert_false(asr_spool_spilled(s));
    assert_int_equal(asr_spool_add(s, ",world", 6, &b), 0); /* past 10 bytes: to a file */
    assert_true(asr_spool_spilled(s));
    assert_int_equal(entries(dir), 0); /* unlinked as soon as it was made */
    assert_int_equal(asr_spool_add(s, "!", 1, &c), 0);
    assert_int_equal(asr_spool_size(s), 12);
    assert_int_equal(b.at, 5);
    assert_string_equal(spool_text(s, a, 0), "hello");
    assert_string_equal(spool_text(s, b, 1), "world"); /* skip drops the first bytes */
    assert_string_equal(spool_text(s, c, 0), "!");
    assert_null(asr_spool_error(s));
    asr_spool_free(s);
    rmdir(dir);

    /* Nowhere to spill: the add fails, says where, and the spool stays failed. */
    s = asr_spool_new("/nonexistent/dir", 4);
    assert_int_equal(asr_spool_add(s, "abc", 3, &a), 0);
    assert_int_equal(asr_spool_add(s, "defg", 4, &b), -1);
    assert_non_null(asr_spool_error(s));
    assert_non_null(
        strstr(asr_spool_error(s), "cannot create a temporary file in /nonexistent/dir"));
    assert_int_equal(asr_spool_add(s, "x", 1, &c), -1);
    asr_spool_free(s);
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
        cmocka_unit_test(test_csv_cells),       cmocka_unit_test(test_json_strings),
        cmocka_unit_test(test_finding_formats), cmocka_unit_test(test_spool),
        cmocka_unit_test(test_wire_round_trip), cmocka_unit_test(test_fiscal_calendar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
