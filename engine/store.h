/* store: the SQLite database that holds the map tables, the imported
 * datasets, the import log and the schema version. Only this module includes
 * <sqlite3.h>. Opening checks the file before anything is written: a file
 * that is not SQLite, an SQLite file that belongs to something else, one
 * from a newer assure, or one that fails PRAGMA quick_check is refused and
 * left exactly as it was. Every write transaction is BEGIN IMMEDIATE; a
 * database locked by another process gives ASR_E_TEMP. Holds the record of
 * the last passed integrity check (what it verified), and opens throwaway
 * databases without syncs (ASR_STORE_SCRATCH). Uses map, diag, util. */
#ifndef ASSURE_STORE_H
#define ASSURE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "map.h"

#define ASR_STORE_SCHEMA_VERSION 3
#define ASR_STORE_APPLICATION_ID 0x41535231 /* "ASR1" */

typedef struct asr_store asr_store;

typedef enum {
    ASR_STORE_MUST_EXIST, /* missing file: ASR_E_NOINPUT */
    ASR_STORE_CREATE,     /* create it if missing */
    /* As MUST_EXIST, without PRAGMA quick_check: for a caller that runs
     * asr_store_quick_check itself, beside other work, before it trusts or
     * writes anything. */
    ASR_STORE_EXISTING_UNCHECKED,
    /* Reads only: opened read-only, nothing migrated or written, no
     * quick_check (a caller that needs one runs it). A database of an older
     * schema is read as it is: what it lacks reads as empty. */
    ASR_STORE_READONLY,
    /* As CREATE, for a throwaway database (a rule test's case): nothing is
     * synced (synchronous=OFF), the rollback journal is kept in memory
     * rather than a WAL, and an existing file (this case's, built a moment
     * ago) is not quick-checked. A crash may leave it damaged: never use it
     * for data anyone keeps. */
    ASR_STORE_SCRATCH,
} asr_store_mode;

/* Opens (and if needed creates and migrates) the database at path.
 * busy_ms: how long to wait for another process's lock. */
asr_status asr_store_open(const char *path, asr_store_mode mode, int busy_ms, asr_diag *d,
                          asr_store **out);
void asr_store_close(asr_store *s);

/* PRAGMA quick_check: ASR_OK, or ASR_E_IO ("the database is damaged ...")
 * with the problem in d. asr_store_open runs it unless told not to. */
asr_status asr_store_quick_check(asr_store *s, asr_diag *d);

/* The same check of the file at path in a child process, so it can run
 * beside other work: it reads every page (0.3 s for 160 MB). Start it, do
 * the work, and trust nothing the work produced until finish says ASR_OK.
 * If no process can be started, finish runs the check itself. */
typedef struct {
    int pid; /* 0: not started */
    int fd;
} asr_store_bgcheck;
void asr_store_bgcheck_start(const char *path, asr_store_bgcheck *b);
asr_status asr_store_bgcheck_finish(asr_store_bgcheck *b, const char *path, asr_diag *d);

asr_status asr_store_begin(asr_store *s, asr_diag *d); /* BEGIN IMMEDIATE */
asr_status asr_store_commit(asr_store *s, asr_diag *d);
void asr_store_rollback(asr_store *s);
/* Lets the connection's page cache grow to KIB kibibytes (SQLite's default
 * is 2 MiB): for writes spread over large indexes, such as recording a run's
 * findings by fingerprint. Memory is taken only as pages are read. */
void asr_store_cache_kib(asr_store *s, long kib);

/* Rewrites every map_* table from m. Inside a transaction. */
asr_status asr_store_write_map(asr_store *s, const asr_map *m, asr_diag *d);

/* The stored state of a dataset's table: the declaration it was built from
 * and the content hash and size of the file last imported into it. Returns 0
 * if known, -1 if the dataset was never imported. */
typedef struct {
    char schema_hash[65];
    char sha256[65];
    long long size;
    long long rows;
    char as_of[11]; /* the date of the data ("" when unknown: the import day stands in) */
} asr_dataset_state;
int asr_store_dataset_state(asr_store *s, const char *dataset, asr_dataset_state *out);

/* What every dataset's table holds, as recorded by its last import, in id
 * order. Free with asr_dataset_records_free. */
typedef struct {
    char *id, *file;
    asr_dataset_state st;
    char imported_at[21];
} asr_dataset_record;
asr_status asr_store_list_datasets(asr_store *s, asr_dataset_record **out, size_t *n, asr_diag *d);
void asr_dataset_records_free(asr_dataset_record *r, size_t n);

/* The map hash recorded by the last successful import, or "" if none. */
void asr_store_map_hash(asr_store *s, char out[65]);

/* Creates the dataset's table, empty, if it does not exist yet, so rules can
 * query a dataset nothing has been imported into. A table already of the
 * map's shape is left as it is; an empty one of another shape that no import
 * recorded for this map is made again to the map's; one holding rows is kept. */
asr_status asr_store_ensure_dataset(asr_store *s, const asr_dataset *ds, asr_diag *d);

