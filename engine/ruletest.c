#include "ruletest.h"

#include <dirent.h>
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "date.h"
#include "import.h"
#include "check.h"
#include "mapcov.h"
#include "findfmt.h"
#include "store.h"
#include "util.h"
#include "yamltree.h"

/* A value from a rule, escaped (util: nothing in it may steer the terminal
 * the report is read on), then the line's end. */
static void term_line(asr_buf *b, const char *s)
{
    asr_buf_add_term(b, s, strlen(s));
    asr_buf_addc(b, '\n');
}

/* ---- test files ---- */

typedef struct {
    char *rule; /* NULL: any rule of the case */
    char *subject;
    char *severity;
    char *message; /* ERE the message must contain a match of */
    regex_t re;
    int has_re;
    asr_loc loc;
    int matched;
    /* evidence: {name: value}; a NULL value stands for null (absent or null
     * matches). rows: (dataset, key) pairs, compared as a set; has_rows says
     * the case gave them (rows: [] expects none). */
    asr_kv *evidence;
    size_t n_evidence;
    asr_kv *rows;
    size_t n_rows;
    int has_rows;
} expect;

typedef struct {
    char *dataset;
    char *path;      /* a file, relative paths resolved */
    asr_ynode *rows; /* or inline rows */
    asr_loc loc;
} given;

typedef struct {
    char *file; /* the test file */
    char *name;
    asr_loc loc;
    char **rules;
    size_t n_rules;
    char *map_path;
    char *as_of;
    asr_ynode *params; /* mapping name -> value, or NULL */
    given *data;
    size_t n_data;
    char *prev_as_of; /* previous: data imported first, as of this date (a snapshot) */
    given *prev;
    size_t n_prev;
    expect *expects;
    size_t n_expects;
    char *expect_failure; /* kind, or NULL */
} test_case;

typedef struct {
    asr_ydoc **docs; /* kept: cases point into them */
    size_t n_docs;
    test_case *cases;
    size_t n_cases;
} suite;

static int check_keys(asr_diag *d, const asr_ynode *n, const char *path, const char *const *keys)
{
    return asr_ymap_check_keys(n, path, keys, d) ? -1 : 0;
}

static char *scalar(asr_diag *d, const asr_ynode *n, const char *path)
{
    if (!n || asr_ynode_is_null(n))
        return NULL;
    if (n->kind != ASR_YSCALAR) {
        asr_error(d, &n->loc, path, "expected a single value");
        return NULL;
    }
    return asr_xstrndup(n->text, n->len);
}

/* "rule" / "rules": one id or a list. */
static char **rule_list(asr_diag *d, const asr_ynode *n, const char *path, size_t *count)
{
    *count = 0;
    if (!n || asr_ynode_is_null(n))
        return NULL;
    size_t k = n->kind == ASR_YSEQ ? n->n : 1;
    char **out = asr_xcalloc(k, sizeof *out);
    for (size_t i = 0; i < k; i++) {
        const asr_ynode *e = n->kind == ASR_YSEQ ? n->items[i] : n;
        if (e->kind != ASR_YSCALAR) {
            asr_error(d, &e->loc, path, "expected a rule id");
            continue;
        }
        out[(*count)++] = asr_xstrdup(e->text);
    }
    return out;
}

/* An expected finding's evidence ({name: value}) and rows ([[dataset,
 * key], ...]) into ex; a value that is not a single value is an error at
 * its place. */
static void read_expected_evidence(asr_diag *d, const asr_ynode *ev, const asr_ynode *rows,
                                   const char *path, expect *ex)
{
    char p[128];
    if (ev && !asr_ynode_is_null(ev)) {
        snprintf(p, sizeof p, "%s.evidence", path);
        if (ev->kind != ASR_YMAP) {
            asr_error(d, &ev->loc, p, "evidence must be a mapping of names to values");
        } else {
            ex->evidence = asr_xcalloc(ev->n ? ev->n : 1, sizeof *ex->evidence);
            for (size_t i = 0; i < ev->n; i++) {
                const asr_ynode *v = ev->items[i];
                if (v->kind != ASR_YSCALAR) {
                    asr_error(d, &v->loc, p, "evidence '%s' must be a single value",
                              ev->keys[i]->text);
                    continue;
                }
                asr_kv *kv = &ex->evidence[ex->n_evidence++];
                kv->k = asr_xstrdup(ev->keys[i]->text);
                kv->v = asr_ynode_is_null(v) ? NULL : asr_xstrndup(v->text, v->len);
            }
        }
    }
    if (rows && !asr_ynode_is_null(rows)) {
        snprintf(p, sizeof p, "%s.rows", path);
        if (rows->kind != ASR_YSEQ) {
            asr_error(d, &rows->loc, p, "rows must be a list of [dataset, key] pairs");
            return;
        }
        ex->has_rows = 1;
        ex->rows = asr_xcalloc(rows->n ? rows->n : 1, sizeof *ex->rows);
        for (size_t i = 0; i < rows->n; i++) {
            const asr_ynode *r = rows->items[i];
            if (r->kind != ASR_YSEQ || r->n != 2 || r->items[0]->kind != ASR_YSCALAR ||
                r->items[1]->kind != ASR_YSCALAR) {
                asr_error(d, &r->loc, p, "a row must be a pair [dataset, key]");
                continue;
            }
            asr_kv *kv = &ex->rows[ex->n_rows++];
            kv->k = asr_xstrndup(r->items[0]->text, r->items[0]->len);
            kv->v = asr_xstrndup(r->items[1]->text, r->items[1]->len);
        }
    }
}

static void read_case(asr_diag *d, const char *file, const asr_ynode *n, size_t index,
                      char **file_rules, size_t n_file_rules, const char *file_map, test_case *c)
{
    static const char *const keys[] = {"name",   "rule",           "rules",    "as_of",
                                       "map",    "params",         "data",     "files",
                                       "expect", "expect_failure", "previous", NULL};
    static const char *const expect_keys[] = {"subject",  "rule", "severity", "message",
                                              "evidence", "rows", NULL};
    char path[64];
    snprintf(path, sizeof path, "cases[%zu]", index);
    memset(c, 0, sizeof *c);
    c->file = asr_xstrdup(file);
    c->loc = n->loc;
    if (check_keys(d, n, path, keys))
        return;
    c->name = scalar(d, asr_ymap_get(n, "name"), path);
    if (!c->name)
        asr_error(d, &n->loc, path, "a case needs a name");
    const asr_ynode *r =
        asr_ymap_get(n, "rules") ? asr_ymap_get(n, "rules") : asr_ymap_get(n, "rule");
    if (r) {
        c->rules = rule_list(d, r, path, &c->n_rules);
    } else if (n_file_rules) {
        c->rules = asr_xcalloc(n_file_rules, sizeof *c->rules);
        for (size_t i = 0; i < n_file_rules; i++)
            c->rules[i] = asr_xstrdup(file_rules[i]);
        c->n_rules = n_file_rules;
    }
    if (!c->n_rules)
        asr_error(d, &n->loc, path, "no rule to test: give 'rule' in the case or at the top");
    c->as_of = scalar(d, asr_ymap_get(n, "as_of"), path);
    asr_date dt;
    if (!c->as_of)
        asr_error(d, &n->loc, path, "a case needs as_of, the date it is evaluated at");
    else if (asr_date_parse(c->as_of, strlen(c->as_of), NULL, &dt))
        asr_error(d, &asr_ymap_get(n, "as_of")->loc, path, "as_of '%s' is not a YYYY-MM-DD date",
                  c->as_of);
    char *map = scalar(d, asr_ymap_get(n, "map"), path);
    c->map_path = map ? asr_path_relative(file, map) : file_map ? asr_xstrdup(file_map) : NULL;
    free(map);
    const asr_ynode *p = asr_ymap_get(n, "params");
    if (p && !asr_ynode_is_null(p)) {
        if (p->kind != ASR_YMAP)
            asr_error(d, &p->loc, path, "params must map parameter names to values");
        else
            c->params = (asr_ynode *)p;
    }
    /* data: inline rows; files: fixture files */
    const asr_ynode *data = asr_ymap_get(n, "data"), *files = asr_ymap_get(n, "files");
    size_t nd = (data && data->kind == ASR_YMAP ? data->n : 0) +
                (files && files->kind == ASR_YMAP ? files->n : 0);
    c->data = asr_xcalloc(nd ? nd : 1, sizeof *c->data);
    if (data && !asr_ynode_is_null(data)) {
        if (data->kind != ASR_YMAP)
            asr_error(d, &data->loc, path, "data must map dataset ids to lists of rows");
        else
            for (size_t i = 0; i < data->n; i++) {
                given *g = &c->data[c->n_data++];
                g->dataset = asr_xstrdup(data->keys[i]->text);
                g->rows = data->items[i];
                g->loc = data->keys[i]->loc;
                if (g->rows->kind != ASR_YSEQ && !asr_ynode_is_null(g->rows))
                    asr_error(d, &g->rows->loc, path, "data.%s must be a list of rows", g->dataset);
            }
    }
    if (files && !asr_ynode_is_null(files)) {
        if (files->kind != ASR_YMAP)
            asr_error(d, &files->loc, path, "files must map dataset ids to file names");
        else
            for (size_t i = 0; i < files->n; i++) {
                given *g = &c->data[c->n_data++];
                g->dataset = asr_xstrdup(files->keys[i]->text);
                g->loc = files->keys[i]->loc;
                char *rel = scalar(d, files->items[i], path);
                g->path = rel ? asr_path_relative(file, rel) : NULL;
                free(rel);
            }
    }
    /* previous: {as_of, data}: what the datasets held before, imported first */
    const asr_ynode *pv = asr_ymap_get(n, "previous");
    if (pv && !asr_ynode_is_null(pv)) {
        static const char *const prev_keys[] = {"as_of", "data", NULL};
        char pp[96];
        snprintf(pp, sizeof pp, "%s.previous", path);
        const asr_ynode *pd = pv->kind == ASR_YMAP ? asr_ymap_get(pv, "data") : NULL;
        if (pv->kind != ASR_YMAP || check_keys(d, pv, pp, prev_keys)) {
            if (pv->kind != ASR_YMAP)
                asr_error(d, &pv->loc, pp, "previous must give as_of and data");
        } else if (!pd || pd->kind != ASR_YMAP) {
            asr_error(d, &pv->loc, pp, "previous needs data: dataset ids to lists of rows");
        } else {
            c->prev_as_of = scalar(d, asr_ymap_get(pv, "as_of"), pp);
            if (!c->prev_as_of || asr_date_parse(c->prev_as_of, strlen(c->prev_as_of), NULL, &dt) ||
                (c->as_of && strcmp(c->prev_as_of, c->as_of) >= 0))
                asr_error(d, &pv->loc, pp,
                          "previous needs as_of, a YYYY-MM-DD date before the case's");
            c->prev = asr_xcalloc(pd->n + 1, sizeof *c->prev);
            for (size_t i = 0; i < pd->n; i++) {
                given *g = &c->prev[c->n_prev++];
                g->dataset = asr_xstrdup(pd->keys[i]->text);
                g->rows = pd->items[i];
                g->loc = pd->keys[i]->loc;
                if (g->rows->kind != ASR_YSEQ && !asr_ynode_is_null(g->rows))
                    asr_error(d, &g->rows->loc, pp, "data.%s must be a list of rows", g->dataset);
            }
        }
    }
    c->expect_failure = scalar(d, asr_ymap_get(n, "expect_failure"), path);
    if (c->expect_failure) {
        static const char *const kinds[] = {"timeout", "memory",  "output", "runtime",
                                            "crash",   "sandbox", NULL};
        size_t k = 0;
        while (kinds[k] && strcmp(kinds[k], c->expect_failure) != 0)
            k++;
        if (!kinds[k])
            asr_error(d, &asr_ymap_get(n, "expect_failure")->loc, path,
                      "'%s' is not a failure kind (timeout, memory, output, runtime, crash, "
                      "sandbox)",
                      c->expect_failure);
    }
    const asr_ynode *e = asr_ymap_get(n, "expect");
    if (!e && !c->expect_failure)
        asr_error(d, &n->loc, path,
                  "a case needs 'expect': the findings it should produce ([] for none)");
    if (e && !asr_ynode_is_null(e)) {
        if (e->kind != ASR_YSEQ) {
            asr_error(d, &e->loc, path, "expect must be a list of findings ([] for none)");
        } else {
            c->expects = asr_xcalloc(e->n ? e->n : 1, sizeof *c->expects);
            for (size_t i = 0; i < e->n; i++) {
                char ep[96];
                snprintf(ep, sizeof ep, "%s.expect[%zu]", path, i);
                const asr_ynode *x = e->items[i];
                if (check_keys(d, x, ep, expect_keys))
                    continue;
                expect *ex = &c->expects[c->n_expects++];
                ex->loc = x->loc;
                ex->subject = scalar(d, asr_ymap_get(x, "subject"), ep);
                ex->rule = scalar(d, asr_ymap_get(x, "rule"), ep);
                ex->severity = scalar(d, asr_ymap_get(x, "severity"), ep);
                ex->message = scalar(d, asr_ymap_get(x, "message"), ep);
                if (!ex->subject)
                    asr_error(d, &x->loc, ep, "an expected finding needs its subject");
                read_expected_evidence(d, asr_ymap_get(x, "evidence"), asr_ymap_get(x, "rows"), ep,
                                       ex);
                const char *too_big = ex->message ? asr_regex_check(ex->message) : NULL;
                if (too_big) {
                    asr_error(d, &asr_ymap_get(x, "message")->loc, ep, "the pattern %s", too_big);
                } else if (ex->message) {
                    int rc = regcomp(&ex->re, ex->message, REG_EXTENDED | REG_NOSUB);
                    if (rc) {
                        char msg[128];
                        regerror(rc, &ex->re, msg, sizeof msg);
                        asr_error(d, &asr_ymap_get(x, "message")->loc, ep,
                                  "not a valid extended regular expression: %s", msg);
                    } else {
                        ex->has_re = 1;
                    }
                }
            }
        }
    }
}

