/* Background jobs: aw_query_background (write ops) and
 * aw_query_background_udf (a UDF on every record), sent to every node with
 * the same job id; the nodes run them on their own. */
#include <string.h>

#include "aerowire/query.h"
#include "client_impl.h"
#include "cluster/net.h"
#include "proto/frame.h"
#include "proto/mem.h"
#include "query_bg.h"
#include "trace.h"
#include "query_exec.h"

int aw_query_bg_encode(const aw_query_policy *pol, const aw_policy *wp, const aw_query *q,
                       const aw_udf_call *udf, uint64_t job_id, aw_buf *out, aw_error *err) {
    aw_req_opts wo = aw_req_opts_default();
    wo.ttl = wp->ttl;
    wo.exists = (uint8_t)wp->exists;
    wo.commit_level = (uint8_t)wp->commit_level;
    wo.durable_delete = wp->durable_delete;
    aw_scanq_req req = {
        .q = q,
        .task_id = job_id,
        .socket_timeout_ms = pol->base.socket_timeout_ms,
        .total_timeout_ms = wp->total_timeout_ms,
        .records_per_second = pol->records_per_second,
        .duration = pol->expected_duration,
        .filter = pol->base.filter,
        .write = &wo,
        .udf = udf,
    };
    return aw_req_scanq(out, &req, err);
}

/* Sends the job to one node and reads its one answer. */
static int start_on_node(aw_node *node, const aw_buf *req, uint64_t deadline, aw_error *err) {
    aw_sock s;
    int rc = aw_node_conn_get(node, deadline, true, &s, err);
    if (rc != AW_OK)
        return rc;
    aw_buf body;
    aw_buf_init(&body);
    rc = aw_net_send_all(&s, req->data, req->len, deadline, err);
    if (rc == AW_OK)
        rc = aw_net_recv_frame(&s, AW_PROTO_MSG, 0, &body, deadline, err);
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
    aw_node_conn_put(node, &s, reusable);
    aw_buf_free(&body);
    return rc;
}

/* Encodes the job once and starts it on every active node: one call for
 * the trace hook, `name`. */
static int start_job(aw_client *client, const aw_query_policy *policy,
                     const aw_policy *write_policy, const aw_query *q, const aw_udf_call *udf,
                     uint64_t *job_id, const char *name, aw_error *err) {
    aw_query_policy def = aw_query_policy_default();
    const aw_query_policy *pol = policy ? policy : &def;
    const aw_policy *wp = aw_client_policy(client, write_policy, true);
    uint64_t id = *job_id ? *job_id : aw_query_task_id();
    aw_buf buf;
    aw_buf_init(&buf);
    int rc = aw_query_bg_encode(pol, wp, q, udf, id, &buf, err);
    if (rc != AW_OK) {
        aw_buf_free(&buf);
        return rc;
    }
    aw_tspan span;
    aw_tspan_begin(&span, client, AW_MT_QUERY, name, q->ns, q->set, false, 0, 0);
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
        aw_tspan_request(&span, v->nodes[i]->name);
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
    aw_tspan_end(&span, rc, 0);
    return rc;
}

int aw_query_background(aw_client *client, const aw_query_policy *policy,
                        const aw_policy *write_policy, const aw_query *q, uint64_t *job_id,
                        aw_error *err) {
    if (!client || !q || !job_id)
        return aw_error_set(err, AW_ERR_PARAM, "aw_query_background: %s is NULL",
                            !client ? "client" : !q ? "query" : "job_id");
    return start_job(client, policy, write_policy, q, NULL, job_id, "query_background", err);
}

int aw_query_background_udf(aw_client *client, const aw_query_policy *policy,
                            const aw_policy *write_policy, const aw_query *q,
                            const aw_udf_call *udf, uint64_t *job_id, aw_error *err) {
    if (!client || !q || !udf || !job_id)
        return aw_error_set(err, AW_ERR_PARAM, "aw_query_background_udf: %s is NULL",
                            !client ? "client" : !q ? "query" : !udf ? "udf" : "job_id");
    return start_job(client, policy, write_policy, q, udf, job_id, "query_background_udf", err);
}
