/*
 * The batch engine's core: placing rows into per-node requests, checking
 * reply rows, and the fate of a failed request's rows (see batch_plan.h).
 */
#include "batch_plan.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "policy_check.h"
#include "proto/mem.h"
#include "proto/short_eq.h"

#ifdef AW_TEST_HOOKS
void (*aw_bplan_trace)(void *ctx, const uint8_t *frame, size_t len);
void *aw_bplan_trace_ctx;
#endif

#define BUF_KEEP (4u << 20) /* request and read buffers above this are freed when released */
/* What a client keeps between batches, all requests' buffers together. */
#define SPARE_BYTES_MAX (8u << 20)

enum { PLACED, BLOCKED, REPORTED, WAITING };

/* --- Reporting ------------------------------------------------------------------- */

static void report(aw_bplan *p, size_t i, int result, bool in_doubt, const aw_msg_view *m,
                   const aw_error *e) {
    p->st[i] = AW_BST_DONE;
    p->n_done++;
    if (p->span.on) {
        if (result == AW_OK)
            p->span.info.n_records++;
        else if (result != AW_ERR_RECORD_NOT_FOUND)
            p->span.info.n_failed++;
    }
    p->sink->row(p->sink->ctx, i, result, in_doubt, m, e);
}

/* A row that failed before being sent, with e (whose code is rc). */
static void report_err(aw_bplan *p, size_t i, int rc, aw_error *e) {
    if (e->code != rc || !e->message[0])
        aw_error_set(e, rc, NULL);
    e->in_doubt = false;
    report(p, i, rc, false, NULL, e);
}

/* e's message with "node <addr>: " in front unless it already names it. */
static void on_node(aw_error *e, const aw_node *n) {
    if (strstr(e->message, n->addr_str))
        return;
    char tmp[AW_ERROR_MSG_SIZE];
    snprintf(tmp, sizeof tmp, "%s", e->message);
    aw_error_set(e, e->code, "node %s: %s", n->addr_str, tmp);
}

/* --- Setup ---------------------------------------------------------------------- */

int aw_bplan_init(aw_bplan *p, aw_client *c, const aw_batch_policy *pol,
                  const aw_batch_source *src, const aw_batch_sink *sink, uint64_t now,
                  aw_error *err) {
    memset(p, 0, sizeof *p);
    if (!c)
        return aw_error_set(err, AW_ERR_PARAM, "batch: client is NULL");
    if (!src || !sink)
        return aw_error_set(err, AW_ERR_PARAM, "batch: NULL source or sink");
    if (!src->row || !src->key || !src->writes || !sink->row)
        return aw_error_set(err, AW_ERR_PARAM, "batch: source or sink without its functions");
    if (src->n > UINT32_MAX)
        return aw_error_set(err, AW_ERR_PARAM, "batch: %zu rows is more than a batch can index",
                            src->n);
    p->pol = pol ? *pol : aw_batch_policy_default();
    int rc = aw_policy_check(&p->pol.base, "batch policy", err);
    if (rc != AW_OK)
        return rc;
    if (c->close_pending)
        return aw_error_set(err, AW_ERR_CLIENT_CLOSING, "the client is closing");
    p->client = c;
    p->src = src;
    p->sink = sink;
    p->n = src->n;
    p->max_rows = p->pol.max_rows_per_request ? p->pol.max_rows_per_request : 5000;
    p->max_attempt = p->pol.base.max_retries < AW_BATCH_MAX_ATTEMPT ? p->pol.base.max_retries
                                                                     : AW_BATCH_MAX_ATTEMPT;
    const aw_policy *b = &p->pol.base;
    p->deadline = b->total_timeout_ms ? now + b->total_timeout_ms : 0;
    p->base_seq = aw_cmd_first_seq(b, false);
    /* The server gives up on the batch when the client would. */
    p->bopts.timeout_ms = b->total_timeout_ms ? b->total_timeout_ms : b->socket_timeout_ms;
    p->bopts.flags = AW_BATCH_RESPOND_ALL_KEYS | AW_BATCH_REPORT_ERROR_RECORD |
                     (p->pol.allow_inline ? AW_BATCH_ALLOW_INLINE : 0);
    p->bopts.filter = p->pol.base.filter; /* each row without its own filter */
    p->bopts.compress_response = b->compress;
    p->view = aw_cluster_view_acquire(c->cluster);
    if (p->view->n_nodes == 0) {
        aw_cluster_view_release(p->view);
        p->view = NULL;
        return aw_error_set(err, AW_ERR_INVALID_NODE,
                            "batch: no node of the cluster is reachable (seeds %s)", c->cfg.hosts);
    }
    p->st = aw_calloc(p->n ? p->n : 1, 1);
    if (!p->st) {
        aw_cluster_view_release(p->view);
        p->view = NULL;
        return aw_error_set(err, AW_ERR_NOMEM, "batch: no memory for %zu row states", p->n);
    }
    return AW_OK;
}

