/*
 * Async commands: submission (encode once, queue, schedule the deferred run),
 * routing onto a connection, retries, timeouts, and the one function that
 * completes a command.
 */
#include <assert.h>
#include <stdatomic.h>
#include <string.h>

#include "cluster/log.h"
#include "conn.h"
#include "policy_check.h"
#include "trace.h"

/* --- Tracing ------------------------------------------------------------------ */

static aw_trace_info trace_info(const aw_acmd *cmd) {
    return (aw_trace_info){.type = aw_cmd_metrics_type((aw_cmd_kind)cmd->kind),
                           .command = aw_cmd_name((aw_cmd_kind)cmd->kind),
                           .ns = cmd->key.ns,
                           .set = cmd->key.set,
                           .async = true,
                           .start_ns = cmd->start_ns,
                           .node = cmd->mb->name};
}

static void trace_begin(aw_acmd *cmd) {
    aw_trace_info ti = trace_info(cmd);
    cmd->span = aw_trace_call_begin(cmd->loop->client, &ti);
}

static void trace_end(aw_acmd *cmd, int rc) {
    aw_trace_info ti = trace_info(cmd);
    ti.end_ns = aw_loop_now_ns(cmd->loop);
    ti.status = rc;
    ti.attempts = ti.n_requests = cmd->attempt + 1;
    ti.n_records = rc == AW_OK;
    aw_trace_call_end(cmd->loop->client, cmd->span, &ti);
}

/* --- Completion: the only place a callback is called ------------------------ */

void aw_acmd_complete(aw_acmd *cmd, int rc, aw_error *err, aw_record *rec, bool exists) {
    aw_loop *l = cmd->loop;
    assert(cmd->state != AW_ACMD_DONE && cmd->state != AW_ACMD_FREE);
    /* Out of everywhere first, so nothing can find it again. */
    if (aw_heap_contains(&cmd->hn))
        aw_heap_remove(l, &cmd->hn);
    if (cmd->list)
        aw_list_remove(cmd->list, cmd);
    if (cmd->conn)
        aw_conn_abandon(cmd->conn, cmd);
    cmd->ln = NULL;
    cmd->state = AW_ACMD_DONE;
    l->pending--;

    aw_client *c = l->client;
    if (!cmd->hooks || cmd->node) { /* a step is not a command */
        atomic_fetch_add_explicit(&c->commands, 1, memory_order_relaxed);
        if (rc == AW_ERR_TIMEOUT)
            atomic_fetch_add_explicit(&c->timeouts, 1, memory_order_relaxed);
    }
    bool doubt = rc != AW_OK && cmd->is_write &&
                 (cmd->n_sent > 1 || (cmd->n_sent == 1 && (rc == AW_ERR_TIMEOUT || rc < 0)));
    if (c->metrics_on && (!cmd->hooks || cmd->node)) /* hooks: a batch's or scan's node request */
        aw_mblock_command(cmd->mb,
                          cmd->hooks ? cmd->hooks->metrics_type
                                     : aw_cmd_metrics_type((aw_cmd_kind)cmd->kind),
                          rc, doubt, aw_loop_now_ns(l) - cmd->start_ns);
    if (c->tracing && !cmd->hooks)
        trace_end(cmd, rc);

    aw_error local;
    if (cmd->hooks) {
        if (rc != AW_OK && !err) {
            err = &local;
            aw_error_set(err, rc, NULL);
        }
        aw_cb_frame f;
        aw_cb_frame_push(&f, c);
        cmd->hooks->complete(cmd, rc, rc ? err : NULL);
        aw_cb_frame_pop(&f);
        aw_acmd_release(cmd);
        return;
    }
    if (rc != AW_OK) {
        if (!err) {
            err = &local;
            aw_error_set(err, rc, NULL);
        }
        err->code = rc;
        /* The sync API's (and the Java client's) rule: a write is in doubt
         * when its request left the client more than once, or once and
         * ended in a timeout or a client-side error. */
        err->in_doubt = doubt;
    }
    aw_record empty;
    if (!rec) {
        memset(&empty, 0, sizeof empty);
        rec = &empty;
    }

    aw_cb_frame f;
    aw_cb_frame_push(&f, c);
    switch ((aw_cmd_kind)cmd->kind) {
    case AW_CMD_GET:
    case AW_CMD_GET_HEADER:
    case AW_CMD_OPERATE:
        cmd->cb.record(rc ? err : NULL, rc ? NULL : rec, cmd->udata);
        break;
    case AW_CMD_EXISTS:
        cmd->cb.exists(rc ? err : NULL, rc ? false : exists, cmd->udata);
        break;
    default:
        cmd->cb.status(rc ? err : NULL, cmd->udata);
        break;
    }
    aw_cb_frame_pop(&f);
    aw_record_free(rec); /* harmless when the callback moved it out */
    aw_acmd_release(cmd);
}

