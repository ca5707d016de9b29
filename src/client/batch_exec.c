/*
 * The sync batch engine: every node's request is sent at once on a pooled
 * sync connection, and all replies are read concurrently from the calling
 * thread with poll() (non-blocking sockets, one read buffer per request).
 * Each node has at most one request in flight; the next one is encoded
 * while it runs and sent when it completes (batch_plan.h), so memory stays
 * bounded whatever n is.
 *
 * Timeouts: the total deadline covers the whole batch (retries included);
 * the socket timeout is per request and counts from its last progress (a
 * byte sent or received), as a batch reply may stream for longer than one
 * single-record reply would take.
 */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "batch_plan.h"
#include "proto/errno_text.h"
#include "proto/frame.h"
#include "proto/mem.h"

#define READ_CHUNK (64u * 1024u)
/* The most a reply buffer grows to for room ahead of a frame (a bigger
 * frame still gets its own size). */
#define FRAMES_ROOM ((size_t)2 << 20)

typedef struct sync_run {
    aw_bplan p;
    aw_buf zbuf;            /* inflated frames */
    struct pollfd *pfd;
    aw_breq **preq;
    size_t cap;
} sync_run;

static void count_end(sync_run *s, aw_breq *r, int rc) {
    aw_client *c = s->p.client;
    atomic_fetch_add_explicit(&c->commands, 1, memory_order_relaxed);
    if (rc == AW_ERR_TIMEOUT)
        atomic_fetch_add_explicit(&c->timeouts, 1, memory_order_relaxed);
    if (c->metrics_on) {
        aw_mblock *m = r->bn->node->m;
        aw_mblock_command(m, AW_MT_BATCH, rc, false, aw_metrics_now_ns() - r->start_ns);
        aw_mcount(&m->bytes_sent, r->buf.len);
        aw_mcount(&m->bytes_received, r->in.len);
        if (rc == AW_ERR_TIMEOUT)
            aw_mcount(&m->timeouts, 1);
    }
}

/* Whether a client-side failure says something about the node's health. */
static bool node_fault(int rc) {
    return rc == AW_ERR_CONNECTION || rc == AW_ERR_NO_RESPONSE || rc == AW_ERR_TIMEOUT ||
           rc == AW_ERR_PROTO;
}

/* r failed with rc: its socket is closed (its stream may hold a stale
 * reply), its rows retried or reported. */
static void req_fail(sync_run *s, aw_breq *r, int rc, aw_error *e, uint64_t now) {
    aw_node *node = r->bn->node;
    if (r->sock.fd >= 0) {
        aw_node_conn_put(node, &r->sock, false);
        if (node_fault(rc)) {
            aw_node_add_error(node);
            if (rc != AW_ERR_TIMEOUT)
                aw_cluster_tend_now(s->p.client->cluster);
        }
        count_end(s, r, rc);
    }
    aw_bplan_failed(&s->p, r, rc, e, now);
}

static void req_finish(sync_run *s, aw_breq *r, uint64_t now) {
    /* Bytes after the LAST frame mean the stream is out of step. */
    bool reusable = r->in_off == r->in.len;
    aw_node_conn_put(r->bn->node, &r->sock, reusable);
    count_end(s, r, AW_OK);
    aw_bplan_done(&s->p, r, now);
}

/* Writes what the socket takes; false when r failed (and was released). */
static bool req_write(sync_run *s, aw_breq *r, uint64_t now) {
    while (r->out_off < r->buf.len) {
        size_t w;
        aw_io io = aw_sock_write(&r->sock, r->buf.data + r->out_off, r->buf.len - r->out_off, &w);
        if (io == AW_IO_OK) {
            r->out_off += w;
            r->sent = true;
            r->progress = now;
            continue;
        }
        if (io == AW_IO_WANT_WRITE || io == AW_IO_WANT_READ)
            return true;
        aw_error e;
        char why[128];
        aw_sock_why(&r->sock, why, sizeof why);
        aw_error_set(&e, aw_sock_error_code(&r->sock), "send: %s", why);
        req_fail(s, r, e.code, &e, now);
        return false;
    }
    return true;
}

/* Parses every complete frame in r->in: 0 more to come, 1 the stream
 * ended, or a negative code with e. */
