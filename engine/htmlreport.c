/* htmlreport: the board pack (see htmlreport.h). */
#include "htmlreport.h"

#include <lua.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "date.h"
#include "findfmt.h"
#include "history.h"
#include "map.h"
#include "mapstate.h"
#include "outfile.h"
#include "store.h"
#include "util.h"
#include "waiver.h"
#include "xlsxout.h"

#define EXPIRING_DAYS 30 /* a waiver expiring within this many days is listed as expiring */

typedef struct {
    const char *rule, *title, *severity, *subject, *message, *area, *line, *principle, *owner, *due,
        *bg, *state, *first_seen;
    long age;
} frow;

typedef struct {
    const char *id, *title, *status;
    long long findings;
} rrow;

typedef struct {
    asr_arena arena;
    const asr_map *map;
    asr_mapstate *ms;
    char as_of[11];
    int recorded, have_findings, have_cmp, other_map;
    asr_run_info run, cmp;
    frow *f;
    size_t n, cap;
    rrow *rules;
    size_t n_rules, cap_rules;
    size_t by_sev[ASR_N_SEVERITIES];
    long long n_new, n_reopened, n_worsened, n_resolved, n_waived;
    asr_run_info *trend;
    size_t n_trend;
    size_t waivers_in_force, waivers_expiring;
    int have_actions;
    long long overdue[5], open_actions;
    asr_dataset_record *datasets;
    size_t n_datasets;
    char rules_hash[65];
    double check_ms;
    /* the appendix as a workbook: every finding whole (parallel to f), the
     * waived ones, and the rules they name */
    int keep_whole;
    asr_finding *whole, *waived;
    size_t n_waived_whole, cap_waived;
    const char **whole_bg, **waived_bg;
    asr_rule **xrules;
    size_t n_xrules;
    asr_strmap xrule_index;
} board;

static const char *dup(board *b, const char *s)
{
    return s && *s ? asr_arena_strdup(&b->arena, s) : NULL;
}

static asr_kv *copy_kvs(board *b, const asr_kv *kv, size_t n)
{
    asr_kv *out = asr_arena_alloc(&b->arena, (n ? n : 1) * sizeof *out);
    for (size_t i = 0; i < n; i++) {
        out[i].k = asr_arena_strdup(&b->arena, kv[i].k ? kv[i].k : "");
        out[i].v = asr_arena_strdup(&b->arena, kv[i].v ? kv[i].v : "");
        out[i].t = kv[i].t;
    }
    return out;
}

/* The rule a workbook row names: the loaded rule's id, title, severity and
 * category when known (titles), else what the finding says. */
static asr_rule *xrule(board *b, const char *id, const char *title, const char *severity,
                       const char *category)
{
    size_t k;
    if (asr_strmap_get(&b->xrule_index, id, strlen(id), &k))
        return b->xrules[k];
    asr_rule *r = asr_arena_alloc(&b->arena, sizeof *r);
    r->id = asr_arena_strdup(&b->arena, id);
    r->title = title ? asr_arena_strdup(&b->arena, title) : NULL;
    r->severity = asr_arena_strdup(&b->arena, severity ? severity : "medium");
    r->category = category ? asr_arena_strdup(&b->arena, category) : NULL;
    b->xrules = asr_xrealloc(b->xrules, (b->n_xrules + 1) * sizeof *b->xrules);
    asr_strmap_put(&b->xrule_index, r->id, b->n_xrules);
    b->xrules[b->n_xrules++] = r;
    return r;
}

/* A whole copy of f in the board's arena, naming rule r by index into xrules. */
static void copy_whole(board *b, asr_finding *to, const asr_finding *f, const asr_rule *r)
{
    *to = *f;
    size_t k = 0;
    asr_strmap_get(&b->xrule_index, r->id, strlen(r->id), &k);
    to->rule = k;
    char **fields[] = {&to->subject, &to->message,    &to->severity, &to->unit, &to->area,
                       &to->line,    &to->principle,  &to->owner,    &to->due,  &to->as_of,
                       &to->state,   &to->first_seen, &to->waiver};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        *fields[i] = *fields[i] ? asr_arena_strdup(&b->arena, *fields[i]) : NULL;
    to->evidence = copy_kvs(b, f->evidence, f->n_evidence);
    to->params = copy_kvs(b, f->params, f->n_params);
    to->rows = copy_kvs(b, f->rows, f->n_rows);
}

static void add_waived(board *b, const asr_finding *f, const asr_rule *r, asr_bg_memo *memo)
{
    if (b->n_waived_whole == b->cap_waived) {
        b->cap_waived = b->cap_waived ? 2 * b->cap_waived : 16;
        b->waived = asr_xrealloc(b->waived, b->cap_waived * sizeof *b->waived);
        b->waived_bg = asr_xrealloc(b->waived_bg, b->cap_waived * sizeof *b->waived_bg);
    }
    copy_whole(b, &b->waived[b->n_waived_whole], f, r);
    b->waived_bg[b->n_waived_whole++] = dup(b, asr_business_group_name(b->map, f, memo));
}

static void add_finding(board *b, const asr_finding *f, const char *rule, const char *title,
                        const char *severity, asr_bg_memo *memo)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 256;
        b->f = asr_xrealloc(b->f, b->cap * sizeof *b->f);
        if (b->keep_whole) {
            b->whole = asr_xrealloc(b->whole, b->cap * sizeof *b->whole);
            b->whole_bg = asr_xrealloc(b->whole_bg, b->cap * sizeof *b->whole_bg);
        }
    }
    if (b->keep_whole)
        copy_whole(b, &b->whole[b->n], f, xrule(b, rule, title, severity, NULL));
    frow *r = &b->f[b->n++];
    r->rule = dup(b, rule);
    r->title = title;
    r->severity = dup(b, severity);
    r->subject = dup(b, f->subject);
    r->message = dup(b, f->message);
    r->area = dup(b, f->area);
    r->line = dup(b, f->line);
    const char *principle = f->principle;
    if ((!principle || !*principle) && f->area) {
        const asr_area *a = asr_map_area(b->map, f->area);
        principle = a ? a->principle : NULL;
    }
    r->principle = dup(b, principle);
    r->owner = dup(b, f->owner);
    r->due = dup(b, f->due);
    r->bg = dup(b, asr_business_group_name(b->map, f, memo));
    if (b->keep_whole)
        b->whole_bg[b->n - 1] = r->bg;
    r->state = dup(b, f->state);
    r->first_seen = dup(b, f->first_seen);
    r->age = f->age_days;
    b->by_sev[asr_severity_index(r->severity)]++;
    if (b->ms)
        asr_mapstate_count_finding(b->ms, f->area, f->line);
}

static void add_rule(board *b, const char *id, const char *title, const char *status,
                     long long findings)
{
    if (b->n_rules == b->cap_rules) {
        b->cap_rules = b->cap_rules ? 2 * b->cap_rules : 64;
        b->rules = asr_xrealloc(b->rules, b->cap_rules * sizeof *b->rules);
    }
    rrow *r = &b->rules[b->n_rules++];
    r->id = dup(b, id);
    r->title = dup(b, title);
    r->status = asr_arena_strdup(&b->arena, status && *status ? status : "unknown");
    r->findings = findings;
}

static void on_run_rule(void *ud, const char *rule, const char *status, long long findings)
{
    add_rule(ud, rule, NULL, status, findings);
}

static void on_diff(void *ud, const asr_diff_row *row)
{
    board *b = ud;
    if (row->change == ASR_CHANGE_NEW)
        b->n_new++;
    else if (row->change == ASR_CHANGE_REOPENED)
        b->n_reopened++;
    else if (row->change == ASR_CHANGE_WORSENED)
        b->n_worsened++;
    else
        b->n_resolved++;
}

static int64_t days_of(const char *s)
{
    asr_date d;
    if (!s || strlen(s) < 10 || asr_date_parse(s, 10, NULL, &d))
        return INT64_MIN;
    return asr_date_to_days(d);
}