/* --- Retries ------------------------------------------------------------------ */

void aw_acmd_requeue(aw_acmd *cmd) {
    aw_loop *l = cmd->loop;
    cmd->ln = NULL;
    cmd->state = AW_ACMD_READY;
    aw_list_push(&l->ready, cmd);
    aw_loop_schedule(l);
}

void aw_acmd_attempt_failed(aw_acmd *cmd, int rc, const aw_error *err) {
    aw_loop *l = cmd->loop;
    if (err && err->code == rc)
        cmd->last = *err;
    else
        aw_error_set(&cmd->last, rc, NULL);
    bool metrics = l->client->metrics_on;
    if (metrics && rc == AW_ERR_TIMEOUT)
        aw_mcount(&cmd->mb->timeouts, 1);
    uint64_t now = aw_now_ms();
    bool retry = aw_cmd_retryable(rc) && cmd->attempt < cmd->pol.max_retries && !l->closing &&
                 (cmd->deadline == 0 || now < cmd->deadline);
    if (!retry) {
        aw_error e = cmd->last;
        aw_acmd_complete(cmd, rc, &e, NULL, false);
        return;
    }
    cmd->attempt++;
    atomic_fetch_add_explicit(&l->client->retries, 1, memory_order_relaxed);
    aw_log(AW_LOG_DEBUG, "async %s %s: retry %u after %s",
           cmd->hooks ? "batch" : aw_cmd_name((aw_cmd_kind)cmd->kind), cmd->key.ns, cmd->attempt,
           cmd->last.message);
    if (metrics)
        aw_mcount(&cmd->mb->retries, 1);
    cmd->seq = aw_cmd_next_seq(cmd->seq, &cmd->pol, cmd->is_write, rc);
    if (cmd->pol.sleep_between_retries_ms) {
        cmd->wake = now + cmd->pol.sleep_between_retries_ms;
        cmd->state = AW_ACMD_SLEEP;
        aw_list_push(&l->sleeping, cmd);
        uint64_t due = cmd->deadline && cmd->deadline < cmd->wake ? cmd->deadline : cmd->wake;
        aw_heap_set(l, &cmd->hn, due);
    } else {
        aw_acmd_requeue(cmd);
    }
}

