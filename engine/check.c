#include "check.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "outfile.h"
#include "report.h"
#include "rule.h"
#include "sha256.h"
#include "store.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1000 + (double)t.tv_nsec / 1e6;
}

/* SHA-256 over each rule file's name and content, in load order. */
static void rules_hash(const asr_rule_result *res, size_t n, char out[65])
{
    asr_sha256 h;
    asr_sha256_init(&h);
    for (size_t i = 0; i < n; i++) {
        const char *file = res[i].rule.file;
        const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
        asr_sha256_update(&h, base, strlen(base) + 1);
        char err[256];
        size_t len;
        char *text = asr_rule_read(file, &len, err, sizeof err);
        if (text)
            asr_sha256_update(&h, text, len);
        free(text);
    }
    asr_sha256_final_hex(&h, out);
}

/* The database must hold the map being checked against. */
static asr_status check_map_hash(const asr_check_opts *o, const asr_map *m, asr_diag *d)
{
    asr_store *s = NULL;
    asr_status st = asr_store_open(o->db_path, ASR_STORE_READONLY, 5000, d, &s);
    if (st != ASR_OK)
        return st;
    asr_store_interrupted_imports(s, 0, d);
    char stored[65];
    asr_store_map_hash(s, stored);
    if (strcmp(stored, m->hash) != 0) {
        asr_loc l = {o->db_path, 0, 0};
        asr_error(d, &l, NULL,
                  stored[0] ? "the database holds a different version of the map; reload it "
                              "with 'assure import --map %s --db %s'"
                            : "nothing has been imported yet; run 'assure import --map %s "
                              "--db %s' first",
                  o->map_path, o->db_path);
        st = ASR_E_DATA;
    }
    asr_store_close(s); /* workers open their own connections */
    return st;
}

/* Marks the rules named in o->only (all when none) in c->run. */
static asr_status select_rules(const asr_check_opts *o, asr_check *c, asr_diag *d)
{
    asr_status st = ASR_OK;
    c->run = asr_xcalloc(c->n_rules ? c->n_rules : 1, sizeof *c->run);
    for (size_t i = 0; i < c->n_rules; i++)
        c->run[i] = o->n_only == 0;
    for (size_t k = 0; k < o->n_only; k++) {
        size_t i = 0;
        while (i < c->n_rules && strcmp(c->rules[i].rule.id, o->only[k]) != 0)
            i++;
        if (i < c->n_rules) {
            c->run[i] = 1;
            continue;
        }
        const char *hint = NULL;
        for (size_t j = 0; j < c->n_rules && !hint; j++)
            if (asr_edit_distance(o->only[k], c->rules[j].rule.id, 3) <= 3)
                hint = c->rules[j].rule.id;
        char label[400];
        asr_error(d, NULL, NULL, "--rule %s: no rule with this id in %s%s%s%s", o->only[k],
                  asr_rules_path_label(o->rules_dir, label, sizeof label),
                  hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
        st = ASR_E_USAGE;
    }
    return st;
}

asr_status asr_check_validate(const asr_check_opts *o, asr_diag *d, asr_check *c)
{
    memset(c, 0, sizeof *c);
    asr_status st = asr_map_load(o->map_path, d, &c->map);
    if (st == ASR_OK && o->rules_dir)
        st = asr_runner_load_dir(o->rules_dir, c->map, &o->runner, d, &c->rules, &c->n_rules);
    return st;
}

static asr_status set_up(asr_check *c, const asr_check_opts *o, asr_diag *d);

/* Parks the rules' workers (one per rule, loading and then running it) when
 * nothing they use is set after this: no coverage, and not too many to wait
 * at once (beyond that, the rules load in workers of their own first). */
#define PARK_MAX 256

static int can_park(const asr_check_opts *o)
{
    if (o->runner.coverage || !o->db_path || getenv("ASSURE_NO_PARK"))
        return 0;
    size_t files = 0;
    for (const char *p = o->rules_dir; p && *p;) {
        size_t len = strcspn(p, ASR_RULES_SEP);
        char *dir = asr_xstrndup(p, len);
        char **f = NULL, err[256];
        size_t nf = 0;
        if (asr_rule_files(dir, &f, &nf, err, sizeof err) == 0)
            files += nf;
        asr_rule_files_free(f, nf);
        free(dir);
        p += len;
        if (*p)
            p++;
    }
    /* two descriptors a waiting worker, in the parent */
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY &&
        (rlim_t)files * 2 + 64 > nofile.rlim_cur)
        return 0;
    return files <= PARK_MAX;
}

