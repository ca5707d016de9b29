/*
 * Proto headers and compressed (type 4) frames: src/proto/frame.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "proto/buf.h"
#include "proto/frame.h"
#include "support/testutil.h"

/* The put of wire-protocol.md §14.2 (= capture put_scalars). */
static const char PUT_HEX[] =
    "02030000000000711600010000000000000000000000000003e800030003000000050074657374000000050164"
    "656d6f0000001504b747f5854d0b33259928d0cfab7fad81d6abfbf60000000d0201000169000000000000002a"
    "0000000a020300017368656c6c6f0000000d0202000166400c000000000000";

static void test_header_write_read(void **state) {
    (void)state;
    uint8_t h[8];
    aw_proto_header_write(h, AW_PROTO_MSG, 0x0000123456789abcull);
    static const uint8_t want[8] = {0x02, 0x03, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc};
    assert_memory_equal(h, want, 8);

    aw_proto_header ph;
    aw_error err;
    static const uint8_t info[8] = {0x02, 0x01, 0, 0, 0, 0, 0, 0x19};
    assert_int_equal(aw_proto_header_read(info, 8, 0, &ph, &err), AW_OK);
    assert_int_equal(ph.version, 2);
    assert_int_equal(ph.type, AW_PROTO_INFO);
    assert_int_equal(ph.size, 25);

    /* exactly the cap passes, one more fails */
    aw_proto_header_write(h, AW_PROTO_MSG, AW_PROTO_SIZE_MAX);
    assert_int_equal(aw_proto_header_read(h, 8, 0, &ph, &err), AW_OK);
    aw_proto_header_write(h, AW_PROTO_MSG, AW_PROTO_SIZE_MAX + 1ull);
    assert_int_equal(aw_proto_header_read(h, 8, 0, &ph, &err), AW_ERR_PROTO);
    assert_non_null(strstr(err.message, "size"));
    /* a caller's smaller cap */
    aw_proto_header_write(h, AW_PROTO_MSG, 1001);
    assert_int_equal(aw_proto_header_read(h, 8, 1000, &ph, &err), AW_ERR_PROTO);
    assert_int_equal(aw_proto_header_read(h, 8, 1001, &ph, &err), AW_OK);
}

static void test_header_rejects(void **state) {
    (void)state;
    aw_proto_header ph;
    aw_error err;
    uint8_t h[8] = {0x01, 0x03, 0, 0, 0, 0, 0, 0x16};
    assert_int_equal(aw_proto_header_read(h, 8, 0, &ph, &err), AW_ERR_PROTO);
    assert_non_null(strstr(err.message, "version"));
    h[0] = 0; /* 0 is not accepted by a client either */
    assert_int_equal(aw_proto_header_read(h, 8, 0, &ph, &err), AW_ERR_PROTO);
    h[0] = 2;
    for (int t = 0; t < 256; t++) {
        h[1] = (uint8_t)t;
        int want = (t >= 1 && t <= 4) ? AW_OK : AW_ERR_PROTO;
        assert_int_equal(aw_proto_header_read(h, 8, 0, &ph, &err), want);
    }
    assert_int_equal(aw_proto_header_read(h, 7, 0, &ph, &err), AW_ERR_PARAM);
}

