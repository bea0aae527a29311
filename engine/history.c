#include "history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "date.h"
#include "findfmt.h"
#include "json.h"
#include "util.h"

static void now_utc(char out[21])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static long days_between(const char *from, const char *to)
{
    asr_date a, b;
    if (!from || !to || asr_date_parse(from, strlen(from), NULL, &a) ||
        asr_date_parse(to, strlen(to), NULL, &b))
        return -1;
    int64_t d = asr_date_to_days(b) - asr_date_to_days(a);
    return d < 0 ? 0 : (long)d;
}

int asr_history_present(asr_store *s)
{
    return asr_store_has_table(s, "assure_runs");
}

/* ---- reading runs ---- */

#define RUN_COLUMNS                                                                                \
    "id, started_at, finished_at, as_of, map_hash, rules_hash, outcome, findings, high, medium, "  \
    "low, new, recurring, reopened, resolved, waived, rules_run, rules_failed"

static void read_run(asr_stmt *st, asr_run_info *r)
{
    memset(r, 0, sizeof *r);
    r->id = asr_stmt_int(st, 0);
    snprintf(r->started_at, sizeof r->started_at, "%s", asr_stmt_text(st, 1));
    snprintf(r->finished_at, sizeof r->finished_at, "%s", asr_stmt_text(st, 2));
    snprintf(r->as_of, sizeof r->as_of, "%s", asr_stmt_text(st, 3));
    snprintf(r->map_hash, sizeof r->map_hash, "%s", asr_stmt_text(st, 4));
    snprintf(r->rules_hash, sizeof r->rules_hash, "%s", asr_stmt_text(st, 5));
    r->outcome = (int)asr_stmt_int(st, 6);
    r->findings = asr_stmt_int(st, 7);
    for (int k = 0; k < 3; k++)
        r->by_severity[k] = asr_stmt_int(st, 8 + k);
    r->new_ = asr_stmt_int(st, 11);
    r->recurring = asr_stmt_int(st, 12);
    r->reopened = asr_stmt_int(st, 13);
    r->resolved = asr_stmt_int(st, 14);
    r->waived = asr_stmt_int(st, 15);
    r->rules_run = asr_stmt_int(st, 16);
    r->rules_failed = asr_stmt_int(st, 17);
}

/* Runs a query of assure_runs that binds at most one integer or text
 * parameter and reads the first row into *out (id 0 when none). */
static asr_status one_run(asr_store *s, const char *where, int64_t iarg, const char *targ,
                          asr_run_info *out, asr_diag *d)
{
    memset(out, 0, sizeof *out);
    if (!asr_history_present(s))
        return ASR_OK;
    asr_buf sql = {0};
    asr_buf_addf(&sql, "SELECT " RUN_COLUMNS " FROM assure_runs %s", where);
    asr_stmt *st = asr_stmt_new(s, sql.data, d);
    asr_buf_free(&sql);
    if (!st)
        return ASR_E_IO;
    if (targ)
        asr_stmt_bind_text(st, 1, targ);
    else if (iarg)
        asr_stmt_bind_int(st, 1, iarg);
    int rc = asr_stmt_step(st, d, "reading the run history");
    if (rc == 1)
        read_run(st, out);
    asr_status status = rc < 0 ? asr_stmt_status(st) : ASR_OK;
    asr_stmt_free(st);
    return status;
}

asr_status asr_history_latest(asr_store *s, asr_run_info *out, asr_diag *d)
{
    return one_run(s, "ORDER BY id DESC LIMIT 1", 0, NULL, out, d);
}

asr_status asr_history_before(asr_store *s, int64_t before, asr_run_info *out, asr_diag *d)
{
    return one_run(s, "WHERE id < ?1 ORDER BY id DESC LIMIT 1", before, NULL, out, d);
}

asr_status asr_history_get(asr_store *s, int64_t id, asr_run_info *out, asr_diag *d)
{
    return one_run(s, "WHERE id = ?1", id, NULL, out, d);
}

asr_status asr_history_on_or_before(asr_store *s, const char *date, asr_run_info *out, asr_diag *d)
{
    return one_run(s, "WHERE as_of <= ?1 ORDER BY as_of DESC, id DESC LIMIT 1", 0, date, out, d);
}

asr_status asr_history_list(asr_store *s, asr_run_info **out, size_t *n, asr_diag *d)
{
    *out = NULL;
    *n = 0;
    if (!asr_history_present(s))
        return ASR_OK;
    asr_stmt *st = asr_stmt_new(s, "SELECT " RUN_COLUMNS " FROM assure_runs ORDER BY id", d);
    if (!st)
        return ASR_E_IO;
    size_t cap = 0;
    int rc;
    while ((rc = asr_stmt_step(st, d, "reading the run history")) == 1) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            *out = asr_xrealloc(*out, cap * sizeof **out);
        }
        read_run(st, &(*out)[(*n)++]);
    }
    asr_status status = rc < 0 ? asr_stmt_status(st) : ASR_OK;
    asr_stmt_free(st);
    return status;
}

