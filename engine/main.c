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

#include "diag.h"
#include "import.h"
#include "map.h"
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

/* ---- validate ---- */

static const char validate_help[] =
    "Usage: assure validate --map FILE\n"
    "\n"
    "Checks an assurance map (and every file it includes) without opening any\n"
    "database, and lists every problem found, in file order, as\n"
    "file:line:col: error: path: message.\n"
    "\n"
    "Options:\n"
    "  -m, --map FILE   the map to check (YAML)\n"
    "  -h, --help       show this help\n"
    "\n"
    "Exit status: 0 the map is valid; 66 the map file is missing; 78 the map has\n"
    "problems; 64 bad command line.\n";

static int cmd_validate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"map", required_argument, NULL, 'm'}, {"help", no_argument, NULL, 'h'}, {0, 0, 0, 0}};
    const char *map_path = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "+m:h", opts, NULL)) != -1) {
        switch (c) {
        case 'm':
            map_path = optarg;
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
    } else if (st == ASR_E_CONFIG) {
        fprintf(stderr, "%s: %zu problem%s; the map is not valid\n", map_path, d.errors,
                d.errors == 1 ? "" : "s");
    }
    asr_map_free(m);
    asr_diag_free(&d);
    return st;
}

/* ---- import ---- */

static const char import_help[] =
    "Usage: assure import --map FILE --db FILE [options] DATASET=PATH...\n"
    "\n"
    "Loads tracker exports into the database, replacing each named dataset's rows\n"
    "with the file's. PATH is a .csv file (RFC 4180, UTF-8, header line first) or\n"
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
    if (optind >= argc)
        return usage_error("import", "%s", "name at least one DATASET=PATH to import");

    size_t n = (size_t)(argc - optind);
    asr_import_spec *specs = calloc(n, sizeof *specs);
    asr_import_result *results = calloc(n, sizeof *results);
    char **owned = calloc(n, sizeof *owned);
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

/* ---- dispatch ---- */

static const char main_help[] =
    "Usage: assure COMMAND [options]\n"
    "\n"
    "An assurance-mapping rules engine: loads a three-lines assurance map, imports\n"
    "tracker data into SQLite and checks it.\n"
    "\n"
    "Commands:\n"
    "  validate   check an assurance map without touching any database\n"
    "  import     load tracker exports (CSV or JSON) into the database\n"
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
        printf("assure %s (SQLite %s)\n", ASSURE_VERSION, asr_store_sqlite_version());
        return ASR_OK;
    }
    /* Each command parses its own options, from argv[1] on. */
    if (strcmp(verb, "validate") == 0)
        return cmd_validate(argc - 1, argv + 1);
    if (strcmp(verb, "import") == 0)
        return cmd_import(argc - 1, argv + 1);
    fprintf(stderr, "%s: unknown command '%s'\nTry '%s --help'.\n", prog, verb, prog);
    return ASR_E_USAGE;
}
