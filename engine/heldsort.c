/* heldsort: findings held in a worker, handed back sorted. See heldsort.h. */
#define _GNU_SOURCE
#include "heldsort.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a run reads at a time when handing back (grown for a larger message). */
#define RUN_BUFFER (32u << 10)
/* What is gathered before each write of a run. */
#define WRITE_BUFFER (64u << 10)

struct asr_heldsort_run {
    uint64_t at, len; /* where the run is in the file */
    uint64_t pos;     /* the next byte to read, from at */
    char *buf;
    size_t cap, used, cur; /* buf holds used bytes; the head starts at cur */
    size_t head_len;       /* 0: the run is spent */
};

int asr_heldsort_tmpfile(const char *dir)
{
    if (!dir || !*dir) {
        dir = getenv("TMPDIR");
        if (!dir || !*dir)
            dir = "/tmp";
    }
#ifdef O_TMPFILE
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
        return -1;
#endif
    /* a file system without O_TMPFILE: create, then unlink at once */
    asr_buf path = {0};
    asr_buf_addf(&path, "%s/.assure-held-XXXXXX", dir);
    int tmp = mkostemp(path.data, O_CLOEXEC);
    if (tmp >= 0)
        unlink(path.data);
    asr_buf_free(&path);
    return tmp;
}

void asr_heldsort_file(asr_heldsort *h, int fd, size_t limit)
{
    h->fd = fd;
    h->have_file = fd >= 0;
    h->limit = limit;
}

static int fail(asr_heldsort *h, const char *what)
{
    if (!h->error[0])
        snprintf(h->error, sizeof h->error, "cannot %s the worker's temporary file of findings: %s",
                 what, errno ? strerror(errno) : "it ended early");
    return -1;
}

/* A message's field `which` (0: subject, 1: message); empty if it has none. */
static const char *field(const char *m, int which, uint32_t *len)
{
    uint32_t total = asr_be32_get(m + 1), count = asr_be32_get(m + 5);
    const char *p = m + 9, *end = m + 5 + total;
    for (uint32_t i = 0; i < count && p + 4 <= end; i++) {
        uint32_t n = asr_be32_get(p);
        if ((int)i == which) {
            *len = n;
            return p + 4;
        }
        p += 4 + n;
    }
    *len = 0;
    return "";
}

static int cmp_bytes(const char *a, uint32_t an, const char *b, uint32_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an < bn ? -1 : an > bn);
}

/* Subject, then message. */
static int cmp_msg(const char *a, const char *b)
{
    uint32_t al, bl;
    const char *as = field(a, 0, &al), *bs = field(b, 0, &bl);
    int c = cmp_bytes(as, al, bs, bl);
    if (!c) {
        as = field(a, 1, &al);
        bs = field(b, 1, &bl);
        c = cmp_bytes(as, al, bs, bl);
    }
    return c;
}

static const char *sort_base; /* the batch qsort is ordering (a worker has one thread) */

static int cmp_at(const void *x, const void *y)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    int c = cmp_msg(sort_base + a, sort_base + b);
    return c ? c : (a < b ? -1 : a > b); /* offsets grow with flagging order: stable */
}

/* Sorts the batch in memory; rules often flag in order already (a query's
 * ORDER BY), so one pass first to see whether it needs it. */
static void sort_batch(asr_heldsort *h)
{
    sort_base = h->mem.data;
    size_t sorted = 1;
    while (sorted < h->n && cmp_at(&h->at[sorted - 1], &h->at[sorted]) < 0)
        sorted++;
    if (sorted < h->n)
        qsort(h->at, h->n, sizeof *h->at, cmp_at);
    sort_base = NULL;
}

static size_t msg_len(const char *m)
{
    return 5 + (size_t)asr_be32_get(m + 1);
}

static int write_all(asr_heldsort *h, const char *p, size_t n)
{
    if (asr_write_all(h->fd, p, n, (long long)h->end) != 0)
        return fail(h, "write");
    h->end += n;
    return 0;
}

/* Writes the batch, sorted, as the next run, and empties memory. */
static int spill(asr_heldsort *h)
{
    sort_batch(h);
    uint64_t start = h->end;
    asr_buf out = {0};
    int rc = 0;
    for (size_t i = 0; i < h->n && rc == 0; i++) {
        const char *m = h->mem.data + h->at[i];
        asr_buf_add(&out, m, msg_len(m));
        if (out.len >= WRITE_BUFFER) {
            rc = write_all(h, out.data, out.len);
            asr_buf_clear(&out);
        }
    }
    if (rc == 0 && out.len)
        rc = write_all(h, out.data, out.len);
    asr_buf_free(&out);
    if (rc != 0)
        return rc;
    h->runs = asr_xrealloc(h->runs, (h->n_runs + 1) * sizeof *h->runs);
    asr_heldsort_run *r = &h->runs[h->n_runs++];
    memset(r, 0, sizeof *r);
    r->at = start;
    r->len = h->end - start;
    asr_buf_clear(&h->mem);
    h->n = 0;
    return 0;
}