long long asr_history_rule_findings(asr_store *s, int64_t id, const char *rule, asr_diag *d)
{
    asr_stmt *st = asr_stmt_new(
        s, "SELECT findings FROM assure_run_rules WHERE run = ?1 AND rule = ?2 AND status = 'ok'",
        d);
    if (!st)
        return -1;
    asr_stmt_bind_int(st, 1, id);
    asr_stmt_bind_text(st, 2, rule);
    long long n = asr_stmt_step(st, d, "reading the run history") == 1 ? asr_stmt_int(st, 0) : -1;
    asr_stmt_free(st);
    return n;
}

asr_status asr_history_run_rules(asr_store *s, int64_t id,
                                 void (*fn)(void *ud, const char *rule, const char *status,
                                            long long findings),
                                 void *ud, asr_diag *d)
{
    asr_stmt *st = asr_stmt_new(
        s, "SELECT rule, status, findings FROM assure_run_rules WHERE run = ?1 ORDER BY rule", d);
    if (!st)
        return ASR_E_IO;
    asr_stmt_bind_int(st, 1, id);
    int rc;
    while ((rc = asr_stmt_step(st, d, "reading the run history")) == 1)
        fn(ud, asr_stmt_text(st, 0), asr_stmt_text(st, 1), asr_stmt_int(st, 2));
    asr_status status = rc < 0 ? asr_stmt_status(st) : ASR_OK;
    asr_stmt_free(st);
    return status;
}

char *asr_history_manifest(asr_store *s, int64_t id, asr_diag *d)
{
    if (!asr_history_present(s))
        return NULL;
    asr_stmt *st = asr_stmt_new(s, "SELECT manifest FROM assure_runs WHERE id = ?1", d);
    if (!st)
        return NULL;
    asr_stmt_bind_int(st, 1, id);
    char *m = asr_stmt_step(st, d, "reading the run history") == 1
                  ? asr_xstrdup(asr_stmt_text(st, 0))
                  : NULL;
    asr_stmt_free(st);
    return m;
}

/* ---- classifying, in the workers ---- */

struct asr_history_classifier {
    asr_finding_classifier base;
    char *db_path;
    int64_t previous;
    char as_of[11];
    int opened; /* 1: tried; lookup NULL when there is no history */
    asr_store *store;
    asr_stmt *lookup;
    char first_seen[11];
    asr_diag quiet; /* problems of the lookup itself: the finding stays unclassified */
};

/* The connection the lookups use, opened once in the worker before its
 * filter goes on. */
static void open_history(asr_finding_classifier *self)
{
    asr_history_classifier *c = (asr_history_classifier *)self;
    if (!c->opened) {
        c->opened = 1;
        asr_diag_init(&c->quiet, 1);
        if (asr_store_open(c->db_path, ASR_STORE_READONLY, 5000, &c->quiet, &c->store) == ASR_OK &&
            asr_history_present(c->store))
            c->lookup = asr_stmt_new(
                c->store,
                "SELECT f.first_seen, EXISTS(SELECT 1 FROM assure_run_findings r WHERE "
                "r.fingerprint = ?1 AND r.run = ?2 AND r.state <> 'resolved') "
                "FROM assure_findings f WHERE f.fingerprint = ?1 AND f.first_run <= ?2",
                &c->quiet);
    }
}

static void classify(asr_finding_classifier *self, const asr_rule *rule, asr_finding *f)
{
    asr_history_classifier *c = (asr_history_classifier *)self;
    (void)rule;
    open_history(self);
    memcpy(c->first_seen, c->as_of, sizeof c->first_seen);
    f->state = ASR_STATE_NEW;
    if (c->lookup) {
        asr_stmt_reset(c->lookup);
        asr_stmt_bind_text(c->lookup, 1, f->fingerprint);
        asr_stmt_bind_int(c->lookup, 2, c->previous);
        if (asr_stmt_step(c->lookup, &c->quiet, "reading the run history") == 1) {
            snprintf(c->first_seen, sizeof c->first_seen, "%s", asr_stmt_text(c->lookup, 0));
            f->state = asr_stmt_int(c->lookup, 1) ? ASR_STATE_RECURRING : ASR_STATE_REOPENED;
        }
    }
    f->first_seen = c->first_seen;
    f->age_days = days_between(c->first_seen, c->as_of);
}

asr_history_classifier *asr_history_classifier_new(const char *db_path, int64_t previous,
                                                   const char *as_of)
{
    asr_history_classifier *c = asr_xcalloc(1, sizeof *c);
    c->base.open = open_history;
    c->base.classify = classify;
    c->db_path = asr_xstrdup(db_path);
    c->previous = previous;
    snprintf(c->as_of, sizeof c->as_of, "%s", as_of);
    return c;
}

asr_finding_classifier *asr_history_classifier_base(asr_history_classifier *c)
{
    return &c->base;
}

