/* Unit tests for the .xlsx reader. The workbooks under fixtures/test/xlsx/
 * are built by tests/unit/make_xlsx.py; the big ones (200k rows, a huge
 * attribute) are built here with libzip into a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "test_support.h"
#include "util.h"
#include "xlsx.h"

static char *xfix(const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "test/xlsx/%s", name);
    return fixture(rel);
}

static asr_xlsx *open_ok(const char *path, const char *sheet, const asr_xlsx_limits *lim)
{
    asr_diag d;
    asr_diag_init(&d, 0);
    asr_xlsx *x = NULL;
    asr_status st = asr_xlsx_open(path, sheet, lim, NULL, &d, &x);
    if (st != ASR_OK)
        asr_diag_print(&d, stderr);
    assert_int_equal(st, ASR_OK);
    assert_non_null(x);
    assert_int_equal(d.errors, 0);
    asr_diag_free(&d);
    return x;
}

static void expect_row(asr_xlsx *x, unsigned row, size_t n, const char *const *want)
{
    asr_diag d;
    asr_diag_init(&d, 0);
    asr_xlsx_record r;
    int got = asr_xlsx_next(x, &r, &d);
    if (got != 1)
        asr_diag_print(&d, stderr);
    assert_int_equal(got, 1);
    assert_int_equal(r.row, row);
    assert_int_equal(r.n, n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(r.fields[i], want[i]);
        assert_int_equal(r.lens[i], strlen(want[i]));
    }
    asr_diag_free(&d);
}

static void expect_end(asr_xlsx *x)
{
    asr_diag d;
    asr_diag_init(&d, 0);
    asr_xlsx_record r;
    assert_int_equal(asr_xlsx_next(x, &r, &d), 0);
    assert_int_equal(asr_xlsx_next(x, &r, &d), 0);
    assert_int_equal(d.errors, 0);
    asr_diag_free(&d);
}

/* Opening fails with status st and exactly one error at the workbook's path
 * whose message holds want. */
static void expect_open_fails(const char *name, const char *sheet, const asr_xlsx_limits *lim,
                              asr_status st, const char *want)
{
    char *path = xfix(name);
    asr_diag d;
    asr_diag_init(&d, 0);
    asr_xlsx *x = (asr_xlsx *)1;
    assert_int_equal(asr_xlsx_open(path, sheet, lim, NULL, &d, &x), st);
    assert_null(x);
    assert_int_equal(d.errors, 1);
    assert_string_equal(d.items[0].file, path);
    if (!strstr(d.items[0].message, want))
        fail_msg("message '%s' lacks '%s'", d.items[0].message, want);
    asr_diag_free(&d);
    free(path);
}

/* Opens, reads rows until the sheet fails: exactly one error at file (the
 * workbook's path when NULL) whose message holds want. Returns the rows read. */
static unsigned expect_read_fails(const char *path, const asr_xlsx_limits *lim, const char *file,
                                  const char *want)
{
    asr_xlsx *x = open_ok(path, NULL, lim);
    asr_diag d;
    asr_diag_init(&d, 0);
    asr_xlsx_record r;
    int got;
    unsigned rows = 0;
    while ((got = asr_xlsx_next(x, &r, &d)) == 1)
        rows++;
    assert_int_equal(got, -1);
    assert_int_equal(asr_xlsx_next(x, &r, &d), -1); /* stays failed, says nothing more */
    assert_int_equal(d.errors, 1);
    assert_string_equal(d.items[0].file, file ? file : path);
    if (!strstr(d.items[0].message, want))
        fail_msg("message '%s' lacks '%s'", d.items[0].message, want);
    asr_diag_free(&d);
    asr_xlsx_close(x);
    return rows;
}

static unsigned fixture_read_fails(const char *name, const asr_xlsx_limits *lim, const char *place,
                                   const char *want)
{
    char *path = xfix(name);
    char file[512];
    if (place)
        snprintf(file, sizeof file, "%s:%s", path, place);
    unsigned rows = expect_read_fails(path, lim, place ? file : NULL, want);
    free(path);
    return rows;
}

/* ---- values ---- */

