#include "sandbox.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

/* The hook runs every HOOK_EVERY instructions until a budget is spent, then
 * on every instruction so that no pcall can outlast it. */
#define HOOK_EVERY 1000
#define SETUP_MEMORY (8u << 20)

struct asr_sandbox {
    lua_State *L;
    asr_budget budget;
    size_t used, peak;
    size_t limit; /* current allocator cap; raised during setup */
    uint64_t count;
    double deadline;
    asr_spent spent;
    asr_line_fn line_fn;
    void *line_ud;
    char message[600];
};

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static asr_sandbox *sandbox_of(lua_State *L)
{
    return *(asr_sandbox **)lua_getextraspace(L);
}

/* In Lua 5.4, osize is a type tag when ptr is NULL: count it as 0. */
static void *capped_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    asr_sandbox *sb = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        sb->used -= old;
        return NULL;
    }
    if (nsize > old && sb->used + (nsize - old) > sb->limit) {
        if (sb->spent == ASR_SPENT_NONE)
            sb->spent = ASR_SPENT_MEMORY;
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (!p)
        return NULL;
    sb->used = sb->used - old + nsize;
    if (sb->used > sb->peak)
        sb->peak = sb->used;
    return p;
}

static const char *spent_words(asr_spent s)
{
    switch (s) {
    case ASR_SPENT_INSTRUCTIONS:
        return "instruction budget spent";
    case ASR_SPENT_TIME:
        return "time budget spent";
    case ASR_SPENT_MEMORY:
        return "memory budget spent";
    case ASR_SPENT_OUTPUT:
        return "output budget spent";
    default:
        return "";
    }
}

static void budget_hook(lua_State *L, lua_Debug *ar)
{
    asr_sandbox *sb = sandbox_of(L);
    if (ar->event == LUA_HOOKLINE && sb->spent == ASR_SPENT_NONE) {
        if (sb->line_fn)
            sb->line_fn(sb->line_ud, L, ar);
        return;
    }
    if (sb->spent == ASR_SPENT_NONE) {
        sb->count += HOOK_EVERY;
        if (sb->count > sb->budget.instructions)
            sb->spent = ASR_SPENT_INSTRUCTIONS;
        else if (now_seconds() > sb->deadline)
            sb->spent = ASR_SPENT_TIME;
        else
            return;
    }
    /* From now on, every instruction raises again. */
    lua_sethook(L, budget_hook, LUA_MASKCOUNT | LUA_MASKLINE, 1);
    luaL_error(L, "rule stopped: %s", spent_words(sb->spent));
}

const char *asr_sandbox_describe(lua_State *L, int idx, char *buf, size_t max)
{
    if (lua_type(L, idx) == LUA_TSTRING) {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        size_t o = 0;
        for (size_t i = 0; i < len && o + 4 < max; i++) {
            unsigned char c = (unsigned char)s[i];
            buf[o++] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
        }
        if (len > o && o + 4 >= max)
            memcpy(buf + o - 3, "...", 3);
        buf[o] = '\0';
        return buf;
    }
    snprintf(buf, max, "(error object is a %s value)", luaL_typename(L, idx));
    return buf;
}

/* The host's message handler: never runs a rule's metamethods. */
static int message_handler(lua_State *L)
{
    char buf[512];
    asr_sandbox_describe(L, 1, buf, sizeof buf);
    lua_pushstring(L, buf);
    return 1;
}

/* pcall and xpcall for rules. Once the budget is spent they re-raise, so
 * the error cannot be swallowed. xpcall's handler runs after the call has
 * unwound, as an ordinary function under the hook: a handler that loops is
 * stopped like any other code (the stock xpcall runs it with hooks off). */
static int safe_pcall(lua_State *L)
{
    luaL_checkany(L, 1);
    int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
    asr_sandbox *sb = sandbox_of(L);
    if (sb->spent != ASR_SPENT_NONE)
        return lua_error(L);
    lua_pushboolean(L, status == LUA_OK);
    lua_insert(L, 1);
    return lua_gettop(L);
}

