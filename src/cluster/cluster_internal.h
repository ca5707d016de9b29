/*
 * The cluster's insides, shared by cluster.c (lifetime, views, the tend
 * thread), tend.c (one tend round), seed.c (validating a node at an address)
 * and node.c (node lifetime and the sync pool). Not for src/client.
 */
#ifndef AW_CLUSTER_INTERNAL_H
#define AW_CLUSTER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cluster.h"
#include "proto/buf.h"
#include "tls.h"

/* Caps for what tending reads from a node. */
#define AW_TEND_MAX_REPLY (8u * 1024u * 1024u)
/* The official client's rule: a node failing this many tends in a row is
 * dropped when no node at all could be refreshed. */
#define AW_TEND_MAX_FAILURES 5

/* Tend-thread-only state kept per member node. */
typedef struct aw_member {
    aw_node *node;                /* the cluster's reference */
    aw_replicas_ns *maps;         /* last accepted `replicas`, one per namespace */
    size_t n_maps;
    uint64_t map_seq;             /* when maps were accepted: later claims win ties */
    int64_t seen_partition_gen;   /* from this round's refresh */
    int64_t seen_peers_gen;
    size_t n_peers;               /* entries in its last peers list */
    bool refreshed;               /* answered this round */
    bool fresh;                   /* added this round (just validated) */
    bool doomed;                  /* its address now answers as another node */
    /* Rack-aware clusters (racks.h): the last `rack-ids` read, and the
     * rebalance generation it was read at (-2 = never) and this round's. */
    struct aw_ns_rack *racks;
    size_t n_racks;
    int64_t rebalance_gen;
    int64_t seen_rebalance_gen;
} aw_member;

struct aw_cluster {
    /* Memory lifetime, not cluster lifetime: the cluster's own reference
     * plus one per node created, so a node released after aw_cluster_free
     * can still reach the counters, the config and the slot allocator. */
    atomic_int mem_refs;

    aw_cluster_config cfg;        /* seeds / cluster_name point at the copies */
    aw_tls_ctx *tls;              /* NULL without TLS */
    aw_host *seeds;
    char *cluster_name;
    int32_t *rack_ids;
    aw_cluster_counters counters;
    aw_login_creds login_store;
    aw_login_creds *login;        /* &login_store, or NULL without login */

    pthread_mutex_t metrics_lock; /* guards the mblocks list and each block's node pointer */
    aw_mblock *mblocks;           /* one per node id ever seen */
    aw_mblock unrouted;           /* commands that found no node */
    char *user_agent_b64;
    uint64_t metrics_next_ms;     /* tend thread: when the next export is due */

    pthread_mutex_t slot_lock;    /* node slots: used[i] for slot i */
    bool *slot_used;
    uint32_t slot_cap;

    pthread_mutex_t view_lock;    /* guards `view` (the pointer swap) */
    aw_cluster_view *view;
    atomic_uint_fast64_t view_version;

    pthread_mutex_t tend_lock;    /* guards stop / wake; tend_cond sleeps on it */
    pthread_cond_t tend_cond;
    bool stop;
    bool wake;
    atomic_bool stopping;         /* stop, readable without the lock: rounds end early */
    bool thread_started;
    pthread_t thread;

    /* Tend-thread-only (the caller's thread during the first tend). */
    aw_member *members;
    size_t n_members, cap_members;
    uint64_t rounds;
    uint64_t next_map_seq;
    bool republish;               /* the last publish failed (no memory): try again */
    aw_error *round_err;          /* the first round's report (aw_cluster_new), else NULL */
};

/* --- cluster.c ---------------------------------------------------------------- */
/* Takes the lowest free slot (grows the table); false when out of memory. */
bool aw_cluster_slot_take(aw_cluster *c, uint32_t *slot);
void aw_cluster_slot_give(aw_cluster *c, uint32_t slot);
void aw_cluster_mem_retain(aw_cluster *c);
void aw_cluster_mem_release(aw_cluster *c);
/* Swaps in a new view of the current members and their maps. */
int aw_cluster_publish(aw_cluster *c, aw_error *err);