static void test_every_kind_of_value(void **state)
{
    (void)state;
    char *path = xfix("kinds.xlsx");
    asr_xlsx *x = open_ok(path, "Actions", NULL);
    assert_string_equal(asr_xlsx_sheet(x), "Actions");
    /* the header is on row 3: rows 1-2 are not in the file */
    expect_row(x, 3, 6, (const char *const[]){"id", "title", "amount", "due", "done", "note"});
    /* inline string, rich-text shared string, integer, built-in date 14,
     * boolean, formula string result */
    expect_row(x, 4, 6,
               (const char *const[]){"A-1", "Fix the fence", "1500", "2023-03-15", "true", "ok"});
    /* gaps are "", a fraction, false, an error as written */
    expect_row(x, 5, 6, (const char *const[]){"A-2", "", "1500.5", "", "false", "#N/A"});
    /* row 6 is not in the file; rich inline runs with preserved spaces, a
     * negative integer, a custom date-time format, #REF!, a preserved string */
    expect_row(x, 7, 6,
               (const char *const[]){"A-3", "  two runs", "-3", "2023-03-15T18:00:00", "#REF!",
                                     "  padded  "});
    /* cells without r= (placed by position); numbers in their shortest form,
     * no exponent for ordinary magnitudes */
    expect_row(x, 8, 12,
               (const char *const[]){"A-4", "0.1", "1500", "0.001", "0.1", "0", "1e+21",
                                     "123456789012345680", "2.5e-8", "100000000000000000000",
                                     "0.30000000000000004", "7.5"});
    /* h:mm, 0.0 "days", [Red]0.00, h:mm (built-in 20), [h]:mm:ss and 0\d are
     * not dates; DD/MM/YYYY, m/d/yy h:mm (22), mmmm d yyyy and mmm are; text
     * in a date style stays text */
    expect_row(x, 9, 11,
               (const char *const[]){"0.5", "2.5", "3", "2023-03-15", "0.25", "2023-03-15T12:00:00",
                                     "2023-03-15", "2023-03-15", "1.5", "7", "Summary"});
    /* _x000D_ decoded, the phonetic reading left out, entities and character
     * references decoded, _x005F_ (an escaped underscore), an empty string */
    expect_row(x, 10, 5,
               (const char *const[]){"line one\r\nline two", "\xe6\x9d\xb1\xe4\xba\xac",
                                     "a <b> & \xc3\xa9\xe2\x98\xba _x0041_", "",
                                     "tab\tx & \xf0\x9f\x98\x80"});
    /* row 11 holds only empty cells: skipped; row 12's styled empty cells
     * after C12 do not lengthen it; the blank rows 13-15 are not returned */
    expect_row(x, 12, 3, (const char *const[]){"A-5", "", "42"});
    expect_end(x);
    asr_xlsx_close(x);
    free(path);
}

static void test_first_sheet_and_sheet_by_name(void **state)
{
    (void)state;
    char *path = xfix("kinds.xlsx");
    asr_xlsx *x = open_ok(path, NULL, NULL);
    assert_string_equal(asr_xlsx_sheet(x), "Summary");
    expect_row(x, 1, 1, (const char *const[]){"Summary"});
    expect_end(x);
    asr_xlsx_close(x);

    /* by name, ignoring case as Excel does; a relative target with ./ and .. */
    x = open_ok(path, "bob's q1", NULL);
    assert_string_equal(asr_xlsx_sheet(x), "Bob's Q1");
    expect_row(x, 2, 3, (const char *const[]){"", "", "1"});
    expect_end(x);
    char place[256], want[512];
    asr_xlsx_place(x, 2, 2, place, sizeof place);
    snprintf(want, sizeof want, "%s:'Bob''s Q1'!C2", path);
    assert_string_equal(place, want);
    asr_xlsx_close(x);
    free(path);
}

static void test_place(void **state)
{
    (void)state;
    char *path = xfix("kinds.xlsx");
    asr_xlsx *x = open_ok(path, "Actions", NULL);
    char place[256], want[512];
    asr_xlsx_place(x, 7, 2, place, sizeof place);
    snprintf(want, sizeof want, "%s:Actions!C7", path);
    assert_string_equal(place, want);
    asr_xlsx_place(x, 1, 26, place, sizeof place);
    snprintf(want, sizeof want, "%s:Actions!AA1", path);
    assert_string_equal(place, want);
    asr_xlsx_place(x, 1048576, 16383, place, sizeof place);
    snprintf(want, sizeof want, "%s:Actions!XFD1048576", path);
    assert_string_equal(place, want);
    asr_xlsx_place(x, 7, 2, place, 8); /* truncated, terminated */
    assert_int_equal(strlen(place), 7);
    asr_xlsx_close(x);
    free(path);
}

