#include "map.h"

#include <stdlib.h>
#include <string.h>

void asr_map_free(asr_map *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_datasets; i++)
        for (size_t k = 0; k < m->datasets[i].n_fields; k++)
            if (m->datasets[i].fields[k].has_regex)
                regfree(&m->datasets[i].fields[k].regex);
    for (size_t i = 0; i < m->n_files; i++)
        free(m->files[i]);
    free(m->files);
    asr_strmap_free(&m->area_index);
    asr_strmap_free(&m->dataset_index);
    asr_arena_free(&m->arena);
    free(m);
}

const asr_dataset *asr_map_dataset(const asr_map *m, const char *id)
{
    size_t k;
    if (m->dataset_index.cap)
        return asr_strmap_get(&m->dataset_index, id, strlen(id), &k) ? &m->datasets[k] : NULL;
    for (size_t i = 0; i < m->n_datasets; i++)
        if (m->datasets[i].id && strcmp(m->datasets[i].id, id) == 0)
            return &m->datasets[i];
    return NULL;
}

const asr_area *asr_map_area(const asr_map *m, const char *id)
{
    size_t k;
    if (m->area_index.cap)
        return asr_strmap_get(&m->area_index, id, strlen(id), &k) ? &m->areas[k] : NULL;
    for (size_t i = 0; i < m->n_areas; i++)
        if (m->areas[i].id && strcmp(m->areas[i].id, id) == 0)
            return &m->areas[i];
    return NULL;
}

const char *asr_ftype_name(asr_ftype t)
{
    static const char *const names[] = {"text", "integer", "decimal", "date", "boolean", "enum"};
    return (size_t)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

const char *asr_ref_name(asr_ref r)
{
    static const char *const names[] = {NULL, "areas", "sources", "units", "lines", "principles"};
    return (size_t)r < sizeof names / sizeof names[0] ? names[r] : NULL;
}

#define ADD_IDS(arr, count)                                                                        \
    for (size_t i = 0; i < (count); i++)                                                           \
        if ((arr)[i].id)                                                                           \
    asr_strset_add(out, (arr)[i].id, strlen((arr)[i].id))

void asr_map_ref_ids(const asr_map *m, asr_ref r, asr_strset *out)
{
    switch (r) {
    case ASR_REF_AREAS:
        ADD_IDS(m->areas, m->n_areas);
        break;
    case ASR_REF_SOURCES:
        ADD_IDS(m->sources, m->n_sources);
        break;
    case ASR_REF_UNITS:
        ADD_IDS(m->units, m->n_units);
        break;
    case ASR_REF_LINES:
        ADD_IDS(m->lines, m->n_lines);
        break;
    case ASR_REF_PRINCIPLES:
        ADD_IDS(m->principles, m->n_principles);
        break;
    case ASR_REF_NONE:
        break;
    }
}

size_t asr_dataset_columns(const asr_dataset *ds)
{
    size_t n = ds->n_fields;
    for (size_t i = 0; i < ds->n_fields; i++)
        n += ds->fields[i].partial != 0;
    return n;
}

size_t asr_precision_column(const asr_dataset *ds, size_t k)
{
    size_t n = ds->n_fields;
    for (size_t i = 0; i < k; i++)
        n += ds->fields[i].partial != 0;
    return n;
}
