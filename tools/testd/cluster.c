/*
 * aw-testd: partition ownership across the nodes of one process.
 *
 * Each partition prefers nodes in the order p, p+1, ... (mod N): the first
 * live one is master, the next live one replica. Killing a node moves only
 * the partitions it held, to the next node in line, as a real cluster's
 * rebalance would; testd-move pins a partition where a test wants it, or
 * (orphan=1) leaves it to no node at all. With racks, the replica is the
 * next live node on another rack than the master's, when there is one, as
 * a real cluster spreads a partition's copies over its racks.
 */
#include <stdlib.h>
#include <string.h>

#include "info_param.h"
#include "internal.h"

static int next_live(const td_server *s, uint32_t pid, int skip) {
    for (int i = 0; i < s->n_nodes; i++) {
        int n = (int)((pid + (uint32_t)i) % (uint32_t)s->n_nodes);
        if (s->nodes[n].alive && n != skip)
            return n;
    }
    return -1;
}

/* The replica of a partition mastered by m: another rack first. */
static int next_replica(const td_server *s, uint32_t pid, int m) {
    if (s->has_racks && m >= 0)
        for (int i = 0; i < s->n_nodes; i++) {
            int n = (int)((pid + (uint32_t)i) % (uint32_t)s->n_nodes);
            if (s->nodes[n].alive && n != m && s->nodes[n].rack != s->nodes[m].rack)
                return n;
        }
    return next_live(s, pid, m);
}

void td_rebalance(td_server *s) {
    for (uint32_t p = 0; p < 4096; p++) {
        if (s->pinned[p][0] == TD_ORPHAN) {
            s->owner[p][0] = s->owner[p][1] = -1;
            continue;
        }
        int m = s->pinned[p][0] >= 0 && s->nodes[s->pinned[p][0]].alive ? s->pinned[p][0]
                                                                           : next_live(s, p, -1);
        int r = -1;
        if (s->replication > 1) {
            r = s->pinned[p][1] >= 0 && s->nodes[s->pinned[p][1]].alive && s->pinned[p][1] != m
                    ? s->pinned[p][1]
                    : next_replica(s, p + 1, m);
            if (r == m)
                r = -1;
        }
        s->owner[p][0] = (int16_t)m;
        s->owner[p][1] = (int16_t)r;
    }
    for (int i = 0; i < s->n_nodes; i++)
        if (s->nodes[i].alive)
            s->nodes[i].partition_gen++;
    s->rebalance_gen++;
}

int td_partition_move(td_server *s, uint32_t pid, int master, int replica) {
    if (pid >= 4096 || master < 0 || master >= s->n_nodes || replica >= s->n_nodes ||
        replica == master)
        return -1;
    s->pinned[pid][0] = (int16_t)master;
    if (replica >= 0)
        s->pinned[pid][1] = (int16_t)replica;
    td_rebalance(s);
    return 0;
}

int td_partition_orphan(td_server *s, uint32_t pid) {
    if (pid >= 4096)
        return -1;
    s->pinned[pid][0] = TD_ORPHAN;
    s->pinned[pid][1] = -1;
    td_rebalance(s);
    return 0;
}

int td_racks_parse(td_server *s, const char *racks) {
    const char *p = racks;
    for (int i = 0; i < s->n_nodes; i++) {
        char *end;
        if (*p < '0' || *p > '9')
            return -1;
        unsigned long long v = strtoull(p, &end, 10);
        if (v > UINT32_MAX || (*end != ',' && *end != '\0') || (*end == '\0') != (i == s->n_nodes - 1))
            return -1;
        s->nodes[i].rack = (uint32_t)v;
        p = end + (*end == ',');
    }
    s->has_racks = true;
    return 0;
}

/* `racks` for one namespace: rack_R=ID,ID:rack_R2=ID, racks ascending,
 * nodes ascending within each, live nodes only (the cluster's succession). */
static void rack_line(td_server *s, aw_buf *b) {
    int order[TD_MAX_NODES];
    int n = 0;
    for (int i = 0; i < s->n_nodes; i++)
        if (s->nodes[i].alive)
            order[n++] = i;
    for (int i = 1; i < n; i++) /* insertion sort by (rack, id) */
        for (int j = i; j > 0; j--) {
            const td_node *a = &s->nodes[order[j - 1]], *c = &s->nodes[order[j]];
            if (a->rack < c->rack || (a->rack == c->rack && strcmp(a->id, c->id) <= 0))
                break;
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    for (int i = 0; i < n; i++) {
        const td_node *nd = &s->nodes[order[i]];
        if (i > 0 && nd->rack == s->nodes[order[i - 1]].rack)
            td_info_putf(b, ",%s", nd->id);
        else
            td_info_putf(b, "%srack_%u=%s", i ? ":" : "", nd->rack, nd->id);
    }
}

void td_racks_info(td_node *n, aw_buf *b, const char *name, const char *args, size_t len) {
    td_server *s = n->srv;
    if (!s->has_racks) {
        td_info_put(b, "ERROR:25:enterprise only");
        return;
    }
    if (strcmp(name, "rack-ids") == 0) { /* this node's rack in each namespace */
        for (size_t i = 0; i < s->store.n_ns; i++)
            td_info_putf(b, "%s%s:%u", i ? ";" : "", s->store.ns[i].name, n->rack);
        return;
    }
    const char *want = NULL;
    size_t want_len = 0;
    if (len > 10 && memcmp(args, "namespace=", 10) == 0) {
        want = args + 10;
        want_len = len - 10;
    }
    bool first = true;
    for (size_t i = 0; i < s->store.n_ns; i++) {
        const char *ns = s->store.ns[i].name;
        if (want && (strlen(ns) != want_len || memcmp(ns, want, want_len) != 0))
            continue;
        if (!want)
            td_info_putf(b, "%sns=%s:", first ? "" : ";", ns);
        rack_line(s, b);
        first = false;
    }
    if (want && first)
        td_info_put(b, "ERROR:20:namespace not found on node");
}
