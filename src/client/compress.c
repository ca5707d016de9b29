/*
 * Request compression (aw_policy.compress), as the official C client does
 * it: a request frame larger than AW_COMPRESS_THRESHOLD bytes goes out as a
 * type-4 frame (zlib level 1, proto/frame.c). The info1 bit asking for a
 * compressed reply is set by the encoders (proto/request.c, batch.c).
 */
#include "client_impl.h"
#include "proto/frame.h"

int aw_cmd_compress_frame(aw_buf *b, size_t at, aw_error *err) {
    if (b->len - at <= AW_COMPRESS_THRESHOLD)
        return AW_OK;
    aw_buf z;
    aw_buf_init(&z);
    int rc = aw_frame_compress(&z, b->data + at, b->len - at, err);
    if (rc == AW_OK) {
        b->len = at;
        aw_buf_put(b, z.data, z.len);
        if (!aw_buf_ok(b))
            rc = aw_error_set(err, AW_ERR_NOMEM, "no memory for a compressed request");
    }
    aw_buf_free(&z);
    return rc;
}
