/* csv: a strict, streaming RFC 4180 reader. Hands back one record at a time
 * with the line it started on; memory holds one record, never the file.
 * Accepts CRLF, LF or CR line ends, quoted commas, quotes ("") and line
 * breaks, and strips one UTF-8 byte-order mark. Rejects an unterminated quote
 * (fatal: nothing after it can be trusted), a quote inside an unquoted field,
 * text after a closing quote, NUL bytes, invalid UTF-8, over-long fields and
 * records of more than ASR_CSV_MAX_FIELDS fields or 64 MiB;
 * those leave the rest of the record readable so every bad row is reported.
 * Lines holding nothing at all are skipped. Feeds every byte it reads to an
 * optional SHA-256. Uses util, sha256. No SQLite, no map. */
#ifndef ASSURE_CSV_H
#define ASSURE_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "sha256.h"

typedef struct asr_csv asr_csv;

/* Fields one record may have (more than any dataset can: SQLite's default
 * limit is 2000 columns); a record with more, or over 64 MiB, is bad. */
#define ASR_CSV_MAX_FIELDS 4096u

typedef struct {
    size_t n;            /* number of fields */
    const char **fields; /* NUL-terminated; valid until the next asr_csv_next */
    const size_t *lens;
    unsigned line; /* line the record starts on, 1-based */
} asr_csv_record;

typedef enum {
    ASR_CSV_RECORD = 1, /* a good record */
    ASR_CSV_END = 0,    /* no more records */
    ASR_CSV_BAD = -1,   /* a bad record: see asr_csv_error; reading may go on */
    ASR_CSV_FATAL = -2, /* cannot go on (unterminated quote, read error) */
} asr_csv_result;

/* Reads from f (borrowed; not closed). max_field caps one field in bytes
 * (0 = 1 MiB). hash, if not NULL, is updated with every byte read. */
asr_csv *asr_csv_open(FILE *f, size_t max_field, asr_sha256 *hash);

/* The same, reading f in chunks of chunk bytes (0 = 1 MiB) rather than the
 * default: for tests, so that records, quotes, CRLFs and byte-order marks
 * split across reads are exercised. */
asr_csv *asr_csv_open_chunked(FILE *f, size_t max_field, asr_sha256 *hash, size_t chunk);

/* Reads from memory (borrowed; must outlive the reader). */
asr_csv *asr_csv_open_string(const char *data, size_t len, size_t max_field);

void asr_csv_close(asr_csv *c);

/* Reads the next record into *rec. After ASR_CSV_BAD, rec holds what could be
 * read (its fields may be incomplete) and asr_csv_error explains. */
asr_csv_result asr_csv_next(asr_csv *c, asr_csv_record *rec);

/* What was wrong with the last bad record: a message, the 0-based index of
 * the field concerned, and the line the problem is on. */
const char *asr_csv_error(const asr_csv *c, size_t *field, unsigned *line);

/* Total bytes consumed so far. */
unsigned long long asr_csv_bytes(const asr_csv *c);

#endif
