/*
 * Executing one record command (a single request or one batch row) against
 * the store, appending the reply message (22-byte header + ops, no proto
 * header) to an output buffer.
 */
#ifndef TD_EXEC_H
#define TD_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/buf.h"
#include "proto/msg.h"
#include "store.h"

typedef struct td_exec_ctx {
    td_store *store;
    bool in_batch;       /* batch rows reply with transaction_ttl = index */
    uint64_t *counters;  /* optional statistics slots (td_stat) */
    const uint8_t *filter; /* a batch's own filter expression (field 43), for the
                              rows that carry none; NULL when none */
    uint32_t filter_len;
} td_exec_ctx;

enum td_stat { TD_STAT_READS, TD_STAT_WRITES, TD_STAT_DELETES, TD_STAT_ERRORS, TD_STAT_COUNT };

/* The request `m` names its own record through its fields; `digest` is the
 * row digest for batch rows (NULL: take field 4). Returns the result code
 * it put in the reply. Never fails to append unless out runs out of memory. */
int td_exec(td_exec_ctx *cx, const aw_msg_view *m, const uint8_t *digest, aw_buf *out);

/* A batch request's own fields (not its rows'): AW_ERR_UNSUPPORTED_FEATURE
 * when it carries one aw-testd does not implement, the code of a filter
 * expression for every row that does not build (4, 16), else AW_OK. */
int td_batch_refusal(const aw_msg_view *m);

/* A scan or query's projection op, checked as query.c basic_query_get_ops
 * checks it: AW_ERR_REQUEST_INVALID for a bad bin name or an op that is not a
 * read, else AW_OK (an expression read op is parsed per record, as the
 * server does). */
int td_exec_projection_check(const aw_op_view *op);

/* Applies a scan or query's projection ops (checked before) to one record as
 * query.c apply_ops_make_response does: each op as a read command applies it
 * (info2 RESPOND_ALL_OPS answering missing bins and nil results too;
 * expression reads on the store's clock), the result ops appended to out and
 * counted in *n_ops. Returns AW_OK, or the code of the op that failed (the
 * server then drops the record; 16 and AW_ERR_SERVER_FULL are aw-testd's
 * own failures, which end the job). */
int td_exec_project(const td_store *store, td_record *rec, const aw_msg_view *m, aw_buf *out,
                    uint16_t *n_ops);

/* Appends a reply carrying only a result code (and an index for batch rows). */
void td_reply_code(aw_buf *out, int code, uint32_t index);

#endif
