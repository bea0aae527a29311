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
    const asr_msdata *data;
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

/* A report of source k for the area of row: the source keeps its latest
 * (on the same day, the lower rating). */
static void offer_held(ctx *c, size_t row, size_t k, const char *day, const char *label,
                       int has_rank, long rank, long top, const char *ref, const char *scope,
                       const char *coverage, const char *dataset, const char *key)
{
    asr_mapstate_row *r = &c->ms->rows[row];
    asr_held *h = NULL;
    for (size_t i = 0; i < r->n_held; i++)
        if (r->held[i].source == &c->ms->map->sources[k])
            h = &r->held[i];
    if (!h)
        return; /* the source does not cover the area in the map */
    int cmp = h->date[0] ? strcmp(day, h->date) : 1;
    if (cmp < 0)
        return;
    if (cmp == 0) {
        long old = h->label ? h->rank : 1000, now = has_rank && label ? rank : 1000;
        if (now >= old)
            return;
    }
    asr_arena *a = &c->ms->arena;
    snprintf(h->date, sizeof h->date, "%.10s", day);
    h->label = label && *label ? asr_arena_strdup(a, label) : NULL;
    h->rank = h->label && has_rank ? rank : 0;
    h->top_rank = top;
    h->ref = ref && *ref ? asr_arena_strdup(a, ref) : NULL;
    h->scope = scope && *scope ? asr_arena_strdup(a, scope) : NULL;
    h->partial = coverage && strcmp(coverage, "partial") == 0;
    h->dataset = key && *key ? dataset : NULL;
    h->key = key && *key ? asr_arena_strdup(a, key) : NULL;
}

/* Reports of a dataset: each row gives (source or "", area, day, label,
 * rank, ref, provider); with a source the report goes to that source's
 * line, else to the lines of the sources of `kind` covering the area (and,
 * for inspections, of that provider). */
static asr_status gather(ctx *c, const char *dataset, const char *sql, const char *kind, long top,
                         asr_diag *d)
{
    const asr_map *m = c->ms->map;
    void *q = c->data->open(c->data->ud, sql, c->ms->as_of, d);
    if (!q)
        return ASR_E_IO;
    const char *col[10];
    int r;
    while ((r = c->data->next(q, col, 10, d)) == 1) {
        const char *source = col[0] ? col[0] : "", *area = col[1] ? col[1] : "";
        const char *day = col[2] ? col[2] : "", *label = col[3];
        int has_rank = col[4] != NULL;
        long rank = has_rank ? strtol(col[4], NULL, 10) : 0;
        const char *ref = col[5], *provider = col[6] ? col[6] : "";
        const char *scope = col[7], *coverage = col[8], *key = col[9];
        size_t row, k, li;
        if (day_number(day) == INT64_MIN || !area_row(c->ms, area, &row))
            continue;
        if (*source) {
            if (asr_strmap_get(&c->sources, source, strlen(source), &k) &&
                line_index(m, m->sources[k].line, &li)) {
                offer(c, row, li, day, label, has_rank, rank, ref);
                offer_held(c, row, k, day, label, has_rank, rank, top, ref, scope, coverage,
                           dataset, key);
            }
            continue;
        }
        for (k = 0; k < m->n_sources; k++) {
            const asr_source *x = &m->sources[k];
            if (!x->kind || strcmp(x->kind, kind) != 0 || !line_index(m, x->line, &li))
                continue;
            if (*provider && (!x->provider || strcasecmp(x->provider, provider) != 0))
                continue;
            for (size_t a = 0; a < x->n_areas; a++)
                if (strcmp(x->areas[a], area) == 0) {
                    offer(c, row, li, day, label, has_rank, rank, ref);
                    offer_held(c, row, k, day, label, has_rank, rank, top, ref, scope, coverage,
                               dataset, key);
                }
        }
    }
    c->data->close(q);
    return r < 0 ? ASR_E_IO : ASR_OK;
}

/* The top rank a field's values take (its scale's or its own), or 0. */
static long top_rank(const asr_map *m, const char *dataset, const char *field)
{
    const asr_dataset *ds = asr_map_dataset(m, dataset);
    long top = 0;
    for (size_t i = 0; ds && i < ds->n_fields; i++)
        if (strcmp(ds->fields[i].name, field) == 0)
            for (size_t k = 0; k < ds->fields[i].n_values; k++)
                if (ds->fields[i].ranks && ds->fields[i].ranks[k] > top)
                    top = ds->fields[i].ranks[k];
    return top;
}

