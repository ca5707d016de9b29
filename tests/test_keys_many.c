/*
 * Many keys at once (aw_keys_digest, aw_keys_init_int) against the
 * one-key path, for every lanes implementation this CPU can run: sets and
 * keys of every length around the one-block limit, int/str/blob keys,
 * groups of every size around sixteen, digest-only keys left alone, and
 * the errors.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aerowire/key.h"
#include "proto/ripemd160_lanes.h"
#include "support/testutil.h"

static const char *const impls[] = {"avx512", "avx2", "generic"};

/* Deterministic bytes for key contents. */
static uint8_t pattern[256];

static int setup(void **state) {
    (void)state;
    uint32_t s = 0x9e3779b9u;
    for (size_t i = 0; i < sizeof pattern; i++) {
        s = s * 1103515245u + 12345u;
        pattern[i] = (uint8_t)(s >> 16);
    }
    return 0;
}

static int restore_best(void **state) {
    (void)state;
    /* Later tests (and other suites) get the best implementation again. */
    assert_true(aw_ripemd160_lanes_use(impls[0]) || aw_ripemd160_lanes_use(impls[1]) ||
                aw_ripemd160_lanes_use(impls[2]));
    return 0;
}

/* Key i of a mixed list: ints, strings and blobs whose lengths sweep past
 * the 55 bytes a one-block message can hold, with sets of several lengths. */
static void mixed_key(aw_key *k, size_t i) {
    static const char *const sets[] = {"", "s", "colbench", "a-set-of-thirty-one-bytes-long.",
                                       "a-set-name-that-is-sixty-three-bytes-long-the-most-allowed-xyz"};
    const char *set = sets[i % 5];
    size_t len = (i * 7) % 70;
    switch (i % 3) {
    case 0:
        assert_int_equal(aw_key_init_int(k, "test", set, (int64_t)(i * 0x9e3779b97f4a7c15ull), NULL),
                         AW_OK);
        break;
    case 1:
        assert_int_equal(aw_key_init_strn(k, "test", set, (const char *)pattern + i % 64, len, NULL),
                         AW_OK);
        break;
    default:
        assert_int_equal(aw_key_init_blob(k, "test", set, pattern + i % 32, len, NULL), AW_OK);
        if (i % 4 == 0)
            k->user_key.subtype = 4; /* a blob of another particle type */
        break;
    }
}

/* For each implementation and each list length: the digests of
 * aw_keys_digest equal those of the one-key path. */
static void test_digest_matches_one_by_one(void **state) {
    (void)state;
    enum { MAX_KEYS = 300 };
    aw_key *expect = calloc(MAX_KEYS, sizeof *expect), *got = calloc(MAX_KEYS, sizeof *got);
    assert_non_null(expect);
    assert_non_null(got);
    for (size_t i = 0; i < MAX_KEYS; i++) {
        mixed_key(&expect[i], i);
        /* The one-key path again, on the key with its subtype in place. */
        assert_int_equal(aw_digest_compute(expect[i].set, strlen(expect[i].set),
                                           &expect[i].user_key, expect[i].digest, NULL),
                         AW_OK);
    }
    static const size_t counts[] = {0, 1, 2, 3, 4, 15, 16, 17, 31, 32, 33, 47, 299, 300};
    int ran = 0;
    for (size_t m = 0; m < sizeof impls / sizeof impls[0]; m++) {
        if (!aw_ripemd160_lanes_use(impls[m]))
            continue;
        ran++;
        assert_string_equal(aw_ripemd160_lanes_impl(), impls[m]);
        for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
            size_t n = counts[c];
            memcpy(got, expect, MAX_KEYS * sizeof *got);
            for (size_t i = 0; i < n; i++)
                memset(got[i].digest, 0xee, AW_DIGEST_SIZE);
            assert_int_equal(aw_keys_digest(got, n, NULL), AW_OK);
            for (size_t i = 0; i < MAX_KEYS; i++) {
                if (memcmp(got[i].digest, i < n ? expect[i].digest : got[i].digest,
                           AW_DIGEST_SIZE) != 0)
                    fail_msg("%s, %zu keys: key %zu (set '%s', type %u, %u bytes) differs",
                             impls[m], n, i, got[i].set, got[i].user_key.type,
                             got[i].user_key.len);
            }
            /* Past n nothing was touched. */
            for (size_t i = n; i < MAX_KEYS; i++)
                assert_memory_equal(got[i].digest, expect[i].digest, AW_DIGEST_SIZE);
        }
    }
    assert_true(ran >= 1); /* generic runs everywhere */
    free(expect);
    free(got);
}

/* Every one-block boundary: set + type byte + key of 54, 55, 56 bytes. */
static void test_block_boundary(void **state) {
    (void)state;
    enum { N = 40 };
    aw_key keys[N], one;
    for (size_t i = 0; i < N; i++) {
        size_t key_len = 40 + i % 20; /* with "colbench" (8) + 1: 49..68 bytes */
        assert_int_equal(aw_key_init_blob(&keys[i], "test", "colbench", pattern + i, key_len, NULL),
                         AW_OK);
    }
    aw_key copy[N];
    memcpy(copy, keys, sizeof copy);
    for (size_t i = 0; i < N; i++)
        memset(copy[i].digest, 0, AW_DIGEST_SIZE);
    assert_int_equal(aw_keys_digest(copy, N, NULL), AW_OK);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(aw_key_init_blob(&one, "test", "colbench", pattern + i, 40 + i % 20, NULL),
                         AW_OK);
        assert_memory_equal(copy[i].digest, one.digest, AW_DIGEST_SIZE);
    }
}

