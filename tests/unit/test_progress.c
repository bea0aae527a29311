/* Unit tests for the progress display: what a live line and a log line say,
 * that a live line is cleared, cut to the width and redrawn at a modest
 * rate, and that names are escaped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "progress.h"

typedef struct {
    FILE *f;
    char *data;
    size_t len;
} sink;

static void sink_open(sink *s)
{
    memset(s, 0, sizeof *s);
    s->f = open_memstream(&s->data, &s->len);
    assert_non_null(s->f);
}

static void sink_close(sink *s)
{
    fclose(s->f);
    free(s->data);
}

static size_t count(const char *hay, size_t len, const char *needle)
{
    size_t n = 0, k = strlen(needle);
    for (size_t i = 0; i + k <= len; i++)
        if (memcmp(hay + i, needle, k) == 0)
            n++;
    return n;
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_null_handle_is_no_progress(void **state)
{
    (void)state;
    asr_progress_begin(NULL, "actions", 10);
    asr_progress_rows(NULL, 1, 1);
    asr_progress_phase(NULL, "storing");
    asr_progress_end(NULL);
    asr_progress_rules(NULL, 0, 1, 0, NULL, 0, 1);
    asr_progress_free(NULL);
}

static void test_log_lines_are_timestamped_and_plain(void **state)
{
    (void)state;
    sink s;
    sink_open(&s);
    asr_progress *p = asr_progress_new(s.f, ASR_PROGRESS_LOG, "import");
    asr_progress_begin(p, "actions", 2000000);
    for (long long r = 1; r <= 5000; r++)
        if (r % ASR_PROGRESS_EVERY == 0)
            asr_progress_rows(p, r, (unsigned long long)r * 400);
    asr_progress_rows(p, 5000, 2000000);
    asr_progress_phase(p, "storing"); /* a log has it in its next line, not a line of its own */
    asr_progress_end(p);
    asr_progress_free(p);
    fflush(s.f);
    /* the start and the end, each one line; nothing drawn in place */
    assert_int_equal(count(s.data, s.len, "\n"), 2);
    assert_int_equal(count(s.data, s.len, "\r"), 0);
    assert_int_equal(count(s.data, s.len, "\033"), 0);
    regex_t re;
    assert_int_equal(
        regcomp(&re,
                "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z assure import: "
                "actions: reading 2\\.0 MB\n"
                "[0-9-]{10}T[0-9:]{8}Z assure import: actions: 5,000 rows read in 0 s, "
                "2\\.0 of 2\\.0 MB\n$",
                REG_EXTENDED | REG_NOSUB),
        0);
    if (regexec(&re, s.data, 0, NULL, 0) != 0)
        fail_msg("log lines: %s", s.data);
    regfree(&re);
    sink_close(&s);
}

static void test_live_line_is_redrawn_in_place_and_cleared(void **state)
{
    (void)state;
    sink s;
    sink_open(&s);
    asr_progress *p = asr_progress_new(s.f, ASR_PROGRESS_LIVE, "import");
    double t0 = seconds();
    asr_progress_begin(p, "actions", 1000000);
    for (long long r = 1; r <= 200000; r++)
        if (r % ASR_PROGRESS_EVERY == 0)
            asr_progress_rows(p, r, (unsigned long long)r * 4);
    double took = seconds() - t0;
    fflush(s.f);
    /* begun, the first rows at once, then at most one redraw per quarter second */
    size_t draws = count(s.data, s.len, "\r");
    assert_true(draws >= 2);
    assert_true((double)draws <= 2 + took / 0.25 + 1);
    assert_non_null(strstr(s.data, "\rimport actions: reading 1.0 MB\033[K"));
    assert_non_null(strstr(s.data, "\rimport actions: 1,024 rows, 0.0 of 1.0 MB\033[K"));
    asr_progress_phase(p, "storing"); /* shown at once */
    fflush(s.f);
    assert_non_null(strstr(s.data, "; storing\033[K"));
    asr_progress_end(p);
    fflush(s.f);
    /* cleared: the last thing written takes the line back */
    assert_true(s.len >= 4);
    assert_memory_equal(s.data + s.len - 4, "\r\033[K", 4);
    size_t before = s.len;
    asr_progress_free(p); /* nothing left to clear */
    assert_int_equal(s.len, before);
    sink_close(&s);
}

static void test_live_line_fits_the_width_and_escapes_names(void **state)
{
    (void)state;
    sink s;
    sink_open(&s);
    asr_progress *p = asr_progress_new(s.f, ASR_PROGRESS_LIVE, "import");
    char name[120];
    memset(name, 'x', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    memcpy(name, "a\033[2Jb", 6);
    asr_progress_begin(p, name, 0);
    fflush(s.f);
    /* not a terminal: 80 columns, so 79 at most between \r and the clear */
    const char *start = strchr(s.data, '\r'), *end = strstr(s.data, "\033[K");
    assert_non_null(start);
    assert_non_null(end);
    assert_int_equal(end - start - 1, 79);
    assert_non_null(strstr(s.data, "a?[2Jb"));
    asr_progress_free(p); /* clears what is shown */
    fflush(s.f);
    assert_memory_equal(s.data + s.len - 4, "\r\033[K", 4);
    sink_close(&s);
}

static void test_rules_say_done_findings_and_at_work(void **state)
{
    (void)state;
    sink s;
    sink_open(&s);
    asr_progress *p = asr_progress_new(s.f, ASR_PROGRESS_LOG, "check");
    const char *work[] = {"stale-evidence", "missing-owner", "no-progress"};
    asr_progress_rules(p, 3, 10, 1234, work, 3, 1);
    asr_progress_rules(p, 4, 10, 1240, work, 2, 0); /* within 5 s: not a line */
    asr_progress_end(p);
    asr_progress_free(p);
    fflush(s.f);
    assert_int_equal(count(s.data, s.len, "\n"), 2);
    assert_non_null(strstr(s.data, "assure check: 3 of 10 rules done, 1,234 findings, 0 s; at "
                                   "work: stale-evidence, missing-owner and 1 more\n"));
    assert_non_null(strstr(s.data, "assure check: 4 of 10 rules done, 1,240 findings, in 0 s\n"));
    sink_close(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_handle_is_no_progress),
        cmocka_unit_test(test_log_lines_are_timestamped_and_plain),
        cmocka_unit_test(test_live_line_is_redrawn_in_place_and_cleared),
        cmocka_unit_test(test_live_line_fits_the_width_and_escapes_names),
        cmocka_unit_test(test_rules_say_done_findings_and_at_work),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
