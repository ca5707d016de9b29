/*
 * aw_short_eq and aw_short_is (the inline name comparisons of batches)
 * against memcmp: every length to 64, a difference at every position, and
 * runs that end exactly at the end of an allocation (ASan sees any read
 * past them).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "proto/short_eq.h"

/* n bytes at the very end of their own allocations. */
static uint8_t *tail_copy(const uint8_t *src, size_t n, uint8_t **block) {
    *block = malloc(n ? n : 1);
    assert_non_null(*block);
    memcpy(*block, src, n);
    return *block;
}

static void test_every_length_and_position(void **state) {
    (void)state;
    uint8_t base[64];
    for (size_t i = 0; i < sizeof base; i++)
        base[i] = (uint8_t)('a' + i % 26);
    for (size_t n = 0; n <= 64; n++) {
        uint8_t *ba, *bb;
        uint8_t *a = tail_copy(base, n, &ba);
        uint8_t *b = tail_copy(base, n, &bb);
        assert_true(aw_short_eq(a, b, n));
        for (size_t at = 0; at < n; at++) {
            for (unsigned bit = 0; bit < 8; bit++) {
                b[at] ^= (uint8_t)(1u << bit);
                assert_int_equal(aw_short_eq(a, b, n), memcmp(a, b, n) == 0);
                assert_false(aw_short_eq(a, b, n));
                b[at] ^= (uint8_t)(1u << bit);
            }
        }
        assert_true(aw_short_eq(a, b, n));
        free(ba);
        free(bb);
    }
}

static void test_short_is(void **state) {
    (void)state;
    char set[64] = "colbench";
    assert_true(aw_short_is(set, "colbench", 8));
    assert_false(aw_short_is(set, "colbenc", 7));  /* set goes on past the name */
    assert_false(aw_short_is(set, "colbenchx", 9)); /* set ends before the name does */
    assert_false(aw_short_is(set, "colbanch", 8));
    char empty[32] = "";
    assert_true(aw_short_is(empty, "", 0));
    assert_false(aw_short_is(set, "", 0));
    char full[64];
    memset(full, 'x', 63);
    full[63] = '\0';
    assert_true(aw_short_is(full, full, 63));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_length_and_position),
        cmocka_unit_test(test_short_is),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