void aw_bplan_trace_begin(aw_bplan *p, const char *name, bool async, uint64_t now_ns) {
    if (!p->client->tracing)
        return;
    const aw_key *k = p->n ? p->src->key(p->src->ctx, 0) : NULL;
    aw_tspan_start(&p->span, p->client, AW_MT_BATCH, name, k ? k->ns : NULL, k ? k->set : NULL,
                   async, p->n, now_ns);
}

static void req_destroy(aw_breq *r) {
    aw_buf_free(&r->buf);
    aw_buf_free(&r->in);
    aw_free(r);
}

static size_t req_bytes(const aw_breq *r) { return r->buf.cap + r->in.cap; }

/* A request of an earlier batch of this client, or NULL. */
static aw_breq *spare_take(aw_client *c) {
    pthread_mutex_lock(&c->spare_lock);
    aw_breq *r = c->spare_reqs;
    if (r) {
        c->spare_reqs = r->next_free;
        c->spare_bytes -= req_bytes(r);
    }
    pthread_mutex_unlock(&c->spare_lock);
    return r;
}

/* Keeps an idle request (no connection, no transport) for the client's
 * next batch while the kept buffers stay under SPARE_BYTES_MAX. */
static void spare_give(aw_client *c, aw_breq *r) {
    bool kept = false;
    if (r->sock.fd < 0 && !r->sock.ssl && !r->tx) {
        pthread_mutex_lock(&c->spare_lock);
        if (c->spare_bytes + req_bytes(r) <= SPARE_BYTES_MAX) {
            r->next_free = c->spare_reqs;
            c->spare_reqs = r;
            c->spare_bytes += req_bytes(r);
            kept = true;
        }
        pthread_mutex_unlock(&c->spare_lock);
    }
    if (!kept)
        req_destroy(r);
}

void aw_bplan_spares_free(aw_client *c) {
    while (c->spare_reqs) {
        aw_breq *r = c->spare_reqs;
        c->spare_reqs = r->next_free;
        req_destroy(r);
    }
    c->spare_bytes = 0;
}

void aw_bplan_free(aw_bplan *p) {
    for (uint32_t s = 1; s <= AW_BST_SLOT_MAX; s++)
        if (p->slots[s])
            req_destroy(p->slots[s]);
    while (p->free_reqs) {
        aw_breq *r = p->free_reqs;
        p->free_reqs = r->next_free;
        if (p->client)
            spare_give(p->client, r);
        else
            req_destroy(r);
    }
    while (p->nodes) {
        aw_bnode *bn = p->nodes;
        p->nodes = bn->next;
        aw_node_release(bn->node);
        aw_free(bn);
    }
    aw_free(p->by_slot);
    aw_free(p->st);
    if (p->view)
        aw_cluster_view_release(p->view);
    memset(p, 0, sizeof *p);
}

/* --- Node states and requests --------------------------------------------------- */

static aw_bnode *bnode_get(aw_bplan *p, aw_node *n, aw_error *e) {
    uint32_t s = n->slot;
    if (s < p->n_by_slot && p->by_slot[s] && p->by_slot[s]->node == n)
        return p->by_slot[s];
    if (s >= p->n_by_slot) {
        uint32_t cap = p->n_by_slot ? p->n_by_slot : 8;
        while (cap <= s)
            cap *= 2;
        aw_bnode **v = aw_realloc(p->by_slot, (size_t)cap * sizeof *v);
        if (!v) {
            aw_error_set(e, AW_ERR_NOMEM, "batch: no memory for node state");
            return NULL;
        }
        memset(v + p->n_by_slot, 0, (size_t)(cap - p->n_by_slot) * sizeof *v);
        p->by_slot = v;
        p->n_by_slot = cap;
    }
    /* A slot is reused only once its node is freed, and we retain ours: a
     * different node in the same slot cannot be one we already know. */
    aw_bnode *bn = aw_calloc(1, sizeof *bn);
    if (!bn) {
        aw_error_set(e, AW_ERR_NOMEM, "batch: no memory for node state");
        return NULL;
    }
    aw_node_retain(n);
    bn->node = n;
    bn->next = p->nodes;
    p->nodes = bn;
    p->by_slot[s] = bn;
    return bn;
}

