/* map: the assurance map as loaded and validated -- organisation, lines of
 * assurance, principles, units, areas, sources, rating scales, rule
 * parameter overrides and the datasets the importer accepts. Pure data: every
 * item keeps the place it was written (asr_loc) for later messages. One arena
 * owns all of it; free with asr_map_free. Built by map_load, whose includes
 * may name files installed with assure ("assure:...", datadir). Uses util,
 * diag. */
#ifndef ASSURE_MAP_H
#define ASSURE_MAP_H

#include <regex.h>
#include <stddef.h>

#include "diag.h"
#include "util.h"

typedef struct {
    char *id; /* first member: asr_did_you_mean_ids relies on it */
    char *name;
    long independence; /* higher = more independent of management */
    asr_loc loc;
} asr_line;

typedef struct {
    char *id;
    char *title;
    asr_loc loc;
} asr_principle;

typedef struct {
    char *id;
    char *name;
    char *kind;   /* e.g. business_group, command; free text */
    char *parent; /* unit id or NULL */
    asr_loc loc;
} asr_unit;

typedef struct {
    char *line;
    long days;
    asr_loc loc;
} asr_max_age;

typedef struct {
    char *id;
    char *title;
    char *description;
    char *principle;
    char *unit;                      /* owning unit, optional */
    char *owner;                     /* named role or person */
    long inherent, residual, target; /* risk scores 1..25; 0 = not given */
    char **required_lines;
    size_t n_required_lines;
    asr_max_age *max_age; /* how old assurance may be, per line */
    size_t n_max_age;
    /* The level of combined assurance the sponsor requires (an id of the
     * map's combined_assurance levels), or NULL; its index in those levels. */
    char *required_assurance;
    size_t required_level;
    asr_loc required_loc;
    asr_loc loc;
} asr_area;

typedef struct {
    char *id;
    char *title;
    char *line;
    char *provider; /* body giving the assurance, e.g. DARA, HMICFRS */
    char *kind;     /* e.g. level1_inspection, internal_audit */
    char *owner;
    char *frequency;
    char *status; /* active | suspended | planned */
    char *scale;  /* rating scale its ratings use, optional */
    char **areas;
    size_t n_areas;
    asr_loc loc;
} asr_source;

typedef struct {
    char *label;
    long rank;
    asr_loc loc;
} asr_scale_label;

/* A word a provider writes for a value, and the value it means. */
typedef struct {
    char *from; /* as written; "*" at either end matches any start or end */
    char *to;   /* a value (enum) or label (scale) */
    asr_loc loc;
} asr_synonym;

typedef struct {
    char *id;
    char *title;
    asr_scale_label *labels;
    size_t n_labels;
    asr_synonym *synonyms; /* e.g. "Reasonable Assurance" -> Reasonable */
    size_t n_synonyms;
    asr_loc loc;
} asr_scale;

typedef enum { ASR_PARAM_STRING, ASR_PARAM_NUMBER, ASR_PARAM_BOOLEAN } asr_param_type;

typedef struct {
    char *rule;
    char *name;
    char *value; /* as written */
    asr_param_type type;
    asr_loc loc;
} asr_param;

typedef enum {
    ASR_FT_TEXT,
    ASR_FT_INTEGER,
    ASR_FT_DECIMAL,
    ASR_FT_DATE,
    ASR_FT_BOOLEAN,
    ASR_FT_ENUM,
} asr_ftype;

/* What a field's values must name in the map. */
typedef enum {
    ASR_REF_NONE,
    ASR_REF_AREAS,
    ASR_REF_SOURCES,
    ASR_REF_UNITS,
    ASR_REF_LINES,
    ASR_REF_PRINCIPLES,
} asr_ref;

/* Which date a field takes when a cell holds several (an original date and
 * its revision, side by side). */
typedef enum {
    ASR_PICK_ONE,   /* one date only: several are an error */
    ASR_PICK_FIRST, /* the first */
    ASR_PICK_LAST,  /* the last */
    ASR_PICK_LATER, /* the last when there are several; none when there is one */
} asr_pick;

