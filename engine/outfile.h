/* outfile: writes an output file atomically, and never over an input or a
 * file that is not a regular file. The content goes to a temporary file in
 * the same directory, is flushed to disk (fsync), and only then renamed
 * over the final name, so a failed or killed run never leaves a partial
 * file under that name: readers see the old file or the new one. A file
 * that must be new (asr_outfile_commit_new) is linked under its name
 * instead, only if the name is still free.
 *
 * The final name must be absent or a regular file (a symbolic link is
 * followed): a device, a FIFO, a socket or a directory is refused, and so
 * is any file that is one of the run's inputs -- the same file (device and
 * inode) or the same name (the directory resolved) as one given in an
 * asr_inputs list: the database and its -wal, -shm and -journal, the map
 * and its includes, the rule files, the data being imported. Refusals are
 * ASR_E_CANTCREATE (73) with a message naming the output and the input.
 * Keeps the names of the temporary files it has open, so that a process
 * stopped by a signal can remove them. Uses diag, util. */
#ifndef ASSURE_OUTFILE_H
#define ASSURE_OUTFILE_H

#include <stddef.h>
#include <stdio.h>

#include "diag.h"

/* The files a run reads, which nothing it writes may replace. */
typedef struct {
    struct asr_input *items;
    size_t n, cap;
} asr_inputs;

/* Adds path, described by what ("the database", "the map", "a rule file",
 * ...); both are copied. NULL or empty paths are ignored. */
void asr_inputs_add(asr_inputs *in, const char *path, const char *what);
/* The database and the files SQLite keeps beside it. */
void asr_inputs_add_db(asr_inputs *in, const char *db_path);
void asr_inputs_free(asr_inputs *in);

typedef struct {
    char *path; /* final name */
    char *tmp;  /* temporary name, NULL once renamed or removed */
    FILE *f;
} asr_outfile;

/* Whether path may be written: absent or a regular file, and none of
 * inputs (which may be NULL). label names the output in the message
 * ("--output", "the manifest"). ASR_OK, or ASR_E_CANTCREATE with the
 * problem in d. Creates nothing. */
asr_status asr_outfile_check(const char *path, const char *label, const asr_inputs *inputs,
                             asr_diag *d);

/* Checks path as above, then creates the temporary file. ASR_E_CANTCREATE
 * if the path is refused or the directory does not allow it. */
asr_status asr_outfile_open(asr_outfile *o, const char *path, const char *label,
                            const asr_inputs *inputs, asr_diag *d);
/* Flushes, syncs, closes and renames (checking the final name once more).
 * ASR_E_IO (disk full, ...: the message says why) leaves the old file in
 * place and removes the temporary one; ASR_E_CANTCREATE if the final name
 * has meanwhile become something that may not be replaced. */
asr_status asr_outfile_commit(asr_outfile *o, const char *label, const asr_inputs *inputs,
                              asr_diag *d);
/* The same for a file that must be new: put in place only if the final
 * name is still free (link, never rename), else ASR_E_CANTCREATE naming
 * it, and whatever holds the name is left as it was. */
asr_status asr_outfile_commit_new(asr_outfile *o, const char *label, asr_diag *d);
/* For a writer whose output to o->f failed: reports why (errno, or the
 * error flushing the stream brings back), removes the temporary file and
 * returns ASR_E_IO. */
asr_status asr_outfile_fail(asr_outfile *o, asr_diag *d);
/* Removes the temporary file; the final name is untouched. */
void asr_outfile_abort(asr_outfile *o);

/* Removes every temporary file an asr_outfile of this process has open,
 * touching nothing else: for a process about to die of a signal (the
 * runner's forwarding of SIGTERM, SIGINT and SIGHUP). Only unlink(), so it
 * may be called from a signal handler. */
void asr_outfile_remove_temps(void);

#endif
