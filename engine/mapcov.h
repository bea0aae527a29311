/* mapcov: map coverage for rule tests -- which (area, line) cells of the
 * assurance map each rule was seen to watch in its test cases. A rule
 * touches a cell when it read a dataset whose rows in the case belong to
 * that cell (through the rows' area, source and line columns, and the case
 * map's sources: a source's line and areas), or flagged a finding naming the
 * cell's area (and line); a row or finding that names an area but no line
 * belongs to the area in the lines the rule's `covers` names, or in every
 * line if it names none. The cells the rule's `covers` names (areas,
 * sources) count too. Reading the map itself (ctx.map, map_* tables) touches
 * nothing. Per rule and cell it keeps: can fire there, seen firing there in a
 * passing case, seen quiet there (touched, nothing flagged there) in one.
 * Uses map, store (statements on a case's database), rule, finding, util. */
#ifndef ASSURE_MAPCOV_H
#define ASSURE_MAPCOV_H

#include <stddef.h>

#include "finding.h"
#include "map.h"
#include "rule.h"
#include "store.h"

/* What is known of one rule in one cell (bits). */
#define ASR_MC_CAN 1u   /* it read rows there, flagged there, or its covers name the cell */
#define ASR_MC_FIRED 2u /* a passing case saw it flag there */
#define ASR_MC_QUIET 4u /* a passing case saw it touch the cell and flag nothing there */

typedef struct asr_mapcov asr_mapcov;

/* Coverage of the cells of m (areas x lines; m must outlive it) by n_rules
 * rules. */
asr_mapcov *asr_mapcov_new(const asr_map *m, size_t n_rules);
void asr_mapcov_free(asr_mapcov *mc);

/* Starts one case: its own map (for its datasets and sources; cells are
 * matched to the main map's by id) and its database, or NULL for none. */
void asr_mapcov_case_begin(asr_mapcov *mc, const asr_map *case_map, asr_store *s);
/* Rule k (metadata r) read the table: if it is one of the case map's
 * datasets, every row of it in the case's database touches its cells. */
void asr_mapcov_read(asr_mapcov *mc, size_t k, const asr_rule *r, const char *table);
/* Rule k flagged f in the case. */
void asr_mapcov_flagged(asr_mapcov *mc, size_t k, const asr_rule *r, const asr_finding *f);
/* Ends the case: for every rule the case gave to mapcov, what it touched
 * can fire, what it flagged fired, what it touched without flagging was
 * quiet. Give only rules that ran without failing in a passing case. */
void asr_mapcov_case_end(asr_mapcov *mc);

/* The cells rule k's covers name in the main map (areas, optionally
 * narrowed to its lines; sources: their areas in their line). */
void asr_mapcov_declare(asr_mapcov *mc, size_t k, const asr_rule *r);

/* ASR_MC_* bits of rule k in the cell (area a, line l of the main map). */
unsigned asr_mapcov_cell(const asr_mapcov *mc, size_t k, size_t a, size_t l);

/* 1 if area a of m requires line l. */
int asr_mapcov_required(const asr_map *m, size_t a, size_t l);

typedef struct {
    size_t cells, covered,
        tested; /* covered: some rule can fire; tested: some rule fired and quiet */
    size_t required, required_covered, required_tested;
    double percent; /* required cells tested, of required cells; 100 when none is required */
} asr_mapcov_numbers;

asr_mapcov_numbers asr_mapcov_count(const asr_mapcov *mc);

#endif