static int all_digits(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* The title of rule id in the loaded rules, or NULL. */
static const char *rule_title(const asr_rule_result *rules, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (rules[i].loaded && rules[i].rule.id && strcmp(rules[i].rule.id, id) == 0)
            return rules[i].rule.title;
    return NULL;
}

/* ---- gathering ---- */

static asr_status pick_runs(board *b, asr_store *s, const asr_board_opts *o, asr_diag *d)
{
    asr_status st = ASR_OK;
    if (o->run) {
        long long id = all_digits(o->run) && strlen(o->run) < 18 ? strtoll(o->run, NULL, 10) : -1;
        if (id < 1) {
            asr_error(d, NULL, NULL, "--run takes a run number (see 'assure history'), not '%s'",
                      o->run);
            return ASR_E_USAGE;
        }
        st = asr_history_get(s, id, &b->run, d);
        if (st == ASR_OK && b->run.id == 0) {
            asr_run_info last;
            asr_history_latest(s, &last, d);
            asr_error(d, NULL, NULL, "there is no run %lld; the runs recorded are 1 to %lld", id,
                      (long long)last.id);
            return ASR_E_USAGE;
        }
    } else {
        st = asr_history_latest(s, &b->run, d);
    }
    if (st != ASR_OK || !o->since)
        return st == ASR_OK ? asr_history_before(s, b->run.id, &b->cmp, d) : st;
    if (all_digits(o->since)) {
        st = asr_history_get(s, strtoll(o->since, NULL, 10), &b->cmp, d);
        if (st == ASR_OK && b->cmp.id == 0) {
            asr_error(d, NULL, NULL, "--since: there is no run %s", o->since);
            return ASR_E_USAGE;
        }
    } else if (days_of(o->since) != INT64_MIN && strlen(o->since) == 10) {
        st = asr_history_on_or_before(s, o->since, &b->cmp, d);
        if (st == ASR_OK && b->cmp.id == 0) {
            asr_error(d, NULL, NULL, "--since: no run was recorded as of %s or earlier", o->since);
            return ASR_E_USAGE;
        }
    } else {
        asr_error(d, NULL, NULL, "--since takes a run number or a date (YYYY-MM-DD), not '%s'",
                  o->since);
        return ASR_E_USAGE;
    }
    if (st == ASR_OK && b->cmp.id >= b->run.id) {
        asr_error(d, NULL, NULL,
                  "--since %s names run %lld; the comparison must be a run before run %lld",
                  o->since, (long long)b->cmp.id, (long long)b->run.id);
        return ASR_E_USAGE;
    }
    return st;
}

static asr_status from_history(board *b, asr_store *s, const asr_board_opts *o,
                               const asr_rule_result *titles, size_t n_titles, asr_diag *d)
{
    asr_status st = pick_runs(b, s, o, d);
    if (st != ASR_OK)
        return st;
    b->recorded = b->have_findings = 1;
    snprintf(b->as_of, sizeof b->as_of, "%s", b->run.as_of);
    if (strcmp(b->run.map_hash, b->map->hash) != 0) {
        b->other_map = 1;
        asr_warn(d, NULL, NULL,
                 "run %lld was recorded with another version of the map; the assurance map shows "
                 "the map as it is now",
                 (long long)b->run.id);
    }
    snprintf(b->rules_hash, sizeof b->rules_hash, "%s", b->run.rules_hash);
    st = asr_mapstate_compute(b->map, s, b->as_of, d, &b->ms);
    for (size_t i = 0; b->keep_whole && i < n_titles; i++)
        if (titles[i].loaded && titles[i].rule.id)
            xrule(b, titles[i].rule.id, titles[i].rule.title, titles[i].rule.severity,
                  titles[i].rule.category);
    asr_history_iter *it = NULL;
    if (st == ASR_OK)
        st = asr_history_findings(s, b->run.id, ASR_HIST_CURRENT, d, &it);
    if (st == ASR_OK) {
        asr_finding f;
        const char *rule;
        asr_bg_memo memo = {0};
        int r;
        while ((r = asr_history_next(it, &f, &rule, d)) == 1)
            add_finding(b, &f, rule, rule_title(titles, n_titles, rule), f.severity, &memo);
        if (r < 0)
            st = ASR_E_IO;
    }
    asr_history_iter_free(it);
    it = NULL;
    if (st == ASR_OK && b->keep_whole)
        st = asr_history_findings(s, b->run.id, ASR_HIST_WAIVED, d, &it);
    if (st == ASR_OK && b->keep_whole) {
        asr_finding f;
        const char *rule;
        asr_bg_memo memo = {0};
        int r;
        while ((r = asr_history_next(it, &f, &rule, d)) == 1)
            add_waived(b, &f, xrule(b, rule, rule_title(titles, n_titles, rule), f.severity, NULL),
                       &memo);
        if (r < 0)
            st = ASR_E_IO;
    }
    asr_history_iter_free(it);
    if (st == ASR_OK)
        st = asr_history_run_rules(s, b->run.id, on_run_rule, b, d);
    for (size_t i = 0; i < b->n_rules; i++)
        b->rules[i].title = dup(b, rule_title(titles, n_titles, b->rules[i].id));
    b->n_waived = b->run.waived;
    if (st == ASR_OK && b->cmp.id) {
        b->have_cmp = 1;
        st = asr_history_diff(s, b->cmp.id, b->run.id, on_diff, b, d);
    } else if (st == ASR_OK) {
        b->n_new = b->run.new_;
        b->n_reopened = b->run.reopened;
        b->n_resolved = b->run.resolved;
    }
    asr_run_info *all = NULL;
    size_t n_all = 0;
    if (st == ASR_OK)
        st = asr_history_list(s, &all, &n_all, d);
    size_t keep = o->trend_runs ? o->trend_runs : 12, end = 0;
    while (end < n_all && all[end].id <= b->run.id)
        end++;
    size_t start = end > keep ? end - keep : 0;
    b->trend = asr_xcalloc(end - start + 1, sizeof *b->trend);
    for (size_t i = start; i < end; i++)
        b->trend[b->n_trend++] = all[i];
    free(all);
    return st;
}

static asr_status from_check(board *b, const asr_board_opts *o, asr_diag *d)
{
    asr_check_opts co = {0};
    co.map_path = o->map_path;
    co.db_path = o->db_path;
    co.rules_dir = o->rules_dir;
    co.as_of = o->as_of;
    co.format = ASR_FMT_TEXT;
    co.runner = o->runner;
    asr_check c;
    asr_status st = asr_check_run(&co, d, &c);
    if (st == ASR_OK) {
        b->have_findings = 1;
        snprintf(b->rules_hash, sizeof b->rules_hash, "%s", c.rules_hash);
        b->check_ms = c.elapsed_ms;
        asr_bg_memo memo = {0};
        for (size_t i = 0; b->keep_whole && i < c.n_rules; i++)
            if (c.rules[i].loaded && c.rules[i].rule.id)
                xrule(b, c.rules[i].rule.id, c.rules[i].rule.title, c.rules[i].rule.severity,
                      c.rules[i].rule.category);
        for (size_t i = 0; i < c.n_findings; i++) {
            const asr_finding *f = &c.findings[i];
            const asr_rule *rule = &c.rules[f->rule].rule;
            if (f->waived) {
                /* waived: reported apart and not counted (the waivers' count below) */
                if (b->keep_whole)
                    add_waived(b, f, xrule(b, rule->id, rule->title, rule->severity, NULL), &memo);
                continue;
            }
            add_finding(b, f, rule->id, dup(b, rule->title), asr_finding_severity(f, rule), &memo);
        }
        size_t *order = asr_rule_results_by_id(c.rules, c.n_rules);
        for (size_t k = 0; k < c.n_rules; k++) {
            const asr_rule_result *r = &c.rules[order[k]];
            if (!r->loaded)
                continue;
            add_rule(b, r->rule.id, r->rule.title,
                     !c.run[order[k]] ? "skipped"
                     : r->fail        ? asr_fail_kind_name(r->fail)
                                      : "ok",
                     (long long)r->n_findings);
            b->n_waived += (long long)r->n_waived;
        }
        free(order);
    }
    asr_check_free(&c);
    return st;
}

static asr_status gather_data(board *b, asr_store *s, asr_diag *d)
{
    asr_waivers w = {0};
    asr_status st = asr_waivers_read(s, &w, d);
    int64_t now = days_of(b->as_of);
    for (size_t i = 0; st == ASR_OK && i < w.n; i++) {
        int64_t from = days_of(w.items[i].approved_on), to = days_of(w.items[i].expires);
        if (from != INT64_MIN && to != INT64_MIN && from <= now && now <= to) {
            b->waivers_in_force++;
            if (to - now <= EXPIRING_DAYS)
                b->waivers_expiring++;
        }
    }
    asr_waivers_free(&w);
    const asr_dataset *ds = asr_map_dataset(b->map, "audit_actions");
    int cols = 0;
    for (size_t i = 0; ds && i < ds->n_computed; i++)
        cols +=
            strcmp(ds->computed[i].name, "open") == 0 || strcmp(ds->computed[i].name, "due") == 0;
    if (st == ASR_OK && cols == 2 && asr_store_has_table(s, "audit_actions")) {
        asr_stmt *q = asr_stmt_new(s, "SELECT due, open FROM audit_actions WHERE open = 1", d);
        if (!q)
            return ASR_E_IO;
        b->have_actions = 1;
        int r;
        while ((r = asr_stmt_step(q, d, "reading the audit actions")) == 1) {
            b->open_actions++;
            int64_t due = days_of(asr_stmt_text(q, 0));
            if (due == INT64_MIN || due >= now)
                continue;
            int64_t late = now - due;
            b->overdue[late <= 30 ? 0 : late <= 90 ? 1 : late <= 180 ? 2 : late <= 365 ? 3 : 4]++;
        }
        if (r < 0)
            st = asr_stmt_status(q);
        asr_stmt_free(q);
    }
    if (st == ASR_OK)
        st = asr_store_list_datasets(s, &b->datasets, &b->n_datasets, d);
    return st;
}

/* ---- writing ---- */

/* Text as HTML: markup characters as entities; control characters and bytes
 * that are not UTF-8 as U+FFFD. */
static void esc(FILE *out, const char *s)
{
    if (!s)
        return;
    size_t len = strlen(s);
    const char *bad = asr_utf8_invalid(s, len);
    for (const char *p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (bad && c >= 0x80) {
            fputs("&#xFFFD;", out);
        } else if (c == '&') {
            fputs("&amp;", out);
        } else if (c == '<') {
            fputs("&lt;", out);
        } else if (c == '>') {
            fputs("&gt;", out);
        } else if (c == '"') {
            fputs("&quot;", out);
        } else if (c == '\'') {
            fputs("&#39;", out);
        } else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
            fputs("&#xFFFD;", out);
        } else if (c == 0xc2 && !bad && (unsigned char)p[1] >= 0x80 &&
                   (unsigned char)p[1] <= 0x9f) {
            fputs("&#xFFFD;", out); /* a C1 control */
            p++;
        } else {
            fputc(c, out);
        }
    }
}

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* "3 Oct 2022" for a board member; the text itself when it is no date. */
static void human_date(FILE *out, const char *iso)
{
    asr_date d;
    if (iso && strlen(iso) >= 10 && !asr_date_parse(iso, 10, NULL, &d))
        fprintf(out, "%d %s %d", d.day, months[d.month - 1], d.year);
    else
        esc(out, iso);
}

