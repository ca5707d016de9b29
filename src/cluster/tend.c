/*
 * One tend round (§10.3, the official C client's order):
 *   1. ask every member `node`, `peers-generation`, `partition-generation`;
 *   2. when no member answered, try the seeds;
 *   3. when a peers generation moved or a member failed, re-read every
 *      healthy member's peer list, add the peers it names that we do not
 *      know (validated first), and drop members nobody lists that failed;
 *   4. re-read `replicas` from members whose partition generation moved;
 *   5. rack-aware: re-read `rack-ids` from members whose rebalance
 *      generation moved (racks.h);
 *   6. error-rate windows, idle-socket reaping above min_conns_per_node
 *      and opening sockets up to it;
 *   7. publish a new view when membership, a map or a rack changed.
 * Runs on the tend thread only (and on aw_cluster_new's caller for the
 * first round, before that thread exists).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cluster_internal.h"
#include "log.h"
#include "partition_map.h"
#include "proto/mem.h"
#include "racks.h"

#define REFRESH_REQUEST "node\npeers-generation\npartition-generation\n"
/* The official client asks for the TLS addresses when it uses TLS. */
#define PEERS_CLEAR "peers-clear-std"
#define PEERS_TLS "peers-tls-std"
#define REFRESH_RACK_REQUEST REFRESH_REQUEST "rebalance-generation\n"
#define RACKS_REQUEST "rebalance-generation\nrack-ids\n"
#define MAPS_REQUEST "partition-generation\nreplicas\n"
#define NOT_FOUND ((size_t)-1)

static bool stopping(const aw_cluster *c) {
    return atomic_load_explicit(&c->stopping, memory_order_relaxed);
}

static uint64_t exchange_deadline(const aw_cluster *c) {
    return aw_now_ms() + c->cfg.connect_timeout_ms;
}

static size_t find_member(const aw_cluster *c, const char *name) {
    for (size_t i = 0; i < c->n_members; i++)
        if (strcasecmp(c->members[i].node->name, name) == 0)
            return i;
    return NOT_FOUND;
}

/* Out of memory in aw_cluster_new's round fails it; later rounds retry. */
static void note_nomem(aw_cluster *c, int rc, const aw_error *e) {
    if (rc == AW_ERR_NOMEM && c->round_err && c->round_err->code != AW_ERR_NOMEM)
        *c->round_err = *e;
}

/* Takes over the caller's reference to n. */
static bool add_member(aw_cluster *c, aw_node *n, const aw_node_hello *hello) {
    if (c->n_members == c->cap_members) {
        size_t cap = c->cap_members ? c->cap_members * 2 : 8;
        aw_member *grown = aw_realloc(c->members, cap * sizeof *grown);
        if (!grown) {
            aw_error e;
            aw_error_set(&e, AW_ERR_NOMEM, "no memory to add node %s", n->name);
            note_nomem(c, AW_ERR_NOMEM, &e);
            aw_node_deactivate(n);
            aw_node_release(n);
            return false;
        }
        c->members = grown;
        c->cap_members = cap;
    }
    c->members[c->n_members++] = (aw_member){
        .node = n,
        .seen_partition_gen = hello->partition_gen,
        .seen_peers_gen = -1,
        .rebalance_gen = -2,
        .seen_rebalance_gen = -1,
        .refreshed = true,
        .fresh = true,
    };
    atomic_fetch_add_explicit(&c->counters.nodes_added, 1, memory_order_relaxed);
    aw_log(AW_LOG_INFO, "node %s (%s) joined the cluster", n->name, n->addr_str);
    return true;
}

static void remove_member(aw_cluster *c, size_t i) {
    aw_node *n = c->members[i].node;
    /* Inactive first, so holders stop sending to it before it goes away. */
    aw_node_deactivate(n);
    aw_node_close_sock(n, &n->tend_sock, AW_CLOSE_NODE_LEFT);
    aw_free(c->members[i].maps);
    aw_free(c->members[i].racks);
    memmove(&c->members[i], &c->members[i + 1], (c->n_members - i - 1) * sizeof *c->members);
    c->n_members--;
    atomic_fetch_add_explicit(&c->counters.nodes_removed, 1, memory_order_relaxed);
    aw_log(AW_LOG_INFO, "node %s (%s) left the cluster", n->name, n->addr_str);
    aw_node_release(n);
}

static void tend_failed(aw_member *m) {
    m->refreshed = false;
    m->node->tend_failures++;
    aw_log(AW_LOG_WARN, "node %s (%s): tend failed (%u in a row)", m->node->name,
           m->node->addr_str, m->node->tend_failures);
}