void asr_history_classifier_free(asr_history_classifier *c)
{
    if (!c)
        return;
    asr_stmt_free(c->lookup);
    asr_store_close(c->store);
    if (c->opened)
        asr_diag_free(&c->quiet);
    free(c->db_path);
    free(c);
}

/* ---- recording ---- */

struct asr_history_recorder {
    asr_store *s;
    const asr_map *map;
    int64_t run, previous;
    char as_of[11];
    asr_stmt *insert;
    asr_bg_memo memo;
    asr_buf evidence, params, rows;
    asr_status failed; /* an insert that failed: finish reports it */
    asr_diag errors;
};

asr_status asr_history_begin(asr_store *s, const asr_map *m, const char *as_of, int64_t previous,
                             asr_diag *d, asr_history_recorder **out)
{
    *out = NULL;
    /* Each finding is written to indexes by run and by fingerprint, and
     * classified against the previous run's: spread over the whole of
     * them. With SQLite's 2 MiB cache a million-finding run rereads the
     * same pages from the file system again and again; 64 MiB halves the
     * run's time at 300,000 findings (docs/performance.md). */
    asr_store_cache_kib(s, 64 * 1024);
    asr_status st = asr_store_begin(s, d);
    if (st != ASR_OK)
        return st;
    char now[21];
    now_utc(now);
    asr_stmt *ins = asr_stmt_new(s,
                                 "INSERT INTO assure_runs(started_at, finished_at, as_of, "
                                 "map_hash, rules_hash, outcome, findings, high, medium, low, "
                                 "new, recurring, reopened, resolved, waived, rules_run, "
                                 "rules_failed, manifest) VALUES(?1, ?1, ?2, ?3, '', -1, 0, 0, "
                                 "0, 0, 0, 0, 0, 0, 0, 0, 0, '{}') RETURNING id",
                                 d);
    if (!ins) {
        asr_store_rollback(s);
        return ASR_E_IO;
    }
    asr_stmt_bind_text(ins, 1, now);
    asr_stmt_bind_text(ins, 2, as_of);
    asr_stmt_bind_text(ins, 3, m->hash);
    int64_t id = 0;
    if (asr_stmt_step(ins, d, "recording the run") == 1)
        id = asr_stmt_int(ins, 0);
    st = id ? ASR_OK : asr_stmt_status(ins) ? asr_stmt_status(ins) : ASR_E_IO;
    asr_stmt_free(ins);
    if (st != ASR_OK) {
        asr_store_rollback(s);
        return st;
    }
    asr_history_recorder *r = asr_xcalloc(1, sizeof *r);
    r->s = s;
    r->map = m;
    r->run = id;
    r->previous = previous;
    snprintf(r->as_of, sizeof r->as_of, "%s", as_of);
    asr_diag_init(&r->errors, 1);
    r->insert = asr_stmt_new(s,
                             "INSERT INTO assure_run_findings(run, fingerprint, rule, subject, "
                             "message, severity, unit, area, line, principle, owner, due, "
                             "business_group, evidence, state, first_seen, waiver, waived, "
                             "as_of, params, rows, rows_total) "
                             "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,"
                             "?18,?19,?20,?21,?22)",
                             d);
    if (!r->insert) {
        asr_history_abort(r);
        return ASR_E_IO;
    }
    *out = r;
    return ASR_OK;
}

int64_t asr_history_run_id(const asr_history_recorder *r)
{
    return r->run;
}

void asr_history_add(asr_history_recorder *r, const asr_rule *rule, const asr_finding *f)
{
    if (r->failed)
        return;
    asr_stmt *st = r->insert;
    asr_stmt_reset(st);
    asr_stmt_bind_int(st, 1, r->run);
    asr_stmt_bind_text(st, 2, f->fingerprint);
    asr_stmt_bind_text(st, 3, rule->id);
    asr_stmt_bind_text(st, 4, f->subject);
    asr_stmt_bind_text(st, 5, f->message);
    asr_stmt_bind_text(st, 6, asr_finding_severity(f, rule));
    const char *opt[6] = {f->unit, f->area, f->line, f->principle, f->owner, f->due};
    for (int i = 0; i < 6; i++)
        asr_stmt_bind_text(st, 7 + i, opt[i]);
    asr_stmt_bind_text(st, 13, asr_business_group_name(r->map, f, &r->memo));
    asr_buf_clear(&r->evidence);
    asr_json_kv_object(&r->evidence, f->evidence, f->n_evidence);
    asr_stmt_bind_text(st, 14, r->evidence.data);
    asr_stmt_bind_text(st, 15, f->state ? f->state : ASR_STATE_NEW);
    asr_stmt_bind_text(st, 16, f->first_seen ? f->first_seen : r->as_of);
    asr_stmt_bind_text(st, 17, f->waiver);
    asr_stmt_bind_int(st, 18, f->waived);
    asr_stmt_bind_text(st, 19, f->as_of ? f->as_of : r->as_of);
    asr_buf_clear(&r->params);
    asr_json_kv_object(&r->params, f->params, f->n_params);
    asr_stmt_bind_text(st, 20, r->params.data);
    asr_buf_clear(&r->rows);
    asr_json_rows(&r->rows, f->rows, f->n_rows);
    asr_stmt_bind_text(st, 21, r->rows.data);
    asr_stmt_bind_int(st, 22, f->rows_total);
    if (asr_stmt_step(st, &r->errors, "recording a finding") < 0)
        r->failed = asr_stmt_status(st) ? asr_stmt_status(st) : ASR_E_IO;
}