static void test_wrong_sheet_lists_the_sheets(void **state)
{
    (void)state;
    expect_open_fails("kinds.xlsx", "Acions", NULL, ASR_E_DATA,
                      "no sheet named 'Acions' (did you mean 'Actions'?); the workbook has 4: "
                      "'Summary', 'Actions', 'Bob's Q1', 'Chart1'");
    expect_open_fails("kinds.xlsx", "Chart1", NULL, ASR_E_DATA,
                      "sheet 'Chart1' is a chart sheet, not a worksheet");
}

static void test_dates_1900(void **state)
{
    (void)state;
    char *path = xfix("dates1900.xlsx");
    asr_xlsx *x = open_ok(path, NULL, NULL);
    static const char *const want[] = {
        "1900-01-01",          /* 1 */
        "1900-02-28",          /* 59 */
        "1900-02-29",          /* 60: Excel's phantom day, rejected by a date check */
        "1900-03-01",          /* 61: one day less than a plain count */
        "2023-03-15",          /* 45000 */
        "2023-03-15T06:00:00", /* 45000.25 */
        "1900-01-00T12:00:00", /* 0.5: a time without a day, as Excel shows it */
        "-1",                  /* no date: the number */
        "9999-12-31",          /* 2958465, Excel's last day */
        "2958466",             /* past it: the number */
        "2023-03-16",          /* 45000.99999999 rounds to midnight next day */
        "2023-03-15",          /* 45000.0000001: under half a second, no time */
    };
    for (unsigned i = 0; i < sizeof want / sizeof *want; i++)
        expect_row(x, i + 1, 1, (const char *const[]){want[i]});
    expect_end(x);
    asr_xlsx_close(x);
    free(path);
}

static void test_dates_1904(void **state)
{
    (void)state;
    char *path = xfix("dates1904.xlsx");
    asr_xlsx *x = open_ok(path, NULL, NULL);
    static const char *const want[] = {"1904-01-01", "1904-01-02", "1904-02-29",
                                       "1904-03-01", "2023-03-15", "2023-03-15T12:00:00"};
    for (unsigned i = 0; i < sizeof want / sizeof *want; i++)
        expect_row(x, i + 1, 1, (const char *const[]){want[i]});
    expect_end(x);
    asr_xlsx_close(x);
    free(path);
}

static void test_libreoffice_conventions(void **state)
{
    (void)state;
    char *path = xfix("libreoffice.xlsx");
    asr_xlsx *x = open_ok(path, NULL, NULL);
    expect_row(x, 1, 5, (const char *const[]){"Ref", "Owner", "Due", "Cost", "Open"});
    expect_row(x, 2, 5,
               (const char *const[]){"R-01", "Ana Lopez", "2024-01-01", "1234.56", "true"});
    expect_row(x, 3, 5, (const char *const[]){"R-02", "Ben Ode", "2024-02-01", "99", "false"});
    expect_end(x);
    asr_xlsx_close(x);
    free(path);
}

static void test_prefixed_elements(void **state)
{
    (void)state;
    char *path = xfix("prefixed.xlsx");
    asr_xlsx *x = open_ok(path, "Data", NULL);
    expect_row(x, 1, 2, (const char *const[]){"name", "2"});
    expect_end(x);
    asr_xlsx_close(x);
    free(path);
}

static void test_hash_is_the_files(void **state)
{
    (void)state;
    char *path = xfix("kinds.xlsx");
    asr_sha256 h, want;
    asr_sha256_init(&h);
    asr_sha256_init(&want);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char buf[4096];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        asr_sha256_update(&want, buf, got);
    fclose(f);
    asr_diag d;
    asr_diag_init(&d, 0);
    asr_xlsx *x;
    assert_int_equal(asr_xlsx_open(path, "Actions", NULL, &h, &d, &x), ASR_OK);
    expect_row(x, 3, 6, (const char *const[]){"id", "title", "amount", "due", "done", "note"});
    char a[65], b[65];
    asr_sha256_final_hex(&h, a);
    asr_sha256_final_hex(&want, b);
    assert_string_equal(a, b);
    assert_true(asr_xlsx_bytes(x) > 0);
    asr_xlsx_close(x);
    asr_diag_free(&d);
    free(path);
}

