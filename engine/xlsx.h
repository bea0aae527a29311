/* xlsx: reads one worksheet of an .xlsx workbook as records of text cells,
 * the way csv reads a CSV file, so the importer can check spreadsheet
 * exports like any other rows. Owns the opened archive, the workbook's
 * shared-string table and date styles, and one streaming parse of the sheet:
 * memory holds the string table and one row, never the sheet. libzip opens
 * the archive and inflates its entries in chunks; expat parses each XML part
 * as a stream. The only includer of <zip.h> and <expat.h>. Uses util, diag,
 * sha256, date.
 *
 * Cells come back as text: strings (shared, inline, formula results, rich
 * text runs joined; _xHHHH_ escapes decoded), booleans as true/false, errors
 * as written (#N/A), numbers in the shortest form that reads back the same
 * double, without exponent between 1e-7 and 1e21 (1500, 1500.5, 0.1), and
 * numbers in a date style as YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS when they
 * hold a time of day (1900 or 1904 system, Excel's phantom 1900-02-29
 * included: serial 60 reads as "1900-02-29" and serials below 1 as
 * "1900-01-00", which a strict date check rejects, with the cell's place).
 * Cells are placed by their reference; missing cells are "", cells after the
 * row's last non-empty one are left out, and rows holding nothing at all
 * (missing, or present with only empty cells) are skipped -- record.row is
 * the sheet's own row number.
 *
 * Hostile files are refused within caps: not a zip, no xl/workbook.xml,
 * encrypted entries or a password-protected workbook, more uncompressed
 * bytes than max_bytes (counted as read, and any entry declaring more
 * refused before reading), a shared-string table over its caps, a DOCTYPE
 * in any part (so no entity can be declared: no billion laughs, no external
 * entities), XML nested deeper than 64, a cell over max_cell, a row over
 * 64 MiB of text, a part needing more than 16 MiB of parser memory (a huge
 * tag, or masses of distinct names), more than 16384 columns or 1048576
 * rows, and malformed XML (expat's message with the part, line and
 * column). Every problem is one error whose file is the workbook's path, or
 * the cell's place ("tracker.xlsx:Actions!C7") for a problem in a cell. */
#ifndef ASSURE_XLSX_H
#define ASSURE_XLSX_H

#include <stddef.h>

#include "diag.h"
#include "sha256.h"

typedef struct asr_xlsx asr_xlsx;

typedef struct {
    size_t n;            /* cells in the row, from column A; gaps are "" */
    const char **fields; /* NUL-terminated text; valid until the next asr_xlsx_next */
    const size_t *lens;
    unsigned row; /* the sheet's row number, 1-based (rows may be skipped in the file) */
} asr_xlsx_record;

typedef struct {
    unsigned long long max_bytes;         /* uncompressed bytes read from the archive, all
                                             entries; 0 = 4 GiB */
    unsigned long long max_strings_bytes; /* the shared-string table in memory: text, a NUL
                                             and an offset per string; 0 = 256 MiB */
    size_t max_cell;                      /* bytes in one cell; 0 = 1 MiB */
    size_t max_strings;                   /* strings in the shared-string table; 0 = 16 M */
} asr_xlsx_limits;

/* Opens path and the sheet named sheet (NULL: the first sheet in the
 * workbook's order) and loads what reading it needs (workbook, its
 * relationships, styles, shared strings). limits may be NULL (defaults).
 * hash, if not NULL, is fed every byte of the file before the archive is read
 * (from the same open file). Returns ASR_OK and *out, or the status (ASR_E_NOINPUT
 * cannot open, ASR_E_IO read error, ASR_E_DATA anything wrong with the file)
 * with the problem in d and *out NULL: not a zip; not a workbook; no such
 * sheet (the message lists the sheets there are); encrypted; a limit passed. */
asr_status asr_xlsx_open(const char *path, const char *sheet, const asr_xlsx_limits *limits,
                         asr_sha256 *hash, asr_diag *d, asr_xlsx **out);

/* Reads the next row that holds anything into *rec. Returns 1 for a record,
 * 0 when there are no more rows, -1 when the sheet cannot be read further
 * (the problem is in d, with its place); after -1 every call returns -1. */
int asr_xlsx_next(asr_xlsx *x, asr_xlsx_record *rec, asr_diag *d);

/* The sheet's name, as the workbook spells it. */
const char *asr_xlsx_sheet(const asr_xlsx *x);

/* The place of a cell for messages: "tracker.xlsx:Actions!C7" for row 7 and
 * column index 2 (0-based). The sheet name is quoted as Excel quotes it
 * ('Q1 actions'!C7) when it holds anything but letters, digits, _ and '.'.
 * Truncated to size. */
void asr_xlsx_place(const asr_xlsx *x, unsigned row, size_t col, char *buf, size_t size);

/* Uncompressed bytes read from the archive so far, all entries. */
unsigned long long asr_xlsx_bytes(const asr_xlsx *x);

void asr_xlsx_close(asr_xlsx *x);

/* The libzip and expat versions, for --version. */
const char *asr_xlsx_libzip_version(void);
const char *asr_xlsx_expat_version(void);

#endif
