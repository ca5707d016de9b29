/*
 * aw-testd: listeners, connections, framing, fault injection, batches.
 *
 * A connection reads whatever has arrived, answers every complete frame in
 * order (pipelined requests get their replies in request order, as the real
 * server's one-at-a-time service does), and writes the replies back in as
 * few writes as it can. A scan or query is answered a frame or so at a
 * time, the next once the socket has taken most of what is queued, so its
 * memory stays bounded whatever the set's size and a slow client slows the
 * stream down; the connection reads no other request meanwhile (the server
 * hands the socket to the query job until it ends).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "batch_parse.h"
#include "info_param.h"
#include "compress.h"
#include "internal.h"
#include "proto/batch.h"
#include "proto/frame.h"
#include "scan.h"
#include "tls.h"

#define READ_CHUNK 65536
/* A scan's next frame is made once less than this is left to send. */
#define SCAN_LOW_WATER (256 * 1024)
#define BATCH_FRAME_TARGET (128 * 1024)

/* due_ms of a reply held by the hold fault: due when the fault is lifted. */
#define HELD UINT64_MAX

typedef struct delay_mark {
    uint64_t due_ms;
    size_t end;       /* out may be written up to here once due */
} delay_mark;

struct td_conn {
    td_node *node;
    evutil_socket_t fd;
    struct event *rd;
    struct event *wr;
    struct event *timer;
    aw_buf in;
    size_t in_off;
    aw_buf out;
    size_t out_off;
    uint64_t reply_bytes;     /* for drop_after */
    bool close_after_flush;
    bool busy;                /* on_read is handling its frames: free it later */
    td_scan_job *scan;        /* a scan/query still streaming on this connection */
    td_sec_conn sec;          /* --security: who logged in on it */
    delay_mark *marks;
    size_t n_marks, cap_marks;
    td_conn *prev, *next;
    char user_agent[TD_USER_AGENT_MAX]; /* "" until user-agent-set */
    struct ssl_st *ssl;       /* on a --tls-port: its TLS session */
    bool handshaking;         /* the TLS handshake is not done yet */
    bool read_wants_write;    /* the TLS session must write before it reads on */
};

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void conn_free(td_conn *c) {
    td_node *n = c->node;
    if (c->prev)
        c->prev->next = c->next;
    else
        n->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    event_free(c->rd);
    event_free(c->wr);
    event_free(c->timer);
    td_tls_end(c->ssl);
    evutil_closesocket(c->fd);
    aw_buf_free(&c->in);
    aw_buf_free(&c->out);
    td_scan_job_free(c->scan);
    free(c->marks);
    n->conns_closed++;
    free(c);
}

void td_node_user_agents(td_node *node, aw_buf *b) {
    for (td_conn *c = node->conns; c; c = c->next) {
        if (!c->user_agent[0])
            continue;
        bool seen = false; /* counted with an earlier connection */
        for (td_conn *e = node->conns; e != c && !seen; e = e->next)
            seen = strcmp(e->user_agent, c->user_agent) == 0;
        if (seen)
            continue;
        unsigned count = 0;
        for (td_conn *e = c; e; e = e->next)
            count += strcmp(e->user_agent, c->user_agent) == 0;
        td_info_putf(b, "user-agent=%s:count=%u;", c->user_agent, count);
    }
}

void td_node_close_conns(td_node *node) {
    /* A connection whose frame is being handled (a node told to kill itself)
     * cannot be freed under its own handler: it sends what it has (the
     * control reply), reads nothing more and closes once flushed. */
    td_conn *c = node->conns;
    while (c) {
        td_conn *next = c->next;
        if (c->busy) {
            c->close_after_flush = true;
            event_del(c->rd);
        } else {
            conn_free(c);
        }
        c = next;
    }
}

/* How far out may be written now (delayed replies wait for their time). */
static size_t writable_end(td_conn *c) {
    if (c->n_marks == 0)
        return c->out.len;
    uint64_t now = now_ms();
    size_t end = c->out_off, i = 0;
    while (i < c->n_marks && c->marks[i].due_ms <= now)
        end = c->marks[i++].end;
    memmove(c->marks, c->marks + i, (c->n_marks - i) * sizeof *c->marks);
    c->n_marks -= i;
    if (c->n_marks == 0)
        return c->out.len; /* what follows the last delayed reply was not delayed */
    if (c->marks[0].due_ms == HELD)
        return end; /* no timer: lifting the fault flushes */
    uint64_t wait = c->marks[0].due_ms - now;
    struct timeval tv = {(time_t)(wait / 1000), (suseconds_t)(wait % 1000) * 1000};
    evtimer_add(c->timer, &tv);
    return end;
}

