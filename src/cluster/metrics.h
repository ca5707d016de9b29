/*
 * The metrics store: one block of relaxed atomics per node id, kept by the
 * cluster from the node's first appearance until the cluster's memory goes
 * (a node that leaves and comes back counts on in the same block, and an
 * async command finishing after its node was freed still has somewhere to
 * count). Writers never lock; readers (snapshots) take the registry lock
 * only to walk the list.
 */
#ifndef AW_CLUSTER_METRICS_H
#define AW_CLUSTER_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "aerowire/metrics.h"

typedef struct aw_hist_atomic {
    atomic_uint_fast64_t bucket[AW_METRICS_BUCKETS];
    atomic_uint_fast64_t sum_ns;
} aw_hist_atomic;

typedef struct aw_mblock {
    struct aw_mblock *next;         /* registry list (under the cluster's metrics lock) */
    struct aw_node *node;           /* the live node with this id, or NULL (metrics lock) */
    char name[20];
    char addr[64];
    aw_hist_atomic latency[AW_MT_COUNT];
    aw_hist_atomic phase[AW_MP_COUNT];
    atomic_uint_fast64_t errors[AW_METRICS_ERR_CODES];
    atomic_uint_fast64_t timeouts, retries, in_doubt, bytes_sent, bytes_received;
    atomic_uint_fast64_t conns_opened;
    atomic_uint_fast64_t conns_closed[AW_CLOSE_COUNT];
    atomic_int_fast64_t conns_open;
} aw_mblock;

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t aw_metrics_now_ns(void);

static inline void aw_mcount(atomic_uint_fast64_t *a, uint64_t n) {
    atomic_fetch_add_explicit(a, n, memory_order_relaxed);
}

void aw_hist_add(aw_hist_atomic *h, uint64_t ns);

/* A finished command: its latency in its type's histogram, its code (when
 * not AW_OK) in errors, in_doubt. */
void aw_mblock_command(aw_mblock *b, aw_metrics_type type, int rc, bool in_doubt, uint64_t ns);

/* Connection events (any thread). */
void aw_mblock_conn_opened(aw_mblock *b);
void aw_mblock_conn_closed(aw_mblock *b, aw_close_reason why);

/* Copies b into out (adds to what out holds when add is true). */
void aw_mblock_read(const aw_mblock *b, aw_metrics_node *out, bool add);

#endif
