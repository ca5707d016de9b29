/*
 * The 22-byte message header, fields and ops: constants, writers, and a
 * zero-copy parser that validates every size once so later iteration is safe.
 */
#ifndef AW_PROTO_MSG_H
#define AW_PROTO_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerowire/error.h"
#include "buf.h"

#define AW_MSG_HEADER_SIZE 22

/* info1: read flags */
#define AW_INFO1_READ 0x01
#define AW_INFO1_GET_ALL 0x02
#define AW_INFO1_SHORT_QUERY 0x04
#define AW_INFO1_BATCH 0x08
#define AW_INFO1_XDR 0x10
#define AW_INFO1_GET_NOBINDATA 0x20
#define AW_INFO1_READ_MODE_AP_ALL 0x40
#define AW_INFO1_COMPRESS_RESPONSE 0x80
/* info2: write flags */
#define AW_INFO2_WRITE 0x01
#define AW_INFO2_DELETE 0x02
#define AW_INFO2_GENERATION 0x04
#define AW_INFO2_GENERATION_GT 0x08
#define AW_INFO2_DURABLE_DELETE 0x10
#define AW_INFO2_CREATE_ONLY 0x20
#define AW_INFO2_RELAX_AP_LONG_QUERY 0x40
#define AW_INFO2_RESPOND_ALL_OPS 0x80
/* info3: misc flags */
#define AW_INFO3_LAST 0x01
#define AW_INFO3_COMMIT_MASTER 0x02
#define AW_INFO3_PARTITION_DONE 0x04
#define AW_INFO3_UPDATE_ONLY 0x08
#define AW_INFO3_CREATE_OR_REPLACE 0x10
#define AW_INFO3_REPLACE_ONLY 0x20
#define AW_INFO3_SC_READ_TYPE 0x40
#define AW_INFO3_SC_READ_RELAX 0x80
/* info4: transaction flags */
#define AW_INFO4_MRT_VERIFY_READ 0x01
#define AW_INFO4_MRT_ROLL_FORWARD 0x02
#define AW_INFO4_MRT_ROLL_BACK 0x04
#define AW_INFO4_MRT_ON_LOCKING_ONLY 0x10

/* Field types */
enum {
    AW_FIELD_NAMESPACE = 0, AW_FIELD_SET = 1, AW_FIELD_KEY = 2, AW_FIELD_RECORD_VERSION = 3,
    AW_FIELD_DIGEST = 4, AW_FIELD_MRT_ID = 5, AW_FIELD_MRT_DEADLINE = 6, AW_FIELD_TASK_ID = 7,
    AW_FIELD_SOCKET_TIMEOUT = 9, AW_FIELD_RPS = 10, AW_FIELD_PID_ARRAY = 11,
    AW_FIELD_DIGEST_ARRAY = 12, AW_FIELD_MAX_RECORDS = 13, AW_FIELD_BVAL_ARRAY = 15,
    AW_FIELD_INDEX_NAME = 21, AW_FIELD_INDEX_RANGE = 22, AW_FIELD_INDEX_CONTEXT = 23,
    AW_FIELD_INDEX_EXPRESSION = 24, AW_FIELD_INDEX_TYPE = 26, AW_FIELD_UDF_PACKAGE = 30,
    AW_FIELD_UDF_FUNCTION = 31, AW_FIELD_UDF_ARGLIST = 32, AW_FIELD_UDF_OP = 33,
    AW_FIELD_QUERY_BINLIST = 40, AW_FIELD_BATCH_INDEX = 41, AW_FIELD_BATCH_INDEX_WITH_SET = 42,
    AW_FIELD_FILTER = 43, AW_FIELD_ERROR_DETAILS = 45,
};

typedef struct aw_msg_header {
    uint8_t header_sz; /* 22 */
    uint8_t info1, info2, info3, info4;
    uint8_t result_code;
    uint32_t generation;
    uint32_t record_ttl;      /* request: TTL / read-touch %; reply: void time */
    uint32_t transaction_ttl; /* request: server timeout ms; batch reply: row index */
    uint16_t n_fields;
    uint16_t n_ops;
} aw_msg_header;

/* Writes the 22 bytes at p. */
void aw_msg_header_write(uint8_t *p, const aw_msg_header *h);
/* Appends the 22 bytes. */
void aw_buf_msg_header(aw_buf *b, const aw_msg_header *h);
/* Appends a field: u32 size (len + 1), type, data. */
void aw_buf_field(aw_buf *b, uint8_t type, const void *data, uint32_t len);
/* Appends an op header (u32 size, op, particle, 0, name_len, name); the caller
 * appends exactly value_len value bytes after it. */
void aw_buf_op_header(aw_buf *b, uint8_t op, uint8_t particle, const char *name,
                      uint8_t name_len, uint32_t value_len);

typedef struct aw_field_view {
    uint8_t type;
    uint32_t len;          /* data bytes (field_sz - 1) */
    const uint8_t *data;
} aw_field_view;

typedef struct aw_op_view {
    uint8_t op;
    uint8_t particle;
    uint8_t flags;
    uint8_t name_len;
    const char *name;      /* not NUL-terminated */
    uint32_t value_len;
    const uint8_t *value;
} aw_op_view;

/* A parsed message; fields and ops point into the caller's bytes. */
typedef struct aw_msg_view {
    aw_msg_header h;
    const uint8_t *fields; /* first field */
    const uint8_t *ops;    /* first op */
    const uint8_t *end;    /* one past the last op */
} aw_msg_view;

/* Parses one message at p[0..len): header (header_sz must be 22), then walks
 * every field and op checking that their sizes fit in len (field_sz >= 1,
 * op_sz >= 4 + name_len). Name lengths are not limited here: that is a
 * semantic check for the receiver (a server answers BIN_NAME). *consumed = the message's
 * bytes. Returns AW_OK or AW_ERR_PROTO. */
int aw_msg_parse(const uint8_t *p, size_t len, aw_msg_view *m, size_t *consumed, aw_error *err);

/* The fields-then-ops part alone, with counts taken from m->h (batch rows
 * carry their own header): validates sizes and sets m->fields/ops/end. */
int aw_msg_parse_items(const uint8_t *p, size_t len, aw_msg_view *m, size_t *consumed,
                       aw_error *err);

/* Iteration over a parsed message (cannot fail: sizes were checked). */
typedef struct aw_msg_iter {
    const uint8_t *p;
    uint32_t left;
} aw_msg_iter;
static inline aw_msg_iter aw_msg_fields(const aw_msg_view *m) {
    aw_msg_iter it = {m->fields, m->h.n_fields};
    return it;
}
static inline aw_msg_iter aw_msg_ops(const aw_msg_view *m) {
    aw_msg_iter it = {m->ops, m->h.n_ops};
    return it;
}
bool aw_msg_next_field(aw_msg_iter *it, aw_field_view *f);
bool aw_msg_next_op(aw_msg_iter *it, aw_op_view *op);
/* The first field of `type`, or false. */
bool aw_msg_find_field(const aw_msg_view *m, uint8_t type, aw_field_view *f);

#endif