/* A new request for bn in a free slot; NULL with e->code 0 when every slot
 * is taken (the caller waits), or AW_ERR_NOMEM. */
static aw_breq *req_new(aw_bplan *p, aw_bnode *bn, aw_error *e) {
    e->code = 0;
    if (p->n_live >= AW_BST_SLOT_MAX)
        return NULL;
    uint32_t s = 1;
    while (p->slots[s])
        s++;
    aw_breq *r = p->free_reqs;
    if (r) {
        p->free_reqs = r->next_free;
    } else if ((r = spare_take(p->client))) {
        /* an earlier batch's, buffers and all */
    } else {
        r = aw_calloc(1, sizeof *r);
        if (!r) {
            aw_error_set(e, AW_ERR_NOMEM, "batch: no memory for a request");
            return NULL;
        }
        aw_buf_init(&r->buf);
        aw_buf_init(&r->in);
    }
    aw_buf_reset(&r->buf);
    if (aw_batch_begin(&r->w, &r->buf, &p->bopts, e) != AW_OK) {
        r->next_free = p->free_reqs;
        p->free_reqs = r;
        return NULL;
    }
    r->w.uniform = p->src->uniform;
    r->slot = (uint8_t)s;
    r->attempt = 0;
    r->closed = r->sent = false;
    r->bn = bn;
    r->plan = p;
    r->n_rows = r->n_answered = 0;
    r->lo = SIZE_MAX;
    r->hi = 0;
    aw_batch_reader_init(&r->rd, (uint32_t)p->n);
    r->sock = aw_sock_none();
    r->out_off = 0;
    r->progress = 0;
    aw_buf_reset(&r->in);
    r->in_off = 0;
    r->tx = NULL;
    p->slots[s] = r;
    p->n_live++;
    return r;
}

static void req_release(aw_bplan *p, aw_breq *r) {
    aw_bnode *bn = r->bn;
    if (bn->filling == r)
        bn->filling = NULL;
    if (bn->inflight == r)
        bn->inflight = NULL;
    p->slots[r->slot] = NULL;
    p->n_live--;
    if (r->buf.cap > BUF_KEEP)
        aw_buf_free(&r->buf);
    if (r->in.cap > BUF_KEEP)
        aw_buf_free(&r->in);
    r->next_free = p->free_reqs;
    p->free_reqs = r;
}

static bool req_full(const aw_bplan *p, const aw_breq *r) {
    return r->n_rows >= p->max_rows || r->buf.len >= AW_BREQ_BYTES_CAP;
}

/* --- Placing rows -------------------------------------------------------------------- */

/* Row i has no node in this map: it waits for a newer one while the
 * deadline allows (see the top of batch_plan.h). */
static int wait_for_map(aw_bplan *p, size_t i, uint32_t attempt, aw_error *e, uint64_t now) {
    if (e->code != AW_ERR_INVALID_NODE || p->closing || !p->deadline || now >= p->deadline) {
        report_err(p, i, e->code, e);
        return REPORTED;
    }
    p->st[i] = (uint8_t)(AW_BST_RETRY + attempt);
    if (p->n_wait == 0 || i < p->wlo)
        p->wlo = i;
    if (p->n_wait == 0 || i > p->whi)
        p->whi = i;
    p->n_wait++;
    return WAITING;
}

/* After a fill: the rows that went to wait join the retry range, placed
 * again after a short pause. */
static void join_waiting(aw_bplan *p, uint64_t now) {
    if (p->n_wait == 0)
        return;
    if (p->n_retry == 0 || p->wlo < p->rlo)
        p->rlo = p->wlo;
    if (p->n_retry == 0 || p->whi > p->rhi)
        p->rhi = p->whi;
    p->n_retry += p->n_wait;
    p->n_wait = 0;
    uint64_t wake = now + AW_BATCH_MAP_WAIT_MS;
    if (p->retry_wake < wake)
        p->retry_wake = wake;
}

/* key's namespace table when its names are the last ones kept (so they
 * were checked), else NULL. */
static const aw_partition_table *known_names(const aw_bplan *p, const aw_key *key) {
    const aw_bplan_names *l = &p->last_names;
    if (l->table && aw_short_is(key->ns, l->ns, l->ns_len) &&
        aw_short_is(key->set, l->set, l->set_len))
        return l->table;
    return NULL;
}

