#include "ruleapi.h"

#include "mapstate.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "mapstate.h"
#include "wire.h"

#define MAX_SUBJECT 300
#define MAX_MESSAGE 2000
#define MAX_EVIDENCE 32
#define MAX_EVIDENCE_VALUE 1000
#define MAX_LOGS 200
#define MAX_LOG_BYTES 1000

static const char ctx_key = 'c'; /* registry key: address of this static */

static asr_ctx *ctx_of(lua_State *L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &ctx_key);
    asr_ctx *c = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return c;
}

/* ---- strict globals ---- */

/* Names a rule might reach for that are deliberately absent. */
static const char *const forbidden[] = {
    "io",     "os",         "debug",          "package",   "require", "load",   "loadfile",
    "dofile", "loadstring", "collectgarbage", "coroutine", "print",   "rawset", "warn",
    "module", "setfenv",    "getfenv",        "jit",       "ffi",     NULL};

static int global_index(lua_State *L)
{
    const char *name = lua_tostring(L, 2);
    if (!name)
        return luaL_error(L, "undefined global");
    for (size_t i = 0; forbidden[i]; i++)
        if (strcmp(forbidden[i], name) == 0)
            return luaL_error(L, ASR_SANDBOX_PREFIX "'%s' is not available to rules", name);
    return luaL_error(L, "undefined global '%s'", name);
}

void asr_ruleapi_strict_globals(lua_State *L)
{
    lua_pushglobaltable(L);
    lua_newtable(L);
    lua_pushcfunction(L, global_index);
    lua_setfield(L, -2, "__index");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_pop(L, 1);
}

/* ---- read-only tables ---- */

static int readonly_newindex(lua_State *L)
{
    return luaL_error(L, "the map and params are read-only");
}

/* The hidden table behind a read-only proxy: __index, or the upvalue of
 * the root's recording __index. */
static void push_hidden(lua_State *L, int proxy)
{
    lua_getmetatable(L, proxy);
    lua_getfield(L, -1, "__index");
    if (lua_type(L, -1) == LUA_TFUNCTION) {
        lua_getupvalue(L, -1, 1);
        lua_remove(L, -2);
    }
    lua_remove(L, -2);
}

static int readonly_len(lua_State *L)
{
    push_hidden(L, 1);
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, -1));
    return 1;
}

static int readonly_next(lua_State *L)
{
    lua_settop(L, 2);
    if (lua_next(L, lua_upvalueindex(1)))
        return 2;
    lua_pushnil(L);
    return 1;
}

/* pairs() on a read-only table walks the hidden table without handing it
 * out: the iterator keeps it as an upvalue. */
static int readonly_pairs(lua_State *L)
{
    push_hidden(L, 1);
    lua_pushcclosure(L, readonly_next, 1);
    lua_pushnil(L);
    lua_pushnil(L);
    return 3;
}

/* Replaces the table on top of the stack with a read-only proxy of it.
 * Tables inside must already be proxies. */
static void make_readonly(lua_State *L)
{
    lua_newtable(L);          /* proxy */
    lua_createtable(L, 0, 5); /* metatable */
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, readonly_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, readonly_len);
    lua_setfield(L, -2, "__len");
    lua_pushcfunction(L, readonly_pairs);
    lua_setfield(L, -2, "__pairs");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_remove(L, -2);
}

static void set_str(lua_State *L, const char *key, const char *value)
{
    if (!value)
        return;
    lua_pushstring(L, value);
    lua_setfield(L, -2, key);
}

static void set_int(lua_State *L, const char *key, long value)
{
    lua_pushinteger(L, value);
    lua_setfield(L, -2, key);
}

