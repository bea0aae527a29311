/* assure init: the skeleton of a new organisation's map, exports and
 * README, in a new or empty directory. */
#include <stdio.h>

#include "cmd.h"
#include "init.h"

enum { OPT_FORCE = ASR_OPT_OWN, OPT_NAME };

static const asr_opt options[] = {
    {OPT_NAME, "name", 'n', "TEXT", "the organisation's name, for the map and the README"},
    {OPT_FORCE, "force", 0, NULL,
     "use a directory that already holds files: add only the files that are missing (none is "
     "ever replaced)"},
    {ASR_OPT_QUIET, "quiet", 'q', NULL, "print nothing on success"},
};

static int run(const asr_verb *v, int argc, char **argv)
{
    asr_cli p;
    const char *arg;
    int id;
    asr_init_opts o = {0};
    asr_cli_begin(&p, v, argc, argv);
    while ((id = asr_cli_next(&p, &arg)) > 0) {
        if (id == OPT_FORCE)
            o.force = 1;
        else if (id == OPT_NAME)
            o.name = arg;
    }
    if (id == 0 && p.n_args != 1)
        asr_cli_usage(&p,
                      p.n_args ? "give one directory, not %d arguments"
                               : "give the directory to make, e.g. 'assure init my-org'",
                      p.n_args);
    o.dir = p.n_args ? p.args[0] : NULL;
    asr_cli_end(&p);
    if (id < 0 || p.status)
        return p.status;

    asr_diag d;
    asr_diag_init(&d, ASR_DIAG_LIMIT);
    asr_init_result r;
    asr_status st = asr_init_scaffold(&o, &d, &r);
    asr_cli_problems(&d);
    if (st == ASR_OK && !p.c.quiet) {
        printf("%s: %zu file%s written", o.dir, r.n_created, r.n_created == 1 ? "" : "s");
        if (r.n_exports)
            printf(" (%zu of them header-only exports in exports/)", r.n_exports);
        printf("\n");
        for (size_t i = 0; i < r.n_kept; i++)
            printf("  kept as it was: %s\n", r.kept[i]);
        printf("Next, in %s (README.md says more):\n"
               "  assure validate --map map.yaml --rules %s\n"
               "  assure import --map map.yaml --db assure.db DATASET=exports/DATASET.csv ...\n"
               "  assure check --map map.yaml --db assure.db --rules %s\n",
               o.dir, r.rules, r.rules);
    }
    asr_init_result_free(&r);
    asr_diag_free(&d);
    return st;
}

const asr_verb asr_verb_init = {
    "init",
    "start a new organisation: a map, header-only exports and a README",
    "assure init DIR [options]",
    "Makes DIR (or fills it, if it is empty) with the skeleton of a new\n"
    "organisation: map.yaml, with the standard lines and principles written out,\n"
    "the standard model included and an example unit, area and source to\n"
    "replace; exports/, one header-only CSV per dataset the map declares; and\n"
    "README.md, which gives the next three commands (validate, import, check).\n"
    "A directory that holds anything is refused unless --force is given; no\n"
    "file is ever replaced.\n",
    options,
    sizeof options / sizeof options[0],
    0,
    "0 made; 73 DIR is not empty or not a directory, or a file cannot be made there; 66 the "
    "standard model cannot be found; 78 (with --force) the map already in DIR is not valid; "
    "64 bad command line.",
    run,
};