static void keep_names(aw_bplan *p, const aw_key *key, const aw_partition_table *table) {
    aw_bplan_names *l = &p->last_names;
    l->ns_len = strlen(key->ns); /* checked: both end inside their arrays */
    l->set_len = strlen(key->set);
    memcpy(l->ns, key->ns, l->ns_len);
    memcpy(l->set, key->set, l->set_len);
    l->table = table;
    if (++l->tag == 0) /* 0 means "unknown" to a writer */
        l->tag = 1;
}

/* An aw_error made ready for a call that may set it, without a call. */
static inline void clear_error(aw_error *e) {
    e->code = AW_OK;
    e->in_doubt = false;
    e->message[0] = '\0';
}

static int place(aw_bplan *p, size_t i, uint32_t attempt, uint64_t now) {
    const aw_batch_source *src = p->src;
    aw_error e;
    clear_error(&e);
    const aw_key *key = src->key(src->ctx, i);
    if (!key) {
        aw_error_set(&e, AW_ERR_PARAM, "batch row %zu: key is NULL", i);
        report_err(p, i, AW_ERR_PARAM, &e);
        return REPORTED;
    }
    const aw_partition_table *table = known_names(p, key);
    if (!table) {
        int rc = aw_check_key(key, false, &e);
        if (rc != AW_OK) {
            char tmp[AW_ERROR_MSG_SIZE];
            snprintf(tmp, sizeof tmp, "%s", e.message);
            aw_error_set(&e, rc, "batch row %zu: %s", i, tmp);
            report_err(p, i, rc, &e);
            return REPORTED;
        }
        if ((table = aw_view_table(p->view, key->ns)))
            keep_names(p, key, table);
    }
    bool w = src->writes(src->ctx, i);
    uint32_t seq = w ? attempt : p->base_seq + attempt;
    aw_node *node = aw_cmd_route_in(p->view, table, key, &p->pol.base, w, seq, &e);
    if (!node)
        return wait_for_map(p, i, attempt, &e, now);
    aw_bnode *bn = bnode_get(p, node, &e);
    if (!bn) {
        report_err(p, i, e.code, &e);
        return REPORTED;
    }
    aw_breq *r = bn->filling;
    if (r && req_full(p, r))
        return BLOCKED; /* sent once the node's request in flight (if any) completes */
    if (!r) {
        r = req_new(p, bn, &e);
        if (!r) {
            if (e.code == 0)
                return BLOCKED; /* every slot in use: wait for one */
            report_err(p, i, e.code, &e);
            return REPORTED;
        }
        bn->filling = r;
    }
    /* key got past routing, so its names are last_names */
    uint32_t tag = p->last_names.tag;
    int rc;
    clear_error(&e);
    if (aw_batch_can_repeat(&r->w, tag)) {
        /* a uniform source's row, as its previous full one: from its key alone */
        rc = aw_batch_add_repeat(&r->w, (uint32_t)i, key->digest, &e);
    } else {
        aw_batch_row row;
        memset(&row, 0, sizeof row);
        rc = src->row(src->ctx, i, &row, &e);
        if (rc == AW_OK) {
            row.index = (uint32_t)i;
            r->w.names_tag = row.key == key ? tag : 0;
            rc = aw_batch_add(&r->w, &row, &e);
        }
    }
    if (rc != AW_OK) {
        report_err(p, i, rc, &e);
        return REPORTED;
    }
    p->st[i] = r->slot;
    r->n_rows++;
    if (i < r->lo)
        r->lo = i;
    if (i > r->hi)
        r->hi = i;
    if (attempt > r->attempt)
        r->attempt = (uint8_t)attempt;
    return PLACED;
}

static void refresh_view(aw_bplan *p) {
    aw_cluster *cl = p->client->cluster;
    if (aw_cluster_view_version(cl) == p->view->version)
        return;
    aw_cluster_view *v = aw_cluster_view_acquire(cl);
    aw_cluster_view_release(p->view);
    p->view = v;
    p->last_names.table = NULL; /* it was the old view's */
}

static void fill(aw_bplan *p, uint64_t now) {
    /* Retries first: they are the oldest rows. */
    if (p->n_retry && (p->retry_wake == 0 || now >= p->retry_wake)) {
        while (p->n_retry && p->rlo <= p->rhi) {
            uint8_t s = p->st[p->rlo];
            if (s >= AW_BST_RETRY && s != AW_BST_DONE) {
                if (place(p, p->rlo, s - AW_BST_RETRY, now) == BLOCKED)
                    return;
                p->n_retry--;
            }
            p->rlo++;
        }
        p->retry_wake = 0;
    }
    while (p->cursor < p->n) {
        if (place(p, p->cursor, 0, now) == BLOCKED)
            return;
        p->cursor++;
    }
}

