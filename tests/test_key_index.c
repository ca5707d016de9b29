/* aw_key_index: key -> row by digest (and namespace). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "aerowire/key.h"
#include "aerowire/numpy.h"
#include "support/testutil.h"

static void test_kinds_duplicates_absent(void **state) {
    (void)state;
    aw_key keys[8];
    const uint8_t blob[] = {0xde, 0xad, 0xbe, 0xef};
    uint8_t dig[AW_DIGEST_SIZE];
    memset(dig, 0xab, sizeof dig);
    assert_int_equal(aw_key_init_int(&keys[0], "test", "demo", 7, NULL), AW_OK);
    assert_int_equal(aw_key_init_str(&keys[1], "test", "demo", "k1", NULL), AW_OK);
    assert_int_equal(aw_key_init_blob(&keys[2], "test", "demo", blob, sizeof blob, NULL), AW_OK);
    assert_int_equal(aw_key_init_digest(&keys[3], "test", "demo", dig, NULL), AW_OK);
    assert_int_equal(aw_key_init_str(&keys[4], "test", "demo", "k1", NULL), AW_OK); /* dup of 1 */
    assert_int_equal(aw_key_init_int(&keys[5], "test", "other", 7, NULL), AW_OK);
    assert_int_equal(aw_key_init_int(&keys[6], "bar", "demo", 7, NULL), AW_OK); /* other ns */
    assert_int_equal(aw_key_init_int(&keys[7], "test", "demo", 7, NULL), AW_OK); /* dup of 0 */
    aw_key_index *idx;
    aw_error err;
    assert_int_equal(aw_key_index_new(keys, 8, &idx, &err), AW_OK);
    assert_int_equal(aw_key_index_find(idx, &keys[0]), 0);
    assert_int_equal(aw_key_index_find(idx, &keys[1]), 1);
    assert_int_equal(aw_key_index_find(idx, &keys[2]), 2);
    assert_int_equal(aw_key_index_find(idx, &keys[3]), 3);
    assert_int_equal(aw_key_index_find(idx, &keys[4]), 1);
    assert_int_equal(aw_key_index_find(idx, &keys[5]), 5);
    assert_int_equal(aw_key_index_find(idx, &keys[6]), 6);
    assert_int_equal(aw_key_index_find(idx, &keys[7]), 0);

    /* Looked up by an equivalent key of another kind: a digest, or a fresh key. */
    aw_key probe;
    assert_int_equal(aw_key_init_digest(&probe, "test", "demo", keys[2].digest, NULL), AW_OK);
    assert_int_equal(aw_key_index_find(idx, &probe), 2);
    assert_int_equal(aw_key_init_blob(&probe, "test", "demo", blob, sizeof blob, NULL), AW_OK);
    assert_int_equal(aw_key_index_find(idx, &probe), 2);
    /* Absent: another key, another namespace, another set. */
    assert_int_equal(aw_key_init_int(&probe, "test", "demo", 8, NULL), AW_OK);
    assert_int_equal(aw_key_index_find(idx, &probe), -1);
    assert_int_equal(aw_key_init_str(&probe, "nons", "demo", "k1", NULL), AW_OK);
    assert_int_equal(aw_key_index_find(idx, &probe), -1);
    assert_int_equal(aw_key_init_str(&probe, "bar", "demo", "k1", NULL), AW_OK);
    assert_int_equal(aw_key_index_find(idx, &probe), -1);
    assert_int_equal(aw_key_init_str(&probe, "test", "demo2", "k1", NULL), AW_OK);
    assert_int_equal(aw_key_index_find(idx, &probe), -1);
    assert_int_equal(aw_key_index_find(idx, NULL), -1);
    assert_int_equal(aw_key_index_find(NULL, &probe), -1);
    aw_key_index_free(idx);
    aw_key_index_free(NULL);
}

