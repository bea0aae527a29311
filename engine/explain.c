#include "explain.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "history.h"
#include "outfile.h"

/* ---- the rows' values ---- */

typedef enum { ROW_MISSING, ROW_CURRENT, ROW_SNAPSHOT, ROW_NOW } row_source;

/* One row's values: name/value pairs (value NULL: empty) and where they
 * came from. */
typedef struct {
    row_source from;
    char data_as_of[11]; /* ROW_NOW: the as-of date of the data now held */
    char **names, **values;
    char *number; /* per value: 1 when stored as a number (JSON writes it bare) */
    size_t n;
} row_values;

static void row_values_free(row_values *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->names[i]);
        free(r->values[i]);
    }
    free(r->names);
    free(r->values);
    free(r->number);
    memset(r, 0, sizeof *r);
}

static void quote_ident(asr_buf *b, const char *s)
{
    asr_buf_addc(b, '"');
    for (; *s; s++) {
        if (*s == '"')
            asr_buf_addc(b, '"');
        asr_buf_addc(b, *s);
    }
    asr_buf_addc(b, '"');
}

/* The map's own tables a row may name (map.areas ...) and their columns. */
static const char *map_columns(const char *ds)
{
    static const char *const t[][2] = {
        {"map.areas", "id,title,principle,unit,owner,inherent,residual,target"},
        {"map.sources", "id,title,line,provider,kind,owner,frequency,status"},
        {"map.units", "id,name,kind,parent"},
        {"map.principles", "id,title"},
        {"map.lines", "id,name,independence"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcmp(t[i][0], ds) == 0)
            return t[i][1];
    return NULL;
}

/* Appends the comma-separated names in list as quoted columns. */
static void add_columns(asr_buf *q, const char *list, char ***names, size_t *n)
{
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ",");
        char *name = asr_xmalloc(len + 1);
        memcpy(name, p, len);
        name[len] = '\0';
        if (*n)
            asr_buf_add(q, ", ", 2);
        quote_ident(q, name);
        *names = asr_xrealloc(*names, (*n + 1) * sizeof **names);
        (*names)[(*n)++] = name;
        p += len;
        if (*p == ',')
            p++;
    }
}

static int one_text(asr_store *s, const char *sql, const char *a, char *out, size_t size)
{
    asr_diag quiet;
    asr_diag_init(&quiet, 1);
    asr_stmt *st = asr_stmt_new(s, sql, &quiet);
    int found = 0;
    if (st) {
        asr_stmt_bind_text(st, 1, a);
        if (asr_stmt_step(st, &quiet, "explain") == 1 && !asr_stmt_is_null(st, 0)) {
            snprintf(out, size, "%s", asr_stmt_text(st, 0));
            found = 1;
        }
    }
    asr_stmt_free(st);
    asr_diag_free(&quiet);
    return found;
}

/* Looks the row up: the dataset's key (its fields joined by ", "; the
 * export line for a dataset without a key), in the data of as_of when the
 * database still holds it. */
/* Whether dataset ds now holds the data recorded run `run` read (the
 * same SHA-256 as the run's inputs list). */
static int same_data(asr_store *s, int64_t run, const char *ds)
{
    asr_diag quiet;
    asr_diag_init(&quiet, 1);
    asr_stmt *st = asr_stmt_new(s,
                                "SELECT 1 FROM assure_run_inputs i JOIN assure_datasets d ON "
                                "d.id = i.name AND d.sha256 = i.sha256 WHERE i.run = ?1 AND "
                                "i.kind = 'data' AND i.name = ?2",
                                &quiet);
    int same = 0;
    if (st) {
        asr_stmt_bind_int(st, 1, run);
        asr_stmt_bind_text(st, 2, ds);
        same = asr_stmt_step(st, &quiet, "explain") == 1;
    }
    asr_stmt_free(st);
    asr_diag_free(&quiet);
    return same;
}

/* run: the recorded run the finding comes from (0: a check run now, which
 * read the data now held). */
