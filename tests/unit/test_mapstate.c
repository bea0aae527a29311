/* Unit tests for the map state: a small map with every cell state
 * (fixtures/test/mapstate), the latest report of each cell, its rating in
 * the provider's label and age, what counts and what does not (reports
 * after the as-of date, advisory work), and findings counted in cells. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "import.h"
#include "mapstate.h"
#include "test_support.h"

static asr_map *map;
static asr_store *store;
static asr_mapstate *ms;
static char db_path[160];

static int setup(void **state)
{
    (void)state;
    asr_diag d;
    asr_diag_init(&d, 0);
    char *p = fixture("test/mapstate/map.yaml");
    char *ev = fixture("test/mapstate/assurance_evidence.csv");
    char *ae = fixture("test/mapstate/audit_engagements.csv");
    asr_status st = asr_map_load(p, &d, &map);
    snprintf(db_path, sizeof db_path, "%s/t.db", tmp_dir());
    if (st == ASR_OK)
        st = asr_store_open(db_path, ASR_STORE_CREATE, 100, &d, &store);
    asr_import_spec specs[] = {{"assurance_evidence", ev}, {"audit_engagements", ae}};
    asr_import_result results[2];
    if (st == ASR_OK)
        st = asr_import_run(store, map, specs, 2, NULL, NULL, &d, results);
    if (st == ASR_OK)
        st = asr_mapstate_compute(map, store, "2022-10-03", &d, &ms);
    if (st != ASR_OK)
        asr_diag_print(&d, stderr);
    asr_diag_free(&d);
    free(p);
    free(ev);
    free(ae);
    return st == ASR_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    asr_mapstate_free(ms);
    asr_store_close(store);
    asr_map_free(map);
    return 0;
}

static const asr_cell *cell(const char *area, const char *line)
{
    const asr_cell *c = asr_mapstate_cell(ms, area, line);
    assert_non_null(c);
    return c;
}

static void test_every_state(void **state)
{
    (void)state;
    assert_int_equal(cell("current", "L1")->state, ASR_CELL_ASSURED);
    assert_int_equal(cell("current", "L2")->state, ASR_CELL_WEAK);
    assert_int_equal(cell("current", "L3")->state, ASR_CELL_STALE);
    assert_int_equal(cell("current", "EXT")->state, ASR_CELL_MISSING);
    assert_int_equal(cell("gaps", "L1")->state, ASR_CELL_SUSPENDED);
    assert_int_equal(cell("gaps", "L2")->state, ASR_CELL_PLANNED);
    assert_int_equal(cell("gaps", "L3")->state, ASR_CELL_NOT_REQUIRED);
    assert_int_equal(cell("gaps", "EXT")->state, ASR_CELL_UNRATED);
    for (int s = 0; s < ASR_N_CELL_STATES; s++)
        assert_int_equal(ms->by_state[s], 1);
    assert_string_equal(asr_cell_state_name(ASR_CELL_NOT_REQUIRED), "not-required");
    assert_string_equal(asr_cell_state_words(ASR_CELL_STALE), "Out of date");
}

static void test_rows_by_principle_and_required(void **state)
{
    (void)state;
    assert_int_equal(ms->n_rows, 2);
    assert_string_equal(ms->rows[0].area->id, "current");
    assert_string_equal(ms->rows[0].principle->id, "A");
    assert_string_equal(ms->rows[1].principle->id, "B");
    assert_true(cell("gaps", "L1")->required);
    assert_false(cell("gaps", "L3")->required);
    assert_false(cell("gaps", "EXT")->required);
}

static void test_latest_report_and_age(void **state)
{
    (void)state;
    /* L1: the report dated after the as-of date does not count. */
    const asr_cell *c = cell("current", "L1");
    assert_string_equal(c->date, "2022-08-31");
    assert_string_equal(c->label, "Reasonable");
    assert_int_equal(c->rank, 3);
    assert_string_equal(c->ref, "EV-1");
    assert_int_equal(c->age_days, 33);
    assert_int_equal(c->max_age_days, 120);
    assert_false(c->is_stale);
    /* L2: the latest (Limited, written "Limited assurance"), not the better
     * earlier one; no max_age_days for L2, so the stale rule's default. */
    c = cell("current", "L2");
    assert_string_equal(c->label, "Limited");
    assert_string_equal(c->date, "2022-06-30");
    assert_true(c->is_weak);
    assert_int_equal(c->max_age_days, 730);
    /* L3: the assurance engagement; the later advisory work counts for nothing. */
    c = cell("current", "L3");
    assert_string_equal(c->date, "2021-06-30");
    assert_string_equal(c->label, "Adequate");
    assert_string_equal(c->ref, "Custody audit");
    assert_int_equal(c->age_days, 460);
    assert_true(c->is_stale);
    assert_false(c->is_weak);
    /* Suspended: its last report is kept and is both weak and out of date. */
    c = cell("gaps", "L1");
    assert_string_equal(c->date, "2020-06-30");
    assert_true(c->is_weak);
    assert_true(c->is_stale);
    assert_string_equal(c->sources, "Records self-assessment (suspended)");
    assert_int_equal(c->n_active, 0);
    c = cell("gaps", "EXT");
    assert_string_equal(c->date, "");
    assert_null(c->label);
    assert_int_equal(c->n_active, 1);
    assert_null(cell("current", "EXT")->sources);
}

