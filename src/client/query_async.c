/*
 * The async scan/query engine (query_async.h): the rounds of the sync
 * engine (query_exec.c), driven by a loop. A round groups the cursor's
 * partitions still to ask by the node that holds them (query_plan.h's
 * rules); each node's request is a hook command with a connection of its
 * own, max_concurrent_nodes at a time; when every node of the round has
 * ended, the partitions flagged retry make the next round, as in the sync
 * engine (the same retries, max_records pages, timeouts and cursor).
 *
 * Everything that changes the run from outside a stream (the start, a
 * resume, an abort, a retry pause, the total timeout while paused) goes
 * through one "step": a hook command with no node, completed from the
 * loop's deferred run or its timer, so that nothing user-visible happens
 * inside aw_query_foreach_async, aw_query_resume or aw_query_abort. The run
 * ends (end() called, then freed) only when none of its commands is left.
 */
#include "query_async.h"

#include <stdio.h>
#include <string.h>

#include "conn.h"
#include "proto/mem.h"
#include "proto/pstatus.h"
#include "query_plan.h"
#include "trace.h"

typedef struct anode {
    aw_query_handle *run;
    aw_node *node;                  /* retained */
    aw_partition_info **parts;
    size_t n_parts, cap;
    uint64_t max;                   /* this node's share of max_records; 0 = none */
    uint64_t count;                 /* records kept this round */
    bool over_max;                  /* a record was dropped: the page is full */
    bool started, ended;
    aw_acmd *cmd;                   /* its request, until it completes */
    bool held;                      /* paused inside a frame: go on at msg_off */
    size_t msg_off;
    aw_scanq_reader reader;
} anode;

struct aw_query_handle {
    aw_loop *loop;
    aw_query_policy pol;
    const aw_query *q;
    aw_partition_status *ps;
    aw_partition_status *own;       /* the cursor made for a NULL one */
    aw_query_sink_fn sink;
    void *sink_ctx;
    aw_query_end_fn end;
    void *end_ctx;

    anode *nodes;                   /* this round's */
    size_t n_nodes, next;           /* next: the first not started */
    bool in_round;
    uint32_t round;
    uint64_t deadline;              /* 0 = none */
    uint64_t max_left;              /* records still allowed; 0 = no limit */
    uint64_t kept;                  /* records kept this round */
    bool check_max;

    aw_acmd *step;                  /* the pending step, or NULL */
    uint32_t outstanding;           /* commands (requests and step) not completed */
    bool paused, resume_due;
    bool closing;                   /* the loop or client is closing */
    bool in_pump, pump_again, finished;
    int stop;                       /* a final error, the sink's stop, an abort */
    aw_error stop_err;
    int last_rc;                    /* the last error worth a retry */
    aw_error last_err;
    uint8_t replica[AW_PARTITIONS]; /* per partition: which replica to ask */
    aw_tspan span;                  /* the public call's */
};

static void pump(aw_query_handle *r);

/* --- errors ------------------------------------------------------------------ */

static void note_error(aw_query_handle *r, int rc, const aw_error *e) {
    if (aw_query_retryable(rc)) {
        r->last_rc = rc;
        r->last_err = *e;
    } else if (!r->stop) {
        r->stop = rc;
        r->stop_err = *e;
    }
}

static void set_stop(aw_query_handle *r, int rc, const aw_error *e) {
    if (!r->stop) {
        r->stop = rc;
        r->stop_err = *e;
    }
}

/* The node's unfinished partitions are asked again next round, of their
 * next replica. */
static void node_retry(aw_query_handle *r, anode *n) {
    aw_query_retry_parts(n->parts, n->n_parts, r->replica);
}

/* --- steps ---------------------------------------------------------------------- */

static aw_acmd *new_cmd(aw_query_handle *r, const aw_acmd_hooks *hooks, aw_node *node,
                        void *udata) {
    /* rounds retry partitions, not requests */
    aw_acmd *cmd = aw_acmd_new_hooked(r->loop, hooks, node, udata, &r->pol.base);
    if (cmd)
        r->outstanding++;
    return cmd;
}

