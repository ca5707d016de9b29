/*
 * Scan/query requests and their reply stream (wire-protocol.md §9.2, §9.3).
 * Pure: the client picks the task id, the node's partitions and its share of
 * max_records; this layer lays them out exactly as the official C client
 * does, and reads the stream back message by message.
 */
#ifndef AW_PROTO_SCANQ_H
#define AW_PROTO_SCANQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerowire/query.h"
#include "buf.h"
#include "msg.h"
#include "request.h"

/* A background UDF job: module (without ".lua"), function, arguments. */
typedef aw_udf_call aw_scanq_udf;

typedef struct aw_scanq_req {
    const aw_query *q;
    uint64_t task_id;
    uint32_t socket_timeout_ms;     /* SOCKET_TIMEOUT field */
    uint32_t total_timeout_ms;      /* header transaction_ttl */
    uint32_t records_per_second;    /* RPS field when > 0 */
    uint64_t max_records;           /* this node's share; 0 = none */
    bool no_bins;
    aw_query_duration duration;
    const aw_exp *filter;           /* field 43 */
    /* Foreground: the node's partitions, ascending; those with a digest
     * resume after it (DIGEST_ARRAY, + BVAL_ARRAY for a query). */
    aw_partition_info *const *parts;
    size_t n_parts;
    /* Background: a write job (q->ops applied to every record) under these
     * write options (ttl, exists, commit level, durable delete), or a UDF
     * job when udf is set. No partition fields then. */
    const aw_req_opts *write;
    const aw_scanq_udf *udf;
} aw_scanq_req;

/* Appends the whole frame. AW_ERR_PARAM / AW_ERR_BAD_NAME naming the bad
 * input (names, a filter that is not bool, a foreground request without
 * partitions, read ops in a background job, ...), AW_ERR_NOMEM; `out` is
 * then as it was. */
int aw_req_scanq(aw_buf *out, const aw_scanq_req *r, aw_error *err);

/* The GeoJSON circle the radius filter sends. */
int aw_geo_circle_json(double lng, double lat, double radius_m, char *out, size_t cap,
                       aw_error *err);

/* --- Reply stream ----------------------------------------------------------- */

/* A record message's identity, pointing into the frame. */
typedef struct aw_scanq_meta {
    const uint8_t *digest;          /* 20 bytes */
    const char *ns;
    uint32_t ns_len;
    const char *set;                /* NULL when not sent */
    uint32_t set_len;
    const uint8_t *key;             /* KEY field data (particle type, value), or NULL */
    uint32_t key_len;
    bool has_bval;
    int64_t bval;
} aw_scanq_meta;

typedef struct aw_scanq_sink {
    void *ctx;
    /* A record; a non-zero return stops the feed with that code. */
    int (*on_record)(void *ctx, const aw_msg_view *m, const aw_scanq_meta *meta);
    /* Partition `pid` was not served by this node (result != 0). */
    int (*on_partition_done)(void *ctx, uint32_t pid, int result);
} aw_scanq_sink;

typedef struct aw_scanq_reader {
    bool done;          /* the stream ended: LAST, or a plain error message */
    int result;         /* LAST's code, or the error message's (2 counts as 0) */
    uint64_t records;
} aw_scanq_reader;

static inline void aw_scanq_reader_init(aw_scanq_reader *r) {
    r->done = false;
    r->result = 0;
    r->records = 0;
}

/* Feeds one type-3 frame body. AW_OK, AW_ERR_PROTO (malformed message, a
 * record without a 20-byte digest, a partition id over 4095, bytes after
 * the end), or what a sink callback returned. */
int aw_scanq_reader_feed(aw_scanq_reader *r, const uint8_t *body, size_t len,
                         const aw_scanq_sink *sink, aw_error *err);
/* The same from body[*at], leaving *at after the last message taken (a
 * sink's stop included): a feed stopped by its sink can go on from there. */
int aw_scanq_reader_feed_at(aw_scanq_reader *r, const uint8_t *body, size_t len, size_t *at,
                            const aw_scanq_sink *sink, aw_error *err);

#endif
