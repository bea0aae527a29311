#include "job.h"

#include <stdlib.h>
#include <string.h>

#include "datadir.h"
#include "date.h"
#include "util.h"
#include "yamltree.h"

static const char *const keys[] = {"map",     "db",       "rules",        "as_of",   "exports",
                                   "outputs", "manifest", "gates",        "history", "jobs",
                                   "timeout", "memory",   "max_findings", NULL};

int asr_output_parse(const char *s, asr_run_output *out)
{
    const char *colon = strchr(s, ':');
    if (!colon || !colon[1])
        return -1;
    size_t n = (size_t)(colon - s);
    char name[16];
    if (n >= sizeof name)
        return -1;
    memcpy(name, s, n);
    name[n] = '\0';
    if (asr_format_parse(name, &out->format))
        return -1;
    out->path = colon + 1;
    return 0;
}

/* A path value, relative to the job file. */
static char *path_value(const asr_job *j, const asr_ynode *v, const char *key, asr_diag *d)
{
    if (!v || asr_ynode_is_null(v))
        return NULL;
    if (v->kind != ASR_YSCALAR) {
        asr_error(d, &v->loc, key, "expected a file name");
        return NULL;
    }
    /* the map and the rules may be files installed with assure */
    if ((strcmp(key, "rules") == 0 || strcmp(key, "map") == 0) && asr_datadir_name(v->text)) {
        char *path = asr_datadir_resolve(v->text);
        if (!path)
            asr_error(d, &v->loc, key,
                      "'%s': no data directory of assure's was found (set ASSURE_DATADIR; see "
                      "docs/install.md)",
                      v->text);
        return path;
    }
    return asr_path_relative(j->file, v->text);
}

static long count_value(const asr_ynode *v, const char *key, long lo, long hi, asr_diag *d)
{
    if (!v || asr_ynode_is_null(v))
        return 0;
    char *end;
    long n = v->kind == ASR_YSCALAR && v->plain ? strtol(v->text, &end, 10) : 0;
    if (v->kind != ASR_YSCALAR || !v->plain || !v->len || *end || n < lo || n > hi) {
        asr_error(d, &v->loc, key, "expected a whole number from %ld to %ld", lo, hi);
        return 0;
    }
    return n;
}

static void read_exports(asr_job *j, const asr_ynode *v, asr_diag *d)
{
    if (!v || asr_ynode_is_null(v))
        return;
    if (v->kind != ASR_YMAP) {
        asr_error(d, &v->loc, "exports", "expected a mapping of dataset id to file");
        return;
    }
    j->exports = asr_xcalloc(v->n + 1, sizeof *j->exports);
    for (size_t i = 0; i < v->n; i++) {
        char p[160];
        snprintf(p, sizeof p, "exports.%s", v->keys[i]->text);
        char *path = path_value(j, v->items[i], p, d);
        if (!path)
            continue;
        j->exports[j->n_exports].dataset = asr_xstrdup(v->keys[i]->text);
        j->exports[j->n_exports++].path = path;
    }
}

static void read_outputs(asr_job *j, const asr_ynode *v, asr_diag *d)
{
    static const char *const okeys[] = {"format", "path", NULL};
    if (!v || asr_ynode_is_null(v))
        return;
    if (v->kind != ASR_YSEQ) {
        asr_error(d, &v->loc, "outputs", "expected a list of {format, path}");
        return;
    }
    j->outputs = asr_xcalloc(v->n + 1, sizeof *j->outputs);
    for (size_t i = 0; i < v->n; i++) {
        const asr_ynode *e = v->items[i];
        char p[64];
        snprintf(p, sizeof p, "outputs[%zu]", i);
        if (asr_ymap_check_keys(e, p, okeys, d))
            continue;
        const asr_ynode *f = asr_ymap_get(e, "format");
        asr_run_output o = {ASR_FMT_TEXT, NULL};
        if (!f || f->kind != ASR_YSCALAR || asr_format_parse(f->text, &o.format)) {
            asr_error(d, f ? &f->loc : &e->loc, p,
                      "format: expected text, csv, json, jsonl or xlsx");
            continue;
        }
        char pp[80];
        snprintf(pp, sizeof pp, "%s.path", p);
        o.path = path_value(j, asr_ymap_get(e, "path"), pp, d);
        if (!o.path) {
            asr_error(d, &e->loc, p, "missing required value 'path'");
            continue;
        }
        j->outputs[j->n_outputs++] = o;
    }
}