typedef struct {
    char *name;   /* column name in the database */
    char *header; /* the heading messages name: headers[0] */
    /* Every heading the export may give the column (matched ignoring case,
     * spaces and punctuation); defaults to the name. */
    char **headers;
    size_t n_headers;
    char *description;
    asr_ftype type;
    int required;
    char **values; /* enum: allowed values in rank order */
    long *ranks;   /* enum: rank of each value (1.. in order, or the scale's) */
    size_t n_values;
    char *scale; /* enum taking its values from a rating scale */
    /* enum: other words for the values (the field's own, then its scale's) */
    asr_synonym *synonyms;
    size_t n_synonyms;
    int other_none; /* enum: a value none of those names is left empty (counted) */
    char **none;    /* words that mean "no value" (N/A, TBC, -), any case */
    size_t n_none;
    char **after; /* the value is the text after one of these phrases (any case); none without */
    size_t n_after;
    char *date_format; /* NULL = YYYY-MM-DD; a single strict layout */
    char **layouts;    /* date: the layouts the reader accepts, when given as a list or preset */
    size_t n_layouts;
    int partial;      /* date: a layout names less than a day: a _precision column is kept */
    int year_implied; /* date: a layout has no year; the as-of date's year is taken */
    asr_pick pick;
    char *pattern; /* text: POSIX extended regex the whole value must match */
    regex_t regex;
    int has_regex;
    long max_length; /* text: in characters; 0 = no limit */
    asr_ref ref;
    int captured; /* 0: this organisation does not keep it; always empty, rules stay quiet */
    char *value;  /* given for every row when the export has no such column */
    int shared;   /* reads a heading another field reads too */
    int coalesce; /* the file may have several of its headings: the first filled one wins */
    asr_loc loc;
} asr_field;

/* Rows an export holds that are not data (a Total line): skipped when the
 * field's value is one of the words. */
typedef struct {
    size_t field;
    char **words;
    size_t n_words;
} asr_skip;

/* A column computed from the others by SQL (a generated column): the
 * standard model says in one place what "open" or "due" means. */
typedef struct {
    char *name, *sql, *description;
    asr_ftype type;
    asr_loc loc;
} asr_computed;

typedef struct {
    char *id; /* also the table name */
    char *title;
    char *description;
    asr_field *fields;
    size_t n_fields;
    size_t *key; /* indexes into fields */
    size_t n_key;
    /* The date field whose newest value says how current an export is (the
     * stale-export gate reads it), or -1; and its own limit in days (0: the
     * gate's). */
    long recency;
    long recency_days;
    /* What every row must satisfy beyond its own fields: SQL conditions over
     * the row's columns (the table's CHECK constraints), each with the
     * message a row that breaks it gets. */
    char **checks, **check_messages;
    size_t n_checks;
    asr_computed *computed;
    size_t n_computed;
    asr_skip *skips;
    size_t n_skips;
    int strict_columns;   /* extra columns in an export are errors, not a notice */
    int by_columns;       /* records: columns -- each column after the first is a record */
    char schema_hash[65]; /* of the declaration; a change rebuilds the table */
    asr_loc loc;
} asr_dataset;

/* Sanity gates (the nightly run's and import's checks that an export is
 * plausible before it replaces what is stored): what each does when it
 * trips, and its threshold. */
typedef enum { ASR_GATE_OFF, ASR_GATE_WARN, ASR_GATE_STOP } asr_gate_action;
typedef struct {
    asr_gate_action action;
    double threshold; /* row-drop: share (0..1); stale-export: days; findings-jump: factor */
    long min;         /* findings-jump: the least rise that counts */
} asr_gate;
typedef enum {
    ASR_GATE_EMPTY_EXPORT,  /* a header and no rows, replacing a dataset that has rows */
    ASR_GATE_ROW_DROP,      /* rows fall by more than a share of the previous count */
    ASR_GATE_STALE_EXPORT,  /* the export's own newest date is older than N days */
    ASR_GATE_FINDINGS_JUMP, /* a rule's findings rise more than a factor from the last run */
    ASR_N_GATES
} asr_gate_id;
typedef struct {
    asr_gate gate[ASR_N_GATES];
} asr_gates;
extern const char *const asr_gate_names[ASR_N_GATES + 1]; /* NULL-terminated */
/* The defaults: empty-export stop; row-drop stop above 50%; stale-export
 * warn beyond 90 days; findings-jump warn above 3 times and at least 20 more. */
