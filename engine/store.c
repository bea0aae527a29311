#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

struct asr_store {
    sqlite3 *db;
    char *path;
    /* run()'s statements, prepared once per connection (their SQL is a
     * literal: the pointer is the key). Writing a map prepared one
     * statement per row of it; half an import of a rule test's case. */
    struct {
        const char *sql;
        sqlite3_stmt *st;
    } cache[32];
    int n_cache;
};

struct asr_inserter {
    asr_store *store;
    sqlite3_stmt *insert;
    sqlite3_stmt *lookup; /* finds the line of an existing key; NULL without a key */
    int *key_param;       /* per column: its parameter in lookup, or 0 */
    size_t n_cols;
    char *error;
    asr_status error_status;
};

const char *asr_store_sqlite_version(void)
{
    return sqlite3_libversion();
}

/* What an SQLite result code means for the user, as an outcome. */
static asr_status status_of(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return ASR_E_TEMP;
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return ASR_E_IO;
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
        return ASR_E_CANTCREATE;
    default:
        return ASR_E_INTERNAL;
    }
}

static asr_status db_error(asr_store *s, asr_diag *d, int rc, const char *doing)
{
    asr_loc l = {s->path, 0, 0};
    asr_status st = status_of(rc);
    if (st == ASR_E_TEMP)
        asr_error(d, &l, NULL, "database is locked by another process while %s; try again later",
                  doing);
    else
        asr_error(d, &l, NULL, "%s: %s", doing, sqlite3_errmsg(s->db));
    return st;
}

static asr_status exec(asr_store *s, asr_diag *d, const char *sql, const char *doing)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? ASR_OK : db_error(s, d, rc, doing);
}

/* Runs a query returning one integer; -1 on error. */
static long long query_int(asr_store *s, const char *sql, int *rc_out)
{
    sqlite3_stmt *st = NULL;
    long long v = -1;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            v = sqlite3_column_int64(st, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(st);
    if (rc_out)
        *rc_out = rc;
    return v;
}

/* ---- schema and migrations ---- */

/* Each migration takes the schema from version i to i+1. Never edit one that
 * has shipped; add another. */
static const char *const migrations[] = {
    /* 0 -> 1 */
    "CREATE TABLE assure_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;"
    "CREATE TABLE assure_datasets("
    "  id TEXT PRIMARY KEY, schema_hash TEXT NOT NULL, file TEXT NOT NULL,"
    "  size INTEGER NOT NULL, sha256 TEXT NOT NULL, rows INTEGER NOT NULL,"
    "  imported_at TEXT NOT NULL) STRICT;"
    "CREATE TABLE assure_imports("
    "  id INTEGER PRIMARY KEY, dataset TEXT NOT NULL, file TEXT NOT NULL, size INTEGER,"
    "  sha256 TEXT, rows INTEGER, at TEXT NOT NULL, outcome TEXT NOT NULL, message TEXT) STRICT;"
    "CREATE TABLE map_organisation(name TEXT, fiscal_year_start INTEGER) STRICT;"
    "CREATE TABLE map_lines(id TEXT PRIMARY KEY, name TEXT, independence INTEGER,"
    "  position INTEGER) STRICT;"
    "CREATE TABLE map_principles(id TEXT PRIMARY KEY, title TEXT, position INTEGER) STRICT;"
    "CREATE TABLE map_units(id TEXT PRIMARY KEY, name TEXT, kind TEXT, parent TEXT,"
    "  position INTEGER) STRICT;"
    "CREATE TABLE map_areas(id TEXT PRIMARY KEY, title TEXT, description TEXT,"
    "  principle TEXT, unit TEXT, owner TEXT, inherent INTEGER, residual INTEGER,"
    "  target INTEGER, position INTEGER) STRICT;"
    "CREATE TABLE map_area_lines(area TEXT, line TEXT, required INTEGER,"
    "  max_age_days INTEGER, PRIMARY KEY(area, line)) STRICT;"
    "CREATE TABLE map_sources(id TEXT PRIMARY KEY, title TEXT, line TEXT, provider TEXT,"
    "  kind TEXT, owner TEXT, frequency TEXT, status TEXT, scale TEXT, position INTEGER) STRICT;"
    "CREATE TABLE map_source_areas(source TEXT, area TEXT, PRIMARY KEY(source, area)) STRICT;"
    "CREATE TABLE map_scales(id TEXT PRIMARY KEY, title TEXT) STRICT;"
    "CREATE TABLE map_scale_labels(scale TEXT, label TEXT, rank INTEGER,"
    "  PRIMARY KEY(scale, label)) STRICT;"
    "CREATE TABLE map_params(rule TEXT, name TEXT, value TEXT, type TEXT,"
    "  PRIMARY KEY(rule, name)) STRICT;"
    "CREATE TABLE map_datasets(id TEXT PRIMARY KEY, title TEXT, description TEXT,"
    "  key TEXT) STRICT;"
    "CREATE TABLE map_fields(dataset TEXT, name TEXT, header TEXT, type TEXT,"
    "  required INTEGER, ref TEXT, format TEXT, pattern TEXT, description TEXT,"
    "  position INTEGER, PRIMARY KEY(dataset, name)) STRICT;"
    "CREATE TABLE map_enum_values(dataset TEXT, field TEXT, value TEXT, rank INTEGER,"
    "  PRIMARY KEY(dataset, field, value)) STRICT;",
    /* 1 -> 2: run history (history.c), and the as-of date of each dataset's data */
    "ALTER TABLE assure_datasets ADD COLUMN as_of TEXT;"
    "CREATE TABLE assure_runs(id INTEGER PRIMARY KEY, started_at TEXT NOT NULL,"
    "  finished_at TEXT NOT NULL, as_of TEXT NOT NULL, map_hash TEXT NOT NULL,"
    "  rules_hash TEXT NOT NULL, outcome INTEGER NOT NULL, findings INTEGER NOT NULL,"
    "  high INTEGER NOT NULL, medium INTEGER NOT NULL, low INTEGER NOT NULL,"
    "  new INTEGER NOT NULL, recurring INTEGER NOT NULL, reopened INTEGER NOT NULL,"
    "  resolved INTEGER NOT NULL, waived INTEGER NOT NULL, rules_run INTEGER NOT NULL,"
    "  rules_failed INTEGER NOT NULL, manifest TEXT NOT NULL) STRICT;"
    "CREATE TABLE assure_run_rules(run INTEGER NOT NULL, rule TEXT NOT NULL,"
    "  status TEXT NOT NULL, findings INTEGER NOT NULL, PRIMARY KEY(run, rule))"
    "  STRICT, WITHOUT ROWID;"
    "CREATE TABLE assure_run_findings(run INTEGER NOT NULL, fingerprint TEXT NOT NULL,"
    "  rule TEXT NOT NULL, subject TEXT NOT NULL, message TEXT NOT NULL,"
    "  severity TEXT NOT NULL, unit TEXT, area TEXT, line TEXT, principle TEXT, owner TEXT,"
    "  due TEXT, business_group TEXT, evidence TEXT NOT NULL, state TEXT NOT NULL,"
    "  first_seen TEXT NOT NULL, waiver TEXT, waived INTEGER NOT NULL DEFAULT 0) STRICT;"
    "CREATE INDEX assure_run_findings_order ON assure_run_findings(run, rule);"
    "CREATE INDEX assure_run_findings_fp ON assure_run_findings(fingerprint, run);"
    "CREATE TABLE assure_run_inputs(run INTEGER NOT NULL, kind TEXT NOT NULL,"
    "  name TEXT NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY(run, kind, name))"
    "  STRICT, WITHOUT ROWID;"
    "CREATE TABLE assure_findings(fingerprint TEXT PRIMARY KEY, rule TEXT NOT NULL,"
    "  subject TEXT NOT NULL, first_run INTEGER NOT NULL, first_seen TEXT NOT NULL,"
    "  last_run INTEGER NOT NULL, last_seen TEXT NOT NULL) STRICT, WITHOUT ROWID;",
    /* 2 -> 3: what explains a finding (history.c): the as-of date it was
     * found on, its rule's parameters in effect (JSON object), the rows it
     * rests on (JSON array of {dataset, key}) and how many there were; */
    "ALTER TABLE assure_run_findings ADD COLUMN as_of TEXT;"
    "ALTER TABLE assure_run_findings ADD COLUMN params TEXT;"
    "ALTER TABLE assure_run_findings ADD COLUMN rows TEXT;"
    "ALTER TABLE assure_run_findings ADD COLUMN rows_total INTEGER;"
    /* and the title, description and category of each rule as the run knew it */
    "ALTER TABLE assure_run_rules ADD COLUMN title TEXT;"
    "ALTER TABLE assure_run_rules ADD COLUMN description TEXT;"
    "ALTER TABLE assure_run_rules ADD COLUMN category TEXT;",
};

static asr_status migrate(asr_store *s, long long from, asr_diag *d)
{
    const long long target = (long long)(sizeof migrations / sizeof migrations[0]);
    if (from >= target)
        return ASR_OK;
    asr_status st = asr_store_begin(s, d);
    if (st)
        return st;
    /* Re-read under the lock: another process may have migrated meanwhile. */
    int rc;
    long long now = query_int(s, "PRAGMA user_version", &rc);
    if (rc != SQLITE_OK) {
        st = db_error(s, d, rc, "reading the schema version");
        goto fail;
    }
    for (long long v = now; v < target; v++) {
        st = exec(s, d, migrations[v], "upgrading the database schema");
        if (st)
            goto fail;
    }
    char sql[96];
    snprintf(sql, sizeof sql, "PRAGMA application_id=%d; PRAGMA user_version=%lld;",
             ASR_STORE_APPLICATION_ID, target);
    st = exec(s, d, sql, "upgrading the database schema");
    if (st)
        goto fail;
    return asr_store_commit(s, d);
fail:
    asr_store_rollback(s);
    return st;
}

/* Checks an existing file before anything is written to it. */
static asr_status check_existing(asr_store *s, asr_diag *d)
{
    asr_loc l = {s->path, 0, 0};
    FILE *f = fopen(s->path, "rb");
    if (!f) {
        asr_error(d, &l, NULL, "cannot read the database: %s", strerror(errno));
        return ASR_E_NOINPUT;
    }
    char head[16] = {0};
    size_t got = fread(head, 1, sizeof head, f);
    fclose(f);
    if (got == 0)
        return ASR_OK; /* an empty file: SQLite treats it as a new database */
    if (got < 16 || memcmp(head, "SQLite format 3", 16) != 0) {
        asr_error(d, &l, NULL, "not an SQLite database; refusing to touch it");
        return ASR_E_DATA;
    }
    int rc;
    long long app = query_int(s, "PRAGMA application_id", &rc);
    if (rc != SQLITE_OK)
        return db_error(s, d, rc, "reading the database header");
    long long version = query_int(s, "PRAGMA user_version", &rc);
    long long tables = query_int(s, "SELECT count(*) FROM sqlite_schema", &rc);
    if (rc != SQLITE_OK)
        return db_error(s, d, rc, "reading the database schema");
    if (app != ASR_STORE_APPLICATION_ID && !(app == 0 && version == 0 && tables == 0)) {
        asr_error(d, &l, NULL,
                  "this SQLite database belongs to another program (application id %lld); "
                  "refusing to touch it",
                  app);
        return ASR_E_DATA;
    }
    if (version < 0) {
        asr_error(d, &l, NULL,
                  "the database's schema version is %lld, which no assure writes; refusing "
                  "to touch it",
                  version);
        return ASR_E_DATA;
    }
    if (version > ASR_STORE_SCHEMA_VERSION) {
        asr_error(d, &l, NULL,
                  "written by a newer assure (schema version %lld; this one knows %d); "
                  "upgrade assure",
                  version, ASR_STORE_SCHEMA_VERSION);
        return ASR_E_DATA;
    }
    return ASR_OK;
}

asr_status asr_store_quick_check(asr_store *s, asr_diag *d)
{
    asr_loc l = {s->path, 0, 0};
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return db_error(s, d, rc, "checking the database");
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *res = (const char *)sqlite3_column_text(st, 0);
        if (!res || strcmp(res, "ok") != 0) {
            asr_error(d, &l, NULL,
                      "the database is damaged (quick_check: %s); restore it from a backup",
                      res ? res : "?");
            sqlite3_finalize(st);
            return ASR_E_IO;
        }
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK && rc != SQLITE_DONE)
        return db_error(s, d, rc, "checking the database");
    return ASR_OK;
}