static void plural(FILE *out, long long n, const char *one, const char *many)
{
    fprintf(out, "%lld %s", n, n == 1 ? one : many);
}

static const char css[] =
    ":root{--ink:#1a1a1a;--muted:#4d4d4d;--line:#8c8c8c;--bar:#2b5797}"
    "*{box-sizing:border-box}"
    "body{margin:0;font:15px/1.45 'DejaVu Sans',Arial,sans-serif;color:var(--ink);"
    "background:#fff}"
    "main{max-width:1240px;margin:0 auto;padding:16px 20px}"
    "h1{font-size:26px;margin:0 0 4px}h2{font-size:21px;margin:28px 0 8px;"
    "border-bottom:2px solid var(--ink);padding-bottom:4px}h3{font-size:17px;margin:18px 0 6px}"
    "p{margin:6px 0}.muted{color:var(--muted)}code{word-break:break-all}"
    ".kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(120px,1fr));gap:10px;"
    "margin:12px 0}"
    ".kpi{border:1px solid var(--line);border-radius:6px;padding:8px 12px}"
    ".kpi b{display:block;font-size:28px}"
    ".kpi.high{border-left:8px solid #b00020}"
    "ul.key{padding-left:20px}"
    ".scroll{overflow-x:auto;max-width:100%}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{border:1px solid var(--line);padding:5px 7px;text-align:left;vertical-align:top;"
    "overflow-wrap:break-word}"
    "thead th{background:#e6e6e6}"
    "table.map{table-layout:fixed}table.map th.area{width:22%}"
    "tr.principle th{background:#333;color:#fff;font-size:14px}"
    "td.cell{font-size:13px;border-left-width:7px}"
    "td.cell .state{font-size:14px}td.cell div{margin-top:2px}"
    ".sym{font-weight:bold;margin-right:3px}"
    ".tag{display:inline-block;border:1px solid var(--ink);border-radius:3px;padding:0 4px;"
    "margin:2px 3px 0 0;font-size:12px;background:#fff}"
    ".st-assured{background:#dcefdc;border-left-color:#1e6b1e}"
    ".st-weak{background:#fde0c5;border-left-color:#a84300}"
    ".st-stale{background:#fff1a8;border-left-color:#7a6000}"
    ".st-unrated{background:#ececec;border-left-color:#595959}"
    ".st-suspended{background:#e6dcf5;border-left-color:#5b2a99;"
    "background-image:repeating-linear-gradient(0deg,transparent 0 9px,#cbb8ea 9px 11px)}"
    ".st-planned{background:#dde8f7;border-left-color:#1f4e8c;"
    "background-image:repeating-linear-gradient(90deg,transparent 0 9px,#c3d5ef 9px 11px)}"
    ".st-missing{background:#f9d0d0;border-left-color:#b00020;"
    "background-image:repeating-linear-gradient(45deg,transparent 0 8px,#f0b0b0 8px 11px)}"
    ".st-not-required{background:#fff;color:#4d4d4d;border-left-color:#bfbfbf}"
    "table.legend td.cell{width:190px}"
    "td.ca{font-size:13px;border-left-width:7px}td.ca div{margin-top:2px}"
    "td.ca svg{width:100%;max-width:150px;margin-top:4px}"
    ".ca-below{background:#f9d0d0;border-left-color:#b00020}"
    ".ca-meets{background:#dcefdc;border-left-color:#1e6b1e}"
    ".ca-none{background:#fff;border-left-color:#bfbfbf}"
    ".sev-high{font-weight:bold}"
    "svg{max-width:100%;height:auto;display:block}"
    "svg text{font-family:'DejaVu Sans',Arial,sans-serif;fill:#1a1a1a}"
    "section{margin-bottom:24px}"
    "@media (max-width:700px){main{padding:10px}"
    "table.map,table.map tbody,table.map tr,table.map th,table.map td{display:block;width:100%}"
    "table.map thead{display:none}"
    "table.map td.cell::before,table.map td.ca::before{content:attr(data-line-name);"
    "display:block;font-weight:bold}table.map th.area{width:100%;background:#f2f2f2}"
    ".kpis{grid-template-columns:repeat(2,1fr)}}"
    "@page{size:A4 landscape;margin:12mm}"
    "@media print{body{font-size:11px}main{max-width:none;padding:0}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    "section.major{break-before:page}section#summary{break-before:auto}"
    "tr,.kpi,svg,td.cell{break-inside:avoid}thead{display:table-header-group}"
    "h2,h3,tr.principle{break-after:avoid}.scroll{overflow:visible}td.cell{font-size:10px}"
    "td.cell .state{font-size:11px}.tag{font-size:9px}tr.principle th{font-size:11px}"
    "th,td{padding:3px 5px}}";

static const char *const state_sym[ASR_N_CELL_STATES] = {"\u2713", "\u25bc", "\u25d4", "?",
                                                         "\u2016", "\u25cb", "\u2717", "\u2013"};
static const char *const state_means[ASR_N_CELL_STATES] = {
    "An active source reported within the area's time limit, with a positive rating.",
    "The latest report gave limited or no assurance (the two lowest ratings on the provider's "
    "scale).",
    "The latest report is older than the area allows for this line: it no longer says how "
    "things work today.",
    "A source is in place but no rated report is on record.",
    "The only sources are suspended: no assurance is being given.",
    "The only sources are planned, not yet in place.",
    "The area needs assurance from this line and no source gives it.",
    "The area does not need assurance from this line, and none is mapped."};

static void head(FILE *out, const board *b, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'\">\n<title>",
          out);
    esc(out, title);
    fputs(": ", out);
    esc(out, b->map->org_name);
    fputs(", as at ", out);
    human_date(out, b->as_of);
    fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n", css);
}

static void header_block(FILE *out, const board *b, const char *title)
{
    fputs("<header>\n<h1>", out);
    esc(out, title);
    fputs(": ", out);
    esc(out, b->map->org_name);
    fputs("</h1>\n<p class=\"muted\">As at <strong data-as-of=\"", out);
    esc(out, b->as_of);
    fputs("\">", out);
    human_date(out, b->as_of);
    fputs("</strong>", out);
    if (b->recorded) {
        fprintf(out, " &middot; run <span data-run=\"%lld\">%lld</span>, recorded ",
                (long long)b->run.id, (long long)b->run.id);
        human_date(out, b->run.finished_at);
        if (strlen(b->run.finished_at) >= 16)
            fprintf(out, " %.5s UTC", b->run.finished_at + 11);
    } else if (b->have_findings) {
        fputs(" &middot; from a check run now (no run recorded in the database)", out);
    }
    char map_hash[13] = {0}, rules_hash[13] = {0}; /* the first 12 hex digits */
    memcpy(map_hash, b->map->hash, 12);
    memcpy(rules_hash, b->rules_hash[0] ? b->rules_hash : "none", b->rules_hash[0] ? 12 : 4);
    fputs(" &middot; map <code>", out);
    esc(out, map_hash);
    fputs("</code>, rules <code>", out);
    esc(out, rules_hash);
    fputs("</code>", out);
    fputs("</p>\n", out);
    if (b->other_map)
        fputs("<p><strong>Note:</strong> this run was recorded with another version of the map; "
              "the assurance map below shows the map as it is now.</p>\n",
              out);
    fputs("</header>\n", out);
}

static void cell_body(FILE *out, const asr_cell *c)
{
    fprintf(out,
            "<span class=\"sym\" aria-hidden=\"true\">%s</span><strong class=\"state\">%s</strong>",
            state_sym[c->state], asr_cell_state_words(c->state));
    if (c->state == ASR_CELL_MISSING) {
        fputs("<div>Required; no source of assurance</div>", out);
    } else if (c->state == ASR_CELL_NOT_REQUIRED) {
        /* nothing more to say */
    } else {
        if (c->date[0]) {
            fputs("<div>", out);
            if (c->n_active == 0)
                fputs("Last report: ", out);
            if (c->label)
                esc(out, c->label);
            else
                fputs("no rating given", out);
            fputs(", ", out);
            human_date(out, c->date);
            fprintf(out, " (%ld day%s old", c->age_days, c->age_days == 1 ? "" : "s");
            if (c->is_stale)
                fprintf(out, "; limit %ld", c->max_age_days);
            fputs(")</div>", out);
        } else {
            fputs("<div>No report on record</div>", out);
        }
        fputs("<div>", out);
        esc(out, c->sources);
        fputs("</div>", out);
        if ((c->state == ASR_CELL_SUSPENDED || c->state == ASR_CELL_PLANNED) && c->required)
            fputs("<div><span class=\"tag\">required: no active assurance</span></div>", out);
        if (c->is_weak && c->state != ASR_CELL_WEAK)
            fputs("<span class=\"tag\">last rating weak</span>", out);
        if (c->is_stale && c->state != ASR_CELL_STALE)
            fputs("<span class=\"tag\">out of date</span>", out);
    }
    if (c->findings)
        fprintf(out, "<div class=\"nf\">%zu finding%s</div>", c->findings,
                c->findings == 1 ? "" : "s");
}

static void legend(FILE *out)
{
    fputs("<table class=\"legend\"><thead><tr><th>Cell</th><th>What it means</th></tr></thead>"
          "<tbody>\n",
          out);
    for (int s = 0; s < ASR_N_CELL_STATES; s++)
        fprintf(out,
                "<tr><td class=\"cell st-%s\"><span class=\"sym\" aria-hidden=\"true\">%s</span>"
                "<strong>%s</strong></td><td>%s</td></tr>\n",
                asr_cell_state_name((asr_cell_state)s), state_sym[s],
                asr_cell_state_words((asr_cell_state)s), state_means[s]);
    fputs("</tbody></table>\n", out);
}

/* The area's combined assurance: its score against the level required, in
 * words, as a bar with a mark at the required score, and what it rests on. */
