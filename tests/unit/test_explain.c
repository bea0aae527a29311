/* explain: the text and JSON of an explanation -- parameters, typed
 * evidence, the date arithmetic, rows, control characters escaped -- made
 * without a database (rows then show their key only). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "explain.h"

static asr_kv ev[4] = {{"days_late", "186", ASR_EV_INTEGER},
                       {"due", "2022-03-31", ASR_EV_DATE},
                       {"note", "red \x1b[31m", ASR_EV_STRING},
                       {"owner", "", ASR_EV_NULL}};
static asr_kv params[1] = {{"grace_days", "0", ASR_EV_INTEGER}};
static asr_kv rows[1] = {{"audit_actions", "A-002", ASR_EV_STRING}};

static asr_finding example(void)
{
    asr_finding f = {0};
    f.subject = "A-002";
    f.message = "Publish the plan: 186 days past its due date";
    memcpy(f.fingerprint, "0123456789abcdef", 17);
    f.evidence = ev;
    f.n_evidence = 4;
    f.params = params;
    f.n_params = 1;
    f.rows = rows;
    f.n_rows = 1;
    f.rows_total = 3;
    f.as_of = "2022-10-03";
    f.due = "2022-10-05";
    f.age_days = -1;
    return f;
}

static void text(void **state)
{
    (void)state;
    asr_finding f = example();
    asr_explanation e = {"overdue-actions",
                         "Audit action overdue",
                         "Flags open actions\nmore than grace_days late.",
                         "overdue",
                         "medium",
                         &f,
                         2};
    asr_buf b = {0};
    asr_explain_text(&b, NULL, &e);
    const char *t = asr_buf_str(&b);
    assert_non_null(strstr(t, "Finding 0123456789abcdef  rule overdue-actions, medium, overdue\n"
                              "  Audit action overdue\n"
                              "  A-002: Publish the plan: 186 days past its due date\n"));
    assert_non_null(strstr(t, "What the rule checks:\n  Flags open actions\n"
                              "  more than grace_days late.\n"));
    assert_non_null(strstr(t, "As of: 2022-10-03 (recorded run 2)\n"));
    assert_non_null(strstr(t, "  grace_days = 0  (integer)\n"));
    assert_non_null(strstr(t, "  days_late = 186  (integer)\n"));
    assert_non_null(strstr(t, "  owner     = (empty)  (null)\n"));
    assert_non_null(strstr(t, "  note      = red \\x1b[31m  (text)\n")); /* escaped */
    assert_null(strchr(t, '\x1b'));
    assert_non_null(strstr(t, "  due 2022-03-31, as of 2022-10-03: 186 days earlier\n"));
    assert_non_null(
        strstr(t, "  due (the finding's) 2022-10-05, as of 2022-10-03: 2 days later\n"));
    assert_non_null(strstr(t, "Rows it rests on (1 listed of 3):\n  audit_actions A-002\n"));
    asr_buf_free(&b);
}

static void json(void **state)
{
    (void)state;
    asr_finding f = example();
    asr_explanation e = {"overdue-actions", NULL, NULL, "overdue", "medium", &f, 0};
    asr_buf b = {0};
    asr_explain_json(&b, NULL, &e);
    const char *t = asr_buf_str(&b);
    assert_non_null(strstr(t, "\"title\": null, \"description\": null"));
    assert_non_null(strstr(t, "\"run\": null, \"params\": {\"grace_days\": 0}, \"evidence\": "
                              "{\"days_late\": 186, \"due\": \"2022-03-31\", \"note\": "
                              "\"red \\u001b[31m\", \"owner\": null}"));
    assert_non_null(strstr(t, "\"dates\": [{\"name\": \"due\", \"date\": \"2022-03-31\", "
                              "\"days_before_as_of\": 186}, {\"name\": \"due\", \"date\": "
                              "\"2022-10-05\", \"days_before_as_of\": -2}]"));
    assert_non_null(strstr(t, "\"rows\": [{\"dataset\": \"audit_actions\", \"key\": \"A-002\", "
                              "\"found_in\": \"missing\", \"values\": {}}], \"rows_total\": 3"));
    assert_non_null(strstr(t, "\"waived\": false}"));
    asr_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(text),
        cmocka_unit_test(json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
