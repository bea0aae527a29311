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

void asr_finding_pack(asr_buf *list, const char *k, size_t klen, char t, const char *v, size_t vlen)
{
    asr_buf_add_be32(list, (uint32_t)klen);
    asr_buf_add(list, k, klen);
    asr_buf_add_be32(list, (uint32_t)(vlen + 1));
    asr_buf_addc(list, t ? t : ASR_EV_STRING);
    asr_buf_add(list, v, vlen);
}

static void pack_list(asr_buf *list, const asr_kv *kv, size_t n)
{
    asr_buf_clear(list);
    for (size_t i = 0; i < n; i++)
        asr_finding_pack(list, kv[i].k, strlen(kv[i].k), kv[i].t, kv[i].v, strlen(kv[i].v));
}

void asr_finding_encode(asr_buf *msg, const asr_finding *f)
{
    char age[24] = "", total[24] = "";
    if (f->age_days >= 0 && f->state)
        snprintf(age, sizeof age, "%ld", f->age_days);
    if (f->rows_total > 0)
        snprintf(total, sizeof total, "%ld", f->rows_total);
    const char *fixed[17] = {
        f->subject, f->message,    f->severity, f->unit,   f->area,
        f->line,    f->principle,  f->owner,    f->due,    f->fingerprint,
        f->state,   f->first_seen, age,         f->waiver, f->waived ? "1" : NULL,
        f->as_of,   total};
    asr_wire_begin(msg, 'F');
    for (int i = 0; i < 17; i++)
        asr_wire_adds(msg, fixed[i]);
    asr_buf list = {0};
    pack_list(&list, f->params, f->n_params);
    asr_wire_add(msg, list.data ? list.data : "", list.len);
    pack_list(&list, f->rows, f->n_rows);
    asr_wire_add(msg, list.data ? list.data : "", list.len);
    pack_list(&list, f->evidence, f->n_evidence);
    asr_wire_add(msg, list.data ? list.data : "", list.len);
    asr_buf_free(&list);
}

/* The complete items of a packed list (a truncated or malformed tail is
 * left out), and the bytes of their names and values (type letters not
 * counted). */
static size_t list_count(const asr_wire_msg *m, size_t field, size_t *bytes)
{
    *bytes = 0;
    if (m->n <= field)
        return 0;
    const char *p = m->field[field];
    size_t len = m->len[field], off = 0, n = 0;
    while (off + 4 <= len) {
        uint32_t kl = asr_be32_get(p + off);
        if (kl > len - off - 4)
            break;
        size_t voff = off + 4 + kl;
        if (voff + 4 > len)
            break;
        uint32_t vl = asr_be32_get(p + voff);
        if (vl < 1 || vl > len - voff - 4)
            break;
        *bytes += kl + vl - 1;
        off = voff + 4 + vl;
        n++;
    }
    return n;
}

enum { F_PARAMS = 17, F_ROWS = 18, F_EVIDENCE = 19 };

size_t asr_finding_decode_size(const asr_wire_msg *m)
{
    size_t size = sizeof(asr_kv), bytes;
    for (size_t i = 0; i < m->n && i < F_PARAMS; i++)
        size += m->len[i] + 1;
    for (size_t field = F_PARAMS; field <= F_EVIDENCE; field++) {
        size_t n = list_count(m, field, &bytes);
        size += n * (sizeof(asr_kv) + 2) + bytes;
    }
    return size;
}

/* Decodes the n complete items of packed list `field` into kv, their
 * strings at *p. */
static void decode_list(const asr_wire_msg *m, size_t field, size_t n, asr_kv *kv, char **p)
{
    const char *src = m->field[field];
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t kl = asr_be32_get(src + off);
        kv[i].k = *p;
        memcpy(*p, src + off + 4, kl);
        (*p)[kl] = '\0';
        *p += kl + 1;
        off += 4 + kl;
        uint32_t vl = asr_be32_get(src + off);
        char t = src[off + 4];
        kv[i].t = strchr("snidbz", t) && t ? t : ASR_EV_STRING;
        kv[i].v = *p;
        memcpy(*p, src + off + 5, vl - 1);
        (*p)[vl - 1] = '\0';
        *p += vl;
        off += 4 + vl;
    }
}

void asr_finding_decode(const asr_wire_msg *m, void *block, asr_finding *f)
{
    enum { N = F_PARAMS };
    size_t bytes, n_par = list_count(m, F_PARAMS, &bytes), n_rows = list_count(m, F_ROWS, &bytes),
                  nev = list_count(m, F_EVIDENCE, &bytes);
    memset(f, 0, sizeof *f);
    /* the evidence array first: f->evidence is the block */
    f->evidence = block;
    f->n_evidence = nev;
    f->params = f->evidence + nev + 1;
    f->n_params = n_par;
    f->rows = f->params + n_par;
    f->n_rows = n_rows;
    char *p = (char *)(f->rows + n_rows), *field[N] = {0};
    for (size_t i = 0; i < m->n && i < N; i++) {
        memcpy(p, m->field[i], m->len[i]);
        p[m->len[i]] = '\0';
        field[i] = *p ? p : NULL; /* empty: not given */
        p += m->len[i] + 1;
    }
    decode_list(m, F_PARAMS, n_par, f->params, &p);
    decode_list(m, F_ROWS, n_rows, f->rows, &p);
    decode_list(m, F_EVIDENCE, nev, f->evidence, &p);
    f->subject = field[0] ? field[0] : (char *)"";
    f->message = field[1] ? field[1] : (char *)"";
    char **optional[7] = {&f->severity,  &f->unit,  &f->area, &f->line,
                          &f->principle, &f->owner, &f->due};
    for (int i = 0; i < 7; i++)
        *optional[i] = field[2 + i];
    /* copied by hand: snprintf here was a tenth of the parent's time on a
     * long list (each finding is decoded twice) */
    size_t fl = field[9] ? m->len[9] : 0;
    if (fl > sizeof f->fingerprint - 1)
        fl = sizeof f->fingerprint - 1;
    memcpy(f->fingerprint, field[9] ? field[9] : "", fl);
    f->fingerprint[fl] = '\0';
    f->state = field[10];
    f->first_seen = field[11];
    f->age_days = field[12] ? strtol(field[12], NULL, 10) : -1;
    f->waiver = field[13];
    f->waived = field[14] != NULL;
    f->as_of = field[15];
    f->rows_total = field[16] ? strtol(field[16], NULL, 10) : (long)n_rows;
    if (f->rows_total < (long)n_rows)
        f->rows_total = (long)n_rows;
}