static void step_complete(aw_acmd *cmd, int rc, const aw_error *err) {
    (void)err;
    aw_query_handle *r = cmd->udata;
    r->step = NULL;
    r->outstanding--;
    if (rc == AW_ERR_CLIENT_CLOSING || r->loop->closing)
        r->closing = true;
    pump(r);
}

static const aw_acmd_hooks STEP_HOOKS = {NULL, step_complete, AW_MT_QUERY};

/* Makes the step run at `at` (0: at the loop's next deferred run), or
 * sooner if it is due sooner already. False when there was no memory. */
static bool wake(aw_query_handle *r, uint64_t at) {
    aw_loop *l = r->loop;
    aw_acmd *s = r->step;
    if (s && (s->state == AW_ACMD_READY || (at && at >= s->wake)))
        return true;
    if (s) { /* sleeping until later: move it */
        aw_list_remove(&l->sleeping, s);
        if (aw_heap_contains(&s->hn))
            aw_heap_remove(l, &s->hn);
    } else {
        s = new_cmd(r, &STEP_HOOKS, NULL, r);
        if (!s)
            return false;
        r->step = s;
    }
    if (at) {
        s->wake = at;
        s->state = AW_ACMD_SLEEP;
        aw_list_push(&l->sleeping, s);
        aw_heap_set(l, &s->hn, at);
    } else {
        s->state = AW_ACMD_READY;
        aw_list_push(&l->ready, s);
        aw_loop_schedule(l);
    }
    return true;
}

/* --- the stream's records and PARTITION_DONE messages ------------------------- */

static void pause_all(aw_query_handle *r) {
    for (size_t i = 0; i < r->n_nodes; i++) {
        aw_acmd *cmd = r->nodes[i].cmd;
        if (cmd && cmd->state == AW_ACMD_SENT && cmd->conn)
            aw_conn_pause(cmd->conn);
    }
}

static int on_record(void *ctx, const aw_msg_view *m, const aw_scanq_meta *meta) {
    anode *n = ctx;
    aw_query_handle *r = n->run;
    if (r->check_max && r->kept >= r->max_left) {
        n->over_max = true; /* the next page brings it */
        return 0;
    }
    int rc = aw_query_take_record(r->ps, r->sink, r->sink_ctx, m, meta, &n->count, &r->kept,
                                  &r->span);
    if (rc == AW_QUERY_SINK_PAUSE) {
        r->paused = true;
        pause_all(r);
    } else if (rc != 0 && rc != AW_ERR_PROTO) {
        /* The sink's stop (a record it cannot decode fails the node instead,
         * as in the sync engine). */
        aw_error e;
        aw_error_set(&e, rc, "%s", rc == AW_ERR_CLIENT_ABORT
                                       ? "the callback stopped the scan/query"
                                       : aw_strerror(rc));
        set_stop(r, rc, &e);
    }
    if (rc == 0 && (r->loop->closing || r->loop->client->close_pending))
        r->closing = true; /* the loop (or client) closes once the callback returns */
    if (rc == 0 && (r->stop || r->closing)) /* aw_query_abort or a close from the callback */
        rc = r->stop ? r->stop : AW_ERR_CLIENT_CLOSING;
    return rc;
}

static int on_partition_done(void *ctx, uint32_t pid, int result) {
    anode *n = ctx;
    aw_query_handle *r = n->run;
    aw_query_part_unavailable(r->ps, r->replica, pid);
    aw_error e;
    aw_error_set(&e, result, "node %s: partition %u unavailable (%s)", n->node->addr_str, pid,
                 aw_strerror(result));
    note_error(r, result == AW_OK ? AW_ERR_CLUSTER : result, &e);
    return 0;
}

