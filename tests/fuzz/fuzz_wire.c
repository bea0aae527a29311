/* Fuzz target: the wire decoder. Parses messages one after another from the
 * input (asr_wire_parse) and decodes each as a finding (asr_finding_decode);
 * the same bytes fed to a reader in pieces must give the same messages. */
#include <stdlib.h>
#include <string.h>

#include "finding.h"
#include "fuzz.h"
#include "wire.h"

static void decode(const asr_wire_msg *m)
{
    size_t need = asr_finding_decode_size(m);
    void *block = malloc(need);
    if (!block)
        return;
    asr_finding f;
    asr_finding_decode(m, block, &f);
    FUZZ_CHECK(f.subject && f.message);
    FUZZ_CHECK(strlen(f.fingerprint) <= 16);
    for (size_t i = 0; i < f.n_evidence; i++)
        FUZZ_CHECK(f.evidence[i].k && f.evidence[i].v && f.evidence[i].t);
    for (size_t i = 0; i < f.n_params; i++)
        FUZZ_CHECK(f.params[i].k && f.params[i].v && f.params[i].t);
    for (size_t i = 0; i < f.n_rows; i++)
        FUZZ_CHECK(f.rows[i].k && f.rows[i].v);
    FUZZ_CHECK(f.rows_total >= (long)f.n_rows);
    /* encoding what was decoded gives a message that parses again */
    asr_buf again = {0};
    asr_finding_encode(&again, &f);
    asr_wire_msg m2;
    FUZZ_CHECK(asr_wire_parse(again.data, again.len, &m2) == (int)again.len);
    FUZZ_CHECK(m2.n == ASR_FINDING_FIXED_FIELDS);
    /* and decodes to the same lists */
    void *block2 = malloc(asr_finding_decode_size(&m2));
    if (block2) {
        asr_finding g;
        asr_finding_decode(&m2, block2, &g);
        FUZZ_CHECK(g.n_evidence == f.n_evidence && g.n_params == f.n_params &&
                   g.n_rows == f.n_rows);
        free(block2);
    }
    asr_buf_free(&again);
    free(block);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    size_t off = 0, messages = 0;
    asr_wire_msg m;
    int r;
    while ((r = asr_wire_parse(p + off, size - off, &m)) > 0) {
        FUZZ_CHECK((size_t)r <= size - off);
        for (size_t i = 0; i < m.n; i++)
            FUZZ_CHECK(m.field[i] >= p + off && m.field[i] + m.len[i] <= p + off + (size_t)r);
        decode(&m);
        off += (size_t)r;
        messages++;
    }
    /* the reader, fed in pieces of 1 + (first byte % 7) bytes */
    asr_wire_reader rd = {{0}, 0};
    size_t step = size ? 1 + data[0] % 7 : 1, got = 0, fed = 0;
    int bad = 0;
    while (fed < size && !bad) {
        size_t n = size - fed < step ? size - fed : step;
        asr_wire_feed(&rd, p + fed, n);
        fed += n;
        int k;
        while ((k = asr_wire_next(&rd, &m)) == 1)
            got++;
        bad = k < 0;
    }
    FUZZ_CHECK(got == messages);
    FUZZ_CHECK(bad == (r < 0));
    asr_wire_reader_free(&rd);
    return 0;
}
