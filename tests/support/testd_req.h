/*
 * Single requests to aw-testd and their replies, for the suites that check
 * the server's answers (result code, generation, void time, ops).
 *
 * Requests come from the codec's builders (proto/request.h); tu_raw_request
 * builds, with the codec's lower-level pieces, the messages the builders
 * refuse to make (bin names over 15 bytes, an incr with a string, ...), so
 * the server's answer to them can be checked.
 */
#ifndef AW_TESTD_REQ_H
#define AW_TESTD_REQ_H

#include <stddef.h>
#include <stdint.h>

#include "aerowire/key.h"
#include "proto/buf.h"
#include "proto/msg.h"

#define TU_REPLY_MAX_OPS 32

typedef struct tu_reply {
    int code;                /* result code; -1 when no reply came */
    uint32_t gen;
    uint32_t void_time;
    uint16_t n_ops;
    aw_op_view ops[TU_REPLY_MAX_OPS]; /* point into frame */
    uint8_t *frame;          /* the whole reply frame (malloc'd) */
    size_t len;
} tu_reply;

/* Sends the frame(s) in req on a fresh connection to port and reads one reply
 * frame holding one message. Returns r->code (-1 when the reply is missing or
 * does not parse). */
int tu_exec(uint16_t port, const aw_buf *req, tu_reply *r);
/* tu_exec, then frees req (the suites build a request per call). */
int tu_exec_free(uint16_t port, aw_buf *req, tu_reply *r);
void tu_reply_free(tu_reply *r);
/* The reply op for bin `name`, or NULL. */
const aw_op_view *tu_reply_op(const tu_reply *r, const char *name);

/* A hand-made op: any op and particle type, any name length. */
typedef struct tu_raw_op {
    uint8_t op;
    uint8_t particle;
    const char *name;       /* NULL = no name */
    size_t name_len;
    const void *value;
    uint32_t value_len;
} tu_raw_op;

/* Appends one request frame: header bits as given, fields namespace, set
 * (when the key has one) and digest of key (and the KEY field when
 * send_key), then the ops. */
void tu_raw_request(aw_buf *out, const aw_key *key, bool send_key, uint8_t info1, uint8_t info2,
                    uint8_t info3, uint32_t generation, uint32_t ttl, const tu_raw_op *ops,
                    size_t n_ops);

#endif