asr_status asr_job_load(const char *path, asr_diag *d, asr_job *j)
{
    memset(j, 0, sizeof *j);
    j->file = asr_xstrdup(path);
    j->retention = (asr_retention){-1, -1, -1};
    size_t errors = d->errors;
    asr_ydoc *doc = NULL;
    asr_status st = asr_yaml_load_file(path, 0, d, &doc);
    if (st != ASR_OK)
        return st;
    j->doc = doc;
    const asr_ynode *root = doc->root;
    if (!root) {
        asr_loc l = {path, 1, 1};
        asr_error(d, &l, NULL, "the job file is empty");
        return ASR_E_CONFIG;
    }
    if (asr_ymap_check_keys(root, "", keys, d) < 0)
        return ASR_E_CONFIG;
    j->map = path_value(j, asr_ymap_get(root, "map"), "map", d);
    j->db = path_value(j, asr_ymap_get(root, "db"), "db", d);
    j->rules = path_value(j, asr_ymap_get(root, "rules"), "rules", d);
    j->manifest = path_value(j, asr_ymap_get(root, "manifest"), "manifest", d);
    const asr_ynode *a = asr_ymap_get(root, "as_of");
    if (a && !asr_ynode_is_null(a) && !(a->kind == ASR_YSCALAR && strcmp(a->text, "today") == 0)) {
        asr_date dt;
        if (a->kind != ASR_YSCALAR || asr_date_parse(a->text, a->len, NULL, &dt))
            asr_error(d, &a->loc, "as_of", "expected a date such as 2022-10-03, or today");
        else
            snprintf(j->as_of, sizeof j->as_of, "%s", a->text);
    }
    read_exports(j, asr_ymap_get(root, "exports"), d);
    read_outputs(j, asr_ymap_get(root, "outputs"), d);
    const asr_ynode *g = asr_ymap_get(root, "gates");
    if (g && !asr_ynode_is_null(g)) {
        /* checked now over the defaults; applied over the map's by the run */
        asr_gates scratch;
        asr_gates_default(&scratch);
        asr_gates_read(g, "gates", &scratch, d);
        j->gates_node = (struct asr_ynode *)g;
    }
    const asr_ynode *h = asr_ymap_get(root, "history");
    if (h && !asr_ynode_is_null(h)) {
        static const char *const hkeys[] = {"keep_runs", "keep_days", "keep_snapshots", NULL};
        j->has_retention = 1;
        if (asr_ymap_check_keys(h, "history", hkeys, d) == 0) {
            const asr_ynode *x;
            if ((x = asr_ymap_get(h, "keep_runs")))
                j->retention.keep_runs = count_value(x, "history.keep_runs", 0, 1000000, d);
            if ((x = asr_ymap_get(h, "keep_days")))
                j->retention.keep_days = count_value(x, "history.keep_days", 0, 36500, d);
            if ((x = asr_ymap_get(h, "keep_snapshots")))
                j->retention.keep_snapshots = count_value(x, "history.keep_snapshots", 0, 1000, d);
        }
    }
    j->jobs = count_value(asr_ymap_get(root, "jobs"), "jobs", 1, 256, d);
    j->timeout = count_value(asr_ymap_get(root, "timeout"), "timeout", 1, 86400, d);
    j->memory_mb = count_value(asr_ymap_get(root, "memory"), "memory", 16, 65536, d);
    j->max_findings =
        count_value(asr_ymap_get(root, "max_findings"), "max_findings", 1, 1000000000, d);
    return d->errors > errors ? ASR_E_CONFIG : ASR_OK;
}

void asr_job_free(asr_job *j)
{
    free(j->file);
    free(j->map);
    free(j->db);
    free(j->rules);
    free(j->manifest);
    for (size_t i = 0; i < j->n_exports; i++) {
        free((char *)j->exports[i].dataset);
        free((char *)j->exports[i].path);
    }
    free(j->exports);
    for (size_t i = 0; i < j->n_outputs; i++)
        free((char *)j->outputs[i].path);
    free(j->outputs);
    asr_ydoc_free(j->doc);
    memset(j, 0, sizeof *j);
}
