/*
 * The sync scan/query engine (query_exec.h). Per round: the cursor's
 * partitions still to ask are grouped by their master in the current
 * partition map; every node gets one request (PID_ARRAY / DIGEST_ARRAY /
 * BVAL_ARRAY from the cursor, its share of max_records) on a pooled
 * connection; the streams are read concurrently with poll(), at most
 * max_concurrent_nodes at a time. The cursor learns every record and every
 * PARTITION_DONE as it arrives, so whatever stops the round, the next one
 * (or the next call) resumes after the last record each partition gave.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "client_impl.h"
#include "cluster/net.h"
#include "proto/errno_text.h"
#include "proto/frame.h"
#include "proto/mem.h"
#include "proto/pstatus.h"
#include "query_exec.h"
#include "query_plan.h"
#include "trace.h"

#define READ_CHUNK (64u * 1024u)

typedef struct qnode {
    aw_node *node;                  /* retained */
    aw_partition_info **parts;
    size_t n_parts, cap;
    uint64_t max;                   /* this node's share of max_records; 0 = none */
    uint64_t count;                 /* records kept this round */
    bool over_max;                  /* a record was dropped: the page is full */
    aw_sock sock;
    bool running, ended;
    aw_buf out;
    size_t out_off;
    aw_buf in;
    size_t in_off;
    uint64_t progress;              /* last byte sent or received */
    uint64_t start_ns;              /* metrics: when this node's request began */
    aw_scanq_reader reader;
} qnode;

typedef struct qrun {
    aw_client *client;
    const aw_query_policy *pol;
    const aw_query *q;
    aw_partition_status *ps;
    aw_query_sink_fn sink;
    void *sink_ctx;
    qnode *nodes;
    size_t n_nodes;
    uint64_t deadline;              /* 0 = none */
    uint64_t max_left;              /* records still allowed; 0 = no limit */
    uint64_t kept;                  /* records kept this round */
    bool check_max;                 /* fewer records allowed than nodes: drop extras */
    int stop;                       /* a final error or the sink's stop code */
    aw_error stop_err;
    int last_rc;                    /* the last error worth a retry */
    aw_error last_err;
    aw_buf zbuf;
    qnode *cur;                     /* the node whose stream is being fed */
    aw_tspan *span;                 /* the call's (may be off) */
    /* Per partition, which replica to ask: bumped when its node failed it,
     * so the next round tries the next replica (the official client's
     * sequence) rather than waiting for the map to drop a dead node. */
    uint8_t replica[AW_PARTITIONS];
} qrun;

uint64_t aw_query_task_id(void) {
    uint64_t v = 0;
    while (v == 0)
        if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
            v = aw_now_us() * 0x9E3779B97F4A7C15ull; /* no entropy source: still unique enough */
    return v;
}

static void note_error(qrun *r, int rc, const aw_error *e) {
    if (aw_query_retryable(rc)) {
        r->last_rc = rc;
        r->last_err = *e;
    } else if (!r->stop) {
        r->stop = rc;
        r->stop_err = *e;
    }
}

/* The node's partitions are asked again next round (after their digests),
 * of their next replica. */
static void node_retry(qrun *r, qnode *n) {
    aw_query_retry_parts(n->parts, n->n_parts, r->replica);
}

static void node_close(qnode *n, bool reusable) {
    if (n->sock.fd >= 0)
        aw_node_conn_put(n->node, &n->sock, reusable);
    /* The reply buffer grows to a frame (about 1 MiB): give it back now,
     * not at the end of the round, so nodes streaming one after the other
     * hold one such buffer at a time. */
    aw_buf_free(&n->in);
    aw_buf_init(&n->in);
    n->in_off = 0;
    n->running = false;
    n->ended = true;
}

/* One node request done: a QUERY command in the node's metrics. */
static void count_node(qrun *r, qnode *n, int rc) {
    if (r->client->metrics_on)
        aw_mblock_command(n->node->m, AW_MT_QUERY, rc, false, aw_metrics_now_ns() - n->start_ns);
}