void asr_gates_default(asr_gates *g);

/* Combined assurance: how the engine scores the assurance an area holds
 * (mapstate computes it; docs/map-format.md, "Combined assurance"). A
 * source gives its line's weight times factors for its latest report (1
 * for the top rating of its scale, `positive` for another positive one,
 * `weak`, `unrated` for a report with no rating, `unreported` for none on
 * record; times `stale` past the area's age limit, `late` past twice the
 * source's stated frequency, `partial` for partial coverage); a line gives
 * its best source; the area's score is the sum over lines as a share
 * (0..100) of every line's weight. */
typedef struct {
    char *id;     /* e.g. "Medium" */
    double score; /* the least score (0..100) that meets it */
    asr_loc loc;
} asr_assurance_level;

typedef struct {
    asr_assurance_level *levels; /* lowest score first */
    size_t n_levels;
    double *weights; /* one per map line, by index */
    double positive, weak, unrated, unreported, stale, late, partial;
    asr_loc loc; /* where the map gives it; file NULL when the defaults apply */
} asr_combined;

/* How much history the database keeps: runs (0 = no limit), days of runs
 * (0 = no limit), and earlier snapshots of each dataset. */
typedef struct {
    long keep_runs, keep_days, keep_snapshots;
} asr_retention;

typedef struct {
    asr_arena arena;
    char **files; /* every file read, in load order */
    size_t n_files;
    char hash[65]; /* SHA-256 over every file's bytes, in load order */

    char *org_name;
    long fy_start_month; /* 1..12, default 4 (April) */

    asr_line *lines;
    size_t n_lines;
    asr_principle *principles;
    size_t n_principles;
    asr_unit *units;
    size_t n_units;
    asr_area *areas;
    size_t n_areas;
    asr_source *sources;
    size_t n_sources;
    asr_scale *scales;
    size_t n_scales;
    asr_param *params;
    size_t n_params;
    asr_dataset *datasets;
    size_t n_datasets;
    asr_gates gates;
    asr_retention retention;
    asr_combined combined;
    /* id -> index, filled by the loader for the lookups below (a map built
     * by hand, with none, is searched item by item) */
    asr_strmap area_index, dataset_index;
} asr_map;

/* Loads path and every file it includes, validates the whole, and returns
 * ASR_OK with *out set; otherwise ASR_E_CONFIG (or ASR_E_NOINPUT for a missing
 * top-level file) with every problem in d and *out NULL. */
asr_status asr_map_load(const char *path, asr_diag *d, asr_map **out);

/* Same from text in memory (no includes allowed). */
asr_status asr_map_load_string(const char *name, const char *text, asr_diag *d, asr_map **out);

void asr_map_free(asr_map *m);

/* Reads a 'gates' mapping (as the map and a job file write it) into g,
 * over what g holds; problems go to d with their place. path names the
 * node in messages. Returns the number of problems found. */
struct asr_ynode;
size_t asr_gates_read(const struct asr_ynode *node, const char *path, asr_gates *g, asr_diag *d);
/* Sets the gate named `name` off; -1 if there is no such gate. */
int asr_gates_accept(asr_gates *g, const char *name);

/* A heading as it is compared: lower-case letters, digits and '%' only
 * (other bytes of UTF-8 kept), so "Target date", "TARGET DATE" and
 * "Target-Date:" are the same heading, and "Yes %" is not "Yes". */
void asr_heading_key(const char *s, char *out, size_t size);

/* Columns an import fills: every field, then a precision column for each
 * field whose dates may be partial; and the index of field k's one. */
size_t asr_dataset_columns(const asr_dataset *ds);
size_t asr_precision_column(const asr_dataset *ds, size_t k);

/* Lookups; NULL when absent. O(1) on a loaded map: the report looks up
 * each finding's area. */
const asr_dataset *asr_map_dataset(const asr_map *m, const char *id);
const asr_area *asr_map_area(const asr_map *m, const char *id);

/* Names used in messages and the map tables. */
const char *asr_ftype_name(asr_ftype t);
const char *asr_ref_name(asr_ref r);

/* Adds every id that a value of a field with reference r may take. */
void asr_map_ref_ids(const asr_map *m, asr_ref r, asr_strset *out);

#endif
