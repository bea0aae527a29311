/* heldsort: a rule's findings held in its worker until the rule has
 * finished, then handed back sorted by subject, then message, and in the
 * order they were flagged among equals (the order the parent and the run
 * history expect). Each finding is one wire message whose first two fields
 * are its subject and message (ruleapi's 'F').
 * How: findings gather in memory; when they pass a limit and a file was
 * given, they are sorted and written to it as one run, and memory starts
 * again. Handing back sorts the last batch and merges the runs with it (a
 * heap of run heads, each run read through a small buffer), so the memory
 * held is the limit plus a buffer a run, not the rule's findings. The file
 * is the caller's: a worker opens it before its system-call filter goes on
 * (asr_heldsort_tmpfile), unlinked, so it is gone however the worker ends.
 * Without a file everything stays in memory. A zeroed struct is an empty,
 * memory-only one. Uses util. */
#ifndef ASSURE_HELDSORT_H
#define ASSURE_HELDSORT_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

typedef struct asr_heldsort_run asr_heldsort_run;

typedef struct {
    asr_buf mem;   /* this batch's messages, back to back */
    size_t *at;    /* where each starts in mem */
    size_t n, cap; /* messages in the batch */
    size_t count;  /* messages added in all */
    size_t limit;  /* bytes in memory before a run is written; 0: never */
    int have_file; /* fd below is open and ours to write */
    int fd;
    uint64_t end; /* bytes written to the file */
    asr_heldsort_run *runs;
    size_t n_runs;
    /* handing back */
    size_t *heap; /* run indexes, the smallest head first; n_runs is the batch */
    size_t n_heap;
    size_t next_mem; /* the batch's next message */
    int merging;
    int pending;     /* the top run's head has been handed back */
    char error[160]; /* why writing or reading failed; "" if neither */
} asr_heldsort;

/* An unlinked temporary file in dir (NULL or "": $TMPDIR, else /tmp), read
 * and write, for asr_heldsort_file. The descriptor, or -1 with errno set. */
int asr_heldsort_tmpfile(const char *dir);

/* Lets h write runs to fd (it closes it in asr_heldsort_free) once more
 * than limit bytes are held in memory. */
void asr_heldsort_file(asr_heldsort *h, int fd, size_t limit);

/* Keeps a copy of the message (len bytes, its first two fields subject and
 * message). 0, or -1 when a run could not be written: asr_heldsort_error
 * says why, and the findings are lost. */
int asr_heldsort_add(asr_heldsort *h, const char *msg, size_t len);

/* The messages added so far. */
size_t asr_heldsort_count(const asr_heldsort *h);

/* Ends adding and starts handing back. 0 or -1 (asr_heldsort_error). */
int asr_heldsort_begin(asr_heldsort *h);

/* The next message in order: 1 with *msg and *len set (valid until the next
 * call), 0 at the end, -1 when reading failed (asr_heldsort_error). */
int asr_heldsort_next(asr_heldsort *h, const char **msg, size_t *len);

/* "", or why writing or reading a run failed. */
const char *asr_heldsort_error(const asr_heldsort *h);

/* Runs written to the file so far (a test's view). */
size_t asr_heldsort_runs(const asr_heldsort *h);

void asr_heldsort_free(asr_heldsort *h);

#endif
