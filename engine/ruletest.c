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

static void read_case(asr_diag *d, const char *file, const asr_ynode *n, size_t index,
                      char **file_rules, size_t n_file_rules, const char *file_map, test_case *c)
{
    static const char *const keys[] = {"name",   "rule",           "rules",    "as_of",
                                       "map",    "params",         "data",     "files",
                                       "expect", "expect_failure", "previous", NULL};
    static const char *const expect_keys[] = {"subject", "rule", "severity", "message", NULL};
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

typedef struct {
    asr_rule_result *rules; /* all rules of the directory */
    size_t n_rules;
    int *fired, *quiet; /* per rule, over passing cases */
    asr_strset *reads;  /* per rule */
} coverage;

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
        asr_status st = asr_store_open(db, ASR_STORE_CREATE, 1000, d, &s);
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
        for (; k < nf && strcmp(sorted[k]->subject, x->subject) == 0; k++) {
            const asr_finding *fi = sorted[k];
            const char *sev = asr_finding_severity(fi, &res[fi->rule].rule);
            if (used[fi - f] || (x->rule && strcmp(x->rule, res[fi->rule].rule.id) != 0) ||
                (x->severity && strcmp(x->severity, sev) != 0) ||
                (x->has_re && regexec(&x->re, fi->message, 0, NULL, 0) != 0))
                continue;
            used[fi - f] = 1;
            break;
        }
        if (k < nf && strcmp(sorted[k]->subject, x->subject) == 0)
            continue; /* paired */
        ok = 0;
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

static void run_case(const test_case *c, const asr_test_opts *o, coverage *cov, asr_diag *d,
                     case_result *out)
{
    memset(out, 0, sizeof *out);
    size_t errors = d->errors;
    asr_map *m = NULL;
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
    if (asr_map_load(c->map_path, d, &m) != ASR_OK)
        goto fail;

    /* The rules of the case, as fresh result slots sharing the metadata. */
    size_t n = cov->n_rules;
    asr_rule_result *res = asr_xcalloc(n, sizeof *res);
    int *run = asr_xcalloc(n, sizeof *run);
    for (size_t k = 0; k < n; k++) {
        res[k].rule = cov->rules[k].rule;
        res[k].loaded = cov->rules[k].loaded;
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
        chk.n_rules = n;
        chk.run = run;
        asr_check_opts co = {0};
        co.db_path = db.data;
        co.as_of = c->as_of;
        co.format = ASR_FMT_TEXT;
        co.skip_integrity_check = 1; /* built a moment ago */
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
        int ok = 1;
        asr_buf *b = &out->detail;
        for (size_t k = 0; k < n; k++) {
            if (!run[k])
                continue;
            if (res[k].fail != ASR_FAIL_NONE) {
                const char *kind = asr_fail_kind_name(res[k].fail);
                if (!c->expect_failure || strcmp(c->expect_failure, kind) != 0) {
                    ok = 0;
                    asr_buf_addf(b, "    rule %s failed (%s): ", res[k].rule.id, kind);
                    term_line(b, res[k].fail_message ? res[k].fail_message : "");
                }
            } else if (c->expect_failure) {
                ok = 0;
                asr_buf_addf(b, "    expected rule %s to fail with kind %s, but it ran\n",
                             res[k].rule.id, c->expect_failure);
            }
        }
        if (!match_findings(c, res, f, nf, b))
            ok = 0;
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
        asr_check_free(&chk);
    } else {
        out->error = 1;
    }
    asr_buf_free(&db);
    written_free(&now);
fail_rules:
    for (size_t k = 0; k < n; k++) {
        res[k].rule = (asr_rule){0}; /* shared metadata: not ours to free */
    }
    asr_rule_results_free(res, n);
    free(run);
fail:
    if (d->errors > errors)
        out->error = 1;
    asr_map_free(m);
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

static int rule_covers(const coverage *cov, size_t k, const char *kind, const char *id)
{
    const asr_rule *r = &cov->rules[k].rule;
    for (size_t i = 0; i < r->n_covers; i++)
        if (strcmp(r->covers[i].kind, kind) == 0 && strcmp(r->covers[i].id, id) == 0)
            return 1;
    if (strcmp(kind, "areas") == 0)
        return reads(cov, k, "map_areas") || reads(cov, k, "map_area_lines") ||
               reads(cov, k, "map_source_areas");
    if (strcmp(kind, "sources") == 0)
        return reads(cov, k, "map_sources") || reads(cov, k, "map_source_areas");
    if (strcmp(kind, "lines") == 0)
        return reads(cov, k, "map_lines") || reads(cov, k, "map_area_lines");
    if (strcmp(kind, "principles") == 0)
        return reads(cov, k, "map_principles");
    if (strcmp(kind, "datasets") == 0)
        return reads(cov, k, id);
    return 0;
}

static int tested(const coverage *cov, size_t k)
{
    return cov->fired[k] + cov->quiet[k] > 0;
}

static void covering_rules(const coverage *cov, const char *kind, const char *id, const char *kind2,
                           const char *id2, asr_buf *out)
{
    asr_buf_clear(out);
    for (size_t k = 0; k < cov->n_rules; k++) {
        if (!tested(cov, k) || !rule_covers(cov, k, kind, id))
            continue;
        if (kind2 && !rule_covers(cov, k, kind2, id2))
            continue;
        asr_buf_addf(out, "%s%s", out->len ? ", " : "", cov->rules[k].rule.id);
    }
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
    fprintf(out, "\nThe map: what the tested rules cover\n");
    static const char *const kinds[] = {"areas", "sources", "lines", "principles"};
    for (int kind = 0; kind < 4; kind++) {
        size_t count = kind == 0   ? m->n_areas
                       : kind == 1 ? m->n_sources
                       : kind == 2 ? m->n_lines
                                   : m->n_principles;
        size_t uncovered = 0;
        asr_buf list = {0};
        for (size_t i = 0; i < count; i++) {
            const char *id = kind == 0   ? m->areas[i].id
                             : kind == 1 ? m->sources[i].id
                             : kind == 2 ? m->lines[i].id
                                         : m->principles[i].id;
            covering_rules(cov, kinds[kind], id, NULL, NULL, &b);
            if (!b.len) {
                uncovered++;
                asr_buf_addf(&list, "%s%s", list.len ? ", " : "", id);
            }
        }
        fprintf(out, "  %-10s %zu of %zu covered%s%s\n", kinds[kind], count - uncovered, count,
                uncovered ? "; not covered: " : "", asr_buf_str(&list));
        asr_buf_free(&list);
    }
    fprintf(out, "\nCoverage matrix (area x line: the rules covering each cell; * = a line the "
                 "area requires)\n");
    for (size_t a = 0; a < m->n_areas; a++) {
        fprintf(out, "  %s\n", m->areas[a].id);
        for (size_t l = 0; l < m->n_lines; l++) {
            int req = 0;
            for (size_t k = 0; k < m->areas[a].n_required_lines; k++)
                req |= strcmp(m->areas[a].required_lines[k], m->lines[l].id) == 0;
            covering_rules(cov, "areas", m->areas[a].id, "lines", m->lines[l].id, &b);
            fprintf(out, "    %s%-4s %s\n", req ? "*" : " ", m->lines[l].id,
                    b.len ? asr_buf_str(&b) : "-");
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
        fputs("}", out);
    }
    fputs("\n    ]", out);
    if (m) {
        fputs(",\n    \"matrix\": [", out);
        int first = 1;
        for (size_t a = 0; a < m->n_areas; a++)
            for (size_t l = 0; l < m->n_lines; l++) {
                covering_rules(cov, "areas", m->areas[a].id, "lines", m->lines[l].id, &b);
                fprintf(out, "%s\n      {\"area\": ", first ? "" : ",");
                first = 0;
                asr_json_string(out, m->areas[a].id);
                fputs(", \"line\": ", out);
                asr_json_string(out, m->lines[l].id);
                fputs(", \"rules\": ", out);
                asr_json_string(out, asr_buf_str(&b));
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
          "td.req{font-weight:bold}\n.small{color:#666;font-size:.9em}\n</style></head><body>\n",
          out);
    fputs("<h1>Rule coverage of the assurance map</h1>\n<p>", out);
    if (m)
        html_escape(out, m->org_name);
    fprintf(out,
            ". Rule code: %.1f%% of lines run (%zu of %zu). Rules seen both firing and "
            "quiet: %.1f%%.</p>\n",
            n.line_pct, n.lines_run, n.lines_total, n.behaviour_pct);
    if (m) {
        fputs("<p class=\"small\">Each cell names the tested rules that cover that area in "
              "that line. Red: no rule. <b>Bold</b>: a line the area requires.</p>\n"
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
                int req = 0;
                for (size_t k = 0; k < m->areas[a].n_required_lines; k++)
                    req |= strcmp(m->areas[a].required_lines[k], m->lines[l].id) == 0;
                covering_rules(cov, "areas", m->areas[a].id, "lines", m->lines[l].id, &b);
                fprintf(out, "<td class=\"%s%s\">", b.len ? "ok" : "gap", req ? " req" : "");
                html_escape(out, b.len ? asr_buf_str(&b) : "none");
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
    asr_inputs inputs = {0}; /* what the coverage page may not replace */

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
    cov.fired = asr_xcalloc(cov.n_rules, sizeof *cov.fired);
    cov.quiet = asr_xcalloc(cov.n_rules, sizeof *cov.quiet);
    cov.reads = asr_xcalloc(cov.n_rules, sizeof *cov.reads);

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
        run_case(c, &run_opts, &cov, d, &results[i]);
        if (results[i].passed)
            passed++;
        else
            failed++;
    }
    if (d->errors > errors_before) {
        st = ASR_E_CONFIG; /* bad test data or parameters: a bad test file */
        goto done;
    }

    cov_numbers num = numbers(&cov);
    int below = o->min_coverage >= 0 &&
                (num.line_pct < o->min_coverage || num.behaviour_pct < o->min_coverage);
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
    st = failed || below ? ASR_FINDINGS : ASR_OK;
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
    asr_rule_results_free(cov.rules, cov.n_rules);
    asr_map_free(main_map);
    free_suite(&s);
    return st;
}
