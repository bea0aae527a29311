/* Unit tests for the map schema: every problem reported with its place and
 * path, no YAML 1.1 guessing, references and cycles checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "map.h"

static asr_diag d;

static asr_map *load(const char *text)
{
    asr_diag_free(&d);
    asr_diag_init(&d, 0);
    asr_map *m = NULL;
    asr_map_load_string("m.yaml", text, &d, &m);
    return m;
}

/* True if some problem is at line:col (col 0 = any) with path and message
 * containing the given text. */
static int problem(unsigned line, unsigned col, const char *path, const char *needle)
{
    for (size_t i = 0; i < d.count; i++) {
        const asr_problem *p = &d.items[i];
        if (p->line == line && (!col || p->col == col) &&
            (!path || (p->path && strcmp(p->path, path) == 0)) && strstr(p->message, needle))
            return 1;
    }
    for (size_t i = 0; i < d.count; i++)
        fprintf(stderr, "  have %u:%u %s: %s\n", d.items[i].line, d.items[i].col,
                d.items[i].path ? d.items[i].path : "-", d.items[i].message);
    return 0;
}

#define ORG "organisation: {name: Test}\n"

static void test_minimal_map_gets_defaults(void **state)
{
    (void)state;
    asr_map *m = load(ORG);
    assert_non_null(m);
    assert_string_equal(m->org_name, "Test");
    assert_int_equal(m->fy_start_month, 4);
    assert_int_equal(m->n_lines, 4);
    assert_string_equal(m->lines[0].id, "L1");
    assert_string_equal(m->lines[3].id, "EXT");
    assert_int_equal(m->n_principles, 7);
    assert_string_equal(m->principles[6].id, "G");
    asr_map_free(m);
}

static void test_unknown_keys_suggest(void **state)
{
    (void)state;
    assert_null(load(ORG "areas:\n  - id: a\n    titel: A\n    principle: A\n"));
    assert_true(problem(4, 5, "areas[0]", "unknown key 'titel'; did you mean 'title'?"));
    assert_true(problem(3, 5, "areas[0].title", "missing required value 'title'"));
    assert_null(load(ORG "area: []\n"));
    assert_true(problem(2, 1, NULL, "did you mean 'areas'?"));
}

static void test_no_yaml11_guessing_y7(void **state)
{
    (void)state;
    /* yes is text in a text field ... */
    asr_map *m = load("organisation: {name: yes}\n");
    assert_non_null(m);
    assert_string_equal(m->org_name, "yes");
    asr_map_free(m);
    /* ... and not a boolean in a boolean field */
    assert_null(load(ORG "datasets:\n  - id: t\n    fields:\n      - {name: a, type: text, "
                         "required: yes}\n"));
    assert_true(problem(5, 41, "datasets[0].fields[0].required", "expected true or false"));
    /* 010 is not octal 8 nor decimal 10: it is refused */
    assert_null(load("organisation: {name: T, fiscal_year_start: 010}\n"));
    assert_true(problem(1, 44, "organisation.fiscal_year_start", "may not start with 0"));
    /* a quoted number is text, not a number */
    assert_null(load("organisation: {name: T, fiscal_year_start: \"4\"}\n"));
    assert_true(problem(1, 44, NULL, "quoted text"));
    /* sexagesimal 1:20 is just text, and not a whole number */
    assert_null(load("organisation: {name: T, fiscal_year_start: 1:20}\n"));
    assert_true(problem(1, 44, NULL, "expected a whole number"));
}

static void test_wrong_types_and_ranges(void **state)
{
    (void)state;
    assert_null(load("organisation: {name: T, fiscal_year_start: 13}\n"));
    assert_true(problem(1, 44, NULL, "outside the allowed range 1 to 12"));
    assert_null(load(ORG "areas: {id: a}\n"));
    assert_true(problem(2, 8, "areas", "expected a list"));
    assert_null(load(ORG "areas:\n  - {id: a, title: A, principle: A, required_lines: L1}\n"));
    assert_true(problem(3, 53, "areas[0].required_lines", "expected a list"));
    assert_null(load(ORG "areas:\n  - {id: a, title: [x], principle: A}\n"));
    assert_true(problem(3, 20, "areas[0].title", "expected text, got a list"));
}