static void combined_cell(FILE *out, const asr_map *m, const asr_mapstate_row *row)
{
    const char *cls = row->required ? (row->below ? "below" : "meets") : "none";
    fprintf(out, "<td class=\"ca ca-%s\" data-area=\"", cls);
    esc(out, row->area->id);
    fprintf(out, "\" data-ca=\"%s\" data-score=\"%.1f\" data-line-name=\"Combined assurance\">",
            cls, row->score);
    fprintf(out,
            "<span class=\"sym\" aria-hidden=\"true\">%s</span><strong class=\"state\">%s"
            "</strong>",
            row->required ? (row->below ? "\u2717" : "\u2713") : "\u2013",
            row->required ? (row->below ? "Below the level required" : "Meets the level required")
                          : "No level required");
    fprintf(out, "<div>Holds %.1f of 100", row->score);
    if (row->held_level) {
        fputs(" (", out);
        esc(out, row->held_level->id);
        fputs(")", out);
    }
    fputs("</div>", out);
    if (row->required) {
        fputs("<div>Requires ", out);
        esc(out, row->required->id);
        fprintf(out, " (%g)</div>", row->required->score);
    }
    /* the bar: grey track, dark fill to the score, a red mark at the level */
    fprintf(out,
            "<svg viewBox=\"0 0 100 12\" role=\"img\" aria-label=\"%.1f of 100\">"
            "<rect x=\"0\" y=\"2\" width=\"100\" height=\"8\" fill=\"#e6e6e6\" stroke=\"#595959\" "
            "stroke-width=\"0.5\"/><rect x=\"0\" y=\"2\" width=\"%.1f\" height=\"8\" "
            "fill=\"#2b5797\"/>",
            row->score, row->score);
    if (row->required)
        fprintf(out, "<rect x=\"%.1f\" y=\"0\" width=\"1.5\" height=\"12\" fill=\"#b00020\"/>",
                row->required->score > 98.5 ? 98.5 : row->required->score);
    fputs("</svg>", out);
    int any = 0;
    for (size_t l = 0; l < m->n_lines; l++) {
        long k = row->best[l];
        if (k < 0)
            continue;
        fputs(any ? "; " : "<div class=\"muted\">From ", out);
        any = 1;
        esc(out, m->lines[l].id);
        fprintf(out, " %g: ", row->held[k].points);
        esc(out, row->held[k].source->title ? row->held[k].source->title : row->held[k].source->id);
    }
    if (any)
        fputs("</div>", out);
    if (row->n_duplicate_groups)
        fprintf(out, "<span class=\"tag\">%zu duplicated</span>", row->n_duplicate_groups);
    fputs("</td>\n", out);
}

/* How combined assurance is scored, with this map's weights, factors and
 * levels: a board member can check any score by hand. */
static void combined_method(FILE *out, const asr_map *m)
{
    const asr_combined *c = &m->combined;
    double total = 0;
    for (size_t l = 0; l < m->n_lines; l++)
        total += asr_line_weight(m, l);
    fputs("<h3>How combined assurance is scored</h3>\n<p>Each source covering an area gives "
          "its line's weight, reduced by what its latest report says; each line counts its best "
          "source once (a second source in the same line adds nothing); the area's score is "
          "the lines' total as a share of ",
          out);
    fprintf(out, "%g points, the most every line could give.</p>\n<ul>\n<li>Weights: ", total);
    for (size_t l = 0; l < m->n_lines; l++) {
        fputs(l ? ", " : "", out);
        esc(out, m->lines[l].name ? m->lines[l].name : m->lines[l].id);
        fprintf(out, " %g", asr_line_weight(m, l));
    }
    if (c->weights)
        fprintf(out,
                ".</li>\n<li>A report with the top rating of its scale counts in full; another "
                "positive rating %g; a weak one (the two lowest ratings) %g; a report with no "
                "rating %g; a source with no report on record %g; a suspended or planned source "
                "nothing.</li>\n<li>A report older than the area allows for the line counts %g "
                "of that; one older than twice the source's stated frequency, %g; one that "
                "covered only part of the area, %g.</li>\n<li>Levels: ",
                c->positive, c->weak, c->unrated, c->unreported, c->stale, c->late, c->partial);
    for (size_t k = 0; k < c->n_levels; k++) {
        fputs(k ? ", " : "", out);
        esc(out, c->levels[k].id);
        fprintf(out, " from %g", c->levels[k].score);
    }
    fputs(c->n_levels ? ".</li>\n</ul>\n" : "none.</li>\n</ul>\n", out);
}

static void map_section(FILE *out, const board *b, const char *cls)
{
    const asr_map *m = b->map;
    const asr_mapstate *ms = b->ms;
    fprintf(out, "<section id=\"map\" class=\"%s\">\n<h2>The assurance map</h2>\n", cls);
    fputs("<p>Each row is an assurance area, grouped by principle; each column a line of "
          "assurance. A cell says in words (and colour) what assurance the area holds in that "
          "line today, with the source, its latest rating in the provider's own words, the date "
          "and the number of findings about it. The last column weighs it all together: the "
          "combined assurance the area holds, out of 100, against the level the map requires "
          "(how it is scored: below the map).</p>\n",
          out);
    size_t gaps = 0, weak = 0, stale = 0, below = 0;
    for (size_t r = 0; r < ms->n_rows; r++)
        below += (size_t)ms->rows[r].below;
    for (size_t r = 0; r < ms->n_rows; r++)
        for (size_t l = 0; l < m->n_lines; l++) {
            const asr_cell *c = &ms->rows[r].cells[l];
            gaps += c->required && c->n_active == 0;
            weak += (size_t)c->is_weak;
            stale += (size_t)c->is_stale;
        }
    fprintf(out,
            "<p><strong>At a glance:</strong> <span data-count=\"required-gaps\">%zu</span> "
            "required line%s without active assurance; <span data-count=\"weak\">%zu</span> "
            "with a weak latest rating; <span data-count=\"stale\">%zu</span> with a latest "
            "report out of date; <span data-count=\"assured\">%zu</span> assured; "
            "<span data-count=\"below-required\">%zu</span> area%s below the combined assurance "
            "the map requires.</p>\n",
            gaps, gaps == 1 ? "" : "s", weak, stale, ms->by_state[ASR_CELL_ASSURED], below,
            below == 1 ? "" : "s");
    fputs("<div class=\"scroll\"><table class=\"map\">\n<thead><tr><th class=\"area\" "
          "scope=\"col\">Area</th>",
          out);
    for (size_t l = 0; l < m->n_lines; l++) {
        fputs("<th scope=\"col\">", out);
        esc(out, m->lines[l].name ? m->lines[l].name : m->lines[l].id);
        fputs("</th>", out);
    }
    fputs("<th scope=\"col\">Combined assurance</th></tr></thead>\n<tbody>\n", out);
    const asr_principle *last = NULL;
    for (size_t r = 0; r < ms->n_rows; r++) {
        const asr_mapstate_row *row = &ms->rows[r];
        if (r == 0 || row->principle != last) {
            last = row->principle;
            fprintf(out, "<tr class=\"principle\"><th colspan=\"%zu\">", m->n_lines + 2);
            if (row->principle) {
                fputs("Principle ", out);
                esc(out, row->principle->id);
                fputs(": ", out);
                esc(out, row->principle->title);
            } else {
                fputs("No principle given", out);
            }
            fputs("</th></tr>\n", out);
        }
        fputs("<tr><th class=\"area\" scope=\"row\">", out);
        esc(out, row->area->title ? row->area->title : row->area->id);
        if (row->area->owner) {
            fputs("<div class=\"muted\">", out);
            esc(out, row->area->owner);
            fputs("</div>", out);
        }
        if (row->findings_area)
            fprintf(out, "<div class=\"nf\">%zu other finding%s</div>", row->findings_area,
                    row->findings_area == 1 ? "" : "s");
        fputs("</th>\n", out);
        for (size_t l = 0; l < m->n_lines; l++) {
            const asr_cell *c = &row->cells[l];
            fprintf(out, "<td class=\"cell st-%s\" data-area=\"", asr_cell_state_name(c->state));
            esc(out, row->area->id);
            fputs("\" data-line=\"", out);
            esc(out, m->lines[l].id);
            fputs("\" data-line-name=\"", out);
            esc(out, m->lines[l].name ? m->lines[l].name : m->lines[l].id);
            fputs("\">", out);
            cell_body(out, c);
            fputs("</td>\n", out);
        }
        combined_cell(out, m, row);
        fputs("</tr>\n", out);
    }
    fputs("</tbody></table></div>\n<h3>How to read a cell</h3>\n", out);
    legend(out);
    combined_method(out, m);
    fputs("</section>\n", out);
}

/* A horizontal bar chart: labels and values; the numbers are written
 * beside the bars. */
static void bar_chart(FILE *out, const char *id, const char *title, const char *const *labels,
                      const long long *values, size_t n)
{
    long long max = 1;
    for (size_t i = 0; i < n; i++)
        if (values[i] > max)
            max = values[i];
    const int row = 26, left = 330, width = 820, barw = width - left - 60;
    fprintf(out,
            "<svg id=\"%s\" role=\"img\" aria-labelledby=\"%s-t\" viewBox=\"0 0 %d %zu\" "
            "width=\"%d\"><title id=\"%s-t\">",
            id, id, width, n * (size_t)row + 10, width, id);
    esc(out, title);
    fputs("</title>\n", out);
    for (size_t i = 0; i < n; i++) {
        int y = (int)i * row + 4;
        long long w = values[i] * barw / max;
        fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"14\">", left - 8,
                y + 16);
        esc(out, labels[i]);
        fprintf(out,
                "</text><rect x=\"%d\" y=\"%d\" width=\"%lld\" height=\"18\" fill=\"#2b5797\"/>"
                "<text x=\"%lld\" y=\"%d\" font-size=\"14\" font-weight=\"bold\">%lld</text>\n",
                left, y + 2, w, left + w + 6, y + 16, values[i]);
    }
    fputs("</svg>\n", out);
}

