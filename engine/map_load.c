/* map_load: turns YAML documents (yamltree) into a validated asr_map.
 *
 * Three passes, so that every problem is reported, not just the first:
 *   1. read each file and its includes; check the top-level keys; gather the
 *      section lists from every file;
 *   2. convert each item, checking its keys and the type of each value;
 *   3. check what items say about each other: duplicate ids, references,
 *      cycles in the unit tree.
 * The schema decides types: a plain `yes` is the text "yes" in a text field
 * and an error in a boolean one; only `true` and `false` are booleans. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datadir.h"
#include "date.h"
#include "map.h"
#include "sha256.h"
#include "yamltree.h"

#define MAX_INCLUDE_DEPTH 8
#define MAX_ID_LEN 64

/* One section item with the list it came from, so paths read "areas[3]". */
typedef struct {
    asr_ynode *node;
    size_t index;
} item_ref;

typedef struct {
    item_ref *items;
    size_t n, cap;
} item_list;

/* What a reference names; checked in pass 3 once every id is known. */
typedef enum { REF_LINE, REF_PRINCIPLE, REF_UNIT, REF_AREA, REF_SCALE } ref_kind;

typedef struct {
    ref_kind kind;
    const char *id;
    asr_loc loc;
    char *path;
} pending_ref;

typedef struct {
    asr_map *m;
    asr_diag *d;
    size_t errors_before;
    int unreadable; /* a file could not be read or parsed: skip passes 2 and 3 */
    pending_ref *refs;
    size_t n_refs, cap_refs;
    asr_ydoc **docs;
    size_t n_docs;
    asr_ynode *organisation;
    item_list lines, principles, units, areas, sources, scales, datasets;
    asr_ynode **params; /* one mapping per file */
    size_t n_params;
    asr_ynode **gates, **history, **combined; /* one mapping per file, applied in load order */
    size_t n_gates, n_history, n_combined;
    size_t last_doc; /* the document loc_in_map found last */
    /* id -> index of the first item with it, built in pass 3 */
    asr_strmap line_ids, principle_ids, unit_ids, area_ids, source_ids, scale_ids, dataset_ids;
} loader;

static const char *const top_keys[] = {
    "assure",  "include", "organisation", "lines",    "principles", "units",   "areas",
    "sources", "scales",  "params",       "datasets", "gates",      "history", "combined_assurance",
    NULL};

static asr_loc loc_in_map(loader *L, asr_loc l);

/* ---- small helpers ---- */

static char *path_of(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static char *path_of(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return buf;
}

static const char *kind_word(const asr_ynode *n)
{
    if (n->kind == ASR_YSEQ)
        return "a list";
    if (n->kind == ASR_YMAP)
        return "a mapping";
    return n->plain ? "a plain value" : "quoted text";
}

static void list_push(item_list *l, asr_ynode *n, size_t index)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->items = asr_xrealloc(l->items, l->cap * sizeof *l->items);
    }
    l->items[l->n].node = n;
    l->items[l->n].index = index;
    l->n++;
}

/* Checks node is a mapping whose keys are all in allowed; reports each
 * unknown key with a suggestion. Returns 0 if node is a mapping. */
static int check_keys(loader *L, const asr_ynode *node, const char *path,
                      const char *const *allowed)
{
    if (node->kind != ASR_YMAP) {
        asr_error(L->d, &node->loc, path, "expected a mapping of keys to values, got %s",
                  kind_word(node));
        return -1;
    }
    for (size_t i = 0; i < node->n; i++) {
        const char *k = node->keys[i]->text;
        size_t j = 0;
        while (allowed[j] && strcmp(allowed[j], k) != 0)
            j++;
        if (allowed[j])
            continue;
        const char *hint = asr_diag_full(L->d) ? NULL : asr_did_you_mean(k, allowed);
        if (hint)
            asr_error(L->d, &node->keys[i]->loc, path, "unknown key '%s'; did you mean '%s'?", k,
                      hint);
        else
            asr_error(L->d, &node->keys[i]->loc, path, "unknown key '%s'", k);
    }
    return 0;
}

static void child_path(char *buf, size_t size, const char *path, const char *key)
{
    if (path && *path)
        snprintf(buf, size, "%s.%s", path, key);
    else
        snprintf(buf, size, "%s", key);
}

/* Text value of key, copied into the map arena; NULL if absent or null.
 * Reports a missing required value or a value that is not a scalar. */
static char *get_text(loader *L, const asr_ynode *map, const char *key, const char *path,
                      int required)
{
    char p[256];
    child_path(p, sizeof p, path, key);
    asr_ynode *v = asr_ymap_get(map, key);
    if (!v || asr_ynode_is_null(v)) {
        if (required)
            asr_error(L->d, v ? &v->loc : &map->loc, p, "missing required value '%s'", key);
        return NULL;
    }
    if (v->kind != ASR_YSCALAR) {
        asr_error(L->d, &v->loc, p, "expected text, got %s", kind_word(v));
        return NULL;
    }
    return asr_arena_strndup(&L->m->arena, v->text, v->len);
}

static int valid_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > MAX_ID_LEN)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 (i > 0 && (c == '_' || c == '-' || c == '.'));
        if (!ok)
            return 0;
    }
    return 1;
}

static void note_ref(loader *L, ref_kind kind, const char *id, asr_loc loc, const char *path)
{
    if (L->n_refs == L->cap_refs) {
        L->cap_refs = L->cap_refs ? L->cap_refs * 2 : 64;
        L->refs = asr_xrealloc(L->refs, L->cap_refs * sizeof *L->refs);
    }
    pending_ref *r = &L->refs[L->n_refs++];
    r->kind = kind;
    r->id = id;
    r->loc = loc;
    r->path = asr_xstrdup(path);
}

/* A text value or a list of them under key (a single value counts as a
 * list of one), copied into the arena; *n gets the count. */
static char **get_text_list(loader *L, const asr_ynode *map, const char *key, const char *path,
                            size_t *n)
{
    *n = 0;
    asr_ynode *v = asr_ymap_get(map, key);
    if (!v || asr_ynode_is_null(v))
        return NULL;
    char p[256];
    child_path(p, sizeof p, path, key);
    size_t count = v->kind == ASR_YSEQ ? v->n : 1;
    char **out = asr_arena_alloc(&L->m->arena, (count + 1) * sizeof *out);
    for (size_t i = 0; i < count; i++) {
        const asr_ynode *e = v->kind == ASR_YSEQ ? v->items[i] : v;
        if (e->kind != ASR_YSCALAR || asr_ynode_is_null(e) || e->len == 0) {
            asr_error(L->d, &e->loc, p, "expected text, or a list of text, got %s", kind_word(e));
            continue;
        }
        out[(*n)++] = asr_arena_strndup(&L->m->arena, e->text, e->len);
    }
    return out;
}

/* Synonyms under key: a mapping of what a provider writes to the value it
 * means. The targets are checked once values are known (pass 3). */
static asr_synonym *get_synonyms(loader *L, const asr_ynode *map, const char *key, const char *path,
                                 size_t *n)
{
    *n = 0;
    asr_ynode *v = asr_ymap_get(map, key);
    if (!v || asr_ynode_is_null(v))
        return NULL;
    char p[256];
    child_path(p, sizeof p, path, key);
    if (v->kind != ASR_YMAP) {
        asr_error(L->d, &v->loc, p,
                  "expected a mapping of what the export says to the value it means, such as "
                  "{Reasonable Assurance: Reasonable}");
        return NULL;
    }
    asr_synonym *out = asr_arena_alloc(&L->m->arena, (v->n + 1) * sizeof *out);
    for (size_t i = 0; i < v->n; i++) {
        const asr_ynode *to = v->items[i];
        if (to->kind != ASR_YSCALAR || asr_ynode_is_null(to)) {
            asr_error(L->d, &to->loc, p, "'%s': expected the value it means, got %s",
                      v->keys[i]->text, kind_word(to));
            continue;
        }
        out[*n].from = asr_arena_strdup(&L->m->arena, v->keys[i]->text);
        out[*n].to = asr_arena_strndup(&L->m->arena, to->text, to->len);
        out[(*n)++].loc = loc_in_map(L, to->loc);
    }
    return out;
}

/* A heading as it is compared: lower-case letters and digits only, so
 * "Target date", "TARGET DATE" and "Target-Date:" are the same heading. */
void asr_heading_key(const char *s, char *out, size_t size)
{
    size_t n = 0;
    for (; *s && n + 1 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 'A' && c <= 'Z')
            out[n++] = (char)(c + 32);
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80 || c == '%')
            out[n++] = (char)c;
    }
    out[n] = '\0';
}

/* An identifier: letters, digits, and after the first character _ - . */
static char *get_id(loader *L, const asr_ynode *map, const char *key, const char *path,
                    int required)
{
    char *s = get_text(L, map, key, path, required);
    if (s && !valid_id(s)) {
        char p[256];
        child_path(p, sizeof p, path, key);
        asr_error(L->d, &asr_ymap_get(map, key)->loc, p,
                  "'%s' is not a valid id: use up to %d letters, digits, '_', '-' or '.', "
                  "starting with a letter or digit",
                  s, MAX_ID_LEN);
        return NULL;
    }
    return s;
}

/* An id naming another map item; checked once all items are read. */
static char *get_ref(loader *L, const asr_ynode *map, const char *key, const char *path,
                     int required, ref_kind kind)
{
    char *s = get_id(L, map, key, path, required);
    if (s) {
        char p[256];
        child_path(p, sizeof p, path, key);
        note_ref(L, kind, s, asr_ymap_get(map, key)->loc, p);
    }
    return s;
}

/* Parses a plain scalar as a decimal integer: optional '-', digits, no
 * leading zero (YAML 1.1 would read 010 as octal; we refuse to guess). */
static const char *parse_long(const asr_ynode *v, long *out)
{
    if (v->kind != ASR_YSCALAR)
        return "expected a whole number";
    if (!v->plain)
        return "expected a whole number, not quoted text";
    const char *s = v->text;
    const char *digits = *s == '-' ? s + 1 : s;
    if (!*digits)
        return "expected a whole number";
    for (const char *p = digits; *p; p++)
        if (*p < '0' || *p > '9')
            return "expected a whole number";
    if (digits[0] == '0' && digits[1])
        return "a whole number may not start with 0 (YAML 1.1 would read it as octal)";
    if (strlen(digits) > 12)
        return "number too large";
    *out = strtol(s, NULL, 10);
    return NULL;
}

/* -?digits(.digits)? : what a parameter may be to count as a number. */
static int is_decimal(const char *s)
{
    if (*s == '-')
        s++;
    size_t digits = strspn(s, "0123456789");
    if (!digits)
        return 0;
    s += digits;
    if (*s == '.') {
        s++;
        if (!strspn(s, "0123456789"))
            return 0;
        s += strspn(s, "0123456789");
    }
    return *s == '\0';
}

/* The whole number v, the value of key in map (v may be NULL: absent). */
static int get_long_at(loader *L, const asr_ynode *map, const asr_ynode *v, const char *key,
                       const char *path, int required, long min, long max, long *out)
{
    char p[256];
    child_path(p, sizeof p, path, key);
    if (!v || asr_ynode_is_null(v)) {
        if (required)
            asr_error(L->d, v ? &v->loc : &map->loc, p, "missing required value '%s'", key);
        return -1;
    }
    long val;
    const char *why = parse_long(v, &val);
    if (why) {
        if (v->kind == ASR_YSCALAR)
            asr_error(L->d, &v->loc, p, "%s: '%s'", why, v->text);
        else
            asr_error(L->d, &v->loc, p, "%s, got %s", why, kind_word(v));
        return -1;
    }
    if (val < min || val > max) {
        asr_error(L->d, &v->loc, p, "%ld is outside the allowed range %ld to %ld", val, min, max);
        return -1;
    }
    *out = val;
    return 0;
}

static int get_long(loader *L, const asr_ynode *map, const char *key, const char *path,
                    int required, long min, long max, long *out)
{
    return get_long_at(L, map, asr_ymap_get(map, key), key, path, required, min, max, out);
}

/* Whether the n strings before s in list hold s: a scan for a short list,
 * a hash map (built once the list is long) for a long one. */
typedef struct {
    asr_strmap map;
    size_t indexed; /* strings of the list in map */
} list_seen;

