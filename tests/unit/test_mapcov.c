/* Unit tests for map coverage: rows placed in cells through their area and
 * source columns (a source's line and areas), area-only rows narrowed by the
 * rule's covered lines, findings, quiet and fired across cases, covers, and
 * the counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map.h"
#include "mapcov.h"
#include "store.h"
#include "test_support.h"

static const char map_text[] = "assure: 1\n"
                               "organisation: {name: Test}\n"
                               "areas:\n"
                               "  - {id: a1, title: One, principle: A, required_lines: [L1, L3]}\n"
                               "  - {id: a2, title: Two, principle: A, required_lines: [L2]}\n"
                               "  - {id: a3, title: Three, principle: A}\n"
                               "sources:\n"
                               "  - {id: s1, title: Source, line: L2, areas: [a1, a2]}\n"
                               "datasets:\n"
                               "  - id: ev\n"
                               "    key: id\n"
                               "    fields:\n"
                               "      - {name: id, type: text}\n"
                               "      - {name: area, type: text, ref: areas}\n"
                               "      - {name: source, type: text, ref: sources}\n";

/* Lines: the defaults L1 L2 L3 EXT, in that order. */
enum { L1, L2, L3, EXT };

static asr_map *load_map(void)
{
    asr_diag d;
    asr_diag_init(&d, 0);
    asr_map *m = NULL;
    if (asr_map_load_string("m.yaml", map_text, &d, &m) != ASR_OK) {
        asr_diag_print(&d, stderr);
        fail();
    }
    asr_diag_free(&d);
    assert_int_equal(m->n_lines, 4);
    assert_string_equal(m->lines[L2].id, "L2");
    return m;
}

static asr_store *make_db(const asr_map *m, const char *path)
{
    asr_diag d;
    asr_diag_init(&d, 0);
    asr_store *s = NULL;
    assert_int_equal(asr_store_open(path, ASR_STORE_CREATE, 100, &d, &s), ASR_OK);
    assert_int_equal(asr_store_ensure_dataset(s, asr_map_dataset(m, "ev"), &d), ASR_OK);
    if (asr_store_exec(s,
                       "INSERT INTO ev(_line, id, area, source) VALUES"
                       " (2, 'r1', 'a1', NULL), (3, 'r2', NULL, 's1'), (4, 'r3', 'a2', 's1'),"
                       " (5, 'r4', 'elsewhere', NULL)",
                       "insert", &d) != ASR_OK) {
        asr_diag_print(&d, stderr);
        fail();
    }
    asr_diag_free(&d);
    return s;
}