static void lookup_row(asr_store *s, const char *ds, const char *key, const char *as_of,
                       int64_t run, row_values *r)
{
    memset(r, 0, sizeof *r);
    if (!s)
        return;
    asr_buf q = {0}, cols = {0};
    char **names = NULL;
    size_t n = 0;
    const char *table = NULL, *snapshot = NULL;
    char keyfields[512] = "", hist[200];
    const char *mc = map_columns(ds);
    if (mc) {
        add_columns(&cols, mc, &names, &n);
        snprintf(keyfields, sizeof keyfields, "id");
        snprintf(hist, sizeof hist, "map_%s", ds + 4);
        table = hist;
        r->from = ROW_CURRENT;
    } else {
        asr_diag quiet;
        asr_diag_init(&quiet, 1);
        asr_stmt *st = asr_stmt_new(
            s,
            "SELECT group_concat(name, ',') FROM (SELECT name FROM map_fields WHERE dataset = ?1 "
            "ORDER BY position)",
            &quiet);
        if (st) {
            asr_stmt_bind_text(st, 1, ds);
            if (asr_stmt_step(st, &quiet, "explain") == 1 && !asr_stmt_is_null(st, 0))
                add_columns(&cols, asr_stmt_text(st, 0), &names, &n);
        }
        asr_stmt_free(st);
        asr_diag_free(&quiet);
        if (!n)
            goto done;
        if (!one_text(s, "SELECT key FROM map_datasets WHERE id = ?1", ds, keyfields,
                      sizeof keyfields))
            snprintf(keyfields, sizeof keyfields, "_line");
        char data_as_of[11] = "";
        one_text(s, "SELECT as_of FROM assure_datasets WHERE id = ?1", ds, data_as_of,
                 sizeof data_as_of);
        snprintf(hist, sizeof hist, "history_%s", ds);
        table = ds;
        r->from = ROW_CURRENT;
        /* A recorded run: the data now held is what its rules read when its
         * hash is the one the run recorded; otherwise the snapshot of the
         * run's as-of date, if the history keeps it. */
        if (run && !same_data(s, run, ds)) {
            if (as_of && asr_store_has_table(s, hist)) {
                table = hist;
                snapshot = as_of;
                r->from = ROW_SNAPSHOT;
            } else {
                r->from = ROW_NOW;
            }
            snprintf(r->data_as_of, sizeof r->data_as_of, "%s", data_as_of);
        }
    }
    if (!*keyfields)
        snprintf(keyfields, sizeof keyfields, "_line");
    for (int pass = 0; pass < 2; pass++) {
        asr_buf_clear(&q);
        asr_buf_addf(&q, "SELECT %s FROM ", cols.data);
        quote_ident(&q, table);
        asr_buf_adds(&q, " WHERE (");
        /* the key's fields joined by ", " */
        const char *p = keyfields;
        int first = 1;
        while (*p) {
            size_t len = strcspn(p, ",");
            char name[128];
            snprintf(name, sizeof name, "%.*s", (int)(len < 127 ? len : 127), p);
            if (!first)
                asr_buf_adds(&q, " || ', ' || ");
            first = 0;
            quote_ident(&q, name);
            p += len;
            if (*p == ',')
                p++;
        }
        asr_buf_adds(&q, ") = ?1");
        if (snapshot)
            asr_buf_adds(&q, " AND _snapshot = ?2");
        asr_buf_adds(&q, " LIMIT 1");
        asr_diag quiet;
        asr_diag_init(&quiet, 1);
        asr_stmt *st = asr_stmt_new(s, q.data, &quiet);
        int found = 0;
        if (st) {
            asr_stmt_bind_text(st, 1, key);
            if (snapshot)
                asr_stmt_bind_text(st, 2, snapshot);
            if (asr_stmt_step(st, &quiet, "explain") == 1) {
                found = 1;
                r->names = names;
                r->n = n;
                names = NULL;
                r->values = asr_xcalloc(n ? n : 1, sizeof *r->values);
                r->number = asr_xcalloc(n ? n : 1, 1);
                for (size_t i = 0; i < n; i++) {
                    r->values[i] = asr_stmt_is_null(st, (int)i)
                                       ? NULL
                                       : asr_xstrdup(asr_stmt_text(st, (int)i));
                    /* finite numbers only: JSON has no Inf or NaN */
                    r->number[i] = asr_stmt_is_number(st, (int)i) && r->values[i] &&
                                   !strpbrk(r->values[i], "IN");
                }
            }
        }
        asr_stmt_free(st);
        asr_diag_free(&quiet);
        if (found || !snapshot)
            break;
        /* not in the snapshot: the data as it stands now */
        table = ds;
        snapshot = NULL;
        r->from = ROW_NOW;
    }
done:
    if (!r->n)
        r->from = ROW_MISSING;
    for (size_t i = 0; names && i < n; i++)
        free(names[i]);
    free(names);
    asr_buf_free(&q);
    asr_buf_free(&cols);
}

