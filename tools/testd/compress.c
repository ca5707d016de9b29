/* aw-testd --compress: inflating requests, deflating replies (compress.h). */
#include "compress.h"

#include "proto/frame.h"

bool td_compress_inflate(const uint8_t *body, size_t len, aw_buf *inner) {
    return aw_frame_decompress(body, len, 0, inner, NULL) == AW_OK;
}

unsigned td_compress_replies(aw_buf *out, size_t start) {
    aw_buf z;
    aw_buf_init(&z);
    unsigned n = 0;
    size_t at = start;
    while (at + AW_PROTO_HEADER_SIZE <= out->len) {
        aw_proto_header h;
        if (aw_proto_header_read(out->data + at, out->len - at, 0, &h, NULL) != AW_OK)
            break;
        size_t len = AW_PROTO_HEADER_SIZE + (size_t)h.size;
        if (h.type == AW_PROTO_MSG && len > TD_COMPRESS_MIN &&
            aw_frame_compress(&z, out->data + at, len, NULL) == AW_OK) {
            n++;
        } else {
            aw_buf_put(&z, out->data + at, len);
        }
        at += len;
    }
    if (aw_buf_ok(&z) && at == out->len) {
        out->len = start;
        aw_buf_put(out, z.data, z.len);
    } else {
        n = 0;
    }
    aw_buf_free(&z);
    return n;
}