static void node_fail(qrun *r, qnode *n, int rc, aw_error *e) {
    count_node(r, n, rc);
    bool fault = rc == AW_ERR_CONNECTION || rc == AW_ERR_NO_RESPONSE || rc == AW_ERR_TIMEOUT ||
                 rc == AW_ERR_PROTO;
    if (fault) {
        aw_node_add_error(n->node);
        if (rc != AW_ERR_TIMEOUT)
            aw_cluster_tend_now(r->client->cluster);
    }
    char tmp[AW_ERROR_MSG_SIZE];
    memcpy(tmp, e->message, sizeof tmp);
    aw_error_set(e, rc, "node %s: %s", n->node->addr_str, tmp);
    node_close(n, false);
    node_retry(r, n);
    note_error(r, rc, e);
}

/* The stream ended: LAST (or one plain error message). */
static void node_end(qrun *r, qnode *n) {
    int rc = n->reader.result;
    count_node(r, n, rc);
    node_close(n, n->in_off == n->in.len);
    if (rc == AW_OK) {
        bool complete = !n->over_max && !(n->max && n->count >= n->max);
        aw_pstatus_node_end(n->parts, n->n_parts, complete);
        return;
    }
    node_retry(r, n);
    aw_error e;
    aw_error_set(&e, rc, "node %s: %s", n->node->addr_str, aw_strerror(rc));
    note_error(r, rc, &e);
}

/* --- the stream's records and PARTITION_DONE messages ------------------------ */

static int on_record(void *ctx, const aw_msg_view *m, const aw_scanq_meta *meta) {
    qrun *r = ctx;
    qnode *n = r->cur;
    if (r->check_max && r->kept >= r->max_left) {
        n->over_max = true; /* the next page brings it */
        return 0;
    }
    return aw_query_take_record(r->ps, r->sink, r->sink_ctx, m, meta, &n->count, &r->kept,
                                r->span);
}

static int on_partition_done(void *ctx, uint32_t pid, int result) {
    qrun *r = ctx;
    aw_query_part_unavailable(r->ps, r->replica, pid);
    aw_error e;
    aw_error_set(&e, result, "node %s: partition %u unavailable (%s)", r->cur->node->addr_str,
                 pid, aw_strerror(result));
    note_error(r, result == AW_OK ? AW_ERR_CLUSTER : result, &e);
    return 0;
}

/* Feeds every complete frame in n->in: 0, or a code that stops (with e). */
static int feed(qrun *r, qnode *n, aw_error *e) {
    aw_buf *in = &n->in;
    aw_scanq_sink sink = {r, on_record, on_partition_done};
    r->cur = n;
    while (!n->reader.done && in->len - n->in_off >= AW_PROTO_HEADER_SIZE) {
        const uint8_t *h8 = in->data + n->in_off;
        aw_proto_header h;
        if (aw_proto_header_read(h8, AW_PROTO_HEADER_SIZE, 0, &h, e) != AW_OK)
            return AW_ERR_PROTO;
        if (h.type != AW_PROTO_MSG && h.type != AW_PROTO_COMPRESSED)
            return aw_error_set(e, AW_ERR_PROTO, "frame type %u in a scan/query reply", h.type);
        size_t need = AW_PROTO_HEADER_SIZE + (size_t)h.size;
        if (in->len - n->in_off < need) {
            if (n->in_off) {
                memmove(in->data, in->data + n->in_off, in->len - n->in_off);
                in->len -= n->in_off;
                n->in_off = 0;
            }
            if (!aw_buf_reserve(in, need - in->len))
                return aw_error_set(e, AW_ERR_NOMEM, "no memory for a %zu-byte frame", need);
            return 0;
        }
        const uint8_t *body = h8 + AW_PROTO_HEADER_SIZE;
        size_t blen = (size_t)h.size;
        n->in_off += need;
        aw_node_answered(n->node);
        if (h.type == AW_PROTO_COMPRESSED) {
            int rc = aw_frame_decompress(body, blen, 0, &r->zbuf, e);
            if (rc != AW_OK)
                return rc == AW_ERR_NOMEM ? rc : AW_ERR_PROTO;
            body = r->zbuf.data + AW_PROTO_HEADER_SIZE;
            blen = r->zbuf.len - AW_PROTO_HEADER_SIZE;
        }
        int rc = aw_scanq_reader_feed(&n->reader, body, blen, &sink, e);
        if (rc != AW_OK)
            return rc;
    }
    if (n->in_off == in->len)
        in->len = n->in_off = 0;
    return 0;
}

