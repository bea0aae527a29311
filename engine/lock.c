#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static int set_lock(int fd, short type)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    return fcntl(fd, F_SETLK, &fl);
}

/* The holder's line, as written: "pid N on HOST since TIME". */
static void read_holder(int fd, char *out, size_t size)
{
    out[0] = '\0';
    ssize_t n = pread(fd, out, size - 1, 0);
    if (n <= 0) {
        out[0] = '\0';
        return;
    }
    out[n] = '\0';
    out[strcspn(out, "\n")] = '\0';
}

asr_status asr_lock_take(asr_lock *l, const char *db_path, asr_diag *d)
{
    memset(l, 0, sizeof *l);
    l->fd = -1;
    asr_buf p = {0};
    asr_buf_addf(&p, "%s.lock", db_path);
    l->path = p.data;
    asr_loc loc = {l->path, 0, 0};
    int fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) {
        asr_error(d, &loc, NULL, "cannot create the run's lock file: %s", strerror(errno));
        return ASR_E_CANTCREATE;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        asr_error(d, &loc, NULL, "the lock file is not a regular file");
        return ASR_E_CANTCREATE;
    }
    char holder[256];
    if (set_lock(fd, F_WRLCK) != 0) {
        int e = errno;
        read_holder(fd, holder, sizeof holder);
        close(fd);
        if (e == EACCES || e == EAGAIN) {
            asr_error(d, &loc, NULL, "another run holds the lock (%s); try again once it ends",
                      holder[0] ? holder : "holder unknown");
            return ASR_E_TEMP;
        }
        asr_error(d, &loc, NULL, "cannot take the run's lock: %s", strerror(e));
        return ASR_E_CANTCREATE;
    }
    /* Held. Anything in the file is from a holder that never let go. */
    read_holder(fd, l->stale, sizeof l->stale);
    char host[128] = "";
    gethostname(host, sizeof host - 1);
    char when[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char line[256];
    int n = snprintf(line, sizeof line, "pid %ld on %s since %s\n", (long)getpid(),
                     host[0] ? host : "?", when);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)n, 0) != n) {
        asr_error(d, &loc, NULL, "cannot write the run's lock file: %s", strerror(errno));
        close(fd);
        return ASR_E_CANTCREATE;
    }
    l->fd = fd;
    return ASR_OK;
}

void asr_lock_release(asr_lock *l)
{
    if (l->fd >= 0) {
        if (ftruncate(l->fd, 0) != 0) {
            /* the next run will only say the last one did not let go cleanly */
        }
        close(l->fd); /* closing lets go of the record lock */
    }
    l->fd = -1;
    free(l->path);
    l->path = NULL;
}
