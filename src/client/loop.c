/*
 * The loop context: attach/close, per-node state, the command free list, the
 * deadline heap behind one loop timer, the deferred run that routes queued
 * commands and flushes every connection with one send(), and housekeeping.
 *
 * Re-entrancy: every hook callback (io, timer, defer) enters the loop and
 * leaves it as its very last act. User callbacks run only inside those (or
 * inside aw_loop_close / aw_client_close_loops), so a close asked for from a
 * callback is recorded and carried out when the outermost entry leaves,
 * after which nothing touches the loop again.
 */
#include <stdint.h>
#include <string.h>

#include "conn.h"
#include "proto/mem.h"

/* --- Which clients' callbacks this thread is inside -------------------------- */

static _Thread_local aw_cb_frame *tl_frames;
/* The client whose loops aw_client_close_loops is closing on this thread:
 * a close requested from those callbacks is already under way. */
static _Thread_local const aw_client *tl_closing_client;

void aw_cb_frame_push(aw_cb_frame *f, const aw_client *c) {
    f->client = c;
    f->prev = tl_frames;
    tl_frames = f;
}

void aw_cb_frame_pop(aw_cb_frame *f) { tl_frames = f->prev; }

bool aw_client_in_callback(const aw_client *c) {
    for (const aw_cb_frame *f = tl_frames; f; f = f->prev)
        if (f->client == c)
            return true;
    return false;
}

/* --- Command lists ------------------------------------------------------------ */

void aw_list_push(aw_cmd_list *q, aw_acmd *c) {
    c->qnext = NULL;
    c->qprev = q->tail;
    if (q->tail)
        q->tail->qnext = c;
    else
        q->head = c;
    q->tail = c;
    q->n++;
    c->list = q;
}

void aw_list_remove(aw_cmd_list *q, aw_acmd *c) {
    if (c->qprev)
        c->qprev->qnext = c->qnext;
    else
        q->head = c->qnext;
    if (c->qnext)
        c->qnext->qprev = c->qprev;
    else
        q->tail = c->qprev;
    q->n--;
    c->qnext = c->qprev = NULL;
    c->list = NULL;
}

aw_acmd *aw_list_pop(aw_cmd_list *q) {
    aw_acmd *c = q->head;
    if (c)
        aw_list_remove(q, c);
    return c;
}

/* --- Deadline heap ------------------------------------------------------------ */

/* Room for every object that can be in the heap at once (commands allocated
 * plus connections open), reserved when they are created so that pushes
 * never fail. */
static bool heap_reserve(aw_loop *l, uint32_t n) {
    if (n <= l->heap.cap)
        return true;
    uint32_t cap = l->heap.cap ? l->heap.cap * 2 : 64;
    if (cap < n)
        cap = n;
    aw_heap_node **p = aw_realloc(l->heap.items, (size_t)cap * sizeof *p);
    if (!p)
        return false;
    l->heap.items = p;
    l->heap.cap = cap;
    return true;
}

bool aw_loop_heap_add_user(aw_loop *l) {
    if (!heap_reserve(l, l->heap_users + 1))
        return false;
    l->heap_users++;
    return true;
}

void aw_loop_heap_drop_user(aw_loop *l) { l->heap_users--; }

static inline void heap_place(aw_heap *h, uint32_t i, aw_heap_node *n) {
    h->items[i] = n;
    n->index = i;
}

static void sift_up(aw_heap *h, uint32_t i) {
    aw_heap_node *n = h->items[i];
    while (i > 0) {
        uint32_t p = (i - 1) / 2;
        if (h->items[p]->due <= n->due)
            break;
        heap_place(h, i, h->items[p]);
        i = p;
    }
    heap_place(h, i, n);
}

static void sift_down(aw_heap *h, uint32_t i) {
    aw_heap_node *n = h->items[i];
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->items[c + 1]->due < h->items[c]->due)
            c++;
        if (h->items[c]->due >= n->due)
            break;
        heap_place(h, i, h->items[c]);
        i = c;
    }
    heap_place(h, i, n);
}

/* Arms the loop timer when the heap's earliest deadline is earlier than the
 * one it is armed for. A timer that fires with nothing due re-arms itself. */
static void timer_arm(aw_loop *l) {
    if (l->heap.n == 0)
        return;
    uint64_t due = l->heap.items[0]->due;
    if (l->timer_due && l->timer_due <= due)
        return;
    uint64_t now = aw_now_ms();
    uint64_t ms = due > now ? due - now : 0;
    l->hooks.timer_start(l->timer, ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms);
    l->timer_due = due ? due : 1;
}

