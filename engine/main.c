/* main: the command line. Parses options, calls the library, prints results
 * and problems, and turns the outcome into the documented exit code. The only
 * file that exits or decides what goes to stdout and stderr. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lua.h>

#include "date.h"
#include "diag.h"
#include "import.h"
#include "map.h"
#include "outfile.h"
#include "report.h"
#include "rule.h"
#include "ruletest.h"
#include "runner.h"
#include "sha256.h"
#include "store.h"

#define DEFAULT_MAX_ERRORS 100
#define DEFAULT_BUSY_MS 5000

static const char *prog = "assure";

static void print_problems(asr_diag *d)
{
    asr_diag_sort(d);
    asr_diag_print(d, stderr);
}

static int usage_error(const char *verb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int usage_error(const char *verb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s %s: ", prog, verb);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry '%s %s --help'.\n", prog, verb);
    va_end(ap);
    return ASR_E_USAGE;
}

/* Parses a positive whole number option; -1 if it is not one. */
static long long parse_count(const char *s)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 0)
        return -1;
    return v;
}

/* ---- rules ---- */

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

/* ---- validate ---- */

static const char validate_help[] =
    "Usage: assure validate --map FILE [--rules DIR]\n"
    "\n"
    "Checks an assurance map (and every file it includes) and, with --rules, every\n"
    "rule file in DIR, without opening any database. Lists every problem found,\n"
    "in file order, as file:line:col: error: path: message.\n"
    "\n"
    "Options:\n"
    "  -m, --map FILE   the map to check (YAML)\n"
    "  -r, --rules DIR  also check the rule files (*.lua) in DIR\n"
    "  -h, --help       show this help\n"
    "\n"
    "Exit status: 0 valid; 66 a file or directory is missing; 78 the map or a\n"
    "rule has problems; 64 bad command line.\n";

static int cmd_validate(int argc, char **argv)
{
    static const struct option opts[] = {{"map", required_argument, NULL, 'm'},
                                         {"rules", required_argument, NULL, 'r'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    const char *map_path = NULL, *rules_dir = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "+m:r:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            map_path = optarg;
            break;
        case 'r':
            rules_dir = optarg;
            break;
        case 'h':
            fputs(validate_help, stdout);
            return ASR_OK;
        default:
            return usage_error("validate", "%s", "unknown option");
        }
    }
    if (optind < argc)
        return usage_error("validate", "unexpected argument '%s'", argv[optind]);
    if (!map_path)
        return usage_error("validate", "%s", "--map FILE is required");

    asr_diag d;
    asr_diag_init(&d, 0);
    asr_map *m = NULL;
    asr_status st = asr_map_load(map_path, &d, &m);
    asr_rule_result *rules = NULL;
    size_t n_rules = 0;
    if (st == ASR_OK && rules_dir) {
        asr_runner_opts o;
        asr_runner_default_opts(&o);
        st = asr_runner_load_dir(rules_dir, m, &o, &d, &rules, &n_rules);
    }
    print_problems(&d);
    if (st == ASR_OK) {
        printf("%s: valid map for %s: %zu lines, %zu principles, %zu units, %zu areas, "
               "%zu sources, %zu scales, %zu datasets",
               map_path, m->org_name, m->n_lines, m->n_principles, m->n_units, m->n_areas,
               m->n_sources, m->n_scales, m->n_datasets);
        if (m->n_files > 1)
            printf(" (from %zu files)", m->n_files);
        if (d.warnings)
            printf("; %zu warning%s", d.warnings, d.warnings == 1 ? "" : "s");
        printf("\n");
        if (rules_dir)
            printf("%s: %zu valid rule%s\n", rules_dir, n_rules, n_rules == 1 ? "" : "s");
    } else if (st == ASR_E_CONFIG) {
        fprintf(stderr, "%zu problem%s; not valid\n", d.errors, d.errors == 1 ? "" : "s");
    }
    asr_rule_results_free(rules, n_rules);
    asr_map_free(m);
    asr_diag_free(&d);
    return st;
}

/* ---- import ---- */