/* The cases of one test file, read (doc->name is the file) into s, which
 * takes doc. */
static void read_test_doc(asr_ydoc *doc, const char *default_map, asr_diag *d, suite *s)
{
    static const char *const keys[] = {"rule", "rules", "map", "cases", NULL};
    const char *file = doc->name;
    s->docs = asr_xrealloc(s->docs, (s->n_docs + 1) * sizeof *s->docs);
    s->docs[s->n_docs++] = doc;
    asr_ynode *root = doc->root;
    if (!root) {
        asr_loc l = {doc->name, 1, 1};
        asr_error(d, &l, NULL, "the test file is empty");
        return;
    }
    if (check_keys(d, root, "", keys))
        return;
    size_t nr = 0;
    const asr_ynode *r =
        asr_ymap_get(root, "rules") ? asr_ymap_get(root, "rules") : asr_ymap_get(root, "rule");
    char **rules = rule_list(d, r, "rule", &nr);
    char *map = scalar(d, asr_ymap_get(root, "map"), "map");
    char *file_map = map           ? asr_path_relative(file, map)
                     : default_map ? asr_xstrdup(default_map)
                                   : NULL;
    free(map);
    const asr_ynode *cases = asr_ymap_get(root, "cases");
    if (!cases || cases->kind != ASR_YSEQ || cases->n == 0) {
        asr_error(d, cases ? &cases->loc : &root->loc, "cases", "expected a list of cases");
    } else {
        s->cases = asr_xrealloc(s->cases, (s->n_cases + cases->n) * sizeof *s->cases);
        for (size_t i = 0; i < cases->n; i++)
            read_case(d, doc->name, cases->items[i], i, rules, nr, file_map,
                      &s->cases[s->n_cases++]);
    }
    for (size_t i = 0; i < nr; i++)
        free(rules[i]);
    free(rules);
    free(file_map);
}

static void load_test_file(const char *file, const char *default_map, asr_diag *d, suite *s)
{
    asr_ydoc *doc = NULL;
    if (asr_yaml_load_file(file, 0, d, &doc) == ASR_OK)
        read_test_doc(doc, default_map, d, s);
}

static void free_suite(suite *s)
{
    for (size_t i = 0; i < s->n_cases; i++) {
        test_case *c = &s->cases[i];
        free(c->file);
        free(c->name);
        for (size_t k = 0; k < c->n_rules; k++)
            free(c->rules[k]);
        free(c->rules);
        free(c->map_path);
        free(c->as_of);
        for (size_t k = 0; k < c->n_data; k++) {
            free(c->data[k].dataset);
            free(c->data[k].path);
        }
        free(c->data);
        for (size_t k = 0; k < c->n_prev; k++)
            free(c->prev[k].dataset);
        free(c->prev);
        free(c->prev_as_of);
        for (size_t k = 0; k < c->n_expects; k++) {
            expect *e = &c->expects[k];
            free(e->rule);
            free(e->subject);
            free(e->severity);
            free(e->message);
            if (e->has_re)
                regfree(&e->re);
            for (size_t j = 0; j < e->n_evidence; j++) {
                free(e->evidence[j].k);
                free(e->evidence[j].v);
            }
            free(e->evidence);
            for (size_t j = 0; j < e->n_rows; j++) {
                free(e->rows[j].k);
                free(e->rows[j].v);
            }
            free(e->rows);
        }
        free(c->expects);
        free(c->expect_failure);
    }
    free(s->cases);
    for (size_t i = 0; i < s->n_docs; i++)
        asr_ydoc_free(s->docs[i]);
    free(s->docs);
}

asr_status asr_ruletest_parse_string(const char *name, const char *text, size_t len, asr_diag *d,
                                     size_t *n_cases)
{
    size_t errors = d->errors;
    suite s = {0};
    asr_ydoc *doc = NULL;
    if (asr_yaml_load_string(name, text, len, d, &doc) == ASR_OK)
        read_test_doc(doc, NULL, d, &s);
    if (n_cases)
        *n_cases = s.n_cases;
    free_suite(&s);
    return d->errors > errors ? ASR_E_CONFIG : ASR_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* *.test.yaml directly in one directory, sorted, appended to out. */
static void dir_test_files(const char *dir, size_t dlen, char ***out, size_t *n)
{
    char *d = asr_xstrndup(dir, dlen);
    DIR *dp = opendir(d);
    if (!dp) {
        free(d);
        return;
    }
    size_t first = *n;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 11 || strcmp(e->d_name + len - 10, ".test.yaml") != 0 || e->d_name[0] == '.')
            continue;
        *out = asr_xrealloc(*out, (*n + 1) * sizeof **out);
        asr_buf p = {0};
        asr_buf_addf(&p, "%s%s%s", d, d[dlen - 1] == '/' ? "" : "/", e->d_name);
        (*out)[(*n)++] = p.data;
    }
    closedir(dp);
    free(d);
    if (*n - first > 1)
        qsort(*out + first, *n - first, sizeof **out, cmp_str);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* *.test.yaml of every directory of the rules path, each sorted; a later
 * directory's file replaces an earlier one's of the same name, as its rules
 * replace theirs. */
static char **test_files(const char *dirs, size_t *n)
{
    *n = 0;
    char **out = NULL;
    for (const char *p = dirs; *p;) {
        size_t len = strcspn(p, ASR_RULES_SEP);
        size_t before = *n;
        if (len)
            dir_test_files(p, len, &out, n);
        for (size_t i = before; i < *n; i++)
            for (size_t k = 0; k < before; k++)
                if (out[k] && strcmp(base_name(out[k]), base_name(out[i])) == 0) {
                    free(out[k]);
                    out[k] = NULL;
                }
        p += len;
        if (*p)
            p++;
    }
    size_t kept = 0;
    for (size_t i = 0; i < *n; i++)
        if (out[i])
            out[kept++] = out[i];
    *n = kept;
    return out;
}

/* ---- running a case ---- */

typedef struct {
    int passed;
    int error; /* could not run: bad data, bad params */
    asr_buf detail;
    double ms;
} case_result;

/* Writes the inline rows of g as a CSV file the importer reads, and
 * remembers which YAML row each CSV line came from. */
