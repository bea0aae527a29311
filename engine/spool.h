/* spool: an append-only store of bytes for output that cannot be written
 * yet -- the formatted findings of rules still running, kept until the rule
 * has finished and its turn in the output comes. Up to a limit the bytes
 * stay in memory; beyond it they go to an unlinked temporary file, so a run
 * with a million findings does not hold them all in memory. Uses util. */
#ifndef ASSURE_SPOOL_H
#define ASSURE_SPOOL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A stretch of the spool. */
typedef struct {
    uint64_t at;
    size_t len;
} asr_extent;

typedef struct asr_spool asr_spool;

/* dir: where the temporary file goes if the bytes outgrow mem_limit. */
asr_spool *asr_spool_new(const char *dir, size_t mem_limit);

/* Appends len bytes; their place is returned in *where. 0, or -1 when they
 * could not be kept (disk full, ...): the spool is then failed, later
 * appends do nothing and asr_spool_error says why. */
int asr_spool_add(asr_spool *s, const void *data, size_t len, asr_extent *where);

/* Writes the bytes of e, less the first `skip`, to out. 0 or -1. */
int asr_spool_copy(asr_spool *s, asr_extent e, size_t skip, FILE *out);

/* Reads the bytes of e into buf (e.len bytes). 0, or -1 with the spool
 * failed (asr_spool_error). */
int asr_spool_read(asr_spool *s, asr_extent e, void *buf);

/* NULL, or why the spool failed. */
const char *asr_spool_error(const asr_spool *s);

/* Bytes held, and whether they went to a file. */
uint64_t asr_spool_size(const asr_spool *s);
int asr_spool_spilled(const asr_spool *s);

void asr_spool_free(asr_spool *s);

#endif