static int req_parse(sync_run *s, aw_breq *r, aw_error *e) {
    aw_buf *in = &r->in;
    while (in->len - r->in_off >= AW_PROTO_HEADER_SIZE) {
        const uint8_t *h8 = in->data + r->in_off;
        aw_proto_header h;
        int rc = aw_proto_header_read(h8, AW_PROTO_HEADER_SIZE, 0, &h, e);
        if (rc != AW_OK)
            return AW_ERR_PROTO;
        if (h.type != AW_PROTO_MSG && h.type != AW_PROTO_COMPRESSED)
            return aw_error_set(e, AW_ERR_PROTO, "unexpected frame type %u in a batch reply",
                                h.type);
        size_t need = AW_PROTO_HEADER_SIZE + (size_t)h.size;
        if (in->len - r->in_off < need) {
            /* Room for the whole frame where it starts; else it is moved to
             * the front, in a buffer of a few frames, so that moving a
             * frame's first part comes once in several frames, not for
             * each (a batch reply is frames of 128 KB or so, read 64 KB at
             * a time). */
            if (in->cap - r->in_off < need) {
                if (r->in_off) {
                    memmove(in->data, in->data + r->in_off, in->len - r->in_off);
                    in->len -= r->in_off;
                    r->in_off = 0;
                }
                size_t want = need <= FRAMES_ROOM / 4 ? 4 * need : need;
                if (!aw_buf_reserve(in, want - in->len))
                    return aw_error_set(e, AW_ERR_NOMEM, "no memory for a %zu-byte batch frame",
                                        need);
            }
            return 0;
        }
        const uint8_t *body = h8 + AW_PROTO_HEADER_SIZE;
        size_t blen = (size_t)h.size;
        r->in_off += need;
        aw_node_answered(r->bn->node);
        if (h.type == AW_PROTO_COMPRESSED) {
            rc = aw_frame_decompress(body, blen, 0, &s->zbuf, e);
            if (rc != AW_OK)
                return rc == AW_ERR_NOMEM ? rc : AW_ERR_PROTO;
            body = s->zbuf.data + AW_PROTO_HEADER_SIZE;
            blen = s->zbuf.len - AW_PROTO_HEADER_SIZE;
        }
        rc = aw_bplan_feed(&s->p, r, body, blen, e);
        if (rc != 0)
            return rc;
    }
    if (r->in_off == in->len)
        in->len = r->in_off = 0;
    return 0;
}

/* Reads what has arrived; false when r ended (finished or failed). */
static bool req_read(sync_run *s, aw_breq *r, uint64_t now) {
    aw_error e;
    aw_error_reset(&e);
    for (;;) {
        aw_buf *in = &r->in;
        if (in->cap - in->len < READ_CHUNK / 4) {
            if (r->in_off) {
                memmove(in->data, in->data + r->in_off, in->len - r->in_off);
                in->len -= r->in_off;
                r->in_off = 0;
            }
            if (in->cap - in->len < READ_CHUNK / 4 && !aw_buf_reserve(in, READ_CHUNK)) {
                in->oom = false;
                aw_error_set(&e, AW_ERR_NOMEM, "no memory to read a batch reply");
                req_fail(s, r, AW_ERR_NOMEM, &e, now);
                return false;
            }
        }
        size_t room = in->cap - in->len, n;
        aw_io io = aw_sock_read(&r->sock, in->data + in->len, room, &n);
        if (io == AW_IO_OK) {
            in->len += n;
            r->progress = now;
            int rc = req_parse(s, r, &e);
            if (rc == 1) {
                req_finish(s, r, now);
                return false;
            }
            if (rc < 0) {
                req_fail(s, r, rc, &e, now);
                return false;
            }
            /* A TLS read returns one record at most: read on while the session
             * holds bytes already taken off the socket, which no event reports. */
            if (n < room && !aw_sock_pending(&r->sock))
                return true;
            continue;
        }
        if (io == AW_IO_WANT_READ || io == AW_IO_WANT_WRITE)
            return true;
        int rc = io == AW_IO_CLOSED ? AW_ERR_NO_RESPONSE : aw_sock_error_code(&r->sock);
        if (io == AW_IO_CLOSED) {
            aw_error_set(&e, rc, "connection closed by the server during the batch reply");
        } else {
            char why[128];
            aw_sock_why(&r->sock, why, sizeof why);
            aw_error_set(&e, rc, "recv: %s", why);
        }
        req_fail(s, r, rc, &e, now);
        return false;
    }
}

