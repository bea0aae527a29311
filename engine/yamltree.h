/* yamltree: reads one YAML document into a plain tree of scalars, sequences
 * and mappings, each node keeping its line and column. Only this module
 * includes <yaml.h>. It enforces what libyaml 0.2.5 does not: a file size cap
 * checked before parsing, a nesting limit checked while reading events,
 * exactly one document, no anchors, aliases or tags, no duplicate keys, no
 * NUL or control characters in scalars. Types are NOT resolved here: a
 * scalar is text plus whether it was written plain (unquoted); the schema
 * decides what it means. Uses util, diag. */
#ifndef ASSURE_YAMLTREE_H
#define ASSURE_YAMLTREE_H

#include <stddef.h>

#include "diag.h"
#include "sha256.h"
#include "util.h"

#define ASR_YAML_MAX_DEPTH 64
#define ASR_YAML_MAX_BYTES (8u << 20) /* 8 MiB */

typedef enum { ASR_YSCALAR, ASR_YSEQ, ASR_YMAP } asr_ykind;

typedef struct asr_ynode asr_ynode;
struct asr_ynode {
    asr_ykind kind;
    asr_loc loc;       /* where the node starts; loc.file is the document's name */
    char *text;        /* scalar text, NUL-terminated (never contains NUL) */
    size_t len;        /* scalar length */
    int plain;         /* scalar written without quotes or block style */
    size_t n;          /* sequence items, or mapping pairs */
    asr_ynode **items; /* sequence items, or mapping values */
    asr_ynode **keys;  /* mapping keys (all scalars) */
};

typedef struct {
    char *name;      /* file name used in messages */
    asr_arena arena; /* owns every node and string */
    asr_ynode *root; /* NULL if the file held no document */
    char sha256[65]; /* of the file's bytes */
} asr_ydoc;

/* Reads path (at most max_bytes; 0 = ASR_YAML_MAX_BYTES). Returns ASR_OK with
 * *out set, ASR_E_NOINPUT if the file cannot be read, or ASR_E_CONFIG after
 * adding every problem found to d. Free *out with asr_ydoc_free. */
asr_status asr_yaml_load_file(const char *path, size_t max_bytes, asr_diag *d, asr_ydoc **out);

/* Same for text in memory; name is used in messages. */
asr_status asr_yaml_load_string(const char *name, const char *text, size_t len, asr_diag *d,
                                asr_ydoc **out);

void asr_ydoc_free(asr_ydoc *doc);

/* The value under key in a mapping node, or NULL. */
asr_ynode *asr_ymap_get(const asr_ynode *map, const char *key);

/* Checks that node is a mapping whose keys are all in allowed (NULL-
 * terminated); each other key is an error at its place, with a suggestion
 * when one is close. path names the node in messages. Returns -1 if node is
 * not a mapping, else the number of unknown keys. */
int asr_ymap_check_keys(const asr_ynode *node, const char *path, const char *const *allowed,
                        asr_diag *d);

/* A scalar written plain as "", "~" or "null". */
int asr_ynode_is_null(const asr_ynode *n);

/* The libyaml version, for --version. */
const char *asr_yaml_version(void);

#endif