static int seen_before(list_seen *ls, char *const *list, size_t n, const char *s)
{
    if (n <= 16) {
        for (size_t j = 0; j < n; j++)
            if (strcmp(list[j], s) == 0)
                return 1;
        return 0;
    }
    while (ls->indexed < n) {
        asr_strmap_put(&ls->map, list[ls->indexed], ls->indexed);
        ls->indexed++;
    }
    size_t at;
    return asr_strmap_get(&ls->map, s, strlen(s), &at);
}

static int get_bool(loader *L, const asr_ynode *map, const char *key, const char *path, int *out)
{
    char p[256];
    child_path(p, sizeof p, path, key);
    asr_ynode *v = asr_ymap_get(map, key);
    if (!v || asr_ynode_is_null(v))
        return -1;
    if (v->kind == ASR_YSCALAR && v->plain &&
        (strcmp(v->text, "true") == 0 || strcmp(v->text, "false") == 0)) {
        *out = v->text[0] == 't';
        return 0;
    }
    asr_error(L->d, &v->loc, p, "expected true or false, got %s%s%s%s", kind_word(v),
              v->kind == ASR_YSCALAR ? " '" : "", v->kind == ASR_YSCALAR ? v->text : "",
              v->kind == ASR_YSCALAR ? "'" : "");
    return -1;
}

/* A list of ids under key. A single id is not accepted in place of a list. */
static char **get_id_list(loader *L, const asr_ynode *map, const char *key, const char *path,
                          size_t *count, ref_kind kind)
{
    char p[256], ip[300];
    child_path(p, sizeof p, path, key);
    *count = 0;
    asr_ynode *v = asr_ymap_get(map, key);
    if (!v || asr_ynode_is_null(v))
        return NULL;
    if (v->kind != ASR_YSEQ) {
        asr_error(L->d, &v->loc, p, "expected a list such as [a, b], got %s", kind_word(v));
        return NULL;
    }
    char **out = asr_arena_alloc(&L->m->arena, v->n * sizeof *out);
    size_t n = 0;
    list_seen seen = {{0}, 0};
    for (size_t i = 0; i < v->n; i++) {
        asr_ynode *e = v->items[i];
        path_of(ip, sizeof ip, "%s[%zu]", p, i);
        if (e->kind != ASR_YSCALAR || asr_ynode_is_null(e)) {
            asr_error(L->d, &e->loc, ip, "expected an id, got %s", kind_word(e));
            continue;
        }
        if (!valid_id(e->text)) {
            asr_error(L->d, &e->loc, ip, "'%s' is not a valid id", e->text);
            continue;
        }
        if (seen_before(&seen, out, n, e->text))
            asr_error(L->d, &e->loc, ip, "'%s' is listed twice", e->text);
        out[n] = asr_arena_strdup(&L->m->arena, e->text);
        note_ref(L, kind, out[n], e->loc, ip);
        n++;
    }
    asr_strmap_free(&seen.map);
    *count = n;
    return out;
}

/* ---- overlays ----
 * An entry with `overlay: true` extends the dataset or scale of the same id
 * declared before it (usually in the standard model, included first): it is
 * merged into that entry as YAML before anything is converted, so the result
 * is checked like any declaration and keeps every value's own place. For a
 * field that exists, headings, synonyms, "none" words and date layouts are
 * added to; other keys replace. A field that does not exist is added.
 * Checks and computed columns are added; other dataset keys replace. */

static asr_ynode *new_map_node(loader *L, const asr_ynode *like, size_t cap)
{
    asr_ynode *n = asr_arena_alloc(&L->m->arena, sizeof *n);
    n->kind = ASR_YMAP;
    n->loc = like->loc;
    n->keys = asr_arena_alloc(&L->m->arena, (cap + 1) * sizeof *n->keys);
    n->items = asr_arena_alloc(&L->m->arena, (cap + 1) * sizeof *n->items);
    return n;
}

static asr_ynode *copy_map(loader *L, const asr_ynode *m, size_t extra)
{
    asr_ynode *n = new_map_node(L, m, m->n + extra);
    for (size_t i = 0; i < m->n; i++) {
        n->keys[i] = m->keys[i];
        n->items[i] = m->items[i];
    }
    n->n = m->n;
    return n;
}

/* Replaces key's value in m (made with room), or adds it. */
static void put_pair(asr_ynode *m, asr_ynode *key, asr_ynode *value)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->keys[i]->text, key->text) == 0) {
            m->items[i] = value;
            return;
        }
    m->keys[m->n] = key;
    m->items[m->n++] = value;
}

/* a and b as one sequence (a scalar counts as a list of one). */
static asr_ynode *concat(loader *L, asr_ynode *a, asr_ynode *b)
{
    size_t na = a->kind == ASR_YSEQ ? a->n : 1, nb = b->kind == ASR_YSEQ ? b->n : 1;
    asr_ynode *n = asr_arena_alloc(&L->m->arena, sizeof *n);
    n->kind = ASR_YSEQ;
    n->loc = b->loc;
    n->items = asr_arena_alloc(&L->m->arena, (na + nb + 1) * sizeof *n->items);
    for (size_t i = 0; i < na; i++)
        n->items[n->n++] = a->kind == ASR_YSEQ ? a->items[i] : a;
    for (size_t i = 0; i < nb; i++)
        n->items[n->n++] = b->kind == ASR_YSEQ ? b->items[i] : b;
    return n;
}

/* Two mappings as one; b's keys win. */
static asr_ynode *merge_maps(loader *L, asr_ynode *a, asr_ynode *b)
{
    if (a->kind != ASR_YMAP || b->kind != ASR_YMAP)
        return b;
    asr_ynode *n = copy_map(L, a, b->n);
    for (size_t i = 0; i < b->n; i++)
        put_pair(n, b->keys[i], b->items[i]);
    return n;
}

static int adds_to(const char *key)
{
    return strcmp(key, "header") == 0 || strcmp(key, "none") == 0 || strcmp(key, "format") == 0;
}

static asr_ynode *merge_field(loader *L, asr_ynode *base, asr_ynode *over)
{
    asr_ynode *n = copy_map(L, base, over->n);
    for (size_t i = 0; i < over->n; i++) {
        const char *key = over->keys[i]->text;
        asr_ynode *was = asr_ymap_get(base, key), *v = over->items[i];
        if (was && adds_to(key) && !asr_ynode_is_null(was))
            v = concat(L, was, v);
        else if (was && strcmp(key, "synonyms") == 0)
            v = merge_maps(L, was, v);
        put_pair(n, over->keys[i], v);
    }
    return n;
}

static asr_ynode *merge_fields(loader *L, asr_ynode *base, asr_ynode *over)
{
    if (base->kind != ASR_YSEQ || over->kind != ASR_YSEQ)
        return over; /* reported when converted */
    asr_ynode *n = asr_arena_alloc(&L->m->arena, sizeof *n);
    n->kind = ASR_YSEQ;
    n->loc = base->loc;
    n->items = asr_arena_alloc(&L->m->arena, (base->n + over->n + 1) * sizeof *n->items);
    for (size_t i = 0; i < base->n; i++)
        n->items[n->n++] = base->items[i];
    for (size_t i = 0; i < over->n; i++) {
        asr_ynode *f = over->items[i], *name = asr_ymap_get(f, "name");
        size_t k = 0;
        while (name && name->kind == ASR_YSCALAR && k < n->n) {
            asr_ynode *bn = asr_ymap_get(n->items[k], "name");
            if (bn && bn->kind == ASR_YSCALAR && strcmp(bn->text, name->text) == 0)
                break;
            k++;
        }
        if (name && k < n->n)
            n->items[k] = merge_field(L, n->items[k], f);
        else
            n->items[n->n++] = f;
    }
    return n;
}

static asr_ynode *merge_entry(loader *L, asr_ynode *base, asr_ynode *over)
{
    asr_ynode *n = copy_map(L, base, over->n);
    for (size_t i = 0; i < over->n; i++) {
        const char *key = over->keys[i]->text;
        asr_ynode *was = asr_ymap_get(base, key), *v = over->items[i];
        if (strcmp(key, "overlay") == 0 || strcmp(key, "id") == 0)
            continue;
        if (was && strcmp(key, "fields") == 0)
            v = merge_fields(L, was, v);
        else if (was && (strcmp(key, "checks") == 0 || strcmp(key, "computed") == 0))
            v = concat(L, was, v);
        else if (was && (strcmp(key, "synonyms") == 0 || strcmp(key, "labels") == 0))
            v = merge_maps(L, was, v);
        put_pair(n, over->keys[i], v);
    }
    return n;
}

/* Folds each overlay entry of the list into the entry it extends. */
static void apply_overlays(loader *L, item_list *list, const char *what)
{
    size_t kept = 0;
    for (size_t i = 0; i < list->n; i++) {
        asr_ynode *n = list->items[i].node, *ov = asr_ymap_get(n, "overlay");
        if (!ov || n->kind != ASR_YMAP) {
            list->items[kept++] = list->items[i];
            continue;
        }
        char p[64];
        path_of(p, sizeof p, "%ss[%zu]", what, list->items[i].index);
        if (!(ov->kind == ASR_YSCALAR && ov->plain && strcmp(ov->text, "true") == 0)) {
            if (!(ov->kind == ASR_YSCALAR && ov->plain && strcmp(ov->text, "false") == 0))
                asr_error(L->d, &ov->loc, p, "overlay: expected true or false");
            list->items[kept++] = list->items[i];
            continue;
        }
        asr_ynode *id = asr_ymap_get(n, "id");
        size_t k = kept;
        while (id && id->kind == ASR_YSCALAR && k-- > 0) {
            asr_ynode *bid = asr_ymap_get(list->items[k].node, "id");
            if (bid && bid->kind == ASR_YSCALAR && strcmp(bid->text, id->text) == 0)
                break;
        }
        if (!id || id->kind != ASR_YSCALAR || k == (size_t)-1 || kept == 0) {
            asr_error(L->d, id ? &id->loc : &n->loc, p,
                      "overlay of a %s that is not declared before it ('%s'): an overlay "
                      "extends a %s of an included file or of an earlier entry",
                      what, id && id->kind == ASR_YSCALAR ? id->text : "?", what);
            continue;
        }
        list->items[k].node = merge_entry(L, list->items[k].node, n);
    }
    list->n = kept;
}

/* The document names die with the documents; point at the map's copy.
 * Nodes carry their document's name pointer and m->files[i] is the copy of
 * L->docs[i]'s, so the document is found by pointer, the last one first
 * (items come file by file). */
static asr_loc loc_in_map(loader *L, asr_loc l)
{
    asr_map *m = L->m;
    size_t i = L->last_doc;
    if (!(i < L->n_docs && L->docs[i]->name == l.file)) {
        for (i = 0; i < L->n_docs && L->docs[i]->name != l.file; i++)
            ;
        if (i == L->n_docs) {
            for (size_t k = 0; k < m->n_files; k++)
                if (l.file && strcmp(m->files[k], l.file) == 0)
                    l.file = m->files[k];
            return l;
        }
        L->last_doc = i;
    }
    l.file = m->files[i];
    return l;
}

/* ---- pass 1: files, includes and sections ---- */

static void gather_list(loader *L, asr_ynode *root, const char *key, item_list *list)
{
    asr_ynode *v = asr_ymap_get(root, key);
    if (!v || asr_ynode_is_null(v))
        return;
    if (v->kind != ASR_YSEQ) {
        asr_error(L->d, &v->loc, key,
                  "expected a list of entries (each starting with '- '), got %s", kind_word(v));
        return;
    }
    for (size_t i = 0; i < v->n; i++)
        list_push(list, v->items[i], i);
}

static asr_status load_file(loader *L, const char *path, const char *const *chain, size_t depth,
                            const asr_loc *included_at);

