#include "import.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "csv.h"
#include "date.h"
#include "json.h"
#include "sha256.h"
#include "util.h"
#include "yamltree.h"

#define DEFAULT_MAX_BYTES (4ull << 30)
#define JSON_MAX_BYTES (1ull << 30) /* JSON is read whole; CSV streams */

typedef struct writer writer;

/* Everything needed to check and store the rows of one file. */
typedef struct {
    const asr_map *m;
    const asr_dataset *ds;
    writer *w; /* takes the good rows to the database */
    asr_diag *d;
    const char *file;
    asr_strset *refs;   /* per field: ids it may name, for fields with a ref */
    asr_strmap headers; /* header -> field index */
    long long rows;
    size_t errors_at_start;
    int stopped; /* a store error: stop reading */
    asr_status store_status;
    char newest[11]; /* the newest date value seen */
} rows_ctx;

const char *asr_import_format(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot && strcasecmp(dot, ".csv") == 0)
        return "csv";
    if (dot && strcasecmp(dot, ".json") == 0)
        return "json";
    if (dot && (strcasecmp(dot, ".yaml") == 0 || strcasecmp(dot, ".yml") == 0))
        return "yaml";
    return NULL;
}

/* ---- the writer thread ----
 *
 * Checking rows (CSV parsing, patterns, dates, references) and storing them
 * (SQLite's B-trees, the WAL) cost about 1 : 2.5. The reading thread checks
 * each row and packs the good ones into batches; a writer thread binds and
 * inserts them, so the checks cost no time while a second core is free. The
 * queue holds at most QUEUE_DEPTH batches: memory stays flat. Only the
 * writer touches the database connection until it is joined. A row is
 * packed as its line (4 bytes), its value count (2), then per value the
 * field index (2), a tag (1) and the value: 8 bytes for an integer or a
 * real, a 4-byte length and the bytes for text. */

enum { V_NULL, V_INT, V_REAL, V_TEXT };
#define BATCH_BYTES (256u << 10)
#define QUEUE_DEPTH 4

typedef struct {
    unsigned line, first; /* a duplicate: the first line with that key */
    int check;            /* -1, or the dataset check the row breaks */
} duplicate;

struct writer {
    asr_inserter *ins;
    pthread_t thread;
    int threaded;
    pthread_mutex_t mu;
    pthread_cond_t changed;
    asr_buf *full[QUEUE_DEPTH]; /* FIFO of packed batches waiting */
    size_t head, count;
    asr_buf *spare[QUEUE_DEPTH + 2]; /* emptied batches, for reuse */
    size_t n_spare;
    int done;     /* the reader has no more batches */
    int failed;   /* the writer hit a store error and stopped */
    asr_buf *cur; /* the reader's batch being filled */
    size_t row_start, row_values;
    /* what the writer found; read after the join */
    long long rows;
    duplicate *dups; /* the first keep_dups of them */
    size_t n_dups, cap_dups, keep_dups;
    size_t more_dups; /* found beyond keep_dups: only counted */
    unsigned fail_line;
    char *fail_message;
    asr_status fail_status;
};

/* Keeps a row the database refused, up to the number the problem list can
 * show; beyond that only counts it. */
static void add_duplicate(writer *w, duplicate dup)
{
    if (w->keep_dups && w->n_dups >= w->keep_dups) {
        w->more_dups++;
        return;
    }
    if (w->n_dups == w->cap_dups) {
        w->cap_dups = w->cap_dups ? w->cap_dups * 2 : 16;
        w->dups = asr_xrealloc(w->dups, w->cap_dups * sizeof *w->dups);
    }
    w->dups[w->n_dups++] = dup;
}

/* Inserts every row of one batch. */
static void write_batch(writer *w, const asr_buf *b)
{
    const unsigned char *p = (const unsigned char *)b->data, *end = p + b->len;
    while (p < end && !w->failed) {
        unsigned line = asr_be32_get((const char *)p);
        size_t n = (size_t)p[4] << 8 | p[5];
        p += 6;
        for (size_t i = 0; i < n; i++) {
            size_t k = (size_t)p[0] << 8 | p[1];
            int tag = p[2];
            p += 3;
            if (tag == V_NULL) {
                asr_ins_null(w->ins, k);
            } else if (tag == V_TEXT) {
                uint32_t len = asr_be32_get((const char *)p);
                asr_ins_text(w->ins, k, (const char *)p + 4, len);
                p += 4 + len;
            } else {
                char raw[8];
                memcpy(raw, p, 8);
                p += 8;
                if (tag == V_INT) {
                    int64_t v;
                    memcpy(&v, raw, 8);
                    asr_ins_int(w->ins, k, v);
                } else {
                    double v;
                    memcpy(&v, raw, 8);
                    asr_ins_real(w->ins, k, v);
                }
            }
        }
        unsigned first = 0;
        switch (asr_inserter_add(w->ins, line, &first)) {
        case ASR_INS_OK:
            w->rows++;
            break;
        case ASR_INS_DUPLICATE:
            add_duplicate(w, (duplicate){line, first, -1});
            break;
        case ASR_INS_CHECK:
            add_duplicate(w, (duplicate){line, 0, (int)first});
            break;
        case ASR_INS_ERROR:
            w->fail_line = line;
            w->fail_message = asr_xstrdup(asr_inserter_error(w->ins, &w->fail_status));
            pthread_mutex_lock(&w->mu);
            w->failed = 1;
            pthread_cond_broadcast(&w->changed);
            pthread_mutex_unlock(&w->mu);
            break;
        }
    }
}

static void *writer_main(void *arg)
{
    writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->count == 0 && !w->done)
            pthread_cond_wait(&w->changed, &w->mu);
        if (w->count == 0)
            break;
        asr_buf *b = w->full[w->head];
        w->head = (w->head + 1) % QUEUE_DEPTH;
        w->count--;
        pthread_cond_broadcast(&w->changed);
        pthread_mutex_unlock(&w->mu);
        write_batch(w, b); /* failed is only set here, by this thread */
        asr_buf_clear(b);
        pthread_mutex_lock(&w->mu);
        w->spare[w->n_spare++] = b;
        pthread_cond_broadcast(&w->changed);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

