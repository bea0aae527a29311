/* Unit tests for the store: creation, migrations, refusal of foreign,
 * damaged and newer files without writing to them, locking, and a dataset's
 * table kept or made again to the map's shape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/stat.h>

#include "map.h"
#include "store.h"
#include "test_support.h"

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static asr_status open_db(const char *path, asr_store_mode mode, asr_store **s, asr_diag *d)
{
    asr_diag_init(d, 0);
    return asr_store_open(path, mode, 100, d, s);
}

static void test_creates_and_reopens(void **state)
{
    (void)state;
    const char *dir = tmp_dir();
    char path[128];
    snprintf(path, sizeof path, "%s/new.db", dir);
    asr_diag d;
    asr_store *s;
    assert_int_equal(open_db(path, ASR_STORE_MUST_EXIST, &s, &d), ASR_E_NOINPUT);
    asr_diag_free(&d);
    assert_int_equal(open_db(path, ASR_STORE_CREATE, &s, &d), ASR_OK);
    asr_store_close(s);
    asr_diag_free(&d);
    assert_string_equal(query1(path, "PRAGMA user_version"), "3");
    assert_string_equal(query1(path, "PRAGMA application_id"), "1095979569");
    assert_string_equal(query1(path, "PRAGMA journal_mode"), "wal");
    assert_int_equal(open_db(path, ASR_STORE_MUST_EXIST, &s, &d), ASR_OK);
    asr_store_close(s);
    asr_diag_free(&d);
}

/* Opening must refuse the file and leave every byte as it was. */
static void expect_refused(const char *path, asr_status want, const char *needle)
{
    size_t before_len, after_len;
    char *before = read_all(path, &before_len);
    asr_diag d;
    asr_store *s = NULL;
    assert_int_equal(open_db(path, ASR_STORE_CREATE, &s, &d), want);
    assert_null(s);
    assert_true(d.count >= 1);
    if (!strstr(d.items[0].message, needle))
        fprintf(stderr, "message: %s\n", d.items[0].message);
    assert_non_null(strstr(d.items[0].message, needle));
    asr_diag_free(&d);
    char *after = read_all(path, &after_len);
    assert_int_equal(before_len, after_len);
    assert_memory_equal(before, after, before_len);
    free(before);
    free(after);
    char wal[160];
    snprintf(wal, sizeof wal, "%s-wal", path);
    struct stat sb;
    assert_int_not_equal(stat(wal, &sb), 0); /* no WAL file created either */
}

static void test_refuses_non_sqlite_file(void **state)
{
    (void)state;
    char *path = write_file(tmp_dir(), "notes.db", "Dear diary, this is not a database.\n", 0);
    expect_refused(path, ASR_E_DATA, "not an SQLite database");
    free(path);
}

static void test_refuses_foreign_and_newer_databases(void **state)
{
    (void)state;
    const char *dir = tmp_dir();
    char path[128];
    snprintf(path, sizeof path, "%s/other.db", dir);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(1);", 0, 0, 0),
                     SQLITE_OK);
    sqlite3_close(db);
    expect_refused(path, ASR_E_DATA, "belongs to another program");

    snprintf(path, sizeof path, "%s/newer.db", dir);
    asr_diag d;
    asr_store *s;
    assert_int_equal(open_db(path, ASR_STORE_CREATE, &s, &d), ASR_OK);
    asr_store_close(s);
    asr_diag_free(&d);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db, "PRAGMA journal_mode=DELETE; PRAGMA user_version=99;", 0, 0, 0),
        SQLITE_OK);
    sqlite3_close(db);
    expect_refused(path, ASR_E_DATA, "newer assure");
}

static void test_refuses_damaged_database(void **state)
{
    (void)state;
    const char *dir = tmp_dir();
    char path[128];
    snprintf(path, sizeof path, "%s/damaged.db", dir);
    asr_diag d;
    asr_store *s;
    assert_int_equal(open_db(path, ASR_STORE_CREATE, &s, &d), ASR_OK);
    asr_store_close(s);
    asr_diag_free(&d);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "PRAGMA journal_mode=DELETE; CREATE TABLE big(x);"
                                  "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 "
                                  "FROM n WHERE i<2000) INSERT INTO big SELECT "
                                  "randomblob(100) FROM n;",
                                  0, 0, 0),
                     SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long page = (long)sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    /* Scribble over a whole page in the middle of the file, keeping the header. */
    FILE *f = fopen(path, "r+b");
    fseek(f, page * 5, SEEK_SET);
    for (long i = 0; i < page; i++)
        fputc(0x5a, f);
    fclose(f);
    asr_diag_init(&d, 0);
    assert_true(asr_store_open(path, ASR_STORE_CREATE, 100, &d, &s) == ASR_E_IO);
    assert_non_null(strstr(d.items[0].message, "damaged"));
    asr_diag_free(&d);
}

