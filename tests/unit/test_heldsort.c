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

/* What every test starts from: two empty sorts (held in memory until given
 * a file), a message buffer and a fresh directory for the file; teardown
 * frees them and removes the directory, which must be empty by then. */
typedef struct {
    asr_heldsort a, b;
    asr_buf m;
    char dir[64];
} sorts;

static int set_up(void **state)
{
    sorts *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "%s", tmp_dir());
    *state = f;
    return 0;
}

static int tear_down(void **state)
{
    sorts *f = *state;
    asr_heldsort_free(&f->a);
    asr_heldsort_free(&f->b);
    asr_buf_free(&f->m);
    int gone = rmdir(f->dir);
    free(f);
    return gone;
}

/* Adds one message to h; what asr_heldsort_add returned. */
static int add(sorts *f, asr_heldsort *h, const char *subject, const char *message, const char *tag)
{
    make(&f->m, subject, message, tag);
    return asr_heldsort_add(h, f->m.data, f->m.len);
}

static void memory_only_sorts_stably(void **state)
{
    sorts *f = *state;
    const char *in[][3] = {{"B-2", "late", "1"}, {"A-1", "open", "2"},  {"B-2", "early", "3"},
                           {"A-1", "open", "4"}, {"A-10", "open", "5"}, {"A-1", "open", "6"}};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(add(f, &f->a, in[i][0], in[i][1], in[i][2]), 0);
    assert_int_equal(asr_heldsort_count(&f->a), 6);
    char *got = drain(&f->a);
    assert_string_equal(got, "A-1|open|2\nA-1|open|4\nA-1|open|6\nA-10|open|5\n"
                             "B-2|early|3\nB-2|late|1\n");
    assert_int_equal(asr_heldsort_runs(&f->a), 0);
    /* asked again at the end: still the end */
    const char *m;
    size_t len;
    assert_int_equal(asr_heldsort_next(&f->a, &m, &len), 0);
    free(got);
}

static void empty_gives_nothing(void **state)
{
    sorts *f = *state;
    asr_heldsort_file(&f->a, asr_heldsort_tmpfile(f->dir), 64);
    char *got = drain(&f->a);
    assert_string_equal(got, "");
    free(got);
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
    sorts *f = *state;
    int fd = asr_heldsort_tmpfile(f->dir);
    assert_true(fd >= 0);
    /* the file is unlinked: the directory stays empty */
    DIR *dh = opendir(f->dir);
    struct dirent *e;
    int entries = 0;
    while ((e = readdir(dh)) != NULL)
        entries += e->d_name[0] != '.';
    closedir(dh);
    assert_int_equal(entries, 0);
    asr_heldsort_file(&f->b, fd, 2000);
    fill(&f->a, &f->b, 3000);
    assert_true(asr_heldsort_runs(&f->b) > 50);
    assert_int_equal(asr_heldsort_runs(&f->a), 0);
    assert_int_equal(asr_heldsort_count(&f->b), 3000);
    char *want = drain(&f->a), *got = drain(&f->b);
    assert_string_equal(got, want);
    /* sorted, and equal ones by their tag (the order added) */
    assert_true(strncmp(want, "S-0|m0|", 7) == 0);
    free(want);
    free(got);
}

static void a_failed_write_says_why(void **state)
{
    sorts *f = *state;
    /* a descriptor that cannot be written */
    asr_heldsort_file(&f->a, open("/dev/null", O_RDONLY), 10);
    assert_int_equal(add(f, &f->a, "A", "one that fills the batch", "1"), -1);
    assert_non_null(strstr(asr_heldsort_error(&f->a), "cannot write the worker's temporary file"));
    assert_int_equal(add(f, &f->a, "A", "one that fills the batch", "1"), -1);
    assert_int_equal(asr_heldsort_begin(&f->a), -1);
    const char *out;
    size_t len;
    assert_int_equal(asr_heldsort_next(&f->a, &out, &len), -1);
}

static void a_file_cut_short_says_why(void **state)
{
    sorts *f = *state;
    int fd = asr_heldsort_tmpfile(f->dir);
    asr_heldsort_file(&f->a, fd, 10);
    for (int i = 0; i < 4; i++)
        assert_int_equal(add(f, &f->a, i % 2 ? "B" : "A", "a finding", "t"), 0);
    assert_int_equal(asr_heldsort_runs(&f->a), 4);
    /* something else cuts the file: the second run's message is gone */
    assert_int_equal(ftruncate(fd, (off_t)(f->m.len + f->m.len / 2)), 0);
    const char *out;
    size_t len;
    int got = asr_heldsort_begin(&f->a);
    if (got == 0)
        while ((got = asr_heldsort_next(&f->a, &out, &len)) == 1)
            ;
    assert_int_equal(got, -1);
    assert_non_null(strstr(asr_heldsort_error(&f->a), "cannot read the worker's temporary file"));
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, set_up, tear_down)
    const struct CMUnitTest tests[] = {
        T(memory_only_sorts_stably),         T(empty_gives_nothing),
        T(runs_on_file_give_the_same_order), T(a_failed_write_says_why),
        T(a_file_cut_short_says_why),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