static void writer_start(writer *w, asr_inserter *ins, size_t keep_dups)
{
    memset(w, 0, sizeof *w);
    w->ins = ins;
    w->keep_dups = keep_dups;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->changed, NULL);
    for (size_t i = 0; i < QUEUE_DEPTH + 1; i++)
        w->spare[w->n_spare++] = asr_xcalloc(1, sizeof(asr_buf));
    w->cur = w->spare[--w->n_spare];
    w->threaded = pthread_create(&w->thread, NULL, writer_main, w) == 0;
}

/* Hands the reader's batch to the writer (waiting while the queue is full)
 * and takes an empty one. Without a thread, inserts it here. Returns
 * non-zero once the writer has failed: the reader should stop. */
static int writer_push(writer *w)
{
    if (!w->threaded) {
        write_batch(w, w->cur);
        asr_buf_clear(w->cur);
        return w->failed;
    }
    pthread_mutex_lock(&w->mu);
    while ((w->count == QUEUE_DEPTH || w->n_spare == 0) && !w->failed)
        pthread_cond_wait(&w->changed, &w->mu);
    int failed = w->failed;
    if (!failed) {
        w->full[(w->head + w->count) % QUEUE_DEPTH] = w->cur;
        w->count++;
        w->cur = w->spare[--w->n_spare];
        pthread_cond_broadcast(&w->changed);
    } else {
        asr_buf_clear(w->cur);
    }
    pthread_mutex_unlock(&w->mu);
    return failed;
}

/* Sends what is left, waits for the writer and frees the queue. */
static void writer_finish(writer *w)
{
    if (w->cur->len)
        writer_push(w);
    if (w->threaded) {
        pthread_mutex_lock(&w->mu);
        w->done = 1;
        pthread_cond_broadcast(&w->changed);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->thread, NULL);
    }
    asr_buf_free(w->cur);
    free(w->cur);
    for (size_t i = 0; i < w->n_spare; i++) {
        asr_buf_free(w->spare[i]);
        free(w->spare[i]);
    }
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->changed);
}

static void writer_free(writer *w)
{
    free(w->dups);
    free(w->fail_message);
}

/* The reader's side: a row's values, then keep or drop it. */
static void row_begin(writer *w, unsigned line)
{
    w->row_start = w->cur->len;
    w->row_values = 0;
    asr_buf_add_be32(w->cur, line);
    asr_buf_add_be16(w->cur, 0); /* the count, set by row_end */
}

static void value_head(writer *w, size_t k, int tag)
{
    asr_buf_add_be16(w->cur, (uint16_t)k);
    asr_buf_addc(w->cur, (char)tag);
    w->row_values++;
}

static void value_null(writer *w, size_t k)
{
    value_head(w, k, V_NULL);
}

static void value_text(writer *w, size_t k, const char *v, size_t len)
{
    value_head(w, k, V_TEXT);
    asr_buf_add_be32(w->cur, (uint32_t)len);
    asr_buf_add(w->cur, v, len);
}

static void value_num(writer *w, size_t k, int tag, const void *eight_bytes)
{
    value_head(w, k, tag);
    asr_buf_add(w->cur, eight_bytes, 8);
}

/* Keeps the row (ok) or forgets it; 0, or non-zero once the writer failed. */
static int row_end(writer *w, int ok)
{
    if (!ok) {
        w->cur->len = w->row_start;
        return 0;
    }
    w->cur->data[w->row_start + 4] = (char)(w->row_values >> 8);
    w->cur->data[w->row_start + 5] = (char)w->row_values;
    return w->cur->len >= BATCH_BYTES ? writer_push(w) : 0;
}

/* ---- checking one value ---- */

static void bad_value(rows_ctx *c, const asr_field *f, unsigned line, unsigned col, const char *v,
                      size_t len, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static void bad_value(rows_ctx *c, const asr_field *f, unsigned line, unsigned col, const char *v,
                      size_t len, const char *fmt, ...)
{
    char q[200];
    asr_buf msg = {0};
    va_list ap;
    va_start(ap, fmt);
    asr_buf_vaddf(&msg, fmt, ap);
    va_end(ap);
    asr_loc l = {c->file, line, col};
    asr_error(c->d, &l, f->header, "%s: %s", asr_quote_value(v, len, q, sizeof q), msg.data);
    asr_buf_free(&msg);
}

/* Strict whole numbers: optional '-', digits, no leading zero, fits int64. */
static const char *parse_int64(const char *s, size_t len, int64_t *out)
{
    size_t i = s[0] == '-' ? 1 : 0;
    if (i == len)
        return "not a whole number";
    for (size_t k = i; k < len; k++)
        if (s[k] < '0' || s[k] > '9')
            return "not a whole number";
    if (s[i] == '0' && len - i > 1)
        return "a whole number may not start with 0 (an id column should be text)";
    if (len - i > 18)
        return "number too large";
    int64_t v = 0;
    for (size_t k = i; k < len; k++)
        v = v * 10 + (s[k] - '0');
    *out = i ? -v : v;
    return NULL;
}

/* Strict decimals: -?digits(.digits)?; no exponent, no thousands separator. */
static const char *parse_decimal(const char *s, size_t len, double *out)
{
    size_t i = s[0] == '-' ? 1 : 0, digits = 0, frac = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9')
        i++, digits++;
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++, frac++;
        if (!frac)
            return "not a decimal number";
    }
    if (!digits || i != len) {
        for (size_t k = 0; k < len; k++)
            if (s[k] == 'e' || s[k] == 'E')
                return "scientific notation is not accepted (a spreadsheet may have changed "
                       "this value)";
        return "not a decimal number";
    }
    *out = strtod(s, NULL);
    return NULL;
}

static int parse_bool(const char *s, size_t len, int *out)
{
    static const char *const yes[] = {"true", "yes", "y", "1"}, *const no[] = {"false", "no", "n",
                                                                               "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strlen(yes[i]) == len && strncasecmp(s, yes[i], len) == 0)
            return *out = 1, 0;
        if (strlen(no[i]) == len && strncasecmp(s, no[i], len) == 0)
            return *out = 0, 0;
    }
    return -1;
}

