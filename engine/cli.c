#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "datadir.h"
#include "date.h"
#include "util.h"

#define HELP_WIDTH 80
#define HELP_COLUMN 26 /* where option descriptions start */

static const char *const format_names[ASR_OUT_COUNT] = {"text",  "csv",      "json", "jsonl",
                                                        "junit", "markdown", "xlsx"};

static const asr_opt help_opt = {ASR_OPT_HELP, "help", 'h', NULL, "show this help"};

void asr_cli_begin(asr_cli *p, const asr_verb *v, int argc, char **argv)
{
    memset(p, 0, sizeof *p);
    p->verb = v;
    p->argc = argc;
    p->argv = argv;
    p->i = 1;
    p->args = asr_xcalloc((size_t)argc + 1, sizeof *p->args);
    p->c.busy_ms = 5000;
    p->c.max_errors = ASR_DIAG_LIMIT;
    asr_runner_default_opts(&p->c.runner);
}

void asr_cli_end(asr_cli *p)
{
    free(p->args);
    p->args = NULL;
}

int asr_cli_usage(asr_cli *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "assure %s: ", p->verb->name);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\nTry 'assure %s --help'.\n", p->verb->name);
    va_end(ap);
    return p->status = ASR_E_USAGE;
}

long long asr_cli_count(const char *s)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 0 || !(*s >= '0' && *s <= '9'))
        return -1;
    return v;
}

/* "text, csv, json or jsonl": the formats the verb takes. */
static void format_list(unsigned mask, char *out, size_t size)
{
    size_t n = 0, total = 0;
    for (int f = 0; f < ASR_OUT_COUNT; f++)
        total += (mask & ASR_OUT(f)) != 0;
    out[0] = '\0';
    for (int f = 0; f < ASR_OUT_COUNT; f++) {
        if (!(mask & ASR_OUT(f)))
            continue;
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s%s",
                 n == 0           ? ""
                 : n + 1 == total ? " or "
                                  : ", ",
                 format_names[f]);
        n++;
    }
}

