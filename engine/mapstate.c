/* mapstate: the state of the assurance map (see mapstate.h). */
#include "mapstate.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "date.h"

#define WEAK_RANK 2          /* the two lowest labels of every standard scale */
#define DEFAULT_MAX_AGE 730L /* stale-assurance's default_max_age_days */

static const char *const state_names[ASR_N_CELL_STATES] = {
    "assured", "weak", "stale", "unrated", "suspended", "planned", "missing", "not-required"};
static const char *const state_words[ASR_N_CELL_STATES] = {
    "Assured",   "Weak",         "Out of date", "No rated report",
    "Suspended", "Planned only", "Missing",     "Not required"};

const char *asr_cell_state_name(asr_cell_state s)
{
    return (unsigned)s < ASR_N_CELL_STATES ? state_names[s] : "?";
}

const char *asr_cell_state_words(asr_cell_state s)
{
    return (unsigned)s < ASR_N_CELL_STATES ? state_words[s] : "?";
}

typedef struct {
    asr_mapstate *ms;
    asr_strmap sources; /* source id -> index */
    int64_t as_of_days;
} ctx;

static size_t n_lines(const asr_mapstate *ms)
{
    return ms->map->n_lines;
}

static int area_row(const asr_mapstate *ms, const char *area, size_t *row)
{
    const asr_area *a = area && *area ? asr_map_area(ms->map, area) : NULL;
    if (!a)
        return 0;
    *row = ms->row_of_area[a - ms->map->areas];
    return 1;
}

static int line_index(const asr_map *m, const char *line, size_t *li)
{
    if (!line || !*line)
        return 0;
    for (size_t i = 0; i < m->n_lines; i++)
        if (strcmp(m->lines[i].id, line) == 0) {
            *li = i;
            return 1;
        }
    return 0;
}

static int source_active(const asr_source *s)
{
    return !s->status || strcmp(s->status, "active") == 0;
}

static long max_age_for(const asr_map *m, const asr_area *a, const char *line)
{
    for (size_t i = 0; i < a->n_max_age; i++)
        if (strcmp(a->max_age[i].line, line) == 0)
            return a->max_age[i].days;
    for (size_t i = 0; i < m->n_params; i++)
        if (strcmp(m->params[i].rule, "stale-assurance") == 0 &&
            strcmp(m->params[i].name, "default_max_age_days") == 0)
            return strtol(m->params[i].value, NULL, 10);
    return DEFAULT_MAX_AGE;
}

static int has_field(const asr_map *m, const char *dataset, const char *field)
{
    const asr_dataset *ds = asr_map_dataset(m, dataset);
    if (!ds)
        return 0;
    for (size_t i = 0; i < ds->n_fields; i++)
        if (strcmp(ds->fields[i].name, field) == 0)
            return 1;
    return 0;
}

static int64_t day_number(const char *s)
{
    asr_date d;
    if (!s || strlen(s) < 10 || asr_date_parse(s, 10, NULL, &d))
        return INT64_MIN;
    return asr_date_to_days(d);
}

/* A report for the cell of row and line li: kept if it is the latest (on
 * the same day, the lower rating, so a weak report is not hidden). */
static void offer(ctx *c, size_t row, size_t li, const char *day, const char *label, int has_rank,
                  long rank, const char *ref)
{
    asr_cell *cell = &c->ms->rows[row].cells[li];
    int cmp = cell->date[0] ? strcmp(day, cell->date) : 1;
    if (cmp < 0)
        return;
    if (cmp == 0) {
        long old = cell->label ? cell->rank : 1000, now = has_rank && label ? rank : 1000;
        if (now >= old)
            return;
    }
    snprintf(cell->date, sizeof cell->date, "%.10s", day);
    cell->label = label && *label ? asr_arena_strdup(&c->ms->arena, label) : NULL;
    cell->rank = cell->label && has_rank ? rank : 0;
    cell->ref = ref && *ref ? asr_arena_strdup(&c->ms->arena, ref) : NULL;
}

