/*
 * aw-testd --compress: compressed requests and replies as an Enterprise
 * server handles them (as/src/base/service.c inflates a type-4 request
 * before anything else; read.c, write.c, udf.c and batch.c compress the
 * reply of a message whose info1 has COMPRESS_RESPONSE, 0x80, a batch
 * reply per buffer). Community servers answer a type-4 request with 25 and
 * ignore the bit, which is what aw-testd does without the option.
 */
#ifndef TD_COMPRESS_H
#define TD_COMPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/buf.h"

/* Replies of this many bytes or fewer stay plain: the Enterprise server's
 * own threshold is in code we cannot read, so aw-testd takes the official
 * client's request threshold (128). */
#define TD_COMPRESS_MIN 128

/* Inflates a type-4 body into inner (the type-3 frame, header included). */
bool td_compress_inflate(const uint8_t *body, size_t len, aw_buf *inner);
/* Replaces each type-3 frame of out[start..len) larger than TD_COMPRESS_MIN
 * by its type-4 form; returns how many it compressed (0 on failure, the
 * frames then left plain). */
unsigned td_compress_replies(aw_buf *out, size_t start);

#endif