static const char import_help[] =
    "Usage: assure import --map FILE --db FILE [options] [DATASET=PATH...]\n"
    "\n"
    "Loads tracker exports into the database, replacing each named dataset's rows\n"
    "with the file's; with no DATASET=PATH, only reloads the map tables. PATH is a .csv file (RFC "
    "4180, UTF-8, header line first) or\n"
    "a .json file (an array of objects). All files are imported together or not at\n"
    "all: if any row of any file is rejected, the database is left exactly as it\n"
    "was, and every problem is listed as file:line: column: 'value': reason.\n"
    "A file identical to the one last imported is recognised and left alone.\n"
    "\n"
    "Options:\n"
    "  -m, --map FILE            the assurance map declaring the datasets\n"
    "  -d, --db FILE             the database (created if missing)\n"
    "      --max-errors N        list at most N problems, then count the rest\n"
    "                            (default 100; 0 = no limit)\n"
    "      --max-file-size BYTES refuse larger files (default 4 GiB; JSON 1 GiB)\n"
    "      --busy-timeout MS     wait this long for a database locked by another\n"
    "                            process (default 5000)\n"
    "  -q, --quiet               print nothing on success\n"
    "  -h, --help                show this help\n"
    "\n"
    "Exit status: 0 imported (or unchanged); 65 data rejected; 66 a file is\n"
    "missing; 75 database locked, try again; 74 I/O error or damaged database;\n"
    "78 bad map; 64 bad command line.\n";