/* Reports of a dataset: each row gives (source or "", area, day, label,
 * rank, ref, provider); with a source the report goes to that source's
 * line, else to the lines of the sources of `kind` covering the area (and,
 * for inspections, of that provider). */
static asr_status gather(ctx *c, asr_store *s, const char *sql, const char *kind, asr_diag *d)
{
    const asr_map *m = c->ms->map;
    asr_stmt *st = asr_stmt_new(s, sql, d);
    if (!st)
        return ASR_E_IO;
    asr_stmt_bind_text(st, 1, c->ms->as_of);
    int r;
    while ((r = asr_stmt_step(st, d, "reading the reports of assurance")) == 1) {
        const char *source = asr_stmt_text(st, 0), *area = asr_stmt_text(st, 1);
        const char *day = asr_stmt_text(st, 2), *label = asr_stmt_text(st, 3);
        int has_rank = !asr_stmt_is_null(st, 4);
        long rank = (long)asr_stmt_int(st, 4);
        const char *ref = asr_stmt_text(st, 5), *provider = asr_stmt_text(st, 6);
        size_t row, k, li;
        if (day_number(day) == INT64_MIN || !area_row(c->ms, area, &row))
            continue;
        if (*source) {
            if (asr_strmap_get(&c->sources, source, strlen(source), &k) &&
                line_index(m, m->sources[k].line, &li))
                offer(c, row, li, day, label, has_rank, rank, ref);
            continue;
        }
        for (k = 0; k < m->n_sources; k++) {
            const asr_source *x = &m->sources[k];
            if (!x->kind || strcmp(x->kind, kind) != 0 || !line_index(m, x->line, &li))
                continue;
            if (*provider && (!x->provider || strcasecmp(x->provider, provider) != 0))
                continue;
            for (size_t a = 0; a < x->n_areas; a++)
                if (strcmp(x->areas[a], area) == 0)
                    offer(c, row, li, day, label, has_rank, rank, ref);
        }
    }
    asr_status st_ = r < 0 ? asr_stmt_status(st) : ASR_OK;
    asr_stmt_free(st);
    return st_;
}

static asr_status gather_all(ctx *c, asr_store *s, asr_diag *d)
{
    const asr_map *m = c->ms->map;
    asr_status st = ASR_OK;
    if (has_field(m, "assurance_evidence", "reported_on") &&
        has_field(m, "assurance_evidence", "source") &&
        has_field(m, "assurance_evidence", "area") &&
        asr_store_has_table(s, "assurance_evidence")) {
        int rated = has_field(m, "assurance_evidence", "rating");
        char sql[512];
        snprintf(sql, sizeof sql,
                 "SELECT source, area, reported_on, %s, %s, %s, '' FROM assurance_evidence"
                 " WHERE reported_on <= ?1 ORDER BY reported_on, _line",
                 rated ? "rating" : "NULL", rated ? "rating_rank" : "NULL",
                 has_field(m, "assurance_evidence", "evidence_id") ? "evidence_id" : "NULL");
        st = gather(c, s, sql, NULL, d);
    }
    if (st == ASR_OK && has_field(m, "audit_engagements", "final_report") &&
        has_field(m, "audit_engagements", "area") && asr_store_has_table(s, "audit_engagements")) {
        int rated = has_field(m, "audit_engagements", "opinion");
        char sql[1024];
        snprintf(sql, sizeof sql,
                 "SELECT '', area, final_report, %s, %s, %s, '' FROM audit_engagements"
                 " WHERE final_report <= ?1%s%s ORDER BY final_report, _line",
                 rated ? "opinion" : "NULL", rated ? "opinion_rank" : "NULL",
                 has_field(m, "audit_engagements", "title") ? "title" : "NULL",
                 has_field(m, "audit_engagements", "opinion_stage")
                     ? " AND coalesce(opinion_stage, 'final') = 'final'"
                     : "",
                 has_field(m, "audit_engagements", "kind")
                     ? " AND coalesce(kind, '') NOT IN ('advisory', 'grant claim')"
                     : "");
        st = gather(c, s, sql, "internal_audit", d);
    }
    if (st == ASR_OK && has_field(m, "inspection_grades", "grade") &&
        has_field(m, "inspection_grades", "area") &&
        has_field(m, "inspection_reports", "published") &&
        has_field(m, "inspection_reports", "inspectorate") &&
        asr_store_has_table(s, "inspection_grades") && asr_store_has_table(s, "inspection_reports"))
        st = gather(
            c, s,
            "SELECT '', g.area, r.published, g.grade, g.grade_rank,"
            " r.report_id || ' ' || coalesce(g.question, ''), r.inspectorate"
            " FROM inspection_grades g JOIN inspection_reports r ON r.report_id = g.report_id"
            " WHERE r.published <= ?1 ORDER BY r.published, g._line",
            "inspection", d);
    return st;
}

