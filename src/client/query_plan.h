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

/* A record message's key (namespace, set, digest, the stored user key:
 * strings and blobs point into the message) and record (ttl from now). */
int aw_query_record_of(const aw_msg_view *m, const aw_scanq_meta *meta, const char *ns,
                       aw_key *key, aw_record *rec, aw_error *err);

#endif
