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
#include "progress.h"
#include "sha256.h"
#include "util.h"
#include "xlsx.h"
#include "yamltree.h"

#define DEFAULT_MAX_BYTES (4ull << 30)
#define JSON_MAX_BYTES (1ull << 30) /* JSON is read whole; CSV streams */

typedef struct writer writer;

#define MAX_ALT 8
#define CHECKPOINT_ROWS 100000 /* an import this big truncates the WAL after it */

/* Everything needed to check and store the rows of one file. */
typedef struct {
    const asr_map *m;
    const asr_dataset *ds;
    writer *w; /* takes the good rows to the database */
    asr_diag *d;
    const char *file;
    asr_strset *refs;   /* per field: ids it may name, for fields with a ref */
    asr_strmap headers; /* JSON: key -> the field it names (n_fields: none), as met */
    long long rows;
    size_t errors_at_start;
    int stopped; /* a store error: stop reading */
    asr_status store_status;
    char newest[11];       /* the newest date value seen */
    asr_date_rules *dates; /* per field: how its dates are read (layout fields) */
    const char **heading;  /* per field: the file's own heading for it, for messages */
    size_t *unknown;       /* per field: values left empty by other: none */
    asr_arena names;       /* the headings' copies */
    long long skipped;     /* rows skip_rows dropped */
    long long blank;       /* rows with no value at all, passed over */
    const asr_xlsx *xlsx;  /* reading a worksheet: places are its cells */
    int sheet_named;       /* the worksheet was named, not taken as the first */
    long (*alt)[MAX_ALT];  /* per field with coalesce: its further columns, -1 after the last */
    int json;              /* reading JSON: a place's column is a character's */
    char place[400];       /* the last place formatted for a message */
    const char *as_of;     /* the date of the data, for a date field's value: as-of */
    const unsigned *grid_lines; /* records: columns -- the file's line of each grid row */
    asr_progress *progress;     /* NULL, or told how far reading has got */
    long long read;             /* records read, for progress */
} rows_ctx;

/* The value a field gives every row: its value, where value: as-of on a
 * date field is the date the export is of (a report's date, when its table
 * has none). */
static const char *field_value(const rows_ctx *c, const asr_field *f)
{
    return f->type == ASR_FT_DATE && strcmp(f->value, "as-of") == 0 ? c->as_of : f->value;
}

/* Where a problem is, for a message: file:line in a CSV file, file:line:col
 * in JSON, and the cell (tracker.xlsx:Actions!C7) or row (tracker.xlsx:
 * Actions row 7) in a worksheet. col is 1-based; 0 when no column is meant. */
static asr_loc place(rows_ctx *c, unsigned line, unsigned col)
{
    if (c->grid_lines) {
        /* records: columns -- the record is column `line`; a value in it,
         * the grid's row `col`, which came from the file's line grid_lines[] */
        unsigned row = col ? c->grid_lines[col - 1] : 0;
        if (c->xlsx && col)
            asr_xlsx_place(c->xlsx, row, line - 1, c->place, sizeof c->place);
        else if (c->xlsx)
            snprintf(c->place, sizeof c->place, "%s:%s column %u", c->file, asr_xlsx_sheet(c->xlsx),
                     line);
        else if (col)
            snprintf(c->place, sizeof c->place, "%s:%u, column %u", c->file, row, line);
        else
            snprintf(c->place, sizeof c->place, "%s column %u", c->file, line);
        return (asr_loc){c->place, 0, 0};
    }
    if (!c->xlsx)
        return (asr_loc){c->file, line, c->json ? col : 0};
    if (col)
        asr_xlsx_place(c->xlsx, line, col - 1, c->place, sizeof c->place);
    else
        snprintf(c->place, sizeof c->place, "%s:%s row %u", c->file, asr_xlsx_sheet(c->xlsx), line);
    return (asr_loc){c->place, 0, 0};
}

/* A worksheet is named FILE.xlsx#SHEET; a '#' anywhere else is part of
 * the file's name. Returns where the sheet's name starts, or NULL. */
static const char *sheet_part(const char *path)
{
    const char *hash = strrchr(path, '#');
    if (!hash || hash - path < 5 || strncasecmp(hash - 5, ".xlsx", 5) != 0)
        return NULL;
    return hash + 1;
}

