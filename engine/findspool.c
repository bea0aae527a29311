#include "findspool.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "findfmt.h"
#include "spool.h"
#include "util.h"
#include "wire.h"

#define NO_GROUP SIZE_MAX
/* A bucket's bytes go to the spool once they reach BLOCK; all buckets'
 * once the buffers together hold PENDING_LIMIT. */
#define BLOCK (64u << 10)
#define PENDING_LIMIT (4u << 20)
/* The spool keeps this much in memory before it moves to a file. */
#define SPOOL_MEMORY (8u << 20)
#define MAX_NAMES 100

typedef struct {
    size_t rule, group; /* group: index into groups, or NO_GROUP */
    int waived, sev;
    asr_buf pending; /* wire messages not yet in the spool */
    asr_extent *ext; /* where the rest are, in order */
    size_t n_ext, cap_ext;
    size_t count;
    char **names; /* the first evidence names, in order of appearance */
    size_t n_names;
} bucket;

struct asr_findspool {
    const asr_map *map;
    const asr_rule_result *rules;
    size_t n_rules;
    int skip_failed, by_rule;
    size_t *rank; /* of each rule, in rule-id order */
    asr_spool *spool;
    bucket *b;
    size_t n_b, cap_b;
    size_t *slots; /* hash of the buckets' keys: index + 1, 0 empty */
    size_t n_slots;
    size_t last; /* the bucket last added to, + 1 */
    char **groups;
    size_t n_groups;
    asr_strmap group_ix;
    const char **sorted; /* asr_findspool_groups' answer */
    size_t *subj_w;      /* per rule */
    size_t pending;      /* bytes the buckets' buffers have reserved */
    asr_bg_memo memo;
    asr_buf msg, read;
    void *block;
    size_t block_cap;
    char error[300];
};

asr_findspool *asr_findspool_new(const asr_map *map, const asr_rule_result *rules, size_t n_rules,
                                 const char *dir, int skip_failed)
{
    asr_findspool *s = asr_xcalloc(1, sizeof *s);
    s->map = map;
    s->rules = rules;
    s->n_rules = n_rules;
    s->skip_failed = skip_failed;
    s->rank = asr_xcalloc(n_rules + 1, sizeof *s->rank);
    size_t *order = asr_rule_results_by_id(rules, n_rules);
    for (size_t k = 0; k < n_rules; k++)
        s->rank[order[k]] = k;
    free(order);
    s->spool = asr_spool_new(dir, SPOOL_MEMORY);
    s->subj_w = asr_xcalloc(n_rules + 1, sizeof *s->subj_w);
    return s;
}

static uint64_t key_hash(size_t rule, int waived, int sev, size_t group)
{
    uint64_t h = (uint64_t)rule * 0x9E3779B97F4A7C15u;
    h ^= ((uint64_t)group + 1) * 0xC2B2AE3D27D4EB4Fu;
    h ^= (uint64_t)(waived * 4 + sev) * 0x165667B19E3779F9u;
    return h ^ (h >> 29);
}

static size_t find_slot(const asr_findspool *s, size_t rule, int waived, int sev, size_t group)
{
    size_t i = (size_t)(key_hash(rule, waived, sev, group) & (s->n_slots - 1));
    for (;; i = (i + 1) & (s->n_slots - 1)) {
        size_t k = s->slots[i];
        if (!k)
            return i;
        const bucket *b = &s->b[k - 1];
        if (b->rule == rule && b->waived == waived && b->sev == sev && b->group == group)
            return i;
    }
}