static void process_root(loader *L, asr_ydoc *doc, const char *const *chain, size_t depth)
{
    asr_ynode *root = doc->root;
    if (!root) {
        asr_loc l = {doc->name, 1, 1};
        asr_error(L->d, &l, NULL,
                  "the file is empty; expected a mapping with 'organisation', "
                  "'areas' and the other sections");
        return;
    }
    if (check_keys(L, root, "", top_keys))
        return;
    asr_ynode *ver = asr_ymap_get(root, "assure");
    if (ver) {
        long v = 0;
        if (get_long(L, root, "assure", "", 1, 1, 1000, &v) == 0 && v != 1)
            asr_error(L->d, &ver->loc, "assure",
                      "map format version %ld is not supported; this assure reads version 1", v);
    }
    asr_ynode *inc = asr_ymap_get(root, "include");
    if (inc && !asr_ynode_is_null(inc)) {
        if (inc->kind != ASR_YSEQ) {
            asr_error(L->d, &inc->loc, "include", "expected a list of file names, got %s",
                      kind_word(inc));
        } else {
            const char **next = asr_xcalloc(depth + 2, sizeof *next);
            for (size_t i = 0; i < depth; i++)
                next[i] = chain[i];
            next[depth] = doc->name;
            for (size_t i = 0; i < inc->n; i++) {
                asr_ynode *e = inc->items[i];
                char p[64];
                path_of(p, sizeof p, "include[%zu]", i);
                if (e->kind != ASR_YSCALAR || asr_ynode_is_null(e)) {
                    asr_error(L->d, &e->loc, p, "expected a file name, got %s", kind_word(e));
                    continue;
                }
                /* "assure:..." is a file installed with assure (datadir) */
                char *target = asr_datadir_name(e->text) ? asr_datadir_resolve(e->text)
                                                         : asr_path_relative(doc->name, e->text);
                if (!target) {
                    asr_error(L->d, &e->loc, p,
                              "cannot include '%s': no data directory of assure's was found "
                              "(set ASSURE_DATADIR; see docs/install.md)",
                              e->text);
                    L->unreadable = 1;
                    continue;
                }
                load_file(L, target, next, depth + 1, &e->loc);
                free(target);
            }
            free(next);
        }
    }
    asr_ynode *org = asr_ymap_get(root, "organisation");
    if (org) {
        if (L->organisation)
            asr_error(L->d, &org->loc, "organisation",
                      "'organisation' is already given at %s:%u; give it in one file only",
                      L->organisation->loc.file, L->organisation->loc.line);
        else
            L->organisation = org;
    }
    gather_list(L, root, "lines", &L->lines);
    gather_list(L, root, "principles", &L->principles);
    gather_list(L, root, "units", &L->units);
    gather_list(L, root, "areas", &L->areas);
    gather_list(L, root, "sources", &L->sources);
    gather_list(L, root, "scales", &L->scales);
    gather_list(L, root, "datasets", &L->datasets);
    asr_ynode *params = asr_ymap_get(root, "params");
    if (params && !asr_ynode_is_null(params)) {
        L->params = asr_xrealloc(L->params, (L->n_params + 1) * sizeof *L->params);
        L->params[L->n_params++] = params;
    }
    asr_ynode *gates = asr_ymap_get(root, "gates");
    if (gates && !asr_ynode_is_null(gates)) {
        L->gates = asr_xrealloc(L->gates, (L->n_gates + 1) * sizeof *L->gates);
        L->gates[L->n_gates++] = gates;
    }
    asr_ynode *history = asr_ymap_get(root, "history");
    if (history && !asr_ynode_is_null(history)) {
        L->history = asr_xrealloc(L->history, (L->n_history + 1) * sizeof *L->history);
        L->history[L->n_history++] = history;
    }
    asr_ynode *combined = asr_ymap_get(root, "combined_assurance");
    if (combined && !asr_ynode_is_null(combined)) {
        L->combined = asr_xrealloc(L->combined, (L->n_combined + 1) * sizeof *L->combined);
        L->combined[L->n_combined++] = combined;
    }
}

static void add_doc(loader *L, asr_ydoc *doc)
{
    L->docs = asr_xrealloc(L->docs, (L->n_docs + 1) * sizeof *L->docs);
    L->docs[L->n_docs++] = doc;
    asr_map *m = L->m;
    m->files = asr_xrealloc(m->files, (m->n_files + 1) * sizeof *m->files);
    m->files[m->n_files++] = asr_xstrdup(doc->name);
}

static asr_status load_file(loader *L, const char *path, const char *const *chain, size_t depth,
                            const asr_loc *included_at)
{
    for (size_t i = 0; i < depth; i++) {
        if (strcmp(chain[i], path) == 0) {
            asr_error(L->d, included_at, "include", "'%s' includes itself (through %s)", path,
                      chain[depth - 1]);
            return ASR_E_CONFIG;
        }
    }
    if (depth > MAX_INCLUDE_DEPTH) {
        asr_error(L->d, included_at, "include", "includes nested deeper than %d files",
                  MAX_INCLUDE_DEPTH);
        return ASR_E_CONFIG;
    }
    asr_ydoc *doc = NULL;
    size_t before = L->d->count;
    asr_status st = asr_yaml_load_file(path, 0, L->d, &doc);
    if (st != ASR_OK) {
        L->unreadable = 1;
        /* A missing included file is a map error at the include line. */
        if (st == ASR_E_NOINPUT && included_at && L->d->count > before) {
            asr_problem *p = &L->d->items[L->d->count - 1];
            free(p->file);
            p->file = asr_xstrdup(included_at->file);
            p->line = included_at->line;
            p->col = included_at->col;
            char *msg = p->message;
            asr_buf b = {0};
            asr_buf_addf(&b, "cannot include '%s': %s", path, msg);
            free(msg);
            p->message = b.data;
            return ASR_E_CONFIG;
        }
        return st;
    }
    add_doc(L, doc);
    process_root(L, doc, chain, depth);
    return ASR_OK;
}

/* ---- pass 2: items ---- */

static void convert_organisation(loader *L)
{
    asr_map *m = L->m;
    m->fy_start_month = 4;
    asr_ynode *o = L->organisation;
    if (!o) {
        asr_loc l = {m->n_files ? m->files[0] : NULL, 1, 1};
        asr_error(L->d, &l, "organisation", "missing 'organisation' (at least its name)");
        return;
    }
    static const char *const keys[] = {"name", "fiscal_year_start", NULL};
    if (check_keys(L, o, "organisation", keys))
        return;
    m->org_name = get_text(L, o, "name", "organisation", 1);
    get_long(L, o, "fiscal_year_start", "organisation", 0, 1, 12, &m->fy_start_month);
}

static void convert_lines(loader *L)
{
    static const char *const keys[] = {"id", "name", "independence", NULL};
    asr_map *m = L->m;
    m->lines = asr_arena_alloc(&m->arena, L->lines.n * sizeof *m->lines);
    for (size_t i = 0; i < L->lines.n; i++) {
        asr_ynode *n = L->lines.items[i].node;
        char p[64];
        path_of(p, sizeof p, "lines[%zu]", L->lines.items[i].index);
        if (check_keys(L, n, p, keys))
            continue;
        asr_line *x = &m->lines[m->n_lines++];
        x->loc = loc_in_map(L, n->loc);
        x->id = get_id(L, n, "id", p, 1);
        x->name = get_text(L, n, "name", p, 1);
        x->independence = (long)m->n_lines;
        get_long(L, n, "independence", p, 0, 0, 100, &x->independence);
    }
    if (m->n_lines == 0 && L->lines.n == 0) {
        static const struct {
            const char *id, *name;
        } defaults[] = {{"L1", "Management (first line)"},
                        {"L2", "Oversight (second line)"},
                        {"L3", "Internal audit (third line)"},
                        {"EXT", "External assurance"}};
        m->lines = asr_arena_alloc(&m->arena, 4 * sizeof *m->lines);
        for (size_t i = 0; i < 4; i++) {
            m->lines[i].id = asr_arena_strdup(&m->arena, defaults[i].id);
            m->lines[i].name = asr_arena_strdup(&m->arena, defaults[i].name);
            m->lines[i].independence = (long)i + 1;
        }
        m->n_lines = 4;
    }
}

static void convert_principles(loader *L)
{
    static const char *const keys[] = {"id", "title", NULL};
    asr_map *m = L->m;
    m->principles = asr_arena_alloc(&m->arena, L->principles.n * sizeof *m->principles);
    for (size_t i = 0; i < L->principles.n; i++) {
        asr_ynode *n = L->principles.items[i].node;
        char p[64];
        path_of(p, sizeof p, "principles[%zu]", L->principles.items[i].index);
        if (check_keys(L, n, p, keys))
            continue;
        asr_principle *x = &m->principles[m->n_principles++];
        x->loc = loc_in_map(L, n->loc);
        x->id = get_id(L, n, "id", p, 1);
        x->title = get_text(L, n, "title", p, 1);
    }
    if (L->principles.n == 0) {
        /* CIPFA/SOLACE "Delivering Good Governance" (2016), principles A-G. */
        static const char *const cipfa[7] = {
            "Behaving with integrity, demonstrating strong commitment to ethical values, and "
            "respecting the rule of law",
            "Ensuring openness and comprehensive stakeholder engagement",
            "Defining outcomes in terms of sustainable economic, social and environmental benefits",
            "Determining the interventions necessary to optimise the achievement of the intended "
            "outcomes",
            "Developing the entity's capacity, including the capability of its leadership and the "
            "individuals within it",
            "Managing risks and performance through robust internal control and strong public "
            "financial management",
            "Implementing good practices in transparency, reporting and audit to deliver effective "
            "accountability"};
        m->principles = asr_arena_alloc(&m->arena, 7 * sizeof *m->principles);
        for (size_t i = 0; i < 7; i++) {
            char id[2] = {(char)('A' + i), 0};
            m->principles[i].id = asr_arena_strdup(&m->arena, id);
            m->principles[i].title = asr_arena_strdup(&m->arena, cipfa[i]);
        }
        m->n_principles = 7;
    }
}

static void convert_units(loader *L)
{
    static const char *const keys[] = {"id", "name", "kind", "parent", NULL};
    asr_map *m = L->m;
    m->units = asr_arena_alloc(&m->arena, L->units.n * sizeof *m->units);
    for (size_t i = 0; i < L->units.n; i++) {
        asr_ynode *n = L->units.items[i].node;
        char p[64];
        path_of(p, sizeof p, "units[%zu]", L->units.items[i].index);
        if (check_keys(L, n, p, keys))
            continue;
        asr_unit *x = &m->units[m->n_units++];
        x->loc = loc_in_map(L, n->loc);
        x->id = get_id(L, n, "id", p, 1);
        x->name = get_text(L, n, "name", p, 1);
        x->kind = get_text(L, n, "kind", p, 0);
        x->parent = get_ref(L, n, "parent", p, 0, REF_UNIT);
    }
}

/* ---- combined assurance ---- */

/* A number from lo to hi, whole or decimal, under key of map. */
static int get_number_at(loader *L, const asr_ynode *v, const char *path, double lo, double hi,
                         double *out)
{
    if (v->kind != ASR_YSCALAR || !v->plain || !is_decimal(v->text)) {
        if (v->kind == ASR_YSCALAR)
            asr_error(L->d, &v->loc, path, "expected a number from %g to %g, got '%s'", lo, hi,
                      v->text);
        else
            asr_error(L->d, &v->loc, path, "expected a number from %g to %g, got %s", lo, hi,
                      kind_word(v));
        return -1;
    }
    double x = strtod(v->text, NULL);
    if (x < lo || x > hi) {
        asr_error(L->d, &v->loc, path, "%s is outside the allowed range %g to %g", v->text, lo, hi);
        return -1;
    }
    *out = x;
    return 0;
}

static void combined_defaults(asr_map *m)
{
    static const struct {
        const char *id;
        double score;
    } levels[] = {{"Low", 30}, {"Medium", 50}, {"High", 70}};
    asr_combined *c = &m->combined;
    c->levels = asr_arena_alloc(&m->arena, 3 * sizeof *c->levels);
    for (size_t i = 0; i < 3; i++) {
        c->levels[i].id = asr_arena_strdup(&m->arena, levels[i].id);
        c->levels[i].score = levels[i].score;
    }
    c->n_levels = 3;
    c->weights = asr_arena_alloc(&m->arena, (m->n_lines ? m->n_lines : 1) * sizeof *c->weights);
    for (size_t i = 0; i < m->n_lines; i++)
        c->weights[i] = (double)m->lines[i].independence;
    c->positive = 0.75;
    c->weak = 0;
    c->unrated = 0.5;
    c->unreported = 0;
    c->stale = 0;
    c->late = 0.5;
    c->partial = 0.5;
}