void aw_acmd_on_deadline(aw_acmd *cmd, uint64_t now) {
    aw_loop *l = cmd->loop;
    if (cmd->deadline && now >= cmd->deadline) {
        aw_error e;
        if (cmd->state == AW_ACMD_SENT && cmd->conn)
            aw_node_add_error(cmd->conn->ln->node);
        if (cmd->attempt > 0 && cmd->last.code)
            aw_error_set(&e, AW_ERR_TIMEOUT, "total timeout of %u ms reached after %u attempts (last: %s)",
                         cmd->pol.total_timeout_ms, cmd->attempt + 1, cmd->last.message);
        else
            aw_error_set(&e, AW_ERR_TIMEOUT, "total timeout of %u ms reached",
                         cmd->pol.total_timeout_ms);
        aw_conn *c = cmd->state == AW_ACMD_SENT ? cmd->conn : NULL;
        if (l->client->metrics_on)
            aw_mcount(&cmd->mb->timeouts, 1);
        aw_acmd_complete(cmd, AW_ERR_TIMEOUT, &e, NULL, false);
        /* Its connection may now hold only abandoned requests whose replies
         * may never come (a stream's end cannot be found at all): have it
         * checked now, not at its stall time, so that no new command joins
         * it meanwhile and waits behind them. The callback above cannot
         * have freed it (closes wait for the loop's exit). */
        if (c && c->state == AW_CONN_READY)
            aw_heap_set(l, &c->hn, now);
        return;
    }
    if (cmd->state == AW_ACMD_SLEEP && now >= cmd->wake) {
        aw_list_remove(&l->sleeping, cmd);
        aw_acmd_requeue(cmd);
        if (cmd->deadline)
            aw_heap_push(l, &cmd->hn, cmd->deadline);
        return;
    }
    uint64_t due = cmd->deadline;
    if (cmd->state == AW_ACMD_SLEEP && (due == 0 || cmd->wake < due))
        due = cmd->wake;
    if (due)
        aw_heap_push(l, &cmd->hn, due);
}

/* --- Routing onto a connection ---------------------------------------------------- */

static aw_conn *least_loaded(aw_loop_node *ln) {
    aw_conn *best = NULL;
    for (aw_conn *c = ln->conns; c; c = c->next)
        if (aw_conn_has_room(c) && (!best || c->fifo_count < best->fifo_count))
            best = c;
    return best;
}

/* Puts cmd on a connection to n: an idle one; else a new one while under
 * the loop's limit; else (when it may pipeline) the least loaded one with
 * room; else the node's wait queue, or a failure under AW_POOL_FAIL. */
static void dispatch_to(aw_acmd *cmd, aw_node *n, bool may_pipeline) {
    aw_loop *l = cmd->loop;
    aw_error e;
    cmd->mb = n->m;
    if (aw_node_backed_off(n)) {
        aw_error_set(&e, AW_ERR_MAX_ERROR_RATE, "node %s (%s) is backed off after too many errors",
                     n->name, n->addr_str);
        aw_acmd_attempt_failed(cmd, e.code, &e);
        return;
    }
    aw_loop_node *ln = aw_loop_node_get(l, n, &e);
    if (!ln) {
        aw_acmd_attempt_failed(cmd, e.code, &e);
        return;
    }
    aw_conn *c = ln->idle;
    if (!c) {
        if (ln->n_conns < l->max_conns) {
            c = aw_conn_open(ln, &e);
            if (!c) {
                aw_log(AW_LOG_WARN, "node %s (%s): %s", n->name, n->addr_str, e.message);
                aw_node_add_error(n);
                aw_loop_kick_tend(l);
                aw_acmd_attempt_failed(cmd, e.code, &e);
                return;
            }
        } else if (may_pipeline) {
            c = least_loaded(ln);
        }
    }
    if (!c) {
        if (cmd->pol.pool == AW_POOL_FAIL) {
            aw_error_set(&e, AW_ERR_NO_MORE_CONNECTIONS, "all %u connections to %s are busy",
                         l->max_conns, n->addr_str);
            aw_acmd_attempt_failed(cmd, e.code, &e);
            return;
        }
        cmd->state = AW_ACMD_WAIT;
        cmd->ln = ln;
        aw_list_push(&ln->waitq, cmd);
        return;
    }
    if (aw_conn_push(c, cmd) != AW_OK) {
        aw_error_set(&e, AW_ERR_NOMEM, "no memory to queue the request");
        aw_acmd_complete(cmd, AW_ERR_NOMEM, &e, NULL, false);
        /* A connection opened for it alone and left empty closes when idle
         * reaping finds it. */
    }
}

