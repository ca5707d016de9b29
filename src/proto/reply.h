/*
 * Turning reply messages into records. One decoder for single-record replies
 * and for the record sink of batch replies.
 */
#ifndef AW_PROTO_REPLY_H
#define AW_PROTO_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "aerowire/error.h"
#include "aerowire/record.h"
#include "msg.h"

/* Caps applied while decoding a reply into values (checked before allocating). */
typedef struct aw_decode_limits {
    size_t max_record_bytes; /* arena cap for one record; 0 = 8 * AW_PROTO_SIZE_MAX */
} aw_decode_limits;

/* Decodes a message's ops into rec (gen, void_time, bins). rec->ttl is left
 * 0: the caller converts void_time with aw_void_time_to_ttl (this layer has
 * no clock). Bins with the same name (operate results for several ops on one
 * bin) are kept in order, all of them. On error rec is left empty.
 * Returns AW_OK, AW_ERR_PROTO or AW_ERR_NOMEM. */
int aw_record_from_msg(const aw_msg_view *m, const aw_decode_limits *lim, aw_record *rec,
                       aw_error *err);

/* A single-record reply body (the bytes after the 8-byte type-3 header):
 * exactly one message. Fills *result with the server's code; when the code is
 * 0 and rec is not NULL, decodes the bins into rec. Returns AW_OK when the
 * bytes were well-formed (whatever the server's code), else AW_ERR_PROTO or
 * AW_ERR_NOMEM. */
int aw_reply_parse_record(const uint8_t *body, size_t len, const aw_decode_limits *lim,
                          int *result, aw_record *rec, aw_error *err);

#endif