static bucket *bucket_for(asr_findspool *s, size_t rule, int waived, int sev, size_t group)
{
    if (s->last) {
        bucket *b = &s->b[s->last - 1];
        if (b->rule == rule && b->waived == waived && b->sev == sev && b->group == group)
            return b;
    }
    if ((s->n_b + 1) * 2 > s->n_slots) {
        free(s->slots);
        s->n_slots = s->n_slots ? s->n_slots * 2 : 64;
        s->slots = asr_xcalloc(s->n_slots, sizeof *s->slots);
        for (size_t k = 0; k < s->n_b; k++) {
            const bucket *b = &s->b[k];
            s->slots[find_slot(s, b->rule, b->waived, b->sev, b->group)] = k + 1;
        }
    }
    size_t i = find_slot(s, rule, waived, sev, group);
    if (!s->slots[i]) {
        if (s->n_b == s->cap_b) {
            s->cap_b = s->cap_b ? s->cap_b * 2 : 16;
            s->b = asr_xrealloc(s->b, s->cap_b * sizeof *s->b);
        }
        bucket *b = &s->b[s->n_b++];
        memset(b, 0, sizeof *b);
        b->rule = rule;
        b->waived = waived;
        b->sev = sev;
        b->group = group;
        s->slots[i] = s->n_b;
    }
    s->last = s->slots[i];
    return &s->b[s->last - 1];
}

static void flush(asr_findspool *s, bucket *b)
{
    if (!b->pending.len)
        return;
    asr_extent e;
    if (asr_spool_add(s->spool, b->pending.data, b->pending.len, &e) == 0) {
        if (b->n_ext == b->cap_ext) {
            b->cap_ext = b->cap_ext ? b->cap_ext * 2 : 4;
            b->ext = asr_xrealloc(b->ext, b->cap_ext * sizeof *b->ext);
        }
        b->ext[b->n_ext++] = e;
    }
    b->pending.len = 0;
}

/* Every bucket's bytes to the spool, and their buffers given back. */
static void flush_all(asr_findspool *s)
{
    for (size_t k = 0; k < s->n_b; k++) {
        flush(s, &s->b[k]);
        asr_buf_free(&s->b[k].pending);
    }
    s->pending = 0;
}

/* The width of s once escaped for a terminal, in characters. */
static size_t term_width(const char *s)
{
    if (!s)
        return 0;
    size_t n = 0;
    int plain = 1;
    for (const unsigned char *p = (const unsigned char *)s; *p && plain; p++)
        plain = *p >= 0x20 && *p < 0x7F;
    if (plain)
        return strlen(s);
    char *safe = asr_term_dup(s);
    for (const char *p = safe; *p; p++)
        n += ((unsigned char)*p & 0xC0) != 0x80;
    free(safe);
    return n;
}

void asr_findspool_add(asr_findspool *s, const asr_finding *f)
{
    asr_findspool_add_wire(s, f, NULL, 0);
}

void asr_findspool_add_wire(asr_findspool *s, const asr_finding *f, const char *wire,
                            size_t wire_len)
{
    size_t rule = f->rule;
    if (rule >= s->n_rules)
        return;
    int waived = f->waived != 0, sev = 0;
    size_t group = NO_GROUP;
    if (!waived && !s->by_rule) {
        sev = asr_severity_index(asr_finding_severity(f, &s->rules[rule].rule));
        const char *name = asr_business_group_name(s->map, f, &s->memo);
        if (name) {
            size_t ix;
            if (!asr_strmap_get(&s->group_ix, name, strlen(name), &ix)) {
                ix = s->n_groups;
                s->groups = asr_xrealloc(s->groups, (s->n_groups + 1) * sizeof *s->groups);
                s->groups[s->n_groups++] = asr_xstrdup(name);
                asr_strmap_put(&s->group_ix, s->groups[ix], ix);
            }
            group = ix;
        }
    }
    bucket *b = bucket_for(s, rule, waived, sev, group);
    size_t w = term_width(f->subject);
    if (w > s->subj_w[rule])
        s->subj_w[rule] = w;
    for (size_t e = 0; e < f->n_evidence && b->n_names < MAX_NAMES; e++) {
        size_t k = 0;
        while (k < b->n_names && strcmp(b->names[k], f->evidence[e].k) != 0)
            k++;
        if (k == b->n_names) {
            b->names = asr_xrealloc(b->names, (b->n_names + 1) * sizeof *b->names);
            b->names[b->n_names++] = asr_xstrdup(f->evidence[e].k);
        }
    }
    if (!wire) {
        asr_finding_encode(&s->msg, f);
        wire = s->msg.data;
        wire_len = s->msg.len;
    }
    size_t cap = b->pending.cap;
    asr_buf_add(&b->pending, wire, wire_len);
    s->pending += b->pending.cap - cap;
    b->count++;
    if (b->pending.len >= BLOCK)
        flush(s, b);
    if (s->pending > PENDING_LIMIT)
        flush_all(s);
}