/* --- node.c -------------------------------------------------------------------- */
/* A new active node with one reference (the caller's); tend is adopted. */
aw_node *aw_node_new(aw_cluster *c, const char *name, const aw_host *host, const aw_sockaddr *addr,
                     uint32_t features, aw_sock tend, aw_error *err);
/* Turns active off, wakes pool waiters and closes the idle sockets. */
void aw_node_deactivate(aw_node *n);
/* Closes idle pooled sockets returned longer than idle_ms ago, as long as
 * more than keep are open. */
void aw_node_pool_reap(aw_node *n, uint32_t idle_ms, uint64_t now_ms, uint32_t keep);
/* Opens sockets into the idle pool until min are open (or one fails). */
void aw_node_pool_fill(aw_node *n, uint32_t min);
/* Counts a socket the cluster opened or closed. */
void aw_node_count_open(aw_node *n);
void aw_node_close_sock(aw_node *n, aw_sock *s, aw_close_reason why);
/* A new connection to addr within deadline_ms: the TCP connect, then the
 * TLS handshake (certificate checked against tls_name) when the cluster
 * uses TLS. Messages start with the address. */
int aw_cluster_connect(aw_cluster *c, const aw_sockaddr *addr, const char *tls_name,
                       uint64_t deadline_ms, aw_sock *s, aw_error *err);
/* The metrics block for a node id (created on first use); the node pointer
 * is set on it. NULL when out of memory. */
aw_mblock *aw_cluster_mblock_attach(aw_cluster *c, aw_node *n);
void aw_cluster_mblock_detach(aw_cluster *c, aw_node *n);

/* --- info_io.c ----------------------------------------------------------------- */
/* Sends `request` (names separated by '\n'; a final '\n' is added when
 * missing) as one type-1 frame and reads the type-1 reply body into body. */
int aw_info_exchange(aw_sock *s, const char *request, size_t max_reply, aw_buf *body,
                     uint64_t deadline_ms, aw_error *err);
/* The value of `name` in a reply body; AW_ERR_PROTO when absent, the server's
 * code when the value is an ERROR:/FAIL: answer. */
int aw_info_reply_value(const aw_buf *body, const char *name, const char **value, size_t *len,
                        aw_error *err);

/* --- seed.c ---------------------------------------------------------------------- */
/* What the first exchange with a node told us. */
typedef struct aw_node_hello {
    char name[AW_NODE_NAME_MAX + 1];
    int64_t partition_gen;
    uint32_t features;
} aw_node_hello;

/* Connects to addr (host's address) and runs the validation exchange (node, partition-generation,
 * build, features, cluster-name): refuses nodes that are not ready
 * (AW_ERR_INVALID_NODE), too old (AW_ERR_UNSUPPORTED) or in another cluster
 * (AW_ERR_CLUSTER). On success *fd is the open connection. Messages start
 * with the address. */
int aw_node_validate(aw_cluster *c, const aw_host *host, const aw_sockaddr *addr, aw_sock *s,
                     aw_node_hello *hello, aw_error *err);
/* Tries every address of host; on success *out is a new node (one reference,
 * partition_gen unknown) and *hello what it answered. expect_name (or NULL)
 * must match the node's id. */
int aw_node_discover(aw_cluster *c, const aw_host *host, const char *expect_name, aw_node **out,
                     aw_node_hello *hello, aw_error *err);

/* --- tend.c ---------------------------------------------------------------------- */
/* One tend round (the first one seeds). With first_err (aw_cluster_new's
 * round), why each seed failed, or the first allocation failure, is
 * reported there; later rounds just try again. */
void aw_cluster_tend_round(aw_cluster *c, aw_error *first_err);

#endif