static void read_levels(loader *L, const asr_ynode *v, const char *path)
{
    asr_map *m = L->m;
    asr_combined *c = &m->combined;
    if (v->kind != ASR_YMAP || v->n == 0) {
        asr_error(L->d, &v->loc, path,
                  "expected a mapping of level to the least score (0 to 100) that meets it, "
                  "such as {Low: 30, Medium: 50, High: 70}");
        return;
    }
    asr_assurance_level *lv = asr_arena_alloc(&m->arena, v->n * sizeof *lv);
    size_t n = 0;
    for (size_t k = 0; k < v->n; k++) {
        char p[160];
        path_of(p, sizeof p, "%s.%s", path, v->keys[k]->text);
        double score;
        if (!valid_id(v->keys[k]->text)) {
            asr_error(L->d, &v->keys[k]->loc, p,
                      "'%s' is not a valid level name (letters, digits, '_', '-', '.')",
                      v->keys[k]->text);
            continue;
        }
        if (get_number_at(L, v->items[k], p, 0, 100, &score))
            continue;
        if (n > 0 && score <= lv[n - 1].score) {
            asr_error(L->d, &v->items[k]->loc, p,
                      "levels go from the lowest score to the highest: %g is not above %s's %g",
                      score, lv[n - 1].id, lv[n - 1].score);
            continue;
        }
        lv[n].id = asr_arena_strdup(&m->arena, v->keys[k]->text);
        lv[n].score = score;
        lv[n].loc = loc_in_map(L, v->keys[k]->loc);
        n++;
    }
    if (n > 0) {
        c->levels = lv;
        c->n_levels = n;
    }
}

static void read_weights(loader *L, const asr_ynode *v, const char *path)
{
    asr_map *m = L->m;
    if (v->kind != ASR_YMAP) {
        asr_error(L->d, &v->loc, path,
                  "expected a mapping of line id to weight, such as {L1: 1, L2: 2, L3: 3}");
        return;
    }
    for (size_t k = 0; k < v->n; k++) {
        char p[160];
        path_of(p, sizeof p, "%s.%s", path, v->keys[k]->text);
        double w;
        size_t li = 0;
        while (li < m->n_lines && (!m->lines[li].id || strcmp(m->lines[li].id, v->keys[k]->text) != 0))
            li++;
        if (li == m->n_lines) {
            const char *hint =
                asr_did_you_mean_ids(v->keys[k]->text, m->lines, m->n_lines, sizeof *m->lines);
            asr_error(L->d, &v->keys[k]->loc, p, "'%s' is not a line of the map%s%s%s",
                      v->keys[k]->text, hint ? "; did you mean '" : "", hint ? hint : "",
                      hint ? "'?" : "");
            continue;
        }
        if (get_number_at(L, v->items[k], p, 0, 100, &w) == 0)
            m->combined.weights[li] = w;
    }
}

static void read_factors(loader *L, const asr_ynode *v, const char *path)
{
    static const char *const keys[] = {"positive", "weak", "unrated", "unreported",
                                       "stale",    "late", "partial", NULL};
    asr_combined *c = &L->m->combined;
    double *slot[] = {&c->positive, &c->weak, &c->unrated, &c->unreported,
                      &c->stale,    &c->late, &c->partial};
    if (check_keys(L, v, path, keys))
        return;
    for (size_t k = 0; keys[k]; k++) {
        asr_ynode *x = asr_ymap_get(v, keys[k]);
        char p[160];
        path_of(p, sizeof p, "%s.%s", path, keys[k]);
        if (x && !asr_ynode_is_null(x))
            get_number_at(L, x, p, 0, 1, slot[k]);
    }
}

static void convert_combined(loader *L)
{
    static const char *const keys[] = {"levels", "weights", "factors", NULL};
    asr_map *m = L->m;
    combined_defaults(m);
    for (size_t i = 0; i < L->n_combined; i++) {
        asr_ynode *n = L->combined[i];
        if (check_keys(L, n, "combined_assurance", keys))
            continue;
        if (!m->combined.loc.file)
            m->combined.loc = loc_in_map(L, n->loc);
        asr_ynode *v = asr_ymap_get(n, "levels");
        if (v && !asr_ynode_is_null(v))
            read_levels(L, v, "combined_assurance.levels");
        v = asr_ymap_get(n, "weights");
        if (v && !asr_ynode_is_null(v))
            read_weights(L, v, "combined_assurance.weights");
        v = asr_ymap_get(n, "factors");
        if (v && !asr_ynode_is_null(v))
            read_factors(L, v, "combined_assurance.factors");
    }
}

/* The level of combined assurance an area requires, checked against the
 * map's levels (convert_combined has run). */
static void check_required_level(loader *L, asr_area *a, const char *path)
{
    const asr_combined *c = &L->m->combined;
    size_t k = 0;
    while (k < c->n_levels && strcmp(c->levels[k].id, a->required_assurance) != 0)
        k++;
    if (k < c->n_levels) {
        a->required_level = k;
        return;
    }
    const char *hint =
        asr_did_you_mean_ids(a->required_assurance, c->levels, c->n_levels, sizeof *c->levels);
    asr_buf names = {0};
    for (size_t j = 0; j < c->n_levels; j++)
        asr_buf_addf(&names, "%s%s", j ? (j + 1 == c->n_levels ? " or " : ", ") : "",
                     c->levels[j].id);
    char p[160];
    path_of(p, sizeof p, "%s.required_assurance", path);
    asr_error(L->d, &a->required_loc, p, "'%s' is not a level of combined assurance (%s)%s%s%s",
              a->required_assurance, asr_buf_str(&names), hint ? "; did you mean '" : "",
              hint ? hint : "", hint ? "'?" : "");
    asr_buf_free(&names);
    a->required_assurance = NULL;
}

static void convert_areas(loader *L)
{
    static const char *const keys[] = {
        "id",   "title",          "description",  "principle",          "unit", "owner",
        "risk", "required_lines", "max_age_days", "required_assurance", NULL};
    static const char *const risk_keys[] = {"inherent", "residual", "target", NULL};
    asr_map *m = L->m;
    m->areas = asr_arena_alloc(&m->arena, L->areas.n * sizeof *m->areas);
    for (size_t i = 0; i < L->areas.n; i++) {
        asr_ynode *n = L->areas.items[i].node;
        char p[64], rp[80];
        path_of(p, sizeof p, "areas[%zu]", L->areas.items[i].index);
        if (check_keys(L, n, p, keys))
            continue;
        asr_area *x = &m->areas[m->n_areas++];
        x->loc = loc_in_map(L, n->loc);
        x->id = get_id(L, n, "id", p, 1);
        x->title = get_text(L, n, "title", p, 1);
        x->description = get_text(L, n, "description", p, 0);
        x->principle = get_ref(L, n, "principle", p, 1, REF_PRINCIPLE);
        x->unit = get_ref(L, n, "unit", p, 0, REF_UNIT);
        x->owner = get_text(L, n, "owner", p, 0);
        asr_ynode *risk = asr_ymap_get(n, "risk");
        path_of(rp, sizeof rp, "%s.risk", p);
        if (risk && !asr_ynode_is_null(risk) && check_keys(L, risk, rp, risk_keys) == 0) {
            get_long(L, risk, "inherent", rp, 0, 1, 25, &x->inherent);
            get_long(L, risk, "residual", rp, 0, 1, 25, &x->residual);
            get_long(L, risk, "target", rp, 0, 1, 25, &x->target);
        }
        x->required_lines = get_id_list(L, n, "required_lines", p, &x->n_required_lines, REF_LINE);
        x->required_assurance = get_text(L, n, "required_assurance", p, 0);
        if (x->required_assurance) {
            x->required_loc = loc_in_map(L, asr_ymap_get(n, "required_assurance")->loc);
            check_required_level(L, x, p);
        }
        asr_ynode *ages = asr_ymap_get(n, "max_age_days");
        path_of(rp, sizeof rp, "%s.max_age_days", p);
        if (ages && !asr_ynode_is_null(ages)) {
            if (ages->kind != ASR_YMAP) {
                asr_error(L->d, &ages->loc, rp, "expected a mapping of line id to days, got %s",
                          kind_word(ages));
            } else {
                x->max_age = asr_arena_alloc(&m->arena, ages->n * sizeof *x->max_age);
                for (size_t k = 0; k < ages->n; k++) {
                    asr_max_age *a = &x->max_age[x->n_max_age];
                    a->line = asr_arena_strdup(&m->arena, ages->keys[k]->text);
                    a->loc = loc_in_map(L, ages->keys[k]->loc);
                    if (get_long_at(L, ages, ages->items[k], a->line, rp, 1, 1, 36500, &a->days) ==
                        0) {
                        char kp[160];
                        path_of(kp, sizeof kp, "%s.%s", rp, a->line);
                        note_ref(L, REF_LINE, a->line, ages->keys[k]->loc, kp);
                        x->n_max_age++;
                    }
                }
            }
        }
    }
}

static void convert_sources(loader *L)
{
    static const char *const keys[] = {"id",        "title",  "line",  "provider", "kind", "owner",
                                       "frequency", "status", "scale", "areas",    NULL};
    static const char *const statuses[] = {"active", "suspended", "planned", NULL};
    asr_map *m = L->m;
    m->sources = asr_arena_alloc(&m->arena, L->sources.n * sizeof *m->sources);
    for (size_t i = 0; i < L->sources.n; i++) {
        asr_ynode *n = L->sources.items[i].node;
        char p[64], sp[80];
        path_of(p, sizeof p, "sources[%zu]", L->sources.items[i].index);
        if (check_keys(L, n, p, keys))
            continue;
        asr_source *x = &m->sources[m->n_sources++];
        x->loc = loc_in_map(L, n->loc);
        x->id = get_id(L, n, "id", p, 1);
        x->title = get_text(L, n, "title", p, 1);
        x->line = get_ref(L, n, "line", p, 1, REF_LINE);
        x->provider = get_text(L, n, "provider", p, 0);
        x->kind = get_text(L, n, "kind", p, 0);
        x->owner = get_text(L, n, "owner", p, 0);
        x->frequency = get_text(L, n, "frequency", p, 0);
        x->scale = get_ref(L, n, "scale", p, 0, REF_SCALE);
        x->status = get_text(L, n, "status", p, 0);
        if (!x->status) {
            x->status = asr_arena_strdup(&m->arena, "active");
        } else {
            size_t k = 0;
            while (statuses[k] && strcmp(statuses[k], x->status) != 0)
                k++;
            if (!statuses[k]) {
                const char *hint = asr_did_you_mean(x->status, statuses);
                path_of(sp, sizeof sp, "%s.status", p);
                asr_error(L->d, &asr_ymap_get(n, "status")->loc, sp,
                          "'%s' is not a source status (active, suspended or planned)%s%s%s",
                          x->status, hint ? "; did you mean '" : "", hint ? hint : "",
                          hint ? "'?" : "");
            }
        }
        x->areas = get_id_list(L, n, "areas", p, &x->n_areas, REF_AREA);
    }
}

static void convert_scales(loader *L)
{
    static const char *const keys[] = {"id", "title", "labels", "synonyms", "overlay", NULL};
    asr_map *m = L->m;
    apply_overlays(L, &L->scales, "scale");
    m->scales = asr_arena_alloc(&m->arena, (L->scales.n + 1) * sizeof *m->scales);
    for (size_t i = 0; i < L->scales.n; i++) {
        asr_ynode *n = L->scales.items[i].node;
        char p[64], lp[80];
        path_of(p, sizeof p, "scales[%zu]", L->scales.items[i].index);
        if (check_keys(L, n, p, keys))
            continue;
        asr_scale *x = &m->scales[m->n_scales++];
        x->loc = loc_in_map(L, n->loc);
        x->id = get_id(L, n, "id", p, 1);
        x->title = get_text(L, n, "title", p, 0);
        x->synonyms = get_synonyms(L, n, "synonyms", p, &x->n_synonyms);
        asr_ynode *labels = asr_ymap_get(n, "labels");
        path_of(lp, sizeof lp, "%s.labels", p);
        if (!labels || asr_ynode_is_null(labels)) {
            asr_error(L->d, &n->loc, lp, "missing required value 'labels' (label: rank, ...)");
            continue;
        }
        if (labels->kind != ASR_YMAP || labels->n == 0) {
            asr_error(L->d, &labels->loc, lp,
                      "expected a mapping of label to rank, such as {Substantial: 4, Limited: 2}");
            continue;
        }
        x->labels = asr_arena_alloc(&m->arena, labels->n * sizeof *x->labels);
        for (size_t k = 0; k < labels->n; k++) {
            asr_scale_label *lab = &x->labels[x->n_labels];
            lab->label = asr_arena_strdup(&m->arena, labels->keys[k]->text);
            lab->loc = loc_in_map(L, labels->keys[k]->loc);
            if (get_long_at(L, labels, labels->items[k], lab->label, lp, 1, 0, 100, &lab->rank) ==
                0)
                x->n_labels++;
        }
    }
}

