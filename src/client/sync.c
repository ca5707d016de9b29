/*
 * The blocking single-record commands. Each call encodes its request once
 * into the thread's reusable buffer, then tries nodes until the server
 * answers, the retries run out or the total deadline passes. Sockets come
 * from the node's shared pool, so any number of threads can run commands at
 * once; the only shared state touched per attempt is the view's reference
 * count, the pool's lock and the client's counters.
 *
 * The view is acquired per attempt rather than cached per thread: measured
 * with aw-bench -z (sync threads), acquire + release do not show in a profile (user space
 * is ~3% of a get's CPU on loopback; the kernel is the rest), and a cached
 * view would keep removed nodes and their sockets alive in idle threads.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "client_impl.h"
#include "cluster/log.h"
#include "policy_check.h"
#include "proto/frame.h"
#include "sync_tls.h"
#include "trace.h"

typedef struct sync_cmd {
    aw_client *client;
    const aw_policy *p;
    aw_cmd_args args;
    bool is_write;
    aw_record *rec;
    bool *exists;
    aw_sync_tls *tls;
    uint64_t deadline;  /* total deadline (aw_now_ms clock); 0 = none */
    uint32_t sent;      /* attempts whose request may have reached a server */
    aw_mblock *mb;      /* metrics: the block of the last node tried */
    const char *node;   /* its id (the blocks outlive nodes) */
    uint64_t start_ns;  /* metrics or tracing on: when the command started */
    uint32_t attempts;
} sync_cmd;

/* Phase timing costs a clock read, taken only with metrics on. */
static uint64_t mark(const sync_cmd *c) { return c->client->metrics_on ? aw_metrics_now_ns() : 0; }
static void phase(const sync_cmd *c, aw_node *n, aw_metrics_phase p, uint64_t from, uint64_t to) {
    if (c->client->metrics_on)
        aw_hist_add(&n->m->phase[p], to - from);
}

