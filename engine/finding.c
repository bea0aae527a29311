#include "finding.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"
#include "wire.h"

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

void asr_finding_encode(asr_buf *msg, const asr_finding *f)
{
    char age[24] = "";
    if (f->age_days >= 0 && f->state)
        snprintf(age, sizeof age, "%ld", f->age_days);
    const char *fixed[ASR_FINDING_FIXED_FIELDS] = {
        f->subject, f->message,    f->severity, f->unit,   f->area,
        f->line,    f->principle,  f->owner,    f->due,    f->fingerprint,
        f->state,   f->first_seen, age,         f->waiver, f->waived ? "1" : NULL};
    asr_wire_begin(msg, 'F');
    for (int i = 0; i < ASR_FINDING_FIXED_FIELDS; i++)
        asr_wire_adds(msg, fixed[i]);
    for (size_t i = 0; i < f->n_evidence; i++) {
        asr_wire_adds(msg, f->evidence[i].k);
        asr_wire_adds(msg, f->evidence[i].v);
    }
}

static size_t evidence_count(const asr_wire_msg *m)
{
    return m->n > ASR_FINDING_FIXED_FIELDS ? (m->n - ASR_FINDING_FIXED_FIELDS) / 2 : 0;
}

size_t asr_finding_decode_size(const asr_wire_msg *m)
{
    size_t size = (evidence_count(m) + 1) * sizeof(asr_kv);
    for (size_t i = 0; i < m->n; i++)
        size += m->len[i] + 1;
    return size;
}

void asr_finding_decode(const asr_wire_msg *m, void *block, asr_finding *f)
{
    enum { N = ASR_FINDING_FIXED_FIELDS };
    size_t nev = evidence_count(m);
    memset(f, 0, sizeof *f);
    f->evidence = block;
    f->n_evidence = nev;
    char *p = (char *)block + (nev + 1) * sizeof(asr_kv), *field[N] = {0};
    for (size_t i = 0; i < m->n && i < N + 2 * nev; i++) {
        memcpy(p, m->field[i], m->len[i]);
        p[m->len[i]] = '\0';
        if (i < N)
            field[i] = *p ? p : NULL; /* empty: not given */
        else if ((i - N) % 2 == 0)
            f->evidence[(i - N) / 2].k = p;
        else
            f->evidence[(i - N) / 2].v = p;
        p += m->len[i] + 1;
    }
    f->subject = field[0] ? field[0] : (char *)"";
    f->message = field[1] ? field[1] : (char *)"";
    char **optional[7] = {&f->severity,  &f->unit,  &f->area, &f->line,
                          &f->principle, &f->owner, &f->due};
    for (int i = 0; i < 7; i++)
        *optional[i] = field[2 + i];
    snprintf(f->fingerprint, sizeof f->fingerprint, "%s", field[9] ? field[9] : "");
    f->state = field[10];
    f->first_seen = field[11];
    f->age_days = field[12] ? strtol(field[12], NULL, 10) : -1;
    f->waiver = field[13];
    f->waived = field[14] != NULL;
}
