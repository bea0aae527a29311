#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static void out_of_memory(void)
{
    fputs("assure: out of memory\n", stderr);
    abort();
}

void *asr_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *asr_xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *asr_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        out_of_memory();
    return q;
}

char *asr_xstrndup(const char *s, size_t n)
{
    char *p = asr_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *asr_xstrdup(const char *s)
{
    return asr_xstrndup(s, strlen(s));
}

int asr_write_all(int fd, const void *p, size_t n, long long at)
{
    const char *c = p;
    while (n) {
        ssize_t w = at < 0 ? write(fd, c, n) : pwrite(fd, c, n, (off_t)at);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (w == 0)
                errno = EIO;
            return -1;
        }
        c += w;
        n -= (size_t)w;
        if (at >= 0)
            at += w;
    }
    return 0;
}

/* ---- buffer ---- */

void asr_buf_reserve(asr_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->data = asr_xrealloc(b->data, cap);
    b->cap = cap;
}

void asr_buf_add(asr_buf *b, const char *s, size_t n)
{
    asr_buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void asr_buf_addc(asr_buf *b, char c)
{
    asr_buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void asr_buf_adds(asr_buf *b, const char *s)
{
    asr_buf_add(b, s, strlen(s));
}

void asr_buf_vaddf(asr_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    asr_buf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void asr_buf_addf(asr_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    asr_buf_vaddf(b, fmt, ap);
    va_end(ap);
}

long asr_fork_piped(int *fd)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    fflush(stdout);
    fflush(stderr);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        /* The child dies with its parent, however the parent dies (SIGKILL
         * included); one whose parent died before this was set goes now. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
            _exit(1);
    }
    close(pid == 0 ? p[0] : p[1]);
    *fd = pid == 0 ? p[1] : p[0];
    return (long)pid;
}

uint32_t asr_be32_get(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

void asr_be32_put(char *p, uint32_t v)
{
    p[0] = (char)(v >> 24);
    p[1] = (char)(v >> 16);
    p[2] = (char)(v >> 8);
    p[3] = (char)v;
}

void asr_buf_add_be32(asr_buf *b, uint32_t v)
{
    char c[4];
    asr_be32_put(c, v);
    asr_buf_add(b, c, 4);
}

void asr_buf_add_be16(asr_buf *b, uint16_t v)
{
    char c[2] = {(char)(v >> 8), (char)v};
    asr_buf_add(b, c, 2);
}

void asr_buf_clear(asr_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void asr_buf_free(asr_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

const char *asr_buf_str(asr_buf *b)
{
    return b->data ? b->data : "";
}

/* ---- arena ---- */

struct asr_arena_block {
    asr_arena_block *next;
    size_t used, cap;
    _Alignas(16) unsigned char mem[];
};

void *asr_arena_alloc(asr_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    asr_arena_block *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 16384 ? n : 16384;
        b = asr_xmalloc(sizeof *b + cap);
        b->used = 0;
        b->cap = cap;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->mem + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *asr_arena_strndup(asr_arena *a, const char *s, size_t n)
{
    char *p = asr_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *asr_arena_strdup(asr_arena *a, const char *s)
{
    return s ? asr_arena_strndup(a, s, strlen(s)) : NULL;
}

void asr_arena_free(asr_arena *a)
{
    asr_arena_block *b = a->head;
    while (b) {
        asr_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}

/* ---- hashing and the string set ---- */

uint64_t asr_hash64(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3u;
    }
    return h;
}

/* Slot strings are stored as [len bytes][NUL]; length is compared via strlen
 * of the slot, so keys may not contain NUL (callers validate that first). */
static size_t strset_find(const asr_strset *set, const char *s, size_t len)
{
    size_t mask = set->cap - 1;
    size_t i = (size_t)asr_hash64(s, len) & mask;
    while (set->slots[i]) {
        if (strlen(set->slots[i]) == len && memcmp(set->slots[i], s, len) == 0)
            return i;
        i = (i + 1) & mask;
    }
    return i;
}

static void strset_grow(asr_strset *set)
{
    asr_strset bigger = {asr_xcalloc(set->cap ? set->cap * 2 : 64, sizeof(char *)),
                         set->cap ? set->cap * 2 : 64, set->count};
    for (size_t i = 0; i < set->cap; i++) {
        char *s = set->slots[i];
        if (s)
            bigger.slots[strset_find(&bigger, s, strlen(s))] = s;
    }
    free(set->slots);
    *set = bigger;
}

int asr_strset_add(asr_strset *set, const char *s, size_t len)
{
    if ((set->count + 1) * 2 > set->cap)
        strset_grow(set);
    size_t i = strset_find(set, s, len);
    if (set->slots[i])
        return 0;
    set->slots[i] = asr_xstrndup(s, len);
    set->count++;
    return 1;
}

int asr_strset_has(const asr_strset *set, const char *s, size_t len)
{
    if (!set->cap)
        return 0;
    return set->slots[strset_find(set, s, len)] != NULL;
}

void asr_strset_free(asr_strset *set)
{
    for (size_t i = 0; i < set->cap; i++)
        free(set->slots[i]);
    free(set->slots);
    set->slots = NULL;
    set->cap = set->count = 0;
}

/* ---- the string-to-index map ---- */

static size_t strmap_find(const asr_strmap *m, const char *s, size_t len, uint64_t h)
{
    size_t mask = m->cap - 1, i = (size_t)h & mask;
    while (m->keys[i]) {
        if (m->hashes[i] == h && strnlen(m->keys[i], len + 1) == len &&
            memcmp(m->keys[i], s, len) == 0)
            return i;
        i = (i + 1) & mask;
    }
    return i;
}

static void strmap_grow(asr_strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    asr_strmap bigger = {asr_xcalloc(cap, sizeof(char *)), asr_xmalloc(cap * sizeof(uint64_t)),
                         asr_xmalloc(cap * sizeof(size_t)), cap, m->count};
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t mask = cap - 1, j = (size_t)m->hashes[i] & mask;
        while (bigger.keys[j])
            j = (j + 1) & mask;
        bigger.keys[j] = m->keys[i];
        bigger.hashes[j] = m->hashes[i];
        bigger.values[j] = m->values[i];
    }
    asr_strmap_free(m);
    *m = bigger;
}

size_t asr_strmap_put(asr_strmap *m, const char *key, size_t value)
{
    if ((m->count + 1) * 2 > m->cap)
        strmap_grow(m);
    size_t len = strlen(key);
    uint64_t h = asr_hash64(key, len);
    size_t i = strmap_find(m, key, len, h);
    if (m->keys[i])
        return m->values[i];
    m->keys[i] = key;
    m->hashes[i] = h;
    m->values[i] = value;
    m->count++;
    return value;
}

int asr_strmap_get(const asr_strmap *m, const char *s, size_t len, size_t *value)
{
    if (!m->cap)
        return 0;
    size_t i = strmap_find(m, s, len, asr_hash64(s, len));
    if (!m->keys[i])
        return 0;
    *value = m->values[i];
    return 1;
}

void asr_strmap_free(asr_strmap *m)
{
    free(m->keys);
    free(m->hashes);
    free(m->values);
    memset(m, 0, sizeof *m);
}

/* ---- UTF-8 ---- */

/* The length of the UTF-8 sequence at p (before end) and its code point in
 * *cp, or 0 if it is not valid UTF-8 (overlong, a surrogate, past
 * U+10FFFF, cut short). */
static size_t utf8_decode(const unsigned char *p, const unsigned char *end, unsigned *cp)
{
    unsigned c = *p;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t need;
    unsigned v, min;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if ((size_t)(end - p) <= need)
        return 0;
    for (size_t i = 1; i <= need; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return need + 1;
}

const char *asr_utf8_invalid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        unsigned cp;
        size_t n = utf8_decode(p, end, &cp);
        if (!n)
            return (const char *)p;
        p += n;
    }
    return NULL;
}

/* ---- text for a terminal ---- */

/* Code points a terminal acts on instead of showing: C0 controls, DEL, C1
 * controls, and the bidirectional overrides and isolates that reorder
 * what follows them on the line. */
static int steers_terminal(unsigned cp)
{
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

void asr_buf_add_term(asr_buf *b, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        const unsigned char *run = p;
        unsigned cp = 0;
        size_t n = 0;
        /* copy what needs no escape in one piece */
        while (p < end && (n = utf8_decode(p, end, &cp)) != 0 && !steers_terminal(cp))
            p += n;
        if (p > run)
            asr_buf_add(b, (const char *)run, (size_t)(p - run));
        if (p == end)
            break;
        if (!n) {
            asr_buf_addf(b, "\\x%02x", *p); /* not UTF-8: the byte itself */
            p++;
        } else {
            if (cp == '\n')
                asr_buf_adds(b, "\\n");
            else if (cp == '\r')
                asr_buf_adds(b, "\\r");
            else if (cp == '\t')
                asr_buf_adds(b, "\\t");
            else if (cp < 0x80)
                asr_buf_addf(b, "\\x%02x", cp);
            else
                asr_buf_addf(b, "\\u%04x", cp);
            p += n;
        }
    }
}

void asr_fputs_term(const char *s, FILE *out)
{
    size_t len = strlen(s);
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len && p[i] >= 0x20 && p[i] < 0x7F) /* the common case: plain ASCII */
        i++;
    if (i == len) {
        fputs(s, out);
        return;
    }
    asr_buf b = {0};
    asr_buf_add_term(&b, s, len);
    fwrite(b.data, 1, b.len, out);
    asr_buf_free(&b);
}

char *asr_term_dup(const char *s)
{
    asr_buf b = {0};
    asr_buf_add_term(&b, s, strlen(s));
    return b.data ? b.data : asr_xstrdup("");
}

/* ---- regular expressions ---- */

/* Saturating: sizes stop growing once past the limit. */
static size_t size_add(size_t a, size_t b)
{
    return a + b > ASR_REGEX_MAX_SIZE ? ASR_REGEX_MAX_SIZE + 1 : a + b;
}

static size_t size_mul(size_t a, size_t b)
{
    return b && a > (ASR_REGEX_MAX_SIZE + 1) / b
               ? ASR_REGEX_MAX_SIZE + 1
               : (a * b > ASR_REGEX_MAX_SIZE ? ASR_REGEX_MAX_SIZE + 1 : a * b);
}

/* A bound "{m}", "{m,}" or "{m,n}" at p (after the '{'): 1 with *copies the
 * larger count (m + 1 for "{m,}") and *end past the '}'; 0 if p holds no
 * bound (the '{' is then a character, or regcomp reports it). */
static int read_bound(const char *p, const char **end, size_t *copies)
{
    size_t m = 0, n = 0;
    int digits = 0, comma = 0, ndigits = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++)
        m = m > 100000 ? m : m * 10 + (size_t)(*p - '0');
    if (*p == ',') {
        comma = 1;
        for (p++; *p >= '0' && *p <= '9'; p++, ndigits++)
            n = n > 100000 ? n : n * 10 + (size_t)(*p - '0');
    }
    if (*p != '}' || (!digits && !comma)) /* glibc reads "{,n}" as "{0,n}" */
        return 0;
    *end = p + 1;
    *copies = !comma ? m : ndigits ? (n > m ? n : m) : m + 1;
    return 1;
}

/* One open group while a pattern is read. Sizes: of the finished
 * alternatives, of the finished atoms of this alternative, and of the last
 * atom (which a repetition multiplies). Nullable: whether the last atom,
 * this alternative so far, or some finished alternative can match "". */
typedef struct {
    size_t alt, seq, last;
    int has_last, last_null, seq_null, alt_null;
} re_frame;

static void re_commit(re_frame *f)
{
    if (!f->has_last)
        return;
    f->seq = size_add(f->seq, f->last);
    f->seq_null &= f->last_null;
    f->has_last = 0;
    f->last = 0;
}

static void re_atom(re_frame *f, size_t size, int nullable)
{
    re_commit(f);
    f->has_last = 1;
    f->last = size;
    f->last_null = nullable;
}

const char *asr_regex_check(const char *ere)
{
    enum { MAX_NEST = 64 };
    re_frame st[MAX_NEST + 1];
    size_t depth = 0;
    memset(&st[0], 0, sizeof st[0]);
    st[0].seq_null = 1;
    const char *p = ere;
    while (*p) {
        re_frame *f = &st[depth];
        char c = *p;
        if (c == '(') {
            if (depth == MAX_NEST)
                return "nested more than 64 groups deep";
            depth++;
            memset(&st[depth], 0, sizeof st[depth]);
            st[depth].seq_null = 1;
            p++;
            continue;
        }
        if (c == ')' && depth) {
            re_commit(f);
            size_t size = size_add(f->alt, f->seq);
            int nullable = f->alt_null || f->seq_null;
            depth--;
            re_atom(&st[depth], size ? size : 1, nullable);
            p++;
            continue;
        }
        if (c == '|') {
            re_commit(f);
            f->alt = size_add(f->alt, f->seq);
            f->alt_null |= f->seq_null;
            f->seq = 0;
            f->seq_null = 1;
            p++;
            continue;
        }
        const char *end = p + 1;
        size_t copies = 1;
        int bound = c == '{' && read_bound(p + 1, &end, &copies);
        if ((c == '*' || c == '+' || c == '?' || bound) && f->has_last) {
            /* glibc's regcomp takes exponential time over a repeated part
             * that can match nothing: "((a*)*){20}", "(a?){1,400}", "a**" */
            if (f->last_null)
                return "repeats a part that can match nothing (such as (a*)* or (x?){2,9}); "
                       "leave the inner repetition or the outer one out";
            /* regcomp writes x+ as xx*, doubling x: "a" then twenty '+'
             * took 700 MB */
            if (c == '+')
                copies = 2;
            f->last = size_mul(f->last, copies ? copies : 1);
            if (c == '*' || c == '?' || (c == '{' && (p[1] == '0' || p[1] == ',')))
                f->last_null = 1;
            p = end;
            continue;
        }
        /* an atom: an anchor, an escape, a bracket expression or a character */
        if (c == '^' || c == '$') {
            re_atom(f, 1, 1);
            p++;
        } else if (c == '\\') {
            if (p[1] >= '1' && p[1] <= '9')
                return "has a back-reference (\\1 to \\9), which can take exponential time";
            re_atom(f, 1, p[1] && strchr("bB<>`'", p[1]) != NULL);
            p += p[1] ? 2 : 1;
        } else if (c == '[') {
            re_atom(f, 1, 0);
            p++;
            if (*p == '^')
                p++;
            if (*p == ']')
                p++;
            while (*p && *p != ']') {
                if (*p == '[' && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
                    char kind = p[1];
                    const char *close = p + 2;
                    while (*close && !(close[0] == kind && close[1] == ']'))
                        close++;
                    p = *close ? close + 2 : close;
                } else {
                    p++;
                }
            }
            if (*p)
                p++;
        } else {
            re_atom(f, 1, 0);
            p++;
        }
    }
    size_t total = 0;
    for (size_t i = 0; i <= depth; i++) {
        re_commit(&st[i]);
        total = size_add(total, size_add(st[i].alt, st[i].seq));
    }
    if (total > ASR_REGEX_MAX_SIZE)
        return "is too big: over 2000 characters' worth once each {m,n} repetition is written "
               "out";
    return NULL;
}

/* ---- suggestions ---- */

size_t asr_edit_distance(const char *a, const char *b, size_t cap)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64)
        return cap + 1;
    size_t row[65];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0], best = i;
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost =
                tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
            size_t v = diag + cost;
            if (row[j - 1] + 1 < v)
                v = row[j - 1] + 1;
            if (up + 1 < v)
                v = up + 1;
            row[j] = v;
            diag = up;
            if (v < best)
                best = v;
        }
        if (best > cap)
            return cap + 1;
    }
    return row[lb] > cap ? cap + 1 : row[lb];
}

