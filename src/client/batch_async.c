/*
 * The async batch engine: the same plan (batch_plan.h) driven by a loop.
 * Each node's request in flight is an async command with hooks (see
 * async_cmd.h): it goes to its node on a connection of its own, its reply
 * frames are fed to the plan as they arrive, and its end (LAST, a failure,
 * a timeout, the loop closing) comes back here exactly once, where the
 * plan decides about unanswered rows and the next requests are created.
 *
 * A "step" (a hook command with no node) gets the batch going from the
 * loop's deferred run, never inside the submit call, and wakes it up after
 * a retry pause. Every row reaches the sink exactly once, then done() runs
 * exactly once, when no command of the batch is left: with NULL, or with
 * AW_ERR_CLIENT_CLOSING when the loop or client was closed mid-batch (the
 * unanswered rows then all got AW_ERR_CLIENT_CLOSING).
 */
#include <stdio.h>
#include <string.h>

#include "batch_plan.h"
#include "conn.h"
#include "proto/mem.h"

typedef struct abatch {
    aw_bplan p;                 /* FIRST: a request's plan pointer is its batch */
    aw_loop *loop;
    void (*done)(void *ctx, const aw_error *err);
    void *done_ctx;
    uint32_t outstanding;       /* commands of this batch not yet completed */
    bool step_pending;
    bool finished;
} abatch;

static void pump(abatch *b);

/* --- Completion -------------------------------------------------------------------- */

static void maybe_done(abatch *b) {
    if (b->finished || b->outstanding || !aw_bplan_finished(&b->p))
        return;
    b->finished = true;
    aw_error e;
    const aw_error *ep = NULL;
    if (b->p.closing) {
        aw_error_set(&e, AW_ERR_CLIENT_CLOSING,
                     "the event loop was closed before the batch completed");
        ep = &e;
    }
    aw_tspan_end(&b->p.span, ep ? ep->code : AW_OK, aw_loop_now_ns(b->loop));
    aw_cb_frame f;
    aw_cb_frame_push(&f, b->loop->client);
    b->done(b->done_ctx, ep);
    aw_cb_frame_pop(&f);
    aw_bplan_free(&b->p);
    aw_free(b);
}

/* --- Commands -------------------------------------------------------------------------- */

static int req_frame(aw_acmd *cmd, const uint8_t *body, size_t len, aw_error *err) {
    aw_breq *r = cmd->udata;
    abatch *b = (abatch *)r->plan;
    aw_cb_frame f;
    aw_cb_frame_push(&f, b->loop->client);
    int rc = aw_bplan_feed(&b->p, r, body, len, err);
    aw_cb_frame_pop(&f);
    if (rc < 0)
        return rc;
    return rc == 1 ? AW_FRAME_DONE : AW_FRAME_MORE;
}

static void req_complete(aw_acmd *cmd, int rc, const aw_error *err) {
    aw_breq *r = cmd->udata;
    abatch *b = (abatch *)r->plan;
    uint64_t now = aw_now_ms();
    r->sent = cmd->n_sent > 0;
    r->tx = NULL;
    b->outstanding--;
    if (rc == AW_ERR_CLIENT_CLOSING || b->loop->closing)
        b->p.closing = true;
    if (rc == AW_OK)
        aw_bplan_done(&b->p, r, now);
    else
        aw_bplan_failed(&b->p, r, rc, err, now);
    pump(b);
}

static void step_complete(aw_acmd *cmd, int rc, const aw_error *err) {
    (void)err;
    abatch *b = cmd->udata;
    b->outstanding--;
    b->step_pending = false;
    if (rc != AW_OK || b->loop->closing)
        b->p.closing = true;
    pump(b);
}

static const aw_acmd_hooks REQ_HOOKS = {req_frame, req_complete, AW_MT_BATCH};
static const aw_acmd_hooks STEP_HOOKS = {NULL, step_complete, AW_MT_BATCH};

/* A command of this batch, fields set as submit() sets a single one's. */
static aw_acmd *new_cmd(abatch *b, const aw_acmd_hooks *hooks, aw_node *node, void *udata) {
    /* the plan retries rows, not requests */
    aw_acmd *cmd = aw_acmd_new_hooked(b->loop, hooks, node, udata, &b->p.pol.base);
    if (cmd)
        b->outstanding++;
    return cmd;
}