/* Takes a connection for r and starts sending; r may fail (and be released). */
static void req_start(sync_run *s, aw_breq *r, uint64_t now) {
    aw_bplan *p = &s->p;
    aw_node *node = r->bn->node;
    const aw_policy *b = &p->pol.base;
    aw_error e;
    r->sock = aw_sock_none();
    r->out_off = 0;
    r->sent = false;
    r->start_ns = p->client->metrics_on ? aw_metrics_now_ns() : 0;
    if (!aw_node_is_active(node)) {
        aw_error_set(&e, AW_ERR_INVALID_NODE, "node %s (%s) has left the cluster", node->name,
                     node->addr_str);
        aw_bplan_failed(p, r, e.code, &e, now);
        return;
    }
    if (aw_node_backed_off(node)) {
        aw_error_set(&e, AW_ERR_MAX_ERROR_RATE, "node %s: too many errors, backing off",
                     node->addr_str);
        aw_bplan_failed(p, r, e.code, &e, now);
        return;
    }
    uint64_t dl = p->deadline;
    if (b->socket_timeout_ms && (dl == 0 || now + b->socket_timeout_ms < dl))
        dl = now + b->socket_timeout_ms;
    aw_sock sock;
    int rc = aw_node_conn_get(node, dl, b->pool == AW_POOL_WAIT, &sock, &e);
    if (rc != AW_OK) {
        /* Only a failed connect or handshake says something about the
         * node: a timeout here may just be a wait for a busy pool. */
        if (rc == AW_ERR_CONNECTION || rc == AW_ERR_TLS) {
            aw_node_add_error(node);
            aw_cluster_tend_now(p->client->cluster);
        }
        aw_bplan_failed(p, r, rc, &e, aw_now_ms());
        return;
    }
    r->sock = sock;
    now = aw_now_ms();
    r->progress = now;
    aw_buf_reset(&r->in);
    r->in_off = 0;
    req_write(s, r, now);
}

/* Places rows and sends whatever can go, until nothing more can. */
static void pump(sync_run *s) {
    aw_bplan *p = &s->p;
    for (;;) {
        uint64_t now = aw_now_ms();
        aw_bplan_fill(p, now);
        bool any = false;
        aw_breq *r;
        while ((r = aw_bplan_next(p))) {
            any = true;
            req_start(s, r, now);
        }
        if (!any)
            return;
    }
}

static size_t gather(sync_run *s) {
    size_t k = 0;
    for (aw_bnode *bn = s->p.nodes; bn; bn = bn->next) {
        aw_breq *r = bn->inflight;
        if (!r)
            continue;
        if (k == s->cap) {
            size_t cap = s->cap ? s->cap * 2 : 16;
            struct pollfd *pf = aw_realloc(s->pfd, cap * sizeof *pf);
            if (pf)
                s->pfd = pf;
            aw_breq **pr = pf ? aw_realloc(s->preq, cap * sizeof *pr) : NULL;
            if (pr)
                s->preq = pr;
            if (!pf || !pr)
                return k; /* the others wait for the next round */
            s->cap = cap;
        }
        s->pfd[k].fd = r->sock.fd;
        s->pfd[k].events = (short)(POLLIN | (r->out_off < r->buf.len ? POLLOUT : 0));
        s->pfd[k].revents = 0;
        s->preq[k] = r;
        k++;
    }
    return k;
}