static void test_empty_and_params(void **state) {
    (void)state;
    aw_key_index *idx;
    aw_error err;
    aw_key k;
    assert_int_equal(aw_key_init_int(&k, "test", "demo", 1, NULL), AW_OK);
    assert_int_equal(aw_key_index_new(NULL, 0, &idx, &err), AW_OK);
    assert_int_equal(aw_key_index_find(idx, &k), -1);
    aw_key_index_free(idx);
    assert_int_equal(aw_key_index_new(&k, 0, &idx, &err), AW_OK);
    assert_int_equal(aw_key_index_find(idx, &k), -1);
    aw_key_index_free(idx);
    assert_int_equal(aw_key_index_new(&k, 1, &idx, &err), AW_OK);
    assert_int_equal(aw_key_index_find(idx, &k), 0);
    aw_key_index_free(idx);
    idx = (aw_key_index *)1;
    assert_int_equal(aw_key_index_new(NULL, 3, &idx, &err), AW_ERR_PARAM);
    assert_null(idx);
    assert_non_null(strstr(err.message, "keys is NULL"));
    assert_int_equal(aw_key_index_new(&k, 1, NULL, &err), AW_ERR_PARAM);
    /* A namespace with no terminator (a corrupt key) is refused, not read past. */
    aw_key bad = k;
    memset(bad.ns, 'x', sizeof bad.ns);
    assert_int_equal(aw_key_index_new(&bad, 1, &idx, &err), AW_ERR_PARAM);
    assert_int_equal(aw_key_index_new(&k, 1, &idx, &err), AW_OK);
    assert_int_equal(aw_key_index_find(idx, &bad), -1);
    aw_key_index_free(idx);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A million keys, with digests both random and hand-made (a counter in the
 * first bytes, zeros after): building and finding every one stays fast. */
static void test_million(void **state) {
    (void)state;
    const size_t n = 1000000;
    aw_key *keys = malloc(n * sizeof *keys);
    assert_non_null(keys);
    uint64_t x = 0x123456789abcdefull;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            uint8_t d[AW_DIGEST_SIZE] = {0};
            if (pass == 0) {
                for (size_t b = 0; b < AW_DIGEST_SIZE; b++) {
                    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                    d[b] = (uint8_t)x;
                }
            } else {
                uint32_t v = (uint32_t)i;
                memcpy(d, &v, sizeof v);
            }
            /* every 1000th key repeats the one before it */
            if (i % 1000 == 999)
                memcpy(d, keys[i - 1].digest, sizeof d);
            assert_int_equal(aw_key_init_digest(&keys[i], "test", "s", d, NULL), AW_OK);
        }
        double t0 = now_s();
        aw_key_index *idx;
        assert_int_equal(aw_key_index_new(keys, n, &idx, NULL), AW_OK);
        double t1 = now_s();
        for (size_t i = 0; i < n; i++) {
            int64_t want = i % 1000 == 999 ? (int64_t)i - 1 : (int64_t)i;
            if (aw_key_index_find(idx, &keys[i]) != want)
                fail_msg("key %zu: found %lld", i, (long long)aw_key_index_find(idx, &keys[i]));
        }
        double t2 = now_s();
        uint8_t absent[AW_DIGEST_SIZE];
        memset(absent, 0xee, sizeof absent);
        aw_key probe;
        assert_int_equal(aw_key_init_digest(&probe, "test", "s", absent, NULL), AW_OK);
        assert_int_equal(aw_key_index_find(idx, &probe), -1);
        aw_key_index_free(idx);
        printf("  %s digests: build %.0f ms, 1M finds %.0f ms\n", pass ? "counter" : "random",
               (t1 - t0) * 1e3, (t2 - t1) * 1e3);
        /* Generous even under sanitizers: a quadratic table would take minutes. */
        assert_true(t2 - t0 < 10.0);
    }
    free(keys);
}

static void test_failing_allocator(void **state) {
    (void)state;
    aw_key keys[40];
    for (int i = 0; i < 40; i++)
        assert_int_equal(aw_key_init_int(&keys[i], i % 5 == 0 ? "a" : i % 5 == 1 ? "b" : i % 5 == 2 ? "c" : i % 5 == 3 ? "d" : "e",
                                         "s", i, NULL),
                         AW_OK);
    int rc = AW_ERR_NOMEM;
    long n;
    for (n = 1; n < 50 && rc != AW_OK; n++) {
        aw_key_index *idx = NULL;
        aw_error err;
        tu_failalloc_on(n);
        rc = aw_key_index_new(keys, 40, &idx, &err);
        tu_failalloc_off();
        if (rc == AW_OK) {
            for (int i = 0; i < 40; i++)
                assert_int_equal(aw_key_index_find(idx, &keys[i]), i);
            aw_key_index_free(idx);
        } else {
            assert_int_equal(rc, AW_ERR_NOMEM);
            assert_null(idx);
        }
    }
    assert_int_equal(rc, AW_OK);
    assert_true(n > 4);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds_duplicates_absent),
        cmocka_unit_test(test_empty_and_params),
        cmocka_unit_test(test_million),
        cmocka_unit_test(test_failing_allocator),
    };
    return cmocka_run_group_tests_name("key_index", tests, NULL, NULL);
}
