/*
 * Sockets: resolution, non-blocking connect, and blocking-style send/receive
 * on non-blocking sockets, each bounded by an absolute deadline via poll().
 */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto/errno_text.h"
#include "proto/frame.h"
#include "tls.h"

uint64_t aw_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t aw_now_ms(void) { return aw_now_us() / 1000u; }

void aw_sleep_ms(uint32_t ms) {
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* An errno's text with a lower-case first letter, to sit inside a sentence. */
static void errno_text(int e, char *out, size_t cap) {
    const char *text = aw_errno_text(e, out, cap);
    if (text != out)
        snprintf(out, cap, "%s", text);
    if (out[0] >= 'A' && out[0] <= 'Z')
        out[0] = (char)(out[0] - 'A' + 'a');
}

int aw_net_resolve(const char *host, uint16_t port, aw_sockaddr *out, size_t cap, size_t *n,
                   aw_error *err) {
    *n = 0;
    if (!host || !host[0] || cap == 0)
        return aw_error_set(err, AW_ERR_INVALID_HOST, "empty host name");
    char service[8];
    snprintf(service, sizeof service, "%u", port);
    struct addrinfo hints = {0};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    hints.ai_flags = AI_NUMERICSERV;
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0)
        return aw_error_set(err, AW_ERR_INVALID_HOST, "cannot resolve %s: %s", host,
                            rc == EAI_SYSTEM ? aw_errno_str(errno) : gai_strerror(rc));
    for (struct addrinfo *ai = res; ai && *n < cap; ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof out[0].ss)
            continue;
        bool dup = false;
        for (size_t i = 0; i < *n && !dup; i++)
            dup = out[i].len == ai->ai_addrlen &&
                  memcmp(&out[i].ss, ai->ai_addr, ai->ai_addrlen) == 0;
        if (dup)
            continue;
        memset(&out[*n], 0, sizeof out[*n]);
        memcpy(&out[*n].ss, ai->ai_addr, ai->ai_addrlen);
        out[*n].len = (socklen_t)ai->ai_addrlen;
        (*n)++;
    }
    freeaddrinfo(res);
    if (*n == 0)
        return aw_error_set(err, AW_ERR_INVALID_HOST, "%s has no usable address", host);
    return AW_OK;
}

void aw_net_addr_str(const aw_sockaddr *a, char *out, size_t cap) {
    char ip[INET6_ADDRSTRLEN] = "?";
    if (a->ss.ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)&a->ss;
        inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof ip);
        snprintf(out, cap, "%s:%u", ip, ntohs(s4->sin_port));
    } else if (a->ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&a->ss;
        inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof ip);
        snprintf(out, cap, "[%s]:%u", ip, ntohs(s6->sin6_port));
    } else {
        snprintf(out, cap, "(family %d)", (int)a->ss.ss_family);
    }
}

int aw_net_connect_start(const aw_sockaddr *a, int *fd, aw_error *err) {
    char where[64], why[96];
    *fd = -1;
    int s = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (s < 0) {
        errno_text(errno, why, sizeof why);
        return aw_error_set(err, AW_ERR_CONNECTION, "socket: %s", why);
    }
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(s, (const struct sockaddr *)&a->ss, a->len) != 0 && errno != EINPROGRESS) {
        int e = errno;
        close(s);
        aw_net_addr_str(a, where, sizeof where);
        errno_text(e, why, sizeof why);
        return aw_error_set(err, AW_ERR_CONNECTION, "%s: %s", where, why);
    }
    *fd = s;
    return AW_OK;
}

int aw_net_connect_finish(int fd, aw_error *err) {
    int so_error = 0;
    socklen_t len = sizeof so_error;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0)
        so_error = errno;
    if (so_error == 0)
        return AW_OK;
    char why[96];
    errno_text(so_error, why, sizeof why);
    return aw_error_set(err, AW_ERR_CONNECTION, "connect: %s", why);
}

/* Milliseconds poll() may wait before deadline_ms: -1 = forever (no
 * deadline), 0 when it has passed (the caller then reports the timeout). */
static int poll_wait_ms(uint64_t deadline_ms, bool *expired) {
    *expired = false;
    if (deadline_ms == 0)
        return -1;
    uint64_t now = aw_now_ms();
    if (now >= deadline_ms) {
        *expired = true;
        return 0;
    }
    uint64_t left = deadline_ms - now;
    return left > 1000000 ? 1000000 : (int)left;
}

int aw_net_wait(int fd, short events, uint64_t deadline_ms, const char *what, aw_error *err) {
    for (;;) {
        bool expired;
        int ms = poll_wait_ms(deadline_ms, &expired);
        if (expired)
            return aw_error_set(err, AW_ERR_TIMEOUT, "timed out %s", what);
        struct pollfd p = {fd, events, 0};
        int r = poll(&p, 1, ms);
        if (r > 0)
            return AW_OK; /* ready, or an error/hang-up the next call reports */
        if (r < 0 && errno != EINTR) {
            char why[96];
            errno_text(errno, why, sizeof why);
            return aw_error_set(err, AW_ERR_CONNECTION, "poll: %s", why);
        }
    }
}

