/* Keys, digests and partition ids against the vectors of the real captures. */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aerowire/key.h"
#include "support/testutil.h"

static void assert_digest(const aw_key *k, const char *hex) {
    char *got = tu_hex_encode(k->digest, AW_DIGEST_SIZE);
    assert_string_equal(got, hex);
    free(got);
}

/* wire-protocol.md §4.2: verified against the official client and a real server. */
static void test_digest_vectors(void **state) {
    (void)state;
    aw_key k;
    aw_error err;
    assert_int_equal(aw_key_init_str(&k, "test", "demo", "k1", &err), AW_OK);
    assert_digest(&k, "b747f5854d0b33259928d0cfab7fad81d6abfbf6");
    assert_int_equal(aw_partition_id(k.digest), 1975);

    assert_int_equal(aw_key_init_int(&k, "test", "demo", 7, &err), AW_OK);
    assert_digest(&k, "dc2e595bc2a0d8c6290c474d74e71b23e3ed846a");
    assert_int_equal(aw_partition_id(k.digest), 3804);

    const uint8_t blob[] = {0xde, 0xad, 0xbe, 0xef};
    assert_int_equal(aw_key_init_blob(&k, "test", "demo", blob, sizeof blob, &err), AW_OK);
    assert_digest(&k, "ed8f2f28c00caeb945d416497d73f81d41314db3");
    assert_int_equal(aw_partition_id(k.digest), 4077);

    assert_int_equal(aw_key_init_str(&k, "test", "demo", "nokey", &err), AW_OK);
    assert_digest(&k, "0df7fa69b944a8131f4e02027ab8fa32e50f5f47");
    assert_int_equal(aw_partition_id(k.digest), 1805);

    assert_int_equal(aw_key_init_int(&k, "test", "sensors", 0, &err), AW_OK);
    assert_digest(&k, "81946c7a1b98fd829292d085aa5e031e555a2d44");
    assert_int_equal(aw_partition_id(k.digest), 1153);

    /* No set: the digest input starts at the particle type. */
    assert_int_equal(aw_key_init_str(&k, "test", NULL, "k1", &err), AW_OK);
    assert_digest(&k, "50149955959c2fef0a83613ae80c78bb9c96b269");
    assert_int_equal(aw_partition_id(k.digest), 1104);
    assert_int_equal(aw_key_init_str(&k, "test", "", "k1", &err), AW_OK);
    assert_digest(&k, "50149955959c2fef0a83613ae80c78bb9c96b269");
}

/* The namespace is not part of the digest; the set is. */
static void test_digest_inputs(void **state) {
    (void)state;
    aw_key a, b;
    assert_int_equal(aw_key_init_str(&a, "test", "demo", "k1", NULL), AW_OK);
    assert_int_equal(aw_key_init_str(&b, "bar", "demo", "k1", NULL), AW_OK);
    assert_memory_equal(a.digest, b.digest, AW_DIGEST_SIZE);
    assert_int_equal(aw_key_init_str(&b, "test", "demo2", "k1", NULL), AW_OK);
    assert_memory_not_equal(a.digest, b.digest, AW_DIGEST_SIZE);
    /* Integer 7 and string "7" differ (particle type is hashed). */
    assert_int_equal(aw_key_init_int(&a, "test", "demo", 7, NULL), AW_OK);
    assert_int_equal(aw_key_init_str(&b, "test", "demo", "7", NULL), AW_OK);
    assert_memory_not_equal(a.digest, b.digest, AW_DIGEST_SIZE);
    /* strn uses exactly n bytes. */
    assert_int_equal(aw_key_init_strn(&a, "test", "demo", "k1xyz", 2, NULL), AW_OK);
    assert_digest(&a, "b747f5854d0b33259928d0cfab7fad81d6abfbf6");
    /* A ready digest is kept as given. */
    uint8_t d[AW_DIGEST_SIZE];
    memset(d, 0xab, sizeof d);
    assert_int_equal(aw_key_init_digest(&a, "test", "demo", d, NULL), AW_OK);
    assert_memory_equal(a.digest, d, sizeof d);
    assert_int_equal(a.user_key.type, AW_NIL);
    assert_int_equal(aw_partition_id(d), 0xabab & 0xfff);
}

/* aw_digest_compute hashes exactly set_len bytes of the set and refuses what it cannot hash. */
static void test_digest_compute(void **state) {
    (void)state;
    aw_value k1 = aw_value_str("k1");
    uint8_t d[AW_DIGEST_SIZE];
    aw_error err;
    assert_int_equal(aw_digest_compute("demoXYZ", 4, &k1, d, &err), AW_OK);
    char *hex = tu_hex_encode(d, sizeof d);
    assert_string_equal(hex, "b747f5854d0b33259928d0cfab7fad81d6abfbf6");
    free(hex);
    assert_int_equal(aw_digest_compute(NULL, 0, &k1, d, &err), AW_OK);
    hex = tu_hex_encode(d, sizeof d);
    assert_string_equal(hex, "50149955959c2fef0a83613ae80c78bb9c96b269");
    free(hex);

    assert_int_equal(aw_digest_compute(NULL, 4, &k1, d, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "NULL set"));
    assert_int_equal(aw_digest_compute("demo", 4, NULL, d, &err), AW_ERR_PARAM);
    assert_int_equal(aw_digest_compute("demo", 4, &k1, NULL, &err), AW_ERR_PARAM);
    aw_value f = aw_value_float(1.5);
    assert_int_equal(aw_digest_compute("demo", 4, &f, d, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "integer, string or blob"));
    aw_value holed = aw_value_blob(NULL, 3);
    assert_int_equal(aw_digest_compute("demo", 4, &holed, d, &err), AW_ERR_PARAM);
}

