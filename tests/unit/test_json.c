/* Unit tests for the JSON reader (checklist J1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "util.h"

typedef struct {
    int objects;
    char seen[512];
} collect;

static int on_object(void *ctx, unsigned line, const asr_jfield *f, size_t n)
{
    collect *c = ctx;
    c->objects++;
    size_t o = strlen(c->seen);
    o += (size_t)snprintf(c->seen + o, sizeof c->seen - o, "@%u{", line);
    for (size_t i = 0; i < n; i++)
        o += (size_t)snprintf(c->seen + o, sizeof c->seen - o, "%s=%d:%s;", f[i].key,
                              (int)f[i].kind, f[i].text);
    snprintf(c->seen + o, sizeof c->seen - o, "}");
    return 0;
}

static int parse(const char *text, collect *c, asr_json_error *err)
{
    memset(c, 0, sizeof *c);
    return asr_json_each_object(text, strlen(text), on_object, c, err);
}

static void test_reads_flat_objects(void **state)
{
    (void)state;
    collect c;
    asr_json_error e;
    assert_int_equal(parse("\xEF\xBB\xBF[\n {\"a\": \"x\\n\\u00e9\", \"b\": 12, \"c\": true},\n"
                           " {\"a\": null, \"b\": -1.5e3}\n]\n",
                           &c, &e),
                     0);
    assert_int_equal(c.objects, 2);
    assert_string_equal(c.seen, "@2{a=3:x\n\xc3\xa9;b=2:12;c=1:true;}@3{a=0:;b=2:-1.5e3;}");
    assert_int_equal(parse("[]", &c, &e), 0);
    assert_int_equal(c.objects, 0);
}

static void expect_error(const char *text, unsigned line, unsigned col, const char *needle)
{
    collect c;
    asr_json_error e;
    assert_int_equal(parse(text, &c, &e), -1);
    if (!strstr(e.message, needle) || e.line != line || e.col != col)
        fprintf(stderr, "got %u:%u %s\n", e.line, e.col, e.message);
    assert_non_null(strstr(e.message, needle));
    assert_int_equal(e.line, line);
    assert_int_equal(e.col, col);
}

static void test_rejects_what_j1_lists(void **state)
{
    (void)state;
    expect_error("[{\"a\": 1, \"a\": 2}]", 1, 11, "duplicate key");
    expect_error("[{\"a\": {\"b\": 1}}]", 1, 8, "nested objects");
    expect_error("[{\"a\": [1]}]", 1, 8, "nested arrays");
    expect_error("[{\"a\": 9007199254740993}]", 1, 8, "2^53");
    expect_error("[{\"a\": NaN}]", 1, 8, "not a valid value");
    expect_error("[{\"a\": Infinity}]", 1, 8, "not a valid value");
    expect_error("[{\"a\": \"\\ud800\"}]", 1, 9, "lone high surrogate");
    expect_error("[{\"a\": \"\\udc00x\"}]", 1, 9, "lone low surrogate");
    expect_error("[{\"a\": \"\\u0000\"}]", 1, 9, "NUL");
    expect_error("[{\"a\": \"\xff\"}]", 1, 9, "UTF-8");
    expect_error("[{\"a\": 012}]", 1, 8, "leading zeros");
    collect c;
    asr_json_error e;
    assert_int_equal(parse("[{\"a\": 9007199254740992, \"b\": -9007199254740992}]", &c, &e), 0);
    expect_error("[{\"a\": 1}] x", 1, 12, "after the closing");
    expect_error("{\"a\": 1}", 1, 1, "array of objects");
    expect_error("[{\"a\": 1},\n {\"b\": \"open}]", 2, 8, "never closed");
    expect_error("[1, 2]", 1, 2, "expected an object");
}

static void test_deep_nesting_stops_at_first_level(void **state)
{
    (void)state;
    char text[200001];
    memset(text, '[', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    collect c;
    asr_json_error e;
    assert_int_equal(parse(text, &c, &e), -1);
    assert_int_equal(e.col, 2);
}

/* The column of every value on a long single line, counted as the reader
 * goes (it used to rescan the line for each value: quadratic), and
 * duplicate keys in an object too big to compare key by key. */
static int check_columns(void *ctx, unsigned line, const asr_jfield *f, size_t n)
{
    unsigned *next = ctx;
    (void)line;
    for (size_t i = 0; i < n; i++) {
        /* each object is {"k":"é"} followed by a comma: 10 columns */
        assert_int_equal(f[i].col, *next);
        *next += 10;
    }
    return 0;
}

static void test_columns_on_one_long_line(void **state)
{
    (void)state;
    size_t n = 20000;
    asr_buf b = {0};
    asr_buf_addc(&b, '[');
    for (size_t i = 0; i < n; i++)
        asr_buf_adds(&b, i ? ",{\"k\":\"\xc3\xa9\"}" : "{\"k\":\"\xc3\xa9\"}");
    asr_buf_adds(&b, "]");
    unsigned next = 7; /* [{"k": then the value */
    asr_json_error e;
    assert_int_equal(asr_json_each_object(b.data, b.len, check_columns, &next, &e), 0);
    assert_int_equal(next, 7 + 10 * n);
    /* an error after all that still has its column */
    b.data[b.len - 1] = 'x';
    assert_int_equal(asr_json_each_object(b.data, b.len, check_columns, &(unsigned){7}, &e), -1);
    assert_int_equal(e.col, 10 * n + 1);
    asr_buf_free(&b);
}

static int count_fields(void *ctx, unsigned line, const asr_jfield *f, size_t n)
{
    (void)line;
    (void)f;
    *(size_t *)ctx += n;
    return 0;
}

static void test_duplicate_key_in_a_big_object(void **state)
{
    (void)state;
    asr_buf b = {0};
    asr_buf_adds(&b, "[{\"a\": 1}, {");
    for (int i = 0; i < 4096; i++)
        asr_buf_addf(&b, "%s\"k%d\": %d", i ? ", " : "", i, i);
    asr_buf_adds(&b, "}, {\"a\": 2}]");
    size_t fields = 0;
    asr_json_error e;
    assert_int_equal(asr_json_each_object(b.data, b.len, count_fields, &fields, &e), 0);
    assert_int_equal(fields, 4098);
    /* one key more than an object may have */
    b.len -= strlen("}, {\"a\": 2}]");
    asr_buf_adds(&b, ", \"one more\": 0}]");
    assert_int_equal(asr_json_each_object(b.data, b.len, count_fields, &fields, &e), -1);
    assert_non_null(strstr(e.message, "more than 4096 keys in one object"));
    /* the same key again, far into the object: found, at its place */
    asr_buf_clear(&b);
    asr_buf_adds(&b, "[{");
    for (int i = 0; i < 3000; i++)
        asr_buf_addf(&b, "\"k%d\": 0,\n", i);
    asr_buf_adds(&b, "\"k17\": 1}]");
    assert_int_equal(asr_json_each_object(b.data, b.len, count_fields, &fields, &e), -1);
    assert_non_null(strstr(e.message, "duplicate key \"k17\""));
    assert_int_equal(e.line, 3001);
    assert_int_equal(e.col, 1);
    asr_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_flat_objects),
        cmocka_unit_test(test_rejects_what_j1_lists),
        cmocka_unit_test(test_deep_nesting_stops_at_first_level),
        cmocka_unit_test(test_columns_on_one_long_line),
        cmocka_unit_test(test_duplicate_key_in_a_big_object),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