/* ---- dates ---- */

/* Days from date to as_of (positive: the date is earlier), or 0 with *ok 0
 * when either is not a date. */
/* The dates an explanation sets against the as-of date: evidence i (for i
 * below n_evidence) when the rule typed it a date, then, at i ==
 * n_evidence, the finding's due date under due_name. NULL: no date. */
static const char *nth_date(const asr_finding *f, size_t i, const char *due_name, const char **name)
{
    if (i < f->n_evidence) {
        *name = f->evidence[i].k;
        return f->evidence[i].t == ASR_EV_DATE ? f->evidence[i].v : NULL;
    }
    *name = due_name;
    return f->due;
}

static long days_to(const char *date, const char *as_of, int *ok)
{
    asr_date a, b;
    *ok = date && as_of && !asr_date_parse(date, strlen(date), NULL, &a) &&
          !asr_date_parse(as_of, strlen(as_of), NULL, &b);
    return *ok ? (long)(asr_date_to_days(b) - asr_date_to_days(a)) : 0;
}

static void add_days_phrase(asr_buf *out, long days)
{
    if (days == 0)
        asr_buf_adds(out, "the same day");
    else
        asr_buf_addf(out, "%ld day%s %s", labs(days), labs(days) == 1 ? "" : "s",
                     days > 0 ? "earlier" : "later");
}

/* ---- text ---- */

static void term(asr_buf *out, const char *s)
{
    if (s)
        asr_buf_add_term(out, s, strlen(s));
}

static const char *type_name(char t)
{
    switch (t) {
    case ASR_EV_NUMBER:
        return "number";
    case ASR_EV_INTEGER:
        return "integer";
    case ASR_EV_DATE:
        return "date";
    case ASR_EV_BOOLEAN:
        return "boolean";
    case ASR_EV_NULL:
        return "null";
    default:
        return "text";
    }
}

static void kv_lines(asr_buf *out, const asr_kv *kv, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (strlen(kv[i].k) > w)
            w = strlen(kv[i].k);
    for (size_t i = 0; i < n; i++) {
        asr_buf_adds(out, "  ");
        term(out, kv[i].k);
        asr_buf_addf(out, "%*s = ", (int)(w - strlen(kv[i].k)), "");
        if (kv[i].t == ASR_EV_NULL)
            asr_buf_adds(out, "(empty)");
        else
            term(out, kv[i].v);
        asr_buf_addf(out, "  (%s)\n", type_name(kv[i].t));
    }
}

static const char *source_note(const row_values *r, const char *as_of, char *buf, size_t size)
{
    switch (r->from) {
    case ROW_SNAPSHOT:
        snprintf(buf, size, "the data as of %s, kept in the history", as_of);
        break;
    case ROW_NOW:
        snprintf(buf, size, "the data now held, as of %s: it may have changed since",
                 r->data_as_of);
        break;
    default:
        snprintf(buf, size, "the data the rule read");
    }
    return buf;
}

