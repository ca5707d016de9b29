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

typedef struct deliver {
    aw_query_record_cb cb;
    void *udata;
    const char *ns;
} deliver;

/* The record message's key: namespace, set, digest, and the stored user key. */
static int key_of(const aw_scanq_meta *m, const char *ns, aw_key *k, aw_error *err) {
    memset(k, 0, sizeof *k);
    if (m->ns_len > AW_NAMESPACE_MAX || m->set_len > AW_SET_MAX)
        return aw_error_set(err, AW_ERR_PROTO, "scan/query record: namespace or set too long");
    if (m->ns)
        memcpy(k->ns, m->ns, m->ns_len);
    else
        strcpy(k->ns, ns);
    if (m->set)
        memcpy(k->set, m->set, m->set_len);
    memcpy(k->digest, m->digest, AW_DIGEST_SIZE);
    k->user_key = aw_value_nil();
    if (!m->key || m->key_len < 1)
        return AW_OK;
    const uint8_t *v = m->key + 1;
    size_t n = m->key_len - 1;
    switch (m->key[0]) {
    case AW_PT_INTEGER:
        if (n != 8)
            return aw_error_set(err, AW_ERR_PROTO, "scan/query record: integer key of %zu bytes",
                                n);
        k->user_key = aw_value_int((int64_t)aw_load_u64be(v));
        break;
    case AW_PT_STRING: k->user_key = aw_value_strn((const char *)v, n); break;
    case AW_PT_BLOB: k->user_key = aw_value_blob(v, n); break;
    default: break; /* a key type the client does not know: digest only */
    }
    return AW_OK;
}

static int deliver_record(void *ctx, const aw_msg_view *m, const aw_scanq_meta *meta) {
    deliver *d = ctx;
    aw_error e;
    aw_key k;
    int rc = key_of(meta, d->ns, &k, &e);
    aw_record rec;
    if (rc == AW_OK)
        rc = aw_record_from_msg(m, NULL, &rec, &e);
    if (rc != AW_OK)
        return rc;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    rec.ttl = aw_void_time_to_ttl(rec.void_time, (uint64_t)ts.tv_sec);
    bool more = d->cb(&k, &rec, d->udata);
    aw_record_free(&rec);
    return more ? 0 : AW_ERR_CLIENT_ABORT;
}

int aw_query_run(aw_client *client, const aw_query_policy *policy, const aw_query *q,
                 aw_partition_status *cursor, aw_query_sink_fn sink, void *sink_ctx,
                 aw_error *err) {
    aw_query_policy def = aw_query_policy_default();
    const aw_query_policy *pol = policy ? policy : &def;
    if ((unsigned)pol->expected_duration > AW_QUERY_LONG_RELAX_AP)
        return aw_error_set(err, AW_ERR_PARAM, "expected_duration %d is unknown",
                            (int)pol->expected_duration);
    /* Refuse what the encoder refuses before anything is sent. */
    aw_partition_info probe = {0};
    aw_partition_info *one = &probe;
    aw_scanq_req check = {.q = q, .filter = pol->base.filter, .parts = &one, .n_parts = 1,
                          .no_bins = !pol->include_bin_data, .duration = pol->expected_duration};
    aw_buf scratch;
    aw_buf_init(&scratch);
    int rc = aw_req_scanq(&scratch, &check, err);
    aw_buf_free(&scratch);
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
