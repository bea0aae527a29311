/* Fuzz target: the CSV reader -- asr_csv_open_string and asr_csv_next to the
 * end -- and, as an oracle, the FILE reader (through fmemopen) on the same
 * bytes, which must hand back the same records and hash every byte. The
 * first byte picks the field size limit (below 128: 1 + that many bytes, so
 * the over-long field path is reached; else the default 1 MiB), the second
 * the FILE reader's chunk size (0: the default 1 MiB), so that records split
 * across reads are exercised. */
#include <stdio.h>
#include <string.h>

#include "csv.h"
#include "fuzz.h"
#include "sha256.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t max_field = data[0] < 128 ? 1 + data[0] : 0; /* 0: the default, 1 MiB */
    size_t chunk = data[1];
    const char *text = (const char *)data + 2;
    size_t len = size - 2;
    asr_csv *a = asr_csv_open_string(text, len, max_field);
    FILE *f = len ? fmemopen((void *)text, len, "rb") : NULL;
    asr_sha256 h;
    asr_sha256_init(&h);
    asr_csv *b = f ? asr_csv_open_chunked(f, max_field, &h, chunk) : NULL;
    for (unsigned records = 0;; records++) {
        asr_csv_record ra, rb;
        asr_csv_result x = asr_csv_next(a, &ra);
        if (x != ASR_CSV_END) {
            FUZZ_CHECK(ra.line >= 1);
            for (size_t i = 0; i < ra.n; i++)
                FUZZ_CHECK(ra.lens[i] <= len && ra.fields[i][ra.lens[i]] == '\0');
        }
        if (x == ASR_CSV_BAD || x == ASR_CSV_FATAL) {
            size_t field;
            unsigned line;
            FUZZ_CHECK(asr_csv_error(a, &field, &line) != NULL);
            FUZZ_CHECK(line >= 1);
        }
        if (b) {
            asr_csv_result y = asr_csv_next(b, &rb);
            FUZZ_CHECK(x == y);
            if (x != ASR_CSV_END) {
                FUZZ_CHECK(ra.n == rb.n && ra.line == rb.line);
                for (size_t i = 0; i < ra.n; i++)
                    FUZZ_CHECK(ra.lens[i] == rb.lens[i] &&
                               memcmp(ra.fields[i], rb.fields[i], ra.lens[i]) == 0);
            }
        }
        if (x == ASR_CSV_END || x == ASR_CSV_FATAL)
            break;
        FUZZ_CHECK(records <= len + 1); /* every record consumes input */
    }
    FUZZ_CHECK(asr_csv_bytes(a) <= len);
    if (b) {
        FUZZ_CHECK(asr_csv_bytes(a) == asr_csv_bytes(b));
        /* the reader has read (and hashed) to the end: an unterminated
         * quote, the one stop before END, is only known there */
        char want[65], got[65];
        asr_sha256 all;
        asr_sha256_init(&all);
        asr_sha256_update(&all, text, len);
        asr_sha256_final_hex(&all, want);
        asr_sha256_final_hex(&h, got);
        FUZZ_CHECK(strcmp(want, got) == 0);
    }
    asr_csv_close(a);
    asr_csv_close(b);
    if (f)
        fclose(f);
    return 0;
}