void asr_explain_text(asr_buf *out, asr_store *s, const asr_explanation *e)
{
    const asr_finding *f = e->f;
    asr_buf_adds(out, "Finding ");
    term(out, f->fingerprint);
    asr_buf_adds(out, "  rule ");
    term(out, e->rule);
    asr_buf_adds(out, ", ");
    term(out, e->severity);
    asr_buf_adds(out, ", ");
    term(out, e->category);
    asr_buf_adds(out, "\n");
    if (e->title) {
        asr_buf_adds(out, "  ");
        term(out, e->title);
        asr_buf_addc(out, '\n');
    }
    asr_buf_adds(out, "  ");
    term(out, f->subject);
    asr_buf_adds(out, ": ");
    term(out, f->message);
    asr_buf_addc(out, '\n');
    if (e->description) {
        asr_buf_adds(out, "\nWhat the rule checks:\n");
        const char *p = e->description;
        while (*p) {
            size_t len = strcspn(p, "\n");
            asr_buf_adds(out, "  ");
            asr_buf_add_term(out, p, len);
            asr_buf_addc(out, '\n');
            p += len;
            if (*p)
                p++;
        }
    }
    asr_buf_adds(out, "\nAs of: ");
    term(out, f->as_of ? f->as_of : "(not recorded)");
    if (e->run)
        asr_buf_addf(out, " (recorded run %lld)", (long long)e->run);
    else
        asr_buf_adds(out, " (a check run now)");
    asr_buf_addc(out, '\n');
    asr_buf_adds(out, "\nParameters in effect (defaults, after the map's overrides):\n");
    if (f->n_params)
        kv_lines(out, f->params, f->n_params);
    else
        asr_buf_adds(out, "  (none: the rule has no parameters)\n");
    asr_buf_adds(out, "\nEvidence:\n");
    if (f->n_evidence)
        kv_lines(out, f->evidence, f->n_evidence);
    else
        asr_buf_adds(out, "  (none given by the rule)\n");
    /* the date arithmetic: every date against the as-of date */
    int any = 0, ok;
    for (size_t i = 0; i <= f->n_evidence; i++) {
        const char *name, *date = nth_date(f, i, "due (the finding's)", &name);
        long days = days_to(date, f->as_of, &ok);
        if (!ok)
            continue;
        if (!any++)
            asr_buf_adds(out, "\nDates against the as-of date:\n");
        asr_buf_adds(out, "  ");
        term(out, name);
        asr_buf_addc(out, ' ');
        term(out, date);
        asr_buf_adds(out, ", as of ");
        term(out, f->as_of);
        asr_buf_adds(out, ": ");
        add_days_phrase(out, days);
        asr_buf_addc(out, '\n');
    }
    asr_buf_addf(out, "\nRows it rests on (%zu", f->n_rows);
    if (f->rows_total > (long)f->n_rows)
        asr_buf_addf(out, " listed of %ld", f->rows_total);
    asr_buf_adds(out, "):\n");
    if (!f->n_rows)
        asr_buf_adds(out, "  (none named by the rule)\n");
    for (size_t i = 0; i < f->n_rows; i++) {
        asr_buf_adds(out, "  ");
        term(out, f->rows[i].k);
        asr_buf_adds(out, " ");
        term(out, f->rows[i].v);
        row_values r;
        lookup_row(s, f->rows[i].k, f->rows[i].v, f->as_of, e->run, &r);
        char note[160];
        if (r.from == ROW_MISSING) {
            asr_buf_adds(out, s ? "  (not in the database now)\n" : "\n");
            continue;
        }
        asr_buf_adds(out, "  (");
        asr_buf_adds(out, source_note(&r, f->as_of, note, sizeof note));
        asr_buf_adds(out, ")\n");
        size_t w = 0;
        for (size_t k = 0; k < r.n; k++)
            if (strlen(r.names[k]) > w)
                w = strlen(r.names[k]);
        for (size_t k = 0; k < r.n; k++) {
            if (!r.values[k])
                continue;
            asr_buf_adds(out, "    ");
            term(out, r.names[k]);
            asr_buf_addf(out, "%*s  ", (int)(w - strlen(r.names[k])), "");
            term(out, r.values[k]);
            asr_buf_addc(out, '\n');
        }
        row_values_free(&r);
    }
    if (f->state) {
        asr_buf_adds(out, "\nHistory: ");
        term(out, f->state);
        if (f->first_seen) {
            asr_buf_adds(out, ", first seen ");
            term(out, f->first_seen);
        }
        if (f->age_days >= 0)
            asr_buf_addf(out, " (%ld day%s)", f->age_days, f->age_days == 1 ? "" : "s");
        asr_buf_addc(out, '\n');
    }
    if (f->waived || f->waiver) {
        asr_buf_adds(out, f->waived ? "Waived: " : "Waiver: ");
        term(out, f->waiver);
        asr_buf_addc(out, '\n');
    }
}