static bool scan_more(td_conn *c);

/* One write: the bytes that went, 0 when the socket takes no more now, -1
 * when the connection failed. */
static ssize_t conn_send(td_conn *c, const uint8_t *p, size_t n) {
    if (c->ssl) {
        size_t moved;
        td_io io = td_tls_write(c->ssl, p, n, &moved);
        if (io == TD_IO_OK)
            return (ssize_t)moved;
        return io == TD_IO_CLOSED ? -1 : 0;
    }
    for (;;) {
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w >= 0)
            return w;
        if (errno != EINTR)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    }
}

/* Nothing to write: the write event goes, unless the TLS session waits
 * for it (a handshake step or a read that must write first). */
static void write_idle(td_conn *c) {
    if (!c->handshaking && !c->read_wants_write)
        event_del(c->wr);
}

/* Writes what may be written; returns false when the connection is gone. */
static bool conn_flush(td_conn *c) {
    size_t end = writable_end(c);
    while (c->out_off < end) {
        ssize_t w = conn_send(c, c->out.data + c->out_off, end - c->out_off);
        if (w < 0) {
            conn_free(c);
            return false;
        }
        if (w == 0)
            break;
        c->out_off += (size_t)w;
    }
    if (c->out_off == c->out.len) {
        aw_buf_reset(&c->out);
        c->out_off = 0;
        for (size_t i = 0; i < c->n_marks; i++)
            c->marks[i].end = 0;
        if (c->close_after_flush) {
            conn_free(c);
            return false;
        }
    }
    if (c->scan && !c->close_after_flush && c->n_marks == 0 &&
        c->out.len - c->out_off < SCAN_LOW_WATER) {
        /* The socket took most of the scan's frames: make the next ones and
         * write them when it can take more (other connections get their
         * turn in between). */
        if (!scan_more(c))
            return false;
        event_add(c->wr, NULL);
    } else if (c->out_off == c->out.len) {
        write_idle(c);
    } else if (c->out_off < end) {
        event_add(c->wr, NULL);
    } else {
        write_idle(c); /* the rest is delayed: the timer flushes it */
    }
    return true;
}

/* The reply just appended to out may go once due (HELD: once the hold fault
 * is lifted). */
static void add_mark(td_conn *c, uint64_t due_ms) {
    if (c->n_marks == c->cap_marks) {
        size_t cap = c->cap_marks ? c->cap_marks * 2 : 8;
        delay_mark *m = realloc(c->marks, cap * sizeof *m);
        if (!m)
            return; /* cannot delay: send now */
        c->marks = m;
        c->cap_marks = cap;
    }
    c->marks[c->n_marks++] = (delay_mark){due_ms, c->out.len};
}

/* The truncate fault's body length for a reply whose first frame has
 * body_len bytes after its header: about half, but always inside a
 * message. A cut between two messages would leave a well-formed frame of
 * fewer records, and the intact frames a streaming scan sends next would
 * follow it: records lost with nothing for the client to notice. */
static uint64_t truncated_body(uint8_t type, const uint8_t *body, size_t body_len) {
    size_t half = body_len / 2, off = 0;
    while (type == AW_PROTO_MSG && off < half) {
        aw_msg_view m;
        size_t used;
        if (aw_msg_parse(body + off, body_len - off, &m, &used, NULL) != AW_OK)
            break; /* not (only) messages from here: no boundary to avoid */
        off += used;
    }
    return type == AW_PROTO_MSG && off == half ? half + 1 : half;
}

/* Applies the node's faults to one reply frame at out[start..). A scan's
 * later frames (`more`) are the same reply: only swallowed, cut off or held,
 * not spoilt or delayed again. */
static void apply_reply_faults(td_conn *c, size_t start, bool more) {
    const td_fault *f = &c->node->fault;
    aw_buf *out = &c->out;
    size_t len = out->len - start;
    if (f->blackhole) {
        out->len = start;
        return;
    }
    if (!more && f->garbage) {
        for (size_t i = 0; i < len; i++)
            out->data[start + i] = (uint8_t)(0xA5 ^ (i * 31));
    } else if (!more && f->oversize && len >= 8) {
        out->data[start + 2] = 0x80; /* 48-bit size of 2^47 */
        memset(out->data + start + 3, 0, 5);
    } else if (!more && f->truncate && len > 8) {
        /* A well-framed reply whose message is cut short. */
        uint64_t body = truncated_body(out->data[start + 1], out->data + start + 8, len - 8);
        aw_proto_header_write(out->data + start, out->data[start + 1], body);
        out->len = start + 8 + (size_t)body;
        len = out->len - start;
    }
    if (f->drop_after >= 0) {
        uint64_t limit = (uint64_t)f->drop_after;
        if (c->reply_bytes + len >= limit) {
            out->len = start + (size_t)(limit > c->reply_bytes ? limit - c->reply_bytes : 0);
            c->close_after_flush = true;
        }
    }
    c->reply_bytes += out->len - start;
    if (f->hold)
        add_mark(c, HELD);
    else if (f->delay_ms && !more)
        add_mark(c, now_ms() + f->delay_ms);
}