static void convert_params(loader *L)
{
    asr_map *m = L->m;
    size_t total = 0;
    for (size_t i = 0; i < L->n_params; i++)
        if (L->params[i]->kind == ASR_YMAP)
            for (size_t r = 0; r < L->params[i]->n; r++)
                if (L->params[i]->items[r]->kind == ASR_YMAP)
                    total += L->params[i]->items[r]->n;
    m->params = asr_arena_alloc(&m->arena, total * sizeof *m->params);
    for (size_t i = 0; i < L->n_params; i++) {
        asr_ynode *all = L->params[i];
        if (all->kind != ASR_YMAP) {
            asr_error(L->d, &all->loc, "params",
                      "expected a mapping of rule id to its parameters, got %s", kind_word(all));
            continue;
        }
        for (size_t r = 0; r < all->n; r++) {
            const char *rule = all->keys[r]->text;
            asr_ynode *vals = all->items[r];
            char p[160];
            path_of(p, sizeof p, "params.%s", rule);
            if (!valid_id(rule))
                asr_error(L->d, &all->keys[r]->loc, "params", "'%s' is not a valid rule id", rule);
            if (vals->kind != ASR_YMAP) {
                asr_error(L->d, &vals->loc, p, "expected a mapping of parameter to value, got %s",
                          kind_word(vals));
                continue;
            }
            for (size_t k = 0; k < vals->n; k++) {
                asr_ynode *v = vals->items[k];
                char pp[240];
                path_of(pp, sizeof pp, "%s.%s", p, vals->keys[k]->text);
                if (v->kind != ASR_YSCALAR || asr_ynode_is_null(v)) {
                    asr_error(L->d, &v->loc, pp, "expected a single value, got %s", kind_word(v));
                    continue;
                }
                asr_param *x = &m->params[m->n_params++];
                x->rule = asr_arena_strdup(&m->arena, rule);
                x->name = asr_arena_strdup(&m->arena, vals->keys[k]->text);
                x->value = asr_arena_strndup(&m->arena, v->text, v->len);
                x->loc = loc_in_map(L, v->loc);
                if (v->plain && (strcmp(v->text, "true") == 0 || strcmp(v->text, "false") == 0))
                    x->type = ASR_PARAM_BOOLEAN;
                else if (v->plain && is_decimal(v->text))
                    x->type = ASR_PARAM_NUMBER;
                else
                    x->type = ASR_PARAM_STRING;
            }
        }
    }
}

/* ---- gates and history ---- */

const char *const asr_gate_names[ASR_N_GATES + 1] = {"empty-export", "row-drop", "stale-export",
                                                     "findings-jump", NULL};

void asr_gates_default(asr_gates *g)
{
    memset(g, 0, sizeof *g);
    g->gate[ASR_GATE_EMPTY_EXPORT] = (asr_gate){ASR_GATE_STOP, 0, 0};
    g->gate[ASR_GATE_ROW_DROP] = (asr_gate){ASR_GATE_STOP, 0.5, 0};
    g->gate[ASR_GATE_STALE_EXPORT] = (asr_gate){ASR_GATE_WARN, 90, 0};
    g->gate[ASR_GATE_FINDINGS_JUMP] = (asr_gate){ASR_GATE_WARN, 3, 20};
}

int asr_gates_accept(asr_gates *g, const char *name)
{
    for (int i = 0; i < ASR_N_GATES; i++)
        if (strcmp(asr_gate_names[i], name) == 0) {
            g->gate[i].action = ASR_GATE_OFF;
            return 0;
        }
    return -1;
}

static int gate_action(const asr_ynode *v, asr_gate_action *out)
{
    static const char *const names[] = {"off", "warn", "stop"};
    if (v->kind != ASR_YSCALAR)
        return -1;
    for (int i = 0; i < 3; i++)
        if (strcmp(v->text, names[i]) == 0)
            return *out = (asr_gate_action)i, 0;
    return -1;
}

/* A threshold: a positive number, whole or decimal. */
static int gate_number(const asr_ynode *v, double *out)
{
    if (v->kind != ASR_YSCALAR || !v->plain || !is_decimal(v->text))
        return -1;
    *out = strtod(v->text, NULL);
    return *out > 0 ? 0 : -1;
}

