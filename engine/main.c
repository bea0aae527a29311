/* main: the command line's entry point. The verb table -- each verb's name,
 * summary and the function that runs it (one file per verb, cmd_*.c) -- is
 * the one list the dispatcher, 'assure --help' and the suggestions for a
 * mistyped verb all read, and the hidden verbs __describe and __complete
 * (complete.h) hand to the man pages and the shell completions. The only
 * place that exits: a verb's status is the documented exit code
 * (docs/cli.md). */
#include <stdio.h>
#include <string.h>

#include <lua.h>

#include "cmd.h"
#include "complete.h"
#include "confine.h"
#include "datadir.h"
#include "sha256.h"
#include "store.h"
#include "xlsx.h"
#include "yamltree.h"
#include "util.h"
#include "xlsxout.h"

/* The verbs, in the order 'assure --help' lists them. */
static const asr_verb *const verbs[] = {
    &asr_verb_validate, /* the map and rules */
    &asr_verb_import,   /* tracker exports in */
    &asr_verb_check,    /* the exception list */
    &asr_verb_test,     /* the rules' own tests */
    &asr_verb_run,      /* the nightly job */
    &asr_verb_diff,     /* what changed */
    &asr_verb_history,  /* the runs recorded */
    &asr_verb_rules,    /* the rule library */
    &asr_verb_explain,  /* why a finding exists */
    &asr_verb_report,   /* the board pack */
    &asr_verb_init,     /* a new organisation's skeleton */
};
#define N_VERBS (sizeof verbs / sizeof verbs[0])

static const asr_verb *find_verb(const char *name)
{
    for (size_t i = 0; i < N_VERBS; i++)
        if (strcmp(verbs[i]->name, name) == 0)
            return verbs[i];
    return NULL;
}

static void main_help(FILE *out)
{
    fputs("Usage: assure COMMAND [options]\n"
          "\n"
          "An assurance-mapping rules engine: loads a three-lines assurance map, imports\n"
          "tracker data into SQLite and checks it.\n"
          "\n"
          "Commands:\n",
          out);
    for (size_t i = 0; i < N_VERBS; i++)
        fprintf(out, "  %-10s %s\n", verbs[i]->name, verbs[i]->summary);
    fputs("\n"
          "Run 'assure help COMMAND' or 'assure COMMAND --help' for a command's options.\n"
          "Exit codes are listed in docs/cli.md.\n"
          "\n"
          "  -h, --help      show this help\n"
          "  -V, --version   show the version of assure, its libraries, the database\n"
          "                  schema and the features built in\n",
          out);
}

/* --version: assure's, the database schema's, the libraries', the features
 * built in and where the installed files are (docs/install.md). */
static int version(FILE *out)
{
    char seccomp[32], nettle[32];
    const char *data = asr_datadir();
    fprintf(out,
            "assure %s (%s, SQLite %s)\n"
            "database schema: %d\n"
            "libraries: libyaml %s, libzip %s, expat %s, nettle %s, libseccomp %s, "
            "libxlsxwriter %s\n"
            "features: xlsx-import xlsx-export seccomp-filter\n"
            "data directory: %s (%s)\n",
            ASSURE_VERSION, LUA_RELEASE, asr_store_sqlite_version(), ASR_STORE_SCHEMA_VERSION,
            asr_yaml_version(), asr_xlsx_libzip_version(), asr_xlsx_expat_version(),
            asr_sha256_nettle_version(nettle, sizeof nettle),
            asr_confine_seccomp_version(seccomp, sizeof seccomp), asr_xlsxout_version(),
            data ? data : "none", asr_datadir_origin());
    return fflush(out) == 0 ? ASR_OK : ASR_E_IO;
}

static int unknown_verb(const char *name)
{
    const char *names[N_VERBS + 1];
    for (size_t i = 0; i < N_VERBS; i++)
        names[i] = verbs[i]->name;
    names[N_VERBS] = NULL;
    const char *hint = asr_did_you_mean(name, names);
    fprintf(stderr, "assure: unknown command '%s'", name);
    if (hint)
        fprintf(stderr, "; did you mean '%s'?", hint);
    fputs("\nTry 'assure --help'.\n", stderr);
    return ASR_E_USAGE;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        main_help(stderr);
        return ASR_E_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
        main_help(stdout);
        return ASR_OK;
    }
    if (strcmp(name, "help") == 0) {
        if (argc < 3) {
            main_help(stdout);
            return ASR_OK;
        }
        const asr_verb *v = find_verb(argv[2]);
        if (!v)
            return unknown_verb(argv[2]);
        asr_cli_help(v, stdout);
        return ASR_OK;
    }
    /* Hidden: the tables in machine form (man pages, drift test) and the
     * shell completions' questions (complete.h). */
    if (strcmp(name, "__describe") == 0) {
        asr_describe(verbs, N_VERBS, stdout);
        return fflush(stdout) == 0 ? ASR_OK : ASR_E_IO;
    }
    if (strcmp(name, "__complete") == 0)
        return asr_complete(verbs, N_VERBS, argc - 2, argv + 2, stdout);
    if (strcmp(name, "-V") == 0 || strcmp(name, "--version") == 0) {
        return version(stdout);
    }
    const asr_verb *v = find_verb(name);
    if (!v)
        return unknown_verb(name);
    /* The verb parses its own options, from argv[1] (itself) on. */
    return v->run(v, argc - 1, argv + 1);
}