void aw_bplan_fill(aw_bplan *p, uint64_t now) {
    if (!aw_bplan_has_unplaced(p))
        return;
    refresh_view(p);
    fill(p, now);
    join_waiting(p, now);
}

/* --- Sending ------------------------------------------------------------------------- */

/* Fails every unanswered row of r with rc, no retry (the caller releases r). */
static void fail_rows(aw_bplan *p, aw_breq *r, int rc, aw_error *e, bool doubt_if_write) {
    if (r->n_answered >= r->n_rows)
        return;
    for (size_t i = r->lo; i <= r->hi; i++) {
        if (p->st[i] != r->slot)
            continue;
        bool doubt = doubt_if_write && p->src->writes(p->src->ctx, i);
        e->in_doubt = doubt;
        report(p, i, rc, doubt, NULL, e);
    }
}

aw_breq *aw_bplan_next(aw_bplan *p) {
    for (aw_bnode *bn = p->nodes; bn; bn = bn->next) {
        aw_breq *r = bn->filling;
        if (bn->inflight || !r || r->n_rows == 0)
            continue;
        aw_error e;
        bn->filling = NULL;
        if (aw_batch_end(&r->w, &e) != AW_OK ||
            (p->pol.base.compress && aw_cmd_compress_frame(&r->buf, r->w.frame_at, &e) != AW_OK)) {
            on_node(&e, bn->node);
            fail_rows(p, r, e.code, &e, false);
            req_release(p, r);
            continue;
        }
        r->closed = true;
        bn->inflight = r;
        if (p->span.on) {
            aw_tspan_request(&p->span, bn->node->name);
            if (r->attempt + 1u > p->span.info.attempts)
                p->span.info.attempts = r->attempt + 1u;
        }
#ifdef AW_TEST_HOOKS
        if (aw_bplan_trace)
            aw_bplan_trace(aw_bplan_trace_ctx, r->buf.data, r->buf.len);
#endif
        return r;
    }
    return NULL;
}

/* --- Replies ------------------------------------------------------------------------- */

typedef struct feed_ctx {
    aw_bplan *p;
    aw_breq *r;
    aw_error *err;
} feed_ctx;

static int on_row(void *ctx, uint32_t index, const aw_msg_view *m) {
    feed_ctx *f = ctx;
    aw_bplan *p = f->p;
    aw_breq *r = f->r;
    uint8_t s = p->st[index];
    if (s != r->slot && m->h.result_code != AW_OK && m->h.n_ops == 0 && r->n_answered == 0) {
        /* An error first thing, naming a row this request did not send
         * (another node's, answered or not): the server refused the request
         * as a whole. A request it cannot read gets one message with batch
         * index 0 and no LAST (the official client files it under the
         * batch's row 0, whichever node that row went to, and waits out its
         * timeout for the rest). Its code is every row's of this request,
         * and nothing more comes. */
        r->rd.done = true;
        r->rd.last_result = m->h.result_code;
        return 0;
    }
    if (s != r->slot)
        return aw_error_set(f->err, AW_ERR_PROTO, "batch reply from %s: row %u %s",
                            r->bn->node->addr_str, index,
                            s == AW_BST_DONE ? "answered twice" : "is not in this request");
    r->n_answered++;
    int result = m->h.result_code;
    /* A write the server timed out may still complete there. */
    bool doubt = result == AW_ERR_TIMEOUT && p->src->writes(p->src->ctx, index);
    report(p, index, result, doubt, m, NULL);
    return 0;
}

int aw_bplan_feed(aw_bplan *p, aw_breq *r, const uint8_t *body, size_t len, aw_error *err) {
    feed_ctx f = {p, r, err};
    int rc = aw_batch_reader_feed(&r->rd, body, len, on_row, &f, err);
    if (rc != AW_OK) {
        if (rc > 0)
            rc = AW_ERR_PROTO;
        if (err)
            on_node(err, r->bn->node);
        return rc;
    }
    return r->rd.done ? 1 : 0;
}

