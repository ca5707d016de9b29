/*
 * One async connection: connect, pipelined writes from one output buffer,
 * reads of as many replies as have arrived, and failure that hands each
 * in-flight command back to the retry logic exactly once.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "cluster/log.h"
#include "cluster/login.h"
#include "cluster/tls.h"
#include "conn.h"
#include "proto/errno_text.h"
#include "proto/frame.h"
#include "proto/mem.h"

#define READ_BUF_INIT (64u * 1024u)  /* first read buffer */
#define READ_MIN_ROOM 4096u          /* compact or grow below this much free space */
#define BUF_KEEP (1u << 20)          /* buffers above this are freed once drained */
#define READS_PER_EVENT 8            /* recv() calls per readiness event at most */
#define MAX_FREE_REQUEUES 3          /* unsent requeues before an attempt is counted */

static inline aw_loop *loop_of(const aw_conn *c) { return c->ln->loop; }

static void watch(aw_conn *c, short ev) {
    if (c->watching != ev) {
        c->watching = ev;
        loop_of(c)->hooks.io_update(c->io, ev);
    }
}

/* What to read for: nothing while a stream holds the connection paused. */
static short read_events(const aw_conn *c) { return c->paused ? 0 : AW_EV_READ; }

/* --- List membership ---------------------------------------------------------- */

static void idle_push(aw_conn *c) {
    aw_loop_node *ln = c->ln;
    c->in_idle = true;
    c->iprev = NULL;
    c->inext = ln->idle;
    if (ln->idle)
        ln->idle->iprev = c;
    ln->idle = c;
}

static void idle_remove(aw_conn *c) {
    if (!c->in_idle)
        return;
    if (c->iprev)
        c->iprev->inext = c->inext;
    else
        c->ln->idle = c->inext;
    if (c->inext)
        c->inext->iprev = c->iprev;
    c->inext = c->iprev = NULL;
    c->in_idle = false;
}

static void dirty_add(aw_conn *c) {
    if (c->in_dirty)
        return;
    aw_loop *l = loop_of(c);
    c->in_dirty = true;
    c->dprev = NULL;
    c->dnext = l->dirty;
    if (l->dirty)
        l->dirty->dprev = c;
    l->dirty = c;
    aw_loop_schedule(l);
}

static void dirty_remove(aw_conn *c) {
    if (!c->in_dirty)
        return;
    if (c->dprev)
        c->dprev->dnext = c->dnext;
    else
        loop_of(c)->dirty = c->dnext;
    if (c->dnext)
        c->dnext->dprev = c->dprev;
    c->dnext = c->dprev = NULL;
    c->in_dirty = false;
}

/* --- Open and free ---------------------------------------------------------------- */

static void conn_io(int fd, short events, void *arg);

aw_conn *aw_conn_open(aw_loop_node *ln, aw_error *err) {
    aw_loop *l = ln->loop;
    if (!aw_loop_heap_add_user(l)) {
        aw_error_set(err, AW_ERR_NOMEM, "no memory for a connection");
        return NULL;
    }
    uint32_t cap = 1;
    while (cap < ln->depth)
        cap <<= 1;
    aw_conn *c = aw_calloc(1, sizeof *c);
    aw_acmd **fifo = aw_calloc(cap, sizeof *fifo);
    if (!c || !fifo) {
        aw_free(c);
        aw_free(fifo);
        aw_loop_heap_drop_user(l);
        aw_error_set(err, AW_ERR_NOMEM, "no memory for a connection");
        return NULL;
    }
    int fd = -1;
    if (aw_net_connect_start(&ln->node->addr, &fd, err) != AW_OK) {
        aw_free(c);
        aw_free(fifo);
        aw_loop_heap_drop_user(l);
        return NULL;
    }
    c->io = l->hooks.io_new(l->hooks.ctx, fd, conn_io, c);
    if (!c->io) {
        aw_net_close(fd);
        aw_free(c);
        aw_free(fifo);
        aw_loop_heap_drop_user(l);
        aw_error_set(err, AW_ERR_NOMEM, "no memory for a connection watcher");
        return NULL;
    }
    c->ln = ln;
    c->sock = aw_sock_plain(fd);
    c->state = AW_CONN_CONNECTING;
    c->fifo = fifo;
    c->fifo_mask = cap - 1;
    c->hn.kind = AW_HEAP_CONN;
    c->hn.index = AW_HEAP_NONE;
    aw_buf_init(&c->out);
    aw_buf_init(&c->auth);
    aw_buf_init(&c->in);
    c->prev = NULL;
    c->next = ln->conns;
    if (ln->conns)
        ln->conns->prev = c;
    ln->conns = c;
    ln->n_conns++;
    watch(c, AW_EV_WRITE);
    aw_heap_push(l, &c->hn, aw_now_ms() + l->connect_timeout_ms);
    atomic_fetch_add_explicit(&aw_cluster_counters_of(l->client->cluster)->conns_opened, 1,
                              memory_order_relaxed);
    aw_mblock_conn_opened(ln->node->m); /* metrics */
    c->connect_ns = aw_metrics_now_ns(); /* metrics: see aw_node_connect_done */
    return c;
}