/* ---- JSON ---- */

static void jfield(asr_buf *out, const char *key, const char *value)
{
    asr_buf_adds(out, ", ");
    asr_json_string_buf(out, key);
    asr_buf_adds(out, ": ");
    if (value)
        asr_json_string_buf(out, value);
    else
        asr_buf_adds(out, "null");
}

void asr_explain_json(asr_buf *out, asr_store *s, const asr_explanation *e)
{
    const asr_finding *f = e->f;
    asr_buf_adds(out, "{\"fingerprint\": ");
    asr_json_string_buf(out, f->fingerprint);
    jfield(out, "rule", e->rule);
    jfield(out, "title", e->title);
    jfield(out, "description", e->description);
    jfield(out, "severity", e->severity);
    jfield(out, "category", e->category);
    jfield(out, "subject", f->subject);
    jfield(out, "message", f->message);
    jfield(out, "due", f->due);
    jfield(out, "as_of", f->as_of);
    if (e->run)
        asr_buf_addf(out, ", \"run\": %lld", (long long)e->run);
    else
        asr_buf_adds(out, ", \"run\": null");
    asr_buf_adds(out, ", \"params\": ");
    asr_json_kv_object(out, f->params, f->n_params);
    asr_buf_adds(out, ", \"evidence\": ");
    asr_json_kv_object(out, f->evidence, f->n_evidence);
    asr_buf_adds(out, ", \"dates\": [");
    int any = 0, ok;
    for (size_t i = 0; i <= f->n_evidence; i++) {
        const char *name, *date = nth_date(f, i, "due", &name);
        long days = days_to(date, f->as_of, &ok);
        if (!ok)
            continue;
        asr_buf_adds(out, any++ ? ", {\"name\": " : "{\"name\": ");
        asr_json_string_buf(out, name);
        jfield(out, "date", date);
        asr_buf_addf(out, ", \"days_before_as_of\": %ld}", days);
    }
    asr_buf_adds(out, "], \"rows\": [");
    for (size_t i = 0; i < f->n_rows; i++) {
        row_values r;
        lookup_row(s, f->rows[i].k, f->rows[i].v, f->as_of, e->run, &r);
        static const char *const from[] = {"missing", "run", "snapshot", "now"};
        asr_buf_adds(out, i ? ", {\"dataset\": " : "{\"dataset\": ");
        asr_json_string_buf(out, f->rows[i].k);
        jfield(out, "key", f->rows[i].v);
        jfield(out, "found_in", from[r.from]);
        asr_buf_adds(out, ", \"values\": {");
        for (size_t k = 0; k < r.n; k++) {
            if (k)
                asr_buf_adds(out, ", ");
            asr_json_string_buf(out, r.names[k]);
            asr_buf_adds(out, ": ");
            if (!r.values[k])
                asr_buf_adds(out, "null");
            else if (r.number[k])
                asr_buf_adds(out, r.values[k]);
            else
                asr_json_string_buf(out, r.values[k]);
        }
        asr_buf_adds(out, "}}");
        row_values_free(&r);
    }
    asr_buf_addf(out, "], \"rows_total\": %ld", f->rows_total);
    jfield(out, "state", f->state);
    jfield(out, "first_seen", f->first_seen);
    if (f->state && f->age_days >= 0)
        asr_buf_addf(out, ", \"age_days\": %ld", f->age_days);
    asr_buf_addf(out, ", \"waived\": %s", f->waived ? "true" : "false");
    asr_buf_adds(out, "}");
}