/* Statements of finish, run in order with ?1 the run, ?2 the previous run
 * and ?3 the as-of date. */
static const char *const finish_sql[] = {
    /* findings of rules that did not finish are not this run's */
    "DELETE FROM assure_run_findings WHERE run = ?1 AND rule IN "
    "(SELECT rule FROM assure_run_rules WHERE run = ?1 AND status <> 'ok')",
    /* rules that failed or did not run keep their previous findings */
    "INSERT INTO assure_run_findings(run, fingerprint, rule, subject, message, severity, unit, "
    "area, line, principle, owner, due, business_group, evidence, state, first_seen, waiver, "
    "waived, as_of, params, rows, rows_total) SELECT ?1, fingerprint, rule, subject, message, "
    "severity, unit, area, line, principle, owner, due, business_group, evidence, 'carried', "
    "first_seen, waiver, waived, as_of, params, rows, rows_total "
    "FROM assure_run_findings p WHERE p.run = ?2 AND p.state <> 'resolved' AND p.rule IN "
    "(SELECT rule FROM assure_run_rules WHERE run = ?1 AND status <> 'ok') ORDER BY p.rowid",
    /* what the previous run had and this one has not: resolved */
    "INSERT INTO assure_run_findings(run, fingerprint, rule, subject, message, severity, unit, "
    "area, line, principle, owner, due, business_group, evidence, state, first_seen, waiver, "
    "waived, as_of, params, rows, rows_total) SELECT ?1, fingerprint, rule, subject, message, "
    "severity, unit, area, line, principle, owner, due, business_group, evidence, 'resolved', "
    "first_seen, waiver, waived, as_of, params, rows, rows_total "
    "FROM assure_run_findings p WHERE p.run = ?2 AND p.state <> 'resolved' "
    "AND p.rule NOT IN (SELECT rule FROM assure_run_rules WHERE run = ?1 AND status <> 'ok') "
    "AND NOT EXISTS (SELECT 1 FROM assure_run_findings c WHERE c.fingerprint = p.fingerprint "
    "AND c.run = ?1 AND c.state <> 'resolved') ORDER BY p.rowid",
    /* first and last seen, by fingerprint */
    "INSERT INTO assure_findings(fingerprint, rule, subject, first_run, first_seen, last_run, "
    "last_seen) SELECT fingerprint, rule, subject, ?1, min(first_seen), ?1, ?3 "
    "FROM assure_run_findings WHERE run = ?1 AND state IN ('new', 'recurring', 'reopened') "
    "GROUP BY fingerprint ON CONFLICT(fingerprint) DO UPDATE SET last_run = excluded.last_run, "
    "last_seen = excluded.last_seen, subject = excluded.subject",
};

static asr_status exec_bound(asr_store *s, const char *sql, int64_t run, int64_t prev,
                             const char *as_of, asr_diag *d)
{
    asr_stmt *st = asr_stmt_new(s, sql, d);
    if (!st)
        return ASR_E_IO;
    asr_stmt_bind_int(st, 1, run);
    asr_stmt_bind_int(st, 2, prev);
    if (strstr(sql, "?3"))
        asr_stmt_bind_text(st, 3, as_of);
    int rc;
    while ((rc = asr_stmt_step(st, d, "recording the run")) == 1)
        ;
    asr_status status = rc < 0 ? asr_stmt_status(st) : ASR_OK;
    asr_stmt_free(st);
    return status;
}

