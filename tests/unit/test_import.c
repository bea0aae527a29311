/* Unit tests for the importer: typed storage, every rejection reported with
 * its place, all-or-nothing across files, and identical re-imports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "import.h"
#include "test_support.h"

static asr_map *map;
static char db_path[160];
static const char *dir;
static asr_diag d;
static asr_import_result results[4];

static int setup(void **state)
{
    (void)state;
    asr_diag_init(&d, 0);
    char *p = fixture("test/map.yaml");
    asr_status st = asr_map_load(p, &d, &map);
    free(p);
    if (st != ASR_OK) {
        asr_diag_print(&d, stderr);
        return -1;
    }
    asr_diag_free(&d);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    asr_map_free(map);
    return 0;
}

static int fresh_db(void **state)
{
    (void)state;
    dir = tmp_dir();
    snprintf(db_path, sizeof db_path, "%s/t.db", dir);
    return 0;
}

/* Imports the given dataset=path pairs into db_path; problems land in d. */
static asr_status import(size_t n, const asr_import_spec *specs)
{
    asr_diag_free(&d);
    asr_diag_init(&d, 0);
    asr_store *s = NULL;
    asr_status st = asr_store_open(db_path, ASR_STORE_CREATE, 100, &d, &s);
    if (st == ASR_OK)
        st = asr_import_run(s, map, specs, n, NULL, NULL, &d, results);
    asr_store_close(s);
    return st;
}

static int problem(const char *file_suffix, unsigned line, const char *column, const char *needle)
{
    for (size_t i = 0; i < d.count; i++) {
        const asr_problem *p = &d.items[i];
        size_t fl = p->file ? strlen(p->file) : 0, sl = strlen(file_suffix);
        if (fl >= sl && strcmp(p->file + fl - sl, file_suffix) == 0 && p->line == line &&
            (!column || (p->path && strcmp(p->path, column) == 0)) && strstr(p->message, needle))
            return 1;
    }
    asr_diag_print(&d, stderr);
    return 0;
}

static const char header[] = "Action ID,Area,Priority,Due,Revised,Extensions,Cost,Verified,Note\n";

static void test_good_files_stored_typed(void **state)
{
    (void)state;
    char *actions = fixture("test/actions.csv"), *eng = fixture("test/engagements.json");
    asr_import_spec specs[] = {{"actions", actions}, {"engagements", eng}};
    assert_int_equal(import(2, specs), ASR_OK);
    assert_int_equal(results[0].outcome, ASR_IMPORTED);
    assert_int_equal(results[0].rows, 3);
    assert_int_equal(results[1].rows, 2);
    assert_string_equal(query1(db_path, "SELECT revised FROM actions WHERE action_id='A-001'"),
                        "2022-09-30");
    assert_string_equal(query1(db_path, "SELECT typeof(extensions) || typeof(cost) || "
                                        "typeof(verified) FROM actions WHERE _line=2"),
                        "integerrealinteger");
    assert_string_equal(query1(db_path, "SELECT group_concat(priority_rank) FROM actions"),
                        "1,2,3");
    assert_string_equal(query1(db_path, "SELECT note FROM actions WHERE action_id='A-003'"),
                        "=SUM(A1) stays as text"); /* C9: stored verbatim */
    assert_string_equal(query1(db_path, "SELECT opinion_rank FROM engagements WHERE "
                                        "engagement_id='E-1'"),
                        "2");
    assert_string_equal(query1(db_path, "SELECT count(*) FROM map_areas"), "2");
    assert_string_equal(query1(db_path, "SELECT count(*) FROM assure_imports WHERE "
                                        "outcome='imported'"),
                        "2");
    free(actions);
    free(eng);
}

/* Many rows go to the database in batches, through a second thread: every
 * row arrives, typed; a duplicate key across batches and a bad value deep in
 * the file are still reported at their lines, and the stored rows stay as
 * they were. */