static int is_wal(asr_store *s)
{
    sqlite3_stmt *st = NULL;
    int wal = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
              sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) &&
              strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
    sqlite3_finalize(st);
    return wal;
}

/* Opens path for reading only. A WAL database in a directory this process
 * may not write (a read-only mount, another user's directory) cannot get the
 * -shm file SQLite reads it through; when no -wal file is there either --
 * nobody is writing, and everything is in the main file -- it is opened as
 * immutable instead, which needs neither. Returns SQLite's code; *db is set
 * (even on failure, for the message) as sqlite3_open_v2 sets it. */
static int open_for_reading(const char *path, sqlite3 **db)
{
    int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    int rc = sqlite3_open_v2(path, db, flags, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_exec(*db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
    if ((rc & 0xff) != SQLITE_READONLY && (rc & 0xff) != SQLITE_CANTOPEN)
        return SQLITE_OK; /* readable, or a problem the caller will meet and report */
    asr_buf wal = {0};
    asr_buf_addf(&wal, "%s-wal", path);
    struct stat sb;
    int writer = stat(wal.data, &sb) == 0 && sb.st_size > 0;
    asr_buf_free(&wal);
    if (writer)
        return SQLITE_OK;
    /* file:PATH?immutable=1, the path percent-encoded where a URI needs it */
    asr_buf uri = {0};
    asr_buf_add(&uri, "file:", 5);
    for (const char *c = path; *c; c++) {
        if (*c == '%' || *c == '?' || *c == '#')
            asr_buf_addf(&uri, "%%%02X", (unsigned char)*c);
        else
            asr_buf_add(&uri, c, 1);
    }
    asr_buf_add(&uri, "?immutable=1", 12);
    sqlite3 *im = NULL;
    rc = sqlite3_open_v2(uri.data, &im, flags | SQLITE_OPEN_URI, NULL);
    asr_buf_free(&uri);
    if (rc != SQLITE_OK) {
        sqlite3_close(im);
        return SQLITE_OK; /* keep the first connection: its error says more */
    }
    sqlite3_close(*db);
    *db = im;
    return SQLITE_OK;
}

asr_status asr_store_open(const char *path, asr_store_mode mode, int busy_ms, asr_diag *d,
                          asr_store **out)
{
    *out = NULL;
    asr_loc l = {path, 0, 0};
    struct stat sb;
    int exists = stat(path, &sb) == 0;
    if (!exists && mode != ASR_STORE_CREATE && mode != ASR_STORE_SCRATCH) {
        asr_error(d, &l, NULL, "no such database; create it with 'assure import'");
        return ASR_E_NOINPUT;
    }
    if (exists && !S_ISREG(sb.st_mode)) {
        asr_error(d, &l, NULL, "not a regular file");
        return ASR_E_NOINPUT;
    }
    asr_store *s = asr_xcalloc(1, sizeof *s);
    s->path = asr_xstrdup(path);
    int readonly = mode == ASR_STORE_READONLY;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    int scratch = mode == ASR_STORE_SCRATCH;
    if (mode == ASR_STORE_CREATE || scratch)
        flags |= SQLITE_OPEN_CREATE;
    int rc = readonly ? open_for_reading(path, &s->db) : sqlite3_open_v2(path, &s->db, flags, NULL);
    asr_status st;
    if (rc != SQLITE_OK) {
        asr_error(d, &l, NULL, "cannot open the database: %s",
                  s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        st = exists ? status_of(rc) : ASR_E_CANTCREATE;
        goto fail;
    }
    sqlite3_busy_timeout(s->db, busy_ms);
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    if (exists && (st = check_existing(s, d)) != ASR_OK)
        goto fail;
    if (readonly) {
        if (sb.st_size == 0 || query_int(s, "PRAGMA user_version", NULL) < 1) {
            asr_error(d, &l, NULL, "nothing has been imported into this database yet");
            st = ASR_E_DATA;
            goto fail;
        }
        sqlite3_exec(s->db, "PRAGMA query_only=1; PRAGMA temp_store=MEMORY", NULL, NULL, NULL);
        *out = s;
        return ASR_OK;
    }
    /* Unchecked only when opening will write nothing: the schema is current
     * and the file is in WAL mode already. */
    int unchecked = mode == ASR_STORE_EXISTING_UNCHECKED &&
                    query_int(s, "PRAGMA user_version", NULL) == ASR_STORE_SCHEMA_VERSION &&
                    is_wal(s);
    if (exists && !unchecked && !scratch && (st = asr_store_quick_check(s, d)))
        goto fail;
    /* Only now may anything be written. A new database gets 16 KiB pages:
     * against SQLite's 4 KiB, a million-row import takes 13% less time and
     * a check of the rule library 9% less (fewer, fuller pages to read and
     * write), and the WAL index of a big import is a quarter of the size
     * (docs/performance.md). An existing database keeps its page size. */
    int fresh = !exists || sb.st_size == 0;
    if (fresh && (st = exec(s, d, "PRAGMA page_size=16384", "setting up the database")))
        goto fail;
    if ((st = exec(s, d,
                   scratch ? "PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF;"
                           : "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
                   "setting up the database")))
        goto fail;
    if ((st = migrate(s, query_int(s, "PRAGMA user_version", NULL), d)))
        goto fail;
    *out = s;
    return ASR_OK;
fail:
    asr_store_close(s);
    return st;
}

/* ---- the last verified integrity check ---- */

static int file_identity(const char *path, long long ids[3], char *out, size_t size)
{
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return -1;
    snprintf(out, size,
             "v1 dev=%llu ino=%llu size=%lld mtime=%lld.%09ld imports=%lld runs=%lld "
             "schema=%lld",
             (unsigned long long)sb.st_dev, (unsigned long long)sb.st_ino, (long long)sb.st_size,
             (long long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec, ids[0], ids[1], ids[2]);
    return 0;
}

static void content_ids(asr_store *s, long long ids[3])
{
    /* a table an older schema lacks reads as -1 */
    ids[0] = query_int(s, "SELECT coalesce(max(id), 0) FROM assure_imports", NULL);
    ids[1] = query_int(s, "SELECT coalesce(max(id), 0) FROM assure_runs", NULL);
    ids[2] = query_int(s, "PRAGMA schema_version", NULL);
}

int asr_store_verified_identity(asr_store *s, char *out, size_t size)
{
    long long ids[3];
    content_ids(s, ids);
    return file_identity(s->path, ids, out, size);
}

int asr_store_verified_matches(asr_store *s, const char *identity)
{
    sqlite3_stmt *st = NULL;
    int same = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM assure_meta WHERE key='verified'", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        same = v && strcmp(v, identity) == 0;
    }
    sqlite3_finalize(st);
    return same;
}

void asr_store_record_verified(const char *path, const char *identity)
{
    sqlite3 *db = NULL;
    struct stat before, after;
    if (stat(path, &before) != 0 || access(path, W_OK) != 0)
        return;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        sqlite3_close(db);
        return;
    }
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    asr_store probe = {0};
    probe.db = db;
    probe.path = (char *)path;
    char now[256];
    long long ids[3];
    int ok = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
    if (ok) {
        /* still what was verified, under the write lock */
        content_ids(&probe, ids);
        ok = file_identity(path, ids, now, sizeof now) == 0 && strcmp(now, identity) == 0;
        sqlite3_stmt *st = NULL;
        ok = ok &&
             sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO assure_meta VALUES('verified', ?)", -1,
                                &st, NULL) == SQLITE_OK &&
             sqlite3_bind_text(st, 1, identity, -1, SQLITE_STATIC) == SQLITE_OK &&
             sqlite3_step(st) == SQLITE_DONE;
        sqlite3_finalize(st);
        ok = sqlite3_exec(db, ok ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK && ok;
    }
    /* Into the main file now, then its time put back: the record is the
     * only change, and the identity it states stays true. */
    if (ok)
        sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    sqlite3_close(db);
    if (ok && stat(path, &after) == 0 && after.st_ino == before.st_ino &&
        after.st_dev == before.st_dev) {
        struct timespec t[2] = {after.st_atim, before.st_mtim};
        utimensat(AT_FDCWD, path, t, 0);
    }
}

/* Opening an existing database checks it. */
/* The integrity check of a check run: read-only, so a database the user
 * may only read (or in a read-only directory) is checked like any other. */
static asr_status check_now(const char *path, asr_diag *d)
{
    asr_store *s = NULL;
    asr_status st = asr_store_open(path, ASR_STORE_READONLY, 5000, d, &s);
    if (st == ASR_OK)
        st = asr_store_quick_check(s, d);
    asr_store_close(s);
    return st;
}

void asr_store_bgcheck_start(const char *path, asr_store_bgcheck *b)
{
    int fd;
    long pid = asr_fork_piped(&fd);
    b->pid = pid > 0 ? (int)pid : 0;
    b->fd = pid > 0 ? fd : -1;
    if (pid != 0)
        return;
    asr_diag d;
    asr_diag_init(&d, 1);
    asr_status st = check_now(path, &d);
    /* the outcome as one byte, then the first problem's message */
    char code = (char)st;
    const char *msg = d.count ? d.items[0].message : "";
    if (write(fd, &code, 1) == 1 && *msg && write(fd, msg, strlen(msg)) < 0)
        _exit(1);
    _exit(0);
}

asr_status asr_store_bgcheck_finish(asr_store_bgcheck *b, const char *path, asr_diag *d)
{
    if (b->pid <= 0)
        return check_now(path, d);
    asr_buf got = {0};
    char buf[512];
    for (;;) {
        ssize_t n = read(b->fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        asr_buf_add(&got, buf, (size_t)n);
    }
    close(b->fd);
    int status;
    while (waitpid(b->pid, &status, 0) < 0 && errno == EINTR)
        ;
    b->pid = 0;
    asr_status st;
    if (got.len == 0) {
        asr_buf_free(&got);
        return check_now(path, d); /* the child died: check here instead */
    }
    st = (asr_status)(unsigned char)got.data[0];
    if (st != ASR_OK) {
        asr_loc l = {path, 0, 0};
        asr_error(d, &l, NULL, "%s",
                  got.len > 1 ? got.data + 1 : "the database could not be checked");
    }
    asr_buf_free(&got);
    return st;
}

void asr_store_close(asr_store *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n_cache; i++)
        sqlite3_finalize(s->cache[i].st);
    sqlite3_close(s->db);
    free(s->path);
    free(s);
}

void asr_store_cache_kib(asr_store *s, long kib)
{
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA cache_size=%ld", -kib);
    sqlite3_exec(s->db, sql, NULL, NULL, NULL); /* a hint: failure costs only speed */
}

asr_status asr_store_begin(asr_store *s, asr_diag *d)
{
    return exec(s, d, "BEGIN IMMEDIATE", "starting a write");
}

asr_status asr_store_commit(asr_store *s, asr_diag *d)
{
    asr_status st = exec(s, d, "COMMIT", "saving the changes");
    if (st)
        asr_store_rollback(s);
    return st;
}

void asr_store_rollback(asr_store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- map tables ---- */

/* Prepares, binds from a format of 't' (text, may be NULL), 'i' (long) and
 * 'n' (long, NULL when 0), steps once and finalizes. */
static int run(asr_store *s, const char *sql, const char *fmt, ...)
{
    sqlite3_stmt *st = NULL;
    int cached = 0, rc = SQLITE_OK;
    for (int i = 0; i < s->n_cache && !st; i++)
        if (s->cache[i].sql == sql)
            st = s->cache[i].st, cached = 1;
    if (!st) {
        rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
        if (rc != SQLITE_OK)
            return rc;
        if (s->n_cache < (int)(sizeof s->cache / sizeof s->cache[0])) {
            s->cache[s->n_cache].sql = sql;
            s->cache[s->n_cache++].st = st;
            cached = 1;
        }
    }
    va_list ap;
    va_start(ap, fmt);
    for (int i = 0; fmt[i]; i++) {
        if (fmt[i] == 't') {
            const char *v = va_arg(ap, const char *);
            if (v)
                sqlite3_bind_text(st, i + 1, v, -1, SQLITE_TRANSIENT);
        } else {
            long v = va_arg(ap, long);
            if (fmt[i] == 'i' || v != 0)
                sqlite3_bind_int64(st, i + 1, v);
        }
    }
    va_end(ap);
    rc = sqlite3_step(st);
    if (cached) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    } else {
        sqlite3_finalize(st);
    }
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

#define RUN(...)                                                                                   \
    do {                                                                                           \
        if ((rc = run(s, __VA_ARGS__)) != SQLITE_OK)                                               \
            goto fail;                                                                             \
    } while (0)

asr_status asr_store_write_map(asr_store *s, const asr_map *m, asr_diag *d)
{
    int rc = sqlite3_exec(s->db,
                          "DELETE FROM map_organisation; DELETE FROM map_lines;"
                          "DELETE FROM map_principles; DELETE FROM map_units;"
                          "DELETE FROM map_areas; DELETE FROM map_area_lines;"
                          "DELETE FROM map_sources; DELETE FROM map_source_areas;"
                          "DELETE FROM map_scales; DELETE FROM map_scale_labels;"
                          "DELETE FROM map_params; DELETE FROM map_datasets;"
                          "DELETE FROM map_fields; DELETE FROM map_enum_values;",
                          NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        goto fail;
    RUN("INSERT INTO map_organisation VALUES(?,?)", "ti", m->org_name, m->fy_start_month);
    for (size_t i = 0; i < m->n_lines; i++)
        RUN("INSERT INTO map_lines VALUES(?,?,?,?)", "ttii", m->lines[i].id, m->lines[i].name,
            m->lines[i].independence, (long)i + 1);
    for (size_t i = 0; i < m->n_principles; i++)
        RUN("INSERT INTO map_principles VALUES(?,?,?)", "tti", m->principles[i].id,
            m->principles[i].title, (long)i + 1);
    for (size_t i = 0; i < m->n_units; i++)
        RUN("INSERT INTO map_units VALUES(?,?,?,?,?)", "tttti", m->units[i].id, m->units[i].name,
            m->units[i].kind, m->units[i].parent, (long)i + 1);
    for (size_t i = 0; i < m->n_areas; i++) {
        const asr_area *a = &m->areas[i];
        RUN("INSERT INTO map_areas VALUES(?,?,?,?,?,?,?,?,?,?)", "ttttttnnni", a->id, a->title,
            a->description, a->principle, a->unit, a->owner, a->inherent, a->residual, a->target,
            (long)i + 1);
        /* One row per line the area names, required or with an age limit. */
        for (size_t k = 0; k < a->n_required_lines; k++)
            RUN("INSERT OR IGNORE INTO map_area_lines VALUES(?,?,1,NULL)", "tt", a->id,
                a->required_lines[k]);
        for (size_t k = 0; k < a->n_max_age; k++) {
            RUN("INSERT OR IGNORE INTO map_area_lines VALUES(?,?,0,NULL)", "tt", a->id,
                a->max_age[k].line);
            RUN("UPDATE map_area_lines SET max_age_days=? WHERE area=? AND line=?", "itt",
                a->max_age[k].days, a->id, a->max_age[k].line);
        }
    }
    for (size_t i = 0; i < m->n_sources; i++) {
        const asr_source *x = &m->sources[i];
        RUN("INSERT INTO map_sources VALUES(?,?,?,?,?,?,?,?,?,?)", "ttttttttti", x->id, x->title,
            x->line, x->provider, x->kind, x->owner, x->frequency, x->status, x->scale,
            (long)i + 1);
        for (size_t k = 0; k < x->n_areas; k++)
            RUN("INSERT OR IGNORE INTO map_source_areas VALUES(?,?)", "tt", x->id, x->areas[k]);
    }
    for (size_t i = 0; i < m->n_scales; i++) {
        RUN("INSERT INTO map_scales VALUES(?,?)", "tt", m->scales[i].id, m->scales[i].title);
        for (size_t k = 0; k < m->scales[i].n_labels; k++)
            RUN("INSERT INTO map_scale_labels VALUES(?,?,?)", "tti", m->scales[i].id,
                m->scales[i].labels[k].label, m->scales[i].labels[k].rank);
    }
    for (size_t i = 0; i < m->n_params; i++) {
        static const char *const types[] = {"string", "number", "boolean"};
        RUN("INSERT OR REPLACE INTO map_params VALUES(?,?,?,?)", "tttt", m->params[i].rule,
            m->params[i].name, m->params[i].value, types[m->params[i].type]);
    }
    for (size_t i = 0; i < m->n_datasets; i++) {
        const asr_dataset *ds = &m->datasets[i];
        asr_buf key = {0};
        for (size_t k = 0; k < ds->n_key; k++)
            asr_buf_addf(&key, "%s%s", k ? "," : "", ds->fields[ds->key[k]].name);
        rc = run(s, "INSERT INTO map_datasets VALUES(?,?,?,?)", "tttt", ds->id, ds->title,
                 ds->description, key.data);
        asr_buf_free(&key);
        if (rc != SQLITE_OK)
            goto fail;
        for (size_t k = 0; k < ds->n_fields; k++) {
            const asr_field *f = &ds->fields[k];
            RUN("INSERT INTO map_fields VALUES(?,?,?,?,?,?,?,?,?,?)", "ttttitttti", ds->id, f->name,
                f->header, asr_ftype_name(f->type), (long)f->required, asr_ref_name(f->ref),
                f->date_format, f->pattern, f->description, (long)k + 1);
            for (size_t v = 0; v < f->n_values; v++)
                RUN("INSERT INTO map_enum_values VALUES(?,?,?,?)", "ttti", ds->id, f->name,
                    f->values[v], f->ranks[v]);
        }
    }
    return ASR_OK;
fail:
    return db_error(s, d, rc, "writing the map tables");
}

/* ---- dataset tables ---- */

int asr_store_dataset_state(asr_store *s, const char *dataset, asr_dataset_state *out)
{
    sqlite3_stmt *st = NULL;
    int found = -1;
    memset(out, 0, sizeof *out);
    if (sqlite3_prepare_v2(s->db,
                           "SELECT schema_hash, sha256, size, rows, coalesce(as_of, "
                           "substr(imported_at, 1, 10)) FROM assure_datasets WHERE id=?",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, dataset, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(out->schema_hash, sizeof out->schema_hash, "%s",
                 (const char *)sqlite3_column_text(st, 0));
        snprintf(out->sha256, sizeof out->sha256, "%s", (const char *)sqlite3_column_text(st, 1));
        out->size = sqlite3_column_int64(st, 2);
        out->rows = sqlite3_column_int64(st, 3);
        const unsigned char *a = sqlite3_column_text(st, 4);
        snprintf(out->as_of, sizeof out->as_of, "%s", a ? (const char *)a : "");
        found = 0;
    }
    sqlite3_finalize(st);
    return found;
}

asr_status asr_store_list_datasets(asr_store *s, asr_dataset_record **out, size_t *n, asr_diag *d)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db,
                                "SELECT id, file, schema_hash, sha256, size, rows, "
                                "coalesce(as_of, ''), imported_at FROM assure_datasets ORDER BY id",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return db_error(s, d, rc, "reading what the datasets hold");
    size_t cap = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = asr_xrealloc(*out, cap * sizeof **out);
        }
        asr_dataset_record *r = &(*out)[(*n)++];
        memset(r, 0, sizeof *r);
        r->id = asr_xstrdup((const char *)sqlite3_column_text(st, 0));
        r->file = asr_xstrdup((const char *)sqlite3_column_text(st, 1));
        snprintf(r->st.schema_hash, sizeof r->st.schema_hash, "%s", sqlite3_column_text(st, 2));
        snprintf(r->st.sha256, sizeof r->st.sha256, "%s", sqlite3_column_text(st, 3));
        r->st.size = sqlite3_column_int64(st, 4);
        r->st.rows = sqlite3_column_int64(st, 5);
        snprintf(r->st.as_of, sizeof r->st.as_of, "%s", sqlite3_column_text(st, 6));
        snprintf(r->imported_at, sizeof r->imported_at, "%s", sqlite3_column_text(st, 7));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? ASR_OK : db_error(s, d, rc, "reading what the datasets hold");
}

void asr_dataset_records_free(asr_dataset_record *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(r[i].id);
        free(r[i].file);
    }
    free(r);
}

void asr_store_map_hash(asr_store *s, char out[65])
{
    sqlite3_stmt *st = NULL;
    out[0] = '\0';
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM assure_meta WHERE key='map_hash'", -1, &st,
                           NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        snprintf(out, 65, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

static const char *sql_type(asr_ftype t)
{
    switch (t) {
    case ASR_FT_INTEGER:
    case ASR_FT_BOOLEAN:
        return "INTEGER";
    case ASR_FT_DECIMAL:
        return "REAL";
    default:
        return "TEXT";
    }
}

/* Appends the CREATE TABLE statement of ds's table to sql, without a
 * semicolon: as SQLite keeps it in sqlite_schema. */
static void dataset_create_sql(const asr_dataset *ds, asr_buf *sql)
{
    char *q = sqlite3_mprintf("CREATE TABLE \"%w\"(_line INTEGER NOT NULL", ds->id);
    asr_buf_adds(sql, q);
    sqlite3_free(q);
    for (size_t i = 0; i < ds->n_fields; i++) {
        const asr_field *f = &ds->fields[i];
        q = sqlite3_mprintf(", \"%w\" %s%s", f->name, sql_type(f->type),
                            f->required ? " NOT NULL" : "");
        asr_buf_adds(sql, q);
        sqlite3_free(q);
        if (f->type == ASR_FT_ENUM) {
            /* The rank column orders an enum as declared; it takes no space. */
            q = sqlite3_mprintf(", \"%w_rank\" INTEGER GENERATED ALWAYS AS (CASE \"%w\"", f->name,
                                f->name);
            asr_buf_adds(sql, q);
            sqlite3_free(q);
            for (size_t v = 0; v < f->n_values; v++) {
                q = sqlite3_mprintf(" WHEN %Q THEN %ld", f->values[v], f->ranks[v]);
                asr_buf_adds(sql, q);
                sqlite3_free(q);
            }
            asr_buf_adds(sql, " END) VIRTUAL");
        }
    }
    /* partial dates keep their precision; computed columns are generated */
    for (size_t i = 0; i < ds->n_fields; i++) {
        if (!ds->fields[i].partial)
            continue;
        q = sqlite3_mprintf(", \"%w_precision\" TEXT", ds->fields[i].name);
        asr_buf_adds(sql, q);
        sqlite3_free(q);
    }
    for (size_t k = 0; k < ds->n_computed; k++) {
        q = sqlite3_mprintf(", \"%w\" %s GENERATED ALWAYS AS (%s) VIRTUAL", ds->computed[k].name,
                            sql_type(ds->computed[k].type), ds->computed[k].sql);
        asr_buf_adds(sql, q);
        sqlite3_free(q);
    }
    for (size_t k = 0; k < ds->n_checks; k++) {
        q = sqlite3_mprintf(", CONSTRAINT \"check_%d\" CHECK (%s)", (int)k, ds->checks[k]);
        asr_buf_adds(sql, q);
        sqlite3_free(q);
    }
    /* A dataset with a key is stored in key order, the key its only B-tree
     * (WITHOUT ROWID): one tree to insert into rather than a table and an
     * index, and a rule reading in key order scans it without a lookup a
     * row. The key's fields are required, so never NULL. */
    if (ds->n_key) {
        asr_buf_adds(sql, ", PRIMARY KEY(");
        for (size_t k = 0; k < ds->n_key; k++) {
            q = sqlite3_mprintf("%s\"%w\"", k ? ", " : "", ds->fields[ds->key[k]].name);
            asr_buf_adds(sql, q);
            sqlite3_free(q);
        }
        asr_buf_adds(sql, ")) STRICT, WITHOUT ROWID");
    } else {
        asr_buf_adds(sql, ") STRICT");
    }
}

asr_status asr_store_recreate_dataset(asr_store *s, const asr_dataset *ds, asr_diag *d)
{
    asr_buf sql = {0};
    char *q = sqlite3_mprintf("DROP TABLE IF EXISTS \"%w\"; ", ds->id);
    asr_buf_adds(&sql, q);
    sqlite3_free(q);
    dataset_create_sql(ds, &sql);
    asr_buf_addc(&sql, ';');
    asr_status st = exec(s, d, sql.data, "creating the dataset table");
    asr_buf_free(&sql);
    return st;
}

asr_status asr_store_ensure_dataset(asr_store *s, const asr_dataset *ds, asr_diag *d)
{
    sqlite3_stmt *st = NULL;
    int exists = 0, same = 0;
    asr_buf want = {0};
    dataset_create_sql(ds, &want);
    if (sqlite3_prepare_v2(s->db, "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, ds->id, -1, SQLITE_STATIC);
        exists = sqlite3_step(st) == SQLITE_ROW;
        const char *have = exists ? (const char *)sqlite3_column_text(st, 0) : NULL;
        same = have && strcmp(have, want.data) == 0;
    }
    sqlite3_finalize(st);
    asr_buf_free(&want);
    if (!exists)
        return asr_store_recreate_dataset(s, ds, d);
    if (same) /* already the map's shape, to the byte */
        return ASR_OK;
    /* A table with no rows whose shape no import recorded for this map --
     * made by an older map or standard model and never filled -- is made
     * again to the map's shape: nothing is lost, and rules that read the
     * dataset's new columns find them (a database upgraded in place). */
    char recorded[80] = "";
    if (sqlite3_prepare_v2(s->db, "SELECT schema_hash FROM assure_datasets WHERE id = ?", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, ds->id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            snprintf(recorded, sizeof recorded, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    if (strcmp(recorded, ds->schema_hash) == 0 || asr_store_count_rows(s, ds->id) != 0)
        return ASR_OK;
    return asr_store_recreate_dataset(s, ds, d);
}

static void now_utc(char out[21])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

asr_status asr_store_record_dataset(asr_store *s, const asr_dataset *ds, const char *file,
                                    const asr_dataset_state *st, asr_diag *d)
{
    char now[21];
    now_utc(now);
    int rc = run(s,
                 "INSERT OR REPLACE INTO assure_datasets(id, schema_hash, file, size, sha256, "
                 "rows, imported_at, as_of) VALUES(?,?,?,?,?,?,?,?)",
                 "tttititt", ds->id, ds->schema_hash, file, (long)st->size, st->sha256,
                 (long)st->rows, now, st->as_of[0] ? st->as_of : NULL);
    return rc == SQLITE_OK ? ASR_OK : db_error(s, d, rc, "recording the import");
}

long long asr_store_count_rows(asr_store *s, const char *dataset)
{
    if (!asr_store_has_table(s, dataset))
        return -1;
    char *q = sqlite3_mprintf("SELECT count(*) FROM \"%w\"", dataset);
    long long n = query_int(s, q, NULL);
    sqlite3_free(q);
    return n;
}

/* The table's column names, in order, comma-joined (without _snapshot). */
static char *column_list(asr_store *s, const char *table)
{
    sqlite3_stmt *st = NULL;
    asr_buf b = {0};
    if (sqlite3_prepare_v2(s->db,
                           "SELECT name FROM pragma_table_xinfo(?) WHERE name <> '_snapshot' "
                           "ORDER BY cid",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
            char *q = sqlite3_mprintf("%s\"%w\"", b.len ? "," : "",
                                      (const char *)sqlite3_column_text(st, 0));
            asr_buf_adds(&b, q);
            sqlite3_free(q);
        }
    }
    sqlite3_finalize(st);
    return b.data ? b.data : asr_xstrdup("");
}

asr_status asr_store_snapshot_dataset(asr_store *s, const asr_dataset *ds, const char *tag,
                                      long keep, asr_diag *d)
{
    if (keep <= 0 || !asr_store_has_table(s, ds->id))
        return ASR_OK;
    char hist[128], prev[128];
    snprintf(hist, sizeof hist, "history_%s", ds->id);
    snprintf(prev, sizeof prev, "previous_%s", ds->id);
    char *cols = column_list(s, ds->id);
    asr_status st = ASR_OK;
    char *q;
    if (asr_store_has_table(s, hist)) {
        char *old = column_list(s, hist);
        int same = strcmp(old, cols) == 0;
        free(old);
        if (!same) {
            q = sqlite3_mprintf("DROP VIEW IF EXISTS \"%w\"; DROP TABLE \"%w\";", prev, hist);
            st = exec(s, d, q, "keeping a snapshot of the dataset");
            sqlite3_free(q);
        }
    }
    if (st == ASR_OK && !asr_store_has_table(s, hist)) {
        q = sqlite3_mprintf("CREATE TABLE \"%w\" AS SELECT '' AS _snapshot, %s FROM \"%w\" "
                            "WHERE 0; CREATE INDEX \"%w_snapshot\" ON \"%w\"(_snapshot);"
                            "CREATE VIEW IF NOT EXISTS \"%w\" AS SELECT * FROM \"%w\" WHERE "
                            "_snapshot = (SELECT max(_snapshot) FROM \"%w\");",
                            hist, cols, ds->id, hist, hist, prev, hist, hist);
        st = exec(s, d, q, "keeping a snapshot of the dataset");
        sqlite3_free(q);
    }
    if (st == ASR_OK) {
        /* one snapshot per date: a second import on the same day replaces it */
        q = sqlite3_mprintf("DELETE FROM \"%w\" WHERE _snapshot = %Q;"
                            "INSERT INTO \"%w\" SELECT %Q, %s FROM \"%w\";"
                            "DELETE FROM \"%w\" WHERE _snapshot NOT IN (SELECT DISTINCT "
                            "_snapshot FROM \"%w\" ORDER BY _snapshot DESC LIMIT %ld);",
                            hist, tag, hist, tag, cols, ds->id, hist, hist, keep);
        st = exec(s, d, q, "keeping a snapshot of the dataset");
        sqlite3_free(q);
    }
    free(cols);
    return st;
}

asr_status asr_store_set_map_hash(asr_store *s, const char *map_hash, asr_diag *d)
{
    int rc = run(s, "INSERT OR REPLACE INTO assure_meta VALUES('map_hash', ?)", "t", map_hash);
    return rc == SQLITE_OK ? ASR_OK : db_error(s, d, rc, "recording the map");
}

asr_status asr_store_log_import(asr_store *s, const char *dataset, const char *file, long long size,
                                const char *sha256, long long rows, const char *outcome,
                                const char *message, asr_diag *d)
{
    char now[21];
    now_utc(now);
    int rc = run(s,
                 "INSERT INTO assure_imports(dataset, file, size, sha256, rows, at, outcome, "
                 "message) VALUES(?,?,?,?,?,?,?,?)",
                 "ttitittt", dataset, file, (long)size, sha256, (long)rows, now, outcome, message);
    return rc == SQLITE_OK ? ASR_OK : db_error(s, d, rc, "writing the import log");
}

void asr_store_checkpoint(asr_store *s)
{
    sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
}

asr_status asr_store_import_started(asr_store *s, const char *datasets, long long *mark,
                                    asr_diag *d)
{
    char now[21], pid[24];
    now_utc(now);
    snprintf(pid, sizeof pid, "%ld", (long)getpid());
    int rc = run(s,
                 "INSERT INTO assure_imports(dataset, file, at, outcome, message) "
                 "VALUES(?, '', ?, 'started', ?)",
                 "ttt", datasets, now, pid);
    *mark = rc == SQLITE_OK ? (long long)sqlite3_last_insert_rowid(s->db) : 0;
    return rc == SQLITE_OK ? ASR_OK : db_error(s, d, rc, "writing the import log");
}

asr_status asr_store_import_finished(asr_store *s, long long mark, asr_diag *d)
{
    if (!mark)
        return ASR_OK;
    int rc =
        run(s, "DELETE FROM assure_imports WHERE id = ? AND outcome = 'started'", "i", (long)mark);
    return rc == SQLITE_OK ? ASR_OK : db_error(s, d, rc, "writing the import log");
}

size_t asr_store_interrupted_imports(asr_store *s, int record, asr_diag *d)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT id, dataset, at, message FROM assure_imports "
                           "WHERE outcome = 'started' ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return 0; /* an older database without the log: nothing to tell */
    size_t n = 0;
    asr_loc l = {s->path, 0, 0};
    long long *gone = NULL;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *pid = (const char *)sqlite3_column_text(st, 3);
        long p = pid ? strtol(pid, NULL, 10) : 0;
        if (p > 0 && (kill((pid_t)p, 0) == 0 || errno == EPERM))
            continue; /* still running */
        asr_warn(d, &l, NULL,
                 "the import of %s started at %s did not finish (its process was stopped); "
                 "nothing of it was stored",
                 (const char *)sqlite3_column_text(st, 1),
                 (const char *)sqlite3_column_text(st, 2));
        gone = asr_xrealloc(gone, (n + 1) * sizeof *gone);
        gone[n++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    for (size_t i = 0; record && i < n; i++)
        run(s, "UPDATE assure_imports SET outcome = 'interrupted' WHERE id = ?", "i",
            (long)gone[i]);
    free(gone);
    return n;
}

/* ---- inserter ---- */

asr_status asr_inserter_new(asr_store *s, const asr_dataset *ds, asr_diag *d, asr_inserter **out)
{
    asr_inserter *ins = asr_xcalloc(1, sizeof *ins);
    ins->store = s;
    size_t n_cols = asr_dataset_columns(ds);
    ins->n_cols = n_cols;
    ins->key_param = asr_xcalloc(n_cols, sizeof *ins->key_param);
    asr_buf sql = {0};
    char *q = sqlite3_mprintf("INSERT INTO \"%w\"(_line", ds->id);
    asr_buf_adds(&sql, q);
    sqlite3_free(q);
    for (size_t i = 0; i < ds->n_fields; i++) {
        q = sqlite3_mprintf(", \"%w\"", ds->fields[i].name);
        asr_buf_adds(&sql, q);
        sqlite3_free(q);
    }
    for (size_t i = 0; i < ds->n_fields; i++) {
        if (!ds->fields[i].partial)
            continue;
        q = sqlite3_mprintf(", \"%w_precision\"", ds->fields[i].name);
        asr_buf_adds(&sql, q);
        sqlite3_free(q);
    }
    asr_buf_adds(&sql, ") VALUES(?");
    for (size_t i = 0; i < n_cols; i++)
        asr_buf_adds(&sql, ",?");
    asr_buf_adds(&sql, ")");
    int rc = sqlite3_prepare_v3(s->db, sql.data, -1, SQLITE_PREPARE_PERSISTENT, &ins->insert, NULL);
    if (rc == SQLITE_OK && ds->n_key) {
        asr_buf_clear(&sql);
        q = sqlite3_mprintf("SELECT _line FROM \"%w\" WHERE ", ds->id);
        asr_buf_adds(&sql, q);
        sqlite3_free(q);
        for (size_t k = 0; k < ds->n_key; k++) {
            q = sqlite3_mprintf("%s\"%w\" IS ?", k ? " AND " : "", ds->fields[ds->key[k]].name);
            asr_buf_adds(&sql, q);
            sqlite3_free(q);
            ins->key_param[ds->key[k]] = (int)k + 1;
        }
        rc = sqlite3_prepare_v3(s->db, sql.data, -1, SQLITE_PREPARE_PERSISTENT, &ins->lookup, NULL);
    }
    asr_buf_free(&sql);
    if (rc != SQLITE_OK) {
        asr_status st = db_error(s, d, rc, "preparing the import");
        asr_inserter_free(ins);
        *out = NULL;
        return st;
    }
    *out = ins;
    return ASR_OK;
}

void asr_inserter_free(asr_inserter *ins)
{
    if (!ins)
        return;
    sqlite3_finalize(ins->insert);
    sqlite3_finalize(ins->lookup);
    free(ins->key_param);
    free(ins->error);
    free(ins);
}

/* Column c of the dataset is parameter c+2 of the insert (_line is 1). */
void asr_ins_null(asr_inserter *ins, size_t col)
{
    sqlite3_bind_null(ins->insert, (int)col + 2);
    if (ins->key_param[col])
        sqlite3_bind_null(ins->lookup, ins->key_param[col]);
}

void asr_ins_text(asr_inserter *ins, size_t col, const char *text, size_t len)
{
    sqlite3_bind_text(ins->insert, (int)col + 2, text, (int)len, SQLITE_STATIC);
    if (ins->key_param[col])
        sqlite3_bind_text(ins->lookup, ins->key_param[col], text, (int)len, SQLITE_STATIC);
}

void asr_ins_text_copy(asr_inserter *ins, size_t col, const char *text, size_t len)
{
    sqlite3_bind_text(ins->insert, (int)col + 2, text, (int)len, SQLITE_TRANSIENT);
    if (ins->key_param[col])
        sqlite3_bind_text(ins->lookup, ins->key_param[col], text, (int)len, SQLITE_TRANSIENT);
}

void asr_ins_int(asr_inserter *ins, size_t col, int64_t v)
{
    sqlite3_bind_int64(ins->insert, (int)col + 2, v);
    if (ins->key_param[col])
        sqlite3_bind_int64(ins->lookup, ins->key_param[col], v);
}

void asr_ins_real(asr_inserter *ins, size_t col, double v)
{
    sqlite3_bind_double(ins->insert, (int)col + 2, v);
    if (ins->key_param[col])
        sqlite3_bind_double(ins->lookup, ins->key_param[col], v);
}

asr_ins_result asr_inserter_add(asr_inserter *ins, unsigned line, unsigned *first_line)
{
    sqlite3_bind_int64(ins->insert, 1, line);
    int rc = sqlite3_step(ins->insert);
    sqlite3_reset(ins->insert);
    if (rc == SQLITE_DONE)
        return ASR_INS_OK;
    if (rc == SQLITE_CONSTRAINT_CHECK) {
        /* "CHECK constraint failed: check_N" names the dataset's check */
        const char *at = strstr(sqlite3_errmsg(ins->store->db), "check_");
        *first_line = at ? (unsigned)strtoul(at + 6, NULL, 10) : 0;
        return ASR_INS_CHECK;
    }
    if ((rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) && ins->lookup) {
        *first_line = 0;
        if (sqlite3_step(ins->lookup) == SQLITE_ROW)
            *first_line = (unsigned)sqlite3_column_int64(ins->lookup, 0);
        sqlite3_reset(ins->lookup);
        return ASR_INS_DUPLICATE;
    }
    free(ins->error);
    ins->error = asr_xstrdup(sqlite3_errmsg(ins->store->db));
    ins->error_status = status_of(rc);
    return ASR_INS_ERROR;
}

const char *asr_inserter_error(asr_inserter *ins, asr_status *status)
{
    if (status)
        *status = ins->error_status;
    return ins->error ? ins->error : "unknown error";
}

/* ---- read-only access for rules ---- */

struct asr_ro {
    sqlite3 *db;
    int (*interrupt)(void *);
    void *ud;
    void (*on_read)(void *, const char *);
    void *read_ud;
    long long rows;
    char *error;
};

struct asr_query {
    asr_ro *ro;
    sqlite3_stmt *st;
};

/* Reading only. Functions are allowed except load_extension, which the
 * connection also has switched off. */
static int ro_authorizer(void *ud, int action, const char *a, const char *b, const char *c,
                         const char *d)
{
    (void)c, (void)d;
    asr_ro *ro = ud;
    switch (action) {
    case SQLITE_READ:
        if (ro->on_read && a)
            ro->on_read(ro->read_ud, a);
        return SQLITE_OK;
    case SQLITE_SELECT:
    case SQLITE_RECURSIVE:
        return SQLITE_OK;
    case SQLITE_FUNCTION:
        return b && sqlite3_stricmp(b, "load_extension") == 0 ? SQLITE_DENY : SQLITE_OK;
    default:
        (void)a;
        return SQLITE_DENY;
    }
}

static int ro_progress(void *p)
{
    asr_ro *ro = p;
    return ro->interrupt ? ro->interrupt(ro->ud) : 0;
}

asr_ro *asr_ro_open(const char *path, int (*interrupt)(void *ud), void *ud, char *err,
                    size_t errsize)
{
    asr_ro *ro = asr_xcalloc(1, sizeof *ro);
    ro->interrupt = interrupt;
    ro->ud = ud;
    int rc = open_for_reading(path, &ro->db);
    if (rc != SQLITE_OK) {
        snprintf(err, errsize, "cannot open the database for reading: %s",
                 ro->db ? sqlite3_errmsg(ro->db) : sqlite3_errstr(rc));
        asr_ro_close(ro);
        return NULL;
    }
    sqlite3_busy_timeout(ro->db, 5000);
    sqlite3_db_config(ro->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(ro->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    sqlite3_db_config(ro->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
    sqlite3_exec(ro->db, "PRAGMA query_only=1", NULL, NULL, NULL);
    /* Sorts and temporary indexes in memory: a worker opens no file once
     * its filter is on (confine). The heap limit bounds them. */
    sqlite3_exec(ro->db, "PRAGMA temp_store=MEMORY", NULL, NULL, NULL);
    /* One read now, so every file SQLite needs for reading (the -wal and
     * -shm of a WAL database) is open when this returns. */
    rc = sqlite3_exec(ro->db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, errsize, "cannot read the database: %s", sqlite3_errmsg(ro->db));
        asr_ro_close(ro);
        return NULL;
    }
    /* Limits for rule queries: generous for real audit SQL, small enough that
     * a runaway string or a huge statement fails fast. */
    sqlite3_limit(ro->db, SQLITE_LIMIT_LENGTH, 10000000);
    sqlite3_limit(ro->db, SQLITE_LIMIT_SQL_LENGTH, 100000);
    sqlite3_limit(ro->db, SQLITE_LIMIT_ATTACHED, 0);
    sqlite3_limit(ro->db, SQLITE_LIMIT_EXPR_DEPTH, 200);
    sqlite3_limit(ro->db, SQLITE_LIMIT_COMPOUND_SELECT, 50);
    sqlite3_limit(ro->db, SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 1000);
    sqlite3_limit(ro->db, SQLITE_LIMIT_VARIABLE_NUMBER, 100);
    sqlite3_limit(ro->db, SQLITE_LIMIT_FUNCTION_ARG, 32);
    sqlite3_set_authorizer(ro->db, ro_authorizer, ro);
    sqlite3_progress_handler(ro->db, 1000, ro_progress, ro);
    return ro;
}

void asr_ro_on_read(asr_ro *ro, void (*fn)(void *ud, const char *table), void *ud)
{
    ro->on_read = fn;
    ro->read_ud = ud;
}

void asr_ro_close(asr_ro *ro)
{
    if (!ro)
        return;
    if (ro->db) {
        sqlite3_stmt *st;
        while ((st = sqlite3_next_stmt(ro->db, NULL)) != NULL)
            sqlite3_finalize(st);
        sqlite3_close(ro->db);
    }
    free(ro->error);
    free(ro);
}

long long asr_ro_rows_read(const asr_ro *ro)
{
    return ro->rows;
}

static const char *ro_error(asr_ro *ro, const char *msg)
{
    free(ro->error);
    ro->error = asr_xstrdup(msg);
    return ro->error;
}

asr_query *asr_query_prepare(asr_ro *ro, const char *sql, size_t len, const char **err)
{
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    if (len > INT32_MAX) {
        *err = ro_error(ro, "SQL too long");
        return NULL;
    }
    int rc = sqlite3_prepare_v2(ro->db, sql, (int)len, &st, &tail);
    if (rc != SQLITE_OK) {
        *err = ro_error(ro, sqlite3_errmsg(ro->db));
        return NULL;
    }
    if (!st) {
        *err = ro_error(ro, "no SQL statement given");
        return NULL;
    }
    while (tail && tail < sql + len &&
           (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == '\r' || *tail == ';'))
        tail++;
    if (tail && tail < sql + len) {
        sqlite3_finalize(st);
        *err = ro_error(ro, "only one SQL statement may be given");
        return NULL;
    }
    asr_query *q = asr_xcalloc(1, sizeof *q);
    q->ro = ro;
    q->st = st;
    return q;
}

int asr_query_param_count(asr_query *q)
{
    return sqlite3_bind_parameter_count(q->st);
}

void asr_query_bind_null(asr_query *q, int idx)
{
    sqlite3_bind_null(q->st, idx);
}

void asr_query_bind_int(asr_query *q, int idx, int64_t v)
{
    sqlite3_bind_int64(q->st, idx, v);
}

void asr_query_bind_real(asr_query *q, int idx, double v)
{
    sqlite3_bind_double(q->st, idx, v);
}

void asr_query_bind_text(asr_query *q, int idx, const char *s, size_t len)
{
    sqlite3_bind_text64(q->st, idx, s, len, SQLITE_TRANSIENT, SQLITE_UTF8);
}

int asr_query_step(asr_query *q, const char **err, int *interrupted)
{
    *interrupted = 0;
    int rc = sqlite3_step(q->st);
    if (rc == SQLITE_ROW) {
        q->ro->rows++;
        return 1;
    }
    if (rc == SQLITE_DONE)
        return 0;
    *interrupted = rc == SQLITE_INTERRUPT;
    *err = ro_error(q->ro, sqlite3_errmsg(q->ro->db));
    return -1;
}

int asr_query_columns(asr_query *q)
{
    return sqlite3_column_count(q->st);
}

const char *asr_query_column_name(asr_query *q, int i)
{
    const char *n = sqlite3_column_name(q->st, i);
    return n ? n : "?";
}

asr_vtype asr_query_column_type(asr_query *q, int i)
{
    switch (sqlite3_column_type(q->st, i)) {
    case SQLITE_INTEGER:
        return ASR_VINT;
    case SQLITE_FLOAT:
        return ASR_VREAL;
    case SQLITE_NULL:
        return ASR_VNULL;
    default:
        return ASR_VTEXT; /* blobs are handed over as byte strings */
    }
}

int64_t asr_query_column_int(asr_query *q, int i)
{
    return sqlite3_column_int64(q->st, i);
}

double asr_query_column_real(asr_query *q, int i)
{
    return sqlite3_column_double(q->st, i);
}

const char *asr_query_column_text(asr_query *q, int i, size_t *len)
{
    const char *t = (const char *)sqlite3_column_text(q->st, i);
    *len = (size_t)sqlite3_column_bytes(q->st, i);
    return t ? t : "";
}

void asr_query_finalize(asr_query *q)
{
    if (!q)
        return;
    sqlite3_finalize(q->st);
    free(q);
}

void asr_store_bulk_mode(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

void asr_store_heap_limit(int64_t bytes)
{
    sqlite3_hard_heap_limit64(bytes);
}

/* ---- statements, for the engine's own tables ---- */

struct asr_stmt {
    asr_store *s;
    sqlite3_stmt *st;
    asr_status status;
};

int asr_store_schema_version(asr_store *s)
{
    return (int)query_int(s, "PRAGMA user_version", NULL);
}

long long asr_store_data_version(asr_store *s)
{
    return query_int(s, "PRAGMA data_version", NULL);
}

asr_stmt *asr_stmt_new(asr_store *s, const char *sql, asr_diag *d)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK) {
        db_error(s, d, rc, "preparing a query of the run history");
        return NULL;
    }
    asr_stmt *x = asr_xcalloc(1, sizeof *x);
    x->s = s;
    x->st = st;
    return x;
}

void asr_stmt_free(asr_stmt *st)
{
    if (!st)
        return;
    sqlite3_finalize(st->st);
    free(st);
}

void asr_stmt_reset(asr_stmt *st)
{
    sqlite3_reset(st->st);
    sqlite3_clear_bindings(st->st);
}

void asr_stmt_bind_text(asr_stmt *st, int idx, const char *v)
{
    if (v)
        sqlite3_bind_text(st->st, idx, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st->st, idx);
}

void asr_stmt_bind_textn(asr_stmt *st, int idx, const char *v, size_t len)
{
    sqlite3_bind_text64(st->st, idx, v, len, SQLITE_TRANSIENT, SQLITE_UTF8);
}

void asr_stmt_bind_int(asr_stmt *st, int idx, int64_t v)
{
    sqlite3_bind_int64(st->st, idx, v);
}

int asr_stmt_step(asr_stmt *st, asr_diag *d, const char *doing)
{
    int rc = sqlite3_step(st->st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    st->status = db_error(st->s, d, rc, doing);
    sqlite3_reset(st->st);
    return -1;
}

asr_status asr_stmt_status(const asr_stmt *st)
{
    return st->status;
}

int asr_stmt_is_null(asr_stmt *st, int col)
{
    return sqlite3_column_type(st->st, col) == SQLITE_NULL;
}

int asr_stmt_is_number(asr_stmt *st, int col)
{
    int t = sqlite3_column_type(st->st, col);
    return t == SQLITE_INTEGER || t == SQLITE_FLOAT;
}

int64_t asr_stmt_int(asr_stmt *st, int col)
{
    return sqlite3_column_int64(st->st, col);
}

const char *asr_stmt_text(asr_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st->st, col);
    return t ? (const char *)t : "";
}

asr_status asr_store_exec(asr_store *s, const char *sql, const char *doing, asr_diag *d)
{
    return exec(s, d, sql, doing);
}

int asr_store_has_table(asr_store *s, const char *name)
{
    sqlite3_stmt *st = NULL;
    int exists = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_schema WHERE name = ?", -1, &st, NULL) ==
        SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        exists = sqlite3_step(st) == SQLITE_ROW;
    }
    sqlite3_finalize(st);
    return exists;
}