/* The official client's user agent, once per tend connection: a refusal is
 * logged and tried again on the next round (the connection stays usable). */
static int send_user_agent(aw_cluster *c, aw_node *n, aw_buf *body, aw_error *err) {
    /* The server names its answer by the whole command, parameters included:
     * "user-agent-set:value=B64\tok". */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "user-agent-set:value=%s", c->cfg.user_agent_b64);
    char req[260];
    snprintf(req, sizeof req, "%s\n", cmd);
    int rc = aw_info_exchange(&n->tend_sock, req, AW_TEND_MAX_REPLY, body, exchange_deadline(c), err);
    if (rc != AW_OK)
        return rc;
    const char *v;
    size_t len;
    aw_error e;
    if (aw_info_reply_value(body, cmd, &v, &len, &e) == AW_OK) {
        n->ua_pending = false;
        aw_log(AW_LOG_DEBUG, "node %s: user agent set", n->name);
    } else if (e.code > 0) {
        /* An answer (ERROR:4:already set, a server that does not know the
         * command...): asking again on this connection would not change it. */
        n->ua_pending = false;
        aw_log(AW_LOG_WARN, "node %s: user-agent-set refused: %s", n->name, e.message);
    } else {
        aw_log(AW_LOG_WARN, "node %s: user-agent-set: %s", n->name, e.message);
    }
    return AW_OK;
}

/* One info exchange on the node's tend connection, reconnecting when it was
 * closed (by the server, or after an earlier failure). A failed exchange
 * closes it: the stream may hold a late or partial reply. */
static int tend_call(aw_cluster *c, aw_node *n, const char *request, aw_buf *body,
                     aw_error *err) {
    if (n->tend_sock.fd >= 0 && !aw_net_idle_ok(&n->tend_sock))
        aw_node_close_sock(n, &n->tend_sock, AW_CLOSE_IDLE);
    if (n->tend_sock.fd < 0) {
        /* The connect phase covers the TLS handshake and the login too. */
        uint64_t t0 = aw_metrics_now_ns();
        int rc = aw_cluster_connect(c, &n->addr, aw_node_tls_name(n), exchange_deadline(c),
                                    &n->tend_sock, err);
        if (rc != AW_OK) {
            aw_log(AW_LOG_WARN, "node %s: tend connect failed: %s", n->name, err->message);
            return rc;
        }
        aw_node_count_open(n);
        rc = aw_login_sync(c->login, &n->session, &n->tend_sock, exchange_deadline(c),
                           n->addr_str, err);
        if (rc != AW_OK) {
            aw_log(AW_LOG_WARN, "node %s: tend login failed: %s", n->name, err->message);
            aw_node_close_sock(n, &n->tend_sock, AW_CLOSE_ERROR);
            return rc;
        }
        aw_node_connect_done(n, t0);
        n->ua_pending = true;
    }
    int rc = AW_OK;
    if (n->ua_pending && c->cfg.user_agent_b64)
        rc = send_user_agent(c, n, body, err);
    if (rc == AW_OK)
        rc = aw_info_exchange(&n->tend_sock, request, AW_TEND_MAX_REPLY, body,
                              exchange_deadline(c), err);
    if (rc != AW_OK)
        aw_node_close_sock(n, &n->tend_sock, AW_CLOSE_ERROR);
    return rc;
}

static int reply_int(const aw_buf *body, const char *name, int64_t *out, aw_error *err) {
    const char *v;
    size_t len;
    int rc = aw_info_reply_value(body, name, &v, &len, err);
    return rc == AW_OK ? aw_info_parse_int(v, len, out, err) : rc;
}

