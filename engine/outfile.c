#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return asr_xstrdup(".");
    if (slash == path)
        return asr_xstrdup("/");
    return asr_xstrndup(path, (size_t)(slash - path));
}

asr_status asr_outfile_open(asr_outfile *o, const char *path, asr_diag *d)
{
    memset(o, 0, sizeof *o);
    asr_loc l = {path, 0, 0};
    asr_buf tmp = {0};
    asr_buf_addf(&tmp, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp.data);
    if (fd < 0) {
        asr_error(d, &l, NULL, "cannot create the output file: %s", strerror(errno));
        asr_buf_free(&tmp);
        return ASR_E_CANTCREATE;
    }
    fchmod(fd, 0644);
    o->f = fdopen(fd, "w");
    if (!o->f) {
        close(fd);
        unlink(tmp.data);
        asr_buf_free(&tmp);
        asr_error(d, &l, NULL, "cannot create the output file: %s", strerror(errno));
        return ASR_E_CANTCREATE;
    }
    o->path = asr_xstrdup(path);
    o->tmp = tmp.data;
    return ASR_OK;
}

asr_status asr_outfile_commit(asr_outfile *o, asr_diag *d)
{
    asr_loc l = {o->path, 0, 0};
    int failed = fflush(o->f) != 0 || ferror(o->f);
    int err = failed ? errno : 0;
    if (!failed && fsync(fileno(o->f)) != 0)
        failed = 1, err = errno;
    if (fclose(o->f) != 0 && !failed)
        failed = 1, err = errno;
    o->f = NULL;
    if (!failed && rename(o->tmp, o->path) != 0)
        failed = 1, err = errno;
    if (failed) {
        asr_error(d, &l, NULL,
                  "cannot write the output file: %s; the previous file, if any, is "
                  "unchanged",
                  strerror(err ? err : EIO));
        asr_outfile_abort(o);
        return ASR_E_IO;
    }
    /* Make the rename itself durable. */
    char *dir = dir_of(o->path);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    free(dir);
    free(o->tmp);
    o->tmp = NULL;
    free(o->path);
    o->path = NULL;
    return ASR_OK;
}

void asr_outfile_abort(asr_outfile *o)
{
    if (o->f)
        fclose(o->f);
    o->f = NULL;
    if (o->tmp)
        unlink(o->tmp);
    free(o->tmp);
    o->tmp = NULL;
    free(o->path);
    o->path = NULL;
}