static void reply_last(aw_buf *out, int code) {
    size_t at = aw_proto_header_begin(out);
    aw_msg_header h = {0};
    h.info3 = AW_INFO3_LAST;
    h.result_code = (uint8_t)code;
    aw_buf_msg_header(out, &h);
    aw_proto_header_patch(out, at, AW_PROTO_MSG);
}

static void handle_batch(td_conn *c, const aw_msg_view *m) {
    td_server *s = c->node->srv;
    aw_buf *out = &c->out;
    aw_field_view f;
    if (!aw_msg_find_field(m, AW_FIELD_BATCH_INDEX, &f) &&
        !aw_msg_find_field(m, AW_FIELD_BATCH_INDEX_WITH_SET, &f)) {
        reply_last(out, AW_ERR_REQUEST_INVALID);
        return;
    }
    int refused = td_batch_refusal(m);
    if (refused != AW_OK) {
        reply_last(out, refused);
        return;
    }
    td_batch_req_iter it;
    if (td_batch_req_open(&it, f.data, f.len, NULL) != AW_OK) {
        reply_last(out, AW_ERR_REQUEST_INVALID);
        return;
    }
    s->batches++;
    td_exec_ctx cx = {.store = &s->store, .in_batch = true, .counters = s->stats};
    aw_field_view filter;
    if (aw_msg_find_field(m, AW_FIELD_FILTER, &filter)) { /* for the rows without their own */
        cx.filter = filter.data ? filter.data : (const uint8_t *)"";
        cx.filter_len = filter.len;
    }
    size_t frame = aw_proto_header_begin(out);
    int last_code = AW_OK;
    const uint8_t *digest;
    aw_msg_view row;
    int more;
    while ((more = td_batch_req_next(&it, &digest, &row, NULL)) == 1) {
        int rc = td_exec(&cx, &row, digest, out);
        if (!(it.flags & AW_BATCH_RESPOND_ALL_KEYS) && rc != AW_OK &&
            rc != AW_ERR_RECORD_NOT_FOUND && rc != AW_FILTERED_OUT) {
            last_code = rc;
            break;
        }
        if (out->len - frame > BATCH_FRAME_TARGET) {
            aw_proto_header_patch(out, frame, AW_PROTO_MSG);
            frame = aw_proto_header_begin(out);
        }
    }
    if (more < 0)
        last_code = AW_ERR_REQUEST_INVALID;
    if (out->len - frame > AW_PROTO_HEADER_SIZE)
        aw_proto_header_patch(out, frame, AW_PROTO_MSG);
    else
        out->len = frame;
    reply_last(out, last_code);
}

/* A scan or query: this node serves the partitions it holds a copy of. */
static void handle_scan(td_conn *c, const aw_msg_view *m) {
    td_node *n = c->node;
    td_server *s = n->srv;
    bool serves[AW_PARTITIONS], masters[AW_PARTITIONS];
    for (uint32_t p = 0; p < AW_PARTITIONS; p++) {
        masters[p] = s->owner[p][0] == n->index;
        serves[p] = masters[p] || s->owner[p][1] == n->index;
    }
    /* The client as query-show names it: address+port. */
    char from[64] = "";
    struct sockaddr_in peer;
    socklen_t pl = sizeof peer;
    char addr[INET_ADDRSTRLEN];
    if (getpeername(c->fd, (struct sockaddr *)&peer, &pl) == 0 && peer.sin_family == AF_INET &&
        inet_ntop(AF_INET, &peer.sin_addr, addr, sizeof addr))
        snprintf(from, sizeof from, "%s+%u", addr, (unsigned)ntohs(peer.sin_port));
    td_scan_env env = {&s->store, serves, s->stats, masters, &n->jobs, from};
    td_scan_job *j = td_scan_start(&env, m, &c->out);
    if (j && td_scan_step(j, &c->out)) {
        c->scan = j; /* the rest as the socket drains (conn_flush) */
        event_del(c->rd);
    } else {
        td_scan_job_free(j);
    }
}