static void send_req(abatch *b, aw_breq *r) {
    aw_loop *l = b->loop;
    aw_acmd *cmd = new_cmd(b, &REQ_HOOKS, r->bn->node, r);
    if (!cmd) {
        aw_error e;
        aw_error_set(&e, AW_ERR_NOMEM, "no memory for a batch request");
        aw_bplan_failed(&b->p, r, AW_ERR_NOMEM, &e, aw_now_ms());
        return;
    }
    /* The encoded frame moves to the command (its old buffer comes back
     * for the next request): no copy. */
    aw_buf t = cmd->req;
    cmd->req = r->buf;
    r->buf = t;
    aw_buf_reset(&r->buf);
    r->tx = cmd;
    cmd->deadline = b->p.deadline;
    cmd->state = AW_ACMD_READY;
    aw_list_push(&l->ready, cmd);
    if (cmd->deadline)
        aw_heap_push(l, &cmd->hn, cmd->deadline);
    aw_loop_schedule(l);
}

/* A step now (wake 0) or at `wake`; false when there was no memory. */
static bool step(abatch *b, uint64_t wake) {
    aw_loop *l = b->loop;
    aw_acmd *cmd = new_cmd(b, &STEP_HOOKS, NULL, b);
    if (!cmd)
        return false;
    b->step_pending = true;
    if (wake) {
        cmd->wake = wake;
        cmd->state = AW_ACMD_SLEEP;
        aw_list_push(&l->sleeping, cmd);
        aw_heap_set(l, &cmd->hn, wake);
    } else {
        cmd->state = AW_ACMD_READY;
        aw_list_push(&l->ready, cmd);
        aw_loop_schedule(l);
    }
    return true;
}

/* --- Driving the plan ------------------------------------------------------------------ */

static void pump(abatch *b) {
    aw_bplan *p = &b->p;
    uint64_t now = aw_now_ms();
    if (p->closing) {
        aw_bplan_expire(p, AW_ERR_CLIENT_CLOSING,
                        "the event loop was closed before the batch completed");
    } else if (p->deadline && now >= p->deadline) {
        char msg[96];
        snprintf(msg, sizeof msg, "batch total timeout of %u ms reached",
                 p->pol.base.total_timeout_ms);
        aw_bplan_expire(p, AW_ERR_TIMEOUT, msg);
    } else {
        for (;;) {
            aw_bplan_fill(p, now);
            bool any = false;
            aw_breq *r;
            while ((r = aw_bplan_next(p))) {
                any = true;
                send_req(b, r);
            }
            if (!any)
                break;
        }
        if (p->n_retry && p->retry_wake > now && !b->step_pending) {
            /* Rows wait out sleep_between_retries: wake up for them. */
            uint64_t wake = p->retry_wake;
            if (p->deadline && p->deadline < wake)
                wake = p->deadline;
            if (!step(b, wake))
                aw_bplan_expire(p, AW_ERR_NOMEM, "no memory to wait for a batch retry");
        } else if (!aw_bplan_finished(p) && b->outstanding == 0) {
            /* Rows left that nothing can send: cannot happen, but never hang. */
            aw_bplan_expire(p, AW_ERR_CLIENT, "batch: rows left with no request to carry them");
        }
    }
    maybe_done(b);
}

int aw_batch_exec_async(aw_loop *loop, const aw_batch_policy *policy, const aw_batch_source *src,
                        const aw_batch_sink *sink, const char *name,
                        void (*done)(void *ctx, const aw_error *err), void *done_ctx,
                        aw_error *err) {
    if (!loop)
        return aw_error_set(err, AW_ERR_PARAM, "batch: NULL loop");
    if (!src || !sink || !done)
        return aw_error_set(err, AW_ERR_PARAM, "batch: NULL source, sink or done callback");
    if (loop->closing || loop->client->close_pending)
        return aw_error_set(err, AW_ERR_CLIENT_CLOSING, "the event loop is closing");
    abatch *b = aw_calloc(1, sizeof *b);
    if (!b)
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for the batch");
    if (src->n > 0) {
        int rc = aw_bplan_init(&b->p, loop->client, policy, src, sink, aw_now_ms(), err);
        if (rc != AW_OK) {
            aw_free(b);
            return rc;
        }
    } else {
        b->p.client = loop->client; /* nothing to do: done() at the next deferred run */
    }
    b->loop = loop;
    b->done = done;
    b->done_ctx = done_ctx;
    if (!step(b, 0)) {
        aw_bplan_free(&b->p);
        aw_free(b);
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for the batch");
    }
    aw_bplan_trace_begin(&b->p, name, true, aw_loop_now_ns(loop));
    aw_error_reset(err);
    return AW_OK;
}