int aw_net_connect(const aw_sockaddr *a, uint64_t deadline_ms, int *fd, aw_error *err) {
    int rc = aw_net_connect_start(a, fd, err);
    if (rc != AW_OK)
        return rc;
    char where[64];
    aw_net_addr_str(a, where, sizeof where);
    rc = aw_net_wait(*fd, POLLOUT, deadline_ms, "connecting", err);
    if (rc == AW_OK)
        rc = aw_net_connect_finish(*fd, err);
    if (rc != AW_OK) {
        /* Name the address: the caller's message is all the user sees. */
        if (err) {
            char why[AW_ERROR_MSG_SIZE];
            const char *m = err->message;
            if (strncmp(m, "connect: ", 9) == 0)
                m += 9;
            snprintf(why, sizeof why, "%s", m);
            aw_error_set(err, rc, "%s: %s", where, why);
        }
        close(*fd);
        *fd = -1;
    }
    return rc;
}

aw_io aw_sock_read(aw_sock *s, void *p, size_t cap, size_t *moved) {
    *moved = 0;
    if (s->ssl)
        return aw_tls_read(s, p, cap, moved);
    for (;;) {
        ssize_t r = recv(s->fd, p, cap, MSG_DONTWAIT);
        if (r > 0) {
            *moved = (size_t)r;
            return AW_IO_OK;
        }
        if (r == 0)
            return AW_IO_CLOSED;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return AW_IO_WANT_READ;
        s->sys_errno = errno;
        return AW_IO_ERROR;
    }
}

aw_io aw_sock_write(aw_sock *s, const void *p, size_t n, size_t *moved) {
    *moved = 0;
    if (s->ssl)
        return aw_tls_write(s, p, n, moved);
    for (;;) {
        ssize_t w = send(s->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            *moved = (size_t)w;
            return AW_IO_OK;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return AW_IO_WANT_WRITE;
        s->sys_errno = w < 0 ? errno : EPIPE;
        return AW_IO_ERROR;
    }
}

bool aw_sock_pending(const aw_sock *s) { return s->ssl && aw_tls_pending(s); }

void aw_sock_why(const aw_sock *s, char *out, size_t cap) {
    if (s->ssl && s->ssl_error)
        aw_tls_why(s, out, cap);
    else
        errno_text(s->sys_errno ? s->sys_errno : EPIPE, out, cap);
}

void aw_sock_close(aw_sock *s) {
    if (s->ssl)
        aw_tls_free(s);
    aw_net_close(s->fd);
    *s = aw_sock_none();
}

/* Waits for what a read or write asked for. */
static int wait_io(aw_sock *s, aw_io io, uint64_t deadline_ms, const char *what, aw_error *err) {
    return aw_net_wait(s->fd, io == AW_IO_WANT_WRITE ? POLLOUT : POLLIN, deadline_ms, what, err);
}

int aw_net_send_all(aw_sock *s, const void *p, size_t n, uint64_t deadline_ms, aw_error *err) {
    const uint8_t *b = p;
    while (n > 0) {
        size_t w;
        aw_io io = aw_sock_write(s, b, n, &w);
        if (io == AW_IO_OK) {
            b += w;
            n -= w;
            continue;
        }
        if (io == AW_IO_WANT_READ || io == AW_IO_WANT_WRITE) {
            int rc = wait_io(s, io, deadline_ms, "sending", err);
            if (rc != AW_OK)
                return rc;
            continue;
        }
        char why[128];
        aw_sock_why(s, why, sizeof why);
        return aw_error_set(err, aw_sock_error_code(s), "send: %s", why);
    }
    return AW_OK;
}

/* The error of a read that ended neither with bytes nor with "wait". */
static int recv_failed(aw_sock *s, aw_io io, aw_error *err) {
    if (io == AW_IO_CLOSED)
        return aw_error_set(err, AW_ERR_NO_RESPONSE, "connection closed by the server");
    char why[128];
    aw_sock_why(s, why, sizeof why);
    return aw_error_set(err, aw_sock_error_code(s), "recv: %s", why);
}

int aw_net_recv_all(aw_sock *s, void *p, size_t n, uint64_t deadline_ms, aw_error *err) {
    uint8_t *b = p;
    while (n > 0) {
        size_t r;
        aw_io io = aw_sock_read(s, b, n, &r);
        if (io == AW_IO_OK) {
            b += r;
            n -= r;
            continue;
        }
        if (io != AW_IO_WANT_READ && io != AW_IO_WANT_WRITE)
            return recv_failed(s, io, err);
        int rc = wait_io(s, io, deadline_ms, "waiting for the reply", err);
        if (rc != AW_OK)
            return rc;
    }
    return AW_OK;
}

/* Checks a read header against what the caller expects; *compressed when
 * it is a type-4 frame standing for a message. */
static int frame_header(const uint8_t hdr[AW_PROTO_HEADER_SIZE], uint8_t expect_type,
                        size_t max_body, aw_proto_header *h, bool *compressed, aw_error *err) {
    int rc = aw_proto_header_read(hdr, AW_PROTO_HEADER_SIZE, max_body, h, err);
    if (rc != AW_OK)
        return rc;
    *compressed = h->type == AW_PROTO_COMPRESSED && expect_type == AW_PROTO_MSG;
    if (h->type != expect_type && !*compressed)
        return aw_error_set(err, AW_ERR_PROTO, "expected a type-%u frame, got type %u",
                            expect_type, h->type);
    return AW_OK;
}

/* Type 4: body (a compressed frame's) becomes the inflated inner frame's body. */
static int inflate_body(aw_buf *body, size_t max_body, aw_error *err) {
    aw_buf inner;
    aw_buf_init(&inner);
    int rc = aw_frame_decompress(body->data, body->len, max_body, &inner, err);
    if (rc == AW_OK) {
        aw_buf_reset(body);
        aw_buf_put(body, inner.data + AW_PROTO_HEADER_SIZE, inner.len - AW_PROTO_HEADER_SIZE);
        if (!aw_buf_ok(body))
            rc = aw_error_set(err, AW_ERR_NOMEM, "no memory for an inflated reply");
    }
    aw_buf_free(&inner);
    return rc;
}

int aw_net_recv_frame(aw_sock *s, uint8_t expect_type, size_t max_body, aw_buf *body,
                      uint64_t deadline_ms, aw_error *err) {
    uint8_t hdr[AW_PROTO_HEADER_SIZE];
    int rc = aw_net_recv_all(s, hdr, sizeof hdr, deadline_ms, err);
    if (rc != AW_OK)
        return rc;
    aw_proto_header h;
    bool compressed;
    if ((rc = frame_header(hdr, expect_type, max_body, &h, &compressed, err)) != AW_OK)
        return rc;
    aw_buf_reset(body);
    uint8_t *p = aw_buf_grow(body, (size_t)h.size);
    if (!p)
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for a %llu-byte reply",
                            (unsigned long long)h.size);
    rc = aw_net_recv_all(s, p, (size_t)h.size, deadline_ms, err);
    return rc != AW_OK || !compressed ? rc : inflate_body(body, max_body, err);
}