static bool handle_frame(td_conn *c, uint8_t type, const uint8_t *body, size_t len);

/* --compress: the inflated message is handled as if sent plain; a body that
 * does not inflate to one type-3 frame closes the connection. */
static bool handle_compressed(td_conn *c, const uint8_t *body, size_t len) {
    aw_buf inner;
    aw_buf_init(&inner);
    bool ok = td_compress_inflate(body, len, &inner);
    if (ok) {
        c->node->compressed_in++;
        ok = handle_frame(c, AW_PROTO_MSG, inner.data + AW_PROTO_HEADER_SIZE,
                          inner.len - AW_PROTO_HEADER_SIZE);
    }
    aw_buf_free(&inner);
    return ok;
}

/* --security: what the message needs (write when it writes, else read; a
 * batch's rows name their own namespaces, so only unscoped privileges
 * count for it) and whether the connection's user has it. */
static int security_check(td_conn *c, const aw_msg_view *m) {
    td_server *s = c->node->srv;
    char ns[64] = "", set[64] = "";
    aw_field_view f;
    bool batch = m->h.info1 & AW_INFO1_BATCH;
    if (!batch && aw_msg_find_field(m, AW_FIELD_NAMESPACE, &f) && f.len < sizeof ns)
        memcpy(ns, f.data, f.len);
    if (!batch && aw_msg_find_field(m, AW_FIELD_SET, &f) && f.len < sizeof set)
        memcpy(set, f.data, f.len);
    int need = (m->h.info2 & AW_INFO2_WRITE) ? TD_NEED_WRITE : TD_NEED_READ;
    return td_security_check(s->sec, &c->sec, &s->store, need, batch ? NULL : ns,
                             batch ? NULL : set);
}

/* Handles one complete frame; false when the connection must close. */
static bool handle_frame(td_conn *c, uint8_t type, const uint8_t *body, size_t len) {
    td_server *s = c->node->srv;
    aw_buf *out = &c->out;
    size_t start = out->len;
    bool control = false;
    switch (type) {
    case AW_PROTO_INFO:
        /* testd-* control commands are always answered, whatever the faults. */
        control = memmem(body, len, "testd-", 6) != NULL;
        if (s->sec && !control && td_security_check(s->sec, &c->sec, &s->store, 0, NULL, NULL))
            td_security_refuse_info(body, len, out);
        else
            td_handle_info(c->node, c->user_agent, body, len, out);
        break;
    case AW_PROTO_ADMIN: {
        if (s->sec) {
            td_security_admin(s->sec, &c->sec, &s->store, body, len, out);
            break;
        }
        /* Community edition: every security message gets "not supported". */
        size_t at = aw_proto_header_begin(out);
        uint8_t *p = aw_buf_grow(out, 16);
        if (p) {
            memset(p, 0, 16);
            p[1] = AW_SECURITY_NOT_SUPPORTED;
        }
        aw_proto_header_patch(out, at, AW_PROTO_ADMIN);
        break;
    }
    case AW_PROTO_COMPRESSED: {
        if (s->cfg.compress)
            return handle_compressed(c, body, len);
        size_t at = aw_proto_header_begin(out);
        td_reply_code(out, AW_ERR_ENTERPRISE_ONLY, 0);
        aw_proto_header_patch(out, at, AW_PROTO_MSG);
        break;
    }
    case AW_PROTO_MSG: {
        c->node->commands++;
        aw_msg_view m;
        size_t used;
        if (aw_msg_parse(body, len, &m, &used, NULL) != AW_OK || used != len)
            return false; /* the real server closes on a malformed message */
        aw_field_view digest;
        int refused = s->sec ? security_check(c, &m) : AW_OK;
        if (refused != AW_OK) {
            if ((m.h.info1 & AW_INFO1_BATCH) || !aw_msg_find_field(&m, AW_FIELD_DIGEST, &digest)) {
                reply_last(out, refused);
            } else {
                size_t at = aw_proto_header_begin(out);
                td_reply_code(out, refused, 0);
                aw_proto_header_patch(out, at, AW_PROTO_MSG);
            }
        } else if (m.h.info1 & AW_INFO1_BATCH) {
            handle_batch(c, &m);
        } else if (!aw_msg_find_field(&m, AW_FIELD_DIGEST, &digest)) {
            handle_scan(c, &m); /* as_transaction_is_query: no digest */
        } else {
            size_t at = aw_proto_header_begin(out);
            td_exec_ctx cx = {.store = &s->store, .counters = s->stats};
            td_exec(&cx, &m, NULL, out);
            aw_proto_header_patch(out, at, AW_PROTO_MSG);
        }
        /* Scans and queries would compress too, on a real server; not here. */
        if (s->cfg.compress && (m.h.info1 & AW_INFO1_COMPRESS_RESPONSE) &&
            ((m.h.info1 & AW_INFO1_BATCH) || aw_msg_find_field(&m, AW_FIELD_DIGEST, &digest)))
            c->node->compressed_out += td_compress_replies(out, start);
        break;
    }
    default:
        return false;
    }
    if (!aw_buf_ok(out))
        return false;
    if (!control)
        apply_reply_faults(c, start, false);
    return true;
}

