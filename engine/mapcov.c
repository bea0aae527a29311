#include "mapcov.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Cells are numbered area * n_lines + line. Per case, the rows of each
 * dataset a rule read are reduced once to the cells they name, kept with one
 * more column per area: "the area, no line named" (ANY). */
typedef struct {
    const char *id;       /* the case map's dataset id (borrowed) */
    unsigned char *marks; /* n_areas * (n_lines + 1) */
    int any;              /* some row named a cell */
} ds_cells;

struct asr_mapcov {
    const asr_map *m;
    size_t n_rules, n_cells;
    asr_strmap areas, lines; /* main map ids -> index */
    unsigned char *bits;     /* n_rules * n_cells: ASR_MC_* over all cases */
    /* the case under way */
    const asr_map *cm;
    asr_store *s;
    unsigned char *touched, *flagged; /* n_rules * n_cells */
    unsigned char *in_case;           /* n_rules: given to mapcov in this case */
    ds_cells *ds;
    size_t n_ds;
};

asr_mapcov *asr_mapcov_new(const asr_map *m, size_t n_rules)
{
    asr_mapcov *mc = asr_xcalloc(1, sizeof *mc);
    mc->m = m;
    mc->n_rules = n_rules;
    mc->n_cells = m->n_areas * m->n_lines;
    for (size_t a = 0; a < m->n_areas; a++)
        asr_strmap_put(&mc->areas, m->areas[a].id, a);
    for (size_t l = 0; l < m->n_lines; l++)
        asr_strmap_put(&mc->lines, m->lines[l].id, l);
    size_t n = n_rules * mc->n_cells + 1;
    mc->bits = asr_xcalloc(n, 1);
    mc->touched = asr_xcalloc(n, 1);
    mc->flagged = asr_xcalloc(n, 1);
    mc->in_case = asr_xcalloc(n_rules + 1, 1);
    return mc;
}

static void drop_case_datasets(asr_mapcov *mc)
{
    for (size_t i = 0; i < mc->n_ds; i++)
        free(mc->ds[i].marks);
    free(mc->ds);
    mc->ds = NULL;
    mc->n_ds = 0;
}

void asr_mapcov_free(asr_mapcov *mc)
{
    if (!mc)
        return;
    drop_case_datasets(mc);
    asr_strmap_free(&mc->areas);
    asr_strmap_free(&mc->lines);
    free(mc->bits);
    free(mc->touched);
    free(mc->flagged);
    free(mc->in_case);
    free(mc);
}

void asr_mapcov_case_begin(asr_mapcov *mc, const asr_map *case_map, asr_store *s)
{
    drop_case_datasets(mc);
    mc->cm = case_map;
    mc->s = s;
    size_t n = mc->n_rules * mc->n_cells;
    memset(mc->touched, 0, n);
    memset(mc->flagged, 0, n);
    memset(mc->in_case, 0, mc->n_rules);
}

static int find_id(const asr_strmap *ids, const char *s, size_t *out)
{
    return s && *s && asr_strmap_get(ids, s, strlen(s), out);
}

/* The case map's source of this id, or NULL. */
static const asr_source *case_source(const asr_map *cm, const char *id)
{
    for (size_t i = 0; i < cm->n_sources; i++)
        if (strcmp(cm->sources[i].id, id) == 0)
            return &cm->sources[i];
    return NULL;
}

/* Marks the cells one row names: each area with each line (a line field, a
 * source's line) -- or ANY when it names no line; a source with no area in
 * the row names the source's own areas. */
static void mark_row(const asr_mapcov *mc, unsigned char *marks, const char *const *area, size_t na,
                     const char *const *source, size_t ns, const char *const *line, size_t nl)
{
    size_t L = mc->m->n_lines, idx;
    size_t lines[64], n_lines = 0;
    for (size_t i = 0; i < nl && n_lines < 64; i++)
        if (find_id(&mc->lines, line[i], &idx))
            lines[n_lines++] = idx;
    const char *src_areas[256];
    size_t n_src_areas = 0;
    for (size_t i = 0; i < ns; i++) {
        const asr_source *src = source[i] && *source[i] ? case_source(mc->cm, source[i]) : NULL;
        if (!src)
            continue;
        if (n_lines < 64 && find_id(&mc->lines, src->line, &idx))
            lines[n_lines++] = idx;
        for (size_t k = 0; k < src->n_areas && n_src_areas < 256; k++)
            src_areas[n_src_areas++] = src->areas[k];
    }
    int row_has_area = 0;
    for (size_t i = 0; i < na; i++)
        row_has_area |= area[i] && *area[i];
    const char *const *areas = row_has_area ? area : src_areas;
    size_t n_areas = row_has_area ? na : n_src_areas;
    for (size_t i = 0; i < n_areas; i++) {
        size_t a;
        if (!find_id(&mc->areas, areas[i], &a))
            continue;
        if (!n_lines)
            marks[a * (L + 1) + L] = 1;
        for (size_t j = 0; j < n_lines; j++)
            marks[a * (L + 1) + lines[j]] = 1;
    }
}

