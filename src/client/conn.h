/*
 * One async connection to a node, owned by one loop.
 *
 *   CONNECTING --(writable, connect ok)--> [HANDSHAKE] --> [LOGIN] --> READY
 *     --(error/EOF/stall)--> freed
 *
 * With TLS the HANDSHAKE state runs the TLS handshake step by step, each
 * step's want-read / want-write becoming the events asked of io_update; its
 * failure is AW_ERR_TLS.
 *
 * LOGIN (only when the client has credentials, cluster/login.h), after the
 * handshake with TLS: the login or authenticate request goes out alone from
 * `auth`, and queued commands wait in `out` until the server accepted it; a
 * refused token is followed by a LOGIN on the same connection.
 *
 * The connect deadline covers the connect, the handshake and the login.
 *
 * Requests are appended to `out` as commands are queued (also while
 * connecting) and written with one send() per deferred run; replies are read
 * into `in` as many at a time as have arrived and matched to `fifo` in
 * order (the server answers a connection's requests in order). A FIFO slot
 * whose command completed early (total timeout, loop close) is NULL: its
 * reply is read and dropped when it comes, the others are not disturbed.
 *
 * A stream command (one with hooks, async_cmd.h: a batch request) gets a
 * connection with nothing in flight and keeps it to itself: every frame
 * goes to it until it says its reply ended; abandoned early, it takes the
 * connection with it (its reply's end cannot be found). A stream may pause
 * the connection (its frame hook says AW_FRAME_PAUSE, or aw_conn_pause):
 * the connection then stops reading its socket, so TCP pushes back on the
 * server, keeps what it already read (that frame first, handed over again
 * on aw_conn_resume) and runs no socket timeout meanwhile.
 */
#ifndef AW_CLIENT_CONN_H
#define AW_CLIENT_CONN_H

#include "async_cmd.h"

enum { AW_CONN_CONNECTING = 1, AW_CONN_READY = 2, AW_CONN_HANDSHAKE = 3, AW_CONN_LOGIN = 4 };

typedef struct aw_conn {
    aw_heap_node hn;            /* FIRST: connect deadline, or stall check */
    aw_loop_node *ln;
    struct aw_conn *next, *prev;   /* ln->conns */
    struct aw_conn *inext, *iprev; /* ln->idle */
    struct aw_conn *dnext, *dprev; /* loop->dirty */
    bool in_idle, in_dirty;
    bool stream;                /* a stream command (hooks) owns it until its reply ends */
    bool paused;                /* the stream paused it: no reading, no stall check */
    bool read_more;             /* the TLS session holds bytes a read bound left behind */
    bool warming;               /* opened by aw_loop_warm_up, not yet up nor failed */
    bool doomed;                /* its session ended (NOT_AUTHENTICATED): no new requests,
                                 * closed once its pipeline drains */
    uint8_t state;
    aw_sock sock;               /* the socket, and its TLS session with TLS */
    void *io;
    short watching;             /* AW_EV_* currently asked of io_update */

    aw_buf out;                 /* queued request bytes; out_off of them written */
    size_t out_off;
    uint64_t queued;            /* stream offset: bytes ever appended to out */
    uint64_t written;           /* stream offset: bytes ever sent */

    struct aw_acmd **fifo;      /* ring of fifo_mask + 1 slots; NULL = abandoned */
    uint32_t fifo_mask, fifo_head, fifo_count;

    aw_buf auth;                /* LOGIN state: the admin request; auth_off of it sent */
    size_t auth_off;
    bool auth_is_login;         /* LOGIN rather than AUTHENTICATE */

    aw_buf in;                  /* read buffer; in_off bytes of it parsed */
    size_t in_off;

    uint64_t connect_ns;        /* metrics: aw_metrics_now_ns when the connect began */
    uint64_t last_progress;     /* last read, or when the connection came up */
    uint64_t idle_since;
} aw_conn;

/* Opens a connection to ln's node (connect under way); NULL and err on failure. */
aw_conn *aw_conn_open(aw_loop_node *ln, aw_error *err);
/* Whether another request fits in its pipeline. */
static inline bool aw_conn_has_room(const aw_conn *c) {
    return !c->stream && !c->doomed && c->fifo_count < c->ln->depth;
}
/* Queues cmd's request on c (c must have room): cmd becomes SENT.
 * AW_ERR_NOMEM when the bytes could not be buffered (cmd untouched). */
int aw_conn_push(aw_conn *c, struct aw_acmd *cmd);
/* Abandons cmd's FIFO slot (its reply will be dropped); cmd->sent updated. */
void aw_conn_abandon(aw_conn *c, struct aw_acmd *cmd);
/* Sends what is queued (from the deferred run). */
void aw_conn_flush(aw_conn *c);
/* Closes c: every command still in its FIFO fails this attempt with rc
 * (or is requeued when none of its bytes was sent), then c is freed. */
void aw_conn_fail(aw_conn *c, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Closes a connection with nothing in flight (idle reaping, node retired). */
void aw_conn_close_idle(aw_conn *c);
/* Loop close: completes every command in the FIFO with CLIENT_CLOSING and frees c. */
void aw_conn_close_all(aw_conn *c);
/* The heap fired for c: its connect deadline, or the earliest socket
 * deadline of the commands in its pipeline (each command's: no reply
 * progress on the connection for its socket timeout since it was queued). */
void aw_conn_on_deadline(aw_conn *c, uint64_t now);
/* For an idle connection: frees buffers a big request or reply left large. */
void aw_conn_trim(aw_conn *c);
/* Stops reading c until aw_conn_resume (a stream's consumer is behind). */
void aw_conn_pause(aw_conn *c);
/* Reads again: first the frames already read (the held one first; the
 * stream may pause again), then the socket. False when c was freed. */
bool aw_conn_resume(aw_conn *c);

#endif