/* A command with hooks: to its fixed node, on a connection of its own. */
static void dispatch_stream(aw_acmd *cmd) {
    aw_node *n = cmd->node;
    if (!n) {
        aw_acmd_complete(cmd, AW_OK, NULL, NULL, false);
        return;
    }
    if (!aw_node_is_active(n)) {
        aw_error e;
        aw_error_set(&e, AW_ERR_INVALID_NODE, "node %s (%s) has left the cluster", n->name,
                     n->addr_str);
        aw_acmd_attempt_failed(cmd, e.code, &e);
        return;
    }
    dispatch_to(cmd, n, false);
}

void aw_acmd_dispatch(aw_acmd *cmd) {
    aw_loop *l = cmd->loop;
    aw_error e;
    aw_node *n = NULL;
    if (cmd->hooks) {
        dispatch_stream(cmd);
        return;
    }
    if (!l->view || l->view->n_nodes == 0)
        /* Retryable, unlike the NAMESPACE_NOT_FOUND an empty map would give. */
        aw_error_set(&e, AW_ERR_INVALID_NODE, "no node of the cluster is reachable (seeds %s)",
                     l->client->cfg.hosts);
    else
        n = aw_cmd_route(l->view, &cmd->key, &cmd->pol, cmd->is_write, cmd->seq, &e);
    if (!n) {
        aw_acmd_attempt_failed(cmd, e.code, &e);
        return;
    }
    dispatch_to(cmd, n, true);
}

/* --- Submission ---------------------------------------------------------------- */

aw_acmd *aw_acmd_new_hooked(aw_loop *l, const aw_acmd_hooks *hooks, aw_node *node, void *udata,
                            const aw_policy *pol) {
    aw_acmd *cmd = aw_acmd_alloc(l);
    if (!cmd)
        return NULL;
    cmd->hooks = hooks;
    cmd->node = node;
    cmd->udata = udata;
    cmd->pol = *pol;
    cmd->pol.max_retries = 0;
    cmd->pol.sleep_between_retries_ms = 0;
    memset(&cmd->key, 0, sizeof cmd->key);
    cmd->kind = 0;
    cmd->is_write = false;
    cmd->n_sent = 0;
    cmd->attempt = 0;
    cmd->free_requeues = 0;
    cmd->seq = 0;
    cmd->last.code = 0;
    cmd->last.message[0] = '\0';
    cmd->deadline = 0;
    cmd->wake = 0;
    cmd->start_ns = l->client->metrics_on ? aw_loop_now_ns(l) : 0;
    l->pending++;
    return cmd;
}

static int submit(aw_loop *l, const aw_policy *policy, const aw_cmd_args *a, aw_acmd_cb cb,
                  bool has_cb, void *udata, aw_error *err) {
    if (!l)
        return aw_error_set(err, AW_ERR_PARAM, "NULL loop");
    if (!a->key)
        return aw_error_set(err, AW_ERR_PARAM, "NULL key");
    if (!has_cb)
        return aw_error_set(err, AW_ERR_PARAM, "NULL callback");
    if (a->kind == AW_CMD_OPERATE && a->n && !a->ops)
        return aw_error_set(err, AW_ERR_PARAM, "operate: %zu ops but ops is NULL", a->n);
    if (l->closing || l->client->close_pending)
        return aw_error_set(err, AW_ERR_CLIENT_CLOSING, "the event loop is closing");
    bool w = aw_cmd_is_write(a);
    const aw_policy *p = aw_client_policy(l->client, policy, w);
    int rc = aw_policy_check(p, "policy", err);
    if (rc != AW_OK)
        return rc;
    aw_acmd *cmd = aw_acmd_alloc(l);
    if (!cmd)
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for the command");
    aw_buf_reset(&cmd->req);
    rc = aw_cmd_encode(&cmd->req, a, p, err);
    if (rc != AW_OK) {
        aw_acmd_release(cmd);
        return rc;
    }
    cmd->key = *a->key;
    cmd->key.user_key = aw_value_nil(); /* borrowed: only ns and digest route */
    cmd->pol = *p;
    cmd->kind = (uint8_t)a->kind;
    cmd->is_write = w;
    cmd->n_sent = 0;
    cmd->attempt = 0;
    cmd->free_requeues = 0;
    cmd->last.code = 0;
    cmd->last.message[0] = '\0';
    cmd->seq = aw_cmd_first_seq(p, w);
    cmd->cb = cb;
    cmd->udata = udata;
    cmd->deadline = p->total_timeout_ms ? aw_now_ms() + p->total_timeout_ms : 0;
    cmd->mb = aw_cluster_unrouted(l->client->cluster);
    if (l->client->metrics_on || l->client->tracing)
        cmd->start_ns = aw_loop_now_ns(l);
    if (l->client->tracing)
        trace_begin(cmd);
    cmd->state = AW_ACMD_READY;
    aw_list_push(&l->ready, cmd);
    if (cmd->deadline)
        aw_heap_push(l, &cmd->hn, cmd->deadline);
    l->pending++;
    aw_loop_schedule(l);
    aw_error_reset(err);
    return AW_OK;
}