asr_status asr_check_prepare(const asr_check_opts *o, asr_diag *d, asr_check *c)
{
    memset(c, 0, sizeof *c);
    c->elapsed_ms = -now_ms();
    snprintf(c->as_of, sizeof c->as_of, "%s", o->as_of ? o->as_of : "");
    asr_status st = asr_map_load(o->map_path, d, &c->map);
    if (st == ASR_OK)
        st = check_map_hash(o, c->map, d);
    if (st == ASR_OK && can_park(o)) {
        if ((st = set_up(c, o, d)) == ASR_OK)
            st = asr_runner_park_dir(o->rules_dir, c->map, o->db_path, c->as_of, &c->ro, d,
                                     &c->rules, &c->n_rules, &c->park);
    } else if (st == ASR_OK) {
        st = asr_runner_load_dir(o->rules_dir, c->map, &o->runner, d, &c->rules, &c->n_rules);
    }
    if (st == ASR_OK)
        st = select_rules(o, c, d);
    return st;
}

/* Where formatted findings that outgrow memory go: beside the output file
 * (the same disk the output needs), else $TMPDIR or /tmp. */
static const char *spool_dir(const char *output, char *buf, size_t size)
{
    const char *slash = output ? strrchr(output, '/') : NULL;
    if (output && !slash)
        return ".";
    if (slash) {
        size_t n = slash == output ? 1 : (size_t)(slash - output);
        snprintf(buf, size, "%.*s", (int)n, output);
        return buf;
    }
    const char *tmp = getenv("TMPDIR");
    return tmp && *tmp ? tmp : "/tmp";
}

/* The worker's bytes are kept as they came: the spool holds the same wire
 * form, and encoding each finding again cost the parent more than
 * decoding it (docs/performance.md, what bounds check at scale). */
static void keep_ordered(void *ud, size_t rule, const asr_finding *f, const char *wire,
                         size_t wire_len)
{
    asr_check *c = ud;
    asr_finding copy = *f;
    copy.rule = rule;
    asr_findspool_add_wire(c->ordered, &copy, wire, wire_len);
}

static void take_note(void *ud, size_t rule, const char *note, size_t len)
{
    asr_check *c = ud;
    (void)rule;
    asr_waivers_take_note(&c->waivers, note, len);
}

/* What the workers are started with: the database's data version (it must
 * be the same when the rules have finished), the run findings are compared
 * with, the waivers, the classifiers and the sink; a connection kept open
 * until the check is over. */
static asr_status set_up(asr_check *c, const asr_check_opts *o, asr_diag *d)
{
    if (!c->as_of[0])
        snprintf(c->as_of, sizeof c->as_of, "%s", o->as_of ? o->as_of : "");
    /* The run findings are compared with, and the data's version: it must
     * be the same when the rules have finished. */
    asr_status st;
    asr_store *s = NULL;
    if (asr_runner_tmpdir_usable(&o->runner) != 0) {
        /* a budget for more findings than a worker holds in memory, and
         * nowhere to keep them: stop before any rule runs */
        asr_error(d, NULL, NULL, "cannot create a temporary file in %s: %s",
                  asr_runner_tmpdir(&o->runner), strerror(errno));
        return ASR_E_IO;
    }
    if ((st = asr_store_open(o->db_path, ASR_STORE_READONLY, 5000, d, &s)) != ASR_OK)
        return st;
    c->set_up = 1;
    c->store = s;
    c->data_version = asr_store_data_version(s);
    if (o->compare_with >= 0) {
        st = o->compare_with ? asr_history_get(s, o->compare_with, &c->previous, d)
                             : asr_history_latest(s, &c->previous, d);
        if (st == ASR_OK && o->compare_with > 0 && !c->previous.id) {
            asr_loc l = {o->db_path, 0, 0};
            asr_error(d, &l, NULL, "no recorded run %lld", (long long)o->compare_with);
            st = ASR_E_USAGE;
        }
    }
    if (st == ASR_OK)
        st = asr_waivers_read(s, &c->waivers, d);
    if (st != ASR_OK)
        return st;
    asr_runner_opts ro = o->runner;
    ro.sink = NULL;
    /* With nothing recorded yet there is nothing to compare with, unless this
     * run is being recorded: then everything it finds is new. */
    if (o->compare_with >= 0 && (c->previous.id || ro.on_finding)) {
        c->classifier = asr_history_classifier_new(o->db_path, c->previous.id, c->as_of);
        ro.classifier = asr_history_classifier_base(c->classifier);
    }
    if (c->waivers.n) {
        c->waiver_classifier = asr_waiver_classifier_new(&c->waivers, c->as_of, ro.classifier);
        ro.classifier = asr_waiver_classifier_base(c->waiver_classifier);
        ro.on_note = take_note;
        ro.on_note_ud = c;
    }
    if (o->format == ASR_FMT_JSON || o->format == ASR_FMT_JSONL) {
        /* Workers format their findings; the parent keeps the bytes until each
         * rule's turn comes, beyond 8 MiB in a temporary file beside the output.
         * Text, CSV and Excel list findings in reading order (severity,
         * business group, rule), across rules: they travel as structs. */
        asr_findfmt_sink_init(&c->sink, o->format, c->map);
        ro.sink = &c->sink.sink;
        char dir[4096];
        c->spool = asr_spool_new(spool_dir(o->output, dir, sizeof dir), 8u << 20);
    }
    c->ro = ro;
    return ASR_OK;
}

