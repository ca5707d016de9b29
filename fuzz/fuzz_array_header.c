/*
 * libFuzzer target: the array layer's decoders of what a server sends back
 * (src/numpy/array_header.c, array_chunk.c). Bit 0 of the first byte picks
 * one:
 *  - 0: a header record. The rest is one reply message; its bins go through
 *    aw_arr_hdr_decode, aw_arr_hdr_layout (descr, sizes, chunk count, the
 *    CRC list adding up) and aw_arr_state_decode (the writer's view, pend
 *    entries), and an inline payload through aw_arr_inline_take into an
 *    exact-size buffer. On success the promises are checked: a layout
 *    inside the limits, chunk lengths that add up to nbytes.
 *  - 1: a chunk record. Then u16 len, u32 crc, u16 skip, u16 take (little-
 *    endian; clamped to the chunk) and one reply message, checked against a
 *    fixed array key, version 0x0102030405060708 and index 3 of 10; the
 *    wanted bytes land in an exact-size buffer.
 * Every failure must be one of the documented codes with a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "numpy/array_internal.h"
#include "proto/mem.h"
#include "proto/reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

#define FUZZ_VERSION 0x0102030405060708ull
#define FUZZ_INDEX 3u
#define FUZZ_CHUNKS 10u

static void check_error(int rc, const aw_error *err) {
    CHECK(rc == AW_ERR_PARAM || rc == AW_ERR_UNSUPPORTED || rc == AW_ERR_ARRAY_CORRUPT ||
          rc == AW_ERR_NOMEM);
    CHECK(err->code == rc && err->message[0] != '\0');
}

static const aw_key *fuzz_key(void) {
    static aw_key k;
    static int made;
    if (!made && aw_key_init_str(&k, "test", "arr", "fuzz", NULL) != AW_OK)
        abort();
    made = 1;
    return &k;
}

static void header(const uint8_t *body, size_t len) {
    aw_decode_limits lim = {1u << 22};
    int result;
    aw_record rec;
    memset(&rec, 0, sizeof rec);
    aw_error err;
    if (aw_reply_parse_record(body, len, &lim, &result, &rec, &err) != AW_OK || result != 0) {
        aw_record_free(&rec);
        return;
    }
    aw_arr_hdr h;
    int rc = aw_arr_hdr_decode(&rec, &h, &err);
    if (rc != AW_OK) {
        check_error(rc, &err);
    } else if (h.has_version) {
        CHECK(h.descr && h.crc && h.ndim <= AW_ARRAY_MAX_NDIM);
        CHECK(h.chunk_bytes >= AW_ARRAY_MIN_CHUNK && h.chunk_bytes <= AW_ARRAY_MAX_CHUNK);
        CHECK(h.n_chunks <= AW_ARRAY_MAX_CHUNKS);
        aw_dtype *dt = NULL;
        rc = aw_arr_hdr_layout(&h, &dt, &err);
        if (rc != AW_OK) {
            check_error(rc, &err);
            CHECK(dt == NULL);
        } else {
            size_t isz = aw_dtype_itemsize(dt);
            CHECK(isz > 0 && h.nbytes % isz == 0 && h.nbytes / isz <= AW_ARRAY_MAX_ELEMENTS);
            uint64_t sum = 0;
            for (uint32_t i = 0; i < h.n_chunks; i++) {
                uint32_t l = aw_arr_chunk_len(h.nbytes, h.chunk_bytes, i);
                CHECK(l > 0 && l <= h.chunk_bytes);
                sum += l;
            }
            CHECK(h.n_chunks == 0 || sum == h.nbytes);
            if (h.n_chunks == 0 && h.nbytes <= (1u << 20)) {
                uint8_t *out = malloc(h.nbytes ? h.nbytes : 1);
                if (out) {
                    uint64_t skip = h.nbytes / 3, take = h.nbytes - skip;
                    rc = aw_arr_inline_take(h.data, h.data_z, h.nbytes, aw_arr_hdr_crc(&h, 0),
                                            skip, take, out, &err);
                    if (rc != AW_OK)
                        check_error(rc, &err);
                    free(out);
                }
            }
            aw_dtype_free(dt);
        }
    }
    aw_arr_state s;
    rc = aw_arr_state_decode(&rec, &s, &err);
    if (rc != AW_OK)
        check_error(rc, &err);
    else
        CHECK(s.n_pend <= AW_ARR_MAX_PEND && s.exists);
    aw_record_free(&rec);
}

static uint32_t le(const uint8_t *p, int n) {
    uint32_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static void chunk(const uint8_t *data, size_t size) {
    if (size < 10)
        return;
    aw_arr_take t;
    memset(&t, 0, sizeof t);
    t.array_key = fuzz_key();
    t.version = FUZZ_VERSION;
    t.index = FUZZ_INDEX;
    t.n_chunks = FUZZ_CHUNKS;
    t.len = le(data, 2);
    t.crc = le(data + 2, 4);
    t.skip = le(data + 6, 2);
    t.take = le(data + 8, 2);
    if (t.skip > t.len)
        t.skip = t.len;
    if (t.take > t.len - t.skip)
        t.take = t.len - t.skip;
    aw_msg_view m;
    size_t used;
    aw_error err;
    if (aw_msg_parse(data + 10, size - 10, &m, &used, &err) != AW_OK)
        return;
    /* Exact sizes, so a write past either is caught. */
    uint8_t *out = malloc(t.take ? t.take : 1);
    uint8_t *scratch = malloc(t.len ? t.len : 1);
    if (!out || !scratch) {
        free(out);
        free(scratch);
        return;
    }
    t.out = out;
    t.scratch = (data[0] & 1) ? scratch : NULL; /* also the path without scratch */
    int rc = aw_arr_chunk_take(&m, &t, &err);
    if (rc != AW_OK)
        CHECK(rc == AW_ERR_ARRAY_CORRUPT && err.code == rc && err.message[0]);
    free(out);
    free(scratch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1)
        return 0;
    if (data[0] & 1)
        chunk(data + 1, size - 1);
    else
        header(data + 1, size - 1);
    return 0;
}