/* ---- files that are not workbooks ---- */

static void test_not_workbooks(void **state)
{
    (void)state;
    expect_open_fails("notzip.xlsx", NULL, NULL, ASR_E_DATA, "not a zip archive");
    expect_open_fails("nobook.xlsx", NULL, NULL, ASR_E_DATA,
                      "not an .xlsx workbook: the zip archive has no xl/workbook.xml");
    expect_open_fails("cfb.xlsx", NULL, NULL, ASR_E_DATA,
                      "an OLE compound file: a password-protected (encrypted) workbook, or an old "
                      ".xls");
    expect_open_fails("encrypted.xlsx", NULL, NULL, ASR_E_DATA,
                      "xl/worksheets/sheet1.xml is encrypted");
    expect_open_fails("missing_sheet.xlsx", NULL, NULL, ASR_E_DATA,
                      "sheet 'Sheet1' is xl/worksheets/sheet9.xml, which the archive does not "
                      "have");
    expect_open_fails("escape.xlsx", NULL, NULL, ASR_E_DATA, "is outside the archive");
    expect_open_fails("no-such-file.xlsx", NULL, NULL, ASR_E_NOINPUT, "cannot open");

    const char *dir = tmp_dir();
    char *empty = write_file(dir, "empty.xlsx", "", 0);
    asr_diag d;
    asr_diag_init(&d, 0);
    asr_xlsx *x;
    assert_int_equal(asr_xlsx_open(empty, NULL, NULL, NULL, &d, &x), ASR_E_DATA);
    assert_non_null(strstr(d.items[0].message, "empty"));
    asr_diag_free(&d);
    asr_diag_init(&d, 0);
    assert_int_equal(asr_xlsx_open(dir, NULL, NULL, NULL, &d, &x), ASR_E_NOINPUT);
    assert_non_null(strstr(d.items[0].message, "not a regular file"));
    asr_diag_free(&d);
    remove(empty);
    rmdir(dir);
    free(empty);
}

/* ---- hostile workbooks ---- */

static void test_doctype_refused_in_any_part(void **state)
{
    (void)state;
    /* billion laughs in the sheet: refused at the DOCTYPE, nothing expanded */
    char *path = xfix("doctype.xlsx");
    expect_read_fails(path, NULL, NULL, "xl/worksheets/sheet1.xml line 2: DOCTYPE not allowed");
    free(path);
    /* an external entity in the shared strings, a bare DOCTYPE in the workbook */
    expect_open_fails("xxe.xlsx", NULL, NULL, ASR_E_DATA,
                      "xl/sharedStrings.xml line 2: DOCTYPE not allowed");
    expect_open_fails("doctype_workbook.xlsx", NULL, NULL, ASR_E_DATA,
                      "xl/workbook.xml line 2: DOCTYPE not allowed");
}

static void test_zip_bomb(void **state)
{
    (void)state;
    asr_xlsx_limits lim = {.max_bytes = 1 << 20};
    /* the sheet declares 8 MiB: refused before a byte of it is read */
    expect_open_fails("bomb.xlsx", NULL, &lim, ASR_E_DATA,
                      "xl/worksheets/sheet1.xml declares 8388877 bytes uncompressed, more than "
                      "the");
    /* it declares 1000 bytes and holds 8 MiB: what is read is counted */
    char *path = xfix("bomb_lie.xlsx");
    unsigned rows = expect_read_fails(path, &lim, NULL,
                                      "xl/worksheets/sheet1.xml: the workbook holds more than "
                                      "1048576 bytes uncompressed (the limit): refused as a "
                                      "possible zip bomb");
    assert_int_equal(rows, 1);
    /* under the default cap the same file reads to its end */
    asr_xlsx *x = open_ok(path, NULL, NULL);
    expect_row(x, 1, 1, (const char *const[]){"x"});
    expect_row(x, 2, 1, (const char *const[]){"2"});
    expect_end(x);
    assert_true(asr_xlsx_bytes(x) > (8u << 20));
    asr_xlsx_close(x);
    free(path);
}

