/*
 * The cluster: seeds, nodes, peers, partition maps, and the tend thread that
 * keeps them current. It knows nothing of commands, policies or event loops.
 *
 * Readers route with a published aw_cluster_view: an immutable snapshot of
 * the member nodes and every namespace's partition table. The tend thread
 * builds a new view off to the side whenever membership or a map changes,
 * and swaps it in; readers that hold the old one keep using it until they
 * release it. Routing therefore takes no lock beyond the acquire.
 */
#ifndef AW_CLUSTER_CLUSTER_H
#define AW_CLUSTER_CLUSTER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aerowire/error.h"
#include "aerowire/key.h"
#include "aerowire/tls.h"
#include "proto/info.h"
#include "metrics.h"
#include "node.h"
#include "tls.h"

typedef struct aw_cluster aw_cluster;

typedef struct aw_cluster_config {
    const aw_host *seeds;         /* copied */
    size_t n_seeds;
    const char *cluster_name;     /* NULL or "" = not checked; copied */
    uint32_t connect_timeout_ms;  /* also bounds each tend info exchange */
    uint32_t tend_interval_ms;
    uint32_t max_conns_per_node;  /* sync pool size */
    uint32_t min_conns_per_node;  /* sync sockets the tend keeps open per node */
    uint32_t idle_timeout_ms;     /* sync pool sockets idle longer are closed by tend */
    uint32_t max_error_rate;      /* 0 = no back-off */
    uint32_t error_rate_window;   /* tends */
    bool fail_if_not_connected;
    const aw_tls_config *tls;     /* NULL or !enable = plain TCP; read by aw_cluster_new */
    /* Sent as `user-agent-set:value=` on each new tend connection (the
     * base64 text), as the official client does; NULL = not sent. Copied. */
    const char *user_agent_b64;
    /* Called on the tend thread at the end of every round (metrics export). */
    void (*on_tend)(struct aw_cluster *c, void *udata);
    void *on_tend_udata;
    /* Rack awareness: tend reads `rebalance-generation` and `rack-ids`;
     * rack_ids (the client's racks, in order of preference) are copied. */
    bool rack_aware;
    const int32_t *rack_ids;
    size_t n_rack_ids;
    /* Login on every new connection (login.h): a user (or PKI mode) turns it on. */
    int auth_mode;                /* AW_LOGIN_* */
    const char *user;             /* NULL = no login (but in PKI mode) */
    const char *password;
} aw_cluster_config;

/* The rack a node serving a table's namespace is on (racks.h). */
typedef struct aw_node_rack {
    aw_node *node;
    int32_t rack;
} aw_node_rack;

/* One namespace's routing table: owners[r][p] is the node holding partition
 * p at replica index r (0 = master), or NULL when no node claims it. */
typedef struct aw_partition_table {
    char ns[AW_NAMESPACE_MAX + 1];
    uint8_t n_replicas;           /* columns in use, 1..AW_MAX_REPLICAS */
    bool strong_consistency;      /* a node announced a non-zero regime */
    aw_node *owners[AW_MAX_REPLICAS][AW_PARTITIONS];
    aw_node_rack *racks;          /* rack-aware clusters: nodes whose rack is known */
    size_t n_racks;
} aw_partition_table;

typedef struct aw_cluster_view {
    atomic_int refs;
    uint64_t version;             /* increases with every published view */
    size_t n_nodes;
    aw_node **nodes;              /* members; each retained by the view */
    size_t n_tables;
    aw_partition_table **tables;
    int32_t *rack_ids;            /* the client's racks, in order of preference */
    size_t n_rack_ids;
} aw_cluster_view;

/* Creates the cluster and runs the first tend on the caller's thread: seeds
 * are tried in order; with fail_if_not_connected, no answering seed is an
 * error (AW_ERR_CONNECTION naming each seed and why, or AW_ERR_CLUSTER for a
 * cluster-name mismatch). Then starts the tend thread. */
int aw_cluster_new(aw_cluster **out, const aw_cluster_config *cfg, aw_error *err);
/* Stops the tend thread, releases the current view and every node. Nodes
 * and views still held elsewhere stay valid until released. NULL is fine. */
void aw_cluster_free(aw_cluster *c);

/* The current view, retained for the caller (never NULL after a successful
 * aw_cluster_new: an empty view when no node is known). Thread-safe. */
aw_cluster_view *aw_cluster_view_acquire(aw_cluster *c);
void aw_cluster_view_release(aw_cluster_view *v);
/* The version of the current view; a cheap check for "has it changed?". */
uint64_t aw_cluster_view_version(const aw_cluster *c);

/* The table for ns, or NULL when no node serves it. */
const aw_partition_table *aw_view_table(const aw_cluster_view *v, const char *ns);
/* A node by id, or by "host:port" as in aw_node.addr_str; NULL if absent. */
aw_node *aw_view_find_node(const aw_cluster_view *v, const char *name_or_addr);

/* Runs one info exchange with a node on a fresh or pooled sync connection;
 * *reply is the NUL-terminated body, allocated (aw_free). request holds one
 * or more names separated by '\n'. deadline_ms 0 = connect_timeout_ms from
 * now. Thread-safe. */
int aw_cluster_info(aw_cluster *c, aw_node *n, const char *request, uint64_t deadline_ms,
                    char **reply, aw_error *err);

/* Wakes the tend thread for an immediate round (e.g. after a command saw a
 * node fail); returns at once. */
void aw_cluster_tend_now(aw_cluster *c);

/* Counters maintained by the tend thread (read with relaxed loads). */
typedef struct aw_cluster_counters {
    atomic_uint_fast64_t tends;
    atomic_uint_fast64_t map_updates;
    atomic_uint_fast64_t nodes_added;
    atomic_uint_fast64_t nodes_removed;
    atomic_uint_fast64_t conns_opened;
    atomic_uint_fast64_t conns_closed;
} aw_cluster_counters;
aw_cluster_counters *aw_cluster_counters_of(aw_cluster *c);

const aw_cluster_config *aw_cluster_config_of(const aw_cluster *c);
/* The credentials new connections log in with; NULL when there is no login. */
struct aw_login_creds *aw_cluster_login(aw_cluster *c);

/* The cluster's TLS context, NULL when it does not use TLS. */
aw_tls_ctx *aw_cluster_tls(const aw_cluster *c);

/* Fills every node's entry (all node ids seen so far) and the totals of m
 * (m->nodes allocated; released by aw_metrics_free). AW_ERR_NOMEM. */
int aw_cluster_metrics_read(aw_cluster *c, aw_metrics *m, aw_error *err);
/* The block commands that found no node count in. */
aw_mblock *aw_cluster_unrouted(aw_cluster *c);

#endif