static void test_duplicate_ids_and_dangling_references(void **state)
{
    (void)state;
    assert_null(load(ORG "areas:\n"
                         "  - {id: a, title: A, principle: A}\n"
                         "  - {id: a, title: B, principle: Z, required_lines: [L1, L9]}\n"
                         "sources:\n"
                         "  - {id: s, title: S, line: L2, areas: [a, b]}\n"));
    assert_true(problem(4, 5, NULL, "duplicate area id 'a' (first defined at m.yaml:3)"));
    assert_true(problem(4, 34, "areas[1].principle", "no principle with id 'Z'"));
    assert_true(problem(4, 58, "areas[1].required_lines[1]", "no line with id 'L9'; did you mean"));
    assert_true(problem(6, 44, "sources[0].areas[1]", "no area with id 'b'"));
}

static void test_unit_cycle_reported_once(void **state)
{
    (void)state;
    assert_null(load(ORG "units:\n"
                         "  - {id: a, name: A, parent: c}\n"
                         "  - {id: b, name: B, parent: a}\n"
                         "  - {id: c, name: C, parent: b}\n"
                         "  - {id: d, name: D, parent: a}\n"));
    assert_true(problem(3, 5, NULL, "unit 'a' is its own ancestor"));
    assert_int_equal(d.errors, 1);
    asr_map *m = load(ORG "units:\n  - {id: a, name: A}\n  - {id: b, name: B, parent: a}\n");
    assert_non_null(m);
    asr_map_free(m);
}

static void test_source_status_and_scales(void **state)
{
    (void)state;
    assert_null(load(ORG "sources:\n  - {id: s, title: S, line: L2, status: suspnded}\n"
                         "scales:\n  - {id: x, labels: {Good: high}}\n"));
    assert_true(problem(3, 41, "sources[0].status", "did you mean 'suspended'?"));
    assert_true(problem(5, 28, "scales[0].labels.Good", "expected a whole number"));
}

static const char dataset_map[] =
    ORG "scales:\n"
        "  - {id: op, labels: {Substantial: 4, Limited: 2}}\n"
        "datasets:\n"
        "  - id: actions\n"
        "    key: [ref]\n"
        "    fields:\n"
        "      - {name: ref, type: text, pattern: 'A-[0-9]+'}\n"
        "      - {name: due, type: date, format: DD/MM/YYYY}\n"
        "      - {name: opinion, type: enum, scale: op}\n"
        "      - {name: status, type: enum, values: [open, closed]}\n"
        "      - {name: area, type: text, ref: areas, header: Area}\n";

static void test_datasets_read(void **state)
{
    (void)state;
    asr_map *m = load(dataset_map);
    assert_non_null(m);
    const asr_dataset *ds = asr_map_dataset(m, "actions");
    assert_non_null(ds);
    assert_int_equal(ds->n_fields, 5);
    assert_int_equal(ds->n_key, 1);
    assert_true(ds->fields[0].required); /* key fields are required */
    assert_true(ds->fields[0].has_regex);
    assert_string_equal(ds->fields[1].date_format, "DD/MM/YYYY");
    assert_int_equal(ds->fields[2].n_values, 2);
    assert_string_equal(ds->fields[2].values[0], "Substantial");
    assert_int_equal(ds->fields[2].ranks[0], 4);
    assert_int_equal(ds->fields[3].ranks[1], 2);
    assert_int_equal(ds->fields[4].ref, ASR_REF_AREAS);
    assert_string_equal(ds->fields[4].header, "Area");
    assert_int_equal(strlen(ds->schema_hash), 64);
    asr_map_free(m);
}

