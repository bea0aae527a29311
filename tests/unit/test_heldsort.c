/* Unit tests for heldsort: messages come back sorted by subject, then
 * message, equal ones in the order they were added -- the same order
 * whether everything stayed in memory or went to the file in many runs,
 * messages larger than a run's read buffer included; the file is never seen
 * in its directory; a write or read that fails says why and hands back
 * nothing more. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include "heldsort.h"
#include "test_support.h"
#include "util.h"
#include "wire.h"

/* A message as ruleapi makes one: subject, message, then a tag field that
 * tells equal findings apart. */
static void make(asr_buf *b, const char *subject, const char *message, const char *tag)
{
    asr_wire_begin(b, 'F');
    asr_wire_adds(b, subject);
    asr_wire_adds(b, message);
    asr_wire_adds(b, tag);
}

/* Field i of a message as a string in buf. */
static const char *field(const char *m, size_t len, int i, char *buf, size_t size)
{
    asr_wire_msg w;
    assert_int_equal(asr_wire_parse(m, len, &w), (int)len);
    assert_true((size_t)i < w.n);
    snprintf(buf, size, "%.*s", (int)w.len[i], w.field[i]);
    return buf;
}

/* Every message handed back, as "subject|message|tag" lines. */
static char *drain(asr_heldsort *h)
{
    asr_buf out = {0};
    const char *m;
    size_t len;
    int got;
    char a[64], b[64], c[64];
    while ((got = asr_heldsort_next(h, &m, &len)) == 1) {
        /* a large tag is shown by its length */
        asr_wire_msg w;
        assert_int_equal(asr_wire_parse(m, len, &w), (int)len);
        if (w.len[2] > 60)
            snprintf(c, sizeof c, "<%u bytes>", (unsigned)w.len[2]);
        else
            field(m, len, 2, c, sizeof c);
        asr_buf_addf(&out, "%s|%s|%s\n", field(m, len, 0, a, sizeof a),
                     field(m, len, 1, b, sizeof b), c);
    }
    assert_int_equal(got, 0);
    asr_buf_addc(&out, 0);
    return out.data;
}

static void memory_only_sorts_stably(void **state)
{
    (void)state;
    asr_heldsort h;
    memset(&h, 0, sizeof h);
    asr_buf b = {0};
    const char *in[][3] = {{"B-2", "late", "1"}, {"A-1", "open", "2"},  {"B-2", "early", "3"},
                           {"A-1", "open", "4"}, {"A-10", "open", "5"}, {"A-1", "open", "6"}};
    for (size_t i = 0; i < 6; i++) {
        make(&b, in[i][0], in[i][1], in[i][2]);
        assert_int_equal(asr_heldsort_add(&h, b.data, b.len), 0);
    }
    assert_int_equal(asr_heldsort_count(&h), 6);
    char *got = drain(&h);
    assert_string_equal(got, "A-1|open|2\nA-1|open|4\nA-1|open|6\nA-10|open|5\n"
                             "B-2|early|3\nB-2|late|1\n");
    assert_int_equal(asr_heldsort_runs(&h), 0);
    /* asked again at the end: still the end */
    const char *m;
    size_t len;
    assert_int_equal(asr_heldsort_next(&h, &m, &len), 0);
    free(got);
    asr_buf_free(&b);
    asr_heldsort_free(&h);
}

static void empty_gives_nothing(void **state)
{
    (void)state;
    asr_heldsort h;
    memset(&h, 0, sizeof h);
    const char *dir = tmp_dir();
    asr_heldsort_file(&h, asr_heldsort_tmpfile(dir), 64);
    char *got = drain(&h);
    assert_string_equal(got, "");
    free(got);
    asr_heldsort_free(&h);
    rmdir(dir);
}

/* Fills a and b alike with n pseudo-random messages, a memory-only and b
 * through the file with a tiny limit; every 97th has a 40 KB tag (more than
 * a run reads at a time). */
