/* Unit tests for util, diag and sha256. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"
#include "sha256.h"
#include "util.h"

static void sha_of(const char *s, char out[65])
{
    asr_sha256 c;
    asr_sha256_init(&c);
    asr_sha256_update(&c, s, strlen(s));
    asr_sha256_final_hex(&c, out);
}

static void test_sha256_known_vectors(void **state)
{
    (void)state;
    char h[65];
    sha_of("", h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha_of("abc", h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", h);
    assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* The processor's SHA instructions (where it has them) and the portable
 * code agree: the FIPS vectors, then every length from 0 to 300 bytes and a
 * megabyte of data fed in uneven pieces. */
static void test_sha256_hardware_matches_portable(void **state)
{
    (void)state;
    static unsigned char data[1 << 20];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof data; i++) {
        x = x * 1103515245u + 12345u;
        data[i] = (unsigned char)(x >> 16);
    }
    int hw = asr_sha256_hardware(1);
    print_message("SHA instructions %s\n", hw ? "in use" : "not available: portable code twice");
    for (int pass = 0; pass < 2; pass++) {
        asr_sha256_hardware(pass == 0);
        char h[65];
        sha_of("abc", h);
        assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
    for (size_t len = 0; len <= 300; len++) {
        char a[65], b[65];
        for (int pass = 0; pass < 2; pass++) {
            asr_sha256_hardware(pass == 0);
            asr_sha256 c;
            asr_sha256_init(&c);
            asr_sha256_update(&c, data, len);
            asr_sha256_final_hex(&c, pass == 0 ? a : b);
        }
        assert_string_equal(a, b);
    }
    char a[65], b[65];
    for (int pass = 0; pass < 2; pass++) {
        asr_sha256_hardware(pass == 0);
        asr_sha256 c;
        asr_sha256_init(&c);
        for (size_t at = 0, step = 1; at < sizeof data; at += step, step = step * 3 % 1000 + 1)
            asr_sha256_update(&c, data + at, at + step <= sizeof data ? step : sizeof data - at);
        asr_sha256_final_hex(&c, pass == 0 ? a : b);
    }
    assert_string_equal(a, b);
    asr_sha256_hardware(1);
}

static void test_sha256_split_updates_match_whole(void **state)
{
    (void)state;
    char text[1000];
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (char)('a' + i % 26);
    char whole[65], parts[65];
    asr_sha256 c;
    asr_sha256_init(&c);
    asr_sha256_update(&c, text, sizeof text);
    asr_sha256_final_hex(&c, whole);
    asr_sha256_init(&c);
    for (size_t i = 0; i < sizeof text; i += 7)
        asr_sha256_update(&c, text + i, i + 7 <= sizeof text ? 7 : sizeof text - i);
    asr_sha256_final_hex(&c, parts);
    assert_string_equal(whole, parts);
}