static asr_status gather_all(ctx *c, asr_diag *d)
{
    const asr_map *m = c->ms->map;
    const asr_msdata *data = c->data;
    asr_status st = ASR_OK;
    if (has_field(m, "assurance_evidence", "reported_on") &&
        has_field(m, "assurance_evidence", "source") &&
        has_field(m, "assurance_evidence", "area") &&
        data->has_table(data->ud, "assurance_evidence")) {
        int rated = has_field(m, "assurance_evidence", "rating");
        char sql[512];
        snprintf(sql, sizeof sql,
                 "SELECT source, area, reported_on, %s, %s, %s, '', %s, %s, %s"
                 " FROM assurance_evidence WHERE reported_on <= ?1 ORDER BY reported_on, _line",
                 rated ? "rating" : "NULL", rated ? "rating_rank" : "NULL",
                 has_field(m, "assurance_evidence", "evidence_id") ? "evidence_id" : "NULL",
                 has_field(m, "assurance_evidence", "scope") ? "scope" : "NULL",
                 has_field(m, "assurance_evidence", "coverage") ? "coverage" : "NULL",
                 has_field(m, "assurance_evidence", "evidence_id") ? "evidence_id" : "NULL");
        st = gather(c, "assurance_evidence", sql, NULL, top_rank(m, "assurance_evidence", "rating"),
                    d);
    }
    if (st == ASR_OK && has_field(m, "audit_engagements", "final_report") &&
        has_field(m, "audit_engagements", "area") &&
        data->has_table(data->ud, "audit_engagements")) {
        int rated = has_field(m, "audit_engagements", "opinion");
        char sql[1024];
        snprintf(
            sql, sizeof sql,
            "SELECT '', area, final_report, %s, %s, %s, '', NULL, NULL, %s"
            " FROM audit_engagements WHERE final_report <= ?1%s%s ORDER BY final_report, _line",
            rated ? "opinion" : "NULL", rated ? "opinion_rank" : "NULL",
            has_field(m, "audit_engagements", "title") ? "title" : "NULL",
            has_field(m, "audit_engagements", "engagement_id") ? "engagement_id" : "NULL",
            has_field(m, "audit_engagements", "opinion_stage")
                ? " AND coalesce(opinion_stage, 'final') = 'final'"
                : "",
            has_field(m, "audit_engagements", "kind")
                ? " AND coalesce(kind, '') NOT IN ('advisory', 'grant claim')"
                : "");
        st = gather(c, "audit_engagements", sql, "internal_audit",
                    top_rank(m, "audit_engagements", "opinion"), d);
    }
    if (st == ASR_OK && has_field(m, "inspection_grades", "grade") &&
        has_field(m, "inspection_grades", "area") &&
        has_field(m, "inspection_reports", "published") &&
        has_field(m, "inspection_reports", "inspectorate") &&
        data->has_table(data->ud, "inspection_grades") &&
        data->has_table(data->ud, "inspection_reports"))
        st = gather(
            c, "inspection_grades",
            "SELECT '', g.area, r.published, g.grade, g.grade_rank,"
            " r.report_id || ' ' || coalesce(g.question, ''), r.inspectorate, NULL, NULL,"
            " g.report_id || ', ' || coalesce(g.question, '')"
            " FROM inspection_grades g JOIN inspection_reports r ON r.report_id = g.report_id"
            " WHERE r.published <= ?1 ORDER BY r.published, g._line",
            "inspection", top_rank(m, "inspection_grades", "grade"), d);
    return st;
}