static int cmd_import(int argc, char **argv)
{
    enum { OPT_MAX_ERRORS = 256, OPT_MAX_SIZE, OPT_BUSY };
    static const struct option opts[] = {{"map", required_argument, NULL, 'm'},
                                         {"db", required_argument, NULL, 'd'},
                                         {"max-errors", required_argument, NULL, OPT_MAX_ERRORS},
                                         {"max-file-size", required_argument, NULL, OPT_MAX_SIZE},
                                         {"busy-timeout", required_argument, NULL, OPT_BUSY},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    const char *map_path = NULL, *db_path = NULL;
    long long max_errors = DEFAULT_MAX_ERRORS, busy = DEFAULT_BUSY_MS, max_size = 0;
    int quiet = 0, c;
    while ((c = getopt_long(argc, argv, "+m:d:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            map_path = optarg;
            break;
        case 'd':
            db_path = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case OPT_MAX_ERRORS:
            if ((max_errors = parse_count(optarg)) < 0)
                return usage_error("import", "--max-errors takes a number, not '%s'", optarg);
            break;
        case OPT_MAX_SIZE:
            if ((max_size = parse_count(optarg)) <= 0)
                return usage_error("import", "--max-file-size takes a number of bytes, not '%s'",
                                   optarg);
            break;
        case OPT_BUSY:
            if ((busy = parse_count(optarg)) < 0 || busy > INT_MAX)
                return usage_error("import", "--busy-timeout takes milliseconds, not '%s'", optarg);
            break;
        case 'h':
            fputs(import_help, stdout);
            return ASR_OK;
        default:
            return usage_error("import", "%s", "unknown option");
        }
    }
    if (!map_path)
        return usage_error("import", "%s", "--map FILE is required");
    if (!db_path)
        return usage_error("import", "%s", "--db FILE is required");
    /* With no DATASET=PATH, only the map tables are reloaded. */
    size_t n = (size_t)(argc - optind);
    asr_import_spec *specs = calloc(n + 1, sizeof *specs);
    asr_import_result *results = calloc(n + 1, sizeof *results);
    char **owned = calloc(n + 1, sizeof *owned);
    if (!specs || !results || !owned) {
        fputs("assure: out of memory\n", stderr);
        return ASR_E_INTERNAL;
    }
    int rc = ASR_OK;
    for (size_t i = 0; i < n; i++) {
        const char *arg = argv[optind + (int)i];
        const char *eq = strchr(arg, '=');
        if (!eq || eq == arg || !eq[1]) {
            rc = usage_error("import", "expected DATASET=PATH, got '%s'", arg);
            goto done;
        }
        owned[i] = strndup(arg, (size_t)(eq - arg));
        specs[i].dataset = owned[i];
        specs[i].path = eq + 1;
    }

    asr_store_bulk_mode();
    asr_diag d;
    asr_diag_init(&d, (size_t)max_errors);
    asr_map *m = NULL;
    asr_store *s = NULL;
    asr_status st = asr_map_load(map_path, &d, &m);
    if (st == ASR_OK)
        st = asr_store_open(db_path, ASR_STORE_CREATE, (int)busy, &d, &s);
    if (st == ASR_OK) {
        asr_import_limits limits = {(unsigned long long)max_size, 0};
        st = asr_import_run(s, m, specs, n, &limits, &d, results);
    }
    print_problems(&d);
    if (st == ASR_OK && !quiet && n == 0)
        printf("map tables loaded from %s\n", map_path);
    if (st == ASR_OK && !quiet) {
        for (size_t i = 0; i < n; i++) {
            const asr_import_result *r = &results[i];
            const char *rows = r->rows == 1 ? "row" : "rows";
            if (r->outcome == ASR_UNCHANGED)
                printf("%-24s unchanged: %s is identical to the last import (%lld %s)\n",
                       specs[i].dataset, specs[i].path, r->rows, rows);
            else if (r->previous_rows >= 0)
                printf("%-24s %lld %s from %s (replacing %lld)\n", specs[i].dataset, r->rows, rows,
                       specs[i].path, r->previous_rows);
            else
                printf("%-24s %lld %s from %s\n", specs[i].dataset, r->rows, rows, specs[i].path);
        }
    } else if (st == ASR_E_DATA) {
        fprintf(stderr, "import rejected: %zu problem%s; the database was not changed\n", d.errors,
                d.errors == 1 ? "" : "s");
    }
    asr_store_close(s);
    asr_map_free(m);
    asr_diag_free(&d);
    rc = st;
done:
    for (size_t i = 0; i < n; i++)
        free(owned[i]);
    free(owned);
    free(specs);
    free(results);
    return rc;
}

/* ---- check ---- */

static const char check_help[] =
    "Usage: assure check --map FILE --db FILE --rules DIR [options]\n"
    "\n"
    "Runs the rules in DIR against the imported data and prints the exception\n"
    "list. Each rule runs in its own sandboxed worker process with its own time,\n"
    "memory and output budget; a rule that fails is reported with the kind of\n"
    "failure (timeout, memory, output, runtime, crash, sandbox) and the other\n"
    "rules' results are still produced.\n"
    "\n"
    "Options:\n"
    "  -m, --map FILE         the assurance map (must be the one last imported)\n"
    "  -d, --db FILE          the database written by 'assure import'\n"
    "  -r, --rules DIR        the rule files (*.lua)\n"
    "  -a, --as-of DATE       evaluate as at this date (YYYY-MM-DD; default today)\n"
    "      --rule ID          run only this rule (repeat for more)\n"
    "  -f, --format FORMAT    text (default), csv, json or jsonl\n"
    "  -o, --output FILE      write to FILE (atomically) instead of standard output\n"
    "  -j, --jobs N           rules run at once (default: the number of cores)\n"
    "      --timeout SECONDS  per-rule time budget (default 30)\n"
    "      --memory MB        per-rule memory budget (default 256)\n"
    "      --max-findings N   per-rule output budget (default 10000)\n"
    "      --profile          print each rule's time, Lua instructions, rows read,\n"
    "                         findings and peak memory to standard error\n"
    "  -h, --help             show this help\n"
    "\n"
    "Exit status: 0 no exceptions; 1 exceptions found; 2 some rules failed (the\n"
    "other results are still produced); 64 bad command line; 65 the database\n"
    "holds another map; 66 a file is missing; 73/74 the output cannot be\n"
    "written; 75 database busy; 78 a bad map or rule file.\n";

/* --profile: where the time went, slowest rule first, on standard error. */
static void print_profile(const asr_rule_result *rules, const int *run, size_t n, double total)
{
    size_t *order = calloc(n ? n : 1, sizeof *order), k = 0;
    if (!order)
        return;
    for (size_t i = 0; i < n; i++)
        if (run[i])
            order[k++] = i;
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && rules[order[j]].elapsed_ms > rules[order[j - 1]].elapsed_ms;
             j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    /* The budget hook counts instructions in steps of 1,000. */
    fprintf(stderr, "%-32s %10s %14s %12s %9s %10s\n", "rule", "ms", "k instructions", "rows read",
            "findings", "memory KB");
    for (size_t i = 0; i < k; i++) {
        const asr_rule_result *r = &rules[order[i]];
        fprintf(stderr, "%-32s %10.1f %14llu %12lld %9zu %10zu%s%s\n", r->rule.id, r->elapsed_ms,
                (unsigned long long)(r->instructions / 1000), r->rows_read, r->n_findings,
                r->memory_peak / 1024, r->fail ? "  FAILED: " : "",
                r->fail ? asr_fail_kind_name(r->fail) : "");
    }
    fprintf(stderr, "%-32s %10.1f  (whole run, wall clock)\n", "total", total);
    free(order);
}

static int today(char out[11])
{
    time_t t = time(NULL);
    struct tm tm;
    if (!localtime_r(&t, &tm))
        return -1;
    return strftime(out, 11, "%Y-%m-%d", &tm) == 10 ? 0 : -1;
}

/* Where check keeps formatted findings that outgrow memory: beside the
 * output file (the same disk the output needs), else $TMPDIR or /tmp. */
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

static int cmd_check(int argc, char **argv)
{
    enum { OPT_RULE = 256, OPT_TIMEOUT, OPT_MEMORY, OPT_MAX_FINDINGS, OPT_PROFILE };
    static const struct option opts[] = {
        {"map", required_argument, NULL, 'm'},
        {"db", required_argument, NULL, 'd'},
        {"rules", required_argument, NULL, 'r'},
        {"as-of", required_argument, NULL, 'a'},
        {"rule", required_argument, NULL, OPT_RULE},
        {"format", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"jobs", required_argument, NULL, 'j'},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"memory", required_argument, NULL, OPT_MEMORY},
        {"max-findings", required_argument, NULL, OPT_MAX_FINDINGS},
        {"profile", no_argument, NULL, OPT_PROFILE},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0}};
    const char *map_path = NULL, *db_path = NULL, *rules_dir = NULL, *output = NULL;
    char as_of[11] = "";
    asr_format fmt = ASR_FMT_TEXT;
    asr_runner_opts o;
    asr_runner_default_opts(&o);
    const char **only = calloc((size_t)argc + 1, sizeof *only);
    size_t n_only = 0;
    int c, profile = 0;
    long long v;
    asr_date date;
#define USAGE(...)                                                                                 \
    do {                                                                                           \
        free(only);                                                                                \
        return usage_error("check", __VA_ARGS__);                                                  \
    } while (0)
    while ((c = getopt_long(argc, argv, "+m:d:r:a:f:o:j:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            map_path = optarg;
            break;
        case 'd':
            db_path = optarg;
            break;
        case 'r':
            rules_dir = optarg;
            break;
        case 'a':
            if (asr_date_parse(optarg, strlen(optarg), NULL, &date))
                USAGE("--as-of takes a date such as 2022-10-03, not '%s'", optarg);
            snprintf(as_of, sizeof as_of, "%s", optarg);
            break;
        case OPT_RULE:
            only[n_only++] = optarg;
            break;
        case 'f':
            if (asr_format_parse(optarg, &fmt))
                USAGE("--format takes text, csv, json or jsonl, not '%s'", optarg);
            break;
        case 'o':
            output = optarg;
            break;
        case 'j':
            if ((v = parse_count(optarg)) < 1 || v > 256)
                USAGE("--jobs takes a number from 1 to 256, not '%s'", optarg);
            o.jobs = (int)v;
            break;
        case OPT_TIMEOUT:
            if ((v = parse_count(optarg)) < 1 || v > 86400)
                USAGE("--timeout takes whole seconds (1 to 86400), not '%s'", optarg);
            o.budget.seconds = (double)v;
            break;
        case OPT_MEMORY:
            if ((v = parse_count(optarg)) < 16 || v > 65536)
                USAGE("--memory takes megabytes (16 to 65536), not '%s'", optarg);
            o.budget.memory = (size_t)v << 20;
            break;
        case OPT_MAX_FINDINGS:
            if ((v = parse_count(optarg)) < 1)
                USAGE("--max-findings takes a number, not '%s'", optarg);
            o.output.max_findings = (size_t)v;
            /* and room for them: 2 KB a finding on average, at least 16 MB */
            o.output.max_bytes = (size_t)v > 8192 ? (size_t)v * 2048 : 16u << 20;
            break;
        case OPT_PROFILE:
            profile = 1;
            break;
        case 'h':
            free(only);
            fputs(check_help, stdout);
            return ASR_OK;
        default:
            USAGE("%s", "unknown option");
        }
    }
    if (optind < argc)
        USAGE("unexpected argument '%s'", argv[optind]);
    if (!map_path || !db_path || !rules_dir)
        USAGE("%s", "--map FILE, --db FILE and --rules DIR are required");
#undef USAGE
    if (!as_of[0] && today(as_of)) {
        free(only);
        fputs("assure check: cannot read today's date; give --as-of\n", stderr);
        return ASR_E_INTERNAL;
    }

    asr_diag d;
    asr_diag_init(&d, 200);
    asr_map *m = NULL;
    asr_store *s = NULL;
    asr_rule_result *rules = NULL;
    size_t n_rules = 0;
    int *run = NULL;
    asr_finding *findings = NULL;
    size_t n_findings = 0;
    asr_spool *spool = NULL;
    asr_findfmt_sink sink;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);

    asr_status st = asr_map_load(map_path, &d, &m);
    if (st == ASR_OK)
        st = asr_store_open(db_path, ASR_STORE_EXISTING_UNCHECKED, 5000, &d, &s);
    if (st == ASR_OK) {
        char stored[65];
        asr_store_map_hash(s, stored);
        if (strcmp(stored, m->hash) != 0) {
            asr_loc l = {db_path, 0, 0};
            asr_error(&d, &l, NULL,
                      stored[0] ? "the database holds a different version of the map; reload it "
                                  "with 'assure import --map %s --db %s'"
                                : "nothing has been imported yet; run 'assure import --map %s "
                                  "--db %s' first",
                      map_path, db_path);
            st = ASR_E_DATA;
        }
        asr_store_close(s); /* workers open their own connections */
        s = NULL;
    }
    if (st == ASR_OK)
        st = asr_runner_load_dir(rules_dir, m, &o, &d, &rules, &n_rules);
    if (st == ASR_OK) {
        run = calloc(n_rules ? n_rules : 1, sizeof *run);
        for (size_t i = 0; i < n_rules; i++)
            run[i] = n_only == 0;
        for (size_t k = 0; k < n_only; k++) {
            size_t i = 0;
            while (i < n_rules && strcmp(rules[i].rule.id, only[k]) != 0)
                i++;
            if (i == n_rules) {
                const char *hint = NULL;
                for (size_t j = 0; j < n_rules && !hint; j++)
                    if (asr_edit_distance(only[k], rules[j].rule.id, 3) <= 3)
                        hint = rules[j].rule.id;
                asr_error(&d, NULL, NULL, "--rule %s: no rule with this id in %s%s%s%s", only[k],
                          rules_dir, hint ? "; did you mean '" : "", hint ? hint : "",
                          hint ? "'?" : "");
                st = ASR_E_USAGE;
            } else {
                run[i] = 1;
            }
        }
    }
    if (st == ASR_OK && output) {
        /* An output file that cannot be created fails now (73), before any
         * rule runs, however long the list would have been. */
        asr_outfile probe;
        if ((st = asr_outfile_open(&probe, output, &d)) == ASR_OK)
            asr_outfile_abort(&probe);
    }
    if (st == ASR_OK && fmt != ASR_FMT_TEXT) {
        /* Workers format their findings; the parent keeps the bytes until each
         * rule's turn comes, beyond 8 MiB in a temporary file beside the output. */
        asr_findfmt_sink_init(&sink, fmt, m);
        o.sink = &sink.sink;
        char dir[4096];
        spool = asr_spool_new(spool_dir(output, dir, sizeof dir), 8u << 20);
    }
    if (st == ASR_OK) {
        /* The integrity check reads every page; it runs beside the rules, and
         * nothing they found is written unless it passes. */
        asr_store_bgcheck check;
        asr_store_bgcheck_start(db_path, &check);
        asr_runner_check(rules, run, n_rules, m, db_path, as_of, &o, spool, &findings, &n_findings);
        st = asr_store_bgcheck_finish(&check, db_path, &d);
        if (st == ASR_OK && spool && asr_spool_error(spool)) {
            asr_error(&d, NULL, NULL, "%s", asr_spool_error(spool));
            st = ASR_E_IO;
        }
    }
    print_problems(&d);
    if (st != ASR_OK)
        goto done;

    for (size_t i = 0; i < n_rules; i++)
        for (size_t k = 0; k < rules[i].n_logs; k++)
            fprintf(stderr, "log: %s: %s\n", rules[i].rule.id, rules[i].logs[k]);

    char hash[65];
    rules_hash(rules, n_rules, hash);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    asr_report rep = {
        m,        as_of,
        hash,     rules,
        run,      n_rules,
        findings, n_findings,
        spool,    (double)(t1.tv_sec - t0.tv_sec) * 1000 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6};
    int failed = 0;
    size_t total = 0;
    for (size_t i = 0; i < n_rules; i++) {
        failed |= run[i] && rules[i].fail != ASR_FAIL_NONE;
        total += run[i] ? rules[i].n_findings : 0;
    }
    if (output) {
        asr_outfile of;
        asr_diag od;
        asr_diag_init(&od, 0);
        st = asr_outfile_open(&of, output, &od);
        if (st == ASR_OK) {
            if (asr_report_write(&rep, fmt, of.f, 0)) {
                asr_outfile_abort(&of);
                asr_loc l = {output, 0, 0};
                asr_error(&od, &l, NULL, "cannot write the output file");
                st = ASR_E_IO;
            } else {
                st = asr_outfile_commit(&of, &od);
            }
        }
        print_problems(&od);
        asr_diag_free(&od);
    } else {
        const char *no_color = getenv("NO_COLOR");
        int color = fmt == ASR_FMT_TEXT && isatty(STDOUT_FILENO) && !(no_color && *no_color);
        if (asr_report_write(&rep, fmt, stdout, color) || fflush(stdout) != 0)
            st = ASR_E_IO;
    }
    if (profile)
        print_profile(rules, run, n_rules, rep.elapsed_ms);
    if (st == ASR_OK)
        st = failed ? ASR_RULE_FAILED : total ? ASR_FINDINGS : ASR_OK;
done:
    asr_findings_free(findings, n_findings);
    asr_spool_free(spool);
    asr_rule_results_free(rules, n_rules);
    free(run);
    free(only);
    asr_map_free(m);
    asr_diag_free(&d);
    return st;
}