static int safe_xpcall(lua_State *L)
{
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_insert(L, 1); /* handler at 1, f at 2, handler again at 3 */
    lua_remove(L, 3);
    int status = lua_pcall(L, lua_gettop(L) - 2, LUA_MULTRET, 0);
    asr_sandbox *sb = sandbox_of(L);
    if (sb->spent != ASR_SPENT_NONE)
        return lua_error(L);
    if (status == LUA_OK) {
        lua_pushboolean(L, 1);
        lua_replace(L, 1); /* true replaces the handler */
        return lua_gettop(L);
    }
    /* stack: handler, error */
    lua_call(L, 1, 1);
    if (sb->spent != ASR_SPENT_NONE)
        return lua_error(L);
    lua_pushboolean(L, 0);
    lua_insert(L, 1);
    return 2;
}

static int safe_setmetatable(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "setmetatable: __gc metamethods are not allowed in rules");
        lua_pop(L, 1);
    }
    if (luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL)
        return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

/* Globals a rule may use. Everything else the base library defines --
 * load, loadfile, dofile, require, print, collectgarbage, rawset, warn -- is
 * removed: each is a way out of the sandbox or around its budget. */
static const char *const allowed_globals[] = {
    "assert",   "error",    "getmetatable", "ipairs", "next",   "pairs",
    "pcall",    "rawequal", "rawget",       "rawlen", "select", "setmetatable",
    "tonumber", "tostring", "type",         "xpcall", "_G",     "_VERSION",
    "string",   "table",    "math",         "utf8",   NULL};

static int setup(lua_State *L)
{
    luaL_requiref(L, "_G", luaopen_base, 1);
    luaL_requiref(L, "string", luaopen_string, 1);
    luaL_requiref(L, "table", luaopen_table, 1);
    luaL_requiref(L, "math", luaopen_math, 1);
    luaL_requiref(L, "utf8", luaopen_utf8, 1);
    lua_settop(L, 0);

    /* string.dump would hand out bytecode; drop it. */
    lua_getglobal(L, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);

    /* Lock the string metatable shared by every string value. */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);

    /* Reproducible random numbers: no seed from the clock. */
    lua_getglobal(L, "math");
    lua_getfield(L, -1, "randomseed");
    lua_pushinteger(L, 20220401);
    lua_call(L, 1, 0);
    lua_pop(L, 1);

    lua_pushcfunction(L, safe_pcall);
    lua_setglobal(L, "pcall");
    lua_pushcfunction(L, safe_xpcall);
    lua_setglobal(L, "xpcall");
    lua_pushcfunction(L, safe_setmetatable);
    lua_setglobal(L, "setmetatable");

    /* Remove every global not on the allow-list. */
    lua_pushglobaltable(L);
    lua_newtable(L); /* names to remove */
    int n = 0;
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        lua_pop(L, 1);
        int keep = 0;
        if (lua_type(L, -1) == LUA_TSTRING)
            for (size_t i = 0; allowed_globals[i]; i++)
                keep |= strcmp(lua_tostring(L, -1), allowed_globals[i]) == 0;
        if (!keep) {
            lua_pushvalue(L, -1);
            lua_rawseti(L, 2, ++n);
        }
    }
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, 2, i);
        lua_pushnil(L);
        lua_rawset(L, 1);
    }
    lua_settop(L, 0);
    return 0;
}

asr_sandbox *asr_sandbox_new(const asr_budget *budget)
{
    asr_sandbox *sb = asr_xcalloc(1, sizeof *sb);
    sb->budget = *budget;
    sb->limit = SETUP_MEMORY > budget->memory ? SETUP_MEMORY : budget->memory;
    sb->L = lua_newstate(capped_alloc, sb);
    if (!sb->L) {
        free(sb);
        return NULL;
    }
    *(asr_sandbox **)lua_getextraspace(sb->L) = sb;
    lua_pushcfunction(sb->L, setup);
    if (lua_pcall(sb->L, 0, 0, 0) != LUA_OK) {
        asr_sandbox_free(sb);
        return NULL;
    }
    sb->limit = budget->memory;
    sb->spent = ASR_SPENT_NONE;
    asr_sandbox_reset_budget(sb);
    return sb;
}

