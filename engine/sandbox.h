/* sandbox: a Lua 5.4 state for one untrusted rule. Owns the state, a capped
 * allocator and the instruction/time budget. Only allow-listed functions
 * exist: assert, error, getmetatable, ipairs, next, pairs, pcall, rawequal,
 * rawget, rawlen, select, setmetatable, tonumber, tostring, type, xpcall, and
 * the string (without dump), table, math and utf8 libraries. No io, os,
 * debug, package, coroutine, load, require, print, collectgarbage.
 *
 * Once a budget is spent the hook fires on every instruction, pcall and
 * xpcall re-raise instead of returning, and the budget flag -- not what the
 * rule's code returned -- decides that the rule failed. setmetatable refuses
 * __gc; the string metatable is locked; math.random is seeded with a
 * constant. Code running inside C (a pattern match) is beyond the hook's
 * reach: the caller must run rules in a process it can kill.
 * Knows nothing of SQLite or rules. Uses util. */
#ifndef ASSURE_SANDBOX_H
#define ASSURE_SANDBOX_H

#include <lua.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    size_t memory;         /* bytes the state may hold */
    uint64_t instructions; /* Lua VM instructions */
    double seconds;        /* wall-clock budget, checked by the hook */
    size_t max_source;     /* largest rule file in bytes */
} asr_budget;

/* Why a sandbox stopped a rule, if it did. */
typedef enum {
    ASR_SPENT_NONE,
    ASR_SPENT_INSTRUCTIONS,
    ASR_SPENT_TIME,
    ASR_SPENT_MEMORY,
    ASR_SPENT_OUTPUT, /* set by the host when the rule has produced too much */
} asr_spent;

typedef struct asr_sandbox asr_sandbox;

/* A fresh state with the allow-listed environment. NULL if Lua could not
 * even start (out of memory). */
asr_sandbox *asr_sandbox_new(const asr_budget *budget);
void asr_sandbox_free(asr_sandbox *sb);

lua_State *asr_sandbox_lua(asr_sandbox *sb);

/* Loads text as a Lua chunk named name (for messages: "name:line: ...").
 * Binary chunks are refused. On failure returns -1 and *err is the message
 * (valid until the next call). On success the chunk is on the stack. */
int asr_sandbox_load(asr_sandbox *sb, const char *name, const char *text, size_t len,
                     const char **err);

/* Calls the function on top of the stack under the budget with nargs
 * arguments below it, keeping nresults results. Returns 0 on success; -1 on
 * error, with *err the message: already a safe, truncated string (never
 * produced by a rule's metamethods). A spent budget counts as failure even if
 * the rule's code caught the error. */
int asr_sandbox_call(asr_sandbox *sb, int nargs, int nresults, const char **err);

/* Starts the clocks again for a new call (the budget is per call). */
void asr_sandbox_reset_budget(asr_sandbox *sb);

asr_spent asr_sandbox_spent(const asr_sandbox *sb);
/* Marks the budget spent from outside the VM (e.g. a query interrupted by
 * the deadline); the hook then stops the rule. */
void asr_sandbox_set_spent(asr_sandbox *sb, asr_spent why);

/* True once the wall-clock deadline has passed (for SQLite's progress
 * handler, which runs where the Lua hook cannot). */
int asr_sandbox_past_deadline(asr_sandbox *sb);

uint64_t asr_sandbox_instructions(const asr_sandbox *sb);
size_t asr_sandbox_memory_peak(const asr_sandbox *sb);

/* Coverage: calls fn(ud, L, ar) on every line a Lua function executes
 * (ar->currentline set). Slower; for rule tests only. NULL turns it off. */
typedef void (*asr_line_fn)(void *ud, lua_State *L, lua_Debug *ar);
void asr_sandbox_set_line_hook(asr_sandbox *sb, asr_line_fn fn, void *ud);

/* A safe one-line description of the value at idx: strings as-is (truncated
 * to max bytes, control characters replaced), other types by name. Never
 * calls metamethods. Pushes nothing. Writes into buf. */
const char *asr_sandbox_describe(lua_State *L, int idx, char *buf, size_t max);

#endif