/* Out of every list, events and socket gone; the FIFO is left to the caller. */
static void conn_teardown(aw_conn *c, aw_close_reason why) {
    aw_loop_node *ln = c->ln;
    aw_loop *l = ln->loop;
    if (c->prev)
        c->prev->next = c->next;
    else
        ln->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->next = c->prev = NULL;
    ln->n_conns--;
    idle_remove(c);
    dirty_remove(c);
    aw_heap_remove(l, &c->hn);
    l->hooks.io_free(c->io);
    c->io = NULL;
    aw_sock_close(&c->sock);
    atomic_fetch_add_explicit(&aw_cluster_counters_of(l->client->cluster)->conns_closed, 1,
                              memory_order_relaxed);
    aw_mblock_conn_closed(ln->node->m, why); /* metrics */
}

static void conn_free(aw_conn *c) {
    aw_loop_heap_drop_user(loop_of(c));
    aw_buf_free(&c->out);
    aw_buf_free(&c->auth);
    aw_buf_free(&c->in);
    aw_free(c->fifo);
    aw_free(c);
}

/* Takes the FIFO's head (NULL when its command was abandoned). */
static aw_acmd *fifo_pop(aw_conn *c) {
    aw_acmd *cmd = c->fifo[c->fifo_head];
    c->fifo[c->fifo_head] = NULL;
    c->fifo_head = (c->fifo_head + 1) & c->fifo_mask;
    c->fifo_count--;
    if (cmd) {
        if (c->written > cmd->wire_start)
            cmd->n_sent++;
        cmd->conn = NULL;
    }
    return cmd;
}

/* --- Queueing and sending ------------------------------------------------------ */

/* How long a command waits without reply progress before its attempt is
 * given up: its socket timeout, bounded by its total timeout (the command's
 * own deadline ends it then anyway; this also lets a connection whose
 * requests were all abandoned be closed). 0 = never. */
static uint32_t stall_limit(const aw_acmd *cmd) {
    uint32_t s = cmd->pol.socket_timeout_ms, t = cmd->pol.total_timeout_ms;
    if (s == 0)
        return t;
    return (t && t < s) ? t : s;
}

/* When cmd's attempt on c times out if nothing more is read; 0 = never. */
static uint64_t stall_due(const aw_conn *c, const aw_acmd *cmd) {
    uint32_t lim = stall_limit(cmd);
    if (lim == 0)
        return 0;
    uint64_t from = c->last_progress > cmd->queued_at ? c->last_progress : cmd->queued_at;
    return from + lim;
}

/* Makes sure the heap looks at c by `due` (0: nothing to do). Progress only
 * moves deadlines later, so an early wake-up just re-arms. */
static void stall_arm(aw_conn *c, uint64_t due) {
    if (due == 0 || c->state != AW_CONN_READY || c->paused)
        return;
    if (!aw_heap_contains(&c->hn) || c->hn.due > due)
        aw_heap_set(loop_of(c), &c->hn, due);
}

int aw_conn_push(aw_conn *c, aw_acmd *cmd) {
    aw_loop *l = loop_of(c);
    size_t len = cmd->req.len;
    if (!aw_buf_reserve(&c->out, len)) {
        c->out.oom = false; /* the buffer itself is intact */
        return AW_ERR_NOMEM;
    }
    memcpy(c->out.data + c->out.len, cmd->req.data, len);
    c->out.len += len;
    uint32_t slot = (c->fifo_head + c->fifo_count) & c->fifo_mask;
    c->fifo[slot] = cmd;
    c->fifo_count++;
    cmd->conn = c;
    cmd->fifo_slot = slot;
    cmd->wire_start = c->queued;
    c->queued += len;
    cmd->state = AW_ACMD_SENT;
    cmd->queued_at = l->now;
    if (cmd->hooks)
        c->stream = true;
    idle_remove(c);
    if (c->state == AW_CONN_READY) {
        stall_arm(c, stall_due(c, cmd));
        /* Waiting for writability already: that event sends it. */
        if (!(c->watching & AW_EV_WRITE))
            dirty_add(c);
    }
    return AW_OK;
}