/* The cells of a case dataset's rows, read once per case. */
static const ds_cells *dataset_cells(asr_mapcov *mc, const asr_dataset *ds)
{
    for (size_t i = 0; i < mc->n_ds; i++)
        if (strcmp(mc->ds[i].id, ds->id) == 0)
            return &mc->ds[i];
    mc->ds = asr_xrealloc(mc->ds, (mc->n_ds + 1) * sizeof *mc->ds);
    ds_cells *out = &mc->ds[mc->n_ds++];
    size_t L = mc->m->n_lines;
    out->id = ds->id;
    out->marks = asr_xcalloc(mc->m->n_areas * (L + 1) + 1, 1);
    out->any = 0;
    /* The columns that place a row: areas first, then sources, then lines. */
    size_t cols[3][16], n[3] = {0, 0, 0};
    for (size_t f = 0; f < ds->n_fields; f++) {
        int kind = ds->fields[f].ref == ASR_REF_AREAS     ? 0
                   : ds->fields[f].ref == ASR_REF_SOURCES ? 1
                   : ds->fields[f].ref == ASR_REF_LINES   ? 2
                                                          : -1;
        if (kind >= 0 && n[kind] < 16)
            cols[kind][n[kind]++] = f;
    }
    if (!mc->s || n[0] + n[1] == 0)
        return out; /* no column names an area or a source: the rows name no cell */
    asr_buf sql = {0};
    asr_buf_adds(&sql, "SELECT ");
    size_t total = 0;
    for (int kind = 0; kind < 3; kind++)
        for (size_t i = 0; i < n[kind]; i++) {
            asr_buf_adds(&sql, total++ ? ", \"" : "\"");
            for (const char *p = ds->fields[cols[kind][i]].name; *p; p++) {
                if (*p == '"')
                    asr_buf_addc(&sql, '"');
                asr_buf_addc(&sql, *p);
            }
            asr_buf_addc(&sql, '"');
        }
    asr_buf_adds(&sql, " FROM \"");
    for (const char *p = ds->id; *p; p++) {
        if (*p == '"')
            asr_buf_addc(&sql, '"');
        asr_buf_addc(&sql, *p);
    }
    asr_buf_adds(&sql, "\"");
    asr_diag quiet;
    asr_diag_init(&quiet, 1);
    asr_stmt *st =
        asr_store_has_table(mc->s, ds->id) ? asr_stmt_new(mc->s, sql.data, &quiet) : NULL;
    char *vals[48];
    while (st && asr_stmt_step(st, &quiet, "map coverage") == 1) {
        for (size_t i = 0; i < total; i++)
            vals[i] = asr_xstrdup(asr_stmt_text(st, (int)i));
        mark_row(mc, out->marks, (const char *const *)vals, n[0], (const char *const *)vals + n[0],
                 n[1], (const char *const *)vals + n[0] + n[1], n[2]);
        for (size_t i = 0; i < total; i++)
            free(vals[i]);
    }
    asr_stmt_free(st);
    asr_diag_free(&quiet);
    asr_buf_free(&sql);
    for (size_t i = 0; i < mc->m->n_areas * (L + 1) && !out->any; i++)
        out->any = out->marks[i];
    return out;
}

/* Whether rule r's covers name line l of the main map; *any says whether
 * they name any line at all. */
static int rule_names_line(const asr_rule *r, const char *line, int *any)
{
    int named = 0;
    *any = 0;
    for (size_t i = 0; i < r->n_covers; i++)
        if (strcmp(r->covers[i].kind, "lines") == 0) {
            *any = 1;
            named |= strcmp(r->covers[i].id, line) == 0;
        }
    return named;
}

/* Sets bit in into[cells of area a] for the lines an area-only row or
 * finding stands for: the rule's covered lines, or all. */
static void mark_area(const asr_mapcov *mc, unsigned char *into, const asr_rule *r, size_t a)
{
    size_t L = mc->m->n_lines;
    for (size_t l = 0; l < L; l++) {
        int any;
        int named = rule_names_line(r, mc->m->lines[l].id, &any);
        if (!any || named)
            into[a * L + l] = 1;
    }
}