const char *asr_findspool_error(const asr_findspool *s)
{
    if (s->error[0])
        return s->error;
    return asr_spool_error(s->spool);
}

/* Whether the findings of this bucket are read back. */
static int counted(const asr_findspool *s, const bucket *b)
{
    return !s->skip_failed || s->rules[b->rule].fail == ASR_FAIL_NONE;
}

size_t asr_findspool_count(const asr_findspool *s, int waived)
{
    size_t n = 0;
    for (size_t k = 0; k < s->n_b; k++)
        if (s->b[k].waived == (waived != 0) && counted(s, &s->b[k]))
            n += s->b[k].count;
    return n;
}

size_t asr_findspool_rule_count(const asr_findspool *s, size_t rule)
{
    size_t n = 0;
    for (size_t k = 0; k < s->n_b; k++)
        if (s->b[k].rule == rule && counted(s, &s->b[k]))
            n += s->b[k].count;
    return n;
}

size_t asr_findspool_subject_width(const asr_findspool *s)
{
    size_t w = 0;
    for (size_t i = 0; i < s->n_rules; i++)
        if ((!s->skip_failed || s->rules[i].fail == ASR_FAIL_NONE) && s->subj_w[i] > w)
            w = s->subj_w[i];
    return w;
}

/* Reading order of the buckets: counted before waived, severity, group by
 * name (none last), rule id. */
static const asr_findspool *sorting;
static int cmp_bucket(const void *x, const void *y)
{
    const bucket *a = &sorting->b[*(const size_t *)x], *b = &sorting->b[*(const size_t *)y];
    if (a->waived != b->waived)
        return a->waived - b->waived;
    if (a->sev != b->sev)
        return a->sev - b->sev;
    if (a->group != b->group) {
        if (a->group == NO_GROUP || b->group == NO_GROUP)
            return a->group == NO_GROUP ? 1 : -1;
        return strcmp(sorting->groups[a->group], sorting->groups[b->group]);
    }
    size_t ra = sorting->rank[a->rule], rb = sorting->rank[b->rule];
    return ra < rb ? -1 : ra > rb;
}