static void test_dataset_problems(void **state)
{
    (void)state;
    assert_null(load(ORG "datasets:\n"
                         "  - id: map_things\n"
                         "    key: [nme]\n"
                         "    fields:\n"
                         "      - {name: name, type: txt}\n"
                         "      - {name: Bad-Name, type: text}\n"
                         "      - {name: d, type: date, format: DD/XX/YY}\n"
                         "      - {name: e, type: enum}\n"
                         "      - {name: p, type: text, pattern: '(['}\n"
                         "      - {name: n, type: integer, values: [a]}\n"
                         "      - {name: r, type: text, ref: area}\n"
                         "      - {name: d, type: text}\n"));
    assert_true(problem(3, 9, "datasets[0].id", "not a valid dataset id"));
    assert_true(problem(4, 11, "datasets[0].key", "no field named 'nme'"));
    assert_true(problem(6, 28, "datasets[0].fields[0].type", "did you mean 'text'?"));
    assert_true(problem(7, 16, "datasets[0].fields[1].name", "not a valid field name"));
    assert_true(problem(8, 39, "datasets[0].fields[2].format", "a date layout is made of"));
    assert_true(problem(9, 9, "datasets[0].fields[3]", "needs 'values'"));
    assert_true(problem(10, 40, "datasets[0].fields[4].pattern", "regular expression"));
    assert_true(problem(11, 42, "datasets[0].fields[5].values", "only to enum fields"));
    assert_true(problem(12, 36, "datasets[0].fields[6].ref", "did you mean 'areas'?"));
    assert_true(
        problem(13, 9, "datasets[0].fields[7]", "field 'd' is defined twice (first at line 8)"));
}

static void test_params(void **state)
{
    (void)state;
    asr_map *m = load(ORG "params:\n  overdue-actions: {grace_days: 14, label: late, strict: "
                          "true, ratio: 0.5}\n");
    assert_non_null(m);
    assert_int_equal(m->n_params, 4);
    assert_int_equal(m->params[0].type, ASR_PARAM_NUMBER);
    assert_int_equal(m->params[1].type, ASR_PARAM_STRING);
    assert_int_equal(m->params[2].type, ASR_PARAM_BOOLEAN);
    assert_int_equal(m->params[3].type, ASR_PARAM_NUMBER);
    asr_map_free(m);
    assert_null(load(ORG "params:\n  r1: {x: [1, 2]}\n"));
    assert_true(problem(3, 11, "params.r1.x", "single value"));
}

static void test_all_problems_in_one_pass(void **state)
{
    (void)state;
    assert_null(load("organisation: {name: T, colour: red}\n"
                     "areas:\n"
                     "  - {id: a, principle: Q}\n"
                     "  - {id: 'bad id', title: B, principle: A}\n"));
    assert_true(d.errors >= 4);
    assert_true(problem(1, 25, "organisation", "unknown key 'colour'"));
    assert_true(problem(3, 5, "areas[0].title", "missing required value"));
    assert_true(problem(3, 24, "areas[0].principle", "no principle"));
    assert_true(problem(4, 10, "areas[1].id", "not a valid id"));
}

static void test_include_needs_a_file(void **state)
{
    (void)state;
    assert_null(load(ORG "include: [other.yaml]\n"));
    assert_true(problem(2, 10, "include", "needs a map file"));
}

static void test_empty_and_scalar_roots(void **state)
{
    (void)state;
    assert_null(load(""));
    assert_true(problem(1, 1, NULL, "the file is empty"));
    assert_null(load("just text\n"));
    assert_true(problem(1, 1, NULL, "expected a mapping"));
}

static int teardown(void **state)
{
    (void)state;
    asr_diag_free(&d);
    return 0;
}

/* Big maps: ids, references and parent links are checked through indexes,
 * each problem once. (Scanning the earlier items for each one made a map of
 * many areas quadratic, and the walk up the unit tree cubic.) */