static int write_rows_csv(const asr_dataset *ds, const given *g, const char *path, asr_diag *d,
                          asr_loc **row_locs)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    /* One column per field a file can carry: not for fields the map says
     * are not captured or given a value, nor twice for a shared heading. */
    unsigned char *col = asr_xcalloc(ds->n_fields + 1, 1);
    int first = 1;
    for (size_t k = 0; k < ds->n_fields; k++) {
        const asr_field *fk = &ds->fields[k];
        col[k] = fk->captured && !fk->value;
        for (size_t j = 0; col[k] && j < k; j++)
            if (col[j] && strcmp(ds->fields[j].header, fk->header) == 0)
                col[k] = 0;
        if (!col[k])
            continue;
        if (!first)
            fputc(',', f);
        first = 0;
        asr_csv_cell(f, fk->header);
    }
    fputs("\r\n", f);
    size_t nrows = g->rows && g->rows->kind == ASR_YSEQ ? g->rows->n : 0;
    *row_locs = asr_xcalloc(nrows + 2, sizeof **row_locs);
    int bad = 0;
    for (size_t r = 0; r < nrows; r++) {
        const asr_ynode *row = g->rows->items[r];
        (*row_locs)[r] = row->loc;
        if (row->kind != ASR_YMAP) {
            asr_error(d, &row->loc, g->dataset, "a row must map field names to values");
            bad = 1;
            continue;
        }
        for (size_t i = 0; i < row->n; i++) {
            const char *key = row->keys[i]->text;
            size_t k = 0;
            while (k < ds->n_fields && strcmp(ds->fields[k].name, key) != 0 &&
                   strcmp(ds->fields[k].header, key) != 0)
                k++;
            if (k == ds->n_fields) {
                const char *hint =
                    asr_did_you_mean_ids(key, ds->fields, ds->n_fields, sizeof *ds->fields);
                asr_error(d, &row->keys[i]->loc, g->dataset,
                          "'%s' is not a field of dataset '%s'%s%s%s", key, ds->id,
                          hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
                bad = 1;
            } else if (!ds->fields[k].captured || ds->fields[k].value) {
                asr_error(d, &row->keys[i]->loc, g->dataset,
                          "'%s' cannot be given: the map says %s", key,
                          ds->fields[k].value ? "every row has the same value"
                                              : "this organisation does not capture it");
                bad = 1;
            } else if (row->items[i]->kind != ASR_YSCALAR) {
                asr_error(d, &row->items[i]->loc, g->dataset, "'%s' must be a single value", key);
                bad = 1;
            }
        }
        first = 1;
        for (size_t k = 0; k < ds->n_fields; k++) {
            if (!col[k])
                continue;
            if (!first)
                fputc(',', f);
            first = 0;
            const asr_ynode *v = asr_ymap_get(row, ds->fields[k].name);
            if (!v)
                v = asr_ymap_get(row, ds->fields[k].header);
            if (!v || v->kind != ASR_YSCALAR || asr_ynode_is_null(v))
                continue;
            /* Written as RFC 4180, quoted always, so commas and quotes survive. */
            fputc('"', f);
            for (size_t b = 0; b < v->len; b++) {
                if (v->text[b] == '"')
                    fputc('"', f);
                fputc(v->text[b], f);
            }
            fputc('"', f);
        }
        fputs("\r\n", f);
    }
    free(col);
    fclose(f);
    return bad ? -1 : 0;
}

/* The case's parameters, checked against its rules, added to the map. */
static int apply_params(asr_map *m, const test_case *c, const asr_rule_result *rules, size_t nrules,
                        asr_diag *d)
{
    if (!c->params)
        return 0;
    size_t total = m->n_params + c->params->n * c->n_rules;
    asr_param *all = asr_arena_alloc(&m->arena, total * sizeof *all);
    memcpy(all, m->params, m->n_params * sizeof *all);
    size_t n = m->n_params;
    int bad = 0;
    for (size_t i = 0; i < c->params->n; i++) {
        const asr_ynode *key = c->params->keys[i], *v = c->params->items[i];
        int used = 0;
        for (size_t r = 0; r < c->n_rules; r++) {
            for (size_t k = 0; k < nrules; k++) {
                const asr_rule *rule = &rules[k].rule;
                if (!rules[k].loaded || strcmp(rule->id, c->rules[r]) != 0)
                    continue;
                for (size_t p = 0; p < rule->n_params; p++) {
                    if (strcmp(rule->params[p].name, key->text) != 0)
                        continue;
                    if (v->kind != ASR_YSCALAR) {
                        asr_error(d, &v->loc, "params", "'%s' must be a single value", key->text);
                        bad = 1;
                        continue;
                    }
                    asr_param *x = &all[n++];
                    x->rule = rule->id;
                    x->name = asr_arena_strdup(&m->arena, key->text);
                    x->value = asr_arena_strndup(&m->arena, v->text, v->len);
                    x->type = rule->params[p].type;
                    x->loc = v->loc;
                    used = 1;
                }
            }
        }
        if (!used) {
            asr_error(d, &key->loc, "params", "no rule of this case has a parameter '%s'",
                      key->text);
            bad = 1;
        }
    }
    /* A case's value replaces the map's: drop the map's for the same name. */
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        int replaced = 0;
        for (size_t k = i + 1; k < n && i < m->n_params; k++)
            replaced |=
                strcmp(all[i].rule, all[k].rule) == 0 && strcmp(all[i].name, all[k].name) == 0;
        if (!replaced)
            all[kept++] = all[i];
    }
    m->params = all;
    m->n_params = kept;
    return bad ? -1 : 0;
}

/* Moves import problems in temporary CSV files back to the test file rows. */
static void relocate(asr_diag *d, size_t from, const char *csv, const asr_loc *rows, size_t nrows)
{
    for (size_t i = from; i < d->count; i++) {
        asr_problem *p = &d->items[i];
        if (!p->file || strcmp(p->file, csv) != 0)
            continue;
        free(p->file);
        size_t r = p->line >= 2 ? p->line - 2 : 0;
        p->file = asr_xstrdup(rows[0].file ? rows[r < nrows ? r : 0].file : "test");
        p->line = r < nrows ? rows[r].line : 0;
        p->col = r < nrows ? rows[r].col : 0;
    }
}

static int remove_tree(const char *dir)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return -1;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        asr_buf p = {0};
        asr_buf_addf(&p, "%s/%s", dir, e->d_name);
        unlink(p.data);
        asr_buf_free(&p);
    }
    closedir(dp);
    return rmdir(dir);
}

/* A map kept for later cases of the same file, with the database its
 * cases start from: NULL until made, "" when it could not be (below). */
typedef struct {
    char *path;
    asr_map *map;
    char *template_db;
} kept_entry;

typedef struct {
    asr_rule_result *rules; /* all rules of the directory */
    size_t n_rules;
    int *fired, *quiet; /* per rule, over passing cases */
    asr_strset *reads;  /* per rule */
    asr_mapcov *mc;     /* the cells of the main map each rule was seen to watch */
    int want_map;       /* a report shows them: read each case's rows for them */
    char *empty_db;     /* NULL, or a database with the schema and nothing else */
    kept_entry *maps;   /* each map a case loaded without a problem */
    size_t n_maps;
} coverage;

/* Before empty_db_free: the templates are in its directory. */
static void map_cache_free(coverage *cov)
{
    for (size_t i = 0; i < cov->n_maps; i++) {
        kept_entry *k = &cov->maps[i];
        asr_map_free(k->map);
        free(k->path);
        if (k->template_db && k->template_db[0])
            unlink(k->template_db);
        free(k->template_db);
    }
    free(cov->maps);
    cov->maps = NULL;
    cov->n_maps = 0;
}

/* The map kept for path, or NULL. Test files of one library name a few
 * maps between them, in no order: each is loaded once a run. */
static asr_map *map_cached(const coverage *cov, const char *path)
{
    for (size_t i = 0; i < cov->n_maps; i++)
        if (strcmp(cov->maps[i].path, path) == 0)
            return cov->maps[i].map;
    return NULL;
}

static void map_keep(coverage *cov, const char *path, asr_map *m)
{
    cov->maps = asr_xrealloc(cov->maps, (cov->n_maps + 1) * sizeof *cov->maps);
    cov->maps[cov->n_maps++] = (kept_entry){asr_xstrdup(path), m, NULL};
}

/* Every case's database starts as a copy of one made once: the schema's
 * tables are created (and parsed) once a run, not once a case. */
static void empty_db_free(coverage *cov)
{
    if (!cov->empty_db)
        return;
    unlink(cov->empty_db);
    char *slash = strrchr(cov->empty_db, '/');
    if (slash) {
        *slash = '\0';
        rmdir(cov->empty_db);
    }
    free(cov->empty_db);
    cov->empty_db = NULL;
}

static const char *empty_db(coverage *cov, const char *tmp)
{
    if (cov->empty_db)
        return cov->empty_db[0] ? cov->empty_db : NULL;
    asr_buf dir = {0};
    asr_buf_addf(&dir, "%s/assure-empty-XXXXXX", tmp);
    cov->empty_db = asr_xstrdup(""); /* tried: do not try again */
    if (!mkdtemp(dir.data)) {
        asr_buf_free(&dir);
        return NULL;
    }
    asr_buf_addf(&dir, "/empty.db");
    asr_diag quiet;
    asr_diag_init(&quiet, 1);
    asr_store *s = NULL;
    asr_status st = asr_store_open(dir.data, ASR_STORE_SCRATCH, 1000, &quiet, &s);
    asr_store_close(s);
    asr_diag_free(&quiet);
    free(cov->empty_db);
    cov->empty_db = dir.data; /* removed with its directory even if it failed */
    if (st != ASR_OK) {
        empty_db_free(cov);
        cov->empty_db = asr_xstrdup("");
        return NULL;
    }
    return cov->empty_db;
}

/* Copies the file from to the new file to; 0, or -1 (then to is removed). */
static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb");
    if (!in)
        return -1;
    FILE *out = fopen(to, "wbx");
    int bad = !out;
    char buf[65536];
    size_t n;
    while (!bad && (n = fread(buf, 1, sizeof buf, in)) > 0)
        bad = fwrite(buf, 1, n, out) != n;
    bad |= ferror(in) != 0;
    fclose(in);
    if (out && fclose(out) != 0)
        bad = 1;
    if (bad && out)
        unlink(to);
    return bad ? -1 : 0;
}

/* The database a case of map m starts from: for a map kept between
 * cases, a copy of the empty database into which the map alone was
 * imported once (its tables and every dataset's, made once a run rather
 * than once a case: most of a case's import was that); else the empty
 * database; NULL if neither could be made (the import then makes it all). */
static const char *case_template(coverage *cov, const asr_map *m, const char *tmp)
{
    const char *empty = empty_db(cov, tmp);
    size_t i = 0;
    while (i < cov->n_maps && cov->maps[i].map != m)
        i++;
    if (!empty || i == cov->n_maps)
        return empty;
    kept_entry *k = &cov->maps[i];
    if (k->template_db)
        return k->template_db[0] ? k->template_db : empty;
    asr_buf path = {0};
    asr_buf_addf(&path, "%s.map-%zu", empty, i);
    asr_diag quiet;
    asr_diag_init(&quiet, 1);
    asr_store *s = NULL;
    int ok = copy_file(empty, path.data) == 0 &&
             asr_store_open(path.data, ASR_STORE_SCRATCH, 1000, &quiet, &s) == ASR_OK;
    if (ok) {
        asr_gates off;
        memset(&off, 0, sizeof off);
        asr_import_policy policy = {"2000-01-01", &off, 0, NULL, 0, NULL};
        ok = asr_import_run(s, m, NULL, 0, NULL, &policy, &quiet, NULL) == ASR_OK;
    }
    asr_store_close(s);
    asr_diag_free(&quiet);
    if (!ok) {
        unlink(path.data);
        asr_buf_free(&path);
        k->template_db = asr_xstrdup(""); /* tried: the empty one will do */
        return empty;
    }
    k->template_db = path.data;
    return path.data;
}

