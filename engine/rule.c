#include "rule.h"

#include <dirent.h>
#include <errno.h>
#include <lauxlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "wire.h"

static const char *const severities[] = {"high", "medium", "low", NULL};
static const char *const cover_kinds[] = {"areas",      "sources",  "lines",
                                          "principles", "datasets", NULL};
static const char *const rule_keys[] = {"id",     "title",  "severity", "category", "description",
                                        "covers", "params", "check",    NULL};

static int valid_rule_id(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 (i > 0 && (c == '-' || c == '_' || c == '.'));
        if (!ok)
            return 0;
    }
    return 1;
}

unsigned asr_rule_find_key_line(const char *text, const char *key)
{
    size_t klen = strlen(key);
    unsigned line = 1;
    for (const char *p = text; *p; p++) {
        if (p == text || p[-1] == '\n') {
            const char *q = p;
            while (*q == ' ' || *q == '\t')
                q++;
            if (strncmp(q, key, klen) == 0) {
                q += klen;
                while (*q == ' ' || *q == '\t')
                    q++;
                if (*q == '=')
                    return line;
            }
        }
        if (*p == '\n')
            line++;
    }
    return 0;
}

/* Reports a metadata problem at the line of key when it can be found. */
static int meta_error(char *err, size_t errsize, const char *file, const char *text,
                      const char *key, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int meta_error(char *err, size_t errsize, const char *file, const char *text,
                      const char *key, const char *fmt, ...)
{
    unsigned line = key ? asr_rule_find_key_line(text, key) : 0;
    int n =
        line ? snprintf(err, errsize, "%s:%u: ", file, line) : snprintf(err, errsize, "%s: ", file);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < errsize)
        vsnprintf(err + n, errsize - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* A string field of the rule table at idx (raw access). */
static char *raw_string(lua_State *L, int idx, const char *key, int *type)
{
    lua_pushstring(L, key);
    *type = lua_rawget(L, idx);
    char *s = NULL;
    if (*type == LUA_TSTRING) {
        size_t len;
        const char *v = lua_tolstring(L, -1, &len);
        s = asr_xstrndup(v, len);
    }
    lua_pop(L, 1);
    return s;
}

/* Pushes the table under key in the rule table at idx. Returns 1 (pushed),
 * 0 (absent: nothing pushed) or -1 (not a table: reported in err). */
static int push_table_field(lua_State *L, int idx, const char *key, const char *example,
                            const char *file, const char *text, char *err, size_t errsize)
{
    lua_pushstring(L, key);
    int t = lua_rawget(L, idx);
    if (t == LUA_TTABLE)
        return 1;
    lua_pop(L, 1);
    if (t == LUA_TNIL)
        return 0;
    return meta_error(err, errsize, file, text, key, "%s must be a table such as %s, not a %s", key,
                      example, lua_typename(L, t));
}

static int read_covers(lua_State *L, int idx, asr_rule *r, const char *file, const char *text,
                       char *err, size_t errsize)
{
    int got = push_table_field(L, idx, "covers", "{areas = {'vetting'}}", file, text, err, errsize);
    if (got <= 0)
        return got;
    int covers = lua_gettop(L);
    size_t cap = 0;
    lua_pushnil(L);
    while (lua_next(L, covers)) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            lua_pop(L, 3);
            return meta_error(err, errsize, file, text, "covers", "covers keys must be names");
        }
        const char *kind = lua_tostring(L, -2);
        size_t k = 0;
        while (cover_kinds[k] && strcmp(cover_kinds[k], kind) != 0)
            k++;
        if (!cover_kinds[k]) {
            const char *hint = asr_did_you_mean(kind, cover_kinds);
            char kcopy[64];
            snprintf(kcopy, sizeof kcopy, "%s", kind);
            lua_pop(L, 3);
            return meta_error(err, errsize, file, text, "covers",
                              "covers.%s: unknown kind (areas, sources, lines, principles or "
                              "datasets)%s%s%s",
                              kcopy, hint ? "; did you mean '" : "", hint ? hint : "",
                              hint ? "'?" : "");
        }
        if (lua_type(L, -1) != LUA_TTABLE) {
            lua_pop(L, 3);
            return meta_error(err, errsize, file, text, "covers", "covers.%s must be a list of ids",
                              cover_kinds[k]);
        }
        lua_Unsigned n = lua_rawlen(L, -1);
        for (lua_Unsigned i = 1; i <= n; i++) {
            if (lua_rawgeti(L, -1, (lua_Integer)i) != LUA_TSTRING) {
                lua_pop(L, 4);
                return meta_error(err, errsize, file, text, "covers",
                                  "covers.%s[%llu] must be an id (text)", cover_kinds[k],
                                  (unsigned long long)i);
            }
            if (r->n_covers == cap) {
                cap = cap ? cap * 2 : 8;
                r->covers = asr_xrealloc(r->covers, cap * sizeof *r->covers);
            }
            r->covers[r->n_covers].kind = asr_xstrdup(cover_kinds[k]);
            r->covers[r->n_covers].id = asr_xstrdup(lua_tostring(L, -1));
            r->n_covers++;
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    return 0;
}

static int cmp_param(const void *a, const void *b)
{
    return strcmp(((const asr_rule_param *)a)->name, ((const asr_rule_param *)b)->name);
}

static int read_params(lua_State *L, int idx, asr_rule *r, const char *file, const char *text,
                       char *err, size_t errsize)
{
    int got = push_table_field(L, idx, "params", "{grace_days = 0}", file, text, err, errsize);
    if (got <= 0)
        return got;
    int params = lua_gettop(L);
    size_t cap = 0;
    lua_pushnil(L);
    while (lua_next(L, params)) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            lua_pop(L, 3);
            return meta_error(err, errsize, file, text, "params", "parameter names must be text");
        }
        asr_param_type type;
        char value[64];
        switch (lua_type(L, -1)) {
        case LUA_TNUMBER:
            type = ASR_PARAM_NUMBER;
            if (lua_isinteger(L, -1))
                snprintf(value, sizeof value, "%lld", (long long)lua_tointeger(L, -1));
            else /* the shortest form that reads back the same: 0.2, not 0.20000000000000001 */
                for (int digits = 15; digits <= 17; digits++) {
                    double x = (double)lua_tonumber(L, -1);
                    snprintf(value, sizeof value, "%.*g", digits, x);
                    if (strtod(value, NULL) == x)
                        break;
                }
            break;
        case LUA_TBOOLEAN:
            type = ASR_PARAM_BOOLEAN;
            snprintf(value, sizeof value, "%s", lua_toboolean(L, -1) ? "true" : "false");
            break;
        case LUA_TSTRING:
            type = ASR_PARAM_STRING;
            break;
        default: {
            char name[64];
            snprintf(name, sizeof name, "%s", lua_tostring(L, -2));
            int vt = lua_type(L, -1);
            lua_pop(L, 3);
            return meta_error(err, errsize, file, text, "params",
                              "params.%s: a default must be a number, true/false or text, not a %s",
                              name, lua_typename(L, vt));
        }
        }
        if (r->n_params == cap) {
            cap = cap ? cap * 2 : 8;
            r->params = asr_xrealloc(r->params, cap * sizeof *r->params);
        }
        asr_rule_param *p = &r->params[r->n_params++];
        p->name = asr_xstrdup(lua_tostring(L, -2));
        p->type = type;
        p->value = type == ASR_PARAM_STRING ? asr_xstrdup(lua_tostring(L, -1)) : asr_xstrdup(value);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    if (r->n_params > 1)
        qsort(r->params, r->n_params, sizeof *r->params, cmp_param);
    return 0;
}

int asr_rule_load(asr_sandbox *sb, const char *file, const char *text, size_t len, asr_rule *r,
                  char *err, size_t errsize)
{
    memset(r, 0, sizeof *r);
    r->file = asr_xstrdup(file);
    lua_State *L = asr_sandbox_lua(sb);
    const char *msg;
    if (asr_sandbox_load(sb, file, text, len, &msg)) {
        snprintf(err, errsize, "%s", msg);
        return -1;
    }
    if (asr_sandbox_call(sb, 0, 1, &msg)) {
        snprintf(err, errsize, "%s: while loading: %s", file, msg);
        return -1;
    }
    if (lua_type(L, -1) != LUA_TTABLE) {
        const char *tn = luaL_typename(L, -1);
        lua_pop(L, 1);
        return meta_error(err, errsize, file, text, NULL,
                          "a rule file must end with 'return { id = ..., check = function(ctx) "
                          "... end }', but it returned %s",
                          tn);
    }
    int idx = lua_gettop(L);

    /* Unknown keys first: a misspelt key is the likeliest mistake. */
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            lua_pop(L, 2);
            return meta_error(err, errsize, file, text, NULL,
                              "the rule table may hold only named keys");
        }
        const char *k = lua_tostring(L, -1);
        size_t i = 0;
        while (rule_keys[i] && strcmp(rule_keys[i], k) != 0)
            i++;
        if (!rule_keys[i]) {
            char kcopy[64];
            snprintf(kcopy, sizeof kcopy, "%s", k);
            const char *hint = asr_did_you_mean(kcopy, rule_keys);
            lua_pop(L, 2);
            return meta_error(err, errsize, file, text, kcopy, "unknown key '%s'%s%s%s", kcopy,
                              hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
        }
    }

    int t;
    r->id = raw_string(L, idx, "id", &t);
    r->id_line = asr_rule_find_key_line(text, "id");
    if (!r->id)
        return lua_pop(L, 1), meta_error(err, errsize, file, text, "id",
                                         t == LUA_TNIL ? "the rule has no id" : "id must be text");
    if (!valid_rule_id(r->id))
        return lua_pop(L, 1),
               meta_error(err, errsize, file, text, "id",
                          "'%s' is not a valid rule id: use lower-case letters, digits, '-', '_' "
                          "or '.', starting with a letter or digit (at most 64)",
                          r->id);
    static const char *const texts[] = {"title", "category", "description", NULL};
    char **slots[] = {&r->title, &r->category, &r->description};
    for (size_t i = 0; texts[i]; i++) {
        *slots[i] = raw_string(L, idx, texts[i], &t);
        if (!*slots[i] || !**slots[i])
            return lua_pop(L, 1),
                   meta_error(err, errsize, file, text, t == LUA_TNIL ? NULL : texts[i],
                              t == LUA_TNIL ? "the rule has no %s" : "%s must be non-empty text",
                              texts[i]);
    }
    if (!valid_rule_id(r->category))
        return lua_pop(L, 1),
               meta_error(err, errsize, file, text, "category",
                          "category '%s' must be one lower-case word such as gap, overdue, "
                          "maturity or stale",
                          r->category);
    r->severity = raw_string(L, idx, "severity", &t);
    size_t s = 0;
    while (r->severity && severities[s] && strcmp(severities[s], r->severity) != 0)
        s++;
    if (!r->severity || !severities[s])
        return lua_pop(L, 1),
               meta_error(err, errsize, file, text, t == LUA_TNIL ? NULL : "severity",
                          "severity must be 'high', 'medium' or 'low'%s%s%s",
                          r->severity ? ", not '" : "", r->severity ? r->severity : "",
                          r->severity ? "'" : "");
    lua_pushliteral(L, "check");
    t = lua_rawget(L, idx);
    lua_pop(L, 1);
    if (t != LUA_TFUNCTION)
        return lua_pop(L, 1), meta_error(err, errsize, file, text, t == LUA_TNIL ? NULL : "check",
                                         "the rule needs check = function(ctx) ... end");
    if (read_covers(L, idx, r, file, text, err, errsize) ||
        read_params(L, idx, r, file, text, err, errsize))
        return lua_pop(L, 1), -1;
    return 0;
}

