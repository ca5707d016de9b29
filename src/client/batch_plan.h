/*
 * The batch engine's transport-free core, shared by the sync engine
 * (batch_exec.c) and the async one (batch_async.c): which rows go to which
 * node in which request, the encoding of those requests, checking and
 * handing out each reply row, and what happens to the rows of a request
 * that failed (retry through the current view, or report).
 *
 * Memory: one state byte per row (below) and, per node, at most two
 * requests alive at once: the one in flight and the one being filled. A
 * request holds at most max_rows_per_request rows (and about
 * AW_BREQ_BYTES_CAP bytes), so nothing but the state bytes grows with n.
 *
 *   row state      meaning
 *   0              fresh: not routed yet (only rows at or after `cursor`)
 *   1..191         in request slot s (being filled, or in flight)
 *   0xC0 + a       waiting for retry attempt a (1..62), or (a = 0 or any
 *                  a) for a node to hold the row's partition
 *   0xFF           done: the sink has had it
 *
 * Rows are routed once when they are placed in a request: the fresh ones in
 * index order from `cursor`, the retries from the range [rlo, rhi] of rows
 * waiting for one. Placing stops ("blocked") at a row whose node already
 * has a request in flight and a full one waiting; the transport then sends
 * what it can, and placing resumes when a node's request completes.
 *
 * Retries: a request that fails on the client's side (connect, send,
 * timeout, closed socket, garbage) sends its unanswered rows back to wait
 * for attempt a + 1, where a is the highest attempt among the request's
 * rows, unless the policy's retries or the total deadline are used up, the
 * status is not retryable, or the row writes and its request may have
 * reached the server (then it is reported, in doubt). Reads move to the
 * next replica on each attempt (SEQUENCE), writes go where aw_cmd_route
 * sends them for that attempt.
 *
 * Rows whose partition no node holds in the current map (a node just left
 * and the tend has not yet learnt its heir) wait for the map: they join
 * the retry range without spending an attempt and are routed again every
 * AW_BATCH_MAP_WAIT_MS until a node holds them or the total deadline
 * passes (then they end with INVALID_NODE, not with the timeout). Without
 * a total timeout they fail at once, as do rows that
 * cannot be routed at all (unknown namespace) or encoded (the source's
 * row() fails, a bin name is too long...): those are reported and never
 * sent.
 */
#ifndef AW_CLIENT_BATCH_PLAN_H
#define AW_CLIENT_BATCH_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "batch_exec.h"
#include "client_impl.h"
#include "trace.h"

#define AW_BST_FRESH 0x00u
#define AW_BST_SLOT_MAX 0xBFu
#define AW_BST_RETRY 0xC0u
#define AW_BST_DONE 0xFFu
#define AW_BATCH_MAX_ATTEMPT 62u /* retries beyond this many are not made */
#define AW_BATCH_MAP_WAIT_MS 10u /* how often rows without a node are routed again */

/* A request stops taking rows once its encoding passes this many bytes. */
#define AW_BREQ_BYTES_CAP (4u << 20)

struct aw_bnode;

typedef struct aw_breq {
    uint8_t slot;               /* 1..AW_BST_SLOT_MAX: the state byte of its rows */
    uint8_t attempt;            /* highest attempt among its rows (0 = first) */
    bool closed;                /* encoding finished (aw_batch_end), sendable */
    bool sent;                  /* some of its bytes may have reached the server */
    struct aw_bnode *bn;
    struct aw_bplan *plan;
    uint32_t n_rows, n_answered;
    size_t lo, hi;              /* smallest and largest row index in it */
    aw_buf buf;                 /* the encoded request frame */
    aw_batch_writer w;
    aw_batch_reader rd;
    struct aw_breq *next_free;

    /* Transport state (sync: the connection; async: the command). */
    aw_sock sock;
    size_t out_off;
    uint64_t progress;          /* last time bytes came (aw_now_ms) */
    uint64_t start_ns;          /* metrics: when this attempt began */
    aw_buf in;                  /* sync read buffer; in_off of it parsed */
    size_t in_off;
    void *tx;
} aw_breq;

typedef struct aw_bnode {
    aw_node *node;              /* retained */
    aw_breq *filling;           /* taking rows (not closed) */
    aw_breq *inflight;          /* closed and handed to the transport */
    struct aw_bnode *next;      /* every node state of the batch */
} aw_bnode;

/* Names of a key whose namespace and set were checked (aw_bplan). */
typedef struct aw_bplan_names {
    const aw_partition_table *table; /* the namespace's, in the plan's view */
    uint32_t tag;                    /* new for each names kept: the writers' names_tag */
    size_t ns_len, set_len;
    char ns[AW_NAMESPACE_MAX + 1];
    char set[AW_SET_MAX + 1];
} aw_bplan_names;

