/* aw_query_foreach and aw_query_background: the public calls over the
 * scan/query engine (query_exec.c) and the codec. */
#include <string.h>
#include <time.h>

#include "aerowire/query.h"
#include "client_impl.h"
#include "cluster/net.h"
#include "proto/frame.h"
#include "proto/mem.h"
#include "proto/particle.h"
#include "proto/pstatus.h"
#include "proto/reply.h"
#include "query_exec.h"
#include "query_plan.h"

typedef struct deliver {
    aw_query_record_cb cb;
    void *udata;
    const char *ns;
} deliver;

static int deliver_record(void *ctx, const aw_msg_view *m, const aw_scanq_meta *meta) {
    deliver *d = ctx;
    aw_error e;
    aw_key k;
    aw_record rec;
    int rc = aw_query_record_of(m, meta, d->ns, &k, &rec, &e);
    if (rc != AW_OK)
        return rc;
    bool more = d->cb(&k, &rec, d->udata);
    aw_record_free(&rec);
    return more ? 0 : AW_ERR_CLIENT_ABORT;
}

int aw_query_run(aw_client *client, const aw_query_policy *policy, const aw_query *q,
                 aw_partition_status *cursor, aw_query_sink_fn sink, void *sink_ctx,
                 aw_error *err) {
    aw_query_policy def = aw_query_policy_default();
    const aw_query_policy *pol = policy ? policy : &def;
    int rc = aw_query_check(pol, q, err);
    if (rc != AW_OK)
        return rc;
    aw_partition_status *own = NULL;
    if (!cursor) {
        aw_partition_filter all = aw_partition_filter_all();
        if ((rc = aw_partition_status_new(&all, &own, err)) != AW_OK)
            return rc;
        cursor = own;
    }
    rc = aw_query_exec(client, pol, q, cursor, sink, sink_ctx, err);
    aw_partition_status_free(own);
    return rc;
}

int aw_query_foreach(aw_client *client, const aw_query_policy *policy, const aw_query *q,
                     aw_partition_status *cursor, aw_query_record_cb cb, void *udata,
                     aw_error *err) {
    if (!client || !q || !cb)
        return aw_error_set(err, AW_ERR_PARAM, "aw_query_foreach: %s is NULL",
                            !client ? "client" : !q ? "query" : "callback");
    deliver d = {cb, udata, q->ns};
    return aw_query_run(client, policy, q, cursor, deliver_record, &d, err);
}

/* --- background jobs ---------------------------------------------------------- */

/* Sends the job to one node and reads its one answer. */
static int start_on_node(aw_node *node, const aw_buf *req, uint64_t deadline, aw_error *err) {
    int fd;
    int rc = aw_node_conn_get(node, deadline, true, &fd, err);
    if (rc != AW_OK)
        return rc;
    aw_buf body;
    aw_buf_init(&body);
    rc = aw_net_send_all(fd, req->data, req->len, deadline, err);
    if (rc == AW_OK)
        rc = aw_net_recv_frame(fd, AW_PROTO_MSG, 0, &body, deadline, err);
    bool reusable = false;
    if (rc == AW_OK) {
        aw_msg_view m;
        size_t used;
        rc = aw_msg_parse(body.data, body.len, &m, &used, err);
        reusable = rc == AW_OK && used == body.len;
        /* NOT_FOUND: the set does not exist, nothing to do */
        if (rc == AW_OK && m.h.result_code && m.h.result_code != AW_ERR_RECORD_NOT_FOUND)
            rc = aw_error_set(err, m.h.result_code, "background job refused: %s",
                              aw_strerror(m.h.result_code));
    }
    aw_node_conn_put(node, fd, reusable);
    aw_buf_free(&body);
    return rc;
}

int aw_query_background(aw_client *client, const aw_query_policy *policy,
                        const aw_policy *write_policy, const aw_query *q, uint64_t *job_id,
                        aw_error *err) {
    if (!client || !q || !job_id)
        return aw_error_set(err, AW_ERR_PARAM, "aw_query_background: %s is NULL",
                            !client ? "client" : !q ? "query" : "job_id");
    aw_query_policy def = aw_query_policy_default();
    const aw_query_policy *pol = policy ? policy : &def;
    const aw_policy *wp = aw_client_policy(client, write_policy, true);
    aw_req_opts wo = aw_req_opts_default();
    wo.ttl = wp->ttl;
    wo.exists = (uint8_t)wp->exists;
    wo.commit_level = (uint8_t)wp->commit_level;
    wo.durable_delete = wp->durable_delete;
    uint64_t id = *job_id ? *job_id : aw_query_task_id();
    aw_scanq_req req = {
        .q = q,
        .task_id = id,
        .socket_timeout_ms = pol->base.socket_timeout_ms,
        .total_timeout_ms = wp->total_timeout_ms,
        .records_per_second = pol->records_per_second,
        .duration = pol->expected_duration,
        .filter = pol->base.filter,
        .write = &wo,
    };
    aw_buf buf;
    aw_buf_init(&buf);
    int rc = aw_req_scanq(&buf, &req, err);
    if (rc != AW_OK) {
        aw_buf_free(&buf);
        return rc;
    }
    uint32_t t = wp->total_timeout_ms ? wp->total_timeout_ms : pol->base.socket_timeout_ms;
    uint64_t deadline = t ? aw_now_ms() + t : 0;
    aw_cluster_view *v = aw_cluster_view_acquire(client->cluster);
    size_t asked = 0;
    if (!aw_view_table(v, q->ns))
        rc = aw_error_set(err, AW_ERR_NAMESPACE_NOT_FOUND, "namespace '%s' is not served", q->ns);
    for (size_t i = 0; rc == AW_OK && i < v->n_nodes; i++) {
        if (!aw_node_is_active(v->nodes[i]))
            continue;
        asked++;
        rc = start_on_node(v->nodes[i], &buf, deadline, err);
    }
    aw_cluster_view_release(v);
    aw_buf_free(&buf);
    if (rc == AW_OK && asked == 0)
        rc = aw_error_set(err, AW_ERR_INVALID_NODE, "the cluster has no node to ask");
    if (rc == AW_OK) {
        *job_id = id;
        aw_error_reset(err);
    }
    return rc;
}
