/* mapstate: the state of the assurance map -- for each area (grouped by
 * principle, in the map's order) and each line of assurance, what assurance
 * the area holds in that line as of a date, computed from the map and the
 * imported data, never from rule messages. A cell is
 *   assured       an active source, its latest report current and positive;
 *   weak          the latest rating ranks at or below the weak rank (2: the two
 *                 lowest labels of every standard scale -- Limited, No,
 *                 Partial, Minimal, Requires improvement, Inadequate, Red);
 *   stale         the latest report is older than the area's max_age_days for
 *                 the line (or stale-assurance's default_max_age_days, 730);
 *   unrated       an active source, but no rated report on record;
 *   suspended     sources, none active, at least one suspended;
 *   planned       sources, all only planned;
 *   missing       a line the area requires, with no source at all;
 *   not required  neither required nor covered by any source.
 * A cell also keeps the sources (titles, and status when not active), the
 * latest report -- its date, the rating in the provider's own label, its
 * rank and reference, its age -- and the number of findings about it.
 * Reports are read, where the map declares them, from the standard model's
 * assurance_evidence (by source), audit_engagements (final opinions, for
 * the internal_audit sources covering the area) and inspection_grades with
 * inspection_reports (for the inspection sources of that inspectorate):
 * the same tables and tests the stale-assurance, weak-audit-opinion,
 * required-line-missing and suspended-source rules use, so the picture
 * and the rules agree.
 *
 * It also computes each area's combined assurance (the map's
 * combined_assurance weighting, map.h): what each source covering the area
 * gives from its latest report, the best in each line, the area's score
 * from 0 to 100, the highest level it meets against the level the map
 * requires, and the sources that duplicate each other (two or more
 * current, positive sources of one line over the same area and scope).
 * The report draws it and the standard rules combined-assurance-below-
 * required and duplicated-assurance read it through ctx:combined_assurance
 * (ruleapi), so both come from this one computation. Reads its data through
 * asr_msdata: the engine's store, or a rule's read-only connection. Uses
 * map, store (queries), date, util, diag. */
#ifndef ASSURE_MAPSTATE_H
#define ASSURE_MAPSTATE_H

#include <stddef.h>

#include "diag.h"
#include "map.h"
#include "store.h"

typedef enum {
    ASR_CELL_ASSURED,
    ASR_CELL_WEAK,
    ASR_CELL_STALE,
    ASR_CELL_UNRATED,
    ASR_CELL_SUSPENDED,
    ASR_CELL_PLANNED,
    ASR_CELL_MISSING,
    ASR_CELL_NOT_REQUIRED,
    ASR_N_CELL_STATES
} asr_cell_state;

/* "assured", "weak", "stale", "unrated", "suspended", "planned", "missing",
 * "not-required": stable names (CSV, JSON, CSS classes). */
const char *asr_cell_state_name(asr_cell_state s);
/* The words a board member reads: "Assured", "Weak", "Out of date", ... */
const char *asr_cell_state_words(asr_cell_state s);

typedef struct {
    asr_cell_state state;
    int required;  /* the area requires the line */
    int n_active;  /* active sources in the cell */
    int n_sources; /* all sources in the cell */
    char *sources; /* titles, "; "-separated, with "(suspended)" / "(planned)"; NULL: none */
    /* The latest report on or before the as-of date (date "" when none). */
    char date[11];
    char *label; /* its rating as the provider wrote it; NULL: no rating given */
    long rank;   /* the label's rank on its scale; 0 when none */
    char *ref;   /* what it was: an evidence id, an engagement's title */
    long age_days;
    long max_age_days; /* the limit for this area and line */
    int is_stale;      /* age_days > max_age_days (also for suspended/planned cells) */
    int is_weak;       /* rank <= the weak rank */
    size_t findings;   /* findings naming this area and line */
} asr_cell;

