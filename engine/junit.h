/* junit: JUnit XML, the format CI servers show test results in -- the text
 * escaping every JUnit writer needs (markup, quotes, control characters and
 * bytes that are not UTF-8, which XML 1.0 cannot hold even escaped, written
 * as \xNN), and a check's results as one testsuite: a testcase per rule that
 * ran, a failure per finding (waived findings are not failures), an error
 * for a rule that failed. Deterministic: no timestamps, no host names.
 * Uses check (its results), finding, findspool, runner, util. */
#ifndef ASSURE_JUNIT_H
#define ASSURE_JUNIT_H

#include <stdio.h>

#include "check.h"

/* Writes s escaped for XML text or an attribute value (attr: newlines and
 * tabs as character references too). */
void asr_junit_escape(FILE *out, const char *s, int attr);

/* Writes the check's results (a text-format run: findings as structs, or
 * kept on disk in rule order: c->ordered). 0, or -1 if the findings could
 * not be read back. */
int asr_junit_check(FILE *out, const asr_check *c);

#endif
