/* aw-testd internals shared by its files. */
#ifndef TD_INTERNAL_H
#define TD_INTERNAL_H

#define TD_ORPHAN (-2) /* pinned[p][0]: no node claims partition p */

#include <event2/event.h>
#include <event2/util.h>
#include <stdbool.h>
#include <stdint.h>

#include "bgjob.h"
#include "exec.h"
#include "security.h"
#include "proto/buf.h"
#include "testd.h"

typedef struct td_conn td_conn;

typedef struct td_node {
    td_server *srv;
    int index;
    char id[20];
    uint16_t port;
    bool alive;
    evutil_socket_t listen_fd;
    struct event *listen_ev;
    td_conn *conns;            /* doubly linked */
    td_fault fault;
    uint32_t partition_gen;
    uint64_t conns_opened, conns_closed;
    uint64_t commands;         /* type-3 frames received (testd-stats) */
    td_jobs jobs;              /* background jobs it ran (query-show) */
} td_node;

struct td_server {
    struct event_base *base;
    td_config cfg;
    char namespaces[256];
    char cluster_name[64];
    char bind_addr[64];
    td_store store;
    td_node nodes[TD_MAX_NODES];
    int n_nodes;
    int replication;           /* configured replication factor: min(2, nodes) */
    int16_t owner[4096][2];    /* node index of master and replica, -1 none */
    int16_t pinned[4096][2];   /* explicit placement from testd-move, -1 none, TD_ORPHAN */
    uint32_t peers_gen;
    uint64_t stats[TD_STAT_COUNT];
    uint64_t batches;
    time_t started;
    td_security *sec;          /* NULL without --security */
};

/* cluster.c */
void td_rebalance(td_server *s);
/* info.c: appends a complete type-1 reply frame for the request body. */
void td_handle_info(td_node *node, const uint8_t *body, size_t len, aw_buf *out);
/* server.c */
void td_node_close_conns(td_node *node);

#endif
