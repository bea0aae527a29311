/* Unit tests for the rule mutator: each operator, strings and comments left
 * alone, long strings, places right, and every mutant of the standard rules
 * still valid Lua. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lauxlib.h>
#include <lua.h>

#include "mutate.h"
#include "util.h"

typedef struct {
    asr_mutant *m;
    size_t n;
    const char *src;
} found;

static found find(const char *src)
{
    found f = {NULL, 0, src};
    f.n = asr_mutate_find(src, strlen(src), &f.m);
    return f;
}

static char *applied(const found *f, size_t i)
{
    return asr_mutate_apply(f->src, strlen(f->src), &f->m[i], NULL);
}

/* The index of the mutant with this change, or fails. */
static size_t with_change(const found *f, const char *change)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->m[i].change, change) == 0)
            return i;
    fail_msg("no mutant '%s' among %zu", change, f->n);
    return 0;
}

static void expect_applied(const found *f, const char *change, const char *text)
{
    char *s = applied(f, with_change(f, change));
    assert_string_equal(s, text);
    free(s);
}

static void test_relational_and_equality(void **state)
{
    (void)state;
    found f = find("local a = x < y\nlocal b = x <= y\nlocal c = x > y\nlocal d = x >= y\n"
                   "local e = x == y\nlocal g = x ~= y\n");
    assert_int_equal(f.n, 6);
    expect_applied(&f, "`<` -> `<=`",
                   "local a = x <= y\nlocal b = x <= y\nlocal c = x > y\nlocal d = x >= y\n"
                   "local e = x == y\nlocal g = x ~= y\n");
    size_t i = with_change(&f, "`>=` -> `>`");
    assert_int_equal(f.m[i].kind, ASR_MUT_RELATIONAL);
    assert_int_equal(f.m[i].line, 4);
    assert_int_equal(f.m[i].col, 13);
    i = with_change(&f, "`~=` -> `==`");
    assert_int_equal(f.m[i].kind, ASR_MUT_EQUALITY);
    assert_int_equal(f.m[i].line, 6);
    with_change(&f, "`<=` -> `<`");
    with_change(&f, "`>` -> `>=`");
    with_change(&f, "`==` -> `~=`");
    asr_mutants_free(f.m, f.n);
}

static void test_negation_and_logic(void **state)
{
    (void)state;
    found f = find("if a and (b or c) then x() elseif f(d, e) then y() end");
    expect_applied(&f, "`if` condition negated",
                   "if not (a and (b or c)) then x() elseif f(d, e) then y() end");
    expect_applied(&f, "`elseif` condition negated",
                   "if a and (b or c) then x() elseif not (f(d, e)) then y() end");
    expect_applied(&f, "`and` -> `or`", "if a or (b or c) then x() elseif f(d, e) then y() end");
    expect_applied(&f, "`or` -> `and`", "if a and (b and c) then x() elseif f(d, e) then y() end");
    assert_int_equal(f.n, 4);
    asr_mutants_free(f.m, f.n);
}

static void test_numbers(void **state)
{
    (void)state;
    found f = find("x = 30 + 0 + 1.5 + 0x10 + 1e3");
    expect_applied(&f, "`30` -> `31`", "x = 31 + 0 + 1.5 + 0x10 + 1e3");
    expect_applied(&f, "`30` -> `29`", "x = 29 + 0 + 1.5 + 0x10 + 1e3");
    expect_applied(&f, "`0` -> `(-1)`", "x = 30 + (-1) + 1.5 + 0x10 + 1e3");
    expect_applied(&f, "`1.5` -> `2.5`", "x = 30 + 0 + 2.5 + 0x10 + 1e3");
    expect_applied(&f, "`0x10` -> `17`", "x = 30 + 0 + 1.5 + 17 + 1e3");
    expect_applied(&f, "`1e3` -> `999.0`", "x = 30 + 0 + 1.5 + 0x10 + 999.0");
    assert_int_equal(f.n, 10);
    assert_int_equal(f.m[0].kind, ASR_MUT_NUMBER);
    asr_mutants_free(f.m, f.n);
}