/* Reads what has arrived and hands it on. */
static void node_read(qrun *r, qnode *n) {
    aw_error e;
    aw_error_reset(&e);
    for (;;) {
        aw_buf *in = &n->in;
        if (in->cap - in->len < READ_CHUNK / 4 && !aw_buf_reserve(in, READ_CHUNK)) {
            in->oom = false;
            aw_error_set(&e, AW_ERR_NOMEM, "no memory to read a scan/query reply");
            node_fail(r, n, AW_ERR_NOMEM, &e);
            return;
        }
        size_t room = in->cap - in->len, got;
        aw_io io = aw_sock_read(&n->sock, in->data + in->len, room, &got);
        if (io == AW_IO_OK) {
            in->len += got;
            n->progress = aw_now_ms();
            int rc = feed(r, n, &e);
            if (rc != 0) {
                if (e.code != rc) /* the sink's own stop */
                    aw_error_set(&e, rc, "%s", aw_strerror(rc));
                if (rc == AW_ERR_CLIENT_ABORT || rc == AW_ERR_NOMEM) {
                    node_close(n, false);
                    if (!r->stop) {
                        r->stop = rc;
                        r->stop_err = e;
                    }
                } else {
                    node_fail(r, n, rc, &e);
                }
                return;
            }
            if (n->reader.done) {
                node_end(r, n);
                return;
            }
            /* A TLS read returns one record at most: read on while the session
             * holds bytes already taken off the socket, which no event reports. */
            if (got < room && !aw_sock_pending(&n->sock))
                return;
            continue;
        }
        if (io == AW_IO_WANT_READ || io == AW_IO_WANT_WRITE)
            return;
        int rc = io == AW_IO_CLOSED ? AW_ERR_NO_RESPONSE : aw_sock_error_code(&n->sock);
        if (io == AW_IO_CLOSED) {
            aw_error_set(&e, rc, "connection closed during the scan/query reply");
        } else {
            char why[128];
            aw_sock_why(&n->sock, why, sizeof why);
            aw_error_set(&e, rc, "recv: %s", why);
        }
        node_fail(r, n, rc, &e);
        return;
    }
}

static void node_write(qrun *r, qnode *n) {
    while (n->out_off < n->out.len) {
        size_t w;
        aw_io io = aw_sock_write(&n->sock, n->out.data + n->out_off, n->out.len - n->out_off, &w);
        if (io == AW_IO_OK) {
            n->out_off += w;
            n->progress = aw_now_ms();
            continue;
        }
        if (io == AW_IO_WANT_WRITE || io == AW_IO_WANT_READ)
            return;
        aw_error e;
        char why[128];
        aw_sock_why(&n->sock, why, sizeof why);
        aw_error_set(&e, aw_sock_error_code(&n->sock), "send: %s", why);
        node_fail(r, n, e.code, &e);
        return;
    }
}

/* Encodes the node's request and takes a connection for it. */
static void node_start(qrun *r, qnode *n) {
    const aw_query_policy *pol = r->pol;
    aw_error e;
    n->running = true;
    n->ended = false;
    n->sock = aw_sock_none();
    n->start_ns = r->client->metrics_on ? aw_metrics_now_ns() : 0;
    aw_buf_reset(&n->out);
    n->out_off = 0;
    aw_buf_reset(&n->in);
    n->in_off = 0;
    aw_scanq_reader_init(&n->reader);
    aw_tspan_request(r->span, n->node->name);
    int rc = aw_query_encode_node(&n->out, pol, r->q, n->parts, n->n_parts, n->max, &e);
    if (rc != AW_OK) {
        node_close(n, false);
        if (!r->stop) {
            r->stop = rc;
            r->stop_err = e;
        }
        return;
    }
    if (aw_node_backed_off(n->node)) {
        aw_error_set(&e, AW_ERR_MAX_ERROR_RATE, "too many errors, backing off");
        node_fail(r, n, e.code, &e);
        return;
    }
    uint64_t now = aw_now_ms(), dl = r->deadline;
    if (pol->base.socket_timeout_ms && (dl == 0 || now + pol->base.socket_timeout_ms < dl))
        dl = now + pol->base.socket_timeout_ms;
    rc = aw_node_conn_get(n->node, dl, pol->base.pool == AW_POOL_WAIT, &n->sock, &e);
    if (rc != AW_OK) {
        node_fail(r, n, rc, &e);
        return;
    }
    n->progress = aw_now_ms();
    node_write(r, n);
}