asr_status asr_history_finish(asr_history_recorder *r, const asr_rule_result *rules, const int *ran,
                              size_t n, const char *rules_hash, int outcome, const char *manifest,
                              asr_run_info *info, asr_diag *d)
{
    asr_status st = r->failed;
    if (st) {
        for (size_t i = 0; i < r->errors.count; i++)
            asr_error(d, NULL, NULL, "%s", r->errors.items[i].message);
        goto fail;
    }
    /* each rule's outcome */
    asr_stmt *rr = asr_stmt_new(r->s,
                                "INSERT INTO assure_run_rules(run, rule, status, findings, title, "
                                "description, category) VALUES(?1, ?2, ?3, ?4, ?5, "
                                "?6, ?7)",
                                d);
    if (!rr) {
        st = ASR_E_IO;
        goto fail;
    }
    for (size_t i = 0; i < n && st == ASR_OK; i++) {
        if (!rules[i].loaded || !rules[i].rule.id)
            continue;
        const char *status = !ran[i]                          ? "skipped"
                             : rules[i].fail == ASR_FAIL_NONE ? "ok"
                                                              : asr_fail_kind_name(rules[i].fail);
        asr_stmt_reset(rr);
        asr_stmt_bind_int(rr, 1, r->run);
        asr_stmt_bind_text(rr, 2, rules[i].rule.id);
        asr_stmt_bind_text(rr, 3, status);
        asr_stmt_bind_int(rr, 4, ran[i] && !rules[i].fail ? (int64_t)rules[i].n_findings : 0);
        asr_stmt_bind_text(rr, 5, rules[i].rule.title);
        asr_stmt_bind_text(rr, 6, rules[i].rule.description);
        asr_stmt_bind_text(rr, 7, rules[i].rule.category);
        if (asr_stmt_step(rr, d, "recording the run") < 0)
            st = asr_stmt_status(rr);
    }
    asr_stmt_free(rr);
    for (size_t k = 0; st == ASR_OK && k < sizeof finish_sql / sizeof finish_sql[0]; k++)
        st = exec_bound(r->s, finish_sql[k], r->run, r->previous, r->as_of, d);
    if (st)
        goto fail;
    /* the counts and the manifest */
    char now[21];
    now_utc(now);
    asr_stmt *up = asr_stmt_new(
        r->s,
        "UPDATE assure_runs SET finished_at = ?2, rules_hash = ?3, outcome = ?4, manifest = ?5, "
        "findings = c.current, high = c.high, medium = c.medium, low = c.low, new = c.new, "
        "recurring = c.recurring, reopened = c.reopened, resolved = c.resolved, waived = "
        "c.waived, rules_run = (SELECT count(*) FROM assure_run_rules WHERE run = ?1 AND status "
        "<> 'skipped'), rules_failed = (SELECT count(*) FROM assure_run_rules WHERE run = ?1 "
        "AND status NOT IN ('ok', 'skipped')) FROM (SELECT "
        "count(*) FILTER (WHERE cur AND NOT waived) AS current, "
        "count(*) FILTER (WHERE cur AND NOT waived AND severity = 'high') AS high, "
        "count(*) FILTER (WHERE cur AND NOT waived AND severity = 'medium') AS medium, "
        "count(*) FILTER (WHERE cur AND NOT waived AND severity = 'low') AS low, "
        "count(*) FILTER (WHERE state = 'new' AND NOT waived) AS new, "
        "count(*) FILTER (WHERE state = 'recurring' AND NOT waived) AS recurring, "
        "count(*) FILTER (WHERE state = 'reopened' AND NOT waived) AS reopened, "
        "count(*) FILTER (WHERE state = 'resolved') AS resolved, "
        "count(*) FILTER (WHERE cur AND waived) AS waived "
        "FROM (SELECT *, state IN ('new', 'recurring', 'reopened') AS cur "
        "FROM assure_run_findings WHERE run = ?1)) AS c WHERE id = ?1",
        d);
    if (!up) {
        st = ASR_E_IO;
        goto fail;
    }
    asr_stmt_bind_int(up, 1, r->run);
    asr_stmt_bind_text(up, 2, now);
    asr_stmt_bind_text(up, 3, rules_hash);
    asr_stmt_bind_int(up, 4, outcome);
    asr_stmt_bind_text(up, 5, manifest ? manifest : "{}");
    if (asr_stmt_step(up, d, "recording the run") < 0)
        st = asr_stmt_status(up);
    asr_stmt_free(up);
    if (st == ASR_OK && info)
        st = asr_history_get(r->s, r->run, info, d);
    if (st == ASR_OK)
        return ASR_OK;
fail:
    asr_history_abort(r);
    return st;
}

asr_status asr_history_commit(asr_history_recorder *r, asr_diag *d)
{
    asr_status st = asr_store_commit(r->s, d);
    if (st != ASR_OK)
        asr_store_rollback(r->s);
    asr_stmt_free(r->insert);
    asr_buf_free(&r->evidence);
    asr_buf_free(&r->params);
    asr_buf_free(&r->rows);
    asr_diag_free(&r->errors);
    free(r);
    return st;
}

asr_status asr_history_add_input(asr_history_recorder *r, const char *kind, const char *name,
                                 const char *sha256, asr_diag *d)
{
    asr_stmt *st =
        asr_stmt_new(r->s, "INSERT OR REPLACE INTO assure_run_inputs VALUES(?1, ?2, ?3, ?4)", d);
    if (!st)
        return ASR_E_IO;
    asr_stmt_bind_int(st, 1, r->run);
    asr_stmt_bind_text(st, 2, kind);
    asr_stmt_bind_text(st, 3, name);
    asr_stmt_bind_text(st, 4, sha256);
    asr_status status =
        asr_stmt_step(st, d, "recording the run") < 0 ? asr_stmt_status(st) : ASR_OK;
    asr_stmt_free(st);
    return status;
}

