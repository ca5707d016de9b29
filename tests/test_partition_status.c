/*
 * The partition cursor (aerowire/query.h): filters, per-partition state, and
 * its byte form, which must come back identical and must refuse anything
 * that is not what it wrote (every single-byte change, every truncation)
 * with AW_ERR_PARAM rather than read past the end or trust bad bytes.
 * Also the scan/query encoder's refusals.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "aerowire/aerowire.h"
#include "proto/buf.h"
#include "proto/pstatus.h"
#include "proto/scanq.h"
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

static void test_encoder_refusals(void **state) {
    (void)state;
    aw_partition_filter f = aw_partition_filter_all();
    aw_partition_status *ps;
    assert_int_equal(aw_partition_status_new(&f, &ps, NULL), AW_OK);
    aw_partition_info *parts[1] = {&ps->parts[0]};
    aw_query q = {.ns = "test", .set = "sq"};
    aw_scanq_req r = {.q = &q, .parts = parts, .n_parts = 1, .socket_timeout_ms = 30000};
    aw_buf out;
    aw_buf_init(&out);
    aw_error err;
    assert_int_equal(aw_req_scanq(&out, &r, &err), AW_OK);
    size_t ok_len = out.len;

    r.n_parts = 0; /* a foreground request must name partitions */
    assert_int_equal(aw_req_scanq(&out, &r, &err), AW_ERR_PARAM);
    r.n_parts = 1;
    q.ns = "";
    assert_int_equal(aw_req_scanq(&out, &r, &err), AW_ERR_BAD_NAME);
    q.ns = "test";
    const char *bins[] = {"a_bin_name_over_15"};
    q.bins = bins;
    q.n_bins = 1;
    assert_int_equal(aw_req_scanq(&out, &r, &err), AW_ERR_BAD_NAME);
    q.bins = NULL;
    q.n_bins = 0;
    aw_index_filter w = aw_filter_equal_int("i", 1);
    w.index_name = "idx";
    q.where = &w;
    assert_int_equal(aw_req_scanq(&out, &r, &err), AW_ERR_PARAM); /* bin and name */
    w = aw_filter_geo_within_radius("g", 1.0 / 0.0, 0, 10);
    assert_int_equal(aw_req_scanq(&out, &r, &err), AW_ERR_PARAM);
    q.where = NULL;
    aw_op wr = aw_op_write("x", aw_value_int(1));
    q.ops = &wr;
    q.n_ops = 1;
    assert_int_equal(aw_req_scanq(&out, &r, &err), AW_ERR_PARAM); /* writes in the foreground */
    aw_op rd = aw_op_read("x");
    q.ops = &rd;
    aw_req_opts wo = aw_req_opts_default();
    r.write = &wo;
    assert_int_equal(aw_req_scanq(&out, &r, &err), AW_ERR_PARAM); /* reads in a background job */
    assert_int_equal(out.len, ok_len); /* nothing left behind by a refusal */
    aw_buf_free(&out);
    aw_partition_status_free(ps);
}

/* The radius filter's circle, as the official clients' literal circles read. */
static void test_geo_circle_text(void **state) {
    (void)state;
    char s[160];
    assert_int_equal(aw_geo_circle_json(-122.0, 37.0, 3000.0, s, sizeof s, NULL), AW_OK);
    assert_string_equal(s, "{\"type\":\"AeroCircle\",\"coordinates\":[[-122.0,37.0],3000.0]}");
    assert_int_equal(aw_geo_circle_json(-121.935, 36.99, 0.5, s, sizeof s, NULL), AW_OK);
    assert_string_equal(s, "{\"type\":\"AeroCircle\",\"coordinates\":[[-121.935,36.99],0.5]}");
    assert_int_equal(aw_geo_circle_json(0, 0, -1, s, sizeof s, NULL), AW_ERR_PARAM);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_bytes_round_trip),
        cmocka_unit_test(test_corrupt_bytes_are_refused),
        cmocka_unit_test(test_encoder_refusals),
        cmocka_unit_test(test_geo_circle_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