/* Step 1 for one member. */
static bool refresh_member(aw_cluster *c, aw_member *m, aw_buf *body) {
    aw_node *n = m->node;
    aw_error e;
    char name[AW_NODE_NAME_MAX + 1];
    const char *v;
    size_t len;
    int64_t peers_gen = 0, partition_gen = 0, rebalance_gen = -1;
    int rc = tend_call(c, n, c->cfg.rack_aware ? REFRESH_RACK_REQUEST : REFRESH_REQUEST, body, &e);
    if (rc == AW_OK)
        rc = aw_info_reply_value(body, "node", &v, &len, &e);
    if (rc == AW_OK)
        rc = aw_info_parse_node(v, len, name, &e);
    if (rc == AW_OK && strcasecmp(name, n->name) != 0) {
        m->doomed = true; /* the address now belongs to another node */
        tend_failed(m);
        return false;
    }
    if (rc == AW_OK)
        rc = reply_int(body, "peers-generation", &peers_gen, &e);
    if (rc == AW_OK)
        rc = reply_int(body, "partition-generation", &partition_gen, &e);
    if (rc == AW_OK && partition_gen == -1)
        rc = AW_ERR_INVALID_NODE; /* restarting: not ready to serve yet */
    if (rc == AW_OK && c->cfg.rack_aware)
        rc = reply_int(body, "rebalance-generation", &rebalance_gen, &e);
    if (rc != AW_OK) {
        note_nomem(c, rc, &e);
        tend_failed(m);
        return false;
    }
    bool had_failures = n->tend_failures > 0;
    n->tend_failures = 0;
    m->refreshed = true;
    m->seen_peers_gen = peers_gen;
    m->seen_partition_gen = partition_gen;
    m->seen_rebalance_gen = rebalance_gen;
    /* As the official client: a node back from failures re-reads its racks. */
    if (had_failures)
        m->rebalance_gen = -2;
    return true;
}

/* Which seed failure names the round's error: a cluster-name mismatch, then
 * a seed's own answer (a refused login), then a TLS failure say more than a
 * connection failure. */
static int seed_error_rank(int rc) {
    if (rc == AW_ERR_CLUSTER)
        return 3;
    if (rc > 0)
        return 2;
    return rc == AW_ERR_TLS ? 1 : 0;
}

/* Step 2: the first seed that validates joins. Gathers why each failed. */
static void try_seeds(aw_cluster *c, bool *changed) {
    char msg[AW_ERROR_MSG_SIZE] = "no seed answered:";
    size_t used = strlen(msg);
    int code = 0;
    bool all_unresolved = true;
    for (size_t i = 0; i < c->cfg.n_seeds && !stopping(c); i++) {
        aw_node *n;
        aw_node_hello hello;
        aw_error e;
        aw_error_reset(&e);
        int rc = aw_node_discover(c, &c->seeds[i], NULL, &n, &hello, &e);
        if (rc == AW_OK) {
            if (find_member(c, hello.name) != NOT_FOUND)
                aw_node_release(n); /* a member that failed its refresh just now */
            else if (add_member(c, n, &hello))
                *changed = true;
            return;
        }
        note_nomem(c, rc, &e);
        if (code == 0 || seed_error_rank(rc) > seed_error_rank(code))
            code = rc;
        all_unresolved = all_unresolved && rc == AW_ERR_INVALID_HOST;
        /* Messages start with the address tried; the seed's own name says it better. */
        const char *why = e.message;
        const char *sep = strstr(why, ": ");
        if (sep && (why[0] == '[' || (why[0] >= '0' && why[0] <= '9')))
            why = sep + 2;
        if (used < sizeof msg)
            used += (size_t)snprintf(msg + used, sizeof msg - used, "%s %s:%u (%s)",
                                     i ? ";" : "", c->seeds[i].name, c->seeds[i].port, why);
    }
    if (seed_error_rank(code) == 0)
        code = all_unresolved ? AW_ERR_INVALID_HOST : AW_ERR_CONNECTION;
    if (c->round_err && c->round_err->code != AW_ERR_NOMEM)
        aw_error_set(c->round_err, code, "%s", msg);
}

/* The node's peer list; p->peers is allocated (aw_free) even on failure. */
static int fetch_peers(aw_cluster *c, aw_node *n, aw_buf *body, aw_peers *p, aw_error *err) {
    memset(p, 0, sizeof *p);
    const char *name = c->tls ? PEERS_TLS : PEERS_CLEAR;
    int rc = tend_call(c, n, name, body, err);
    const char *v = NULL;
    size_t len = 0;
    if (rc == AW_OK)
        rc = aw_info_reply_value(body, name, &v, &len, err);
    if (rc != AW_OK)
        return rc;
    /* Every peer opens a '[', so their count bounds the list. */
    size_t cap = 1;
    for (size_t i = 0; i < len; i++)
        cap += v[i] == '[';
    p->peers = aw_calloc(cap, sizeof *p->peers);
    if (!p->peers)
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for a peer list");
    p->cap = cap;
    return aw_info_parse_peers(v, len, p, err);
}

/* Validates a listed peer we do not know at any of its addresses and adds it. */
static bool add_peer(aw_cluster *c, aw_peer *peer) {
    for (unsigned h = 0; h < peer->n_hosts; h++) {
        aw_node *n;
        aw_node_hello hello;
        aw_error e;
        /* Its certificate is checked against the TLS name it announces. */
        memcpy(peer->hosts[h].tls_name, peer->tls_name, sizeof peer->tls_name);
        int rc = aw_node_discover(c, &peer->hosts[h], peer->node_id, &n, &hello, &e);
        if (rc == AW_OK)
            return add_member(c, n, &hello);
        note_nomem(c, rc, &e);
    }
    return false;
}

