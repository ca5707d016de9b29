/*
 * The 8-byte proto header and compressed (type 4) frames.
 */
#ifndef AW_PROTO_FRAME_H
#define AW_PROTO_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "aerowire/error.h"
#include "buf.h"

#define AW_PROTO_VERSION 2
#define AW_PROTO_HEADER_SIZE 8
#define AW_PROTO_SIZE_MAX (128u * 1024u * 1024u) /* the server's and client's cap */

enum {
    AW_PROTO_INFO = 1,
    AW_PROTO_ADMIN = 2,
    AW_PROTO_MSG = 3,
    AW_PROTO_COMPRESSED = 4,
    AW_PROTO_INTERNAL_XDR = 5,
};

typedef struct aw_proto_header {
    uint8_t version;
    uint8_t type;
    uint64_t size; /* body bytes after the 8-byte header (48 bits on the wire) */
} aw_proto_header;

void aw_proto_header_write(uint8_t out[AW_PROTO_HEADER_SIZE], uint8_t type, uint64_t size);

/* Appends an 8-byte header placeholder; returns its offset for aw_proto_header_patch. */
size_t aw_proto_header_begin(aw_buf *b);
/* Fills the header at `at` with type and size = b->len - at - 8. */
void aw_proto_header_patch(aw_buf *b, size_t at, uint8_t type);

/* Parses 8 bytes. Checks version 2, a type in 1..4, and size <= max_size
 * (pass 0 for AW_PROTO_SIZE_MAX). Returns AW_OK, AW_ERR_PROTO (message says
 * which check failed) or AW_ERR_PARAM (len < 8). */
int aw_proto_header_read(const uint8_t *p, size_t len, uint64_t max_size, aw_proto_header *h,
                         aw_error *err);

/* Wraps a complete type-3 frame (header included) as a type-4 frame, zlib
 * level 1, appended to out. Returns AW_OK, AW_ERR_PARAM or AW_ERR_NOMEM. */
int aw_frame_compress(aw_buf *out, const uint8_t *frame, size_t len, aw_error *err);

/* Inflates a type-4 body into out (reset first): out then holds the inner
 * type-3 frame, header included. Refuses an uncompressed size above max_size
 * (0 = AW_PROTO_SIZE_MAX) before allocating, and an inner frame whose header
 * is not version 2 / type 3 / consistent with the size. Returns AW_OK,
 * AW_ERR_PROTO or AW_ERR_NOMEM. */
int aw_frame_decompress(const uint8_t *body, size_t len, uint64_t max_size, aw_buf *out,
                        aw_error *err);

#endif