/* ---- test ---- */

static const char test_help[] =
    "Usage: assure test --rules DIR [--map FILE] [options]\n"
    "\n"
    "Runs the rule test cases in DIR/*.test.yaml. Each case gets a fresh database\n"
    "holding its own data (checked like a real import), runs its rules, and\n"
    "compares their findings with the expected ones: a missing or unexpected\n"
    "finding, or a rule failure the case does not expect, fails the case.\n"
    "\n"
    "Options:\n"
    "  -r, --rules DIR         the rules and their test files\n"
    "  -m, --map FILE          the map for cases whose test file names none\n"
    "      --filter TEXT       run only cases whose name or rule id contains TEXT\n"
    "  -f, --format FORMAT     text (default), json or junit\n"
    "      --coverage          add the coverage report: rule lines run, rules seen\n"
    "                          firing and quiet, and the map the rules cover\n"
    "      --coverage-html F   write the coverage matrix as an HTML page to F\n"
    "      --min-coverage N    fail unless line and behaviour coverage are >= N%\n"
    "  -j, --jobs N            rules run at once within a case (default: cores)\n"
    "      --timeout SECONDS   per-rule time budget (default 30)\n"
    "  -h, --help              show this help\n"
    "\n"
    "Exit status: 0 all passed (and coverage met); 1 a case failed or coverage\n"
    "is below --min-coverage; 78 a bad test or rule file; 64 bad command line.\n";