void aw_conn_abandon(aw_conn *c, aw_acmd *cmd) {
    if (c->written > cmd->wire_start)
        cmd->n_sent++;
    c->fifo[cmd->fifo_slot] = NULL;
    cmd->conn = NULL;
}

static bool login_flush(aw_conn *c);

/* Sends b from *off on until it is all gone (1), the socket (or the TLS
 * session) cannot take more now (0: what it waits for is watched) or it
 * failed (-1: c was failed and freed). Bytes sent are added to *count as
 * they go (when count is not NULL), so a failure knows which requests left. */
static int send_from(aw_conn *c, const aw_buf *b, size_t *off, uint64_t *count) {
    while (*off < b->len) {
        size_t n;
        aw_io io = aw_sock_write(&c->sock, b->data + *off, b->len - *off, &n);
        if (io == AW_IO_OK) {
            *off += n;
            if (count)
                *count += (uint64_t)n;
            aw_mcount(&c->ln->node->m->bytes_sent, (uint64_t)n); /* metrics */
            continue;
        }
        if (io == AW_IO_WANT_WRITE) {
            watch(c, (short)(read_events(c) | AW_EV_WRITE));
            return 0;
        }
        if (io == AW_IO_WANT_READ)
            return 0; /* a TLS write waiting for a record: the read event retries it */
        char why[128];
        aw_sock_why(&c->sock, why, sizeof why);
        aw_node_add_error(c->ln->node);
        aw_conn_fail(c, aw_sock_error_code(&c->sock), "send to %s: %s", c->ln->node->addr_str,
                     why);
        return -1;
    }
    return 1;
}

/* Whether bytes wait to be sent: the login request while logging in, else requests. */
static bool unsent(const aw_conn *c) {
    if (c->state == AW_CONN_LOGIN)
        return c->auth_off < c->auth.len;
    return c->out_off < c->out.len;
}

/* false when c was freed */
static bool conn_flush(aw_conn *c) {
    dirty_remove(c);
    if (c->state == AW_CONN_LOGIN)
        return login_flush(c);
    if (c->state != AW_CONN_READY)
        return true;
    int sent = send_from(c, &c->out, &c->out_off, &c->written);
    if (sent <= 0)
        return sent == 0; /* -1: c is gone */
    aw_buf_reset(&c->out);
    c->out_off = 0;
    if (c->watching & AW_EV_WRITE)
        watch(c, read_events(c));
    return true;
}

static bool conn_read(aw_conn *c);
static void conn_settle(aw_conn *c);

void aw_conn_flush(aw_conn *c) {
    bool read_more = c->read_more;
    c->read_more = false;
    if (conn_flush(c) && read_more && !c->paused && conn_read(c))
        conn_settle(c);
}

/* --- Failure ---------------------------------------------------------------------- */

/* Each command still in the FIFO, in order: requeued for free when none of
 * its bytes left (and the connection had been up), else this attempt failed. */
static void conn_fail_err(aw_conn *c, int rc, const aw_error *e) {
    if (c->warming)
        aw_warm_conn_done(c, e);
    aw_loop_node *ln = c->ln;
    bool established = c->state == AW_CONN_READY;
    aw_log(AW_LOG_WARN, "node %s: connection closed: %s", ln->node->addr_str, e->message); /* log */
    conn_teardown(c, AW_CLOSE_ERROR);
    while (c->fifo_count) {
        bool unsent;
        aw_acmd *cmd = c->fifo[c->fifo_head];
        unsent = cmd && c->written <= cmd->wire_start;
        cmd = fifo_pop(c);
        if (!cmd)
            continue;
        if (established && unsent && cmd->free_requeues < MAX_FREE_REQUEUES) {
            cmd->free_requeues++;
            aw_acmd_requeue(cmd);
        } else {
            aw_acmd_attempt_failed(cmd, rc, e);
        }
    }
    /* Waiters were waiting for room on connections that may no longer be
     * there: route them again (a new connection can now be opened). */
    aw_acmd *w;
    while ((w = aw_list_pop(&ln->waitq)))
        aw_acmd_requeue(w);
    conn_free(c);
    aw_loop_node_maybe_free(ln);
}