static void test_cells_from_rows_and_findings(void **state)
{
    (void)state;
    asr_map *m = load_map();
    const char *dir = tmp_dir();
    char path[128];
    snprintf(path, sizeof path, "%s/case.db", dir);
    asr_store *s = make_db(m, path);

    asr_cover lines_l3 = {"lines", "L3"};
    asr_rule narrow = {0}, wide = {0};
    narrow.id = "narrow";
    narrow.covers = &lines_l3;
    narrow.n_covers = 1;
    wide.id = "wide";

    asr_mapcov *mc = asr_mapcov_new(m, 2);
    /* case 1: both read ev; narrow flags a1 in L3 */
    asr_mapcov_case_begin(mc, m, s);
    asr_mapcov_read(mc, 0, &narrow, "ev");
    asr_mapcov_read(mc, 1, &wide, "ev");
    asr_mapcov_read(mc, 1, &wide, "map_areas"); /* the map: no cell */
    asr_finding f = {0};
    f.area = "a1";
    f.line = "L3";
    asr_mapcov_flagged(mc, 0, &narrow, &f);
    asr_mapcov_case_end(mc);

    /* narrow: r1 (a1, no line) only in L3; r2 (s1) in a1 and a2 in L2; r3 a2 in L2 */
    assert_int_equal(asr_mapcov_cell(mc, 0, 0, L3), ASR_MC_CAN | ASR_MC_FIRED);
    assert_int_equal(asr_mapcov_cell(mc, 0, 0, L2), ASR_MC_CAN | ASR_MC_QUIET);
    assert_int_equal(asr_mapcov_cell(mc, 0, 1, L2), ASR_MC_CAN | ASR_MC_QUIET);
    assert_int_equal(asr_mapcov_cell(mc, 0, 0, L1), 0);
    assert_int_equal(asr_mapcov_cell(mc, 0, 1, L1), 0);
    assert_int_equal(asr_mapcov_cell(mc, 0, 2, L2), 0); /* a3: no row */
    /* wide: r1 in every line of a1 */
    for (int l = L1; l <= EXT; l++)
        assert_int_equal(asr_mapcov_cell(mc, 1, 0, (size_t)l), ASR_MC_CAN | ASR_MC_QUIET);
    assert_int_equal(asr_mapcov_cell(mc, 1, 1, L1), 0);
    assert_int_equal(asr_mapcov_cell(mc, 1, 2, L1), 0);

    asr_mapcov_numbers n = asr_mapcov_count(mc);
    assert_int_equal(n.cells, 12);
    assert_int_equal(n.required, 3);         /* a1/L1, a1/L3, a2/L2 */
    assert_int_equal(n.required_covered, 3); /* wide reaches a1/L1 */
    assert_int_equal(n.required_tested, 0);  /* fired and quiet never in one cell */

    /* case 2: narrow reads the same rows and flags nothing: a1/L3 is now tested */
    asr_mapcov_case_begin(mc, m, s);
    asr_mapcov_read(mc, 0, &narrow, "ev");
    asr_mapcov_case_end(mc);
    assert_int_equal(asr_mapcov_cell(mc, 0, 0, L3), ASR_MC_CAN | ASR_MC_FIRED | ASR_MC_QUIET);
    n = asr_mapcov_count(mc);
    assert_int_equal(n.required_tested, 1);
    assert_true(n.percent > 33.3 && n.percent < 33.4);

    /* covers: a source names its areas in its line; an area every line */
    asr_cover decl[2] = {{"sources", "s1"}, {"areas", "a3"}};
    asr_rule declared = {0};
    declared.id = "declared";
    declared.covers = decl;
    declared.n_covers = 2;
    asr_mapcov *dc = asr_mapcov_new(m, 1);
    asr_mapcov_declare(dc, 0, &declared);
    assert_int_equal(asr_mapcov_cell(dc, 0, 0, L2), ASR_MC_CAN);
    assert_int_equal(asr_mapcov_cell(dc, 0, 1, L2), ASR_MC_CAN);
    assert_int_equal(asr_mapcov_cell(dc, 0, 0, L1), 0);
    assert_int_equal(asr_mapcov_cell(dc, 0, 1, L3), 0);
    for (int l = L1; l <= EXT; l++)
        assert_int_equal(asr_mapcov_cell(dc, 0, 2, (size_t)l), ASR_MC_CAN);
    asr_mapcov_free(dc);

    asr_mapcov_free(mc);
    asr_store_close(s);
    unlink(path);
    rmdir(dir);
    asr_map_free(m);
}

static void test_no_database_no_cells(void **state)
{
    (void)state;
    asr_map *m = load_map();
    asr_rule r = {0};
    r.id = "r";
    asr_mapcov *mc = asr_mapcov_new(m, 1);
    asr_mapcov_case_begin(mc, m, NULL);
    asr_mapcov_read(mc, 0, &r, "ev");
    asr_finding f = {0};
    f.area = "not-an-area";
    asr_mapcov_flagged(mc, 0, &r, &f);
    asr_mapcov_case_end(mc);
    for (size_t a = 0; a < m->n_areas; a++)
        for (size_t l = 0; l < m->n_lines; l++)
            assert_int_equal(asr_mapcov_cell(mc, 0, a, l), 0);
    asr_mapcov_numbers n = asr_mapcov_count(mc);
    assert_int_equal(n.covered, 0);
    assert_true(n.percent == 0.0);
    asr_mapcov_free(mc);
    asr_map_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cells_from_rows_and_findings),
        cmocka_unit_test(test_no_database_no_cells),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