static void merge_coverage(coverage *cov, size_t k, const asr_rule_result *r)
{
    asr_rule_result *into = &cov->rules[k];
    if (r->n_lines > into->n_lines) {
        into->executable = asr_xrealloc(into->executable, r->n_lines);
        into->executed = asr_xrealloc(into->executed, r->n_lines);
        memset(into->executable + into->n_lines, 0, r->n_lines - into->n_lines);
        memset(into->executed + into->n_lines, 0, r->n_lines - into->n_lines);
        into->n_lines = r->n_lines;
    }
    for (size_t i = 0; i < r->n_lines; i++) {
        into->executable[i] |= r->executable[i];
        into->executed[i] |= r->executed[i];
    }
    for (size_t i = 0; i < r->n_reads; i++)
        asr_strset_add(&cov->reads[k], r->reads[i], strlen(r->reads[i]));
}

/* Writes the given datasets' rows as CSV files in tdir (named with
 * prefix) and imports them into the database at db, as of as_of, with no
 * gate and a snapshot of what they replace. Returns 1 when something was
 * wrong (reported, at the test file's rows). */
typedef struct {
    char **paths;   /* per dataset: the CSV file written, or NULL (a fixture file) */
    asr_loc **locs; /* and the test file's place of each of its rows */
    size_t *nrows;
    size_t n;
} written;

static void written_free(written *w)
{
    for (size_t i = 0; i < w->n; i++) {
        free(w->paths[i]);
        free(w->locs[i]);
    }
    free(w->paths);
    free(w->locs);
    free(w->nrows);
}

static int import_given(const asr_map *m, const given *data, size_t n_data, const char *as_of,
                        const char *prefix, const char *tdir, const char *db, asr_diag *d,
                        written *w)
{
    asr_store *s = NULL;
    asr_import_spec *specs = asr_xcalloc(n_data + 1, sizeof *specs);
    char **paths = asr_xcalloc(n_data + 1, sizeof *paths);
    asr_loc **locs = asr_xcalloc(n_data + 1, sizeof *locs);
    size_t *nrows = asr_xcalloc(n_data + 1, sizeof *nrows);
    *w = (written){paths, locs, nrows, n_data};
    int bad = 0;
    for (size_t i = 0; i < n_data; i++) {
        const given *g = &data[i];
        const asr_dataset *ds = asr_map_dataset(m, g->dataset);
        if (!ds) {
            asr_error(d, &g->loc, g->dataset, "the map declares no dataset '%s'", g->dataset);
            bad = 1;
            continue;
        }
        specs[i].dataset = g->dataset;
        if (g->path) {
            specs[i].path = g->path;
            continue;
        }
        asr_buf p = {0};
        asr_buf_addf(&p, "%s/%s%s.csv", tdir, prefix, g->dataset);
        paths[i] = p.data;
        specs[i].path = paths[i];
        nrows[i] = g->rows && g->rows->kind == ASR_YSEQ ? g->rows->n : 0;
        if (write_rows_csv(ds, g, paths[i], d, &locs[i]))
            bad = 1;
    }
    if (!bad) {
        /* throwaway: no syncs, no WAL (docs/performance.md) */
        asr_status st = asr_store_open(db, ASR_STORE_SCRATCH, 1000, d, &s);
        asr_import_result *ir = asr_xcalloc(n_data + 1, sizeof *ir);
        size_t from = d->count;
        if (st == ASR_OK) {
            /* the case's data is as of the case's date, and no gate applies */
            asr_gates off;
            memset(&off, 0, sizeof off);
            asr_import_policy policy = {as_of, &off, 1, NULL, 0, NULL};
            st = asr_import_run(s, m, specs, n_data, NULL, &policy, d, ir);
        }
        for (size_t i = 0; i < n_data; i++)
            if (paths[i])
                relocate(d, from, paths[i], locs[i], nrows[i]);
        if (st != ASR_OK)
            bad = 1;
        free(ir);
        asr_store_close(s);
    }
    free(specs);
    return bad;
}

/* ---- expected against actual findings ---- */

/* At most this many missing or unexpected findings are listed per case; the
 * rest are counted. */
#define MAX_DETAIL ASR_DIAG_LIMIT

/* Findings sorted by subject, then by place in their array (their order). */
static int cmp_by_subject(const void *a, const void *b)
{
    const asr_finding *x = *(const asr_finding *const *)a, *y = *(const asr_finding *const *)b;
    int c = strcmp(x->subject, y->subject);
    return c ? c : (x > y) - (x < y);
}

/* The first position in sorted (of n) whose subject is not below subject. */
static size_t lower_bound(const asr_finding *const *sorted, size_t n, const char *subject)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(sorted[mid]->subject, subject) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Whether text is a whole finite number; its value in *x. */
static int as_number(const char *text, double *x)
{
    char *end;
    if (!*text)
        return 0;
    errno = 0;
    *x = strtod(text, &end);
    return *end == '\0' && errno == 0 && *x == *x && *x - *x == 0;
}

/* Whether the expected value want (NULL: null) is the finding's value got
 * (NULL: absent): numbers as numbers, anything else as text. */
static int evidence_equal(const char *want, const asr_kv *got)
{
    if (!got || got->t == ASR_EV_NULL)
        return want == NULL;
    if (!want)
        return 0;
    double a, b;
    if ((got->t == ASR_EV_NUMBER || got->t == ASR_EV_INTEGER) && as_number(want, &a) &&
        as_number(got->v, &b))
        return a == b;
    return strcmp(want, got->v) == 0;
}

static int has_row(const asr_kv *rows, size_t n, const char *dataset, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].k, dataset) == 0 && strcmp(rows[i].v, key) == 0)
            return 1;
    return 0;
}

/* How the finding differs from the evidence and rows the expectation
 * gives; with b, each difference is described there, one a line. Returns
 * the number of differences. */
static size_t evidence_diff(const expect *x, const asr_finding *fi, asr_buf *b)
{
    size_t n = 0;
    for (size_t i = 0; i < x->n_evidence; i++) {
        const asr_kv *want = &x->evidence[i], *got = NULL;
        for (size_t j = 0; j < fi->n_evidence && !got; j++)
            if (strcmp(fi->evidence[j].k, want->k) == 0)
                got = &fi->evidence[j];
        if (evidence_equal(want->v, got))
            continue;
        n++;
        if (!b)
            continue;
        asr_buf_adds(b, "      expected evidence ");
        asr_buf_add_term(b, want->k, strlen(want->k));
        asr_buf_adds(b, " = ");
        if (want->v)
            asr_buf_add_term(b, want->v, strlen(want->v));
        else
            asr_buf_adds(b, "null");
        asr_buf_adds(b, ", got ");
        if (!got)
            asr_buf_adds(b, "no such evidence");
        else if (got->t == ASR_EV_NULL)
            asr_buf_adds(b, "null");
        else
            asr_buf_add_term(b, got->v, strlen(got->v));
        asr_buf_addc(b, '\n');
    }
    if (!x->has_rows)
        return n;
    for (size_t i = 0; i < x->n_rows; i++) {
        if (has_row(fi->rows, fi->n_rows, x->rows[i].k, x->rows[i].v))
            continue;
        n++;
        if (b) {
            asr_buf_adds(b, "      expected row ");
            asr_buf_add_term(b, x->rows[i].k, strlen(x->rows[i].k));
            asr_buf_addc(b, ' ');
            asr_buf_add_term(b, x->rows[i].v, strlen(x->rows[i].v));
            asr_buf_adds(b, ", not among the finding's rows\n");
        }
    }
    for (size_t i = 0; i < fi->n_rows; i++) {
        if (has_row(x->rows, x->n_rows, fi->rows[i].k, fi->rows[i].v))
            continue;
        n++;
        if (b) {
            asr_buf_adds(b, "      unexpected row ");
            asr_buf_add_term(b, fi->rows[i].k, strlen(fi->rows[i].k));
            asr_buf_addc(b, ' ');
            asr_buf_add_term(b, fi->rows[i].v, strlen(fi->rows[i].v));
            asr_buf_addc(b, '\n');
        }
    }
    return n;
}

/* Pairs each expected finding with the first unused actual one that fits it
 * (same subject; rule, severity and message if the case gives them), through
 * the findings sorted by subject: O((E + F) log F), not O(E * F). Lists what
 * is missing and what is unexpected in b, the first MAX_DETAIL of them.
 * Returns 1 if every one was paired. */
static int match_findings(const test_case *c, const asr_rule_result *res, const asr_finding *f,
                          size_t nf, asr_buf *b)
{
    const asr_finding **sorted = asr_xmalloc((nf + 1) * sizeof *sorted);
    for (size_t i = 0; i < nf; i++)
        sorted[i] = &f[i];
    qsort(sorted, nf, sizeof *sorted, cmp_by_subject);
    int *used = asr_xcalloc(nf + 1, sizeof *used), ok = 1;
    size_t listed = 0, more = 0;
    for (size_t e = 0; e < c->n_expects; e++) {
        const expect *x = &c->expects[e];
        size_t k = lower_bound(sorted, nf, x->subject);
        const asr_finding *near = NULL; /* fits but for its evidence or rows */
        for (; k < nf && strcmp(sorted[k]->subject, x->subject) == 0; k++) {
            const asr_finding *fi = sorted[k];
            const char *sev = asr_finding_severity(fi, &res[fi->rule].rule);
            if (used[fi - f] || (x->rule && strcmp(x->rule, res[fi->rule].rule.id) != 0) ||
                (x->severity && strcmp(x->severity, sev) != 0) ||
                (x->has_re && regexec(&x->re, fi->message, 0, NULL, 0) != 0))
                continue;
            if (evidence_diff(x, fi, NULL)) {
                if (!near)
                    near = fi;
                continue;
            }
            used[fi - f] = 1;
            break;
        }
        if (k < nf && strcmp(sorted[k]->subject, x->subject) == 0)
            continue; /* paired */
        ok = 0;
        if (near) {
            /* The finding is there but its evidence or rows differ: say how
             * (and do not list it again as unexpected). */
            used[near - f] = 1;
            if (listed == MAX_DETAIL) {
                more++;
                continue;
            }
            listed++;
            asr_buf_addf(b, "    differs:    %s ", res[near->rule].rule.id);
            asr_buf_add_term(b, near->subject, strlen(near->subject));
            asr_buf_addf(b, "  (expected at line %u)\n", x->loc.line);
            evidence_diff(x, near, b);
            continue;
        }
        if (listed == MAX_DETAIL) {
            more++;
            continue;
        }
        listed++;
        asr_buf_addf(b, "    missing:    %s%s%s", x->rule ? x->rule : "", x->rule ? " " : "",
                     x->subject);
        if (x->severity)
            asr_buf_addf(b, " [%s]", x->severity);
        if (x->message)
            asr_buf_addf(b, " message ~ /%s/", x->message);
        asr_buf_addf(b, "  (expected at line %u)\n", x->loc.line);
    }
    for (size_t i = 0; i < nf; i++) {
        if (used[i])
            continue;
        ok = 0;
        if (listed == MAX_DETAIL) {
            more++;
            continue;
        }
        listed++;
        const char *sev = asr_finding_severity(&f[i], &res[f[i].rule].rule);
        asr_buf_addf(b, "    unexpected: %s ", res[f[i].rule].rule.id);
        asr_buf_add_term(b, f[i].subject, strlen(f[i].subject));
        asr_buf_addf(b, " [%s] \"", sev);
        asr_buf_add_term(b, f[i].message, strlen(f[i].message));
        asr_buf_adds(b, "\"\n");
    }
    if (more)
        asr_buf_addf(b, "    ... and %zu more missing or unexpected finding%s\n", more,
                     more == 1 ? "" : "s");
    free(used);
    free(sorted);
    return ok;
}

