/* lock: the single-instance lock of the nightly run. A POSIX record lock
 * on DB.lock beside the database: the kernel releases it when the process
 * holding it ends, however it ends, so a killed run never leaves a lock
 * that blocks the next one -- only the file, whose contents (pid, host,
 * start time) say who held it last; a holder that let go cleanly empties
 * it. Record locks are not inherited by forked workers. Uses diag, util. */
#ifndef ASSURE_LOCK_H
#define ASSURE_LOCK_H

#include "diag.h"

typedef struct {
    int fd;
    char *path;
    /* filled in by asr_lock_take when the last holder did not let go
     * cleanly (killed, or the machine stopped): its "pid N on HOST since T" */
    char stale[256];
} asr_lock;

/* Takes the lock for the database at db_path. ASR_OK; ASR_E_TEMP when
 * another run holds it (the message names its pid, host and start time);
 * ASR_E_CANTCREATE when the lock file cannot be made. */
asr_status asr_lock_take(asr_lock *l, const char *db_path, asr_diag *d);

/* Empties the file and lets go. Safe on a lock never taken. */
void asr_lock_release(asr_lock *l);

#endif