static void test_many_items_checked_in_linear_time(void **state)
{
    (void)state;
    asr_buf b = {0};
    asr_buf_adds(&b, ORG "units:\n");
    for (int i = 0; i < 20000; i++) /* a chain u0 <- u1 <- ... and a cycle at its root */
        asr_buf_addf(&b, "  - {id: u%d, name: U, parent: u%d}\n", i, i < 10 ? (i + 9) % 10 : i - 1);
    assert_null(load(b.data));
    assert_int_equal(d.errors, 1);
    assert_true(problem(3, 5, NULL, "unit 'u0' is its own ancestor"));

    asr_buf_clear(&b);
    asr_buf_adds(&b, ORG "areas:\n");
    for (int i = 0; i < 20000; i++)
        asr_buf_addf(&b, "  - {id: a%d, title: A, principle: A}\n", i % 10000);
    asr_buf_adds(&b, "sources:\n");
    for (int i = 0; i < 20000; i++)
        asr_buf_addf(&b, "  - {id: s%d, title: S, line: L1, areas: [a%d, b%d]}\n", i, i, i);
    asr_diag_free(&d);
    asr_diag_init(&d, ASR_DIAG_LIMIT); /* as the commands have it: no suggestions once full */
    asr_map *m = NULL;
    assert_int_equal(asr_map_load_string("m.yaml", b.data, &d, &m), ASR_E_CONFIG);
    /* 10000 duplicate area ids, 10000 + 20000 dangling areas */
    assert_int_equal(d.errors, 10000 + 30000);
    assert_int_equal(d.count, ASR_DIAG_LIMIT);
    assert_true(problem(10003, 5, NULL, "duplicate area id 'a0' (first defined at m.yaml:3)"));
    asr_buf_free(&b);
}

static void test_same_ranks_and_rank_columns(void **state)
{
    (void)state;
    asr_map *m = load(ORG "scales:\n  - {id: x, labels: {A: 2, B: 1, C: 2, D: 2}}\n");
    assert_non_null(m);
    asr_map_free(m);
    assert_int_equal(d.warnings, 2);
    assert_true(problem(3, 34, "labels", "'C' has the same rank as 'A'"));
    assert_true(problem(3, 40, "labels", "'D' has the same rank as 'A'"));
    assert_null(load(ORG "datasets:\n  - id: t\n    fields:\n"
                         "      - {name: s, type: enum, values: [a]}\n"
                         "      - {name: s_rank, type: text}\n"
                         "      - {name: t_rank, type: text}\n"
                         "      - {name: t, type: enum, values: [a]}\n"
                         "      - {name: u, type: text, header: S_rank}\n"
                         "      - {name: v, type: text, header: s}\n"));
    assert_true(problem(6, 9, "datasets[0].fields[1]", "'s_rank' clashes with the rank column"));
    assert_true(problem(8, 9, "datasets[0].fields[3]", "needs the column 't_rank'"));
    /* headings compare without case or punctuation: S_rank is s_rank's */
    assert_true(problem(9, 9, "datasets[0].fields[4]",
                        "heading 'S_rank' is read by two fields, 's_rank' (line 6) and 'u'"));
    assert_true(problem(10, 9, "datasets[0].fields[5]",
                        "heading 's' is read by two fields, 's' (line 5) and 'v'; if both should "
                        "read it, say shared: true"));
    assert_int_equal(d.errors, 4);
}

/* A pattern glibc's regcomp would spend minutes on (found by hand while
 * writing the fuzz targets: "((a*)*){20}" took 3 s, "((a*)*){200}" did not end) is
 * refused before regcomp sees it. */
static void test_pattern_too_costly(void **state)
{
    (void)state;
    assert_null(load(ORG
                     "datasets:\n  - id: t\n    fields:\n"
                     "      - {name: a, type: text, pattern: '((a*)*){200}'}\n"
                     "      - {name: b, type: text, pattern: '(((x{1,255}){1,255}){1,255})'}\n"));
    assert_true(problem(5, 40, "datasets[0].fields[0].pattern", "repeats a part that can match"));
    assert_true(problem(6, 40, "datasets[0].fields[1].pattern", "is too big"));
}