/* The cells of the main map the rules of a passing case touched: the rows
 * of the datasets each read, in the case's database, and what it flagged. */
static void map_coverage(coverage *cov, const asr_map *m, const char *db,
                         const asr_rule_result *res, const int *run, size_t n, const asr_finding *f,
                         size_t nf)
{
    asr_diag quiet;
    asr_diag_init(&quiet, 1);
    asr_store *s = NULL;
    if (asr_store_open(db, ASR_STORE_READONLY, 1000, &quiet, &s) != ASR_OK)
        s = NULL;
    asr_mapcov_case_begin(cov->mc, m, s);
    for (size_t k = 0; k < n; k++) {
        if (!run[k] || res[k].fail != ASR_FAIL_NONE)
            continue;
        for (size_t i = 0; i < res[k].n_reads; i++)
            asr_mapcov_read(cov->mc, k, &res[k].rule, res[k].reads[i]);
    }
    for (size_t i = 0; i < nf; i++)
        if (f[i].rule < n && run[f[i].rule] && res[f[i].rule].fail == ASR_FAIL_NONE)
            asr_mapcov_flagged(cov->mc, f[i].rule, &res[f[i].rule].rule, &f[i]);
    asr_mapcov_case_end(cov->mc);
    asr_store_close(s);
    asr_diag_free(&quiet);
}

/* Mutation testing: alternative files for one rule, run beside it. */
typedef struct {
    size_t rule;
    const char *const *files;
    size_t n;
    asr_alt_outcome *out;
} alt_files;

/* Whether case c passes with these results and findings, the result of
 * rule `subst` (if < nres) taken from res[with] and its findings from
 * those of rule `with`. Writes what differs to b. */
static int case_passes(const test_case *c, asr_rule_result *res, const int *run, size_t nres,
                       size_t subst, size_t with, const asr_finding *f, size_t nf, asr_buf *b)
{
    int ok = 1;
    for (size_t k = 0; k < nres; k++) {
        if (!run[k])
            continue;
        const asr_rule_result *r = &res[k == subst ? with : k];
        if (r->fail != ASR_FAIL_NONE) {
            const char *kind = asr_fail_kind_name(r->fail);
            if (!c->expect_failure || strcmp(c->expect_failure, kind) != 0) {
                ok = 0;
                asr_buf_addf(b, "    rule %s failed (%s): ", r->rule.id, kind);
                term_line(b, r->fail_message ? r->fail_message : "");
            }
        } else if (c->expect_failure) {
            ok = 0;
            asr_buf_addf(b, "    expected rule %s to fail with kind %s, but it ran\n", r->rule.id,
                         c->expect_failure);
        }
    }
    /* The findings of the rules compared: those below nres, one substituted. */
    asr_finding *mine = asr_xmalloc((nf + 1) * sizeof *mine);
    size_t nm = 0;
    for (size_t i = 0; i < nf; i++) {
        size_t r = f[i].rule;
        if (r == with && subst < nres) {
            mine[nm] = f[i];
            mine[nm++].rule = subst;
        } else if (r < nres && r != subst) {
            mine[nm++] = f[i];
        }
    }
    if (!match_findings(c, res, mine, nm, b))
        ok = 0;
    free(mine);
    return ok;
}

static void run_case(const test_case *c, const asr_test_opts *o, coverage *cov, asr_diag *d,
                     case_result *out, const alt_files *alt)
{
    memset(out, 0, sizeof *out);
    size_t errors = d->errors;
    asr_map *m = NULL;
    /* a map kept from an earlier case: its parameters, which the case's
     * replace, are put back afterwards */
    int kept_map = 0;
    asr_param *map_params = NULL;
    size_t map_n_params = 0;
    const char *tmp = getenv("TMPDIR");
    asr_buf tdir = {0};
    asr_buf_addf(&tdir, "%s/assure-case-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tdir.data)) {
        asr_loc l = {c->file, c->loc.line, c->loc.col};
        asr_error(d, &l, NULL, "cannot make a temporary directory: %s", strerror(errno));
        out->error = 1;
        asr_buf_free(&tdir);
        return;
    }
    if (!c->map_path) {
        asr_error(d, &c->loc, c->name, "no map: give --map or 'map' in the test file");
        goto fail;
    }
    if ((m = map_cached(cov, c->map_path))) {
        kept_map = 1;
    } else {
        size_t problems = d->count;
        if (asr_map_load(c->map_path, d, &m) != ASR_OK)
            goto fail;
        if (d->count == problems) { /* no warning to repeat for the next case */
            map_keep(cov, c->map_path, m);
            kept_map = 1;
        }
    }
    map_params = m->params;
    map_n_params = m->n_params;

    /* The rules of the case, as fresh result slots sharing the metadata. */
    size_t n = cov->n_rules, na = alt ? alt->n : 0;
    asr_rule_result *res = asr_xcalloc(n + na, sizeof *res);
    int *run = asr_xcalloc(n + na, sizeof *run);
    for (size_t k = 0; k < n; k++) {
        res[k].rule = cov->rules[k].rule;
        res[k].loaded = cov->rules[k].loaded;
    }
    for (size_t j = 0; j < na; j++) { /* each alternative: the rule, another file */
        res[n + j].rule = cov->rules[alt->rule].rule;
        res[n + j].rule.file = (char *)alt->files[j];
        res[n + j].loaded = 1;
        run[n + j] = 1;
    }
    for (size_t r = 0; r < c->n_rules; r++) {
        size_t k = 0;
        while (k < n && strcmp(cov->rules[k].rule.id, c->rules[r]) != 0)
            k++;
        if (k == n) {
            char label[400];
            asr_error(d, &c->loc, c->name, "no rule '%s' in %s", c->rules[r],
                      asr_rules_path_label(o->rules_dir, label, sizeof label));
            goto fail_rules;
        }
        run[k] = 1;
    }
    if (apply_params(m, c, cov->rules, n, d))
        goto fail_rules;

    /* A fresh database with the case's data, checked like a real import. */
    asr_buf db = {0};
    asr_buf_addf(&db, "%s/case.db", tdir.data);
    const char *start = case_template(cov, m, tmp && *tmp ? tmp : "/tmp");
    if (start)
        copy_file(start, db.data); /* else the import makes the schema itself */
    int bad = 0;
    written before = {0}, now = {0};
    if (c->n_prev)
        bad = import_given(m, c->prev, c->n_prev, c->prev_as_of, "previous-", tdir.data, db.data, d,
                           &before);
    written_free(&before);
    if (!bad)
        bad = import_given(m, c->data, c->n_data, c->as_of, "", tdir.data, db.data, d, &now);

    if (!bad) {
        /* The check pipeline, on the case's map, rules and database. */
        asr_check chk = {0};
        chk.map = m;
        chk.rules = res;
        chk.n_rules = n + na;
        chk.run = run;
        asr_check_opts co = {0};
        co.db_path = db.data;
        co.as_of = c->as_of;
        co.format = ASR_FMT_TEXT;
        co.skip_integrity_check = 1; /* built a moment ago */
        co.skip_rules_hash = 1;      /* no report quotes it */
        co.compare_with = -1;        /* and with no history */
        co.runner = o->runner;
        size_t from = d->count;
        asr_check_execute(&chk, &co, d);
        for (size_t i = 0; i < now.n; i++) /* waivers that matched nothing */
            if (now.paths[i])
                relocate(d, from, now.paths[i], now.locs[i], now.nrows[i]);
        asr_finding *f = chk.findings;
        size_t nf = chk.n_findings;
        chk.map = NULL; /* the case's, freed below */
        chk.rules = NULL;
        chk.n_rules = 0;
        chk.run = NULL;
        /* Compare. */
        int ok = case_passes(c, res, run, n, n, n, f, nf, &out->detail);
        for (size_t j = 0; j < na; j++) {
            asr_buf scratch = {0};
            alt->out[j].passed = case_passes(c, res, run, n, alt->rule, n + j, f, nf, &scratch);
            alt->out[j].fail = res[n + j].fail;
            asr_buf_free(&scratch);
        }
        out->passed = ok;
        /* Coverage and behaviour, from every case that ran. */
        for (size_t k = 0; k < n; k++) {
            if (!run[k])
                continue;
            merge_coverage(cov, k, &res[k]);
            if (ok && res[k].fail == ASR_FAIL_NONE) {
                if (res[k].n_findings)
                    cov->fired[k]++;
                else
                    cov->quiet[k]++;
            }
        }
        if (ok && cov->want_map)
            map_coverage(cov, m, db.data, res, run, n, f, nf);
        asr_check_free(&chk);
    } else {
        out->error = 1;
    }
    asr_buf_free(&db);
    written_free(&now);
fail_rules:
    for (size_t k = 0; k < n + na; k++) {
        res[k].rule = (asr_rule){0}; /* shared metadata: not ours to free */
    }
    asr_rule_results_free(res, n + na);
    free(run);
fail:
    if (d->errors > errors)
        out->error = 1;
    if (kept_map) {
        m->params = map_params;
        m->n_params = map_n_params;
    } else {
        asr_map_free(m);
    }
    remove_tree(tdir.data);
    asr_buf_free(&tdir);
}

/* ---- coverage report ---- */

typedef struct {
    size_t lines_total, lines_run;
    size_t rules_both;
    double line_pct, behaviour_pct;
} cov_numbers;