/* What the first read of a reply asks for: a usual record's whole frame. */
#define REPLY_FIRST_READ 4096

int aw_net_recv_reply(aw_sock *s, uint8_t expect_type, size_t max_body, aw_buf *body,
                      uint64_t deadline_ms, aw_error *err) {
    aw_buf_reset(body);
    if (!aw_buf_reserve(body, REPLY_FIRST_READ)) {
        body->oom = false;
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for a reply");
    }
    /* The header and what follows it, in as few reads as they arrive in;
     * a reply is never there the moment its request left, so the first
     * thing is the wait (unless TLS holds bytes already). */
    size_t have = 0;
    aw_io io = aw_sock_pending(s) ? AW_IO_OK : AW_IO_WANT_READ;
    while (have < AW_PROTO_HEADER_SIZE) {
        if (io == AW_IO_WANT_READ || io == AW_IO_WANT_WRITE) {
            int rc = wait_io(s, io, deadline_ms, "waiting for the reply", err);
            if (rc != AW_OK)
                return rc;
        }
        size_t r;
        io = aw_sock_read(s, body->data + have, body->cap - have, &r);
        if (io == AW_IO_OK)
            have += r;
        else if (io != AW_IO_WANT_READ && io != AW_IO_WANT_WRITE)
            return recv_failed(s, io, err);
    }
    aw_proto_header h;
    bool compressed;
    int rc = frame_header(body->data, expect_type, max_body, &h, &compressed, err);
    if (rc != AW_OK)
        return rc;
    size_t got = have - AW_PROTO_HEADER_SIZE;
    if (got > h.size) /* one request, one reply: the stream is out of step */
        return aw_error_set(err, AW_ERR_PROTO, "%zu bytes after a %llu-byte reply",
                            got - (size_t)h.size, (unsigned long long)h.size);
    memmove(body->data, body->data + AW_PROTO_HEADER_SIZE, got);
    body->len = got;
    if (!aw_buf_grow(body, (size_t)h.size - got)) {
        body->oom = false;
        return aw_error_set(err, AW_ERR_NOMEM, "no memory for a %llu-byte reply",
                            (unsigned long long)h.size);
    }
    rc = aw_net_recv_all(s, body->data + got, (size_t)h.size - got, deadline_ms, err);
    return rc != AW_OK || !compressed ? rc : inflate_body(body, max_body, err);
}

bool aw_net_idle_ok(aw_sock *s) {
    char c;
    ssize_t r = recv(s->fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return !aw_sock_pending(s);
    /* Bytes on a TLS connection may be records that carry no data. */
    return r > 0 && s->ssl && aw_tls_idle_ok(s);
}

void aw_net_close(int fd) {
    if (fd >= 0)
        close(fd);
}