static void test_utf8_validation(void **state)
{
    (void)state;
    const char ok[] = "plain, caf\xc3\xa9, \xe2\x82\xac, \xf0\x9f\x98\x80";
    assert_null(asr_utf8_invalid(ok, strlen(ok)));
    const char *bad[] = {
        "\xff",             /* never valid */
        "\xc0\xaf",         /* overlong '/' */
        "\xe0\x80\xaf",     /* overlong */
        "\xed\xa0\x80",     /* UTF-16 surrogate */
        "\xf4\x90\x80\x80", /* above U+10FFFF */
        "\xc3",             /* truncated */
        "abc\xe2\x82",      /* truncated at end */
        "\x80",             /* lone continuation */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_non_null(asr_utf8_invalid(bad[i], strlen(bad[i])));
    const char *s = "ok\xffrest";
    assert_ptr_equal(asr_utf8_invalid(s, strlen(s)), s + 2);
}

static void test_did_you_mean(void **state)
{
    (void)state;
    const char *const keys[] = {"title", "principle", "owner", "required_lines", NULL};
    assert_string_equal(asr_did_you_mean("titel", keys), "title");
    assert_string_equal(asr_did_you_mean("principal", keys), "principle");
    assert_string_equal(asr_did_you_mean("Owner", keys), "owner");
    assert_null(asr_did_you_mean("completely_different", keys));
    assert_int_equal(asr_edit_distance("kitten", "sitting", 10), 3);
    assert_int_equal(asr_edit_distance("abc", "xyz", 1), 2); /* capped: cap + 1 */
}

static void test_strset(void **state)
{
    (void)state;
    asr_strset set = {0};
    char key[16];
    for (int i = 0; i < 1000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(asr_strset_add(&set, key, strlen(key)), 1);
    }
    assert_int_equal(asr_strset_add(&set, "k7", 2), 0);
    assert_true(asr_strset_has(&set, "k999", 4));
    assert_false(asr_strset_has(&set, "k1000", 5));
    assert_false(asr_strset_has(&set, "k99x", 4));
    assert_true(asr_strset_has(&set, "k99x", 3)); /* length, not the NUL, ends a key */
    assert_int_equal(set.count, 1000);
    asr_strset_free(&set);
}

static void test_diag_sorts_into_file_order_and_caps(void **state)
{
    (void)state;
    asr_diag d;
    asr_diag_init(&d, 3);
    asr_loc b = {"b.yaml", 1, 1}, a9 = {"a.yaml", 9, 2}, a2 = {"a.yaml", 2, 5};
    asr_error(&d, &a9, "x", "later in a");
    asr_error(&d, &b, NULL, "in b");
    asr_error(&d, &a2, NULL, "earlier in a");
    asr_error(&d, &a2, NULL, "dropped: over the cap");
    assert_int_equal(d.count, 3);
    assert_int_equal(d.errors, 4);
    assert_int_equal(d.dropped, 1);
    asr_diag_sort(&d);
    assert_string_equal(d.items[0].message, "earlier in a");
    assert_string_equal(d.items[1].message, "later in a");
    assert_string_equal(d.items[2].message, "in b");
    asr_diag_free(&d);
}

static void test_quote_value_escapes_and_truncates(void **state)
{
    (void)state;
    char buf[128];
    assert_string_equal(asr_quote_value("a\tb", 3, buf, sizeof buf), "'a\\x09b'");
    const char *long_value = "0123456789012345678901234567890123456789-and-more";
    const char *q = asr_quote_value(long_value, strlen(long_value), buf, sizeof buf);
    assert_non_null(strstr(q, "..."));
    assert_null(strstr(q, "more"));
}

static void test_strmap(void **state)
{
    (void)state;
    asr_strmap m = {0};
    size_t v = 0;
    assert_false(asr_strmap_get(&m, "a", 1, &v));
    char keys[3000][8];
    for (size_t i = 0; i < 3000; i++) {
        snprintf(keys[i], sizeof keys[i], "k%zu", i % 1000);
        assert_int_equal(asr_strmap_put(&m, keys[i], i), i % 1000); /* the first index wins */
    }
    assert_int_equal(m.count, 1000);
    assert_true(asr_strmap_get(&m, "k999x", 4, &v));
    assert_int_equal(v, 999);
    assert_false(asr_strmap_get(&m, "k99", 2, &v) && v == 99); /* "k9" */
    assert_true(asr_strmap_get(&m, "k9", 2, &v));
    assert_int_equal(v, 9);
    assert_false(asr_strmap_get(&m, "k1000", 5, &v));
    asr_strmap_free(&m);
}

static void test_diag_full_and_counted(void **state)
{
    (void)state;
    asr_diag d;
    asr_diag_init(&d, 2);
    asr_error(&d, NULL, NULL, "one");
    assert_false(asr_diag_full(&d));
    asr_warn(&d, NULL, NULL, "two");
    assert_true(asr_diag_full(&d));
    asr_diag_count_dropped(&d, 40212);
    asr_error(&d, NULL, NULL, "dropped");
    assert_int_equal(d.errors, 40214);
    assert_int_equal(d.dropped, 40213);
    char out[256] = {0};
    FILE *f = fmemopen(out, sizeof out - 1, "w");
    asr_diag_print(&d, f);
    fclose(f);
    assert_non_null(strstr(out, "... and 40,213 more problems not shown\n"));
    asr_diag_free(&d);
}

/* Patterns glibc's regcomp would take minutes or gigabytes over are refused
 * before it sees them; ordinary ones pass. */
static void test_regex_check(void **state)
{
    (void)state;
    const char *ok[] = {"A-[0-9]{3,8}",
                        "([A-Z]{2}[0-9]{2})?",
                        "[a-z]+(\\.[a-z]+)*",
                        "a{0}b",
                        "(a|b|c|d){500}",
                        "[]a]*",
                        "[^]a]+",
                        "[[:alpha:]]{1,1999}",
                        "x{",
                        "a+*",
                        "(a+){1,400}",
                        "((a+)+)+",
                        "^a$",
                        ""};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (asr_regex_check(ok[i]))
            fprintf(stderr, "refused: %s\n", ok[i]);
        assert_null(asr_regex_check(ok[i]));
    }
    const char *nothing[] = {"((a*)*){20}", "(a?){1,400}",  "a**",    "(a*){1,1999}",
                             "(a|)*",       "(^)*",         "(\\b)+", "(a{0,3}){1,30}",
                             "(x*){,9}",    "((a*)+){1,20}"};
    for (size_t i = 0; i < sizeof nothing / sizeof nothing[0]; i++) {
        const char *why = asr_regex_check(nothing[i]);
        if (!why || !strstr(why, "can match nothing"))
            fprintf(stderr, "passed: %s\n", nothing[i]);
        assert_non_null(why);
        assert_non_null(strstr(why, "can match nothing"));
    }
    assert_non_null(strstr(asr_regex_check("((((a{1,255}){1,255}){1,255}){1,255})"), "too big"));
    assert_non_null(strstr(asr_regex_check("(ab){2001}"), "too big"));
    /* '+' doubles what it repeats: found by the fuzzer ("pas+++...+t", 63 of
     * them, in a test file's message, took 2 GB) */
    assert_non_null(strstr(asr_regex_check("pas+++++++++++++++++++++++++++++++t"), "too big"));
    assert_non_null(strstr(asr_regex_check("((((((((((((a)+)+)+)+)+)+)+)+)+)+)+)+"), "too big"));
    assert_null(asr_regex_check("((((((a)+)+)+)+)+)+"));
    assert_null(asr_regex_check("(ab){1000}"));
    assert_non_null(strstr(asr_regex_check("(a)\\1"), "back-reference"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_known_vectors),
        cmocka_unit_test(test_sha256_split_updates_match_whole),
        cmocka_unit_test(test_sha256_hardware_matches_portable),
        cmocka_unit_test(test_utf8_validation),
        cmocka_unit_test(test_did_you_mean),
        cmocka_unit_test(test_strset),
        cmocka_unit_test(test_diag_sorts_into_file_order_and_caps),
        cmocka_unit_test(test_strmap),
        cmocka_unit_test(test_regex_check),
        cmocka_unit_test(test_diag_full_and_counted),
        cmocka_unit_test(test_quote_value_escapes_and_truncates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
