#include "yamltree.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

/* While a collection is open its children gather here, then move into the
 * arena when it closes. */
typedef struct {
    asr_ynode *node;
    asr_ynode **kids;
    size_t n, cap;
} frame;

typedef struct {
    asr_ydoc *doc;
    asr_diag *d;
    frame stack[ASR_YAML_MAX_DEPTH + 1];
    size_t depth;
    int documents;
} builder;

static asr_loc mark_loc(const asr_ydoc *doc, yaml_mark_t m)
{
    asr_loc l = {doc->name, (unsigned)m.line + 1, (unsigned)m.column + 1};
    return l;
}

static void push_child(frame *f, asr_ynode *n)
{
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 8;
        f->kids = asr_xrealloc(f->kids, f->cap * sizeof *f->kids);
    }
    f->kids[f->n++] = n;
}

/* Sorting key positions by text, then position, puts each key's copies
 * together, the first copy first. */
typedef struct {
    const asr_ynode *key;
    size_t index;
} key_ref;

static int cmp_key(const void *a, const void *b)
{
    const key_ref *x = a, *y = b;
    int c = strcmp(x->key->text, y->key->text);
    if (c)
        return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* Duplicate keys in O(n log n): a sorted copy finds them, and they are
 * reported in file order, each at the later copy, so that the first
 * problems kept (diag keeps only so many) are the first in the file. */
static void check_duplicate_keys(builder *b, asr_ynode *map)
{
    size_t n = map->n;
    if (n < 2)
        return;
    key_ref *sorted = asr_xmalloc(n * sizeof *sorted);
    for (size_t i = 0; i < n; i++)
        sorted[i] = (key_ref){map->keys[i], i};
    qsort(sorted, n, sizeof *sorted, cmp_key);
    /* first[i]: 1 + the index of the first copy of key i, or 0 if i is one */
    size_t *first = asr_xcalloc(n, sizeof *first), dups = 0;
    for (size_t i = 1, head = 0; i < n; i++) {
        if (strcmp(sorted[i].key->text, sorted[head].key->text) == 0) {
            first[sorted[i].index] = sorted[head].index + 1;
            dups++;
        } else {
            head = i;
        }
    }
    for (size_t i = 0; i < n && dups; i++) {
        if (!first[i])
            continue;
        const asr_ynode *k = map->keys[i], *f = map->keys[first[i] - 1];
        asr_error(b->d, &k->loc, NULL, "duplicate key '%s' (first at line %u:%u)", k->text,
                  f->loc.line, f->loc.col);
        dups--;
    }
    free(first);
    free(sorted);
}

static void close_collection(builder *b)
{
    frame *f = &b->stack[b->depth - 1];
    asr_ynode *n = f->node;
    asr_arena *a = &b->doc->arena;
    if (n->kind == ASR_YSEQ) {
        n->n = f->n;
        n->items = asr_arena_alloc(a, f->n * sizeof *n->items);
        if (f->n)
            memcpy(n->items, f->kids, f->n * sizeof *n->items);
    } else {
        n->n = f->n / 2;
        n->keys = asr_arena_alloc(a, n->n * sizeof *n->keys);
        n->items = asr_arena_alloc(a, n->n * sizeof *n->items);
        for (size_t i = 0; i < n->n; i++) {
            n->keys[i] = f->kids[2 * i];
            n->items[i] = f->kids[2 * i + 1];
        }
        check_duplicate_keys(b, n);
    }
    free(f->kids);
    memset(f, 0, sizeof *f);
    b->depth--;
}

/* Adds a finished node to its parent. In a mapping, even positions are keys
 * and must be scalars. */
static int attach(builder *b, asr_ynode *n)
{
    if (b->depth == 0) {
        b->doc->root = n;
        return 0;
    }
    frame *f = &b->stack[b->depth - 1];
    if (f->node->kind == ASR_YMAP && f->n % 2 == 0 && n->kind != ASR_YSCALAR) {
        asr_error(b->d, &n->loc, NULL, "a mapping key must be a plain word, not a %s",
                  n->kind == ASR_YSEQ ? "list" : "mapping");
        return -1;
    }
    push_child(f, n);
    return 0;
}

static int refuse_anchor_tag(builder *b, yaml_mark_t m, const yaml_char_t *anchor,
                             const yaml_char_t *tag, int implicit)
{
    asr_loc l = mark_loc(b->doc, m);
    if (anchor) {
        asr_error(b->d, &l, NULL, "anchors (&%s) are not allowed in an assurance map",
                  (const char *)anchor);
        return -1;
    }
    if (tag && !implicit) {
        asr_error(b->d, &l, NULL, "tags (%s) are not allowed; the schema decides types",
                  (const char *)tag);
        return -1;
    }
    return 0;
}

static int scalar_event(builder *b, const yaml_event_t *ev)
{
    const char *v = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    asr_loc l = mark_loc(b->doc, ev->start_mark);
    if (refuse_anchor_tag(b, ev->start_mark, ev->data.scalar.anchor, ev->data.scalar.tag,
                          ev->data.scalar.plain_implicit || ev->data.scalar.quoted_implicit))
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c == 0 || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
            asr_error(b->d, &l, NULL, "control character \\x%02x inside a value", c);
            return -1;
        }
    }
    asr_ynode *n = asr_arena_alloc(&b->doc->arena, sizeof *n);
    n->kind = ASR_YSCALAR;
    n->loc = l;
    n->text = asr_arena_strndup(&b->doc->arena, v, len);
    n->len = len;
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    return attach(b, n);
}