typedef struct {
    const char *key;
    long long n, by_sev[ASR_N_SEVERITIES];
} group;

static int group_cmp(const void *a, const void *b)
{
    const group *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    return strcmp(x->key, y->key);
}

static size_t group_add(group *g, size_t n, const char *key, int sev)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(g[i].key, key) == 0) {
            g[i].n++;
            g[i].by_sev[sev]++;
            return n;
        }
    g[n] = (group){key, 1, {0, 0, 0}};
    g[n].by_sev[sev] = 1;
    return n + 1;
}

static void group_chart(FILE *out, const board *b, int by_principle)
{
    group *g = asr_xcalloc(b->n + 1, sizeof *g);
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++) {
        const char *key = by_principle ? b->f[i].principle : b->f[i].bg;
        n = group_add(g, n, key ? key : "(none given)", asr_severity_index(b->f[i].severity));
    }
    qsort(g, n, sizeof *g, group_cmp);
    const char **labels = asr_xcalloc(n + 1, sizeof *labels);
    long long *values = asr_xcalloc(n + 1, sizeof *values);
    char **owned = asr_xcalloc(n + 1, sizeof *owned);
    for (size_t i = 0; i < n; i++) {
        labels[i] = g[i].key;
        if (by_principle) {
            for (size_t p = 0; p < b->map->n_principles; p++)
                if (strcmp(b->map->principles[p].id, g[i].key) == 0) {
                    asr_buf t = {0};
                    const char *title = b->map->principles[p].title;
                    size_t cut = strlen(title);
                    if (cut > 30) {
                        cut = 30; /* at a character's first byte, not inside it */
                        while (cut > 0 && ((unsigned char)title[cut] & 0xc0) == 0x80)
                            cut--;
                    }
                    asr_buf_addf(&t, "%s: %.*s%s", g[i].key, (int)cut, title,
                                 title[cut] ? "\u2026" : "");
                    owned[i] = asr_xstrdup(asr_buf_str(&t));
                    asr_buf_free(&t);
                    labels[i] = owned[i];
                }
        }
        values[i] = g[i].n;
    }
    const char *what = by_principle ? "principle" : "business group";
    fprintf(out, "<h3>Findings by %s</h3>\n", what);
    if (n == 0) {
        fputs("<p>No findings.</p>\n", out);
    } else {
        bar_chart(out, by_principle ? "chart-principle" : "chart-group",
                  by_principle ? "Findings by principle" : "Findings by business group", labels,
                  values, n);
        fprintf(out,
                "<table><thead><tr><th>%s</th><th>Findings</th><th>High</th><th>Medium</th>"
                "<th>Low</th></tr></thead><tbody>\n",
                by_principle ? "Principle" : "Business group");
        for (size_t i = 0; i < n; i++) {
            fputs("<tr><td>", out);
            esc(out, labels[i]);
            fprintf(out, "</td><td>%lld</td><td>%lld</td><td>%lld</td><td>%lld</td></tr>\n", g[i].n,
                    g[i].by_sev[0], g[i].by_sev[1], g[i].by_sev[2]);
        }
        fputs("</tbody></table>\n", out);
    }
    for (size_t i = 0; i < n; i++)
        free(owned[i]);
    free(owned);
    free(labels);
    free(values);
    free(g);
}

static void summary_section(FILE *out, const board *b)
{
    fputs("<section id=\"summary\">\n<h2>Summary</h2>\n<div class=\"kpis\">\n", out);
    fprintf(out,
            "<div class=\"kpi\">Findings<b data-count=\"findings\">%zu</b></div>\n"
            "<div class=\"kpi high\">High severity<b data-count=\"high\">%zu</b></div>\n"
            "<div class=\"kpi\">Medium<b data-count=\"medium\">%zu</b></div>\n"
            "<div class=\"kpi\">Low<b data-count=\"low\">%zu</b></div>\n",
            b->n, b->by_sev[0], b->by_sev[1], b->by_sev[2]);
    if (b->recorded)
        fprintf(out,
                "<div class=\"kpi\">New<b data-count=\"new\">%lld</b></div>\n"
                "<div class=\"kpi\">Resolved<b data-count=\"resolved\">%lld</b></div>\n"
                "<div class=\"kpi\">Reopened<b data-count=\"reopened\">%lld</b></div>\n",
                b->n_new, b->n_resolved, b->n_reopened);
    fprintf(out,
            "<div class=\"kpi\">Waivers in force<b data-count=\"waivers\">%zu</b></div>\n"
            "<div class=\"kpi\">Waivers expiring within %d days<b "
            "data-count=\"waivers-expiring\">%zu</b></div>\n</div>\n",
            b->waivers_in_force, EXPIRING_DAYS, b->waivers_expiring);
    fputs("<p>", out);
    if (b->recorded && b->have_cmp) {
        fprintf(out, "Compared with run %lld (as at ", (long long)b->cmp.id);
        human_date(out, b->cmp.as_of);
        fputs("): ", out);
        plural(out, b->n_new, "new finding", "new findings");
        fputs(", ", out);
        plural(out, b->n_resolved, "resolved", "resolved");
        fputs(", ", out);
        plural(out, b->n_reopened, "reopened", "reopened");
        fputs(", ", out);
        plural(out, b->n_worsened, "more severe", "more severe");
        fputs(".", out);
    } else if (b->recorded) {
        fputs("This is the first recorded run: every finding is new.", out);
    } else {
        fputs("No recorded run to compare with: the findings come from a check run now.", out);
    }
    if (b->n_waived)
        fprintf(out,
                " %lld finding%s covered by a waiver in force %s listed apart and not "
                "counted.",
                b->n_waived, b->n_waived == 1 ? "" : "s", b->n_waived == 1 ? "is" : "are");
    size_t failed = 0;
    for (size_t i = 0; i < b->n_rules; i++)
        failed +=
            strcmp(b->rules[i].status, "ok") != 0 && strcmp(b->rules[i].status, "skipped") != 0;
    if (failed)
        fprintf(out,
                " <strong><span data-count=\"rules-failed\">%zu</span> rule%s failed</strong>: "
                "%s findings are missing from this report (see the appendix).",
                failed, failed == 1 ? "" : "s", failed == 1 ? "its" : "their");
    fputs("</p>\n<h3>What needs the board's attention</h3>\n<ul class=\"key\">\n", out);
    const asr_mapstate *ms = b->ms;
    for (size_t r = 0; r < ms->n_rows; r++)
        for (size_t l = 0; l < b->map->n_lines; l++) {
            const asr_cell *c = &ms->rows[r].cells[l];
            if (!c->required || c->n_active)
                continue;
            fputs("<li>", out);
            esc(out, ms->rows[r].area->title);
            fputs(": no active ", out);
            esc(out, b->map->lines[l].name);
            fputs(" assurance", out);
            if (c->sources) {
                fputs(" (", out);
                esc(out, c->sources);
                fputs(")", out);
            }
            if (c->date[0]) {
                fputs("; its last report (", out);
                esc(out, c->label ? c->label : "no rating");
                fputs(", ", out);
                human_date(out, c->date);
                fprintf(out, ") is %ld days old", c->age_days);
                if (c->is_stale)
                    fprintf(out, ", beyond the %ld-day limit", c->max_age_days);
            }
            fputs(".</li>\n", out);
        }
    for (size_t r = 0; r < ms->n_rows; r++)
        for (size_t l = 0; l < b->map->n_lines; l++) {
            const asr_cell *c = &ms->rows[r].cells[l];
            if (c->n_active == 0 || (c->state != ASR_CELL_WEAK && c->state != ASR_CELL_STALE))
                continue;
            fputs("<li>", out);
            esc(out, ms->rows[r].area->title);
            fputs(", ", out);
            esc(out, b->map->lines[l].name);
            fputs(c->state == ASR_CELL_WEAK ? ": the latest rating is " : ": the latest report (",
                  out);
            esc(out, c->label ? c->label : "no rating");
            fputs(c->state == ASR_CELL_WEAK ? " (" : ", ", out);
            human_date(out, c->date);
            if (c->state == ASR_CELL_STALE)
                fprintf(out, ") is %ld days old; the limit is %ld", c->age_days, c->max_age_days);
            else
                fputs(")", out);
            fputs(".</li>\n", out);
        }
    fprintf(out, "<li>%zu high-severity finding%s (listed under Findings).</li>\n</ul>\n",
            b->by_sev[0], b->by_sev[0] == 1 ? "" : "s");
    fputs("</section>\n", out);
}

static void findings_section(FILE *out, const board *b)
{
    fputs("<section id=\"findings\" class=\"major\">\n<h2>Findings</h2>\n", out);
    group_chart(out, b, 0);
    group_chart(out, b, 1);
    fprintf(out,
            "<h3>High-severity exceptions (<span data-count=\"high-listed\">%zu</span>)</h3>\n",
            b->by_sev[0]);
    if (!b->by_sev[0]) {
        fputs("<p>None.</p>\n", out);
    } else {
        fputs("<div class=\"scroll\"><table><thead><tr><th>Exception</th><th>Business group</th>"
              "<th>Owner</th><th>Due</th><th>On the list for</th></tr></thead><tbody>\n",
              out);
        for (size_t i = 0; i < b->n; i++) {
            const frow *f = &b->f[i];
            if (asr_severity_index(f->severity) != 0)
                continue;
            fputs("<tr><td>", out);
            esc(out, f->message);
            fputs("<div class=\"muted\">", out);
            esc(out, f->title ? f->title : f->rule);
            fputs(" &middot; ", out);
            esc(out, f->subject);
            fputs("</div></td><td>", out);
            esc(out, f->bg ? f->bg : "\u2013");
            fputs("</td><td>", out);
            esc(out, f->owner ? f->owner : "not named");
            fputs("</td><td>", out);
            if (f->due)
                human_date(out, f->due);
            else
                fputs("\u2013", out);
            fputs("</td><td>", out);
            if (f->age >= 0)
                plural(out, f->age, "day", "days");
            else
                fputs("new", out);
            fputs("</td></tr>\n", out);
        }
        fputs("</tbody></table></div>\n", out);
    }
    fputs("</section>\n", out);
}

