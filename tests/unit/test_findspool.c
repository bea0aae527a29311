/* Unit tests for the findspool: findings added one at a time, interleaved
 * between rules, come back in the exception list's reading order (the same
 * order a sort of all of them in memory gives), waived ones apart, with the
 * running totals the writers need; a list past the memory limit goes to a
 * temporary file that is never seen in the directory; a failed rule's
 * findings are not read back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>

#include "findfmt.h"
#include "findspool.h"
#include "map.h"
#include "test_support.h"

static const char two_groups[] = "assure: 1\n"
                                 "organisation: {name: Test}\n"
                                 "units:\n"
                                 "  - {id: HQ, name: Headquarters, kind: business_group}\n"
                                 "  - {id: EAST, name: East command, kind: command, parent: HQ}\n"
                                 "  - {id: NORTH, name: Bravo group, kind: business_group}\n"
                                 "areas:\n"
                                 "  - {id: vetting, title: Vetting, principle: A, unit: EAST}\n";

static asr_map *load_map(void)
{
    asr_diag d;
    asr_diag_init(&d, 0);
    asr_map *m = NULL;
    if (asr_map_load_string("m.yaml", two_groups, &d, &m) != ASR_OK) {
        asr_diag_print(&d, stderr);
        fail();
    }
    asr_diag_free(&d);
    return m;
}

/* What a finding is, for comparing: its arrival number in the subject. */
typedef struct {
    size_t rule, seq;
    int sev, waived;
    const char *group;
} expect;

static const char *const units[] = {"EAST", "NORTH", NULL};
static const char *const unit_groups[] = {"Headquarters", "Bravo group", NULL};
static const char *const sevs[] = {"high", "low", NULL, "medium"};

static asr_rule_result rules[3];
static const char *const rule_ids[] = {"zeta", "alpha", "mid"};

static void set_rules(void)
{
    memset(rules, 0, sizeof rules);
    for (int i = 0; i < 3; i++) {
        rules[i].rule.id = (char *)(uintptr_t)rule_ids[i];
        rules[i].rule.severity = (char *)(uintptr_t) "medium";
        rules[i].loaded = 1;
    }
}

/* The n-th finding of the test: rule, severity, unit and waiver vary. */
static void make(size_t n, asr_finding *f, char *subject, char *message, asr_kv *ev, expect *e)
{
    memset(f, 0, sizeof *f);
    f->rule = n % 3;
    sprintf(subject, "S%08zu", n); /* per rule, subjects grow: the rule's own order */
    sprintf(message, "message %zu %s", n, n % 7 == 0 ? "with some more words to make it long" : "");
    f->subject = subject;
    f->message = message;
    f->severity = (char *)(uintptr_t)sevs[n % 4];
    f->unit = (char *)(uintptr_t)units[(n / 3) % 3];
    f->waived = n % 11 == 5;
    f->age_days = -1;
    ev[0] = (asr_kv){(char *)(uintptr_t)(n % 2 ? "days" : "owner"), (char *)(uintptr_t) "12",
                     ASR_EV_INTEGER};
    ev[1] = (asr_kv){(char *)(uintptr_t)(f->rule == 2 ? "extra" : "days"), (char *)(uintptr_t) "x",
                     ASR_EV_STRING};
    f->evidence = ev;
    f->n_evidence = 2;
    e->rule = f->rule;
    e->seq = n;
    e->waived = f->waived;
    e->sev = asr_severity_index(f->severity ? f->severity : "medium");
    e->group = f->waived ? NULL : unit_groups[(n / 3) % 3];
}