typedef struct aw_bplan {
    aw_client *client;
    aw_batch_policy pol;
    const aw_batch_source *src;
    const aw_batch_sink *sink;
    size_t n;
    uint8_t *st;                /* n state bytes */
    size_t n_done;
    size_t cursor;              /* next fresh row */
    size_t rlo, rhi;            /* rows waiting for a retry lie in [rlo, rhi] */
    size_t n_retry;
    uint64_t retry_wake;        /* retries are placed from this time on (0 = at once) */
    size_t wlo, whi, n_wait;    /* rows sent to wait for the map during one fill */
    uint64_t deadline;          /* total deadline (aw_now_ms); 0 = none */
    uint32_t max_attempt;
    uint32_t base_seq;          /* replica rotor start for reads (ANY) */
    uint32_t max_rows;
    aw_batch_opts bopts;
    bool closing;               /* no more retries (loop or client closing) */
    aw_tspan span;              /* the call's, begun by the engine after init */

    aw_cluster_view *view;      /* retained */
    /* The names of the last key placed, checked, and its namespace's table
     * in view: a batch's keys share their names, and comparing against
     * these costs less than checking them and finding the table again.
     * table NULL: nothing kept (none yet, or the view changed). */
    aw_bplan_names last_names;
    aw_bnode **by_slot;         /* indexed by aw_node.slot */
    uint32_t n_by_slot;
    aw_bnode *nodes;
    aw_breq *slots[AW_BST_SLOT_MAX + 1]; /* live requests by slot (0 unused) */
    aw_breq *free_reqs;
    uint32_t n_live;
} aw_bplan;

/* Frees the requests the client keeps between batches (aw_client_destroy). */
void aw_bplan_spares_free(aw_client *c);

/* Checks the policy and sources, allocates the state bytes. On error nothing
 * is left to free. */
int aw_bplan_init(aw_bplan *p, aw_client *c, const aw_batch_policy *pol,
                  const aw_batch_source *src, const aw_batch_sink *sink, uint64_t now,
                  aw_error *err);
void aw_bplan_free(aw_bplan *p);

/* Begins the plan's span (after a successful init): command `name`, the
 * first row's namespace and set, n keys. now_ns as aw_tspan_begin's. */
void aw_bplan_trace_begin(aw_bplan *p, const char *name, bool async, uint64_t now_ns);

/* Places rows into per-node requests until every row is placed or placing
 * is blocked. Rows that cannot be routed or encoded go to the sink. */
void aw_bplan_fill(aw_bplan *p, uint64_t now);

/* The next request to send: a node with nothing in flight and a non-empty
 * request being filled gets it closed and in flight. NULL when none. A
 * request whose encoding cannot be finished has its rows reported and is
 * skipped. */
aw_breq *aw_bplan_next(aw_bplan *p);

/* Feeds one reply frame body (type 3, inflated) of r's stream. Returns 0
 * for "more to come", 1 when the LAST message arrived, or a negative code
 * with err (AW_ERR_PROTO: malformed, a row not in this request or answered
 * twice, bytes after LAST). */
int aw_bplan_feed(aw_bplan *p, aw_breq *r, const uint8_t *body, size_t len, aw_error *err);

/* r's stream ended with LAST: rows left unanswered get LAST's code, or (code
 * 0) go through aw_bplan_failed as AW_ERR_PROTO. r is released. */
void aw_bplan_done(aw_bplan *p, aw_breq *r, uint64_t now);

/* r failed on the client's side with rc/err: its unanswered rows are retried
 * or reported (see the top). r is released. */
void aw_bplan_failed(aw_bplan *p, aw_breq *r, int rc, const aw_error *err, uint64_t now);

/* Reports every row that is not in a request in flight with rc (total
 * timeout, closing), and releases the requests being filled. */
void aw_bplan_expire(aw_bplan *p, int rc, const char *msg);

static inline bool aw_bplan_finished(const aw_bplan *p) { return p->n_done == p->n; }
/* Rows still to be placed (fresh, or waiting for a retry). */
static inline bool aw_bplan_has_unplaced(const aw_bplan *p) {
    return p->cursor < p->n || p->n_retry > 0;
}

#ifdef AW_TEST_HOOKS
/* Only in the copy of this object the Makefile compiles for test_batch (the
 * shipped library has no hook): when set, called with every request frame
 * as it is closed. */
extern void (*aw_bplan_trace)(void *ctx, const uint8_t *frame, size_t len);
extern void *aw_bplan_trace_ctx;
#endif

#endif