/* ---- finding the finding ---- */

static int parse_prefix(const char *given, char out[17])
{
    size_t n = strlen(given);
    if (n < ASR_EXPLAIN_MIN_PREFIX || n > 16)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!isxdigit((unsigned char)given[i]))
            return -1;
        out[i] = (char)tolower((unsigned char)given[i]);
    }
    out[n] = '\0';
    return 0;
}

/* A found finding, its strings copied. */
typedef struct {
    asr_buf block; /* the wire form, decoded into `f` */
    asr_finding f;
    char *rule, *title, *description, *category, *severity;
    int found;
} held;

static void hold(held *h, const asr_finding *f, const char *rule)
{
    asr_buf msg = {0};
    asr_finding_encode(&msg, f);
    asr_wire_msg m;
    asr_wire_parse(msg.data, msg.len, &m);
    asr_buf_reserve(&h->block, asr_finding_decode_size(&m));
    asr_finding_decode(&m, h->block.data, &h->f);
    h->f.age_days = f->age_days;
    free(h->rule);
    h->rule = asr_xstrdup(rule);
    asr_buf_free(&msg);
}

static void held_free(held *h)
{
    asr_buf_free(&h->block);
    free(h->rule);
    free(h->title);
    free(h->description);
    free(h->category);
    free(h->severity);
}

/* Candidates a prefix matches, for the message. */
typedef struct {
    size_t n;
    asr_buf list;
} matches;

static void add_match(matches *m, const char *fp, const char *rule, const char *subject)
{
    if (m->n < 5) {
        asr_buf_addf(&m->list, "\n  %s  %s  ", fp, rule);
        asr_buf_add_term(&m->list, subject, strlen(subject));
    }
    m->n++;
}

static asr_status ambiguous(asr_diag *d, const char *prefix, matches *m)
{
    asr_error(d, NULL, NULL, "fingerprint prefix '%s' matches %zu findings; give more digits:%s%s",
              prefix, m->n, m->list.data ? m->list.data : "", m->n > 5 ? "\n  ..." : "");
    return ASR_E_USAGE;
}