void asr_mapcov_read(asr_mapcov *mc, size_t k, const asr_rule *r, const char *table)
{
    if (k >= mc->n_rules || !mc->cm)
        return;
    mc->in_case[k] = 1;
    const asr_dataset *ds = asr_map_dataset(mc->cm, table);
    if (!ds)
        return; /* the map's own tables, history: no rows of a cell */
    const ds_cells *dc = dataset_cells(mc, ds);
    if (!dc->any)
        return;
    size_t L = mc->m->n_lines;
    unsigned char *into = mc->touched + k * mc->n_cells;
    for (size_t a = 0; a < mc->m->n_areas; a++) {
        if (dc->marks[a * (L + 1) + L])
            mark_area(mc, into, r, a);
        for (size_t l = 0; l < L; l++)
            if (dc->marks[a * (L + 1) + l])
                into[a * L + l] = 1;
    }
}

void asr_mapcov_flagged(asr_mapcov *mc, size_t k, const asr_rule *r, const asr_finding *f)
{
    if (k >= mc->n_rules)
        return;
    mc->in_case[k] = 1;
    size_t a, l;
    if (!find_id(&mc->areas, f->area, &a))
        return;
    unsigned char *into = mc->flagged + k * mc->n_cells;
    if (f->line && *f->line) {
        if (find_id(&mc->lines, f->line, &l))
            into[a * mc->m->n_lines + l] = 1;
        return;
    }
    mark_area(mc, into, r, a);
}

void asr_mapcov_case_end(asr_mapcov *mc)
{
    for (size_t k = 0; k < mc->n_rules; k++) {
        if (!mc->in_case[k])
            continue;
        const unsigned char *t = mc->touched + k * mc->n_cells, *f = mc->flagged + k * mc->n_cells;
        unsigned char *b = mc->bits + k * mc->n_cells;
        for (size_t c = 0; c < mc->n_cells; c++) {
            if (f[c])
                b[c] |= ASR_MC_CAN | ASR_MC_FIRED;
            else if (t[c])
                b[c] |= ASR_MC_CAN | ASR_MC_QUIET;
        }
    }
    drop_case_datasets(mc);
    mc->cm = NULL;
    mc->s = NULL;
}

void asr_mapcov_declare(asr_mapcov *mc, size_t k, const asr_rule *r)
{
    if (k >= mc->n_rules)
        return;
    size_t L = mc->m->n_lines, a, l;
    unsigned char *b = mc->bits + k * mc->n_cells;
    unsigned char *mark = asr_xcalloc(mc->n_cells + 1, 1);
    for (size_t i = 0; i < r->n_covers; i++) {
        const asr_cover *cv = &r->covers[i];
        if (strcmp(cv->kind, "areas") == 0 && find_id(&mc->areas, cv->id, &a)) {
            mark_area(mc, mark, r, a);
        } else if (strcmp(cv->kind, "sources") == 0) {
            for (size_t s = 0; s < mc->m->n_sources; s++) {
                const asr_source *src = &mc->m->sources[s];
                if (strcmp(src->id, cv->id) != 0 || !find_id(&mc->lines, src->line, &l))
                    continue;
                for (size_t j = 0; j < src->n_areas; j++)
                    if (find_id(&mc->areas, src->areas[j], &a))
                        mark[a * L + l] = 1;
            }
        }
    }
    for (size_t c = 0; c < mc->n_cells; c++)
        if (mark[c])
            b[c] |= ASR_MC_CAN;
    free(mark);
}

unsigned asr_mapcov_cell(const asr_mapcov *mc, size_t k, size_t a, size_t l)
{
    if (k >= mc->n_rules || a >= mc->m->n_areas || l >= mc->m->n_lines)
        return 0;
    return mc->bits[k * mc->n_cells + a * mc->m->n_lines + l];
}

int asr_mapcov_required(const asr_map *m, size_t a, size_t l)
{
    for (size_t k = 0; k < m->areas[a].n_required_lines; k++)
        if (strcmp(m->areas[a].required_lines[k], m->lines[l].id) == 0)
            return 1;
    return 0;
}

asr_mapcov_numbers asr_mapcov_count(const asr_mapcov *mc)
{
    asr_mapcov_numbers n;
    memset(&n, 0, sizeof n);
    const asr_map *m = mc->m;
    for (size_t a = 0; a < m->n_areas; a++)
        for (size_t l = 0; l < m->n_lines; l++) {
            int covered = 0, tested = 0;
            for (size_t k = 0; k < mc->n_rules; k++) {
                unsigned b = asr_mapcov_cell(mc, k, a, l);
                covered |= (b & ASR_MC_CAN) != 0;
                tested |= (b & (ASR_MC_FIRED | ASR_MC_QUIET)) == (ASR_MC_FIRED | ASR_MC_QUIET);
            }
            int req = asr_mapcov_required(m, a, l);
            n.cells++;
            n.covered += (size_t)covered;
            n.tested += (size_t)tested;
            n.required += (size_t)req;
            n.required_covered += (size_t)(req && covered);
            n.required_tested += (size_t)(req && tested);
        }
    n.percent = n.required ? 100.0 * (double)n.required_tested / (double)n.required : 100.0;
    return n;
}