void aw_heap_push(aw_loop *l, aw_heap_node *hn, uint64_t due) {
    aw_heap *h = &l->heap;
    hn->due = due;
    heap_place(h, h->n++, hn);
    sift_up(h, hn->index);
    if (hn->index == 0)
        timer_arm(l);
}

void aw_heap_remove(aw_loop *l, aw_heap_node *hn) {
    aw_heap *h = &l->heap;
    uint32_t i = hn->index;
    if (i == AW_HEAP_NONE)
        return;
    aw_heap_node *last = h->items[--h->n];
    hn->index = AW_HEAP_NONE;
    if (last != hn) {
        heap_place(h, i, last);
        sift_up(h, i);
        sift_down(h, last->index);
    }
    /* The timer may now fire early: it then finds nothing due and re-arms. */
}

void aw_heap_set(aw_loop *l, aw_heap_node *hn, uint64_t due) {
    if (due == 0) {
        aw_heap_remove(l, hn);
        return;
    }
    if (hn->index == AW_HEAP_NONE) {
        aw_heap_push(l, hn, due);
        return;
    }
    uint64_t old = hn->due;
    hn->due = due;
    if (due < old)
        sift_up(&l->heap, hn->index);
    else
        sift_down(&l->heap, hn->index);
    if (hn->index == 0)
        timer_arm(l);
}

static void on_timer(void *arg) {
    aw_loop *l = arg;
    aw_loop_enter(l);
    l->timer_due = 0;
    aw_loop_tick(l);
    uint64_t now = l->now;
    while (l->heap.n && l->heap.items[0]->due <= now) {
        aw_heap_node *hn = l->heap.items[0];
        aw_heap_remove(l, hn);
        /* Handlers re-insert only with deadlines after now. */
        if (hn->kind == AW_HEAP_CMD)
            aw_acmd_on_deadline((aw_acmd *)hn, now);
        else
            aw_conn_on_deadline((aw_conn *)hn, now);
    }
    timer_arm(l);
    aw_loop_leave(l);
}

/* --- Entering and leaving ------------------------------------------------------ */

static void loop_destroy(aw_loop *l);

static void finish_client_close(aw_client *c) {
    aw_client_close_loops(c);
    aw_client_destroy(c);
}

static bool client_close_due(const aw_client *c) {
    return c->close_pending && tl_closing_client != c && !aw_client_in_callback(c);
}

void aw_loop_enter(aw_loop *l) { l->depth++; }

void aw_loop_tick(aw_loop *l) {
    l->now_ns = aw_metrics_now_ns();
    l->now = l->now_ns / 1000000u;
}

bool aw_loop_leave(aw_loop *l) {
    if (--l->depth > 0)
        return false;
    aw_client *c = l->client;
    if (client_close_due(c)) {
        finish_client_close(c);
        return true;
    }
    if (l->close_requested) {
        loop_destroy(l);
        return true;
    }
    return false;
}

/* --- The deferred run: route what was queued, then one send() per connection -- */

void aw_loop_schedule(aw_loop *l) {
    if (l->defer_scheduled)
        return;
    l->defer_scheduled = true;
    if (l->in_defer)
        l->hooks.timer_start(l->later, 0);
    else
        l->hooks.defer_schedule(l->defer);
}

static void on_defer(void *arg) {
    aw_loop *l = arg;
    aw_loop_enter(l);
    l->defer_scheduled = false;
    l->in_defer = true;
    aw_loop_tick(l);
    if (!l->closing) {
        aw_loop_view_refresh(l);
        /* Only what was queued before this run: commands submitted by the
         * callbacks below wait for the next one. */
        size_t n = l->ready.n;
        aw_acmd *cmd;
        while (n-- > 0 && !l->closing && (cmd = aw_list_pop(&l->ready)))
            aw_acmd_dispatch(cmd);
        aw_warm_poll(l);
    }
    aw_conn *c;
    while ((c = l->dirty))
        aw_conn_flush(c);
    l->in_defer = false;
    aw_loop_leave(l);
}

/* --- Per-node state ------------------------------------------------------------ */

