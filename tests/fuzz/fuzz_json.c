/* Fuzz target: the JSON reader, asr_json_each_object over the whole input;
 * every field handed to the callback must be well formed. */
#include <string.h>

#include "fuzz.h"
#include "json.h"
#include "util.h"

typedef struct {
    size_t objects, fields;
    unsigned last_line;
} tally;

static int on_object(void *ctx, unsigned line, const asr_jfield *f, size_t n)
{
    tally *t = ctx;
    FUZZ_CHECK(line >= 1 && line >= t->last_line);
    t->last_line = line;
    t->objects++;
    t->fields += n;
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(f[i].line >= line && f[i].col >= 1);
        FUZZ_CHECK(f[i].kind <= ASR_JSTRING);
        FUZZ_CHECK(strlen(f[i].text) == f[i].len);
        FUZZ_CHECK(!asr_utf8_invalid(f[i].key, strlen(f[i].key)));
        FUZZ_CHECK(!asr_utf8_invalid(f[i].text, f[i].len));
        for (size_t k = 0; k < i; k++)
            FUZZ_CHECK(strcmp(f[k].key, f[i].key) != 0);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tally t = {0, 0, 0};
    asr_json_error err;
    memset(&err, 0, sizeof err);
    int rc = asr_json_each_object((const char *)data, size, on_object, &t, &err);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc < 0) {
        FUZZ_CHECK(err.line >= 1 && err.col >= 1);
        FUZZ_CHECK(memchr(err.message, '\0', sizeof err.message) != NULL);
        FUZZ_CHECK(err.message[0] != '\0');
    }
    return 0;
}