static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

static const char *ref_word(asr_ref r)
{
    switch (r) {
    case ASR_REF_AREAS:
        return "area";
    case ASR_REF_SOURCES:
        return "source";
    case ASR_REF_UNITS:
        return "unit";
    case ASR_REF_LINES:
        return "line";
    case ASR_REF_PRINCIPLES:
        return "principle";
    default:
        return "item";
    }
}

static const char *suggest_ref(const asr_map *m, asr_ref r, const char *v)
{
    switch (r) {
    case ASR_REF_AREAS:
        return asr_did_you_mean_ids(v, m->areas, m->n_areas, sizeof *m->areas);
    case ASR_REF_SOURCES:
        return asr_did_you_mean_ids(v, m->sources, m->n_sources, sizeof *m->sources);
    case ASR_REF_UNITS:
        return asr_did_you_mean_ids(v, m->units, m->n_units, sizeof *m->units);
    case ASR_REF_LINES:
        return asr_did_you_mean_ids(v, m->lines, m->n_lines, sizeof *m->lines);
    case ASR_REF_PRINCIPLES:
        return asr_did_you_mean_ids(v, m->principles, m->n_principles, sizeof *m->principles);
    default:
        return NULL;
    }
}

/* Checks value v (NUL-terminated, len bytes) for field k and binds it.
 * jkind is the JSON kind, or -1 for CSV text. Returns 0 or -1 (reported). */
