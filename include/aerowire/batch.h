/*
 * aerowire/batch.h — many records in one call: batch get, exists, and mixed
 * per-row reads, writes, deletes and operates.
 *
 * Keys are grouped by node through the partition map; each node gets its own
 * requests (at most max_rows_per_request rows each), all nodes are asked at
 * once, and each row's answer lands at the row's own position in the
 * caller's arrays, whatever order nodes answer in. When a node fails, only
 * its rows are retried (re-routed through the current map) or reported.
 *
 * Per-row results: every row has its own result code (0 ok, 2 not found,
 * a server code, or a client code such as AW_ERR_TIMEOUT) and in-doubt
 * flag. The call itself returns an error only when nothing could be
 * attempted (bad arguments, no cluster, closing client); otherwise it
 * returns AW_OK, even when some rows failed.
 */
#ifndef AEROWIRE_BATCH_H
#define AEROWIRE_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "async.h"
#include "client.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct aw_batch_policy {
    /* Timeouts, retries and replica choice of the whole batch; the write
     * fields (exists, gen, ttl, send_key, durable_delete, commit_level)
     * are the default of rows that bring no policy of their own. */
    aw_policy base;
    uint32_t max_rows_per_request;  /* split bigger per-node groups (default 5000) */
    bool allow_inline;              /* server may answer in its service thread (default true) */
} aw_batch_policy;

/* Defaults: total 1000 ms, socket 30000 ms, 2 retries (rows that write are
 * retried only when their request never reached the server), SEQUENCE
 * replica, 5000 rows per request, allow_inline. */
AW_API aw_batch_policy aw_batch_policy_default(void);

/* One row's outcome. `rec` is filled for reads and operates that return
 * bins; release the whole array with aw_batch_results_free. */
typedef struct aw_batch_result {
    int32_t code;
    bool in_doubt;
    aw_record rec;
} aw_batch_result;

/* Releases every row's record (results itself is the caller's). */
AW_API void aw_batch_results_free(aw_batch_result *results, size_t n);

/* Reads n records: all bins (bins NULL), named bins, or headers only when
 * header_only is set. results[n] is the caller's. */
AW_API int aw_batch_get(aw_client *client, const aw_batch_policy *policy, const aw_key *keys,
                        size_t n, const char *const *bins, size_t n_bins, bool header_only,
                        aw_batch_result *results, aw_error *err);

/* exists[i] is set for each key; codes (may be NULL) gets each row's code
 * (a missing record is 0 with exists false). */
AW_API int aw_batch_exists(aw_client *client, const aw_batch_policy *policy, const aw_key *keys,
                           size_t n, bool *exists, int32_t *codes, aw_error *err);

typedef enum aw_batch_op_kind {
    AW_BATCH_OP_READ = 0,   /* bins / n_bins as in aw_batch_get (NULL = all) */
    AW_BATCH_OP_WRITE,      /* write_bins / n_bins */
    AW_BATCH_OP_DELETE,
    AW_BATCH_OP_OPERATE,    /* ops / n_ops */
} aw_batch_op_kind;

/* One row of a mixed batch; everything is borrowed for the call. */
typedef struct aw_batch_op {
    aw_batch_op_kind kind;
    const aw_key *key;
    const char *const *bins;    /* READ */
    const aw_bin *write_bins;   /* WRITE */
    size_t n_bins;
    const aw_op *ops;           /* OPERATE */
    size_t n_ops;
    const aw_policy *policy;    /* this row's write fields and filter; NULL = the batch's */
} aw_batch_op;

AW_API int aw_batch_operate(aw_client *client, const aw_batch_policy *policy,
                            const aw_batch_op *ops, size_t n, aw_batch_result *results,
                            aw_error *err);

/* --- Async: the same, on an event loop. The caller's arrays (keys, ops,
 * bins, results, exists, codes) must stay valid until the callback, which
 * runs exactly once when every row has its answer (see async.h's rules).
 * `err` in the callback is NULL unless the batch as a whole failed. */
typedef void (*aw_batch_cb)(const aw_error *err, void *udata);

AW_API int aw_batch_get_async(aw_loop *loop, const aw_batch_policy *policy, const aw_key *keys,
                              size_t n, const char *const *bins, size_t n_bins, bool header_only,
                              aw_batch_result *results, aw_batch_cb cb, void *udata, aw_error *err);
AW_API int aw_batch_exists_async(aw_loop *loop, const aw_batch_policy *policy, const aw_key *keys,
                                 size_t n, bool *exists, int32_t *codes, aw_batch_cb cb,
                                 void *udata, aw_error *err);
AW_API int aw_batch_operate_async(aw_loop *loop, const aw_batch_policy *policy,
                                  const aw_batch_op *ops, size_t n, aw_batch_result *results,
                                  aw_batch_cb cb, void *udata, aw_error *err);

#ifdef __cplusplus
}
#endif
#endif