static void line_chart(FILE *out, const board *b)
{
    size_t n = b->n_trend;
    long long max = 1;
    for (size_t i = 0; i < n; i++)
        if (b->trend[i].findings > max)
            max = b->trend[i].findings;
    const int w = 820, h = 240, l = 50, r = 20, top = 20, bottom = 50;
    fprintf(out,
            "<svg id=\"chart-trend\" role=\"img\" aria-labelledby=\"chart-trend-t\" "
            "viewBox=\"0 0 %d %d\" width=\"%d\"><title id=\"chart-trend-t\">Open findings in "
            "the last %zu runs</title>\n",
            w, h, w, n);
    fprintf(out,
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#1a1a1a\"/>"
            "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#1a1a1a\"/>\n",
            l, top, l, h - bottom, l, h - bottom, w - r, h - bottom);
    fprintf(out,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"13\">%lld</text>"
            "<text x=\"%d\" y=\"%d\" text-anchor=\"end\" font-size=\"13\">0</text>\n",
            l - 6, top + 5, max, l - 6, h - bottom);
    asr_buf pts = {0};
    for (size_t i = 0; i < n; i++) {
        long long x = n == 1 ? l + (w - l - r) / 2
                             : l + 20 + (long long)i * (w - l - r - 40) / (long long)(n - 1);
        long long y = h - bottom - b->trend[i].findings * (h - bottom - top) / max;
        asr_buf_addf(&pts, "%lld,%lld ", x, y);
        fprintf(
            out,
            "<circle cx=\"%lld\" cy=\"%lld\" r=\"5\" fill=\"#2b5797\"/>"
            "<text x=\"%lld\" y=\"%lld\" text-anchor=\"middle\" font-size=\"13\" "
            "font-weight=\"bold\">%lld</text>"
            "<text x=\"%lld\" y=\"%d\" text-anchor=\"middle\" font-size=\"12\">run %lld</text>\n",
            x, y, x, y - 9, b->trend[i].findings, x, h - bottom + 18, (long long)b->trend[i].id);
        fprintf(out, "<text x=\"%lld\" y=\"%d\" text-anchor=\"middle\" font-size=\"11\">", x,
                h - bottom + 34);
        esc(out, b->trend[i].as_of);
        fputs("</text>\n", out);
    }
    if (n > 1)
        fprintf(out,
                "<polyline points=\"%s\" fill=\"none\" stroke=\"#2b5797\" "
                "stroke-width=\"2.5\"/>\n",
                asr_buf_str(&pts));
    asr_buf_free(&pts);
    fputs("</svg>\n", out);
}

static void ageing_section(FILE *out, const board *b)
{
    fputs("<section id=\"ageing\" class=\"major\">\n<h2>Ageing</h2>\n", out);
    static const char *const bands[] = {"Under 30 days", "30 to 90 days", "91 to 180 days",
                                        "181 to 365 days", "Over a year"};
    long long age[5] = {0};
    for (size_t i = 0; i < b->n; i++) {
        long a = b->f[i].age < 0 ? 0 : b->f[i].age;
        age[a < 30 ? 0 : a <= 90 ? 1 : a <= 180 ? 2 : a <= 365 ? 3 : 4]++;
    }
    fputs("<h3>How long findings have been on the list</h3>\n<p>Counted from the first run "
          "that found them.</p>\n",
          out);
    bar_chart(out, "chart-age", "Findings by age", bands, age, 5);
    fputs("<h3>Overdue audit actions, by days overdue</h3>\n", out);
    if (!b->have_actions) {
        fputs("<p>The map declares no audit actions to count.</p>\n", out);
    } else {
        long long total = 0;
        for (int i = 0; i < 5; i++)
            total += b->overdue[i];
        fprintf(out,
                "<p><span data-count=\"overdue-actions\">%lld</span> of %lld open action%s "
                "%s past the date due now (the latest agreed date).</p>\n",
                total, b->open_actions, b->open_actions == 1 ? "" : "s", total == 1 ? "is" : "are");
        static const char *const late[] = {"1 to 30 days", "31 to 90 days", "91 to 180 days",
                                           "181 to 365 days", "Over a year"};
        bar_chart(out, "chart-overdue", "Overdue actions by days overdue", late, b->overdue, 5);
    }
    fputs("<h3>Open findings over the last runs</h3>\n", out);
    if (!b->recorded) {
        fputs("<p>No runs are recorded yet: the trend starts with the first 'assure run'.</p>\n",
              out);
    } else {
        if (b->n_trend == 1)
            fputs("<p>One run is recorded so far: the trend starts here.</p>\n", out);
        line_chart(out, b);
        fputs("<table><thead><tr><th>Run</th><th>As at</th><th>Open findings</th><th>High</th>"
              "</tr></thead><tbody>\n",
              out);
        for (size_t i = 0; i < b->n_trend; i++) {
            fprintf(out, "<tr><td>%lld</td><td>", (long long)b->trend[i].id);
            human_date(out, b->trend[i].as_of);
            fprintf(out, "</td><td>%lld</td><td>%lld</td></tr>\n", b->trend[i].findings,
                    b->trend[i].by_severity[0]);
        }
        fputs("</tbody></table>\n", out);
    }
    fputs("</section>\n", out);
}