static asr_status from_history(asr_store *s, const asr_explain_opts *o, const char *prefix, held *h,
                               int64_t *run_id, asr_diag *d)
{
    asr_run_info run;
    asr_status st = o->run ? asr_history_get(s, o->run, &run, d) : asr_history_latest(s, &run, d);
    if (st)
        return st;
    if (!run.id) {
        asr_loc l = {o->db_path, 0, 0};
        if (o->run)
            asr_error(d, &l, NULL, "no run %lld is recorded (see 'assure history')",
                      (long long)o->run);
        else
            asr_error(d, &l, NULL,
                      "no run is recorded: 'assure run' records one; or give --map and --rules "
                      "to explain a finding of a check run now");
        return o->run ? ASR_E_USAGE : ASR_E_NOINPUT;
    }
    *run_id = run.id;
    matches m = {0};
    size_t plen = strlen(prefix);
    for (int which = ASR_HIST_CURRENT; which <= ASR_HIST_WAIVED && st == ASR_OK; which++) {
        asr_history_iter *it;
        st = asr_history_findings(s, run.id, (asr_history_which)which, d, &it);
        asr_finding f;
        const char *rule;
        int rc;
        while (st == ASR_OK && (rc = asr_history_next(it, &f, &rule, d)) == 1) {
            if (strncmp(f.fingerprint, prefix, plen) != 0)
                continue;
            if (!h->found || strcmp(h->f.fingerprint, f.fingerprint) != 0)
                add_match(&m, f.fingerprint, rule, f.subject);
            if (!h->found) {
                hold(h, &f, rule);
                h->found = 1;
            }
        }
        if (st == ASR_OK && rc < 0)
            st = ASR_E_IO;
        asr_history_iter_free(it);
    }
    if (st == ASR_OK && m.n > 1)
        st = ambiguous(d, prefix, &m);
    asr_buf_free(&m.list);
    if (st == ASR_OK && !h->found) {
        asr_loc l = {o->db_path, 0, 0};
        asr_error(d, &l, NULL,
                  "no finding with fingerprint '%s' in run %lld (as of %s); 'assure check "
                  "--format json' shows each finding's fingerprint",
                  prefix, (long long)run.id, run.as_of);
        return ASR_E_NOINPUT;
    }
    if (st)
        return st;
    /* the rule as the run knew it */
    asr_diag quiet;
    asr_diag_init(&quiet, 1);
    asr_stmt *rs = asr_stmt_new(
        s, "SELECT title, description, category FROM assure_run_rules WHERE run = ?1 AND rule = ?2",
        &quiet);
    if (rs) {
        asr_stmt_bind_int(rs, 1, run.id);
        asr_stmt_bind_text(rs, 2, h->rule);
        if (asr_stmt_step(rs, &quiet, "explain") == 1) {
            if (!asr_stmt_is_null(rs, 0))
                h->title = asr_xstrdup(asr_stmt_text(rs, 0));
            if (!asr_stmt_is_null(rs, 1))
                h->description = asr_xstrdup(asr_stmt_text(rs, 1));
            if (!asr_stmt_is_null(rs, 2))
                h->category = asr_xstrdup(asr_stmt_text(rs, 2));
        }
    }
    asr_stmt_free(rs);
    asr_diag_free(&quiet);
    return ASR_OK;
}

static asr_status on_the_spot(const asr_explain_opts *o, const char *prefix, held *h, asr_diag *d)
{
    asr_check_opts co = {0};
    co.map_path = o->map_path;
    co.db_path = o->db_path;
    co.rules_dir = o->rules_dir;
    co.as_of = o->as_of;
    co.format = ASR_FMT_TEXT; /* findings as structs */
    co.output = o->output;    /* refused early if it is one of the check's inputs */
    co.runner = o->runner;
    asr_check c;
    asr_status st = asr_check_run(&co, d, &c);
    if (st == ASR_OK) {
        matches m = {0};
        size_t plen = strlen(prefix);
        for (size_t i = 0; i < c.n_findings; i++) {
            const asr_finding *f = &c.findings[i];
            if (strncmp(f->fingerprint, prefix, plen) != 0)
                continue;
            const asr_rule *r = &c.rules[f->rule].rule;
            if (!h->found || strcmp(h->f.fingerprint, f->fingerprint) != 0)
                add_match(&m, f->fingerprint, r->id, f->subject);
            if (!h->found) {
                hold(h, f, r->id);
                h->found = 1;
                h->title = r->title ? asr_xstrdup(r->title) : NULL;
                h->description = r->description ? asr_xstrdup(r->description) : NULL;
                h->category = asr_xstrdup(r->category);
                h->severity = asr_xstrdup(asr_finding_severity(f, r));
            }
        }
        if (m.n > 1)
            st = ambiguous(d, prefix, &m);
        else if (!h->found) {
            asr_error(d, NULL, NULL,
                      "no finding with fingerprint '%s' in a check as of %s; 'assure check "
                      "--format json' shows each finding's fingerprint",
                      prefix, o->as_of);
            st = ASR_E_NOINPUT;
        }
        asr_buf_free(&m.list);
    }
    asr_check_free(&c);
    return st;
}

