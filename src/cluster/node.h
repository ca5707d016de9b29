/*
 * A server node as the client sees it. Nodes are reference counted: the
 * cluster holds one reference while the node is a member, every published
 * view holds one per node it lists, and users (sync commands, event loops)
 * take their own while they use it. `active` turns false, once, when the
 * tend thread removes the node; holders then stop sending to it and let go.
 */
#ifndef AW_CLUSTER_NODE_H
#define AW_CLUSTER_NODE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "aerowire/error.h"
#include "proto/info.h"
#include "login.h"
#include "metrics.h"
#include "net.h"

typedef struct aw_node {
    atomic_int refs;
    char name[AW_NODE_NAME_MAX + 1]; /* node id as `node` answers it */
    aw_host host;                    /* the address we reached it by */
    aw_sockaddr addr;
    char addr_str[64];               /* "127.0.0.1:3000", for messages */
    uint32_t features;               /* AW_FEATURE_* */
    /* Small integer, unique among nodes alive at the same time, so event
     * loops can keep per-node state in an array indexed by it. Reused only
     * after the node is freed. */
    uint32_t slot;
    atomic_bool active;

    /* Error-rate circuit breaker, as the official clients count it:
     * connection errors and timeouts add to errors; past max_errors the node
     * is backed off (commands to it fail with AW_ERR_MAX_ERROR_RATE) until
     * the tend resets errors at the end of the window, or until the node
     * answers a probe (one command let through per AW_NODE_PROBE_MS).
     * max_errors halves after a window that went over and doubles back to
     * the configured rate after calm ones; 0 = never back off. A window
     * also ends once it has lasted error_rate_window tend intervals of wall
     * time, checked as errors come: a tend round held up by a stalled node
     * must not stretch it over two rounds of timeouts. */
    atomic_uint errors;
    atomic_uint max_errors;
    _Atomic uint64_t probe_ms;    /* aw_now_ms of the last probe let through */
    _Atomic uint64_t window_ms;   /* aw_now_ms when the current window began */

    aw_session session;           /* login token for its new connections (login.h) */

    /* Sync connection pool (thread-safe). */
    pthread_mutex_t pool_lock;
    pthread_cond_t pool_cond;     /* signalled when a connection is returned */
    aw_sock *pool_socks;          /* idle connections, a stack (most recent on top) */
    uint64_t *pool_idle_since;    /* aw_now_ms when each was returned */
    uint32_t pool_n_idle;
    uint32_t pool_n_open;         /* idle + lent out */
    uint32_t pool_max;

    /* Tend-thread-only state. */
    aw_sock tend_sock;            /* its info connection, fd -1 when closed */
    int64_t partition_gen;        /* last seen; -2 = never */
    int64_t peers_gen;            /* last fully applied; -2 = never */
    uint32_t tend_failures;       /* consecutive */
    bool in_peers;                /* named by some peer list this round */
    bool ua_pending;              /* user-agent-set not yet accepted on tend_sock */
    aw_mblock *m;                 /* its metrics block (lives as long as the cluster's memory) */
    struct aw_cluster *cluster;   /* back pointer: keeps the cluster's memory (counters,
                                   * config, slots) alive, not the cluster itself */
} aw_node;

void aw_node_retain(aw_node *n);
/* Drops a reference; the last one closes pooled sockets and frees the node. */
void aw_node_release(aw_node *n);

static inline bool aw_node_is_active(const aw_node *n) {
    return atomic_load_explicit(&n->active, memory_order_acquire);
}

/* The name the node's TLS certificate must match: its announced or
 * configured TLS name, else the host it was reached by. */
static inline const char *aw_node_tls_name(const aw_node *n) {
    return n->host.tls_name[0] ? n->host.tls_name : n->host.name;
}

/* Sync pool. Hands out an idle connection (checked with aw_net_idle_ok) or
 * opens a new one (connect timeout from the cluster config, bounded by
 * deadline_ms; the TLS handshake included when the cluster uses TLS).
 * At the pool's maximum: waits until deadline_ms when wait is true (then
 * AW_ERR_TIMEOUT; deadline_ms 0 waits without limit), else
 * AW_ERR_NO_MORE_CONNECTIONS at once. AW_ERR_INVALID_NODE when the node is
 * no longer active. */
int aw_node_conn_get(aw_node *n, uint64_t deadline_ms, bool wait, aw_sock *s, aw_error *err);
/* Returns a connection (*s becomes aw_sock_none); reusable = false closes it
 * (after an error or a timeout, when its stream may hold a stale reply). */
void aw_node_conn_put(aw_node *n, aw_sock *s, bool reusable);
/* Counts a connection error or timeout against the node's error rate
 * (first ending the window when it has run its time). */
void aw_node_add_error(aw_node *n);
static inline bool aw_node_over_error_rate(const aw_node *n) {
    unsigned max = atomic_load_explicit(&n->max_errors, memory_order_relaxed);
    return max && atomic_load_explicit(&n->errors, memory_order_relaxed) > max;
}

#define AW_NODE_PROBE_MS 100

bool aw_node_take_probe(aw_node *n);
/* True when a command must not be sent to n now: it is over its error rate
 * and this command is not the probe of the current AW_NODE_PROBE_MS. */
static inline bool aw_node_backed_off(aw_node *n) {
    return aw_node_over_error_rate(n) && !aw_node_take_probe(n);
}

void aw_node_recovered(aw_node *n);

/* Metrics hook: a connection to n is ready for commands (after TCP and,
 * where configured, TLS and login); started_ns from aw_metrics_now_ns when
 * the connect began. Any thread. */
void aw_node_connect_done(aw_node *n, uint64_t started_ns);
/* The node sent a well-formed reply: a backed-off node is back at once. */
static inline void aw_node_answered(aw_node *n) {
    if (aw_node_over_error_rate(n))
        aw_node_recovered(n);
}

/* End of an error-rate window (the tend's round count, or its time):
 * errors back to 0, and the threshold halved when the window went over,
 * else doubled up to cap. */
void aw_node_error_window_end(aw_node *n, uint32_t cap);

#endif