static void test_string_table_caps(void **state)
{
    (void)state;
    asr_xlsx_limits lim = {.max_strings_bytes = 16 << 10};
    expect_open_fails("manystrings.xlsx", NULL, &lim, ASR_E_DATA,
                      "xl/sharedStrings.xml: the shared-string table takes more than 16384 bytes "
                      "(the limit)");
    asr_xlsx_limits few = {.max_strings = 100};
    expect_open_fails("manystrings.xlsx", NULL, &few, ASR_E_DATA,
                      "xl/sharedStrings.xml: more than 100 shared strings (the limit)");
    asr_xlsx_limits cell = {.max_cell = 1000};
    expect_open_fails("bigstring.xlsx", NULL, &cell, ASR_E_DATA,
                      "xl/sharedStrings.xml: shared string 0 is longer than 1000 bytes");
    char *path = xfix("manystrings.xlsx");
    asr_xlsx *x = open_ok(path, NULL, NULL);
    expect_row(x, 1, 1, (const char *const[]){"string number 0"});
    asr_xlsx_close(x);
    free(path);
}

static void test_cell_caps_and_columns(void **state)
{
    (void)state;
    asr_xlsx_limits lim = {.max_cell = 1000};
    assert_int_equal(fixture_read_fails("bigcell.xlsx", &lim, "Sheet1!B2",
                                        "the cell holds more than 1000 bytes (the limit)"),
                     1);
    /* XFD is the last column: row 1 reads; XFE2 is refused */
    assert_int_equal(fixture_read_fails("wide.xlsx", NULL, NULL,
                                        "sheet 'Sheet1': cell XFE2 is beyond column XFD"),
                     1);
    fixture_read_fails("wide_norefs.xlsx", NULL, NULL,
                       "sheet 'Sheet1': row 1 has more than 16384 columns");
    fixture_read_fails("deep.xlsx", NULL, NULL,
                       "xl/worksheets/sheet1.xml line 2: XML nested deeper than 64 elements");
}

static void test_malformed_sheets(void **state)
{
    (void)state;
    fixture_read_fails("malformed.xlsx", NULL, NULL,
                       "xl/worksheets/sheet1.xml line 6 column 17: mismatched tag");
    assert_int_equal(fixture_read_fails("badindex.xlsx", NULL, "Sheet1!A2",
                                        "refers to shared string 7, but the workbook has 1"),
                     1);
    fixture_read_fails("notnumber.xlsx", NULL, "Sheet1!B2", "'12abc' is not a number");
    assert_int_equal(fixture_read_fails("unordered.xlsx", NULL, NULL,
                                        "row 2 comes after row 3 (rows out of order or repeated)"),
                     2);
    fixture_read_fails("repeated.xlsx", NULL, "Sheet1!B1",
                       "this cell comes after column C in its row");
}

/* ---- workbooks built here ---- */

/* Writes a one-sheet workbook (styles: s=1 is a date; strings: "even",
 * "odd") with the given sheet XML; frees nothing it is given. */
static char *build_book(const char *dir, const char *name, const char *sheet, size_t len)
{
    static const char wb[] =
        "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" "
        "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
        "<sheets><sheet name=\"Big\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
    static const char rels[] =
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
        "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/"
        "relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>";
    static const char styles[] =
        "<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
        "<cellXfs count=\"2\"><xf numFmtId=\"0\"/><xf numFmtId=\"14\"/></cellXfs></styleSheet>";
    static const char sst[] =
        "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">"
        "<si><t>even</t></si><si><t>odd</t></si></sst>";
    char *path = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(path, "%s/%s", dir, name);
    int err;
    zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
    assert_non_null(za);
    const struct {
        const char *name, *data;
        size_t len;
    } parts[] = {{"xl/workbook.xml", wb, sizeof wb - 1},
                 {"xl/_rels/workbook.xml.rels", rels, sizeof rels - 1},
                 {"xl/styles.xml", styles, sizeof styles - 1},
                 {"xl/sharedStrings.xml", sst, sizeof sst - 1},
                 {"xl/worksheets/sheet1.xml", sheet, len}};
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
        zip_source_t *src = zip_source_buffer(za, parts[i].data, parts[i].len, 0);
        assert_non_null(src);
        zip_int64_t idx = zip_file_add(za, parts[i].name, src, ZIP_FL_ENC_UTF_8);
        assert_true(idx >= 0);
        zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_DEFLATE, 1);
    }
    assert_int_equal(zip_close(za), 0);
    return path;
}

