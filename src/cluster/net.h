/*
 * Sockets for the tend thread, the sync API and the async connect: name
 * resolution, non-blocking connect, and blocking send/receive bounded by an
 * absolute deadline. A connection is an aw_sock: a socket, and its TLS
 * session when the cluster uses TLS (tls.h); every read and write goes
 * through it so both kinds look alike. Nothing here knows about nodes or
 * commands.
 */
#ifndef AW_CLUSTER_NET_H
#define AW_CLUSTER_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "aerowire/error.h"
#include "proto/buf.h"

/* Monotonic clock in milliseconds / microseconds. */
uint64_t aw_now_ms(void);
uint64_t aw_now_us(void);
/* Sleeps ms milliseconds (resumed after a signal). */
void aw_sleep_ms(uint32_t ms);

/* One connection: the socket, and its TLS session (NULL for plain TCP). */
typedef struct aw_sock {
    int fd;
    struct ssl_st *ssl;
    /* Why the last read, write or handshake failed (for the message). */
    int sys_errno;
    unsigned long ssl_error;
} aw_sock;

static inline aw_sock aw_sock_none(void) { return (aw_sock){.fd = -1}; }
static inline aw_sock aw_sock_plain(int fd) { return (aw_sock){.fd = fd}; }

/* What a non-blocking read or write came to. */
typedef enum aw_io {
    AW_IO_OK = 0,      /* some bytes moved */
    AW_IO_WANT_READ,   /* nothing now: wait for readability */
    AW_IO_WANT_WRITE,  /* nothing now: wait for writability */
    AW_IO_CLOSED,      /* the peer closed the connection */
    AW_IO_ERROR,       /* failed: aw_sock_why says why */
} aw_io;

typedef struct aw_sockaddr {
    struct sockaddr_storage ss;
    socklen_t len;
} aw_sockaddr;

/* Resolves host (name, IPv4, or IPv6 without brackets) and port into up to
 * cap addresses; *n set. AW_ERR_INVALID_HOST with the resolver's message. */
int aw_net_resolve(const char *host, uint16_t port, aw_sockaddr *out, size_t cap, size_t *n,
                   aw_error *err);

/* "1.2.3.4:3000" / "[::1]:3000" into out (at least 64 bytes). */
void aw_net_addr_str(const aw_sockaddr *a, char *out, size_t cap);

/* Starts a non-blocking connect (TCP_NODELAY, CLOEXEC). *fd is set when the
 * connect is under way or done; the caller waits for writability and then
 * calls aw_net_connect_finish. AW_ERR_CONNECTION on immediate failure. */
int aw_net_connect_start(const aw_sockaddr *a, int *fd, aw_error *err);
/* After writability: AW_OK or AW_ERR_CONNECTION (from SO_ERROR). */
int aw_net_connect_finish(int fd, aw_error *err);

/* Blocking connect bounded by deadline_ms (aw_now_ms clock). The socket stays
 * non-blocking; use the *_deadline calls on it. */
int aw_net_connect(const aw_sockaddr *a, uint64_t deadline_ms, int *fd, aw_error *err);

/* Waits with poll() for `events` (POLLIN / POLLOUT) on fd until deadline_ms
 * (0 = none). AW_OK, AW_ERR_TIMEOUT ("timed out <what>") or AW_ERR_CONNECTION. */
int aw_net_wait(int fd, short events, uint64_t deadline_ms, const char *what, aw_error *err);

/* Non-blocking read of up to cap bytes / write of up to n bytes; *moved
 * set with AW_IO_OK. Plain sockets and TLS sessions alike. */
aw_io aw_sock_read(aw_sock *s, void *p, size_t cap, size_t *moved);
aw_io aw_sock_write(aw_sock *s, const void *p, size_t n, size_t *moved);
/* Bytes a TLS session has already taken off the socket but not handed
 * out: poll() cannot see them, so read them before waiting. */
bool aw_sock_pending(const aw_sock *s);
/* The reason of the last AW_IO_ERROR, lower case, for a message. */
void aw_sock_why(const aw_sock *s, char *out, size_t cap);
/* The code of the last AW_IO_ERROR: AW_ERR_TLS when the TLS layer failed
 * (an alert: a client certificate refused after a TLS 1.3 handshake, a
 * bad record), else AW_ERR_CONNECTION. */
static inline int aw_sock_error_code(const aw_sock *s) {
    return s->ssl && s->ssl_error ? AW_ERR_TLS : AW_ERR_CONNECTION;
}
/* Closes the TLS session (if any) and the socket; *s becomes aw_sock_none. */
void aw_sock_close(aw_sock *s);

/* Sends all n bytes, polling as needed, until deadline_ms (0 = none).
 * AW_ERR_TIMEOUT or AW_ERR_CONNECTION. */
int aw_net_send_all(aw_sock *s, const void *p, size_t n, uint64_t deadline_ms, aw_error *err);
/* Receives exactly n bytes. AW_ERR_TIMEOUT, AW_ERR_CONNECTION, or
 * AW_ERR_NO_RESPONSE when the peer closes first. */
int aw_net_recv_all(aw_sock *s, void *p, size_t n, uint64_t deadline_ms, aw_error *err);

/* Reads one whole proto frame: the 8-byte header, then the body (inflated
 * when it is a type-4 compressed frame) into body (reset first). Checks the
 * version, the expected type (1 info, 3 message) and max_body.
 * AW_ERR_PROTO for a bad header, plus the errors of aw_net_recv_all. */
int aw_net_recv_frame(aw_sock *s, uint8_t expect_type, size_t max_body, aw_buf *body,
                      uint64_t deadline_ms, aw_error *err);
/* The same for a connection that carries one request and its one reply
 * (a sync command's): waits first, then reads as much as has arrived
 * (usually the whole frame in one read, where aw_net_recv_frame takes
 * two and a read that finds nothing). Bytes past the frame are
 * AW_ERR_PROTO: the stream is out of step. */
int aw_net_recv_reply(aw_sock *s, uint8_t expect_type, size_t max_body, aw_buf *body,
                      uint64_t deadline_ms, aw_error *err);

/* True when a pooled idle connection is still open and has nothing unread
 * (a peek that would block; TLS records that carry no data, such as
 * session tickets, are consumed). */
bool aw_net_idle_ok(aw_sock *s);

void aw_net_close(int fd);

#endif