/* Stores a shared option's value. 0, or -1 after a usage error. */
static int common(asr_cli *p, int id, const char *arg)
{
    asr_cli_common *c = &p->c;
    long long v;
    asr_date date;
    switch (id) {
    case ASR_OPT_MAP:
        c->map = arg;
        return 0;
    case ASR_OPT_DB:
        c->db = arg;
        return 0;
    case ASR_OPT_RULES:
        if (!*arg || strchr(arg, ASR_RULES_SEP[0]))
            return asr_cli_usage(p, "--rules: '%s' is not a directory name", arg);
        if (asr_datadir_name(arg)) {
            /* "assure:rules": the library installed with assure. Kept for
             * the process's life, like the joined path below. */
            static char resolved[4][4096];
            static size_t n_resolved;
            char *path = asr_datadir_resolve(arg);
            if (!path)
                return asr_cli_usage(p,
                                     "--rules: '%s': no data directory of assure's was found "
                                     "(set ASSURE_DATADIR; see docs/install.md)",
                                     arg);
            size_t len = strlen(path);
            if (n_resolved == sizeof resolved / sizeof resolved[0] || len >= sizeof resolved[0]) {
                free(path);
                return asr_cli_usage(p, "--rules: too many or too long 'assure:' directories");
            }
            memcpy(resolved[n_resolved], path, len + 1);
            free(path);
            arg = resolved[n_resolved++];
        }
        if (c->rules) {
            /* given again: the directories are read in order. One command
             * line per process, so the joined path can live in a static. */
            static char joined[8192];
            size_t have = strlen(c->rules), more = strlen(arg);
            if (have + more + 2 > sizeof joined)
                return asr_cli_usage(p, "--rules: too many directories");
            if (c->rules != joined)
                memcpy(joined, c->rules, have + 1);
            joined[have] = ASR_RULES_SEP[0];
            memcpy(joined + have + 1, arg, more + 1);
            c->rules = joined;
        } else {
            c->rules = arg;
        }
        return 0;
    case ASR_OPT_OUTPUT:
        c->output = arg;
        return 0;
    case ASR_OPT_QUIET:
        c->quiet = 1;
        return 0;
    case ASR_OPT_PROGRESS:
        c->progress = 1;
        return 0;
    case ASR_OPT_AS_OF:
        if (asr_date_parse(arg, strlen(arg), NULL, &date))
            return asr_cli_usage(p, "--as-of takes a date such as 2022-10-03, not '%s'", arg), -1;
        snprintf(c->as_of, sizeof c->as_of, "%s", arg);
        return 0;
    case ASR_OPT_FORMAT:
        for (int f = 0; f < ASR_OUT_COUNT; f++)
            if ((p->verb->formats & ASR_OUT(f)) && strcmp(arg, format_names[f]) == 0) {
                c->format = (asr_out_format)f;
                return 0;
            }
        {
            char list[80];
            format_list(p->verb->formats, list, sizeof list);
            asr_cli_usage(p, "--format takes %s, not '%s'", list, arg);
        }
        return -1;
    case ASR_OPT_JOBS:
        if ((v = asr_cli_count(arg)) < 1 || v > 256)
            return asr_cli_usage(p, "--jobs takes a number from 1 to 256, not '%s'", arg), -1;
        c->runner.jobs = (int)v;
        return 0;
    case ASR_OPT_TIMEOUT:
        if ((v = asr_cli_count(arg)) < 1 || v > 86400)
            return asr_cli_usage(p, "--timeout takes whole seconds (1 to 86400), not '%s'", arg),
                   -1;
        c->runner.budget.seconds = (double)v;
        return 0;
    case ASR_OPT_MEMORY:
        if ((v = asr_cli_count(arg)) < 16 || v > 65536)
            return asr_cli_usage(p, "--memory takes megabytes (16 to 65536), not '%s'", arg), -1;
        c->runner.budget.memory = (size_t)v << 20;
        return 0;
    case ASR_OPT_MAX_FINDINGS:
        if ((v = asr_cli_count(arg)) < 1)
            return asr_cli_usage(p, "--max-findings takes a number, not '%s'", arg), -1;
        c->runner.output.max_findings = (size_t)v;
        /* and room for them: 2 KB a finding on average, at least 16 MB */
        c->runner.output.max_bytes = (size_t)v > 8192 ? (size_t)v * 2048 : 16u << 20;
        return 0;
    case ASR_OPT_BUSY_TIMEOUT:
        if ((v = asr_cli_count(arg)) < 0 || v > INT_MAX)
            return asr_cli_usage(p, "--busy-timeout takes milliseconds, not '%s'", arg), -1;
        c->busy_ms = v;
        return 0;
    case ASR_OPT_MAX_ERRORS:
        if ((v = asr_cli_count(arg)) < 0)
            return asr_cli_usage(p, "--max-errors takes a number, not '%s'", arg), -1;
        c->max_errors = v;
        return 0;
    default:
        return 0;
    }
}

static const asr_opt *find_long(const asr_verb *v, const char *name, size_t len)
{
    if (len == 4 && strncmp(name, "help", 4) == 0)
        return &help_opt;
    for (size_t i = 0; i < v->n_options; i++)
        if (strlen(v->options[i].name) == len && strncmp(v->options[i].name, name, len) == 0)
            return &v->options[i];
    return NULL;
}

static const asr_opt *find_short(const asr_verb *v, char c)
{
    if (c == 'h')
        return &help_opt;
    for (size_t i = 0; i < v->n_options; i++)
        if (v->options[i].short_name == c)
            return &v->options[i];
    return NULL;
}