static void consider(const char *word, const char *cand, size_t cap, const char **best,
                     size_t *best_d)
{
    if (!cand)
        return;
    size_t d = asr_edit_distance(word, cand, cap);
    if (d <= cap && d < *best_d) {
        *best = cand;
        *best_d = d;
    }
}

static size_t suggestion_cap(const char *word)
{
    size_t n = strlen(word);
    return n < 3 ? 1 : n / 3 + 1;
}

const char *asr_did_you_mean(const char *word, const char *const *candidates)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1, cap = suggestion_cap(word);
    for (size_t i = 0; candidates[i]; i++)
        consider(word, candidates[i], cap, &best, &best_d);
    return best;
}

const char *asr_did_you_mean_ids(const char *word, const void *items, size_t count, size_t stride)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1, cap = suggestion_cap(word);
    for (size_t i = 0; i < count; i++) {
        const char *cand = *(const char *const *)((const char *)items + i * stride);
        consider(word, cand, cap, &best, &best_d);
    }
    return best;
}

char *asr_path_relative(const char *from_file, const char *rel)
{
    const char *slash = strrchr(from_file, '/');
    if (rel[0] == '/' || !slash)
        return asr_xstrdup(rel);
    asr_buf b = {0};
    asr_buf_add(&b, from_file, (size_t)(slash - from_file) + 1);
    asr_buf_adds(&b, rel);
    return b.data;
}
