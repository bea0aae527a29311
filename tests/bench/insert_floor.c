/* The floor SQLite itself sets for an import: read a CSV (RFC 4180 quoting,
 * no checks at all) and INSERT every row with one prepared statement in one
 * transaction, into a table of the same shape as assure's (STRICT columns,
 * a _line column, a unique key index), with the same pragmas.
 *
 *   cc -O2 -o insert_floor insert_floor.c $(pkg-config --cflags --libs sqlite3)
 *   ./insert_floor actions.csv out.db
 *
 * For the benchmark only: it validates nothing, so it is not an importer. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXF 32

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s CSV DB\n", argv[0]);
        return 64;
    }
    FILE *in = fopen(argv[1], "rb");
    sqlite3 *db;
    if (!in || sqlite3_open(argv[2], &db) != SQLITE_OK)
        return 66;
    const char *ddl =
        "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
        "CREATE TABLE actions(_line INTEGER NOT NULL, action_id TEXT NOT NULL, area TEXT NOT NULL,"
        " priority TEXT NOT NULL, due TEXT NOT NULL, revised TEXT, extensions INTEGER,"
        " cost REAL, verified INTEGER, note TEXT) STRICT;"
        "CREATE UNIQUE INDEX actions_key ON actions(action_id);"
        "BEGIN IMMEDIATE;";
    if (sqlite3_exec(db, ddl, 0, 0, 0) != SQLITE_OK)
        return 70;
    sqlite3_stmt *st;
    sqlite3_prepare_v2(db, "INSERT INTO actions VALUES(?,?,?,?,?,?,?,?,?,?)", -1, &st, 0);
    static char buf[1 << 16];
    char field[MAXF][1024];
    size_t len[MAXF];
    long line = 0;
    while (fgets(buf, sizeof buf, in)) {
        line++;
        if (line == 1)
            continue; /* header */
        size_t nf = 0, o = 0;
        int quoted = 0;
        for (char *p = buf; *p && *p != '\n' && *p != '\r'; p++) {
            if (quoted) {
                if (*p == '"' && p[1] == '"')
                    field[nf][o++] = '"', p++;
                else if (*p == '"')
                    quoted = 0;
                else
                    field[nf][o++] = *p;
            } else if (*p == '"') {
                quoted = 1;
            } else if (*p == ',') {
                len[nf++] = o;
                o = 0;
            } else {
                field[nf][o++] = *p;
            }
        }
        len[nf++] = o;
        sqlite3_bind_int64(st, 1, line);
        for (size_t i = 0; i < 9 && i < nf; i++) {
            if (!len[i])
                sqlite3_bind_null(st, (int)i + 2);
            else if (i == 5 || i == 7) /* extensions, verified */
                sqlite3_bind_int64(st, (int)i + 2, i == 7 ? field[i][0] == 'y' : atol(field[i]));
            else if (i == 6)
                sqlite3_bind_double(st, (int)i + 2, atof(field[i]));
            else
                sqlite3_bind_text(st, (int)i + 2, field[i], (int)len[i], SQLITE_STATIC);
        }
        if (sqlite3_step(st) != SQLITE_DONE) {
            fprintf(stderr, "line %ld: %s\n", line, sqlite3_errmsg(db));
            return 65;
        }
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    if (sqlite3_exec(db, "COMMIT", 0, 0, 0) != SQLITE_OK)
        return 74;
    sqlite3_close(db);
    fclose(in);
    return 0;
}
