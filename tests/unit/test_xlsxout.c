/* Unit tests for the Excel writer: how values are typed, sheet names Excel
 * accepts, and a workbook written and found to be a zip file, or refused
 * with a reason. The cells themselves are read back by an independent
 * reader in the end-to-end tests (tests/e2e/cases/outputs.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xlsxout.h"

static void test_value_kinds(void **state)
{
    (void)state;
    assert_int_equal(asr_xlsx_value_kind("368"), 1);
    assert_int_equal(asr_xlsx_value_kind("-3"), 1);
    assert_int_equal(asr_xlsx_value_kind("0"), 1);
    assert_int_equal(asr_xlsx_value_kind("0.25"), 1);
    assert_int_equal(asr_xlsx_value_kind("12.5"), 1);
    assert_int_equal(asr_xlsx_value_kind("2022-09-30"), 2);
    /* text: leading zeros (references), too many digits, signs, oddities */
    assert_int_equal(asr_xlsx_value_kind("007"), 0);
    assert_int_equal(asr_xlsx_value_kind("1234567890123456"), 0);
    assert_int_equal(asr_xlsx_value_kind("+1"), 0);
    assert_int_equal(asr_xlsx_value_kind("1e5"), 0);
    assert_int_equal(asr_xlsx_value_kind("1."), 0);
    assert_int_equal(asr_xlsx_value_kind("-"), 0);
    assert_int_equal(asr_xlsx_value_kind(""), 0);
    assert_int_equal(asr_xlsx_value_kind(NULL), 0);
    assert_int_equal(asr_xlsx_value_kind("=1+1"), 0);
    assert_int_equal(asr_xlsx_value_kind("2022-02-30"), 0); /* no such day */
    assert_int_equal(asr_xlsx_value_kind("30/09/2022"), 0);
}

static void test_sheet_names(void **state)
{
    (void)state;
    char out[128];
    asr_xlsx_sheet_name("Corporate Services", out);
    assert_string_equal(out, "Corporate Services");
    asr_xlsx_sheet_name("Ops [North]/South: *?\\", out);
    assert_string_equal(out, "Ops -North--South- ---");
    asr_xlsx_sheet_name("'quoted'", out);
    assert_string_equal(out, "quoted");
    asr_xlsx_sheet_name("A business group with a very long name indeed", out);
    assert_string_equal(out, "A business group with a very lo");
    asr_xlsx_sheet_name("Élan été àèìòù ÀÈÌÒÙ ñ ç ü ö ä ß ÿ", out); /* 31 characters, not bytes */
    assert_string_equal(out, "Élan été àèìòù ÀÈÌÒÙ ñ ç ü ö ä ");
    asr_xlsx_sheet_name("", out);
    assert_string_equal(out, "-");
    asr_xlsx_sheet_name("''", out);
    assert_string_equal(out, "-");
}

static void test_write(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_xlsxout.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/list.xlsx", dir);
    asr_rule rule = {.id = "r", .severity = "high", .category = "gap"};
    asr_kv ev[] = {{"n", "3", ASR_EV_INTEGER}, {"when", "2022-01-01", ASR_EV_DATE}};
    asr_finding f = {.subject = "=A1",
                     .message = "bad \x01 byte \xff here",
                     .evidence = ev,
                     .n_evidence = 2,
                     .fingerprint = "0123456789abcdef",
                     .age_days = -1};
    asr_xlsx_row row = {&f, &rule, "Group"};
    const char *names[] = {"n", "when"};
    asr_xlsx_fact facts[] = {{"Organisation", ASR_XFACT_TEXT, "Test", 0},
                             {"As of", ASR_XFACT_DATE, "2022-10-03", 0},
                             {"Findings", ASR_XFACT_NUMBER, NULL, 1}};
    asr_xlsx_list l = {facts, 3, NULL, 0,    &row, 1,    NULL, 0, names,
                       2,     1, dir,  NULL, NULL, NULL, 0,    0};
    char err[256] = "";
    assert_int_equal(asr_xlsx_write(&l, path, err, sizeof err), 0);
    FILE *in = fopen(path, "rb");
    assert_non_null(in);
    char magic[2] = {0};
    assert_int_equal(fread(magic, 1, 2, in), 2);
    fclose(in);
    assert_memory_equal(magic, "PK", 2);
    unlink(path);
    /* a directory that does not exist: refused with a reason */
    snprintf(path, sizeof path, "%s/missing/list.xlsx", dir);
    assert_int_equal(asr_xlsx_write(&l, path, err, sizeof err), -1);
    assert_true(err[0] != '\0');
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_value_kinds),
        cmocka_unit_test(test_sheet_names),
        cmocka_unit_test(test_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