static int cmp_expect(const void *a, const void *b)
{
    const expect *x = a, *y = b;
    if (x->waived != y->waived)
        return x->waived - y->waived;
    if (!x->waived) {
        if (x->sev != y->sev)
            return x->sev - y->sev;
        if ((x->group == NULL) != (y->group == NULL))
            return x->group ? -1 : 1;
        int c = x->group ? strcmp(x->group, y->group) : 0;
        if (c)
            return c;
    }
    int c = strcmp(rule_ids[x->rule], rule_ids[y->rule]);
    if (c)
        return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

typedef struct {
    const expect *want;
    size_t n, at;
} seen;

static int check_next(void *ud, const asr_finding *f, const char *group)
{
    seen *s = ud;
    assert_true(s->at < s->n);
    const expect *e = &s->want[s->at++];
    char subject[32];
    sprintf(subject, "S%08zu", e->seq);
    assert_string_equal(f->subject, subject);
    assert_int_equal(f->rule, e->rule);
    assert_int_equal(f->waived, e->waived);
    if (!e->waived) {
        if (e->group)
            assert_string_equal(group, e->group);
        else
            assert_null(group);
    }
    assert_int_equal(f->n_evidence, 2);
    return 0;
}

static size_t entries(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* n findings: read back in the order a full sort gives. Large n passes the
 * spool's memory limit and moves it to a file. wire: each given as the
 * bytes a worker sends (asr_findspool_add_wire), not as a struct. */
static void run_order(size_t n, int wire)
{
    asr_buf msg = {0};
    asr_map *m = load_map();
    set_rules();
    const char *dir = tmp_dir();
    asr_findspool *s = asr_findspool_new(m, rules, 3, dir, 1);
    expect *want = calloc(n, sizeof *want);
    size_t n_waived = 0;
    for (size_t i = 0; i < n; i++) {
        asr_finding f;
        char subject[32], message[96];
        asr_kv ev[2];
        make(i, &f, subject, message, ev, &want[i]);
        if (wire) {
            asr_finding_encode(&msg, &f);
            asr_findspool_add_wire(s, &f, msg.data, msg.len);
        } else {
            asr_findspool_add(s, &f);
        }
        n_waived += f.waived != 0;
    }
    assert_null(asr_findspool_error(s));
    assert_int_equal(asr_findspool_count(s, 0), n - n_waived);
    assert_int_equal(asr_findspool_count(s, 1), n_waived);
    assert_int_equal(asr_findspool_subject_width(s), 9);
    qsort(want, n, sizeof *want, cmp_expect);
    seen sn = {want, n - n_waived, 0};
    assert_int_equal(asr_findspool_each(s, 0, 0, NULL, check_next, &sn), 0);
    assert_int_equal(sn.at, n - n_waived);
    seen sw = {want + (n - n_waived), n_waived, 0};
    assert_int_equal(asr_findspool_each(s, 1, 0, NULL, check_next, &sw), 0);
    assert_int_equal(sw.at, n_waived);
    /* read twice: the same */
    sn.at = 0;
    assert_int_equal(asr_findspool_each(s, 0, 0, NULL, check_next, &sn), 0);
    /* evidence names in the order they first appear in the list */
    const char *names[4], *expected[4];
    size_t nn = asr_findspool_evidence_names(s, names, 4), ne = 0;
    for (size_t i = 0; i < n; i++) {
        asr_finding f;
        char subject[32], message[96];
        asr_kv ev[2];
        expect e;
        make(want[i].seq, &f, subject, message, ev, &e);
        for (size_t k = 0; k < 2; k++) {
            size_t j = 0;
            while (j < ne && strcmp(expected[j], ev[k].k) != 0)
                j++;
            if (j == ne)
                expected[ne++] = ev[k].k;
        }
    }
    assert_int_equal(nn, ne);
    assert_int_equal(nn, 3);
    for (size_t k = 0; k < nn; k++)
        assert_string_equal(names[k], expected[k]);
    /* groups by name, and some findings with none */
    const char *const *groups;
    int none;
    assert_int_equal(asr_findspool_groups(s, &groups, &none), 2);
    assert_string_equal(groups[0], "Bravo group");
    assert_string_equal(groups[1], "Headquarters");
    assert_true(none);
    /* nothing of the spool is ever seen in the directory */
    assert_int_equal(entries(dir), 0);
    asr_findspool_free(s);
    assert_int_equal(entries(dir), 0);
    rmdir(dir);
    free(want);
    asr_buf_free(&msg);
    asr_map_free(m);
}

static void test_small_list_in_reading_order(void **state)
{
    (void)state;
    run_order(200, 0);
}

static void test_long_list_in_reading_order(void **state)
{
    (void)state;
    run_order(60000, 0); /* about 12 MB in wire form: past the 8 MiB kept in memory */
}

/* The same list given as the bytes the workers sent (check keeps them as
 * they came): read back the same, in memory and from the file. */
static void test_list_from_wire_bytes(void **state)
{
    (void)state;
    run_order(200, 1);
    run_order(60000, 1);
}

/* One business group's findings (an Excel sheet per group). */
static int count_group(void *ud, const asr_finding *f, const char *group)
{
    (void)f;
    assert_string_equal(group, "Bravo group");
    (*(size_t *)ud)++;
    return 0;
}

static int count_any(void *ud, const asr_finding *f, const char *group)
{
    (void)f;
    (void)group;
    (*(size_t *)ud)++;
    return 0;
}

static void test_filter_failed_and_by_rule(void **state)
{
    (void)state;
    asr_map *m = load_map();
    set_rules();
    const char *dir = tmp_dir();
    asr_findspool *s = asr_findspool_new(m, rules, 3, dir, 1);
    asr_findspool *r = asr_findspool_new(m, rules, 3, dir, 0);
    asr_findspool_by_rule(r);
    size_t bravo = 0, of_rule[3] = {0, 0, 0};
    for (size_t i = 0; i < 300; i++) {
        asr_finding f;
        char subject[32], message[96];
        asr_kv ev[2];
        expect e;
        make(i, &f, subject, message, ev, &e);
        asr_findspool_add(s, &f);
        asr_findspool_add(r, &f);
        bravo += !f.waived && f.rule != 2 && e.group && strcmp(e.group, "Bravo group") == 0;
        of_rule[f.rule]++;
    }
    /* rule 2 died after sending: its findings are not this run's */
    rules[2].fail = ASR_FAIL_CRASH;
    size_t n = 0;
    assert_int_equal(asr_findspool_each(s, 0, 1, "Bravo group", count_group, &n), 0);
    assert_int_equal(n, bravo);
    assert_int_equal(asr_findspool_rule_count(s, 2), 0);
    /* by rule: each rule's findings, all of them, in the order they came */
    for (size_t k = 0; k < 3; k++) {
        n = 0;
        assert_int_equal(asr_findspool_each_rule(r, k, count_any, &n), 0);
        assert_int_equal(n, of_rule[k]);
    }
    asr_findspool_free(s);
    asr_findspool_free(r);
    rmdir(dir);
    asr_map_free(m);
}

/* A spool that cannot make its temporary file says so, and reads nothing. */
static void test_unwritable_directory(void **state)
{
    (void)state;
    asr_map *m = load_map();
    set_rules();
    asr_findspool *s = asr_findspool_new(m, rules, 3, "/nonexistent/dir", 1);
    for (size_t i = 0; i < 60000; i++) {
        asr_finding f;
        char subject[32], message[96];
        asr_kv ev[2];
        expect e;
        make(i, &f, subject, message, ev, &e);
        asr_findspool_add(s, &f);
    }
    size_t n = 0;
    assert_int_equal(asr_findspool_each(s, 0, 0, NULL, count_any, &n), -1);
    assert_non_null(asr_findspool_error(s));
    assert_non_null(strstr(asr_findspool_error(s), "/nonexistent/dir"));
    asr_findspool_free(s);
    asr_map_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_list_in_reading_order),
        cmocka_unit_test(test_long_list_in_reading_order),
        cmocka_unit_test(test_list_from_wire_bytes),
        cmocka_unit_test(test_filter_failed_and_by_rule),
        cmocka_unit_test(test_unwritable_directory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