static void test_many_rows_in_batches(void **state)
{
    (void)state;
    enum { ROWS = 30000 };
    asr_buf csv = {0};
    asr_buf_adds(&csv, header);
    for (int i = 1; i <= ROWS; i++)
        asr_buf_addf(&csv, "A-%05d,%s,%s,2022-%02d-%02d,,%d,%d.50,yes,row %d\n", i,
                     i % 2 ? "vetting" : "data_quality", i % 3 ? "medium" : "high", 1 + i % 12,
                     1 + i % 28, i % 4, i, i);
    char *good = write_file(dir, "many.csv", csv.data, csv.len);
    asr_import_spec specs[] = {{"actions", good}};
    assert_int_equal(import(1, specs), ASR_OK);
    assert_int_equal(results[0].rows, ROWS);
    assert_string_equal(query1(db_path, "SELECT count(*) FROM actions"), "30000");
    assert_string_equal(query1(db_path, "SELECT sum(extensions) FROM actions"), "45000");
    assert_string_equal(query1(db_path, "SELECT area || ' ' || priority || ' ' || due || ' ' || "
                                        "cost || ' ' || note FROM actions WHERE _line = 30001"),
                        "data_quality high 2022-01-13 30000.5 row 30000");

    /* Row 25000 repeats row 3's key; row 20000 has a bad date. */
    char *bad = strdup(csv.data);
    char *r25000 = strstr(bad, "A-25000,"), *r20000 = strstr(bad, "A-20000,");
    memcpy(r25000, "A-00003,", 8);
    memcpy(strchr(r20000 + 8, '2'), "2022-13", 7);
    char *badp = write_file(dir, "many-bad.csv", bad, strlen(bad));
    specs[0].path = badp;
    assert_int_equal(import(1, specs), ASR_E_DATA);
    assert_true(
        problem("many-bad.csv", 25001, NULL, "duplicate key (Action ID): the same as line 4"));
    assert_true(problem("many-bad.csv", 20001, "Due", "2022-13"));
    assert_int_equal(d.errors, 2);
    assert_string_equal(query1(db_path, "SELECT count(*) FROM actions"), "30000");
    assert_string_equal(query1(db_path, "SELECT note FROM actions WHERE action_id = 'A-25000'"),
                        "row 25000");
    free(bad);
    free(badp);
    free(good);
    asr_buf_free(&csv);
}

static void test_identical_reimport_changes_nothing(void **state)
{
    (void)state;
    char *actions = fixture("test/actions.csv");
    asr_import_spec specs[] = {{"actions", actions}};
    assert_int_equal(import(1, specs), ASR_OK);
    assert_int_equal(results[0].outcome, ASR_IMPORTED);
    assert_int_equal(import(1, specs), ASR_OK);
    assert_int_equal(results[0].outcome, ASR_UNCHANGED);
    assert_int_equal(results[0].rows, 3);
    assert_string_equal(query1(db_path, "SELECT count(*) FROM assure_imports"), "1");
    free(actions);
}

static void test_every_bad_value_reported(void **state)
{
    (void)state;
    char text[2048];
    snprintf(text, sizeof text,
             "%s"
             "A-001,vetting,high,2023-02-31,,1,,no,\n" /* line 2: impossible date */
             "A-002,vettin,urgent,2023-1-5,01/13/2022,01,1.5E3,maybe,\n" /* line 3 */
             "B-7,vetting,low,45000,,,,,\n"             /* line 4: pattern, serial */
             "A-004,vetting,low,2023-01-05,,,,,%s\n"    /* line 5: too long */
             "A-006,data_quality,low,2023-01-05,,,,,\n" /* line 6: good */
             "A-007,,low,2023-01-05,,,,,\n"             /* line 7: required */
             "A-006,vetting,low,2023-01-05,,,,,\n",     /* line 8: duplicate key */
             header, "this note is far too long for the field limit");
    char *bad = write_file(dir, "bad.csv", text, 0);
    asr_import_spec specs[] = {{"actions", bad}};
    assert_int_equal(import(1, specs), ASR_E_DATA);
    assert_true(problem("bad.csv", 2, "Due", "February 2023 has 28 days"));
    assert_true(problem("bad.csv", 3, "Area", "did you mean 'vetting'?"));
    assert_true(problem("bad.csv", 3, "Priority", "not an allowed value (high, medium, low)"));
    assert_true(problem("bad.csv", 3, "Due", "not a date in the form YYYY-MM-DD"));
    assert_true(problem("bad.csv", 3, "Revised", "month 13 does not exist"));
    assert_true(problem("bad.csv", 3, "Extensions", "may not start with 0"));
    assert_true(problem("bad.csv", 3, "Cost", "scientific notation"));
    assert_true(problem("bad.csv", 3, "Verified", "expected true/false"));
    assert_true(problem("bad.csv", 4, "Action ID", "does not match the pattern"));
    assert_true(problem("bad.csv", 4, "Due", "serial number"));
    assert_true(problem("bad.csv", 5, "Note", "longer than 40 characters"));
    assert_true(problem("bad.csv", 8, NULL, "duplicate key (Action ID): the same as line 6"));
    assert_true(problem("bad.csv", 7, "Area", "a value is required"));
    assert_string_equal(query1(db_path, "SELECT count(*) FROM actions"), "<error>");
    free(bad);
}

