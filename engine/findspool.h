/* findspool: a run's findings kept on disk in the exception list's reading
 * order -- severity, business group (by name, findings with none last),
 * rule id, then the order each rule's findings came in (subject, message:
 * the order workers send them and the run history stores them) -- and the
 * waived ones apart, in rule-id order. Findings are added one at a time as
 * they arrive, from several rules at once, and read back one at a time, so
 * the memory a list takes does not grow with its length.
 * How: a bucket for each (rule, severity, business group), and one for each
 * rule's waived findings. A finding is appended to its bucket in wire form
 * (finding); a bucket's bytes go to the spool (memory up to a limit, then an
 * unlinked temporary file, so nothing is left behind however the process
 * ends) in blocks, and the bucket remembers where its blocks are. Reading
 * visits the buckets in reading order: a bucket sort on keys with few
 * values, no merge. What the writers need before the first row is kept as
 * running totals: the counts, the widest subject of each rule, and each
 * bucket's first evidence names.
 * Uses finding, findfmt (business group), runner (results), spool, wire,
 * map, util. */
#ifndef ASSURE_FINDSPOOL_H
#define ASSURE_FINDSPOOL_H

#include <stddef.h>

#include "finding.h"
#include "map.h"
#include "runner.h"

typedef struct asr_findspool asr_findspool;

/* rules: the run's results (f->rule indexes them; they must outlive the
 * spool). dir: where the temporary file goes. skip_failed: findings of a
 * rule whose result says it failed are not read back (a worker can die
 * after sending them). */
asr_findspool *asr_findspool_new(const asr_map *map, const asr_rule_result *rules, size_t n_rules,
                                 const char *dir, int skip_failed);

/* Keeps each rule's findings together in the order they came, rather than
 * in reading order (for a list by rule: JUnit); call before the first add. */
void asr_findspool_by_rule(asr_findspool *s);

/* Keeps a copy of f (f->rule set). Findings of one rule must come in their
 * listing order; those of different rules may interleave. */
void asr_findspool_add(asr_findspool *s, const asr_finding *f);

/* The same, keeping wire (wire_len bytes: f's message in finding's wire
 * form, as a worker sent it and f was decoded from) instead of encoding f
 * again; NULL wire encodes f. */
void asr_findspool_add_wire(asr_findspool *s, const asr_finding *f, const char *wire,
                            size_t wire_len);

/* Why keeping or reading failed (a full disk, ...), or NULL. */
const char *asr_findspool_error(const asr_findspool *s);

/* The findings that are read back: counted ones (waived 0) or waived ones. */
size_t asr_findspool_count(const asr_findspool *s, int waived);

/* The findings of rule i that are read back, counted and waived. */
size_t asr_findspool_rule_count(const asr_findspool *s, size_t rule);

/* The widest subject (in characters once escaped for a terminal) among the
 * findings read back. */
size_t asr_findspool_subject_width(const asr_findspool *s);

/* The business groups of the counted findings, by name; *none: some have
 * none. The names stay valid until asr_findspool_free. */
size_t asr_findspool_groups(const asr_findspool *s, const char *const **names, int *none);

/* The evidence names the findings carry, counted ones first then waived,
 * in the order they first appear in the list, at most max (per bucket the
 * first max are kept). The names stay valid until asr_findspool_free. */
size_t asr_findspool_evidence_names(const asr_findspool *s, const char **names, size_t max);

/* Calls fn for each finding, in reading order (waived 0) or the waived
 * ones in rule-id order (waived 1), with its business group. With filter,
 * only the counted findings of business group `group` (NULL: none). The
 * finding is valid during the call only. 0, or -1 if the spool could not
 * be read (asr_findspool_error says why) or fn returned non-zero. */
typedef int (*asr_findspool_fn)(void *ud, const asr_finding *f, const char *group);
int asr_findspool_each(asr_findspool *s, int waived, int filter, const char *group,
                       asr_findspool_fn fn, void *ud);

/* Calls fn for each finding of one rule (waived ones too), in the order
 * they came when the spool keeps them by rule; else by severity and
 * business group first. 0 or -1, as above. */
int asr_findspool_each_rule(asr_findspool *s, size_t rule, asr_findspool_fn fn, void *ud);

void asr_findspool_free(asr_findspool *s);

#endif
