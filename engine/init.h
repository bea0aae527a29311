/* init: the skeleton of a new organisation's assurance map, so a first
 * hour starts from files that work rather than from a copy of the Met
 * example. Owns the scaffold and where the standard model and rules are
 * found (asr_init_find_standard: the one place that knows).
 *
 * In a directory that is new or empty it writes map.yaml (the standard
 * lines and principles written out, the standard model included, a
 * commented example unit, area and source), exports/ with one header-only
 * CSV per dataset the map declares (the first heading of every field the
 * export gives), and README.md naming the next three commands (validate,
 * import, check). A directory that holds anything is refused unless
 * forced, and even then no file is ever replaced: each is written to a
 * temporary file and linked under its name only if the name is free
 * (outfile). The map written is loaded back before the exports are made
 * from it, so they always match it. Uses map, datadir, outfile, diag, util. */
#ifndef ASSURE_INIT_H
#define ASSURE_INIT_H

#include <stddef.h>

#include "diag.h"

typedef struct {
    const char *dir;  /* made if absent (its parent must exist) */
    int force;        /* a directory holding files is allowed: what is missing is added */
    const char *name; /* the organisation's name for the map; NULL: a placeholder */
} asr_init_opts;

typedef struct {
    char *model;    /* the standard model the map includes (an absolute path) */
    char *rules;    /* the standard rules directory (an absolute path) */
    char **created; /* files written, as paths under dir ("exports/risks.csv") */
    size_t n_created;
    char **kept; /* with force: files already there, left as they were */
    size_t n_kept;
    size_t n_exports; /* header-only CSVs among created */
} asr_init_result;

/* Writes the skeleton. ASR_OK; ASR_E_CANTCREATE (73) when dir is not empty
 * (and not forced), is not a directory, or a file cannot be made there;
 * ASR_E_NOINPUT (66) when the standard model cannot be found; ASR_E_CONFIG
 * (78) when, forced, the map already in dir does not load; ASR_E_IO. Every
 * problem names its path. r is filled in as far as it got; free it. */
asr_status asr_init_scaffold(const asr_init_opts *o, asr_diag *d, asr_init_result *r);

void asr_init_result_free(asr_init_result *r);

/* The names the skeleton gives the standard model and the standard rules:
 * "assure:mappings/standard/datasets.yaml" and "assure:rules" (strings the
 * caller frees), once both are found in assure's data directory (datadir:
 * installed, $ASSURE_DATADIR or the source tree). ASR_OK, or
 * ASR_E_NOINPUT with a problem saying where it looked. */
asr_status asr_init_find_standard(char **model, char **rules, asr_diag *d);

#endif