/* Drops and recreates the dataset's table from its declaration. */
asr_status asr_store_recreate_dataset(asr_store *s, const asr_dataset *ds, asr_diag *d);

/* Records what the dataset's table now holds. */
asr_status asr_store_record_dataset(asr_store *s, const asr_dataset *ds, const char *file,
                                    const asr_dataset_state *st, asr_diag *d);

/* Rows now in the dataset's table; -1 if it has none. */
long long asr_store_count_rows(asr_store *s, const char *dataset);

/* Keeps the rows of the dataset's table, before they are replaced, as a
 * snapshot: copied into history_<id> with a _snapshot column holding tag
 * (the as-of date of that data); only the newest `keep` snapshots stay.
 * The view previous_<id> shows the newest. When the table's columns have
 * changed (its declaration did), earlier snapshots no longer fit and are
 * dropped. Inside the import's transaction. */
asr_status asr_store_snapshot_dataset(asr_store *s, const asr_dataset *ds, const char *tag,
                                      long keep, asr_diag *d);

/* Records the hash of the map the map_* tables were written from. */
asr_status asr_store_set_map_hash(asr_store *s, const char *map_hash, asr_diag *d);

/* Appends a line to the import log (its own statement; no transaction
 * handling). outcome: "imported", "unchanged" or "rejected". */
asr_status asr_store_log_import(asr_store *s, const char *dataset, const char *file, long long size,
                                const char *sha256, long long rows, const char *outcome,
                                const char *message, asr_diag *d);

/* After a large write: copies the WAL into the database and truncates it,
 * so a big import does not leave a WAL file as large as its data. Best
 * effort (a reader may hold it open); returns nothing. */
void asr_store_checkpoint(asr_store *s);

/* An import in progress leaves a mark in the import log, committed before
 * its own transaction begins; the transaction that stores the data removes
 * it (asr_store_import_finished, inside it), and so does a rejection. A
 * mark that outlives its process is an import that was stopped part-way:
 * nothing of it was stored. */
asr_status asr_store_import_started(asr_store *s, const char *datasets, long long *mark,
                                    asr_diag *d);
asr_status asr_store_import_finished(asr_store *s, long long mark, asr_diag *d);
/* Warns, with the database as place, of every import stopped part-way
 * whose process is gone; with record set (the caller may write), logs each
 * as 'interrupted' so it is told once. Returns how many. */
size_t asr_store_interrupted_imports(asr_store *s, int record, asr_diag *d);

/* The schema version of the open database (older ones are read as they are
 * in ASR_STORE_READONLY mode). */
int asr_store_schema_version(asr_store *s);

/* ---- the last verified integrity check ----
 * A check run's PRAGMA quick_check reads every page. When it passes, the
 * check records in assure_meta (key 'verified') what it verified: the main
 * file's identity (device, inode, size, modification time to the
 * nanosecond) and the newest import, recorded run and schema version. A
 * later check whose database still has that identity skips the quick_check
 * (docs/performance.md says what that trusts). */

/* The identity of the database s holds, as the record states it, in out
 * (at least 160 bytes); 0, or -1 when the file cannot be examined. */
int asr_store_verified_identity(asr_store *s, char *out, size_t size);

/* 1 when the database's record of its last verified check equals
 * identity (from asr_store_verified_identity on the same connection). */
int asr_store_verified_matches(asr_store *s, const char *identity);

/* Records identity as verified, on a connection of its own that waits for
 * no lock; the main file is left with the modification time it had when
 * it was verified, so that writing the record does not undo it. Silently
 * does nothing when the database cannot be written (a read-only file or
 * directory: such a database is simply checked every time), is busy, or
 * no longer has that identity. */
void asr_store_record_verified(const char *path, const char *identity);

/* PRAGMA data_version: changes when another connection commits. A reader
 * notes it at the start and compares at the end to know the data did not
 * change under it. */
long long asr_store_data_version(asr_store *s);

/* ---- statements, for the engine's own tables ----
 * Modules that keep tables of their own (run history) keep their SQL and
 * run it here, on this connection: bind, step, read columns, reset. */
typedef struct asr_stmt asr_stmt;

/* NULL with the problem in d if sql does not prepare. */
asr_stmt *asr_stmt_new(asr_store *s, const char *sql, asr_diag *d);
void asr_stmt_free(asr_stmt *st);
void asr_stmt_reset(asr_stmt *st);                             /* and clears the bindings */
void asr_stmt_bind_text(asr_stmt *st, int idx, const char *v); /* NULL binds NULL; copied */
void asr_stmt_bind_textn(asr_stmt *st, int idx, const char *v, size_t len);
void asr_stmt_bind_int(asr_stmt *st, int idx, int64_t v);
/* 1: a row; 0: done; -1: an error, added to d as "doing: message" with its
 * status returned by asr_stmt_status. */
