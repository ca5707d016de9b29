/* aw_info / aw_info_all: info requests to one node or every node. */
#include <string.h>

#include "client_impl.h"
#include "trace.h"

/* timeout_ms 0 falls back to the client's connect timeout (the bound the
 * tend thread uses for its own info exchanges). */
static uint64_t info_deadline(const aw_client *c, uint32_t timeout_ms) {
    return aw_now_ms() + (timeout_ms ? timeout_ms : c->cfg.connect_timeout_ms);
}

/* Errors from the info exchange get the node's address in front. */
static int on_node(aw_error *e, const aw_node *n, int rc) {
    if (e && rc != AW_OK && !strstr(e->message, n->addr_str)) {
        char tmp[AW_ERROR_MSG_SIZE];
        memcpy(tmp, e->message, sizeof tmp);
        aw_error_set(e, rc, "node %s: %s", n->addr_str, tmp);
    }
    return rc;
}

/* The first active node of the view, or NULL. */
static aw_node *any_node(const aw_cluster_view *v) {
    for (size_t i = 0; i < v->n_nodes; i++)
        if (aw_node_is_active(v->nodes[i]))
            return v->nodes[i];
    return NULL;
}

/* One node asked: an INFO command in its metrics. */
static int ask(aw_client *c, aw_node *n, const char *request, uint64_t deadline, char **reply,
               aw_tspan *span, aw_error *err) {
    aw_tspan_request(span, n->name);
    uint64_t t0 = c->metrics_on ? aw_metrics_now_ns() : 0;
    int rc = on_node(err, n, aw_cluster_info(c->cluster, n, request, deadline, reply, err));
    if (c->metrics_on)
        aw_mblock_command(n->m, AW_MT_INFO, rc, false, aw_metrics_now_ns() - t0);
    return rc;
}

int aw_info_ask(aw_client *client, const char *node, const char *request, uint32_t timeout_ms,
                char **reply, aw_tspan *span, aw_error *err) {
    uint64_t deadline = info_deadline(client, timeout_ms);
    aw_cluster_view *v = aw_cluster_view_acquire(client->cluster);
    aw_node *n = node ? aw_view_find_node(v, node) : any_node(v);
    int rc;
    if (!n && node)
        rc = aw_error_set(err, AW_ERR_INVALID_NODE, "node '%s' is not in the cluster", node);
    else if (!n)
        rc = aw_error_set(err, AW_ERR_INVALID_NODE, "the cluster has no node to ask");
    else
        rc = ask(client, n, request, deadline, reply, span, err);
    aw_cluster_view_release(v);
    return rc;
}

int aw_info(aw_client *client, const char *node, const char *request, uint32_t timeout_ms,
            char **reply, aw_error *err) {
    if (reply)
        *reply = NULL;
    if (!client || !request || !reply)
        return aw_error_set(err, AW_ERR_PARAM, "aw_info: %s is NULL",
                            !client ? "client" : !request ? "request" : "reply");
    aw_tspan span;
    aw_tspan_begin(&span, client, AW_MT_INFO, "info", NULL, NULL, false, 0, 0);
    int rc = aw_info_ask(client, node, request, timeout_ms, reply, &span, err);
    aw_tspan_end(&span, rc, 0);
    return rc;
}

int aw_info_ask_all(aw_client *client, const char *request, uint32_t timeout_ms,
                    aw_info_each_cb each, void *udata, aw_tspan *span, aw_error *err) {
    uint64_t deadline = info_deadline(client, timeout_ms);
    aw_cluster_view *v = aw_cluster_view_acquire(client->cluster);
    int first = AW_OK;
    aw_error first_err, e;
    aw_error_reset(&first_err);
    size_t asked = 0;
    for (size_t i = 0; i < v->n_nodes; i++) {
        aw_node *n = v->nodes[i];
        if (!aw_node_is_active(n))
            continue;
        asked++;
        char *reply = NULL;
        int rc = ask(client, n, request, deadline, &reply, span, &e);
        /* On failure the callback gets the error's message as the reply. */
        each(n->name, rc, rc == AW_OK ? reply : e.message, udata);
        aw_free(reply);
        if (rc != AW_OK && first == AW_OK) {
            first = rc;
            first_err = e;
        }
    }
    aw_cluster_view_release(v);
    if (asked == 0)
        return aw_error_set(err, AW_ERR_INVALID_NODE, "the cluster has no node to ask");
    if (first != AW_OK) {
        if (err)
            *err = first_err;
        return first;
    }
    aw_error_reset(err);
    return AW_OK;
}

int aw_info_all(aw_client *client, const char *request, uint32_t timeout_ms, aw_info_each_cb each,
                void *udata, aw_error *err) {
    if (!client || !request || !each)
        return aw_error_set(err, AW_ERR_PARAM, "aw_info_all: %s is NULL",
                            !client ? "client" : !request ? "request" : "each");
    aw_tspan span;
    aw_tspan_begin(&span, client, AW_MT_INFO, "info_all", NULL, NULL, false, 0, 0);
    int rc = aw_info_ask_all(client, request, timeout_ms, each, udata, &span, err);
    aw_tspan_end(&span, rc, 0);
    return rc;
}
