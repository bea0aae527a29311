/* Unit tests for the Lua sandbox: the allow-list, budgets that pcall cannot
 * swallow, and the locks on metatables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "sandbox.h"

static asr_budget small(void)
{
    asr_budget b = {16u << 20, 5000000, 5.0, 1 << 16};
    return b;
}

/* Loads and runs code; returns 0 or -1 with the error in *err. */
static int run(asr_sandbox *sb, const char *code, const char **err)
{
    if (asr_sandbox_load(sb, "t.lua", code, strlen(code), err))
        return -1;
    return asr_sandbox_call(sb, 0, 1, err);
}

static void test_only_allowed_globals_exist(void **state)
{
    (void)state;
    asr_budget b = small();
    asr_sandbox *sb = asr_sandbox_new(&b);
    const char *err = NULL;
    /* Lists every global, sorted, as one string. */
    assert_int_equal(run(sb,
                         "local names = {}\n"
                         "for k in next, _G do names[#names + 1] = k end\n"
                         "table.sort(names)\n"
                         "return table.concat(names, ' ')",
                         &err),
                     0);
    lua_State *L = asr_sandbox_lua(sb);
    assert_string_equal(lua_tostring(L, -1),
                        "_G _VERSION assert error getmetatable ipairs math next pairs pcall "
                        "rawequal rawget rawlen select setmetatable string table tonumber "
                        "tostring type utf8 xpcall");
    lua_pop(L, 1);
    assert_int_equal(run(sb, "return string.dump", &err), 0);
    assert_true(lua_isnil(L, -1));
    lua_pop(L, 1);
    asr_sandbox_free(sb);
}

static void test_budget_cannot_be_caught(void **state)
{
    (void)state;
    const char *loops[] = {
        "while true do end",
        "while true do pcall(function() while true do end end) end",
        "return xpcall(function() while true do end end, function(e) return e end)",
        "xpcall(function() while true do end end, function() while true do end end)",
    };
    for (size_t i = 0; i < sizeof loops / sizeof loops[0]; i++) {
        asr_budget b = small();
        asr_sandbox *sb = asr_sandbox_new(&b);
        const char *err = NULL;
        assert_int_equal(run(sb, loops[i], &err), -1);
        assert_int_equal(asr_sandbox_spent(sb), ASR_SPENT_INSTRUCTIONS);
        assert_non_null(strstr(err, "instruction budget spent"));
        asr_sandbox_free(sb);
    }
}

static void test_time_budget(void **state)
{
    (void)state;
    asr_budget b = small();
    b.instructions = UINT64_MAX;
    b.seconds = 0.2;
    asr_sandbox *sb = asr_sandbox_new(&b);
    const char *err = NULL;
    assert_int_equal(run(sb, "while true do end", &err), -1);
    assert_int_equal(asr_sandbox_spent(sb), ASR_SPENT_TIME);
    asr_sandbox_free(sb);
}

static void test_memory_budget(void **state)
{
    (void)state;
    asr_budget b = small();
    asr_sandbox *sb = asr_sandbox_new(&b);
    const char *err = NULL;
    assert_int_equal(run(sb, "local ok = pcall(string.rep, 'x', 1 << 26) return 1", &err), -1);
    assert_int_equal(asr_sandbox_spent(sb), ASR_SPENT_MEMORY);
    assert_true(asr_sandbox_memory_peak(sb) <= b.memory);
    asr_sandbox_free(sb);
}

static void test_metatable_locks(void **state)
{
    (void)state;
    asr_budget b = small();
    asr_sandbox *sb = asr_sandbox_new(&b);
    const char *err = NULL;
    assert_int_equal(run(sb, "return getmetatable('')", &err), 0);
    assert_string_equal(lua_tostring(asr_sandbox_lua(sb), -1), "locked");
    lua_pop(asr_sandbox_lua(sb), 1);
    assert_int_equal(run(sb, "setmetatable({}, {__gc = function() end})", &err), -1);
    assert_non_null(strstr(err, "__gc metamethods are not allowed"));
    assert_int_equal(run(sb, "return setmetatable({}, {__index = {a = 1}}).a", &err), 0);
    assert_int_equal(lua_tointeger(asr_sandbox_lua(sb), -1), 1);
    asr_sandbox_free(sb);
}

static void test_error_objects_are_described_safely(void **state)
{
    (void)state;
    asr_budget b = small();
    asr_sandbox *sb = asr_sandbox_new(&b);
    const char *err = NULL;
    assert_int_equal(run(sb,
                         "error(setmetatable({}, {__tostring = function() while true do "
                         "end end}))",
                         &err),
                     -1);
    assert_string_equal(err, "(error object is a table value)");
    assert_int_equal(run(sb, "error(nil)", &err), -1);
    assert_string_equal(err, "(error object is a nil value)");
    assert_int_equal(run(sb, "error(string.rep('x', 5000) .. '\\n', 0)", &err), -1);
    assert_true(strlen(err) < 600);
    assert_null(strchr(err, '\n'));
    asr_sandbox_free(sb);
}

static void test_bytecode_refused(void **state)
{
    (void)state;
    asr_budget b = small();
    asr_sandbox *sb = asr_sandbox_new(&b);
    const char *err = NULL;
    assert_int_equal(asr_sandbox_load(sb, "b.lua", "\033Lua\x54", 5, &err), -1);
    assert_non_null(strstr(err, "binary chunk"));
    char big[70000];
    memset(big, ' ', sizeof big);
    assert_int_equal(asr_sandbox_load(sb, "big.lua", big, sizeof big, &err), -1);
    assert_non_null(strstr(err, "the limit is"));
    asr_sandbox_free(sb);
}

static void test_random_is_reproducible(void **state)
{
    (void)state;
    lua_Integer first = 0;
    for (int i = 0; i < 2; i++) {
        asr_budget b = small();
        asr_sandbox *sb = asr_sandbox_new(&b);
        const char *err = NULL;
        assert_int_equal(run(sb, "return math.random(1, 1000000)", &err), 0);
        lua_Integer v = lua_tointeger(asr_sandbox_lua(sb), -1);
        if (i == 0)
            first = v;
        else
            assert_int_equal(v, first);
        asr_sandbox_free(sb);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_only_allowed_globals_exist),
        cmocka_unit_test(test_budget_cannot_be_caught),
        cmocka_unit_test(test_time_budget),
        cmocka_unit_test(test_memory_budget),
        cmocka_unit_test(test_metatable_locks),
        cmocka_unit_test(test_error_objects_are_described_safely),
        cmocka_unit_test(test_bytecode_refused),
        cmocka_unit_test(test_random_is_reproducible),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
