/* fopencookie: the exception list is hashed as it is written (findings_sha256) */
#define _GNU_SOURCE
#include "run.h"

#include <lua.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "lock.h"
#include "outfile.h"
#include "report.h"
#include "rule.h"
#include "sha256.h"
#include "store.h"

/* ---- the log: one timestamped line per step ---- */

static void logline(FILE *log, const char *step, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void logline(FILE *log, const char *step, const char *fmt, ...)
{
    if (!log)
        return;
    char when[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(log, "%s assure run: %s: ", when, step);
    /* the line quotes rule logs and file names: escaped for the terminal */
    asr_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    asr_buf_vaddf(&b, fmt, ap);
    va_end(ap);
    asr_fputs_term(asr_buf_str(&b), log);
    asr_buf_free(&b);
    fputc('\n', log);
    fflush(log);
}

/* ---- hashes ---- */

static int file_sha256(const char *path, char out[65])
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    asr_sha256 h;
    asr_sha256_init(&h);
    char buf[65536];
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        asr_sha256_update(&h, buf, got);
    int bad = ferror(f);
    fclose(f);
    if (bad)
        return -1;
    asr_sha256_final_hex(&h, out);
    return 0;
}

/* The exception list as 'assure check --format json' writes it, from the
 * recorded run, timing apart: what a replay must reproduce byte for byte.
 * The list is hashed as it is written, never held: the last bytes wait in
 * a small buffer until the end, where the timing line (the one part that
 * may differ) is left out. Its SHA-256 in out; -1 if it could not be made. */
#define HASH_TAIL 4096
typedef struct {
    asr_sha256 h;
    char tail[2 * HASH_TAIL];
    size_t n;
} hash_stream;

static ssize_t hash_write(void *cookie, const char *buf, size_t size)
{
    hash_stream *x = cookie;
    for (size_t done = 0; done < size;) {
        size_t take = size - done < sizeof x->tail - x->n ? size - done : sizeof x->tail - x->n;
        memcpy(x->tail + x->n, buf + done, take);
        x->n += take;
        done += take;
        if (x->n == sizeof x->tail) { /* all but the last HASH_TAIL bytes are final */
            asr_sha256_update(&x->h, x->tail, x->n - HASH_TAIL);
            memmove(x->tail, x->tail + x->n - HASH_TAIL, HASH_TAIL);
            x->n = HASH_TAIL;
        }
    }
    return (ssize_t)size;
}

static int findings_sha256(const asr_report *rep, char out[65])
{
    hash_stream x;
    x.n = 0;
    asr_sha256_init(&x.h);
    cookie_io_functions_t io = {NULL, hash_write, NULL, NULL};
    FILE *f = fopencookie(&x, "w", io);
    if (!f)
        return -1;
    int bad = asr_report_write(rep, ASR_FMT_JSON, f, 0);
    bad |= fclose(f) != 0;
    if (!bad) {
        /* the timing line comes last: "\n  \"timing\": ..." */
        static const char mark[] = "\n  \"timing\": ";
        size_t keep = x.n;
        for (size_t i = x.n >= sizeof mark - 1 ? x.n - (sizeof mark - 1) + 1 : 0; i-- > 0;)
            if (memcmp(x.tail + i, mark, sizeof mark - 1) == 0) {
                keep = i;
                break;
            }
        asr_sha256_update(&x.h, x.tail, keep);
        asr_sha256_final_hex(&x.h, out);
    }
    return bad ? -1 : 0;
}

/* ---- the manifest ---- */

static void json_str(asr_buf *b, const char *s)
{
    asr_json_string_buf(b, s ? s : "");
}

typedef struct {
    asr_buf *b;
    int first;
} input_ctx;

static const char *format_name(asr_format f)
{
    static const char *const names[] = {"text", "csv", "json", "jsonl", "xlsx"};
    return names[f];
}

/* Builds the manifest (JSON) and records every input a replay compares. */
static asr_status record_manifest(const asr_run_opts *o, asr_history_recorder *rec,
                                  const asr_map *m, const asr_check *chk, asr_store *s,
                                  const asr_import_result *imported, const char *findings_hash,
                                  int outcome, asr_buf *b, asr_diag *d)
{
    asr_status st = ASR_OK;
    char hex[65];
    asr_buf_addf(b, "{\n  \"run\": %lld,\n  \"as_of\": ", (long long)asr_history_run_id(rec));
    json_str(b, o->as_of);
    asr_buf_adds(b, ",\n  \"job\": ");
    if (o->job_file)
        json_str(b, o->job_file);
    else
        asr_buf_adds(b, "null");
    asr_buf_addf(b, ",\n  \"engine\": {\"assure\": \"%s\", \"lua\": \"%s\", \"sqlite\": \"%s\"},",
                 ASSURE_VERSION, LUA_RELEASE, asr_store_sqlite_version());
    char engine[128];
    snprintf(engine, sizeof engine, "assure %s; %s; SQLite %s", ASSURE_VERSION, LUA_RELEASE,
             asr_store_sqlite_version());
    if (st == ASR_OK)
        st = asr_history_add_input(rec, "engine", "versions", engine, d);
    /* the map: its combined hash and each file's */
    asr_buf_adds(b, "\n  \"map\": {\"path\": ");
    json_str(b, o->map_path);
    asr_buf_addf(b, ", \"sha256\": \"%s\", \"files\": [", m->hash);
    for (size_t i = 0; i < m->n_files; i++) {
        if (file_sha256(m->files[i], hex))
            snprintf(hex, sizeof hex, "unreadable");
        asr_buf_adds(b, i ? ", {\"file\": " : "{\"file\": ");
        json_str(b, m->files[i]);
        asr_buf_addf(b, ", \"sha256\": \"%s\"}", hex);
        if (st == ASR_OK)
            st = asr_history_add_input(rec, "map", m->files[i], hex, d);
    }
    /* the rules */
    asr_buf_adds(b, "]},\n  \"rules\": {\"dir\": ");
    json_str(b, o->rules_dir);
    asr_buf_addf(b, ", \"sha256\": \"%s\", \"files\": [", chk->rules_hash);
    for (size_t i = 0; i < chk->n_rules; i++) {
        const char *file = chk->rules[i].rule.file;
        if (file_sha256(file, hex))
            snprintf(hex, sizeof hex, "unreadable");
        asr_buf_adds(b, i ? ",\n    {\"file\": " : "\n    {\"file\": ");
        json_str(b, file);
        asr_buf_adds(b, ", \"id\": ");
        json_str(b, chk->rules[i].rule.id);
        asr_buf_addf(b, ", \"sha256\": \"%s\", \"status\": \"%s\", \"findings\": %zu}", hex,
                     !chk->run[i]                          ? "skipped"
                     : chk->rules[i].fail == ASR_FAIL_NONE ? "ok"
                                                           : asr_fail_kind_name(chk->rules[i].fail),
                     chk->rules[i].fail == ASR_FAIL_NONE ? chk->rules[i].n_findings : 0);
        const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
        if (st == ASR_OK)
            st = asr_history_add_input(rec, "rule", base, hex, d);
    }
    /* the data each dataset holds, imported now or before */
    asr_buf_adds(b, "]},\n  \"data\": [");
    asr_dataset_record *ds = NULL;
    size_t nds = 0;
    if (st == ASR_OK)
        st = asr_store_list_datasets(s, &ds, &nds, d);
    for (size_t i = 0; i < nds; i++) {
        int now = 0;
        for (size_t k = 0; k < o->n_exports; k++)
            now |=
                strcmp(o->exports[k].dataset, ds[i].id) == 0 && imported[k].outcome == ASR_IMPORTED;
        asr_buf_adds(b, i ? ",\n    {\"dataset\": " : "\n    {\"dataset\": ");
        json_str(b, ds[i].id);
        asr_buf_adds(b, ", \"file\": ");
        json_str(b, ds[i].file);
        asr_buf_addf(b,
                     ", \"sha256\": \"%s\", \"rows\": %lld, \"as_of\": \"%s\", \"imported\": "
                     "\"%s\", \"this_run\": %s}",
                     ds[i].st.sha256, ds[i].st.rows, ds[i].st.as_of, ds[i].imported_at,
                     now ? "true" : "false");
        if (st == ASR_OK)
            st = asr_history_add_input(rec, "data", ds[i].id, ds[i].st.sha256, d);
    }
    asr_dataset_records_free(ds, nds);
    /* the options that shape the result */
    asr_buf_addf(b,
                 "],\n  \"options\": {\"jobs\": %d, \"timeout_s\": %.0f, \"memory_mb\": %zu, "
                 "\"max_findings\": %zu},\n  \"outputs\": [",
                 o->runner.jobs, o->runner.budget.seconds, o->runner.budget.memory >> 20,
                 o->runner.output.max_findings);
    for (size_t i = 0; i < o->n_outputs; i++) {
        asr_buf_addf(b, "%s{\"format\": \"%s\", \"path\": ", i ? ", " : "",
                     format_name(o->outputs[i].format));
        json_str(b, o->outputs[i].path);
        asr_buf_addc(b, '}');
    }
    asr_buf_addf(b, "],\n  \"findings_sha256\": \"%s\",\n  \"outcome\": %d\n}\n", findings_hash,
                 outcome);
    if (st == ASR_OK)
        st = asr_history_add_input(rec, "output", "findings_sha256", findings_hash, d);
    return st;
}

/* ---- recording findings as they arrive ---- */

typedef struct {
    asr_history_recorder *rec;
    asr_check *chk;
} record_ctx;

static void record_finding(void *ud, size_t rule, const asr_finding *f, const char *wire,
                           size_t wire_len)
{
    record_ctx *x = ud;
    (void)wire;
    (void)wire_len;
    asr_history_add(x->rec, &x->chk->rules[rule].rule, f);
}

/* ---- the findings-jump gate ---- */

static int findings_jump(const asr_gate *g, asr_store *s, const asr_run_info *prev,
                         const asr_check *chk, asr_diag *d)
{
    if (g->action == ASR_GATE_OFF || !prev->id)
        return 0;
    int stop = 0;
    for (size_t i = 0; i < chk->n_rules; i++) {
        const asr_rule_result *r = &chk->rules[i];
        if (!chk->run[i] || r->fail != ASR_FAIL_NONE)
            continue;
        long long before = asr_history_rule_findings(s, prev->id, r->rule.id, d);
        long long now = (long long)r->n_findings;
        if (before < 0 || now - before < g->min || (double)now <= g->threshold * (double)before)
            continue;
        asr_loc l = {r->rule.file, 0, 0};
        if (g->action == ASR_GATE_STOP) {
            asr_error(d, &l, r->rule.id,
                      "gate findings-jump: %lld findings against %lld in run %lld (more than %g "
                      "times); the run was not recorded and no output was written (if this is "
                      "right, pass --accept-gate findings-jump)",
                      now, before, (long long)prev->id, g->threshold);
            stop = 1;
        } else {
            asr_warn(d, &l, r->rule.id,
                     "gate findings-jump: %lld findings against %lld in run %lld (more than %g "
                     "times)",
                     now, before, (long long)prev->id, g->threshold);
        }
    }
    return stop;
}

/* ---- the run ---- */

static asr_status import_step(const asr_run_opts *o, asr_store *s, const asr_map *m,
                              const asr_gates *gates, asr_import_result *results, asr_diag *d)
{
    asr_import_policy policy = {o->as_of,    gates,         o->retention.keep_snapshots,
                                o->accepted, o->n_accepted, o->runner.progress};
    asr_status st = asr_import_run(s, m, o->exports, o->n_exports, NULL, &policy, d, results);
    if (st != ASR_OK) {
        logline(o->log, "import", "rejected (status %d): nothing was imported", st);
        return st;
    }
    size_t changed = 0;
    long long rows = 0;
    for (size_t i = 0; i < o->n_exports; i++) {
        changed += results[i].outcome == ASR_IMPORTED;
        rows += results[i].rows;
        if (o->verbose)
            logline(o->log, "import", "%s: %lld rows from %s%s", o->exports[i].dataset,
                    results[i].rows, o->exports[i].path,
                    results[i].outcome == ASR_UNCHANGED ? " (unchanged)" : "");
    }
    logline(o->log, "import", "%zu export%s, %zu changed, %lld rows", o->n_exports,
            o->n_exports == 1 ? "" : "s", changed, rows);
    return ASR_OK;
}

/* What the run reads, which none of its outputs may replace: the database
 * (and the files beside it), the lock, the map, the rule files, the
 * exports being imported and the job file. */
static void run_inputs(const asr_run_opts *o, const asr_map *m, asr_inputs *in)
{
    asr_inputs_add_db(in, o->db_path);
    asr_buf lock = {0};
    asr_buf_addf(&lock, "%s.lock", o->db_path);
    asr_inputs_add(in, lock.data, "the run's lock file");
    asr_buf_free(&lock);
    for (size_t i = 0; i < m->n_files; i++)
        asr_inputs_add(in, m->files[i], i ? "a file the map includes" : "the map");
    char **rules;
    size_t n;
    char err[256];
    if (asr_rule_files(o->rules_dir, &rules, &n, err, sizeof err) == 0) {
        for (size_t i = 0; i < n; i++)
            asr_inputs_add(in, rules[i], "a rule file");
        asr_rule_files_free(rules, n);
    }
    for (size_t i = 0; i < o->n_exports; i++)
        asr_inputs_add(in, o->exports[i].path, "a data file being imported");
    asr_inputs_add(in, o->job_file, "the job file");
}

static const char *label_of(const asr_run_opts *o, size_t i)
{
    return i < o->n_outputs ? "--output" : "--manifest";
}

/* Every output and the manifest may be written: checked before anything is
 * imported or run. */
static asr_status check_outputs(const asr_run_opts *o, const asr_inputs *in, asr_diag *d)
{
    asr_status st = ASR_OK;
    for (size_t i = 0; i < o->n_outputs + (o->manifest_path ? 1 : 0); i++) {
        const char *path = i < o->n_outputs ? o->outputs[i].path : o->manifest_path;
        asr_status one = asr_outfile_check(path, label_of(o, i), in, d);
        st = st == ASR_OK ? one : st;
    }
    return st;
}

/* Writes every output (and the manifest) to temporary files. */
static asr_status write_outputs(const asr_run_opts *o, const asr_report *base,
                                const asr_buf *manifest, const asr_inputs *in, asr_outfile *files,
                                asr_diag *d)
{
    asr_status st = ASR_OK;
    for (size_t i = 0; i < o->n_outputs && st == ASR_OK; i++) {
        if ((st = asr_outfile_open(&files[i], o->outputs[i].path, "--output", in, d)) != ASR_OK)
            break;
        if (asr_report_write(base, o->outputs[i].format, files[i].f, 0)) {
            const char *why = asr_report_error(); /* the workbook's own reason */
            if (why) {
                asr_error(d, NULL, NULL, "%s: %s", o->outputs[i].path, why);
                asr_outfile_abort(&files[i]);
                st = ASR_E_IO;
            } else {
                st = asr_outfile_fail(&files[i], d);
            }
        }
    }
    if (st == ASR_OK && o->manifest_path) {
        asr_outfile *mf = &files[o->n_outputs];
        if ((st = asr_outfile_open(mf, o->manifest_path, "--manifest", in, d)) == ASR_OK &&
            (fwrite(manifest->data, 1, manifest->len, mf->f) != manifest->len || ferror(mf->f)))
            st = asr_outfile_fail(mf, d);
    }
    return st;
}

asr_status asr_run(const asr_run_opts *o, asr_diag *d, asr_run_result *res)
{
    memset(res, 0, sizeof *res);
    asr_lock lock;
    asr_status st = asr_lock_take(&lock, o->db_path, d);
    if (st != ASR_OK) {
        logline(o->log, "lock", "not taken: another run holds it");
        asr_lock_release(&lock);
        return st;
    }
    if (lock.stale[0])
        logline(o->log, "lock", "taken over from a run that did not finish (%s)", lock.stale);
    else
        logline(o->log, "lock", "taken");

    asr_map *m = NULL;
    asr_store *s = NULL;
    asr_check chk = {0};
    asr_history_recorder *rec = NULL;
    asr_import_result *imported = asr_xcalloc(o->n_exports + 1, sizeof *imported);
    asr_outfile *files = asr_xcalloc(o->n_outputs + 1, sizeof *files);
    asr_buf manifest = {0};
    asr_inputs inputs = {0};
    size_t opened = 0;

    if ((st = asr_map_load(o->map_path, d, &m)) != ASR_OK)
        goto done;
    run_inputs(o, m, &inputs);
    if ((st = check_outputs(o, &inputs, d)) != ASR_OK) {
        logline(o->log, "outputs", "refused: nothing was imported or run");
        goto done;
    }
    asr_gates gates = m->gates;
    if (o->gates_overlay && asr_gates_read(o->gates_overlay, "gates", &gates, d)) {
        st = ASR_E_CONFIG;
        goto done;
    }
    for (size_t i = 0; i < o->n_accepted; i++)
        asr_gates_accept(&gates, o->accepted[i]);
    if ((st = asr_store_open(o->db_path, ASR_STORE_CREATE, o->busy_ms, d, &s)) != ASR_OK)
        goto done;
    if ((st = import_step(o, s, m, &gates, imported, d)) != ASR_OK)
        goto done;

    /* the rules, recorded as they report */
    if ((st = asr_history_latest(s, &res->previous, d)) != ASR_OK)
        goto done;
    asr_check_opts co = {0};
    co.map_path = o->map_path;
    co.db_path = o->db_path;
    co.rules_dir = o->rules_dir;
    co.as_of = o->as_of;
    co.format = ASR_FMT_TEXT;
    co.compare_with = res->previous.id;
    co.runner = o->runner;
    /* Recorded: said before the workers are started (asr_check_prepare parks
     * one per rule), so that on a first run, with no history yet, they are
     * started knowing every finding is new. Told later, they would be ended
     * and started again while the findings are being recorded: each new
     * worker a copy of a parent whose SQLite cache has grown. */
    record_ctx rc = {NULL, &chk};
    co.runner.on_finding = record_finding;
    co.runner.on_finding_ud = &rc;
    if ((st = asr_check_prepare(&co, d, &chk)) != ASR_OK)
        goto done;
    if ((st = asr_history_begin(s, chk.map, o->as_of, res->previous.id, d, &rec)) != ASR_OK)
        goto done;
    rc.rec = rec;
    logline(o->log, "check", "%zu rules, compared with %s", chk.n_rules,
            res->previous.id ? "the last run" : "nothing (the first run)");
    if ((st = asr_check_execute(&chk, &co, d)) != ASR_OK)
        goto done;
    res->outcome = asr_check_outcome(&chk);
    for (size_t i = 0; i < chk.n_rules; i++)
        for (size_t k = 0; k < chk.rules[i].n_logs; k++)
            logline(o->log, "log", "%s: %s", chk.rules[i].rule.id, chk.rules[i].logs[k]);
    if (findings_jump(&gates.gate[ASR_GATE_FINDINGS_JUMP], s, &res->previous, &chk, d)) {
        logline(o->log, "gate", "findings-jump: stopped; nothing recorded or written");
        st = ASR_E_DATA;
        goto done;
    }

    /* the run as it will be recorded, its outputs, then commit. Recording
     * let SQLite's cache grow to 64 MiB (history); what follows -- the
     * counts, the carried findings, the outputs reading the findings back
     * in rule order -- sorts, and SQLite lets a sort take as much memory
     * as the cache before it goes to temporary files: 16 MiB bounds both
     * (the parent's peak at 1M rows: 146 MB with 64 MiB, for the sort). */
    asr_store_cache_kib(s, 16 * 1024);
    if ((st = asr_history_finish(rec, chk.rules, chk.run, chk.n_rules, chk.rules_hash,
                                 (int)res->outcome, NULL, &res->run, d)) != ASR_OK) {
        rec = NULL; /* rolled back and freed */
        goto done;
    }
    asr_report rep = {.map = chk.map,
                      .as_of = chk.as_of,
                      .rules_hash = chk.rules_hash,
                      .rules = chk.rules,
                      .ran = chk.run,
                      .n_rules = chk.n_rules,
                      .elapsed_ms = chk.elapsed_ms,
                      .previous = &res->previous,
                      .store = s,
                      .recorded = &res->run,
                      .check_form = 1};
    char fhash[65];
    if (findings_sha256(&rep, fhash)) {
        asr_error(d, NULL, NULL, "cannot form the exception list of the run");
        st = ASR_E_INTERNAL;
        goto done;
    }
    if ((st = record_manifest(o, rec, m, &chk, s, imported, fhash, (int)res->outcome, &manifest,
                              d)) != ASR_OK ||
        (st = asr_history_set_manifest(rec, manifest.data, d)) != ASR_OK)
        goto done;
    rep.check_form = 0;
    opened = o->n_outputs + (o->manifest_path ? 1 : 0);
    if ((st = write_outputs(o, &rep, &manifest, &inputs, files, d)) != ASR_OK)
        goto done;
    st = asr_history_commit(rec, d);
    rec = NULL;
    if (st != ASR_OK)
        goto done;
    logline(o->log, "record",
            "run %lld as of %s: %lld findings (%lld new, %lld recurring, %lld reopened), %lld "
            "resolved, %lld rule%s failed",
            (long long)res->run.id, o->as_of, res->run.findings, res->run.new_, res->run.recurring,
            res->run.reopened, res->run.resolved, res->run.rules_failed,
            res->run.rules_failed == 1 ? "" : "s");
    for (size_t i = 0; i < opened; i++) {
        if (st == ASR_OK)
            st = asr_outfile_commit(&files[i], label_of(o, i), &inputs, d);
        else
            asr_outfile_abort(&files[i]); /* no temporary file left beside the outputs */
    }
    opened = 0;
    if (st == ASR_OK && o->n_outputs + (o->manifest_path ? 1 : 0))
        logline(o->log, "outputs", "%zu written", o->n_outputs + (o->manifest_path ? 1 : 0));

    /* retention, in its own transaction: a failure here loses nothing */
    if (st == ASR_OK) {
        long runs = o->retention.keep_runs >= 0 ? o->retention.keep_runs : m->retention.keep_runs;
        long days = o->retention.keep_days >= 0 ? o->retention.keep_days : m->retention.keep_days;
        long long pruned = 0;
        asr_status ps = asr_history_prune(s, runs, days, o->as_of, &pruned, d);
        if (ps == ASR_OK && pruned)
            logline(o->log, "prune", "%lld old run%s removed", pruned, pruned == 1 ? "" : "s");
    }
done:
    for (size_t i = 0; i < opened; i++)
        if (files[i].tmp)
            asr_outfile_abort(&files[i]);
    if (rec) {
        asr_history_abort(rec);
        logline(o->log, "record", "nothing recorded");
    }
    asr_check_free(&chk);
    asr_store_close(s);
    asr_map_free(m);
    free(imported);
    free(files);
    asr_buf_free(&manifest);
    asr_inputs_free(&inputs);
    asr_lock_release(&lock);
    if (st == ASR_OK) {
        logline(o->log, "done", "exit %d", (int)res->outcome);
        return res->outcome;
    }
    logline(o->log, "done", "stopped: exit %d", (int)st);
    return st;
}

/* ---- replay ---- */

typedef struct {
    asr_diag *d;
    asr_store *s;
    const asr_map *m;
    const asr_check *chk;
    int64_t run;
    int differs;
    char findings_hash[65];
    asr_dataset_record *datasets; /* what the database holds now */
    size_t n_datasets;
} replay_ctx;

static void compare_input(void *ud, const char *kind, const char *name, const char *sha)
{
    replay_ctx *x = ud;
    char now[65] = "";
    const char *file = "";
    int found = 0;
    if (strcmp(kind, "output") == 0) {
        snprintf(x->findings_hash, sizeof x->findings_hash, "%s", sha);
        return;
    }
    if (strcmp(kind, "engine") == 0) {
        snprintf(now, sizeof now, "assure %s; %s; SQLite %s", ASSURE_VERSION, LUA_RELEASE,
                 asr_store_sqlite_version());
        found = 1;
        if (strcmp(now, sha) != 0) {
            asr_warn(x->d, NULL, NULL, "run %lld used %s; this is %s", (long long)x->run, sha, now);
            x->differs = 1;
        }
        return;
    }
    if (strcmp(kind, "map") == 0) {
        found = file_sha256(name, now) == 0;
    } else if (strcmp(kind, "rule") == 0) {
        for (size_t i = 0; i < x->chk->n_rules && !found; i++) {
            const char *f = x->chk->rules[i].rule.file;
            const char *base = strrchr(f, '/') ? strrchr(f, '/') + 1 : f;
            if (strcmp(base, name) == 0)
                found = file_sha256(f, now) == 0;
        }
    } else if (strcmp(kind, "data") == 0) {
        for (size_t i = 0; i < x->n_datasets && !found; i++)
            if (strcmp(x->datasets[i].id, name) == 0) {
                found = 1;
                memcpy(now, x->datasets[i].st.sha256, sizeof now);
                file = x->datasets[i].file;
            }
    }
    if (!found) {
        asr_warn(x->d, NULL, NULL, "the %s %s of run %lld is missing now", kind, name,
                 (long long)x->run);
        x->differs = 1;
    } else if (strcmp(now, sha) != 0) {
        if (strcmp(kind, "data") == 0)
            asr_warn(x->d, NULL, NULL,
                     "the data of dataset %s has changed since run %lld: it now comes from %s "
                     "(SHA-256 %.12s, then %.12s)",
                     name, (long long)x->run, file, now, sha);
        else
            asr_warn(x->d, NULL, NULL,
                     "%s file %s has changed since run %lld (then %.12s, now %.12s)", kind, name,
                     (long long)x->run, sha, now);
        x->differs = 1;
    }
}

asr_status asr_replay(const asr_replay_opts *o, asr_diag *d, int *identical)
{
    *identical = 0;
    asr_store *s = NULL;
    asr_check chk = {0};
    asr_run_info run, before;
    replay_ctx x = {d, NULL, NULL, &chk, 0, 0, "", NULL, 0};
    asr_status st = asr_store_open(o->db_path, ASR_STORE_READONLY, 5000, d, &s);
    if (st == ASR_OK)
        st = asr_history_get(s, o->run, &run, d);
    if (st == ASR_OK && !run.id) {
        asr_loc l = {o->db_path, 0, 0};
        asr_error(d, &l, NULL, "no recorded run %lld", (long long)o->run);
        st = ASR_E_USAGE;
    }
    if (st == ASR_OK)
        st = asr_history_before(s, run.id, &before, d);
    if (st != ASR_OK)
        goto done;
    /* the run evaluated again, as check would, against the run before it */
    asr_check_opts co = {0};
    co.map_path = o->map_path;
    co.db_path = o->db_path;
    co.rules_dir = o->rules_dir;
    co.as_of = run.as_of;
    co.format = ASR_FMT_JSON;
    co.compare_with = before.id ? before.id : -1;
    co.runner = o->runner;
    x.s = s;
    x.run = run.id;
    if ((st = asr_store_list_datasets(s, &x.datasets, &x.n_datasets, d)) != ASR_OK)
        goto done;
    st = asr_check_prepare(&co, d, &chk);
    if (st == ASR_E_DATA) {
        /* the database holds another map now: say which files differ */
        asr_status is = asr_history_inputs(s, run.id, compare_input, &x, d);
        st = is ? is : st;
        goto done;
    }
    if (st == ASR_OK)
        st = asr_check_execute(&chk, &co, d);
    if (st != ASR_OK)
        goto done;
    x.m = chk.map;
    if ((st = asr_history_inputs(s, run.id, compare_input, &x, d)) != ASR_OK)
        goto done;
    asr_report rep = {.map = chk.map,
                      .as_of = chk.as_of,
                      .rules_hash = chk.rules_hash,
                      .rules = chk.rules,
                      .ran = chk.run,
                      .n_rules = chk.n_rules,
                      .spool = chk.spool,
                      .elapsed_ms = chk.elapsed_ms,
                      .previous = &chk.previous};
    char now[65];
    if (findings_sha256(&rep, now)) {
        st = ASR_E_INTERNAL;
        goto done;
    }
    *identical = x.findings_hash[0] && strcmp(now, x.findings_hash) == 0;
done:
    asr_dataset_records_free(x.datasets, x.n_datasets);
    asr_check_free(&chk);
    asr_store_close(s);
    return st;
}