static void add_sources(ctx *c)
{
    asr_mapstate *ms = c->ms;
    const asr_map *m = ms->map;
    size_t nl = n_lines(ms);
    size_t n = ms->n_rows * nl;
    asr_buf *bufs = asr_xcalloc(n > 0 ? n : 1, sizeof *bufs);
    for (size_t k = 0; k < m->n_sources; k++) {
        const asr_source *x = &m->sources[k];
        size_t li, row;
        if (!line_index(m, x->line, &li))
            continue;
        for (size_t a = 0; a < x->n_areas; a++) {
            if (!area_row(ms, x->areas[a], &row))
                continue;
            asr_cell *cell = &ms->rows[row].cells[li];
            asr_buf *b = &bufs[row * nl + li];
            cell->n_sources++;
            if (source_active(x))
                cell->n_active++;
            if (b->len)
                asr_buf_adds(b, "; ");
            asr_buf_adds(b, x->title ? x->title : x->id);
            if (!source_active(x))
                asr_buf_addf(b, " (%s)", x->status);
        }
    }
    for (size_t i = 0; i < ms->n_rows * nl; i++) {
        if (bufs[i].len)
            ms->rows[i / nl].cells[i % nl].sources =
                asr_arena_strdup(&ms->arena, asr_buf_str(&bufs[i]));
        asr_buf_free(&bufs[i]);
    }
    free(bufs);
}

static int has_status(const asr_map *m, const asr_area *a, const char *line, const char *status)
{
    for (size_t k = 0; k < m->n_sources; k++) {
        const asr_source *x = &m->sources[k];
        if (strcmp(x->line, line) != 0 || !x->status || strcmp(x->status, status) != 0)
            continue;
        for (size_t i = 0; i < x->n_areas; i++)
            if (strcmp(x->areas[i], a->id) == 0)
                return 1;
    }
    return 0;
}

static void decide(ctx *c)
{
    asr_mapstate *ms = c->ms;
    const asr_map *m = ms->map;
    for (size_t r = 0; r < ms->n_rows; r++) {
        const asr_area *a = ms->rows[r].area;
        for (size_t li = 0; li < m->n_lines; li++) {
            asr_cell *cell = &ms->rows[r].cells[li];
            const char *line = m->lines[li].id;
            for (size_t i = 0; i < a->n_required_lines; i++)
                if (strcmp(a->required_lines[i], line) == 0)
                    cell->required = 1;
            cell->max_age_days = max_age_for(m, a, line);
            if (cell->date[0]) {
                cell->age_days = (long)(c->as_of_days - day_number(cell->date));
                cell->is_stale = cell->age_days > cell->max_age_days;
                cell->is_weak = cell->label && cell->rank > 0 && cell->rank <= WEAK_RANK;
            }
            if (cell->n_active > 0) {
                if (!cell->date[0])
                    cell->state = ASR_CELL_UNRATED;
                else if (cell->is_stale)
                    cell->state = ASR_CELL_STALE;
                else if (!cell->label)
                    cell->state = ASR_CELL_UNRATED;
                else if (cell->is_weak)
                    cell->state = ASR_CELL_WEAK;
                else
                    cell->state = ASR_CELL_ASSURED;
            } else if (cell->n_sources > 0) {
                cell->state =
                    has_status(m, a, line, "suspended") ? ASR_CELL_SUSPENDED : ASR_CELL_PLANNED;
            } else {
                cell->state = cell->required ? ASR_CELL_MISSING : ASR_CELL_NOT_REQUIRED;
            }
            ms->by_state[cell->state]++;
        }
    }
}