/* Answers the complete frames read so far, in order, up to one that starts
 * a streaming scan (the rest wait for its end). False when the connection
 * is gone. */
static bool handle_input(td_conn *c) {
    while (c->in.len - c->in_off >= AW_PROTO_HEADER_SIZE) {
        aw_proto_header h;
        if (aw_proto_header_read(c->in.data + c->in_off, c->in.len - c->in_off, 0, &h, NULL) !=
            AW_OK) {
            conn_free(c); /* bad version, type or size: the server hangs up */
            return false;
        }
        if (c->in.len - c->in_off - AW_PROTO_HEADER_SIZE < h.size)
            break;
        const uint8_t *body = c->in.data + c->in_off + AW_PROTO_HEADER_SIZE;
        c->in_off += AW_PROTO_HEADER_SIZE + (size_t)h.size;
        c->busy = true;
        bool ok = handle_frame(c, h.type, body, (size_t)h.size);
        c->busy = false;
        if (!ok) {
            conn_free(c);
            return false;
        }
        if (c->close_after_flush || c->scan)
            break; /* its node was killed, or drop-after hit, or a scan streams */
    }
    if (c->in_off == c->in.len) {
        aw_buf_reset(&c->in);
        c->in_off = 0;
    } else if (c->in_off > 0) {
        memmove(c->in.data, c->in.data + c->in_off, c->in.len - c->in_off);
        c->in.len -= c->in_off;
        c->in_off = 0;
    }
    return true;
}

/* The scan's next frames (faults applied as to the rest of its reply); at
 * its end the requests that came after it are answered. False when the
 * connection is gone. */
static bool scan_more(td_conn *c) {
    if (c->out_off > 0) { /* keep only what is unsent: memory stays bounded */
        memmove(c->out.data, c->out.data + c->out_off, c->out.len - c->out_off);
        c->out.len -= c->out_off;
        c->out_off = 0;
    }
    size_t start = c->out.len;
    bool more = td_scan_step(c->scan, &c->out);
    if (!aw_buf_ok(&c->out)) {
        conn_free(c);
        return false;
    }
    apply_reply_faults(c, start, true);
    if (more && !c->close_after_flush)
        return true;
    td_scan_job_free(c->scan);
    c->scan = NULL;
    if (c->close_after_flush)
        return true;
    event_add(c->rd, NULL);
    return handle_input(c);
}

/* One read into p: the bytes read, 0 when nothing more is there now, -1
 * when the connection ended (closed, reset, or its TLS session failed). */
static ssize_t conn_recv(td_conn *c, uint8_t *p, size_t cap) {
    if (c->ssl) {
        size_t moved;
        td_io io = td_tls_read(c->ssl, p, cap, &moved);
        if (io == TD_IO_OK)
            return (ssize_t)moved;
        if (io == TD_IO_WANT_WRITE) { /* retried from on_write */
            c->read_wants_write = true;
            event_add(c->wr, NULL);
        }
        return io == TD_IO_CLOSED ? -1 : 0;
    }
    for (;;) {
        ssize_t r = recv(c->fd, p, cap, 0);
        if (r > 0)
            return r;
        if (r < 0 && errno == EINTR)
            continue;
        return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
    }
}

/* Reads what has arrived, answers it and writes the replies. */
static void conn_read(td_conn *c) {
    for (;;) {
        if (!aw_buf_reserve(&c->in, READ_CHUNK)) {
            conn_free(c);
            return;
        }
        size_t room = c->in.cap - c->in.len;
        ssize_t r = conn_recv(c, c->in.data + c->in.len, room);
        if (r < 0) {
            conn_free(c);
            return;
        }
        c->in.len += (size_t)r;
        /* A short read drained the socket, but a TLS session may hold
         * records read ahead, which no socket event would report. */
        if ((size_t)r < room && !(r > 0 && c->ssl && td_tls_pending(c->ssl)))
            break;
    }
    if (!c->scan && !handle_input(c))
        return;
    conn_flush(c);
}