asr_status asr_history_set_manifest(asr_history_recorder *r, const char *manifest, asr_diag *d)
{
    asr_stmt *st = asr_stmt_new(r->s, "UPDATE assure_runs SET manifest = ?2 WHERE id = ?1", d);
    if (!st)
        return ASR_E_IO;
    asr_stmt_bind_int(st, 1, r->run);
    asr_stmt_bind_text(st, 2, manifest);
    asr_status status =
        asr_stmt_step(st, d, "recording the run") < 0 ? asr_stmt_status(st) : ASR_OK;
    asr_stmt_free(st);
    return status;
}

asr_status asr_history_inputs(asr_store *s, int64_t id,
                              void (*fn)(void *ud, const char *kind, const char *name,
                                         const char *sha256),
                              void *ud, asr_diag *d)
{
    if (!asr_history_present(s))
        return ASR_OK;
    asr_stmt *st = asr_stmt_new(
        s, "SELECT kind, name, sha256 FROM assure_run_inputs WHERE run = ?1 ORDER BY kind, name",
        d);
    if (!st)
        return ASR_E_IO;
    asr_stmt_bind_int(st, 1, id);
    int rc;
    while ((rc = asr_stmt_step(st, d, "reading the run history")) == 1)
        fn(ud, asr_stmt_text(st, 0), asr_stmt_text(st, 1), asr_stmt_text(st, 2));
    asr_status status = rc < 0 ? asr_stmt_status(st) : ASR_OK;
    asr_stmt_free(st);
    return status;
}

void asr_history_abort(asr_history_recorder *r)
{
    if (!r)
        return;
    asr_stmt_free(r->insert);
    asr_store_rollback(r->s);
    asr_buf_free(&r->evidence);
    asr_buf_free(&r->params);
    asr_buf_free(&r->rows);
    asr_diag_free(&r->errors);
    free(r);
}

/* ---- the findings of a run ---- */

struct asr_history_iter {
    asr_stmt *st;
    asr_buf json; /* one stored JSON value, read by the JSON reader as an array */
    asr_kv *kv;   /* evidence, then parameters, then rows */
    size_t n_kv, cap_kv;
    asr_buf strings;
    size_t *at; /* while parsing: offsets in strings of each kv's name and value */
    size_t cap_at;
};

asr_status asr_history_findings(asr_store *s, int64_t run, asr_history_which which, asr_diag *d,
                                asr_history_iter **out)
{
    *out = NULL;
    /* the same columns for each kind of row; only the condition differs */
    static const char *const where[] = {
        "f.state IN ('new', 'recurring', 'reopened') AND NOT f.waived",
        "f.state = 'resolved'",
        "f.state IN ('new', 'recurring', 'reopened') AND f.waived",
    };
    asr_buf q = {0};
    asr_buf_addf(&q,
                 "SELECT f.fingerprint, f.rule, f.subject, f.message, f.severity, f.unit, f.area, "
                 "f.line, f.principle, f.owner, f.due, f.evidence, f.state, f.first_seen, "
                 "CAST(julianday(r.as_of) - julianday(f.first_seen) AS INTEGER), f.waiver, "
                 "f.waived, %s FROM assure_run_findings f JOIN assure_runs r ON r.id = f.run "
                 "WHERE f.run = ?1 AND %s ORDER BY f.rule, f.rowid",
                 /* a database read without being upgraded has no such columns */
                 asr_store_schema_version(s) >= 3 ? "f.as_of, f.params, f.rows, f.rows_total"
                                                  : "NULL, NULL, NULL, NULL",
                 where[which]);
    const char *sql = q.data;
    asr_stmt *st = asr_stmt_new(s, sql, d);
    asr_buf_free(&q);
    if (!st)
        return ASR_E_IO;
    asr_stmt_bind_int(st, 1, run);
    asr_history_iter *it = asr_xcalloc(1, sizeof *it);
    it->st = st;
    *out = it;
    return ASR_OK;
}

/* The type a stored JSON value reads back as. */
static char stored_type(const asr_jfield *f)
{
    asr_date d;
    switch (f->kind) {
    case ASR_JNULL:
        return ASR_EV_NULL;
    case ASR_JBOOL:
        return ASR_EV_BOOLEAN;
    case ASR_JNUMBER:
        return strpbrk(f->text, ".eE") ? ASR_EV_NUMBER : ASR_EV_INTEGER;
    default:
        return f->len == 10 && !asr_date_parse(f->text, f->len, NULL, &d) ? ASR_EV_DATE
                                                                          : ASR_EV_STRING;
    }
}

static void add_kv(asr_history_iter *it, const char *k, size_t kl, char t, const char *v, size_t vl)
{
    if (it->n_kv == it->cap_kv) {
        it->cap_kv = it->cap_kv ? it->cap_kv * 2 : 16;
        it->kv = asr_xrealloc(it->kv, it->cap_kv * sizeof *it->kv);
        it->at = asr_xrealloc(it->at, 2 * it->cap_kv * sizeof *it->at);
    }
    /* offsets first: the strings buffer may move while it grows */
    it->at[2 * it->n_kv] = it->strings.len;
    asr_buf_add(&it->strings, k, kl);
    asr_buf_addc(&it->strings, '\0');
    it->at[2 * it->n_kv + 1] = it->strings.len;
    asr_buf_add(&it->strings, v, vl);
    asr_buf_addc(&it->strings, '\0');
    it->kv[it->n_kv++].t = t;
}