static void fill(asr_heldsort *a, asr_heldsort *b, size_t n)
{
    asr_buf m = {0};
    char *big = malloc(40001);
    memset(big, 'x', 40000);
    big[40000] = 0;
    unsigned x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        char subject[16], message[16], tag[24];
        snprintf(subject, sizeof subject, "S-%u", (x >> 16) % 50);
        snprintf(message, sizeof message, "m%u", (x >> 8) % 3);
        snprintf(tag, sizeof tag, "%zu", i);
        make(&m, subject, message, i % 97 == 0 ? big : tag);
        assert_int_equal(asr_heldsort_add(a, m.data, m.len), 0);
        assert_int_equal(asr_heldsort_add(b, m.data, m.len), 0);
    }
    free(big);
    asr_buf_free(&m);
}

static void runs_on_file_give_the_same_order(void **state)
{
    (void)state;
    asr_heldsort mem, file;
    memset(&mem, 0, sizeof mem);
    memset(&file, 0, sizeof file);
    const char *dir = tmp_dir();
    int fd = asr_heldsort_tmpfile(dir);
    assert_true(fd >= 0);
    /* the file is unlinked: the directory stays empty */
    DIR *dh = opendir(dir);
    struct dirent *e;
    int entries = 0;
    while ((e = readdir(dh)) != NULL)
        entries += e->d_name[0] != '.';
    closedir(dh);
    assert_int_equal(entries, 0);
    asr_heldsort_file(&file, fd, 2000);
    fill(&mem, &file, 3000);
    assert_true(asr_heldsort_runs(&file) > 50);
    assert_int_equal(asr_heldsort_runs(&mem), 0);
    assert_int_equal(asr_heldsort_count(&file), 3000);
    char *want = drain(&mem), *got = drain(&file);
    assert_string_equal(got, want);
    /* sorted, and equal ones by their tag (the order added) */
    assert_true(strncmp(want, "S-0|m0|", 7) == 0);
    free(want);
    free(got);
    asr_heldsort_free(&mem);
    asr_heldsort_free(&file);
    rmdir(dir);
}

static void a_failed_write_says_why(void **state)
{
    (void)state;
    asr_heldsort h;
    memset(&h, 0, sizeof h);
    /* a descriptor that cannot be written */
    asr_heldsort_file(&h, open("/dev/null", O_RDONLY), 10);
    asr_buf m = {0};
    make(&m, "A", "one that fills the batch", "1");
    assert_int_equal(asr_heldsort_add(&h, m.data, m.len), -1);
    assert_non_null(strstr(asr_heldsort_error(&h), "cannot write the worker's temporary file"));
    assert_int_equal(asr_heldsort_add(&h, m.data, m.len), -1);
    assert_int_equal(asr_heldsort_begin(&h), -1);
    const char *out;
    size_t len;
    assert_int_equal(asr_heldsort_next(&h, &out, &len), -1);
    asr_buf_free(&m);
    asr_heldsort_free(&h);
}

static void a_file_cut_short_says_why(void **state)
{
    (void)state;
    asr_heldsort h;
    memset(&h, 0, sizeof h);
    const char *dir = tmp_dir();
    int fd = asr_heldsort_tmpfile(dir);
    asr_heldsort_file(&h, fd, 10);
    asr_buf m = {0};
    for (int i = 0; i < 4; i++) {
        make(&m, i % 2 ? "B" : "A", "a finding", "t");
        assert_int_equal(asr_heldsort_add(&h, m.data, m.len), 0);
    }
    assert_int_equal(asr_heldsort_runs(&h), 4);
    /* something else cuts the file: the second run's message is gone */
    assert_int_equal(ftruncate(fd, (off_t)(m.len + m.len / 2)), 0);
    const char *out;
    size_t len;
    int got = asr_heldsort_begin(&h);
    if (got == 0)
        while ((got = asr_heldsort_next(&h, &out, &len)) == 1)
            ;
    assert_int_equal(got, -1);
    assert_non_null(strstr(asr_heldsort_error(&h), "cannot read the worker's temporary file"));
    asr_buf_free(&m);
    asr_heldsort_free(&h);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(memory_only_sorts_stably),
        cmocka_unit_test(empty_gives_nothing),
        cmocka_unit_test(runs_on_file_give_the_same_order),
        cmocka_unit_test(a_failed_write_says_why),
        cmocka_unit_test(a_file_cut_short_says_why),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
