/* cmd: the verbs of the command line, one file each (cmd_*.c), gathered
 * into the verb table by main.c. Each parses its options with cli, makes
 * one library call and prints what it returned. */
#ifndef ASSURE_CMD_H
#define ASSURE_CMD_H

#include "cli.h"

extern const asr_verb asr_verb_validate;
extern const asr_verb asr_verb_import;
extern const asr_verb asr_verb_check;
extern const asr_verb asr_verb_test;
extern const asr_verb asr_verb_run;
extern const asr_verb asr_verb_diff;
extern const asr_verb asr_verb_history;
extern const asr_verb asr_verb_rules;
extern const asr_verb asr_verb_explain;
extern const asr_verb asr_verb_report;
extern const asr_verb asr_verb_init;

#endif