static int take_object(void *ud, unsigned line, const asr_jfield *fields, size_t n)
{
    asr_history_iter *it = ud;
    (void)line;
    for (size_t i = 0; i < n; i++)
        add_kv(it, fields[i].key, strlen(fields[i].key), stored_type(&fields[i]),
               fields[i].kind == ASR_JNULL || !fields[i].text ? "" : fields[i].text,
               fields[i].kind == ASR_JNULL || !fields[i].text ? 0 : fields[i].len);
    return 0;
}

static int take_row(void *ud, unsigned line, const asr_jfield *fields, size_t n)
{
    asr_history_iter *it = ud;
    (void)line;
    const asr_jfield *ds = NULL, *key = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(fields[i].key, "dataset") == 0)
            ds = &fields[i];
        else if (strcmp(fields[i].key, "key") == 0)
            key = &fields[i];
    if (ds && key)
        add_kv(it, ds->text, ds->len, ASR_EV_STRING, key->text, key->len);
    return 0;
}

/* Reads the stored JSON at column col -- an object (wrapped in [] for the
 * reader) or an array of row objects -- into kv entries; the count added. */
static size_t read_json(asr_history_iter *it, int col, int rows)
{
    size_t before = it->n_kv;
    if (asr_stmt_is_null(it->st, col))
        return 0;
    asr_buf_clear(&it->json);
    if (!rows)
        asr_buf_addc(&it->json, '[');
    asr_buf_adds(&it->json, asr_stmt_text(it->st, col));
    if (!rows)
        asr_buf_addc(&it->json, ']');
    asr_json_error je;
    asr_json_each_object(it->json.data, it->json.len, rows ? take_row : take_object, it, &je);
    return it->n_kv - before;
}

static char *opt_text(asr_stmt *st, int col)
{
    return asr_stmt_is_null(st, col) ? NULL : (char *)asr_stmt_text(st, col);
}

int asr_history_next(asr_history_iter *it, asr_finding *f, const char **rule_id, asr_diag *d)
{
    int rc = asr_stmt_step(it->st, d, "reading the run history");
    if (rc != 1)
        return rc;
    asr_stmt *st = it->st;
    memset(f, 0, sizeof *f);
    snprintf(f->fingerprint, sizeof f->fingerprint, "%s", asr_stmt_text(st, 0));
    *rule_id = asr_stmt_text(st, 1);
    f->subject = (char *)asr_stmt_text(st, 2);
    f->message = (char *)asr_stmt_text(st, 3);
    f->severity = (char *)asr_stmt_text(st, 4);
    f->unit = opt_text(st, 5);
    f->area = opt_text(st, 6);
    f->line = opt_text(st, 7);
    f->principle = opt_text(st, 8);
    f->owner = opt_text(st, 9);
    f->due = opt_text(st, 10);
    asr_buf_clear(&it->strings);
    it->n_kv = 0;
    f->n_evidence = read_json(it, 11, 0);
    f->n_params = read_json(it, 18, 0);
    f->n_rows = read_json(it, 19, 1);
    for (size_t i = 0; i < it->n_kv; i++) {
        it->kv[i].k = it->strings.data + it->at[2 * i];
        it->kv[i].v = it->strings.data + it->at[2 * i + 1];
    }
    f->evidence = it->kv;
    f->params = it->kv + f->n_evidence;
    f->rows = f->params + f->n_params;
    f->state = (char *)asr_stmt_text(st, 12);
    f->first_seen = (char *)asr_stmt_text(st, 13);
    f->age_days = (long)asr_stmt_int(st, 14);
    f->waiver = opt_text(st, 15);
    f->waived = asr_stmt_int(st, 16) != 0;
    f->as_of = opt_text(st, 17);
    f->rows_total = asr_stmt_is_null(st, 20) ? (long)f->n_rows : (long)asr_stmt_int(st, 20);
    return 1;
}

void asr_history_iter_free(asr_history_iter *it)
{
    if (!it)
        return;
    asr_stmt_free(it->st);
    asr_buf_free(&it->json);
    asr_buf_free(&it->strings);
    free(it->kv);
    free(it->at);
    free(it);
}

/* ---- what changed between two runs ---- */

const char *const asr_change_names[4] = {"new", "reopened", "worsened", "resolved"};