void asr_sandbox_free(asr_sandbox *sb)
{
    if (!sb)
        return;
    /* No __gc can exist (setmetatable refuses it), so closing cannot run
     * rule code; lift the cap so freeing never fails. */
    sb->limit = (size_t)-1;
    lua_sethook(sb->L, NULL, 0, 0);
    lua_close(sb->L);
    free(sb);
}

lua_State *asr_sandbox_lua(asr_sandbox *sb)
{
    return sb->L;
}

void asr_sandbox_reset_budget(asr_sandbox *sb)
{
    sb->count = 0;
    sb->deadline = now_seconds() + sb->budget.seconds;
    lua_sethook(sb->L, budget_hook, LUA_MASKCOUNT | (sb->line_fn ? LUA_MASKLINE : 0), HOOK_EVERY);
}

void asr_sandbox_set_line_hook(asr_sandbox *sb, asr_line_fn fn, void *ud)
{
    sb->line_fn = fn;
    sb->line_ud = ud;
    if (sb->spent == ASR_SPENT_NONE)
        lua_sethook(sb->L, budget_hook, LUA_MASKCOUNT | (fn ? LUA_MASKLINE : 0), HOOK_EVERY);
}

int asr_sandbox_load(asr_sandbox *sb, const char *name, const char *text, size_t len,
                     const char **err)
{
    if (sb->budget.max_source && len > sb->budget.max_source) {
        snprintf(sb->message, sizeof sb->message, "%s: rule file is %zu bytes; the limit is %zu",
                 name, len, sb->budget.max_source);
        *err = sb->message;
        return -1;
    }
    char chunkname[512];
    snprintf(chunkname, sizeof chunkname, "@%s", name);
    if (luaL_loadbufferx(sb->L, text, len, chunkname, "t") != LUA_OK) {
        asr_sandbox_describe(sb->L, -1, sb->message, sizeof sb->message);
        lua_pop(sb->L, 1);
        *err = sb->message;
        return -1;
    }
    return 0;
}

int asr_sandbox_call(asr_sandbox *sb, int nargs, int nresults, const char **err)
{
    lua_State *L = sb->L;
    int base = lua_gettop(L) - nargs; /* the function's slot */
    lua_pushcfunction(L, message_handler);
    lua_insert(L, base);
    int status = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    if (sb->spent != ASR_SPENT_NONE) {
        if (status == LUA_OK)
            lua_pop(L, nresults == LUA_MULTRET ? 0 : nresults);
        else
            lua_pop(L, 1);
        snprintf(sb->message, sizeof sb->message, "rule stopped: %s", spent_words(sb->spent));
        *err = sb->message;
        return -1;
    }
    if (status != LUA_OK) {
        asr_sandbox_describe(L, -1, sb->message, sizeof sb->message);
        lua_pop(L, 1);
        *err = sb->message;
        return -1;
    }
    return 0;
}

asr_spent asr_sandbox_spent(const asr_sandbox *sb)
{
    return sb->spent;
}

void asr_sandbox_set_spent(asr_sandbox *sb, asr_spent why)
{
    if (sb->spent == ASR_SPENT_NONE)
        sb->spent = why;
}

int asr_sandbox_past_deadline(asr_sandbox *sb)
{
    if (sb->spent == ASR_SPENT_NONE && now_seconds() > sb->deadline)
        sb->spent = ASR_SPENT_TIME;
    return sb->spent == ASR_SPENT_TIME;
}

uint64_t asr_sandbox_instructions(const asr_sandbox *sb)
{
    return sb->count;
}

size_t asr_sandbox_memory_peak(const asr_sandbox *sb)
{
    return sb->peak;
}