/* One frame of a node's reply (the hook): fed from where a pause left it. */
static int node_frame(aw_acmd *cmd, const uint8_t *body, size_t len, aw_error *err) {
    anode *n = cmd->udata;
    aw_query_handle *r = n->run;
    size_t off = n->held ? n->msg_off : 0;
    if (r->paused || r->stop || r->closing) {
        n->held = true; /* no record once paused or stopped */
        n->msg_off = off;
        return AW_FRAME_PAUSE;
    }
    n->held = false;
    aw_scanq_sink sink = {n, on_record, on_partition_done};
    aw_cb_frame f;
    aw_cb_frame_push(&f, r->loop->client);
    int rc = aw_scanq_reader_feed_at(&n->reader, body, len, &off, &sink, err);
    aw_cb_frame_pop(&f);
    if (rc == AW_OK)
        return n->reader.done ? AW_FRAME_DONE : AW_FRAME_MORE;
    if (rc == AW_QUERY_SINK_PAUSE || r->stop || r->closing) {
        if (r->stop || r->closing)
            pause_all(r); /* read no more until every stream is stopped */
        if (r->stop && !r->closing)
            wake(r, 0); /* the step stops them (a closing loop does itself) */
        if (off == len)
            return AW_FRAME_MORE; /* the frame is all taken; the connection is paused */
        n->held = true;
        n->msg_off = off;
        return AW_FRAME_PAUSE;
    }
    if (err->code != rc) /* the sink's own code */
        aw_error_set(err, rc, "%s", aw_strerror(rc));
    return rc;
}

/* --- a node's end ------------------------------------------------------------------ */

static void node_complete(aw_acmd *cmd, int rc, const aw_error *err) {
    anode *n = cmd->udata;
    aw_query_handle *r = n->run;
    n->cmd = NULL;
    n->ended = true;
    n->held = false;
    r->outstanding--;
    aw_error e;
    if (rc == AW_ERR_CLIENT_CLOSING || r->loop->closing) {
        r->closing = true;
    } else if (rc == AW_OK) {
        int result = n->reader.result;
        if (result == AW_OK) {
            bool complete = !n->over_max && !(n->max && n->count >= n->max);
            aw_pstatus_node_end(n->parts, n->n_parts, complete);
        } else {
            node_retry(r, n);
            aw_error_set(&e, result, "node %s: %s", n->node->addr_str, aw_strerror(result));
            note_error(r, result, &e);
        }
    } else if (r->stop) {
        /* stopped: the cursor keeps what was delivered */
    } else if (rc == AW_ERR_TIMEOUT && r->deadline && aw_now_ms() >= r->deadline) {
        aw_error_set(&e, AW_ERR_TIMEOUT, "scan/query total timeout of %u ms reached",
                     r->pol.base.total_timeout_ms);
        set_stop(r, AW_ERR_TIMEOUT, &e);
    } else {
        node_retry(r, n);
        aw_error_set(&e, rc, "node %s: %s", n->node->addr_str, err ? err->message : "");
        note_error(r, rc, &e);
    }
    pump(r);
}

static const aw_acmd_hooks NODE_HOOKS = {node_frame, node_complete, AW_MT_QUERY};

/* Encodes the node's request and queues it. */
static void node_start(aw_query_handle *r, anode *n) {
    const aw_query_policy *pol = &r->pol;
    aw_loop *l = r->loop;
    aw_error e;
    n->started = true;
    aw_scanq_reader_init(&n->reader);
    aw_acmd *cmd = new_cmd(r, &NODE_HOOKS, n->node, n);
    if (!cmd) {
        n->ended = true;
        aw_error_set(&e, AW_ERR_NOMEM, "no memory for a scan/query request");
        set_stop(r, AW_ERR_NOMEM, &e);
        return;
    }
    aw_buf_reset(&cmd->req);
    n->cmd = cmd;
    aw_tspan_request(&r->span, n->node->name);
    cmd->deadline = r->deadline;
    cmd->state = AW_ACMD_READY;
    aw_list_push(&l->ready, cmd);
    if (cmd->deadline)
        aw_heap_push(l, &cmd->hn, cmd->deadline);
    aw_loop_schedule(l);
    int rc = aw_query_encode_node(&cmd->req, pol, r->q, n->parts, n->n_parts, n->max, &e);
    if (rc != AW_OK) { /* checked at the start: cannot happen but for memory */
        set_stop(r, rc, &e);
        aw_acmd_complete(cmd, rc, &e, NULL, false);
    }
}

