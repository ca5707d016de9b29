/*
 * The cluster's side of metrics: the registry of per-node-id blocks, and the
 * reader that turns them into an aw_metrics (with the sync pools' gauges).
 */
#include <stdio.h>
#include <string.h>

#include "cluster_internal.h"
#include "proto/mem.h"

aw_mblock *aw_cluster_mblock_attach(aw_cluster *c, aw_node *n) {
    pthread_mutex_lock(&c->metrics_lock);
    aw_mblock *b = c->mblocks;
    while (b && strcmp(b->name, n->name) != 0)
        b = b->next;
    if (!b && (b = aw_calloc(1, sizeof *b))) {
        snprintf(b->name, sizeof b->name, "%s", n->name);
        b->next = c->mblocks;
        c->mblocks = b;
    }
    if (b) {
        snprintf(b->addr, sizeof b->addr, "%s", n->addr_str);
        b->node = n;
    }
    pthread_mutex_unlock(&c->metrics_lock);
    return b;
}

void aw_cluster_mblock_detach(aw_cluster *c, aw_node *n) {
    pthread_mutex_lock(&c->metrics_lock);
    if (n->m && n->m->node == n)
        n->m->node = NULL;
    pthread_mutex_unlock(&c->metrics_lock);
}

aw_mblock *aw_cluster_unrouted(aw_cluster *c) { return &c->unrouted; }

static void add_node(aw_metrics_node *total, const aw_metrics_node *one) {
    for (unsigned t = 0; t < AW_MT_COUNT; t++)
        for (unsigned i = 0; i < AW_METRICS_BUCKETS; i++)
            total->latency[t].bucket[i] += one->latency[t].bucket[i];
    for (unsigned t = 0; t < AW_MT_COUNT; t++) {
        total->latency[t].count += one->latency[t].count;
        total->latency[t].sum_ns += one->latency[t].sum_ns;
    }
    for (unsigned p = 0; p < AW_MP_COUNT; p++) {
        for (unsigned i = 0; i < AW_METRICS_BUCKETS; i++)
            total->phase[p].bucket[i] += one->phase[p].bucket[i];
        total->phase[p].count += one->phase[p].count;
        total->phase[p].sum_ns += one->phase[p].sum_ns;
    }
    for (unsigned i = 0; i < AW_METRICS_ERR_CODES; i++)
        total->errors[i] += one->errors[i];
    total->timeouts += one->timeouts;
    total->retries += one->retries;
    total->in_doubt += one->in_doubt;
    total->bytes_sent += one->bytes_sent;
    total->bytes_received += one->bytes_received;
    total->conns_opened += one->conns_opened;
    for (unsigned r = 0; r < AW_CLOSE_COUNT; r++)
        total->conns_closed[r] += one->conns_closed[r];
    total->conns_open += one->conns_open;
    total->conns_in_use += one->conns_in_use;
    total->conns_in_pool += one->conns_in_pool;
}

/* The sync pool's gauges, read under its lock (not a hot path). */
static void pool_gauges(aw_node *n, aw_metrics_node *out) {
    pthread_mutex_lock(&n->pool_lock);
    out->conns_in_pool = n->pool_n_idle;
    out->conns_in_use = (int64_t)n->pool_n_open - n->pool_n_idle;
    pthread_mutex_unlock(&n->pool_lock);
    out->active = aw_node_is_active(n);
}

int aw_cluster_metrics_read(aw_cluster *c, aw_metrics *m, aw_error *err) {
    pthread_mutex_lock(&c->metrics_lock);
    size_t n = 0;
    for (aw_mblock *b = c->mblocks; b; b = b->next)
        n++;
    m->nodes = n ? aw_calloc(n, sizeof *m->nodes) : NULL;
    if (n && !m->nodes) {
        pthread_mutex_unlock(&c->metrics_lock);
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for a metrics snapshot");
    }
    /* The list grows at its head: walk it into the array backwards so that
     * nodes keep the order they were first seen in. */
    size_t i = n;
    for (aw_mblock *b = c->mblocks; b; b = b->next) {
        aw_metrics_node *one = &m->nodes[--i];
        aw_mblock_read(b, one, false);
        if (b->node)
            pool_gauges(b->node, one);
    }
    m->n_nodes = n;
    memset(&m->total, 0, sizeof m->total);
    aw_mblock_read(&c->unrouted, &m->total, true);
    for (i = 0; i < n; i++)
        add_node(&m->total, &m->nodes[i]);
    pthread_mutex_unlock(&c->metrics_lock);
    aw_cluster_counters *cc = &c->counters;
    m->tends = atomic_load_explicit(&cc->tends, memory_order_relaxed);
    m->partition_map_updates = atomic_load_explicit(&cc->map_updates, memory_order_relaxed);
    m->nodes_added = atomic_load_explicit(&cc->nodes_added, memory_order_relaxed);
    m->nodes_removed = atomic_load_explicit(&cc->nodes_removed, memory_order_relaxed);
    return AW_OK;
}