/* aw_keys_init_int makes what aw_key_init_int makes, key for key, with
 * every implementation and counts around the lanes, and a digest vector of
 * the real captures comes out right among others. */
static void test_init_int(void **state) {
    (void)state;
    enum { N = 1000 };
    aw_key *keys = calloc(N, sizeof *keys);
    int64_t *values = calloc(N, sizeof *values);
    assert_non_null(keys);
    assert_non_null(values);
    for (size_t i = 0; i < N; i++)
        values[i] = (int64_t)i * 7919 - 500000;
    values[17] = 7; /* test/demo/7: dc2e595b... (wire-protocol.md §4.2) */
    static const size_t counts[] = {1, 2, 3, 4, 17, 18, 19, 33, N};
    for (size_t m = 0; m < sizeof impls / sizeof impls[0]; m++) {
        if (!aw_ripemd160_lanes_use(impls[m]))
            continue;
        for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
            size_t n = counts[c];
            memset(keys, 0, N * sizeof *keys);
            aw_error err;
            assert_int_equal(aw_keys_init_int(keys, n, "test", "demo", values, &err), AW_OK);
            if (n > 17) {
                char *hex = tu_hex_encode(keys[17].digest, AW_DIGEST_SIZE);
                assert_string_equal(hex, "dc2e595bc2a0d8c6290c474d74e71b23e3ed846a");
                free(hex);
            }
            for (size_t i = 0; i < N; i++) {
                if (i >= n) { /* untouched */
                    assert_int_equal(keys[i].ns[0], 0);
                    continue;
                }
                aw_key one;
                assert_int_equal(aw_key_init_int(&one, "test", "demo", values[i], NULL), AW_OK);
                assert_string_equal(keys[i].ns, "test");
                assert_string_equal(keys[i].set, "demo");
                assert_int_equal(keys[i].user_key.type, AW_INT);
                assert_true(keys[i].user_key.u.i == values[i]);
                if (memcmp(keys[i].digest, one.digest, AW_DIGEST_SIZE) != 0)
                    fail_msg("%s, %zu keys: key %zu differs", impls[m], n, i);
            }
        }
    }
    /* No set at all, and the longest set. */
    const char *long_set = "a-set-name-that-is-sixty-three-bytes-long-the-most-allowed-xyz";
    const char *sets[] = {NULL, long_set};
    for (size_t j = 0; j < 2; j++) {
        assert_int_equal(aw_keys_init_int(keys, 20, "test", sets[j], values, NULL), AW_OK);
        for (size_t i = 0; i < 20; i++) {
            aw_key one;
            assert_int_equal(aw_key_init_int(&one, "test", sets[j], values[i], NULL), AW_OK);
            assert_memory_equal(keys[i].digest, one.digest, AW_DIGEST_SIZE);
        }
    }
    free(keys);
    free(values);
}

/* Digest-only keys keep their digests; a bad key stops the call with its
 * index named, the keys before it done. */
static void test_nil_and_errors(void **state) {
    (void)state;
    enum { N = 24 };
    aw_key keys[N];
    for (size_t i = 0; i < N; i++)
        mixed_key(&keys[i], i);
    uint8_t given[AW_DIGEST_SIZE];
    memset(given, 0x5a, sizeof given);
    assert_int_equal(aw_key_init_digest(&keys[3], "test", "s", given, NULL), AW_OK);
    aw_key expect[N];
    memcpy(expect, keys, sizeof expect);
    for (size_t i = 0; i < N; i++)
        if (i != 3)
            memset(keys[i].digest, 0, AW_DIGEST_SIZE);
    aw_error err;
    assert_int_equal(aw_keys_digest(keys, N, &err), AW_OK);
    for (size_t i = 0; i < N; i++)
        assert_memory_equal(keys[i].digest, expect[i].digest, AW_DIGEST_SIZE);
    assert_memory_equal(keys[3].digest, given, AW_DIGEST_SIZE);

    /* Key 20 has a user key of a type no key can have. */
    for (size_t i = 0; i < N; i++)
        memset(keys[i].digest, 0, AW_DIGEST_SIZE);
    keys[20].user_key = aw_value_float(1.5);
    assert_int_equal(aw_keys_digest(keys, N, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "key 20"));
    assert_non_null(strstr(err.message, "integer, string or blob"));
    for (size_t i = 0; i < 20; i++)
        if (i != 3)
            assert_memory_equal(keys[i].digest, expect[i].digest, AW_DIGEST_SIZE);

    /* NULLs and bad names. */
    assert_int_equal(aw_keys_digest(NULL, 2, &err), AW_ERR_PARAM);
    assert_int_equal(aw_keys_digest(NULL, 0, &err), AW_OK);
    int64_t v[2] = {1, 2};
    assert_int_equal(aw_keys_init_int(NULL, 2, "test", "s", v, &err), AW_ERR_PARAM);
    assert_int_equal(aw_keys_init_int(keys, 2, "test", "s", NULL, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "values"));
    assert_int_equal(aw_keys_init_int(keys, 2, "", "s", v, &err), AW_ERR_BAD_NAME);
    char long_set[80];
    memset(long_set, 's', sizeof long_set - 1);
    long_set[sizeof long_set - 1] = '\0';
    assert_int_equal(aw_keys_init_int(keys, 2, "test", long_set, v, &err), AW_ERR_BAD_NAME);
    assert_int_equal(aw_keys_init_int(keys, 0, NULL, NULL, NULL, &err), AW_OK);
    assert_false(aw_ripemd160_lanes_use("no-such-unit"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_digest_matches_one_by_one, restore_best),
        cmocka_unit_test(test_block_boundary),
        cmocka_unit_test_teardown(test_init_int, restore_best),
        cmocka_unit_test(test_nil_and_errors),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
