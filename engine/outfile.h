/* outfile: writes an output file atomically. The content goes to a
 * temporary file in the same directory, is flushed to disk (fsync), and only
 * then renamed over the final name, so a failed or killed run never leaves a
 * partial file under that name: readers see the old file or the new one.
 * Uses diag, util. */
#ifndef ASSURE_OUTFILE_H
#define ASSURE_OUTFILE_H

#include <stdio.h>

#include "diag.h"

typedef struct {
    char *path; /* final name */
    char *tmp;  /* temporary name, NULL once renamed or removed */
    FILE *f;
} asr_outfile;

/* Creates the temporary file. ASR_E_CANTCREATE if the directory does not
 * allow it. */
asr_status asr_outfile_open(asr_outfile *o, const char *path, asr_diag *d);
/* Flushes, syncs, closes and renames. ASR_E_IO (disk full, ...) leaves the
 * old file in place and removes the temporary one. */
asr_status asr_outfile_commit(asr_outfile *o, asr_diag *d);
/* Removes the temporary file; the final name is untouched. */
void asr_outfile_abort(asr_outfile *o);

#endif
