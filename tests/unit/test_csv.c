/* Unit tests for the CSV reader (checklist C1-C5, C8). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

static asr_csv *open_text(const char *text, size_t len)
{
    return asr_csv_open_string(text, len, 0);
}

static void expect_record(asr_csv *c, unsigned line, size_t n, const char *const *fields)
{
    asr_csv_record r;
    assert_int_equal(asr_csv_next(c, &r), ASR_CSV_RECORD);
    assert_int_equal(r.line, line);
    assert_int_equal(r.n, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(r.lens[i], strlen(fields[i]));
        assert_memory_equal(r.fields[i], fields[i], r.lens[i]);
    }
}

static void test_rfc4180_quoting_c4(void **state)
{
    (void)state;
    const char text[] = "a,b,c\r\n"
                        "\"x, y\",\"say \"\"hi\"\"\",\"two\r\nlines\"\r\n"
                        "\"\",,last\n";
    asr_csv *c = open_text(text, sizeof text - 1);
    expect_record(c, 1, 3, (const char *const[]){"a", "b", "c"});
    expect_record(c, 2, 3, (const char *const[]){"x, y", "say \"hi\"", "two\r\nlines"});
    expect_record(c, 4, 3, (const char *const[]){"", "", "last"}); /* line count past the break */
    asr_csv_record r;
    assert_int_equal(asr_csv_next(c, &r), ASR_CSV_END);
    asr_csv_close(c);
}

static void test_line_endings_and_blank_lines(void **state)
{
    (void)state;
    const char text[] = "a,b\rc,d\n\n\r\ne,f"; /* CR-only, LF, blank lines, no final newline */
    asr_csv *c = open_text(text, sizeof text - 1);
    expect_record(c, 1, 2, (const char *const[]){"a", "b"});
    expect_record(c, 2, 2, (const char *const[]){"c", "d"});
    expect_record(c, 5, 2, (const char *const[]){"e", "f"});
    asr_csv_record r;
    assert_int_equal(asr_csv_next(c, &r), ASR_CSV_END);
    asr_csv_close(c);
}

static void test_bom_stripped_once_c5(void **state)
{
    (void)state;
    const char text[] = "\xEF\xBB\xBF\"id\",x\n\xEF\xBB\xBF,y\n";
    asr_csv *c = open_text(text, sizeof text - 1);
    expect_record(c, 1, 2, (const char *const[]){"id", "x"});
    expect_record(c, 2, 2, (const char *const[]){"\xEF\xBB\xBF", "y"}); /* only the first */
    asr_csv_close(c);
}

static void test_unterminated_quote_is_fatal_c2(void **state)
{
    (void)state;
    const char text[] = "a,b\n1,\"open\n3,4\n5,6\n";
    asr_csv *c = open_text(text, sizeof text - 1);
    expect_record(c, 1, 2, (const char *const[]){"a", "b"});
    asr_csv_record r;
    assert_int_equal(asr_csv_next(c, &r), ASR_CSV_FATAL);
    size_t field;
    unsigned line;
    const char *msg = asr_csv_error(c, &field, &line);
    assert_non_null(strstr(msg, "never closed"));
    assert_int_equal(line, 2);
    assert_int_equal(field, 1);
    assert_int_equal(asr_csv_next(c, &r), ASR_CSV_END); /* nothing merged, nothing after */
    asr_csv_close(c);
}

static void test_stray_quotes_c3_then_recovers(void **state)
{
    (void)state;
    const char text[] = "a,b\n1,x\"y\n\"ab\"c,2\n3,4\n";
    asr_csv *c = open_text(text, sizeof text - 1);
    expect_record(c, 1, 2, (const char *const[]){"a", "b"});
    asr_csv_record r;
    size_t field;
    unsigned line;
    assert_int_equal(asr_csv_next(c, &r), ASR_CSV_BAD);
    assert_non_null(strstr(asr_csv_error(c, &field, &line), "quote inside an unquoted"));
    assert_int_equal(field, 1);
    assert_int_equal(line, 2);
    assert_int_equal(asr_csv_next(c, &r), ASR_CSV_BAD);
    assert_non_null(strstr(asr_csv_error(c, &field, &line), "after the closing quote"));
    assert_int_equal(field, 0);
    expect_record(c, 4, 2, (const char *const[]){"3", "4"});
    asr_csv_close(c);
}