/* --- rounds ------------------------------------------------------------------ */

static qnode *node_slot(qrun *r, aw_node *node) {
    for (size_t i = 0; i < r->n_nodes; i++)
        if (r->nodes[i].node == node)
            return &r->nodes[i];
    qnode *n = &r->nodes[r->n_nodes++];
    memset(n, 0, sizeof *n);
    n->node = node;
    n->sock = aw_sock_none();
    aw_node_retain(node);
    aw_buf_init(&n->out);
    aw_buf_init(&n->in);
    return n;
}

static void free_nodes(qrun *r) {
    for (size_t i = 0; i < r->n_nodes; i++) {
        qnode *n = &r->nodes[i];
        if (n->sock.fd >= 0)
            aw_node_conn_put(n->node, &n->sock, false);
        aw_node_release(n->node);
        aw_free(n->parts);
        aw_buf_free(&n->out);
        aw_buf_free(&n->in);
    }
    aw_free(r->nodes);
    r->nodes = NULL;
    r->n_nodes = 0;
}

static int group_add(void *ctx, aw_node *node, aw_partition_info *p, aw_error *err) {
    qnode *n = node_slot(ctx, node);
    return aw_query_group_add(&n->parts, &n->n_parts, &n->cap, p, err);
}

static void group_orphan(void *ctx, const aw_error *e) {
    note_error(ctx, AW_ERR_INVALID_NODE, e);
}

/* Groups the partitions to ask by master. `all`: every partition not done
 * (the first round), else only those flagged retry. */
static int assign(qrun *r, bool all, aw_error *err) {
    aw_cluster_view *v = aw_cluster_view_acquire(r->client->cluster);
    const aw_partition_table *t = aw_view_table(v, r->q->ns);
    if (!t) {
        aw_cluster_view_release(v);
        return aw_error_set(err, AW_ERR_NAMESPACE_NOT_FOUND, "namespace '%s' is not served",
                            r->q->ns);
    }
    r->nodes = aw_calloc(v->n_nodes ? v->n_nodes : 1, sizeof *r->nodes);
    if (!r->nodes) {
        aw_cluster_view_release(v);
        return aw_error_set(err, AW_ERR_NOMEM, "out of memory for the scan's nodes");
    }
    int rc = aw_query_group(t, r->ps, r->replica, all, group_add, group_orphan, r, err);
    aw_cluster_view_release(v);
    /* Shares of max_records (query_plan.h). */
    r->check_max = false;
    for (size_t i = 0; i < r->n_nodes && r->max_left; i++)
        r->nodes[i].max = aw_query_share(r->max_left, r->n_nodes, i, &r->check_max);
    return rc;
}