static int reads(const coverage *cov, size_t k, const char *table)
{
    return asr_strset_has(&cov->reads[k], table, strlen(table));
}

static int declares(const coverage *cov, size_t k, const char *kind, const char *id)
{
    const asr_rule *r = &cov->rules[k].rule;
    for (size_t i = 0; i < r->n_covers; i++)
        if (strcmp(r->covers[i].kind, kind) == 0 && strcmp(r->covers[i].id, id) == 0)
            return 1;
    return 0;
}

static int tested(const coverage *cov, size_t k)
{
    return cov->fired[k] + cov->quiet[k] > 0;
}

#define BOTH (ASR_MC_FIRED | ASR_MC_QUIET)

/* What the tested rules do in one cell of the main map. */
typedef struct {
    size_t n_can, n_both;
    int required;
} cell_info;

static cell_info cell_of(const coverage *cov, const asr_map *m, size_t a, size_t l)
{
    cell_info ci = {0, 0, asr_mapcov_required(m, a, l)};
    for (size_t k = 0; k < cov->n_rules; k++) {
        unsigned b = asr_mapcov_cell(cov->mc, k, a, l);
        ci.n_can += (b & ASR_MC_CAN) != 0;
        ci.n_both += (b & BOTH) == BOTH;
    }
    return ci;
}

/* The ids of the rules whose bits in the cell include all of want, as
 * "a, b" (sep ", ") or, for JSON, as ["a", "b"]. */
static void cell_rules(const coverage *cov, size_t a, size_t l, unsigned want, asr_buf *out)
{
    asr_buf_clear(out);
    for (size_t k = 0; k < cov->n_rules; k++)
        if ((asr_mapcov_cell(cov->mc, k, a, l) & want) == want)
            asr_buf_addf(out, "%s%s", out->len ? ", " : "", cov->rules[k].rule.id);
}

static void json_rule_list(const coverage *cov, size_t a, size_t l, unsigned want, FILE *out)
{
    fputc('[', out);
    int first = 1;
    for (size_t k = 0; k < cov->n_rules; k++)
        if ((asr_mapcov_cell(cov->mc, k, a, l) & want) == want) {
            fputs(first ? "" : ", ", out);
            first = 0;
            asr_json_string(out, cov->rules[k].rule.id);
        }
    fputc(']', out);
}

/* The datasets of the map some tested rule read (or names in covers). */
static size_t datasets_read(const coverage *cov, const asr_map *m, asr_buf *missing)
{
    size_t n = 0;
    asr_buf_clear(missing);
    for (size_t i = 0; i < m->n_datasets; i++) {
        int got = 0;
        for (size_t k = 0; k < cov->n_rules && !got; k++)
            got = tested(cov, k) && (reads(cov, k, m->datasets[i].id) ||
                                     declares(cov, k, "datasets", m->datasets[i].id));
        if (got)
            n++;
        else
            asr_buf_addf(missing, "%s%s", missing->len ? ", " : "", m->datasets[i].id);
    }
    return n;
}

static cov_numbers numbers(const coverage *cov)
{
    cov_numbers n = {0, 0, 0, 100, 100};
    for (size_t k = 0; k < cov->n_rules; k++) {
        const asr_rule_result *r = &cov->rules[k];
        for (size_t i = 0; i < r->n_lines; i++) {
            n.lines_total += r->executable[i];
            n.lines_run += r->executable[i] && r->executed[i];
        }
        n.rules_both += cov->fired[k] && cov->quiet[k];
    }
    if (n.lines_total)
        n.line_pct = 100.0 * (double)n.lines_run / (double)n.lines_total;
    if (cov->n_rules)
        n.behaviour_pct = 100.0 * (double)n.rules_both / (double)cov->n_rules;
    return n;
}

/* Line ranges such as "12-14, 20". */
static void missed_lines(const asr_rule_result *r, asr_buf *out)
{
    asr_buf_clear(out);
    for (size_t i = 1; i < r->n_lines; i++) {
        if (!r->executable[i] || r->executed[i])
            continue;
        size_t j = i;
        while (j + 1 < r->n_lines && r->executable[j + 1] && !r->executed[j + 1])
            j++;
        if (j > i)
            asr_buf_addf(out, "%s%zu-%zu", out->len ? ", " : "", i, j);
        else
            asr_buf_addf(out, "%s%zu", out->len ? ", " : "", i);
        i = j;
    }
}

static void text_coverage(const coverage *cov, const asr_map *m, FILE *out)
{
    cov_numbers n = numbers(cov);
    asr_buf b = {0};
    fprintf(out, "\nRule code: %.1f%% of lines run (%zu of %zu)\n", n.line_pct, n.lines_run,
            n.lines_total);
    for (size_t k = 0; k < cov->n_rules; k++) {
        const asr_rule_result *r = &cov->rules[k];
        size_t total = 0, run = 0;
        for (size_t i = 0; i < r->n_lines; i++) {
            total += r->executable[i];
            run += r->executable[i] && r->executed[i];
        }
        missed_lines(r, &b);
        fprintf(out, "  %-30s %5.1f%%  %s%s\n", r->rule.id,
                total ? 100.0 * (double)run / (double)total : 0.0,
                b.len ? "never ran: lines " : (total ? "" : "no case ran it"), asr_buf_str(&b));
    }
    fprintf(out, "\nRule behaviour: %.1f%% of rules seen both firing and quiet (%zu of %zu)\n",
            n.behaviour_pct, n.rules_both, cov->n_rules);
    for (size_t k = 0; k < cov->n_rules; k++)
        if (!cov->fired[k] || !cov->quiet[k])
            fprintf(out, "  %-30s %s\n", cov->rules[k].rule.id,
                    !cov->fired[k] && !cov->quiet[k] ? "no passing case"
                    : !cov->fired[k]                 ? "never fires in a passing case"
                                                     : "never stays quiet in a passing case");
    if (!m)
        goto done;
    asr_mapcov_numbers mn = asr_mapcov_count(cov->mc);
    fprintf(out,
            "\nThe map: %.1f%% of required cells tested (%zu of %zu: a rule seen firing and "
            "quiet there)\n",
            mn.percent, mn.required_tested, mn.required);
    fprintf(out, "  required cells with a rule that can fire there: %zu of %zu\n",
            mn.required_covered, mn.required);
    fprintf(out, "  all cells with a rule that can fire there:      %zu of %zu (tested: %zu)\n",
            mn.covered, mn.cells, mn.tested);
    asr_buf missing = {0};
    size_t nds = datasets_read(cov, m, &missing);
    fprintf(out, "  datasets read by a tested rule: %zu of %zu%s%s\n", nds, m->n_datasets,
            missing.len ? "; never read: " : "", asr_buf_str(&missing));
    asr_buf_free(&missing);
    if (mn.required_covered < mn.required) {
        fputs("  REQUIRED CELLS NO RULE CAN FIRE IN:", out);
        for (size_t a = 0; a < m->n_areas; a++)
            for (size_t l = 0; l < m->n_lines; l++) {
                cell_info ci = cell_of(cov, m, a, l);
                if (ci.required && !ci.n_can)
                    fprintf(out, " %s/%s", m->areas[a].id, m->lines[l].id);
            }
        fputs("\n", out);
    }
    fprintf(out, "\nCoverage matrix (area x line: the rules that can fire in each cell, with + "
                 "after one seen firing and quiet there; * = a line the area requires)\n");
    for (size_t a = 0; a < m->n_areas; a++) {
        fprintf(out, "  %s\n", m->areas[a].id);
        for (size_t l = 0; l < m->n_lines; l++) {
            cell_info ci = cell_of(cov, m, a, l);
            fprintf(out, "    %s%-4s ", ci.required ? "*" : " ", m->lines[l].id);
            if (!ci.n_can) {
                fputs(ci.required ? "NOT COVERED: no rule can fire here (required)\n" : "-\n", out);
                continue;
            }
            fprintf(out, "%zu rule%s, %zu tested%s:", ci.n_can, ci.n_can == 1 ? "" : "s", ci.n_both,
                    ci.required && !ci.n_both ? " (required: UNTESTED)" : "");
            for (size_t k = 0; k < cov->n_rules; k++) {
                unsigned bits = asr_mapcov_cell(cov->mc, k, a, l);
                if (bits & ASR_MC_CAN)
                    fprintf(out, " %s%s", cov->rules[k].rule.id, (bits & BOTH) == BOTH ? "+" : "");
            }
            fputs("\n", out);
        }
    }
done:
    asr_buf_free(&b);
}

static void json_coverage(const coverage *cov, const asr_map *m, FILE *out)
{
    cov_numbers n = numbers(cov);
    asr_buf b = {0};
    fprintf(out,
            ",\n  \"coverage\": {\"line_percent\": %.1f, \"lines_run\": %zu, \"lines\": %zu, "
            "\"behaviour_percent\": %.1f,\n    \"rules\": [",
            n.line_pct, n.lines_run, n.lines_total, n.behaviour_pct);
    for (size_t k = 0; k < cov->n_rules; k++) {
        const asr_rule_result *r = &cov->rules[k];
        missed_lines(r, &b);
        fprintf(out, "%s\n      {\"id\": ", k ? "," : "");
        asr_json_string(out, r->rule.id);
        fprintf(out, ", \"fired\": %d, \"quiet\": %d, \"lines_not_run\": ", cov->fired[k],
                cov->quiet[k]);
        asr_json_string(out, asr_buf_str(&b));
        size_t cells = 0;
        if (m)
            for (size_t a = 0; a < m->n_areas; a++)
                for (size_t l = 0; l < m->n_lines; l++)
                    cells += (asr_mapcov_cell(cov->mc, k, a, l) & ASR_MC_CAN) != 0;
        fprintf(out, ", \"map_cells\": %zu}", cells);
    }
    fputs("\n    ]", out);
    if (m) {
        asr_mapcov_numbers mn = asr_mapcov_count(cov->mc);
        fprintf(out,
                ",\n    \"map\": {\"percent\": %.1f, \"cells\": %zu, \"covered\": %zu, "
                "\"tested\": %zu, \"required\": %zu, \"required_covered\": %zu, "
                "\"required_tested\": %zu, \"datasets\": %zu, \"datasets_read\": %zu,\n"
                "      \"required_uncovered\": [",
                mn.percent, mn.cells, mn.covered, mn.tested, mn.required, mn.required_covered,
                mn.required_tested, m->n_datasets, datasets_read(cov, m, &b));
        for (int pass = 0; pass < 2; pass++) {
            int first = 1;
            for (size_t a = 0; a < m->n_areas; a++)
                for (size_t l = 0; l < m->n_lines; l++) {
                    cell_info ci = cell_of(cov, m, a, l);
                    if (!ci.required || (pass == 0 ? ci.n_can != 0 : ci.n_both != 0))
                        continue;
                    fputs(first ? "{\"area\": " : ", {\"area\": ", out);
                    first = 0;
                    asr_json_string(out, m->areas[a].id);
                    fputs(", \"line\": ", out);
                    asr_json_string(out, m->lines[l].id);
                    fputs("}", out);
                }
            fputs(pass == 0 ? "],\n      \"required_untested\": [" : "]}", out);
        }
        fputs(",\n    \"matrix\": [", out);
        int first = 1;
        for (size_t a = 0; a < m->n_areas; a++)
            for (size_t l = 0; l < m->n_lines; l++) {
                cell_info ci = cell_of(cov, m, a, l);
                fprintf(out, "%s\n      {\"area\": ", first ? "" : ",");
                first = 0;
                asr_json_string(out, m->areas[a].id);
                fputs(", \"line\": ", out);
                asr_json_string(out, m->lines[l].id);
                fprintf(out,
                        ", \"required\": %s, \"status\": \"%s\", \"n_rules\": %zu, "
                        "\"n_tested\": %zu, \"rules\": ",
                        ci.required ? "true" : "false",
                        ci.n_both  ? "tested"
                        : ci.n_can ? "untested"
                                   : "uncovered",
                        ci.n_can, ci.n_both);
                json_rule_list(cov, a, l, ASR_MC_CAN, out);
                fputs(", \"tested_by\": ", out);
                json_rule_list(cov, a, l, BOTH, out);
                fputs(", \"fired\": ", out);
                json_rule_list(cov, a, l, ASR_MC_FIRED, out);
                fputs(", \"quiet\": ", out);
                json_rule_list(cov, a, l, ASR_MC_QUIET, out);
                fputs("}", out);
            }
        fputs("\n    ]", out);
    }
    fputs("}", out);
    asr_buf_free(&b);
}

