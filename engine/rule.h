/* rule: a rule file's metadata -- id, title, severity, category,
 * description, what it covers and its parameters -- read from the table the
 * file returns, inside a sandbox, with raw access only (a rule's metamethods
 * never run in the host). Also the rule set: the files of a directory, in
 * name order, and their combined hash. Uses sandbox, map, wire, util. */
#ifndef ASSURE_RULE_H
#define ASSURE_RULE_H

#include <stddef.h>
#include <stdint.h>

#include "map.h"
#include "sandbox.h"
#include "util.h"

#define ASR_RULE_MAX_SOURCE (256u << 10)

typedef struct {
    char *name;
    asr_param_type type;
    char *value; /* the default, as text (numbers as Lua writes them) */
} asr_rule_param;

typedef struct {
    char *kind; /* areas, sources, lines, principles, datasets */
    char *id;
} asr_cover;

typedef struct {
    char *file;
    char *id, *title, *severity, *category, *description;
    asr_cover *covers;
    size_t n_covers;
    asr_rule_param *params;
    size_t n_params;
    unsigned id_line; /* line of the id in the file, for messages; 0 if unknown */
} asr_rule;

/* Loads text (the file's content) in sb, runs the chunk and reads the table
 * it returns into *r. On success returns 0 and leaves the rule table on the
 * Lua stack. On failure returns -1, with "file:line: message" (or "file:
 * message") in err. */
int asr_rule_load(asr_sandbox *sb, const char *file, const char *text, size_t len, asr_rule *r,
                  char *err, size_t errsize);
void asr_rule_clear(asr_rule *r);

/* Rule metadata to and from the worker wire format. */
void asr_rule_encode(const asr_rule *r, asr_buf *out);
int asr_rule_decode(const char *const *field, const uint32_t *len, size_t n, asr_rule *r);

/* Checks a loaded rule against the map: what it covers exists, and the map's
 * parameter overrides for it name its parameters with values of the right
 * type. Problems go to d with the rule file as place. */
void asr_rule_check_against_map(const asr_rule *r, const asr_map *m, asr_diag *d);

/* The rule files (*.lua) directly in dir, sorted by name. Returns 0, or -1
 * with a message in err. Free with asr_rule_files_free. */
int asr_rule_files(const char *dir, char ***files, size_t *count, char *err, size_t errsize);
void asr_rule_files_free(char **files, size_t count);

/* Reads a whole rule file (at most ASR_RULE_MAX_SOURCE bytes). Returns NULL
 * with a message in err. */
char *asr_rule_read(const char *file, size_t *len, char *err, size_t errsize);

/* The line of the first "key =" in text, or 0. */
unsigned asr_rule_find_key_line(const char *text, const char *key);

#endif