static void test_findings_counted(void **state)
{
    (void)state;
    assert_int_equal(asr_mapstate_count_finding(ms, "current", "L2"), 1);
    assert_int_equal(asr_mapstate_count_finding(ms, "current", "L2"), 1);
    assert_int_equal(asr_mapstate_count_finding(ms, "current", NULL), 1);
    assert_int_equal(asr_mapstate_count_finding(ms, "current", "no-such-line"), 1);
    assert_int_equal(asr_mapstate_count_finding(ms, "nowhere", "L1"), 0);
    assert_int_equal(asr_mapstate_count_finding(ms, NULL, NULL), 0);
    assert_int_equal(cell("current", "L2")->findings, 2);
    assert_int_equal(ms->rows[0].findings_area, 2);
    assert_null(asr_mapstate_cell(ms, "current", "L9"));
}

static void test_bad_date_refused(void **state)
{
    (void)state;
    asr_diag d;
    asr_diag_init(&d, 0);
    asr_mapstate *other = NULL;
    assert_int_equal(asr_mapstate_compute(map, store, "3 October", &d, &other), ASR_E_USAGE);
    assert_null(other);
    assert_int_equal(d.count, 1);
    asr_diag_free(&d);
}

static const asr_held *held(const char *area, const char *source)
{
    const asr_mapstate_row *row = &ms->rows[ms->row_of_area[asr_map_area(map, area) - map->areas]];
    for (size_t i = 0; i < row->n_held; i++)
        if (strcmp(row->held[i].source->id, source) == 0)
            return &row->held[i];
    fail_msg("%s does not cover %s", source, area);
    return NULL;
}

static void test_combined_assurance(void **state)
{
    (void)state;
    /* current: L1 Reasonable (positive: 0.75 of 1), L2 Limited (weak: 0),
     * L3 Adequate but out of date (0), EXT no source: 0.75 of 10 points */
    const asr_held *h = held("current", "custody_l1");
    assert_string_equal(h->basis, "positive rating");
    assert_true(h->points == 0.75 && h->current);
    assert_string_equal(h->dataset, "assurance_evidence"); /* where the report is */
    assert_string_equal(h->key, "EV-1");
    h = held("current", "custody_board");
    assert_string_equal(h->basis, "weak rating");
    assert_true(h->is_weak && h->partial && h->points == 0);
    assert_string_equal(h->scope, "Latest oversight");
    h = held("current", "audit");
    assert_true(h->is_stale && h->points == 0 && !h->current);
    assert_string_equal(h->dataset, "audit_engagements");
    assert_string_equal(h->key, "IA-1");
    assert_int_equal(h->top_rank, 4);
    const asr_mapstate_row *row = &ms->rows[0];
    assert_int_equal(row->n_held, 3);
    assert_true(row->score == 7.5);
    assert_null(row->held_level); /* below Low (30) */
    assert_null(row->required);   /* the map requires no level */
    assert_false(row->below);
    assert_int_equal(row->best[0], 0);
    assert_int_equal(row->best[1], -1);
    assert_int_equal(row->n_duplicate_groups, 0);
    /* gaps: suspended, planned, and an inspectorate with no report */
    assert_string_equal(held("gaps", "records_l1")->basis, "suspended");
    assert_string_equal(held("gaps", "records_board")->basis, "planned");
    assert_string_equal(held("gaps", "inspectorate")->basis, "no report on record");
    assert_true(ms->rows[1].score == 0);
}

static void test_frequency_and_weight(void **state)
{
    (void)state;
    assert_int_equal(asr_frequency_days("Quarterly"), 92);
    assert_int_equal(asr_frequency_days(" monthly "), 31);
    assert_int_equal(asr_frequency_days("annual"), 366);
    assert_int_equal(asr_frequency_days("annual plan"), 0); /* a plan, not each area yearly */
    assert_int_equal(asr_frequency_days(NULL), 0);
    assert_true(asr_line_weight(map, 2) == 3);
    assert_true(asr_line_weight(map, 9) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_state),
        cmocka_unit_test(test_rows_by_principle_and_required),
        cmocka_unit_test(test_latest_report_and_age),
        cmocka_unit_test(test_findings_counted),
        cmocka_unit_test(test_bad_date_refused),
        cmocka_unit_test(test_combined_assurance),
        cmocka_unit_test(test_frequency_and_weight),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