static int unknown_long(asr_cli *p, const char *name, size_t len)
{
    const char **names = asr_xcalloc(p->verb->n_options + 2, sizeof *names);
    for (size_t i = 0; i < p->verb->n_options; i++)
        names[i] = p->verb->options[i].name;
    names[p->verb->n_options] = "help";
    char *word = asr_xstrndup(name, len);
    const char *hint = asr_did_you_mean(word, names);
    if (hint)
        asr_cli_usage(p, "unknown option '--%s'; did you mean '--%s'?", word, hint);
    else
        asr_cli_usage(p, "unknown option '--%s'", word);
    free(word);
    free(names);
    return -1;
}

int asr_cli_next(asr_cli *p, const char **arg)
{
    *arg = NULL;
    for (;;) {
        if (p->i >= p->argc)
            return 0;
        char *a = p->argv[p->i++];
        if (p->dashdash || a[0] != '-' || a[1] == '\0') {
            p->args[p->n_args++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            p->dashdash = 1;
            continue;
        }
        const asr_opt *o;
        const char *value = NULL;
        char shown[80];
        if (a[1] == '-') {
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            if (!(o = find_long(p->verb, name, len)))
                return unknown_long(p, name, len);
            snprintf(shown, sizeof shown, "--%s", o->name);
            if (eq && !o->arg)
                return asr_cli_usage(p, "option '%s' takes no argument", shown), -1;
            value = eq ? eq + 1 : NULL;
        } else {
            if (!(o = find_short(p->verb, a[1]))) {
                char c[2] = {a[1], 0};
                return asr_cli_usage(p, "unknown option '-%s'", asr_utf8_invalid(c, 1) ? "?" : c),
                       -1;
            }
            snprintf(shown, sizeof shown, "-%c", o->short_name);
            if (a[2] && !o->arg)
                return asr_cli_usage(p, "option '%s' takes no argument (in '%s')", shown, a), -1;
            value = a[2] ? a + 2 : NULL;
        }
        if (o->arg && !value) {
            if (p->i >= p->argc || strncmp(p->argv[p->i], "--", 2) == 0)
                return asr_cli_usage(p, "option '%s' needs an argument (%s)", shown, o->arg), -1;
            value = p->argv[p->i++];
        }
        if (o->id == ASR_OPT_HELP) {
            asr_cli_help(p->verb, stdout);
            p->status = ASR_OK;
            return -1;
        }
        if (common(p, o->id, value) < 0)
            return -1;
        *arg = value;
        return o->id;
    }
}

static const asr_opt *option_of(const asr_verb *v, int id)
{
    for (size_t i = 0; i < v->n_options; i++)
        if (v->options[i].id == id)
            return &v->options[i];
    return NULL;
}

static int given(const asr_cli *p, int id)
{
    const asr_cli_common *c = &p->c;
    switch (id) {
    case ASR_OPT_MAP:
        return c->map != NULL;
    case ASR_OPT_DB:
        return c->db != NULL;
    case ASR_OPT_RULES:
        return c->rules != NULL;
    case ASR_OPT_OUTPUT:
        return c->output != NULL;
    case ASR_OPT_AS_OF:
        return c->as_of[0] != '\0';
    default:
        return 1;
    }
}

int asr_cli_require(asr_cli *p, const int *ids)
{
    size_t n = 0, missing = 0;
    for (; ids[n]; n++)
        missing += !given(p, ids[n]);
    if (!missing)
        return 0;
    /* Name every required option, as the help's usage line does. */
    asr_buf b = {0};
    for (size_t k = 0; k < n; k++) {
        const asr_opt *o = option_of(p->verb, ids[k]);
        if (k)
            asr_buf_adds(&b, k + 1 == n ? " and " : ", ");
        asr_buf_addf(&b, "--%s %s", o ? o->name : "?", o && o->arg ? o->arg : "");
    }
    asr_cli_usage(p, "%s %s required", asr_buf_str(&b), n == 1 ? "is" : "are");
    asr_buf_free(&b);
    return ASR_E_USAGE;
}

int asr_cli_no_args(asr_cli *p)
{
    if (p->n_args == 0)
        return 0;
    return asr_cli_usage(p, "unexpected argument '%s'", p->args[0]);
}

int asr_cli_as_of(asr_cli *p, char out[11])
{
    if (p->c.as_of[0]) {
        memcpy(out, p->c.as_of, 11);
        return 0;
    }
    time_t t = time(NULL);
    struct tm tm;
    if (!localtime_r(&t, &tm))
        return -1;
    return strftime(out, 11, "%Y-%m-%d", &tm) == 10 ? 0 : -1;
}

const char *asr_cli_format_name(asr_out_format f)
{
    return f < ASR_OUT_COUNT ? format_names[f] : "?";
}

asr_progress *asr_cli_progress(const asr_cli *p)
{
    if (p->c.progress)
        return asr_progress_new(stderr, ASR_PROGRESS_LOG, p->verb->name);
    const char *term = getenv("TERM");
    if (p->c.quiet || !isatty(STDERR_FILENO) || (term && strcmp(term, "dumb") == 0))
        return NULL;
    return asr_progress_new(stderr, ASR_PROGRESS_LIVE, p->verb->name);
}

asr_format asr_cli_find_format(const asr_cli *p)
{
    switch (p->c.format) {
    case ASR_OUT_CSV:
        return ASR_FMT_CSV;
    case ASR_OUT_JSON:
        return ASR_FMT_JSON;
    case ASR_OUT_JSONL:
        return ASR_FMT_JSONL;
    case ASR_OUT_XLSX:
        return ASR_FMT_XLSX;
    default:
        return ASR_FMT_TEXT;
    }
}

void asr_cli_problems(asr_diag *d)
{
    asr_diag_sort(d);
    asr_diag_print(d, stderr);
}

/* ---- help ---- */

/* Writes text from column `col` on, wrapped at HELP_WIDTH; "\n" breaks. */
static void wrap(FILE *out, const char *text, size_t col, size_t at)
{
    size_t x = at;
    const char *p = text;
    while (*p) {
        if (*p == '\n') {
            fprintf(out, "\n%*s", (int)col, "");
            x = col;
            p++;
            continue;
        }
        size_t w = strcspn(p, " \n");
        if (x > col && x + 1 + w > HELP_WIDTH) {
            fprintf(out, "\n%*s", (int)col, "");
            x = col;
        } else if (x > col) {
            fputc(' ', out);
            x++;
        }
        fwrite(p, 1, w, out);
        x += w;
        p += w;
        while (*p == ' ')
            p++;
    }
    fputc('\n', out);
}

static void option_row(FILE *out, const asr_opt *o)
{
    char left[80];
    if (o->short_name)
        snprintf(left, sizeof left, "  -%c, --%s%s%s", o->short_name, o->name, o->arg ? " " : "",
                 o->arg ? o->arg : "");
    else
        snprintf(left, sizeof left, "      --%s%s%s", o->name, o->arg ? " " : "",
                 o->arg ? o->arg : "");
    fputs(left, out);
    size_t len = strlen(left);
    if (len + 2 > HELP_COLUMN) {
        fprintf(out, "\n%*s", HELP_COLUMN, "");
    } else {
        fprintf(out, "%*s", (int)(HELP_COLUMN - len), "");
    }
    wrap(out, o->help, HELP_COLUMN, HELP_COLUMN);
}

void asr_cli_help(const asr_verb *v, FILE *out)
{
    fprintf(out, "Usage: %s\n\n%s\n", v->usage, v->description);
    fputs("Options:\n", out);
    for (size_t i = 0; i < v->n_options; i++)
        option_row(out, &v->options[i]);
    option_row(out, &help_opt);
    fputs("\nExit status:", out);
    wrap(out, v->exit_status, 0, 12);
}