int asr_heldsort_add(asr_heldsort *h, const char *msg, size_t len)
{
    if (h->error[0])
        return -1;
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 256;
        h->at = asr_xrealloc(h->at, h->cap * sizeof *h->at);
    }
    h->at[h->n++] = h->mem.len;
    asr_buf_add(&h->mem, msg, len);
    h->count++;
    if (h->have_file && h->limit && h->mem.len > h->limit)
        return spill(h);
    return 0;
}

size_t asr_heldsort_count(const asr_heldsort *h)
{
    return h->count;
}

size_t asr_heldsort_runs(const asr_heldsort *h)
{
    return h->n_runs;
}

const char *asr_heldsort_error(const asr_heldsort *h)
{
    return h->error;
}

/* Makes the run's next message its head, whole in its buffer. */
static int advance(asr_heldsort *h, asr_heldsort_run *r)
{
    r->cur += r->head_len;
    r->head_len = 0;
    for (;;) {
        size_t have = r->used - r->cur;
        size_t want = have >= 5 ? msg_len(r->buf + r->cur) : 5;
        if (have >= want) {
            r->head_len = want;
            return 0;
        }
        uint64_t left = r->len - r->pos;
        if (left == 0) {
            if (have == 0)
                return 0; /* spent */
            errno = 0;
            return fail(h, "read"); /* a message cut short */
        }
        /* keep the part read, make room for the rest (none, and no buffer
         * yet, the first time) */
        if (have)
            memmove(r->buf, r->buf + r->cur, have);
        r->used = have;
        r->cur = 0;
        if (r->cap < want || r->cap < RUN_BUFFER) {
            r->cap = want > RUN_BUFFER ? want : RUN_BUFFER;
            r->buf = asr_xrealloc(r->buf, r->cap);
        }
        size_t n = r->cap - r->used;
        if (n > left)
            n = (size_t)left;
        ssize_t got = pread(h->fd, r->buf + r->used, n, (off_t)(r->at + r->pos));
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            if (got == 0)
                errno = 0;
            return fail(h, "read");
        }
        r->used += (size_t)got;
        r->pos += (uint64_t)got;
    }
}

/* Run k's head; k == n_runs is the batch in memory. NULL: spent. */
static const char *head(const asr_heldsort *h, size_t k)
{
    if (k == h->n_runs)
        return h->next_mem < h->n ? h->mem.data + h->at[h->next_mem] : NULL;
    const asr_heldsort_run *r = &h->runs[k];
    return r->head_len ? r->buf + r->cur : NULL;
}

/* Heads compare by subject and message, then by run: earlier runs were
 * flagged first. */
static int heap_less(const asr_heldsort *h, size_t a, size_t b)
{
    int c = cmp_msg(head(h, a), head(h, b));
    return c ? c < 0 : a < b;
}

static void sift_down(asr_heldsort *h, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n_heap && heap_less(h, h->heap[l], h->heap[m]))
            m = l;
        if (r < h->n_heap && heap_less(h, h->heap[r], h->heap[m]))
            m = r;
        if (m == i)
            return;
        size_t t = h->heap[i];
        h->heap[i] = h->heap[m];
        h->heap[m] = t;
        i = m;
    }
}

int asr_heldsort_begin(asr_heldsort *h)
{
    if (h->error[0])
        return -1;
    sort_batch(h);
    h->merging = 1;
    h->next_mem = 0;
    h->heap = asr_xmalloc((h->n_runs + 1) * sizeof *h->heap);
    h->n_heap = 0;
    for (size_t k = 0; k <= h->n_runs; k++) {
        if (k < h->n_runs && advance(h, &h->runs[k]) != 0)
            return -1;
        if (head(h, k))
            h->heap[h->n_heap++] = k;
    }
    for (size_t i = h->n_heap / 2; i-- > 0;)
        sift_down(h, i);
    return 0;
}

int asr_heldsort_next(asr_heldsort *h, const char **msg, size_t *len)
{
    if (h->error[0])
        return -1;
    if (!h->merging && asr_heldsort_begin(h) != 0)
        return -1;
    if (h->pending) {
        /* The message handed back last is the top run's head: only now,
         * when the next is asked for, does that run move on (so the bytes
         * stayed valid until this call). */
        size_t k = h->heap[0];
        h->pending = 0;
        if (k == h->n_runs)
            h->next_mem++;
        else if (advance(h, &h->runs[k]) != 0)
            return -1;
        if (!head(h, k))
            h->heap[0] = h->heap[--h->n_heap];
        if (h->n_heap)
            sift_down(h, 0);
    }
    if (h->n_heap == 0)
        return 0;
    *msg = head(h, h->heap[0]);
    *len = msg_len(*msg);
    h->pending = 1;
    return 1;
}

void asr_heldsort_free(asr_heldsort *h)
{
    for (size_t k = 0; k < h->n_runs; k++)
        free(h->runs[k].buf);
    free(h->runs);
    free(h->heap);
    free(h->at);
    asr_buf_free(&h->mem);
    if (h->have_file)
        close(h->fd);
    memset(h, 0, sizeof *h);
}
