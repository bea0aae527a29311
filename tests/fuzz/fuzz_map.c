/* Fuzz target: the YAML tree (asr_yaml_load_string, on the raw bytes) and
 * the map loader (asr_map_load_string, on the text up to the first NUL),
 * then the problem list sorted and printed as a command would. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "map.h"
#include "yamltree.h"

static FILE *sink(void)
{
    static FILE *null;
    if (!null)
        null = fopen("/dev/null", "w");
    return null;
}

/* Walks the tree: every node's text is NUL-terminated at its length. */
static size_t walk(const asr_ynode *n, unsigned depth)
{
    FUZZ_CHECK(depth <= ASR_YAML_MAX_DEPTH + 1);
    FUZZ_CHECK(n->loc.line >= 1 && n->loc.col >= 1);
    if (n->kind == ASR_YSCALAR) {
        FUZZ_CHECK(strlen(n->text) == n->len);
        return 1;
    }
    size_t count = 1;
    for (size_t i = 0; i < n->n; i++) {
        if (n->kind == ASR_YMAP) {
            FUZZ_CHECK(n->keys[i]->kind == ASR_YSCALAR);
            count += walk(n->keys[i], depth + 1);
        }
        count += walk(n->items[i], depth + 1);
    }
    return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    asr_diag d;
    asr_diag_init(&d, ASR_DIAG_LIMIT);
    asr_ydoc *doc = NULL;
    if (asr_yaml_load_string("fuzz.yaml", (const char *)data, size, &d, &doc) == ASR_OK) {
        if (doc->root)
            walk(doc->root, 0);
        asr_ynode *org = asr_ymap_get(doc->root, "organisation");
        (void)org;
        asr_ydoc_free(doc);
    } else {
        FUZZ_CHECK(doc == NULL && d.errors > 0);
    }
    asr_diag_free(&d);

    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    asr_diag_init(&d, ASR_DIAG_LIMIT);
    asr_map *m = NULL;
    asr_status st = asr_map_load_string("fuzz.yaml", text, &d, &m);
    FUZZ_CHECK((st == ASR_OK) == (m != NULL));
    FUZZ_CHECK(st == ASR_OK || d.errors > 0);
    FUZZ_CHECK(d.count <= ASR_DIAG_LIMIT);
    if (m) {
        for (size_t i = 0; i < m->n_areas; i++)
            FUZZ_CHECK(!m->areas[i].id || asr_map_area(m, m->areas[i].id));
        for (size_t i = 0; i < m->n_datasets; i++)
            FUZZ_CHECK(asr_map_dataset(m, m->datasets[i].id) == &m->datasets[i]);
        asr_strset ids = {0};
        for (int r = ASR_REF_AREAS; r <= ASR_REF_PRINCIPLES; r++)
            asr_map_ref_ids(m, (asr_ref)r, &ids);
        asr_strset_free(&ids);
    }
    asr_diag_sort(&d);
    asr_diag_print(&d, sink());
    asr_map_free(m);
    asr_diag_free(&d);
    free(text);
    return 0;
}
