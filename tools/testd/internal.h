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
    uint16_t tls_port;         /* --tls-port: its own TLS listener */
    evutil_socket_t tls_listen_fd;
    struct event *tls_listen_ev;
    td_conn *conns;            /* doubly linked */
    td_fault fault;
    uint32_t partition_gen;
    uint32_t rack;             /* when the server has racks */
    uint64_t conns_opened, conns_closed;
    uint64_t commands;         /* type-3 frames received (testd-stats) */
    uint64_t compressed_in;    /* --compress: type-4 requests inflated */
    uint64_t compressed_out;   /* --compress: reply frames sent compressed */
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
    uint32_t rebalance_gen;    /* rebalances so far (`rebalance-generation`) */
    bool has_racks;            /* td_config.racks was given */
    uint64_t stats[TD_STAT_COUNT];
    uint64_t batches;
    time_t started;
    td_security *sec;          /* NULL without --security */
    struct td_tls *tls;        /* NULL without --tls-port */
};

/* cluster.c */
void td_rebalance(td_server *s);
/* Parses td_config.racks into the nodes; -1 when it does not name one
 * rack (0..UINT32_MAX) per node. */
int td_racks_parse(td_server *s, const char *racks);
/* `rack-ids` and `racks[:namespace=NS]` as an Enterprise server answers them. */
void td_racks_info(td_node *n, aw_buf *b, const char *name, const char *args, size_t len);
/* The base64 text of a connection's user agent, with its NUL (thr_info.c). */
#define TD_USER_AGENT_MAX 89
/* info.c: appends a complete type-1 reply frame for the request body; ua is
 * the asking connection's user-agent slot. */
void td_handle_info(td_node *node, char *ua, const uint8_t *body, size_t len, aw_buf *out);
/* server.c */
void td_node_close_conns(td_node *node);
/* `user-agents` as service.c reports it: "user-agent=B64:count=N;" per
 * distinct agent among the node's open connections that set one. */
void td_node_user_agents(td_node *node, aw_buf *b);

#endif
