/*
 * aw-testd: an in-memory server speaking the Aerospike wire protocol on
 * libevent, for tests, for the tools' embedded default, and for fault
 * injection. One process runs N nodes on consecutive loopback ports that
 * share one store (so a node that does not own a partition answers exactly
 * as the owner would, the way a real node proxies).
 *
 * Everything runs on the caller's event_base thread.
 */
#ifndef TD_TESTD_H
#define TD_TESTD_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

struct event_base;

#define TD_MAX_NODES 16

typedef struct td_config {
    uint16_t port;              /* first node's port; 0 = any free port per node */
    int nodes;                  /* 1.. TD_MAX_NODES */
    const char *namespaces;     /* comma-separated; default "test,bar" */
    uint32_t default_ttl;       /* seconds; 0 = never expire */
    uint32_t max_record_size;   /* default 1 MiB */
    const char *cluster_name;   /* default "aw-testd" */
    const char *bind_addr;      /* default "127.0.0.1" */
    /* TLS terminated in front of the nodes (stunnel): node i's TLS port and
     * the certificate's name, answered by peers-tls-std and service-tls-std.
     * n_tls_ports 0 = no TLS (those commands are refused as on a CE server). */
    uint16_t tls_ports[TD_MAX_NODES];
    int n_tls_ports;
    const char *tls_name;       /* NULL = none announced */
    /* TLS terminated by aw-testd itself (tls.h; not with tls_ports): node
     * i also listens for TLS on tls_port + i (0 = a free port each), with
     * this certificate (PEM, chain allowed) and key; with tls_cafile, a
     * client must present a certificate it signed (mutual TLS). Those ports
     * are what peers-tls-std and service-tls-std announce, with tls_name.
     * The process must ignore SIGPIPE. */
    bool tls_listen;
    uint16_t tls_port;
    const char *tls_cert, *tls_key, *tls_cafile;
    /* Rack id of each node, "1,2,3" (one per node), as an Enterprise
     * server's `rack-id`: the nodes answer `rack-ids` and `racks` and a
     * partition's replica goes to another rack than its master when one is
     * alive. NULL = no racks (`rack-ids` refused, enterprise only, as CE). */
    const char *racks;
    /* Inflate type-4 requests and compress replies to messages asking for
     * it (info1 0x80), as an Enterprise server (compress.h); false = as CE:
     * a type-4 request gets 25, the bit is ignored. */
    bool compress;
    bool security;              /* users, roles and logins (security.h) */
    uint32_t token_ttl_s;       /* session token TTL; 0 = 86400 */
} td_config;

typedef struct td_fault {
    uint32_t delay_ms;          /* delay every reply */
    int64_t drop_after;         /* close after this many reply bytes (each connection's,
                                 * from when the fault is set); -1 = off */
    bool truncate;              /* replies whose frame cuts the message short */
    bool garbage;               /* replies replaced by bytes that are not a frame */
    bool oversize;              /* replies whose header claims 2^47 bytes */
    bool refuse;                /* accept, then close at once */
    bool blackhole;             /* accept, read, never answer */
    bool hold;                  /* answer, but keep the replies until the fault
                                 * is lifted (then send them) or the node is
                                 * killed (then drop them) */
} td_fault;

typedef struct td_server td_server;

/* Starts listening (nodes on port, port+1, ... or free ports when port is 0).
 * Returns NULL with a message in errbuf on failure. */
td_server *td_server_start(struct event_base *base, const td_config *cfg, char *errbuf,
                           size_t errlen);
/* Closes every listener and connection and frees everything. */
void td_server_free(td_server *s);

int td_server_nodes(const td_server *s);
uint16_t td_server_port(const td_server *s, int node);
/* The node's TLS port as peers-tls-std announces it (its own listener or
 * the proxy's); 0 without TLS. */
uint16_t td_server_tls_port(const td_server *s, int node);
const char *td_server_node_id(const td_server *s, int node);

/* Control (also reachable through the `testd-*` info commands). */
int td_node_kill(td_server *s, int node);     /* close listener and connections */
/* The same before the cluster has noticed: the node's partitions are left
 * to no node (not handed to heirs, nor served by their replicas) until the next rebalance (a revive or a
 * move), so a client's commands on them cannot be served meanwhile. */
int td_node_kill_unnoticed(td_server *s, int node);
int td_node_revive(td_server *s, int node);   /* listen again on the same port */
int td_node_set_fault(td_server *s, int node, const td_fault *f);
/* Commands (type-3 frames) node has received since the start, and replies
 * it holds now (the hold fault); -1 for a bad node. */
int td_node_stats(const td_server *s, int node, uint64_t *commands, uint64_t *held);
/* Moves a partition's master (and replica, -1 = leave) to the given nodes. */
int td_partition_move(td_server *s, uint32_t pid, int master, int replica);
/* No node claims partition pid until the next td_partition_move of it: what
 * a client's map looks like between losing a node and learning its heir. */
int td_partition_orphan(td_server *s, uint32_t pid);

#endif
