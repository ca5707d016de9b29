/* Our RIPEMD-160 against the specification's vectors and OpenSSL's as an oracle. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/evp.h>

#include "proto/ripemd160.h"
#include "support/testutil.h"

#define MAX_LEN 200

static EVP_MD *oracle_md;
/* Deterministic bytes, with an extra one in front so inputs can start unaligned. */
static uint8_t pattern[MAX_LEN + 64 + 1];

static int setup(void **state) {
    (void)state;
    /* Newer OpenSSL 3 has RIPEMD-160 in the default provider; 3.0.0..3.0.6 in legacy only. */
    oracle_md = EVP_MD_fetch(NULL, "RIPEMD160", NULL);
    if (!oracle_md)
        oracle_md = EVP_MD_fetch(NULL, "RIPEMD160", "provider=legacy");
    uint32_t s = 0x12345678u;
    for (size_t i = 0; i < sizeof pattern; i++) {
        s = s * 1103515245u + 12345u;
        pattern[i] = (uint8_t)(s >> 16);
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    EVP_MD_free(oracle_md);
    return 0;
}

static void oracle(const void *data, size_t len, uint8_t out[AW_RIPEMD160_SIZE]) {
    if (!oracle_md)
        fail_msg("OpenSSL offers no RIPEMD-160 to compare against");
    unsigned int out_len = 0;
    assert_true(EVP_Digest(data, len, out, &out_len, oracle_md, NULL));
    assert_int_equal(out_len, AW_RIPEMD160_SIZE);
}

static void hash(const void *data, size_t len, uint8_t out[AW_RIPEMD160_SIZE]) {
    aw_ripemd160 ctx;
    aw_ripemd160_init(&ctx);
    aw_ripemd160_update(&ctx, data, len);
    aw_ripemd160_final(&ctx, out);
}

static void assert_hex(const uint8_t d[AW_RIPEMD160_SIZE], const char *hex) {
    char *got = tu_hex_encode(d, AW_RIPEMD160_SIZE);
    assert_string_equal(got, hex);
    free(got);
}

/* The test vectors published with the specification. */
static void test_spec_vectors(void **state) {
    (void)state;
    static const struct {
        const char *msg;
        const char *hex;
    } v[] = {
        {"", "9c1185a5c5e9fc54612808977ee8f548b2258d31"},
        {"a", "0bdc9d2d256b3ee9daae347be6f4dc835a467ffe"},
        {"abc", "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"},
        {"message digest", "5d0689ef49d2fae572b881b123a85ffa21595f36"},
        {"abcdefghijklmnopqrstuvwxyz", "f71c27109c692c1b56bbdceb5b9d2865b3708dbc"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "12a053384a9c0c88e405a06c27dcf49ada62eb2b"},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
         "b0e20b6e3116640286ed3a87a5713079b21f5189"},
        {"1234567890123456789012345678901234567890"
         "1234567890123456789012345678901234567890",
         "9b752e45573d4b39f4dbd3323cab82bf63326bfb"},
    };
    uint8_t d[AW_RIPEMD160_SIZE];
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        hash(v[i].msg, strlen(v[i].msg), d);
        assert_hex(d, v[i].hex);
    }
}

/* One million 'a's, fed in uneven pieces so whole blocks go straight through. */
static void test_spec_million_a(void **state) {
    (void)state;
    static uint8_t as[1000];
    memset(as, 'a', sizeof as);
    aw_ripemd160 ctx;
    aw_ripemd160_init(&ctx);
    size_t left = 1000000, piece = 1;
    while (left) {
        size_t n = piece < left ? piece : left;
        aw_ripemd160_update(&ctx, as, n);
        left -= n;
        piece = piece % 977 + 13; /* 1..989 bytes, within as[] */
    }
    uint8_t d[AW_RIPEMD160_SIZE];
    aw_ripemd160_final(&ctx, d);
    assert_hex(d, "52783243c1697bdbe16d37f97f68f08325dc1528");
}

/* Every length across the 55/56/64-byte padding boundaries (one or two final
 * blocks, a full block, then more), from an aligned and an unaligned start. */
static void test_lengths_against_openssl(void **state) {
    (void)state;
    uint8_t got[AW_RIPEMD160_SIZE], want[AW_RIPEMD160_SIZE];
    for (size_t start = 0; start < 2; start++)
        for (size_t len = 0; len <= MAX_LEN; len++) {
            hash(pattern + start, len, got);
            oracle(pattern + start, len, want);
            assert_memory_equal(got, want, sizeof got);
        }
}

/* The same input in two updates split at every offset, and byte by byte. */
static void test_split_updates(void **state) {
    (void)state;
    uint8_t got[AW_RIPEMD160_SIZE], want[AW_RIPEMD160_SIZE];
    for (size_t len = 0; len <= MAX_LEN; len++) {
        oracle(pattern, len, want);
        for (size_t cut = 0; cut <= len; cut++) {
            aw_ripemd160 ctx;
            aw_ripemd160_init(&ctx);
            aw_ripemd160_update(&ctx, pattern, cut);
            aw_ripemd160_update(&ctx, pattern + cut, len - cut);
            aw_ripemd160_final(&ctx, got);
            assert_memory_equal(got, want, sizeof got);
        }
        aw_ripemd160 ctx;
        aw_ripemd160_init(&ctx);
        for (size_t i = 0; i < len; i++)
            aw_ripemd160_update(&ctx, pattern + i, 1);
        aw_ripemd160_update(&ctx, NULL, 0);
        aw_ripemd160_final(&ctx, got);
        assert_memory_equal(got, want, sizeof got);
    }
}

/* The one-shot equals hashing set || type || key as one buffer, for set and
 * key lengths that put the boundaries inside each part and between them. */
static void test_key_one_shot(void **state) {
    (void)state;
    uint8_t joined[64 + 1 + 130];
    uint8_t got[AW_RIPEMD160_SIZE], want[AW_RIPEMD160_SIZE];
    for (size_t set_len = 0; set_len <= 63; set_len++)
        for (size_t key_len = 0; key_len <= 130; key_len++) {
            const uint8_t *set = pattern + 1;
            const uint8_t *key = pattern + 1 + set_len;
            uint8_t ptype = (uint8_t)(set_len + key_len);
            memcpy(joined, set, set_len);
            joined[set_len] = ptype;
            memcpy(joined + set_len + 1, key, key_len);
            oracle(joined, set_len + 1 + key_len, want);
            aw_ripemd160_key(set_len ? set : NULL, set_len, ptype, key_len ? key : NULL,
                             key_len, got);
            assert_memory_equal(got, want, sizeof got);
        }
}

/* A context hashes afresh after init, whatever it held before. */
static void test_reinit(void **state) {
    (void)state;
    aw_ripemd160 ctx;
    uint8_t d[AW_RIPEMD160_SIZE];
    aw_ripemd160_init(&ctx);
    aw_ripemd160_update(&ctx, pattern, 77);
    aw_ripemd160_final(&ctx, d);
    aw_ripemd160_init(&ctx);
    aw_ripemd160_update(&ctx, "abc", 3);
    aw_ripemd160_final(&ctx, d);
    assert_hex(d, "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_vectors),           cmocka_unit_test(test_spec_million_a),
        cmocka_unit_test(test_lengths_against_openssl), cmocka_unit_test(test_split_updates),
        cmocka_unit_test(test_key_one_shot),           cmocka_unit_test(test_reinit),
    };
    return cmocka_run_group_tests_name("ripemd160", tests, setup, teardown);
}