void asr_rule_clear(asr_rule *r)
{
    free(r->file);
    free(r->id);
    free(r->title);
    free(r->severity);
    free(r->category);
    free(r->description);
    for (size_t i = 0; i < r->n_covers; i++) {
        free(r->covers[i].kind);
        free(r->covers[i].id);
    }
    free(r->covers);
    for (size_t i = 0; i < r->n_params; i++) {
        free(r->params[i].name);
        free(r->params[i].value);
    }
    free(r->params);
    memset(r, 0, sizeof *r);
}

/* Fields: file, id, title, severity, category, description, id_line,
 * n_covers, (kind, id)..., n_params, (name, type, value)... */
void asr_rule_encode(const asr_rule *r, asr_buf *out)
{
    char num[32];
    asr_wire_adds(out, r->file);
    asr_wire_adds(out, r->id);
    asr_wire_adds(out, r->title);
    asr_wire_adds(out, r->severity);
    asr_wire_adds(out, r->category);
    asr_wire_adds(out, r->description);
    snprintf(num, sizeof num, "%u", r->id_line);
    asr_wire_adds(out, num);
    snprintf(num, sizeof num, "%zu", r->n_covers);
    asr_wire_adds(out, num);
    for (size_t i = 0; i < r->n_covers; i++) {
        asr_wire_adds(out, r->covers[i].kind);
        asr_wire_adds(out, r->covers[i].id);
    }
    snprintf(num, sizeof num, "%zu", r->n_params);
    asr_wire_adds(out, num);
    for (size_t i = 0; i < r->n_params; i++) {
        asr_wire_adds(out, r->params[i].name);
        snprintf(num, sizeof num, "%d", (int)r->params[i].type);
        asr_wire_adds(out, num);
        asr_wire_adds(out, r->params[i].value);
    }
}

