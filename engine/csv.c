#include "csv.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define CHUNK (1u << 20)
/* One record may hold at most this many fields and bytes: more is an error,
 * and the rest of the record is read but not kept, so memory stays bounded
 * (a line of 64 MB of commas once took 1.6 GB: 25 bytes per field). */
#define MAX_FIELDS ASR_CSV_MAX_FIELDS
#define MAX_RECORD (64u << 20)
#define EOF_CH (-1)

struct asr_csv {
    FILE *f;
    asr_sha256 *hash;
    const unsigned char *in; /* current input chunk */
    unsigned char *own;      /* buffer owned when reading a FILE */
    size_t in_len, in_pos;
    size_t chunk; /* bytes per read from f */
    int eof;
    int fatal;
    int first;
    unsigned long long consumed;
    unsigned line; /* current line of the read position */
    size_t max_field;

    asr_buf text;   /* bytes of the current record's fields, NUL-separated */
    size_t *starts; /* offsets of each field into text */
    size_t *lens;
    const char **ptrs;
    size_t nf, capf;
    int open;     /* a field is being read */
    int skipping; /* the record went past MAX_FIELDS or MAX_RECORD */

    char err[160];
    size_t err_field;
    unsigned err_line;
    int has_err;
};

static asr_csv *csv_new(size_t max_field)
{
    asr_csv *c = asr_xcalloc(1, sizeof *c);
    c->max_field = max_field ? max_field : (1u << 20);
    c->line = 1;
    c->first = 1;
    return c;
}

asr_csv *asr_csv_open_chunked(FILE *f, size_t max_field, asr_sha256 *hash, size_t chunk)
{
    asr_csv *c = csv_new(max_field);
    c->f = f;
    c->hash = hash;
    c->chunk = chunk ? chunk : CHUNK;
    c->own = asr_xmalloc(c->chunk);
    c->in = c->own;
    return c;
}

asr_csv *asr_csv_open(FILE *f, size_t max_field, asr_sha256 *hash)
{
    return asr_csv_open_chunked(f, max_field, hash, CHUNK);
}

asr_csv *asr_csv_open_string(const char *data, size_t len, size_t max_field)
{
    asr_csv *c = csv_new(max_field);
    c->in = (const unsigned char *)data;
    c->in_len = len;
    c->eof = 1;
    return c;
}

void asr_csv_close(asr_csv *c)
{
    if (!c)
        return;
    free(c->own);
    asr_buf_free(&c->text);
    free(c->starts);
    free(c->lens);
    free(c->ptrs);
    free(c);
}

static int refill(asr_csv *c)
{
    if (c->eof || !c->f)
        return 0;
    size_t got = fread(c->own, 1, c->chunk, c->f);
    if (got == 0) {
        c->eof = 1;
        if (ferror(c->f)) {
            c->fatal = 1;
            snprintf(c->err, sizeof c->err, "read error");
            c->has_err = 1;
            c->err_line = c->line;
        }
        return 0;
    }
    if (c->hash)
        asr_sha256_update(c->hash, c->own, got);
    c->in_len = got;
    c->in_pos = 0;
    return 1;
}

static inline int getch(asr_csv *c)
{
    if (c->in_pos == c->in_len && !refill(c))
        return EOF_CH;
    c->consumed++;
    return c->in[c->in_pos++];
}

static inline int peekch(asr_csv *c)
{
    if (c->in_pos == c->in_len && !refill(c))
        return EOF_CH;
    return c->in[c->in_pos];
}

static void set_error(asr_csv *c, size_t field, const char *msg)
{
    if (c->has_err)
        return; /* the first problem in a record is the one reported */
    c->has_err = 1;
    c->err_field = field;
    c->err_line = c->line;
    snprintf(c->err, sizeof c->err, "%s", msg);
}

static void start_field(asr_csv *c)
{
    if (c->skipping)
        return;
    if (c->nf == MAX_FIELDS) {
        char msg[96];
        snprintf(msg, sizeof msg, "more than %u fields in one record", MAX_FIELDS);
        set_error(c, c->nf - 1, msg);
        c->skipping = 1;
        return;
    }
    c->open = 1;
    if (c->nf == c->capf) {
        c->capf = c->capf ? c->capf * 2 : 32;
        c->starts = asr_xrealloc(c->starts, c->capf * sizeof *c->starts);
        c->lens = asr_xrealloc(c->lens, c->capf * sizeof *c->lens);
        c->ptrs = asr_xrealloc(c->ptrs, c->capf * sizeof *c->ptrs);
    }
    c->starts[c->nf] = c->text.len;
    c->nf++;
}

static void end_field(asr_csv *c)
{
    if (!c->open)
        return;
    c->open = 0;
    size_t i = c->nf - 1;
    c->lens[i] = c->text.len - c->starts[i];
    asr_buf_addc(&c->text, '\0');
}

