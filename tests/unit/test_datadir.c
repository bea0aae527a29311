/* Unit tests for datadir: "assure:" names and the data directory they
 * resolve in. The directory is looked up once per process, so the
 * ASSURE_DATADIR override is set before the first call. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "datadir.h"

static void test_names(void **state)
{
    (void)state;
    assert_true(asr_datadir_name("assure:rules"));
    assert_true(asr_datadir_name("assure:"));
    assert_false(asr_datadir_name("rules"));
    assert_false(asr_datadir_name("./assure:rules")); /* the way to a file named so */
    assert_false(asr_datadir_name("Assure:rules"));
    assert_false(asr_datadir_name(NULL));
}

static void test_env_override_and_resolve(void **state)
{
    (void)state;
    assert_string_equal(asr_datadir(), "/opt/x/share/assure");
    assert_string_equal(asr_datadir_origin(), "ASSURE_DATADIR");
    char *p = asr_datadir_resolve("assure:rules");
    assert_string_equal(p, "/opt/x/share/assure/rules");
    free(p);
    p = asr_datadir_resolve("assure://mappings/standard/datasets.yaml");
    assert_string_equal(p, "/opt/x/share/assure/mappings/standard/datasets.yaml");
    free(p);
    p = asr_datadir_resolve("assure:");
    assert_string_equal(p, "/opt/x/share/assure");
    free(p);
}

int main(void)
{
    setenv("ASSURE_DATADIR", "/opt/x/share/assure", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_env_override_and_resolve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
