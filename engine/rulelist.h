/* rulelist: describes a rule library for people and tools: each rule's
 * id, title, severity, category, description, what it covers, and its
 * parameters with their defaults and the values a map gives them -- as text,
 * JSON or a Markdown table. Owns no state. Uses rule (the loaded metadata),
 * runner (loading the set), map (the overrides), findfmt (JSON
 * escaping) and outfile (--output). */
#ifndef ASSURE_RULELIST_H
#define ASSURE_RULELIST_H

#include <stdio.h>

#include "map.h"
#include "runner.h"

typedef enum { ASR_RULELIST_TEXT, ASR_RULELIST_JSON, ASR_RULELIST_MARKDOWN } asr_rulelist_format;

/* Writes rules[0..n) (those loaded), in id order, to out. m may be NULL (no
 * overrides are shown). Returns 0, or -1 when out could not be written. */
int asr_rulelist_write(FILE *out, const asr_rule_result *rules, size_t n, const asr_map *m,
                       asr_rulelist_format f);

/* What `assure rules` does: loads the rules of rules_dirs (a rules path,
 * see runner.h) -- checked against the map at map_path when it is given --
 * and writes the list. ASR_OK, ASR_E_CONFIG / ASR_E_NOINPUT with problems in
 * d, or ASR_E_IO when out could not be written. */
asr_status asr_rulelist_run(const char *rules_dirs, const char *map_path, const asr_runner_opts *ro,
                            asr_rulelist_format f, FILE *out, asr_diag *d);

/* The same, written to the file output (--output) atomically: never over
 * the map, a file it includes or a rule file (ASR_E_CANTCREATE). */
asr_status asr_rulelist_run_file(const char *rules_dirs, const char *map_path,
                                 const asr_runner_opts *ro, asr_rulelist_format f,
                                 const char *output, asr_diag *d);

#endif