/* One step of a TLS handshake; once done, the records that came with its
 * last flight are read (no socket event would report them). A client that
 * is not speaking TLS, or whose certificate is refused, is dropped. */
static void conn_handshake(td_conn *c) {
    td_io io = td_tls_handshake(c->ssl);
    if (io == TD_IO_CLOSED) {
        conn_free(c);
        return;
    }
    if (io == TD_IO_WANT_WRITE) {
        event_add(c->wr, NULL);
        return;
    }
    event_del(c->wr);
    if (io == TD_IO_WANT_READ)
        return;
    c->handshaking = false;
    if (!td_tls_peer_name(c->ssl, c->sec.cert_user, sizeof c->sec.cert_user))
        c->sec.cert_user[0] = 0;
    conn_read(c);
}

static void on_write(evutil_socket_t fd, short what, void *arg) {
    (void)fd;
    (void)what;
    td_conn *c = arg;
    if (c->handshaking) {
        conn_handshake(c);
    } else if (c->read_wants_write) {
        c->read_wants_write = false;
        conn_read(c);
    } else {
        conn_flush(c);
    }
}

static void on_timer(evutil_socket_t fd, short what, void *arg) {
    (void)fd;
    (void)what;
    conn_flush(arg);
}

static void on_read(evutil_socket_t fd, short what, void *arg) {
    (void)fd;
    (void)what;
    td_conn *c = arg;
    if (c->handshaking)
        conn_handshake(c);
    else
        conn_read(c);
}

/* Takes the connections waiting on a listener; tls: each starts with the
 * server side of a TLS handshake. */
static void accept_conns(td_node *n, evutil_socket_t lfd, bool tls) {
    for (;;) {
        evutil_socket_t fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            return;
        if (n->fault.refuse) {
            evutil_closesocket(fd);
            continue;
        }
        evutil_make_socket_nonblocking(fd);
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        td_conn *c = calloc(1, sizeof *c);
        if (!c) {
            evutil_closesocket(fd);
            continue;
        }
        c->node = n;
        c->fd = fd;
        aw_buf_init(&c->in);
        aw_buf_init(&c->out);
        c->rd = event_new(n->srv->base, fd, EV_READ | EV_PERSIST, on_read, c);
        c->wr = event_new(n->srv->base, fd, EV_WRITE | EV_PERSIST, on_write, c);
        c->timer = evtimer_new(n->srv->base, on_timer, c);
        c->next = n->conns;
        if (n->conns)
            n->conns->prev = c;
        n->conns = c;
        n->conns_opened++;
        if (tls) {
            c->ssl = td_tls_session(n->srv->tls, fd);
            c->handshaking = true;
        }
        if (!c->rd || !c->wr || !c->timer || (tls && !c->ssl)) {
            conn_free(c);
            continue;
        }
        event_add(c->rd, NULL); /* the client speaks first, in TLS too */
    }
}

static void on_accept(evutil_socket_t lfd, short what, void *arg) {
    (void)what;
    accept_conns(arg, lfd, false);
}

static void on_accept_tls(evutil_socket_t lfd, short what, void *arg) {
    (void)what;
    accept_conns(arg, lfd, true);
}

/* Listens on the bind address at *port (0: a free one, then written back). */
static int listen_on(td_node *n, uint16_t *port, event_callback_fn cb, evutil_socket_t *fd_out,
                     struct event **ev_out, char *errbuf, size_t errlen) {
    td_server *s = n->srv;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(*port);
    if (inet_pton(AF_INET, s->bind_addr, &sa.sin_addr) != 1) {
        snprintf(errbuf, errlen, "bad bind address %s", s->bind_addr);
        return -1;
    }
    evutil_socket_t fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        snprintf(errbuf, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    evutil_make_listen_socket_reuseable(fd);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 512) != 0) {
        snprintf(errbuf, errlen, "cannot listen on %s:%u: %s", s->bind_addr, *port,
                 strerror(errno));
        evutil_closesocket(fd);
        return -1;
    }
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    *port = ntohs(sa.sin_port);
    evutil_make_socket_nonblocking(fd);
    struct event *ev = event_new(s->base, fd, EV_READ | EV_PERSIST, cb, n);
    if (!ev) {
        evutil_closesocket(fd);
        snprintf(errbuf, errlen, "out of memory");
        return -1;
    }
    event_add(ev, NULL);
    *fd_out = fd;
    *ev_out = ev;
    return 0;
}