const char *asr_import_format(const char *path)
{
    if (sheet_part(path))
        return "xlsx";
    const char *dot = strrchr(path, '.');
    if (dot && strcasecmp(dot, ".xlsx") == 0)
        return "xlsx";
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
    asr_loc l = place(c, line, col);
    size_t k = (size_t)(f - c->ds->fields);
    const char *name = c->heading && c->heading[k] ? c->heading[k] : f->header;
    asr_error(c->d, &l, name, "%s: %s", asr_quote_value(v, len, q, sizeof q), msg.data);
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

/* Spaces (and no-break spaces) at either end of a value are not part of it. */
static void trim(const char **v, size_t *len)
{
    const char *s = *v;
    size_t n = *len;
    for (;;) {
        if (n && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r' || s[0] == '\n'))
            s++, n--;
        else if (n >= 2 && (unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0)
            s += 2, n -= 2;
        else
            break;
    }
    for (;;) {
        if (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
            n--;
        else if (n >= 2 && (unsigned char)s[n - 2] == 0xC2 && (unsigned char)s[n - 1] == 0xA0)
            n -= 2;
        else
            break;
    }
    *v = s;
    *len = n;
}

/* Words compare ignoring case and runs of spaces. */
static int same_words(const char *a, size_t an, const char *b, size_t bn)
{
    size_t i = 0, j = 0;
    for (;;) {
        while (i < an && a[i] == ' ' && (i == 0 || a[i - 1] == ' '))
            i++;
        while (j < bn && b[j] == ' ' && (j == 0 || b[j - 1] == ' '))
            j++;
        if (i == an || j == bn) {
            while (i < an && a[i] == ' ')
                i++;
            while (j < bn && b[j] == ' ')
                j++;
            return i == an && j == bn;
        }
        int x = (unsigned char)a[i], y = (unsigned char)b[j];
        if (x >= 'A' && x <= 'Z')
            x += 32;
        if (y >= 'A' && y <= 'Z')
            y += 32;
        if (x != y)
            return 0;
        i++, j++;
    }
}

/* A synonym's word against a value: case and spaces aside, with "*" at
 * either end standing for any start or end. */
static int synonym_matches(const char *from, const char *v, size_t len)
{
    size_t fl = strlen(from);
    int head = fl && from[0] == '*', tail = fl > 1 && from[fl - 1] == '*';
    const char *w = from + head;
    size_t wl = fl - (size_t)head - (size_t)tail;
    if (!head && !tail)
        return same_words(w, wl, v, len);
    for (size_t at = 0; at + wl <= len; at++) {
        if (!head && at > 0)
            break;
        if (!tail && at + wl != len)
            continue;
        if (same_words(w, wl, v + at, wl))
            return 1;
    }
    return 0;
}

static int is_none_word(const asr_field *f, const char *v, size_t len)
{
    for (size_t i = 0; i < f->n_none; i++)
        if (same_words(f->none[i], strlen(f->none[i]), v, len))
            return 1;
    return 0;
}

/* A field declared with after: the text that follows the first of its
 * phrases found (any case), trimmed; empty when the cell names none, so
 * "Complete Final report issued 25 October 2011" gives a final-report date
 * and "Draft report issued 1 November 2011" gives none. */
static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static void text_after(const asr_field *f, const char **v, size_t *len)
{
    for (size_t i = 0; i < f->n_after; i++) {
        size_t pl = strlen(f->after[i]);
        for (size_t at = 0; pl && at + pl <= *len; at++) {
            size_t k = 0;
            while (k < pl && ascii_lower((unsigned char)(*v)[at + k]) ==
                                 ascii_lower((unsigned char)f->after[i][k]))
                k++;
            if (k == pl) {
                *v += at + pl;
                *len -= at + pl;
                trim(v, len);
                return;
            }
        }
    }
    *len = 0;
}

/* A number may end in %: "40%" is 40. */
static void strip_percent(const char **v, size_t *len)
{
    if (*len && (*v)[*len - 1] == '%') {
        (*len)--;
        while (*len && (*v)[*len - 1] == ' ')
            (*len)--;
    }
}

/* A date field read with layouts: every date in the cell, then the one
 * the field picks. 1: a date in *out; 0: none (pick: later with one date);
 * -1: a problem, reported. */
static int layout_date(rows_ctx *c, size_t k, const char *v, size_t len, unsigned line,
                       unsigned col, asr_date *out, asr_date_precision *prec)
{
    const asr_field *f = &c->ds->fields[k];
    asr_date d[8];
    asr_date_precision p[8];
    size_t n = 0;
    const char *why = asr_date_read(v, len, &c->dates[k], d, p, 8, &n);
    if (why) {
        bad_value(c, f, line, col, v, len, "%s", why);
        return -1;
    }
    size_t at = 0;
    switch (f->pick) {
    case ASR_PICK_ONE:
        if (n > 1) {
            bad_value(c, f, line, col, v, len,
                      "holds %zu dates; if the cell gives an original date and its revision, "
                      "declare pick: first, last or later",
                      n);
            return -1;
        }
        break;
    case ASR_PICK_FIRST:
        break;
    case ASR_PICK_LAST:
        at = n - 1;
        break;
    case ASR_PICK_LATER:
        if (n < 2)
            return 0;
        at = n - 1;
        break;
    }
    *out = d[at];
    *prec = p[at];
    return 1;
}

/* Checks value v (NUL-terminated, len bytes) for field k and binds it.
 * jkind is the JSON kind, or -1 for CSV text. Returns 0 or -1 (reported). */
static int put_value(rows_ctx *c, size_t k, const char *v, size_t len, int jkind, unsigned line,
                     unsigned col)
{
    const asr_field *f = &c->ds->fields[k];
    if (jkind < 0 || jkind == ASR_JSTRING)
        trim(&v, &len);
    if (f->n_after && (jkind < 0 || jkind == ASR_JSTRING))
        text_after(f, &v, &len);
    int partial = f->partial;
    if (jkind == ASR_JNULL || len == 0 || is_none_word(f, v, len)) {
        if (f->required) {
            bad_value(c, f, line, col, v, len, "a value is required");
            return -1;
        }
        value_null(c->w, k);
        if (partial)
            value_null(c->w, asr_precision_column(c->ds, k));
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
        if (f->has_regex) {
            /* regexec needs the value on its own */
            char small[256];
            char *copy = len < sizeof small ? small : asr_xmalloc(len + 1);
            memcpy(copy, v, len);
            copy[len] = '\0';
            int bad = regexec(&f->regex, copy, 0, NULL, 0) != 0;
            if (copy != small)
                free(copy);
            if (bad) {
                bad_value(c, f, line, col, v, len, "does not match the pattern %s", f->pattern);
                return -1;
            }
        }
        if (f->ref && !asr_strset_has(&c->refs[k], v, len)) {
            const char *hint = NULL;
            if (!asr_diag_full(c->d)) {
                char *word = asr_xstrndup(v, len);
                hint = suggest_ref(c->m, f->ref, word);
                free(word);
            }
            bad_value(c, f, line, col, v, len, "no %s with this id in the map%s%s%s",
                      ref_word(f->ref), hint ? "; did you mean '" : "", hint ? hint : "",
                      hint ? "'?" : "");
            return -1;
        }
        value_text(c->w, k, v, len);
        return 0;
    case ASR_FT_INTEGER: {
        int64_t n;
        if (is_string)
            strip_percent(&v, &len);
        const char *why = jkind == ASR_JSTRING || jkind == ASR_JBOOL ? "expected a number"
                          : len == 0                                 ? "not a whole number"
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
        if (is_string)
            strip_percent(&v, &len);
        const char *why = jkind == ASR_JSTRING || jkind == ASR_JBOOL ? "expected a number"
                          : len == 0                                 ? "not a decimal number"
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
        asr_date_precision prec = ASR_PREC_DAY;
        if (!is_string) {
            bad_value(c, f, line, col, v, len, "expected a date in double quotes");
            return -1;
        }
        if (f->n_layouts) {
            int got = layout_date(c, k, v, len, line, col, &dt, &prec);
            if (got < 0)
                return -1;
            if (got == 0) {
                value_null(c->w, k);
                if (partial)
                    value_null(c->w, asr_precision_column(c->ds, k));
                return 0;
            }
        } else {
            const char *why = asr_date_parse(v, len, f->date_format, &dt);
            if (why) {
                bad_value(c, f, line, col, v, len, "%s", why);
                return -1;
            }
        }
        char iso[11];
        asr_date_format_iso(dt, iso);
        if ((long)k == c->ds->recency && memcmp(iso, c->newest, 10) > 0)
            memcpy(c->newest, iso, 11);
        /* Stored as ISO text: it sorts and compares correctly, and SQLite's
         * date functions read it. */
        value_text(c->w, k, iso, 10);
        if (partial) {
            const char *pn = asr_date_precision_name(prec);
            value_text(c->w, asr_precision_column(c->ds, k), pn, strlen(pn));
        }
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
        /* the value as written, then ignoring case and spaces, then a synonym */
        for (size_t i = 0; i < f->n_values; i++)
            if (strlen(f->values[i]) == len && memcmp(f->values[i], v, len) == 0) {
                value_text(c->w, k, f->values[i], len);
                return 0;
            }
        for (size_t i = 0; i < f->n_values; i++)
            if (same_words(f->values[i], strlen(f->values[i]), v, len)) {
                value_text(c->w, k, f->values[i], strlen(f->values[i]));
                return 0;
            }
        for (size_t i = 0; i < f->n_synonyms; i++)
            if (synonym_matches(f->synonyms[i].from, v, len)) {
                value_text(c->w, k, f->synonyms[i].to, strlen(f->synonyms[i].to));
                return 0;
            }
        if (f->other_none) {
            c->unknown[k]++;
            value_null(c->w, k);
            return 0;
        }
        if (asr_diag_full(c->d)) {
            bad_value(c, f, line, col, v, len, "not an allowed value"); /* only counted */
        } else {
            asr_buf allowed = {0};
            for (size_t i = 0; i < f->n_values && i < 12; i++)
                asr_buf_addf(&allowed, "%s%s", i ? ", " : "", f->values[i]);
            if (f->n_values > 12)
                asr_buf_adds(&allowed, ", ...");
            char *word = asr_xstrndup(v, len);
            const char *hint =
                asr_did_you_mean_ids(word, f->values, f->n_values, sizeof *f->values);
            free(word);
            bad_value(
                c, f, line, col, v, len, "not an allowed value (%s)%s%s%s%s", allowed.data,
                hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "",
                hint ? "" : "; if the export words it its own way, add it to the field's synonyms");
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
            asr_loc l = place(c, w->dups[i].line, 0);
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
        asr_loc l = place(c, w->fail_line, 0);
        asr_error(c->d, &l, NULL, "cannot store the row: %s", w->fail_message);
        c->stopped = 1;
        c->store_status = w->fail_status;
    }
}

/* ---- headings: which column each field reads ---- */

static void expected_columns(const asr_dataset *ds, asr_buf *out)
{
    size_t shown = 0;
    for (size_t i = 0; i < ds->n_fields; i++) {
        const asr_field *f = &ds->fields[i];
        if (!f->captured)
            continue;
        asr_buf_addf(out, "%s%s%s", shown++ ? ", " : "", f->header,
                     f->required && !f->value ? "*" : "");
    }
}

/* Whether a heading (or key) names field f: any of its headings or its name,
 * ignoring case, spaces and punctuation. */
static int names_field(const asr_field *f, const char *cellkey)
{
    char k[256];
    for (size_t i = 0; i < f->n_headers; i++) {
        asr_heading_key(f->headers[i], k, sizeof k);
        if (strcmp(k, cellkey) == 0)
            return 1;
    }
    asr_heading_key(f->name, k, sizeof k);
    return strcmp(k, cellkey) == 0;
}

/* The fields each of cells[0..n) names: col[k] is field k's column or -1.
 * Returns how many required fields (that must come from the file) have no
 * column. Fields not captured never read a column. */
static size_t match_headings(const asr_dataset *ds, const char *const *cells, size_t n, long *col,
                             long (*alt)[MAX_ALT])
{
    for (size_t k = 0; k < ds->n_fields; k++) {
        col[k] = -1;
        for (size_t a = 0; alt && a < MAX_ALT; a++)
            alt[k][a] = -1;
    }
    for (size_t j = 0; j < n; j++) {
        char key[256];
        asr_heading_key(cells[j], key, sizeof key);
        if (!key[0])
            continue;
        for (size_t k = 0; k < ds->n_fields; k++) {
            if (!ds->fields[k].captured || !names_field(&ds->fields[k], key))
                continue;
            if (col[k] < 0) {
                col[k] = (long)j;
            } else if (ds->fields[k].coalesce && alt) {
                size_t a = 0;
                while (a < MAX_ALT && alt[k][a] >= 0)
                    a++;
                if (a < MAX_ALT)
                    alt[k][a] = (long)j;
            }
        }
    }
    size_t missing = 0;
    for (size_t k = 0; k < ds->n_fields; k++)
        missing +=
            ds->fields[k].captured && ds->fields[k].required && !ds->fields[k].value && col[k] < 0;
    return missing;
}

/* Whether column j is one a coalesce field reads after its first. */
static int alt_column(const rows_ctx *c, size_t k, long j)
{
    for (size_t a = 0; c->alt && a < MAX_ALT && c->alt[k][a] >= 0; a++)
        if (c->alt[k][a] == j)
            return 1;
    return 0;
}

/* Reports on a header row: columns no field reads (errors when the dataset
 * is strict, else one notice), columns that name a field twice, required
 * columns missing. Returns 0 when the header can be used. */
static int check_header(rows_ctx *c, const char *const *cells, const size_t *lens, size_t n,
                        const long *col, unsigned line)
{
    const asr_dataset *ds = c->ds;
    asr_loc l = place(c, line, 0);
    size_t errors = c->d->errors;
    const char **names = asr_xcalloc(ds->n_fields + 1, sizeof *names);
    for (size_t i = 0; i < ds->n_fields; i++)
        names[i] = ds->fields[i].header;
    asr_buf ignored = {0};
    size_t n_ignored = 0;
    for (size_t j = 0; j < n; j++) {
        char key[256];
        asr_heading_key(cells[j], key, sizeof key);
        int used = 0, other = -1, uncaptured = -1;
        for (size_t k = 0; k < ds->n_fields; k++) {
            if (col[k] == (long)j || alt_column(c, k, (long)j))
                used = 1;
            else if (ds->fields[k].captured && key[0] && names_field(&ds->fields[k], key))
                other = (int)k;
            else if (!ds->fields[k].captured && key[0] && names_field(&ds->fields[k], key))
                uncaptured = (int)k;
        }
        char q[200];
        asr_quote_value(cells[j], lens[j], q, sizeof q);
        if (!used && other >= 0) {
            asr_error(c->d, &l, NULL, "column %zu %s appears twice (also column %ld)", j + 1, q,
                      col[other] + 1);
        } else if (!used && ds->strict_columns && lens[j] && uncaptured >= 0) {
            asr_error(c->d, &l, NULL,
                      "column %zu %s is field '%s', which the map says is not captured "
                      "(captured: false); drop the column or the declaration",
                      j + 1, q, ds->fields[uncaptured].name);
        } else if (!used && ds->strict_columns && lens[j]) {
            const char *hint = asr_diag_full(c->d) ? NULL : asr_did_you_mean(cells[j], names);
            asr_error(c->d, &l, NULL, "column %zu %s is not a column of dataset '%s'%s%s%s", j + 1,
                      q, ds->id, hint ? "; did you mean '" : "", hint ? hint : "",
                      hint ? "'?" : "");
        } else if (!used && lens[j]) {
            asr_buf_addf(&ignored, "%s%s", n_ignored++ ? ", " : "", q);
        }
    }
    for (size_t k = 0; k < ds->n_fields; k++)
        if (col[k] < 0 && ds->fields[k].captured && ds->fields[k].required && !ds->fields[k].value)
            asr_error(c->d, &l, NULL, "required column '%s' is missing", ds->fields[k].header);
    if (c->d->errors > errors) {
        asr_buf exp = {0};
        expected_columns(ds, &exp);
        asr_error(c->d, &l, NULL, "dataset '%s' takes the columns: %s (* = required)", ds->id,
                  exp.data);
        asr_buf_free(&exp);
    } else if (n_ignored) {
        asr_warn(c->d, &l, NULL, "%zu column%s no field of dataset '%s' reads, left out: %s",
                 n_ignored, n_ignored == 1 ? "" : "s", ds->id, ignored.data);
    }
    asr_buf_free(&ignored);
    free(names);
    return c->d->errors > errors ? -1 : 0;
}

/* A row's value for field k: its column's, or the field's constant. */
static int row_value(rows_ctx *c, size_t k, const long *col, const char *const *cells,
                     const size_t *lens, size_t n, unsigned line)
{
    const asr_field *f = &c->ds->fields[k];
    if (f->coalesce && c->alt && col[k] >= 0) {
        /* the first of its columns holding anything */
        long use = col[k];
        for (size_t a = 0; a < MAX_ALT && c->alt[k][a] >= 0; a++) {
            const char *v = (size_t)use < n ? cells[use] : "";
            size_t len = (size_t)use < n ? lens[use] : 0;
            trim(&v, &len);
            if (len)
                break;
            use = c->alt[k][a];
        }
        if ((size_t)use < n)
            return put_value(c, k, cells[use], lens[use], -1, line, (unsigned)use + 1);
    } else if (col[k] >= 0 && (size_t)col[k] < n)
        return put_value(c, k, cells[col[k]], lens[col[k]], -1, line, (unsigned)col[k] + 1);
    if (f->value && f->captured)
        return put_value(c, k, field_value(c, f), strlen(field_value(c, f)), -1, line, 0);
    value_null(c->w, k);
    if (f->partial)
        value_null(c->w, asr_precision_column(c->ds, k));
    return 0;
}

/* A row to pass over: no value at all, or a skip_rows word (a Total line). */
static int passed_over(rows_ctx *c, const long *col, const char *const *cells, const size_t *lens,
                       size_t n)
{
    int empty = 1;
    for (size_t j = 0; j < n && empty; j++) {
        const char *v = cells[j];
        size_t len = lens[j];
        trim(&v, &len);
        empty = len == 0;
    }
    if (empty) {
        c->blank++;
        return 1;
    }
    for (size_t i = 0; i < c->ds->n_skips; i++) {
        const asr_skip *sk = &c->ds->skips[i];
        long j = col[sk->field];
        if (j < 0 || (size_t)j >= n)
            continue;
        const char *v = cells[j];
        size_t len = lens[j];
        trim(&v, &len);
        for (size_t w = 0; w < sk->n_words; w++)
            if (synonym_matches(sk->words[w], v, len)) {
                c->skipped++;
                return 1;
            }
    }
    return 0;
}

/* Stores one row of cells read through col. */
static void take_row(rows_ctx *c, const long *col, const char *const *cells, const size_t *lens,
                     size_t n, unsigned line)
{
    if (passed_over(c, col, cells, lens, n))
        return;
    int ok = 1;
    row_begin(c->w, line);
    for (size_t k = 0; k < c->ds->n_fields; k++)
        if (row_value(c, k, col, cells, lens, n, line))
            ok = 0;
    /* Good rows are stored even after a bad one, so that duplicate keys
     * are still found; the transaction is rolled back at the end. */
    add_row(c, ok);
}

/* ---- CSV and worksheets ----
 *
 * Both give records of text cells, one per row; a source hides which. */

typedef struct {
    asr_csv *csv; /* one of the two */
    asr_xlsx *xlsx;
    const long *col; /* the header's columns, once known: to name a bad field */
    /* records: columns -- the whole table, read first, then given a column
     * at a time; a record's line is then its column's number */
    int by_columns;
    asr_buf cells;    /* every cell, NUL-terminated */
    size_t *at, *len; /* per cell of the grid (rows x cols): offset and length */
    unsigned *lines;  /* per grid row: its line in the file */
    size_t rows, cols, next;
    const char **out_fields;
    size_t *out_lens;
} source;

#define COLUMNS_MAX_CELLS (1u << 20) /* a table read by columns is held whole */

typedef struct {
    const char *const *fields;
    const size_t *lens;
    size_t n;
    unsigned line; /* the file's line, or the sheet's row */
} record;

static int source_next_row(rows_ctx *c, source *src, record *r);

/* Reads the whole table for records: columns. 0, or -1 after reporting. */
static int load_columns(rows_ctx *c, source *src)
{
    asr_buf_add(&src->cells, "", 1);
    size_t cap = 0;
    record r;
    int got;
    while ((got = source_next_row(c, src, &r)) != 0) {
        if (got < 0)
            return -1;
        size_t cols = r.n > src->cols ? r.n : src->cols;
        if ((src->rows + 1) * cols > COLUMNS_MAX_CELLS) {
            asr_loc l = place(c, r.line, 0);
            asr_error(c->d, &l, NULL,
                      "a table read by columns may hold at most %u cells; this one holds more",
                      COLUMNS_MAX_CELLS);
            return -1;
        }
        if (cols > src->cols || (src->rows + 1) * cols > cap) {
            /* room for this row, every row read so far widened to the new width */
            size_t ncap = (src->rows + 1) * cols * 2;
            size_t *at = asr_xcalloc(ncap, sizeof *at), *len = asr_xcalloc(ncap, sizeof *len);
            for (size_t i = 0; i < src->rows; i++)
                for (size_t j = 0; j < src->cols; j++) {
                    at[i * cols + j] = src->at[i * src->cols + j];
                    len[i * cols + j] = src->len[i * src->cols + j];
                }
            free(src->at);
            free(src->len);
            src->at = at, src->len = len, src->cols = cols, cap = ncap;
        }
        if (src->rows % 64 == 0)
            src->lines = asr_xrealloc(src->lines, (src->rows + 64) * sizeof *src->lines);
        src->lines[src->rows] = r.line;
        for (size_t j = 0; j < src->cols; j++) {
            size_t k = src->rows * src->cols + j;
            src->at[k] = 0, src->len[k] = 0;
            if (j < r.n && r.lens[j]) {
                src->at[k] = src->cells.len;
                src->len[k] = r.lens[j];
                asr_buf_add(&src->cells, r.fields[j], r.lens[j]);
                asr_buf_add(&src->cells, "", 1);
            }
        }
        src->rows++;
    }
    src->out_fields = asr_xcalloc(src->rows + 1, sizeof *src->out_fields);
    src->out_lens = asr_xcalloc(src->rows + 1, sizeof *src->out_lens);
    c->grid_lines = src->lines;
    return 0;
}

/* The next record: 1, 0 at the end, -1 after reporting a problem that ends
 * the file, -2 after reporting a bad record the reading goes on past. */
static int source_next(rows_ctx *c, source *src, record *r)
{
    if (!src->by_columns)
        return source_next_row(c, src, r);
    if (!src->out_fields && load_columns(c, src))
        return -1;
    if (src->next >= src->cols)
        return 0;
    size_t j = src->next++;
    for (size_t i = 0; i < src->rows; i++) {
        src->out_fields[i] = src->cells.data + src->at[i * src->cols + j];
        src->out_lens[i] = src->len[i * src->cols + j];
    }
    *r = (record){src->out_fields, src->out_lens, src->rows, (unsigned)j + 1};
    return 1;
}

/* One row of the file. */
static int source_next_row(rows_ctx *c, source *src, record *r)
{
    if (src->xlsx) {
        asr_xlsx_record x;
        int got = asr_xlsx_next(src->xlsx, &x, c->d);
        if (got <= 0)
            return got;
        *r = (record){x.fields, x.lens, x.n, x.row};
        return 1;
    }
    asr_csv_record rec;
    asr_csv_result res = asr_csv_next(src->csv, &rec);
    if (res == ASR_CSV_END)
        return 0;
    if (res == ASR_CSV_RECORD) {
        *r = (record){(const char *const *)rec.fields, rec.lens, rec.n, rec.line};
        return 1;
    }
    size_t fi;
    unsigned line;
    const char *msg = asr_csv_error(src->csv, &fi, &line);
    asr_loc l = {c->file, line, 0};
    const char *name = NULL;
    for (size_t k = 0; src->col && k < c->ds->n_fields && !name; k++)
        if (src->col[k] == (long)fi)
            name = c->ds->fields[k].header;
    asr_error(c->d, &l, src->col ? name : "header", "%s", msg);
    return res == ASR_CSV_FATAL || !src->col ? -1 : -2;
}

#define HEADER_SEARCH 20 /* rows looked at for the header, past a title block */

/* Finds the header row -- the first of the opening rows that names every
 * required column; titles and notes above it are passed over -- and maps
 * the fields to its columns. Returns 0, or -1 after reporting. */
static int read_header(rows_ctx *c, source *src, long *col, size_t *ncols)
{
    record rec;
    asr_buf first = {0}; /* the first row, kept to report on if none fits */
    size_t first_n = 0;
    unsigned first_line = 1;
    asr_buf_add(&first, "", 0);
    for (int tries = 0; tries < HEADER_SEARCH; tries++) {
        int got = source_next(c, src, &rec);
        if (got == 0)
            break;
        if (got < 0) {
            asr_buf_free(&first);
            return -1;
        }
        if (tries == 0) {
            /* keep the first row's cells: the header everyone expects */
            asr_buf_clear(&first);
            for (size_t j = 0; j < rec.n; j++)
                asr_buf_add(&first, rec.fields[j], rec.lens[j] + 1);
            first_n = rec.n;
            first_line = rec.line;
        }
        if (match_headings(c->ds, rec.fields, rec.n, col, c->alt) == 0) {
            *ncols = rec.n;
            int rc = check_header(c, rec.fields, rec.lens, rec.n, col, rec.line);
            /* messages name a column as this file heads it */
            for (size_t k = 0; k < c->ds->n_fields; k++)
                if (col[k] >= 0)
                    c->heading[k] =
                        asr_arena_strndup(&c->names, rec.fields[col[k]], rec.lens[col[k]]);
            asr_buf_free(&first);
            return rc;
        }
    }
    asr_loc l = place(c, first_line, 0);
    if (first_n == 0) {
        asr_error(c->d, &l, NULL,
                  c->xlsx ? "the sheet is empty; expected a header row naming the columns"
                          : "the file is empty; expected a header line naming the columns");
        asr_buf_free(&first);
        return -1;
    }
    /* no row fits: report against the first, as the header */
    const char **cells = asr_xcalloc(first_n + 1, sizeof *cells);
    size_t *lens = asr_xcalloc(first_n + 1, sizeof *lens);
    const char *p = first.data;
    for (size_t j = 0; j < first_n; j++) {
        cells[j] = p;
        lens[j] = strlen(p);
        p += lens[j] + 1;
    }
    match_headings(c->ds, cells, first_n, col, c->alt);
    check_header(c, cells, lens, first_n, col, first_line);
    if (c->xlsx && !c->sheet_named) {
        asr_loc f = {c->file, 0, 0};
        asr_error(c->d, &f, NULL,
                  "this is the workbook's first sheet, '%s'; to read another, name it: %s#SHEET",
                  asr_xlsx_sheet(c->xlsx), c->file);
    }
    free(cells);
    free(lens);
    asr_buf_free(&first);
    return -1;
}

/* Bytes of the file read so far (a workbook's: uncompressed), for progress. */
static unsigned long long source_bytes(const source *src)
{
    return src->csv ? asr_csv_bytes(src->csv) : src->xlsx ? asr_xlsx_bytes(src->xlsx) : 0;
}

/* Reads the header and every row after it. */
static void import_records(rows_ctx *c, source *src)
{
    size_t ncols = 0;
    const asr_dataset *ds = c->ds;
    long *col = asr_xcalloc(ds->n_fields + 1, sizeof *col);
    if (read_header(c, src, col, &ncols)) {
        free(col);
        return;
    }
    src->col = col;
    for (;;) {
        record rec;
        int got = source_next(c, src, &rec);
        if (got == 0 || got == -1)
            break;
        if (got == -2)
            continue;
        if (src->csv && rec.n != ncols) {
            asr_loc l = {c->file, rec.line, 0};
            asr_error(c->d, &l, NULL, "this row has %zu field%s but the header has %zu", rec.n,
                      rec.n == 1 ? "" : "s", ncols);
            continue;
        }
        if (src->xlsx && rec.n > ncols) {
            /* a worksheet row stops at its last cell holding anything */
            asr_loc l = place(c, rec.line, (unsigned)rec.n);
            asr_error(c->d, &l, NULL, "a value beyond the last column the header names");
            continue;
        }
        take_row(c, col, rec.fields, rec.lens, rec.n, rec.line);
        if (c->stopped)
            break;
        if (c->progress && ++c->read % ASR_PROGRESS_EVERY == 0)
            asr_progress_rows(c->progress, c->read, source_bytes(src));
    }
    free(col);
}

static void source_free(rows_ctx *c, source *src)
{
    c->grid_lines = NULL;
    free(src->lines);
    asr_buf_free(&src->cells);
    free(src->at);
    free(src->len);
    free(src->out_fields);
    free(src->out_lens);
}

static void import_csv(rows_ctx *c, FILE *f, size_t max_field, asr_sha256 *hash)
{
    source src = {.csv = asr_csv_open(f, max_field, hash), .by_columns = c->ds->by_columns};
    import_records(c, &src);
    source_free(c, &src);
    asr_csv_close(src.csv);
}

/* A worksheet: sheet NULL is the workbook's first. The file's hash comes
 * from the reader, which reads every byte of it. */
static asr_status import_xlsx(rows_ctx *c, const char *path, const char *sheet,
                              unsigned long long max_bytes, size_t max_field, char hex[65])
{
    asr_xlsx_limits lim = {max_bytes, 0, max_field, 0};
    asr_sha256 h;
    asr_sha256_init(&h);
    asr_xlsx *x;
    asr_status st = asr_xlsx_open(path, sheet, &lim, &h, c->d, &x);
    if (st)
        return st;
    asr_sha256_final_hex(&h, hex);
    c->xlsx = x;
    c->sheet_named = sheet != NULL;
    source src = {.xlsx = x, .by_columns = c->ds->by_columns};
    import_records(c, &src);
    source_free(c, &src);
    c->xlsx = NULL;
    asr_xlsx_close(x);
    return ASR_OK;
}

/* ---- JSON ---- */

typedef struct {
    rows_ctx *c;
    const char **headers; /* NULL-terminated, for suggestions */
    int *present;
} json_ctx;

/* The field a key names, or n_fields. */
static size_t field_for_key(const asr_dataset *ds, const char *key)
{
    char k[256];
    asr_heading_key(key, k, sizeof k);
    for (size_t i = 0; i < ds->n_fields; i++)
        if (ds->fields[i].captured && names_field(&ds->fields[i], k))
            return i;
    return ds->n_fields;
}

/* The field a JSON key names, remembered per key so that a file of a
 * million objects compares headings once per distinct key, not per object. */
static size_t json_field(rows_ctx *c, const char *key)
{
    size_t k, len = strlen(key);
    if (asr_strmap_get(&c->headers, key, len, &k))
        return k;
    k = field_for_key(c->ds, key);
    asr_strmap_put(&c->headers, asr_arena_strndup(&c->names, key, len), k);
    return k;
}

static int json_object(void *ctxp, unsigned line, const asr_jfield *fields, size_t n)
{
    json_ctx *j = ctxp;
    rows_ctx *c = j->c;
    const asr_dataset *ds = c->ds;
    int ok = 1;
    memset(j->present, 0, ds->n_fields * sizeof *j->present);
    row_begin(c->w, line);
    for (size_t i = 0; i < n; i++) {
        size_t k = json_field(c, fields[i].key);
        if (k == ds->n_fields) {
            if (!ds->strict_columns)
                continue; /* a key no field reads: left out */
            const char *hint =
                asr_diag_full(c->d) ? NULL : asr_did_you_mean(fields[i].key, j->headers);
            asr_loc l = {c->file, fields[i].line, fields[i].col};
            asr_error(c->d, &l, NULL, "\"%s\" is not a field of dataset '%s'%s%s%s", fields[i].key,
                      ds->id, hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
            ok = 0;
            continue;
        }
        j->present[k] = 1;
        if (!c->heading[k])
            c->heading[k] = asr_arena_strdup(&c->names, fields[i].key);
        if (put_value(c, k, fields[i].text, fields[i].len, (int)fields[i].kind, fields[i].line,
                      fields[i].col))
            ok = 0;
    }
    for (size_t k = 0; k < ds->n_fields; k++) {
        if (j->present[k])
            continue;
        const asr_field *f = &ds->fields[k];
        if (f->value && f->captured) {
            if (put_value(c, k, field_value(c, f), strlen(field_value(c, f)), -1, line, 0))
                ok = 0;
            continue;
        }
        if (f->required && f->captured) {
            asr_loc l = {c->file, line, 0};
            asr_error(c->d, &l, f->header, "required field is missing");
            ok = 0;
        }
        value_null(c->w, k);
        if (f->partial)
            value_null(c->w, asr_precision_column(ds, k));
    }
    add_row(c, ok);
    if (c->progress && ++c->read % ASR_PROGRESS_EVERY == 0)
        asr_progress_rows(c->progress, c->read, 0);
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
 * e.g. "waivers: [...]" -- whose keys are the dataset's headings or field
 * names; values are read as a CSV cell would be. For small hand-kept files
 * such as waivers: the whole file is read (at most 8 MiB). */

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
            size_t k = field_for_key(ds, key->text);
            if (k == ds->n_fields) {
                const char *hint = asr_diag_full(c->d) ? NULL : asr_did_you_mean(key->text, names);
                asr_error(c->d, &key->loc, NULL, "'%s' is not a field of dataset '%s'%s%s%s",
                          key->text, ds->id, hint ? "; did you mean '" : "", hint ? hint : "",
                          hint ? "'?" : "");
                ok = 0;
                continue;
            }
            present[k] = 1;
            if (!c->heading[k])
                c->heading[k] = asr_arena_strdup(&c->names, key->text);
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
            const asr_field *f = &ds->fields[k];
            if (f->value && f->captured) {
                if (put_value(c, k, field_value(c, f), strlen(field_value(c, f)), -1, e->loc.line,
                              0))
                    ok = 0;
                continue;
            }
            if (f->required && f->captured) {
                asr_error(c->d, &e->loc, f->header, "required field is missing");
                ok = 0;
            }
            value_null(c->w, k);
            if (f->partial)
                value_null(c->w, asr_precision_column(ds, k));
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
    char *file;        /* the file itself: spec->path without a worksheet's #SHEET */
    const char *sheet; /* the worksheet named, or NULL */
    const char *format;
    long long size;
    char sha256[65];
    asr_dataset_state before;
    int known; /* imported before */
    int unchanged;
} file_plan;

/* Another worksheet of the same workbook is other data: the hash that
 * says "the same as last time" covers which sheet was read. */
static void sheet_hash(char hex[65], const char *sheet)
{
    if (!sheet)
        return;
    asr_sha256 h;
    asr_sha256_init(&h);
    asr_sha256_update(&h, hex, 64);
    asr_sha256_update(&h, "#", 1);
    asr_sha256_update(&h, sheet, strlen(sheet));
    asr_sha256_final_hex(&h, hex);
}

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
            asr_error(d, &l, NULL,
                      "cannot tell the file type; name it .csv, .json, .yaml or .xlsx "
                      "(a worksheet other than the first as FILE.xlsx#SHEET)");
            WORSE(ASR_E_USAGE);
            continue;
        }
        p->sheet = sheet_part(specs[i].path);
        p->file = p->sheet ? asr_xstrndup(specs[i].path, (size_t)(p->sheet - 1 - specs[i].path))
                           : asr_xstrdup(specs[i].path);
        if (p->sheet && !*p->sheet) {
            asr_error(d, &l, NULL, "no worksheet named after '#'");
            WORSE(ASR_E_USAGE);
            continue;
        }
        l.file = p->file;
        struct stat sb;
        if (stat(p->file, &sb) != 0) {
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
            asr_status st = hash_file(p->file, p->sha256, d);
            if (st) {
                WORSE(st);
                continue;
            }
            sheet_hash(p->sha256, p->sheet);
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
                           const asr_import_limits *limits, const char *as_of,
                           asr_progress *progress, asr_diag *d, long long *rows, char newest[11])
{
    asr_status st = asr_store_recreate_dataset(s, p->ds, d);
    if (st)
        return st;
    rows_ctx c = {.m = m,
                  .as_of = as_of,
                  .ds = p->ds,
                  .d = d,
                  .file = p->file,
                  .errors_at_start = d->errors,
                  .store_status = ASR_OK,
                  .progress = progress};
    c.dates = asr_xcalloc(p->ds->n_fields + 1, sizeof *c.dates);
    c.heading = asr_xcalloc(p->ds->n_fields + 1, sizeof *c.heading);
    c.unknown = asr_xcalloc(p->ds->n_fields + 1, sizeof *c.unknown);
    c.alt = asr_xcalloc(p->ds->n_fields + 1, sizeof *c.alt);
    for (size_t k = 0; k < p->ds->n_fields; k++) {
        const asr_field *f = &p->ds->fields[k];
        c.dates[k] =
            (asr_date_rules){(const char *const *)f->layouts, f->n_layouts, (int)m->fy_start_month,
                             f->year_implied ? atoi(as_of) : 0, NULL};
        if (f->n_layouts)
            asr_date_rules_compile(&c.dates[k]);
    }
    asr_inserter *ins;
    if ((st = asr_inserter_new(s, p->ds, d, &ins)))
        return st;
    writer w;
    writer_start(&w, ins, d->limit);
    c.w = &w;
    c.refs = ref_sets(m, p->ds);
    asr_loc l = {p->file, 0, 0};
    /* a CSV's bytes read measure against its size; a workbook's are inflated */
    asr_progress_begin(progress, p->ds->id,
                       strcmp(p->format, "csv") == 0 ? (unsigned long long)p->size : 0);
    if (strcmp(p->format, "xlsx") == 0) {
        st = import_xlsx(&c, p->file, p->sheet, limits ? limits->max_bytes : 0,
                         limits ? limits->max_field : 0, p->sha256);
        sheet_hash(p->sha256, p->sheet);
        goto done;
    }
    FILE *f = fopen(p->file, "rb");
    if (!f) {
        asr_error(d, &l, NULL, "cannot open: %s", strerror(errno));
        st = ASR_E_NOINPUT;
        goto done;
    }
    if (strcmp(p->format, "csv") == 0) {
        async_hash ah;
        hash_start(&ah, p->file);
        import_csv(&c, f, limits ? limits->max_field : 0, NULL);
        asr_status hs = hash_finish(&ah, p->sha256, d);
        if (hs && !st)
            st = hs;
    } else if (strcmp(p->format, "yaml") == 0) {
        asr_status hs = hash_file(p->file, p->sha256, d);
        if (hs && !st)
            st = hs;
        import_yaml(&c, p->file);
    } else {
        asr_sha256 h;
        asr_sha256_init(&h);
        char *data = asr_xmalloc((size_t)p->size + 1);
        size_t got = fread(data, 1, (size_t)p->size, f);
        data[got] = '\0';
        asr_sha256_update(&h, data, got);
        c.json = 1;
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
    asr_progress_phase(progress, "storing");
    writer_finish(&w);
    /* the totals: rows read (a YAML file's, which are not counted as read: stored) */
    asr_progress_rows(progress, c.read > w.rows ? c.read : w.rows,
                      strcmp(p->format, "csv") == 0 ? (unsigned long long)p->size : 0);
    asr_progress_end(progress);
    writer_report(&c, &w);
    writer_free(&w);
    if (c.stopped)
        st = c.store_status;
    else if (!st && d->errors > c.errors_at_start)
        st = ASR_E_DATA;
    for (size_t k = 0; k < p->ds->n_fields; k++)
        asr_strset_free(&c.refs[k]);
    free(c.refs);
    if (!st) {
        /* what was read but not stored as it stood */
        if (c.skipped)
            asr_warn(d, &l, NULL, "%lld %s%s passed over as the dataset's skip_rows say", c.skipped,
                     p->ds->by_columns ? "column" : "row", c.skipped == 1 ? "" : "s");
        for (size_t k = 0; k < p->ds->n_fields; k++)
            if (c.unknown[k])
                asr_warn(d, &l, p->ds->fields[k].header,
                         "%zu value%s not recognised, left empty (other: none)", c.unknown[k],
                         c.unknown[k] == 1 ? "" : "s");
    }
    for (size_t k = 0; k < p->ds->n_fields; k++)
        asr_date_rules_release(&c.dates[k]);
    free(c.dates);
    free(c.alt);
    free(c.unknown);
    free(c.heading);
    asr_arena_free(&c.names);
    asr_strmap_free(&c.headers);
    asr_inserter_free(ins);
    *rows = c.rows;
    memcpy(newest, c.newest, 11);
    return st;
}

static void free_plan(file_plan *plan, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(plan[i].file);
    free(plan);
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
    asr_progress *progress = policy ? policy->progress : NULL;
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
        free_plan(plan, n);
        return st;
    }
    char stored_map[65];
    asr_store_map_hash(s, stored_map);
    int map_same = strcmp(stored_map, m->hash) == 0;
    size_t changed = 0;
    for (size_t i = 0; i < n; i++) {
        results[i].size = plan[i].size;
        if (plan[i].unchanged)
            memcpy(results[i].sha256, plan[i].sha256, sizeof results[i].sha256);
        results[i].previous_rows = plan[i].known ? plan[i].before.rows : -1;
        if (plan[i].unchanged) {
            results[i].outcome = ASR_UNCHANGED;
            results[i].rows = plan[i].before.rows;
        } else {
            changed++;
        }
    }
    if (changed == 0 && map_same) {
        free_plan(plan, n); /* nothing to do, and nothing written */
        return ASR_OK;
    }

    /* Tell of an earlier import stopped part-way, then leave this one's
     * mark: if this process is stopped before it commits, the next command
     * says so. */
    asr_store_interrupted_imports(s, 1, d);
    asr_buf names = {0};
    for (size_t i = 0; i < n; i++)
        if (!plan[i].unchanged)
            asr_buf_addf(&names, "%s%s", names.len ? ", " : "", plan[i].ds->id);
    long long mark = 0;
    st = asr_store_import_started(s, names.len ? names.data : "the map", &mark, d);
    asr_buf_free(&names);
    if (st)
        goto out;
    if ((st = asr_store_begin(s, d)))
        goto unmark;
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
        asr_status one =
            load_one(s, m, &plan[i], limits, as_of, progress, d, &rows, results[i].newest);
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
    asr_progress_phase(progress, "committing");
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
    if ((st = asr_store_set_map_hash(s, m->hash, d)) ||
        (st = asr_store_import_finished(s, mark, d)))
        goto rollback;
    if ((st = asr_store_commit(s, d)))
        goto unmark;
    long long stored = 0;
    for (size_t i = 0; i < n; i++)
        if (!plan[i].unchanged) {
            memcpy(results[i].sha256, plan[i].sha256, sizeof results[i].sha256);
            results[i].outcome = ASR_IMPORTED;
            stored += results[i].rows;
        }
    if (stored >= CHECKPOINT_ROWS) {
        asr_progress_phase(progress, "checkpointing the database");
        asr_store_checkpoint(s);
    }
    goto out;
rollback:
    asr_store_rollback(s);
    for (size_t i = 0; i < n; i++)
        if (results[i].outcome != ASR_UNCHANGED)
            results[i].rows = 0;
    if (st == ASR_E_DATA)
        log_rejected(s, plan, n, d->errors - errors_before);
unmark : {
    /* not stored, and not stopped part-way either: the mark goes */
    asr_diag quiet;
    asr_diag_init(&quiet, 1);
    asr_store_import_finished(s, mark, &quiet);
    asr_diag_free(&quiet);
}
out:
    free_plan(plan, n);
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
