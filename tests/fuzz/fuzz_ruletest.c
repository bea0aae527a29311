/* Fuzz target: the rule-test file reader (asr_ruletest_parse_string), which
 * reads a *.test.yaml file as assure test does, without running its cases. */
#include <stdio.h>

#include "fuzz.h"
#include "ruletest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    asr_diag d;
    asr_diag_init(&d, ASR_DIAG_LIMIT);
    size_t cases = 0;
    asr_status st =
        asr_ruletest_parse_string("rules/fuzz.test.yaml", (const char *)data, size, &d, &cases);
    FUZZ_CHECK(st == ASR_OK || st == ASR_E_CONFIG);
    FUZZ_CHECK(st == ASR_OK ? d.errors == 0 : d.errors > 0);
    FUZZ_CHECK(d.count <= ASR_DIAG_LIMIT);
    asr_diag_sort(&d);
    asr_diag_free(&d);
    return 0;
}