void aw_bplan_done(aw_bplan *p, aw_breq *r, uint64_t now) {
    if (r->n_answered < r->n_rows) {
        aw_error e;
        int code = r->rd.last_result;
        if (code == AW_OK) {
            aw_error_set(&e, AW_ERR_PROTO, "the batch ended with %u of its %u rows unanswered",
                         r->n_rows - r->n_answered, r->n_rows);
            on_node(&e, r->bn->node);
            aw_bplan_failed(p, r, AW_ERR_PROTO, &e, now);
            return;
        }
        /* The server refused the batch (or stopped it): its code is final.
         * Writes are in doubt only when it had started on the rows. */
        aw_error_set(&e, code, "batch ended by the server: %s", aw_strerror(code));
        on_node(&e, r->bn->node);
        fail_rows(p, r, code, &e, r->n_answered > 0);
    }
    req_release(p, r);
}

void aw_bplan_failed(aw_bplan *p, aw_breq *r, int rc, const aw_error *err, uint64_t now) {
    aw_error e;
    if (err && err->code == rc && err->message[0])
        e = *err;
    else
        aw_error_set(&e, rc, NULL);
    on_node(&e, r->bn->node);
    bool retry = aw_cmd_retryable(rc) && !p->closing && r->attempt < p->max_attempt &&
                 (p->deadline == 0 || now < p->deadline);
    size_t retried = 0;
    uint8_t next = (uint8_t)(AW_BST_RETRY + r->attempt + 1);
    for (size_t i = r->lo; r->n_answered < r->n_rows && i <= r->hi; i++) {
        if (p->st[i] != r->slot)
            continue;
        bool w = p->src->writes(p->src->ctx, i);
        if (retry && !(w && r->sent)) {
            p->st[i] = next;
            if (p->n_retry == 0 || i < p->rlo)
                p->rlo = i;
            if (p->n_retry == 0 || i > p->rhi)
                p->rhi = i;
            p->n_retry++;
            retried++;
        } else {
            e.in_doubt = w && r->sent;
            report(p, i, rc, e.in_doubt, NULL, &e);
        }
    }
    if (retried) {
        atomic_fetch_add_explicit(&p->client->retries, 1, memory_order_relaxed);
        /* A pause that would end past the deadline is skipped. */
        uint32_t pause = p->pol.base.sleep_between_retries_ms;
        if (pause && (p->deadline == 0 || now + pause < p->deadline))
            p->retry_wake = now + pause;
    }
    req_release(p, r);
}

/* Whether a waiting row still has no node in the current map (then e says
 * so): such a row ends with that, not with the timeout that ended it. */
static bool still_no_node(aw_bplan *p, size_t i, uint32_t attempt, aw_error *e) {
    const aw_key *key = p->src->key(p->src->ctx, i);
    bool w = p->src->writes(p->src->ctx, i);
    uint32_t seq = w ? attempt : p->base_seq + attempt;
    aw_error_reset(e);
    if (!key || aw_cmd_route(p->view, key, &p->pol.base, w, seq, e) || e->code != AW_ERR_INVALID_NODE)
        return false;
    char tmp[AW_ERROR_MSG_SIZE];
    snprintf(tmp, sizeof tmp, "%s", e->message);
    aw_error_set(e, AW_ERR_INVALID_NODE, "batch row %zu: %s (still, when the batch ended)", i, tmp);
    return true;
}

void aw_bplan_expire(aw_bplan *p, int rc, const char *msg) {
    bool busy[AW_BST_SLOT_MAX + 1];
    memset(busy, 0, sizeof busy);
    for (aw_bnode *bn = p->nodes; bn; bn = bn->next)
        if (bn->inflight)
            busy[bn->inflight->slot] = true;
    aw_error e;
    aw_error_set(&e, rc, "%s", msg);
    refresh_view(p);
    for (size_t i = 0; i < p->n && p->n_done < p->n; i++) {
        uint8_t s = p->st[i];
        if (s == AW_BST_DONE || (s >= 1 && s <= AW_BST_SLOT_MAX && busy[s]))
            continue;
        aw_error no_node;
        if (s >= AW_BST_RETRY && still_no_node(p, i, s - AW_BST_RETRY, &no_node)) {
            report(p, i, no_node.code, false, NULL, &no_node);
            continue;
        }
        e.in_doubt = false;
        report(p, i, rc, false, NULL, &e);
    }
    for (aw_bnode *bn = p->nodes; bn; bn = bn->next)
        if (bn->filling)
            req_release(p, bn->filling);
    p->cursor = p->n;
    p->n_retry = 0;
    p->retry_wake = 0;
}