static void sleep_ms(uint32_t ms) {
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* The end of one attempt: the socket timeout (no reply within it) bounded
 * by the total deadline. 0 = none. */
static uint64_t attempt_deadline(const sync_cmd *c, uint64_t now) {
    uint64_t d = c->deadline;
    if (c->p->socket_timeout_ms) {
        uint64_t s = now + c->p->socket_timeout_ms;
        if (d == 0 || s < d)
            d = s;
    }
    return d;
}

/* Client-side failures get the node's address in front, so a message from
 * the socket layer says where it happened. */
static int on_node(aw_error *e, const aw_node *n) {
    if (strstr(e->message, n->addr_str))
        return e->code; /* already says where */
    char tmp[AW_ERROR_MSG_SIZE];
    snprintf(tmp, sizeof tmp, "%s", e->message);
    return aw_error_set(e, e->code, "node %s: %s", n->addr_str, tmp);
}

static bool is_network_failure(int rc) {
    return rc == AW_ERR_CONNECTION || rc == AW_ERR_NO_RESPONSE || rc == AW_ERR_TIMEOUT;
}

/* Send and receive on a pooled socket. *answered is set when the status is
 * the server's (final). */
static int exchange(sync_cmd *c, aw_node *node, uint64_t dl, bool *answered, aw_error *e) {
    aw_sock s;
    uint64_t t0 = mark(c);
    int rc = aw_node_conn_get(node, dl, c->p->pool == AW_POOL_WAIT, &s, e);
    uint64_t t1 = mark(c);
    phase(c, node, AW_MP_CONN_WAIT, t0, t1);
    if (rc != AW_OK) {
        /* Only a failed connect or handshake says something about the node:
         * a timeout here may just be a wait for a busy pool. */
        if (rc == AW_ERR_CONNECTION || rc == AW_ERR_TLS) {
            aw_log(AW_LOG_WARN, "node %s (%s): %s", node->name, node->addr_str, e->message);
            aw_node_add_error(node);
            aw_cluster_tend_now(c->client->cluster);
        }
        return on_node(e, node);
    }
    c->sent++; /* from here on the server may run the request */
    aw_sync_tls *t = c->tls;
    rc = aw_net_send_all(&s, t->req.data, t->req.len, dl, e);
    uint64_t t2 = mark(c);
    if (rc == AW_OK) {
        phase(c, node, AW_MP_SEND, t1, t2);
        if (c->client->metrics_on)
            aw_mcount(&node->m->bytes_sent, t->req.len);
        rc = aw_net_recv_reply(&s, AW_PROTO_MSG, AW_PROTO_SIZE_MAX, &t->resp, dl, e);
    }
    bool framed = rc == AW_OK; /* a whole frame was read: the stream is in step */
    if (framed) {
        uint64_t t3 = mark(c);
        phase(c, node, AW_MP_REPLY_WAIT, t2, t3);
        aw_node_answered(node);
        rc = aw_cmd_parse_reply(c->args.kind, t->resp.data, t->resp.len, c->rec, c->exists, e);
        *answered = rc >= 0; /* parse errors are negative; server codes are not */
        phase(c, node, AW_MP_DECODE, t3, mark(c));
        if (c->client->metrics_on)
            aw_mcount(&node->m->bytes_received, t->resp.len + AW_PROTO_HEADER_SIZE);
        if (rc == AW_NOT_AUTHENTICATED) {
            /* The node's session ended: log in again on a new connection. */
            aw_session_drop(&node->session);
            framed = false;
        }
    }
    /* A socket that failed mid-exchange may still deliver a stale reply. */
    bool reusable = framed && (*answered || rc == AW_ERR_NOMEM);
    aw_node_conn_put(node, &s, reusable);
    if (reusable)
        return rc;
    if (is_network_failure(rc)) {
        aw_log(AW_LOG_WARN, "node %s (%s): %s", node->name, node->addr_str, e->message);
        aw_node_add_error(node);
        if (rc != AW_ERR_TIMEOUT)
            aw_cluster_tend_now(c->client->cluster);
    }
    return on_node(e, node);
}

/* One attempt: route with the current view, then exchange. */
static int attempt(sync_cmd *c, uint32_t seq, bool *answered, aw_error *e) {
    aw_cluster_view *v = aw_cluster_view_acquire(c->client->cluster);
    int rc;
    aw_node *node = NULL;
    if (v->n_nodes == 0) {
        rc = aw_error_set(e, AW_ERR_INVALID_NODE, "no node of the cluster is reachable (seeds %s)",
                          c->client->cfg.hosts);
    } else if (!(node = aw_cmd_route(v, c->args.key, c->p, c->is_write, seq, e))) {
        rc = e->code;
    } else if (aw_node_backed_off(node)) {
        rc = aw_error_set(e, AW_ERR_MAX_ERROR_RATE, "node %s: too many errors, backing off",
                          node->addr_str);
    } else {
        c->mb = node->m;
        c->node = node->m->name;
        rc = exchange(c, node, attempt_deadline(c, aw_now_ms()), answered, e);
    }
    if (rc == AW_ERR_TIMEOUT && c->client->metrics_on)
        aw_mcount(&c->mb->timeouts, 1);
    aw_cluster_view_release(v); /* the node lives as long as the view */
    return rc;
}

/* Java-client rule: a write is in doubt when it failed after being sent
 * more than once, or once with a timeout or client-side error. */
static bool in_doubt(const sync_cmd *c, int rc) {
    return c->is_write && (c->sent > 1 || (c->sent == 1 && (rc == AW_ERR_TIMEOUT || rc < 0)));
}

static int run(sync_cmd *c, aw_error *e) {
    const aw_policy *p = c->p;
    uint32_t seq = aw_cmd_first_seq(p, c->is_write);
    uint32_t attempts = 0;
    bool relogged = false;
    int rc;
    for (;;) {
        bool answered = false;
        attempts++;
        c->attempts = attempts;
        rc = attempt(c, seq, &answered, e);
        if (rc == AW_NOT_AUTHENTICATED && !relogged) {
            relogged = true; /* the server did not run it: once more, logged in again */
            continue;
        }
        if (rc == AW_OK || answered || !aw_cmd_retryable(rc) || attempts > p->max_retries)
            break;
        uint64_t now = aw_now_ms();
        if (c->deadline && now >= c->deadline) {
            char last[AW_ERROR_MSG_SIZE];
            snprintf(last, sizeof last, "%s", e->message);
            rc = aw_error_set(e, AW_ERR_TIMEOUT, "total timeout %u ms after %u attempts; last: %s",
                              p->total_timeout_ms, attempts, last);
            break;
        }
        /* A pause that would end past the deadline is skipped: the retry
         * then gets what time is left. */
        uint32_t pause = p->sleep_between_retries_ms;
        if (pause && (c->deadline == 0 || now + pause < c->deadline))
            sleep_ms(pause);
        seq = aw_cmd_next_seq(seq, p, c->is_write, rc);
        atomic_fetch_add_explicit(&c->client->retries, 1, memory_order_relaxed);
        aw_log(AW_LOG_DEBUG, "%s %s: retry %u after %s", aw_cmd_name(c->args.kind), c->args.key->ns,
               attempts, e->message);
        if (c->client->metrics_on)
            aw_mcount(&c->mb->retries, 1);
    }
    if (rc != AW_OK)
        e->in_doubt = in_doubt(c, rc);
    if (rc == AW_ERR_TIMEOUT)
        atomic_fetch_add_explicit(&c->client->timeouts, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->client->commands, 1, memory_order_relaxed);
    if (c->client->metrics_on)
        aw_mblock_command(c->mb, aw_cmd_metrics_type(c->args.kind), rc, rc && e->in_doubt,
                          aw_metrics_now_ns() - c->start_ns);
    return rc;
}

static aw_trace_info trace_info(const sync_cmd *c) {
    return (aw_trace_info){.type = aw_cmd_metrics_type(c->args.kind),
                           .command = aw_cmd_name(c->args.kind),
                           .ns = c->args.key->ns,
                           .set = c->args.key->set,
                           .start_ns = c->start_ns,
                           .node = c->node};
}

static void *trace_begin(const sync_cmd *c) {
    aw_trace_info ti = trace_info(c);
    return aw_trace_call_begin(c->client, &ti);
}

static void trace_end(const sync_cmd *c, void *span, int rc) {
    aw_trace_info ti = trace_info(c);
    ti.end_ns = aw_metrics_now_ns();
    ti.status = rc;
    ti.attempts = ti.n_requests = c->attempts;
    ti.n_records = rc == AW_OK;
    aw_trace_call_end(c->client, span, &ti);
}

static int execute(aw_client *client, const aw_policy *given, const aw_cmd_args *a,
                   aw_record *rec, bool *exists, aw_error *err) {
    aw_error local;
    aw_error *e = err ? err : &local;
    if (!client)
        return aw_error_set(e, AW_ERR_PARAM, "client is NULL");
    if (!a->key)
        return aw_error_set(e, AW_ERR_PARAM, "key is NULL");
    if (a->kind == AW_CMD_OPERATE && a->n && !a->ops)
        return aw_error_set(e, AW_ERR_PARAM, "operate: %zu ops but ops is NULL", a->n);
    sync_cmd c = {.client = client, .args = *a, .rec = rec, .exists = exists};
    c.is_write = aw_cmd_is_write(a);
    c.p = aw_client_policy(client, given, c.is_write);
    int rc = aw_policy_check(c.p, "policy", e);
    if (rc != AW_OK)
        return rc;
    c.tls = aw_sync_tls_get();
    aw_buf_reset(&c.tls->req);
    rc = aw_cmd_encode(&c.tls->req, a, c.p, e);
    if (rc == AW_OK) {
        if (c.p->total_timeout_ms)
            c.deadline = aw_now_ms() + c.p->total_timeout_ms;
        aw_error_reset(e);
        c.mb = aw_cluster_unrouted(client->cluster);
        c.node = "";
        if (client->metrics_on || client->tracing)
            c.start_ns = aw_metrics_now_ns();
        void *span = client->tracing ? trace_begin(&c) : NULL;
        rc = run(&c, e);
        if (client->tracing)
            trace_end(&c, span, rc);
    }
    aw_sync_tls_trim(c.tls);
    return rc;
}

int aw_put(aw_client *client, const aw_policy *policy, const aw_key *key, const aw_bin *bins,
           size_t n_bins, aw_error *err) {
    aw_cmd_args a = {.kind = AW_CMD_PUT, .key = key, .bins = bins, .n = n_bins};
    return execute(client, policy, &a, NULL, NULL, err);
}

int aw_get(aw_client *client, const aw_policy *policy, const aw_key *key,
           const char *const *bins, size_t n_bins, aw_record *rec, aw_error *err) {
    if (!rec)
        return aw_error_set(err, AW_ERR_PARAM, "get: rec is NULL");
    memset(rec, 0, sizeof *rec);
    aw_cmd_args a = {.kind = AW_CMD_GET, .key = key, .bin_names = bins, .n = n_bins};
    return execute(client, policy, &a, rec, NULL, err);
}

int aw_get_header(aw_client *client, const aw_policy *policy, const aw_key *key, aw_record *rec,
                  aw_error *err) {
    if (!rec)
        return aw_error_set(err, AW_ERR_PARAM, "get_header: rec is NULL");
    memset(rec, 0, sizeof *rec);
    aw_cmd_args a = {.kind = AW_CMD_GET_HEADER, .key = key};
    return execute(client, policy, &a, rec, NULL, err);
}

int aw_exists(aw_client *client, const aw_policy *policy, const aw_key *key, bool *exists,
              aw_error *err) {
    if (!exists)
        return aw_error_set(err, AW_ERR_PARAM, "exists: the result pointer is NULL");
    *exists = false;
    aw_cmd_args a = {.kind = AW_CMD_EXISTS, .key = key};
    return execute(client, policy, &a, NULL, exists, err);
}

int aw_delete(aw_client *client, const aw_policy *policy, const aw_key *key, aw_error *err) {
    aw_cmd_args a = {.kind = AW_CMD_DELETE, .key = key};
    return execute(client, policy, &a, NULL, NULL, err);
}

int aw_touch(aw_client *client, const aw_policy *policy, const aw_key *key, aw_error *err) {
    aw_cmd_args a = {.kind = AW_CMD_TOUCH, .key = key};
    return execute(client, policy, &a, NULL, NULL, err);
}

int aw_operate(aw_client *client, const aw_policy *policy, const aw_key *key, const aw_op *ops,
               size_t n_ops, aw_record *rec, aw_error *err) {
    if (rec)
        memset(rec, 0, sizeof *rec);
    aw_cmd_args a = {.kind = AW_CMD_OPERATE, .key = key, .ops = ops, .n = n_ops};
    return execute(client, policy, &a, rec, NULL, err);
}
