/* aw-bench --metrics; see metrics_out.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics_out.h"

aw_metrics *mo_start(aw_client *c) {
    aw_metrics *m = NULL;
    aw_error err;
    if (aw_metrics_snapshot(c, &m, &err) != AW_OK)
        fprintf(stderr, "aw-bench: --metrics: %s\n", err.message);
    return m;
}

static void sub_hist(aw_histogram *h, const aw_histogram *before) {
    for (int i = 0; i < AW_METRICS_BUCKETS; i++)
        h->bucket[i] -= before->bucket[i];
    h->count -= before->count;
    h->sum_ns -= before->sum_ns;
}

/* Counters only: gauges (connections open, in use, in the pool) stay as now. */
static void sub_node(aw_metrics_node *n, const aw_metrics_node *before) {
    for (int t = 0; t < AW_MT_COUNT; t++)
        sub_hist(&n->latency[t], &before->latency[t]);
    for (int p = 0; p < AW_MP_COUNT; p++)
        sub_hist(&n->phase[p], &before->phase[p]);
    for (int i = 0; i < AW_METRICS_ERR_CODES; i++)
        n->errors[i] -= before->errors[i];
    n->timeouts -= before->timeouts;
    n->retries -= before->retries;
    n->in_doubt -= before->in_doubt;
    n->bytes_sent -= before->bytes_sent;
    n->bytes_received -= before->bytes_received;
    n->conns_opened -= before->conns_opened;
    for (int r = 0; r < AW_CLOSE_COUNT; r++)
        n->conns_closed[r] -= before->conns_closed[r];
}

int mo_write(aw_client *c, const aw_metrics *start, const char *path) {
    aw_metrics *now = NULL;
    aw_error err;
    if (!start || aw_metrics_snapshot(c, &now, &err) != AW_OK) {
        fprintf(stderr, "aw-bench: --metrics: %s\n", start ? err.message : "no start snapshot");
        return -1;
    }
    /* Nodes keep their places in snapshots; new ones come after. */
    for (size_t i = 0; i < now->n_nodes && i < start->n_nodes; i++)
        sub_node(&now->nodes[i], &start->nodes[i]);
    sub_node(&now->total, &start->total);
    now->tends -= start->tends;
    now->partition_map_updates -= start->partition_map_updates;
    now->nodes_added -= start->nodes_added;
    now->nodes_removed -= start->nodes_removed;
    size_t len = aw_metrics_format_prometheus(now, NULL, 0);
    char *text = malloc(len + 1);
    int rc = -1;
    FILE *f = NULL;
    if (!text)
        fprintf(stderr, "aw-bench: --metrics: out of memory\n");
    else if (!(f = fopen(path, "w")))
        fprintf(stderr, "aw-bench: --metrics %s: %s\n", path, strerror(errno));
    else {
        aw_metrics_format_prometheus(now, text, len + 1);
        rc = fwrite(text, 1, len, f) == len ? 0 : -1;
        if (fclose(f) != 0 || rc != 0) {
            fprintf(stderr, "aw-bench: --metrics %s: %s\n", path, strerror(errno));
            rc = -1;
        }
    }
    free(text);
    aw_metrics_free(now);
    return rc;
}