aw_loop_node *aw_loop_node_get(aw_loop *l, aw_node *n, aw_error *err) {
    uint32_t s = n->slot;
    if (s < l->n_slots && l->nodes[s]) {
        aw_loop_node *ln = l->nodes[s];
        if (ln->node == n && !ln->retired)
            return ln;
        aw_error_set(err, AW_ERR_INVALID_NODE, "node %s is leaving the cluster", n->name);
        return NULL;
    }
    if (s >= l->n_slots) {
        uint32_t cap = l->n_slots ? l->n_slots * 2 : 8;
        while (cap <= s)
            cap *= 2;
        aw_loop_node **p = aw_realloc(l->nodes, (size_t)cap * sizeof *p);
        if (!p) {
            aw_error_set(err, AW_ERR_NOMEM, "no memory for node state");
            return NULL;
        }
        memset(p + l->n_slots, 0, (size_t)(cap - l->n_slots) * sizeof *p);
        l->nodes = p;
        l->n_slots = cap;
    }
    aw_loop_node *ln = aw_calloc(1, sizeof *ln);
    if (!ln) {
        aw_error_set(err, AW_ERR_NOMEM, "no memory for node state");
        return NULL;
    }
    ln->loop = l;
    ln->node = n;
    aw_node_retain(n);
    ln->depth = (n->features & AW_FEATURE_PIPELINING) ? l->pipeline_depth : 1;
    l->nodes[s] = ln;
    return ln;
}

void aw_loop_node_maybe_free(aw_loop_node *ln) {
    if (!ln->retired || ln->n_conns > 0 || ln->waitq.n > 0)
        return;
    aw_loop *l = ln->loop;
    l->nodes[ln->node->slot] = NULL;
    aw_node_release(ln->node);
    aw_free(ln);
}

/* The node left the cluster: no new commands, idle connections closed,
 * waiters routed again, busy connections drain (their commands fail over
 * as those connections close) and the state goes with the last of them. */
static void node_retire(aw_loop_node *ln) {
    ln->retired = true;
    while (ln->idle)
        aw_conn_close_idle(ln->idle);
    aw_acmd *cmd;
    while ((cmd = aw_list_pop(&ln->waitq)))
        aw_acmd_requeue(cmd);
    aw_loop_node_maybe_free(ln);
}

static void retire_inactive(aw_loop *l) {
    for (uint32_t s = 0; s < l->n_slots; s++) {
        aw_loop_node *ln = l->nodes[s];
        if (ln && !ln->retired && !aw_node_is_active(ln->node))
            node_retire(ln);
    }
}

void aw_loop_view_refresh(aw_loop *l) {
    aw_cluster *cl = l->client->cluster;
    if (aw_cluster_view_version(cl) == l->view_version)
        return;
    aw_cluster_view *v = aw_cluster_view_acquire(cl);
    if (!v)
        return;
    aw_cluster_view_release(l->view);
    l->view = v;
    l->view_version = v->version;
    retire_inactive(l);
}

void aw_loop_kick_tend(aw_loop *l) {
    uint64_t now = aw_now_ms();
    if (now - l->last_tend_kick >= 100) {
        l->last_tend_kick = now;
        aw_cluster_tend_now(l->client->cluster);
    }
}

/* --- Housekeeping ------------------------------------------------------------- */

#define FREE_CMDS_KEEP 1024
#define ZBUF_KEEP (1u << 20)

static void on_house(void *arg) {
    aw_loop *l = arg;
    aw_loop_enter(l);
    aw_loop_tick(l);
    uint64_t now = l->now;
    if (!l->closing) {
        aw_loop_view_refresh(l);
        retire_inactive(l);
        for (uint32_t s = 0; s < l->n_slots; s++) {
            aw_loop_node *ln = l->nodes[s];
            if (!ln || ln->retired)
                continue;
            aw_conn *c = ln->conns;
            while (c) {
                aw_conn *next = c->next;
                if (c->state == AW_CONN_READY && c->fifo_count == 0) {
                    if (l->idle_timeout_ms && now - c->idle_since >= l->idle_timeout_ms &&
                        ln->n_conns > l->min_conns)
                        aw_conn_close_idle(c);
                    else
                        aw_conn_trim(c);
                }
                c = next;
            }
        }
        aw_loop_fill_min(l);
        /* Give back what a burst left behind. */
        while (l->n_free > FREE_CMDS_KEEP) {
            aw_acmd *cmd = l->free_cmds;
            l->free_cmds = cmd->qnext;
            l->n_free--;
            aw_buf_free(&cmd->req);
            aw_free(cmd);
            aw_loop_heap_drop_user(l);
        }
        if (l->zbuf.cap > ZBUF_KEEP)
            aw_buf_free(&l->zbuf);
        l->hooks.timer_start(l->house, l->house_ms);
    }
    aw_loop_leave(l);
}

