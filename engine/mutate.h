/* mutate: mutation testing of rules. A small Lua tokenizer (names, numbers,
 * short and long strings, comments) finds the places in a rule's source
 * where a plausible mistake could be made and makes one mutant per place
 * and change: relational boundaries (< <=, > >=), == and ~=, a negated if
 * condition, and / or, numeric constants +-1, a removed ctx:flag or
 * ctx:flag_rows call, comparison operators inside SQL string literals, and
 * the parameter defaults the rule's metadata declares. Comments, and
 * strings other than SQL, are never touched; each mutant records its place
 * (line and column) and the change in words. The mutation run writes each
 * mutant to a temporary file, runs the rule's own test cases against it
 * (ruletest: one database per case shared by all the mutants, which run in
 * parallel workers), counts it killed when some case's outcome changes and
 * survived otherwise, and reports per rule and overall as text, JSON or
 * JUnit XML (to a stream, or atomically to a file through outfile).
 * Uses ruletest, runner (failure kinds), date (date defaults), findfmt
 * (escaping), outfile, diag, util. */
#ifndef ASSURE_MUTATE_H
#define ASSURE_MUTATE_H

#include <stddef.h>
#include <stdio.h>

#include "diag.h"
#include "ruletest.h"

typedef enum {
    ASR_MUT_RELATIONAL, /* < <= > >= */
    ASR_MUT_EQUALITY,   /* == ~= */
    ASR_MUT_NEGATE,     /* if c then -> if not (c) then */
    ASR_MUT_LOGICAL,    /* and or */
    ASR_MUT_NUMBER,     /* a numeric constant +-1 */
    ASR_MUT_FLAG,       /* a ctx:flag / ctx:flag_rows call removed */
    ASR_MUT_SQL,        /* a comparison operator in a SQL string */
    ASR_MUT_PARAM,      /* a parameter default changed */
} asr_mut_kind;

/* One mutant: at most two edits of the source (the second after the
 * first), each replacing len bytes at start with `with`. */
typedef struct {
    asr_mut_kind kind;
    unsigned line, col; /* 1-based place of the change (col in bytes) */
    size_t start[2], len[2];
    char *with[2]; /* with[1] NULL: one edit */
    char *change;  /* in words: "`<` -> `<=`" */
} asr_mutant;

const char *asr_mut_kind_name(asr_mut_kind k);

/* The mutants of a rule's source text, in source order. Returns how many
 * (*out to free with asr_mutants_free). */
size_t asr_mutate_find(const char *src, size_t len, asr_mutant **out);
void asr_mutants_free(asr_mutant *m, size_t n);

/* The source with mutant m applied (NUL-terminated; caller frees). */
char *asr_mutate_apply(const char *src, size_t len, const asr_mutant *m, size_t *out_len);

/* The time budget of a rule (and of each mutant) in a mutation run when
 * none is given: a mutant that loops for ever is killed by it. */
#define ASR_MUTATE_SECONDS 5

typedef struct {
    asr_test_opts test; /* rules, map, filter, runner (jobs, budgets); format */
    const char *output; /* the report goes here (atomically); NULL = the stream */
    double min_score;   /* percent killed; < 0 = no gate */
} asr_mutate_opts;

/* Mutates every rule that has selected test cases and runs its cases
 * against each mutant. Writes the report to out (or o->output). Returns
 * ASR_OK when every rule's cases pass unmutated and the overall score is at
 * least min_score; ASR_FINDINGS (1) when the score is below it or some case
 * fails even without a mutant; ASR_E_CONFIG for a bad test or rule file;
 * ASR_E_CANTCREATE / ASR_E_IO for the output. */
asr_status asr_mutate_run(const asr_mutate_opts *o, FILE *out, asr_diag *d);

#endif
