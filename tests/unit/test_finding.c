/* finding: the wire form of a finding keeps its typed evidence, its
 * parameters, its as-of date and its rows; a malformed list decodes as its
 * complete items; the fingerprint does not depend on evidence. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "finding.h"
#include "wire.h"

static asr_finding decode(const asr_buf *msg, void **block)
{
    asr_wire_msg m;
    assert_int_equal(asr_wire_parse(msg->data, msg->len, &m), (int)msg->len);
    assert_int_equal(m.n, ASR_FINDING_FIXED_FIELDS);
    asr_finding f;
    *block = malloc(asr_finding_decode_size(&m));
    asr_finding_decode(&m, *block, &f);
    return f;
}

static void typed_round_trip(void **state)
{
    (void)state;
    asr_kv ev[6] = {{"days_late", "186", ASR_EV_INTEGER}, {"due", "2022-03-31", ASR_EV_DATE},
                    {"open", "true", ASR_EV_BOOLEAN},     {"ratio", "0.25", ASR_EV_NUMBER},
                    {"owner", "", ASR_EV_NULL},           {"note", "a\tb", ASR_EV_STRING}};
    asr_kv params[1] = {{"grace_days", "0", ASR_EV_INTEGER}};
    asr_kv rows[2] = {{"audit_actions", "A-002", ASR_EV_STRING},
                      {"action_revisions", "12", ASR_EV_STRING}};
    asr_finding f = {0};
    f.subject = "A-002";
    f.message = "overdue";
    f.evidence = ev;
    f.n_evidence = 6;
    f.params = params;
    f.n_params = 1;
    f.rows = rows;
    f.n_rows = 2;
    f.rows_total = 31;
    f.as_of = "2022-10-03";
    f.age_days = -1;
    asr_finding_fingerprint("overdue-actions", "A-002", 5, f.fingerprint);
    asr_buf msg = {0};
    asr_finding_encode(&msg, &f);
    void *block;
    asr_finding g = decode(&msg, &block);
    assert_string_equal(g.subject, "A-002");
    assert_string_equal(g.as_of, "2022-10-03");
    assert_string_equal(g.fingerprint, f.fingerprint);
    assert_int_equal(g.n_evidence, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(g.evidence[i].k, ev[i].k);
        assert_string_equal(g.evidence[i].v, ev[i].v);
        assert_int_equal(g.evidence[i].t, ev[i].t);
    }
    assert_int_equal(g.n_params, 1);
    assert_string_equal(g.params[0].k, "grace_days");
    assert_int_equal(g.params[0].t, ASR_EV_INTEGER);
    assert_int_equal(g.n_rows, 2);
    assert_string_equal(g.rows[1].k, "action_revisions");
    assert_string_equal(g.rows[1].v, "12");
    assert_int_equal(g.rows_total, 31);
    assert_int_equal(g.age_days, -1);
    assert_null(g.state);
    /* decoded and encoded again: the same bytes */
    asr_buf again = {0};
    asr_finding_encode(&again, &g);
    assert_int_equal(again.len, msg.len);
    assert_memory_equal(again.data, msg.data, msg.len);
    free(block);
    asr_buf_free(&again);
    asr_buf_free(&msg);
}

static void no_lists(void **state)
{
    (void)state;
    asr_finding f = {0};
    f.subject = "s";
    f.message = "m";
    asr_buf msg = {0};
    asr_finding_encode(&msg, &f);
    void *block;
    asr_finding g = decode(&msg, &block);
    assert_int_equal(g.n_evidence, 0);
    assert_int_equal(g.n_params, 0);
    assert_int_equal(g.n_rows, 0);
    assert_int_equal(g.rows_total, 0);
    assert_null(g.as_of);
    free(block);
    asr_buf_free(&msg);
}

static void truncated_list_keeps_whole_items(void **state)
{
    (void)state;
    asr_buf list = {0}, msg = {0};
    asr_finding_pack(&list, "a", 1, ASR_EV_INTEGER, "1", 1);
    asr_finding_pack(&list, "b", 1, ASR_EV_STRING, "two", 3);
    asr_wire_begin(&msg, 'F');
    for (int i = 0; i < ASR_FINDING_FIXED_FIELDS - 1; i++)
        asr_wire_adds(&msg, i == 0 ? "s" : NULL);
    asr_wire_add(&msg, list.data, list.len - 2); /* the second value cut short */
    void *block;
    asr_finding g = decode(&msg, &block);
    assert_int_equal(g.n_evidence, 1);
    assert_string_equal(g.evidence[0].k, "a");
    assert_int_equal(g.evidence[0].t, ASR_EV_INTEGER);
    free(block);
    asr_buf_free(&list);
    asr_buf_free(&msg);
}

static void fingerprint_ignores_evidence(void **state)
{
    (void)state;
    char a[17], b[17];
    asr_finding_fingerprint("overdue-actions", "A-002", 5, a);
    asr_finding_fingerprint("overdue-actions", "A-002", 5, b);
    assert_string_equal(a, b);
    asr_finding_fingerprint("overdue-actions", "A-003", 5, b);
    assert_string_not_equal(a, b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(typed_round_trip),
        cmocka_unit_test(no_lists),
        cmocka_unit_test(truncated_list_keeps_whole_items),
        cmocka_unit_test(fingerprint_ignores_evidence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