static void add_sources(ctx *c)
{
    asr_mapstate *ms = c->ms;
    const asr_map *m = ms->map;
    size_t nl = n_lines(ms);
    size_t n = ms->n_rows * nl;
    asr_buf *bufs = asr_xcalloc(n > 0 ? n : 1, sizeof *bufs);
    /* every source covering an area, in the map's order, for its combined assurance */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t r = 0; r < ms->n_rows && pass == 1; r++) {
            ms->rows[r].held =
                asr_arena_alloc(&ms->arena, (ms->rows[r].n_held + 1) * sizeof *ms->rows[r].held);
            ms->rows[r].n_held = 0;
        }
        for (size_t k = 0; k < m->n_sources; k++) {
            const asr_source *x = &m->sources[k];
            size_t li, row;
            if (!line_index(m, x->line, &li))
                continue;
            for (size_t a = 0; a < x->n_areas; a++)
                if (area_row(ms, x->areas[a], &row)) {
                    asr_mapstate_row *rw = &ms->rows[row];
                    if (pass == 1)
                        rw->held[rw->n_held] = (asr_held){.source = x, .line = li};
                    rw->n_held++;
                }
        }
    }
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

/* ---- combined assurance ---- */

long asr_frequency_days(const char *frequency)
{
    static const struct {
        const char *word;
        long days;
    } words[] = {{"daily", 1},          {"weekly", 7},
                 {"fortnightly", 14},   {"monthly", 31},
                 {"bi-monthly", 62},    {"bimonthly", 62},
                 {"quarterly", 92},     {"six-monthly", 183},
                 {"six monthly", 183},  {"half-yearly", 183},
                 {"half yearly", 183},  {"biannual", 183},
                 {"twice yearly", 183}, {"annual", 366},
                 {"annually", 366},     {"yearly", 366},
                 {"biennial", 731},     {"every two years", 731},
                 {"triennial", 1096},   {"every three years", 1096}};
    if (!frequency)
        return 0;
    while (*frequency == ' ')
        frequency++;
    size_t n = strlen(frequency);
    while (n > 0 && frequency[n - 1] == ' ')
        n--;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strlen(words[i].word) == n && strncasecmp(words[i].word, frequency, n) == 0)
            return words[i].days;
    return 0;
}

double asr_line_weight(const asr_map *m, size_t li)
{
    if (li >= m->n_lines)
        return 0;
    return m->combined.weights ? m->combined.weights[li] : (double)m->lines[li].independence;
}

/* The factors of a map built without the loader (all defaults). */
static const asr_combined default_factors = {
    .positive = 0.75, .unrated = 0.5, .late = 0.5, .partial = 0.5};

static void score_held(const asr_map *m, const asr_area *a, int64_t as_of, asr_held *h)
{
    const asr_combined *f = m->combined.weights ? &m->combined : &default_factors;
    const asr_source *x = h->source;
    h->factor = 1;
    if (!source_active(x)) {
        h->factor = 0;
        h->basis = strcmp(x->status, "suspended") == 0 ? "suspended" : "planned";
    } else if (!h->date[0]) {
        h->factor = f->unreported;
        h->basis = "no report on record";
    } else {
        h->age_days = (long)(as_of - day_number(h->date));
        h->is_stale = h->age_days > max_age_for(m, a, m->lines[h->line].id);
        long every = asr_frequency_days(x->frequency);
        h->is_late = every > 0 && h->age_days > 2 * every;
        h->is_weak = h->label && h->rank > 0 && h->rank <= WEAK_RANK;
        if (!h->label || h->rank <= 0) {
            h->factor = f->unrated;
            h->basis = "no rating";
        } else if (h->is_weak) {
            h->factor = f->weak;
            h->basis = "weak rating";
        } else if (h->top_rank > 0 && h->rank >= h->top_rank) {
            h->basis = "top rating";
        } else {
            h->factor = f->positive;
            h->basis = "positive rating";
        }
        if (h->is_stale)
            h->factor *= f->stale;
        else if (h->is_late)
            h->factor *= f->late;
        if (h->partial)
            h->factor *= f->partial;
        h->current = !h->is_stale && h->label && h->rank > WEAK_RANK;
    }
    h->points = asr_line_weight(m, h->line) * h->factor;
}

static int same_scope(const asr_held *a, const asr_held *b)
{
    if (!a->scope || !b->scope)
        return !a->scope && !b->scope;
    return strcasecmp(a->scope, b->scope) == 0;
}

