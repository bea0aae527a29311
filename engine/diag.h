/* diag: the outcome codes every library call returns, and the list of
 * problems found in user input, each with its place (file, line, column and
 * the path to the value). Owns the list and copies of all its strings.
 * Uses util. Printing is here so every command words its problems alike;
 * it shows control characters in messages as escapes (asr_fputs_term). */
#ifndef ASSURE_DIAG_H
#define ASSURE_DIAG_H

#include <stddef.h>
#include <stdio.h>

/* Outcome of an operation. The values are the documented exit codes of the
 * command line (docs/cli.md), so main() can return them unchanged. */
typedef enum {
    ASR_OK = 0,
    ASR_FINDINGS = 1,      /* ran, exceptions found */
    ASR_RULE_FAILED = 2,   /* some rules failed */
    ASR_E_USAGE = 64,      /* bad command line */
    ASR_E_DATA = 65,       /* input data rejected */
    ASR_E_NOINPUT = 66,    /* an input file is missing or unreadable */
    ASR_E_INTERNAL = 70,   /* a bug in assure */
    ASR_E_CANTCREATE = 73, /* cannot create an output file */
    ASR_E_IO = 74,         /* I/O error, disk full, corrupt database */
    ASR_E_TEMP = 75,       /* database locked or busy: retry later */
    ASR_E_CONFIG = 78,     /* bad map or rule file */
} asr_status;

/* A place in an input file. line and col are 1-based; 0 means unknown. */
typedef struct {
    const char *file; /* borrowed */
    unsigned line;
    unsigned col;
} asr_loc;

typedef enum { ASR_SEV_ERROR, ASR_SEV_WARNING } asr_severity;

typedef struct {
    asr_severity severity;
    char *file;    /* may be NULL */
    unsigned line; /* 0 = none */
    unsigned col;  /* 0 = none */
    char *path;    /* e.g. "areas[3].owner" or a CSV column name; may be NULL */
    char *message;
    size_t seq;       /* order of arrival, to keep sorting stable */
    size_t file_rank; /* set by asr_diag_sort */
} asr_problem;

typedef struct {
    asr_problem *items;
    size_t count, cap;
    size_t limit;   /* keep at most this many; 0 = no limit */
    size_t dropped; /* problems past the limit, counted only */
    size_t errors;  /* all errors, kept or dropped */
    size_t warnings;
} asr_diag;

/* How many problems a command keeps with their places; the rest are only
 * counted ("... and 40,213 more problems not shown"). Every command passes
 * it (import's --max-errors sets its own), so neither memory nor output
 * grows with the number of problems in a hostile file. */
#define ASR_DIAG_LIMIT 100

void asr_diag_init(asr_diag *d, size_t limit);
void asr_diag_free(asr_diag *d);

/* 1 when the next problem would only be counted: callers skip work that only
 * serves the message, such as looking for a "did you mean". */
int asr_diag_full(const asr_diag *d);

/* Counts n errors that were never kept (already past the limit, or never
 * individually recorded) without a place. */
void asr_diag_count_dropped(asr_diag *d, size_t n);

/* Records a problem. loc may be NULL; path may be NULL. */
void asr_diag_add(asr_diag *d, asr_severity sev, const asr_loc *loc, const char *path,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define asr_error(d, loc, path, ...) asr_diag_add((d), ASR_SEV_ERROR, (loc), (path), __VA_ARGS__)
#define asr_warn(d, loc, path, ...) asr_diag_add((d), ASR_SEV_WARNING, (loc), (path), __VA_ARGS__)

/* Sorts problems into file order: by the order files first appear, then line,
 * column and arrival. */
void asr_diag_sort(asr_diag *d);

/* Writes each problem as "file:line:col: error: path: message", then a line
 * saying how many were not shown, if any. */
void asr_diag_print(const asr_diag *d, FILE *out);

/* Quotes a user value for a message: at most 40 characters, control
 * characters shown as escapes. Returns a pointer into buf. */
const char *asr_quote_value(const char *value, size_t len, char *buf, size_t bufsize);

#endif