asr_status asr_check_execute(asr_check *c, const asr_check_opts *o, asr_diag *d)
{
    if (c->elapsed_ms == 0)
        c->elapsed_ms = -now_ms();
    if (!c->as_of[0])
        snprintf(c->as_of, sizeof c->as_of, "%s", o->as_of ? o->as_of : "");
    asr_status st = ASR_OK;
    /* What the check reads, which its output may not replace. */
    asr_inputs_free(&c->inputs);
    asr_inputs_add_db(&c->inputs, o->db_path);
    for (size_t i = 0; c->map && i < c->map->n_files; i++)
        asr_inputs_add(&c->inputs, c->map->files[i], i ? "a file the map includes" : "the map");
    for (size_t i = 0; i < c->n_rules; i++)
        asr_inputs_add(&c->inputs, c->rules[i].rule.file, "a rule file");
    if (o->output) {
        /* An output file that cannot be created fails now (73), before any
         * rule runs, however long the list would have been. */
        asr_outfile probe;
        if ((st = asr_outfile_open(&probe, o->output, "--output", &c->inputs, d)) != ASR_OK)
            return st;
        asr_outfile_abort(&probe);
    }
    if (!c->set_up && (st = set_up(c, o, d)) != ASR_OK)
        return st;
    asr_store *s = c->store;
    long long version = c->data_version;
    asr_runner_opts ro = c->ro;
    /* what only the parent uses may be set after the workers started */
    ro.jobs = o->runner.jobs;
    ro.progress = o->runner.progress;
    ro.on_finding = o->runner.on_finding;
    ro.on_finding_ud = o->runner.on_finding_ud;
    if (!c->classifier && o->compare_with >= 0 && ro.on_finding) {
        /* recorded after all, with nothing before: every finding is new,
         * which parked workers were not told; they make way for new ones */
        asr_runner_park_free(c->park);
        c->park = NULL;
        c->classifier = asr_history_classifier_new(o->db_path, c->previous.id, c->as_of);
        ro.classifier = asr_history_classifier_base(c->classifier);
        if (c->waivers.n) {
            asr_waiver_classifier_free(c->waiver_classifier);
            c->waiver_classifier = asr_waiver_classifier_new(&c->waivers, c->as_of, ro.classifier);
            ro.classifier = asr_waiver_classifier_base(c->waiver_classifier);
        }
    }
    if (o->spool_findings && !ro.sink && !ro.on_finding) {
        /* Text, CSV and Excel: each finding to its place in reading order
         * on disk as it arrives, so memory does not grow with the list. */
        char dir[4096];
        c->ordered = asr_findspool_new(c->map, c->rules, c->n_rules,
                                       spool_dir(o->output, dir, sizeof dir), 1);
        if (o->spool_findings == 2)
            asr_findspool_by_rule(c->ordered);
        ro.on_finding = keep_ordered;
        ro.on_finding_ud = c;
    }
    /* The integrity check reads every page; it runs beside the rules, and
     * nothing they found is written unless it passes. */
    asr_store_bgcheck check = {0, -1};
    /* Unless the database is as it was at its last verified check. */
    char identity[256];
    int known =
        !o->skip_integrity_check && asr_store_verified_identity(s, identity, sizeof identity) == 0;
    int verify = !o->skip_integrity_check && !(known && asr_store_verified_matches(s, identity));
    c->integrity = o->skip_integrity_check ? "not run" : verify ? "passed" : "skipped";
    if (verify)
        asr_store_bgcheck_start(o->db_path, &check);
    if (c->park) {
        asr_runner_check_parked(c->park, c->rules, c->run, c->n_rules, &ro, c->spool, &c->findings,
                                &c->n_findings);
        asr_runner_park_free(c->park);
        c->park = NULL;
    } else {
        asr_runner_check(c->rules, c->run, c->n_rules, c->map, o->db_path, c->as_of, &ro, c->spool,
                         &c->findings, &c->n_findings);
    }
    if (verify)
        st = asr_store_bgcheck_finish(&check, o->db_path, d);
    if (st == ASR_OK && s && asr_store_data_version(s) != version) {
        asr_loc l = {o->db_path, 0, 0};
        asr_error(d, &l, NULL,
                  "the data changed while the rules read it (another process imported); "
                  "nothing was written: run the check again");
        st = ASR_E_TEMP;
    }
    asr_store_close(s);
    c->store = NULL;
    if (st == ASR_OK && verify && known)
        asr_store_record_verified(o->db_path, identity);
    if (st == ASR_OK && c->waivers.n) {
        /* a waiver for a rule that did not run is not unmatched */
        for (size_t w = 0; w < c->waivers.n; w++) {
            asr_waiver *x = &c->waivers.items[w];
            for (size_t i = 0; x->rule && i < c->n_rules; i++)
                if ((!c->run[i] || c->rules[i].fail) && c->rules[i].rule.id &&
                    strcmp(c->rules[i].rule.id, x->rule) == 0)
                    x->matched = 1;
        }
        asr_waivers_report_unmatched(&c->waivers, d);
    }
    if (st == ASR_OK && c->spool && asr_spool_error(c->spool)) {
        asr_error(d, NULL, NULL, "%s", asr_spool_error(c->spool));
        st = ASR_E_IO;
    }
    if (st == ASR_OK && c->ordered && asr_findspool_error(c->ordered)) {
        asr_error(d, NULL, NULL, "%s", asr_findspool_error(c->ordered));
        st = ASR_E_IO;
    }
    if (st == ASR_OK && !o->skip_rules_hash)
        rules_hash(c->rules, c->n_rules, c->rules_hash);
    c->elapsed_ms += now_ms();
    return st;
}

