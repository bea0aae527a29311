/* diagjson: the problems of an asr_diag as JSON, for the verbs whose
 * --format json tools read (validate, import): every problem with its
 * severity, file, line, column, path and message (null where it has none),
 * in file order, and the counts -- errors, warnings, and how many were past
 * the limit and not kept. The one JSON writer of diagnostics.
 * Uses diag, findfmt (JSON strings). */
#ifndef ASSURE_DIAGJSON_H
#define ASSURE_DIAGJSON_H

#include <stdio.h>

#include "diag.h"

/* Writes, without braces, the members
 *   "errors": N, "warnings": N, "not_shown": N, "problems": [{...}, ...]
 * sorting d's problems into file order first. indent prefixes each problem's
 * line. */
void asr_diag_json_members(FILE *out, asr_diag *d, const char *indent);

#endif