static int open_collection(builder *b, const yaml_event_t *ev, asr_ykind kind)
{
    const yaml_char_t *anchor =
        kind == ASR_YMAP ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
    const yaml_char_t *tag =
        kind == ASR_YMAP ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
    int implicit =
        kind == ASR_YMAP ? ev->data.mapping_start.implicit : ev->data.sequence_start.implicit;
    if (refuse_anchor_tag(b, ev->start_mark, anchor, tag, implicit))
        return -1;
    if (b->depth >= ASR_YAML_MAX_DEPTH) {
        asr_loc l = mark_loc(b->doc, ev->start_mark);
        asr_error(b->d, &l, NULL, "nesting deeper than %d levels", ASR_YAML_MAX_DEPTH);
        return -1;
    }
    asr_ynode *n = asr_arena_alloc(&b->doc->arena, sizeof *n);
    n->kind = kind;
    n->loc = mark_loc(b->doc, ev->start_mark);
    if (attach(b, n))
        return -1;
    b->stack[b->depth++].node = n;
    return 0;
}

/* One event; returns 1 at stream end, 0 to go on, -1 on error. */
static int handle_event(builder *b, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_STREAM_END_EVENT:
        return 1;
    case YAML_DOCUMENT_START_EVENT:
        if (++b->documents > 1) {
            asr_loc l = mark_loc(b->doc, ev->start_mark);
            asr_error(b->d, &l, NULL, "a second document ('---'); a map file holds exactly one");
            return -1;
        }
        return 0;
    case YAML_ALIAS_EVENT: {
        asr_loc l = mark_loc(b->doc, ev->start_mark);
        asr_error(b->d, &l, NULL, "aliases (*%s) are not allowed in an assurance map",
                  (const char *)ev->data.alias.anchor);
        return -1;
    }
    case YAML_SCALAR_EVENT:
        return scalar_event(b, ev);
    case YAML_SEQUENCE_START_EVENT:
        return open_collection(b, ev, ASR_YSEQ);
    case YAML_MAPPING_START_EVENT:
        return open_collection(b, ev, ASR_YMAP);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        close_collection(b);
        return 0;
    default:
        return 0;
    }
}

static asr_status parse(asr_ydoc *doc, const char *text, size_t len, asr_diag *d)
{
    size_t errors_before = d->errors;
    if (len >= 2 && ((unsigned char)text[0] == 0xFE || (unsigned char)text[0] == 0xFF)) {
        asr_loc l = {doc->name, 1, 1};
        asr_error(d, &l, NULL, "the file is UTF-16; save it as UTF-8");
        return ASR_E_CONFIG;
    }
    const char *bad = asr_utf8_invalid(text, len);
    if (bad) {
        unsigned line = 1, col = 1;
        for (const char *p = text; p < bad; p++) {
            if (*p == '\n') {
                line++;
                col = 1;
            } else if (((unsigned char)*p & 0xC0) != 0x80) {
                col++;
            }
        }
        asr_loc l = {doc->name, line, col};
        asr_error(d, &l, NULL, "invalid UTF-8 (byte \\x%02x); save the file as UTF-8",
                  (unsigned char)*bad);
        return ASR_E_CONFIG;
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        asr_error(d, NULL, NULL, "cannot start the YAML parser");
        return ASR_E_INTERNAL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    builder b = {doc, d, {{0}}, 0, 0};
    int done = 0;
    while (!done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            asr_loc l = mark_loc(doc, parser.problem_mark);
            if (parser.context)
                asr_error(d, &l, NULL, "%s %s", parser.problem ? parser.problem : "syntax error",
                          parser.context);
            else
                asr_error(d, &l, NULL, "%s", parser.problem ? parser.problem : "syntax error");
            break;
        }
        int r = handle_event(&b, &ev);
        yaml_event_delete(&ev);
        if (r < 0)
            break;
        done = r;
    }
    yaml_parser_delete(&parser);
    for (size_t i = 0; i < b.depth; i++)
        free(b.stack[i].kids);
    if (!done || d->errors > errors_before) {
        doc->root = NULL;
        return ASR_E_CONFIG;
    }
    return ASR_OK;
}