asr_status asr_history_diff(asr_store *s, int64_t a, int64_t b,
                            void (*fn)(void *ud, const asr_diff_row *row), void *ud, asr_diag *d)
{
    /* the findings present in a run: current or carried */
    static const char sql[] =
        "WITH a AS (SELECT * FROM assure_run_findings WHERE run = ?1 AND state <> 'resolved'),"
        " b AS (SELECT * FROM assure_run_findings WHERE run = ?2 AND state <> 'resolved'),"
        " rows AS ("
        "  SELECT CASE WHEN EXISTS (SELECT 1 FROM assure_run_findings p WHERE p.fingerprint = "
        "b.fingerprint AND p.run <= ?1 AND p.state <> 'resolved') THEN 1 ELSE 0 END AS change,"
        "   b.*, NULL AS was FROM b WHERE b.fingerprint NOT IN (SELECT fingerprint FROM a)"
        "  UNION ALL SELECT 2, b.*, a.severity FROM b JOIN a USING (fingerprint)"
        "   WHERE (CASE b.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END) <"
        "         (CASE a.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END)"
        "  UNION ALL SELECT 3, a.*, NULL FROM a WHERE a.fingerprint NOT IN (SELECT fingerprint "
        "FROM b))"
        " SELECT change, rule, subject, message, severity, was, business_group, area, owner, "
        "due, fingerprint, first_seen FROM rows ORDER BY change, CASE severity WHEN 'high' THEN "
        "0 WHEN 'medium' THEN 1 ELSE 2 END, business_group IS NULL, business_group, rule, "
        "subject, message";
    asr_stmt *st = asr_stmt_new(s, sql, d);
    if (!st)
        return ASR_E_IO;
    asr_stmt_bind_int(st, 1, a);
    asr_stmt_bind_int(st, 2, b);
    int rc;
    while ((rc = asr_stmt_step(st, d, "comparing two runs")) == 1) {
        asr_diff_row r;
        r.change = (asr_change)asr_stmt_int(st, 0);
        const char **cols[11] = {&r.rule,         &r.subject,        &r.message,   &r.severity,
                                 &r.was_severity, &r.business_group, &r.area,      &r.owner,
                                 &r.due,          &r.fingerprint,    &r.first_seen};
        for (int k = 0; k < 11; k++)
            *cols[k] = asr_stmt_is_null(st, k + 1) ? NULL : asr_stmt_text(st, k + 1);
        fn(ud, &r);
    }
    asr_status status = rc < 0 ? asr_stmt_status(st) : ASR_OK;
    asr_stmt_free(st);
    return status;
}

/* ---- retention ---- */

asr_status asr_history_prune(asr_store *s, long keep_runs, long keep_days, const char *as_of,
                             long long *pruned, asr_diag *d)
{
    *pruned = 0;
    if (!asr_history_present(s) || (keep_runs <= 0 && keep_days <= 0))
        return ASR_OK;
    asr_status st = asr_store_begin(s, d);
    if (st)
        return st;
    static const char *const sql[] = {
        "CREATE TEMP TABLE IF NOT EXISTS assure_prune(id INTEGER PRIMARY KEY)",
        "DELETE FROM temp.assure_prune",
        "INSERT INTO temp.assure_prune SELECT id FROM assure_runs WHERE id <> (SELECT max(id) "
        "FROM assure_runs) AND ((?1 > 0 AND id NOT IN (SELECT id FROM assure_runs ORDER BY id "
        "DESC LIMIT ?1)) OR (?2 > 0 AND julianday(as_of) < julianday(?3) - ?2))",
        "DELETE FROM assure_run_findings WHERE run IN (SELECT id FROM temp.assure_prune)",
        "DELETE FROM assure_run_rules WHERE run IN (SELECT id FROM temp.assure_prune)",
        "DELETE FROM assure_run_inputs WHERE run IN (SELECT id FROM temp.assure_prune)",
        "DELETE FROM assure_runs WHERE id IN (SELECT id FROM temp.assure_prune)",
        /* a fingerprint no kept run has seen is forgotten: if it comes back, it is new */
        "DELETE FROM assure_findings WHERE last_run < (SELECT min(id) FROM assure_runs)",
    };
    for (size_t k = 0; st == ASR_OK && k < sizeof sql / sizeof sql[0]; k++) {
        asr_stmt *x = asr_stmt_new(s, sql[k], d);
        if (!x) {
            st = ASR_E_IO;
            break;
        }
        if (strstr(sql[k], "?1")) {
            asr_stmt_bind_int(x, 1, keep_runs);
            asr_stmt_bind_int(x, 2, keep_days);
            asr_stmt_bind_text(x, 3, as_of);
        }
        int rc;
        while ((rc = asr_stmt_step(x, d, "pruning the run history")) == 1)
            ;
        if (rc < 0)
            st = asr_stmt_status(x);
        asr_stmt_free(x);
        if (st == ASR_OK && k == 2) {
            asr_stmt *c = asr_stmt_new(s, "SELECT count(*) FROM temp.assure_prune", d);
            if (c && asr_stmt_step(c, d, "pruning the run history") == 1)
                *pruned = asr_stmt_int(c, 0);
            asr_stmt_free(c);
        }
    }
    if (st == ASR_OK)
        return asr_store_commit(s, d);
    asr_store_rollback(s);
    return st;
}