static int cmd_test(int argc, char **argv)
{
    enum { OPT_FILTER = 256, OPT_COVERAGE, OPT_HTML, OPT_MIN, OPT_TIMEOUT };
    static const struct option opts[] = {{"rules", required_argument, NULL, 'r'},
                                         {"map", required_argument, NULL, 'm'},
                                         {"filter", required_argument, NULL, OPT_FILTER},
                                         {"format", required_argument, NULL, 'f'},
                                         {"coverage", no_argument, NULL, OPT_COVERAGE},
                                         {"coverage-html", required_argument, NULL, OPT_HTML},
                                         {"min-coverage", required_argument, NULL, OPT_MIN},
                                         {"jobs", required_argument, NULL, 'j'},
                                         {"timeout", required_argument, NULL, OPT_TIMEOUT},
                                         {"help", no_argument, NULL, 'h'},
                                         {0, 0, 0, 0}};
    asr_test_opts o = {0};
    o.min_coverage = -1;
    asr_runner_default_opts(&o.runner);
    int c;
    long long v;
    while ((c = getopt_long(argc, argv, "+r:m:f:j:h", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            o.rules_dir = optarg;
            break;
        case 'm':
            o.map_path = optarg;
            break;
        case OPT_FILTER:
            o.filter = optarg;
            break;
        case 'f':
            if (strcmp(optarg, "text") == 0)
                o.format = ASR_TEST_TEXT;
            else if (strcmp(optarg, "json") == 0)
                o.format = ASR_TEST_JSON;
            else if (strcmp(optarg, "junit") == 0)
                o.format = ASR_TEST_JUNIT;
            else
                return usage_error("test", "--format takes text, json or junit, not '%s'", optarg);
            break;
        case OPT_COVERAGE:
            o.coverage = 1;
            break;
        case OPT_HTML:
            o.html = optarg;
            break;
        case OPT_MIN:
            if ((v = parse_count(optarg)) < 0 || v > 100)
                return usage_error("test", "--min-coverage takes a percentage, not '%s'", optarg);
            o.min_coverage = (double)v;
            o.coverage = 1;
            break;
        case 'j':
            if ((v = parse_count(optarg)) < 1 || v > 256)
                return usage_error("test", "--jobs takes a number from 1 to 256, not '%s'", optarg);
            o.runner.jobs = (int)v;
            break;
        case OPT_TIMEOUT:
            if ((v = parse_count(optarg)) < 1 || v > 86400)
                return usage_error("test", "--timeout takes whole seconds, not '%s'", optarg);
            o.runner.budget.seconds = (double)v;
            break;
        case 'h':
            fputs(test_help, stdout);
            return ASR_OK;
        default:
            return usage_error("test", "%s", "unknown option");
        }
    }
    if (optind < argc)
        return usage_error("test", "unexpected argument '%s'", argv[optind]);
    if (!o.rules_dir)
        return usage_error("test", "%s", "--rules DIR is required");
    asr_diag d;
    asr_diag_init(&d, 200);
    asr_status st = asr_ruletest_run(&o, stdout, &d);
    print_problems(&d);
    if (fflush(stdout) != 0)
        st = ASR_E_IO;
    asr_diag_free(&d);
    return st;
}

/* ---- dispatch ---- */

static const char main_help[] =
    "Usage: assure COMMAND [options]\n"
    "\n"
    "An assurance-mapping rules engine: loads a three-lines assurance map, imports\n"
    "tracker data into SQLite and checks it.\n"
    "\n"
    "Commands:\n"
    "  validate   check an assurance map and rule files without touching any database\n"
    "  import     load tracker exports (CSV or JSON) into the database\n"
    "  check      run the rules and print the exception list\n"
    "  test       run the rules' test cases and report coverage\n"
    "\n"
    "Run 'assure COMMAND --help' for a command's options. Exit codes are listed\n"
    "in docs/cli.md.\n"
    "\n"
    "  -h, --help      show this help\n"
    "  -V, --version   show the version of assure and its libraries\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(main_help, stderr);
        return ASR_E_USAGE;
    }
    const char *verb = argv[1];
    if (strcmp(verb, "-h") == 0 || strcmp(verb, "--help") == 0 || strcmp(verb, "help") == 0) {
        fputs(main_help, stdout);
        return ASR_OK;
    }
    if (strcmp(verb, "-V") == 0 || strcmp(verb, "--version") == 0) {
        printf("assure %s (%s, SQLite %s)\n", ASSURE_VERSION, LUA_RELEASE,
               asr_store_sqlite_version());
        return ASR_OK;
    }
    /* Each command parses its own options, from argv[1] on. */
    if (strcmp(verb, "validate") == 0)
        return cmd_validate(argc - 1, argv + 1);
    if (strcmp(verb, "import") == 0)
        return cmd_import(argc - 1, argv + 1);
    if (strcmp(verb, "check") == 0)
        return cmd_check(argc - 1, argv + 1);
    if (strcmp(verb, "test") == 0)
        return cmd_test(argc - 1, argv + 1);
    fprintf(stderr, "%s: unknown command '%s'\nTry '%s --help'.\n", prog, verb, prog);
    return ASR_E_USAGE;
}