static size_t *in_order(const asr_findspool *s)
{
    size_t *order = asr_xcalloc(s->n_b + 1, sizeof *order);
    for (size_t k = 0; k < s->n_b; k++)
        order[k] = k;
    sorting = s;
    qsort(order, s->n_b, sizeof *order, cmp_bucket);
    sorting = NULL;
    return order;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t asr_findspool_groups(const asr_findspool *s, const char *const **names, int *none)
{
    asr_findspool *m = (asr_findspool *)(uintptr_t)s; /* the answer is cached */
    free(m->sorted);
    m->sorted = asr_xcalloc(s->n_groups + 1, sizeof *m->sorted);
    unsigned char *seen = asr_xcalloc(s->n_groups + 1, 1);
    size_t n = 0;
    *none = 0;
    for (size_t k = 0; k < s->n_b; k++) {
        const bucket *b = &s->b[k];
        if (b->waived || !b->count || !counted(s, b))
            continue;
        if (b->group == NO_GROUP)
            *none = 1;
        else if (!seen[b->group]) {
            seen[b->group] = 1;
            m->sorted[n++] = s->groups[b->group];
        }
    }
    free(seen);
    qsort(m->sorted, n, sizeof *m->sorted, cmp_str);
    *names = m->sorted;
    return n;
}

size_t asr_findspool_evidence_names(const asr_findspool *s, const char **names, size_t max)
{
    size_t *order = in_order(s), n = 0;
    for (size_t k = 0; k < s->n_b && n < max; k++) {
        const bucket *b = &s->b[order[k]];
        if (!counted(s, b))
            continue;
        for (size_t i = 0; i < b->n_names && n < max; i++) {
            size_t j = 0;
            while (j < n && strcmp(names[j], b->names[i]) != 0)
                j++;
            if (j == n)
                names[n++] = b->names[i];
        }
    }
    free(order);
    return n;
}

/* The findings of one bucket, in order. */
static int each_in(asr_findspool *s, const bucket *b, asr_findspool_fn fn, void *ud)
{
    const char *group = b->group == NO_GROUP ? NULL : s->groups[b->group];
    for (size_t x = 0; x < b->n_ext; x++) {
        asr_extent e = b->ext[x];
        asr_buf_clear(&s->read);
        asr_buf_reserve(&s->read, e.len);
        if (asr_spool_read(s->spool, e, s->read.data) != 0)
            return -1;
        size_t at = 0;
        while (at < e.len) {
            asr_wire_msg m;
            int used = asr_wire_parse(s->read.data + at, e.len - at, &m);
            if (used <= 0) {
                snprintf(s->error, sizeof s->error, "the findings' temporary file is damaged");
                return -1;
            }
            size_t need = asr_finding_decode_size(&m);
            if (need > s->block_cap) {
                free(s->block);
                s->block_cap = need * 2;
                s->block = asr_xmalloc(s->block_cap);
            }
            asr_finding f;
            asr_finding_decode(&m, s->block, &f);
            f.rule = b->rule;
            if (fn(ud, &f, group))
                return -1;
            at += (size_t)used;
        }
    }
    return 0;
}

int asr_findspool_each(asr_findspool *s, int waived, int filter, const char *group,
                       asr_findspool_fn fn, void *ud)
{
    if (asr_findspool_error(s))
        return -1;
    flush_all(s);
    if (asr_findspool_error(s))
        return -1;
    size_t *order = in_order(s);
    int rc = 0;
    for (size_t k = 0; k < s->n_b && rc == 0; k++) {
        const bucket *b = &s->b[order[k]];
        if (b->waived != (waived != 0) || !counted(s, b))
            continue;
        if (filter) {
            const char *g = b->group == NO_GROUP ? NULL : s->groups[b->group];
            if ((g == NULL) != (group == NULL) || (g && strcmp(g, group) != 0))
                continue;
        }
        rc = each_in(s, b, fn, ud);
    }
    free(order);
    return rc;
}

void asr_findspool_by_rule(asr_findspool *s)
{
    s->by_rule = 1;
}

int asr_findspool_each_rule(asr_findspool *s, size_t rule, asr_findspool_fn fn, void *ud)
{
    if (asr_findspool_error(s))
        return -1;
    flush_all(s);
    if (asr_findspool_error(s))
        return -1;
    size_t *order = in_order(s);
    int rc = 0;
    for (size_t k = 0; k < s->n_b && rc == 0; k++) {
        const bucket *b = &s->b[order[k]];
        if (b->rule == rule && counted(s, b))
            rc = each_in(s, b, fn, ud);
    }
    free(order);
    return rc;
}

void asr_findspool_free(asr_findspool *s)
{
    if (!s)
        return;
    for (size_t k = 0; k < s->n_b; k++) {
        bucket *b = &s->b[k];
        asr_buf_free(&b->pending);
        free(b->ext);
        for (size_t i = 0; i < b->n_names; i++)
            free(b->names[i]);
        free(b->names);
    }
    free(s->b);
    free(s->slots);
    for (size_t i = 0; i < s->n_groups; i++)
        free(s->groups[i]);
    free(s->groups);
    asr_strmap_free(&s->group_ix);
    free(s->sorted);
    free(s->subj_w);
    free(s->rank);
    asr_spool_free(s->spool);
    asr_buf_free(&s->msg);
    asr_buf_free(&s->read);
    free(s->block);
    free(s);
}
