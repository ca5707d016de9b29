/*
 * One async command: its state machine, retries, and the single place it
 * completes.
 *
 *   READY  (in loop->ready: route it at the next deferred run)
 *     -> WAIT  (in its node's wait queue: no connection free, pool policy WAIT)
 *     -> SENT  (in a connection's FIFO: request queued or written, reply due)
 *     -> SLEEP (in loop->sleeping: a retry waiting out sleep_between_retries)
 *     -> DONE  (callback called; the object goes back to the free list)
 *
 * Every state but DONE is left through aw_acmd_complete or a transition
 * that unlinks the command from where it was, so the callback runs exactly
 * once: the command is always in exactly one list, FIFO slot or none.
 */
#ifndef AW_CLIENT_ASYNC_CMD_H
#define AW_CLIENT_ASYNC_CMD_H

#include "loop.h"

typedef enum aw_acmd_state {
    AW_ACMD_FREE = 0,
    AW_ACMD_READY,
    AW_ACMD_WAIT,
    AW_ACMD_SENT,
    AW_ACMD_SLEEP,
    AW_ACMD_DONE,
} aw_acmd_state;

typedef union aw_acmd_cb {
    aw_status_cb status;
    aw_record_cb record;
    aw_exists_cb exists;
} aw_acmd_cb;

struct aw_acmd;

/* Commands run on behalf of another engine (the batch engine) instead of a
 * user callback: their reply may be a stream of frames, they go to a fixed
 * node, and they complete into `complete`. Such a command takes a
 * connection with nothing else in flight and keeps it to itself until its
 * stream ends (no pipelining behind a stream of unknown length). One with
 * no node is a step, not a request: it completes with AW_OK at its first
 * dispatch (a deferred call with the loop's close semantics). */
#define AW_FRAME_MORE 0 /* frame(): wait for the next frame */
#define AW_FRAME_DONE 1 /* frame(): that was the last one */
#define AW_FRAME_PAUSE 2 /* frame(): hold this frame and stop reading (conn.h) */
typedef struct aw_acmd_hooks {
    /* One reply frame body (inflated) while the command is still in its
     * connection's FIFO: AW_FRAME_MORE, AW_FRAME_DONE, AW_FRAME_PAUSE (the
     * same frame comes again after aw_conn_resume: the hook keeps its place
     * in it), or a negative code with err when the stream is unusable (the
     * connection is closed and the attempt fails with that code). */
    int (*frame)(struct aw_acmd *cmd, const uint8_t *body, size_t len, aw_error *err);
    /* Called exactly once, by aw_acmd_complete, in place of the user
     * callback (err NULL when rc is AW_OK). */
    void (*complete)(struct aw_acmd *cmd, int rc, const aw_error *err);
    /* What a node request counts as in the metrics (a batch's, a scan's). */
    aw_metrics_type metrics_type;
} aw_acmd_hooks;

typedef struct aw_acmd {
    aw_heap_node hn;              /* FIRST: total deadline or retry wake-up */
    aw_loop *loop;
    struct aw_acmd *qnext, *qprev;
    aw_cmd_list *list;            /* the list it is in, or NULL */
    struct aw_conn *conn;         /* SENT: its connection */
    uint32_t fifo_slot;           /* SENT: its slot in conn->fifo */
    uint64_t wire_start;          /* SENT: stream offset of its first request byte */
    uint64_t queued_at;           /* SENT: when it joined the connection's pipeline */
    aw_loop_node *ln;             /* WAIT: whose wait queue */

    aw_buf req;                   /* the encoded request, resent as is on retries */
    aw_key key;                   /* namespace + digest for routing (user key dropped) */
    aw_policy pol;
    uint64_t deadline;            /* total deadline (aw_now_ms); 0 = none */
    uint64_t wake;                /* SLEEP: when to try again */
    uint32_t seq;                 /* replica sequence for aw_cmd_route */
    uint32_t attempt;             /* attempts after the first so far */
    uint8_t state;                /* aw_acmd_state */
    uint8_t kind;                 /* aw_cmd_kind */
    uint8_t free_requeues;        /* requeued without having been sent */
    bool is_write;
    bool relogged;                /* retried once after NOT_AUTHENTICATED */
    uint8_t n_sent;               /* attempts whose request (partly) left the client */
    aw_error last;                /* the last attempt's error, for the final report */
    aw_mblock *mb;                /* metrics: the block of the last node tried */
    uint64_t start_ns;            /* metrics or tracing on: submission time */
    void *span;                   /* what trace.begin returned */

    aw_acmd_cb cb;
    void *udata;
    const aw_acmd_hooks *hooks;   /* NULL for single-record commands */
    aw_node *node;                /* hooks: the target node (kept alive by the owner) */
} aw_acmd;

/* Routes a READY command and queues it on a connection (or the node's wait
 * queue); routing or connection failures go through aw_acmd_attempt_failed. */
void aw_acmd_dispatch(aw_acmd *cmd);

/* The one way out: unlinks cmd from wherever it is (heap, list, FIFO slot,
 * which is then abandoned), marks it DONE, counts it, calls the callback
 * (err NULL when rc is AW_OK), frees the record unless the callback moved
 * it, and returns the object to the free list. rec may be NULL. */
void aw_acmd_complete(aw_acmd *cmd, int rc, aw_error *err, aw_record *rec, bool exists);

/* An attempt failed on the client's side with a retryable-or-not status:
 * retries (sleeping first when the policy says so) while the policy and the
 * total deadline allow, else completes with err. cmd must already be
 * detached from its connection / wait queue. */
void aw_acmd_attempt_failed(aw_acmd *cmd, int rc, const aw_error *err);

/* Back to the ready queue without counting an attempt (request never sent). */
void aw_acmd_requeue(aw_acmd *cmd);

/* The heap fired for cmd. */
void aw_acmd_on_deadline(aw_acmd *cmd, uint64_t now);

/* A hook command for another engine (counted pending on the loop): to
 * `node` (NULL: a step), under pol without retries of its own (the engine
 * retries), no deadline yet; the caller queues it. NULL without memory. */
aw_acmd *aw_acmd_new_hooked(aw_loop *l, const aw_acmd_hooks *hooks, aw_node *node, void *udata,
                            const aw_policy *pol);

/* Free-list management (loop.c). */
aw_acmd *aw_acmd_alloc(aw_loop *l);
void aw_acmd_release(aw_acmd *cmd);

#endif