void aw_conn_fail(aw_conn *c, int rc, const char *fmt, ...) {
    aw_error e;
    char msg[AW_ERROR_MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    aw_error_set(&e, rc, "%s", msg);
    conn_fail_err(c, rc, &e);
}

void aw_conn_close_idle(aw_conn *c) {
    /* A doomed connection's session was refused: never reused, like an error. */
    conn_teardown(c, c->ln->retired ? AW_CLOSE_NODE_LEFT
                     : c->doomed    ? AW_CLOSE_ERROR
                                    : AW_CLOSE_IDLE);
    conn_free(c);
}

void aw_conn_close_all(aw_conn *c) {
    if (c->warming) {
        aw_error e;
        aw_error_set(&e, AW_ERR_CLIENT_CLOSING, "the event loop was closed during the warm-up");
        aw_warm_conn_done(c, &e);
    }
    conn_teardown(c, AW_CLOSE_SHUTDOWN);
    while (c->fifo_count) {
        aw_acmd *cmd = fifo_pop(c);
        if (!cmd)
            continue;
        aw_error e;
        aw_error_set(&e, AW_ERR_CLIENT_CLOSING,
                     "the event loop was closed before the command completed");
        aw_acmd_complete(cmd, AW_ERR_CLIENT_CLOSING, &e, NULL, false);
    }
    conn_free(c);
}

void aw_conn_on_deadline(aw_conn *c, uint64_t now) {
    aw_loop *l = loop_of(c);
    aw_node *n = c->ln->node;
    if (c->state == AW_CONN_CONNECTING || c->state == AW_CONN_LOGIN) {
        aw_node_add_error(n);
        aw_loop_kick_tend(l);
        aw_conn_fail(c, AW_ERR_CONNECTION, "%s %s timed out after %u ms",
                     c->state == AW_CONN_LOGIN ? "login to" : "connect to", n->addr_str,
                     l->connect_timeout_ms);
        return;
    }
    if (c->state == AW_CONN_HANDSHAKE) {
        aw_node_add_error(n);
        aw_loop_kick_tend(l);
        aw_conn_fail(c, AW_ERR_TLS,
                     "TLS handshake with %s (TLS name %s) failed: no answer in %u ms (not a TLS "
                     "port?)",
                     n->addr_str, aw_node_tls_name(n), l->connect_timeout_ms);
        return;
    }
    if (c->fifo_count == 0)
        return;
    /* Each command whose socket deadline passed gives up this attempt (its
     * slot is abandoned); the others keep waiting on the connection. The
     * callbacks run below cannot touch this connection's FIFO. */
    uint64_t next = 0;
    uint32_t live = 0, timed_out = 0;
    for (uint32_t i = 0; i < c->fifo_count; i++) {
        uint32_t slot = (c->fifo_head + i) & c->fifo_mask;
        aw_acmd *cmd = c->fifo[slot];
        if (!cmd)
            continue;
        /* A paused stream waits for its consumer, not for the server. */
        uint64_t due = c->paused ? 0 : stall_due(c, cmd);
        if (due == 0 || due > now) {
            live++;
            if (due && (next == 0 || due < next))
                next = due;
            continue;
        }
        if (timed_out++ == 0)
            aw_node_add_error(n);
        aw_conn_abandon(c, cmd);
        aw_error e;
        aw_error_set(&e, AW_ERR_TIMEOUT, "no reply from %s for %u ms", n->addr_str,
                     stall_limit(cmd));
        aw_acmd_attempt_failed(cmd, AW_ERR_TIMEOUT, &e);
    }
    if (live == 0) {
        /* Nothing but abandoned requests on a connection that went quiet:
         * their replies may never come, so it cannot be reused. */
        aw_conn_fail(c, AW_ERR_TIMEOUT, "no reply from %s", n->addr_str);
        return;
    }
    if (next)
        aw_heap_push(l, &c->hn, next);
}

void aw_conn_trim(aw_conn *c) {
    if (c->in.cap > BUF_KEEP && c->in_off == c->in.len) {
        aw_buf_free(&c->in);
        c->in_off = 0;
    }
    if (c->out.cap > BUF_KEEP && c->out.len == 0)
        aw_buf_free(&c->out);
}

/* --- After replies: waiters, idleness ------------------------------------------- */

/* Fills c's pipeline from the node's wait queue, then parks it as idle when
 * it has nothing in flight (or closes it when its node is leaving). Last act
 * on c: it may be freed. */
static void conn_settle(aw_conn *c) {
    aw_loop_node *ln = c->ln;
    aw_loop *l = ln->loop;
    while (ln->waitq.n && !ln->retired && !l->closing && aw_conn_has_room(c)) {
        if (ln->waitq.head->hooks && c->fifo_count)
            break; /* a stream needs a connection of its own: the next idle one */
        aw_acmd *cmd = aw_list_pop(&ln->waitq);
        cmd->ln = NULL;
        if (aw_conn_push(c, cmd) != AW_OK) {
            aw_error e;
            aw_error_set(&e, AW_ERR_NOMEM, "no memory to queue the request");
            aw_acmd_complete(cmd, AW_ERR_NOMEM, &e, NULL, false);
        }
    }
    if (c->fifo_count || c->state != AW_CONN_READY || c->in_idle)
        return;
    if (ln->retired || c->doomed) {
        aw_conn_close_idle(c);
        aw_loop_node_maybe_free(ln);
        return;
    }
    aw_conn_trim(c);
    c->idle_since = l->now;
    idle_push(c);
}

/* --- Reading ---------------------------------------------------------------------- */

/* One reply for cmd; false when c was freed. */
static bool deliver(aw_conn *c, aw_acmd *cmd, const uint8_t *body, size_t len) {
    (void)c;
    aw_record rec;
    memset(&rec, 0, sizeof rec);
    bool exists = false;
    aw_error e;
    bool wants = cmd->kind == AW_CMD_GET || cmd->kind == AW_CMD_GET_HEADER ||
                 cmd->kind == AW_CMD_OPERATE;
    int rc = aw_cmd_parse_reply((aw_cmd_kind)cmd->kind, body, len, wants ? &rec : NULL, &exists,
                                &e);
    if (rc == AW_NOT_AUTHENTICATED && !cmd->relogged) {
        /* The node's session ended under this connection (the server did
         * not run the command): the connection goes once drained, the next
         * one logs in again, and the command is tried once more. */
        cmd->relogged = true;
        aw_session_drop(&c->ln->node->session);
        c->doomed = true;
        aw_record_free(&rec);
        aw_acmd_requeue(cmd);
        return true;
    }
    if (rc == AW_ERR_PROTO) {
        /* The frame was well delimited, so the stream is still in step: only
         * this command's attempt failed. */
        aw_record_free(&rec);
        aw_node_add_error(c->ln->node);
        aw_acmd_attempt_failed(cmd, rc, &e);
        return true;
    }
    aw_acmd_complete(cmd, rc, rc ? &e : NULL, wants ? &rec : NULL, exists);
    return true;
}

enum { FRAME_TAKEN, FRAME_HELD, CONN_FREED };

/* One frame of the stream command at the FIFO's head (the only one on c):
 * taken, held (the stream paused c: the frame stays in c->in), or c freed. */
static int stream_frame(aw_conn *c, const uint8_t *body, size_t len) {
    aw_acmd *cmd = c->fifo[c->fifo_head];
    if (!cmd) {
        /* Its command completed early (total timeout, close): where the rest
         * of its reply ends cannot be told, so the connection goes. */
        aw_conn_fail(c, AW_ERR_CLIENT, "reply to an abandoned request from %s",
                     c->ln->node->addr_str);
        return CONN_FREED;
    }
    aw_error e;
    aw_error_reset(&e);
    int r = cmd->hooks->frame(cmd, body, len, &e);
    if (r == AW_FRAME_MORE)
        return FRAME_TAKEN;
    if (r == AW_FRAME_PAUSE) {
        aw_conn_pause(c);
        return FRAME_HELD;
    }
    if (r == AW_FRAME_DONE) {
        fifo_pop(c);
        c->stream = false;
        aw_acmd_complete(cmd, AW_OK, NULL, NULL, false);
        return FRAME_TAKEN;
    }
    if (r != AW_ERR_NOMEM)
        aw_node_add_error(c->ln->node);
    if (e.code != r)
        aw_error_set(&e, r, NULL);
    conn_fail_err(c, r, &e);
    return CONN_FREED;
}

static bool login_frame(aw_conn *c, const aw_proto_header *h, const uint8_t *body);

/* Parses every complete frame in c->in; false when c was freed. */
static bool conn_parse(aw_conn *c) {
    aw_loop *l = loop_of(c);
    const char *addr = c->ln->node->addr_str;
    while (!c->paused && c->in.len - c->in_off >= AW_PROTO_HEADER_SIZE) {
        size_t start = c->in_off;
        const uint8_t *p = c->in.data + c->in_off;
        aw_proto_header h;
        aw_error e;
        if (aw_proto_header_read(p, AW_PROTO_HEADER_SIZE, 0, &h, &e) != AW_OK) {
            aw_node_add_error(c->ln->node);
            aw_conn_fail(c, AW_ERR_PROTO, "bad reply from %s: %s", addr, e.message);
            return false;
        }
        size_t need = AW_PROTO_HEADER_SIZE + (size_t)h.size;
        if (c->in.len - c->in_off < need) {
            if (need > c->in.cap - c->in_off) {
                /* A big frame: make room for all of it. */
                if (c->in_off) {
                    memmove(c->in.data, c->in.data + c->in_off, c->in.len - c->in_off);
                    c->in.len -= c->in_off;
                    c->in_off = 0;
                }
                if (!aw_buf_reserve(&c->in, need - c->in.len)) {
                    aw_conn_fail(c, AW_ERR_NOMEM, "no memory for a %zu-byte reply from %s", need,
                                 addr);
                    return false;
                }
            }
            break;
        }
        if (c->state == AW_CONN_LOGIN) {
            c->in_off += need;
            if (!login_frame(c, &h, p + AW_PROTO_HEADER_SIZE))
                return false;
            continue;
        }
        if (c->fifo_count == 0) {
            aw_node_add_error(c->ln->node);
            aw_conn_fail(c, AW_ERR_PROTO, "unexpected reply from %s", addr);
            return false;
        }
        if (h.type != AW_PROTO_MSG && h.type != AW_PROTO_COMPRESSED) {
            aw_node_add_error(c->ln->node);
            aw_conn_fail(c, AW_ERR_PROTO, "unexpected frame type %u from %s", h.type, addr);
            return false;
        }
        const uint8_t *body = p + AW_PROTO_HEADER_SIZE;
        size_t blen = (size_t)h.size;
        c->in_off += need;
        if (h.type == AW_PROTO_COMPRESSED) {
            if (aw_frame_decompress(body, blen, 0, &l->zbuf, &e) != AW_OK) {
                aw_node_add_error(c->ln->node);
                aw_conn_fail(c, e.code == AW_ERR_NOMEM ? AW_ERR_NOMEM : AW_ERR_PROTO,
                             "bad compressed reply from %s: %s", addr, e.message);
                return false;
            }
            body = l->zbuf.data + AW_PROTO_HEADER_SIZE;
            blen = l->zbuf.len - AW_PROTO_HEADER_SIZE;
        }
        aw_node_answered(c->ln->node);
        if (c->stream) {
            int r = stream_frame(c, body, blen);
            if (r == CONN_FREED)
                return false;
            if (r == FRAME_HELD)
                c->in_off = start; /* handed over again on resume */
            continue;
        }
        aw_acmd *cmd = fifo_pop(c);
        if (cmd && !deliver(c, cmd, body, blen))
            return false;
    }
    if (c->in_off == c->in.len)
        c->in.len = c->in_off = 0;
    return true;
}

/* Reads until the socket is drained (bounded); false when c was freed. */
static bool conn_read(aw_conn *c) {
    aw_loop *l = loop_of(c);
    for (int i = 0; i < READS_PER_EVENT; i++) {
        if (c->in.cap - c->in.len < READ_MIN_ROOM) {
            if (c->in_off) {
                memmove(c->in.data, c->in.data + c->in_off, c->in.len - c->in_off);
                c->in.len -= c->in_off;
                c->in_off = 0;
            }
            if (c->in.cap - c->in.len < READ_MIN_ROOM &&
                !aw_buf_reserve(&c->in, c->in.cap ? c->in.cap : READ_BUF_INIT)) {
                aw_conn_fail(c, AW_ERR_NOMEM, "no memory for reading from %s",
                             c->ln->node->addr_str);
                return false;
            }
        }
        size_t room = c->in.cap - c->in.len, r;
        aw_io io = aw_sock_read(&c->sock, c->in.data + c->in.len, room, &r);
        if (io == AW_IO_OK) {
            c->in.len += r;
            c->last_progress = l->now;
            l->bytes_in += (uint64_t)r;
            aw_mcount(&c->ln->node->m->bytes_received, (uint64_t)r); /* metrics */
            if (!conn_parse(c))
                return false;
            /* A TLS read returns one record at most: read on while the session
             * holds bytes already taken off the socket, which no event reports. */
            if (c->paused || (r < room && !aw_sock_pending(&c->sock)))
                break; /* drained for now */
            continue;
        }
        if (io == AW_IO_WANT_READ || io == AW_IO_WANT_WRITE)
            return true;
        aw_node *n = c->ln->node;
        if (c->fifo_count == 0 && c->state == AW_CONN_READY) {
            /* The server closed an idle connection (its idle timeout, a restart). */
            aw_loop_node *ln = c->ln;
            aw_conn_close_idle(c);
            aw_loop_node_maybe_free(ln);
            return false;
        }
        aw_node_add_error(n);
        aw_loop_kick_tend(l);
        if (io == AW_IO_CLOSED) {
            aw_conn_fail(c, AW_ERR_NO_RESPONSE, "%s closed the connection%s", n->addr_str,
                         c->state == AW_CONN_LOGIN ? " during the login" : "");
        } else {
            char why[128];
            aw_sock_why(&c->sock, why, sizeof why);
            aw_conn_fail(c, aw_sock_error_code(&c->sock), "recv from %s: %s", n->addr_str, why);
        }
        return false;
    }
    /* Stopped by the bound: records a TLS session already took off the
     * socket raise no event, so the deferred run reads them (on resume when paused). */
    if (!c->paused && aw_sock_pending(&c->sock)) {
        c->read_more = true;
        dirty_add(c);
    }
    return true;
}

/* Connected, through the TLS handshake and logged in: queued requests go out. */
static void conn_ready(aw_conn *c) {
    aw_loop *l = loop_of(c);
    c->state = AW_CONN_READY;
    aw_node_connect_done(c->ln->node, c->connect_ns); /* metrics: connect + TLS handshake + login */
    aw_heap_remove(l, &c->hn);
    if (c->warming)
        aw_warm_conn_done(c, NULL);
    c->last_progress = l->now; /* socket timeouts count from here */
    watch(c, read_events(c));
    for (uint32_t i = 0; i < c->fifo_count; i++) {
        aw_acmd *cmd = c->fifo[(c->fifo_head + i) & c->fifo_mask];
        if (cmd)
            stall_arm(c, stall_due(c, cmd));
    }
    if (c->out.len > c->out_off && !conn_flush(c))
        return;
    conn_settle(c);
}

/* --- Login (LOGIN state) -------------------------------------------------------- */

/* Queues the login or authenticate request and sends it; false when c was freed. */
static bool login_start(aw_conn *c, aw_login_creds *cr) {
    aw_buf_reset(&c->auth);
    c->auth_off = 0;
    aw_login_request(cr, &c->ln->node->session, &c->auth, &c->auth_is_login);
    if (!aw_buf_ok(&c->auth)) {
        aw_conn_fail(c, AW_ERR_NOMEM, "no memory for a login request");
        return false;
    }
    c->state = AW_CONN_LOGIN;
    watch(c, AW_EV_READ);
    return login_flush(c);
}

static bool login_flush(aw_conn *c) {
    int sent = send_from(c, &c->auth, &c->auth_off, NULL);
    if (sent > 0)
        watch(c, AW_EV_READ);
    return sent >= 0;
}

/* The server's answer to the login; false when c was freed. */
static bool login_frame(aw_conn *c, const aw_proto_header *h, const uint8_t *body) {
    aw_node *n = c->ln->node;
    aw_login_creds *cr = aw_cluster_login(loop_of(c)->client->cluster);
    aw_error e;
    if (h->type != AW_PROTO_ADMIN) {
        aw_node_add_error(n);
        aw_conn_fail(c, AW_ERR_PROTO, "frame type %u from %s in answer to a login", h->type,
                     n->addr_str);
        return false;
    }
    int rc = aw_login_reply(cr, &n->session, c->auth_is_login, body, (size_t)h->size, n->addr_str,
                            &e);
    if (rc == AW_LOGIN_RETRY && !c->auth_is_login)
        return login_start(c, cr); /* the token was refused: log in */
    if (rc == AW_LOGIN_RETRY)
        rc = aw_error_set(&e, AW_NOT_AUTHENTICATED, "login to %s refused", n->addr_str);
    if (rc != AW_OK) {
        conn_fail_err(c, rc, &e);
        return false;
    }
    aw_buf_free(&c->auth);
    /* Nothing else can be unread (no command was sent yet); conn_ready
     * sends and settles c, which may free it: stop parsing either way. */
    conn_ready(c);
    return false;
}

/* Connected (and through the TLS handshake): logs in when the client has
 * credentials, else the connection is ready. */
static void conn_secured(aw_conn *c) {
    aw_login_creds *cr = aw_cluster_login(loop_of(c)->client->cluster);
    if (cr)
        (void)login_start(c, cr);
    else
        conn_ready(c);
}

/* One step of the TLS handshake; its wants become the watched events. */
static void conn_handshake(aw_conn *c) {
    aw_io io = aw_tls_handshake(&c->sock);
    if (io == AW_IO_OK) {
        conn_secured(c);
        return;
    }
    if (io == AW_IO_WANT_READ || io == AW_IO_WANT_WRITE) {
        watch(c, io == AW_IO_WANT_READ ? AW_EV_READ : AW_EV_WRITE);
        return;
    }
    aw_error e;
    aw_tls_handshake_error(&c->sock, io, c->ln->node->addr_str, aw_node_tls_name(c->ln->node),
                           &e);
    aw_node_add_error(c->ln->node);
    aw_loop_kick_tend(loop_of(c));
    conn_fail_err(c, AW_ERR_TLS, &e);
}

static void conn_connected(aw_conn *c) {
    aw_loop *l = loop_of(c);
    aw_error e;
    int rc = aw_net_connect_finish(c->sock.fd, &e);
    aw_tls_ctx *tls = aw_cluster_tls(l->client->cluster);
    if (rc == AW_OK && tls)
        rc = aw_tls_attach(tls, &c->sock, aw_node_tls_name(c->ln->node), &e);
    if (rc != AW_OK) {
        aw_node_add_error(c->ln->node);
        aw_loop_kick_tend(l);
        conn_fail_err(c, e.code, &e);
        return;
    }
    if (!tls) {
        conn_secured(c);
        return;
    }
    c->state = AW_CONN_HANDSHAKE; /* still under the connect deadline */
    conn_handshake(c);
}

static void conn_io(int fd, short events, void *arg) {
    (void)fd;
    aw_conn *c = arg;
    aw_loop *l = loop_of(c);
    aw_loop_enter(l);
    aw_loop_tick(l);
    if (c->state == AW_CONN_CONNECTING) {
        conn_connected(c);
    } else if (c->state == AW_CONN_HANDSHAKE) {
        conn_handshake(c);
    } else {
        bool alive = true;
        if (events & AW_EV_WRITE)
            alive = conn_flush(c);
        if (alive && (events & AW_EV_READ) && !c->paused) {
            alive = conn_read(c);
            /* A TLS write that wanted a record to arrive first goes on. */
            if (alive && c->sock.ssl && unsent(c) && !(c->watching & AW_EV_WRITE))
                alive = conn_flush(c);
        }
        if (alive)
            conn_settle(c);
    }
    aw_loop_leave(l);
}

/* --- Pausing a stream ----------------------------------------------------------- */

void aw_conn_pause(aw_conn *c) {
    c->paused = true;
    if (c->state == AW_CONN_READY)
        watch(c, (short)(c->watching & AW_EV_WRITE));
}

bool aw_conn_resume(aw_conn *c) {
    if (!c->paused)
        return true;
    aw_loop *l = loop_of(c);
    c->paused = false;
    if (c->state != AW_CONN_READY)
        return true; /* connecting: conn_connected starts reading */
    /* The pause was the consumer's time, not a silent server's. */
    c->last_progress = l->now;
    watch(c, (short)(c->watching | AW_EV_READ));
    for (uint32_t i = 0; i < c->fifo_count; i++) {
        aw_acmd *cmd = c->fifo[(c->fifo_head + i) & c->fifo_mask];
        if (cmd)
            stall_arm(c, stall_due(c, cmd));
    }
    if (!conn_parse(c))
        return false;
    /* Records the TLS session took off the socket before the pause raise no event. */
    if (!c->paused && aw_sock_pending(&c->sock)) {
        c->read_more = true;
        dirty_add(c);
    }
    conn_settle(c);
    return true;
}