static void test_locked_database_is_temporary_failure(void **state)
{
    (void)state;
    const char *dir = tmp_dir();
    char path[128];
    snprintf(path, sizeof path, "%s/locked.db", dir);
    asr_diag d;
    asr_store *s;
    assert_int_equal(open_db(path, ASR_STORE_CREATE, &s, &d), ASR_OK);
    asr_diag_free(&d);
    sqlite3 *holder;
    assert_int_equal(sqlite3_open(path, &holder), SQLITE_OK);
    assert_int_equal(sqlite3_exec(holder, "BEGIN IMMEDIATE", 0, 0, 0), SQLITE_OK);
    asr_diag_init(&d, 0);
    assert_int_equal(asr_store_begin(s, &d), ASR_E_TEMP);
    assert_non_null(strstr(d.items[0].message, "locked"));
    asr_diag_free(&d);
    sqlite3_exec(holder, "ROLLBACK", 0, 0, 0);
    sqlite3_close(holder);
    asr_diag_init(&d, 0);
    assert_int_equal(asr_store_begin(s, &d), ASR_OK);
    asr_store_rollback(s);
    asr_store_close(s);
    asr_diag_free(&d);
}

/* Two shapes of one dataset: the second has a column the first lacks. */
static asr_map *dataset_map(int extra_column)
{
    char text[512];
    snprintf(text, sizeof text,
             "assure: 1\n"
             "organisation: {name: Test}\n"
             "areas:\n"
             "  - {id: a1, title: One, principle: A}\n"
             "datasets:\n"
             "  - id: ev\n"
             "    key: id\n"
             "    fields:\n"
             "      - {name: id, type: text}\n"
             "%s",
             extra_column ? "      - {name: note, type: text}\n" : "");
    asr_diag d;
    asr_diag_init(&d, 0);
    asr_map *m = NULL;
    if (asr_map_load_string("m.yaml", text, &d, &m) != ASR_OK) {
        asr_diag_print(&d, stderr);
        fail();
    }
    asr_diag_free(&d);
    return m;
}

static void ensure(asr_store *s, const asr_map *m)
{
    asr_diag d;
    asr_diag_init(&d, 0);
    assert_int_equal(asr_store_ensure_dataset(s, asr_map_dataset(m, "ev"), &d), ASR_OK);
    asr_diag_free(&d);
}

/* A table already of the map's shape is left alone (the schema cookie does
 * not move, so no statement another connection prepared is invalidated); an
 * empty table of another shape that no import recorded is made again to the
 * map's; a table of another shape that holds rows is never dropped. */
static void test_dataset_table_kept_or_made_again(void **state)
{
    (void)state;
    const char *dir = tmp_dir();
    char path[128];
    snprintf(path, sizeof path, "%s/shape.db", dir);
    asr_map *narrow = dataset_map(0), *wide = dataset_map(1);
    asr_diag d;
    asr_store *s;
    assert_int_equal(open_db(path, ASR_STORE_CREATE, &s, &d), ASR_OK);
    asr_diag_free(&d);
    const char *columns = "SELECT count(*) FROM pragma_table_info('ev')";

    ensure(s, narrow);
    assert_string_equal(query1(path, columns), "2"); /* _line, id */
    /* as large as query1's buffer */
    char cookie[1024];
    snprintf(cookie, sizeof cookie, "%s", query1(path, "PRAGMA schema_version"));
    ensure(s, narrow);
    assert_string_equal(query1(path, "PRAGMA schema_version"), cookie);

    ensure(s, wide); /* empty, unrecorded, another shape: made again */
    assert_string_equal(query1(path, columns), "3");
    assert_string_not_equal(query1(path, "PRAGMA schema_version"), cookie);

    asr_diag_init(&d, 0);
    assert_int_equal(
        asr_store_exec(s, "INSERT INTO ev(_line, id, note) VALUES (2, 'r1', 'kept')", "insert", &d),
        ASR_OK);
    asr_diag_free(&d);
    ensure(s, narrow); /* rows in it: kept as it is */
    assert_string_equal(query1(path, columns), "3");
    assert_string_equal(query1(path, "SELECT note FROM ev WHERE id = 'r1'"), "kept");

    asr_store_close(s);
    asr_map_free(narrow);
    asr_map_free(wide);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_creates_and_reopens),
        cmocka_unit_test(test_refuses_non_sqlite_file),
        cmocka_unit_test(test_refuses_foreign_and_newer_databases),
        cmocka_unit_test(test_refuses_damaged_database),
        cmocka_unit_test(test_locked_database_is_temporary_failure),
        cmocka_unit_test(test_dataset_table_kept_or_made_again),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