static asr_ydoc *new_doc(const char *name)
{
    asr_ydoc *doc = asr_xcalloc(1, sizeof *doc);
    doc->name = asr_xstrdup(name);
    return doc;
}

asr_status asr_yaml_load_string(const char *name, const char *text, size_t len, asr_diag *d,
                                asr_ydoc **out)
{
    asr_ydoc *doc = new_doc(name);
    asr_sha256 sha;
    asr_sha256_init(&sha);
    asr_sha256_update(&sha, text, len);
    asr_sha256_final_hex(&sha, doc->sha256);
    asr_status st = parse(doc, text, len, d);
    if (st != ASR_OK) {
        asr_ydoc_free(doc);
        *out = NULL;
        return st;
    }
    *out = doc;
    return ASR_OK;
}

asr_status asr_yaml_load_file(const char *path, size_t max_bytes, asr_diag *d, asr_ydoc **out)
{
    *out = NULL;
    if (!max_bytes)
        max_bytes = ASR_YAML_MAX_BYTES;
    asr_loc where = {path, 0, 0};
    FILE *f = fopen(path, "rb");
    if (!f) {
        asr_error(d, &where, NULL, "cannot open: %s", strerror(errno));
        return ASR_E_NOINPUT;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        asr_error(d, &where, NULL, "not a regular file");
        fclose(f);
        return ASR_E_NOINPUT;
    }
    if ((unsigned long long)st.st_size > max_bytes) {
        asr_error(d, &where, NULL, "file is %lld bytes; the limit for a map file is %zu",
                  (long long)st.st_size, max_bytes);
        fclose(f);
        return ASR_E_CONFIG;
    }
    size_t size = (size_t)st.st_size;
    char *text = asr_xmalloc(size + 1);
    size_t got = fread(text, 1, size, f);
    int read_err = ferror(f);
    fclose(f);
    if (read_err || got != size) {
        asr_error(d, &where, NULL, "read error");
        free(text);
        return ASR_E_IO;
    }
    text[size] = '\0';
    asr_status s = asr_yaml_load_string(path, text, size, d, out);
    free(text);
    return s;
}

void asr_ydoc_free(asr_ydoc *doc)
{
    if (!doc)
        return;
    asr_arena_free(&doc->arena);
    free(doc->name);
    free(doc);
}

asr_ynode *asr_ymap_get(const asr_ynode *map, const char *key)
{
    if (!map || map->kind != ASR_YMAP)
        return NULL;
    for (size_t i = 0; i < map->n; i++)
        if (strcmp(map->keys[i]->text, key) == 0)
            return map->items[i];
    return NULL;
}

int asr_ynode_is_null(const asr_ynode *n)
{
    return n->kind == ASR_YSCALAR && n->plain &&
           (n->len == 0 || strcmp(n->text, "~") == 0 || strcmp(n->text, "null") == 0);
}

int asr_ymap_check_keys(const asr_ynode *node, const char *path, const char *const *allowed,
                        asr_diag *d)
{
    if (node->kind != ASR_YMAP) {
        asr_error(d, &node->loc, path, "expected a mapping of keys to values");
        return -1;
    }
    int unknown = 0;
    for (size_t i = 0; i < node->n; i++) {
        const char *k = node->keys[i]->text;
        size_t j = 0;
        while (allowed[j] && strcmp(allowed[j], k) != 0)
            j++;
        if (allowed[j])
            continue;
        const char *hint = asr_diag_full(d) ? NULL : asr_did_you_mean(k, allowed);
        if (hint)
            asr_error(d, &node->keys[i]->loc, path, "unknown key '%s'; did you mean '%s'?", k,
                      hint);
        else
            asr_error(d, &node->keys[i]->loc, path, "unknown key '%s'", k);
        unknown++;
    }
    return unknown;
}

const char *asr_yaml_version(void)
{
    return yaml_get_version_string();
}