asr_status asr_check_run(const asr_check_opts *o, asr_diag *d, asr_check *c)
{
    asr_status st = asr_check_prepare(o, d, c);
    return st == ASR_OK ? asr_check_execute(c, o, d) : st;
}

asr_status asr_check_outcome(const asr_check *c)
{
    int failed = 0;
    size_t total = 0;
    for (size_t i = 0; i < c->n_rules; i++) {
        if (!c->run[i])
            continue;
        failed |= c->rules[i].fail != ASR_FAIL_NONE;
        total += c->rules[i].n_findings;
    }
    return failed ? ASR_RULE_FAILED : total ? ASR_FINDINGS : ASR_OK;
}

asr_status asr_check_write(const asr_check *c, asr_format fmt, const char *output, FILE *stream,
                           int color, asr_diag *d)
{
    asr_check_style style = {0, 0, 0};
    return asr_check_write_styled(c, fmt, output, stream, color, &style, d);
}

/* A failed write: the report's own reason (the workbook), else the stream's. */
static asr_status write_failed(asr_outfile *of, asr_diag *d)
{
    const char *why = asr_report_error();
    if (!why)
        return of ? asr_outfile_fail(of, d) : ASR_E_IO;
    asr_error(d, NULL, NULL, "%s", why);
    if (of)
        asr_outfile_abort(of);
    return ASR_E_IO;
}

asr_status asr_check_write_styled(const asr_check *c, asr_format fmt, const char *output,
                                  FILE *stream, int color, const asr_check_style *style,
                                  asr_diag *d)
{
    char dir[4096];
    asr_report rep = {.map = c->map,
                      .as_of = c->as_of,
                      .rules_hash = c->rules_hash,
                      .rules = c->rules,
                      .ran = c->run,
                      .n_rules = c->n_rules,
                      .findings = c->findings,
                      .n_findings = c->n_findings,
                      .spool = c->spool,
                      .ordered = c->ordered,
                      .elapsed_ms = c->elapsed_ms,
                      .integrity = c->integrity,
                      .previous = &c->previous,
                      .width = style->width,
                      .no_bom = style->no_bom,
                      .xlsx_by_group = style->xlsx_by_group,
                      .tmpdir = spool_dir(output, dir, sizeof dir)};
    if (!output) {
        if (asr_report_write(&rep, fmt, stream, color))
            return write_failed(NULL, d);
        return fflush(stream) != 0 ? ASR_E_IO : ASR_OK;
    }
    asr_outfile of;
    asr_status st = asr_outfile_open(&of, output, "--output", &c->inputs, d);
    if (st != ASR_OK)
        return st;
    if (asr_report_write(&rep, fmt, of.f, 0))
        return write_failed(&of, d);
    return asr_outfile_commit(&of, "--output", &c->inputs, d);
}

void asr_check_free(asr_check *c)
{
    asr_runner_park_free(c->park);
    asr_store_close(c->store);
    asr_findings_free(c->findings, c->n_findings);
    asr_spool_free(c->spool);
    asr_findspool_free(c->ordered);
    asr_rule_results_free(c->rules, c->n_rules);
    free(c->run);
    asr_map_free(c->map);
    asr_history_classifier_free(c->classifier);
    asr_waiver_classifier_free(c->waiver_classifier);
    asr_waivers_free(&c->waivers);
    asr_inputs_free(&c->inputs);
    memset(c, 0, sizeof *c);
}
