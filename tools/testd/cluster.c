/*
 * aw-testd: partition ownership across the nodes of one process.
 *
 * Each partition prefers nodes in the order p, p+1, ... (mod N): the first
 * live one is master, the next live one replica. Killing a node moves only
 * the partitions it held, to the next node in line, as a real cluster's
 * rebalance would; testd-move pins a partition where a test wants it, or
 * (orphan=1) leaves it to no node at all.
 */
#include <string.h>

#include "internal.h"

static int next_live(const td_server *s, uint32_t pid, int skip) {
    for (int i = 0; i < s->n_nodes; i++) {
        int n = (int)((pid + (uint32_t)i) % (uint32_t)s->n_nodes);
        if (s->nodes[n].alive && n != skip)
            return n;
    }
    return -1;
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
                    : next_live(s, p + 1, m);
            if (r == m)
                r = -1;
        }
        s->owner[p][0] = (int16_t)m;
        s->owner[p][1] = (int16_t)r;
    }
    for (int i = 0; i < s->n_nodes; i++)
        if (s->nodes[i].alive)
            s->nodes[i].partition_gen++;
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