/* Step 3a: returns how many members' peer lists were read. Members added
 * here are appended and have their own lists read in the same loop. */
static size_t refresh_peers(aw_cluster *c, aw_buf *body, bool *changed) {
    for (size_t i = 0; i < c->n_members; i++)
        c->members[i].node->in_peers = false;
    size_t read = 0;
    for (size_t i = 0; i < c->n_members && !stopping(c); i++) {
        if (!c->members[i].refreshed || c->members[i].doomed)
            continue;
        aw_peers p;
        aw_error e;
        int rc = fetch_peers(c, c->members[i].node, body, &p, &e);
        if (rc != AW_OK) {
            note_nomem(c, rc, &e);
            aw_free(p.peers);
            tend_failed(&c->members[i]);
            continue;
        }
        read++;
        c->members[i].n_peers = p.n_peers;
        bool all_known = true;
        for (size_t k = 0; k < p.n_peers; k++) {
            size_t j = find_member(c, p.peers[k].node_id);
            if (j == NOT_FOUND) {
                if (!add_peer(c, &p.peers[k])) {
                    all_known = false; /* try again next round */
                    continue;
                }
                *changed = true;
                j = c->n_members - 1;
            }
            c->members[j].node->in_peers = true;
        }
        /* Only a fully applied list settles the generation. */
        if (all_known)
            c->members[i].node->peers_gen = (int64_t)p.generation;
        aw_free(p.peers);
    }
    return read;
}

/* Step 3b (the official rules): members whose address answers as another
 * node; with no peer list read, members failing AW_TEND_MAX_FAILURES tends
 * in a row; in a multi-node cluster, members no peer list names that did
 * not answer or own no partition. Members added this round stay. */
static void remove_nodes(aw_cluster *c, size_t lists_read, bool *changed) {
    size_t n = c->n_members;
    const aw_cluster_view *v = c->view; /* only this thread swaps it */
    for (size_t i = c->n_members; i-- > 0;) {
        const aw_member *m = &c->members[i];
        bool drop = m->doomed;
        if (!drop && lists_read == 0 && m->node->tend_failures >= AW_TEND_MAX_FAILURES)
            drop = true;
        if (!drop && n > 1 && lists_read > 0 && !m->node->in_peers && !m->fresh)
            drop = !m->refreshed || !aw_pmap_mentions(v->tables, v->n_tables, m->node);
        if (drop) {
            remove_member(c, i);
            *changed = true;
        }
    }
}

/* Step 4 for one member. */
static bool refresh_map(aw_cluster *c, aw_member *m, aw_buf *body) {
    aw_error e;
    int64_t gen;
    const char *v;
    size_t len;
    aw_replicas_ns *maps = NULL;
    size_t n_maps = 0;
    int rc = tend_call(c, m->node, MAPS_REQUEST, body, &e);
    if (rc == AW_OK)
        rc = reply_int(body, "partition-generation", &gen, &e);
    if (rc == AW_OK)
        rc = aw_info_reply_value(body, "replicas", &v, &len, &e);
    if (rc == AW_OK)
        rc = aw_pmap_parse(v, len, &maps, &n_maps, &e);
    if (rc != AW_OK) {
        note_nomem(c, rc, &e);
        tend_failed(m);
        return false;
    }
    aw_free(m->maps);
    m->maps = maps;
    m->n_maps = n_maps;
    m->map_seq = ++c->next_map_seq;
    m->node->partition_gen = gen;
    atomic_fetch_add_explicit(&c->counters.map_updates, 1, memory_order_relaxed);
    aw_log(AW_LOG_INFO, "node %s: partition map generation %lld (%zu namespaces)", m->node->name,
           (long long)gen, n_maps);
    return true;
}

static void refresh_maps(aw_cluster *c, aw_buf *body, bool *changed) {
    for (size_t i = 0; i < c->n_members && !stopping(c); i++) {
        aw_member *m = &c->members[i];
        if (!m->refreshed || m->doomed || m->seen_partition_gen == m->node->partition_gen)
            continue;
        /* A node that lists no peers in a multi-node cluster may have split
         * off and would claim every partition: wait for it to rejoin. */
        if (m->n_peers == 0 && c->n_members > 1)
            continue;
        if (refresh_map(c, m, body))
            *changed = true;
    }
}

