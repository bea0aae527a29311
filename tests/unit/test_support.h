/* Helpers shared by the store and import unit tests: temporary files and
 * direct SQLite queries to check what was stored. */
#ifndef ASSURE_TEST_SUPPORT_H
#define ASSURE_TEST_SUPPORT_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A fresh temporary directory; returns a static path. */
static inline const char *tmp_dir(void)
{
    static char dir[64];
    snprintf(dir, sizeof dir, "/tmp/assure-test-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    return dir;
}

/* Writes len bytes (or strlen when len is 0) to dir/name; returns the path. */
static inline char *write_file(const char *dir, const char *name, const char *text, size_t len)
{
    char *path = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fwrite(text, 1, len ? len : strlen(text), f);
    fclose(f);
    return path;
}

/* First column of the first row of sql, as text in a static buffer ("" for
 * NULL, "<error>" on failure). */
static inline const char *query1(const char *db_path, const char *sql)
{
    static char out[1024];
    sqlite3 *db;
    sqlite3_stmt *st;
    snprintf(out, sizeof out, "<error>");
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) {
            const unsigned char *t = sqlite3_column_text(st, 0);
            snprintf(out, sizeof out, "%s", t ? (const char *)t : "");
        } else {
            snprintf(out, sizeof out, "<no row>");
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    return out;
}

/* The path of a file under fixtures/ (ASSURE_FIXTURES is set by ctest). */
static inline char *fixture(const char *rel)
{
    const char *root = getenv("ASSURE_FIXTURES");
    if (!root)
        root = "fixtures";
    char *p = malloc(strlen(root) + strlen(rel) + 2);
    sprintf(p, "%s/%s", root, rel);
    return p;
}

#endif