int asr_stmt_step(asr_stmt *st, asr_diag *d, const char *doing);
asr_status asr_stmt_status(const asr_stmt *st);
int asr_stmt_is_null(asr_stmt *st, int col);
int asr_stmt_is_number(asr_stmt *st, int col); /* an INTEGER or REAL value */
int64_t asr_stmt_int(asr_stmt *st, int col);
const char *asr_stmt_text(asr_stmt *st, int col); /* "" for NULL; valid until the next step */

/* Runs one or more statements that return nothing. */
asr_status asr_store_exec(asr_store *s, const char *sql, const char *doing, asr_diag *d);

/* Whether the database has a table (or view) of this name. */
int asr_store_has_table(asr_store *s, const char *name);

/* Row inserter for one dataset table: bind the values of a row, then add it.
 * Columns are numbered as the dataset's fields, from 0, then the precision
 * columns of partial-date fields (asr_dataset_columns, asr_precision_column).
 * Text must stay valid until asr_inserter_add returns. */
typedef struct asr_inserter asr_inserter;
asr_status asr_inserter_new(asr_store *s, const asr_dataset *ds, asr_diag *d, asr_inserter **out);
void asr_inserter_free(asr_inserter *ins);
void asr_ins_null(asr_inserter *ins, size_t col);
void asr_ins_text(asr_inserter *ins, size_t col, const char *text, size_t len);
void asr_ins_text_copy(asr_inserter *ins, size_t col, const char *text, size_t len); /* copies */
void asr_ins_int(asr_inserter *ins, size_t col, int64_t v);
void asr_ins_real(asr_inserter *ins, size_t col, double v);

typedef enum { ASR_INS_OK, ASR_INS_DUPLICATE, ASR_INS_CHECK, ASR_INS_ERROR } asr_ins_result;
/* Adds the bound row, recorded as coming from source line `line`. On a
 * duplicate key, *first_line is the line of the row that holds that key; on
 * a row that breaks one of the dataset's checks, the check's index. */
asr_ins_result asr_inserter_add(asr_inserter *ins, unsigned line, unsigned *first_line);
/* The message of the last ASR_INS_ERROR, with the status it maps to. */
const char *asr_inserter_error(asr_inserter *ins, asr_status *status);

/* ---- read-only access for rules ----
 * A separate connection opened read-only, with an authorizer that allows
 * only reading (no writes, ATTACH, PRAGMA, transactions or extension
 * loading), lowered limits, and a progress handler that stops a query once
 * interrupt(ud) returns non-zero. */
typedef struct asr_ro asr_ro;
typedef struct asr_query asr_query;

typedef enum { ASR_VNULL, ASR_VINT, ASR_VREAL, ASR_VTEXT } asr_vtype;

/* Opens path for reading, with temporary tables and sorts in memory, and
 * reads it once: on return every file SQLite needs for reading (the -wal
 * and -shm of a WAL database) is open, so a caller may then forbid opening
 * files (confine). On failure returns NULL and writes a message. */
asr_ro *asr_ro_open(const char *path, int (*interrupt)(void *ud), void *ud, char *err,
                    size_t errsize);
/* Calls fn(ud, table) for every table a statement prepared from now on reads
 * (rule coverage). */
void asr_ro_on_read(asr_ro *ro, void (*fn)(void *ud, const char *table), void *ud);
/* Finalizes every statement still open, then closes. */
void asr_ro_close(asr_ro *ro);
/* Rows returned by every query so far. */
long long asr_ro_rows_read(const asr_ro *ro);

/* Prepares one statement (trailing SQL is refused). Returns NULL with *err
 * set (valid until the next call on ro). */
asr_query *asr_query_prepare(asr_ro *ro, const char *sql, size_t len, const char **err);
int asr_query_param_count(asr_query *q);
void asr_query_bind_null(asr_query *q, int idx);
void asr_query_bind_int(asr_query *q, int idx, int64_t v);
void asr_query_bind_real(asr_query *q, int idx, double v);
void asr_query_bind_text(asr_query *q, int idx, const char *s, size_t len); /* copied */
/* 1: a row; 0: done; -1: error (*err set; *interrupted non-zero if the
 * progress handler stopped it). */
int asr_query_step(asr_query *q, const char **err, int *interrupted);
int asr_query_columns(asr_query *q);
const char *asr_query_column_name(asr_query *q, int i);
asr_vtype asr_query_column_type(asr_query *q, int i);
int64_t asr_query_column_int(asr_query *q, int i);
double asr_query_column_real(asr_query *q, int i);
const char *asr_query_column_text(asr_query *q, int i, size_t *len);
void asr_query_finalize(asr_query *q);

/* For a process that only imports: turns off SQLite's memory statistics,
 * which take a lock on every allocation. Call before anything else touches
 * SQLite. (Rule workers need the statistics for their heap limit.) */
void asr_store_bulk_mode(void);

/* Caps SQLite's heap for the whole process (used in rule workers). */
void asr_store_heap_limit(int64_t bytes);

/* The SQLite library version, for messages and run headers. */
const char *asr_store_sqlite_version(void);

#endif