static inline void put(asr_csv *c, int ch)
{
    if (c->skipping)
        return;
    size_t i = c->nf - 1;
    if (c->text.len - c->starts[i] >= c->max_field) {
        if (!c->has_err) { /* the message once, not once per byte past the cap */
            char msg[96];
            snprintf(msg, sizeof msg, "field longer than %zu bytes", c->max_field);
            set_error(c, i, msg);
        }
        return;
    }
    if (c->text.len >= MAX_RECORD) {
        char msg[96];
        snprintf(msg, sizeof msg, "record longer than %u bytes", MAX_RECORD);
        set_error(c, i, msg);
        end_field(c);
        c->skipping = 1;
        return;
    }
    if (ch == 0)
        set_error(c, i, "NUL byte inside the field");
    if (c->text.len + 1 < c->text.cap) {
        c->text.data[c->text.len++] = (char)ch;
    } else {
        asr_buf_addc(&c->text, (char)ch);
    }
}

/* Line ends outside quotes: LF, CRLF or a lone CR. Consumes it. */
static int at_line_end(asr_csv *c, int ch)
{
    if (ch == '\n') {
        c->line++;
        return 1;
    }
    if (ch == '\r') {
        if (peekch(c) == '\n')
            getch(c);
        c->line++;
        return 1;
    }
    return 0;
}

asr_csv_result asr_csv_next(asr_csv *c, asr_csv_record *rec)
{
    memset(rec, 0, sizeof *rec);
    if (c->fatal)
        return ASR_CSV_END;
    c->nf = 0;
    c->has_err = 0;
    c->open = 0;
    c->skipping = 0;
    asr_buf_clear(&c->text);

    int ch = getch(c);
    if (c->first) {
        c->first = 0;
        if (ch == 0xEF && peekch(c) == 0xBB) {
            getch(c);
            if (peekch(c) == 0xBF) {
                getch(c);
                ch = getch(c);
            } else {
                set_error(c, 0, "broken byte-order mark");
            }
        }
    }
    while (ch == '\n' || ch == '\r') { /* skip empty lines */
        at_line_end(c, ch);
        ch = getch(c);
    }
    if (ch == EOF_CH)
        return c->fatal ? ASR_CSV_FATAL : ASR_CSV_END;
    rec->line = c->line;

    for (;;) { /* one field per turn */
        start_field(c);
        if (ch == '"') {
            unsigned open_line = c->line;
            for (;;) {
                ch = getch(c);
                if (ch == EOF_CH) {
                    c->fatal = 1;
                    c->has_err = 0;
                    char msg[120];
                    snprintf(msg, sizeof msg,
                             "quote opened on line %u is never closed; nothing after it was read",
                             open_line);
                    set_error(c, c->nf - 1, msg);
                    c->err_line = open_line;
                    end_field(c);
                    goto done;
                }
                if (ch == '"') {
                    if (peekch(c) == '"') {
                        getch(c);
                        put(c, '"');
                        continue;
                    }
                    break;
                }
                if (ch == '\n' || (ch == '\r' && peekch(c) != '\n'))
                    c->line++;
                put(c, ch);
            }
            ch = getch(c);
            if (ch != ',' && ch != '\n' && ch != '\r' && ch != EOF_CH) {
                set_error(c, c->nf - 1,
                          "text after the closing quote (a quote inside a quoted "
                          "field must be doubled: \"\")");
                while (ch != ',' && ch != '\n' && ch != '\r' && ch != EOF_CH) {
                    put(c, ch);
                    ch = getch(c);
                }
            }
        } else {
            while (ch != ',' && ch != '\n' && ch != '\r' && ch != EOF_CH) {
                if (ch == '"')
                    set_error(c, c->nf - 1,
                              "a quote inside an unquoted field (quote the whole "
                              "field and double the quote)");
                put(c, ch);
                ch = getch(c);
            }
        }
        end_field(c);
        if (ch == ',') {
            ch = getch(c);
            continue;
        }
        if (ch != EOF_CH)
            at_line_end(c, ch);
        break;
    }
done:
    for (size_t i = 0; i < c->nf; i++) {
        c->ptrs[i] = c->text.data + c->starts[i];
        /* fast path: pure ASCII needs no decoding check */
        const unsigned char *p = (const unsigned char *)c->ptrs[i];
        size_t k = 0;
        while (k < c->lens[i] && p[k] < 0x80)
            k++;
        if (k < c->lens[i] && asr_utf8_invalid(c->ptrs[i], c->lens[i]) && !c->has_err) {
            set_error(c, i, "invalid UTF-8 (the file must be saved as UTF-8)");
            c->err_line = rec->line;
        }
    }
    rec->n = c->nf;
    rec->fields = c->ptrs;
    rec->lens = c->lens;
    if (c->fatal)
        return ASR_CSV_FATAL;
    return c->has_err ? ASR_CSV_BAD : ASR_CSV_RECORD;
}

const char *asr_csv_error(const asr_csv *c, size_t *field, unsigned *line)
{
    if (field)
        *field = c->err_field;
    if (line)
        *line = c->err_line;
    return c->has_err ? c->err : NULL;
}

unsigned long long asr_csv_bytes(const asr_csv *c)
{
    return c->consumed;
}