static void push_string_list(lua_State *L, char *const *items, size_t n)
{
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, items[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    make_readonly(L);
}

/* Each list: the items in map order, and a by-id table under `by_id`,
 * both read-only. The list table is on the stack: stores it as plural and
 * the index as singular in the map table below it. */
static void finish_list(lua_State *L, const char *plural, const char *singular, size_t n)
{
    /* stack: map, list (raw) ; build by-id from the list's proxies */
    lua_createtable(L, 0, (int)n);
    for (size_t i = 1; i <= n; i++) {
        lua_rawgeti(L, -2, (lua_Integer)i); /* item proxy */
        lua_getfield(L, -1, "id");
        lua_pushvalue(L, -2);
        lua_rawset(L, -4);
        lua_pop(L, 1);
    }
    make_readonly(L);
    lua_setfield(L, -3, singular);
    make_readonly(L);
    lua_setfield(L, -2, plural);
}

/* ---- ctx.map, built as it is read ---- */

/* Each list of ctx.map is built into the hidden root table the first time
 * a rule reads it: most rules read one or two of the eight, and building
 * all of them was most of a small worker's work. Each builder leaves the
 * list under its plural and singular names in the table on top. */
static void build_lines(lua_State *L, const asr_map *m)
{
    lua_createtable(L, (int)m->n_lines, 0);
    for (size_t i = 0; i < m->n_lines; i++) {
        lua_createtable(L, 0, 4);
        set_str(L, "id", m->lines[i].id);
        set_str(L, "name", m->lines[i].name);
        set_int(L, "independence", m->lines[i].independence);
        set_int(L, "position", (long)i + 1);
        make_readonly(L);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    finish_list(L, "lines", "line", m->n_lines);
}

static void build_principles(lua_State *L, const asr_map *m)
{
    lua_createtable(L, (int)m->n_principles, 0);
    for (size_t i = 0; i < m->n_principles; i++) {
        lua_createtable(L, 0, 2);
        set_str(L, "id", m->principles[i].id);
        set_str(L, "title", m->principles[i].title);
        make_readonly(L);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    finish_list(L, "principles", "principle", m->n_principles);
}

static void build_units(lua_State *L, const asr_map *m)
{
    lua_createtable(L, (int)m->n_units, 0);
    for (size_t i = 0; i < m->n_units; i++) {
        lua_createtable(L, 0, 4);
        set_str(L, "id", m->units[i].id);
        set_str(L, "name", m->units[i].name);
        set_str(L, "kind", m->units[i].kind);
        set_str(L, "parent", m->units[i].parent);
        make_readonly(L);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    finish_list(L, "units", "unit", m->n_units);
}

static void build_areas(lua_State *L, const asr_map *m)
{
    lua_createtable(L, (int)m->n_areas, 0);
    for (size_t i = 0; i < m->n_areas; i++) {
        const asr_area *a = &m->areas[i];
        lua_createtable(L, 0, 10);
        set_str(L, "id", a->id);
        set_str(L, "title", a->title);
        set_str(L, "description", a->description);
        set_str(L, "principle", a->principle);
        set_str(L, "unit", a->unit);
        set_str(L, "owner", a->owner);
        set_str(L, "required_assurance", a->required_assurance);
        lua_createtable(L, 0, 3);
        if (a->inherent)
            set_int(L, "inherent", a->inherent);
        if (a->residual)
            set_int(L, "residual", a->residual);
        if (a->target)
            set_int(L, "target", a->target);
        make_readonly(L);
        lua_setfield(L, -2, "risk");
        push_string_list(L, a->required_lines, a->n_required_lines);
        lua_setfield(L, -2, "required_lines");
        lua_createtable(L, 0, (int)a->n_max_age);
        for (size_t k = 0; k < a->n_max_age; k++)
            set_int(L, a->max_age[k].line, a->max_age[k].days);
        make_readonly(L);
        lua_setfield(L, -2, "max_age_days");
        make_readonly(L);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    finish_list(L, "areas", "area", m->n_areas);
}

static void build_sources(lua_State *L, const asr_map *m)
{
    lua_createtable(L, (int)m->n_sources, 0);
    for (size_t i = 0; i < m->n_sources; i++) {
        const asr_source *s = &m->sources[i];
        lua_createtable(L, 0, 10);
        set_str(L, "id", s->id);
        set_str(L, "title", s->title);
        set_str(L, "line", s->line);
        set_str(L, "provider", s->provider);
        set_str(L, "kind", s->kind);
        set_str(L, "owner", s->owner);
        set_str(L, "frequency", s->frequency);
        set_str(L, "status", s->status);
        set_str(L, "scale", s->scale);
        push_string_list(L, s->areas, s->n_areas);
        lua_setfield(L, -2, "areas");
        make_readonly(L);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    finish_list(L, "sources", "source", m->n_sources);
}

static void build_scales(lua_State *L, const asr_map *m)
{
    lua_createtable(L, (int)m->n_scales, 0);
    for (size_t i = 0; i < m->n_scales; i++) {
        const asr_scale *s = &m->scales[i];
        lua_createtable(L, 0, 3);
        set_str(L, "id", s->id);
        set_str(L, "title", s->title);
        lua_createtable(L, (int)s->n_labels, 1); /* labels in order */
        lua_createtable(L, 0, (int)s->n_labels); /* rank by label */
        for (size_t k = 0; k < s->n_labels; k++) {
            lua_createtable(L, 0, 2);
            set_str(L, "label", s->labels[k].label);
            set_int(L, "rank", s->labels[k].rank);
            make_readonly(L);
            lua_rawseti(L, -3, (lua_Integer)k + 1);
            set_int(L, s->labels[k].label, s->labels[k].rank);
        }
        make_readonly(L);
        lua_setfield(L, -3, "rank");
        make_readonly(L);
        lua_setfield(L, -2, "labels");
        make_readonly(L);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    finish_list(L, "scales", "scale", m->n_scales);
}

static void build_datasets(lua_State *L, const asr_map *m)
{
    lua_createtable(L, (int)m->n_datasets, 0);
    for (size_t i = 0; i < m->n_datasets; i++) {
        const asr_dataset *ds = &m->datasets[i];
        lua_createtable(L, 0, 4);
        set_str(L, "id", ds->id);
        set_str(L, "title", ds->title);
        lua_createtable(L, (int)ds->n_key, 0);
        for (size_t k = 0; k < ds->n_key; k++) {
            lua_pushstring(L, ds->fields[ds->key[k]].name);
            lua_rawseti(L, -2, (lua_Integer)k + 1);
        }
        make_readonly(L);
        lua_setfield(L, -2, "key");
        lua_createtable(L, (int)ds->n_fields, 0);
        for (size_t k = 0; k < ds->n_fields; k++) {
            const asr_field *f = &ds->fields[k];
            lua_createtable(L, 0, 8);
            set_str(L, "name", f->name);
            set_str(L, "header", f->header);
            set_str(L, "type", asr_ftype_name(f->type));
            lua_pushboolean(L, f->required);
            lua_setfield(L, -2, "required");
            lua_pushboolean(L, f->captured);
            lua_setfield(L, -2, "captured");
            set_str(L, "ref", asr_ref_name(f->ref));
            set_str(L, "scale", f->scale);
            push_string_list(L, f->values, f->n_values);
            lua_setfield(L, -2, "values");
            make_readonly(L);
            lua_rawseti(L, -2, (lua_Integer)k + 1);
        }
        make_readonly(L);
        lua_setfield(L, -2, "fields");
        make_readonly(L);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    finish_list(L, "datasets", "dataset", m->n_datasets);
}

/* ctx.map's fields: each list's plural and singular (by-id) names, the
 * map table an SQL query would read for it (so coverage treats
 * ctx.map.areas and SELECT ... FROM map_areas alike), and its builder
 * (none for the organisation, built with the root). */
static const struct map_field {
    const char *plural, *singular, *table;
    void (*build)(lua_State *, const asr_map *);
} map_fields[] = {{"areas", "area", "map_areas", build_areas},
                  {"sources", "source", "map_sources", build_sources},
                  {"lines", "line", "map_lines", build_lines},
                  {"principles", "principle", "map_principles", build_principles},
                  {"units", "unit", "map_units", build_units},
                  {"scales", "scale", "map_scales", build_scales},
                  {"datasets", "dataset", "map_datasets", build_datasets},
                  {"organisation", NULL, "map_organisation", NULL}};
#define N_MAP_FIELDS (sizeof map_fields / sizeof map_fields[0])

/* Builds field f's list into the hidden root (upvalue 1; the asr_map is
 * upvalue 2) unless it is there already. */
static void build_map_field(lua_State *L, const struct map_field *f)
{
    if (!f->build)
        return;
    int built = lua_getfield(L, lua_upvalueindex(1), f->plural) != LUA_TNIL;
    lua_pop(L, 1);
    if (built)
        return;
    lua_pushvalue(L, lua_upvalueindex(1));
    f->build(L, lua_touserdata(L, lua_upvalueindex(2)));
    lua_pop(L, 1);
}

/* __index of ctx.map: records the read, builds the list on first use.
 * Upvalues: the hidden root table, the asr_map. */
static int map_root_index(lua_State *L)
{
    asr_ctx *c = ctx_of(L);
    const char *key = lua_tostring(L, 2);
    for (size_t i = 0; key && i < N_MAP_FIELDS; i++)
        if (strcmp(map_fields[i].plural, key) == 0 ||
            (map_fields[i].singular && strcmp(map_fields[i].singular, key) == 0)) {
            if (c->reads)
                asr_strset_add(c->reads, map_fields[i].table, strlen(map_fields[i].table));
            build_map_field(L, &map_fields[i]);
            break;
        }
    lua_settop(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    return 1;
}

/* pairs(ctx.map) sees every list: builds those not yet read. */
static int map_root_pairs(lua_State *L)
{
    for (size_t i = 0; i < N_MAP_FIELDS; i++)
        build_map_field(L, &map_fields[i]);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushcclosure(L, readonly_next, 1);
    lua_pushnil(L);
    lua_pushnil(L);
    return 3;
}

/* Pushes ctx.map: a read-only root holding the organisation; the lists
 * come as they are read. m must outlive the Lua state. */
static void push_map(lua_State *L, const asr_map *m)
{
    lua_createtable(L, 0, 2 * (int)N_MAP_FIELDS);

    lua_createtable(L, 0, 2);
    set_str(L, "name", m->org_name);
    set_int(L, "fiscal_year_start", m->fy_start_month);
    make_readonly(L);
    lua_setfield(L, -2, "organisation");

    /* The root: read-only like the rest, but its __index records reads
     * and builds, and its __pairs builds everything first. */
    make_readonly(L);
    lua_getmetatable(L, -1); /* root, metatable */
    push_hidden(L, -2);      /* root, metatable, hidden */
    lua_pushvalue(L, -1);
    lua_pushlightuserdata(L, (void *)m);
    lua_pushcclosure(L, map_root_pairs, 2);
    lua_setfield(L, -3, "__pairs");
    lua_pushlightuserdata(L, (void *)m); /* root, metatable, hidden, m */
    lua_pushcclosure(L, map_root_index, 2);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}

/* ctx.params: the rule's defaults, overridden from the map. */
static void push_params(lua_State *L, const asr_rule *r, const asr_map *m)
{
    lua_newtable(L);
    for (size_t i = 0; i < r->n_params; i++) {
        const asr_rule_param *p = &r->params[i];
        const char *value = p->value;
        asr_param_type given = p->type;
        for (size_t k = 0; k < m->n_params; k++)
            if (strcmp(m->params[k].rule, r->id) == 0 && strcmp(m->params[k].name, p->name) == 0)
                value = m->params[k].value, given = m->params[k].type;
        if (p->type == ASR_PARAM_NUMBER && given == ASR_PARAM_NUMBER &&
            lua_stringtonumber(L, value) != 0) {
            /* pushed by lua_stringtonumber */
        } else if (p->type == ASR_PARAM_BOOLEAN) {
            lua_pushboolean(L, strcmp(value, "true") == 0);
        } else {
            lua_pushstring(L, value);
        }
        lua_setfield(L, -2, p->name);
    }
    make_readonly(L);
}

/* ---- queries ---- */

typedef struct {
    asr_query *q;
    int key_col; /* ctx:rows: the column naming the row in a failure message */
} query_box;

/* The column of a query's rows that names a row: the first one named as a
 * dataset's key field (action_id, engagement_id), else the first. */
static int naming_column(const asr_map *m, asr_query *q)
{
    int n = asr_query_columns(q);
    for (int i = 0; i < n; i++) {
        const char *name = asr_query_column_name(q, i);
        for (size_t d = 0; d < m->n_datasets; d++) {
            const asr_dataset *ds = &m->datasets[d];
            for (size_t k = 0; k < ds->n_key; k++)
                if (strcmp(ds->fields[ds->key[k]].name, name) == 0)
                    return i;
        }
    }
    return 0;
}

/* Remembers the row a ctx:rows loop has reached, so that a failure in the
 * loop's body can say where: "action_id = A-002". */
static void note_row(asr_ctx *c, const query_box *b)
{
    if (asr_query_columns(b->q) <= b->key_col) {
        c->row[0] = '\0';
        return;
    }
    size_t len = 0;
    const char *v = asr_query_column_type(b->q, b->key_col) == ASR_VNULL
                        ? "NULL"
                        : asr_query_column_text(b->q, b->key_col, &len);
    if (!len)
        len = strlen(v);
    snprintf(c->row, sizeof c->row, "%s = %.*s", asr_query_column_name(b->q, b->key_col),
             (int)(len > 100 ? 100 : len), v);
}

static int box_close(lua_State *L)
{
    query_box *b = lua_touserdata(L, 1);
    if (b && b->q) {
        asr_query_finalize(b->q);
        b->q = NULL;
    }
    return 0;
}

static const char box_meta = 'q';

/* Prepares SQL (argument 2) and binds arguments 3..top. Leaves a query box
 * on the stack; raises on error after freeing what it made. */
static query_box *prepare(lua_State *L, const char *what)
{
    asr_ctx *c = ctx_of(L);
    size_t len;
    const char *sql = luaL_checklstring(L, 2, &len);
    if (!c->ro)
        return luaL_error(L, "%s: no database is open here", what), NULL;
    int nargs = lua_gettop(L) - 2;
    query_box *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->q = NULL;
    b->key_col = 0;
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &box_meta) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_createtable(L, 0, 3);
        lua_pushcfunction(L, box_close);
        lua_setfield(L, -2, "__close");
        lua_pushcfunction(L, box_close);
        lua_setfield(L, -2, "__gc");
        lua_pushliteral(L, "locked");
        lua_setfield(L, -2, "__metatable");
        lua_pushvalue(L, -1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &box_meta);
    }
    lua_setmetatable(L, -2);
    const char *err;
    b->q = asr_query_prepare(c->ro, sql, len, &err);
    if (!b->q) {
        if (strstr(err, "not authorized"))
            return luaL_error(L, ASR_SANDBOX_PREFIX "%s: %s (rules may only read)", what, err),
                   NULL;
        return luaL_error(L, "%s: %s", what, err), NULL;
    }
    b->key_col = naming_column(c->map, b->q);
    int want = asr_query_param_count(b->q);
    if (want != nargs)
        return luaL_error(L, "%s: the SQL has %d parameter%s but %d value%s given", what, want,
                          want == 1 ? "" : "s", nargs, nargs == 1 ? " was" : "s were"),
               NULL;
    for (int i = 1; i <= nargs; i++) {
        int idx = 2 + i;
        switch (lua_type(L, idx)) {
        case LUA_TNIL:
            asr_query_bind_null(b->q, i);
            break;
        case LUA_TBOOLEAN:
            asr_query_bind_int(b->q, i, lua_toboolean(L, idx));
            break;
        case LUA_TNUMBER:
            if (lua_isinteger(L, idx))
                asr_query_bind_int(b->q, i, lua_tointeger(L, idx));
            else
                asr_query_bind_real(b->q, i, lua_tonumber(L, idx));
            break;
        case LUA_TSTRING: {
            size_t sl;
            const char *s = lua_tolstring(L, idx, &sl);
            asr_query_bind_text(b->q, i, s, sl);
            break;
        }
        default:
            return luaL_error(L,
                              "%s: value %d is a %s; only nil, booleans, numbers and text "
                              "can be bound",
                              what, i, luaL_typename(L, idx)),
                   NULL;
        }
    }
    return b;
}

/* Steps once: pushes a row table (or the single value when one_value and
 * there is one column) and returns 1, or returns 0 when done. */
static int step(lua_State *L, query_box *b, const char *what, int one_value)
{
    asr_ctx *c = ctx_of(L);
    const char *err;
    int interrupted;
    int r = asr_query_step(b->q, &err, &interrupted);
    if (r == 0)
        return 0;
    if (r < 0) {
        if (interrupted)
            asr_sandbox_set_spent(c->sb, ASR_SPENT_TIME);
        char msg[300];
        snprintf(msg, sizeof msg, "%s", err);
        asr_query_finalize(b->q);
        b->q = NULL;
        return luaL_error(L, "%s: %s", what, interrupted ? "stopped: time budget spent" : msg);
    }
    int n = asr_query_columns(b->q);
    if (!one_value || n != 1)
        lua_createtable(L, 0, n);
    for (int i = 0; i < n; i++) {
        switch (asr_query_column_type(b->q, i)) {
        case ASR_VNULL:
            if (one_value && n == 1)
                lua_pushnil(L);
            else
                continue;
            break;
        case ASR_VINT:
            lua_pushinteger(L, asr_query_column_int(b->q, i));
            break;
        case ASR_VREAL:
            lua_pushnumber(L, asr_query_column_real(b->q, i));
            break;
        case ASR_VTEXT: {
            size_t len;
            const char *t = asr_query_column_text(b->q, i, &len);
            lua_pushlstring(L, t, len);
            break;
        }
        }
        if (!one_value || n != 1)
            lua_setfield(L, -2, asr_query_column_name(b->q, i));
    }
    return 1;
}

static int rows_iter(lua_State *L)
{
    query_box *b = lua_touserdata(L, lua_upvalueindex(1));
    asr_ctx *c = ctx_of(L);
    c->row[0] = '\0';
    if (!b->q)
        return 0;
    if (step(L, b, "rows", 0)) {
        note_row(c, b);
        return 1;
    }
    asr_query_finalize(b->q);
    b->q = NULL;
    return 0;
}

/* ctx:rows(sql, ...) -> iterator over row tables. [-?, +4, e] */
static int api_rows(lua_State *L)
{
    prepare(L, "rows");
    lua_pushvalue(L, -1);
    lua_pushcclosure(L, rows_iter, 1);
    lua_pushnil(L);
    lua_pushnil(L);
    lua_pushvalue(L, -4); /* the box again, as the loop's closing value */
    return 4;
}

/* ctx:one(sql, ...) -> first row, its only value, or nil. [-?, +1, e] */
static int api_one(lua_State *L)
{
    query_box *b = prepare(L, "one");
    int got = step(L, b, "one", 1);
    if (b->q) {
        asr_query_finalize(b->q);
        b->q = NULL;
    }
    if (!got)
        lua_pushnil(L);
    return 1;
}

/* One text value from a query of the rule's connection made here (not by
 * the rule), or NULL: no such table, no row, or NULL. Pushed on the stack
 * while alive; the caller pops it. */
static const char *one_text(lua_State *L, asr_ctx *c, const char *sql, const char *arg)
{
    const char *err;
    asr_query *q = c->ro ? asr_query_prepare(c->ro, sql, strlen(sql), &err) : NULL;
    if (!q) {
        lua_pushnil(L);
        return NULL;
    }
    if (arg)
        asr_query_bind_text(q, 1, arg, strlen(arg));
    int interrupted = 0;
    if (asr_query_step(q, &err, &interrupted) == 1 && asr_query_column_type(q, 0) != ASR_VNULL) {
        size_t len;
        const char *t = asr_query_column_text(q, 0, &len);
        lua_pushlstring(L, t, len);
    } else {
        lua_pushnil(L);
    }
    asr_query_finalize(q);
    if (interrupted) {
        asr_sandbox_set_spent(c->sb, ASR_SPENT_TIME);
        luaL_error(L, "stopped: time budget spent");
    }
    return lua_tostring(L, -1);
}

/* ctx:previous(dataset) -> table name, as-of date | nil: where the rows the
 * dataset held before its latest import are (the previous snapshot), and
 * the date of that data. nil when no import has replaced it yet. [-0, +2|1, e] */
static int api_previous(lua_State *L)
{
    asr_ctx *c = ctx_of(L);
    const char *id = luaL_checkstring(L, 2);
    if (!asr_map_dataset(c->map, id))
        return luaL_error(L, "previous: the map declares no dataset '%s'", id);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT max(_snapshot) FROM \"history_%s\"", id);
    const char *as_of = one_text(L, c, sql, NULL);
    if (!as_of)
        return 1; /* nil */
    lua_pushfstring(L, "previous_%s", id);
    lua_insert(L, -2);
    return 2;
}

/* ctx:age(subject) -> days | nil: how long this rule has flagged subject,
 * from the first recorded run that had the finding to the as-of date. nil
 * when no recorded run had it. [-0, +1, e] */
static int api_age(lua_State *L)
{
    asr_ctx *c = ctx_of(L);
    size_t len;
    const char *subject = luaL_checklstring(L, 2, &len);
    char fp[17];
    asr_finding_fingerprint(c->rule->id, subject, len, fp);
    const char *first =
        one_text(L, c, "SELECT first_seen FROM assure_findings WHERE fingerprint = ?1", fp);
    asr_date a, b;
    if (!first || asr_date_parse(first, strlen(first), NULL, &a) ||
        asr_date_parse(c->as_of, strlen(c->as_of), NULL, &b)) {
        lua_pushnil(L);
        return 1;
    }
    lua_pop(L, 1);
    int64_t days = asr_date_to_days(b) - asr_date_to_days(a);
    lua_pushinteger(L, days < 0 ? 0 : days);
    return 1;
}

/* ctx:captured(dataset, field) -> boolean: whether this organisation keeps
 * the field (the map did not declare it captured: false). A rule stays quiet
 * about a field nobody keeps instead of flagging every row for lacking it.
 * [-0, +1, e] */
static int api_captured(lua_State *L)
{
    asr_ctx *c = ctx_of(L);
    const char *id = luaL_checkstring(L, 2);
    const char *name = luaL_checkstring(L, 3);
    const asr_dataset *ds = asr_map_dataset(c->map, id);
    if (!ds)
        return luaL_error(L, "captured: the map declares no dataset '%s'", id);
    for (size_t k = 0; k < ds->n_fields; k++)
        if (strcmp(ds->fields[k].name, name) == 0) {
            lua_pushboolean(L, ds->fields[k].captured);
            return 1;
        }
    for (size_t k = 0; k < ds->n_computed; k++)
        if (strcmp(ds->computed[k].name, name) == 0) {
            lua_pushboolean(L, 1);
            return 1;
        }
    return luaL_error(L, "captured: dataset '%s' has no field '%s'", id, name);
}

/* Whether dataset ds has a field or computed column of this name. */
static int has_column(const asr_dataset *ds, const char *name)
{
    for (size_t k = 0; k < ds->n_fields; k++)
        if (strcmp(ds->fields[k].name, name) == 0)
            return 1;
    for (size_t k = 0; k < ds->n_computed; k++)
        if (strcmp(ds->computed[k].name, name) == 0)
            return 1;
    return 0;
}

/* ctx:latest(dataset, date_field, group_field...) -> SQL text: a subquery
 * of the dataset's rows that are, within each group (rows with the same
 * values of the group fields, empty ones alike), the latest on or before
 * the as-of date by date_field -- "each provider's latest report". For use
 * in FROM; its columns are the dataset's. [-0, +1, e] */
static int api_latest(lua_State *L)
{
    asr_ctx *c = ctx_of(L);
    const char *id = luaL_checkstring(L, 2);
    const char *date = luaL_checkstring(L, 3);
    const asr_dataset *ds = asr_map_dataset(c->map, id);
    if (!ds)
        return luaL_error(L, "latest: the map declares no dataset '%s'", id);
    int n = lua_gettop(L);
    for (int i = 3; i <= n; i++)
        if (!has_column(ds, luaL_checkstring(L, i)))
            return luaL_error(L, "latest: dataset '%s' has no field '%s'", id, lua_tostring(L, i));
    /* Dataset ids and field names are checked names (no quote can be in
     * them) and the as-of date is YYYY-MM-DD: they go into the SQL as they are. */
    asr_buf b = {0};
    asr_buf_addf(&b,
                 "(SELECT * FROM \"%s\" t WHERE t.\"%s\" <= '%s' AND t.\"%s\" = "
                 "(SELECT max(u.\"%s\") FROM \"%s\" u WHERE u.\"%s\" <= '%s'",
                 id, date, c->as_of, date, date, id, date, c->as_of);
    for (int i = 4; i <= n; i++) {
        const char *g = lua_tostring(L, i);
        asr_buf_addf(&b, " AND coalesce(u.\"%s\", '') = coalesce(t.\"%s\", '')", g, g);
    }
    asr_buf_adds(&b, "))");
    lua_pushlstring(L, b.data, b.len);
    asr_buf_free(&b);
    return 1;
}

/* ---- findings ---- */

static const char *const flag_keys[] = {"subject", "message",  "severity",  "unit",
                                        "area",    "line",     "principle", "owner",
                                        "due",     "evidence", "rows",      NULL};

/* Pushes the flag table's (raw) field key and returns it as text, or NULL
 * when absent. The value stays on the stack, so the text stays alive. */
static const char *flag_text(lua_State *L, int t, const char *key, size_t *len)
{
    lua_pushstring(L, key);
    int type = lua_rawget(L, t);
    *len = 0;
    if (type == LUA_TNIL)
        return NULL;
    if (type != LUA_TSTRING && type != LUA_TNUMBER)
        luaL_error(L, "flag: %s must be text, not a %s", key, lua_typename(L, type));
    return lua_tolstring(L, -1, len); /* numbers become text in place */
}

static void check_ref(lua_State *L, asr_ctx *c, const char *who, const char *key, const char *id)
{
    if (!id)
        return;
    asr_ref r = strcmp(key, "unit") == 0   ? ASR_REF_UNITS
                : strcmp(key, "area") == 0 ? ASR_REF_AREAS
                : strcmp(key, "line") == 0 ? ASR_REF_LINES
                                           : ASR_REF_PRINCIPLES;
    if (!c->have_ids[r]) {
        asr_map_ref_ids(c->map, r, &c->ids[r]);
        c->have_ids[r] = 1;
    }
    if (!asr_strset_has(&c->ids[r], id, strlen(id)))
        luaL_error(L, "%s: %s '%s' is not in the map", who, key, id);
}

typedef struct {
    const char *k, *v;
    size_t vl;
    char t; /* ASR_EV_* */
} kv;

/* The type of an evidence text: a date when it is one (YYYY-MM-DD). */
static char text_type(const char *v, size_t len)
{
    asr_date d;
    return len == 10 && !asr_date_parse(v, len, NULL, &d) ? ASR_EV_DATE : ASR_EV_STRING;
}

/* The parts of the map a finding's rows may name instead of a dataset. */
static int is_map_table(const char *ds)
{
    static const char *const tables[] = {"map.areas",      "map.sources", "map.units",
                                         "map.principles", "map.lines",   NULL};
    for (int i = 0; tables[i]; i++)
        if (strcmp(ds, tables[i]) == 0)
            return 1;
    return 0;
}

/* The rule's parameters in effect -- its defaults, overridden from the map,
 * typed as ctx.params gives them -- packed once per rule. */
static const asr_buf *params_packed(asr_ctx *c)
{
    if (c->have_params)
        return &c->params;
    c->have_params = 1;
    const asr_rule *r = c->rule;
    for (size_t i = 0; i < r->n_params; i++) {
        const asr_rule_param *p = &r->params[i];
        const char *value = p->value;
        asr_param_type given = p->type;
        for (size_t k = 0; k < c->map->n_params; k++)
            if (strcmp(c->map->params[k].rule, r->id) == 0 &&
                strcmp(c->map->params[k].name, p->name) == 0)
                value = c->map->params[k].value, given = c->map->params[k].type;
        char t = ASR_EV_STRING;
        if (p->type == ASR_PARAM_NUMBER && given == ASR_PARAM_NUMBER) {
            char *end;
            double x = strtod(value, &end);
            if (*value && !*end && x == x && x - x == 0) /* a finite number */
                t = strpbrk(value, ".eE") ? ASR_EV_NUMBER : ASR_EV_INTEGER;
        } else if (p->type == ASR_PARAM_BOOLEAN) {
            t = ASR_EV_BOOLEAN;
            value = strcmp(value, "true") == 0 ? "true" : "false";
        }
        asr_finding_pack(&c->params, p->name, strlen(p->name), t, value, strlen(value));
    }
    return &c->params;
}

static int cmp_kv(const void *a, const void *b)
{
    return strcmp(((const kv *)a)->k, ((const kv *)b)->k);
}

/* Checks one finding's fields and queues it for the parent. v[0..9) are the
 * flag_keys values (NULL when absent), ev the evidence sorted by name.
 * who names the caller in messages. Raises on a bad field or a spent budget. */
static int emit_finding(lua_State *L, asr_ctx *c, const char *const *v, const size_t *len,
                        const kv *ev, size_t nev, const kv *rows, size_t nrows, long rows_total,
                        const char *who)
{
    static const size_t limits[9] = {MAX_SUBJECT, MAX_MESSAGE, 16, 100, 100, 100, 100, 300, 10};
    for (int i = 0; i < 9; i++)
        if (v[i] && len[i] > limits[i])
            return luaL_error(L, "%s: %s is longer than %d bytes", who, flag_keys[i],
                              (int)limits[i]);
    if (!v[0] || !len[0])
        return luaL_error(L, "%s: subject is required (what the finding is about)", who);
    if (!v[1] || !len[1])
        return luaL_error(L, "%s: message is required", who);
    if (v[2] && strcmp(v[2], asr_severity_names[asr_severity_index(v[2])]) != 0)
        return luaL_error(L, "%s: severity must be 'high', 'medium' or 'low', not '%s'", who, v[2]);
    check_ref(L, c, who, "unit", v[3]);
    check_ref(L, c, who, "area", v[4]);
    check_ref(L, c, who, "line", v[5]);
    check_ref(L, c, who, "principle", v[6]);
    if (v[8]) {
        asr_date d;
        const char *why = asr_date_parse(v[8], len[8], NULL, &d);
        if (why)
            return luaL_error(L, "%s: due '%s': %s", who, v[8], why);
    }
    /* The fingerprint: the same rule flagging the same subject gives the same
     * one in every run. */
    char fingerprint[17];
    asr_finding_fingerprint(c->rule->id, v[0], len[0], fingerprint);
    asr_wire_begin(&c->msg, 'F');
    for (int i = 0; i < 9; i++)
        asr_wire_add(&c->msg, v[i] ? v[i] : "", v[i] ? len[i] : 0);
    asr_wire_add(&c->msg, fingerprint, 16);
    for (int i = 10; i < 15; i++)
        asr_wire_add(&c->msg, "", 0); /* state, first seen, age, waiver: the classifier's */
    char total[24] = "";
    if (rows_total > 0)
        snprintf(total, sizeof total, "%ld", rows_total);
    asr_wire_adds(&c->msg, c->as_of);
    asr_wire_adds(&c->msg, total);
    const asr_buf *par = params_packed(c);
    asr_wire_add(&c->msg, par->data ? par->data : "", par->len);
    asr_buf_clear(&c->list);
    for (size_t i = 0; i < nrows && i < ASR_FINDING_MAX_ROWS; i++)
        asr_finding_pack(&c->list, rows[i].k, strlen(rows[i].k), ASR_EV_STRING, rows[i].v,
                         rows[i].vl);
    asr_wire_add(&c->msg, c->list.data ? c->list.data : "", c->list.len);
    asr_buf_clear(&c->list);
    for (size_t i = 0; i < nev; i++)
        asr_finding_pack(&c->list, ev[i].k, strlen(ev[i].k), ev[i].t, ev[i].v, ev[i].vl);
    asr_wire_add(&c->msg, c->list.data ? c->list.data : "", c->list.len);
    c->findings++;
    c->bytes += c->msg.len;
    if (c->findings > c->budget.max_findings || c->bytes > c->budget.max_bytes) {
        c->output_exceeded = 1;
        asr_sandbox_set_spent(c->sb, ASR_SPENT_OUTPUT); /* no pcall can swallow it */
        return luaL_error(L, "%s: output budget spent (at most %d findings and %d bytes)", who,
                          (int)c->budget.max_findings, (int)c->budget.max_bytes);
    }
    if (asr_heldsort_add(&c->held, c->msg.data, c->msg.len) != 0) {
        c->held_failed = 1;
        asr_sandbox_set_spent(c->sb, ASR_SPENT_OUTPUT); /* no pcall can swallow it */
        return luaL_error(L, "%s: %s", who, asr_heldsort_error(&c->held));
    }
    return 0;
}

/* ctx:flag{subject=..., message=..., ...} [-0, +0, e] */
static int api_flag(lua_State *L)
{
    asr_ctx *c = ctx_of(L);
    luaL_checktype(L, 2, LUA_TTABLE);
    if (c->output_exceeded)
        return luaL_error(L, "flag: output budget spent");
    lua_pushnil(L);
    while (lua_next(L, 2)) {
        lua_pop(L, 1);
        const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        size_t i = 0;
        while (k && flag_keys[i] && strcmp(flag_keys[i], k) != 0)
            i++;
        if (!k || !flag_keys[i]) {
            const char *hint = k ? asr_did_you_mean(k, flag_keys) : NULL;
            return luaL_error(L, "flag: unknown field %s%s%s%s%s", k ? "'" : "",
                              k ? k : "(not a name)", k ? "'" : "", hint ? "; did you mean " : "",
                              hint ? hint : "");
        }
    }
    size_t len[9];
    const char *v[9];
    lua_settop(L, 2);
    luaL_checkstack(L, 20, "flag");
    for (int i = 0; i < 9; i++)
        v[i] = flag_text(L, 2, flag_keys[i], &len[i]); /* values at 3..11 */
    kv ev[MAX_EVIDENCE];
    size_t nev = 0;
    lua_pushliteral(L, "evidence");
    int et = lua_rawget(L, 2);
    if (et != LUA_TNIL && et != LUA_TTABLE)
        return luaL_error(L, "flag: evidence must be a table of name = value");
    if (et == LUA_TTABLE) {
        /* First the names (alive as keys of the table), then each value
         * pushed on the stack, where a number can become text safely. */
        int e = lua_gettop(L);
        lua_pushnil(L);
        while (lua_next(L, e)) {
            lua_pop(L, 1);
            if (lua_type(L, -1) != LUA_TSTRING)
                return luaL_error(L, "flag: evidence keys must be names");
            if (nev == MAX_EVIDENCE)
                return luaL_error(L, "flag: at most %d evidence items", MAX_EVIDENCE);
            ev[nev++].k = lua_tostring(L, -1);
        }
        luaL_checkstack(L, MAX_EVIDENCE + 2, "flag");
        for (size_t i = 0; i < nev; i++) {
            lua_pushstring(L, ev[i].k);
            int vt = lua_rawget(L, e);
            if (vt == LUA_TBOOLEAN) {
                ev[i].t = ASR_EV_BOOLEAN;
                lua_pushstring(L, lua_toboolean(L, -1) ? "true" : "false");
                lua_replace(L, -2);
            } else if (vt == LUA_TNUMBER) {
                ev[i].t = lua_isinteger(L, -1) ? ASR_EV_INTEGER : ASR_EV_NUMBER;
                lua_Number x = lua_tonumber(L, -1);
                if (x != x || x - x != 0)
                    return luaL_error(L, "flag: evidence '%s' must be a finite number", ev[i].k);
            } else if (vt != LUA_TSTRING) {
                return luaL_error(L, "flag: evidence '%s' must be text, a number or a boolean",
                                  ev[i].k);
            }
            ev[i].v = lua_tolstring(L, -1, &ev[i].vl);
            if (vt == LUA_TSTRING)
                ev[i].t = text_type(ev[i].v, ev[i].vl);
            if (ev[i].vl > MAX_EVIDENCE_VALUE)
                return luaL_error(L, "flag: evidence '%s' is longer than %d bytes", ev[i].k,
                                  MAX_EVIDENCE_VALUE);
        }
        qsort(ev, nev, sizeof *ev, cmp_kv);
    }
    kv rows[ASR_FINDING_MAX_ROWS];
    size_t nrows = 0;
    long rows_total = 0;
    lua_pushliteral(L, "rows");
    int rt = lua_rawget(L, 2);
    if (rt != LUA_TNIL && rt != LUA_TTABLE)
        return luaL_error(L, "flag: rows must be a list of {dataset, key}");
    if (rt == LUA_TTABLE) {
        int t = lua_gettop(L);
        lua_Integer n = (lua_Integer)lua_rawlen(L, t);
        if (n == 0) {
            lua_pushnil(L);
            if (lua_next(L, t))
                return luaL_error(L, "flag: rows must be a list of {dataset, key}, not a "
                                     "table of names");
        }
        luaL_checkstack(L, 3 * ASR_FINDING_MAX_ROWS + 4, "flag");
        for (lua_Integer i = 1; i <= n; i++) {
            if (lua_rawgeti(L, t, i) != LUA_TTABLE)
                return luaL_error(L, "flag: rows[%d] must be {dataset, key}", (int)i);
            int r = lua_gettop(L);
            if (lua_rawgeti(L, r, 1) == LUA_TNIL) {
                lua_pop(L, 1);
                lua_getfield(L, r, "dataset");
            }
            if (lua_rawgeti(L, r, 2) == LUA_TNIL) {
                lua_pop(L, 1);
                lua_getfield(L, r, "key");
            }
            if (lua_type(L, -2) != LUA_TSTRING ||
                (lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER))
                return luaL_error(L, "flag: rows[%d] must be {dataset, key} (text)", (int)i);
            const char *ds = lua_tostring(L, -2);
            if (!asr_map_dataset(c->map, ds) && !is_map_table(ds))
                return luaL_error(L,
                                  "flag: rows[%d]: the map declares no dataset '%s' (rows of the "
                                  "map itself are map.areas, map.sources, map.units, "
                                  "map.principles or map.lines)",
                                  (int)i, ds);
            rows_total++;
            if (nrows == ASR_FINDING_MAX_ROWS) {
                lua_settop(L, r - 1); /* counted, not listed */
                continue;
            }
            rows[nrows].k = ds;
            rows[nrows].v = lua_tolstring(L, -1, &rows[nrows].vl); /* stays on the stack */
            if (rows[nrows].vl > MAX_EVIDENCE_VALUE)
                return luaL_error(L, "flag: rows[%d]: key is longer than %d bytes", (int)i,
                                  MAX_EVIDENCE_VALUE);
            nrows++;
        }
    }
    return emit_finding(L, c, v, len, ev, nev, rows, nrows, rows_total, "flag");
}

/* ctx:flag_rows(sql, ...) -> number of findings. Every row the query returns
 * is a finding, made here in C without a Lua call per row: the columns named
 * subject, message, severity, unit, area, line, principle, owner and due fill
 * those fields, and columns named evidence_<name> become evidence <name>.
 * NULL leaves a field out. The same checks as ctx:flag apply. [-?, +1, e] */
static int api_flag_rows(lua_State *L)
{
    asr_ctx *c = ctx_of(L);
    if (c->output_exceeded)
        return luaL_error(L, "flag_rows: output budget spent");
    query_box *b = prepare(L, "flag_rows");
    int ncol = asr_query_columns(b->q);
    int field_col[9];
    int ev_col[MAX_EVIDENCE], row_col[ASR_FINDING_MAX_ROWS];
    size_t nev = 0, nrowcol = 0;
    for (int k = 0; k < 9; k++)
        field_col[k] = -1;
    for (int i = 0; i < ncol; i++) {
        const char *name = asr_query_column_name(b->q, i);
        int k = 0;
        while (k < 9 && strcmp(flag_keys[k], name) != 0)
            k++;
        if (k < 9) {
            field_col[k] = i;
        } else if (strncmp(name, "evidence_", 9) == 0 && name[9] && nev < MAX_EVIDENCE) {
            ev_col[nev++] = i;
        } else if (strncmp(name, "row_", 4) == 0 && asr_map_dataset(c->map, name + 4) &&
                   nrowcol < ASR_FINDING_MAX_ROWS) {
            row_col[nrowcol++] = i;
        } else {
            const char *hint = asr_did_you_mean(name, flag_keys);
            return luaL_error(L,
                              "flag_rows: column '%s' is not a finding field (subject, message, "
                              "severity, unit, area, line, principle, owner, due, "
                              "evidence_<name> or row_<dataset>)%s%s",
                              name, hint ? "; did you mean " : "", hint ? hint : "");
        }
    }
    if (field_col[0] < 0 || field_col[1] < 0)
        return luaL_error(L, "flag_rows: the query needs columns named subject and message");
    /* Evidence goes out sorted by name, as ctx:flag sends it. */
    for (size_t i = 1; i < nev; i++)
        for (size_t j = i; j > 0 && strcmp(asr_query_column_name(b->q, ev_col[j - 1]),
                                           asr_query_column_name(b->q, ev_col[j])) > 0;
             j--) {
            int t = ev_col[j];
            ev_col[j] = ev_col[j - 1];
            ev_col[j - 1] = t;
        }
    lua_Integer count = 0;
    for (;;) {
        const char *err;
        int interrupted;
        int r = asr_query_step(b->q, &err, &interrupted);
        if (r == 0)
            break;
        if (r < 0) {
            if (interrupted)
                asr_sandbox_set_spent(c->sb, ASR_SPENT_TIME);
            return luaL_error(L, "flag_rows: %s", interrupted ? "stopped: time budget spent" : err);
        }
        const char *v[9];
        size_t len[9];
        for (int k = 0; k < 9; k++) {
            v[k] = NULL;
            len[k] = 0;
            int col = field_col[k];
            if (col >= 0 && asr_query_column_type(b->q, col) != ASR_VNULL)
                v[k] = asr_query_column_text(b->q, col, &len[k]);
        }
        kv ev[MAX_EVIDENCE];
        size_t n = 0;
        for (size_t e = 0; e < nev; e++) {
            asr_vtype vt = asr_query_column_type(b->q, ev_col[e]);
            ev[n].k = asr_query_column_name(b->q, ev_col[e]) + 9;
            if (vt == ASR_VNULL) {
                ev[n].v = "";
                ev[n].vl = 0;
                ev[n++].t = ASR_EV_NULL;
                continue;
            }
            ev[n].v = asr_query_column_text(b->q, ev_col[e], &ev[n].vl);
            if (ev[n].vl > MAX_EVIDENCE_VALUE)
                return luaL_error(L, "flag_rows: evidence '%s' is longer than %d bytes", ev[n].k,
                                  MAX_EVIDENCE_VALUE);
            ev[n].t = vt == ASR_VINT ? ASR_EV_INTEGER
                      : vt == ASR_VREAL && !strpbrk(ev[n].v, "IN")
                          ? ASR_EV_NUMBER /* not Inf, NaN */
                      : vt == ASR_VREAL ? ASR_EV_STRING
                                        : text_type(ev[n].v, ev[n].vl);
            n++;
        }
        kv rows[ASR_FINDING_MAX_ROWS];
        size_t nrows = 0;
        for (size_t k = 0; k < nrowcol; k++) {
            if (asr_query_column_type(b->q, row_col[k]) == ASR_VNULL)
                continue;
            rows[nrows].k = asr_query_column_name(b->q, row_col[k]) + 4;
            rows[nrows].v = asr_query_column_text(b->q, row_col[k], &rows[nrows].vl);
            if (rows[nrows].vl > MAX_EVIDENCE_VALUE)
                return luaL_error(L, "flag_rows: %s key is longer than %d bytes", rows[nrows].k,
                                  MAX_EVIDENCE_VALUE);
            nrows++;
        }
        emit_finding(L, c, v, len, ev, n, rows, nrows, (long)nrows, "flag_rows");
        count++;
    }
    asr_query_finalize(b->q);
    b->q = NULL;
    lua_pushinteger(L, count);
    return 1;
}

/* ctx:log(...) [-0, +0, e] */
static int api_log(lua_State *L)
{
    asr_ctx *c = ctx_of(L);
    if (c->logs >= MAX_LOGS) {
        c->logs_dropped++;
        return 0;
    }
    asr_buf line = {0};
    int n = lua_gettop(L);
    for (int i = 2; i <= n; i++) {
        char buf[MAX_LOG_BYTES];
        if (i > 2)
            asr_buf_addc(&line, ' ');
        switch (lua_type(L, i)) {
        case LUA_TSTRING:
        case LUA_TNUMBER:
            lua_pushvalue(L, i);
            lua_tolstring(L, -1, NULL); /* a number becomes text in the copy */
            asr_buf_adds(&line, asr_sandbox_describe(L, -1, buf, sizeof buf));
            lua_pop(L, 1);
            break;
        case LUA_TBOOLEAN:
            asr_buf_adds(&line, lua_toboolean(L, i) ? "true" : "false");
            break;
        case LUA_TNIL:
            asr_buf_adds(&line, "nil");
            break;
        default:
            asr_buf_addf(&line, "(%s)", luaL_typename(L, i));
        }
        if (line.len > MAX_LOG_BYTES)
            break;
    }
    if (line.len > MAX_LOG_BYTES)
        line.len = MAX_LOG_BYTES;
    c->logs++;
    asr_wire_begin(&c->msg, 'L');
    asr_wire_add(&c->msg, line.data ? line.data : "", line.len);
    asr_buf_free(&line);
    if (c->out_fd >= 0)
        asr_buf_add(&c->out, c->msg.data, c->msg.len);
    return 0;
}

/* Sends block -- ASR_WIRE_ONE_HEADER reserved bytes, then formatted
 * findings -- as one message of the type ('B', or 'V' for waived findings),
 * after anything queued before it, and empties it for the next. */
static int send_block(asr_ctx *c, asr_buf *block, char type)
{
    asr_wire_frame_one(block, type);
    int rc = asr_ctx_flush(c);
    if (rc == 0 && c->out_fd >= 0)
        rc = asr_wire_send(c->out_fd, block);
    block->len = ASR_WIRE_ONE_HEADER;
    return rc;
}

static const char no_header[ASR_WIRE_ONE_HEADER];

/* The classifier's note, if it has one, as a 'K' message. */
static void send_note(asr_ctx *c)
{
    if (!c->classifier || !c->classifier->finish)
        return;
    asr_buf note = {0};
    c->classifier->finish(c->classifier, &note);
    if (note.len) {
        asr_wire_begin(&c->msg, 'K');
        asr_wire_add(&c->msg, note.data, note.len);
        asr_buf_add(&c->out, c->msg.data, c->msg.len);
    }
    asr_buf_free(&note);
}

/* The next held finding in order: 1 (m, len set), 0 at the end, -1 when
 * the held file failed (held_failed set; its reason in the heldsort). */
static int next_held(asr_ctx *c, const char **m, size_t *len)
{
    int got = asr_heldsort_next(&c->held, m, len);
    if (got < 0)
        c->held_failed = 1;
    return got;
}

/* Decodes the held finding m into f, whose strings point into text. */
static void decode_held(const char *m, size_t len, asr_buf *text, asr_finding *f)
{
    asr_wire_msg w;
    asr_wire_parse(m, len, &w);
    asr_buf_clear(text);
    asr_buf_reserve(text, asr_finding_decode_size(&w));
    asr_finding_decode(&w, text->data, f);
}

static int send_formatted(asr_ctx *c)
{
    asr_finding f;
    asr_buf text = {0}, block = {0}, waived = {0}; /* text: the decoded finding, reused */
    size_t by_severity[ASR_N_SEVERITIES] = {0, 0, 0}, n_waived = 0;
    int rc = 0;
    asr_buf_add(&block, no_header, sizeof no_header);
    asr_buf_add(&waived, no_header, sizeof no_header);
    const char *held;
    size_t held_len;
    int got;
    while (rc == 0 && (got = next_held(c, &held, &held_len)) != 0) {
        if (got < 0) {
            rc = -1;
            break;
        }
        decode_held(held, held_len, &text, &f);
        if (c->classifier)
            c->classifier->classify(c->classifier, c->rule, &f);
        if (f.waived) {
            /* reported apart, and not counted */
            n_waived++;
            c->sink->write(c->sink, &waived, c->rule, &f);
            if (waived.len >= (64u << 10))
                rc = send_block(c, &waived, 'V');
            continue;
        }
        by_severity[asr_severity_index(asr_finding_severity(&f, c->rule))]++;
        c->sink->write(c->sink, &block, c->rule, &f);
        if (block.len >= (64u << 10))
            rc = send_block(c, &block, 'B');
    }
    if (rc == 0 && block.len > ASR_WIRE_ONE_HEADER)
        rc = send_block(c, &block, 'B');
    if (rc == 0 && waived.len > ASR_WIRE_ONE_HEADER)
        rc = send_block(c, &waived, 'V');
    asr_buf_free(&text);
    asr_buf_free(&block);
    asr_buf_free(&waived);
    if (rc != 0)
        return rc;
    char num[5][24];
    snprintf(num[0], sizeof num[0], "%zu", asr_heldsort_count(&c->held) - n_waived);
    for (int k = 0; k < 3; k++)
        snprintf(num[k + 1], sizeof num[k + 1], "%zu", by_severity[k]);
    snprintf(num[4], sizeof num[4], "%zu", n_waived);
    asr_wire_begin(&c->msg, 'N');
    for (int k = 0; k < 5; k++)
        asr_wire_adds(&c->msg, num[k]);
    asr_buf_add(&c->out, c->msg.data, c->msg.len);
    send_note(c);
    return asr_ctx_flush(c);
}

int asr_ctx_send_findings(asr_ctx *c)
{
    if (asr_heldsort_begin(&c->held) != 0) {
        c->held_failed = 1;
        return -1;
    }
    if (c->sink)
        return send_formatted(c);
    int rc = 0, got;
    asr_buf text = {0};
    const char *m;
    size_t len;
    while (rc == 0 && (got = next_held(c, &m, &len)) != 0) {
        if (got < 0) {
            rc = -1;
            break;
        }
        if (c->classifier) {
            /* decoded, completed by the classifier, encoded again */
            asr_finding f;
            decode_held(m, len, &text, &f);
            c->classifier->classify(c->classifier, c->rule, &f);
            asr_finding_encode(&c->msg, &f);
            asr_buf_add(&c->out, c->msg.data, c->msg.len);
        } else {
            asr_buf_add(&c->out, m, len);
        }
        if (c->out.len >= (64u << 10))
            rc = asr_ctx_flush(c);
    }
    asr_buf_free(&text);
    if (rc == 0) {
        send_note(c);
        rc = asr_ctx_flush(c);
    }
    return rc;
}

int asr_ctx_flush(asr_ctx *c)
{
    int rc = c->out_fd >= 0 && c->out.len ? asr_wire_send(c->out_fd, &c->out) : 0;
    asr_buf_clear(&c->out);
    return rc;
}

/* ---- dates ---- */

/* The date at idx, or ctx.as_of when it is nil or absent. */
static asr_date check_date(lua_State *L, int idx, const char *what)
{
    asr_ctx *c = ctx_of(L);
    size_t len = strlen(c->as_of);
    const char *s = c->as_of;
    if (!lua_isnoneornil(L, idx))
        s = luaL_checklstring(L, idx, &len);
    asr_date d;
    const char *why = asr_date_parse(s, len, NULL, &d);
    if (why)
        luaL_error(L, "%s: '%s': %s", what, s, why);
    return d;
}

static void push_date(lua_State *L, asr_date d)
{
    char iso[11];
    if (d.year < ASR_DATE_MIN_YEAR || d.year > ASR_DATE_MAX_YEAR)
        luaL_error(L, "date out of range (%d)", d.year);
    asr_date_format_iso(d, iso);
    lua_pushstring(L, iso);
}

static int fy_start(lua_State *L)
{
    return (int)ctx_of(L)->map->fy_start_month;
}

/* ctx:days_between(a, b) -> b - a in days */
static int api_days_between(lua_State *L)
{
    asr_date a = check_date(L, 2, "days_between"), b = check_date(L, 3, "days_between");
    lua_pushinteger(L, (lua_Integer)(asr_date_to_days(b) - asr_date_to_days(a)));
    return 1;
}

static int api_add_days(lua_State *L)
{
    asr_date d = check_date(L, 2, "add_days");
    lua_Integer n = luaL_checkinteger(L, 3);
    if (n > 100000 || n < -100000)
        return luaL_error(L, "add_days: %d days is too many", (int)n);
    push_date(L, asr_date_from_days(asr_date_to_days(d) + n));
    return 1;
}

static int api_add_months(lua_State *L)
{
    asr_date d = check_date(L, 2, "add_months");
    lua_Integer n = luaL_checkinteger(L, 3);
    if (n > 10000 || n < -10000)
        return luaL_error(L, "add_months: %d months is too many", (int)n);
    push_date(L, asr_date_add_months(d, (int)n));
    return 1;
}

static int api_fiscal_year(lua_State *L)
{
    asr_date d = check_date(L, 2, "fiscal_year");
    char label[16];
    asr_fiscal_year_label(asr_fiscal_year(d, fy_start(L)), fy_start(L), label, sizeof label);
    lua_pushstring(L, label);
    return 1;
}

static int api_quarter(lua_State *L)
{
    asr_date d = check_date(L, 2, "quarter");
    char label[24];
    asr_fiscal_quarter_label(d, fy_start(L), label, sizeof label);
    lua_pushstring(L, label);
    return 1;
}

/* ctx:quarter_bounds(d) -> first day, last day of d's fiscal quarter */
static int api_quarter_bounds(lua_State *L)
{
    asr_date d = check_date(L, 2, "quarter_bounds");
    int start = fy_start(L);
    int q = asr_fiscal_quarter(d, start);
    asr_date fy_first = {asr_fiscal_year(d, start), start, 1};
    asr_date first = asr_date_add_months(fy_first, (q - 1) * 3);
    asr_date next = asr_date_add_months(first, 3);
    push_date(L, first);
    push_date(L, asr_date_from_days(asr_date_to_days(next) - 1));
    return 2;
}

/* ---- ctx:combined_assurance(): mapstate's computation, over the rule's
 * read-only connection ---- */

typedef struct {
    asr_ctx *c;
    int interrupted;
} ro_reader;

typedef struct {
    asr_query *q;
    ro_reader *r;
} ro_query;

static int ro_has_table(void *ud, const char *name)
{
    ro_reader *r = ud;
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT 1 FROM \"%s\" LIMIT 0", name);
    const char *err;
    asr_query *q = r->c->ro ? asr_query_prepare(r->c->ro, sql, strlen(sql), &err) : NULL;
    if (!q)
        return 0;
    asr_query_finalize(q);
    return 1;
}

static void *ro_open(void *ud, const char *sql, const char *as_of, asr_diag *d)
{
    ro_reader *r = ud;
    const char *err = "queries are not available here";
    asr_query *q = r->c->ro ? asr_query_prepare(r->c->ro, sql, strlen(sql), &err) : NULL;
    if (!q) {
        asr_error(d, NULL, NULL, "%s", err);
        return NULL;
    }
    asr_query_bind_text(q, 1, as_of, strlen(as_of));
    ro_query *rq = asr_xcalloc(1, sizeof *rq);
    rq->q = q;
    rq->r = r;
    return rq;
}

static int ro_next(void *qp, const char **cols, int n, asr_diag *d)
{
    ro_query *rq = qp;
    const char *err;
    int interrupted = 0;
    int got = asr_query_step(rq->q, &err, &interrupted);
    if (got < 0) {
        rq->r->interrupted = interrupted;
        asr_error(d, NULL, NULL, "%s", err);
        return -1;
    }
    for (int i = 0; got == 1 && i < n; i++) {
        size_t len;
        cols[i] = i < asr_query_columns(rq->q) && asr_query_column_type(rq->q, i) != ASR_VNULL
                      ? asr_query_column_text(rq->q, i, &len)
                      : NULL;
    }
    return got;
}

static void ro_close(void *qp)
{
    ro_query *rq = qp;
    asr_query_finalize(rq->q);
    free(rq);
}

static int mapstate_gc(lua_State *L)
{
    asr_mapstate **box = lua_touserdata(L, 1);
    asr_mapstate_free(*box);
    *box = NULL;
    return 0;
}

static void set_num(lua_State *L, const char *key, double value)
{
    lua_pushnumber(L, value);
    lua_setfield(L, -2, key);
}

static void set_bool(lua_State *L, const char *key, int value)
{
    lua_pushboolean(L, value);
    lua_setfield(L, -2, key);
}

static void push_held(lua_State *L, const asr_map *m, const asr_held *h)
{
    lua_newtable(L);
    set_str(L, "id", h->source->id);
    set_str(L, "title", h->source->title);
    set_str(L, "line", m->lines[h->line].id);
    set_str(L, "status", h->source->status);
    if (h->date[0]) {
        set_str(L, "date", h->date);
        set_int(L, "age_days", h->age_days);
    }
    set_str(L, "rating", h->label);
    if (h->label && h->rank > 0)
        set_int(L, "rank", h->rank);
    set_str(L, "ref", h->ref);
    set_str(L, "dataset", h->dataset);
    set_str(L, "key", h->key);
    set_str(L, "scope", h->scope);
    set_bool(L, "partial", h->partial);
    set_bool(L, "stale", h->is_stale);
    set_bool(L, "late", h->is_late);
    set_bool(L, "weak", h->is_weak);
    set_bool(L, "current", h->current);
    set_str(L, "basis", h->basis);
    set_num(L, "factor", h->factor);
    set_num(L, "points", h->points);
    if (h->duplicate)
        set_int(L, "duplicate", h->duplicate);
}

/* ctx:combined_assurance() -> a list, one entry per area (by principle,
 * then the map's order): area, required (level id or nil), required_score,
 * score (0..100), level (the highest level met, or nil), below, lines (per
 * map line: line, weight, points, source), sources (what each source gives:
 * docs/rules.md) and duplicates (groups of duplicated sources). */
static int api_combined_assurance(lua_State *L)
{
    asr_ctx *c = ctx_of(L);
    const asr_map *m = c->map;
    if (c->reads) {
        static const char *const parts[] = {"map_areas", "map_sources", "map_lines"};
        for (size_t i = 0; i < 3; i++)
            asr_strset_add(c->reads, parts[i], strlen(parts[i]));
    }
    asr_mapstate **box = lua_newuserdatauv(L, sizeof *box, 0);
    *box = NULL;
    if (luaL_newmetatable(L, "assure.mapstate")) {
        lua_pushcfunction(L, mapstate_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    ro_reader r = {c, 0};
    asr_msdata data = {&r, ro_has_table, ro_open, ro_next, ro_close};
    asr_diag d;
    asr_diag_init(&d, 1);
    asr_status st = asr_mapstate_compute_with(m, &data, c->as_of, &d, box);
    if (st != ASR_OK) {
        if (r.interrupted) {
            asr_diag_free(&d);
            asr_sandbox_set_spent(c->sb, ASR_SPENT_TIME);
            return luaL_error(L, "stopped: time budget spent");
        }
        lua_pushfstring(L, "combined_assurance: %s",
                        d.count ? d.items[0].message : "the reports could not be read");
        asr_diag_free(&d);
        return lua_error(L);
    }
    asr_diag_free(&d);
    const asr_mapstate *ms = *box;
    lua_createtable(L, (int)ms->n_rows, 0);
    for (size_t i = 0; i < ms->n_rows; i++) {
        const asr_mapstate_row *row = &ms->rows[i];
        lua_newtable(L);
        set_str(L, "area", row->area->id);
        if (row->required) {
            set_str(L, "required", row->required->id);
            set_num(L, "required_score", row->required->score);
        }
        set_num(L, "score", row->score);
        set_str(L, "level", row->held_level ? row->held_level->id : NULL);
        set_bool(L, "below", row->below);
        lua_createtable(L, (int)m->n_lines, 0);
        for (size_t li = 0; li < m->n_lines; li++) {
            lua_newtable(L);
            set_str(L, "line", m->lines[li].id);
            set_num(L, "weight", asr_line_weight(m, li));
            long b = row->best[li];
            set_num(L, "points", b >= 0 ? row->held[b].points : 0);
            set_str(L, "source", b >= 0 ? row->held[b].source->id : NULL);
            lua_rawseti(L, -2, (lua_Integer)li + 1);
        }
        lua_setfield(L, -2, "lines");
        lua_createtable(L, (int)row->n_held, 0);
        for (size_t k = 0; k < row->n_held; k++) {
            push_held(L, m, &row->held[k]);
            lua_rawseti(L, -2, (lua_Integer)k + 1);
        }
        lua_setfield(L, -2, "sources");
        lua_createtable(L, (int)row->n_duplicate_groups, 0);
        for (size_t g = 1; g <= row->n_duplicate_groups; g++) {
            lua_newtable(L);
            lua_newtable(L);
            int n = 0;
            for (size_t k = 0; k < row->n_held; k++) {
                const asr_held *h = &row->held[k];
                if (h->duplicate != (int)g)
                    continue;
                if (n == 0) {
                    lua_pushstring(L, m->lines[h->line].id);
                    lua_setfield(L, -3, "line");
                    if (h->scope) {
                        lua_pushstring(L, h->scope);
                        lua_setfield(L, -3, "scope");
                    }
                }
                lua_pushstring(L, h->source->id);
                lua_rawseti(L, -2, ++n);
            }
            lua_setfield(L, -2, "sources");
            lua_rawseti(L, -2, (lua_Integer)g);
        }
        lua_setfield(L, -2, "duplicates");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

static const luaL_Reg ctx_methods[] = {
    {"rows", api_rows},
    {"one", api_one},
    {"flag", api_flag},
    {"flag_rows", api_flag_rows},
    {"log", api_log},
    {"previous", api_previous},
    {"age", api_age},
    {"captured", api_captured},
    {"latest", api_latest},
    {"days_between", api_days_between},
    {"add_days", api_add_days},
    {"add_months", api_add_months},
    {"fiscal_year", api_fiscal_year},
    {"quarter", api_quarter},
    {"quarter_bounds", api_quarter_bounds},
    {"combined_assurance", api_combined_assurance},
    {NULL, NULL},
};

void asr_ruleapi_push_ctx(lua_State *L, asr_ctx *c)
{
    lua_pushlightuserdata(L, c);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &ctx_key);
    lua_newtable(L);
    luaL_setfuncs(L, ctx_methods, 0);
    lua_pushstring(L, c->as_of);
    lua_setfield(L, -2, "as_of");
    lua_pushstring(L, c->rule->id);
    lua_setfield(L, -2, "rule");
    push_params(L, c->rule, c->map);
    lua_setfield(L, -2, "params");
    push_map(L, c->map);
    lua_setfield(L, -2, "map");
    make_readonly(L);
}

void asr_ctx_free(asr_ctx *c)
{
    asr_buf_free(&c->msg);
    asr_buf_free(&c->out);
    asr_heldsort_free(&c->held);
    asr_buf_free(&c->params);
    asr_buf_free(&c->list);
    for (int i = 0; i < 6; i++)
        asr_strset_free(&c->ids[i]);
}
