/* json: a strict reader for tracker exports in JSON -- one array of flat
 * objects whose values are strings, numbers, true, false or null. Rejects
 * duplicate keys, nested arrays or objects as values, numbers JSON does not
 * allow (NaN, Infinity, leading zeros, a lone '.'), integers beyond 2^53
 * (they would lose digits), escaped NULs, lone surrogates, invalid UTF-8 and
 * objects of more than ASR_JSON_MAX_KEYS keys. One UTF-8 byte-order mark is
 * skipped. Reads from memory. Uses util. */
#ifndef ASSURE_JSON_H
#define ASSURE_JSON_H

#include <stddef.h>

/* Keys one object may have; an object with more is an error. */
#define ASR_JSON_MAX_KEYS 4096u

typedef enum { ASR_JNULL, ASR_JBOOL, ASR_JNUMBER, ASR_JSTRING } asr_jkind;

typedef struct {
    const char *key; /* decoded, NUL-terminated */
    asr_jkind kind;
    const char *text; /* decoded string, number as written, "true"/"false" */
    size_t len;
    unsigned line, col; /* where the value starts */
} asr_jfield;

/* Called once per object in the array, in order. Pointers are valid only
 * during the call. Return non-zero to stop reading. */
typedef int (*asr_json_object_fn)(void *ctx, unsigned line, const asr_jfield *fields, size_t n);

typedef struct {
    char message[160];
    unsigned line, col;
} asr_json_error;

/* Returns 0 after visiting every object, 1 if the callback stopped it, or -1
 * on a syntax or content error described in *err. */
int asr_json_each_object(const char *data, size_t len, asr_json_object_fn fn, void *ctx,
                         asr_json_error *err);

#endif
