#include "finding.h"

#include <string.h>

#include "sha256.h"

const char *const asr_severity_names[ASR_N_SEVERITIES] = {"high", "medium", "low"};

const char *asr_finding_severity(const asr_finding *f, const asr_rule *rule)
{
    return f->severity ? f->severity : rule->severity;
}

int asr_severity_index(const char *s)
{
    for (int i = 0; i < ASR_N_SEVERITIES; i++)
        if (s && strcmp(s, asr_severity_names[i]) == 0)
            return i;
    return ASR_N_SEVERITIES - 1;
}

void asr_finding_fingerprint(const char *rule_id, const char *subject, size_t subject_len,
                             char out[17])
{
    asr_sha256 h;
    char hex[65];
    asr_sha256_init(&h);
    asr_sha256_update(&h, rule_id, strlen(rule_id) + 1);
    asr_sha256_update(&h, subject, subject_len);
    asr_sha256_final_hex(&h, hex);
    memcpy(out, hex, 16);
    out[16] = '\0';
}