static void sleep_until(uint64_t t) {
    uint64_t now = aw_now_ms();
    if (t <= now)
        return;
    uint64_t ms = t - now;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void run(sync_run *s) {
    aw_bplan *p = &s->p;
    uint32_t sock_ms = p->pol.base.socket_timeout_ms;
    for (;;) {
        uint64_t now = aw_now_ms();
        if (p->deadline && now >= p->deadline) {
            char msg[96];
            snprintf(msg, sizeof msg, "batch total timeout of %u ms reached",
                     p->pol.base.total_timeout_ms);
            aw_error e;
            for (aw_bnode *bn = p->nodes; bn; bn = bn->next) {
                if (bn->inflight) {
                    aw_error_set(&e, AW_ERR_TIMEOUT, "%s", msg);
                    req_fail(s, bn->inflight, AW_ERR_TIMEOUT, &e, now);
                }
            }
            aw_bplan_expire(p, AW_ERR_TIMEOUT, msg);
            return;
        }
        pump(s);
        size_t k = gather(s);
        if (k == 0) {
            if (aw_bplan_finished(p))
                return;
            if (p->n_retry && p->retry_wake > aw_now_ms()) {
                uint64_t t = p->retry_wake;
                if (p->deadline && p->deadline < t)
                    t = p->deadline;
                sleep_until(t);
                continue;
            }
            /* Rows left that nothing can send: cannot happen, but never spin. */
            aw_bplan_expire(p, AW_ERR_CLIENT, "batch: rows left with no request to carry them");
            return;
        }
        /* Wait for the earliest of: the total deadline, a socket timeout, a retry wake-up. */
        now = aw_now_ms();
        uint64_t due = p->deadline;
        if (p->n_retry && p->retry_wake > now && (due == 0 || p->retry_wake < due))
            due = p->retry_wake;
        for (size_t i = 0; sock_ms && i < k; i++) {
            uint64_t d = s->preq[i]->progress + sock_ms;
            if (due == 0 || d < due)
                due = d;
        }
        int wait = -1;
        if (due)
            wait = due > now ? (int)(due - now > 1000000 ? 1000000 : due - now) : 0;
        int nr = poll(s->pfd, (nfds_t)k, wait);
        if (nr < 0 && errno != EINTR) {
            aw_error e;
            aw_error_set(&e, AW_ERR_CONNECTION, "poll: %s", aw_errno_str(errno));
            for (size_t i = 0; i < k; i++)
                req_fail(s, s->preq[i], AW_ERR_CONNECTION, &e, aw_now_ms());
            continue;
        }
        now = aw_now_ms();
        for (size_t i = 0; nr > 0 && i < k; i++) {
            aw_breq *r = s->preq[i];
            short ev = s->pfd[i].revents;
            if (ev == 0)
                continue;
            bool alive = true;
            if ((ev & POLLOUT) && r->out_off < r->buf.len)
                alive = req_write(s, r, now);
            if (alive && (ev & (POLLIN | POLLHUP | POLLERR)))
                (void)req_read(s, r, now);
        }
        /* Socket timeouts: no progress on a request for socket_timeout_ms. */
        if (sock_ms) {
            for (aw_bnode *bn = p->nodes; bn; bn = bn->next) {
                aw_breq *r = bn->inflight;
                if (r && now >= r->progress + sock_ms) {
                    aw_error e;
                    aw_error_set(&e, AW_ERR_TIMEOUT, "no reply for %u ms", sock_ms);
                    req_fail(s, r, AW_ERR_TIMEOUT, &e, now);
                }
            }
        }
    }
}

int aw_batch_exec(aw_client *client, const aw_batch_policy *policy, const aw_batch_source *src,
                  const aw_batch_sink *sink, const char *name, aw_error *err) {
    aw_error local;
    aw_error *e = err ? err : &local;
    if (!client)
        return aw_error_set(e, AW_ERR_PARAM, "batch: client is NULL");
    if (!src || !sink)
        return aw_error_set(e, AW_ERR_PARAM, "batch: NULL source or sink");
    sync_run s;
    memset(&s, 0, sizeof s);
    if (src->n == 0) { /* nothing to send: still one (empty) call */
        aw_tspan_begin(&s.p.span, client, AW_MT_BATCH, name, NULL, NULL, false, 0, 0);
        aw_tspan_end(&s.p.span, AW_OK, 0);
        aw_error_reset(e);
        return AW_OK;
    }
    int rc = aw_bplan_init(&s.p, client, policy, src, sink, aw_now_ms(), e);
    if (rc != AW_OK)
        return rc;
    aw_bplan_trace_begin(&s.p, name, false, 0);
    aw_buf_init(&s.zbuf);
    run(&s);
    aw_tspan_end(&s.p.span, AW_OK, 0);
    aw_buf_free(&s.zbuf);
    aw_free(s.pfd);
    aw_free(s.preq);
    aw_bplan_free(&s.p);
    aw_error_reset(e);
    return AW_OK;
}