size_t asr_gates_read(const asr_ynode *node, const char *path, asr_gates *g, asr_diag *d)
{
    /* what each gate's threshold is called, and its bounds */
    static const char *const what[ASR_N_GATES] = {NULL, "share", "days", "factor"};
    static const double most[ASR_N_GATES] = {0, 1, 36500, 1e6};
    size_t errors = d->errors;
    if (node->kind != ASR_YMAP) {
        asr_error(d, &node->loc, path, "expected a mapping of gate name to its setting");
        return 1;
    }
    for (size_t i = 0; i < node->n; i++) {
        const char *name = node->keys[i]->text;
        const asr_ynode *v = node->items[i];
        char p[200];
        snprintf(p, sizeof p, "%s.%s", path, name);
        int k = 0;
        while (k < ASR_N_GATES && strcmp(asr_gate_names[k], name) != 0)
            k++;
        if (k == ASR_N_GATES) {
            const char *hint = asr_did_you_mean(name, asr_gate_names);
            asr_error(d, &node->keys[i]->loc, path,
                      "no gate '%s'%s%s%s (gates: empty-export, "
                      "row-drop, stale-export, findings-jump)",
                      name, hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
            continue;
        }
        asr_gate *gt = &g->gate[k];
        if (v->kind == ASR_YSCALAR) {
            if (gate_action(v, &gt->action))
                asr_error(d, &v->loc, p, "expected stop, warn or off, got '%s'", v->text);
            continue;
        }
        if (v->kind != ASR_YMAP) {
            asr_error(d, &v->loc, p, "expected stop, warn, off or a mapping with 'action'");
            continue;
        }
        for (size_t j = 0; j < v->n; j++) {
            const char *key = v->keys[j]->text;
            const asr_ynode *x = v->items[j];
            char pp[240];
            snprintf(pp, sizeof pp, "%s.%s", p, key);
            if (strcmp(key, "action") == 0) {
                if (gate_action(x, &gt->action))
                    asr_error(d, &x->loc, pp, "expected stop, warn or off");
            } else if (what[k] && strcmp(key, what[k]) == 0) {
                double t;
                if (gate_number(x, &t) || t > most[k])
                    asr_error(d, &x->loc, pp, "expected a number above 0 and at most %g", most[k]);
                else
                    gt->threshold = t;
            } else if (k == ASR_GATE_FINDINGS_JUMP && strcmp(key, "min") == 0) {
                double t;
                if (gate_number(x, &t) || t != (double)(long)t)
                    asr_error(d, &x->loc, pp, "expected a whole number above 0");
                else
                    gt->min = (long)t;
            } else {
                asr_error(d, &v->keys[j]->loc, p, "unknown key '%s' (this gate takes action%s%s%s)",
                          key, what[k] ? " and " : "", what[k] ? what[k] : "",
                          k == ASR_GATE_FINDINGS_JUMP ? " and min" : "");
            }
        }
    }
    return d->errors - errors;
}

static void convert_gates_history(loader *L)
{
    asr_map *m = L->m;
    asr_gates_default(&m->gates);
    for (size_t i = 0; i < L->n_gates; i++)
        asr_gates_read(L->gates[i], "gates", &m->gates, L->d);
    m->retention = (asr_retention){0, 0, 2};
    static const char *const keys[] = {"keep_runs", "keep_days", "keep_snapshots", NULL};
    for (size_t i = 0; i < L->n_history; i++) {
        asr_ynode *h = L->history[i];
        if (check_keys(L, h, "history", keys))
            continue;
        get_long(L, h, "keep_runs", "history", 0, 0, 1000000, &m->retention.keep_runs);
        get_long(L, h, "keep_days", "history", 0, 0, 36500, &m->retention.keep_days);
        get_long(L, h, "keep_snapshots", "history", 0, 0, 1000, &m->retention.keep_snapshots);
    }
}

/* ---- datasets ---- */

static int valid_column_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || !(s[0] >= 'a' && s[0] <= 'z'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

static const char *const type_names[] = {"text",    "integer", "decimal", "date",
                                         "boolean", "enum",    NULL};
static const char *const ref_names[] = {"areas", "sources", "units", "lines", "principles", NULL};

/* Adds a layout once (an overlay may name the preset again). */
static void add_layout(asr_field *f, const char *layout)
{
    for (size_t k = 0; k < f->n_layouts; k++)
        if (strcmp(f->layouts[k], layout) == 0)
            return;
    f->layouts[f->n_layouts++] = (char *)layout;
}

/* format: a strict layout (YYYY, MM, DD and separators, as before), or a
 * list of reader layouts, or "uk" (the preset), or a list mixing them. */
static void convert_format(loader *L, asr_field *f, asr_ynode *n, const char *p)
{
    asr_ynode *v = asr_ymap_get(n, "format");
    if (!v || asr_ynode_is_null(v))
        return;
    char fp[200];
    path_of(fp, sizeof fp, "%s.format", p);
    if (v->kind == ASR_YSCALAR && strcmp(v->text, "uk") != 0 && !asr_date_format_check(v->text)) {
        f->date_format = asr_arena_strndup(&L->m->arena, v->text, v->len);
        return;
    }
    size_t count = v->kind == ASR_YSEQ ? v->n : 1, total = 0;
    for (size_t i = 0; i < count; i++) {
        const asr_ynode *e = v->kind == ASR_YSEQ ? v->items[i] : v;
        total += e->kind == ASR_YSCALAR && strcmp(e->text, "uk") == 0 ? 9 : 1;
    }
    f->layouts = asr_arena_alloc(&L->m->arena, (total + 1) * sizeof *f->layouts);
    for (size_t i = 0; i < count; i++) {
        const asr_ynode *e = v->kind == ASR_YSEQ ? v->items[i] : v;
        if (e->kind != ASR_YSCALAR || asr_ynode_is_null(e)) {
            asr_error(L->d, &e->loc, fp, "expected a date layout such as D MON YYYY, or uk");
            continue;
        }
        if (strcmp(e->text, "uk") == 0) {
            for (size_t k = 0; asr_date_uk_layouts[k]; k++)
                add_layout(f, asr_date_uk_layouts[k]);
            continue;
        }
        int partial = 0;
        const char *why = asr_date_layout_check(e->text, &partial);
        if (why) {
            asr_error(L->d, &e->loc, fp, "'%s': %s", e->text, why);
            continue;
        }
        f->partial |= partial;
        f->year_implied |= !strstr(e->text, "YY") && !strstr(e->text, "FY");
        add_layout(f, asr_arena_strndup(&L->m->arena, e->text, e->len));
    }
    /* the uk preset has partial layouts */
    for (size_t k = 0; k < f->n_layouts; k++) {
        int partial = 0;
        asr_date_layout_check(f->layouts[k], &partial);
        f->partial |= partial;
    }
}

static void convert_pick(loader *L, asr_field *f, asr_ynode *n, const char *p)
{
    static const char *const names[] = {"one", "first", "last", "later", NULL};
    char *v = get_text(L, n, "pick", p, 0);
    if (!v)
        return;
    for (int i = 0; names[i]; i++)
        if (strcmp(names[i], v) == 0) {
            f->pick = (asr_pick)i;
            return;
        }
    char fp[200];
    path_of(fp, sizeof fp, "%s.pick", p);
    asr_error(L->d, &asr_ymap_get(n, "pick")->loc, fp,
              "'%s': expected first, last or later (the last of several dates, none when there "
              "is one)",
              v);
}

static void convert_field(loader *L, asr_dataset *ds, asr_ynode *n, const char *p)
{
    static const char *const keys[] = {
        "name",   "header",   "description", "type",   "required", "values",   "scale",
        "format", "pattern",  "max_length",  "ref",    "synonyms", "none",     "other",
        "pick",   "captured", "value",       "shared", "after",    "coalesce", NULL};
    asr_map *m = L->m;
    if (check_keys(L, n, p, keys))
        return;
    asr_field *f = &ds->fields[ds->n_fields];
    f->loc = loc_in_map(L, n->loc);
    f->captured = 1;
    f->name = get_text(L, n, "name", p, 1);
    if (!f->name)
        return;
    char fp[160];
    path_of(fp, sizeof fp, "%s.name", p);
    if (!valid_column_name(f->name)) {
        asr_error(L->d, &asr_ymap_get(n, "name")->loc, fp,
                  "'%s' is not a valid field name: use lower-case letters, digits and '_', "
                  "starting with a letter (at most 63)",
                  f->name);
        return;
    }
    f->headers = get_text_list(L, n, "header", p, &f->n_headers);
    if (!f->n_headers) {
        f->headers = asr_arena_alloc(&m->arena, 2 * sizeof *f->headers);
        f->headers[f->n_headers++] = f->name;
    }
    f->header = f->headers[0];
    f->description = get_text(L, n, "description", p, 0);
    get_bool(L, n, "required", p, &f->required);
    get_bool(L, n, "captured", p, &f->captured);
    get_bool(L, n, "shared", p, &f->shared);
    get_bool(L, n, "coalesce", p, &f->coalesce);
    f->value = get_text(L, n, "value", p, 0);
    f->none = get_text_list(L, n, "none", p, &f->n_none);
    f->after = get_text_list(L, n, "after", p, &f->n_after);
    char *other = get_text(L, n, "other", p, 0);
    if (other && strcmp(other, "none") == 0)
        f->other_none = 1;
    else if (other) {
        path_of(fp, sizeof fp, "%s.other", p);
        asr_error(L->d, &asr_ymap_get(n, "other")->loc, fp,
                  "'%s': the only choice is none (values not recognised are left empty)", other);
    }
    if (!f->captured && f->required) {
        path_of(fp, sizeof fp, "%s.captured", p);
        asr_warn(L->d, &asr_ymap_get(n, "captured")->loc, fp,
                 "a field this organisation does not capture is not required");
        f->required = 0;
    }

    char *type = get_text(L, n, "type", p, 1);
    f->type = ASR_FT_TEXT;
    if (type) {
        size_t t = 0;
        while (type_names[t] && strcmp(type_names[t], type) != 0)
            t++;
        path_of(fp, sizeof fp, "%s.type", p);
        if (!type_names[t]) {
            const char *hint = asr_did_you_mean(type, type_names);
            asr_error(L->d, &asr_ymap_get(n, "type")->loc, fp,
                      "unknown type '%s' (text, integer, decimal, date, boolean or enum)%s%s%s",
                      type, hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
            return;
        }
        f->type = (asr_ftype)t;
    }

    /* Keys that only make sense for one type. */
    static const struct {
        const char *key;
        asr_ftype type;
    } only[] = {{"values", ASR_FT_ENUM},   {"scale", ASR_FT_ENUM},      {"format", ASR_FT_DATE},
                {"pattern", ASR_FT_TEXT},  {"max_length", ASR_FT_TEXT}, {"ref", ASR_FT_TEXT},
                {"synonyms", ASR_FT_ENUM}, {"other", ASR_FT_ENUM},      {"pick", ASR_FT_DATE}};
    for (size_t k = 0; k < sizeof only / sizeof only[0]; k++) {
        asr_ynode *v = asr_ymap_get(n, only[k].key);
        if (v && f->type != only[k].type) {
            path_of(fp, sizeof fp, "%s.%s", p, only[k].key);
            asr_error(L->d, &v->loc, fp, "'%s' applies only to %s fields, and this one is %s",
                      only[k].key, type_names[only[k].type], type_names[f->type]);
        }
    }

    if (f->type == ASR_FT_ENUM) {
        asr_ynode *vals = asr_ymap_get(n, "values");
        f->scale = get_ref(L, n, "scale", p, 0, REF_SCALE);
        f->synonyms = get_synonyms(L, n, "synonyms", p, &f->n_synonyms);
        path_of(fp, sizeof fp, "%s.values", p);
        if (vals && f->scale) {
            asr_error(L->d, &vals->loc, fp, "give either 'values' or 'scale', not both");
        } else if (vals) {
            if (vals->kind != ASR_YSEQ || vals->n == 0) {
                asr_error(L->d, &vals->loc, fp, "expected a non-empty list of allowed values");
            } else {
                f->values = asr_arena_alloc(&m->arena, vals->n * sizeof *f->values);
                f->ranks = asr_arena_alloc(&m->arena, vals->n * sizeof *f->ranks);
                list_seen seen = {{0}, 0};
                for (size_t k = 0; k < vals->n; k++) {
                    asr_ynode *v = vals->items[k];
                    char vp[200];
                    path_of(vp, sizeof vp, "%s[%zu]", fp, k);
                    if (v->kind != ASR_YSCALAR || v->len == 0 || asr_ynode_is_null(v)) {
                        asr_error(L->d, &v->loc, vp, "expected a non-empty value, got %s",
                                  kind_word(v));
                        continue;
                    }
                    if (seen_before(&seen, f->values, f->n_values, v->text)) {
                        asr_error(L->d, &v->loc, vp, "'%s' is listed twice", v->text);
                        continue;
                    }
                    f->values[f->n_values] = asr_arena_strndup(&m->arena, v->text, v->len);
                    f->ranks[f->n_values] = (long)f->n_values + 1;
                    f->n_values++;
                }
                asr_strmap_free(&seen.map);
            }
        } else if (!f->scale) {
            asr_error(L->d, &n->loc, p, "an enum field needs 'values' (a list) or 'scale'");
        }
    }
    if (f->type == ASR_FT_DATE) {
        convert_format(L, f, n, p);
        convert_pick(L, f, n, p);
        if (f->pick != ASR_PICK_ONE && !f->n_layouts) {
            path_of(fp, sizeof fp, "%s.pick", p);
            asr_error(L->d, &asr_ymap_get(n, "pick")->loc, fp,
                      "'pick' needs date layouts (format: a list, or uk) to find several dates");
        }
    }
    if (f->type == ASR_FT_TEXT) {
        f->pattern = get_text(L, n, "pattern", p, 0);
        const char *too_big = f->pattern ? asr_regex_check(f->pattern) : NULL;
        if (too_big) {
            path_of(fp, sizeof fp, "%s.pattern", p);
            asr_error(L->d, &asr_ymap_get(n, "pattern")->loc, fp, "the pattern %s", too_big);
        } else if (f->pattern) {
            /* Anchor the pattern: the whole value must match. */
            asr_buf anchored = {0};
            asr_buf_addf(&anchored, "^(%s)$", f->pattern);
            int rc = regcomp(&f->regex, anchored.data, REG_EXTENDED | REG_NOSUB);
            asr_buf_free(&anchored);
            if (rc != 0) {
                char msg[128];
                regerror(rc, &f->regex, msg, sizeof msg);
                path_of(fp, sizeof fp, "%s.pattern", p);
                asr_error(L->d, &asr_ymap_get(n, "pattern")->loc, fp,
                          "not a valid extended regular expression: %s", msg);
            } else {
                f->has_regex = 1;
            }
        }
        get_long(L, n, "max_length", p, 0, 1, 1 << 20, &f->max_length);
        char *ref = get_text(L, n, "ref", p, 0);
        if (ref) {
            size_t r = 0;
            while (ref_names[r] && strcmp(ref_names[r], ref) != 0)
                r++;
            if (!ref_names[r]) {
                path_of(fp, sizeof fp, "%s.ref", p);
                const char *hint = asr_did_you_mean(ref, ref_names);
                asr_error(L->d, &asr_ymap_get(n, "ref")->loc, fp,
                          "'%s' cannot be referenced (areas, sources, units, lines or "
                          "principles)%s%s%s",
                          ref, hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
            } else {
                f->ref = (asr_ref)(r + 1);
            }
        }
    }
    ds->n_fields++;
}

static void dataset_hash(asr_dataset *ds)
{
    asr_sha256 c;
    asr_sha256_init(&c);
    asr_buf b = {0};
    for (size_t i = 0; i < ds->n_fields; i++) {
        const asr_field *f = &ds->fields[i];
        /* everything that decides how a file is read and stored */
        asr_buf_addf(&b, "%s|%s|%s|%d|%s|%s|%ld|%d|%d|%d|%d|%d|%s|", f->name, f->header,
                     type_names[f->type], f->required, f->date_format ? f->date_format : "",
                     f->pattern ? f->pattern : "", f->max_length, (int)f->ref, f->captured,
                     (int)f->pick, f->other_none, f->shared + 2 * f->coalesce,
                     f->value ? f->value : "");
        for (size_t k = 0; k < f->n_values; k++)
            asr_buf_addf(&b, "%s=%ld;", f->values[k], f->ranks[k]);
        for (size_t k = 0; k < f->n_headers; k++)
            asr_buf_addf(&b, "h:%s;", f->headers[k]);
        for (size_t k = 0; k < f->n_synonyms; k++)
            asr_buf_addf(&b, "s:%s>%s;", f->synonyms[k].from, f->synonyms[k].to);
        for (size_t k = 0; k < f->n_none; k++)
            asr_buf_addf(&b, "n:%s;", f->none[k]);
        for (size_t k = 0; k < f->n_after; k++)
            asr_buf_addf(&b, "a:%s;", f->after[k]);
        for (size_t k = 0; k < f->n_layouts; k++)
            asr_buf_addf(&b, "l:%s;", f->layouts[k]);
        asr_buf_addc(&b, '\n');
    }
    asr_buf_adds(&b, "key:");
    for (size_t k = 0; k < ds->n_key; k++)
        asr_buf_addf(&b, "%s,", ds->fields[ds->key[k]].name);
    for (size_t k = 0; k < ds->n_checks; k++)
        asr_buf_addf(&b, "\ncheck:%s", ds->checks[k]);
    for (size_t k = 0; k < ds->n_computed; k++)
        asr_buf_addf(&b, "\ncomputed:%s:%s:%s", ds->computed[k].name,
                     type_names[ds->computed[k].type], ds->computed[k].sql);
    for (size_t k = 0; k < ds->n_skips; k++)
        for (size_t w = 0; w < ds->skips[k].n_words; w++)
            asr_buf_addf(&b, "\nskip:%zu:%s", ds->skips[k].field, ds->skips[k].words[w]);
    asr_buf_addf(&b, "\nstrict:%d", ds->strict_columns);
    asr_buf_addf(&b, "\ncolumns:%d", ds->by_columns);
    asr_sha256_update(&c, b.data, b.len);
    asr_sha256_final_hex(&c, ds->schema_hash);
    asr_buf_free(&b);
}

/* computed: [{name, type, sql, description}]: generated columns. */
static void convert_computed(loader *L, asr_dataset *ds, asr_ynode *n, const char *path)
{
    if (!n || asr_ynode_is_null(n))
        return;
    char p[128];
    path_of(p, sizeof p, "%s.computed", path);
    if (n->kind != ASR_YSEQ) {
        asr_error(L->d, &n->loc, p, "expected a list of {name, type, sql}");
        return;
    }
    static const char *const keys[] = {"name", "type", "sql", "description", NULL};
    ds->computed = asr_arena_alloc(&L->m->arena, (n->n + 1) * sizeof *ds->computed);
    for (size_t i = 0; i < n->n; i++) {
        char ip[160];
        path_of(ip, sizeof ip, "%s[%zu]", p, i);
        asr_ynode *e = n->items[i];
        if (check_keys(L, e, ip, keys))
            continue;
        asr_computed *c = &ds->computed[ds->n_computed];
        c->loc = loc_in_map(L, e->loc);
        c->name = get_text(L, e, "name", ip, 1);
        c->sql = get_text(L, e, "sql", ip, 1);
        c->description = get_text(L, e, "description", ip, 0);
        char *type = get_text(L, e, "type", ip, 1);
        if (!c->name || !c->sql || !type)
            continue;
        size_t t = 0;
        while (type_names[t] && strcmp(type_names[t], type) != 0)
            t++;
        if (!type_names[t] || t == ASR_FT_ENUM) {
            asr_error(L->d, &asr_ymap_get(e, "type")->loc, ip,
                      "a computed column is text, integer, decimal, date or boolean");
            continue;
        }
        c->type = (asr_ftype)t;
        if (!valid_column_name(c->name)) {
            asr_error(L->d, &asr_ymap_get(e, "name")->loc, ip, "'%s' is not a valid column name",
                      c->name);
            continue;
        }
        if (strchr(c->sql, ';') || strstr(c->sql, "--") || strstr(c->sql, "/*")) {
            asr_error(L->d, &asr_ymap_get(e, "sql")->loc, ip,
                      "a computed column is one SQL expression: no ';' and no comments");
            continue;
        }
        for (size_t k = 0; k < ds->n_fields; k++)
            if (strcmp(ds->fields[k].name, c->name) == 0)
                asr_error(L->d, &c->loc, ip, "'%s' is a field of the dataset already", c->name);
        ds->n_computed++;
    }
}

/* skip_rows: {FIELD: [words]}: rows that are not data, such as Total. */
static void convert_skips(loader *L, asr_dataset *ds, asr_ynode *n, const char *path)
{
    if (!n || asr_ynode_is_null(n))
        return;
    char p[128];
    path_of(p, sizeof p, "%s.skip_rows", path);
    if (n->kind != ASR_YMAP) {
        asr_error(L->d, &n->loc, p,
                  "expected a mapping of field to the values that mark rows "
                  "to skip, such as {priority: [Total]}");
        return;
    }
    ds->skips = asr_arena_alloc(&L->m->arena, (n->n + 1) * sizeof *ds->skips);
    for (size_t i = 0; i < n->n; i++) {
        size_t k = 0;
        while (k < ds->n_fields && strcmp(ds->fields[k].name, n->keys[i]->text) != 0)
            k++;
        if (k == ds->n_fields) {
            asr_error(L->d, &n->keys[i]->loc, p, "no field named '%s' in this dataset",
                      n->keys[i]->text);
            continue;
        }
        asr_skip *sk = &ds->skips[ds->n_skips];
        sk->field = k;
        sk->words = get_text_list(L, n, n->keys[i]->text, p, &sk->n_words);
        if (sk->n_words)
            ds->n_skips++;
    }
}

/* recency: FIELD, or {field: FIELD, days: N}: the date field that says how
 * current an export is, for the stale-export gate. */
static void convert_recency(loader *L, asr_dataset *ds, asr_ynode *r, const char *path)
{
    ds->recency = -1;
    if (!r || asr_ynode_is_null(r))
        return;
    char p[128];
    path_of(p, sizeof p, "%s.recency", path);
    asr_ynode *name = r;
    if (r->kind == ASR_YMAP) {
        static const char *const keys[] = {"field", "days", NULL};
        if (check_keys(L, r, p, keys))
            return;
        name = asr_ymap_get(r, "field");
        get_long(L, r, "days", p, 0, 1, 36500, &ds->recency_days);
        if (!name) {
            asr_error(L->d, &r->loc, p, "missing required value 'field'");
            return;
        }
    }
    if (name->kind != ASR_YSCALAR) {
        asr_error(L->d, &name->loc, p, "expected the name of a date field, got %s",
                  kind_word(name));
        return;
    }
    for (size_t j = 0; j < ds->n_fields; j++)
        if (strcmp(ds->fields[j].name, name->text) == 0) {
            if (ds->fields[j].type != ASR_FT_DATE)
                asr_error(L->d, &name->loc, p, "'%s' is not a date field", name->text);
            else
                ds->recency = (long)j;
            return;
        }
    const char *hint = asr_diag_full(L->d) ? NULL
                                           : asr_did_you_mean_ids(name->text, ds->fields,
                                                                  ds->n_fields, sizeof *ds->fields);
    asr_error(L->d, &name->loc, p, "no field named '%s' in this dataset%s%s%s", name->text,
              hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
}

/* checks: [{sql: CONDITION, message: TEXT}]: what every row must satisfy.
 * The condition is SQL over the row's columns; SQLite checks it when the
 * table is made (a wrong one is reported then) and on every row. */
static void convert_checks(loader *L, asr_dataset *ds, asr_ynode *n, const char *path)
{
    if (!n || asr_ynode_is_null(n))
        return;
    char p[128];
    path_of(p, sizeof p, "%s.checks", path);
    if (n->kind != ASR_YSEQ) {
        asr_error(L->d, &n->loc, p, "expected a list of {sql, message}");
        return;
    }
    asr_map *m = L->m;
    ds->checks = asr_arena_alloc(&m->arena, n->n * sizeof *ds->checks);
    ds->check_messages = asr_arena_alloc(&m->arena, n->n * sizeof *ds->check_messages);
    static const char *const keys[] = {"sql", "message", NULL};
    for (size_t i = 0; i < n->n; i++) {
        char ip[160];
        path_of(ip, sizeof ip, "%s[%zu]", p, i);
        asr_ynode *e = n->items[i];
        if (check_keys(L, e, ip, keys))
            continue;
        char *sql = get_text(L, e, "sql", ip, 1), *msg = get_text(L, e, "message", ip, 1);
        if (!sql || !msg)
            continue;
        /* one condition: no statement separators, no comments to hide them */
        if (strchr(sql, ';') || strstr(sql, "--") || strstr(sql, "/*")) {
            asr_error(L->d, &asr_ymap_get(e, "sql")->loc, ip,
                      "a check is one SQL condition: no ';' and no comments");
            continue;
        }
        ds->checks[ds->n_checks] = sql;
        ds->check_messages[ds->n_checks++] = msg;
    }
}

/* The field just added to ds against the earlier ones (names and headers
 * index them): a second field of a name or a header, or a name that is an
 * enum field's rank column. */
/* The checks on field i (the one just converted) against those before it,
 * in time linear in the fields: its name is new, no heading of it is
 * another field's unless one of them says shared: true, and neither it nor
 * an earlier enum field's rank column takes the other's name. headers maps
 * a heading's comparison key (copied into the map's arena) to the field. */
static void check_field_clash(loader *L, asr_dataset *ds, asr_strmap *names, asr_strmap *headers,
                              const char *ip)
{
    size_t i = ds->n_fields - 1, g, len = strlen(ds->fields[i].name);
    const asr_field *f = &ds->fields[i];
    if ((g = asr_strmap_put(names, f->name, i)) != i) {
        asr_error(L->d, &f->loc, ip, "field '%s' is defined twice (first at line %u)", f->name,
                  ds->fields[g].loc.line);
        return;
    }
    for (size_t h = 0; h < f->n_headers; h++) {
        char key[256];
        asr_heading_key(f->headers[h], key, sizeof key);
        char *k = asr_arena_strndup(&L->m->arena, key, strlen(key));
        if ((g = asr_strmap_put(headers, k, i)) != i && !f->shared && !ds->fields[g].shared) {
            asr_error(L->d, &f->loc, ip,
                      "heading '%s' is read by two fields, '%s' (line %u) and '%s'; if both "
                      "should read it, say shared: true",
                      f->headers[h], ds->fields[g].name, ds->fields[g].loc.line, f->name);
            return;
        }
    }
    if (len > 5 && strcmp(f->name + len - 5, "_rank") == 0 &&
        asr_strmap_get(names, f->name, len - 5, &g) && ds->fields[g].type == ASR_FT_ENUM) {
        asr_error(L->d, &f->loc, ip, "'%s' clashes with the rank column of enum field '%s'",
                  f->name, ds->fields[g].name);
    } else if (f->type == ASR_FT_ENUM) {
        char rank[80];
        int n = snprintf(rank, sizeof rank, "%s_rank", f->name);
        if (n > 0 && (size_t)n < sizeof rank && asr_strmap_get(names, rank, (size_t)n, &g) &&
            g != i)
            asr_error(L->d, &f->loc, ip,
                      "enum field '%s' needs the column '%s', which field "
                      "'%s' (line %u) already is",
                      f->name, rank, rank, ds->fields[g].loc.line);
    }
}

static void convert_datasets(loader *L)
{
    static const char *const keys[] = {
        "id",       "title",     "description", "key",           "fields",  "recency", "checks",
        "computed", "skip_rows", "overlay",     "extra_columns", "records", NULL};
    static const char *const reserved[] = {"map_",     "assure_",   "sqlite_",
                                           "history_", "previous_", NULL};
    asr_map *m = L->m;
    apply_overlays(L, &L->datasets, "dataset");
    m->datasets = asr_arena_alloc(&m->arena, (L->datasets.n + 1) * sizeof *m->datasets);
    for (size_t i = 0; i < L->datasets.n; i++) {
        asr_ynode *n = L->datasets.items[i].node;
        char p[64], fp[96];
        path_of(p, sizeof p, "datasets[%zu]", L->datasets.items[i].index);
        if (check_keys(L, n, p, keys))
            continue;
        asr_dataset *ds = &m->datasets[m->n_datasets++];
        ds->loc = loc_in_map(L, n->loc);
        ds->id = get_text(L, n, "id", p, 1);
        if (ds->id) {
            path_of(fp, sizeof fp, "%s.id", p);
            int bad = !valid_column_name(ds->id);
            for (size_t r = 0; reserved[r]; r++)
                bad |= strncmp(ds->id, reserved[r], strlen(reserved[r])) == 0;
            if (bad) {
                asr_error(L->d, &asr_ymap_get(n, "id")->loc, fp,
                          "'%s' is not a valid dataset id: use lower-case letters, digits and "
                          "'_', starting with a letter, and not starting map_, assure_, sqlite_, "
                          "history_ "
                          "or previous_",
                          ds->id);
                ds->id = NULL;
            }
        }
        ds->title = get_text(L, n, "title", p, 0);
        ds->description = get_text(L, n, "description", p, 0);
        asr_ynode *fields = asr_ymap_get(n, "fields");
        path_of(fp, sizeof fp, "%s.fields", p);
        if (!fields || fields->kind != ASR_YSEQ || fields->n == 0) {
            asr_error(L->d, fields ? &fields->loc : &n->loc, fp,
                      "a dataset needs 'fields': a non-empty list of field definitions");
            continue;
        }
        ds->fields = asr_arena_alloc(&m->arena, fields->n * sizeof *ds->fields);
        asr_strmap names = {0}, headers = {0};
        for (size_t k = 0; k < fields->n; k++) {
            char ip[128];
            path_of(ip, sizeof ip, "%s[%zu]", fp, k);
            size_t before = ds->n_fields;
            convert_field(L, ds, fields->items[k], ip);
            if (ds->n_fields == before)
                continue;
            check_field_clash(L, ds, &names, &headers, ip);
        }
        asr_strmap_free(&names);
        asr_strmap_free(&headers);
        /* key: one field name or a list of them; key fields are required. */
        asr_ynode *key = asr_ymap_get(n, "key");
        if (key && !asr_ynode_is_null(key)) {
            path_of(fp, sizeof fp, "%s.key", p);
            size_t count = key->kind == ASR_YSEQ ? key->n : 1;
            ds->key = asr_arena_alloc(&m->arena, count * sizeof *ds->key);
            for (size_t k = 0; k < count; k++) {
                asr_ynode *e = key->kind == ASR_YSEQ ? key->items[k] : key;
                if (e->kind != ASR_YSCALAR) {
                    asr_error(L->d, &e->loc, fp, "expected a field name, got %s", kind_word(e));
                    continue;
                }
                size_t j = 0;
                while (j < ds->n_fields && strcmp(ds->fields[j].name, e->text) != 0)
                    j++;
                if (j == ds->n_fields) {
                    const char *hint = asr_diag_full(L->d)
                                           ? NULL
                                           : asr_did_you_mean_ids(e->text, ds->fields, ds->n_fields,
                                                                  sizeof *ds->fields);
                    asr_error(L->d, &e->loc, fp, "no field named '%s' in this dataset%s%s%s",
                              e->text, hint ? "; did you mean '" : "", hint ? hint : "",
                              hint ? "'?" : "");
                    continue;
                }
                ds->fields[j].required = 1;
                ds->key[ds->n_key++] = j;
            }
        }
        convert_recency(L, ds, asr_ymap_get(n, "recency"), p);
        convert_checks(L, ds, asr_ymap_get(n, "checks"), p);
        convert_computed(L, ds, asr_ymap_get(n, "computed"), p);
        convert_skips(L, ds, asr_ymap_get(n, "skip_rows"), p);
        char *records = get_text(L, n, "records", p, 0);
        if (records && strcmp(records, "columns") == 0) {
            ds->by_columns = 1;
        } else if (records && strcmp(records, "rows") != 0) {
            path_of(fp, sizeof fp, "%s.records", p);
            asr_error(L->d, &asr_ymap_get(n, "records")->loc, fp,
                      "'%s': expected rows (the default: one record per row) or columns (the "
                      "first column holds the headings, and each other column is a record)",
                      records);
        }
        char *extra = get_text(L, n, "extra_columns", p, 0);
        if (extra && strcmp(extra, "error") == 0) {
            ds->strict_columns = 1;
        } else if (extra && strcmp(extra, "ignore") != 0) {
            path_of(fp, sizeof fp, "%s.extra_columns", p);
            asr_error(L->d, &asr_ymap_get(n, "extra_columns")->loc, fp,
                      "'%s': expected ignore (the default: one notice names them) or error", extra);
        }
        dataset_hash(ds);
    }
}

/* ---- pass 3: cross references ---- */

/* Indexes the ids of one kind of item (id -> its first item), reporting
 * each id given again at the later item. */
#define INDEX_IDS(L, idx, arr, count, what)                                                        \
    do {                                                                                           \
        for (size_t i_ = 0; i_ < (count); i_++) {                                                  \
            const char *id_ = (arr)[i_].id;                                                        \
            size_t f_;                                                                             \
            if (id_ && (f_ = asr_strmap_put(&(idx), id_, i_)) != i_)                               \
                asr_error((L)->d, &(arr)[i_].loc, NULL,                                            \
                          "duplicate %s id '%s' (first defined at %s:%u)", what, id_,              \
                          (arr)[f_].loc.file ? (arr)[f_].loc.file : "built-in",                    \
                          (arr)[f_].loc.line);                                                     \
        }                                                                                          \
    } while (0)

/* Reports id if the index of that kind of item lacks it; items (a strided
 * array of structs whose first member is the id) give the suggestion. */
static int check_ref(loader *L, const char *id, const asr_strmap *idx, const void *items,
                     size_t count, size_t stride, const char *what, const asr_loc *loc,
                     const char *path)
{
    size_t at;
    if (!id || asr_strmap_get(idx, id, strlen(id), &at))
        return 0;
    const char *hint = asr_diag_full(L->d) ? NULL : asr_did_you_mean_ids(id, items, count, stride);
    asr_error(L->d, loc, path, "no %s with id '%s'%s%s%s", what, id, hint ? "; did you mean '" : "",
              hint ? hint : "", hint ? "'?" : "");
    return -1;
}

/* Each cycle of parent links once, at its first unit in file order. Every
 * unit is walked once: O(n). */
static void check_unit_cycles(loader *L)
{
    asr_map *m = L->m;
    size_t n = m->n_units, none = (size_t)-1;
    if (!n)
        return;
    size_t *parent = asr_xmalloc(n * sizeof *parent), *walk = asr_xmalloc(n * sizeof *walk);
    unsigned char *state = asr_xcalloc(n, 1); /* 0 not seen, 1 on this walk, 2 done */
    for (size_t i = 0; i < n; i++) {
        const char *p = m->units[i].parent;
        if (!p || !asr_strmap_get(&L->unit_ids, p, strlen(p), &parent[i]))
            parent[i] = none;
    }
    for (size_t i = 0; i < n; i++) {
        size_t len = 0, j = i;
        while (j != none && state[j] == 0) {
            state[j] = 1;
            walk[len++] = j;
            j = parent[j];
        }
        if (j != none && state[j] == 1) { /* back on this walk: walk[at..len) is a cycle */
            size_t at = len - 1, first = j;
            while (walk[at] != j)
                at--;
            for (size_t k = at; k < len; k++)
                if (walk[k] < first)
                    first = walk[k];
            asr_error(L->d, &m->units[first].loc, NULL,
                      "unit '%s' is its own ancestor: the parent links form a cycle",
                      m->units[first].id);
        }
        for (size_t k = 0; k < len; k++)
            state[walk[k]] = 2;
    }
    free(state);
    free(walk);
    free(parent);
}

static int cmp_rank(const void *a, const void *b)
{
    const asr_scale_label *const *x = a, *const *y = b;
    if ((*x)->rank != (*y)->rank)
        return (*x)->rank < (*y)->rank ? -1 : 1;
    return *x < *y ? -1 : *x > *y; /* labels are one array: address is file order */
}

/* A warning for each label that has the rank of an earlier one of its scale
 * (sorted by rank: O(n log n)). */
static void check_same_ranks(loader *L, const asr_scale *s)
{
    if (s->n_labels < 2)
        return;
    const asr_scale_label **by_rank = asr_xmalloc(s->n_labels * sizeof *by_rank);
    for (size_t k = 0; k < s->n_labels; k++)
        by_rank[k] = &s->labels[k];
    qsort(by_rank, s->n_labels, sizeof *by_rank, cmp_rank);
    for (size_t k = 1, head = 0; k < s->n_labels; k++) {
        if (by_rank[k]->rank != by_rank[head]->rank) {
            head = k;
            continue;
        }
        asr_warn(L->d, &by_rank[k]->loc, "labels",
                 "'%s' has the same rank as '%s'; they will compare as equal", by_rank[k]->label,
                 by_rank[head]->label);
    }
    free(by_rank);
}

static void check_references(loader *L)
{
    asr_map *m = L->m;
    INDEX_IDS(L, L->line_ids, m->lines, m->n_lines, "line");
    INDEX_IDS(L, L->principle_ids, m->principles, m->n_principles, "principle");
    INDEX_IDS(L, L->unit_ids, m->units, m->n_units, "unit");
    INDEX_IDS(L, L->area_ids, m->areas, m->n_areas, "area");
    INDEX_IDS(L, L->source_ids, m->sources, m->n_sources, "source");
    INDEX_IDS(L, L->scale_ids, m->scales, m->n_scales, "scale");
    INDEX_IDS(L, L->dataset_ids, m->datasets, m->n_datasets, "dataset");

    for (size_t i = 0; i < L->n_refs; i++) {
        const pending_ref *r = &L->refs[i];
        switch (r->kind) {
        case REF_LINE:
            check_ref(L, r->id, &L->line_ids, m->lines, m->n_lines, sizeof *m->lines, "line",
                      &r->loc, r->path);
            break;
        case REF_PRINCIPLE:
            check_ref(L, r->id, &L->principle_ids, m->principles, m->n_principles,
                      sizeof *m->principles, "principle", &r->loc, r->path);
            break;
        case REF_UNIT:
            check_ref(L, r->id, &L->unit_ids, m->units, m->n_units, sizeof *m->units, "unit",
                      &r->loc, r->path);
            break;
        case REF_AREA:
            check_ref(L, r->id, &L->area_ids, m->areas, m->n_areas, sizeof *m->areas, "area",
                      &r->loc, r->path);
            break;
        case REF_SCALE:
            check_ref(L, r->id, &L->scale_ids, m->scales, m->n_scales, sizeof *m->scales, "scale",
                      &r->loc, r->path);
            break;
        }
    }
    check_unit_cycles(L);

    for (size_t i = 0; i < m->n_scales; i++)
        check_same_ranks(L, &m->scales[i]);
    for (size_t i = 0; i < m->n_datasets; i++) {
        asr_dataset *ds = &m->datasets[i];
        for (size_t k = 0; k < ds->n_fields; k++) {
            asr_field *f = &ds->fields[k];
            size_t j;
            if (!f->scale || !asr_strmap_get(&L->scale_ids, f->scale, strlen(f->scale), &j))
                continue; /* no scale, or reported with the other references */
            const asr_scale *sc = &m->scales[j];
            f->n_values = sc->n_labels;
            f->values = asr_arena_alloc(&m->arena, sc->n_labels * sizeof *f->values);
            f->ranks = asr_arena_alloc(&m->arena, sc->n_labels * sizeof *f->ranks);
            for (size_t v = 0; v < sc->n_labels; v++) {
                f->values[v] = sc->labels[v].label;
                f->ranks[v] = sc->labels[v].rank;
            }
            /* the scale's synonyms after the field's own */
            if (sc->n_synonyms) {
                asr_synonym *all =
                    asr_arena_alloc(&m->arena, (f->n_synonyms + sc->n_synonyms + 1) * sizeof *all);
                if (f->n_synonyms)
                    memcpy(all, f->synonyms, f->n_synonyms * sizeof *all);
                memcpy(all + f->n_synonyms, sc->synonyms, sc->n_synonyms * sizeof *all);
                f->synonyms = all;
                f->n_synonyms += sc->n_synonyms;
            }
        }
        for (size_t k = 0; k < ds->n_fields; k++) {
            asr_field *f = &ds->fields[k];
            for (size_t j = 0; j < f->n_synonyms; j++) {
                const asr_synonym *y = &f->synonyms[j];
                size_t v = 0;
                while (v < f->n_values && strcmp(f->values[v], y->to) != 0)
                    v++;
                if (v == f->n_values && f->n_values) {
                    const char *hint =
                        asr_did_you_mean_ids(y->to, f->values, f->n_values, sizeof *f->values);
                    asr_error(L->d, &y->loc, f->name,
                              "synonym '%s' means '%s', which is not one of the values%s%s%s",
                              y->from, y->to, hint ? "; did you mean '" : "", hint ? hint : "",
                              hint ? "'?" : "");
                }
            }
        }
        dataset_hash(ds); /* again: scale values are part of the declaration */
    }
}

static void map_hash(loader *L)
{
    asr_sha256 c;
    asr_sha256_init(&c);
    for (size_t i = 0; i < L->n_docs; i++)
        asr_sha256_update(&c, L->docs[i]->sha256, 64);
    asr_sha256_final_hex(&c, L->m->hash);
}

static asr_status finish(loader *L, asr_map **out)
{
    if (!L->unreadable) {
        convert_organisation(L);
        convert_lines(L);
        convert_principles(L);
        convert_units(L);
        convert_combined(L);
        convert_areas(L);
        convert_sources(L);
        convert_scales(L);
        convert_params(L);
        convert_datasets(L);
        convert_gates_history(L);
        check_references(L);
        map_hash(L);
        L->m->area_index = L->area_ids; /* the map keeps these two */
        L->m->dataset_index = L->dataset_ids;
        memset(&L->area_ids, 0, sizeof L->area_ids);
        memset(&L->dataset_ids, 0, sizeof L->dataset_ids);
    }
    for (size_t i = 0; i < L->n_docs; i++)
        asr_ydoc_free(L->docs[i]);
    free(L->docs);
    free(L->lines.items);
    free(L->principles.items);
    free(L->units.items);
    free(L->areas.items);
    free(L->sources.items);
    free(L->scales.items);
    free(L->datasets.items);
    free(L->params);
    free(L->gates);
    free(L->combined);
    free(L->history);
    for (size_t i = 0; i < L->n_refs; i++)
        free(L->refs[i].path);
    free(L->refs);
    asr_strmap *idx[] = {&L->line_ids,   &L->principle_ids, &L->unit_ids,   &L->area_ids,
                         &L->source_ids, &L->scale_ids,     &L->dataset_ids};
    for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++)
        asr_strmap_free(idx[i]);
    if (L->d->errors > L->errors_before) {
        asr_map_free(L->m);
        *out = NULL;
        return ASR_E_CONFIG;
    }
    *out = L->m;
    return ASR_OK;
}

asr_status asr_map_load(const char *path, asr_diag *d, asr_map **out)
{
    loader L = {0};
    L.m = asr_xcalloc(1, sizeof *L.m);
    L.d = d;
    L.errors_before = d->errors;
    asr_status st = load_file(&L, path, NULL, 0, NULL);
    asr_status fin = finish(&L, out);
    /* A missing or unreadable top-level file keeps its own exit code. */
    return st == ASR_E_NOINPUT || st == ASR_E_IO ? st : fin;
}

asr_status asr_map_load_string(const char *name, const char *text, asr_diag *d, asr_map **out)
{
    loader L = {0};
    L.m = asr_xcalloc(1, sizeof *L.m);
    L.d = d;
    L.errors_before = d->errors;
    asr_ydoc *doc = NULL;
    if (asr_yaml_load_string(name, text, strlen(text), d, &doc) != ASR_OK) {
        L.unreadable = 1;
    } else {
        add_doc(&L, doc);
        if (doc->root && asr_ymap_get(doc->root, "include"))
            asr_error(d, &asr_ymap_get(doc->root, "include")->loc, "include",
                      "'include' needs a map file, not text in memory");
        else
            process_root(&L, doc, NULL, 0);
    }
    return finish(&L, out);
}