static void unlisten(evutil_socket_t fd, struct event **ev) {
    if (*ev) {
        event_free(*ev);
        *ev = NULL;
        evutil_closesocket(fd);
    }
}

/* The node's plain listener and, with --tls-port, its TLS one. */
static int node_listen(td_node *n, char *errbuf, size_t errlen) {
    if (listen_on(n, &n->port, on_accept, &n->listen_fd, &n->listen_ev, errbuf, errlen) != 0)
        return -1;
    if (n->srv->tls && listen_on(n, &n->tls_port, on_accept_tls, &n->tls_listen_fd,
                                 &n->tls_listen_ev, errbuf, errlen) != 0) {
        unlisten(n->listen_fd, &n->listen_ev);
        return -1;
    }
    n->alive = true;
    return 0;
}

static void node_unlisten(td_node *n) {
    unlisten(n->listen_fd, &n->listen_ev);
    unlisten(n->tls_listen_fd, &n->tls_listen_ev);
    td_node_close_conns(n);
    n->alive = false;
}

/* The TLS options that do not go together; true with the message in errbuf. */
static bool tls_config_refused(const td_config *cfg, char *errbuf, size_t errlen) {
    const char *msg = NULL;
    if (cfg->tls_listen && cfg->n_tls_ports)
        msg = "--tls-port (aw-testd's own TLS) and --tls-ports (a proxy's) exclude each other";
    else if (cfg->tls_listen && (!cfg->tls_cert || !cfg->tls_key))
        msg = "--tls-port needs --tls-cert and --tls-key";
    else if (!cfg->tls_listen && (cfg->tls_cert || cfg->tls_key || cfg->tls_cafile))
        msg = "--tls-cert, --tls-key and --tls-cafile go with --tls-port";
    if (msg)
        snprintf(errbuf, errlen, "%s", msg);
    return msg != NULL;
}

td_server *td_server_start(struct event_base *base, const td_config *cfg, char *errbuf,
                           size_t errlen) {
    if (cfg->nodes < 1 || cfg->nodes > TD_MAX_NODES) {
        snprintf(errbuf, errlen, "--nodes must be 1..%d", TD_MAX_NODES);
        return NULL;
    }
    if (cfg->n_tls_ports && cfg->n_tls_ports != cfg->nodes) {
        snprintf(errbuf, errlen, "--tls-ports names %d ports for %d nodes", cfg->n_tls_ports,
                 cfg->nodes);
        return NULL;
    }
    if (tls_config_refused(cfg, errbuf, errlen))
        return NULL;
    td_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    s->base = base;
    s->cfg = *cfg;
    snprintf(s->namespaces, sizeof s->namespaces, "%s", cfg->namespaces ? cfg->namespaces : "test,bar");
    snprintf(s->cluster_name, sizeof s->cluster_name, "%s",
             cfg->cluster_name ? cfg->cluster_name : "aw-testd");
    snprintf(s->bind_addr, sizeof s->bind_addr, "%s", cfg->bind_addr ? cfg->bind_addr : "127.0.0.1");
    s->started = time(NULL);
    if (cfg->security && !(s->sec = td_security_new(cfg->token_ttl_s))) {
        snprintf(errbuf, errlen, "out of memory");
        free(s);
        return NULL;
    }
    if (cfg->tls_listen &&
        !(s->tls = td_tls_new(cfg->tls_cert, cfg->tls_key, cfg->tls_cafile, errbuf, errlen))) {
        td_security_free(s->sec);
        free(s);
        return NULL;
    }
    if (td_store_init(&s->store, s->namespaces, cfg->default_ttl,
                      cfg->max_record_size ? cfg->max_record_size : 1024 * 1024) != 0) {
        snprintf(errbuf, errlen, "bad namespace list '%s' (names of 1..31 bytes, comma-separated)",
                 s->namespaces);
        td_tls_free(s->tls);
        td_security_free(s->sec);
        free(s);
        return NULL;
    }
    s->n_nodes = cfg->nodes;
    s->replication = cfg->nodes > 1 ? 2 : 1;
    memset(s->pinned, 0xff, sizeof s->pinned);
    for (int i = 0; i < s->n_nodes; i++) {
        td_node *n = &s->nodes[i];
        n->srv = s;
        n->index = i;
        n->fault.drop_after = -1;
        n->port = cfg->port ? (uint16_t)(cfg->port + i) : 0;
        n->tls_port = cfg->tls_port ? (uint16_t)(cfg->tls_port + i) : 0;
        if (node_listen(n, errbuf, errlen) != 0) {
            td_server_free(s);
            return NULL;
        }
        /* Node ids: upper-case hex, as the server prints them. */
        snprintf(n->id, sizeof n->id, "BB9%04X%02X0001", (unsigned)(n->port & 0xffffu), (unsigned)(i & 0xff));
    }
    if (cfg->racks && td_racks_parse(s, cfg->racks) != 0) {
        snprintf(errbuf, errlen, "--racks '%s' must give one rack id per node (%d), comma-separated",
                 cfg->racks, s->n_nodes);
        td_server_free(s);
        return NULL;
    }
    td_rebalance(s);
    for (int i = 0; i < s->n_nodes; i++)
        s->nodes[i].partition_gen = 0;
    s->peers_gen = s->n_nodes > 1 ? (uint32_t)s->n_nodes + 1 : 0;
    return s;
}