static void combine(ctx *c)
{
    asr_mapstate *ms = c->ms;
    const asr_map *m = ms->map;
    double total = 0;
    for (size_t li = 0; li < m->n_lines; li++)
        total += asr_line_weight(m, li);
    for (size_t r = 0; r < ms->n_rows; r++) {
        asr_mapstate_row *row = &ms->rows[r];
        row->best = asr_arena_alloc(&ms->arena, (m->n_lines ? m->n_lines : 1) * sizeof *row->best);
        for (size_t li = 0; li < m->n_lines; li++)
            row->best[li] = -1;
        for (size_t i = 0; i < row->n_held; i++) {
            asr_held *h = &row->held[i];
            score_held(m, row->area, c->as_of_days, h);
            long b = row->best[h->line];
            if (h->points > 0 && (b < 0 || h->points > row->held[b].points))
                row->best[h->line] = (long)i;
        }
        double points = 0;
        for (size_t li = 0; li < m->n_lines; li++)
            if (row->best[li] >= 0)
                points += row->held[row->best[li]].points;
        row->score = total > 0 ? 100.0 * points / total : 0;
        /* whole tenths, so a score reads the same in every output */
        row->score = (double)(long)(row->score * 10 + 0.5) / 10;
        for (size_t k = 0; k < m->combined.n_levels; k++)
            if (row->score >= m->combined.levels[k].score)
                row->held_level = &m->combined.levels[k];
        if (row->area->required_assurance && row->area->required_level < m->combined.n_levels) {
            row->required = &m->combined.levels[row->area->required_level];
            row->below = row->score < row->required->score;
        }
        /* duplicates: two or more current sources of one line and scope */
        for (size_t i = 0; i < row->n_held; i++) {
            asr_held *h = &row->held[i];
            if (!h->current || h->duplicate)
                continue;
            int group = 0;
            for (size_t j = i + 1; j < row->n_held; j++) {
                asr_held *o = &row->held[j];
                if (o->current && !o->duplicate && o->line == h->line && same_scope(h, o)) {
                    if (!group)
                        group = (int)++row->n_duplicate_groups;
                    o->duplicate = group;
                }
            }
            h->duplicate = group;
        }
    }
}

/* ---- reading through the store ---- */

typedef struct {
    asr_store *s;
    asr_status failed;
} store_reader;

typedef struct {
    asr_stmt *st;
    store_reader *r;
} store_query;

static int store_has_table(void *ud, const char *name)
{
    return asr_store_has_table(((store_reader *)ud)->s, name);
}

static void *store_open(void *ud, const char *sql, const char *as_of, asr_diag *d)
{
    store_reader *r = ud;
    asr_stmt *st = asr_stmt_new(r->s, sql, d);
    if (!st) {
        r->failed = ASR_E_IO;
        return NULL;
    }
    asr_stmt_bind_text(st, 1, as_of);
    store_query *q = asr_xcalloc(1, sizeof *q);
    q->st = st;
    q->r = r;
    return q;
}

static int store_next(void *qp, const char **cols, int n, asr_diag *d)
{
    store_query *q = qp;
    int r = asr_stmt_step(q->st, d, "reading the reports of assurance");
    if (r < 0)
        q->r->failed = asr_stmt_status(q->st);
    for (int i = 0; r == 1 && i < n; i++)
        cols[i] = asr_stmt_is_null(q->st, i) ? NULL : asr_stmt_text(q->st, i);
    return r;
}

static void store_close(void *qp)
{
    store_query *q = qp;
    asr_stmt_free(q->st);
    free(q);
}

asr_status asr_mapstate_compute(const asr_map *m, asr_store *s, const char *as_of, asr_diag *d,
                                asr_mapstate **out)
{
    store_reader r = {s, ASR_OK};
    asr_msdata data = {&r, store_has_table, store_open, store_next, store_close};
    asr_status st = asr_mapstate_compute_with(m, &data, as_of, d, out);
    return st == ASR_E_IO && r.failed != ASR_OK ? r.failed : st;
}

asr_status asr_mapstate_compute_with(const asr_map *m, const asr_msdata *data, const char *as_of,
                                     asr_diag *d, asr_mapstate **out)
{
    *out = NULL;
    asr_mapstate *ms = asr_xcalloc(1, sizeof *ms);
    ms->map = m;
    snprintf(ms->as_of, sizeof ms->as_of, "%.10s", as_of);
    ctx c = {.ms = ms, .as_of_days = day_number(as_of), .data = data};
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
    asr_status st = gather_all(&c, d);
    asr_strmap_free(&c.sources);
    if (st != ASR_OK) {
        asr_mapstate_free(ms);
        return st;
    }
    decide(&c);
    combine(&c);
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
