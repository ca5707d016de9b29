/*
 * The request a background job sends every node: what aw_query_background
 * and aw_query_background_udf encode from their public inputs (kept apart
 * so the golden tests rebuild the captured jobs through the same path).
 */
#ifndef AW_CLIENT_QUERY_BG_H
#define AW_CLIENT_QUERY_BG_H

#include <stdint.h>

#include "aerowire/query.h"
#include "proto/buf.h"

/* One frame: the statement q with its write ops, or the UDF call when udf
 * is not NULL, under the scan policy (socket timeout, rps, filter) and the
 * write policy wp (total timeout, ttl, exists, commit level, durable
 * delete). AW_ERR_PARAM / AW_ERR_BAD_NAME as aw_req_scanq. */
int aw_query_bg_encode(const aw_query_policy *pol, const aw_policy *wp, const aw_query *q,
                       const aw_udf_call *udf, uint64_t job_id, aw_buf *out, aw_error *err);

#endif