static void test_flag_calls(void **state)
{
    (void)state;
    found f = find("for r in rows do\n  ctx:flag{subject = r.id, message = \"m\"}\nend\n"
                   "ctx:flag_rows([[SELECT 1]], a)\nlocal ok = ctx:flag{subject = 1}\n");
    expect_applied(&f, "`ctx:flag{...}` call removed",
                   "for r in rows do\n   \nend\n"
                   "ctx:flag_rows([[SELECT 1]], a)\nlocal ok = ctx:flag{subject = 1}\n");
    expect_applied(&f, "`ctx:flag_rows(...)` call removed",
                   "for r in rows do\n  ctx:flag{subject = r.id, message = \"m\"}\nend\n"
                   " \nlocal ok = ctx:flag{subject = 1}\n");
    /* a call whose value is used is not a statement: not removed */
    size_t removed = 0;
    for (size_t i = 0; i < f.n; i++)
        removed += f.m[i].kind == ASR_MUT_FLAG;
    assert_int_equal(removed, 2);
    asr_mutants_free(f.m, f.n);
}

static void test_sql_operators(void **state)
{
    (void)state;
    found f = find("local q = \"SELECT a FROM t WHERE a <= ? AND b = 'x<y' AND c <> d -- e > f\"\n"
                   "local m = \"a < b is not SQL\"\n");
    expect_applied(&f, "`<=` -> `<` in SQL",
                   "local q = \"SELECT a FROM t WHERE a < ? AND b = 'x<y' AND c <> d -- e > f\"\n"
                   "local m = \"a < b is not SQL\"\n");
    expect_applied(&f, "`=` -> `<>` in SQL",
                   "local q = \"SELECT a FROM t WHERE a <= ? AND b <> 'x<y' AND c <> d -- e > f\"\n"
                   "local m = \"a < b is not SQL\"\n");
    expect_applied(&f, "`<>` -> `=` in SQL",
                   "local q = \"SELECT a FROM t WHERE a <= ? AND b = 'x<y' AND c = d -- e > f\"\n"
                   "local m = \"a < b is not SQL\"\n");
    assert_int_equal(f.n, 3); /* not in 'x<y', the SQL comment or the message */
    assert_int_equal(f.m[0].kind, ASR_MUT_SQL);
    asr_mutants_free(f.m, f.n);
    /* prose in the metadata is not SQL, even where it says "where" */
    f = find(
        "return { description = [[Flags x = 1 where y < 2.]], title = \"select a where b = c\" }");
    assert_int_equal(f.n, 0);
    asr_mutants_free(f.m, f.n);
}

static void test_sql_in_long_string_places(void **state)
{
    (void)state;
    found f = find("local q = [==[\n  SELECT a\n    FROM t\n   WHERE a >= ? ]] < ]==]\n");
    /* "]]" does not close a level-2 string; the "<" after it is SQL text */
    assert_int_equal(f.n, 2);
    size_t i = with_change(&f, "`>=` -> `>` in SQL");
    assert_int_equal(f.m[i].line, 4);
    assert_int_equal(f.m[i].col, 12);
    i = with_change(&f, "`<` -> `<=` in SQL");
    assert_int_equal(f.m[i].line, 4);
    assert_int_equal(f.m[i].col, 20);
    asr_mutants_free(f.m, f.n);
}

static void test_comments_and_strings_untouched(void **state)
{
    (void)state;
    found f = find("-- if a < b then 1 end\n"
                   "--[[ a < b and c\n 2 ]]\n"
                   "--[==[ ]] if x > 3 then ]==]\n"
                   "local s = 'a < b \\' > 3 and 4'\n"
                   "local t = \"x == y or 5\"\n"
                   "local u = [[ a <= b\n 6 ]]\n"
                   "return s .. t .. u\n");
    assert_int_equal(f.n, 0);
    asr_mutants_free(f.m, f.n);
}