static asr_status write_bytes(const char *output, const asr_inputs *in, const asr_buf *b,
                              FILE *stream, asr_diag *d)
{
    if (!output) {
        if (b->len)
            fwrite(b->data, 1, b->len, stream);
        return fflush(stream) != 0 || ferror(stream) ? ASR_E_IO : ASR_OK;
    }
    asr_outfile of;
    asr_status st = asr_outfile_open(&of, output, "--output", in, d);
    if (st != ASR_OK)
        return st;
    if (b->len)
        fwrite(b->data, 1, b->len, of.f);
    return ferror(of.f) ? asr_outfile_fail(&of, d) : asr_outfile_commit(&of, "--output", in, d);
}

asr_status asr_explain(const asr_explain_opts *o, FILE *stream, asr_diag *d)
{
    char prefix[17];
    if (parse_prefix(o->fingerprint, prefix)) {
        asr_error(d, NULL, NULL,
                  "'%s' is not a fingerprint: give the finding's fingerprint (16 hex digits) or "
                  "at least its first %d",
                  o->fingerprint, ASR_EXPLAIN_MIN_PREFIX);
        return ASR_E_USAGE;
    }
    asr_inputs in = {0};
    asr_inputs_add_db(&in, o->db_path);
    if (o->map_path)
        asr_inputs_add(&in, o->map_path, "the map");
    asr_status st = ASR_OK;
    if (o->output)
        st = asr_outfile_check(o->output, "--output", &in, d);
    held h = {0};
    int64_t run = 0;
    if (st == ASR_OK && o->map_path)
        st = on_the_spot(o, prefix, &h, d);
    asr_store *s = NULL;
    if (st == ASR_OK)
        st = asr_store_open(o->db_path, ASR_STORE_READONLY, 5000, d, &s);
    if (st == ASR_OK && !o->map_path)
        st = from_history(s, o, prefix, &h, &run, d);
    if (st == ASR_OK) {
        asr_explanation e = {
            h.rule, h.title, h.description, h.category, h.severity ? h.severity : h.f.severity,
            &h.f,   run};
        asr_buf b = {0};
        if (o->format == ASR_FMT_JSON) {
            asr_explain_json(&b, s, &e);
            asr_buf_addc(&b, '\n');
        } else {
            asr_explain_text(&b, s, &e);
        }
        st = write_bytes(o->output, &in, &b, stream, d);
        asr_buf_free(&b);
    }
    held_free(&h);
    asr_store_close(s);
    asr_inputs_free(&in);
    return st;
}

asr_status asr_explain_check(const asr_check *c, const char *db_path, asr_format fmt,
                             const char *output, FILE *stream, asr_diag *d)
{
    asr_store *s = NULL;
    asr_status st = asr_store_open(db_path, ASR_STORE_READONLY, 5000, d, &s);
    if (st != ASR_OK)
        return st;
    asr_buf b = {0};
    if (fmt == ASR_FMT_JSON)
        asr_buf_adds(&b, "{\"explanations\": [");
    for (size_t i = 0; i < c->n_findings; i++) {
        const asr_finding *f = &c->findings[i];
        const asr_rule *r = &c->rules[f->rule].rule;
        asr_explanation e = {
            r->id, r->title, r->description, r->category, asr_finding_severity(f, r), f, 0};
        if (fmt == ASR_FMT_JSON) {
            asr_buf_adds(&b, i ? ",\n  " : "\n  ");
            asr_explain_json(&b, s, &e);
        } else {
            if (i)
                asr_buf_adds(&b, "\n----------------------------------------------------------"
                                 "--------------\n\n");
            asr_explain_text(&b, s, &e);
        }
    }
    if (fmt == ASR_FMT_JSON)
        asr_buf_adds(&b, c->n_findings ? "\n]}\n" : "]}\n");
    else if (!c->n_findings)
        asr_buf_adds(&b, "No findings to explain.\n");
    st = write_bytes(output, &c->inputs, &b, stream, d);
    asr_buf_free(&b);
    asr_store_close(s);
    return st;
}