static void test_digest_int_extremes(void **state) {
    (void)state;
    /* The 8-byte big-endian encoding is hashed: -1 and INT64_MAX must differ
     * from each other and from 0, and be stable across calls. */
    aw_key a, b, c, d;
    assert_int_equal(aw_key_init_int(&a, "test", "demo", -1, NULL), AW_OK);
    assert_int_equal(aw_key_init_int(&b, "test", "demo", INT64_MAX, NULL), AW_OK);
    assert_int_equal(aw_key_init_int(&c, "test", "demo", INT64_MIN, NULL), AW_OK);
    assert_int_equal(aw_key_init_int(&d, "test", "demo", -1, NULL), AW_OK);
    assert_memory_not_equal(a.digest, b.digest, AW_DIGEST_SIZE);
    assert_memory_not_equal(b.digest, c.digest, AW_DIGEST_SIZE);
    assert_memory_equal(a.digest, d.digest, AW_DIGEST_SIZE);
}

static void test_key_bad_input(void **state) {
    (void)state;
    aw_key k;
    aw_error err;
    char ns32[33], set64[65];
    memset(ns32, 'n', 32);
    ns32[32] = '\0';
    memset(set64, 's', 64);
    set64[64] = '\0';

    assert_int_equal(aw_key_init_int(&k, ns32, "demo", 1, &err), AW_ERR_BAD_NAME);
    assert_int_equal(err.code, AW_ERR_BAD_NAME);
    assert_non_null(strstr(err.message, "namespace"));
    assert_non_null(strstr(err.message, "31"));
    ns32[31] = '\0'; /* exactly 31 is fine */
    assert_int_equal(aw_key_init_int(&k, ns32, "demo", 1, &err), AW_OK);

    assert_int_equal(aw_key_init_int(&k, "test", set64, 1, &err), AW_ERR_BAD_NAME);
    assert_non_null(strstr(err.message, "set"));
    set64[63] = '\0';
    assert_int_equal(aw_key_init_int(&k, "test", set64, 1, &err), AW_OK);

    assert_int_equal(aw_key_init_int(&k, "", "demo", 1, &err), AW_ERR_BAD_NAME);
    assert_int_equal(aw_key_init_int(&k, NULL, "demo", 1, &err), AW_ERR_PARAM);
    assert_int_equal(aw_key_init_int(NULL, "test", "demo", 1, &err), AW_ERR_PARAM);
    assert_int_equal(aw_key_init_str(&k, "test", "demo", NULL, &err), AW_ERR_PARAM);
    assert_int_equal(aw_key_init_blob(&k, "test", "demo", NULL, 3, &err), AW_ERR_PARAM);
    assert_int_equal(aw_key_init_digest(&k, "test", "demo", NULL, &err), AW_ERR_PARAM);
    aw_value f = aw_value_float(1.5);
    assert_int_equal(aw_key_init_value(&k, "test", "demo", &f, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "integer, string or blob"));
    /* NULL err is allowed. */
    assert_int_equal(aw_key_init_int(&k, "", "demo", 1, NULL), AW_ERR_BAD_NAME);
}

/* Digests computed on several threads at once must all be right. */
static void *digest_worker(void *arg) {
    int *ok = arg;
    *ok = 1;
    for (int i = 0; i < 2000; i++) {
        aw_key k;
        if (aw_key_init_str(&k, "test", "demo", "k1", NULL) != AW_OK ||
            memcmp(k.digest, "\xb7\x47\xf5\x85", 4) != 0)
            *ok = 0;
    }
    return NULL;
}

static void test_digest_threads(void **state) {
    (void)state;
    pthread_t t[4];
    int ok[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, digest_worker, &ok[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_true(ok[i]);
    }
}

/* Every partition id is reachable and within range for a spread of keys. */
static void test_partition_range(void **state) {
    (void)state;
    static unsigned char seen[AW_PARTITIONS];
    size_t distinct = 0;
    for (int64_t i = 0; i < 40000; i++) {
        aw_key k;
        assert_int_equal(aw_key_init_int(&k, "test", "demo", i, NULL), AW_OK);
        uint32_t p = aw_partition_id(k.digest);
        assert_true(p < AW_PARTITIONS);
        if (!seen[p]++)
            distinct++;
    }
    /* 40000 uniform draws over 4096 bins miss essentially none. */
    assert_true(distinct > 4080);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_digest_vectors),     cmocka_unit_test(test_digest_inputs),
        cmocka_unit_test(test_digest_compute),
        cmocka_unit_test(test_digest_int_extremes), cmocka_unit_test(test_key_bad_input),
        cmocka_unit_test(test_digest_threads),     cmocka_unit_test(test_partition_range),
    };
    return cmocka_run_group_tests_name("key", tests, NULL, NULL);
}