static void test_header_problems_c6(void **state)
{
    (void)state;
    char *bad = write_file(dir, "hdr.csv",
                           "Action ID,Area,area,Priority,Due,Due\nA-001,vetting,x,high,"
                           "2022-01-01,2022-01-01\n",
                           0);
    asr_import_spec specs[] = {{"actions", bad}};
    assert_int_equal(import(1, specs), ASR_E_DATA);
    /* headings match ignoring case: 'area' is the Area column again */
    assert_true(problem("hdr.csv", 1, NULL, "column 3 'area' appears twice (also column 2)"));
    assert_true(problem("hdr.csv", 1, NULL, "column 6 'Due' appears twice (also column 5)"));
    assert_true(problem("hdr.csv", 1, NULL, "takes the columns: Action ID*, Area*"));
    free(bad);
    bad = write_file(dir, "missing.csv", "Action ID,Priority,Due\nA-001,high,2022-01-01\n", 0);
    specs[0].path = bad;
    assert_int_equal(import(1, specs), ASR_E_DATA);
    assert_true(problem("missing.csv", 1, NULL, "required column 'Area' is missing"));
    free(bad);
    bad = write_file(dir, "empty.csv", "", 0);
    specs[0].path = bad;
    assert_int_equal(import(1, specs), ASR_E_DATA);
    assert_true(problem("empty.csv", 1, NULL, "the file is empty"));
    free(bad);
}

static void test_all_or_nothing_across_files(void **state)
{
    (void)state;
    char *actions = fixture("test/actions.csv"), *eng = fixture("test/engagements.json");
    asr_import_spec good[] = {{"actions", actions}, {"engagements", eng}};
    assert_int_equal(import(2, good), ASR_OK);
    /* Now a new, good actions file with a bad engagements file: neither changes. */
    char text[512];
    snprintf(text, sizeof text, "%sA-009,vetting,low,2024-01-01,,,,,\n", header);
    char *new_actions = write_file(dir, "new.csv", text, 0);
    char *bad_eng = write_file(dir, "bad.json",
                               "[{\"engagement_id\": \"E-9\", \"area\": \"vetting\", "
                               "\"opinion\": \"Reasonable\"}]",
                               0);
    asr_import_spec mixed[] = {{"actions", new_actions}, {"engagements", bad_eng}};
    assert_int_equal(import(2, mixed), ASR_E_DATA);
    assert_true(problem("bad.json", 1, "opinion", "not an allowed value (Substantial, Adequate"));
    assert_string_equal(query1(db_path, "SELECT group_concat(action_id) FROM actions"),
                        "A-001,A-002,A-003");
    assert_string_equal(query1(db_path, "SELECT group_concat(engagement_id) FROM engagements"),
                        "E-1,E-2");
    assert_string_equal(query1(db_path, "SELECT count(*) FROM assure_imports WHERE "
                                        "outcome='rejected'"),
                        "2");
    free(actions);
    free(eng);
    free(new_actions);
    free(bad_eng);
}

static void test_json_type_checks(void **state)
{
    (void)state;
    char *bad = write_file(dir, "types.json",
                           "[\n"
                           "  {\"engagement_id\": 7, \"area\": \"vetting\"},\n"
                           "  {\"engagement_id\": \"E-2\", \"area\": \"vetting\", "
                           "\"final_report\": 20210528},\n"
                           "  {\"engagement_id\": \"E-3\", \"colour\": \"red\"}\n"
                           "]\n",
                           0);
    asr_import_spec specs[] = {{"engagements", bad}};
    assert_int_equal(import(1, specs), ASR_E_DATA);
    assert_true(problem("types.json", 2, "engagement_id", "expected text in double quotes"));
    assert_true(problem("types.json", 3, "final_report", "expected a date in double quotes"));
    /* a key no field reads is left out (engagements is not strict) */
    assert_false(problem("types.json", 4, NULL, "\"colour\""));
    assert_true(problem("types.json", 4, "area", "required field is missing"));
    free(bad);
}

static void test_usage_problems(void **state)
{
    (void)state;
    char *actions = fixture("test/actions.csv");
    asr_import_spec unknown[] = {{"action", actions}};
    assert_int_equal(import(1, unknown), ASR_E_USAGE);
    assert_non_null(strstr(d.items[0].message, "did you mean 'actions'?"));
    asr_import_spec twice[] = {{"actions", actions}, {"actions", actions}};
    assert_int_equal(import(2, twice), ASR_E_USAGE);
    asr_import_spec missing[] = {{"actions", "/nonexistent/actions.csv"}};
    assert_int_equal(import(1, missing), ASR_E_NOINPUT);
    asr_import_spec txt[] = {{"actions", "actions.txt"}};
    assert_int_equal(import(1, txt), ASR_E_USAGE);
    free(actions);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_good_files_stored_typed, fresh_db),
        cmocka_unit_test_setup(test_identical_reimport_changes_nothing, fresh_db),
        cmocka_unit_test_setup(test_many_rows_in_batches, fresh_db),
        cmocka_unit_test_setup(test_every_bad_value_reported, fresh_db),
        cmocka_unit_test_setup(test_header_problems_c6, fresh_db),
        cmocka_unit_test_setup(test_all_or_nothing_across_files, fresh_db),
        cmocka_unit_test_setup(test_json_type_checks, fresh_db),
        cmocka_unit_test_setup(test_usage_problems, fresh_db),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    asr_diag_free(&d);
    return rc;
}