/* --- rounds ---------------------------------------------------------------------- */

static void free_nodes(aw_query_handle *r) {
    for (size_t i = 0; i < r->n_nodes; i++) {
        aw_node_release(r->nodes[i].node);
        aw_free(r->nodes[i].parts);
    }
    aw_free(r->nodes);
    r->nodes = NULL;
    r->n_nodes = r->next = 0;
}

static anode *node_slot(aw_query_handle *r, aw_node *node) {
    for (size_t i = 0; i < r->n_nodes; i++)
        if (r->nodes[i].node == node)
            return &r->nodes[i];
    anode *n = &r->nodes[r->n_nodes++];
    memset(n, 0, sizeof *n);
    n->run = r;
    n->node = node;
    aw_node_retain(node);
    return n;
}

static int group_add(void *ctx, aw_node *node, aw_partition_info *p, aw_error *err) {
    anode *n = node_slot(ctx, node);
    return aw_query_group_add(&n->parts, &n->n_parts, &n->cap, p, err);
}

static void group_orphan(void *ctx, const aw_error *e) {
    note_error(ctx, AW_ERR_INVALID_NODE, e);
}

/* Groups the partitions to ask by node, as query_exec.c's assign: every
 * partition not done in the first round, else those flagged retry. */
static int assign(aw_query_handle *r, aw_error *err) {
    aw_loop *l = r->loop;
    aw_loop_view_refresh(l);
    aw_cluster_view *v = l->view;
    const aw_partition_table *t = v ? aw_view_table(v, r->q->ns) : NULL;
    if (!t)
        return aw_error_set(err, AW_ERR_NAMESPACE_NOT_FOUND, "namespace '%s' is not served",
                            r->q->ns);
    r->nodes = aw_calloc(v->n_nodes ? v->n_nodes : 1, sizeof *r->nodes);
    if (!r->nodes)
        return aw_error_set(err, AW_ERR_NOMEM, "out of memory for the scan's nodes");
    int rc = aw_query_group(t, r->ps, r->replica, r->round == 0, group_add, group_orphan, r, err);
    if (rc != AW_OK)
        return rc;
    r->check_max = false;
    for (size_t i = 0; i < r->n_nodes && r->max_left; i++)
        r->nodes[i].max = aw_query_share(r->max_left, r->n_nodes, i, &r->check_max);
    return AW_OK;
}

/* The round is over: the next one (now or after the retry pause), or the
 * end (*rc, e). False when the run goes on. */
static bool round_over(aw_query_handle *r, int *rc, aw_error *e) {
    free_nodes(r);
    r->in_round = false;
    *rc = AW_OK;
    if (r->stop) {
        *rc = r->stop;
        *e = r->stop_err;
        return true;
    }
    const aw_query_policy *pol = &r->pol;
    *rc = aw_query_round_end(pol, r->ps, r->round, r->deadline, r->kept, &r->max_left, r->last_rc,
                             &r->last_err, e);
    if (*rc != AW_QUERY_AGAIN)
        return true;
    *rc = AW_OK;
    uint64_t now = aw_now_ms();
    r->round++;
    atomic_fetch_add_explicit(&r->loop->client->retries, 1, memory_order_relaxed);
    if (pol->base.sleep_between_retries_ms &&
        !wake(r, now + pol->base.sleep_between_retries_ms)) {
        *rc = aw_error_set(e, AW_ERR_NOMEM, "no memory to wait for a scan/query retry");
        return true;
    }
    return false;
}