static void appendix_section(FILE *out, const board *b)
{
    fputs("<section id=\"appendix\" class=\"major\">\n<h2>Appendix</h2>\n", out);
    fprintf(out, "<h3>Every finding (<span data-count=\"listed\">%zu</span>)</h3>\n", b->n);
    fputs("<div class=\"scroll\"><table class=\"all\"><thead><tr><th>Severity</th><th>Finding</th>"
          "<th>Business group</th><th>Area</th><th>Owner</th><th>Due</th><th>State</th>"
          "</tr></thead><tbody>\n",
          out);
    for (size_t i = 0; i < b->n; i++) {
        const frow *f = &b->f[i];
        fputs("<tr><td class=\"sev-", out);
        esc(out, f->severity);
        fputs("\">", out);
        esc(out, f->severity);
        fputs("</td><td>", out);
        esc(out, f->message);
        fputs("<div class=\"muted\">", out);
        esc(out, f->rule);
        fputs(" &middot; ", out);
        esc(out, f->subject);
        fputs("</div></td><td>", out);
        esc(out, f->bg);
        fputs("</td><td>", out);
        const asr_area *a = f->area ? asr_map_area(b->map, f->area) : NULL;
        esc(out, a && a->title ? a->title : f->area);
        if (f->line) {
            fputs(" / ", out);
            esc(out, f->line);
        }
        fputs("</td><td>", out);
        esc(out, f->owner);
        fputs("</td><td>", out);
        esc(out, f->due);
        fputs("</td><td>", out);
        esc(out, f->state ? f->state : "new");
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table></div>\n", out);
    fprintf(out, "<h3>Rules that ran (<span data-count=\"rules\">%zu</span>)</h3>\n", b->n_rules);
    fputs("<div class=\"scroll\"><table><thead><tr><th>Rule</th><th>What it looks for</th>"
          "<th>Outcome</th><th>Findings</th></tr></thead><tbody>\n",
          out);
    for (size_t i = 0; i < b->n_rules; i++) {
        const rrow *r = &b->rules[i];
        fputs("<tr><td>", out);
        esc(out, r->id);
        fputs("</td><td>", out);
        esc(out, r->title);
        fputs("</td><td>", out);
        esc(out, r->status);
        fprintf(out, "</td><td>%lld</td></tr>\n", r->findings);
    }
    fputs("</tbody></table></div>\n<h3>Method</h3>\n<ul>\n<li>Evaluated as at ", out);
    esc(out, b->as_of);
    fputs(".</li>\n", out);
    if (b->recorded) {
        fprintf(out, "<li>Run %lld, started ", (long long)b->run.id);
        esc(out, b->run.started_at);
        fputs(", finished ", out);
        esc(out, b->run.finished_at);
        fputs(".</li>\n", out);
    }
    fputs("<li>Map (SHA-256): <code>", out);
    esc(out, b->map->hash);
    fputs("</code></li>\n<li>Rules (SHA-256): <code>", out);
    esc(out, b->rules_hash);
    fprintf(out, "</code></li>\n<li>assure %s, %s, SQLite %s.</li>\n", ASSURE_VERSION, LUA_RELEASE,
            asr_store_sqlite_version());
    fputs("<li>The assurance map is computed from the map and the data held, not from the "
          "findings: a source's latest report on or before the as-of date, its rating on the "
          "provider's scale (the two lowest labels are weak), and the area's age limit for "
          "the line (or 730 days).</li>\n</ul>\n",
          out);
    if (b->n_datasets) {
        fputs("<div class=\"scroll\"><table><thead><tr><th>Data</th><th>File</th><th>Rows</th>"
              "<th>As at</th><th>SHA-256</th></tr></thead><tbody>\n",
              out);
        for (size_t i = 0; i < b->n_datasets; i++) {
            const asr_dataset_record *r = &b->datasets[i];
            fputs("<tr><td>", out);
            esc(out, r->id);
            fputs("</td><td>", out);
            esc(out, r->file);
            fprintf(out, "</td><td>%lld</td><td>", r->st.rows);
            esc(out, r->st.as_of);
            fputs("</td><td><code>", out);
            esc(out, r->st.sha256);
            fputs("</code></td></tr>\n", out);
        }
        fputs("</tbody></table></div>\n", out);
    }
    fputs("</section>\n", out);
}

static void write_html(FILE *out, const board *b, int map_only)
{
    const char *title = map_only ? "Assurance map" : "Assurance report";
    head(out, b, title);
    header_block(out, b, title);
    if (map_only) {
        map_section(out, b, "");
    } else {
        summary_section(out, b);
        map_section(out, b, "major");
        findings_section(out, b);
        ageing_section(out, b);
        appendix_section(out, b);
    }
    fputs("<footer><p class=\"muted\">Made by assure ", out);
    fputs(ASSURE_VERSION, out);
    fputs(" from the map and the data as at ", out);
    human_date(out, b->as_of);
    fputs(".</p></footer>\n</main>\n</body>\n</html>\n", out);
}

static void write_csv(FILE *out, const board *b)
{
    const asr_map *m = b->map;
    fputs("principle,principle_title,area,area_title,line,line_name,state,words,required,"
          "sources,latest,rating,rank,reference,age_days,max_age_days,stale,weak,findings,"
          "line_points,line_source,combined_score,combined_level,required_assurance,"
          "required_score,below_required\r\n",
          out);
    for (size_t r = 0; r < b->ms->n_rows; r++) {
        const asr_mapstate_row *row = &b->ms->rows[r];
        for (size_t l = 0; l < m->n_lines; l++) {
            const asr_cell *c = &row->cells[l];
            asr_csv_cell(out, row->principle ? row->principle->id : "");
            fputc(',', out);
            asr_csv_cell(out, row->principle ? row->principle->title : "");
            fputc(',', out);
            asr_csv_cell(out, row->area->id);
            fputc(',', out);
            asr_csv_cell(out, row->area->title);
            fputc(',', out);
            asr_csv_cell(out, m->lines[l].id);
            fputc(',', out);
            asr_csv_cell(out, m->lines[l].name);
            fprintf(out, ",%s,%s,%s,", asr_cell_state_name(c->state),
                    asr_cell_state_words(c->state), c->required ? "yes" : "no");
            asr_csv_cell(out, c->sources ? c->sources : "");
            fputc(',', out);
            asr_csv_cell(out, c->date);
            fputc(',', out);
            asr_csv_cell(out, c->label ? c->label : "");
            fputc(',', out);
            if (c->label && c->rank)
                fprintf(out, "%ld", c->rank);
            fputc(',', out);
            asr_csv_cell(out, c->ref ? c->ref : "");
            fputc(',', out);
            if (c->date[0])
                fprintf(out, "%ld", c->age_days);
            fprintf(out, ",%ld,%s,%s,", c->max_age_days, c->is_stale ? "yes" : "no",
                    c->is_weak ? "yes" : "no");
            if (b->have_findings)
                fprintf(out, "%zu", c->findings);
            long k = row->best[l];
            fprintf(out, ",%g,", k >= 0 ? row->held[k].points : 0.0);
            asr_csv_cell(out, k >= 0 ? row->held[k].source->id : "");
            fprintf(out, ",%.1f,", row->score);
            asr_csv_cell(out, row->held_level ? row->held_level->id : "");
            fputc(',', out);
            asr_csv_cell(out, row->required ? row->required->id : "");
            fputc(',', out);
            if (row->required)
                fprintf(out, "%g", row->required->score);
            fprintf(out, ",%s\r\n", row->required ? (row->below ? "yes" : "no") : "");
        }
    }
}

static void json_str(FILE *out, const char *s)
{
    if (s)
        asr_json_string(out, s);
    else
        fputs("null", out);
}

static void write_json(FILE *out, const board *b)
{
    const asr_map *m = b->map;
    fputs("{\n  \"organisation\": ", out);
    json_str(out, m->org_name);
    fputs(",\n  \"as_of\": ", out);
    json_str(out, b->as_of);
    if (b->recorded)
        fprintf(out, ",\n  \"run\": %lld", (long long)b->run.id);
    fputs(",\n  \"map_hash\": ", out);
    json_str(out, m->hash);
    fputs(",\n  \"counts\": {", out);
    for (int s = 0; s < ASR_N_CELL_STATES; s++)
        fprintf(out, "%s\"%s\": %zu", s ? ", " : "", asr_cell_state_name((asr_cell_state)s),
                b->ms->by_state[s]);
    fputs("},\n  \"lines\": [", out);
    for (size_t l = 0; l < m->n_lines; l++) {
        fputs(l ? ", {\"id\": " : "{\"id\": ", out);
        json_str(out, m->lines[l].id);
        fputs(", \"name\": ", out);
        json_str(out, m->lines[l].name);
        fputs("}", out);
    }
    fputs("],\n  \"cells\": [", out);
    int first = 1;
    for (size_t r = 0; r < b->ms->n_rows; r++) {
        const asr_mapstate_row *row = &b->ms->rows[r];
        for (size_t l = 0; l < m->n_lines; l++) {
            const asr_cell *c = &row->cells[l];
            fputs(first ? "\n    {\"principle\": " : ",\n    {\"principle\": ", out);
            first = 0;
            json_str(out, row->principle ? row->principle->id : NULL);
            fputs(", \"area\": ", out);
            json_str(out, row->area->id);
            fputs(", \"area_title\": ", out);
            json_str(out, row->area->title);
            fputs(", \"line\": ", out);
            json_str(out, m->lines[l].id);
            fprintf(out, ", \"state\": \"%s\", \"words\": \"%s\", \"required\": %s, \"sources\": ",
                    asr_cell_state_name(c->state), asr_cell_state_words(c->state),
                    c->required ? "true" : "false");
            json_str(out, c->sources);
            fputs(", \"latest\": ", out);
            json_str(out, c->date[0] ? c->date : NULL);
            fputs(", \"rating\": ", out);
            json_str(out, c->label);
            if (c->label && c->rank)
                fprintf(out, ", \"rank\": %ld", c->rank);
            else
                fputs(", \"rank\": null", out);
            fputs(", \"reference\": ", out);
            json_str(out, c->ref);
            if (c->date[0])
                fprintf(out, ", \"age_days\": %ld", c->age_days);
            else
                fputs(", \"age_days\": null", out);
            fprintf(out, ", \"max_age_days\": %ld, \"stale\": %s, \"weak\": %s", c->max_age_days,
                    c->is_stale ? "true" : "false", c->is_weak ? "true" : "false");
            long k = row->best[l];
            fprintf(out,
                    ", \"line_points\": %g, \"line_source\": ", k >= 0 ? row->held[k].points : 0.0);
            json_str(out, k >= 0 ? row->held[k].source->id : NULL);
            if (b->have_findings)
                fprintf(out, ", \"findings\": %zu}", c->findings);
            else
                fputs(", \"findings\": null}", out);
        }
    }
    fputs("\n  ],\n  \"areas\": [", out);
    for (size_t r = 0; r < b->ms->n_rows; r++) {
        const asr_mapstate_row *row = &b->ms->rows[r];
        fputs(r ? ",\n    {\"area\": " : "\n    {\"area\": ", out);
        json_str(out, row->area->id);
        fprintf(out, ", \"combined_score\": %.1f, \"combined_level\": ", row->score);
        json_str(out, row->held_level ? row->held_level->id : NULL);
        fputs(", \"required_assurance\": ", out);
        json_str(out, row->required ? row->required->id : NULL);
        if (row->required)
            fprintf(out, ", \"required_score\": %g, \"below_required\": %s", row->required->score,
                    row->below ? "true" : "false");
        else
            fputs(", \"required_score\": null, \"below_required\": null", out);
        fputs(", \"sources\": [", out);
        for (size_t i = 0; i < row->n_held; i++) {
            const asr_held *h = &row->held[i];
            fputs(i ? ", {\"source\": " : "{\"source\": ", out);
            json_str(out, h->source->id);
            fputs(", \"line\": ", out);
            json_str(out, m->lines[h->line].id);
            fputs(", \"basis\": ", out);
            json_str(out, h->basis);
            fprintf(out, ", \"factor\": %g, \"points\": %g, \"duplicate\": %d}", h->factor,
                    h->points, h->duplicate);
        }
        fputs("]}", out);
    }
    fputs("\n  ]\n}\n", out);
}

static void board_free(board *b)
{
    asr_mapstate_free(b->ms);
    free(b->f);
    free(b->whole);
    free(b->whole_bg);
    free(b->waived);
    free(b->waived_bg);
    free(b->xrules);
    asr_strmap_free(&b->xrule_index);
    free(b->rules);
    free(b->trend);
    asr_dataset_records_free(b->datasets, b->n_datasets);
    asr_arena_free(&b->arena);
}

static asr_status check_map_hash(const asr_board_opts *o, asr_store *s, const asr_map *m,
                                 asr_diag *d)
{
    char stored[65];
    asr_store_map_hash(s, stored);
    if (strcmp(stored, m->hash) == 0)
        return ASR_OK;
    asr_loc l = {o->db_path, 0, 0};
    asr_error(d, &l, NULL,
              stored[0] ? "the database holds a different version of the map; reload it with "
                          "'assure import --map %s --db %s'"
                        : "nothing has been imported yet; run 'assure import --map %s --db %s' "
                          "first",
              o->map_path, o->db_path);
    return ASR_E_DATA;
}

/* ---- the appendix as a workbook ---- */

static const board *sort_board; /* qsort has no context argument */

static int reading_cmp(const void *pa, const void *pb)
{
    const board *b = sort_board;
    size_t i = *(const size_t *)pa, j = *(const size_t *)pb;
    const frow *x = &b->f[i], *y = &b->f[j];
    int sx = asr_severity_index(x->severity), sy = asr_severity_index(y->severity);
    if (sx != sy)
        return sx < sy ? -1 : 1;
    if (!x->bg != !y->bg)
        return x->bg ? -1 : 1; /* no business group last */
    int c = x->bg ? strcmp(x->bg, y->bg) : 0;
    if (!c)
        c = strcmp(x->rule, y->rule);
    if (!c)
        c = strcmp(x->subject ? x->subject : "", y->subject ? y->subject : "");
    return c ? c : (i < j ? -1 : i > j);
}

/* Evidence names in the order they first appear, at most 100 columns. */
static size_t xlsx_evidence_names(const asr_finding *const *f, size_t n, const char **names)
{
    asr_strset seen = {0};
    size_t k = 0;
    for (size_t i = 0; i < n && k < 100; i++)
        for (size_t e = 0; e < f[i]->n_evidence && k < 100; e++) {
            const char *name = f[i]->evidence[e].k;
            if (asr_strset_add(&seen, name, strlen(name)))
                names[k++] = name;
        }
    asr_strset_free(&seen);
    return k;
}

/* The workbook goes to a temporary file (the library writes only to a named
 * file), then its bytes to out. 0, or -1 with the problem in d. */
static int write_xlsx(FILE *out, board *b, asr_diag *d)
{
    size_t *order = asr_xcalloc(b->n + 1, sizeof *order);
    for (size_t i = 0; i < b->n; i++)
        order[i] = i;
    sort_board = b;
    qsort(order, b->n, sizeof *order, reading_cmp);
    asr_xlsx_row *rows = asr_xcalloc(b->n + 1, sizeof *rows);
    asr_xlsx_row *waived = asr_xcalloc(b->n_waived_whole + 1, sizeof *waived);
    const asr_finding **all = asr_xcalloc(b->n + b->n_waived_whole + 1, sizeof *all);
    for (size_t i = 0; i < b->n; i++) {
        const asr_finding *f = &b->whole[order[i]];
        rows[i] = (asr_xlsx_row){f, b->xrules[f->rule], b->whole_bg[order[i]]};
        all[i] = f;
    }
    for (size_t i = 0; i < b->n_waived_whole; i++) {
        const asr_finding *f = &b->waived[i];
        waived[i] = (asr_xlsx_row){f, b->xrules[f->rule], b->waived_bg[i]};
        all[b->n + i] = f;
    }
    const char *names[100];
    size_t n_names = xlsx_evidence_names(all, b->n + b->n_waived_whole, names);
    long long failed = 0, run_rules = 0;
    for (size_t i = 0; i < b->n_rules; i++) {
        run_rules += strcmp(b->rules[i].status, "skipped") != 0;
        failed +=
            strcmp(b->rules[i].status, "ok") != 0 && strcmp(b->rules[i].status, "skipped") != 0;
    }
    char run[32] = "", compared[64] = "";
    asr_xlsx_fact facts[24];
    size_t nf = 0;
#define FACT(label, kind, text, num) facts[nf++] = (asr_xlsx_fact){label, kind, text, num}
    FACT("Board pack appendix: every finding", ASR_XFACT_HEADING, NULL, 0);
    FACT("Organisation", ASR_XFACT_TEXT, b->map->org_name, 0);
    FACT("As of", ASR_XFACT_DATE, b->as_of, 0);
    FACT("Findings", ASR_XFACT_NUMBER, NULL, (double)b->n);
    FACT("High", ASR_XFACT_NUMBER, NULL, (double)b->by_sev[0]);
    FACT("Medium", ASR_XFACT_NUMBER, NULL, (double)b->by_sev[1]);
    FACT("Low", ASR_XFACT_NUMBER, NULL, (double)b->by_sev[2]);
    FACT("Waived (not counted)", ASR_XFACT_NUMBER, NULL, (double)b->n_waived);
    FACT("Rules run", ASR_XFACT_NUMBER, NULL, (double)run_rules);
    FACT("Rules failed", ASR_XFACT_NUMBER, NULL, (double)failed);
    FACT("Identity", ASR_XFACT_HEADING, NULL, 0);
    if (b->recorded) {
        snprintf(run, sizeof run, "%lld", (long long)b->run.id);
        FACT("Run", ASR_XFACT_TEXT, run, 0);
        FACT("New", ASR_XFACT_NUMBER, NULL, (double)b->n_new);
        FACT("Reopened", ASR_XFACT_NUMBER, NULL, (double)b->n_reopened);
        FACT("Resolved", ASR_XFACT_NUMBER, NULL, (double)b->n_resolved);
    }
    if (b->have_cmp) {
        snprintf(compared, sizeof compared, "run %lld, as of %s", (long long)b->cmp.id,
                 b->cmp.as_of);
        FACT("Compared with", ASR_XFACT_TEXT, compared, 0);
    }
    FACT("Map hash", ASR_XFACT_TEXT, b->map->hash, 0);
    FACT("Rules hash", ASR_XFACT_TEXT, b->rules_hash, 0);
    FACT("assure", ASR_XFACT_TEXT, ASSURE_VERSION, 0);
#undef FACT
    asr_xlsx_list x = {.facts = facts,
                       .n_facts = nf,
                       .rows = rows,
                       .n_rows = b->n,
                       .waived = waived,
                       .n_waived = b->n_waived_whole,
                       .evidence = names,
                       .n_evidence = n_names};
    char err[256];
    int rc = asr_xlsx_write_stream(&x, out, err, sizeof err);
    if (rc)
        asr_error(d, NULL, NULL, "%s", err);
    free(all);
    free(rows);
    free(waived);
    free(order);
    return rc;
}

asr_status asr_board_report(const asr_board_opts *o, FILE *stream, asr_diag *d)
{
    board b = {0};
    b.keep_whole = o->format == ASR_BOARD_XLSX;
    asr_map *map = NULL;
    asr_store *s = NULL;
    asr_rule_result *titles = NULL;
    size_t n_titles = 0;
    asr_inputs inputs = {0};
    asr_status st = asr_map_load(o->map_path, d, &map);
    if (st == ASR_OK)
        st = asr_store_open(o->db_path, ASR_STORE_READONLY, o->busy_ms, d, &s);
    if (st == ASR_OK)
        st = check_map_hash(o, s, map, d);
    if (st == ASR_OK) {
        b.map = map;
        for (size_t i = 0; i < map->n_files; i++)
            asr_inputs_add(&inputs, map->files[i], "the map");
        asr_inputs_add_db(&inputs, o->db_path);
        st = o->output ? asr_outfile_check(o->output, "--output", &inputs, d) : ASR_OK;
    }
    asr_run_info latest = {0};
    int has_runs = 0;
    if (st == ASR_OK && asr_history_present(s)) {
        st = asr_history_latest(s, &latest, d);
        has_runs = latest.id != 0;
    }
    if (st == ASR_OK && !has_runs) {
        if (o->run || o->since) {
            asr_error(d, NULL, NULL,
                      "the database holds no recorded run ('assure run' records "
                      "them), so --%s has nothing to name",
                      o->run ? "run" : "since");
            st = ASR_E_USAGE;
        } else if (!o->rules_dir && !o->map_only &&
                   (o->format == ASR_BOARD_HTML || o->format == ASR_BOARD_XLSX)) {
            asr_error(d, NULL, NULL,
                      "the database holds no recorded run; give --rules DIR to "
                      "run the check now");
            st = ASR_E_USAGE;
        }
    }
    if (st == ASR_OK && has_runs && o->rules_dir) {
        /* Only the rules' titles: a failure to load them is no reason to stop. */
        asr_diag quiet;
        asr_diag_init(&quiet, ASR_DIAG_LIMIT);
        asr_runner_load_dir(o->rules_dir, map, &o->runner, &quiet, &titles, &n_titles);
        asr_diag_free(&quiet);
    }
    if (st == ASR_OK && has_runs) {
        st = from_history(&b, s, o, titles, n_titles, d);
    } else if (st == ASR_OK) {
        snprintf(b.as_of, sizeof b.as_of, "%s", o->as_of ? o->as_of : "");
        st = asr_mapstate_compute(map, s, b.as_of, d, &b.ms);
        if (st == ASR_OK && o->rules_dir)
            st = from_check(&b, o, d);
    }
    if (st == ASR_OK)
        st = gather_data(&b, s, d);
    if (st == ASR_OK) {
        asr_outfile of = {0};
        FILE *out = stream;
        if (o->output) {
            st = asr_outfile_open(&of, o->output, "--output", &inputs, d);
            out = of.f;
        }
        if (st == ASR_OK) {
            if (o->format == ASR_BOARD_XLSX) {
                if (write_xlsx(out, &b, d) != 0) {
                    st = ASR_E_IO;
                    if (o->output)
                        asr_outfile_abort(&of);
                }
            } else if (o->format == ASR_BOARD_CSV)
                write_csv(out, &b);
            else if (o->format == ASR_BOARD_JSON)
                write_json(out, &b);
            else
                write_html(out, &b, o->map_only);
            if (st != ASR_OK) {
                /* the workbook failed: the problem is in d, no file left */
            } else if (o->output)
                st = ferror(out) ? asr_outfile_fail(&of, d)
                                 : asr_outfile_commit(&of, "--output", &inputs, d);
            else if (fflush(out) != 0 || ferror(out)) {
                asr_error(d, NULL, NULL, "cannot write the report to standard output");
                st = ASR_E_IO;
            }
        }
    }
    asr_rule_results_free(titles, n_titles);
    board_free(&b);
    asr_inputs_free(&inputs);
    asr_store_close(s);
    asr_map_free(map);
    return st;
}
