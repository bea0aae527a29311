/* util: the small pieces every module uses -- checked allocation, a growable
 * byte buffer, an arena for long-lived strings, a string hash set, UTF-8
 * validation, text made safe for a terminal, "did you mean" suggestions, and
 * writing a whole buffer to a file descriptor. Uses libc only.
 *
 * Allocation failure is not recoverable in this program: asr_xmalloc and
 * friends print "out of memory" and abort() rather than return NULL, so no
 * caller has to carry an error path for it. */
#ifndef ASSURE_UTIL_H
#define ASSURE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

void *asr_xmalloc(size_t n);
void *asr_xcalloc(size_t count, size_t size);
void *asr_xrealloc(void *p, size_t n);
char *asr_xstrdup(const char *s);
char *asr_xstrndup(const char *s, size_t n);

/* Writes all n bytes of p to fd -- at offset at, or at the file position
 * when at < 0 -- again after a signal or a short write. 0, or -1 with errno
 * set (EIO for a write that wrote nothing). */
int asr_write_all(int fd, const void *p, size_t n, long long at);

/* Growable byte buffer, always NUL-terminated once anything was added. */
typedef struct {
    char *data;
    size_t len;
    size_t cap;
} asr_buf;

void asr_buf_reserve(asr_buf *b, size_t extra);
void asr_buf_add(asr_buf *b, const char *s, size_t n);
void asr_buf_addc(asr_buf *b, char c);
void asr_buf_adds(asr_buf *b, const char *s);
void asr_buf_addf(asr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void asr_buf_vaddf(asr_buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void asr_buf_clear(asr_buf *b);      /* length 0, keeps the memory */
void asr_buf_free(asr_buf *b);       /* releases the memory */
const char *asr_buf_str(asr_buf *b); /* "" when empty; borrowed */

/* Forks a child joined to the parent by a pipe, stdio flushed first so
 * nothing buffered is written twice. In the parent: the child's pid, *fd
 * the read end. In the child: 0, *fd the write end; the child is killed
 * (SIGKILL) when the parent dies, however it dies, and exits at once if
 * the parent is already gone. -1 if no pipe or process could be had. */
long asr_fork_piped(int *fd);

/* rel as seen from the directory of from_file (rel itself if absolute or
 * from_file has no directory). Caller frees. */
char *asr_path_relative(const char *from_file, const char *rel);

/* Big-endian integers in byte strings: the worker wire format and the
 * import's row batches. */
uint32_t asr_be32_get(const char *p);
void asr_be32_put(char *p, uint32_t v);
void asr_buf_add_be32(asr_buf *b, uint32_t v);
void asr_buf_add_be16(asr_buf *b, uint16_t v);

/* Arena: many small allocations freed together. Used for the loaded map. */
typedef struct asr_arena_block asr_arena_block;
typedef struct {
    asr_arena_block *head;
} asr_arena;

void *asr_arena_alloc(asr_arena *a, size_t n); /* zeroed, 16-byte aligned */
char *asr_arena_strdup(asr_arena *a, const char *s);
char *asr_arena_strndup(asr_arena *a, const char *s, size_t n);
void asr_arena_free(asr_arena *a);

/* Set of strings (keys are copied). Open addressing, grows as needed. */
typedef struct {
    char **slots;
    size_t cap;
    size_t count;
} asr_strset;

/* Adds s; returns 1 if it was added, 0 if it was already there. */
int asr_strset_add(asr_strset *set, const char *s, size_t len);
int asr_strset_has(const asr_strset *set, const char *s, size_t len);
void asr_strset_free(asr_strset *set);

/* Map from strings to indexes (the first index given for each string). Keys
 * are borrowed, not copied: they must outlive the map and hold no NUL. Open
 * addressing, grows as needed. For lookups by id in the map loader and by
 * header in the importer. */
typedef struct {
    const char **keys;
    uint64_t *hashes;
    size_t *values;
    size_t cap, count;
} asr_strmap;

/* Adds key -> value unless key is there already; returns the value stored
 * under key (value itself when it was added). */
size_t asr_strmap_put(asr_strmap *m, const char *key, size_t value);
/* 1 with *value set if [s, s+len) is a key; else 0. */
int asr_strmap_get(const asr_strmap *m, const char *s, size_t len, size_t *value);
void asr_strmap_free(asr_strmap *m);

/* 64-bit FNV-1a; used for hashing keys in memory, never for content identity. */
uint64_t asr_hash64(const void *data, size_t len);

/* Whether an extended regular expression from a user is safe to give
 * glibc's regcomp, which takes exponential time or gigabytes on some short
 * patterns: it copies a subexpression once per count of a bounded
 * repetition ("((a{1,255}){1,255}){1,255}") and twice for a '+' ("a+++...",
 * "((a)+)+..." double with each '+'), and repeating a part that can
 * match nothing ("((a*)*){20}", "(a?){1,400}", "a**") costs it exponential
 * time. Returns NULL if the pattern repeats no such part, has no
 * back-reference (\1: matching those can take exponential time) and, with
 * every repetition written out, holds at most ASR_REGEX_MAX_SIZE atoms;
 * else the reason, for "the pattern ...". */
#define ASR_REGEX_MAX_SIZE 2000
const char *asr_regex_check(const char *ere);

/* Returns NULL if [s, s+len) is valid UTF-8 (no overlongs, no surrogates, no
 * code points above U+10FFFF); otherwise a pointer to the first bad byte. */
const char *asr_utf8_invalid(const char *s, size_t len);

/* Text for a terminal (the text exception list, diagnostics, logs):
 * appends s[0..len) with everything a terminal would act on instead of
 * show written as an escape -- C0 controls and DEL as \x1b (newline, CR
 * and tab as \n, \r, \t), C1 controls (U+0080-U+009F) and the
 * bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069) as
 * \u202e, and bytes that are not UTF-8 as \xNN. A backslash is kept as it
 * is. The newlines a report writes itself are not passed through here. */
void asr_buf_add_term(asr_buf *b, const char *s, size_t len);
/* fputs of the same; a copy the caller frees. */
void asr_fputs_term(const char *s, FILE *out);
char *asr_term_dup(const char *s);

/* Edit distance between a and b, capped: returns cap+1 once it exceeds cap. */
size_t asr_edit_distance(const char *a, const char *b, size_t cap);

/* The candidate closest to word (case-insensitive edit distance at most about
 * a third of its length), or NULL. candidates is NULL-terminated. */
const char *asr_did_you_mean(const char *word, const char *const *candidates);

/* Same over a strided array of structs whose first member is a char *:
 * items points at the first struct, stride is sizeof that struct. */
const char *asr_did_you_mean_ids(const char *word, const void *items, size_t count, size_t stride);

#endif