/* Runs the round's requests until every stream ended or something stops it. */
static void run_round(qrun *r) {
    uint32_t limit = r->pol->max_concurrent_nodes;
    struct pollfd pfd[r->n_nodes ? r->n_nodes : 1];
    qnode *pn[r->n_nodes ? r->n_nodes : 1];
    size_t next = 0;
    uint32_t sock_ms = r->pol->base.socket_timeout_ms;
    for (;;) {
        size_t running = 0;
        for (size_t i = 0; i < r->n_nodes; i++)
            running += r->nodes[i].running;
        while (!r->stop && next < r->n_nodes && (limit == 0 || running < limit)) {
            node_start(r, &r->nodes[next++]);
            running += r->nodes[next - 1].running;
        }
        size_t k = 0;
        for (size_t i = 0; i < r->n_nodes; i++) {
            qnode *n = &r->nodes[i];
            if (!n->running)
                continue;
            if (r->stop) { /* stop every stream: closing is how a client says so */
                node_close(n, false);
                continue;
            }
            pfd[k].fd = n->sock.fd;
            pfd[k].events = (short)(POLLIN | (n->out_off < n->out.len ? POLLOUT : 0));
            pfd[k].revents = 0;
            pn[k++] = n;
        }
        if (k == 0 && (r->stop || next == r->n_nodes))
            return;
        if (k == 0)
            continue;
        uint64_t now = aw_now_ms(), due = r->deadline;
        for (size_t i = 0; sock_ms && i < k; i++)
            if (due == 0 || pn[i]->progress + sock_ms < due)
                due = pn[i]->progress + sock_ms;
        int wait = -1;
        if (due)
            wait = due > now ? (int)(due - now > 1000000 ? 1000000 : due - now) : 0;
        int nr = poll(pfd, (nfds_t)k, wait);
        if (nr < 0 && errno != EINTR) {
            aw_error e;
            aw_error_set(&e, AW_ERR_CONNECTION, "poll: %s", aw_errno_str(errno));
            for (size_t i = 0; i < k; i++)
                node_fail(r, pn[i], AW_ERR_CONNECTION, &e);
            continue;
        }
        uint64_t before = aw_now_ms();
        for (size_t i = 0; nr > 0 && i < k; i++) {
            short ev = pfd[i].revents;
            if ((ev & POLLOUT) && pn[i]->running)
                node_write(r, pn[i]);
            /* Once stopped (the sink said so, or a final error), no
             * other stream is read: the sink must get no record after
             * its stop, and the cursor none it did not get. */
            if ((ev & (POLLIN | POLLHUP | POLLERR)) && pn[i]->running && !r->stop)
                node_read(r, pn[i]);
        }
        /* Time spent in the record callback is the application's, not a
         * silent server's: it does not count against the socket timeout. */
        now = aw_now_ms();
        for (size_t i = 0; i < k; i++)
            if (pn[i]->running && pfd[i].revents == 0)
                pn[i]->progress += now - before;
        if (r->deadline && now >= r->deadline && !r->stop) {
            r->stop = AW_ERR_TIMEOUT;
            aw_error_set(&r->stop_err, AW_ERR_TIMEOUT, "scan/query total timeout of %u ms reached",
                         r->pol->base.total_timeout_ms);
        }
        for (size_t i = 0; sock_ms && i < k; i++) {
            qnode *n = pn[i];
            if (n->running && now >= n->progress + sock_ms) {
                aw_error e;
                aw_error_set(&e, AW_ERR_TIMEOUT, "no reply for %u ms", sock_ms);
                node_fail(r, n, AW_ERR_TIMEOUT, &e);
            }
        }
    }
}

int aw_query_exec(aw_client *client, const aw_query_policy *pol, const aw_query *q,
                  aw_partition_status *ps, aw_query_sink_fn sink, void *sink_ctx, aw_tspan *span,
                  aw_error *err) {
    qrun r;
    memset(&r, 0, sizeof r);
    aw_tspan off = {.on = false};
    r.span = span ? span : &off;
    r.client = client;
    r.pol = pol;
    r.q = q;
    r.ps = ps;
    r.sink = sink;
    r.sink_ctx = sink_ctx;
    r.max_left = pol->max_records;
    if (pol->base.total_timeout_ms)
        r.deadline = aw_now_ms() + pol->base.total_timeout_ms;
    aw_buf_init(&r.zbuf);
    int rc = AW_OK;
    for (uint32_t round = 0;; round++) {
        r.kept = 0;
        if (r.span->on)
            r.span->info.attempts = round + 1;
        if ((rc = assign(&r, round == 0, err)) == AW_OK)
            run_round(&r);
        free_nodes(&r);
        if (rc != AW_OK)
            break;
        if (r.stop) {
            rc = r.stop;
            if (err)
                *err = r.stop_err;
            break;
        }
        rc = aw_query_round_end(pol, ps, round, r.deadline, r.kept, &r.max_left, r.last_rc,
                                &r.last_err, err);
        if (rc != AW_QUERY_AGAIN)
            break;
        rc = AW_OK;
        atomic_fetch_add_explicit(&client->retries, 1, memory_order_relaxed);
        if (pol->base.sleep_between_retries_ms)
            aw_sleep_ms(pol->base.sleep_between_retries_ms);
    }
    aw_buf_free(&r.zbuf);
    atomic_fetch_add_explicit(&client->commands, 1, memory_order_relaxed);
    if (rc == AW_OK)
        aw_error_reset(err);
    return rc;
}
