/* Unit tests for the YAML reader (checklist Y1-Y9). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "yamltree.h"

/* Loads text; returns the status and leaves problems in *d. */
static asr_status load(const char *text, asr_diag *d, asr_ydoc **doc)
{
    asr_diag_init(d, 0);
    return asr_yaml_load_string("t.yaml", text, strlen(text), d, doc);
}

static int has_problem(const asr_diag *d, unsigned line, unsigned col, const char *needle)
{
    for (size_t i = 0; i < d->count; i++)
        if (d->items[i].line == line && (col == 0 || d->items[i].col == col) &&
            strstr(d->items[i].message, needle))
            return 1;
    return 0;
}

static void test_builds_tree_with_locations(void **state)
{
    (void)state;
    asr_diag d;
    asr_ydoc *doc;
    assert_int_equal(load("a: 1\nlist:\n  - x\n  - 'y'\nm: {k: v}\n", &d, &doc), ASR_OK);
    asr_ynode *root = doc->root;
    assert_int_equal(root->kind, ASR_YMAP);
    assert_int_equal(root->n, 3);
    asr_ynode *list = asr_ymap_get(root, "list");
    assert_int_equal(list->kind, ASR_YSEQ);
    assert_int_equal(list->n, 2);
    assert_int_equal(list->items[0]->loc.line, 3);
    assert_int_equal(list->items[0]->loc.col, 5);
    assert_true(list->items[0]->plain);
    assert_false(list->items[1]->plain); /* quoted: never a number or boolean */
    assert_string_equal(asr_ymap_get(asr_ymap_get(root, "m"), "k")->text, "v");
    asr_ydoc_free(doc);
    asr_diag_free(&d);
}

static void test_deep_nesting_rejected_quickly_y1(void **state)
{
    (void)state;
    size_t depth = 30000;
    char *text = malloc(2 * depth + 1);
    memset(text, '[', depth);
    memset(text + depth, ']', depth);
    text[2 * depth] = '\0';
    asr_diag d;
    asr_ydoc *doc;
    /* Stopped at the 65th '[', while reading events: libyaml itself has no
     * limit and goes quadratic on such input. */
    assert_int_equal(load(text, &d, &doc), ASR_E_CONFIG);
    assert_true(has_problem(&d, 1, 65, "nesting deeper than 64"));
    assert_int_equal(d.count, 1);
    free(text);
    asr_diag_free(&d);
}

static void test_aliases_and_anchors_rejected_y2(void **state)
{
    (void)state;
    asr_diag d;
    asr_ydoc *doc;
    assert_int_equal(load("a: &x [1]\nb: *x\n", &d, &doc), ASR_E_CONFIG);
    assert_true(has_problem(&d, 1, 4, "anchors"));
    asr_diag_free(&d);
    assert_int_equal(load("a: [*x]\n", &d, &doc), ASR_E_CONFIG);
    assert_true(d.count >= 1);
    asr_diag_free(&d);
}

static void test_duplicate_keys_name_both_lines_y3(void **state)
{
    (void)state;
    asr_diag d;
    asr_ydoc *doc;
    assert_int_equal(load("key: 1\nother: 2\nkey: 3\n", &d, &doc), ASR_E_CONFIG);
    assert_true(has_problem(&d, 3, 1, "duplicate key 'key' (first at line 1:1)"));
    asr_diag_free(&d);
}

static void test_bad_encoding_y4(void **state)
{
    (void)state;
    asr_diag d;
    asr_ydoc *doc;
    assert_int_equal(load("a: ok\nb: bad\xff here\n", &d, &doc), ASR_E_CONFIG);
    assert_true(has_problem(&d, 2, 7, "invalid UTF-8"));
    asr_diag_free(&d);
    assert_int_equal(load("\xff\xfe"
                          "a\0:\0",
                          &d, &doc),
                     ASR_E_CONFIG);
    assert_true(has_problem(&d, 1, 1, "UTF-16"));
    asr_diag_free(&d);
    assert_int_equal(load("a: \"bell\\a\"\n", &d, &doc), ASR_E_CONFIG);
    assert_true(has_problem(&d, 1, 4, "control character"));
    asr_diag_free(&d);
}