int asr_rule_decode(const char *const *field, const uint32_t *len, size_t n, asr_rule *r)
{
    memset(r, 0, sizeof *r);
    if (n < 8)
        return -1;
    size_t k = 0;
#define TAKE() (k < n ? asr_xstrndup(field[k], len[k]) : NULL), k++
    char *tmp;
    r->file = TAKE();
    r->id = TAKE();
    r->title = TAKE();
    r->severity = TAKE();
    r->category = TAKE();
    r->description = TAKE();
    tmp = TAKE();
    r->id_line = (unsigned)strtoul(tmp, NULL, 10);
    free(tmp);
    tmp = TAKE();
    size_t nc = strtoul(tmp, NULL, 10);
    free(tmp);
    if (nc > (n - k) / 2)
        return asr_rule_clear(r), -1;
    r->covers = asr_xcalloc(nc ? nc : 1, sizeof *r->covers);
    for (size_t i = 0; i < nc; i++) {
        r->covers[i].kind = TAKE();
        r->covers[i].id = TAKE();
        r->n_covers++;
    }
    if (k >= n)
        return asr_rule_clear(r), -1;
    tmp = TAKE();
    size_t np = strtoul(tmp, NULL, 10);
    free(tmp);
    if (np > (n - k) / 3)
        return asr_rule_clear(r), -1;
    r->params = asr_xcalloc(np ? np : 1, sizeof *r->params);
    for (size_t i = 0; i < np; i++) {
        r->params[i].name = TAKE();
        tmp = TAKE();
        r->params[i].type = (asr_param_type)atoi(tmp);
        free(tmp);
        r->params[i].value = TAKE();
        r->n_params++;
    }
#undef TAKE
    return k == n ? 0 : (asr_rule_clear(r), -1);
}