/* --- Command objects ------------------------------------------------------------ */

#define REQ_KEEP (64u * 1024u)

aw_acmd *aw_acmd_alloc(aw_loop *l) {
    aw_acmd *cmd = l->free_cmds;
    if (cmd) {
        l->free_cmds = cmd->qnext;
        l->n_free--;
    } else {
        if (!aw_loop_heap_add_user(l))
            return NULL;
        cmd = aw_calloc(1, sizeof *cmd);
        if (!cmd) {
            aw_loop_heap_drop_user(l);
            return NULL;
        }
        aw_buf_init(&cmd->req);
        cmd->loop = l;
        cmd->hn.kind = AW_HEAP_CMD;
        cmd->hn.index = AW_HEAP_NONE;
    }
    cmd->qnext = cmd->qprev = NULL;
    cmd->list = NULL;
    cmd->mb = aw_cluster_unrouted(l->client->cluster);
    cmd->conn = NULL;
    cmd->ln = NULL;
    cmd->hooks = NULL;
    cmd->node = NULL;
    return cmd;
}

void aw_acmd_release(aw_acmd *cmd) {
    aw_loop *l = cmd->loop;
    cmd->state = AW_ACMD_FREE;
    if (cmd->req.cap > REQ_KEEP)
        aw_buf_free(&cmd->req);
    else
        aw_buf_reset(&cmd->req);
    cmd->qnext = l->free_cmds;
    l->free_cmds = cmd;
    l->n_free++;
}

/* --- Attach and close ------------------------------------------------------------ */

int aw_loop_new(aw_client *c, const aw_loop_hooks *h, aw_loop **out, aw_error *err) {
    if (!c || !h || !out)
        return aw_error_set(err, AW_ERR_PARAM, "NULL client, hooks or out");
    if (!h->io_new || !h->io_update || !h->io_free || !h->timer_new || !h->timer_start ||
        !h->timer_stop || !h->timer_free || !h->defer_new || !h->defer_schedule || !h->defer_free)
        return aw_error_set(err, AW_ERR_PARAM, "every loop hook but detach is required");
    if (c->close_pending)
        return aw_error_set(err, AW_ERR_CLIENT_CLOSING, "the client is closing");
    aw_loop *l = aw_calloc(1, sizeof *l);
    if (!l)
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for the loop");
    l->client = c;
    l->hooks = *h;
    const aw_config *cfg = &c->cfg;
    l->max_conns = cfg->async_max_conns_per_node ? cfg->async_max_conns_per_node : 1;
    l->pipeline_depth = cfg->pipeline_depth ? cfg->pipeline_depth : 1;
    if (l->pipeline_depth > 4096)
        l->pipeline_depth = 4096;
    l->connect_timeout_ms = cfg->connect_timeout_ms ? cfg->connect_timeout_ms : 1000;
    l->idle_timeout_ms = cfg->idle_timeout_ms;
    l->min_conns = cfg->async_min_conns_per_node;
    l->house_ms = cfg->tend_interval_ms ? cfg->tend_interval_ms : 1000;
    if (l->house_ms > 1000)
        l->house_ms = 1000;
    if (l->house_ms < 10)
        l->house_ms = 10;
    aw_buf_init(&l->zbuf);

    l->timer = h->timer_new(h->ctx, on_timer, l);
    l->house = h->timer_new(h->ctx, on_house, l);
    l->defer = h->defer_new(h->ctx, on_defer, l);
    l->later = h->timer_new(h->ctx, on_defer, l);
    if (!l->timer || !l->house || !l->defer || !l->later || !heap_reserve(l, 64)) {
        if (l->timer)
            h->timer_free(l->timer);
        if (l->house)
            h->timer_free(l->house);
        if (l->later)
            h->timer_free(l->later);
        if (l->defer)
            h->defer_free(l->defer);
        aw_free(l->heap.items);
        aw_free(l);
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for the loop's events");
    }
    l->view = aw_cluster_view_acquire(c->cluster);
    l->view_version = l->view ? l->view->version : 0;
    h->timer_start(l->house, l->house_ms);

    pthread_mutex_lock(&c->loops_lock);
    l->next_in_client = c->loops;
    c->loops = l;
    pthread_mutex_unlock(&c->loops_lock);
    *out = l;
    aw_error_reset(err);
    return AW_OK;
}

