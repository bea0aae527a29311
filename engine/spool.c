#include "spool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

struct asr_spool {
    char *dir;
    size_t mem_limit;
    asr_buf mem; /* the bytes, while they fit */
    int fd;      /* the temporary file, once they do not; -1 before */
    uint64_t size;
    char error[300];
};

asr_spool *asr_spool_new(const char *dir, size_t mem_limit)
{
    asr_spool *s = asr_xcalloc(1, sizeof *s);
    s->dir = asr_xstrdup(dir && *dir ? dir : ".");
    s->mem_limit = mem_limit;
    s->fd = -1;
    return s;
}

static int fail(asr_spool *s, const char *what)
{
    if (!s->error[0])
        snprintf(s->error, sizeof s->error, "cannot %s a temporary file in %s: %s", what, s->dir,
                 strerror(errno));
    return -1;
}

/* Moves the bytes held in memory to a new temporary file, unlinked at once
 * so it is gone when the process ends, however it ends. */
static int spill(asr_spool *s)
{
    asr_buf path = {0};
    asr_buf_addf(&path, "%s/.assure-spool-XXXXXX", s->dir);
    int fd = mkstemp(path.data);
    if (fd < 0) {
        asr_buf_free(&path);
        return fail(s, "create");
    }
    unlink(path.data);
    asr_buf_free(&path);
    if (asr_write_all(fd, s->mem.data, s->mem.len, -1) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return fail(s, "write");
    }
    s->fd = fd;
    asr_buf_free(&s->mem);
    return 0;
}

int asr_spool_add(asr_spool *s, const void *data, size_t len, asr_extent *where)
{
    if (s->error[0])
        return -1;
    if (s->fd < 0 && s->mem.len + len > s->mem_limit && spill(s) != 0)
        return -1;
    if (s->fd >= 0) {
        if (asr_write_all(s->fd, data, len, -1) != 0)
            return fail(s, "write");
    } else {
        asr_buf_add(&s->mem, data, len);
    }
    where->at = s->size;
    where->len = len;
    s->size += len;
    return 0;
}

int asr_spool_copy(asr_spool *s, asr_extent e, size_t skip, FILE *out)
{
    if (skip > e.len)
        skip = e.len;
    uint64_t at = e.at + skip;
    size_t left = e.len - skip;
    if (s->fd < 0)
        return left && fwrite(s->mem.data + at, 1, left, out) != left ? -1 : 0;
    char buf[65536];
    while (left) {
        size_t want = left < sizeof buf ? left : sizeof buf;
        ssize_t got = pread(s->fd, buf, want, (off_t)at);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (got == 0)
                errno = EIO;
            return fail(s, "read");
        }
        if (fwrite(buf, 1, (size_t)got, out) != (size_t)got)
            return -1;
        at += (uint64_t)got;
        left -= (size_t)got;
    }
    return 0;
}

int asr_spool_read(asr_spool *s, asr_extent e, void *buf)
{
    if (s->fd < 0) {
        if (e.len)
            memcpy(buf, s->mem.data + e.at, e.len);
        return 0;
    }
    char *p = buf;
    uint64_t at = e.at;
    size_t left = e.len;
    while (left) {
        ssize_t got = pread(s->fd, p, left, (off_t)at);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (got == 0)
                errno = EIO;
            return fail(s, "read");
        }
        p += got;
        at += (uint64_t)got;
        left -= (size_t)got;
    }
    return 0;
}

const char *asr_spool_error(const asr_spool *s)
{
    return s->error[0] ? s->error : NULL;
}

uint64_t asr_spool_size(const asr_spool *s)
{
    return s->size;
}

int asr_spool_spilled(const asr_spool *s)
{
    return s->fd >= 0;
}

void asr_spool_free(asr_spool *s)
{
    if (!s)
        return;
    if (s->fd >= 0)
        close(s->fd);
    asr_buf_free(&s->mem);
    free(s->dir);
    free(s);
}
