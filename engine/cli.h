/* cli: what the verbs of the command line share. A verb is a row of the
 * verb table (name, one-line summary, usage, description, its options, exit
 * codes, the function that runs it); its options are a table too, from
 * which the parser works and the help is written, so the two cannot
 * disagree. The options several verbs take (--map, --db, --rules, --as-of,
 * --format, --output, --jobs, --timeout, --memory, --max-findings, --quiet,
 * --busy-timeout, --max-errors, --progress) are parsed here, once, with one
 * set of messages; the progress display a verb shows is chosen here too. Usage errors are one
 * message naming the option, a suggestion when one is close, then "Try 'assure VERB --help'". Only
 * main.c and the cmd_*.c files use this module. Uses diag, findfmt (formats), runner (budgets),
 * progress, date, util. */
#ifndef ASSURE_CLI_H
#define ASSURE_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "diag.h"
#include "findfmt.h"
#include "progress.h"
#include "runner.h"

/* Ids of the shared options; a verb numbers its own from ASR_OPT_OWN. */
enum {
    ASR_OPT_HELP = 1,
    ASR_OPT_MAP,
    ASR_OPT_DB,
    ASR_OPT_RULES,
    ASR_OPT_AS_OF,
    ASR_OPT_FORMAT,
    ASR_OPT_OUTPUT,
    ASR_OPT_JOBS,
    ASR_OPT_TIMEOUT,
    ASR_OPT_MEMORY,
    ASR_OPT_MAX_FINDINGS,
    ASR_OPT_QUIET,
    ASR_OPT_BUSY_TIMEOUT,
    ASR_OPT_MAX_ERRORS,
    ASR_OPT_PROGRESS,
    ASR_OPT_OWN = 100,
};

typedef struct {
    int id;           /* what asr_cli_next returns */
    const char *name; /* long name, without "--" */
    char short_name;  /* 0: none */
    const char *arg;  /* the argument's name in help, e.g. "FILE"; NULL: takes none */
    const char *help; /* what it does, for --help; "\n" starts a continuation line */
} asr_opt;

/* Every --format value any verb takes; a verb says which it accepts. */
typedef enum {
    ASR_OUT_TEXT,
    ASR_OUT_CSV,
    ASR_OUT_JSON,
    ASR_OUT_JSONL,
    ASR_OUT_JUNIT,
    ASR_OUT_MARKDOWN,
    ASR_OUT_XLSX,
    ASR_OUT_COUNT
} asr_out_format;
#define ASR_OUT(f) (1u << (f))

typedef struct asr_verb asr_verb;
struct asr_verb {
    const char *name;
    const char *summary;     /* one line, for 'assure --help' */
    const char *usage;       /* after "Usage: ", e.g. "assure check --map FILE ..." */
    const char *description; /* paragraphs for --help */
    const asr_opt *options;
    size_t n_options;
    unsigned formats;        /* ASR_OUT(...) bits --format accepts; 0: no --format */
    const char *exit_status; /* for --help */
    int (*run)(const asr_verb *v, int argc, char **argv);
};

/* What the shared options were set to. */
typedef struct {
    const char *map, *db, *output;
    const char *rules; /* the --rules directories: several, given more than once, joined by
                          ASR_RULES_SEP (later ones' rules replace earlier ones' of the same id) */
    char as_of[11];    /* "" unless --as-of was given; see asr_cli_as_of */
    asr_out_format format;
    int quiet;
    int progress;         /* --progress: progress as log lines, wherever standard error goes */
    long long busy_ms;    /* default 5000 */
    long long max_errors; /* default 100; 0 = no limit */
    asr_runner_opts runner;
} asr_cli_common;

typedef struct {
    const asr_verb *verb;
    int argc;
    char **argv;
    int i;        /* next argument */
    int dashdash; /* "--" seen: the rest are arguments */
    char **args;  /* the arguments that are not options, in order */
    int n_args;
    int status; /* after a stop: ASR_OK (help shown) or ASR_E_USAGE */
    asr_cli_common c;
} asr_cli;

/* Starts parsing argv[1..argc) (argv[0] is the verb) with the shared
 * options at their defaults. Free with asr_cli_end. */
void asr_cli_begin(asr_cli *p, const asr_verb *v, int argc, char **argv);
void asr_cli_end(asr_cli *p);

/* The next option: its id (> 0) with *arg its argument (or NULL), 0 once
 * every argument is read, or -1 to stop with p->status: --help was asked for
 * and printed (ASR_OK), or a usage error was printed (ASR_E_USAGE). Shared
 * options are stored in p->c as well as returned. */
int asr_cli_next(asr_cli *p, const char **arg);

/* Prints "assure VERB: MESSAGE" and "Try 'assure VERB --help'." to standard
 * error; returns ASR_E_USAGE (also left in p->status). */
int asr_cli_usage(asr_cli *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Usage errors for what the verb needs: each named option given (ids, 0
 * ends the list: "--map FILE and --db FILE are required"), and no
 * arguments when the verb takes none. 0, or ASR_E_USAGE after printing. */
int asr_cli_require(asr_cli *p, const int *ids);
int asr_cli_no_args(asr_cli *p);

/* The --as-of date, or today's. -1 if today cannot be read. */
int asr_cli_as_of(asr_cli *p, char out[11]);

/* A --format value's name: "text", "csv", ... */
const char *asr_cli_format_name(asr_out_format f);

/* The report format for check-like verbs (text, csv, json, jsonl). */
asr_format asr_cli_find_format(const asr_cli *p);

/* The progress display for a verb's long work on standard error, or NULL
 * for none: live (redrawn in place) when standard error is a terminal and
 * --quiet was not given; log lines when --progress was given, wherever
 * standard error goes. Free with asr_progress_free. */
asr_progress *asr_cli_progress(const asr_cli *p);

/* Writes the verb's help: usage, description, options, exit status. */
void asr_cli_help(const asr_verb *v, FILE *out);

/* Sorts and prints problems to standard error. */
void asr_cli_problems(asr_diag *d);

/* Parses a whole non-negative number; -1 if it is not one. */
long long asr_cli_count(const char *s);

#endif