static void html_escape(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            fputs("&lt;", out);
        else if (*s == '>')
            fputs("&gt;", out);
        else if (*s == '&')
            fputs("&amp;", out);
        else if (*s == '"')
            fputs("&quot;", out);
        else
            fputc(*s, out);
    }
}

static void html_coverage(const coverage *cov, const asr_map *m, FILE *out)
{
    cov_numbers n = numbers(cov);
    asr_buf b = {0};
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<title>Rule coverage of the assurance map</title>\n<style>\n"
          "body{font-family:system-ui,sans-serif;margin:2em;color:#222}\n"
          "table{border-collapse:collapse;margin:1em 0}\n"
          "th,td{border:1px solid #bbb;padding:.3em .6em;text-align:left;vertical-align:top}\n"
          "th{background:#eee}\ntd.gap{background:#fde2e2}\ntd.ok{background:#e3f4e1}\n"
          "td.part{background:#fdf3d6}\ntd.none{background:#f4f4f4;color:#777}\n"
          "td.req{border:2px solid #444}\n"
          ".n{font-size:1.3em;font-weight:bold}\n.warn{color:#a00;font-weight:bold}\n"
          ".small{color:#666;font-size:.9em}\n</style></head><body>\n",
          out);
    fputs("<h1>Rule coverage of the assurance map</h1>\n<p>", out);
    if (m)
        html_escape(out, m->org_name);
    fprintf(out,
            ". Rule code: %.1f%% of lines run (%zu of %zu). Rules seen both firing and "
            "quiet: %.1f%%.</p>\n",
            n.line_pct, n.lines_run, n.lines_total, n.behaviour_pct);
    if (m) {
        asr_mapcov_numbers mn = asr_mapcov_count(cov->mc);
        fprintf(out,
                "<p>Required cells tested (a rule seen firing and quiet there): <b>%zu of %zu "
                "(%.1f%%)</b>. Required cells no rule can fire in: <b>%zu</b>.</p>\n",
                mn.required_tested, mn.required, mn.percent, mn.required - mn.required_covered);
        fputs("<p class=\"small\">Each cell counts the tested rules that can fire there: rules "
              "that read rows of that area and line in their test cases, flagged a finding "
              "there, or name it in <code>covers</code>. The second number counts those seen "
              "both firing and quiet there. Green: tested. Amber: a rule can fire but none was "
              "seen both ways. Red: a required cell no rule can fire in. Grey: no rule, not "
              "required. A thick border and the word REQUIRED mark a line "
              "the area requires.</p>\n"
              "<table><tr><th>Area</th>",
              out);
        for (size_t l = 0; l < m->n_lines; l++) {
            fputs("<th>", out);
            html_escape(out, m->lines[l].name ? m->lines[l].name : m->lines[l].id);
            fputs("</th>", out);
        }
        fputs("</tr>\n", out);
        for (size_t a = 0; a < m->n_areas; a++) {
            fputs("<tr><th>", out);
            html_escape(out, m->areas[a].title ? m->areas[a].title : m->areas[a].id);
            fputs(" <span class=\"small\">", out);
            html_escape(out, m->areas[a].id);
            fputs("</span></th>", out);
            for (size_t l = 0; l < m->n_lines; l++) {
                cell_info ci = cell_of(cov, m, a, l);
                fprintf(out, "<td class=\"%s%s\">",
                        ci.n_both     ? "ok"
                        : ci.n_can    ? "part"
                        : ci.required ? "gap"
                                      : "none",
                        ci.required ? " req" : "");
                if (ci.required)
                    fputs("<div class=\"small\">REQUIRED</div>", out);
                if (!ci.n_can) {
                    fputs(ci.required ? "<span class=\"warn\">NOT COVERED: no rule</span>"
                                      : "no rule",
                          out);
                } else {
                    fprintf(out,
                            "<span class=\"n\">%zu</span> rule%s, %zu tested%s<div "
                            "class=\"small\">",
                            ci.n_can, ci.n_can == 1 ? "" : "s", ci.n_both,
                            ci.required && !ci.n_both ? " <span class=\"warn\">UNTESTED</span>"
                                                      : "");
                    cell_rules(cov, a, l, ASR_MC_CAN, &b);
                    html_escape(out, asr_buf_str(&b));
                    fputs("</div>", out);
                }
                fputs("</td>", out);
            }
            fputs("</tr>\n", out);
        }
        fputs("</table>\n", out);
    }
    fputs("<h2>Rules</h2>\n<table><tr><th>Rule</th><th>Fires</th><th>Quiet</th><th>Lines "
          "never run</th></tr>\n",
          out);
    for (size_t k = 0; k < cov->n_rules; k++) {
        missed_lines(&cov->rules[k], &b);
        fputs("<tr><td>", out);
        html_escape(out, cov->rules[k].rule.id);
        fprintf(out, "</td><td class=\"%s\">%d</td><td class=\"%s\">%d</td><td>",
                cov->fired[k] ? "ok" : "gap", cov->fired[k], cov->quiet[k] ? "ok" : "gap",
                cov->quiet[k]);
        html_escape(out, asr_buf_str(&b));
        fputs("</td></tr>\n", out);
    }
    fputs("</table>\n</body></html>\n", out);
    asr_buf_free(&b);
}
/* ---- the whole run ---- */

static void xml_escape(FILE *out, const char *s)
{
    html_escape(out, s);
}

