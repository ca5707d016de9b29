/*
 * The partition cursor (aerowire/query.h): filters, per-partition state, and
 * its byte form, which must come back identical and must refuse anything
 * that is not what it wrote (every single-byte change, every truncation)
 * with AW_ERR_PARAM rather than read past the end or trust bad bytes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "aerowire/aerowire.h"
#include "proto/pstatus.h"
#include "support/testutil.h"

static void test_filters(void **state) {
    (void)state;
    aw_partition_status *ps;
    aw_error err;
    aw_partition_filter f = aw_partition_filter_range(4000, 97);
    assert_int_equal(aw_partition_status_new(&f, &ps, &err), AW_ERR_PARAM);
    f = aw_partition_filter_range(10, 0);
    assert_int_equal(aw_partition_status_new(&f, &ps, &err), AW_ERR_PARAM);
    f = aw_partition_filter_range(4096, 1);
    assert_int_equal(aw_partition_status_new(&f, &ps, &err), AW_ERR_PARAM);

    f = aw_partition_filter_range(4000, 96);
    assert_int_equal(aw_partition_status_new(&f, &ps, &err), AW_OK);
    assert_int_equal(aw_partition_status_count(ps), 96);
    aw_partition_info pi;
    assert_int_equal(aw_partition_status_get(ps, 3999, &pi, &err), AW_ERR_PARAM);
    assert_int_equal(aw_partition_status_get(ps, 4095, &pi, &err), AW_OK);
    assert_int_equal(pi.id, 4095);
    assert_false(pi.done || pi.has_digest || pi.retry);
    assert_false(aw_partition_status_done(ps));
    aw_partition_status_free(ps);

    /* after(digest): that digest's partition only, resuming after it */
    uint8_t d[AW_DIGEST_SIZE] = {0x98, 0x0d, 0xcc};
    f = aw_partition_filter_after(d);
    assert_int_equal(aw_partition_status_new(&f, &ps, &err), AW_OK);
    assert_int_equal(aw_partition_status_count(ps), 1);
    assert_int_equal(aw_partition_status_get(ps, 3480, &pi, &err), AW_OK);
    assert_true(pi.has_digest);
    assert_memory_equal(pi.digest, d, AW_DIGEST_SIZE);
    aw_partition_status_free(ps);
    /* a digest that is not of the filter's partition */
    f.begin = 7;
    assert_int_equal(aw_partition_status_new(&f, &ps, &err), AW_ERR_PARAM);
}

/* A cursor in every state: done, resuming after a digest (with bval),
 * flagged for retry, untouched. */
static aw_partition_status *sample(void) {
    aw_partition_filter f = aw_partition_filter_range(100, 50);
    aw_partition_status *ps;
    assert_int_equal(aw_partition_status_new(&f, &ps, NULL), AW_OK);
    for (uint32_t i = 0; i < 50; i += 3) {
        uint8_t d[AW_DIGEST_SIZE];
        memset(d, (int)i, sizeof d);
        d[0] = (uint8_t)(100 + i);
        d[1] = 0;
        assert_true(aw_pstatus_on_record(ps, d, -(int64_t)i * 1000003));
    }
    ps->parts[1].done = true;
    ps->parts[4].retry = true;
    return ps;
}

static void test_bytes_round_trip(void **state) {
    (void)state;
    aw_partition_status *ps = sample(), *back;
    uint8_t *b;
    size_t n;
    assert_int_equal(aw_partition_status_write(ps, &b, &n, NULL), AW_OK);
    assert_int_equal(aw_partition_status_read(b, n, &back, NULL), AW_OK);
    assert_int_equal(back->begin, ps->begin);
    assert_int_equal(back->count, ps->count);
    assert_memory_equal(back->parts, ps->parts, ps->count * sizeof ps->parts[0]);
    aw_partition_status_free(back);
    aw_free(b);
    aw_partition_status_free(ps);
}

static void test_corrupt_bytes_are_refused(void **state) {
    (void)state;
    aw_partition_status *ps = sample(), *back;
    uint8_t *b;
    size_t n;
    assert_int_equal(aw_partition_status_write(ps, &b, &n, NULL), AW_OK);
    aw_error err;
    for (size_t cut = 0; cut < n; cut++) {
        uint8_t *t = malloc(cut ? cut : 1); /* exactly cut bytes: ASan sees overreads */
        memcpy(t, b, cut);
        assert_int_equal(aw_partition_status_read(t, cut, &back, &err), AW_ERR_PARAM);
        free(t);
    }
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (uint8_t)(1u << bit);
            assert_int_equal(aw_partition_status_read(b, n, &back, &err), AW_ERR_PARAM);
            b[i] ^= (uint8_t)(1u << bit);
        }
    }
    /* another version is named as such */
    b[4] = 2;
    assert_int_equal(aw_partition_status_read(b, n, &back, &err), AW_ERR_PARAM);
    assert_non_null(strstr(err.message, "version 2"));
    assert_int_equal(aw_partition_status_read(NULL, n, &back, &err), AW_ERR_PARAM);
    aw_free(b);
    aw_partition_status_free(ps);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_bytes_round_trip),
        cmocka_unit_test(test_corrupt_bytes_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
