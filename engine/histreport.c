#include "histreport.h"

#include <stdlib.h>
#include <string.h>

#include "outfile.h"
#include "util.h"

/* ---- what changed ---- */

typedef struct {
    asr_diff_row r;
    char *block; /* the row's strings */
} held_row;

typedef struct {
    held_row *rows;
    size_t n, cap;
    size_t counts[4];
} diff_rows;

/* Keeps a copy of the row: the statement's strings do not outlive it. */
static void keep_row(void *ud, const asr_diff_row *row)
{
    diff_rows *x = ud;
    if (x->n == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 32;
        x->rows = asr_xrealloc(x->rows, x->cap * sizeof *x->rows);
    }
    held_row *h = &x->rows[x->n++];
    h->r = *row;
    const char **f[11] = {&h->r.rule,         &h->r.subject,        &h->r.message,   &h->r.severity,
                          &h->r.was_severity, &h->r.business_group, &h->r.area,      &h->r.owner,
                          &h->r.due,          &h->r.fingerprint,    &h->r.first_seen};
    size_t size = 0;
    for (int k = 0; k < 11; k++)
        size += *f[k] ? strlen(*f[k]) + 1 : 0;
    h->block = asr_xmalloc(size ? size : 1);
    char *p = h->block;
    for (int k = 0; k < 11; k++) {
        if (!*f[k])
            continue;
        size_t n = strlen(*f[k]) + 1;
        memcpy(p, *f[k], n);
        *f[k] = p;
        p += n;
    }
    x->counts[row->change]++;
}

static void org_name(asr_store *s, char *out, size_t size, asr_diag *d)
{
    snprintf(out, size, "%s", "?");
    asr_stmt *st = asr_stmt_new(s, "SELECT name FROM map_organisation LIMIT 1", d);
    if (st && asr_stmt_step(st, d, "reading the map") == 1)
        snprintf(out, size, "%s", asr_stmt_text(st, 0));
    asr_stmt_free(st);
}