/* Step 5 for one member. A server without racks (CE answers `rack-ids`
 * with an error, enterprise only) leaves the node with no known rack. */
static bool refresh_racks_of(aw_cluster *c, aw_member *m, aw_buf *body) {
    aw_error e;
    int64_t gen;
    const char *v;
    size_t len;
    aw_ns_rack *racks = NULL;
    size_t n_racks = 0;
    int rc = tend_call(c, m->node, RACKS_REQUEST, body, &e);
    if (rc == AW_OK)
        rc = reply_int(body, "rebalance-generation", &gen, &e);
    if (rc == AW_OK) {
        rc = aw_info_reply_value(body, "rack-ids", &v, &len, &e);
        if (rc == AW_OK)
            rc = aw_racks_parse(v, len, &racks, &n_racks, &e);
        else if (rc > 0)
            rc = AW_OK; /* the server's refusal: no racks */
    }
    if (rc != AW_OK) {
        note_nomem(c, rc, &e);
        tend_failed(m);
        return false;
    }
    bool same = n_racks == m->n_racks &&
                (n_racks == 0 || memcmp(racks, m->racks, n_racks * sizeof *racks) == 0);
    aw_free(m->racks);
    m->racks = racks;
    m->n_racks = n_racks;
    m->rebalance_gen = gen;
    return !same;
}

static void refresh_racks(aw_cluster *c, aw_buf *body, bool *changed) {
    if (!c->cfg.rack_aware)
        return;
    for (size_t i = 0; i < c->n_members && !stopping(c); i++) {
        aw_member *m = &c->members[i];
        if (!m->refreshed || m->doomed || m->seen_rebalance_gen == m->rebalance_gen)
            continue;
        if (refresh_racks_of(c, m, body))
            *changed = true;
    }
}

/* Step 6. */
static void housekeeping(aw_cluster *c) {
    bool window_end = c->rounds % c->cfg.error_rate_window == 0;
    uint64_t now = aw_now_ms();
    for (size_t i = 0; i < c->n_members; i++) {
        aw_node *n = c->members[i].node;
        if (window_end)
            aw_node_error_window_end(n, c->cfg.max_error_rate);
        if (c->cfg.idle_timeout_ms)
            aw_node_pool_reap(n, c->cfg.idle_timeout_ms, now, c->cfg.min_conns_per_node);
        if (c->cfg.min_conns_per_node && !stopping(c))
            aw_node_pool_fill(n, c->cfg.min_conns_per_node);
    }
}

void aw_cluster_tend_round(aw_cluster *c, aw_error *first_err) {
    c->rounds++;
    c->round_err = first_err;
    aw_buf body;
    aw_buf_init(&body);
    bool changed = c->republish;

    size_t refreshed = 0;
    bool peers_moved = false;
    for (size_t i = 0; i < c->n_members && !stopping(c); i++) {
        aw_member *m = &c->members[i];
        m->fresh = false;
        if (refresh_member(c, m, &body)) {
            refreshed++;
            peers_moved = peers_moved || m->seen_peers_gen != m->node->peers_gen;
        }
    }
    bool any_failed = refreshed < c->n_members;

    /* Seeds only once no member is left (the official rule: members that
     * fail AW_TEND_MAX_FAILURES tends in a row are removed first). Asking a
     * seed while a member is merely stalled would hold this round for a
     * second connect-and-wait, stretching the error-rate window. */
    if (refreshed == 0 && c->n_members == 0 && !stopping(c)) {
        size_t before = c->n_members;
        try_seeds(c, &changed);
        peers_moved = peers_moved || c->n_members > before;
    }
    if ((peers_moved || any_failed) && !stopping(c)) {
        size_t lists_read = refresh_peers(c, &body, &changed);
        remove_nodes(c, lists_read, &changed);
    }
    refresh_maps(c, &body, &changed);
    refresh_racks(c, &body, &changed);
    housekeeping(c);
    if (changed && !stopping(c)) {
        aw_error e;
        note_nomem(c, aw_cluster_publish(c, &e), &e);
    }
    aw_buf_free(&body);
    c->round_err = NULL;
    /* Counted once done, so a watcher sees the round's effects. */
    atomic_fetch_add_explicit(&c->counters.tends, 1, memory_order_relaxed);
    aw_log(AW_LOG_TRACE, "tend round done: %zu nodes%s", c->n_members, changed ? ", view changed" : "");
    if (c->cfg.on_tend && !stopping(c))
        c->cfg.on_tend(c, c->cfg.on_tend_udata);
}