static void test_200k_rows(void **state)
{
    (void)state;
    enum { ROWS = 200000 };
    asr_buf s = {0};
    asr_buf_adds(&s, "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/"
                     "main\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>id</t>"
                     "</is></c><c r=\"B1\" t=\"inlineStr\"><is><t>kind</t></is></c>"
                     "<c r=\"C1\" t=\"inlineStr\"><is><t>due</t></is></c></row>");
    for (unsigned i = 2; i <= ROWS + 1; i++)
        asr_buf_addf(&s,
                     "<row r=\"%u\"><c r=\"A%u\"><v>%u.5</v></c><c r=\"B%u\" t=\"s\"><v>%u</v>"
                     "</c><c r=\"C%u\" s=\"1\"><v>%u</v></c></row>",
                     i, i, i, i, i % 2, i, 45000 + i % 365);
    asr_buf_adds(&s, "</sheetData></worksheet>");
    const char *dir = tmp_dir();
    char *path = build_book(dir, "big.xlsx", s.data, s.len);
    asr_buf_free(&s);

    asr_xlsx *x = open_ok(path, "Big", NULL);
    asr_diag d;
    asr_diag_init(&d, 0);
    asr_xlsx_record r;
    assert_int_equal(asr_xlsx_next(x, &r, &d), 1);
    assert_string_equal(r.fields[2], "due");
    unsigned n = 0;
    char want[32];
    while (asr_xlsx_next(x, &r, &d) == 1) {
        unsigned i = n + 2;
        assert_int_equal(r.row, i);
        assert_int_equal(r.n, 3);
        snprintf(want, sizeof want, "%u.5", i);
        assert_string_equal(r.fields[0], want);
        assert_string_equal(r.fields[1], i % 2 ? "odd" : "even");
        assert_int_equal(r.lens[2], 10);
        n++;
    }
    assert_int_equal(d.errors, 0);
    assert_int_equal(n, ROWS);
    asr_diag_free(&d);
    asr_xlsx_close(x);
    remove(path);
    rmdir(dir);
    free(path);
}

static void test_parser_memory_capped(void **state)
{
    (void)state;
    /* one attribute of 20 MiB: expat would hold it all */
    size_t big = (size_t)20 << 20;
    asr_buf s = {0};
    asr_buf_adds(&s, "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/"
                     "main\"><sheetData><row r=\"1\"><c r=\"A1\"><v>1</v></c></row>"
                     "<row r=\"2\" x=\"");
    asr_buf_reserve(&s, big);
    memset(s.data + s.len, 'A', big);
    s.len += big;
    asr_buf_adds(&s, "\"/></sheetData></worksheet>");
    const char *dir = tmp_dir();
    char *path = build_book(dir, "tag.xlsx", s.data, s.len);
    asr_buf_free(&s);
    assert_int_equal(expect_read_fails(path, NULL, NULL,
                                       "parsing would take more than 16 MiB (a tag that long, or "
                                       "too many distinct names): refused"),
                     1);
    remove(path);
    free(path);

    /* a million distinct element names: expat keeps each one */
    asr_buf_adds(&s, "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/"
                     "main\"><sheetData><row r=\"1\"><c r=\"A1\"><v>1</v></c></row></sheetData>"
                     "<extLst>");
    for (unsigned i = 0; i < 1000000; i++)
        asr_buf_addf(&s, "<n%u/>", i);
    asr_buf_adds(&s, "</extLst></worksheet>");
    path = build_book(dir, "names.xlsx", s.data, s.len);
    asr_buf_free(&s);
    expect_read_fails(path, NULL, NULL, "parsing would take more than 16 MiB");
    remove(path);
    rmdir(dir);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind_of_value),
        cmocka_unit_test(test_first_sheet_and_sheet_by_name),
        cmocka_unit_test(test_place),
        cmocka_unit_test(test_wrong_sheet_lists_the_sheets),
        cmocka_unit_test(test_dates_1900),
        cmocka_unit_test(test_dates_1904),
        cmocka_unit_test(test_libreoffice_conventions),
        cmocka_unit_test(test_prefixed_elements),
        cmocka_unit_test(test_hash_is_the_files),
        cmocka_unit_test(test_not_workbooks),
        cmocka_unit_test(test_doctype_refused_in_any_part),
        cmocka_unit_test(test_zip_bomb),
        cmocka_unit_test(test_string_table_caps),
        cmocka_unit_test(test_cell_caps_and_columns),
        cmocka_unit_test(test_malformed_sheets),
        cmocka_unit_test(test_200k_rows),
        cmocka_unit_test(test_parser_memory_capped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
