/*
 * What the sync (query_exec.c) and async (query_async.c) scan/query engines
 * share: the checks before anything is sent, which errors are worth asking
 * a partition again, which replica a partition is asked of, each node's
 * share of max_records, and turning a record message into the key and
 * record the callbacks get.
 */
#ifndef AW_CLIENT_QUERY_PLAN_H
#define AW_CLIENT_QUERY_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerowire/query.h"
#include "cluster/cluster.h"
#include "proto/msg.h"
#include "proto/scanq.h"

/* The policy's and the statement's checks (what the encoder refuses):
 * AW_OK or the caller's error, before anything is sent. */
int aw_query_check(const aw_query_policy *pol, const aw_query *q, aw_error *err);

/* Errors worth asking the partitions again (the official client's list,
 * plus the client-side faults a retry can cure). */
bool aw_query_retryable(int rc);

/* The node to ask partition pid of: its replica[pid]-th owner in t, or the
 * next live one after it; NULL when no live node holds it. */
aw_node *aw_query_part_node(const aw_partition_table *t, const uint8_t *replica, uint32_t pid);

/* max_records over n nodes: fewer records than nodes gives each node one
 * and drops what overflows (*check_max); else node i gets its share, the
 * remainder to the first nodes (the official client's split). 0 = none. */
uint64_t aw_query_share(uint64_t max_left, size_t n_nodes, size_t i, bool *check_max);

/* Encodes a node's request of q (policy pol) for parts[0..n), its share
 * `max` of max_records (0 = none), under a new task id. */
int aw_query_encode_node(aw_buf *out, const aw_query_policy *pol, const aw_query *q,
                         aw_partition_info **parts, size_t n, uint64_t max, aw_error *err);

/* Flags the unfinished partitions of parts[0..n) to be asked again, of
 * their next replica (their node failed them). */
void aw_query_retry_parts(aw_partition_info *const *parts, size_t n, uint8_t *replica);

/* Partition pid was reported unavailable: asked again, of its next replica. */
void aw_query_part_unavailable(aw_partition_status *ps, uint8_t *replica, uint32_t pid);

/* A round's grouping: for each partition of ps to ask (every one not done
 * when `all`, else those flagged retry), the node holding its replica
 * (aw_query_part_node) gets it through add(ctx, node, p, err) (its retry
 * flag is then cleared); one no live node holds stays flagged and goes to
 * orphan(ctx, e). Stops at add's first error. */
int aw_query_group(const aw_partition_table *t, aw_partition_status *ps, const uint8_t *replica,
                   bool all, int (*add)(void *ctx, aw_node *node, aw_partition_info *p,
                                        aw_error *err),
                   void (*orphan)(void *ctx, const aw_error *e), void *ctx, aw_error *err);

/* Appends p to a node's partitions (*parts of *n, room for *cap). */
int aw_query_group_add(aw_partition_info ***parts, size_t *n, size_t *cap, aw_partition_info *p,
                       aw_error *err);

/* After round `round` (from 0) kept `kept` records: *max_left drops by
 * them; then AW_QUERY_AGAIN (another round for the partitions flagged
 * retry), AW_OK (all read, or the page is full), or the final error in err
 * (retries spent: the last retryable error; the total timeout). */
#define AW_QUERY_AGAIN 1
int aw_query_round_end(const aw_query_policy *pol, const aw_partition_status *ps, uint32_t round,
                       uint64_t deadline, uint64_t kept, uint64_t *max_left, int last_rc,
                       const aw_error *last_err, aw_error *err);

/* Hands a record of a stream to the sink: counted in *node_count and
 * *kept, its partition's cursor entry moved past it, and the span's
 * records (span may be off). A record the sink could not take (out of
 * memory, undecodable) is not delivered: the counts and the entry go back,
 * so that a resume asks for it again. Returns the sink's code, or 0 for a
 * partition the run did not ask for (ignored). */
struct aw_tspan;
int aw_query_take_record(aw_partition_status *ps, int (*sink)(void *ctx, const aw_msg_view *m,
                                                             const aw_scanq_meta *meta),
                         void *sink_ctx, const aw_msg_view *m, const aw_scanq_meta *meta,
                         uint64_t *node_count, uint64_t *kept, struct aw_tspan *span);

/* A record message's key (namespace, set, digest, the stored user key:
 * strings and blobs point into the message) and record (ttl from now). */
int aw_query_record_of(const aw_msg_view *m, const aw_scanq_meta *meta, const char *ns,
                       aw_key *key, aw_record *rec, aw_error *err);

#endif