/* Whether the map has an item of that kind with that id; sets[] holds the
 * ids of sources, lines and principles, each built the first time it is
 * needed, so a rule covering n items costs O(n + map), not O(n * map). */
static int map_has(const asr_map *m, const char *kind, const char *id, asr_strset sets[3])
{
    if (strcmp(kind, "areas") == 0)
        return asr_map_area(m, id) != NULL;
    if (strcmp(kind, "datasets") == 0)
        return asr_map_dataset(m, id) != NULL;
    int k = strcmp(kind, "sources") == 0 ? 0 : strcmp(kind, "lines") == 0 ? 1 : 2;
    static const asr_ref refs[3] = {ASR_REF_SOURCES, ASR_REF_LINES, ASR_REF_PRINCIPLES};
    if (!sets[k].cap)
        asr_map_ref_ids(m, refs[k], &sets[k]);
    return asr_strset_has(&sets[k], id, strlen(id));
}

void asr_rule_check_against_map(const asr_rule *r, const asr_map *m, asr_diag *d)
{
    asr_loc loc = {r->file, r->id_line, 0};
    asr_strset sets[3] = {{0}, {0}, {0}};
    for (size_t i = 0; i < r->n_covers; i++)
        if (!map_has(m, r->covers[i].kind, r->covers[i].id, sets))
            asr_warn(d, &loc, r->id,
                     "covers.%s names '%s', which the map does not have; the rule still runs",
                     r->covers[i].kind, r->covers[i].id);
    for (int k = 0; k < 3; k++)
        asr_strset_free(&sets[k]);
    static const char *const type_words[] = {"text", "a number", "true or false"};
    for (size_t i = 0; i < m->n_params; i++) {
        const asr_param *p = &m->params[i];
        if (strcmp(p->rule, r->id) != 0)
            continue;
        const asr_rule_param *rp = NULL;
        for (size_t k = 0; k < r->n_params; k++)
            if (strcmp(r->params[k].name, p->name) == 0)
                rp = &r->params[k];
        char path[200];
        snprintf(path, sizeof path, "params.%s.%s", p->rule, p->name);
        if (!rp) {
            const char *hint =
                asr_diag_full(d)
                    ? NULL
                    : asr_did_you_mean_ids(p->name, r->params, r->n_params, sizeof *r->params);
            asr_error(d, &p->loc, path, "rule '%s' has no parameter '%s'%s%s%s", r->id, p->name,
                      hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
        } else if (rp->type != p->type && rp->type != ASR_PARAM_STRING) {
            asr_error(d, &p->loc, path, "'%s' must be %s, like its default %s", p->value,
                      type_words[rp->type], rp->value);
        }
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int asr_rule_files(const char *dir, char ***files, size_t *count, char *err, size_t errsize)
{
    *files = NULL;
    *count = 0;
    DIR *dp = opendir(dir);
    if (!dp) {
        snprintf(err, errsize, "%s: cannot read the rules directory: %s", dir, strerror(errno));
        return -1;
    }
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".lua") != 0 || e->d_name[0] == '.')
            continue;
        if (*count == cap) {
            cap = cap ? cap * 2 : 32;
            *files = asr_xrealloc(*files, cap * sizeof **files);
        }
        asr_buf path = {0};
        asr_buf_addf(&path, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", e->d_name);
        (*files)[(*count)++] = path.data;
    }
    closedir(dp);
    if (*count > 1)
        qsort(*files, *count, sizeof **files, cmp_str);
    return 0;
}

void asr_rule_files_free(char **files, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(files[i]);
    free(files);
}

char *asr_rule_read(const char *file, size_t *len, char *err, size_t errsize)
{
    FILE *f = fopen(file, "rb");
    if (!f) {
        snprintf(err, errsize, "%s: cannot open: %s", file, strerror(errno));
        return NULL;
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        snprintf(err, errsize, "%s: not a regular file", file);
        fclose(f);
        return NULL;
    }
    if ((size_t)sb.st_size > ASR_RULE_MAX_SOURCE) {
        snprintf(err, errsize, "%s: rule file is %lld bytes; the limit is %u", file,
                 (long long)sb.st_size, ASR_RULE_MAX_SOURCE);
        fclose(f);
        return NULL;
    }
    char *text = asr_xmalloc((size_t)sb.st_size + 1);
    *len = fread(text, 1, (size_t)sb.st_size, f);
    text[*len] = '\0';
    fclose(f);
    return text;
}