/* What one source covering an area gives it (combined assurance). */
typedef struct {
    const asr_source *source;
    size_t line; /* its line's index in the map */
    /* its latest report on or before the as-of date (date "" when none) */
    char date[11];
    char *label;         /* the rating as the provider wrote it; NULL: none given */
    long rank, top_rank; /* the label's rank, and the top rank of its scale */
    char *ref;
    const char *dataset; /* where the report is: its dataset and key (NULL: none) */
    char *key;
    char *scope; /* the report's scope; NULL: the whole area */
    int partial; /* the report says its coverage was partial */
    long age_days;
    int is_stale, is_late, is_weak;
    const char *basis; /* why it counts as it does, in words: "top rating", ... */
    double factor;     /* the product of the factors that apply */
    double points;     /* its line's weight times factor */
    int current;       /* active, reported within the limit, rated positive */
    int duplicate;     /* its group of duplicates within the row (1..); 0 none */
} asr_held;

typedef struct {
    const asr_area *area;
    const asr_principle *principle; /* NULL when the map names none */
    asr_cell *cells;                /* one per map line, in the map's order */
    size_t findings_area;           /* findings naming the area and no line */
    /* combined assurance */
    asr_held *held; /* every source covering the area, in the map's order */
    size_t n_held;
    long *best;   /* per line: the index in held of its best source, or -1 */
    double score; /* 0..100: the lines' best points over the lines' weights */
    const asr_assurance_level *held_level; /* the highest level the score meets; NULL none */
    const asr_assurance_level *required;   /* the level the map requires; NULL none */
    int below;                             /* required and score below it */
    size_t n_duplicate_groups;
} asr_mapstate_row;

typedef struct {
    asr_arena arena;
    const asr_map *map;
    char as_of[11];
    asr_mapstate_row *rows; /* by principle (map order), then area (map order) */
    size_t n_rows;
    size_t by_state[ASR_N_CELL_STATES];
    size_t *row_of_area; /* the row of each of the map's areas (by index) */
} asr_mapstate;

/* Computes the map's state on as_of (YYYY-MM-DD) from m and the data in s
 * (a dataset the map does not declare, or a table not there, holds no
 * reports). ASR_OK with *out set (free with asr_mapstate_free), or the
 * status of a failed query with the problem in d. */
asr_status asr_mapstate_compute(const asr_map *m, asr_store *s, const char *as_of, asr_diag *d,
                                asr_mapstate **out);

/* Where the computation reads its data. open prepares sql with ?1 bound to
 * as_of (NULL with the problem in d); next gives 1 with the row's n
 * columns as text (NULL for SQL NULL, valid until the next call), 0 at the
 * end, -1 on an error (in d); close ends the query. */
typedef struct {
    void *ud;
    int (*has_table)(void *ud, const char *name);
    void *(*open)(void *ud, const char *sql, const char *as_of, asr_diag *d);
    int (*next)(void *q, const char **cols, int n, asr_diag *d);
    void (*close)(void *q);
} asr_msdata;

/* The same over any reader. ASR_E_IO when a query fails. */
asr_status asr_mapstate_compute_with(const asr_map *m, const asr_msdata *data, const char *as_of,
                                     asr_diag *d, asr_mapstate **out);

/* A source's stated frequency in days ("monthly" 31, "quarterly" 92,
 * "annual" 366, ...; the whole text, any case), or 0 when it is not one of
 * the words mapstate knows. */
long asr_frequency_days(const char *frequency);

/* The weight of line li in m's combined assurance (its independence when
 * the map was built without the loader's defaults). */
double asr_line_weight(const asr_map *m, size_t li);

/* Counts a finding with this area and line (either may be NULL or "") in
 * its cell, or in its area's row when it names no line. Returns 1 if it
 * was placed, 0 if it names no area of the map. */
int asr_mapstate_count_finding(asr_mapstate *ms, const char *area, const char *line);

/* The cell of an area and line; NULL if either is not in the map. */
const asr_cell *asr_mapstate_cell(const asr_mapstate *ms, const char *area, const char *line);

void asr_mapstate_free(asr_mapstate *ms);

#endif