void td_server_free(td_server *s) {
    if (!s)
        return;
    for (int i = 0; i < s->n_nodes; i++) {
        node_unlisten(&s->nodes[i]);
        td_jobs_free(&s->nodes[i].jobs);
    }
    td_store_free(&s->store);
    td_security_free(s->sec);
    td_tls_free(s->tls);
    free(s);
}

int td_server_nodes(const td_server *s) { return s->n_nodes; }
uint16_t td_server_port(const td_server *s, int node) { return s->nodes[node].port; }
uint16_t td_server_tls_port(const td_server *s, int node) {
    if (s->cfg.n_tls_ports)
        return s->cfg.tls_ports[node];
    return s->tls ? s->nodes[node].tls_port : 0;
}
const char *td_server_node_id(const td_server *s, int node) { return s->nodes[node].id; }

int td_node_kill(td_server *s, int node) {
    if (node < 0 || node >= s->n_nodes || !s->nodes[node].alive)
        return -1;
    node_unlisten(&s->nodes[node]);
    s->peers_gen++;
    td_rebalance(s);
    return 0;
}

int td_node_kill_unnoticed(td_server *s, int node) {
    if (node < 0 || node >= s->n_nodes || !s->nodes[node].alive)
        return -1;
    node_unlisten(&s->nodes[node]);
    s->peers_gen++;
    for (uint32_t p = 0; p < 4096; p++) {
        if (s->owner[p][0] == node)
            s->owner[p][0] = s->owner[p][1] = -1; /* its replica cannot take writes yet */
        else if (s->owner[p][1] == node)
            s->owner[p][1] = -1;
    }
    for (int i = 0; i < s->n_nodes; i++)
        if (s->nodes[i].alive)
            s->nodes[i].partition_gen++;
    return 0;
}

int td_node_revive(td_server *s, int node) {
    if (node < 0 || node >= s->n_nodes || s->nodes[node].alive)
        return -1;
    char err[128];
    if (node_listen(&s->nodes[node], err, sizeof err) != 0)
        return -1;
    s->peers_gen++;
    td_rebalance(s);
    return 0;
}

int td_node_set_fault(td_server *s, int node, const td_fault *f) {
    if (node < 0 || node >= s->n_nodes)
        return -1;
    td_node *n = &s->nodes[node];
    bool release = n->fault.hold && !f->hold;
    n->fault = *f;
    /* drop-after counts a connection's reply bytes from now: an old pooled
     * connection's earlier traffic must not make it drop at once. */
    for (td_conn *c = n->conns; c; c = c->next)
        c->reply_bytes = 0;
    if (!release)
        return 0;
    /* The held replies go now, in order. A busy connection (the one this
     * command came on) flushes when its frames are done. */
    td_conn *c = n->conns;
    while (c) {
        td_conn *next = c->next;
        for (size_t i = 0; i < c->n_marks; i++)
            if (c->marks[i].due_ms == HELD)
                c->marks[i].due_ms = 0;
        if (!c->busy)
            conn_flush(c);
        c = next;
    }
    return 0;
}

int td_node_stats(const td_server *s, int node, uint64_t *commands, uint64_t *held) {
    if (node < 0 || node >= s->n_nodes)
        return -1;
    const td_node *n = &s->nodes[node];
    *commands = n->commands;
    *held = 0;
    for (const td_conn *c = n->conns; c; c = c->next)
        for (size_t i = 0; i < c->n_marks; i++)
            *held += c->marks[i].due_ms == HELD;
    return 0;
}