/* Cancels every request still out: each completes (with the stop's code,
 * or CLIENT_CLOSING), and a connection that carried part of a stream is
 * closed, never pooled. */
static void cancel_all(aw_query_handle *r) {
    int code = r->closing ? AW_ERR_CLIENT_CLOSING : r->stop;
    aw_error e;
    if (r->closing)
        aw_error_set(&e, code, "the event loop was closed before the scan/query completed");
    else
        e = r->stop_err;
    for (size_t i = 0; i < r->n_nodes; i++) {
        aw_acmd *cmd = r->nodes[i].cmd;
        if (!cmd)
            continue;
        aw_conn *c = cmd->state == AW_ACMD_SENT ? cmd->conn : NULL;
        aw_error ce = e;
        aw_acmd_complete(cmd, code, &ce, NULL, false);
        if (c && !r->closing) /* closing: the loop closes every connection */
            aw_conn_fail(c, code, "the scan/query stopped mid-stream");
    }
    r->next = r->n_nodes; /* start nothing more */
}

static void finish(aw_query_handle *r, int rc, const aw_error *e) {
    r->finished = true;
    aw_tspan_end(&r->span, rc, aw_loop_now_ns(r->loop));
    aw_cb_frame f;
    aw_cb_frame_push(&f, r->loop->client);
    r->end(r->end_ctx, rc == AW_OK ? NULL : e);
    aw_cb_frame_pop(&f);
}

static void run_free(aw_query_handle *r) {
    free_nodes(r);
    aw_partition_status_free(r->own);
    aw_free(r);
}

/* Resumes every paused connection (frames already read first); stops as
 * soon as a callback pauses or stops the run again. */
static void resume_streams(aw_query_handle *r) {
    r->resume_due = false;
    for (size_t i = 0; i < r->n_nodes && !r->paused && !r->stop && !r->closing; i++) {
        aw_acmd *cmd = r->nodes[i].cmd;
        if (cmd && cmd->state == AW_ACMD_SENT && cmd->conn)
            aw_conn_resume(cmd->conn);
    }
}

static void pump_once(aw_query_handle *r) {
    aw_error e;
    int rc;
    if (r->closing || r->stop) {
        cancel_all(r);
        if (r->step) { /* a pending step would only keep the run alive */
            aw_error ce;
            aw_error_set(&ce, AW_ERR_CLIENT_ABORT, "step cancelled");
            aw_acmd_complete(r->step, AW_ERR_CLIENT_ABORT, &ce, NULL, false);
        }
        if (r->outstanding == 0) {
            if (r->closing)
                aw_error_set(&e, AW_ERR_CLIENT_CLOSING,
                             "the event loop was closed before the scan/query completed");
            else
                e = r->stop_err;
            finish(r, r->closing ? AW_ERR_CLIENT_CLOSING : r->stop, &e);
        }
        return;
    }
    uint64_t now = aw_now_ms();
    if (r->deadline && now >= r->deadline) {
        aw_error_set(&e, AW_ERR_TIMEOUT, "scan/query total timeout of %u ms reached",
                     r->pol.base.total_timeout_ms);
        set_stop(r, AW_ERR_TIMEOUT, &e);
        r->pump_again = true;
        return;
    }
    if (r->paused) {
        /* Nothing starts while paused; only the total timeout may end it. */
        if (r->deadline)
            (void)wake(r, r->deadline); /* no memory: the nodes' own deadlines still end it */
        return;
    }
    if (r->resume_due) {
        resume_streams(r);
        r->pump_again = true;
        return;
    }
    if (r->step)
        return; /* a retry pause, or a step due anyway: it pumps */
    if (!r->in_round) {
        r->kept = 0;
        r->in_round = true;
        if (r->span.on)
            r->span.info.attempts = r->round + 1;
        if ((rc = assign(r, &e)) != AW_OK) {
            set_stop(r, rc, &e);
            r->pump_again = true;
            return;
        }
    }
    uint32_t limit = r->pol.max_concurrent_nodes;
    size_t running = 0;
    for (size_t i = 0; i < r->n_nodes; i++)
        running += r->nodes[i].started && !r->nodes[i].ended;
    while (!r->stop && r->next < r->n_nodes && (limit == 0 || running < limit)) {
        node_start(r, &r->nodes[r->next++]);
        running++;
    }
    if (r->stop) {
        r->pump_again = true;
        return;
    }
    if (r->next < r->n_nodes || r->outstanding > 0)
        return;
    if (round_over(r, &rc, &e))
        finish(r, rc, &e);
    else
        r->pump_again = true;
}