static void test_header_begin_patch(void **state) {
    (void)state;
    aw_buf b;
    aw_buf_init(&b);
    aw_buf_put(&b, "xyz", 3);
    size_t at = aw_proto_header_begin(&b);
    assert_int_equal(at, 3);
    aw_buf_put(&b, "hello", 5);
    aw_proto_header_patch(&b, at, AW_PROTO_INFO);
    static const uint8_t want[] = {'x', 'y', 'z', 2, 1, 0, 0, 0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o'};
    assert_int_equal(b.len, sizeof want);
    assert_memory_equal(b.data, want, sizeof want);
    aw_buf_free(&b);
}

/* §1.1: the put of §14.2 compressed at level 1. */
static void test_compress_derived_example(void **state) {
    (void)state;
    size_t len;
    uint8_t *frame = tu_hex_decode(PUT_HEX, &len);
    assert_int_equal(len, 121);
    aw_buf out;
    aw_buf_init(&out);
    aw_buf_put(&out, "ab", 2); /* appends after what is there */
    aw_error err;
    assert_int_equal(aw_frame_compress(&out, frame, len, &err), AW_OK);
    const uint8_t *c = out.data + 2;
    static const uint8_t head[] = {0x02, 0x04, 0, 0, 0, 0, 0, 0x6f,     /* type 4, body 111 */
                                   0, 0, 0, 0, 0, 0, 0, 0x79,           /* 121 inflated */
                                   0x78, 0x01, 0x63, 0x62, 0x66, 0x00, 0x81, 0x42};
    assert_int_equal(out.len, 2 + 8 + 111);
    assert_memory_equal(c, head, sizeof head);

    /* the stream is exactly what compress2(level 1) produces */
    uLongf zlen = compressBound(len);
    uint8_t *z = malloc(zlen);
    assert_int_equal(compress2(z, &zlen, frame, len, Z_BEST_SPEED), Z_OK);
    assert_int_equal(zlen, 103);
    assert_memory_equal(c + 16, z, zlen);
    free(z);

    /* and it inflates back to the original frame */
    aw_buf back;
    aw_buf_init(&back);
    aw_proto_header ph;
    assert_int_equal(aw_proto_header_read(c, 8, 0, &ph, &err), AW_OK);
    assert_int_equal(ph.type, AW_PROTO_COMPRESSED);
    assert_int_equal(aw_frame_decompress(c + 8, ph.size, 0, &back, &err), AW_OK);
    assert_int_equal(back.len, len);
    assert_memory_equal(back.data, frame, len);

    aw_buf_free(&back);
    aw_buf_free(&out);
    free(frame);
}

static void test_compress_rejects_non_frames(void **state) {
    (void)state;
    aw_buf out;
    aw_buf_init(&out);
    aw_error err;
    size_t len;
    uint8_t *frame = tu_hex_decode(PUT_HEX, &len);
    assert_int_equal(aw_frame_compress(&out, frame, 7, &err), AW_ERR_PARAM);
    assert_int_equal(aw_frame_compress(&out, frame, len - 1, &err), AW_ERR_PARAM); /* size lies */
    frame[1] = AW_PROTO_INFO;
    assert_int_equal(aw_frame_compress(&out, frame, len, &err), AW_ERR_PARAM);
    assert_int_equal(out.len, 0);
    free(frame);
    aw_buf_free(&out);
}

/* A body for aw_frame_decompress: claimed size + zlib of `inner`. */
static uint8_t *make_body(const uint8_t *inner, size_t inner_len, uint64_t claimed, size_t *len) {
    uLongf zlen = compressBound(inner_len);
    uint8_t *body = malloc(8 + zlen + 16);
    assert_int_equal(compress2(body + 8, &zlen, inner, inner_len, 1), Z_OK);
    aw_store_u64be(body, claimed);
    *len = 8 + zlen;
    return body;
}

static void test_decompress_rejects(void **state) {
    (void)state;
    size_t flen, blen;
    uint8_t *frame = tu_hex_decode(PUT_HEX, &flen);
    aw_buf out;
    aw_buf_init(&out);
    aw_error err;

    /* claimed size above the cap: refused before any allocation */
    uint8_t *body = make_body(frame, flen, flen, &blen);
    tu_failalloc_on(1);
    assert_int_equal(aw_frame_decompress(body, blen, 100, &out, &err), AW_ERR_PROTO);
    assert_int_equal(tu_failalloc_count(), 0);
    /* a claim no deflate stream of this size can reach: also no allocation */
    aw_store_u64be(body, 100000000ull);
    assert_int_equal(aw_frame_decompress(body, blen, 0, &out, &err), AW_ERR_PROTO);
    assert_int_equal(tu_failalloc_count(), 0);
    tu_failalloc_off();
    aw_store_u64be(body, flen);
    assert_int_equal(aw_frame_decompress(body, blen, 113, &out, &err), AW_OK); /* body 113 = cap */

    /* claim larger than the data: inflated size differs */
    aw_store_u64be(body, flen + 1);
    assert_int_equal(aw_frame_decompress(body, blen, 0, &out, &err), AW_ERR_PROTO);
    assert_int_equal(out.len, 0);
    /* claim smaller than the data: stopped at the claim */
    aw_store_u64be(body, flen - 1);
    assert_int_equal(aw_frame_decompress(body, blen, 0, &out, &err), AW_ERR_PROTO);
    assert_non_null(strstr(err.message, "beyond"));
    aw_store_u64be(body, flen);

    /* truncated stream */
    assert_int_equal(aw_frame_decompress(body, blen - 5, 0, &out, &err), AW_ERR_PROTO);
    assert_non_null(strstr(err.message, "truncated"));
    /* no size at all */
    assert_int_equal(aw_frame_decompress(body, 7, 0, &out, &err), AW_ERR_PROTO);
    /* corrupt stream (bad zlib header) */
    body[8] ^= 0xff;
    assert_int_equal(aw_frame_decompress(body, blen, 0, &out, &err), AW_ERR_PROTO);
    body[8] ^= 0xff;
    /* corrupt checksum */
    body[blen - 1] ^= 0x01;
    assert_int_equal(aw_frame_decompress(body, blen, 0, &out, &err), AW_ERR_PROTO);
    body[blen - 1] ^= 0x01;
    /* trailing bytes after the stream */
    body[blen] = 0;
    assert_int_equal(aw_frame_decompress(body, blen + 1, 0, &out, &err), AW_ERR_PROTO);
    assert_int_equal(aw_frame_decompress(body, blen, 0, &out, &err), AW_OK);
    free(body);

    /* inner frame not type 3, or whose header disagrees with the claim */
    frame[1] = AW_PROTO_INFO;
    body = make_body(frame, flen, flen, &blen);
    assert_int_equal(aw_frame_decompress(body, blen, 0, &out, &err), AW_ERR_PROTO);
    free(body);
    frame[1] = AW_PROTO_MSG;
    frame[7]++; /* header says one more byte than there is */
    body = make_body(frame, flen, flen, &blen);
    assert_int_equal(aw_frame_decompress(body, blen, 0, &out, &err), AW_ERR_PROTO);
    free(body);
    frame[7]--;
    frame[0] = 1;
    body = make_body(frame, flen, flen, &blen);
    assert_int_equal(aw_frame_decompress(body, blen, 0, &out, &err), AW_ERR_PROTO);
    free(body);

    free(frame);
    aw_buf_free(&out);
}

/* Compression of a large frame, round trip, under every allocation failure. */
static void test_compress_failing_allocator(void **state) {
    (void)state;
    size_t n = 70000;
    uint8_t *frame = malloc(n);
    for (size_t i = 8; i < n; i++)
        frame[i] = (uint8_t)(i * 7 / 13);
    aw_proto_header_write(frame, AW_PROTO_MSG, n - 8);

    bool done = false;
    for (long fail_at = 1; fail_at < 50 && !done; fail_at++) {
        aw_buf z, back;
        aw_buf_init(&z);
        aw_buf_init(&back);
        aw_error err;
        tu_failalloc_on(fail_at);
        int rc = aw_frame_compress(&z, frame, n, &err);
        if (rc == AW_OK)
            rc = aw_frame_decompress(z.data + 8, z.len - 8, 0, &back, &err);
        long used = tu_failalloc_count();
        tu_failalloc_off();
        if (rc == AW_OK) {
            assert_true(used < fail_at);
            assert_int_equal(back.len, n);
            assert_memory_equal(back.data, frame, n);
            done = true;
        } else {
            assert_int_equal(rc, AW_ERR_NOMEM);
        }
        aw_buf_free(&z);
        aw_buf_free(&back);
    }
    assert_true(done);
    free(frame);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_write_read),
        cmocka_unit_test(test_header_rejects),
        cmocka_unit_test(test_header_begin_patch),
        cmocka_unit_test(test_compress_derived_example),
        cmocka_unit_test(test_compress_rejects_non_frames),
        cmocka_unit_test(test_decompress_rejects),
        cmocka_unit_test(test_compress_failing_allocator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