static void test_parameter_defaults(void **state)
{
    (void)state;
    found f = find("return {\n  id = \"r\",\n"
                   "  params = { max_days = 60, first_due = \"2022-03-01\", kind = \"command\",\n"
                   "             on = true, low = -2, words = \"a;\" .. \"b\" },\n"
                   "  check = function(ctx) if ctx.params.max_days > 3 then end end,\n}\n");
    size_t i = with_change(&f, "parameter `max_days` default `60` -> `61`");
    assert_int_equal(f.m[i].kind, ASR_MUT_PARAM);
    assert_int_equal(f.m[i].line, 3);
    assert_int_equal(f.m[i].col, 25);
    with_change(&f, "parameter `max_days` default `60` -> `59`");
    char *s = applied(&f, with_change(&f, "parameter `first_due` default `2022-03-01` -> "
                                          "`2022-02-28`"));
    assert_non_null(strstr(s, "first_due = \"2022-02-28\""));
    free(s);
    with_change(&f, "parameter `first_due` default `2022-03-01` -> `2022-03-02`");
    with_change(&f, "parameter `kind` default `\"command\"` -> `\"\"`");
    with_change(&f, "parameter `on` default `true` -> `false`");
    with_change(&f, "parameter `low` default `2` -> `3`");
    /* a text made of pieces is emptied whole */
    s = applied(&f, with_change(&f, "parameter `words` default `\"a;\"...` -> `\"\"`"));
    assert_non_null(strstr(s, "words = \"\" },"));
    free(s);
    /* the code's own comparison and constant are ordinary mutants */
    with_change(&f, "`>` -> `>=`");
    with_change(&f, "`3` -> `4`");
    with_change(&f, "`if` condition negated");
    assert_int_equal(f.n, 9 + 4);
    asr_mutants_free(f.m, f.n);
}

/* Every mutant of every standard rule still compiles. */
static void test_standard_rules_mutants_load(void **state)
{
    (void)state;
    const char *fx = getenv("ASSURE_FIXTURES");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/../rules", fx ? fx : "fixtures");
    DIR *dp = opendir(dir);
    assert_non_null(dp);
    struct dirent *e;
    size_t files = 0, total = 0;
    lua_State *L = luaL_newstate();
    while ((e = readdir(dp)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".lua") != 0)
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *fp = fopen(path, "rb");
        assert_non_null(fp);
        static char src[1 << 18];
        size_t n = fread(src, 1, sizeof src - 1, fp);
        fclose(fp);
        src[n] = '\0';
        asr_mutant *m;
        size_t nm = asr_mutate_find(src, n, &m);
        assert_true(nm > 0);
        for (size_t i = 0; i < nm; i++) {
            size_t ml;
            char *t = asr_mutate_apply(src, n, &m[i], &ml);
            if (luaL_loadbuffer(L, t, ml, path) != LUA_OK)
                fail_msg("%s:%u:%u: %s: %s", path, m[i].line, m[i].col, m[i].change,
                         lua_tostring(L, -1));
            lua_pop(L, 1);
            assert_int_not_equal(strcmp(t, src), 0);
            free(t);
        }
        total += nm;
        files++;
        asr_mutants_free(m, nm);
    }
    closedir(dp);
    lua_close(L);
    assert_true(files >= 20);
    assert_true(total >= 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relational_and_equality),
        cmocka_unit_test(test_negation_and_logic),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_flag_calls),
        cmocka_unit_test(test_sql_operators),
        cmocka_unit_test(test_sql_in_long_string_places),
        cmocka_unit_test(test_comments_and_strings_untouched),
        cmocka_unit_test(test_parameter_defaults),
        cmocka_unit_test(test_standard_rules_mutants_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