static void unlink_from_client(aw_loop *l) {
    aw_client *c = l->client;
    pthread_mutex_lock(&c->loops_lock);
    for (aw_loop **pp = &c->loops; *pp; pp = &(*pp)->next_in_client) {
        if (*pp == l) {
            *pp = l->next_in_client;
            break;
        }
    }
    pthread_mutex_unlock(&c->loops_lock);
    l->next_in_client = NULL;
}

static void closing_error(aw_error *e) {
    aw_error_set(e, AW_ERR_CLIENT_CLOSING, "the event loop was closed before the command completed");
}

/* Completes every command once with CLIENT_CLOSING, then frees everything.
 * Runs at depth 0 of this loop; the callbacks it calls cannot submit (the
 * loop is closing) nor close it again. */
static void loop_destroy(aw_loop *l) {
    aw_client *c = l->client;
    l->closing = true;
    l->depth++;
    aw_loop_tick(l); /* the completions below are timed now */
    unlink_from_client(l);
    aw_error e;
    for (int round = 0; l->pending > 0 && round < 4; round++) {
        aw_acmd *cmd;
        while ((cmd = l->ready.head)) {
            closing_error(&e);
            aw_acmd_complete(cmd, AW_ERR_CLIENT_CLOSING, &e, NULL, false);
        }
        while ((cmd = l->sleeping.head)) {
            closing_error(&e);
            aw_acmd_complete(cmd, AW_ERR_CLIENT_CLOSING, &e, NULL, false);
        }
        for (uint32_t s = 0; s < l->n_slots; s++) {
            aw_loop_node *ln = l->nodes[s];
            if (!ln)
                continue;
            while ((cmd = ln->waitq.head)) {
                closing_error(&e);
                aw_acmd_complete(cmd, AW_ERR_CLIENT_CLOSING, &e, NULL, false);
            }
            while (ln->conns)
                aw_conn_close_all(ln->conns);
        }
    }
    /* Connections first (a node state is freed with its last one). */
    for (uint32_t s = 0; s < l->n_slots; s++) {
        aw_loop_node *ln = l->nodes[s];
        if (!ln)
            continue;
        while (ln->conns)
            aw_conn_close_all(ln->conns);
        l->nodes[s] = NULL;
        aw_node_release(ln->node);
        aw_free(ln);
    }
    aw_warm_poll(l); /* a warm-up whose callback had not run yet */
    aw_free(l->nodes);
    l->hooks.timer_stop(l->timer);
    l->hooks.timer_free(l->timer);
    l->hooks.timer_stop(l->house);
    l->hooks.timer_free(l->house);
    l->hooks.timer_stop(l->later);
    l->hooks.timer_free(l->later);
    l->hooks.defer_free(l->defer);
    if (l->hooks.detach)
        l->hooks.detach(l->hooks.ctx);
    if (l->view)
        aw_cluster_view_release(l->view);
    while (l->free_cmds) {
        aw_acmd *cmd = l->free_cmds;
        l->free_cmds = cmd->qnext;
        aw_buf_free(&cmd->req);
        aw_free(cmd);
    }
    aw_free(l->heap.items);
    aw_buf_free(&l->zbuf);
    (void)c;
    aw_free(l);
}

void aw_loop_close(aw_loop *l) {
    if (!l)
        return;
    if (l->depth > 0) {
        /* Inside one of its callbacks (or already being destroyed). */
        l->closing = true;
        l->close_requested = true;
        return;
    }
    aw_client *c = l->client;
    loop_destroy(l);
    if (client_close_due(c))
        finish_client_close(c);
}

void aw_client_close_loops(aw_client *c) {
    if (!c)
        return;
    const aw_client *prev = tl_closing_client;
    tl_closing_client = c;
    for (;;) {
        pthread_mutex_lock(&c->loops_lock);
        aw_loop *l = c->loops;
        pthread_mutex_unlock(&c->loops_lock);
        if (!l)
            break;
        loop_destroy(l);
    }
    tl_closing_client = prev;
}

size_t aw_loop_pending(const aw_loop *l) { return l ? l->pending : 0; }

void aw_record_move(aw_record *dst, aw_record *src) {
    if (!dst || !src)
        return;
    *dst = *src;
    memset(src, 0, sizeof *src);
}