static void test_size_cap_checked_before_parsing_y5(void **state)
{
    (void)state;
    char path[] = "/tmp/assure-yaml-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("a: 1\nb: 2\n", f);
    fclose(f);
    asr_diag d;
    asr_diag_init(&d, 0);
    asr_ydoc *doc;
    assert_int_equal(asr_yaml_load_file(path, 5, &d, &doc), ASR_E_CONFIG);
    assert_non_null(strstr(d.items[0].message, "limit"));
    asr_diag_free(&d);
    asr_diag_init(&d, 0);
    assert_int_equal(asr_yaml_load_file(path, 0, &d, &doc), ASR_OK);
    asr_ydoc_free(doc);
    asr_diag_free(&d);
    remove(path);
    asr_diag_init(&d, 0);
    assert_int_equal(asr_yaml_load_file("/nonexistent/map.yaml", 0, &d, &doc), ASR_E_NOINPUT);
    asr_diag_free(&d);
}

static void test_document_count_y6(void **state)
{
    (void)state;
    asr_diag d;
    asr_ydoc *doc;
    assert_int_equal(load("a: 1\n---\nb: 2\n", &d, &doc), ASR_E_CONFIG);
    assert_true(has_problem(&d, 2, 1, "second document"));
    asr_diag_free(&d);
    assert_int_equal(load("", &d, &doc), ASR_OK); /* the map loader reports "empty" */
    assert_null(doc->root);
    asr_ydoc_free(doc);
    asr_diag_free(&d);
}

static void test_tags_rejected_y8(void **state)
{
    (void)state;
    asr_diag d;
    asr_ydoc *doc;
    assert_int_equal(load("a: !!binary aGVsbG8=\n", &d, &doc), ASR_E_CONFIG);
    assert_true(has_problem(&d, 1, 4, "tags"));
    asr_diag_free(&d);
    assert_int_equal(load("a: !custom {x: 1}\n", &d, &doc), ASR_E_CONFIG);
    assert_true(has_problem(&d, 1, 4, "tags"));
    asr_diag_free(&d);
}

static void test_truncated_file_y9(void **state)
{
    (void)state;
    asr_diag d;
    asr_ydoc *doc;
    assert_int_equal(load("areas:\n  - {id: a, title: \"unfinished\n", &d, &doc), ASR_E_CONFIG);
    assert_true(d.count >= 1);
    assert_true(d.items[0].line >= 2);
    asr_diag_free(&d);
    assert_int_equal(load("a: [1, 2\n", &d, &doc), ASR_E_CONFIG);
    asr_diag_free(&d);
}

static void test_complex_keys_rejected(void **state)
{
    (void)state;
    asr_diag d;
    asr_ydoc *doc;
    assert_int_equal(load("? [a, b]\n: 1\n", &d, &doc), ASR_E_CONFIG);
    assert_true(has_problem(&d, 1, 3, "mapping key"));
    asr_diag_free(&d);
}

/* Many duplicates in one mapping: found by sorting (not by comparing every
 * pair), reported in file order, and the list stays capped. */
static void test_many_duplicate_keys_in_file_order(void **state)
{
    (void)state;
    asr_buf b = {0};
    asr_buf_adds(&b, "m:\n");
    for (int i = 0; i < 20000; i++)
        asr_buf_addf(&b, "  k%d: 1\n  k%d: 2\n", 20000 - i, 20000 - i);
    asr_diag d;
    asr_diag_init(&d, 100);
    asr_ydoc *doc;
    assert_int_equal(asr_yaml_load_string("t.yaml", b.data, b.len, &d, &doc), ASR_E_CONFIG);
    assert_int_equal(d.errors, 20000);
    assert_int_equal(d.count, 100);
    assert_int_equal(d.dropped, 19900);
    for (size_t i = 0; i < d.count; i++)
        assert_int_equal(d.items[i].line, 3 + 2 * i); /* the first 100 duplicates, in order */
    assert_true(has_problem(&d, 3, 3, "duplicate key 'k20000' (first at line 2:3)"));
    asr_diag_free(&d);
    asr_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builds_tree_with_locations),
        cmocka_unit_test(test_deep_nesting_rejected_quickly_y1),
        cmocka_unit_test(test_aliases_and_anchors_rejected_y2),
        cmocka_unit_test(test_duplicate_keys_name_both_lines_y3),
        cmocka_unit_test(test_many_duplicate_keys_in_file_order),
        cmocka_unit_test(test_bad_encoding_y4),
        cmocka_unit_test(test_size_cap_checked_before_parsing_y5),
        cmocka_unit_test(test_document_count_y6),
        cmocka_unit_test(test_tags_rejected_y8),
        cmocka_unit_test(test_truncated_file_y9),
        cmocka_unit_test(test_complex_keys_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
