/*
 * The async engine's shared insides: the loop context (loop.c), its
 * per-node state, the deadline heap, and the small intrusive lists the
 * command (async_cmd.h) and connection (conn.h) state machines move through.
 *
 * Everything here belongs to one loop and is touched only on the thread
 * that runs it; the only shared things are the client's counters (atomics),
 * the cluster view (reference counted) and nodes (reference counted).
 */
#ifndef AW_CLIENT_LOOP_H
#define AW_CLIENT_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client_impl.h"
#include "proto/buf.h"
#include "warmup.h"

struct aw_acmd;
struct aw_conn;

/* --- Deadline heap ----------------------------------------------------------
 * One binary min-heap of deadlines per loop; one loop timer is armed for the
 * earliest. Commands (total deadline, retry wake-up) and connections (connect
 * deadline, stall check) embed an aw_heap_node as their FIRST member. */
enum { AW_HEAP_CMD = 1, AW_HEAP_CONN = 2 };
#define AW_HEAP_NONE UINT32_MAX

typedef struct aw_heap_node {
    uint64_t due;   /* aw_now_ms clock */
    uint32_t index; /* position in the heap; AW_HEAP_NONE when not in it */
    uint8_t kind;   /* AW_HEAP_CMD / AW_HEAP_CONN */
} aw_heap_node;

typedef struct aw_heap {
    aw_heap_node **items;
    uint32_t n, cap;
} aw_heap;

/* --- Command lists (ready queue, wait queues, retry sleepers, free list) ---- */
typedef struct aw_cmd_list {
    struct aw_acmd *head, *tail;
    size_t n;
} aw_cmd_list;

/* --- Per-node state of one loop ------------------------------------------- */
typedef struct aw_loop_node {
    aw_loop *loop;
    aw_node *node;            /* retained while this state exists */
    struct aw_conn *conns;    /* every connection, doubly linked */
    struct aw_conn *idle;     /* ready connections with nothing in flight (a stack) */
    uint32_t n_conns;         /* connecting + ready */
    uint32_t depth;           /* requests in flight per connection (1 = no pipelining) */
    aw_cmd_list waitq;        /* commands waiting for a connection (pool policy WAIT) */
    bool retired;             /* the node left the cluster: drain, then free */
} aw_loop_node;

/* --- The loop ----------------------------------------------------------------- */
struct aw_loop {
    aw_client *client;
    aw_loop_hooks hooks;
    aw_loop *next_in_client;  /* client->loops list (under client->loops_lock) */

    /* Routing */
    aw_cluster_view *view;    /* retained */
    uint64_t view_version;
    aw_loop_node **nodes;     /* indexed by aw_node.slot; NULL where none */
    uint32_t n_slots;

    /* Commands */
    struct aw_acmd *free_cmds; /* singly linked through qnext; request buffers kept */
    size_t n_free;
    aw_cmd_list ready;        /* to route and queue at the next deferred run */
    aw_cmd_list sleeping;     /* waiting out sleep_between_retries */
    size_t pending;           /* submitted and not yet completed */

    /* Connections with bytes to send at the next deferred run (doubly linked). */
    struct aw_conn *dirty;

    /* Time */
    aw_heap heap;
    uint32_t heap_users;      /* commands allocated + connections open: the heap's cap */
    void *timer;              /* armed for heap top */
    uint64_t timer_due;       /* when it is armed for; 0 = not armed */
    void *house;              /* housekeeping timer */
    void *defer;
    /* The next run when it was asked for from inside a run (by a callback
     * that resubmitted after an instant failure): a 0 ms timer, so that the
     * application's loop polls its sockets and timers in between. An event
     * library runs a deferred call made active from its own callback before
     * it polls again; a run that keeps rescheduling itself would starve
     * every reply (a probe's among them) and every timer. */
    void *later;
    bool defer_scheduled;
    bool in_defer;            /* inside on_defer's routing */
    uint64_t now;             /* aw_now_ms at the current event's start */
    uint64_t now_ns;          /* the same instant in ns (metrics, tracing) */
    uint64_t last_tend_kick;

    /* Re-entrancy and closing */
    int depth;                /* nesting of this loop's entry points */
    bool closing;             /* no new commands */
    bool close_requested;     /* aw_loop_close inside a callback: close at depth 0 */

    /* Configuration, copied from the client's at attach time */
    uint32_t max_conns;
    uint32_t pipeline_depth;
    uint32_t connect_timeout_ms;
    uint32_t idle_timeout_ms;
    uint32_t min_conns;       /* async_min_conns_per_node: kept open per node */
    uint32_t house_ms;
    aw_loop_warm warm;        /* aw_loop_warm_up */

    aw_buf zbuf;              /* scratch for inflating compressed replies */
    uint64_t bytes_in;        /* bytes ever read from this loop's sockets (tests) */
};

/* --- loop.c ------------------------------------------------------------------ */
void aw_heap_push(aw_loop *l, aw_heap_node *hn, uint64_t due);
void aw_heap_remove(aw_loop *l, aw_heap_node *hn);
/* Moves hn (in the heap or not) to `due`; 0 removes it. */
void aw_heap_set(aw_loop *l, aw_heap_node *hn, uint64_t due);
static inline bool aw_heap_contains(const aw_heap_node *hn) { return hn->index != AW_HEAP_NONE; }
/* Every object that may sit in the heap reserves its place when created, so
 * pushes never fail. */
bool aw_loop_heap_add_user(aw_loop *l);
void aw_loop_heap_drop_user(aw_loop *l);

void aw_list_push(aw_cmd_list *q, struct aw_acmd *c);
void aw_list_remove(aw_cmd_list *q, struct aw_acmd *c);
struct aw_acmd *aw_list_pop(aw_cmd_list *q);

void aw_loop_schedule(aw_loop *l);
/* Entry points of hook callbacks: enter, then leave as the very last thing;
 * leave returns true when the loop (or the whole client) was freed. */
/* Reads the clock once for the event starting: sets now and now_ns. */
void aw_loop_tick(aw_loop *l);
/* now_ns inside one of l's events (no clock read), else the clock. */
static inline uint64_t aw_loop_now_ns(const aw_loop *l) {
    return l->depth > 0 ? l->now_ns : aw_metrics_now_ns();
}
void aw_loop_enter(aw_loop *l);
bool aw_loop_leave(aw_loop *l);

/* Per-node state for a routed node, created on first use; NULL with err
 * (AW_ERR_NOMEM, or AW_ERR_INVALID_NODE for a node being retired). */
aw_loop_node *aw_loop_node_get(aw_loop *l, aw_node *n, aw_error *err);
/* Frees a retired node state once it has no connections left. */
void aw_loop_node_maybe_free(aw_loop_node *ln);
/* Re-reads the cluster view if it changed; retires nodes that left. */
void aw_loop_view_refresh(aw_loop *l);
/* Asks the tend thread for an early round (rate limited). */
void aw_loop_kick_tend(aw_loop *l);

/* User callbacks run between these, so aw_client_in_callback can tell. */
typedef struct aw_cb_frame {
    const aw_client *client;
    struct aw_cb_frame *prev;
} aw_cb_frame;
void aw_cb_frame_push(aw_cb_frame *f, const aw_client *c);
void aw_cb_frame_pop(aw_cb_frame *f);

#endif