/* Moves the run on; every hook and step ends here. Re-entered from a
 * callback below, it only asks the outer call for another pass. */
static void pump(aw_query_handle *r) {
    if (r->in_pump) {
        r->pump_again = true;
        return;
    }
    r->in_pump = true;
    do {
        r->pump_again = false;
        pump_once(r);
    } while (r->pump_again && !r->finished);
    r->in_pump = false;
    if (r->finished)
        run_free(r);
}

/* --- public-facing ------------------------------------------------------------------ */

int aw_query_exec_async(aw_loop *loop, const aw_query_policy *policy, const aw_query *q,
                        aw_partition_status *cursor, aw_query_sink_fn sink, void *sink_ctx,
                        aw_query_end_fn end, void *end_ctx, aw_query_handle **out,
                        const char *name, aw_error *err) {
    if (!loop || !q || !sink || !end)
        return aw_error_set(err, AW_ERR_PARAM, "async scan/query: NULL %s",
                            !loop ? "loop" : !q ? "query" : !sink ? "callback" : "done callback");
    if (loop->closing || loop->client->close_pending)
        return aw_error_set(err, AW_ERR_CLIENT_CLOSING, "the event loop is closing");
    aw_query_policy def = aw_query_policy_default();
    const aw_query_policy *pol = policy ? policy : &def;
    int rc = aw_query_check(pol, q, err);
    if (rc != AW_OK)
        return rc;
    aw_query_handle *r = aw_calloc(1, sizeof *r);
    if (!r)
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for the scan/query");
    if (!cursor) {
        aw_partition_filter all = aw_partition_filter_all();
        if ((rc = aw_partition_status_new(&all, &r->own, err)) != AW_OK) {
            aw_free(r);
            return rc;
        }
        cursor = r->own;
    }
    r->loop = loop;
    r->pol = *pol;
    r->q = q;
    r->ps = cursor;
    r->sink = sink;
    r->sink_ctx = sink_ctx;
    r->end = end;
    r->end_ctx = end_ctx;
    r->max_left = pol->max_records;
    if (pol->base.total_timeout_ms)
        r->deadline = aw_now_ms() + pol->base.total_timeout_ms;
    if (!wake(r, 0)) {
        run_free(r);
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for the scan/query");
    }
    aw_tspan_begin(&r->span, loop->client, AW_MT_QUERY, name, q->ns, q->set, true, 0,
                   aw_loop_now_ns(loop));
    if (out)
        *out = r;
    aw_error_reset(err);
    return AW_OK;
}

void aw_query_resume(aw_query_handle *h) {
    if (!h || !h->paused || h->finished)
        return;
    h->paused = false;
    h->resume_due = true;
    (void)wake(h, 0);
}

void aw_query_abort(aw_query_handle *h) {
    if (!h || h->finished || h->stop || h->closing)
        return;
    aw_error e;
    aw_error_set(&e, AW_ERR_CLIENT_ABORT, "the scan/query was aborted");
    set_stop(h, AW_ERR_CLIENT_ABORT, &e);
    (void)wake(h, 0);
}

bool aw_query_paused(const aw_query_handle *h) { return h && h->paused; }
