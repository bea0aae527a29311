/* complete: the command line described for machines, as two hidden verbs
 * main.c hands over to. 'assure __describe' writes the verb table and every
 * verb's usage, description, options, formats and exit status as
 * tab-separated lines; scripts/gen-man.sh makes the man pages from them and
 * the drift test compares them with the help and docs/cli.md. 'assure
 * __complete WORD...' (the words after 'assure', the last being the one
 * under the cursor) writes the words that could take the last one's place,
 * one a line, for the bash and zsh completions (completions/): verbs,
 * options, --format values, gate names, dataset names from the --map given
 * (DATASET= of import), rule ids from the --rules given; ":files\tPREFIX"
 * or ":dirs\tPREFIX" asks the shell to complete file or directory names
 * after PREFIX. Neither prints anything to standard error. Uses cli, map
 * (dataset names), runner (rule ids), datadir, diag. */
#ifndef ASSURE_COMPLETE_H
#define ASSURE_COMPLETE_H

#include <stddef.h>
#include <stdio.h>

#include "cli.h"

void asr_describe(const asr_verb *const *verbs, size_t n, FILE *out);

/* words: argc words after "__complete". Returns 0. */
int asr_complete(const asr_verb *const *verbs, size_t n, int argc, char **argv, FILE *out);

#endif