static void test_nul_and_bad_utf8_c5(void **state)
{
    (void)state;
    const char text[] = "a,b\n1,x\0y\n2,\xff\n3,ok\n";
    asr_csv *c = open_text(text, sizeof text - 1);
    expect_record(c, 1, 2, (const char *const[]){"a", "b"});
    asr_csv_record r;
    size_t field;
    unsigned line;
    assert_int_equal(asr_csv_next(c, &r), ASR_CSV_BAD);
    assert_non_null(strstr(asr_csv_error(c, &field, &line), "NUL"));
    assert_int_equal(asr_csv_next(c, &r), ASR_CSV_BAD);
    assert_non_null(strstr(asr_csv_error(c, &field, &line), "UTF-8"));
    assert_int_equal(line, 3);
    expect_record(c, 4, 2, (const char *const[]){"3", "ok"});
    asr_csv_close(c);
}

static void test_field_size_cap_c8(void **state)
{
    (void)state;
    char text[200];
    memset(text, 'x', sizeof text);
    memcpy(text, "a\n", 2);
    asr_csv *c = asr_csv_open_string(text, sizeof text, 50);
    asr_csv_record r;
    assert_int_equal(asr_csv_next(c, &r), ASR_CSV_RECORD);
    assert_int_equal(asr_csv_next(c, &r), ASR_CSV_BAD);
    assert_non_null(strstr(asr_csv_error(c, NULL, NULL), "longer than 50 bytes"));
    asr_csv_close(c);
}

static void test_streams_from_file_and_hashes(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    for (int i = 0; i < 100000; i++)
        fprintf(f, "%d,\"row %d\"\n", i, i);
    rewind(f);
    asr_sha256 h;
    asr_sha256_init(&h);
    asr_csv *c = asr_csv_open(f, 0, &h);
    asr_csv_record r;
    int n = 0;
    while (asr_csv_next(c, &r) == ASR_CSV_RECORD) {
        char want[32];
        snprintf(want, sizeof want, "row %d", n);
        assert_string_equal(r.fields[1], want);
        assert_int_equal(r.line, n + 1);
        n++;
    }
    assert_int_equal(n, 100000);
    char hex[65];
    asr_sha256_final_hex(&h, hex);
    assert_int_equal(strlen(hex), 64);
    asr_csv_close(c);
    fclose(f);
}

/* A record of more fields than any dataset can have is bad, and what it
 * holds past the cap is not kept (a line of commas took 25 bytes of memory
 * per byte); the next record reads as usual. */
static void test_field_count_cap(void **state)
{
    (void)state;
    size_t n = 3 * ASR_CSV_MAX_FIELDS;
    char *text = malloc(n + 16);
    assert_non_null(text);
    memset(text, ',', n);
    memcpy(text + n, "\"a,\nb\",c\nd\n", 11);
    asr_csv *c = open_text(text, n + 11);
    asr_csv_record r;
    assert_int_equal(asr_csv_next(c, &r), ASR_CSV_BAD);
    assert_int_equal(r.n, ASR_CSV_MAX_FIELDS);
    size_t field;
    unsigned line;
    assert_non_null(strstr(asr_csv_error(c, &field, &line), "more than 4096 fields"));
    assert_int_equal(line, 1);
    expect_record(c, 3, 1, (const char *const[]){"d"}); /* the quoted line break was skipped */
    assert_int_equal(asr_csv_next(c, &r), ASR_CSV_END);
    asr_csv_close(c);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4180_quoting_c4),
        cmocka_unit_test(test_line_endings_and_blank_lines),
        cmocka_unit_test(test_bom_stripped_once_c5),
        cmocka_unit_test(test_unterminated_quote_is_fatal_c2),
        cmocka_unit_test(test_stray_quotes_c3_then_recovers),
        cmocka_unit_test(test_nul_and_bad_utf8_c5),
        cmocka_unit_test(test_field_size_cap_c8),
        cmocka_unit_test(test_field_count_cap),
        cmocka_unit_test(test_streams_from_file_and_hashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
