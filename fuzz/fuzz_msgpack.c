/*
 * libFuzzer target for the msgpack decoder.
 *
 * Properties checked on every input:
 *  - read and skip never crash or read outside the input (sanitizers);
 *  - when read succeeds, skip succeeds too and both consumed the same bytes
 *    (skip is the more permissive: no depth cap, any ext);
 *  - a decoded value always re-encodes, aw_msgpack_size predicts the length,
 *    the re-encoding decodes to an equal value and is canonical (encoding
 *    that value again gives the same bytes);
 *  - aw_value_dup of a decoded value is equal to it and frees cleanly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/msgpack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Generous for the inputs libFuzzer makes, small enough that a hostile count
 * cannot make the process swap. */
#define ARENA_LIMIT (64u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    aw_arena a;
    aw_arena_init(&a, ARENA_LIMIT);
    aw_value v;
    size_t used_read = 0, used_skip = 0;
    aw_error err;
    int rr = aw_msgpack_read(data, size, &v, &a, &used_read, &err);
    int rs = aw_msgpack_skip(data, size, &used_skip, NULL);
    if (rr != AW_OK && rr != AW_ERR_PROTO && rr != AW_ERR_NOMEM)
        abort();
    if (rr != AW_OK) {
        if (err.message[0] == '\0' || err.code != rr)
            abort();
        aw_arena_free(&a);
        return 0;
    }
    if (rs != AW_OK || used_skip != used_read)
        abort();

    aw_buf b1, b2;
    aw_buf_init(&b1);
    aw_buf_init(&b2);
    if (aw_msgpack_write(&b1, &v, &err) != AW_OK)
        abort();
    if (aw_msgpack_size(&v) != b1.len)
        abort();

    aw_arena a2;
    aw_arena_init(&a2, ARENA_LIMIT);
    aw_value v2;
    size_t used2;
    if (aw_msgpack_read(b1.data, b1.len, &v2, &a2, &used2, &err) != AW_OK || used2 != b1.len)
        abort();
    if (!aw_value_equal(&v, &v2))
        abort();
    if (aw_msgpack_write(&b2, &v2, &err) != AW_OK || b2.len != b1.len ||
        memcmp(b1.data, b2.data, b1.len) != 0)
        abort();

    aw_value d;
    if (aw_value_dup(&d, &v) != AW_OK || !aw_value_equal(&d, &v))
        abort();
    aw_value_free(&d);

    aw_buf_free(&b1);
    aw_buf_free(&b2);
    aw_arena_free(&a2);
    aw_arena_free(&a);
    return 0;
}