int aw_put_async(aw_loop *loop, const aw_policy *policy, const aw_key *key, const aw_bin *bins,
                 size_t n_bins, aw_status_cb cb, void *udata, aw_error *err) {
    aw_cmd_args a = {.kind = AW_CMD_PUT, .key = key, .bins = bins, .n = n_bins};
    return submit(loop, policy, &a, (aw_acmd_cb){.status = cb}, cb != NULL, udata, err);
}

int aw_get_async(aw_loop *loop, const aw_policy *policy, const aw_key *key,
                 const char *const *bins, size_t n_bins, aw_record_cb cb, void *udata,
                 aw_error *err) {
    aw_cmd_args a = {.kind = AW_CMD_GET, .key = key, .bin_names = bins, .n = n_bins};
    return submit(loop, policy, &a, (aw_acmd_cb){.record = cb}, cb != NULL, udata, err);
}

int aw_get_header_async(aw_loop *loop, const aw_policy *policy, const aw_key *key,
                        aw_record_cb cb, void *udata, aw_error *err) {
    aw_cmd_args a = {.kind = AW_CMD_GET_HEADER, .key = key};
    return submit(loop, policy, &a, (aw_acmd_cb){.record = cb}, cb != NULL, udata, err);
}

int aw_exists_async(aw_loop *loop, const aw_policy *policy, const aw_key *key, aw_exists_cb cb,
                    void *udata, aw_error *err) {
    aw_cmd_args a = {.kind = AW_CMD_EXISTS, .key = key};
    return submit(loop, policy, &a, (aw_acmd_cb){.exists = cb}, cb != NULL, udata, err);
}

int aw_delete_async(aw_loop *loop, const aw_policy *policy, const aw_key *key, aw_status_cb cb,
                    void *udata, aw_error *err) {
    aw_cmd_args a = {.kind = AW_CMD_DELETE, .key = key};
    return submit(loop, policy, &a, (aw_acmd_cb){.status = cb}, cb != NULL, udata, err);
}

int aw_touch_async(aw_loop *loop, const aw_policy *policy, const aw_key *key, aw_status_cb cb,
                   void *udata, aw_error *err) {
    aw_cmd_args a = {.kind = AW_CMD_TOUCH, .key = key};
    return submit(loop, policy, &a, (aw_acmd_cb){.status = cb}, cb != NULL, udata, err);
}

int aw_operate_async(aw_loop *loop, const aw_policy *policy, const aw_key *key, const aw_op *ops,
                     size_t n_ops, aw_record_cb cb, void *udata, aw_error *err) {
    aw_cmd_args a = {.kind = AW_CMD_OPERATE, .key = key, .ops = ops, .n = n_ops};
    return submit(loop, policy, &a, (aw_acmd_cb){.record = cb}, cb != NULL, udata, err);
}