static int put_value(rows_ctx *c, size_t k, const char *v, size_t len, int jkind, unsigned line,
                     unsigned col)
{
    const asr_field *f = &c->ds->fields[k];
    if (jkind == ASR_JNULL || len == 0) {
        if (f->required) {
            bad_value(c, f, line, col, v, len, "a value is required");
            return -1;
        }
        value_null(c->w, k);
        return 0;
    }
    int is_string = jkind < 0 || jkind == ASR_JSTRING;
    switch (f->type) {
    case ASR_FT_TEXT:
        if (!is_string) {
            bad_value(c, f, line, col, v, len, "expected text in double quotes");
            return -1;
        }
        if (f->max_length && utf8_chars(v, len) > (size_t)f->max_length) {
            bad_value(c, f, line, col, v, len, "longer than %ld characters", f->max_length);
            return -1;
        }
        if (f->has_regex && regexec(&f->regex, v, 0, NULL, 0) != 0) {
            bad_value(c, f, line, col, v, len, "does not match the pattern %s", f->pattern);
            return -1;
        }
        if (f->ref && !asr_strset_has(&c->refs[k], v, len)) {
            const char *hint = asr_diag_full(c->d) ? NULL : suggest_ref(c->m, f->ref, v);
            bad_value(c, f, line, col, v, len, "no %s with this id in the map%s%s%s",
                      ref_word(f->ref), hint ? "; did you mean '" : "", hint ? hint : "",
                      hint ? "'?" : "");
            return -1;
        }
        value_text(c->w, k, v, len);
        return 0;
    case ASR_FT_INTEGER: {
        int64_t n;
        const char *why = jkind == ASR_JSTRING || jkind == ASR_JBOOL ? "expected a number"
                                                                     : parse_int64(v, len, &n);
        if (why) {
            bad_value(c, f, line, col, v, len, "%s", why);
            return -1;
        }
        value_num(c->w, k, V_INT, &n);
        return 0;
    }
    case ASR_FT_DECIMAL: {
        double x;
        const char *why = jkind == ASR_JSTRING || jkind == ASR_JBOOL ? "expected a number"
                                                                     : parse_decimal(v, len, &x);
        if (why) {
            bad_value(c, f, line, col, v, len, "%s", why);
            return -1;
        }
        value_num(c->w, k, V_REAL, &x);
        return 0;
    }
    case ASR_FT_DATE: {
        asr_date dt;
        const char *why = is_string ? asr_date_parse(v, len, f->date_format, &dt)
                                    : "expected a date in double quotes";
        if (why) {
            bad_value(c, f, line, col, v, len, "%s", why);
            return -1;
        }
        char iso[11];
        asr_date_format_iso(dt, iso);
        if ((long)k == c->ds->recency && memcmp(iso, c->newest, 10) > 0)
            memcpy(c->newest, iso, 11);
        /* Stored as ISO text: it sorts and compares correctly, and SQLite's
         * date functions read it. */
        value_text(c->w, k, iso, 10);
        return 0;
    }
    case ASR_FT_BOOLEAN: {
        int b;
        if (jkind == ASR_JBOOL) {
            b = v[0] == 't';
        } else if (jkind >= 0 || parse_bool(v, len, &b)) {
            bad_value(c, f, line, col, v, len,
                      jkind >= 0 ? "expected true or false"
                                 : "expected true/false, yes/no, y/n or 1/0");
            return -1;
        }
        int64_t n = b;
        value_num(c->w, k, V_INT, &n);
        return 0;
    }
    case ASR_FT_ENUM:
        if (!is_string) {
            bad_value(c, f, line, col, v, len, "expected one of the allowed values in quotes");
            return -1;
        }
        for (size_t i = 0; i < f->n_values; i++) {
            if (strlen(f->values[i]) == len && memcmp(f->values[i], v, len) == 0) {
                value_text(c->w, k, f->values[i], len);
                return 0;
            }
        }
        if (asr_diag_full(c->d)) {
            bad_value(c, f, line, col, v, len, "not an allowed value"); /* only counted */
        } else {
            asr_buf allowed = {0};
            for (size_t i = 0; i < f->n_values && i < 12; i++)
                asr_buf_addf(&allowed, "%s%s", i ? ", " : "", f->values[i]);
            if (f->n_values > 12)
                asr_buf_adds(&allowed, ", ...");
            const char *hint = asr_did_you_mean_ids(v, f->values, f->n_values, sizeof *f->values);
            bad_value(c, f, line, col, v, len, "not an allowed value (%s)%s%s%s", allowed.data,
                      hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
            asr_buf_free(&allowed);
        }
        return -1;
    }
    return -1;
}

/* Ends the row begun with row_begin: stored if row_ok, else forgotten. */
static void add_row(rows_ctx *c, int row_ok)
{
    if (row_end(c->w, row_ok))
        c->stopped = 1; /* the writer failed; its error is reported at the end */
}

/* After the writer has finished: its rows, duplicates and any store error. */
static void writer_report(rows_ctx *c, writer *w)
{
    c->rows = w->rows;
    if (w->n_dups) {
        asr_buf key = {0};
        for (size_t k = 0; k < c->ds->n_key; k++)
            asr_buf_addf(&key, "%s%s", k ? ", " : "", c->ds->fields[c->ds->key[k]].header);
        for (size_t i = 0; i < w->n_dups; i++) {
            asr_loc l = {c->file, w->dups[i].line, 0};
            int k = w->dups[i].check;
            if (k >= 0 && (size_t)k < c->ds->n_checks)
                asr_error(c->d, &l, NULL, "%s", c->ds->check_messages[k]);
            else
                asr_error(c->d, &l, NULL, "duplicate key (%s): the same as line %u", key.data,
                          w->dups[i].first);
        }
        asr_buf_free(&key);
    }
    asr_diag_count_dropped(c->d, w->more_dups);
    if (w->failed) {
        asr_loc l = {c->file, w->fail_line, 0};
        asr_error(c->d, &l, NULL, "cannot store the row: %s", w->fail_message);
        c->stopped = 1;
        c->store_status = w->fail_status;
    }
}

/* ---- CSV ---- */

static void expected_columns(const asr_dataset *ds, asr_buf *out)
{
    for (size_t i = 0; i < ds->n_fields; i++)
        asr_buf_addf(out, "%s%s%s", i ? ", " : "", ds->fields[i].header,
                     ds->fields[i].required ? "*" : "");
}

/* Reads the header and maps each column to a field. Returns the mapping
 * (column -> field index) or NULL after reporting the problems. */
static size_t *read_header(rows_ctx *c, asr_csv *csv, size_t *ncols)
{
    asr_csv_record rec;
    asr_csv_result r = asr_csv_next(csv, &rec);
    asr_loc l = {c->file, 1, 0};
    if (r == ASR_CSV_END) {
        asr_error(c->d, &l, NULL, "the file is empty; expected a header line naming the columns");
        return NULL;
    }
    if (r != ASR_CSV_RECORD) {
        size_t fi;
        unsigned line;
        const char *msg = asr_csv_error(csv, &fi, &line);
        l.line = line;
        asr_error(c->d, &l, "header", "%s", msg);
        return NULL;
    }
    const asr_dataset *ds = c->ds;
    size_t *map = asr_xmalloc(rec.n * sizeof *map);
    int *seen = asr_xcalloc(ds->n_fields, sizeof *seen);
    size_t errors = c->d->errors;
    const char **headers = asr_xcalloc(ds->n_fields + 1, sizeof *headers);
    for (size_t i = 0; i < ds->n_fields; i++)
        headers[i] = ds->fields[i].header;
    for (size_t col = 0; col < rec.n; col++) {
        const char *h = rec.fields[col];
        size_t k = ds->n_fields;
        asr_strmap_get(&c->headers, h, rec.lens[col], &k);
        char q[200];
        asr_quote_value(h, rec.lens[col], q, sizeof q);
        if (k == ds->n_fields) {
            const char *hint = asr_diag_full(c->d) ? NULL : asr_did_you_mean(h, headers);
            asr_error(c->d, &l, NULL, "column %zu %s is not a column of dataset '%s'%s%s%s",
                      col + 1, q, ds->id, hint ? "; did you mean '" : "", hint ? hint : "",
                      hint ? "'?" : "");
            continue;
        }
        if (seen[k]) {
            asr_error(c->d, &l, NULL, "column %zu %s appears twice (also column %d)", col + 1, q,
                      seen[k]);
            continue;
        }
        seen[k] = (int)col + 1;
        map[col] = k;
    }
    for (size_t k = 0; k < ds->n_fields; k++)
        if (!seen[k] && ds->fields[k].required)
            asr_error(c->d, &l, NULL, "required column '%s' is missing", ds->fields[k].header);
    if (c->d->errors > errors) {
        asr_buf exp = {0};
        expected_columns(ds, &exp);
        asr_error(c->d, &l, NULL, "dataset '%s' takes the columns: %s (* = required)", ds->id,
                  exp.data);
        asr_buf_free(&exp);
        free(map);
        map = NULL;
    }
    free(seen);
    free(headers);
    *ncols = rec.n;
    return map;
}

static void import_csv(rows_ctx *c, FILE *f, size_t max_field, asr_sha256 *hash)
{
    asr_csv *csv = asr_csv_open(f, max_field, hash);
    size_t ncols = 0;
    size_t *map = read_header(c, csv, &ncols);
    if (!map) {
        asr_csv_close(csv);
        return;
    }
    const asr_dataset *ds = c->ds;
    int *present = asr_xmalloc(ds->n_fields * sizeof *present);
    for (;;) {
        asr_csv_record rec;
        asr_csv_result r = asr_csv_next(csv, &rec);
        if (r == ASR_CSV_END)
            break;
        if (r == ASR_CSV_BAD || r == ASR_CSV_FATAL) {
            size_t fi;
            unsigned line;
            const char *msg = asr_csv_error(csv, &fi, &line);
            asr_loc l = {c->file, line, 0};
            const char *col = fi < ncols ? ds->fields[map[fi]].header : NULL;
            asr_error(c->d, &l, col, "%s", msg);
            if (r == ASR_CSV_FATAL)
                break;
            continue;
        }
        if (rec.n != ncols) {
            asr_loc l = {c->file, rec.line, 0};
            asr_error(c->d, &l, NULL, "this row has %zu field%s but the header has %zu", rec.n,
                      rec.n == 1 ? "" : "s", ncols);
            continue;
        }
        int ok = 1;
        memset(present, 0, ds->n_fields * sizeof *present);
        row_begin(c->w, rec.line);
        for (size_t col = 0; col < ncols; col++) {
            present[map[col]] = 1;
            if (put_value(c, map[col], rec.fields[col], rec.lens[col], -1, rec.line, 0))
                ok = 0;
        }
        for (size_t k = 0; k < ds->n_fields; k++)
            if (!present[k])
                value_null(c->w, k); /* optional column left out of the file */
        /* Good rows are stored even after a bad one, so that duplicate keys
         * are still found; the transaction is rolled back at the end. */
        add_row(c, ok);
        if (c->stopped)
            break;
    }
    free(present);
    free(map);
    asr_csv_close(csv);
}

/* ---- JSON ---- */

typedef struct {
    rows_ctx *c;
    const char **headers; /* NULL-terminated, for suggestions */
    int *present;
} json_ctx;

static int json_object(void *ctxp, unsigned line, const asr_jfield *fields, size_t n)
{
    json_ctx *j = ctxp;
    rows_ctx *c = j->c;
    const asr_dataset *ds = c->ds;
    int ok = 1;
    memset(j->present, 0, ds->n_fields * sizeof *j->present);
    row_begin(c->w, line);
    for (size_t i = 0; i < n; i++) {
        size_t k = ds->n_fields;
        asr_strmap_get(&c->headers, fields[i].key, strlen(fields[i].key), &k);
        if (k == ds->n_fields) {
            const char *hint =
                asr_diag_full(c->d) ? NULL : asr_did_you_mean(fields[i].key, j->headers);
            asr_loc l = {c->file, fields[i].line, fields[i].col};
            asr_error(c->d, &l, NULL, "\"%s\" is not a field of dataset '%s'%s%s%s", fields[i].key,
                      ds->id, hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
            ok = 0;
            continue;
        }
        j->present[k] = 1;
        if (put_value(c, k, fields[i].text, fields[i].len, (int)fields[i].kind, fields[i].line,
                      fields[i].col))
            ok = 0;
    }
    for (size_t k = 0; k < ds->n_fields; k++) {
        if (j->present[k])
            continue;
        if (ds->fields[k].required) {
            asr_loc l = {c->file, line, 0};
            asr_error(c->d, &l, ds->fields[k].header, "required field is missing");
            ok = 0;
        }
        value_null(c->w, k);
    }
    add_row(c, ok);
    return c->stopped;
}

static void import_json(rows_ctx *c, const char *data, size_t len)
{
    json_ctx j = {c, NULL, NULL};
    j.headers = asr_xcalloc(c->ds->n_fields + 1, sizeof *j.headers);
    for (size_t i = 0; i < c->ds->n_fields; i++)
        j.headers[i] = c->ds->fields[i].header;
    j.present = asr_xcalloc(c->ds->n_fields, sizeof *j.present);
    asr_json_error err;
    if (asr_json_each_object(data, len, json_object, &j, &err) < 0) {
        asr_loc l = {c->file, err.line, err.col};
        asr_error(c->d, &l, NULL, "%s", err.message);
    }
    free(j.headers);
    free(j.present);
}

/* ---- YAML ----
 * A list of flat mappings -- or a mapping with one key holding such a list,
 * e.g. "waivers: [...]" -- whose keys are the dataset's headers or field
 * names; values are read as a CSV cell would be. For small hand-kept files
 * such as waivers: the whole file is read (at most 8 MiB). */

static size_t yaml_field(const asr_dataset *ds, const char *key)
{
    for (size_t k = 0; k < ds->n_fields; k++)
        if (strcmp(ds->fields[k].header, key) == 0 || strcmp(ds->fields[k].name, key) == 0)
            return k;
    return ds->n_fields;
}

static void import_yaml(rows_ctx *c, const char *path)
{
    asr_ydoc *doc = NULL;
    if (asr_yaml_load_file(path, 0, c->d, &doc) != ASR_OK)
        return;
    const asr_ynode *list = doc->root;
    if (list && list->kind == ASR_YMAP && list->n == 1)
        list = list->items[0];
    const asr_dataset *ds = c->ds;
    if (!list || list->kind != ASR_YSEQ) {
        asr_loc l = {path, list ? list->loc.line : 1, list ? list->loc.col : 1};
        asr_error(c->d, &l, NULL, "expected a list of entries, one per row of dataset '%s'",
                  ds->id);
        asr_ydoc_free(doc);
        return;
    }
    const char **names = asr_xcalloc(ds->n_fields + 1, sizeof *names);
    for (size_t k = 0; k < ds->n_fields; k++)
        names[k] = ds->fields[k].name;
    int *present = asr_xcalloc(ds->n_fields, sizeof *present);
    for (size_t i = 0; i < list->n && !c->stopped; i++) {
        const asr_ynode *e = list->items[i];
        if (e->kind != ASR_YMAP) {
            asr_error(c->d, &e->loc, NULL, "expected a mapping of field to value");
            continue;
        }
        int ok = 1;
        memset(present, 0, ds->n_fields * sizeof *present);
        row_begin(c->w, e->loc.line);
        for (size_t j = 0; j < e->n; j++) {
            const asr_ynode *key = e->keys[j], *v = e->items[j];
            size_t k = yaml_field(ds, key->text);
            if (k == ds->n_fields) {
                const char *hint = asr_diag_full(c->d) ? NULL : asr_did_you_mean(key->text, names);
                asr_error(c->d, &key->loc, NULL, "'%s' is not a field of dataset '%s'%s%s%s",
                          key->text, ds->id, hint ? "; did you mean '" : "", hint ? hint : "",
                          hint ? "'?" : "");
                ok = 0;
                continue;
            }
            present[k] = 1;
            if (v->kind != ASR_YSCALAR) {
                asr_error(c->d, &v->loc, ds->fields[k].header, "expected a single value");
                ok = 0;
                continue;
            }
            const char *text = asr_ynode_is_null(v) ? "" : v->text;
            if (put_value(c, k, text, strlen(text), -1, v->loc.line, v->loc.col))
                ok = 0;
        }
        for (size_t k = 0; k < ds->n_fields; k++) {
            if (present[k])
                continue;
            if (ds->fields[k].required) {
                asr_error(c->d, &e->loc, ds->fields[k].header, "required field is missing");
                ok = 0;
            }
            value_null(c->w, k);
        }
        add_row(c, ok);
    }
    free(present);
    free(names);
    asr_ydoc_free(doc);
}

/* ---- files ---- */

typedef struct {
    const asr_import_spec *spec;
    const asr_dataset *ds;
    const char *format;
    long long size;
    char sha256[65];
    asr_dataset_state before;
    int known; /* imported before */
    int unchanged;
} file_plan;

static asr_status hash_file(const char *path, char out[65], asr_diag *d)
{
    FILE *f = fopen(path, "rb");
    asr_loc l = {path, 0, 0};
    if (!f) {
        asr_error(d, &l, NULL, "cannot open: %s", strerror(errno));
        return ASR_E_NOINPUT;
    }
    asr_sha256 h;
    asr_sha256_init(&h);
    static char buf[1 << 16];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        asr_sha256_update(&h, buf, got);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        asr_error(d, &l, NULL, "read error");
        return ASR_E_IO;
    }
    asr_sha256_final_hex(&h, out);
    return ASR_OK;
}

/* Checks the command's file list and everything that can be known before
 * reading rows: datasets exist, files exist and are within the size cap, and
 * which files are identical to what was last imported. */
static asr_status plan_files(asr_store *s, const asr_map *m, const asr_import_spec *specs, size_t n,
                             unsigned long long max_bytes, asr_diag *d, file_plan *plan)
{
    asr_status worst = ASR_OK;
#define WORSE(st) (worst = worst ? worst : (st))
    for (size_t i = 0; i < n; i++) {
        file_plan *p = &plan[i];
        memset(p, 0, sizeof *p);
        p->spec = &specs[i];
        p->ds = asr_map_dataset(m, specs[i].dataset);
        asr_loc l = {specs[i].path, 0, 0};
        if (!p->ds) {
            const char *hint = asr_did_you_mean_ids(specs[i].dataset, m->datasets, m->n_datasets,
                                                    sizeof *m->datasets);
            asr_error(d, NULL, NULL, "the map declares no dataset '%s'%s%s%s", specs[i].dataset,
                      hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
            WORSE(ASR_E_USAGE);
            continue;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(specs[j].dataset, specs[i].dataset) == 0) {
                asr_error(d, NULL, NULL, "dataset '%s' is given twice; give one file per dataset",
                          specs[i].dataset);
                WORSE(ASR_E_USAGE);
            }
        p->format = asr_import_format(specs[i].path);
        if (!p->format) {
            asr_error(d, &l, NULL, "cannot tell the file type; name it .csv, .json or .yaml");
            WORSE(ASR_E_USAGE);
            continue;
        }
        struct stat sb;
        if (stat(specs[i].path, &sb) != 0) {
            asr_error(d, &l, NULL, "cannot open: %s", strerror(errno));
            WORSE(ASR_E_NOINPUT);
            continue;
        }
        if (!S_ISREG(sb.st_mode)) {
            asr_error(d, &l, NULL, "not a regular file");
            WORSE(ASR_E_NOINPUT);
            continue;
        }
        unsigned long long cap = max_bytes;
        if (strcmp(p->format, "json") == 0 && cap > JSON_MAX_BYTES)
            cap = JSON_MAX_BYTES;
        if (strcmp(p->format, "yaml") == 0 && cap > ASR_YAML_MAX_BYTES)
            cap = ASR_YAML_MAX_BYTES;
        if ((unsigned long long)sb.st_size > cap) {
            asr_error(d, &l, NULL, "file is %lld bytes; the limit is %llu", (long long)sb.st_size,
                      cap);
            WORSE(ASR_E_DATA);
            continue;
        }
        p->size = (long long)sb.st_size;
        p->known = asr_store_dataset_state(s, p->ds->id, &p->before) == 0;
        /* Hash up front only when the file may be the same as last time. */
        if (p->known && p->before.size == p->size &&
            strcmp(p->before.schema_hash, p->ds->schema_hash) == 0) {
            asr_status st = hash_file(specs[i].path, p->sha256, d);
            if (st) {
                WORSE(st);
                continue;
            }
            p->unchanged = strcmp(p->sha256, p->before.sha256) == 0;
        }
    }
#undef WORSE
    return worst;
}

/* Hashing a large file costs about a tenth of an import. A second thread
 * reads the file again (from the page cache) and hashes it while the main
 * thread parses and inserts, so the hash comes off the critical path. */
typedef struct {
    const char *path;
    char hex[65];
    asr_status status;
    asr_diag diag;
    pthread_t thread;
    int started;
} async_hash;

static void *hash_thread(void *p)
{
    async_hash *h = p;
    h->status = hash_file(h->path, h->hex, &h->diag);
    return NULL;
}

static void hash_start(async_hash *h, const char *path)
{
    memset(h, 0, sizeof *h);
    h->path = path;
    asr_diag_init(&h->diag, 4);
    h->started = pthread_create(&h->thread, NULL, hash_thread, h) == 0;
    if (!h->started) /* no thread to be had: hash here instead */
        hash_thread(h);
}

static asr_status hash_finish(async_hash *h, char out[65], asr_diag *d)
{
    if (h->started)
        pthread_join(h->thread, NULL);
    for (size_t i = 0; i < h->diag.count; i++) {
        asr_loc l = {h->diag.items[i].file, 0, 0};
        asr_error(d, &l, NULL, "%s", h->diag.items[i].message);
    }
    asr_diag_free(&h->diag);
    memcpy(out, h->hex, 65);
    return h->status;
}

static asr_strset *ref_sets(const asr_map *m, const asr_dataset *ds)
{
    asr_strset *sets = asr_xcalloc(ds->n_fields, sizeof *sets);
    for (size_t k = 0; k < ds->n_fields; k++)
        if (ds->fields[k].ref)
            asr_map_ref_ids(m, ds->fields[k].ref, &sets[k]);
    return sets;
}

/* Reads one file into its (freshly recreated) table. */
static asr_status load_one(asr_store *s, const asr_map *m, file_plan *p,
                           const asr_import_limits *limits, asr_diag *d, long long *rows,
                           char newest[11])
{
    asr_status st = asr_store_recreate_dataset(s, p->ds, d);
    if (st)
        return st;
    rows_ctx c = {m, p->ds, NULL, d, p->spec->path, NULL, {0}, 0, d->errors, 0, ASR_OK, ""};
    for (size_t k = 0; k < p->ds->n_fields; k++)
        asr_strmap_put(&c.headers, p->ds->fields[k].header, k);
    asr_inserter *ins;
    if ((st = asr_inserter_new(s, p->ds, d, &ins)))
        return st;
    writer w;
    writer_start(&w, ins, d->limit);
    c.w = &w;
    c.refs = ref_sets(m, p->ds);
    asr_loc l = {p->spec->path, 0, 0};
    FILE *f = fopen(p->spec->path, "rb");
    if (!f) {
        asr_error(d, &l, NULL, "cannot open: %s", strerror(errno));
        st = ASR_E_NOINPUT;
        goto done;
    }
    if (strcmp(p->format, "csv") == 0) {
        async_hash ah;
        hash_start(&ah, p->spec->path);
        import_csv(&c, f, limits ? limits->max_field : 0, NULL);
        asr_status hs = hash_finish(&ah, p->sha256, d);
        if (hs && !st)
            st = hs;
    } else if (strcmp(p->format, "yaml") == 0) {
        asr_status hs = hash_file(p->spec->path, p->sha256, d);
        if (hs && !st)
            st = hs;
        import_yaml(&c, p->spec->path);
    } else {
        asr_sha256 h;
        asr_sha256_init(&h);
        char *data = asr_xmalloc((size_t)p->size + 1);
        size_t got = fread(data, 1, (size_t)p->size, f);
        data[got] = '\0';
        asr_sha256_update(&h, data, got);
        import_json(&c, data, got);
        free(data);
        asr_sha256_final_hex(&h, p->sha256);
    }
    if (ferror(f)) {
        asr_error(d, &l, NULL, "read error");
        st = ASR_E_IO;
    }
    fclose(f);
done:
    writer_finish(&w);
    writer_report(&c, &w);
    writer_free(&w);
    if (c.stopped)
        st = c.store_status;
    else if (!st && d->errors > c.errors_at_start)
        st = ASR_E_DATA;
    for (size_t k = 0; k < p->ds->n_fields; k++)
        asr_strset_free(&c.refs[k]);
    free(c.refs);
    asr_strmap_free(&c.headers);
    asr_inserter_free(ins);
    *rows = c.rows;
    memcpy(newest, c.newest, 11);
    return st;
}

static void log_rejected(asr_store *s, const file_plan *plan, size_t n, size_t problems)
{
    /* Best effort, in its own transaction: the data stays as it was. */
    asr_diag quiet;
    asr_diag_init(&quiet, 1);
    if (asr_store_begin(s, &quiet) == ASR_OK) {
        char msg[64];
        snprintf(msg, sizeof msg, "%zu problem%s; nothing imported", problems,
                 problems == 1 ? "" : "s");
        for (size_t i = 0; i < n; i++)
            if (plan[i].ds)
                asr_store_log_import(s, plan[i].ds->id, plan[i].spec->path, plan[i].size,
                                     plan[i].sha256[0] ? plan[i].sha256 : NULL, 0, "rejected", msg,
                                     &quiet);
        if (asr_store_commit(s, &quiet) != ASR_OK)
            asr_store_rollback(s);
    }
    asr_diag_free(&quiet);
}

static void today(char out[11])
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

/* The sanity gates for one file, once its rows are read. Returns 1 when a
 * gate set to stop tripped (reported as an error), else 0. */
static int check_gates(const asr_gates *g, const file_plan *p, const asr_import_result *r,
                       const char *as_of, asr_diag *d)
{
    asr_loc l = {p->spec->path, 0, 0};
    int stop = 0;
    for (int k = 0; k < ASR_N_GATES; k++) {
        const asr_gate *gt = &g->gate[k];
        if (gt->action == ASR_GATE_OFF)
            continue;
        asr_buf why = {0};
        long long prev = r->previous_rows;
        if (k == ASR_GATE_EMPTY_EXPORT && r->rows == 0 && prev > 0) {
            asr_buf_addf(&why, "the export has no rows and would replace the %lld row%s of %s",
                         prev, prev == 1 ? "" : "s", p->ds->id);
        } else if (k == ASR_GATE_ROW_DROP && r->rows > 0 && prev > r->rows &&
                   (double)(prev - r->rows) / (double)prev > gt->threshold) {
            asr_buf_addf(&why,
                         "%lld row%s would replace %lld in %s: a fall of %.0f%%, more than the "
                         "%.0f%% allowed",
                         r->rows, r->rows == 1 ? "" : "s", prev, p->ds->id,
                         100.0 * (double)(prev - r->rows) / (double)prev, 100 * gt->threshold);
        } else if (k == ASR_GATE_STALE_EXPORT && r->newest[0]) {
            asr_date a, b;
            if (!asr_date_parse(r->newest, 10, NULL, &a) && !asr_date_parse(as_of, 10, NULL, &b)) {
                int64_t age = asr_date_to_days(b) - asr_date_to_days(a);
                double most = p->ds->recency_days ? (double)p->ds->recency_days : gt->threshold;
                if ((double)age > most)
                    asr_buf_addf(&why,
                                 "the newest %s in the export is %s, %lld days before the "
                                 "as-of date %s (more than %.0f)",
                                 p->ds->fields[p->ds->recency].header, r->newest, (long long)age,
                                 as_of, most);
            }
        }
        if (why.len) {
            if (gt->action == ASR_GATE_STOP) {
                asr_error(d, &l, NULL,
                          "gate %s: %s; nothing was imported (if this is right, pass "
                          "--accept-gate %s)",
                          asr_gate_names[k], why.data, asr_gate_names[k]);
                stop = 1;
            } else {
                asr_warn(d, &l, NULL, "gate %s: %s", asr_gate_names[k], why.data);
            }
        }
        asr_buf_free(&why);
    }
    return stop;
}

asr_status asr_import_run(asr_store *s, const asr_map *m, const asr_import_spec *specs, size_t n,
                          const asr_import_limits *limits, const asr_import_policy *policy,
                          asr_diag *d, asr_import_result *results)
{
    char as_of[11];
    if (policy && policy->as_of)
        snprintf(as_of, sizeof as_of, "%s", policy->as_of);
    else
        today(as_of);
    asr_gates gates_now = policy && policy->gates ? *policy->gates : m->gates;
    for (size_t i = 0; policy && i < policy->n_accepted; i++)
        asr_gates_accept(&gates_now, policy->accepted[i]);
    const asr_gates *gates = &gates_now;
    long keep = policy && policy->keep_snapshots >= 0 ? policy->keep_snapshots
                                                      : m->retention.keep_snapshots;
    unsigned long long max_bytes =
        limits && limits->max_bytes ? limits->max_bytes : DEFAULT_MAX_BYTES;
    file_plan *plan = asr_xcalloc(n ? n : 1, sizeof *plan);
    for (size_t i = 0; i < n; i++) {
        results[i].outcome = ASR_NOT_IMPORTED;
        results[i].rows = 0;
        results[i].previous_rows = -1;
    }
    size_t errors_before = d->errors;
    asr_status st = plan_files(s, m, specs, n, max_bytes, d, plan);
    if (st) {
        if (st == ASR_E_DATA)
            log_rejected(s, plan, n, d->errors - errors_before);
        free(plan);
        return st;
    }
    char stored_map[65];
    asr_store_map_hash(s, stored_map);
    int map_same = strcmp(stored_map, m->hash) == 0;
    size_t changed = 0;
    for (size_t i = 0; i < n; i++) {
        results[i].previous_rows = plan[i].known ? plan[i].before.rows : -1;
        if (plan[i].unchanged) {
            results[i].outcome = ASR_UNCHANGED;
            results[i].rows = plan[i].before.rows;
        } else {
            changed++;
        }
    }
    if (changed == 0 && map_same) {
        free(plan); /* nothing to do, and nothing written */
        return ASR_OK;
    }

    if ((st = asr_store_begin(s, d)))
        goto out;
    if ((st = asr_store_write_map(s, m, d)))
        goto rollback;
    for (size_t i = 0; i < m->n_datasets; i++)
        if ((st = asr_store_ensure_dataset(s, &m->datasets[i], d)))
            goto rollback;
    asr_status worst = ASR_OK;
    for (size_t i = 0; i < n; i++) {
        if (plan[i].unchanged)
            continue;
        /* What is replaced is counted here, inside the transaction: another
         * import may have committed since the plan was made. */
        if (plan[i].known)
            results[i].previous_rows = asr_store_count_rows(s, plan[i].ds->id);
        if (results[i].previous_rows > 0 && keep > 0) {
            asr_dataset_state was;
            const char *tag = asr_store_dataset_state(s, plan[i].ds->id, &was) == 0 && was.as_of[0]
                                  ? was.as_of
                                  : as_of;
            if ((st = asr_store_snapshot_dataset(s, plan[i].ds, tag, keep, d)))
                goto rollback;
        }
        long long rows = 0;
        asr_status one = load_one(s, m, &plan[i], limits, d, &rows, results[i].newest);
        results[i].rows = rows;
        if (one && one != ASR_E_DATA) {
            st = one; /* the store failed: stop now */
            goto rollback;
        }
        if (one)
            worst = one;
    }
    if (worst) {
        st = worst;
        goto rollback;
    }
    int stopped = 0;
    for (size_t i = 0; i < n; i++)
        if (!plan[i].unchanged)
            stopped |= check_gates(gates, &plan[i], &results[i], as_of, d);
    if (stopped) {
        st = ASR_E_DATA;
        goto rollback;
    }
    for (size_t i = 0; i < n; i++) {
        if (plan[i].unchanged)
            continue;
        asr_dataset_state now = {{0}, {0}, plan[i].size, results[i].rows, {0}};
        memcpy(now.as_of, as_of, sizeof now.as_of);
        memcpy(now.sha256, plan[i].sha256, sizeof now.sha256);
        memcpy(now.schema_hash, plan[i].ds->schema_hash, sizeof now.schema_hash);
        if ((st = asr_store_record_dataset(s, plan[i].ds, plan[i].spec->path, &now, d)) ||
            (st = asr_store_log_import(s, plan[i].ds->id, plan[i].spec->path, plan[i].size,
                                       plan[i].sha256, results[i].rows, "imported", NULL, d)))
            goto rollback;
    }
    if ((st = asr_store_set_map_hash(s, m->hash, d)))
        goto rollback;
    if ((st = asr_store_commit(s, d)))
        goto out;
    for (size_t i = 0; i < n; i++)
        if (!plan[i].unchanged)
            results[i].outcome = ASR_IMPORTED;
    goto out;
rollback:
    asr_store_rollback(s);
    for (size_t i = 0; i < n; i++)
        if (results[i].outcome != ASR_UNCHANGED)
            results[i].rows = 0;
    if (st == ASR_E_DATA)
        log_rejected(s, plan, n, d->errors - errors_before);
out:
    free(plan);
    return st;
}

asr_status asr_import_files(const asr_import_opts *o, const asr_import_spec *specs, size_t n,
                            asr_diag *d, asr_import_result *results)
{
    asr_store_bulk_mode();
    asr_map *m = NULL;
    asr_store *s = NULL;
    asr_status st = asr_map_load(o->map_path, d, &m);
    if (st == ASR_OK)
        st = asr_store_open(o->db_path, ASR_STORE_CREATE, o->busy_ms, d, &s);
    if (st == ASR_OK)
        st = asr_import_run(s, m, specs, n, &o->limits, &o->policy, d, results);
    asr_store_close(s);
    asr_map_free(m);
    return st;
}
