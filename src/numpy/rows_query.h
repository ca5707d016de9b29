/*
 * The scan/query sink behind aw_query_into and aw_query_to_npy: records
 * decoded into the rows of the caller's chunk (row_plan.h's decoder, plus
 * the '_digest' and '_key' fields from the record's key), each full chunk
 * handed to the chunk callback from inside the sink.
 */
#ifndef AW_NUMPY_ROWS_QUERY_H
#define AW_NUMPY_ROWS_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerowire/numpy.h"
#include "proto/scanq.h"
#include "row_plan.h"

typedef struct aw_rows_query {
    aw_query q;                 /* the statement sent: the dtype's bins by default */
    aw_row_plan *plan;
    aw_plan_field digest_f, key_f;
    bool has_digest, has_key;
    aw_rows_buffer *buf;        /* the caller's: the callback may repoint it */
    size_t fill;                /* rows of buf written so far */
    uint64_t rows_done;         /* rows handed to the callback */
    uint64_t now;               /* Unix seconds, read once per chunk: meta ttl */
    aw_rows_chunk_cb cb;
    aw_rows_chunk_async_cb acb; /* the async calls' instead of cb: may pause */
    void *udata;
    aw_error err;               /* why the sink stopped the scan */
} aw_rows_query;

/* Checks the arguments (aw_query_into's errors) and compiles the plan. */
int aw_rows_query_init(aw_rows_query *r, const aw_query *q, const aw_dtype *dt,
                       aw_rows_buffer *buf, aw_rows_chunk_cb cb, void *udata, aw_error *err);
/* The same for the async calls: chunks go to acb, which may pause. */
int aw_rows_query_init_async(aw_rows_query *r, const aw_query *q, const aw_dtype *dt,
                             aw_rows_buffer *buf, aw_rows_chunk_async_cb acb, void *udata,
                             aw_error *err);
/* The engine's sink (aw_query_sink_fn; AW_QUERY_SINK_PAUSE when acb paused). */
int aw_rows_query_sink(void *ctx, const aw_msg_view *m, const aw_scanq_meta *meta);
/* After the engine returned rc: hands over the last, partial chunk and
 * puts the sink's own reason in err when it was the sink that stopped. */
int aw_rows_query_finish(aw_rows_query *r, int rc, aw_error *err);
void aw_rows_query_clear(aw_rows_query *r);

#endif