static void upper(const char *s, char *out, size_t size)
{
    size_t i = 0;
    for (; s[i] && i + 1 < size; i++)
        out[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
    out[i] = '\0';
}

static void diff_text(const diff_rows *x, const char *org, const asr_run_info *a,
                      const asr_run_info *b, FILE *out)
{
    fputs("What changed for ", out);
    asr_fputs_term(org, out);
    fprintf(out, ": run %lld (as of %s) to run %lld (as of %s)\n", (long long)a->id, a->as_of,
            (long long)b->id, b->as_of);
    fprintf(out, "%zu new, %zu reopened, %zu worsened, %zu resolved\n", x->counts[0], x->counts[1],
            x->counts[2], x->counts[3]);
    int change = -1;
    const char *bg = NULL;
    int first_bg = 1;
    for (size_t i = 0; i < x->n; i++) {
        const asr_diff_row *r = &x->rows[i].r;
        if ((int)r->change != change) {
            change = (int)r->change;
            char name[16];
            upper(asr_change_names[change], name, sizeof name);
            fprintf(out, "\n%s (%zu)\n", name, x->counts[change]);
            first_bg = 1;
        }
        if (first_bg || (bg == NULL) != (r->business_group == NULL) ||
            (bg && strcmp(bg, r->business_group) != 0)) {
            bg = r->business_group;
            first_bg = 0;
            fputs("  ", out);
            asr_fputs_term(bg ? bg : "(no business group)", out);
            fputs("\n", out);
        }
        /* values from the data and the rules: escaped for the terminal */
        char *v[5] = {asr_term_dup(r->rule), asr_term_dup(r->subject),
                      asr_term_dup(r->was_severity ? r->was_severity : ""),
                      asr_term_dup(r->severity), asr_term_dup(r->message)};
        fprintf(out, "    %-28s %-24s [%s%s%s] %s\n", v[0], v[1], v[2],
                r->was_severity ? " -> " : "", v[3], v[4]);
        for (int k = 0; k < 5; k++)
            free(v[k]);
    }
    if (x->n == 0)
        fputs("\nNothing changed.\n", out);
}

static void diff_csv(const diff_rows *x, FILE *out)
{
    asr_buf b = {0};
    asr_buf_adds(&b, "change,rule,severity,was_severity,subject,message,business_group,area,"
                     "owner,due,fingerprint,first_seen\r\n");
    for (size_t i = 0; i < x->n; i++) {
        const asr_diff_row *r = &x->rows[i].r;
        const char *cells[12] = {asr_change_names[r->change],
                                 r->rule,
                                 r->severity,
                                 r->was_severity,
                                 r->subject,
                                 r->message,
                                 r->business_group,
                                 r->area,
                                 r->owner,
                                 r->due,
                                 r->fingerprint,
                                 r->first_seen};
        for (int k = 0; k < 12; k++) {
            if (k)
                asr_buf_addc(&b, ',');
            asr_csv_cell_buf(&b, cells[k]);
        }
        asr_buf_add(&b, "\r\n", 2);
    }
    fwrite(b.data, 1, b.len, out);
    asr_buf_free(&b);
}

static void json_kv(asr_buf *b, const char *k, const char *v, int *first)
{
    if (!v)
        return;
    asr_buf_adds(b, *first ? "" : ", ");
    *first = 0;
    asr_json_string_buf(b, k);
    asr_buf_adds(b, ": ");
    asr_json_string_buf(b, v);
}

static void diff_json(const diff_rows *x, const char *org, const asr_run_info *a,
                      const asr_run_info *b, FILE *out)
{
    asr_buf j = {0};
    asr_buf_adds(&j, "{\n  \"organisation\": ");
    asr_json_string_buf(&j, org);
    asr_buf_addf(&j,
                 ",\n  \"from\": {\"run\": %lld, \"as_of\": \"%s\"},\n  \"to\": {\"run\": %lld, "
                 "\"as_of\": \"%s\"},\n  \"counts\": {\"new\": %zu, \"reopened\": %zu, "
                 "\"worsened\": %zu, \"resolved\": %zu},\n  \"changes\": [",
                 (long long)a->id, a->as_of, (long long)b->id, b->as_of, x->counts[0], x->counts[1],
                 x->counts[2], x->counts[3]);
    for (size_t i = 0; i < x->n; i++) {
        const asr_diff_row *r = &x->rows[i].r;
        int first = 1;
        asr_buf_adds(&j, i ? ",\n    {" : "\n    {");
        json_kv(&j, "change", asr_change_names[r->change], &first);
        json_kv(&j, "rule", r->rule, &first);
        json_kv(&j, "severity", r->severity, &first);
        json_kv(&j, "was_severity", r->was_severity, &first);
        json_kv(&j, "subject", r->subject, &first);
        json_kv(&j, "message", r->message, &first);
        json_kv(&j, "business_group", r->business_group, &first);
        json_kv(&j, "area", r->area, &first);
        json_kv(&j, "owner", r->owner, &first);
        json_kv(&j, "due", r->due, &first);
        json_kv(&j, "fingerprint", r->fingerprint, &first);
        json_kv(&j, "first_seen", r->first_seen, &first);
        asr_buf_addc(&j, '}');
    }
    asr_buf_adds(&j, x->n ? "\n  ]\n}\n" : "]\n}\n");
    fwrite(j.data, 1, j.len, out);
    asr_buf_free(&j);
}

asr_status asr_diff_write(asr_store *s, const asr_run_info *a, const asr_run_info *b,
                          asr_format fmt, FILE *out, asr_diag *d)
{
    diff_rows x = {0};
    asr_status st = asr_history_diff(s, a->id, b->id, keep_row, &x, d);
    char org[256];
    org_name(s, org, sizeof org, d);
    if (st == ASR_OK) {
        if (fmt == ASR_FMT_CSV)
            diff_csv(&x, out);
        else if (fmt == ASR_FMT_JSON || fmt == ASR_FMT_JSONL)
            diff_json(&x, org, a, b, out);
        else
            diff_text(&x, org, a, b, out);
    }
    for (size_t i = 0; i < x.n; i++)
        free(x.rows[i].block);
    free(x.rows);
    return st;
}

/* ---- the runs ---- */

static const char *outcome_word(int outcome)
{
    switch (outcome) {
    case 0:
        return "no exceptions";
    case 1:
        return "exceptions";
    case 2:
        return "rules failed";
    default:
        return "?";
    }
}

asr_status asr_runs_write(asr_store *s, size_t limit, asr_format fmt, FILE *out, asr_diag *d)
{
    asr_run_info *runs = NULL;
    size_t n = 0;
    asr_status st = asr_history_list(s, &runs, &n, d);
    if (st != ASR_OK)
        return st;
    size_t from = limit && n > limit ? n - limit : 0;
    asr_buf b = {0};
    if (fmt == ASR_FMT_CSV) {
        asr_buf_adds(&b, "run,recorded,as_of,findings,high,medium,low,new,recurring,reopened,"
                         "resolved,waived,rules_run,rules_failed,outcome\r\n");
    } else if (fmt == ASR_FMT_JSON || fmt == ASR_FMT_JSONL) {
        asr_buf_adds(&b, "{\n  \"runs\": [");
    } else if (n == 0) {
        asr_buf_adds(&b, "No runs recorded yet: 'assure run' records one.\n");
    } else {
        asr_buf_addf(&b, "%5s  %-20s  %-10s  %8s  %4s %6s %4s  %4s %9s %8s %8s  %s\n", "run",
                     "recorded", "as of", "findings", "high", "medium", "low", "new", "recurring",
                     "reopened", "resolved", "outcome");
    }
    for (size_t i = from; i < n; i++) {
        const asr_run_info *r = &runs[i];
        if (fmt == ASR_FMT_CSV)
            asr_buf_addf(&b,
                         "%lld,%s,%s,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%d\r\n",
                         (long long)r->id, r->finished_at, r->as_of, r->findings, r->by_severity[0],
                         r->by_severity[1], r->by_severity[2], r->new_, r->recurring, r->reopened,
                         r->resolved, r->waived, r->rules_run, r->rules_failed, r->outcome);
        else if (fmt == ASR_FMT_JSON || fmt == ASR_FMT_JSONL)
            asr_buf_addf(&b,
                         "%s\n    {\"run\": %lld, \"recorded\": \"%s\", \"as_of\": \"%s\", "
                         "\"findings\": %lld, \"by_severity\": {\"high\": %lld, \"medium\": "
                         "%lld, \"low\": %lld}, \"new\": %lld, \"recurring\": %lld, "
                         "\"reopened\": %lld, \"resolved\": %lld, \"waived\": %lld, "
                         "\"rules_run\": %lld, \"rules_failed\": %lld, \"outcome\": %d}",
                         i > from ? "," : "", (long long)r->id, r->finished_at, r->as_of,
                         r->findings, r->by_severity[0], r->by_severity[1], r->by_severity[2],
                         r->new_, r->recurring, r->reopened, r->resolved, r->waived, r->rules_run,
                         r->rules_failed, r->outcome);
        else
            asr_buf_addf(&b,
                         "%5lld  %-20s  %-10s  %8lld  %4lld %6lld %4lld  %4lld %9lld %8lld "
                         "%8lld  %s\n",
                         (long long)r->id, r->finished_at, r->as_of, r->findings, r->by_severity[0],
                         r->by_severity[1], r->by_severity[2], r->new_, r->recurring, r->reopened,
                         r->resolved, outcome_word(r->outcome));
    }
    if (fmt == ASR_FMT_JSON || fmt == ASR_FMT_JSONL)
        asr_buf_adds(&b, n > from ? "\n  ]\n}\n" : "]\n}\n");
    fwrite(b.data, 1, b.len, out);
    asr_buf_free(&b);
    free(runs);
    return ASR_OK;
}

/* ---- the verbs ---- */

/* Writes with fn to output (atomically; never over the database) or to
 * stream. */
static asr_status write_to(const char *output, const char *db_path, FILE *stream, asr_diag *d,
                           asr_status (*fn)(void *ud, FILE *out, asr_diag *d), void *ud)
{
    if (!output) {
        asr_status st = fn(ud, stream, d);
        return st == ASR_OK && fflush(stream) != 0 ? ASR_E_IO : st;
    }
    asr_inputs in = {0};
    asr_inputs_add_db(&in, db_path);
    asr_outfile of;
    asr_status st = asr_outfile_open(&of, output, "--output", &in, d);
    if (st == ASR_OK && (st = fn(ud, of.f, d)) != ASR_OK)
        asr_outfile_abort(&of);
    else if (st == ASR_OK)
        st = ferror(of.f) ? asr_outfile_fail(&of, d) : asr_outfile_commit(&of, "--output", &in, d);
    asr_inputs_free(&in);
    return st;
}

typedef struct {
    asr_store *s;
    asr_run_info a, b;
    asr_format fmt;
    size_t limit;
} verb_ctx;

static asr_status diff_fn(void *ud, FILE *out, asr_diag *d)
{
    verb_ctx *x = ud;
    return asr_diff_write(x->s, &x->a, &x->b, x->fmt, out, d);
}

static asr_status runs_fn(void *ud, FILE *out, asr_diag *d)
{
    verb_ctx *x = ud;
    return asr_runs_write(x->s, x->limit, x->fmt, out, d);
}

static int run_id(const char *s, int64_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v <= 0)
        return -1;
    *out = v;
    return 0;
}