static void test_combined_assurance_defaults(void **state)
{
    (void)state;
    asr_map *m =
        load(ORG "areas:\n  - {id: a, title: A, principle: A, required_assurance: High}\n");
    assert_non_null(m);
    assert_int_equal(m->combined.n_levels, 3);
    assert_string_equal(m->combined.levels[0].id, "Low");
    assert_true(m->combined.levels[2].score == 70);
    assert_true(m->combined.weights[0] == 1 && m->combined.weights[3] == 4);
    assert_true(m->combined.positive == 0.75 && m->combined.unrated == 0.5);
    assert_true(m->combined.weak == 0 && m->combined.stale == 0 && m->combined.late == 0.5);
    assert_string_equal(m->areas[0].required_assurance, "High");
    assert_int_equal(m->areas[0].required_level, 2);
    asr_map_free(m);
    m = load(ORG "combined_assurance:\n  levels: {Some: 10, Enough: 45.5}\n"
                 "  weights: {L1: 0, EXT: 2.5}\n  factors: {positive: 0.6, partial: 1}\n"
                 "areas:\n  - {id: a, title: A, principle: A, required_assurance: Enough}\n");
    assert_non_null(m);
    assert_int_equal(m->combined.n_levels, 2);
    assert_true(m->combined.levels[1].score == 45.5);
    assert_true(m->combined.weights[0] == 0 && m->combined.weights[1] == 2);
    assert_true(m->combined.weights[3] == 2.5);
    assert_true(m->combined.positive == 0.6 && m->combined.partial == 1);
    assert_true(m->combined.unrated == 0.5); /* not given: the default */
    assert_int_equal(m->areas[0].required_level, 1);
    asr_map_free(m);
}

static void test_combined_assurance_problems(void **state)
{
    (void)state;
    assert_null(load(ORG "combined_assurance:\n"
                         "  levels: {Low: 50, Mid: 40, Top: 120}\n"
                         "  weights: {L2: two, LL3: 1}\n"
                         "  factors: {stale: 1.5, fresh: 1}\n"
                         "  scores: 1\n"
                         "areas:\n  - {id: a, title: A, principle: A, required_assurance: Lo}\n"));
    assert_true(problem(3, 26, "combined_assurance.levels.Mid", "is not above Low's 50"));
    assert_true(
        problem(3, 35, "combined_assurance.levels.Top", "outside the allowed range 0 to 100"));
    assert_true(problem(4, 17, "combined_assurance.weights.L2", "expected a number from 0 to 100"));
    assert_true(problem(4, 22, "combined_assurance.weights.LL3", "did you mean 'L3'?"));
    assert_true(
        problem(5, 20, "combined_assurance.factors.stale", "outside the allowed range 0 to 1"));
    assert_true(problem(5, 25, "combined_assurance.factors", "unknown key 'fresh'"));
    assert_true(problem(6, 3, "combined_assurance", "unknown key 'scores'"));
    assert_true(problem(8, 0, "areas[0].required_assurance",
                        "'Lo' is not a level of combined assurance (Low); did you mean 'Low'?"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal_map_gets_defaults),
        cmocka_unit_test(test_unknown_keys_suggest),
        cmocka_unit_test(test_no_yaml11_guessing_y7),
        cmocka_unit_test(test_wrong_types_and_ranges),
        cmocka_unit_test(test_duplicate_ids_and_dangling_references),
        cmocka_unit_test(test_unit_cycle_reported_once),
        cmocka_unit_test(test_many_items_checked_in_linear_time),
        cmocka_unit_test(test_same_ranks_and_rank_columns),
        cmocka_unit_test(test_source_status_and_scales),
        cmocka_unit_test(test_datasets_read),
        cmocka_unit_test(test_dataset_problems),
        cmocka_unit_test(test_pattern_too_costly),
        cmocka_unit_test(test_combined_assurance_defaults),
        cmocka_unit_test(test_combined_assurance_problems),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_all_problems_in_one_pass),
        cmocka_unit_test(test_include_needs_a_file),
        cmocka_unit_test(test_empty_and_scalar_roots),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