asr_status asr_mapstate_compute(const asr_map *m, asr_store *s, const char *as_of, asr_diag *d,
                                asr_mapstate **out)
{
    *out = NULL;
    asr_mapstate *ms = asr_xcalloc(1, sizeof *ms);
    ms->map = m;
    snprintf(ms->as_of, sizeof ms->as_of, "%.10s", as_of);
    ctx c = {.ms = ms, .as_of_days = day_number(as_of)};
    if (c.as_of_days == INT64_MIN) {
        asr_error(d, NULL, NULL, "'%s' is not a date (YYYY-MM-DD)", as_of);
        free(ms);
        return ASR_E_USAGE;
    }
    /* Rows: areas by principle in the map's order, then those whose
     * principle the map does not list. */
    ms->rows = asr_arena_alloc(&ms->arena, (m->n_areas ? m->n_areas : 1) * sizeof *ms->rows);
    char *placed = asr_xcalloc(m->n_areas ? m->n_areas : 1, 1);
    ms->row_of_area =
        asr_arena_alloc(&ms->arena, (m->n_areas ? m->n_areas : 1) * sizeof *ms->row_of_area);
    for (size_t p = 0; p <= m->n_principles; p++)
        for (size_t i = 0; i < m->n_areas; i++) {
            const asr_area *a = &m->areas[i];
            if (placed[i])
                continue;
            if (p < m->n_principles &&
                (!a->principle || strcmp(a->principle, m->principles[p].id) != 0))
                continue;
            placed[i] = 1;
            ms->row_of_area[i] = ms->n_rows;
            asr_mapstate_row *row = &ms->rows[ms->n_rows++];
            row->area = a;
            row->principle = p < m->n_principles ? &m->principles[p] : NULL;
            row->cells =
                asr_arena_alloc(&ms->arena, (m->n_lines ? m->n_lines : 1) * sizeof *row->cells);
        }
    free(placed);
    for (size_t k = 0; k < m->n_sources; k++)
        asr_strmap_put(&c.sources, m->sources[k].id, k);
    add_sources(&c);
    asr_status st = gather_all(&c, s, d);
    asr_strmap_free(&c.sources);
    if (st != ASR_OK) {
        asr_mapstate_free(ms);
        return st;
    }
    decide(&c);
    *out = ms;
    return ASR_OK;
}

int asr_mapstate_count_finding(asr_mapstate *ms, const char *area, const char *line)
{
    size_t row, li;
    if (!area_row(ms, area, &row))
        return 0;
    if (line_index(ms->map, line, &li))
        ms->rows[row].cells[li].findings++;
    else
        ms->rows[row].findings_area++;
    return 1;
}

const asr_cell *asr_mapstate_cell(const asr_mapstate *ms, const char *area, const char *line)
{
    size_t row, li;
    if (!area_row(ms, area, &row) || !line_index(ms->map, line, &li))
        return NULL;
    return &ms->rows[row].cells[li];
}

void asr_mapstate_free(asr_mapstate *ms)
{
    if (!ms)
        return;
    asr_arena_free(&ms->arena);
    free(ms);
}