static asr_status pick(asr_store *s, const char *given, const char *which, asr_run_info *out,
                       asr_diag *d)
{
    int64_t id;
    if (run_id(given, &id)) {
        asr_error(d, NULL, NULL, "%s: '%s' is not a run number (see 'assure history')", which,
                  given);
        return ASR_E_USAGE;
    }
    asr_status st = asr_history_get(s, id, out, d);
    if (st == ASR_OK && !out->id) {
        asr_error(d, NULL, NULL, "%s: no run %lld is recorded (see 'assure history')", which,
                  (long long)id);
        return ASR_E_USAGE;
    }
    return st;
}

asr_status asr_diff(const asr_diff_opts *o, FILE *stream, asr_diag *d)
{
    verb_ctx x = {0};
    x.fmt = o->format;
    asr_status st = asr_store_open(o->db_path, ASR_STORE_READONLY, 5000, d, &x.s);
    if (st == ASR_OK && o->a)
        st = pick(x.s, o->a, "from", &x.a, d);
    if (st == ASR_OK && o->b)
        st = pick(x.s, o->b, "to", &x.b, d);
    if (st == ASR_OK && !o->b)
        st = asr_history_latest(x.s, &x.b, d);
    if (st == ASR_OK && !o->a && o->since) {
        st = asr_history_on_or_before(x.s, o->since, &x.a, d);
        if (st == ASR_OK && !x.a.id) {
            asr_error(d, NULL, NULL, "--since %s: no run is as of that date or earlier", o->since);
            st = ASR_E_USAGE;
        }
    } else if (st == ASR_OK && !o->a && x.b.id) {
        st = asr_history_before(x.s, x.b.id, &x.a, d);
    }
    if (st == ASR_OK && (!x.a.id || !x.b.id)) {
        asr_loc l = {o->db_path, 0, 0};
        asr_error(d, &l, NULL, "fewer than two runs are recorded; 'assure run' records one");
        st = ASR_E_USAGE;
    }
    if (st == ASR_OK)
        st = write_to(o->output, o->db_path, stream, d, diff_fn, &x);
    asr_store_close(x.s);
    return st;
}

asr_status asr_history_show(const char *db_path, size_t limit, asr_format fmt, const char *output,
                            FILE *stream, asr_diag *d)
{
    verb_ctx x = {0};
    x.fmt = fmt;
    x.limit = limit;
    asr_status st = asr_store_open(db_path, ASR_STORE_READONLY, 5000, d, &x.s);
    if (st == ASR_OK)
        st = write_to(output, db_path, stream, d, runs_fn, &x);
    asr_store_close(x.s);
    return st;
}