asr_status asr_ruletest_run(const asr_test_opts *o, FILE *out, asr_diag *d)
{
    asr_status st = ASR_OK;
    suite s = {0};
    coverage cov = {0};
    asr_map *main_map = NULL;
    case_result *results = NULL;
    asr_inputs inputs = {0}; /* what the coverage page and --output may not replace */

    /* Rules, validated against the default map (or the first case's). */
    size_t nfiles;
    char **files = test_files(o->rules_dir, &nfiles);
    for (size_t i = 0; i < nfiles; i++)
        load_test_file(files[i], o->map_path, d, &s);
    for (size_t i = 0; i < nfiles; i++) {
        asr_inputs_add(&inputs, files[i], "a test file");
        free(files[i]);
    }
    free(files);
    if (d->errors) {
        st = ASR_E_CONFIG;
        goto done;
    }
    if (nfiles == 0) {
        char label[400];
        asr_loc l = {asr_rules_path_label(o->rules_dir, label, sizeof label), 0, 0};
        asr_error(d, &l, NULL, "no test files (*.test.yaml) here");
        st = ASR_E_NOINPUT;
        goto done;
    }
    const char *map_path = o->map_path ? o->map_path : s.n_cases ? s.cases[0].map_path : NULL;
    if (!map_path) {
        asr_error(d, NULL, NULL, "no map: give --map or 'map' in the test files");
        st = ASR_E_USAGE;
        goto done;
    }
    if ((st = asr_map_load(map_path, d, &main_map)) != ASR_OK)
        goto done;
    asr_runner_opts ro = o->runner;
    ro.coverage = 1;
    if ((st = asr_runner_load_dir(o->rules_dir, main_map, &ro, d, &cov.rules, &cov.n_rules)) !=
        ASR_OK)
        goto done;
    for (size_t i = 0; i < main_map->n_files; i++)
        asr_inputs_add(&inputs, main_map->files[i], i ? "a file the map includes" : "the map");
    for (size_t i = 0; i < s.n_cases; i++)
        asr_inputs_add(&inputs, s.cases[i].map_path, "a test case's map");
    for (size_t i = 0; i < cov.n_rules; i++)
        asr_inputs_add(&inputs, cov.rules[i].rule.file, "a rule file");
    if (o->html && (st = asr_outfile_check(o->html, "--coverage-html", &inputs, d)) != ASR_OK)
        goto done;
    if (o->output && (st = asr_outfile_check(o->output, "--output", &inputs, d)) != ASR_OK)
        goto done;
    cov.fired = asr_xcalloc(cov.n_rules, sizeof *cov.fired);
    cov.quiet = asr_xcalloc(cov.n_rules, sizeof *cov.quiet);
    cov.reads = asr_xcalloc(cov.n_rules, sizeof *cov.reads);
    cov.mc = asr_mapcov_new(main_map, cov.n_rules);
    cov.want_map = o->coverage || o->html;

    asr_test_opts run_opts = *o;
    run_opts.runner.coverage = 1;
    results = asr_xcalloc(s.n_cases ? s.n_cases : 1, sizeof *results);
    size_t passed = 0, failed = 0, skipped = 0, errors_before = d->errors;
    for (size_t i = 0; i < s.n_cases; i++) {
        const test_case *c = &s.cases[i];
        int selected = !o->filter || strstr(c->name, o->filter) != NULL;
        for (size_t r = 0; r < c->n_rules && !selected; r++)
            selected = strstr(c->rules[r], o->filter) != NULL;
        if (!selected) {
            results[i].error = -1;
            skipped++;
            continue;
        }
        run_case(c, &run_opts, &cov, d, &results[i], NULL);
        if (results[i].passed)
            passed++;
        else
            failed++;
    }
    if (d->errors > errors_before) {
        st = ASR_E_CONFIG; /* bad test data or parameters: a bad test file */
        goto done;
    }

    for (size_t k = 0; k < cov.n_rules; k++)
        if (tested(&cov, k))
            asr_mapcov_declare(cov.mc, k, &cov.rules[k].rule);
    cov_numbers num = numbers(&cov);
    asr_mapcov_numbers map_num = asr_mapcov_count(cov.mc);
    int below = o->min_coverage >= 0 &&
                (num.line_pct < o->min_coverage || num.behaviour_pct < o->min_coverage);
    int map_below = o->min_map_coverage >= 0 && map_num.percent < o->min_map_coverage;
    /* The report: to the --output file, atomically, or to out. */
    asr_outfile report;
    if (o->output) {
        if ((st = asr_outfile_open(&report, o->output, "--output", &inputs, d)) != ASR_OK)
            goto done;
        out = report.f;
    }
    if (o->format == ASR_TEST_TEXT) {
        for (size_t i = 0; i < s.n_cases; i++) {
            if (results[i].error < 0)
                continue;
            const test_case *c = &s.cases[i];
            fprintf(out, "%s %s:%u: %s\n", results[i].passed ? "PASS" : "FAIL", c->file,
                    c->loc.line, c->name);
            if (!results[i].passed)
                fputs(asr_buf_str(&results[i].detail), out);
        }
        if (o->coverage)
            text_coverage(&cov, main_map, out);
        fprintf(out, "\n%zu passed, %zu failed", passed, failed);
        if (skipped)
            fprintf(out, ", %zu skipped", skipped);
        fputs("\n", out);
        if (below)
            fprintf(out, "coverage below --min-coverage %.1f%%: lines %.1f%%, behaviour %.1f%%\n",
                    o->min_coverage, num.line_pct, num.behaviour_pct);
        if (map_below)
            fprintf(out,
                    "map coverage below --min-map-coverage %.1f%%: %.1f%% of required cells "
                    "tested (%zu of %zu)\n",
                    o->min_map_coverage, map_num.percent, map_num.required_tested,
                    map_num.required);
    } else if (o->format == ASR_TEST_JSON) {
        fprintf(out, "{\n  \"passed\": %zu, \"failed\": %zu, \"skipped\": %zu,\n  \"cases\": [",
                passed, failed, skipped);
        int first = 1;
        for (size_t i = 0; i < s.n_cases; i++) {
            if (results[i].error < 0)
                continue;
            fprintf(out, "%s\n    {\"file\": ", first ? "" : ",");
            first = 0;
            asr_json_string(out, s.cases[i].file);
            fprintf(out, ", \"line\": %u, \"name\": ", s.cases[i].loc.line);
            asr_json_string(out, s.cases[i].name);
            fprintf(out, ", \"passed\": %s, \"detail\": ", results[i].passed ? "true" : "false");
            asr_json_string(out, asr_buf_str(&results[i].detail));
            fputs("}", out);
        }
        fputs("\n  ]", out);
        if (o->coverage)
            json_coverage(&cov, main_map, out);
        fputs("\n}\n", out);
    } else {
        fprintf(out,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<testsuites name=\"assure rule tests\" tests=\"%zu\" failures=\"%zu\">\n",
                passed + failed, failed);
        const char *open_file = NULL;
        for (size_t i = 0; i < s.n_cases; i++) {
            if (results[i].error < 0)
                continue;
            const test_case *c = &s.cases[i];
            if (!open_file || strcmp(open_file, c->file) != 0) {
                if (open_file)
                    fputs("  </testsuite>\n", out);
                size_t t = 0, f = 0;
                for (size_t k = i; k < s.n_cases && strcmp(s.cases[k].file, c->file) == 0; k++)
                    if (results[k].error >= 0)
                        t++, f += !results[k].passed;
                fputs("  <testsuite name=\"", out);
                xml_escape(out, c->file);
                fprintf(out, "\" tests=\"%zu\" failures=\"%zu\">\n", t, f);
                open_file = c->file;
            }
            fputs("    <testcase classname=\"", out);
            xml_escape(out, c->file);
            fputs("\" name=\"", out);
            xml_escape(out, c->name);
            if (results[i].passed) {
                fputs("\"/>\n", out);
            } else {
                fputs("\">\n      <failure message=\"findings differ from the expected ones\">",
                      out);
                xml_escape(out, asr_buf_str(&results[i].detail));
                fputs("</failure>\n    </testcase>\n", out);
            }
        }
        if (open_file)
            fputs("  </testsuite>\n", out);
        fputs("</testsuites>\n", out);
    }
    if (o->output) {
        st = ferror(report.f) ? asr_outfile_fail(&report, d)
                              : asr_outfile_commit(&report, "--output", &inputs, d);
        if (st != ASR_OK)
            goto done;
    }
    if (o->html) {
        /* atomically, like every output, and never over an input */
        asr_outfile h;
        if ((st = asr_outfile_open(&h, o->html, "--coverage-html", &inputs, d)) != ASR_OK)
            goto done;
        html_coverage(&cov, main_map, h.f);
        st = ferror(h.f) ? asr_outfile_fail(&h, d)
                         : asr_outfile_commit(&h, "--coverage-html", &inputs, d);
        if (st != ASR_OK)
            goto done;
    }
    st = failed || below || map_below ? ASR_FINDINGS : ASR_OK;
done:
    asr_inputs_free(&inputs);
    if (results)
        for (size_t i = 0; i < s.n_cases; i++)
            asr_buf_free(&results[i].detail);
    free(results);
    for (size_t k = 0; cov.reads && k < cov.n_rules; k++)
        asr_strset_free(&cov.reads[k]);
    free(cov.reads);
    free(cov.fired);
    free(cov.quiet);
    asr_mapcov_free(cov.mc);
    map_cache_free(&cov);
    empty_db_free(&cov);
    asr_rule_results_free(cov.rules, cov.n_rules);
    asr_map_free(main_map);
    free_suite(&s);
    return st;
}

/* ---- for mutation testing ---- */

struct asr_ruletest {
    asr_test_opts o;
    suite s;
    coverage cov;
    asr_map *map;
};

asr_status asr_ruletest_open(const asr_test_opts *o, asr_diag *d, asr_ruletest **out)
{
    asr_ruletest *t = asr_xcalloc(1, sizeof *t);
    *out = t;
    t->o = *o;
    size_t nfiles;
    char **files = test_files(o->rules_dir, &nfiles);
    for (size_t i = 0; i < nfiles; i++) {
        load_test_file(files[i], o->map_path, d, &t->s);
        free(files[i]);
    }
    free(files);
    if (d->errors)
        return ASR_E_CONFIG;
    if (nfiles == 0) {
        char label[400];
        asr_loc l = {asr_rules_path_label(o->rules_dir, label, sizeof label), 0, 0};
        asr_error(d, &l, NULL, "no test files (*.test.yaml) here");
        return ASR_E_NOINPUT;
    }
    const char *map_path = o->map_path ? o->map_path : t->s.cases[0].map_path;
    if (!map_path) {
        asr_error(d, NULL, NULL, "no map: give --map or 'map' in the test files");
        return ASR_E_USAGE;
    }
    asr_status st = asr_map_load(map_path, d, &t->map);
    if (st == ASR_OK)
        st = asr_runner_load_dir(o->rules_dir, t->map, &o->runner, d, &t->cov.rules,
                                 &t->cov.n_rules);
    if (st != ASR_OK)
        return st;
    t->cov.fired = asr_xcalloc(t->cov.n_rules + 1, sizeof *t->cov.fired);
    t->cov.quiet = asr_xcalloc(t->cov.n_rules + 1, sizeof *t->cov.quiet);
    t->cov.reads = asr_xcalloc(t->cov.n_rules + 1, sizeof *t->cov.reads);
    return ASR_OK;
}

void asr_ruletest_close(asr_ruletest *t)
{
    if (!t)
        return;
    for (size_t k = 0; t->cov.reads && k < t->cov.n_rules; k++)
        asr_strset_free(&t->cov.reads[k]);
    free(t->cov.reads);
    free(t->cov.fired);
    free(t->cov.quiet);
    map_cache_free(&t->cov);
    empty_db_free(&t->cov);
    asr_rule_results_free(t->cov.rules, t->cov.n_rules);
    asr_map_free(t->map);
    free_suite(&t->s);
    free(t);
}

const asr_rule_result *asr_ruletest_rules(const asr_ruletest *t, size_t *n)
{
    *n = t->cov.n_rules;
    return t->cov.rules;
}

size_t asr_ruletest_n_cases(const asr_ruletest *t)
{
    return t->s.n_cases;
}

int asr_ruletest_case(const asr_ruletest *t, size_t i, size_t k, const char **file, unsigned *line,
                      const char **name)
{
    const test_case *c = &t->s.cases[i];
    const char *f = t->o.filter;
    int selected = !f || strstr(c->name, f) != NULL, runs = 0;
    for (size_t r = 0; r < c->n_rules; r++) {
        selected |= f && strstr(c->rules[r], f) != NULL;
        runs |= k < t->cov.n_rules && t->cov.rules[k].rule.id &&
                strcmp(c->rules[r], t->cov.rules[k].rule.id) == 0;
    }
    *file = c->file;
    *line = c->loc.line;
    *name = c->name;
    return selected && runs;
}

asr_status asr_ruletest_try(asr_ruletest *t, size_t i, size_t k, const char *const *alt,
                            size_t n_alt, int *passed, asr_alt_outcome *out, asr_diag *d)
{
    for (size_t j = 0; j < n_alt; j++)
        out[j] = (asr_alt_outcome){-1, ASR_FAIL_NONE};
    alt_files a = {k, alt, n_alt, out};
    case_result r;
    run_case(&t->s.cases[i], &t->o, &t->cov, d, &r, &a);
    *passed = r.passed;
    asr_buf_free(&r.detail);
    return r.error ? ASR_E_CONFIG : ASR_OK;
}

void asr_ruletest_inputs(const asr_ruletest *t, asr_inputs *in)
{
    for (size_t i = 0; i < t->s.n_cases; i++) {
        asr_inputs_add(in, t->s.cases[i].file, "a test file");
        asr_inputs_add(in, t->s.cases[i].map_path, "a test case's map");
    }
    for (size_t i = 0; t->map && i < t->map->n_files; i++)
        asr_inputs_add(in, t->map->files[i], i ? "a file the map includes" : "the map");
    for (size_t i = 0; i < t->cov.n_rules; i++)
        asr_inputs_add(in, t->cov.rules[i].rule.file, "a rule file");
}
